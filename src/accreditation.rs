//! `safeground accreditation add|list|suspend`: who is accredited for what,
//! when (`core::accreditation`'s rules; approval asks for them once the
//! register keeps any).

use crate::auth::{authorize, Credentials};
use anyhow::Result;
use clap::Subcommand;
use safeground_core::access::{Action, Scope};
use safeground_core::codes::Capability;
use safeground_store::{AccreditationRow, Location, NewAccreditation, Store};
use time::{Date, OffsetDateTime};

#[derive(Debug, Subcommand)]
pub enum AccreditationCommand {
    /// Record that an organisation (or one of its teams) is accredited for a capability over a period.
    Add {
        /// The authority's reference (its certificate number), the accreditation's key.
        #[arg(long)]
        reference: String,
        /// The organisation's acronym.
        #[arg(long)]
        organisation: String,
        /// The team's name, when it is for that team only.
        #[arg(long)]
        team: Option<String>,
        /// MANUAL, MECHANICAL, DOGS, EOD, NTS or TS.
        #[arg(long, value_parser = parse_capability)]
        capability: Capability,
        /// The first day it holds (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_date)]
        from: Date,
        /// The last day it holds (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_date)]
        to: Date,
    },
    /// List the accreditations (with --expiring DAYS: those in force that end within DAYS days).
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DAYS")]
        expiring: Option<i64>,
    },
    /// Suspend an accreditation from a day on; work from that day is refused at approval.
    Suspend {
        reference: String,
        /// The first day it no longer holds (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
        #[arg(long)]
        reason: String,
    },
}

fn parse_capability(s: &str) -> Result<Capability, String> {
    s.parse().map_err(|e: safeground_core::codes::UnknownCode| e.to_string())
}

fn print(rows: &[AccreditationRow], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    for a in rows {
        let scope = a.team.as_deref().map_or(String::new(), |t| format!(" ({t})"));
        let suspended = a.suspended_on.map_or(String::new(), |d| format!("  suspended from {d}"));
        println!(
            "{:<22} {:<8}{scope} {:<10} {} to {}{suspended}",
            a.reference,
            a.organisation,
            a.capability.code(),
            a.valid_from,
            a.valid_to
        );
    }
    Ok(())
}

pub fn run(db: &Location, who: &Credentials, cmd: &AccreditationCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    let now = OffsetDateTime::now_utc();
    match cmd {
        AccreditationCommand::List { json, expiring } => {
            if let Some(days) = expiring.filter(|d| !(0..=3660).contains(d)) {
                anyhow::bail!("--expiring {days}: give a number of days from 0 to 3660");
            }
            let rows = match expiring {
                Some(days) => store.accreditations_expiring(now.date(), *days)?,
                None => store.accreditations()?,
            };
            print(&rows, *json)
        }
        AccreditationCommand::Add { reference, organisation, team, capability, from, to } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::DecideReport, Scope::Any)?;
            let a = NewAccreditation {
                reference: reference.clone(),
                organisation: organisation.clone(),
                team: team.clone(),
                capability: *capability,
                valid_from: *from,
                valid_to: *to,
            };
            store.write(|w| w.add_accreditation(&a, &p.name, now))?;
            println!("{}", reference.trim());
            Ok(())
        }
        AccreditationCommand::Suspend { reference, on, reason } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::DecideReport, Scope::Any)?;
            let on = on.unwrap_or(now.date());
            let on = store.write(|w| w.suspend_accreditation(reference, on, reason, &p.name, now))?;
            println!("accreditation {reference} is suspended from {on}");
            Ok(())
        }
    }
}
