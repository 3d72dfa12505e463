//! safeground's storage: the national register in one SQLite file that is a
//! valid GeoPackage 1.3, so that QGIS and GDAL open it as it is — or, for a
//! national server, in a PostgreSQL/PostGIS database holding the same tables
//! and values (`Store::open("postgres://…")`; see `db.rs` for how one body of
//! SQL serves both, and `migrate.rs` for moving a register between them).
//!
//! Only this crate knows SQL. The schema lives in `migrations/NNNN_*.sql`,
//! applied in order and recorded in `sg_meta.schema_version`; longer queries
//! live in `sql/*.sql`. Every write goes through [`Store::write`], which runs in
//! one transaction: it commits whole or not at all.
//!
//! Opening a file checks, before anything is written, that it is SQLite, a
//! GeoPackage, a safeground database, whole (not truncated) and of a schema
//! this program understands; any failure is an error that leaves the file as it
//! was.

mod accounts;
mod accreditation;
mod approval;
mod assistance;
mod attachments;
mod audit;
mod bulk;
mod bundle;
mod certificate;
mod checkout;
mod db;
mod drafts;
mod error;
mod export;
mod geometry;
mod gpkg_in;
mod gpkg_out;
mod history;
mod import;
mod inspection;
mod investigation;
mod kpi;
mod location;
mod migrate;
mod ncr;
mod open;
mod organisations;
mod pending;
mod places;
mod priority;
mod project;
mod read;
mod replica;
mod reports;
mod residual;
mod sessions;
mod stats;
mod sync;
mod tasks;
mod tiles;
mod transfer;
mod treaty;
mod verify;
mod write;

pub use accounts::{generate_password, LoginFailure, NewUser, UserChange, UserRow, MIN_PASSWORD_CHARS};
pub use accreditation::{AccreditationRow, NewAccreditation};
pub use assistance::{ConsentRow, FollowUpRow, NewConsent, VictimRow};
pub use attachments::{AttachmentRow, MediaFile, NewAttachment};
pub use audit::{Audit, AuditHead, BrokenEvent};
pub use bundle::{export_bundle, Bundle, Unsigned};
pub use certificate::CertificateGround;
pub use checkout::{Checkout, CopyOrigin, Scope};
pub use drafts::DraftOutcome;
pub use error::StoreError;
pub use export::{Feature, Layer};
pub use gpkg_in::{GpkgFeature, GpkgReader};
pub use gpkg_out::GpkgLayerWriter;
pub use import::{ImportBatches, ItemOutcome, Origin};
pub use inspection::{InspectionFilter, InspectionRow};
pub use investigation::{InvestigationRow, RecommendationNcr, RecommendationToNcr};
pub use location::{Location, PgUrl};
pub use migrate::{Migration, TableCopy};
pub use ncr::{NcrRow, NewNcr};
pub use open::{remove_with_journal, SCHEMA_VERSION};
pub use organisations::OrganisationRow;
pub use places::{Place, PlaceKind};
pub use priority::{PriorityFacts, RankingRow, RankingTasks};
pub use project::{ProjectGround, ProjectRow};
pub use read::{
    HazardDetail, HazardFilter, HazardRow, HazardShape, HazardSort, NamedPoint, Paging, ReleasedRow,
};
pub use replica::{is_lsn, ReplicaState};
pub use reports::{
    end_of_day, recorded_at, time_text, ApprovalSettings, EventRow, HazardVersion, ReportRow, TraceRow,
};
pub use residual::ResidualRow;
pub use sessions::{FailuresChange, KeptSession, LoginFailures};
pub use stats::{DistrictFinder, DistrictRef, MonthRelease, OrganisationRef};
pub use sync::{check_copy, sync as sync_copy, Outbox, Outgoing, Received, Rules as SyncRules, Synced};
pub use tasks::{NewTask, TaskFilter, TaskRow};
pub use tiles::{MapGround, TILE_LAYERS};
pub use transfer::{Purpose, Transfer, MAX_CHUNK, TRANSFER_KEPT};
pub use verify::{Mismatch, Verification};
pub use write::Writer;

use db::Db;
pub use db::Dialect;
use std::path::{Path, PathBuf};

/// The national register in a GeoPackage file.
pub struct Store {
    conn: Db,
    /// The file, or the PostgreSQL URL (without its password).
    path: PathBuf,
    /// What was opened (a PostgreSQL URL keeps its password inside
    /// [`PgUrl`]): to open more connections for work spread over several (`audit`).
    target: Location,
    /// The districts' boundaries, read once: approvals place points in them.
    districts: Option<Vec<write::DistrictShape>>,
    /// Whether the register is a field copy (the origin's name), read once:
    /// a register never becomes one after it was made.
    copy: Option<Option<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// The file this store reads and writes, or the PostgreSQL URL it is
    /// connected to (without its password).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Drops what this connection remembers of the register (the districts
    /// approvals place points in), for a connection kept open while other
    /// programs may write.
    pub fn forget_caches(&mut self) {
        self.districts = None;
    }

    /// Readies the connection for a bulk import: statement journals stay in
    /// memory. A savepoint (reference data keeps one per item) journals
    /// every page it first changes, and on disk that was 300 MB of writes to
    /// a temporary file for 5,000 EO finds; each lives only until released.
    /// No-op on PostgreSQL.
    pub fn prepare_for_import(&mut self) -> Result<(), StoreError> {
        if let Db::Sqlite(c) = &self.conn {
            c.execute_batch("PRAGMA temp_store = MEMORY")?;
        }
        Ok(())
    }

    /// The backend: the GeoPackage file (SQLite) or PostgreSQL/PostGIS.
    pub fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    /// Runs `f` in one transaction: everything it writes commits together, or,
    /// if it returns an error, nothing does.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.districts.is_none() {
            self.districts = Some(self.district_shapes()?);
        }
        if self.copy.is_none() {
            self.copy = Some(checkout::origin(&self.conn)?.map(|o| o.origin));
        }
        let districts = self.districts.take().unwrap_or_default();
        let tx = self.conn.begin_write()?;
        let mut w = Writer::new(&tx, &districts);
        w.copy = self.copy.clone().flatten();
        let out = f(&mut w);
        let changed = w.districts_changed;
        let out = match out {
            Ok(v) => {
                w.finish()?;
                drop(w);
                tx.commit()?;
                Ok(v)
            }
            Err(e) => Err(e),
        };
        self.districts = if changed { None } else { Some(districts) };
        out
    }
}

impl Store {
    /// Walks the sealed history and checks the records against it
    /// (`safeground audit verify`); `expect_head` is a head hash written down
    /// earlier, to detect a history cut short.
    pub fn audit(&self, expect_head: Option<&str>) -> Result<Audit, StoreError> {
        // On PostgreSQL the digests are recomputed on connections of their
        // own, several at once: each of their queries is a round trip
        // (364 s → 103 s for the national demo's 703,422 events). SQLite's are
        // function calls: more connections only cost memory (measured slower).
        let n = match self.conn.dialect() {
            Dialect::Sqlite => 0,
            Dialect::Postgres => 6,
        };
        let mut workers = Vec::with_capacity(n);
        for _ in 0..n {
            workers.push(Store::open(&self.target)?);
        }
        let mut dbs: Vec<&mut Db> = workers.iter_mut().map(|w| &mut w.conn).collect();
        audit::verify(&self.conn, &mut dbs, expect_head)
    }

    /// Moves everything in the write-ahead log into the main file, so the file
    /// alone is the whole database (before copying or renaming it).
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        if let Db::Sqlite(c) = &self.conn {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(()))?;
        }
        Ok(())
    }
}
