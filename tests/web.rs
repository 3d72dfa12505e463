//! The web application end to end in real headless Chromium (Debian's
//! `chromium`, driven by Playwright from tests/e2e): `safeground demo` prints
//! its login, a wrong password is refused, the right one signs in; the map draws
//! hazards with every request to another host refused, a hazard opens with its
//! history, a survey drawn from bearings and distances is submitted, approved
//! from the queue, and the dashboard changes. Screenshots: target/web-screenshots/.

mod common;
use common::*;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_web_application_works_in_chromium_with_no_internet() {
    let test = "the_web_application_works_in_chromium_with_no_internet";
    if !require("chromium", "chromium", test)
        || !require("node", "nodejs", test)
        || !require("GeoConvert", "geographiclib-tools", test)
    {
        return;
    }
    let e2e = repo_file("tests/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() || !e2e.join("node_modules/axe-core").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&e2e)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci in tests/e2e (installs playwright-core and axe-core)");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "100", "--no-serve"]);
    let (flagged, hazard) = flagged_from_a_field_copy(&db, dir.path());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // `demo` on the register built above: it makes the demo's accounts and
    // prints the login at start, as a newcomer sees it.
    let mut server = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(&db)
        .args(["demo", "--addr", &addr.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Log in as admin with the password ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    });
    let password = rx.recv_timeout(Duration::from_secs(60)).expect("the demo prints its login");
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let shots = repo_file("target/web-screenshots");
    let out = Command::new("node")
        .arg(e2e.join("web.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shots)
        .arg("admin")
        .arg(&password)
        .arg(&flagged)
        .arg(&hazard)
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser test failed:\n{text}");
    eprintln!("{text}");
    for shot in [
        "login",
        "map",
        "hazard",
        "dashboard",
        "ncrs",
        "victims",
        "survey",
        "queue",
        "dashboard-after",
        "accreditations",
        "investigations",
        "register",
        "tasks",
        "data",
        "accounts",
        "operator-data",
    ] {
        assert!(shots.join(format!("{shot}.png")).is_file(), "screenshot {shot}");
    }
    // Every view in every language, as CI keeps them.
    for lang in ["en", "az", "uk", "ru"] {
        for view in [
            "map",
            "register",
            "tasks",
            "dashboard",
            "queue",
            "survey",
            "ncrs",
            "investigations",
            "accreditations",
            "data",
            "accounts",
            "victims",
        ] {
            assert!(shots.join(lang).join(format!("{view}.png")).is_file(), "screenshot {lang}/{view}");
        }
    }
}

/// A field copy of the district of a task in progress, a technical survey
/// submitted on it, the hazard's last approval unapproved on the register
/// meanwhile, and the copy synced: the report arrives flagged. Answers its
/// id and the hazard's code.
fn flagged_from_a_field_copy(db: &Path, dir: &Path) -> (String, String) {
    let task = query(
        db,
        "SELECT t.code, h.code, o.acronym, d.name, h.reference_lon, h.reference_lat FROM tasks t
           JOIN hazards h ON h.id = t.hazard_id JOIN organisations o ON o.id = t.organisation_id
           JOIN districts d ON d.id = h.district_id
         WHERE t.status = 'IN_PROGRESS' AND h.reference_lon IS NOT NULL ORDER BY t.code LIMIT 1",
    );
    let row = &task[0];
    let s = |i: usize| row[i].as_str().unwrap().to_string();
    let (lon, lat) = (row[4].as_f64().unwrap(), row[5].as_f64().unwrap());
    let copy = dir.join("field.gpkg");
    ok(db, &["checkout", "--district", &s(3), "--organisation", &s(2), "--to", copy.to_str().unwrap()]);
    let ts = serde_json::json!({
        "type": "TS", "organisation": s(2), "task": s(0), "start_date": "2025-06-02", "end_date": "2025-06-05",
        "method": "MANUAL", "depth_cm": 13, "hours_worked": 40, "confirm": true,
        "released": [{"geometry": {"type": "Polygon", "coordinates":
            [[[lon, lat], [lon + 0.0003, lat], [lon, lat + 0.0003], [lon, lat]]]}}]
    });
    let file = dir.join("ts.json");
    std::fs::write(&file, ts.to_string()).unwrap();
    let id = ok(&copy, &["report", "submit", file.to_str().unwrap()]).trim().to_string();
    let last = query(
        db,
        &format!(
            "SELECT v.report_id FROM hazard_versions v JOIN hazards h ON h.id = v.hazard_id WHERE h.code = '{}'
             ORDER BY v.version DESC LIMIT 1",
            s(1)
        ),
    );
    ok(db, &["report", "unapprove", last[0][0].as_str().unwrap(), "--reason", "counted twice"]);
    let out = ok(&copy, &["sync", "--to", db.to_str().unwrap()]);
    assert!(out.contains("FLAGGED"), "{out}");
    (id, s(1))
}
