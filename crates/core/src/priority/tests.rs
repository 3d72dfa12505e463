//! Every criterion and filter at its boundary, and the scenario's problems.

use super::*;
use geo::polygon;
use proptest::prelude::*;
use time::macros::date;

/// A square of about 430 m by 555 m with its south-west corner at (x, 40.0).
fn square(x: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: 40.0), (x: x + 0.005, y: 40.0), (x: x + 0.005, y: 40.005), (x: x, y: 40.005)],
    ])
}

fn hazard(code: &str, x: f64) -> Candidate {
    Candidate {
        id: Uuid::nil(),
        code: code.into(),
        name: format!("{code} field"),
        district: "Füzuli".into(),
        kind: HazardKind::Cha,
        status: HazardStatus::Open,
        contamination: vec![EoCategory::Ap],
        land_use: vec![],
        remaining_m2: 100_000.0,
        evidence: None,
        geometry: square(x),
    }
}

fn scenario(toml: &str) -> Scenario {
    parse_scenario(&format!("name = \"test\"\n{toml}")).unwrap()
}

fn village(x: f64, population: i64) -> Populated {
    Populated { name: format!("v{x}"), location: Point::new(x, 40.0025), population }
}

const TODAY: Date = date!(2026 - 06 - 30);

fn codes(r: &[Ranked]) -> Vec<&str> {
    r.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn population_counts_settlements_within_the_distance_only() {
    let s = scenario("[criteria.population]\nweight = 1\nwithin_m = 1000\n");
    // East edge of the square at 47.005; 1,000 m east at 40.0025° N is ~0.01174°.
    let inside = village(47.005 + 0.0117, 500);
    let outside = village(47.005 + 0.0118, 9_000);
    let r = rank(&s, &[hazard("A", 47.0)], &[inside.clone(), outside], &[], None, TODAY);
    assert_eq!(r[0].contributions[0].value, 500.0);
    assert_eq!(r[0].settlements, vec![inside.name]);
    assert_eq!((r[0].contributions[0].share, r[0].score), (1.0, 100.0));
}

#[test]
fn shares_of_quantities_are_against_the_highest_ranked() {
    let s = scenario("[criteria.population]\nweight = 1\nwithin_m = 1000\n");
    let r = rank(
        &s,
        &[hazard("A", 47.0), hazard("B", 47.1)],
        &[village(47.0025, 300), village(47.1025, 1200)],
        &[],
        None,
        TODAY,
    );
    assert_eq!(codes(&r), vec!["B", "A"]);
    assert_eq!((r[0].score, r[1].score), (100.0, 25.0));
    // Nobody near anything: every share is 0, not a division by zero.
    let r = rank(&s, &[hazard("A", 47.0)], &[], &[], None, TODAY);
    assert_eq!(r[0].score, 0.0);
}

#[test]
fn casualties_count_within_the_years_up_to_the_day() {
    let s = scenario("[criteria.casualties]\nweight = 1\nwithin_m = 500\nyears = 2\n");
    let at = Point::new(47.0025, 40.0025);
    let k = |on, people| Casualty { location: at, on, people };
    let cases = [
        (date!(2024 - 06 - 30), 0.0), // exactly two years before: out
        (date!(2024 - 07 - 01), 3.0), // the day after: in
        (date!(2026 - 06 - 30), 3.0), // the day itself: in
        (date!(2026 - 07 - 01), 0.0), // after the ranking's day: out
    ];
    for (on, expected) in cases {
        let r = rank(&s, &[hazard("A", 47.0)], &[], &[k(on, 3)], None, TODAY);
        assert_eq!(r[0].contributions[0].value, expected, "{on}");
    }
}

#[test]
fn on_29_february_the_window_starts_on_28_february() {
    let s = scenario("[criteria.casualties]\nweight = 1\nwithin_m = 500\nyears = 5\n");
    let at = Point::new(47.0025, 40.0025);
    let leap = date!(2028 - 02 - 29);
    let people = |on| {
        rank(&s, &[hazard("A", 47.0)], &[], &[Casualty { location: at, on, people: 2 }], None, leap)[0]
            .contributions[0]
            .value
    };
    assert_eq!(people(date!(2023 - 02 - 28)), 0.0, "five years before: out");
    assert_eq!(people(date!(2023 - 03 - 01)), 2.0);
    assert_eq!(people(date!(2010 - 01 - 01)), 0.0, "not the whole of history");
}

#[test]
fn land_use_takes_the_highest_value_and_unlisted_uses_count_nothing() {
    let s = scenario("[criteria.land_use]\nweight = 2\nvalues = { AGRICULTURE = 0.5, HOUSING = 0.9 }\n");
    let mut a = hazard("A", 47.0);
    a.land_use = vec![LandUse::Agriculture, LandUse::Housing];
    let mut b = hazard("B", 47.1);
    b.land_use = vec![LandUse::Forest];
    let r = rank(&s, &[a, b], &[], &[], None, TODAY);
    assert_eq!(codes(&r), vec!["A", "B"]);
    assert!((r[0].score - 90.0).abs() < 1e-12 && r[1].score == 0.0);
}

#[test]
fn access_is_blocked_by_a_road_or_between_two_settlements() {
    let s = scenario("[criteria.access]\nweight = 1\nwithin_m = 1000\n");
    let mut road = hazard("ROAD", 47.0);
    road.land_use = vec![LandUse::Road];
    let between = hazard("BETWEEN", 47.1);
    let beside_one = hazard("ONE", 47.2);
    let places = [village(47.0925, 100), village(47.1125, 100), village(47.2125, 100)];
    let r = rank(&s, &[road, between, beside_one], &places, &[], None, TODAY);
    let score = |c: &str| r.iter().find(|r| r.code == c).unwrap().score;
    assert_eq!((score("ROAD"), score("BETWEEN"), score("ONE")), (100.0, 100.0, 0.0));
}

#[test]
fn evidence_values_default_and_can_be_set() {
    let s = scenario("[criteria.evidence]\nweight = 1\n");
    let mut a = hazard("A", 47.0);
    a.evidence = Some(Confidence::Medium);
    let r = rank(&s, &[a.clone(), hazard("B", 47.1)], &[], &[], None, TODAY);
    assert_eq!((r[0].score, r[1].score), (60.0, 0.0));
    let s = scenario("[criteria.evidence]\nweight = 1\nvalues = { MEDIUM = 0.2 }\n");
    assert!((rank(&s, &[a], &[], &[], None, TODAY)[0].score - 20.0).abs() < 1e-12);
}

#[test]
fn cost_favours_the_cheaper_and_estimates_team_days() {
    let s = scenario(
        "[criteria.cost]\nweight = 1\nmethod = \"MANUAL\"\nm2_per_team_day = 250\nteam_day_cost = 400\ncurrency = \"USD\"\n",
    );
    let mut big = hazard("BIG", 47.0);
    big.remaining_m2 = 200_000.0;
    let mut small = hazard("SMALL", 47.1);
    small.remaining_m2 = 50_000.0;
    let r = rank(&s, &[big, small], &[], &[], None, TODAY);
    assert_eq!(codes(&r), vec!["SMALL", "BIG"]);
    assert_eq!((r[0].team_days, r[0].cost), (Some(200.0), Some(80_000.0)));
    assert_eq!((r[0].score, r[1].score), (75.0, 0.0));
}

#[test]
fn filters_keep_what_the_scenario_names() {
    let mut closed = hazard("CLOSED", 47.0);
    closed.status = HazardStatus::Closed;
    let mut sha = hazard("SHA", 47.1);
    sha.kind = HazardKind::Sha;
    let mut elsewhere = hazard("AGDAM", 47.2);
    elsewhere.district = "Ağdam".into();
    let mut uxo = hazard("UXO", 47.3);
    uxo.contamination = vec![EoCategory::Uxo];
    let all = [closed, sha, elsewhere, uxo, hazard("KEPT", 47.4)];
    let base = "[criteria.evidence]\nweight = 1\n";
    let r = rank(&scenario(base), &all, &[], &[], None, TODAY);
    assert_eq!(r.len(), 4, "CLOSED is not still dangerous");
    let r = rank(&scenario(&format!("{base}[filter]\nkinds = [\"CHA\"]\n")), &all, &[], &[], None, TODAY);
    assert!(!codes(&r).contains(&"SHA"));
    let r = rank(
        &scenario(&format!("{base}[filter]\ndistricts = [\"FÜZULI\", \"füzuli\"]\n")),
        &all,
        &[],
        &[],
        None,
        TODAY,
    );
    assert!(!codes(&r).contains(&"AGDAM") && r.len() == 3, "{:?}", codes(&r));
    let r =
        rank(&scenario(&format!("{base}[filter]\ncontamination = [\"AP\"]\n")), &all, &[], &[], None, TODAY);
    assert!(!codes(&r).contains(&"UXO"));
}

#[test]
fn away_from_a_line_drops_hazards_within_the_distance() {
    let s = scenario(
        "[criteria.evidence]\nweight = 1\n[filter]\naway_from = { line = \"front.geojson\", km = 2 }\n",
    );
    let line = read_lines(r#"{"type":"LineString","coordinates":[[47.0,39.9],[47.0,40.1]]}"#).unwrap();
    // West edges 1.7 km and 2.6 km east of the line at 40° N (1° ≈ 85.4 km).
    let r = rank(&s, &[hazard("NEAR", 47.02), hazard("FAR", 47.03)], &[], &[], Some(&line), TODAY);
    assert_eq!(codes(&r), vec!["FAR"]);
}

#[test]
fn ties_go_to_more_ground_then_to_the_code() {
    let s = scenario("[criteria.evidence]\nweight = 1\n");
    let mut big = hazard("Z", 47.0);
    big.remaining_m2 = 1e6;
    let r = rank(&s, &[hazard("B", 47.1), hazard("A", 47.2), big], &[], &[], None, TODAY);
    assert_eq!(codes(&r), vec!["Z", "A", "B"]);
    assert_eq!(r.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 3]);
}

#[test]
fn a_scenario_names_every_problem_by_field() {
    let e = parse_scenario("name = \"\"\n[criteria.casualties]\nweight = 0\nwithin_m = 0\nyears = 0\n")
        .unwrap_err();
    let text = e.to_string();
    for field in ["name:", "criteria:", "criteria.casualties.within_m", "criteria.casualties.years"] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let e = parse_scenario("name = \"x\"\n[criteria.land_use]\nweight = 1\nvalues = { FIELDS = 1 }\n")
        .unwrap_err();
    assert!(e.to_string().contains("line 4") && e.to_string().contains("FIELDS"), "{e}");
    let e = parse_scenario("name = \"x\"\n[criteria.population]\nweight = 1\nwithin = 5\n").unwrap_err();
    assert!(e.to_string().contains("within"), "{e}");
    let e = parse_scenario("name = \"x\"\n[criteria.land_use]\nweight = 1\nvalues = { ROAD = 1.5 }\n")
        .unwrap_err();
    assert!(e.to_string().contains("criteria.land_use.values.ROAD: 1.5"), "{e}");
}

#[test]
fn lines_are_read_from_any_geojson_that_holds_them() {
    let fc = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
        "geometry":{"type":"MultiLineString","coordinates":[[[47,40],[47.1,40]],[[47,41],[47,41.5]]]}}]}"#;
    assert_eq!(read_lines(fc).unwrap().len(), 2);
    assert!(read_lines(r#"{"type":"Point","coordinates":[47,40]}"#).unwrap_err().contains("no LineString"));
    assert!(read_lines(r#"{"type":"LineString","coordinates":[[47,40]]}"#)
        .unwrap_err()
        .contains("two positions"));
    assert!(read_lines(r#"{"type":"LineString","coordinates":[[470,40],[47,41]]}"#)
        .unwrap_err()
        .contains("470"));
    assert!(read_lines("not json").is_err());
}

#[test]
fn compare_lists_every_hazard_by_its_best_rank() {
    let s = scenario("[criteria.evidence]\nweight = 1\n");
    let mut a = hazard("A", 47.0);
    a.evidence = Some(Confidence::High);
    let b = hazard("B", 47.1);
    let first = rank(&s, &[a.clone(), b.clone()], &[], &[], None, TODAY);
    let t = scenario("[criteria.evidence]\nweight = 1\n[filter]\nkinds = [\"SHA\"]\n");
    let second = rank(&t, &[a, b], &[], &[], None, TODAY);
    let rows = compare(&first, &second);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec!["A", "B"]);
    assert!(rows.iter().all(|r| r.2.is_none()));
}

proptest! {
    #[test]
    fn contributions_add_up_to_a_score_between_0_and_100(
        weights in proptest::collection::vec(0.0f64..10.0, 4),
        pops in proptest::collection::vec(0i64..5_000, 5),
        areas in proptest::collection::vec(1.0f64..1e7, 5),
    ) {
        prop_assume!(weights.iter().sum::<f64>() > 0.0);
        let s = scenario(&format!(
            "[criteria.population]\nweight = {}\nwithin_m = 2000\n[criteria.evidence]\nweight = {}\n\
             [criteria.access]\nweight = {}\nwithin_m = 500\n[criteria.cost]\nweight = {}\nmethod = \"MECHANICAL\"\n\
             m2_per_team_day = 1500\nteam_day_cost = 900\ncurrency = \"EUR\"\n",
            weights[0], weights[1], weights[2], weights[3]
        ));
        let hazards: Vec<Candidate> = areas.iter().enumerate().map(|(i, a)| {
            let mut h = hazard(&format!("H{i}"), 47.0 + i as f64 * 0.01);
            h.remaining_m2 = *a;
            h.evidence = [None, Some(Confidence::Low), Some(Confidence::High)][i % 3];
            h
        }).collect();
        let places: Vec<Populated> = pops.iter().enumerate().map(|(i, p)| village(47.0 + i as f64 * 0.013, *p)).collect();
        for r in rank(&s, &hazards, &places, &[], None, TODAY) {
            let sum: f64 = r.contributions.iter().map(|c| c.points).sum();
            prop_assert_eq!(sum, r.score);
            prop_assert!((0.0..=100.0 + 1e-9).contains(&r.score), "{}", r.score);
        }
    }
}
