//! Field reports: submission, the checks before approval, the effects of
//! approval in one transaction, rejection, unapproval, and the history.

use crate::db::OptionalExtension;
use crate::geometry::{date_text, multipolygon_blob, read_multipolygon};
use crate::write::{uuid_text, Writer};
use crate::StoreError;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rusqlite::params;
use safeground_core::area::multipolygon_perimeter;
use safeground_core::codes::*;
use safeground_core::model::*;
use safeground_core::proximity::{distance_to, intersection_area};
use safeground_core::report::{self, QmResult, Report, ReportType};
use safeground_core::validate::Rules;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What approval may accept; the authority sets these.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalSettings {
    /// How far (metres) released ground may stray outside its hazard: GPS and
    /// walking error along the boundary.
    pub tolerance_m: f64,
    /// A completed hazard closes when less than this (m²) remains.
    pub close_below_m2: f64,
    /// The most positions a polygon may have (`validate::Rules::max_vertices`).
    pub max_vertices: usize,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        ApprovalSettings {
            tolerance_m: 5.0,
            close_below_m2: 10.0,
            max_vertices: safeground_core::validate::MAX_VERTICES,
        }
    }
}

/// A time as stored: RFC 3339 in UTC, to the second.
pub fn time_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The exclusive end of a day, for "as of" that day.
pub fn end_of_day(d: Date) -> String {
    let next = d.next_day().unwrap_or(d);
    format!("{}T00:00:00Z", date_text(next))
}

pub(crate) fn refused(report: &str, problems: Vec<String>) -> StoreError {
    StoreError::Refused { report: report.to_string(), problems }
}

fn invalid(record: impl Into<String>, problem: impl Into<String>) -> StoreError {
    StoreError::Invalid { record: record.into(), problem: problem.into() }
}

/// A task as approval needs it.
pub(crate) struct TaskRow {
    pub(crate) id: String,
    code: String,
    pub(crate) hazard_id: String,
    organisation_id: String,
    issued_on: String,
    due_on: Option<String>,
}

/// A report as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    pub id: String,
    #[serde(rename = "type")]
    pub report_type: String,
    pub state: String,
    pub organisation: String,
    pub task: Option<String>,
    pub hazard: Option<String>,
    pub start_date: String,
    pub end_date: String,
    pub submitted_at: String,
    pub submitted_by: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub version: i64,
}

/// One event of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRow {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub report_id: Option<String>,
    pub reason: Option<String>,
}

/// One version of a hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardVersion {
    pub version: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub status: String,
    pub kind: String,
    pub area_m2: safeground_core::accounting::ReleaseFigures,
    pub report_id: Option<String>,
    pub report_type: Option<String>,
    pub actor: Option<String>,
    pub event: Option<String>,
}

/// A report that touched the ground at a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceRow {
    pub report_id: String,
    #[serde(rename = "type")]
    pub report_type: String,
    pub state: String,
    pub organisation: String,
    pub decided_at: Option<String>,
    pub hazard: String,
    /// What the report did there.
    pub what: String,
}

/// Splits victims' names and contacts off a report's JSON (personal data is
/// kept apart), returning the report without them and the personal part.
pub(crate) fn split_personal(r: &Report) -> (Report, Option<serde_json::Value>) {
    let mut clean = r.clone();
    let Some(acc) = clean.accident.as_mut() else { return (clean, None) };
    let mut personal = Vec::new();
    for v in acc.victims.iter_mut() {
        personal.push(serde_json::json!({ "name": v.name.take(), "contact": v.contact.take() }));
    }
    let any = personal.iter().any(|p| !p["name"].is_null() || !p["contact"].is_null());
    (clean, any.then_some(serde_json::Value::Array(personal)))
}

impl Writer<'_> {
    fn one_id(&self, sql: &str, key: &str) -> Result<Option<String>, StoreError> {
        self.tx.prepare_cached(sql)?.query_row([key], |r| r.get(0)).optional()
    }

    pub(crate) fn organisation_id(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.one_id("SELECT id FROM organisations WHERE id = ?1 OR acronym = ?1 COLLATE NOCASE", key.trim())
    }

    pub(crate) fn task(&self, key: &str) -> Result<Option<TaskRow>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT id, code, hazard_id, organisation_id, issued_on, due_on FROM tasks
                 WHERE id = ?1 OR code = ?1 COLLATE NOCASE",
            )?
            .query_row([key.trim()], |r| {
                Ok(TaskRow {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    hazard_id: r.get(2)?,
                    organisation_id: r.get(3)?,
                    issued_on: r.get(4)?,
                    due_on: r.get(5)?,
                })
            })
            .optional()
    }

    pub(crate) fn hazard_id(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.one_id(
            "SELECT id FROM hazards WHERE (id = ?1 OR code = ?1 COLLATE NOCASE) AND revoked_at IS NULL",
            key.trim(),
        )
    }

    pub(crate) fn record(
        &mut self,
        kind: &str,
        at: &str,
        actor: &str,
        report: Option<&str>,
        task: Option<&str>,
        reason: Option<&str>,
    ) -> Result<String, StoreError> {
        let id = uuid_text(Uuid::new_v4());
        let seq: i64 = self
            .tx
            .prepare_cached("INSERT INTO events (id, at, actor, kind, report_id, task_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING seq")?
            .query_row(params![id, at, actor, kind, report, task, reason], |r| r.get(0))?;
        self.first_event.get_or_insert(seq);
        Ok(id)
    }

    /// Records an event about an account or a token (`subject`).
    pub(crate) fn record_about(
        &mut self,
        kind: &str,
        at: &str,
        actor: &str,
        subject: &str,
        reason: Option<&str>,
    ) -> Result<String, StoreError> {
        let id = uuid_text(Uuid::new_v4());
        let seq: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO events (id, at, actor, kind, subject, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
            )?
            .query_row(params![id, at, actor, kind, subject, reason], |r| r.get(0))?;
        self.first_event.get_or_insert(seq);
        Ok(id)
    }

    /// Records a submitted report (state SUBMITTED). Its shape is checked now
    /// (a report that cannot be approved as written is refused at the door);
    /// the checks against the register run at approval.
    pub fn submit(&mut self, r: &Report, actor: &str, at: OffsetDateTime) -> Result<Uuid, StoreError> {
        let id = r.id.unwrap_or_else(Uuid::new_v4);
        let label = format!("report {id}");
        let exists: bool = self
            .tx
            .prepare_cached("SELECT count(*) > 0 FROM reports WHERE id = ?1")?
            .query_row([uuid_text(id)], |r| r.get(0))?;
        if exists {
            return Err(refused(&label, vec!["a report with this id was submitted already".into()]));
        }
        let now = time_text(at);
        self.insert_report(r, id, "SUBMITTED", actor, &now)?;
        self.record("REPORT_SUBMITTED", &now, actor, Some(&uuid_text(id)), None, None)?;
        Ok(id)
    }

    /// Writes report `id` in `state` (SUBMITTED or DRAFT): its references
    /// resolved against the register (refused if one is unknown), its
    /// victims' personal data kept apart.
    pub(crate) fn insert_report(
        &mut self,
        r: &Report,
        id: Uuid,
        state: &str,
        actor: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let label = format!("report {id}");
        let org = self.organisation_id(&r.organisation)?.ok_or_else(|| {
            refused(&label, vec![format!("organisation '{}' is not in the register", r.organisation)])
        })?;
        let task = match &r.task {
            Some(t) => Some(
                self.task(t)?
                    .ok_or_else(|| refused(&label, vec![format!("task '{t}' is not in the register")]))?,
            ),
            None => None,
        };
        let hazard = match &r.hazard {
            Some(h) => Some(
                self.hazard_id(h)?
                    .ok_or_else(|| refused(&label, vec![format!("hazard '{h}' is not in the register")]))?,
            ),
            None => task.as_ref().map(|t| t.hazard_id.clone()),
        };
        let (clean, personal) = split_personal(&Report { id: Some(id), ..r.clone() });
        let body = serde_json::to_string(&clean).map_err(|e| invalid(&label, e.to_string()))?;
        self.tx
            .prepare_cached(
                "INSERT INTO reports (id, type, state, organisation_id, task_id, hazard_id, start_date, end_date,
                   submitted_at, submitted_by, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                uuid_text(id),
                r.report_type.code(),
                state,
                org,
                task.as_ref().map(|t| t.id.clone()),
                hazard,
                date_text(r.start_date),
                date_text(r.end_date),
                now,
                actor,
                body
            ])?;
        if let Some(p) = personal {
            self.tx
                .prepare_cached("INSERT INTO report_personal (report_id, data) VALUES (?1, ?2)")?
                .execute(params![uuid_text(id), p.to_string()])?;
        }
        Ok(())
    }

    /// Loads a report with its state, organisation and version.
    pub(crate) fn load(&self, id: &str) -> Result<(Report, String, String, i64), StoreError> {
        let row: Option<(String, String, String, i64)> = self
            .tx
            .prepare_cached("SELECT body, state, organisation_id, version FROM reports WHERE id = ?1")?
            .query_row([id.trim()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let (body, state, org, version) =
            row.ok_or_else(|| StoreError::Unknown { what: "report", key: id.to_string() })?;
        let mut r = report::parse(&body)
            .map_err(|e| invalid(format!("report {id}"), format!("stored report: {e}")))?;
        let personal: Option<String> = self
            .tx
            .prepare_cached("SELECT data FROM report_personal WHERE report_id = ?1")?
            .query_row([id.trim()], |r| r.get(0))
            .optional()?;
        if let (Some(p), Some(acc)) = (personal, r.accident.as_mut()) {
            let p: serde_json::Value = serde_json::from_str(&p).unwrap_or_default();
            for (i, v) in acc.victims.iter_mut().enumerate() {
                v.name = p[i]["name"].as_str().map(String::from);
                v.contact = p[i]["contact"].as_str().map(String::from);
            }
        }
        Ok((r, state, org, version))
    }

    /// Moves a report from one state to another, recording who and when.
    fn decide(
        &mut self,
        id: &str,
        (from, to): (&str, &str),
        expect_version: Option<i64>,
        (actor, at): (&str, &str),
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE reports SET state = ?1, decided_at = ?2, decided_by = ?3, reason = ?4, version = version + 1
                 WHERE id = ?5 AND state = ?6 AND (CAST(?7 AS INTEGER) IS NULL OR version = CAST(?7 AS INTEGER))",
            )?
            .execute(params![to, at, actor, reason, id, from, expect_version])?;
        if n == 0 {
            return Err(self.not_in_state(id, from, expect_version)?);
        }
        Ok(())
    }

    pub(crate) fn not_in_state(
        &self,
        id: &str,
        wanted: &str,
        expect_version: Option<i64>,
    ) -> Result<StoreError, StoreError> {
        let row: Option<(String, i64, Option<String>, Option<String>)> = self
            .tx
            .prepare_cached("SELECT state, version, decided_by, decided_at FROM reports WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        Ok(match row {
            None => StoreError::Unknown { what: "report", key: id.to_string() },
            Some((_, v, by, when)) if expect_version.is_some_and(|e| e != v) => StoreError::Conflict {
                record: format!("report {id}"),
                detail: format!(
                    "it changed since you read it (version {} then, {v} now{}); look at it again",
                    expect_version.unwrap_or_default(),
                    by.map(|b| format!(", last by {b} at {}", when.unwrap_or_default())).unwrap_or_default()
                ),
            },
            Some((state, _, by, when)) => StoreError::Conflict {
                record: format!("report {id}"),
                detail: format!("it is {state}, not {wanted}{}", by_at(by, when)),
            },
        })
    }

    /// Rejects a submitted report, with the reason.
    pub fn reject(
        &mut self,
        id: &str,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if reason.trim().is_empty() {
            return Err(invalid(format!("report {id}"), "a rejection needs a reason for the author"));
        }
        let now = time_text(at);
        self.decide(id, ("SUBMITTED", "REJECTED"), None, (actor, &now), Some(reason))?;
        self.record("REPORT_REJECTED", &now, actor, Some(id), None, Some(reason))?;
        Ok(())
    }

    /// Checks a submitted report against the register and, if it passes,
    /// applies its effects; all in the caller's transaction. Returns the
    /// problems found when it does not pass (nothing is applied).
    pub fn approve(
        &mut self,
        id: &str,
        actor: &str,
        at: OffsetDateTime,
        settings: &ApprovalSettings,
        expect_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let id = id.trim().to_string();
        let (r, state, org, version) = self.load(&id)?;
        // A stale read is named as such first: the officer decided on what they saw.
        if expect_version.is_some_and(|e| e != version) {
            return Err(self.not_in_state(&id, "SUBMITTED", expect_version)?);
        }
        if state != "SUBMITTED" {
            return Err(self.not_in_state(&id, "SUBMITTED", None)?);
        }
        let now = time_text(at);
        let today = at.date();
        let mut problems = report::check_shape(&r, today);

        // The author and the task.
        let org_kind: String = self
            .tx
            .prepare_cached("SELECT kind FROM organisations WHERE id = ?1")?
            .query_row([&org], |x| x.get(0))?;
        let task = match &r.task {
            Some(t) => self.task(t)?,
            None => None,
        };
        if r.task.is_some() && task.is_none() {
            problems.push(format!("task '{}' is not in the register", r.task.clone().unwrap_or_default()));
        }
        let mut hazard = match &r.hazard {
            Some(h) => {
                let found = self.hazard_id(h)?;
                if found.is_none() {
                    problems.push(format!("hazard '{h}' is not in the register"));
                }
                found
            }
            None => task.as_ref().map(|t| t.hazard_id.clone()),
        };
        if let Some(t) = &task {
            if t.organisation_id != org {
                problems.push(format!(
                    "task {} was given to another operator; only its operator reports on it",
                    t.code
                ));
            }
            if hazard.as_deref().is_some_and(|h| h != t.hazard_id) {
                problems.push(format!("task {} is for another hazard than the one the report names", t.code));
            }
            if date_text(r.start_date) < t.issued_on {
                problems.push(format!(
                    "the work started ({}) before task {} was issued ({})",
                    r.start_date, t.code, t.issued_on
                ));
            }
            if let Some(due) = &t.due_on {
                if date_text(r.end_date) > *due {
                    problems.push(format!(
                        "the work ended ({}) after task {} was due ({due})",
                        r.end_date, t.code
                    ));
                }
            }
        } else if matches!(r.report_type, ReportType::Ts | ReportType::Clearance) && org_kind == "OPERATOR" {
            if let Some(h) = &hazard {
                let tasked: bool = self
                    .tx
                    .prepare_cached(
                        "SELECT count(*) > 0 FROM tasks WHERE hazard_id = ?1 AND organisation_id = ?2",
                    )?
                    .query_row([h, &org], |x| x.get(0))?;
                if !tasked {
                    problems.push("the operator has no task on this hazard; only the operator a task was given to reports on it".into());
                }
            }
        }

        // Geometry: every polygon valid; released ground within the hazard and not released before.
        let rules = Rules { max_vertices: settings.max_vertices, ..Rules::default() };
        let parse_polygon = |what: &str, g: &serde_json::Value, problems: &mut Vec<String>| {
            report::valid_multipolygon(what, g, &rules).map_err(|p| problems.extend(p)).ok()
        };
        let new_geometry = r
            .new_hazard
            .as_ref()
            .and_then(|n| parse_polygon("the new hazard's polygon", &n.geometry, &mut problems));
        let changed_geometry = r
            .hazard_geometry
            .as_ref()
            .and_then(|g| parse_polygon("the hazard's new polygon", g, &mut problems));
        let released: Vec<(ReleaseOutcome, Option<MultiPolygon<f64>>)> = r
            .released
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let outcome = rel.outcome.or(r.report_type.outcome()).unwrap_or(ReleaseOutcome::Cleared);
                (outcome, parse_polygon(&format!("released area {}", i + 1), &rel.geometry, &mut problems))
            })
            .collect();
        if r.new_hazard.is_some() && r.hazard.is_some() {
            problems.push("a report either records a new hazard or names an existing one, not both".into());
        }
        // The hazard's polygon the releases are measured against.
        let hazard_geometry: Option<MultiPolygon<f64>> = match (&changed_geometry, &new_geometry, &hazard) {
            (Some(g), _, _) | (None, Some(g), _) => Some(g.clone()),
            (None, None, Some(h)) => {
                let blob: Vec<u8> = self
                    .tx
                    .prepare_cached("SELECT geom FROM hazards WHERE id = ?1")?
                    .query_row([h], |x| x.get(0))?;
                Some(read_multipolygon(&blob, &format!("hazard {h}"))?)
            }
            _ => None,
        };
        if let Some(hg) = &hazard_geometry {
            let existing: Vec<MultiPolygon<f64>> = match &hazard {
                Some(h) => {
                    let mut stmt = self.tx.prepare_cached(
                        "SELECT geom FROM released_areas WHERE hazard_id = ?1 AND revoked_at IS NULL",
                    )?;
                    let rows = stmt.query_map([h], |x| x.get::<Vec<u8>>(0))?;
                    let mut v = Vec::new();
                    for b in rows {
                        v.push(read_multipolygon(&b?, &format!("released ground of hazard {h}"))?);
                    }
                    v
                }
                None => Vec::new(),
            };
            let mut so_far: Vec<MultiPolygon<f64>> = existing;
            for (i, (_, g)) in released.iter().enumerate() {
                let Some(g) = g else { continue };
                let label = format!("released area {}", i + 1);
                let strays =
                    g.0.iter()
                        .flat_map(|p| p.exterior().0.iter())
                        .map(|c| distance_to(Point(*c), hg))
                        .fold(0.0f64, f64::max);
                if strays > settings.tolerance_m {
                    problems.push(format!(
                        "{label} lies up to {strays:.1} m outside its hazard, more than the {} m tolerance",
                        settings.tolerance_m
                    ));
                }
                let allowed = (settings.tolerance_m * multipolygon_perimeter(g) * 0.5).max(1.0);
                for prior in &so_far {
                    if prior.bounding_rect().zip(g.bounding_rect()).is_some_and(|(a, b)| {
                        a.min().x <= b.max().x
                            && b.min().x <= a.max().x
                            && a.min().y <= b.max().y
                            && b.min().y <= a.max().y
                    }) {
                        let shared = intersection_area(g, prior);
                        if shared > allowed {
                            problems.push(format!(
                                "{label} releases {shared:.0} m² that were released already; the same ground cannot be released twice"
                            ));
                            break;
                        }
                    }
                }
                so_far.push(g.clone());
            }
        } else if !r.released.is_empty() && problems.is_empty() {
            problems.push("the report releases ground but names no hazard".into());
        }
        // QM: the areas it re-opens.
        if let Some(insp) = &r.inspection {
            for a in &insp.reopen {
                let row: Option<(String, Option<String>)> = self
                    .tx
                    .prepare_cached("SELECT hazard_id, revoked_at FROM released_areas WHERE id = ?1")?
                    .query_row([uuid_text(*a)], |x| Ok((x.get(0)?, x.get(1)?)))
                    .optional()?;
                match row {
                    None => problems.push(format!("released area {a} is not in the register")),
                    Some((_, Some(when))) => problems
                        .push(format!("released area {a} was re-opened or withdrawn already ({when})")),
                    Some((h, None)) => {
                        if hazard.as_ref().is_some_and(|x| *x != h) {
                            problems.push(format!("released area {a} belongs to another hazard"));
                        }
                        hazard.get_or_insert(h);
                    }
                }
            }
        }
        let new_hazard_district = match &r.new_hazard {
            Some(n) => {
                let d = self.one_id(
                    "SELECT id FROM districts WHERE id = ?1 OR name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
                    n.district.trim(),
                )?;
                if d.is_none() {
                    problems.push(format!("district '{}' is not in the register", n.district));
                }
                if let Some(hid) = n.id {
                    let taken: bool = self
                        .tx
                        .prepare_cached("SELECT count(*) > 0 FROM hazards WHERE id = ?1")?
                        .query_row([uuid_text(hid)], |x| x.get(0))?;
                    if taken {
                        problems.push(format!("a hazard with id {hid} is in the register already"));
                    }
                }
                if let Some(code) = &n.code {
                    let taken: bool = self
                        .tx
                        .prepare_cached("SELECT count(*) > 0 FROM hazards WHERE code = ?1 COLLATE NOCASE")?
                        .query_row([code], |x| x.get(0))?;
                    if taken {
                        problems.push(format!(
                            "hazard code {code} is taken; leave `code` out to get the next free one"
                        ));
                    }
                }
                if n.contamination.is_empty() {
                    problems
                        .push("the new hazard names no contamination (AP, AT, UXO, AXO, CMR or IED)".into());
                }
                d
            }
            None => None,
        };
        let mut points: Vec<(String, Point<f64>)> = Vec::new();
        for (i, f) in r.eo_finds.iter().enumerate() {
            match f.location.point() {
                Ok(p) => points.push((format!("EO find {}", i + 1), p)),
                Err(e) => problems.push(format!("EO find {}: {e}", i + 1)),
            }
        }
        let accident_point = match r.accident.as_ref().map(|a| a.location.point()) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                problems.push(format!("the accident's location: {e}"));
                None
            }
            None => None,
        };
        // Records that bring their own UUID (from another database) must not meet one already here.
        let given_ids = r
            .released
            .iter()
            .filter_map(|x| x.id.map(|i| ("released_areas", "released area", i)))
            .chain(r.eo_finds.iter().filter_map(|x| x.id.map(|i| ("eo_finds", "EO find", i))))
            .chain(r.accident.iter().filter_map(|x| x.id.map(|i| ("accidents", "accident", i))))
            .chain(r.session.iter().filter_map(|x| x.id.map(|i| ("eore_sessions", "EORE session", i))));
        let given_ids: Vec<(&str, &str, Uuid)> = given_ids.collect();
        let keys: Vec<(&str, Uuid)> = given_ids.iter().map(|(t, _, u)| (*t, *u)).collect();
        let taken = self.taken(&keys)?;
        for (table, what, given) in given_ids {
            if taken.contains(&(table, given)) {
                problems.push(format!("{what} {given} is already in the register"));
            }
        }
        if !problems.is_empty() {
            return Err(refused(&format!("report {id}"), problems));
        }

        // Effects.
        self.decide(&id, ("SUBMITTED", "APPROVED"), expect_version, (actor, &now), None)?;
        let event = self.record("REPORT_APPROVED", &now, actor, Some(&id), None, None)?;
        self.context = Some((id.clone(), now.clone()));
        let org_uuid = parse_uuid(&org)?;
        if let (Some(n), Some(g), Some(d)) = (&r.new_hazard, &new_geometry, &new_hazard_district) {
            let hid = n.id.unwrap_or_else(Uuid::new_v4);
            let code = match &n.code {
                Some(c) => c.clone(),
                None => self.next_hazard_code(d)?,
            };
            let place = |p: &Option<report::Place>| p.as_ref().and_then(|p| p.point().ok());
            self.insert_hazard(&Hazard {
                id: hid,
                code,
                name: n.name.clone(),
                kind: n.kind,
                status: HazardStatus::Open,
                district_id: parse_uuid(d)?,
                contamination: n.contamination.clone(),
                land_use: n.land_use.clone(),
                evidence: n.evidence.clone(),
                geometry: g.clone(),
                reference_point: place(&n.reference_point),
                reference_description: n.reference_description.clone(),
                benchmark: place(&n.benchmark),
                recorded_on: r.end_date,
                recorded_by: org_uuid,
                beneficiaries: n.beneficiaries,
            })?;
            hazard = Some(uuid_text(hid));
            self.tx
                .prepare_cached("UPDATE reports SET hazard_id = ?1 WHERE id = ?2")?
                .execute(params![uuid_text(hid), id])?;
        }
        let hazard_uuid = hazard.as_deref().map(parse_uuid).transpose()?;
        if let (Some(h), Some(g)) = (&hazard, &changed_geometry) {
            self.tx
                .prepare_cached("UPDATE hazards SET geom = ?1 WHERE id = ?2")?
                .execute(params![multipolygon_blob(g), h])?;
            self.touch_hazard(h);
        }
        if let (Some(h), true) = (&hazard, r.confirm) {
            self.tx.prepare_cached("UPDATE hazards SET kind = 'CHA' WHERE id = ?1")?.execute([h])?;
            self.touch_hazard(h);
        }
        let team: Option<String> = match &r.team {
            Some(t) => self
                .tx
                .prepare_cached(
                    "SELECT id FROM teams WHERE (id = ?1 OR name = ?1 COLLATE NOCASE) AND organisation_id = ?2",
                )?
                .query_row([t.trim(), org.as_str()], |x| x.get(0))
                .optional()?,
            None => None,
        };
        let activity_id = Uuid::new_v4();
        if let Some(kind) = r.report_type.activity() {
            self.insert_activity(&Activity {
                id: activity_id,
                kind,
                method: r.method,
                hazard_id: if r.released.is_empty() && kind == ActivityKind::EodSpotTask {
                    None
                } else {
                    hazard_uuid
                },
                task_id: task.as_ref().map(|t| parse_uuid(&t.id)).transpose()?,
                organisation_id: org_uuid,
                team_id: team.as_deref().map(parse_uuid).transpose()?,
                start_date: r.start_date,
                end_date: r.end_date,
                depth_cm: r.depth_cm,
                hours_worked: r.hours_worked,
                released: released
                    .iter()
                    .zip(&r.released)
                    .filter_map(|((o, g), given)| {
                        g.clone().map(|geometry| ReleasedArea {
                            id: given.id.unwrap_or_else(Uuid::new_v4),
                            outcome: *o,
                            released_on: r.end_date,
                            geometry,
                        })
                    })
                    .collect(),
            })?;
        }
        let district_of_hazard: Option<String> = match &hazard {
            Some(h) => self.one_id("SELECT district_id FROM hazards WHERE id = ?1", h)?,
            None => None,
        };
        for (f, (_, p)) in r.eo_finds.iter().zip(&points) {
            let district = match &district_of_hazard {
                Some(d) => Some(parse_uuid(d)?),
                None => self.district_at(p)?,
            };
            self.insert_eo_find(&EoFind {
                id: f.id.unwrap_or_else(Uuid::new_v4),
                activity_id: r.report_type.activity().map(|_| activity_id),
                hazard_id: hazard_uuid.filter(|_| r.report_type != ReportType::EodSpotTask),
                district_id: district,
                found_on: f.found_on.unwrap_or(r.end_date),
                category: f.category,
                eo_type: f.eo_type.clone(),
                quantity: f.quantity,
                condition: f.condition,
                fuze_state: f.fuze_state.clone(),
                disposal: f.disposal,
                location: *p,
            })?;
        }
        if let (Some(a), Some(p)) = (&r.accident, accident_point) {
            let district = self.district_at(&p)?;
            self.insert_accident(&Accident {
                id: a.id.unwrap_or_else(Uuid::new_v4),
                kind: a.kind,
                occurred_on: r.end_date,
                district_id: district,
                hazard_id: hazard_uuid,
                device_category: a.device_category,
                activity_at_time: a.activity_at_time,
                area_marked: a.area_marked,
                cause: a.cause.clone(),
                location: p,
                victims: a
                    .victims
                    .iter()
                    .map(|v| Victim {
                        id: Uuid::new_v4(),
                        outcome: v.outcome,
                        sex: v.sex,
                        age: v.age,
                        occupation: v.occupation.clone(),
                        injuries: v.injuries.clone(),
                        assistance: v.assistance.clone(),
                        identity: v
                            .name
                            .clone()
                            .map(|full_name| VictimIdentity { full_name, contact: v.contact.clone() }),
                    })
                    .collect(),
            })?;
        }
        if let Some(s) = &r.session {
            let settlement: Option<(String, Vec<u8>, Option<String>)> = match &s.settlement {
                Some(name) => self
                    .tx
                    .prepare_cached("SELECT id, geom, district_id FROM settlements WHERE id = ?1 OR name = ?1 COLLATE NOCASE ORDER BY fid LIMIT 1")?
                    .query_row([name.trim()], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
                    .optional()?,
                None => None,
            };
            let location = match (&s.location, &settlement) {
                (Some(p), _) => p.point().map_err(|e| {
                    refused(&format!("report {id}"), vec![format!("the session's location: {e}")])
                })?,
                (None, Some((_, g, _))) => crate::geometry::read_point(g, "settlement")?,
                (None, None) => {
                    return Err(refused(
                        &format!("report {id}"),
                        vec![format!(
                            "settlement '{}' is not in the register",
                            s.settlement.clone().unwrap_or_default()
                        )],
                    ))
                }
            };
            let district = match settlement.as_ref().and_then(|s| s.2.clone()) {
                Some(d) => Some(parse_uuid(&d)?),
                None => self.district_at(&location)?,
            };
            self.insert_eore_session(&EoreSession {
                id: s.id.unwrap_or_else(Uuid::new_v4),
                organisation_id: org_uuid,
                held_on: r.end_date,
                kind: s.kind,
                audience: s.audience,
                settlement_id: settlement.as_ref().map(|s| parse_uuid(&s.0)).transpose()?,
                district_id: district,
                reach: s.reach,
                location,
            })?;
        }
        if let Some(insp) = &r.inspection {
            if insp.result == QmResult::Fail {
                for a in &insp.reopen {
                    self.tx
                        .prepare_cached(
                            "UPDATE released_areas SET revoked_at = ?1, revoked_by = ?2 WHERE id = ?3",
                        )?
                        .execute(params![now, id, uuid_text(*a)])?;
                }
                if let Some(h) = &hazard {
                    self.recompute_hazard(parse_uuid(h)?)?;
                    self.tx
                        .prepare_cached("UPDATE hazards SET status = 'WORKED_ON' WHERE id = ?1 AND status IN ('CLOSED','HANDED_OVER')")?
                        .execute([h])?;
                }
            }
        }
        // Status: worked on once work is reported; closed on completion when nothing is left.
        if let Some(h) = &hazard {
            if r.report_type.activity().is_some()
                && r.report_type != ReportType::EodSpotTask
                && (!r.released.is_empty() || r.completion)
            {
                self.tx
                    .prepare_cached(
                        "UPDATE hazards SET status = 'WORKED_ON' WHERE id = ?1 AND status = 'OPEN'",
                    )?
                    .execute([h])?;
                self.touch_hazard(h);
            }
            if r.completion {
                let remaining: f64 = self
                    .tx
                    .prepare_cached("SELECT area_remaining_m2 FROM hazards WHERE id = ?1")?
                    .query_row([h], |x| x.get(0))?;
                if remaining < settings.close_below_m2 {
                    let status = if r.handed_over { "HANDED_OVER" } else { "CLOSED" };
                    self.tx
                        .prepare_cached("UPDATE hazards SET status = ?1 WHERE id = ?2")?
                        .execute([status, h])?;
                    if let Some(t) = &task {
                        self.tx
                            .prepare_cached("UPDATE tasks SET status = 'COMPLETED' WHERE id = ?1")?
                            .execute([&t.id])?;
                    }
                } else {
                    return Err(refused(
                        &format!("report {id}"),
                        vec![format!(
                            "it completes the hazard but {remaining:.0} m² remain (more than {} m²); release the rest or drop `completion`",
                            settings.close_below_m2
                        )],
                    ));
                }
            } else if let Some(t) = &task {
                self.tx
                    .prepare_cached(
                        "UPDATE tasks SET status = 'IN_PROGRESS' WHERE id = ?1 AND status = 'ISSUED'",
                    )?
                    .execute([&t.id])?;
            }
        }
        self.snapshot_hazards(&event, &id, &now)?;
        self.context = None;
        Ok(())
    }

    /// Reverses an approved report's effects. Refused when a later approved
    /// report changed the same hazard: unapprove that one first.
    pub fn unapprove(
        &mut self,
        id: &str,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = id.trim().to_string();
        if reason.trim().is_empty() {
            return Err(invalid(format!("report {id}"), "an unapproval needs a reason"));
        }
        // It changes EO finds: those waiting for their COPY go first.
        self.write_pending_finds()?;
        let (_, state, _, _) = self.load(&id)?;
        if state != "APPROVED" {
            return Err(self.not_in_state(&id, "APPROVED", None)?);
        }
        let now = time_text(at);
        let (hazard, decided_at): (Option<String>, String) = self
            .tx
            .prepare_cached("SELECT hazard_id, decided_at FROM reports WHERE id = ?1")?
            .query_row([&id], |x| Ok((x.get(0)?, x.get(1)?)))?;
        if let Some(h) = &hazard {
            let later: Option<String> = self
                .tx
                .prepare_cached(
                    "SELECT id FROM reports WHERE hazard_id = ?1 AND state = 'APPROVED' AND id <> ?2
                     AND (decided_at > ?3 OR (decided_at = ?3 AND fid > (SELECT fid FROM reports WHERE id = ?2)))
                     ORDER BY decided_at DESC LIMIT 1",
                )?
                .query_row(params![h, id, decided_at], |x| x.get(0))
                .optional()?;
            if let Some(l) = later {
                return Err(refused(
                    &format!("report {id}"),
                    vec![format!("report {l}, approved later, also changed this hazard; unapprove it first")],
                ));
            }
        }
        self.decide(&id, ("APPROVED", "UNAPPROVED"), None, (actor, &now), Some(reason))?;
        let event = self.record("REPORT_UNAPPROVED", &now, actor, Some(&id), None, Some(reason))?;
        for table in ["released_areas", "activities", "eo_finds", "accidents", "eore_sessions"] {
            self.tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET revoked_at = ?1 WHERE report_id = ?2 AND revoked_at IS NULL"
                ))?
                .execute(params![now, id])?;
        }
        // A failed QC's re-opened ground is released again.
        self.tx
            .prepare_cached(
                "UPDATE released_areas SET revoked_at = NULL, revoked_by = NULL WHERE revoked_by = ?1",
            )?
            .execute([&id])?;
        if let Some(h) = &hazard {
            let created: bool = self
                .tx
                .prepare_cached("SELECT count(*) > 0 FROM hazards WHERE id = ?1 AND report_id = ?2")?
                .query_row([h, &id], |x| x.get(0))?;
            if created {
                self.tx
                    .prepare_cached("UPDATE hazards SET revoked_at = ?1 WHERE id = ?2")?
                    .execute([&now, h])?;
                self.tx
                    .prepare_cached(
                        "UPDATE hazard_versions SET valid_to = ?1 WHERE hazard_id = ?2 AND valid_to IS NULL",
                    )?
                    .execute([&now, h])?;
            } else {
                // Back to the state before this report: the version it replaced.
                let prior: Option<(Vec<u8>, String, String)> = self
                    .tx
                    .prepare_cached(
                        "SELECT geom, kind, status FROM hazard_versions WHERE hazard_id = ?1 AND
                           version < (SELECT min(version) FROM hazard_versions WHERE hazard_id = ?1 AND report_id = ?2)
                         ORDER BY version DESC LIMIT 1",
                    )?
                    .query_row([h, &id], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
                    .optional()?;
                if let Some((geom, kind, status)) = prior {
                    self.tx
                        .prepare_cached("UPDATE hazards SET geom = ?1, kind = ?2, status = ?3 WHERE id = ?4")?
                        .execute(params![geom, kind, status, h])?;
                }
                self.recompute_hazard(parse_uuid(h)?)?;
                self.touch_hazard(h);
                self.snapshot_hazards(&event, &id, &now)?;
            }
        }
        Ok(())
    }

    /// Issues a task to an operator, as an event of the history.
    pub fn issue_task(&mut self, t: &Task, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let now = time_text(at);
        self.insert_task(t)?;
        self.tx
            .prepare_cached("UPDATE tasks SET recorded_at = ?1 WHERE id = ?2")?
            .execute(params![now, uuid_text(t.id)])?;
        self.record("TASK_ISSUED", &now, actor, None, Some(&uuid_text(t.id)), None)?;
        Ok(())
    }

    fn next_hazard_code(&self, district: &str) -> Result<String, StoreError> {
        let hasc: Option<String> = self
            .tx
            .prepare_cached("SELECT hasc FROM districts WHERE id = ?1")?
            .query_row([district], |x| x.get(0))?;
        let prefix = hasc.unwrap_or_else(|| "XX".into()).replace('.', "-");
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT coalesce(max(CAST(substr(code, length(?1) + 2) AS INTEGER)), 0) FROM hazards
                 WHERE code LIKE ?1 || '-%'",
            )?
            .query_row([&prefix], |x| x.get(0))?;
        Ok(format!("{prefix}-{:06}", n + 1))
    }

    /// The district containing a point, if any.
    fn district_at(&self, p: &Point<f64>) -> Result<Option<Uuid>, StoreError> {
        for (id, shape, rect) in self.districts.iter() {
            if p.x() >= rect.min().x
                && p.x() <= rect.max().x
                && p.y() >= rect.min().y
                && p.y() <= rect.max().y
                && shape.contains(p)
            {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }

    fn touch_hazard(&mut self, h: &str) {
        self.hazards_touched.insert(h.to_string());
    }

    /// Closes the current version of every hazard this approval changed and
    /// opens the next, a snapshot of the hazard as it now stands.
    fn snapshot_hazards(&mut self, event: &str, report: &str, now: &str) -> Result<(), StoreError> {
        for h in std::mem::take(&mut self.hazards_touched) {
            self.tx
                .prepare_cached(
                    "UPDATE hazard_versions SET valid_to = ?1 WHERE hazard_id = ?2 AND valid_to IS NULL",
                )?
                .execute([now, &h])?;
            self.tx
                .prepare_cached(
                    "INSERT INTO hazard_versions (hazard_id, version, valid_from, event_id, report_id, geom, kind, status,
                       area_recorded_m2, area_cancelled_m2, area_reduced_m2, area_cleared_m2, area_remaining_m2)
                     SELECT id, coalesce((SELECT max(version) FROM hazard_versions WHERE hazard_id = ?1), 0) + 1,
                       ?2, ?3, ?4, geom, kind, status, area_recorded_m2, area_cancelled_m2, area_reduced_m2,
                       area_cleared_m2, area_remaining_m2
                     FROM hazards WHERE id = ?1",
                )?
                .execute(params![h, now, event, report])?;
            self.tx
                .prepare_cached("UPDATE hazards SET version = (SELECT max(version) FROM hazard_versions WHERE hazard_id = ?1) WHERE id = ?1")?
                .execute([&h])?;
        }
        Ok(())
    }
}

fn by_at(by: Option<String>, when: Option<String>) -> String {
    match (by, when) {
        (Some(b), Some(w)) => format!(" (by {b} at {w})"),
        _ => String::new(),
    }
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| invalid("stored identifier", format!("'{s}' is not a UUID: {e}")))
}
