//! The facts of the land-release indicators over a period
//! ([`safeground_core::kpi::KpiFacts`]), as the register stood at the end of
//! its last day: SQL only, in `sql/kpi/*.sql`; the indicators are core's.

use crate::geometry::{date_text, stored_date};
use crate::read::stored_code;
use crate::reports::end_of_day;
use crate::{Store, StoreError};
use safeground_core::kpi::{ActivityFact, FindFact, Keys, KpiFacts, ReleaseFact, TaskFact};
use time::Date;

/// The grouping keys in a row's first four columns.
fn keys(r: &crate::db::Row<'_>, record: &str) -> Result<Keys, StoreError> {
    let d: String = r.get(3)?;
    Ok(Keys {
        organisation: r.get(0)?,
        district: r.get(1)?,
        method: r.get(2)?,
        day: stored_date(&d, record)?,
    })
}

impl Store {
    /// The facts of the indicators from `from` to `to` (inclusive).
    pub fn kpi_facts(&self, from: Date, to: Date) -> Result<KpiFacts, StoreError> {
        // One state of the register for every query.
        let _snapshot = self.conn.begin_read()?;
        self.kpi_facts_of((from, to), "")
    }

    /// The facts of the work of project `project`'s tasks only (all work:
    /// ''), read in the caller's transaction.
    pub(crate) fn kpi_facts_of(
        &self,
        (from, to): (Date, Date),
        project: &str,
    ) -> Result<KpiFacts, StoreError> {
        let bound = end_of_day(to);
        let (f, t) = (date_text(from), date_text(to));
        let params = [bound.as_str(), f.as_str(), t.as_str(), project];
        let mut facts = KpiFacts::default();
        let mut stmt = self.conn.prepare(include_str!("../sql/kpi/releases.sql"))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let outcome: String = r.get(4)?;
            facts.releases.push(ReleaseFact {
                keys: keys(&r, "released area")?,
                outcome: stored_code(&outcome, "released area")?,
                area_m2: r.get(5)?,
                activity: r.get(6)?,
            });
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/kpi/finds.sql"))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            facts.finds.push(FindFact {
                keys: keys(&r, "EO find")?,
                quantity: r.get(4)?,
                activity: r.get(5)?,
            });
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/kpi/activities.sql"))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            facts.activities.push(ActivityFact {
                keys: keys(&r, "activity")?,
                id: r.get(4)?,
                hours: r.get(5)?,
            });
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/kpi/tasks.sql"))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let issued: String = r.get(4)?;
            facts.tasks.push(TaskFact {
                keys: keys(&r, "task")?,
                issued_on: stored_date(&issued, "task")?,
                found: r.get::<i64>(5)? != 0,
            });
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/kpi/finding_activities.sql"))?;
        let mut rows = stmt.query([bound.as_str()])?;
        while let Some(r) = rows.next()? {
            facts.finding_activities.insert(r.get(0)?);
        }
        Ok(facts)
    }
}
