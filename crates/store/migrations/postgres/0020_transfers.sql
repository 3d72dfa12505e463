-- safeground schema 20: transfers (as migrations/0020_transfers.sql).
CREATE TABLE transfers (
  id TEXT COLLATE "C" PRIMARY KEY,
  account TEXT COLLATE "C" NOT NULL,
  purpose TEXT COLLATE "C" NOT NULL CHECK (purpose IN ('CHECKOUT', 'BUNDLE')),
  bytes BIGINT NOT NULL CHECK (bytes >= 0),
  sha256 TEXT COLLATE "C" NOT NULL,
  received BIGINT NOT NULL DEFAULT 0,
  made_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE transfer_chunks (
  transfer_id TEXT COLLATE "C" NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
  at_byte BIGINT NOT NULL,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (transfer_id, at_byte)
);
