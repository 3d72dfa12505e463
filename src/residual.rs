//! `safeground residual list`: EO found, or accidents, inside ground after its
//! release, and the investigations they opened (`core::residual`'s rule;
//! approval records them).

use anyhow::Result;
use clap::Subcommand;
use safeground_store::{Location, ResidualRow, Store};

#[derive(Debug, Subcommand)]
pub enum ResidualCommand {
    /// List residual contamination: finds and accidents inside released ground, the latest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only those whose investigation is still open (task ISSUED or IN_PROGRESS).
        #[arg(long)]
        open: bool,
    },
}

fn print(rows: &[ResidualRow], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no residual contamination recorded");
    }
    for r in rows {
        println!(
            "{}  {:<14} {} ({}), released {} by {} ({})  {}  task {} {} ({}{})",
            r.found_on,
            r.hazard,
            r.what,
            r.kind,
            r.released_on,
            r.released_by,
            r.outcome.code(),
            format_args!("{:.6},{:.6}", r.lat, r.lon),
            r.task,
            r.task_status,
            r.task_organisation,
            r.task_due_on.map_or(String::new(), |d| format!(", due {d}")),
        );
    }
    Ok(())
}

pub fn run(db: &Location, cmd: &ResidualCommand) -> Result<()> {
    let store = Store::open(db)?;
    match cmd {
        ResidualCommand::List { json, open } => print(&store.residuals(*open)?, *json),
    }
}
