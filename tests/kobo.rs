//! KoBoToolbox / ODK Central exports of the field forms become DRAFT reports:
//! nothing enters the register until a draft is submitted and approved;
//! importing twice drafts nothing new; a bad export saves nothing unless told
//! to keep going, and its reject file says which field of which row is wrong.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(repo_file(&format!("tests/fixtures/kobo/{name}")), &to).unwrap();
    to
}

fn json(db: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).unwrap()
}

fn count(db: &Path, args: &[&str]) -> usize {
    json(db, args).as_array().unwrap().len()
}

/// The ids printed as "drafted ID  (at)", by where they were in the file.
fn drafted(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.strip_prefix("drafted "))
        .map(|l| {
            let (id, at) = l.split_once("  ").unwrap();
            (id.to_string(), at.trim_matches(|c| c == '(' || c == ')').to_string())
        })
        .collect()
}

fn import(db: &Path, file: &Path, form: &str) -> String {
    ok(db, &["report", "import-submissions", file.to_str().unwrap(), "--form", form])
}

#[test]
fn submissions_become_drafts_then_hazards() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.gpkg");
    ok(&db, &["demo", "--scale", "50", "--no-serve"]);
    let hazards = count(&db, &["hazards", "list", "--json"]);
    // The demo's own drafts, waiting from its KoBo forms.
    let demo_drafts = count(&db, &["report", "list", "--state", "DRAFT", "--json"]);
    assert_eq!(demo_drafts, 2);

    // KoBo CSV (`;`, group prefixes, split select_multiple, flattened repeat) and KoBo API JSON.
    let out = import(&db, &fixture(dir.path(), "nts.csv"), "nts");
    assert!(out.contains("read 2, drafted 2, rejected 0 (already imported 0)"), "{out}");
    let csv_ids = drafted(&out);
    let out = import(&db, &fixture(dir.path(), "nts.json"), "nts");
    assert!(out.contains("read 2, drafted 2, rejected 0 (already imported 0)"), "{out}");
    let json_ids = drafted(&out);
    assert_eq!(count(&db, &["report", "list", "--state", "DRAFT", "--json"]), demo_drafts + 4);
    assert_eq!(count(&db, &["hazards", "list", "--json"]), hazards, "a draft touches nothing");

    // The same export again drafts nothing.
    let out = import(&db, &dir.path().join("nts.csv"), "nts");
    assert!(out.contains("read 2, drafted 0, rejected 0 (already imported 2)"), "{out}");
    assert!(out.contains("already imported"), "{out}");
    assert_eq!(count(&db, &["report", "list", "--state", "DRAFT", "--json"]), demo_drafts + 4);

    // A draft shows its provenance; it cannot be approved before it is submitted.
    let (traverse_id, at) = &csv_ids[0];
    assert_eq!(at, "line 2");
    let shown = json(&db, &["report", "show", traverse_id, "--json"]);
    assert_eq!(shown["report"]["state"], "DRAFT");
    assert_eq!(shown["events"][0]["kind"], "REPORT_DRAFTED");
    let reason = shown["events"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("instanceID 5b1d3c9e-7a42-4f0b-9a1e-2c6f8d0b4e11"), "{reason}");
    let err = fails(&db, &["report", "approve", traverse_id]);
    assert!(err.contains("DRAFT"), "{err}");

    // The traverse (BM, then 400 m legs by true bearings, closed on SP) is a 400 m square.
    ok(&db, &["report", "submit-draft", traverse_id]);
    ok(&db, &["report", "approve", traverse_id]);
    let code = json(&db, &["report", "show", traverse_id, "--json"])["report"]["hazard"]
        .as_str()
        .unwrap()
        .to_string();
    let h = json(&db, &["hazards", "show", &code, "--json"]);
    let area = h["area_m2"]["recorded"].as_f64().unwrap();
    assert!((area - 160_000.0).abs() < 160.0, "{area}");
    assert_eq!(count(&db, &["hazards", "list", "--json"]), hazards + 1);

    // The geoshape one, then clearance of its western half under a task, with two finds.
    let (shape_id, _) = &csv_ids[1];
    ok(&db, &["report", "submit-draft", shape_id]);
    ok(&db, &["report", "approve", shape_id]);
    let code =
        json(&db, &["report", "show", shape_id, "--json"])["report"]["hazard"].as_str().unwrap().to_string();
    ok(
        &db,
        &[
            "task",
            "issue",
            "--hazard",
            &code,
            "--organisation",
            "QHD",
            "--code",
            "T-KOBO-0001",
            "--issued",
            "2024-05-01",
        ],
    );
    let out = import(&db, &fixture(dir.path(), "clearance.csv"), "clearance");
    assert!(out.contains("read 1, drafted 1, rejected 0"), "{out}");
    let (clearance_id, _) = &drafted(&out)[0];
    let body = &json(&db, &["report", "show", clearance_id, "--json"])["body"];
    assert_eq!(body["eo_finds"].as_array().unwrap().len(), 2);
    assert_eq!(body["eo_finds"][0]["location"], serde_json::json!([46.902, 39.965]), "lat lon → [lon, lat]");
    ok(&db, &["report", "submit-draft", clearance_id]);
    ok(&db, &["report", "approve", clearance_id]);
    let h = json(&db, &["hazards", "show", &code, "--json"]);
    let (recorded, cleared) =
        (h["area_m2"]["recorded"].as_f64().unwrap(), h["area_m2"]["cleared"].as_f64().unwrap());
    assert!((cleared / recorded - 0.5).abs() < 0.01, "{cleared} of {recorded}");
    assert_eq!(h["status"], "WORKED_ON");

    // The JSON ones are drafts still.
    for (id, _) in &json_ids {
        assert_eq!(json(&db, &["report", "show", id, "--json"])["report"]["state"], "DRAFT");
    }
}

#[test]
fn a_bad_export_saves_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.gpkg");
    ok(&db, &["demo", "--scale", "50", "--no-serve"]);
    let reports = count(&db, &["report", "list", "--json"]);
    let demo_drafts = count(&db, &["report", "list", "--state", "DRAFT", "--json"]);
    let bad = fixture(dir.path(), "nts_bad.csv");
    let out = safeground(&db, &["report", "import-submissions", bad.to_str().unwrap(), "--form", "nts"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("read 4, drafted 0, rejected 3 (already imported 0)"), "{stdout}");
    assert!(stderr.contains("nothing was saved"), "{stderr}");
    assert!(stderr.contains("nts_bad.csv, line 3: field 'hazard_kind'"), "{stderr}");
    assert_eq!(count(&db, &["report", "list", "--json"]), reports, "nothing written");

    // The reject file: the rows as exported (same `;` CSV) with the reason.
    let rejects = dir.path().join("nts_bad.csv.rejects.csv");
    let mut rdr = csv_rows(&rejects);
    let header = rdr.remove(0);
    let reason = header.iter().position(|h| h == "_reject_reason").unwrap();
    let name = header.iter().position(|h| h == "hazard/hazard_name").unwrap();
    let expect = [
        ("Benchmark without longitude", "field 'benchmark': '39.955' has 1 number(s)"),
        ("Unknown choice", "field 'hazard_kind': 'SUSPECTED' is not a valid hazard kind"),
        ("Too short a shape", "field 'shape': the shape has 2 distinct point(s)"),
    ];
    assert_eq!(rdr.len(), expect.len());
    for (row, (n, why)) in rdr.iter().zip(expect) {
        assert_eq!(row[name], n);
        assert!(row[reason].contains(why), "{}", row[reason]);
    }

    // --keep-going drafts the good one; a reject file can be named.
    let named = dir.path().join("named.csv");
    let out = ok(
        &db,
        &[
            "report",
            "import-submissions",
            bad.to_str().unwrap(),
            "--form",
            "nts",
            "--keep-going",
            "--reject",
            named.to_str().unwrap(),
        ],
    );
    assert!(out.contains("read 4, drafted 1, rejected 3 (already imported 0)"), "{out}");
    assert_eq!(csv_rows(&named).len(), 4);
    assert_eq!(count(&db, &["report", "list", "--state", "DRAFT", "--json"]), demo_drafts + 1);
    assert_eq!(count(&db, &["report", "list", "--json"]), reports + 1);

    // A submission of another organisation than --organisation says is refused.
    let out = safeground(
        &db,
        &[
            "report",
            "import-submissions",
            dir.path().join("nts_bad.csv").to_str().unwrap(),
            "--form",
            "nts",
            "--organisation",
            "QHD",
            "--keep-going",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("the submission is ANAMA's, not QHD's"));
}

/// A `;` separated CSV as rows of cells.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    // Quotes never hold `;` in these fixtures' rejected rows but may hold the reason's text.
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut cells = Vec::new();
        let (mut cur, mut quoted) = (String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ';' if !quoted => cells.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        cells.push(cur);
        rows.push(cells);
    }
    rows
}
