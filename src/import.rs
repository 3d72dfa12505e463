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
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::crs::Crs;
use safeground_exchange::import::{self as exchange, ImportError, InFormat, Request, Summary};
use safeground_store::{ApprovalSettings, Layer, Location, Store};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: .geojson/.json, .csv, .gpkg, .kml/.kmz or .xlsx.
    file: PathBuf,
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations.
    #[arg(long)]
    layer: Layer,
    /// The file's format, when its extension does not say: geojson, csv, gpkg, kml or xlsx.
    #[arg(long)]
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
    match a.format.or_else(|| InFormat::of_path(&a.file)) {
        Some(f) => Ok(f),
        None => bail!(
            "cannot tell the format of {} from its extension; name it with --format geojson|csv|gpkg|kml|xlsx",
            a.file.display()
        ),
    }
}

fn reject_path(a: &ImportArgs, format: InFormat) -> PathBuf {
    if let Some(p) = &a.reject {
        return p.clone();
    }
    let stem = a.file.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    a.file.with_file_name(format!("{stem}.rejects.{}", format.reject_extension()))
}

/// The import `a` asks for, refused before anything is read when it cannot
/// be done (a reference system a format does not take, the register itself
/// as input or reject file).
fn request(db: &Location, a: &ImportArgs) -> Result<Request> {
    let format = format_of(a)?;
    let srs = a.srs.as_deref().map(Crs::parse).transpose().context("--srs")?;
    let name = a.file.display().to_string();
    if crate::is_register(db, &a.file) {
        bail!("{name} is the register itself (--db): import another register's layers from a copy of it");
    }
    let rejects = reject_path(a, format);
    if crate::is_register(db, &rejects) {
        bail!("the reject file would replace the register itself (--db): name another with --reject");
    }
    let settings = ApprovalSettings {
        tolerance_m: a.tolerance,
        close_below_m2: a.close_below,
        max_vertices: a.max_vertices,
        ..ApprovalSettings::default()
    };
    let req = Request {
        file: a.file.clone(),
        name,
        layer: a.layer,
        format,
        srs,
        table: a.table.clone(),
        keep_going: a.keep_going,
        rejects,
        settings,
        batch: a.batch as usize,
    };
    if let Err(ImportError::Invalid(m)) = req.check() {
        bail!("{m} (--srs)");
    }
    Ok(req)
}

pub fn run(db: &Location, who: &crate::auth::Credentials, a: &ImportArgs) -> Result<()> {
    let req = request(db, a)?;
    let mut store = Store::open(db)?;
    let p = who.principal(&store)?;
    crate::auth::authorize(&p, safeground_core::access::Action::Import, safeground_core::access::Scope::Any)?;
    let bar = progress_bar(&a.file);
    let outcome = exchange::run(&mut store, &p.name, &req, &|n| bar.inc(n));
    bar.finish_and_clear();
    let summary = outcome?;
    for f in &summary.warnings {
        eprintln!("warning: {f}");
    }
    conclude(&req, &summary)
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

/// Says what the import did (or why it did nothing), with the reject file.
fn conclude(req: &Request, s: &Summary) -> Result<()> {
    let (file_name, tally) = (&req.name, &s.tally);
    if !s.ignored.is_empty() {
        eprintln!("note: columns not read for {}: {}", req.layer.name(), s.ignored.join(", "));
    }
    for line in &tally.first_rejections {
        eprintln!("rejected: {line}");
    }
    if tally.rejected > tally.first_rejections.len() {
        eprintln!("rejected: … and {} more", tally.rejected - tally.first_rejections.len());
    }
    let where_rejects = s.rejects.as_ref().map(|p| format!(" (in {})", p.display())).unwrap_or_default();
    if !s.committed {
        bail!(
            "{file_name}: read {} features; {} rejected{where_rejects}, so nothing was imported. \
             Fix them and import again, or pass --keep-going to import the {} good ones",
            tally.read,
            tally.rejected,
            tally.read - tally.rejected
        );
    }
    let rejects = s.rejects.as_ref().map(|p| p.display().to_string());
    println!("{}", exchange::said(req.layer, file_name, s, rejects.as_deref()));
    if tally.rejected > 0 {
        bail!("{} features were rejected{where_rejects}; the others were imported", tally.rejected);
    }
    Ok(())
}
