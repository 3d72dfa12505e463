//! A priority scenario as the authority writes it (TOML), read and checked:
//! every criterion's weight and parameters, and the filters. Every problem is
//! named by its field (and, for TOML errors, line and column).

use crate::codes::{ClearanceMethod, Confidence, EoCategory, HazardKind, HazardStatus, LandUse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A ranking's criteria and filters.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub criteria: Criteria,
    #[serde(default)]
    pub filter: Filter,
}

/// The criteria; those left out count for nothing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// People living near: the population of the settlements within `within_m`.
    pub population: Option<Near>,
    /// Casualties (killed and injured) within `within_m` over the last `years`.
    pub casualties: Option<Casualties>,
    /// What the land is for: each land use's value from 0 to 1, the highest of the hazard's counts.
    pub land_use: Option<LandUseWeights>,
    /// Blocked access: the hazard lies on a road, or on the approach between
    /// two settlements (within `within_m` of both).
    pub access: Option<Near>,
    /// Evidence confidence: the strongest of the hazard's evidence.
    pub evidence: Option<Evidence>,
    /// Estimated cost of clearing what remains; the cheaper, the sooner.
    pub cost: Option<Cost>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    pub weight: f64,
    pub within_m: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Casualties {
    pub weight: f64,
    pub within_m: f64,
    pub years: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LandUseWeights {
    pub weight: f64,
    pub values: BTreeMap<LandUse, f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub weight: f64,
    /// The value of each confidence, from 0 to 1 (default HIGH 1, MEDIUM 0.6, LOW 0.3).
    #[serde(default = "default_confidence")]
    pub values: BTreeMap<Confidence, f64>,
}

fn default_confidence() -> BTreeMap<Confidence, f64> {
    BTreeMap::from([(Confidence::High, 1.0), (Confidence::Medium, 0.6), (Confidence::Low, 0.3)])
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub weight: f64,
    /// The method the estimate assumes.
    pub method: ClearanceMethod,
    /// Square metres one team clears in a day with it.
    pub m2_per_team_day: f64,
    /// What a team-day costs, in `currency`.
    pub team_day_cost: f64,
    pub currency: String,
}

/// Which hazards are ranked: still dangerous (OPEN, WORKED_ON) by default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default = "default_statuses")]
    pub statuses: Vec<HazardStatus>,
    /// SHA, CHA; empty: both.
    #[serde(default)]
    pub kinds: Vec<HazardKind>,
    /// District names; empty: all.
    #[serde(default)]
    pub districts: Vec<String>,
    /// Only hazards holding one of these; empty: any.
    #[serde(default)]
    pub contamination: Vec<EoCategory>,
    /// Only hazards farther than `km` from the line in a GeoJSON file (the
    /// line of contact, a border), its path relative to the scenario's.
    pub away_from: Option<AwayFrom>,
}

fn default_statuses() -> Vec<HazardStatus> {
    vec![HazardStatus::Open, HazardStatus::WorkedOn]
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            statuses: default_statuses(),
            kinds: Vec::new(),
            districts: Vec::new(),
            contamination: Vec::new(),
            away_from: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AwayFrom {
    pub line: String,
    pub km: f64,
}

/// A scenario that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{0}")]
    Toml(String),
    #[error("the scenario has problems: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Reads and checks a scenario.
///
/// ```
/// use safeground_core::priority::parse_scenario;
/// let s = parse_scenario("name = \"people first\"\n[criteria.population]\nweight = 1\nwithin_m = 2000\n").unwrap();
/// assert_eq!(s.criteria.population.unwrap().within_m, 2000.0);
/// let e = parse_scenario("name = \"x\"\n[criteria.population]\nweight = -1\nwithin_m = 2000\n").unwrap_err();
/// assert!(e.to_string().contains("criteria.population.weight"));
/// ```
pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    let s: Scenario =
        toml::from_str(text).map_err(|e| ScenarioError::Toml(e.to_string().trim().to_string()))?;
    let problems = s.problems();
    if problems.is_empty() {
        Ok(s)
    } else {
        Err(ScenarioError::Invalid(problems))
    }
}

impl Scenario {
    /// The criteria in use, as (name, weight).
    pub fn weights(&self) -> Vec<(&'static str, f64)> {
        let c = &self.criteria;
        [
            ("population", c.population.as_ref().map(|x| x.weight)),
            ("casualties", c.casualties.as_ref().map(|x| x.weight)),
            ("land_use", c.land_use.as_ref().map(|x| x.weight)),
            ("access", c.access.as_ref().map(|x| x.weight)),
            ("evidence", c.evidence.as_ref().map(|x| x.weight)),
            ("cost", c.cost.as_ref().map(|x| x.weight)),
        ]
        .into_iter()
        .filter_map(|(n, w)| w.map(|w| (n, w)))
        .collect()
    }

    /// Every problem, by field.
    pub fn problems(&self) -> Vec<String> {
        let mut p = vec![];
        if self.name.trim().is_empty() {
            p.push("name: give the scenario a name".into());
        }
        for (n, w) in self.weights() {
            if !(w.is_finite() && w >= 0.0) {
                p.push(format!("criteria.{n}.weight: {w} is not a weight (a number, 0 or more)"));
            }
        }
        if self.weights().iter().map(|(_, w)| w.max(0.0)).sum::<f64>() <= 0.0 {
            p.push("criteria: give at least one criterion a weight above 0".into());
        }
        let c = &self.criteria;
        let distance = |p: &mut Vec<String>, n: &str, m: f64| {
            if !(m.is_finite() && m > 0.0 && m <= 100_000.0) {
                p.push(format!("criteria.{n}.within_m: {m} is not a distance from 1 m to 100 km"));
            }
        };
        if let Some(x) = &c.population {
            distance(&mut p, "population", x.within_m);
        }
        if let Some(x) = &c.access {
            distance(&mut p, "access", x.within_m);
        }
        if let Some(x) = &c.casualties {
            distance(&mut p, "casualties", x.within_m);
            if !(1..=100).contains(&x.years) {
                p.push(format!("criteria.casualties.years: {} is not from 1 to 100", x.years));
            }
        }
        let share = |p: &mut Vec<String>, field: String, v: f64| {
            if !(0.0..=1.0).contains(&v) {
                p.push(format!("{field}: {v} is not a value from 0 to 1"));
            }
        };
        if let Some(x) = &c.land_use {
            for (k, v) in &x.values {
                share(&mut p, format!("criteria.land_use.values.{}", k.code()), *v);
            }
        }
        if let Some(x) = &c.evidence {
            for (k, v) in &x.values {
                share(&mut p, format!("criteria.evidence.values.{}", k.code()), *v);
            }
        }
        if let Some(x) = &c.cost {
            if !(x.m2_per_team_day.is_finite() && x.m2_per_team_day > 0.0) {
                p.push(format!("criteria.cost.m2_per_team_day: {} is not above 0", x.m2_per_team_day));
            }
            if !(x.team_day_cost.is_finite() && x.team_day_cost >= 0.0) {
                p.push(format!("criteria.cost.team_day_cost: {} is not 0 or more", x.team_day_cost));
            }
        }
        if self.filter.statuses.is_empty() {
            p.push("filter.statuses: name at least one status".into());
        }
        if let Some(a) = &self.filter.away_from {
            if !(a.km.is_finite() && a.km > 0.0 && a.km <= 1000.0) {
                p.push(format!("filter.away_from.km: {} is not from 0 to 1000 km", a.km));
            }
        }
        p
    }
}
