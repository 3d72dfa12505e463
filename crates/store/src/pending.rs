//! Rows an import's approvals made on PostgreSQL, waiting to be written by
//! `COPY` instead of a statement each: an import of a thousand hazards is
//! five thousand round trips otherwise, of a million EO finds a million.
//!
//! Invariant: nothing reads a table while it has rows waiting here except
//! through this buffer. The approval's context asks it whether a UUID or a
//! hazard code is taken and which serial a district's codes have reached;
//! every other read of these tables (a report naming a hazard, a task, the
//! seal, an unapproval) comes after [`crate::write::Writer::write_pending`].
//! The buffer is written in the order of the foreign keys (hazards, their
//! evidence, their versions, EO finds), when it holds [`Pending::BYTES`], and
//! before the transaction ends. A savepoint rolled back drops what was added
//! since.

use crate::db::{copy_text, Db};
use crate::StoreError;
use rusqlite::types::Value;
use std::collections::{HashMap, HashSet};

/// The tables that can wait, in the order their rows are written (each
/// refers only to those before it); the discriminant indexes `Pending::data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Hazards,
    HazardEvidence,
    Activities,
    HazardVersions,
    EoFinds,
}

impl Table {
    const ALL: [Table; 5] =
        [Table::Hazards, Table::HazardEvidence, Table::Activities, Table::HazardVersions, Table::EoFinds];

    fn copy(self) -> &'static str {
        match self {
            Table::Hazards => {
                "COPY hazards (geom, id, code, name, kind, status, district_id, contamination, land_use,
                   reference_lon, reference_lat, reference_description, benchmark_lon, benchmark_lat,
                   recorded_on, recorded_by, beneficiaries, area_recorded_m2, area_remaining_m2, report_id)
                 FROM STDIN"
            }
            Table::HazardEvidence => {
                "COPY hazard_evidence (hazard_id, source, confidence, description) FROM STDIN"
            }
            Table::Activities => {
                "COPY activities (id, kind, method, hazard_id, task_id, organisation_id, team_id,
                   start_date, end_date, depth_cm, hours_worked, report_id, recorded_at) FROM STDIN"
            }
            Table::HazardVersions => {
                "COPY hazard_versions (hazard_id, version, valid_from, event_id, report_id, geom, kind, status,
                   area_recorded_m2, area_cancelled_m2, area_reduced_m2, area_cleared_m2, area_remaining_m2)
                 FROM STDIN"
            }
            Table::EoFinds => {
                "COPY eo_finds (geom, id, activity_id, hazard_id, district_id, found_on, category, eo_type,
                   quantity, condition, fuze_state, disposal, report_id, recorded_at) FROM STDIN"
            }
        }
    }

    /// The register's name of the table (as `taken` is asked with).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Hazards => "hazards",
            Table::HazardEvidence => "hazard_evidence",
            Table::Activities => "activities",
            Table::HazardVersions => "hazard_versions",
            Table::EoFinds => "eo_finds",
        }
    }
}

/// What a waiting hazard's first version copies from it.
#[derive(Debug, Clone)]
pub(crate) struct FirstVersion {
    pub(crate) geom: Vec<u8>,
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) area_m2: f64,
}

/// One thing added, to undo on a rolled-back savepoint.
#[derive(Debug)]
enum Added {
    Id(Table, String),
    Code(String),
    Seed(String),
}

#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// COPY text per table, in [`Table::ALL`]'s order.
    data: [Vec<u8>; 5],
    /// UUIDs waiting, by table.
    ids: HashSet<(&'static str, String)>,
    /// Hazard codes waiting, lower-cased (codes are unique in any case).
    codes: HashSet<String>,
    /// Whether a code waiting is not plain ASCII ([`plain_code`]): then
    /// only the database's collation can tell which codes equal it.
    unplain: bool,
    /// The highest serial of the waiting codes PREFIX-DIGITS, by lower-cased
    /// PREFIX.
    serials: HashMap<String, u64>,
    /// New hazards waiting for their first version.
    seeds: HashMap<String, FirstVersion>,
    log: Vec<Added>,
    savepoint: Option<([usize; 5], usize)>,
}

impl Pending {
    /// Written when this much is waiting, unless a savepoint is open.
    const BYTES: usize = 2 << 20;

    /// Whether a row of `table` with this UUID is waiting.
    pub(crate) fn holds(&self, table: &str, id: &str) -> bool {
        !self.ids.is_empty() && self.ids.contains(&(table_name(table), id.to_string()))
    }

    /// Whether a hazard with this code (in any case) is waiting.
    pub(crate) fn holds_code(&self, code: &str) -> bool {
        self.codes.contains(&code.to_lowercase())
    }

    /// Whether only the database can say if `code` is taken by a waiting
    /// hazard: it or a waiting code is not plain ASCII, which
    /// `to_lowercase` folds otherwise than PostgreSQL's collation does
    /// (full-width letters, ß). The waiting rows are then written first.
    pub(crate) fn needs_collation(&self, code: &str) -> bool {
        !self.codes.is_empty() && (self.unplain || !plain_code(code))
    }

    /// The highest serial among waiting codes PREFIX-DIGITS (any case; 0
    /// when none).
    pub(crate) fn highest_serial(&self, prefix: &str) -> u64 {
        self.serials.get(&prefix.to_lowercase()).copied().unwrap_or(0)
    }

    /// Whether anything but EO finds is waiting: what an approval's context
    /// reads of a hazard it names must be written first.
    pub(crate) fn has_hazards(&self) -> bool {
        self.data[..Table::EoFinds as usize].iter().any(|d| !d.is_empty())
    }

    fn is_empty(&self) -> bool {
        self.data.iter().all(Vec::is_empty)
    }

    /// Adds a row of `table`; `id` is its UUID where `taken` must see it.
    pub(crate) fn add(&mut self, table: Table, row: &[Value], id: Option<String>) {
        let out = &mut self.data[table as usize];
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            copy_text(out, v.into());
        }
        out.push(b'\n');
        if let Some(id) = id {
            self.ids.insert((table.name(), id.clone()));
            self.log.push(Added::Id(table, id));
        }
    }

    /// Notes a waiting hazard's code and what its first version will copy.
    pub(crate) fn add_hazard(&mut self, id: String, code: &str, first: FirstVersion) {
        self.unplain |= !plain_code(code);
        let code = code.to_lowercase();
        note_serial(&mut self.serials, &code);
        self.codes.insert(code.clone());
        self.log.push(Added::Code(code));
        self.seeds.insert(id.clone(), first);
        self.log.push(Added::Seed(id));
    }

    /// What a waiting hazard's first version copies, taken once.
    pub(crate) fn take_first_version(&mut self, id: &str) -> Option<FirstVersion> {
        self.seeds.remove(id)
    }

    pub(crate) fn mark(&mut self) {
        self.savepoint = Some((self.data.each_ref().map(Vec::len), self.log.len()));
    }

    pub(crate) fn release(&mut self) {
        self.savepoint = None;
    }

    pub(crate) fn roll_back(&mut self) {
        let Some((lens, log)) = self.savepoint.take() else { return };
        for (d, n) in self.data.iter_mut().zip(lens) {
            d.truncate(n);
        }
        for added in self.log.drain(log..) {
            match added {
                Added::Id(t, id) => {
                    self.ids.remove(&(t.name(), id));
                }
                Added::Code(c) => {
                    self.codes.remove(&c);
                }
                Added::Seed(id) => {
                    self.seeds.remove(&id);
                }
            }
        }
        self.serials.clear();
        for c in &self.codes {
            note_serial(&mut self.serials, c);
        }
        self.unplain = self.codes.iter().any(|c| !plain_code(c));
    }

    /// Whether it is time to write (enough waits, and no savepoint holds it).
    pub(crate) fn full(&self) -> bool {
        self.savepoint.is_none() && self.data.iter().map(Vec::len).sum::<usize>() >= Self::BYTES
    }

    /// Writes everything waiting, in the foreign keys' order.
    pub(crate) fn write(&mut self, db: &Db) -> Result<(), StoreError> {
        if self.is_empty() {
            return Ok(());
        }
        for (table, data) in Table::ALL.iter().zip(self.data.iter_mut()) {
            if !data.is_empty() {
                crate::db::copy_in(db, table.copy(), data)?;
                data.clear();
            }
        }
        self.ids.clear();
        self.codes.clear();
        self.unplain = false;
        self.serials.clear();
        self.log.clear();
        // First versions are taken in the same approval that adds them.
        self.seeds.clear();
        self.savepoint = self.savepoint.map(|_| ([0; 5], 0));
        Ok(())
    }
}

/// Whether a hazard code is plain ASCII (letters, digits, punctuation,
/// spaces), on which SQLite's NOCASE, PostgreSQL's case-blind collation and
/// an ASCII case-blind comparison agree; other letters each folds its own way.
pub(crate) fn plain_code(code: &str) -> bool {
    code.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

/// `table` as one of the names [`Table::name`] gives (they are `'static`).
fn table_name(table: &str) -> &'static str {
    Table::ALL.iter().map(|t| t.name()).find(|n| *n == table).unwrap_or("")
}

/// Notes the serial of a (lower-cased) code PREFIX-DIGITS: the digits after
/// its last dash, the only place a serial can be.
fn note_serial(serials: &mut HashMap<String, u64>, code: &str) {
    let Some((prefix, digits)) = code.rsplit_once('-') else { return };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    if let Ok(n) = digits.parse::<u64>() {
        let e = serials.entry(prefix.to_string()).or_insert(0);
        *e = (*e).max(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first() -> FirstVersion {
        FirstVersion { geom: vec![], kind: "SHA", status: "OPEN", area_m2: 1.0 }
    }

    #[test]
    fn codes_and_serials_are_case_blind_and_follow_the_last_dash() {
        let mut p = Pending::default();
        p.add_hazard("a".into(), "AZ-KL-000041", first());
        p.add_hazard("b".into(), "az-kl-000007", first());
        p.add_hazard("c".into(), "AZ-KL-12-000999", first());
        p.add_hazard("d".into(), "AZ-KL-x1", first());
        assert!(p.holds_code("Az-Kl-000041"));
        assert!(!p.holds_code("AZ-KL-000042"));
        assert_eq!(p.highest_serial("AZ-KL"), 41);
        assert_eq!(p.highest_serial("az-kl-12"), 999);
        assert_eq!(p.highest_serial("AZ-AG"), 0);
    }

    #[test]
    fn a_rolled_back_savepoint_forgets_what_came_after_it() {
        let mut p = Pending::default();
        p.add(Table::Hazards, &[Value::Text("a".into())], Some("a".into()));
        p.add_hazard("a".into(), "AZ-KL-000001", first());
        p.mark();
        p.add(Table::Hazards, &[Value::Text("b".into())], Some("b".into()));
        p.add_hazard("b".into(), "AZ-KL-000002", first());
        p.add(Table::EoFinds, &[Value::Integer(1)], Some("f".into()));
        assert!(p.holds("hazards", "b") && p.holds("eo_finds", "f"));
        assert_eq!(p.highest_serial("AZ-KL"), 2);
        p.roll_back();
        assert!(p.holds("hazards", "a") && !p.holds("hazards", "b") && !p.holds("eo_finds", "f"));
        assert_eq!(p.highest_serial("AZ-KL"), 1);
        assert!(p.take_first_version("b").is_none() && p.take_first_version("a").is_some());
        assert_eq!(p.data[0], b"a\n".to_vec());
        assert!(p.data[4].is_empty());
    }

    #[test]
    fn rows_are_copy_text() {
        let mut p = Pending::default();
        p.add(
            Table::HazardEvidence,
            &[Value::Text("h\tab".into()), Value::Null, Value::Real(0.1), Value::Blob(vec![1, 255])],
            None,
        );
        assert_eq!(String::from_utf8_lossy(&p.data[1]), "h\\tab\t\\N\t0.1\t\\\\x01ff\n");
    }
}
