-- safeground schema 19: field copies. A field copy is a GeoPackage register
-- made by `safeground checkout` from another (a district's hazards, their
-- released ground and versions, an organisation's tasks, the finds, the
-- reference data and base map), on which a team submits reports offline;
-- `safeground sync` sends them home and makes the copy again.
--
-- `checkouts` holds, on a copy, the one row saying where it came from: the
-- register, the district and organisation, the origin's newest event (its
-- sequence number and hash: the copy's own history chains on from it) and the
-- SHA-256 of every row copied (`snapshot_sha256`), sealed by the copy's first
-- event, CHECKOUT. A register that is not a copy has no row. The copied rows
-- keep the origin's ids, and the events they name (`seq` at most
-- `origin_seq`) are the origin's, sealed there: on the copy the snapshot's
-- digest covers them. A report sent home that names ground changed since its
-- copy was made arrives with a SYNC_FLAGGED event whose reason says what
-- changed, for the IM officer.
CREATE TABLE checkouts (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  origin_seq INTEGER NOT NULL,
  origin_hash TEXT NOT NULL,
  district_id TEXT NOT NULL,
  organisation_id TEXT,
  made_at DATETIME NOT NULL,
  made_by TEXT NOT NULL,
  snapshot_rows INTEGER NOT NULL,
  snapshot_sha256 TEXT NOT NULL
);
INSERT INTO event_kinds (kind) VALUES ('CHECKOUT'), ('SYNC_FLAGGED');
