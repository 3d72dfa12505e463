-- safeground schema 20: transfers. A file on its way between the register and
-- a field copy over the API, in chunks, so that a slow or broken link (a
-- satellite terminal, a mobile network in the hills) resumes where it stopped
-- rather than starting again: a field copy made by `POST /api/checkouts`
-- waiting to be fetched, or a bundle of the team's reports being sent
-- (`sync --to https://…`). Kept in the register, not on one server's disk,
-- so that every server of a register continues a transfer another began.
--
-- A transfer belongs to the account that began it (`account`, the account's
-- name): only that account sees or continues it. `bytes` and `sha256` are
-- the whole file's, known when it begins; `received` counts the bytes stored
-- so far, which are always the chunks from byte 0 on without a gap. Transfers
-- are not part of the sealed history (what a bundle carries is sealed when it
-- is imported); they are dropped a day after they began. A transfer is at most
-- 2 GiB, and an account's transfers under way at most 4 GiB together.
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('CHECKOUT', 'BUNDLE')),
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  sha256 TEXT NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  made_at DATETIME NOT NULL
);
CREATE TABLE transfer_chunks (
  transfer_id TEXT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
  at_byte INTEGER NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (transfer_id, at_byte)
);
