//! `safeground ncr open|update|close|list`: non-conformities against an
//! organisation's work [IMAS 07.12] (`core::ncr`'s rules), each step an
//! event of the sealed history.

use crate::auth::{authorize, Credentials};
use anyhow::{Context, Result};
use clap::Subcommand;
use safeground_core::access::{Action, Scope};
use safeground_core::codes::NcrGrade;
use safeground_core::ncr::Step;
use safeground_store::{Location, NcrRow, NewNcr, Store};
use time::{Date, OffsetDateTime};

#[derive(Debug, Subcommand)]
pub enum NcrCommand {
    /// Raise a non-conformity against an organisation's work; prints its code.
    Open {
        /// The organisation's acronym.
        #[arg(long)]
        organisation: String,
        /// CRITICAL, MAJOR or MINOR.
        #[arg(long, value_parser = parse_grade)]
        grade: NcrGrade,
        /// What was found not to conform.
        #[arg(long)]
        finding: String,
        /// The report it is about (UUID).
        #[arg(long, required_unless_present = "accident")]
        report: Option<String>,
        /// The accident it is about (UUID).
        #[arg(long)]
        accident: Option<String>,
        /// Raised on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        raised: Option<Date>,
        /// Due by (YYYY-MM-DD); default 7, 30 or 90 days by grade.
        #[arg(long, value_parser = crate::parse_date)]
        due: Option<Date>,
    },
    /// The organisation's answer: root cause, corrective and preventive actions; an officer may set a new due date.
    Update {
        code: String,
        #[arg(long)]
        root_cause: Option<String>,
        #[arg(long)]
        corrective: Option<String>,
        #[arg(long)]
        preventive: Option<String>,
        #[arg(long, value_parser = crate::parse_date)]
        due: Option<Date>,
    },
    /// Close it once a QM officer has verified the corrective action.
    Close {
        code: String,
        /// How the corrective action was verified.
        #[arg(long)]
        verification: String,
        /// Closed on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
    },
    /// List the non-conformities (the latest first), or with --rates their count and rate per organisation.
    List {
        #[arg(long)]
        json: bool,
        /// Only those not closed.
        #[arg(long)]
        open: bool,
        /// Only this organisation's (acronym).
        #[arg(long)]
        organisation: Option<String>,
        /// Per organisation: by grade, open, overdue, and per 100 approved work reports.
        #[arg(long, conflicts_with_all = ["open", "organisation"])]
        rates: bool,
    },
}

fn parse_grade(s: &str) -> Result<NcrGrade, String> {
    s.to_ascii_uppercase().parse().map_err(|e: safeground_core::codes::UnknownCode| e.to_string())
}

fn print(rows: &[NcrRow], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    for n in rows {
        println!(
            "{:<14} {:<8} {:<8} {:<7} raised {} due {}  {}",
            n.code,
            n.organisation,
            n.grade.code(),
            n.status,
            n.raised_on,
            n.due_on,
            n.finding
        );
    }
    Ok(())
}

pub fn run(db: &Location, who: &Credentials, cmd: &NcrCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    let now = OffsetDateTime::now_utc();
    match cmd {
        NcrCommand::List { json, open, organisation, rates } => {
            if *rates {
                let r = store.ncr_rates(now.date())?;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&r)?);
                } else {
                    for x in r {
                        let rate = x.per_100_reports.map_or("—".to_string(), |v| format!("{v:.1}"));
                        println!(
                            "{:<8} critical {} major {} minor {}  open {} overdue {}  {} reports, {rate} per 100",
                            x.organisation, x.critical, x.major, x.minor, x.open, x.overdue, x.reports
                        );
                    }
                }
                return Ok(());
            }
            let org = match organisation {
                Some(o) => Some(
                    store
                        .organisation(o)?
                        .with_context(|| format!("organisation '{o}' is not in the register"))?,
                ),
                None => None,
            };
            print(&store.ncrs(*open, org, now.date())?, *json)
        }
        NcrCommand::Open { organisation, grade, finding, report, accident, raised, due } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::RaiseNonConformity, Scope::Any)?;
            let n = NewNcr {
                organisation: organisation.clone(),
                grade: *grade,
                finding: finding.clone(),
                report: report.clone(),
                accident: accident.clone(),
                raised_on: raised.unwrap_or(now.date()),
                due_on: *due,
            };
            let code = store.write(|w| w.raise_ncr(&n, &p.name, now))?;
            println!("{code}");
            Ok(())
        }
        NcrCommand::Update { code, root_cause, corrective, preventive, due } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::AnswerNonConformity, Scope::Organisation(store.ncr_organisation(code)?))?;
            if due.is_some() {
                // The organisation answering does not set its own deadline.
                authorize(&p, Action::RaiseNonConformity, Scope::Any)
                    .map_err(|e| anyhow::anyhow!("{e} (a new due date is an IM or QM officer's)"))?;
            }
            let step = Step::Answer {
                root_cause: root_cause.clone(),
                corrective: corrective.clone(),
                preventive: preventive.clone(),
                due_on: *due,
            };
            store.write(|w| w.ncr_step(code, &step, &p.name, now))?;
            println!("{} answered", code.trim());
            Ok(())
        }
        NcrCommand::Close { code, verification, on } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::CloseNonConformity, Scope::Any)?;
            let step = Step::Close { on: on.unwrap_or(now.date()), verification: verification.clone() };
            store.write(|w| w.ncr_step(code, &step, &p.name, now))?;
            println!("{} closed", code.trim());
            Ok(())
        }
    }
}
