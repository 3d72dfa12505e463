//! A field copy's reports carried on a USB stick: `sync --export-bundle`
//! writes them, with their files, into one SQLite file signed with the
//! team's API token; `sync --import-bundle` on the register checks the
//! signature, learns from it who sent the bundle, and stores each report as
//! a sync over the network would ([`Store::receive_all`]): the same
//! checks, the same flags, each report once.
//!
//! The signature is HMAC-SHA256 over the SHA-256 of the bundle's rows
//! ([`digest`]), keyed by the SHA-256 of the token (what the register keeps
//! of it); the bundle names the key by the first 16 hex digits of that hash,
//! never the token. A bundle changed after it was signed, or signed with a
//! token revoked, expired or of another register, is refused whole.
//!
//! Invariant: what a bundle carries is what `outgoing` reads from the copy,
//! and on the register it goes through `Writer::receive`, as a sync does.

use crate::checkout::CopyOrigin;
use crate::sync::{verified_copy, Outgoing, Received, Rules, StoredFile};
use crate::{Store, StoreError};
use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OpenFlags};
use safeground_core::access::Principal;
use safeground_core::attachment::Judged;
use safeground_core::codes::MediaType;
use safeground_core::ids::ReportId;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The format this program writes and reads.
const FORMAT: &str = "safeground field bundle 1";

const SCHEMA: &str = "
CREATE TABLE bundle (format TEXT NOT NULL, copy_id TEXT NOT NULL, origin TEXT NOT NULL, origin_seq INTEGER NOT NULL,
  origin_hash TEXT NOT NULL, made_at TEXT NOT NULL, key_hint TEXT NOT NULL, signature TEXT NOT NULL);
CREATE TABLE reports (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, report TEXT NOT NULL, body TEXT NOT NULL,
  submitted_at TEXT NOT NULL, submitted_by TEXT NOT NULL);
CREATE TABLE files (report_seq INTEGER NOT NULL REFERENCES reports(seq), n INTEGER NOT NULL, name TEXT NOT NULL,
  kind TEXT NOT NULL, personal INTEGER NOT NULL, content_type TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (report_seq, n));";

/// The rows a signature covers, in order.
const SIGNED: [&str; 3] = [
    "SELECT format, copy_id, origin, origin_seq, origin_hash, made_at, key_hint FROM bundle",
    "SELECT seq, id, report, body, submitted_at, submitted_by FROM reports ORDER BY seq",
    "SELECT report_seq, n, name, kind, personal, content_type, data FROM files ORDER BY report_seq, n",
];

/// What a bundle holds, read and its signature checked.
#[derive(Debug)]
pub struct Bundle {
    pub origin: CopyOrigin,
    pub made_at: String,
    /// Who signed it: the account of the token it was signed with.
    pub sender: Principal,
    file: Reader,
}

/// The bundle's file, open in one read transaction (what was digested is
/// what is read), its reports read one at a time: a week of photographs
/// is never in memory at once.
#[derive(Debug)]
struct Reader {
    conn: Connection,
    path: PathBuf,
    seqs: Vec<i64>,
}

fn invalid(path: &Path, problem: impl Into<String>) -> StoreError {
    StoreError::Invalid { record: path.display().to_string(), problem: problem.into() }
}

/// Refuses a file whose schema is anything but [`SCHEMA`]'s three tables.
fn expected_schema(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let not_ours = || {
        invalid(path, "it is not a bundle safeground wrote: its tables are not a bundle's; export it again from the copy")
    };
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_autoindex\\_%' ESCAPE '\\' ORDER BY name")
        .map_err(|_| not_ours())?;
    let found: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .map_err(|_| not_ours())?;
    let mut wanted: Vec<(String, String, Option<String>)> = SCHEMA
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let name = s.strip_prefix("CREATE TABLE ")?.split_whitespace().next()?;
            Some(("table".to_string(), name.to_string(), Some(s.to_string())))
        })
        .collect();
    wanted.sort_by(|a, b| a.1.cmp(&b.1));
    if found == wanted {
        Ok(())
    } else {
        Err(not_ours())
    }
}

/// SHA-256 of the rows a signature covers.
fn digest(conn: &Connection) -> Result<Vec<u8>, StoreError> {
    let mut h = Sha256::new();
    for sql in SIGNED {
        let mut stmt = conn.prepare(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            h.update([0xff]);
            for i in 0..n {
                crate::audit::put(&mut h, row.get_ref(i)?);
            }
        }
    }
    Ok(h.finalize().to_vec())
}

/// HMAC-SHA256 of `digest` keyed by a token's SHA-256 (hex), in hex.
fn sign(key: &str, digest: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(digest);
    crate::audit::hex(&mac.finalize().into_bytes())
}

/// Whether `signature` (hex) is the HMAC of `digest` under `key`, compared
/// in constant time.
fn verifies(key: &str, digest: &[u8], signature: &str) -> bool {
    // Exactly as `sign` writes it: 64 lower-case hex digits.
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return false;
    }
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()) else { return false };
    mac.update(digest);
    let bytes: Vec<u8> =
        (0..32).filter_map(|i| u8::from_str_radix(&signature[2 * i..2 * i + 2], 16).ok()).collect();
    bytes.len() == 32 && mac.verify_slice(&bytes).is_ok()
}

/// Writes the field copy at `copy`'s submitted reports, with their files,
/// into a new bundle at `out`, signed with `token`; answers how many.
/// Written beside `out` and renamed when whole.
pub fn export_bundle(copy: &Path, out: &Path, token: &str, at: OffsetDateTime) -> Result<usize, StoreError> {
    if out.exists() {
        return Err(StoreError::Exists { path: out.to_path_buf() });
    }
    let (field, origin) = verified_copy(copy)?;
    let mut part = out.as_os_str().to_owned();
    part.push(format!(".part-{}", std::process::id()));
    let part = std::path::PathBuf::from(part);
    let _ = std::fs::remove_file(&part);
    // Victims' names travel in it: readable by its owner only.
    crate::open::create_private(&part)?;
    let result = write_bundle(&field, &origin, &part, token, at);
    match result {
        Ok(n) => {
            std::fs::rename(&part, out).map_err(|e| StoreError::Io { path: out.to_path_buf(), source: e })?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

fn write_bundle(
    field: &Store,
    origin: &CopyOrigin,
    part: &Path,
    token: &str,
    at: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut conn = Connection::open(part)?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    let key = crate::audit::sha256_hex(token.trim());
    tx.execute(
        "INSERT INTO bundle VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '')",
        params![
            FORMAT,
            origin.id,
            origin.origin,
            origin.origin_seq,
            origin.origin_hash,
            crate::reports::time_text(at),
            &key[..16]
        ],
    )?;
    let mut n = 0;
    for (seq, (id, state)) in field.own_reports()?.into_iter().enumerate() {
        if state != "SUBMITTED" {
            continue;
        }
        let o = field.outgoing(id)?;
        let report = serde_json::to_string(&o.report)
            .map_err(|e| invalid(part, format!("report {id} cannot be written: {e}")))?;
        tx.execute(
            "INSERT INTO reports VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![seq as i64, id.to_string(), report, o.body, o.submitted_at, o.submitted_by],
        )?;
        for (i, f) in o.files.iter().enumerate() {
            tx.execute(
                "INSERT INTO files VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    seq as i64,
                    i as i64,
                    f.name,
                    f.kind.code(),
                    f.personal,
                    f.judged.media.mime(),
                    f.bytes
                ],
            )?;
        }
        n += 1;
    }
    let signature = sign(&key, &digest(&tx)?);
    tx.execute("UPDATE bundle SET signature = ?1", [signature])?;
    tx.commit()?;
    Ok(n)
}

/// A bundle read (every row checked, files' bytes left in the file), its
/// signature not checked yet.
#[derive(Debug)]
pub struct Unsigned {
    origin: CopyOrigin,
    made_at: String,
    hint: String,
    signature: String,
    digest: Vec<u8>,
    file: Reader,
}

impl Unsigned {
    /// How many reports it carries.
    pub fn reports(&self) -> usize {
        self.file.seqs.len()
    }
}

impl Bundle {
    /// Reads the bundle at `path` and checks its signature against the API
    /// tokens in force on `register`.
    pub fn open(path: &Path, register: &Store) -> Result<Bundle, StoreError> {
        let u = Bundle::read(path)?;
        let sender = match register.bundle_signer(&u.hint, &u.digest, &u.signature)? {
            Signer::Account(p) => p,
            Signer::NoToken => return Err(invalid(path, "it is signed with no API token in force on this register (revoked, expired, or another register's); nothing was stored: ask an administrator for a new token and export the bundle again")),
            Signer::Changed => return Err(invalid(path, "it changed after it was signed; nothing was stored: export the bundle again from the field copy")),
        };
        Ok(Bundle { origin: u.origin, made_at: u.made_at, sender, file: u.file })
    }

    /// Reads the bundle at `path` — every row checked as this program writes
    /// it, the digest its signature must match — refusing anything else
    /// before a report is stored; the files' bytes are read as each goes.
    pub fn read(path: &Path) -> Result<Unsigned, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| invalid(path, format!("it is not a bundle safeground wrote ({e})")))?;
        // Nothing in the file runs: no views, triggers or functions of its
        // own, only the three tables as this program writes them, so the
        // rows the signature covers are the rows read.
        // One read transaction from here on: the schema checked, the rows
        // digested and the rows read are one snapshot of the file.
        conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON; BEGIN;")
            .map_err(|e| invalid(path, format!("it is not a bundle safeground wrote ({e})")))?;
        expected_schema(&conn, path)?;
        type Head = (String, String, String, i64, String, String, String, String);
        let head: Head = conn
            .query_row(
                "SELECT format, copy_id, origin, origin_seq, origin_hash, made_at, key_hint, signature FROM bundle",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .map_err(|e| invalid(path, format!("it is not a bundle safeground wrote ({e})")))?;
        let (format, copy_id, origin, origin_seq, origin_hash, made_at, hint, signature) = head;
        if format != FORMAT {
            return Err(invalid(path, format!("it is a '{format}', which this program does not read")));
        }
        let digest = digest(&conn)?;
        let origin = CopyOrigin {
            id: copy_id,
            origin,
            origin_seq,
            origin_hash,
            district_id: String::new(),
            organisation_id: None,
            made_at: String::new(),
            made_by: String::new(),
            snapshot_rows: 0,
            snapshot_sha256: String::new(),
        };
        let seqs = check_reports(&conn, path)?;
        let file = Reader { conn, path: path.to_path_buf(), seqs };
        Ok(Unsigned { origin, made_at, hint, signature, digest, file })
    }

    pub fn reports(&self) -> usize {
        self.file.seqs.len()
    }

    /// Stores the bundle's reports in `register` as its signer sent them
    /// (`rules.may` asked of the signer).
    #[allow(clippy::type_complexity)]
    pub fn import(
        self,
        register: &mut Store,
        rules: Rules<'_>,
        at: OffsetDateTime,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Vec<(ReportId, Received)>, Vec<(ReportId, String)>), StoreError> {
        register.made(&self.origin)?;
        let name = self.sender.name.clone();
        let file = &self.file;
        let reports = file.seqs.iter().map(|seq| outgoing_at(&file.conn, &file.path, *seq));
        register.receive_all(reports, &self.origin, rules, (&name, at), progress).map_err(|e| {
            invalid(
                &file.path,
                format!(
                    "{e}; the reports before it were stored, each whole: importing the bundle again is safe"
                ),
            )
        })
    }
}

/// The bundle's reports in order, every row checked as [`outgoing_at`]
/// will read it (a field copy's newer program, a file cut short: refused
/// before anything is stored); the files' bytes are left in the file.
fn check_reports(conn: &Connection, path: &Path) -> Result<Vec<i64>, StoreError> {
    let bad = |what: String| invalid(path, format!("{what}; nothing was stored: export the bundle again"));
    let mut seqs = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT seq, id, report, typeof(body), typeof(submitted_at), typeof(submitted_by) FROM reports ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(1).map_err(|e| bad(format!("a report's id: {e}")))?;
        id.parse::<ReportId>().map_err(|_| bad(format!("report id '{id}' is not a UUID")))?;
        let text: String = r.get(2).map_err(|e| bad(format!("report {id}: {e}")))?;
        safeground_core::report::parse(&text).map_err(|e| bad(format!("report {id}: {e}")))?;
        for i in 3..6 {
            if r.get::<_, String>(i)? != "text" {
                return Err(bad(format!("report {id}: a column is not text")));
            }
        }
        seqs.push(r.get(0)?);
    }
    let mut stmt = conn.prepare(
        "SELECT report_seq, kind, content_type, typeof(name), typeof(personal), typeof(data) FROM files",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(f) = rows.next()? {
        let seq: i64 = f.get(0)?;
        let (kind, content_type): (String, String) = (f.get(1)?, f.get(2)?);
        kind.parse::<safeground_core::codes::AttachmentKind>()
            .map_err(|e| bad(format!("a file of report {seq}: {e}")))?;
        MediaType::from_mime(&content_type)
            .ok_or_else(|| bad(format!("a file of report {seq} has type '{content_type}'")))?;
        let types: (String, String, String) = (f.get(3)?, f.get(4)?, f.get(5)?);
        if types != ("text".into(), "integer".into(), "blob".into()) {
            return Err(bad(format!("a file of report {seq} is not as this program writes it")));
        }
    }
    Ok(seqs)
}

/// Report `seq` of the bundle with its files.
fn outgoing_at(conn: &Connection, path: &Path, seq: i64) -> Result<Outgoing, StoreError> {
    let (id, report, body, submitted_at, submitted_by): (String, String, String, String, String) = conn
        .prepare_cached("SELECT id, report, body, submitted_at, submitted_by FROM reports WHERE seq = ?1")?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    let report =
        safeground_core::report::parse(&report).map_err(|e| invalid(path, format!("report {id}: {e}")))?;
    let mut files = Vec::new();
    let mut fs = conn.prepare_cached(
        "SELECT name, kind, personal, content_type, data FROM files WHERE report_seq = ?1 ORDER BY n",
    )?;
    let mut frows = fs.query([seq])?;
    while let Some(f) = frows.next()? {
        let content_type: String = f.get(3)?;
        let media = MediaType::from_mime(&content_type)
            .ok_or_else(|| invalid(path, format!("report {id}: a file of type '{content_type}'")))?;
        files.push(StoredFile {
            name: f.get(0)?,
            kind: f.get::<_, String>(1)?.parse().map_err(|e| invalid(path, format!("report {id}: {e}")))?,
            personal: f.get(2)?,
            bytes: f.get(4)?,
            // Judged again from the bytes at the register (`Rules::judge`).
            judged: Judged { media, pixels: None, position: None, taken_at: None, thumbnail: None },
        });
    }
    Ok(Outgoing {
        id: id.parse().map_err(|_| invalid(path, format!("report id '{id}' is not a UUID")))?,
        report,
        body,
        submitted_at,
        submitted_by,
        files,
    })
}

/// Who signed a bundle, as the register can tell.
enum Signer {
    Account(Principal),
    /// No token in force is the key the bundle names.
    NoToken,
    /// A token in force is, but the signature is not its: the rows changed.
    Changed,
}

impl Store {
    /// The account whose API token in force (its SHA-256 beginning with
    /// `hint`) signed `digest` with `signature`.
    fn bundle_signer(&self, hint: &str, digest: &[u8], signature: &str) -> Result<Signer, StoreError> {
        if hint.len() != 16 || !hint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Signer::NoToken);
        }
        let now = crate::time_text(OffsetDateTime::now_utc());
        let candidates: Vec<(String, String)> = self
            .conn
            .prepare(
                "SELECT user_id, token_hash FROM api_tokens WHERE substr(token_hash, 1, 16) = ?1
                   AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_map(params![hint.to_ascii_lowercase(), now], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if candidates.is_empty() {
            return Ok(Signer::NoToken);
        }
        for (user, key) in candidates {
            if verifies(&key, digest, signature) {
                return Ok(match self.principal(crate::reports::parse_uuid(&user)?)? {
                    Some(p) => Signer::Account(p),
                    None => Signer::NoToken,
                });
            }
        }
        Ok(Signer::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: the key "Jefe".
    #[test]
    fn hmac_is_rfc_4231s() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            crate::audit::hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let d = Sha256::digest(b"rows").to_vec();
        let s = sign("k1", &d);
        assert!(verifies("k1", &d, &s));
        assert!(!verifies("k2", &d, &s));
        assert!(!verifies("k1", &Sha256::digest(b"other"), &s));
        assert!(!verifies("k1", &d, "zz"));
        assert!(!verifies("k1", &d, &s[..10]));
        assert!(!verifies("k1", &d, &s.to_uppercase()));
        assert!(!verifies("k1", &d, &format!("+{}", &s[1..])));
    }
}
