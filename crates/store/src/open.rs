//! Creating, opening and migrating a register file.

use crate::db::{Db, OptionalExtension, Pg};
use crate::location::{Location, PgUrl};

use crate::{Dialect, Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

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
    include_str!("../migrations/0008_versions_by_report.sql"),
    include_str!("../migrations/0009_projects_accreditations.sql"),
    include_str!("../migrations/0010_residuals.sql"),
    include_str!("../migrations/0011_rankings_ncr.sql"),
    include_str!("../migrations/0012_victim_assistance.sql"),
    include_str!("../migrations/0013_investigations.sql"),
    include_str!("../migrations/0014_inspections.sql"),
    include_str!("../migrations/0015_task_cancellation.sql"),
    include_str!("../migrations/0016_shared_sessions.sql"),
    include_str!("../migrations/0017_events_counter.sql"),
    include_str!("../migrations/0018_attachments.sql"),
    include_str!("../migrations/0019_field_copies.sql"),
    include_str!("../migrations/0020_transfers.sql"),
    include_str!("../migrations/0021_ncr_investigation_index.sql"),
    include_str!("../migrations/0022_polygon_storage.sql"),
];

/// The schema version this program writes and the newest it can open.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// PostgreSQL's migrations: (the version it brings the schema to, its SQL).
/// A PostgreSQL register begins at version 7, the schema the GeoPackage had
/// reached when PostGIS came; later versions are written for both dialects.
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (7, include_str!("../migrations/postgres/0007_register.sql")),
    (8, include_str!("../migrations/postgres/0008_versions_by_report.sql")),
    (9, include_str!("../migrations/postgres/0009_projects_accreditations.sql")),
    (10, include_str!("../migrations/postgres/0010_residuals.sql")),
    (11, include_str!("../migrations/postgres/0011_rankings_ncr.sql")),
    (12, include_str!("../migrations/postgres/0012_victim_assistance.sql")),
    (13, include_str!("../migrations/postgres/0013_investigations.sql")),
    (14, include_str!("../migrations/postgres/0014_inspections.sql")),
    (15, include_str!("../migrations/postgres/0015_task_cancellation.sql")),
    (16, include_str!("../migrations/postgres/0016_shared_sessions.sql")),
    (17, include_str!("../migrations/postgres/0017_events_counter.sql")),
    (18, include_str!("../migrations/postgres/0018_attachments.sql")),
    (19, include_str!("../migrations/postgres/0019_field_copies.sql")),
    (20, include_str!("../migrations/postgres/0020_transfers.sql")),
    (21, include_str!("../migrations/postgres/0021_ncr_investigation_index.sql")),
    (22, include_str!("../migrations/postgres/0022_polygon_storage.sql")),
];

/// The oldest PostgreSQL and PostGIS this program runs on.
const PG_MIN_VERSION: i64 = 130_000;
const POSTGIS_MIN_MAJOR: i64 = 3;

impl Store {
    /// Creates a new, empty register at `path`. Refuses to touch an existing file.
    pub fn create(at: impl Into<Location>) -> Result<Store, StoreError> {
        let path = match at.into() {
            Location::Postgres(url) => return Store::create_postgres(&url),
            Location::File(path) => path,
        };
        let path = path.as_path();
        create_private(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch(&format!(
            "PRAGMA application_id = {GPKG_APPLICATION_ID}; PRAGMA user_version = {GPKG_USER_VERSION};"
        ))?;
        let mut store = Store::on(Db::Sqlite(conn), path.to_path_buf(), Location::File(path.to_path_buf()));
        store.configure()?;
        store.migrate(0)?;
        Ok(store)
    }

    /// A store over an open connection, its caches empty.
    fn on(conn: Db, path: PathBuf, target: Location) -> Store {
        Store { conn, path, target, districts: None, copy: None }
    }

    /// Opens an existing register, upgrading an older schema in one transaction.
    pub fn open(at: impl Into<Location>) -> Result<Store, StoreError> {
        let path_buf = match at.into() {
            Location::Postgres(url) => return Store::open_postgres(&url),
            Location::File(path) => path,
        };
        let path = path_buf.as_path();
        check_size(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&path_buf, e))?;
        let version = inspect(&conn, &path_buf)?;
        let mut store = Store::on(Db::Sqlite(conn), path_buf.clone(), Location::File(path_buf));
        store.configure()?;
        store.migrate(version)?;
        Ok(store)
    }

    /// A warning when other users of this machine can read the register's
    /// file (its group or others have read permission) and it holds personal
    /// data: victims' names or accounts' password hashes. `None` for a
    /// private file, a register without personal data, or PostgreSQL; the
    /// register is opened only when its mode lets others read it.
    pub fn exposure(at: &Location) -> Result<Option<String>, StoreError> {
        #[cfg(unix)]
        if let Some(path) = at.file() {
            use std::os::unix::fs::PermissionsExt;
            let Ok(meta) = std::fs::metadata(path) else { return Ok(None) };
            let mode = meta.permissions().mode();
            if mode & 0o044 == 0 {
                return Ok(None);
            }
            let personal: bool = Store::open(path)?.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM victim_identities)
                   OR EXISTS (SELECT 1 FROM attachments WHERE personal = 1)",
                (),
                |r| r.get(0),
            )?;
            if personal {
                return Ok(Some(format!(
                    "{} holds personal data (victims' names or photographs, or password hashes) and other users of this \
                     machine can read it (mode {:03o}): run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                )));
            }
        }
        Ok(None)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        read_version(&self.conn, &self.path)
    }

    fn sqlite(&self) -> &Connection {
        match &self.conn {
            Db::Sqlite(c) => c,
            Db::Postgres(_) => unreachable!("SQLite set-up on a PostgreSQL store"),
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let conn = self.sqlite();
        register_spatial_functions(conn)?;
        // An approval runs some sixty distinct statements; rusqlite keeps 16 by
        // default, so they were parsed again for every report (a quarter of an
        // import's time, by the profile in BENCHMARKS.md).
        conn.set_prepared_statement_cache_capacity(256);
        // WAL: readers never block the writer. foreign_keys: references hold.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| classify(&self.path, e))?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )?;
        Ok(())
    }

    /// Brings the schema from version `from` to [`SCHEMA_VERSION`] in one
    /// transaction, with the migrations of the store's dialect.
    fn migrate(&self, from: i64) -> Result<(), StoreError> {
        if from >= SCHEMA_VERSION {
            return Ok(());
        }
        let dialect = self.conn.dialect();
        let steps: Vec<(i64, &str)> = match dialect {
            Dialect::Sqlite => MIGRATIONS.iter().enumerate().map(|(i, sql)| (i as i64 + 1, *sql)).collect(),
            Dialect::Postgres => PG_MIGRATIONS.to_vec(),
        };
        let tx = self.conn.begin_write()?;
        for (version, sql) in steps.into_iter().filter(|(v, _)| *v > from) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO sg_meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [version.to_string()],
            )?;
        }
        if dialect == Dialect::Sqlite && from < 6 {
            // The events recorded before the chain existed (schema 6) are
            // sealed now, in order, once every table the seal reads exists.
            crate::audit::seal(&tx, 0)?;
        }
        tx.execute(
            "INSERT INTO sg_meta (key, value) VALUES ('application', 'safeground') ON CONFLICT(key) DO NOTHING",
            (),
        )?;
        tx.commit()
    }
}

/// Creates the empty file a new register starts as, readable and writable by
/// its owner only (0600): it will hold victims' names and password hashes.
/// SQLite gives its `-wal` and `-shm` the same mode. No SQLite connection to a
/// new file can be open, so this descriptor's close drops no lock.
/// Removes a GeoPackage and its write-ahead log and shared memory, as a
/// failed or abandoned write leaves them.
pub fn remove_with_journal(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

pub(crate) fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::Exists { path: path.to_path_buf() })
        }
        Err(e) => Err(StoreError::Io { path: path.to_path_buf(), source: e }),
    }
}

/// Refuses what cannot be a register before SQLite opens it: a missing
/// path, and a file shorter than SQLite's 100-byte header (SQLite would take
/// an empty file for a new database and write one).
///
/// The size comes from `stat`, never from a descriptor of our own: closing
/// any descriptor of a file drops every POSIX lock this process holds on it
/// (SQLite's *How To Corrupt An SQLite Database File*, §2.2), so a server
/// whose pool opened a connection would look, to another process, as if it
/// had no readers; that process would reset the WAL and the server would go
/// on writing into a deleted `-wal`, losing writes it had confirmed.
///
/// Everything else — is it SQLite, is it whole — is judged by [`inspect`]
/// on the ordinary connection, inside SQLite's locking and through the WAL.
/// A lock-free (`immutable`) reader, tried before, reads the main file alone
/// and can meet it in the middle of another process's checkpoint, pages
/// being copied in from the WAL: under a busy server it called a sound
/// register damaged, and a command refused to run.
fn check_size(path: &Path) -> Result<(), StoreError> {
    let actual = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotFound { path: path.to_path_buf() })
        }
        Err(e) => return Err(StoreError::Io { path: path.to_path_buf(), source: e }),
    };
    if actual < 100 {
        return Err(StoreError::NotSqlite { path: path.to_path_buf() });
    }
    Ok(())
}

/// What SQLite's error on a first read says of the file: not SQLite at all,
/// or a database whose pages do not agree with its header (its size beside
/// its header's page count, counted with the WAL's pages, as SQLite does).
fn damaged(path: &Path, e: rusqlite::Error) -> StoreError {
    match classify(path, e) {
        StoreError::Corrupt { path, detail } => {
            let actual = std::fs::metadata(&path).map_or(0, |m| m.len());
            StoreError::Truncated { path, actual, detail }
        }
        other => other,
    }
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
    use rusqlite::OptionalExtension;
    let app: i64 =
        conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| damaged(path, e))?;
    if app != GPKG_APPLICATION_ID {
        return Err(StoreError::NotGeoPackage { path: path.to_path_buf(), found: app });
    }
    let has_meta: bool = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sg_meta'", (), |_| Ok(true))
        .optional()
        .map_err(|e| damaged(path, e))?
        .unwrap_or(false);
    if !has_meta {
        return Err(StoreError::NotOurs { path: path.to_path_buf() });
    }
    let text: Option<String> = conn
        .query_row("SELECT value FROM sg_meta WHERE key = 'schema_version'", (), |r| r.get(0))
        .optional()
        .map_err(|e| classify(path, e))?;
    let version = parse_version(text, path)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

fn read_version(conn: &Db, path: &Path) -> Result<i64, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT value FROM sg_meta WHERE key = 'schema_version'", (), |r| r.get(0))
        .optional()?;
    parse_version(text, path)
}

fn parse_version(text: Option<String>, path: &Path) -> Result<i64, StoreError> {
    let text = text.ok_or_else(|| StoreError::NotOurs { path: path.to_path_buf() })?;
    text.parse().map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("sg_meta.schema_version is '{text}', not a number"),
    })
}

/// The SQL functions the GeoPackage spatial index triggers call (GDAL
/// registers the same ones), over [`gpkg_envelope`]: `ST_MinX`, `ST_MaxX`,
/// `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` of a geometry blob; and `sg_fold`,
/// the register's search's lower case.
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
    // Text lowered in every script, as Rust lowers it (SQLite's lower() does
    // ASCII only): the register's search compares ağdam with AĞDAM, харків
    // with ХАРКІВ.
    conn.create_scalar_function("sg_fold", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).to_lowercase()),
            _ => None,
        })
    })?;
    Ok(())
}

impl Store {
    /// Connects to a PostgreSQL register and checks it, as `open` checks a file.
    fn open_postgres(url: &PgUrl) -> Result<Store, StoreError> {
        let (db, shown) = connect(url, false)?;
        let has_meta: bool = db.query_row("SELECT to_regclass('sg_meta') IS NOT NULL", (), |r| r.get(0))?;
        if !has_meta {
            return Err(StoreError::Backend {
                detail: format!(
                    "{} is not a safeground register (it has no sg_meta table): create one in an empty database with `safeground --db URL init`, or copy one in with `safeground migrate --to URL`",
                    shown.display()
                ),
            });
        }
        let version = read_version(&db, &shown)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { path: shown, found: version, supported: SCHEMA_VERSION });
        }
        let store = Store::on(db, shown, Location::Postgres(url.clone()));
        store.migrate(version)?;
        Ok(store)
    }

    /// Creates the register's schema in an empty PostgreSQL database.
    fn create_postgres(url: &PgUrl) -> Result<Store, StoreError> {
        let (db, shown) = connect(url, true)?;
        let tables: i64 = db.query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()
               AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'",
            (),
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(StoreError::Backend {
                detail: format!(
                    "{} already holds tables: a register is created only in an empty database (createdb NAME), so that nothing of another application is touched",
                    shown.display()
                ),
            });
        }
        let store = Store::on(db, shown, Location::Postgres(url.clone()));
        store.migrate(0)?;
        Ok(store)
    }
}

/// Connects, and checks the server and PostGIS versions (enabling PostGIS
/// first when `create`, if the account may): returns the connection and the
/// URL to show (its password removed).
fn connect(url: &PgUrl, create: bool) -> Result<(Db, std::path::PathBuf), StoreError> {
    let text = url.secret();
    // What messages show: the URL without its password.
    let shown = std::path::PathBuf::from(url.to_string());
    let mut config: postgres::Config = text.parse().map_err(|e| StoreError::Backend {
        detail: format!(
            "{} is not a PostgreSQL URL ({e}); write postgres://USER@HOST:PORT/DATABASE",
            shown.display()
        ),
    })?;
    // A host that does not answer at all is given ten seconds, not the
    // system's two minutes (the URL may say otherwise: connect_timeout=N).
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    let client = config.connect(postgres::NoTls).map_err(|e| StoreError::Backend {
        detail: format!(
            "cannot connect to {}: {e}; is the server running, and do the user and database exist (createdb)?",
            shown.display()
        ),
    })?;
    let pg = Pg::new(client);
    let db = Db::Postgres(Box::new(pg));
    let server: i64 =
        db.query_row("SELECT current_setting('server_version_num')::bigint", (), |r| r.get(0))?;
    if server < PG_MIN_VERSION {
        return Err(StoreError::Backend {
            detail: format!(
                "{} runs PostgreSQL {}.{}; safeground needs PostgreSQL 13 or newer",
                shown.display(),
                server / 10000,
                server % 10000
            ),
        });
    }
    let installed = |db: &Db| -> Result<Option<String>, StoreError> {
        db.query_row("SELECT extversion FROM pg_extension WHERE extname = 'postgis'", (), |r| r.get(0))
            .optional()
    };
    if create && installed(&db)?.is_none() {
        // Allowed to a superuser or the database's owner (PostGIS is trusted
        // from PostgreSQL 13); otherwise the message below says what to run.
        let _ = db.execute_batch("CREATE EXTENSION IF NOT EXISTS postgis");
    }
    let postgis = installed(&db)?;
    let postgis = match postgis {
        Some(v) => v,
        None => {
            let available: bool = db.query_row(
                "SELECT count(*) > 0 FROM pg_available_extensions WHERE name = 'postgis'",
                (),
                |r| r.get(0),
            )?;
            return Err(StoreError::Backend {
                detail: if available {
                    format!(
                        "PostGIS is installed on the server but not enabled in {}: run `CREATE EXTENSION postgis;` in that database (as its owner or a superuser)",
                        shown.display()
                    )
                } else {
                    format!(
                        "PostGIS is not installed on the server of {}: install it (Debian: apt-get install postgresql-15-postgis-3), then run `CREATE EXTENSION postgis;` in that database",
                        shown.display()
                    )
                },
            });
        }
    };
    let major: i64 = postgis.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < POSTGIS_MIN_MAJOR {
        return Err(StoreError::Backend {
            detail: format!("{} has PostGIS {postgis}; safeground needs PostGIS 3 or newer (ALTER EXTENSION postgis UPDATE)", shown.display()),
        });
    }
    // The register's times are UTC text; the server's own clock is read as UTC too.
    db.execute_batch(
        "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET standard_conforming_strings = on",
    )?;
    Ok((db, shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_opens_whatever_its_path_holds() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["plain.gpkg", "with space.gpkg", "what?#%.gpkg", "Ağdam ərazisi.gpkg"] {
            let path = dir.path().join(name);
            drop(Store::create(&path).unwrap());
            assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION, "{name}");
        }
        // A leading double slash is still a path, not a host.
        let doubled = format!("/{}", dir.path().join("plain.gpkg").display());
        assert!(Store::open(Path::new(&doubled)).is_ok());
    }

    /// Another connection commits and checkpoints all the while (as a busy
    /// server does); every open still finds the register whole. A lock-free
    /// reader of the main file, as `open` used before, met it mid-checkpoint
    /// on about one read in twenty.
    #[test]
    fn a_register_being_written_and_checkpointed_opens_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.gpkg");
        drop(Store::create(&path).unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let c = Connection::open(&path).unwrap();
                c.execute_batch(
                    "PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = 8;
                     CREATE TABLE churn (id INTEGER PRIMARY KEY, b BLOB);",
                )
                .unwrap();
                let mut commits = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    c.execute_batch("INSERT INTO churn (b) VALUES (randomblob(3000)), (randomblob(3000));")
                        .unwrap();
                    commits += 1;
                }
                commits
            })
        };
        for i in 0..200 {
            if let Err(e) = Store::open(&path) {
                panic!("open {i} while another connection writes: {e}");
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(writer.join().unwrap() > 0);
    }
}
