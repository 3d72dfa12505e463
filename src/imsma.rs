//! `safeground import-imsma ng URL` and `import-imsma core FILE`: a
//! programme's register from a restored IMSMA NG database or from IMSMA
//! Core's exported layers, through the import's approval.
//!
//! Each object's geometry is made into its polygons by `core::imsma`
//! (NG's shapes assembled, Core's features checked: geocheck's defects found
//! on the way, safe repairs made), its columns into the layer's fields by the
//! mapping file, and the result goes through the same path as `import
//! --layer hazards`: one approved report per batch naming the source and the
//! SHA-256 of what was read; ids derived from the source's guids, so a
//! second run adds nothing.

mod persons;
mod timeline;

use persons::{read_victims, settle_victims};
use safeground_imsma::victims::Persons;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use safeground_core::area::multipolygon_area;
use safeground_core::codes::{ActivityKind, Priority, ReleaseOutcome, TaskStatus};
use safeground_core::import::{ImportItem, InRecord, TaskIn};
use safeground_core::imsma::Severity;
use safeground_core::validate::Rules;
use safeground_exchange::import::pipeline::Outcome;
use safeground_exchange::import::pipeline::{pipelined, Importer};
use safeground_formats::geojson_out;
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_imsma::core_layers::CoreExport;
use safeground_imsma::mapping::{Columns, Mapping};
use safeground_imsma::ng::NgDatabase;
use safeground_imsma::{fields, Codes, Fallbacks, Object, Source, SourceObject};
use safeground_store::{
    ApprovalSettings, DistrictFinder, ImportBatches, Layer, Location, Origin, PgUrl, Store, StoreError,
    Writer,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum ImsmaSource {
    /// A restored IMSMA NG database (PostgreSQL).
    Ng(NgArgs),
    /// IMSMA Core's layers exported from ArcGIS Pro: a GeoPackage, or a File Geodatabase (through GDAL's ogr2ogr).
    Core(CoreArgs),
}

#[derive(Debug, Args)]
pub struct NgArgs {
    /// The NG database: postgres://USER@HOST[:PORT]/DATABASE.
    url: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct CoreArgs {
    /// The export: FILE.gpkg, or FOLDER.gdb (a File Geodatabase).
    file: PathBuf,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct Common {
    /// The mapping file (TOML) from the source's columns to safeground's fields; by
    /// default the one shipped, which maps only the local id.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Write a mapping template listing every column of the source's hazards and hazard reductions, and stop.
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
    /// Where refused objects go, as GeoJSON with the reasons (default:
    /// imsma-ng.rejects.geojson or imsma-core.rejects.geojson).
    #[arg(long)]
    reject: Option<PathBuf>,
    /// A workbook with one row per object (its local id, the typed-in area beside the
    /// geodesic one, the defects found, the repairs made, the mapping's decisions) and the totals.
    #[arg(long)]
    reconciliation: Option<PathBuf>,
    /// Objects per migration report.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    batch: u32,
    /// Which objects to migrate, of hazard, hazreduc, accident, mre (default: every one the source holds).
    #[arg(long, value_delimiter = ',', value_parser = parse_object)]
    objects: Option<Vec<Object>>,
}

fn parse_object(text: &str) -> Result<Object, String> {
    Object::ALL
        .into_iter()
        .find(|o| o.table().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| format!("'{text}' is none of hazard, hazreduc, task, victim, accident, eo, mre"))
}

/// An IMSMA source, open for reading.
enum Opened {
    Ng { db: Box<NgDatabase>, shown: String },
    Core(Box<CoreExport>),
}

impl Opened {
    fn source(&self) -> Source {
        match self {
            Opened::Ng { .. } => Source::Ng,
            Opened::Core(_) => Source::Core,
        }
    }

    /// How messages name it: the URL without a password, or the file.
    fn shown(&self) -> &str {
        match self {
            Opened::Ng { shown, .. } => shown,
            Opened::Core(c) => c.shown(),
        }
    }

    /// How a pass over one object's table or layer is named.
    fn pass_name(&self, object: Object) -> String {
        match self {
            Opened::Ng { shown, .. } => format!("IMSMA NG {shown}, table {}", object.table()),
            Opened::Core(c) => format!("IMSMA Core {}, layer {}", c.shown(), c.layer(object)),
        }
    }

    /// Whether the source holds any of an object.
    fn holds(&mut self, object: Object) -> Result<bool> {
        Ok(match self {
            Opened::Ng { db, .. } => db.has(object)? && db.count(object)? > 0,
            Opened::Core(c) => c.has(object) && c.count(object)? > 0,
        })
    }

    fn codes(&mut self, object: Object) -> Result<Codes> {
        Ok(match self {
            Opened::Ng { db, .. } => db.codes.clone(),
            Opened::Core(c) => c.codes(object)?,
        })
    }

    fn columns(&mut self, object: Object) -> Result<Vec<(String, String)>> {
        Ok(match self {
            Opened::Ng { db, .. } => db.columns(object)?,
            Opened::Core(c) => c.columns(object)?,
        })
    }

    /// Where an object's columns are read from, for the template.
    fn origin(&self, object: Object) -> String {
        match self {
            Opened::Ng { .. } => format!("this database's {} table", object.table()),
            Opened::Core(c) => format!("this export's layer {}", c.layer(object)),
        }
    }

    /// Streams every object of a kind to `each`; the count, and the SHA-256
    /// of what was read, computed as it was read (one reading of the source).
    /// `by_date`: in the order of that column's date (or, where it is none
    /// of the source's, of the day they were entered).
    fn objects(
        &mut self,
        object: Object,
        by_date: Option<&str>,
        each: &mut dyn FnMut(SourceObject) -> Result<(), String>,
    ) -> Result<(usize, String), String> {
        match self {
            Opened::Ng { db, .. } => db.objects(object, by_date, each).map_err(|e| e.to_string()),
            Opened::Core(c) => c.objects(object, by_date, each).map_err(|e| e.to_string()),
        }
    }
}

/// Opens the source a command names, with its mapping file (or the shipped one).
fn open(source: &ImsmaSource) -> Result<(Opened, &Common, Mapping)> {
    match source {
        ImsmaSource::Ng(a) => {
            let url: PgUrl = match a.url.parse::<Location>() {
                Ok(Location::Postgres(url)) => url,
                _ => bail!("{} is not a PostgreSQL URL: write postgres://USER@HOST[:PORT]/DATABASE of the restored IMSMA NG database", a.url),
            };
            let mapping = mapping_file(&a.common, Source::Ng)?;
            let shown = url.to_string();
            let db = NgDatabase::connect(url.secret(), &shown)?;
            Ok((Opened::Ng { db: Box::new(db), shown }, &a.common, mapping))
        }
        ImsmaSource::Core(a) => {
            let mapping = mapping_file(&a.common, Source::Core)?;
            let export = CoreExport::open(&a.file, &mapping.core)?;
            Ok((Opened::Core(Box::new(export)), &a.common, mapping))
        }
    }
}

pub fn run(db: &Location, who: &crate::auth::Credentials, source: &ImsmaSource) -> Result<()> {
    let (mut opened, a, mapping) = open(source)?;
    if let Some(path) = &a.write_mapping_template {
        return write_template(&mut opened, path);
    }
    let shown = opened.shown().to_string();
    let objects = objects_to_migrate(&mut opened, a, &mapping)?;
    let reject = a.reject.clone().unwrap_or_else(|| match opened.source() {
        Source::Ng => PathBuf::from("imsma-ng.rejects.geojson"),
        Source::Core => PathBuf::from("imsma-core.rejects.geojson"),
    });
    // Hazards' rejects where --reject says, the others' beside it.
    let objects: Vec<(Object, PathBuf)> = objects
        .into_iter()
        .map(|o| match o {
            Object::Hazard => (o, reject.clone()),
            _ => (o, reject.with_extension(format!("{}.geojson", o.table()))),
        })
        .collect();
    let outputs = objects.iter().map(|(_, r)| r).chain(a.reconciliation.as_ref());
    for out in outputs {
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
    // IMSMA Core's links name hazards by guid or local id: the index comes
    // from the hazards' pass, or, without one, from a reading of its own.
    let hazards = std::sync::OnceLock::new();
    if let Opened::Core(c) = &opened {
        if !objects.iter().any(|(o, _)| *o == Object::Hazard) {
            let _ = hazards.set(c.hazard_index()?);
        }
    }
    let job = Job {
        source: opened.source(),
        mapping: &mapping,
        finder: &store.district_finder()?,
        organisation: &organisation,
        operators: operators(&store)?,
        rules: Rules::default(),
        hazards,
    };
    let settings = ApprovalSettings::default();
    let mut timeline = match objects.first() {
        Some((Object::Hazard, reject)) => Some(versions_pass(&mut opened, a, reject, &p.name, settings)?),
        _ => None,
    };
    let mut passes = objects
        .into_iter()
        .map(|(object, reject)| pass_of(&mut opened, a, (object, reject), &p.name, settings))
        .collect::<Result<Vec<_>>>()?;
    let outcome = store.write(|w| {
        // The spatial indexes no decision reads are filled at the end, as an import's.
        use safeground_store::Layer;
        for layer in [Layer::Hazards, Layer::EoFinds, Layer::Accidents, Layer::EoreSessions] {
            w.defer_spatial_index(layer)?;
        }
        migrate_passes(w, &mut opened, &job, (&mut passes, timeline.as_mut()), &settings)?;
        let rejected =
            passes.iter().chain(timeline.iter().map(|t| &t.pass)).any(|p| p.importer.tally.rejected > 0);
        if a.dry_run || (rejected && !a.keep_going) {
            // Nothing is kept: the transaction rolls back.
            return Err(StoreError::Invalid { record: shown.clone(), problem: "not kept".into() });
        }
        Ok(())
    });
    if let Some(t) = timeline.filter(|t| t.pass.importer.tally.read > 0) {
        passes.insert(1, t.pass);
    }
    conclude(a, job.source, passes, outcome)
}

/// The pass of hazards' later versions (NG's info versions), ready: its
/// own reports, reject file (beside the hazards') and workbook sheet.
fn versions_pass(
    opened: &mut Opened,
    a: &Common,
    reject: &Path,
    by: &str,
    settings: ApprovalSettings,
) -> Result<timeline::Timeline> {
    let name = format!("{} versions", opened.pass_name(Object::Hazard));
    let named = (name, "hazard versions".to_string(), reject.with_extension("versions.geojson"));
    let pass = pass_named(opened, a, (Object::Hazard, named), by, settings)?;
    Ok(timeline::Timeline::new(pass, settings))
}

/// Every pass in the migration's transaction, in order: victims read
/// for their accidents to take, hazards' later versions applied between the
/// reductions.
fn migrate_passes(
    w: &mut Writer<'_>,
    opened: &mut Opened,
    job: &Job<'_>,
    (passes, mut timeline): (&mut [Pass], Option<&mut timeline::Timeline>),
    settings: &ApprovalSettings,
) -> Result<(), StoreError> {
    let reductions = passes.iter().any(|p| p.object == Object::HazardReduction);
    let mut persons = None;
    for i in 0..passes.len() {
        let pass = &mut passes[i];
        match pass.object {
            Object::Victim => {
                persons = Some(read_victims(opened, job, pass)?);
                continue;
            }
            Object::Accident if persons.is_some() => {
                pass.notes.persons = persons.take();
                // Each victim goes in or stays out with its accident.
                pass.importer.outcomes.get_or_insert_with(Vec::new);
            }
            _ => {}
        }
        run_pass(w, opened, job, pass, (settings, timeline.as_deref_mut()))?;
        if let Some(taken) = pass.notes.persons.take() {
            let outcomes = pass.importer.outcomes.clone().unwrap_or_default();
            if let Some(victims) = passes.iter_mut().find(|p| p.object == Object::Victim) {
                settle_victims(victims, &taken, &outcomes, job.mapping)
                    .map_err(|problem| StoreError::Invalid { record: victims.name.clone(), problem })?;
            }
        }
        let pass = &mut passes[i];
        if pass.object == Object::Hazard && job.source == Source::Core {
            let _ = job
                .hazards
                .set(safeground_imsma::core_layers::hazard_index(std::mem::take(&mut pass.notes.hazard_ids)));
        }
        let Some(t) = timeline.as_deref_mut() else { continue };
        if pass.object == Object::Hazard {
            t.hazards_done(pass);
        }
        if pass.object == Object::HazardReduction || (pass.object == Object::Hazard && !reductions) {
            let name = t.pass.name.clone();
            t.until(w, None).map_err(|problem| StoreError::Invalid { record: name, problem })?;
            t.finish(w)?;
        }
    }
    Ok(())
}

/// One object's pass, ready: its reports' batches (naming the source and
/// its digest), its reject file, the coded values of its columns.
fn pass_of(
    opened: &mut Opened,
    a: &Common,
    (object, reject): (Object, PathBuf),
    by: &str,
    settings: ApprovalSettings,
) -> Result<Pass> {
    let named = (opened.pass_name(object), object.table().to_string(), reject);
    pass_named(opened, a, (object, named), by, settings)
}

/// A pass of `object` under its name, workbook sheet and reject file.
fn pass_named(
    opened: &mut Opened,
    a: &Common,
    (object, (name, sheet, reject)): (Object, (String, String, PathBuf)),
    by: &str,
    settings: ApprovalSettings,
) -> Result<Pass> {
    // The digest is known once the source is read: run_pass writes it in.
    let batches = ImportBatches::new(
        (&name, "(computed as it is read)", layer_of(object).name()),
        a.batch as usize,
        (by, OffsetDateTime::now_utc()),
        settings,
    );
    let mut importer = Importer::new(&name, batches, RejectWriter::geojson(&reject));
    importer.outcomes = a.reconciliation.as_ref().map(|_| vec![]);
    let notes = Notes { rows: a.reconciliation.as_ref().map(|_| vec![]), ..Notes::default() };
    let codes = opened.codes(object)?;
    Ok(Pass { object, sheet, name, reject, importer, notes, codes, read_error: None })
}

/// The register's operators' acronyms, in lower case.
fn operators(store: &Store) -> Result<std::collections::HashSet<String>> {
    let all = store.organisations()?.into_iter();
    let operators = all.filter(|o| o.kind == safeground_core::codes::OrganisationKind::Operator);
    Ok(operators.map(|o| o.acronym.to_lowercase()).collect())
}

/// The layer an IMSMA object migrates into.
fn layer_of(object: Object) -> Layer {
    match object {
        Object::Hazard => Layer::Hazards,
        Object::HazardReduction => Layer::ReleasedAreas,
        Object::Task => Layer::Tasks,
        Object::Victim | Object::Accident => Layer::Accidents,
        Object::Eo => Layer::EoFinds,
        Object::Mre => Layer::EoreSessions,
    }
}

/// One object table's (or layer's) migration: its reports, rejects and notes.
struct Pass {
    object: Object,
    /// Its reconciliation sheet.
    sheet: String,
    name: String,
    reject: PathBuf,
    importer: Importer,
    notes: Notes,
    /// The coded values of its columns.
    codes: Codes,
    read_error: Option<ReadError>,
}

/// Reads one object table into the register, in the migration's transaction;
/// its batches are closed (their reports written) before the next table's
/// records refer to them.
fn run_pass(
    w: &mut Writer<'_>,
    source: &mut Opened,
    job: &Job<'_>,
    pass: &mut Pass,
    (settings, mut timeline): (&ApprovalSettings, Option<&mut timeline::Timeline>),
) -> Result<(), StoreError> {
    let (object, notes, importer, codes) = (pass.object, &mut pass.notes, &mut pass.importer, &pass.codes);
    let mut digest = None;
    let mut clamped: Vec<(String, String)> = vec![];
    let read = pipelined(
        (layer_of(object), settings),
        |sink| {
            // A hazard's reductions go in in date order, each making its
            // next version: the source streams them so.
            let by_date = (object == Object::HazardReduction)
                .then(|| job.mapping.rule(object, "released_on").and_then(|r| r.column).unwrap_or_default());
            let (n, d) = if object == Object::Hazard {
                source.objects(object, None, &mut |o| sink(job.read_hazard(&o, codes, notes)))
            } else {
                source.objects(object, by_date.as_deref(), &mut |o| sink(job.read(object, &o, codes, notes)))
            }
            .map_err(ReadError::Stopped)?;
            digest = Some(d);
            Ok(n)
        },
        &mut |chunk| {
            importer.ask_ahead(w, &chunk)?;
            let taken = (|| -> Result<(), String> {
                for mut p in chunk {
                    if let (Some(t), Some(day), true) =
                        (timeline.as_deref_mut(), p.read.record.effective, object == Object::HazardReduction)
                    {
                        if t.due(day) {
                            // The reductions before it are written, and their reports
                            // closed: a hazard's versions never alternate between two
                            // open reports (unapproving one finds the other as later).
                            importer.flush(w)?;
                            w.close_batches(&mut importer.batches).map_err(|e| e.to_string())?;
                            t.until(w, Some(day))?;
                        }
                        if let Some(note) = t.clamp(&mut p.read.record) {
                            clamped.push((p.read.record.place.clone(), note));
                        }
                    }
                    if let Some(task) = migration_task(&p.read.record) {
                        issue_task(w, importer, &task)?;
                    }
                    importer.take(w, p)?;
                }
                Ok(())
            })();
            // The answers go with the chunk (the group left open is asked
            // about again with the next).
            w.forget_ahead();
            taken
        },
    );
    for (place, note) in clamped {
        if let Some(row) = notes.rows.iter_mut().flatten().find(|r| r.place == place) {
            row.decisions.push(note.clone());
        }
        notes.lines.push(note);
    }
    let stop = |problem: String| StoreError::Invalid { record: pass.name.clone(), problem };
    if let Err(e) = read {
        pass.read_error = Some(e);
        return Err(stop("stopped".into()));
    }
    importer.flush(w).map_err(stop)?;
    w.close_batches(&mut importer.batches)?;
    if let Some(digest) = digest {
        // The reports name what was read: known only now it has all been.
        importer.batches.set_sha256(&digest);
        w.restamp_batches(&importer.batches)?;
    }
    Ok(())
}

/// The task a migrated hazard reduction is reported under, when its
/// operator needs one (technical survey and clearance by an operator).
fn migration_task(record: &InRecord) -> Option<TaskIn> {
    let code = record.text("task")?;
    let outcome: ReleaseOutcome = record.text("outcome")?.parse().ok()?;
    let activity = match outcome {
        ReleaseOutcome::Cleared => ActivityKind::Clearance,
        ReleaseOutcome::Reduced => ActivityKind::Ts,
        ReleaseOutcome::Cancelled => ActivityKind::Nts,
    };
    let issued_on = time::Date::parse(
        &record.text("released_on")?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(TaskIn {
        id: record.text("task_id").and_then(|t| t.parse().ok()),
        code,
        hazard: record.text("hazard")?,
        organisation: record.text("organisation")?,
        activity,
        priority: Priority::Medium,
        status: TaskStatus::Issued,
        issued_on,
        due_on: None,
    })
}

/// Issues a migration task (already there on a second run); one the
/// register refuses leaves the hazard reduction to be refused with it.
fn issue_task(w: &mut Writer<'_>, importer: &mut Importer, task: &TaskIn) -> Result<(), String> {
    let fatal = |e: StoreError| e.to_string();
    w.savepoint().map_err(fatal)?;
    let place = [format!("task {}", task.code)];
    let none = Default::default();
    let origin = Origin { features: &place, attributes: &none, effective: Some(task.issued_on) };
    match w.import_item(&ImportItem::Task(task.clone()), None, &mut importer.batches, origin) {
        Ok(_) => w.release_savepoint().map_err(fatal),
        Err(StoreError::Refused { .. } | StoreError::Invalid { .. } | StoreError::Unknown { .. }) => {
            w.rollback_savepoint().map_err(fatal)
        }
        Err(e) => Err(fatal(e)),
    }
}

/// Writes the mapping template of the source's columns; never over a file.
fn write_template(source: &mut Opened, path: &Path) -> Result<()> {
    use std::io::Write;
    let mut tables = vec![];
    for object in Object::ALL {
        let present = match source {
            Opened::Ng { db, .. } => db.has(object)?,
            Opened::Core(c) => c.has(object),
        };
        if present {
            let (from, columns) = (source.origin(object), source.columns(object)?);
            tables.push(Columns { section: object.table(), from, columns });
        }
    }
    let text = safeground_imsma::mapping::template(source.source(), &tables);
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).with_context(|| {
            format!("creating {} (an existing file is never replaced: name a new one)", path.display())
        })?;
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}: fill it in and pass it with --mapping", path.display());
    Ok(())
}

/// The mapping `--mapping` names, or the one shipped for the source.
fn mapping_file(a: &Common, source: Source) -> Result<Mapping> {
    Ok(match &a.mapping {
        None => Mapping::default_for(source),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Mapping::parse(&text, &path.display().to_string())?
        }
    })
}

/// The objects a migration reads: those `--objects` names, or every one
/// the source holds (hazards always); refused when the mapping names no
/// source for a field they cannot do without.
fn objects_to_migrate(opened: &mut Opened, a: &Common, mapping: &Mapping) -> Result<Vec<Object>> {
    let mut objects = vec![];
    for object in Object::ALL {
        let asked = a.objects.as_ref().is_none_or(|list| list.contains(&object));
        if asked && (object == Object::Hazard || opened.holds(object)?) {
            objects.push(object);
        }
    }
    // Victims go in with their accidents, or not at all.
    if !objects.contains(&Object::Accident) {
        objects.retain(|o| *o != Object::Victim);
    }
    for &object in &objects {
        let missing: Vec<&str> =
            object.required().iter().copied().filter(|f| mapping.rule(object, f).is_none()).collect();
        if !missing.is_empty() {
            let others: Vec<&str> = objects.iter().filter(|o| **o != object).map(|o| o.table()).collect();
            bail!(
                "{} holds {} records, but the mapping names no source for their {}: write a template with \
                 --write-mapping-template FILE, map {} under [{}] (a column, or a default; docs/migration.md) and pass \
                 it with --mapping{}",
                opened.shown(),
                object.table(),
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" },
                object.table(),
                match (object, others.is_empty()) {
                    (Object::Hazard, _) | (_, true) => String::new(),
                    _ => format!(", or leave them out with --objects {}", others.join(",")),
                }
            );
        }
    }
    Ok(objects)
}

/// What makes an IMSMA object into a feature of its layer.
struct Job<'a> {
    source: Source,
    mapping: &'a Mapping,
    finder: &'a DistrictFinder,
    organisation: &'a str,
    /// The register's operators (acronyms, lower case): their survey and
    /// clearance is reported under a task.
    operators: std::collections::HashSet<String>,
    rules: Rules,
    /// IMSMA Core's hazards by guid and local id (lower case) → guid, once
    /// known (after the hazards' pass).
    hazards: std::sync::OnceLock<HashMap<String, String>>,
}

/// What an object's geometry makes.
struct Shaped<'a> {
    geometry: Option<geo::Geometry<f64>>,
    findings: Vec<safeground_core::imsma::Finding>,
    district: Option<&'a str>,
    area_m2: Option<f64>,
}

/// The repairs and warnings of the objects read, to list at the end, and
/// the reconciliation's rows when one is asked for.
#[derive(Default)]
struct Notes {
    lines: Vec<String>,
    repaired: usize,
    warned: usize,
    rows: Option<Vec<Row>>,
    /// Hazards' later states, for the timeline.
    revisions: Vec<timeline::Revision>,
    /// Each hazard's date (its first version's, where it has versions).
    dates: HashMap<uuid::Uuid, time::Date>,
    /// IMSMA Core's hazards read: (local id, guid), for `Job::hazards`.
    hazard_ids: Vec<(Option<String>, String)>,
    /// The source's victims, for the accidents' pass to take.
    persons: Option<Persons>,
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
    fn read(&self, object: Object, o: &SourceObject, codes: &Codes, notes: &mut Notes) -> Read {
        let shaped = self.shaped(object, o);
        let place = format!("{} {} (guid {})", object.table(), o.label(), o.guid);
        let mut refusals: Vec<String> = o.refusal.iter().cloned().collect();
        for f in &shaped.findings {
            match f.severity() {
                Severity::Refused => refusals.push(f.to_string()),
                Severity::Repaired => notes.repaired += 1,
                Severity::Warning => notes.warned += 1,
                Severity::Note => {}
            }
            if f.severity() != Severity::Refused && notes.lines.len() < 1000 {
                notes.lines.push(format!("{place}, {f}"));
            }
        }
        let geometry = shaped.geometry.as_ref().map(geojson_out::geometry);
        let fallback = Fallbacks {
            source: self.source,
            district: shaped.district,
            organisation: self.organisation,
            hazards: self.hazards.get(),
        };
        let placed = object == Object::HazardReduction || self.mapping.rule(object, "district").is_some();
        if shaped.geometry.is_some() && fallback.district.is_none() && !placed {
            let what = if object.is_point() { "position" } else { "polygon" };
            refusals.push(format!(
                "the {what} lies in none of the register's districts: is it outside the country, or are the \
                 districts not imported yet (import --layer districts)?"
            ));
        }
        let (mut fields, decisions, typed_area_m2, attributes, date) =
            match fields(object, o, self.mapping, codes, &fallback) {
                Ok(m) => (m.fields, m.decisions, m.typed_area_m2, m.attributes, m.date),
                Err(unmapped) => {
                    refusals.extend(unmapped.iter().map(ToString::to_string));
                    (vec![], vec![], None, Default::default(), None)
                }
            };
        if object == Object::HazardReduction {
            self.add_task(o, &mut fields);
        }
        let mut decisions = decisions;
        let finds = (object == Object::HazardReduction)
            .then(|| self.device_finds(o, codes, &shaped, (date, &mut decisions, &mut refusals)))
            .flatten();
        let persons = match notes.persons.as_mut().and_then(|p| p.take(&o.guid, o.localid.as_deref(), &place))
        {
            Some(Ok(victims)) => {
                let names: Vec<&str> = victims.iter().map(|(label, _)| label.as_str()).collect();
                decisions.push(format!("victims: {} persons, from {}", victims.len(), names.join(", ")));
                Some(victims.into_iter().map(|(_, v)| v).collect())
            }
            Some(Err(why)) => {
                refusals.push(why);
                None
            }
            None => None,
        };
        let findings: Vec<String> = shaped.findings.iter().map(ToString::to_string).collect();
        let original = json!({
            "type": "Feature",
            "properties": {
                "imsma_guid": o.guid, "imsma_localid": o.localid, "imsma_findings": findings,
                "imsma_record": Value::Object(o.record.clone()),
            },
            "geometry": geometry,
        });
        if let Some(rows) = &mut notes.rows {
            let repairs = shaped.findings.iter().filter(|f| f.severity() == Severity::Repaired);
            rows.push(Row {
                place: place.clone(),
                localid: o.localid.clone(),
                guid: o.guid.clone(),
                typed_area_m2,
                geodesic_area_m2: shaped.area_m2,
                findings,
                repairs: repairs.map(ToString::to_string).collect(),
                decisions,
            });
        }
        let mut record = InRecord::new(place, fields, geometry);
        record.attributes = attributes;
        record.persons = persons;
        record.finds = finds;
        // It counts from its own date: the register as of an earlier
        // date holds it as the source did.
        record.effective = date;
        Read {
            record,
            original: Original::Feature(original),
            problem: (!refusals.is_empty()).then(|| refusals.join("; ")),
        }
    }

    /// An object's geometry (an area's polygons, a place's point), what was
    /// found in it, and the district it lies in.
    fn shaped(&self, object: Object, o: &SourceObject) -> Shaped<'_> {
        if !object.has_geometry() {
            return Shaped { geometry: None, findings: vec![], district: None, area_m2: None };
        }
        if object.is_point() {
            let at = o.position(&self.rules);
            let point = at.point.map(geo::Point::from);
            Shaped {
                district: point.as_ref().and_then(|p| self.finder.holding_point(p)),
                geometry: point.map(geo::Geometry::Point),
                findings: at.findings,
                area_m2: None,
            }
        } else {
            let a = o.assemble(&self.rules);
            Shaped {
                district: a.polygons.as_ref().and_then(|mp| self.finder.holding(mp)),
                area_m2: a.polygons.as_ref().map(multipolygon_area),
                geometry: a.polygons.map(geo::Geometry::MultiPolygon),
                findings: a.findings,
            }
        }
    }

    /// The devices NG records on a hazard reduction as the EO finds of its
    /// release, placed inside its polygon on its date; or why not, in
    /// `decisions` (unmapped) or `refusals` (unreadable).
    fn device_finds(
        &self,
        o: &SourceObject,
        codes: &Codes,
        shaped: &Shaped<'_>,
        (date, decisions, refusals): (Option<time::Date>, &mut Vec<String>, &mut Vec<String>),
    ) -> Option<Vec<safeground_core::report::Find>> {
        use geo::InteriorPoint;
        let devices = match safeground_imsma::devices::devices(o, self.mapping, codes) {
            None if !o.devices.is_empty() => {
                decisions.push(format!(
                    "devices: {} left in the source; map [device] category and disposal to migrate them as EO finds",
                    o.devices.len()
                ));
                return None;
            }
            None => return None,
            Some(Err(problems)) => {
                refusals.extend(problems);
                return None;
            }
            Some(Ok(d)) => d,
        };
        let at = match &shaped.geometry {
            Some(geo::Geometry::MultiPolygon(mp)) => mp.interior_point()?,
            _ => return None,
        };
        let base = safeground_imsma::id_of(self.source, Object::HazardReduction, &o.guid);
        decisions.push(format!(
            "devices: {} EO finds ({} items), placed inside the reduction's polygon",
            devices.len(),
            devices.iter().map(|d| d.quantity).sum::<i64>()
        ));
        Some(
            devices
                .into_iter()
                .enumerate()
                .map(|(i, d)| safeground_core::report::Find {
                    id: Some(uuid::Uuid::new_v5(&base, format!("device {i}").as_bytes())),
                    category: d.category,
                    eo_type: d.eo_type,
                    quantity: d.quantity,
                    condition: safeground_core::codes::EoCondition::Unknown,
                    fuze_state: None,
                    disposal: d.disposal,
                    location: safeground_core::report::Place::LonLat([at.x(), at.y()]),
                    found_on: date,
                })
                .collect(),
        )
    }

    /// Names the migration task of a hazard reduction surveyed or cleared
    /// by an operator (`MIG-` and its local id; its id from its guid).
    fn add_task(&self, o: &SourceObject, fields: &mut Vec<(String, Value)>) {
        let text =
            |k: &str| fields.iter().find(|(f, _)| f == k).and_then(|(_, v)| v.as_str()).map(str::to_string);
        let by_operator =
            text("organisation").is_some_and(|org| self.operators.contains(&org.to_lowercase()));
        let worked = text("outcome").is_some_and(|o| !o.eq_ignore_ascii_case("CANCELLED"));
        if by_operator && worked {
            let task_id = safeground_imsma::task_id_of(self.source, &o.guid);
            fields.push(("task".into(), Value::String(format!("MIG-{}", o.label()))));
            fields.push(("task_id".into(), Value::String(task_id.to_string())));
        }
    }
}

/// Says what the migration did (or why it did nothing), pass by pass, and
/// writes the reconciliation workbook.
fn conclude(a: &Common, source: Source, passes: Vec<Pass>, outcome: Result<(), StoreError>) -> Result<()> {
    let mut lines = vec![];
    let mut sheets = vec![];
    let (mut read, mut refused) = (0, 0);
    for mut pass in passes {
        let tally = std::mem::take(&mut pass.importer.tally);
        let rejects =
            pass.importer.rejects.finish().with_context(|| format!("writing {}", pass.reject.display()))?;
        if let Some(f) = pass.importer.fatal {
            bail!("migrating {}: {f}; nothing was migrated", pass.name);
        }
        if let Some(e) = pass.read_error {
            bail!("migrating {}: {e}; nothing was migrated", pass.name);
        }
        for line in pass.notes.lines.iter().take(50) {
            eprintln!("note: {line}");
        }
        if pass.notes.lines.len() > 50 {
            eprintln!("note: … and {} more", pass.notes.lines.len() - 50);
        }
        for line in &tally.first_rejections {
            eprintln!("refused: {line}");
        }
        if tally.rejected > tally.first_rejections.len() {
            eprintln!("refused: … and {} more", tally.rejected - tally.first_rejections.len());
        }
        let where_rejects = rejects.map(|p| format!(" (in {})", p.display())).unwrap_or_default();
        let verb = if a.dry_run { "would migrate" } else { "migrated" };
        lines.push(format!(
            "{}: read {}; {verb} {}, {} already in the register, {} refused{where_rejects}; {} repairs made, {} warnings",
            pass.name, tally.read, tally.imported, tally.present, tally.rejected, pass.notes.repaired, pass.notes.warned
        ));
        (read, refused) = (read + tally.read, refused + tally.rejected);
        let outcomes = pass.importer.outcomes.take().unwrap_or_default();
        sheets.push((pass.sheet, pass.notes.rows.unwrap_or_default(), outcomes));
    }
    let aborted = refused > 0 && !a.keep_going;
    match outcome {
        Ok(()) => {}
        Err(_) if aborted || a.dry_run => {}
        Err(e) => return Err(e.into()),
    }
    if let Some(path) = &a.reconciliation {
        reconciliation(path, &sheets, a.dry_run)
            .with_context(|| format!("writing the reconciliation workbook {}", path.display()))?;
    }
    let lead = if a.dry_run { "dry run, nothing changed: " } else { "" };
    for line in &lines {
        println!("{lead}{line}.");
    }
    if a.dry_run && refused > 0 {
        bail!("{refused} records would be refused: correct them in {} or the mapping", source.name());
    }
    if aborted {
        bail!(
            "{refused} records were refused, so nothing was migrated. Correct them in {} (or the mapping) \
             and run again, or pass --keep-going to migrate the {} good ones",
            source.name(),
            read - refused
        );
    }
    if refused > 0 {
        bail!("{refused} records were refused; the others were migrated");
    }
    Ok(())
}

type Sheet = (String, Vec<Row>, Vec<(String, Outcome)>);

/// The reconciliation workbook: a sheet of every object of each table, a
/// sheet of totals.
fn reconciliation(path: &std::path::Path, sheets: &[Sheet], dry_run: bool) -> Result<()> {
    use safeground_formats::xlsx_out::{Shape, XlsxWriter};
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
    let mut totals = vec![];
    for (sheet, rows, outcomes) in sheets {
        let outcomes: std::collections::HashMap<&str, &Outcome> =
            outcomes.iter().map(|(p, o)| (p.as_str(), o)).collect();
        book.sheet(sheet, &columns, Shape::None)?;
        let mut n = [0usize; 4]; // migrated, present, repaired, refused
        for r in rows {
            let (outcome, reason) = match outcomes.get(r.place.as_str()) {
                Some(Outcome::Imported) => (migrated, None),
                Some(Outcome::Present) => ("already in the register", None),
                Some(Outcome::Rejected(why)) => ("refused", Some(why.clone())),
                None => ("not reached", None),
            };
            match outcome {
                "refused" => n[3] += 1,
                "already in the register" => n[1] += 1,
                "not reached" => {}
                _ => {
                    n[0] += 1;
                    n[2] += usize::from(!r.repairs.is_empty());
                }
            }
            book.feature(&columns, &row_values(r, outcome, reason), None)?;
        }
        totals.push([json!(sheet), json!(rows.len()), json!(n[0]), json!(n[1]), json!(n[2]), json!(n[3])]);
    }
    let header = [
        "object",
        "read",
        if dry_run { "would_migrate" } else { "migrated" },
        "already_present",
        "repaired",
        "refused",
    ];
    book.sheet("totals", &header, Shape::None)?;
    for t in &totals {
        book.feature(&header, t, None)?;
    }
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
