//! `priorities`: the hazards still dangerous ranked by a scenario, each
//! criterion's measure recomputed by GDAL/PROJ from the GeoPackage
//! (tests/oracle/priority_figures.py); the ranking written as CSV and as a
//! GeoPackage GDAL reads, compared with a second scenario, sealed in the
//! history, and tasked from; a scenario that cannot be used named by field.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn ranking(db: &Path, scenario: &str) -> Value {
    serde_json::from_str(&ok(db, &["priorities", "--scenario", scenario, "--json"])).unwrap()
}

#[test]
fn the_ranking_explains_itself_and_agrees_with_gdal() {
    let test = "the_ranking_explains_itself_and_agrees_with_gdal";
    if !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "40", "--no-serve"]);
    let scenario = repo_file("scenarios/default.toml");
    let scenario = scenario.to_str().unwrap();
    let r = ranking(&db, scenario);
    let ranked = r["ranked"].as_array().unwrap();
    assert!(ranked.len() >= 10, "{r}");
    // Still dangerous only, by the default filter.
    let hazards: Value = serde_json::from_str(&ok(&db, &["hazards", "list", "--json"])).unwrap();
    let dangerous =
        hazards.as_array().unwrap().iter().filter(|h| h["status"] == "OPEN" || h["status"] == "WORKED_ON");
    assert_eq!(dangerous.count(), ranked.len());
    // Every criterion's measure, and the arithmetic, recomputed independently.
    let file = dir.path().join("ranking.json");
    std::fs::write(&file, r.to_string()).unwrap();
    let agreed = oracle("priority_figures.py", &[&db, Path::new(scenario), &file]);
    assert!(agreed.contains("hazards agree"), "{agreed}");
    // The explanation people read: the first hazard's contributions name what counts.
    let first = &ranked[0];
    assert_eq!(first["rank"], 1);
    let named: Vec<&str> =
        first["contributions"].as_array().unwrap().iter().map(|c| c["criterion"].as_str().unwrap()).collect();
    assert_eq!(named, ["population", "casualties", "land_use", "access", "evidence", "cost"]);
    let table = ok(&db, &["priorities", "--top", "3"]);
    assert!(table.contains(first["code"].as_str().unwrap()) && table.contains("team-days"), "{table}");

    // As CSV and as a GeoPackage layer GDAL reads, the same order.
    let csv = dir.path().join("top.csv");
    ok(&db, &["priorities", "--top", "5", "--format", "csv", csv.to_str().unwrap()]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("rank,code,name,district,kind,status,remaining_m2,score,points_population,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 6);
    let gpkg = dir.path().join("top.gpkg");
    ok(&db, &["priorities", "--top", "5", "--format", "gpkg", gpkg.to_str().unwrap()]);
    if require("ogrinfo", "gdal-bin", "the_ranking_explains_itself_and_agrees_with_gdal") {
        let out = std::process::Command::new("ogrinfo")
            .args(["-ro", "-so", gpkg.to_str().unwrap(), "priorities"])
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(info.contains("Feature Count: 5") && info.contains("Multi Polygon"), "{info}");
        let out = std::process::Command::new("ogr2ogr")
            .args(["-f", "CSV", "/vsistdout/", gpkg.to_str().unwrap(), "priorities", "-select", "rank,code"])
            .output()
            .unwrap();
        let rows = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(rows.contains(&format!("\"1\",{}", first["code"].as_str().unwrap())), "{rows}");
    }
    // Written whole or not at all: a second run does not replace it without --force.
    let err = fails(&db, &["priorities", "--format", "csv", csv.to_str().unwrap()]);
    assert!(err.contains("--force"), "{err}");
}

#[test]
fn two_scenarios_compare_and_a_sealed_ranking_is_tasked_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "40", "--no-serve"]);
    // Only confirmed ground, by evidence alone, away from a line through Füzuli.
    let line = dir.path().join("line.geojson");
    std::fs::write(&line, r#"{"type":"LineString","coordinates":[[47.0,39.3],[47.3,39.8]]}"#).unwrap();
    let second = dir.path().join("cha.toml");
    std::fs::write(
        &second,
        "name = \"Confirmed ground\"\n[criteria.evidence]\nweight = 1\n[filter]\nkinds = [\"CHA\"]\n\
         away_from = { line = \"line.geojson\", km = 3 }\n",
    )
    .unwrap();
    let cha = ranking(&db, second.to_str().unwrap());
    assert!(cha["ranked"].as_array().unwrap().iter().all(|r| r["kind"] == "CHA"), "{cha}");
    let side = ok(&db, &["priorities", "--compare", second.to_str().unwrap(), "--top", "10"]);
    assert!(side.contains("A: People first") && side.contains("B: Confirmed ground"), "{side}");
    assert_eq!(side.lines().count(), 13, "{side}");

    // Sealed: the scenario and the whole ranking are in the history.
    let out = safeground(&db, &["priorities", "--seal"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(code.starts_with("RANK-"), "{code}");
    assert!(ok(&db, &["audit", "verify"]).contains("The history is intact."));
    // Tasked: the first hazards that hold no open task, once.
    let issued = ok(&db, &["task", "issue", "--from-ranking", &code, "--top", "8", "--organisation", "QHD"]);
    let issued: Vec<&str> = issued.lines().collect();
    assert!(!issued.is_empty(), "the demo's first eight all hold tasks?");
    let sealed = ranking(&db, repo_file("scenarios/default.toml").to_str().unwrap());
    let top8: Vec<String> = sealed["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .take(8)
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect();
    for t in &issued {
        assert!(top8.iter().any(|h| t.starts_with(&format!("T-{h}-"))), "{t} not among {top8:?}");
    }
    let again =
        safeground(&db, &["task", "issue", "--from-ranking", &code, "--top", "8", "--organisation", "QHD"]);
    assert!(again.status.success() && String::from_utf8_lossy(&again.stdout).trim().is_empty());
    assert!(String::from_utf8_lossy(&again.stderr).contains("none issued"));
    assert!(ok(&db, &["audit", "verify"]).contains("The history is intact."));
    let err = fails(&db, &["task", "issue", "--from-ranking", "RANK-1999-01-01-01", "--organisation", "QHD"]);
    assert!(err.contains("RANK-1999-01-01-01"), "{err}");
}

#[test]
fn a_scenario_that_cannot_be_used_is_named_by_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\n[criteria.population]\nweight = 1\nwithin_m = -5\n").unwrap();
    let err = fails(&db, &["priorities", "--scenario", bad.to_str().unwrap()]);
    assert!(err.contains("bad.toml") && err.contains("criteria.population.within_m: -5"), "{err}");
    std::fs::write(&bad, "name = \"x\"\n[criteria.land_use]\nweight = 1\nvalues = { SCHOOLS = 1 }\n")
        .unwrap();
    let err = fails(&db, &["priorities", "--scenario", bad.to_str().unwrap()]);
    assert!(err.contains("line 4") && err.contains("SCHOOLS"), "{err}");
    std::fs::write(&bad, "name = \"x\"\n[criteria.evidence]\nweight = 1\n[filter]\naway_from = { line = \"none.geojson\", km = 2 }\n").unwrap();
    let err = fails(&db, &["priorities", "--scenario", bad.to_str().unwrap()]);
    assert!(err.contains("filter.away_from.line") && err.contains("none.geojson"), "{err}");
}
