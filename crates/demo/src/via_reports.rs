//! The demo enters the register the way the field does: every hazard, release,
//! find, accident and session arrives as a report that is submitted and then
//! approved, so the demo exercises the same path, checks and history.

use geo::MultiPolygon;
use safeground_core::codes::ActivityKind;
use safeground_core::model::*;
use safeground_core::report::{
    Find, NewHazard, Place, Release, Report, ReportType, ReportedAccident, ReportedSession, ReportedVictim,
};
use safeground_store::{ApprovalSettings, StoreError, Writer};
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Who submits and approves in the demo's story.
pub const APPROVER: &str = "ANAMA IM officer (demo)";

pub fn noon(d: Date) -> OffsetDateTime {
    d.midnight().assume_utc() + time::Duration::hours(12)
}

pub fn geojson(mp: &MultiPolygon<f64>) -> Value {
    json!({
        "type": "MultiPolygon",
        "coordinates": mp.0.iter().map(|p| {
            std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()).collect::<Vec<_>>()
        }).collect::<Vec<_>>(),
    })
}

/// Submits a report on `submitted` and approves it on `approved`.
pub fn file(
    w: &mut Writer<'_>,
    r: &Report,
    submitted: Date,
    approved: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let id = w.submit(r, "field data officer (demo)", noon(submitted))?;
    w.approve(id, APPROVER, approved, &ApprovalSettings::default(), None)?;
    Ok(id.0)
}

/// A non-technical survey that records a new hazard.
pub fn hazard_report(h: &Hazard, organisation: &str, district: &str, surveyed_from: Date) -> Report {
    let mut r = Report::blank(ReportType::Nts, organisation, surveyed_from, h.recorded_on);
    r.new_hazard = Some(NewHazard {
        id: Some(h.id),
        name: h.name.clone(),
        kind: h.kind,
        district: district.to_string(),
        contamination: h.contamination.clone(),
        land_use: h.land_use.clone(),
        evidence: h.evidence.clone(),
        geometry: geojson(&h.geometry),
        benchmark: h.benchmark.map(|p| Place::LonLat([p.x(), p.y()])),
        reference_point: h.reference_point.map(|p| Place::LonLat([p.x(), p.y()])),
        reference_description: h.reference_description.clone(),
        beneficiaries: h.beneficiaries,
        code: Some(h.code.clone()),
    });
    r
}

fn finds(list: &[&EoFind]) -> Vec<Find> {
    list.iter()
        .map(|f| Find {
            id: None,
            category: f.category,
            eo_type: f.eo_type.clone(),
            quantity: f.quantity,
            condition: f.condition,
            fuze_state: f.fuze_state.clone(),
            disposal: f.disposal,
            location: Place::LonLat([f.location.x(), f.location.y()]),
            found_on: Some(f.found_on),
        })
        .collect()
}

/// A survey or clearance report on a task.
pub fn activity_report(
    a: &Activity,
    organisation: &str,
    task: &str,
    found: &[&EoFind],
    completion: bool,
    handed_over: bool,
) -> Report {
    let t = match a.kind {
        ActivityKind::Nts => ReportType::Nts,
        ActivityKind::Ts => ReportType::Ts,
        ActivityKind::EodSpotTask => ReportType::EodSpotTask,
        _ => ReportType::Clearance,
    };
    let mut r = Report::blank(t, organisation, a.start_date, a.end_date);
    r.task = Some(task.to_string());
    r.team = a.team_id.map(|t| t.to_string());
    r.method = a.method;
    r.depth_cm = a.depth_cm;
    r.hours_worked = a.hours_worked;
    r.released = a
        .released
        .iter()
        // The demo's own UUIDs, so that a later QC inspection can name the ground it re-opens.
        .map(|x| Release { id: Some(x.id), geometry: geojson(&x.geometry), outcome: Some(x.outcome) })
        .collect();
    r.eo_finds = finds(found);
    r.completion = completion;
    r.handed_over = handed_over;
    r
}

/// An EOD spot task: a call-out to items outside any hazard.
pub fn spot_report(a: &Activity, organisation: &str, found: &[&EoFind]) -> Report {
    let mut r = Report::blank(ReportType::EodSpotTask, organisation, a.start_date, a.end_date);
    r.team = a.team_id.map(|t| t.to_string());
    r.hours_worked = a.hours_worked;
    r.eo_finds = finds(found);
    r
}

pub fn accident_report(a: &Accident, organisation: &str) -> Report {
    let mut r = Report::blank(ReportType::Accident, organisation, a.occurred_on, a.occurred_on);
    r.accident = Some(ReportedAccident {
        id: None,
        kind: a.kind,
        location: Place::LonLat([a.location.x(), a.location.y()]),
        device_category: a.device_category,
        activity_at_time: a.activity_at_time,
        area_marked: a.area_marked,
        cause: a.cause.clone(),
        victims: a
            .victims
            .iter()
            .map(|v| ReportedVictim {
                outcome: v.outcome,
                sex: v.sex,
                age: v.age,
                occupation: v.occupation.clone(),
                injuries: v.injuries.clone(),
                assistance: v.assistance.clone(),
                disability: v.disability,
                name: v.identity.as_ref().map(|i| i.full_name.clone()),
                contact: v.identity.as_ref().and_then(|i| i.contact.clone()),
            })
            .collect(),
    });
    r
}

pub fn eore_report(s: &EoreSession, organisation: &str) -> Report {
    let mut r = Report::blank(ReportType::EoreSession, organisation, s.held_on, s.held_on);
    r.session = Some(ReportedSession {
        id: None,
        kind: s.kind,
        audience: s.audience,
        settlement: s.settlement_id.map(|id| id.to_string()),
        location: Some(Place::LonLat([s.location.x(), s.location.y()])),
        reach: s.reach,
        with_disability: s.with_disability,
    });
    r
}
