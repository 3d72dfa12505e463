//! A layer to a file, whole or not at all: [`write`] streams the store's
//! features into the format's writer at a path the caller moves into place
//! once it returns (and removes if it fails).

use safeground_core::public::{self, Dangerous};
use safeground_formats::csv_out::CsvLayerWriter;
use safeground_formats::geojson_out::GeoJsonWriter;
use safeground_formats::kml_out::KmlWriter;
use safeground_formats::xlsx_out::{Shape, XlsxWriter};
use safeground_store::{Feature, GpkgLayerWriter, Layer, Store, StoreError};
use std::collections::BTreeSet;
use std::io::BufWriter;
use std::path::Path;
use time::Date;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 7946 GeoJSON, streamed.
    Geojson,
    /// CSV: longitude/latitude columns for points, WKT for other shapes.
    Csv,
    /// KML 2.2 for Google Earth, styled by status, outcome or EO category.
    Kml,
    /// A GeoPackage holding the one layer, with typed columns.
    Gpkg,
    /// An Excel workbook, one sheet per layer.
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Geojson, Format::Csv, Format::Kml, Format::Gpkg, Format::Xlsx];

    /// Its name on the command line and in the API (also the file's extension,
    /// but for GeoJSON's).
    pub fn name(self) -> &'static str {
        match self {
            Format::Geojson => "geojson",
            Format::Csv => "csv",
            Format::Kml => "kml",
            Format::Gpkg => "gpkg",
            Format::Xlsx => "xlsx",
        }
    }

    /// The media type a download is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Geojson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Kml => "application/vnd.google-earth.kml+xml",
            Format::Gpkg => "application/geopackage+sqlite3",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// ```
    /// use safeground_exchange::export::Format;
    /// assert_eq!("GPKG".parse::<Format>(), Ok(Format::Gpkg));
    /// assert!("shp".parse::<Format>().unwrap_err().contains("geojson, csv, kml, gpkg or xlsx"));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("'{s}' is not an export format: give geojson, csv, kml, gpkg or xlsx"))
    }
}

/// One export: which layers, how, and as of when.
#[derive(Debug, Clone)]
pub struct Request {
    /// One layer; several (every layer) only for a workbook.
    pub layers: Vec<Layer>,
    pub format: Format,
    /// The layers as they stood at the end of this day (UTC).
    pub as_of: Option<Date>,
    /// Only features in this district (either spelling).
    pub district: Option<String>,
    /// CSV: the HXL hashtag row under the header.
    pub hxl: bool,
    /// At the public level: what becomes of hazards still dangerous.
    pub public: Option<Dangerous>,
    /// Who it is for, where that narrows it (an operator's download through
    /// the API); the command line exports all.
    pub scope: Scope,
    /// With the files shown with each feature (hazards, EO finds,
    /// accidents; never a personal file): inside a GeoPackage by the Related
    /// Tables Extension, beside other formats in a folder ([`write_files`]).
    pub attachments: bool,
}

/// What a download leaves out for whom it is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only this organisation's tasks (its acronym; an operator's own).
    pub tasks_of: Option<String>,
    /// Blank the `report_id` columns (an account that does not read the
    /// reports behind the register).
    pub without_report_ids: bool,
}

impl Scope {
    /// Narrows one feature of `layer` for whom it is for: `false` when it is
    /// not theirs to have (another organisation's task), its report id
    /// blanked when they do not read reports.
    pub fn narrow(&self, layer: Layer, f: &mut Feature) -> bool {
        let column = |name: &str| layer.columns().iter().position(|c| *c == name);
        if let (Layer::Tasks, Some(own), Some(i)) = (layer, &self.tasks_of, column("organisation")) {
            if f.values.get(i).and_then(|v| v.as_str()) != Some(own.as_str()) {
                return false;
            }
        }
        if let (true, Some(v)) =
            (self.without_report_ids, column("report_id").and_then(|i| f.values.get_mut(i)))
        {
            *v = serde_json::Value::Null;
        }
        true
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The request cannot be written as asked (the message says what to change).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the workbook: {0}")]
    Workbook(String),
}

impl Request {
    /// Every reason the request cannot be written, in one message.
    pub fn check(&self) -> Result<(), ExportError> {
        let mut problems = vec![];
        if self.layers.is_empty() {
            problems.push("name a layer".to_string());
        }
        if self.hxl && self.format != Format::Csv {
            problems
                .push(format!("the HXL row is added to CSV; it has no meaning for {}", self.format.name()));
        }
        if self.layers.len() > 1 && self.format != Format::Xlsx {
            problems.push(
                "every layer at once is a sheet per layer, which only xlsx can hold; export one layer at a time"
                    .into(),
            );
        }
        if self.attachments {
            if let Some(l) = self.layers.iter().find(|l| !has_files(**l)) {
                problems.push(format!(
                    "files are shown with hazards, EO finds and accidents; {} have none: leave out the files",
                    l.name()
                ));
            }
            if self.public.is_some() {
                problems.push("files are not published: a public export leaves them out".into());
            }
            if self.format == Format::Xlsx {
                problems.push(
                    "a workbook cannot hold files: export one layer as gpkg, or with a folder of files"
                        .into(),
                );
            }
        }
        if let Some(Dangerous::Coarsen { grid_deg }) = self.public {
            if !(grid_deg.is_finite() && grid_deg > 0.0 && grid_deg <= 1.0) {
                problems.push("the grid is a cell size in degrees, more than 0 and at most 1".into());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ExportError::Invalid(problems.join("; ")))
        }
    }
}

/// The UUID (the `id` column) of a feature of `layer`, if it has one.
fn feature_id(layer: Layer, f: &Feature) -> Option<String> {
    let i = layer.columns().iter().position(|c| *c == "id")?;
    f.values.get(i)?.as_str().map(String::from)
}

/// Whether features of `layer` may have files shown with them.
pub fn has_files(layer: Layer) -> bool {
    matches!(layer, Layer::Hazards | Layer::EoFinds | Layer::Accidents)
}

fn points(layer: Layer) -> bool {
    matches!(layer, Layer::EoFinds | Layer::Accidents | Layer::EoreSessions | Layer::Settlements)
}

fn create_private(path: &Path) -> std::io::Result<BufWriter<std::fs::File>> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    Ok(BufWriter::new(options.open(path)?))
}

/// The features of `layer` as the request has them — as of its day, in its
/// district, at its level and in the scope of whom they are for — each
/// given to `sink`; the count is of those given.
pub fn features(
    store: &Store,
    req: &Request,
    layer: Layer,
    sink: &mut dyn FnMut(Feature) -> std::io::Result<()>,
) -> Result<usize, safeground_store::StoreError> {
    let bound = req.as_of.map(safeground_store::end_of_day);
    let status = layer.columns().iter().position(|c| *c == "status");
    let mut written = 0;
    store.export(layer, bound.as_deref(), req.district.as_deref(), &mut |mut f: Feature| {
        if !req.scope.narrow(layer, &mut f) {
            return Ok(());
        }
        if let (Some(how), Layer::Hazards, Some(i)) = (req.public, layer, status) {
            let s = f.values.get(i).and_then(|v| v.as_str()).unwrap_or("").to_string();
            f.geometry = public::hazard_geometry(f.geometry.take(), &s, how);
        }
        written += 1;
        sink(f)
    })?;
    Ok(written)
}

/// Writes the request's layers from `store` to `path` (readable by its
/// owner only); returns the features written. On an error `path` may hold a
/// part: the caller removes it.
pub fn write(store: &Store, req: &Request, path: &Path) -> Result<usize, ExportError> {
    req.check()?;
    let export =
        |l: Layer, sink: &mut dyn FnMut(Feature) -> std::io::Result<()>| features(store, req, l, sink);
    let layer = req.layers[0];
    let columns = layer.columns();
    match req.format {
        Format::Geojson => {
            let mut w = GeoJsonWriter::new(create_private(path)?, columns)?;
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()))?;
            w.finish()?;
            Ok(n)
        }
        Format::Kml => {
            let mut w = KmlWriter::new(create_private(path)?, layer.name(), columns)?;
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()))?;
            w.finish()?;
            Ok(n)
        }
        Format::Csv => {
            let out = create_private(path)?;
            let mut w = if layer.spatial() {
                CsvLayerWriter::new(out, columns, points(layer), req.hxl)?
            } else {
                CsvLayerWriter::attributes(out, columns, req.hxl)?
            };
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()))?;
            w.finish()?;
            Ok(n)
        }
        Format::Gpkg => {
            let _ = std::fs::remove_file(path);
            let mut w = GpkgLayerWriter::create(path, layer)?;
            let mut failed = None;
            let mut exported = BTreeSet::new();
            let n = export(layer, &mut |f| {
                if req.attachments {
                    exported.extend(feature_id(layer, &f));
                }
                w.feature(&f).map_err(|e| {
                    let m = e.to_string();
                    failed = Some(e);
                    std::io::Error::other(m)
                })
            });
            let n = match (n, failed) {
                (_, Some(e)) | (Err(e), None) => return Err(e.into()),
                (Ok(n), None) => n,
            };
            if req.attachments {
                let bound = req.as_of.map(safeground_store::end_of_day);
                let keep = &mut |f: &str| exported.contains(f);
                store.layer_media(layer, bound.as_deref(), keep, &mut |m| w.media(&m).map(|_| ()))?;
            }
            Ok(w.finish().map(|_| n)?)
        }
        Format::Xlsx => {
            let mut w = XlsxWriter::new();
            let mut total = 0;
            for l in &req.layers {
                let shape = if !l.spatial() {
                    Shape::None
                } else if points(*l) {
                    Shape::Points
                } else {
                    Shape::Wkt
                };
                let workbook =
                    |e: safeground_formats::xlsx_out::XlsxOutError| ExportError::Workbook(e.to_string());
                w.sheet(l.name(), l.columns(), shape).map_err(workbook)?;
                let mut failed = None;
                let n = export(*l, &mut |f| {
                    w.feature(l.columns(), &f.values, f.geometry.as_ref()).map_err(|e| {
                        let m = e.to_string();
                        failed = Some(e);
                        std::io::Error::other(m)
                    })
                });
                if let Some(e) = failed {
                    return Err(workbook(e));
                }
                total += n?;
            }
            drop(create_private(path)?);
            w.save(path).map_err(|e| ExportError::Workbook(e.to_string()))?;
            Ok(total)
        }
    }
}

/// The files shown with the features the request exports, written into
/// `dir` (new, readable by its owner only) as `<file id>.<extension>`, with
/// `files.csv` naming each one's feature, original name, kind, type,
/// SHA-256 and the camera's time and position; returns how many. For an
/// export in a format that cannot hold them, beside it.
pub fn write_files(store: &Store, req: &Request, dir: &Path) -> Result<Written, ExportError> {
    req.check()?;
    let layer = req.layers[0];
    let mut exported = BTreeSet::new();
    features(store, req, layer, &mut |f| {
        exported.extend(feature_id(layer, &f));
        Ok(())
    })?;
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut index = csv::Writer::from_writer(create_private(&dir.join("files.csv"))?);
    let header =
        ["feature_id", "file", "file_name", "kind", "content_type", "sha256", "taken_at", "lon", "lat"];
    index.write_record(header).map_err(std::io::Error::other)?;
    let mut written = Written::default();
    let bound = req.as_of.map(safeground_store::end_of_day);
    let keep = &mut |f: &str| exported.contains(f);
    store.layer_media(layer, bound.as_deref(), keep, &mut |m| {
        let file = format!("{}.{}", m.id, m.media.extension());
        let path = dir.join(&file);
        let mut write = || -> std::io::Result<()> {
            if std::fs::metadata(&path).is_err() {
                let mut out = create_private(&path)?;
                std::io::Write::write_all(&mut out, &m.data)?;
                std::io::Write::flush(&mut out)?;
                written.files += 1;
            }
            let [lon, lat] = m.position.map(|p| p.map(|v| v.to_string())).unwrap_or_default();
            let record = [
                m.feature.as_str(),
                &file,
                &spreadsheet_safe(&m.file_name),
                m.kind.code(),
                m.media.mime(),
                &m.sha256,
                m.taken_at.as_deref().unwrap_or(""),
                &lon,
                &lat,
            ];
            index.write_record(record).map_err(std::io::Error::other)
        };
        write().map_err(|source| StoreError::Io { path: path.clone(), source })?;
        written.rows += 1;
        Ok(())
    })?;
    index.flush()?;
    Ok(written)
}

/// What [`write_files`] wrote: the files, and the index's rows (a file shown
/// with several features has a row for each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    pub rows: usize,
}

/// A name as a spreadsheet shows it, never as a formula: one that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` before it.
///
/// ```
/// use safeground_exchange::export::spreadsheet_safe;
/// assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(spreadsheet_safe("IMG_0042.JPG"), "IMG_0042.JPG");
/// ```
pub fn spreadsheet_safe(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(layers: Vec<Layer>, format: Format) -> Request {
        Request {
            layers,
            format,
            as_of: None,
            district: None,
            hxl: false,
            public: None,
            scope: Scope::default(),
            attachments: false,
        }
    }

    #[test]
    fn every_layer_at_once_only_in_a_workbook() {
        assert!(request(Layer::ALL.to_vec(), Format::Xlsx).check().is_ok());
        let e = request(Layer::ALL.to_vec(), Format::Gpkg).check().unwrap_err();
        assert!(e.to_string().contains("only xlsx"), "{e}");
    }

    #[test]
    fn hxl_only_in_csv_and_the_grid_within_a_degree() {
        let mut r = request(vec![Layer::Hazards], Format::Kml);
        r.hxl = true;
        r.public = Some(Dangerous::Coarsen { grid_deg: 1.5 });
        let e = r.check().unwrap_err().to_string();
        assert!(e.contains("HXL") && e.contains("at most 1"), "{e}");
        r.format = Format::Csv;
        r.public = Some(Dangerous::Coarsen { grid_deg: 1.0 });
        assert!(r.check().is_ok());
    }
}
