//! `safeground import-imsma ng URL`: a programme's register from a restored
//! IMSMA NG database, through the import's approval.
//!
//! Each NG hazard's shapes are made into its polygons by
//! `core::imsma::assemble` (geocheck's defects found, safe repairs made), its
//! columns into the hazard layer's fields by the mapping file, and the
//! result goes through the same path as `import --layer hazards`: one
//! approved report per batch naming the source database and the SHA-256 of
//! what was read; ids derived from NG's guids, so a second run adds nothing.

use crate::import::Outcome;
use crate::import::{pipelined, Importer};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use safeground_core::area::multipolygon_area;
use safeground_core::import::InRecord;
use safeground_core::imsma::{assemble, Severity};
use safeground_core::validate::Rules;
use safeground_formats::geojson_out;
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_imsma::mapping::Mapping;
use safeground_imsma::ng::{NgDatabase, NgObject, Object};
use safeground_imsma::{hazard_fields, Fallbacks};
use safeground_store::{
    ApprovalSettings, DistrictFinder, ImportBatches, Layer, Location, PgUrl, Store, StoreError,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum ImsmaSource {
    /// A restored IMSMA NG database (PostgreSQL).
    Ng(NgArgs),
}

#[derive(Debug, Args)]
pub struct NgArgs {
    /// The NG database: postgres://USER@HOST[:PORT]/DATABASE.
    url: String,
    /// The mapping file (TOML) from NG's columns to safeground's fields; by
    /// default the one shipped, which maps only the local id.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Write a mapping template listing every column of the database's hazard table, and stop.
    #[arg(long)]
    write_mapping_template: Option<PathBuf>,
    /// The organisation (acronym) records that name none belong to.
    #[arg(long)]
    organisation: Option<String>,
    /// Check everything and say what would be migrated, without changing the register.
    #[arg(long)]
    dry_run: bool,
    /// Migrate the good objects even if some are refused.
    #[arg(long)]
    keep_going: bool,
    /// Where refused objects go, as GeoJSON with the reasons (default: imsma-ng.rejects.geojson).
    #[arg(long, default_value = "imsma-ng.rejects.geojson")]
    reject: PathBuf,
    /// A workbook with one row per NG object (its local id, the typed-in area beside the
    /// geodesic one, the defects found, the repairs made, the mapping's decisions) and the totals.
    #[arg(long)]
    reconciliation: Option<PathBuf>,
    /// Objects per migration report.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    batch: u32,
}

pub fn run(db: &Location, who: &crate::auth::Credentials, source: &ImsmaSource) -> Result<()> {
    let ImsmaSource::Ng(a) = source;
    let url: PgUrl = match a.url.parse::<Location>() {
        Ok(Location::Postgres(url)) => url,
        _ => bail!("{} is not a PostgreSQL URL: write postgres://USER@HOST[:PORT]/DATABASE of the restored IMSMA NG database", a.url),
    };
    let shown = url.to_string();
    if let Some(path) = &a.write_mapping_template {
        return write_template(&url, path);
    }
    let mapping = mapping_of(a)?;
    for out in [Some(&a.reject), a.reconciliation.as_ref()].into_iter().flatten() {
        if crate::is_register(db, out) {
            bail!("{} is the register itself (--db): name another file", out.display());
        }
    }
    let mut store = Store::open(db)?;
    store.prepare_for_import()?;
    let p = who.principal(&store)?;
    crate::auth::authorize(&p, safeground_core::access::Action::Import, safeground_core::access::Scope::Any)?;
    let organisation = match (&a.organisation, mapping.hazard_rule("recorded_by")) {
        (Some(o), _) => o.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => bail!(
            "name the organisation migrated records belong to with --organisation ACRONYM (or map recorded_by)"
        ),
    };
    let finder = store.district_finder()?;
    let mut ng = NgDatabase::connect(url.secret(), &shown)?;
    let source_name = format!("IMSMA NG {shown}, table hazard");
    let sha256 = ng.digest(Object::Hazard)?;
    let settings = ApprovalSettings::default();
    let mut importer = Importer::new(
        &source_name,
        ImportBatches::new(
            (&source_name, &sha256, Layer::Hazards.name()),
            a.batch as usize,
            (&p.name, OffsetDateTime::now_utc()),
            settings,
        ),
        RejectWriter::geojson(&a.reject),
    );
    let job =
        Job { mapping: &mapping, finder: &finder, organisation: &organisation, rules: Rules::default() };
    let mut notes = Notes { rows: a.reconciliation.as_ref().map(|_| vec![]), ..Notes::default() };
    if a.reconciliation.is_some() {
        importer.outcomes = Some(vec![]);
    }
    let mut read_error = None;
    let outcome = store.write(|w| {
        let read = pipelined(
            (Layer::Hazards, &settings),
            |sink| {
                let enums = ng.enums.clone();
                ng.objects(Object::Hazard, &mut |o| sink(job.read(&o, &enums, &mut notes)))
                    .map_err(|e| ReadError::Stopped(e.to_string()))
            },
            &mut |p| importer.take(w, p),
        );
        if let Err(e) = read {
            read_error = Some(e);
            return Err(StoreError::Invalid { record: source_name.clone(), problem: "stopped".into() });
        }
        importer.flush(w).map_err(|p| StoreError::Invalid { record: source_name.clone(), problem: p })?;
        w.close_batches(&mut importer.batches)?;
        if a.dry_run || (importer.tally.rejected > 0 && !a.keep_going) {
            // Nothing is kept: the transaction rolls back.
            return Err(StoreError::Invalid { record: source_name.clone(), problem: "not kept".into() });
        }
        Ok(())
    });
    conclude(a, &source_name, importer, outcome, read_error, &notes)
}

/// Writes the mapping template of the database's columns; never over a file.
fn write_template(url: &PgUrl, path: &std::path::Path) -> Result<()> {
    use std::io::Write;
    let mut ng = NgDatabase::connect(url.secret(), &url.to_string())?;
    let text = safeground_imsma::mapping::template(&ng.columns(Object::Hazard)?);
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).with_context(|| {
            format!("creating {} (an existing file is never replaced: name a new one)", path.display())
        })?;
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}: fill it in and pass it with --mapping", path.display());
    Ok(())
}

/// The mapping `--mapping` names (or the shipped one), refused when it
/// cannot give a hazard its contamination.
fn mapping_of(a: &NgArgs) -> Result<Mapping> {
    let mapping = match &a.mapping {
        None => Mapping::ng_default(),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Mapping::parse(&text, &path.display().to_string())?
        }
    };
    if mapping.hazard_rule("contamination").is_none() {
        bail!(
            "the mapping names no source for hazards' contamination (AP, AT, UXO, AXO, CMR, IED): write a template \
             with --write-mapping-template FILE, map contamination (a column, or a default) and pass it with --mapping"
        );
    }
    Ok(mapping)
}

/// What makes an NG object into a feature of the hazard layer.
struct Job<'a> {
    mapping: &'a Mapping,
    finder: &'a DistrictFinder,
    organisation: &'a str,
    rules: Rules,
}

/// The repairs and warnings of the objects read, to list at the end, and
/// the reconciliation's rows when one is asked for.
#[derive(Default)]
struct Notes {
    lines: Vec<String>,
    repaired: usize,
    warned: usize,
    rows: Option<Vec<Row>>,
}

/// One object's line of the reconciliation, but for its outcome.
struct Row {
    place: String,
    localid: Option<String>,
    guid: String,
    typed_area_m2: Option<f64>,
    geodesic_area_m2: Option<f64>,
    findings: Vec<String>,
    repairs: Vec<String>,
    decisions: Vec<String>,
}

impl Job<'_> {
    fn read(
        &self,
        o: &NgObject,
        enums: &std::collections::HashMap<String, String>,
        notes: &mut Notes,
    ) -> Read {
        let assembly = assemble(&o.shapes, &self.rules);
        let label = o.label();
        let mut refusals = vec![];
        for f in &assembly.findings {
            match f.severity() {
                Severity::Refused => refusals.push(f.to_string()),
                Severity::Repaired => notes.repaired += 1,
                Severity::Warning => notes.warned += 1,
                Severity::Note => {}
            }
            if f.severity() != Severity::Refused && notes.lines.len() < 1000 {
                notes.lines.push(format!("hazard {label}, {f}"));
            }
        }
        let geometry = assembly
            .polygons
            .as_ref()
            .map(|mp| geojson_out::geometry(&geo::Geometry::MultiPolygon(mp.clone())));
        let fallback = Fallbacks {
            district: assembly.polygons.as_ref().and_then(|mp| self.finder.holding(mp)),
            organisation: self.organisation,
        };
        if let (Some(_), None, None) =
            (&assembly.polygons, fallback.district, self.mapping.hazard_rule("district"))
        {
            refusals.push(
                "the polygon lies in none of the register's districts: is it outside the country, or are the \
                 districts not imported yet (import --layer districts)?"
                    .to_string(),
            );
        }
        let (fields, decisions, typed_area_m2) = match hazard_fields(o, self.mapping, enums, &fallback) {
            Ok(m) => (m.fields, m.decisions, m.typed_area_m2),
            Err(unmapped) => {
                refusals.extend(unmapped.iter().map(ToString::to_string));
                (vec![], vec![], None)
            }
        };
        let findings: Vec<String> = assembly.findings.iter().map(ToString::to_string).collect();
        let original = json!({
            "type": "Feature",
            "properties": {
                "imsma_guid": o.guid, "imsma_localid": o.localid, "imsma_findings": findings,
                "imsma_record": Value::Object(o.record.clone()),
            },
            "geometry": geometry,
        });
        let problem = (!refusals.is_empty()).then(|| refusals.join("; "));
        let place = format!("hazard {label} (guid {})", o.guid);
        if let Some(rows) = &mut notes.rows {
            let repairs = assembly.findings.iter().filter(|f| f.severity() == Severity::Repaired);
            rows.push(Row {
                place: place.clone(),
                localid: o.localid.clone(),
                guid: o.guid.clone(),
                typed_area_m2,
                geodesic_area_m2: assembly.polygons.as_ref().map(multipolygon_area),
                findings: findings.clone(),
                repairs: repairs.map(ToString::to_string).collect(),
                decisions,
            });
        }
        Read {
            record: InRecord::new(place, fields, geometry),
            original: Original::Feature(original),
            problem,
        }
    }
}

fn conclude(
    a: &NgArgs,
    source: &str,
    mut importer: Importer,
    outcome: Result<(), StoreError>,
    read_error: Option<ReadError>,
    notes: &Notes,
) -> Result<()> {
    let tally = std::mem::take(&mut importer.tally);
    let rejects = importer.rejects.finish().with_context(|| format!("writing {}", a.reject.display()))?;
    if let Some(f) = importer.fatal {
        return Err(f.context(format!("migrating {source}: nothing was migrated")));
    }
    if let Some(e) = read_error {
        bail!("migrating {source}: {e}; nothing was migrated");
    }
    let aborted = tally.rejected > 0 && !a.keep_going;
    match outcome {
        Ok(()) => {}
        Err(_) if aborted || a.dry_run => {}
        Err(e) => return Err(e.into()),
    }
    for line in notes.lines.iter().take(50) {
        eprintln!("note: {line}");
    }
    if notes.lines.len() > 50 {
        eprintln!("note: … and {} more", notes.lines.len() - 50);
    }
    for line in &tally.first_rejections {
        eprintln!("refused: {line}");
    }
    if tally.rejected > tally.first_rejections.len() {
        eprintln!("refused: … and {} more", tally.rejected - tally.first_rejections.len());
    }
    let where_rejects = rejects.map(|p| format!(" (in {})", p.display())).unwrap_or_default();
    if let (Some(path), Some(rows)) = (&a.reconciliation, &notes.rows) {
        let outcomes = importer.outcomes.take().unwrap_or_default();
        reconciliation(path, rows, outcomes, a.dry_run)
            .with_context(|| format!("writing the reconciliation workbook {}", path.display()))?;
    }
    let verb = if a.dry_run { "would migrate" } else { "migrated" };
    let counts = format!(
        "read {} hazards; {verb} {}, {} already in the register, {} refused{where_rejects}; {} repairs made, {} warnings",
        tally.read, tally.imported, tally.present, tally.rejected, notes.repaired, notes.warned
    );
    if a.dry_run {
        println!("{source} (dry run, nothing changed): {counts}.");
        if tally.rejected > 0 {
            bail!(
                "{} hazards would be refused{where_rejects}: correct them in IMSMA NG or the mapping",
                tally.rejected
            );
        }
        return Ok(());
    }
    if aborted {
        bail!(
            "{source}: {counts}, so nothing was migrated. Correct them in IMSMA NG (or the mapping) and run \
             again, or pass --keep-going to migrate the {} good ones",
            tally.read - tally.rejected
        );
    }
    println!("{source}: {counts}.");
    if tally.rejected > 0 {
        bail!("{} hazards were refused{where_rejects}; the others were migrated", tally.rejected);
    }
    Ok(())
}

/// The reconciliation workbook: a sheet of every object, a sheet of totals.
fn reconciliation(
    path: &std::path::Path,
    rows: &[Row],
    outcomes: Vec<(String, Outcome)>,
    dry_run: bool,
) -> Result<()> {
    use safeground_formats::xlsx_out::{Shape, XlsxWriter};
    let outcomes: std::collections::HashMap<String, Outcome> = outcomes.into_iter().collect();
    let migrated = if dry_run { "would migrate" } else { "migrated" };
    let columns = [
        "local_id",
        "guid",
        "outcome",
        "reason",
        "typed_area_m2",
        "geodesic_area_m2",
        "difference_m2",
        "difference_pct",
        "findings",
        "repairs",
        "mapping",
    ];
    let mut book = XlsxWriter::new();
    book.sheet("hazards", &columns, Shape::None)?;
    let (mut n_migrated, mut n_present, mut n_refused, mut n_repaired) = (0, 0, 0, 0);
    for r in rows {
        let (outcome, reason) = match outcomes.get(&r.place) {
            Some(Outcome::Imported) => (migrated, None),
            Some(Outcome::Present) => ("already in the register", None),
            Some(Outcome::Rejected(why)) => ("refused", Some(why.clone())),
            None => ("not reached", None),
        };
        match outcome {
            "refused" => n_refused += 1,
            "already in the register" => n_present += 1,
            "not reached" => {}
            _ => {
                n_migrated += 1;
                n_repaired += usize::from(!r.repairs.is_empty());
            }
        }
        let values = row_values(r, outcome, reason);
        book.feature(&columns, &values, None)?;
    }
    let totals = [
        "object",
        "read",
        if dry_run { "would_migrate" } else { "migrated" },
        "already_present",
        "repaired",
        "refused",
    ];
    book.sheet("totals", &totals, Shape::None)?;
    let values = [
        json!("hazard"),
        json!(rows.len()),
        json!(n_migrated),
        json!(n_present),
        json!(n_repaired),
        json!(n_refused),
    ];
    book.feature(&totals, &values, None)?;
    book.save(path)?;
    Ok(())
}

/// One object's cells, in the order of the reconciliation's columns.
fn row_values(r: &Row, outcome: &str, reason: Option<String>) -> [Value; 11] {
    let cell = |lines: &[String]| -> Value {
        let text: String = lines.join("\n").chars().take(safeground_formats::xlsx_out::MAX_CELL).collect();
        if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        }
    };
    let number = |x: Option<f64>| x.map_or(Value::Null, |v| json!(v));
    let diff = r.typed_area_m2.zip(r.geodesic_area_m2).map(|(t, g)| g - t);
    let pct = r.typed_area_m2.zip(diff).filter(|(t, _)| *t != 0.0).map(|(t, d)| 100.0 * d / t);
    [
        r.localid.clone().map_or(Value::Null, Value::String),
        Value::String(r.guid.clone()),
        Value::String(outcome.to_string()),
        reason.map_or(Value::Null, Value::String),
        number(r.typed_area_m2),
        number(r.geodesic_area_m2),
        number(diff),
        number(pct),
        cell(&r.findings),
        cell(&r.repairs),
        cell(&r.decisions),
    ]
}
