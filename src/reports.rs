//! `report …`, `history`, `trace`: the approval workflow on the command line.

use crate::auth::{authorize, Credentials};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use safeground_core::access::{Action, Scope};
use safeground_core::ids::ReportId;
use safeground_core::report;
use safeground_store::Location;
use safeground_store::{ApprovalSettings, Store};
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Submit a report (JSON; see docs/reports.md) with any files attached; prints its id.
    Submit {
        file: PathBuf,
        #[command(flatten)]
        attach: crate::attachments::AttachArgs,
    },
    /// Attach files to a draft or a report awaiting its decision.
    Attach {
        id: ReportId,
        #[command(flatten)]
        attach: crate::attachments::AttachArgs,
    },
    /// List a report's files (personal ones with the personal-data permission).
    Attachments {
        id: ReportId,
        #[arg(long)]
        json: bool,
    },
    /// Save an attached file (or its thumbnail) as it was sent.
    Attachment {
        id: safeground_core::ids::AttachmentId,
        #[arg(long)]
        out: PathBuf,
        /// The picture's thumbnail (JPEG) instead of the file.
        #[arg(long)]
        thumbnail: bool,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// List reports, newest first.
    List {
        /// DRAFT, SUBMITTED, APPROVED, REJECTED or UNAPPROVED.
        #[arg(long)]
        state: Option<safeground_core::codes::ReportState>,
        #[arg(long)]
        json: bool,
    },
    /// Show a report with its history.
    Show {
        id: ReportId,
        #[arg(long)]
        json: bool,
        /// Also victims' names and contacts (needs the personal-data permission).
        #[arg(long)]
        personal: bool,
    },
    /// Check a submitted report and, if it passes, apply it to the register.
    Approve(ApproveArgs),
    /// Reject a submitted report, with the reason the author will read.
    Reject {
        id: ReportId,
        #[arg(long)]
        reason: String,
    },
    /// Reverse an approved report's effects (the authority, on finding a mistake).
    Unapprove {
        id: ReportId,
        #[arg(long)]
        reason: String,
    },
    /// Import a KoBoToolbox or ODK Central export of a form in forms/ as DRAFT reports.
    ImportSubmissions(crate::submissions::ImportArgs),
    /// Submit a DRAFT report (an imported submission) so that it can be approved.
    SubmitDraft { id: ReportId },
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    id: ReportId,
    /// How far (m) released ground may stray outside its hazard.
    #[arg(long, default_value_t = ApprovalSettings::default().tolerance_m)]
    tolerance: f64,
    /// A completed hazard closes when less than this (m²) remains.
    #[arg(long, default_value_t = ApprovalSettings::default().close_below_m2)]
    close_below: f64,
    /// The most positions one polygon may have (all its rings and parts).
    #[arg(long, default_value_t = safeground_core::validate::MAX_VERTICES)]
    max_vertices: usize,
    /// Refuse if the report changed since you read this version of it (`report show`).
    #[arg(long)]
    expect_version: Option<i64>,
}

pub fn run(db: &Location, who: &Credentials, cmd: &ReportCommand) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    // Who acts, for the commands that write.
    let acting = |store: &Store, action: Action| -> Result<String> {
        let p = who.principal(store)?;
        authorize(&p, action, Scope::Any)?;
        Ok(p.name)
    };
    match cmd {
        ReportCommand::Submit { file, attach } => submit(db, who, file, attach, now)?,
        ReportCommand::Attach { id, attach } => crate::attachments::attach(db, who, *id, attach)?,
        ReportCommand::Attachments { id, json } => crate::attachments::list(db, who, *id, *json)?,
        ReportCommand::Attachment { id, out, thumbnail, force } => {
            crate::attachments::save(db, who, *id, out, *thumbnail, *force)?
        }
        ReportCommand::List { state, json } => list(db, *state, *json)?,
        ReportCommand::Show { id, json, personal } => show(db, who, *id, *json, *personal)?,
        ReportCommand::Approve(a) => {
            let mut store = Store::open(db)?;
            let actor = acting(&store, Action::DecideReport)?;
            let settings = ApprovalSettings {
                tolerance_m: a.tolerance,
                close_below_m2: a.close_below,
                max_vertices: a.max_vertices,
                ..ApprovalSettings::default()
            };
            let flags = store.approve(a.id, &actor, now, &settings, a.expect_version)?;
            println!("approved {}", a.id);
            for f in flags {
                eprintln!("warning: {f}");
            }
        }
        ReportCommand::Reject { id, reason } => {
            let mut store = Store::open(db)?;
            let actor = acting(&store, Action::DecideReport)?;
            store.reject(*id, reason, &actor, now)?;
            println!("rejected {id}");
        }
        ReportCommand::Unapprove { id, reason } => {
            let mut store = Store::open(db)?;
            let actor = acting(&store, Action::DecideReport)?;
            store.unapprove(*id, reason, &actor, now)?;
            println!("unapproved {id}");
        }
        ReportCommand::ImportSubmissions(args) => {
            let actor = acting(&Store::open(db)?, Action::Import)?;
            crate::submissions::import(db, &actor, args)?
        }
        ReportCommand::SubmitDraft { id } => {
            let store = Store::open(db)?;
            let p = who.principal(&store)?;
            let (row, _, _) = store.report(*id)?;
            let org = store
                .organisation(&row.organisation)?
                .with_context(|| format!("report {id}'s organisation"))?;
            authorize(
                &p,
                Action::SubmitReport,
                Scope::Report { organisation: org, report_type: row.report_type },
            )?;
            drop(store);
            crate::submissions::submit_draft(db, &p.name, *id)?
        }
    }
    Ok(())
}

/// `report list [--state S] [--json]`.
fn list(db: &Location, state: Option<safeground_core::codes::ReportState>, json: bool) -> Result<()> {
    let store = Store::open(db)?;
    let rows = store.reports(state)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            println!(
                "{}  {:<13} {:<10} {:<5} {:<14} {} to {}{}",
                r.id,
                r.report_type,
                r.state,
                r.organisation,
                r.hazard.as_deref().or(r.task.as_deref()).unwrap_or("-"),
                r.start_date,
                r.end_date,
                r.reason.as_deref().map(|x| format!("  ({x})")).unwrap_or_default()
            );
        }
        println!("{} reports", rows.len());
    }
    Ok(())
}

/// `report show ID [--json] [--personal]`: the report, its body and its history.
fn show(db: &Location, who: &Credentials, id: ReportId, json: bool, personal: bool) -> Result<()> {
    let store = Store::open(db)?;
    let (row, body, events) = store.report(id)?;
    let personal = if personal {
        authorize(&who.principal(&store)?, Action::ReadPersonal, Scope::Any)?;
        store.report_personal(row.id)?
    } else {
        None
    };
    if json {
        let mut v = serde_json::json!({"report": row, "body": body, "events": events});
        if let Some(p) = &personal {
            v["personal"] = p.clone();
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{} {} report {} (version {})", row.state, row.report_type, row.id, row.version);
        println!(
            "  by {} · {} to {} · hazard {} · task {}",
            row.organisation,
            row.start_date,
            row.end_date,
            row.hazard.as_deref().unwrap_or("-"),
            row.task.as_deref().unwrap_or("-")
        );
        for e in &events {
            println!(
                "  {}  {:<18} {}{}",
                e.at,
                e.kind,
                e.actor,
                e.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            );
        }
        println!("{}", serde_json::to_string_pretty(&body)?);
        if let Some(p) = &personal {
            println!("Personal data (victims, in order): {}", serde_json::to_string_pretty(p)?);
        }
    }
    Ok(())
}

/// `report submit FILE [--attach PATH…]`: the report and its files in one
/// transaction, every file read and judged before the register is written.
fn submit(
    db: &Location,
    who: &Credentials,
    file: &std::path::Path,
    attach: &crate::attachments::AttachArgs,
    now: OffsetDateTime,
) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let r = report::parse(&text).with_context(|| file.display().to_string())?;
    let problems = report::check_shape(&r, now.date());
    if !problems.is_empty() {
        anyhow::bail!("{}: the report cannot be submitted:\n  - {}", file.display(), problems.join("\n  - "));
    }
    let files = attach.read(db)?;
    let mut store = Store::open(db)?;
    let p = who.principal(&store)?;
    let org = store.organisation(&r.organisation)?.with_context(|| {
        format!("{}: organisation '{}' is not in the register", file.display(), r.organisation)
    })?;
    authorize(&p, Action::SubmitReport, Scope::Report { organisation: org, report_type: r.report_type })?;
    let id = store
        .write(|w| {
            let id = w.submit(&r, &p.name, now)?;
            attach.attach(w, id, &files, (&p.name, now))?;
            Ok(id)
        })
        .with_context(|| file.display().to_string())?;
    println!("{id}");
    Ok(())
}

pub fn history(db: &Location, key: &str, json: bool) -> Result<()> {
    let store = Store::open(db)?;
    let versions = store.hazard_history(key)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&versions)?);
    } else {
        for v in &versions {
            println!(
                "v{:<3} {} → {:<20} {:<11} {:<3} recorded {:>11.1} m², remaining {:>11.1} m²  {} {} by {}",
                v.version,
                v.valid_from,
                v.valid_to.as_deref().unwrap_or("now"),
                v.status,
                v.kind,
                v.area_m2.recorded,
                v.area_m2.remaining,
                v.report_type.map_or("-", |t| t.code()),
                v.report_id.map_or_else(|| "-".to_string(), |r| r.to_string()),
                v.actor.as_deref().unwrap_or("-"),
            );
        }
    }
    Ok(())
}

pub fn trace(db: &Location, position: &str, json: bool) -> Result<()> {
    let p = safeground_core::coords::parse_position(position)
        .with_context(|| format!("position '{position}'"))?;
    let store = Store::open(db)?;
    let rows = store.trace(p.position.into())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            let from = r.feature.as_ref().map(|f| format!(" (imported from {f})")).unwrap_or_default();
            println!(
                "{}  {:<13} {:<10} {:<5} {}  {}: {}{from}",
                r.report_id,
                r.report_type,
                r.state,
                r.organisation,
                r.decided_at.as_deref().unwrap_or("-"),
                r.hazard,
                r.what
            );
        }
        println!(
            "{} reports touched the ground at {}",
            rows.len(),
            safeground_core::coords::format_dd(p.position, 6)
        );
    }
    Ok(())
}
