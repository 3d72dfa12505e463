//! The web application end to end in real headless Chromium (Debian's
//! `chromium`, driven by Playwright from tests/e2e): the demo's map draws
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
    if !require("chromium", "chromium", test) || !require("node", "nodejs", test) {
        return;
    }
    let e2e = repo_file("tests/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&e2e)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci in tests/e2e (installs playwright-core)");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "100", "--no-serve"]);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", &addr.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
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
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser test failed:\n{text}");
    eprintln!("{text}");
    for shot in ["map", "hazard", "dashboard", "survey", "queue", "dashboard-after"] {
        assert!(shots.join(format!("{shot}.png")).is_file(), "screenshot {shot}");
    }
}
