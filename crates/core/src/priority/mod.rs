//! Priorities that explain themselves: the hazards still dangerous, ranked by
//! a scenario's weighted criteria, each with the contribution of every
//! criterion — so that an officer can say why a hazard comes first.
//!
//! Each criterion gives a hazard a share from 0 to 1 — its population near,
//! casualties near, the value of its land use, whether it blocks access, its
//! evidence, its cost (the cheaper, the higher) — counted against the
//! highest among the hazards ranked where it is a quantity. A criterion's
//! points are `100 × weight / Σ weights × share`; the score is the sum of the
//! points, so the contributions add up to the score and the best possible
//! score is 100.
//!
//! ```
//! use geo::{polygon, MultiPolygon, Point};
//! use safeground_core::priority::{parse_scenario, rank, Candidate, Casualty, Populated};
//! use safeground_core::codes::{HazardKind, HazardStatus, LandUse};
//! use time::macros::date;
//! let s = parse_scenario("name = \"people\"\n[criteria.population]\nweight = 3\nwithin_m = 1000\n\
//!     [criteria.land_use]\nweight = 1\nvalues = { AGRICULTURE = 1.0 }\n").unwrap();
//! let square = |x: f64| MultiPolygon(vec![polygon![(x: x, y: 40.0), (x: x + 0.005, y: 40.0), (x: x + 0.005, y: 40.005), (x: x, y: 40.005)]]);
//! let hazard = |code: &str, x: f64, land_use: Vec<LandUse>| Candidate {
//!     id: Default::default(), code: code.into(), name: code.into(), district: "Füzuli".into(),
//!     kind: HazardKind::Cha, status: HazardStatus::Open, contamination: vec![], land_use,
//!     remaining_m2: 180_000.0, evidence: None, geometry: square(x),
//! };
//! let village = Populated { name: "Quzanlı".into(), location: Point::new(47.0, 40.002), population: 800 };
//! let ranked = rank(&s, &[hazard("far", 47.1, vec![LandUse::Agriculture]), hazard("near", 47.001, vec![])],
//!     &[village], &[], None, date!(2026 - 01 - 01));
//! assert_eq!(ranked[0].code, "near");
//! assert_eq!(ranked[0].score, 75.0); // all of the population's 3/4 of the weight
//! assert_eq!(ranked[1].score, 25.0); // all of the land use's 1/4
//! let sum: f64 = ranked[0].contributions.iter().map(|c| c.points).sum();
//! assert_eq!(sum, ranked[0].score);
//! ```

mod scenario;

/// The scenario that ships with safeground (`scenarios/default.toml`): the
/// command line's default and the web application's.
pub const DEFAULT_SCENARIO: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/default.toml"));

pub use scenario::*;

use crate::codes::{Confidence, EoCategory, HazardKind, HazardStatus, LandUse};
use crate::proximity::near;
use geo::{InteriorPoint, LineString, MultiPolygon, Point};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

/// A hazard that may be ranked, as the store reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub district: String,
    pub kind: HazardKind,
    pub status: HazardStatus,
    pub contamination: Vec<EoCategory>,
    pub land_use: Vec<LandUse>,
    pub remaining_m2: f64,
    /// The strongest confidence of its evidence.
    pub evidence: Option<Confidence>,
    pub geometry: MultiPolygon<f64>,
}

/// A settlement and the people living in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Populated {
    pub name: String,
    pub location: Point<f64>,
    pub population: i64,
}

/// An accident: where, when, how many people were killed or injured.
#[derive(Debug, Clone, PartialEq)]
pub struct Casualty {
    pub location: Point<f64>,
    pub on: Date,
    pub people: i64,
}

/// One criterion's part of a hazard's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contribution {
    pub criterion: &'static str,
    /// What was measured: people, casualties, the land-use value, 1 for
    /// blocked access, the evidence value, the cost.
    pub value: f64,
    /// The share from 0 to 1 the value earns.
    pub share: f64,
    /// `100 × weight / Σ weights × share`.
    pub points: f64,
}

/// A ranked hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub district: String,
    pub kind: HazardKind,
    pub status: HazardStatus,
    pub remaining_m2: f64,
    /// The sum of the contributions' points, from 0 to 100.
    pub score: f64,
    pub contributions: Vec<Contribution>,
    /// With a cost criterion: team-days and cost to clear what remains.
    pub team_days: Option<f64>,
    pub cost: Option<f64>,
    /// The settlements within the population criterion's distance.
    pub settlements: Vec<String>,
    /// A point inside the hazard (longitude, latitude), where a map marks it.
    pub at: [f64; 2],
    #[serde(skip)]
    pub id: Uuid,
}

/// What each criterion measured for one hazard (before the shares).
#[derive(Default, Clone)]
struct Measured {
    population: f64,
    settlements: Vec<String>,
    casualties: f64,
    land_use: f64,
    access: f64,
    evidence: f64,
    cost: f64,
    team_days: f64,
}

/// The hazards the scenario's filter keeps (statuses, kinds, districts,
/// contamination; `line`: the away-from line, already read), ranked, the
/// highest score first (ties: more ground remaining first, then by code).
pub fn rank(
    s: &Scenario,
    candidates: &[Candidate],
    settlements: &[Populated],
    casualties: &[Casualty],
    line: Option<&[LineString<f64>]>,
    as_of: Date,
) -> Vec<Ranked> {
    let kept = filter(s, candidates, line);
    let shapes: Vec<&MultiPolygon<f64>> = kept.iter().map(|c| &c.geometry).collect();
    let measured = measure(s, &kept, &shapes, settlements, casualties, as_of);
    let total: f64 = s.weights().iter().map(|(_, w)| w).sum();
    let max = |f: fn(&Measured) -> f64| measured.iter().map(f).fold(0.0, f64::max);
    let (max_pop, max_cas, max_cost) = (max(|m| m.population), max(|m| m.casualties), max(|m| m.cost));
    let relative = |v: f64, top: f64| if top > 0.0 { v / top } else { 0.0 };
    let mut ranked: Vec<Ranked> = kept
        .iter()
        .zip(&measured)
        .map(|(c, m)| {
            let contributions: Vec<Contribution> = s
                .weights()
                .into_iter()
                .map(|(criterion, w)| {
                    let (value, share) = match criterion {
                        "population" => (m.population, relative(m.population, max_pop)),
                        "casualties" => (m.casualties, relative(m.casualties, max_cas)),
                        "land_use" => (m.land_use, m.land_use),
                        "access" => (m.access, m.access),
                        "evidence" => (m.evidence, m.evidence),
                        _ => (m.cost, if max_cost > 0.0 { 1.0 - m.cost / max_cost } else { 1.0 }),
                    };
                    Contribution { criterion, value, share, points: 100.0 * w / total * share }
                })
                .collect();
            Ranked {
                rank: 0,
                id: c.id,
                code: c.code.clone(),
                name: c.name.clone(),
                district: c.district.clone(),
                kind: c.kind,
                status: c.status,
                remaining_m2: c.remaining_m2,
                score: contributions.iter().map(|c| c.points).sum(),
                contributions,
                team_days: s.criteria.cost.as_ref().map(|_| m.team_days),
                cost: s.criteria.cost.as_ref().map(|_| m.cost),
                settlements: m.settlements.clone(),
                at: c.geometry.interior_point().map_or([0.0, 0.0], |p| [p.x(), p.y()]),
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then(b.remaining_m2.total_cmp(&a.remaining_m2)).then(a.code.cmp(&b.code))
    });
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    ranked
}

fn filter<'c>(
    s: &Scenario,
    candidates: &'c [Candidate],
    line: Option<&[LineString<f64>]>,
) -> Vec<&'c Candidate> {
    let f = &s.filter;
    let mut kept: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| f.statuses.contains(&c.status))
        .filter(|c| f.kinds.is_empty() || f.kinds.contains(&c.kind))
        .filter(|c| {
            f.districts.is_empty()
                || f.districts.iter().any(|d| d.to_lowercase() == c.district.to_lowercase())
        })
        .filter(|c| f.contamination.is_empty() || c.contamination.iter().any(|x| f.contamination.contains(x)))
        .collect();
    if let (Some(a), Some(lines)) = (&f.away_from, line) {
        let points = densify(lines, 100.0);
        let shapes: Vec<&MultiPolygon<f64>> = kept.iter().map(|c| &c.geometry).collect();
        let close: std::collections::HashSet<usize> =
            near(&points, &shapes, a.km * 1000.0).into_iter().map(|n| n.hazard).collect();
        kept = kept.into_iter().enumerate().filter(|(i, _)| !close.contains(i)).map(|(_, c)| c).collect();
    }
    kept
}

fn measure(
    s: &Scenario,
    kept: &[&Candidate],
    shapes: &[&MultiPolygon<f64>],
    settlements: &[Populated],
    casualties: &[Casualty],
    as_of: Date,
) -> Vec<Measured> {
    let c = &s.criteria;
    let mut m = vec![Measured::default(); kept.len()];
    let places: Vec<Point<f64>> = settlements.iter().map(|p| p.location).collect();
    if let Some(p) = &c.population {
        for n in near(&places, shapes, p.within_m) {
            let place = &settlements[n.point];
            m[n.hazard].population += place.population.max(0) as f64;
            m[n.hazard].settlements.push(place.name.clone());
        }
    }
    if let Some(a) = &c.access {
        let mut nearby = vec![0usize; kept.len()];
        for n in near(&places, shapes, a.within_m) {
            nearby[n.hazard] += 1;
        }
        for (i, h) in kept.iter().enumerate() {
            m[i].access = if h.land_use.contains(&LandUse::Road) || nearby[i] >= 2 { 1.0 } else { 0.0 };
        }
    }
    if let Some(x) = &c.casualties {
        let since = years_before(as_of, x.years);
        let recent: Vec<&Casualty> = casualties.iter().filter(|k| k.on > since && k.on <= as_of).collect();
        let points: Vec<Point<f64>> = recent.iter().map(|k| k.location).collect();
        for n in near(&points, shapes, x.within_m) {
            m[n.hazard].casualties += recent[n.point].people.max(0) as f64;
        }
    }
    for (i, h) in kept.iter().enumerate() {
        if let Some(l) = &c.land_use {
            m[i].land_use = h.land_use.iter().filter_map(|u| l.values.get(u)).fold(0.0, |a, b| a.max(*b));
        }
        if let Some(e) = &c.evidence {
            m[i].evidence = h.evidence.and_then(|v| e.values.get(&v)).copied().unwrap_or(0.0);
        }
        if let Some(k) = &c.cost {
            m[i].team_days = h.remaining_m2 / k.m2_per_team_day;
            m[i].cost = m[i].team_days * k.team_day_cost;
        }
    }
    m
}

/// The same day `years` years before (29 February: the 28th, in a year without one).
fn years_before(day: Date, years: u32) -> Date {
    let year = day.year() - years as i32;
    day.replace_year(year).or_else(|_| Date::from_calendar_date(year, day.month(), 28)).unwrap_or(Date::MIN)
}

/// Points along the lines, no more than `step_m` apart (a hazard's distance
/// to a line is then its distance to these points, to within half a step).
fn densify(lines: &[LineString<f64>], step_m: f64) -> Vec<Point<f64>> {
    let mut out = vec![];
    for l in lines {
        for seg in l.lines() {
            let d = crate::area::distance(seg.start.y, seg.start.x, seg.end.y, seg.end.x);
            let n = (d / step_m).ceil().max(1.0) as usize;
            for k in 0..n {
                let t = k as f64 / n as f64;
                out.push(Point::new(
                    seg.start.x + t * (seg.end.x - seg.start.x),
                    seg.start.y + t * (seg.end.y - seg.start.y),
                ));
            }
        }
        if let Some(last) = l.0.last() {
            out.push(Point(*last));
        }
    }
    out
}

/// The lines of a GeoJSON text: a LineString or MultiLineString geometry, a
/// Feature of one, or a FeatureCollection of them.
pub fn read_lines(text: &str) -> Result<Vec<LineString<f64>>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not GeoJSON: {e}"))?;
    let mut out = vec![];
    collect_lines(&v, &mut out)?;
    if out.is_empty() {
        return Err("it holds no LineString or MultiLineString".into());
    }
    Ok(out)
}

fn collect_lines(v: &serde_json::Value, out: &mut Vec<LineString<f64>>) -> Result<(), String> {
    let line = |c: &serde_json::Value| -> Result<LineString<f64>, String> {
        let pts = c.as_array().ok_or("coordinates: not an array")?;
        let coords = pts
            .iter()
            .map(|p| {
                match p
                    .as_array()
                    .map(|a| (a.first().and_then(|x| x.as_f64()), a.get(1).and_then(|y| y.as_f64())))
                {
                    Some((Some(x), Some(y)))
                        if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) =>
                    {
                        Ok(geo::Coord { x, y })
                    }
                    _ => Err(format!("coordinates: {p} is not a longitude, latitude pair")),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if coords.len() < 2 {
            return Err("a line needs two positions or more".into());
        }
        Ok(LineString(coords))
    };
    match v.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => {
            for f in v.get("features").and_then(|f| f.as_array()).into_iter().flatten() {
                collect_lines(f, out)?;
            }
        }
        Some("Feature") => {
            if let Some(g) = v.get("geometry") {
                collect_lines(g, out)?;
            }
        }
        Some("LineString") => out.push(line(&v["coordinates"])?),
        Some("MultiLineString") => {
            for c in v["coordinates"].as_array().ok_or("coordinates: not an array")? {
                out.push(line(c)?);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Two rankings side by side: every hazard of either, by its best rank,
/// with its rank and score in each (`None`: filtered out there).
pub fn compare<'a>(
    a: &'a [Ranked],
    b: &'a [Ranked],
) -> Vec<(&'a str, Option<&'a Ranked>, Option<&'a Ranked>)> {
    let mut codes: Vec<&str> = a.iter().chain(b).map(|r| r.code.as_str()).collect();
    codes.sort();
    codes.dedup();
    let find = |list: &'a [Ranked], code: &str| list.iter().find(|r| r.code == code);
    let mut rows: Vec<_> = codes.into_iter().map(|c| (c, find(a, c), find(b, c))).collect();
    let best = |(_, x, y): &(&str, Option<&Ranked>, Option<&Ranked>)| {
        x.map_or(usize::MAX, |r| r.rank).min(y.map_or(usize::MAX, |r| r.rank))
    };
    rows.sort_by(|p, q| best(p).cmp(&best(q)).then(p.0.cmp(q.0)));
    rows
}

#[cfg(test)]
mod tests;
