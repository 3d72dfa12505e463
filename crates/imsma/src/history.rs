//! An object's history from the info versions its source keeps: which of
//! them are history (the mapping's [`VersionRules`]), their dates, in date
//! order. The migration replays them so the register as of an earlier date
//! holds the object as it then stood.

use crate::mapping::VersionRules;
use crate::{date_of, Codes, SourceObject, SourceVersion};
use serde_json::{Map, Value};
use time::Date;

/// A version to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed<'a> {
    pub version: &'a SourceVersion,
    pub date: Date,
    /// How messages name it: its guid, date and field report.
    pub label: String,
}

/// An object's versions: those replayed, in date order, and why each other
/// one is left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History<'a> {
    pub replayed: Vec<Replayed<'a>>,
    pub left_out: Vec<String>,
}

/// Sorts `o`'s versions into history and the rest.
///
/// ```
/// use safeground_imsma::history::history;
/// use safeground_imsma::mapping::VersionRules;
/// use safeground_imsma::{Codes, SourceGeometry, SourceObject, SourceVersion};
/// use serde_json::json;
///
/// let version = |guid: &str, date: &str, status: &str| SourceVersion {
///     guid: guid.into(),
///     record: json!({ "dateofreport": date }).as_object().unwrap().clone(),
///     report: json!({ "workbenchstatusenum_guid": status }).as_object().unwrap().clone(),
///     geometry: SourceGeometry::Shapes(vec![]),
///     entered: None,
/// };
/// let o = SourceObject {
///     guid: "h1".into(),
///     localid: Some("HA-1".into()),
///     record: Default::default(),
///     geometry: SourceGeometry::Shapes(vec![]),
///     entered: None,
///     versions: vec![version("b", "2018-06-11", "{R}"), version("a", "2015-03-02", "{R}"), version("c", "2019-01-01", "{D}")],
///     devices: vec![],
///     refusal: None,
/// };
/// let mut codes = Codes::default();
/// codes.shared.insert("{R}".into(), "Reconciled".into());
/// codes.shared.insert("{D}".into(), "Draft".into());
/// let rules = VersionRules { date: Some("dateofreport".into()), ..VersionRules::default() };
/// let h = history(&o, &rules, &codes);
/// let dates: Vec<String> = h.replayed.iter().map(|r| r.date.to_string()).collect();
/// assert_eq!(dates, ["2015-03-02", "2018-06-11"]);
/// assert!(h.left_out[0].contains("'Draft'"));
/// ```
pub fn history<'a>(o: &'a SourceObject, rules: &VersionRules, codes: &Codes) -> History<'a> {
    let mut out = History::default();
    if !rules.replay {
        return out;
    }
    for v in &o.versions {
        let report = text(v, "fieldreport.fieldreport_localid");
        let named = match &report {
            Some(r) => format!("version {} (field report {r})", v.guid),
            None => format!("version {}", v.guid),
        };
        if let Some(status) = text(v, &rules.status) {
            let status =
                codes.decode(column_of(&rules.status), &status).unwrap_or(&status).trim().to_string();
            if !rules.statuses.iter().any(|s| s.trim().eq_ignore_ascii_case(&status)) {
                out.left_out.push(format!(
                    "{named}: its workbench status is '{status}', not one of {} ([versions] statuses in the \
                     mapping)",
                    rules.statuses.join(", ")
                ));
                continue;
            }
        }
        let date = match &rules.date {
            Some(column) => text(v, column).as_deref().and_then(date_of),
            None => v.entered,
        };
        let Some(date) = date.or(v.entered) else {
            out.left_out.push(format!("{named}: it has no date (map [versions] date)"));
            continue;
        };
        out.replayed.push(Replayed { version: v, date, label: format!("{named} of {date}") });
    }
    out.replayed.sort_by(|a, b| (a.date, &a.version.guid).cmp(&(b.date, &b.version.guid)));
    out
}

/// The column's name without its table.
fn column_of(column: &str) -> &str {
    column.strip_prefix("fieldreport.").unwrap_or(column)
}

/// A version's column (or its field report's, `fieldreport.NAME`) as text;
/// `None` when absent, null or blank.
fn text(v: &SourceVersion, column: &str) -> Option<String> {
    let (row, name): (&Map<String, Value>, &str) = match column.strip_prefix("fieldreport.") {
        Some(name) => (&v.report, name),
        None => (&v.record, column),
    };
    let value = row.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)?;
    let t = match value {
        Value::Null => return None,
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    };
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceGeometry;
    use serde_json::json;

    fn version(guid: &str, record: Value, report: Value, entered: Option<Date>) -> SourceVersion {
        let row = |v: Value| v.as_object().cloned().unwrap_or_default();
        SourceVersion {
            guid: guid.into(),
            record: row(record),
            report: row(report),
            geometry: SourceGeometry::Shapes(vec![]),
            entered,
        }
    }

    fn object(versions: Vec<SourceVersion>) -> SourceObject {
        SourceObject {
            guid: "h".into(),
            localid: None,
            record: Map::new(),
            geometry: SourceGeometry::Shapes(vec![]),
            entered: None,
            versions,
            devices: vec![],
            refusal: None,
        }
    }

    #[test]
    fn without_a_field_report_every_version_is_history_dated_by_its_polygons() {
        let d = |y| Date::from_calendar_date(y, time::Month::May, 1).ok();
        let o = object(vec![
            version("b", json!({}), json!({}), d(2019)),
            version("a", json!({}), json!({}), d(2016)),
        ]);
        let h = history(&o, &VersionRules::default(), &Codes::default());
        assert_eq!(h.replayed.iter().map(|r| r.version.guid.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(h.left_out.is_empty());
    }

    #[test]
    fn a_version_with_no_date_is_left_out_and_said_so() {
        let o = object(vec![version(
            "a",
            json!({"dateofreport": null}),
            json!({"fieldreport_localid": "FR-9"}),
            None,
        )]);
        let rules = VersionRules { date: Some("dateofreport".into()), ..VersionRules::default() };
        let h = history(&o, &rules, &Codes::default());
        assert!(h.replayed.is_empty());
        assert_eq!(h.left_out, ["version a (field report FR-9): it has no date (map [versions] date)"]);
    }

    #[test]
    fn the_date_column_may_be_the_field_reports_and_a_timestamp() {
        let o = object(vec![version("a", json!({}), json!({"dateofreport": "2017-02-03T10:00:00"}), None)]);
        let rules = VersionRules { date: Some("fieldreport.dateofreport".into()), ..VersionRules::default() };
        let h = history(&o, &rules, &Codes::default());
        assert_eq!(h.replayed[0].date.to_string(), "2017-02-03");
    }

    #[test]
    fn replay_false_replays_nothing() {
        let o = object(vec![version(
            "a",
            json!({}),
            json!({}),
            Date::from_calendar_date(2017, time::Month::May, 1).ok(),
        )]);
        let rules = VersionRules { replay: false, ..VersionRules::default() };
        assert_eq!(history(&o, &rules, &Codes::default()), History::default());
    }
}
