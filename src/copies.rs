//! `checkout` and `sync`: field copies of a district, made from the
//! register, worked on offline, and sent home.

use crate::auth::{authorize, Credentials};
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::access::{decide, Action, Principal, Scope};
use safeground_core::attachment::Limits;
use safeground_core::ids::ReportId;
use safeground_store::{Bundle, Location, Received, Store, SyncRules};
use std::io::IsTerminal;
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, clap::Args)]
pub struct CheckoutArgs {
    /// The district to copy, by name or id.
    #[arg(long)]
    pub district: String,
    /// The organisation whose tasks are copied, by acronym or id (every
    /// organisation's when not given).
    #[arg(long)]
    pub organisation: Option<String>,
    /// The field copy: a GeoPackage file that does not exist yet.
    #[arg(long, value_name = "FIELD.gpkg")]
    pub to: PathBuf,
    /// Print what was copied as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
#[group(id = "way", required = true, multiple = false, args = ["to", "export_bundle", "import_bundle"])]
pub struct SyncArgs {
    /// The register the copy was made from: a GeoPackage file or a
    /// PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE). `--db` names the
    /// field copy.
    #[arg(long, value_name = "PATH|URL")]
    pub to: Option<Location>,
    /// Instead: write the copy's (`--db`) submitted reports and their files
    /// into a bundle to carry to the register, signed with the team's API
    /// token (SAFEGROUND_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub export_bundle: Option<PathBuf>,
    /// Instead: store a bundle's reports in the register (`--db`), as the
    /// account whose token signed it sent them.
    #[arg(long, value_name = "FILE")]
    pub import_bundle: Option<PathBuf>,
    /// The largest file (MB) the register takes.
    #[arg(long, default_value_t = safeground_core::attachment::DEFAULT_MAX_BYTES >> 20, value_name = "MB")]
    pub max_attachment_mb: u64,
    /// Print what was sent as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn checkout(db: &Location, who: &Credentials, args: &CheckoutArgs) -> Result<()> {
    let store = Store::open(db)?;
    let p = who.principal(&store)?;
    // A copy holds every organisation's reports on the district's ground:
    // for those who read them all (the authority's officers), who hand it on.
    authorize(&p, Action::ReadRegister, Scope::Any)?;
    authorize(&p, Action::ReadReports, Scope::Any)?;
    authorize(&p, Action::Export, Scope::Any)?;
    let c = store.checkout(
        &args.to,
        &safeground_store::Scope {
            district: args.district.clone(),
            organisation: args.organisation.clone(),
            reports: Vec::new(),
        },
        (&p.name, OffsetDateTime::now_utc()),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
        return Ok(());
    }
    for (table, rows) in &c.tables {
        println!("{table:<16} {rows:>8}");
    }
    let rows: u64 = c.tables.iter().map(|(_, n)| n).sum();
    println!(
        "Field copy of district {}{} written to {}: {rows} rows from {} as of event {} ({}).",
        c.district,
        c.organisation.as_deref().map(|o| format!(" for {o}")).unwrap_or_default(),
        c.to,
        c.origin.origin,
        c.origin.origin_seq,
        &c.origin.origin_hash[..c.origin.origin_hash.len().min(16)]
    );
    println!(
        "Submit reports on it with --db {}; send them home with `safeground --db {} sync --to …`.",
        c.to, c.to
    );
    Ok(())
}

/// Whether `p` may submit a report of `organisation` and `report_type`.
fn may(p: &Principal) -> impl Fn(uuid::Uuid, safeground_core::report::ReportType) -> Result<(), String> + '_ {
    move |organisation, report_type| {
        decide(p, Action::SubmitReport, Scope::Report { organisation, report_type })
            .map_err(|d| format!("denied: {d}"))
    }
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("Sending reports [{bar:40}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// The bar's step as reports go.
fn step(bar: &ProgressBar) -> impl FnMut(usize, usize) + '_ {
    |done, all| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    }
}

fn judge(bytes: &[u8]) -> Result<safeground_core::attachment::Judged, String> {
    safeground_media::inspect(bytes).map_err(|e| e.to_string())
}

pub fn sync(db: &Location, who: &Credentials, args: &SyncArgs) -> Result<()> {
    if let Some(out) = &args.export_bundle {
        return export_bundle(db, out);
    }
    if let Some(file) = &args.import_bundle {
        return import_bundle(db, who, file, args);
    }
    let (Some(copy), Some(to)) = (db.file(), &args.to) else {
        bail!("--db names the field copy, a GeoPackage file; --to names the register")
    };
    let mut register = Store::open(to)?;
    let p = who.principal(&register)?;
    authorize(&p, Action::SubmitReport, Scope::Any)?;
    let limits = Limits { max_bytes: args.max_attachment_mb.saturating_mul(1 << 20) };
    let bar = bar();
    let may = may(&p);
    let s = safeground_store::sync_copy(
        copy,
        &mut register,
        SyncRules { limits: &limits, may: &may, judge: &judge },
        (&p.name, OffsetDateTime::now_utc()),
        &mut step(&bar),
    )?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        said(&s.sent, &s.failed, &register);
        if let Some(c) = &s.refreshed {
            println!(
                "{} made again as of event {} of the register, {} drafts carried over.",
                c.to, c.origin.origin_seq, s.drafts
            );
        }
    }
    if !s.failed.is_empty() {
        bail!(
            "{} reports could not be sent and stay on the field copy, which was not made again; mend them (or ask the IM officer) and run sync again",
            s.failed.len()
        );
    }
    Ok(())
}

/// What became of each report sent, and the count.
fn said(sent: &[(ReportId, Received)], failed: &[(ReportId, String)], register: &Store) {
    {
        for (id, r) in sent {
            match r {
                Received::Stored { files, flag: None } => println!("sent    {id} ({files} files)"),
                Received::Stored { files, flag: Some(f) } => {
                    println!("FLAGGED {id} ({files} files): {f}")
                }
                Received::AlreadyThere => println!("there   {id} (sent before)"),
            }
        }
        for (id, why) in failed {
            println!("NOT SENT {id}: {why}");
        }
        let stored = sent.iter().filter(|(_, r)| *r != Received::AlreadyThere).count();
        let flagged =
            sent.iter().filter(|(_, r)| matches!(r, Received::Stored { flag: Some(_), .. })).count();
        println!(
            "{stored} reports sent to {} ({flagged} flagged for the IM officer, {} sent before).",
            register.path().display(),
            sent.len() - stored
        );
    }
}

/// `sync --export-bundle`: the copy's reports into a signed file.
fn export_bundle(db: &Location, out: &std::path::Path) -> Result<()> {
    let Some(copy) = db.file() else { bail!("--db names the field copy, a GeoPackage file") };
    let token = std::env::var("SAFEGROUND_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        bail!("a bundle is signed with the team's API token: set SAFEGROUND_TOKEN to it (an administrator issues one with `safeground user token NAME`)");
    }
    let n = safeground_store::export_bundle(copy, out, &token, OffsetDateTime::now_utc())?;
    println!(
        "{n} reports written to {}, signed with the team's token; carry it to the register and run `safeground --db REGISTER sync --import-bundle {}`.",
        out.display(),
        out.display()
    );
    Ok(())
}

/// `sync --import-bundle`: a bundle's reports into the register, as its signer sent them.
fn import_bundle(db: &Location, who: &Credentials, file: &std::path::Path, args: &SyncArgs) -> Result<()> {
    let mut register = Store::open(db)?;
    // Whoever carries the bundle in is someone the register knows; the
    // reports are the signer's, and what the signer may submit decides.
    who.principal(&register)?;
    let bundle = Bundle::open(file, &register)?;
    let sender = bundle.sender.clone();
    authorize(&sender, Action::SubmitReport, Scope::Any)?;
    let limits = Limits { max_bytes: args.max_attachment_mb.saturating_mul(1 << 20) };
    let may = may(&sender);
    let bar = bar();
    let (sent, failed) = bundle.import(
        &mut register,
        SyncRules { limits: &limits, may: &may, judge: &judge },
        OffsetDateTime::now_utc(),
        &mut step(&bar),
    )?;
    bar.finish_and_clear();
    if args.json {
        let j = serde_json::json!({ "sender": sender.name, "sent": sent, "failed": failed });
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        println!("A bundle signed by {}:", sender.name);
        said(&sent, &failed, &register);
    }
    if !failed.is_empty() {
        bail!("{} reports of the bundle could not be stored; the others were", failed.len());
    }
    Ok(())
}
