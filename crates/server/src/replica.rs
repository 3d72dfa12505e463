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
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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
    /// down writes one line every thirty seconds, not one per read; reads
    /// that failed on it have their own line.
    warned: AtomicI64,
    warned_failed: AtomicI64,
    /// Until when (ms since 1970) the replica is not tried after it failed
    /// to answer: reads do not each wait for a dead host.
    resting_until: AtomicI64,
    /// Reads answered by the replica, and by the primary instead.
    pub(crate) reads: AtomicU64,
    pub(crate) diverted: AtomicU64,
    /// Reads the replica failed to answer (then answered by the primary).
    pub(crate) failed_read: AtomicU64,
}

impl Replica {
    /// The replica at `db`, used while at most `max_lag` behind the primary,
    /// with at most `connections` open to it.
    pub fn new(db: Location, max_lag: Duration, connections: usize) -> Replica {
        Replica {
            db,
            pool: StorePool::new(connections),
            max_lag,
            warned: AtomicI64::new(0),
            warned_failed: AtomicI64::new(0),
            resting_until: AtomicI64::new(0),
            reads: AtomicU64::new(0),
            diverted: AtomicU64::new(0),
            failed_read: AtomicU64::new(0),
        }
    }

    /// Where it is.
    pub fn location(&self) -> &Location {
        &self.db
    }

    /// How long the replica is left alone after it failed to answer.
    const REST_MS: i64 = 5_000;

    fn warn(&self, why: &str) {
        if Self::first_in_30s(&self.warned) {
            tracing::warn!(replica = %self.db, "reading from the primary: {why}");
        }
    }

    fn warn_failed(&self, why: &str) {
        if Self::first_in_30s(&self.warned_failed) {
            tracing::warn!(replica = %self.db, "a read failed on the replica and was answered by the primary: {why}");
        }
    }

    /// Whether a line kept in `slot` may be written now (and notes it).
    fn first_in_30s(slot: &AtomicI64) -> bool {
        let now = crate::sessions::now_ms();
        let last = slot.load(Ordering::Relaxed);
        now - last >= 30_000 && slot.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    fn failed(&self, why: &str) {
        self.resting_until.store(crate::sessions::now_ms() + Self::REST_MS, Ordering::Relaxed);
        self.warn(why);
    }

    /// An open store on the replica fit to answer a read that must see
    /// `after`, or `None` (the read goes to the primary).
    fn fit(&self, after: Option<&str>) -> Option<Store> {
        if crate::sessions::now_ms() < self.resting_until.load(Ordering::Relaxed) {
            return None;
        }
        let store = match self.pool.try_take(&self.db) {
            Some(Ok(s)) => s,
            // Every connection to the replica is busy: the primary answers.
            None => return None,
            Some(Err(e)) => {
                self.failed(&format!("the replica cannot be opened ({e})"));
                return None;
            }
        };
        let state = match store.replica_state(after) {
            Ok(s) => s,
            Err(e) => {
                self.pool.forget(store);
                self.pool.clear();
                self.failed(&format!("the replica does not answer ({e})"));
                return None;
            }
        };
        let unfit = if !state.standby {
            Some("the read database is not a standby (promoted?); give --read-db a replica".to_string())
        } else if !state.streaming {
            Some("the replica is not streaming from the primary".to_string())
        } else if state.lag_seconds > self.max_lag.as_secs_f64() {
            Some(format!("the replica is {:.0} s behind", state.lag_seconds))
        } else {
            None
        };
        if let Some(why) = unfit {
            self.pool.give_back(store);
            self.warn(&why);
            return None;
        }
        if !state.caught_up {
            // The caller's own write has not reached it yet: not a fault.
            self.pool.give_back(store);
            return None;
        }
        Some(store)
    }

    /// How long a writer's reads must see its write: as long as a replica
    /// may lag and still be read, and a minute more.
    fn remember_for(&self) -> u64 {
        self.max_lag.as_secs() + 60
    }
}

/// Runs `f` on the replica when it is fit, else on the primary (as
/// [`with_store`] does). A read the replica was interrupted answering (its
/// connection lost, or the query cancelled by a timeout or by a conflict
/// with replay, which a hot standby does to long reads:
/// `StoreError::Interrupted`) is run again on the primary: the caller sees
/// an answer, the log a warning. Any other failure is the caller's.
pub(crate) async fn with_read_store<T: Send + 'static>(
    state: &AppState,
    mut f: impl FnMut(&mut Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let Some(replica) = state.replica.clone() else { return with_store(state, f).await };
    let after = READ_AFTER.try_with(Clone::clone).ok().flatten();
    let (db, pool) = (state.db.clone(), state.pool.clone());
    tokio::task::spawn_blocking(move || {
        if let Some(store) = replica.fit(after.as_deref()) {
            match on_store(&replica.pool, &replica.db, Some(store), &mut f) {
                Err(AppError::Unavailable(e)) => {
                    replica.failed_read.fetch_add(1, Ordering::Relaxed);
                    replica.warn_failed(&e);
                }
                answer => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return answer;
                }
            }
        } else {
            replica.diverted.fetch_add(1, Ordering::Relaxed);
        }
        on_store(&pool, &db, None, f)
    })
    .await
    .map_err(|e| AppError::Internal(format!("a blocking task failed: {e}")))?
}

/// The position a request's reads must see: its `sg_wal` cookie or its
/// `X-Read-After` header, when written as a log position.
fn read_after(req: &Request) -> Option<String> {
    let header = req.headers().get("x-read-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    header
        .filter(|l| is_lsn(l))
        .or_else(|| crate::auth::cookie(req.headers(), WAL_COOKIE).filter(|l| is_lsn(l)))
}

/// With a replica: gives the request's reads the position they must see,
/// and a successful change's response the primary's position after it.
pub async fn read_your_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(replica) = state.replica.clone() else { return next.run(req).await };
    let change = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let after = read_after(&req);
    let mut res = READ_AFTER.scope(after, next.run(req)).await;
    if !change || !res.status().is_success() {
        return res;
    }
    match with_store(&state, |s| Ok(s.wal_position()?)).await {
        Ok(Some(lsn)) => {
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let age = replica.remember_for();
            let cookie =
                format!("{WAL_COOKIE}={lsn}; HttpOnly; SameSite=Strict; Path=/; Max-Age={age}{secure}");
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
