//! The mapping file: which IMSMA NG column (or fixed value) each safeground
//! field of a migrated record comes from.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

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

/// The default mapping shipped with safeground.
pub const NG_DEFAULT: &str = include_str!("../mapping/ng_default.toml");

/// A mapping file, read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub hazard: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub hazreduc: BTreeMap<String, FieldSpec>,
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
}

impl std::fmt::Display for Unmapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field '{}' from column '{}': '{}' is not among the mapping's values; add it under values",
            self.field, self.column, self.value
        )
    }
}

impl Mapping {
    /// Reads a mapping file's text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, MappingError> {
        let m: Mapping = toml::from_str(text)
            .map_err(|e| MappingError::Syntax { file: file.into(), message: e.to_string() })?;
        for (section, map, fields) in
            [("hazard", &m.hazard, HAZARD_FIELDS), ("hazreduc", &m.hazreduc, HAZREDUC_FIELDS)]
        {
            if let Some(field) = map.keys().find(|k| !fields.contains(&k.as_str())) {
                return Err(MappingError::UnknownField {
                    file: file.into(),
                    section,
                    field: field.clone(),
                    fields,
                });
            }
        }
        Ok(m)
    }

    /// The mapping shipped with safeground.
    pub fn ng_default() -> Mapping {
        // The shipped text is tested to parse (tests below).
        Mapping::parse(NG_DEFAULT, "the default mapping").unwrap_or_default()
    }

    /// The rule of a hazard field, if the mapping names it.
    pub fn hazard_rule(&self, field: &str) -> Option<Rule> {
        self.hazard.get(field).map(FieldSpec::rule)
    }

    /// The rule of a field of an object's section, if the mapping names it.
    pub fn rule(&self, object: crate::ng::Object, field: &str) -> Option<Rule> {
        match object {
            crate::ng::Object::Hazard => self.hazard.get(field),
            crate::ng::Object::HazardReduction => self.hazreduc.get(field),
        }
        .map(FieldSpec::rule)
    }
}

/// The field's value for one object: the column's (through `imsmaenum` and
/// the values table when the rule says so), else the default. `Err` names
/// a value the rule has no code for.
pub fn resolve(
    field: &str,
    rule: &Rule,
    record: &Map<String, Value>,
    enums: &HashMap<String, String>,
) -> Result<Option<String>, Unmapped> {
    let raw = rule.column.as_deref().and_then(|c| record.get(c)).and_then(|v| match v {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    });
    let Some(raw) = raw else { return Ok(rule.default.clone()) };
    let column = rule.column.clone().unwrap_or_default();
    let value = if rule.is_enum {
        match enums.get(&raw) {
            Some(v) => v.trim().to_string(),
            None => {
                return Err(Unmapped {
                    field: field.into(),
                    column,
                    value: format!("{raw} (no such imsmaenum)"),
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
        None => Err(Unmapped { field: field.into(), column, value }),
    }
}

/// A mapping template: the default mapping, then every column of each
/// object table as a commented line to copy, with its type.
pub fn template(tables: &[(&str, Vec<(String, String)>)]) -> String {
    let mut out = String::from(NG_DEFAULT);
    for (table, columns) in tables {
        let _ = writeln!(
            out,
            "\n# The columns of this database's {table} table (name: type). Map one by adding,"
        );
        let _ = writeln!(
            out,
            "# under [{table}], e.g.  name = \"column\"  or  field = {{ column = \"c\", enum = true, values = {{ \"NG value\" = \"CODE\" }} }}"
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
        let t = template(&[("hazard", vec![("hazard_name".into(), "character varying".into())])]);
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
        let enums: HashMap<String, String> =
            [("{E1}".into(), "Anti-personnel mines ".into()), ("{E2}".into(), "Sea mines".into())].into();
        let rule = m.hazard_rule("contamination").unwrap();
        let rec =
            |v: Value| json!({ "haztype": v, "hazname": " Near the school " }).as_object().unwrap().clone();
        assert_eq!(resolve("contamination", &rule, &rec(json!("{E1}")), &enums), Ok(Some("AP".into())));
        assert_eq!(resolve("contamination", &rule, &rec(Value::Null), &enums), Ok(Some("UXO".into())));
        let e = resolve("contamination", &rule, &rec(json!("{E2}")), &enums).unwrap_err();
        assert_eq!(e.value, "Sea mines");
        assert!(resolve("contamination", &rule, &rec(json!("{E9}")), &enums).is_err());
        let name = m.hazard_rule("name").unwrap();
        assert_eq!(resolve("name", &name, &rec(Value::Null), &enums), Ok(Some("Near the school".into())));
    }
}
