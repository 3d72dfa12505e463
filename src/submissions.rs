//! `report import-submissions` and `report submit-draft`: KoBoToolbox and ODK
//! Central exports of the forms in forms/ become DRAFT reports.

use anyhow::{Context, Result};
use clap::Args;
use safeground_exchange::submissions::{draft, Request, SubmissionsError};
use safeground_formats::xlsform::FormKind;
use safeground_store::Location;
use safeground_store::{DraftOutcome, Store};
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

pub fn import(db: &Location, actor: &str, args: &ImportArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let input = std::fs::File::open(&args.file).with_context(|| format!("reading {name}"))?;
    let req = Request {
        name: name.clone(),
        form: args.form,
        organisation: args.organisation.clone(),
        keep_going: args.keep_going,
    };
    let mut store = Store::open(db)?;
    let d = draft(&mut store, (actor, &|_| Ok(())), &req, std::io::BufReader::new(input)).map_err(
        |e| match e {
            SubmissionsError::NotAnExport(e) => anyhow::Error::from(e),
            SubmissionsError::Store(e) => anyhow::Error::from(e).context(format!("importing {name}")),
        },
    )?;
    for line in d.rejections() {
        eprintln!("rejected: {line}");
    }
    for (i, o) in &d.outcomes {
        match o {
            DraftOutcome::Drafted(id) if d.committed => println!("drafted {id}  ({})", d.at(*i)),
            DraftOutcome::AlreadyImported { id, state } => {
                println!("already imported {id} ({state})  ({})", d.at(*i))
            }
            _ => {}
        }
    }
    println!("{}", d.said());
    if !d.rejected.is_empty() {
        let path = args
            .reject
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{name}.rejects.{}", d.reject_extension())));
        let part = PathBuf::from(format!("{}.part", path.display()));
        let out = std::fs::File::create(&part).with_context(|| format!("writing {}", part.display()))?;
        d.write_rejects(std::io::BufWriter::new(out))
            .with_context(|| format!("writing {}", part.display()))?;
        std::fs::rename(&part, &path).with_context(|| format!("writing {}", path.display()))?;
        println!("rejected submissions written to {}", path.display());
        if !d.committed {
            anyhow::bail!(
                "{} of {} submissions rejected: nothing was saved. Correct them and import the file again, or \
                 pass --keep-going to draft the good ones",
                d.rejected.len(),
                d.export.rows.len()
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
