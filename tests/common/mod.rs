//! Helpers shared by the integration tests: run the real binary, find the
//! outside tools that check its output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `safeground` with the given database and arguments.
pub fn safeground(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("SAFEGROUND_DB")
        .output()
        .expect("the safeground binary runs")
}

/// Runs `safeground` and insists it succeeds; returns its standard output.
pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = safeground(db, args);
    assert!(
        out.status.success(),
        "safeground {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Runs `safeground`, insists it fails, and returns its standard error.
pub fn fails(db: &Path, args: &[&str]) -> String {
    let out = safeground(db, args);
    assert!(!out.status.success(), "safeground {args:?} should have failed");
    String::from_utf8(out.stderr).expect("output is UTF-8")
}

/// Whether an outside tool (a program, `python3:module` for a module of
/// Debian's /usr/bin/python3, or `pypi:module` for one installed with pip
/// into the `python3` on PATH) is here. When it is not, the test fails with
/// what to install — unless SAFEGROUND_SKIP_EXTERNAL=1, set by scripts/test.sh
/// only where it cannot install the tool; then the skip is written to
/// target/skipped-tests.txt, which the script prints at the end. Never in CI.
pub fn require(tool: &str, package: &str, test: &str) -> bool {
    let import = |python: &str, module: &str| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let present = if let Some(module) = tool.strip_prefix("python3:") {
        import("/usr/bin/python3", module)
    } else if let Some(module) = tool.strip_prefix("pypi:") {
        import("python3", module)
    } else {
        which(tool).is_some()
    };
    if present {
        return true;
    }
    if std::env::var("SAFEGROUND_SKIP_EXTERNAL").as_deref() == Ok("1")
        && std::env::var("CI").as_deref() != Ok("true")
    {
        let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("skipped-tests.txt");
        let line = format!("{test}: needs {tool} (Debian package {package})\n");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        eprintln!("SKIPPED {line}");
        return false;
    }
    panic!("{test} needs {tool}: install the Debian package {package} (scripts/test.sh does it when run as root)");
}

pub fn which(tool: &str) -> Option<PathBuf> {
    // Daemons (nginx, haproxy) live in the sbin directories, not always on a user's PATH.
    let sbin = ["/usr/sbin", "/sbin"].map(PathBuf::from);
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(sbin)
        .map(|p| p.join(tool))
        .find(|p| p.is_file())
}

/// GDAL's GeoPackage validator, wherever Debian's python3-gdal put it.
pub fn validate_gpkg_script() -> Option<PathBuf> {
    [
        "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
        "/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Whether the GDAL and GeographicLib Python modules the oracle scripts use are here.
pub fn require_oracle(test: &str) -> bool {
    require("python3:osgeo", "python3-gdal", test)
        && require("python3:geographiclib", "python3-geographiclib", test)
}

/// Runs an oracle script of tests/oracle with Debian's Python and insists it agrees;
/// returns what it printed.
pub fn oracle(script: &str, args: &[&Path]) -> String {
    let out = Command::new("/usr/bin/python3")
        .arg(repo_file(&format!("tests/oracle/{script}")))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} disagrees:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// GeographicLib's Planimeter (geographiclib-tools): the area of a ring given as lon/lat.
pub fn planimeter(ring: &[(f64, f64)]) -> f64 {
    let input: String = ring.iter().map(|(lon, lat)| format!("{lat} {lon}\n")).collect();
    let mut child = std::process::Command::new("Planimeter")
        .args(["-p", "10"]) // areas to 1e-5 m² (the default gives a tenth of one)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    // "number perimeter area"
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(2).unwrap().parse::<f64>().unwrap().abs()
}

/// A PostgreSQL database made for one test on the server the tests use
/// (`SAFEGROUND_TEST_PG`, default postgres://postgres@127.0.0.1:5432, trust
/// auth; scripts/test.sh installs PostGIS), dropped when the test ends.
pub struct PgDatabase {
    pub url: PathBuf,
    name: String,
}

fn pg_server() -> String {
    std::env::var("SAFEGROUND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn psql(sql: &str) -> Output {
    Command::new("psql")
        .arg(format!("{}/postgres", pg_server()))
        .args(["-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs")
}

impl PgDatabase {
    /// A new, empty database for `test`, or `None` when the test is skipped
    /// (no server here and not in CI: recorded as skipped, never a pass).
    pub fn create(test: &str) -> Option<PgDatabase> {
        if !require("psql", "postgresql-client", test) {
            return None;
        }
        let up = psql("SELECT 1").status.success()
            && psql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").stdout.starts_with(b"1");
        if !up && !require("postgis-server-at-SAFEGROUND_TEST_PG", "postgresql-15-postgis-3", test) {
            return None;
        }
        assert!(up, "{test}: PostgreSQL with PostGIS must answer at {}", pg_server());
        let name = format!(
            "sg_test_{}_{}",
            std::process::id(),
            test.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let name: String = name.chars().take(60).collect();
        let _ = psql(&format!("DROP DATABASE IF EXISTS {name}"));
        let out = psql(&format!("CREATE DATABASE {name}"));
        assert!(out.status.success(), "CREATE DATABASE {name}: {}", String::from_utf8_lossy(&out.stderr));
        Some(PgDatabase { url: PathBuf::from(format!("{}/{name}", pg_server())), name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Output with what differs between two runs of the same story made equal:
/// UUIDs (numbered in order of appearance), times of day, SHA-256 hashes and
/// durations.
pub fn normalise(text: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut uuids: Vec<String> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let is_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    while i < b.len() {
        // A UUID: 8-4-4-4-12 hex digits.
        if i + 36 <= b.len()
            && (0..36).all(|k| if [8, 13, 18, 23].contains(&k) { b[i + k] == b'-' } else { is_hex(b[i + k]) })
        {
            let u = &text[i..i + 36];
            let n = uuids.iter().position(|x| x == u).unwrap_or_else(|| {
                uuids.push(u.to_string());
                uuids.len() - 1
            });
            out.extend_from_slice(format!("<uuid{n}>").as_bytes());
            i += 36;
            continue;
        }
        // A SHA-256 in hex.
        if i + 64 <= b.len() && (0..64).all(|k| is_hex(b[i + k])) {
            out.extend_from_slice(b"<sha256>");
            i += 64;
            continue;
        }
        // A time of day after a date: 2024-03-01T12:00:00.123Z.
        if b[i] == b'T' && i >= 10 && i + 9 <= b.len() && b[i + 3] == b':' && b[i + 6] == b':' {
            let mut j = i + 9;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            if j < b.len() && b[j] == b'Z' {
                out.extend_from_slice(b"T<time>Z");
                i = j + 1;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Durations: "in 0.3 s".
    let out = String::from_utf8(out).expect("only ASCII was replaced");
    let mut text = String::new();
    let mut rest = out.as_str();
    while let Some(p) = rest.find(" in ") {
        text.push_str(&rest[..p + 4]);
        rest = &rest[p + 4..];
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if n > 0 && rest[n..].starts_with(" s") {
            text.push_str("<n>");
            rest = &rest[n..];
        }
    }
    text.push_str(rest);
    text
}

/// The text of a PDF as poppler's `pdftotext -layout` extracts it.
#[allow(dead_code)]
pub fn pdf_text(pdf: &Path) -> String {
    let out =
        Command::new("pdftotext").args(["-layout", "-enc", "UTF-8"]).arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Insists poppler's `pdffonts` lists fonts in the PDF, every one embedded.
#[allow(dead_code)]
pub fn assert_fonts_embedded(pdf: &Path) {
    let out = Command::new("pdffonts").arg(pdf).output().unwrap();
    let fonts = String::from_utf8_lossy(&out.stdout).to_string();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    // Columns: name type encoding emb sub uni object ID.
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.split_whitespace().rev().nth(4) == Some("yes")),
        "{fonts}"
    );
}

/// `value` as an English report writes it: to the unit, grouped by commas.
#[allow(dead_code)]
pub fn en_number(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows of a read-only query on a GeoPackage register, by Python's sqlite3
/// (not ours), as JSON.
pub fn query(db: &Path, sql: &str) -> serde_json::Value {
    let script = "import json, sqlite3, sys\nprint(json.dumps(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))";
    let out = Command::new("python3").args(["-c", script]).arg(db).arg(sql).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Changes a GeoPackage register behind its back, by Python's sqlite3 (as a
/// tamperer would): one SQL statement, committed.
pub fn tamper(db: &Path, sql: &str) {
    let script = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(sys.argv[2])\nc.commit()";
    let out = Command::new("python3").args(["-c", script]).arg(db).arg(sql).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The slippy-map tile (x, y) at zoom `z` holding a position.
pub fn tile_at(lon: f64, lat: f64, z: i32) -> (f64, f64) {
    let n = 2f64.powi(z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI)
        / 2.0
        * n)
        .floor();
    (x, y)
}

/// The password of every account the tests add with [`add_users`].
pub const PASSWORD: &str = "a long enough passphrase 42";

/// Runs `safeground` as account `user` (password [`PASSWORD`]).
pub fn as_user(db: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["--user", user])
        .args(args)
        .env_remove("SAFEGROUND_DB")
        .env_remove("SAFEGROUND_TOKEN")
        .env_remove("SAFEGROUND_USER")
        .env("SAFEGROUND_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs `safeground` as `user` and insists it succeeds; returns its standard output.
pub fn succeeds(db: &Path, user: &str, args: &[&str]) -> String {
    let out = as_user(db, user, args);
    assert!(out.status.success(), "{user} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Runs `safeground` as `user`, insists it is refused; returns its standard error.
pub fn denied(db: &Path, user: &str, args: &[&str]) -> String {
    let out = as_user(db, user, args);
    assert!(!out.status.success(), "{user} {args:?} was allowed");
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Adds accounts (name, role, operator's organisation) with [`PASSWORD`];
/// the first is the administrator who adds the others.
pub fn add_users(db: &Path, users: &[(&str, &str, Option<&str>)]) {
    use std::io::Write;
    for (i, (name, role, org)) in users.iter().enumerate() {
        let mut c = Command::new(env!("CARGO_BIN_EXE_safeground"));
        c.arg("--db").arg(db).args(["user", "add", name, "--role", role, "--password-stdin"]);
        if let Some(o) = org {
            c.args(["--organisation", o]);
        }
        if i > 0 {
            c.args(["--user", users[0].0]);
        }
        c.env("SAFEGROUND_PASSWORD", PASSWORD).env_remove("SAFEGROUND_TOKEN").env_remove("SAFEGROUND_DB");
        let mut child =
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "adding {name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The demo at `scale` in `dir`, with accounts ([`add_users`]: the first an
/// administrator).
pub fn demo_with_users(dir: &Path, scale: &str, users: &[(&str, &str, Option<&str>)]) -> PathBuf {
    let db = dir.join("demo.gpkg");
    ok(&db, &["demo", "--scale", scale, "--no-serve"]);
    add_users(&db, users);
    db
}

/// Serves `db` with `safeground serve` on a free loopback port, GETs each of
/// `paths`, and stops it: each answer's status line and body.
pub fn serve_get(db: &Path, paths: &[&str]) -> Vec<(String, Vec<u8>)> {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", &addr])
        .env_remove("SAFEGROUND_DB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(start.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut out = vec![];
    for path in paths {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = vec![];
        s.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
        let status = String::from_utf8_lossy(&raw[..split]).lines().next().unwrap_or_default().to_string();
        out.push((status, raw.get(split + 4..).unwrap_or_default().to_vec()));
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

/// A free TCP port on the loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `safeground --db DB serve` on a free loopback port with `extra`
/// arguments (its standard error to `stderr`), and returns once it accepts
/// connections. The caller kills it.
pub fn spawn_serve(db: &Path, extra: &[&str], stderr: Stdio) -> (std::process::Child, std::net::SocketAddr) {
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", &addr.to_string()])
        .args(extra)
        .env_remove("SAFEGROUND_DB")
        .env_remove("SAFEGROUND_TOKEN")
        .env_remove("SAFEGROUND_USER")
        .env_remove("SAFEGROUND_READ_DB")
        .env_remove("SAFEGROUND_ACTOR")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server at {addr} did not start");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, addr)
}

/// How many rows of `table` its spatial index `index` holds, each with its
/// geometry's own box, by tests/oracle/index_boxes.py (which reads each
/// extent from the row's WKB); panics naming the first row that is missing,
/// extra or boxed otherwise.
pub fn index_boxes(db: &Path, table: &str, index: &str) -> usize {
    let said = oracle("index_boxes.py", &[db, Path::new(table), Path::new(index)]);
    let words: Vec<&str> = said.split_whitespace().collect();
    let count = |at: usize| -> usize { words[at].parse().unwrap() };
    assert_eq!(count(1) - count(3), count(5), "{table}: every row with a geometry indexed: {said}");
    count(5)
}

/// A register's triggers, name and SQL, one a line in name order (with
/// Debian's Python): what a write that drops some must leave as it found.
pub fn triggers(db: &Path) -> String {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sqlite3, sys\nfor r in sqlite3.connect(sys.argv[1]).execute(\"SELECT name, sql FROM \
             sqlite_master WHERE type = 'trigger' ORDER BY name\"): print(*r)",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
