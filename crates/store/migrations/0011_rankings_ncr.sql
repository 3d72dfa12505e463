-- safeground schema 11: priority rankings, sealed; non-conformities. A ranking is a scenario
-- (the TOML as the authority wrote it) applied to the register on a day, and
-- its result (every hazard ranked, its score and the contribution of each
-- criterion, as JSON); recorded by the event RANKING_SEALED (subject: the
-- ranking), whose digest covers all of it. Tasks issued from a ranking name it
-- in their TASK_ISSUED event's reason.

CREATE TABLE rankings (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scenario TEXT NOT NULL,
  as_of DATE NOT NULL,
  result TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('rankings', 'attributes', 'rankings', 'Priority rankings: a scenario, the day it was applied and the hazards ranked', NULL);

-- Non-conformities [IMAS 07.12]: raised against an organisation from a report
-- or an accident (by hand: event NCR_RAISED, subject the non-conformity; or by
-- the approval of a failed QC inspection, `raised_by_report`, sealed with that
-- approval), then answered and closed as steps of their own (events
-- NCR_ANSWERED and NCR_CLOSED, subject the step). Nothing here is changed
-- after it is written, but `withdrawn_at`: a non-conformity a report's
-- approval raised is withdrawn when that report is unapproved.
CREATE TABLE non_conformities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  grade TEXT NOT NULL CHECK (grade IN ('CRITICAL','MAJOR','MINOR')),
  finding TEXT NOT NULL CHECK (finding <> ''),
  report_id TEXT REFERENCES reports(id),
  accident_id TEXT REFERENCES accidents(id),
  raised_on DATE NOT NULL,
  due_on DATE NOT NULL CHECK (due_on >= raised_on),
  raised_by TEXT NOT NULL,
  raised_by_report TEXT REFERENCES reports(id),
  recorded_at DATETIME NOT NULL,
  withdrawn_at DATETIME,
  CHECK (report_id IS NOT NULL OR accident_id IS NOT NULL)
);
CREATE INDEX non_conformities_organisation ON non_conformities(organisation_id);
CREATE INDEX non_conformities_raised_by_report ON non_conformities(raised_by_report);
CREATE TABLE ncr_steps (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  ncr_id TEXT NOT NULL REFERENCES non_conformities(id),
  kind TEXT NOT NULL CHECK (kind IN ('ANSWERED','CLOSED')),
  root_cause TEXT,
  corrective TEXT,
  preventive TEXT,
  due_on DATE,
  closed_on DATE,
  verification TEXT,
  actor TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
CREATE INDEX ncr_steps_ncr ON ncr_steps(ncr_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('non_conformities', 'attributes', 'non_conformities', 'Non-conformities: findings against an organisation''s work, graded, with their due date', NULL),
 ('ncr_steps', 'attributes', 'ncr_steps', 'The answers to non-conformities and their verified closures', NULL);

-- The events' kinds gain RANKING_SEALED and the non-conformities' three; SQLite changes a CHECK by rebuilding the
-- table (every column copied, seals included; the triggers made again after).
-- The versions and reports that name events hold again at commit.
PRAGMA defer_foreign_keys = ON;
-- The AUTOINCREMENT counter goes with the table: kept, so that newest events
-- deleted before the upgrade are still caught by `audit verify`.
CREATE TABLE events_v11_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'events';
CREATE TABLE events_v11 AS SELECT * FROM events;
DROP TABLE events;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('REPORT_SUBMITTED','REPORT_APPROVED','REPORT_REJECTED',
    'REPORT_UNAPPROVED','TASK_ISSUED','REPORT_DRAFTED','USER_ADDED','USER_CHANGED','TOKEN_ISSUED',
    'TOKEN_REVOKED','PROJECT_ADDED','TASK_FUNDED','ACCREDITATION_ADDED',
    'ACCREDITATION_SUSPENDED','RANKING_SEALED','NCR_RAISED','NCR_ANSWERED','NCR_CLOSED')),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT,
  -- The account, token or project a USER_*, TOKEN_* or PROJECT_* event is about.
  subject TEXT,
  digest TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO events (seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash)
  SELECT seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash FROM events_v11 ORDER BY seq;
DROP TABLE events_v11;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(seq), 0) FROM events_v11_counter))
  WHERE name = 'events';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'events', seq FROM events_v11_counter
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
DROP TABLE events_v11_counter;
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
