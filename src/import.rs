//! `safeground import FILE --layer L`: a layer file into the register.
//!
//! Field data comes in under reports approved by the importing officer, one
//! per batch of features (`--batch`), each naming the file, its SHA-256 and
//! what each feature became (so every check of approval applies and every
//! record traces to the file and feature); tasks are issued; districts and settlements are added. The whole
//! file is one transaction: by default, any rejected feature rolls all of it
//! back (after every feature was checked, so the reject file lists them all);
//! with `--keep-going` the good features are kept. Either way the count of
//! features read, imported, already present and rejected is printed, and the
//! rejected ones go to a reject file in the input's format with the reason.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::approval::{self, Parsed};
use safeground_core::crs::Crs;
use safeground_core::import::{group_key, ignored_fields, merge, to_item, ImportItem};
use safeground_formats::csv_in::CsvLayerReader;
use safeground_formats::geojson_in::read_geojson;
use safeground_formats::geojson_out;
use safeground_formats::kml_in::read_kml;
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_formats::xlsx_in::XlsxLayerReader;
use safeground_store::Location;
use safeground_store::{
    ApprovalSettings, GpkgReader, ImportBatches, ItemOutcome, Layer, Origin, Store, StoreError, Writer,
};
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InFormat {
    /// A GeoJSON FeatureCollection (streamed: any size in constant memory).
    Geojson,
    /// CSV with a header, WKT or longitude/latitude columns, optionally an HXL row.
    Csv,
    /// A table of a GeoPackage.
    Gpkg,
    /// KML or KMZ (Placemarks with ExtendedData).
    Kml,
    /// An Excel workbook: the sheet named like the layer (or --table), header in row 1.
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: .geojson/.json, .csv, .gpkg, .kml/.kmz or .xlsx.
    file: PathBuf,
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations.
    #[arg(long)]
    layer: Layer,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    format: Option<InFormat>,
    /// The reference system of a CSV, XLSX or GeoJSON file's coordinates: EPSG:4326 (the default)
    /// or a WGS84 / UTM zone (EPSG:32601–32660, 32701–32760).
    #[arg(long)]
    srs: Option<String>,
    /// GeoPackage or XLSX: the table or sheet to read (by default the one named like the layer, or the only one).
    #[arg(long)]
    table: Option<String>,
    /// Import the good features even if some are rejected.
    #[arg(long)]
    keep_going: bool,
    /// Where rejected features go (default: beside the input, `NAME.rejects.EXT`).
    #[arg(long)]
    reject: Option<PathBuf>,
    /// Metres released ground may stray outside its hazard.
    #[arg(long, default_value_t = 5.0)]
    tolerance: f64,
    /// A completed hazard closes when less than this many m² remain.
    #[arg(long, default_value_t = 10.0)]
    close_below: f64,
    /// The most positions one polygon may have (all its rings and parts).
    #[arg(long, default_value_t = safeground_core::validate::MAX_VERTICES)]
    max_vertices: usize,
    /// Features per import report: the file goes in under one approved report per
    /// this many features (fewer where the organisation or report type changes).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    batch: u32,
}

fn format_of(a: &ImportArgs) -> Result<InFormat> {
    if let Some(f) = a.format {
        return Ok(f);
    }
    let ext = a.file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    Ok(match ext.as_str() {
        "geojson" | "json" => InFormat::Geojson,
        "csv" | "tsv" | "txt" => InFormat::Csv,
        "gpkg" => InFormat::Gpkg,
        "kml" | "kmz" => InFormat::Kml,
        "xlsx" | "xlsm" | "xls" | "ods" => InFormat::Xlsx,
        _ => bail!(
            "cannot tell the format of {} from its extension; name it with --format geojson|csv|gpkg|kml|xlsx",
            a.file.display()
        ),
    })
}

fn reject_path(a: &ImportArgs, format: InFormat) -> PathBuf {
    if let Some(p) = &a.reject {
        return p.clone();
    }
    let ext = match format {
        InFormat::Csv => "csv",
        InFormat::Xlsx => "xlsx",
        _ => "geojson",
    };
    let stem = a.file.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    a.file.with_file_name(format!("{stem}.rejects.{ext}"))
}

/// A feature read, made into an item and keyed for grouping: the work done
/// on the reader's thread while the writer takes the features before it.
pub(crate) struct Prepared {
    pub(crate) read: Read,
    item: Result<ImportItem, String>,
    key: Option<String>,
    /// A report's polygons read, validated and measured.
    parsed: Option<Parsed>,
}

impl Prepared {
    /// A report made by the importer itself (a migrated hazard's later
    /// version), with the feature it stands for.
    pub(crate) fn report(
        read: Read,
        report: safeground_core::report::Report,
        settings: &ApprovalSettings,
    ) -> Prepared {
        let parsed = Some(approval::parse(&report, settings));
        Prepared { read, item: Ok(ImportItem::Report(Box::new(report))), key: None, parsed }
    }
}

fn prepare(layer: Layer, settings: &ApprovalSettings, read: Read) -> Prepared {
    let item = match &read.problem {
        Some(problem) => Err(problem.clone()),
        None => to_item(layer, &read.record).map_err(|e| e.to_string()),
    };
    let key = item.as_ref().ok().and_then(|_| group_key(layer, &read.record));
    let parsed = match &item {
        Ok(ImportItem::Report(r)) => Some(approval::parse(r, settings)),
        _ => None,
    };
    Prepared { read, item, key, parsed }
}

/// Reads on a thread of its own (parsing, reprojecting and making items)
/// while `take` decides and writes on this one: the two cores of a field
/// laptop both work. Features reach `take` in the file's order.
pub(crate) fn pipelined(
    (layer, settings): (Layer, &ApprovalSettings),
    read: impl FnOnce(&mut dyn FnMut(Read) -> Result<(), String>) -> Result<usize, ReadError> + Send,
    take: &mut dyn FnMut(Prepared) -> Result<(), String>,
) -> Result<usize, ReadError> {
    // Features go across in chunks: a wake-up per feature costs more than
    // a small feature's decision.
    const CHUNK: usize = 64;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(8);
        let reader = s.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            let stopped = || "the import stopped".to_string();
            let n = read(&mut |r| {
                chunk.push(prepare(layer, settings, r));
                if chunk.len() == CHUNK {
                    tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .map_err(|_| stopped())?;
                }
                Ok(())
            })?;
            if !chunk.is_empty() {
                tx.send(chunk).map_err(|_| ReadError::Stopped(stopped()))?;
            }
            Ok(n)
        });
        let mut stopped = None;
        'chunks: for chunk in rx.iter() {
            for p in chunk {
                if let Err(e) = take(p) {
                    stopped = Some(e);
                    break 'chunks;
                }
            }
        }
        drop(rx);
        let read = reader.join().unwrap_or_else(|_| Err(ReadError::Stopped("the reader failed".into())));
        match stopped {
            Some(e) => Err(ReadError::Stopped(e)),
            None => read,
        }
    })
}

/// What an import did, feature by feature.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) read: usize,
    pub(crate) imported: usize,
    pub(crate) present: usize,
    pub(crate) rejected: usize,
    pub(crate) first_rejections: Vec<String>,
}

/// A group of features that go in as one item (one report).
struct Pending {
    key: Option<String>,
    item: ImportItem,
    parsed: Option<Parsed>,
    places: Vec<String>,
    originals: Vec<Original>,
    /// What the (first) feature's source held beside the layer's fields.
    attributes: std::collections::BTreeMap<String, serde_json::Value>,
    /// The day it took effect, for history brought in.
    effective: Option<time::Date>,
}

pub(crate) struct Importer {
    file: String,
    pub(crate) batches: ImportBatches,
    pub(crate) tally: Tally,
    pub(crate) rejects: RejectWriter,
    pending: Option<Pending>,
    /// A failure that is not the data's fault (the disk, the database): the import stops.
    pub(crate) fatal: Option<anyhow::Error>,
    /// What became of each feature, by its place, when asked for.
    pub(crate) outcomes: Option<Vec<(String, Outcome)>>,
}

/// What became of one feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Imported,
    Present,
    Rejected(String),
}

impl Importer {
    /// An import of `file` (as messages name it) into `batches`, rejects to `rejects`.
    pub(crate) fn new(file: &str, batches: ImportBatches, rejects: RejectWriter) -> Importer {
        Importer {
            file: file.to_string(),
            batches,
            tally: Tally::default(),
            rejects,
            pending: None,
            fatal: None,
            outcomes: None,
        }
    }

    pub(crate) fn reject(&mut self, place: &str, original: &Original, reason: &str) -> Result<(), String> {
        if let Some(o) = &mut self.outcomes {
            o.push((place.to_string(), Outcome::Rejected(reason.to_string())));
        }
        let line = format!("{}, {place}: {reason}", self.file);
        self.tally.rejected += 1;
        if self.tally.first_rejections.len() < 20 {
            self.tally.first_rejections.push(line);
        }
        self.rejects.reject(original, reason).map_err(|e| {
            let msg = format!("writing the reject file {}: {e}", self.rejects.path().display());
            self.fatal = Some(anyhow::anyhow!(msg.clone()));
            msg
        })
    }

    pub(crate) fn take(&mut self, w: &mut Writer<'_>, p: Prepared) -> Result<(), String> {
        self.tally.read += 1;
        let Prepared { read, item, key, parsed } = p;
        let place = read.record.place.clone();
        let item = match item {
            Err(problem) => return self.reject(&place, &read.original, &problem),
            Ok(item) => item,
        };
        if let (Some(p), ImportItem::Report(next)) = (&mut self.pending, &item) {
            if key.is_some() && p.key == key {
                if let ImportItem::Report(into) = &mut p.item {
                    // A group is decided as one report: its polygons are read then.
                    p.parsed = None;
                    merge(into, (**next).clone());
                    p.places.push(place);
                    p.originals.push(read.original);
                    return Ok(());
                }
            }
        }
        self.flush(w)?;
        self.pending = Some(Pending {
            key,
            item,
            parsed,
            places: vec![place],
            originals: vec![read.original],
            attributes: read.record.attributes,
            effective: read.record.effective,
        });
        Ok(())
    }

    pub(crate) fn flush(&mut self, w: &mut Writer<'_>) -> Result<(), String> {
        let Some(p) = self.pending.take() else { return Ok(()) };
        let fatal = |me: &mut Self, e: StoreError| {
            let msg = e.to_string();
            me.fatal = Some(e.into());
            msg
        };
        // A report is refused before anything of it is written; reference
        // data may write a region before its district is refused.
        let guarded = !matches!(p.item, ImportItem::Report(_));
        if guarded {
            if let Err(e) = w.savepoint() {
                return Err(fatal(self, e));
            }
        }
        let origin = Origin { features: &p.places, attributes: &p.attributes, effective: p.effective };
        match w.import_item(&p.item, p.parsed, &mut self.batches, origin) {
            Ok(outcome) => {
                if guarded {
                    if let Err(e) = w.release_savepoint() {
                        return Err(fatal(self, e));
                    }
                }
                let (count, each) = match outcome {
                    ItemOutcome::Imported => (&mut self.tally.imported, Outcome::Imported),
                    ItemOutcome::Present => (&mut self.tally.present, Outcome::Present),
                };
                *count += p.places.len();
                if let Some(o) = &mut self.outcomes {
                    o.extend(p.places.iter().map(|place| (place.clone(), each.clone())));
                }
                Ok(())
            }
            Err(
                e @ (StoreError::Refused { .. } | StoreError::Invalid { .. } | StoreError::Unknown { .. }),
            ) => {
                if guarded {
                    if let Err(e) = w.rollback_savepoint() {
                        return Err(fatal(self, e));
                    }
                }
                let reason = match &e {
                    StoreError::Refused { problems, .. } => problems.join("; "),
                    other => other.to_string(),
                };
                for (place, original) in p.places.iter().zip(&p.originals) {
                    self.reject(place, original, &reason)?;
                }
                Ok(())
            }
            Err(e) => Err(fatal(self, e)),
        }
    }
}

/// The SHA-256 of a file, in hex, as the import's report names it.
fn sha256_of(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn feature_of_gpkg(fields: &[(String, Value)], geometry: Option<&geo::Geometry<f64>>) -> Value {
    let props: Map<String, Value> = fields.iter().cloned().collect();
    json!({"type": "Feature", "properties": props, "geometry": geometry.map(geojson_out::geometry)})
}

/// One import: the arguments, and what was worked out from them before reading.
struct Job<'a> {
    a: &'a ImportArgs,
    format: InFormat,
    srs: Option<Crs>,
    file_name: String,
    reject_path: PathBuf,
    settings: ApprovalSettings,
}

pub fn run(db: &Location, who: &crate::auth::Credentials, a: &ImportArgs) -> Result<()> {
    let job = Job::new(db, a)?;
    let mut store = Store::open(db)?;
    store.prepare_for_import()?;
    let p = who.principal(&store)?;
    crate::auth::authorize(&p, safeground_core::access::Action::Import, safeground_core::access::Scope::Any)?;
    let bar = progress_bar(&a.file);
    let sha256 = sha256_of(&a.file)?;
    let mut importer = Importer::new(
        &job.file_name,
        ImportBatches::new(
            (&job.file_name, &sha256, a.layer.name()),
            a.batch as usize,
            (&p.name, OffsetDateTime::now_utc()),
            job.settings,
        ),
        RejectWriter::geojson(&job.reject_path),
    );
    let mut ignored: Vec<String> = vec![];
    let mut read_error: Option<ReadError> = None;
    let outcome = store.write(|w| {
        if let Err(e) = job.read(&bar, w, &mut importer, &mut ignored)? {
            read_error = Some(e);
            return Err(StoreError::Invalid { record: job.file_name.clone(), problem: "stopped".into() });
        }
        importer.flush(w).map_err(|p| StoreError::Invalid { record: job.file_name.clone(), problem: p })?;
        w.close_batches(&mut importer.batches)?;
        if importer.tally.rejected > 0 && !a.keep_going {
            return Err(StoreError::Invalid {
                record: job.file_name.clone(),
                problem: "rejected features".into(),
            });
        }
        Ok(())
    });
    bar.finish_and_clear();
    if outcome.is_ok() {
        for f in &importer.batches.flags {
            eprintln!("warning: {f}");
        }
    }
    job.conclude(importer, outcome, read_error, &ignored)
}

/// A progress bar over the file's bytes, drawn only on a terminal.
fn progress_bar(file: &Path) -> ProgressBar {
    let bar = ProgressBar::new(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("Importing [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

impl<'a> Job<'a> {
    /// The import `a` asks for, refused before anything is read when it
    /// cannot be done (a reference system a format does not take, the
    /// register itself as input or reject file).
    fn new(db: &Location, a: &'a ImportArgs) -> Result<Self> {
        let format = format_of(a)?;
        let srs = a.srs.as_deref().map(Crs::parse).transpose().context("--srs")?;
        if srs.is_some() && matches!(format, InFormat::Gpkg | InFormat::Kml) {
            bail!("--srs is for CSV, XLSX and GeoJSON; a GeoPackage declares its own system and KML is always WGS84");
        }
        let file_name = a.file.display().to_string();
        if crate::is_register(db, &a.file) {
            bail!(
                "{file_name} is the register itself (--db): import another register's layers from a copy of it"
            );
        }
        let reject_path = reject_path(a, format);
        if crate::is_register(db, &reject_path) {
            bail!("the reject file would replace the register itself (--db): name another with --reject");
        }
        let settings = ApprovalSettings {
            tolerance_m: a.tolerance,
            close_below_m2: a.close_below,
            max_vertices: a.max_vertices,
            ..ApprovalSettings::default()
        };
        Ok(Job { a, format, srs, file_name, reject_path, settings })
    }

    fn open(&self) -> Result<std::fs::File, StoreError> {
        std::fs::File::open(&self.a.file)
            .with_context(|| format!("opening {}", self.a.file.display()))
            .map_err(|e| stop(&e))
    }

    /// A file with spatial features but no geometry columns.
    fn no_geometry(&self, record: String, what: &str) -> StoreError {
        StoreError::Invalid {
            record,
            problem: format!(
                "{} features have a geometry, but the {what} has no wkt column and no longitude/latitude columns",
                self.a.layer.name()
            ),
        }
    }

    /// Reads the file feature by feature into `importer`: the outer error
    /// stops the import at once, the inner one is the file's (not whole,
    /// not well formed, or a consumer that stopped).
    fn read(
        &self,
        bar: &ProgressBar,
        w: &mut Writer<'_>,
        importer: &mut Importer,
        ignored: &mut Vec<String>,
    ) -> Result<Result<usize, ReadError>, StoreError> {
        let (a, srs, name) = (self.a, self.srs, self.file_name.as_str());
        let run = (a.layer, &self.settings);
        Ok(match self.format {
            InFormat::Geojson => {
                let mut first = true;
                let input = bar.wrap_read(self.open()?);
                pipelined(run, move |sink| read_geojson(input, name, srs, sink), &mut |p| {
                    if first {
                        first = false;
                        *ignored =
                            ignored_fields(a.layer, p.read.record.fields.iter().map(|(k, _)| k.as_str()));
                    }
                    importer.take(w, p)
                })
            }
            InFormat::Csv => match CsvLayerReader::new(bar.wrap_read(self.open()?), name, srs) {
                Err(e) => Err(e),
                Ok(reader) => {
                    *ignored = ignored_fields(a.layer, reader.header().iter().map(String::as_str));
                    importer.rejects =
                        RejectWriter::csv(&self.reject_path, reader.header().to_vec(), reader.delimiter());
                    if a.layer.spatial() && !reader.has_geometry() {
                        return Err(self.no_geometry(name.to_string(), "file"));
                    }
                    pipelined(run, move |sink| reader.read(sink), &mut |p| importer.take(w, p))
                }
            },
            InFormat::Xlsx => match XlsxLayerReader::open(&a.file, a.table.as_deref(), a.layer.name(), srs) {
                Err(e) => Err(e),
                Ok(reader) => {
                    *ignored = ignored_fields(a.layer, reader.header().iter().map(String::as_str));
                    importer.rejects = RejectWriter::xlsx(&self.reject_path, reader.header().to_vec());
                    if a.layer.spatial() && !reader.has_geometry() {
                        return Err(self.no_geometry(format!("{name}, sheet {}", reader.sheet()), "sheet"));
                    }
                    reader.read(&mut |r| importer.take(w, prepare(a.layer, &self.settings, r)))
                }
            },
            InFormat::Kml => {
                let input = bar.wrap_read(self.open()?);
                pipelined(run, move |sink| read_kml(input, name, sink), &mut |p| importer.take(w, p))
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
        let a = self.a;
        let reader = GpkgReader::open(&a.file, a.table.as_deref(), a.layer.name())?;
        let crs = match reader.epsg {
            None => Crs::Wgs84,
            Some(code) => Crs::from_epsg(code).map_err(|e| StoreError::Invalid {
                record: self.file_name.clone(),
                problem: e.to_string(),
            })?,
        };
        *ignored = ignored_fields(a.layer, reader.columns().iter().map(String::as_str));
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
            let record = safeground_core::import::InRecord::new(
                format!("{table} feature {}", f.fid),
                f.fields,
                geometry,
            );
            let read = Read { record, original: Original::Feature(original), problem };
            importer.take(w, prepare(a.layer, &self.settings, read))
        });
        match n {
            Ok(n) => Ok(Ok(n)),
            Err(e) if importer.fatal.is_some() => Ok(Err(ReadError::Stopped(e.to_string()))),
            Err(e) => Err(e),
        }
    }

    /// Says what the import did (or why it did nothing), with the reject file.
    fn conclude(
        &self,
        mut importer: Importer,
        outcome: Result<(), StoreError>,
        read_error: Option<ReadError>,
        ignored: &[String],
    ) -> Result<()> {
        let (file_name, keep_going) = (&self.file_name, self.a.keep_going);
        let tally = std::mem::take(&mut importer.tally);
        let rejects =
            importer.rejects.finish().with_context(|| format!("writing {}", self.reject_path.display()))?;
        if let Some(f) = importer.fatal {
            return Err(f.context(format!("importing {file_name}: nothing was imported")));
        }
        if let Some(e) = read_error {
            if let ReadError::Stopped(m) = &e {
                bail!("importing {file_name}: {m}; nothing was imported");
            }
            bail!("{e}\nNothing was imported: the file is not whole or not well formed; fix it and import it again");
        }
        if !ignored.is_empty() {
            eprintln!("note: columns not read for {}: {}", self.a.layer.name(), ignored.join(", "));
        }
        let aborted = tally.rejected > 0 && !keep_going;
        match outcome {
            Ok(()) => {}
            Err(_) if aborted => {}
            Err(e) => return Err(e.into()),
        }
        for line in &tally.first_rejections {
            eprintln!("rejected: {line}");
        }
        if tally.rejected > tally.first_rejections.len() {
            eprintln!("rejected: … and {} more", tally.rejected - tally.first_rejections.len());
        }
        let where_rejects = rejects.map(|p| format!(" (in {})", p.display())).unwrap_or_default();
        if aborted {
            bail!(
                "{file_name}: read {} features; {} rejected{where_rejects}, so nothing was imported. \
                 Fix them and import again, or pass --keep-going to import the {} good ones",
                tally.read,
                tally.rejected,
                tally.read - tally.rejected
            );
        }
        println!(
            "{file_name}: read {} features into {}; imported {}, already in the register {}, rejected {}{where_rejects}.",
            tally.read,
            self.a.layer.name(),
            tally.imported,
            tally.present,
            tally.rejected
        );
        if tally.rejected > 0 {
            bail!("{} features were rejected{where_rejects}; the others were imported", tally.rejected);
        }
        Ok(())
    }
}

fn stop(e: &anyhow::Error) -> StoreError {
    StoreError::Invalid { record: "import".into(), problem: format!("{e:#}") }
}
