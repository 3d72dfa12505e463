//! Accounts on the command line, and the sealed history against a person
//! with the file: every CLI write against every role (from a table written
//! here), the first administrator, API tokens, and `audit verify` after the
//! database is edited with the `sqlite3` shell, as someone might.

mod common;
use common::*;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

/// Runs the binary as `user` (password in the environment), or with an API token.
fn as_user(db: &Path, user: Option<&str>, token: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_safeground"));
    c.arg("--db").arg(db).args(args).env_remove("SAFEGROUND_DB").env_remove("SAFEGROUND_TOKEN");
    c.env_remove("SAFEGROUND_USER").env("SAFEGROUND_PASSWORD", PASSWORD);
    if let Some(u) = user {
        c.args(["--user", u]);
    }
    if let Some(t) = token {
        c.env("SAFEGROUND_TOKEN", t);
    }
    c.stdin(Stdio::null()).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A demo register with an account per role, added by its holder before
/// accounts existed (the bootstrap), passwords read from standard input.
fn register(dir: &Path) -> PathBuf {
    let db = dir.join("demo.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    for (name, role, org) in [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("operator", "operator", Some("AEST")),
        ("qm", "qm_officer", None),
        ("viewer", "viewer", None),
    ] {
        let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
        if let Some(o) = org {
            args.extend(["--organisation", o]);
        }
        // After the first account, adding one needs an administrator.
        let first = name == "admin";
        let mut c = Command::new(env!("CARGO_BIN_EXE_safeground"));
        c.arg("--db")
            .arg(&db)
            .args(&args)
            .env("SAFEGROUND_PASSWORD", PASSWORD)
            .env_remove("SAFEGROUND_TOKEN");
        if !first {
            c.args(["--user", "admin"]);
        }
        let mut child =
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "adding {name}: {}", text(&out));
    }
    db
}

fn report_of(db: &Path, org: &str) -> String {
    let list: serde_json::Value = serde_json::from_str(
        &as_user(db, None, None, &["report", "list", "--json"])
            .stdout
            .iter()
            .map(|b| *b as char)
            .collect::<String>(),
    )
    .unwrap();
    list.as_array().unwrap().iter().find(|r| r["organisation"] == org).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_cli_write_against_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let own = report_of(&db, "AEST");
    let hazard = {
        let out = as_user(&db, None, None, &["hazards", "list", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["code"].as_str().unwrap().to_string()
    };
    let find = dir.path().join("find.json");
    std::fs::write(
        &find,
        r#"{"type": "EO_FIND", "organisation": "AEST", "start_date": "2024-04-12", "end_date": "2024-04-12",
            "eo_finds": [{"category": "UXO", "type": "82 mm mortar", "condition": "DAMAGED",
              "disposal": "DESTROYED_IN_SITU", "location": "39.9 46.9"}]}"#,
    )
    .unwrap();
    let export = dir.path().join("eo.geojson");
    ok(&db, &["export", "--layer", "eo_finds", "--format", "geojson", export.to_str().unwrap()]);
    let all: &[&str] = &["admin", "imo", "operator", "qm", "viewer"];
    let find_s = find.to_str().unwrap().to_string();
    let export_s = export.to_str().unwrap().to_string();
    // (command, roles allowed).
    let table: Vec<(Vec<String>, &[&str])> = vec![
        (vec!["report".into(), "submit".into(), find_s], &["admin", "imo", "operator"]),
        (vec!["report".into(), "approve".into(), own.clone()], &["admin", "imo"]),
        (
            vec!["report".into(), "reject".into(), own.clone(), "--reason".into(), "t".into()],
            &["admin", "imo"],
        ),
        (
            vec!["report".into(), "unapprove".into(), own.clone(), "--reason".into(), "t".into()],
            &["admin", "imo"],
        ),
        (
            vec![
                "task".into(),
                "issue".into(),
                "--hazard".into(),
                hazard,
                "--organisation".into(),
                "AEST".into(),
            ],
            &["admin", "imo"],
        ),
        (vec!["import".into(), export_s, "--layer".into(), "eo_finds".into()], &["admin", "imo"]),
        (vec!["user".into(), "list".into()], &["admin"]),
        // Nobody here holds the personal-data permission: reading it is denied to every role.
        (vec!["report".into(), "show".into(), own.clone(), "--personal".into()], &[]),
        (vec!["user".into(), "token".into(), "viewer".into()], &["admin", "viewer"]),
        (vec!["user".into(), "disable".into(), "nobody".into()], &["admin"]),
        (vec!["user".into(), "role".into(), "nobody".into(), "VIEWER".into()], &["admin"]),
        (vec!["user".into(), "personal-data".into(), "nobody".into(), "on".into()], &["admin"]),
    ];
    for (args, allowed) in &table {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // Nobody signed in: refused, saying how to sign in.
        let out = as_user(&db, None, None, &args);
        assert!(
            !out.status.success() && text(&out).contains("this register has accounts"),
            "{args:?}: {}",
            text(&out)
        );
        for role in all {
            let out = as_user(&db, Some(role), None, &args);
            let t = text(&out);
            if allowed.contains(role) {
                assert!(!t.contains("denied"), "{role} may run {args:?}: {t}");
            } else {
                assert!(!out.status.success() && t.contains("denied:"), "{role} may not run {args:?}: {t}");
            }
        }
    }
    // With the permission, the accident's victims are named; without, not.
    let list: serde_json::Value =
        serde_json::from_slice(&as_user(&db, None, None, &["report", "list", "--json"]).stdout).unwrap();
    let accident = list.as_array().unwrap().iter().find(|r| r["type"] == "ACCIDENT").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let show = ["report", "show", accident.as_str(), "--json", "--personal"];
    assert!(text(&as_user(&db, Some("admin"), None, &show)).contains("denied:"));
    assert!(as_user(&db, Some("admin"), None, &["user", "personal-data", "admin", "on"]).status.success());
    let named = text(&as_user(&db, Some("admin"), None, &show));
    assert!(named.contains("(fictional)"), "{named}");
    assert!(!text(&as_user(&db, Some("admin"), None, &show[..4])).contains("(fictional)"));
    // A wrong password is refused; so is a disabled account.
    let mut c = Command::new(env!("CARGO_BIN_EXE_safeground"));
    let out = c
        .arg("--db")
        .arg(&db)
        .args(["--user", "imo", "user", "passwd", "imo"])
        .env("SAFEGROUND_PASSWORD", "not the password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(text(&out).contains("wrong name or password"), "{}", text(&out));
    assert!(as_user(&db, Some("admin"), None, &["user", "disable", "qm"]).status.success());
    assert!(text(&as_user(&db, Some("qm"), None, &["user", "passwd", "qm"])).contains("disabled"));
    // An API token acts as its account.
    let out = as_user(&db, Some("admin"), None, &["user", "token", "imo", "--label", "nightly"]);
    let secret = String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_string();
    assert!(secret.starts_with("sgt_"), "{secret}");
    let out = as_user(&db, None, Some(&secret), &["user", "list"]);
    assert!(text(&out).contains("denied: imo (IM_OFFICER) may not manage accounts"), "{}", text(&out));
    // The last administrator cannot be disabled.
    assert!(text(&as_user(&db, Some("admin"), None, &["user", "disable", "admin"]))
        .contains("last enabled administrator"));
    // All of it is in the sealed history.
    let out = as_user(&db, None, None, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn init_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.gpkg");
    let out = ok(&db, &["init", "--admin", "chief"]);
    let pw = out
        .lines()
        .find_map(|l| {
            l.rsplit_once(": ").filter(|(k, _)| k.contains("shown once")).map(|(_, p)| p.trim().to_string())
        })
        .unwrap();
    assert_eq!(pw.len(), 20, "{out}");
    let run = |pw: &str| {
        Command::new(env!("CARGO_BIN_EXE_safeground"))
            .arg("--db")
            .arg(&db)
            .args(["--user", "chief", "user", "list"])
            .env("SAFEGROUND_PASSWORD", pw)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let listed = run(&pw);
    assert!(listed.status.success() && text(&listed).contains("ADMINISTRATOR"), "{}", text(&listed));
    assert!(!run("guessed password").status.success());
}

/// An edit of a copy of the register: the SQL to run on it.
type Edit<'a> = Box<dyn Fn(&Path) -> String + 'a>;

/// On PostgreSQL the events' identity sequence moves outside transactions:
/// a write rolled back advances it, and a crash or a point-in-time recovery
/// skips up to 32 values, with no event written. `audit verify` must not
/// call that a deletion (it did, after every restore the deployment guide
/// tells to verify), and must still catch the newest event deleted.
#[test]
fn a_rolled_back_or_skipped_event_is_not_a_deleted_one_on_postgresql() {
    let Some(pg) = PgDatabase::create("rolled_back_event") else { return };
    ok(&pg.url, &["init"]);
    // A register with no event yet has a count of none, and moves.
    let Some(copy) = PgDatabase::create("rolled_back_event_copy") else { return };
    ok(&pg.url, &["migrate", "--to", copy.url.to_str().unwrap()]);
    add_users(&pg.url, &[("admin", "administrator", None), ("viewer", "viewer", None)]);
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .arg(&pg.url)
            .args(["-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    psql(
        "BEGIN; INSERT INTO events (id, at, actor, kind) \
         VALUES ('rolled-back', '2026-12-06T00:00:00Z', 'nobody', 'USER_ADDED'); ROLLBACK",
    );
    psql("SELECT setval(pg_get_serial_sequence('events', 'seq'), (SELECT last_value + 32 FROM events_seq_seq))");
    let out = as_user(&pg.url, Some("admin"), None, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    // The newest event deleted behind the register's back.
    psql(
        "ALTER TABLE events DISABLE TRIGGER events_append_only; \
         DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
    );
    let out = as_user(&pg.url, Some("admin"), None, &["audit", "verify"]);
    assert!(!out.status.success(), "a deleted newest event passed the audit");
    assert!(text(&out).contains("the newest were deleted"), "{}", text(&out));
    // The count cannot be wound back to hide it.
    let out = Command::new("psql")
        .arg(&pg.url)
        .args(["-qAtX", "-c", "UPDATE sg_events_counter SET last = last - 1"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("only grows"), "{}", text(&out));
}

/// The tamper test: each edit, made with the sqlite3 shell on a copy of a
/// register, makes `audit verify` fail and name what no longer matches.
#[test]
fn edits_made_outside_safeground_fail_the_audit() {
    let test = "edits_made_outside_safeground_fail_the_audit";
    if !require("sqlite3", "sqlite3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let out = as_user(&db, None, None, &["audit", "verify", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let intact: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let head = intact["head"]["hash"].as_str().unwrap().to_string();
    let sql = |db: &Path, q: &str| -> String {
        let o = Command::new("sqlite3").arg(db).arg(q).output().unwrap();
        assert!(o.status.success(), "sqlite3 {q}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    // Layer tables carry the GeoPackage R-tree triggers, which need functions
    // the shell lacks: someone editing them drops the triggers first.
    let untrigger = |db: &Path, table: &str| -> String {
        sql(db, &format!("SELECT group_concat('DROP TRIGGER \"' || name || '\"', '; ') FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"))
    };
    let seq_of = |db: &Path, q: &str| sql(db, q);
    // (what, the SQL, what the verification must say).
    let cases: Vec<(&str, Edit, String)> = vec![
        (
            "a report's text",
            Box::new(|_| "UPDATE reports SET body = body || ' ' WHERE fid = 3".into()),
            format!(
                "seq {} ",
                seq_of(
                    &db,
                    "SELECT min(e.seq) FROM events e JOIN reports r ON r.id = e.report_id WHERE r.fid = 3"
                )
            ),
        ),
        (
            "an event's actor",
            Box::new(|_| {
                "DROP TRIGGER events_no_update; UPDATE events SET actor = 'someone else' WHERE seq = 40"
                    .into()
            }),
            "seq 40 ".into(),
        ),
        (
            "an event deleted",
            Box::new(|_| "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 41".into()),
            "events between seq 40 and 42 are missing".into(),
        ),
        (
            "the newest event deleted",
            Box::new(|_| {
                "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)"
                    .into()
            }),
            "the newest were deleted".into(),
        ),
        (
            "a released area's size",
            Box::new(move |db: &Path| {
                format!(
                    "{}; UPDATE released_areas SET area_m2 = area_m2 * 2 WHERE fid = 2",
                    untrigger(db, "released_areas")
                )
            }),
            "REPORT_APPROVED".into(),
        ),
        (
            "a hazard's remaining area halved by hand",
            Box::new(move |db: &Path| {
                format!("{}; UPDATE hazards SET area_remaining_m2 = area_remaining_m2 / 2 WHERE fid = (SELECT min(fid) FROM hazards WHERE revoked_at IS NULL AND area_remaining_m2 > 0)", untrigger(db, "hazards"))
            }),
            "differs from its version".into(),
        ),
        (
            "an EO find deleted",
            Box::new(move |db: &Path| {
                format!("{}; DELETE FROM eo_finds WHERE fid = 5", untrigger(db, "eo_finds"))
            }),
            "REPORT_APPROVED".into(),
        ),
        (
            "a report's state",
            Box::new(|_| "UPDATE reports SET state = 'REJECTED' WHERE fid = 4".into()),
            "but its last event is REPORT_APPROVED".into(),
        ),
        (
            "a viewer made administrator",
            Box::new(|_| "UPDATE users SET role = 'ADMINISTRATOR' WHERE name = 'viewer'".into()),
            "differs from what the history last recorded".into(),
        ),
        (
            "a password hash replaced",
            Box::new(|_| {
                "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE name = 'viewer') WHERE name = 'admin'".into()
            }),
            "differs from what the history last recorded".into(),
        ),
    ];
    for (what, edit, expect) in &cases {
        let copy = dir.path().join("copy.gpkg");
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", copy.display()));
        }
        // The register is checkpointed (a finished write), so the file alone is the database.
        std::fs::copy(&db, &copy).unwrap();
        sql(&copy, &edit(&copy));
        let out = as_user(&copy, None, None, &["audit", "verify"]);
        let t = text(&out);
        assert!(!out.status.success(), "{what}: the audit passed:\n{t}");
        assert!(t.contains(expect.as_str()), "{what}: expected '{expect}' in:\n{t}");
    }
    // An event slipped in unsealed, hoping the next write seals it: it does not.
    let copy = dir.path().join("slipped.gpkg");
    std::fs::copy(&db, &copy).unwrap();
    sql(&copy, "INSERT INTO events (id, at, actor, kind, subject, reason) SELECT 'forged', '2026-01-01T00:00:00Z', 'admin', 'USER_CHANGED', id, 'role ADMINISTRATOR' FROM users WHERE name = 'viewer'; UPDATE users SET role = 'ADMINISTRATOR' WHERE name = 'viewer'");
    let out = as_user(&copy, Some("admin"), None, &["user", "token", "admin"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = as_user(&copy, None, None, &["audit", "verify"]);
    assert!(!out.status.success() && text(&out).contains("it is not sealed"), "{}", text(&out));

    // Deleting the newest event and winding back SQLite's counter leaves a
    // whole, shorter chain: the head written down earlier catches it.
    let copy = dir.path().join("cut.gpkg");
    std::fs::copy(&db, &copy).unwrap();
    sql(&copy, "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = (SELECT max(seq) FROM events); UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'events'");
    let out = as_user(&copy, None, None, &["audit", "verify", "--expect-head", &head]);
    assert!(
        !out.status.success() && text(&out).contains("not") && text(&out).contains(&head),
        "{}",
        text(&out)
    );
}

#[test]
fn a_register_with_accounts_may_be_served_to_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["init"]);
    let e = fails(&db, &["serve", "--addr", "0.0.0.0:0"]);
    assert!(e.contains("no accounts"), "{e}");
    // The holder of a register without accounts adds its first administrator.
    assert!(ok(&db, &["user", "add", "chief", "--role", "administrator"]).contains("shown once"));
    // Every network of the machine: only with the names people reach it by.
    let e = fails(&db, &["serve", "--addr", "0.0.0.0:0"]);
    assert!(e.contains("--public-host"), "{e}");
    let port = TcpListener::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", &format!("0.0.0.0:{port}"), "--public-host", "register.example.org"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    let up = loop {
        if TcpStream::connect(addr).is_ok() {
            break true;
        }
        if start.elapsed() > Duration::from_secs(20) || server.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = server.kill();
    let out = server.wait_with_output().unwrap();
    assert!(up, "the server listens on 0.0.0.0 once accounts exist");
    // Plain HTTP to the network without --secure-cookies is said out loud.
    let warned = String::from_utf8_lossy(&out.stderr);
    assert!(
        warned.contains("WARN") && warned.contains("serving 0.0.0.0") && warned.contains("--secure-cookies"),
        "{warned}"
    );
}

/// No export, in any format, carries a victim's name; the public level
/// hides the outline of ground still dangerous and nothing else.
#[test]
fn exports_carry_no_personal_data_and_the_public_level_hides_dangerous_ground() {
    let test = "exports_carry_no_personal_data_and_the_public_level_hides_dangerous_ground";
    if !require("sqlite3", "sqlite3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "60", "--no-serve"]);
    let o = Command::new("sqlite3").arg(&db).arg("SELECT full_name FROM victim_identities").output().unwrap();
    let names: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(String::from).collect();
    assert!(!names.is_empty(), "the demo names its victims");
    let layers = [
        "hazards",
        "released_areas",
        "eo_finds",
        "accidents",
        "eore_sessions",
        "tasks",
        "settlements",
        "districts",
        "organisations",
    ];
    for layer in layers {
        for format in ["geojson", "csv", "kml", "gpkg"] {
            let out = dir.path().join(format!("{layer}.{format}"));
            ok(&db, &["export", "--layer", layer, "--format", format, out.to_str().unwrap()]);
            let bytes = std::fs::read(&out).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for n in &names {
                assert!(!text.contains(n.as_str()), "{n} in the {format} export of {layer}");
            }
        }
    }
    let read = |args: &[&str]| -> serde_json::Value {
        let out = dir.path().join("h.geojson");
        let mut all =
            vec!["export", "--layer", "hazards", "--format", "geojson", out.to_str().unwrap(), "--force"];
        all.extend(args);
        ok(&db, &all);
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    };
    let full = read(&[]);
    let coarse = read(&["--level", "public"]);
    let dropped = read(&["--level", "public", "--dangerous", "drop"]);
    let features = |v: &serde_json::Value| v["features"].as_array().unwrap().clone();
    let (full, coarse, dropped) = (features(&full), features(&coarse), features(&dropped));
    assert_eq!(full.len(), coarse.len());
    assert_eq!(full.len(), dropped.len());
    let extent = |g: &serde_json::Value| {
        let mut r = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for poly in g["coordinates"].as_array().unwrap() {
            for ring in poly.as_array().unwrap() {
                for p in ring.as_array().unwrap() {
                    let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                    r = [r[0].min(x), r[1].min(y), r[2].max(x), r[3].max(y)];
                }
            }
        }
        r
    };
    let (mut hidden, mut kept) = (0, 0);
    for ((f, c), d) in full.iter().zip(&coarse).zip(&dropped) {
        assert_eq!(f["properties"], c["properties"], "attributes stay");
        let status = f["properties"]["status"].as_str().unwrap();
        if status == "OPEN" || status == "WORKED_ON" {
            hidden += 1;
            assert!(d["geometry"].is_null(), "dropped: {}", d["geometry"]);
            let cell = extent(&c["geometry"]);
            let exact = extent(&f["geometry"]);
            let ring = &c["geometry"]["coordinates"][0][0];
            assert_eq!(ring.as_array().unwrap().len(), 5, "one rectangle of grid cells");
            assert!(cell[0] <= exact[0] && cell[1] <= exact[1] && cell[2] >= exact[2] && cell[3] >= exact[3]);
            for v in cell {
                assert!(((v * 100.0).round() - v * 100.0).abs() < 1e-6, "{v} is on the 0.01° grid");
            }
        } else {
            kept += 1;
            assert_eq!(f["geometry"], c["geometry"]);
            assert_eq!(f["geometry"], d["geometry"]);
        }
    }
    assert!(hidden > 0 && kept > 0, "{hidden} hidden, {kept} kept");
}
