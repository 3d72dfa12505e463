//! Projects and the tasks they fund (recorded as events of the sealed
//! history), and what a donor report reads: the indicators' facts of the
//! project's tasks, what they found and reached, and their ground for the
//! map — in one state of the register. SQL in `sql/project/*.sql`; the rules
//! are `safeground_core::project`'s.

use crate::geometry::{date_text, read_multipolygon, stored_date};
use crate::read::stored_code;
use crate::reports::{end_of_day, time_text};
use crate::write::{uuid_text, Writer};
use crate::{AuditHead, Store, StoreError};
use geo::MultiPolygon;
use rusqlite::params;
use safeground_core::codes::{HazardKind, ReleaseOutcome};
use safeground_core::model::Reach;
use safeground_core::project::{may_fund, problems, DonorFacts, FundedTask, Project};
use time::{Date, OffsetDateTime};

/// A project as listed: its record and how many tasks it funds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProjectRow {
    #[serde(flatten)]
    pub project: Project,
    pub tasks: i64,
}

/// The ground of a donor report's map.
#[derive(Debug, Clone, Default)]
pub struct ProjectGround {
    /// The funded tasks' hazards as they stood at the end of the period.
    pub hazards: Vec<(HazardKind, MultiPolygon<f64>)>,
    /// What the tasks released in the period.
    pub released: Vec<(ReleaseOutcome, MultiPolygon<f64>)>,
}

const PROJECT_COLUMNS: &str = "id, code, donor, name, budget, currency, starts_on, ends_on";

fn project_row(r: &crate::db::Row<'_>) -> Result<(String, Project), StoreError> {
    let code: String = r.get(1)?;
    let record = format!("project {code}");
    let (starts, ends): (String, String) = (r.get(6)?, r.get(7)?);
    Ok((
        r.get(0)?,
        Project {
            donor: r.get(2)?,
            name: r.get(3)?,
            budget: r.get(4)?,
            currency: r.get(5)?,
            starts_on: stored_date(&starts, &record)?,
            ends_on: stored_date(&ends, &record)?,
            code,
        },
    ))
}

/// The project `code` (its id and record), read through `conn`.
fn find(conn: &crate::db::Db, code: &str) -> Result<(String, Project), StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE code = ?1"))?;
    let mut rows = stmt.query([code])?;
    match rows.next()? {
        Some(r) => project_row(&r),
        None => Err(StoreError::Unknown { what: "project", key: code.to_string() }),
    }
}

impl Writer<'_> {
    /// Records a project, as an event of the history; refuses it with every
    /// problem named, or if its code is taken.
    pub fn add_project(&mut self, p: &Project, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.refuse_on_copy("adding a project")?;
        let record = format!("project {}", p.code);
        let all = problems(p);
        if !all.is_empty() {
            return Err(StoreError::Invalid { record, problem: all.join("; ") });
        }
        if find(self.tx, &p.code).is_ok() {
            let problem =
                "the code is another project's: choose another (`safeground project list` shows them)";
            return Err(StoreError::Invalid { record, problem: problem.into() });
        }
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO projects (id, code, donor, name, budget, currency, starts_on, ends_on, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id,
                p.code,
                p.donor,
                p.name,
                p.budget,
                p.currency,
                date_text(p.starts_on),
                date_text(p.ends_on),
                now
            ])?;
        self.record_about("PROJECT_ADDED", &now, actor, &id, None)?;
        Ok(())
    }

    /// Records that project `code` funds task `task` (by code), as an event
    /// of the history; refuses what [`may_fund`] refuses.
    pub fn fund_task(
        &mut self,
        code: &str,
        task: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.refuse_on_copy("funding a task")?;
        let (project_id, project) = find(self.tx, code)?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT t.id, t.issued_on, p.code FROM tasks t
             LEFT JOIN project_tasks pt ON pt.task_id = t.id LEFT JOIN projects p ON p.id = pt.project_id
             WHERE t.code = ?1",
        )?;
        let mut rows = stmt.query([task])?;
        let Some(r) = rows.next()? else {
            return Err(StoreError::Unknown { what: "task", key: task.to_string() });
        };
        let (task_id, issued, funded_by): (String, String, Option<String>) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        drop(rows);
        let issued_on = stored_date(&issued, &format!("task {task}"))?;
        may_fund(&project, task, issued_on, funded_by.as_deref())
            .map_err(|problem| StoreError::Invalid { record: format!("project {code}"), problem })?;
        let now = time_text(at);
        self.tx
            .prepare_cached("INSERT INTO project_tasks (task_id, project_id, funded_at) VALUES (?1, ?2, ?3)")?
            .execute(params![task_id, project_id, now])?;
        self.record_event("TASK_FUNDED", &now, actor, (None, Some(&task_id), Some(&project_id)), None)?;
        Ok(())
    }
}

impl Store {
    /// Every project, by code, with the number of tasks it funds.
    pub fn projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.code, p.donor, p.name, p.budget, p.currency, p.starts_on, p.ends_on,
                    (SELECT count(*) FROM project_tasks pt WHERE pt.project_id = p.id)
             FROM projects p ORDER BY p.code",
        )?;
        let mut rows = stmt.query(())?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            out.push(ProjectRow { project: project_row(&r)?.1, tasks: r.get(8)? });
        }
        Ok(out)
    }

    /// What a donor report of project `code` from `from` to `to` needs, as
    /// the register stood at the end of `to`, and the sealed history's head:
    /// one state of the register.
    pub fn donor_facts(
        &self,
        code: &str,
        (from, to): (Date, Date),
    ) -> Result<(Project, DonorFacts, ProjectGround, Option<AuditHead>), StoreError> {
        let _snapshot = self.conn.begin_read()?;
        let head = self.history_head()?;
        let (id, project) = find(&self.conn, code)?;
        let mut facts = DonorFacts { kpi: self.kpi_facts_of((from, to), &id)?, ..DonorFacts::default() };
        let bound = end_of_day(to);
        let (f, t) = (date_text(from), date_text(to));
        let period = [bound.as_str(), f.as_str(), t.as_str(), id.as_str()];
        let mut stmt = self.conn.prepare(include_str!("../sql/project/tasks.sql"))?;
        let mut rows = stmt.query([id.as_str()])?;
        while let Some(r) = rows.next()? {
            let (code, issued): (String, String) = (r.get(0)?, r.get(5)?);
            facts.tasks.push(FundedTask {
                issued_on: stored_date(&issued, &format!("task {code}"))?,
                hazard: r.get(1)?,
                district: r.get(2)?,
                organisation: r.get(3)?,
                status: r.get(4)?,
                code,
            });
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/project/found.sql"))?;
        let mut rows = stmt.query(period)?;
        while let Some(r) = rows.next()? {
            facts.found.push((r.get(0)?, r.get(1)?));
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/project/sessions.sql"))?;
        let mut rows = stmt.query(period)?;
        if let Some(r) = rows.next()? {
            facts.sessions = usize::try_from(r.get::<i64>(0)?).unwrap_or_default();
            facts.reached = Reach { girls: r.get(1)?, boys: r.get(2)?, women: r.get(3)?, men: r.get(4)? };
        }
        let ground = self.project_ground(&bound, period)?;
        Ok((project, facts, ground, head))
    }

    fn project_ground(&self, bound: &str, period: [&str; 4]) -> Result<ProjectGround, StoreError> {
        let mut ground = ProjectGround::default();
        let mut stmt = self.conn.prepare(include_str!("../sql/project/hazards.sql"))?;
        let mut rows = stmt.query([bound, period[3]])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(0)?;
            let blob: Vec<u8> = r.get(1)?;
            ground
                .hazards
                .push((stored_code(&kind, "hazard version")?, read_multipolygon(&blob, "hazard version")?));
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/project/released.sql"))?;
        let mut rows = stmt.query(period)?;
        while let Some(r) = rows.next()? {
            let outcome: String = r.get(0)?;
            let blob: Vec<u8> = r.get(1)?;
            ground
                .released
                .push((stored_code(&outcome, "released area")?, read_multipolygon(&blob, "released area")?));
        }
        Ok(ground)
    }
}
