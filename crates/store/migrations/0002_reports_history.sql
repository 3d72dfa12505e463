-- safeground schema 2 (internal tables: reports, events, hazard_versions,
-- report_personal; none is a layer): field reports, the append-only event history, and
-- hazard versions, so that every change is kept and the register on any
-- past date can be rebuilt.
--
-- Times are UTC, RFC 3339 text ('2024-03-01T12:00:00Z'), so that they sort
-- as text. A record's effect runs from `recorded_at` (the approval that
-- created it) until `revoked_at` (an unapproval, or a failed QC re-opening
-- released ground); as of a time T it counts when recorded_at <= T and
-- revoked_at is null or later than T.

CREATE TABLE reports (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('NTS','TS','CLEARANCE','EOD_SPOT_TASK','EO_FIND','ACCIDENT','EORE_SESSION','QM_INSPECTION')),
  state TEXT NOT NULL CHECK (state IN ('DRAFT','SUBMITTED','APPROVED','REJECTED','UNAPPROVED')),
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  task_id TEXT REFERENCES tasks(id),
  hazard_id TEXT REFERENCES hazards(id),
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  submitted_at DATETIME NOT NULL,
  submitted_by TEXT NOT NULL,
  decided_at DATETIME,
  decided_by TEXT,
  reason TEXT,
  body TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX reports_state ON reports(state);
CREATE INDEX reports_hazard ON reports(hazard_id);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('REPORT_SUBMITTED','REPORT_APPROVED','REPORT_REJECTED','REPORT_UNAPPROVED','TASK_ISSUED')),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT
);
CREATE INDEX events_report ON events(report_id);

-- The history is append-only: no event is ever changed or removed.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;

-- Every state a hazard has been in, from the approval that made it to the one
-- that replaced it.
CREATE TABLE hazard_versions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  version INTEGER NOT NULL,
  valid_from DATETIME NOT NULL,
  valid_to DATETIME,
  event_id TEXT REFERENCES events(id),
  report_id TEXT REFERENCES reports(id),
  geom BLOB NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  area_recorded_m2 REAL NOT NULL,
  area_cancelled_m2 REAL NOT NULL,
  area_reduced_m2 REAL NOT NULL,
  area_cleared_m2 REAL NOT NULL,
  area_remaining_m2 REAL NOT NULL,
  UNIQUE (hazard_id, version)
);

ALTER TABLE hazards ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE hazards ADD COLUMN revoked_at DATETIME;
ALTER TABLE tasks ADD COLUMN recorded_at DATETIME;
ALTER TABLE activities ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE activities ADD COLUMN recorded_at DATETIME;
ALTER TABLE activities ADD COLUMN revoked_at DATETIME;
ALTER TABLE released_areas ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE released_areas ADD COLUMN recorded_at DATETIME;
ALTER TABLE released_areas ADD COLUMN revoked_at DATETIME;
ALTER TABLE released_areas ADD COLUMN revoked_by TEXT REFERENCES reports(id);
ALTER TABLE eo_finds ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE eo_finds ADD COLUMN recorded_at DATETIME;
ALTER TABLE eo_finds ADD COLUMN revoked_at DATETIME;
ALTER TABLE accidents ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE accidents ADD COLUMN recorded_at DATETIME;
ALTER TABLE accidents ADD COLUMN revoked_at DATETIME;
ALTER TABLE eore_sessions ADD COLUMN report_id TEXT REFERENCES reports(id);
ALTER TABLE eore_sessions ADD COLUMN recorded_at DATETIME;
ALTER TABLE eore_sessions ADD COLUMN revoked_at DATETIME;
CREATE INDEX released_areas_report ON released_areas(report_id);
-- Codes are looked up case-insensitively (people type them): index them so.
CREATE INDEX hazards_code_nocase ON hazards(code COLLATE NOCASE);
CREATE INDEX tasks_code_nocase ON tasks(code COLLATE NOCASE);
CREATE INDEX eo_finds_report ON eo_finds(report_id);

-- Personal data in a report (victims' names and contacts) is split off on
-- submission and kept here, internal, beside victim_identities.
CREATE TABLE report_personal (
  report_id TEXT NOT NULL PRIMARY KEY REFERENCES reports(id),
  data TEXT NOT NULL
);

-- A register written by schema 1 has no history: its records enter it as of
-- the dates they carry, each hazard with one version.
INSERT INTO hazard_versions (hazard_id, version, valid_from, geom, kind, status, area_recorded_m2,
  area_cancelled_m2, area_reduced_m2, area_cleared_m2, area_remaining_m2)
SELECT id, version, recorded_on || 'T00:00:00Z', geom, kind, status, area_recorded_m2, area_cancelled_m2,
  area_reduced_m2, area_cleared_m2, area_remaining_m2
FROM hazards;
UPDATE activities SET recorded_at = end_date || 'T00:00:00Z';
UPDATE released_areas SET recorded_at = released_on || 'T00:00:00Z';
UPDATE eo_finds SET recorded_at = found_on || 'T00:00:00Z';
UPDATE accidents SET recorded_at = occurred_on || 'T00:00:00Z';
UPDATE eore_sessions SET recorded_at = held_on || 'T00:00:00Z';
UPDATE tasks SET recorded_at = issued_on || 'T00:00:00Z';
