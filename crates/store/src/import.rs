//! Taking in imported records ([`ImportItem`]s, made from a layer's features
//! by `safeground_core::import`): field data as reports that are submitted
//! and approved at once by the importing officer, so the approval's checks
//! apply and every record traces to a report whose notes name the file;
//! tasks as issued; districts and settlements as reference data.
//!
//! A record whose UUID is already in the register is counted as present and
//! left alone, so importing the same file twice changes nothing.
//!
//! Savepoints let an import keep the good records of a file and roll back
//! one bad record without losing the rest of the transaction (`--keep-going`).

use crate::db::OptionalExtension;
use crate::reports::{parse_uuid as parse, refused, ApprovalSettings};
use crate::write::{uuid_text, Writer};
use crate::StoreError;
use geo::Point;
use rusqlite::params;
use safeground_core::import::{DistrictIn, ImportItem, OrganisationIn, SettlementIn, TaskIn};
use safeground_core::model::{District, Organisation, Region, Settlement, Task};
use safeground_core::report::{self, Report};
use safeground_core::validate::Rules;
use time::OffsetDateTime;
use uuid::Uuid;

/// What became of an imported record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Added to the register.
    Imported,
    /// Its UUID is in the register already; nothing changed.
    Present,
}

impl Writer<'_> {
    /// Marks a point this transaction can roll back to.
    pub fn savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("SAVEPOINT sg_item")?;
        self.pending_finds.mark();
        Ok(())
    }

    /// Keeps what was written since [`Writer::savepoint`].
    pub fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("RELEASE sg_item")?;
        self.pending_finds.release();
        Ok(())
    }

    /// Undoes what was written since [`Writer::savepoint`].
    pub fn rollback_savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("ROLLBACK TO sg_item; RELEASE sg_item")?;
        self.pending_finds.roll_back();
        self.context = None;
        self.hazards_touched.clear();
        Ok(())
    }

    fn exists(&self, table: &str, id: Uuid) -> Result<bool, StoreError> {
        if table == "eo_finds" && self.pending_finds.holds(&uuid_text(id)) {
            return Ok(true);
        }
        let sql = format!("SELECT count(*) > 0 FROM {table} WHERE id = ?1");
        self.tx.prepare_cached(&sql)?.query_row([uuid_text(id)], |r| r.get(0))
    }

    /// Takes one imported record into the register. `source` (the file and
    /// the feature) goes into the notes of the report it becomes.
    pub fn import_item(
        &mut self,
        item: &ImportItem,
        actor: &str,
        at: OffsetDateTime,
        settings: &ApprovalSettings,
        source: &str,
    ) -> Result<ItemOutcome, StoreError> {
        match item {
            ImportItem::Report(r) => self.import_report(r, actor, at, settings, source),
            ImportItem::Task(t) => self.import_task(t, actor, at),
            ImportItem::District(d) => self.import_district(d),
            ImportItem::Settlement(s) => self.import_settlement(s),
            ImportItem::Organisation(o) => self.import_organisation(o),
        }
    }

    fn import_report(
        &mut self,
        r: &Report,
        actor: &str,
        at: OffsetDateTime,
        settings: &ApprovalSettings,
        source: &str,
    ) -> Result<ItemOutcome, StoreError> {
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
            let taken = self.taken(&given)?;
            if given.iter().all(|g| taken.contains(g)) {
                return Ok(ItemOutcome::Present);
            }
        }
        let mut r = r.clone();
        r.id = None;
        r.notes = Some(format!("Imported from {source}"));
        let id = self.submit(&r, actor, at)?;
        self.approve(&id.to_string(), actor, at, settings, None)?;
        Ok(ItemOutcome::Imported)
    }

    fn import_task(
        &mut self,
        t: &TaskIn,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<ItemOutcome, StoreError> {
        let label = format!("task {}", t.code);
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
                    id: t.id.unwrap_or_else(Uuid::new_v4),
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
                let id = Uuid::new_v4();
                self.insert_region(&Region { id, name: d.region.trim().to_string() })?;
                id
            }
        };
        self.insert_district(&District {
            id: d.id.unwrap_or_else(Uuid::new_v4),
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
            id: o.id.unwrap_or_else(Uuid::new_v4),
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
            id: s.id.unwrap_or_else(Uuid::new_v4),
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
