//! The way in from IMSMA: a restored IMSMA NG database read object by object
//! ([`ng`]), its columns mapped to safeground's fields by a mapping file
//! ([`mapping`]). The geometry decisions (rings from points, geocheck's
//! defects, safe repairs) are `safeground_core::imsma`'s; the binary sends
//! what this crate reads through the import's approval, one report per batch.

pub mod mapping;
pub mod ng;

use mapping::{resolve, Mapping, Unmapped, HAZARD_FIELDS};
use ng::NgObject;
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
pub fn id_of(object: ng::Object, guid: &str) -> Uuid {
    Uuid::new_v5(&NG_NAMESPACE, format!("imsma-ng:{}:{}", object.table(), guid.trim()).as_bytes())
}

/// What the migration fills itself where the mapping is silent.
pub struct Fallbacks<'a> {
    /// The district the polygon lies in.
    pub district: Option<&'a str>,
    /// `--organisation`.
    pub organisation: &'a str,
}

/// A hazard's fields as `import` reads them, and where each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// `Layer::Hazards`'s columns.
    pub fields: Vec<(String, Value)>,
    /// One line per field the mapping did not fill from a column: a default,
    /// or what the migration filled itself.
    pub decisions: Vec<String>,
    /// The area typed into NG (`typed_area_m2`), for the reconciliation.
    pub typed_area_m2: Option<f64>,
}

/// A hazard's fields from its NG row by the mapping; or every value the
/// mapping has no code for.
pub fn hazard_fields(
    o: &NgObject,
    mapping: &Mapping,
    enums: &HashMap<String, String>,
    fallback: &Fallbacks<'_>,
) -> Result<Mapped, Vec<Unmapped>> {
    let id = id_of(ng::Object::Hazard, &o.guid).to_string();
    let mut out = Mapped {
        fields: vec![("id".to_string(), Value::String(id))],
        decisions: vec![],
        typed_area_m2: None,
    };
    let mut unmapped = vec![];
    for field in HAZARD_FIELDS {
        let rule = mapping.hazard_rule(field);
        let from_column = |r: &mapping::Rule| {
            r.column.as_deref().and_then(|c| o.record.get(c)).is_some_and(|v| !v.is_null() && v != "")
        };
        let value = match rule.as_ref().map(|r| (r, resolve(field, r, &o.record, enums))) {
            Some((_, Err(u))) => {
                unmapped.push(u);
                continue;
            }
            Some((r, Ok(Some(v)))) => {
                if !from_column(r) {
                    out.decisions.push(format!("{field}: the mapping's default, {v}"));
                }
                Some(v)
            }
            Some((_, Ok(None))) | None => {
                let filled = match *field {
                    "district" => {
                        fallback.district.map(|d| (d.to_string(), "the district its polygon lies in"))
                    }
                    "recorded_on" => o.entered().map(|d| (d.to_string(), "its polygons' data entry date")),
                    "recorded_by" => Some((fallback.organisation.to_string(), "--organisation")),
                    "name" => Some((o.label().to_string(), "its local id")),
                    _ => None,
                };
                filled.map(|(v, why)| {
                    out.decisions.push(format!("{field}: {v}, {why}"));
                    v
                })
            }
        };
        match (*field, value) {
            ("typed_area_m2", Some(v)) => out.typed_area_m2 = v.parse().ok(),
            // A timestamp column gives its date.
            ("recorded_on", Some(v)) => {
                out.fields.push((field.to_string(), Value::String(v.chars().take(10).collect())))
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
