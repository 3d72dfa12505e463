//! What a server needs to read from a streaming replica of a PostgreSQL
//! register and still show a writer its own writes: the primary's position
//! in its write-ahead log after a write, and whether a replica has replayed
//! up to a position and how far behind it is.

use crate::{Dialect, Store, StoreError};

/// How a replica stands, seen from itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaState {
    /// It is a standby (in recovery): a primary answers `false`.
    pub standby: bool,
    /// It has replayed the position asked about.
    pub caught_up: bool,
    /// Its WAL receiver is streaming from the primary (a standby cut off
    /// from it replays nothing new and looks idle, not behind). A role
    /// without `pg_read_all_stats` sees the receiver but not its status:
    /// then its being there counts.
    pub streaming: bool,
    /// Seconds since the last transaction it replayed was committed, while
    /// it has received log it has not replayed yet (a billion when it has
    /// replayed no transaction yet and is 16 MB or more behind); 0 when it
    /// has replayed all it received.
    pub lag_seconds: f64,
}

/// Whether `lsn` is written as PostgreSQL writes a log position (`16/B374D848`).
///
/// ```
/// use safeground_store::is_lsn;
/// assert!(is_lsn("0/3000148") && is_lsn("16/B374D848"));
/// assert!(!is_lsn("0/") && !is_lsn("0/30'; --") && !is_lsn("123456789/0"));
/// ```
pub fn is_lsn(lsn: &str) -> bool {
    let hex = |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    lsn.split_once('/').is_some_and(|(a, b)| hex(a) && hex(b))
}

impl Store {
    /// The primary's position in its write-ahead log now (after a write
    /// committed, the position a replica must reach to show it); `None` on
    /// a GeoPackage.
    pub fn wal_position(&self) -> Result<Option<String>, StoreError> {
        if self.conn.dialect() != Dialect::Postgres {
            return Ok(None);
        }
        // The insert position: at or after the commit record of every
        // transaction committed so far, whatever `synchronous_commit` says.
        Ok(Some(self.conn.query_row("SELECT CAST(pg_current_wal_insert_lsn() AS TEXT)", (), |r| r.get(0))?))
    }

    /// How this replica stands, and whether it has replayed `after` (a
    /// position from [`Store::wal_position`]; `None`: nothing to wait for).
    pub fn replica_state(&self, after: Option<&str>) -> Result<ReplicaState, StoreError> {
        let after = after.filter(|l| is_lsn(l));
        self.conn.query_row(
            "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END,
                    CASE WHEN CAST(?1 AS TEXT) IS NULL
                           OR pg_last_wal_replay_lsn() >= CAST(CAST(?1 AS TEXT) AS pg_lsn) THEN 1 ELSE 0 END,
                    CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
                         WHEN pg_last_xact_replay_timestamp() IS NULL
                              AND pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) < 16777216
                         THEN 0.0
                         ELSE CAST(COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
                                   AS DOUBLE PRECISION) END,
                    CASE WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver
                                       WHERE status = 'streaming' OR status IS NULL)
                         THEN 1 ELSE 0 END",
            [after],
            |r| {
                Ok(ReplicaState {
                    standby: r.get::<i64>(0)? == 1,
                    caught_up: r.get::<i64>(1)? == 1,
                    lag_seconds: r.get(2)?,
                    streaming: r.get::<i64>(3)? == 1,
                })
            },
        )
    }
}
