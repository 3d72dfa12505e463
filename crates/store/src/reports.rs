//! Field reports: submission, the checks before approval, the effects of
//! approval in one transaction, rejection, unapproval, and the history.

use crate::db::{Db, OptionalExtension};
use crate::geometry::date_text;
use crate::write::{uuid_text, Writer};
use crate::StoreError;
use rusqlite::params;
use safeground_core::approval;
use safeground_core::codes::*;
use safeground_core::ids::fresh;
use safeground_core::ids::ReportId;
use safeground_core::model::*;
use safeground_core::report::{self, Report, ReportType};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What approval may accept; the authority sets these.
pub use safeground_core::approval::Settings as ApprovalSettings;

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

/// When an event about a day's act is recorded: now when the day is today,
/// else noon of that day (a task issued in the past, as it was).
pub fn recorded_at(day: Date, now: time::OffsetDateTime) -> time::OffsetDateTime {
    if day == now.date() {
        now
    } else {
        day.midnight().assume_utc() + time::Duration::hours(12)
    }
}

pub(crate) fn refused(report: &str, problems: Vec<String>) -> StoreError {
    StoreError::Refused { report: report.to_string(), action: "approved", problems }
}

/// An unapproval refused, with the reasons.
fn kept(report: &str, problems: Vec<String>) -> StoreError {
    StoreError::Refused { report: report.to_string(), action: "unapproved", problems }
}

fn invalid(record: impl Into<String>, problem: impl Into<String>) -> StoreError {
    StoreError::Invalid { record: record.into(), problem: problem.into() }
}

/// A report as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    pub id: ReportId,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub state: ReportState,
    pub organisation: String,
    pub task: Option<String>,
    pub hazard: Option<String>,
    pub start_date: time::Date,
    pub end_date: time::Date,
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
    pub report_id: Option<ReportId>,
    pub reason: Option<String>,
}

/// One version of a hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardVersion {
    pub version: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub status: HazardStatus,
    pub kind: HazardKind,
    pub area_m2: safeground_core::accounting::ReleaseFigures,
    pub report_id: Option<ReportId>,
    pub report_type: Option<ReportType>,
    pub actor: Option<String>,
    pub event: Option<String>,
}

/// A report that touched the ground at a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceRow {
    pub report_id: ReportId,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub state: ReportState,
    pub organisation: String,
    pub decided_at: Option<String>,
    pub hazard: String,
    /// What the report did there.
    pub what: String,
    /// For an import's report: the file and the feature the record came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
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

    pub(crate) fn task(&self, key: &str) -> Result<Option<approval::TaskFacts>, StoreError> {
        crate::approval::task(self.tx, key)
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
        self.record_event(kind, at, actor, (report, task, None), reason)
    }

    /// Records an event about an account, a token or a project (`subject`).
    pub(crate) fn record_about(
        &mut self,
        kind: &str,
        at: &str,
        actor: &str,
        subject: &str,
        reason: Option<&str>,
    ) -> Result<String, StoreError> {
        self.record_event(kind, at, actor, (None, None, Some(subject)), reason)
    }

    /// Records an event of the history about (report, task, subject); the
    /// transaction's end seals it.
    pub(crate) fn record_event(
        &mut self,
        kind: &str,
        at: &str,
        actor: &str,
        (report, task, subject): (Option<&str>, Option<&str>, Option<&str>),
        reason: Option<&str>,
    ) -> Result<String, StoreError> {
        let id = uuid_text(fresh());
        let seq: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO events (id, at, actor, kind, report_id, task_id, subject, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING seq",
            )?
            .query_row(params![id, at, actor, kind, report, task, subject, reason], |r| r.get(0))?;
        self.first_event.get_or_insert(seq);
        Ok(id)
    }

    /// Records a submitted report (state SUBMITTED). Its shape is checked now
    /// (a report that cannot be approved as written is refused at the door);
    /// the checks against the register run at approval.
    pub fn submit(&mut self, r: &Report, actor: &str, at: OffsetDateTime) -> Result<ReportId, StoreError> {
        self.submit_with(r, actor, &time_text(at), None)
    }

    /// [`Writer::submit`] at `now`, its event giving `reason` (where the
    /// report comes from, when a field copy sent it).
    pub(crate) fn submit_with(
        &mut self,
        r: &Report,
        actor: &str,
        now: &str,
        reason: Option<&str>,
    ) -> Result<ReportId, StoreError> {
        let id = r.id.unwrap_or_else(fresh);
        let label = format!("report {id}");
        let exists: bool = self
            .tx
            .prepare_cached("SELECT count(*) > 0 FROM reports WHERE id = ?1")?
            .query_row([uuid_text(id)], |r| r.get(0))?;
        if exists {
            return Err(refused(&label, vec!["a report with this id was submitted already".into()]));
        }
        self.insert_report(r, id, "SUBMITTED", actor, now)?;
        self.record("REPORT_SUBMITTED", now, actor, Some(&uuid_text(id)), None, reason)?;
        Ok(ReportId(id))
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
        if r.import.is_some() {
            return Err(refused(&label, vec![report::IMPORT_ONLY.into()]));
        }
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
            None => task.as_ref().map(|t| uuid_text(t.hazard_id)),
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
                task.as_ref().map(|t| uuid_text(t.id)),
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
        load(self.tx, id)
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
        not_in_state(self.tx, id, wanted, expect_version)
    }

    /// Rejects a submitted report, with the reason.
    pub fn reject(
        &mut self,
        id: ReportId,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.refuse_on_copy("rejecting a report")?;
        let id = &id.to_string();
        if reason.trim().is_empty() {
            return Err(invalid(format!("report {id}"), "a rejection needs a reason for the author"));
        }
        let now = time_text(at);
        self.decide(id, ("SUBMITTED", "REJECTED"), None, (actor, &now), Some(reason))?;
        self.record("REPORT_REJECTED", &now, actor, Some(id), None, Some(reason))?;
        Ok(())
    }

    /// Checks a submitted report against the register and, if it passes,
    /// applies its effects; all in the caller's transaction. Loads what the
    /// decision needs, decides in core ([`safeground_core::approval`]), and
    /// writes only once the report has passed: refused, it writes nothing.
    pub fn approve(
        &mut self,
        id: ReportId,
        actor: &str,
        at: OffsetDateTime,
        settings: &ApprovalSettings,
        expect_version: Option<i64>,
    ) -> Result<Vec<String>, StoreError> {
        self.refuse_on_copy("approving a report")?;
        let id = id.to_string();
        let (r, state, org, version) = self.load(&id)?;
        // A stale read is named as such first: the officer decided on what they saw.
        if expect_version.is_some_and(|e| e != version) {
            return Err(self.not_in_state(&id, "SUBMITTED", expect_version)?);
        }
        if state != ReportState::Submitted.code() {
            return Err(self.not_in_state(&id, "SUBMITTED", None)?);
        }
        let source = crate::approval::Source {
            db: self.tx,
            districts: self.districts,
            pending: Some(&self.pending),
            reference: None,
            new_hazard_taken: None,
            new_hazard_code_taken: None,
            taken: None,
        };
        let ctx = crate::approval::context(&source, &r, parse_uuid(&org)?, at.date())?;
        let plan = approval::decide(&r, &ctx, settings, &mut fresh)
            .map_err(|problems| refused(&format!("report {id}"), problems))?;
        let now = time_text(at);
        self.decide(&id, ("SUBMITTED", "APPROVED"), expect_version, (actor, &now), None)?;
        let event = self.record("REPORT_APPROVED", &now, actor, Some(&id), None, None)?;
        self.context = Some((id.clone(), now.clone()));
        self.apply(&id, &plan, false, actor)?;
        if let Some(h) = &plan.new_hazard {
            self.tx
                .prepare_cached("UPDATE reports SET hazard_id = ?1 WHERE id = ?2")?
                .execute(params![uuid_text(h.id), id])?;
        }
        self.snapshot_hazards(&event, &id, &now)?;
        self.relate_media(&id, &event)?;
        self.context = None;
        Ok(plan.flags)
    }

    /// Reverses an approved report's effects. Refused when a later approved
    /// report changed the same hazard: unapprove that one first.
    pub fn unapprove(
        &mut self,
        id: ReportId,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.refuse_on_copy("unapproving a report")?;
        let id = id.to_string();
        if reason.trim().is_empty() {
            return Err(invalid(format!("report {id}"), "an unapproval needs a reason"));
        }
        // It changes what an import may have left waiting for its COPY.
        self.write_pending()?;
        let (_, state, _, _) = self.load(&id)?;
        if state != "APPROVED" {
            return Err(self.not_in_state(&id, "APPROVED", None)?);
        }
        self.no_residual_stands_on(&id)?;
        self.nothing_rests_on_its_accident(&id)?;
        let now = time_text(at);
        let hazards = self.hazards_changed_by(&id)?;
        for h in &hazards {
            if let Some(l) = self.approved_later(h, &id)? {
                let code: String = self
                    .tx
                    .prepare_cached("SELECT code FROM hazards WHERE id = ?1")?
                    .query_row([h], |x| x.get(0))?;
                return Err(kept(
                    &format!("report {id}"),
                    vec![format!(
                        "report {l}, approved later, also changed hazard {code}; unapprove it first"
                    )],
                ));
            }
        }
        // History brought in (a migration's) counts from before the report
        // was approved: unapproved, it never counted, at any date.
        let approved_at: String = self
            .tx
            .prepare_cached("SELECT decided_at FROM reports WHERE id = ?1")?
            .query_row([&id], |x| x.get(0))?;
        self.decide(&id, ("APPROVED", "UNAPPROVED"), None, (actor, &now), Some(reason))?;
        let event = self.record("REPORT_UNAPPROVED", &now, actor, Some(&id), None, Some(reason))?;
        self.unrelate_media(&id)?;
        for table in [
            "released_areas",
            "activities",
            "eo_finds",
            "accidents",
            "eore_sessions",
            "residuals",
            "inspections",
        ] {
            self.tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET revoked_at = CASE WHEN recorded_at < ?3 THEN recorded_at ELSE ?1 END
                     WHERE report_id = ?2 AND revoked_at IS NULL"
                ))?
                .execute(params![now, id, approved_at])?;
        }
        // A hazard it recorded with a past date held at no date.
        self.tx
            .prepare_cached(
                "UPDATE hazard_versions SET valid_to = valid_from
                 WHERE report_id = ?1 AND valid_from < ?2
                   AND hazard_id IN (SELECT id FROM hazards WHERE report_id = ?1)",
            )?
            .execute(params![id, approved_at])?;
        self.withdraw_what_it_raised(&id, &now, actor)?;
        // A failed QC's re-opened ground is released again.
        self.tx
            .prepare_cached(
                "UPDATE released_areas SET revoked_at = NULL, revoked_by = NULL WHERE revoked_by = ?1",
            )?
            .execute([&id])?;
        for h in &hazards {
            self.revert_hazard(h, &id, &now)?;
        }
        self.snapshot_hazards(&event, &id, &now)?;
        Ok(())
    }

    /// Refuses to unapprove `report` while residual contamination another
    /// report found in ground it released stands on it: that report goes first.
    fn no_residual_stands_on(&self, report: &str) -> Result<(), StoreError> {
        let cited: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT r.report_id FROM residuals r JOIN released_areas a ON a.id = r.released_area_id
                 WHERE a.report_id = ?1 AND r.revoked_at IS NULL AND r.report_id <> ?1 ORDER BY r.fid LIMIT 1",
            )?
            .query_row([report], |x| x.get(0))
            .optional()?;
        if let Some(other) = cited {
            return Err(kept(
                &format!("report {report}"),
                vec![format!(
                    "report {other} found residual contamination in ground this report released; unapprove it first"
                )],
            ));
        }
        Ok(())
    }

    /// Refuses to unapprove `report` while what others recorded rests on it
    /// or its accident: an investigation opened into it by hand, victim
    /// assistance (consent, follow-ups) for its victims, a non-conformity
    /// raised about it by hand — which would otherwise point at records the
    /// register no longer holds.
    fn nothing_rests_on_its_accident(&self, report: &str) -> Result<(), StoreError> {
        let mut problems = vec![];
        let investigation: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT i.code FROM investigations i JOIN accidents a ON a.id = i.accident_id
                 WHERE a.report_id = ?1 AND i.withdrawn_at IS NULL AND i.opened_by_report IS NULL LIMIT 1",
            )?
            .query_row([report], |x| x.get(0))
            .optional()?;
        if let Some(code) = investigation {
            problems.push(format!("investigation {code} was opened into its accident"));
        }
        let assisted: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM victim_consents c JOIN victims v ON v.id = c.victim_id
                 JOIN accidents a ON a.id = v.accident_id WHERE a.report_id = ?1",
            )?
            .query_row([report], |x| x.get(0))?;
        if assisted > 0 {
            problems.push("victim assistance (consent, follow-ups) is recorded for its victims".into());
        }
        let ncr: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT n.code FROM non_conformities n
                 WHERE n.withdrawn_at IS NULL AND n.raised_by_report IS NULL AND n.investigation_id IS NULL
                   AND (n.report_id = ?1 OR n.accident_id IN (SELECT id FROM accidents WHERE report_id = ?1))
                 ORDER BY n.fid LIMIT 1",
            )?
            .query_row([report], |x| x.get(0))
            .optional()?;
        if let Some(code) = ncr {
            problems.push(format!("non-conformity {code} was raised about it"));
        }
        if problems.is_empty() {
            return Ok(());
        }
        problems.push(
            "what rests on it stays: correct it by a new report instead of unapproving this one".into(),
        );
        Err(kept(&format!("report {report}"), problems))
    }

    /// What an approval raised besides its records: its non-conformities are
    /// withdrawn, its investigations of residual contamination cancelled
    /// where they had not started.
    fn withdraw_what_it_raised(&mut self, report: &str, now: &str, actor: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE non_conformities SET withdrawn_at = ?1 WHERE raised_by_report = ?2")?
            .execute([now, report])?;
        // An investigation the report's approval opened, and what its
        // recommendations raised.
        self.tx
            .prepare_cached(
                "UPDATE non_conformities SET withdrawn_at = ?1 WHERE withdrawn_at IS NULL
                 AND investigation_id IN (SELECT id FROM investigations WHERE opened_by_report = ?2)",
            )?
            .execute([now, report])?;
        self.tx
            .prepare_cached("UPDATE investigations SET withdrawn_at = ?1 WHERE opened_by_report = ?2")?
            .execute([now, report])?;
        // Its investigation tasks not yet begun are called off, each as a
        // TASK_CANCELLED event of its own, as `task cancel` would.
        let tasks: Vec<String> = self
            .tx
            .prepare_cached(
                "SELECT id FROM tasks WHERE status = 'ISSUED' AND id IN (SELECT task_id FROM residuals WHERE report_id = ?1)
                 ORDER BY id",
            )?
            .query_map([report], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for task in tasks {
            self.tx
                .prepare_cached("UPDATE tasks SET status = 'CANCELLED', cancelled_on = ?1 WHERE id = ?2")?
                .execute([now.get(..10).unwrap_or(now), task.as_str()])?;
            let why = "the report whose approval issued it was unapproved";
            self.record("TASK_CANCELLED", now, actor, None, Some(&task), Some(why))?;
        }
        Ok(())
    }

    /// The hazards a report changed: the one it names and every one it made
    /// a version of (an import's report changes many).
    fn hazards_changed_by(&self, report: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT hazard_id FROM reports WHERE id = ?1 AND hazard_id IS NOT NULL
             UNION SELECT hazard_id FROM hazard_versions WHERE report_id = ?1 ORDER BY 1",
        )?;
        let rows = stmt.query_map([report], |x| x.get(0))?;
        rows.collect()
    }

    /// An approved report that changed `hazard` after `report` did: one that
    /// made a later version of it, or one about it decided later.
    fn approved_later(&self, hazard: &str, report: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT r.id FROM reports r WHERE r.state = 'APPROVED' AND r.id <> ?2 AND (
                   EXISTS (SELECT 1 FROM hazard_versions v WHERE v.hazard_id = ?1 AND v.report_id = r.id
                     AND v.version > (SELECT min(version) FROM hazard_versions WHERE hazard_id = ?1 AND report_id = ?2))
                   OR (r.hazard_id = ?1
                     AND (r.decided_at > (SELECT decided_at FROM reports WHERE id = ?2)
                          OR (r.decided_at = (SELECT decided_at FROM reports WHERE id = ?2)
                              AND r.fid > (SELECT fid FROM reports WHERE id = ?2)))))
                 ORDER BY r.decided_at DESC, r.fid DESC LIMIT 1",
            )?
            .query_row(params![hazard, report], |x| x.get(0))
            .optional()
    }

    /// Undoes what `report` did to `hazard`: a hazard it recorded is revoked;
    /// another goes back to the version before the report's first.
    fn revert_hazard(&mut self, h: &str, report: &str, now: &str) -> Result<(), StoreError> {
        let created: bool = self
            .tx
            .prepare_cached("SELECT count(*) > 0 FROM hazards WHERE id = ?1 AND report_id = ?2")?
            .query_row([h, report], |x| x.get(0))?;
        if created {
            self.tx.prepare_cached("UPDATE hazards SET revoked_at = ?1 WHERE id = ?2")?.execute([now, h])?;
            self.tx
                .prepare_cached(
                    "UPDATE hazard_versions SET valid_to = ?1 WHERE hazard_id = ?2 AND valid_to IS NULL",
                )?
                .execute([now, h])?;
            return Ok(());
        }
        let prior: Option<(Vec<u8>, String, String)> = self
            .tx
            .prepare_cached(
                "SELECT geom, kind, status FROM hazard_versions WHERE hazard_id = ?1 AND
                   version < (SELECT min(version) FROM hazard_versions WHERE hazard_id = ?1 AND report_id = ?2)
                 ORDER BY version DESC LIMIT 1",
            )?
            .query_row([h, report], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
            .optional()?;
        if let Some((geom, kind, status)) = prior {
            self.tx
                .prepare_cached("UPDATE hazards SET geom = ?1, kind = ?2, status = ?3 WHERE id = ?4")?
                .execute(params![geom, kind, status, h])?;
        }
        self.recompute_hazard(parse_uuid(h)?)?;
        self.hazards_touched.insert(h.to_string());
        Ok(())
    }

    /// Issues a task to an operator, as an event of the history.
    pub fn issue_task(&mut self, t: &Task, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.record_task(t, actor, &time_text(at), None)
    }

    /// Inserts a task and records its TASK_ISSUED event at `now`, with a reason.
    pub(crate) fn record_task(
        &mut self,
        t: &Task,
        actor: &str,
        now: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.refuse_on_copy("issuing a task")?;
        self.insert_task(t)?;
        self.tx
            .prepare_cached("UPDATE tasks SET recorded_at = ?1 WHERE id = ?2")?
            .execute(params![now, uuid_text(t.id)])?;
        self.record("TASK_ISSUED", now, actor, None, Some(&uuid_text(t.id)), reason)?;
        Ok(())
    }

    /// Closes the current version of every hazard this approval changed and
    /// opens the next, a snapshot of the hazard as it now stands.
    pub(crate) fn snapshot_hazards(
        &mut self,
        event: &str,
        report: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        for h in std::mem::take(&mut self.hazards_touched) {
            // A hazard just recorded: nothing to close, and its version is 1.
            let first = self.hazards_new.remove(&h);
            if let Some(v) = first.then(|| self.pending.take_first_version(&h)).flatten() {
                use rusqlite::types::Value;
                let row = [
                    Value::Text(h.clone()),
                    Value::Integer(1),
                    Value::Text(now.into()),
                    Value::Text(event.into()),
                    Value::Text(report.into()),
                    Value::Blob(v.geom),
                    Value::Text(v.kind.into()),
                    Value::Text(v.status.into()),
                    Value::Real(v.area_m2),
                    Value::Real(0.0),
                    Value::Real(0.0),
                    Value::Real(0.0),
                    Value::Real(v.area_m2),
                ];
                self.pending.add(crate::pending::Table::HazardVersions, &row, None);
                continue;
            }
            if !first {
                self.tx
                    .prepare_cached(
                        "UPDATE hazard_versions SET valid_to = ?1 WHERE hazard_id = ?2 AND valid_to IS NULL",
                    )?
                    .execute([now, &h])?;
            }
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
            if !first {
                self.tx
                    .prepare_cached("UPDATE hazards SET version = (SELECT max(version) FROM hazard_versions WHERE hazard_id = ?1) WHERE id = ?1")?
                    .execute([&h])?;
            }
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

/// An id as the register holds it (a report's, a hazard's).
/// Whether two stored bodies are the same report (compared as JSON, not
/// as text); `None` when one is not a report.
pub(crate) fn same_report(a: &str, b: &str) -> Option<bool> {
    let a: serde_json::Value = serde_json::from_str(a).ok()?;
    let b: serde_json::Value = serde_json::from_str(b).ok()?;
    Some(a == b)
}

pub(crate) fn stored_id<T: std::str::FromStr<Err = safeground_core::ids::IdError>>(
    text: String,
) -> Result<T, StoreError> {
    text.parse().map_err(|e: safeground_core::ids::IdError| StoreError::Invalid {
        record: format!("stored {}", e.what),
        problem: e.to_string(),
    })
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| invalid("stored identifier", format!("'{s}' is not a UUID: {e}")))
}

/// Loads a report with its state, organisation and version.
pub(crate) fn load(db: &Db, id: &str) -> Result<(Report, String, String, i64), StoreError> {
    let row: Option<(String, String, String, i64)> = db
        .prepare_cached("SELECT body, state, organisation_id, version FROM reports WHERE id = ?1")?
        .query_row([id.trim()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (body, state, org, version) =
        row.ok_or_else(|| StoreError::Unknown { what: "report", key: id.to_string() })?;
    let mut r =
        report::parse(&body).map_err(|e| invalid(format!("report {id}"), format!("stored report: {e}")))?;
    let personal: Option<String> = db
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

/// Why report `id` is not in state `wanted` (or not at `expect_version`).
pub(crate) fn not_in_state(
    db: &Db,
    id: &str,
    wanted: &str,
    expect_version: Option<i64>,
) -> Result<StoreError, StoreError> {
    let row: Option<(String, i64, Option<String>, Option<String>)> = db
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
