//! Imports: every layer of a demo register goes out in every format and back
//! into an empty register unchanged; files that GDAL wrote in a UTM zone come
//! in converted; bad files are refused whole, with every bad feature named and
//! kept in a reject file.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// In the order an empty register takes them: reference data, then hazards,
/// the tasks on them, and the work reported on them.
const ORDER: [&str; 9] = [
    "districts",
    "settlements",
    "organisations",
    "hazards",
    "tasks",
    "released_areas",
    "eo_finds",
    "accidents",
    "eore_sessions",
];

/// Columns that say when and by which report a record entered this register:
/// they differ after an import by design.
const PROVENANCE: [&str; 3] = ["report_id", "recorded_at", "version"];

/// A layer as GeoJSON features keyed by id, provenance columns left out.
fn layer(db: &Path, dir: &Path, layer: &str) -> BTreeMap<String, (Value, Value)> {
    let out = dir.join(format!("{layer}-check.geojson"));
    let _ = std::fs::remove_file(&out);
    ok(db, &["export", "--layer", layer, "--format", "geojson", out.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut props = f["properties"].as_object().unwrap().clone();
            let id = props["id"].as_str().unwrap().to_string();
            for p in PROVENANCE {
                props.remove(p);
            }
            (id, (Value::Object(props), f["geometry"].clone()))
        })
        .collect()
}

fn round_trip(format: &str, ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "60", "--no-serve"]);
    ok(&dst, &["init"]);
    for l in ORDER {
        let file = dir.path().join(format!("{l}.{ext}"));
        ok(&src, &["export", "--layer", l, "--format", format, file.to_str().unwrap()]);
        let said = ok(&dst, &["import", file.to_str().unwrap(), "--layer", l]);
        assert!(said.contains("rejected 0"), "{format} {l}: {said}");
    }
    for l in ORDER {
        let (a, b) = (layer(&src, dir.path(), l), layer(&dst, dir.path(), l));
        assert!(!a.is_empty(), "the demo has {l}");
        assert_eq!(a.len(), b.len(), "{format} {l}: feature count");
        for (id, feature) in &a {
            assert_eq!(Some(feature), b.get(id), "{format} {l} {id} changed on the way");
        }
    }
    assert_eq!(
        ok(&src, &["summary", "--json"]),
        ok(&dst, &["summary", "--json"]),
        "{format}: the national summary changed"
    );
    // The same files again change nothing: every record is already there.
    let file = dir.path().join(format!("eo_finds.{ext}"));
    let said = ok(&dst, &["import", file.to_str().unwrap(), "--layer", "eo_finds"]);
    assert!(said.contains("imported 0,") && said.contains("rejected 0"), "{said}");
}

#[test]
fn every_layer_goes_out_and_back_in_geojson() {
    round_trip("geojson", "geojson");
}

#[test]
fn every_layer_goes_out_and_back_in_csv() {
    round_trip("csv", "csv");
}

#[test]
fn every_layer_goes_out_and_back_in_a_geopackage() {
    round_trip("gpkg", "gpkg");
}

#[test]
fn every_layer_goes_out_and_back_in_kml() {
    round_trip("kml", "kml");
}

#[test]
fn every_layer_goes_out_and_back_in_xlsx() {
    round_trip("xlsx", "xlsx");
}

/// An import goes in under one approved report per batch of features, each
/// naming the file (by name and SHA-256, as `sha256sum` computes it) and what
/// each feature became; `trace` leads from a place to the file and feature;
/// unapproving a batch takes its hazards out and leaves the others.
#[test]
fn an_import_goes_in_under_one_report_per_batch_naming_the_file_and_feature() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "20", "--no-serve"]);
    ok(&dst, &["init"]);
    for l in ["districts", "settlements", "organisations", "hazards"] {
        let file = dir.path().join(format!("{l}.geojson"));
        ok(&src, &["export", "--layer", l, "--format", "geojson", file.to_str().unwrap()]);
        let mut args = vec!["--actor", "database officer", "import", file.to_str().unwrap(), "--layer", l];
        if l == "hazards" {
            args.extend(["--batch", "8"]);
        }
        ok(&dst, &args);
    }
    let file = dir.path().join("hazards.geojson");
    let sha = Command::new("sha256sum").arg(&file).output().expect("sha256sum (coreutils)");
    let sha = String::from_utf8(sha.stdout).unwrap().split_whitespace().next().unwrap().to_string();
    let reports: Value =
        serde_json::from_str(&ok(&dst, &["report", "list", "--state", "APPROVED", "--json"])).unwrap();
    let reports: Vec<String> = reports
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "NTS")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    // Batches of at most 8, broken where the recording organisation changes.
    assert!((3..20).contains(&reports.len()), "{reports:?}");
    let mut features = Vec::new();
    let mut where_from = BTreeMap::new();
    for id in &reports {
        let shown: Value = serde_json::from_str(&ok(&dst, &["report", "show", id, "--json"])).unwrap();
        let import = &shown["body"]["import"];
        assert_eq!(import["file"], file.display().to_string(), "{shown}");
        assert_eq!(import["sha256"], sha.as_str());
        assert_eq!(import["layer"], "hazards");
        let items = import["items"].as_array().unwrap();
        assert!((1..=8).contains(&items.len()), "{shown}");
        for i in items {
            let place = i["features"][0].as_str().unwrap().to_string();
            where_from.insert(i["records"][0].as_str().unwrap().to_string(), (id.clone(), place.clone()));
            features.push(place);
        }
        assert_eq!(shown["report"]["decided_by"], "database officer", "{shown}");
    }
    features.sort_by_key(|f| f.trim_start_matches("feature ").parse::<usize>().unwrap());
    let expected: Vec<String> = (1..=20).map(|n| format!("feature {n}")).collect();
    assert_eq!(features, expected, "every feature, once");
    // A place inside an imported hazard leads to its file and feature.
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let first = &exported["features"][0];
    let hazard_id = first["properties"]["id"].as_str().unwrap();
    let (report, place) = &where_from[hazard_id];
    let [lon, lat] = interior(&first["geometry"]);
    let traced = ok(&dst, &["trace", &lon.to_string(), &lat.to_string()]);
    let line = traced.lines().find(|l| l.starts_with(report.as_str())).unwrap_or_else(|| panic!("{traced}"));
    assert!(line.ends_with(&format!("(imported from {}, {place})", file.display())), "{traced}");
    // Unapproving that batch takes its hazards out, and only them.
    let before = ok(&dst, &["hazards", "list", "--json"]);
    let before = serde_json::from_str::<Value>(&before).unwrap().as_array().unwrap().len();
    let in_batch = where_from.values().filter(|(r, _)| r == report).count();
    ok(&dst, &["report", "unapprove", report, "--reason", "imported from the wrong file"]);
    let after = ok(&dst, &["hazards", "list", "--json"]);
    let after = serde_json::from_str::<Value>(&after).unwrap().as_array().unwrap().len();
    assert_eq!((before, after), (20, 20 - in_batch));
    ok(&dst, &["audit", "verify"]);
}

/// Released ground imported in small batches from several operators: every
/// batch can be unapproved in some order (a hazard's versions by two reports
/// never interleave, so there is always a latest one), and once all are, no
/// ground is released and the history is intact.
#[test]
fn imported_batches_of_released_ground_can_all_be_unapproved() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "30", "--no-serve"]);
    ok(&dst, &["init"]);
    for l in ["districts", "settlements", "organisations", "hazards", "tasks", "released_areas"] {
        let file = dir.path().join(format!("{l}.geojson"));
        ok(&src, &["export", "--layer", l, "--format", "geojson", file.to_str().unwrap()]);
        ok(&dst, &["import", file.to_str().unwrap(), "--layer", l, "--batch", "3"]);
    }
    let released = |db: &Path| {
        let s: Value = serde_json::from_str(&ok(db, &["summary", "--json"])).unwrap();
        ["cancelled", "reduced", "cleared"]
            .iter()
            .map(|k| s["totals"]["area_m2"][k].as_f64().unwrap())
            .sum::<f64>()
    };
    assert!(released(&dst) > 0.0);
    let list: Value =
        serde_json::from_str(&ok(&dst, &["report", "list", "--state", "APPROVED", "--json"])).unwrap();
    let mut left: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["type"] != "NTS" || {
                let shown: Value =
                    serde_json::from_str(&ok(&dst, &["report", "show", r["id"].as_str().unwrap(), "--json"]))
                        .unwrap();
                shown["body"]["import"]["layer"] == "released_areas"
            }
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(left.len() > 3, "{left:?}");
    while !left.is_empty() {
        let before = left.len();
        left.retain(|id| {
            !safeground(&dst, &["report", "unapprove", id, "--reason", "test"]).status.success()
        });
        assert!(left.len() < before, "no batch of {left:?} can be unapproved");
    }
    assert_eq!(released(&dst), 0.0);
    // Every hazard back to the version before its first release: open, whole.
    let s: Value = serde_json::from_str(&ok(&dst, &["summary", "--json"])).unwrap();
    assert_eq!(s["totals"]["hazards"]["open"], s["totals"]["hazards"]["total"], "{s}");
    assert_eq!(s["totals"]["area_m2"]["remaining"], s["totals"]["area_m2"]["recorded"], "{s}");
    ok(&dst, &["verify"]);
    ok(&dst, &["audit", "verify"]);
}

/// A point inside a polygon: the midpoint of the horizontal chord through
/// the middle of its outer ring's latitudes, between the first two crossings.
fn interior(g: &Value) -> [f64; 2] {
    let ring: Vec<[f64; 2]> = match g["type"].as_str() {
        Some("MultiPolygon") => serde_json::from_value(g["coordinates"][0][0].clone()).unwrap(),
        _ => serde_json::from_value(g["coordinates"][0].clone()).unwrap(),
    };
    let (lo, hi) = ring.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let y = lo + (hi - lo) * 0.5003;
    let mut xs: Vec<f64> = ring
        .windows(2)
        .filter(|w| (w[0][1] <= y) != (w[1][1] <= y))
        .map(|w| w[0][0] + (y - w[0][1]) / (w[1][1] - w[0][1]) * (w[1][0] - w[0][0]))
        .collect();
    xs.sort_by(f64::total_cmp);
    [(xs[0] + xs[1]) / 2.0, y]
}

/// A file in the register's exchange columns, written by GDAL in UTM zone 38N,
/// comes back to the same geodesic areas.
#[test]
fn a_geopackage_in_utm_from_ogr2ogr_is_converted() {
    if !require("ogr2ogr", "gdal-bin", "a_geopackage_in_utm_from_ogr2ogr_is_converted") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "30", "--no-serve"]);
    ok(&dst, &["init"]);
    for l in ["districts", "settlements", "organisations"] {
        let file = dir.path().join(format!("{l}.geojson"));
        ok(&src, &["export", "--layer", l, "--format", "geojson", file.to_str().unwrap()]);
        ok(&dst, &["import", file.to_str().unwrap(), "--layer", l]);
    }
    let wgs = dir.path().join("hazards.geojson");
    ok(&src, &["export", "--layer", "hazards", "--format", "geojson", wgs.to_str().unwrap()]);
    let utm = dir.path().join("hazards-utm.gpkg");
    let csv = dir.path().join("hazards-utm.csv");
    for (out, extra) in [(&utm, vec![]), (&csv, vec!["-lco", "GEOMETRY=AS_WKT"])] {
        let status = Command::new("ogr2ogr")
            .args(["-t_srs", "EPSG:32638", "-nln", "hazards"])
            .args(&extra)
            .arg(out)
            .arg(&wgs)
            .status()
            .unwrap();
        assert!(status.success());
    }
    // Without the zone the CSV's metres are not degrees: refused, with the way out.
    let e = fails(&dst, &["import", csv.to_str().unwrap(), "--layer", "hazards"]);
    assert!(e.contains("--srs") && e.contains("line 2"), "{e}");
    ok(&dst, &["import", utm.to_str().unwrap(), "--layer", "hazards"]);
    let a = layer(&src, dir.path(), "hazards");
    let b = layer(&dst, dir.path(), "hazards");
    assert_eq!(a.len(), b.len());
    for (id, (pa, _)) in &a {
        let (pb, _) = &b[id];
        let (x, y) = (pa["area_recorded_m2"].as_f64().unwrap(), pb["area_recorded_m2"].as_f64().unwrap());
        assert!((x - y).abs() <= 1e-6 * x.max(1.0), "{id}: {x} m² became {y} m² through UTM");
        assert_eq!(pa["code"], pb["code"]);
    }
    // The CSV with its zone named goes in too (every hazard is already there).
    let said = ok(&dst, &["import", csv.to_str().unwrap(), "--layer", "hazards", "--srs", "EPSG:32638"]);
    assert!(said.contains("already in the register 30"), "{said}");
    // Web Mercator (as ArcGIS keeps hosted layers), projected by GDAL (PROJ),
    // comes back to the same geodesic areas through our closed-form inverse.
    let merc = dir.path().join("hazards-3857.gpkg");
    let status = Command::new("ogr2ogr")
        .args(["-t_srs", "EPSG:3857", "-nln", "hazards"])
        .arg(&merc)
        .arg(&wgs)
        .status()
        .unwrap();
    assert!(status.success());
    let said = ok(&dst, &["import", merc.to_str().unwrap(), "--layer", "hazards"]);
    assert!(said.contains("already in the register 30"), "{said}");
    let fresh = dir.path().join("fresh.gpkg");
    ok(&fresh, &["init"]);
    for l in ["districts", "settlements", "organisations"] {
        let file = dir.path().join(format!("{l}.geojson"));
        ok(&fresh, &["import", file.to_str().unwrap(), "--layer", l]);
    }
    ok(&fresh, &["import", merc.to_str().unwrap(), "--layer", "hazards"]);
    let c = layer(&fresh, dir.path(), "hazards");
    assert_eq!(a.len(), c.len());
    for (id, (pa, _)) in &a {
        let (pc, _) = &c[id];
        let (x, y) = (pa["area_recorded_m2"].as_f64().unwrap(), pc["area_recorded_m2"].as_f64().unwrap());
        assert!((x - y).abs() <= 1e-6 * x.max(1.0), "{id}: {x} m² became {y} m² through EPSG:3857");
    }
    // A system we do not convert is named.
    let mercator = dir.path().join("hazards-3395.gpkg");
    let status = Command::new("ogr2ogr")
        .args(["-t_srs", "EPSG:3395", "-nln", "hazards"])
        .arg(&mercator)
        .arg(&wgs)
        .status()
        .unwrap();
    assert!(status.success());
    let e = fails(&dst, &["import", mercator.to_str().unwrap(), "--layer", "hazards"]);
    assert!(e.contains("EPSG:3395 is not supported"), "{e}");
}

fn count(db: &Path, layer: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.geojson");
    ok(db, &["export", "--layer", layer, "--format", "geojson", out.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["features"].as_array().unwrap().len()
}

#[test]
fn bad_features_are_all_named_and_nothing_is_half_imported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let before = count(&db, "eo_finds");
    let finds = dir.path().join("finds.geojson");
    let feature = |props: &str, geometry: &str| {
        format!(r#"{{"type":"Feature","properties":{{{props}}},"geometry":{geometry}}}"#)
    };
    let good = r#""category":"UXO","eo_type":"OF-482M","disposal":"DESTROYED_IN_SITU","found_on":"2024-05-01","organisation":"ANAMA""#;
    let point = r#"{"type":"Point","coordinates":[46.92,39.96]}"#;
    let features = [
        feature(good, point),
        feature(&good.replace("UXO", "GRENADE"), point),
        feature(good, r#"{"type":"Point","coordinates":["46.9",39.9]}"#),
        feature(&good.replace("ANAMA", "NOBODY"), point),
        feature(&good.replace("2024-05-01", "2099-01-01"), point),
        feature(good, "null"),
    ];
    std::fs::write(&finds, format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(",")))
        .unwrap();
    let e = fails(&db, &["import", finds.to_str().unwrap(), "--layer", "eo_finds"]);
    for (n, what) in [
        (2, "field 'category': 'GRENADE' is not a valid explosive ordnance category"),
        (3, "geometry"),
        (4, "organisation 'NOBODY' is not in the register"),
        (5, "future"),
        (6, "field 'geometry': is missing"),
    ] {
        assert!(e.contains(&format!("finds.geojson, feature {n}: ")), "feature {n} not named:\n{e}");
        assert!(e.lines().any(|l| l.contains(&format!("feature {n}:")) && l.contains(what)), "{what}:\n{e}");
    }
    assert!(e.contains("5 rejected") && e.contains("nothing was imported"), "{e}");
    assert_eq!(count(&db, "eo_finds"), before, "nothing imported");
    let rejects: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("finds.rejects.geojson")).unwrap())
            .unwrap();
    let rejected = rejects["features"].as_array().unwrap();
    assert_eq!(rejected.len(), 5);
    assert!(rejected[0]["properties"]["sg_reject"].as_str().unwrap().contains("GRENADE"));
    assert_eq!(rejected[0]["properties"]["category"], "GRENADE", "the feature as it was written");
    // --keep-going takes the good one, and still says what it left.
    let out = safeground(&db, &["import", finds.to_str().unwrap(), "--layer", "eo_finds", "--keep-going"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("read 6 features") && said.contains("imported 1,") && said.contains("rejected 5"),
        "{said}"
    );
    assert_eq!(count(&db, "eo_finds"), before + 1);
}

#[test]
fn truncated_and_malformed_files_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "20", "--no-serve"]);
    ok(&dst, &["init"]);
    let districts = dir.path().join("districts.geojson");
    ok(&src, &["export", "--layer", "districts", "--format", "geojson", districts.to_str().unwrap()]);
    ok(&dst, &["import", districts.to_str().unwrap(), "--layer", "districts"]);
    for (format, ext) in
        [("geojson", "geojson"), ("kml", "kml"), ("csv", "csv"), ("gpkg", "gpkg"), ("xlsx", "xlsx")]
    {
        let file = dir.path().join(format!("settlements.{ext}"));
        ok(&src, &["export", "--layer", "settlements", "--format", format, file.to_str().unwrap()]);
        let whole = std::fs::read(&file).unwrap();
        let cut = dir.path().join(format!("cut.{ext}"));
        std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
        let e = fails(&dst, &["import", cut.to_str().unwrap(), "--layer", "settlements"]);
        assert!(e.contains("cut."), "{format}: the message names the file: {e}");
        if format == "csv" {
            // A CSV cut mid-row leaves a short last row: rejected by its line.
            assert!(e.contains("fields but the header has"), "{e}");
        }
        assert_eq!(count(&dst, "settlements"), 0, "{format}: nothing half-imported");
    }
    let not = dir.path().join("notes.geojson");
    std::fs::write(&not, "these are not features").unwrap();
    let e = fails(&dst, &["import", not.to_str().unwrap(), "--layer", "hazards"]);
    assert!(e.contains("notes.geojson, line 1"), "{e}");
    let e = fails(&dst, &["import", not.to_str().unwrap(), "--layer", "hazards", "--format", "gpkg"]);
    assert!(e.contains("not a GeoPackage") || e.contains("not a database"), "{e}");
}

/// The georust crates' own GeoJSON and KML fixtures (shipped in their source) are
/// hostile input: whatever they hold, the import names a reason and changes nothing.
#[test]
fn hostile_fixtures_never_crash_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut seen = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        for l in ["hazards", "eo_finds"] {
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            // Rejects go to the temporary directory, never beside the fixtures.
            let rejects = dir.path().join("rejects.geojson");
            let out = safeground(
                &db,
                &["import", path.to_str().unwrap(), "--layer", l, "--reject", rejects.to_str().unwrap()],
            );
            let e = String::from_utf8_lossy(&out.stderr);
            assert!(!e.contains("panicked"), "{}: {e}", path.display());
            assert!(out.status.code().is_some(), "{} crashed", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 10, "the hostile fixtures are there");
    assert_eq!(count(&db, "hazards"), 5);
}

/// The spatial indexes an import fills at its end (instead of row by row,
/// as GDAL does) hold every row with its geometry's box, as the triggers
/// would have put it: the import of the demo's exports, in two files, and
/// the demo's own register, whose writes fill theirs the same way. A
/// refused import leaves the triggers as they were, and the triggers are
/// all back after each.
#[test]
fn an_import_fills_its_spatial_indexes_as_the_triggers_would() {
    if !require("python3:sqlite3", "python3", "an_import_fills_its_spatial_indexes_as_the_triggers_would") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.gpkg");
    let dst = dir.path().join("dst.gpkg");
    ok(&src, &["demo", "--scale", "40", "--no-serve"]);
    ok(&dst, &["init"]);
    for l in ["districts", "settlements", "organisations", "hazards", "eo_finds"] {
        let file = dir.path().join(format!("{l}.geojson"));
        ok(&src, &["export", "--layer", l, "--format", "geojson", file.to_str().unwrap()]);
        if l != "hazards" && l != "eo_finds" {
            ok(&dst, &["import", file.to_str().unwrap(), "--layer", l]);
            continue;
        }
        // In two files, so the second import fills after rows already
        // indexed; the second half of the finds with a feature refused and
        // --keep-going, so the index skips nothing and adds nothing for it.
        let all: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let features = all["features"].as_array().unwrap();
        let (first, second) = features.split_at(features.len() / 2);
        let mut second = second.to_vec();
        if l == "eo_finds" {
            let mut bad = second[0].clone();
            bad["properties"]["id"] = Value::Null;
            bad["properties"]["category"] = "GRENADE".into();
            second.insert(1, bad);
        }
        for (n, part) in [first.to_vec(), second].into_iter().enumerate() {
            let half = dir.path().join(format!("{l}-{n}.geojson"));
            let collection = serde_json::json!({"type": "FeatureCollection", "features": part});
            std::fs::write(&half, collection.to_string()).unwrap();
            let out = safeground(&dst, &["import", half.to_str().unwrap(), "--layer", l, "--keep-going"]);
            let said = String::from_utf8_lossy(&out.stdout);
            let rejected = if l == "eo_finds" && n == 1 { "rejected 1" } else { "rejected 0" };
            assert!(said.contains(rejected), "{l}, part {n}: {said}");
        }
    }
    // Every row in its index, with its geometry's own box, by an oracle
    // that reads the WKB (tests/oracle/index_boxes.py); the demo's register
    // too, whose writes fill the indexes no approval reads at their end and
    // the released areas' row by row, through their trigger.
    for db in [&src, &dst] {
        assert!(index_boxes(db, "hazards", "rtree_hazards_geom") > 20);
        assert!(index_boxes(db, "eo_finds", "rtree_eo_finds_geom") > 20);
        assert!(index_boxes(db, "hazard_versions", "sg_version_extents") > 20);
    }
    for (table, index) in [
        ("released_areas", "rtree_released_areas_geom"),
        ("accidents", "rtree_accidents_geom"),
        ("eore_sessions", "rtree_eore_sessions_geom"),
    ] {
        assert!(index_boxes(&src, table, index) > 0, "{table}");
    }
    let before = triggers(&dst);
    assert!(before.contains("rtree_eo_finds_geom_insert") && before.contains("sg_version_extents_insert"));
    // An import refused whole (a bad feature, no --keep-going): the
    // triggers it dropped come back with the rollback, word for word.
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"GRENADE"},"geometry":{"type":"Point","coordinates":[46.92,39.96]}}]}"#,
    )
    .unwrap();
    fails(&dst, &["import", bad.to_str().unwrap(), "--layer", "eo_finds"]);
    assert_eq!(triggers(&dst), before);
    assert_eq!(triggers(&src), before, "the register's triggers as its migrations made them");
}
