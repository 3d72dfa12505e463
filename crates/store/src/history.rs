//! Reading reports and the history: report lists, one report with its
//! events, a hazard's versions, and every report that touched a point.

use crate::db::{OptionalExtension, Row};
use crate::geometry::{read_multipolygon, stored_date};
use crate::read::stored_code;
use crate::reports::{stored_id, ApprovalSettings, EventRow, HazardVersion, ReportRow, TraceRow};
use crate::{Store, StoreError};
use geo::{Contains, Point};
use rusqlite::params;
use safeground_core::accounting::ReleaseFigures;
use safeground_core::codes::ReportState;
use safeground_core::ids::ReportId;
use safeground_core::report::{ImportSource, Report};
use time::OffsetDateTime;
use uuid::Uuid;

fn report_row(r: &Row<'_>) -> Result<ReportRow, StoreError> {
    Ok(ReportRow {
        id: stored_id(r.get(0)?)?,
        report_type: stored_code(&r.get::<String>(1)?, "stored report")?,
        state: stored_code(&r.get::<String>(2)?, "stored report")?,
        organisation: r.get(3)?,
        task: r.get(4)?,
        hazard: r.get(5)?,
        start_date: stored_date(&r.get::<String>(6)?, "stored report")?,
        end_date: stored_date(&r.get::<String>(7)?, "stored report")?,
        submitted_at: r.get(8)?,
        submitted_by: r.get(9)?,
        decided_at: r.get(10)?,
        decided_by: r.get(11)?,
        reason: r.get(12)?,
        version: r.get(13)?,
    })
}

const REPORT_FIELDS: &str = "r.id, r.type, r.state, o.acronym, t.code, h.code, r.start_date, r.end_date,
   r.submitted_at, r.submitted_by, r.decided_at, r.decided_by, r.reason, r.version";
const REPORT_TABLES: &str = "FROM reports r JOIN organisations o ON o.id = r.organisation_id
   LEFT JOIN tasks t ON t.id = r.task_id LEFT JOIN hazards h ON h.id = r.hazard_id";

impl Store {
    /// Submits a report; returns its id.
    pub fn submit(&mut self, r: &Report, actor: &str, at: OffsetDateTime) -> Result<ReportId, StoreError> {
        self.write(|w| w.submit(r, actor, at))
    }

    /// Approves a submitted report (see [`crate::Writer::approve`]).
    pub fn approve(
        &mut self,
        id: ReportId,
        actor: &str,
        at: OffsetDateTime,
        settings: &ApprovalSettings,
        expect_version: Option<i64>,
    ) -> Result<Vec<String>, StoreError> {
        self.write(|w| w.approve(id, actor, at, settings, expect_version))
    }

    pub fn reject(
        &mut self,
        id: ReportId,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.write(|w| w.reject(id, reason, actor, at))
    }

    pub fn unapprove(
        &mut self,
        id: ReportId,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.write(|w| w.unapprove(id, reason, actor, at))
    }

    /// An organisation's UUID, by acronym or UUID.
    pub fn organisation(&self, key: &str) -> Result<Option<Uuid>, StoreError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM organisations WHERE id = ?1 OR acronym = ?1 COLLATE NOCASE",
                [key.trim()],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|s| {
            Uuid::parse_str(&s)
                .map_err(|e| StoreError::Invalid { record: "organisation".into(), problem: e.to_string() })
        })
        .transpose()
    }

    /// An organisation's acronym, by UUID.
    pub fn organisation_acronym(&self, id: Uuid) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT acronym FROM organisations WHERE id = ?1",
                [id.hyphenated().to_string()],
                |r| r.get(0),
            )
            .optional()
    }

    /// Reports, newest first, optionally in one state.
    pub fn reports(&self, state: Option<ReportState>) -> Result<Vec<ReportRow>, StoreError> {
        Ok(self.report_page(state, None, None, crate::Paging::ALL)?.1)
    }

    /// One page of the reports in `state` (any) of `organisation` (an
    /// acronym, any case; any) about `hazard` (a code or UUID; any), newest
    /// first, and how many there are in all:
    /// filtered and paged by the database.
    pub fn report_page(
        &self,
        state: Option<ReportState>,
        organisation: Option<&str>,
        hazard: Option<&str>,
        page: crate::Paging,
    ) -> Result<(usize, Vec<ReportRow>), StoreError> {
        // A hazard by code or UUID: the reports about it (reports' index on
        // hazard_id) and those behind its versions (an import's, a migration's).
        let sql = format!(
            "SELECT {REPORT_FIELDS}, count(*) OVER () AS matching {REPORT_TABLES}
              WHERE (?1 IS NULL OR r.state = ?1) AND (?2 IS NULL OR o.acronym = ?2 COLLATE NOCASE)
                AND (CAST(?5 AS TEXT) IS NULL
                     OR r.hazard_id IN (SELECT x.id FROM hazards x WHERE x.code = CAST(?5 AS TEXT) OR x.id = CAST(?5 AS TEXT))
                     OR r.id IN (SELECT v.report_id FROM hazard_versions v JOIN hazards x ON x.id = v.hazard_id
                                 WHERE x.code = CAST(?5 AS TEXT) OR x.id = CAST(?5 AS TEXT)))
              ORDER BY r.fid DESC LIMIT ?3 OFFSET ?4"
        );
        let run = |page: crate::Paging| -> Result<Vec<(usize, ReportRow)>, StoreError> {
            let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
            let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![state.map(|s| s.code()), organisation, limit, offset, hazard], |r| {
                    Ok((usize::try_from(r.get::<i64>(14)?).unwrap_or(0), report_row(r)?))
                })?;
            rows.collect()
        };
        let rows = run(page)?;
        let total = match rows.first() {
            Some((n, _)) => *n,
            None if page.offset > 0 => run(crate::Paging { offset: 0, limit: 1 })?.first().map_or(0, |r| r.0),
            None => 0,
        };
        Ok((total, rows.into_iter().map(|(_, r)| r).collect()))
    }

    /// One report: its row, its body as submitted (without personal data) and its events.
    pub fn report(&self, id: ReportId) -> Result<(ReportRow, serde_json::Value, Vec<EventRow>), StoreError> {
        let row = self.report_row(id)?;
        let key = id.to_string();
        let body: String =
            self.conn.query_row("SELECT body FROM reports WHERE id = ?1", [&key], |r| r.get(0))?;
        let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        let events = self.events_of(&key)?;
        Ok((row, body, events))
    }

    /// One report's row as lists show it (its state, organisation, type,
    /// version), without its body or events.
    pub fn report_row(&self, id: ReportId) -> Result<ReportRow, StoreError> {
        let sql = format!("SELECT {REPORT_FIELDS} {REPORT_TABLES} WHERE r.id = ?1");
        let key = id.to_string();
        self.conn
            .prepare_cached(&sql)?
            .query_map([&key], report_row)?
            .next()
            .transpose()?
            .ok_or_else(|| StoreError::Unknown { what: "report", key })
    }

    /// Victims' names and contacts in a report, as submitted (only for those
    /// allowed personal data: the caller decides).
    pub fn report_personal(&self, id: ReportId) -> Result<Option<serde_json::Value>, StoreError> {
        let data: Option<String> = self
            .conn
            .query_row("SELECT data FROM report_personal WHERE report_id = ?1", [id.to_string()], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(data.map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))))
    }

    fn events_of(&self, report: &str) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, kind, report_id, reason FROM events WHERE report_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([report], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                kind: r.get(3)?,
                report_id: r.get::<Option<String>>(4)?.map(stored_id).transpose()?,
                reason: r.get(5)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()
    }

    /// Every version of a hazard (by code or UUID), oldest first.
    pub fn hazard_history(&self, key: &str) -> Result<Vec<HazardVersion>, StoreError> {
        let id: String = self
            .conn
            .query_row(
                "SELECT id FROM hazards WHERE id = ?1 OR code = ?1 COLLATE NOCASE",
                [key.trim()],
                |r| r.get(0),
            )
            .map_err(|_| StoreError::Unknown { what: "hazard", key: key.to_string() })?;
        let mut stmt = self.conn.prepare(
            "SELECT v.version, v.valid_from, v.valid_to, v.status, v.kind, v.area_recorded_m2, v.area_cancelled_m2,
                    v.area_reduced_m2, v.area_cleared_m2, v.area_remaining_m2, v.report_id, r.type, e.actor, e.kind
             FROM hazard_versions v LEFT JOIN reports r ON r.id = v.report_id LEFT JOIN events e ON e.id = v.event_id
             WHERE v.hazard_id = ?1 ORDER BY v.version",
        )?;
        let rows = stmt.query_map([&id], |r| {
            Ok(HazardVersion {
                version: r.get(0)?,
                valid_from: r.get(1)?,
                valid_to: r.get(2)?,
                status: stored_code(&r.get::<String>(3)?, "stored hazard version")?,
                kind: stored_code(&r.get::<String>(4)?, "stored hazard version")?,
                area_m2: ReleaseFigures {
                    recorded: r.get(5)?,
                    cancelled: r.get(6)?,
                    reduced: r.get(7)?,
                    cleared: r.get(8)?,
                    remaining: r.get(9)?,
                },
                report_id: r.get::<Option<String>>(10)?.map(stored_id).transpose()?,
                report_type: r
                    .get::<Option<String>>(11)?
                    .map(|t| stored_code(&t, "stored hazard version"))
                    .transpose()?,
                actor: r.get(12)?,
                event: r.get(13)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()
    }

    /// Every report that touched the ground at a point: that recorded or
    /// re-drew a hazard polygon containing it, or released ground there. The
    /// spatial index picks the candidates (`sql/trace_*.sql`); only their
    /// polygons are read.
    pub fn trace(&self, p: Point<f64>) -> Result<Vec<TraceRow>, StoreError> {
        let mut out = Vec::new();
        let sql = |sqlite, postgres| self.conn.dialect().pick(sqlite, postgres);
        let mut stmt = self.conn.prepare(sql(
            include_str!("../sql/trace_versions.sql"),
            include_str!("../sql/postgres/trace_versions.sql"),
        ))?;
        let mut rows = stmt.query(params![p.x(), p.y()])?;
        while let Some(r) = rows.next()? {
            let blob: Vec<u8> = r.get(0)?;
            let code: String = r.get(3)?;
            if !read_multipolygon(&blob, &format!("hazard {code}"))?.contains(&p) {
                continue;
            }
            let version: i64 = r.get(1)?;
            let status: String = r.get(8)?;
            out.push(TraceRow {
                report_id: stored_id(r.get(2)?)?,
                report_type: stored_code(&r.get::<String>(4)?, "stored report")?,
                state: stored_code(&r.get::<String>(5)?, "stored report")?,
                organisation: r.get(6)?,
                decided_at: r.get(7)?,
                hazard: code,
                what: if version == 1 {
                    "recorded the hazard".to_string()
                } else {
                    format!("made version {version} of the hazard ({status})")
                },
                feature: None,
            });
        }
        let mut stmt = self.conn.prepare(sql(
            include_str!("../sql/trace_released.sql"),
            include_str!("../sql/postgres/trace_released.sql"),
        ))?;
        let mut rows = stmt.query(params![p.x(), p.y()])?;
        while let Some(r) = rows.next()? {
            let blob: Vec<u8> = r.get(0)?;
            let code: String = r.get(4)?;
            if !read_multipolygon(&blob, &format!("released ground of {code}"))?.contains(&p) {
                continue;
            }
            let outcome: String = r.get(1)?;
            let revoked: Option<String> = r.get(2)?;
            let by: Option<String> = r.get(9)?;
            out.push(TraceRow {
                report_id: stored_id(r.get(3)?)?,
                report_type: stored_code(&r.get::<String>(5)?, "stored report")?,
                state: stored_code(&r.get::<String>(6)?, "stored report")?,
                organisation: r.get(7)?,
                decided_at: r.get(8)?,
                hazard: code.clone(),
                what: match (revoked, &by) {
                    (None, _) => format!("released it ({outcome})"),
                    (Some(at), Some(qm)) => {
                        format!("released it ({outcome}); re-opened by QM report {qm} at {at}")
                    }
                    (Some(at), None) => format!("released it ({outcome}); withdrawn at {at}"),
                },
                feature: None,
            });
            if let Some(qm) = by {
                let row: (String, String, String, Option<String>) = self.conn.query_row(
                    "SELECT r.type, r.state, o.acronym, r.decided_at FROM reports r
                     JOIN organisations o ON o.id = r.organisation_id WHERE r.id = ?1",
                    params![qm],
                    |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)),
                )?;
                out.push(TraceRow {
                    report_id: stored_id(qm)?,
                    report_type: stored_code(&row.0, "stored report")?,
                    state: stored_code(&row.1, "stored report")?,
                    organisation: row.2,
                    decided_at: row.3,
                    hazard: code,
                    what: "re-opened the ground (failed QC)".into(),
                    feature: None,
                });
            }
        }
        // Each report's body is read once, however many rows name it.
        let mut sources: std::collections::HashMap<ReportId, Option<ImportSource>> = Default::default();
        for row in &mut out {
            let source = match sources.entry(row.report_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(self.import_source(row.report_id)?),
            };
            if let Some(source) = source {
                row.feature = self.imported_feature(row.report_id, &row.hazard, source)?;
            }
        }
        Ok(out)
    }

    /// Where in its file an import's report took what it did to a hazard:
    /// "FILE, feature N" from the report's list of features and records.
    fn imported_feature(
        &self,
        report: ReportId,
        hazard_code: &str,
        source: &ImportSource,
    ) -> Result<Option<String>, StoreError> {
        let report = report.to_string();
        let mut ids: Vec<String> = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.id FROM hazards h WHERE h.code = ?2
             UNION SELECT a.id FROM activities a JOIN hazards h ON h.id = a.hazard_id WHERE a.report_id = ?1 AND h.code = ?2
             UNION SELECT x.id FROM released_areas x JOIN hazards h ON h.id = x.hazard_id WHERE x.report_id = ?1 AND h.code = ?2",
        )?;
        let mut rows = stmt.query(params![report, hazard_code])?;
        while let Some(r) = rows.next()? {
            ids.push(r.get(0)?);
        }
        Ok(source
            .items
            .iter()
            .find(|i| i.records.iter().any(|r| ids.contains(&r.to_string())))
            .map(|i| format!("{}, {}", source.file, i.features.join(", "))))
    }

    /// The file an import's report names, for a report that is one.
    fn import_source(&self, report: ReportId) -> Result<Option<ImportSource>, StoreError> {
        let body: String = self
            .conn
            .prepare_cached("SELECT body FROM reports WHERE id = ?1")?
            .query_row([report.to_string()], |r| r.get(0))?;
        Ok(serde_json::from_str::<Report>(&body).ok().and_then(|r| r.import))
    }

    /// The districts' boundaries with their bounding boxes.
    pub(crate) fn district_shapes(&self) -> Result<Vec<crate::write::DistrictShape>, StoreError> {
        use geo::BoundingRect;
        let mut stmt = self.conn.prepare("SELECT id, name, geom FROM districts ORDER BY fid")?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let name: String = r.get(1)?;
            let blob: Vec<u8> = r.get(2)?;
            let mp = read_multipolygon(&blob, &format!("district {name}"))?;
            if let Some(rect) = mp.bounding_rect() {
                let id = Uuid::parse_str(&id).map_err(|e| StoreError::Invalid {
                    record: format!("district {name}"),
                    problem: format!("id '{id}' is not a UUID: {e}"),
                })?;
                out.push((id, mp, rect));
            }
        }
        Ok(out)
    }
}
