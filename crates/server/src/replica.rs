//! Reads sent to a streaming replica (`serve --read-db`), writes to the
//! primary, and a writer shown its own writes.
//!
//! The read routes (summary, hazards, reports lists, layers, tiles, …) go
//! through [`with_read_store`]: to the replica when it answers as a standby,
//! is at most `max_lag` behind, and has replayed the caller's last write;
//! otherwise to the primary, with a warning when the replica is down or
//! lagging. A write's response carries the primary's log position after it
//! (the `sg_wal` cookie for a browser, `X-Wal-Position` for a script, which
//! may send it back as `X-Read-After`), so the writer's next reads wait for
//! nothing and never show the register before its own change. No state is
//! kept on the server: any server of a cluster can answer the next read.

use crate::api::{on_store, with_store};
use crate::{AppError, AppState, StorePool};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use safeground_store::{is_lsn, Location, Store};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The cookie that carries the position of the browser's last write.
pub const WAL_COOKIE: &str = "sg_wal";

tokio::task_local! {
    /// The log position the request's reads must see (its sender's last write).
    static READ_AFTER: Option<String>;
}

/// A streaming replica the read routes are sent to.
#[derive(Debug)]
pub struct Replica {
    db: Location,
    pool: StorePool,
    max_lag: Duration,
    /// When the last warning was written (ms since 1970), so that a replica
    /// down writes one line every thirty seconds, not one per read.
    warned: AtomicI64,
}

impl Replica {
    /// The replica at `db`, used while at most `max_lag` behind the primary.
    pub fn new(db: Location, max_lag: Duration) -> Replica {
        Replica { db, pool: StorePool::default(), max_lag, warned: AtomicI64::new(0) }
    }

    /// Where it is.
    pub fn location(&self) -> &Location {
        &self.db
    }

    fn warn(&self, why: &str) {
        let now = crate::sessions::now_ms();
        let last = self.warned.load(Ordering::Relaxed);
        if now - last >= 30_000
            && self.warned.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(replica = %self.db, "reading from the primary: {why}");
        }
    }

    /// An open store on the replica fit to answer a read that must see
    /// `after`, or `None` (the read goes to the primary).
    fn fit(&self, after: Option<&str>) -> Option<Store> {
        let store = match self.pool.take(&self.db) {
            Ok(s) => s,
            Err(e) => {
                self.warn(&format!("the replica cannot be opened ({e})"));
                return None;
            }
        };
        match store.replica_state(after) {
            Ok(s) if !s.standby => {
                self.warn("the read database is not a standby (promoted?); give --read-db a replica");
                None
            }
            Ok(s) if s.lag_seconds > self.max_lag.as_secs_f64() => {
                self.warn(&format!("the replica is {:.0} s behind", s.lag_seconds));
                None
            }
            // The caller's own write has not reached it yet: not a fault.
            Ok(s) if !s.caught_up => None,
            Ok(_) => Some(store),
            Err(e) => {
                self.pool.clear();
                self.warn(&format!("the replica does not answer ({e})"));
                None
            }
        }
    }
}

/// Runs `f` on the replica when it is fit, else on the primary (as
/// [`with_store`] does).
pub(crate) async fn with_read_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let Some(replica) = state.replica.clone() else { return with_store(state, f).await };
    let after = READ_AFTER.try_with(Clone::clone).ok().flatten();
    let (db, pool) = (state.db.clone(), state.pool.clone());
    tokio::task::spawn_blocking(move || match replica.fit(after.as_deref()) {
        Some(store) => on_store(&replica.pool, &replica.db, Some(store), f),
        None => on_store(&pool, &db, None, f),
    })
    .await
    .map_err(|e| AppError::Internal(format!("a blocking task failed: {e}")))?
}

/// The position a request's reads must see: its `sg_wal` cookie or its
/// `X-Read-After` header, when written as a log position.
fn read_after(req: &Request) -> Option<String> {
    let header = req.headers().get("x-read-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    header.or_else(|| crate::auth::cookie(req.headers(), WAL_COOKIE)).filter(|l| is_lsn(l))
}

/// With a replica: gives the request's reads the position they must see,
/// and a successful change's response the primary's position after it.
pub async fn read_your_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.replica.is_none() {
        return next.run(req).await;
    }
    let change = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let after = read_after(&req);
    let mut res = READ_AFTER.scope(after, next.run(req)).await;
    if !change || !res.status().is_success() {
        return res;
    }
    match with_store(&state, |s| Ok(s.wal_position()?)).await {
        Ok(Some(lsn)) => {
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let cookie =
                format!("{WAL_COOKIE}={lsn}; HttpOnly; SameSite=Strict; Path=/; Max-Age=300{secure}");
            if let (Ok(c), Ok(h)) = (HeaderValue::from_str(&cookie), HeaderValue::from_str(&lsn)) {
                res.headers_mut().append(header::SET_COOKIE, c);
                res.headers_mut().insert("x-wal-position", h);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "the primary's log position after a write"),
    }
    res
}
