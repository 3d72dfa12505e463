//! Several `safeground serve` processes over one PostgreSQL register act as
//! one server: a session made on one is good on the others and survives a
//! restart; failed logins spread over them add up; signing out on one, or an
//! account disabled at the command line, ends the session on all of them.
//! Real processes and the real PostgreSQL at SAFEGROUND_TEST_PG.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child, SocketAddr);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &Path) -> Server {
    let (child, addr) = spawn_serve(db, &[], Stdio::null());
    Server(child, addr)
}

/// A signed-in browser: its cookie and CSRF token.
#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// One HTTP/1.1 request: (status, headers, body).
fn request(
    to: &Server,
    method: &str,
    path: &str,
    session: Option<&Session>,
    body: Option<&str>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(to.1).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", to.1);
    if let Some(c) = session {
        head += &format!("Cookie: {}\r\nX-CSRF-Token: {}\r\n", c.cookie, c.csrf);
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        head += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (headers, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = headers.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, headers.to_string(), body.to_string())
}

fn login(to: &Server, name: &str, password: &str) -> (u16, Option<Session>) {
    let body = serde_json::json!({"name": name, "password": password}).to_string();
    let (status, headers, body) = request(to, "POST", "/api/login", None, Some(&body));
    let cookie = headers
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .map(|v| v.split(';').next().unwrap_or("").to_string());
    let csrf = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["csrf"].as_str().map(String::from));
    (status, cookie.zip(csrf).map(|(cookie, csrf)| Session { cookie, csrf }))
}

fn me(to: &Server, s: &Session) -> u16 {
    request(to, "GET", "/api/me", Some(s), None).0
}

#[test]
fn servers_of_one_postgresql_register_share_sessions_and_failed_logins() {
    let Some(pg) = PgDatabase::create("cluster_sessions") else { return };
    if !require("psql", "postgresql-client", "servers_of_one_postgresql_register_share_sessions") {
        return;
    }
    ok(&pg.url, &["init"]);
    add_users(
        &pg.url,
        &[
            ("admin", "administrator", None),
            ("imo", "im_officer", None),
            ("viewer", "viewer", None),
            ("qm", "qm_officer", None),
        ],
    );
    let mut servers = vec![serve(&pg.url), serve(&pg.url), serve(&pg.url)];

    // Signed in on the first, known to the others, with the same CSRF token.
    let (status, admin) = login(&servers[0], "admin", PASSWORD);
    let admin = admin.unwrap_or_else(|| panic!("admin signs in: {status}"));
    for s in &servers {
        let (status, _, body) = request(s, "GET", "/api/me", Some(&admin), None);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&admin.csrf), "{body}");
    }
    // A change sent to another server carries the session and its CSRF token.
    let add =
        r#"{"acronym":"AEST","name":"Azerbaijan Explosive Safety Team","kind":"OPERATOR","country":"AZ"}"#;
    let (status, _, body) = request(&servers[2], "POST", "/api/organisations", Some(&admin), Some(add));
    assert!(status == 201 || status == 200, "{status} {body}");

    // A restart signs nobody out.
    drop(servers.remove(0));
    servers.insert(0, serve(&pg.url));
    assert_eq!(me(&servers[0], &admin), 200, "the session did not survive the restart");

    // Wrong passwords spread over the three servers hold the account off on
    // every one of them, the right password too: after the fifth a second,
    // after the sixth two, after the seventh four (time for the checks).
    for i in 0..7 {
        let (status, _) = login(&servers[i % 3], "imo", "a wrong guess");
        assert_eq!(status, 401, "wrong guess {i}");
        if i >= 4 {
            assert_eq!(login(&servers[(i + 1) % 3], "imo", "a wrong guess").0, 429, "after wrong guess {i}");
            if i < 6 {
                std::thread::sleep(Duration::from_millis(if i == 4 { 1100 } else { 2100 }));
            }
        }
    }
    for s in &servers {
        assert_eq!(login(s, "imo", PASSWORD).0, 429, "the failures elsewhere were not counted at {}", s.1);
    }

    // Thirty guesses sent at once, ten to each server: the count is one,
    // so no more than five have their password checked.
    let heard = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..30)
            .map(|i| {
                let s = &servers[i % 3];
                scope.spawn(move || login(s, "qm", &format!("guess {i}")).0)
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).filter(|s| *s != 429).count()
    });
    assert!(heard <= 5, "{heard} of 30 simultaneous guesses over three servers were heard");

    // Signing out on one ends the session on all.
    let (_, viewer) = login(&servers[1], "viewer", PASSWORD);
    let viewer = viewer.expect("the viewer signs in");
    let (_, second) = login(&servers[2], "viewer", PASSWORD);
    let second = second.expect("the viewer signs in again");
    assert_eq!(request(&servers[1], "POST", "/api/logout", Some(&viewer), Some("")).0, 204);
    for s in &servers {
        assert_eq!(me(s, &viewer), 401, "a signed-out session was still good at {}", s.1);
        assert_eq!(me(s, &second), 200, "another session of the same account ended at {}", s.1);
    }

    // An account disabled at the command line is out everywhere at once.
    succeeds(&pg.url, "admin", &["user", "disable", "viewer"]);
    for s in &servers {
        assert_eq!(me(s, &second), 401, "a disabled account's session was still good at {}", s.1);
    }

    // What is kept: the cookie's digest, never the cookie.
    let kept = Command::new("psql")
        .arg(pg.url.to_str().unwrap())
        .args(["-qAtX", "-c", "SELECT token_hash FROM sg_sessions"])
        .output()
        .unwrap();
    let kept = String::from_utf8_lossy(&kept.stdout).to_string();
    let token = admin.cookie.split_once('=').unwrap().1;
    assert!(!kept.is_empty() && !kept.contains(token), "{kept}");

    // Each stops cleanly when told to (its connections to PostgreSQL closed
    // off the server's runtime), with its pool full after the requests above.
    for mut s in servers {
        assert!(Command::new("kill").args(["-TERM", &s.0.id().to_string()]).status().unwrap().success());
        let status = s.0.wait().unwrap();
        assert!(status.success(), "a server on PostgreSQL did not stop cleanly: {status:?}");
    }
}

/// A primary and its streaming replica, made by scripts/pg-replica.sh,
/// stopped when dropped.
struct Pair {
    dir: tempfile::TempDir,
    port: u16,
}

impl Pair {
    fn start() -> Pair {
        let mut said = String::new();
        // Ports are picked free and then taken by the clusters: another
        // process may take one between; pick again then.
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            // The clusters run as the postgres user when we are root.
            std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            let port = loop {
                let p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
                if p < 65535 && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
                    break p;
                }
            };
            let out = Command::new("bash")
                .arg(repo_file("scripts/pg-replica.sh"))
                .args(["start", dir.path().join("pg").to_str().unwrap(), &port.to_string()])
                .output()
                .unwrap();
            let pair = Pair { dir, port };
            if out.status.success() {
                return pair;
            }
            said += &format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for log in ["initdb.log", "primary.log", "replica.log"] {
                said += &std::fs::read_to_string(pair.dir.path().join("pg").join(log)).unwrap_or_default();
            }
        }
        panic!("pg-replica.sh start failed three times: {said}");
    }

    fn url(&self, replica: bool, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port + u16::from(replica))
    }

    fn sql(&self, replica: bool, db: &str, sql: &str) -> String {
        let out =
            Command::new("psql").arg(self.url(replica, db)).args(["-qAtX", "-c", sql]).output().unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn script(&self, cmd: &str) {
        let out = Command::new("bash")
            .arg(repo_file("scripts/pg-replica.sh"))
            .args([cmd, self.dir.path().join("pg").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg-replica.sh {cmd}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_file("scripts/pg-replica.sh"))
            .args(["stop", self.dir.path().join("pg").to_str().unwrap()])
            .output();
    }
}

fn organisations(to: &Server, s: &Session, read_after: Option<&str>) -> String {
    let mut c = TcpStream::connect(to.1).unwrap();
    let after = read_after.map(|l| format!("X-Read-After: {l}\r\n")).unwrap_or_default();
    write!(
        c,
        "GET /api/organisations HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n{after}Connection: close\r\n\r\n",
        to.1, s.cookie
    )
    .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out
}

#[test]
fn reads_go_to_a_streaming_replica_and_a_writer_sees_its_own_writes() {
    if !require("psql", "postgresql-client", "reads_go_to_a_streaming_replica") {
        return;
    }
    // initdb and pg_basebackup, which are not on PATH on Debian.
    let server_binaries = std::fs::read_dir("/usr/lib/postgresql")
        .is_ok_and(|d| d.flatten().any(|v| v.path().join("bin/pg_basebackup").is_file()));
    if !server_binaries && !require("pg_basebackup", "postgresql", "reads_go_to_a_streaming_replica") {
        return;
    }
    let pair = Pair::start();
    pair.sql(false, "postgres", "CREATE DATABASE register");
    let primary = std::path::PathBuf::from(pair.url(false, "register"));
    ok(&primary, &["init"]);
    add_users(&primary, &[("admin", "administrator", None), ("viewer", "viewer", None)]);
    let start = Instant::now();
    while Command::new("psql")
        .arg(pair.url(true, "register"))
        .args(["-qAtX", "-c", "SELECT 1 FROM users WHERE name = 'viewer'"])
        .output()
        .map_or(true, |o| !String::from_utf8_lossy(&o.stdout).contains('1'))
    {
        assert!(start.elapsed() < Duration::from_secs(30), "the replica did not catch up");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Serving the primary, reading from the replica.
    let log = pair.dir.path().join("server.log");
    let (child, addr) = spawn_serve(
        &primary,
        &["--read-db", &pair.url(true, "register")],
        std::fs::File::create(&log).unwrap().into(),
    );
    let server = Server(child, addr);
    let (_, admin) = login(&server, "admin", PASSWORD);
    let mut admin = admin.expect("the administrator signs in");
    let (_, viewer) = login(&server, "viewer", PASSWORD);
    let viewer = viewer.expect("the viewer signs in");

    // The replica stops replaying: what the primary writes now, it lacks.
    pair.sql(true, "register", "SELECT pg_wal_replay_pause()");
    let add = r#"{"acronym":"RYW","name":"Read Your Writes","kind":"OPERATOR","country":"AZ"}"#;
    let (status, headers, body) = request(&server, "POST", "/api/organisations", Some(&admin), Some(add));
    assert_eq!(status, 201, "{body}");
    let wal = headers
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-wal-position: ").map(str::to_string))
        .expect("a write answers the primary's log position");
    let cookie = headers
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, v)| v))
        .find(|v| v.starts_with("sg_wal="))
        .expect("a write sets the sg_wal cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    admin.cookie = format!("{}; {}", admin.cookie, cookie.split(';').next().unwrap());

    // Another reader reads from the replica, which has not the change yet…
    assert!(!organisations(&server, &viewer, None).contains("RYW"), "a read went to the primary");
    // …the writer reads its own write (from the primary), by cookie or by header.
    assert!(organisations(&server, &admin, None).contains("RYW"), "the writer did not see its own write");
    assert!(organisations(&server, &viewer, Some(&wal.to_uppercase())).contains("RYW"));
    // Replaying again, the replica shows it to everyone.
    pair.sql(true, "register", "SELECT pg_wal_replay_resume()");
    while !organisations(&server, &viewer, None).contains("RYW") {
        assert!(start.elapsed() < Duration::from_secs(90), "the replica did not show the change");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A read the replica is interrupted answering is answered by the
    // primary. Here: the primary takes an exclusive lock on the
    // organisations, which the replica replays and holds; the replica's
    // read waits on it until the replica's statement_timeout cancels it; the
    // read then runs on the primary, which answers once the lock is let go.
    pair.sql(true, "register", "ALTER SYSTEM SET statement_timeout = '1s'");
    pair.sql(true, "register", "SELECT pg_reload_conf()");
    let mut holder = Command::new("psql")
        .arg(pair.url(false, "register"))
        .args(["-qAtX", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_holder = holder.stdin.take().unwrap();
    writeln!(
        to_holder,
        "BEGIN; LOCK TABLE organisations IN ACCESS EXCLUSIVE MODE; SELECT pg_switch_wal() IS NOT NULL;"
    )
    .unwrap();
    let mut said_by_holder = std::io::BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut said_by_holder, &mut line).unwrap();
    assert_eq!(line.trim(), "t", "the primary did not take the lock");
    let replayed = "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' \
                    AND relation = 'organisations'::regclass";
    while pair.sql(true, "register", replayed) == "0" {
        assert!(start.elapsed() < Duration::from_secs(120), "the replica did not replay the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    let answer = std::thread::scope(|scope| {
        let read = scope.spawn(|| organisations(&server, &viewer, None));
        // The replica gives up after 1 s; the primary then waits on the lock.
        std::thread::sleep(Duration::from_millis(2500));
        writeln!(to_holder, "ROLLBACK;").unwrap();
        read.join().unwrap()
    });
    drop(to_holder);
    assert!(holder.wait().unwrap().success());
    assert!(answer.contains("RYW"), "{answer}");
    let (status, _, metrics) = request(&server, "GET", "/metrics", Some(&admin), None);
    assert_eq!(status, 200, "{metrics}");
    assert!(metrics.lines().any(|l| l == "safeground_replica_failed_reads_total 1"), "{metrics}");
    pair.sql(true, "register", "ALTER SYSTEM RESET statement_timeout");
    pair.sql(true, "register", "SELECT pg_reload_conf()");

    // The replica down: reads go to the primary, with a warning, not an error.
    pair.script("stop-replica");
    assert!(organisations(&server, &viewer, None).contains("RYW"));
    for path in ["/api/summary", "/api/hazards", "/api/reports"] {
        let (status, _, body) = request(&server, "GET", path, Some(&viewer), None);
        assert!(status == 200 || (path == "/api/reports" && status == 403), "{path}: {status} {body}");
    }
    drop(server);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("reading from the primary: the replica"), "{said}");
    assert!(said.contains("a read failed on the replica"), "{said}");
    assert_eq!(pair.sql(false, "register", "SELECT count(*) FROM organisations WHERE acronym = 'RYW'"), "1");
}
