//! The land-release story on the command line: a hazard from non-technical
//! survey to completion, every refusal, history, as-of, trace, unapproval,
//! and a crash in the middle of approvals.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn example(name: &str) -> String {
    repo_file(&format!("examples/reports/{name}")).to_str().unwrap().to_string()
}

fn submit_text(db: &Path, dir: &Path, name: &str, text: &str) -> std::process::Output {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    safeground(db, &["report", "submit", f.to_str().unwrap()])
}

fn submit(db: &Path, file: &str) -> String {
    ok(db, &["report", "submit", file]).trim().to_string()
}

fn summary(db: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["summary", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(db, &args)).unwrap()
}

fn hazard(db: &Path, code: &str) -> Value {
    serde_json::from_str(&ok(db, &["hazards", "show", code, "--json"])).unwrap()
}

#[test]
fn a_hazard_from_survey_to_completion() {
    if !require("Planimeter", "geographiclib-tools", "a_hazard_from_survey_to_completion")
        || !require("sqlite3", "sqlite3", "a_hazard_from_survey_to_completion")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let yesterday = (time::OffsetDateTime::now_utc().date().previous_day().unwrap()).to_string();
    let before = summary(&db, &["--as-of", &yesterday]);

    // 1. Non-technical survey records the hazard.
    let nts = submit(&db, &example("01-nts-new-hazard.json"));
    let listed: Vec<Value> =
        serde_json::from_str(&ok(&db, &["report", "list", "--state", "submitted", "--json"])).unwrap();
    assert!(listed.iter().any(|r| r["id"] == nts.as_str()));
    ok(&db, &["--actor", "im.officer", "report", "approve", &nts]);
    let h = hazard(&db, "AZ-AM-900001");
    assert_eq!(h["status"], "OPEN");
    assert_eq!(h["kind"], "SHA");
    let square = [(46.90, 39.96), (46.91, 39.96), (46.91, 39.97), (46.90, 39.97)];
    let whole = planimeter(&square);
    assert!((h["area_m2"]["recorded"].as_f64().unwrap() - whole).abs() < 1e-6 * whole);

    // The same code twice is refused; without a code the hazard gets the district's next one.
    let dup = submit(&db, &example("01-nts-new-hazard.json"));
    let err = fails(&db, &["report", "approve", &dup]);
    assert!(err.contains("hazard code AZ-AM-900001 is taken"), "{err}");
    let nts_text = std::fs::read_to_string(example("01-nts-new-hazard.json")).unwrap();
    let uncoded =
        submit_text(&db, dir.path(), "uncoded.json", &nts_text.replace("\"code\": \"AZ-AM-900001\",", ""));
    let uncoded = String::from_utf8(uncoded.stdout).unwrap().trim().to_string();
    ok(&db, &["report", "approve", &uncoded]);
    assert_eq!(hazard(&db, "AZ-AM-900002")["name"], h["name"]);
    ok(&db, &["report", "reject", &dup, "--reason", "duplicate of AZ-AM-900001"]);

    // 2. The task goes to QHD; only QHD may report on it, and not before it was issued.
    let code = ok(
        &db,
        &[
            "task",
            "issue",
            "--hazard",
            "AZ-AM-900001",
            "--organisation",
            "QHD",
            "--activity",
            "TS",
            "--issued",
            "2024-04-01",
            "--due",
            "2025-12-31",
        ],
    );
    assert_eq!(code.trim(), "T-AZ-AM-900001");
    let ts_text = std::fs::read_to_string(example("02-ts.json")).unwrap();
    let out = submit_text(&db, dir.path(), "amc.json", &ts_text.replace("\"QHD\"", "\"AMC\""));
    let amc = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let err = fails(&db, &["report", "approve", &amc]);
    assert!(err.contains("given to another operator"), "{err}");
    let early = submit_text(&db, dir.path(), "early.json", &ts_text.replace("2024-05-02", "2024-03-02"));
    let early = String::from_utf8(early.stdout).unwrap().trim().to_string();
    let err = fails(&db, &["report", "approve", &early]);
    assert!(err.contains("before task T-AZ-AM-900001 was issued"), "{err}");
    ok(&db, &["report", "reject", &amc, "--reason", "wrong operator"]);
    ok(&db, &["report", "reject", &early, "--reason", "dates wrong"]);
    let err = fails(&db, &["report", "reject", &amc, "--reason", "again"]);
    assert!(err.contains("it is REJECTED, not SUBMITTED"), "{err}");

    // 3. Technical survey confirms it and reduces the south-west half.
    let ts = submit(&db, &example("02-ts.json"));
    ok(&db, &["report", "approve", &ts]);
    let h = hazard(&db, "AZ-AM-900001");
    assert_eq!((h["kind"].as_str(), h["status"].as_str()), (Some("CHA"), Some("WORKED_ON")));
    let half_sw = planimeter(&[(46.90, 39.96), (46.91, 39.96), (46.90, 39.97)]);
    let half_ne = planimeter(&[(46.91, 39.96), (46.91, 39.97), (46.90, 39.97)]);
    assert!((h["area_m2"]["reduced"].as_f64().unwrap() - half_sw).abs() < 1e-6 * half_sw, "{h}");
    assert!((h["area_m2"]["remaining"].as_f64().unwrap() - half_ne).abs() < 1e-6 * whole, "{h}");

    // Refusals: the same ground twice, ground outside the hazard, an empty report, the future.
    let again = submit_text(&db, dir.path(), "again.json", &ts_text.replace("\"confirm\": true,", ""));
    let again = String::from_utf8(again.stdout).unwrap().trim().to_string();
    let err = fails(&db, &["report", "approve", &again]);
    assert!(err.contains("released already"), "{err}");
    let outside = ts_text.replace(
        "[[[46.90, 39.96], [46.91, 39.96], [46.90, 39.97], [46.90, 39.96]]]",
        "[[[46.90, 39.96], [46.92, 39.96], [46.90, 39.97], [46.90, 39.96]]]",
    );
    let outside = submit_text(&db, dir.path(), "outside.json", &outside);
    let outside = String::from_utf8(outside.stdout).unwrap().trim().to_string();
    let err = fails(&db, &["report", "approve", &outside]);
    assert!(err.contains("outside its hazard"), "{err}");
    let out = submit_text(
        &db,
        dir.path(),
        "empty.json",
        r#"{"type":"CLEARANCE","organisation":"QHD","task":"T-AZ-AM-900001","start_date":"2024-06-01","end_date":"2024-06-02"}"#,
    );
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = submit_text(&db, dir.path(), "future.json", &ts_text.replace("2024-05-20", "2099-05-20"));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("future"));
    let out = submit_text(&db, dir.path(), "backwards.json", &ts_text.replace("2024-05-20", "2024-04-20"));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("before it starts"));

    // 4. Clearance completes it: nothing remains, the hazard closes.
    let cl = submit(&db, &example("03-clearance-completion.json"));
    ok(&db, &["report", "approve", &cl]);
    let h = hazard(&db, "AZ-AM-900001");
    assert_eq!(h["status"], "CLOSED");
    assert_eq!(h["area_m2"]["remaining"].as_f64().unwrap(), 0.0);
    assert!((h["area_m2"]["cleared"].as_f64().unwrap() - half_ne).abs() < 1e-6 * whole);
    assert_eq!(h["eo_finds"], 3);
    let team = Command::new("sqlite3")
        .arg(&db)
        .arg(format!(
            "SELECT t.name FROM activities a JOIN teams t ON t.id = a.team_id WHERE a.report_id = '{cl}'"
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&team.stdout).trim(), "QHD manual clearance team 2");

    // 5. A failed QC re-opens the cleared ground; unapproving the QC closes it again.
    let cleared_id = h["released"].as_array().unwrap().iter().find(|r| r["outcome"] == "CLEARED").unwrap()
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let qm_text = std::fs::read_to_string(example("04-qm-inspection.json"))
        .unwrap()
        .replace("RELEASED-AREA-UUID", &cleared_id);
    let qm = submit_text(&db, dir.path(), "qm.json", &qm_text);
    let qm = String::from_utf8(qm.stdout).unwrap().trim().to_string();
    ok(&db, &["report", "approve", &qm]);
    let h = hazard(&db, "AZ-AM-900001");
    assert_eq!(h["status"], "WORKED_ON");
    // Its sample, a share of the cleared triangle, measured as GeographicLib's Planimeter does.
    let listed: Value = serde_json::from_str(&ok(&db, &["inspection", "list", "--json"])).unwrap();
    let i = &listed[0];
    assert_eq!(
        (i["kind"].as_str(), i["items_found"].as_i64(), i["report"].as_str()),
        (Some("QC"), Some(1), Some(qm.as_str()))
    );
    assert_eq!(i["reopened"], serde_json::json!([cleared_id]));
    if require("Planimeter", "geographiclib-tools", "a_hazard_from_survey_to_completion") {
        let sample = planimeter(&[(46.907, 39.967), (46.909, 39.967), (46.909, 39.969), (46.907, 39.969)]);
        let triangle = planimeter(&[(46.91, 39.96), (46.91, 39.97), (46.90, 39.97)]);
        assert!((i["sample_m2"].as_f64().unwrap() - sample).abs() < 1e-6 * sample, "{i} vs {sample}");
        assert!(
            (i["inspected_m2"].as_f64().unwrap() - triangle).abs() < 1e-6 * triangle,
            "{i} vs {triangle}"
        );
        assert!((i["share"].as_f64().unwrap() - sample / triangle).abs() < 1e-9, "{i}");
    }
    assert!((h["area_m2"]["remaining"].as_f64().unwrap() - half_ne).abs() < 1e-6 * whole);
    // The point in the north-east half: the NTS recorded it, the TS confirmed the hazard (a new
    // version) but released the other half, the clearance released it and the QC re-opened it.
    let trace: Vec<Value> = serde_json::from_str(&ok(&db, &["trace", "46.908", "39.968", "--json"])).unwrap();
    let ids: Vec<&str> = trace.iter().map(|t| t["report_id"].as_str().unwrap()).collect();
    for r in [&nts, &cl, &qm] {
        assert!(ids.contains(&r.as_str()), "trace misses {r}: {trace:?}");
    }
    let ts_rows: Vec<&Value> = trace.iter().filter(|t| t["report_id"] == ts.as_str()).collect();
    assert!(
        !ts_rows.is_empty() && ts_rows.iter().all(|t| t["what"].as_str().unwrap().contains("version")),
        "{ts_rows:?}"
    );
    assert!(trace
        .iter()
        .any(|t| t["report_id"] == cl.as_str() && t["what"].as_str().unwrap().contains("re-opened by QM")));
    // Unapproving the TS is refused while later reports stand on it.
    let err = fails(&db, &["report", "unapprove", &ts, "--reason", "x"]);
    assert!(err.contains("approved later") && err.contains("unapprove it first"), "{err}");
    ok(&db, &["report", "unapprove", &qm, "--reason", "QC sample was taken outside the lane"]);
    let h = hazard(&db, "AZ-AM-900001");
    assert_eq!(h["status"], "CLOSED");
    assert_eq!(h["area_m2"]["remaining"].as_f64().unwrap(), 0.0);

    // History: every version with the report and actor that made it.
    let history: Vec<Value> =
        serde_json::from_str(&ok(&db, &["history", "hazard", "AZ-AM-900001", "--json"])).unwrap();
    let statuses: Vec<&str> = history.iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["OPEN", "WORKED_ON", "CLOSED", "WORKED_ON", "CLOSED"]);
    assert_eq!(history[0]["actor"], "im.officer");
    assert!(history.iter().take(4).all(|v| !v["valid_to"].is_null()) && history[4]["valid_to"].is_null());

    // 6. Other report types: EOD spot task, EO find, accident (personal data kept apart), EORE.
    for f in ["05-eod-spot-task.json", "06-eo-find.json", "07-accident.json", "08-eore-session.json"] {
        let id = submit(&db, &example(f));
        ok(&db, &["report", "approve", &id]);
    }
    let shown = ok(&db, &["report", "list", "--json"]);
    assert!(!shown.contains("Example Person"), "personal data leaked into the report list");
    let acc: Vec<Value> = serde_json::from_str(&shown).unwrap();
    let acc_id = acc.iter().find(|r| r["type"] == "ACCIDENT").unwrap()["id"].as_str().unwrap().to_string();
    let body = ok(&db, &["report", "show", &acc_id, "--json"]);
    assert!(!body.contains("Example Person") && !body.contains("+994"), "{body}");
    let names = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT full_name FROM victim_identities WHERE full_name LIKE 'Example%'")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout).trim(), "Example Person (fictional)");

    // 7. As of yesterday, the register is as it was before today's approvals: reproducible.
    assert_eq!(before, summary(&db, &["--as-of", &yesterday]));
    let now = summary(&db, &[]);
    assert_eq!(
        now["totals"]["hazards"]["total"].as_i64().unwrap(),
        before["totals"]["hazards"]["total"].as_i64().unwrap() + 2
    );
}

#[test]
fn the_past_is_rebuilt_from_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "150", "--no-serve"]);
    let mut last_hazards = 0;
    let mut last_cleared = 0.0;
    for day in
        ["2020-12-31", "2021-12-31", "2022-12-31", "2023-12-31", "2024-12-31", "2025-12-31", "2026-11-27"]
    {
        let s = summary(&db, &["--as-of", day]);
        let h = s["totals"]["hazards"]["total"].as_i64().unwrap();
        let cleared = s["totals"]["area_m2"]["cleared"].as_f64().unwrap();
        assert!(h >= last_hazards, "{day}: hazards cannot disappear without an unapproval");
        assert!(cleared >= last_cleared, "{day}: cleared ground only grows without a failed QC");
        if day == "2020-12-31" {
            assert_eq!(h, 0, "nothing was recorded before 2021");
        }
        last_hazards = h;
        last_cleared = cleared;
    }
    assert_eq!(summary(&db, &["--as-of", "2026-11-27"]), summary(&db, &[]), "the present is the last past");
    assert_eq!(summary(&db, &["--as-of", "2023-06-30"]), summary(&db, &["--as-of", "2023-06-30"]));
    let err = fails(&db, &["summary", "--as-of", "30/06/2023"]);
    assert!(err.contains("write YYYY-MM-DD"), "{err}");
}

#[test]
fn a_crash_during_approvals_leaves_a_consistent_register() {
    if !require("sqlite3", "sqlite3", "a_crash_during_approvals_leaves_a_consistent_register") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.gpkg");
    // The demo approves thousands of reports, 5,000 hazard stories to a write; kill it part-way.
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .args(["--db", db.to_str().unwrap(), "demo", "--scale", "20000", "--no-serve"])
        .spawn()
        .unwrap();
    // Wait until a write has committed (WAL lets us read while it writes), then kill it.
    let building = dir.path().join(format!("big.gpkg.building-{}", child.id()));
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let out = Command::new("sqlite3")
            .arg(&building)
            .arg("SELECT count(*) FROM reports WHERE state = 'APPROVED'")
            .output()
            .unwrap();
        let n: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        if n > 0 || started.elapsed().as_secs() > 120 {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!db.exists(), "an interrupted demo is never moved into place");
    let building: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(&format!("building-{}", child.id())))
        .collect();
    assert_eq!(building.len(), 1, "the half-built file is left for inspection: {building:?}");
    let file = &building[0];
    let q = |sql: &str| -> String {
        let out = Command::new("sqlite3").arg(file).arg(sql).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(q("PRAGMA integrity_check"), "ok");
    assert_eq!(q("PRAGMA foreign_key_check"), "");
    let approved: i64 = q("SELECT count(*) FROM reports WHERE state = 'APPROVED'").parse().unwrap();
    assert!(approved > 0, "the kill came after a write committed");
    // Every committed row in its spatial index, whether the writes filled
    // it at their end or its trigger row by row (released areas), and the
    // insert triggers the killed write had dropped back, word for word.
    if require("python3:sqlite3", "python3", "a_crash_during_approvals_leaves_a_consistent_register") {
        for (table, index) in [
            ("hazards", "rtree_hazards_geom"),
            ("hazard_versions", "sg_version_extents"),
            ("eo_finds", "rtree_eo_finds_geom"),
            ("accidents", "rtree_accidents_geom"),
            ("eore_sessions", "rtree_eore_sessions_geom"),
            ("released_areas", "rtree_released_areas_geom"),
        ] {
            assert!(index_boxes(file, table, index) > 0, "{table}");
        }
        let fresh = dir.path().join("fresh.gpkg");
        ok(&fresh, &["init"]);
        let want = triggers(&fresh);
        assert!(want.contains("rtree_eo_finds_geom_insert") && want.contains("sg_version_extents_insert"));
        assert_eq!(triggers(file), want, "the triggers as the register's migrations made them");
    }
    // Nothing half-applied: every approved report has its event, every effect its approved report,
    // and every hazard's figures are those of its current version.
    assert_eq!(
        q("SELECT count(*) FROM reports r WHERE state = 'APPROVED' AND NOT EXISTS
                  (SELECT 1 FROM events e WHERE e.report_id = r.id AND e.kind = 'REPORT_APPROVED')"),
        "0"
    );
    for t in ["released_areas", "eo_finds", "accidents", "eore_sessions", "activities"] {
        assert_eq!(
            q(&format!(
                "SELECT count(*) FROM {t} x WHERE NOT EXISTS
                  (SELECT 1 FROM reports r WHERE r.id = x.report_id AND r.state = 'APPROVED')"
            )),
            "0",
            "{t}"
        );
    }
    assert_eq!(q("SELECT count(*) FROM hazards h JOIN hazard_versions v ON v.hazard_id = h.id AND v.valid_to IS NULL
                  WHERE v.version <> h.version OR v.status <> h.status OR abs(v.area_remaining_m2 - h.area_remaining_m2) > 1e-9"), "0");
    assert_eq!(q("SELECT count(*) FROM hazards WHERE area_remaining_m2 < 0
                  OR area_cancelled_m2 + area_reduced_m2 + area_cleared_m2 > area_recorded_m2 * (1 + 1e-6) + 0.01"), "0");
}

/// A survey that re-draws a hazard smaller: a place inside the old boundary
/// but outside the new still traces to the report that recorded it there
/// (the spatial index holds only the current boundary; `trace` finds the
/// versions drawn otherwise).
#[test]
fn a_place_a_resurvey_left_out_still_traces_to_the_report_that_took_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let nts = submit(&db, &example("01-nts-new-hazard.json"));
    ok(&db, &["report", "approve", &nts]);
    let resurvey = r#"{"type": "NTS", "organisation": "ANAMA", "hazard": "AZ-AM-900001",
      "start_date": "2024-04-01", "end_date": "2024-04-02",
      "hazard_geometry": {"type": "Polygon", "coordinates": [[[46.90, 39.96], [46.905, 39.96], [46.905, 39.97], [46.90, 39.97], [46.90, 39.96]]]}}"#;
    let out = submit_text(&db, dir.path(), "resurvey.json", resurvey);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resurvey = String::from_utf8(out.stdout).unwrap().trim().to_string();
    ok(&db, &["report", "approve", &resurvey]);
    let at = |lon: &str| -> Vec<(String, String)> {
        let rows: Vec<Value> = serde_json::from_str(&ok(&db, &["trace", lon, "39.965", "--json"])).unwrap();
        rows.iter()
            .filter(|r| r["hazard"] == "AZ-AM-900001")
            .map(|r| (r["report_id"].as_str().unwrap().to_string(), r["what"].as_str().unwrap().to_string()))
            .collect()
    };
    // Left out by the re-survey: only the first version held it.
    assert_eq!(at("46.908"), vec![(nts.clone(), "recorded the hazard".to_string())]);
    // Kept: both versions hold it.
    assert_eq!(
        at("46.902"),
        vec![
            (nts, "recorded the hazard".to_string()),
            (resurvey, "made version 2 of the hazard (OPEN)".to_string())
        ]
    );
}
