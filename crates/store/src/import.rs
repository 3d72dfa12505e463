//! Taking in imported records ([`ImportItem`]s, made from a layer's features
//! by `safeground_core::import`). Field data is decided feature by feature by
//! the approval's rules ([`safeground_core::approval::decide`]) and goes in
//! under one approved report per batch of features ([`ImportBatches`]): the
//! report names the file, its SHA-256, and each feature with the records it
//! became, so `trace` and `report show` lead to the file and the feature, and
//! unapproving the report takes the batch out again. Tasks go in as issued;
//! districts, settlements and organisations as reference data.
//!
//! Invariant: a feature refused is refused before anything of it is written,
//! so an import needs no savepoint per feature; an error after a feature has
//! started writing is not the feature's fault and stops the import
//! ([`StoreError::Conflict`]).
//!
//! A record whose UUID is already in the register is counted as present and
//! left alone, so importing the same file twice changes nothing.

use crate::db::OptionalExtension;
use crate::geometry::date_text;
use crate::reports::{parse_uuid as parse, refused, time_text, ApprovalSettings};
use crate::write::{uuid_text, Writer};
use crate::StoreError;
use geo::Point;
use rusqlite::params;
use rusqlite::types::Value;
use safeground_core::approval;
use safeground_core::ids::fresh;
use safeground_core::import::{DistrictIn, ImportItem, OrganisationIn, SettlementIn, TaskIn};
use safeground_core::model::{District, Organisation, Region, Settlement, Task};
use safeground_core::report::{self, ImportSource, ImportedItem, Report, ReportType};
use safeground_core::validate::Rules;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Where an imported record came from: the features it was read from, what
/// their source held beside the layer's fields, and, for a programme's
/// history brought in (a migration), the day it took effect.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub features: &'a [String],
    pub attributes: &'a BTreeMap<String, serde_json::Value>,
    /// The day the record took effect in the world, when before the
    /// import: its records count from that day (`recorded_at`, a hazard
    /// version's `valid_from`), so the register as of an earlier date holds
    /// it. The report and its events keep the import's own time. A day after
    /// the import, or before the latest version of the hazard it changes, is
    /// refused: a hazard's history goes in in date order.
    pub effective: Option<Date>,
}

/// Records' own UUIDs found in the register, by table.
type Taken = HashSet<(&'static str, Uuid)>;

/// A new hazard as asked about: its UUID (as text) and its code.
type Key = (Option<String>, Option<String>);

/// How many new hazards one statement asks about ([`Writer::ask_ahead`]):
/// a chunk of the import's pipeline and the group still open.
const AHEAD: usize = 24;

/// The statement asking about [`AHEAD`] new hazards: for the k-th, the
/// rows with its UUID (`?2k+1`) and those with its code in any case
/// (`?2k+2`), numbered k: the lookups [`Writer::new_hazard_taken`] makes
/// for one, made for all.
fn ahead_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        (0..AHEAD)
            .map(|k| {
                format!(
                    "SELECT {k}, id, code FROM hazards WHERE id = ?{}
                     UNION ALL SELECT {k}, id, code FROM hazards WHERE code = ?{} COLLATE NOCASE",
                    2 * k + 1,
                    2 * k + 2
                )
            })
            .collect::<Vec<_>>()
            .join("\n UNION ALL ")
    })
}

/// New hazards' UUIDs and codes asked about ahead ([`Writer::ask_ahead`]):
/// the register's rows with each, and the hazards added since.
#[derive(Debug, Default)]
pub(crate) struct Ahead {
    found: HashMap<Key, Vec<(String, String)>>,
    /// Hazards this writer added after the question (UUID, code): rows the
    /// answers cannot hold.
    pub(crate) added: Vec<(String, String)>,
}

impl Ahead {
    /// The rows a lookup of `key` alone would find now, if it was asked;
    /// `None` (look it up alone) where a code is not plain ASCII: SQLite's
    /// NOCASE and PostgreSQL's collation fold other letters differently,
    /// and only the database knows which rows its lookup would find.
    fn answer(&self, key: &Key) -> Option<Vec<(String, String)>> {
        let found = self.found.get(key)?;
        let (id, code) = key;
        let plain = crate::pending::plain_code;
        if !code.as_deref().is_none_or(plain) || !self.added.iter().all(|(_, c)| plain(c)) {
            return None;
        }
        let added = self.added.iter().filter(|(i, c)| {
            Some(i) == id.as_ref() || code.as_ref().is_some_and(|code| c.eq_ignore_ascii_case(code))
        });
        Some(found.iter().chain(added).cloned().collect())
    }
}

/// What became of an imported record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Added to the register.
    Imported,
    /// Its UUID is in the register already; nothing changed.
    Present,
}

/// The reports an import makes: one per batch of at most `size` decisions
/// of one report type by one organisation (completions apart), each naming the file, its SHA-256
/// and what each feature became. Made by the importing officer, approved at
/// once, so the approval's rules apply to every feature.
#[derive(Debug)]
pub struct ImportBatches {
    file: String,
    sha256: String,
    layer: String,
    size: usize,
    actor: String,
    at: OffsetDateTime,
    settings: ApprovalSettings,
    /// The batches still taking features: one per report type, organisation
    /// and completion at most.
    open: Vec<Batch>,
    /// The reports of the batches closed, for [`Writer::restamp_batches`].
    closed: Vec<String>,
    /// The organisations features name (acronym or UUID → id), looked up
    /// once: an import of one layer adds none.
    organisations: std::collections::HashMap<String, Option<String>>,
    /// The other reference data decisions look up (`approval::Source::reference`).
    reference: crate::approval::Reference,
    /// What approval flagged, feature by feature (residual contamination,
    /// non-conformities raised), for the importer to show.
    pub flags: Vec<String>,
}

#[derive(Debug)]
struct Batch {
    id: String,
    report_type: ReportType,
    organisation: String,
    organisation_id: String,
    /// Whether its reports are completions, and hand the land over: a
    /// batch's reports agree, so its report says it for all of them.
    completion: (bool, bool),
    start: Date,
    end: Date,
    /// The approval event the batch's hazard versions belong to.
    event: String,
    now: String,
    items: Vec<ImportedItem>,
}

impl ImportBatches {
    /// Batches for importing `file` (whose SHA-256 is `sha256`) as `layer`,
    /// by `actor` at `at`, at most `size` decisions (features, or groups of
    /// them) per report.
    pub fn new(
        (file, sha256, layer): (&str, &str, &str),
        size: usize,
        (actor, at): (&str, OffsetDateTime),
        settings: ApprovalSettings,
    ) -> Self {
        ImportBatches {
            file: file.to_string(),
            sha256: sha256.to_string(),
            layer: layer.to_string(),
            size: size.max(1),
            actor: actor.to_string(),
            at,
            settings,
            open: Vec::new(),
            closed: Vec::new(),
            organisations: Default::default(),
            reference: Default::default(),
            flags: Vec::new(),
        }
    }

    /// The report a batch is stored as.
    /// Names the source's SHA-256 once it is known: a migration digests
    /// what it reads as it reads it. Reports closed before keep the old one
    /// until [`Writer::restamp_batches`] rewrites them.
    pub fn set_sha256(&mut self, sha256: &str) {
        self.sha256 = sha256.to_string();
    }

    /// The SHA-256 its reports name the source by.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The reports of the batches closed so far.
    pub fn reports(&self) -> &[String] {
        &self.closed
    }

    fn body(&self, b: &Batch) -> Result<String, StoreError> {
        let mut r = Report::blank(b.report_type, b.organisation.clone(), b.start, b.end);
        r.id = parse(&b.id).ok();
        (r.completion, r.handed_over) = b.completion;
        let n: usize = b.items.iter().map(|i| i.features.len()).sum();
        r.notes = Some(format!("Imported from {}: {n} features", self.file));
        r.import = Some(ImportSource {
            file: self.file.clone(),
            sha256: self.sha256.clone(),
            layer: self.layer.clone(),
            items: b.items.clone(),
        });
        serde_json::to_string(&r)
            .map_err(|e| StoreError::Invalid { record: format!("report {}", b.id), problem: e.to_string() })
    }
}

/// Whether a report completes its hazard's work, and hands the land over.
fn completion(r: &Report) -> (bool, bool) {
    (r.completion, r.completion && r.handed_over)
}

impl Writer<'_> {
    /// Marks a point this transaction can roll back to.
    pub fn savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("SAVEPOINT sg_item")?;
        self.pending.mark();
        Ok(())
    }

    /// Keeps what was written since [`Writer::savepoint`].
    pub fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("RELEASE sg_item")?;
        self.pending.release();
        Ok(())
    }

    /// Undoes what was written since [`Writer::savepoint`].
    pub fn rollback_savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("ROLLBACK TO sg_item; RELEASE sg_item")?;
        self.pending.roll_back();
        // A hazard added since may be undone: its features are asked alone.
        self.ahead = None;
        self.context = None;
        self.hazards_touched.clear();
        self.hazards_new.clear();
        Ok(())
    }

    /// Asks in one statement whether the new hazards of the features to be
    /// taken next (their UUIDs and codes, as [`ImportItem`]s give them) are
    /// in the register: one round trip for a chunk of features instead of
    /// one a feature, which on PostgreSQL was about a seventh of importing 1,000
    /// hazards (BENCHMARKS.md). Each answer is used by the one feature that
    /// asked; what this writer adds after the question is kept beside the
    /// answers. A feature not asked about is looked up alone, as are those
    /// left when the hazards waiting for their COPY are written (neither the
    /// answers nor the waiting rows show them then: `write_pending`), after a
    /// savepoint is rolled back, or after [`Writer::forget_ahead`].
    pub fn ask_ahead(
        &mut self,
        asked: impl IntoIterator<Item = (Option<Uuid>, Option<String>)>,
    ) -> Result<(), StoreError> {
        let asked: Vec<Key> = asked
            .into_iter()
            .filter(|(id, code)| id.is_some() || code.is_some())
            .map(|(id, code)| (id.map(uuid_text), code))
            .collect();
        self.ahead = None;
        if asked.is_empty() {
            return Ok(());
        }
        let mut found: HashMap<Key, Vec<(String, String)>> = HashMap::new();
        for slice in asked.chunks(AHEAD) {
            let mut values = Vec::with_capacity(2 * AHEAD);
            for k in 0..AHEAD {
                let (id, code) = slice.get(k).cloned().unwrap_or_default();
                values.push(id.map_or(Value::Null, Value::Text));
                values.push(code.map_or(Value::Null, Value::Text));
            }
            let mut stmt = self.tx.prepare_cached(ahead_sql())?;
            let rows = stmt.query_map(values, |r| Ok((r.get::<i64>(0)?, r.get(1)?, r.get(2)?)))?;
            for k in slice {
                found.entry(k.clone()).or_default();
            }
            for row in rows {
                let (k, id, code): (i64, String, String) = row?;
                if let Some(key) = usize::try_from(k).ok().and_then(|k| slice.get(k)) {
                    found.entry(key.clone()).or_default().push((id, code));
                }
            }
        }
        self.ahead = Some(Ahead { found, added: Vec::new() });
        Ok(())
    }

    /// Drops the answers [`Writer::ask_ahead`] kept: the features they were
    /// for are taken.
    pub fn forget_ahead(&mut self) {
        self.ahead = None;
    }

    /// Whether a new hazard's UUID, and its code (in any case), are taken,
    /// by a hazard in the register or one waiting for its COPY; `None` for
    /// what is not given.
    fn new_hazard_taken(
        &self,
        id: Option<Uuid>,
        code: Option<&str>,
    ) -> Result<(Option<bool>, Option<bool>), StoreError> {
        if id.is_none() && code.is_none() {
            return Ok((None, None));
        }
        let id = id.map(uuid_text);
        let found = match &self.ahead {
            Some(a) => a.answer(&(id.clone(), code.map(str::to_string))),
            None => None,
        };
        let found: Vec<(String, String)> = match found {
            Some(found) => found,
            None => self
                .tx
                // Two lookups by index: an OR is a scan on PostgreSQL while a
                // table is new to the planner's statistics.
                .prepare_cached(
                    "SELECT id, code FROM hazards WHERE id = ?1
                     UNION ALL SELECT id, code FROM hazards WHERE code = ?2 COLLATE NOCASE",
                )?
                .query_map(params![id, code], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?,
        };
        let id_taken =
            id.as_ref().map(|i| self.pending.holds("hazards", i) || found.iter().any(|(f, _)| f == i));
        // A row whose UUID is not the one given was found by its code.
        let code_taken = code.map(|c| {
            self.pending.holds_code(c)
                || found.iter().any(|(f, fc)| Some(f) != id.as_ref() || fc.to_lowercase() == c.to_lowercase())
        });
        Ok((id_taken, code_taken))
    }

    fn exists(&self, table: &str, id: Uuid) -> Result<bool, StoreError> {
        if self.pending.holds(table, &uuid_text(id)) {
            return Ok(true);
        }
        let sql = format!("SELECT count(*) > 0 FROM {table} WHERE id = ?1");
        self.tx.prepare_cached(&sql)?.query_row([uuid_text(id)], |r| r.get(0))
    }

    /// Takes one imported record into the register: field data into
    /// `batches`' open report, `features` naming where in the file it was.
    /// `parsed` is a report's polygons read already (`approval::parse`, on
    /// the import's worker threads for the formats it streams), if they were.
    pub fn import_item(
        &mut self,
        item: &ImportItem,
        parsed: Option<approval::Parsed>,
        batches: &mut ImportBatches,
        origin: Origin<'_>,
    ) -> Result<ItemOutcome, StoreError> {
        self.refuse_on_copy("importing")?;
        let (actor, at) = (batches.actor.clone(), batches.at);
        match item {
            ImportItem::Report(r) => self.import_report(r, parsed, batches, origin),
            ImportItem::Task(t) => {
                let outcome = self.import_task(t, &actor, at)?;
                // History brought in: the task counts from its own day.
                if let (ItemOutcome::Imported, Some(day), Some(id)) = (outcome, origin.effective, t.id) {
                    let since = time_text(day.midnight().assume_utc().min(at));
                    self.tx
                        .prepare_cached("UPDATE tasks SET recorded_at = ?1 WHERE id = ?2")?
                        .execute(params![since, uuid_text(id)])?;
                }
                Ok(outcome)
            }
            ImportItem::District(d) => self.import_district(d),
            ImportItem::Settlement(s) => self.import_settlement(s),
            ImportItem::Organisation(o) => self.import_organisation(o),
        }
    }

    fn import_report(
        &mut self,
        r: &Report,
        parsed: Option<approval::Parsed>,
        b: &mut ImportBatches,
        origin: Origin<'_>,
    ) -> Result<ItemOutcome, StoreError> {
        let Origin { features, attributes, effective } = origin;
        let code = r.new_hazard.as_ref().and_then(|n| n.code.as_deref());
        if code.is_some_and(|c| self.pending.needs_collation(c)) {
            self.write_pending()?;
        }
        // A new hazard's UUID and code are asked in one round trip.
        let (hazard_taken, code_taken) = match &r.new_hazard {
            Some(n) => self.new_hazard_taken(n.id, n.code.as_deref())?,
            None => (None, None),
        };
        let (present, given_taken) = self.all_present(r, hazard_taken)?;
        if present {
            return Ok(ItemOutcome::Present);
        }
        let label = features.join(", ");
        let org = match b.organisations.get(&r.organisation) {
            Some(known) => known.clone(),
            None => {
                let found = self.organisation_id(&r.organisation)?;
                b.organisations.insert(r.organisation.clone(), found.clone());
                found
            }
        };
        let org = org.ok_or_else(|| {
            refused(&label, vec![format!("organisation '{}' is not in the register", r.organisation)])
        })?;
        // Its context reads hazards (by name, through a task or released
        // ground): those waiting for their COPY go first.
        if self.pending.has_hazards() && (r.hazard.is_some() || r.task.is_some() || r.inspection.is_some()) {
            self.write_pending()?;
        }
        let source = crate::approval::Source {
            db: self.tx,
            districts: self.districts,
            pending: Some(&self.pending),
            reference: Some(&b.reference),
            new_hazard_taken: hazard_taken,
            new_hazard_code_taken: code_taken,
            taken: given_taken.as_ref(),
        };
        let ctx = crate::approval::context(&source, r, parse(&org)?, b.at.date())?;
        let parsed = parsed.unwrap_or_else(|| approval::parse(r, &b.settings));
        let mut plan = approval::decide_parsed(r, parsed, &ctx, &b.settings, &mut fresh)
            .map_err(|p| refused(&label, p))?;
        // History brought in (a migration), or records from another register
        // (they bring their own UUIDs: a copy, an exchange): that register
        // answered them. Field data is flagged as a report would be.
        if effective.is_some() || !approval::given_ids(r).is_empty() {
            plan.recorded_as_it_was();
        }
        b.flags.extend(plan.flags.iter().map(|f| format!("{label}: {f}")));
        // Only a change that makes the hazard's next version must come after
        // its latest: an EO find or an accident on it may be dated anywhere.
        let changed = plan.hazard.filter(|_| plan.new_hazard.is_none() && plan.new_version);
        let effective = effective
            .map(|day| self.effective_time(day, b.at, changed)?.map_err(|p| refused(&label, vec![p])))
            .transpose()?;
        // Decided: from here on, a failure is not the feature's.
        let written = (|| {
            let changes_existing = plan.new_version && plan.new_hazard.is_none();
            let k = self.batch_for(b, r, &org, changes_existing)?;
            let (id, event) = (b.open[k].id.clone(), b.open[k].event.clone());
            let now = effective.clone().unwrap_or_else(|| b.open[k].now.clone());
            self.context = Some((id.clone(), now.clone()));
            self.apply(&id, &plan, true, &b.actor)?;
            self.snapshot_hazards(&event, &id, &now)?;
            self.context = None;
            Ok::<_, StoreError>(k)
        })();
        let k = written.map_err(|e| match e {
            StoreError::Invalid { .. } | StoreError::Refused { .. } | StoreError::Unknown { .. } => {
                StoreError::Conflict {
                    record: label.clone(),
                    detail: format!(
                        "it passed approval but could not be written ({e}); nothing was imported"
                    ),
                }
            }
            other => other,
        })?;
        let batch = &mut b.open[k];
        batch.start = batch.start.min(r.start_date);
        batch.end = batch.end.max(r.end_date);
        batch.items.push(ImportedItem {
            features: features.to_vec(),
            records: plan.records(),
            attributes: attributes.clone(),
        });
        if batch.items.len() >= b.size {
            let full = b.open.remove(k);
            self.close(b, full)?;
        }
        Ok(ItemOutcome::Imported)
    }

    /// Whether every record `r` makes is in the register already, by the
    /// UUIDs it gives them (`hazard_taken`: whether its new hazard's is),
    /// and, when every record gives one, which of those of the records
    /// other than the hazard are taken (the approval's context asks the same).
    fn all_present(
        &self,
        r: &Report,
        hazard_taken: Option<bool>,
    ) -> Result<(bool, Option<Taken>), StoreError> {
        let given: Vec<(&str, Uuid)> = r
            .new_hazard
            .iter()
            .filter_map(|x| x.id.map(|i| ("hazards", i)))
            .chain(r.released.iter().filter_map(|x| x.id.map(|i| ("released_areas", i))))
            .chain(r.eo_finds.iter().filter_map(|x| x.id.map(|i| ("eo_finds", i))))
            .chain(r.accident.iter().filter_map(|x| x.id.map(|i| ("accidents", i))))
            .chain(r.session.iter().filter_map(|x| x.id.map(|i| ("eore_sessions", i))))
            .collect();
        let records = usize::from(r.new_hazard.is_some())
            + r.released.len()
            + r.eo_finds.len()
            + usize::from(r.accident.is_some())
            + usize::from(r.session.is_some());
        if !given.is_empty() && given.len() == records {
            let others: Vec<(&str, Uuid)> = given.iter().filter(|g| g.0 != "hazards").copied().collect();
            let taken = self.taken(&others)?;
            let hazard = |g: &(&str, Uuid)| g.0 == "hazards" && hazard_taken == Some(true);
            let present = given.iter().all(|g| hazard(g) || taken.contains(g));
            return Ok((present, Some(taken)));
        }
        Ok((false, None))
    }

    /// The report that recorded a hazard, if it is in the register (one
    /// waiting for its COPY is written first).
    pub fn hazard_recorded_by(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        if self.pending.holds("hazards", &uuid_text(id)) {
            self.write_pending()?;
        }
        Ok(self
            .tx
            .prepare_cached("SELECT report_id FROM hazards WHERE id = ?1")?
            .query_row([uuid_text(id)], |r| r.get::<Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// The time a record of `day` counts from (its start, UTC), or why it
    /// cannot: a day after the import's own `at`, or before the latest
    /// version of `hazard` (the one it changes).
    fn effective_time(
        &self,
        day: Date,
        at: OffsetDateTime,
        hazard: Option<Uuid>,
    ) -> Result<Result<String, String>, StoreError> {
        let at = at.to_offset(time::UtcOffset::UTC);
        if day > at.date() {
            return Ok(Err(format!("it took effect on {day}, after today ({})", at.date())));
        }
        let text = time_text(day.midnight().assume_utc());
        let Some(h) = hazard else { return Ok(Ok(text)) };
        let latest: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT valid_from FROM hazard_versions WHERE hazard_id = ?1 AND valid_to IS NULL",
            )?
            .query_row([uuid_text(h)], |r| r.get(0))
            .optional()?;
        Ok(match latest {
            Some(latest) if latest > text => Err(format!(
                "it took effect on {day}, before the hazard's latest version (of {}): a hazard's history goes \
                 in in date order",
                latest.get(..10).unwrap_or(&latest)
            )),
            _ => Ok(text),
        })
    }

    /// The open batch (its index in `b.open`) for a feature of `r`'s type by
    /// organisation `org`, opened if there is none. A feature that changes a
    /// hazard already in the register first closes the batches of other
    /// kinds: a hazard's versions by two reports never interleave, so
    /// unapproving one finds the other as the later change.
    fn batch_for(
        &mut self,
        b: &mut ImportBatches,
        r: &Report,
        org: &str,
        changes_existing: bool,
    ) -> Result<usize, StoreError> {
        let key = (r.report_type, org, completion(r));
        let same = |o: &Batch| (o.report_type, o.organisation_id.as_str(), o.completion) == key;
        if changes_existing {
            let (keep, others): (Vec<Batch>, Vec<Batch>) =
                std::mem::take(&mut b.open).into_iter().partition(same);
            b.open = keep;
            for o in others {
                self.close(b, o)?;
            }
        }
        if let Some(k) = b.open.iter().position(same) {
            return Ok(k);
        }
        let id = uuid_text(fresh());
        let now = time_text(b.at);
        let open = Batch {
            id: id.clone(),
            report_type: r.report_type,
            organisation: r.organisation.clone(),
            organisation_id: org.to_string(),
            completion: completion(r),
            start: r.start_date,
            end: r.end_date,
            event: String::new(),
            now: now.clone(),
            items: vec![],
        };
        self.tx
            .prepare_cached(
                "INSERT INTO reports (id, type, state, organisation_id, start_date, end_date, submitted_at,
                   submitted_by, decided_at, decided_by, body) VALUES (?1, ?2, 'APPROVED', ?3, ?4, ?5, ?6, ?7, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                r.report_type.code(),
                org,
                date_text(r.start_date),
                date_text(r.end_date),
                now,
                b.actor,
                b.body(&open)?
            ])?;
        self.record("REPORT_SUBMITTED", &now, &b.actor.clone(), Some(&id), None, None)?;
        let event = self.record("REPORT_APPROVED", &now, &b.actor.clone(), Some(&id), None, None)?;
        b.open.push(Batch { event, ..open });
        Ok(b.open.len() - 1)
    }

    /// Writes every open batch's report as it now stands (its dates, and
    /// what each feature became) and closes them. Call it before the
    /// transaction ends; the seal reads the reports back then.
    pub fn close_batches(&mut self, b: &mut ImportBatches) -> Result<(), StoreError> {
        for open in std::mem::take(&mut b.open) {
            self.close(b, open)?;
        }
        Ok(())
    }

    /// Writes the batches' source SHA-256 (as [`ImportBatches::set_sha256`]
    /// last named it) into every report they closed. Call it after
    /// [`Writer::close_batches`], before the transaction ends.
    pub fn restamp_batches(&mut self, b: &ImportBatches) -> Result<(), StoreError> {
        for id in &b.closed {
            let body: String = self
                .tx
                .prepare_cached("SELECT body FROM reports WHERE id = ?1")?
                .query_row(params![id], |r| r.get(0))?;
            let mut report: Report = serde_json::from_str(&body).map_err(|e| StoreError::Invalid {
                record: format!("report {id}"),
                problem: e.to_string(),
            })?;
            match &mut report.import {
                Some(source) if source.sha256 != b.sha256 => source.sha256 = b.sha256.clone(),
                _ => continue,
            }
            let body = serde_json::to_string(&report).map_err(|e| StoreError::Invalid {
                record: format!("report {id}"),
                problem: e.to_string(),
            })?;
            self.tx
                .prepare_cached("UPDATE reports SET body = ?1 WHERE id = ?2")?
                .execute(params![body, id])?;
        }
        Ok(())
    }

    fn close(&mut self, b: &mut ImportBatches, open: Batch) -> Result<(), StoreError> {
        b.closed.push(open.id.clone());
        self.tx
            .prepare_cached("UPDATE reports SET body = ?1, start_date = ?2, end_date = ?3 WHERE id = ?4")?
            .execute(params![b.body(&open)?, date_text(open.start), date_text(open.end), open.id])?;
        Ok(())
    }

    fn import_task(
        &mut self,
        t: &TaskIn,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<ItemOutcome, StoreError> {
        let label = format!("task {}", t.code);
        // It looks its hazard up.
        self.write_pending()?;
        if let Some(id) = t.id {
            if self.exists("tasks", id)? {
                return Ok(ItemOutcome::Present);
            }
        }
        let mut problems = vec![];
        let code_taken: bool = self
            .tx
            .prepare_cached("SELECT count(*) > 0 FROM tasks WHERE code = ?1 COLLATE NOCASE")?
            .query_row([&t.code], |r| r.get(0))?;
        if code_taken {
            problems.push(format!("another task has the code {}", t.code));
        }
        let hazard = self.hazard_id(&t.hazard)?;
        if hazard.is_none() {
            problems.push(format!("hazard '{}' is not in the register", t.hazard));
        }
        let org = self.organisation_id(&t.organisation)?;
        if org.is_none() {
            problems.push(format!("organisation '{}' is not in the register", t.organisation));
        }
        if t.due_on.is_some_and(|d| d < t.issued_on) {
            problems.push("it is due before it was issued".into());
        }
        match (hazard, org) {
            (Some(h), Some(o)) if problems.is_empty() => {
                let task = Task {
                    id: t.id.unwrap_or_else(fresh),
                    code: t.code.clone(),
                    hazard_id: parse(&h)?,
                    organisation_id: parse(&o)?,
                    activity: t.activity,
                    priority: t.priority,
                    status: t.status,
                    issued_on: t.issued_on,
                    due_on: t.due_on,
                };
                self.issue_task(&task, actor, at)?;
                Ok(ItemOutcome::Imported)
            }
            _ => Err(refused(&label, problems)),
        }
    }

    fn import_district(&mut self, d: &DistrictIn) -> Result<ItemOutcome, StoreError> {
        let label = format!("district {}", d.name);
        let present: bool = self
            .tx
            .prepare_cached("SELECT count(*) > 0 FROM districts WHERE id = ?1 OR name = ?2 COLLATE NOCASE")?
            .query_row(params![d.id.map(uuid_text), d.name], |r| r.get(0))?;
        if present {
            return Ok(ItemOutcome::Present);
        }
        let boundary = report::valid_multipolygon("the boundary", &d.boundary, &Rules::default())
            .map_err(|p| refused(&label, p))?;
        let region: Option<String> = self
            .tx
            .prepare_cached("SELECT id FROM regions WHERE name = ?1 COLLATE NOCASE")?
            .query_row([d.region.trim()], |r| r.get(0))
            .optional()?;
        let region_id = match region {
            Some(r) => parse(&r)?,
            None => {
                let id = fresh();
                self.insert_region(&Region { id, name: d.region.trim().to_string() })?;
                id
            }
        };
        self.insert_district(&District {
            id: d.id.unwrap_or_else(fresh),
            region_id,
            name: d.name.clone(),
            alt_name: d.alt_name.clone(),
            hasc: d.hasc.clone(),
            boundary,
        })?;
        Ok(ItemOutcome::Imported)
    }

    fn import_organisation(&mut self, o: &OrganisationIn) -> Result<ItemOutcome, StoreError> {
        let present: bool = self
            .tx
            .prepare_cached(
                "SELECT count(*) > 0 FROM organisations WHERE id = ?1 OR acronym = ?2 COLLATE NOCASE",
            )?
            .query_row(params![o.id.map(uuid_text), o.acronym], |r| r.get(0))?;
        if present {
            return Ok(ItemOutcome::Present);
        }
        self.insert_organisation(&Organisation {
            id: o.id.unwrap_or_else(fresh),
            name: o.name.clone(),
            acronym: o.acronym.clone(),
            kind: o.kind,
            country: o.country.clone(),
        })?;
        Ok(ItemOutcome::Imported)
    }

    fn import_settlement(&mut self, s: &SettlementIn) -> Result<ItemOutcome, StoreError> {
        if let Some(id) = s.id {
            if self.exists("settlements", id)? {
                return Ok(ItemOutcome::Present);
            }
        }
        let district = match &s.district {
            Some(name) => Some(
                self.tx
                    .prepare_cached(
                        "SELECT id FROM districts WHERE id = ?1 OR name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
                    )?
                    .query_row([name.trim()], |r| r.get::<String>(0))
                    .optional()?
                    .ok_or_else(|| {
                        refused(&format!("settlement {}", s.name), vec![format!("district '{name}' is not in the register")])
                    })?,
            ),
            None => None,
        };
        self.insert_settlement(&Settlement {
            id: s.id.unwrap_or_else(fresh),
            district_id: district.as_deref().map(parse).transpose()?,
            name: s.name.clone(),
            alt_names: s.alt_names.clone(),
            population: s.population,
            geonames_id: s.geonames_id,
            location: Point::new(s.location[0], s.location[1]),
        })?;
        Ok(ItemOutcome::Imported)
    }
}
