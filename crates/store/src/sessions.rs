//! Sessions and failed logins kept in a PostgreSQL register, so that every
//! server of one register knows them (schema 16). The server decides what a
//! login attempt costs and when a session ends; this module only keeps the
//! rows. A GeoPackage is served by one process, which keeps both in memory.
//!
//! Times are milliseconds since 1970 by the calling server's clock.

use crate::db::OptionalExtension;
use crate::{Dialect, Store, StoreError};
use rusqlite::params;
use std::collections::HashMap;
use uuid::Uuid;

/// The advisory lock a throttling key's count is kept under: the first
/// eight bytes of the SHA-256 of "sglogin:" and the key. Attempts under the
/// same key sent at once to several servers take turns; others (another
/// name, another address) do not wait, nor does any writer of the register.
fn login_lock(key: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("sglogin:{key}").as_bytes());
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// A session in force, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptSession {
    /// Its account.
    pub user: Uuid,
    /// The account's session generation when it signed in.
    pub generation: i64,
    /// Its CSRF token.
    pub csrf: String,
}

/// One throttling key's failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// How many (a success may take one back).
    pub count: u32,
    /// The last one.
    pub last_ms: i64,
    /// No attempt is heard before this.
    pub until_ms: i64,
}

/// What to do with one key's row: keep these failures, or forget the key.
pub type FailuresChange = (String, Option<LoginFailures>);

impl Store {
    /// Whether this register keeps sessions for every server (PostgreSQL).
    pub fn keeps_sessions(&self) -> bool {
        self.conn.dialect() == Dialect::Postgres
    }

    fn sessions_kept(&self) -> Result<(), StoreError> {
        if self.keeps_sessions() {
            Ok(())
        } else {
            Err(StoreError::Backend {
                detail: "a GeoPackage keeps no sessions: its one server keeps them in memory".into(),
            })
        }
    }

    /// Keeps a new session (its cookie's SHA-256 `token_hash`), and drops
    /// those that ended: last seen at or before `stale_ms`, or begun at or
    /// before `old_ms`.
    pub fn keep_session(
        &self,
        token_hash: &str,
        session: &KeptSession,
        now_ms: i64,
        (stale_ms, old_ms): (i64, i64),
    ) -> Result<(), StoreError> {
        self.sessions_kept()?;
        self.conn.execute(
            "DELETE FROM sg_sessions WHERE seen_ms <= ?1 OR started_ms <= ?2",
            params![stale_ms, old_ms],
        )?;
        self.conn.execute(
            "INSERT INTO sg_sessions (token_hash, user_id, generation, csrf, started_ms, seen_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                token_hash,
                crate::write::uuid_text(session.user),
                session.generation,
                session.csrf,
                now_ms
            ],
        )?;
        Ok(())
    }

    /// The session of `token_hash` if it was last seen after `stale_ms` and
    /// began after `old_ms`; its last sight moves to `now_ms` when it is
    /// before `touch_ms` (not on every request: a row rewritten per request
    /// would cost the primary a write per tile).
    pub fn kept_session(
        &self,
        token_hash: &str,
        now_ms: i64,
        (stale_ms, old_ms): (i64, i64),
        touch_ms: i64,
    ) -> Result<Option<KeptSession>, StoreError> {
        self.sessions_kept()?;
        let row = self
            .conn
            .query_row(
                "SELECT user_id, generation, csrf, seen_ms FROM sg_sessions
                  WHERE token_hash = ?1 AND seen_ms > ?2 AND started_ms > ?3",
                params![token_hash, stale_ms, old_ms],
                |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?, r.get::<i64>(3)?)),
            )
            .optional()?;
        let Some((user, generation, csrf, seen)) = row else { return Ok(None) };
        if seen < touch_ms {
            self.conn.execute(
                "UPDATE sg_sessions SET seen_ms = ?2 WHERE token_hash = ?1 AND seen_ms < ?2",
                params![token_hash, now_ms],
            )?;
        }
        Ok(Some(KeptSession { user: crate::reports::parse_uuid(&user)?, generation, csrf }))
    }

    /// Ends the session of `token_hash` (signing out) on every server.
    pub fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.sessions_kept()?;
        self.conn.execute("DELETE FROM sg_sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Decides a login attempt over the failures of `keys` in one
    /// transaction, one attempt at a time per key across every server:
    /// `forgotten` (given the time once the keys' locks are held) says
    /// before when failures are dropped, `decide` sees the rest and says what
    /// to keep, which is written before the next attempt under the same key
    /// is decided.
    pub fn decide_login<T>(
        &self,
        keys: &[String],
        forgotten: impl FnOnce() -> i64,
        decide: impl FnOnce(&HashMap<String, LoginFailures>) -> (T, Vec<FailuresChange>),
    ) -> Result<T, StoreError> {
        self.sessions_kept()?;
        let locks: Vec<i64> = keys.iter().map(|k| login_lock(k)).collect();
        let tx = self.conn.begin_locked(&locks)?;
        let forgotten_ms = forgotten();
        // This attempt's keys, under its locks; others' old rows only where
        // no one holds them (this purge never waits; an attempt may wait
        // briefly for another's purge of one of its own old rows).
        for key in keys {
            tx.execute(
                "DELETE FROM sg_login_failures WHERE key = ?1 AND last_ms <= ?2",
                params![key, forgotten_ms],
            )?;
        }
        tx.execute(
            "DELETE FROM sg_login_failures WHERE key IN
               (SELECT key FROM sg_login_failures WHERE last_ms <= ?1 FOR UPDATE SKIP LOCKED)",
            [forgotten_ms],
        )?;
        let mut now = HashMap::new();
        for key in keys {
            let row = tx
                .query_row(
                    "SELECT count, last_ms, until_ms FROM sg_login_failures WHERE key = ?1",
                    [key.as_str()],
                    |r| {
                        Ok(LoginFailures {
                            count: u32::try_from(r.get::<i64>(0)?).unwrap_or(u32::MAX),
                            last_ms: r.get(1)?,
                            until_ms: r.get(2)?,
                        })
                    },
                )
                .optional()?;
            if let Some(f) = row {
                now.insert(key.clone(), f);
            }
        }
        let (answer, changes) = decide(&now);
        for (key, change) in changes {
            match change {
                Some(f) => tx.execute(
                    "INSERT INTO sg_login_failures (key, count, last_ms, until_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE
                        SET count = excluded.count, last_ms = excluded.last_ms, until_ms = excluded.until_ms",
                    params![key, i64::from(f.count), f.last_ms, f.until_ms],
                )?,
                None => tx.execute("DELETE FROM sg_login_failures WHERE key = ?1", [key.as_str()])?,
            };
        }
        tx.commit()?;
        Ok(answer)
    }
}
