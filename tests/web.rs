//! The web application end to end in real headless Chromium (Debian's
//! `chromium`, driven by Playwright from tests/e2e): `safeground demo` prints
//! its login, a wrong password is refused, the right one signs in; the map draws
//! hazards with every request to another host refused, a hazard opens with its
//! history, a survey drawn from bearings and distances is submitted, approved
//! from the queue, and the dashboard changes. Screenshots: target/web-screenshots/.

mod common;
use common::*;
use std::net::{SocketAddr, TcpListener, TcpStream};
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
