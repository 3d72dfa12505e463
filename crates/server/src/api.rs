//! The API's handlers, one per route, each described for the OpenAPI document.

use crate::auth::Caller;
use crate::replica::with_read_store;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use safeground_core::access::{decide, Action, Scope};
use safeground_core::codes::{EoCategory, HazardKind, HazardStatus, ReportState};
use safeground_core::coords::parse_position;
use safeground_core::ids::ReportId;
use safeground_core::kpi::{kpis, By, Kpis};
use safeground_core::layer::Layer;
use safeground_core::mvt::TileId;
use safeground_core::report::{self, Report};
use safeground_core::summary::Summary;
use safeground_formats::geojson_out::GeoJsonWriter;
use safeground_store::{
    end_of_day, ApprovalSettings, DistrictRef, EventRow, HazardDetail, HazardFilter, HazardRow,
    HazardVersion, MonthRelease, OrganisationRef, Paging, ReportRow, Store, TraceRow, TILE_LAYERS,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// Runs `f` on an open store on a blocking thread.
pub(crate) async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let db = state.db.clone();
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || on_store(&pool, &db, None, f))
        .await
        .map_err(|e| AppError::Internal(format!("a blocking task failed: {e}")))?
}

/// Runs `f` on a store of `pool` (`open`, when given, is one already taken
/// from it), giving it back after a success; counts it in use meanwhile
/// (not while waiting for one).
pub(crate) fn on_store<T>(
    pool: &crate::StorePool,
    db: &safeground_store::Location,
    open: Option<Store>,
    f: impl FnOnce(&mut Store) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use std::sync::atomic::Ordering;
    let mut store = match open {
        Some(s) => s,
        None => pool.take(db)?,
    };
    pool.in_use.fetch_add(1, Ordering::Relaxed);
    // A panic must not take the connection's place in the pool with it.
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut store)));
    pool.in_use.fetch_sub(1, Ordering::Relaxed);
    let out = match out {
        Ok(out) => out,
        Err(panic) => {
            pool.forget(store);
            std::panic::resume_unwind(panic);
        }
    };
    // A refusal leaves a sound connection; a failure of the backend may not.
    match &out {
        Err(AppError::Internal(_) | AppError::Unavailable(_)) => pool.forget(store),
        _ => pool.give_back(store),
    }
    out
}

pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    q.map(|Query(t)| t).map_err(|e| AppError::BadRequest(e.body_text()))
}

pub(crate) fn date(s: &str, field: &str) -> Result<time::Date, AppError> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| AppError::BadRequest(format!("{field}: '{s}' is not a date; write YYYY-MM-DD")))
}

/// An optional date of a body (`field` names it in the mistake), `today` when absent.
pub(crate) fn date_or(d: Option<&str>, field: &str, today: time::Date) -> Result<time::Date, AppError> {
    Ok(d.map(|d| date(d, field)).transpose()?.unwrap_or(today))
}

pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|e| AppError::InvalidJson(format!("the request body: {e}")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    schema_version: i64,
}

/// Ready: the server is up, its register opens and its schema is the one
/// this server reads (as `/api/health/ready`).
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    ready(State(state)).await
}

/// Ready for requests: the register opens (a PostgreSQL server answers) and
/// its schema is the one this server reads; 503 `unavailable` otherwise,
/// for a load balancer to send requests elsewhere.
#[utoipa::path(get, path = "/api/health/ready", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(AppError::Unavailable(
            "this server is stopping: it answers the requests it is sent, but send new ones elsewhere".into(),
        ));
    }
    let db = state.db.clone();
    // A connection opened now, not a pooled one: the register as it is.
    // Opened and closed on a blocking thread: closing a PostgreSQL
    // connection blocks.
    let opened = tokio::task::spawn_blocking(move || {
        let store = Store::open(db.as_ref())?;
        let v = store.schema_version()?;
        // A connection of its own, closed here: the pool's are for requests.
        drop(store);
        Ok::<_, safeground_store::StoreError>(v)
    })
    .await
    .map_err(|e| AppError::Internal(format!("a blocking task failed: {e}")))?;
    let ours = safeground_store::SCHEMA_VERSION;
    let version = |v: i64| {
        let what = if v < ours {
            "open it once with this version to bring it up to date"
        } else {
            "upgrade this server"
        };
        AppError::Unavailable(format!(
            "the register's schema is version {v}, this server reads version {ours}: {what}"
        ))
    };
    // Not ready: the idle connections may be dead, or hold what is no longer the register.
    match opened {
        Ok(v) if v == ours => Ok(Json(Health { status: "ok", schema_version: v })),
        Ok(v) => {
            state.pool.clear();
            Err(version(v))
        }
        Err(safeground_store::StoreError::NewerSchema { found, .. }) => {
            state.pool.clear();
            Err(version(found))
        }
        Err(e) => {
            state.pool.clear();
            tracing::warn!(error = %e, "not ready: the register cannot be opened");
            Err(AppError::Unavailable(
                "the register cannot be opened now; the details are in the server's log".into(),
            ))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Live {
    status: &'static str,
}

/// Live: the process answers, whatever becomes of its register (for a
/// supervisor to restart it when it does not).
#[utoipa::path(get, path = "/api/health/live", responses((status = 200, body = Live)))]
pub async fn live() -> Json<Live> {
    Json(Live { status: "live" })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The register as it stood at the end of this day (YYYY-MM-DD, UTC).
    as_of: Option<String>,
}

/// The national land-release summary, per district and in total.
#[utoipa::path(get, path = "/api/summary", params(AsOf),
    responses((status = 200, body = Summary), (status = 400, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    q: Result<Query<AsOf>, QueryRejection>,
) -> Result<Json<Summary>, AppError> {
    let q = query(q)?;
    let bound = q.as_of.as_deref().map(|d| date(d, "as_of")).transpose()?.map(end_of_day);
    let s = with_read_store(&state, move |s| {
        Ok(match &bound {
            Some(b) => s.summary_at(b)?,
            None => s.summary()?,
        })
    })
    .await?;
    Ok(Json(s))
}

/// Where the register's contaminated ground lies.
#[derive(Debug, Serialize, ToSchema)]
pub struct Extent {
    /// West, south, east, north (WGS 84 degrees) of the hazards still
    /// dangerous (OPEN, WORKED_ON); `null` when there are none.
    hazards: Option<[f64; 4]>,
}

/// The box of the hazards still dangerous: the map opens on it.
#[utoipa::path(get, path = "/api/extent", responses((status = 200, body = Extent)))]
pub async fn extent(State(state): State<AppState>) -> Result<Json<Extent>, AppError> {
    let hazards = with_read_store(&state, move |s| Ok(s.hazard_extent()?)).await?;
    Ok(Json(Extent { hazards }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HazardQuery {
    /// District name, as written in the country (Ağdam) or in English (Agdam).
    district: Option<String>,
    /// OPEN, WORKED_ON, CLOSED or HANDED_OVER.
    status: Option<String>,
    /// Hazards with this contamination type (AP, AT, UXO, AXO, CMR, IED).
    contamination: Option<String>,
    /// Hazards recorded by this organisation (acronym).
    organisation: Option<String>,
    /// Recorded on or after this date (YYYY-MM-DD).
    from: Option<String>,
    /// Recorded on or before this date (YYYY-MM-DD).
    to: Option<String>,
    /// min_lon,min_lat,max_lon,max_lat: hazards whose extent meets this box.
    bbox: Option<String>,
    /// Text in the code or the name, in any case.
    q: Option<String>,
    /// SHA or CHA.
    kind: Option<String>,
    /// code (default), remaining (most ground left first), recorded (latest first) or district.
    sort: Option<String>,
    /// From 1.
    page: Option<usize>,
    /// 1 to 1,000 (default 100).
    per_page: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub(crate) total: usize,
    pub(crate) page: usize,
    pub(crate) per_page: usize,
    pub(crate) items: Vec<T>,
}

/// The page asked for: `page` from 1, `per_page` 1 to 1,000 (default 100).
pub(crate) fn paging(
    page: Option<usize>,
    per_page: Option<usize>,
) -> Result<(usize, usize, Paging), AppError> {
    let per_page = per_page.unwrap_or(100);
    if !(1..=1000).contains(&per_page) {
        return Err(AppError::BadRequest(format!("per_page: {per_page} is not between 1 and 1,000")));
    }
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(AppError::BadRequest("page: pages count from 1".into()));
    }
    Ok((page, per_page, Paging { offset: (page - 1).saturating_mul(per_page), limit: per_page }))
}

pub(crate) fn bbox(text: &str) -> Result<[f64; 4], AppError> {
    let n: Vec<f64> = text.split(',').filter_map(|v| v.trim().parse().ok()).collect();
    match n.as_slice() {
        [a, b, c, d]
            if a <= c
                && b <= d
                && [a, c].iter().all(|x| x.abs() <= 180.0)
                && [b, d].iter().all(|y| y.abs() <= 90.0) =>
        {
            Ok([*a, *b, *c, *d])
        }
        _ => Err(AppError::BadRequest(format!(
            "bbox: '{text}' is not min_lon,min_lat,max_lon,max_lat in degrees"
        ))),
    }
}

/// Hazards, filtered and paged, ordered by code.
#[utoipa::path(get, path = "/api/hazards", params(HazardQuery),
    responses((status = 200, body = Page<HazardRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hazards(
    State(state): State<AppState>,
    q: Result<Query<HazardQuery>, QueryRejection>,
) -> Result<Json<Page<HazardRow>>, AppError> {
    let q = query(q)?;
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<HazardStatus>().map_err(|e| AppError::BadRequest(format!("status: {e}"))))
        .transpose()?;
    let contamination = q
        .contamination
        .as_deref()
        .map(|s| s.parse::<EoCategory>().map_err(|e| AppError::BadRequest(format!("contamination: {e}"))))
        .transpose()?;
    let filter = HazardFilter {
        district: q.district.clone(),
        status,
        contamination,
        organisation: q.organisation.clone(),
        recorded_from: q.from.as_deref().map(|d| date(d, "from")).transpose()?,
        recorded_to: q.to.as_deref().map(|d| date(d, "to")).transpose()?,
        bbox: q.bbox.as_deref().map(bbox).transpose()?,
        search: q.q.clone().filter(|s| !s.trim().is_empty()),
        kind: q
            .kind
            .as_deref()
            .map(|k| k.parse::<HazardKind>().map_err(|e| AppError::BadRequest(format!("kind: {e}"))))
            .transpose()?,
        sort: q
            .sort
            .as_deref()
            .map(|s| s.parse().map_err(|e: String| AppError::BadRequest(format!("sort: {e}"))))
            .transpose()?
            .unwrap_or_default(),
    };
    let (page, per_page, paging) = paging(q.page, q.per_page)?;
    let (total, items) = with_read_store(&state, move |s| Ok(s.hazard_page(&filter, paging)?)).await?;
    Ok(Json(Page { total, page, per_page, items }))
}

/// One hazard, by code or UUID: its figures, evidence, released ground and polygon.
#[utoipa::path(get, path = "/api/hazards/{id}", params(("id" = String, Path, description = "code or UUID")),
    responses((status = 200, body = HazardDetail), (status = 404, body = ErrorBody)))]
pub async fn hazard(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<HazardDetail>, AppError> {
    let mut detail = with_read_store(&state, move |s| Ok(s.hazard(&id)?)).await?;
    if !sees_reports(&c) {
        for r in &mut detail.released {
            r.report_id = None;
        }
    }
    Ok(Json(detail))
}

/// Whether `c` may see the reports behind the register — their ids, who
/// decided them, their events — for every organisation. Viewers and
/// operators read the register without them (README, *Accounts*).
fn sees_reports(c: &Caller) -> bool {
    decide(&c.principal, Action::ReadReports, Scope::EveryOrganisation).is_ok()
}

/// Every version of a hazard, with the report and actor behind it (for
/// those who read every organisation's reports; others see the versions
/// without them).
#[utoipa::path(get, path = "/api/hazards/{id}/history", params(("id" = String, Path, description = "code or UUID")),
    responses((status = 200, body = Vec<HazardVersion>), (status = 404, body = ErrorBody)))]
pub async fn hazard_history(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Vec<HazardVersion>>, AppError> {
    let mut versions = with_read_store(&state, move |s| Ok(s.hazard_history(&id)?)).await?;
    if !sees_reports(&c) {
        for v in &mut versions {
            (v.report_id, v.actor, v.event) = (None, None, None);
        }
    }
    Ok(Json(versions))
}

/// The handover certificate of a hazard released whole, as JSON (the PDF is
/// `safeground certificate`); 409 with the reason for ground not released.
#[utoipa::path(get, path = "/api/hazards/{id}/certificate", params(("id" = String, Path, description = "code or UUID")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hazard_certificate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let c = with_store(&state, move |s| {
        let (facts, _) = s.certificate_facts(&id)?;
        safeground_core::certificate::certificate(&facts).map_err(|e| AppError::Conflict(e.to_string()))
    })
    .await?;
    Ok(Json(serde_json::to_value(&c).unwrap_or_default()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// en (default), az, uk or ru.
    lang: Option<String>,
}

/// The handover certificate of a hazard released whole, as the PDF
/// `safeground certificate` writes (map, turning points in DMS and MGRS,
/// figures, signature blocks, the sealed event it cites); 409 with the
/// reason for ground not released.
#[utoipa::path(get, path = "/api/hazards/{id}/certificate/pdf",
    params(("id" = String, Path, description = "code or UUID"), LangQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hazard_certificate_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<LangQuery>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let lang = query(q)?.lang.unwrap_or_else(|| "en".into());
    if !["en", "az", "uk", "ru"].contains(&lang.as_str()) {
        return Err(AppError::BadRequest(format!("lang: '{lang}' is not en, az, uk or ru")));
    }
    let Some(render) = state.documents.clone() else {
        return Err(AppError::NotFound(
            "this server makes no PDF documents: use `safeground certificate`".into(),
        ));
    };
    let db = state.db.clone();
    let (number, bytes) = with_store(&state, move |s| {
        let (facts, _) = s.certificate_facts(&id)?;
        let c = safeground_core::certificate::certificate(&facts)
            .map_err(|e| AppError::Conflict(e.to_string()))?;
        let bytes = render.certificate(s, &db, &id, &lang).map_err(AppError::Internal)?;
        Ok((c.number, bytes))
    })
    .await?;
    let name: String =
        number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    Ok(pdf(&format!("certificate-{name}.pdf"), bytes))
}

/// A PDF to save as `name` (ASCII, no quotes).
pub(crate) fn pdf(name: &str, bytes: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// DRAFT, SUBMITTED, APPROVED, REJECTED or UNAPPROVED.
    state: Option<String>,
    /// Reports of this organisation (acronym).
    organisation: Option<String>,
    /// Reports about this hazard (code or UUID).
    hazard: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

/// Reports, newest first: the approval queue is `?state=SUBMITTED`.
#[utoipa::path(get, path = "/api/reports", params(ReportQuery),
    responses((status = 200, body = Page<ReportRow>), (status = 400, body = ErrorBody)))]
pub async fn reports(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Json<Page<ReportRow>>, AppError> {
    let q = query(q)?;
    let wanted = match &q.state {
        Some(s) => Some(s.parse::<ReportState>().map_err(|_| {
            let codes: Vec<&str> = ReportState::ALL.iter().map(|s| s.code()).collect();
            let (last, rest) = codes.split_last().unwrap_or((&"", &[]));
            AppError::BadRequest(format!("state: '{s}' is not {} or {last}", rest.join(", ")))
        })?),
        None => None,
    };
    let (page, per_page, paging) = paging(q.page, q.per_page)?;
    let p = c.principal;
    let (total, items) = with_read_store(&state, move |s| {
        let mut organisation = q.organisation.clone();
        // Operators see their organisation's reports only.
        if decide(&p, Action::ReadReports, Scope::EveryOrganisation).is_err() {
            let own = p.organisation.map(|o| s.organisation_acronym(o)).transpose()?.flatten();
            match (&organisation, own) {
                (Some(asked), Some(own)) if !asked.eq_ignore_ascii_case(&own) => return Ok((0, Vec::new())),
                (_, Some(own)) => organisation = Some(own),
                (_, None) => return Ok((0, Vec::new())),
            }
        }
        Ok(s.report_page(wanted, organisation.as_deref(), q.hazard.as_deref(), paging)?)
    })
    .await?;
    Ok(Json(Page { total, page, per_page, items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    report: ReportRow,
    /// The report as submitted (personal data left out).
    body: serde_json::Value,
    events: Vec<EventRow>,
    /// Victims' names and contacts, in the order of the body's victims: only
    /// for accounts with the personal-data permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    personal: Option<serde_json::Value>,
}

/// Refuses `action` on a report of organisation `acronym` if `c` may not.
fn allowed_on(s: &Store, c: &Caller, action: Action, acronym: &str) -> Result<(), AppError> {
    let org = s.organisation(acronym)?.unwrap_or_default();
    decide(&c.principal, action, Scope::Organisation(org)).map_err(|d| AppError::Forbidden(d.to_string()))
}

/// One report: its state, its content and its events.
#[utoipa::path(get, path = "/api/reports/{id}", params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = ReportView), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, AppError> {
    let id = report_id(&id)?;
    let view = with_store(&state, move |s| {
        let (report, body, events) = s.report(id)?;
        allowed_on(s, &c, Action::ReadReports, &report.organisation)?;
        let personal = match decide(&c.principal, Action::ReadPersonal, Scope::Any) {
            Ok(()) => s.report_personal(report.id)?,
            Err(_) => None,
        };
        Ok(ReportView { report, body, events, personal })
    })
    .await?;
    Ok(Json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    id: String,
}

/// Submits a field report (the JSON form of docs/reports.md).
#[utoipa::path(post, path = "/api/reports", request_body = Report,
    responses((status = 201, body = Submitted), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_report(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse, AppError> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::InvalidJson("the request body is not UTF-8".into()))?;
    let r = report::parse(text).map_err(|e| AppError::InvalidJson(e.to_string()))?;
    let id = with_store(&state, move |s| {
        // An unknown organisation is the store's to refuse, by name.
        if let Some(org) = s.organisation(&r.organisation)? {
            let scope = Scope::Report { organisation: org, report_type: r.report_type };
            decide(&c.principal, Action::SubmitReport, scope)
                .map_err(|d| AppError::Forbidden(d.to_string()))?;
        }
        Ok(s.submit(&r, &c.principal.name, OffsetDateTime::now_utc())?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Submitted { id: id.to_string() })))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Metres released ground may stray outside its hazard (default 5).
    tolerance_m: Option<f64>,
    /// A completed hazard closes when less than this many m² remain (default 10).
    close_below_m2: Option<f64>,
    /// Refuse if the report changed since this version was read.
    expect_version: Option<i64>,
}

impl Approval {
    /// The body, or the defaults when there is none.
    fn read(bytes: &Bytes) -> Result<Approval, AppError> {
        if bytes.is_empty() {
            Ok(Approval::default())
        } else {
            body(bytes)
        }
    }

    /// The settings asked for, defaults filled in, checked.
    /// The settings the client asked for, within the server's own limits.
    fn settings(&self, state: &AppState) -> Result<ApprovalSettings, AppError> {
        let d = ApprovalSettings::default();
        let settings = ApprovalSettings {
            tolerance_m: self.tolerance_m.unwrap_or(d.tolerance_m),
            close_below_m2: self.close_below_m2.unwrap_or(d.close_below_m2),
            max_vertices: state.max_vertices,
            ..d
        };
        let metres = |v: f64| v.is_finite() && v >= 0.0;
        if !metres(settings.tolerance_m) || !metres(settings.close_below_m2) {
            return Err(AppError::BadRequest(
                "tolerance_m and close_below_m2 are metres and m², 0 or more".into(),
            ));
        }
        Ok(settings)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    id: ReportId,
    state: ReportState,
    /// What the approval flagged (it approved nonetheless): residual
    /// contamination, each with the investigation task it issued.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flags: Vec<String>,
}

/// A report's id from a path: text that is no UUID names no report (404, as
/// an unknown UUID does).
pub(crate) fn report_id(text: &str) -> Result<ReportId, AppError> {
    text.parse().map_err(|_| {
        AppError::from(safeground_store::StoreError::Unknown { what: "report", key: text.to_string() })
    })
}

async fn decided(state: &AppState, id: ReportId) -> Result<Json<Decided>, AppError> {
    let (row, _, _) = with_store(state, move |s| Ok(s.report(id)?)).await?;
    Ok(Json(Decided { id: row.id, state: row.state, flags: Vec::new() }))
}

/// Approves a submitted report: its checks run and its effects apply in one transaction.
#[utoipa::path(post, path = "/api/reports/{id}/approve", request_body = Approval,
    params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = Decided), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "the checks refused it; every problem is listed", body = ErrorBody)))]
pub async fn approve_report(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Decided>, AppError> {
    let id = report_id(&id)?;
    let a = Approval::read(&bytes)?;
    let settings = a.settings(&state)?;
    let actor = c.principal.name;
    let flags = with_store(&state, move |s| {
        Ok(s.approve(id, &actor, OffsetDateTime::now_utc(), &settings, a.expect_version)?)
    })
    .await?;
    let Json(mut d) = decided(&state, id).await?;
    d.flags = flags;
    Ok(Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why, for the author and the history.
    reason: String,
}

fn reason(bytes: &Bytes) -> Result<String, AppError> {
    let r: Reason = body(bytes)?;
    if r.reason.trim().is_empty() {
        return Err(AppError::BadRequest("reason: say why, for the author and the history".into()));
    }
    Ok(r.reason)
}

type Decision =
    fn(&mut Store, ReportId, &str, &str, OffsetDateTime) -> Result<(), safeground_store::StoreError>;

/// Rejects or unapproves (`decide`) a report with the reason in `bytes`.
async fn decide_with_reason(
    state: &AppState,
    actor: String,
    id: String,
    bytes: &Bytes,
    decide: Decision,
) -> Result<Json<Decided>, AppError> {
    let id = report_id(&id)?;
    let why = reason(bytes)?;
    with_store(state, move |s| Ok(decide(s, id, &why, &actor, OffsetDateTime::now_utc())?)).await?;
    decided(state, id).await
}

/// Rejects a submitted report, with a reason for its author.
#[utoipa::path(post, path = "/api/reports/{id}/reject", request_body = Reason,
    params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = Decided), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn reject_report(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Decided>, AppError> {
    decide_with_reason(&state, c.principal.name, id, &bytes, Store::reject).await
}

/// Withdraws an approved report's effects, with a reason.
#[utoipa::path(post, path = "/api/reports/{id}/unapprove", request_body = Reason,
    params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = Decided), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn unapprove_report(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Decided>, AppError> {
    decide_with_reason(&state, c.principal.name, id, &bytes, Store::unapprove).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    /// A position in any notation: `46.9 39.96`, `39°57'36"N 46°54'E`, `38SPK4990502590`.
    position: String,
}

/// Every report that touched the ground at a position (operators: their
/// organisation's only).
#[utoipa::path(get, path = "/api/trace", params(TraceQuery),
    responses((status = 200, body = Vec<TraceRow>), (status = 400, body = ErrorBody)))]
pub async fn trace(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<TraceQuery>, QueryRejection>,
) -> Result<Json<Vec<TraceRow>>, AppError> {
    let q = query(q)?;
    let p = parse_position(&q.position).map_err(|e| AppError::BadRequest(format!("position: {e}")))?;
    let point: geo::Point<f64> = p.position.into();
    let every = sees_reports(&c);
    let rows = with_store(&state, move |s| {
        let mut rows = s.trace(point)?;
        if !every {
            let own = c.principal.organisation.map(|o| s.organisation_acronym(o)).transpose()?.flatten();
            rows.retain(|r| Some(&r.organisation) == own.as_ref());
        }
        Ok(rows)
    })
    .await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    /// The layer as it stood at the end of this day (YYYY-MM-DD, UTC).
    as_of: Option<String>,
    /// Only features in this district.
    district: Option<String>,
}

/// A layer as an RFC 7946 GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/api/layers/{layer}", params(("layer" = String, Path,
        description = "hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations"),
        LayerQuery),
    responses((status = 200, description = "GeoJSON", content_type = "application/geo+json"), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn layer(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    q: Result<Query<LayerQuery>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let q = query(q)?;
    let layer: Layer = name.parse().map_err(AppError::NotFound)?;
    let mut req = safeground_exchange::export::Request {
        layers: vec![layer],
        format: safeground_exchange::export::Format::Geojson,
        as_of: q.as_of.as_deref().map(|d| date(d, "as_of")).transpose()?,
        district: q.district.clone(),
        hxl: false,
        public: None,
        scope: Default::default(),
        attachments: false,
    };
    // As a download of the layer: an operator's own tasks, report ids for
    // those who read reports.
    let narrowing = crate::exports::Narrowing::of(&c);
    let bytes = with_read_store(&state, move |s| {
        req.scope = narrowing.scope(s);
        let mut w =
            GeoJsonWriter::new(Vec::new(), layer.columns()).map_err(|e| AppError::Internal(e.to_string()))?;
        safeground_exchange::export::features(s, &req, layer, &mut |f| {
            w.feature(&f.values, f.geometry.as_ref())
        })?;
        w.finish().map_err(|e| AppError::Internal(e.to_string()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], bytes))
}

/// A Mapbox Vector Tile of a layer (districts, settlements, hazards,
/// released_areas, eo_finds; EO finds clustered below zoom 14).
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}", params(
        ("layer" = String, Path, description = "country, districts, settlements, hazards, released_areas or eo_finds"),
        ("z" = u8, Path, description = "zoom, 0 to 24"), ("x" = u32, Path), ("y" = String, Path, description = "row, then .mvt or .pbf")),
    responses((status = 200, description = "the tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn tile(
    State(state): State<AppState>,
    Path((name, z, x, file)): Path<(String, String, String, String)>,
) -> Result<impl IntoResponse, AppError> {
    let Some(&layer) = TILE_LAYERS.iter().find(|l| **l == name) else {
        return Err(AppError::NotFound(format!(
            "'{name}' is not served as tiles; tiles are {}",
            TILE_LAYERS.join(", ")
        )));
    };
    let y = file.strip_suffix(".mvt").or_else(|| file.strip_suffix(".pbf")).unwrap_or(&file);
    let number = |v: &str, what: &str| -> Result<u32, AppError> {
        v.parse().map_err(|_| AppError::BadRequest(format!("{what}: '{v}' is not a tile number")))
    };
    let z = number(&z, "z")?;
    let tile = TileId::new(u8::try_from(z).unwrap_or(u8::MAX), number(&x, "x")?, number(y, "y")?)
        .map_err(AppError::BadRequest)?;
    let key = (layer, tile.z, tile.x, tile.y);
    // From the cache when it has it; else made by one request, while the
    // others asking for the same tile wait for it and then find it kept.
    let cache = state.tiles.clone();
    let (mut bytes, stamp) =
        with_read_store(&state, move |s| crate::tile_cache::cached(s, &cache, key, None)).await?;
    if bytes.is_none() {
        let turn = state.tile_flights.turn(key).await;
        // Made meanwhile by the request whose turn it was: no second visit.
        bytes = state.tiles.lock().ok().and_then(|mut c| c.get(&stamp, &key));
        if bytes.is_none() {
            let cache = state.tiles.clone();
            // The turn goes with the making (the blocking work, which runs
            // on when this request is given up) and ends with it.
            bytes = with_read_store(&state, move |s| {
                let _making = &turn;
                crate::tile_cache::cached(s, &cache, key, Some(tile))
            })
            .await?
            .0;
        }
    }
    let bytes =
        bytes.ok_or_else(|| AppError::Internal(format!("the tile {layer}/{z}/{x}/{y} was not made")))?;
    // A browser may keep a tile, revalidating it; no shared cache may (with
    // accounts, tiles are for the signed-in).
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        bytes,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistrictQuery {
    /// Only this district (either spelling).
    district: Option<String>,
}

/// Ground released per month and outcome (for the dashboard).
#[utoipa::path(get, path = "/api/stats/released-by-month", params(DistrictQuery),
    responses((status = 200, body = Vec<MonthRelease>), (status = 400, body = ErrorBody)))]
pub async fn released_by_month(
    State(state): State<AppState>,
    q: Result<Query<DistrictQuery>, QueryRejection>,
) -> Result<Json<Vec<MonthRelease>>, AppError> {
    let q = query(q)?;
    Ok(Json(with_read_store(&state, move |s| Ok(s.released_by_month(q.district.as_deref())?)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// The first day of the period (YYYY-MM-DD).
    from: String,
    /// The last day of the period (YYYY-MM-DD).
    to: String,
    /// organisation (the default), district, method or month.
    by: Option<String>,
}

/// Land-release indicators of a period, by organisation, district, method
/// or month (the counting rules of docs/reporting.md).
#[utoipa::path(get, path = "/api/kpi", params(KpiQuery),
    responses((status = 200, body = Kpis), (status = 400, body = ErrorBody)))]
pub async fn kpi(
    State(state): State<AppState>,
    q: Result<Query<KpiQuery>, QueryRejection>,
) -> Result<Json<Kpis>, AppError> {
    let q = query(q)?;
    let (from, to) = (date(&q.from, "from")?, date(&q.to, "to")?);
    if from > to {
        return Err(AppError::BadRequest(format!("from: {from} is after to: {to}")));
    }
    let by = match q.by.as_deref().unwrap_or("organisation") {
        "organisation" => By::Organisation,
        "district" => By::District,
        "method" => By::Method,
        "month" => By::Month,
        other => {
            return Err(AppError::BadRequest(format!(
                "by: '{other}' is none of organisation, district, method, month"
            )))
        }
    };
    let facts = with_read_store(&state, move |s| Ok(s.kpi_facts(from, to)?)).await?;
    Ok(Json(kpis(&facts, by, (from, to))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reference {
    organisations: Vec<OrganisationRef>,
    districts: Vec<DistrictRef>,
}

/// The organisations and districts forms choose from.
#[utoipa::path(get, path = "/api/reference", responses((status = 200, body = Reference)))]
pub async fn reference(State(state): State<AppState>) -> Result<Json<Reference>, AppError> {
    let (organisations, districts) = with_store(&state, |s| Ok((s.organisations()?, s.districts()?))).await?;
    Ok(Json(Reference { organisations, districts }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Checks {
    /// Whether approval would accept the report now.
    approvable: bool,
    /// Every problem that would refuse it.
    problems: Vec<String>,
}

/// What approving the report now would say, without approving it.
#[utoipa::path(post, path = "/api/reports/{id}/check", request_body = Approval,
    params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = Checks), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn check_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Checks>, AppError> {
    let id = report_id(&id)?;
    let settings = Approval::read(&bytes)?.settings(&state)?;
    let problems = with_store(&state, move |s| Ok(s.check_report(id, &settings)?)).await?;
    Ok(Json(Checks { approvable: problems.is_empty(), problems }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraverseQuery {
    /// Magnetic declination in degrees, east positive.
    declination: Option<f64>,
    /// The largest closure error accepted, % of the perimeter (default 1).
    tolerance: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TraverseResult {
    /// The polygon (GeoJSON MultiPolygon), or none when it cannot be drawn.
    polygon: Option<serde_json::Value>,
    /// The turning points as computed, `[name, lon, lat]`.
    points: Vec<(String, f64, f64)>,
    benchmark: Option<[f64; 2]>,
    closure_m: Option<f64>,
    closure_percent: Option<f64>,
    perimeter_m: f64,
    within_tolerance: bool,
    area_m2: f64,
    /// Why it cannot be accepted as it is (closure beyond tolerance, a bad line).
    problem: Option<String>,
}

/// Computes a traverse (the CSV form of `safeground traverse`: benchmark,
/// start point, turning points by bearing and distance or coordinates) on the
/// ellipsoid, for a form that draws the polygon as it is typed.
#[utoipa::path(post, path = "/api/traverse", params(TraverseQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "the polygon, or why there is none yet", body = TraverseResult),
        (status = 400, body = ErrorBody)))]
pub async fn traverse(
    q: Result<Query<TraverseQuery>, QueryRejection>,
    bytes: Bytes,
) -> Result<Json<TraverseResult>, AppError> {
    use safeground_core::traverse::{compute, read_csv, Settings, TraverseError};
    let q = query(q)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::BadRequest("the traverse is not UTF-8 text".into()))?;
    let unfinished = |problem: String| TraverseResult {
        polygon: None,
        points: vec![],
        benchmark: None,
        closure_m: None,
        closure_percent: None,
        perimeter_m: 0.0,
        within_tolerance: false,
        area_m2: 0.0,
        problem: Some(problem),
    };
    // A traverse being typed is often not a polygon yet: that is an answer
    // (why not), not a client mistake.
    let stations = match read_csv(text) {
        Ok(s) => s,
        Err(e) => return Ok(Json(unfinished(e.to_string()))),
    };
    let declination = q.declination.unwrap_or(0.0);
    let tolerance = q.tolerance.unwrap_or(1.0);
    if !declination.is_finite() || declination.abs() > 90.0 || !tolerance.is_finite() || tolerance < 0.0 {
        return Err(AppError::BadRequest(
            "declination is -90 to 90 degrees; tolerance a percentage, 0 or more".into(),
        ));
    }
    let settings = |force| Settings { declination_deg: declination, tolerance_percent: tolerance, force };
    let (t, problem) = match compute(&stations, &settings(false)) {
        Ok(t) => (t, None),
        Err(e @ TraverseError::Closure { .. }) => match compute(&stations, &settings(true)) {
            Ok(t) => (t, Some(e.to_string())),
            Err(e) => return Ok(Json(unfinished(e.to_string()))),
        },
        Err(e) => return Ok(Json(unfinished(e.to_string()))),
    };
    let polygon = safeground_formats::geojson_out::geometry(&geo::Geometry::MultiPolygon(t.polygon()));
    Ok(Json(TraverseResult {
        polygon: Some(polygon),
        points: t.points.iter().map(|(n, c)| (n.clone(), c.x, c.y)).collect(),
        benchmark: t.benchmark.map(|c| [c.x, c.y]),
        closure_m: t.closure.error_m,
        closure_percent: t.closure.error_percent,
        perimeter_m: t.closure.perimeter_m,
        within_tolerance: t.closure.within_tolerance,
        area_m2: t.area_m2(),
        problem,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccreditationQuery {
    /// Only those in force today that end within this many days (the dashboard asks for 30).
    expiring_within: Option<i64>,
}

/// The accreditations of organisations and teams (IMAS 07.30), or those in
/// force that end soon.
#[utoipa::path(get, path = "/api/accreditations", params(AccreditationQuery),
    responses((status = 200, body = Vec<safeground_store::AccreditationRow>), (status = 400, body = ErrorBody)))]
pub async fn accreditations(
    State(state): State<AppState>,
    q: Result<Query<AccreditationQuery>, QueryRejection>,
) -> Result<Json<Vec<safeground_store::AccreditationRow>>, AppError> {
    let q = query(q)?;
    if let Some(days) = q.expiring_within.filter(|d| !(0..=3660).contains(d)) {
        return Err(AppError::BadRequest(format!(
            "expiring_within: {days} is not a number of days from 0 to 3660"
        )));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let rows = with_store(&state, move |s| {
        Ok(match q.expiring_within {
            Some(days) => s.accreditations_expiring(today, days)?,
            None => s.accreditations()?,
        })
    })
    .await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidualQuery {
    /// Only those whose investigation is still open (task ISSUED or IN_PROGRESS).
    #[serde(default)]
    open: bool,
}

/// Residual contamination (IMAS 09.20): EO found, or accidents, inside ground
/// after its release, each with the ground, who released it and the
/// investigation task approval issued; the latest first.
#[utoipa::path(get, path = "/api/residuals", params(ResidualQuery),
    responses((status = 200, body = Vec<safeground_store::ResidualRow>), (status = 400, body = ErrorBody)))]
pub async fn residuals(
    State(state): State<AppState>,
    q: Result<Query<ResidualQuery>, QueryRejection>,
) -> Result<Json<Vec<safeground_store::ResidualRow>>, AppError> {
    let q = query(q)?;
    Ok(Json(with_store(&state, move |s| Ok(s.residuals(q.open)?)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    /// Only those of this hazard (its code).
    #[serde(default)]
    hazard: Option<String>,
}

/// Quality-management inspections (IMAS 07.12, 09.20): QA visits to work in
/// progress and QC samples of released ground, each with its sample (GeoJSON),
/// the share of the ground it covers, the items found and the result; the
/// latest first. An operator sees the inspections of its own work.
#[utoipa::path(get, path = "/api/inspections", params(InspectionQuery),
    responses((status = 200, body = Vec<safeground_store::InspectionRow>), (status = 400, body = ErrorBody)))]
pub async fn inspections(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<InspectionQuery>, QueryRejection>,
) -> Result<Json<Vec<safeground_store::InspectionRow>>, AppError> {
    let q = query(q)?;
    let only = crate::auth::operator_scope(&c);
    let rows = with_store(&state, move |s| match only {
        // An operator without an organisation sees none.
        Some(None) => Ok(Vec::new()),
        Some(Some(org)) => Ok(s.inspections(&safeground_store::InspectionFilter {
            hazard: q.hazard,
            organisation: Some(org),
        })?),
        None => {
            Ok(s.inspections(&safeground_store::InspectionFilter { hazard: q.hazard, organisation: None })?)
        }
    })
    .await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriorityQuery {
    /// Only the first N (default 20).
    top: Option<usize>,
}

/// A ranking of the hazards still dangerous, each with its score and the
/// contribution of every criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct Priorities {
    /// The sealed ranking's code; `None`: the default scenario ranked now.
    pub(crate) ranking: Option<String>,
    pub(crate) scenario: String,
    pub(crate) as_of: String,
    /// Every hazard's rank, code, name, district, score, contributions
    /// (criterion, value, share, points), team-days, cost and a point inside it.
    #[schema(value_type = Vec<Object>)]
    pub(crate) ranked: Vec<serde_json::Value>,
}

/// The latest sealed ranking (`priorities --seal`), or, while none is sealed,
/// the default scenario (`scenarios/default.toml`) applied to the register now.
#[utoipa::path(get, path = "/api/priorities", params(PriorityQuery),
    responses((status = 200, body = Priorities), (status = 400, body = ErrorBody)))]
pub async fn priorities(
    State(state): State<AppState>,
    q: Result<Query<PriorityQuery>, QueryRejection>,
) -> Result<Json<Priorities>, AppError> {
    use safeground_core::priority::{parse_scenario, rank, DEFAULT_SCENARIO};
    let top = query(q)?.top.unwrap_or(20).min(10_000);
    let today = time::OffsetDateTime::now_utc().date();
    let answer = with_store(&state, move |s| {
        if let Some(r) = s.latest_ranking()? {
            let ranked = r.result.as_array().cloned().unwrap_or_default();
            return Ok(Priorities {
                ranking: Some(r.code),
                scenario: r.name,
                as_of: r.as_of.to_string(),
                ranked: ranked.into_iter().take(top).collect(),
            });
        }
        let scenario = parse_scenario(DEFAULT_SCENARIO).map_err(|e| AppError::Internal(e.to_string()))?;
        let f = s.priority_facts(&scenario, today)?;
        let ranked = rank(&scenario, &f.candidates, &f.settlements, &f.casualties, None, today);
        let ranked = ranked.iter().take(top).map(serde_json::to_value).collect::<Result<Vec<_>, _>>();
        Ok(Priorities {
            ranking: None,
            scenario: scenario.name,
            as_of: today.to_string(),
            ranked: ranked.map_err(|e| AppError::Internal(e.to_string()))?,
        })
    })
    .await?;
    Ok(Json(answer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NcrQuery {
    /// Only those not closed.
    #[serde(default)]
    open: bool,
}

/// Non-conformities (IMAS 07.12), the latest raised first, with their state:
/// OPEN, OVERDUE or CLOSED. Operators see their organisation's only.
#[utoipa::path(get, path = "/api/ncrs", params(NcrQuery),
    responses((status = 200, body = Vec<safeground_store::NcrRow>), (status = 400, body = ErrorBody)))]
pub async fn ncrs(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<NcrQuery>, QueryRejection>,
) -> Result<Json<Vec<safeground_store::NcrRow>>, AppError> {
    let q = query(q)?;
    let only = crate::auth::operator_scope(&c);
    let today = time::OffsetDateTime::now_utc().date();
    let rows = with_store(&state, move |s| match only {
        // An operator without an organisation sees none.
        Some(None) => Ok(Vec::new()),
        Some(Some(org)) => Ok(s.ncrs(q.open, Some(org), today)?),
        None => Ok(s.ncrs(q.open, None, today)?),
    })
    .await?;
    Ok(Json(rows))
}

/// Non-conformities per organisation: by grade, open, overdue, and per 100
/// approved work reports (the dashboard's table).
#[utoipa::path(get, path = "/api/ncrs/rates",
    responses((status = 200, body = Vec<safeground_core::ncr::Rate>)))]
pub async fn ncr_rates(
    State(state): State<AppState>,
) -> Result<Json<Vec<safeground_core::ncr::Rate>>, AppError> {
    let today = time::OffsetDateTime::now_utc().date();
    Ok(Json(with_store(&state, move |s| Ok(s.ncr_rates(today)?)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestigationQuery {
    /// Only those not concluded.
    #[serde(default)]
    open: bool,
}

/// Investigations of accidents (IMAS 10.60), the latest opened first: the
/// accident, where each stands and when; the board of inquiry, its findings
/// and recommendations and the non-conformities they became for the roles
/// that investigate or raise non-conformities only (others get them empty).
#[utoipa::path(get, path = "/api/investigations", params(InvestigationQuery),
    responses((status = 200, body = Vec<safeground_store::InvestigationRow>), (status = 400, body = ErrorBody)))]
pub async fn investigations(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<InvestigationQuery>, QueryRejection>,
) -> Result<Json<Vec<safeground_store::InvestigationRow>>, AppError> {
    let q = query(q)?;
    let mut rows = with_store(&state, move |s| Ok(s.investigations(q.open)?)).await?;
    if decide(&c.principal, Action::Investigate, Scope::Any).is_err() {
        // Findings name people and organisations; what they raised is read
        // through /api/ncrs, scoped to the reader's organisation.
        for r in &mut rows {
            r.state.board.clear();
            r.state.findings = None;
            r.state.recommendations.clear();
            r.non_conformities.clear();
            r.opened_by = String::new();
        }
    }
    Ok(Json(rows))
}

#[cfg(test)]
mod pool_tests {
    use super::on_store;
    use crate::StorePool;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    /// A pool of one connection: while a request holds it, the next waits;
    /// the metrics count one in use and one waiting, never the waiter as
    /// in use.
    #[test]
    fn a_request_waiting_for_a_connection_is_counted_waiting_not_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let db = safeground_store::Location::File(dir.path().join("r.gpkg"));
        drop(safeground_store::Store::create(db.clone()).unwrap());
        let pool = StorePool::new(1);
        let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        // Read while the first holds the connection; asserted once it is let
        // go (an assertion failing inside would leave the holder waiting).
        let seen = std::thread::scope(|scope| {
            scope.spawn(|| {
                on_store(&pool, &db, None, |_| {
                    held.wait();
                    release.wait();
                    Ok(())
                })
                .unwrap()
            });
            held.wait();
            let waiter = scope.spawn(|| on_store(&pool, &db, None, |_| Ok(())).unwrap());
            let start = Instant::now();
            while pool.waiting.load(Ordering::Relaxed) == 0 && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(5));
            }
            let seen = (pool.in_use.load(Ordering::Relaxed), pool.waiting.load(Ordering::Relaxed));
            release.wait();
            waiter.join().unwrap();
            seen
        });
        assert_eq!(seen, (1, 1), "(in use, waiting) while one request held the only connection");
        assert_eq!(pool.in_use.load(Ordering::Relaxed), 0);
        assert_eq!(pool.waiting.load(Ordering::Relaxed), 0);
        assert_eq!(pool.idle_count(), 1, "one connection, given back");
    }
}
