//! `safeground demo`: builds the demo register into a temporary file beside
//! the target and renames it into place only when it is complete, so an
//! interrupted demo never leaves a half-built database behind.

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_demo::{Places, Scale};
use safeground_store::Store;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the random generator: the same seed builds the same register.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// small (1,000 hazards), medium (10,000), national (100,000 hazards,
    /// about a million EO finds), or a number of hazards.
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

pub fn run(db: &Path, actor: &str, args: &DemoArgs) -> Result<()> {
    if db.exists() && !args.force {
        if args.no_serve {
            bail!(
                "{} already exists; pass --force to replace it with a new demo, or choose another --db",
                db.display()
            );
        }
        println!("Using the register already at {} (pass --force to build a new demo).", db.display());
        return crate::serve::serve(db, actor, args.addr);
    }
    build_demo(db, args)?;
    if !args.no_serve {
        crate::serve::serve(db, actor, args.addr)?;
    }
    Ok(())
}

fn build_demo(db: &Path, args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let places = Places::load()?;
    let tmp = companion(db, &format!(".building-{}", std::process::id()));
    remove_db(&tmp)?;
    let result = build(&tmp, &places, args);
    let counts = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = remove_db(&tmp);
            return Err(e);
        }
    };
    remove_db(db)?;
    std::fs::rename(&tmp, db).with_context(|| format!("moving the finished demo to {}", db.display()))?;
    let store = Store::open(db)?;
    let s = store.summary()?;
    println!(
        "Built the demo register at {} in {:.1} s (seed {}):\n  {} hazards, {} tasks, {} activities, {} released areas, \
         {} EO finds, {} accidents with {} victims, {} EORE sessions.",
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
        counts.eore_sessions,
    );
    let a = &s.totals.area_km2;
    println!(
        "  Recorded {:.2} km²; cancelled {:.2}, reduced {:.2}, cleared {:.2}; {:.2} km² remain.",
        a.recorded, a.cancelled, a.reduced, a.cleared, a.remaining
    );
    println!(
        "Next: `safeground --db {} summary`, or open the file in QGIS (layers hazards, released_areas, …).",
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
    store.checkpoint()?;
    drop(store);
    Ok(counts)
}
