//! Investigations of accidents [IMAS 10.60]: a demining accident's approval
//! opens one (flagged); who may convene the board, conclude and raise a
//! recommendation as a non-conformity; each step sealed (a changed finding
//! breaks `audit verify`); the accident's unapproval withdraws the
//! investigation and what it raised.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn register(dir: &Path) -> PathBuf {
    let users = [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("qm", "qm_officer", None),
        ("amc", "operator", Some("AMC")),
    ];
    demo_with_users(dir, "40", &users)
}

/// Submits and approves, as `imo`, a demining accident today; returns the
/// report's id and what approval printed.
fn demining_accident(db: &Path, dir: &Path) -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let report = serde_json::json!({
        "type": "ACCIDENT", "organisation": "ANAMA", "start_date": today, "end_date": today,
        "accident": {"kind": "DEMINING_ACCIDENT", "location": [46.95, 39.95], "device_category": "AP",
            "activity_at_time": "DEMINING", "area_marked": true, "cause": "missed item during excavation",
            "victims": [{"outcome": "INJURED", "sex": "MALE", "age": 29, "occupation": "deminer",
                "disability": "FROM_ACCIDENT", "name": "Test Deminer (fictional)"}]}
    });
    let file = dir.join("accident.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let id = succeeds(db, "imo", &["report", "submit", file.to_str().unwrap()]).trim().to_string();
    let out = as_user(db, "imo", &["report", "approve", &id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (id, String::from_utf8_lossy(&out.stderr).to_string())
}

fn open(db: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(db, &["investigation", "list", "--open", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_demining_accident_is_investigated_by_a_board_whose_recommendation_becomes_a_non_conformity() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let before = open(&db).len();
    let (report, said) = demining_accident(&db, dir.path());
    assert!(said.contains("demining accident: an investigation is opened [IMAS 10.60]"), "{said}");
    let opened = open(&db);
    assert_eq!(opened.len(), before + 1);
    let i = opened.iter().find(|i| i["opened_by_report"] == report.as_str()).expect("opened by the approval");
    assert_eq!(i["stage"], "AWAITING_BOARD");
    let code = i["code"].as_str().unwrap().to_string();

    // Operators do not investigate; a board needs two members.
    let e = denied(&db, "amc", &["investigation", "board", &code, "--member", "A", "--member", "B"]);
    assert!(e.contains("may not investigate accidents"), "{e}");
    let e = denied(&db, "qm", &["investigation", "board", &code, "--member", "R. Mammadov (ANAMA)"]);
    assert!(e.contains("at least 2 members"), "{e}");
    let e = denied(&db, "imo", &["investigation", "conclude", &code, "--findings", "x"]);
    assert!(e.contains("no board has been convened"), "{e}");
    succeeds(
        &db,
        "qm",
        &[
            "investigation",
            "board",
            &code,
            "--member",
            "R. Mammadov (ANAMA), president",
            "--member",
            "L. Quliyeva (NQMU)",
        ],
    );
    let findings = "the lane was not marked at the base stick";
    succeeds(
        &db,
        "imo",
        &[
            "investigation",
            "conclude",
            &code,
            "--findings",
            findings,
            "--recommendation",
            "retrain the section on lane discipline",
            "--recommendation",
            "supervisors check lane marking each shift",
        ],
    );
    let e = denied(
        &db,
        "amc",
        &[
            "investigation",
            "ncr",
            &code,
            "--recommendation",
            "1",
            "--organisation",
            "AMC",
            "--grade",
            "major",
        ],
    );
    assert!(e.contains("may not raise non-conformities"), "{e}");
    let e = denied(
        &db,
        "qm",
        &[
            "investigation",
            "ncr",
            &code,
            "--recommendation",
            "3",
            "--organisation",
            "AMC",
            "--grade",
            "major",
        ],
    );
    assert!(e.contains("no number 3"), "{e}");
    let ncr = succeeds(
        &db,
        "qm",
        &[
            "investigation",
            "ncr",
            &code,
            "--recommendation",
            "2",
            "--organisation",
            "AMC",
            "--grade",
            "major",
        ],
    );
    let ncr = ncr.trim();
    assert!(ncr.starts_with("NCR-"), "{ncr}");
    let e = denied(
        &db,
        "qm",
        &[
            "investigation",
            "ncr",
            &code,
            "--recommendation",
            "2",
            "--organisation",
            "AMC",
            "--grade",
            "minor",
        ],
    );
    assert!(e.contains("a non-conformity already"), "{e}");

    let shown: Value = serde_json::from_str(&ok(&db, &["investigation", "show", &code, "--json"])).unwrap();
    assert_eq!(shown["stage"], "CONCLUDED");
    assert_eq!(shown["findings"], findings);
    assert_eq!(shown["board"].as_array().unwrap().len(), 2);
    assert_eq!(shown["non_conformities"], serde_json::json!([{"recommendation": 2, "code": ncr}]));
    // The non-conformity is the operator's to answer, about the accident.
    let ncrs: Value = serde_json::from_str(&succeeds(&db, "amc", &["ncr", "list", "--json"])).unwrap();
    let n = ncrs.as_array().unwrap().iter().find(|n| n["code"] == ncr).expect("listed for AMC");
    assert!(n["finding"].as_str().unwrap().contains("recommendation 2: supervisors check"), "{n}");
    assert!(n["accident"].is_string(), "{n}");
    assert!(ok(&db, &["audit", "verify"]).contains("intact"));

    // A finding changed behind the register's back breaks its step's event.
    let copy = dir.path().join("tampered.gpkg");
    std::fs::copy(&db, &copy).unwrap();
    tamper(&copy, "UPDATE investigation_steps SET findings = 'nothing wrong' WHERE kind = 'CONCLUDED'");
    let out = safeground(&copy, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && said.contains("the investigation step"), "{said}");

    // Unapproving the accident withdraws its investigation and what it raised.
    succeeds(&db, "imo", &["report", "unapprove", &report, "--reason", "entered twice"]);
    assert!(fails(&db, &["investigation", "show", &code]).contains("not"), "withdrawn");
    let ncrs: Value = serde_json::from_str(&ok(&db, &["ncr", "list", "--json"])).unwrap();
    assert!(ncrs.as_array().unwrap().iter().all(|n| n["code"] != ncr), "the non-conformity is withdrawn");
    assert!(ok(&db, &["audit", "verify"]).contains("intact"));
}

#[test]
fn an_incident_is_investigated_when_an_officer_opens_one_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    // An incident whose victims have no assistance recorded.
    let accidents = query(
        &db,
        "SELECT a.id, a.occurred_on, a.report_id FROM accidents a WHERE a.kind = 'INCIDENT' AND NOT EXISTS
           (SELECT 1 FROM victims v JOIN victim_consents c ON c.victim_id = v.id WHERE v.accident_id = a.id)
         ORDER BY a.occurred_on LIMIT 1",
    );
    let (accident, occurred) = (accidents[0][0].as_str().unwrap(), accidents[0][1].as_str().unwrap());
    let occurred: time::Date = serde_json::from_value(Value::String(occurred[..10].to_string())).unwrap();
    let before = (occurred - time::Duration::days(1)).to_string();
    let e = denied(&db, "imo", &["investigation", "open", "--accident", accident, "--on", &before]);
    assert!(e.contains("before the accident"), "{e}");
    let code = succeeds(&db, "imo", &["investigation", "open", "--accident", accident]).trim().to_string();
    assert!(code.starts_with("BOI-"), "{code}");
    let e = denied(&db, "qm", &["investigation", "open", "--accident", accident]);
    assert!(e.contains(&format!("{code} is investigating it already")), "{e}");
    let e =
        denied(&db, "imo", &["investigation", "open", "--accident", "00000000-0000-0000-0000-000000000000"]);
    assert!(e.contains("accident"), "{e}");
    assert_eq!(open(&db).iter().filter(|i| i["code"] == code.as_str()).count(), 1);
    // The investigation rests on the accident: its report is not unapproved from under it.
    let report = accidents[0][2].as_str().unwrap();
    let e = denied(&db, "imo", &["report", "unapprove", report, "--reason", "typed twice"]);
    assert!(e.contains(&format!("investigation {code} was opened into its accident")), "{e}");
    assert!(ok(&db, &["audit", "verify"]).contains("intact"));
}
