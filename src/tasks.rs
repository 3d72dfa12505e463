//! `safeground task issue|list`: the authority gives a hazard to an
//! organisation (`core::task` decides whether it may), or the top of a
//! sealed ranking; the list is the board's, by status and organisation.

use crate::auth::{authorize, Credentials};
use anyhow::Result;
use clap::Subcommand;
use safeground_core::access::{Action, Scope};
use safeground_core::codes::TaskStatus;
use safeground_store::{Location, NewTask, Paging, Store, TaskFilter, TaskRow};
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Issue a task: a hazard given to an operator; prints its code. With --from-ranking, the top of a sealed ranking.
    Issue {
        /// The hazard's code or UUID.
        #[arg(long, required_unless_present = "from_ranking", conflicts_with = "from_ranking")]
        hazard: Option<String>,
        /// A sealed ranking's code (`priorities --seal`): task its first --top hazards that hold no open task.
        #[arg(long, conflicts_with = "code")]
        from_ranking: Option<String>,
        /// With --from-ranking: how many of its first hazards.
        #[arg(long, default_value_t = 5, requires = "from_ranking")]
        top: usize,
        /// The operator's acronym or UUID.
        #[arg(long)]
        organisation: String,
        /// NTS, TS, CLEARANCE, BAC or EOD_SPOT_TASK.
        #[arg(long, default_value = "CLEARANCE")]
        activity: String,
        /// HIGH, MEDIUM or LOW.
        #[arg(long, default_value = "MEDIUM")]
        priority: String,
        /// The task's code; by default T- and the hazard's code (then -2, -3, … for the hazard's next tasks).
        #[arg(long)]
        code: Option<String>,
        /// Issued on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        issued: Option<time::Date>,
        /// Due by (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_date)]
        due: Option<time::Date>,
    },
    /// Cancel an open task: it will not be done (work under it that ends after the day is then refused).
    Cancel {
        /// The task's code.
        code: String,
        /// The day it is called off (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<time::Date>,
        /// Why, kept in the history.
        #[arg(long)]
        reason: String,
    },
    /// List tasks, the soonest due first (an operator's account sees its own organisation's).
    List {
        /// Only this organisation's (acronym or UUID).
        #[arg(long)]
        organisation: Option<String>,
        /// ISSUED, IN_PROGRESS, COMPLETED or CANCELLED.
        #[arg(long)]
        status: Option<String>,
        /// Only this hazard's (code or UUID).
        #[arg(long)]
        hazard: Option<String>,
        /// Only those still open after their due date.
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(db: &Location, who: &Credentials, cmd: &TaskCommand) -> Result<()> {
    match cmd {
        TaskCommand::List { organisation, status, hazard, overdue, json } => {
            let store = Store::open(db)?;
            let p = who.principal(&store)?;
            let mut filter =
                TaskFilter { hazard: hazard.clone(), overdue: *overdue, ..TaskFilter::default() };
            if let Some(s) = status {
                filter.status = Some(s.parse::<TaskStatus>().map_err(|e| anyhow::anyhow!("--status: {e}"))?);
            }
            if let Some(o) = organisation {
                let id = store.organisation(o)?;
                filter.organisation =
                    Some(id.ok_or_else(|| anyhow::anyhow!("organisation '{o}' is not in the register"))?);
            }
            // An operator reads its own organisation's tasks only.
            if p.role == safeground_core::access::Role::Operator {
                // An operator's account with no organisation sees none.
                let own = p.organisation.unwrap_or(uuid::Uuid::nil());
                if filter.organisation.is_some_and(|o| o != own) {
                    anyhow::bail!("an operator's account lists its own organisation's tasks only");
                }
                filter.organisation = Some(own);
            }
            let today = OffsetDateTime::now_utc().date();
            let (_, rows) = store.task_page(&filter, Paging::ALL, today)?;
            print(&rows, *json)
        }
        TaskCommand::Issue { .. } => issue(db, who, cmd),
        TaskCommand::Cancel { code, on, reason } => {
            let mut store = Store::open(db)?;
            let p = who.principal(&store)?;
            authorize(&p, Action::IssueTask, Scope::Any)?;
            let now = OffsetDateTime::now_utc();
            let on = on.unwrap_or(now.date());
            let at = safeground_store::recorded_at(on, now);
            let code = store.write(|w| w.cancel_task(code, on, reason, &p.name, at, now.date()))?;
            eprintln!("task {code} cancelled from {on}");
            Ok(())
        }
    }
}

fn print(rows: &[TaskRow], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no tasks match");
    }
    for t in rows {
        println!(
            "{:<28} {:<14} {:<16} {:<6} {:<13} {:<11} {:<6} issued {} due {}{}{}",
            t.code,
            t.hazard,
            t.district,
            t.organisation,
            t.activity.code(),
            t.status.code(),
            t.priority.code(),
            t.issued_on,
            t.due_on.map_or("-".to_string(), |d| d.to_string()),
            if t.overdue { "  OVERDUE" } else { "" },
            t.cancelled_on.map_or(String::new(), |d| format!("  cancelled {d}")),
        );
    }
    Ok(())
}

fn issue(db: &Location, who: &Credentials, cmd: &TaskCommand) -> Result<()> {
    let TaskCommand::Issue { hazard, from_ranking, top, organisation, activity, priority, code, issued, due } =
        cmd
    else {
        return Ok(());
    };
    let mut store = Store::open(db)?;
    let p = who.principal(&store)?;
    authorize(&p, Action::IssueTask, Scope::Any)?;
    let actor = p.name.as_str();
    let now = OffsetDateTime::now_utc();
    let issued_on = issued.unwrap_or(now.date());
    let code_list = |e: safeground_core::codes::UnknownCode| anyhow::anyhow!("{e}");
    let at = safeground_store::recorded_at(issued_on, now);
    if let Some(ranking) = from_ranking {
        if due.is_some_and(|d| d < issued_on) {
            anyhow::bail!(
                "the tasks would be due ({}) before they are issued ({issued_on})",
                due.unwrap_or(issued_on)
            );
        }
        let plan = safeground_store::RankingTasks {
            organisation: organisation.clone(),
            activity: activity.parse().map_err(code_list)?,
            priority: priority.parse().map_err(code_list)?,
            issued_on,
            due_on: *due,
        };
        let issued = store.write(|w| w.issue_from_ranking(ranking, *top, &plan, actor, at))?;
        if issued.is_empty() {
            eprintln!("the first {top} hazards of ranking {ranking} all hold an open task or are released: none issued");
        }
        for code in issued {
            println!("{code}");
        }
        return Ok(());
    }
    let Some(hazard) = hazard else {
        anyhow::bail!("name the hazard (--hazard) or a ranking (--from-ranking)")
    };
    let t = NewTask {
        hazard: hazard.clone(),
        organisation: organisation.clone(),
        activity: activity.parse().map_err(code_list)?,
        priority: priority.parse().map_err(code_list)?,
        code: code.clone(),
        issued_on,
        due_on: *due,
    };
    let code = store.write(|w| w.issue_new_task(&t, actor, at, now.date()))?;
    println!("{code}");
    Ok(())
}
