//! Priorities: what a ranking needs, read from the register
//! (`core::priority` ranks), and rankings sealed in the history with the
//! tasks issued from them.

use crate::db::OptionalExtension;
use crate::geometry::{date_text, read_multipolygon, read_point, stored_date};
use crate::read::stored_code;
use crate::reports::{parse_uuid, time_text};
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::codes::{ActivityKind, Confidence, HazardStatus, Priority, TaskStatus};
use safeground_core::model::Task;
use safeground_core::priority::{Candidate, Casualty, Populated, Ranked, Scenario};
use time::{Date, OffsetDateTime};

/// What a ranking reads: the hazards its filter's statuses keep, the
/// settlements with people, the accidents with casualties up to `as_of`.
#[derive(Debug, Clone, Default)]
pub struct PriorityFacts {
    pub candidates: Vec<Candidate>,
    pub settlements: Vec<Populated>,
    pub casualties: Vec<Casualty>,
}

/// A comma-separated list of codes, as the hazards table keeps contamination and land use.
fn codes<T: std::str::FromStr<Err = safeground_core::codes::UnknownCode>>(
    text: &str,
    record: &str,
) -> Result<Vec<T>, StoreError> {
    text.split(',').filter(|c| !c.trim().is_empty()).map(|c| stored_code(c.trim(), record)).collect()
}

/// A sealed ranking as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankingRow {
    pub code: String,
    pub name: String,
    pub as_of: Date,
    pub recorded_at: String,
    /// The scenario as the authority wrote it (TOML).
    pub scenario: String,
    /// Every hazard ranked (JSON, as `priorities --json` prints it).
    pub result: serde_json::Value,
}

impl Store {
    /// The facts a ranking under `s` reads on `as_of`.
    pub fn priority_facts(&self, s: &Scenario, as_of: Date) -> Result<PriorityFacts, StoreError> {
        let statuses: Vec<String> = s.filter.statuses.iter().map(|x| format!("'{}'", x.code())).collect();
        // The statuses are the code list's own codes, never text from the user.
        let sql = include_str!("../sql/priority/candidates.sql")
            .replace("'OPEN', 'WORKED_ON'", &statuses.join(", "));
        let mut facts = PriorityFacts::default();
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            let code: String = r.get(1)?;
            let record = format!("hazard {code}");
            let (kind, status, contamination, land_use): (String, String, String, String) =
                (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
            let evidence: Option<i64> = r.get(9)?;
            facts.candidates.push(Candidate {
                id: parse_uuid(&r.get::<String>(0)?)?,
                code,
                name: r.get(2)?,
                district: r.get(3)?,
                kind: stored_code(&kind, &record)?,
                status: stored_code(&status, &record)?,
                contamination: codes(&contamination, &record)?,
                land_use: codes(&land_use, &record)?,
                remaining_m2: r.get(8)?,
                evidence: match evidence {
                    Some(3) => Some(Confidence::High),
                    Some(2) => Some(Confidence::Medium),
                    Some(1) => Some(Confidence::Low),
                    _ => None,
                },
                geometry: read_multipolygon(&r.get::<Vec<u8>>(10)?, &record)?,
            });
        }
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/priority/settlements.sql"))?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let location = read_point(&r.get::<Vec<u8>>(1)?, &format!("settlement {name}"))?;
            facts.settlements.push(Populated { name, location, population: r.get(2)? });
        }
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/priority/casualties.sql"))?;
        let mut rows = stmt.query([date_text(as_of)])?;
        while let Some(r) = rows.next()? {
            let record = "an accident".to_string();
            let on: String = r.get(1)?;
            facts.casualties.push(Casualty {
                location: read_point(&r.get::<Vec<u8>>(0)?, &record)?,
                on: stored_date(&on, &record)?,
                people: r.get(2)?,
            });
        }
        Ok(facts)
    }

    /// The latest sealed ranking, if any.
    pub fn latest_ranking(&self) -> Result<Option<RankingRow>, StoreError> {
        let code: Option<String> = self
            .conn
            .prepare_cached("SELECT code FROM rankings ORDER BY fid DESC LIMIT 1")?
            .query_row((), |r| r.get(0))
            .optional()?;
        code.map(|c| read_ranking(&self.conn, &c)).transpose()
    }

    /// A sealed ranking, by its code.
    pub fn ranking(&self, code: &str) -> Result<RankingRow, StoreError> {
        read_ranking(&self.conn, code)
    }
}

impl Writer<'_> {
    /// Seals a ranking — the scenario as written, the day, every hazard
    /// ranked — as the event RANKING_SEALED; returns its code
    /// (`RANK-<day>-<n>`).
    pub fn seal_ranking(
        &mut self,
        s: &Scenario,
        scenario_text: &str,
        as_of: Date,
        ranked: &[Ranked],
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("sealing a ranking")?;
        let day = date_text(at.date());
        let n: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM rankings WHERE code LIKE 'RANK-' || ?1 || '-%'")?
            .query_row([&day], |r| r.get(0))?;
        let code = format!("RANK-{day}-{:02}", n + 1);
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        let result = serde_json::to_string(ranked).map_err(|e| StoreError::Invalid {
            record: format!("ranking {code}"),
            problem: format!("cannot be written as JSON: {e}"),
        })?;
        self.tx
            .prepare_cached(
                "INSERT INTO rankings (id, code, name, scenario, as_of, result, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id, code, s.name.trim(), scenario_text, date_text(as_of), result, now])?;
        self.record_about("RANKING_SEALED", &now, actor, &id, Some(s.name.trim()))?;
        Ok(code)
    }

    /// Issues tasks to `organisation` for those of the first `top` hazards of
    /// sealed ranking `code` that are still dangerous (not closed or handed
    /// over), hold no open task and no task from this ranking already; each
    /// TASK_ISSUED event names the ranking, the rank and the score. Returns
    /// the tasks' codes.
    pub fn issue_from_ranking(
        &mut self,
        code: &str,
        top: usize,
        plan: &RankingTasks,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        self.refuse_on_copy("issuing tasks from a ranking")?;
        // `at`: when the events are recorded (the caller dates a task issued
        // in the past at noon of its day).
        let ranking = read_stored_ranking(self.tx, code)?;
        // A task follows its ranking, and is not dated in the future.
        let today = OffsetDateTime::now_utc().date();
        if plan.issued_on < ranking.as_of || plan.issued_on > today {
            let why = if plan.issued_on > today { "after today" } else { "before the ranking was made" };
            return Err(StoreError::Invalid {
                record: format!("tasks from ranking {}", ranking.code),
                problem: format!(
                    "they would be issued on {}, {why}; issue them on a day from {} to today",
                    plan.issued_on, ranking.as_of
                ),
            });
        }
        let Some(org) = self.organisation_id(&plan.organisation)? else {
            return Err(StoreError::Unknown { what: "organisation", key: plan.organisation.clone() });
        };
        let now = time_text(at);
        let mut issued = vec![];
        let ranked: Vec<RankedEntry> = ranking_result(&ranking)?;
        for r in ranked.iter().take(top) {
            let hazard = r.code.as_str();
            let found: Option<(String, String, i64)> = self
                .tx
                .prepare_cached(include_str!("../sql/priority/hazard_open_tasks.sql"))?
                .query_row([hazard], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
                .optional()?;
            let Some((hazard_id, status, open_tasks)) = found else { continue };
            let status: HazardStatus = stored_code(&status, &format!("hazard {hazard}"))?;
            if open_tasks > 0 || matches!(status, HazardStatus::Closed | HazardStatus::HandedOver) {
                continue;
            }
            let task_code = format!("T-{hazard}-{}", ranking.code.trim_start_matches("RANK-"));
            let tasked_before: Option<i64> = self
                .tx
                .prepare_cached("SELECT 1 FROM tasks WHERE code = ?1")?
                .query_row([&task_code], |x| x.get(0))
                .optional()?;
            if tasked_before.is_some() {
                continue;
            }
            let task = Task {
                id: safeground_core::ids::fresh(),
                code: task_code,
                hazard_id: parse_uuid(&hazard_id)?,
                organisation_id: parse_uuid(&org)?,
                activity: plan.activity,
                priority: plan.priority,
                status: TaskStatus::Issued,
                issued_on: plan.issued_on,
                due_on: plan.due_on,
            };
            let reason = format!(
                "from ranking {} ({}): rank {}, score {:.1}",
                ranking.code,
                ranking.name,
                r.rank,
                r.score.unwrap_or(0.0)
            );
            self.record_task(&task, actor, &now, Some(&reason))?;
            issued.push(task.code);
        }
        Ok(issued)
    }
}

/// What the tasks issued from a ranking are.
#[derive(Debug, Clone)]
pub struct RankingTasks {
    /// Acronym or UUID.
    pub organisation: String,
    pub activity: ActivityKind,
    pub priority: Priority,
    pub issued_on: Date,
    pub due_on: Option<Date>,
}

/// A sealed ranking's row, its result still the JSON text stored.
struct StoredRanking {
    code: String,
    name: String,
    as_of: Date,
    recorded_at: String,
    scenario: String,
    result: String,
}

fn read_stored_ranking(db: &crate::db::Db, code: &str) -> Result<StoredRanking, StoreError> {
    let row: Option<(String, String, String, String, String, String)> = db
        .prepare_cached(
            "SELECT code, name, as_of, recorded_at, scenario, result FROM rankings WHERE code = ?1 COLLATE NOCASE",
        )?
        .query_row([code.trim()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((code, name, as_of, recorded_at, scenario, result)) = row else {
        return Err(StoreError::Unknown { what: "ranking", key: code.to_string() });
    };
    let as_of = stored_date(&as_of, &format!("ranking {code}"))?;
    Ok(StoredRanking { code, name, as_of, recorded_at, scenario, result })
}

/// Reads a stored ranking's result as `T` (every hazard ranked, as
/// `priorities --json` prints it, or only the fields `T` names).
fn ranking_result<T: serde::de::DeserializeOwned>(r: &StoredRanking) -> Result<T, StoreError> {
    serde_json::from_str(&r.result).map_err(|e| StoreError::Invalid {
        record: format!("ranking {}", r.code),
        problem: format!("its stored result cannot be read as the hazards ranked: {e}"),
    })
}

fn read_ranking(db: &crate::db::Db, code: &str) -> Result<RankingRow, StoreError> {
    let r = read_stored_ranking(db, code)?;
    let result = ranking_result(&r)?;
    let StoredRanking { code, name, as_of, recorded_at, scenario, .. } = r;
    Ok(RankingRow { code, name, as_of, recorded_at, scenario, result })
}

/// What issuing tasks reads of each hazard ranked: not the whole entry, so a
/// national ranking of 100,000 hazards is not held as a JSON tree.
#[derive(serde::Deserialize)]
struct RankedEntry {
    code: String,
    rank: u64,
    /// A score that was not a number is stored as `null`.
    score: Option<f64>,
}
