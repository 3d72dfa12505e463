//! Residual contamination: an EO find or an accident inside released ground,
//! after its release, is recorded and flagged at approval, with a
//! residual-risk record and an investigation task; `residual list` and the
//! API list it; the history seals it; unapproving the report withdraws both.
//! Where "inside" is decided by GDAL/GEOS reading the GeoPackage, not by us.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

/// An EO find report by KDA at (lon, lat) on `day`.
fn find_report(dir: &Path, name: &str, lon: f64, lat: f64, day: &str) -> String {
    let r = json!({
        "type": "EO_FIND", "organisation": "KDA", "start_date": day, "end_date": day,
        "eo_finds": [{"category": "AP", "type": "PMN-2", "quantity": 1, "condition": "ARMED",
            "disposal": "DESTROYED_IN_SITU", "location": [lon, lat]}]
    });
    let path = dir.join(name);
    std::fs::write(&path, r.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

/// A demo register at scale 30 in `dir`, and the points GDAL picked in it:
/// `inside` released ground (with the area's id and day of release) and
/// `outside` any.
fn demo_and_picked(dir: &Path) -> (PathBuf, Value) {
    let db = dir.join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let picked: Value =
        serde_json::from_str(&oracle("residual_points.py", &[Path::new("pick"), &db])).unwrap();
    assert!(picked["inside"].is_object() && picked["outside"].is_object(), "{picked}");
    (db, picked)
}

fn residuals(db: &Path, open: bool) -> Vec<Value> {
    let mut args = vec!["residual", "list", "--json"];
    if open {
        args.push("--open");
    }
    serde_json::from_str::<Value>(&ok(db, &args)).unwrap().as_array().unwrap().clone()
}

#[test]
fn a_find_in_released_ground_is_flagged_investigated_and_sealed() {
    let test = "a_find_in_released_ground_is_flagged_investigated_and_sealed";
    if !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, picked) = demo_and_picked(dir.path());
    let before = residuals(&db, false).len();
    let (inside, outside) = (&picked["inside"], &picked["outside"]);
    let (lon, lat) = (inside["lon"].as_f64().unwrap(), inside["lat"].as_f64().unwrap());
    let released_on = inside["released_on"].as_str().unwrap();

    // Found the day the ground was released: the same work, not residual.
    let same_day = find_report(dir.path(), "same-day.json", lon, lat, released_on);
    let id = ok(&db, &["report", "submit", &same_day]).trim().to_string();
    let out = safeground(&db, &["report", "approve", &id]);
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("residual"));
    // Found later, outside any released ground: an ordinary find.
    let (olon, olat) = (outside["lon"].as_f64().unwrap(), outside["lat"].as_f64().unwrap());
    let elsewhere = find_report(dir.path(), "elsewhere.json", olon, olat, &today());
    let id = ok(&db, &["report", "submit", &elsewhere]).trim().to_string();
    ok(&db, &["report", "approve", &id]);
    assert_eq!(residuals(&db, false).len(), before);

    // Found after the release, inside: approved, and flagged.
    let later = find_report(dir.path(), "later.json", lon, lat, &today());
    let report = ok(&db, &["report", "submit", &later]).trim().to_string();
    let out = safeground(&db, &["report", "approve", &report]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: residual contamination: EO find 1"), "{stderr}");
    assert!(stderr.contains(&format!("released on {released_on}")), "{stderr}");
    let listed = residuals(&db, true);
    assert_eq!(listed.len(), before + 1);
    let r = listed.iter().find(|r| r["report"] == report.as_str()).expect("listed");
    assert_eq!(r["released_area"], inside["id"]);
    assert_eq!((r["kind"].as_str(), r["found_on"].as_str()), (Some("EO_FIND"), Some(today().as_str())));
    assert_eq!(r["released_on"], inside["released_on"]);
    // The demo's quality-management body investigates, within 14 days.
    assert_eq!((r["task_organisation"].as_str(), r["task_status"].as_str()), (Some("NQMU"), Some("ISSUED")));
    let task = r["task"].as_str().unwrap().to_string();
    assert!(task.starts_with(&format!("INV-{}-", r["hazard"].as_str().unwrap())), "{task}");
    assert!(stderr.contains(&task), "{stderr}");
    let due = time::Date::parse(
        r["task_due_on"].as_str().unwrap(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .unwrap();
    assert_eq!(due, time::OffsetDateTime::now_utc().date() + time::Duration::days(14));

    // What GDAL reads back: the point strictly inside the released area it
    // names, found after that area's release.
    let checked: Value =
        serde_json::from_str(&oracle("residual_points.py", &[Path::new("check"), &db])).unwrap();
    let mine = checked.as_array().unwrap().iter().find(|c| c["id"] == r["id"]).expect("in the layer");
    assert_eq!(mine["strictly_inside"], true, "{mine}");
    assert!(mine["released_on"].as_str().unwrap() < mine["found_on"].as_str().unwrap(), "{mine}");

    // The history seals the record and the task.
    assert!(ok(&db, &["audit", "verify"]).contains("The history is intact."));

    // The report that released the ground waits for the find's report.
    let releaser = query(
        &db,
        &format!("SELECT report_id FROM released_areas WHERE id = '{}'", inside["id"].as_str().unwrap()),
    );
    let releaser = releaser[0][0].as_str().unwrap().to_string();
    let err = fails(&db, &["report", "unapprove", &releaser, "--reason", "re-surveyed"]);
    assert!(
        err.contains(&format!("report {report} found residual contamination in ground this report released")),
        "{err}"
    );
    // Unapproved: the record is withdrawn and its investigation cancelled.
    ok(&db, &["report", "unapprove", &report, "--reason", "the find's position was typed wrongly"]);
    assert_eq!(residuals(&db, false).len(), before);
    let tasks = dir.path().join("tasks.geojson");
    ok(&db, &["export", "--layer", "tasks", "--format", "geojson", "--force", tasks.to_str().unwrap()]);
    let tasks: Value = serde_json::from_str(&std::fs::read_to_string(&tasks).unwrap()).unwrap();
    let t = tasks["features"].as_array().unwrap().iter().find(|t| t["properties"]["code"] == task.as_str());
    assert_eq!(t.expect("the task is kept")["properties"]["status"], "CANCELLED");
    ok(&db, &["audit", "verify"]);
}

#[test]
fn an_accident_in_released_ground_is_residual_and_on_the_map() {
    let test = "an_accident_in_released_ground_is_residual_and_on_the_map";
    if !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, picked) = demo_and_picked(dir.path());
    let (lon, lat) = (picked["inside"]["lon"].as_f64().unwrap(), picked["inside"]["lat"].as_f64().unwrap());
    let accident = json!({
        "type": "ACCIDENT", "organisation": "ANAMA", "start_date": today(), "end_date": today(),
        "accident": {"kind": "INCIDENT", "location": [lon, lat], "device_category": "AP",
            "activity_at_time": "FARMING", "cause": "ploughing released land",
            "victims": [{"outcome": "INJURED", "sex": "MALE", "age": 51}]}
    });
    let path = dir.path().join("accident.json");
    std::fs::write(&path, accident.to_string()).unwrap();
    let id = ok(&db, &["report", "submit", path.to_str().unwrap()]).trim().to_string();
    let out = safeground(&db, &["report", "approve", &id]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("residual contamination: the accident"));
    let listed = residuals(&db, true);
    let r = listed.iter().find(|r| r["report"] == id.as_str()).expect("listed");
    assert_eq!(r["kind"], "ACCIDENT");
    assert!(r["what"].as_str().unwrap().contains("injured 1"), "{r}");

    // The map's tile at zoom 14 over the point holds it.
    let (x, y) = tile_at(lon, lat, 14);
    let list = dir.path().join("tiles.txt");
    std::fs::write(&list, format!("14 {x} {y}\n")).unwrap();
    let tiles = dir.path().join("tiles");
    ok(
        &db,
        &[
            "tiles",
            "--layer",
            "residuals",
            "--list",
            list.to_str().unwrap(),
            "--out",
            tiles.to_str().unwrap(),
        ],
    );
    let mvt = std::fs::read(tiles.join(format!("14/{x}/{y}.mvt"))).unwrap();
    assert!(mvt.windows(8).any(|w| w == b"ACCIDENT"), "the tile names the accident");
    let info = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", db.to_str().unwrap(), "residuals"])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    assert!(info.contains("Geometry: Point") && info.contains("Feature Count: "), "{info}");
}

/// A report of several finds: the register looks for released ground under
/// each, and flags each find inside, naming the one area, and not the find
/// outside.
#[test]
fn each_find_of_a_report_in_released_ground_is_flagged() {
    let test = "each_find_of_a_report_in_released_ground_is_flagged";
    if !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, picked) = demo_and_picked(dir.path());
    let before = residuals(&db, false).len();
    let (inside, outside) = (&picked["inside"], &picked["outside"]);
    let at = |p: &Value| json!([p["lon"].as_f64().unwrap(), p["lat"].as_f64().unwrap()]);
    let find = |location: Value| {
        json!({"category": "AP", "type": "PMN-2", "quantity": 1, "condition": "ARMED",
               "disposal": "DESTROYED_IN_SITU", "location": location})
    };
    let r = json!({
        "type": "EO_FIND", "organisation": "KDA", "start_date": today(), "end_date": today(),
        "eo_finds": [find(at(outside)), find(at(inside)), find(at(inside))]
    });
    let path = dir.path().join("three.json");
    std::fs::write(&path, r.to_string()).unwrap();
    let report = ok(&db, &["report", "submit", path.to_str().unwrap()]).trim().to_string();
    let out = safeground(&db, &["report", "approve", &report]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("residual contamination: EO find 1"), "{stderr}");
    assert!(stderr.contains("residual contamination: EO find 2"), "{stderr}");
    assert!(stderr.contains("residual contamination: EO find 3"), "{stderr}");
    let listed = residuals(&db, true);
    let mine: Vec<&Value> = listed.iter().filter(|r| r["report"] == report.as_str()).collect();
    assert_eq!((mine.len(), listed.len()), (2, before + 2), "{listed:?}");
    assert!(mine.iter().all(|r| r["released_area"] == inside["id"]), "{mine:?}");
    ok(&db, &["audit", "verify"]);
}
