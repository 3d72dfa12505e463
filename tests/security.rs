//! What a security probe of the released binary found, each tried as an
//! attacker or a careless operator would, on the real binary: files readable
//! by other users, exports that overwrite the register, connections and
//! requests without time limits, DNS rebinding, counts that overflow.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn companion(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    p.into()
}

#[cfg(unix)]
#[test]
fn the_register_and_what_is_written_from_it_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["init", "--admin", "chief"]);
    assert_eq!(mode(&db), 0o600, "a new register");
    // Its -wal and -shm while a command has it open take its mode.
    let sql = "PRAGMA journal_mode = WAL;\nBEGIN;\nSELECT count(*) FROM users;\n";
    let mut reader = Command::new("sqlite3").arg(&db).stdin(Stdio::piped()).stdout(Stdio::null()).spawn();
    if require("sqlite3", "sqlite3", "the_register_and_what_is_written_from_it_are_private") {
        let child = reader.as_mut().unwrap();
        child.stdin.as_mut().unwrap().write_all(sql.as_bytes()).unwrap();
        let start = Instant::now();
        let open = || companion(&db, "-shm").exists() && companion(&db, "-wal").exists();
        while !open() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        for suffix in ["-wal", "-shm"] {
            assert_eq!(mode(&companion(&db, suffix)), 0o600, "{suffix}");
        }
        drop(child.stdin.take());
        child.wait().unwrap();
    }
    // The demo's register, and every export format.
    let demo = dir.path().join("demo.gpkg");
    ok(&demo, &["demo", "--scale", "5", "--no-serve"]);
    assert_eq!(mode(&demo), 0o600, "the demo register");
    for (format, ext) in
        [("geojson", "geojson"), ("csv", "csv"), ("kml", "kml"), ("gpkg", "gpkg"), ("xlsx", "xlsx")]
    {
        let out = dir.path().join(format!("hazards.{ext}"));
        ok(&demo, &["export", "--layer", "hazards", "--format", format, out.to_str().unwrap()]);
        assert_eq!(mode(&out), 0o600, "{format} export");
    }
    // Opened readable by others with personal data in it: a warning that says what to do.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = safeground(&db, &["summary"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning:") && err.contains("chmod 600") && err.contains("mode 644"), "{err}");
    // Without personal data (no accounts, no victims' names), no warning.
    let plain = dir.path().join("plain.gpkg");
    ok(&plain, &["init"]);
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = safeground(&plain, &["summary"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning:"));
}

#[test]
fn an_export_never_overwrites_the_register_or_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let before = std::fs::read(&db).unwrap();
    let target = db.to_str().unwrap();
    for force in [false, true] {
        let mut args = vec!["export", "--layer", "districts", "--format", "geojson", target];
        if force {
            args.push("--force");
        }
        let e = fails(&db, &args);
        assert!(e.contains("is the register itself"), "{e}");
    }
    // Through another spelling of the same path, and onto its -wal.
    let other = dir.path().join(".").join("register.gpkg");
    let e = fails(
        &db,
        &["export", "--layer", "districts", "--format", "csv", other.to_str().unwrap(), "--force"],
    );
    assert!(e.contains("is the register itself"), "{e}");
    assert_eq!(before, std::fs::read(&db).unwrap(), "the register is untouched");
    // An existing file needs --force.
    let out = dir.path().join("districts.geojson");
    std::fs::write(&out, "keep me").unwrap();
    let e = fails(&db, &["export", "--layer", "districts", "--format", "geojson", out.to_str().unwrap()]);
    assert!(e.contains("exists") && e.contains("--force"), "{e}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    ok(&db, &["export", "--layer", "districts", "--format", "geojson", out.to_str().unwrap(), "--force"]);
    assert!(std::fs::read_to_string(&out).unwrap().contains("FeatureCollection"));
    // `-` is standard output, whole, and nothing is left behind.
    let text = ok(&db, &["export", "--layer", "districts", "--format", "geojson", "-"]);
    assert_eq!(text, std::fs::read_to_string(&out).unwrap());
    assert!(!Path::new("-").exists(), "no file named - was written");
    // Nor does an import read the register itself as its input.
    let e = fails(&db, &["import", target, "--layer", "hazards"]);
    assert!(e.contains("is the register itself"), "{e}");
}

#[test]
fn counts_beyond_the_plausible_are_refused_and_totals_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let before: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    let report = serde_json::json!({
        "type": "EO_FIND", "organisation": "ANAMA", "start_date": "2024-07-01", "end_date": "2024-07-01",
        "eo_finds": [{"category": "UXO", "type": "82 mm mortar", "quantity": i64::MAX,
            "disposal": "DESTROYED_IN_SITU", "location": "39.7512 N 46.7440 E"}]
    });
    let f = dir.path().join("huge.json");
    std::fs::write(&f, report.to_string()).unwrap();
    // Refused at the door: the register never holds it, so no approval can add it up.
    let e = fails(&db, &["report", "submit", f.to_str().unwrap()]);
    assert!(
        e.contains("quantity of EO find 82 mm mortar is 9223372036854775807; it must be from 1 to 1000000"),
        "{e}"
    );
    let after: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    assert_eq!(before, after);
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &Path, extra: &[&str]) -> (Server, SocketAddr) {
    let (child, addr) = spawn_serve(db, extra, Stdio::null());
    (Server(child), addr)
}

/// Sends `request` as it is and reads until the server closes or `wait` passes.
fn exchange(addr: SocketAddr, request: &str, wait: Duration) -> (String, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let start = Instant::now();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (String::from_utf8_lossy(&out).to_string(), start.elapsed())
}

#[test]
fn the_server_answers_to_its_own_names_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let (_server, addr) = serve(&db, &[]);
    let get = |host: &str| {
        exchange(
            addr,
            &format!("GET /api/summary HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
            Duration::from_secs(30),
        )
        .0
    };
    assert!(get(&addr.to_string()).starts_with("HTTP/1.1 200"));
    assert!(get(&format!("localhost:{}", addr.port())).starts_with("HTTP/1.1 200"));
    // A page whose name was re-pointed at 127.0.0.1 reads nothing.
    let rebound = get(&format!("attacker.example:{}", addr.port()));
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
    assert!(rebound.contains("\"error\":\"misdirected\""), "{rebound}");
}

#[test]
fn slow_and_idle_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "5", "--no-serve"]);
    let (_server, addr) = serve(&db, &["--header-timeout", "1", "--request-timeout", "2"]);
    let generous = Duration::from_secs(20);
    // Half-sent headers: the connection is closed once the header time is up.
    let (_, took) = exchange(addr, "GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", generous);
    assert!(took < Duration::from_secs(10), "half-sent headers held a connection for {took:?}");
    // A connection that sends nothing at all.
    let (out, took) = exchange(addr, "", generous);
    assert!(out.is_empty() && took < Duration::from_secs(10), "an idle connection stayed {took:?}");
    // A kept-alive connection idle after its answer is closed too.
    let (out, took) = exchange(addr, &format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n"), generous);
    assert!(out.starts_with("HTTP/1.1 200") && took < Duration::from_secs(10), "{took:?} {out}");
    // A body that never comes: 503 with the JSON error, when the request time is up.
    let (out, took) = exchange(
        addr,
        &format!(
            "POST /api/traverse HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\nname,"
        ),
        generous,
    );
    assert!(out.starts_with("HTTP/1.1 503"), "{out}");
    assert!(out.contains("\"error\":\"timeout\""), "{out}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}
