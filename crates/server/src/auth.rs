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
use crate::sessions::SignedIn;
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use safeground_core::access::{decide, Action, Principal};
use safeground_store::KeptSession;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The session cookie.
pub const SESSION_COOKIE: &str = "sg_session";
/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// …and after this long in any case.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// How login attempts are held off: every attempt counts before its password
/// is checked (so attempts sent at once cannot slip past), a key's first
/// `free - 1` failures cost nothing, and from the `free`-th on each makes the
/// key wait twice as long as the one before, from a second up to `cap`. Failures are
/// forgotten [`THROTTLE_WINDOW`] after the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub free: u32,
    pub cap: Duration,
}

/// One name from one client address: the brute force of one password.
pub const PER_NAME_AND_ADDRESS: Limit = Limit { free: 5, cap: Duration::from_secs(15 * 60) };
/// One client address, whatever the names (behind a reverse proxy, the
/// address it forwards from `X-Forwarded-For` when it is a trusted proxy).
pub const PER_ADDRESS: Limit = Limit { free: 20, cap: Duration::from_secs(15 * 60) };
/// One name from every address: slows a guess spread over many machines, but
/// never holds its holder off for more than a minute.
pub const PER_NAME: Limit = Limit { free: 20, cap: Duration::from_secs(60) };
/// How long failures are remembered after the last one.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How long a key waits after its `failures`-th failure under `limit`.
///
/// ```
/// use safeground_server::auth::{delay, Limit};
/// use std::time::Duration;
/// let l = Limit { free: 5, cap: Duration::from_secs(60) };
/// assert_eq!(delay(4, l), Duration::ZERO);
/// assert_eq!(delay(5, l), Duration::from_secs(1));
/// assert_eq!(delay(7, l), Duration::from_secs(4));
/// assert_eq!(delay(40, l), Duration::from_secs(60));
/// ```
pub fn delay(failures: u32, limit: Limit) -> Duration {
    if failures < limit.free {
        return Duration::ZERO;
    }
    let doublings = (failures - limit.free).min(30);
    Duration::from_secs(1u64 << doublings).min(limit.cap)
}

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
    ("GET", "/api/health/live", Rule::Public),
    ("GET", "/api/health/ready", Rule::Public),
    ("GET", "/api/openapi.json", Rule::Public),
    ("GET", "/metrics", Rule::Allowed(Action::ManageUsers)),
    ("POST", "/api/login", Rule::Public),
    ("POST", "/api/logout", Rule::Allowed(Action::ManageSelf)),
    ("GET", "/api/me", Rule::Allowed(Action::ManageSelf)),
    ("GET", "/api/users", Rule::Allowed(Action::ManageUsers)),
    ("POST", "/api/users", Rule::Allowed(Action::ManageUsers)),
    ("PATCH", "/api/users/{name}", Rule::Allowed(Action::ManageUsers)),
    ("POST", "/api/users/{name}/tokens", Rule::Allowed(Action::ManageUsers)),
    ("POST", "/api/tokens/{id}/revocation", Rule::Allowed(Action::ManageUsers)),
    ("GET", "/api/summary", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/extent", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}/history", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}/attachments", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/hazards/{id}/certificate", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/hazards/{id}/certificate/pdf", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/maps/print", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/places", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/records/{layer}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/trace", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/layers/{layer}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/exports/{layer}", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/imports", Rule::Allowed(Action::Import)),
    ("POST", "/api/checkouts", Rule::Allowed(Action::Export)),
    ("POST", "/api/transfers", Rule::Allowed(Action::SubmitReport)),
    ("GET", "/api/transfers/{id}", Rule::Allowed(Action::ManageSelf)),
    ("DELETE", "/api/transfers/{id}", Rule::Allowed(Action::ManageSelf)),
    ("GET", "/api/transfers/{id}/data", Rule::Allowed(Action::ManageSelf)),
    ("PUT", "/api/transfers/{id}/data", Rule::Allowed(Action::SubmitReport)),
    ("POST", "/api/transfers/{id}/import", Rule::Allowed(Action::SubmitReport)),
    ("GET", "/api/organisations", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/organisations", Rule::Allowed(Action::ManageReference)),
    ("POST", "/api/submissions", Rule::Allowed(Action::SubmitReport)),
    ("POST", "/api/reports/{id}/submission", Rule::Allowed(Action::SubmitReport)),
    ("GET", "/tiles/{layer}/{z}/{x}/{y}", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/stats/released-by-month", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/kpi", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/accreditations", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/accreditations", Rule::Allowed(Action::DecideReport)),
    ("POST", "/api/accreditations/{reference}/suspension", Rule::Allowed(Action::DecideReport)),
    ("GET", "/api/residuals", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/inspections", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/priorities", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/tasks", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/tasks", Rule::Allowed(Action::IssueTask)),
    ("POST", "/api/tasks/{code}/cancellation", Rule::Allowed(Action::IssueTask)),
    ("POST", "/api/rankings", Rule::Allowed(Action::IssueTask)),
    ("POST", "/api/rankings/{code}/tasks", Rule::Allowed(Action::IssueTask)),
    ("GET", "/api/ncrs", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/ncrs/rates", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/investigations", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/investigations", Rule::Allowed(Action::Investigate)),
    ("POST", "/api/investigations/{code}/board", Rule::Allowed(Action::Investigate)),
    ("POST", "/api/investigations/{code}/conclusion", Rule::Allowed(Action::Investigate)),
    ("POST", "/api/investigations/{code}/ncrs", Rule::Allowed(Action::RaiseNonConformity)),
    ("POST", "/api/ncrs", Rule::Allowed(Action::RaiseNonConformity)),
    ("POST", "/api/ncrs/{code}/answer", Rule::Allowed(Action::AnswerNonConformity)),
    ("POST", "/api/ncrs/{code}/close", Rule::Allowed(Action::CloseNonConformity)),
    ("GET", "/api/victims", Rule::Allowed(Action::ReadPersonal)),
    ("GET", "/api/victims/{id}", Rule::Allowed(Action::ReadPersonal)),
    ("POST", "/api/victims/{id}/consent", Rule::Allowed(Action::RecordAssistance)),
    ("POST", "/api/victims/{id}/withdrawal", Rule::Allowed(Action::RecordAssistance)),
    ("POST", "/api/victims/{id}/assistance", Rule::Allowed(Action::RecordAssistance)),
    ("GET", "/api/assistance/figures", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/reference", Rule::Allowed(Action::ReadRegister)),
    ("POST", "/api/traverse", Rule::Allowed(Action::ReadRegister)),
    ("GET", "/api/reports", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/reports/{id}", Rule::Allowed(Action::ReadReports)),
    // Each handler also checks the report's organisation (and personal data).
    ("GET", "/api/reports/{id}/attachments", Rule::Allowed(Action::ReadReports)),
    ("POST", "/api/reports/{id}/attachments", Rule::Allowed(Action::SubmitReport)),
    ("GET", "/api/attachments/{id}", Rule::Allowed(Action::ReadReports)),
    ("GET", "/api/attachments/{id}/thumbnail", Rule::Allowed(Action::ReadReports)),
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

pub(crate) fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The SHA-256 of a secret, in hex: what is kept of a session's cookie.
pub(crate) fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The throttling keys of a login: the name from this address, the address,
/// and the name from anywhere.
pub fn throttle_keys(name: &str, addr: Option<IpAddr>) -> Vec<(String, Limit)> {
    let name = name.trim().to_lowercase();
    let from = addr.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    let mut keys =
        vec![(format!("name:{name}@{from}"), PER_NAME_AND_ADDRESS), (format!("name:{name}"), PER_NAME)];
    if addr.is_some() {
        keys.push((format!("addr:{from}"), PER_ADDRESS));
    }
    keys
}

/// The names the server answers to in `Host`. A page on another name —
/// re-pointed at 127.0.0.1 by its owner (DNS rebinding) — runs in a browser
/// on this machine with that name as its origin: answering it would hand the
/// register to any web site. So only loopback names at the server's port are
/// answered, and, on a register with accounts, the public names given with
/// `serve --public-host`; every other name gets 421.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// The port the server listens on; `None` (an app built for tests) takes
    /// loopback names at any port.
    port: Option<u16>,
    /// Public names (`name` at any port, or `name:port`), lower case.
    public: Vec<String>,
}

impl Hosts {
    /// Loopback names at `port`, and the `public` names.
    pub fn new(port: u16, public: &[String]) -> Hosts {
        Hosts { port: Some(port), public: public.iter().map(|h| h.trim().to_ascii_lowercase()).collect() }
    }

    /// Whether a request whose `Host` is `host` is answered.
    ///
    /// ```
    /// use safeground_server::auth::Hosts;
    /// let h = Hosts::new(8080, &["register.example.org".into()]);
    /// assert!(h.allows("127.0.0.1:8080") && h.allows("localhost:8080") && h.allows("[::1]:8080"));
    /// assert!(h.allows("register.example.org") && h.allows("Register.Example.org:443"));
    /// assert!(!h.allows("localhost:9090") && !h.allows("attacker.example:8080"));
    /// ```
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host.rsplit_once(':') {
            Some((n, p)) if !n.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !n.ends_with(':') => {
                (n, p.parse::<u16>().ok())
            }
            _ => (host.as_str(), None),
        };
        let loopback = ["127.0.0.1", "localhost", "[::1]"].contains(&name);
        let port_ok = match (self.port, port) {
            (None, _) => true,
            (Some(ours), Some(asked)) => ours == asked,
            (Some(ours), None) => ours == 80,
        };
        (loopback && port_ok) || self.public.iter().any(|p| *p == host || *p == name)
    }
}

/// Answers 421 to a request whose `Host` the server does not answer to
/// ([`Hosts`]); one without `Host` cannot come from a browser and passes.
/// The health checks pass by any name: a load balancer or a supervisor asks
/// by the server's address, and they tell a page nothing but "ok".
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let health = matches!(req.uri().path(), "/api/health" | "/api/health/live" | "/api/health/ready")
        && (req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD);
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or("?").to_string());
    match host.filter(|_| !health) {
        Some(h) if !state.hosts.allows(&h) => AppError::Misdirected(format!(
            "this server does not answer to the name '{h}': open it as http://127.0.0.1:PORT/ or by a name \
             given with `serve --public-host`"
        ))
        .into_response(),
        _ => next.run(req).await,
    }
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

/// The client's address: the peer's, or — when the peer is one of the
/// `trusted` reverse proxies — the nearest address in `X-Forwarded-For` that
/// is not a trusted proxy (the header is the client's to write, so only the
/// part our own proxies appended is believed).
pub fn client_addr(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    Some(forwarded.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer))
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
    let token = cookie(headers, SESSION_COOKIE);
    let session = match &token {
        Some(t) => state.sessions.find(state, t).await?,
        None => None,
    };
    let Some(SignedIn { session: KeptSession { generation, csrf, .. }, principal: p, generation: now }) =
        session
    else {
        return Err(AppError::Unauthenticated("sign in first (POST /api/login)".into()));
    };
    if now != generation {
        if let Some(t) = &token {
            state.sessions.end(state, t).await?;
        }
        return Err(AppError::Unauthenticated(
            "the account has changed (its password, role or state) since you signed in; sign in again".into(),
        ));
    }
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

/// The Content-Security-Policy of every response: our own scripts and
/// stylesheets only (no inline style attributes: colours are set through the
/// CSSOM); the map's workers from blob URLs as MapLibre makes them.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; \
    font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Security headers on every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/tiles/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Added beside a policy of the response's own (an attachment's sandbox):
    // a browser enforces every policy it is sent, so neither loosens the other.
    h.append(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The organisation an operator's reads are limited to: `Some(its
/// organisation)` for an operator (`Some(None)`: it has none, and reads
/// nothing), `None` for the authority's roles, which read all.
pub(crate) fn operator_scope(c: &Caller) -> Option<Option<uuid::Uuid>> {
    (c.principal.role == safeground_core::access::Role::Operator).then_some(c.principal.organisation)
}
