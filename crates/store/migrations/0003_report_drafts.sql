-- safeground schema 3: drafts. Field submissions (KoBoToolbox, ODK Central)
-- are imported as DRAFT reports, which touch nothing in the register until an
-- officer submits and approves them; importing one is an event of its own,
-- REPORT_DRAFTED, which the CHECK on events.kind must allow.
--
-- SQLite cannot alter a CHECK, so the events table is rebuilt, keeping every
-- row and its seq. hazard_versions.event_id refers to events(id): with foreign
-- keys deferred to the commit, dropping the old table and filling the new one
-- under the same name leaves every reference satisfied. Dropping a table does
-- not fire its triggers; the append-only triggers are recreated on the new one.

PRAGMA defer_foreign_keys = ON;

CREATE TABLE events_v3 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  report_id TEXT,
  task_id TEXT,
  reason TEXT
);
INSERT INTO events_v3 SELECT seq, id, at, actor, kind, report_id, task_id, reason FROM events;
DROP TABLE events;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('REPORT_SUBMITTED','REPORT_APPROVED','REPORT_REJECTED','REPORT_UNAPPROVED','TASK_ISSUED','REPORT_DRAFTED')),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT
);
INSERT INTO events SELECT seq, id, at, actor, kind, report_id, task_id, reason FROM events_v3;
DROP TABLE events_v3;
CREATE INDEX events_report ON events(report_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
