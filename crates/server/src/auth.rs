//! Who is asking, and whether they may: sessions, API tokens, CSRF, login
//! throttling, and [`POLICY`], the table that gives every route its action.
//!
//! Every route of the API passes through [`gate`]: a route without a line in
//! [`POLICY`] is refused (denied by default); otherwise the principal is found
//! (the local user of a register without accounts, a session cookie, or an
//! `Authorization: Bearer` API token) and `core::access::decide` answers. A
//! request carried by a session cookie must also carry the session's CSRF
//! token in `X-CSRF-Token` to change anything, and no cross-site request may
//! change anything at all (its `Origin` is checked).

use crate::api::with_store;
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use safeground_core::access::{decide, Action, Principal};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The session cookie.
pub const SESSION_COOKIE: &str = "sg_session";
/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// …and after this long in any case.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per account name, and per client address, in [`THROTTLE_WINDOW`].
pub const MAX_FAILURES_PER_NAME: u32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// How long failures are remembered, and how long a throttled name or address waits.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// A principal allowed this action.
    Allowed(Action),
}

/// Every route of the API with what it needs. A route missing here is refused.
pub const POLICY: &[(&str, &str, Rule)] = &[
    ("GET", "/api/health", Rule::Public),
    ("GET", "/api/openapi.json", Rule::Public),
    ("POST", "/api/login", Rule::Public),
    ("POST", "/api/logout", Rule::Allowed(Action::ManageSelf)),
    ("GET", "/api/me", Rule::Allowed(Action::ManageSelf)),
    ("GET", "/api/users", Rule::Allowed(Action::ManageUsers)),
    ("GET", "/api/summary", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}/history", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/trace", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/layers/{layer}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/tiles/{layer}/{z}/{x}/{y}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/stats/released-by-month", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/reference", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/traverse", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/reports", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/reports/{id}", Rule::Allowed(Action::ReadReports)),
    ("POST", "/api/reports", Rule::Allowed(Action::SubmitReport)),
    ("POST", "/api/reports/{id}/check", Rule::Allowed(Action::DecideReport)),
    ("POST", "/api/reports/{id}/approve", Rule::Allowed(Action::DecideReport)),
    ("POST", "/api/reports/{id}/reject", Rule::Allowed(Action::DecideReport)),
    ("POST", "/api/reports/{id}/unapprove", Rule::Allowed(Action::DecideReport)),
];

/// The rule for a method and matched route, if there is one.
pub fn rule(method: &Method, path: &str) -> Option<Rule> {
    let m = if method == Method::HEAD { "GET" } else { method.as_str() };
    POLICY.iter().find(|(pm, pp, _)| *pm == m && *pp == path).map(|(_, _, r)| *r)
}

/// Whether the register is one person's (no accounts: served to this machine
/// only, everything allowed) or has accounts.
#[derive(Debug, Clone)]
pub enum Mode {
    Local { actor: String },
    Accounts,
}

#[derive(Debug, Clone)]
struct Session {
    user: Uuid,
    csrf: String,
    started: Instant,
    seen: Instant,
}

/// Sessions (in memory: a restart signs everyone out) and login failures.
#[derive(Debug)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// How long a session lasts without a request, and in any case.
    idle: Duration,
    max: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            by_token: Mutex::default(),
            failures: Mutex::default(),
            idle: SESSION_IDLE,
            max: SESSION_MAX,
        }
    }
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    /// Sessions that end after `idle` without a request, and after `max`.
    pub fn with_limits(idle: Duration, max: Duration) -> Sessions {
        Sessions { idle, max, ..Default::default() }
    }

    /// Starts a session; returns its token (the cookie) and its CSRF token.
    pub fn start(&self, user: Uuid) -> (String, String) {
        let (token, csrf) = (random_hex(), random_hex());
        let now = Instant::now();
        if let Ok(mut m) = self.by_token.lock() {
            m.retain(|_, s| now - s.seen < self.idle && now - s.started < self.max);
            m.insert(digest(&token), Session { user, csrf: csrf.clone(), started: now, seen: now });
        }
        (token, csrf)
    }

    /// The session of a token, if in force (touching it).
    fn find(&self, token: &str) -> Option<(Uuid, String)> {
        let mut m = self.by_token.lock().ok()?;
        let key = digest(token);
        let now = Instant::now();
        let s = m.get_mut(&key)?;
        if now - s.seen >= self.idle || now - s.started >= self.max {
            m.remove(&key);
            return None;
        }
        s.seen = now;
        Some((s.user, s.csrf.clone()))
    }

    pub fn end(&self, token: &str) {
        if let Ok(mut m) = self.by_token.lock() {
            m.remove(&digest(token));
        }
    }

    /// Seconds to wait if `keys` (a name, an address) have failed too often.
    pub fn throttled(&self, keys: &[(String, u32)]) -> Option<u64> {
        let m = self.failures.lock().ok()?;
        let now = Instant::now();
        keys.iter()
            .filter_map(|(k, max)| m.get(k).filter(|(n, first)| n >= max && now - *first < THROTTLE_WINDOW))
            .map(|(_, first)| (THROTTLE_WINDOW - (now - *first)).as_secs().max(1))
            .max()
    }

    pub fn failed(&self, keys: &[(String, u32)]) {
        if let Ok(mut m) = self.failures.lock() {
            let now = Instant::now();
            m.retain(|_, (_, first)| now - *first < THROTTLE_WINDOW);
            for (k, _) in keys {
                m.entry(k.clone()).or_insert((0, now)).0 += 1;
            }
        }
    }

    pub fn succeeded(&self, name_key: &str) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(name_key);
        }
    }
}

/// The throttling keys of a login: the name, and the client's address.
pub fn throttle_keys(name: &str, addr: Option<SocketAddr>) -> Vec<(String, u32)> {
    let mut keys = vec![(format!("name:{}", name.trim().to_lowercase()), MAX_FAILURES_PER_NAME)];
    if let Some(a) = addr {
        keys.push((format!("addr:{}", a.ip()), MAX_FAILURES_PER_ADDRESS));
    }
    keys
}

/// The value of a cookie in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// How the principal of a request was established.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The session's CSRF token (cookie sessions only).
    pub csrf: Option<String>,
}

/// The client's address, when the server was started with it.
pub fn client_addr(req: &Request) -> Option<SocketAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A request from another site (its `Origin` is not this host) may read
/// nothing of ours and change nothing.
fn cross_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// The gate every API route passes: the rule of the route, the principal, CSRF, the decision.
pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match admit(&state, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn admit(state: &AppState, req: &mut Request) -> Result<(), AppError> {
    let path = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
    let method = req.method().clone();
    let Some(rule) = rule(&method, &path) else {
        return Err(AppError::Forbidden(format!("{method} {path} has no access rule: denied by default")));
    };
    if unsafe_method(&method) && cross_site(req.headers()) {
        return Err(AppError::Csrf("a request from another site may not change the register".into()));
    }
    let action = match rule {
        Rule::Public => return Ok(()),
        Rule::Allowed(a) => a,
    };
    let caller = caller(state, req.headers()).await?;
    if unsafe_method(&method) {
        if let Some(expected) = &caller.csrf {
            let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same(sent, expected) {
                return Err(AppError::Csrf(
                    "this change needs the session's CSRF token in the X-CSRF-Token header (from /api/me)"
                        .into(),
                ));
            }
        }
    }
    decide(&caller.principal, action, safeground_core::access::Scope::Any)
        .map_err(|d| AppError::Forbidden(d.to_string()))?;
    req.extensions_mut().insert(caller);
    Ok(())
}

/// Who sends these headers: the local user, a session, or an API token.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if let Mode::Local { actor } = &state.mode {
        return Ok(Caller { principal: Principal::local(actor), csrf: None });
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    if let Some(token) = bearer {
        let p = with_store(state, move |s| Ok(s.token_principal(&token)?)).await?;
        return p.map(|principal| Caller { principal, csrf: None }).ok_or_else(|| {
            AppError::Unauthenticated("the API token is not in force (revoked, expired or unknown)".into())
        });
    }
    let session = cookie(headers, SESSION_COOKIE).and_then(|t| state.sessions.find(&t));
    let Some((user, csrf)) = session else {
        return Err(AppError::Unauthenticated("sign in first (POST /api/login)".into()));
    };
    let p = with_store(state, move |s| Ok(s.principal(user)?)).await?;
    p.map(|principal| Caller { principal, csrf: Some(csrf) })
        .ok_or_else(|| AppError::Unauthenticated("the account was disabled; sign in again".into()))
}

/// The session cookie to set (or, with an empty token, to clear).
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let age = if token.is_empty() { 0 } else { SESSION_MAX.as_secs() };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sg_session=; Max-Age=0"))
}

/// The Content-Security-Policy of every response: our own scripts only; the
/// map's workers from blob URLs as MapLibre makes them.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; \
    font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Security headers on every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/tiles/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
