//! `report import-submissions` and `report submit-draft`: KoBoToolbox and ODK
//! Central exports of the forms in forms/ become DRAFT reports.

use anyhow::{Context, Result};
use clap::Args;
use safeground_core::report;
use safeground_formats::kobo::{self, Format};
use safeground_formats::xlsform::FormKind;
use safeground_store::Location;
use safeground_store::{DraftOutcome, Store, StoreError};
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export: CSV (`,` or `;`) or JSON (KoBo API, plain array, ODK Central).
    pub file: PathBuf,
    /// The form the submissions were made with.
    #[arg(long, value_parser = parse_form)]
    pub form: FormKind,
    /// The author of submissions that name no organisation; submissions naming
    /// another are rejected.
    #[arg(long, value_name = "ACRONYM")]
    pub organisation: Option<String>,
    /// Draft the good submissions even when some are rejected (by default
    /// nothing is saved unless every submission is good).
    #[arg(long)]
    pub keep_going: bool,
    /// Where to write the rejected submissions, in the export's format with a
    /// `_reject_reason`; default FILE.rejects.csv or FILE.rejects.json beside it.
    #[arg(long, value_name = "FILE")]
    pub reject: Option<PathBuf>,
}

fn parse_form(s: &str) -> Result<FormKind, String> {
    s.parse()
}

fn reasons(e: &kobo::RowError) -> String {
    e.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
}

pub fn import(db: &Location, actor: &str, args: &ImportArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let input = std::fs::File::open(&args.file).with_context(|| format!("reading {name}"))?;
    let export = kobo::read(&name, std::io::BufReader::new(input), args.form, args.organisation.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let mut rejected: Vec<(usize, String)> = Vec::new();
    let mut good = Vec::new();
    for (i, row) in export.rows.iter().enumerate() {
        match &row.outcome {
            Err(e) => rejected.push((i, reasons(e))),
            Ok(d) => {
                let mut problems = report::check_shape(&d.report, now.date());
                if let Some(org) = &args.organisation {
                    if !d.report.organisation.eq_ignore_ascii_case(org) {
                        problems.push(format!(
                            "field 'organisation': the submission is {}'s, not {org}'s",
                            d.report.organisation
                        ));
                    }
                }
                if problems.is_empty() {
                    good.push((i, d));
                } else {
                    rejected.push((i, problems.join("; ")));
                }
            }
        }
    }
    let mut store = Store::open(db)?;
    let mut outcomes: Vec<(usize, DraftOutcome)> = Vec::new();
    let mut refused: Vec<(usize, String)> = Vec::new();
    let keep_going = args.keep_going;
    let parse_rejects = rejected.len();
    let saved = store.write(|w| {
        for (i, d) in &good {
            match w.save_draft(&d.report, actor, now, &d.source) {
                Ok(o) => outcomes.push((*i, o)),
                // The register does not know a reference: this row only.
                Err(e @ (StoreError::Refused { .. } | StoreError::Unknown { .. })) => {
                    refused.push((*i, e.to_string().replace('\n', " ")))
                }
                Err(e) => return Err(e),
            }
        }
        if !keep_going && parse_rejects + refused.len() > 0 {
            return Err(StoreError::Invalid {
                record: name.clone(),
                problem: "some submissions were rejected".into(),
            });
        }
        Ok(())
    });
    let rolled_back = match saved {
        Ok(()) => false,
        Err(StoreError::Invalid { record, .. }) if record == name && !keep_going => true,
        Err(e) => return Err(e).with_context(|| format!("importing {name}")),
    };
    rejected.extend(refused);
    rejected.sort_by_key(|r| r.0);
    for (i, reason) in &rejected {
        if let Some(row) = export.rows.get(*i) {
            eprintln!("rejected: {name}, {}: {reason}", row.at);
        }
    }
    let already = outcomes.iter().filter(|(_, o)| matches!(o, DraftOutcome::AlreadyImported { .. })).count();
    let drafted = if rolled_back { 0 } else { outcomes.len() - already };
    for (i, o) in &outcomes {
        let at = export.rows.get(*i).map(|r| r.at.to_string()).unwrap_or_default();
        match o {
            DraftOutcome::Drafted(id) if !rolled_back => println!("drafted {id}  ({at})"),
            DraftOutcome::AlreadyImported { id, state } => {
                println!("already imported {id} ({state})  ({at})")
            }
            _ => {}
        }
    }
    println!(
        "read {}, drafted {drafted}, rejected {} (already imported {already})",
        export.rows.len(),
        rejected.len()
    );
    if !rejected.is_empty() {
        let path = args.reject.clone().unwrap_or_else(|| {
            let ext = match export.format {
                Format::Csv { .. } => "csv",
                Format::Json => "json",
            };
            PathBuf::from(format!("{name}.rejects.{ext}"))
        });
        let part = PathBuf::from(format!("{}.part", path.display()));
        let out = std::fs::File::create(&part).with_context(|| format!("writing {}", part.display()))?;
        kobo::write_rejects(&export, &rejected, std::io::BufWriter::new(out))
            .with_context(|| format!("writing {}", part.display()))?;
        std::fs::rename(&part, &path).with_context(|| format!("writing {}", path.display()))?;
        println!("rejected submissions written to {}", path.display());
        if rolled_back {
            anyhow::bail!(
                "{} of {} submissions rejected: nothing was saved. Correct them and import the file again, or \
                 pass --keep-going to draft the good ones",
                rejected.len(),
                export.rows.len()
            );
        }
    }
    Ok(())
}

pub fn submit_draft(db: &Location, actor: &str, id: safeground_core::ids::ReportId) -> Result<()> {
    Store::open(db)?.submit_draft(id, actor, OffsetDateTime::now_utc())?;
    println!("submitted {id}");
    Ok(())
}
