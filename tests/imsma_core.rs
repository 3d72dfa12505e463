//! `import-imsma core`: IMSMA Core's layers, exported (a GeoPackage GDAL
//! writes from tests/fixtures/imsma_core/make_export.py, in Web Mercator with
//! coded-value domains, and the same converted to a File Geodatabase by
//! `ogr2ogr`), migrate into a register: the good hazards and reductions with
//! their geodesic areas (checked against GeographicLib's Planimeter, after the
//! round trip through PROJ's Web Mercator), every defect named with its local
//! id, the coded values read through their domains, the reconciliation
//! workbook (read by openpyxl), and a second run that changes nothing.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const MAPPING: &str = "tests/fixtures/imsma_core/mapping.toml";

/// The fixture export, written by GDAL; `None` when skipped.
fn export(dir: &Path, test: &str) -> Option<PathBuf> {
    if !require("python3:osgeo", "python3-gdal", test) {
        return None;
    }
    let out = dir.join("core-export.gpkg");
    let run = Command::new("/usr/bin/python3")
        .arg(repo_file("tests/fixtures/imsma_core/make_export.py"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    Some(out)
}

fn migrate(db: &Path, file: &Path, extra: &[&str]) -> (bool, String, String) {
    let mapping = repo_file(MAPPING);
    let mut args = vec![
        "import-imsma",
        "core",
        file.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--organisation",
        "ANAMA",
    ];
    args.extend_from_slice(extra);
    let out = safeground(db, &args);
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn hazard(db: &Path, code: &str) -> serde_json::Value {
    serde_json::from_str(&ok(db, &["hazards", "show", code, "--json"])).unwrap()
}

#[test]
fn an_imsma_core_export_migrates_with_its_domains_and_defects_and_a_second_run_changes_nothing() {
    let test = "an_imsma_core_export_migrates_with_its_domains_and_defects_and_a_second_run_changes_nothing";
    let dir = tempfile::tempdir().unwrap();
    let Some(gpkg) = export(dir.path(), test) else { return };
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let rejects = dir.path().join("core.rejects.geojson");
    let reject_arg = ["--reject", rejects.to_str().unwrap()];

    // All or nothing by default.
    let (success, stdout, err) = migrate(&db, &gpkg, &reject_arg);
    assert!(!success);
    assert!(
        stdout.contains("layer hazard_poly: read 10; migrated 3, 0 already in the register, 7 refused"),
        "{stdout}{err}"
    );
    assert!(
        stdout.contains("layer hazreduc_poly: read 5; migrated 3, 0 already in the register, 2 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("layer accident: read 2; migrated 1, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("layer mre: read 2; migrated 1, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("layer victim: read 4; migrated 3, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("layer eo: read 2; migrated 1, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(err.contains("eo eo_2 (guid {C0F6-0002}): ") && err.contains("0 is not a quantity"), "{err}");
    assert!(
        stdout.contains("layer activity: read 2; migrated 1, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    assert!(err.contains("task activity_2 (guid {C0A7-0002}): field 'activity'"), "{err}");
    assert!(
        err.contains("14 records were refused, so nothing was migrated. Correct them in IMSMA Core"),
        "{err}"
    );
    assert!(
        err.contains(
            "victim victim_4 (guid {C0E5-0004}): its accident accident_2 (guid {C0C3-0002}) was refused"
        ),
        "{err}"
    );
    assert!(err.contains("accident accident_2 (guid {C0C3-0002}): no active point or polygon"), "{err}");
    assert!(
        err.contains("mre mre_2 (guid {C0D4-0002}): the position lies in none of the register's districts"),
        "{err}"
    );
    for (who, why) in [
        ("hazard_poly_4 (guid {C0A1-0004})", "part 1, point "),
        ("hazard_poly_4 (guid {C0A1-0004})", "the outline crosses itself here"),
        (
            "hazard_poly_5 (guid {C0A1-0005})",
            "field 'contamination' from column 'contamination': 'Sea mines' is not among the mapping's values",
        ),
        (
            "hazard_poly_6 (guid {C0A1-0006})",
            "field 'kind' from column 'hazard_type': '9' is not among column 'hazard_type''s coded values",
        ),
        ("hazard_poly_7 (guid {C0A1-0007})", "no active polygon"),
        ("hazard_poly_8 (guid {C0A1-0008})", "the polygon lies in none of the register's districts"),
        ("hazard_poly_9 (guid {C0A1-0009})", "part 2: this part overlaps part 1"),
        ("hazard_poly_10 (guid hazard_poly feature 10)", "it has no globalid"),
    ] {
        assert!(err.contains(&format!("hazard {who}: ")) && err.contains(why), "{who}: {why}\n{err}");
    }
    assert!(
        err.contains(
            "hazreduc hazreduc_poly_4 (guid {C0B2-0004}): field 'hazard' from column 'imsma_links': \
                      'organization_1' names no hazard of the source"
        ),
        "{err}"
    );
    assert!(
        err.contains("hazreduc hazreduc_poly_5 (guid {C0B2-0005})") && err.contains("names 2 hazards"),
        "{err}"
    );

    // A dry run with the workbook changes nothing.
    let before = ok(&db, &["summary", "--json"]);
    let book = dir.path().join("reconciliation.xlsx");
    let dry = [
        "--dry-run",
        "--keep-going",
        "--reconciliation",
        book.to_str().unwrap(),
        reject_arg[0],
        reject_arg[1],
    ];
    let (_, stdout, _) = migrate(&db, &gpkg, &dry);
    assert!(
        stdout.contains("dry run, nothing changed") && stdout.contains("read 10; would migrate 3"),
        "{stdout}"
    );
    assert_eq!(ok(&db, &["summary", "--json"]), before);
    if require("pypi:openpyxl", "openpyxl (pip)", test) {
        let script = r#"
import openpyxl, sys
wb = openpyxl.load_workbook(sys.argv[1])
rows = list(wb["hazard"].iter_rows(values_only=True))
by = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
assert len(by) == 10, by.keys()
h3 = by["hazard_poly_3"]
assert h3["outcome"] == "would migrate" and "part 1, point 3: the same position as point 2" in h3["repairs"], h3
h2 = by["hazard_poly_2"]
assert "recorded_on: 2021-04-11, its creation date in IMSMA Core" in h2["mapping"], h2
h1 = by["hazard_poly_1"]
assert h1["typed_area_m2"] == 41000 and abs(h1["difference_m2"] - (h1["geodesic_area_m2"] - 41000)) < 1e-6, h1
totals = list(wb["totals"].iter_rows(values_only=True))
assert totals[1] == ("hazard", 10, 3, 0, 1, 7), totals
assert totals[2] == ("hazreduc", 5, 3, 0, 0, 2), totals
"#;
        let out = Command::new("python3").args(["-c", script]).arg(&book).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    // --keep-going migrates the good ones, codes decoded through the domains.
    let (_, stdout, err) = migrate(&db, &gpkg, &["--keep-going", reject_arg[0], reject_arg[1]]);
    assert!(stdout.contains("read 10; migrated 3, 0 already in the register, 7 refused"), "{stdout}{err}");
    assert!(stdout.contains("read 5; migrated 3, 0 already in the register, 2 refused"), "{stdout}{err}");
    assert!(
        stdout.contains("layer victim: read 4; migrated 3, 0 already in the register, 1 refused"),
        "{stdout}"
    );
    // IMSMA Core's activities are tasks of the register.
    let tasks = ok(&db, &["export", "--layer", "tasks", "--format", "csv", "-"]);
    assert!(
        tasks
            .lines()
            .any(|l| l.contains(",activity_1,hazard_poly_2,KDA,CLEARANCE,MEDIUM,ISSUED,2021-05-01,")),
        "{tasks}"
    );
    // EO found, on its hazard, its codes decoded through the domains.
    let finds = ok(&db, &["export", "--layer", "eo_finds", "--format", "geojson", "-"]);
    let finds: serde_json::Value = serde_json::from_str(&finds).unwrap();
    let ours = |f: &&serde_json::Value| f["properties"]["hazard"] == "hazard_poly_1";
    let pmn = finds["features"].as_array().unwrap().iter().find(ours);
    let pmn = pmn.expect("the PMN-2 find");
    let p = &pmn["properties"];
    assert_eq!(
        (p["quantity"].as_i64(), p["category"].as_str(), p["disposal"].as_str(), p["found_on"].as_str()),
        (Some(2), Some("AP"), Some("DESTROYED_IN_SITU"), Some("2021-09-16")),
        "{p}"
    );
    assert_eq!(p["eo_type"], "PMN-2", "{p}");
    let at = pmn["geometry"]["coordinates"].as_array().unwrap();
    assert!(
        (at[0].as_f64().unwrap() - 46.907).abs() < 1e-9 && (at[1].as_f64().unwrap() - 39.966).abs() < 1e-9
    );
    // accident_1's victims are persons, their codes decoded through the domains
    // (read back from the GeoPackage by Python's sqlite3).
    let script = r#"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT v.outcome, v.sex, v.age FROM victims v JOIN accidents a ON a.id = v.accident_id "
                 "WHERE a.occurred_on = '2022-05-14' ORDER BY v.outcome DESC, v.sex").fetchall()
assert rows == [("KILLED", "MALE", 34), ("INJURED", "FEMALE", 12), ("INJURED", "UNKNOWN", None)], rows
"#;
    let out = Command::new("python3").args(["-c", script]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let h1 = hazard(&db, "hazard_poly_1");
    assert_eq!((h1["kind"].as_str(), h1["contamination"].as_str()), (Some("CHA"), Some("AP")));
    assert_eq!(h1["district"], "Ağdam");
    // ArcGIS's own columns the mapping does not name stay with the hazard.
    assert_eq!(
        h1["source_attributes"]["created_date"].as_str().map(|d| &d[..10]),
        Some("2021-03-05"),
        "{h1}"
    );
    assert!(
        h1["source_attributes"].get("globalid").is_none()
            && h1["source_attributes"].get("imsma_id").is_none()
    );
    let h3 = hazard(&db, "hazard_poly_3");
    assert_eq!((h3["kind"].as_str(), h3["contamination"].as_str()), (Some("SHA"), Some("UXO")));
    assert_eq!(h3["geometry"]["coordinates"][0].as_array().unwrap().len(), 2, "the hole is kept");
    assert_eq!(hazard(&db, "hazard_poly_2")["recorded_on"], "2021-04-11");

    // Areas: GeographicLib's, of the longitudes and latitudes the fixture was
    // projected from (PROJ's forward Web Mercator, our inverse).
    if require("Planimeter", "geographiclib-tools", test) {
        let sq = [(46.9050, 39.9650), (46.9080, 39.9652), (46.9083, 39.9675), (46.9052, 39.9678)];
        let shell = [(46.9400, 39.9600), (46.9430, 39.9600), (46.9430, 39.9630), (46.9400, 39.9630)];
        let hole = [(46.9410, 39.9610), (46.9410, 39.9620), (46.9420, 39.9620), (46.9420, 39.9610)];
        let parts =
            planimeter(&[(46.9200, 39.9700), (46.9230, 39.9700), (46.9230, 39.9720), (46.9200, 39.9720)])
                + planimeter(&[(46.9260, 39.9700), (46.9290, 39.9705), (46.9285, 39.9725)]);
        for (code, expected) in [
            ("hazard_poly_1", planimeter(&sq)),
            ("hazard_poly_2", parts),
            ("hazard_poly_3", planimeter(&shell) - planimeter(&hole)),
        ] {
            let ours = hazard(&db, code)["area_m2"]["recorded"].as_f64().unwrap();
            assert!((ours - expected).abs() < 0.01, "{code}: ours {ours} m², Planimeter {expected} m²");
        }
        let west =
            planimeter(&[(46.9050, 39.9650), (46.9065, 39.9651), (46.9067, 39.96765), (46.9052, 39.9678)]);
        let released = hazard(&db, "hazard_poly_1")["released"].as_array().unwrap().clone();
        let r = released.iter().find(|r| r["organisation"] == "ANAMA").unwrap();
        assert_eq!(r["outcome"], "CANCELLED");
        assert!((r["area_m2"].as_f64().unwrap() - west).abs() < 0.01, "{r}");
    }
    let tasks = ok(&db, &["export", "--layer", "tasks", "--format", "csv", "-"]);
    assert!(
        tasks.lines().any(|l| l.contains(",MIG-hazreduc_poly_2,hazard_poly_1,KDA,CLEARANCE,")),
        "{tasks}"
    );
    // The accident at its place (PROJ's Web Mercator and back), its codes through their domains.
    let accidents = ok(&db, &["export", "--layer", "accidents", "--format", "geojson", "-"]);
    let accidents: serde_json::Value = serde_json::from_str(&accidents).unwrap();
    let a1 = accidents["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["occurred_on"] == "2022-05-14")
        .expect("the migrated accident");
    let xy = &a1["geometry"]["coordinates"];
    assert!(
        (xy[0].as_f64().unwrap() - 46.9066).abs() < 1e-9 && (xy[1].as_f64().unwrap() - 39.966).abs() < 1e-9
    );
    let p = &a1["properties"];
    assert_eq!((p["kind"].as_str(), p["device_category"].as_str()), (Some("INCIDENT"), Some("AT")), "{p}");
    assert_eq!((p["killed"].as_i64(), p["injured"].as_i64()), (Some(1), Some(2)), "{p}");
    let sessions = ok(&db, &["export", "--layer", "eore_sessions", "--format", "csv", "-"]);
    assert!(
        sessions
            .lines()
            .any(|l| l.contains("2022-03-10") && l.contains("SCHOOL") && l.contains(",12,14,0,0,")),
        "{sessions}"
    );
    let h2 = hazard(&db, "hazard_poly_2");
    assert_eq!(h2["released"][0]["outcome"], "REDUCED", "linked by the hazard's globalid: {h2}");

    // Again, from the GeoPackage and from the same layers as a File
    // Geodatabase: everything is already there, nothing changes.
    let before = ok(&db, &["summary", "--json"]);
    let (_, stdout, _) = migrate(&db, &gpkg, &["--keep-going", reject_arg[0], reject_arg[1]]);
    assert!(stdout.contains("migrated 0, 3 already in the register, 7 refused"), "{stdout}");
    if require("ogr2ogr", "gdal-bin", test) {
        let gdb = dir.path().join("core-export.gdb");
        let status =
            Command::new("ogr2ogr").args(["-f", "OpenFileGDB"]).arg(&gdb).arg(&gpkg).status().unwrap();
        assert!(status.success());
        let (_, stdout, err) = migrate(&db, &gdb, &["--keep-going", reject_arg[0], reject_arg[1]]);
        assert!(
            stdout.contains("layer hazard_poly: read 10; migrated 0, 3 already in the register, 7 refused"),
            "{stdout}{err}"
        );
        assert!(stdout.contains("read 5; migrated 0, 3 already in the register, 2 refused"), "{stdout}");
        assert!(
            stdout.contains("layer accident: read 2; migrated 0, 1 already in the register, 1 refused"),
            "{stdout}"
        );
        assert!(
            stdout.contains("layer victim: read 4; migrated 0, 3 already in the register, 1 refused"),
            "{stdout}"
        );
        assert!(
            stdout.contains("layer eo: read 2; migrated 0, 1 already in the register, 1 refused"),
            "{stdout}"
        );
        assert!(
            stdout.contains("layer activity: read 2; migrated 0, 1 already in the register, 1 refused"),
            "{stdout}"
        );
        assert!(stdout.contains("core-export.gdb"), "named by the file given: {stdout}");
    }
    assert_eq!(ok(&db, &["summary", "--json"]), before);
    ok(&db, &["audit", "verify"]);
}

#[test]
fn the_core_template_lists_layers_columns_and_coded_values() {
    let test = "the_core_template_lists_layers_columns_and_coded_values";
    let dir = tempfile::tempdir().unwrap();
    let Some(gpkg) = export(dir.path(), test) else { return };
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let template = dir.path().join("mapping.toml");
    let out = ok(
        &db,
        &[
            "import-imsma",
            "core",
            gpkg.to_str().unwrap(),
            "--write-mapping-template",
            template.to_str().unwrap(),
        ],
    );
    assert!(out.contains("fill it in"), "{out}");
    let t = std::fs::read_to_string(&template).unwrap();
    for line in [
        "[core]",
        "# The columns of this export's layer hazard_poly (name: type)",
        "#   hazard_type: MEDIUMINT; coded values (use enum = true): 1 = Confirmed Hazardous Area, 2 = Suspected Hazardous Area",
        "#   reduction_type: MEDIUMINT; coded values (use enum = true): 1 = Cancelled, 2 = Reduced, 3 = Cleared",
        "#   imsma_links: TEXT",
    ] {
        assert!(t.contains(line), "{line} in\n{t}");
    }
    // The shipped mapping names no contamination: refused before anything is read.
    let err = fails(&db, &["import-imsma", "core", gpkg.to_str().unwrap(), "--organisation", "ANAMA"]);
    assert!(err.contains("contamination") && err.contains("--write-mapping-template"), "{err}");
    // A layer the export does not have is named, with the layers it has.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[core]\nhazard_layer = \"hazards\"\n[hazard]\ncontamination = { default = \"AP\" }\n",
    )
    .unwrap();
    let err = fails(
        &db,
        &[
            "import-imsma",
            "core",
            gpkg.to_str().unwrap(),
            "--mapping",
            bad.to_str().unwrap(),
            "--organisation",
            "ANAMA",
        ],
    );
    assert!(err.contains("has no table 'hazards'") && err.contains("hazard_poly, hazreduc_poly"), "{err}");
    // A guid column the layers do not have stops the migration, naming it.
    std::fs::write(&bad, "[core]\nguid = \"gid\"\n[hazard]\ncontamination = { default = \"AP\" }\n").unwrap();
    let err = fails(
        &db,
        &[
            "import-imsma",
            "core",
            gpkg.to_str().unwrap(),
            "--mapping",
            bad.to_str().unwrap(),
            "--organisation",
            "ANAMA",
        ],
    );
    assert!(err.contains("layer hazard_poly: it has no column 'gid'"), "{err}");
    let err = fails(&db, &["import-imsma", "core", "/nonexistent/export.gpkg", "--organisation", "ANAMA"]);
    assert!(err.contains("/nonexistent/export.gpkg"), "{err}");
}
