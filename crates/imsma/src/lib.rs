//! The way in from IMSMA: a restored IMSMA NG database read object by object
//! ([`ng`]), or IMSMA Core's feature layers exported as a GeoPackage (or a
//! File Geodatabase, through GDAL) ([`core_layers`]); their columns mapped to
//! safeground's fields by a mapping file ([`mapping`]). Both give
//! [`SourceObject`]s; the geometry decisions (rings from points, geocheck's
//! defects, safe repairs) are `safeground_core::imsma`'s; the binary sends
//! what this crate reads through the import's approval, one report per batch.

pub mod core_layers;
pub mod devices;
pub mod history;
pub mod mapping;
pub mod ng;
pub mod victims;

use mapping::{layer_fields, resolve, Mapping, Unmapped, HAZARD_FIELDS, HAZREDUC_FIELDS, VICTIM_FIELDS};
use safeground_core::imsma::{assemble, check_feature, locate, locate_feature, Assembly, NgShape, Position};
use safeground_core::layer::Layer;
use safeground_core::validate::Rules;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use time::Date;
use uuid::Uuid;

/// Which IMSMA a migration reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// IMSMA NG's PostgreSQL database.
    Ng,
    /// IMSMA Core's feature layers, exported.
    Core,
}

impl Source {
    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Ng => "IMSMA NG",
            Source::Core => "IMSMA Core",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Source::Ng => "imsma-ng",
            Source::Core => "imsma-core",
        }
    }
}

/// The IMSMA objects safeground migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    Hazard,
    /// `hazreduc`: a hazard reduction, ground released from a hazard.
    HazardReduction,
    /// A task (IMSMA Core's activity): a hazard given to an organisation
    /// for survey or clearance.
    Task,
    /// A victim of an accident, as a person: migrated with its accident.
    Victim,
    /// A mine/ERW accident: where, when, its victims counted.
    Accident,
    /// An item (or items) of explosive ordnance found, and what was done
    /// with it (IMSMA Core's EO layer).
    Eo,
    /// `mre`: a mine risk education (EORE) session.
    Mre,
}

impl Object {
    /// Every object, in the order a migration reads them (hazards before
    /// what refers to them).
    pub const ALL: [Object; 7] = [
        Object::Hazard,
        Object::HazardReduction,
        Object::Task,
        Object::Victim,
        Object::Accident,
        Object::Eo,
        Object::Mre,
    ];

    /// NG's table, and the mapping file's section.
    pub fn table(self) -> &'static str {
        match self {
            Object::Hazard => "hazard",
            Object::HazardReduction => "hazreduc",
            Object::Task => "task",
            Object::Victim => "victim",
            Object::Accident => "accident",
            Object::Eo => "eo",
            Object::Mre => "mre",
        }
    }

    /// Whether it has a place of its own (a task is its hazard's, a victim
    /// its accident's).
    pub fn has_geometry(self) -> bool {
        !matches!(self, Object::Task | Object::Victim)
    }

    /// Whether it is a place (a point), not an area.
    pub fn is_point(self) -> bool {
        matches!(self, Object::Accident | Object::Eo | Object::Mre)
    }

    /// The safeground fields a mapping may name for it.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Object::Hazard => HAZARD_FIELDS,
            Object::HazardReduction => HAZREDUC_FIELDS,
            Object::Task => layer_fields(Layer::Tasks),
            Object::Victim => VICTIM_FIELDS,
            Object::Accident => layer_fields(Layer::Accidents),
            Object::Eo => layer_fields(Layer::EoFinds),
            Object::Mre => layer_fields(Layer::EoreSessions),
        }
    }

    /// The fields it cannot migrate without, which have no fallback: a
    /// migration whose mapping leaves one of them out stops before reading.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Object::Hazard => &["contamination"],
            Object::HazardReduction => &["outcome"],
            Object::Task => &["activity"],
            Object::Victim => &["accident", "outcome"],
            Object::Accident => &["kind", "device_category", "activity_at_time"],
            Object::Eo => &["category", "eo_type", "disposal"],
            Object::Mre => &["kind", "audience"],
        }
    }
}

/// One object as its source holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceObject {
    /// NG's `<object>_guid`, IMSMA Core's `globalid`.
    pub guid: String,
    /// NG's `<object>_localid`, IMSMA Core's `imsma_id`.
    pub localid: Option<String>,
    /// Every column of its row.
    pub record: Map<String, Value>,
    pub geometry: SourceGeometry,
    /// When the source had it entered, and from where that date is.
    pub entered: Option<(Date, &'static str)>,
    /// Its earlier states, as the source keeps them (NG's
    /// `hazardinfoversion`), in no order: [`history`] orders them.
    pub versions: Vec<SourceVersion>,
    /// The devices the source records on it (NG's `hazreducdeviceinfo` with
    /// its `ordnance` row), each as its columns.
    pub devices: Vec<Map<String, Value>>,
    /// Why the object cannot be migrated whatever its fields and geometry
    /// (an IMSMA Core feature without a guid).
    pub refusal: Option<String>,
}

/// One info version of an object: NG's `hazardinfoversion` row, the row of
/// the field report that made it (empty where the database has none) and
/// its own shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceVersion {
    pub guid: String,
    pub record: Map<String, Value>,
    pub report: Map<String, Value>,
    pub geometry: SourceGeometry,
    /// The earliest data entry date of its active polygons.
    pub entered: Option<Date>,
}

/// The date of a date or timestamp as the sources write them
/// (`2021-06-01`, `2021-06-01T10:15:00Z`, `2021-06-01 10:15:00`).
pub(crate) fn date_of(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10)?, &format).ok()
}

/// An object's geometry as its source keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceGeometry {
    /// NG's shapes and their points.
    Shapes(Vec<NgShape>),
    /// An exported feature's geometry, in longitude and latitude; `Err` when
    /// it cannot be read.
    Feature(Result<Option<geo::Geometry<f64>>, String>),
}

impl SourceObject {
    /// How messages name it: its local id, else its guid.
    pub fn label(&self) -> &str {
        self.localid.as_deref().map(str::trim).filter(|l| !l.is_empty()).unwrap_or(&self.guid)
    }

    /// Its position, for an object of one place, with what was found.
    pub fn position(&self, rules: &Rules) -> Position {
        match &self.geometry {
            SourceGeometry::Shapes(shapes) => locate(shapes, rules),
            SourceGeometry::Feature(Ok(g)) => locate_feature(g.as_ref(), rules),
            SourceGeometry::Feature(Err(_)) => {
                let a = self.assemble(rules);
                Position { point: None, findings: a.findings }
            }
        }
    }

    /// Its polygons, with what was found in them.
    pub fn assemble(&self, rules: &Rules) -> Assembly {
        self.geometry.assemble(rules)
    }
}

impl SourceGeometry {
    /// The polygons, with what was found in them.
    pub fn assemble(&self, rules: &Rules) -> Assembly {
        match self {
            SourceGeometry::Shapes(shapes) => assemble(shapes, rules),
            SourceGeometry::Feature(Ok(g)) => check_feature(g.as_ref(), rules),
            SourceGeometry::Feature(Err(detail)) => Assembly {
                polygons: None,
                findings: vec![safeground_core::imsma::Finding {
                    shape: None,
                    pointno: None,
                    defect: safeground_core::imsma::Defect::Unreadable { detail: detail.clone() },
                }],
            },
        }
    }
}

/// The coded values of a source: NG's `imsmaenum` (one table for every
/// column, keyed by guid), IMSMA Core's coded-value domains (per column).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    pub shared: HashMap<String, String>,
    pub by_column: HashMap<String, HashMap<String, String>>,
}

impl Codes {
    /// The value a column's code stands for.
    pub fn decode(&self, column: &str, code: &str) -> Option<&str> {
        match self.by_column.get(column) {
            Some(values) => values.get(code),
            None => self.shared.get(code),
        }
        .map(String::as_str)
    }

    /// Why a column's code is not decoded, and what to do, for messages.
    pub fn missing(&self, column: &str) -> String {
        if self.by_column.contains_key(column) {
            format!("is not among column '{column}''s coded values; correct the record in IMSMA Core")
        } else if self.by_column.is_empty() {
            "is not an imsmaenum guid of the database; correct the record in IMSMA NG".into()
        } else {
            format!("cannot be decoded: column '{column}' has no coded values; remove enum = true from the mapping")
        }
    }
}

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
        // The server's own message says what is wrong; the client's says "db error".
        let detail = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        NgError::Query { what: what.into(), detail }
    }
}

/// The namespace of the ids of migrated records: the same NG guid always
/// gives the same safeground id, so a migration run twice adds nothing.
const NG_NAMESPACE: Uuid = Uuid::from_u128(0x5a_fe_67_0d_1a_5a_4e_0b_9a_6b_1c_4e_5f_00_00_01);

/// The safeground id of a source's object.
pub fn id_of(source: Source, object: Object, guid: &str) -> Uuid {
    let name = format!("{}:{}:{}", source.key(), object.table(), guid.trim());
    Uuid::new_v5(&NG_NAMESPACE, name.as_bytes())
}

/// The id of the task a migrated hazard reduction is reported under.
pub fn task_id_of(source: Source, hazreduc_guid: &str) -> Uuid {
    let name = format!("{}:hazreduc-task:{}", source.key(), hazreduc_guid.trim());
    Uuid::new_v5(&NG_NAMESPACE, name.as_bytes())
}

/// What the migration fills itself where the mapping is silent, and what
/// it needs to know of the source to map a field.
pub struct Fallbacks<'a> {
    pub source: Source,
    /// The district the polygon lies in.
    pub district: Option<&'a str>,
    /// `--organisation`.
    pub organisation: &'a str,
    /// The source's hazards by guid and by local id (lower case) → guid,
    /// when a hazard reduction's `hazard` column may name its hazard either
    /// way, or among other objects (IMSMA Core's `imsma_links`).
    pub hazards: Option<&'a HashMap<String, String>>,
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
    /// Its date (recorded, released, occurred, held), which it counts from
    /// in the register.
    pub date: Option<Date>,
    /// The row's other columns (not its guid or local id), kept with the
    /// migrated record: coded values as what they stand for.
    pub attributes: BTreeMap<String, Value>,
}

/// An object's fields from its source row by the mapping's section for it;
/// or every value the mapping has no code for. A hazard reduction's `hazard`
/// (its hazard's guid; with [`Fallbacks::hazards`], its guid or local id,
/// among other ids) becomes the migrated hazard's id.
pub fn fields(
    object: Object,
    o: &SourceObject,
    mapping: &Mapping,
    codes: &Codes,
    fallback: &Fallbacks<'_>,
) -> Result<Mapped, Vec<Unmapped>> {
    let id = id_of(fallback.source, object, &o.guid).to_string();
    let mut out = Mapped {
        fields: vec![("id".to_string(), Value::String(id))],
        decisions: vec![],
        typed_area_m2: None,
        date: None,
        attributes: kept(object, o, mapping, codes),
    };
    let mut unmapped = vec![];
    for field in object.fields() {
        let value = match mapping.rule(object, field).map(|r| (resolve(field, &r, &o.record, codes), r)) {
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
            Some((Ok(None), _)) | None => fallback_of(object, field, o, fallback).map(|(v, why)| {
                out.decisions.push(format!("{field}: {v}, {why}"));
                v
            }),
        };
        match (*field, value) {
            ("typed_area_m2", Some(v)) => out.typed_area_m2 = v.parse().ok(),
            // A timestamp column gives its date.
            (
                "recorded_on" | "released_on" | "occurred_on" | "held_on" | "found_on" | "issued_on",
                Some(v),
            ) => {
                let day: String = v.chars().take(10).collect();
                out.date = date_of(&day);
                out.fields.push((field.to_string(), Value::String(day)))
            }
            ("hazard", Some(named)) => match hazard_named(&named, fallback.hazards) {
                Ok(guid) => {
                    let id = id_of(fallback.source, Object::Hazard, &guid);
                    let source = fallback.source.name();
                    out.decisions.push(format!("hazard: {source} hazard {guid}, migrated as {id}"));
                    out.fields.push(("hazard".into(), Value::String(id.to_string())));
                }
                Err(reason) => {
                    let column = mapping.rule(object, field).and_then(|r| r.column).unwrap_or_default();
                    unmapped.push(Unmapped { field: field.to_string(), column, value: named, reason });
                }
            },
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

/// The columns of an object's row its mapping does not use, but for its
/// guid and local id and empty ones; a coded value as what it stands for.
fn kept(object: Object, o: &SourceObject, mapping: &Mapping, codes: &Codes) -> BTreeMap<String, Value> {
    let used: Vec<String> = object
        .fields()
        .iter()
        .filter_map(|f| mapping.rule(object, f)?.column)
        .map(|c| c.to_lowercase())
        .collect();
    let keys = [Some(o.guid.trim()), o.localid.as_deref().map(str::trim)];
    let mut out = BTreeMap::new();
    for (column, value) in &o.record {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        if text.is_empty() || used.contains(&column.to_lowercase()) || keys.contains(&Some(text.as_str())) {
            continue;
        }
        let decoded = codes.decode(column, &text).map(|v| Value::String(v.trim().to_string()));
        out.insert(column.clone(), decoded.unwrap_or_else(|| value.clone()));
    }
    out
}

/// The guid of the hazard a hazard reduction's column names: the value
/// itself, or, given the source's hazards, the one hazard among its
/// comma-separated ids (guids or local ids).
fn hazard_named(named: &str, hazards: Option<&HashMap<String, String>>) -> Result<String, String> {
    let Some(hazards) = hazards else { return Ok(named.to_string()) };
    let mut found: Vec<&String> =
        named.split(',').filter_map(|id| hazards.get(&id.trim().to_lowercase())).collect();
    found.sort();
    found.dedup();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err("names no hazard of the source (by its guid or local id)".into()),
        many => Err(format!("names {} hazards; a reduction belongs to one", many.len())),
    }
}

/// What the migration fills in where the mapping gives nothing, and why.
fn fallback_of(
    object: Object,
    field: &str,
    o: &SourceObject,
    fallback: &Fallbacks<'_>,
) -> Option<(String, &'static str)> {
    match field {
        "district" => fallback.district.map(|d| (d.to_string(), "the district its polygon lies in")),
        "recorded_on" | "released_on" | "occurred_on" | "held_on" | "found_on" | "issued_on" => {
            o.entered.map(|(d, why)| (d.to_string(), why))
        }
        "recorded_by" | "organisation" => Some((fallback.organisation.to_string(), "--organisation")),
        // A victim's name is personal data: only ever the source's.
        "name" if object == Object::Hazard => Some((o.label().to_string(), "its local id")),
        "code" if object == Object::Task => Some((o.label().to_string(), "its local id")),
        _ => None,
    }
}
