//! Reads from the register: the summary, hazard lists and details.

use crate::db::Row;
use crate::geometry::{read_multipolygon, read_point, stored_date};
use crate::reports::stored_id;
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::accounting::ReleaseFigures;
use safeground_core::codes::{EoCategory, HazardKind, HazardStatus, ReleaseOutcome, VictimOutcome};
use safeground_core::ids::{HazardId, ReportId};
use safeground_core::model::Reach;
use safeground_core::summary::{Summary, SummaryBuilder};
use serde::Serialize;

/// Which hazards to list; every condition is asked of the database, with
/// its indexes.
#[derive(Debug, Clone, Default)]
pub struct HazardFilter {
    /// District name as written in the country or in English.
    pub district: Option<String>,
    pub status: Option<HazardStatus>,
    /// Hazards with this contamination among theirs.
    pub contamination: Option<EoCategory>,
    /// Recorded by this organisation (acronym, any case).
    pub organisation: Option<String>,
    /// Recorded on or after this day.
    pub recorded_from: Option<time::Date>,
    /// Recorded on or before this day.
    pub recorded_to: Option<time::Date>,
    /// West, south, east, north (degrees): hazards whose extent meets this box.
    pub bbox: Option<[f64; 4]>,
    /// Text in the code or the name, in any case.
    pub search: Option<String>,
    pub kind: Option<HazardKind>,
    pub sort: HazardSort,
}

/// The order of a list of hazards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HazardSort {
    #[default]
    Code,
    /// The most ground remaining first.
    Remaining,
    /// The latest recorded first.
    Recorded,
    /// By district, then code.
    District,
}

impl std::str::FromStr for HazardSort {
    type Err = String;
    fn from_str(s: &str) -> Result<HazardSort, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "code" => Ok(HazardSort::Code),
            "remaining" => Ok(HazardSort::Remaining),
            "recorded" => Ok(HazardSort::Recorded),
            "district" => Ok(HazardSort::District),
            other => Err(format!("'{other}' is not an order; give code, remaining, recorded or district")),
        }
    }
}

impl HazardSort {
    fn code(self) -> &'static str {
        match self {
            HazardSort::Code => "CODE",
            HazardSort::Remaining => "REMAINING",
            HazardSort::Recorded => "RECORDED",
            HazardSort::District => "DISTRICT",
        }
    }
}

/// `text` for a LIKE pattern: its `%`, `_` and `\` taken literally.
pub(crate) fn like_literal(text: &str) -> String {
    text.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A page of a list: which rows, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub offset: usize,
    pub limit: usize,
}

impl Paging {
    /// Every row.
    pub const ALL: Paging = Paging { offset: 0, limit: i64::MAX as usize };
}

/// One hazard as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardRow {
    pub id: HazardId,
    pub code: String,
    pub name: String,
    pub kind: HazardKind,
    pub status: HazardStatus,
    pub district: String,
    pub contamination: String,
    pub land_use: String,
    pub recorded_on: time::Date,
    pub recorded_by: String,
    pub area_m2: ReleaseFigures,
    pub version: i64,
}

/// One released polygon of a hazard, with the activity that released it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleasedRow {
    pub id: String,
    pub outcome: ReleaseOutcome,
    pub released_on: time::Date,
    pub area_m2: f64,
    pub activity: String,
    pub method: Option<String>,
    pub organisation: String,
    pub activity_id: String,
    pub report_id: Option<ReportId>,
    /// When the ground was re-opened (failed QC) or withdrawn (unapproval).
    pub revoked_at: Option<String>,
}

/// A hazard with its evidence, released ground and geometry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardDetail {
    #[serde(flatten)]
    pub hazard: HazardRow,
    pub evidence: Vec<EvidenceRow>,
    pub released: Vec<ReleasedRow>,
    pub eo_finds: i64,
    /// The polygon as recorded, as a GeoJSON geometry.
    pub geometry: serde_json::Value,
    /// What the source it was migrated from held beside the register's
    /// fields (the columns the migration's mapping did not use), as kept in
    /// the report that brought it in; empty for any other hazard.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub source_attributes: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRow {
    pub source: String,
    pub confidence: String,
    pub description: String,
}

fn hazard_row(r: &Row<'_>) -> Result<HazardRow, StoreError> {
    let code: String = r.get(1)?;
    let record = format!("hazard {code}");
    let recorded_on: String = r.get(8)?;
    Ok(HazardRow {
        id: stored_id(r.get(0)?)?,
        kind: stored_code(&r.get::<String>(3)?, &record)?,
        status: stored_code(&r.get::<String>(4)?, &record)?,
        code,
        name: r.get(2)?,
        district: r.get(5)?,
        contamination: r.get(6)?,
        land_use: r.get(7)?,
        recorded_on: stored_date(&recorded_on, &record)?,
        recorded_by: r.get(9)?,
        area_m2: ReleaseFigures {
            recorded: r.get(10)?,
            cancelled: r.get(11)?,
            reduced: r.get(12)?,
            cleared: r.get(13)?,
            remaining: r.get(14)?,
        },
        version: r.get(15)?,
    })
}

/// A vocabulary code as stored, read back; `record` names what holds it.
pub(crate) fn stored_code<T: std::str::FromStr<Err = safeground_core::codes::UnknownCode>>(
    text: &str,
    record: &str,
) -> Result<T, StoreError> {
    text.parse().map_err(|e: safeground_core::codes::UnknownCode| StoreError::Invalid {
        record: record.to_string(),
        problem: format!("stored value: {e}"),
    })
}

impl Store {
    /// The box (west, south, east, north) of the hazards still dangerous,
    /// from the polygons themselves; `None` when none is. The map opens on it.
    pub fn hazard_extent(&self) -> Result<Option<[f64; 4]>, StoreError> {
        let sql = self.conn.dialect().pick(
            include_str!("../sql/hazard_extent.sql"),
            include_str!("../sql/postgres/hazard_extent.sql"),
        );
        let b: [Option<f64>; 4] =
            self.conn.prepare(sql)?.query_row((), |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?;
        Ok(match b {
            [Some(w), Some(s), Some(e), Some(n)] => Some([w, s, e, n]),
            _ => None,
        })
    }

    /// The national land-release summary as the register stands.
    pub fn summary(&self) -> Result<Summary, StoreError> {
        self.summarise("9999-12-31T00:00:00Z", true)
    }

    /// The summary as the register stood just before `bound` (UTC, RFC 3339):
    /// see [`crate::end_of_day`] for "as of a date".
    pub fn summary_at(&self, bound: &str) -> Result<Summary, StoreError> {
        self.summarise(bound, false)
    }

    /// `now`: the register as it stands, read from the current tables (the
    /// same figures as the versions valid at the end of time, faster).
    fn summarise(&self, bound: &str, now: bool) -> Result<Summary, StoreError> {
        let mut b = SummaryBuilder::default();
        let mut stmt = if now {
            self.conn.prepare(include_str!("../sql/summary_now_hazards.sql"))?
        } else {
            self.conn.prepare(include_str!("../sql/summary_hazards.sql"))?
        };
        let mut rows = if now { stmt.query(())? } else { stmt.query([bound])? };
        while let Some(r) = rows.next()? {
            let district: String = r.get(0)?;
            let status: String = r.get(1)?;
            let f = ReleaseFigures {
                recorded: r.get(2)?,
                cancelled: r.get(3)?,
                reduced: r.get(4)?,
                cleared: r.get(5)?,
                remaining: r.get(6)?,
            };
            b.hazard(&district, stored_code(&status, "hazard status")?, &f);
        }
        let mut stmt = if now {
            self.conn.prepare(include_str!("../sql/summary_now_eo_destroyed.sql"))?
        } else {
            self.conn.prepare(include_str!("../sql/summary_eo_destroyed.sql"))?
        };
        let mut rows = if now { stmt.query(())? } else { stmt.query([bound])? };
        while let Some(r) = rows.next()? {
            let (district, category, n): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            b.eo_destroyed(&district, stored_code::<EoCategory>(&category, "EO find")?, n);
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/summary_casualties.sql"))?;
        let mut rows = stmt.query([bound])?;
        while let Some(r) = rows.next()? {
            let (district, year, outcome, n): (String, i32, String, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            b.casualties(&district, year, stored_code::<VictimOutcome>(&outcome, "victim")?, n);
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/summary_eore.sql"))?;
        let mut rows = stmt.query([bound])?;
        while let Some(r) = rows.next()? {
            let district: String = r.get(0)?;
            b.eore(&district, Reach { girls: r.get(1)?, boys: r.get(2)?, women: r.get(3)?, men: r.get(4)? });
        }
        Ok(b.build())
    }

    /// Hazards matching a filter, by code.
    pub fn hazards(&self, filter: &HazardFilter) -> Result<Vec<HazardRow>, StoreError> {
        Ok(self.hazard_page(filter, Paging::ALL)?.1)
    }

    /// One page of the hazards `filter` lets through, ordered by code, and
    /// how many it lets through in all.
    pub fn hazard_page(
        &self,
        filter: &HazardFilter,
        page: Paging,
    ) -> Result<(usize, Vec<HazardRow>), StoreError> {
        if let Some(d) = &filter.district {
            let known: bool = self.conn.query_row(
                "SELECT count(*) > 0 FROM districts WHERE name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
                [d],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StoreError::Unknown { what: "district", key: d.clone() });
            }
        }
        let rows = self.hazard_rows(filter, None, page)?;
        let total = match rows.first() {
            Some((n, _)) => *n,
            // Past the last page: the count alone.
            None if page.offset > 0 => {
                self.hazard_rows(filter, None, Paging { offset: 0, limit: 1 })?.first().map_or(0, |r| r.0)
            }
            None => 0,
        };
        Ok((total, rows.into_iter().map(|(_, h)| h).collect()))
    }

    /// The rows of `sql/hazard_rows.sql`, each with the count of all that match.
    fn hazard_rows(
        &self,
        f: &HazardFilter,
        key: Option<&str>,
        page: Paging,
    ) -> Result<Vec<(usize, HazardRow)>, StoreError> {
        let sql = self
            .conn
            .dialect()
            .pick(include_str!("../sql/hazard_rows.sql"), include_str!("../sql/postgres/hazard_rows.sql"));
        let b = f.bbox;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(
            params![
                f.district,
                f.status.map(|s| s.code()),
                key,
                f.contamination.map(|c| c.code()),
                f.organisation,
                f.recorded_from.map(|d| d.to_string()),
                f.recorded_to.map(|d| d.to_string()),
                b.map(|b| b[0]),
                b.map(|b| b[1]),
                b.map(|b| b[2]),
                b.map(|b| b[3]),
                i64::try_from(page.limit).unwrap_or(i64::MAX),
                i64::try_from(page.offset).unwrap_or(i64::MAX),
                f.search.as_deref().map(|s| like_literal(&s.to_lowercase())).filter(|s| !s.is_empty()),
                f.kind.map(|k| k.code()),
                f.sort.code(),
            ],
            |r| Ok((usize::try_from(r.get::<i64>(16)?).unwrap_or(0), hazard_row(r)?)),
        )?;
        rows.collect::<Result<Vec<_>, _>>()
    }

    /// One hazard by UUID or code, with its evidence and released ground.
    pub fn hazard(&self, key: &str) -> Result<HazardDetail, StoreError> {
        let hazard = self
            .hazard_rows(&HazardFilter::default(), Some(key.trim()), Paging::ALL)?
            .into_iter()
            .next()
            .map(|(_, h)| h)
            .ok_or_else(|| StoreError::Unknown { what: "hazard", key: key.to_string() })?;
        let id = hazard.id.to_string();
        let evidence = self
            .conn
            .prepare_cached(
                "SELECT source, confidence, description FROM hazard_evidence WHERE hazard_id = ?1 ORDER BY fid",
            )?
            .query_map([&id], |r| {
                Ok(EvidenceRow { source: r.get(0)?, confidence: r.get(1)?, description: r.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let released = self
            .conn
            .prepare_cached(include_str!("../sql/hazard_released.sql"))?
            .query_map([&id], |r| {
                let id: String = r.get(0)?;
                let record = format!("released area {id}");
                Ok(ReleasedRow {
                    outcome: stored_code(&r.get::<String>(1)?, &record)?,
                    released_on: stored_date(&r.get::<String>(2)?, &record)?,
                    id,
                    area_m2: r.get(3)?,
                    activity: r.get(4)?,
                    method: r.get(5)?,
                    organisation: r.get(6)?,
                    activity_id: r.get(7)?,
                    report_id: r.get::<Option<String>>(8)?.map(stored_id).transpose()?,
                    revoked_at: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let eo_finds: i64 = self.conn.query_row(
            "SELECT coalesce(sum(quantity), 0) FROM eo_finds WHERE hazard_id = ?1",
            [&id],
            |r| r.get(0),
        )?;
        let blob: Vec<u8> =
            self.conn.query_row("SELECT geom FROM hazards WHERE id = ?1", [&id], |r| r.get(0))?;
        let mp = read_multipolygon(&blob, &format!("hazard {}", hazard.code))?;
        let geometry = serde_json::json!({
            "type": "MultiPolygon",
            "coordinates": mp.0.iter().map(|p| {
                std::iter::once(p.exterior()).chain(p.interiors()).map(|ring| {
                    ring.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()
                }).collect::<Vec<_>>()
            }).collect::<Vec<_>>(),
        });
        let source_attributes = self.source_attributes(hazard.id)?;
        Ok(HazardDetail { hazard, evidence, released, eo_finds, geometry, source_attributes })
    }

    /// What the import report that brought a hazard in kept of its source
    /// beside the register's fields.
    fn source_attributes(
        &self,
        id: HazardId,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>, StoreError> {
        let bodies: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT r.body FROM hazard_versions v JOIN reports r ON r.id = v.report_id
                 WHERE v.hazard_id = ?1 ORDER BY v.version LIMIT 1",
            )?
            .query_map([id.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let report =
            bodies.first().and_then(|b| serde_json::from_str::<safeground_core::report::Report>(b).ok());
        let item = report.and_then(|r| r.import).and_then(|s| {
            s.items.into_iter().find(|i| i.records.iter().any(|r| r.to_string() == id.to_string()))
        });
        Ok(item.map(|i| i.attributes).unwrap_or_default())
    }
}

/// A hazard's polygon with its identifiers, for spatial relations.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardShape {
    pub id: String,
    pub code: String,
    pub district: String,
    pub geometry: geo::MultiPolygon<f64>,
}

/// A named point of the register (a settlement).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPoint {
    pub id: String,
    pub name: String,
    pub location: geo::Point<f64>,
}

impl Store {
    /// Every hazard's polygon as recorded, by code.
    pub fn hazard_shapes(&self) -> Result<Vec<HazardShape>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT h.id, h.code, d.name, h.geom FROM hazards h JOIN districts d ON d.id = h.district_id
             WHERE h.revoked_at IS NULL ORDER BY h.code",
        )?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let code: String = r.get(1)?;
            let blob: Vec<u8> = r.get(3)?;
            let geometry = read_multipolygon(&blob, &format!("hazard {code}"))?;
            out.push(HazardShape { id: r.get(0)?, code, district: r.get(2)?, geometry });
        }
        Ok(out)
    }

    /// Every settlement, by name.
    pub fn settlements(&self) -> Result<Vec<NamedPoint>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, name, geom FROM settlements ORDER BY name, id")?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let name: String = r.get(1)?;
            let blob: Vec<u8> = r.get(2)?;
            let location = read_point(&blob, &format!("settlement {name}"))?;
            out.push(NamedPoint { id: r.get(0)?, name, location });
        }
        Ok(out)
    }

    /// The programme's country, against which positions are checked: its
    /// outline (the `country` layer), or, when the register has none, its
    /// districts' boundaries together. Empty when it has neither.
    pub fn country(&self) -> Result<geo::MultiPolygon<f64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, geom FROM country
             UNION ALL SELECT name, geom FROM districts WHERE NOT EXISTS (SELECT 1 FROM country)",
        )?;
        let mut rows = stmt.query(())?;
        let mut parts = Vec::new();
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let blob: Vec<u8> = r.get(1)?;
            parts.extend(read_multipolygon(&blob, &format!("district {name}"))?.0);
        }
        Ok(geo::MultiPolygon(parts))
    }
}
