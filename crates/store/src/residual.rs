//! Residual contamination: the released ground around a report's points,
//! loaded for approval ([`safeground_core::residual`] decides), the records
//! and investigation tasks an approval writes, and their list.

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, point_blob, read_multipolygon, read_point, stored_date};
use crate::read::stored_code;
use crate::reports::parse_uuid;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use geo::Point;
use rusqlite::params;
use safeground_core::approval::Plan;
use safeground_core::codes::ReleaseOutcome;
use safeground_core::residual::ReleasedGround;
use time::Date;
use uuid::Uuid;

/// The standing released ground whose bounding box holds one of `points`
/// and that was released before that point's day (`approval::sighted`),
/// each area once, through the spatial index.
pub(crate) fn released_at(db: &Db, points: &[(Point<f64>, Date)]) -> Result<Vec<ReleasedGround>, StoreError> {
    let sql = db.dialect().pick(
        include_str!("../sql/residual/released_at.sql"),
        include_str!("../sql/postgres/residual/released_at.sql"),
    );
    let mut found: Vec<ReleasedGround> = vec![];
    for (p, on) in points {
        let mut stmt = db.prepare_cached(sql)?;
        let mut rows = stmt.query(params![p.x(), p.y(), date_text(*on)])?;
        while let Some(r) = rows.next()? {
            let id = parse_uuid(&r.get::<String>(0)?)?;
            if found.iter().any(|g| g.id == id) {
                continue;
            }
            let record = format!("released area {id}");
            let (outcome, released_on): (String, String) = (r.get(4)?, r.get(5)?);
            let hazard_id: String = r.get(1)?;
            let hazard_code: String = r.get(2)?;
            // A hazard's released areas overlap one box often: its tasks are read once.
            let investigations = match found.iter().find(|g| g.hazard_code == hazard_code) {
                Some(same) => same.investigations,
                None => highest_investigation(db, &hazard_id, &hazard_code)?,
            };
            found.push(ReleasedGround {
                id,
                hazard_id: parse_uuid(&hazard_id)?,
                hazard_code,
                organisation_id: parse_uuid(&r.get::<String>(3)?)?,
                outcome: stored_code::<ReleaseOutcome>(&outcome, &record)?,
                released_on: stored_date(&released_on, &record)?,
                geometry: read_multipolygon(&r.get::<Vec<u8>>(6)?, &record)?,
                investigations,
            });
        }
    }
    Ok(found)
}

/// The highest number among a hazard's investigation tasks
/// (`INV-<hazard code>-<n>`), 0 for none: the next is one more, whatever
/// else was issued or imported in between.
fn highest_investigation(db: &Db, hazard_id: &str, hazard_code: &str) -> Result<u32, StoreError> {
    let prefix = format!("INV-{hazard_code}-");
    let mut stmt = db.prepare_cached("SELECT code FROM tasks WHERE hazard_id = ?1")?;
    let codes = stmt.query_map([hazard_id], |r| r.get::<String>(0))?;
    let mut highest = 0;
    for code in codes {
        if let Some(n) = code?.strip_prefix(prefix.as_str()).and_then(|n| n.parse::<u32>().ok()) {
            highest = highest.max(n);
        }
    }
    Ok(highest)
}

/// Who investigates residual contamination: the first quality-management
/// body, else the first national authority.
pub(crate) fn investigator(db: &Db) -> Result<Option<Uuid>, StoreError> {
    db.prepare_cached(
        "SELECT id FROM organisations WHERE kind IN ('QM_BODY', 'NATIONAL_AUTHORITY')
         ORDER BY CASE kind WHEN 'QM_BODY' THEN 0 ELSE 1 END, fid LIMIT 1",
    )?
    .query_row((), |r| r.get::<String>(0))
    .optional()?
    .map(|id| parse_uuid(&id))
    .transpose()
}

impl Writer<'_> {
    /// Issues the plan's investigation tasks (each an event TASK_ISSUED by
    /// `actor`, with the reason) and records its residual-risk records, in
    /// the approval in progress.
    pub(crate) fn insert_residuals(
        &mut self,
        report: &str,
        plan: &Plan,
        actor: &str,
    ) -> Result<(), StoreError> {
        if plan.residuals.is_empty() {
            return Ok(());
        }
        // The finds and accident they name may be waiting for a COPY.
        self.write_pending()?;
        let now = self.context.as_ref().map(|(_, at)| at.clone()).unwrap_or_default();
        for t in &plan.investigations {
            let n = plan.residuals.iter().filter(|r| r.task_id == t.id).count();
            let reason = format!(
                "investigation of residual contamination: {n} find(s) inside ground released from this hazard, reported by report {report}"
            );
            self.record_task(t, actor, &now, Some(&reason))?;
        }
        for r in &plan.residuals {
            self.tx
                .prepare_cached(
                    "INSERT INTO residuals (geom, id, eo_find_id, accident_id, found_on, released_area_id, hazard_id,
                       released_on, released_by, task_id, report_id, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?
                .execute(params![
                    point_blob(&r.location),
                    uuid_text(r.id),
                    r.eo_find_id.map(uuid_text),
                    r.accident_id.map(uuid_text),
                    date_text(r.found_on),
                    uuid_text(r.released_area_id),
                    uuid_text(r.hazard_id),
                    date_text(r.released_on),
                    uuid_text(r.released_by),
                    uuid_text(r.task_id),
                    report,
                    now,
                ])?;
            self.touch("residuals", &r.location);
        }
        Ok(())
    }
}

/// A residual-risk record as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResidualRow {
    pub id: String,
    /// `EO_FIND` or `ACCIDENT`.
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub found_on: Date,
    pub lon: f64,
    pub lat: f64,
    /// The EO's category, type and quantity, or the accident's device
    /// category and casualties.
    pub what: String,
    pub hazard: String,
    pub district: String,
    pub released_area: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub released_on: Date,
    pub outcome: ReleaseOutcome,
    /// The organisation that released the ground.
    pub released_by: String,
    /// The investigation task, who holds it and its status.
    pub task: String,
    pub task_organisation: String,
    pub task_status: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub task_due_on: Option<Date>,
    /// The report that brought the find.
    pub report: String,
}

impl ResidualRow {
    /// Whether its investigation is still to be done.
    pub fn open(&self) -> bool {
        matches!(self.task_status.as_str(), "ISSUED" | "IN_PROGRESS")
    }
}

impl Store {
    /// The residual-risk records in force, the latest find first; only those
    /// whose investigation is still open with `open_only`.
    pub fn residuals(&self, open_only: bool) -> Result<Vec<ResidualRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/residual/list.sql"))?;
        let mut rows = stmt.query(params![i64::from(open_only)])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let record = format!("residual {id}");
            let (found_on, released_on, due): (String, String, Option<String>) =
                (r.get(3)?, r.get(9)?, r.get(15)?);
            let location = read_point(&r.get::<Vec<u8>>(2)?, &record)?;
            let outcome: String = r.get(10)?;
            out.push(ResidualRow {
                id,
                kind: r.get(1)?,
                found_on: stored_date(&found_on, &record)?,
                lon: location.x(),
                lat: location.y(),
                what: r.get(4)?,
                hazard: r.get(5)?,
                district: r.get(6)?,
                released_area: r.get(7)?,
                released_by: r.get(8)?,
                released_on: stored_date(&released_on, &record)?,
                outcome: stored_code(&outcome, &record)?,
                task: r.get(11)?,
                task_organisation: r.get(12)?,
                task_status: r.get(13)?,
                report: r.get(14)?,
                task_due_on: due.map(|d| stored_date(&d, &record)).transpose()?,
            });
        }
        Ok(out)
    }
}
