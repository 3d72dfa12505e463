//! Where sessions and failed logins are kept, and the rules of both.
//!
//! A PostgreSQL register keeps them in its own tables (schema 16), so that
//! any number of servers behind a load balancer act as one: a session made
//! on one is good on the others, failures spread over them add up, signing
//! out ends a session everywhere and a restart signs nobody out. A
//! GeoPackage has one server, which keeps them in its memory. Both go
//! through the same pure rules ([`attempt`], [`succeeded`], [`Clock`]).

use crate::api::with_store;
use crate::auth::{delay, Limit, THROTTLE_WINDOW};
use crate::{AppError, AppState};
use safeground_store::{FailuresChange, KeptSession, LoginFailures};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

/// A session in force, the account it signs in as (`None` when the account
/// is disabled) and the account's session generation now.
pub(crate) struct SignedIn {
    pub session: KeptSession,
    pub principal: Option<safeground_core::access::Principal>,
    pub generation: i64,
}

fn signed_in(s: &mut safeground_store::Store, session: KeptSession) -> Result<SignedIn, AppError> {
    let user = session.user;
    Ok(SignedIn { principal: s.principal(user)?, generation: s.session_generation(user)?, session })
}

/// Milliseconds since 1970 by this server's clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// When sessions end, seen from one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Now.
    pub now: i64,
    /// A session last seen at or before this has been idle too long.
    pub stale: i64,
    /// A session begun at or before this has lasted too long.
    pub old: i64,
    /// A session last seen before this is marked seen now (a kept session
    /// is not rewritten on every request).
    pub touch: i64,
}

impl Clock {
    /// The clock at `now` for sessions that end after `idle` without a
    /// request and after `max` in any case.
    ///
    /// ```
    /// use safeground_server::sessions::Clock;
    /// use std::time::Duration;
    /// let c = Clock::at(100_000, Duration::from_secs(30), Duration::from_secs(60));
    /// assert_eq!((c.stale, c.old, c.touch), (70_000, 40_000, 97_000));
    /// assert!(c.in_force(70_001, 40_001) && !c.in_force(70_000, 50_000) && !c.in_force(90_000, 40_000));
    /// ```
    pub fn at(now: i64, idle: Duration, max: Duration) -> Clock {
        // A tenth of the idle time, at most fifteen seconds: a session's
        // end moves by no more than that.
        let touch = (ms(idle) / 10).min(15_000);
        Clock {
            now,
            stale: now.saturating_sub(ms(idle)),
            old: now.saturating_sub(ms(max)),
            touch: now.saturating_sub(touch),
        }
    }

    /// Whether a session last seen at `seen` and begun at `started` is in force.
    pub fn in_force(&self, seen: i64, started: i64) -> bool {
        seen > self.stale && started > self.old
    }
}

/// A login attempt under `keys`, with the failures `kept` of each (those
/// older than [`THROTTLE_WINDOW`] already forgotten), at `now`: every key
/// counts the attempt before its password is checked, so that attempts sent
/// at once cannot slip past; `Err(seconds)` when a key must still wait that
/// long (the attempt is then not counted).
///
/// ```
/// use safeground_server::auth::Limit;
/// use safeground_server::sessions::attempt;
/// use safeground_store::LoginFailures;
/// use std::collections::HashMap;
/// use std::time::Duration;
/// let keys = [("name:imo".to_string(), Limit { free: 2, cap: Duration::from_secs(60) })];
/// let first = attempt(&keys, &HashMap::new(), 1_000).unwrap();
/// assert_eq!(first[0].1, Some(LoginFailures { count: 1, last_ms: 1_000, until_ms: 1_000 }));
/// let kept = HashMap::from([("name:imo".to_string(), first[0].1.unwrap())]);
/// let second = attempt(&keys, &kept, 1_500).unwrap();
/// assert_eq!(second[0].1, Some(LoginFailures { count: 2, last_ms: 1_500, until_ms: 2_500 }));
/// let kept = HashMap::from([("name:imo".to_string(), second[0].1.unwrap())]);
/// assert_eq!(attempt(&keys, &kept, 1_600), Err(1));
/// assert!(attempt(&keys, &kept, 2_500).is_ok());
/// ```
pub fn attempt(
    keys: &[(String, Limit)],
    kept: &HashMap<String, LoginFailures>,
    now: i64,
) -> Result<Vec<FailuresChange>, u64> {
    let wait = keys.iter().filter_map(|(k, _)| kept.get(k)).map(|f| f.until_ms - now).max().unwrap_or(0);
    if wait > 0 {
        return Err(u64::try_from(wait).unwrap_or(u64::MAX).div_ceil(1000).max(1));
    }
    Ok(keys
        .iter()
        .map(|(k, limit)| {
            let count = kept.get(k).map_or(0, |f| f.count).saturating_add(1);
            let until = now.saturating_add(ms(delay(count, *limit)));
            (k.clone(), Some(LoginFailures { count, last_ms: now, until_ms: until }))
        })
        .collect())
}

/// The attempt counted by [`attempt`] was the right password: the name's
/// failures are forgotten, and the address's attempt is taken back (others
/// behind the same address keep their count).
///
/// ```
/// use safeground_server::auth::Limit;
/// use safeground_server::sessions::succeeded;
/// use safeground_store::LoginFailures;
/// use std::collections::HashMap;
/// use std::time::Duration;
/// let l = Limit { free: 2, cap: Duration::from_secs(60) };
/// let f = LoginFailures { count: 3, last_ms: 10_000, until_ms: 12_000 };
/// let kept = HashMap::from([("name:imo".to_string(), f), ("addr:192.0.2.1".to_string(), f)]);
/// let keys = [("name:imo".to_string(), l), ("addr:192.0.2.1".to_string(), l)];
/// assert_eq!(succeeded(&keys, &kept), vec![
///     ("name:imo".to_string(), None),
///     ("addr:192.0.2.1".to_string(), Some(LoginFailures { count: 2, last_ms: 10_000, until_ms: 11_000 })),
/// ]);
/// ```
pub fn succeeded(keys: &[(String, Limit)], kept: &HashMap<String, LoginFailures>) -> Vec<FailuresChange> {
    keys.iter()
        .filter_map(|(k, limit)| {
            if !k.starts_with("addr:") {
                return Some((k.clone(), None));
            }
            let f = kept.get(k)?;
            let count = f.count.saturating_sub(1);
            let until = f.last_ms.saturating_add(ms(delay(count, *limit)));
            Some((k.clone(), Some(LoginFailures { count, last_ms: f.last_ms, until_ms: until })))
        })
        .collect()
}

/// A session held in this server's memory.
#[derive(Debug, Clone)]
struct Held {
    session: KeptSession,
    started: i64,
    seen: i64,
}

#[derive(Debug, Default)]
struct Memory {
    /// By the SHA-256 of the cookie.
    sessions: HashMap<String, Held>,
    failures: HashMap<String, LoginFailures>,
}

impl Memory {
    fn apply(&mut self, changes: Vec<FailuresChange>) {
        for (k, change) in changes {
            match change {
                Some(f) => self.failures.insert(k, f),
                None => self.failures.remove(&k),
            };
        }
    }
}

/// Signed-in sessions and failed logins: in the register when it keeps
/// them (PostgreSQL), otherwise in this server's memory.
#[derive(Debug)]
pub struct Sessions {
    shared: bool,
    memory: Mutex<Memory>,
    idle: Duration,
    max: Duration,
}

impl Sessions {
    /// Sessions that end after `idle` without a request and after `max`,
    /// kept in the register when `shared`.
    pub(crate) fn new(shared: bool, idle: Duration, max: Duration) -> Sessions {
        Sessions { shared, memory: Mutex::default(), idle, max }
    }

    /// Whether they are kept in the register, for every server.
    pub fn shared(&self) -> bool {
        self.shared
    }

    fn clock(&self) -> Clock {
        Clock::at(now_ms(), self.idle, self.max)
    }

    fn memory(&self) -> Result<std::sync::MutexGuard<'_, Memory>, AppError> {
        self.memory.lock().map_err(|_| AppError::Internal("the session table was poisoned".into()))
    }

    /// Starts a session; returns its token (the cookie) and its CSRF token.
    pub(crate) async fn start(
        &self,
        state: &AppState,
        user: Uuid,
        generation: i64,
    ) -> Result<(String, String), AppError> {
        let (token, csrf) = (crate::auth::random_hex(), crate::auth::random_hex());
        let session = KeptSession { user, generation, csrf: csrf.clone() };
        let (hash, c) = (crate::auth::digest(&token), self.clock());
        if self.shared {
            with_store(state, move |s| Ok(s.keep_session(&hash, &session, c.now, (c.stale, c.old))?)).await?;
        } else {
            let mut m = self.memory()?;
            m.sessions.retain(|_, h| c.in_force(h.seen, h.started));
            m.sessions.insert(hash, Held { session, started: c.now, seen: c.now });
        }
        Ok((token, csrf))
    }

    /// The session of a cookie, if in force (marking it seen).
    pub(crate) async fn find(&self, state: &AppState, token: &str) -> Result<Option<SignedIn>, AppError> {
        let (hash, c) = (crate::auth::digest(token), self.clock());
        if self.shared {
            // The session and its account in one visit to the register.
            return with_store(state, move |s| {
                s.kept_session(&hash, c.now, (c.stale, c.old), c.touch)?.map(|k| signed_in(s, k)).transpose()
            })
            .await;
        }
        let session = {
            let mut m = self.memory()?;
            let Some(h) = m.sessions.get_mut(&hash) else { return Ok(None) };
            if !c.in_force(h.seen, h.started) {
                m.sessions.remove(&hash);
                return Ok(None);
            }
            h.seen = c.now;
            h.session.clone()
        };
        with_store(state, move |s| signed_in(s, session).map(Some)).await
    }

    /// Ends the session of a cookie, on every server.
    pub(crate) async fn end(&self, state: &AppState, token: &str) -> Result<(), AppError> {
        let hash = crate::auth::digest(token);
        if self.shared {
            return with_store(state, move |s| Ok(s.end_session(&hash)?)).await;
        }
        self.memory()?.sessions.remove(&hash);
        Ok(())
    }

    /// Counts a login attempt under `keys` ([`attempt`]): `Err` with
    /// [`AppError::TooManyAttempts`] when a key must wait.
    pub(crate) async fn attempt(&self, state: &AppState, keys: &[(String, Limit)]) -> Result<(), AppError> {
        let outcome = if self.shared {
            let (keys, names) = (keys.to_vec(), keys.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
            with_store(state, move |s| {
                // The time is read once the keys are held: an attempt that
                // waited for another is counted when it is decided.
                let now = std::cell::Cell::new(0);
                let forgotten = || {
                    now.set(now_ms());
                    now.get().saturating_sub(ms(THROTTLE_WINDOW))
                };
                Ok(s.decide_login(&names, forgotten, |kept| match attempt(&keys, kept, now.get()) {
                    Ok(changes) => (Ok(()), changes),
                    Err(wait) => (Err(wait), Vec::new()),
                })?)
            })
            .await?
        } else {
            let now = now_ms();
            let forgotten = now.saturating_sub(ms(THROTTLE_WINDOW));
            let mut m = self.memory()?;
            m.failures.retain(|_, f| f.last_ms > forgotten);
            attempt(keys, &m.failures, now).map(|changes| m.apply(changes))
        };
        outcome.map_err(AppError::TooManyAttempts)
    }

    /// The attempt was the right password ([`succeeded`]).
    pub(crate) async fn succeeded(&self, state: &AppState, keys: &[(String, Limit)]) -> Result<(), AppError> {
        if self.shared {
            let (keys, names) = (keys.to_vec(), keys.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
            let forgotten = || now_ms().saturating_sub(ms(THROTTLE_WINDOW));
            return with_store(state, move |s| {
                Ok(s.decide_login(&names, forgotten, |kept| ((), succeeded(&keys, kept)))?)
            })
            .await;
        }
        let mut m = self.memory()?;
        let changes = succeeded(keys, &m.failures);
        m.apply(changes);
        Ok(())
    }
}
