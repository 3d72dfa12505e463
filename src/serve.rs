//! `safeground serve`: the HTTP API over the register.

use anyhow::{bail, Context, Result};
use clap::Args;
use safeground_server::{app, AppState, Hosts, Limits, Mode};
use safeground_store::{Location, Store};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen. A register without accounts is served to this machine
    /// only (loopback), so it is never open to a network without logins.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Mark the session cookie Secure (when a TLS proxy serves us as https).
    #[arg(long)]
    secure_cookies: bool,
    /// A name people reach the server by (`register.example.org`, or with a
    /// port), beside 127.0.0.1, localhost and [::1] at its port; requests
    /// naming any other host are refused (421), against DNS rebinding.
    /// Repeat it for several names; needed to listen on 0.0.0.0 or [::].
    #[arg(long = "public-host", value_name = "NAME[:PORT]")]
    public_hosts: Vec<String>,
    /// A reverse proxy in front of the server (its address): the client's
    /// address for login throttling is then read from the X-Forwarded-For
    /// that proxy appends. Repeat it for several proxies.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<IpAddr>,
    /// Seconds a client has to send a request's headers, and a kept-alive
    /// connection to start its next request.
    #[arg(long, default_value_t = Limits::default().header.as_secs(), value_name = "SECONDS")]
    header_timeout: u64,
    /// Seconds the server takes at most to answer a request.
    #[arg(long, default_value_t = Limits::default().request.as_secs(), value_name = "SECONDS")]
    request_timeout: u64,
    /// The most positions one polygon of a report may have when it is checked or approved.
    #[arg(long, default_value_t = safeground_core::validate::MAX_VERTICES)]
    max_vertices: usize,
    /// The largest file (MB) that may be attached to a report.
    #[arg(long, default_value_t = safeground_core::attachment::DEFAULT_MAX_BYTES >> 20, value_name = "MB")]
    max_attachment_mb: u64,
    /// How log lines are written on standard error: `text` for a person,
    /// `json` (one object per line, with each request's id) for a log
    /// collector. JSON logs every request.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log a line for every request (method, route, status, time, its id);
    /// otherwise only failures of the server are.
    #[arg(long)]
    access_log: bool,
    /// Also serve Prometheus metrics at http://ADDR/metrics with no login,
    /// for a monitoring network (on the main address they are for
    /// administrators, e.g. a scraper with an administrator's API token).
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// A streaming replica of the PostgreSQL register for the read routes
    /// (summary, hazards, reports lists, layers, tiles, …); every write goes
    /// to --db. A writer's own writes are always shown to it; while the
    /// replica is down or lagging, reads go to the primary with a warning.
    #[arg(long, env = "SAFEGROUND_READ_DB", value_name = "URL")]
    read_db: Option<Location>,
    /// How far behind the primary the replica may be, in seconds, before
    /// reads go to the primary instead.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    read_max_lag: u64,
    /// Seconds between the stop signal and the stop, during which
    /// /api/health/ready answers 503 while every request is still served:
    /// time for a load balancer's health check to send new requests to the
    /// other servers (a few of its check intervals).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    shutdown_grace: u64,
    /// The most connections this server opens to the register (and to the
    /// replica): requests beyond wait for one. Keep the servers' sum under
    /// PostgreSQL's max_connections (100 by default).
    #[arg(long, default_value_t = safeground_server::DEFAULT_CONNECTIONS, value_name = "N")]
    db_connections: usize,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl ServeArgs {
    /// Serving `addr` on loopback with every other setting at its default (the demo).
    pub fn on(addr: SocketAddr) -> ServeArgs {
        ServeArgs {
            addr,
            secure_cookies: false,
            public_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            header_timeout: Limits::default().header.as_secs(),
            request_timeout: Limits::default().request.as_secs(),
            max_vertices: safeground_core::validate::MAX_VERTICES,
            max_attachment_mb: safeground_core::attachment::DEFAULT_MAX_BYTES >> 20,
            log_format: LogFormat::Text,
            access_log: false,
            metrics_addr: None,
            read_db: None,
            read_max_lag: 30,
            shutdown_grace: 0,
            db_connections: safeground_server::DEFAULT_CONNECTIONS,
        }
    }
}

/// Serves the register at `db` as `a` says until Ctrl-C or SIGTERM, then
/// answers the requests in flight and returns.
pub fn run(db: &Location, actor: &str, a: &ServeArgs) -> Result<()> {
    // Opening it here makes a wrong path or a file that is not ours fail now, not on the first request.
    if a.db_connections == 0 {
        bail!("--db-connections is a number of connections, at least 1");
    }
    // Every line the server writes to standard error goes through the
    // logger from here on, so that with --log-format json each is JSON.
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false);
    let _ = match a.log_format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).try_init(),
    };
    let mut state = AppState::new(db, actor)?.with_connections(a.db_connections);
    let accounts = matches!(state.mode, Mode::Accounts);
    check_exposure(accounts, a)?;
    if a.header_timeout == 0 || a.request_timeout == 0 {
        bail!("--header-timeout and --request-timeout are seconds, at least 1");
    }
    state.secure_cookies = a.secure_cookies;
    state.proxies = Arc::new(a.trusted_proxies.clone());
    state.limits = Limits {
        header: Duration::from_secs(a.header_timeout),
        request: Duration::from_secs(a.request_timeout),
    };
    state.max_vertices = a.max_vertices;
    state.attachments =
        safeground_core::attachment::Limits { max_bytes: a.max_attachment_mb.saturating_mul(1 << 20) };
    if let Some(read) = &a.read_db {
        state.replica = Some(Arc::new(replica(db, read, a.read_max_lag, a.db_connections)?));
    }
    state.documents = Some(Arc::new(Documents));
    state.access_log = a.access_log || a.log_format == LogFormat::Json;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("listening on {}", a.addr))?;
        let shown = listener.local_addr().unwrap_or(a.addr);
        // The names it answers to, at the port it got (`--addr …:0` picks one).
        let mut public = a.public_hosts.clone();
        if !shown.ip().is_unspecified() && !shown.ip().is_loopback() {
            public.push(shown.to_string());
        }
        state.hosts = Arc::new(Hosts::new(shown.port(), if accounts { &public } else { &[] }));
        println!(
            "Serving {} at http://{shown}/ — the map, dashboard, approval queue and survey form; \
             the API is described at http://{shown}/api/openapi.json. Ctrl-C stops.",
            db,
        );
        if accounts {
            println!("Accounts are on: sign in with yours (added with `safeground user add`).");
        } else {
            println!("This register has no accounts: it is yours alone, served to this machine only.");
        }
        let limits = state.limits;
        if let Some(at) = a.metrics_addr {
            let metrics = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("listening for metrics on {at}"))?;
            println!("Metrics for Prometheus at http://{}/metrics.", metrics.local_addr().unwrap_or(at));
            let serving = safeground_server::metrics_app(state.clone());
            tokio::spawn(safeground_server::limits::serve(metrics, serving, limits, std::future::pending()));
        }
        let (stopping, grace) = (state.stopping.clone(), Duration::from_secs(a.shutdown_grace));
        let stop = async move {
            stop_signal().await;
            stopping.store(true, std::sync::atomic::Ordering::Relaxed);
            // A second signal stops at once, whatever is in flight.
            tokio::spawn(async {
                stop_signal().await;
                tracing::warn!("stopped at once: a second signal");
                std::process::exit(130);
            });
            if !grace.is_zero() {
                tracing::info!("stopping: not ready for {} s, still serving what is sent", grace.as_secs());
                tokio::time::sleep(grace).await;
            }
        };
        safeground_server::limits::serve(listener, app(state), limits, stop).await.context("serving")
    });
    // Work on blocking threads (a query that does not end) is given five
    // seconds more, not waited for without end.
    runtime.shutdown_timeout(Duration::from_secs(5));
    safeground_server::finish_closing();
    served
}

/// The replica at `read` of the register at `db`: checked now, so that a
/// wrong URL says so at the start; one that does not answer yet is used
/// once it does.
fn replica(
    db: &Location,
    read: &Location,
    max_lag: u64,
    connections: usize,
) -> Result<safeground_server::replica::Replica> {
    if !db.is_postgres() || !read.is_postgres() {
        bail!("--read-db is a streaming replica of a PostgreSQL register: both --db and --read-db are postgres:// URLs");
    }
    match Store::open(read).and_then(|s| s.replica_state(None)) {
        Ok(s) if !s.standby => bail!(
            "{read} is not a standby (pg_is_in_recovery() is false): give --read-db a streaming replica of {db}, \
             never a second primary, whose data would differ"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("the replica {read} does not answer ({e}); reads go to the primary until it does"),
    }
    Ok(safeground_server::replica::Replica::new(read.clone(), Duration::from_secs(max_lag), connections))
}

/// Ctrl-C, or SIGTERM (what systemd, a container runtime or `kill` sends):
/// either stops the server gracefully.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Refuses what would expose the register, and warns of what may.
fn check_exposure(accounts: bool, a: &ServeArgs) -> Result<()> {
    let ip = a.addr.ip();
    if !accounts && !ip.is_loopback() {
        bail!(
            "refusing to listen on {}: this register has no accounts, so it is served only to this machine \
             (127.0.0.1 or ::1). Add an administrator first (`safeground user add NAME --role administrator`)",
            a.addr
        );
    }
    if let Some(m) = a.metrics_addr.filter(|m| !accounts && !m.ip().is_loopback()) {
        bail!(
            "refusing to serve metrics on {m}: this register has no accounts, so it is served only to this \
             machine; give --metrics-addr a loopback address (127.0.0.1:PORT)"
        );
    }
    if ip.is_unspecified() && a.public_hosts.is_empty() {
        bail!(
            "listening on {} serves every network of this machine: name the host people reach it by with \
             --public-host (e.g. --public-host register.example.org, or --public-host 192.0.2.10:{}); \
             requests naming any other host are refused, against DNS rebinding",
            a.addr,
            a.addr.port()
        );
    }
    if !ip.is_loopback() && !a.secure_cookies {
        tracing::warn!(
            "serving {} over plain HTTP without --secure-cookies: passwords and session cookies \
             cross the network readable by anyone on it. Put a TLS reverse proxy in front \
             (README, *Serving*) and pass --secure-cookies.",
            a.addr
        );
    }
    Ok(())
}

/// The documents the server hands out, made by this binary's builders.
#[derive(Debug)]
struct Documents;

impl safeground_server::Documents for Documents {
    fn certificate(&self, store: &Store, db: &Location, hazard: &str, lang: &str) -> Result<Vec<u8>, String> {
        crate::certificate::pdf(store, db, hazard, lang).map_err(|e| format!("{e:#}"))
    }

    fn map(
        &self,
        store: &Store,
        db: &Location,
        sheet: &safeground_server::maps::MapSheet,
    ) -> Result<Vec<u8>, String> {
        crate::sheet::pdf(store, db, sheet).map_err(|e| format!("{e:#}"))
    }
}
