//! Non-conformities: a failed QC inspection raises one at its approval (the
//! demo holds one); the organisation answers its own only; only a QM officer
//! closes, once the answer is in; raised by hand from an accident; the rate
//! per organisation; each step sealed; withdrawn with the inspection's
//! unapproval.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The demo (scale 40: one failed inspection, of AMC's work) with an account per role.
fn register(dir: &Path) -> PathBuf {
    let users = [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("amc", "operator", Some("AMC")),
        ("qhd", "operator", Some("QHD")),
        ("qm", "qm_officer", None),
    ];
    demo_with_users(dir, "40", &users)
}

fn list(db: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&succeeds(db, "imo", &["ncr", "list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_non_conformity_is_raised_answered_by_its_organisation_and_closed_by_a_qm_officer() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let all = list(&db);
    let raised = all
        .iter()
        .find(|n| n["finding"].as_str().unwrap().starts_with("failed quality-control inspection"))
        .expect("the demo's failed inspection raised one");
    let code = raised["code"].as_str().unwrap().to_string();
    assert_eq!((raised["organisation"].as_str(), raised["grade"].as_str()), (Some("AMC"), Some("MAJOR")));
    assert_ne!(raised["status"], "CLOSED");
    let inspection = raised["report"].as_str().unwrap().to_string();
    let shown: Value =
        serde_json::from_str(&succeeds(&db, "imo", &["report", "show", &inspection, "--json"])).unwrap();
    assert!(shown.to_string().contains("QM_INSPECTION"), "{shown}");

    // Closing needs the answer first; only the organisation answers its own.
    let err = denied(&db, "qm", &["ncr", "close", &code, "--verification", "re-inspected"]);
    assert!(err.contains("no root cause is recorded"), "{err}");
    let err = denied(&db, "qhd", &["ncr", "update", &code, "--root-cause", "x"]);
    assert!(err.contains("of another organisation"), "{err}");
    // Nor does it move its own deadline; a QM officer, who verifies, does not answer.
    let err = denied(&db, "amc", &["ncr", "update", &code, "--root-cause", "x", "--due", "2099-01-01"]);
    assert!(err.contains("a new due date is an IM or QM officer's"), "{err}");
    let err = denied(&db, "qm", &["ncr", "update", &code, "--root-cause", "x"]);
    assert!(err.contains("answer non-conformities"), "{err}");
    let answer = [
        "ncr",
        "update",
        &code,
        "--root-cause",
        "detector sensitivity set too low",
        "--corrective",
        "lane re-cleared to 13 cm",
    ];
    succeeds(&db, "amc", &answer);
    let err = denied(&db, "amc", &["ncr", "close", &code, "--verification", "we checked"]);
    assert!(err.contains("denied") && err.contains("close non-conformities"), "{err}");
    succeeds(&db, "qm", &["ncr", "close", &code, "--verification", "lane 4 re-inspected: pass"]);
    let closed = list(&db).into_iter().find(|n| n["code"] == code.as_str()).unwrap();
    assert_eq!(
        (closed["status"].as_str(), closed["corrective"].as_str()),
        (Some("CLOSED"), Some("lane re-cleared to 13 cm"))
    );
    let err = denied(&db, "amc", &["ncr", "update", &code, "--preventive", "late"]);
    assert!(err.contains("was closed on"), "{err}");

    // Raised by hand from an accident: critical, due in 7 days; a link is needed.
    let accident =
        query(&db, "SELECT id FROM accidents ORDER BY fid LIMIT 1")[0][0].as_str().unwrap().to_string();
    let open = [
        "ncr",
        "open",
        "--organisation",
        "QHD",
        "--grade",
        "critical",
        "--finding",
        "drill not followed at the breach",
        "--accident",
        &accident,
        "--raised",
        "2026-02-01",
    ];
    let new = succeeds(&db, "qm", &open).trim().to_string();
    assert_eq!(new, "NCR-2026-0002");
    let n = list(&db).into_iter().find(|n| n["code"] == new.as_str()).unwrap();
    assert_eq!((n["due_on"].as_str(), n["status"].as_str()), (Some("2026-02-08"), Some("OVERDUE")));
    let err = denied(
        &db,
        "qm",
        &[
            "ncr",
            "open",
            "--organisation",
            "QHD",
            "--grade",
            "minor",
            "--finding",
            "x",
            "--report",
            "not-a-report",
        ],
    );
    assert!(err.contains("report not-a-report is not in the register"), "{err}");
    let err = denied(&db, "amc", &open);
    assert!(err.contains("raise non-conformities"), "{err}");
    // It rests on the accident: the accident's report is not unapproved from under it.
    let report = query(&db, &format!("SELECT report_id FROM accidents WHERE id = '{accident}'"));
    let err = denied(&db, "imo", &["report", "unapprove", report[0][0].as_str().unwrap(), "--reason", "x"]);
    assert!(err.contains(&format!("non-conformity {new} was raised about it")), "{err}");
    let err = denied(&db, "qm", &["ncr", "close", &new, "--verification", "x", "--on", "2099-01-01"]);
    assert!(err.contains("after today"), "{err}");

    // The rate per organisation, as the dashboard shows it.
    let rates: Value =
        serde_json::from_str(&succeeds(&db, "imo", &["ncr", "list", "--rates", "--json"])).unwrap();
    let qhd = rates.as_array().unwrap().iter().find(|r| r["organisation"] == "QHD").unwrap();
    assert_eq!((qhd["critical"].as_i64(), qhd["overdue"].as_i64()), (Some(1), Some(1)));
    let reports = qhd["reports"].as_f64().unwrap();
    assert!((qhd["per_100_reports"].as_f64().unwrap() - 100.0 / reports).abs() < 1e-9, "{qhd}");
    assert!(succeeds(&db, "imo", &["audit", "verify"]).contains("The history is intact."));

    // The inspection unapproved: the non-conformity it raised is withdrawn.
    succeeds(
        &db,
        "imo",
        &["report", "unapprove", &inspection, "--reason", "sample lane was outside the released area"],
    );
    assert!(list(&db).iter().all(|n| n["code"] != code.as_str()));
    assert!(succeeds(&db, "imo", &["audit", "verify"]).contains("The history is intact."));
}
