//! `checkout` and `sync`: field copies of a district, made from the
//! register, worked on offline, and sent home.

use crate::auth::{authorize, Credentials};
use crate::remote::{is_remote, with_suffix, Remote};
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::access::{decide, may_submit, Action, Principal, Role, Scope};
use safeground_core::attachment::Limits;
use safeground_core::ids::ReportId;
use safeground_store::{
    AuditHead, Bundle, Checkout, Location, Outbox, Received, Store, StoreError, SyncRules, Synced,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
    /// Instead of `--db`: the register's server (https://HOST), whose API
    /// makes the copy and hands it over in chunks, resumed where a broken
    /// link left it, to the account of SAFEGROUND_TOKEN.
    #[arg(long, value_name = "https://HOST")]
    pub from: Option<String>,
    #[command(flatten)]
    pub link: Link,
    /// Print what was copied as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// How the register's server is reached over HTTPS.
#[derive(Debug, clap::Args)]
pub struct Link {
    /// The certificates (PEM) that the server's certificate is checked
    /// against, for an authority with its own certificate authority; the
    /// Mozilla roots otherwise.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The size of each chunk sent or fetched (KiB, 4 to 8192): small
    /// over a satellite link, where a chunk cut off is sent again.
    #[arg(long, default_value_t = 1024, value_name = "KiB")]
    pub chunk_kb: u64,
}

#[derive(Debug, clap::Args)]
#[group(id = "way", required = true, multiple = false, args = ["to", "export_bundle", "import_bundle"])]
pub struct SyncArgs {
    /// The register the copy was made from: a GeoPackage file, a
    /// PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE), or its server
    /// (https://HOST: the reports go as a bundle signed with SAFEGROUND_TOKEN,
    /// in chunks, resumed where a broken link left it). `--db` names the
    /// field copy.
    #[arg(long, value_name = "PATH|URL")]
    pub to: Option<String>,
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
    #[command(flatten)]
    pub link: Link,
    /// Print what was sent as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn checkout(db: &Location, who: &Credentials, args: &CheckoutArgs) -> Result<()> {
    if let Some(url) = &args.from {
        return checkout_remote(url, args);
    }
    let store = Store::open(db)?;
    let p = who.principal(&store)?;
    // A copy holds every organisation's reports on the district's ground:
    // for those who read them all (the authority's officers), who hand it on.
    authorize(&p, Action::ReadRegister, Scope::Any)?;
    authorize(&p, Action::ReadReports, Scope::EveryOrganisation)?;
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
    said_copied(&c, args.json)
}

/// `checkout --from https://…`: the copy made by the register's server,
/// fetched, and checked to be a field copy whose history verifies.
fn checkout_remote(url: &str, args: &CheckoutArgs) -> Result<()> {
    let remote = Remote::new(url, args.link.ca_file.as_deref(), args.link.chunk_kb)?;
    if args.to.exists() {
        bail!(
            "{} already exists: choose another path, or remove it first if you really mean to replace it",
            args.to.display()
        );
    }
    let scope = safeground_store::Scope {
        district: args.district.clone(),
        organisation: args.organisation.clone(),
        reports: Vec::new(),
    };
    let c = remote.fetch_copy(&scope, None, &with_suffix(&args.to, ".part"), &args.to)?;
    said_copied(&Checkout { to: args.to.display().to_string(), ..c }, args.json)
}

fn said_copied(c: &Checkout, json: bool) -> Result<()> {
    if json {
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
    move |organisation, report_type| may_submit(p, organisation, report_type)
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
    if is_remote(to) {
        return sync_remote(copy, to, args);
    }
    let to: Location = to.parse()?;
    let mut register = Store::open(&to)?;
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
    said_synced(&s, args.json, &register.path().display().to_string())
}

/// What a sync did, and a failure when a report did not go home.
fn said_synced(s: &Synced, json: bool, register: &str) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        said(&s.sent, &s.failed, register);
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
fn said(sent: &[(ReportId, Received)], failed: &[(ReportId, String)], register: &str) {
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
            "{stored} reports sent to {register} ({flagged} flagged for the IM officer, {} sent before).",
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
        said(&sent, &failed, &register.path().display().to_string());
    }
    if !failed.is_empty() {
        bail!("{} reports of the bundle could not be stored; the others were", failed.len());
    }
    Ok(())
}

/// `sync --to https://…`: the copy's reports sent as a signed bundle in
/// chunks and imported by the register's server, then the copy made again
/// there and fetched in chunks, its drafts carried over.
fn sync_remote(copy: &Path, url: &str, args: &SyncArgs) -> Result<()> {
    let remote = Remote::new(url, args.link.ca_file.as_deref(), args.link.chunk_kb)?;
    let (actor, role) = remote.account()?;
    // A copy holds every organisation's reports on its ground: made again
    // only for an account that reads them all.
    let may_copy = role.parse::<Role>().is_ok_and(|r| {
        decide(&Principal::user(&actor, r, None, false), Action::ReadReports, Scope::EveryOrganisation)
            .is_ok()
    });
    let outbox = Outbox::open(copy)?;
    let now = OffsetDateTime::now_utc();
    let mut s = Synced { sent: Vec::new(), failed: Vec::new(), drafts: 0, refreshed: None };
    if !outbox.submitted().is_empty() {
        let bundle = remote.send_bundle(&with_suffix(copy, ".outbox"), outbox.head(), &mut |out| {
            safeground_store::export_bundle(copy, out, remote.token(), now)?;
            Ok(())
        })?;
        (s.sent, s.failed) = (bundle.sent, bundle.failed);
    }
    if s.failed.is_empty() && !may_copy {
        said_synced(&s, args.json, remote.url())?;
        eprintln!(
            "The field copy was not made again: it holds every organisation's reports on its ground, and {actor} ({role}) \
             reads only its own organisation's. Ask the IM officer for a new copy, or sync with an IM officer's token."
        );
        return Ok(());
    }
    if s.failed.is_empty() {
        let limits = Limits { max_bytes: args.max_attachment_mb.saturating_mul(1 << 20) };
        let part = with_suffix(copy, ".part");
        let from = AuditHead { seq: outbox.origin.origin_seq, hash: outbox.origin.origin_hash.clone() };
        let mut fetch = |tmp: &Path, scope: &safeground_store::Scope| {
            remote.fetch_copy(scope, Some(&from), &part, tmp).map_err(|e| StoreError::Invalid {
                record: remote.url().to_string(),
                problem: format!("{e:#}"),
            })
        };
        let (c, drafts) = outbox.renew(copy, &mut fetch, &limits, (&actor, now))?;
        (s.drafts, s.refreshed) = (drafts, Some(c));
        // What was sent is the old copy's: the new one starts afresh.
        let _ = std::fs::remove_file(with_suffix(copy, ".outbox.json"));
    }
    said_synced(&s, args.json, remote.url())
}
