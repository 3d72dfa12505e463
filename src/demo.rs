//! `safeground demo`: builds the demo register into a temporary file beside
//! the target and renames it into place only when it is complete, so an
//! interrupted demo never leaves a half-built database behind.

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::access::Role;
use safeground_core::codes::OrganisationKind;
use safeground_demo::{Places, Scale};
use safeground_store::Location;
use safeground_store::{NewUser, Store, UserChange};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the random generator: the same seed builds the same register.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// small (1,000 hazards), medium (10,000), national (100,000 hazards,
    /// about a million EO finds), or a number of hazards; `benchmark[:N]` is
    /// the benchmark's dataset (20–200 turning points a hazard, about three
    /// released polygons each; 100,000 hazards unless N).
    #[arg(long, default_value = "small", value_parser = parse_scale)]
    scale: Scale,
    /// Replace an existing database at --db.
    #[arg(long)]
    force: bool,
    /// Only build the database; do not serve it.
    #[arg(long)]
    no_serve: bool,
    /// Where to serve it (loopback only until accounts exist).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
}

fn parse_scale(s: &str) -> Result<Scale, String> {
    s.parse()
}

/// Removes a file and its SQLite companions (-wal, -shm) if present.
fn remove_db(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let p = companion(path, suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", p.display())),
        }
    }
    Ok(())
}

fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub fn run(db: &Location, who: &crate::auth::Credentials, args: &DemoArgs) -> Result<()> {
    let postgres = db.is_postgres();
    // A PostgreSQL database holds a register once its schema is there.
    let exists = match db.file() {
        None => Store::open(db).is_ok(),
        Some(file) => file.exists(),
    };
    if exists && postgres && args.force {
        bail!(
            "{} already holds a register; --force does not drop a PostgreSQL database: drop and create it \
             (dropdb, createdb) to build a new demo there",
            Store::open(db)?.path().display()
        );
    }
    if exists && !args.force {
        if args.no_serve {
            bail!("{db} already exists; pass --force to replace it with a new demo, or choose another --db",);
        }
        println!("Using the register already at {db} (pass --force to build a new demo).");
    } else {
        build_demo(db, args)?;
    }
    if !args.no_serve {
        demo_accounts(db, who)?;
        crate::serve::run(db, &who.actor, &crate::serve::ServeArgs::on(args.addr))?;
    }
    Ok(())
}

/// The demo's accounts, one per role, so the web application can be tried
/// as each would see it: made on first serve, and given a fresh password
/// (printed) on every start, since none is kept in the clear.
const DEMO_ACCOUNTS: &[(&str, Role, bool)] = &[
    ("admin", Role::Administrator, true),
    ("imo", Role::ImOfficer, true),
    ("operator", Role::Operator, false),
    ("qm", Role::QmOfficer, false),
    ("viewer", Role::Viewer, false),
];

fn demo_accounts(db: &Location, who: &crate::auth::Credentials) -> Result<()> {
    let mut store = Store::open(db)?;
    let fresh = !store.has_accounts()?;
    let existing: Vec<String> = store.users()?.into_iter().map(|u| u.name).collect();
    if !fresh && store.meta("demo_seed")?.is_none() {
        println!("This register has its own accounts; log in with one of them.");
        return Ok(());
    }
    // The first operator organisation of the demo, for the operator's account.
    let operator =
        store.organisations()?.into_iter().find(|o| o.kind == OrganisationKind::Operator).map(|o| o.acronym);
    let password = safeground_store::generate_password();
    let now = time::OffsetDateTime::now_utc();
    let actor = if fresh { who.actor.clone() } else { "demo".to_string() };
    store.write(|w| {
        for (name, role, personal) in DEMO_ACCOUNTS {
            let organisation = if *role == Role::Operator { operator.clone() } else { None };
            if *role == Role::Operator && organisation.is_none() {
                continue;
            }
            if existing.iter().any(|n| n == name) {
                w.change_user(name, &UserChange::Password(password.clone()), &actor, now)?;
            } else {
                let u =
                    NewUser { name: name.to_string(), role: *role, organisation, personal_data: *personal };
                w.add_user(&u, &password, &actor, now)?;
            }
        }
        Ok(())
    })?;
    println!(
        "Log in as admin with the password {password} (set for this run). The same password opens imo (IM officer),          operator ({}), qm (QM officer) and viewer.",
        operator.as_deref().unwrap_or("no operator organisation")
    );
    Ok(())
}

fn build_demo(db: &Location, args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let places = Places::load()?;
    let Some(file) = db.file() else {
        // Built in a GeoPackage of its own, then copied in by COPY: the bulk
        // path, and the same register byte for byte as on a field laptop.
        let dir = tempfile::tempdir().context("a temporary directory for building the demo")?;
        let tmp = dir.path().join("demo.gpkg");
        let counts = build(&tmp, &places, args)?;
        let store = Store::open(&tmp)?;
        store.migrate_to(db, &mut |_, _, _| {})?;
        return report_built(db, started, args, &counts);
    };
    let tmp = companion(file, &format!(".building-{}", std::process::id()));
    remove_db(&tmp)?;
    let result = build(&tmp, &places, args);
    let counts = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = remove_db(&tmp);
            return Err(e);
        }
    };
    remove_db(file)?;
    std::fs::rename(&tmp, file).with_context(|| format!("moving the finished demo to {db}"))?;
    report_built(db, started, args, &counts)
}

fn report_built(
    db: &Location,
    started: Instant,
    args: &DemoArgs,
    counts: &safeground_demo::DemoCounts,
) -> Result<()> {
    let store = Store::open(db)?;
    let db = store.path();
    let s = store.summary()?;
    println!(
        "Built the demo register at {} in {:.1} s (seed {}):\n  {} hazards, {} tasks, {} activities, {} released areas, \
         {} EO finds, {} accidents with {} victims ({} assistance follow-ups), {} EORE sessions.",
        db.display(),
        started.elapsed().as_secs_f64(),
        args.seed,
        counts.hazards,
        counts.tasks,
        counts.activities,
        counts.released_areas,
        counts.eo_finds,
        counts.accidents,
        counts.victims,
        counts.follow_ups,
        counts.eore_sessions,
    );
    let residuals = store.residuals(false)?.len();
    if residuals > 0 {
        println!(
            "  {residuals} finds or accidents in ground after its release (`safeground residual list`)."
        );
    }
    let a = &s.totals.area_km2;
    println!(
        "  Recorded {:.2} km²; cancelled {:.2}, reduced {:.2}, cleared {:.2}; {:.2} km² remain.",
        a.recorded, a.cancelled, a.reduced, a.cleared, a.remaining
    );
    println!(
        "Next: `safeground --db {} summary`, or open it in QGIS (layers hazards, released_areas, …).",
        db.display()
    );
    Ok(())
}

fn build(tmp: &Path, places: &Places, args: &DemoArgs) -> Result<safeground_demo::DemoCounts> {
    let mut store = Store::create(tmp)?;
    let bar = ProgressBar::new(args.scale.hazards as u64);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} hazards ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("Building the demo");
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let counts = safeground_demo::build(places, args.seed, args.scale, &mut store, &mut |done, _| {
        bar.set_position(done)
    })?;
    bar.finish_and_clear();
    // Marks the register as a demo's: `demo` may then reset its demo accounts.
    store.write(|w| w.set_meta("demo_seed", &args.seed.to_string()))?;
    store.checkpoint()?;
    drop(store);
    Ok(counts)
}
