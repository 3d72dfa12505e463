-- safeground schema 16: sessions and failed logins shared by every server
-- of one register, so that any number of `safeground serve` behind a load
-- balancer act as one and a restart signs nobody out. Times are
-- milliseconds since 1970 by the servers' clocks. Rows expire: a server
-- deletes those past their time as it writes new ones. Neither table is
-- part of the register's content: not exported, not migrated, not sealed.

-- A signed-in session: the SHA-256 of its cookie (the cookie itself is
-- never stored), its account, the account's session generation when it
-- signed in (a later change to the account ends it), its CSRF token.
CREATE TABLE sg_sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL,
  generation BIGINT NOT NULL,
  csrf TEXT COLLATE "C" NOT NULL,
  started_ms BIGINT NOT NULL,
  seen_ms BIGINT NOT NULL
);
CREATE INDEX sg_sessions_user ON sg_sessions (user_id);

-- Failed logins by throttling key (a name from an address, an address, a
-- name): how many, the last, and no attempt before `until_ms`.
CREATE TABLE sg_login_failures (
  key TEXT COLLATE "C" PRIMARY KEY,
  count INTEGER NOT NULL,
  last_ms BIGINT NOT NULL,
  until_ms BIGINT NOT NULL
);
