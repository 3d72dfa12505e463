//! Submissions exported from KoBoToolbox or ODK Central for the forms of
//! [`crate::xlsform`], read into draft [`Report`]s.
//!
//! Accepted exports:
//!
//! - CSV (KoBo's "CSV" export with XML values and headers; `;` or `,` separated,
//!   detected from the header line). Group prefixes (`hazard/district`) are
//!   ignored: a field is found by its name, the last segment of the column.
//!   Repeats come flattened, one column per field and occurrence:
//!   `turning_points[1]/bearing`, `turning_points[2]/bearing`, …; a
//!   select_multiple is read from its own column (`AP CMR`) or, when the export
//!   split it, from its `contamination/AP` columns (`1`/`0`).
//! - JSON: KoBo's API (`{"results": [...]}`) or a plain array of submissions,
//!   whose repeats are arrays of objects (keys with or without the group path),
//!   and ODK Central's JSON (`{"value": [...]}`, groups as nested objects,
//!   geopoints and geoshapes as GeoJSON).
//!
//! Values as ODK writes them: a `geopoint` is `lat lon [alt [accuracy]]`
//! (space separated, latitude FIRST); a `geoshape` is such points separated by
//! `;`, the first repeated at the end (an open shape is closed here, its
//! points kept as written). Dates are `YYYY-MM-DD` (a date-time keeps its date).
//!
//! The submission's metadata (`meta/instanceID`, `_uuid`, `_id`,
//! `_submission_time`, `__version__`) is kept as the report's provenance, and
//! the instance ID gives the report a stable UUID (v5), so importing the same
//! export twice finds the reports it drafted the first time.
//!
//! Every problem is named by file, row (CSV line or JSON index), field and
//! reason; reading never panics on what it is given.

use crate::xlsform::FormKind;
use safeground_core::codes::UnknownCode;
use safeground_core::report::Report;
use safeground_core::traverse::{self, AngleUnit, Leg, North, Settings, Station};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;
use uuid::Uuid;

/// Where a submission is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// CSV: the line (1-based) of the record.
    Line(u64),
    /// JSON: the index (0-based) in the array of submissions.
    Index(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::Index(i) => write!(f, "submission {i}"),
        }
    }
}

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field '{}': {}", self.field, self.reason)
    }
}

/// A submission that cannot become a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, {at}: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct RowError {
    pub file: String,
    pub at: Location,
    pub problems: Vec<FieldProblem>,
}

/// A file that is not an export at all.
#[derive(Debug, thiserror::Error)]
pub enum KoboError {
    #[error("{file}: cannot read it: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: {reason}")]
    NotAnExport { file: String, reason: String },
}

/// The submission as it was in the file, for the reject file.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Csv(Vec<String>),
    Json(Value),
}

/// A submission read into a draft report.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// With `id` set from the submission's instance ID.
    pub report: Report,
    /// Where it came from, for the history: file, row, instance ID, tool's submission time.
    pub source: String,
}

/// One submission of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub at: Location,
    pub raw: Raw,
    pub outcome: Result<Draft, RowError>,
}

/// The format of the export, to write rejects in the same.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    Csv { headers: Vec<String>, delimiter: u8 },
    Json,
}

/// A whole export, submission by submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub file: String,
    pub format: Format,
    pub rows: Vec<Row>,
}

// ---------------------------------------------------------------- geopoints

/// An ODK geopoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    pub alt: Option<f64>,
    pub accuracy: Option<f64>,
}

/// Reads `lat lon [alt [accuracy]]`.
pub fn parse_geopoint(s: &str) -> Result<GeoPoint, String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() < 2 {
        return Err(format!(
            "'{}' has {} number(s); a geopoint is 'latitude longitude [altitude [accuracy]]'",
            s.trim(),
            parts.len()
        ));
    }
    if parts.len() > 4 {
        return Err(format!("'{}' has {} numbers; a geopoint has at most 4", s.trim(), parts.len()));
    }
    let mut n = Vec::with_capacity(4);
    for p in &parts {
        match p.parse::<f64>() {
            Ok(v) if v.is_finite() => n.push(v),
            _ => return Err(format!("'{p}' in '{}' is not a number", s.trim())),
        }
    }
    let (lat, lon) = (n[0], n[1]);
    if lat.abs() > 90.0 {
        let hint = if lon.abs() <= 90.0 { " (latitude comes first: are they swapped?)" } else { "" };
        return Err(format!("latitude {lat} is outside -90..90{hint}"));
    }
    if lon.abs() > 180.0 {
        return Err(format!("longitude {lon} is outside -180..180"));
    }
    Ok(GeoPoint { lat, lon, alt: n.get(2).copied(), accuracy: n.get(3).copied() })
}

/// Writes a geopoint as ODK does; [`parse_geopoint`] reads it back exactly.
pub fn format_geopoint(p: &GeoPoint) -> String {
    let mut s = format!("{} {}", p.lat, p.lon);
    if let Some(a) = p.alt {
        s.push_str(&format!(" {a}"));
        if let Some(acc) = p.accuracy {
            s.push_str(&format!(" {acc}"));
        }
    }
    s
}

/// Reads a geoshape: geopoints separated by `;`, at least 3 distinct points.
/// Returns the points as written, closed (the first repeated at the end).
pub fn parse_geoshape(s: &str) -> Result<Vec<GeoPoint>, String> {
    let mut pts = Vec::new();
    for (i, part) in s.split(';').enumerate() {
        if part.trim().is_empty() {
            continue;
        }
        pts.push(parse_geopoint(part).map_err(|e| format!("point {}: {e}", i + 1))?);
    }
    let same = |a: &GeoPoint, b: &GeoPoint| a.lat == b.lat && a.lon == b.lon;
    if let (Some(first), Some(last)) = (pts.first().copied(), pts.last().copied()) {
        if pts.len() > 1 && !same(&first, &last) {
            pts.push(first);
        }
    }
    let distinct = pts.len().saturating_sub(1);
    if distinct < 3 {
        return Err(format!(
            "the shape has {distinct} distinct point(s); a polygon needs at least 3 (4 with the closing point)"
        ));
    }
    Ok(pts)
}

/// Writes a geoshape as ODK does; [`parse_geoshape`] reads it back.
pub fn format_geoshape(points: &[GeoPoint]) -> String {
    points.iter().map(format_geopoint).collect::<Vec<_>>().join(";")
}

fn polygon_json(ring: &[[f64; 2]]) -> Value {
    json!({"type": "Polygon", "coordinates": [ring]})
}

// ---------------------------------------------------------------- records

/// A submission flattened: fields by path, repeats by name.
#[derive(Debug, Clone, Default, PartialEq)]
struct Record {
    fields: Vec<(String, String)>,
    repeats: BTreeMap<String, Vec<Record>>,
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Record {
    fn is_empty(&self) -> bool {
        self.fields.iter().all(|(_, v)| v.trim().is_empty()) && self.repeats.values().all(Vec::is_empty)
    }

    /// The value of the field named `name` (the last segment of its path), if not empty.
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(p, v)| last_segment(p) == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// A select_multiple: its own column, or the split `name/CHOICE` columns.
    fn get_multi(&self, name: &str) -> Option<Vec<String>> {
        if let Some(v) = self.get(name) {
            return Some(v.split_whitespace().map(String::from).collect());
        }
        let mut out = Vec::new();
        let mut any = false;
        for (p, v) in &self.fields {
            let mut segs = p.rsplit('/');
            let (Some(choice), Some(parent)) = (segs.next(), segs.next()) else { continue };
            if parent == name {
                any = true;
                if matches!(v.trim(), "1" | "True" | "true" | "TRUE") {
                    out.push(choice.to_string());
                }
            }
        }
        any.then_some(out)
    }

    fn flatten_json(&mut self, prefix: &str, obj: &Map<String, Value>) {
        for (k, v) in obj {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}/{k}") };
            match v {
                Value::Null => {}
                Value::Object(o) if o.contains_key("type") && o.contains_key("coordinates") => {
                    self.fields.push((path, geojson_text(v)));
                }
                Value::Object(o) => self.flatten_json(&path, o),
                Value::Array(items) if items.iter().any(Value::is_object) => {
                    let list = self.repeats.entry(last_segment(k).to_string()).or_default();
                    for item in items {
                        let mut r = Record::default();
                        if let Value::Object(o) = item {
                            r.flatten_json("", o);
                        }
                        list.push(r);
                    }
                }
                Value::Array(items) => {
                    let text: Vec<String> = items.iter().map(scalar_text).collect();
                    self.fields.push((path, text.join(" ")));
                }
                other => self.fields.push((path, scalar_text(other))),
            }
        }
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// GeoJSON (ODK Central) as ODK text: `lat lon alt` points, `;` between them.
fn geojson_text(v: &Value) -> String {
    fn point(c: &Value) -> String {
        let n: Vec<String> = c.as_array().map(|a| a.iter().map(scalar_text).collect()).unwrap_or_default();
        match n.as_slice() {
            [lon, lat, rest @ ..] => {
                let mut s = format!("{lat} {lon}");
                for r in rest {
                    s.push(' ');
                    s.push_str(r);
                }
                s
            }
            other => other.join(" "),
        }
    }
    let coords = &v["coordinates"];
    match v["type"].as_str().unwrap_or("") {
        "Point" => point(coords),
        "LineString" => {
            coords.as_array().map(|a| a.iter().map(point).collect::<Vec<_>>().join(";")).unwrap_or_default()
        }
        "Polygon" => coords[0]
            .as_array()
            .map(|a| a.iter().map(point).collect::<Vec<_>>().join(";"))
            .unwrap_or_default(),
        _ => v.to_string(),
    }
}

/// `turning_points[2]` → ("turning_points", 2).
fn repeat_segment(seg: &str) -> Option<(&str, usize)> {
    let (name, rest) = seg.split_once('[')?;
    let n = rest.strip_suffix(']')?.parse().ok()?;
    (!name.is_empty()).then_some((name, n))
}

fn csv_record(headers: &[String], cells: &[String]) -> Record {
    let mut rec = Record::default();
    let mut repeats: BTreeMap<String, BTreeMap<usize, Record>> = BTreeMap::new();
    for (h, v) in headers.iter().zip(cells) {
        let segs: Vec<&str> = h.split('/').collect();
        match segs.iter().position(|s| repeat_segment(s).is_some()) {
            Some(i) => {
                let Some((name, n)) = repeat_segment(segs[i]) else { continue };
                let path = segs[i + 1..].join("/");
                repeats
                    .entry(name.to_string())
                    .or_default()
                    .entry(n)
                    .or_default()
                    .fields
                    .push((path, v.clone()));
            }
            None => rec.fields.push((h.clone(), v.clone())),
        }
    }
    for (name, items) in repeats {
        rec.repeats.insert(name, items.into_values().filter(|r| !r.is_empty()).collect());
    }
    rec
}

// ---------------------------------------------------------------- reading

/// Reads an export (CSV or JSON, told apart by its first character) of `form`.
/// `file` names it in messages; `organisation` is the author of submissions
/// that name none.
pub fn read(
    file: &str,
    mut input: impl Read,
    form: FormKind,
    organisation: Option<&str>,
) -> Result<Export, KoboError> {
    let ctx = Ctx { file, form, organisation };
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|source| KoboError::Io { file: file.into(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| KoboError::NotAnExport {
        file: file.into(),
        reason: format!("not UTF-8 text (byte {}); export as CSV or JSON", e.utf8_error().valid_up_to()),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => read_json(&ctx, text),
        Some(_) => read_csv(&ctx, text),
        None => Err(KoboError::NotAnExport { file: file.into(), reason: "the file is empty".into() }),
    }
}

/// What every submission of an export is read with.
struct Ctx<'a> {
    file: &'a str,
    form: FormKind,
    organisation: Option<&'a str>,
}

fn read_json(ctx: &Ctx<'_>, text: &str) -> Result<Export, KoboError> {
    let file = ctx.file;
    let not = |reason: String| KoboError::NotAnExport { file: file.into(), reason };
    let v: Value = serde_json::from_str(text).map_err(|e| not(format!("not JSON: {e}")))?;
    let items = match &v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => match o.get("results").or_else(|| o.get("value")) {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err(not("a JSON export is an array of submissions, or an object with 'results' (KoBo) or 'value' (ODK Central)".into())),
        },
        _ => return Err(not("a JSON export is an array of submissions".into())),
    };
    let rows = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = Location::Index(i);
            let outcome = match &item {
                Value::Object(o) => {
                    let mut rec = Record::default();
                    rec.flatten_json("", o);
                    draft(ctx, at, &rec)
                }
                _ => Err(RowError {
                    file: file.into(),
                    at,
                    problems: vec![FieldProblem {
                        field: "(submission)".into(),
                        reason: "not a JSON object".into(),
                    }],
                }),
            };
            Row { at, raw: Raw::Json(item), outcome }
        })
        .collect();
    Ok(Export { file: file.into(), format: Format::Json, rows })
}

/// `;` or `,`, whichever the header line has more of (outside quotes).
fn delimiter(text: &str) -> u8 {
    let line = text.lines().next().unwrap_or("");
    let (mut quoted, mut semi, mut comma) = (false, 0, 0);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semi += 1,
            ',' if !quoted => comma += 1,
            _ => {}
        }
    }
    if semi > comma {
        b';'
    } else {
        b','
    }
}

fn read_csv(ctx: &Ctx<'_>, text: &str) -> Result<Export, KoboError> {
    let file = ctx.file;
    let delim = delimiter(text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| KoboError::NotAnExport { file: file.into(), reason: format!("not CSV: {e}") })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let (line, cells, outcome) = match rec {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                let cells: Vec<String> = r.iter().map(String::from).collect();
                let at = Location::Line(line);
                let outcome = if cells.len() != headers.len() {
                    Err(RowError {
                        file: file.into(),
                        at,
                        problems: vec![FieldProblem {
                            field: "(row)".into(),
                            reason: format!("{} cells for {} columns", cells.len(), headers.len()),
                        }],
                    })
                } else {
                    draft(ctx, at, &csv_record(&headers, &cells))
                };
                (line, cells, outcome)
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let at = Location::Line(line);
                let problems = vec![FieldProblem { field: "(row)".into(), reason: format!("not CSV: {e}") }];
                (line, Vec::new(), Err(RowError { file: file.into(), at, problems }))
            }
        };
        if cells.iter().all(|c| c.trim().is_empty()) && outcome.is_ok() {
            continue;
        }
        rows.push(Row { at: Location::Line(line), raw: Raw::Csv(cells), outcome });
    }
    Ok(Export { file: file.into(), format: Format::Csv { headers, delimiter: delim }, rows })
}

// ---------------------------------------------------------------- to reports

/// Reads fields of one record (or one repeat occurrence), collecting problems.
struct Fields<'a> {
    rec: &'a Record,
    /// `finds[2]/` inside a repeat, for messages.
    prefix: String,
    problems: &'a mut Vec<FieldProblem>,
}

impl Fields<'_> {
    fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push(FieldProblem { field: format!("{}{field}", self.prefix), reason: reason.into() });
    }

    fn text(&mut self, name: &str, required: bool) -> Option<String> {
        let v = self.rec.get(name).map(String::from);
        if v.is_none() && required {
            self.problem(name, "is required and empty");
        }
        v
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        required: bool,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let s = self.text(name, required)?;
        match f(&s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(name, e);
                None
            }
        }
    }

    fn code<T: FromStr<Err = UnknownCode>>(&mut self, name: &str, required: bool) -> Option<T> {
        self.parsed(name, required, |s| s.parse::<T>().map_err(|e| e.to_string()))
    }

    fn codes<T: FromStr<Err = UnknownCode>>(&mut self, name: &str, required: bool) -> Option<Vec<T>> {
        let Some(items) = self.rec.get_multi(name).filter(|v| !v.is_empty()) else {
            if required {
                self.problem(name, "is required: choose at least one");
            }
            return None;
        };
        let mut out = Vec::new();
        for i in items {
            match i.parse::<T>() {
                Ok(v) => out.push(v),
                Err(e) => self.problem(name, e.to_string()),
            }
        }
        Some(out)
    }

    fn date(&mut self, name: &str, required: bool) -> Option<String> {
        self.parsed(name, required, |s| {
            let d = s.get(..10).filter(|_| s.len() == 10 || s.as_bytes().get(10) == Some(&b'T')).unwrap_or(s);
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map(|d| d.to_string())
                .map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)"))
        })
    }

    fn number(&mut self, name: &str, required: bool) -> Option<f64> {
        self.parsed(name, required, |s| {
            s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("'{s}' is not a number"))
        })
    }

    fn integer(&mut self, name: &str, required: bool) -> Option<i64> {
        self.parsed(name, required, |s| s.parse::<i64>().map_err(|_| format!("'{s}' is not a whole number")))
    }

    fn point(&mut self, name: &str, required: bool) -> Option<[f64; 2]> {
        self.parsed(name, required, |s| parse_geopoint(s).map(|p| [p.lon, p.lat]))
    }

    fn shape(&mut self, name: &str, required: bool) -> Option<Value> {
        self.parsed(name, required, |s| {
            parse_geoshape(s).map(|pts| polygon_json(&pts.iter().map(|p| [p.lon, p.lat]).collect::<Vec<_>>()))
        })
    }

    fn yes(&mut self, name: &str) -> bool {
        self.parsed(name, false, |s| match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Ok(true),
            "no" | "false" | "0" => Ok(false),
            _ => Err(format!("'{s}' is neither yes nor no")),
        })
        .unwrap_or(false)
    }

    fn repeat(&self, name: &str) -> &[Record] {
        self.rec.repeats.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn insert_some(o: &mut Map<String, Value>, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        o.insert(key.into(), v.into());
    }
}

/// The namespace of report ids derived from submissions' instance IDs.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://safeground.invalid/kobo-submission")
}

/// The submission's instance ID (without `uuid:`), from `meta/instanceID`, `_uuid` or `__id`.
fn instance_id(rec: &Record) -> Option<String> {
    ["instanceID", "_uuid", "__id"]
        .iter()
        .find_map(|k| rec.get(k))
        .map(|s| s.strip_prefix("uuid:").unwrap_or(s).to_string())
}

fn finds(f: &mut Fields<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    let items = f.repeat("finds").to_vec();
    for (i, item) in items.iter().enumerate() {
        let mut g = Fields { rec: item, prefix: format!("finds[{}]/", i + 1), problems: &mut *f.problems };
        let mut o = Map::new();
        insert_some(
            &mut o,
            "category",
            g.code::<safeground_core::codes::EoCategory>("category", true).map(|c| c.code()),
        );
        insert_some(&mut o, "type", g.text("eo_type", true));
        insert_some(&mut o, "quantity", g.integer("quantity", false));
        insert_some(
            &mut o,
            "condition",
            g.code::<safeground_core::codes::EoCondition>("condition", false).map(|c| c.code()),
        );
        insert_some(&mut o, "fuze_state", g.text("fuze_state", false));
        insert_some(
            &mut o,
            "disposal",
            g.code::<safeground_core::codes::Disposal>("disposal", true).map(|c| c.code()),
        );
        insert_some(&mut o, "location", g.point("location", true).map(|p| json!(p)));
        insert_some(&mut o, "found_on", g.date("found_on", false));
        out.push(Value::Object(o));
    }
    out
}

/// The NTS polygon: the geoshape, or the traverse from the benchmark through the turning points.
fn nts_geometry(f: &mut Fields<'_>, benchmark: Option<[f64; 2]>) -> Option<Value> {
    let drawing = f.text("drawing", false).map(|d| d.to_ascii_uppercase());
    let use_shape = match drawing.as_deref() {
        Some("SHAPE") => true,
        Some("TRAVERSE") => false,
        Some(other) => {
            f.problem("drawing", format!("'{other}' is neither TRAVERSE nor SHAPE"));
            return None;
        }
        None => f.rec.get("shape").is_some(),
    };
    if use_shape {
        return f.shape("shape", true);
    }
    let north = match f.text("bearing_reference", false).map(|s| s.to_ascii_uppercase()).as_deref() {
        None | Some("TRUE") => North::True,
        Some("MAGNETIC") => North::Magnetic,
        Some("GRID") => North::Grid,
        Some(other) => {
            f.problem("bearing_reference", format!("'{other}' is not TRUE, MAGNETIC or GRID"));
            return None;
        }
    };
    let declination = f.number("declination", false).unwrap_or(0.0);
    if benchmark.is_none() && f.rec.get("benchmark").is_some() {
        return None; // the benchmark's problem is reported already
    }
    let points = f.repeat("turning_points").to_vec();
    if points.is_empty() {
        f.problem("turning_points", "no turning points and no shape: the hazard has no polygon");
        return None;
    }
    let mut stations = Vec::new();
    if let Some([lon, lat]) = benchmark {
        stations.push(Station { name: "BM".into(), leg: Leg::At(geo::Coord { x: lon, y: lat }), line: 0 });
    }
    let before = f.problems.len();
    for (i, p) in points.iter().enumerate() {
        let mut g =
            Fields { rec: p, prefix: format!("turning_points[{}]/", i + 1), problems: &mut *f.problems };
        let name = g.text("point_name", false).unwrap_or_else(|| format!("TP{}", i + 1));
        let method = g.text("point_method", false).map(|m| m.to_ascii_uppercase());
        let by_gps = match method.as_deref() {
            Some("GPS") => true,
            Some("BEARING") => false,
            Some(other) => {
                g.problem("point_method", format!("'{other}' is neither BEARING nor GPS"));
                continue;
            }
            None => p.get("gps").is_some(),
        };
        let leg = if by_gps {
            g.point("gps", true).map(|[lon, lat]| Leg::At(geo::Coord { x: lon, y: lat }))
        } else {
            let bearing = g.number("bearing", true);
            let distance = g.number("distance", true);
            if let Some(b) = bearing.filter(|b| !(0.0..=360.0).contains(b)) {
                g.problem("bearing", format!("{b} is outside 0–360 degrees"));
            }
            if let Some(d) = distance.filter(|d| *d <= 0.0 || *d > 100_000.0) {
                g.problem("distance", format!("{d} m is not between 0 and 100 km"));
            }
            match (bearing, distance) {
                (Some(bearing), Some(distance_m)) => {
                    Some(Leg::From { bearing, unit: AngleUnit::Degrees, north, distance_m })
                }
                _ => None,
            }
        };
        if let Some(leg) = leg {
            stations.push(Station { name, leg, line: i + 1 });
        }
    }
    if f.problems.len() > before {
        return None;
    }
    let settings = Settings { declination_deg: declination, ..Settings::default() };
    match traverse::compute(&stations, &settings) {
        Ok(t) => {
            let mut ring: Vec<[f64; 2]> = t.points.iter().map(|(_, c)| [c.x, c.y]).collect();
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
            Some(polygon_json(&ring))
        }
        Err(traverse::TraverseError::NoStart) => {
            f.problem(
                "benchmark",
                "the traverse needs a start: give the benchmark, or the first point by GPS",
            );
            None
        }
        Err(e) => {
            f.problem("turning_points", e.to_string().replace("line ", "point "));
            None
        }
    }
}

/// One submission to a draft report.
fn draft(ctx: &Ctx<'_>, at: Location, rec: &Record) -> Result<Draft, RowError> {
    let (file, form) = (ctx.file, ctx.form);
    let mut problems = Vec::new();
    let mut f = Fields { rec, prefix: String::new(), problems: &mut problems };
    let mut o = Map::new();
    let organisation = match ctx.organisation {
        Some(default) => Some(f.text("organisation", false).unwrap_or_else(|| default.to_string())),
        None => f.text("organisation", true),
    };
    insert_some(&mut o, "organisation", organisation);
    insert_some(&mut o, "team", f.text("team", false));
    let (start, end) = match form {
        FormKind::EoFind | FormKind::EoreSession => {
            let d = f.date("date", true);
            (d.clone(), d)
        }
        _ => (f.date("start_date", true), f.date("end_date", true)),
    };
    insert_some(&mut o, "start_date", start);
    insert_some(&mut o, "end_date", end);
    let kind = match form {
        FormKind::Nts => {
            o.insert("new_hazard".into(), nts_hazard(&mut f));
            "NTS"
        }
        FormKind::Clearance => {
            clearance(&mut f, &mut o);
            "CLEARANCE"
        }
        FormKind::EoFind => {
            eo_find(&mut f, &mut o);
            "EO_FIND"
        }
        FormKind::EoreSession => {
            o.insert("session".into(), eore_session(&mut f));
            "EORE_SESSION"
        }
    };
    o.insert("type".into(), kind.into());
    let instance = instance_id(rec);
    let key = instance.clone().unwrap_or_else(|| {
        // No instance ID: the submission's content names it.
        rec.fields.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>()
    });
    let id = Uuid::new_v5(&namespace(), key.as_bytes());
    o.insert("id".into(), id.to_string().into());
    let source = provenance(file, &at, rec, instance.as_deref());
    let notes = match f.text("notes", false) {
        Some(n) => format!("{n}\n\n[{source}]"),
        None => format!("[{source}]"),
    };
    o.insert("notes".into(), notes.into());
    if !problems.is_empty() {
        return Err(RowError { file: file.into(), at, problems });
    }
    match serde_json::from_value::<Report>(Value::Object(o)) {
        Ok(report) => Ok(Draft { report, source }),
        Err(e) => Err(RowError {
            file: file.into(),
            at,
            problems: vec![FieldProblem { field: "(report)".into(), reason: e.to_string() }],
        }),
    }
}

/// A non-technical survey's new hazard: what it is, its evidence, its
/// reference point and benchmark, its polygon.
fn nts_hazard(f: &mut Fields<'_>) -> Value {
    use safeground_core::codes::*;
    let mut h = Map::new();
    insert_some(&mut h, "name", f.text("hazard_name", true));
    insert_some(&mut h, "kind", f.code::<HazardKind>("hazard_kind", true).map(|c| c.code()));
    insert_some(&mut h, "district", f.text("district", true));
    insert_some(&mut h, "contamination", f.codes::<EoCategory>("contamination", true).map(|v| json!(v)));
    insert_some(&mut h, "land_use", f.codes::<LandUse>("land_use", false).map(|v| json!(v)));
    insert_some(&mut h, "beneficiaries", f.integer("beneficiaries", false));
    let source = f.code::<EvidenceSource>("evidence_source", true);
    let confidence = f.code::<Confidence>("evidence_confidence", true);
    let description = f.text("evidence_description", true);
    if let (Some(s), Some(c), Some(d)) = (source, confidence, description) {
        h.insert("evidence".into(), json!([{"source": s, "confidence": c, "description": d}]));
    }
    let benchmark = f.point("benchmark", false);
    insert_some(&mut h, "benchmark", benchmark.map(|p| json!(p)));
    insert_some(&mut h, "reference_point", f.point("reference_point", false).map(|p| json!(p)));
    insert_some(&mut h, "reference_description", f.text("reference_description", false));
    insert_some(&mut h, "geometry", nts_geometry(f, benchmark));
    Value::Object(h)
}

/// A clearance progress report's fields: task, method, ground cleared,
/// completion and the finds.
fn clearance(f: &mut Fields<'_>, o: &mut Map<String, Value>) {
    use safeground_core::codes::*;
    insert_some(o, "task", f.text("task", true));
    insert_some(o, "hazard", f.text("hazard", false));
    insert_some(o, "method", f.code::<ClearanceMethod>("method", true).map(|c| c.code()));
    insert_some(o, "depth_cm", f.integer("depth_cm", false));
    insert_some(o, "hours_worked", f.number("hours_worked", false));
    if let Some(g) = f.shape("cleared_area", false) {
        o.insert("released".into(), json!([{ "geometry": g }]));
    }
    let completion = f.yes("completion");
    o.insert("completion".into(), completion.into());
    o.insert("handed_over".into(), (completion && f.yes("handed_over")).into());
    o.insert("eo_finds".into(), Value::Array(finds(f)));
}

/// An EO find report's fields: the hazard, if any, and at least one find.
fn eo_find(f: &mut Fields<'_>, o: &mut Map<String, Value>) {
    insert_some(o, "hazard", f.text("hazard", false));
    let items = finds(f);
    if items.is_empty() && f.repeat("finds").is_empty() {
        f.problem("finds", "no EO listed: an EO find report lists at least one item");
    }
    o.insert("eo_finds".into(), Value::Array(items));
}

/// An EORE session: its kind, audience, place and the people it reached.
fn eore_session(f: &mut Fields<'_>) -> Value {
    use safeground_core::codes::*;
    let mut s = Map::new();
    insert_some(&mut s, "kind", f.code::<EoreKind>("kind", true).map(|c| c.code()));
    insert_some(&mut s, "audience", f.code::<Audience>("audience", true).map(|c| c.code()));
    insert_some(&mut s, "settlement", f.text("settlement", false));
    insert_some(&mut s, "location", f.point("location", false).map(|p| json!(p)));
    let mut reach = Map::new();
    for k in ["girls", "boys", "women", "men"] {
        let n = f.integer(k, false).unwrap_or(0);
        if n < 0 {
            f.problem(k, format!("{n} is negative"));
        }
        reach.insert(k.into(), n.into());
    }
    s.insert("reach".into(), Value::Object(reach));
    Value::Object(s)
}

/// Where a submission came from, for its report's notes: the file, the
/// place in it and what the server recorded of the submission.
fn provenance(file: &str, at: &Location, rec: &Record, instance: Option<&str>) -> String {
    let mut provenance = vec![format!("imported from {file}, {at}")];
    for (label, field) in [
        ("instanceID", instance),
        ("_id", rec.get("_id")),
        ("submitted", rec.get("_submission_time").or_else(|| rec.get("submissionDate"))),
        ("submitted by", rec.get("_submitted_by").or_else(|| rec.get("submitterName"))),
        (
            "form version",
            rec.get("__version__").or_else(|| rec.get("_version")).or_else(|| rec.get("formVersion")),
        ),
    ] {
        if let Some(v) = field {
            provenance.push(format!("{label} {v}"));
        }
    }
    provenance.join("; ")
}

// ---------------------------------------------------------------- rejects

/// The column (CSV) or key (JSON) of the reject file that gives the reason.
pub const REASON: &str = "_reject_reason";

/// Writes the rejected submissions, as read, in the export's format, each with
/// its reason in [`REASON`]. `rejected` are indices into `export.rows`.
pub fn write_rejects(export: &Export, rejected: &[(usize, String)], out: impl Write) -> std::io::Result<()> {
    match &export.format {
        Format::Csv { headers, delimiter } => {
            let mut w = csv::WriterBuilder::new().delimiter(*delimiter).flexible(true).from_writer(out);
            let mut h = headers.clone();
            h.push(REASON.into());
            w.write_record(&h)?;
            for (i, reason) in rejected {
                let mut cells = match export.rows.get(*i).map(|r| &r.raw) {
                    Some(Raw::Csv(c)) => c.clone(),
                    _ => Vec::new(),
                };
                cells.resize(headers.len(), String::new());
                cells.push(reason.clone());
                w.write_record(&cells)?;
            }
            w.flush()
        }
        Format::Json => {
            let items: Vec<Value> = rejected
                .iter()
                .map(|(i, reason)| {
                    let mut v = export.rows.get(*i).map(|r| r.raw.clone());
                    match v.take() {
                        Some(Raw::Json(Value::Object(mut o))) => {
                            o.insert(REASON.into(), reason.clone().into());
                            Value::Object(o)
                        }
                        Some(Raw::Json(other)) => json!({ "submission": other, REASON: reason }),
                        _ => json!({ REASON: reason }),
                    }
                })
                .collect();
            let mut out = out;
            serde_json::to_writer_pretty(&mut out, &items)?;
            out.write_all(b"\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn geopoints_are_latitude_first() {
        let p = parse_geopoint("39.97 46.91 312.5 4.2").unwrap();
        assert_eq!((p.lat, p.lon, p.alt, p.accuracy), (39.97, 46.91, Some(312.5), Some(4.2)));
        assert!(parse_geopoint("39.97").unwrap_err().contains("1 number"));
        assert!(parse_geopoint("").is_err());
        assert!(parse_geopoint("146.9 39.9").unwrap_err().contains("swapped"));
        assert!(parse_geopoint("39.9 x").unwrap_err().contains("not a number"));
        assert!(parse_geopoint("39.9 NaN").is_err());
    }

    #[test]
    fn geoshapes_need_three_points_and_are_closed() {
        let s = parse_geoshape("39.9 46.9 0 0;39.9 46.91 0 0;39.91 46.91 0 0;39.9 46.9 0 0").unwrap();
        assert_eq!(s.len(), 4);
        let open = parse_geoshape("39.9 46.9;39.9 46.91;39.91 46.91").unwrap();
        assert_eq!(open.len(), 4);
        assert_eq!(open[0], open[3]);
        assert!(parse_geoshape("39.9 46.9;39.9 46.91;39.9 46.9").unwrap_err().contains("2 distinct"));
        assert!(parse_geoshape("39.9 46.9;39.9").unwrap_err().contains("point 2"));
    }

    #[test]
    fn csv_repeats_and_split_selects() {
        let headers: Vec<String> = [
            "hazard/contamination/AP",
            "hazard/contamination/CMR",
            "finds[2]/category",
            "finds[1]/category",
            "finds[3]/category",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let cells: Vec<String> = ["1", "True", "AT", "AP", ""].iter().map(|s| s.to_string()).collect();
        let r = csv_record(&headers, &cells);
        assert_eq!(r.get_multi("contamination").unwrap(), vec!["AP", "CMR"]);
        let finds = &r.repeats["finds"];
        assert_eq!(finds.len(), 2);
        assert_eq!(finds[0].get("category"), Some("AP"));
        assert_eq!(finds[1].get("category"), Some("AT"));
    }

    #[test]
    fn a_bad_row_names_every_field() {
        let csv = "organisation,start_date,end_date,task,method,completion,meta/instanceID\n\
                   QHD,2024-03-01,2024-13-01,T-1,SHOVEL,maybe,uuid:x\n";
        let e = read("f.csv", csv.as_bytes(), FormKind::Clearance, None).unwrap();
        let err = e.rows[0].outcome.clone().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("f.csv, line 2: "), "{text}");
        assert!(text.contains("field 'end_date': '2024-13-01' is not a date"), "{text}");
        assert!(text.contains("field 'method': 'SHOVEL' is not a valid clearance method"), "{text}");
        assert!(text.contains("field 'completion'"), "{text}");
    }

    fn coord() -> impl Strategy<Value = (f64, f64)> {
        (-90.0f64..=90.0, -180.0f64..=180.0)
    }

    proptest! {
        #[test]
        fn geopoint_round_trips((lat, lon) in coord(), alt in proptest::option::of(-500.0f64..9000.0),
                                acc in proptest::option::of(0.0f64..100.0)) {
            let p = GeoPoint { lat, lon, alt, accuracy: alt.and(acc) };
            prop_assert_eq!(parse_geopoint(&format_geopoint(&p)).unwrap(), p);
        }

        #[test]
        fn geoshape_round_trips(pts in proptest::collection::vec(coord(), 3..12)) {
            let mut shape: Vec<GeoPoint> =
                pts.iter().map(|&(lat, lon)| GeoPoint { lat, lon, alt: Some(0.0), accuracy: Some(0.0) }).collect();
            shape.push(shape[0]);
            // Three distinct points at least (proptest may repeat one).
            let distinct = shape[..shape.len() - 1].iter().enumerate()
                .all(|(i, a)| shape[..i].iter().all(|b| a.lat != b.lat || a.lon != b.lon));
            prop_assume!(distinct);
            prop_assert_eq!(parse_geoshape(&format_geoshape(&shape)).unwrap(), shape);
        }

        #[test]
        fn reading_never_panics(text in "\\PC{0,200}") {
            for k in FormKind::ALL {
                let _ = read("x", text.as_bytes(), *k, Some("ANAMA"));
            }
        }
    }
}
