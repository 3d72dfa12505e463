//! The store on real SQLite files: transactions, constraints, reopening.

use geo::{polygon, MultiPolygon, Point};
use safeground_core::codes::*;
use safeground_core::model::*;
use safeground_store::{HazardFilter, Store, StoreError, SCHEMA_VERSION};
use time::macros::date;
use uuid::Uuid;

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

struct Refs {
    district: Uuid,
    org: Uuid,
}

fn reference(store: &mut Store) -> Refs {
    let region = Region { id: Uuid::new_v4(), name: "Yukhari Garabakh".into() };
    let district = District {
        id: Uuid::new_v4(),
        region_id: region.id,
        name: "Ağdam".into(),
        alt_name: Some("Agdam".into()),
        hasc: Some("AZ.AM".into()),
        boundary: square(46.5, 39.8, 0.6),
    };
    let org = Organisation {
        id: Uuid::new_v4(),
        name: "Authority".into(),
        acronym: "NA".into(),
        kind: OrganisationKind::NationalAuthority,
        country: "AZ".into(),
    };
    store
        .write(|w| {
            w.insert_region(&region)?;
            w.insert_district(&district)?;
            w.insert_organisation(&org)
        })
        .unwrap();
    Refs { district: district.id, org: org.id }
}

fn hazard(r: &Refs, code: &str, geometry: MultiPolygon<f64>) -> Hazard {
    Hazard {
        id: Uuid::new_v4(),
        code: code.into(),
        name: "test".into(),
        kind: HazardKind::Cha,
        status: HazardStatus::Open,
        district_id: r.district,
        contamination: vec![EoCategory::Ap],
        land_use: vec![LandUse::Agriculture],
        evidence: vec![],
        geometry,
        reference_point: None,
        reference_description: None,
        benchmark: Some(Point::new(46.9, 39.9)),
        recorded_on: date!(2022 - 03 - 01),
        recorded_by: r.org,
        beneficiaries: None,
    }
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("r.gpkg")).unwrap();
    let r = reference(&mut store);
    let good = hazard(&r, "AZ-AM-000001", square(46.9, 39.9, 0.01));
    // A bow-tie: self-intersecting, refused.
    let bad = hazard(
        &r,
        "AZ-AM-000002",
        MultiPolygon(vec![
            polygon![(x: 46.9, y: 39.9), (x: 46.91, y: 39.91), (x: 46.91, y: 39.9), (x: 46.9, y: 39.91), (x: 46.9, y: 39.9)],
        ]),
    );
    let err = store
        .write(|w| {
            w.insert_hazard(&good)?;
            w.insert_hazard(&bad)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(err.to_string().starts_with("hazard AZ-AM-000002: the polygon is not valid"), "{err}");
    assert!(
        store.hazards(&HazardFilter::default()).unwrap().is_empty(),
        "the good hazard was rolled back too"
    );
}

#[test]
fn foreign_keys_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("r.gpkg")).unwrap();
    let r = reference(&mut store);
    let orphan =
        hazard(&Refs { district: Uuid::new_v4(), org: r.org }, "AZ-XX-000001", square(46.9, 39.9, 0.01));
    let err = store.write(|w| w.insert_hazard(&orphan)).unwrap_err();
    assert!(err.to_string().starts_with("hazard AZ-XX-000001: district "), "{err}");
    assert!(err.to_string().ends_with("is not in the register"), "{err}");
}

#[test]
fn releases_update_the_figures_from_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.gpkg");
    let mut store = Store::create(&path).unwrap();
    let r = reference(&mut store);
    let h = hazard(&r, "AZ-AM-000001", square(46.9, 39.9, 0.01));
    // Cleared: the triangle below the diagonal, sharing the hazard's vertices.
    let cleared = MultiPolygon(vec![
        polygon![(x: 46.9, y: 39.9), (x: 46.91, y: 39.9), (x: 46.91, y: 39.91), (x: 46.9, y: 39.9)],
    ]);
    let activity = Activity {
        id: Uuid::new_v4(),
        kind: ActivityKind::Clearance,
        method: Some(ClearanceMethod::Manual),
        hazard_id: Some(h.id),
        task_id: None,
        organisation_id: r.org,
        team_id: None,
        start_date: date!(2023 - 04 - 01),
        end_date: date!(2023 - 05 - 01),
        depth_cm: Some(20),
        hours_worked: Some(300.0),
        released: vec![ReleasedArea {
            id: Uuid::new_v4(),
            outcome: ReleaseOutcome::Cleared,
            released_on: date!(2023 - 05 - 01),
            geometry: cleared.clone(),
        }],
    };
    store
        .write(|w| {
            w.insert_hazard(&h)?;
            w.insert_activity(&activity)
        })
        .unwrap();
    drop(store);
    // Reopen: nothing to migrate, figures persisted.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let row = &store.hazards(&HazardFilter::default()).unwrap()[0];
    let whole = safeground_core::area::multipolygon_area(&h.geometry);
    let part = safeground_core::area::multipolygon_area(&cleared);
    assert!((row.area_m2.recorded - whole).abs() < 1e-6);
    assert!((row.area_m2.cleared - part).abs() < 1e-3 * 1e-3 * whole, "{} vs {part}", row.area_m2.cleared);
    assert!((row.area_m2.remaining - (whole - part)).abs() < 1e-7 * whole);
    assert_eq!(row.version, 2, "the release bumped the hazard's version");
    let detail = store.hazard("az-am-000001").unwrap();
    assert_eq!(detail.released.len(), 1);
    assert_eq!(detail.released[0].outcome, "CLEARED");
}

#[test]
fn an_activity_that_ends_before_it_starts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("r.gpkg")).unwrap();
    let r = reference(&mut store);
    let a = Activity {
        id: Uuid::new_v4(),
        kind: ActivityKind::Nts,
        method: None,
        hazard_id: None,
        task_id: None,
        organisation_id: r.org,
        team_id: None,
        start_date: date!(2023 - 05 - 01),
        end_date: date!(2023 - 04 - 01),
        depth_cm: None,
        hours_worked: None,
        released: vec![],
    };
    let err = store.write(|w| w.insert_activity(&a)).unwrap_err();
    assert!(err.to_string().contains("ends (2023-04-01) before it starts (2023-05-01)"), "{err}");
}
