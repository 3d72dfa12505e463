//! `safeground migrate --to URL`: the whole register copied to another
//! backend (GeoPackage ⇄ PostgreSQL/PostGIS), checked table by table.

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::access::{Action, Scope};
use safeground_store::Location;
use safeground_store::Store;
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The new register: a GeoPackage file that does not exist yet, or an
    /// empty PostgreSQL database (postgres://USER@HOST:PORT/DATABASE).
    #[arg(long, value_name = "PATH|URL")]
    pub to: Location,
    /// Print the per-table counts and checksums as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: &Location, who: &crate::auth::Credentials, args: &MigrateArgs) -> Result<()> {
    let store = Store::open(db)?;
    // Everything is copied, victims' personal data and accounts included.
    let p = who.principal(&store)?;
    crate::auth::authorize(&p, Action::ManageUsers, Scope::Any)?;
    crate::auth::authorize(&p, Action::ReadPersonal, Scope::Any)?;
    let started = std::time::Instant::now();
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("Copying {msg} [{bar:40}] {pos}/{len} rows ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let m = store.migrate_to(&args.to, &mut |table, done, total| {
        bar.set_length(total);
        bar.set_message(table.to_string());
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if m.tables.iter().any(|t| !t.matches()) {
        bail!("the copy does not match the source");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(());
    }
    println!("{:<20} {:>10}  checksum (SHA-256 of every value, source = target)", "table", "rows");
    for t in &m.tables {
        println!("{:<20} {:>10}  {}", t.table, t.rows, t.source);
    }
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    println!(
        "Copied {} tables ({rows} rows) from {} to {} in {:.1} s; every table read back from the target matches the source.",
        m.tables.len(),
        m.from,
        m.to,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
