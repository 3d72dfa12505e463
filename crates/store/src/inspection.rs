//! Quality-management inspections [IMAS 07.12, 09.20]: the record an
//! approved QM report leaves (the rules are in
//! [`safeground_core::approval`]), and the list a QM officer reads.

use crate::geometry::{date_text, multipolygon_blob, read_multipolygon, stored_date};
use crate::read::stored_code;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::approval::InspectionRecord;
use safeground_core::codes::InspectionKind;
use safeground_core::report::QmResult;
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

impl Writer<'_> {
    /// Records the inspection an approval decided, with the released areas
    /// it names, in the approval in progress.
    pub(crate) fn insert_inspection(&mut self, report: &str, i: &InspectionRecord) -> Result<(), StoreError> {
        let now = self.context.as_ref().map(|(_, at)| at.clone()).unwrap_or_default();
        let id = uuid_text(i.id);
        self.tx
            .prepare_cached(
                "INSERT INTO inspections (geom, id, report_id, kind, result, hazard_id, task_id, organisation_id,
                   inspected_on, items_found, sample_m2, inspected_m2, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                i.sample.as_ref().map(multipolygon_blob),
                id,
                report,
                i.kind.code(),
                result_code(i.result),
                i.hazard_id.map(uuid_text),
                i.task_id.map(uuid_text),
                i.organisation_id.map(uuid_text),
                date_text(i.inspected_on),
                i.items_found,
                i.sample_m2,
                i.inspected_m2,
                now,
            ])?;
        for (area, reopened) in &i.areas {
            self.tx
                .prepare_cached(
                    "INSERT INTO inspection_areas (inspection_id, released_area_id, reopened) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, uuid_text(*area), i64::from(*reopened)])?;
        }
        if let Some(s) = &i.sample {
            self.touch("inspections", s);
        }
        Ok(())
    }
}

/// A multipolygon as a GeoJSON geometry.
fn geojson(g: &geo::MultiPolygon<f64>) -> serde_json::Value {
    let ring = |r: &geo::LineString<f64>| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let polygons: Vec<Vec<Vec<[f64; 2]>>> =
        g.0.iter().map(|p| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect()).collect();
    serde_json::json!({ "type": "MultiPolygon", "coordinates": polygons })
}

fn result_code(r: QmResult) -> &'static str {
    match r {
        QmResult::Pass => "PASS",
        QmResult::Fail => "FAIL",
    }
}

/// An inspection as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionRow {
    pub id: String,
    /// The QM report that recorded it.
    pub report: String,
    pub kind: InspectionKind,
    pub result: QmResult,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub inspected_on: Date,
    /// The inspecting body's acronym.
    pub inspected_by: String,
    pub hazard: Option<String>,
    /// The task a QA visit visited.
    pub task: Option<String>,
    /// The organisation inspected.
    pub organisation: Option<String>,
    pub items_found: i64,
    /// The sample's geodesic area (m²) and its share of the ground inspected.
    pub sample_m2: Option<f64>,
    pub inspected_m2: Option<f64>,
    pub share: Option<f64>,
    /// The released areas inspected, and those re-opened.
    pub areas: Vec<String>,
    pub reopened: Vec<String>,
    /// The sample, as a GeoJSON geometry.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub sample: Option<serde_json::Value>,
}

/// Which inspections to list.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Only those of this hazard (its code).
    pub hazard: Option<String>,
    /// Only those of this organisation's work (an operator's own).
    pub organisation: Option<Uuid>,
}

impl Store {
    /// The inspections in force, the latest first.
    pub fn inspections(&self, filter: &InspectionFilter) -> Result<Vec<InspectionRow>, StoreError> {
        let mut areas: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/inspection/areas.sql"))?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            let (inspection, area, reopened): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let entry = areas.entry(inspection).or_default();
            entry.0.push(area.clone());
            if reopened != 0 {
                entry.1.push(area);
            }
        }
        drop(rows);
        let hazard = filter.hazard.as_deref().map(str::trim).unwrap_or_default().to_string();
        let organisation = filter.organisation.map(uuid_text).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/inspection/list.sql"))?;
        let mut rows = stmt.query(params![hazard, organisation])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let record = format!("inspection {id}");
            let (kind, result, on): (String, String, String) = (r.get(2)?, r.get(3)?, r.get(4)?);
            let (sample_m2, inspected_m2): (Option<f64>, Option<f64>) = (r.get(9)?, r.get(10)?);
            let sample = r
                .get::<Option<Vec<u8>>>(11)?
                .map(|g| read_multipolygon(&g, &record))
                .transpose()?
                .map(|g| geojson(&g));
            let (named, reopened) = areas.remove(&id).unwrap_or_default();
            out.push(InspectionRow {
                report: r.get(1)?,
                kind: stored_code(&kind, &record)?,
                result: match result.as_str() {
                    "PASS" => QmResult::Pass,
                    "FAIL" => QmResult::Fail,
                    other => {
                        return Err(StoreError::Invalid {
                            record,
                            problem: format!("result '{other}' is not PASS or FAIL"),
                        })
                    }
                },
                inspected_on: stored_date(&on, &record)?,
                hazard: r.get(5)?,
                task: r.get(6)?,
                organisation: r.get(7)?,
                items_found: r.get(8)?,
                share: match (sample_m2, inspected_m2) {
                    (Some(s), Some(g)) if g > 0.0 => Some((s / g).min(1.0)),
                    _ => None,
                },
                sample_m2,
                inspected_m2,
                inspected_by: r.get(12)?,
                areas: named,
                reopened,
                sample,
                id,
            });
        }
        Ok(out)
    }
}
