//! `safeground investigation open|board|conclude|ncr|list|show`: the
//! investigation of an accident [IMAS 10.60] — a demining accident's
//! approval opens one — its board of inquiry, its findings and
//! recommendations, and a recommendation raised as a non-conformity
//! (`core::investigation`'s rules), each step an event of the sealed history.

use crate::auth::{authorize, Credentials};
use anyhow::Result;
use clap::Subcommand;
use safeground_core::access::{Action, Scope};
use safeground_core::codes::{NcrGrade, UnknownCode};
use safeground_core::investigation::Step;
use safeground_store::{InvestigationRow, Location, RecommendationToNcr, Store};
use time::{Date, OffsetDateTime};

#[derive(Debug, Subcommand)]
pub enum InvestigationCommand {
    /// Open an investigation into an accident (a demining accident's approval opens one itself); prints its code.
    Open {
        /// The accident (UUID).
        #[arg(long)]
        accident: String,
        /// Opened on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
    },
    /// Convene the board of inquiry: two members at least, each as "name (organisation, role)".
    Board {
        code: String,
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        /// Convened on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
    },
    /// Record the board's conclusion: what it found and what it recommends (numbered in the order given).
    Conclude {
        code: String,
        #[arg(long)]
        findings: String,
        #[arg(long = "recommendation")]
        recommendations: Vec<String>,
        /// Concluded on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
    },
    /// Raise a recommendation as a non-conformity against the organisation it concerns; prints its code.
    Ncr {
        code: String,
        /// The recommendation's number (from 1).
        #[arg(long)]
        recommendation: usize,
        /// The organisation's acronym.
        #[arg(long)]
        organisation: String,
        /// CRITICAL, MAJOR or MINOR.
        #[arg(long, value_parser = parse_grade)]
        grade: NcrGrade,
        /// Due by (YYYY-MM-DD); default 7, 30 or 90 days by grade.
        #[arg(long, value_parser = crate::parse_date)]
        due: Option<Date>,
    },
    /// The investigations, the latest opened first.
    List {
        /// Only those not concluded.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
    /// One investigation: its accident, board, findings, recommendations and the non-conformities they became.
    Show {
        code: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_grade(s: &str) -> Result<NcrGrade, String> {
    s.to_ascii_uppercase().parse().map_err(|e: UnknownCode| e.to_string())
}

fn print(rows: &[InvestigationRow]) {
    for i in rows {
        let s = &i.state;
        println!(
            "{:<12} {:<15} accident {} {} ({})  opened {}  {}",
            s.code,
            s.stage.code(),
            s.accident_on,
            i.district.as_deref().unwrap_or("?"),
            i.accident_kind.code(),
            s.opened_on,
            s.findings.as_deref().unwrap_or("")
        );
    }
}

fn show(i: &InvestigationRow) {
    print(std::slice::from_ref(i));
    let s = &i.state;
    println!("  accident {}; opened by {}", i.accident, i.opened_by);
    if let Some(on) = s.convened_on {
        println!("  board convened {on}: {}", s.board.join("; "));
    }
    if let Some(on) = s.concluded_on {
        println!("  concluded {on}: {}", s.findings.as_deref().unwrap_or(""));
    }
    for (n, r) in s.recommendations.iter().enumerate() {
        let ncr = i.non_conformities.iter().find(|x| x.recommendation == n as i64 + 1);
        let ncr = ncr.map_or(String::new(), |x| format!("  → {}", x.code));
        println!("  R{} {r}{ncr}", n + 1);
    }
}

pub fn run(db: &Location, who: &Credentials, cmd: &InvestigationCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    match cmd {
        InvestigationCommand::List { open, json } => {
            let rows = store.investigations(*open)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print(&rows);
            }
            return Ok(());
        }
        InvestigationCommand::Show { code, json } => {
            let i = store.investigation(code)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&i)?);
            } else {
                show(&i);
            }
            return Ok(());
        }
        _ => {}
    }
    let p = who.principal(&store)?;
    match cmd {
        InvestigationCommand::Open { accident, on } => {
            authorize(&p, Action::Investigate, Scope::Any)?;
            let code = store.write(|w| w.open_investigation(accident, on.unwrap_or(today), &p.name, now))?;
            println!("{code}");
        }
        InvestigationCommand::Board { code, members, on } => {
            authorize(&p, Action::Investigate, Scope::Any)?;
            let step = Step::Board { on: on.unwrap_or(today), members: members.clone() };
            let code = store.write(|w| w.investigation_step(code, &step, &p.name, now))?;
            println!("{code}: board convened");
        }
        InvestigationCommand::Conclude { code, findings, recommendations, on } => {
            authorize(&p, Action::Investigate, Scope::Any)?;
            let step = Step::Conclude {
                on: on.unwrap_or(today),
                findings: findings.clone(),
                recommendations: recommendations.clone(),
            };
            let code = store.write(|w| w.investigation_step(code, &step, &p.name, now))?;
            println!("{code}: concluded with {} recommendation(s)", recommendations.len());
        }
        InvestigationCommand::Ncr { code, recommendation, organisation, grade, due } => {
            authorize(&p, Action::RaiseNonConformity, Scope::Any)?;
            let r = RecommendationToNcr {
                investigation: code.clone(),
                recommendation: *recommendation,
                organisation: organisation.clone(),
                grade: *grade,
                raised_on: today,
                due_on: *due,
            };
            println!("{}", store.write(|w| w.ncr_from_recommendation(&r, &p.name, now))?);
        }
        InvestigationCommand::List { .. } | InvestigationCommand::Show { .. } => {}
    }
    Ok(())
}
