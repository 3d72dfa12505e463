//! Draft reports: field submissions (KoBoToolbox, ODK Central exports) held
//! for an officer to look at before they enter the approval workflow.
//!
//! A draft is a row of `reports` in state DRAFT with a REPORT_DRAFTED event;
//! it touches nothing in the register. Submitting it (DRAFT → SUBMITTED)
//! runs the shape checks a submission runs; approval then runs the rest.
//! Saving a draft whose id is already in `reports` (the same submission
//! imported again) changes nothing and says so.

use crate::db::OptionalExtension;
use crate::reports::{refused, time_text};
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::ids::fresh;
use safeground_core::ids::ReportId;
use safeground_core::report::{self, Report};
use time::OffsetDateTime;
use uuid::Uuid;

/// What saving a draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftOutcome {
    /// A new draft report.
    Drafted(Uuid),
    /// A report with this id is there already (imported before), in this state.
    AlreadyImported { id: Uuid, state: String },
}

impl Writer<'_> {
    /// Records `r` as a DRAFT report (its references to the register must
    /// resolve, as for a submission). `source` says where it came from and is
    /// kept on the REPORT_DRAFTED event.
    pub fn save_draft(
        &mut self,
        r: &Report,
        actor: &str,
        at: OffsetDateTime,
        source: &str,
    ) -> Result<DraftOutcome, StoreError> {
        let id = r.id.unwrap_or_else(fresh);
        let key = uuid_text(id);
        let state: Option<String> = self
            .tx
            .prepare_cached("SELECT state FROM reports WHERE id = ?1")?
            .query_row([&key], |row| row.get(0))
            .optional()?;
        if let Some(state) = state {
            return Ok(DraftOutcome::AlreadyImported { id, state });
        }
        let now = time_text(at);
        self.insert_report(r, id, "DRAFT", actor, &now)?;
        self.record("REPORT_DRAFTED", &now, actor, Some(&key), None, Some(source))?;
        Ok(DraftOutcome::Drafted(id))
    }

    /// Moves a draft to SUBMITTED, refusing one that a submission would refuse
    /// (empty, dates in the future or backwards, fields its type needs).
    pub fn submit_draft(&mut self, id: ReportId, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let key = id.to_string();
        let (r, state, _, _) = self.load(&key)?;
        if state != "DRAFT" {
            return Err(self.not_in_state(&key, "DRAFT", None)?);
        }
        let problems = report::check_shape(&r, at.date());
        if !problems.is_empty() {
            return Err(StoreError::Invalid {
                record: format!("draft report {id}"),
                problem: format!("it cannot be submitted:\n  - {}", problems.join("\n  - ")),
            });
        }
        self.submit_draft_with(id, actor, &time_text(at), None)
    }

    /// Moves draft `id` to SUBMITTED at `now`, its event giving `reason`
    /// (where it came from, when a field copy sent it).
    pub(crate) fn submit_draft_with(
        &mut self,
        id: ReportId,
        actor: &str,
        now: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let key = id.to_string();
        if let Some(origin) = self.copied_report(&key)? {
            return Err(refused(
                &format!("report {key}"),
                vec![format!("it came with this field copy from {origin}, where it is submitted")],
            ));
        }
        let (_, state, _, _) = self.load(&key)?;
        if state != "DRAFT" {
            return Err(self.not_in_state(&key, "DRAFT", None)?);
        }
        let n = self
            .tx
            .prepare_cached(
                "UPDATE reports SET state = 'SUBMITTED', submitted_at = ?1, submitted_by = ?2, version = version + 1
                 WHERE id = ?3 AND state = 'DRAFT'",
            )?
            .execute(params![now, actor, key])?;
        if n == 0 {
            return Err(self.not_in_state(&key, "DRAFT", None)?);
        }
        self.record("REPORT_SUBMITTED", now, actor, Some(&key), None, reason)?;
        Ok(())
    }
}

impl Store {
    /// Moves a draft to SUBMITTED (see [`Writer::submit_draft`]).
    pub fn submit_draft(&mut self, id: ReportId, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.write(|w| w.submit_draft(id, actor, at))
    }
}
