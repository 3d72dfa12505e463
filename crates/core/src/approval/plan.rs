//! The effects of a report that passed the checks: the records it makes and
//! what becomes of its hazard and task.

use super::checks::Checked;
use super::{Context, Plan, Settings};
use crate::accounting::account;
use crate::area::multipolygon_area;
use crate::codes::*;
use crate::model::*;
use crate::report::{self, QmResult, Report, ReportType};
use geo::MultiPolygon;
use uuid::Uuid;

pub(super) fn plan(
    r: &Report,
    ctx: &Context,
    settings: &Settings,
    checked: Checked,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Plan, Vec<String>> {
    let new_hazard = new_hazard(r, ctx, &checked, new_id);
    let hazard = new_hazard.as_ref().map(|h| h.id).or_else(|| report_hazard(r, ctx));
    let district =
        new_hazard.as_ref().map(|h| h.district_id).or_else(|| Some(ctx.hazard(hazard?)?.district_id));
    let activity = activity(r, ctx, &checked, hazard, new_id);
    let eo_finds = r
        .eo_finds
        .iter()
        .zip(&checked.finds)
        .enumerate()
        .filter_map(|(i, (f, p))| {
            Some(EoFind {
                id: f.id.unwrap_or_else(&mut *new_id),
                activity_id: activity.as_ref().map(|a| a.id),
                hazard_id: hazard.filter(|_| r.report_type != ReportType::EodSpotTask),
                district_id: district.or(ctx.find_districts.get(i).copied().flatten()),
                found_on: f.found_on.unwrap_or(r.end_date),
                category: f.category,
                eo_type: f.eo_type.clone(),
                quantity: f.quantity,
                condition: f.condition,
                fuze_state: f.fuze_state.clone(),
                disposal: f.disposal,
                location: (*p)?,
            })
        })
        .collect();
    let accident = accident(r, ctx, &checked, hazard, new_id);
    let session = session(r, ctx, &checked, new_id);
    let reopen: Vec<Uuid> = match &r.inspection {
        Some(i) if i.result == QmResult::Fail && i.kind == InspectionKind::QualityControl => i.reopen.clone(),
        _ => Vec::new(),
    };
    let mut plan = Plan {
        hazard,
        new_hazard,
        hazard_geometry: checked.changed_geometry,
        confirm: r.confirm && hazard.is_some(),
        activity,
        eo_finds,
        accident,
        session,
        reopen,
        figures: None,
        status: None,
        task_status: None,
        new_version: false,
        new_hazard_area_m2: None,
        residuals: Vec::new(),
        investigations: Vec::new(),
        non_conformities: Vec::new(),
        inquiry: None,
        inspection: None,
        flags: Vec::new(),
    };
    residual_risk(r, ctx, settings, &mut plan, new_id);
    if plan.accident.as_ref().is_some_and(|a| a.kind == AccidentKind::DeminingAccident) {
        plan.inquiry = Some(super::OpenedInquiry { id: new_id(), opened_on: ctx.today });
        plan.flags.push(
            "demining accident: an investigation is opened [IMAS 10.60]; convene its board of inquiry \
             (`safeground investigation board`)"
                .into(),
        );
    }
    plan.inspection = inspection(r, ctx, hazard, checked.sample, new_id);
    failed_inspection(r, ctx, &mut plan, new_id);
    if hazard.is_some() {
        hazard_effects(r, ctx, settings, &mut plan)?;
    }
    Ok(plan)
}

/// The inspection's record: the ground it names, its sample measured
/// geodesically against it.
fn inspection(
    r: &Report,
    ctx: &Context,
    hazard: Option<Uuid>,
    sample: Option<MultiPolygon<f64>>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Option<super::InspectionRecord> {
    let i = r.inspection.as_ref()?;
    let qc = i.kind == InspectionKind::QualityControl;
    let released_by = i.ground().zip(&ctx.inspected).find_map(|(_, a)| match a {
        Some(super::ReleasedArea::Standing { organisation_id, .. }) => Some(*organisation_id),
        _ => None,
    });
    let ground = if qc { super::checks::inspected_ground(i, ctx).filter(|g| !g.0.is_empty()) } else { None };
    Some(super::InspectionRecord {
        id: new_id(),
        kind: i.kind,
        result: i.result,
        hazard_id: hazard,
        task_id: ctx.task.as_ref().map(|t| t.id),
        // A QC judges the work of whoever released the ground; a QA visit, the task's operator's.
        organisation_id: match qc {
            true => released_by.or(ctx.task.as_ref().map(|t| t.organisation_id)),
            false => ctx.task.as_ref().map(|t| t.organisation_id),
        },
        inspected_on: r.end_date,
        areas: i
            .reopen
            .iter()
            .map(|a| (*a, i.result == QmResult::Fail))
            .chain(i.inspected.iter().map(|a| (*a, false)))
            .collect(),
        sample_m2: sample.as_ref().map(crate::area::multipolygon_area),
        sample,
        inspected_m2: ground.as_ref().map(crate::area::multipolygon_area),
        items_found: i.items_found,
    })
}

/// A failed QC inspection raises a major non-conformity against each
/// organisation whose released ground it re-opens [IMAS 07.12]; a failed QA
/// visit, a minor one against the task's operator (its work goes on, under
/// correction); each due in [`crate::ncr::days_to_act`] days.
fn failed_inspection(r: &Report, ctx: &Context, plan: &mut Plan, new_id: &mut dyn FnMut() -> Uuid) {
    let Some(i) = r.inspection.as_ref().filter(|i| i.result == QmResult::Fail) else { return };
    let findings = i.findings.as_deref().map(str::trim).filter(|f| !f.is_empty());
    if i.kind == InspectionKind::QualityAssurance {
        let Some(t) = &ctx.task else { return };
        let finding = match findings {
            Some(f) => format!("failed quality-assurance visit to task {}: {f}", t.code),
            None => format!("failed quality-assurance visit to task {}", t.code),
        };
        raise(ctx, plan, new_id, t.organisation_id, NcrGrade::Minor, finding);
        return;
    }
    let mut by_org: Vec<(Uuid, Vec<Uuid>)> = vec![];
    for (area, known) in i.reopen.iter().zip(&ctx.inspected) {
        if let Some(super::ReleasedArea::Standing { organisation_id, .. }) = known {
            match by_org.iter_mut().find(|(o, _)| o == organisation_id) {
                Some((_, areas)) => areas.push(*area),
                None => by_org.push((*organisation_id, vec![*area])),
            }
        }
    }
    for (organisation_id, areas) in by_org {
        let listed = areas.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ");
        let finding = match findings {
            Some(f) => format!("failed quality-control inspection of released area {listed}: {f}"),
            None => format!("failed quality-control inspection of released area {listed}"),
        };
        raise(ctx, plan, new_id, organisation_id, NcrGrade::Major, finding);
    }
}

fn raise(
    ctx: &Context,
    plan: &mut Plan,
    new_id: &mut dyn FnMut() -> Uuid,
    organisation_id: Uuid,
    grade: NcrGrade,
    finding: String,
) {
    plan.flags.push(format!("non-conformity ({}) raised: {finding}", grade.code()));
    plan.non_conformities.push(super::RaisedNcr {
        id: new_id(),
        organisation_id,
        grade,
        finding,
        // Raised when the failure is approved, not when the inspection ended.
        raised_on: ctx.today,
        due_on: ctx
            .today
            .checked_add(time::Duration::days(crate::ncr::days_to_act(grade)))
            .unwrap_or(ctx.today),
    });
}

/// The plan's finds and accident that lie inside ground released before them
/// (not ground this report re-opens): a residual-risk record each, and one
/// investigation task per hazard, due in `settings.investigation_days`.
fn residual_risk(
    r: &Report,
    ctx: &Context,
    settings: &Settings,
    plan: &mut Plan,
    new_id: &mut dyn FnMut() -> Uuid,
) {
    use crate::residual::{investigation_code, residuals, At, Sighting};
    let standing: Vec<_> =
        ctx.released_ground.iter().filter(|g| !plan.reopen.contains(&g.id)).cloned().collect();
    if standing.is_empty() {
        return;
    }
    let finds = plan.eo_finds.iter().enumerate().map(|(i, f)| Sighting {
        what: At::Find(i),
        location: f.location,
        on: r.eo_finds.get(i).map_or(r.start_date, |x| super::find_day(r, x)),
        hazard: f.hazard_id,
    });
    let accident = plan.accident.iter().map(|a| Sighting {
        what: At::Accident,
        location: a.location,
        on: a.occurred_on,
        hazard: a.hazard_id,
    });
    let sightings: Vec<Sighting> = finds.chain(accident).collect();
    for flag in residuals(&sightings, &standing) {
        let g = flag.ground;
        let task_id = match plan.investigations.iter().find(|t| t.hazard_id == g.hazard_id) {
            Some(t) => t.id,
            None => {
                let task = Task {
                    id: new_id(),
                    code: investigation_code(&g.hazard_code, g.investigations + 1),
                    hazard_id: g.hazard_id,
                    organisation_id: ctx.investigator.unwrap_or(g.organisation_id),
                    activity: ActivityKind::Ts,
                    priority: Priority::High,
                    status: TaskStatus::Issued,
                    issued_on: ctx.today,
                    due_on: ctx.today.checked_add(time::Duration::days(settings.investigation_days)),
                };
                plan.investigations.push(task);
                plan.investigations.last().map(|t| t.id).unwrap_or_default()
            }
        };
        let (eo_find_id, accident_id, what) = match flag.sighting.what {
            At::Find(i) => (plan.eo_finds.get(i).map(|f| f.id), None, format!("EO find {}", i + 1)),
            At::Accident => (None, plan.accident.as_ref().map(|a| a.id), "the accident".to_string()),
        };
        let code =
            plan.investigations.iter().find(|t| t.id == task_id).map(|t| t.code.as_str()).unwrap_or("");
        plan.flags.push(format!(
            "residual contamination: {what} ({}) lies inside ground of hazard {} released on {} \
             (released area {}); investigation task {code} issued",
            flag.sighting.on, g.hazard_code, g.released_on, g.id
        ));
        plan.residuals.push(super::ResidualRisk {
            id: new_id(),
            eo_find_id,
            accident_id,
            found_on: flag.sighting.on,
            location: flag.sighting.location,
            released_area_id: g.id,
            hazard_id: g.hazard_id,
            released_on: g.released_on,
            released_by: g.organisation_id,
            task_id,
        });
    }
}

/// The hazard an existing-hazard report is about: the one it names, its
/// task's, or the one whose released areas it re-opens.
fn report_hazard(r: &Report, ctx: &Context) -> Option<Uuid> {
    let reopened = || {
        ctx.inspected.iter().flatten().find_map(|a| match a {
            super::ReleasedArea::Standing { hazard_id, .. } => Some(*hazard_id),
            super::ReleasedArea::Revoked { .. } => None,
        })
    };
    match &r.hazard {
        Some(_) => ctx.named_hazard,
        None => ctx.task.as_ref().map(|t| t.hazard_id),
    }
    .or_else(reopened)
}

fn new_hazard(
    r: &Report,
    ctx: &Context,
    checked: &Checked,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Option<Hazard> {
    let (n, geometry, district_id) =
        (r.new_hazard.as_ref()?, checked.new_geometry.clone()?, ctx.new_hazard_district?);
    let place = |p: &Option<report::Place>| p.as_ref().and_then(|p| p.point().ok());
    Some(Hazard {
        id: n.id.unwrap_or_else(new_id),
        code: n.code.clone().or_else(|| ctx.next_hazard_code.clone())?,
        name: n.name.clone(),
        kind: n.kind,
        status: HazardStatus::Open,
        district_id,
        contamination: n.contamination.clone(),
        land_use: n.land_use.clone(),
        evidence: n.evidence.clone(),
        geometry,
        reference_point: place(&n.reference_point),
        reference_description: n.reference_description.clone(),
        benchmark: place(&n.benchmark),
        recorded_on: r.end_date,
        recorded_by: ctx.organisation_id,
        beneficiaries: n.beneficiaries,
    })
}

fn activity(
    r: &Report,
    ctx: &Context,
    checked: &Checked,
    hazard: Option<Uuid>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Option<Activity> {
    let kind = r.report_type.activity()?;
    let released = checked
        .released
        .iter()
        .zip(&r.released)
        .filter_map(|((outcome, g), given)| {
            Some(ReleasedArea {
                id: given.id.unwrap_or_else(&mut *new_id),
                outcome: *outcome,
                released_on: r.end_date,
                geometry: g.clone()?,
            })
        })
        .collect::<Vec<_>>();
    Some(Activity {
        id: new_id(),
        kind,
        method: r.method,
        // An EOD spot task that releases nothing was not work on the hazard.
        hazard_id: hazard.filter(|_| !(released.is_empty() && kind == ActivityKind::EodSpotTask)),
        task_id: ctx.task.as_ref().map(|t| t.id),
        organisation_id: ctx.organisation_id,
        team_id: ctx.team,
        start_date: r.start_date,
        end_date: r.end_date,
        depth_cm: r.depth_cm,
        hours_worked: r.hours_worked,
        released,
    })
}

fn accident(
    r: &Report,
    ctx: &Context,
    checked: &Checked,
    hazard: Option<Uuid>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Option<Accident> {
    let a = r.accident.as_ref()?;
    Some(Accident {
        id: a.id.unwrap_or_else(&mut *new_id),
        kind: a.kind,
        occurred_on: r.end_date,
        district_id: ctx.accident_district,
        hazard_id: hazard,
        device_category: a.device_category,
        activity_at_time: a.activity_at_time,
        area_marked: a.area_marked,
        cause: a.cause.clone(),
        location: checked.accident?,
        victims: a
            .victims
            .iter()
            .map(|v| Victim {
                id: new_id(),
                outcome: v.outcome,
                sex: v.sex,
                age: v.age,
                occupation: v.occupation.clone(),
                injuries: v.injuries.clone(),
                assistance: v.assistance.clone(),
                disability: v.disability,
                identity: v
                    .name
                    .clone()
                    .map(|full_name| VictimIdentity { full_name, contact: v.contact.clone() }),
            })
            .collect(),
    })
}

fn session(
    r: &Report,
    ctx: &Context,
    checked: &Checked,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Option<EoreSession> {
    let s = r.session.as_ref()?;
    let settlement = ctx.settlement.as_ref().filter(|_| s.settlement.is_some());
    Some(EoreSession {
        id: s.id.unwrap_or_else(new_id),
        organisation_id: ctx.organisation_id,
        held_on: r.end_date,
        kind: s.kind,
        audience: s.audience,
        settlement_id: settlement.map(|s| s.id),
        district_id: settlement.and_then(|s| s.district_id).or(ctx.session_district),
        reach: s.reach,
        with_disability: s.with_disability,
        location: checked.session?,
    })
}

/// What becomes of the hazard: its polygon, figures, status and version, and
/// its task's status. Refuses a completion that leaves more than the
/// authority's threshold.
fn hazard_effects(
    r: &Report,
    ctx: &Context,
    settings: &Settings,
    plan: &mut Plan,
) -> Result<(), Vec<String>> {
    let Some(id) = plan.hazard else { return Ok(()) };
    let (geometry, prior, status) = match (&plan.new_hazard, ctx.hazard(id)) {
        (Some(n), _) => (&n.geometry, &[][..], HazardStatus::Open),
        (None, Some(f)) => (&f.geometry, &f.released[..], f.status),
        (None, None) => return Ok(()),
    };
    let geometry = plan.hazard_geometry.as_ref().unwrap_or(geometry);
    let released_now = plan.activity.as_ref().filter(|a| a.hazard_id.is_some()).map(|a| &a.released[..]);
    let released_now = released_now.unwrap_or_default();
    // Only a failed QC re-opens ground; a failed QA visit leaves it as it is.
    let failed_qc = !plan.reopen.is_empty();
    // The figures follow the ground: recomputed when it is released or
    // re-opened, or when the hazard's polygon changes.
    if !released_now.is_empty() || failed_qc || plan.hazard_geometry.is_some() {
        let standing =
            prior.iter().filter(|p| !plan.reopen.contains(&p.id)).map(|p| (p.outcome, &p.geometry));
        let now = released_now.iter().map(|a| (a.outcome, &a.geometry));
        let all: Vec<(ReleaseOutcome, &MultiPolygon<f64>)> = standing.chain(now).collect();
        let figures = account(geometry, &all).map_err(|e| vec![format!("hazard {id}: {e}")])?;
        plan.figures = Some(figures.figures());
    }
    let mut next = status;
    if failed_qc && matches!(status, HazardStatus::Closed | HazardStatus::HandedOver) {
        next = HazardStatus::WorkedOn;
    }
    // Worked on once work is reported; closed on completion when nothing is left.
    let worked = r.report_type.activity().is_some()
        && r.report_type != ReportType::EodSpotTask
        && (!r.released.is_empty() || r.completion);
    if worked && next == HazardStatus::Open {
        next = HazardStatus::WorkedOn;
    }
    let task = ctx.task.as_ref();
    if r.completion {
        // What remains: as just recomputed, else all of a new hazard, else as the register holds it.
        let remaining = match (plan.figures, &plan.new_hazard, ctx.hazard(id)) {
            (Some(f), ..) => f.remaining,
            (None, Some(n), _) => multipolygon_area(&n.geometry),
            (None, None, f) => f.map_or(0.0, |f| f.remaining_m2),
        };
        if remaining >= settings.close_below_m2 {
            return Err(vec![format!(
                "it completes the hazard but {remaining:.0} m² remain (more than {} m²); release the rest or drop `completion`",
                settings.close_below_m2
            )]);
        }
        next = if r.handed_over { HazardStatus::HandedOver } else { HazardStatus::Closed };
        // Work done before a cancellation stands; the task stays cancelled.
        plan.task_status =
            task.filter(|t| t.status != TaskStatus::Cancelled).map(|t| (t.id, TaskStatus::Completed));
    } else if let Some(t) =
        task.filter(|t| t.status == TaskStatus::Issued && r.report_type != ReportType::QmInspection)
    {
        // Work reported starts the task; an inspector's visit does not.
        plan.task_status = Some((t.id, TaskStatus::InProgress));
    }
    plan.status = (next != status).then_some(next);
    plan.new_version = worked || plan.confirm || plan.figures.is_some() || plan.status.is_some();
    Ok(())
}
