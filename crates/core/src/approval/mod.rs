//! The approval of a field report, as a decision.
//!
//! The store loads what the decision needs into a [`Context`] (the task, the
//! hazard and the ground released from it, the districts points fall in);
//! [`decide`] returns every problem that refuses the report, or the [`Plan`] of
//! what approval changes — the records to insert, the hazard's new figures,
//! status and version, the task's status; the store applies the plan. Nothing
//! is written before the decision is known, and the approval queue's check is
//! the same function run on a read transaction ([`check`]).
//!
//! ```
//! use safeground_core::approval::{check, Context, Settings};
//! use safeground_core::codes::{Disposal, EoCategory, EoCondition, OrganisationKind};
//! use safeground_core::report::{Find, Place, Report, ReportType};
//! use time::macros::date;
//! let mut r = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
//! r.eo_finds.push(Find {
//!     id: None, category: EoCategory::Uxo, eo_type: "M-75".into(), quantity: 1,
//!     condition: EoCondition::Unknown, fuze_state: None, disposal: Disposal::DestroyedInSitu,
//!     location: Place::LonLat([46.9, 39.9]), found_on: None,
//! });
//! let ctx = Context::new(OrganisationKind::Operator, date!(2024 - 06 - 01));
//! assert_eq!(check(&r, &ctx, &Settings::default()), Vec::<String>::new());
//! // A task the register does not hold is named as such.
//! r.task = Some("T-1".into());
//! assert_eq!(check(&r, &ctx, &Settings::default()), vec!["task 'T-1' is not in the register"]);
//! ```

mod checks;
mod plan;

use crate::accounting::ReleaseFigures;
use crate::codes::*;
use crate::model::{Accident, Activity, EoFind, EoreSession, Hazard, Task};
use crate::report::Report;
use geo::{MultiPolygon, Point};
use std::collections::HashSet;
use time::Date;
use uuid::Uuid;

/// What approval may accept; the authority sets these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// How far (metres) released ground may stray outside its hazard: GPS and
    /// walking error along the boundary.
    pub tolerance_m: f64,
    /// A completed hazard closes when less than this (m²) remains.
    pub close_below_m2: f64,
    /// The most positions a polygon may have (`validate::Rules::max_vertices`).
    pub max_vertices: usize,
    /// Days an investigation of residual contamination is given
    /// ([`crate::residual`]).
    pub investigation_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tolerance_m: 5.0,
            close_below_m2: 10.0,
            max_vertices: crate::validate::MAX_VERTICES,
            investigation_days: 14,
        }
    }
}

/// A task as approval needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub id: Uuid,
    pub code: String,
    pub hazard_id: Uuid,
    pub organisation_id: Uuid,
    pub issued_on: Date,
    pub due_on: Option<Date>,
    pub status: TaskStatus,
    /// The day it was called off, if it was.
    pub cancelled_on: Option<Date>,
}

/// Ground released from a hazard before, and not re-opened since.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorRelease {
    pub id: Uuid,
    pub outcome: ReleaseOutcome,
    pub geometry: MultiPolygon<f64>,
}

/// A hazard as approval needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardFacts {
    pub id: Uuid,
    pub district_id: Uuid,
    pub status: HazardStatus,
    /// Its polygon (empty when the decision does not need it: [`needs_ground`]).
    pub geometry: MultiPolygon<f64>,
    /// The remaining area the register holds for it (m²).
    pub remaining_m2: f64,
    /// Its released ground, in the order it was released (empty when the
    /// decision does not need it).
    pub released: Vec<PriorRelease>,
}

/// A released area a QM report re-opens or inspects, as the register holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReleasedArea {
    /// Released from this hazard by this organisation on this day, and still released.
    Standing { hazard_id: Uuid, organisation_id: Uuid, released_on: Date },
    /// Re-opened or withdrawn already, at this time.
    Revoked { at: String },
}

/// A settlement, where an EORE session names one.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub id: Uuid,
    pub location: Point<f64>,
    /// The district the register records it in.
    pub district_id: Option<Uuid>,
}

/// The kinds of record a report may bring with its own UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Record {
    ReleasedArea,
    EoFind,
    Accident,
    EoreSession,
}

impl Record {
    /// How a problem names one.
    pub fn label(self) -> &'static str {
        match self {
            Record::ReleasedArea => "released area",
            Record::EoFind => "EO find",
            Record::Accident => "accident",
            Record::EoreSession => "EORE session",
        }
    }
}

/// Whether deciding `r` needs its hazard's polygon and released ground:
/// only when it releases ground, re-draws the polygon, completes the work or
/// re-opens ground (a QM inspection). Otherwise the store may leave
/// [`HazardFacts::geometry`] and [`HazardFacts::released`] empty, and an EO
/// find on a hazard of a thousand released areas decodes none of them.
pub fn needs_ground(r: &Report) -> bool {
    !r.released.is_empty() || r.hazard_geometry.is_some() || r.completion || r.inspection.is_some()
}

/// Every UUID the report brings for a record of its own (from another
/// database), in the report's order: the store asks which it holds already.
pub fn given_ids(r: &Report) -> Vec<(Record, Uuid)> {
    let released = r.released.iter().filter_map(|x| x.id.map(|i| (Record::ReleasedArea, i)));
    let finds = r.eo_finds.iter().filter_map(|x| x.id.map(|i| (Record::EoFind, i)));
    let accident = r.accident.iter().filter_map(|x| x.id.map(|i| (Record::Accident, i)));
    let session = r.session.iter().filter_map(|x| x.id.map(|i| (Record::EoreSession, i)));
    released.chain(finds).chain(accident).chain(session).collect()
}

/// Where and on which day each of `r`'s finds, then its accident, was seen
/// (those whose position reads): the store loads the released
/// ground under each point that was released before its day, the only
/// ground that can make it residual contamination (`residual::residuals`).
pub fn sighted(r: &Report) -> Vec<(Point<f64>, Date)> {
    let finds = r.eo_finds.iter().map(|f| (&f.location, find_day(r, f)));
    // An accident is dated by its report's last day (`plan::accident`).
    let accident = r.accident.iter().map(|a| (&a.location, r.end_date));
    finds.chain(accident).filter_map(|(p, on)| p.point().ok().map(|p| (p, on))).collect()
}

/// The day a find of `r` was made, for residual contamination: an undated
/// find counts from the first day of its report's work, as it may have been
/// found before ground released during that work.
fn find_day(r: &Report, f: &crate::report::Find) -> Date {
    f.found_on.unwrap_or(r.start_date)
}

/// What the register holds that one report's approval depends on. Each field
/// is a lookup the store made for a key the report gives; `None` where the
/// report gives no key or the register holds nothing under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The author organisation.
    pub organisation_id: Uuid,
    pub organisation_kind: OrganisationKind,
    /// The day of the decision: a report's dates may not pass it.
    pub today: Date,
    /// The task the report names.
    pub task: Option<TaskFacts>,
    /// The hazard the report names.
    pub named_hazard: Option<Uuid>,
    /// The hazards the report may touch: the one it names, its task's, the
    /// ones whose released areas it re-opens.
    pub hazards: Vec<HazardFacts>,
    /// Whether the author holds any task on the hazard the report names.
    pub tasked_on_hazard: bool,
    /// The released areas a QM report re-opens and inspects, in the order of
    /// [`crate::report::Inspection::ground`] (`None`: not in the register).
    pub inspected: Vec<Option<ReleasedArea>>,
    /// The new hazard's district, found by the name or UUID the report gives.
    pub new_hazard_district: Option<Uuid>,
    /// Whether the UUID, and the code, the new hazard brings are taken.
    pub new_hazard_id_taken: bool,
    pub new_hazard_code_taken: bool,
    /// The next free hazard code of the new hazard's district.
    pub next_hazard_code: Option<String>,
    /// The UUIDs of [`given_ids`] the register holds already.
    pub taken: HashSet<(Record, Uuid)>,
    /// The team the report names, among the author's teams.
    pub team: Option<Uuid>,
    /// The district each EO find's location falls in, in the report's order.
    pub find_districts: Vec<Option<Uuid>>,
    /// The district the accident's location falls in.
    pub accident_district: Option<Uuid>,
    /// The settlement the EORE session names.
    pub settlement: Option<Settlement>,
    /// The district the session's place (its location, else its
    /// settlement's) falls in.
    pub session_district: Option<Uuid>,
    /// The author's accreditations, when the register keeps accreditations
    /// (`None`: it keeps none, and approval asks for none).
    pub accreditations: Option<Vec<crate::accreditation::Accreditation>>,
    /// The released ground (standing) whose bounding box holds one of the
    /// report's EO finds or its accident ([`crate::residual`]).
    pub released_ground: Vec<crate::residual::ReleasedGround>,
    /// Who investigates residual contamination: the register's first
    /// quality-management body, else its national authority (`None`: the
    /// organisation that released the ground).
    pub investigator: Option<Uuid>,
}

impl Context {
    /// A context in which the register holds nothing the report names.
    pub fn new(organisation_kind: OrganisationKind, today: Date) -> Context {
        Context {
            organisation_id: Uuid::nil(),
            organisation_kind,
            today,
            task: None,
            named_hazard: None,
            hazards: Vec::new(),
            tasked_on_hazard: false,
            inspected: Vec::new(),
            new_hazard_district: None,
            new_hazard_id_taken: false,
            new_hazard_code_taken: false,
            next_hazard_code: None,
            taken: HashSet::new(),
            team: None,
            find_districts: Vec::new(),
            accident_district: None,
            settlement: None,
            session_district: None,
            accreditations: None,
            released_ground: Vec::new(),
            investigator: None,
        }
    }

    /// The facts of one of [`Context::hazards`].
    pub fn hazard(&self, id: Uuid) -> Option<&HazardFacts> {
        self.hazards.iter().find(|h| h.id == id)
    }
}

/// What approving a report changes, in the order the store applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The hazard the report is about once approved (a new one, named, its
    /// task's or its re-opened areas').
    pub hazard: Option<Uuid>,
    /// A hazard the report records (status OPEN, as recorded).
    pub new_hazard: Option<Hazard>,
    /// The hazard's polygon as re-surveyed.
    pub hazard_geometry: Option<MultiPolygon<f64>>,
    /// The hazard is confirmed (becomes a CHA).
    pub confirm: bool,
    /// The work done, with the ground it released.
    pub activity: Option<Activity>,
    pub eo_finds: Vec<EoFind>,
    pub accident: Option<Accident>,
    pub session: Option<EoreSession>,
    /// Released areas re-opened by a failed QC.
    pub reopen: Vec<Uuid>,
    /// The hazard's land-release figures, where they change.
    pub figures: Option<ReleaseFigures>,
    /// The hazard's status, where it changes.
    pub status: Option<HazardStatus>,
    /// A task's status, where it changes.
    pub task_status: Option<(Uuid, TaskStatus)>,
    /// Whether the hazard gets a new version in its history.
    pub new_version: bool,
    /// The new hazard's geodesic area (m²), measured when its polygon was read.
    pub new_hazard_area_m2: Option<f64>,
    /// EO finds and accidents inside ground released before them.
    pub residuals: Vec<ResidualRisk>,
    /// The tasks that investigate them: one per hazard whose released ground
    /// they lie in.
    pub investigations: Vec<Task>,
    /// Non-conformities the report raises: a failed QC inspection raises one
    /// against each organisation whose released ground it re-opens.
    pub non_conformities: Vec<RaisedNcr>,
    /// The investigation a demining accident opens [IMAS 10.60] (the store
    /// gives it its code): its board is convened afterwards.
    pub inquiry: Option<OpenedInquiry>,
    /// The inspection a QM report records, with its sample measured.
    pub inspection: Option<InspectionRecord>,
    /// What approval flags for the IM officer (it approves nonetheless): a
    /// sentence per residual-risk record and per non-conformity raised.
    pub flags: Vec<String>,
}

/// A quality-management inspection as the register keeps it: what was
/// inspected, the sample searched again and its share of the ground, the
/// items found and the result [IMAS 07.12, 09.20].
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionRecord {
    pub id: Uuid,
    pub kind: InspectionKind,
    pub result: crate::report::QmResult,
    pub hazard_id: Option<Uuid>,
    /// The task a QA visit visited.
    pub task_id: Option<Uuid>,
    /// The organisation inspected: the task's, or the one that released the
    /// ground first named.
    pub organisation_id: Option<Uuid>,
    pub inspected_on: Date,
    /// The released areas inspected, each with whether it is re-opened.
    pub areas: Vec<(Uuid, bool)>,
    pub sample: Option<MultiPolygon<f64>>,
    /// The sample's geodesic area (m²).
    pub sample_m2: Option<f64>,
    /// The geodesic area (m²) of the released areas inspected (a QC's).
    pub inspected_m2: Option<f64>,
    pub items_found: i64,
}

impl InspectionRecord {
    /// The share of the ground inspected that the sample covers (0–1), for
    /// a QC with a sample.
    ///
    /// ```
    /// # use safeground_core::approval::InspectionRecord;
    /// # use safeground_core::codes::InspectionKind;
    /// # use safeground_core::report::QmResult;
    /// # use uuid::Uuid;
    /// let r = InspectionRecord { id: Uuid::nil(), kind: InspectionKind::QualityControl,
    ///     result: QmResult::Pass, hazard_id: None, task_id: None, organisation_id: None,
    ///     inspected_on: time::macros::date!(2024 - 05 - 01), areas: vec![], sample: None,
    ///     sample_m2: Some(500.0), inspected_m2: Some(10_000.0), items_found: 0 };
    /// assert_eq!(r.share(), Some(0.05));
    /// ```
    pub fn share(&self) -> Option<f64> {
        match (self.sample_m2, self.inspected_m2) {
            (Some(s), Some(g)) if g > 0.0 => Some((s / g).min(1.0)),
            _ => None,
        }
    }
}

/// An investigation approval opens into the plan's accident, on the day of the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenedInquiry {
    pub id: Uuid,
    pub opened_on: Date,
}

/// A non-conformity approval raises ([`crate::ncr`]); the store gives it its code.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedNcr {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub grade: NcrGrade,
    pub finding: String,
    pub raised_on: Date,
    pub due_on: Date,
}

/// A find or an accident inside released ground, after its release
/// ([`crate::residual`]): the record approval makes of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualRisk {
    pub id: Uuid,
    pub eo_find_id: Option<Uuid>,
    pub accident_id: Option<Uuid>,
    pub found_on: Date,
    pub location: Point<f64>,
    pub released_area_id: Uuid,
    pub hazard_id: Uuid,
    pub released_on: Date,
    /// The organisation that released the ground.
    pub released_by: Uuid,
    /// The investigation task (one of [`Plan::investigations`]).
    pub task_id: Uuid,
}

impl Plan {
    /// Records brought in from another register, as they were: the register
    /// they come from answered their finds and inspections, so no
    /// residual-risk record, investigation or non-conformity is made again,
    /// and nothing is flagged.
    pub fn recorded_as_it_was(&mut self) {
        self.residuals.clear();
        self.investigations.clear();
        self.non_conformities.clear();
        self.inquiry = None;
        self.flags.clear();
    }

    /// The records the plan makes, in the order it makes them: the new
    /// hazard, the activity and the ground it released, the EO finds, the
    /// accident, the risk-education session (what an import lists for each
    /// feature, so the feature leads to its records and back).
    pub fn records(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.new_hazard.iter().map(|h| h.id).collect();
        if let Some(a) = &self.activity {
            ids.push(a.id);
            ids.extend(a.released.iter().map(|r| r.id));
        }
        ids.extend(self.eo_finds.iter().map(|f| f.id));
        ids.extend(self.accident.iter().map(|a| a.id));
        ids.extend(self.session.iter().map(|s| s.id));
        ids
    }
}

/// Decides a submitted report against the register: every problem (as
/// sentences, in the order the report gives things), or the plan of its
/// effects. `new_id` gives the UUIDs of the records it makes.
pub fn decide(
    r: &Report,
    ctx: &Context,
    settings: &Settings,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Plan, Vec<String>> {
    decide_parsed(r, parse(r, settings), ctx, settings, new_id)
}

/// [`decide`], with the report's polygons read already ([`parse`]): an
/// import parses on one core while it decides on another.
pub fn decide_parsed(
    r: &Report,
    parsed: Parsed,
    ctx: &Context,
    settings: &Settings,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Plan, Vec<String>> {
    let new_area = parsed.new_area;
    let checked = checks::check(r, parsed, ctx, settings);
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    let mut plan = plan::plan(r, ctx, settings, checked, new_id)?;
    plan.new_hazard_area_m2 = plan.new_hazard.as_ref().and(new_area);
    Ok(plan)
}

/// A report's polygons read and validated (each with its problems, in the
/// report's order), and the new hazard's geodesic area: what its decision
/// needs that does not depend on the register.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    new_geometry: Option<Polygon>,
    new_area: Option<f64>,
    changed_geometry: Option<Polygon>,
    released: Vec<(ReleaseOutcome, Polygon)>,
    /// An inspection's sample.
    sample: Option<Polygon>,
}

/// A polygon as read: valid, or its problems.
type Polygon = Result<MultiPolygon<f64>, Vec<String>>;

/// Reads, validates and measures a report's polygons (pure: no register).
///
/// ```
/// use safeground_core::approval::{parse, Settings};
/// use safeground_core::report::{self, Report};
/// let r: Report = report::parse(r#"{"type":"NTS","organisation":"ANAMA","start_date":"2024-05-01",
///   "end_date":"2024-05-01","new_hazard":{"name":"North field","district":"Fuzuli","kind":"SHA","contamination":["AP"],
///   "geometry":{"type":"Polygon","coordinates":[[[47,39.5],[47.01,39.5],[47.01,39.51],[47,39.5]]]}}}"#).unwrap();
/// let parsed = parse(&r, &Settings::default());
/// // GeographicLib's `Planimeter -w` gives 477482.6 m² for this triangle.
/// assert!((parsed.new_area_m2().unwrap() - 477_482.6).abs() < 0.1);
/// ```
pub fn parse(r: &Report, settings: &Settings) -> Parsed {
    let rules = crate::validate::Rules { max_vertices: settings.max_vertices, ..Default::default() };
    let polygon = |what: &str, g: &serde_json::Value| crate::report::valid_multipolygon(what, g, &rules);
    // Measured as it is checked: the zero-area check measures every part.
    let measured = r
        .new_hazard
        .as_ref()
        .map(|n| crate::report::valid_measured_multipolygon("the new hazard's polygon", &n.geometry, &rules));
    let new_area = measured.as_ref().and_then(|m| m.as_ref().ok().map(|(_, a)| *a));
    let new_geometry = measured.map(|m| m.map(|(g, _)| g));
    Parsed {
        new_area,
        new_geometry,
        changed_geometry: r.hazard_geometry.as_ref().map(|g| polygon("the hazard's new polygon", g)),
        sample: r
            .inspection
            .as_ref()
            .and_then(|i| i.sample.as_ref())
            .map(|g| polygon("the inspection's sample", g)),
        released: r
            .released
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let outcome = rel.outcome.or(r.report_type.outcome()).unwrap_or(ReleaseOutcome::Cleared);
                (outcome, polygon(&format!("released area {}", i + 1), &rel.geometry))
            })
            .collect(),
    }
}

impl Parsed {
    /// The new hazard's geodesic area (m²), when its polygon is valid.
    pub fn new_area_m2(&self) -> Option<f64> {
        self.new_area
    }
}

/// The problems that would refuse the report now (none: it would be approved).
pub fn check(r: &Report, ctx: &Context, settings: &Settings) -> Vec<String> {
    decide(r, ctx, settings, &mut Uuid::nil).err().unwrap_or_default()
}

#[cfg(test)]
mod tests;
