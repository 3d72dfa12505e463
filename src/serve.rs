//! `safeground serve`: the HTTP API over the register.

use anyhow::{bail, Context, Result};
use clap::Args;
use safeground_server::{app, AppState, Mode};
use std::net::SocketAddr;
use std::path::Path;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen. A register without accounts is served to this machine
    /// only (loopback), so it is never open to a network without logins.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Mark the session cookie Secure (when a TLS proxy serves us as https).
    #[arg(long)]
    secure_cookies: bool,
}

pub fn run(db: &Path, actor: &str, a: &ServeArgs) -> Result<()> {
    serve(db, actor, a.addr, a.secure_cookies)
}

/// Serves the register at `db` on `addr` until Ctrl-C.
pub fn serve(db: &Path, actor: &str, addr: SocketAddr, secure_cookies: bool) -> Result<()> {
    let a = ServeArgs { addr, secure_cookies };
    // Opening it here makes a wrong path or a file that is not ours fail now, not on the first request.
    let mut state = AppState::new(db, actor)?;
    state.secure_cookies = a.secure_cookies;
    let accounts = matches!(state.mode, Mode::Accounts);
    if !accounts && !a.addr.ip().is_loopback() {
        bail!(
            "refusing to listen on {}: this register has no accounts, so it is served only to this machine \
             (127.0.0.1 or ::1). Add an administrator first (`safeground user add NAME --role administrator`)",
            a.addr
        );
    }
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).try_init();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("listening on {}", a.addr))?;
        println!(
            "Serving {} at http://{}/ — the map, dashboard, approval queue and survey form; \
             the API is described at http://{}/api/openapi.json. Ctrl-C stops.",
            db.display(),
            a.addr,
            a.addr
        );
        if accounts {
            println!("Accounts are on: sign in with yours (added with `safeground user add`).");
        } else {
            println!("This register has no accounts: it is yours alone, served to this machine only.");
        }
        axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}
