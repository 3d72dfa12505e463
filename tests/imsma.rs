//! `import-imsma ng`: a restored IMSMA NG database (built here on the test
//! PostgreSQL from tests/fixtures/imsma_ng: NG's structure as GICHD's geocheck
//! reads it, and a programme with every geocheck defect) migrates into a
//! register: the good hazards with their geodesic areas (checked against
//! GeographicLib's Planimeter), every defect refused or repaired and named
//! with its local id, the reconciliation workbook (read by openpyxl), and a
//! second run that changes nothing.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const MAPPING: &str = "tests/fixtures/imsma_ng/mapping.toml";

/// The fixture NG database on the test server, or `None` when skipped.
fn ng_database(test: &str) -> Option<(PgDatabase, String)> {
    let db = PgDatabase::create(test)?;
    let url = db.url.to_str().unwrap().to_string();
    for file in ["schema.sql", "programme.sql"] {
        let out = Command::new("psql")
            .arg(&url)
            .args(["-qX", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(repo_file(&format!("tests/fixtures/imsma_ng/{file}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some((db, url))
}

fn migrate(db: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mapping = repo_file(MAPPING);
    let mut args =
        vec!["import-imsma", "ng", url, "--mapping", mapping.to_str().unwrap(), "--organisation", "ANAMA"];
    args.extend_from_slice(extra);
    safeground(db, &args)
}

fn text(out: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// The migrated hazards' codes.
fn migrated(db: &Path) -> Vec<String> {
    let list: serde_json::Value = serde_json::from_str(&ok(db, &["hazards", "list", "--json"])).unwrap();
    let mut codes: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["code"].as_str().filter(|c| c.starts_with("HA-")).map(str::to_string))
        .collect();
    codes.sort();
    codes
}

fn recorded_area(db: &Path, code: &str) -> f64 {
    let h: serde_json::Value = serde_json::from_str(&ok(db, &["hazards", "show", code, "--json"])).unwrap();
    h["area_m2"]["recorded"].as_f64().unwrap()
}

#[test]
fn an_ng_programme_migrates_with_its_defects_found_and_a_second_run_changes_nothing() {
    let test = "an_ng_programme_migrates_with_its_defects_found_and_a_second_run_changes_nothing";
    let Some((_ng, url)) = ng_database(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let rejects = dir.path().join("ng.rejects.geojson");
    let rejects_arg = ["--reject", rejects.to_str().unwrap()];

    // All or nothing by default: eight hazards and two reductions are refused, so none migrates.
    let out = migrate(&db, &url, &rejects_arg);
    let (stdout, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        stdout.contains("table hazard: read 12; migrated 4, 0 already in the register, 8 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table hazreduc: read 6; migrated 4, 0 already in the register, 2 refused"),
        "{stdout}{err}"
    );
    assert!(
        stdout.contains("table accident: read 3; migrated 2, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table mre: read 2; migrated 1, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table victim: read 5; migrated 3, 0 already in the register, 2 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table task: read 1; migrated 1, 0 already in the register, 0 refused"),
        "{stdout}"
    );
    assert!(err.contains("14 records were refused, so nothing was migrated"), "{err}");
    assert!(
        err.contains(
            "victim VI-0004 (guid {V-4}): its accident AC-0003 (guid {A-03}) was refused: no active point"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "victim VI-0005 (guid {V-5}): it names accident {a-99}, which is not among the accidents migrated"
        ),
        "{err}"
    );
    assert!(err.contains("accident AC-0003 (guid {A-03}): no active point or polygon"), "{err}");
    assert!(
        err.contains("mre MRE-0002 (guid {M-02}): the position lies in none of the register's districts"),
        "{err}"
    );
    assert!(migrated(&db).is_empty());

    // Every refusal names the hazard's local id and guid, the shape and NG's point number.
    for (who, why) in [
        ("HA-0001 (guid {H-12})", "hazard code HA-0001 is taken"),
        ("HA-0004 (guid {H-04})", "shape 1: has 2 distinct points; a polygon needs at least 3"),
        (
            "HA-0005 (guid {H-05})",
            "shape 1, point 2: the outline crosses itself here, where it meets the edge from point 4",
        ),
        (
            "HA-0006 (guid {H-06})",
            "field 'contamination' from column 'haztype_guid': 'Sea mines' is not among the mapping's values",
        ),
        ("HA-0008 (guid {H-08})", "shape 2: this part overlaps part 1 of the same hazard"),
        ("HA-0009 (guid {H-09})", "no active polygon"),
        ("HA-0010 (guid {H-10})", "the polygon lies in none of the register's districts"),
        ("HA-0011 (guid {H-11})", "shape 1, point 3: the outline goes out and comes straight back"),
    ] {
        assert!(err.contains(&format!("hazard {who}: {why}")), "{who}: {why}\n{err}");
    }
    assert!(
        err.contains(
            "hazreduc HR-0005 (guid {R-05}): field 'outcome' from column 'reductype_guid': 'Handed over'"
        ),
        "{err}"
    );
    assert!(err.contains("hazreduc HR-0004 (guid {R-04}): hazard '"), "{err}");
    let reject: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rejects).unwrap()).unwrap();
    let features = reject["features"].as_array().unwrap();
    assert_eq!(features.len(), 8);
    assert!(features
        .iter()
        .all(|f| f["properties"]["sg_reject"].is_string() && f["properties"]["imsma_guid"].is_string()));

    // A dry run says what would happen, writes the workbook, and changes nothing.
    let before = ok(&db, &["summary", "--json"]);
    let book = dir.path().join("reconciliation.xlsx");
    let dry = [
        "--dry-run",
        "--keep-going",
        "--reconciliation",
        book.to_str().unwrap(),
        "--reject",
        rejects.to_str().unwrap(),
    ];
    let out = migrate(&db, &url, &dry);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("dry run, nothing changed") && stdout.contains("read 12; would migrate 4"),
        "{stdout}"
    );
    assert_eq!(ok(&db, &["summary", "--json"]), before);
    if require("pypi:openpyxl", "openpyxl (pip)", test) {
        let script = r#"
import openpyxl, sys
wb = openpyxl.load_workbook(sys.argv[1])
rows = list(wb["hazard"].iter_rows(values_only=True))
head = rows[0]
by = {(r[0], r[1]): dict(zip(head, r)) for r in rows[1:]}
assert len(by) == 12, len(by)
h3 = by[("HA-0003", "{H-03}")]
assert h3["outcome"] == "would migrate", h3
assert "point 6: repeats point 1" in h3["repairs"] and "point 3: the same position as point 2" in h3["repairs"], h3
assert "recorded_on: 2021-06-01" in h3["mapping"], h3
h1 = by[("HA-0001", "{H-01}")]
assert h1["typed_area_m2"] == 41000 and abs(h1["difference_m2"] - (h1["geodesic_area_m2"] - 41000)) < 1e-6, h1
assert by[("HA-0010", "{H-10}")]["outcome"] == "refused"
assert "history" in by[("HA-0002", "{H-02}")]["findings"]
totals = list(wb["totals"].iter_rows(values_only=True))
assert totals[1] == ("hazard", 12, 4, 0, 1, 8), totals
assert totals[2] == ("hazard versions", 1, 1, 0, 0, 0), totals
assert totals[3] == ("hazreduc", 6, 4, 0, 0, 2), totals
assert totals[4] == ("task", 1, 1, 0, 0, 0), totals
assert totals[5] == ("victim", 5, 3, 0, 0, 2), totals
assert totals[6] == ("accident", 3, 2, 0, 0, 1), totals
assert totals[7] == ("mre", 2, 1, 0, 0, 1), totals
assert "history: 2 replayed" in h1["mapping"] and "left out version {V-01-3}" in h1["mapping"], h1
v = list(wb["hazard versions"].iter_rows(values_only=True))[1]
assert v[0] == "HA-0001" and v[2] == "would migrate" and "dated 2021-09-10" in v[10], v
accidents = {r[0]: r for r in list(wb["accident"].iter_rows(values_only=True))[1:]}
assert "the centre of its polygon" in accidents["AC-0002"][8], accidents
assert "occurred_on: 2022-06-02, its polygons' data entry date" in accidents["AC-0002"][10], accidents
assert "victims: 3 persons, from victim VI-0001 (guid {V-1}), victim VI-0002" in accidents["AC-0001"][10], accidents
reductions = {r[0]: r for r in list(wb["hazreduc"].iter_rows(values_only=True))[1:]}
assert reductions["HR-0002"][2] == "would migrate", reductions
assert "NG hazard {H-01}" in reductions["HR-0002"][10], reductions
assert "devices: 2 EO finds (3 items)" in reductions["HR-0002"][10], reductions
print(h1["geodesic_area_m2"])
"#;
        let out = Command::new("python3").args(["-c", script]).arg(&book).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    // --keep-going migrates the four good hazards.
    let out = migrate(&db, &url, &["--keep-going", "--reject", rejects.to_str().unwrap()]);
    let (stdout, err) = text(&out);
    assert!(
        stdout.contains("table hazard: read 12; migrated 4, 0 already in the register, 8 refused"),
        "{stdout}{err}"
    );
    assert!(
        stdout.contains("table hazreduc: read 6; migrated 4, 0 already in the register, 2 refused"),
        "{stdout}"
    );
    assert!(stdout.contains("2 repairs made, 3 warnings"), "{stdout}");
    // The legs walked from HA-0001's benchmark agree with the positions (a
    // shared magnetic declination is no error) but for the one typed wrong.
    assert!(
        err.contains(
            "hazard HA-0001 (guid {H-01}), shape 1, point 3: the field gave it 584.8 m from shape BM, point 1, \
             its position is 534.8 m away"
        ),
        "{err}"
    );
    assert!(!err.contains("the field gave it a bearing"), "{err}");
    assert_eq!(migrated(&db), ["HA-0001", "HA-0002", "HA-0003", "HA-0007"]);
    // HA-0001's history: it goes in as its first reconciled info version
    // stood (2020-06-01), is re-surveyed to today's polygon on 2021-09-10,
    // between its cancellation (2021-09-01) and its clearance (2021-09-15);
    // the version still in NG's workbench is left out, said so.
    assert!(
        stdout.contains("table hazard versions: read 1; migrated 1, 0 already in the register, 0 refused"),
        "{stdout}"
    );
    assert!(
        err.contains(
            "hazard HA-0001 (guid {H-01}), version {V-01-3} (field report FR-0003): its workbench status is \
             'Draft', not one of Reconciled"
        ),
        "{err}"
    );
    assert_history_replayed(&db, test);
    // A reduction dated before its hazard was recorded counts from that day.
    assert!(
        err.contains(
            "hazreduc HR-0006 (guid {R-06}): dated 2021-03-01, before its hazard's version of 2021-04-10; it \
             counts from that day"
        ),
        "{err}"
    );
    // Each migration report names its table and the SHA-256 of what was read
    // (computed as the objects stream, written in when the table is done).
    let reports: serde_json::Value = serde_json::from_str(&ok(&db, &["report", "list", "--json"])).unwrap();
    let mut digests = std::collections::BTreeMap::new();
    for r in reports.as_array().unwrap() {
        let shown: serde_json::Value =
            serde_json::from_str(&ok(&db, &["report", "show", r["id"].as_str().unwrap(), "--json"])).unwrap();
        let import = &shown["body"]["import"];
        if let Some(file) = import["file"].as_str().filter(|f| f.starts_with("IMSMA NG")) {
            let sha = import["sha256"].as_str().unwrap().to_string();
            assert!(sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{file}: {sha}");
            assert_eq!(digests.entry(file.to_string()).or_insert_with(|| sha.clone()), &sha, "{file}");
        }
    }
    assert_eq!(digests.len(), 5, "{digests:?}");
    let digest_of = |table: &str| digests.iter().find(|(f, _)| f.ends_with(table)).map(|(_, d)| d.clone());
    assert_eq!(digest_of("table hazard versions"), digest_of("table hazard"), "read together");
    // Accidents and risk education sessions, at their places, victims and people reached counted.
    let accidents = ok(&db, &["export", "--layer", "accidents", "--format", "geojson", "-"]);
    let accidents: serde_json::Value = serde_json::from_str(&accidents).unwrap();
    let ours: Vec<&serde_json::Value> = accidents["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["properties"]["occurred_on"] == "2022-05-14" || f["properties"]["occurred_on"] == "2022-06-02"
        })
        .collect();
    assert_eq!(ours.len(), 2, "{accidents}");
    let a1 = ours.iter().find(|f| f["properties"]["occurred_on"] == "2022-05-14").unwrap();
    assert_eq!(a1["geometry"]["coordinates"], serde_json::json!([46.9066, 39.966]));
    let p = &a1["properties"];
    assert_eq!((p["killed"].as_i64(), p["injured"].as_i64()), (Some(1), Some(2)), "{p}");
    assert_eq!((p["kind"].as_str(), p["device_category"].as_str()), (Some("INCIDENT"), Some("AT")), "{p}");
    assert_eq!(p["activity_at_time"], "FARMING");
    assert_victims_are_persons(&db, a1["properties"]["id"].as_str().unwrap());
    let a2 = ours.iter().find(|f| f["properties"]["occurred_on"] == "2022-06-02").unwrap();
    assert_eq!(a2["geometry"]["coordinates"], serde_json::json!([46.961, 39.951]), "the centre of its area");
    let sessions = ok(&db, &["export", "--layer", "eore_sessions", "--format", "csv", "-"]);
    assert!(
        sessions
            .lines()
            .any(|l| l.contains("2022-03-10") && l.contains("SCHOOL") && l.contains(",12,14,0,0,")),
        "{sessions}"
    );
    // Columns the mapping does not name stay with the hazard, coded values decoded.
    let h1: serde_json::Value =
        serde_json::from_str(&ok(&db, &["hazards", "show", "HA-0001", "--json"])).unwrap();
    assert_eq!(
        h1["source_attributes"],
        serde_json::json!({
            "cdf:Date of survey": "2021-02-20 00:00:00",
            "cdf:Households affected": "14",
            "cdf:Mine types": "PMN-2, TM-62",
            "status_guid": "Open",
            "village": "Qiyasli",
        }),
        "{h1}"
    );
    let shown = ok(&db, &["hazards", "show", "HA-0001"]);
    assert!(
        shown.contains(
            "from its source (kept by the migration)\n    cdf:Date of survey: 2021-02-20 00:00:00\n"
        ),
        "{shown}"
    );
    let h2: serde_json::Value =
        serde_json::from_str(&ok(&db, &["hazards", "show", "HA-0002", "--json"])).unwrap();
    assert_eq!(h2["district"], "Ağdam");
    assert_eq!(h2["kind"], "CHA");
    assert_eq!(h2["contamination"], "AT");
    assert_eq!(h2["recorded_on"], "2021-04-10");
    assert_eq!(h2["geometry"]["type"], "MultiPolygon");
    assert_eq!(h2["geometry"]["coordinates"].as_array().unwrap().len(), 2, "the inactive polygon is history");

    // The areas are GeographicLib's, of the rings as NG ordered them (repaired).
    if require("Planimeter", "geographiclib-tools", test) {
        type Rings = Vec<Vec<(f64, f64)>>;
        let cases: [(&str, Rings); 3] = [
            (
                "HA-0001",
                vec![vec![(46.9050, 39.9650), (46.9080, 39.9652), (46.9083, 39.9675), (46.9052, 39.9678)]],
            ),
            (
                "HA-0002",
                vec![
                    vec![(46.9200, 39.9700), (46.9230, 39.9700), (46.9230, 39.9720), (46.9200, 39.9720)],
                    vec![(46.9260, 39.9700), (46.9290, 39.9705), (46.9285, 39.9725)],
                ],
            ),
            (
                "HA-0003",
                vec![vec![(46.9400, 39.9600), (46.9430, 39.9600), (46.9430, 39.9630), (46.9400, 39.9630)]],
            ),
        ];
        for (code, rings) in cases {
            let expected: f64 = rings.iter().map(|r| planimeter(r)).sum();
            let ours = recorded_area(&db, code);
            assert!((ours - expected).abs() < 0.01, "{code}: ours {ours} m², Planimeter {expected} m²");
        }
    }

    // Hazard reductions are released areas of their hazards: the authority's
    // directly, the operator's under a migration task.
    let tasks = ok(&db, &["export", "--layer", "tasks", "--format", "csv", "-"]);
    assert!(tasks.lines().any(|l| l.contains(",MIG-HR-0002,HA-0001,KDA,CLEARANCE,")), "{tasks}");
    // The devices NG recorded on HR-0002 are the EO finds of its release,
    // inside the released ground, on its date.
    let finds = ok(&db, &["export", "--layer", "eo_finds", "--format", "geojson", "-"]);
    let finds: serde_json::Value = serde_json::from_str(&finds).unwrap();
    let ours: Vec<&serde_json::Value> = finds["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["hazard"] == "HA-0001" && f["properties"]["found_on"] == "2021-09-15")
        .collect();
    let mut items: Vec<(String, i64, String)> = ours
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["eo_type"].as_str().unwrap().into(),
                p["quantity"].as_i64().unwrap(),
                p["category"].as_str().unwrap().into(),
            )
        })
        .collect();
    items.sort();
    assert_eq!(items, [("PMN-2".into(), 2, "AP".into()), ("TM-62".into(), 1, "AT".into())], "{finds}");
    for f in &ours {
        let at = f["geometry"]["coordinates"].as_array().unwrap();
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        assert!(
            (46.9065..=46.9083).contains(&x) && (39.9651..=39.96765).contains(&y),
            "inside HR-0002: {x} {y}"
        );
    }
    // NG's own task, as it was given.
    assert!(
        tasks.lines().any(|l| l.contains(",TK-0001,HA-0003,KDA,CLEARANCE,MEDIUM,ISSUED,2021-06-05,")),
        "{tasks}"
    );
    let h1: serde_json::Value =
        serde_json::from_str(&ok(&db, &["hazards", "show", "HA-0001", "--json"])).unwrap();
    let released = h1["released"].as_array().unwrap();
    assert_eq!(released.len(), 2);
    if require("Planimeter", "geographiclib-tools", test) {
        let west =
            planimeter(&[(46.9050, 39.9650), (46.9065, 39.9651), (46.9067, 39.96765), (46.9052, 39.9678)]);
        let east =
            planimeter(&[(46.9065, 39.9651), (46.9080, 39.9652), (46.9083, 39.9675), (46.9067, 39.96765)]);
        for (org, outcome, expected) in [("ANAMA", "CANCELLED", west), ("KDA", "CLEARED", east)] {
            let r = released.iter().find(|r| r["organisation"] == org).expect(org);
            assert_eq!(r["outcome"], outcome);
            let ours = r["area_m2"].as_f64().unwrap();
            assert!((ours - expected).abs() < 0.01, "{org}: ours {ours} m², Planimeter {expected} m²");
        }
        // The hazard's figures clip the released ground to it (to the square metre here).
        let figure = |k: &str| h1["area_m2"][k].as_f64().unwrap();
        assert!((figure("cancelled") - west).abs() < 1.0 && (figure("cleared") - east).abs() < 1.0, "{h1}");
    }

    // Run again: every hazard is already there, nothing changes.
    let before = ok(&db, &["summary", "--json"]);
    let out = migrate(&db, &url, &["--keep-going", "--reject", rejects.to_str().unwrap()]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("migrated 0, 4 already in the register, 8 refused"), "{stdout}");
    assert!(stdout.contains("read 6; migrated 0, 4 already in the register, 2 refused"), "{stdout}");
    assert!(
        stdout.contains("table accident: read 3; migrated 0, 2 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table victim: read 5; migrated 0, 3 already in the register, 2 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table task: read 1; migrated 0, 1 already in the register, 0 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table mre: read 2; migrated 0, 1 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("table hazard versions: read 1; migrated 0, 1 already in the register, 0 refused"),
        "nothing replayed twice: {stdout}"
    );
    assert_eq!(ok(&db, &["summary", "--json"]), before);
    let history: serde_json::Value =
        serde_json::from_str(&ok(&db, &["history", "hazard", "HA-0001", "--json"])).unwrap();
    assert_eq!(history.as_array().map(Vec::len), Some(4), "{history}");
    ok(&db, &["audit", "verify"]);
}

/// AC-0001's victims are the three persons of NG's victim table (read back
/// from the GeoPackage by Python's sqlite3), the name behind the identity table.
fn assert_victims_are_persons(db: &Path, accident: &str) {
    let script = r#"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT v.outcome, v.sex, v.age, v.occupation, i.full_name FROM victims v "
                 "LEFT JOIN victim_identities i ON i.victim_id = v.id WHERE v.accident_id = ? "
                 "ORDER BY v.outcome DESC, v.sex", (sys.argv[2],)).fetchall()
assert rows == [("KILLED", "MALE", 34, "farmer", "Elvin Quliyev"),
                ("INJURED", "FEMALE", 12, "pupil", None),
                ("INJURED", "UNKNOWN", None, None, None)], rows
"#;
    let out = Command::new("python3").args(["-c", script]).arg(db).arg(accident).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// HA-0001's figures as the register held them at the end of `day`, if it
/// held it.
fn hazard_as_of(db: &Path, day: &str) -> Option<serde_json::Value> {
    let layer = ok(db, &["export", "--layer", "hazards", "--format", "geojson", "--as-of", day, "-"]);
    let layer: serde_json::Value = serde_json::from_str(&layer).unwrap();
    let features = layer["features"].as_array().unwrap();
    features.iter().find(|f| f["properties"]["code"] == "HA-0001").map(|f| f["properties"].clone())
}

/// The register before the migration answers as NG's history did: areas
/// recomputed by GeographicLib's Planimeter from the fixture's points.
fn assert_history_replayed(db: &Path, test: &str) {
    assert!(hazard_as_of(db, "2020-05-31").is_none(), "not yet recorded");
    if !require("Planimeter", "geographiclib-tools", test) {
        return;
    }
    let first = planimeter(&[(46.9040, 39.9640), (46.9095, 39.9640), (46.9095, 39.9690), (46.9040, 39.9690)]);
    let now = planimeter(&[(46.9050, 39.9650), (46.9080, 39.9652), (46.9083, 39.9675), (46.9052, 39.9678)]);
    let west = planimeter(&[(46.9050, 39.9650), (46.9065, 39.9651), (46.9067, 39.96765), (46.9052, 39.9678)]);
    let east = planimeter(&[(46.9065, 39.9651), (46.9080, 39.9652), (46.9083, 39.9675), (46.9067, 39.96765)]);
    // (day, recorded, cancelled, cleared)
    for (day, recorded, cancelled, cleared) in [
        ("2020-06-01", first, 0.0, 0.0),
        ("2021-09-05", first, west, 0.0),
        ("2021-09-12", now, west, 0.0),
        ("2021-09-20", now, west, east),
    ] {
        let p = hazard_as_of(db, day).unwrap_or_else(|| panic!("HA-0001 as of {day}"));
        let figure = |k: &str| p[k].as_f64().unwrap_or_else(|| panic!("{k} as of {day}: {p}"));
        for (k, expected) in
            [("area_recorded_m2", recorded), ("area_cancelled_m2", cancelled), ("area_cleared_m2", cleared)]
        {
            assert!(
                (figure(k) - expected).abs() < 1.0,
                "{k} as of {day}: ours {}, expected {expected}",
                figure(k)
            );
        }
    }
}

#[test]
fn the_mapping_template_lists_the_columns_and_an_unmapped_contamination_stops_first() {
    let test = "the_mapping_template_lists_the_columns_and_an_unmapped_contamination_stops_first";
    let Some((_ng, url)) = ng_database(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let template = dir.path().join("mapping.toml");
    let out = ok(&db, &["import-imsma", "ng", &url, "--write-mapping-template", template.to_str().unwrap()]);
    assert!(out.contains("fill it in"), "{out}");
    let t = std::fs::read_to_string(&template).unwrap();
    for line in [
        "#   hazard_name: character varying",
        "#   area_typed: double precision",
        "[hazard]",
        "[hazreduc]",
        "#   reductype_guid: character varying",
        "#   cdf:Mine types: custom defined field, MULTI_SELECT",
    ] {
        assert!(t.contains(line), "{line} in\n{t}");
    }
    // The shipped mapping names no contamination: refused before anything is read.
    let before = ok(&db, &["summary", "--json"]);
    let err = fails(&db, &["import-imsma", "ng", &url, "--organisation", "ANAMA"]);
    assert!(err.contains("contamination") && err.contains("--write-mapping-template"), "{err}");
    let err = fails(&db, &["import-imsma", "ng", "not-a-url", "--organisation", "ANAMA"]);
    assert!(err.contains("is not a PostgreSQL URL"), "{err}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[hazard]\ncontaminaton = \"haztype_guid\"\n").unwrap();
    let err = fails(
        &db,
        &["import-imsma", "ng", &url, "--mapping", bad.to_str().unwrap(), "--organisation", "ANAMA"],
    );
    assert!(err.contains("bad.toml: [hazard] has no field 'contaminaton'"), "{err}");
    assert_eq!(ok(&db, &["summary", "--json"]), before);
}
