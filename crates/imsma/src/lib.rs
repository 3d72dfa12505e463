//! The way in from IMSMA: a restored IMSMA NG database read object by object
//! ([`ng`]), its columns mapped to safeground's fields by a mapping file
//! ([`mapping`]). The geometry decisions (rings from points, geocheck's
//! defects, safe repairs) are `safeground_core::imsma`'s; the binary sends
//! what this crate reads through the import's approval, one report per batch.

pub mod mapping;
pub mod ng;

use mapping::{resolve, Mapping, Unmapped, HAZARD_FIELDS, HAZREDUC_FIELDS};
use ng::{NgObject, Object};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// What can go wrong reading an IMSMA NG database.
#[derive(Debug, thiserror::Error)]
pub enum NgError {
    #[error("cannot connect to {db}: {detail}; is the server running, and is the database restored under that name?")]
    Connect { db: String, detail: String },
    #[error(
        "{db} is not an IMSMA NG database: it has no table '{table}' (restore the NG backup into it first)"
    )]
    NotNg { db: String, table: String },
    #[error("reading {what}: {detail}")]
    Query { what: String, detail: String },
    #[error("{0}")]
    Stopped(String),
}

impl NgError {
    fn query(what: &str, e: postgres::Error) -> NgError {
        NgError::Query { what: what.into(), detail: e.to_string() }
    }
}

/// The namespace of the ids of migrated records: the same NG guid always
/// gives the same safeground id, so a migration run twice adds nothing.
const NG_NAMESPACE: Uuid = Uuid::from_u128(0x5a_fe_67_0d_1a_5a_4e_0b_9a_6b_1c_4e_5f_00_00_01);

/// The safeground id of an NG object.
pub fn id_of(object: Object, guid: &str) -> Uuid {
    Uuid::new_v5(&NG_NAMESPACE, format!("imsma-ng:{}:{}", object.table(), guid.trim()).as_bytes())
}

/// The id of the task a migrated hazard reduction is reported under.
pub fn task_id_of(hazreduc_guid: &str) -> Uuid {
    Uuid::new_v5(&NG_NAMESPACE, format!("imsma-ng:hazreduc-task:{}", hazreduc_guid.trim()).as_bytes())
}

/// What the migration fills itself where the mapping is silent.
pub struct Fallbacks<'a> {
    /// The district the polygon lies in.
    pub district: Option<&'a str>,
    /// `--organisation`.
    pub organisation: &'a str,
}

/// An object's fields as `import` reads them, and where each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The columns of the object's layer (`Layer::Hazards`, `Layer::ReleasedAreas`).
    pub fields: Vec<(String, Value)>,
    /// One line per field the mapping did not fill from a column: a default,
    /// or what the migration filled itself.
    pub decisions: Vec<String>,
    /// The area typed into NG (`typed_area_m2`), for the reconciliation.
    pub typed_area_m2: Option<f64>,
}

/// An object's fields from its NG row by the mapping's section for it; or
/// every value the mapping has no code for. A hazard reduction's `hazard`
/// (NG's guid of its hazard) becomes the migrated hazard's id.
pub fn fields(
    object: Object,
    o: &NgObject,
    mapping: &Mapping,
    enums: &HashMap<String, String>,
    fallback: &Fallbacks<'_>,
) -> Result<Mapped, Vec<Unmapped>> {
    let id = id_of(object, &o.guid).to_string();
    let mut out = Mapped {
        fields: vec![("id".to_string(), Value::String(id))],
        decisions: vec![],
        typed_area_m2: None,
    };
    let mut unmapped = vec![];
    let names = match object {
        Object::Hazard => HAZARD_FIELDS,
        Object::HazardReduction => HAZREDUC_FIELDS,
    };
    for field in names {
        let value = match mapping.rule(object, field).map(|r| (resolve(field, &r, &o.record, enums), r)) {
            Some((Err(u), _)) => {
                unmapped.push(u);
                continue;
            }
            Some((Ok(Some(v)), r)) => {
                let from_column = r
                    .column
                    .as_deref()
                    .and_then(|c| o.record.get(c))
                    .is_some_and(|v| !v.is_null() && v != "");
                if !from_column {
                    out.decisions.push(format!("{field}: the mapping's default, {v}"));
                }
                Some(v)
            }
            Some((Ok(None), _)) | None => fallback_of(field, o, fallback).map(|(v, why)| {
                out.decisions.push(format!("{field}: {v}, {why}"));
                v
            }),
        };
        match (*field, value) {
            ("typed_area_m2", Some(v)) => out.typed_area_m2 = v.parse().ok(),
            // A timestamp column gives its date.
            ("recorded_on" | "released_on", Some(v)) => {
                out.fields.push((field.to_string(), Value::String(v.chars().take(10).collect())))
            }
            ("hazard", Some(guid)) => {
                let id = id_of(Object::Hazard, &guid);
                out.decisions.push(format!("hazard: NG hazard {guid}, migrated as {id}"));
                out.fields.push(("hazard".into(), Value::String(id.to_string())));
            }
            (_, Some(v)) => out.fields.push((field.to_string(), Value::String(v))),
            (_, None) => {}
        }
    }
    if unmapped.is_empty() {
        Ok(out)
    } else {
        Err(unmapped)
    }
}

/// What the migration fills in where the mapping gives nothing, and why.
fn fallback_of(field: &str, o: &NgObject, fallback: &Fallbacks<'_>) -> Option<(String, &'static str)> {
    match field {
        "district" => fallback.district.map(|d| (d.to_string(), "the district its polygon lies in")),
        "recorded_on" | "released_on" => {
            o.entered().map(|d| (d.to_string(), "its polygons' data entry date"))
        }
        "recorded_by" | "organisation" => Some((fallback.organisation.to_string(), "--organisation")),
        "name" => Some((o.label().to_string(), "its local id")),
        _ => None,
    }
}
