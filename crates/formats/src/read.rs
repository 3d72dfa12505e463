//! What every reader of a layer file shares: the record it yields with the
//! feature as it was written (for the reject file), its errors, and the reject
//! file written in the input's own format.

use safeground_core::crs::CrsError;
use safeground_core::import::InRecord;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A feature as it was written, to go to the reject file unchanged.
#[derive(Debug, Clone, PartialEq)]
pub enum Original {
    /// A GeoJSON feature object (GeoJSON, GeoPackage and KML inputs).
    Feature(Value),
    /// A CSV row's fields.
    Row(Vec<String>),
    /// A GeoJSON feature object kept as its JSON text ([`Original::compact`]).
    Text(String),
}

impl Original {
    /// The same feature kept as one string rather than a tree of values:
    /// an import keeps every feature's original until it is decided, for
    /// the reject file, and freeing a tree per feature on the writer's
    /// thread cost an EO find's import a tenth of its time.
    ///
    /// ```
    /// use safeground_formats::read::Original;
    /// let f = Original::Feature(serde_json::json!({"type": "Feature", "properties": {"a": 1}}));
    /// assert_eq!(f.compact(), Original::Text(r#"{"properties":{"a":1},"type":"Feature"}"#.into()));
    /// ```
    pub fn compact(self) -> Original {
        match self {
            Original::Feature(f) => Original::Text(f.to_string()),
            other => other,
        }
    }
}

/// One feature read: what the import takes and what the reject file keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub record: InRecord,
    pub original: Original,
    /// What is wrong with a feature the reader could not read whole (a
    /// position that is not a number, a row with too few fields): the import
    /// rejects it with this reason.
    pub problem: Option<String>,
}

/// A file that cannot be read on, with where and why. An import stops at
/// these (rows already taken are rolled back): what follows cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}, {place}: {message}")]
    Syntax { file: String, place: String, message: String },
    #[error("{file}: {source}")]
    Crs { file: String, source: CrsError },
    /// The consumer of the records stopped the reading.
    #[error("{0}")]
    Stopped(String),
}

/// The consumer of records: returns `Err(message)` to stop the reading.
pub type Sink<'a> = dyn FnMut(Read) -> Result<(), String> + 'a;

/// The reject file: rejected features in the input's format, each with the
/// reason in an extra `sg_reject` attribute (column), created on the first
/// rejection.
pub struct RejectWriter {
    path: PathBuf,
    kind: RejectKind,
    out: Option<BufWriter<File>>,
    count: usize,
}

enum RejectKind {
    GeoJson,
    Csv {
        header: Vec<String>,
        delimiter: u8,
    },
    /// Rows kept until the end, then written as a workbook.
    Xlsx {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

impl RejectWriter {
    /// Rejects written as a GeoJSON FeatureCollection.
    pub fn geojson(path: &Path) -> Self {
        RejectWriter { path: path.to_path_buf(), kind: RejectKind::GeoJson, out: None, count: 0 }
    }

    /// Rejects written as CSV with the input's header and delimiter, plus `sg_reject`.
    pub fn csv(path: &Path, header: Vec<String>, delimiter: u8) -> Self {
        RejectWriter {
            path: path.to_path_buf(),
            kind: RejectKind::Csv { header, delimiter },
            out: None,
            count: 0,
        }
    }

    /// Rejects written as a workbook with the input's header, plus `sg_reject`.
    pub fn xlsx(path: &Path, header: Vec<String>) -> Self {
        RejectWriter {
            path: path.to_path_buf(),
            kind: RejectKind::Xlsx { header, rows: vec![] },
            out: None,
            count: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many features were written.
    pub fn count(&self) -> usize {
        self.count
    }

    fn open(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            let mut out = BufWriter::new(File::create(&self.path)?);
            match &self.kind {
                RejectKind::GeoJson => out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?,
                RejectKind::Xlsx { .. } => {}
                RejectKind::Csv { header, delimiter } => {
                    let mut w = csv::WriterBuilder::new().delimiter(*delimiter).from_writer(Vec::new());
                    let mut h = header.clone();
                    h.push("sg_reject".into());
                    w.write_record(&h)?;
                    out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
                }
            }
            self.out = Some(out);
        }
        self.out.as_mut().ok_or_else(|| io::Error::other("reject file not open"))
    }

    /// Writes one rejected feature with its reason.
    pub fn reject(&mut self, original: &Original, reason: &str) -> io::Result<()> {
        if let (RejectKind::Xlsx { rows, .. }, Original::Row(fields)) = (&mut self.kind, original) {
            let mut row = fields.clone();
            row.push(reason.to_string());
            rows.push(row);
            self.count += 1;
            return Ok(());
        }
        let first = self.count == 0;
        let delimiter = match &self.kind {
            RejectKind::Csv { delimiter, .. } => *delimiter,
            _ => b',',
        };
        let out = self.open()?;
        match original {
            Original::Feature(f) => rejected_feature(out, first, f.clone(), reason)?,
            Original::Text(text) => {
                rejected_feature(out, first, serde_json::from_str(text).map_err(io::Error::other)?, reason)?
            }
            Original::Row(fields) => {
                let mut w =
                    csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(Vec::new());
                let mut row = fields.clone();
                row.push(reason.to_string());
                w.write_record(&row)?;
                out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Closes the file (if anything was rejected).
    pub fn finish(mut self) -> io::Result<Option<PathBuf>> {
        self.close()
    }

    /// Writes what is still to be written: the workbook, the GeoJSON's
    /// closing brackets. A second call writes nothing and returns `None`.
    fn close(&mut self) -> io::Result<Option<PathBuf>> {
        if let RejectKind::Xlsx { header, rows } = &mut self.kind {
            if rows.is_empty() {
                return Ok(None);
            }
            let rows = std::mem::take(rows);
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let err = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
            for (c, h) in header.iter().chain(std::iter::once(&"sg_reject".to_string())).enumerate() {
                sheet.write_string(0, c as u16, h).map_err(err)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    sheet.write_string(r as u32 + 1, c as u16, v).map_err(err)?;
                }
            }
            book.save(&self.path).map_err(err)?;
            return Ok(Some(self.path.clone()));
        }
        let is_json = matches!(self.kind, RejectKind::GeoJson);
        match self.out.take() {
            None => Ok(None),
            Some(mut out) => {
                if is_json {
                    out.write_all(b"\n]}\n")?;
                }
                out.flush()?;
                Ok(Some(self.path.clone()))
            }
        }
    }
}

/// A reject file left without [`RejectWriter::finish`] — an import stopped by
/// a panic, or by an error on its way out — is still closed, so what it holds
/// can be read and imported again.
impl Drop for RejectWriter {
    fn drop(&mut self) {
        // Nothing can be reported from here: a failure leaves the file as far
        // as it was written.
        let _ = self.close();
    }
}

/// Writes a rejected feature, with its reason in `sg_reject`, to a reject
/// file's FeatureCollection (`first`: no comma before it).
fn rejected_feature(out: &mut dyn Write, first: bool, mut f: Value, reason: &str) -> io::Result<()> {
    if let Some(obj) = f.as_object_mut() {
        let props = obj.entry("properties").or_insert_with(|| Value::Object(Map::new()));
        if !props.is_object() {
            *props = Value::Object(Map::new());
        }
        if let Some(p) = props.as_object_mut() {
            p.insert("sg_reject".into(), Value::from(reason));
        }
    }
    if !first {
        out.write_all(b",\n")?;
    }
    serde_json::to_writer(out, &f)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sg-rejects-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_reject_file_dropped_unfinished_is_still_whole() {
        let dir = scratch("dropped");
        let (json, csv, xlsx) = (dir.join("r.geojson"), dir.join("r.csv"), dir.join("r.xlsx"));
        let feature = serde_json::json!({"type": "Feature", "geometry": null, "properties": {"code": "H-1"}});
        {
            let mut g = RejectWriter::geojson(&json);
            g.reject(&Original::Feature(feature.clone()), "no geometry").unwrap();
            g.reject(&Original::Text(feature.to_string()), "again").unwrap();
            let mut c = RejectWriter::csv(&csv, vec!["code".into()], b';');
            c.reject(&Original::Row(vec!["H-2".into()]), "no position").unwrap();
            // A workbook's rows wait for the end: without the drop, none is written.
            let mut x = RejectWriter::xlsx(&xlsx, vec!["code".into()]);
            x.reject(&Original::Row(vec!["H-3".into()]), "no district").unwrap();
            // All dropped here without `finish`, as a panic unwinding would.
        }
        let back: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let reasons: Vec<&str> = back["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["sg_reject"].as_str())
            .collect();
        assert_eq!(reasons, ["no geometry", "again"]);
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "code;sg_reject\nH-2;no position\n");
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
        assert_eq!(cells, ["code", "sg_reject", "H-3", "no district"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn finishing_closes_once_and_nothing_rejected_writes_nothing() {
        let dir = scratch("finished");
        let (json, none) = (dir.join("r.geojson"), dir.join("none.geojson"));
        let mut g = RejectWriter::geojson(&json);
        g.reject(&Original::Text(r#"{"type":"Feature","geometry":null,"properties":null}"#.into()), "why")
            .unwrap();
        assert_eq!(g.finish().unwrap(), Some(json.clone()));
        let text = std::fs::read_to_string(&json).unwrap();
        assert!(text.ends_with("\n]}\n") && !text.ends_with("]}\n\n]}\n"), "{text}");
        assert_eq!(RejectWriter::geojson(&none).finish().unwrap(), None);
        drop(RejectWriter::geojson(&none));
        assert!(!none.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
