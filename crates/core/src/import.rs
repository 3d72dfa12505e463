//! From a feature of an imported layer to what the register takes in.
//!
//! Every reader (GeoJSON, CSV, GeoPackage, KML) yields [`InRecord`]s: the
//! feature's attributes as they were written and its geometry as GeoJSON in
//! WGS84. [`to_item`] turns one into an [`ImportItem`]:
//!
//! - field data (hazards, released areas, EO finds, accidents, EORE sessions)
//!   becomes a **report**, so that an import goes through the same checks and
//!   approval as a field report and every imported record traces to the report
//!   and the file it came from;
//! - tasks are issued as the authority issues them;
//! - districts and settlements, reference data with no history, are added as
//!   they are.
//!
//! The columns are those of [`Layer::columns`]: what safeground exports, it
//! imports. Derived columns (areas, status, version, when recorded) are not
//! read: the register recomputes them from geometry and history.
//!
//! ```
//! use safeground_core::import::{to_item, ImportItem, InRecord};
//! use safeground_core::layer::Layer;
//! use serde_json::json;
//!
//! let rec = InRecord::new(
//!     "line 2",
//!     vec![
//!         ("category".into(), json!("UXO")),
//!         ("eo_type".into(), json!("OF-482M")),
//!         ("disposal".into(), json!("DESTROYED_IN_SITU")),
//!         ("found_on".into(), json!("2024-05-01")),
//!         ("organisation".into(), json!("ANAMA")),
//!     ],
//!     Some(json!({"type": "Point", "coordinates": [46.9, 39.96]})),
//! );
//! let ImportItem::Report(r) = to_item(Layer::EoFinds, &rec).unwrap() else { panic!() };
//! assert_eq!(r.eo_finds[0].eo_type, "OF-482M");
//! ```

use crate::codes::*;
use crate::layer::Layer;
use crate::model::Reach;
use crate::report::{
    Find, NewHazard, Place, Release, Report, ReportType, ReportedAccident, ReportedSession, ReportedVictim,
};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use time::Date;
use uuid::Uuid;

/// One feature as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct InRecord {
    /// Where it is in its file: `line 12`, `feature 3`, `row 7`.
    pub place: String,
    /// Its attributes as written (CSV gives strings; GeoJSON and GeoPackage typed values).
    pub fields: Vec<(String, Value)>,
    /// Its geometry as a GeoJSON geometry object, longitude/latitude on WGS84.
    pub geometry: Option<Value>,
    /// What its source held beside the layer's fields, kept in the import's
    /// report with the record made (a migration's unmapped columns).
    pub attributes: std::collections::BTreeMap<String, Value>,
    /// The day it took effect, when it is history brought in (a
    /// migration's records count from their own dates, not the import's).
    pub effective: Option<time::Date>,
    /// An accident's victims as persons, when its source knows them (a
    /// migration's victim records): they stand for the `killed` and
    /// `injured` counts, which must agree with them where given.
    pub persons: Option<Vec<crate::report::ReportedVictim>>,
    /// The EO found in a released area's work, when its source records it
    /// (a migration's devices): they go in with the release.
    pub finds: Option<Vec<crate::report::Find>>,
}

/// A field of a record that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field '{}': {}", self.field, self.reason)
    }
}

fn err(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.to_string(), reason: reason.into() }
}

/// A released area's report: its hazard (and task), its outcome as the
/// report's type, the EO found in its work where the source records it.
fn released(rec: &InRecord) -> Result<ImportItem, FieldError> {
    let outcome: ReleaseOutcome = rec.required_code("outcome")?;
    let t = match outcome {
        ReleaseOutcome::Cancelled => ReportType::Nts,
        ReleaseOutcome::Reduced => ReportType::Ts,
        ReleaseOutcome::Cleared => ReportType::Clearance,
    };
    let on = rec.required_date("released_on")?;
    let mut r = Report::blank(t, rec.required("organisation")?, on, on);
    r.hazard = Some(rec.required("hazard")?);
    r.task = rec.text("task");
    match rec.text("completion").map(|c| c.to_ascii_uppercase()).as_deref() {
        None => {}
        Some("CLOSED") => r.completion = true,
        Some("HANDED_OVER") => {
            r.completion = true;
            r.handed_over = true;
        }
        Some(other) => return Err(err("completion", format!("'{other}' is not CLOSED or HANDED_OVER"))),
    }
    r.released = vec![Release { id: rec.uuid("id")?, geometry: rec.polygon()?, outcome: Some(outcome) }];
    r.eo_finds = rec.finds.clone().unwrap_or_default();
    Ok(ImportItem::Report(Box::new(r)))
}

/// The people with a disability among those an EORE session reached: all
/// four groups, or none (not counted).
fn with_disability(rec: &InRecord) -> Result<Option<Reach>, FieldError> {
    let groups = ["girls_disabled", "boys_disabled", "women_disabled", "men_disabled"];
    let given: Vec<&str> = groups.iter().copied().filter(|g| rec.text(g).is_some()).collect();
    if given.is_empty() {
        return Ok(None);
    }
    if let Some(missing) = groups.iter().find(|g| !given.contains(g)) {
        return Err(err(
            missing,
            format!("is empty while {} is given: give the four groups with a disability, or none", given[0]),
        ));
    }
    Ok(Some(Reach {
        girls: rec.count(groups[0])?,
        boys: rec.count(groups[1])?,
        women: rec.count(groups[2])?,
        men: rec.count(groups[3])?,
    }))
}

/// An accident's report from its record: its victims as persons where the
/// source gives them, else as its counts.
fn accident(rec: &InRecord) -> Result<ImportItem, FieldError> {
    let on = rec.required_date("occurred_on")?;
    let mut r = Report::blank(ReportType::Accident, rec.required("organisation")?, on, on);
    r.hazard = rec.text("hazard");
    // The layer carries no personal data: victims come back as counts.
    let victim = |outcome| ReportedVictim {
        outcome,
        sex: Sex::Unknown,
        age: None,
        occupation: None,
        injuries: None,
        assistance: None,
        disability: None,
        name: None,
        contact: None,
    };
    let killed = rec.count("killed")?;
    let injured = rec.count("injured")?;
    if killed + injured > 10_000 {
        return Err(err("killed", "more than 10,000 victims in one accident: check the figures"));
    }
    let victims = match &rec.persons {
        Some(persons) if persons.len() > 10_000 => {
            return Err(err("victims", "more than 10,000 victims in one accident: check the victim records"))
        }
        Some(persons) => {
            let given = (rec.text("killed").is_some(), rec.text("injured").is_some());
            persons_agree(persons, given, (killed, injured))?;
            persons.clone()
        }
        None => (0..killed)
            .map(|_| victim(VictimOutcome::Killed))
            .chain((0..injured).map(|_| victim(VictimOutcome::Injured)))
            .collect(),
    };
    r.accident = Some(ReportedAccident {
        id: rec.uuid("id")?,
        kind: rec.required_code("kind")?,
        location: Place::LonLat(rec.point()?),
        device_category: rec.required_code("device_category")?,
        activity_at_time: rec.required_code("activity_at_time")?,
        area_marked: rec.boolean("area_marked")?,
        cause: rec.text("cause").unwrap_or_default(),
        victims,
    });
    Ok(ImportItem::Report(Box::new(r)))
}

/// Whether an accident's victims as persons agree with its counts, where
/// the counts are given.
fn persons_agree(
    persons: &[ReportedVictim],
    (killed_given, injured_given): (bool, bool),
    (killed, injured): (i64, i64),
) -> Result<(), FieldError> {
    let listed = |o: VictimOutcome| persons.iter().filter(|p| p.outcome == o).count() as i64;
    for (field, given, count, outcome) in [
        ("killed", killed_given, killed, VictimOutcome::Killed),
        ("injured", injured_given, injured, VictimOutcome::Injured),
    ] {
        if given && count != listed(outcome) {
            return Err(err(
                field,
                format!(
                    "{count} {field}, but its victim records list {}: correct the count or the victims",
                    listed(outcome)
                ),
            ));
        }
    }
    Ok(())
}

impl InRecord {
    pub fn new(place: impl Into<String>, fields: Vec<(String, Value)>, geometry: Option<Value>) -> Self {
        InRecord {
            place: place.into(),
            fields,
            geometry,
            attributes: Default::default(),
            effective: None,
            persons: None,
            finds: None,
        }
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The field as trimmed text; `None` when absent, null or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Array(a) => Some(
                a.iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .filter(|s| !s.is_empty()),
            v => Some(v.to_string()),
        }
    }

    fn required(&self, name: &str) -> Result<String, FieldError> {
        self.text(name).ok_or_else(|| err(name, "is missing or empty"))
    }

    fn code<T: FromStr<Err = UnknownCode>>(&self, name: &str) -> Result<Option<T>, FieldError> {
        self.text(name).map(|t| t.parse::<T>().map_err(|e| err(name, e.to_string()))).transpose()
    }

    fn required_code<T: FromStr<Err = UnknownCode>>(&self, name: &str) -> Result<T, FieldError> {
        self.code(name)?.ok_or_else(|| err(name, "is missing or empty"))
    }

    fn codes<T: FromStr<Err = UnknownCode>>(&self, name: &str) -> Result<Vec<T>, FieldError> {
        match self.text(name) {
            None => Ok(vec![]),
            Some(t) => t
                .split([',', ';', ' '])
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.parse::<T>().map_err(|e| err(name, e.to_string())))
                .collect(),
        }
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, FieldError> {
        match self.value(name) {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                    _ => Err(err(name, format!("{n} is not a whole number"))),
                },
            },
            _ => match self.text(name) {
                None => Ok(None),
                Some(t) => t
                    .parse::<i64>()
                    .or_else(|_| match t.parse::<f64>() {
                        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                        _ => Err(()),
                    })
                    .map(Some)
                    .map_err(|_| err(name, format!("'{t}' is not a whole number"))),
            },
        }
    }

    fn count(&self, name: &str) -> Result<i64, FieldError> {
        match self.integer(name)? {
            Some(n) if n < 0 => Err(err(name, format!("{n} is negative"))),
            n => Ok(n.unwrap_or(0)),
        }
    }

    fn date(&self, name: &str) -> Result<Option<Date>, FieldError> {
        let Some(t) = self.text(name) else { return Ok(None) };
        // Spreadsheets and GeoPackages may add a time; the date is what counts.
        // GDAL writes CSV dates as YYYY/MM/DD; day-first and month-first
        // forms are ambiguous and refused.
        let day: String = t.get(..10).unwrap_or(&t).replace(['/', '.'], "-");
        Date::parse(&day, time::macros::format_description!("[year]-[month]-[day]"))
            .map(Some)
            .map_err(|_| err(name, format!("'{t}' is not a date (YYYY-MM-DD)")))
    }

    fn required_date(&self, name: &str) -> Result<Date, FieldError> {
        self.date(name)?.ok_or_else(|| err(name, "is missing or empty"))
    }

    fn boolean(&self, name: &str) -> Result<bool, FieldError> {
        match self.value(name) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => match self.text(name).map(|t| t.to_ascii_lowercase()) {
                None => Ok(false),
                Some(t) => match t.as_str() {
                    "true" | "1" | "yes" | "y" => Ok(true),
                    "false" | "0" | "no" | "n" => Ok(false),
                    _ => Err(err(name, format!("'{t}' is not true or false"))),
                },
            },
        }
    }

    fn uuid(&self, name: &str) -> Result<Option<Uuid>, FieldError> {
        self.text(name)
            .map(|t| Uuid::parse_str(&t).map_err(|_| err(name, format!("'{t}' is not a UUID"))))
            .transpose()
    }

    fn polygon(&self) -> Result<Value, FieldError> {
        match &self.geometry {
            Some(g) if matches!(g.get("type").and_then(Value::as_str), Some("Polygon" | "MultiPolygon")) => {
                Ok(g.clone())
            }
            Some(g) => Err(err(
                "geometry",
                format!(
                    "is a {}, not a Polygon or MultiPolygon",
                    g.get("type").and_then(Value::as_str).unwrap_or("?")
                ),
            )),
            None => Err(err("geometry", "is missing: this layer's features are polygons")),
        }
    }

    fn point(&self) -> Result<[f64; 2], FieldError> {
        let g = self
            .geometry
            .as_ref()
            .ok_or_else(|| err("geometry", "is missing: this layer's features are points"))?;
        if g.get("type").and_then(Value::as_str) != Some("Point") {
            return Err(err(
                "geometry",
                format!("is a {}, not a Point", g.get("type").and_then(Value::as_str).unwrap_or("?")),
            ));
        }
        let c = g.get("coordinates").and_then(Value::as_array).filter(|c| c.len() >= 2);
        match c.map(|c| (c[0].as_f64(), c[1].as_f64())) {
            Some((Some(lon), Some(lat))) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Ok([lon, lat]),
            _ => Err(err("geometry", "the point is not a longitude/latitude")),
        }
    }
}

/// A new task, as the authority issues it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskIn {
    pub id: Option<Uuid>,
    pub code: String,
    /// Hazard code or UUID.
    pub hazard: String,
    /// Organisation acronym or UUID.
    pub organisation: String,
    pub activity: ActivityKind,
    pub priority: Priority,
    pub status: TaskStatus,
    pub issued_on: Date,
    pub due_on: Option<Date>,
}

/// A district with its boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictIn {
    pub id: Option<Uuid>,
    pub name: String,
    pub alt_name: Option<String>,
    pub hasc: Option<String>,
    /// The region's name; it is added if the register does not know it.
    pub region: String,
    /// GeoJSON Polygon or MultiPolygon.
    pub boundary: Value,
}

/// A settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementIn {
    pub id: Option<Uuid>,
    pub name: String,
    pub alt_names: Option<String>,
    pub population: Option<i64>,
    pub geonames_id: Option<i64>,
    /// District name (either spelling) or UUID.
    pub district: Option<String>,
    pub location: [f64; 2],
}

/// An organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationIn {
    pub id: Option<Uuid>,
    pub acronym: String,
    pub name: String,
    pub kind: OrganisationKind,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// What an imported feature becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportItem {
    Report(Box<Report>),
    Task(TaskIn),
    District(DistrictIn),
    Settlement(SettlementIn),
    Organisation(OrganisationIn),
}

/// Turns one record of `layer` into what the register takes in.
pub fn to_item(layer: Layer, rec: &InRecord) -> Result<ImportItem, FieldError> {
    Ok(match layer {
        Layer::Hazards => {
            let on = rec.required_date("recorded_on")?;
            let mut r = Report::blank(ReportType::Nts, rec.required("recorded_by")?, on, on);
            let contamination = rec.codes::<EoCategory>("contamination")?;
            if contamination.is_empty() {
                return Err(err("contamination", "is missing: give AP, AT, UXO, AXO, CMR or IED"));
            }
            r.new_hazard = Some(NewHazard {
                id: rec.uuid("id")?,
                name: rec.required("name")?,
                kind: rec.required_code("kind")?,
                district: rec.required("district")?,
                contamination,
                land_use: rec.codes("land_use")?,
                evidence: vec![],
                geometry: rec.polygon()?,
                benchmark: None,
                reference_point: None,
                reference_description: None,
                beneficiaries: None,
                code: rec.text("code"),
            });
            ImportItem::Report(Box::new(r))
        }
        Layer::ReleasedAreas => released(rec)?,
        Layer::EoFinds => {
            let on = rec.required_date("found_on")?;
            let mut r = Report::blank(ReportType::EoFind, rec.required("organisation")?, on, on);
            r.hazard = rec.text("hazard");
            let quantity = rec.integer("quantity")?.unwrap_or(1);
            if quantity < 1 {
                return Err(err("quantity", format!("{quantity} is not a quantity (1 or more)")));
            }
            r.eo_finds = vec![Find {
                id: rec.uuid("id")?,
                category: rec.required_code("category")?,
                eo_type: rec.required("eo_type")?,
                quantity,
                condition: rec.code("condition")?.unwrap_or(EoCondition::Unknown),
                fuze_state: rec.text("fuze_state"),
                disposal: rec.required_code("disposal")?,
                location: Place::LonLat(rec.point()?),
                found_on: Some(on),
            }];
            ImportItem::Report(Box::new(r))
        }
        Layer::Accidents => accident(rec)?,
        Layer::EoreSessions => {
            let on = rec.required_date("held_on")?;
            let mut r = Report::blank(ReportType::EoreSession, rec.required("organisation")?, on, on);
            r.session = Some(ReportedSession {
                id: rec.uuid("id")?,
                kind: rec.required_code("kind")?,
                audience: rec.required_code("audience")?,
                settlement: rec.text("settlement"),
                location: Some(Place::LonLat(rec.point()?)),
                reach: Reach {
                    girls: rec.count("girls")?,
                    boys: rec.count("boys")?,
                    women: rec.count("women")?,
                    men: rec.count("men")?,
                },
                with_disability: with_disability(rec)?,
            });
            ImportItem::Report(Box::new(r))
        }
        Layer::Tasks => ImportItem::Task(TaskIn {
            id: rec.uuid("id")?,
            code: rec.required("code")?,
            hazard: rec.required("hazard")?,
            organisation: rec.required("organisation")?,
            activity: rec.required_code("activity")?,
            priority: rec.code("priority")?.unwrap_or(Priority::Medium),
            status: rec.code("status")?.unwrap_or(TaskStatus::Issued),
            issued_on: rec.required_date("issued_on")?,
            due_on: rec.date("due_on")?,
        }),
        Layer::Settlements => ImportItem::Settlement(SettlementIn {
            id: rec.uuid("id")?,
            name: rec.required("name")?,
            alt_names: rec.text("alt_names"),
            population: rec.integer("population")?,
            geonames_id: rec.integer("geonames_id")?,
            district: rec.text("district"),
            location: rec.point()?,
        }),
        Layer::Organisations => {
            let country = rec.required("country")?.to_ascii_uppercase();
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(err(
                    "country",
                    format!("'{country}' is not an ISO 3166-1 alpha-2 code (AZ, UA, GB, …)"),
                ));
            }
            ImportItem::Organisation(OrganisationIn {
                id: rec.uuid("id")?,
                acronym: rec.required("acronym")?,
                name: rec.required("name")?,
                kind: rec.required_code("kind")?,
                country,
            })
        }
        Layer::Districts => ImportItem::District(DistrictIn {
            id: rec.uuid("id")?,
            name: rec.required("name")?,
            alt_name: rec.text("alt_name"),
            hasc: rec.text("hasc"),
            region: rec.required("region")?,
            boundary: rec.polygon()?,
        }),
    })
}

/// The key under which consecutive records of `layer` belong to one report:
/// released areas and EO finds exported from one report go back as one. The
/// report is one hazard's and one organisation's, so records naming another
/// hazard or organisation start a report of their own instead of being
/// filed under the first one's.
pub fn group_key(layer: Layer, rec: &InRecord) -> Option<String> {
    match layer {
        Layer::ReleasedAreas | Layer::EoFinds => rec.text("report_id").map(|r| {
            let part = |f: &str| rec.text(f).unwrap_or_default().trim().to_uppercase();
            format!("{r}\u{1f}{}\u{1f}{}", part("hazard"), part("organisation"))
        }),
        _ => None,
    }
}

/// Adds `next` (of the same group) to `into`: its released ground and finds,
/// its dates, its completion.
pub fn merge(into: &mut Report, next: Report) {
    into.start_date = into.start_date.min(next.start_date);
    into.end_date = into.end_date.max(next.end_date);
    into.completion |= next.completion;
    into.handed_over |= next.handed_over;
    if into.task.is_none() {
        into.task = next.task;
    }
    // Ground released by several outcomes in one report: clearance wins over
    // reduction over cancellation, as the outcome of each polygon is kept.
    let rank = |t: ReportType| match t {
        ReportType::Clearance => 3,
        ReportType::Ts => 2,
        ReportType::Nts => 1,
        _ => 0,
    };
    if rank(next.report_type) > rank(into.report_type) {
        into.report_type = next.report_type;
    }
    into.released.extend(next.released);
    into.eo_finds.extend(next.eo_finds);
}

/// The names of `fields` that `layer` does not read (so an import can say
/// which columns it ignored), leaving out geometry columns.
pub fn ignored_fields<'a>(layer: Layer, fields: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const GEOMETRY: &[&str] = &["geometry", "geom", "wkt", "longitude", "latitude", "lon", "lat", "x", "y"];
    const DERIVED: &[&str] = &[
        "status",
        "area_recorded_m2",
        "area_cancelled_m2",
        "area_reduced_m2",
        "area_cleared_m2",
        "area_remaining_m2",
        "area_m2",
        "version",
        "recorded_at",
        "report_id",
        "district",
    ];
    fields
        .into_iter()
        .filter(|f| {
            let f = f.trim();
            !layer.columns().iter().any(|c| c.eq_ignore_ascii_case(f))
                && !GEOMETRY.iter().any(|c| c.eq_ignore_ascii_case(f))
                && !DERIVED.iter().any(|c| c.eq_ignore_ascii_case(f))
                && !f.starts_with('#')
                && !f.is_empty()
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(fields: &[(&str, Value)], g: Option<Value>) -> InRecord {
        InRecord::new("line 2", fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(), g)
    }

    fn accident(counts: &[(&str, Value)], persons: Vec<VictimOutcome>) -> Result<ImportItem, FieldError> {
        let mut fields = vec![
            ("occurred_on", json!("2022-05-14")),
            ("organisation", json!("ANAMA")),
            ("kind", json!("INCIDENT")),
            ("device_category", json!("AT")),
            ("activity_at_time", json!("FARMING")),
        ];
        fields.extend(counts.iter().cloned());
        let mut r = rec(&fields, Some(json!({"type": "Point", "coordinates": [46.9, 39.9]})));
        let person = |outcome| ReportedVictim {
            outcome,
            sex: Sex::Female,
            age: Some(12),
            occupation: None,
            injuries: None,
            assistance: None,
            disability: None,
            name: None,
            contact: None,
        };
        r.persons = Some(persons.into_iter().map(person).collect());
        to_item(Layer::Accidents, &r)
    }

    #[test]
    fn an_accidents_persons_stand_for_its_counts_and_must_agree_with_those_given() {
        use VictimOutcome::{Injured, Killed};
        let Ok(ImportItem::Report(r)) = accident(&[], vec![Killed, Injured]) else { panic!() };
        let victims = &r.accident.as_ref().unwrap().victims;
        assert_eq!((victims.len(), victims[0].sex), (2, Sex::Female), "the persons, not anonymous counts");
        assert!(accident(&[("killed", json!(1)), ("injured", json!(1))], vec![Killed, Injured]).is_ok());
        let e = accident(&[("killed", json!(2))], vec![Killed, Injured]).unwrap_err();
        assert_eq!(e.field, "killed");
        assert_eq!(e.reason, "2 killed, but its victim records list 1: correct the count or the victims");
        let e = accident(&[("injured", json!(0))], vec![Injured]).unwrap_err();
        assert_eq!(e.field, "injured");
    }

    #[test]
    fn records_of_one_report_naming_another_hazard_are_not_grouped_with_it() {
        let find = |hazard: &str| {
            rec(
                &[("report_id", json!("r-1")), ("hazard", json!(hazard)), ("organisation", json!("QHD"))],
                None,
            )
        };
        let a = group_key(Layer::EoFinds, &find("AZ-AM-000001"));
        assert_eq!(a, group_key(Layer::EoFinds, &find("az-am-000001 ")));
        assert_ne!(a, group_key(Layer::EoFinds, &find("AZ-AM-000002")));
        assert_eq!(group_key(Layer::Hazards, &find("AZ-AM-000001")), None);
    }

    #[test]
    fn a_hazard_becomes_a_survey_that_records_it() {
        let r = rec(
            &[
                ("id", json!("6f1c8a0e-3c1b-4c36-9d61-8d5c5c1b2a01")),
                ("code", json!("AZ-AM-000001")),
                ("name", json!("East of the bridge")),
                ("kind", json!("CHA")),
                ("district", json!("Agdam")),
                ("contamination", json!("AP,AT")),
                ("recorded_on", json!("2023-04-01")),
                ("recorded_by", json!("ANAMA")),
            ],
            Some(
                json!({"type": "Polygon", "coordinates": [[[46.9, 39.9], [46.91, 39.9], [46.91, 39.91], [46.9, 39.9]]]}),
            ),
        );
        let ImportItem::Report(r) = to_item(Layer::Hazards, &r).unwrap() else { panic!() };
        assert_eq!(r.report_type, ReportType::Nts);
        let h = r.new_hazard.unwrap();
        assert_eq!(h.contamination, vec![EoCategory::Ap, EoCategory::At]);
        assert_eq!(h.code.as_deref(), Some("AZ-AM-000001"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = [
            ("category", json!("UXO")),
            ("eo_type", json!("OF-482M")),
            ("disposal", json!("DESTROYED_IN_SITU")),
            ("found_on", json!("2024-05-01")),
            ("organisation", json!("ANAMA")),
        ];
        let point = Some(json!({"type": "Point", "coordinates": [46.9, 39.96]}));
        let with = |k: &'static str, v: Value| {
            let mut f: Vec<_> = base.to_vec();
            f.retain(|(n, _)| *n != k);
            f.push((k, v));
            f
        };
        for (k, v, field) in [
            ("category", json!("BOMB"), "category"),
            ("found_on", json!("1/5/2024"), "found_on"),
            ("quantity", json!("two"), "quantity"),
            ("quantity", json!(0), "quantity"),
            ("organisation", json!(""), "organisation"),
        ] {
            let e = to_item(Layer::EoFinds, &rec(&with(k, v), point.clone())).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
        let e = to_item(Layer::EoFinds, &rec(&base, None)).unwrap_err();
        assert_eq!(e.field, "geometry");
        let poly = json!({"type": "Polygon", "coordinates": []});
        assert!(to_item(Layer::EoFinds, &rec(&base, Some(poly))).unwrap_err().reason.contains("not a Point"));
    }

    #[test]
    fn released_areas_of_one_report_merge() {
        let area = |outcome: &str, on: &str| {
            rec(
                &[
                    ("hazard", json!("AZ-AM-000001")),
                    ("outcome", json!(outcome)),
                    ("released_on", json!(on)),
                    ("organisation", json!("QHD")),
                    ("completion", json!("HANDED_OVER")),
                ],
                Some(json!({"type": "Polygon", "coordinates": []})),
            )
        };
        let ImportItem::Report(mut a) =
            to_item(Layer::ReleasedAreas, &area("REDUCED", "2024-02-01")).unwrap()
        else {
            panic!()
        };
        let ImportItem::Report(b) = to_item(Layer::ReleasedAreas, &area("CLEARED", "2024-01-01")).unwrap()
        else {
            panic!()
        };
        merge(&mut a, *b);
        assert_eq!(a.report_type, ReportType::Clearance);
        assert_eq!(a.released.len(), 2);
        assert_eq!(a.start_date, time::macros::date!(2024 - 01 - 01));
        assert!(a.completion && a.handed_over);
    }

    #[test]
    fn unknown_columns_are_listed() {
        let ignored =
            ignored_fields(Layer::EoFinds, ["id", "category", "colour", "wkt", "#item+name", "area_m2"]);
        assert_eq!(ignored, vec!["colour".to_string()]);
    }
}
