//! What every request and connection is held to, beside who may make it: the
//! type of its body, its size, its time; and the loop that serves the
//! application on a listener with limits on each connection's time.
//!
//! A client that sends half its headers, or opens a connection and sends
//! nothing, is cut off after [`Limits::header`]; a keep-alive connection
//! waiting for its next request likewise. A request whose answer is not ready
//! after [`Limits::request`] gets 503 `timeout` (the work it started finishes:
//! a write is one transaction, whole or not at all).

use crate::{AppError, AppState};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// The time limits of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// To send a request's headers, and for a kept-alive connection to start its next request.
    pub header: Duration,
    /// To answer a request, its body read included.
    pub request: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header: Duration::from_secs(10), request: Duration::from_secs(120) }
    }
}

/// The largest request body the API takes (a report with its polygons).
pub const MAX_BODY: usize = 2 << 20;

/// The body type a route takes: JSON, except the traverse form's CSV and
/// an upload's file. A body of another type is refused (415), so that no
/// other site's page can post to the API with a form or a `text/plain`
/// fetch, which browsers send without asking first.
fn body_type(path: &str) -> &'static str {
    match path {
        "/api/traverse" => "text/csv",
        p if takes_file(p) => "application/octet-stream",
        _ => "application/json",
    }
}

/// A route whose body is a file (`application/octet-stream`, exempt from
/// the request deadline): an import, a KoBo/ODK export, a report's
/// attachment (`/api/reports/{id}/attachments`).
fn takes_file(path: &str) -> bool {
    let attachment = path
        .strip_prefix("/api/reports/")
        .and_then(|p| p.strip_suffix("/attachments"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    attachment || path == "/api/imports" || path == "/api/submissions" || transfer_data(path)
}

/// A transfer's chunks (`/api/transfers/{id}/data`).
fn transfer_data(path: &str) -> bool {
    path.strip_prefix("/api/transfers/")
        .and_then(|p| p.strip_suffix("/data"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// A request that takes as long as its work, exempt from the deadline: a
/// chunk sent over a slow link, a field copy made, a bundle imported.
fn long(method: &Method, path: &str) -> bool {
    let import = path
        .strip_prefix("/api/transfers/")
        .and_then(|p| p.strip_suffix("/import"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    (*method == Method::POST && (takes_file(path) || import || path == "/api/checkouts"))
        || (*method == Method::PUT && transfer_data(path))
}

/// Refuses a change to the API whose body is not of the route's type.
pub async fn require_body_type(req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path();
    if changes && path.starts_with("/api/") {
        let sent = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let length = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
        let has_body =
            length.map_or_else(|| req.headers().contains_key(header::TRANSFER_ENCODING), |n| n.trim() != "0");
        let wanted = body_type(path);
        let matches =
            sent.is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(wanted)));
        if has_body && !matches {
            return AppError::UnsupportedMediaType(format!(
                "{path} takes a body of type {wanted}; send the header Content-Type: {wanted}"
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// Answers 503 `timeout` when a request takes longer than [`Limits::request`].
/// A download (`/api/exports/…`), an upload (`/api/imports`,
/// `/api/submissions`, a report's attachment or a transfer's chunk over a slow link), a field copy
/// made and a bundle imported are exempt: they take as long as their file, and run
/// a few (one) at a time — cut off, an upload would still commit unseen.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // A download is written whole before it is sent, an upload imported
    // whole before it is answered: each takes as long as its file.
    let path = req.uri().path();
    let upload = long(req.method(), path);
    if path.starts_with("/api/exports/") || upload {
        return next.run(req).await;
    }
    let limit = state.limits.request;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::Timeout(format!(
            "the request took longer than the server allows ({} s); ask for less (a smaller area, a page)",
            limit.as_secs()
        ))
        .into_response(),
    }
}

/// Gives the API's errors made outside our handlers (axum's own refusals:
/// a body too large, a malformed path) the JSON body every error has.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/tiles/");
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !api || json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let text = axum::body::to_bytes(res.into_body(), 64 * 1024).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_string();
    let e = match status.as_u16() {
        413 => AppError::TooLarge(format!(
            "the request body is larger than the {} MiB the API takes{}",
            MAX_BODY >> 20,
            if message.is_empty() { String::new() } else { format!(" ({message})") }
        )),
        404 => AppError::NotFound(message),
        405 => AppError::MethodNotAllowed(message),
        415 => AppError::UnsupportedMediaType(message),
        s if s >= 500 => AppError::Internal(message),
        _ => AppError::BadRequest(message),
    };
    e.into_response()
}

/// Serves `app` on `listener` until `shutdown` completes, each connection
/// held to [`Limits::header`] (HTTP/1.1; the request limit is the
/// application's, [`deadline`]). Every request carries its peer's address
/// (`ConnectInfo`).
///
/// Shutting down is graceful: the listener closes, idle connections close,
/// and the requests in flight are answered (a supervisor's stop or a
/// rolling restart behind a load balancer loses no write it was sent); a
/// request still running [`Limits::request`] and five seconds later is cut.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    let mut shutdown = std::pin::pin!(shutdown);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, a connection reset before accept: go on.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let service = app.clone().map_request(move |req: Request<hyper::body::Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header);
            let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let mut conn = std::pin::pin!(conn.with_upgrades());
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, client = %peer, "connection ended");
            }
        });
    }
    drop(listener);
    let in_flight = connections.len();
    let _ = stop.send(true);
    tracing::info!(connections = in_flight, "stopping: answering the requests in flight");
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.request + Duration::from_secs(5), drained).await.is_err() {
        tracing::warn!(connections = connections.len(), "stopping: requests still running were cut");
        connections.abort_all();
    }
    Ok(())
}
