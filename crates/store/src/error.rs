use std::path::PathBuf;

/// Everything that can go wrong in the store, with messages that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database at {path}: create one with `safeground init` or `safeground demo`, or name another with --db")]
    NotFound { path: PathBuf },
    #[error(
        "{path} already exists: choose another path, or remove it first if you really mean to replace it"
    )]
    Exists { path: PathBuf },
    #[error("{path} is not a SQLite database (is it a text file or another format?); safeground databases are GeoPackage files")]
    NotSqlite { path: PathBuf },
    #[error("{path} is a SQLite database but not a GeoPackage (application_id is {found:#x}); safeground will not touch it")]
    NotGeoPackage { path: PathBuf, found: i64 },
    #[error("{path} is a GeoPackage but not a safeground database (it has no sg_meta table); safeground will not touch it. Import its layers with `safeground import` instead")]
    NotOurs { path: PathBuf },
    #[error("{path} has safeground schema version {found}, newer than this program understands (up to {supported}); upgrade safeground to open it")]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("{path} is truncated or damaged: SQLite finds its {actual} bytes inconsistent with its header ({detail}); restore it from a backup")]
    Truncated { path: PathBuf, actual: u64, detail: String },
    #[error("{path} is damaged ({detail}); restore it from a backup")]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot read or create {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{record}: {problem}")]
    Invalid { record: String, problem: String },
    #[error("{what} '{key}' is not in the register")]
    Unknown { what: &'static str, key: String },
    /// A report refused approval (`action`: "approved") or unapproval
    /// ("unapproved"), with every reason.
    #[error("{report} cannot be {action}:\n  - {}", problems.join("\n  - "))]
    Refused { report: String, action: &'static str, problems: Vec<String> },
    /// A change a field copy does not make: what it would change came from
    /// the register `origin` and goes back only as reports.
    #[error("{action} is not done on a field copy: this register is a field copy of {origin}; approval, tasking and imports stay with the authority, and the team's reports go home with `safeground sync`")]
    FieldCopy { action: &'static str, origin: String },
    #[error("{record} cannot be changed: {detail}")]
    Conflict { record: String, detail: String },
    #[error("database file {path}: {detail}")]
    Stored { path: PathBuf, detail: String },
    #[error("PostgreSQL: {detail}")]
    Backend { detail: String },
    /// A PostgreSQL statement interrupted rather than refused: the
    /// connection lost, the query cancelled (a timeout, an administrator, a
    /// hot standby's conflict with replay), a serialization failure or a
    /// deadlock. The same request may succeed when sent again.
    #[error("PostgreSQL: {detail} (interrupted: try again)")]
    Interrupted { detail: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
