//! The national register end to end: build the demo with the real binary,
//! open it with GDAL, check its summary against an independent computation.

mod common;
use common::*;
use std::process::Command;

const SCALE: &str = "300";

fn demo(dir: &std::path::Path, name: &str, seed: &str) -> std::path::PathBuf {
    let db = dir.join(name);
    ok(&db, &["demo", "--seed", seed, "--scale", SCALE, "--no-serve"]);
    db
}

#[test]
fn demo_is_a_geopackage_gdal_validates_and_lists() {
    if !require("ogrinfo", "gdal-bin", "demo_is_a_geopackage_gdal_validates_and_lists")
        || !require("python3:osgeo", "python3-gdal", "demo_is_a_geopackage_gdal_validates_and_lists")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "demo.gpkg", "7");

    let script = validate_gpkg_script().expect("python3-gdal ships validate_gpkg.py");
    let out = Command::new("/usr/bin/python3").arg(script).arg(&db).output().unwrap();
    assert!(
        out.status.success(),
        "validate_gpkg.py refused the demo:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new("ogrinfo").args(["-ro", "-q"]).arg(&db).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    for layer in [
        "hazards (Multi Polygon)",
        "released_areas (Multi Polygon)",
        "eo_finds (Point)",
        "accidents (Point)",
        "settlements (Point)",
        "districts (Multi Polygon)",
        "eore_sessions (Point)",
    ] {
        assert!(listing.contains(layer), "ogrinfo does not list {layer}:\n{listing}");
    }
    for internal in ["victims", "victim_identities", "sg_meta"] {
        assert!(!listing.contains(&format!(": {internal} ")), "{internal} must not be a layer:\n{listing}");
    }

    // The hazards layer carries status and area figures; accidents carry no personal data.
    let info = |layer: &str| {
        let out = Command::new("ogrinfo").args(["-ro", "-so"]).arg(&db).arg(layer).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let hazards = info("hazards");
    for field in
        ["status: String", "area_recorded_m2: Real", "area_remaining_m2: Real", "area_cleared_m2: Real"]
    {
        assert!(hazards.contains(field), "hazards lacks {field}:\n{hazards}");
    }
    assert!(hazards.contains("Feature Count: 300"), "{hazards}");
    let released = info("released_areas");
    assert!(released.contains("outcome: String"), "{released}");
    let accidents = info("accidents");
    for personal in ["name", "contact", "age", "sex", "occupation"] {
        assert!(
            !accidents.lines().any(|l| l.trim_start().starts_with(&format!("{personal}:"))
                || l.contains(&format!("full_{personal}"))),
            "accidents layer exposes {personal}:\n{accidents}"
        );
    }
    // Dates are typed as dates for QGIS.
    assert!(accidents.contains("occurred_on: Date"), "{accidents}");
}

#[test]
fn summary_agrees_with_geos_and_geographiclib() {
    if !require_oracle("summary_agrees_with_geos_and_geographiclib") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "demo.gpkg", "11");
    let summary = ok(&db, &["summary", "--json"]);
    let path = dir.path().join("summary.json");
    std::fs::write(&path, &summary).unwrap();
    let report = oracle("check_summary.py", &[&db, &path]);
    eprintln!("oracle: {report}");
}

#[test]
fn summary_json_has_the_documented_shape_and_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "demo.gpkg", "3");
    let s: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    let t = &s["totals"];
    for k in ["recorded", "cancelled", "reduced", "cleared", "remaining"] {
        assert!(t["area_m2"][k].is_number(), "totals.area_m2.{k}");
        assert!(t["area_km2"][k].is_number(), "totals.area_km2.{k}");
    }
    for k in ["open", "worked_on", "closed"] {
        assert!(t["hazards"][k].is_i64(), "totals.hazards.{k}");
    }
    let a = |v: &serde_json::Value, k: &str| v["area_m2"][k].as_f64().unwrap();
    // The demo releases every outcome and leaves ground remaining.
    for k in ["cancelled", "reduced", "cleared", "remaining"] {
        assert!(a(t, k) > 0.0, "the demo should have some {k} ground");
    }
    let districts = s["districts"].as_array().unwrap();
    assert!(districts.len() >= 8, "hazards spread over the liberated districts");
    let mut sums = [0.0f64; 5];
    for d in districts {
        assert!(d["name"].is_string());
        let released = a(d, "cancelled") + a(d, "reduced") + a(d, "cleared");
        // Released never exceeds recorded; remaining is never negative; the pieces add up.
        assert!(released <= a(d, "recorded") * (1.0 + 1e-7) + 0.01, "{}", d["name"]);
        assert!(a(d, "remaining") >= 0.0);
        let whole = released + a(d, "remaining");
        assert!(
            (whole - a(d, "recorded")).abs() <= a(d, "recorded") * 1e-6 + 0.05,
            "{}: {whole} vs recorded",
            d["name"]
        );
        for (i, k) in ["recorded", "cancelled", "reduced", "cleared", "remaining"].iter().enumerate() {
            sums[i] += a(d, k);
        }
    }
    for (i, k) in ["recorded", "cancelled", "reduced", "cleared", "remaining"].iter().enumerate() {
        assert!(
            (sums[i] - a(t, k)).abs() < 0.01 * districts.len() as f64,
            "national {k} is the sum of districts"
        );
    }
    assert!(!t["eo_destroyed"].as_object().unwrap().is_empty());
    assert!(!t["casualties"].as_object().unwrap().is_empty());
    assert!(t["eore_reach"]["girls"].as_i64().unwrap() > 0);
}

#[test]
fn demo_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo(dir.path(), "a.gpkg", "42");
    let b = demo(dir.path(), "b.gpkg", "42");
    let c = demo(dir.path(), "c.gpkg", "43");
    let sa = ok(&a, &["summary", "--json"]);
    assert_eq!(sa, ok(&b, &["summary", "--json"]));
    assert_ne!(sa, ok(&c, &["summary", "--json"]));
    assert_eq!(ok(&a, &["hazards", "list", "--json"]), ok(&b, &["hazards", "list", "--json"]));
}

#[test]
fn demo_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "demo.gpkg", "1");
    let before = std::fs::read(&db).unwrap();
    let err = fails(&db, &["demo", "--scale", "10", "--no-serve"]);
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    assert_eq!(before, std::fs::read(&db).unwrap(), "the refused demo must not touch the file");
    ok(&db, &["demo", "--scale", "10", "--force", "--no-serve"]);
    let s: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    assert_eq!(s["totals"]["hazards"]["total"], 10);
    // No temporary files are left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().contains("building")), "{names:?}");
}

#[test]
fn hazards_list_filters_and_show_explains() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "demo.gpkg", "5");
    let all: Vec<serde_json::Value> = serde_json::from_str(&ok(&db, &["hazards", "list", "--json"])).unwrap();
    assert_eq!(all.len(), 300);
    let agdam: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&db, &["hazards", "list", "--district", "Agdam", "--json"])).unwrap();
    assert!(!agdam.is_empty() && agdam.iter().all(|h| h["district"] == "Ağdam"));
    let same: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&db, &["hazards", "list", "--district", "ağdam", "--json"])).unwrap();
    assert_eq!(agdam, same, "Azerbaijani and English names, any case");
    let closed: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&db, &["hazards", "list", "--status", "closed", "--json"])).unwrap();
    assert!(closed.iter().all(|h| h["status"] == "CLOSED"));
    assert!(closed.iter().all(|h| h["area_m2"]["remaining"].as_f64().unwrap() < 1.0));

    let err = fails(&db, &["hazards", "list", "--district", "Atlantis"]);
    assert!(err.contains("district 'Atlantis' is not in the register"), "{err}");
    let err = fails(&db, &["hazards", "list", "--status", "MAYBE"]);
    assert!(err.contains("expected one of: OPEN, WORKED_ON, CLOSED, HANDED_OVER"), "{err}");

    let worked = all.iter().find(|h| h["status"] == "WORKED_ON").expect("some hazard is being worked on");
    let code = worked["code"].as_str().unwrap();
    let text = ok(&db, &["hazards", "show", code]);
    assert!(text.contains(code) && text.contains("released"), "{text}");
    let detail: serde_json::Value =
        serde_json::from_str(&ok(&db, &["hazards", "show", code, "--json"])).unwrap();
    assert_eq!(detail["id"], worked["id"]);
    assert!(!detail["released"].as_array().unwrap().is_empty());
    assert_eq!(detail["geometry"]["type"], "MultiPolygon");
    // By UUID too.
    let by_id: serde_json::Value =
        serde_json::from_str(&ok(&db, &["hazards", "show", worked["id"].as_str().unwrap(), "--json"]))
            .unwrap();
    assert_eq!(by_id["code"], code);
    let err = fails(&db, &["hazards", "show", "AZ-XX-999999"]);
    assert!(err.contains("hazard 'AZ-XX-999999' is not in the register"), "{err}");
}

#[test]
fn init_creates_an_empty_register() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.gpkg");
    ok(&db, &["init"]);
    let s: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    assert_eq!(s["totals"]["hazards"]["total"], 0);
    assert_eq!(s["districts"].as_array().unwrap().len(), 0);
    let err = fails(&db, &["init"]);
    assert!(err.contains("already exists"), "{err}");
}
