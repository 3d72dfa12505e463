//! The mapping file: which IMSMA column (or fixed value) each safeground
//! field of a migrated record comes from, and, for IMSMA Core, which of the
//! exported layers hold which objects.

use crate::Codes;
use safeground_core::layer::Layer;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// The fields of a migrated hazard that a mapping may name.
/// `typed_area_m2` (the area typed into NG) goes to the reconciliation only.
pub const HAZARD_FIELDS: &[&str] = &[
    "code",
    "name",
    "kind",
    "contamination",
    "land_use",
    "district",
    "recorded_on",
    "recorded_by",
    "typed_area_m2",
];

/// The fields of a migrated hazard reduction (a released area of its hazard).
pub const HAZREDUC_FIELDS: &[&str] = &["hazard", "outcome", "released_on", "organisation", "typed_area_m2"];

/// The fields a mapping may name for an object that becomes a feature of
/// `layer` as it is (a task, an accident, an EO find, a risk education
/// session): the layer's columns, but those the migration makes itself (the
/// id, from the guid; the district, from the place; the report).
///
/// ```
/// use safeground_core::layer::Layer;
/// let fields = safeground_imsma::mapping::layer_fields(Layer::Accidents);
/// assert!(fields.contains(&"occurred_on") && !fields.contains(&"id") && !fields.contains(&"district"));
/// ```
pub fn layer_fields(layer: Layer) -> &'static [&'static str] {
    fn of(layer: Layer) -> Vec<&'static str> {
        let made = ["id", "district", "report_id"];
        layer.columns().iter().copied().filter(|c| !made.contains(c)).collect()
    }
    static TASKS: LazyLock<Vec<&'static str>> = LazyLock::new(|| of(Layer::Tasks));
    static ACCIDENTS: LazyLock<Vec<&'static str>> = LazyLock::new(|| of(Layer::Accidents));
    static EO_FINDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| of(Layer::EoFinds));
    static SESSIONS: LazyLock<Vec<&'static str>> = LazyLock::new(|| of(Layer::EoreSessions));
    match layer {
        Layer::Tasks => &TASKS,
        Layer::Accidents => &ACCIDENTS,
        Layer::EoFinds => &EO_FINDS,
        Layer::EoreSessions => &SESSIONS,
        _ => &[],
    }
}

/// The fields of a device NG records on a hazard reduction (a row of
/// `hazreducdeviceinfo` with its `ordnance`), migrated as an EO find of the
/// reduction's release.
pub const DEVICE_FIELDS: &[&str] = &["category", "eo_type", "quantity", "disposal"];

/// The fields of a migrated victim (a person, migrated with its accident):
/// `accident` names the accident (its guid or local id; IMSMA Core's
/// `imsma_links` may list several ids, one of them an accident's).
pub const VICTIM_FIELDS: &[&str] =
    &["accident", "outcome", "sex", "age", "occupation", "injuries", "assistance", "name", "contact"];

/// The default mapping shipped with safeground for IMSMA NG.
pub const NG_DEFAULT: &str = include_str!("../mapping/ng_default.toml");

/// The default mapping shipped with safeground for IMSMA Core's layers.
pub const CORE_DEFAULT: &str = include_str!("../mapping/core_default.toml");

/// A mapping file, read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub hazard: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub hazreduc: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub task: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub victim: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub accident: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub eo: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub mre: BTreeMap<String, FieldSpec>,
    /// Where IMSMA Core's objects are (ignored for NG).
    #[serde(default)]
    pub core: CoreLayers,
    /// Which of NG's hazard info versions are replayed, and their dates.
    #[serde(default)]
    pub versions: VersionRules,
    /// The devices NG records on a hazard reduction, as its EO finds.
    #[serde(default)]
    pub device: BTreeMap<String, FieldSpec>,
}

/// How NG's hazard info versions (`hazardinfoversion`) are replayed: a
/// version is history when its field report's workbench status is one of
/// `statuses` (a report still in the workbench was never approved); its
/// date is the `date` column's, else the day its polygons were entered.
/// A column is the version's, or its field report's as `fieldreport.NAME`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VersionRules {
    /// Replay the versions (where the database has them).
    pub replay: bool,
    /// The column holding a version's date.
    pub date: Option<String>,
    /// The column holding its workbench status (an `imsmaenum` guid); a
    /// version whose row has no such column is history.
    pub status: String,
    /// The statuses (`enumvalue`s, in any case) of versions that are history.
    pub statuses: Vec<String>,
}

impl Default for VersionRules {
    fn default() -> Self {
        VersionRules {
            replay: true,
            date: None,
            status: "fieldreport.workbenchstatusenum_guid".into(),
            statuses: vec!["Approved".into(), "Reconciled".into()],
        }
    }
}

/// The layers of an IMSMA Core export that hold the objects, and the
/// columns every Core layer has (ArcGIS's `globalid`, IMSMA Core's
/// `imsma_id`, ArcGIS editor tracking's `created_date`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreLayers {
    pub hazard_layer: String,
    pub hazreduc_layer: String,
    /// A table (no geometry needed) of tasks: IMSMA Core's activities.
    pub task_layer: String,
    /// A table (no geometry needed) of accidents' victims.
    pub victim_layer: String,
    pub accident_layer: String,
    /// EO found (points).
    pub eo_layer: String,
    pub mre_layer: String,
    /// The column of the object's guid, which its safeground id is made from.
    pub guid: String,
    /// The column of its local id, which messages and the workbook name it by.
    pub localid: String,
    /// The column of the date it was entered, when no better date is mapped.
    pub entered: String,
}

impl Default for CoreLayers {
    fn default() -> Self {
        CoreLayers {
            hazard_layer: "hazard_poly".into(),
            hazreduc_layer: "hazreduc_poly".into(),
            task_layer: "activity".into(),
            victim_layer: "victim".into(),
            accident_layer: "accident".into(),
            eo_layer: "eo".into(),
            mre_layer: "mre".into(),
            guid: "globalid".into(),
            localid: "imsma_id".into(),
            entered: "created_date".into(),
        }
    }
}

impl CoreLayers {
    /// The layer holding an object.
    pub fn layer(&self, object: crate::Object) -> &str {
        match object {
            crate::Object::Hazard => &self.hazard_layer,
            crate::Object::HazardReduction => &self.hazreduc_layer,
            crate::Object::Task => &self.task_layer,
            crate::Object::Victim => &self.victim_layer,
            crate::Object::Accident => &self.accident_layer,
            crate::Object::Eo => &self.eo_layer,
            crate::Object::Mre => &self.mre_layer,
        }
    }
}

/// Where one field comes from: a column's name, or the whole rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    Column(String),
    Rule(Rule),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub column: Option<String>,
    /// The column holds an `imsmaenum` guid.
    #[serde(rename = "enum", default)]
    pub is_enum: bool,
    /// NG's values to safeground's codes.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    pub default: Option<String>,
}

impl FieldSpec {
    fn rule(&self) -> Rule {
        match self {
            FieldSpec::Column(c) => Rule { column: Some(c.clone()), ..Rule::default() },
            FieldSpec::Rule(r) => r.clone(),
        }
    }
}

/// A mapping that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: [{section}] has no field '{field}'; the fields are {}", fields.join(", "))]
    UnknownField { file: String, section: &'static str, field: String, fields: &'static [&'static str] },
}

/// An object's value that the mapping does not say what to do with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unmapped {
    pub field: String,
    pub column: String,
    pub value: String,
    /// What is wrong with the value, and what to do.
    pub reason: String,
}

/// The reason of a value the mapping's `values` table does not name.
pub const NOT_AMONG_VALUES: &str = "is not among the mapping's values; add it under values";

impl std::fmt::Display for Unmapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field '{}' from column '{}': '{}' {}", self.field, self.column, self.value, self.reason)
    }
}

impl Mapping {
    /// Reads a mapping file's text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, MappingError> {
        let m: Mapping = toml::from_str(text)
            .map_err(|e| MappingError::Syntax { file: file.into(), message: e.to_string() })?;
        for object in crate::Object::ALL {
            let (section, fields) = (object.table(), object.fields());
            let map = m.section(object);
            if let Some(field) = map.keys().find(|k| !fields.contains(&k.as_str())) {
                return Err(MappingError::UnknownField {
                    file: file.into(),
                    section,
                    field: field.clone(),
                    fields,
                });
            }
        }
        if let Some(field) = m.device.keys().find(|k| !DEVICE_FIELDS.contains(&k.as_str())) {
            return Err(MappingError::UnknownField {
                file: file.into(),
                section: "device",
                field: field.clone(),
                fields: DEVICE_FIELDS,
            });
        }
        Ok(m)
    }

    /// The mapping shipped with safeground for a source.
    pub fn default_for(source: crate::Source) -> Mapping {
        // The shipped texts are tested to parse (tests below).
        Mapping::parse(default_text(source), "the default mapping").unwrap_or_default()
    }

    /// The rule of a hazard field, if the mapping names it.
    pub fn hazard_rule(&self, field: &str) -> Option<Rule> {
        self.hazard.get(field).map(FieldSpec::rule)
    }

    /// The rule of a field of an object's section, if the mapping names it.
    /// The rule of a device field, if the mapping names it.
    pub fn device_rule(&self, field: &str) -> Option<Rule> {
        self.device.get(field).map(FieldSpec::rule)
    }

    pub fn rule(&self, object: crate::Object, field: &str) -> Option<Rule> {
        self.section(object).get(field).map(FieldSpec::rule)
    }

    /// The section of an object.
    fn section(&self, object: crate::Object) -> &BTreeMap<String, FieldSpec> {
        match object {
            crate::Object::Hazard => &self.hazard,
            crate::Object::HazardReduction => &self.hazreduc,
            crate::Object::Task => &self.task,
            crate::Object::Victim => &self.victim,
            crate::Object::Accident => &self.accident,
            crate::Object::Eo => &self.eo,
            crate::Object::Mre => &self.mre,
        }
    }
}

/// The field's value for one object: the column's (through `imsmaenum` and
/// the values table when the rule says so), else the default. `Err` names
/// a value the rule has no code for.
pub fn resolve(
    field: &str,
    rule: &Rule,
    record: &Map<String, Value>,
    codes: &Codes,
) -> Result<Option<String>, Unmapped> {
    let raw = rule.column.as_deref().and_then(|c| record.get(c)).and_then(|v| match v {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    });
    let Some(raw) = raw else { return Ok(rule.default.clone()) };
    let column = rule.column.clone().unwrap_or_default();
    let value = if rule.is_enum {
        match codes.decode(&column, &raw) {
            Some(v) => v.trim().to_string(),
            None => {
                return Err(Unmapped {
                    field: field.into(),
                    value: raw,
                    reason: codes.missing(&column),
                    column,
                })
            }
        }
    } else {
        raw
    };
    if rule.values.is_empty() {
        return Ok(Some(value));
    }
    let code =
        rule.values.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(&value)).map(|(_, v)| v.clone());
    match code {
        Some(c) => Ok(Some(c)),
        None => Err(Unmapped { field: field.into(), column, value, reason: NOT_AMONG_VALUES.into() }),
    }
}

/// The text of the mapping shipped for a source.
pub fn default_text(source: crate::Source) -> &'static str {
    match source {
        crate::Source::Ng => NG_DEFAULT,
        crate::Source::Core => CORE_DEFAULT,
    }
}

/// The columns of one object's table or layer, for a template.
pub struct Columns {
    /// The mapping's section (`hazard`, `hazreduc`).
    pub section: &'static str,
    /// Where they are read from, as the template says it.
    pub from: String,
    /// Each column's name and type (and, in IMSMA Core, its coded values).
    pub columns: Vec<(String, String)>,
}

/// A mapping template: the source's default mapping, then every column of
/// each object table (or layer) as a commented line to copy.
pub fn template(source: crate::Source, tables: &[Columns]) -> String {
    let mut out = String::from(default_text(source));
    for Columns { section, from, columns } in tables {
        let _ = writeln!(out, "\n# The columns of {from} (name: type). Map one by adding,");
        let _ = writeln!(
            out,
            "# under [{section}], e.g.  name = \"column\"  or  field = {{ column = \"c\", enum = true, values = {{ \"value\" = \"CODE\" }} }}"
        );
        for (name, ty) in columns {
            let _ = writeln!(out, "#   {name}: {ty}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shipped_mapping_parses_and_its_template_too() {
        let m = Mapping::parse(NG_DEFAULT, "default").unwrap();
        assert_eq!(m.hazard_rule("code").unwrap().column.as_deref(), Some("hazard_localid"));
        assert_eq!(m.hazard_rule("kind").unwrap().default.as_deref(), Some("SHA"));
        assert!(m.hazard_rule("contamination").is_none());
        let t = template(
            crate::Source::Ng,
            &[Columns {
                section: "hazard",
                from: "table hazard".into(),
                columns: vec![("hazard_name".into(), "character varying".into())],
            }],
        );
        assert!(t.contains("#   hazard_name: character varying"));
        assert!(Mapping::parse(&t, "template").is_ok());
    }

    #[test]
    fn a_misspelt_field_or_bad_toml_is_refused_with_the_file() {
        let e = Mapping::parse("[hazard]\ncontaminaton = \"x\"\n", "m.toml").unwrap_err();
        assert!(e.to_string().starts_with("m.toml: [hazard] has no field 'contaminaton'"), "{e}");
        let e = Mapping::parse("[hazreduc]\noutcom = \"x\"\n", "m.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.toml: [hazreduc] has no field 'outcom'; the fields are hazard, outcome"),
            "{e}"
        );
        let e = Mapping::parse("[hazard\n", "m.toml").unwrap_err();
        assert!(e.to_string().starts_with("m.toml: "), "{e}");
    }

    #[test]
    fn values_come_through_imsmaenum_and_the_values_table() {
        let m = Mapping::parse(
            r#"[hazard]
               contamination = { column = "haztype", enum = true, values = { "Anti-personnel mines" = "AP" }, default = "UXO" }
               name = "hazname""#,
            "m",
        )
        .unwrap();
        let enums = Codes {
            shared: [("{E1}".into(), "Anti-personnel mines ".into()), ("{E2}".into(), "Sea mines".into())]
                .into(),
            ..Codes::default()
        };
        let rule = m.hazard_rule("contamination").unwrap();
        let rec =
            |v: Value| json!({ "haztype": v, "hazname": " Near the school " }).as_object().unwrap().clone();
        assert_eq!(resolve("contamination", &rule, &rec(json!("{E1}")), &enums), Ok(Some("AP".into())));
        assert_eq!(resolve("contamination", &rule, &rec(Value::Null), &enums), Ok(Some("UXO".into())));
        let e = resolve("contamination", &rule, &rec(json!("{E2}")), &enums).unwrap_err();
        assert_eq!(e.value, "Sea mines");
        let e = resolve("contamination", &rule, &rec(json!("{E9}")), &enums).unwrap_err();
        assert_eq!(e.value, "{E9}");
        assert!(
            e.to_string()
                .ends_with("'{E9}' is not an imsmaenum guid of the database; correct the record in IMSMA NG"),
            "{e}"
        );
        let name = m.hazard_rule("name").unwrap();
        assert_eq!(resolve("name", &name, &rec(Value::Null), &enums), Ok(Some("Near the school".into())));
    }

    #[test]
    fn core_codes_are_read_through_their_own_columns_domain() {
        let m = Mapping::parse(
            r#"[hazard]
               kind = { column = "hazard_type", enum = true, values = { "Confirmed Hazardous Area" = "CHA" } }
               contamination = { column = "cont", enum = true, values = { "AP" = "AP" } }"#,
            "m",
        )
        .unwrap();
        let codes = Codes {
            by_column: [(
                "hazard_type".to_string(),
                [("1".to_string(), "Confirmed Hazardous Area".to_string())].into(),
            )]
            .into(),
            ..Codes::default()
        };
        let rec = |v: Value| json!({ "hazard_type": v, "cont": "AP" }).as_object().unwrap().clone();
        let kind = m.hazard_rule("kind").unwrap();
        assert_eq!(resolve("kind", &kind, &rec(json!(1)), &codes), Ok(Some("CHA".into())));
        let e = resolve("kind", &kind, &rec(json!(9)), &codes).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field 'kind' from column 'hazard_type': '9' is not among column 'hazard_type''s coded values; \
             correct the record in IMSMA Core"
        );
        // enum = true on a column without coded values says so, not a guess.
        let e = resolve("contamination", &m.hazard_rule("contamination").unwrap(), &rec(json!(1)), &codes)
            .unwrap_err();
        assert!(e.reason.contains("has no coded values; remove enum = true"), "{e}");
    }

    #[test]
    fn the_shipped_core_mapping_names_imsma_cores_own_columns() {
        let m = Mapping::parse(CORE_DEFAULT, "core default").unwrap();
        assert_eq!(m.core.hazard_layer, "hazard_poly");
        assert_eq!(m.core.guid, "globalid");
        assert_eq!(m.hazard_rule("code").unwrap().column.as_deref(), Some("imsma_id"));
        assert_eq!(
            m.rule(crate::Object::HazardReduction, "hazard").unwrap().column.as_deref(),
            Some("imsma_links")
        );
        let e = Mapping::parse("[core]\nhazard_layr = \"x\"\n", "m.toml").unwrap_err();
        assert!(e.to_string().contains("hazard_layr"), "{e}");
    }
}
