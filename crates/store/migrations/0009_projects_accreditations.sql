-- safeground schema 9: projects and the tasks they fund, for donor reports;
-- accreditations, which approval asks for once the register keeps any.
--
-- A project (a donor's grant) funds tasks; a task is funded by one project at
-- most, once (moving money between projects is a new task, so that no figure
-- is counted for two donors). Both are recorded by events of the sealed
-- history: PROJECT_ADDED (subject: the project) and TASK_FUNDED (task_id:
-- the task, subject: the project).

CREATE TABLE projects (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  donor TEXT NOT NULL,
  name TEXT NOT NULL,
  budget REAL NOT NULL CHECK (budget >= 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  starts_on DATE NOT NULL,
  ends_on DATE NOT NULL CHECK (ends_on >= starts_on),
  recorded_at DATETIME NOT NULL
);
CREATE TABLE project_tasks (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL UNIQUE REFERENCES tasks(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  funded_at DATETIME NOT NULL
);
CREATE INDEX project_tasks_project ON project_tasks(project_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('projects', 'attributes', 'projects', 'Projects: a donor''s funding, its budget and dates', NULL),
 ('project_tasks', 'attributes', 'project_tasks', 'The tasks each project funds', NULL);

-- An organisation (or one of its teams) accredited by the authority for a
-- capability over a period; suspended from a day on. Recorded by the events
-- ACCREDITATION_ADDED and ACCREDITATION_SUSPENDED (subject: the accreditation).
CREATE TABLE accreditations (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  reference TEXT NOT NULL UNIQUE,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  team_id TEXT REFERENCES teams(id),
  capability TEXT NOT NULL CHECK (capability IN ('MANUAL','MECHANICAL','DOGS','EOD','NTS','TS')),
  valid_from DATE NOT NULL,
  valid_to DATE NOT NULL CHECK (valid_to >= valid_from),
  suspended_on DATE,
  suspension_reason TEXT,
  recorded_at DATETIME NOT NULL
);
CREATE INDEX accreditations_organisation ON accreditations(organisation_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('accreditations', 'attributes', 'accreditations', 'Accreditations of organisations and teams, by capability and period', NULL);

-- The events' kinds gain the four; SQLite changes a CHECK by rebuilding the
-- table (every column copied, seals included; the triggers made again after).
-- The versions and reports that name events hold again at commit.
PRAGMA defer_foreign_keys = ON;
-- The AUTOINCREMENT counter goes with the table: kept, so that newest events
-- deleted before the upgrade are still caught by `audit verify`.
CREATE TABLE events_v9_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'events';
CREATE TABLE events_v9 AS SELECT * FROM events;
DROP TABLE events;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('REPORT_SUBMITTED','REPORT_APPROVED','REPORT_REJECTED',
    'REPORT_UNAPPROVED','TASK_ISSUED','REPORT_DRAFTED','USER_ADDED','USER_CHANGED','TOKEN_ISSUED',
    'TOKEN_REVOKED','PROJECT_ADDED','TASK_FUNDED','ACCREDITATION_ADDED',
    'ACCREDITATION_SUSPENDED')),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT,
  -- The account, token or project a USER_*, TOKEN_* or PROJECT_* event is about.
  subject TEXT,
  digest TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO events (seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash)
  SELECT seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash FROM events_v9 ORDER BY seq;
DROP TABLE events_v9;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(seq), 0) FROM events_v9_counter))
  WHERE name = 'events';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'events', seq FROM events_v9_counter
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
DROP TABLE events_v9_counter;
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
