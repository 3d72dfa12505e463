//! `safeground serve`: the HTTP API over the register.

use anyhow::{bail, Context, Result};
use clap::Args;
use safeground_server::{app, AppState};
use safeground_store::Store;
use std::net::SocketAddr;
use std::path::Path;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen. Only loopback addresses until accounts exist, so the
    /// register is never open to a network without logins.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
}

pub fn run(db: &Path, actor: &str, a: &ServeArgs) -> Result<()> {
    serve(db, actor, a.addr)
}

/// Serves the register at `db` on `addr` until Ctrl-C.
pub fn serve(db: &Path, actor: &str, addr: SocketAddr) -> Result<()> {
    let a = ServeArgs { addr };
    if !a.addr.ip().is_loopback() {
        bail!(
            "refusing to listen on {}: safeground has no accounts yet, so it serves only this machine \
             (127.0.0.1 or ::1); put it behind an authenticating proxy if others must reach it",
            a.addr
        );
    }
    // Open it once here so a wrong path or a file that is not ours fails now, not on the first request.
    Store::open(db)?;
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
        axum::serve(listener, app(AppState::new(db, actor)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}
