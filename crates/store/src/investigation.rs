//! Investigations of accidents [IMAS 10.60]: opened by a demining accident's
//! approval (sealed with it) or by hand, their boards and conclusions as
//! events of the sealed history, their recommendations raised as
//! non-conformities, and their list with the state folded from their steps
//! (`core::investigation` holds the rules).

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, stored_date};
use crate::ncr::NewNcr;
use crate::read::stored_code;
use crate::reports::time_text;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::codes::{AccidentKind, NcrGrade};
use safeground_core::investigation::{check_open, Investigation, Step};
use std::collections::HashMap;
use time::{Date, OffsetDateTime};

/// An investigation as listed: the accident it is into, its state, and the
/// non-conformities its recommendations became.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvestigationRow {
    pub id: String,
    pub accident: String,
    pub accident_kind: AccidentKind,
    pub district: Option<String>,
    pub opened_by: String,
    /// The report whose approval opened it (a demining accident's); `None`: by hand.
    pub opened_by_report: Option<String>,
    #[serde(flatten)]
    pub state: Investigation,
    pub non_conformities: Vec<RecommendationNcr>,
}

/// A recommendation (numbered from 1) raised as a non-conformity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecommendationNcr {
    pub recommendation: i64,
    pub code: String,
}

/// A recommendation to raise as a non-conformity against an organisation.
#[derive(Debug, Clone)]
pub struct RecommendationToNcr {
    /// The investigation's code or UUID.
    pub investigation: String,
    /// The recommendation's number, from 1.
    pub recommendation: usize,
    /// Acronym or UUID.
    pub organisation: String,
    pub grade: NcrGrade,
    pub raised_on: Date,
    pub due_on: Option<Date>,
}

fn invalid(record: impl Into<String>, problems: Vec<String>) -> StoreError {
    StoreError::Invalid { record: record.into(), problem: problems.join("; ") }
}

/// The steps of the investigations in force (of `id`'s only), by investigation.
fn steps(db: &Db, id: Option<&str>) -> Result<HashMap<String, Vec<Step>>, StoreError> {
    let sql =
        (include_str!("../sql/investigation/steps_of.sql"), include_str!("../sql/investigation/steps.sql"));
    let mut out: HashMap<String, Vec<Step>> = HashMap::new();
    db.keyed_rows(id, sql, |r| {
        let investigation: String = r.get(0)?;
        let record = format!("investigation {investigation}");
        let (kind, on): (String, String) = (r.get(1)?, r.get(2)?);
        let on = stored_date(&on, &record)?;
        let list = |text: Option<String>| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(text.as_deref().unwrap_or("[]")).map_err(|e| StoreError::Invalid {
                record: record.clone(),
                problem: format!("a stored list: {e}"),
            })
        };
        let step = match kind.as_str() {
            "BOARD" => Step::Board { on, members: list(r.get(3)?)? },
            _ => Step::Conclude {
                on,
                findings: r.get::<Option<String>>(4)?.unwrap_or_default(),
                recommendations: list(r.get(5)?)?,
            },
        };
        out.entry(investigation).or_default().push(step);
        Ok(())
    })?;
    Ok(out)
}

/// The investigations in force, the latest opened first; only the one
/// whose code or UUID is `key` with `key`. Three reads: the caller holds a
/// transaction (a read snapshot, or the write it checks a step in).
fn list(db: &Db, key: Option<&str>) -> Result<Vec<InvestigationRow>, StoreError> {
    let key = key.map(str::trim);
    let sql = (include_str!("../sql/investigation/one.sql"), include_str!("../sql/investigation/list.sql"));
    let mut out = vec![];
    db.keyed_rows(key, sql, |r| {
        let (id, code): (String, String) = (r.get(0)?, r.get(1)?);
        let record = format!("investigation {code}");
        let (kind, occurred, opened): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(6)?);
        out.push(InvestigationRow {
            accident: r.get(2)?,
            accident_kind: stored_code(&kind, &record)?,
            district: r.get(5)?,
            opened_by: r.get(7)?,
            opened_by_report: r.get(8)?,
            state: Investigation::opened(
                &code,
                stored_date(&occurred, &record)?,
                stored_date(&opened, &record)?,
            ),
            non_conformities: vec![],
            id,
        });
        Ok(())
    })?;
    // A key that names none: nothing more to read (not every step and NCR).
    if key.is_some() && out.is_empty() {
        return Ok(out);
    }
    let only = match out.as_slice() {
        [one] if key.is_some() => Some(one.id.clone()),
        _ => None,
    };
    let mut steps = steps(db, only.as_deref())?;
    let mut ncrs: HashMap<String, Vec<RecommendationNcr>> = HashMap::new();
    let sql =
        (include_str!("../sql/investigation/ncrs_of.sql"), include_str!("../sql/investigation/ncrs.sql"));
    db.keyed_rows(only.as_deref(), sql, |r| {
        let investigation: String = r.get(0)?;
        ncrs.entry(investigation)
            .or_default()
            .push(RecommendationNcr { recommendation: r.get(1)?, code: r.get(2)? });
        Ok(())
    })?;
    for row in &mut out {
        for step in steps.remove(&row.id).unwrap_or_default() {
            row.state.apply(&step);
        }
        row.non_conformities = ncrs.remove(&row.id).unwrap_or_default();
    }
    Ok(out)
}

/// One investigation in force, by code or UUID.
fn one(db: &Db, key: &str) -> Result<InvestigationRow, StoreError> {
    list(db, Some(key))?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Unknown { what: "investigation", key: key.trim().to_string() })
}

/// The next code of `year`: BOI-<year>-<2 digits> (a board of inquiry).
fn next_code(db: &Db, year: i32) -> Result<String, StoreError> {
    let n: i64 = db
        .prepare_cached("SELECT count(*) FROM investigations WHERE code LIKE ?1")?
        .query_row([format!("BOI-{year}-%")], |r| r.get(0))?;
    Ok(format!("BOI-{year}-{:02}", n + 1))
}

impl Store {
    /// The investigations in force, the latest opened first, each with its
    /// board, conclusion and the non-conformities it raised; only those not
    /// concluded with `open_only`.
    pub fn investigations(&self, open_only: bool) -> Result<Vec<InvestigationRow>, StoreError> {
        let _snapshot = self.conn.begin_read()?;
        let mut all = list(&self.conn, None)?;
        if open_only {
            all.retain(|i| i.state.concluded_on.is_none());
        }
        Ok(all)
    }

    /// One investigation in force, by code or UUID.
    pub fn investigation(&self, key: &str) -> Result<InvestigationRow, StoreError> {
        let _snapshot = self.conn.begin_read()?;
        one(&self.conn, key)
    }
}

impl Writer<'_> {
    /// Opens, by hand, an investigation into `accident` (UUID) on `on`, as
    /// the event INVESTIGATION_OPENED; returns its code.
    pub fn open_investigation(
        &mut self,
        accident: &str,
        on: Date,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("opening an investigation")?;
        let accident = accident.trim();
        let record = format!("the investigation into accident {accident}");
        let row: Option<String> = self
            .tx
            .prepare_cached("SELECT occurred_on FROM accidents WHERE id = ?1 AND revoked_at IS NULL")?
            .query_row([accident], |r| r.get(0))
            .optional()?;
        let Some(occurred) = row else {
            return Err(StoreError::Unknown { what: "accident", key: accident.to_string() });
        };
        let mut problems =
            check_open(stored_date(&occurred, &record)?, on, at.date()).err().unwrap_or_default();
        let standing: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT code FROM investigations WHERE accident_id = ?1 AND withdrawn_at IS NULL",
            )?
            .query_row([accident], |r| r.get(0))
            .optional()?;
        if let Some(code) = standing {
            problems.push(format!("{code} is investigating it already"));
        }
        if !problems.is_empty() {
            return Err(invalid(record, problems));
        }
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        let code = self.insert_investigation(&id, accident, on, (actor, None), &now)?;
        self.record_about("INVESTIGATION_OPENED", &now, actor, &id, None)?;
        Ok(code)
    }

    /// The code of the investigation report `report`'s approval opened, if any.
    pub fn investigation_opened_by(&self, report: uuid::Uuid) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT code FROM investigations WHERE opened_by_report = ?1 AND withdrawn_at IS NULL",
            )?
            .query_row([uuid_text(report)], |r| r.get(0))
            .optional()
    }

    /// Records the investigation a demining accident's approval opened
    /// (sealed with it).
    pub(crate) fn insert_inquiry(
        &mut self,
        report: &str,
        id: uuid::Uuid,
        accident: uuid::Uuid,
        opened_on: Date,
        actor: &str,
    ) -> Result<String, StoreError> {
        let now = self.context.as_ref().map(|(_, at)| at.clone()).unwrap_or_default();
        self.insert_investigation(
            &uuid_text(id),
            &uuid_text(accident),
            opened_on,
            (actor, Some(report)),
            &now,
        )
    }

    fn insert_investigation(
        &mut self,
        id: &str,
        accident: &str,
        on: Date,
        (actor, report): (&str, Option<&str>),
        now: &str,
    ) -> Result<String, StoreError> {
        let code = next_code(self.tx, on.year())?;
        self.tx
            .prepare_cached(
                "INSERT INTO investigations (id, code, accident_id, opened_on, opened_by, opened_by_report, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id, code, accident, date_text(on), actor, report, now])?;
        Ok(code)
    }

    /// Takes a step (its board convened, its conclusion) on investigation
    /// `key`, as the event INVESTIGATION_BOARD or INVESTIGATION_CONCLUDED;
    /// refused, with every reason, when `core::investigation` says no.
    pub fn investigation_step(
        &mut self,
        key: &str,
        step: &Step,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("recording an investigation's step")?;
        let i = one(self.tx, key)?;
        i.state.check(step, at.date()).map_err(|p| invalid(format!("investigation {}", i.state.code), p))?;
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let (kind, event, on, members, findings, recommendations) = match step {
            Step::Board { on, members } => {
                let members: Vec<String> = members.iter().map(|m| m.trim().to_string()).collect();
                ("BOARD", "INVESTIGATION_BOARD", *on, Some(json(&members)), None, None)
            }
            Step::Conclude { on, findings, recommendations } => {
                let r: Vec<String> = recommendations.iter().map(|m| m.trim().to_string()).collect();
                (
                    "CONCLUDED",
                    "INVESTIGATION_CONCLUDED",
                    *on,
                    None,
                    Some(findings.trim().to_string()),
                    Some(json(&r)),
                )
            }
        };
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO investigation_steps (id, investigation_id, kind, on_day, members, findings, recommendations,
                   actor, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![id, i.id, kind, date_text(on), members, findings, recommendations, actor, now])?;
        self.record_about(event, &now, actor, &id, None)?;
        Ok(i.state.code)
    }

    /// Raises recommendation `r.recommendation` of a concluded investigation
    /// as a non-conformity against `r.organisation`, about its accident, as
    /// the event NCR_RAISED whose digest names the recommendation; returns
    /// the non-conformity's code.
    pub fn ncr_from_recommendation(
        &mut self,
        r: &RecommendationToNcr,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let i = one(self.tx, &r.investigation)?;
        let raised: Vec<usize> = i.non_conformities.iter().map(|n| n.recommendation as usize).collect();
        let text = i
            .state
            .recommendation(r.recommendation, &raised)
            .map_err(|p| invalid(format!("investigation {}", i.state.code), vec![p]))?
            .to_string();
        if let Some(concluded) = i.state.concluded_on.filter(|c| r.raised_on < *c) {
            let p =
                format!("raised on {}, before the board made its recommendations ({concluded})", r.raised_on);
            return Err(invalid(format!("investigation {}", i.state.code), vec![p]));
        }
        let n = NewNcr {
            organisation: r.organisation.clone(),
            grade: r.grade,
            finding: format!("{} recommendation {}: {text}", i.state.code, r.recommendation),
            report: None,
            accident: Some(i.accident.clone()),
            raised_on: r.raised_on,
            due_on: r.due_on,
        };
        let code = self.raise_ncr(&n, actor, at)?;
        self.tx
            .prepare_cached(
                "UPDATE non_conformities SET investigation_id = ?1, recommendation = ?2 WHERE code = ?3",
            )?
            .execute(params![i.id, r.recommendation as i64, code])?;
        Ok(code)
    }
}
