//! `safeground inspection list`: the quality-management inspections the
//! register holds — QA visits to work in progress and QC samples of
//! released ground, with the share sampled, the items found and the result
//! (`core::approval`'s rules; a QM_INSPECTION report records each).

use anyhow::Result;
use clap::Subcommand;
use safeground_store::{InspectionFilter, InspectionRow, Location, Store};

#[derive(Debug, Subcommand)]
pub enum InspectionCommand {
    /// List inspections, the latest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only those of this hazard (its code).
        #[arg(long)]
        hazard: Option<String>,
    },
}

fn print(rows: &[InspectionRow], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no inspections recorded");
    }
    for r in rows {
        let result = match r.result {
            safeground_core::report::QmResult::Pass => "PASS",
            safeground_core::report::QmResult::Fail => "FAIL",
        };
        let sample = match (r.sample_m2, r.share) {
            (Some(m2), Some(share)) => {
                format!("sample {m2:.0} m² ({:.1} % of {} area(s))", share * 100.0, r.areas.len())
            }
            (Some(m2), None) => format!("sample {m2:.0} m²"),
            (None, _) => "no sample".into(),
        };
        println!(
            "{}  {} {}  {:<14} {}  by {}{}  {}  items found {}{}",
            r.inspected_on,
            r.kind.code(),
            result,
            r.hazard.as_deref().unwrap_or("-"),
            r.organisation.as_deref().unwrap_or("-"),
            r.inspected_by,
            r.task.as_ref().map_or(String::new(), |t| format!(" (task {t})")),
            sample,
            r.items_found,
            if r.reopened.is_empty() {
                String::new()
            } else {
                format!(", re-opened {}", r.reopened.join(", "))
            },
        );
    }
    Ok(())
}

pub fn run(db: &Location, cmd: &InspectionCommand) -> Result<()> {
    let store = Store::open(db)?;
    match cmd {
        InspectionCommand::List { json, hazard } => {
            let filter = InspectionFilter { hazard: hazard.clone(), organisation: None };
            print(&store.inspections(&filter)?, *json)
        }
    }
}
