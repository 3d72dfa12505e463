//! Projects and donor reports: `project add|fund|list` refuse what a grant
//! cannot be (every problem named, nothing half-written) and are sealed in the
//! history; `donor-report`'s figures recomputed independently
//! (tests/oracle/donor_figures.py: released ground from the exported layer,
//! its areas on the ellipsoid with GeographicLib; finds and risk education
//! from their layers) and compared; the workbook read by openpyxl; the PDF by
//! poppler.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const PROJECT: &str = "EU-2023-01";

fn today() -> String {
    let out = Command::new("date").args(["-u", "+%Y-%m-%d"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The demo with project EU-2023-01 funding the tasks issued in 2023–2024,
/// one of which reported a risk education session; returns the tasks.
fn funded_register(db: &Path, dir: &Path) -> Vec<String> {
    ok(db, &["demo", "--scale", "30", "--no-serve"]);
    let add = [
        "project",
        "add",
        "--code",
        PROJECT,
        "--donor",
        "European Union",
        "--name",
        "Clearance in Xocalı and Kəlbəcər",
        "--budget",
        "2500000",
        "--currency",
        "EUR",
        "--starts",
        "2023-01-01",
        "--ends",
        "2024-12-31",
    ];
    ok(db, &add);
    let tasks: Vec<String> = query(
        db,
        // The clearance tasks (not the investigations of residual contamination).
        "SELECT code FROM tasks WHERE issued_on BETWEEN '2023-01-01' AND '2024-12-31' AND code NOT LIKE 'INV-%'
         ORDER BY code",
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|r| r[0].as_str().unwrap().to_string())
    .collect();
    assert!(tasks.len() >= 3, "{tasks:?}");
    let args: Vec<&str> =
        ["project", "fund", PROJECT].into_iter().chain(tasks.iter().map(String::as_str)).collect();
    ok(db, &args);
    // A session of risk education reported under one of them, by its operator.
    let first = &query(
        db,
        &format!(
            "SELECT t.code, o.acronym, (SELECT s.name FROM settlements s WHERE s.district_id = h.district_id LIMIT 1)
             FROM tasks t JOIN organisations o ON o.id = t.organisation_id JOIN hazards h ON h.id = t.hazard_id
             WHERE t.code = '{}'",
            tasks[0]
        ),
    )[0];
    let report = serde_json::json!({
        "type": "EORE_SESSION", "organisation": first[1], "task": first[0],
        "start_date": "2024-06-10", "end_date": "2024-06-10",
        "session": {"kind": "PRESENTATION", "audience": "SCHOOL", "settlement": first[2],
                    "reach": {"girls": 12, "boys": 9, "women": 4, "men": 2}}
    });
    let file = dir.join("eore.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let id = ok(db, &["report", "submit", file.to_str().unwrap()]).trim().to_string();
    ok(db, &["report", "approve", &id]);
    tasks
}

fn oracle_figures(db: &Path, dir: &Path, from: &str, to: &str) -> Value {
    let files: Vec<std::path::PathBuf> = ["released_areas", "eo_finds", "eore_sessions"]
        .iter()
        .map(|layer| {
            let out = dir.join(format!("{layer}.geojson"));
            let args = ["export", "--layer", layer, "--format", "geojson", "--as-of", to, "--force"];
            ok(db, &[&args[..], &[out.to_str().unwrap()]].concat());
            out
        })
        .collect();
    let out = Command::new("/usr/bin/python3")
        .arg(repo_file("tests/oracle/donor_figures.py"))
        .arg(db)
        .args([PROJECT, from, to])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn a_donor_report_holds_what_the_projects_tasks_did() {
    let test = "a_donor_report_holds_what_the_projects_tasks_did";
    if !require("python3", "python3", test) || !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    let tasks = funded_register(&db, dir.path());
    let (from, to) = ("2023-01-01".to_string(), today());
    let args = ["donor-report", "--project", PROJECT, "--from", &from, "--to", &to, "--format", "json", "-"];
    let r: Value = serde_json::from_str(&ok(&db, &args)).unwrap();
    let o = oracle_figures(&db, dir.path(), &from, &to);

    let total = &r["by_month"]["total"];
    for outcome in ["cancelled", "reduced", "cleared"] {
        let ours = total[format!("{outcome}_m2")].as_f64().unwrap();
        let theirs = o["released_m2"][outcome].as_f64().unwrap_or(0.0);
        assert!(close(ours, theirs), "{outcome}: {ours} vs {theirs}");
    }
    assert!(total["cleared_m2"].as_f64().unwrap() > 0.0, "not a comparison of nothings: {total}");
    assert_eq!(r["by_district"]["total"]["cleared_m2"], total["cleared_m2"]);
    let found: serde_json::Map<String, Value> = r["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["eo_type"].as_str().unwrap().to_string(), i["quantity"].clone()))
        .collect();
    assert_eq!(Value::Object(found), o["found"]);
    assert_eq!(
        total["items_found"].as_i64().unwrap(),
        o["found"].as_object().unwrap().values().map(|v| v.as_i64().unwrap()).sum::<i64>()
    );
    assert_eq!(r["sessions"], o["sessions"]);
    assert_eq!(r["sessions"], 1);
    assert_eq!(r["reached"], o["reached"]);
    let listed: Vec<&str> =
        r["tasks"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(serde_json::json!(listed), o["tasks"]);
    assert_eq!(listed, tasks);
    let released =
        ["cancelled_m2", "reduced_m2", "cleared_m2"].iter().map(|k| total[k].as_f64().unwrap()).sum::<f64>();
    assert!(close(r["budget_per_m2"].as_f64().unwrap(), 2_500_000.0 / released));

    // Made again from the same register: the same but for the time it was made.
    let mut again: Value = serde_json::from_str(&ok(&db, &args)).unwrap();
    let mut first = r.clone();
    for x in [&mut first, &mut again] {
        x["cover"]["produced_at"] = Value::Null;
    }
    assert_eq!(first, again);

    // What cannot be made is refused, nothing written.
    let report = |extra: &[&str]| -> Vec<String> {
        let base = ["donor-report", "--project", PROJECT, "--from", "2024-01-01", "--to", "2024-12-31"];
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| fails(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = run(vec![
        "donor-report".into(),
        "--project".into(),
        PROJECT.into(),
        "--from".into(),
        "2024-12-31".into(),
        "--to".into(),
        "2024-01-01".into(),
        "-".into(),
    ]);
    assert!(err.contains("is after --to"), "{err}");
    assert!(run(report(&["--format", "pdf", "-"])).contains("a workbook or a PDF goes to a file"));
    let err = fails(
        &db,
        &[
            "donor-report",
            "--project",
            "NOPE",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "-",
            "--format",
            "json",
        ],
    );
    assert!(err.contains("project 'NOPE' is not in the register"), "{err}");
    let taken = dir.path().join("taken.pdf");
    std::fs::write(&taken, "keep").unwrap();
    assert!(run(report(&[taken.to_str().unwrap()])).contains("exists: add --force"));
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep");

    // A period before the project's work: nothing, and no budget per m².
    let args = [
        "donor-report",
        "--project",
        PROJECT,
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--format",
        "json",
        "-",
    ];
    let none: Value = serde_json::from_str(&ok(&db, &args)).unwrap();
    assert_eq!(none["by_month"]["total"]["cleared_m2"], 0.0);
    assert!(none["budget_per_m2"].is_null());

    if require("pypi:openpyxl", "openpyxl (pip)", test) {
        workbook_holds_the_report(&db, dir.path(), &from, &to, &r);
    }
    if require("pdftotext", "poppler-utils", test) {
        pdf_holds_the_report(&db, dir.path(), &from, &to, &r);
    }
}

fn workbook_holds_the_report(db: &Path, dir: &Path, from: &str, to: &str, r: &Value) {
    let book = dir.join("donor.xlsx");
    let args = [
        "donor-report",
        "--project",
        PROJECT,
        "--from",
        from,
        "--to",
        to,
        "--format",
        "xlsx",
        "--lang",
        "az",
    ];
    ok(db, &[&args[..], &[book.to_str().unwrap()]].concat());
    let script = r#"
import json, openpyxl, sys
wb = openpyxl.load_workbook(sys.argv[1])
r = json.loads(sys.argv[2])
assert wb.sheetnames == ["Cover", "By month", "By district", "EO found", "Risk education", "Tasks"], wb.sheetnames
months = list(wb["By month"].iter_rows(values_only=True))
assert months[0][0] == "Ay / rayon", months[0]
total = months[-1]
assert total[0] == "Cəmi", total
want = r["by_month"]["total"]
for i, k in enumerate(["cancelled_m2", "reduced_m2", "cleared_m2"], start=1):
    assert isinstance(total[i], float) and abs(total[i] - want[k]) < 1e-6, (total, want)
assert total[4] == want["items_found"] and total[5] == want["tasks_completed"], total
assert len(months) - 2 == len(r["by_month"]["groups"])
assert wb["By month"].freeze_panes == "A2"
tasks = [row[0] for row in wb["Tasks"].iter_rows(min_row=2, values_only=True)]
assert tasks == [t["code"] for t in r["tasks"]], tasks
"#;
    let out = Command::new("python3").args(["-c", script]).arg(&book).arg(r.to_string()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn pdf_holds_the_report(db: &Path, dir: &Path, from: &str, to: &str, r: &Value) {
    let pdf = dir.join("donor.pdf");
    let args = ["donor-report", "--project", PROJECT, "--from", from, "--to", to, "--format", "pdf"];
    ok(db, &[&args[..], &[pdf.to_str().unwrap()]].concat());
    let out =
        Command::new("pdftotext").args(["-layout", "-enc", "UTF-8"]).arg(&pdf).arg("-").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let en = |v: f64| {
        let digits = format!("{:.0}", v);
        let mut s = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                s.push(',');
            }
            s.push(c);
        }
        s
    };
    let t = &r["by_month"]["total"];
    let want = format!(
        "Total {} {} {} {} {}",
        en(t["cancelled_m2"].as_f64().unwrap()),
        en(t["reduced_m2"].as_f64().unwrap()),
        en(t["cleared_m2"].as_f64().unwrap()),
        t["items_found"],
        t["tasks_completed"]
    );
    let rows: Vec<String> =
        text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert!(rows.iter().filter(|l| **l == want).count() == 2, "by month and by district: {want}\n{text}");
    assert!(text.contains("2,500,000.00 EUR"), "{text}");
    assert!(text.contains("Clearance in Xocalı and Kəlbəcər"));
    for task in r["tasks"].as_array().unwrap() {
        assert!(text.contains(task["code"].as_str().unwrap()));
    }
    assert!(text.contains("The project's ground"), "the map's title");
    let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.split_whitespace().rev().nth(4) == Some("yes")),
        "{fonts}"
    );
}

#[test]
fn a_project_or_funding_that_cannot_be_is_refused_whole_and_the_history_seals_them() {
    let test = "a_project_or_funding_that_cannot_be_is_refused_whole_and_the_history_seals_them";
    if !require("python3", "python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    let tasks = funded_register(&db, dir.path());
    // Every problem named.
    let bad = [
        "project",
        "add",
        "--code",
        "US 1",
        "--donor",
        "USA",
        "--name",
        "Survey",
        "--budget=-5",
        "--currency",
        "usd",
        "--starts",
        "2024-01-01",
        "--ends",
        "2023-01-01",
    ];
    let err = fails(&db, &bad);
    for part in ["code 'US 1'", "budget -5", "currency 'usd'", "would end (2023-01-01) before it starts"] {
        assert!(err.contains(part), "{part}: {err}");
    }
    let again = [
        "project",
        "add",
        "--code",
        PROJECT,
        "--donor",
        "EU",
        "--name",
        "n",
        "--budget",
        "1",
        "--currency",
        "EUR",
        "--starts",
        "2024-01-01",
        "--ends",
        "2024-12-31",
    ];
    assert!(fails(&db, &again).contains("the code is another project's"));
    // A task funded already; one issued outside the dates; all or nothing.
    ok(
        &db,
        &[
            "project",
            "add",
            "--code",
            "US-2025",
            "--donor",
            "USA",
            "--name",
            "Survey",
            "--budget",
            "100000",
            "--currency",
            "USD",
            "--starts",
            "2025-01-01",
            "--ends",
            "2026-12-31",
        ],
    );
    let later: Vec<String> =
        query(&db, "SELECT code FROM tasks WHERE issued_on >= '2025-01-01' ORDER BY code")
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
    let err = fails(&db, &["project", "fund", "US-2025", &later[0], &tasks[0]]);
    assert!(err.contains(&format!("task {} is funded by project {PROJECT}", tasks[0])), "{err}");
    let err = fails(&db, &["project", "fund", PROJECT, &later[0]]);
    assert!(err.contains("outside project EU-2023-01's dates"), "{err}");
    assert!(
        fails(&db, &["project", "fund", "NOPE", &later[0]]).contains("project 'NOPE' is not in the register")
    );
    assert!(fails(&db, &["project", "fund", "US-2025", "T-NONE"])
        .contains("task 'T-NONE' is not in the register"));
    let list: Value = serde_json::from_str(&ok(&db, &["project", "list", "--json"])).unwrap();
    let count =
        |code: &str| list.as_array().unwrap().iter().find(|p| p["code"] == code).unwrap()["tasks"].clone();
    assert_eq!(count("US-2025"), 0, "nothing half-written: {list}");
    assert_eq!(count(PROJECT), tasks.len());
    assert_eq!(list[0]["budget"], 2_500_000.0);

    let err = fails(&db, &["project", "fund", "US-2025", &later[0], &tasks[0]]);
    assert!(err.contains("nothing was recorded"), "{err}");

    // The history holds them; a funding added or a budget changed behind its back is caught.
    let copy = dir.path().join("copy.gpkg");
    std::fs::copy(&db, &copy).unwrap();
    let sql = format!(
        "INSERT INTO project_tasks (task_id, project_id, funded_at) SELECT t.id, p.id, '2026-01-01T00:00:00Z' \
         FROM tasks t, projects p WHERE t.code = '{}' AND p.code = 'US-2025'",
        later[0]
    );
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
        ])
        .arg(&copy)
        .arg(&sql)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = safeground(&copy, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success()
            && said.contains(&format!("the funding of task {} has no TASK_FUNDED event", later[0])),
        "{said}"
    );
    let kinds = query(&db, "SELECT kind, count(*) FROM events WHERE kind IN ('PROJECT_ADDED', 'TASK_FUNDED') GROUP BY kind ORDER BY kind");
    assert_eq!(kinds, serde_json::json!([["PROJECT_ADDED", 2], ["TASK_FUNDED", tasks.len()]]));
    assert!(ok(&db, &["audit", "verify"]).contains("The history is intact."));
    let out = Command::new("python3")
        .args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE projects SET budget = 9e9 WHERE code = 'EU-2023-01'\"); c.commit()"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = safeground(&db, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && said.contains("PROJECT_ADDED") && said.contains("has changed"),
        "{said}"
    );
}
