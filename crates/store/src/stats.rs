//! Figures for dashboards and the lists forms choose from.

use crate::reports::ApprovalSettings;
use crate::{Store, StoreError};
use safeground_core::approval;
use safeground_core::codes::{OrganisationKind, ReportState};
use serde::Serialize;
use time::OffsetDateTime;

/// Ground released in a month by one outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthRelease {
    /// YYYY-MM.
    pub month: String,
    /// CANCELLED, REDUCED or CLEARED.
    pub outcome: String,
    pub area_m2: f64,
}

/// An organisation as forms list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationRef {
    pub id: String,
    pub acronym: String,
    pub name: String,
    pub kind: OrganisationKind,
}

/// A district as forms list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictRef {
    pub id: String,
    pub name: String,
    pub alt_name: Option<String>,
    /// `[west, south, east, north]`.
    pub bbox: [f64; 4],
}

impl Store {
    /// Ground released per month and outcome, optionally in one district.
    pub fn released_by_month(&self, district: Option<&str>) -> Result<Vec<MonthRelease>, StoreError> {
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/released_by_month.sql"))?;
        let rows = stmt.query_map([district], |r| {
            Ok(MonthRelease { month: r.get(0)?, outcome: r.get(1)?, area_m2: r.get(2)? })
        })?;
        rows.collect::<Result<_, _>>()
    }

    /// Every organisation, by acronym.
    pub fn organisations(&self) -> Result<Vec<OrganisationRef>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, acronym, name, kind FROM organisations ORDER BY acronym")?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (acronym, kind): (String, String) = (r.get(1)?, r.get(3)?);
            let kind = crate::read::stored_code(&kind, &format!("organisation {acronym}"))?;
            out.push(OrganisationRef { id: r.get(0)?, acronym, name: r.get(2)?, kind });
        }
        Ok(out)
    }

    /// The districts' boundaries by name, to place records whose source
    /// names no district ([`DistrictFinder::holding`]).
    pub fn district_finder(&self) -> Result<DistrictFinder, StoreError> {
        let names = self.districts()?.into_iter().map(|d| (d.id, d.name)).collect();
        Ok(DistrictFinder { shapes: self.district_shapes()?, names })
    }

    /// Every district's outline, for the base of a printed map.
    pub fn district_outlines(&self) -> Result<Vec<geo::MultiPolygon<f64>>, StoreError> {
        Ok(self.district_shapes()?.into_iter().map(|(_, shape, _)| shape).collect())
    }

    /// Every district, by name, with its extent (from the spatial index).
    pub fn districts(&self) -> Result<Vec<DistrictRef>, StoreError> {
        let mut stmt = self.conn.prepare_cached(self.conn.dialect().pick(
            "SELECT d.id, d.name, d.alt_name, r.minx, r.miny, r.maxx, r.maxy
             FROM districts d JOIN rtree_districts_geom r ON r.id = d.fid ORDER BY d.name",
            "SELECT d.id, d.name, d.alt_name, ST_XMin(d.shape), ST_YMin(d.shape), ST_XMax(d.shape), ST_YMax(d.shape)
             FROM districts d ORDER BY d.name",
        ))?;
        // PostGIS gives the exact extent; rounded outwards as the R-tree keeps it.
        let exact = self.conn.dialect() == crate::Dialect::Postgres;
        let rows = stmt.query_map((), |r| {
            Ok(DistrictRef {
                id: r.get(0)?,
                name: r.get(1)?,
                alt_name: r.get(2)?,
                bbox: crate::geometry::rtree_box(r, 3, exact)?,
            })
        })?;
        rows.collect::<Result<_, _>>()
    }

    /// What approving a submitted report now would say: the problems that
    /// would refuse it (none: it would be approved). The same decision as
    /// [`Store::approve`], on a read transaction: no write lock, nothing written.
    pub fn check_report(
        &mut self,
        id: safeground_core::ids::ReportId,
        settings: &ApprovalSettings,
    ) -> Result<Vec<String>, StoreError> {
        crate::checkout::refuse_on_copy(&self.conn, "checking a report for approval")?;
        if self.districts.is_none() {
            self.districts = Some(self.district_shapes()?);
        }
        let districts = self.districts.as_deref().unwrap_or_default();
        let tx = self.conn.begin_read()?;
        let id = &id.to_string();
        let (r, state, org, _) = crate::reports::load(&tx, id)?;
        if state != ReportState::Submitted.code() {
            return Err(crate::reports::not_in_state(&tx, id, "SUBMITTED", None)?);
        }
        let now = OffsetDateTime::now_utc();
        let source = crate::approval::Source {
            db: &tx,
            districts,
            pending: None,
            reference: None,
            new_hazard_taken: None,
            new_hazard_code_taken: None,
            taken: None,
        };
        let ctx = crate::approval::context(&source, &r, crate::reports::parse_uuid(&org)?, now.date())?;
        Ok(approval::check(&r, &ctx, settings))
    }
}

/// The register's districts, loaded once, to tell which one a polygon lies in.
#[derive(Debug, Clone)]
pub struct DistrictFinder {
    shapes: Vec<crate::write::DistrictShape>,
    /// Their names by id (as text).
    names: std::collections::HashMap<String, String>,
}

impl DistrictFinder {
    /// The name of the district holding a point inside the polygon (on a
    /// multipolygon, inside its largest part); `None` outside every district.
    pub fn holding(&self, polygons: &geo::MultiPolygon<f64>) -> Option<&str> {
        use geo::{Area, InteriorPoint};
        let largest = polygons.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
        self.holding_point(&largest.interior_point()?)
    }

    /// The name of the district a point lies in; `None` outside every district.
    pub fn holding_point(&self, point: &geo::Point<f64>) -> Option<&str> {
        let id = crate::approval::district_at(&self.shapes, point)?;
        self.names.get(&id.to_string()).map(String::as_str)
    }
}
