//! The register's other records, a page at a time, for the browser's
//! tables: EO finds, accidents and risk-education sessions as they stand,
//! with the columns of their export (`GET /api/records/{layer}`). Report
//! ids go to those who read reports; victims' names are in no layer.

use crate::api::{paging, query};
use crate::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::replica::with_read_store;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use geo::Geometry;
use safeground_exchange::export::Scope;
use safeground_store::Layer;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The layers listed here; hazards and tasks have their own routes.
const LISTED: [Layer; 3] = [Layer::EoFinds, Layer::Accidents, Layer::EoreSessions];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// Only records in this district (either spelling).
    district: Option<String>,
    /// From 1.
    page: Option<usize>,
    /// 1 to 1,000 (default 100).
    per_page: Option<usize>,
}

/// A page of records, each the values of `columns` in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Records {
    pub columns: Vec<&'static str>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Record>,
}

/// One record: its values, and where it is when it is a point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Record {
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<serde_json::Value>,
    /// Longitude, latitude (WGS 84).
    pub at: Option<[f64; 2]>,
}

/// EO finds, accidents or risk-education sessions as they stand, in the
/// export's order, paged by the database.
#[utoipa::path(get, path = "/api/records/{layer}",
    params(("layer" = String, Path, description = "eo_finds, accidents or eore_sessions"), RecordsQuery),
    responses((status = 200, body = Records), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn records(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    q: Result<Query<RecordsQuery>, QueryRejection>,
) -> Result<Json<Records>, AppError> {
    let q = query(q)?;
    let layer: Layer = name.parse().map_err(AppError::NotFound)?;
    if !LISTED.contains(&layer) {
        return Err(AppError::NotFound(format!(
            "'{name}' is not listed here: ask for eo_finds, accidents or eore_sessions (hazards: /api/hazards, tasks: /api/tasks)"
        )));
    }
    let (page, per_page, paging) = paging(q.page, q.per_page)?;
    // Report ids as a download of the layer has them (no task layer here).
    let scope =
        Scope { tasks_of: None, without_report_ids: crate::exports::Narrowing::of(&c).without_report_ids };
    let (total, features) =
        with_read_store(&state, move |s| Ok(s.export_page(layer, q.district.as_deref(), paging)?)).await?;
    let items = features
        .into_iter()
        .filter_map(|mut f| {
            if !scope.narrow(layer, &mut f) {
                return None;
            }
            let at = match f.geometry {
                Some(Geometry::Point(p)) => Some([p.x(), p.y()]),
                _ => None,
            };
            Some(Record { values: f.values, at })
        })
        .collect();
    Ok(Json(Records { columns: layer.columns().to_vec(), total, page, per_page, items }))
}
