//! Quality-management inspections [IMAS 07.12, 09.20]: a QC searches a
//! sample of released ground again, a QA visit sees a task's work in
//! progress. The sample lies in the ground inspected and is measured on the
//! ellipsoid (checked by GDAL and GeographicLib reading the GeoPackage); an
//! item found fails the inspection; a failed QA raises a minor
//! non-conformity; the record is sealed and goes with its report's
//! unapproval.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The demo (scale 40: QC inspections of completed ground, one failed) with an account per role.
fn register(dir: &Path) -> PathBuf {
    let users = [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("qm", "qm_officer", None),
        ("amc", "operator", Some("AMC")),
    ];
    demo_with_users(dir, "40", &users)
}

fn list(db: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["inspection", "list", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str::<Value>(&succeeds(db, "imo", &all)).unwrap().as_array().unwrap().clone()
}

/// Submits `report` as the QM officer; the report's id.
fn submit(db: &Path, dir: &Path, name: &str, report: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, report.to_string()).unwrap();
    succeeds(db, "qm", &["report", "submit", path.to_str().unwrap()]).trim().to_string()
}

#[test]
fn the_demos_qc_samples_lie_in_their_ground_and_measure_as_geographiclib_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let rows = list(&db, &[]);
    let sampled: Vec<&Value> = rows.iter().filter(|r| r["sample"].is_object()).collect();
    assert!(!sampled.is_empty(), "the demo's inspections sample their ground: {rows:?}");
    assert!(rows.iter().any(|r| r["result"] == "FAIL" && !r["reopened"].as_array().unwrap().is_empty()));
    for r in &sampled {
        let share = r["share"].as_f64().expect("a QC sample has its share");
        assert!(share > 0.0 && share <= 1.0, "{r}");
        let (sample, ground) = (r["sample_m2"].as_f64().unwrap(), r["inspected_m2"].as_f64().unwrap());
        assert!((share - sample / ground).abs() < 1e-12, "{r}");
        assert_eq!(r["kind"], "QC");
        assert!(r["items_found"].as_i64().unwrap() == 0 || r["result"] == "FAIL", "{r}");
    }
    // One hazard's inspections only.
    let hazard = sampled[0]["hazard"].as_str().unwrap();
    let one = list(&db, &["--hazard", hazard]);
    assert!(!one.is_empty() && one.iter().all(|r| r["hazard"] == hazard));
    if require_oracle("the_demos_qc_samples_lie_in_their_ground_and_measure_as_geographiclib_does") {
        let out = oracle("inspection_samples.py", &[&db]);
        let counts: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(counts["samples"].as_u64(), Some(sampled.len() as u64), "{out}");
        assert_eq!(counts["qc"].as_u64(), Some(sampled.len() as u64), "{out}");
    }
    assert!(succeeds(&db, "imo", &["audit", "verify"]).contains("The history is intact."));
}

#[test]
fn a_sample_outside_its_ground_or_an_item_that_passes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    // Ground released and still standing, and its box.
    let row = query(
        &db,
        "SELECT a.id, h.code, r.minx, r.maxx, r.miny, r.maxy, a.released_on FROM released_areas a
         JOIN hazards h ON h.id = a.hazard_id JOIN rtree_released_areas_geom r ON r.id = a.fid
         WHERE a.revoked_at IS NULL ORDER BY a.fid LIMIT 1",
    );
    let r = &row[0];
    let (area, hazard) = (r[0].as_str().unwrap(), r[1].as_str().unwrap());
    let (x0, x1, y0, y1) =
        (r[2].as_f64().unwrap(), r[3].as_f64().unwrap(), r[4].as_f64().unwrap(), r[5].as_f64().unwrap());
    let on = "2026-03-01";
    let qc = |sample: Value, result: &str, items: i64| {
        json!({"type": "QM_INSPECTION", "organisation": "NQMU", "hazard": hazard, "start_date": on, "end_date": on,
               "inspection": {"kind": "QC", "result": result, "inspected": [area], "sample": sample, "items_found": items}})
    };
    let square = |x: f64, y: f64, half: f64| json!({"type": "Polygon", "coordinates": [[[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half], [x - half, y - half]]]});
    // A square a kilometre and more east of the ground's box.
    let id = submit(&db, dir.path(), "away.json", &qc(square(x1 + 0.02, (y0 + y1) / 2.0, 0.0005), "PASS", 0));
    let err = denied(&db, "imo", &["report", "approve", &id]);
    assert!(
        err.contains("the inspection's sample lies up to")
            && err.contains("outside the released areas inspected"),
        "{err}"
    );
    // An item found cannot pass, wherever the sample lies.
    let path = dir.path().join("item.json");
    std::fs::write(&path, qc(square((x0 + x1) / 2.0, (y0 + y1) / 2.0, 0.00001), "PASS", 2).to_string())
        .unwrap();
    let out = as_user(&db, "qm", &["report", "submit", path.to_str().unwrap()]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let refused =
        if out.status.success() { denied(&db, "imo", &["report", "approve", text.trim()]) } else { text };
    assert!(refused.contains("found 2 explosive item(s) and cannot pass"), "{refused}");
    assert!(list(&db, &["--hazard", hazard]).iter().all(|r| r["report"] != id.as_str()));
}

#[test]
fn a_failed_qa_visit_raises_a_minor_non_conformity_and_goes_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let task = query(
        &db,
        "SELECT t.code, t.issued_on FROM tasks t JOIN organisations o ON o.id = t.organisation_id
         WHERE o.acronym = 'AMC' AND t.status IN ('ISSUED', 'IN_PROGRESS') ORDER BY t.fid LIMIT 1",
    );
    let (code, issued) = (task[0][0].as_str().unwrap(), task[0][1].as_str().unwrap());
    let visit = |kind: &str| {
        json!({"type": "QM_INSPECTION", "organisation": "NQMU", "task": code, "start_date": issued, "end_date": issued,
               "inspection": {"kind": kind, "result": "FAIL", "findings": "safety distances not kept between deminers"}})
    };
    let id = submit(&db, dir.path(), "qa.json", &visit("QA"));
    let out = as_user(&db, "imo", &["report", "approve", &id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let approved = String::from_utf8_lossy(&out.stderr);
    assert!(
        approved.contains("non-conformity (MINOR) raised: failed quality-assurance visit to task"),
        "{approved}"
    );
    let rows = list(&db, &[]);
    let qa = rows.iter().find(|r| r["report"] == id.as_str()).expect("recorded");
    assert_eq!(
        (qa["kind"].as_str(), qa["task"].as_str(), qa["organisation"].as_str()),
        (Some("QA"), Some(code), Some("AMC"))
    );
    assert_eq!((qa["inspected_by"].as_str(), qa["share"].as_f64()), (Some("NQMU"), None));
    let ncrs: Value = serde_json::from_str(&succeeds(&db, "imo", &["ncr", "list", "--json"])).unwrap();
    let raised = ncrs.as_array().unwrap().iter().find(|n| n["report"] == id.as_str()).expect("raised");
    assert_eq!((raised["organisation"].as_str(), raised["grade"].as_str()), (Some("AMC"), Some("MINOR")));
    // A QA visit re-opens nothing; it names its task.
    let mut wrong = visit("QA");
    wrong["inspection"]["reopen"] = json!([uuid::Uuid::nil()]);
    let path = dir.path().join("wrong.json");
    std::fs::write(&path, wrong.to_string()).unwrap();
    let out = as_user(&db, "qm", &["report", "submit", path.to_str().unwrap()]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let refused =
        if out.status.success() { denied(&db, "imo", &["report", "approve", text.trim()]) } else { text };
    assert!(refused.contains("a QA visit inspects work in progress"), "{refused}");
    // Unapproved, the inspection and its non-conformity go; the history holds.
    succeeds(&db, "imo", &["report", "unapprove", &id, "--reason", "visit recorded against the wrong task"]);
    assert!(list(&db, &[]).iter().all(|r| r["report"] != id.as_str()));
    let revoked =
        query(&db, &format!("SELECT revoked_at IS NOT NULL FROM inspections WHERE report_id = '{id}'"));
    assert_eq!(revoked, json!([[1]]));
    assert!(succeeds(&db, "imo", &["audit", "verify"]).contains("The history is intact."));
    // Ground said re-opened, or not, behind the history's back breaks the seal.
    let qc = rows.iter().find(|r| !r["areas"].as_array().unwrap().is_empty()).unwrap();
    tamper(
        &db,
        &format!(
            "UPDATE inspection_areas SET reopened = 1 - reopened WHERE inspection_id = '{}'",
            qc["id"].as_str().unwrap()
        ),
    );
    let out = as_user(&db, "imo", &["audit", "verify"]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
