//! Spatial indexes filled once at the end of a bulk write (an import, a
//! write of the demo's stories), as GDAL fills a GeoPackage's: the R-tree
//! trigger each row went through (four geometry decodes, a trigger program
//! and a statement journal per row) was a third of the writer's samples in
//! an EO finds import and at least 8 % of the demo's (BENCHMARKS.md, 2026-12-07
//! and 2026-12-08).
//!
//! Invariant: the insert trigger is dropped and put back, word for word as
//! the register holds it, inside the one transaction of the write, after
//! the deferred rows are in the index ([`Writer::finish`]); a write that
//! rolls back leaves the trigger as it was. Only the indexes of tables that
//! no decision of approval reads spatially may be deferred: while the
//! write lasts, they miss its own rows (a demo write's are 5,000 hazard
//! stories; an approval that came to search hazards or EO finds by place
//! would have to stop their deferral).

use crate::db::OptionalExtension;
use crate::write::Writer;
use crate::{Layer, StoreError};
use rusqlite::params;

/// How many rows (by fid) one statement puts into a deferred index.
const FILL_SLICE: i64 = 20_000;

/// An index waiting to be filled: its table, the table's insert trigger
/// (name and SQL), how it is filled, and the highest row before the write.
#[derive(Debug)]
pub(crate) struct Deferred {
    table: &'static str,
    trigger: String,
    create: String,
    fill: String,
    after: i64,
}

/// The spatial indexes a bulk write of `layer` may fill at its end: (table,
/// index, insert trigger). Released areas are read spatially by approval
/// (residual contamination under an EO find), so theirs is kept row by row.
fn deferrable(layer: Layer) -> &'static [(&'static str, &'static str, &'static str)] {
    match layer {
        Layer::Hazards => &[
            ("hazards", "rtree_hazards_geom", "rtree_hazards_geom_insert"),
            ("hazard_versions", "sg_version_extents", "sg_version_extents_insert"),
        ],
        Layer::EoFinds => &[("eo_finds", "rtree_eo_finds_geom", "rtree_eo_finds_geom_insert")],
        Layer::Accidents => &[("accidents", "rtree_accidents_geom", "rtree_accidents_geom_insert")],
        Layer::EoreSessions => {
            &[("eore_sessions", "rtree_eore_sessions_geom", "rtree_eore_sessions_geom_insert")]
        }
        _ => &[],
    }
}

impl Writer<'_> {
    /// Fills the spatial indexes of what a bulk write of `layer` adds once,
    /// when the write finishes, instead of row by row. Call it first in
    /// the write, before any savepoint. A GeoPackage only
    /// (PostgreSQL's GiST indexes need no trigger); a no-op for an index
    /// already deferred or whose trigger the register does not hold.
    pub fn defer_spatial_index(&mut self, layer: Layer) -> Result<(), StoreError> {
        if self.tx.dialect() != crate::Dialect::Sqlite {
            return Ok(());
        }
        for (table, index, trigger) in deferrable(layer) {
            if self.deferred.iter().any(|d| d.trigger == *trigger) {
                continue;
            }
            let Some(create) = self.trigger_sql(trigger)? else { continue };
            let after = self.max_fid(table)?;
            let fill = match *index {
                "sg_version_extents" => include_str!("../sql/bulk/fill_version_extents.sql").to_string(),
                _ => include_str!("../sql/bulk/fill_rtree.sql")
                    .replace("{index}", index)
                    .replace("{table}", table),
            };
            self.tx.execute_batch(&format!("DROP TRIGGER {trigger}"))?;
            self.deferred.push(Deferred { table, trigger: trigger.to_string(), create, fill, after });
        }
        Ok(())
    }

    /// Puts the rows written since [`Writer::defer_spatial_index`] into
    /// their indexes and the insert triggers back.
    /// The rows go in slices of [`FILL_SLICE`]: one statement over a
    /// million EO finds held 50 MB more for its length (BENCHMARKS.md).
    pub(crate) fn fill_deferred(&mut self) -> Result<(), StoreError> {
        for d in std::mem::take(&mut self.deferred) {
            let last = self.max_fid(d.table)?;
            for (from, to) in slices(d.after, last, FILL_SLICE) {
                self.tx.prepare_cached(&d.fill)?.execute(params![from, to])?;
            }
            self.tx.execute_batch(&d.create)?;
        }
        Ok(())
    }

    /// The highest fid `table` holds, 0 when it is empty.
    fn max_fid(&self, table: &str) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(&format!("SELECT coalesce(max(fid), 0) FROM {table}"))?
            .query_row(params![], |r| r.get::<i64>(0))
    }

    fn trigger_sql(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()
    }
}

/// The rows after fid `after` up to `last`, as ranges (`from`, `to`] of at
/// most `size` fids, in order.
fn slices(after: i64, last: i64, size: i64) -> impl Iterator<Item = (i64, i64)> {
    let size = size.max(1);
    std::iter::successors(Some(after), move |&from| Some(from.saturating_add(size).min(last)))
        .take_while(move |&from| from < last)
        .map(move |from| (from, from.saturating_add(size).min(last)))
}

#[cfg(test)]
mod tests {
    use super::slices;

    #[test]
    fn slices_cover_the_rows_added_once_each_in_order() {
        let all: Vec<(i64, i64)> = slices(7, 50, 20).collect();
        assert_eq!(all, vec![(7, 27), (27, 47), (47, 50)]);
        // Exactly a slice, and one row.
        assert_eq!(slices(0, 20, 20).collect::<Vec<_>>(), vec![(0, 20)]);
        assert_eq!(slices(19, 20, 20).collect::<Vec<_>>(), vec![(19, 20)]);
        // Nothing added, or a register whose fids are all older.
        assert_eq!(slices(20, 20, 20).count(), 0);
        assert_eq!(slices(30, 20, 20).count(), 0);
        // No overflow at the top of the range.
        assert_eq!(slices(i64::MAX - 5, i64::MAX, 20).collect::<Vec<_>>(), vec![(i64::MAX - 5, i64::MAX)]);
    }
}
