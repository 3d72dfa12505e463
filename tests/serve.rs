//! `safeground serve` for real: the binary listens on loopback, answers, and
//! schemathesis (PyPI), generating requests from `/api/openapi.json`, finds no
//! server error. A non-loopback address is refused until accounts exist.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &std::path::Path) -> (Server, SocketAddr) {
    let (child, addr) = spawn_serve(db, &[], Stdio::null());
    (Server(child), addr)
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

/// `--log-format json` writes one JSON object per line with each request's
/// id (the proxy's `X-Request-Id` when it sent one, echoed back), and
/// `--metrics-addr` serves Prometheus metrics that prometheus_client's own
/// parser reads, counting each route by its pattern.
#[test]
fn logs_carry_request_ids_and_metrics_count_each_route() {
    if !require(
        "pypi:prometheus_client",
        "prometheus-client (PyPI)",
        "logs_carry_request_ids_and_metrics_count_each_route",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "10", "--no-serve"]);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = dir.path().join("server.log");
    let child = Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", &addr.to_string(), "--log-format", "json", "--trusted-proxy", "127.0.0.1"])
        .args(["--metrics-addr", &metrics.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(metrics).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ask = |path: &str, id: Option<&str>| {
        let mut s = TcpStream::connect(addr).unwrap();
        let id = id.map(|i| format!("X-Request-Id: {i}\r\n")).unwrap_or_default();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{id}Connection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let summary = ask("/api/summary", Some("probe-summary-1"));
    assert!(
        summary.starts_with("HTTP/1.1 200") && summary.contains("x-request-id: probe-summary-1"),
        "{summary}"
    );
    let missing = ask("/api/hazards/HZ-0000-0000", None);
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let generated =
        missing.lines().find_map(|l| l.strip_prefix("x-request-id: ")).unwrap().trim().to_string();
    assert_eq!(generated.len(), 36, "{missing}");
    let spoofed = ask("/api/summary", Some("a forged id with spaces"));
    assert!(!spoofed.contains("a forged id"), "{spoofed}");
    for path in ["/no/such/thing/1", "/no/such/thing/2"] {
        ask(path, None);
    }
    let mut s = TcpStream::connect(metrics).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    let exposition = dir.path().join("metrics.txt");
    std::fs::write(&exposition, body).unwrap();
    // prometheus_client's parser: every sample as [name, labels, value].
    let script = "import json, sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
                  print(json.dumps([[s.name, s.labels, s.value] for f in p(open(sys.argv[1]).read()) for s in f.samples]))";
    let out = Command::new("python3").args(["-c", script]).arg(&exposition).output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client cannot read the metrics: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<(String, std::collections::BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&out.stdout).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.2)
    };
    let total = "safeground_http_requests_total";
    assert_eq!(value(total, &[("route", "/api/summary"), ("status", "200"), ("method", "GET")]), Some(2.0));
    assert_eq!(value(total, &[("route", "/api/hazards/{id}"), ("status", "404")]), Some(1.0));
    // Paths nobody serves are one series, whatever was asked.
    assert_eq!(value(total, &[("route", "unmatched"), ("status", "404")]), Some(2.0));
    assert!(!samples.iter().any(|(_, l, _)| l.values().any(|v| v.contains("no/such"))));
    let duration = "safeground_http_request_duration_seconds";
    assert_eq!(value(&format!("{duration}_count"), &[("route", "/api/summary")]), Some(2.0));
    assert_eq!(value(&format!("{duration}_bucket"), &[("route", "/api/summary"), ("le", "+Inf")]), Some(2.0));
    assert!(value("safeground_db_connections_opened_total", &[]).unwrap() >= 1.0);

    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {l}")))
        .collect();
    let answered = |id: &str| {
        lines.iter().find(|l| l["fields"]["message"] == "answered" && l["span"]["request_id"] == id).cloned()
    };
    let line =
        answered("probe-summary-1").unwrap_or_else(|| panic!("no log line of probe-summary-1: {lines:?}"));
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["fields"]["route"], "/api/summary");
    assert_eq!(answered(&generated).unwrap()["fields"]["status"], 404);
}

/// SIGTERM while a request is in flight: the request is answered and its
/// write kept, nothing new is taken, and the process ends cleanly.
#[test]
fn a_stopped_server_answers_the_requests_in_flight_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "10", "--no-serve"]);
    let (mut server, addr) = serve(&db);
    // A change whose headers have arrived and whose body is still on its way.
    let body = r#"{"acronym":"GRACE","name":"Graceful Stop Team","kind":"OPERATOR","country":"AZ"}"#;
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /api/organisations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    // Stopping: no new connection is taken…
    assert!(TcpStream::connect(addr).is_err(), "a stopping server took a new connection");
    // …and the one in flight is answered.
    s.write_all(body.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let kept = query(&db, "SELECT name FROM organisations WHERE acronym = 'GRACE'");
    assert_eq!(kept, serde_json::json!([["Graceful Stop Team"]]));
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
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found a problem:\n{text}");
    assert!(text.contains("passed"), "{text}");
}

fn http_get_bytes(addr: SocketAddr, path: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = vec![];
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&raw[..split]).to_string(), raw[split + 4..].to_vec())
}

/// Web Mercator metres of a longitude/latitude (EPSG:3857, spherical).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0;
    (r * lon.to_radians(), r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln())
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = (1u64 << z) as f64;
    let lat = lat.to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// A hazard's tile, read back by GDAL's MVT driver, has the hazard's vertices
/// where Web Mercator puts them, to within one tile unit.
#[test]
fn a_hazard_tile_read_by_gdal_has_the_hazard_where_it_is() {
    if !require("ogrinfo", "gdal-bin", "a_hazard_tile_read_by_gdal_has_the_hazard_where_it_is") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let (_server, addr) = serve(&db);
    let (_, body) = http_get_bytes(addr, "/api/hazards?per_page=1");
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let code = list["items"][0]["code"].as_str().unwrap().to_string();
    let (_, body) = http_get_bytes(addr, &format!("/api/hazards/{code}"));
    let hazard: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let ours: Vec<(f64, f64)> = hazard["geometry"]["coordinates"][0][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let (lo, hi) = ours.iter().fold(((f64::MAX, f64::MAX), (f64::MIN, f64::MIN)), |(lo, hi), p| {
        ((lo.0.min(p.0), lo.1.min(p.1)), (hi.0.max(p.0), hi.1.max(p.1)))
    });
    // The deepest zoom at which the whole hazard lies in one tile.
    let z = (4..=15u8).rev().find(|&z| tile_of(lo.0, lo.1, z) == tile_of(hi.0, hi.1, z)).unwrap();
    let (x, y) = tile_of(lo.0, hi.1, z);
    let (head, tile) = http_get_bytes(addr, &format!("/tiles/hazards/{z}/{x}/{y}.mvt"));
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("application/vnd.mapbox-vector-tile"),
        "{head}"
    );
    let path = dir.path().join(format!("{z}/{x}"));
    std::fs::create_dir_all(&path).unwrap();
    let file = path.join(format!("{y}.pbf"));
    std::fs::write(&file, &tile).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-where", &format!("code = '{code}'")])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && text.contains(&code), "GDAL reads the tile: {text}");
    let wkt = text
        .lines()
        .find(|l| l.trim_start().starts_with("POLYGON") || l.trim_start().starts_with("MULTIPOLYGON"))
        .unwrap();
    let numbers: Vec<f64> = wkt
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter_map(|t| t.parse().ok())
        .collect();
    let theirs: Vec<(f64, f64)> = numbers.chunks(2).map(|c| (c[0], c[1])).collect();
    assert!(theirs.len() >= 4, "{wkt}");
    let unit = 2.0 * std::f64::consts::PI * 6_378_137.0 / (1u64 << z) as f64 / 4096.0;
    let projected: Vec<(f64, f64)> = ours.iter().map(|p| mercator(p.0, p.1)).collect();
    for t in &theirs {
        let d = projected
            .iter()
            .map(|p| ((p.0 - t.0).powi(2) + (p.1 - t.1).powi(2)).sqrt())
            .fold(f64::MAX, f64::min);
        assert!(
            d <= unit,
            "GDAL's vertex {t:?} is {d:.2} m from every vertex of the hazard (a tile unit is {unit:.2} m)"
        );
    }
    // Clustered EO finds at a country-wide zoom carry their counts, which add up to every find there.
    let (cx, cy) = tile_of(lo.0, lo.1, 6);
    let (head, clusters) = http_get_bytes(addr, &format!("/tiles/eo_finds/6/{cx}/{cy}.mvt"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let path = dir.path().join(format!("6/{cx}"));
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join(format!("{cy}.pbf")), &clusters).unwrap();
    let out =
        Command::new("ogrinfo").args(["-ro", "-al"]).arg(path.join(format!("{cy}.pbf"))).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let clustered: i64 = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("count (").and_then(|r| r.split("= ").nth(1)))
        .map(|n| n.trim().parse::<i64>().unwrap())
        .sum();
    let (_, all) = http_get_bytes(addr, "/api/layers/eo_finds");
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    let edge = |x: f64, y: f64| {
        (x / 64.0 * 360.0 - 180.0, (std::f64::consts::PI * (1.0 - 2.0 * y / 64.0)).sinh().atan().to_degrees())
    };
    let (w, n) = edge(cx as f64, cy as f64);
    let (e, s) = edge(cx as f64 + 1.0, cy as f64 + 1.0);
    let inside = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            x >= w && x < e && y > s && y <= n
        })
        .count() as i64;
    eprintln!("{clustered} clustered finds, {inside} inside the tile");
    // The tile also holds what lies in its buffer beyond the edges.
    assert!(inside > 0 && clustered >= inside, "{clustered} clustered finds, {inside} in the tile:\n{text}");
    let (head, _) = http_get_bytes(addr, "/tiles/hazards/3/9/0.mvt");
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let (head, _) = http_get_bytes(addr, "/tiles/tasks/3/1/1.mvt");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}
