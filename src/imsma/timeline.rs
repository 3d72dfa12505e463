//! A migrated programme's history in date order. A hazard goes in as its
//! first info version stood, dated by it; its later versions whose polygons
//! changed (and its polygons now, if they differ from its last version) are
//! re-surveys dated by theirs; hazard reductions go in by their dates, each
//! after the versions before it. So each hazard's versions in the register
//! follow one another as they did in IMSMA, and `summary --as-of` and
//! `hazards history` answer for dates before the migration.

use super::{Job, Notes, Pass, Row};
use geo::MultiPolygon;
use safeground_core::area::multipolygon_area;
use safeground_core::import::InRecord;
use safeground_core::imsma::Severity;
use safeground_core::report::{Report, ReportType};
use safeground_exchange::import::pipeline::Prepared;
use safeground_formats::geojson_out;
use safeground_formats::read::{Original, Read};
use safeground_imsma::history::history;
use safeground_imsma::{id_of, Codes, Object, SourceGeometry, SourceObject};
use safeground_store::{ApprovalSettings, StoreError, Writer};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use time::Date;
use uuid::Uuid;

/// A later state of a migrated hazard: its polygon from a date on.
pub(super) struct Revision {
    hazard: Uuid,
    date: Date,
    geometry: MultiPolygon<f64>,
    organisation: String,
    place: String,
    original: Value,
    row: Row,
}

/// The hazards' revisions waiting for their dates, and the pass that
/// migrates them (its own reports, rejects and reconciliation sheet).
pub(super) struct Timeline {
    pub(super) pass: Pass,
    /// Sorted latest first: the next to apply is the last.
    revisions: Vec<Revision>,
    /// The reports that recorded this migration's hazards: a hazard recorded
    /// by an earlier run has had its versions replayed already.
    created_by: HashSet<String>,
    /// Each hazard's latest date so far.
    latest: HashMap<Uuid, Date>,
    settings: ApprovalSettings,
}

impl Timeline {
    pub(super) fn new(pass: Pass, settings: ApprovalSettings) -> Timeline {
        Timeline { pass, revisions: vec![], created_by: HashSet::new(), latest: HashMap::new(), settings }
    }

    /// Takes what the hazards' pass left: its revisions and dates, and the
    /// reports its hazards are recorded by.
    pub(super) fn hazards_done(&mut self, hazards: &mut Pass) {
        let mut revisions = std::mem::take(&mut hazards.notes.revisions);
        revisions.sort_by(|a, b| (b.date, &b.place).cmp(&(a.date, &a.place)));
        self.revisions = revisions;
        self.latest = std::mem::take(&mut hazards.notes.dates);
        self.created_by = hazards.importer.batches.reports().iter().cloned().collect();
        // The versions were read with the hazards: their reports name the
        // same source and digest.
        self.pass.importer.batches.set_sha256(hazards.importer.batches.sha256());
    }

    /// Whether a revision is dated on or before `day`.
    pub(super) fn due(&self, day: Date) -> bool {
        self.revisions.last().is_some_and(|r| r.date <= day)
    }

    /// Applies the revisions dated on or before `day` (all, for `None`).
    /// Their reports are closed after them, so the reductions that follow
    /// go under reports of their own.
    pub(super) fn until(&mut self, w: &mut Writer<'_>, day: Option<Date>) -> Result<(), String> {
        let mut applied = false;
        while self.revisions.last().is_some_and(|r| day.is_none_or(|d| r.date <= d)) {
            let Some(r) = self.revisions.pop() else { break };
            self.apply(w, r)?;
            applied = true;
        }
        if applied {
            self.pass.importer.flush(w)?;
            w.close_batches(&mut self.pass.importer.batches).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// A hazard reduction dated before its hazard's latest version (its
    /// first, a re-survey, or a reduction the source gave in another order)
    /// counts from that version's date instead; says so. Its own date is
    /// then its hazard's latest.
    pub(super) fn clamp(&mut self, record: &mut InRecord) -> Option<String> {
        let hazard: Uuid = record.text("hazard")?.parse().ok()?;
        let day = record.effective?;
        let latest = self.latest.entry(hazard).or_insert(day);
        if day >= *latest {
            *latest = day;
            return None;
        }
        record.effective = Some(*latest);
        Some(format!(
            "{}: dated {day}, before its hazard's version of {}; it counts from that day",
            record.place, *latest
        ))
    }

    fn apply(&mut self, w: &mut Writer<'_>, r: Revision) -> Result<(), String> {
        let importer = &mut self.pass.importer;
        if let Some(rows) = &mut self.pass.notes.rows {
            rows.push(r.row);
        }
        let recorded_by = w.hazard_recorded_by(r.hazard).map_err(|e| e.to_string())?;
        if recorded_by.is_some_and(|report| !self.created_by.contains(&report)) {
            self.pass.notes.lines.push(format!(
                "{}: its hazard was migrated by an earlier run, so it is not replayed (unapprove that run's \
                 reports and migrate again to replay the history)",
                r.place
            ));
            importer.tally.read += 1;
            importer.tally.present += 1;
            if let Some(o) = &mut importer.outcomes {
                o.push((r.place, safeground_exchange::import::pipeline::Outcome::Present));
            }
            return Ok(());
        }
        let mut report = Report::blank(ReportType::Nts, r.organisation, r.date, r.date);
        report.hazard = Some(r.hazard.to_string());
        report.hazard_geometry = Some(geojson_out::geometry(&geo::Geometry::MultiPolygon(r.geometry)));
        let mut record = InRecord::new(r.place, vec![], None);
        record.effective = Some(r.date);
        let read = Read { record, original: Original::Feature(r.original), problem: None };
        importer.take(w, Prepared::report(read, report, &self.settings))?;
        importer.flush(w)?;
        self.latest.insert(r.hazard, r.date);
        Ok(())
    }

    /// Writes the revisions' reports; call it when every one is applied.
    pub(super) fn finish(&mut self, w: &mut Writer<'_>) -> Result<(), StoreError> {
        let stop = |problem: String| StoreError::Invalid { record: self.pass.name.clone(), problem };
        self.pass.importer.flush(w).map_err(stop)?;
        w.close_batches(&mut self.pass.importer.batches)
    }
}

/// A hazard's polygons, assembled, or why they are not used.
fn polygons(job: &Job<'_>, g: &SourceGeometry) -> Result<MultiPolygon<f64>, String> {
    let a = g.assemble(&job.rules);
    let refused: Vec<String> =
        a.findings.iter().filter(|f| f.severity() == Severity::Refused).map(ToString::to_string).collect();
    match a.polygons {
        Some(p) if refused.is_empty() => Ok(p),
        _ => Err(format!("its polygons are refused ({})", refused.join("; "))),
    }
}

impl Job<'_> {
    /// A hazard read with its history: as it stands but for its polygons,
    /// which are its first version's, dated by it; its later polygons as
    /// revisions (in `notes`). Without versions to replay, as it stands. Every hazard's date goes to `notes.dates`.
    pub(super) fn read_hazard(&self, o: &SourceObject, codes: &Codes, notes: &mut Notes) -> Read {
        let id = id_of(self.source, Object::Hazard, &o.guid);
        if self.source == safeground_imsma::Source::Core {
            notes.hazard_ids.push((o.localid.clone(), o.guid.clone()));
        }
        let h = history(o, &self.mapping.versions, codes);
        let mut states = vec![];
        let mut left_out = h.left_out;
        for v in h.replayed {
            match polygons(self, &v.version.geometry) {
                Ok(p) => states.push((v, p)),
                Err(why) => left_out.push(format!("{}: {why}", v.label)),
            }
        }
        let Some((first, _)) = states.first() else {
            let read = self.read(Object::Hazard, o, codes, notes);
            if let Some(d) = read.record.effective {
                notes.dates.insert(id, d);
            }
            self.history_notes(o, notes, &[], left_out);
            return read;
        };
        // Its fields, district, findings and workbook row are of the
        // hazard now; its polygons at first are its first version's.
        let mut read = self.read(Object::Hazard, o, codes, notes);
        read.record.geometry = Some(geojson_out::geometry(&geo::Geometry::MultiPolygon(states[0].1.clone())));
        read.record.effective = Some(first.date);
        notes.dates.insert(id, first.date);
        let organisation = read.record.text("recorded_by").unwrap_or_else(|| self.organisation.to_string());
        // Each later state whose polygons differ from the one before.
        let mut later: Vec<(Date, String, MultiPolygon<f64>, &SourceGeometry)> = vec![];
        let mut last = (first.date, states[0].1.clone());
        for (v, p) in states.iter().skip(1) {
            if p != &last.1 {
                later.push((v.date, v.label.clone(), p.clone(), &v.version.geometry));
            }
            last = (v.date, p.clone());
        }
        match polygons(self, &o.geometry) {
            Ok(now) if now != last.1 => {
                let date = o.entered.map(|(d, _)| d).filter(|d| *d > last.0).unwrap_or(last.0);
                later.push((date, format!("its polygons now, of {date}"), now, &o.geometry));
            }
            Ok(_) => {}
            Err(why) => left_out.push(format!("its polygons now: {why}")),
        }
        let replayed: Vec<String> = states.iter().map(|(v, _)| v.label.clone()).collect();
        self.history_notes(o, notes, &replayed, left_out);
        for (date, label, geometry, source) in later {
            let place = format!("hazard {} (guid {}), {label}", o.label(), o.guid);
            let area = multipolygon_area(&geometry);
            notes.revisions.push(Revision {
                hazard: id,
                date,
                original: json!({
                    "type": "Feature",
                    "properties": {"imsma_guid": o.guid, "imsma_localid": o.localid, "imsma_version": label},
                    "geometry": geojson_out::geometry(&geo::Geometry::MultiPolygon(geometry.clone())),
                }),
                geometry,
                organisation: organisation.clone(),
                row: Row {
                    place: place.clone(),
                    localid: o.localid.clone(),
                    guid: o.guid.clone(),
                    typed_area_m2: None,
                    geodesic_area_m2: Some(area),
                    findings: source.assemble(&self.rules).findings.iter().map(ToString::to_string).collect(),
                    repairs: vec![],
                    decisions: vec![format!("a re-survey of the hazard dated {date}: {label}")],
                },
                place,
            });
        }
        read
    }

    /// Says which versions of `o` were replayed and which left out, in the
    /// notes and on its reconciliation row.
    fn history_notes(&self, o: &SourceObject, notes: &mut Notes, replayed: &[String], left_out: Vec<String>) {
        let mut lines: Vec<String> = vec![];
        if !replayed.is_empty() {
            lines.push(format!("history: {} replayed: {}", replayed.len(), replayed.join("; ")));
        }
        for l in &left_out {
            lines.push(format!("history: left out {l}"));
            if notes.lines.len() < 1000 {
                notes.lines.push(format!(
                    "hazard {} (guid {}), {l}: left out of its history",
                    o.label(),
                    o.guid
                ));
            }
        }
        if let Some(row) = notes.rows.as_mut().and_then(|r| r.last_mut()) {
            row.decisions.extend(lines);
        }
    }
}
