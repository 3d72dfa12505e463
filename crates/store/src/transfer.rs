//! Transfers (schema 20): a file on its way between the register and a field
//! copy over the API, kept in chunks in the register so that a broken link
//! resumes where it stopped, on whichever server of the register it reaches.
//!
//! Invariants: the chunks of a transfer run from byte 0 without a gap or an
//! overlap, and `received` is their total; a transfer never holds more than
//! its `bytes`; only the account that began it sees or continues it (to any
//! other it is not there); a whole file is given out only when its SHA-256
//! is the one the transfer began with.

use crate::db::OptionalExtension;
use crate::{Store, StoreError};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use time::OffsetDateTime;
use uuid::Uuid;

/// How long a transfer is kept after it began.
pub const TRANSFER_KEPT: time::Duration = time::Duration::days(1);

/// The largest chunk a transfer takes at once.
pub const MAX_CHUNK: u64 = 8 << 20;

/// The largest file a transfer carries (a week of a team's photographs is
/// some hundreds of MB).
pub const MAX_TRANSFER: u64 = 2 << 30;

/// The most bytes an account's transfers under way may hold together: no
/// account fills the register's disk.
pub const MAX_OPEN_PER_ACCOUNT: u64 = 4 << 30;

/// Chunks a PostgreSQL cursor brings at a time (each up to [`MAX_CHUNK`]).
const CHUNKS_AT_ONCE: usize = 4;

/// The chunks a file is staged in by the register itself.
const STAGE_CHUNK: usize = 1 << 20;

/// What a transfer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Purpose {
    /// A field copy made by the register, to be fetched.
    Checkout,
    /// A bundle of a field copy's reports, being sent.
    Bundle,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Checkout => "CHECKOUT",
            Purpose::Bundle => "BUNDLE",
        }
    }
}

/// A transfer as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: Uuid,
    pub purpose: Purpose,
    /// The whole file's size.
    pub bytes: u64,
    /// The whole file's SHA-256 (hex).
    pub sha256: String,
    /// The bytes stored so far, from the first.
    pub received: u64,
    /// When it began (RFC 3339).
    pub made_at: String,
}

fn not_there(id: Uuid) -> StoreError {
    StoreError::Unknown { what: "transfer", key: id.to_string() }
}

fn size(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    /// Drops the transfers that began before `at` less [`TRANSFER_KEPT`].
    fn drop_old_transfers(&self, at: OffsetDateTime) -> Result<(), StoreError> {
        let before = crate::reports::time_text(at - TRANSFER_KEPT);
        self.conn.execute("DELETE FROM transfers WHERE made_at < ?1", params![before])?;
        Ok(())
    }

    /// Begins a transfer of `bytes` bytes whose SHA-256 is `sha256`, for
    /// `account` to send in chunks ([`Store::append_transfer`]).
    pub fn begin_transfer(
        &self,
        account: &str,
        purpose: Purpose,
        (bytes, sha256): (u64, &str),
        at: OffsetDateTime,
    ) -> Result<Transfer, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(StoreError::Invalid {
                record: "transfer".into(),
                problem: format!("sha256 '{sha256}' is not 64 lower-case hex digits"),
            });
        }
        if bytes > MAX_TRANSFER {
            return Err(StoreError::Invalid {
                record: "transfer".into(),
                problem: format!("{bytes} bytes is more than a transfer carries ({MAX_TRANSFER}); send fewer reports at a time"),
            });
        }
        let bytes_i = bytes as i64;
        self.drop_old_transfers(at)?;
        let open: i64 = self.conn.query_row(
            "SELECT CAST(coalesce(sum(bytes), 0) AS BIGINT) FROM transfers WHERE account = ?1",
            params![account],
            |r| r.get(0),
        )?;
        if size(open) + bytes > MAX_OPEN_PER_ACCOUNT {
            return Err(StoreError::Conflict {
                record: format!("the transfers of {account}"),
                detail: format!(
                    "{open} bytes are under way already and this would make more than {MAX_OPEN_PER_ACCOUNT}; \
                     finish or drop those (they are dropped a day after they began)"
                ),
            });
        }
        let id = Uuid::new_v4();
        let made_at = crate::reports::time_text(at);
        self.conn.execute(
            "INSERT INTO transfers (id, account, purpose, bytes, sha256, received, made_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            params![id.to_string(), account, purpose.code(), bytes_i, sha256, made_at],
        )?;
        Ok(Transfer { id, purpose, bytes, sha256: sha256.to_string(), received: 0, made_at })
    }

    /// The transfer `id` of `account`, if it is there for them.
    pub fn transfer(&self, id: Uuid, account: &str) -> Result<Option<Transfer>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT purpose, bytes, sha256, received, made_at FROM transfers WHERE id = ?1 AND account = ?2",
                params![id.to_string(), account],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<i64>(1)?,
                        r.get::<String>(2)?,
                        r.get::<i64>(3)?,
                        r.get::<String>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((purpose, bytes, sha256, received, made_at)) = row else { return Ok(None) };
        let purpose = if purpose == "CHECKOUT" { Purpose::Checkout } else { Purpose::Bundle };
        Ok(Some(Transfer { id, purpose, bytes: size(bytes), sha256, received: size(received), made_at }))
    }

    fn own_transfer(&self, id: Uuid, account: &str) -> Result<Transfer, StoreError> {
        self.transfer(id, account)?.ok_or_else(|| not_there(id))
    }

    /// Stores `data` as the chunk of transfer `id` that starts at byte
    /// `at_byte`, which must be the number of bytes received so far (a
    /// chunk sent again after its answer was lost is refused with the count,
    /// from which the sender goes on). Answers the bytes received.
    pub fn append_transfer(
        &self,
        id: Uuid,
        account: &str,
        at_byte: u64,
        data: &[u8],
    ) -> Result<u64, StoreError> {
        let tx = self.conn.begin_write()?;
        let row = tx
            .query_row(
                "SELECT bytes, received FROM transfers WHERE id = ?1 AND account = ?2",
                params![id.to_string(), account],
                |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
            )
            .optional()?;
        let Some((bytes, received)) = row else { return Err(not_there(id)) };
        let (bytes, received) = (size(bytes), size(received));
        let conflict = |detail: String| StoreError::Conflict { record: format!("transfer {id}"), detail };
        if at_byte != received {
            return Err(conflict(format!(
                "{received} bytes are received so far; send the chunk starting at byte {received}, not {at_byte}"
            )));
        }
        if data.len() as u64 > MAX_CHUNK {
            return Err(conflict(format!("a chunk is at most {} bytes", MAX_CHUNK)));
        }
        if received + data.len() as u64 > bytes {
            return Err(conflict(format!(
                "the file was said to be {bytes} bytes; {received} are received and this chunk is {} more",
                data.len()
            )));
        }
        if data.is_empty() {
            return Ok(received);
        }
        tx.execute(
            "INSERT INTO transfer_chunks (transfer_id, at_byte, size, data) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), at_byte as i64, data.len() as i64, data],
        )?;
        let now = received + data.len() as u64;
        tx.execute("UPDATE transfers SET received = ?2 WHERE id = ?1", params![id.to_string(), now as i64])?;
        tx.commit()?;
        Ok(now)
    }

    /// Up to `length` bytes of transfer `id` from byte `from` (fewer at its end).
    pub fn read_transfer(
        &self,
        id: Uuid,
        account: &str,
        from: u64,
        length: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let t = self.own_transfer(id, account)?;
        let end = t.received.min(from.saturating_add(length));
        let mut out = Vec::with_capacity(end.saturating_sub(from) as usize);
        if from >= end {
            return Ok(out);
        }
        self.conn.for_each_in(
            "SELECT at_byte, data FROM transfer_chunks WHERE transfer_id = ?1 AND at_byte < ?3 AND at_byte + size > ?2
              ORDER BY at_byte",
            params![id.to_string(), from as i64, end as i64],
            CHUNKS_AT_ONCE,
            &mut |r| {
                let at = size(r.get::<i64>(0)?);
                let data: Vec<u8> = r.get(1)?;
                let lo = from.saturating_sub(at) as usize;
                let hi = ((end - at) as usize).min(data.len());
                out.extend_from_slice(&data[lo.min(hi)..hi]);
                Ok(true)
            },
        )?;
        Ok(out)
    }

    /// Writes the whole of transfer `id` to `to` (a new file), refusing a
    /// transfer not yet whole or whose bytes are not those it began with.
    pub fn transfer_to_file(&self, id: Uuid, account: &str, to: &Path) -> Result<Transfer, StoreError> {
        let t = self.own_transfer(id, account)?;
        let io = |e| StoreError::Io { path: to.to_path_buf(), source: e };
        if t.received != t.bytes {
            return Err(StoreError::Conflict {
                record: format!("transfer {id}"),
                detail: format!("{} of its {} bytes are received; send the rest first", t.received, t.bytes),
            });
        }
        // A bundle holds victims' names: its owner's only.
        crate::open::create_private(to)?;
        let file = std::fs::OpenOptions::new().write(true).open(to).map_err(io)?;
        let written = self.write_transfer(&t, file, to);
        if written.is_err() {
            let _ = std::fs::remove_file(to);
        }
        written.map(|()| t)
    }

    fn write_transfer(&self, t: &Transfer, mut file: std::fs::File, to: &Path) -> Result<(), StoreError> {
        let (id, io) = (t.id, |e| StoreError::Io { path: to.to_path_buf(), source: e });
        let mut hash = Sha256::new();
        let mut failed = None;
        self.conn.for_each_in(
            "SELECT data FROM transfer_chunks WHERE transfer_id = ?1 ORDER BY at_byte",
            params![id.to_string()],
            CHUNKS_AT_ONCE,
            &mut |r| {
                let data: Vec<u8> = r.get(0)?;
                hash.update(&data);
                if let Err(e) = file.write_all(&data) {
                    failed = Some(e);
                    return Ok(false);
                }
                Ok(true)
            },
        )?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        file.sync_all().map_err(io)?;
        let got = crate::audit::hex(&hash.finalize());
        if got != t.sha256 {
            return Err(StoreError::Invalid {
                record: format!("transfer {id}"),
                problem: format!(
                    "the bytes received have SHA-256 {got}, not the {} it began with: a chunk was changed on its way; \
                     send the file again",
                    t.sha256
                ),
            });
        }
        Ok(())
    }

    /// Stages the file at `path` as a transfer of `account`'s to fetch.
    pub fn stage_transfer(
        &self,
        account: &str,
        purpose: Purpose,
        path: &Path,
        at: OffsetDateTime,
    ) -> Result<Transfer, StoreError> {
        let io = |e| StoreError::Io { path: path.to_path_buf(), source: e };
        let mut hash = Sha256::new();
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut buf = vec![0u8; STAGE_CHUNK];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
        let bytes = file.metadata().map_err(io)?.len();
        let t = self.begin_transfer(account, purpose, (bytes, &crate::audit::hex(&hash.finalize())), at)?;
        let staged = self.fill_transfer(&t, account, path, &mut buf);
        if staged.is_err() {
            let _ = self.drop_transfer(t.id, account);
        }
        staged
    }

    fn fill_transfer(
        &self,
        t: &Transfer,
        account: &str,
        path: &Path,
        buf: &mut [u8],
    ) -> Result<Transfer, StoreError> {
        let io = |e| StoreError::Io { path: path.to_path_buf(), source: e };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut at_byte = 0u64;
        loop {
            let mut n = 0;
            while n < buf.len() {
                let got = file.read(&mut buf[n..]).map_err(io)?;
                if got == 0 {
                    break;
                }
                n += got;
            }
            if n == 0 {
                break;
            }
            at_byte = self.append_transfer(t.id, account, at_byte, &buf[..n])?;
        }
        self.own_transfer(t.id, account)
    }

    /// Drops transfer `id` (a bundle imported, a copy fetched).
    pub fn drop_transfer(&self, id: Uuid, account: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM transfers WHERE id = ?1 AND account = ?2",
            params![id.to_string(), account],
        )?;
        Ok(())
    }
}
