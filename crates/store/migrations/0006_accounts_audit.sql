-- safeground schema 6: accounts, API tokens, and a tamper-evident history.
--
-- Every event is sealed when its transaction ends (store/src/audit.rs): `digest`
-- is a SHA-256 over what the event wrote (the report as submitted, the records
-- an approval made, the task issued, the account as changed), and `hash` a
-- SHA-256 over the previous event's hash, the event's own fields and that
-- digest. `safeground audit verify` recomputes both and names the first event
-- that does not match. The only change an event row ever takes is its seal:
-- filling `digest` and `hash` while `hash` is still empty.
--
-- SQLite cannot alter a CHECK, so the events table is rebuilt as in schema 3,
-- keeping every row and its seq; the events already there are sealed by the
-- program right after this script, in the same transaction.

PRAGMA defer_foreign_keys = ON;

CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('ADMINISTRATOR','IM_OFFICER','OPERATOR','QM_OFFICER','VIEWER')),
  organisation_id TEXT REFERENCES organisations(id),
  personal_data INTEGER NOT NULL DEFAULT 0 CHECK (personal_data IN (0, 1)),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  -- argon2id, in the PHC string format.
  password_hash TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  CHECK (role <> 'OPERATOR' OR organisation_id IS NOT NULL),
  CHECK (role <> 'VIEWER' OR personal_data = 0)
);

-- API tokens for scripts: only a SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  label TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at DATETIME NOT NULL,
  expires_at DATETIME,
  revoked_at DATETIME
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE events_v6 (
  seq INTEGER PRIMARY KEY,
  id TEXT, at DATETIME, actor TEXT, kind TEXT, report_id TEXT, task_id TEXT, reason TEXT
);
INSERT INTO events_v6 SELECT seq, id, at, actor, kind, report_id, task_id, reason FROM events;
DROP TABLE events;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('REPORT_SUBMITTED','REPORT_APPROVED','REPORT_REJECTED',
    'REPORT_UNAPPROVED','TASK_ISSUED','REPORT_DRAFTED','USER_ADDED','USER_CHANGED','TOKEN_ISSUED',
    'TOKEN_REVOKED')),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT,
  -- The account or token a USER_* or TOKEN_* event is about.
  subject TEXT,
  digest TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO events (seq, id, at, actor, kind, report_id, task_id, reason)
  SELECT seq, id, at, actor, kind, report_id, task_id, reason FROM events_v6 ORDER BY seq;
DROP TABLE events_v6;
CREATE INDEX events_report ON events(report_id);
CREATE INDEX events_subject ON events(subject) WHERE subject IS NOT NULL;
CREATE INDEX events_task ON events(task_id) WHERE task_id IS NOT NULL;
CREATE INDEX events_unsealed ON events(seq) WHERE hash = '';

CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN OLD.hash <> ''
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
CREATE TRIGGER events_seal_only BEFORE UPDATE ON events
WHEN OLD.hash = '' AND (NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at
  OR NEW.actor IS NOT OLD.actor OR NEW.kind IS NOT OLD.kind OR NEW.report_id IS NOT OLD.report_id
  OR NEW.task_id IS NOT OLD.task_id OR NEW.reason IS NOT OLD.reason OR NEW.subject IS NOT OLD.subject)
BEGIN SELECT RAISE(ABORT, 'an event can only be sealed, never changed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;

-- What the seal reads per event: the records each report wrote, by report.
CREATE INDEX IF NOT EXISTS hazards_report ON hazards(report_id);
CREATE INDEX IF NOT EXISTS activities_report ON activities(report_id);
CREATE INDEX IF NOT EXISTS accidents_report ON accidents(report_id);
CREATE INDEX IF NOT EXISTS eore_sessions_report ON eore_sessions(report_id);
CREATE INDEX IF NOT EXISTS hazard_versions_event ON hazard_versions(event_id);
CREATE INDEX IF NOT EXISTS released_areas_revoked_by ON released_areas(revoked_by) WHERE revoked_by IS NOT NULL;
