//! The register keeps every write the server confirmed while command-line
//! programs use it at the same time.
//!
//! A server answers concurrent requests (so its pool opens several
//! connections) while `safeground` commands — reads and writes — run on the
//! same register, round after round. Then every report the server answered
//! 201 for must be in the register, as read by a new process after the server
//! was killed; no descriptor of the server may point to a deleted file (a
//! `-wal` another process removed under it); SQLite's integrity check and
//! `audit verify` must pass; and a token the command line revoked must stop
//! working on the server at once. On PostgreSQL the same story runs without
//! the file checks.
//!
//! This caught the server reading the register's header with a file
//! descriptor of its own: closing it dropped every POSIX lock the process held
//! on the file, so a command's closing connection took itself for the last
//! one, checkpointed and deleted the WAL, and the server went on writing into
//! the deleted file.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const PASSWORD: &str = "a long enough password for tests";
const ROUNDS: usize = 20;
const REQUESTS_PER_ROUND: usize = 8;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path) -> Server {
    let (child, addr) = spawn_serve(db, &[], Stdio::null());
    Server { child, addr }
}

/// One HTTP/1.1 request; returns the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// Runs the binary as the administrator (password in the environment).
fn admin(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["--user", "admin"])
        .args(args)
        .env("SAFEGROUND_PASSWORD", PASSWORD)
        .env_remove("SAFEGROUND_TOKEN")
        .env_remove("SAFEGROUND_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn admin_ok(db: &Path, args: &[&str]) -> String {
    let out = admin(db, args);
    assert!(
        out.status.success(),
        "safeground {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A non-technical survey recording a new hazard, a small square near Agdam.
fn nts(code: u32) -> String {
    let (lon, lat) = (46.90 + f64::from(code % 50) * 0.002, 39.96 + f64::from(code / 50 % 50) * 0.002);
    let (e, n) = (lon + 0.001, lat + 0.001);
    serde_json::json!({
        "type": "NTS", "organisation": "ANAMA", "start_date": "2024-03-04", "end_date": "2024-03-06",
        "new_hazard": {
            "code": format!("AZ-AM-9{code:05}"), "name": format!("load test area {code}"),
            "kind": "SHA", "district": "Agdam", "contamination": ["AP"], "land_use": ["GRAZING"],
            "evidence": [{"source": "INFORMANT", "confidence": "MEDIUM", "description": "seen"}],
            "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [e, lat], [e, n], [lon, n], [lon, lat]]]}
        }
    })
    .to_string()
}

/// Descriptors of process `pid` that point to a deleted file.
fn deleted_descriptors(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .filter(|p| p.ends_with("(deleted)"))
        .collect()
}

/// The register with an administrator and an API token for the server's requests.
fn register(db: &Path) -> String {
    ok(db, &["demo", "--scale", "10", "--no-serve"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["user", "add", "admin", "--role", "administrator", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let out = admin_ok(db, &["user", "token", "admin", "--label", "load"]);
    out.lines().last().unwrap().trim().to_string()
}

/// The story on `db`; `file` when it is a GeoPackage (the file checks apply).
fn writes_survive(db: &Path, file: bool) {
    let token = register(db);
    let server = serve(db);
    let addr = server.addr;
    let pid = server.child.id();
    let dir = tempfile::tempdir().unwrap();
    let mut confirmed: Vec<String> = Vec::new();
    let mut code = 0u32;
    for round in 0..ROUNDS {
        // Concurrent requests: submissions and reads, so the pool opens connections.
        let mut threads = Vec::new();
        for i in 0..REQUESTS_PER_ROUND {
            code += 1;
            let (token, body) = (token.clone(), nts(code));
            threads.push(std::thread::spawn(move || {
                if i % 3 == 2 {
                    let (status, _) = request(addr, "GET", "/api/summary", &token, "");
                    assert_eq!(status, 200);
                    None
                } else {
                    let (status, body) = request(addr, "POST", "/api/reports", &token, &body);
                    assert_eq!(status, 201, "{body}");
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    Some(v["id"].as_str().unwrap().to_string())
                }
            }));
        }
        // Meanwhile, commands on the same register: reads and writes.
        ok(db, &["summary"]);
        ok(db, &["hazards", "list", "--status", "OPEN"]);
        code += 1;
        let f = dir.path().join(format!("cli-{round}.json"));
        std::fs::write(&f, nts(code)).unwrap();
        let id = admin_ok(db, &["report", "submit", f.to_str().unwrap()]);
        confirmed.push(id.trim().to_string());
        let issued = admin_ok(db, &["user", "token", "admin", "--label", &format!("round {round}")]);
        let token_id = issued.split_whitespace().nth(1).unwrap().to_string();
        let secret = issued.lines().last().unwrap().trim().to_string();
        admin_ok(db, &["user", "revoke-token", &token_id]);
        for t in threads {
            confirmed.extend(t.join().unwrap());
        }
        // A token the command line revoked is refused by the server at once.
        let (status, _) = request(addr, "GET", "/api/summary", &secret, "");
        assert_eq!(status, 401, "round {round}: a token revoked on the command line still works");
        // Every report the server confirmed is seen by another process now.
        let listed = admin_ok(db, &["report", "list", "--json"]);
        for id in &confirmed {
            assert!(
                listed.contains(id.as_str()),
                "round {round}: report {id} was confirmed but is not there"
            );
        }
        if file {
            let deleted = deleted_descriptors(pid);
            assert!(deleted.is_empty(), "round {round}: the server writes into deleted files: {deleted:?}");
        }
    }
    assert_eq!(confirmed.len(), ROUNDS * (1 + REQUESTS_PER_ROUND - REQUESTS_PER_ROUND / 3));
    // The server dies; what it confirmed is in the register all the same.
    drop(server);
    let listed = admin_ok(db, &["report", "list", "--json"]);
    for id in &confirmed {
        assert!(
            listed.contains(id.as_str()),
            "report {id} was confirmed but is lost after the server stopped"
        );
    }
    if file && require("sqlite3", "sqlite3", "writes_survive") {
        let out = Command::new("sqlite3").arg(db).arg("PRAGMA integrity_check;").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "ok",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    admin_ok(db, &["audit", "verify"]);
}

#[test]
fn confirmed_writes_survive_commands_on_the_same_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    writes_survive(&dir.path().join("register.gpkg"), true);
}

#[test]
fn confirmed_writes_survive_commands_on_the_same_postgres_register() {
    let Some(pg) = PgDatabase::create("confirmed_writes_survive_commands_on_the_same_postgres_register")
    else {
        return;
    };
    writes_survive(&pg.url, false);
}
