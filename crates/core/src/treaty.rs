//! The transparency reports a State Party owes each year under Article 7 of
//! the Anti-Personnel Mine Ban Convention (APMBC) and of the Convention on
//! Cluster Munitions (CCM), made from what the register held on 31 December.
//!
//! The store gathers the [`Facts`] of a year (every hazard as it stood at the
//! end of the year before and at the end of this one, the EO destroyed, the
//! risk education sessions held and the casualties of the year); [`report`]
//! makes the forms from them. Scope is by contamination: the APMBC's forms
//! count hazards with anti-personnel mines (AP), the CCM's those with cluster
//! munition remnants (CMR). Forms the register cannot know (national
//! implementation measures, stockpiles, mines retained, …) are
//! [`Form::NotKnown`], for the authority to fill.
//!
//! Land released in the year is each hazard's figures at the end of the year
//! less those at its start, so it is counted as the register's accounting
//! counts it (clipped to the hazard, never twice), and agrees with
//! `summary --as-of` on both dates.

use crate::codes::{Disability, Disposal, EoCategory, HazardKind, Sex, VictimOutcome};
use crate::model::Reach;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// Which convention's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Convention {
    #[serde(rename = "APMBC")]
    Apmbc,
    #[serde(rename = "CCM")]
    Ccm,
}

impl Convention {
    /// The contamination a convention's forms count.
    pub fn scope(self) -> EoCategory {
        match self {
            Convention::Apmbc => EoCategory::Ap,
            Convention::Ccm => EoCategory::Cmr,
        }
    }
}

/// A hazard's land-release figures, m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub recorded: f64,
    pub cancelled: f64,
    pub reduced: f64,
    pub cleared: f64,
    pub remaining: f64,
}

/// One hazard as the register held it on a date.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardState {
    pub code: String,
    pub district: String,
    pub kind: HazardKind,
    pub contamination: Vec<EoCategory>,
    pub figures: Figures,
    /// Its polygon's centre, longitude and latitude.
    pub centre: Option<(f64, f64)>,
    /// Its polygon, for the report's map.
    pub shape: Option<geo::MultiPolygon<f64>>,
}

/// EO of the scope destroyed, recorded in the year.
#[derive(Debug, Clone, PartialEq)]
pub struct Destruction {
    pub eo_type: String,
    pub quantity: i64,
    pub disposal: Disposal,
}

/// A risk education session recorded in the year.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub district: Option<String>,
    pub reach: Reach,
    /// Of those reached, the people with a disability, where counted.
    pub with_disability: Option<Reach>,
}

/// A victim of an accident recorded in the year.
#[derive(Debug, Clone, PartialEq)]
pub struct Casualty {
    pub outcome: VictimOutcome,
    pub sex: Sex,
    pub age: Option<i64>,
    /// Whether assistance is recorded for them.
    pub assisted: bool,
    pub device: EoCategory,
    /// `None` where not recorded.
    pub disability: Option<Disability>,
}

/// What the register held that a year's report needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Every hazard at the end of the year before.
    pub before: Vec<HazardState>,
    /// Every hazard at the end of the year.
    pub after: Vec<HazardState>,
    /// The scope's EO found on each hazard by the end of the year: hazard
    /// code, type, quantity.
    pub known: Vec<(String, String, i64)>,
    /// The scope's EO the register recorded in the year (destroyed or not:
    /// handed over is left out of the form).
    pub destroyed: Vec<Destruction>,
    pub sessions: Vec<Session>,
    pub casualties: Vec<Casualty>,
}

/// A year's report: its forms by letter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatyReport {
    pub convention: Convention,
    pub year: i32,
    /// The register as it stood at the end of this day.
    pub as_of: Date,
    pub forms: BTreeMap<&'static str, Form>,
}

/// One form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Form {
    /// A form the register cannot know: the authority fills it.
    NotKnown {
        not_in_register: &'static str,
    },
    /// The areas known or suspected to hold the scope's contamination.
    Areas(Vec<Area>),
    Release(Box<Release>),
    Destroyed(Destroyed),
    Education(Education),
    Casualties(Casualties),
}

/// What a form the register cannot know says.
pub const NOT_KNOWN: &str =
    "not held by the register: no change / not applicable, or to be filled by the authority";

/// What the education form says of marking.
pub const MARKING_NOT_KNOWN: &str = "marking is not recorded in the register: to be filled by the authority";

/// An area of Form C (APMBC) or Form F (CCM).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    pub code: String,
    pub district: String,
    pub kind: HazardKind,
    /// What remains to be released, m².
    pub area_m2: f64,
    pub recorded_m2: f64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The scope's EO found there by the end of the year, by type.
    pub known: Vec<Item>,
    /// When it was contaminated: the register does not know.
    pub emplaced: Option<Date>,
}

/// A quantity of one type of EO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub eo_type: String,
    pub quantity: i64,
}

/// Cancelled, reduced and cleared, m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Released {
    pub cancelled: f64,
    pub reduced: f64,
    pub cleared: f64,
}

/// What remains, by the evidence for it, m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Remaining {
    pub sha: f64,
    pub cha: f64,
}

/// Land released in the year and what remains, in total and per district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub released_m2: Released,
    pub remaining_m2: Remaining,
    pub districts: Vec<DistrictRelease>,
    /// CCM's Form F also lists the areas and what was destroyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<Area>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroyed: Option<Destroyed>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistrictRelease {
    pub district: String,
    pub released_m2: Released,
    pub remaining_m2: Remaining,
}

/// The scope's EO destroyed in the year, by type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Destroyed {
    pub destroyed: Vec<Item>,
    pub total: i64,
}

/// Risk education in the year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Education {
    pub sessions: usize,
    pub reached: Reach,
    pub total: i64,
    /// Of those reached, the people with a disability, in the sessions that
    /// counted them.
    pub with_disability: Reach,
    /// The sessions that counted the people with a disability.
    pub sessions_counting_disability: usize,
    pub districts: Vec<DistrictEducation>,
    /// Marking is not recorded in the register.
    pub marking: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistrictEducation {
    pub district: String,
    pub sessions: usize,
    pub reached: Reach,
}

/// Casualties of the year, and the assistance recorded for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Casualties {
    pub casualties: Outcomes,
    /// By sex and age group (`child` under 18, `adult`, `unknown`).
    pub by_sex_age: Vec<SexAge>,
    /// By the device that caused them.
    pub by_device: Vec<DeviceCasualties>,
    /// By disability: `NONE`, `FROM_ACCIDENT`, `PRE_EXISTING`, `NOT_RECORDED`.
    pub by_disability: Vec<DisabilityCasualties>,
    /// Victims for whom assistance is recorded.
    pub victims_assisted: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Outcomes {
    pub killed: usize,
    pub injured: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SexAge {
    pub sex: Sex,
    pub age_group: &'static str,
    pub killed: usize,
    pub injured: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisabilityCasualties {
    pub disability: &'static str,
    pub killed: usize,
    pub injured: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceCasualties {
    pub device: EoCategory,
    pub killed: usize,
    pub injured: usize,
}

/// A year's report of `convention` from its facts.
///
/// ```
/// use safeground_core::codes::{EoCategory, HazardKind};
/// use safeground_core::treaty::{report, Convention, Facts, Figures, Form, HazardState};
/// let hazard = |cleared: f64| HazardState {
///     code: "AZ-AM-000001".into(),
///     district: "Ağdam".into(),
///     kind: HazardKind::Cha,
///     contamination: vec![EoCategory::Ap],
///     figures: Figures { recorded: 1000.0, cleared, remaining: 1000.0 - cleared, ..Figures::default() },
///     centre: Some((46.9, 39.9)),
///     shape: None,
/// };
/// let facts = Facts { before: vec![hazard(100.0)], after: vec![hazard(400.0)], ..Facts::default() };
/// let r = report(Convention::Apmbc, 2024, &facts);
/// let Form::Release(f) = &r.forms["F"] else { panic!() };
/// assert_eq!((f.released_m2.cleared, f.remaining_m2.cha), (300.0, 600.0));
/// ```
pub fn report(convention: Convention, year: i32, facts: &Facts) -> TreatyReport {
    let as_of = Date::from_calendar_date(year, time::Month::December, 31).unwrap_or(Date::MAX);
    let scope = convention.scope();
    let in_scope = |h: &&HazardState| h.contamination.contains(&scope);
    let after: Vec<&HazardState> = facts.after.iter().filter(in_scope).collect();
    let areas = areas(&after, &facts.known);
    let release = release(&after, &facts.before);
    let destroyed = destroyed(&facts.destroyed);
    let mut forms = BTreeMap::new();
    let not_known = || Form::NotKnown { not_in_register: NOT_KNOWN };
    match convention {
        Convention::Apmbc => {
            for letter in ["A", "B", "D", "E", "H"] {
                forms.insert(letter, not_known());
            }
            forms.insert("C", Form::Areas(areas));
            forms.insert("F", Form::Release(Box::new(release)));
            forms.insert("G", Form::Destroyed(destroyed));
            forms.insert("I", Form::Education(education(&facts.sessions)));
            forms.insert("J", Form::Casualties(casualties(&facts.casualties)));
        }
        Convention::Ccm => {
            for letter in ["A", "B", "C", "D", "E", "I", "J"] {
                forms.insert(letter, not_known());
            }
            let release = Release { areas: Some(areas), destroyed: Some(destroyed), ..release };
            forms.insert("F", Form::Release(Box::new(release)));
            forms.insert("G", Form::Education(education(&facts.sessions)));
            forms.insert("H", Form::Casualties(casualties(&facts.casualties)));
        }
    }
    TreatyReport { convention, year, as_of, forms }
}

/// The hazards still holding ground to release, by code, with what was
/// found in each.
fn areas(after: &[&HazardState], known: &[(String, String, i64)]) -> Vec<Area> {
    let mut found: HashMap<&str, BTreeMap<&str, i64>> = HashMap::new();
    for (hazard, eo_type, quantity) in known {
        *found.entry(hazard.as_str()).or_default().entry(eo_type.as_str()).or_default() += quantity;
    }
    let mut out: Vec<Area> = after
        .iter()
        .filter(|h| h.figures.remaining > 0.0)
        .map(|h| Area {
            code: h.code.clone(),
            district: h.district.clone(),
            kind: h.kind,
            area_m2: h.figures.remaining,
            recorded_m2: h.figures.recorded,
            lat: h.centre.map(|c| c.1),
            lon: h.centre.map(|c| c.0),
            known: found
                .get(h.code.as_str())
                .into_iter()
                .flatten()
                .map(|(t, q)| Item { eo_type: t.to_string(), quantity: *q })
                .collect(),
            emplaced: None,
        })
        .collect();
    out.sort_by(|a, b| (&a.district, &a.code).cmp(&(&b.district, &b.code)));
    out
}

/// Released in the year (each hazard's figures now less a year before) and
/// remaining, per district and in total.
fn release(after: &[&HazardState], before: &[HazardState]) -> Release {
    let start: HashMap<&str, &Figures> = before.iter().map(|h| (h.code.as_str(), &h.figures)).collect();
    let mut districts: BTreeMap<&str, (Released, Remaining)> = BTreeMap::new();
    for h in after {
        let was = start.get(h.code.as_str()).copied().copied().unwrap_or_default();
        let (released, remaining) = districts.entry(h.district.as_str()).or_default();
        released.cancelled += h.figures.cancelled - was.cancelled;
        released.reduced += h.figures.reduced - was.reduced;
        released.cleared += h.figures.cleared - was.cleared;
        match h.kind {
            HazardKind::Sha => remaining.sha += h.figures.remaining,
            HazardKind::Cha => remaining.cha += h.figures.remaining,
        }
    }
    let mut total = (Released::default(), Remaining::default());
    let districts = districts
        .into_iter()
        .map(|(district, (released, remaining))| {
            total.0.cancelled += released.cancelled;
            total.0.reduced += released.reduced;
            total.0.cleared += released.cleared;
            total.1.sha += remaining.sha;
            total.1.cha += remaining.cha;
            DistrictRelease { district: district.to_string(), released_m2: released, remaining_m2: remaining }
        })
        .collect();
    Release { released_m2: total.0, remaining_m2: total.1, districts, areas: None, destroyed: None }
}

/// What was destroyed, by type (handed over is not destroyed).
fn destroyed(items: &[Destruction]) -> Destroyed {
    let mut by_type: BTreeMap<&str, i64> = BTreeMap::new();
    for d in items.iter().filter(|d| d.disposal != Disposal::HandedOver) {
        *by_type.entry(d.eo_type.as_str()).or_default() += d.quantity;
    }
    let destroyed: Vec<Item> =
        by_type.into_iter().map(|(t, q)| Item { eo_type: t.to_string(), quantity: q }).collect();
    let total = destroyed.iter().map(|i| i.quantity).sum();
    Destroyed { destroyed, total }
}

fn education(sessions: &[Session]) -> Education {
    let mut reached = Reach::default();
    let mut with_disability = Reach::default();
    let mut districts: BTreeMap<&str, (usize, Reach)> = BTreeMap::new();
    for s in sessions {
        reached += s.reach;
        with_disability += s.with_disability.unwrap_or_default();
        let d = districts.entry(s.district.as_deref().unwrap_or("")).or_default();
        d.0 += 1;
        d.1 += s.reach;
    }
    Education {
        sessions: sessions.len(),
        reached,
        total: reached.total(),
        with_disability,
        sessions_counting_disability: sessions.iter().filter(|s| s.with_disability.is_some()).count(),
        districts: districts
            .into_iter()
            .map(|(d, (n, r))| DistrictEducation { district: d.to_string(), sessions: n, reached: r })
            .collect(),
        marking: MARKING_NOT_KNOWN,
    }
}

/// A victim's age group, as the forms count them.
pub fn age_group(age: Option<i64>) -> &'static str {
    match age {
        Some(a) if a < 18 => "child",
        Some(_) => "adult",
        None => "unknown",
    }
}

fn casualties(all: &[Casualty]) -> Casualties {
    let count = |o: &mut Outcomes, c: &Casualty| match c.outcome {
        VictimOutcome::Killed => o.killed += 1,
        VictimOutcome::Injured => o.injured += 1,
    };
    let mut total = Outcomes::default();
    let mut by_sex_age: BTreeMap<(Sex, &'static str), Outcomes> = BTreeMap::new();
    let mut by_device: BTreeMap<EoCategory, Outcomes> = BTreeMap::new();
    let mut by_disability: BTreeMap<Option<Disability>, Outcomes> = BTreeMap::new();
    for c in all {
        count(&mut total, c);
        count(by_disability.entry(c.disability).or_default(), c);
        count(by_sex_age.entry((c.sex, age_group(c.age))).or_default(), c);
        count(by_device.entry(c.device).or_default(), c);
    }
    Casualties {
        casualties: total,
        by_sex_age: by_sex_age
            .into_iter()
            .map(|((sex, age_group), o)| SexAge { sex, age_group, killed: o.killed, injured: o.injured })
            .collect(),
        by_device: by_device
            .into_iter()
            .map(|(device, o)| DeviceCasualties { device, killed: o.killed, injured: o.injured })
            .collect(),
        by_disability: by_disability
            .into_iter()
            .map(|(d, o)| DisabilityCasualties {
                disability: d.map_or("NOT_RECORDED", Disability::code),
                killed: o.killed,
                injured: o.injured,
            })
            .collect(),
        victims_assisted: all.iter().filter(|c| c.assisted).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hazard(code: &str, district: &str, kind: HazardKind, c: &[EoCategory], f: Figures) -> HazardState {
        HazardState {
            code: code.into(),
            district: district.into(),
            kind,
            contamination: c.to_vec(),
            figures: f,
            centre: Some((46.9, 39.9)),
            shape: None,
        }
    }

    fn figures(recorded: f64, cancelled: f64, cleared: f64) -> Figures {
        Figures { recorded, cancelled, cleared, reduced: 0.0, remaining: recorded - cancelled - cleared }
    }

    #[test]
    fn the_scope_is_the_conventions_contamination() {
        use EoCategory::{Ap, At, Cmr};
        let after = vec![
            hazard("A", "Ağdam", HazardKind::Cha, &[Ap, At], figures(100.0, 0.0, 0.0)),
            hazard("B", "Ağdam", HazardKind::Sha, &[Cmr], figures(50.0, 0.0, 0.0)),
            hazard("C", "Füzuli", HazardKind::Sha, &[At], figures(70.0, 0.0, 0.0)),
        ];
        let facts = Facts { after, ..Facts::default() };
        let Form::Areas(c) = &report(Convention::Apmbc, 2024, &facts).forms["C"] else { panic!() };
        assert_eq!(c.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(), ["A"]);
        let ccm = report(Convention::Ccm, 2024, &facts);
        let Form::Release(f) = &ccm.forms["F"] else { panic!() };
        assert_eq!(f.areas.as_ref().map(|a| a[0].code.as_str()), Some("B"));
        assert_eq!(f.remaining_m2, Remaining { sha: 50.0, cha: 0.0 });
        assert!(matches!(ccm.forms["C"], Form::NotKnown { .. }));
    }

    #[test]
    fn released_in_the_year_is_the_difference_of_the_figures_per_district() {
        let before =
            vec![hazard("A", "Ağdam", HazardKind::Cha, &[EoCategory::Ap], figures(100.0, 10.0, 0.0))];
        let after = vec![
            hazard("A", "Ağdam", HazardKind::Cha, &[EoCategory::Ap], figures(100.0, 30.0, 40.0)),
            // Recorded in the year and cleared whole: released in the year, not remaining, not an area.
            hazard("N", "Füzuli", HazardKind::Sha, &[EoCategory::Ap], figures(20.0, 0.0, 20.0)),
        ];
        let r = report(Convention::Apmbc, 2024, &Facts { before, after, ..Facts::default() });
        let Form::Release(f) = &r.forms["F"] else { panic!() };
        assert_eq!(f.released_m2, Released { cancelled: 20.0, reduced: 0.0, cleared: 60.0 });
        assert_eq!(f.remaining_m2, Remaining { sha: 0.0, cha: 30.0 });
        assert_eq!(f.districts.len(), 2);
        assert_eq!(f.districts[1].district, "Füzuli");
        let Form::Areas(c) = &r.forms["C"] else { panic!() };
        assert_eq!(c.len(), 1, "a hazard with nothing left is no longer an area");
        assert_eq!(r.as_of.to_string(), "2024-12-31");
    }

    #[test]
    fn handed_over_is_not_destroyed_and_known_types_are_per_hazard() {
        let d = |t: &str, q, disposal| Destruction { eo_type: t.into(), quantity: q, disposal };
        let facts = Facts {
            after: vec![hazard("A", "Ağdam", HazardKind::Cha, &[EoCategory::Ap], figures(100.0, 0.0, 0.0))],
            known: vec![
                ("A".into(), "PMN-2".into(), 2),
                ("A".into(), "PMN-2".into(), 1),
                ("Z".into(), "OZM-72".into(), 1),
            ],
            destroyed: vec![
                d("PMN-2", 3, Disposal::DestroyedInSitu),
                d("OZM-72", 1, Disposal::RemovedAndDestroyed),
                d("PMN-2", 5, Disposal::HandedOver),
            ],
            ..Facts::default()
        };
        let r = report(Convention::Apmbc, 2024, &facts);
        let Form::Destroyed(g) = &r.forms["G"] else { panic!() };
        assert_eq!((g.total, g.destroyed.len()), (4, 2));
        let Form::Areas(c) = &r.forms["C"] else { panic!() };
        assert_eq!(c[0].known, [Item { eo_type: "PMN-2".into(), quantity: 3 }]);
    }

    #[test]
    fn casualties_by_sex_and_age_group_at_the_boundary_of_18() {
        let c = |sex, age, outcome| Casualty {
            outcome,
            sex,
            age,
            assisted: age == Some(18),
            device: EoCategory::Ap,
            disability: (outcome == VictimOutcome::Injured).then_some(Disability::FromAccident),
        };
        let facts = Facts {
            casualties: vec![
                c(Sex::Female, Some(17), VictimOutcome::Injured),
                c(Sex::Female, Some(18), VictimOutcome::Killed),
                c(Sex::Male, None, VictimOutcome::Injured),
            ],
            ..Facts::default()
        };
        let Form::Casualties(j) = &report(Convention::Apmbc, 2024, &facts).forms["J"] else { panic!() };
        assert_eq!(j.casualties, Outcomes { killed: 1, injured: 2 });
        let groups: Vec<(Sex, &str)> = j.by_sex_age.iter().map(|g| (g.sex, g.age_group)).collect();
        assert_eq!(groups, [(Sex::Female, "adult"), (Sex::Female, "child"), (Sex::Male, "unknown")]);
        assert_eq!(j.victims_assisted, 1);
        let by: Vec<(&str, usize, usize)> =
            j.by_disability.iter().map(|d| (d.disability, d.killed, d.injured)).collect();
        assert_eq!(by, [("NOT_RECORDED", 1, 0), ("FROM_ACCIDENT", 0, 2)]);
    }

    #[test]
    fn people_with_a_disability_are_summed_over_the_sessions_that_counted_them() {
        let s = |with_disability| Session {
            district: Some("Ağdam".into()),
            reach: Reach { girls: 10, boys: 10, women: 10, men: 10 },
            with_disability,
        };
        let facts = Facts {
            sessions: vec![s(Some(Reach { girls: 1, boys: 0, women: 2, men: 3 })), s(None)],
            ..Facts::default()
        };
        let Form::Education(e) = &report(Convention::Apmbc, 2024, &facts).forms["I"] else { panic!() };
        assert_eq!((e.total, e.with_disability.total(), e.sessions_counting_disability), (80, 6, 1));
    }

    #[test]
    fn the_json_carries_the_documented_keys() {
        let r = report(Convention::Apmbc, 2024, &Facts::default());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["convention"], "APMBC");
        assert!(v["forms"]["C"].is_array());
        assert!(v["forms"]["F"]["released_m2"]["cancelled"].is_number());
        assert!(v["forms"]["F"]["remaining_m2"]["sha"].is_number());
        assert!(v["forms"]["G"]["destroyed"].is_array());
        assert!(v["forms"]["J"]["casualties"]["killed"].is_number());
        assert!(v["forms"]["A"]["not_in_register"].is_string());
    }
}
