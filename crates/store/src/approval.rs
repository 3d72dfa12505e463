//! Approval's input and output: loads what one report's decision needs into
//! a [`Context`] and applies the [`Plan`] that
//! [`safeground_core::approval::decide`] returns. The rules are in core;
//! this module holds the SQL.
//!
//! Invariant: nothing is written before the decision is known. [`context`]
//! only reads, so the approval queue's check runs it on a read transaction
//! ([`crate::Store::check_report`]); [`Writer::apply`] only writes.

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, multipolygon_blob, read_multipolygon, read_point, stored_date};
use crate::pending::Pending;
use crate::read::stored_code;
use crate::reports::parse_uuid;
use crate::write::{taken, uuid_text, DistrictShape, Writer};
use crate::StoreError;
use geo::{Contains, MultiPolygon, Point};
use rusqlite::params;
use safeground_core::accreditation::Accreditation;
use safeground_core::approval::{
    self, given_ids, Context, HazardFacts, Plan, PriorRelease, Record, ReleasedArea, Settlement, TaskFacts,
};
use safeground_core::codes::OrganisationKind;
use safeground_core::report::Report;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use time::Date;
use uuid::Uuid;

/// Where the context is read from: a transaction, the districts points are
/// placed in, and (while an import writes) the rows waiting for their COPY.
pub(crate) struct Source<'a> {
    pub(crate) db: &'a Db,
    pub(crate) districts: &'a [DistrictShape],
    pub(crate) pending: Option<&'a Pending>,
    /// Lookups of reference data (an organisation's kind, a district by
    /// name) kept for the length of an import, which adds none.
    pub(crate) reference: Option<&'a Reference>,
    /// Whether the new hazard's UUID is taken, when the caller has already
    /// asked (an import asks for every UUID a feature gives, to skip features
    /// already imported); `None` means ask.
    pub(crate) new_hazard_taken: Option<bool>,
    /// Whether the new hazard's code is taken, likewise.
    pub(crate) new_hazard_code_taken: Option<bool>,
    /// Which of the records' own UUIDs are taken (table, UUID), when the
    /// caller has asked for all of them already; `None` means ask.
    pub(crate) taken: Option<&'a HashSet<(&'static str, Uuid)>>,
}

/// Reference data looked up once per import, which adds none: (query, key)
/// → the answer, and each author organisation's accreditations (before they
/// were kept, a round trip a feature on PostgreSQL, two where the register
/// keeps accreditations).
#[derive(Debug, Default)]
pub(crate) struct Reference {
    lookups: RefCell<HashMap<(&'static str, String), Option<String>>>,
    accreditations: RefCell<HashMap<Uuid, Option<Vec<Accreditation>>>>,
}

/// The answer kept in `cache` under `key`, else `ask`'s, kept for next time.
fn cached<K: std::hash::Hash + Eq, V: Clone>(
    cache: &RefCell<HashMap<K, V>>,
    key: K,
    ask: impl FnOnce() -> Result<V, StoreError>,
) -> Result<V, StoreError> {
    if let Some(known) = cache.borrow().get(&key) {
        return Ok(known.clone());
    }
    let found = ask()?;
    cache.borrow_mut().insert(key, found.clone());
    Ok(found)
}

/// [`one`], answered from `src.reference` when it holds the answer.
fn reference(src: &Source<'_>, sql: &'static str, key: &str) -> Result<Option<String>, StoreError> {
    match src.reference {
        Some(cache) => cached(&cache.lookups, (sql, key.to_string()), || one(src.db, sql, key)),
        None => one(src.db, sql, key),
    }
}

/// [`crate::accreditation::of_organisation`], answered from
/// `src.reference` when it holds the answer.
fn accreditations(src: &Source<'_>, organisation: Uuid) -> Result<Option<Vec<Accreditation>>, StoreError> {
    let ask = || crate::accreditation::of_organisation(src.db, organisation);
    match src.reference {
        Some(cache) => cached(&cache.accreditations, organisation, ask),
        None => ask(),
    }
}

/// Everything the register holds that `r`'s approval depends on, for a report
/// by `organisation` decided on `today`.
pub(crate) fn context(
    src: &Source<'_>,
    r: &Report,
    organisation: Uuid,
    today: Date,
) -> Result<Context, StoreError> {
    let db = src.db;
    let kind: String =
        reference(src, "SELECT kind FROM organisations WHERE id = ?1", &uuid_text(organisation))?
            .ok_or_else(|| StoreError::Unknown { what: "organisation", key: uuid_text(organisation) })?;
    let mut ctx = Context::new(stored_code(&kind, &format!("organisation {organisation}"))?, today);
    ctx.organisation_id = organisation;
    ctx.task = r.task.as_deref().map(|key| task(db, key)).transpose()?.flatten();
    ctx.named_hazard = match &r.hazard {
        Some(key) => one(
            db,
            "SELECT id FROM hazards WHERE (id = ?1 OR code = ?1 COLLATE NOCASE) AND revoked_at IS NULL",
            key.trim(),
        )?
        .map(|id| parse_uuid(&id))
        .transpose()?,
        None => None,
    };
    if let (Some(h), None, OrganisationKind::Operator) = (ctx.named_hazard, &ctx.task, ctx.organisation_kind)
    {
        ctx.tasked_on_hazard = db
            // A task called off still covers work that ended by its day.
            .prepare_cached(
                "SELECT count(*) > 0 FROM tasks WHERE hazard_id = ?1 AND organisation_id = ?2
                   AND (status <> 'CANCELLED' OR coalesce(cancelled_on, issued_on) >= ?3)",
            )?
            .query_row([uuid_text(h), uuid_text(organisation), date_text(r.end_date)], |x| x.get(0))?;
    }
    if let Some(insp) = &r.inspection {
        ctx.inspected = insp.ground().map(|a| released_area(db, *a)).collect::<Result<_, _>>()?;
    }
    let mut hazards: BTreeSet<Uuid> = ctx.named_hazard.into_iter().collect();
    hazards.extend(ctx.task.as_ref().map(|t| t.hazard_id));
    hazards.extend(ctx.inspected.iter().flatten().filter_map(|a| match a {
        ReleasedArea::Standing { hazard_id, .. } => Some(*hazard_id),
        ReleasedArea::Revoked { .. } => None,
    }));
    let ground = approval::needs_ground(r);
    ctx.hazards = hazards.into_iter().map(|h| hazard(db, h, ground)).collect::<Result<_, _>>()?;
    new_hazard(src, r, &mut ctx)?;
    let given = given_ids(r);
    let found = match src.taken {
        Some(known) => known.clone(),
        None => taken(db, src.pending, &given.iter().map(|(k, u)| (table(*k), *u)).collect::<Vec<_>>())?,
    };
    ctx.taken = found
        .into_iter()
        .filter_map(|(t, u)| given.iter().find(|(k, g)| table(*k) == t && *g == u).copied())
        .collect::<HashSet<(Record, Uuid)>>();
    ctx.team = match &r.team {
        Some(t) => db
            .prepare_cached(
                "SELECT id FROM teams WHERE (id = ?1 OR name = ?1 COLLATE NOCASE) AND organisation_id = ?2",
            )?
            .query_row([t.trim(), uuid_text(organisation).as_str()], |x| x.get::<String>(0))
            .optional()?
            .map(|id| parse_uuid(&id))
            .transpose()?,
        None => None,
    };
    places(src, r, &mut ctx)?;
    ctx.accreditations = accreditations(src, organisation)?;
    let points = approval::sighted(r);
    if !points.is_empty() {
        ctx.released_ground = crate::residual::released_at(db, &points)?;
        if !ctx.released_ground.is_empty() {
            ctx.investigator = crate::residual::investigator(db)?;
        }
    }
    Ok(ctx)
}

/// The table a record a report brings with its own UUID is kept in.
fn table(r: Record) -> &'static str {
    match r {
        Record::ReleasedArea => "released_areas",
        Record::EoFind => "eo_finds",
        Record::Accident => "accidents",
        Record::EoreSession => "eore_sessions",
    }
}

fn one(db: &Db, sql: &str, key: &str) -> Result<Option<String>, StoreError> {
    db.prepare_cached(sql)?.query_row([key], |r| r.get(0)).optional()
}

/// A vocabulary's code as stored, or a message naming the stored value.
pub(crate) fn task(db: &Db, key: &str) -> Result<Option<TaskFacts>, StoreError> {
    type Row = (String, String, String, String, String, Option<String>, String, Option<String>);
    let row: Option<Row> = db
        .prepare_cached(
            "SELECT id, code, hazard_id, organisation_id, issued_on, due_on, status, cancelled_on FROM tasks
             WHERE id = ?1 OR code = ?1 COLLATE NOCASE",
        )?
        .query_row([key.trim()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .optional()?;
    let Some((id, code, hazard, org, issued, due, status, cancelled)) = row else { return Ok(None) };
    let what = format!("task {code}");
    Ok(Some(TaskFacts {
        id: parse_uuid(&id)?,
        hazard_id: parse_uuid(&hazard)?,
        organisation_id: parse_uuid(&org)?,
        issued_on: stored_date(&issued, &what)?,
        due_on: due.map(|d| stored_date(&d, &what)).transpose()?,
        status: stored_code(&status, &what)?,
        // Cancelled before schema 15 kept no day: from its issue, then.
        cancelled_on: match (cancelled, status.as_str()) {
            (Some(d), _) => Some(stored_date(&d, &what)?),
            (None, "CANCELLED") => Some(stored_date(&issued, &what)?),
            (None, _) => None,
        },
        code,
    }))
}

fn released_area(db: &Db, id: Uuid) -> Result<Option<ReleasedArea>, StoreError> {
    let row: Option<(String, String, String, Option<String>)> = db
        .prepare_cached(
            "SELECT hazard_id, organisation_id, released_on, revoked_at FROM released_areas WHERE id = ?1",
        )?
        .query_row([uuid_text(id)], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)))
        .optional()?;
    Ok(match row {
        None => None,
        Some((_, _, _, Some(at))) => Some(ReleasedArea::Revoked { at }),
        Some((h, o, on, None)) => Some(ReleasedArea::Standing {
            hazard_id: parse_uuid(&h)?,
            organisation_id: parse_uuid(&o)?,
            released_on: stored_date(&on, &format!("released area {id}"))?,
        }),
    })
}

/// A hazard with (when `ground`) its polygon and the ground released from
/// it, oldest first.
fn hazard(db: &Db, id: Uuid, ground: bool) -> Result<HazardFacts, StoreError> {
    let record = format!("hazard {id}");
    let (district, status, remaining): (String, String, f64) = db
        .prepare_cached("SELECT district_id, status, area_remaining_m2 FROM hazards WHERE id = ?1")?
        .query_row([uuid_text(id)], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))?;
    let facts = |geometry, released| -> Result<HazardFacts, StoreError> {
        Ok(HazardFacts {
            id,
            district_id: parse_uuid(&district)?,
            status: stored_code(&status, &record)?,
            geometry,
            remaining_m2: remaining,
            released,
        })
    };
    if !ground {
        return facts(MultiPolygon(vec![]), vec![]);
    }
    let geom: Vec<u8> = db
        .prepare_cached("SELECT geom FROM hazards WHERE id = ?1")?
        .query_row([uuid_text(id)], |x| x.get(0))?;
    let mut released = Vec::new();
    let mut stmt = db.prepare_cached(
        "SELECT id, outcome, geom FROM released_areas WHERE hazard_id = ?1 AND revoked_at IS NULL ORDER BY fid",
    )?;
    let mut rows = stmt.query([uuid_text(id)])?;
    while let Some(row) = rows.next()? {
        let (area, outcome, g): (String, String, Vec<u8>) = (row.get(0)?, row.get(1)?, row.get(2)?);
        released.push(PriorRelease {
            id: parse_uuid(&area)?,
            outcome: stored_code(&outcome, &format!("released area {area}"))?,
            geometry: read_multipolygon(&g, &format!("released ground of {record}"))?,
        });
    }
    facts(read_multipolygon(&geom, &record)?, released)
}

/// The new hazard's district, whether its UUID and code are free, and the
/// next code of its district.
fn new_hazard(src: &Source<'_>, r: &Report, ctx: &mut Context) -> Result<(), StoreError> {
    let Some(n) = &r.new_hazard else { return Ok(()) };
    let db = src.db;
    let district = reference(
        src,
        "SELECT id FROM districts WHERE id = ?1 OR name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
        n.district.trim(),
    )?;
    if let Some(id) = n.id {
        ctx.new_hazard_id_taken = match src.new_hazard_taken {
            Some(known) => known,
            None => one(db, "SELECT id FROM hazards WHERE id = ?1", &uuid_text(id))?.is_some(),
        };
    }
    if let Some(code) = &n.code {
        ctx.new_hazard_code_taken = match src.new_hazard_code_taken {
            Some(known) => known,
            None => {
                src.pending.is_some_and(|p| p.holds_code(code))
                    || one(db, "SELECT id FROM hazards WHERE code = ?1 COLLATE NOCASE", code)?.is_some()
            }
        };
    }
    if let (Some(d), None) = (&district, &n.code) {
        ctx.next_hazard_code = Some(next_hazard_code(db, src.pending, d)?);
    }
    ctx.new_hazard_district = district.map(|d| parse_uuid(&d)).transpose()?;
    Ok(())
}

/// The district's next hazard code: its HASC code and a serial number one
/// past the highest the district's codes hold, in six digits or more.
/// Read backwards along the index of codes, so it costs the same on the
/// hundred-thousandth hazard as on the first (a `LIKE` over every code made
/// an import quadratic); [`highest_serial`] reads every code of the district
/// when the index has no answer. Codes waiting for their COPY count too.
fn next_hazard_code(db: &Db, pending: Option<&Pending>, district: &str) -> Result<String, StoreError> {
    let hasc: Option<String> =
        db.prepare_cached("SELECT hasc FROM districts WHERE id = ?1")?.query_row([district], |x| x.get(0))?;
    let prefix = hasc.unwrap_or_else(|| "XX".into()).replace('.', "-");
    let (low, high) = (format!("{prefix}-000000"), format!("{prefix}-999999"));
    let mut stmt = db.prepare_cached(include_str!("../sql/next_hazard_code.sql"))?;
    let mut rows = stmt.query(params![low, high, low.len() as i64])?;
    let mut six_digits = None;
    while let Some(row) = rows.next()? {
        let code: String = row.get(0)?;
        if let Some(n) = serial(&code, &prefix) {
            six_digits = Some(n);
            break;
        }
    }
    drop(rows);
    let last = match six_digits {
        Some(n) if n < 999_999 => n,
        // No six-digit serial (a district's first hazard, or codes typed by
        // hand), or the last one: the slow way.
        _ => highest_serial(db, &prefix)?,
    };
    let last = last.max(pending.map_or(0, |p| p.highest_serial(&prefix)));
    Ok(format!("{prefix}-{:06}", last + 1))
}

/// The serial of a code PREFIX-DIGITS, in any case.
fn serial(code: &str, prefix: &str) -> Option<u64> {
    let (head, digits) = (code.get(..prefix.len())?, code.get(prefix.len() + 1..)?);
    let dash = code.as_bytes().get(prefix.len()) == Some(&b'-');
    (dash
        && head.eq_ignore_ascii_case(prefix)
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then(|| digits.parse().ok())
    .flatten()
}

/// The highest serial among every code of the district (PREFIX-DIGITS, in
/// any case and any number of digits; 0 when none).
fn highest_serial(db: &Db, prefix: &str) -> Result<u64, StoreError> {
    let mut stmt = db.prepare_cached("SELECT code FROM hazards WHERE lower(code) LIKE ?1")?;
    let mut rows = stmt.query([format!("{}-%", prefix.to_lowercase())])?;
    let mut highest = 0;
    while let Some(row) = rows.next()? {
        let code: String = row.get(0)?;
        highest = highest.max(serial(&code, prefix).unwrap_or(0));
    }
    Ok(highest)
}

/// The districts the report's points fall in, and the settlement its EORE
/// session names.
fn places(src: &Source<'_>, r: &Report, ctx: &mut Context) -> Result<(), StoreError> {
    let at = |p: Option<Point<f64>>| p.and_then(|p| district_at(src.districts, &p));
    ctx.find_districts = r.eo_finds.iter().map(|f| at(f.location.point().ok())).collect();
    ctx.accident_district = at(r.accident.as_ref().and_then(|a| a.location.point().ok()));
    let Some(s) = &r.session else { return Ok(()) };
    if let Some(name) = &s.settlement {
        let row: Option<(String, Vec<u8>, Option<String>)> = src
            .db
            .prepare_cached(
                "SELECT id, geom, district_id FROM settlements WHERE id = ?1 OR name = ?1 COLLATE NOCASE
                 ORDER BY fid LIMIT 1",
            )?
            .query_row([name.trim()], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
            .optional()?;
        if let Some((id, geom, district)) = row {
            ctx.settlement = Some(Settlement {
                id: parse_uuid(&id)?,
                location: read_point(&geom, "settlement")?,
                district_id: district.map(|d| parse_uuid(&d)).transpose()?,
            });
        }
    }
    let place =
        s.location.as_ref().and_then(|p| p.point().ok()).or(ctx.settlement.as_ref().map(|s| s.location));
    ctx.session_district = at(place);
    Ok(())
}

/// The district containing a point, if any.
pub(crate) fn district_at(districts: &[DistrictShape], p: &Point<f64>) -> Option<Uuid> {
    districts.iter().find_map(|(id, shape, rect)| {
        let inside_box =
            p.x() >= rect.min().x && p.x() <= rect.max().x && p.y() >= rect.min().y && p.y() <= rect.max().y;
        (inside_box && shape.contains(p)).then_some(*id)
    })
}

impl Writer<'_> {
    /// Writes what an approval decided, in the transaction that loaded its
    /// context; the report's state, event and hazard versions are the caller's.
    /// `batched`: an import's, whose rows may wait for a COPY.
    pub(crate) fn apply(
        &mut self,
        report: &str,
        plan: &Plan,
        batched: bool,
        actor: &str,
    ) -> Result<(), StoreError> {
        // Only a new hazard that the plan's statements below do not refer
        // to can wait for a COPY, with the survey that recorded it.
        let wait = batched
            && plan.new_hazard.is_some()
            && plan.hazard_geometry.is_none()
            && !plan.confirm
            && plan.activity.as_ref().is_none_or(|a| a.released.is_empty())
            && plan.accident.is_none()
            && plan.session.is_none()
            && plan.reopen.is_empty()
            && plan.inspection.is_none()
            && plan.figures.is_none()
            && plan.status.is_none()
            && plan.task_status.is_none();
        if let Some(h) = &plan.new_hazard {
            self.insert_hazard(h, plan.new_hazard_area_m2, wait)?;
        }
        let hazard = plan.hazard.map(uuid_text);
        if let (Some(h), Some(g)) = (&hazard, &plan.hazard_geometry) {
            self.tx
                .prepare_cached("UPDATE hazards SET geom = ?1 WHERE id = ?2")?
                .execute(params![multipolygon_blob(g), h])?;
        }
        if let (Some(h), true) = (&hazard, plan.confirm) {
            self.tx.prepare_cached("UPDATE hazards SET kind = 'CHA' WHERE id = ?1")?.execute([h])?;
        }
        if let Some(a) = &plan.activity {
            self.insert_activity(a, wait)?;
        }
        for f in &plan.eo_finds {
            self.insert_eo_find(f)?;
        }
        if let Some(a) = &plan.accident {
            self.insert_accident(a)?;
        }
        if let Some(s) = &plan.session {
            self.insert_eore_session(s)?;
        }
        self.insert_residuals(report, plan, actor)?;
        if let (Some(i), Some(a)) = (plan.inquiry, &plan.accident) {
            self.insert_inquiry(report, i.id, a.id, i.opened_on, actor)?;
        }
        if let Some(i) = &plan.inspection {
            self.insert_inspection(report, i)?;
        }
        self.insert_raised(report, &plan.non_conformities, actor)?;
        let now = self.context.as_ref().map(|(_, at)| at.clone()).unwrap_or_default();
        for a in &plan.reopen {
            self.tx
                .prepare_cached("UPDATE released_areas SET revoked_at = ?1, revoked_by = ?2 WHERE id = ?3")?
                .execute(params![now, report, uuid_text(*a)])?;
        }
        let Some(h) = hazard else { return Ok(()) };
        if let Some(f) = &plan.figures {
            self.set_figures(&h, f)?;
        }
        if let Some(status) = plan.status {
            self.tx
                .prepare_cached("UPDATE hazards SET status = ?1 WHERE id = ?2")?
                .execute([status.code(), &h])?;
        }
        if let Some((task, status)) = plan.task_status {
            self.tx
                .prepare_cached("UPDATE tasks SET status = ?1 WHERE id = ?2")?
                .execute([status.code(), &uuid_text(task)])?;
        }
        if plan.new_version {
            self.hazards_touched.insert(h);
        }
        Ok(())
    }
}
