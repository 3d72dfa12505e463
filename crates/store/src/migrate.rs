//! A whole register copied to the other backend (or another database of the
//! same): `safeground migrate --to URL`.
//!
//! The target is created empty at this program's schema, then every table is
//! copied in one transaction in key order — into PostgreSQL by `COPY`, into a
//! GeoPackage by prepared inserts — with the identity counters, the
//! GeoPackage extents and the settings. Before that transaction commits, each
//! table is read back from the target and its checksum (SHA-256 over every
//! value, typed as the sealed history hashes them) compared with the
//! source's: a single value that differs, and nothing is committed.

use crate::db::{Db, OptionalExtension, Row};
use crate::Location;
use crate::{Store, StoreError};
use rusqlite::types::Value;
use sha2::{Digest, Sha256};

/// The tables a register holds, with the key they are copied and checked in.
/// The GeoPackage's own tables (reference systems, geometry columns,
/// extensions) are written by the schema; `gpkg_contents` contributes only
/// its extents and last change.
const TABLES: &[(&str, &str)] = &[
    ("regions", "fid"),
    ("districts", "fid"),
    ("country", "fid"),
    ("settlements", "fid"),
    ("organisations", "fid"),
    ("teams", "fid"),
    ("hazards", "fid"),
    ("hazard_evidence", "fid"),
    ("tasks", "fid"),
    ("projects", "fid"),
    ("project_tasks", "fid"),
    ("accreditations", "fid"),
    ("rankings", "fid"),
    ("activities", "fid"),
    ("released_areas", "fid"),
    ("eo_finds", "fid"),
    ("accidents", "fid"),
    ("victims", "id"),
    ("victim_identities", "victim_id"),
    ("victim_consents", "fid"),
    ("consent_withdrawals", "fid"),
    ("assistance", "fid"),
    ("eore_sessions", "fid"),
    ("investigations", "fid"),
    ("investigation_steps", "fid"),
    ("non_conformities", "fid"),
    ("ncr_steps", "fid"),
    ("residuals", "fid"),
    ("inspections", "fid"),
    ("inspection_areas", "fid"),
    ("reports", "fid"),
    ("report_personal", "report_id"),
    ("attachments", "id"),
    ("hazards_media", "base_id, related_id"),
    ("eo_finds_media", "base_id, related_id"),
    ("accidents_media", "base_id, related_id"),
    ("events", "seq"),
    ("hazard_versions", "fid"),
    ("checkouts", "fid"),
    ("transfers", "id"),
    ("transfer_chunks", "transfer_id, at_byte"),
    ("users", "id"),
    ("api_tokens", "id"),
    ("sg_meta", "key"),
];

/// How many rows of `table` a PostgreSQL cursor brings at a time: attached
/// files are up to 50 MB each, so a few; other rows are small.
fn batch_of(table: &str) -> usize {
    if table == "attachments" || table == "transfer_chunks" {
        4
    } else {
        5000
    }
}

/// The columns of `gpkg_contents` that change with the register.
const CONTENTS_COLUMNS: &str = "table_name, last_change, min_x, min_y, max_x, max_y";

/// One table as copied: its rows and checksum, on both sides.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// SHA-256 of the source's values, in hex.
    pub source: String,
    /// The same, read back from the target.
    pub target: String,
}

impl TableCopy {
    pub fn matches(&self) -> bool {
        self.source == self.target
    }
}

/// What a migration copied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Migration {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCopy>,
}

impl Store {
    /// Copies this register into a new one at `target` (a file that does not
    /// exist, or an empty PostgreSQL database), checking every table; calls
    /// `progress(table, rows copied, rows in all)` as it goes.
    pub fn migrate_to(
        &self,
        target: &Location,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<Migration, StoreError> {
        let mut out = Store::create(target)?;
        let result = self.copy_into(&mut out, progress);
        if let (Err(_), Some(file)) = (&result, target.file()) {
            drop(out);
            crate::open::remove_with_journal(file);
        }
        result
    }

    fn copy_into(
        &self,
        out: &mut Store,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<Migration, StoreError> {
        let total: u64 = TABLES
            .iter()
            .map(|(t, _)| self.conn.query_row(&format!("SELECT count(*) FROM {t}"), (), |r| r.get::<i64>(0)))
            .sum::<Result<i64, StoreError>>()? as u64;
        let read = self.conn.begin_read()?;
        let tx = out.conn.begin_write()?;
        tx.execute_batch(
            tx.dialect().pick("PRAGMA defer_foreign_keys = ON", "SET CONSTRAINTS ALL DEFERRED"),
        )?;
        tx.execute("DELETE FROM sg_meta", ())?;
        let mut copies = Vec::new();
        let mut done = 0u64;
        for (table, key) in TABLES {
            let columns = columns(&read, table)?;
            if columns != self::columns(&tx, table)? {
                return Err(StoreError::Backend {
                    detail: format!("table {table} has different columns in the source and the target: are both at schema {}?", crate::SCHEMA_VERSION),
                });
            }
            let list = columns.join(", ");
            let select = format!("SELECT {list} FROM {table} ORDER BY {key}");
            let mut sink = Sink::new(&tx, table, &list, columns.len())?;
            let mut h = Sha256::new();
            let mut rows = 0u64;
            read.for_each_in(&select, (), batch_of(table), &mut |row| {
                hash_row(&mut h, row)?;
                sink.push(row)?;
                rows += 1;
                if rows.is_multiple_of(10_000) {
                    progress(table, done + rows, total);
                }
                Ok(true)
            })?;
            sink.finish()?;
            done += rows;
            progress(table, done, total);
            copies.push(TableCopy {
                table: table.to_string(),
                rows,
                source: crate::audit::hex(&h.finalize()),
                target: String::new(),
            });
        }
        // The extents and last change of each layer.
        let contents = format!("SELECT {CONTENTS_COLUMNS} FROM gpkg_contents ORDER BY table_name");
        let mut h = Sha256::new();
        let mut extents = Vec::new();
        let mut rows = 0;
        read.for_each(&contents, (), &mut |row| {
            hash_row(&mut h, row)?;
            extents.push((0..6).map(|i| row.get_ref(i).map(Value::from)).collect::<Result<Vec<_>, _>>()?);
            rows += 1;
            Ok(true)
        })?;
        for e in extents {
            let mut v = e[1..].to_vec();
            v.push(e[0].clone());
            tx.execute(
                "UPDATE gpkg_contents SET last_change = ?1, min_x = ?2, min_y = ?3, max_x = ?4, max_y = ?5
                 WHERE table_name = ?6",
                v,
            )?;
        }
        copies.push(TableCopy {
            table: "gpkg_contents".into(),
            rows,
            source: crate::audit::hex(&h.finalize()),
            target: String::new(),
        });
        self.copy_counters(&read, &tx)?;
        drop(read);
        // Read everything back from the target, inside its transaction.
        for c in &mut copies {
            let sql = match TABLES.iter().find(|(t, _)| *t == c.table) {
                Some((t, key)) => format!("SELECT {} FROM {t} ORDER BY {key}", columns(&tx, t)?.join(", ")),
                None => contents.clone(),
            };
            let mut h = Sha256::new();
            tx.for_each_in(&sql, (), batch_of(&c.table), &mut |row| hash_row(&mut h, row).map(|()| true))?;
            c.target = crate::audit::hex(&h.finalize());
        }
        let bad: Vec<&str> = copies.iter().filter(|c| !c.matches()).map(|c| c.table.as_str()).collect();
        if !bad.is_empty() {
            return Err(StoreError::Backend {
                detail: format!(
                    "the copy of {} does not match the source; nothing was committed to {}",
                    bad.join(", "),
                    out.path.display()
                ),
            });
        }
        tx.commit()?;
        if let Db::Postgres(pg) = &out.conn {
            // The planner's statistics for the tables just filled.
            pg.batch("ANALYZE")?;
        }
        Ok(Migration {
            from: self.path.display().to_string(),
            to: out.path.display().to_string(),
            tables: copies,
        })
    }

    /// The identity counters: each table's next key follows the source's, and
    /// the events' counter is the source's own (the audit reads it).
    fn copy_counters(&self, read: &Db, tx: &Db) -> Result<(), StoreError> {
        let events: Option<i64> = read
            .query_row(
                read.dialect().pick(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
                    "SELECT NULLIF(last, 0) FROM sg_events_counter",
                ),
                (),
                |r| r.get::<Option<i64>>(0),
            )
            .optional()?
            .flatten();
        for (table, key) in TABLES.iter().filter(|(t, k)| *k == "fid" || *k == "seq" || *t == "attachments") {
            let max: Option<i64> =
                tx.query_row(&format!("SELECT max({key}) FROM {table}"), (), |r| r.get(0))?;
            let value = if *table == "events" { events.max(max) } else { max };
            let Some(value) = value else { continue };
            match tx.dialect() {
                crate::Dialect::Postgres => {
                    tx.query_row(
                        &format!("SELECT setval(pg_get_serial_sequence('{table}', '{key}'), ?1)"),
                        [value],
                        |_| Ok(()),
                    )?;
                    if *table == "events" {
                        tx.execute("UPDATE sg_events_counter SET last = GREATEST(last, ?1)", [value])?;
                    }
                }
                crate::Dialect::Sqlite => {
                    tx.execute(
                        "UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2",
                        rusqlite::params![value, table],
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// A table's columns in order, without PostgreSQL's generated ones.
pub(crate) fn columns(db: &Db, table: &str) -> Result<Vec<String>, StoreError> {
    let sql = db.dialect().pick(
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = ?1 AND is_generated = 'NEVER'
         ORDER BY ordinal_position",
    );
    db.prepare(sql)?.query_map([table], |r| r.get(0))?.collect()
}

pub(crate) fn hash_row(h: &mut Sha256, row: &Row<'_>) -> Result<(), StoreError> {
    h.update([0xff]);
    for i in 0..row.len() {
        crate::audit::put(h, row.get_ref(i)?);
    }
    Ok(())
}

/// Where the rows of one table go: a COPY into PostgreSQL, prepared inserts
/// into SQLite.
pub(crate) enum Sink<'a> {
    Sqlite { db: &'a Db, sql: String },
    Postgres { db: &'a Db, sql: String, buffer: Vec<u8> },
}

impl<'a> Sink<'a> {
    pub(crate) fn new(db: &'a Db, table: &str, list: &str, n: usize) -> Result<Sink<'a>, StoreError> {
        Ok(match db {
            Db::Sqlite(_) => {
                let marks = vec!["?"; n].join(", ");
                Sink::Sqlite { db, sql: format!("INSERT INTO {table} ({list}) VALUES ({marks})") }
            }
            Db::Postgres(_) => Sink::Postgres {
                db,
                sql: format!("COPY {table} ({list}) FROM STDIN"),
                buffer: Vec::with_capacity(1 << 20),
            },
        })
    }

    pub(crate) fn push(&mut self, row: &Row<'_>) -> Result<(), StoreError> {
        match self {
            Sink::Sqlite { db, sql } => {
                let values =
                    (0..row.len()).map(|i| row.get_ref(i).map(Value::from)).collect::<Result<Vec<_>, _>>()?;
                db.execute(sql, values)?;
            }
            Sink::Postgres { buffer, .. } => {
                for i in 0..row.len() {
                    if i > 0 {
                        buffer.push(b'\t');
                    }
                    crate::db::copy_text(buffer, row.get_ref(i)?);
                }
                buffer.push(b'\n');
                if buffer.len() > (1 << 20) {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    /// Sends what is buffered; the COPY stays open until [`Sink::finish`].
    fn flush(&mut self) -> Result<(), StoreError> {
        if let Sink::Postgres { db, sql, buffer } = self {
            // A COPY per megabyte, all in the one transaction.
            crate::db::copy_in(db, sql, buffer)?;
            buffer.clear();
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        if let Sink::Postgres { buffer, .. } = &self {
            if buffer.is_empty() {
                return Ok(());
            }
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use crate::db::copy_text;
    use rusqlite::types::ValueRef;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut out = Vec::new();
        copy_text(&mut out, ValueRef::Text(b"a\tb\\c\nd"));
        out.push(b'|');
        copy_text(&mut out, ValueRef::Blob(&[0x47, 0x50, 0x00]));
        out.push(b'|');
        copy_text(&mut out, ValueRef::Null);
        out.push(b'|');
        copy_text(&mut out, ValueRef::Real(0.1));
        assert_eq!(String::from_utf8(out).unwrap(), "a\\tb\\\\c\\nd|\\\\x475000|\\N|0.1");
    }
}
