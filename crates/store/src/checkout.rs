//! Field copies (schema 19): `safeground checkout` writes a working copy of
//! one district of a register into a new GeoPackage, for a team that works
//! for weeks where there is no network.
//!
//! The copy holds the district's hazards with their versions and evidence,
//! the activities and released ground on them, an organisation's tasks there
//! (and every task a copied record names), the district's EO finds, the
//! reports that made those records with their state events, and the
//! reference data and base map (regions, districts, country, settlements,
//! organisations, teams) — never accidents, victims, attachments, accounts
//! or anything personal. Rows keep the origin's ids and keys.
//!
//! Invariants:
//! - The copy's own history chains on from the origin's newest event
//!   (`checkouts.origin_seq`, `origin_hash`): its first event, CHECKOUT,
//!   seals the `checkouts` row, whose `snapshot_sha256` is the digest of
//!   every copied row ([`snapshot_digest`]). The origin's events the copied
//!   rows name keep their sequence numbers (at most `origin_seq`) and
//!   hashes; `audit verify` on a copy walks the chain from CHECKOUT on and
//!   recomputes the snapshot's digest instead of theirs.
//! - Nothing on a copy changes a copied row: approval, rejection,
//!   unapproval, imports, tasking and files attached to a copied report are
//!   refused (`Writer::refuse_on_copy`, [`refuse_on_copy`] outside a
//!   write); the team's own reports are new rows.

use crate::db::{Db, OptionalExtension, Row};
use crate::migrate::{columns, hash_row, Sink};
use crate::reports::time_text;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::types::Value;
use safeground_core::ids::ReportId;
use sha2::{Digest, Sha256};
use std::path::Path;
use time::OffsetDateTime;

/// The district's hazards (`?1`: the district's id).
const HAZARDS: &str = "SELECT id FROM hazards WHERE district_id = ?1";

/// What a copy is made of: the part of a register taken, and by whom.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The district, by name or id.
    pub district: String,
    /// The organisation whose tasks are taken, by acronym or id; every
    /// organisation's when `None`.
    pub organisation: Option<String>,
    /// Reports to take whatever they name (those a copy sent home, so that
    /// the copy made again shows what became of them).
    pub reports: Vec<ReportId>,
}

/// Where a field copy came from (its `checkouts` row).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CopyOrigin {
    pub id: String,
    /// The register it was made from (a file, or a PostgreSQL URL without its password).
    pub origin: String,
    /// The origin's newest event when the copy was made.
    pub origin_seq: i64,
    pub origin_hash: String,
    pub district_id: String,
    pub organisation_id: Option<String>,
    pub made_at: String,
    pub made_by: String,
    pub snapshot_rows: i64,
    pub snapshot_sha256: String,
}

/// What a checkout copied.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkout {
    pub to: String,
    pub district: String,
    pub organisation: Option<String>,
    pub origin: CopyOrigin,
    /// Rows copied, by table.
    pub tables: Vec<(String, u64)>,
}

/// The copied tables in the order they are copied and digested, the key
/// they are ordered by, and which of the origin's rows are taken (`?1` the
/// district, `?2` the organisation or NULL, `?3` the origin's newest event).
fn selection() -> Vec<(&'static str, &'static str, String)> {
    let activities = format!("SELECT id FROM activities WHERE hazard_id IN ({HAZARDS})");
    // A find whose report worked under a task elsewhere stays with that
    // task's district (the copy holds tasks of its own hazards only).
    let finds = format!(
        "district_id = ?1 AND (activity_id IS NULL OR activity_id IN ({activities}))
           AND (hazard_id IS NULL OR hazard_id IN ({HAZARDS}))
           AND (report_id IS NULL OR report_id IN (SELECT id FROM reports WHERE type <> 'ACCIDENT' AND (task_id IS NULL
             OR task_id IN (SELECT id FROM tasks WHERE hazard_id IN ({HAZARDS})))))"
    );
    // Never an accident's report: its body describes the victims.
    let reports = format!(
        "SELECT id FROM reports WHERE type <> 'ACCIDENT' AND id IN (
         SELECT report_id FROM hazards WHERE district_id = ?1
         UNION SELECT report_id FROM hazard_versions WHERE hazard_id IN ({HAZARDS})
         UNION SELECT report_id FROM activities WHERE hazard_id IN ({HAZARDS})
         UNION SELECT report_id FROM released_areas WHERE hazard_id IN ({HAZARDS})
         UNION SELECT revoked_by FROM released_areas WHERE hazard_id IN ({HAZARDS})
         UNION SELECT report_id FROM eo_finds WHERE {finds}
         UNION SELECT id FROM reports WHERE hazard_id IN ({HAZARDS}) AND state <> 'DRAFT'
           AND (CAST(?2 AS TEXT) IS NULL OR organisation_id = ?2)
           AND (task_id IS NULL OR task_id IN (SELECT id FROM tasks WHERE hazard_id IN ({HAZARDS}))))"
    );
    // The organisation's tasks on the district's hazards, and any other a
    // copied record names.
    let tasks = format!(
        "SELECT id FROM tasks WHERE hazard_id IN ({HAZARDS}) AND (CAST(?2 AS TEXT) IS NULL OR organisation_id = ?2
           OR id IN (SELECT task_id FROM activities WHERE hazard_id IN ({HAZARDS}))
           OR id IN (SELECT task_id FROM reports WHERE id IN ({reports})))"
    );
    let all = "1 = 1".to_string();
    vec![
        ("regions", "fid", all.clone()),
        ("districts", "fid", all.clone()),
        ("country", "fid", all.clone()),
        ("settlements", "fid", all.clone()),
        ("organisations", "fid", all.clone()),
        ("teams", "fid", all),
        ("hazards", "fid", "district_id = ?1".into()),
        ("hazard_evidence", "fid", format!("hazard_id IN ({HAZARDS})")),
        ("tasks", "fid", format!("id IN ({tasks})")),
        ("activities", "fid", format!("id IN ({activities})")),
        ("released_areas", "fid", format!("hazard_id IN ({HAZARDS})")),
        ("eo_finds", "fid", finds),
        ("reports", "fid", format!("id IN ({reports})")),
        (
            "events",
            "seq",
            format!(
                "seq <= ?3 AND (id IN (SELECT event_id FROM hazard_versions WHERE hazard_id IN ({HAZARDS}))
                   OR (kind LIKE 'REPORT\\_%' ESCAPE '\\' AND report_id IN ({reports}))
                   OR (kind LIKE 'TASK\\_%' ESCAPE '\\' AND task_id IN ({tasks})))"
            ),
        ),
        ("hazard_versions", "fid", format!("hazard_id IN ({HAZARDS})")),
    ]
}

/// The parameters a statement names (`?1` … `?3`), in order: SQLite
/// refuses more than a statement has.
fn args(sql: &str, all: &[Value]) -> Vec<Value> {
    let n = (1..=all.len()).rev().find(|i| sql.contains(&format!("?{i}"))).unwrap_or(0);
    all[..n].to_vec()
}

/// On a copy, the rows of `table` that came with it, in key order.
fn copied_rows(table: &str, key: &str, cols: &str) -> String {
    match table {
        "events" => format!("SELECT {cols} FROM events WHERE seq <= ?1 ORDER BY seq"),
        // The copy's own reports are those its own history submitted or drafted.
        "reports" => format!(
            "SELECT {cols} FROM reports WHERE id NOT IN (SELECT report_id FROM events WHERE seq > ?1
               AND kind IN ('REPORT_SUBMITTED', 'REPORT_DRAFTED') AND report_id IS NOT NULL) ORDER BY fid"
        ),
        _ => format!("SELECT {cols} FROM {table} ORDER BY {key}"),
    }
}

/// The digest of every row a copy was made with, as the copy holds them
/// now, and how many there are: what its CHECKOUT event seals.
pub(crate) fn snapshot_digest(db: &Db, origin_seq: i64) -> Result<(String, i64), StoreError> {
    let mut h = Sha256::new();
    let mut rows = 0i64;
    for (table, key, _) in selection() {
        h.update(table.as_bytes());
        let cols = columns(db, table)?.join(", ");
        let sql = copied_rows(table, key, &cols);
        let params = args(&sql, &[Value::Integer(origin_seq)]);
        db.for_each(&sql, params, &mut |row| {
            hash_row(&mut h, row)?;
            rows += 1;
            Ok(true)
        })?;
    }
    Ok((crate::audit::hex(&h.finalize()), rows))
}

/// The `checkouts` row of a field copy; `None` on a register that is not one.
pub(crate) fn origin(db: &Db) -> Result<Option<CopyOrigin>, StoreError> {
    db.query_row(
        "SELECT id, origin, origin_seq, origin_hash, district_id, organisation_id, made_at, made_by,
           snapshot_rows, snapshot_sha256 FROM checkouts ORDER BY fid LIMIT 1",
        (),
        |r| {
            Ok(CopyOrigin {
                id: r.get(0)?,
                origin: r.get(1)?,
                origin_seq: r.get(2)?,
                origin_hash: r.get(3)?,
                district_id: r.get(4)?,
                organisation_id: r.get(5)?,
                made_at: r.get(6)?,
                made_by: r.get(7)?,
                snapshot_rows: r.get(8)?,
                snapshot_sha256: r.get(9)?,
            })
        },
    )
    .optional()
}

/// The origin of a field copy as its history attests it: the one
/// `checkouts` row, sealed by the event that follows the origin's newest
/// (CHECKOUT, naming the row). `Err` says why a row is there that does not
/// make the register a copy (the history is then walked whole).
pub(crate) fn sealed_origin(db: &Db) -> Result<Result<Option<CopyOrigin>, String>, StoreError> {
    let rows: i64 = db.query_row("SELECT count(*) FROM checkouts", (), |r| r.get(0))?;
    let Some(o) = origin(db)? else { return Ok(Ok(None)) };
    if rows > 1 {
        return Ok(Err(format!("the register holds {rows} field-copy origins; a copy has one")));
    }
    let sealed: bool = db.query_row(
        "SELECT count(*) > 0 FROM events WHERE seq = ?1 AND kind = 'CHECKOUT' AND subject = ?2",
        rusqlite::params![o.origin_seq + 1, o.id],
        |r| r.get(0),
    )?;
    Ok(if sealed {
        Ok(Some(o))
    } else {
        Err(format!(
            "the field-copy origin {} is sealed by no CHECKOUT event after event {}",
            o.id, o.origin_seq
        ))
    })
}

/// On a field copy, whether report `key` came with it rather than being
/// the team's own (which its own history submitted or drafted).
pub(crate) fn came_with_copy(db: &Db, key: &str) -> Result<bool, StoreError> {
    let own: bool = db.query_row(
        "SELECT count(*) > 0 FROM events WHERE report_id = ?1
           AND seq > (SELECT origin_seq FROM checkouts ORDER BY fid LIMIT 1)
           AND kind IN ('REPORT_SUBMITTED', 'REPORT_DRAFTED')",
        [key],
        |r| r.get(0),
    )?;
    Ok(!own)
}

/// Refuses `action` on a field copy: what it would change came from the
/// register and goes back only as reports.
pub(crate) fn refuse_on_copy(db: &Db, action: &'static str) -> Result<(), StoreError> {
    match origin(db)? {
        Some(o) => Err(StoreError::FieldCopy { action, origin: o.origin }),
        None => Ok(()),
    }
}

impl Store {
    /// Where this register was copied from, if it is a field copy.
    pub fn copy_origin(&self) -> Result<Option<CopyOrigin>, StoreError> {
        origin(&self.conn)
    }

    /// A field copy's origin with its district's name and its
    /// organisation's acronym, as a screen shows them.
    pub fn copy_label(&self) -> Result<Option<(CopyOrigin, String, Option<String>)>, StoreError> {
        let Some(o) = origin(&self.conn)? else { return Ok(None) };
        let district: String = self
            .conn
            .query_row("SELECT name FROM districts WHERE id = ?1", [&o.district_id], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| o.district_id.clone());
        let organisation: Option<String> = match &o.organisation_id {
            Some(id) => self
                .conn
                .query_row("SELECT acronym FROM organisations WHERE id = ?1", [id], |r| r.get(0))
                .optional()?,
            None => None,
        };
        Ok(Some((o, district, organisation)))
    }

    /// Writes a field copy of `scope` into a new GeoPackage at `to`, in one
    /// read snapshot of this register; nothing is left at `to` on failure.
    pub fn checkout(
        &self,
        to: &Path,
        scope: &Scope,
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<Checkout, StoreError> {
        if let Some(o) = origin(&self.conn)? {
            return Err(StoreError::FieldCopy {
                action: "making a field copy of a field copy",
                origin: o.origin,
            });
        }
        let mut out = Store::create(to)?;
        let result = self.copy_scope(&mut out, scope, (actor, at));
        drop(out);
        if result.is_err() {
            crate::open::remove_with_journal(to);
        }
        result
    }

    fn copy_scope(
        &self,
        out: &mut Store,
        scope: &Scope,
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<Checkout, StoreError> {
        let read = self.conn.begin_read()?;
        let found = resolve(&read, scope)?;
        let all = [
            Value::Text(found.district_id.clone()),
            found.organisation.as_ref().map_or(Value::Null, |(id, _)| Value::Text(id.clone())),
            Value::Integer(found.head.0),
        ];
        let tx = out.conn.begin_write()?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        let mut tables = Vec::new();
        for (table, key, filter) in selection() {
            let cols = columns(&read, table)?;
            let list = cols.join(", ");
            let sql = format!("SELECT {list} FROM {table} WHERE {filter} ORDER BY {key}");
            let mut sink = Sink::new(&tx, table, &list, cols.len())?;
            let mut rows = 0u64;
            read.for_each(&sql, args(&sql, &all), &mut |row| {
                sink.push(row)?;
                rows += 1;
                Ok(true)
            })?;
            sink.finish()?;
            tables.push((table.to_string(), rows));
        }
        let extra = self.copy_reports(&read, &tx, &scope.reports, found.head.0)?;
        for (table, n) in tables.iter_mut() {
            *n += match table.as_str() {
                "reports" => extra.0,
                "events" => extra.1,
                _ => 0,
            };
        }
        drop(read);
        // A file by its whole path: the copy is opened elsewhere.
        let from =
            std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone()).display().to_string();
        let o = seal_copy(&tx, &found, &tables, from, (actor, at))?;
        copy_extents(&tx)?;
        tx.commit()?;
        Ok(Checkout {
            to: out.path.display().to_string(),
            district: found.district,
            organisation: found.organisation.map(|(_, a)| a),
            origin: o,
            tables,
        })
    }

    /// Copies `ids` (reports a copy sent) that the selection did not take,
    /// with their state events; answers the reports and events copied.
    fn copy_reports(
        &self,
        read: &Db,
        tx: &Db,
        ids: &[ReportId],
        head: i64,
    ) -> Result<(u64, u64), StoreError> {
        let (mut reports, mut events) = (0u64, 0u64);
        let rcols = columns(read, "reports")?.join(", ");
        let ecols = columns(read, "events")?.join(", ");
        let n = |c: &str| c.split(", ").count();
        for id in ids {
            let id = &id.to_string();
            let there: bool =
                tx.query_row("SELECT count(*) > 0 FROM reports WHERE id = ?1", [id], |r| r.get(0))?;
            if there {
                continue;
            }
            let mut sink = Sink::new(tx, "reports", &rcols, n(&rcols))?;
            // A draft of the register is its own, an accident's report names
            // victims: a copy takes neither.
            let sql = format!(
                "SELECT {rcols} FROM reports WHERE id = ?1 AND state <> 'DRAFT' AND type <> 'ACCIDENT'"
            );
            let before = reports;
            read.for_each(&sql, [id], &mut |row| {
                sink.push(row)?;
                reports += 1;
                Ok(true)
            })?;
            sink.finish()?;
            // Its events only with it: they name it.
            if reports == before {
                continue;
            }
            let mut sink = Sink::new(tx, "events", &ecols, n(&ecols))?;
            read.for_each(
                &format!(
                    "SELECT {ecols} FROM events WHERE report_id = ?1 AND seq <= ?2
                       AND kind LIKE 'REPORT\\_%' ESCAPE '\\' ORDER BY seq"
                ),
                vec![Value::Text(id.to_string()), Value::Integer(head)],
                &mut |row: &Row<'_>| {
                    sink.push(row)?;
                    events += 1;
                    Ok(true)
                },
            )?;
            sink.finish()?;
        }
        Ok((reports, events))
    }
}

/// What a scope names in the origin, read in the checkout's snapshot.
struct Found {
    district_id: String,
    district: String,
    /// Id and acronym.
    organisation: Option<(String, String)>,
    /// The origin's newest event: sequence number and hash.
    head: (i64, String),
}

fn resolve(read: &Db, scope: &Scope) -> Result<Found, StoreError> {
    let (district_id, district): (String, String) = read
        .query_row(
            "SELECT id, name FROM districts WHERE id = ?1 OR name = ?1 COLLATE NOCASE",
            [scope.district.trim()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Unknown { what: "district", key: scope.district.clone() })?;
    let organisation = match &scope.organisation {
        Some(o) => Some(
            read.query_row(
                "SELECT id, acronym FROM organisations WHERE id = ?1 OR acronym = ?1 COLLATE NOCASE",
                [o.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::Unknown { what: "organisation", key: o.clone() })?,
        ),
        None => None,
    };
    let head = read
        .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", (), |r| {
            Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
        })
        .optional()?
        .unwrap_or((0, crate::audit::GENESIS.to_string()));
    Ok(Found { district_id, district, organisation, head })
}

/// Checks the rows copied into `tx` (every reference held, every row
/// there), numbers the copy's own events on from the origin's newest, and
/// writes the `checkouts` row with the CHECKOUT event that seals it.
fn seal_copy(
    tx: &Db,
    found: &Found,
    tables: &[(String, u64)],
    origin: String,
    (actor, at): (&str, OffsetDateTime),
) -> Result<CopyOrigin, StoreError> {
    let district = &found.district;
    let broken: Option<String> = tx
        .query_row("SELECT \"table\" || ' → ' || parent FROM pragma_foreign_key_check LIMIT 1", (), |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(b) = broken {
        return Err(StoreError::Backend {
            detail: format!(
                "the copy of district {district} names a record it does not hold ({b}); nothing was written: \
                 report this to the register's administrator"
            ),
        });
    }
    let head = found.head.0;
    tx.execute("DELETE FROM sqlite_sequence WHERE name = 'events'", ())?;
    tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?1)", [head])?;
    let (sha, rows) = snapshot_digest(tx, head)?;
    let copied: u64 = tables.iter().map(|(_, n)| n).sum();
    if rows as u64 != copied {
        return Err(StoreError::Backend {
            detail: format!("{copied} rows were copied but the copy holds {rows}; nothing was written"),
        });
    }
    let o = CopyOrigin {
        id: uuid_text(safeground_core::ids::fresh()),
        origin,
        origin_seq: head,
        origin_hash: found.head.1.clone(),
        district_id: found.district_id.clone(),
        organisation_id: found.organisation.as_ref().map(|(id, _)| id.clone()),
        made_at: time_text(at),
        made_by: actor.to_string(),
        snapshot_rows: rows,
        snapshot_sha256: sha,
    };
    tx.execute(
        "INSERT INTO checkouts (id, origin, origin_seq, origin_hash, district_id, organisation_id, made_at,
           made_by, snapshot_rows, snapshot_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            o.id,
            o.origin,
            o.origin_seq,
            o.origin_hash,
            o.district_id,
            o.organisation_id,
            o.made_at,
            o.made_by,
            o.snapshot_rows,
            o.snapshot_sha256
        ],
    )?;
    let reason = format!(
        "field copy of district {district}{} from {} at event {head}",
        found.organisation.as_ref().map(|(_, a)| format!(" for {a}")).unwrap_or_default(),
        o.origin
    );
    let mut w = Writer::new(tx, &[]);
    w.record_about("CHECKOUT", &o.made_at, actor, &o.id, Some(&reason))?;
    w.finish()?;
    Ok(o)
}

/// The layers' extents in `gpkg_contents` (GDAL and QGIS zoom to them),
/// from the spatial indexes of what was copied.
fn copy_extents(tx: &Db) -> Result<(), StoreError> {
    for layer in ["districts", "country", "settlements", "hazards", "released_areas", "eo_finds"] {
        tx.execute(
            &format!(
                "UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) =
                   (SELECT min(minx), min(miny), max(maxx), max(maxy) FROM rtree_{layer}_geom)
                 WHERE table_name = ?1"
            ),
            [layer],
        )?;
    }
    Ok(())
}
