//! What a year's treaty report needs ([`safeground_core::treaty::Facts`]),
//! read as the register stood at the end of the year (and of the year
//! before): SQL only, in `sql/treaty/*.sql`; the forms are made in core.

use crate::read::stored_code;
use crate::reports::end_of_day;
use crate::{Store, StoreError};
use geo::Centroid;
use rusqlite::types::ValueRef;
use safeground_core::codes::{split_codes, EoCategory, HazardKind};
use safeground_core::model::Reach;
use safeground_core::treaty::{Casualty, Convention, Destruction, Facts, Figures, HazardState, Session};
use safeground_core::wkb::decode_gpkg;
use time::{Date, Month};

impl Store {
    /// The facts of `year`'s report of `convention`, as the register stood
    /// at the end of 31 December (and of the year before), and the head of
    /// the sealed history, read in one state of the register.
    /// `shapes`: keep the end-of-year polygons (for a printed map).
    pub fn treaty_facts(
        &self,
        convention: Convention,
        year: i32,
        shapes: bool,
    ) -> Result<(Facts, Option<crate::AuditHead>), StoreError> {
        let day = |y, m, d| {
            Date::from_calendar_date(y, m, d)
                .map_err(|e| StoreError::Invalid { record: format!("year {y}"), problem: e.to_string() })
        };
        let start = end_of_day(day(year - 1, Month::December, 31)?);
        let end = end_of_day(day(year, Month::December, 31)?);
        let scope = convention.scope().code();
        // One state of the register for every query, whatever is written meanwhile.
        let _snapshot = self.conn.begin_read()?;
        let head = self.history_head()?;
        let facts = Facts {
            before: self.hazard_states(&start, false)?,
            after: self.hazard_states(&end, shapes)?,
            known: self.known(&end, scope)?,
            destroyed: self.destroyed(&end, scope, &start)?,
            sessions: self.sessions(&end, &start)?,
            casualties: self.casualties(&end, &start)?,
        };
        Ok((facts, head))
    }

    fn hazard_states(&self, bound: &str, keep_shapes: bool) -> Result<Vec<HazardState>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/treaty/hazards.sql"))?;
        let mut rows = stmt.query([bound])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let code: String = r.get(0)?;
            let kind: String = r.get(2)?;
            let contamination: String = r.get(3)?;
            let shape = match r.get_ref(9)? {
                ValueRef::Blob(b) => decode_gpkg(b).ok().and_then(|(_, g)| match g {
                    geo::Geometry::Polygon(p) => Some(geo::MultiPolygon(vec![p])),
                    geo::Geometry::MultiPolygon(m) => Some(m),
                    _ => None,
                }),
                _ => None,
            };
            let centre = shape.as_ref().and_then(|g| g.centroid()).map(|p| (p.x(), p.y()));
            let shape = shape.filter(|_| keep_shapes);
            out.push(HazardState {
                district: r.get(1)?,
                kind: stored_code::<HazardKind>(&kind, &format!("hazard {code}"))?,
                contamination: split_codes::<EoCategory>(&contamination).map_err(|e| {
                    StoreError::Invalid {
                        record: format!("hazard {code}"),
                        problem: format!("stored value: {e}"),
                    }
                })?,
                figures: Figures {
                    recorded: r.get(4)?,
                    cancelled: r.get(5)?,
                    reduced: r.get(6)?,
                    cleared: r.get(7)?,
                    remaining: r.get(8)?,
                },
                centre,
                shape,
                code,
            });
        }
        Ok(out)
    }

    fn known(&self, bound: &str, scope: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/treaty/known.sql"))?;
        let rows = stmt.query_map([bound, scope], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    fn destroyed(&self, bound: &str, scope: &str, start: &str) -> Result<Vec<Destruction>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/treaty/destroyed.sql"))?;
        let mut rows = stmt.query([bound, scope, start])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let disposal: String = r.get(2)?;
            out.push(Destruction {
                eo_type: r.get(0)?,
                quantity: r.get(1)?,
                disposal: stored_code(&disposal, "EO find")?,
            });
        }
        Ok(out)
    }

    fn sessions(&self, bound: &str, start: &str) -> Result<Vec<Session>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/treaty/sessions.sql"))?;
        let rows = stmt.query_map([bound, start], |r| {
            Ok(Session {
                district: r.get(0)?,
                reach: Reach { girls: r.get(1)?, boys: r.get(2)?, women: r.get(3)?, men: r.get(4)? },
                with_disability: {
                    let g: [Option<i64>; 4] = [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?];
                    g.iter().any(Option::is_some).then(|| Reach {
                        girls: g[0].unwrap_or(0),
                        boys: g[1].unwrap_or(0),
                        women: g[2].unwrap_or(0),
                        men: g[3].unwrap_or(0),
                    })
                },
            })
        })?;
        rows.collect()
    }

    fn casualties(&self, bound: &str, start: &str) -> Result<Vec<Casualty>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/treaty/casualties.sql"))?;
        let mut rows = stmt.query([bound, start])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let (outcome, sex, device): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(4)?);
            out.push(Casualty {
                outcome: stored_code(&outcome, "victim")?,
                sex: stored_code(&sex, "victim")?,
                age: r.get(2)?,
                assisted: r.get::<i64>(3)? != 0,
                device: stored_code(&device, "accident")?,
                disability: r.get::<Option<String>>(5)?.map(|d| stored_code(&d, "victim")).transpose()?,
            });
        }
        Ok(out)
    }
}
