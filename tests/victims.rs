//! Victims and people reached as the standards count them, and victim
//! assistance [IMAS 13.10] from the command line: who may read and record
//! (the personal-data permission; the authority's officers), consent before
//! any follow-up, its withdrawal, the figures recomputed with Python's
//! sqlite3, each record sealed (a changed follow-up breaks `audit verify`),
//! and the people with a disability among those an EORE session reached,
//! exported and read by GDAL.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The demo (scale 40) with accounts: `imo` without the personal-data
/// permission, `imo_pd` and the operator `amc_pd` with it.
fn register(dir: &Path) -> PathBuf {
    let users = [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("imo_pd", "im_officer", None),
        ("amc_pd", "operator", Some("AMC")),
        ("viewer", "viewer", None),
    ];
    let db = demo_with_users(dir, "40", &users);
    for name in ["imo_pd", "amc_pd"] {
        succeeds(&db, "admin", &["user", "personal-data", name, "on"]);
    }
    db
}

fn victims(db: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&succeeds(db, "imo_pd", &["victim", "list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn victims_are_personal_data_and_assistance_the_authoritys_to_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    for user in ["imo", "viewer"] {
        let e = denied(&db, user, &["victim", "list"]);
        assert!(e.contains("personal-data permission"), "{user}: {e}");
    }
    let listed = victims(&db);
    let id = listed[0]["id"].as_str().unwrap();
    // An operator with the permission reads the victims of the accidents its
    // organisation reported only (the demo's are the authority's), and does not record.
    let mine: Value = serde_json::from_str(&succeeds(&db, "amc_pd", &["victim", "list", "--json"])).unwrap();
    assert_eq!(mine, serde_json::json!([]));
    let e = denied(&db, "amc_pd", &["victim", "show", id]);
    assert!(e.contains("victim") && e.contains(id), "{e}");
    let e = denied(&db, "amc_pd", &["victim", "withdraw", id]);
    assert!(e.contains("IM officers and administrators"), "{e}");
    let e = denied(&db, "imo", &["victim", "assist", id, "--kind", "medical", "--provider", "x"]);
    assert!(e.contains("personal-data permission"), "{e}");
    // The figures name no one: anyone reads them.
    let figures = succeeds(&db, "viewer", &["victim", "figures", "--json"]);
    assert!(!figures.contains("fictional") && figures.contains("followed_up"), "{figures}");
}

#[test]
fn a_follow_up_rests_on_consent_in_force_and_every_record_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let listed = victims(&db);
    // The demo's survivor who gave no consent.
    let v = listed
        .iter()
        .find(|v| v["outcome"] == "INJURED" && v["consents"].as_array().unwrap().is_empty())
        .expect("a survivor without consent");
    let id = v["id"].as_str().unwrap();
    let occurred: time::Date = serde_json::from_value(v["occurred_on"].clone()).unwrap();
    let day_before = (occurred - time::Duration::days(1)).to_string();
    let (occurred, later) = (occurred.to_string(), (occurred + time::Duration::days(3)).to_string());
    let giver = if v["age"].as_i64().is_some_and(|a| a < 18) { "GUARDIAN" } else { "SELF" };
    let assist = |on: &str| {
        vec!["victim", "assist", id, "--kind", "rehabilitation", "--provider", "Prosthetic centre", "--on"]
            .into_iter()
            .chain([on])
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let run = |user: &str, args: &[String]| {
        as_user(&db, user, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let stderr = |o: std::process::Output| {
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let e = stderr(run("imo_pd", &assist(&later)));
    assert!(e.contains("no consent is recorded: record it first"), "{e}");
    // Consent before the accident, or by the next of kin of a survivor: refused.
    let e = denied(
        &db,
        "imo_pd",
        &["victim", "consent", id, "--by", giver, "--form", "written", "--on", &day_before],
    );
    assert!(e.contains("before the accident"), "{e}");
    let e = denied(&db, "imo_pd", &["victim", "consent", id, "--by", "next-of-kin", "--form", "written"]);
    assert!(e.contains("the victim survived"), "{e}");
    succeeds(&db, "imo_pd", &["victim", "consent", id, "--by", giver, "--form", "written", "--on", &later]);
    let e = denied(&db, "imo_pd", &["victim", "consent", id, "--by", giver, "--form", "verbal"]);
    assert!(e.contains("in force already"), "{e}");
    // A follow-up the day before consent: refused; on its day: recorded.
    let e = stderr(run("imo_pd", &assist(&occurred)));
    assert!(e.contains(&format!("it was first given on {later}")), "{e}");
    assert!(run("imo_pd", &assist(&later)).status.success());
    succeeds(&db, "imo_pd", &["victim", "withdraw", id]);
    let e = denied(&db, "imo_pd", &["victim", "assist", id, "--kind", "referral", "--provider", "NGO"]);
    assert!(e.contains("it was withdrawn"), "{e}");
    // The assistance rests on the accident: its report is not unapproved from under it.
    let report = query(
        &db,
        &format!(
            "SELECT a.report_id FROM victims v JOIN accidents a ON a.id = v.accident_id WHERE v.id = '{id}'"
        ),
    );
    let e = denied(
        &db,
        "imo_pd",
        &["report", "unapprove", report[0][0].as_str().unwrap(), "--reason", "typed twice"],
    );
    assert!(e.contains("victim assistance (consent, follow-ups) is recorded for its victims"), "{e}");
    let shown: Value =
        serde_json::from_str(&succeeds(&db, "imo_pd", &["victim", "show", id, "--json"])).unwrap();
    assert_eq!(shown["follow_ups"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["follow_ups"][0]["recorded_by"], "imo_pd");
    assert!(shown["consents"][0]["withdrawn_on"].is_string(), "{shown}");

    // The figures, recomputed from the tables by Python's sqlite3.
    let figures: Value = serde_json::from_str(&ok(&db, &["victim", "figures", "--json"])).unwrap();
    let followed = query(&db, "SELECT count(DISTINCT victim_id) FROM assistance");
    assert_eq!(figures["followed_up"], followed[0][0], "{figures}");
    let by_kind = query(&db, "SELECT kind, count(*) FROM assistance GROUP BY kind ORDER BY kind");
    for row in by_kind.as_array().unwrap() {
        let k = figures["by_kind"].as_array().unwrap().iter().find(|k| k["kind"] == row[0]).unwrap();
        assert_eq!(k["follow_ups"], row[1], "{row}");
    }
    assert!(followed[0][0].as_i64().unwrap() >= 2, "the demo and this test followed victims up");

    // Every record sealed: the history is whole, and a provider changed
    // behind the register's back breaks the follow-up's event.
    assert!(ok(&db, &["audit", "verify"]).contains("intact"));
    tamper(&db, "UPDATE assistance SET provider = 'nobody' WHERE provider = 'Prosthetic centre'");
    let out = safeground(&db, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && said.contains("victim-assistance record"), "{said}");
    // And one added behind its back has no event.
    tamper(&db, "INSERT INTO assistance (id, victim_id, consent_id, kind, status, given_on, provider, actor, recorded_at) SELECT 'forged', victim_id, consent_id, kind, status, given_on, provider, actor, recorded_at FROM assistance LIMIT 1");
    let said = String::from_utf8_lossy(&safeground(&db, &["audit", "verify"]).stdout).to_string();
    assert!(said.contains("the follow-up forged of victim"), "{said}");
}

#[test]
fn eore_people_with_a_disability_are_exported_as_the_register_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let out = dir.path().join("eore.gpkg");
    ok(&db, &["export", "--layer", "eore_sessions", "--format", "gpkg", out.to_str().unwrap()]);
    // What the register holds, by sqlite3; what the export holds, by GDAL.
    let held = query(
        &db,
        "SELECT sum(girls_disabled), sum(boys_disabled), sum(women_disabled), sum(men_disabled), count(*)
         FROM eore_sessions WHERE revoked_at IS NULL",
    );
    assert!(held[0][0].as_i64().unwrap() + held[0][2].as_i64().unwrap() > 0, "{held}");
    if require("python3:osgeo", "python3-gdal", "eore_people_with_a_disability") {
        let script = "from osgeo import ogr\nimport sys, json\nds = ogr.Open(sys.argv[1])\nl = ds.GetLayer('eore_sessions')\ns = [0, 0, 0, 0, 0]\nfor f in l:\n    for i, k in enumerate(['girls_disabled', 'boys_disabled', 'women_disabled', 'men_disabled']):\n        s[i] += f.GetField(k) or 0\n    s[4] += 1\nprint(json.dumps([s]))";
        let out =
            std::process::Command::new("/usr/bin/python3").args(["-c", script]).arg(&out).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(exported, held);
    }
    // Back in: tests/import.rs's round trips compare every column of every
    // feature, these four among them, through each exchange format.
}

#[test]
fn a_session_counting_more_people_with_a_disability_than_it_reached_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "10", "--no-serve"]);
    let report = serde_json::json!({
        "type": "EORE_SESSION", "organisation": "ANAMA", "start_date": "2025-03-01", "end_date": "2025-03-01",
        "session": {"kind": "PRESENTATION", "audience": "SCHOOL", "location": [46.9, 39.9],
            "reach": {"girls": 12, "boys": 9, "women": 1, "men": 1},
            "with_disability": {"girls": 2, "boys": 10, "women": 0, "men": 0}}
    });
    let file = dir.path().join("session.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let e = fails(&db, &["report", "submit", file.to_str().unwrap()]);
    assert!(
        e.contains("the session's boys with a disability (10) are more than the boys it reached (9)"),
        "{e}"
    );
}
