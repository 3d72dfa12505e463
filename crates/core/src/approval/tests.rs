//! Every rule of approval and its boundary, with no database: a report, the
//! register's facts as a [`Context`], and the decision.

use super::*;
use crate::area::multipolygon_area;
use crate::proximity::distance_to;
use crate::report::{Inspection, NewHazard, QmResult, Release, ReportType, ReportedSession};
use geo::{Coord, LineString, Polygon};
use serde_json::{json, Value};
use time::macros::date;

const ORG: Uuid = Uuid::from_u128(1);
const OTHER_ORG: Uuid = Uuid::from_u128(2);
const HAZARD: Uuid = Uuid::from_u128(10);
const OTHER_HAZARD: Uuid = Uuid::from_u128(11);
const TASK: Uuid = Uuid::from_u128(20);
const DISTRICT: Uuid = Uuid::from_u128(30);

/// A rectangle in longitude/latitude, as a polygon and as GeoJSON.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> (MultiPolygon<f64>, Value) {
    let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
    let poly = Polygon::new(LineString(ring.iter().map(|&(x, y)| Coord { x, y }).collect()), vec![]);
    let coords: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [x, y]).collect();
    (MultiPolygon(vec![poly]), json!({ "type": "Polygon", "coordinates": [coords] }))
}

/// The hazard: about 850 m by 1,100 m in Aghdam district.
fn hazard_shape() -> MultiPolygon<f64> {
    rect(46.90, 39.90, 46.91, 39.91).0
}

fn facts(status: HazardStatus, released: Vec<PriorRelease>) -> HazardFacts {
    let g = hazard_shape();
    HazardFacts {
        id: HAZARD,
        district_id: DISTRICT,
        status,
        remaining_m2: multipolygon_area(&g),
        geometry: g,
        released,
    }
}

fn task(issued_on: Date, due_on: Option<Date>) -> TaskFacts {
    TaskFacts {
        id: TASK,
        code: "T-1".into(),
        hazard_id: HAZARD,
        organisation_id: ORG,
        issued_on,
        due_on,
        status: TaskStatus::Issued,
        cancelled_on: None,
    }
}

/// A clearance report by the task's operator on the tasked hazard, and the
/// register as it stands: the task issued on 1 March, due 30 June.
fn clearance(start: Date, end: Date) -> (Report, Context) {
    let mut r = Report::blank(ReportType::Clearance, "HALO", start, end);
    r.task = Some("T-1".into());
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 12 - 31));
    ctx.organisation_id = ORG;
    ctx.task = Some(task(date!(2024 - 03 - 01), Some(date!(2024 - 06 - 30))));
    ctx.hazards = vec![facts(HazardStatus::Open, vec![])];
    (r, ctx)
}

fn release(r: &mut Report, g: Value) {
    r.released.push(Release { id: None, geometry: g, outcome: None });
}

fn ids() -> impl FnMut() -> Uuid {
    let mut n = 1000u128;
    move || {
        n += 1;
        Uuid::from_u128(n)
    }
}

fn decide_now(r: &Report, ctx: &Context, s: &Settings) -> Result<Plan, Vec<String>> {
    decide(r, ctx, s, &mut ids())
}

#[test]
fn a_clearance_within_its_task_releases_ground_and_starts_the_task() {
    let (mut r, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut r, rect(46.90, 39.90, 46.905, 39.91).1);
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("approved");
    assert_eq!(plan.hazard, Some(HAZARD));
    let activity = plan.activity.as_ref().expect("an activity");
    assert_eq!(
        (activity.hazard_id, activity.task_id, activity.released.len()),
        (Some(HAZARD), Some(TASK), 1)
    );
    assert_eq!(activity.released[0].outcome, ReleaseOutcome::Cleared);
    // What an import lists for the feature: the activity, then the ground it released.
    assert_eq!(plan.records(), vec![activity.id, activity.released[0].id]);
    let f = plan.figures.expect("figures recomputed");
    assert!((f.cleared / f.recorded - 0.5).abs() < 1e-3, "{f:?}");
    assert!((f.cleared + f.remaining - f.recorded).abs() < 1e-7 * f.recorded, "{f:?}");
    assert_eq!(plan.status, Some(HazardStatus::WorkedOn));
    assert_eq!(plan.task_status, Some((TASK, TaskStatus::InProgress)));
    assert!(plan.new_version);
}

#[test]
fn the_task_must_be_in_the_register_and_the_authors() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut r, rect(46.90, 39.90, 46.901, 39.901).1);
    let cleared = r.clone();
    ctx.task = None;
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).err(),
        Some(vec!["task 'T-1' is not in the register".into()])
    );
    let (_, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    ctx.organisation_id = OTHER_ORG;
    let problems = decide_now(&cleared, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems, vec!["task T-1 was given to another operator; only its operator reports on it"]);
}

#[test]
fn the_task_must_be_for_the_hazard_the_report_names() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut r, rect(46.90, 39.90, 46.901, 39.901).1);
    r.hazard = Some("AZ-AG-000002".into());
    ctx.named_hazard = Some(OTHER_HAZARD);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems, vec!["task T-1 is for another hazard than the one the report names"]);
    r.hazard = Some("AZ-AG-000009".into());
    ctx.named_hazard = None;
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems, vec!["hazard 'AZ-AG-000009' is not in the register"]);
}

#[test]
fn work_may_start_the_day_the_task_is_issued_and_end_the_day_it_is_due() {
    let (mut r, ctx) = clearance(date!(2024 - 03 - 01), date!(2024 - 06 - 30));
    r.completion = false;
    release(&mut r, rect(46.90, 39.90, 46.901, 39.901).1);
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
    let (mut early, ctx) = clearance(date!(2024 - 02 - 29), date!(2024 - 06 - 30));
    release(&mut early, rect(46.90, 39.90, 46.901, 39.901).1);
    assert_eq!(
        decide_now(&early, &ctx, &Settings::default()).unwrap_err(),
        vec!["the work started (2024-02-29) before task T-1 was issued (2024-03-01)"]
    );
    let (mut late, ctx) = clearance(date!(2024 - 03 - 01), date!(2024 - 07 - 01));
    release(&mut late, rect(46.90, 39.90, 46.901, 39.901).1);
    assert_eq!(
        decide_now(&late, &ctx, &Settings::default()).unwrap_err(),
        vec!["the work ended (2024-07-01) after task T-1 was due (2024-06-30)"]
    );
}

#[test]
fn work_under_a_cancelled_task_stands_up_to_the_day_it_was_called_off() {
    let cancelled = |ctx: &mut Context| {
        let mut t = task(date!(2024 - 03 - 01), Some(date!(2024 - 06 - 30)));
        (t.status, t.cancelled_on) = (TaskStatus::Cancelled, Some(date!(2024 - 05 - 15)));
        ctx.task = Some(t);
    };
    // A completion done by the day it was called off: accepted, the hazard
    // closed, and the task stays cancelled (not completed).
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 05 - 15));
    cancelled(&mut ctx);
    release(&mut r, rect(46.90, 39.90, 46.91, 39.91).1);
    r.completion = true;
    let plan = decide_now(&r, &ctx, &Settings::default()).unwrap();
    assert_eq!(plan.status, Some(HazardStatus::Closed));
    assert_eq!(plan.task_status, None);
    // A QA visit after the cancellation, to see work done before it, is not refused for it.
    let mut visit =
        Report::blank(ReportType::QmInspection, "NQMU", date!(2024 - 06 - 01), date!(2024 - 06 - 01));
    visit.task = Some("T-1".into());
    let mut vctx = ctx.clone();
    vctx.organisation_kind = OrganisationKind::QmBody;
    vctx.organisation_id = Uuid::from_u128(99);
    let problems = decide_now(&visit, &vctx, &Settings::default()).err().unwrap_or_default();
    assert!(!problems.iter().any(|p| p.contains("was cancelled")), "{problems:?}");
    let (mut late, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 05 - 16));
    cancelled(&mut ctx);
    release(&mut late, rect(46.90, 39.90, 46.901, 39.901).1);
    assert_eq!(
        decide_now(&late, &ctx, &Settings::default()).unwrap_err(),
        vec!["task T-1 was cancelled on 2024-05-15 and the work ended after it (2024-05-16); report work under a task in force"]
    );
}

#[test]
fn a_task_due_the_day_it_is_issued_takes_a_day_of_work() {
    let (mut r, mut ctx) = clearance(date!(2024 - 05 - 02), date!(2024 - 05 - 02));
    ctx.task = Some(task(date!(2024 - 05 - 02), Some(date!(2024 - 05 - 02))));
    release(&mut r, rect(46.90, 39.90, 46.901, 39.901).1);
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
}

#[test]
fn an_operator_without_a_task_on_the_hazard_may_not_clear_it() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    r.task = None;
    r.hazard = Some("AZ-AG-000001".into());
    ctx.task = None;
    ctx.named_hazard = Some(HAZARD);
    release(&mut r, rect(46.90, 39.90, 46.901, 39.901).1);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(
        problems,
        vec!["the operator has no task on this hazard; only the operator a task was given to reports on it"]
    );
    ctx.tasked_on_hazard = true;
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
    // The authority's own teams need no task.
    ctx.tasked_on_hazard = false;
    ctx.organisation_kind = OrganisationKind::NationalAuthority;
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
}

#[test]
fn released_ground_may_stray_outside_its_hazard_by_exactly_the_tolerance() {
    let (mut r, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    // 0.0001° of longitude beyond the hazard's east edge: about 8.5 m.
    let (g, json) = rect(46.905, 39.905, 46.9101, 39.906);
    release(&mut r, json);
    let stray =
        g.0[0].exterior().0.iter().map(|c| distance_to(Point(*c), &hazard_shape())).fold(0.0, f64::max);
    assert!((8.0..9.0).contains(&stray), "{stray}");
    let at = Settings { tolerance_m: stray, ..Settings::default() };
    assert!(decide_now(&r, &ctx, &at).is_ok());
    let below = Settings { tolerance_m: stray - 0.01, ..Settings::default() };
    let problems = decide_now(&r, &ctx, &below).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("released area 1 lies up to 8.") && problems[0].ends_with("m tolerance"),
        "{problems:?}"
    );
}

#[test]
fn ground_is_released_once() {
    let (g, json) = rect(46.90, 39.90, 46.905, 39.905);
    let prior = PriorRelease { id: Uuid::from_u128(40), outcome: ReleaseOutcome::Cleared, geometry: g };
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    ctx.hazards = vec![facts(HazardStatus::WorkedOn, vec![prior])];
    release(&mut r, json.clone());
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("released already; the same ground cannot be released twice"),
        "{problems:?}"
    );
    // The neighbouring strip, sharing an edge, is new ground.
    let (mut next, ctx) = (r.clone(), ctx);
    next.released.clear();
    release(&mut next, rect(46.905, 39.90, 46.91, 39.905).1);
    assert!(decide_now(&next, &ctx, &Settings::default()).is_ok());
    // Twice in one report is twice too.
    let (mut twice, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut twice, json.clone());
    release(&mut twice, json);
    let problems = decide_now(&twice, &ctx, &Settings::default()).unwrap_err();
    assert!(problems[0].starts_with("released area 2 releases"), "{problems:?}");
}

#[test]
fn a_completion_releasing_exactly_what_remains_closes_the_hazard_and_its_task() {
    let (mut r, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut r, rect(46.90, 39.90, 46.91, 39.91).1);
    r.completion = true;
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("closed");
    assert!(plan.figures.expect("figures").remaining < 1e-3);
    assert_eq!(plan.status, Some(HazardStatus::Closed));
    assert_eq!(plan.task_status, Some((TASK, TaskStatus::Completed)));
    r.handed_over = true;
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("handed over");
    assert_eq!(plan.status, Some(HazardStatus::HandedOver));
}

#[test]
fn a_completion_is_refused_at_the_threshold_and_accepted_below_it() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    r.completion = true;
    ctx.hazards[0].remaining_m2 = 10.0;
    let problems =
        decide_now(&r, &ctx, &Settings { close_below_m2: 10.0, ..Settings::default() }).unwrap_err();
    assert_eq!(
        problems,
        vec!["it completes the hazard but 10 m² remain (more than 10 m²); release the rest or drop `completion`"]
    );
    ctx.hazards[0].remaining_m2 = 9.99;
    let plan =
        decide_now(&r, &ctx, &Settings { close_below_m2: 10.0, ..Settings::default() }).expect("closed");
    assert_eq!(plan.status, Some(HazardStatus::Closed));
    // Nothing released: the figures stand as the register holds them.
    assert_eq!(plan.figures, None);
}

fn inspection(result: QmResult, reopen: Vec<Uuid>) -> Report {
    let mut r = Report::blank(ReportType::QmInspection, "QM", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
    r.hazard = Some("AZ-AG-000001".into());
    r.inspection = Some(Inspection {
        kind: InspectionKind::QualityControl,
        result,
        reopen,
        inspected: vec![],
        sample: None,
        items_found: 0,
        findings: None,
    });
    r
}

#[test]
fn a_failed_qc_reopens_released_ground_and_the_closed_hazard() {
    let area = Uuid::from_u128(40);
    let (g, _) = rect(46.90, 39.90, 46.91, 39.91);
    let mut ctx = Context::new(OrganisationKind::QmBody, date!(2024 - 12 - 31));
    ctx.named_hazard = Some(HAZARD);
    let mut closed = facts(
        HazardStatus::Closed,
        vec![PriorRelease { id: area, outcome: ReleaseOutcome::Cleared, geometry: g }],
    );
    closed.remaining_m2 = 0.0;
    ctx.hazards = vec![closed];
    ctx.inspected = vec![Some(ReleasedArea::Standing {
        hazard_id: HAZARD,
        organisation_id: OTHER_ORG,
        released_on: date!(2024 - 01 - 15),
    })];
    let plan =
        decide_now(&inspection(QmResult::Fail, vec![area]), &ctx, &Settings::default()).expect("re-opened");
    assert_eq!((plan.hazard, plan.reopen.clone()), (Some(HAZARD), vec![area]));
    let f = plan.figures.expect("figures");
    assert!((f.remaining - f.recorded).abs() < 1e-6 && f.cleared == 0.0, "{f:?}");
    assert_eq!(plan.status, Some(HazardStatus::WorkedOn));
    // A passed QC changes nothing.
    ctx.inspected.clear();
    let plan = decide_now(&inspection(QmResult::Pass, vec![]), &ctx, &Settings::default()).expect("passed");
    assert_eq!((plan.figures, plan.status, plan.new_version), (None, None, false));
}

#[test]
fn a_qc_reopens_only_standing_ground_of_one_hazard() {
    let (a, b, c) = (Uuid::from_u128(40), Uuid::from_u128(41), Uuid::from_u128(42));
    let mut ctx = Context::new(OrganisationKind::QmBody, date!(2024 - 12 - 31));
    ctx.named_hazard = Some(HAZARD);
    ctx.hazards = vec![facts(HazardStatus::Closed, vec![])];
    ctx.inspected = vec![
        Some(ReleasedArea::Standing {
            hazard_id: HAZARD,
            organisation_id: OTHER_ORG,
            released_on: date!(2024 - 01 - 15),
        }),
        Some(ReleasedArea::Standing {
            hazard_id: OTHER_HAZARD,
            organisation_id: OTHER_ORG,
            released_on: date!(2024 - 01 - 15),
        }),
        Some(ReleasedArea::Revoked { at: "2024-04-01T10:00:00Z".into() }),
        None,
    ];
    let d = Uuid::from_u128(43);
    let problems =
        decide_now(&inspection(QmResult::Fail, vec![a, b, c, d]), &ctx, &Settings::default()).unwrap_err();
    assert_eq!(
        problems,
        vec![
            format!("released area {b} belongs to another hazard"),
            format!("released area {c} was re-opened or withdrawn already (2024-04-01T10:00:00Z)"),
            format!("released area {d} is not in the register"),
        ]
    );
}

fn survey_with_new_hazard() -> (Report, Context) {
    let mut r = Report::blank(ReportType::Nts, "ANAMA", date!(2024 - 05 - 01), date!(2024 - 05 - 02));
    r.new_hazard = Some(NewHazard {
        id: None,
        name: "North of the cemetery".into(),
        kind: HazardKind::Sha,
        district: "Aghdam".into(),
        contamination: vec![EoCategory::Ap],
        land_use: vec![],
        evidence: vec![],
        geometry: rect(46.90, 39.90, 46.91, 39.91).1,
        benchmark: None,
        reference_point: None,
        reference_description: None,
        beneficiaries: Some(120),
        code: None,
    });
    let mut ctx = Context::new(OrganisationKind::NationalAuthority, date!(2024 - 12 - 31));
    ctx.organisation_id = ORG;
    ctx.new_hazard_district = Some(DISTRICT);
    ctx.next_hazard_code = Some("AZ-AG-000007".into());
    (r, ctx)
}

#[test]
fn a_survey_records_a_new_hazard_with_the_next_code_of_its_district() {
    let (r, ctx) = survey_with_new_hazard();
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    let h = plan.new_hazard.as_ref().expect("a new hazard");
    assert_eq!(
        (h.code.as_str(), h.district_id, h.status, h.recorded_by),
        ("AZ-AG-000007", DISTRICT, HazardStatus::Open, ORG)
    );
    assert_eq!(plan.hazard, Some(h.id));
    // Recorded, not worked on: a survey that releases nothing leaves it open.
    assert_eq!(plan.status, None);
}

#[test]
fn a_new_hazard_needs_its_district_a_free_code_and_id_and_its_contamination() {
    let (mut r, mut ctx) = survey_with_new_hazard();
    let n = r.new_hazard.as_mut().expect("new hazard");
    n.code = Some("AZ-AG-000001".into());
    n.id = Some(HAZARD);
    n.contamination.clear();
    n.district = "Atlantis".into();
    ctx.new_hazard_district = None;
    ctx.new_hazard_code_taken = true;
    ctx.new_hazard_id_taken = true;
    r.hazard = Some("AZ-AG-000001".into());
    ctx.named_hazard = Some(HAZARD);
    ctx.hazards = vec![facts(HazardStatus::Open, vec![])];
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec![
            "a report either records a new hazard or names an existing one, not both".to_string(),
            "district 'Atlantis' is not in the register".into(),
            format!("a hazard with id {HAZARD} is in the register already"),
            "hazard code AZ-AG-000001 is taken; leave `code` out to get the next free one".into(),
            "the new hazard names no contamination (AP, AT, UXO, AXO, CMR or IED)".into(),
        ]
    );
}

#[test]
fn records_brought_with_their_own_uuid_must_be_new() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    let given = Uuid::from_u128(77);
    r.released.push(Release {
        id: Some(given),
        geometry: rect(46.90, 39.90, 46.901, 39.901).1,
        outcome: None,
    });
    assert_eq!(given_ids(&r), vec![(Record::ReleasedArea, given)]);
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("new");
    assert_eq!(plan.activity.expect("activity").released[0].id, given);
    ctx.taken.insert((Record::ReleasedArea, given));
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec![format!("released area {given} is already in the register")]
    );
}

#[test]
fn an_eod_spot_task_records_finds_where_they_lie() {
    let mut r = Report::blank(ReportType::EodSpotTask, "HALO", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
    r.eo_finds.push(crate::report::Find {
        id: None,
        category: EoCategory::Uxo,
        eo_type: "OF-462".into(),
        quantity: 2,
        condition: EoCondition::Unknown,
        fuze_state: None,
        disposal: Disposal::DestroyedInSitu,
        location: crate::report::Place::LonLat([46.95, 39.95]),
        found_on: None,
    });
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 12 - 31));
    ctx.find_districts = vec![Some(DISTRICT)];
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    let a = plan.activity.as_ref().expect("an activity");
    assert_eq!((a.kind, a.hazard_id), (ActivityKind::EodSpotTask, None));
    let f = &plan.eo_finds[0];
    assert_eq!(
        (f.activity_id, f.hazard_id, f.district_id, f.found_on),
        (Some(a.id), None, Some(DISTRICT), r.end_date)
    );
    assert!(!plan.new_version);
}

#[test]
fn a_session_is_held_at_its_settlement_or_refused_without_one() {
    let mut r = Report::blank(ReportType::EoreSession, "DTA", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
    r.session = Some(ReportedSession {
        id: None,
        kind: EoreKind::ALL[0],
        audience: Audience::ALL[0],
        settlement: Some("Quzanli".into()),
        location: None,
        reach: crate::model::Reach { girls: 10, boys: 12, women: 5, men: 3 },
        with_disability: None,
    });
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 12 - 31));
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec!["settlement 'Quzanli' is not in the register"]
    );
    let place = Point::new(46.99, 40.03);
    ctx.settlement =
        Some(Settlement { id: Uuid::from_u128(50), location: place, district_id: Some(DISTRICT) });
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    let s = plan.session.expect("a session");
    assert_eq!(
        (s.location, s.settlement_id, s.district_id),
        (place, Some(Uuid::from_u128(50)), Some(DISTRICT))
    );
}

#[test]
fn every_problem_is_named_at_once_and_the_check_says_the_same() {
    let (mut r, mut ctx) = clearance(date!(2024 - 02 - 01), date!(2024 - 07 - 15));
    ctx.organisation_id = OTHER_ORG;
    release(
        &mut r,
        json!({ "type": "Polygon", "coordinates": [[[46.9, 39.9], [46.91, 39.91], [46.91, 39.9], [46.9, 39.91], [46.9, 39.9]]] }),
    );
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[3].starts_with("released area 1: "), "{problems:?}");
    assert_eq!(check(&r, &ctx, &Settings::default()), problems);
}

#[test]
fn report_states_read_as_stored() {
    for s in ReportState::ALL {
        assert_eq!(s.code().parse::<ReportState>(), Ok(*s));
    }
}

#[test]
fn a_resurveyed_polygon_brings_the_figures_with_it() {
    let mut r = Report::blank(ReportType::Nts, "ANAMA", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
    r.hazard = Some("AZ-AG-000001".into());
    let (smaller, json) = rect(46.90, 39.90, 46.905, 39.91);
    r.hazard_geometry = Some(json);
    let mut ctx = Context::new(OrganisationKind::NationalAuthority, date!(2024 - 12 - 31));
    ctx.named_hazard = Some(HAZARD);
    ctx.hazards = vec![facts(HazardStatus::Open, vec![])];
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("re-surveyed");
    assert_eq!(plan.hazard_geometry.as_ref(), Some(&smaller));
    let f = plan.figures.expect("figures follow the polygon");
    assert!((f.recorded - multipolygon_area(&smaller)).abs() < 1e-6 && f.remaining == f.recorded, "{f:?}");
    assert!(plan.new_version);
}

#[test]
fn only_work_on_the_ground_needs_the_hazards_polygon_and_released_ground() {
    let (mut r, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    assert!(!needs_ground(&r), "a report of finds only");
    r.completion = true;
    assert!(needs_ground(&r));
    r.completion = false;
    release(&mut r, rect(46.90, 39.90, 46.905, 39.91).1);
    assert!(needs_ground(&r));
    // Decided without the ground, a report of finds only is decided the same.
    let (bare, _) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    let mut without = ctx.clone();
    for h in &mut without.hazards {
        (h.geometry, h.released) = (MultiPolygon(vec![]), vec![]);
    }
    assert_eq!(
        decide_now(&bare, &ctx, &Settings::default()),
        decide_now(&bare, &without, &Settings::default())
    );
}

fn accreditation(capability: Capability, from: Date, to: Date) -> crate::accreditation::Accreditation {
    crate::accreditation::Accreditation {
        reference: "ANAMA-ACC-7".into(),
        organisation_id: ORG,
        team_id: None,
        capability,
        valid_from: from,
        valid_to: to,
        suspended_on: None,
    }
}

#[test]
fn a_register_keeping_no_accreditations_asks_for_none() {
    let (mut r, ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    release(&mut r, rect(46.901, 39.901, 46.902, 39.902).1);
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
}

#[test]
fn work_is_approved_only_under_an_accreditation_for_its_method_on_every_day() {
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    r.method = Some(crate::codes::ClearanceMethod::Mechanical);
    release(&mut r, rect(46.901, 39.901, 46.902, 39.902).1);
    // Accredited for manual clearance only: the mechanical work is refused.
    ctx.accreditations =
        Some(vec![accreditation(Capability::Manual, date!(2024 - 01 - 01), date!(2024 - 12 - 31))]);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert!(problems.iter().any(|p| p.contains("holds no MECHANICAL accreditation of HALO")), "{problems:?}");
    // Mechanical until the work's last day: approved; one day short: refused.
    ctx.accreditations =
        Some(vec![accreditation(Capability::Mechanical, date!(2024 - 01 - 01), date!(2024 - 04 - 30))]);
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
    ctx.accreditations =
        Some(vec![accreditation(Capability::Mechanical, date!(2024 - 01 - 01), date!(2024 - 04 - 29))]);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert!(problems.iter().any(|p| p.contains("ANAMA-ACC-7 expired on 2024-04-29")), "{problems:?}");
}

#[test]
fn reports_of_finds_need_no_accreditation() {
    let r = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 04 - 01), date!(2024 - 04 - 01));
    assert_eq!(crate::accreditation::needed(&r), None);
    let r = Report::blank(ReportType::Nts, "HALO", date!(2024 - 04 - 01), date!(2024 - 04 - 01));
    assert_eq!(crate::accreditation::needed(&r), Some(Capability::Nts));
}

/// Ground of the hazard released (cleared by OTHER_ORG) on 1 May 2024: the
/// hazard's western half.
fn released_west(investigations: u32) -> crate::residual::ReleasedGround {
    crate::residual::ReleasedGround {
        id: Uuid::from_u128(40),
        hazard_id: HAZARD,
        hazard_code: "AZ-AG-000001".into(),
        organisation_id: OTHER_ORG,
        outcome: ReleaseOutcome::Cleared,
        released_on: date!(2024 - 05 - 01),
        investigations,
        geometry: rect(46.90, 39.90, 46.905, 39.91).0,
    }
}

fn find_at(r: &mut Report, lon: f64, lat: f64, found_on: Option<Date>) {
    r.eo_finds.push(crate::report::Find {
        id: None,
        category: EoCategory::Ap,
        eo_type: "PMN-2".into(),
        quantity: 1,
        condition: EoCondition::Unknown,
        fuze_state: None,
        disposal: Disposal::DestroyedInSitu,
        location: crate::report::Place::LonLat([lon, lat]),
        found_on,
    });
}

#[test]
fn a_find_in_released_ground_after_its_release_is_residual_and_investigated() {
    let mut r = Report::blank(ReportType::EodSpotTask, "HALO", date!(2024 - 09 - 01), date!(2024 - 09 - 02));
    find_at(&mut r, 46.902, 39.905, None); // inside the released half
    find_at(&mut r, 46.903, 39.906, Some(date!(2024 - 09 - 01))); // inside too: one task for both
    find_at(&mut r, 46.908, 39.905, None); // in the hazard's remaining half: ordinary
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 09 - 10));
    ctx.released_ground = vec![released_west(2)];
    ctx.investigator = Some(Uuid::from_u128(99));
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded, not refused");
    assert_eq!(plan.eo_finds.len(), 3, "every find is recorded");
    assert_eq!(plan.residuals.len(), 2);
    let [task] = plan.investigations.as_slice() else { panic!("one task: {:?}", plan.investigations) };
    assert_eq!(task.code, "INV-AZ-AG-000001-03");
    assert_eq!((task.hazard_id, task.organisation_id), (HAZARD, Uuid::from_u128(99)));
    assert_eq!(
        (task.activity, task.priority, task.status),
        (ActivityKind::Ts, Priority::High, TaskStatus::Issued)
    );
    assert_eq!((task.issued_on, task.due_on), (date!(2024 - 09 - 10), Some(date!(2024 - 09 - 24))));
    let first = &plan.residuals[0];
    assert_eq!(
        (first.eo_find_id, first.accident_id, first.found_on, first.released_area_id, first.released_by),
        (Some(plan.eo_finds[0].id), None, date!(2024 - 09 - 01), Uuid::from_u128(40), OTHER_ORG)
    );
    assert_eq!((first.task_id, plan.residuals[1].found_on), (task.id, date!(2024 - 09 - 01)));
    // Undated, in a report whose work began on the release day: it may have
    // been found before the release.
    let mut early = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 05 - 01), date!(2024 - 05 - 03));
    find_at(&mut early, 46.902, 39.905, None);
    assert!(decide_now(&early, &ctx, &Settings::default()).expect("recorded").residuals.is_empty());
}

#[test]
fn without_an_investigator_the_releasing_organisation_investigates() {
    let mut r = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 09 - 01), date!(2024 - 09 - 01));
    find_at(&mut r, 46.902, 39.905, None);
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 09 - 10));
    ctx.released_ground = vec![released_west(0)];
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    assert_eq!(plan.investigations[0].organisation_id, OTHER_ORG);
    assert_eq!(plan.investigations[0].code, "INV-AZ-AG-000001-01");
}

#[test]
fn a_find_on_the_release_day_or_in_ground_the_report_reopens_is_not_residual() {
    let mut r = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 05 - 01), date!(2024 - 05 - 01));
    find_at(&mut r, 46.902, 39.905, None);
    let mut ctx = Context::new(OrganisationKind::Operator, date!(2024 - 09 - 10));
    ctx.released_ground = vec![released_west(0)];
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    assert!(plan.residuals.is_empty() && plan.investigations.is_empty());
    // A failed QC that re-opens the ground it found EO in: a non-conformity,
    // not residual contamination of released ground.
    let mut qc = inspection(QmResult::Fail, vec![Uuid::from_u128(40)]);
    qc.start_date = date!(2024 - 08 - 01);
    qc.end_date = date!(2024 - 08 - 01);
    find_at(&mut qc, 46.902, 39.905, None);
    let mut ctx = Context::new(OrganisationKind::QmBody, date!(2024 - 09 - 10));
    ctx.named_hazard = Some(HAZARD);
    let ground = released_west(0);
    ctx.hazards = vec![facts(
        HazardStatus::Closed,
        vec![PriorRelease {
            id: ground.id,
            outcome: ReleaseOutcome::Cleared,
            geometry: ground.geometry.clone(),
        }],
    )];
    ctx.inspected = vec![Some(ReleasedArea::Standing {
        hazard_id: HAZARD,
        organisation_id: OTHER_ORG,
        released_on: date!(2024 - 01 - 15),
    })];
    ctx.released_ground = vec![ground];
    let plan = decide_now(&qc, &ctx, &Settings::default()).expect("re-opened");
    assert_eq!(plan.reopen, vec![Uuid::from_u128(40)]);
    assert!(plan.residuals.is_empty());
}

/// An incident with an anti-personnel mine under a tractor at (`lon`, `lat`).
fn ploughing_accident(
    lon: f64,
    lat: f64,
    victims: Vec<crate::report::ReportedVictim>,
) -> crate::report::ReportedAccident {
    crate::report::ReportedAccident {
        id: None,
        kind: AccidentKind::Incident,
        device_category: EoCategory::Ap,
        activity_at_time: ActivityAtTime::ALL[0],
        area_marked: false,
        cause: "tractor ploughing".into(),
        location: crate::report::Place::LonLat([lon, lat]),
        victims,
    }
}

#[test]
fn an_accident_in_released_ground_is_residual() {
    let mut r = Report::blank(ReportType::Accident, "ANAMA", date!(2025 - 02 - 03), date!(2025 - 02 - 03));
    r.accident = Some(ploughing_accident(
        46.901,
        39.901,
        vec![crate::report::ReportedVictim {
            outcome: VictimOutcome::Injured,
            sex: Sex::Male,
            age: Some(44),
            occupation: None,
            injuries: None,
            assistance: None,
            disability: None,
            name: None,
            contact: None,
        }],
    ));
    let mut ctx = Context::new(OrganisationKind::NationalAuthority, date!(2025 - 02 - 05));
    ctx.released_ground = vec![released_west(0)];
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    let accident = plan.accident.as_ref().expect("accident").id;
    assert_eq!(plan.residuals[0].accident_id, Some(accident));
    assert_eq!(plan.residuals[0].found_on, date!(2025 - 02 - 03));
}

/// Where the store looks for released ground, and from which day: each
/// find's own day, an undated find its report's first day, the accident its
/// report's last; a position that does not read is left out.
#[test]
fn sighted_gives_each_point_the_day_residual_contamination_counts_from() {
    let mut r = Report::blank(ReportType::EoFind, "HALO", date!(2024 - 09 - 01), date!(2024 - 09 - 05));
    find_at(&mut r, 46.902, 39.905, None);
    find_at(&mut r, 46.903, 39.906, Some(date!(2024 - 09 - 03)));
    find_at(&mut r, 46.904, 39.907, None);
    r.eo_finds[2].location = crate::report::Place::Text("somewhere by the river".into());
    let mut with_accident = r.clone();
    with_accident.accident = Some(ploughing_accident(46.901, 39.901, vec![]));
    let finds = vec![
        (Point::new(46.902, 39.905), date!(2024 - 09 - 01)),
        (Point::new(46.903, 39.906), date!(2024 - 09 - 03)),
    ];
    assert_eq!(sighted(&r), finds);
    let mut all = finds.clone();
    all.push((Point::new(46.901, 39.901), date!(2024 - 09 - 05)));
    assert_eq!(sighted(&with_accident), all);
}

#[test]
fn a_demining_accident_opens_an_investigation_an_incident_does_not() {
    let report = |kind| {
        let mut r =
            Report::blank(ReportType::Accident, "ANAMA", date!(2025 - 02 - 03), date!(2025 - 02 - 03));
        r.accident = Some(crate::report::ReportedAccident {
            id: None,
            kind,
            device_category: EoCategory::Ap,
            activity_at_time: ActivityAtTime::Demining,
            area_marked: true,
            cause: "missed item during excavation".into(),
            location: crate::report::Place::LonLat([46.95, 39.95]),
            victims: vec![crate::report::ReportedVictim {
                outcome: VictimOutcome::Injured,
                sex: Sex::Male,
                age: Some(31),
                occupation: Some("deminer".into()),
                injuries: None,
                assistance: None,
                disability: Some(Disability::FromAccident),
                name: None,
                contact: None,
            }],
        });
        r
    };
    let ctx = Context::new(OrganisationKind::NationalAuthority, date!(2025 - 02 - 05));
    let plan =
        decide_now(&report(AccidentKind::DeminingAccident), &ctx, &Settings::default()).expect("recorded");
    let opened = plan.inquiry.expect("an investigation");
    assert_eq!(opened.opened_on, date!(2025 - 02 - 05));
    assert!(
        plan.flags.iter().any(|f| f.starts_with("demining accident: an investigation is opened")),
        "{:?}",
        plan.flags
    );
    assert_eq!(plan.accident.as_ref().unwrap().victims[0].disability, Some(Disability::FromAccident));
    let plan = decide_now(&report(AccidentKind::Incident), &ctx, &Settings::default()).expect("recorded");
    assert!(plan.inquiry.is_none() && plan.flags.is_empty());
    // Another register's record, recorded as it was: nothing opened again.
    let mut plan =
        decide_now(&report(AccidentKind::DeminingAccident), &ctx, &Settings::default()).expect("recorded");
    plan.recorded_as_it_was();
    assert!(plan.inquiry.is_none());
}

/// A QC of released area 40 (OTHER_ORG's, the hazard's west half), with a sample.
fn qc_with_sample(result: QmResult, sample: Value, items_found: i64) -> (Report, Context) {
    let area = Uuid::from_u128(40);
    let mut r = inspection(result, if result == QmResult::Fail { vec![area] } else { vec![] });
    let i = r.inspection.as_mut().expect("inspection");
    if result == QmResult::Pass {
        i.inspected = vec![area];
    }
    i.sample = Some(sample);
    i.items_found = items_found;
    let mut ctx = Context::new(OrganisationKind::QmBody, date!(2024 - 12 - 31));
    ctx.named_hazard = Some(HAZARD);
    let released = PriorRelease {
        id: area,
        outcome: ReleaseOutcome::Cleared,
        geometry: rect(46.90, 39.90, 46.905, 39.91).0,
    };
    ctx.hazards = vec![facts(HazardStatus::WorkedOn, vec![released])];
    ctx.inspected = vec![Some(ReleasedArea::Standing {
        hazard_id: HAZARD,
        organisation_id: OTHER_ORG,
        released_on: date!(2024 - 01 - 15),
    })];
    (r, ctx)
}

#[test]
fn a_qc_sample_inside_the_ground_inspected_is_measured_as_a_share_of_it() {
    let (sample, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (r, ctx) = qc_with_sample(QmResult::Pass, json, 0);
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("passed");
    let i = plan.inspection.expect("recorded");
    assert_eq!(
        (i.kind, i.result, i.hazard_id),
        (InspectionKind::QualityControl, QmResult::Pass, Some(HAZARD))
    );
    assert_eq!((i.organisation_id, i.areas.clone()), (Some(OTHER_ORG), vec![(Uuid::from_u128(40), false)]));
    let whole = multipolygon_area(&rect(46.90, 39.90, 46.905, 39.91).0);
    assert!((i.sample_m2.unwrap() - multipolygon_area(&sample)).abs() < 1e-6);
    assert!((i.inspected_m2.unwrap() - whole).abs() < 1e-6);
    // A tenth of a degree band of a fiftieth: the sample is about 2 % of the ground.
    let share = i.share().unwrap();
    assert!(
        (share - multipolygon_area(&sample) / whole).abs() < 1e-12 && (0.019..0.021).contains(&share),
        "{share}"
    );
    assert!(plan.non_conformities.is_empty());
}

#[test]
fn a_qc_sample_may_stray_from_the_ground_by_the_tolerance_and_no_more() {
    // East of the released half, into ground still suspected.
    let (sample, json) = rect(46.9045, 39.901, 46.90505, 39.902);
    let strays = sample.0[0]
        .exterior()
        .0
        .iter()
        .map(|c| distance_to(Point(*c), &rect(46.90, 39.90, 46.905, 39.91).0))
        .fold(0.0, f64::max);
    assert!(strays > 1.0, "{strays}");
    let (r, ctx) = qc_with_sample(QmResult::Pass, json, 0);
    assert!(decide_now(&r, &ctx, &Settings { tolerance_m: strays, ..Settings::default() }).is_ok());
    let problems =
        decide_now(&r, &ctx, &Settings { tolerance_m: strays - 0.01, ..Settings::default() }).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("the inspection's sample lies up to"), "{problems:?}");
    assert!(problems[0].contains("outside the released areas inspected"), "{problems:?}");
}

#[test]
fn an_item_found_in_the_sample_fails_the_qc() {
    let (_, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (r, ctx) = qc_with_sample(QmResult::Pass, json.clone(), 1);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(
        problems,
        vec!["the inspection found 1 explosive item(s) and cannot pass [IMAS 09.20]: record it as FAIL"]
    );
    let (r, ctx) = qc_with_sample(QmResult::Fail, json, 1);
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("failed");
    let i = plan.inspection.expect("recorded");
    assert_eq!((i.items_found, i.areas), (1, vec![(Uuid::from_u128(40), true)]));
    assert_eq!(plan.reopen, vec![Uuid::from_u128(40)]);
    assert_eq!(plan.non_conformities.len(), 1);
    assert_eq!(plan.non_conformities[0].grade, NcrGrade::Major);
    // A negative count is refused.
    let (_, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (r, ctx) = qc_with_sample(QmResult::Fail, json, -1);
    assert!(decide_now(&r, &ctx, &Settings::default()).unwrap_err()[0].starts_with("the items found"));
}

#[test]
fn a_qc_sample_names_its_ground_once() {
    let (_, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (mut r, ctx) = qc_with_sample(QmResult::Pass, json, 0);
    r.inspection.as_mut().unwrap().inspected.clear();
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec!["a QC sample lies in released ground: name the released areas inspected"]
    );
    let area = Uuid::from_u128(40);
    r.inspection.as_mut().unwrap().inspected = vec![area, area];
    let mut ctx = ctx;
    ctx.inspected.push(ctx.inspected[0].clone());
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec![format!("released area {area} is named twice in the inspection")]
    );
}

/// A QA visit by the QM body to task T-1 (ORG's, on the hazard) in progress.
fn qa_visit(result: QmResult) -> (Report, Context) {
    let mut r = inspection(result, vec![]);
    r.hazard = None;
    r.task = Some("T-1".into());
    r.inspection.as_mut().unwrap().kind = InspectionKind::QualityAssurance;
    let mut ctx = Context::new(OrganisationKind::QmBody, date!(2024 - 12 - 31));
    ctx.organisation_id = OTHER_ORG;
    ctx.task = Some(task(date!(2024 - 04 - 01), None));
    ctx.hazards = vec![facts(HazardStatus::WorkedOn, vec![])];
    (r, ctx)
}

#[test]
fn a_failed_qa_visit_raises_a_minor_non_conformity_against_the_tasks_operator() {
    let (mut r, ctx) = qa_visit(QmResult::Fail);
    r.inspection.as_mut().unwrap().findings = Some("lane marking missing".into());
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("recorded");
    assert!(plan.reopen.is_empty());
    let n = &plan.non_conformities;
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].organisation_id, n[0].grade), (ORG, NcrGrade::Minor));
    assert_eq!(n[0].finding, "failed quality-assurance visit to task T-1: lane marking missing");
    // It re-opens nothing: the hazard, its figures and the task stay as they are.
    assert_eq!((plan.figures, plan.status, plan.new_version, plan.task_status), (None, None, false, None));
    let i = plan.inspection.expect("recorded");
    assert_eq!((i.task_id, i.organisation_id, i.inspected_m2), (Some(TASK), Some(ORG), None));
    let (r, ctx) = qa_visit(QmResult::Pass);
    assert!(decide_now(&r, &ctx, &Settings::default()).expect("passed").non_conformities.is_empty());
}

#[test]
fn a_qa_visit_is_to_a_task_and_samples_its_hazard() {
    let (mut r, ctx) = qa_visit(QmResult::Pass);
    r.task = None;
    r.hazard = Some("AZ-AG-000001".into());
    r.inspection.as_mut().unwrap().reopen = vec![Uuid::from_u128(40)];
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert!(problems.contains(&"a QA visit names the task whose work it visits".to_string()), "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with("a QA visit inspects work in progress")), "{problems:?}");
    // Its sample lies in the task's hazard.
    let (mut r, ctx) = qa_visit(QmResult::Pass);
    r.inspection.as_mut().unwrap().sample = Some(rect(46.905, 39.905, 46.906, 39.906).1);
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("inside");
    assert!(plan.inspection.unwrap().sample_m2.unwrap() > 0.0);
    r.inspection.as_mut().unwrap().sample = Some(rect(46.92, 39.905, 46.921, 39.906).1);
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert!(problems[0].contains("outside task T-1's hazard"), "{problems:?}");
}

#[test]
fn only_a_qm_body_or_the_authority_visits_anothers_task() {
    let (r, mut ctx) = qa_visit(QmResult::Pass);
    ctx.organisation_kind = OrganisationKind::Operator;
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec!["task T-1 was given to another operator; only its operator reports on it"]
    );
    ctx.organisation_kind = OrganisationKind::NationalAuthority;
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
    // An inspection rides on a QM report only.
    let (mut r, mut ctx) = clearance(date!(2024 - 04 - 01), date!(2024 - 04 - 30));
    ctx.organisation_kind = OrganisationKind::Operator;
    release(&mut r, rect(46.90, 39.90, 46.905, 39.91).1);
    r.inspection = inspection(QmResult::Pass, vec![]).inspection;
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert!(
        problems.contains(
            &"a CLEARANCE report cannot carry an inspection; inspections are QM_INSPECTION reports"
                .to_string()
        ),
        "{problems:?}"
    );
}

#[test]
fn a_qc_sample_across_a_gap_between_its_areas_is_refused() {
    // Two released strips 0.001° apart; the sample's corners lie in each, its middle over the gap.
    let (a, b) = (Uuid::from_u128(40), Uuid::from_u128(41));
    let (sample, json) = rect(46.9015, 39.901, 46.9035, 39.902);
    let (mut r, mut ctx) = qc_with_sample(QmResult::Pass, json, 0);
    r.inspection.as_mut().unwrap().inspected = vec![a, b];
    let strip = |id, x0, x1| PriorRelease {
        id,
        outcome: ReleaseOutcome::Cleared,
        geometry: rect(x0, 39.90, x1, 39.91).0,
    };
    ctx.hazards[0].released = vec![strip(a, 46.900, 46.902), strip(b, 46.903, 46.905)];
    ctx.inspected.push(ctx.inspected[0].clone());
    let problems = decide_now(&r, &ctx, &Settings::default()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("the inspection's sample covers")
            && problems[0].contains("outside the released areas inspected"),
        "{problems:?}"
    );
    // Half of it over the gap: about 4,700 m² of its 9,400.
    let gap = multipolygon_area(&rect(46.902, 39.901, 46.903, 39.902).0);
    assert!((gap / multipolygon_area(&sample) - 0.5).abs() < 1e-3);
    // Within the strips, it passes.
    r.inspection.as_mut().unwrap().sample = Some(rect(46.9005, 39.901, 46.9015, 39.902).1);
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
}

#[test]
fn an_inspection_follows_the_release_it_checks() {
    let (_, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (r, mut ctx) = qc_with_sample(QmResult::Pass, json, 0);
    let area = Uuid::from_u128(40);
    // Released on the inspection's day: fine; the day after: refused.
    ctx.inspected = vec![Some(ReleasedArea::Standing {
        hazard_id: HAZARD,
        organisation_id: OTHER_ORG,
        released_on: date!(2024 - 05 - 01),
    })];
    assert!(decide_now(&r, &ctx, &Settings::default()).is_ok());
    ctx.inspected = vec![Some(ReleasedArea::Standing {
        hazard_id: HAZARD,
        organisation_id: OTHER_ORG,
        released_on: date!(2024 - 05 - 02),
    })];
    assert_eq!(
        decide_now(&r, &ctx, &Settings::default()).unwrap_err(),
        vec![format!("released area {area} was released on 2024-05-02, after the inspection began (2024-05-01); an inspection follows the release it checks")]
    );
}

#[test]
fn a_qc_is_about_whoever_released_the_ground_even_on_a_task() {
    let (_, json) = rect(46.901, 39.901, 46.902, 39.902);
    let (mut r, mut ctx) = qc_with_sample(QmResult::Pass, json, 0);
    r.hazard = None;
    r.task = Some("T-1".into());
    ctx.named_hazard = None;
    ctx.task = Some(task(date!(2024 - 04 - 01), None));
    let plan = decide_now(&r, &ctx, &Settings::default()).expect("passed");
    assert_eq!(plan.inspection.unwrap().organisation_id, Some(OTHER_ORG));
    assert_eq!(plan.task_status, None, "a visit does not start the task");
}
