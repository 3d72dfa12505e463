//! `kpi`: the land-release indicators of a period, by organisation, checked
//! against tests/oracle/kpi_figures.py (its own SQL over the register's
//! tables, in Python); the CSV and the workbook carry the same rows.

mod common;
use common::*;
use serde_json::Value;
use std::process::Command;

#[test]
fn the_indicators_by_organisation_agree_with_the_registers_tables() {
    let test = "the_indicators_by_organisation_agree_with_the_registers_tables";
    if !require("python3", "python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let (from, to) = ("2021-01-01", "2026-12-31");
    let k: Value = serde_json::from_str(&ok(
        &db,
        &["kpi", "--from", from, "--to", to, "--by", "organisation", "--json"],
    ))
    .unwrap();
    let out = Command::new("python3")
        .arg(repo_file("tests/oracle/kpi_figures.py"))
        .args([db.to_str().unwrap(), from, to])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let o: Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = k["groups"].as_array().unwrap();
    assert_eq!(groups.len(), o.as_object().unwrap().len(), "{k}\n{o}");
    let mut cleared_total = 0.0;
    for g in groups {
        let name = g["group"].as_str().unwrap();
        let want = &o[name];
        for key in ["cancelled_m2", "reduced_m2", "cleared_m2"] {
            let (ours, theirs) = (g[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!((ours - theirs).abs() < 1e-6, "{name} {key}: {ours} against {theirs}");
        }
        assert_eq!(g["items_found"], want["items_found"], "{name}");
        assert_eq!(g["tasks_completed"], want["tasks_completed"], "{name}");
        let cleared = want["cleared_m2"].as_f64().unwrap();
        if cleared > 0.0 {
            let share = want["cleared_without"].as_f64().unwrap() / cleared;
            assert!((g["cleared_without_finds_share"].as_f64().unwrap() - share).abs() < 1e-9, "{name}");
            if let Some(items) = want["items_found"].as_i64().filter(|n| *n > 0) {
                let per = g["cleared_m2_per_item"].as_f64().unwrap();
                assert!((per - cleared / items as f64).abs() < 1e-6, "{name}");
            }
        }
        cleared_total += g["cleared_m2"].as_f64().unwrap();
    }
    assert!(cleared_total > 0.0, "the demo cleared ground");
    assert!((k["total"]["cleared_m2"].as_f64().unwrap() - cleared_total).abs() < 1e-6);

    // By month, the same total.
    let m: Value =
        serde_json::from_str(&ok(&db, &["kpi", "--from", from, "--to", to, "--by", "month", "--json"]))
            .unwrap();
    assert_eq!(m["total"], k["total"]);
    assert!(m["groups"].as_array().unwrap().iter().all(|g| g["group"].as_str().unwrap().len() == 7));

    // CSV and XLSX: the groups and the total, numbers as numbers.
    let csv = dir.path().join("kpi.csv");
    ok(&db, &["kpi", "--from", from, "--to", to, "--format", "csv", csv.to_str().unwrap()]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("group,cancelled_m2,reduced_m2,cleared_m2,items_found,"), "{text}");
    assert_eq!(text.lines().count(), groups.len() + 2);
    assert!(text.lines().last().unwrap().starts_with("total,"));
    if require("pypi:openpyxl", "openpyxl (pip)", test) {
        let book = dir.path().join("kpi.xlsx");
        ok(&db, &["kpi", "--from", from, "--to", to, "--format", "xlsx", book.to_str().unwrap()]);
        let script = "import openpyxl, sys\nrows = list(openpyxl.load_workbook(sys.argv[1])['KPI'].iter_rows(values_only=True))\n\
                      assert rows[-1][0] == 'total' and isinstance(rows[-1][3], float), rows[-1]\n\
                      assert abs(rows[-1][3] - float(sys.argv[2])) < 1e-6";
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(&book)
            .arg(k["total"]["cleared_m2"].to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let err = fails(&db, &["kpi", "--from", "2024-12-31", "--to", "2024-01-01"]);
    assert!(err.contains("--from 2024-12-31 is after --to 2024-01-01"), "{err}");
}
