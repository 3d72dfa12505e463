//! A field copy comes home: `safeground sync` sends the reports a team
//! submitted on its copy (with their files) to the register, flags those
//! made on ground that changed meanwhile, and makes the copy again.
//!
//! Invariants:
//! - A report travels with its own id, in one transaction of the register
//!   with its files and its flag: it is there whole or not at all. Sent
//!   again it is found there (the same body) and left alone, so a sync cut
//!   at any point and run again ends as one run would.
//! - A report on ground the register changed since the copy was made is
//!   stored with a SYNC_FLAGGED event saying what changed
//!   (`core::field_copy`): never merged, never dropped.
//! - The copy is replaced only when every submitted report is in the
//!   register: made again beside it (its drafts carried over), then renamed
//!   over it. A copy some other program has open is not replaced.

use crate::checkout::{CopyOrigin, Scope};
use crate::db::OptionalExtension;
use crate::read::stored_code;
use crate::reports::{refused, time_text};
use crate::write::Writer;
use crate::{Checkout, NewAttachment, Store, StoreError};
use safeground_core::attachment::{Judged, Limits};
use safeground_core::codes::{AttachmentKind, HazardStatus, MediaType};
use safeground_core::field_copy::{changes, describe, HazardState};
use safeground_core::ids::ReportId;
use safeground_core::report::Report;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A report of the copy's own, as it goes home.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: ReportId,
    pub report: Report,
    /// As stored (without personal data): what the register must hold.
    pub(crate) body: String,
    pub(crate) submitted_at: String,
    pub(crate) submitted_by: String,
    pub(crate) files: Vec<StoredFile>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) name: String,
    pub(crate) kind: AttachmentKind,
    pub(crate) personal: bool,
    pub(crate) bytes: Vec<u8>,
    pub(crate) judged: Judged,
}

impl StoredFile {
    /// The file to attach again, as `judged`.
    fn attachment<'a>(&'a self, judged: &'a Judged) -> NewAttachment<'a> {
        NewAttachment {
            name: &self.name,
            kind: Some(self.kind),
            personal: Some(self.personal),
            bytes: &self.bytes,
            judged,
        }
    }
}

/// What the register asks of what a copy sends: the caller's rules, since
/// the store knows neither accounts nor file formats.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// The largest file taken.
    pub limits: &'a Limits,
    /// Whether the one syncing may submit a report of this organisation
    /// and type to the register; why not, if not.
    pub may: &'a dyn Fn(uuid::Uuid, safeground_core::report::ReportType) -> Result<(), String>,
    /// What a file is, judged again from its bytes (`safeground_media::inspect`):
    /// a copy's own judgement is not taken on trust.
    pub judge: &'a dyn Fn(&[u8]) -> Result<Judged, String>,
}

/// What became of one report sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Received {
    /// Stored now, with its files and, if its ground changed, the flag.
    Stored { files: usize, flag: Option<String> },
    /// In the register already (a sync run before).
    AlreadyThere,
}

/// What a sync did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Synced {
    /// Each submitted report sent and what became of it.
    pub sent: Vec<(ReportId, Received)>,
    /// Reports that could not be sent, with why: they stay on the copy,
    /// which is then not made again.
    pub failed: Vec<(ReportId, String)>,
    /// Drafts carried over to the copy made again (drafts stay on the copy).
    pub drafts: usize,
    /// The copy made again, when every report went home.
    pub refreshed: Option<Checkout>,
}

const HAZARD_STATE: &str = include_str!("../sql/sync/hazard_now.sql");
const HAZARD_THEN: &str = include_str!("../sql/sync/hazard_then.sql");

fn hazard_row(r: &crate::db::Row<'_>) -> Result<(String, String, HazardState), StoreError> {
    let status: String = r.get(3)?;
    Ok((
        r.get(0)?,
        r.get(1)?,
        HazardState {
            version: r.get(2)?,
            status: stored_code::<HazardStatus>(&status, "hazard")?,
            remaining_m2: r.get(4)?,
            released_m2: r.get(5)?,
            made_on: r.get(6)?,
        },
    ))
}

fn hazard_state(db: &crate::db::Db, id: &str) -> Result<Option<(String, String, HazardState)>, StoreError> {
    db.query_row(HAZARD_STATE, [id], hazard_row).optional()
}

impl Store {
    /// On a field copy, the reports made on it (id and state), oldest first.
    pub fn own_reports(&self) -> Result<Vec<(ReportId, String)>, StoreError> {
        let o = self.require_copy()?;
        self.conn
            .prepare(
                "SELECT r.id, r.state, min(e.seq) AS first FROM reports r JOIN events e ON e.report_id = r.id
                 WHERE e.seq > ?1 AND e.kind IN ('REPORT_SUBMITTED', 'REPORT_DRAFTED')
                 GROUP BY r.id, r.state ORDER BY first",
            )?
            .query_map([o.origin_seq], |r| Ok((crate::reports::stored_id(r.get(0)?)?, r.get(1)?)))?
            .collect()
    }

    /// Whether this register's history holds event `seq` with `hash` (a
    /// copy made from it starts from one; none before any event).
    pub fn has_event(&self, seq: i64, hash: &str) -> Result<bool, StoreError> {
        if seq == 0 {
            return Ok(hash == crate::audit::GENESIS);
        }
        self.conn.query_row(
            "SELECT count(*) > 0 FROM events WHERE seq = ?1 AND hash = ?2",
            rusqlite::params![seq, hash],
            |r| r.get(0),
        )
    }

    /// The reports on this copy awaiting a decision, of its organisation
    /// (all, without one): the copy made again shows what became of them,
    /// a rejection included, once.
    fn undecided_reports(&self, organisation: Option<&str>) -> Result<Vec<ReportId>, StoreError> {
        self.conn
            .prepare(
                "SELECT id FROM reports WHERE state = 'SUBMITTED'
                   AND (CAST(?1 AS TEXT) IS NULL OR organisation_id = ?1) ORDER BY fid",
            )?
            .query_map([organisation], |r| crate::reports::stored_id(r.get(0)?))?
            .collect()
    }

    fn require_copy(&self) -> Result<CopyOrigin, StoreError> {
        self.copy_origin()?.ok_or_else(|| StoreError::Invalid {
            record: self.path.display().to_string(),
            problem: "it is not a field copy: make one with `safeground checkout`".into(),
        })
    }

    /// A report of this copy's own with everything it takes home.
    pub fn outgoing(&self, id: ReportId) -> Result<Outgoing, StoreError> {
        let key = id.to_string();
        let (report, _, _, _) = crate::reports::load(&self.conn, &key)?;
        let (body, submitted_at, submitted_by): (String, String, String) = self.conn.query_row(
            "SELECT body, submitted_at, submitted_by FROM reports WHERE id = ?1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let files = self
            .conn
            .prepare(
                "SELECT file_name, kind, personal, data, content_type, width, height, exif_lon, exif_lat,
                   taken_at, thumbnail FROM attachments WHERE report_id = ?1 ORDER BY id",
            )?
            .query_map([&key], |r| {
                let content_type: String = r.get(4)?;
                let media = MediaType::from_mime(&content_type).ok_or_else(|| StoreError::Backend {
                    detail: format!(
                        "an attachment is stored as '{content_type}', which this program does not read"
                    ),
                })?;
                let (w, h): (Option<i64>, Option<i64>) = (r.get(5)?, r.get(6)?);
                let (lon, lat): (Option<f64>, Option<f64>) = (r.get(7)?, r.get(8)?);
                Ok(StoredFile {
                    name: r.get(0)?,
                    kind: stored_code(&r.get::<String>(1)?, "attachment")?,
                    personal: r.get::<i64>(2)? != 0,
                    bytes: r.get(3)?,
                    judged: Judged {
                        media,
                        pixels: w.zip(h).map(|(w, h)| (w as u32, h as u32)),
                        position: lon.zip(lat),
                        taken_at: r.get(9)?,
                        thumbnail: r.get(10)?,
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Outgoing { id, report, body, submitted_at, submitted_by, files })
    }
}

impl Writer<'_> {
    /// Stores a report a field copy sent, with its files and, if the ground
    /// it names changed since the copy was made, a SYNC_FLAGGED event
    /// saying how; a report already here with the same body is left alone.
    pub fn receive(
        &mut self,
        out: &Outgoing,
        copy: &CopyOrigin,
        rules: Rules<'_>,
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<Received, StoreError> {
        let key = out.id.to_string();
        let label = format!("report {key}");
        let org = self.organisation_id(&out.report.organisation)?.ok_or_else(|| {
            refused(
                &label,
                vec![format!("organisation '{}' is not in the register", out.report.organisation)],
            )
        })?;
        (rules.may)(crate::reports::parse_uuid(&org)?, out.report.report_type)
            .map_err(|why| refused(&label, vec![why]))?;
        let problems = safeground_core::report::check_shape(&out.report, at.date());
        if !problems.is_empty() {
            return Err(refused(&label, problems));
        }
        // What was checked is what is stored: the body is the report's own.
        let (clean, _) = crate::reports::split_personal(&out.report);
        let body = serde_json::to_string(&clean).unwrap_or_default();
        if out.report.id != Some(out.id.0) || crate::reports::same_report(&body, &out.body) != Some(true) {
            return Err(refused(&label, vec!["its stored form is not the report it carries; it was not sent: make it again on the copy".into()]));
        }
        let now = time_text(at);
        let here: Option<(String, String)> = self
            .tx
            .query_row("SELECT body, state FROM reports WHERE id = ?1", [&key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let reason = format!(
            "from field copy {} (made from {} at event {}); submitted there at {} by {}",
            copy.id, copy.origin, copy.origin_seq, out.submitted_at, out.submitted_by
        );
        match here {
            // Parsed, not compared as text: a copy's program may write the same report otherwise.
            Some((body, _)) if crate::reports::same_report(&body, &out.body) != Some(true) => {
                return Err(refused(
                    &label,
                    vec![
                        "a report with this id and other content is in the register already; it was not sent"
                            .into(),
                    ],
                ))
            }
            // A KoBo submission drafted at the office too (its id comes from
            // the submission): the team's submission submits it.
            Some((_, state)) if state == "DRAFT" => {
                self.submit_draft_with(out.id, actor, &now, Some(&reason))?
            }
            // Files attached on the copy after the report was sent go now,
            // while it awaits its decision (a decided one takes none).
            Some((_, state)) if state == "SUBMITTED" => {
                let added = self.send_files(out, rules, (actor, at), true)?;
                return Ok(if added == 0 {
                    Received::AlreadyThere
                } else {
                    Received::Stored { files: added, flag: None }
                });
            }
            Some(_) => return Ok(Received::AlreadyThere),
            None => {
                self.submit_with(&out.report, actor, &now, Some(&reason))?;
            }
        }
        let files = self.send_files(out, rules, (actor, at), true)?;
        let flag = self.changed_since(&key, copy.origin_seq)?;
        if let Some(text) = &flag {
            self.record("SYNC_FLAGGED", &now, actor, Some(&key), None, Some(text))?;
        }
        Ok(Received::Stored { files, flag })
    }

    /// Attaches `out`'s files, each judged again from its bytes (`missing`:
    /// only those whose bytes the report lacks); answers how many were added.
    fn send_files(
        &mut self,
        out: &Outgoing,
        rules: Rules<'_>,
        (actor, at): (&str, OffsetDateTime),
        missing: bool,
    ) -> Result<usize, StoreError> {
        let label = format!("report {}", out.id);
        let mut added = 0;
        for f in &out.files {
            let sha = crate::audit::hex(&<sha2::Sha256 as sha2::Digest>::digest(&f.bytes));
            if missing {
                let there: bool = self.tx.query_row(
                    "SELECT count(*) > 0 FROM attachments WHERE report_id = ?1 AND sha256 = ?2",
                    rusqlite::params![out.id.to_string(), sha],
                    |r| r.get(0),
                )?;
                if there {
                    continue;
                }
            }
            let judged =
                (rules.judge)(&f.bytes).map_err(|why| refused(&label, vec![format!("{}: {why}", f.name)]))?;
            self.attach(out.id, &f.attachment(&judged), rules.limits, (actor, at))?;
            added += 1;
        }
        Ok(added)
    }

    /// What changed, since the register's event `origin_seq`, about the
    /// hazard report `key` names — read from the register's own versions,
    /// never from what a copy says it had.
    fn changed_since(&self, key: &str, origin_seq: i64) -> Result<Option<String>, StoreError> {
        let hazard: Option<String> =
            self.tx.query_row("SELECT hazard_id FROM reports WHERE id = ?1", [key], |r| r.get(0))?;
        let Some(hazard) = hazard else { return Ok(None) };
        let then =
            self.tx.query_row(HAZARD_THEN, rusqlite::params![hazard, origin_seq], hazard_row).optional()?;
        let Some((_, code, then)) = then else { return Ok(None) };
        let now = hazard_state(self.tx, &hazard)?;
        let c = changes(&then, now.as_ref().map(|(_, _, s)| s));
        Ok((!c.is_empty()).then(|| describe(&code, &c)))
    }
}

/// Where the field copy at `path` came from, refused unless it is a copy
/// whose history verifies (a copy fetched from a server, say).
pub fn check_copy(path: &Path) -> Result<CopyOrigin, StoreError> {
    verified_copy(path).map(|(_, origin)| origin)
}

/// The field copy at `path`, refused unless its history verifies: a copy
/// changed behind safeground's back sends nothing.
pub(crate) fn verified_copy(path: &Path) -> Result<(Store, CopyOrigin), StoreError> {
    let field = Store::open(path)?;
    let origin = field.require_copy()?;
    let audit = field.audit(None)?;
    if !audit.is_intact() {
        let why =
            audit.broken.map(|b| format!("event {}: {}", b.seq, b.problem)).into_iter().chain(audit.problems);
        return Err(StoreError::Invalid {
            record: path.display().to_string(),
            problem: format!(
                "the field copy's history does not verify ({}); nothing was sent: ask the IM officer",
                why.collect::<Vec<_>>().join("; ")
            ),
        });
    }
    Ok((field, origin))
}

impl Store {
    /// Refuses a register a copy was not made from: its history must hold
    /// the event the copy started from.
    pub(crate) fn made(&self, origin: &CopyOrigin) -> Result<(), StoreError> {
        if self.has_event(origin.origin_seq, &origin.origin_hash)? {
            return Ok(());
        }
        Err(StoreError::Invalid {
            record: self.path.display().to_string(),
            problem: format!(
                "it is not the register the field copy was made from ({}): its history has no event {} with the hash \
                 the copy started from; send the reports to that register",
                origin.origin, origin.origin_seq
            ),
        })
    }

    /// Stores each report of `outgoing` in a transaction of its own;
    /// answers what became of those stored or found, and why the others
    /// were not.
    #[allow(clippy::type_complexity)]
    pub(crate) fn receive_all(
        &mut self,
        outgoing: impl ExactSizeIterator<Item = Result<Outgoing, StoreError>>,
        origin: &CopyOrigin,
        rules: Rules<'_>,
        (actor, at): (&str, OffsetDateTime),
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Vec<(ReportId, Received)>, Vec<(ReportId, String)>), StoreError> {
        let (mut sent, mut failed) = (Vec::new(), Vec::new());
        let all = outgoing.len();
        for (i, out) in outgoing.enumerate() {
            let out = out?;
            match self.write(|w| w.receive(&out, origin, rules, (actor, at))) {
                Ok(r) => sent.push((out.id, r)),
                Err(e) => failed.push((out.id, e.to_string())),
            }
            progress(i + 1, all);
        }
        Ok((sent, failed))
    }
}

/// The file a copy is made again in, beside it (this process's own).
fn beside(copy: &Path) -> PathBuf {
    let mut p = copy.as_os_str().to_owned();
    p.push(format!(".sync-{}", std::process::id()));
    PathBuf::from(p)
}

/// Those a sync killed before it renamed its copy left beside `copy`.
fn remove_left_beside(copy: &Path) {
    let (Some(dir), Some(name)) = (copy.parent(), copy.file_name()) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let prefix = format!("{}.sync-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A field copy about to go home: its history verified, its head and its
/// own reports read. [`Outbox::renew`] makes it again once its reports are
/// home, however they went (a file, PostgreSQL, a bundle over HTTPS).
pub struct Outbox {
    field: Store,
    /// Where the copy came from.
    pub origin: CopyOrigin,
    head: Option<crate::AuditHead>,
    own: Vec<(ReportId, String)>,
}

impl Outbox {
    /// The field copy at `copy`, refused unless its history verifies.
    pub fn open(copy: &Path) -> Result<Outbox, StoreError> {
        crate::open::remove_with_journal(&beside(copy));
        let (field, origin) = verified_copy(copy)?;
        let head = field.history_head()?;
        let own = field.own_reports()?;
        Ok(Outbox { field, origin, head, own })
    }

    /// The copy's newest event when it was opened.
    pub fn head(&self) -> Option<&crate::AuditHead> {
        self.head.as_ref()
    }

    /// The reports submitted on the copy, to send.
    pub fn submitted(&self) -> Vec<ReportId> {
        self.own.iter().filter(|(_, s)| s == "SUBMITTED").map(|(id, _)| *id).collect()
    }

    /// What the copy is made again with: its district and organisation, and
    /// the reports sent from it, now and at earlier syncs, until the
    /// register decides them (an approved one stays through the records it
    /// made).
    pub fn scope(&self) -> Result<Scope, StoreError> {
        let mut reports: Vec<ReportId> = self.own.iter().map(|(id, _)| *id).collect();
        reports.extend(self.field.undecided_reports(self.origin.organisation_id.as_deref())?);
        Ok(Scope {
            district: self.origin.district_id.clone(),
            organisation: self.origin.organisation_id.clone(),
            reports,
        })
    }

    /// Makes the copy again in a file beside it with `make(file, scope)`
    /// (from the register it came from, by whatever way), carries its
    /// drafts over with their files, and puts it in the copy's place —
    /// unless the copy was written to since it was opened, or another
    /// program holds it open. Answers what was copied and the drafts carried.
    pub fn renew(
        self,
        copy: &Path,
        make: &mut dyn FnMut(&Path, &Scope) -> Result<Checkout, StoreError>,
        limits: &Limits,
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<(Checkout, usize), StoreError> {
        let tmp = beside(copy);
        let scope = self.scope()?;
        let made = make(&tmp, &scope).and_then(|c| self.same_origin(&tmp).map(|()| c));
        let made = made
            .and_then(|c| carry_drafts(&self.field, &tmp, &self.own, limits, (actor, at)).map(|n| (c, n)));
        let (checkout, drafts) = match made {
            Ok(v) => v,
            Err(e) => {
                crate::open::remove_with_journal(&tmp);
                return Err(e);
            }
        };
        // Nothing written to the copy since it was read: else that would be
        // lost with it.
        let still = self.field.history_head()?;
        drop(self.field);
        let mut wal = copy.as_os_str().to_owned();
        wal.push("-wal");
        if still != self.head {
            crate::open::remove_with_journal(&tmp);
            return Err(StoreError::Stored {
                path: copy.to_path_buf(),
                detail: "the field copy changed while sync ran (a report submitted meanwhile?): every report read went \
                         home, but the copy was not made again; run sync again"
                    .into(),
            });
        }
        if Path::new(&wal).exists() {
            crate::open::remove_with_journal(&tmp);
            return Err(StoreError::Stored {
                path: copy.to_path_buf(),
                detail:
                    "another program has the field copy open (a `safeground serve` on the laptop?): every report \
                     went home, but the copy was not made again; stop that program and run sync again"
                        .into(),
            });
        }
        std::fs::rename(&tmp, copy).map_err(|e| StoreError::Io { path: copy.to_path_buf(), source: e })?;
        remove_left_beside(copy);
        Ok((Checkout { to: copy.display().to_string(), ..checkout }, drafts))
    }

    /// Refuses a copy made again that is not of the same district and
    /// organisation, at or after this one's origin (that it is of the same
    /// register, the register said when it took the reports or was asked for
    /// the copy: the origin event is in its history).
    fn same_origin(&self, made: &Path) -> Result<(), StoreError> {
        let (_, new) = verified_copy(made)?;
        let o = &self.origin;
        if new.district_id != o.district_id
            || new.organisation_id != o.organisation_id
            || new.origin_seq < o.origin_seq
        {
            return Err(StoreError::Invalid {
                record: made.display().to_string(),
                problem: format!(
                    "the copy made again is of {} as of event {} (district {}), not of {} from event {} on \
                     (district {}): the field copy was left as it was",
                    new.origin, new.origin_seq, new.district_id, o.origin, o.origin_seq, o.district_id
                ),
            });
        }
        Ok(())
    }
}

/// Sends the field copy at `copy`'s submitted reports to `register`, then,
/// if every one is there, makes the copy again from the register (its
/// drafts carried over) and puts it in the copy's place. `progress(done,
/// all)` is called as reports go.
pub fn sync(
    copy: &Path,
    register: &mut Store,
    rules: Rules<'_>,
    (actor, at): (&str, OffsetDateTime),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Synced, StoreError> {
    let outbox = Outbox::open(copy)?;
    register.made(&outbox.origin)?;
    let mut synced = Synced { sent: Vec::new(), failed: Vec::new(), drafts: 0, refreshed: None };
    let outgoing = outbox.submitted().into_iter().map(|id| outbox.field.outgoing(id));
    (synced.sent, synced.failed) =
        register.receive_all(outgoing, &outbox.origin, rules, (actor, at), progress)?;
    if !synced.failed.is_empty() {
        return Ok(synced);
    }
    let (checkout, drafts) = outbox.renew(
        copy,
        &mut |tmp, scope| register.checkout(tmp, scope, (actor, at)),
        rules.limits,
        (actor, at),
    )?;
    synced.drafts = drafts;
    synced.refreshed = Some(checkout);
    Ok(synced)
}

/// The old copy's drafts, with their files, saved on the copy made again at
/// `to`; answers how many.
fn carry_drafts(
    field: &Store,
    to: &Path,
    own: &[(ReportId, String)],
    limits: &Limits,
    (actor, at): (&str, OffsetDateTime),
) -> Result<usize, StoreError> {
    let mut new = Store::open(to)?;
    let source = format!("carried over by sync from the copy made at {}", field.require_copy()?.made_at);
    let mut n = 0;
    for (id, state) in own {
        if state != "DRAFT" {
            continue;
        }
        let out = field.outgoing(*id)?;
        new.write(|w| {
            w.save_draft(&out.report, &out.submitted_by, at, &source)?;
            for f in &out.files {
                w.attach(out.id, &f.attachment(&f.judged), limits, (actor, at))?;
            }
            Ok(())
        })?;
        n += 1;
    }
    new.checkpoint()?;
    Ok(n)
}
