//! What a server tells its operators: an id for every request, a log line
//! per request (`serve --log-format json` makes them JSON), and Prometheus
//! metrics at `/metrics` — requests and their latencies by route, the
//! connections to the register, the tile cache.
//!
//! Routes are counted by their pattern (`/api/hazards/{id}`), never by the
//! path asked for, so the metrics stay a bounded set whatever clients send.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use tracing::Instrument;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// The upper bounds, in seconds, of the latency histogram's buckets.
pub const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The id a request goes by: the one a proxy in front gave it (`X-Request-Id`,
/// 1 to 64 letters, digits, `-`, `_` or `.`), or a new UUID.
///
/// ```
/// use safeground_server::observe::request_id;
/// assert_eq!(request_id(Some("haproxy-7f3a.12")), "haproxy-7f3a.12");
/// assert_eq!(request_id(Some("two words")).len(), 36);
/// assert_eq!(request_id(None).len(), 36);
/// ```
pub fn request_id(given: Option<&str>) -> String {
    match given {
        Some(id)
            if (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            id.to_string()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// One route's latencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// How many fell at or under each of [`BUCKETS`] (not cumulative).
    pub buckets: [u64; BUCKETS.len()],
    pub count: u64,
    pub sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The requests answered: counts by (method, route, status) and latencies by route.
#[derive(Debug, Default)]
pub struct Metrics {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
    latencies: Mutex<BTreeMap<String, Histogram>>,
    in_flight: AtomicI64,
}

/// What [`render`] writes: the server's figures at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub counts: BTreeMap<(String, String, u16), u64>,
    pub latencies: BTreeMap<String, Histogram>,
    pub in_flight: i64,
    /// Connections to the register: open and idle in the pool, in use, opened since the start.
    pub db_idle: u64,
    pub db_in_use: i64,
    pub db_waiting: i64,
    pub db_opened: u64,
    pub tile_hits: u64,
    pub tile_misses: u64,
    pub tile_bytes: u64,
    /// Reads of the read routes answered by the replica, and by the primary
    /// instead (replica down, lagging, or behind the reader's own write).
    pub replica_reads: u64,
    pub replica_diverted: u64,
    /// Reads the replica failed to answer, answered again by the primary.
    pub replica_failed: u64,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latencies.lock() {
            l.entry(route.to_string()).or_default().observe(seconds);
        }
    }
}

impl AppState {
    /// The server's figures now.
    pub fn snapshot(&self) -> Snapshot {
        let (tile_hits, tile_misses, tile_bytes) =
            self.tiles.lock().map(|t| (t.hits, t.misses, t.bytes as u64)).unwrap_or_default();
        Snapshot {
            counts: self.metrics.counts.lock().map(|c| c.clone()).unwrap_or_default(),
            latencies: self.metrics.latencies.lock().map(|l| l.clone()).unwrap_or_default(),
            in_flight: self.metrics.in_flight.load(Ordering::Relaxed),
            db_idle: self.pool.idle_count() as u64,
            db_in_use: self.pool.in_use.load(Ordering::Relaxed),
            db_waiting: self.pool.waiting.load(Ordering::Relaxed),
            db_opened: self.pool.opened.load(Ordering::Relaxed),
            tile_hits,
            tile_misses,
            tile_bytes,
            replica_reads: self.replica.as_ref().map_or(0, |r| r.reads.load(Ordering::Relaxed)),
            replica_diverted: self.replica.as_ref().map_or(0, |r| r.diverted.load(Ordering::Relaxed)),
            replica_failed: self.replica.as_ref().map_or(0, |r| r.failed_read.load(Ordering::Relaxed)),
        }
    }
}

/// A label value as the exposition format writes it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The snapshot in Prometheus's text exposition format (version 0.0.4).
///
/// ```
/// use safeground_server::observe::{render, Histogram, Snapshot};
/// let mut s = Snapshot::default();
/// s.counts.insert(("GET".into(), "/api/summary".into(), 200), 3);
/// let mut h = Histogram::default();
/// h.observe(0.02);
/// s.latencies.insert("/api/summary".into(), h);
/// let text = render(&s);
/// assert!(text.contains(r#"safeground_http_requests_total{method="GET",route="/api/summary",status="200"} 3"#));
/// assert!(text.contains(r#"safeground_http_request_duration_seconds_bucket{route="/api/summary",le="0.01"} 0"#));
/// assert!(text.contains(r#"safeground_http_request_duration_seconds_bucket{route="/api/summary",le="0.025"} 1"#));
/// assert!(text.contains(r#"safeground_http_request_duration_seconds_bucket{route="/api/summary",le="+Inf"} 1"#));
/// ```
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "safeground_http_requests_total",
        "counter",
        "Requests answered, by method, route and status.",
    );
    for ((method, route, status), n) in &s.counts {
        let _ = writeln!(
            out,
            "safeground_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
            label(method),
            label(route)
        );
    }
    let name = "safeground_http_request_duration_seconds";
    family(&mut out, name, "histogram", "Time to answer a request, by route.");
    for (route, h) in &s.latencies {
        let route = label(route);
        let mut below = 0;
        for (bound, n) in BUCKETS.iter().zip(h.buckets) {
            below += n;
            let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {below}");
        }
        let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", h.sum);
        let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", h.count);
    }
    let gauges: [(&str, &str, &str, String); 11] = [
        ("safeground_http_requests_in_flight", "gauge", "Requests being answered.", s.in_flight.to_string()),
        (
            "safeground_db_connections_idle",
            "gauge",
            "Open connections to the register waiting in the pool.",
            s.db_idle.to_string(),
        ),
        (
            "safeground_db_connections_in_use",
            "gauge",
            "Connections to the register in use by a request.",
            s.db_in_use.to_string(),
        ),
        (
            "safeground_db_requests_waiting",
            "gauge",
            "Requests waiting for a free connection to the register (all --db-connections are in use).",
            s.db_waiting.to_string(),
        ),
        (
            "safeground_db_connections_opened_total",
            "counter",
            "Connections to the register opened since the start.",
            s.db_opened.to_string(),
        ),
        (
            "safeground_tile_cache_hits_total",
            "counter",
            "Tiles answered from the cache.",
            s.tile_hits.to_string(),
        ),
        (
            "safeground_tile_cache_misses_total",
            "counter",
            "Tiles made from the register.",
            s.tile_misses.to_string(),
        ),
        (
            "safeground_tile_cache_bytes",
            "gauge",
            "Bytes of tiles held in the cache.",
            s.tile_bytes.to_string(),
        ),
        (
            "safeground_replica_reads_total",
            "counter",
            "Reads answered by the replica.",
            s.replica_reads.to_string(),
        ),
        (
            "safeground_replica_diverted_total",
            "counter",
            "Reads sent to the primary instead of the replica (down, lagging, or behind the reader's write).",
            s.replica_diverted.to_string(),
        ),
        (
            "safeground_replica_failed_reads_total",
            "counter",
            "Reads the replica was interrupted answering (connection lost, query cancelled), answered again by the primary; not counted as diverted.",
            s.replica_failed.to_string(),
        ),
    ];
    for (name, kind, help, value) in gauges {
        family(&mut out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }
    out
}

/// Counts a request in flight until dropped: a request whose client went
/// away is dropped unfinished, and still leaves the count.
struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Gives every request its id (echoed in `X-Request-Id`, carried by every
/// log line written while it is answered), counts it, times it, and logs
/// it: every request when the access log is on, failures of the server
/// always. The id a request brings is believed from a trusted proxy only.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let from_proxy = peer.is_some_and(|p| state.proxies.contains(&p));
    let given = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|_| from_proxy);
    let id = request_id(given);
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let method = match *req.method() {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::OPTIONS => req.method().as_str().to_string(),
        _ => "OTHER".to_string(),
    };
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    let started = Instant::now();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let in_flight = InFlight(&state.metrics.in_flight);
    // Filled by `mark_route` inside the router: the route stays known when
    // an outer layer (the deadline, JSON errors) makes the response.
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).instrument(span.clone()).await;
    drop(in_flight);
    let seconds = started.elapsed().as_secs_f64();
    let route = slot.0.get().map_or("unmatched", String::as_str).to_string();
    let status = res.status().as_u16();
    state.metrics.record(&method, &route, status, seconds);
    let _entered = span.enter();
    if status >= 500 {
        tracing::error!(status, route = %route, ms = seconds * 1000.0, "answered");
    } else if state.access_log {
        tracing::info!(status, route = %route, ms = seconds * 1000.0, "answered");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// The route a request was matched to, filled by [`mark_route`] (the matched
/// pattern is known inside the router only) for [`observe`].
#[derive(Debug, Clone, Default)]
struct RouteSlot(std::sync::Arc<std::sync::OnceLock<String>>);

/// Notes the route a request was matched to, for [`observe`].
pub async fn mark_route(req: Request, next: Next) -> Response {
    if let (Some(slot), Some(m)) =
        (req.extensions().get::<RouteSlot>(), req.extensions().get::<MatchedPath>())
    {
        let _ = slot.0.set(m.as_str().to_string());
    }
    next.run(req).await
}

/// The metrics, in Prometheus's text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render(&state.snapshot()))
}
