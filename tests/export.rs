//! Exports of every layer, read back by tools no one here wrote: GDAL's
//! ogrinfo and the GeoJSON validator from PyPI.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const LAYERS: [(&str, &str); 9] = [
    ("hazards", "Multi Polygon"),
    ("released_areas", "Multi Polygon"),
    ("eo_finds", "Point"),
    ("accidents", "Point"),
    ("eore_sessions", "Point"),
    ("tasks", "None"),
    ("settlements", "Point"),
    ("districts", "Multi Polygon"),
    ("organisations", "None"),
];

fn exported(db: &Path, args: &[&str]) -> usize {
    let out = safeground(db, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let msg = String::from_utf8_lossy(&out.stderr);
    msg.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {msg}"))
}

fn ogr_count(path: &Path, open_options: &[&str]) -> (usize, String) {
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-ro", "-so", "-al"]);
    for o in open_options {
        cmd.args(["-oo", o]);
    }
    let out = cmd.arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "ogrinfo {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    let geometry = text.lines().find_map(|l| l.strip_prefix("Geometry: ")).unwrap_or("").to_string();
    (count, geometry)
}

#[test]
fn every_layer_exports_to_geojson_that_gdal_and_a_validator_read() {
    if !require("ogrinfo", "gdal-bin", "every_layer_exports_to_geojson_that_gdal_and_a_validator_read")
        || !require(
            "pypi:geojson_validator",
            "geojson-validator (PyPI)",
            "every_layer_exports_to_geojson_that_gdal_and_a_validator_read",
        )
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "120", "--no-serve"]);
    for (layer, geometry) in LAYERS {
        let path = dir.path().join(format!("{layer}.geojson"));
        let n = exported(&db, &["export", "--layer", layer, "--format", "geojson", path.to_str().unwrap()]);
        assert!(n > 0, "{layer} is empty");
        let (count, geom) = ogr_count(&path, &[]);
        assert_eq!(count, n, "{layer}: ogrinfo counts {count}, we wrote {n}");
        if geometry != "None" {
            assert_eq!(geom, geometry, "{layer}");
        }
        // RFC 7946 structure and geometry rules (winding, closure, ...) by geojson-validator.
        let script = "import json, sys, geojson_validator as v\n\
            d = json.load(open(sys.argv[1]))\n\
            s = v.validate_structure(d)\n\
            g = v.validate_geometries(d) if any(f['geometry'] for f in d['features']) else {'invalid': {}}\n\
            print(json.dumps({'structure': s, 'invalid': g['invalid']}))";
        let out = Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
        assert_eq!(report["structure"], serde_json::json!({}), "{layer}: {report}");
        assert_eq!(report["invalid"], serde_json::json!({}), "{layer}: {report}");
    }
}

#[test]
fn csv_exports_read_back_with_gdal_and_carry_hxl() {
    if !require("ogrinfo", "gdal-bin", "csv_exports_read_back_with_gdal_and_carry_hxl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "120", "--no-serve"]);
    for (layer, geometry) in LAYERS {
        let path = dir.path().join(format!("{layer}.csv"));
        let n = exported(&db, &["export", "--layer", layer, "--format", "csv", path.to_str().unwrap()]);
        let options: &[&str] = match geometry {
            "Point" => &["X_POSSIBLE_NAMES=longitude", "Y_POSSIBLE_NAMES=latitude"],
            "None" => &[],
            _ => &["GEOM_POSSIBLE_NAMES=wkt", "KEEP_GEOM_COLUMNS=NO"],
        };
        let (count, geom) = ogr_count(&path, options);
        assert_eq!(count, n, "{layer}");
        if geometry == "Point" {
            assert_eq!(geom, "Point", "{layer}");
        }
    }
    // The HXL row sits under the header.
    let path = dir.path().join("eo.csv");
    ok(&db, &["export", "--layer", "eo_finds", "--format", "csv", "--hxl", path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("longitude,latitude,id,"));
    let tags = lines.next().unwrap();
    assert!(tags.starts_with("#geo+lon,#geo+lat,#meta+id,") && tags.contains("#adm2+name"), "{tags}");
    let err = fails(
        &db,
        &["export", "--layer", "eo_finds", "--format", "geojson", "--hxl", path.to_str().unwrap()],
    );
    assert!(err.contains("the HXL row is added to CSV"), "{err}");
}

#[test]
fn exports_follow_as_of_and_district() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "150", "--no-serve"]);
    let path = dir.path().join("h.geojson");
    for day in ["2022-06-30", "2024-12-31"] {
        let n = exported(
            &db,
            &[
                "export",
                "--layer",
                "hazards",
                "--format",
                "geojson",
                "--as-of",
                day,
                path.to_str().unwrap(),
                "--force",
            ],
        );
        let s: Value = serde_json::from_str(&ok(&db, &["summary", "--json", "--as-of", day])).unwrap();
        assert_eq!(n as i64, s["totals"]["hazards"]["total"].as_i64().unwrap(), "{day}");
        let fc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let recorded: f64 = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["area_recorded_m2"].as_f64().unwrap())
            .sum();
        assert!(
            (recorded - s["totals"]["area_m2"]["recorded"].as_f64().unwrap()).abs() < 0.01 * n as f64,
            "{day}"
        );
    }
    let n = exported(
        &db,
        &[
            "export",
            "--layer",
            "eo_finds",
            "--format",
            "geojson",
            "--district",
            "Fizuli",
            path.to_str().unwrap(),
            "--force",
        ],
    );
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), n);
    assert!(fc["features"].as_array().unwrap().iter().all(|f| f["properties"]["district"] == "Füzuli"));
    let err = fails(
        &db,
        &[
            "export",
            "--layer",
            "eo_finds",
            "--format",
            "csv",
            "--district",
            "Atlantis",
            path.to_str().unwrap(),
            "--force",
        ],
    );
    assert!(err.contains("district 'Atlantis' is not in the register"), "{err}");
    assert!(!dir.path().join("h.geojson.part").exists(), "a failed export leaves no partial file");
    let err = fails(&db, &["export", "--layer", "victims", "--format", "csv", path.to_str().unwrap()]);
    assert!(err.contains("is not a layer"), "{err}");
}

/// Where the fastkml package keeps the OGC KML 2.2 schema.
fn kml_schema() -> Option<std::path::PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('fastkml').origin))",
        ])
        .output()
        .ok()?;
    let dir =
        std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("schema/ogckml22.xsd");
    dir.is_file().then_some(dir)
}

#[test]
fn kml_exports_are_valid_against_the_ogc_schema_and_styled() {
    if !require("xmllint", "libxml2-utils", "kml_exports_are_valid_against_the_ogc_schema_and_styled")
        || !require("ogrinfo", "gdal-bin", "kml_exports_are_valid_against_the_ogc_schema_and_styled")
        || !require(
            "pypi:fastkml",
            "fastkml (PyPI)",
            "kml_exports_are_valid_against_the_ogc_schema_and_styled",
        )
    {
        return;
    }
    let schema = kml_schema().expect("fastkml ships schema/ogckml22.xsd");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "120", "--no-serve"]);
    for (layer, _) in LAYERS {
        let path = dir.path().join(format!("{layer}.kml"));
        let n = exported(&db, &["export", "--layer", layer, "--format", "kml", path.to_str().unwrap()]);
        let out =
            Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&path).output().unwrap();
        assert!(out.status.success(), "{layer}: {}", String::from_utf8_lossy(&out.stderr));
        let (count, _) = ogr_count(&path, &[]);
        assert_eq!(count, n, "{layer}");
    }
    let hazards = std::fs::read_to_string(dir.path().join("hazards.kml")).unwrap();
    for status in ["OPEN", "WORKED_ON", "CLOSED"] {
        assert!(
            hazards.contains(&format!("<styleUrl>#status-{status}</styleUrl>")),
            "hazards styled by status"
        );
    }
    let finds = std::fs::read_to_string(dir.path().join("eo_finds.kml")).unwrap();
    assert!(finds.contains("<styleUrl>#category-AP</styleUrl>"), "EO finds styled by category");
}

#[test]
fn geopackage_exports_validate_and_keep_their_types() {
    if !require("ogrinfo", "gdal-bin", "geopackage_exports_validate_and_keep_their_types")
        || !require("python3:osgeo", "python3-gdal", "geopackage_exports_validate_and_keep_their_types")
    {
        return;
    }
    let validator = validate_gpkg_script().expect("python3-gdal ships validate_gpkg.py");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "120", "--no-serve"]);
    for (layer, geometry) in LAYERS {
        let path = dir.path().join(format!("{layer}.gpkg"));
        let n = exported(&db, &["export", "--layer", layer, "--format", "gpkg", path.to_str().unwrap()]);
        let out = Command::new("/usr/bin/python3").arg(&validator).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{layer}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let (count, geom) = ogr_count(&path, &[]);
        assert_eq!(count, n, "{layer}");
        if geometry != "None" {
            assert_eq!(geom, geometry, "{layer}");
        }
    }
    let info = |layer: &str| {
        let out = Command::new("ogrinfo")
            .args(["-ro", "-so"])
            .arg(dir.path().join(format!("{layer}.gpkg")))
            .arg(layer)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let h = info("hazards");
    for typed in ["recorded_on: Date", "area_recorded_m2: Real", "version: Integer64", "status: String"] {
        assert!(h.contains(typed), "{typed} in {h}");
    }
    assert!(info("accidents").contains("area_marked: Integer(Boolean)"));
    assert!(info("eore_sessions").contains("girls: Integer64"));
    // Exporting over an existing file replaces it only when complete.
    let path = dir.path().join("hazards.gpkg");
    let before = std::fs::read(&path).unwrap();
    let err = fails(
        &db,
        &[
            "export",
            "--layer",
            "hazards",
            "--format",
            "gpkg",
            "--district",
            "Atlantis",
            path.to_str().unwrap(),
            "--force",
        ],
    );
    assert!(err.contains("Atlantis"), "{err}");
    assert_eq!(before, std::fs::read(&path).unwrap());
}

#[test]
fn an_xlsx_workbook_has_a_typed_sheet_per_layer() {
    if !require("ogrinfo", "gdal-bin", "an_xlsx_workbook_has_a_typed_sheet_per_layer") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "60", "--no-serve"]);
    let path = dir.path().join("register.xlsx");
    exported(&db, &["export", "--layer", "all", "--format", "xlsx", path.to_str().unwrap()]);
    // Every sheet has a header row; GDAL guesses so only when a sheet has a
    // column that is not text (the organisations sheet is all text), so say it.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al", "--config", "OGR_XLSX_HEADERS", "FORCE"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    for (layer, _) in LAYERS {
        assert!(text.contains(&format!("Layer name: {layer}")), "{layer} sheet in {text}");
        // Each sheet holds as many rows as the layer's own export.
        let csv = dir.path().join(format!("{layer}.csv"));
        let n = exported(&db, &["export", "--layer", layer, "--format", "csv", csv.to_str().unwrap()]);
        let block = text.split(&format!("Layer name: {layer}\n")).nth(1).unwrap();
        let count: usize =
            block.lines().find_map(|l| l.strip_prefix("Feature Count: ")).unwrap().trim().parse().unwrap();
        assert_eq!(count, n, "{layer}");
    }
    assert!(text.contains("recorded_on: Date") && text.contains("girls: Integer"), "typed columns: {text}");
    let err = fails(&db, &["export", "--layer", "all", "--format", "geojson", path.to_str().unwrap()]);
    assert!(err.contains("only xlsx can hold"), "{err}");
}
