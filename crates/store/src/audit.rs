//! The tamper-evident history: every event is sealed by a SHA-256 chain, and
//! `safeground audit verify` walks it.
//!
//! Sealing happens when a write transaction ends ([`seal`]): for each new event,
//! in order, `digest` = SHA-256 over what the event wrote (read back from the
//! tables: the report as submitted, the records its approval made, the task
//! issued, the account or token as it now stands), and `hash` = SHA-256 over the
//! previous event's hash, the event's fields and the digest. Editing, inserting
//! or deleting an event breaks the hash of that event or the next; editing a
//! record an event wrote breaks that event's digest. What changes after its
//! event by design (a hazard's current figures, a report's state, an account,
//! a revocation) is checked for agreement with the events instead.
//!
//! Deleting the newest events leaves a shorter chain that is itself whole;
//! that is caught by a count of the events written that rolls back with its
//! transaction (SQLite's `sqlite_sequence`, PostgreSQL's `sg_events_counter`:
//! not the identity sequence, which skips values after a rollback or a crash)
//! and by records that name
//! missing events, and for certain by comparing the head the verification
//! prints with one written down earlier (`--expect-head`).

use crate::db::{Db, OptionalExtension, Row};
use crate::StoreError;
use rusqlite::params;
use rusqlite::types::ValueRef;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which field of the event a content query is keyed on.
#[derive(Clone, Copy)]
enum Key {
    Report,
    /// The report, for a query added after registers were sealed: it adds
    /// to the digest only when it yields rows, so that the digests sealed
    /// before it stay as they were.
    ReportIfAny,
    Event,
    Task,
    Subject,
    /// The subject, for a query added after events of its kind were sealed:
    /// it adds to the digest only when it yields rows.
    SubjectIfAny,
}

/// The records a report's submission wrote (none of these columns changes later).
const SUBMITTED: &[(Key, &str)] = &[
    (
        Key::Report,
        "SELECT id, type, organisation_id, task_id, start_date, end_date, body FROM reports WHERE id = ?1",
    ),
    (Key::Report, "SELECT data FROM report_personal WHERE report_id = ?1"),
];

const HAZARD_VERSIONS: (Key, &str) = (
    Key::Event,
    "SELECT hazard_id, version, valid_from, report_id, geom, kind, status, area_recorded_m2, area_cancelled_m2,
       area_reduced_m2, area_cleared_m2, area_remaining_m2 FROM hazard_versions WHERE event_id = ?1
     ORDER BY hazard_id, version",
);

/// The records an approval wrote, in the columns that never change afterwards
/// (revocations and a hazard's current state are checked separately). A
/// query's place in this list is part of the digest: new ones go at the end,
/// keyed `ReportIfAny`, or approvals sealed before them no longer verify.
const APPROVED: &[(Key, &str)] = &[
    HAZARD_VERSIONS,
    (
        Key::Report,
        "SELECT id, code, name, district_id, contamination, land_use, reference_lon, reference_lat,
       reference_description, benchmark_lon, benchmark_lat, recorded_on, recorded_by, beneficiaries
     FROM hazards WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::Report,
        "SELECT id, kind, method, hazard_id, task_id, organisation_id, team_id, start_date, end_date,
       depth_cm, hours_worked, recorded_at FROM activities WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::Report,
        "SELECT id, geom, activity_id, hazard_id, organisation_id, outcome, released_on, area_m2,
       recorded_at FROM released_areas WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::Report,
        "SELECT id, geom, activity_id, hazard_id, district_id, found_on, category, eo_type, quantity,
       condition, fuze_state, disposal, recorded_at FROM eo_finds WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::Report,
        "SELECT id, geom, kind, occurred_on, district_id, hazard_id, device_category, activity_at_time,
       area_marked, cause, killed, injured, recorded_at FROM accidents WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::Report,
        "SELECT v.id, v.accident_id, v.outcome, v.sex, v.age, v.occupation, v.injuries, v.assistance
     FROM victims v JOIN accidents a ON a.id = v.accident_id WHERE a.report_id = ?1 ORDER BY v.id",
    ),
    (
        Key::Report,
        "SELECT i.victim_id, i.full_name, i.contact FROM victim_identities i
       JOIN victims v ON v.id = i.victim_id JOIN accidents a ON a.id = v.accident_id
     WHERE a.report_id = ?1 ORDER BY i.victim_id",
    ),
    (
        Key::Report,
        "SELECT id, geom, organisation_id, held_on, kind, audience, settlement_id, district_id, girls,
       boys, women, men, recorded_at FROM eore_sessions WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT id, geom, eo_find_id, accident_id, found_on, released_area_id, hazard_id, released_on,
       released_by, task_id, recorded_at FROM residuals WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT id, code, organisation_id, grade, finding, report_id, accident_id, raised_on, due_on, raised_by,
       raised_by_report, recorded_at FROM non_conformities WHERE raised_by_report = ?1 ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT id, code, accident_id, opened_on, opened_by, opened_by_report, recorded_at FROM investigations
     WHERE opened_by_report = ?1 ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT v.id, v.disability FROM victims v JOIN accidents a ON a.id = v.accident_id
     WHERE a.report_id = ?1 AND v.disability IS NOT NULL ORDER BY v.id",
    ),
    (
        Key::ReportIfAny,
        "SELECT id, girls_disabled, boys_disabled, women_disabled, men_disabled FROM eore_sessions
     WHERE report_id = ?1 AND (girls_disabled IS NOT NULL OR boys_disabled IS NOT NULL
       OR women_disabled IS NOT NULL OR men_disabled IS NOT NULL) ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT id, geom, kind, result, hazard_id, task_id, organisation_id, inspected_on, items_found,
       sample_m2, inspected_m2, recorded_at FROM inspections WHERE report_id = ?1 ORDER BY id",
    ),
    (
        Key::ReportIfAny,
        "SELECT a.inspection_id, a.released_area_id, a.reopened FROM inspection_areas a
       JOIN inspections i ON i.id = a.inspection_id WHERE i.report_id = ?1
     ORDER BY a.inspection_id, a.released_area_id",
    ),
    (
        Key::ReportIfAny,
        "SELECT uuid, sha256 FROM attachments WHERE report_id = ?1 ORDER BY uuid",
    ),
];

const UNAPPROVED: &[(Key, &str)] = &[HAZARD_VERSIONS];

/// A file attached to a report: every column as sent, its bytes included,
/// so that a replaced photograph breaks the seal.
const ATTACHED: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT uuid, report_id, kind, content_type, file_name, size, sha256, personal, width, height, taken_at,
       exif_lon, exif_lat, thumbnail, recorded_at, recorded_by, data FROM attachments WHERE uuid = ?1",
)];

/// A field copy's origin and the digest of every row it was made with
/// (schema 19): its first event, CHECKOUT.
const CHECKOUT: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, origin, origin_seq, origin_hash, district_id, organisation_id, made_at, made_by, snapshot_rows,
       snapshot_sha256 FROM checkouts WHERE id = ?1",
)];

const TASK: &[(Key, &str)] = &[(
    Key::Task,
    "SELECT id, code, hazard_id, organisation_id, activity, priority, issued_on, due_on, recorded_at
     FROM tasks WHERE id = ?1",
)];

const TASK_CANCELLED: &[(Key, &str)] =
    &[(Key::Task, "SELECT id, status, cancelled_on FROM tasks WHERE id = ?1")];

const PROJECT: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, code, donor, name, budget, currency, starts_on, ends_on, recorded_at FROM projects WHERE id = ?1",
)];

const FUNDING: &[(Key, &str)] =
    &[(Key::Task, "SELECT task_id, project_id, funded_at FROM project_tasks WHERE task_id = ?1")];

const ACCREDITED: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, reference, organisation_id, team_id, capability, valid_from, valid_to, recorded_at
     FROM accreditations WHERE id = ?1",
)];

const SUSPENDED: &[(Key, &str)] =
    &[(Key::Subject, "SELECT id, suspended_on, suspension_reason FROM accreditations WHERE id = ?1")];

const RANKING: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, code, name, scenario, as_of, result, recorded_at FROM rankings WHERE id = ?1",
)];

const NCR_RAISED: &[(Key, &str)] = &[
    (
        Key::Subject,
        "SELECT id, code, organisation_id, grade, finding, report_id, accident_id, raised_on, due_on, raised_by,
       raised_by_report, recorded_at FROM non_conformities WHERE id = ?1",
    ),
    (
        Key::SubjectIfAny,
        "SELECT investigation_id, recommendation FROM non_conformities WHERE id = ?1 AND investigation_id IS NOT NULL",
    ),
];

const INVESTIGATION_OPENED: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, code, accident_id, opened_on, opened_by, opened_by_report, recorded_at FROM investigations
     WHERE id = ?1",
)];

const INVESTIGATION_STEP: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, investigation_id, kind, on_day, members, findings, recommendations, actor, recorded_at
     FROM investigation_steps WHERE id = ?1",
)];

const NCR_STEP: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, ncr_id, kind, root_cause, corrective, preventive, due_on, closed_on, verification, actor,
       recorded_at FROM ncr_steps WHERE id = ?1",
)];

const CONSENT: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, victim_id, given_on, given_by, form, actor, recorded_at FROM victim_consents WHERE id = ?1",
)];

const WITHDRAWAL: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, consent_id, withdrawn_on, actor, recorded_at FROM consent_withdrawals WHERE id = ?1",
)];

const ASSISTANCE: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, victim_id, consent_id, kind, status, given_on, provider, notes, actor, recorded_at
     FROM assistance WHERE id = ?1",
)];

const USER: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, name, role, organisation_id, personal_data, disabled, password_hash, created_at
     FROM users WHERE id = ?1",
)];

const TOKEN: &[(Key, &str)] = &[(
    Key::Subject,
    "SELECT id, user_id, label, token_hash, created_at, expires_at, revoked_at FROM api_tokens WHERE id = ?1",
)];

/// An event as stored.
#[derive(Debug, Clone)]
struct Event {
    seq: i64,
    id: String,
    at: String,
    actor: String,
    kind: String,
    report_id: Option<String>,
    task_id: Option<String>,
    reason: Option<String>,
    subject: Option<String>,
    digest: String,
    hash: String,
}

const EVENT_COLUMNS: &str = "seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash";

fn event(r: &Row<'_>) -> Result<Event, StoreError> {
    Ok(Event {
        seq: r.get(0)?,
        id: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        kind: r.get(4)?,
        report_id: r.get(5)?,
        task_id: r.get(6)?,
        reason: r.get(7)?,
        subject: r.get(8)?,
        digest: r.get(9)?,
        hash: r.get(10)?,
    })
}

/// What an event of `kind` wrote, and whether that stays as written (so a
/// verification can recompute it) or is the state of a record that later
/// events may change again (accounts, tokens: checked against the newest).
fn content(kind: &str) -> (&'static [(Key, &'static str)], bool) {
    match kind {
        "REPORT_SUBMITTED" | "REPORT_DRAFTED" => (SUBMITTED, true),
        "REPORT_APPROVED" => (APPROVED, true),
        "REPORT_UNAPPROVED" => (UNAPPROVED, true),
        "TASK_ISSUED" => (TASK, true),
        "TASK_CANCELLED" => (TASK_CANCELLED, true),
        "PROJECT_ADDED" => (PROJECT, true),
        "TASK_FUNDED" => (FUNDING, true),
        "ACCREDITATION_ADDED" => (ACCREDITED, true),
        "ACCREDITATION_SUSPENDED" => (SUSPENDED, true),
        "RANKING_SEALED" => (RANKING, true),
        "NCR_RAISED" => (NCR_RAISED, true),
        "NCR_ANSWERED" | "NCR_CLOSED" => (NCR_STEP, true),
        "INVESTIGATION_OPENED" => (INVESTIGATION_OPENED, true),
        "INVESTIGATION_BOARD" | "INVESTIGATION_CONCLUDED" => (INVESTIGATION_STEP, true),
        "CONSENT_RECORDED" => (CONSENT, true),
        "CONSENT_WITHDRAWN" => (WITHDRAWAL, true),
        "ASSISTANCE_RECORDED" => (ASSISTANCE, true),
        "ATTACHMENT_ADDED" => (ATTACHED, true),
        "CHECKOUT" => (CHECKOUT, true),
        "USER_ADDED" | "USER_CHANGED" => (USER, false),
        "TOKEN_ISSUED" | "TOKEN_REVOKED" => (TOKEN, false),
        _ => (&[], true),
    }
}

pub(crate) fn put(h: &mut Sha256, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.update([0u8]),
        ValueRef::Integer(i) => {
            h.update([1u8]);
            h.update(i.to_le_bytes());
        }
        ValueRef::Real(f) => {
            h.update([2u8]);
            h.update(f.to_bits().to_le_bytes());
        }
        ValueRef::Text(t) => {
            h.update([3u8]);
            h.update((t.len() as u64).to_le_bytes());
            h.update(t);
        }
        ValueRef::Blob(b) => {
            h.update([4u8]);
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
    }
}

fn put_text(h: &mut Sha256, t: Option<&str>) {
    put(h, t.map_or(ValueRef::Null, |t| ValueRef::Text(t.as_bytes())));
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    // Only ASCII digits and a-f were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `bytes` in lower-case hex (a geometry blob in a COPY is megabytes:
/// a table, not a formatter per byte).
pub(crate) fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

/// SHA-256 of `text`, in hex (API tokens are kept so).
pub(crate) fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The digest of what an event wrote, read from the tables as they stand.
fn digest(conn: &Db, e: &Event) -> Result<String, StoreError> {
    digest_of(conn, content(&e.kind).0, |key| match key {
        Key::Report | Key::ReportIfAny => e.report_id.as_deref(),
        Key::Event => Some(e.id.as_str()),
        Key::Task => e.task_id.as_deref(),
        Key::Subject | Key::SubjectIfAny => e.subject.as_deref(),
    })
}

/// SHA-256 over the rows `queries` yield, each keyed by `value(key)`.
fn digest_of<'v>(
    conn: &Db,
    queries: &[(Key, &str)],
    value: impl Fn(Key) -> Option<&'v str>,
) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    for (i, (key, sql)) in queries.iter().enumerate() {
        let if_any = matches!(key, Key::ReportIfAny | Key::SubjectIfAny);
        if !if_any {
            h.update([0xfe, i as u8]);
        }
        let mut stmt = conn.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([value(*key)])?;
        let mut first = true;
        while let Some(row) = rows.next()? {
            if if_any && std::mem::take(&mut first) {
                h.update([0xfd, i as u8]);
            }
            h.update([0xff]);
            for c in 0..n {
                put(&mut h, row.get_ref(c)?);
            }
        }
    }
    Ok(hex(&h.finalize()))
}

/// The link of the chain: the previous hash, the event's fields, its digest.
fn chain(prev: &str, e: &Event, digest: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"safeground event 1\n");
    h.update(prev.as_bytes());
    put(&mut h, ValueRef::Integer(e.seq));
    for t in [Some(e.id.as_str()), Some(&e.at), Some(&e.actor), Some(&e.kind)] {
        put_text(&mut h, t);
    }
    for t in [&e.report_id, &e.task_id, &e.reason, &e.subject] {
        put_text(&mut h, t.as_deref());
    }
    put_text(&mut h, Some(digest));
    hex(&h.finalize())
}

/// Seals the events not sealed yet from `from_seq` on, in order. Runs at the
/// end of every write transaction (from its first event) and once, from the
/// start, when a register from before schema 6 is upgraded (after every migration, so that
/// each table the digests read exists).
pub(crate) fn seal(conn: &Db, from_seq: i64) -> Result<usize, StoreError> {
    let mut sealed = 0;
    let mut newest = 0i64;
    loop {
        let batch: Vec<Event> = conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE hash = '' AND seq >= ?1 ORDER BY seq LIMIT 4096"
            ))?
            .query_map([from_seq], event)?
            .collect::<Result<_, _>>()?;
        let Some(first) = batch.first() else {
            if sealed > 0 && conn.dialect() == crate::Dialect::Postgres {
                // The count of events written moves with this transaction
                // (schema 17); SQLite's sqlite_sequence does by itself.
                conn.execute("UPDATE sg_events_counter SET last = GREATEST(last, ?1)", [newest])?;
            }
            return Ok(sealed);
        };
        let mut prev = predecessor(conn, first.seq)?;
        for e in &batch {
            let d = digest(conn, e)?;
            let hash = chain(&prev, e, &d);
            conn.prepare_cached("UPDATE events SET digest = ?1, hash = ?2 WHERE seq = ?3")?
                .execute(params![d, hash, e.seq])?;
            prev = hash;
            sealed += 1;
            newest = e.seq;
        }
    }
}

/// The hash the event at `seq` chains on from: the newest sealed event
/// before it, or where there is none, the hash before the first event — on
/// a field copy, the origin's newest when the copy was made (the origin's
/// events it holds, numbered up to then, are not links of its own chain).
fn predecessor(conn: &Db, seq: i64) -> Result<String, StoreError> {
    let (floor, start) = match crate::checkout::sealed_origin(conn)? {
        Ok(Some(o)) => (o.origin_seq, o.origin_hash),
        _ => (0, GENESIS.to_string()),
    };
    Ok(conn
        .prepare_cached(
            "SELECT hash FROM events WHERE seq < ?1 AND seq > ?2 AND hash <> '' ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([seq, floor], |r| r.get(0))
        .optional()?
        .unwrap_or(start))
}

/// The newest event: write its hash down to detect, later, a history cut short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl crate::Store {
    /// The newest event of the sealed history, as `audit verify` names its
    /// head when the history is intact: what a report produced from the
    /// register cites, so anyone can check it came from this register.
    pub fn history_head(&self) -> Result<Option<AuditHead>, StoreError> {
        use crate::db::OptionalExtension;
        self.conn
            .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", (), |r| {
                Ok(AuditHead { seq: r.get(0)?, hash: r.get::<Option<String>>(1)?.unwrap_or_default() })
            })
            .optional()
    }
}

/// The first event that does not match.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenEvent {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub at: String,
    pub actor: String,
    pub problem: String,
}

/// The outcome of `audit verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Events checked (up to the first broken one).
    pub events: u64,
    pub head: Option<AuditHead>,
    pub broken: Option<BrokenEvent>,
    /// Records that disagree with the history, at most 50.
    pub problems: Vec<String>,
}

impl Audit {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none() && self.problems.is_empty()
    }
}

/// The digest `e` should have, or `None` where it is not recomputed (an
/// unsealed event; accounts and tokens, which change by design).
fn recomputed(db: &Db, e: &Event) -> Result<Option<String>, StoreError> {
    if content(&e.kind).1 && !e.hash.is_empty() {
        digest(db, e).map(Some)
    } else {
        Ok(None)
    }
}

/// Events whose digests are recomputed together, spread over the workers.
const VERIFY_BATCH: usize = 4096;

/// The digest each event of `batch` should have (`None` where it is not
/// recomputed: accounts and tokens, which change by design), computed on
/// the worker connections at once, in order.
fn digests(batch: &[Event], workers: &mut [&mut Db]) -> Result<Vec<Option<String>>, StoreError> {
    let per = batch.len().div_ceil(workers.len().max(1)).max(1);
    let parts: Vec<Result<Vec<Option<String>>, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .chunks(per)
            .zip(workers.iter_mut())
            .map(|(part, db)| {
                s.spawn(move || {
                    let db: &Db = db;
                    part.iter().map(|e| recomputed(db, e)).collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(StoreError::Backend { detail: "a digest worker failed".into() }))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(batch.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Walks the chain and checks the records against it; `workers`, when
/// given, are connections of their own that recompute the digests.
pub(crate) fn verify(
    conn: &Db,
    workers: &mut [&mut Db],
    expect_head: Option<&str>,
) -> Result<Audit, StoreError> {
    let mut audit = Audit { events: 0, head: None, broken: None, problems: Vec::new() };
    // The count of events written, read before the walk: every event it
    // counts was committed, so the walk sees it, while events committed
    // during a long walk on a live register are not taken for deletions.
    let counter: Option<i64> = conn
        .query_row(
            conn.dialect().pick(
                "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
                "SELECT NULLIF(last, 0) FROM sg_events_counter",
            ),
            (),
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    // A field copy's chain starts from its origin's newest event; the
    // origin's events it holds are digested by its snapshot (below).
    let copy = copy_origin(conn, &mut audit)?;
    let mut prev = copy.as_ref().map_or_else(|| GENESIS.to_string(), |o| o.origin_hash.clone());
    let mut prev_seq = copy.as_ref().map_or(0, |o| o.origin_seq);
    let from = prev_seq;
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq");
    let mut batch: Vec<Event> = Vec::with_capacity(VERIFY_BATCH);
    let mut check = |batch: &mut Vec<Event>, audit: &mut Audit| -> Result<bool, StoreError> {
        let digests = if workers.is_empty() {
            batch.iter().map(|e| recomputed(conn, e)).collect::<Result<Vec<_>, _>>()?
        } else {
            digests(batch, workers)?
        };
        for (e, d) in batch.drain(..).zip(digests) {
            let problem = if e.hash.is_empty() {
                Some("it is not sealed: it was written outside safeground".to_string())
            } else {
                let d = d.unwrap_or_else(|| e.digest.clone());
                if d != e.digest {
                    Some(format!("what it recorded has changed since ({})", what_it_wrote(&e)))
                } else if chain(&prev, &e, &d) != e.hash {
                    Some(if e.seq != prev_seq + 1 {
                        format!("events between seq {prev_seq} and {} are missing", e.seq)
                    } else {
                        "its fields, or an event before it, have changed since it was recorded".to_string()
                    })
                } else {
                    None
                }
            };
            if let Some(problem) = problem {
                audit.broken = Some(BrokenEvent {
                    seq: e.seq,
                    id: e.id,
                    kind: e.kind,
                    at: e.at,
                    actor: e.actor,
                    problem,
                });
                return Ok(false);
            }
            audit.events += 1;
            prev = e.hash.clone();
            prev_seq = e.seq;
            audit.head = Some(AuditHead { seq: e.seq, hash: e.hash });
        }
        Ok(true)
    };
    let mut going = true;
    conn.for_each(&sql, [from], &mut |row| {
        batch.push(event(row)?);
        if batch.len() == VERIFY_BATCH {
            going = check(&mut batch, &mut audit)?;
        }
        Ok(going)
    })?;
    if going {
        check(&mut batch, &mut audit)?;
    }
    if audit.broken.is_none() {
        if let Some(c) = counter.filter(|c| *c > prev_seq) {
            audit.problems.push(format!(
                "the history ends at event {prev_seq} but {c} events were recorded: the newest were deleted"
            ));
        }
    }
    if let Some(want) = expect_head {
        let got = audit.head.as_ref().map_or(GENESIS, |h| h.hash.as_str());
        if !got.eq_ignore_ascii_case(want.trim()) {
            audit.problems.push(format!(
                "the history's head is {got}, not {} as expected: events were removed or rewritten",
                want.trim()
            ));
        }
    }
    if let Some(o) = &copy {
        snapshot(conn, o, &mut audit)?;
    }
    agreement(conn, &mut audit)?;
    Ok(audit)
}

/// A field copy's origin, as its history attests it; a `checkouts` row it
/// does not is a problem, and the history is walked whole.
fn copy_origin(conn: &Db, audit: &mut Audit) -> Result<Option<crate::CopyOrigin>, StoreError> {
    Ok(match crate::checkout::sealed_origin(conn)? {
        Ok(copy) => copy,
        Err(problem) => {
            audit.problems.push(problem);
            None
        }
    })
}

/// The rows a field copy was made with, against the digest its CHECKOUT sealed.
fn snapshot(conn: &Db, o: &crate::CopyOrigin, audit: &mut Audit) -> Result<(), StoreError> {
    let (now, rows) = crate::checkout::snapshot_digest(conn, o.origin_seq)?;
    if now != o.snapshot_sha256 || rows != o.snapshot_rows {
        audit.problems.push(format!(
            "the {} rows this field copy was made with from {} have changed since ({rows} rows now)",
            o.snapshot_rows, o.origin
        ));
    }
    Ok(())
}

fn what_it_wrote(e: &Event) -> String {
    match (e.kind.as_str(), &e.report_id, &e.task_id) {
        ("TASK_ISSUED", _, Some(t)) => format!("task {t}"),
        ("TASK_CANCELLED", _, Some(t)) => format!("the cancellation of task {t}"),
        ("TASK_FUNDED", _, Some(t)) => format!("the funding of task {t}"),
        ("PROJECT_ADDED", _, _) => format!("project {}", e.subject.as_deref().unwrap_or("?")),
        ("ACCREDITATION_ADDED" | "ACCREDITATION_SUSPENDED", _, _) => {
            format!("accreditation {}", e.subject.as_deref().unwrap_or("?"))
        }
        ("RANKING_SEALED", _, _) => format!("ranking {}", e.subject.as_deref().unwrap_or("?")),
        ("NCR_RAISED", _, _) => format!("non-conformity {}", e.subject.as_deref().unwrap_or("?")),
        ("NCR_ANSWERED" | "NCR_CLOSED", _, _) => {
            format!("the non-conformity step {}", e.subject.as_deref().unwrap_or("?"))
        }
        ("INVESTIGATION_OPENED", _, _) => format!("investigation {}", e.subject.as_deref().unwrap_or("?")),
        ("INVESTIGATION_BOARD" | "INVESTIGATION_CONCLUDED", _, _) => {
            format!("the investigation step {}", e.subject.as_deref().unwrap_or("?"))
        }
        ("CONSENT_RECORDED" | "CONSENT_WITHDRAWN" | "ASSISTANCE_RECORDED", _, _) => {
            format!("the victim-assistance record {}", e.subject.as_deref().unwrap_or("?"))
        }
        ("ATTACHMENT_ADDED", Some(r), _) => {
            format!("the file {} attached to report {r}", e.subject.as_deref().unwrap_or("?"))
        }
        (_, Some(r), _) => format!("report {r} and the records it wrote"),
        _ => "the records it wrote".to_string(),
    }
}

/// The records that change after their event by design, checked against the
/// history: each hazard against its newest version, each report's state
/// against its last event, accounts and tokens against their newest event,
/// revocations against the reports that made them, references to events.
fn agreement(conn: &Db, audit: &mut Audit) -> Result<(), StoreError> {
    const LIMIT: usize = 50;
    let add = |audit: &mut Audit, p: String| {
        if audit.problems.len() < LIMIT {
            audit.problems.push(p);
        }
    };
    for sql in [
        include_str!("../sql/audit/hazards_current.sql"),
        include_str!("../sql/audit/report_states.sql"),
        include_str!("../sql/audit/revocations.sql"),
        include_str!("../sql/audit/orphans.sql"),
    ] {
        let mut stmt = conn.prepare(sql)?;
        let found: Vec<String> = stmt.query_map((), |r| r.get(0))?.collect::<Result<_, _>>()?;
        for p in found {
            add(audit, p);
        }
    }
    // Accounts and tokens as they stand must be what their newest event sealed.
    for (table, what, queries) in [("users", "account", USER), ("api_tokens", "API token", TOKEN)] {
        let ids: Vec<(String, Option<String>)> = conn
            .prepare(&format!(
                "SELECT t.id, (SELECT digest FROM events e WHERE e.subject = t.id ORDER BY seq DESC LIMIT 1)
                 FROM {table} t"
            ))?
            .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, sealed) in ids {
            let now = digest_of(conn, queries, |_| Some(id.as_str()))?;
            match sealed {
                None => add(audit, format!("{what} {id} was never recorded in the history")),
                Some(d) if d != now => {
                    add(audit, format!("{what} {id} differs from what the history last recorded"))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digests of approvals already sealed depend on where each of
    /// `APPROVED`'s queries stands: the queries of schema 10 and 11 keep
    /// their places (the first ten as written then), later ones follow.
    #[test]
    fn approvals_queries_keep_their_places() {
        let at = |needle: &str| APPROVED.iter().position(|(_, sql)| sql.contains(needle));
        assert_eq!(at("FROM hazard_versions"), Some(0));
        assert_eq!(at("FROM eore_sessions WHERE report_id = ?1 ORDER BY id"), Some(8));
        assert_eq!(at("FROM residuals WHERE report_id"), Some(9));
        assert_eq!(at("FROM non_conformities WHERE raised_by_report"), Some(10));
        assert_eq!(at("FROM investigations"), Some(11));
        assert_eq!(at("v.disability FROM victims"), Some(12));
        assert_eq!(at("girls_disabled, boys_disabled"), Some(13));
        assert_eq!(at("FROM inspections WHERE report_id"), Some(14));
        assert_eq!(at("FROM inspection_areas"), Some(15));
        assert!(APPROVED[..9].iter().all(|(k, _)| matches!(k, Key::Report | Key::Event)));
        assert!(APPROVED[9..].iter().all(|(k, _)| matches!(k, Key::ReportIfAny)));
    }
}
