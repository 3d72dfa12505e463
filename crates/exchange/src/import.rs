//! Moving data in: a layer file into the register, the one pipeline the
//! command line's `import` and the API's `POST /api/imports` both run.
//!
//! Field data comes in under reports approved by the importing officer, one
//! per batch of features, each naming the file, its SHA-256 and what each
//! feature became (so every check of approval applies and every record
//! traces to the file and feature); tasks are issued; districts and
//! settlements are added. The whole file is one transaction: by default any
//! rejected feature rolls all of it back (after every feature was checked,
//! so the reject file lists them all); with `keep_going` the good features
//! are kept. Rejected features go to a reject file in the input's format,
//! each with its reason.

pub mod pipeline;

use pipeline::{pipelined, prepare, Importer, Tally};
use safeground_core::crs::Crs;
use safeground_core::import::{ignored_fields, InRecord};
use safeground_formats::csv_in::CsvLayerReader;
use safeground_formats::geojson_in::read_geojson;
use safeground_formats::geojson_out;
use safeground_formats::kml_in::read_kml;
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_formats::xlsx_in::XlsxLayerReader;
use safeground_store::{ApprovalSettings, GpkgReader, ImportBatches, Layer, Store, StoreError, Writer};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFormat {
    /// A GeoJSON FeatureCollection (streamed: any size in constant memory).
    Geojson,
    /// CSV with a header, WKT or longitude/latitude columns, optionally an HXL row.
    Csv,
    /// A table of a GeoPackage.
    Gpkg,
    /// KML or KMZ (Placemarks with ExtendedData).
    Kml,
    /// An Excel workbook: the sheet named like the layer (or the table asked for), header in row 1.
    Xlsx,
}

impl InFormat {
    pub const ALL: [InFormat; 5] =
        [InFormat::Geojson, InFormat::Csv, InFormat::Gpkg, InFormat::Kml, InFormat::Xlsx];

    pub fn name(self) -> &'static str {
        match self {
            InFormat::Geojson => "geojson",
            InFormat::Csv => "csv",
            InFormat::Gpkg => "gpkg",
            InFormat::Kml => "kml",
            InFormat::Xlsx => "xlsx",
        }
    }

    /// The format a file's extension names, if it names one.
    ///
    /// ```
    /// use safeground_exchange::import::InFormat;
    /// assert_eq!(InFormat::of_path("finds.KMZ".as_ref()), Some(InFormat::Kml));
    /// assert_eq!(InFormat::of_path("finds.shp".as_ref()), None);
    /// ```
    pub fn of_path(path: &Path) -> Option<InFormat> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        Some(match ext.as_str() {
            "geojson" | "json" => InFormat::Geojson,
            "csv" | "tsv" | "txt" => InFormat::Csv,
            "gpkg" => InFormat::Gpkg,
            "kml" | "kmz" => InFormat::Kml,
            "xlsx" | "xlsm" | "xls" | "ods" => InFormat::Xlsx,
            _ => return None,
        })
    }

    /// The extension of the reject file: rejected rows go back in the
    /// input's own format where it is a table, as GeoJSON features otherwise.
    pub fn reject_extension(self) -> &'static str {
        match self {
            InFormat::Csv => "csv",
            InFormat::Xlsx => "xlsx",
            _ => "geojson",
        }
    }
}

impl std::str::FromStr for InFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        InFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("'{s}' is not a format import reads; use geojson, csv, gpkg, kml or xlsx"))
    }
}

/// One import.
#[derive(Debug, Clone)]
pub struct Request {
    /// The file read.
    pub file: PathBuf,
    /// How messages and the import's reports name the file.
    pub name: String,
    pub layer: Layer,
    pub format: InFormat,
    /// The reference system of a CSV, XLSX or GeoJSON file's coordinates (WGS84 when none).
    pub srs: Option<Crs>,
    /// GeoPackage or XLSX: the table or sheet to read (by default the one named like the layer, or the only one).
    pub table: Option<String>,
    /// Import the good features even if some are rejected.
    pub keep_going: bool,
    /// Where rejected features go.
    pub rejects: PathBuf,
    pub settings: ApprovalSettings,
    /// Features per import report.
    pub batch: usize,
}

impl Request {
    /// Refuses, before anything is read, what cannot be done.
    pub fn check(&self) -> Result<(), ImportError> {
        if self.srs.is_some() && matches!(self.format, InFormat::Gpkg | InFormat::Kml) {
            return Err(ImportError::Invalid(
                "a reference system is for CSV, XLSX and GeoJSON; a GeoPackage declares its own and KML is always WGS84"
                    .into(),
            ));
        }
        if self.batch == 0 {
            return Err(ImportError::Invalid("a batch holds at least one feature".into()));
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug)]
pub struct Summary {
    pub tally: Tally,
    /// Whether the features were written: false when some were rejected
    /// without `keep_going`, so nothing was.
    pub committed: bool,
    /// The reject file, when a feature was rejected.
    pub rejects: Option<PathBuf>,
    /// The file's columns the layer does not read.
    pub ignored: Vec<String>,
    /// What approval flagged in what was written (for a second look, not refused).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The request cannot be done.
    #[error("{0}")]
    Invalid(String),
    /// The file is not whole or not well formed; nothing was imported.
    #[error(
        "{0}\nNothing was imported: the file is not whole or not well formed; fix it and import it again"
    )]
    Read(ReadError),
    /// The import stopped (the reader or the reject file); nothing was imported.
    #[error("importing {file}: {problem}; nothing was imported")]
    Stopped { file: String, problem: String },
    /// Not the data's fault: the register could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

/// Imports `req.file` into `store` as `officer`, who approves the import's
/// reports. `progress` hears of the bytes read (GeoJSON, CSV, KML).
pub fn run(
    store: &mut Store,
    officer: &str,
    req: &Request,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, ImportError> {
    req.check()?;
    store.prepare_for_import()?;
    let sha256 = sha256_of(&req.file)?;
    let mut importer = Importer::new(
        &req.name,
        ImportBatches::new(
            (&req.name, &sha256, req.layer.name()),
            req.batch,
            (officer, OffsetDateTime::now_utc()),
            req.settings,
        ),
        RejectWriter::geojson(&req.rejects),
    );
    let job = Job { req, progress };
    let mut ignored: Vec<String> = vec![];
    let mut read_error: Option<ReadError> = None;
    let outcome = store.write(|w| {
        w.defer_spatial_index(req.layer)?;
        if let Err(e) = job.read(w, &mut importer, &mut ignored)? {
            read_error = Some(e);
            return Err(StoreError::Invalid { record: req.name.clone(), problem: "stopped".into() });
        }
        importer.flush(w).map_err(|p| StoreError::Invalid { record: req.name.clone(), problem: p })?;
        w.close_batches(&mut importer.batches)?;
        if importer.tally.rejected > 0 && !req.keep_going {
            return Err(StoreError::Invalid {
                record: req.name.clone(),
                problem: "rejected features".into(),
            });
        }
        Ok(())
    });
    let tally = std::mem::take(&mut importer.tally);
    let rejects = importer
        .rejects
        .finish()
        .map_err(|e| ImportError::Io(format!("writing {}: {e}", req.rejects.display())))?;
    if let Some(problem) = importer.fatal {
        return Err(ImportError::Stopped { file: req.name.clone(), problem });
    }
    if let Some(e) = read_error {
        return Err(match e {
            ReadError::Stopped(problem) => ImportError::Stopped { file: req.name.clone(), problem },
            e => ImportError::Read(e),
        });
    }
    let aborted = tally.rejected > 0 && !req.keep_going;
    match outcome {
        Ok(()) => {}
        Err(_) if aborted => {}
        Err(e) => return Err(e.into()),
    }
    let warnings = if aborted { vec![] } else { importer.batches.flags.clone() };
    Ok(Summary { tally, committed: !aborted, rejects, ignored, warnings })
}

/// What an import that was committed did, in the words `import` prints:
/// `FILE: read N features into LAYER; imported …, already in the register
/// …, rejected … (in REJECTS).`
pub fn said(layer: Layer, file: &str, s: &Summary, rejects: Option<&str>) -> String {
    let t = &s.tally;
    let where_rejects = rejects.map(|p| format!(" (in {p})")).unwrap_or_default();
    format!(
        "{file}: read {} features into {}; imported {}, already in the register {}, rejected {}{where_rejects}.",
        t.read,
        layer.name(),
        t.imported,
        t.present,
        t.rejected
    )
}

/// The SHA-256 of a file, in hex, as the import's report names it.
fn sha256_of(path: &Path) -> Result<String, ImportError> {
    use sha2::{Digest, Sha256};
    let mut f =
        std::fs::File::open(path).map_err(|e| ImportError::Io(format!("opening {}: {e}", path.display())))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| ImportError::Io(format!("reading {}: {e}", path.display())))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn feature_of_gpkg(fields: &[(String, Value)], geometry: Option<&geo::Geometry<f64>>) -> Value {
    let props: Map<String, Value> = fields.iter().cloned().collect();
    json!({"type": "Feature", "properties": props, "geometry": geometry.map(geojson_out::geometry)})
}

/// A reader that tells `progress` of every byte it reads.
struct Counted<'a, R> {
    inner: R,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

struct Job<'a> {
    req: &'a Request,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<'a> Job<'a> {
    fn open(&self) -> Result<Counted<'a, std::fs::File>, StoreError> {
        let file = std::fs::File::open(&self.req.file).map_err(|e| StoreError::Invalid {
            record: "import".into(),
            problem: format!("opening {}: {e}", self.req.file.display()),
        })?;
        Ok(Counted { inner: file, progress: self.progress })
    }

    /// A file with spatial features but no geometry columns.
    fn no_geometry(&self, record: String, what: &str) -> StoreError {
        StoreError::Invalid {
            record,
            problem: format!(
                "{} features have a geometry, but the {what} has no wkt column and no longitude/latitude columns",
                self.req.layer.name()
            ),
        }
    }

    /// Reads the file feature by feature into `importer`: the outer error
    /// stops the import at once, the inner one is the file's (not whole,
    /// not well formed, or a consumer that stopped).
    fn read(
        &self,
        w: &mut Writer<'_>,
        importer: &mut Importer,
        ignored: &mut Vec<String>,
    ) -> Result<Result<usize, ReadError>, StoreError> {
        let (req, srs, name) = (self.req, self.req.srs, self.req.name.as_str());
        let run = (req.layer, &req.settings);
        Ok(match req.format {
            InFormat::Geojson => {
                let mut first = true;
                let input = self.open()?;
                pipelined(run, move |sink| read_geojson(input, name, srs, sink), &mut |chunk| {
                    if let (true, Some(p)) = (first, chunk.first()) {
                        first = false;
                        *ignored =
                            ignored_fields(req.layer, p.read.record.fields.iter().map(|(k, _)| k.as_str()));
                    }
                    importer.take_chunk(w, chunk)
                })
            }
            InFormat::Csv => match CsvLayerReader::new(self.open()?, name, srs) {
                Err(e) => Err(e),
                Ok(reader) => {
                    *ignored = ignored_fields(req.layer, reader.header().iter().map(String::as_str));
                    importer.rejects =
                        RejectWriter::csv(&req.rejects, reader.header().to_vec(), reader.delimiter());
                    if req.layer.spatial() && !reader.has_geometry() {
                        return Err(self.no_geometry(name.to_string(), "file"));
                    }
                    pipelined(run, move |sink| reader.read(sink), &mut |chunk| importer.take_chunk(w, chunk))
                }
            },
            InFormat::Xlsx => {
                match XlsxLayerReader::open(&req.file, req.table.as_deref(), req.layer.name(), srs) {
                    Err(e) => Err(e),
                    Ok(reader) => {
                        *ignored = ignored_fields(req.layer, reader.header().iter().map(String::as_str));
                        importer.rejects = RejectWriter::xlsx(&req.rejects, reader.header().to_vec());
                        if req.layer.spatial() && !reader.has_geometry() {
                            return Err(
                                self.no_geometry(format!("{name}, sheet {}", reader.sheet()), "sheet")
                            );
                        }
                        reader.read(&mut |r| importer.take(w, prepare(req.layer, &req.settings, r)))
                    }
                }
            }
            InFormat::Kml => {
                let input = self.open()?;
                pipelined(run, move |sink| read_kml(input, name, sink), &mut |chunk| {
                    importer.take_chunk(w, chunk)
                })
            }
            InFormat::Gpkg => return self.read_gpkg(w, importer, ignored),
        })
    }

    /// A GeoPackage table, in its own reference system, feature by feature.
    fn read_gpkg(
        &self,
        w: &mut Writer<'_>,
        importer: &mut Importer,
        ignored: &mut Vec<String>,
    ) -> Result<Result<usize, ReadError>, StoreError> {
        let req = self.req;
        // Not a GeoPackage, no such table, several to choose from: the file's
        // fault, said as such (not as the register's).
        let reader =
            GpkgReader::open(&req.file, req.table.as_deref(), req.layer.name()).map_err(|e| match e {
                e @ StoreError::Invalid { .. } => e,
                e => StoreError::Invalid { record: req.name.clone(), problem: e.to_string() },
            })?;
        let crs = match reader.epsg {
            None => Crs::Wgs84,
            Some(code) => Crs::from_epsg(code)
                .map_err(|e| StoreError::Invalid { record: req.name.clone(), problem: e.to_string() })?,
        };
        *ignored = ignored_fields(req.layer, reader.columns().iter().map(String::as_str));
        let table = reader.table().to_string();
        let n = reader.read(&mut |f| {
            let (mut geometry, mut problem) = (None, None);
            match &f.geometry {
                Ok(Some(g)) => {
                    let mut value = geojson_out::geometry(g);
                    match crs.transform(&mut value) {
                        Ok(()) => geometry = Some(value),
                        Err(e) => problem = Some(format!("field 'geom': {e}")),
                    }
                }
                Ok(None) => {}
                Err(e) => problem = Some(format!("field 'geom': {e}")),
            }
            let original = feature_of_gpkg(&f.fields, f.geometry.as_ref().ok().and_then(Option::as_ref));
            let record = InRecord::new(format!("{table} feature {}", f.fid), f.fields, geometry);
            let read = Read { record, original: Original::Feature(original), problem };
            importer.take(w, prepare(req.layer, &req.settings, read))
        });
        match n {
            Ok(n) => Ok(Ok(n)),
            Err(e) if importer.fatal.is_some() => Ok(Err(ReadError::Stopped(e.to_string()))),
            Err(e) => Err(e),
        }
    }
}
