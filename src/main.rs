//! The `safeground` command line: the national register on the embedded
//! GeoPackage. Errors are reported with anyhow here, at the edge; the crates
//! below return typed errors.

mod accreditation;
mod attachments;
mod auth;
mod catalogue;
mod certificate;
mod copies;
mod demo;
mod donor;
mod export;
mod field;
mod forms;
mod import;
mod imsma;
mod inspection;
mod investigation;
mod kpi;
mod migrate;
mod ncr;
mod print;
mod priorities;
mod remote;
mod render;
mod reports;
mod residual;
mod serve;
mod sheet;
mod submissions;
mod tasks;
mod treaty;
mod users;
mod victim;

/// mimalloc rather than glibc's malloc: an import's reader thread allocates
/// what its writer thread frees, and glibc's arenas made the two wait on each
/// other's locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use safeground_core::codes::HazardStatus;
use safeground_store::Location;
use safeground_store::{HazardFilter, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// safeground: information management for humanitarian mine action.
///
/// A national register of hazards, land release, EO finds, accidents and risk
/// education, kept in one GeoPackage file that QGIS and GDAL open as it is.
#[derive(Debug, Parser)]
#[command(name = "safeground", version, propagate_version = true)]
struct Cli {
    /// The register: a GeoPackage file, or a PostgreSQL/PostGIS database
    /// (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE).
    #[arg(
        long,
        global = true,
        env = "SAFEGROUND_DB",
        default_value = "safeground.gpkg",
        value_name = "PATH|URL"
    )]
    db: Location,

    /// Who is acting on a register without accounts, recorded in the history.
    #[arg(long, global = true, env = "SAFEGROUND_ACTOR", default_value = "cli")]
    actor: String,

    /// The account acting on a register with accounts (password in
    /// SAFEGROUND_PASSWORD or asked; or set SAFEGROUND_TOKEN instead).
    #[arg(long, global = true, env = "SAFEGROUND_USER", value_name = "NAME")]
    user: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an empty national register.
    Init {
        /// Also create its first administrator account; the password is printed once.
        #[arg(long, value_name = "NAME")]
        admin: Option<String>,
    },
    /// Build a realistic demo register on Azerbaijan's liberated territories (if not built yet) and serve it.
    Demo(demo::DemoArgs),
    /// Copy the whole register to a new GeoPackage or an empty PostgreSQL/PostGIS database, checking every table.
    Migrate(migrate::MigrateArgs),
    /// Write a field copy of a district (its hazards, released ground, tasks, finds, reference data and base map) into a new GeoPackage, for a team working offline.
    Checkout(copies::CheckoutArgs),
    /// Send a field copy's submitted reports (--db FIELD.gpkg) to the register it came from, flag those on ground changed meanwhile, and make the copy again.
    Sync(copies::SyncArgs),
    /// The national land-release summary, per district and in total.
    Summary {
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
        /// The register as it stood at the end of this day (YYYY-MM-DD, UTC).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<time::Date>,
    },
    /// Write a layer to GeoJSON, CSV, KML, GeoPackage or Excel, now or as of a past date.
    Export(export::ExportArgs),
    /// Land-release indicators of a period (released, items found, m² per item, cleared without finds, task days), by organisation, district, method or month.
    Kpi(kpi::KpiArgs),
    /// A State Party's Article 7 transparency report (APMBC or CCM) for a year, from the register as it stood on 31 December.
    Treaty(treaty::TreatyArgs),
    /// Read a layer from GeoJSON, CSV, GeoPackage or KML/KMZ into the register, through approval.
    Import(import::ImportArgs),
    /// Migrate a programme's register from IMSMA: hazards and hazard reductions from a restored IMSMA NG database or IMSMA Core's exported layers, checked as geocheck checks them.
    #[command(subcommand)]
    ImportImsma(imsma::ImsmaSource),
    /// Serve the web application (map, dashboard, approval queue, survey form) and its API on this machine.
    Serve(serve::ServeArgs),
    /// Render map tiles (as the server does) for a list of `z x y` lines, optionally into DIR/z/x/y.mvt.
    Tiles {
        /// country, districts, settlements, hazards, released_areas, eo_finds or residuals.
        #[arg(long)]
        layer: String,
        /// A file of `z x y` lines.
        #[arg(long)]
        list: PathBuf,
        /// Write each tile to DIR/z/x/y.mvt.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute every hazard's land-release figures from its geometry and compare them with the register's.
    Verify {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Relative difference tolerated between a stored and a recomputed figure.
        #[arg(long, default_value_t = 1e-9)]
        tolerance: f64,
    },
    /// Tasks: the authority gives a hazard to an operator.
    #[command(subcommand)]
    Task(tasks::TaskCommand),
    /// Accreditations: who may do what work, when; approval asks for them once the register keeps any.
    #[command(subcommand)]
    Accreditation(accreditation::AccreditationCommand),
    /// Rank the hazards still dangerous by a scenario's weighted criteria, each with the contribution of every criterion.
    Priorities(priorities::PriorityArgs),
    /// Non-conformities: raised against an organisation's work, answered, closed once verified by a QM officer.
    #[command(subcommand)]
    Ncr(ncr::NcrCommand),
    /// Residual contamination: EO found, or accidents, inside released ground after its release, and their investigations.
    #[command(subcommand)]
    Residual(residual::ResidualCommand),
    /// Quality-management inspections: QA visits to work in progress, QC samples of released ground.
    #[command(subcommand)]
    Inspection(inspection::InspectionCommand),
    /// Investigations of accidents: a board of inquiry, its findings and recommendations, which can become non-conformities.
    #[command(subcommand)]
    Investigation(investigation::InvestigationCommand),
    /// Victim assistance: consent, follow-ups (medical, rehabilitation, psychosocial, economic inclusion, referral); personal data.
    #[command(subcommand)]
    Victim(victim::VictimCommand),
    /// Projects: a donor's funding, with its budget and dates, and the tasks it funds.
    #[command(subcommand)]
    Project(donor::ProjectCommand),
    /// What a project's money released, found and reached in a period: PDF (with a map), workbook or JSON.
    DonorReport(donor::DonorArgs),
    /// The land release and handover certificate of a hazard released whole: PDF (map, turning points in DMS and MGRS, signatures) or JSON.
    Certificate(certificate::CertificateArgs),
    /// Field reports: submit, list, show, approve, reject, unapprove.
    #[command(subcommand)]
    Report(reports::ReportCommand),
    /// The versions of a record: `history hazard CODE`.
    History {
        #[arg(value_parser = ["hazard"])]
        record: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Every report that touched the ground at a position (any notation, or LON LAT).
    Trace {
        /// A position, or a longitude then a latitude.
        #[arg(num_args = 1..=2, required = true)]
        position: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List and inspect hazards.
    #[command(subcommand)]
    Hazards(HazardsCommand),
    /// Convert positions between notations (DD, DMS, DDM, UTM, MGRS) and flag likely mistakes.
    Coords(field::CoordsArgs),
    /// Build a polygon from a benchmark and turning points (bearing and distance, or coordinates).
    Traverse(field::TraverseArgs),
    /// Validate every polygon of a GeoJSON file; exits non-zero when any is invalid.
    Check(field::CheckArgs),
    /// Hazards of the register that overlap each other, with the shared area.
    Overlaps {
        #[arg(long)]
        json: bool,
    },
    /// Hazards within a distance of settlements or of given positions.
    Near(field::NearArgs),
    /// The field forms (XLSForm) for KoBoToolbox and ODK Central.
    #[command(subcommand)]
    Forms(forms::FormsCommand),
    /// Accounts and API tokens: add, list, disable, enable, passwd, role, personal-data, token.
    #[command(subcommand)]
    User(users::UserCommand),
    /// The tamper-evident history: `audit verify`.
    #[command(subcommand)]
    Audit(users::AuditCommand),
}

#[derive(Debug, Subcommand)]
enum HazardsCommand {
    /// List hazards, optionally of one district or status.
    List(ListArgs),
    /// Show one hazard, by code (AZ-AM-000012) or UUID.
    Show {
        /// The hazard's code or UUID.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct ListArgs {
    /// District name, as written in Azerbaijani (Ağdam) or in English (Agdam).
    #[arg(long)]
    district: Option<String>,
    /// OPEN, WORKED_ON, CLOSED or HANDED_OVER.
    #[arg(long, value_parser = parse_status)]
    status: Option<HazardStatus>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("'{s}' is not a date: write YYYY-MM-DD"))
}

fn parse_status(s: &str) -> Result<HazardStatus, String> {
    s.parse().map_err(|e: safeground_core::codes::UnknownCode| e.to_string())
}

/// `verify`: recomputes every hazard's figures and says where they differ.
fn verify(store: &Store, json: bool, tolerance: f64) -> Result<()> {
    let started = std::time::Instant::now();
    let v = store.verify_accounting(tolerance)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "Recomputed the figures of {} hazards ({} released polygons) from their geometry in {:.1} s; \
             {:.2} km² remain; largest difference from the register {:.3e} m².",
            v.hazards,
            v.released_polygons,
            started.elapsed().as_secs_f64(),
            v.remaining_m2 / 1e6,
            v.max_difference_m2
        );
        for m in v.mismatches.iter().take(20) {
            println!(
                "  {}: the register says {:.2} m² remain, its geometry {:.2} m²",
                m.code, m.stored.remaining, m.computed.remaining
            );
        }
        for u in v.unaccountable.iter().take(20) {
            println!("  {}: {}", u.code, u.problem);
        }
    }
    if !v.unaccountable.is_empty() {
        anyhow::bail!(
            "{} hazards' figures could not be recomputed from their geometry (listed above)",
            v.unaccountable.len()
        );
    }
    if !v.mismatches.is_empty() {
        anyhow::bail!(
            "{} hazards' figures do not match their geometry; approving any report on them recomputes them",
            v.mismatches.len()
        );
    }
    Ok(())
}

/// The polygon overlay library panics on rare inputs; `core::accounting`
/// catches those panics and overlays again in another plane (or refuses the
/// hazard with a message). The panic is then not the user's business: it is
/// not printed. Every other panic is, as before.
fn quiet_overlay_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("i_overlay")) {
            return;
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    // A reader that closes the pipe early (`| head`) ends us as it ends any
    // Unix tool, instead of a panic on the next write.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    quiet_overlay_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `path` is the register at `db` or one of its companion files
/// (`-wal`, `-shm`, `-journal`): compared by device and inode, with `stat`
/// only — opening and closing a descriptor of the register would drop the
/// locks SQLite holds on it in this process.
pub fn is_register(db: &Location, path: &Path) -> bool {
    let Some(db) = db.file() else { return false };
    let Ok(target) = std::fs::metadata(path) else { return false };
    ["", "-wal", "-shm", "-journal"].iter().any(|suffix| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        std::fs::metadata(&p).is_ok_and(|m| same_file(&m, &target))
    })
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// Creates a new file (replacing a stale one of ours) readable and writable
/// by its owner only: exports and reject files may hold what the register
/// keeps from other users of the machine.
pub fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).with_context(|| format!("creating {}", path.display()))
}

fn open(db: &Location) -> Result<Store> {
    Ok(Store::open(db)?)
}

fn run(cli: Cli) -> Result<()> {
    if let Ok(Some(warning)) = Store::exposure(&cli.db) {
        eprintln!("warning: {warning}");
    }
    let who = auth::Credentials { actor: cli.actor.clone(), user: cli.user.clone() };
    match cli.command {
        Command::Init { admin } => {
            let mut store = Store::create(&cli.db)?;
            println!("Created an empty national register at {}", store.path().display());
            if let Some(name) = admin {
                let u = safeground_store::NewUser {
                    name,
                    role: safeground_core::access::Role::Administrator,
                    organisation: None,
                    personal_data: false,
                };
                users::add(&mut store, &u, false, &cli.actor)?;
            }
        }
        Command::Demo(args) => demo::run(&cli.db, &who, &args)?,
        Command::Migrate(args) => migrate::run(&cli.db, &who, &args)?,
        Command::Checkout(args) => copies::checkout(&cli.db, &who, &args)?,
        Command::Sync(args) => copies::sync(&cli.db, &who, &args)?,
        Command::Summary { json, as_of } => {
            let store = open(&cli.db)?;
            let summary = match as_of {
                Some(d) => store.summary_at(&safeground_store::end_of_day(d))?,
                None => store.summary()?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{}", render::summary(&summary));
            }
        }
        Command::Hazards(HazardsCommand::List(args)) => {
            let store = open(&cli.db)?;
            let filter = HazardFilter { district: args.district, status: args.status, ..Default::default() };
            let rows = store.hazards(&filter)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", render::hazard_list(&rows));
            }
        }
        Command::Hazards(HazardsCommand::Show { id, json }) => {
            let store = open(&cli.db)?;
            let detail = store.hazard(&id).with_context(|| format!("looking up hazard '{id}'"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print!("{}", render::hazard_detail(&detail));
            }
        }
        Command::Report(cmd) => reports::run(&cli.db, &who, &cmd)?,
        Command::Export(args) => export::run(&cli.db, &args)?,
        Command::Treaty(args) => treaty::run(&cli.db, &args)?,
        Command::Kpi(args) => kpi::run(&cli.db, &args)?,
        Command::Import(args) => import::run(&cli.db, &who, &args)?,
        Command::ImportImsma(source) => imsma::run(&cli.db, &who, &source)?,
        Command::Serve(args) => serve::run(&cli.db, &cli.actor, &args)?,
        Command::Tiles { layer, list, out } => {
            let store = open(&cli.db)?;
            let text =
                std::fs::read_to_string(&list).with_context(|| format!("reading {}", list.display()))?;
            let (mut count, mut bytes) = (0usize, 0usize);
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let nums: Vec<u32> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
                let [z, x, y] = nums[..] else {
                    anyhow::bail!("{}, line {}: '{line}' is not `z x y`", list.display(), n + 1);
                };
                let tile = safeground_core::mvt::TileId::new(u8::try_from(z).unwrap_or(u8::MAX), x, y)
                    .map_err(|e| anyhow::anyhow!("{}, line {}: {e}", list.display(), n + 1))?;
                let Some(mvt) = store.tile(&layer, tile)? else {
                    anyhow::bail!(
                        "'{layer}' is not served as tiles; tiles are {}",
                        safeground_store::TILE_LAYERS.join(", ")
                    );
                };
                if let Some(dir) = &out {
                    let d = dir.join(z.to_string()).join(x.to_string());
                    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
                    std::fs::write(d.join(format!("{y}.mvt")), &mvt)
                        .with_context(|| format!("writing into {}", d.display()))?;
                }
                count += 1;
                bytes += mvt.len();
            }
            println!("{count} tiles, {bytes} bytes");
        }
        Command::Verify { json, tolerance } => verify(&open(&cli.db)?, json, tolerance)?,
        Command::Task(cmd) => tasks::run(&cli.db, &who, &cmd)?,
        Command::Project(cmd) => donor::project(&cli.db, &who, &cmd)?,
        Command::Accreditation(cmd) => accreditation::run(&cli.db, &who, &cmd)?,
        Command::Residual(cmd) => residual::run(&cli.db, &cmd)?,
        Command::Inspection(cmd) => inspection::run(&cli.db, &cmd)?,
        Command::Ncr(cmd) => ncr::run(&cli.db, &who, &cmd)?,
        Command::Victim(cmd) => victim::run(&cli.db, &who, &cmd)?,
        Command::Investigation(cmd) => investigation::run(&cli.db, &who, &cmd)?,
        Command::Priorities(args) => priorities::run(&cli.db, &who, &args)?,
        Command::DonorReport(args) => donor::report(&cli.db, &args)?,
        Command::Certificate(args) => certificate::run(&cli.db, &args)?,
        Command::History { id, json, .. } => reports::history(&cli.db, &id, json)?,
        Command::Trace { position, json } => {
            // Two numbers are LON LAT, as the command's name promises; one string is any notation.
            let text = match position.as_slice() {
                [lon, lat] if lon.parse::<f64>().is_ok() && lat.parse::<f64>().is_ok() => {
                    format!("{lat}, {lon}")
                }
                parts => parts.join(" "),
            };
            reports::trace(&cli.db, &text, json)?
        }
        Command::Coords(args) => field::coords(&cli.db, &args)?,
        Command::Traverse(args) => field::traverse(&args)?,
        Command::Check(args) => field::check_file(&cli.db, &args)?,
        Command::Overlaps { json } => field::overlaps(&cli.db, json)?,
        Command::Near(args) => field::near(&cli.db, &args)?,
        Command::Forms(cmd) => forms::run(&cmd)?,
        Command::User(cmd) => users::run(&cli.db, &who, &cmd)?,
        Command::Audit(cmd) => users::audit(&cli.db, &cmd)?,
    }
    Ok(())
}
