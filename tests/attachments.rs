//! Files attached to reports (`fixtures/attachments/`, made by `make.sh`
//! with Pillow and exiftool): sent with a report and to a report awaiting
//! its decision, judged from their bytes, their EXIF read (against
//! exiftool), their distance from the report measured (against
//! GeographicLib), kept whole (against sha256sum), related to the features
//! the approval recorded (read by GDAL through the Related Tables
//! Extension), sealed (a replaced photograph fails `audit verify`), served
//! over HTTP with their personal data withheld, and on PostgreSQL the same.

mod common;
use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture(name: &str) -> String {
    repo_file(&format!("fixtures/attachments/{name}")).to_str().unwrap().to_string()
}

fn example(name: &str) -> String {
    repo_file(&format!("examples/reports/{name}")).to_str().unwrap().to_string()
}

fn listed(db: &Path, report: &str) -> Vec<Value> {
    serde_json::from_str(&ok(db, &["report", "attachments", report, "--json"])).unwrap()
}

/// What an outside tool prints, trimmed.
fn tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn python(script: &str, args: &[&str]) -> String {
    tool("/usr/bin/python3", &[&["-c", script], args].concat())
}

#[test]
fn a_photograph_and_a_track_from_the_field_to_the_register() {
    for (t, p) in [
        ("exiftool", "libimage-exiftool-perl"),
        ("python3:PIL", "python3-pil"),
        ("python3:osgeo", "python3-gdal"),
        ("python3:geographiclib", "python3-geographiclib"),
        ("sha256sum", "coreutils"),
    ] {
        if !require(t, p, "a_photograph_and_a_track_from_the_field_to_the_register") {
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.gpkg");
    ok(&db, &["demo", "--scale", "20", "--no-serve"]);
    let id = ok(
        &db,
        &[
            "report",
            "submit",
            &example("06-eo-find.json"),
            "--attach",
            &fixture("find.jpg"),
            "--attach",
            &fixture("track.gpx"),
        ],
    )
    .trim()
    .to_string();
    let rows = listed(&db, &id);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (photo, track) = (&rows[0], &rows[1]);
    assert_eq!((photo["kind"].as_str(), photo["media"].as_str()), (Some("PHOTO"), Some("JPEG")));
    assert_eq!((track["kind"].as_str(), track["media"].as_str()), (Some("GPS_TRACK"), Some("GPX")));
    assert_eq!(photo["personal"], false);
    // Kept whole: the size and SHA-256 of the file as sent.
    let sum = tool("sha256sum", &[&fixture("find.jpg")]);
    assert_eq!(photo["sha256"].as_str().unwrap(), sum.split_whitespace().next().unwrap());
    assert_eq!(photo["size"].as_u64().unwrap(), std::fs::metadata(fixture("find.jpg")).unwrap().len());
    // The camera's position and time, as exiftool reads them.
    let lat: f64 = tool("exiftool", &["-n", "-s3", "-GPSLatitude", &fixture("find.jpg")]).parse().unwrap();
    let lon: f64 = tool("exiftool", &["-n", "-s3", "-GPSLongitude", &fixture("find.jpg")]).parse().unwrap();
    assert_eq!(photo["position"][0].as_f64().unwrap(), lon);
    assert_eq!(photo["position"][1].as_f64().unwrap(), lat);
    assert_eq!(photo["taken_at"], "2024-07-01T10:22:33+04:00");
    // Shown upright (Orientation 6): Pillow turns it the same way.
    let shown = python(
        "import sys; from PIL import Image, ImageOps; im = ImageOps.exif_transpose(Image.open(sys.argv[1])); print(im.size[0], im.size[1])",
        &[&fixture("find.jpg")],
    );
    assert_eq!(format!("{} {}", photo["width"], photo["height"]), shown);
    // Its distance from the find the report describes (39.7512 N 46.7440 E), by GeographicLib.
    let metres: f64 = python(
        "import sys; from geographiclib.geodesic import Geodesic as G; print(G.WGS84.Inverse(float(sys.argv[1]), float(sys.argv[2]), 39.7512, 46.7440)['s12'])",
        &[&lat.to_string(), &lon.to_string()],
    )
    .parse()
    .unwrap();
    assert!((photo["distance_m"].as_f64().unwrap() - metres).abs() < 1e-6, "{photo} against {metres}");
    assert!(track["position"].is_null() && !track["thumbnail"].as_bool().unwrap());

    // Saved back as it was sent; the thumbnail a JPEG of at most 320 pixels, upright.
    let photo_id = photo["id"].as_str().unwrap();
    let back = dir.path().join("back.jpg");
    ok(&db, &["report", "attachment", photo_id, "--out", back.to_str().unwrap()]);
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(fixture("find.jpg")).unwrap());
    let thumb = dir.path().join("thumb.jpg");
    ok(&db, &["report", "attachment", photo_id, "--thumbnail", "--out", thumb.to_str().unwrap()]);
    let size = python(
        "import sys; from PIL import Image; im = Image.open(sys.argv[1]); print(im.format, im.size[0], im.size[1])",
        &[thumb.to_str().unwrap()],
    );
    assert_eq!(size, "JPEG 240 320");

    refusals(&db, &id);

    // The approval relates the find to its files; GDAL reads the relationship.
    // A file attached moves the report's version: an officer who read it before is told.
    let stale = fails(&db, &["--actor", "im.officer", "report", "approve", &id, "--expect-version", "1"]);
    assert!(stale.contains("version"), "{stale}");
    ok(&db, &["--actor", "im.officer", "report", "approve", &id]);
    let mapped = query(
        &db,
        "SELECT f.id, m.file_name FROM eo_finds_media x JOIN eo_finds f ON f.fid = x.base_id
         JOIN media m ON m.id = x.related_id ORDER BY m.file_name",
    );
    assert_eq!(mapped.as_array().unwrap().len(), 2, "{mapped}");
    let gdal = python(
        "import sys\nfrom osgeo import gdal\nds = gdal.OpenEx(sys.argv[1])\nfor n in ds.GetRelationshipNames() or []:\n    r = ds.GetRelationship(n)\n    print(r.GetLeftTableName(), r.GetRightTableName(), r.GetMappingTableName(), r.GetRelatedTableType())\nprint(ds.GetLayerByName('media').GetFeatureCount())",
        &[db.to_str().unwrap()],
    );
    for m in ["hazards hazards_media", "eo_finds eo_finds_media", "accidents accidents_media"] {
        let (base, mapping) = m.split_once(' ').unwrap();
        assert!(gdal.contains(&format!("{base} media {mapping} media")), "{gdal}");
    }
    assert_eq!(gdal.lines().last(), Some("2"), "{gdal}");
    if let Some(script) = validate_gpkg_script() {
        let out = Command::new("/usr/bin/python3").arg(script).arg(&db).output().unwrap();
        assert!(
            out.status.success(),
            "validate_gpkg: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    exports_carry_the_files(&db, dir.path());
    // An approval seals what it approved: nothing is attached afterwards.
    let late = fails(&db, &["report", "attach", &id, "--attach", &fixture("sketch.png")]);
    assert!(late.contains("APPROVED"), "{late}");
    // Unapproved, the find no longer shows the report's files.
    ok(&db, &["--actor", "im.officer", "report", "unapprove", &id, "--reason", "wrong grid square"]);
    assert_eq!(query(&db, "SELECT count(*) FROM eo_finds_media"), serde_json::json!([[0]]));

    // The seal covers the bytes: a replaced photograph fails the audit.
    ok(&db, &["audit", "verify"]);
    tamper(&db, "DROP TRIGGER attachments_no_update");
    tamper(
        &db,
        &format!(
            "UPDATE attachments SET data = (SELECT data FROM attachments WHERE kind = 'GPS_TRACK'),
             sha256 = (SELECT sha256 FROM attachments WHERE kind = 'GPS_TRACK') WHERE uuid = '{photo_id}'"
        ),
    );
    let out = safeground(&db, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && said.contains(&format!("the file {photo_id} attached to report {id}")),
        "{said}"
    );
    // And a file slipped in behind the register's back has no event.
    tamper(
        &db,
        "INSERT INTO attachments (data, content_type, uuid, report_id, kind, file_name, size, sha256, personal,
           recorded_at, recorded_by)
         SELECT data, content_type, 'forged', report_id, kind, 'forged.gpx', size, sha256, personal, recorded_at,
           recorded_by FROM attachments WHERE kind = 'GPS_TRACK'",
    );
    let said = String::from_utf8_lossy(&safeground(&db, &["audit", "verify"]).stdout).to_string();
    assert!(said.contains("the attachment forged (forged.gpx)"), "{said}");
}

/// The approved find's files leave with it: inside a GeoPackage (GDAL reads
/// the relationship and the bytes are the fixture's), beside GeoJSON in a
/// folder with its index; a layer without files, or a public export, is refused.
fn exports_carry_the_files(db: &Path, dir: &Path) {
    let out = dir.join("finds.gpkg");
    ok(db, &["export", "--layer", "eo_finds", "--format", "gpkg", out.to_str().unwrap(), "--attachments"]);
    let read = python(
        "import sys, hashlib, sqlite3\nfrom osgeo import gdal\nds = gdal.OpenEx(sys.argv[1])\nfor n in ds.GetRelationshipNames() or []:\n    r = ds.GetRelationship(n)\n    print(r.GetLeftTableName(), r.GetRightTableName(), r.GetMappingTableName())\nc = sqlite3.connect(sys.argv[1])\nfor name, data in c.execute('SELECT file_name, data FROM media ORDER BY file_name'):\n    print(name, hashlib.sha256(data).hexdigest())\nprint(c.execute('SELECT count(*) FROM eo_finds_media').fetchone()[0])",
        &[out.to_str().unwrap()],
    );
    let sum = |f: &str| tool("sha256sum", &[&fixture(f)]).split_whitespace().next().unwrap().to_string();
    let expected = format!(
        "eo_finds media eo_finds_media\nfind.jpg {}\ntrack.gpx {}\n2",
        sum("find.jpg"),
        sum("track.gpx")
    );
    assert_eq!(read, expected);
    if let Some(script) = validate_gpkg_script() {
        let v = Command::new("/usr/bin/python3").arg(script).arg(&out).output().unwrap();
        assert!(v.status.success(), "validate_gpkg: {}", String::from_utf8_lossy(&v.stdout));
    }
    let geojson = dir.join("finds.geojson");
    ok(
        db,
        &["export", "--layer", "eo_finds", "--format", "geojson", geojson.to_str().unwrap(), "--attachments"],
    );
    let folder = dir.join("finds.geojson.files");
    let index = std::fs::read_to_string(folder.join("files.csv")).unwrap();
    assert_eq!(index.lines().count(), 3, "{index}");
    let photo = index.lines().find(|l| l.contains("find.jpg")).unwrap();
    let file = photo.split(',').nth(1).unwrap();
    assert_eq!(std::fs::read(folder.join(file)).unwrap(), std::fs::read(fixture("find.jpg")).unwrap());
    let none =
        fails(db, &["export", "--layer", "released_areas", "--format", "gpkg", "x.gpkg", "--attachments"]);
    assert!(none.contains("have none"), "{none}");
    let public = fails(
        db,
        &["export", "--layer", "hazards", "--format", "gpkg", "y.gpkg", "--attachments", "--level", "public"],
    );
    assert!(public.contains("not published"), "{public}");
}

/// Files refused, each named, and nothing of them written.
fn refusals(db: &Path, id: &str) {
    let html = fails(db, &["report", "attach", id, "--attach", &fixture("not-a-photo.jpg")]);
    assert!(html.contains("not-a-photo.jpg") && html.contains("web page"), "{html}");
    let kind =
        fails(db, &["report", "attach", id, "--kind", "GPS_TRACK", "--attach", &fixture("sketch.png")]);
    assert!(kind.contains("GPS_TRACK") && kind.contains("PNG"), "{kind}");
    let big =
        fails(db, &["report", "attach", id, "--max-attachment-mb", "0", "--attach", &fixture("form.pdf")]);
    assert!(big.contains("form.pdf") && big.contains("MB"), "{big}");
    // Two files, the second refused: neither is kept.
    let half = fails(
        db,
        &["report", "attach", id, "--attach", &fixture("form.pdf"), "--attach", &fixture("not-a-photo.jpg")],
    );
    assert!(half.contains("not-a-photo.jpg"), "{half}");
    assert_eq!(listed(db, id).len(), 2);
    // The same file again, now said to be personal: refused, it stays as it was sent first.
    let turned = fails(db, &["report", "attach", id, "--personal", "--attach", &fixture("find.jpg")]);
    assert!(turned.contains("attached already") && turned.contains("not personal"), "{turned}");
    // The same file again is the attachment it was.
    let again = ok(db, &["report", "attach", id, "--attach", &fixture("find.jpg")]);
    assert!(again.starts_with(listed(db, id)[0]["id"].as_str().unwrap()), "{again}");
    assert_eq!(listed(db, id).len(), 2);
}

struct Server {
    child: std::process::Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with a bearer token: status, headers, body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: (&str, &[u8]),
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.0,
        body.1.len()
    )
    .unwrap();
    s.write_all(body.1).unwrap();
    let mut raw = vec![];
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    // Chunked answers (the JSON ones) are read whole: keep the JSON between the chunk sizes.
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { unchunk(&body) } else { body };
    (status, head, body)
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

fn token(db: &Path, user: &str) -> String {
    succeeds(db, "admin", &["user", "token", user, "--label", "test"])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn files_over_http_with_personal_data_withheld() {
    let dir = tempfile::tempdir().unwrap();
    let users = [
        ("admin", "administrator", None),
        ("imo", "im_officer", None),
        ("imo_pd", "im_officer", None),
        ("op", "operator", Some("KDA")),
    ];
    let db = demo_with_users(dir.path(), "20", &users);
    succeeds(&db, "admin", &["user", "personal-data", "imo_pd", "on"]);
    let (imo, imo_pd, op) = (token(&db, "imo"), token(&db, "imo_pd"), token(&db, "op"));
    let (child, addr) = spawn_serve(&db, &[], Stdio::null());
    let _server = Server { child };

    let report = std::fs::read(example("07-accident.json")).unwrap();
    let (status, _, body) = http(addr, "POST", "/api/reports", &imo, ("application/json", &report));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"].as_str().unwrap().to_string();
    let photo = std::fs::read(fixture("find.jpg")).unwrap();
    let path = format!("/api/reports/{id}/attachments?name=site.jpg");
    let (status, _, body) = http(addr, "POST", &path, &imo, ("application/octet-stream", &photo));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let row: Value = serde_json::from_slice(&body).unwrap();
    // An accident's files are personal data unless the sender says otherwise.
    assert_eq!(row["personal"], true, "{row}");
    let file = format!("/api/attachments/{}", row["id"].as_str().unwrap());
    let (status, _, _) = http(addr, "GET", &file, &imo, ("application/json", b""));
    assert_eq!(status, 404);
    let (status, _, listed) =
        http(addr, "GET", &format!("/api/reports/{id}/attachments"), &imo, ("application/json", b""));
    assert_eq!((status, serde_json::from_slice::<Value>(&listed).unwrap()), (200, serde_json::json!([])));
    let (status, head, bytes) = http(addr, "GET", &file, &imo_pd, ("application/json", b""));
    assert_eq!(status, 200, "{head}");
    assert_eq!(bytes, photo);
    let head = head.to_ascii_lowercase();
    for h in [
        "content-type: image/jpeg",
        "x-content-type-options: nosniff",
        "content-security-policy: sandbox",
        "content-disposition: inline; filename=\"site.jpg\"",
    ] {
        assert!(head.contains(h), "{h} in {head}");
    }
    let (status, head, thumb) =
        http(addr, "GET", &format!("{file}/thumbnail"), &imo_pd, ("application/json", b""));
    assert!(
        status == 200
            && head.to_ascii_lowercase().contains("image/jpeg")
            && thumb.starts_with(b"\xff\xd8\xff")
    );

    // A site photograph said not to be personal: anyone who reads reports sees it.
    let sketch = std::fs::read(fixture("sketch.png")).unwrap();
    let path = format!("/api/reports/{id}/attachments?name=sketch.png&kind=SKETCH_MAP&personal=false");
    let (status, _, body) = http(addr, "POST", &path, &imo, ("application/octet-stream", &sketch));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let sketch_id = serde_json::from_slice::<Value>(&body).unwrap()["id"].as_str().unwrap().to_string();
    let (status, _, got) =
        http(addr, "GET", &format!("/api/attachments/{sketch_id}"), &imo, ("application/json", b""));
    assert_eq!((status, got), (200, sketch));

    // A web page named as a photograph is refused (422) and never served.
    let html = std::fs::read(fixture("not-a-photo.jpg")).unwrap();
    let path = format!("/api/reports/{id}/attachments?name=photo.jpg");
    let (status, _, body) = http(addr, "POST", &path, &imo, ("application/octet-stream", &html));
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("web page"));
    // A body of another type is refused before it is read.
    let (status, _, _) = http(addr, "POST", &path, &imo, ("text/html", &html));
    assert_eq!(status, 415);
    let (_, _, listed) =
        http(addr, "GET", &format!("/api/reports/{id}/attachments"), &imo_pd, ("application/json", b""));
    assert_eq!(serde_json::from_slice::<Value>(&listed).unwrap().as_array().unwrap().len(), 2);

    // Approved, the accident's download carries the site sketch, never the victim's photograph.
    let (status, _, body) =
        http(addr, "POST", &format!("/api/reports/{id}/approve"), &imo, ("application/json", b"{}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let path = "/api/exports/accidents?format=gpkg&attachments=true";
    let (status, _, gpkg) = http(addr, "GET", path, &imo_pd, ("application/json", b""));
    assert!(status == 200 && gpkg.starts_with(b"SQLite format 3"), "{status}");
    let file = dir.path().join("accidents.gpkg");
    std::fs::write(&file, gpkg).unwrap();
    assert_eq!(
        query(&file, "SELECT file_name, kind FROM media"),
        serde_json::json!([["sketch.png", "SKETCH_MAP"]])
    );
    let (status, _, _) = http(
        addr,
        "GET",
        "/api/exports/accidents?format=geojson&attachments=true",
        &imo,
        ("application/json", b""),
    );
    assert_eq!(status, 400);
    // An operator reads its own organisation's reports only: no files in its downloads, not even asked with check.
    for check in ["", "&check=true"] {
        let path = format!("/api/exports/accidents?format=gpkg&attachments=true{check}");
        let (status, _, body) = http(addr, "GET", &path, &op, ("application/json", b""));
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    }
    // Nor another organisation's files (the accident report is ANAMA's).
    let (status, _, _) =
        http(addr, "GET", &format!("/api/attachments/{sketch_id}"), &op, ("application/json", b""));
    assert_eq!(status, 404);
}

/// A register holding files moves to PostgreSQL with them, sealed
/// (the same story on both backends is tests/conformance.rs's).
#[test]
fn a_register_with_files_migrates_to_postgresql() {
    let Some(pg) = PgDatabase::create("attachments_migrated") else { return };
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("r.gpkg");
    ok(&gpkg, &["demo", "--scale", "10", "--no-serve"]);
    let id = ok(&gpkg, &["report", "submit", &example("06-eo-find.json"), "--attach", &fixture("find.jpg")]);
    let id = id.trim();
    ok(&gpkg, &["report", "attach", id, "--attach", &fixture("form.pdf"), "--attach", &fixture("track.gpx")]);
    ok(&gpkg, &["--actor", "im.officer", "report", "approve", id]);
    ok(&gpkg, &["migrate", "--to", pg.url.to_str().unwrap()]);
    ok(&pg.url, &["audit", "verify"]);
    assert_eq!(listed(&pg.url, id), listed(&gpkg, id));
    let rows = listed(&pg.url, id);
    let saved: PathBuf = dir.path().join("form-back.pdf");
    ok(&pg.url, &["report", "attachment", rows[1]["id"].as_str().unwrap(), "--out", saved.to_str().unwrap()]);
    assert_eq!(std::fs::read(&saved).unwrap(), std::fs::read(fixture("form.pdf")).unwrap());
}
