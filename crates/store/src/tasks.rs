//! Tasks: issued (checked by [`safeground_core::task`], recorded as an
//! event of the history) and listed for the board, one page at a time.

use crate::db::OptionalExtension;
use crate::geometry::stored_date;
use crate::read::{stored_code, Paging};
use crate::reports::time_text;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::codes::{ActivityKind, HazardStatus, Priority, TaskStatus};
use safeground_core::model::Task;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A task as the board lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub code: String,
    pub hazard: String,
    pub hazard_name: String,
    pub district: String,
    /// The organisation tasked (acronym).
    pub organisation: String,
    pub activity: ActivityKind,
    pub priority: Priority,
    pub status: TaskStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<Date>,
    /// Still open after its last day.
    pub overdue: bool,
    /// The day it was called off, if it was.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub cancelled_on: Option<Date>,
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this organisation's (an operator's own).
    pub organisation: Option<Uuid>,
    pub status: Option<TaskStatus>,
    /// Only this hazard's (code or UUID).
    pub hazard: Option<String>,
    /// Only those overdue.
    pub overdue: bool,
    /// Only the task of this code.
    pub code: Option<String>,
}

/// A task to issue, its hazard and organisation as the user names them.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Code or UUID.
    pub hazard: String,
    /// Acronym or UUID.
    pub organisation: String,
    pub activity: ActivityKind,
    pub priority: Priority,
    /// None: `T-<hazard>`, or the next free `T-<hazard>-N`.
    pub code: Option<String>,
    pub issued_on: Date,
    pub due_on: Option<Date>,
}

impl Writer<'_> {
    /// Issues a task after [`safeground_core::task::problems`] (every
    /// problem, in one message), as the event TASK_ISSUED; returns its code.
    /// `at` is when the event is recorded, `today` the day it is checked on.
    pub fn issue_new_task(
        &mut self,
        t: &NewTask,
        actor: &str,
        at: OffsetDateTime,
        today: Date,
    ) -> Result<String, StoreError> {
        let hazard: Option<(String, String, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, code, status FROM hazards WHERE (id = ?1 OR code = ?1 COLLATE NOCASE) AND revoked_at IS NULL",
            )?
            .query_row([t.hazard.trim()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((hazard_id, hazard_code, status)) = hazard else {
            return Err(StoreError::Unknown { what: "hazard", key: t.hazard.clone() });
        };
        let Some(org) = self.organisation_id(&t.organisation)? else {
            return Err(StoreError::Unknown { what: "organisation", key: t.organisation.clone() });
        };
        let record = format!("task for hazard {hazard_code}");
        let status: HazardStatus = stored_code(&status, &record)?;
        let mut problems = safeground_core::task::problems(t.issued_on, t.due_on, status, today);
        let taken = |tx: &crate::db::Db, code: &str| -> Result<bool, StoreError> {
            Ok(tx
                .prepare_cached("SELECT 1 FROM tasks WHERE code = ?1 COLLATE NOCASE")?
                .query_row([code], |_| Ok(()))
                .optional()?
                .is_some())
        };
        let code = match t.code.as_deref().map(str::trim) {
            Some("") => {
                problems.push("code: give the task's code, or leave it out for T-<hazard>".into());
                String::new()
            }
            Some(c) => {
                if taken(self.tx, c)? {
                    problems.push(format!("code: {c} is another task's; give this one its own"));
                }
                c.to_string()
            }
            None => {
                let mut used = vec![];
                let first = format!("T-{hazard_code}");
                // Its codes and those that extend it, in any case (no LIKE:
                // its wildcards and escapes differ between the dialects).
                let mut stmt = self.tx.prepare_cached(
                    "SELECT code FROM tasks WHERE upper(code) = upper(?1)
                       OR upper(substr(code, 1, length(?1) + 1)) = upper(?1 || '-')",
                )?;
                let mut rows = stmt.query([&first])?;
                while let Some(r) = rows.next()? {
                    used.push(r.get::<String>(0)?);
                }
                safeground_core::task::next_code(&hazard_code, |c| {
                    used.iter().any(|u| u.eq_ignore_ascii_case(c))
                })
            }
        };
        if !problems.is_empty() {
            return Err(StoreError::Invalid { record, problem: problems.join("; ") });
        }
        let task = Task {
            id: safeground_core::ids::fresh(),
            code: code.clone(),
            hazard_id: crate::reports::parse_uuid(&hazard_id)?,
            organisation_id: crate::reports::parse_uuid(&org)?,
            activity: t.activity,
            priority: t.priority,
            status: TaskStatus::Issued,
            issued_on: t.issued_on,
            due_on: t.due_on,
        };
        self.record_task(&task, actor, &time_text(at), None)?;
        Ok(code)
    }
}

impl Store {
    /// One page of the tasks `filter` lets through, the soonest due first,
    /// and how many it lets through in all; `today` decides which are overdue.
    pub fn task_page(
        &self,
        filter: &TaskFilter,
        page: Paging,
        today: Date,
    ) -> Result<(usize, Vec<TaskRow>), StoreError> {
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/tasks/list.sql"))?;
        let mut rows = stmt.query(params![
            filter.organisation.map(uuid_text),
            filter.status.map(|s| s.code()),
            filter.hazard.as_deref().map(str::trim),
            filter.overdue.then(|| today.to_string()),
            i64::try_from(page.limit).unwrap_or(i64::MAX),
            i64::try_from(page.offset).unwrap_or(i64::MAX),
            filter.code.as_deref().map(str::trim),
        ])?;
        let mut total = 0;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let code: String = r.get(0)?;
            let record = format!("task {code}");
            let (issued, due): (String, Option<String>) = (r.get(8)?, r.get(9)?);
            let status: TaskStatus = stored_code(&r.get::<String>(7)?, &record)?;
            let due_on = due.map(|d| stored_date(&d, &record)).transpose()?;
            total = usize::try_from(r.get::<i64>(10)?).unwrap_or(0);
            let cancelled: Option<String> = r.get(11)?;
            out.push(TaskRow {
                hazard: r.get(1)?,
                hazard_name: r.get(2)?,
                district: r.get(3)?,
                organisation: r.get(4)?,
                activity: stored_code(&r.get::<String>(5)?, &record)?,
                priority: stored_code(&r.get::<String>(6)?, &record)?,
                issued_on: stored_date(&issued, &record)?,
                overdue: safeground_core::task::overdue(status, due_on, today),
                status,
                due_on,
                cancelled_on: cancelled.map(|d| stored_date(&d, &record)).transpose()?,
                code,
            });
        }
        if out.is_empty() && page.offset > 0 {
            // Past the last page: the count alone.
            total = self.task_page(filter, Paging { offset: 0, limit: 1 }, today)?.0;
        }
        Ok((total, out))
    }
}

impl Writer<'_> {
    /// Cancels open task `code` (or UUID) from day `on` for `reason`
    /// (checked by [`safeground_core::task::cancellation_problems`] on
    /// `today`, against the approved work under it), as the event
    /// TASK_CANCELLED; returns the task's code.
    pub fn cancel_task(
        &mut self,
        code: &str,
        on: Date,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
        today: Date,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("cancelling a task")?;
        let Some(t) = self.task(code)? else {
            return Err(StoreError::Unknown { what: "task", key: code.to_string() });
        };
        let record = format!("task {}", t.code);
        let worked_to: Option<String> = self
            .tx
            // A QA visit's day does not hold a cancellation back: approval lets
            // a visit follow one.
            .prepare_cached(
                "SELECT max(end_date) FROM reports WHERE task_id = ?1 AND state = 'APPROVED' AND type <> 'QM_INSPECTION'",
            )?
            .query_row([uuid_text(t.id)], |r| r.get(0))?;
        let worked_to = worked_to.map(|d| stored_date(&d, &record)).transpose()?;
        let problems =
            safeground_core::task::cancellation_problems(t.status, t.issued_on, on, today, reason, worked_to);
        if !problems.is_empty() {
            return Err(StoreError::Invalid { record, problem: problems.join("; ") });
        }
        let id = uuid_text(t.id);
        self.tx
            .prepare_cached("UPDATE tasks SET status = 'CANCELLED', cancelled_on = ?1 WHERE id = ?2")?
            .execute(params![crate::geometry::date_text(on), id])?;
        self.record("TASK_CANCELLED", &time_text(at), actor, None, Some(&id), Some(reason.trim()))?;
        Ok(t.code)
    }
}
