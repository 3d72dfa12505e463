//! Writes to the register. Every method runs inside the transaction that
//! [`crate::Store::write`] opened; nothing is visible until it commits.

use crate::db::Db;
use crate::geometry::{date_text, multipolygon_blob, point_blob, read_multipolygon};
use crate::pending::{FirstVersion, Pending, Table};
use crate::StoreError;
use geo::{BoundingRect, MultiPolygon, Rect, Validation};
use rusqlite::params;
use safeground_core::accounting::{account, ReleaseFigures};
use safeground_core::area::multipolygon_area;
use safeground_core::codes::{join_codes, ReleaseOutcome, VictimOutcome};
use safeground_core::model::*;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A district's id, boundary and bounding box, for placing points.
pub(crate) type DistrictShape = (Uuid, MultiPolygon<f64>, Rect<f64>);

/// The writing half of a transaction on the register.
pub struct Writer<'t> {
    pub(crate) tx: &'t Db,
    /// Layers written to, whose extents in gpkg_contents are widened on finish.
    touched: BTreeMap<&'static str, [f64; 4]>,
    /// During an approval: the report and the time its effects are recorded with.
    pub(crate) context: Option<(String, String)>,
    /// Hazards changed during an approval, to snapshot as new versions.
    pub(crate) hazards_touched: BTreeSet<String>,
    /// Hazards recorded in this transaction that have no version yet: their
    /// first snapshot closes nothing and leaves `hazards.version` at 1.
    pub(crate) hazards_new: BTreeSet<String>,
    /// The districts, for placing points that name no hazard.
    pub(crate) districts: &'t [DistrictShape],
    /// Whether districts were written (the store's district cache is then stale).
    pub(crate) districts_changed: bool,
    /// The first event this transaction recorded: it seals that one and those after.
    pub(crate) first_event: Option<i64>,
    /// On a field copy, the register it was made from (`checkout.rs`).
    pub(crate) copy: Option<String>,
    /// PostgreSQL: rows an import made, waiting to be written by COPY.
    pub(crate) pending: Pending,
    /// Spatial indexes filled when the write finishes (`bulk.rs`).
    pub(crate) deferred: Vec<crate::bulk::Deferred>,
    /// An import's new hazards asked about a chunk of features ahead
    /// ([`Writer::ask_ahead`]).
    pub(crate) ahead: Option<crate::import::Ahead>,
}

fn invalid(record: impl Into<String>, problem: impl Into<String>) -> StoreError {
    StoreError::Invalid { record: record.into(), problem: problem.into() }
}

/// Refuses a polygon that GIS tools would choke on: empty, invalid (OGC simple
/// features rules, as GEOS checks them), outside longitude/latitude range.
fn check_polygon(record: &str, mp: &MultiPolygon<f64>) -> Result<(), StoreError> {
    if mp.0.is_empty() {
        return Err(invalid(record, "the polygon is empty"));
    }
    for c in
        mp.0.iter().flat_map(|p| p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())))
    {
        if !(c.x.is_finite()
            && c.y.is_finite()
            && (-180.0..=180.0).contains(&c.x)
            && (-90.0..=90.0).contains(&c.y))
        {
            return Err(invalid(
                record,
                format!("vertex ({}, {}) is not a WGS84 longitude/latitude", c.x, c.y),
            ));
        }
    }
    let mut problems = Vec::new();
    let _ = mp.visit_validation(Box::new(|p| {
        problems.push(p.to_string());
        Ok::<(), ()>(())
    }));
    if !problems.is_empty() {
        return Err(invalid(record, format!("the polygon is not valid: {}", problems.join("; "))));
    }
    Ok(())
}

pub(crate) fn uuid_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

fn opt_uuid(id: Option<Uuid>) -> Option<String> {
    id.map(uuid_text)
}

impl<'t> Writer<'t> {
    pub(crate) fn new(tx: &'t Db, districts: &'t [(Uuid, MultiPolygon<f64>, Rect<f64>)]) -> Self {
        Writer {
            tx,
            touched: BTreeMap::new(),
            context: None,
            hazards_touched: BTreeSet::new(),
            hazards_new: BTreeSet::new(),
            districts,
            districts_changed: false,
            first_event: None,
            copy: None,
            pending: Pending::default(),
            deferred: Vec::new(),
            ahead: None,
        }
    }

    /// Refuses `action` on a field copy: what it would change came from the
    /// register and goes back only as reports.
    pub(crate) fn refuse_on_copy(&self, action: &'static str) -> Result<(), StoreError> {
        match &self.copy {
            Some(origin) => Err(StoreError::FieldCopy { action, origin: origin.clone() }),
            None => Ok(()),
        }
    }

    /// On a field copy, whether report `key` came with it (rather than
    /// being the team's own): the origin's name if so.
    pub(crate) fn copied_report(&self, key: &str) -> Result<Option<String>, StoreError> {
        match &self.copy {
            Some(origin) => Ok(crate::checkout::came_with_copy(self.tx, key)?.then(|| origin.clone())),
            None => Ok(None),
        }
    }

    /// The report and time a record written now is stamped with: those of
    /// the approval in progress, none outside one.
    fn stamp(&self) -> (Option<String>, Option<String>) {
        self.context.clone().unzip()
    }

    /// Grows the recorded extent of a layer by a geometry's bounding box.
    pub(crate) fn touch(
        &mut self,
        layer: &'static str,
        g: &impl BoundingRect<f64, Output = impl Into<Option<Rect<f64>>>>,
    ) {
        if let Some(r) = g.bounding_rect().into() {
            let e = self.touched.entry(layer).or_insert([
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ]);
            e[0] = e[0].min(r.min().x);
            e[1] = e[1].min(r.min().y);
            e[2] = e[2].max(r.max().x);
            e[3] = e[3].max(r.max().y);
        }
    }

    /// Widens the extents in gpkg_contents (GDAL and QGIS read them) to take in
    /// what this transaction wrote. The register only grows, so extents only widen.
    pub(crate) fn finish(&mut self) -> Result<(), StoreError> {
        self.write_pending()?;
        self.fill_deferred()?;
        // Only what this transaction recorded: an event slipped into the file
        // by other means stays unsealed, and `audit verify` names it.
        if let Some(first) = self.first_event {
            crate::audit::seal(self.tx, first)?;
        }
        // GeoPackage's timestamp format, to the millisecond (clause 1.1.3.1.1).
        let t = time::OffsetDateTime::now_utc();
        let now = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        );
        for (layer, [x0, y0, x1, y1]) in std::mem::take(&mut self.touched) {
            self.tx.execute(
                "UPDATE gpkg_contents SET
                   min_x = CASE WHEN min_x IS NULL OR ?1 < min_x THEN ?1 ELSE min_x END,
                   min_y = CASE WHEN min_y IS NULL OR ?2 < min_y THEN ?2 ELSE min_y END,
                   max_x = CASE WHEN max_x IS NULL OR ?3 > max_x THEN ?3 ELSE max_x END,
                   max_y = CASE WHEN max_y IS NULL OR ?4 > max_y THEN ?4 ELSE max_y END,
                   last_change = ?6 WHERE table_name = ?5",
                params![x0, y0, x1, y1, layer, now],
            )?;
        }
        Ok(())
    }

    /// Refuses a reference to a record that is not in the register, naming it,
    /// rather than leaving it to SQLite's anonymous foreign-key error.
    fn require(&self, record: &str, what: &'static str, table: &str, id: Uuid) -> Result<(), StoreError> {
        let found: bool = self
            .tx
            .prepare_cached(&format!("SELECT count(*) > 0 FROM {table} WHERE id = ?1"))?
            .query_row([uuid_text(id)], |r| r.get(0))?;
        if found {
            Ok(())
        } else {
            Err(invalid(record, format!("{what} {id} is not in the register")))
        }
    }

    pub fn insert_region(&mut self, r: &Region) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO regions (id, name) VALUES (?1, ?2)")?
            .execute(params![uuid_text(r.id), r.name])?;
        Ok(())
    }

    /// Records the programme country's outline (the base of the map, the
    /// boundary positions are checked against).
    pub fn insert_country(
        &mut self,
        name: &str,
        iso: Option<&str>,
        outline: &MultiPolygon<f64>,
    ) -> Result<(), StoreError> {
        check_polygon(&format!("country {name}"), outline)?;
        self.tx
            .prepare_cached("INSERT INTO country (geom, id, name, iso) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![
                multipolygon_blob(outline),
                uuid_text(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())),
                name,
                iso
            ])?;
        self.touch("country", outline);
        Ok(())
    }

    pub fn insert_district(&mut self, d: &District) -> Result<(), StoreError> {
        check_polygon(&format!("district {}", d.name), &d.boundary)?;
        self.tx
            .prepare_cached(
                "INSERT INTO districts (geom, id, region_id, name, alt_name, hasc, area_m2)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                multipolygon_blob(&d.boundary),
                uuid_text(d.id),
                uuid_text(d.region_id),
                d.name,
                d.alt_name,
                d.hasc,
                multipolygon_area(&d.boundary),
            ])?;
        self.touch("districts", &d.boundary);
        self.districts_changed = true;
        Ok(())
    }

    pub fn insert_settlement(&mut self, s: &Settlement) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO settlements (geom, id, district_id, name, alt_names, population, geonames_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                point_blob(&s.location),
                uuid_text(s.id),
                opt_uuid(s.district_id),
                s.name,
                s.alt_names,
                s.population,
                s.geonames_id,
            ])?;
        self.touch("settlements", &s.location);
        Ok(())
    }

    pub fn insert_organisation(&mut self, o: &Organisation) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO organisations (id, name, acronym, kind, country) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![uuid_text(o.id), o.name, o.acronym, o.kind.code(), o.country])?;
        Ok(())
    }

    pub fn insert_team(&mut self, t: &Team) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO teams (id, organisation_id, name, kind) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![uuid_text(t.id), uuid_text(t.organisation_id), t.name, t.kind.code()])?;
        Ok(())
    }

    /// Records a hazard (approval of a survey does this). Its land-release
    /// figures start at "nothing released"; releases keep them current.
    /// `area_m2` is its geodesic area where the caller measured it already.
    /// `batched`: on PostgreSQL, during an import whose plan changes the
    /// hazard no further, it waits for a COPY (see [`Pending`]).
    pub(crate) fn insert_hazard(
        &mut self,
        h: &Hazard,
        area_m2: Option<f64>,
        batched: bool,
    ) -> Result<(), StoreError> {
        use rusqlite::types::Value;
        let record = format!("hazard {}", h.code);
        // An approval's polygons passed core's validation when it decided
        // (`report::valid_multipolygon`, the OGC rules and more), and its
        // context found the district and the organisation: checked once.
        if self.context.is_none() {
            check_polygon(&record, &h.geometry)?;
            self.require(&record, "district", "districts", h.district_id)?;
            self.require(&record, "recording organisation", "organisations", h.recorded_by)?;
        }
        if h.contamination.is_empty() {
            return Err(invalid(&record, "no contamination type is given (AP, AT, UXO, AXO, CMR or IED)"));
        }
        let area = area_m2.unwrap_or_else(|| multipolygon_area(&h.geometry));
        if area <= 0.0 {
            return Err(invalid(&record, "the polygon has no area"));
        }
        let (id, geom) = (uuid_text(h.id), multipolygon_blob(&h.geometry));
        let text = |t: Option<&str>| t.map_or(Value::Null, |t| Value::Text(t.to_string()));
        let real = |x: Option<f64>| x.map_or(Value::Null, Value::Real);
        let row = [
            Value::Blob(geom.clone()),
            Value::Text(id.clone()),
            Value::Text(h.code.clone()),
            Value::Text(h.name.clone()),
            Value::Text(h.kind.code().into()),
            Value::Text(h.status.code().into()),
            Value::Text(uuid_text(h.district_id)),
            Value::Text(join_codes(&h.contamination)),
            Value::Text(join_codes(&h.land_use)),
            real(h.reference_point.map(|p| p.x())),
            real(h.reference_point.map(|p| p.y())),
            text(h.reference_description.as_deref()),
            real(h.benchmark.map(|p| p.x())),
            real(h.benchmark.map(|p| p.y())),
            Value::Text(date_text(h.recorded_on)),
            Value::Text(uuid_text(h.recorded_by)),
            h.beneficiaries.map_or(Value::Null, Value::Integer),
            Value::Real(area),
            Value::Real(area),
            text(self.stamp().0.as_deref()),
        ];
        let evidence = h.evidence.iter().map(|e| {
            [
                Value::Text(id.clone()),
                Value::Text(e.source.code().into()),
                Value::Text(e.confidence.code().into()),
                Value::Text(e.description.clone()),
            ]
        });
        if batched && self.context.is_some() && self.tx.dialect() == crate::Dialect::Postgres {
            self.pending.add(Table::Hazards, &row, Some(id.clone()));
            for e in evidence {
                self.pending.add(Table::HazardEvidence, &e, None);
            }
            let first = FirstVersion { geom, kind: h.kind.code(), status: h.status.code(), area_m2: area };
            self.pending.add_hazard(id.clone(), &h.code, first);
        } else {
            self.tx
                .prepare_cached(
                    "INSERT INTO hazards (geom, id, code, name, kind, status, district_id, contamination, land_use,
                       reference_lon, reference_lat, reference_description, benchmark_lon, benchmark_lat,
                       recorded_on, recorded_by, beneficiaries, area_recorded_m2, area_remaining_m2, report_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                )?
                .execute(row)?;
            let mut ev = self.tx.prepare_cached(
                "INSERT INTO hazard_evidence (hazard_id, source, confidence, description) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for e in evidence {
                ev.execute(e)?;
            }
        }
        self.touch("hazards", &h.geometry);
        if let Some(a) = &mut self.ahead {
            a.added.push((id.clone(), h.code.clone()));
        }
        self.hazards_touched.insert(id.clone());
        self.hazards_new.insert(id);
        if self.pending.full() {
            self.write_pending()?;
        }
        Ok(())
    }

    pub(crate) fn insert_task(&mut self, t: &Task) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO tasks (id, code, hazard_id, organisation_id, activity, priority, status, issued_on, due_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                uuid_text(t.id),
                t.code,
                uuid_text(t.hazard_id),
                uuid_text(t.organisation_id),
                t.activity.code(),
                t.priority.code(),
                t.status.code(),
                date_text(t.issued_on),
                t.due_on.map(date_text),
            ])?;
        Ok(())
    }

    /// Records an activity with the ground it released, leaving the hazard's
    /// figures to the caller (an approval's plan carries them).
    /// `batched`: on PostgreSQL, an activity that releases nothing may wait
    /// for a COPY (see [`Pending`]).
    pub(crate) fn insert_activity(&mut self, a: &Activity, batched: bool) -> Result<(), StoreError> {
        use rusqlite::types::Value;
        let record = format!("activity {}", a.id);
        let (report, at) = self.stamp();
        if a.end_date < a.start_date {
            return Err(invalid(
                &record,
                format!("ends ({}) before it starts ({})", a.end_date, a.start_date),
            ));
        }
        if !a.released.is_empty() && a.hazard_id.is_none() {
            return Err(invalid(&record, "releases ground but names no hazard"));
        }
        // An approval's context found the organisation and the hazard.
        if self.context.is_none() {
            self.require(&record, "organisation", "organisations", a.organisation_id)?;
            if let Some(h) = a.hazard_id {
                self.require(&record, "hazard", "hazards", h)?;
            }
        }
        let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
        let row = [
            Value::Text(uuid_text(a.id)),
            Value::Text(a.kind.code().into()),
            text(a.method.map(|m| m.code().to_string())),
            text(opt_uuid(a.hazard_id)),
            text(opt_uuid(a.task_id)),
            Value::Text(uuid_text(a.organisation_id)),
            text(opt_uuid(a.team_id)),
            Value::Text(date_text(a.start_date)),
            Value::Text(date_text(a.end_date)),
            a.depth_cm.map_or(Value::Null, Value::Integer),
            a.hours_worked.map_or(Value::Null, Value::Real),
            text(report.clone()),
            text(at.clone()),
        ];
        if batched && a.released.is_empty() && self.tx.dialect() == crate::Dialect::Postgres {
            self.pending.add(Table::Activities, &row, None);
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO activities (id, kind, method, hazard_id, task_id, organisation_id, team_id,
                   start_date, end_date, depth_cm, hours_worked, report_id, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(row)?;
        if let Some(hazard) = a.hazard_id {
            let mut stmt = self.tx.prepare_cached(
                "INSERT INTO released_areas (geom, id, activity_id, hazard_id, organisation_id, outcome, released_on,
                   area_m2, report_id, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for r in &a.released {
                if self.context.is_none() {
                    check_polygon(&format!("released area {}", r.id), &r.geometry)?;
                }
                stmt.execute(params![
                    multipolygon_blob(&r.geometry),
                    uuid_text(r.id),
                    uuid_text(a.id),
                    uuid_text(hazard),
                    uuid_text(a.organisation_id),
                    r.outcome.code(),
                    date_text(r.released_on),
                    multipolygon_area(&r.geometry),
                    report,
                    at,
                ])?;
            }
            for r in &a.released {
                self.touch("released_areas", &r.geometry);
            }
        }
        Ok(())
    }

    /// Recomputes a hazard's figures: remaining = hazard polygon less the union
    /// of every polygon released from it (geodesic m²).
    pub(crate) fn recompute_hazard(&mut self, hazard: Uuid) -> Result<(), StoreError> {
        let id = uuid_text(hazard);
        let record = format!("hazard {id}");
        let blob: Vec<u8> = self
            .tx
            .prepare_cached("SELECT geom FROM hazards WHERE id = ?1")?
            .query_row([&id], |r| r.get(0))
            .map_err(|e| match e {
                StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows) => {
                    StoreError::Unknown { what: "hazard", key: id.clone() }
                }
                e => e,
            })?;
        let geometry = read_multipolygon(&blob, &record)?;
        let mut released: Vec<(ReleaseOutcome, MultiPolygon<f64>)> = Vec::new();
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT outcome, geom FROM released_areas WHERE hazard_id = ?1 AND revoked_at IS NULL ORDER BY fid",
            )?;
            let mut rows = stmt.query([&id])?;
            while let Some(row) = rows.next()? {
                let outcome: String = row.get(0)?;
                let outcome =
                    outcome.parse().map_err(|e| invalid(&record, format!("stored outcome: {e}")))?;
                let g: Vec<u8> = row.get(1)?;
                released.push((outcome, read_multipolygon(&g, &record)?));
            }
        }
        let refs: Vec<(ReleaseOutcome, &MultiPolygon<f64>)> = released.iter().map(|(o, g)| (*o, g)).collect();
        let figures = account(&geometry, &refs).map_err(|e| invalid(&record, e.to_string()))?;
        self.set_figures(&id, &figures.figures())
    }

    /// Writes a hazard's land-release figures; the hazard gets a new version.
    pub(crate) fn set_figures(&mut self, id: &str, f: &ReleaseFigures) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE hazards SET area_recorded_m2 = ?1, area_cancelled_m2 = ?2, area_reduced_m2 = ?3,
                   area_cleared_m2 = ?4, area_remaining_m2 = ?5 WHERE id = ?6",
            )?
            .execute(params![f.recorded, f.cancelled, f.reduced, f.cleared, f.remaining, id])?;
        self.hazards_touched.insert(id.to_string());
        Ok(())
    }

    /// Which of `given` (table, UUID) are in the register already: one query
    /// per table and up to 200 UUIDs (a round trip each on PostgreSQL), EO
    /// finds waiting for their COPY included.
    pub(crate) fn taken<'a>(
        &self,
        given: &[(&'a str, Uuid)],
    ) -> Result<std::collections::HashSet<(&'a str, Uuid)>, StoreError> {
        taken(self.tx, Some(&self.pending), given)
    }

    /// Writes the rows waiting for a COPY (PostgreSQL); see [`Pending`].
    pub(crate) fn write_pending(&mut self) -> Result<(), StoreError> {
        // Hazards that waited when an import asked ahead were in neither the
        // answers nor what was added since; once written, the waiting rows
        // would not show them either: the features left are asked alone.
        if self.pending.has_hazards() {
            self.ahead = None;
        }
        self.pending.write(self.tx)
    }

    pub(crate) fn insert_eo_find(&mut self, e: &EoFind) -> Result<(), StoreError> {
        if e.quantity <= 0 {
            return Err(invalid(
                format!("EO find {}", e.id),
                format!("quantity {} is not a positive count", e.quantity),
            ));
        }
        if self.tx.dialect() == crate::Dialect::Postgres && self.context.is_some() {
            use rusqlite::types::Value;
            let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
            let (report, at) = self.context.clone().unzip();
            let row = [
                Value::Blob(point_blob(&e.location)),
                Value::Text(uuid_text(e.id)),
                text(opt_uuid(e.activity_id)),
                text(opt_uuid(e.hazard_id)),
                text(opt_uuid(e.district_id)),
                Value::Text(date_text(e.found_on)),
                Value::Text(e.category.code().into()),
                Value::Text(e.eo_type.clone()),
                Value::Integer(e.quantity),
                Value::Text(e.condition.code().into()),
                text(e.fuze_state.clone()),
                Value::Text(e.disposal.code().into()),
                text(report),
                text(at),
            ];
            self.pending.add(Table::EoFinds, &row, Some(uuid_text(e.id)));
            self.touch("eo_finds", &e.location);
            if self.pending.full() {
                self.write_pending()?;
            }
            return Ok(());
        }
        let (report, at) = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO eo_finds (geom, id, activity_id, hazard_id, district_id, found_on, category, eo_type,
                   quantity, condition, fuze_state, disposal, report_id, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                point_blob(&e.location),
                uuid_text(e.id),
                opt_uuid(e.activity_id),
                opt_uuid(e.hazard_id),
                opt_uuid(e.district_id),
                date_text(e.found_on),
                e.category.code(),
                e.eo_type,
                e.quantity,
                e.condition.code(),
                e.fuze_state,
                e.disposal.code(),
                report,
                at,
            ])?;
        self.touch("eo_finds", &e.location);
        Ok(())
    }

    /// Records an accident, its victims' statistical fields, and — in a
    /// separate table no layer exposes — their identities.
    pub(crate) fn insert_accident(&mut self, a: &Accident) -> Result<(), StoreError> {
        let killed = a.victims.iter().filter(|v| v.outcome == VictimOutcome::Killed).count() as i64;
        let injured = a.victims.len() as i64 - killed;
        let (report, at) = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO accidents (geom, id, kind, occurred_on, district_id, hazard_id, device_category,
                   activity_at_time, area_marked, cause, killed, injured, report_id, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                point_blob(&a.location),
                uuid_text(a.id),
                a.kind.code(),
                date_text(a.occurred_on),
                opt_uuid(a.district_id),
                opt_uuid(a.hazard_id),
                a.device_category.code(),
                a.activity_at_time.code(),
                a.area_marked,
                a.cause,
                killed,
                injured,
                report,
                at,
            ])?;
        let mut vs = self.tx.prepare_cached(
            "INSERT INTO victims (id, accident_id, outcome, sex, age, occupation, injuries, assistance, disability)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut ids = self.tx.prepare_cached(
            "INSERT INTO victim_identities (victim_id, full_name, contact) VALUES (?1, ?2, ?3)",
        )?;
        for v in &a.victims {
            vs.execute(params![
                uuid_text(v.id),
                uuid_text(a.id),
                v.outcome.code(),
                v.sex.code(),
                v.age,
                v.occupation,
                v.injuries,
                v.assistance,
                v.disability.map(|d| d.code()),
            ])?;
            if let Some(i) = &v.identity {
                ids.execute(params![uuid_text(v.id), i.full_name, i.contact])?;
            }
        }
        self.touch("accidents", &a.location);
        Ok(())
    }

    pub(crate) fn insert_eore_session(&mut self, s: &EoreSession) -> Result<(), StoreError> {
        let (report, at) = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO eore_sessions (geom, id, organisation_id, held_on, kind, audience, settlement_id,
                   district_id, girls, boys, women, men, girls_disabled, boys_disabled, women_disabled,
                   men_disabled, report_id, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                point_blob(&s.location),
                uuid_text(s.id),
                uuid_text(s.organisation_id),
                date_text(s.held_on),
                s.kind.code(),
                s.audience.code(),
                opt_uuid(s.settlement_id),
                opt_uuid(s.district_id),
                s.reach.girls,
                s.reach.boys,
                s.reach.women,
                s.reach.men,
                s.with_disability.map(|d| d.girls),
                s.with_disability.map(|d| d.boys),
                s.with_disability.map(|d| d.women),
                s.with_disability.map(|d| d.men),
                report,
                at,
            ])?;
        self.touch("eore_sessions", &s.location);
        Ok(())
    }
}

/// Which of `given` (table, UUID) are in the register already: one query
/// per table and up to 200 UUIDs (a round trip each on PostgreSQL), rows
/// waiting for their COPY included.
pub(crate) fn taken<'a>(
    db: &Db,
    pending: Option<&Pending>,
    given: &[(&'a str, Uuid)],
) -> Result<std::collections::HashSet<(&'a str, Uuid)>, StoreError> {
    let mut out = std::collections::HashSet::new();
    let tables: BTreeSet<&str> = given.iter().map(|(t, _)| *t).collect();
    for table in tables {
        let by_text: BTreeMap<String, (&'a str, Uuid)> =
            given.iter().filter(|(t, _)| *t == table).map(|g| (uuid_text(g.1), *g)).collect();
        let ids: Vec<&String> = by_text.keys().collect();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
            let sql = format!("SELECT id FROM {table} WHERE id IN ({})", marks.join(", "));
            let values: Vec<rusqlite::types::Value> =
                chunk.iter().map(|id| rusqlite::types::Value::Text((*id).clone())).collect();
            let found: Vec<String> =
                db.prepare_cached(&sql)?.query_map(values, |r| r.get(0))?.collect::<Result<_, _>>()?;
            out.extend(found.iter().filter_map(|id| by_text.get(id)).copied());
            if let Some(pending) = pending {
                out.extend(chunk.iter().filter(|id| pending.holds(table, id)).map(|id| by_text[*id]));
            }
        }
    }
    Ok(out)
}
