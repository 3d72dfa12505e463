//! Accreditation: once the register keeps accreditations, approval refuses
//! work done under a capability its organisation was not accredited for on
//! every day of it, naming the accreditation; `accreditation add|list|suspend`
//! refuse what cannot be, and the history seals them.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn example(name: &str) -> String {
    repo_file(&format!("examples/reports/{name}")).to_str().unwrap().to_string()
}

fn add(db: &Path, reference: &str, capability: &str, from: &str, to: &str) -> String {
    add_for(db, "QHD", reference, capability, from, to)
}

fn add_for(db: &Path, organisation: &str, reference: &str, capability: &str, from: &str, to: &str) -> String {
    let args = [
        "accreditation",
        "add",
        "--reference",
        reference,
        "--organisation",
        organisation,
        "--capability",
        capability,
        "--from",
        from,
        "--to",
        to,
    ];
    ok(db, &args)
}

fn days_from_today(days: i64) -> String {
    let out = Command::new("date").args(["-u", "-d", &format!("{days} days"), "+%Y-%m-%d"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn work_is_approved_only_under_an_accreditation_that_holds_every_day() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    // The demo's own work was approved under the demo's accreditations:
    // every operator for every capability, one team's long expired, one
    // team's ending within 30 days.
    let demo: Value = serde_json::from_str(&ok(&db, &["accreditation", "list", "--json"])).unwrap();
    let demo = demo.as_array().unwrap().clone();
    let today = days_from_today(0);
    assert!(demo.iter().any(|a| a["valid_to"].as_str().unwrap() < today.as_str() && a["team"].is_string()));
    let qhd_ts = demo
        .iter()
        .find(|a| a["organisation"] == "QHD" && a["capability"] == "TS" && a["team"].is_null())
        .unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    // QHD's technical survey accreditation is suspended for this story: its
    // work from 2024 on needs the accreditations recorded below.
    let reason = "re-accreditation after the 2023 audit";
    ok(&db, &["accreditation", "suspend", &qhd_ts, "--on", "2024-01-01", "--reason", reason]);
    // The authority's own survey teams are accredited as any operator's are (IMAS 07.30).
    add_for(&db, "ANAMA", "ANAMA-ACC-2024-01", "NTS", "2024-01-01", "2024-12-31");
    // The technical survey (2 to 20 May) outlives this one by ten days.
    add(&db, "ANAMA-ACC-2024-02", "TS", "2024-01-01", "2024-05-10");

    let nts = ok(&db, &["report", "submit", &example("01-nts-new-hazard.json")]).trim().to_string();
    ok(&db, &["report", "approve", &nts]);
    let task = [
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
    ];
    ok(&db, &task);
    let ts = ok(&db, &["report", "submit", &example("02-ts.json")]).trim().to_string();
    let err = fails(&db, &["report", "approve", &ts]);
    assert!(
        err.contains("QHD was not accredited for TS on every day of the work (2024-05-02 to 2024-05-20)")
            && err.contains("ANAMA-ACC-2024-02 expired on 2024-05-10"),
        "{err}"
    );
    // Refused, it waits: still submitted.
    assert!(ok(&db, &["report", "show", &ts, "--json"]).contains("SUBMITTED"));
    add(&db, "ANAMA-ACC-2024-03", "TS", "2024-05-01", "2025-04-30");
    ok(&db, &["report", "approve", &ts]);

    // Suspended: work from that day on is refused; suspended once only.
    let suspend =
        ["accreditation", "suspend", "ANAMA-ACC-2024-03", "--on", "2024-06-01", "--reason", "QC failure"];
    ok(&db, &suspend);
    assert!(fails(&db, &suspend).contains("suspended already, from 2024-06-01"));
    let later = serde_json::json!({
        "type": "TS", "organisation": "QHD", "task": "T-AZ-AM-900001", "start_date": "2024-06-10",
        "end_date": "2024-06-20", "method": "MECHANICAL",
        "released": [{"geometry": {"type": "Polygon", "coordinates":
            [[[46.908, 39.968], [46.909, 39.968], [46.909, 39.969], [46.908, 39.969], [46.908, 39.968]]]}}]
    });
    let file = dir.path().join("later-ts.json");
    std::fs::write(&file, later.to_string()).unwrap();
    let id = ok(&db, &["report", "submit", file.to_str().unwrap()]).trim().to_string();
    let err = fails(&db, &["report", "approve", &id]);
    assert!(err.contains("its TS accreditation ANAMA-ACC-2024-03 was suspended on 2024-06-01"), "{err}");
    let list: Value = serde_json::from_str(&ok(&db, &["accreditation", "list", "--json"])).unwrap();
    let a3 = list.as_array().unwrap().iter().find(|a| a["reference"] == "ANAMA-ACC-2024-03").unwrap();
    assert_eq!(
        (a3["suspended_on"].as_str(), a3["suspension_reason"].as_str()),
        (Some("2024-06-01"), Some("QC failure"))
    );

    // Expiring within 30 days of today: only the one that does.
    let soon = days_from_today(10);
    add(&db, "ANAMA-ACC-SOON", "EOD", &days_from_today(-300), &soon);
    add(&db, "ANAMA-ACC-LATER", "EOD", &days_from_today(-300), &days_from_today(90));
    let expiring: Value =
        serde_json::from_str(&ok(&db, &["accreditation", "list", "--expiring", "30", "--json"])).unwrap();
    let refs: Vec<&str> =
        expiring.as_array().unwrap().iter().map(|a| a["reference"].as_str().unwrap()).collect();
    let demo_soon = demo.iter().find(|a| a["capability"] == "DOGS" && a["team"].is_string()).unwrap();
    assert_eq!(refs, ["ANAMA-ACC-SOON", demo_soon["reference"].as_str().unwrap()]);

    // Refusals, each naming what to do.
    let refused =
        |reference: &str, organisation: &str, extra: &[&str], cap: &str, (from, to): (&str, &str)| {
            let mut args =
                vec!["accreditation", "add", "--reference", reference, "--organisation", organisation];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--capability", cap, "--from", from, "--to", to]);
            fails(&db, &args)
        };
    let year = ("2024-01-01", "2024-02-01");
    let err = refused("X-1", "QHD", &[], "TS", ("2024-05-01", "2024-04-01"));
    assert!(err.contains("it would end (2024-04-01) before it starts (2024-05-01)"), "{err}");
    let err = refused("ANAMA-ACC-2024-01", "QHD", &[], "TS", year);
    assert!(err.contains("the reference is another accreditation's"), "{err}");
    let err = refused("X-2", "NOPE", &[], "TS", year);
    assert!(err.contains("organisation 'NOPE' is not in the register"), "{err}");
    let err = refused("X-3", "QHD", &["--team", "no such team"], "TS", year);
    assert!(err.contains("team 'no such team' is not one of QHD's teams"), "{err}");
    let err = refused("X-4", "QHD", &[], "WIZARDRY", year);
    assert!(err.contains("MANUAL, MECHANICAL, DOGS, EOD, NTS, TS"), "{err}");
    let err = fails(&db, &["accreditation", "list", "--expiring", "99999999"]);
    assert!(err.contains("give a number of days from 0 to 3660"), "{err}");

    // Sealed: a period stretched behind the history's back is caught.
    assert!(ok(&db, &["audit", "verify"]).contains("The history is intact."));
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE accreditations SET valid_to = '2030-12-31' WHERE reference = 'ANAMA-ACC-2024-02'\"); c.commit()",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = safeground(&db, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && said.contains("ACCREDITATION_ADDED"), "{said}");
}
