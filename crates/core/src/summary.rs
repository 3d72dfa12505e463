//! The national land-release summary: per district and in total.
//!
//! The store supplies facts (one per hazard, EO find, victim and EORE session,
//! each tagged with its district); [`SummaryBuilder`] adds them up. National
//! totals are the sums over districts by construction, and districts are the
//! sums over their hazards, which is the invariant the register promises.
//!
//! ```
//! use safeground_core::accounting::ReleaseFigures;
//! use safeground_core::codes::HazardStatus;
//! use safeground_core::summary::SummaryBuilder;
//! let mut b = SummaryBuilder::default();
//! let f = ReleaseFigures { recorded: 100.0, cleared: 40.0, remaining: 60.0, ..Default::default() };
//! b.hazard("Ağdam", HazardStatus::WorkedOn, &f);
//! b.hazard("Füzuli", HazardStatus::Open, &ReleaseFigures { recorded: 50.0, remaining: 50.0, ..Default::default() });
//! let s = b.build();
//! assert_eq!(s.totals.area_m2.recorded, 150.0);
//! assert_eq!(s.totals.hazards.worked_on, 1);
//! assert_eq!(s.districts.len(), 2);
//! ```

use crate::accounting::ReleaseFigures;
use crate::codes::{EoCategory, HazardStatus, VictimOutcome};
use crate::model::Reach;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hazards counted by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardCounts {
    pub total: i64,
    pub open: i64,
    pub worked_on: i64,
    pub closed: i64,
    pub handed_over: i64,
}

/// People killed and injured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Casualties {
    pub killed: i64,
    pub injured: i64,
}

/// The figures of one district, or of the nation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub hazards: HazardCounts,
    pub area_m2: ReleaseFigures,
    pub area_km2: ReleaseFigures,
    /// Items of EO destroyed (in situ or after removal), by category code.
    pub eo_destroyed: BTreeMap<EoCategory, i64>,
    /// Casualties by calendar year.
    pub casualties: BTreeMap<i32, Casualties>,
    /// People reached by risk education, by sex and age group.
    pub eore_reach: Reach,
}

/// A district's figures with its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictFigures {
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The national summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub totals: Figures,
    /// Districts that have any record, by name.
    pub districts: Vec<DistrictFigures>,
}

/// Adds up facts into a [`Summary`].
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    districts: BTreeMap<String, Figures>,
}

impl Figures {
    fn add_hazard(&mut self, status: HazardStatus, f: &ReleaseFigures) {
        self.hazards.total += 1;
        match status {
            HazardStatus::Open => self.hazards.open += 1,
            HazardStatus::WorkedOn => self.hazards.worked_on += 1,
            HazardStatus::Closed => self.hazards.closed += 1,
            HazardStatus::HandedOver => self.hazards.handed_over += 1,
        }
        let a = &mut self.area_m2;
        a.recorded += f.recorded;
        a.cancelled += f.cancelled;
        a.reduced += f.reduced;
        a.cleared += f.cleared;
        a.remaining += f.remaining;
    }

    fn merge(&mut self, o: &Figures) {
        self.hazards.total += o.hazards.total;
        self.hazards.open += o.hazards.open;
        self.hazards.worked_on += o.hazards.worked_on;
        self.hazards.closed += o.hazards.closed;
        self.hazards.handed_over += o.hazards.handed_over;
        let (a, b) = (&mut self.area_m2, &o.area_m2);
        a.recorded += b.recorded;
        a.cancelled += b.cancelled;
        a.reduced += b.reduced;
        a.cleared += b.cleared;
        a.remaining += b.remaining;
        for (k, v) in &o.eo_destroyed {
            let n = self.eo_destroyed.entry(*k).or_default();
            *n = n.saturating_add(*v);
        }
        for (y, c) in &o.casualties {
            let e = self.casualties.entry(*y).or_default();
            e.killed = e.killed.saturating_add(c.killed);
            e.injured = e.injured.saturating_add(c.injured);
        }
        self.eore_reach += o.eore_reach;
    }

    /// Rounds to centimetre-square precision and fills the km² figures, so the
    /// printed numbers do not depend on the order floating-point sums ran in.
    fn finish(&mut self) {
        let r2 = |v: f64| (v * 100.0).round() / 100.0;
        let a = &mut self.area_m2;
        for v in [&mut a.recorded, &mut a.cancelled, &mut a.reduced, &mut a.cleared, &mut a.remaining] {
            *v = r2(*v);
        }
        let km = |v: f64| (v / 1e6 * 1e6).round() / 1e6;
        self.area_km2 = ReleaseFigures {
            recorded: km(a.recorded),
            cancelled: km(a.cancelled),
            reduced: km(a.reduced),
            cleared: km(a.cleared),
            remaining: km(a.remaining),
        };
    }
}

impl SummaryBuilder {
    fn district(&mut self, name: &str) -> &mut Figures {
        self.districts.entry(name.to_string()).or_default()
    }

    /// One hazard with its land-release figures.
    pub fn hazard(&mut self, district: &str, status: HazardStatus, figures: &ReleaseFigures) {
        self.district(district).add_hazard(status, figures);
    }

    /// Items of EO destroyed. Counts add up saturating: approval bounds
    /// every quantity, so only a register written before the bounds could
    /// reach the limit, and a total never turns negative.
    pub fn eo_destroyed(&mut self, district: &str, category: EoCategory, quantity: i64) {
        let n = self.district(district).eo_destroyed.entry(category).or_default();
        *n = n.saturating_add(quantity);
    }

    /// `n` victims of accidents in the given year with the same outcome.
    pub fn casualties(&mut self, district: &str, year: i32, outcome: VictimOutcome, n: i64) {
        let c = self.district(district).casualties.entry(year).or_default();
        match outcome {
            VictimOutcome::Killed => c.killed = c.killed.saturating_add(n),
            VictimOutcome::Injured => c.injured = c.injured.saturating_add(n),
        }
    }

    /// People reached by one EORE session.
    pub fn eore(&mut self, district: &str, reach: Reach) {
        self.district(district).eore_reach += reach;
    }

    pub fn build(self) -> Summary {
        let mut totals = Figures::default();
        for f in self.districts.values() {
            totals.merge(f);
        }
        totals.finish();
        let districts = self
            .districts
            .into_iter()
            .map(|(name, mut figures)| {
                figures.finish();
                DistrictFigures { name, figures }
            })
            .collect();
        Summary { totals, districts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_saturating_never_negative() {
        let mut b = SummaryBuilder::default();
        b.eo_destroyed("Agdam", EoCategory::Uxo, i64::MAX);
        b.eo_destroyed("Agdam", EoCategory::Uxo, 5);
        b.eo_destroyed("Fuzuli", EoCategory::Uxo, i64::MAX);
        let s = b.build();
        assert_eq!(s.totals.eo_destroyed[&EoCategory::Uxo], i64::MAX);
        assert_eq!(s.districts[0].figures.eo_destroyed[&EoCategory::Uxo], i64::MAX);
    }

    #[test]
    fn totals_are_sums_over_districts() {
        let mut b = SummaryBuilder::default();
        let f = |r: f64, c: f64| ReleaseFigures {
            recorded: r,
            cleared: c,
            remaining: r - c,
            ..Default::default()
        };
        b.hazard("A", HazardStatus::Open, &f(10.0, 0.0));
        b.hazard("A", HazardStatus::Closed, &f(20.0, 20.0));
        b.hazard("B", HazardStatus::WorkedOn, &f(5.5, 2.25));
        b.eo_destroyed("A", EoCategory::Ap, 3);
        b.eo_destroyed("B", EoCategory::Ap, 4);
        b.casualties("B", 2022, VictimOutcome::Killed, 1);
        b.casualties("A", 2022, VictimOutcome::Injured, 1);
        b.eore("A", Reach { girls: 1, boys: 2, women: 3, men: 4 });
        let s = b.build();
        assert_eq!(s.totals.area_m2.recorded, 35.5);
        assert_eq!(s.totals.area_m2.remaining, 13.25);
        assert_eq!(
            s.totals.hazards,
            HazardCounts { total: 3, open: 1, worked_on: 1, closed: 1, handed_over: 0 }
        );
        assert_eq!(s.totals.eo_destroyed[&EoCategory::Ap], 7);
        assert_eq!(s.totals.casualties[&2022], Casualties { killed: 1, injured: 1 });
        assert_eq!(s.totals.eore_reach.total(), 10);
        assert_eq!(s.districts.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["districts"][1]["area_m2"]["cleared"], 2.25);
        assert_eq!(json["totals"]["eo_destroyed"]["AP"], 7);
    }
}
