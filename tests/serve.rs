//! `safeground serve` for real: the binary listens on loopback, answers, and
//! schemathesis (PyPI), generating requests from `/api/openapi.json`, finds no
//! server error. A non-loopback address is refused until accounts exist.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(db: &std::path::Path) -> (Server, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, addr)
}

fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_server_answers_on_loopback_and_refuses_other_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "10", "--no-serve"]);
    let (_server, addr) = serve(&db);
    let health = http_get(addr, "/api/health");
    assert!(health.starts_with("HTTP/1.1 200") && health.contains(r#""status":"ok""#), "{health}");
    let e = fails(&db, &["serve", "--addr", "0.0.0.0:0"]);
    assert!(e.contains("refusing to listen on 0.0.0.0"), "{e}");
    let e = fails(&dir.path().join("none.gpkg"), &["serve", "--addr", "127.0.0.1:0"]);
    assert!(e.contains("no database"), "{e}");
}

#[test]
fn schemathesis_finds_no_server_error() {
    if !require("st", "schemathesis (PyPI)", "schemathesis_finds_no_server_error") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let (_server, addr) = serve(&db);
    let out = Command::new("st")
        .args(["run", &format!("http://{addr}/api/openapi.json")])
        .args(["--checks", "not_a_server_error", "--max-examples", "25", "--seed", "2020"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found a problem:\n{text}");
    assert!(text.contains("passed"), "{text}");
}
