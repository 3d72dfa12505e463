//! Creating, opening and migrating a register file.

use crate::{Store, StoreError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::io::Read;
use std::path::Path;

/// The GeoPackage `application_id`: the ASCII bytes "GPKG".
const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;
/// GeoPackage 1.3.0; GDAL 3.6 recognises it.
const GPKG_USER_VERSION: i64 = 10300;

/// The migrations, in order. Migration N brings the schema to version N.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_register.sql"),
    include_str!("../migrations/0002_reports_history.sql"),
    include_str!("../migrations/0003_report_drafts.sql"),
    include_str!("../migrations/0004_spatial_index.sql"),
    include_str!("../migrations/0005_country.sql"),
    include_str!("../migrations/0006_accounts_audit.sql"),
    include_str!("../migrations/0007_summary_index.sql"),
];

/// The schema version this program writes and the newest it can open.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl Store {
    /// Creates a new, empty register at `path`. Refuses to touch an existing file.
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists { path: path.to_path_buf() });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch(&format!(
            "PRAGMA application_id = {GPKG_APPLICATION_ID}; PRAGMA user_version = {GPKG_USER_VERSION};"
        ))?;
        let mut store = Store { conn, path: path.to_path_buf(), districts: None };
        store.configure()?;
        store.migrate(0)?;
        Ok(store)
    }

    /// Opens an existing register, upgrading an older schema in one transaction.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path_buf = path.to_path_buf();
        check_header(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&path_buf, e))?;
        let version = inspect(&conn, &path_buf)?;
        let mut store = Store { conn, path: path_buf, districts: None };
        store.configure()?;
        store.migrate(version)?;
        Ok(store)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        read_version(&self.conn, &self.path)
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        register_spatial_functions(&self.conn)?;
        // An approval runs some sixty distinct statements; rusqlite keeps 16 by
        // default, so they were parsed again for every report (a quarter of an
        // import's time, by the profile in BENCHMARKS.md).
        self.conn.set_prepared_statement_cache_capacity(256);
        // WAL: readers never block the writer. foreign_keys: references hold.
        self.conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| classify(&self.path, e))?;
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )?;
        Ok(())
    }

    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        if from >= SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            tx.execute_batch(sql)?;
            let version = i as i64 + 1;
            if version == 6 {
                // The events recorded before the chain existed are sealed now, in order.
                crate::audit::seal(&tx, 0)?;
            }
            tx.execute(
                "INSERT INTO sg_meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [version.to_string()],
            )?;
        }
        tx.execute(
            "INSERT INTO sg_meta (key, value) VALUES ('application', 'safeground') ON CONFLICT(key) DO NOTHING",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Reads the 100-byte SQLite header: a file that is not SQLite, or is shorter
/// than its header says, is refused before SQLite opens it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotFound { path: path.to_path_buf() })
        }
        Err(e) => return Err(io(e)),
    };
    let actual = f.metadata().map_err(io)?.len();
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        match f.read(&mut header[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
    }
    if read < 100 || &header[..16] != b"SQLite format 3\0" {
        if actual == 0 {
            return Err(StoreError::NotSqlite { path: path.to_path_buf() });
        }
        return Err(StoreError::NotSqlite { path: path.to_path_buf() });
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => n as u64,
    };
    let pages = u32::from_be_bytes([header[28], header[29], header[30], header[31]]) as u64;
    let change = &header[24..28];
    let valid_for = &header[92..96];
    // The in-header page count is only meaningful when it was written with the
    // current change counter (SQLite file format, section 1.3.7).
    if change == valid_for && pages > 0 && pages * page_size > actual {
        return Err(StoreError::Truncated { path: path.to_path_buf(), expected: pages * page_size, actual });
    }
    Ok(())
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotSqlite { path: path.to_path_buf() },
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_path_buf(), detail: e.to_string() }
        }
        _ => StoreError::Stored { path: path.to_path_buf(), detail: e.to_string() },
    }
}

/// Checks that an open file is a safeground GeoPackage of a schema we
/// understand, reading only; returns its schema version.
fn inspect(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let app: i64 =
        conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| classify(path, e))?;
    if app != GPKG_APPLICATION_ID {
        return Err(StoreError::NotGeoPackage { path: path.to_path_buf(), found: app });
    }
    let has_meta: bool = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sg_meta'", [], |_| Ok(true))
        .optional()
        .map_err(|e| classify(path, e))?
        .unwrap_or(false);
    if !has_meta {
        return Err(StoreError::NotOurs { path: path.to_path_buf() });
    }
    let version = read_version(conn, path)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

fn read_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT value FROM sg_meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .optional()
        .map_err(|e| classify(path, e))?;
    let text = text.ok_or_else(|| StoreError::NotOurs { path: path.to_path_buf() })?;
    text.parse().map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("sg_meta.schema_version is '{text}', not a number"),
    })
}

/// The SQL functions the GeoPackage spatial index triggers call (GDAL
/// registers the same ones), over [`gpkg_envelope`]: `ST_MinX`, `ST_MaxX`,
/// `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` of a geometry blob.
pub(crate) fn register_spatial_functions(conn: &Connection) -> Result<(), StoreError> {
    use rusqlite::functions::FunctionFlags;
    use safeground_core::wkb::gpkg_envelope;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let envelope = |ctx: &rusqlite::functions::Context<'_>| -> rusqlite::Result<Option<[f64; 4]>> {
        match ctx.get_raw(0) {
            rusqlite::types::ValueRef::Blob(b) => {
                gpkg_envelope(b).map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
            }
            _ => Ok(None),
        }
    };
    for (name, i) in [("ST_MinX", 0usize), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)] {
        conn.create_scalar_function(name, 1, flags, move |ctx| Ok(envelope(ctx)?.map(|e| e[i])))?;
    }
    conn.create_scalar_function("ST_IsEmpty", 1, flags, move |ctx| Ok(envelope(ctx)?.is_none()))?;
    Ok(())
}
