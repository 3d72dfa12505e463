//! The store on real SQLite files: transactions, constraints, reopening.

use geo::{polygon, MultiPolygon};
use safeground_core::codes::*;
use safeground_core::model::*;
use safeground_core::report::{self, Report};
use safeground_store::{ApprovalSettings, HazardFilter, Store, StoreError, SCHEMA_VERSION};
use uuid::Uuid;

mod common;

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

fn reference(store: &mut Store) {
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
}

fn now() -> time::OffsetDateTime {
    time::macros::datetime!(2024-06-01 12:00 UTC)
}

fn nts(code: &str, geometry: serde_json::Value) -> Report {
    report::parse(
        &serde_json::json!({
            "type": "NTS", "organisation": "NA", "start_date": "2022-02-20", "end_date": "2022-03-01",
            "new_hazard": {"name": "test", "kind": "CHA", "district": "Agdam", "contamination": ["AP"],
                           "code": code, "geometry": geometry}
        })
        .to_string(),
    )
    .unwrap()
}

fn square_json(x: f64, y: f64, d: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]})
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("r.gpkg")).unwrap();
    reference(&mut store);
    let good = nts("AZ-AM-000001", square_json(46.9, 39.9, 0.01));
    let mut bad = good.clone();
    bad.organisation = "NOBODY".into();
    let err = store
        .write(|w| {
            w.submit(&good, "tester", now())?;
            w.submit(&bad, "tester", now())
        })
        .unwrap_err();
    assert!(err.to_string().contains("organisation 'NOBODY' is not in the register"), "{err}");
    assert!(store.reports(None).unwrap().is_empty(), "the good report was rolled back too");
}

#[test]
fn an_invalid_polygon_is_refused_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("r.gpkg")).unwrap();
    reference(&mut store);
    let bowtie = serde_json::json!({"type": "Polygon", "coordinates": [[[46.9, 39.9], [46.91, 39.91], [46.91, 39.9], [46.9, 39.91], [46.9, 39.9]]]});
    let id = store.submit(&nts("AZ-AM-000002", bowtie), "tester", now()).unwrap();
    let err = store.approve(id, "officer", now(), &ApprovalSettings::default(), None).unwrap_err();
    assert!(matches!(err, StoreError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("the new hazard's polygon: polygon 1, the outline, point 1"), "{err}");
    assert!(err.to_string().contains("crosses itself"), "{err}");
    assert!(store.hazards(&HazardFilter::default()).unwrap().is_empty());
    assert_eq!(
        store.reports(Some(safeground_core::codes::ReportState::Submitted)).unwrap().len(),
        1,
        "a refused report stays submitted"
    );
}

#[test]
fn approval_records_the_hazard_with_its_first_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.gpkg");
    let mut store = Store::create(&path).unwrap();
    reference(&mut store);
    let id = store.submit(&nts("AZ-AM-000001", square_json(46.9, 39.9, 0.01)), "tester", now()).unwrap();
    store.approve(id, "officer", now(), &ApprovalSettings::default(), None).unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let row = &store.hazards(&HazardFilter::default()).unwrap()[0];
    assert_eq!(row.version, 1);
    let h = store.hazard_history("AZ-AM-000001").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].report_id, Some(id));
    assert_eq!(h[0].actor.as_deref(), Some("officer"));
    // Approving twice is refused, naming who did it first.
    let mut store = Store::open(&path).unwrap();
    let err = store.approve(id, "other", now(), &ApprovalSettings::default(), None).unwrap_err();
    assert!(
        err.to_string().contains("it is APPROVED, not SUBMITTED (by officer at 2024-06-01T12:00:00Z)"),
        "{err}"
    );
}

#[test]
fn a_hazard_without_a_code_gets_the_next_six_digit_serial_of_its_district() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("r.gpkg")).unwrap();
    reference(&mut store);
    let mut add = |code: Option<&str>, x: f64| {
        let mut r = nts(code.unwrap_or("-"), square_json(x, 39.9, 0.001));
        if code.is_none() {
            r.new_hazard.as_mut().unwrap().code = None;
        }
        let id = store.submit(&r, "tester", now()).unwrap();
        store.approve(id, "officer", now(), &ApprovalSettings::default(), None).unwrap();
    };
    // Codes typed by hand: the serial goes on from their number.
    add(Some("AZ-AM-12"), 46.90);
    add(Some("AZ-AM-X1"), 46.91);
    add(None, 46.92);
    add(None, 46.93);
    // A six-digit code given out of order: the next follows the highest.
    add(Some("AZ-AM-000200"), 46.94);
    add(Some("AZ-AM-000150"), 46.95);
    add(None, 46.96);
    // Codes are compared in any case: a lower-case one holds its serial.
    add(Some("az-am-000300"), 46.97);
    add(None, 46.98);
    let mut codes: Vec<String> =
        store.hazards(&HazardFilter::default()).unwrap().into_iter().map(|h| h.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "AZ-AM-000013",
            "AZ-AM-000014",
            "AZ-AM-000150",
            "AZ-AM-000200",
            "AZ-AM-000201",
            "AZ-AM-000301",
            "AZ-AM-12",
            "AZ-AM-X1",
            "az-am-000300"
        ]
    );
}

#[test]
fn a_schema_1_register_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.gpkg");
    {
        // A register as schema 1 left it, written with SQLite directly.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;").unwrap();
        c.execute_batch(include_str!("../migrations/0001_register.sql")).unwrap();
        c.execute_batch("INSERT INTO sg_meta VALUES ('schema_version', '1'), ('application', 'safeground');")
            .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    reference(&mut store);
    let id = store.submit(&nts("AZ-AM-000001", square_json(46.9, 39.9, 0.01)), "tester", now()).unwrap();
    store.approve(id, "officer", now(), &ApprovalSettings::default(), None).unwrap();
    assert_eq!(store.hazards(&HazardFilter::default()).unwrap().len(), 1);
}

/// A register from before the sealed history (schema 5) with approved
/// reports: the upgrade seals its events once every table the seal reads
/// exists (schema 10's residuals, 11's non-conformities), and the history verifies.
#[test]
fn a_schema_5_register_with_approved_reports_is_sealed_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.gpkg");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;").unwrap();
        for sql in [
            include_str!("../migrations/0001_register.sql"),
            include_str!("../migrations/0002_reports_history.sql"),
            include_str!("../migrations/0003_report_drafts.sql"),
        ] {
            c.execute_batch(sql).unwrap();
        }
        // 0004 and 0005 make R-tree triggers that call GeoPackage functions
        // plain SQLite lacks; nothing here writes a geometry.
        c.create_scalar_function(
            "ST_IsEmpty",
            1,
            rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
            |_| Ok(0),
        )
        .unwrap();
        for f in ["ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"] {
            c.create_scalar_function(f, 1, rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC, |_| {
                Ok(0.0)
            })
            .unwrap();
        }
        c.execute_batch(include_str!("../migrations/0004_spatial_index.sql")).unwrap();
        c.execute_batch(include_str!("../migrations/0005_country.sql")).unwrap();
        c.execute_batch(
            "INSERT INTO sg_meta VALUES ('schema_version', '5'), ('application', 'safeground');
             INSERT INTO organisations (id, name, acronym, kind, country)
               VALUES ('o1', 'Authority', 'NA', 'NATIONAL_AUTHORITY', 'AZ');
             INSERT INTO reports (id, type, state, organisation_id, start_date, end_date, submitted_at,
               submitted_by, decided_at, decided_by, body)
               VALUES ('r1', 'EORE_SESSION', 'APPROVED', 'o1', '2023-01-01', '2023-01-01',
                 '2023-01-02T10:00:00Z', 'clerk', '2023-01-03T10:00:00Z', 'officer', '{}');
             INSERT INTO events (id, at, actor, kind, report_id) VALUES
               ('e1', '2023-01-02T10:00:00Z', 'clerk', 'REPORT_SUBMITTED', 'r1'),
               ('e2', '2023-01-03T10:00:00Z', 'officer', 'REPORT_APPROVED', 'r1');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let audit = store.audit(None).unwrap();
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
    assert_eq!(audit.head.map(|h| h.seq), Some(2));
}

/// History brought in counts from its own day: the hazard's versions are
/// dated by the records, the report by the import; a change dated before the
/// hazard's latest version, or after the import, is refused before anything
/// of it is written; the same day as the latest version is taken.
#[test]
fn an_import_dated_in_the_past_counts_from_its_day_in_date_order() {
    use safeground_core::import::ImportItem;
    use safeground_store::{ImportBatches, ItemOutcome, Origin};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("r.gpkg")).unwrap();
    reference(&mut store);
    let day =
        |d: &str| time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    let hazard = Uuid::new_v4();
    let mut first = nts("AZ-AM-000001", square_json(46.9, 39.9, 0.02));
    first.new_hazard.as_mut().unwrap().id = Some(hazard);
    let resurvey = |end: &str, d: f64| {
        let mut r = Report::blank(report::ReportType::Nts, "NA", day("2022-01-01"), day(end));
        r.hazard = Some(hazard.to_string());
        r.hazard_geometry = Some(square_json(46.9, 39.9, d));
        ImportItem::Report(Box::new(r))
    };
    let attributes = Default::default();
    let take = |store: &mut Store, item: ImportItem, effective: &str| {
        store.write(|w| {
            let mut b = ImportBatches::new(
                ("f", "sha", "hazards"),
                10,
                ("importer", now()),
                ApprovalSettings::default(),
            );
            let features = ["feature 1".to_string()];
            let origin =
                Origin { features: &features, attributes: &attributes, effective: Some(day(effective)) };
            let outcome = w.import_item(&item, None, &mut b, origin)?;
            w.close_batches(&mut b)?;
            Ok(outcome)
        })
    };
    let created = take(&mut store, ImportItem::Report(Box::new(first)), "2022-03-01").unwrap();
    assert_eq!(created, ItemOutcome::Imported);
    assert_eq!(take(&mut store, resurvey("2023-05-01", 0.015), "2023-05-01").unwrap(), ItemOutcome::Imported);
    // Before the latest version: refused, naming both days.
    let err = take(&mut store, resurvey("2023-04-30", 0.012), "2023-04-30").unwrap_err();
    assert!(
        err.to_string()
            .contains("it took effect on 2023-04-30, before the hazard's latest version (of 2023-05-01)"),
        "{err}"
    );
    // After the import's own day (the report's own dates are checked too): refused.
    let err = take(&mut store, resurvey("2024-05-01", 0.012), "2024-06-02").unwrap_err();
    assert!(err.to_string().contains("it took effect on 2024-06-02, after today (2024-06-01)"), "{err}");
    // The latest version's own day is not before it.
    assert_eq!(take(&mut store, resurvey("2023-05-01", 0.012), "2023-05-01").unwrap(), ItemOutcome::Imported);
    // An EO find on the hazard makes no version: it may be dated before the latest.
    let find = report::parse(
        &serde_json::json!({
            "type": "EO_FIND", "organisation": "NA", "hazard": hazard.to_string(),
            "start_date": "2023-01-15", "end_date": "2023-01-15",
            "eo_finds": [{"category": "AP", "type": "PMN-2", "disposal": "DESTROYED_IN_SITU", "location": [46.905, 39.905]}]
        })
        .to_string(),
    )
    .unwrap();
    assert_eq!(
        take(&mut store, ImportItem::Report(Box::new(find)), "2023-01-15").unwrap(),
        ItemOutcome::Imported
    );
    let versions = store.hazard_history("AZ-AM-000001").unwrap();
    let from: Vec<&str> = versions.iter().map(|v| v.valid_from.as_str()).collect();
    assert_eq!(
        from,
        ["2022-03-01T00:00:00Z", "2023-05-01T00:00:00Z", "2023-05-01T00:00:00Z"],
        "{versions:?}"
    );
    // The reports were made by the import, on its own day.
    let reports = store.reports(None).unwrap();
    assert!(reports.iter().all(|r| r.decided_at.as_deref() == Some("2024-06-01T12:00:00Z")), "{reports:?}");
}

/// Unapproving history brought in takes it out of every date: a migrated
/// hazard dated 2022 and unapproved in 2024 was never in the register, not
/// even as of 2023; the sealed history stays whole.
#[test]
fn an_unapproved_import_dated_in_the_past_held_at_no_date() {
    use safeground_core::import::ImportItem;
    use safeground_store::{ImportBatches, Origin};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("r.gpkg")).unwrap();
    reference(&mut store);
    let day = time::macros::date!(2022 - 03 - 01);
    let features = ["feature 1".to_string()];
    let attributes = Default::default();
    let item = ImportItem::Report(Box::new(nts("AZ-AM-000001", square_json(46.9, 39.9, 0.02))));
    store
        .write(|w| {
            let mut b = ImportBatches::new(
                ("f", "sha", "hazards"),
                10,
                ("importer", now()),
                ApprovalSettings::default(),
            );
            let origin = Origin { features: &features, attributes: &attributes, effective: Some(day) };
            w.import_item(&item, None, &mut b, origin)?;
            w.close_batches(&mut b)
        })
        .unwrap();
    let as_of_2023 =
        |s: &Store| s.summary_at(&safeground_store::end_of_day(time::macros::date!(2023 - 01 - 01))).unwrap();
    assert_eq!(as_of_2023(&store).totals.hazards.total, 1, "dated 2022, it counts in 2023");
    let report = store.reports(None).unwrap()[0].id;
    store.unapprove(report, "migrated from the wrong database", "officer", now()).unwrap();
    assert_eq!(as_of_2023(&store).totals.hazards.total, 0, "unapproved, it never counted");
    assert_eq!(store.summary().unwrap().totals.hazards.total, 0);
    assert!(store.audit(None).unwrap().is_intact());
}

/// New hazards asked about ahead, a chunk at a time, are decided as when
/// each asks alone: a UUID in the register is there already; a code in the
/// register, or added after the question (in another case), is taken —
/// also when, on PostgreSQL, the hazards waiting for their COPY are written
/// between the question and the feature (a report naming a hazard writes
/// them); a code that is not plain ASCII is asked alone, of the database
/// (each folds such letters its own way, also against hazards waiting for
/// their COPY); a feature not asked about is looked up alone.
fn new_hazards_asked_ahead_are_decided_as_when_asked_alone(path: &std::path::Path) {
    use safeground_core::import::ImportItem;
    use safeground_store::{ImportBatches, Origin};
    let mut store = Store::create(path).unwrap();
    reference(&mut store);
    let in_register = Uuid::new_v4();
    let mut first = nts("AZ-AM-000001", square_json(46.9, 39.9, 0.01));
    first.new_hazard.as_mut().unwrap().id = Some(in_register);
    let (features, attributes) = (["feature 1".to_string()], Default::default());
    let origin = Origin { features: &features, attributes: &attributes, effective: None };
    let batches = || ImportBatches::new(("f", "sha", "hazards"), 10, ("importer", now()), Default::default());
    store
        .write(|w| {
            let mut b = batches();
            w.import_item(&ImportItem::Report(Box::new(first)), None, &mut b, origin)?;
            w.close_batches(&mut b)
        })
        .unwrap();
    // Run `n` (1: alone, 2: asked ahead) with codes and ground of its own.
    let run = |store: &mut Store, n: usize| {
        let y = 39.9 + 0.1 * n as f64;
        let item = |id: Option<Uuid>, code: String, x: f64| {
            let mut r = nts(&code, square_json(x, y, 0.01));
            r.new_hazard.as_mut().unwrap().id = id;
            ImportItem::Report(Box::new(r))
        };
        let mut resurvey = Report::blank(report::ReportType::Nts, "NA", now().date(), now().date());
        resurvey.hazard = Some(in_register.to_string());
        resurvey.hazard_geometry = Some(square_json(46.9, 39.9, 0.01 - 0.001 * n as f64));
        // Taken before the question: on PostgreSQL it waits for its COPY.
        let before = item(None, format!("AZ-AM-{n}00004"), 46.75);
        let items = [
            item(Some(in_register), format!("AZ-AM-{n}00009"), 46.92),
            item(None, "az-am-000001".into(), 46.94),
            item(None, format!("AZ-AM-{n}00002"), 46.96),
            item(None, format!("az-am-{n}00002"), 46.98),
            ImportItem::Report(Box::new(resurvey)),
            item(None, format!("az-am-{n}00004"), 46.77),
            item(None, format!("АЗ-{n}"), 47.0),
            item(None, format!("аз-{n}"), 47.02),
            item(None, format!("ＡＺ-AM-{n}00005"), 47.04),
            item(None, format!("AZ-AM-{n}00005"), 47.06),
            item(None, format!("AZ-AM-{n}00003"), 46.7),
        ];
        store
            .write(|w| {
                let mut b = batches();
                w.import_item(&before, None, &mut b, origin)?;
                if n == 2 {
                    // The last is not asked about.
                    w.ask_ahead(items[..10].iter().filter_map(|i| match i {
                        ImportItem::Report(r) => r.new_hazard.as_ref().map(|h| (h.id, h.code.clone())),
                        _ => None,
                    }))?;
                }
                let said: Vec<String> = items
                    .iter()
                    .map(|i| match w.import_item(i, None, &mut b, origin) {
                        Ok(outcome) => format!("{outcome:?}"),
                        Err(e) if e.to_string().contains("is taken") => "taken".to_string(),
                        Err(e) => e.to_string(),
                    })
                    .collect();
                w.close_batches(&mut b)?;
                Ok(said)
            })
            .unwrap()
    };
    let alone = run(&mut store, 1);
    assert_eq!(alone[..6], ["Present", "taken", "Imported", "taken", "Imported", "taken"], "{alone:?}");
    // Cyrillic and full-width letters: SQLite's NOCASE folds neither,
    // PostgreSQL's collation both (also with the first still waiting).
    let folded = if path.to_string_lossy().starts_with("postgres") { "taken" } else { "Imported" };
    assert_eq!(alone[6..], ["Imported", folded, "Imported", folded, "Imported"], "{alone:?}");
    assert_eq!(run(&mut store, 2), alone);
    // Every code once, in any case (as far as each database folds case).
    let codes = store.hazards(&HazardFilter::default()).unwrap().into_iter().map(|h| h.code.to_lowercase());
    let mut seen = std::collections::HashSet::new();
    for c in codes.filter(|c| c.is_ascii()) {
        assert!(seen.insert(c.clone()), "{c} twice");
    }
}

#[test]
fn new_hazards_asked_ahead_are_decided_as_when_asked_alone_on_a_geopackage() {
    common::on_a_geopackage(new_hazards_asked_ahead_are_decided_as_when_asked_alone);
}

#[test]
fn new_hazards_asked_ahead_are_decided_as_when_asked_alone_on_postgis() {
    common::on_postgis("asked_ahead_as_alone", new_hazards_asked_ahead_are_decided_as_when_asked_alone);
}
