-- safeground schema 13: investigations of accidents [IMAS 10.60].
--
-- An investigation is opened into an accident: by the approval of a demining
-- accident's report (`opened_by_report`, sealed with that approval) or by
-- hand (event INVESTIGATION_OPENED, subject the investigation). Its board of
-- inquiry is convened and it concludes as steps of their own (events
-- INVESTIGATION_BOARD and INVESTIGATION_CONCLUDED, subject the step): the
-- members, the findings and the recommendations are JSON arrays of text. A
-- recommendation that becomes a non-conformity is named on it
-- (`investigation_id`, `recommendation`: its number from 1), sealed with its
-- NCR_RAISED. Nothing is changed after it is written, but `withdrawn_at`: an
-- investigation the approval opened is withdrawn when that report is
-- unapproved. One investigation in force per accident.

CREATE TABLE investigations (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  accident_id TEXT NOT NULL REFERENCES accidents(id),
  opened_on DATE NOT NULL,
  opened_by TEXT NOT NULL,
  opened_by_report TEXT REFERENCES reports(id),
  recorded_at DATETIME NOT NULL,
  withdrawn_at DATETIME
);
CREATE UNIQUE INDEX investigations_one_per_accident ON investigations(accident_id) WHERE withdrawn_at IS NULL;
CREATE INDEX investigations_report ON investigations(opened_by_report);
CREATE TABLE investigation_steps (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  investigation_id TEXT NOT NULL REFERENCES investigations(id),
  kind TEXT NOT NULL CHECK (kind IN ('BOARD','CONCLUDED')),
  on_day DATE NOT NULL,
  members TEXT,
  findings TEXT,
  recommendations TEXT,
  actor TEXT NOT NULL,
  recorded_at DATETIME NOT NULL
);
CREATE INDEX investigation_steps_investigation ON investigation_steps(investigation_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('investigations', 'attributes', 'investigations', 'Investigations of accidents: opened, by whom, into which accident', NULL),
 ('investigation_steps', 'attributes', 'investigation_steps', 'Boards of inquiry convened and their conclusions: findings and recommendations', NULL);

ALTER TABLE non_conformities ADD COLUMN investigation_id TEXT REFERENCES investigations(id);
ALTER TABLE non_conformities ADD COLUMN recommendation INTEGER;

INSERT INTO event_kinds (kind) VALUES ('INVESTIGATION_OPENED'), ('INVESTIGATION_BOARD'), ('INVESTIGATION_CONCLUDED');
