//! Field geometry on the command line: coords, traverse, check, overlaps, near.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn lines_json(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn coords_converts_and_reports_json_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.gpkg");
    let out =
        ok(&db, &["coords", "38SPK4990502590", "39°45'36.2\"N 46°45'00\"E", "38S 649905 4402591", "--json"]);
    let v = lines_json(&out);
    assert_eq!(v.len(), 3);
    for o in &v {
        for k in ["input", "lat", "lon", "utm", "mgrs", "warnings"] {
            assert!(o.get(k).is_some(), "{k} missing in {o}");
        }
    }
    // MGRS at the input's precision; 5 digit pairs for other notations.
    assert_eq!(v[0]["mgrs"], "38SPK4990502590");
    assert_eq!(v[1]["mgrs"].as_str().unwrap().len(), "38SPK4990502590".len());
    // GeoConvert: echo "38SPK4990502590" | GeoConvert -d -p 3  →  39.76005 46.75000 (rounded)
    assert!((v[0]["lat"].as_f64().unwrap() - 39.760054).abs() < 1e-6);
    assert!((v[0]["lon"].as_f64().unwrap() - 46.750002).abs() < 1e-6);
    let dms = ok(&db, &["coords", "38SPK4990502590", "--to", "dms"]);
    assert_eq!(dms.trim(), "39°45'36.2\"N 46°45'00.0\"E");
}

#[test]
fn coords_flags_mistakes_against_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let v = lines_json(&ok(&db, &["coords", "46.75, 39.76", "41.0, 44.0", "--json"]));
    let w0 = v[0]["warnings"].as_array().unwrap();
    assert!(w0.iter().any(|w| w.as_str().unwrap().contains("swapped")), "{w0:?}");
    let w1 = v[1]["warnings"].as_array().unwrap();
    assert!(w1.iter().any(|w| w.as_str().unwrap().contains("outside")), "{w1:?}");
    // A bad position fails the command, names the input, and says what was expected.
    let err = fails(&db, &["coords", "39.76 46.75", "39°75'N 46°45'E"]);
    assert!(err.contains("39°75'N") && err.contains("60"), "{err}");
}

#[test]
fn traverse_builds_the_polygon_and_reports_closure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.gpkg");
    let csv = repo_file("tests/fixtures/traverse_closed.csv");
    let out = ok(&db, &["traverse", csv.to_str().unwrap(), "--declination", "6.5"]);
    let f: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(f["type"], "Feature");
    let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 5, "four turning points, closed");
    assert_eq!(ring[0], ring[4]);
    let p = &f["properties"];
    assert!((p["closure_m"].as_f64().unwrap() - 0.5).abs() < 0.01, "{p}");
    assert!(p["within_tolerance"].as_bool().unwrap());
    assert!(p["adjusted"].as_bool().unwrap());
    // 120 m × 100 m, less what the compass rule moved: within 0.5%.
    assert!((p["area_m2"].as_f64().unwrap() - 12_000.0).abs() < 60.0, "{p}");

    let bad = repo_file("tests/fixtures/traverse_misclosed.csv");
    let err = fails(&db, &["traverse", bad.to_str().unwrap()]);
    assert!(err.contains("does not close") && err.contains("90.0") && err.contains("--force"), "{err}");
    let forced: Value =
        serde_json::from_str(&ok(&db, &["traverse", bad.to_str().unwrap(), "--force"])).unwrap();
    assert!(!forced["properties"]["within_tolerance"].as_bool().unwrap());
}

#[test]
fn check_reports_every_rule_and_fails_on_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let file = repo_file("tests/fixtures/polygons.geojson");
    let out = safeground(&db, &["check", file.to_str().unwrap(), "--json"]);
    assert!(!out.status.success(), "invalid features make check fail");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_label: BTreeMap<String, &Value> = report["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["label"].as_str().unwrap().to_string(), f))
        .collect();
    let messages = |label: &str| -> String {
        by_label[label]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["message"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert_eq!(by_label["valid-square"]["valid"], true);
    assert_eq!(by_label["valid-with-hole"]["valid"], true);
    for (label, expect) in [
        ("not-closed", "does not close"),
        ("two-points", "at least 3"),
        ("repeated-point", "twice in a row"),
        ("bow-tie", "crosses itself"),
        ("spike", "spike"),
        ("hole-outside", "not inside the outline"),
        ("parts-overlap", "overlaps part 1"),
        ("out-of-range", "longitude must be within ±180"),
        ("swapped", "look swapped"),
    ] {
        assert_eq!(by_label[label]["valid"], false, "{label}");
        assert!(messages(label).contains(expect), "{label}: {}", messages(label));
    }
    assert_eq!(by_label["long-edges"]["valid"], true, "long edges are a warning");
    assert!(messages("long-edges").contains("more than 5000 m"));
    // Safe repairs exist for some and not for others.
    assert_eq!(by_label["not-closed"]["safe_repair"], true);
    assert_eq!(by_label["swapped"]["safe_repair"], true);
    assert_eq!(by_label["bow-tie"]["safe_repair"], false);
    assert_eq!(report["invalid"], 9);
}

#[test]
fn overlaps_and_near_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "300", "--seed", "9", "--no-serve"]);
    let pairs: Vec<Value> = serde_json::from_str(&ok(&db, &["overlaps", "--json"])).unwrap();
    assert!(!pairs.is_empty(), "the demo records some ground twice");
    for p in &pairs {
        assert!(p["overlap_m2"].as_f64().unwrap() > 0.0);
        assert!(p["share_of_smaller"].as_f64().unwrap() <= 1.0 + 1e-6);
        assert!(p["a"].as_str().unwrap() < p["b"].as_str().unwrap());
    }
    let near: Vec<Value> =
        serde_json::from_str(&ok(&db, &["near", "--settlements", "--within", "1000", "--json"])).unwrap();
    assert!(!near.is_empty());
    assert!(near.iter().all(|n| n["distance_m"].as_f64().unwrap() <= 1000.0));
    // Closer is a subset of farther.
    let close: Vec<Value> =
        serde_json::from_str(&ok(&db, &["near", "--settlements", "--within", "300", "--json"])).unwrap();
    assert!(close.len() <= near.len());
    for c in &close {
        assert!(near.iter().any(|n| n["from"] == c["from"] && n["hazard"] == c["hazard"]));
    }
    // A position in any notation.
    let first = &near[0];
    let at = format!("{} {}", first["lat"], first["lon"]);
    let here: Vec<Value> =
        serde_json::from_str(&ok(&db, &["near", "--point", &at, "--within", "1000", "--json"])).unwrap();
    assert!(here.iter().any(|n| n["hazard"] == first["hazard"]));
    let err = fails(&db, &["near", "--within", "10"]);
    assert!(err.contains("--settlements"), "{err}");
}

#[test]
fn overlap_areas_agree_with_geos_and_geographiclib() {
    if !require_oracle("overlap_areas_agree_with_geos_and_geographiclib") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "300", "--seed", "9", "--no-serve"]);
    let path = dir.path().join("overlaps.json");
    std::fs::write(&path, ok(&db, &["overlaps", "--json"])).unwrap();
    oracle("check_overlaps.py", &[&db, &path]);
}
