//! The rules a report must pass: each adds its problems, in the order the
//! report gives things, and keeps what it parsed for the plan.

use super::{Context, Parsed, ReleasedArea, Settings};
use crate::area::multipolygon_perimeter;
use crate::codes::{InspectionKind, OrganisationKind, ReleaseOutcome};
use crate::proximity::{distance_to, intersection_area};
use crate::report::{self, Report, ReportType};
use geo::{BoundingRect, MultiPolygon, Point};
use uuid::Uuid;

/// The problems found, and what the checks parsed on the way.
pub(super) struct Checked {
    pub(super) problems: Vec<String>,
    /// The new hazard's polygon.
    pub(super) new_geometry: Option<MultiPolygon<f64>>,
    /// The hazard's polygon as re-surveyed.
    pub(super) changed_geometry: Option<MultiPolygon<f64>>,
    /// Each released area's outcome and polygon.
    pub(super) released: Vec<(ReleaseOutcome, Option<MultiPolygon<f64>>)>,
    /// Each EO find's position.
    pub(super) finds: Vec<Option<Point<f64>>>,
    pub(super) accident: Option<Point<f64>>,
    pub(super) session: Option<Point<f64>>,
    /// An inspection's sample.
    pub(super) sample: Option<MultiPolygon<f64>>,
}

pub(super) fn check(r: &Report, parsed: Parsed, ctx: &Context, settings: &Settings) -> Checked {
    let mut problems = report::check_shape(r, ctx.today);
    task_and_hazard(r, ctx, &mut problems);
    accredited(r, ctx, &mut problems);
    let mut keep = |g: Option<Result<MultiPolygon<f64>, Vec<String>>>| {
        g.and_then(|g| g.map_err(|p| problems.extend(p)).ok())
    };
    let new_geometry = keep(parsed.new_geometry);
    let changed_geometry = keep(parsed.changed_geometry);
    let sample = keep(parsed.sample);
    let released: Vec<(ReleaseOutcome, Option<MultiPolygon<f64>>)> =
        parsed.released.into_iter().map(|(outcome, g)| (outcome, keep(Some(g)))).collect();
    if r.new_hazard.is_some() && r.hazard.is_some() {
        problems.push("a report either records a new hazard or names an existing one, not both".into());
    }
    let measured_against = changed_geometry.as_ref().or(new_geometry.as_ref()).or_else(|| {
        let h = ctx.named_hazard.or(ctx.task.as_ref().map(|t| t.hazard_id))?;
        ctx.hazard(h).map(|f| &f.geometry)
    });
    match measured_against {
        Some(hazard) => releases(ctx, &released, hazard, settings, &mut problems),
        None if !r.released.is_empty() && problems.is_empty() => {
            problems.push("the report releases ground but names no hazard".into())
        }
        None => {}
    }
    reopened(r, ctx, &mut problems);
    if let Some(s) = &sample {
        sampled(r, ctx, s, settings, &mut problems);
    }
    new_hazard(r, ctx, &mut problems);
    let (finds, accident, session) = places(r, ctx, &mut problems);
    for (record, given) in super::given_ids(r) {
        if ctx.taken.contains(&(record, given)) {
            problems.push(format!("{} {given} is already in the register", record.label()));
        }
    }
    Checked { problems, new_geometry, changed_geometry, released, finds, accident, session, sample }
}

/// The work's capability, accredited to the author (or the team it names)
/// on every day of the work — when the register keeps accreditations.
fn accredited(r: &Report, ctx: &Context, problems: &mut Vec<String>) {
    let (Some(all), Some(capability)) = (&ctx.accreditations, crate::accreditation::needed(r)) else {
        return;
    };
    if let (Some(team), None) = (&r.team, ctx.team) {
        problems.push(format!(
            "team '{team}' is not one of {}'s teams: the work's accreditation cannot be checked; name one of its teams",
            r.organisation.trim()
        ));
        return;
    }
    let days = (r.start_date, r.end_date);
    if let Err(e) = crate::accreditation::covers(
        all,
        r.organisation.trim(),
        ctx.organisation_id,
        ctx.team,
        capability,
        days,
    ) {
        problems.push(e);
    }
}

/// The task: in the register, the author's (an inspection by a QM body or
/// the authority visits another's, on any day), for the hazard named, the
/// work within its dates; without a task, an operator surveys or clears only
/// a hazard it holds a task on.
fn task_and_hazard(r: &Report, ctx: &Context, problems: &mut Vec<String>) {
    if let (Some(key), None) = (&r.task, &ctx.task) {
        problems.push(format!("task '{key}' is not in the register"));
    }
    if let (Some(key), None) = (&r.hazard, ctx.named_hazard) {
        problems.push(format!("hazard '{key}' is not in the register"));
    }
    if let Some(t) = &ctx.task {
        let visit = r.report_type == ReportType::QmInspection
            && matches!(
                ctx.organisation_kind,
                OrganisationKind::QmBody | OrganisationKind::NationalAuthority
            );
        if t.organisation_id != ctx.organisation_id && !visit {
            problems.push(format!(
                "task {} was given to another operator; only its operator reports on it",
                t.code
            ));
        }
        if ctx.named_hazard.is_some_and(|h| h != t.hazard_id) {
            problems.push(format!("task {} is for another hazard than the one the report names", t.code));
        }
        if r.start_date < t.issued_on {
            problems.push(format!(
                "the work started ({}) before task {} was issued ({})",
                r.start_date, t.code, t.issued_on
            ));
        }
        if let Some(due) = t.due_on.filter(|due| r.end_date > *due && !visit) {
            problems.push(format!("the work ended ({}) after task {} was due ({due})", r.end_date, t.code));
        }
        if let Some(off) = t.cancelled_on.filter(|off| r.end_date > *off && !visit) {
            problems.push(format!(
                "task {} was cancelled on {off} and the work ended after it ({}); report work under a task in force",
                t.code, r.end_date
            ));
        }
    } else if matches!(r.report_type, ReportType::Ts | ReportType::Clearance)
        && ctx.organisation_kind == OrganisationKind::Operator
        && ctx.named_hazard.is_some()
        && !ctx.tasked_on_hazard
    {
        problems.push(
            "the operator has no task on this hazard; only the operator a task was given to reports on it"
                .into(),
        );
    }
}

/// Released ground lies within its hazard (to the tolerance) and was not
/// released before, by an earlier report or earlier in this one.
fn releases(
    ctx: &Context,
    released: &[(ReleaseOutcome, Option<MultiPolygon<f64>>)],
    hazard: &MultiPolygon<f64>,
    settings: &Settings,
    problems: &mut Vec<String>,
) {
    let named = ctx.named_hazard.or(ctx.task.as_ref().map(|t| t.hazard_id));
    let mut so_far: Vec<&MultiPolygon<f64>> = named
        .and_then(|h| ctx.hazard(h))
        .map(|f| f.released.iter().map(|p| &p.geometry).collect())
        .unwrap_or_default();
    for (i, (_, g)) in released.iter().enumerate() {
        let Some(g) = g else { continue };
        let label = format!("released area {}", i + 1);
        let strays = stray(g, hazard);
        if strays > settings.tolerance_m {
            problems.push(format!(
                "{label} lies up to {strays:.1} m outside its hazard, more than the {} m tolerance",
                settings.tolerance_m
            ));
        }
        // Boundaries drawn twice never meet exactly: a sliver as wide as the
        // tolerance along half the perimeter is not a second release.
        let allowed = (settings.tolerance_m * multipolygon_perimeter(g) * 0.5).max(1.0);
        let twice =
            so_far.iter().filter(|prior| boxes_meet(prior, g)).map(|prior| intersection_area(g, prior));
        if let Some(shared) = twice.into_iter().find(|shared| *shared > allowed) {
            problems.push(format!(
                "{label} releases {shared:.0} m² that were released already; the same ground cannot be released twice"
            ));
        }
        so_far.push(g);
    }
}

/// How far (metres) the farthest vertex of `g`'s outer rings lies outside `hazard`.
fn stray(g: &MultiPolygon<f64>, hazard: &MultiPolygon<f64>) -> f64 {
    g.0.iter().flat_map(|p| p.exterior().0.iter()).map(|c| distance_to(Point(*c), hazard)).fold(0.0, f64::max)
}

fn boxes_meet(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    a.bounding_rect().zip(b.bounding_rect()).is_some_and(|(a, b)| {
        a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
    })
}

/// The released areas a QM report re-opens or inspects: in the register,
/// still released, of the report's hazard.
fn reopened(r: &Report, ctx: &Context, problems: &mut Vec<String>) {
    let Some(insp) = &r.inspection else { return };
    let mut hazard: Option<Uuid> = ctx.named_hazard.or(ctx.task.as_ref().map(|t| t.hazard_id));
    for (i, a) in insp.ground().enumerate() {
        match ctx.inspected.get(i).cloned().flatten() {
            None => problems.push(format!("released area {a} is not in the register")),
            Some(ReleasedArea::Revoked { at }) => {
                problems.push(format!("released area {a} was re-opened or withdrawn already ({at})"))
            }
            Some(ReleasedArea::Standing { hazard_id, released_on, .. }) => {
                if hazard.is_some_and(|x| x != hazard_id) {
                    problems.push(format!("released area {a} belongs to another hazard"));
                }
                if r.start_date < released_on {
                    problems.push(format!(
                        "released area {a} was released on {released_on}, after the inspection began ({}); \
                         an inspection follows the release it checks",
                        r.start_date
                    ));
                }
                hazard.get_or_insert(hazard_id);
            }
        }
    }
}

/// An inspection's sample lies in the ground inspected, to the tolerance: a
/// QC's in the released areas it names, a QA visit's in its task's hazard.
fn sampled(
    r: &Report,
    ctx: &Context,
    sample: &MultiPolygon<f64>,
    settings: &Settings,
    problems: &mut Vec<String>,
) {
    let Some(insp) = &r.inspection else { return };
    let (ground, what) = match insp.kind {
        InspectionKind::QualityControl => {
            (inspected_ground(insp, ctx), "the released areas inspected".to_string())
        }
        InspectionKind::QualityAssurance => match &ctx.task {
            Some(t) => {
                (ctx.hazard(t.hazard_id).map(|h| h.geometry.clone()), format!("task {}'s hazard", t.code))
            }
            None => (None, String::new()),
        },
    };
    // Areas not in the register, or re-opened, are refused already.
    let Some(ground) = ground.filter(|g| !g.0.is_empty()) else { return };
    let strays = stray(sample, &ground);
    if strays > settings.tolerance_m {
        problems.push(format!(
            "the inspection's sample lies up to {strays:.1} m outside {what}, more than the {} m tolerance",
            settings.tolerance_m
        ));
        return;
    }
    // Corners inside are not enough: a sample across a gap between two
    // areas, or a concave one's notch, covers ground not inspected. A band
    // as wide as the tolerance along half its perimeter is GPS error.
    // Piece by piece: areas that touch along a boundary drawn twice overlap
    // by a sliver, which an overlay of them all would count out.
    let inside: f64 =
        ground.0.iter().map(|p| intersection_area(sample, &MultiPolygon(vec![p.clone()]))).sum();
    let outside = crate::area::multipolygon_area(sample) - inside;
    let allowed = (settings.tolerance_m * multipolygon_perimeter(sample) * 0.5).max(1.0);
    if outside > allowed {
        problems.push(format!(
            "the inspection's sample covers {outside:.0} m² outside {what} (more than the {allowed:.0} m² \
             the tolerance allows along its edge); draw it inside the ground inspected"
        ));
    }
}

/// The polygons of the standing released areas a QC names, together;
/// `None` when one of them is not standing.
pub(super) fn inspected_ground(insp: &report::Inspection, ctx: &Context) -> Option<MultiPolygon<f64>> {
    if insp.ground().count() != ctx.inspected.len() {
        return None;
    }
    let mut polygons = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, known) in insp.ground().zip(&ctx.inspected) {
        let Some(ReleasedArea::Standing { hazard_id, .. }) = known else { return None };
        if !seen.insert(*id) {
            continue;
        }
        let area = ctx.hazard(*hazard_id)?.released.iter().find(|p| p.id == *id)?;
        polygons.extend(area.geometry.0.iter().cloned());
    }
    Some(MultiPolygon(polygons))
}

/// A new hazard: its district in the register, its UUID and code free, its
/// contamination named.
fn new_hazard(r: &Report, ctx: &Context, problems: &mut Vec<String>) {
    let Some(n) = &r.new_hazard else { return };
    if ctx.new_hazard_district.is_none() {
        problems.push(format!("district '{}' is not in the register", n.district));
    }
    if let Some(id) = n.id.filter(|_| ctx.new_hazard_id_taken) {
        problems.push(format!("a hazard with id {id} is in the register already"));
    }
    if let Some(code) = n.code.as_ref().filter(|_| ctx.new_hazard_code_taken) {
        problems.push(format!("hazard code {code} is taken; leave `code` out to get the next free one"));
    }
    if n.contamination.is_empty() {
        problems.push("the new hazard names no contamination (AP, AT, UXO, AXO, CMR or IED)".into());
    }
}

type Places = (Vec<Option<Point<f64>>>, Option<Point<f64>>, Option<Point<f64>>);

/// The positions of the finds, the accident and the session, each readable;
/// a session without one is held at its settlement, which must be in the register.
fn places(r: &Report, ctx: &Context, problems: &mut Vec<String>) -> Places {
    let finds = r
        .eo_finds
        .iter()
        .enumerate()
        .map(|(i, f)| f.location.point().map_err(|e| problems.push(format!("EO find {}: {e}", i + 1))).ok())
        .collect();
    let accident = r.accident.as_ref().and_then(|a| {
        a.location.point().map_err(|e| problems.push(format!("the accident's location: {e}"))).ok()
    });
    let session = r.session.as_ref().and_then(|s| match (&s.location, &ctx.settlement) {
        (Some(p), _) => p.point().map_err(|e| problems.push(format!("the session's location: {e}"))).ok(),
        (None, Some(settlement)) => Some(settlement.location),
        (None, None) => {
            problems.push(format!(
                "settlement '{}' is not in the register",
                s.settlement.clone().unwrap_or_default()
            ));
            None
        }
    });
    (finds, accident, session)
}
