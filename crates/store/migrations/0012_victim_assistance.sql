-- safeground schema 12: victims and people reached as the standards count
-- them, and victim assistance [IMAS 13.10].
--
-- A victim's disability (NONE, FROM_ACCIDENT, PRE_EXISTING; NULL where not
-- recorded) and, for an EORE session, the people with a disability among
-- those reached, by the same four groups (NULL where not counted).
--
-- Victim assistance is personal data, internal like victim_identities (no
-- layer, not in gpkg_contents): the consent a victim (or their guardian, or
-- the next of kin of a person killed) gave, its withdrawal, and the
-- follow-ups that rest on it. Each is written once, by its own event
-- (CONSENT_RECORDED, CONSENT_WITHDRAWN, ASSISTANCE_RECORDED; subject: the
-- row), whose digest covers it; nothing here is changed afterwards.

ALTER TABLE victims ADD COLUMN disability TEXT
  CHECK (disability IS NULL OR disability IN ('NONE','FROM_ACCIDENT','PRE_EXISTING'));
ALTER TABLE eore_sessions ADD COLUMN girls_disabled INTEGER CHECK (girls_disabled IS NULL OR girls_disabled >= 0);
ALTER TABLE eore_sessions ADD COLUMN boys_disabled INTEGER CHECK (boys_disabled IS NULL OR boys_disabled >= 0);
ALTER TABLE eore_sessions ADD COLUMN women_disabled INTEGER CHECK (women_disabled IS NULL OR women_disabled >= 0);
ALTER TABLE eore_sessions ADD COLUMN men_disabled INTEGER CHECK (men_disabled IS NULL OR men_disabled >= 0)
  -- The four groups are counted together, or not at all.
  CHECK ((girls_disabled IS NULL) = (men_disabled IS NULL) AND (boys_disabled IS NULL) = (men_disabled IS NULL)
    AND (women_disabled IS NULL) = (men_disabled IS NULL));

CREATE TABLE victim_consents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  victim_id TEXT NOT NULL REFERENCES victims(id),
  given_on DATE NOT NULL,
  given_by TEXT NOT NULL CHECK (given_by IN ('SELF','GUARDIAN','NEXT_OF_KIN')),
  form TEXT NOT NULL CHECK (form IN ('WRITTEN','VERBAL')),
  actor TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
CREATE INDEX victim_consents_victim ON victim_consents(victim_id);
CREATE TABLE consent_withdrawals (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  consent_id TEXT NOT NULL UNIQUE REFERENCES victim_consents(id),
  withdrawn_on DATE NOT NULL,
  actor TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
CREATE TABLE assistance (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  victim_id TEXT NOT NULL REFERENCES victims(id),
  consent_id TEXT NOT NULL REFERENCES victim_consents(id),
  kind TEXT NOT NULL CHECK (kind IN ('MEDICAL','REHABILITATION','PSYCHOSOCIAL','ECONOMIC_INCLUSION','REFERRAL')),
  status TEXT NOT NULL CHECK (status IN ('REFERRED','ONGOING','COMPLETED')),
  given_on DATE NOT NULL,
  provider TEXT NOT NULL CHECK (provider <> ''),
  notes TEXT,
  actor TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
CREATE INDEX assistance_victim ON assistance(victim_id);

-- The events' kinds move from a CHECK into a table of their own, so that a
-- later schema adds a kind with one INSERT, not by rebuilding the history.
CREATE TABLE event_kinds (kind TEXT NOT NULL PRIMARY KEY);
INSERT INTO event_kinds (kind) VALUES ('REPORT_SUBMITTED'), ('REPORT_APPROVED'), ('REPORT_REJECTED'),
  ('REPORT_UNAPPROVED'), ('TASK_ISSUED'), ('REPORT_DRAFTED'), ('USER_ADDED'), ('USER_CHANGED'),
  ('TOKEN_ISSUED'), ('TOKEN_REVOKED'), ('PROJECT_ADDED'), ('TASK_FUNDED'), ('ACCREDITATION_ADDED'),
  ('ACCREDITATION_SUSPENDED'), ('RANKING_SEALED'), ('NCR_RAISED'), ('NCR_ANSWERED'), ('NCR_CLOSED'),
  ('CONSENT_RECORDED'), ('CONSENT_WITHDRAWN'), ('ASSISTANCE_RECORDED');

-- SQLite drops a CHECK by rebuilding the table (every column copied, seals
-- included; the triggers made again after), this one last time.
-- The versions and reports that name events hold again at commit.
PRAGMA defer_foreign_keys = ON;
-- The AUTOINCREMENT counter goes with the table: kept, so that newest events
-- deleted before the upgrade are still caught by `audit verify`.
CREATE TABLE events_v12_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'events';
CREATE TABLE events_v12 AS SELECT * FROM events;
DROP TABLE events;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL REFERENCES event_kinds(kind),
  report_id TEXT REFERENCES reports(id),
  task_id TEXT REFERENCES tasks(id),
  reason TEXT,
  -- The account, token or project a USER_*, TOKEN_* or PROJECT_* event is about.
  subject TEXT,
  digest TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO events (seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash)
  SELECT seq, id, at, actor, kind, report_id, task_id, reason, subject, digest, hash FROM events_v12 ORDER BY seq;
DROP TABLE events_v12;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(seq), 0) FROM events_v12_counter))
  WHERE name = 'events';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'events', seq FROM events_v12_counter
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
DROP TABLE events_v12_counter;
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
