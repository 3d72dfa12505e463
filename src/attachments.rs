//! `report submit --attach`, `report attach`, `report attachments`,
//! `report attachment`: files attached to reports on the command line.

use crate::auth::{authorize, Credentials};
use anyhow::{Context, Result};
use clap::Args;
use safeground_core::access::{Action, Scope};
use safeground_core::attachment::{Judged, Limits};
use safeground_core::codes::AttachmentKind;
use safeground_core::ids::{AttachmentId, ReportId};
use safeground_store::{AttachmentRow, Location, NewAttachment, Store, Writer};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The files given with `--attach`, and what they are.
#[derive(Debug, Args, Default)]
pub struct AttachArgs {
    /// A file to attach (a photograph, a scanned form, a sketch map, a GPS
    /// track); repeat for several.
    #[arg(long = "attach", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// What the files show: PHOTO, SCANNED_FORM, SKETCH_MAP or GPS_TRACK
    /// (by default what each file's type usually is).
    #[arg(long)]
    pub kind: Option<AttachmentKind>,
    /// The files are personal data (a victim's photograph): only accounts
    /// with the personal-data permission see them. An accident report's
    /// files are, unless --not-personal.
    #[arg(long, conflicts_with = "not_personal")]
    pub personal: bool,
    /// The files are not personal data (an accident's site, not its victims).
    #[arg(long)]
    pub not_personal: bool,
    /// The largest file (MB) that may be attached.
    #[arg(long, default_value_t = safeground_core::attachment::DEFAULT_MAX_BYTES >> 20, value_name = "MB")]
    pub max_attachment_mb: u64,
}

/// A file read and judged, ready to attach.
pub struct Ready {
    name: String,
    bytes: Vec<u8>,
    judged: Judged,
}

impl AttachArgs {
    fn personal(&self) -> Option<bool> {
        match (self.personal, self.not_personal) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }

    fn limits(&self) -> Limits {
        Limits { max_bytes: self.max_attachment_mb.saturating_mul(1 << 20) }
    }

    /// Reads and judges every file before the register is touched; the
    /// first that cannot be attached stops the command, named.
    pub fn read(&self, db: &Location) -> Result<Vec<Ready>> {
        let limits = self.limits();
        let mut out = Vec::new();
        for path in &self.files {
            if crate::is_register(db, path) {
                anyhow::bail!("{} is the register itself (--db): attach another file", path.display());
            }
            let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
            if size > limits.max_bytes {
                anyhow::bail!(
                    "{}: {size} bytes is more than the {} MB an attachment may be (--max-attachment-mb); send a smaller copy",
                    path.display(),
                    self.max_attachment_mb
                );
            }
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let judged = safeground_media::inspect(&bytes)
                .with_context(|| format!("{} cannot be attached", path.display()))?;
            let name =
                path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
            out.push(Ready { name, bytes, judged });
        }
        Ok(out)
    }

    /// Attaches `files` to report `id` in the writer's transaction.
    pub fn attach(
        &self,
        w: &mut Writer<'_>,
        id: ReportId,
        files: &[Ready],
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<Vec<AttachmentId>, safeground_store::StoreError> {
        let limits = self.limits();
        files
            .iter()
            .map(|f| {
                let file = NewAttachment {
                    name: &f.name,
                    kind: self.kind,
                    personal: self.personal(),
                    bytes: &f.bytes,
                    judged: &f.judged,
                };
                w.attach(id, &file, &limits, (actor, at))
            })
            .collect()
    }
}

/// `report attach ID --attach PATH…`: files added to a draft or a report
/// awaiting its decision, all or none.
pub fn attach(db: &Location, who: &Credentials, id: ReportId, args: &AttachArgs) -> Result<()> {
    if args.files.is_empty() {
        anyhow::bail!("name the files to attach with --attach PATH (repeat it for several)");
    }
    let files = args.read(db)?;
    let mut store = Store::open(db)?;
    let p = who.principal(&store)?;
    let row = store.report_row(id)?;
    let org =
        store.organisation(&row.organisation)?.with_context(|| format!("report {id}'s organisation"))?;
    authorize(&p, Action::SubmitReport, Scope::Report { organisation: org, report_type: row.report_type })?;
    let now = OffsetDateTime::now_utc();
    let ids = store.write(|w| args.attach(w, id, &files, (&p.name, now)))?;
    for (a, f) in ids.iter().zip(&files) {
        println!("{a}  {}", f.name);
    }
    Ok(())
}

/// `report attachments ID`: a report's files, with where each photograph
/// was taken against what the report describes.
pub fn list(db: &Location, who: &Credentials, id: ReportId, json: bool) -> Result<()> {
    let store = Store::open(db)?;
    let p = who.principal(&store)?;
    let row = store.report_row(id)?;
    let org = store.organisation(&row.organisation)?.unwrap_or_default();
    authorize(&p, Action::ReadReports, Scope::Organisation(org))?;
    let personal = authorize(&p, Action::ReadPersonal, Scope::Any).is_ok();
    let rows = store.attachments(id, personal)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for a in &rows {
        println!("{}", line(a));
    }
    println!("{} attachments", rows.len());
    Ok(())
}

fn line(a: &AttachmentRow) -> String {
    let place = match (a.position, a.distance_m) {
        (Some([lon, lat]), Some(d)) => {
            format!("  taken at {lat:.6} {lon:.6}, {d:.0} m from the report's nearest point")
        }
        (Some([lon, lat]), None) => format!("  taken at {lat:.6} {lon:.6}"),
        _ => String::new(),
    };
    format!(
        "{}  {:<12} {:<4} {:>10} B  {}{}{}{}",
        a.id,
        a.kind,
        a.media,
        a.size,
        a.file_name,
        if a.personal { "  (personal)" } else { "" },
        a.taken_at.as_deref().map(|t| format!("  {t}")).unwrap_or_default(),
        place
    )
}

/// `report attachment ATTACHMENT --out PATH`: the file (or its thumbnail)
/// written whole, as its bytes were sent.
pub fn save(
    db: &Location,
    who: &Credentials,
    id: AttachmentId,
    out: &Path,
    thumbnail: bool,
    force: bool,
) -> Result<()> {
    crate::print::check_out(db, out, force)?;
    let store = Store::open(db)?;
    let p = who.principal(&store)?;
    let personal = authorize(&p, Action::ReadPersonal, Scope::Any).is_ok();
    let (row, bytes) = store.attachment(id, personal, thumbnail)?.with_context(|| {
        format!(
            "attachment {id} is not in the register{}",
            if thumbnail { " or has no thumbnail" } else { "" }
        )
    })?;
    let report = store.report_row(row.report)?;
    let org = store.organisation(&report.organisation)?.unwrap_or_default();
    authorize(&p, Action::ReadReports, Scope::Organisation(org))?;
    crate::print::write_whole(out, |_, f| {
        use std::io::Write;
        f.write_all(&bytes)?;
        Ok(())
    })?;
    println!("{} ({} bytes)", out.display(), bytes.len());
    Ok(())
}
