//! Non-conformities: raised (by hand, or by the approval of a failed QC
//! inspection), answered and closed as events of the sealed history, listed
//! with their state folded from their steps (`core::ncr` holds the rules),
//! and their rate per organisation.

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, stored_date};
use crate::read::stored_code;
use crate::reports::{parse_uuid, time_text};
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::approval::RaisedNcr;
use safeground_core::codes::NcrGrade;
use safeground_core::ncr::{rates, NonConformity, Rate, Step};
use time::{Date, OffsetDateTime};

/// A non-conformity to raise, as the user names its organisation and links.
#[derive(Debug, Clone)]
pub struct NewNcr {
    /// Acronym or UUID.
    pub organisation: String,
    pub grade: NcrGrade,
    pub finding: String,
    /// The report it is about (UUID).
    pub report: Option<String>,
    /// The accident it is about (UUID).
    pub accident: Option<String>,
    pub raised_on: Date,
    pub due_on: Option<Date>,
}

/// A non-conformity as listed: its state and its links.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NcrRow {
    pub code: String,
    pub organisation: String,
    pub grade: NcrGrade,
    pub finding: String,
    pub report: Option<String>,
    pub accident: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub raised_on: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: Date,
    pub raised_by: String,
    pub root_cause: Option<String>,
    pub corrective: Option<String>,
    pub preventive: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub closed_on: Option<Date>,
    pub verification: Option<String>,
    /// OPEN, OVERDUE or CLOSED, on the day it was listed.
    pub status: String,
}

fn invalid(record: impl Into<String>, problems: Vec<String>) -> StoreError {
    StoreError::Invalid { record: record.into(), problem: problems.join("; ") }
}

/// The next code of `year`: NCR-<year>-<4 digits>.
fn next_code(db: &Db, year: i32) -> Result<String, StoreError> {
    let n: i64 = db
        .prepare_cached("SELECT count(*) FROM non_conformities WHERE code LIKE ?1")?
        .query_row([format!("NCR-{year}-%")], |r| r.get(0))?;
    Ok(format!("NCR-{year}-{:04}", n + 1))
}

/// A non-conformity in force by its code (codes are upper case: the
/// unique index finds it) or UUID: its id, organisation and state folded
/// from its steps.
fn load(db: &Db, code: &str) -> Result<(String, String, NonConformity), StoreError> {
    let row: Option<(String, String, String, String, String, String, String)> = db
        .prepare_cached(
            "SELECT id, organisation_id, code, grade, finding, raised_on, due_on FROM non_conformities
             WHERE (code = ?1 OR id = ?2) AND withdrawn_at IS NULL",
        )?
        .query_row([code.trim().to_ascii_uppercase(), code.trim().to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .optional()?;
    let Some((id, org, code, grade, finding, raised, due)) = row else {
        return Err(StoreError::Unknown { what: "non-conformity", key: code.to_string() });
    };
    let record = format!("non-conformity {code}");
    let mut n = NonConformity::raised(
        &code,
        stored_code(&grade, &record)?,
        &finding,
        stored_date(&raised, &record)?,
        Some(stored_date(&due, &record)?),
    );
    for step in steps(db, &id, &record)? {
        n.apply(&step);
    }
    Ok((id, org, n))
}

/// A non-conformity's steps, in the order they were taken.
fn steps(db: &Db, id: &str, record: &str) -> Result<Vec<Step>, StoreError> {
    // In the order of the sealed events that recorded them (a row's fid is
    // no part of any seal).
    let mut stmt = db.prepare_cached(
        "SELECT s.kind, s.root_cause, s.corrective, s.preventive, s.due_on, s.closed_on, s.verification
         FROM ncr_steps s JOIN events e ON e.subject = s.id AND e.kind IN ('NCR_ANSWERED', 'NCR_CLOSED')
         WHERE s.ncr_id = ?1 ORDER BY e.seq",
    )?;
    let mut rows = stmt.query([id])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        let day = |v: Option<String>| v.map(|d| stored_date(&d, record)).transpose();
        out.push(match kind.as_str() {
            "CLOSED" => Step::Close {
                on: day(r.get(5)?)?.unwrap_or(Date::MIN),
                verification: r.get::<Option<String>>(6)?.unwrap_or_default(),
            },
            _ => Step::Answer {
                root_cause: r.get(1)?,
                corrective: r.get(2)?,
                preventive: r.get(3)?,
                due_on: day(r.get(4)?)?,
            },
        });
    }
    Ok(out)
}

impl Writer<'_> {
    /// Raises a non-conformity, as the event NCR_RAISED; returns its code.
    pub fn raise_ncr(&mut self, n: &NewNcr, actor: &str, at: OffsetDateTime) -> Result<String, StoreError> {
        self.refuse_on_copy("raising a non-conformity")?;
        let record = format!("the non-conformity against {}", n.organisation.trim());
        let Some(org) = self.organisation_id(&n.organisation)? else {
            return Err(StoreError::Unknown { what: "organisation", key: n.organisation.clone() });
        };
        let mut problems = vec![];
        if n.report.is_none() && n.accident.is_none() {
            problems.push("name the report (--report) or the accident (--accident) it is about".to_string());
        }
        // An accident in force (one whose report was unapproved is no longer held).
        for (what, sql, key) in [
            ("report", "SELECT 1 FROM reports WHERE id = ?1", &n.report),
            ("accident", "SELECT 1 FROM accidents WHERE id = ?1 AND revoked_at IS NULL", &n.accident),
        ] {
            if let Some(k) = key {
                let found: Option<i64> =
                    self.tx.prepare_cached(sql)?.query_row([k.trim()], |r| r.get(0)).optional()?;
                if found.is_none() {
                    problems.push(format!("{what} {k} is not in the register"));
                }
            }
        }
        if n.raised_on > at.date() {
            problems.push(format!("raised on {}, after today ({})", n.raised_on, at.date()));
        }
        let code = next_code(self.tx, n.raised_on.year())?;
        let rule = NonConformity::raised(&code, n.grade, &n.finding, n.raised_on, n.due_on);
        problems.extend(rule.problems());
        if !problems.is_empty() {
            return Err(invalid(record, problems));
        }
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.insert_ncr(
            &id,
            &code,
            &org,
            &rule,
            (n.report.as_deref(), n.accident.as_deref()),
            (actor, None),
            &now,
        )?;
        self.record_about("NCR_RAISED", &now, actor, &id, Some(&rule.finding))?;
        Ok(code)
    }

    /// Records the non-conformities an approval raised (sealed with it).
    pub(crate) fn insert_raised(
        &mut self,
        report: &str,
        raised: &[RaisedNcr],
        actor: &str,
    ) -> Result<(), StoreError> {
        let now = self.context.as_ref().map(|(_, at)| at.clone()).unwrap_or_default();
        for r in raised {
            let code = next_code(self.tx, r.raised_on.year())?;
            let rule = NonConformity::raised(&code, r.grade, &r.finding, r.raised_on, Some(r.due_on));
            let org = uuid_text(r.organisation_id);
            self.insert_ncr(
                &uuid_text(r.id),
                &code,
                &org,
                &rule,
                (Some(report), None),
                (actor, Some(report)),
                &now,
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_ncr(
        &mut self,
        id: &str,
        code: &str,
        org: &str,
        n: &NonConformity,
        (report, accident): (Option<&str>, Option<&str>),
        (actor, by_report): (&str, Option<&str>),
        now: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO non_conformities (id, code, organisation_id, grade, finding, report_id, accident_id,
                   raised_on, due_on, raised_by, raised_by_report, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                id,
                code,
                org,
                n.grade.code(),
                n.finding,
                report.map(str::trim),
                accident.map(str::trim),
                date_text(n.raised_on),
                date_text(n.due_on),
                actor,
                by_report,
                now
            ])?;
        Ok(())
    }

    /// Takes a step (an answer, a verified closure) on non-conformity `code`,
    /// as the event NCR_ANSWERED or NCR_CLOSED; refused, with every reason,
    /// when `core::ncr` says it cannot be taken (the caller checks who may
    /// take it: [`Store::ncr_organisation`]). Returns its code (`code` may
    /// be its UUID).
    pub fn ncr_step(
        &mut self,
        code: &str,
        step: &Step,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("recording a non-conformity's step")?;
        let (ncr_id, _, n) = load(self.tx, code)?;
        let mut problems = n.check(step).err().unwrap_or_default();
        if let Step::Close { on, .. } = step {
            if *on > at.date() {
                problems.push(format!("closed on {on}, after today ({})", at.date()));
            }
        }
        if !problems.is_empty() {
            return Err(invalid(format!("non-conformity {}", n.code), problems));
        }
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        let (kind, event) = match step {
            Step::Answer { .. } => ("ANSWERED", "NCR_ANSWERED"),
            Step::Close { .. } => ("CLOSED", "NCR_CLOSED"),
        };
        let (root, corrective, preventive, due, closed, verification) = match step {
            Step::Answer { root_cause, corrective, preventive, due_on } => (
                root_cause.clone(),
                corrective.clone(),
                preventive.clone(),
                due_on.map(date_text),
                None,
                None,
            ),
            Step::Close { on, verification } => {
                (None, None, None, None, Some(date_text(*on)), Some(verification.trim().to_string()))
            }
        };
        self.tx
            .prepare_cached(
                "INSERT INTO ncr_steps (id, ncr_id, kind, root_cause, corrective, preventive, due_on, closed_on,
                   verification, actor, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![id, ncr_id, kind, root, corrective, preventive, due, closed, verification, actor, now])?;
        self.record_about(event, &now, actor, &id, Some(&n.code))?;
        Ok(n.code)
    }
}

impl Store {
    /// The organisation a non-conformity is against (its UUID), for access checks.
    pub fn ncr_organisation(&self, code: &str) -> Result<uuid::Uuid, StoreError> {
        let (_, org, _) = load(&self.conn, code)?;
        parse_uuid(&org)
    }

    /// The non-conformities in force, the latest raised first; only the open
    /// ones with `open_only`; only one organisation's with `organisation`.
    pub fn ncrs(
        &self,
        open_only: bool,
        organisation: Option<uuid::Uuid>,
        today: Date,
    ) -> Result<Vec<NcrRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/ncr/list.sql"))?;
        let mut rows = stmt.query(params![organisation.map(uuid_text)])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let (_, _, n) = load(&self.conn, &id)?;
            let status = if n.is_closed() {
                "CLOSED"
            } else if n.overdue(today) {
                "OVERDUE"
            } else {
                "OPEN"
            };
            if open_only && n.is_closed() {
                continue;
            }
            out.push(NcrRow {
                organisation: r.get(2)?,
                report: r.get(3)?,
                accident: r.get(4)?,
                raised_by: r.get(5)?,
                code: n.code,
                grade: n.grade,
                finding: n.finding,
                raised_on: n.raised_on,
                due_on: n.due_on,
                root_cause: n.root_cause,
                corrective: n.corrective,
                preventive: n.preventive,
                closed_on: n.closed_on,
                verification: n.verification,
                status: status.to_string(),
            });
        }
        Ok(out)
    }

    /// Non-conformities per organisation and their rate per 100 approved
    /// work reports (NTS, TS, clearance, EOD spot tasks).
    pub fn ncr_rates(&self, today: Date) -> Result<Vec<Rate>, StoreError> {
        let all = self.ncrs(false, None, today)?;
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/ncr/work_reports.sql"))?;
        let mut rows = stmt.query(())?;
        let mut by_org: Vec<(String, Vec<NonConformity>, i64)> = vec![];
        while let Some(r) = rows.next()? {
            let org: String = r.get(0)?;
            let reports: i64 = r.get(1)?;
            let mine = all
                .iter()
                .filter(|n| n.organisation == org)
                .map(|n| {
                    let mut x =
                        NonConformity::raised(&n.code, n.grade, &n.finding, n.raised_on, Some(n.due_on));
                    x.closed_on = n.closed_on;
                    x
                })
                .collect();
            by_org.push((org, mine, reports));
        }
        Ok(rates(&by_org, today))
    }
}
