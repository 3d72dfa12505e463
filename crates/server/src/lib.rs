//! safeground's HTTP API: the register, reports and their approval, summaries,
//! history and layers as JSON, described by an OpenAPI 3 document generated
//! from the handlers themselves (`/api/openapi.json`).
//!
//! [`app`] builds the router over a register file; every request opens the
//! store (SQLite) on a blocking thread, so slow queries never stall the
//! server's event loop, and every write is one transaction as on the CLI.
//! Errors are [`AppError`]: client mistakes are 4xx with a stable code.

mod accounts;
mod api;
mod assets;
mod assistance;
pub mod auth;
mod cycle;
mod error;
mod exports;
mod imports;
pub mod limits;
pub mod maps;
pub mod observe;
mod organisations;
mod ranking;
mod records;
pub mod replica;
mod session;
pub mod sessions;
mod submissions;
mod tasks;

pub use auth::{Hosts, Mode, POLICY};
pub use error::{AppError, ErrorBody};
pub use limits::Limits;

use axum::routing::get;
use axum::{Json, Router};
use safeground_store::Location;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The register.
    pub db: Arc<Location>,
    /// One person's register (no accounts), or accounts with logins.
    pub mode: Mode,
    /// Signed-in sessions and failed logins.
    pub(crate) sessions: Arc<sessions::Sessions>,
    /// Send the session cookie only over HTTPS (behind a TLS proxy).
    pub secure_cookies: bool,
    /// Tiles already made, valid while the register's change stamp holds.
    pub(crate) tiles: Arc<std::sync::Mutex<TileCache>>,
    /// Open connections to the register, reused between requests.
    pub(crate) pool: Arc<StorePool>,
    /// The names the server answers to (`Host`); others get 421.
    pub hosts: Arc<Hosts>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub proxies: Arc<Vec<std::net::IpAddr>>,
    /// Time limits of connections and requests.
    pub limits: Limits,
    /// The most positions a polygon may have when a report is checked or approved.
    pub max_vertices: usize,
    /// The binary's document builders, given to the server, which builds no
    /// documents itself. `None`: the PDF routes answer 404.
    pub documents: Option<Arc<dyn Documents>>,
    /// Requests counted and timed, for `/metrics`.
    pub(crate) metrics: Arc<observe::Metrics>,
    /// Log a line for every request (otherwise only for server failures).
    pub access_log: bool,
    /// A streaming replica the read routes go to (`serve --read-db`).
    pub replica: Option<Arc<replica::Replica>>,
    /// Set when the server was told to stop: readiness answers 503 while
    /// the requests still sent are answered (`serve --shutdown-grace`).
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
}

/// The printed documents the server hands out.
pub trait Documents: Send + Sync + std::fmt::Debug {
    /// A hazard's handover certificate: (the register, its location, the
    /// hazard's code or UUID, a language code) → the PDF's bytes.
    fn certificate(
        &self,
        store: &safeground_store::Store,
        db: &Location,
        hazard: &str,
        lang: &str,
    ) -> Result<Vec<u8>, String>;
    /// A map sheet of the register's ground: (the register, its location,
    /// what to print) → the PDF's bytes.
    fn map(
        &self,
        store: &safeground_store::Store,
        db: &Location,
        sheet: &maps::MapSheet,
    ) -> Result<Vec<u8>, String>;
}

/// Connections to the register kept open between requests: opening one costs
/// a file check and pragmas on a GeoPackage, a TCP connection, a login and
/// version checks on PostgreSQL. A connection goes back only after a request
/// that succeeded; at most [`StorePool::MAX_IDLE`] wait.
#[derive(Debug, Default)]
pub(crate) struct StorePool {
    idle: std::sync::Mutex<Vec<safeground_store::Store>>,
    /// Connections in use by a request now.
    pub(crate) in_use: std::sync::atomic::AtomicI64,
    /// Connections opened since the start.
    pub(crate) opened: std::sync::atomic::AtomicU64,
}

impl StorePool {
    const MAX_IDLE: usize = 8;

    /// An open store: an idle one (its caches of the register dropped, as
    /// another program may have changed it), or a new connection.
    pub(crate) fn take(
        &self,
        db: &Location,
    ) -> Result<safeground_store::Store, safeground_store::StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(mut store) => {
                store.forget_caches();
                Ok(store)
            }
            None => {
                let store = safeground_store::Store::open(db)?;
                self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(store)
            }
        }
    }

    /// How many open connections wait.
    pub(crate) fn idle_count(&self) -> usize {
        self.idle.lock().map_or(0, |v| v.len())
    }

    /// Closes every idle connection: after the register failed a readiness
    /// check they may be dead (a restarted PostgreSQL) or hold a file that
    /// is no longer the register.
    pub(crate) fn clear(&self) {
        let idle = self.idle.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        discard(idle);
    }

    pub(crate) fn give_back(&self, store: safeground_store::Store) {
        let Ok(mut v) = self.idle.lock() else { return discard(vec![store]) };
        if v.len() < Self::MAX_IDLE {
            v.push(store);
        } else {
            drop(v);
            discard(vec![store]);
        }
    }
}

impl Drop for StorePool {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Closes connections to the register. A PostgreSQL connection is closed by
/// the blocking client, which runs its own runtime and panics when asked to
/// inside the server's: there it is closed on a thread of its own.
pub(crate) fn discard(stores: Vec<safeground_store::Store>) {
    if stores.is_empty() {
        return;
    }
    if tokio::runtime::Handle::try_current().is_ok() {
        let _ = std::thread::spawn(move || drop(stores)).join();
    } else {
        drop(stores);
    }
}

/// Encoded tiles by layer and z/x/y, for one state of the register. Bounded:
/// when full it starts again (a country-wide tile is the costly one).
#[derive(Debug, Default)]
pub(crate) struct TileCache {
    pub(crate) stamp: String,
    pub(crate) tiles: std::collections::HashMap<(&'static str, u8, u32, u32), axum::body::Bytes>,
    pub(crate) bytes: usize,
    /// Tiles answered from the cache, and made afresh, since the start.
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

/// The most the tile cache holds.
pub(crate) const TILE_CACHE_BYTES: usize = 64 << 20;

impl AppState {
    /// The state over the register at `db`: with accounts if it has any;
    /// otherwise one person's, `actor` in the history.
    pub fn new(db: impl Into<Location>, actor: &str) -> Result<Self, safeground_store::StoreError> {
        let db = db.into();
        let store = safeground_store::Store::open(&db)?;
        let mode =
            if store.has_accounts()? { Mode::Accounts } else { Mode::Local { actor: actor.to_string() } };
        let shared = store.keeps_sessions();
        discard(vec![store]);
        Ok(AppState {
            db: Arc::new(db),
            mode,
            sessions: Arc::new(sessions::Sessions::new(shared, auth::SESSION_IDLE, auth::SESSION_MAX)),
            secure_cookies: false,
            tiles: Arc::default(),
            pool: Arc::default(),
            hosts: Arc::default(),
            proxies: Arc::default(),
            limits: Limits::default(),
            max_vertices: safeground_core::validate::MAX_VERTICES,
            documents: None,
            metrics: Arc::default(),
            access_log: false,
            replica: None,
            stopping: Arc::default(),
        })
    }

    /// Sessions end after `idle` without a request and after `max` in any
    /// case (by default 30 minutes and 12 hours).
    pub fn with_session_limits(mut self, idle: std::time::Duration, max: std::time::Duration) -> Self {
        self.sessions = Arc::new(sessions::Sessions::new(self.sessions.shared(), idle, max));
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "safeground",
        description = "The national mine action register: hazards, land release, reports and their approval."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

fn routers() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::health))
        .routes(routes!(api::live))
        .routes(routes!(api::ready))
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::users, accounts::add))
        .routes(routes!(accounts::change))
        .routes(routes!(accounts::token))
        .routes(routes!(accounts::revoke))
        .routes(routes!(api::summary))
        .routes(routes!(api::extent))
        .routes(routes!(api::kpi))
        .routes(routes!(api::accreditations, cycle::accredit))
        .routes(routes!(cycle::suspend))
        .routes(routes!(api::residuals))
        .routes(routes!(api::inspections))
        .routes(routes!(api::priorities))
        .routes(routes!(tasks::tasks, tasks::issue))
        .routes(routes!(tasks::cancel))
        .routes(routes!(ranking::seal_ranking))
        .routes(routes!(ranking::tasks_from_ranking))
        .routes(routes!(api::ncrs, cycle::raise))
        .routes(routes!(cycle::answer))
        .routes(routes!(cycle::close))
        .routes(routes!(api::ncr_rates))
        .routes(routes!(api::investigations, cycle::open))
        .routes(routes!(cycle::board))
        .routes(routes!(cycle::conclude))
        .routes(routes!(cycle::recommendation))
        .routes(routes!(assistance::victims))
        .routes(routes!(assistance::victim))
        .routes(routes!(assistance::consent))
        .routes(routes!(assistance::withdrawal))
        .routes(routes!(assistance::assistance))
        .routes(routes!(assistance::figures))
        .routes(routes!(api::hazard_certificate))
        .routes(routes!(api::hazard_certificate_pdf))
        .routes(routes!(maps::print))
        .routes(routes!(maps::places))
        .routes(routes!(records::records))
        .routes(routes!(api::hazards))
        .routes(routes!(api::hazard))
        .routes(routes!(api::hazard_history))
        .routes(routes!(api::reports, api::submit_report))
        .routes(routes!(api::report))
        .routes(routes!(api::approve_report))
        .routes(routes!(api::reject_report))
        .routes(routes!(api::unapprove_report))
        .routes(routes!(api::trace))
        .routes(routes!(api::layer))
        .routes(routes!(exports::export))
        .routes(routes!(imports::import))
        .routes(routes!(submissions::upload))
        .routes(routes!(submissions::submit))
        .routes(routes!(api::tile))
        .routes(routes!(api::released_by_month))
        .routes(routes!(api::reference))
        .routes(routes!(organisations::organisations, organisations::add))
        .routes(routes!(api::check_report))
        .routes(routes!(api::traverse))
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routers().into_openapi()
}

/// `/metrics` alone, for the address given with `serve --metrics-addr`
/// (a monitoring network): no account is asked for there.
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", get(observe::metrics)).with_state(state)
}

/// The whole application over `state`'s register.
pub fn app(state: AppState) -> Router {
    let (router, doc) = routers().split_for_parts();
    let doc = Arc::new(doc);
    router
        .route("/api/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
        .route("/metrics", get(observe::metrics))
        // Every route above passes the gate (auth.rs), then the check of its
        // body's type; the page and its assets are public.
        .route_layer(axum::middleware::from_fn(limits::require_body_type))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::gate))
        .merge(assets::routes())
        .route_layer(axum::middleware::from_fn(observe::mark_route))
        .fallback(|| async {
            AppError::NotFound("no such route; the API is described at /api/openapi.json".into())
        })
        .method_not_allowed_fallback(|| async {
            AppError::MethodNotAllowed("this route does not take that method; see /api/openapi.json".into())
        })
        .layer(axum::middleware::from_fn(limits::json_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), replica::read_your_writes))
        .layer(axum::extract::DefaultBodyLimit::max(limits::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::deadline))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::check_host))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}
