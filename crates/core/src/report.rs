//! Field reports: how data enters the register. Nothing is edited in place;
//! a report is submitted, checked, and approved (its effects applied in one
//! transaction) or rejected with a reason; an approved report can later be
//! unapproved, which reverses its effects.
//!
//! The JSON form is documented with an example per type in `docs/reports.md`
//! (the examples there are `examples/reports/*.json`, which the tests submit).
//! References to the register (organisation, task, hazard, team, district)
//! are by code, acronym, name or UUID; geometries are GeoJSON; positions are
//! `[lon, lat]` or text in any notation [`crate::coords`] reads.

use crate::codes::*;
use crate::coords::parse_position;
use crate::validate::RawPolygon;
use geo::{Coord, Point};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use uuid::Uuid;

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportType {
    /// Non-technical survey: may create a hazard, change its polygon, or cancel ground.
    #[serde(rename = "NTS")]
    Nts,
    /// Technical survey: confirms a hazard, reduces ground.
    #[serde(rename = "TS")]
    Ts,
    /// Clearance progress or completion: clears ground, EO found.
    #[serde(rename = "CLEARANCE")]
    Clearance,
    #[serde(rename = "EOD_SPOT_TASK")]
    EodSpotTask,
    #[serde(rename = "EO_FIND")]
    EoFind,
    #[serde(rename = "ACCIDENT")]
    Accident,
    #[serde(rename = "EORE_SESSION")]
    EoreSession,
    /// Quality management inspection: a failed QC re-opens released ground.
    #[serde(rename = "QM_INSPECTION")]
    QmInspection,
}

impl std::fmt::Display for ReportType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

impl std::str::FromStr for ReportType {
    type Err = crate::codes::UnknownCode;
    /// A code as [`ReportType::from_code`] reads it, or what the codes are.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportType::from_code(s).ok_or_else(|| crate::codes::UnknownCode {
            list: "report type",
            value: s.to_string(),
            expected: ReportType::ALL.iter().map(|t| t.code()).collect::<Vec<_>>().join(", "),
        })
    }
}

impl ReportType {
    pub fn code(self) -> &'static str {
        match self {
            ReportType::Nts => "NTS",
            ReportType::Ts => "TS",
            ReportType::Clearance => "CLEARANCE",
            ReportType::EodSpotTask => "EOD_SPOT_TASK",
            ReportType::EoFind => "EO_FIND",
            ReportType::Accident => "ACCIDENT",
            ReportType::EoreSession => "EORE_SESSION",
            ReportType::QmInspection => "QM_INSPECTION",
        }
    }

    /// Every type, in order.
    pub const ALL: &'static [ReportType] = &[
        ReportType::Nts,
        ReportType::Ts,
        ReportType::Clearance,
        ReportType::EodSpotTask,
        ReportType::EoFind,
        ReportType::Accident,
        ReportType::EoreSession,
        ReportType::QmInspection,
    ];

    /// The type of this code (`NTS`, `QM_INSPECTION`, …), if it is one.
    pub fn from_code(code: &str) -> Option<ReportType> {
        ReportType::ALL.iter().copied().find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The activity a report of this type records, if any.
    pub fn activity(self) -> Option<ActivityKind> {
        match self {
            ReportType::Nts => Some(ActivityKind::Nts),
            ReportType::Ts => Some(ActivityKind::Ts),
            ReportType::Clearance => Some(ActivityKind::Clearance),
            ReportType::EodSpotTask => Some(ActivityKind::EodSpotTask),
            _ => None,
        }
    }

    /// The outcome of ground released by this type of report.
    pub fn outcome(self) -> Option<ReleaseOutcome> {
        match self {
            ReportType::Nts => Some(ReleaseOutcome::Cancelled),
            ReportType::Ts => Some(ReleaseOutcome::Reduced),
            ReportType::Clearance => Some(ReleaseOutcome::Cleared),
            _ => None,
        }
    }
}

/// A place given either as `[lon, lat]` or as text in any notation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Place {
    LonLat([f64; 2]),
    Text(String),
}

impl Place {
    pub fn point(&self) -> Result<Point<f64>, String> {
        match self {
            Place::LonLat([lon, lat]) => {
                if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 {
                    Ok(Point::new(*lon, *lat))
                } else {
                    Err(format!("[{lon}, {lat}] is not a longitude/latitude"))
                }
            }
            Place::Text(s) => parse_position(s).map(|p| p.position.into()).map_err(|e| e.to_string()),
        }
    }
}

/// Ground released by the report: a polygon and, for reports that release by
/// more than one outcome, which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Its UUID when it comes from another database (an import); otherwise one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// GeoJSON Polygon or MultiPolygon.
    pub geometry: Value,
    /// Defaults to the report type's outcome (NTS cancels, TS reduces, clearance clears).
    #[serde(default)]
    pub outcome: Option<ReleaseOutcome>,
}

/// A new hazard, recorded by a non-technical survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHazard {
    /// The hazard's UUID, when the field assigned one; otherwise one is made.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    pub kind: HazardKind,
    /// District name (either spelling) or UUID.
    pub district: String,
    pub contamination: Vec<EoCategory>,
    #[serde(default)]
    pub land_use: Vec<LandUse>,
    #[serde(default)]
    pub evidence: Vec<crate::model::Evidence>,
    pub geometry: Value,
    #[serde(default)]
    pub benchmark: Option<Place>,
    #[serde(default)]
    pub reference_point: Option<Place>,
    #[serde(default)]
    pub reference_description: Option<String>,
    #[serde(default)]
    pub beneficiaries: Option<i64>,
    /// The code to give it; by default the next code of its district.
    #[serde(default)]
    pub code: Option<String>,
}

/// An item (or batch) of EO found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Find {
    /// Its UUID when it comes from another database (an import); otherwise one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub category: EoCategory,
    #[serde(rename = "type")]
    pub eo_type: String,
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default = "unknown_condition")]
    pub condition: EoCondition,
    #[serde(default)]
    pub fuze_state: Option<String>,
    pub disposal: Disposal,
    pub location: Place,
    /// Defaults to the report's end date.
    #[serde(default)]
    pub found_on: Option<Date>,
}

fn one() -> i64 {
    1
}
fn unknown_condition() -> EoCondition {
    EoCondition::Unknown
}

/// A victim as reported; `name` and `contact` are personal data, stored apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportedVictim {
    pub outcome: VictimOutcome,
    pub sex: Sex,
    #[serde(default)]
    pub age: Option<i64>,
    #[serde(default)]
    pub occupation: Option<String>,
    #[serde(default)]
    pub injuries: Option<String>,
    #[serde(default)]
    pub assistance: Option<String>,
    /// None, from the accident, or from before; left out when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<Disability>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportedAccident {
    /// Its UUID when it comes from another database (an import); otherwise one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub kind: AccidentKind,
    pub location: Place,
    pub device_category: EoCategory,
    pub activity_at_time: ActivityAtTime,
    #[serde(default)]
    pub area_marked: bool,
    pub cause: String,
    pub victims: Vec<ReportedVictim>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportedSession {
    /// Its UUID when it comes from another database (an import); otherwise one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub kind: EoreKind,
    pub audience: Audience,
    /// A settlement name, or a place.
    #[serde(default)]
    pub settlement: Option<String>,
    #[serde(default)]
    pub location: Option<Place>,
    pub reach: crate::model::Reach,
    /// Of those reached, the people with a disability, by the same groups;
    /// left out when not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_disability: Option<crate::model::Reach>,
}

/// The result of a QM inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QmResult {
    #[serde(rename = "PASS")]
    Pass,
    #[serde(rename = "FAIL")]
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// A quality-control inspection of released ground (the default) or a
    /// quality-assurance visit to work in progress (which names its task).
    #[serde(default = "quality_control")]
    pub kind: crate::codes::InspectionKind,
    pub result: QmResult,
    /// On a failed QC, the released areas (UUIDs) whose ground is re-opened.
    #[serde(default)]
    pub reopen: Vec<Uuid>,
    /// The released areas (UUIDs) a QC inspected and does not re-open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspected: Vec<Uuid>,
    /// The ground searched again (GeoJSON Polygon or MultiPolygon): for a
    /// QC, inside the released areas inspected; for a QA visit, inside the
    /// task's hazard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Value>,
    /// The explosive items found in the sample (or, on a QA visit, left
    /// behind in ground the team had searched): any fails the inspection.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub items_found: i64,
    #[serde(default)]
    pub findings: Option<String>,
}

fn quality_control() -> crate::codes::InspectionKind {
    crate::codes::InspectionKind::QualityControl
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Inspection {
    /// The released areas the inspection is about: those it re-opens, then
    /// those it inspected only (the order [`crate::approval::Context::inspected`] follows).
    pub fn ground(&self) -> impl Iterator<Item = &Uuid> {
        self.reopen.iter().chain(&self.inspected)
    }
}

/// A field report as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    #[serde(rename = "type")]
    pub report_type: ReportType,
    /// Assigned on submission when absent; a report keeps its id everywhere.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The author organisation: acronym or UUID.
    pub organisation: String,
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub hazard: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    pub start_date: Date,
    pub end_date: Date,
    #[serde(default)]
    pub method: Option<ClearanceMethod>,
    #[serde(default)]
    pub depth_cm: Option<i64>,
    #[serde(default)]
    pub hours_worked: Option<f64>,
    /// A completion report: the hazard closes if nothing is left.
    #[serde(default)]
    pub completion: bool,
    /// With a completion: the land is handed back to its users.
    #[serde(default)]
    pub handed_over: bool,
    #[serde(default)]
    pub new_hazard: Option<NewHazard>,
    /// NTS: the hazard's polygon as re-surveyed.
    #[serde(default)]
    pub hazard_geometry: Option<Value>,
    /// TS: the hazard is confirmed (SHA becomes CHA).
    #[serde(default)]
    pub confirm: bool,
    #[serde(default)]
    pub released: Vec<Release>,
    #[serde(default)]
    pub eo_finds: Vec<Find>,
    #[serde(default)]
    pub accident: Option<ReportedAccident>,
    #[serde(default)]
    pub session: Option<ReportedSession>,
    #[serde(default)]
    pub inspection: Option<Inspection>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Set only on the report `safeground import` makes for a batch of a
    /// file's features (which file, and which records each feature became);
    /// a report submitted with it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportSource>,
}

/// The file an import report's records came from: its name, its SHA-256,
/// the layer it was read as, and what each of its features became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportSource {
    pub file: String,
    pub sha256: String,
    pub layer: String,
    pub items: Vec<ImportedItem>,
}

/// One decision of an import: the features it took (several when a layer
/// groups them, as the EO finds of one activity) and the records it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportedItem {
    pub features: Vec<String>,
    pub records: Vec<Uuid>,
    /// What the source held beside the fields the register has (a
    /// migration keeps the columns its mapping did not use), as read.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: std::collections::BTreeMap<String, Value>,
}

impl Report {
    /// A report of type `t` with nothing in it but its author and dates.
    pub fn blank(t: ReportType, organisation: impl Into<String>, start: Date, end: Date) -> Report {
        Report {
            report_type: t,
            id: None,
            organisation: organisation.into(),
            task: None,
            hazard: None,
            team: None,
            start_date: start,
            end_date: end,
            method: None,
            depth_cm: None,
            hours_worked: None,
            completion: false,
            handed_over: false,
            new_hazard: None,
            hazard_geometry: None,
            confirm: false,
            released: vec![],
            eo_finds: vec![],
            accident: None,
            session: None,
            inspection: None,
            notes: None,
            import: None,
        }
    }
}

/// A report that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ReportError(pub String);

/// Reads a report from JSON, with serde's message (which names the field and
/// line) when it does not fit.
pub fn parse(text: &str) -> Result<Report, ReportError> {
    serde_json::from_str(text).map_err(|e| ReportError(format!("not a safeground report: {e}")))
}

/// A GeoJSON Polygon or MultiPolygon that passes validation, as a
/// multipolygon; otherwise every problem, prefixed with `what`.
pub fn valid_multipolygon(
    what: &str,
    g: &Value,
    rules: &crate::validate::Rules,
) -> Result<geo::MultiPolygon<f64>, Vec<String>> {
    valid_measured_multipolygon(what, g, rules).map(|(mp, _)| mp)
}

/// [`valid_multipolygon`] and its geodesic area in m²
/// ([`crate::area::multipolygon_area`]), measured once by the checks.
pub fn valid_measured_multipolygon(
    what: &str,
    g: &Value,
    rules: &crate::validate::Rules,
) -> Result<(geo::MultiPolygon<f64>, f64), Vec<String>> {
    let raw = raw_polygons(g).map_err(|e| vec![format!("{what}: {e}")])?;
    let (issues, area) = crate::validate::validate_measured(&raw, rules);
    let issues: Vec<String> =
        issues.into_iter().filter(|i| i.is_error()).map(|i| format!("{what}: {i}")).collect();
    if !issues.is_empty() {
        return Err(issues);
    }
    let mp = geo::MultiPolygon(
        raw.iter()
            .map(|p| {
                let mut rings = p.iter().map(|r| geo::LineString(r.clone()));
                let shell = rings.next().unwrap_or_else(|| geo::LineString(vec![]));
                geo::Polygon::new(shell, rings.collect())
            })
            .collect(),
    );
    let area = area.unwrap_or_else(|| crate::area::multipolygon_area(&mp));
    Ok((mp, area))
}

/// The polygons of a GeoJSON Polygon or MultiPolygon value, rings as written.
pub fn raw_polygons(g: &Value) -> Result<Vec<RawPolygon>, String> {
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g.get("coordinates").ok_or("the geometry has no coordinates")?;
    let ring = |r: &Value| -> Result<Vec<Coord<f64>>, String> {
        r.as_array()
            .ok_or("a ring is not an array of positions")?
            .iter()
            .map(|p| {
                let a = p.as_array().filter(|a| a.len() >= 2).ok_or(format!("{p} is not a position"))?;
                match (a[0].as_f64(), a[1].as_f64()) {
                    (Some(x), Some(y)) => Ok(Coord { x, y }),
                    _ => Err(format!("{p} is not a position")),
                }
            })
            .collect()
    };
    let polygon = |p: &Value| -> Result<RawPolygon, String> {
        p.as_array().ok_or("a polygon is not an array of rings")?.iter().map(ring).collect()
    };
    match kind {
        "Polygon" => Ok(vec![polygon(coords)?]),
        "MultiPolygon" => coords.as_array().ok_or("not an array of polygons")?.iter().map(polygon).collect(),
        other => Err(format!("the geometry is a {other}, not a Polygon or MultiPolygon")),
    }
}

/// The most items one EO find may count (a cache of small-arms rounds).
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The most people a hazard's beneficiaries, or one group of an EORE
/// session's audience, may count.
pub const MAX_PEOPLE: i64 = 10_000_000;
/// The oldest age a victim may be given.
pub const MAX_AGE: i64 = 120;
/// The deepest clearance, in centimetres.
pub const MAX_DEPTH_CM: i64 = 1_000;

/// `value` within `min..=max`, or a problem naming `what`. Bounds keep every
/// count plausible, so that no national total can overflow.
fn bounded(p: &mut Vec<String>, what: &str, value: i64, min: i64, max: i64) {
    if !(min..=max).contains(&value) {
        p.push(format!("{what} is {value}; it must be from {min} to {max}"));
    }
}

/// The report's other counts and measures within what is plausible.
fn check_counts(r: &Report, p: &mut Vec<String>) {
    if let Some(b) = r.new_hazard.as_ref().and_then(|h| h.beneficiaries) {
        bounded(p, "the new hazard's beneficiaries", b, 0, MAX_PEOPLE);
    }
    if let Some(d) = r.depth_cm {
        bounded(p, "the clearance depth (depth_cm)", d, 0, MAX_DEPTH_CM);
    }
    if let Some(h) = r.hours_worked {
        if !(h.is_finite() && (0.0..=1_000_000.0).contains(&h)) {
            p.push(format!("hours_worked is {h}; it must be from 0 to 1000000"));
        }
    }
    for (i, v) in r.accident.iter().flat_map(|a| &a.victims).enumerate() {
        if let Some(age) = v.age {
            bounded(p, "a victim's age", age, 0, MAX_AGE);
        }
        if v.outcome == VictimOutcome::Killed && v.disability == Some(Disability::FromAccident) {
            p.push(format!(
                "victim {} was killed: a disability from the accident is a survivor's; give NONE or PRE_EXISTING, or leave it out",
                i + 1
            ));
        }
    }
    if let Some(s) = &r.session {
        let x = &s.reach;
        for (group, n) in [("girls", x.girls), ("boys", x.boys), ("women", x.women), ("men", x.men)] {
            bounded(p, &format!("the session's {group}"), n, 0, MAX_PEOPLE);
        }
        if let Some(d) = &s.with_disability {
            let groups = [
                ("girls", d.girls, x.girls),
                ("boys", d.boys, x.boys),
                ("women", d.women, x.women),
                ("men", d.men, x.men),
            ];
            for (group, n, of) in groups {
                if n < 0 {
                    p.push(format!("the session's {group} with a disability is {n}; it cannot be negative"));
                } else if n > of {
                    p.push(format!(
                        "the session's {group} with a disability ({n}) are more than the {group} it reached ({of})"
                    ));
                }
            }
        }
    }
}

/// Why a report naming an imported file is refused when submitted.
pub const IMPORT_ONLY: &str =
    "the report names an imported file ('import'): only `safeground import` makes such a report; submit the records themselves";

/// Everything about a report that can be said without the register: it is
/// not empty, it names a location, its dates make sense against `today`, and
/// the fields its type needs are there. Each problem is a plain sentence.
pub fn check_shape(r: &Report, today: Date) -> Vec<String> {
    let mut p = Vec::new();
    let t = r.report_type;
    if r.import.is_some() {
        p.push(IMPORT_ONLY.into());
    }
    if r.end_date < r.start_date {
        p.push(format!("the report ends ({}) before it starts ({})", r.end_date, r.start_date));
    }
    if r.end_date > today || r.start_date > today {
        p.push(format!("the report's dates ({} to {}) are in the future", r.start_date, r.end_date));
    }
    for f in &r.eo_finds {
        if let Some(d) = f.found_on {
            if d < r.start_date || d > r.end_date {
                p.push(format!("EO find {} was found on {d}, outside the report's dates", f.eo_type));
            }
        }
        bounded(&mut p, &format!("the quantity of EO find {}", f.eo_type), f.quantity, 1, MAX_QUANTITY);
    }
    check_counts(r, &mut p);
    let empty = r.released.is_empty()
        && r.eo_finds.is_empty()
        && r.new_hazard.is_none()
        && r.hazard_geometry.is_none()
        && !r.confirm
        && !r.completion
        && r.accident.is_none()
        && r.session.is_none()
        && r.inspection.is_none();
    if empty {
        p.push("the report is empty: it releases no ground and records nothing".into());
    }
    let located = r.hazard.is_some()
        || r.task.is_some()
        || r.new_hazard.is_some()
        || !r.eo_finds.is_empty()
        || r.accident.is_some()
        || r.session.as_ref().is_some_and(|s| s.settlement.is_some() || s.location.is_some());
    if !located {
        p.push("the report names no location: give a hazard, a task, positions or a settlement".into());
    }
    match t {
        ReportType::Nts | ReportType::Ts | ReportType::Clearance => {
            if r.new_hazard.is_some() && t != ReportType::Nts {
                p.push("only a non-technical survey records a new hazard".into());
            }
            if r.new_hazard.is_none() && r.hazard.is_none() && r.task.is_none() {
                p.push(format!("a {} report must name its hazard or task", t.code()));
            }
            if r.hazard_geometry.is_some() && t != ReportType::Nts {
                p.push("only a non-technical survey changes a hazard's polygon".into());
            }
            if r.confirm && t != ReportType::Ts {
                p.push("only a technical survey confirms a hazard".into());
            }
        }
        ReportType::EodSpotTask | ReportType::EoFind => {
            if r.eo_finds.is_empty() {
                p.push(format!("a {} report must list the EO found", t.code()));
            }
        }
        ReportType::Accident => match &r.accident {
            None => p.push("an accident report must describe the accident".into()),
            Some(a) if a.victims.is_empty() => p.push("an accident report must list its victims".into()),
            _ => {}
        },
        ReportType::EoreSession => {
            if r.session.is_none() {
                p.push("an EORE report must describe the session".into());
            }
        }
        ReportType::QmInspection => match &r.inspection {
            None => p.push("a QM report must give the inspection's result".into()),
            Some(i) => inspection_shape(r, i, &mut p),
        },
    }
    if t != ReportType::QmInspection && r.inspection.is_some() {
        p.push(format!(
            "a {} report cannot carry an inspection; inspections are QM_INSPECTION reports",
            t.code()
        ));
    }
    if !matches!(t, ReportType::Nts | ReportType::Ts | ReportType::Clearance) && !r.released.is_empty() {
        p.push(format!("a {} report cannot release ground", t.code()));
    }
    if r.completion && !matches!(t, ReportType::Nts | ReportType::Ts | ReportType::Clearance) {
        p.push("only a survey or clearance report completes a hazard".into());
    }
    if r.handed_over && !r.completion {
        p.push("land is handed over with a completion report".into());
    }
    p
}

/// An inspection's own rules [IMAS 07.12, 09.20]: a QA visit is to a task's
/// work in progress and re-opens nothing; a failed QC names the ground it
/// re-opens; a sample is of ground named; an item found fails it.
fn inspection_shape(r: &Report, i: &Inspection, p: &mut Vec<String>) {
    use crate::codes::InspectionKind;
    bounded(p, "the items found", i.items_found, 0, MAX_QUANTITY);
    if i.items_found > 0 && i.result == QmResult::Pass {
        p.push(format!(
            "the inspection found {} explosive item(s) and cannot pass [IMAS 09.20]: record it as FAIL",
            i.items_found
        ));
    }
    match i.kind {
        InspectionKind::QualityAssurance => {
            if r.task.is_none() {
                p.push("a QA visit names the task whose work it visits".into());
            }
            if !i.reopen.is_empty() || !i.inspected.is_empty() {
                p.push(
                    "a QA visit inspects work in progress; released ground is inspected by a QC \
                     (`\"kind\": \"QC\"`)"
                        .into(),
                );
            }
        }
        InspectionKind::QualityControl => {
            if i.result == QmResult::Fail && i.reopen.is_empty() {
                p.push("a failed QC must name the released areas it re-opens".into());
            }
            if i.sample.is_some() && i.ground().next().is_none() {
                p.push("a QC sample lies in released ground: name the released areas inspected".into());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = i.ground().find(|a| !seen.insert(**a)) {
        p.push(format!("released area {twice} is named twice in the inspection"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn clearance() -> Report {
        parse(
            r#"{"type":"CLEARANCE","organisation":"QHD","hazard":"AZ-AM-000001","start_date":"2024-03-01",
                "end_date":"2024-04-15","method":"MANUAL",
                "released":[{"geometry":{"type":"Polygon","coordinates":[[[46.9,39.9],[46.91,39.9],[46.91,39.91],[46.9,39.9]]]}}],
                "eo_finds":[{"category":"AP","type":"PMN-2","disposal":"DESTROYED_IN_SITU","location":[46.905,39.902]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_good_report_has_no_shape_problems() {
        assert_eq!(check_shape(&clearance(), date!(2026 - 11 - 28)), Vec::<String>::new());
    }

    #[test]
    fn a_submitted_report_may_not_name_an_imported_file() {
        let mut r = clearance();
        r.import = Some(ImportSource {
            file: "hazards.geojson".into(),
            sha256: "0".repeat(64),
            layer: "hazards".into(),
            items: vec![],
        });
        assert_eq!(check_shape(&r, date!(2026 - 11 - 28)), vec![IMPORT_ONLY.to_string()]);
        // It reads back from its JSON, as the register stores it.
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(parse(&text).unwrap(), r);
        // and a report without it is written as before.
        assert!(!serde_json::to_string(&clearance()).unwrap().contains("import"));
    }

    #[test]
    fn unknown_fields_and_bad_codes_are_named() {
        let e = parse(r#"{"type":"CLEARANCE","organisation":"X","start_date":"2024-03-01","end_date":"2024-03-02","colour":"red"}"#)
            .unwrap_err();
        assert!(e.0.contains("unknown field `colour`"), "{e}");
        let e = parse(
            r#"{"type":"DIGGING","organisation":"X","start_date":"2024-03-01","end_date":"2024-03-02"}"#,
        )
        .unwrap_err();
        assert!(e.0.contains("unknown variant `DIGGING`"), "{e}");
    }

    #[test]
    fn empty_future_and_backwards_reports_are_refused() {
        let mut r = clearance();
        r.released.clear();
        r.eo_finds.clear();
        r.end_date = date!(2027 - 01 - 01);
        let p = check_shape(&r, date!(2026 - 11 - 28));
        assert!(p.iter().any(|m| m.contains("empty")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("future")), "{p:?}");
        r.end_date = date!(2024 - 01 - 01);
        assert!(check_shape(&r, date!(2026 - 11 - 28)).iter().any(|m| m.contains("before it starts")));
    }

    #[test]
    fn counts_are_bounded_at_both_ends() {
        let at = date!(2026 - 11 - 28);
        let quantity = |q: i64| {
            let mut r = clearance();
            r.eo_finds[0].quantity = q;
            check_shape(&r, at)
        };
        for ok in [1, MAX_QUANTITY] {
            assert_eq!(quantity(ok), Vec::<String>::new(), "{ok}");
        }
        for bad in [0, -1, MAX_QUANTITY + 1, i64::MAX, i64::MIN] {
            let p = quantity(bad);
            assert_eq!(
                p,
                vec![format!("the quantity of EO find PMN-2 is {bad}; it must be from 1 to 1000000")]
            );
        }
        let mut r = clearance();
        r.depth_cm = Some(MAX_DEPTH_CM);
        r.hours_worked = Some(0.0);
        assert_eq!(check_shape(&r, at), Vec::<String>::new());
        r.depth_cm = Some(MAX_DEPTH_CM + 1);
        r.hours_worked = Some(f64::INFINITY);
        let p = check_shape(&r, at);
        assert!(p.iter().any(|m| m.contains("depth_cm) is 1001")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("hours_worked is inf")), "{p:?}");
        let session = |n: i64| {
            let r = parse(&format!(
                r#"{{"type":"EORE_SESSION","organisation":"ANAMA","start_date":"2024-03-01","end_date":"2024-03-01",
                   "session":{{"kind":"PRESENTATION","audience":"SCHOOL","settlement":"Aghdam",
                   "reach":{{"girls":{n},"boys":0,"women":0,"men":0}}}}}}"#
            ))
            .unwrap();
            check_shape(&r, at)
        };
        assert_eq!(session(MAX_PEOPLE), Vec::<String>::new());
        assert_eq!(session(-1), vec!["the session's girls is -1; it must be from 0 to 10000000".to_string()]);
    }

    #[test]
    fn people_with_a_disability_are_counted_within_those_reached_and_among_survivors() {
        let at = date!(2024 - 03 - 02);
        let session = |girls_disabled: i64| {
            let r = parse(&format!(
                r#"{{"type":"EORE_SESSION","organisation":"ANAMA","start_date":"2024-03-01","end_date":"2024-03-01",
                   "session":{{"kind":"PRESENTATION","audience":"SCHOOL","settlement":"Aghdam",
                   "reach":{{"girls":10,"boys":4,"women":0,"men":0}},
                   "with_disability":{{"girls":{girls_disabled},"boys":0,"women":0,"men":0}}}}}}"#
            ))
            .unwrap();
            check_shape(&r, at)
        };
        assert_eq!(session(10), Vec::<String>::new());
        assert_eq!(
            session(11),
            vec!["the session's girls with a disability (11) are more than the girls it reached (10)"]
        );
        assert_eq!(session(-1), vec!["the session's girls with a disability is -1; it cannot be negative"]);
        let accident = |outcome: &str, disability: &str| {
            let r = parse(&format!(
                r#"{{"type":"ACCIDENT","organisation":"ANAMA","start_date":"2024-03-01","end_date":"2024-03-01",
                   "accident":{{"kind":"INCIDENT","location":[46.9,39.9],"device_category":"AP",
                   "activity_at_time":"FARMING","cause":"ploughing",
                   "victims":[{{"outcome":"{outcome}","sex":"MALE","disability":"{disability}"}}]}}}}"#
            ))
            .unwrap();
            check_shape(&r, at)
        };
        assert_eq!(accident("INJURED", "FROM_ACCIDENT"), Vec::<String>::new());
        assert_eq!(accident("KILLED", "PRE_EXISTING"), Vec::<String>::new());
        let p = accident("KILLED", "FROM_ACCIDENT");
        assert!(
            p[0].starts_with("victim 1 was killed: a disability from the accident is a survivor's"),
            "{p:?}"
        );
        // A report without the fields reads and writes as before.
        let plain = r#"{"outcome":"INJURED","sex":"MALE"}"#;
        let v: ReportedVictim = serde_json::from_str(plain).unwrap();
        assert!(!serde_json::to_string(&v).unwrap().contains("disability"));
    }

    #[test]
    fn a_report_must_say_where() {
        let mut r = clearance();
        r.hazard = None;
        r.eo_finds.clear();
        let p = check_shape(&r, date!(2026 - 11 - 28));
        assert!(p.iter().any(|m| m.contains("names no location")), "{p:?}");
    }

    #[test]
    fn places_read_any_notation() {
        assert_eq!(Place::LonLat([46.9, 39.9]).point().unwrap(), Point::new(46.9, 39.9));
        let p = Place::Text("38SPK4990502590".into()).point().unwrap();
        assert!((p.y() - 39.76).abs() < 1e-3);
        assert!(Place::LonLat([246.9, 39.9]).point().is_err());
    }
}
