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
mod attachments;
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
mod tile_cache;
mod transfers;

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
    pub(crate) tiles: Arc<std::sync::Mutex<tile_cache::TileCache>>,
    /// Tiles being made now, by the one request whose turn it is.
    pub(crate) tile_flights: Arc<tile_cache::Flights>,
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
    /// The bounds an attached file is held to (`serve --max-attachment-mb`).
    pub attachments: safeground_core::attachment::Limits,
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
/// a file check and pragmas on a GeoPackage, a TCP connection, a login, a
/// server process and version checks on PostgreSQL. At most `max` are open
/// at once (idle or lent): a request that finds none free waits for one
/// (up to [`StorePool::WAIT`], then 503), so a burst of clients never opens
/// more connections than PostgreSQL's `max_connections` allows. A
/// connection goes back after a request that succeeded; after a failure it
/// is closed (it may be broken) and its place freed.
#[derive(Debug)]
pub(crate) struct StorePool {
    slots: std::sync::Mutex<Slots>,
    freed: std::sync::Condvar,
    max: usize,
    /// Connections in use by a request now.
    pub(crate) in_use: std::sync::atomic::AtomicI64,
    /// Requests waiting for a connection now.
    pub(crate) waiting: std::sync::atomic::AtomicI64,
    /// Connections opened since the start.
    pub(crate) opened: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Default)]
struct Slots {
    idle: Vec<safeground_store::Store>,
    /// Open connections, idle or lent.
    open: usize,
}

/// How many connections to the register a server keeps at most, by default.
pub const DEFAULT_CONNECTIONS: usize = 16;

impl StorePool {
    /// How long a request waits for a free connection.
    const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

    pub(crate) fn new(max: usize) -> StorePool {
        StorePool {
            slots: std::sync::Mutex::default(),
            freed: std::sync::Condvar::new(),
            max: max.max(1),
            in_use: Default::default(),
            waiting: Default::default(),
            opened: Default::default(),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An open store: an idle one (its caches of the register dropped, as
    /// another program may have changed it), a new connection while fewer
    /// than `max` are open, or the next one given back.
    pub(crate) fn take(&self, db: &Location) -> Result<safeground_store::Store, AppError> {
        let started = std::time::Instant::now();
        let mut slots = self.slots();
        loop {
            if let Some(mut store) = slots.idle.pop() {
                store.forget_caches();
                return Ok(store);
            }
            if slots.open < self.max {
                slots.open += 1;
                drop(slots);
                return self.open_new(db);
            }
            let left = Self::WAIT.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(AppError::Unavailable(format!(
                    "all {} connections to the register are busy; try again in a moment",
                    self.max
                )));
            }
            self.waiting.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            slots = self.freed.wait_timeout(slots, left).map_or_else(|e| e.into_inner().0, |(g, _)| g);
            self.waiting.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// An open store now, or `None` when all `max` are lent: for a replica,
    /// where a busy pool sends the read to the primary rather than wait.
    pub(crate) fn try_take(&self, db: &Location) -> Option<Result<safeground_store::Store, AppError>> {
        let mut slots = self.slots();
        if let Some(mut store) = slots.idle.pop() {
            store.forget_caches();
            return Some(Ok(store));
        }
        if slots.open >= self.max {
            return None;
        }
        slots.open += 1;
        drop(slots);
        Some(self.open_new(db))
    }

    /// Opens a connection in a place already counted in `open`, freeing the
    /// place when it cannot be opened.
    fn open_new(&self, db: &Location) -> Result<safeground_store::Store, AppError> {
        match safeground_store::Store::open(db) {
            Ok(store) => {
                self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(store)
            }
            Err(e) => {
                self.slots().open -= 1;
                self.freed.notify_one();
                Err(e.into())
            }
        }
    }

    /// How many open connections wait.
    pub(crate) fn idle_count(&self) -> usize {
        self.slots().idle.len()
    }

    /// Closes every idle connection: after the register failed a readiness
    /// check they may be dead (a restarted PostgreSQL) or hold a file that
    /// is no longer the register.
    pub(crate) fn clear(&self) {
        let idle = {
            let mut slots = self.slots();
            let idle = std::mem::take(&mut slots.idle);
            slots.open -= idle.len();
            idle
        };
        self.freed.notify_all();
        discard(idle);
    }

    /// Gives back a connection taken from the pool, for the next request.
    pub(crate) fn give_back(&self, store: safeground_store::Store) {
        self.slots().idle.push(store);
        self.freed.notify_one();
    }

    /// Closes a connection taken from the pool (after a failure: it may be
    /// broken) and frees its place.
    pub(crate) fn forget(&self, store: safeground_store::Store) {
        self.slots().open -= 1;
        self.freed.notify_one();
        discard(vec![store]);
    }
}

impl Drop for StorePool {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The threads closing connections (see [`discard`]).
static CLOSING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> = std::sync::Mutex::new(Vec::new());

/// Waits until the connections being closed are closed: at the end of
/// `serve`, so that a GeoPackage is checkpointed and PostgreSQL sees each
/// connection ended, not cut.
pub fn finish_closing() {
    let closing = CLOSING.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
    for t in closing {
        let _ = t.join();
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
        let closing = std::thread::spawn(move || drop(stores));
        if let Ok(mut c) = CLOSING.lock() {
            c.retain(|t| !t.is_finished());
            c.push(closing);
        }
    } else {
        drop(stores);
    }
}

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
            tile_flights: Arc::default(),
            pool: Arc::new(StorePool::new(DEFAULT_CONNECTIONS)),
            hosts: Arc::default(),
            proxies: Arc::default(),
            limits: Limits::default(),
            max_vertices: safeground_core::validate::MAX_VERTICES,
            attachments: safeground_core::attachment::Limits::default(),
            documents: None,
            metrics: Arc::default(),
            access_log: false,
            replica: None,
            stopping: Arc::default(),
        })
    }

    /// At most `n` connections to the register open at once (and as many to
    /// a replica given later).
    pub fn with_connections(mut self, n: usize) -> Self {
        self.pool = Arc::new(StorePool::new(n));
        self
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
        .routes(routes!(attachments::list, attachments::attach))
        .routes(routes!(attachments::file))
        .routes(routes!(attachments::thumbnail))
        .routes(routes!(attachments::of_hazard))
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
        .routes(routes!(transfers::checkout))
        .routes(routes!(transfers::begin))
        .routes(routes!(transfers::status, transfers::drop))
        .routes(routes!(transfers::fetch, transfers::send))
        .routes(routes!(transfers::import))
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
