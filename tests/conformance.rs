//! The conformance suite: the same stories, unchanged, on both backends — a
//! GeoPackage file and a PostgreSQL/PostGIS database (a fresh one per test on
//! the server at SAFEGROUND_TEST_PG) — with their own assertions on each, and
//! then the same output from both, command for command (UUIDs, times of day,
//! hashes and durations aside, which differ between any two runs).

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a story printed, command by command, with the working directory
/// written as `<dir>` (each backend runs in a directory of its own).
struct Transcript {
    dir: PathBuf,
    lines: Vec<String>,
}

impl Transcript {
    fn new(dir: &Path) -> Transcript {
        std::fs::create_dir_all(dir).unwrap();
        Transcript { dir: dir.to_path_buf(), lines: Vec::new() }
    }

    fn record(&mut self, args: &[&str], out: &str) {
        let text = format!("$ {}\n{}", args.join(" "), out).replace(self.dir.to_str().unwrap(), "<dir>");
        self.lines.push(normalise(&text));
    }

    fn ok(&mut self, db: &Path, args: &[&str]) -> String {
        let out = ok(db, args);
        self.record(args, &out);
        out
    }

    fn fails(&mut self, db: &Path, args: &[&str]) -> String {
        let err = fails(db, args);
        self.record(args, &format!("(fails) {err}"));
        err
    }

    fn file(&mut self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.join(name)).unwrap();
        self.record(&["cat", name], &text);
        text
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

/// Runs `story` on a GeoPackage and on PostgreSQL, then compares what both printed.
fn on_both_backends(test: &str, story: fn(&Path, &mut Transcript)) {
    let Some(pg) = PgDatabase::create(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = Transcript::new(&dir.path().join("gpkg"));
    story(&dir.path().join("register.gpkg"), &mut gpkg);
    let mut postgis = Transcript::new(&dir.path().join("postgis"));
    story(&pg.url, &mut postgis);
    assert_eq!(gpkg.lines.len(), postgis.lines.len(), "{test}: the stories ran different commands");
    for (a, b) in gpkg.lines.iter().zip(&postgis.lines) {
        assert_eq!(a, b, "{test}: the GeoPackage (left) and PostGIS (right) answered differently");
    }
}

fn example(name: &str) -> String {
    repo_file(&format!("examples/reports/{name}")).to_str().unwrap().to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The register, reports and their review, accounting, history and as-of.
fn reports_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "20", "--no-serve"]);
    let yesterday = time::OffsetDateTime::now_utc().date().previous_day().unwrap().to_string();
    t.ok(db, &["summary", "--json"]);
    t.ok(db, &["hazards", "list", "--json"]);
    let before = t.ok(db, &["summary", "--as-of", &yesterday, "--json"]);

    // A hazard recorded by survey, reduced by technical survey, cleared.
    let nts = t.ok(db, &["report", "submit", &example("01-nts-new-hazard.json")]).trim().to_string();
    t.ok(db, &["report", "list", "--state", "submitted", "--json"]);
    t.ok(db, &["--actor", "im.officer", "report", "approve", &nts]);
    let h = json(&t.ok(db, &["hazards", "show", "AZ-AM-900001", "--json"]));
    assert_eq!(h["status"], "OPEN");
    let recorded = h["area_m2"]["recorded"].as_f64().unwrap();
    // The oracle: GeographicLib's Planimeter on the same square.
    if require("Planimeter", "geographiclib-tools", "reports_story") {
        let whole = planimeter(&[(46.90, 39.96), (46.91, 39.96), (46.91, 39.97), (46.90, 39.97)]);
        assert!((recorded - whole).abs() < 1e-6 * whole, "recorded {recorded}, Planimeter {whole}");
    }
    t.ok(
        db,
        &[
            "task",
            "issue",
            "--hazard",
            "AZ-AM-900001",
            "--organisation",
            "QHD",
            "--activity",
            "TS",
            "--issued",
            "2024-04-01",
        ],
    );
    let ts = t.ok(db, &["report", "submit", &example("02-ts.json")]).trim().to_string();
    t.ok(db, &["report", "approve", &ts]);
    let clearance =
        t.ok(db, &["report", "submit", &example("03-clearance-completion.json")]).trim().to_string();
    t.ok(db, &["report", "approve", &clearance]);
    let h = json(&t.ok(db, &["hazards", "show", "AZ-AM-900001", "--json"]));
    assert_eq!(h["status"], "CLOSED", "{h}");

    // A duplicate is refused, then rejected; an approval is undone.
    let dup = t.ok(db, &["report", "submit", &example("01-nts-new-hazard.json")]).trim().to_string();
    let err = t.fails(db, &["report", "approve", &dup]);
    assert!(err.contains("hazard code AZ-AM-900001 is taken"), "{err}");
    t.ok(db, &["report", "reject", &dup, "--reason", "duplicate of AZ-AM-900001"]);
    t.fails(db, &["report", "reject", &dup, "--reason", "again"]);
    t.ok(db, &["report", "unapprove", &clearance, "--reason", "cleared the wrong lane"]);
    let h = json(&t.ok(db, &["hazards", "show", "AZ-AM-900001", "--json"]));
    assert_eq!(h["status"], "WORKED_ON", "{h}");
    for f in ["05-eod-spot-task.json", "06-eo-find.json", "07-accident.json", "08-eore-session.json"] {
        let id = t.ok(db, &["report", "submit", &example(f)]).trim().to_string();
        t.ok(db, &["report", "approve", &id]);
    }

    // Field submissions (a KoBoToolbox export) become drafts, then a hazard.
    let kobo = repo_file("tests/fixtures/kobo/nts.csv");
    let said = t.ok(db, &["report", "import-submissions", kobo.to_str().unwrap(), "--form", "nts"]);
    assert!(said.contains("drafted 2, rejected 0"), "{said}");
    let draft = said
        .lines()
        .find_map(|l| l.strip_prefix("drafted "))
        .unwrap()
        .split("  ")
        .next()
        .unwrap()
        .to_string();
    t.ok(db, &["report", "list", "--state", "DRAFT", "--json"]);
    t.ok(db, &["report", "submit-draft", &draft]);
    t.ok(db, &["report", "approve", &draft]);
    t.ok(db, &["report", "show", &draft, "--json"]);

    // History, the past, the ground, and the checks of the whole register.
    let history = json(&t.ok(db, &["history", "hazard", "AZ-AM-900001", "--json"]));
    assert!(history.as_array().is_some_and(|v| v.len() >= 4), "{history}");
    assert_eq!(t.ok(db, &["summary", "--as-of", &yesterday, "--json"]), before, "the past changed");
    t.ok(db, &["summary", "--json"]);
    t.ok(db, &["summary"]);
    t.ok(db, &["trace", "46.908", "39.968", "--json"]);
    t.ok(db, &["report", "list", "--json"]);
    t.ok(db, &["report", "show", &clearance, "--json"]);
    t.ok(db, &["overlaps", "--json"]);
    t.ok(db, &["near", "--settlements", "--within", "1000", "--json"]);
    t.ok(db, &["verify"]);
    t.ok(db, &["audit", "verify"]);
    tiles(db, t);
    api(
        db,
        t,
        &[
            "/api/summary",
            "/api/summary?as_of=2023-06-30",
            "/api/hazards?limit=50",
            "/api/hazards?bbox=46.5,39.5,47.5,40.5&per_page=20&page=2",
            "/api/hazards?contamination=AP&organisation=anama&from=2022-01-01&to=2025-12-31",
            "/api/reports?state=APPROVED&per_page=5&page=3",
            "/api/hazards/AZ-AM-900001",
            "/api/hazards/AZ-AM-900001/history",
            "/api/reports",
            "/api/reference",
            "/api/stats/released-by-month",
            "/api/layers/released_areas",
            "/api/places?q=ag",
            "/api/places?q=AZ-AM-9",
            "/api/records/eo_finds?per_page=5&page=2",
            "/api/records/eore_sessions",
            "/api/trace?position=46.908%2039.968",
            "/tiles/hazards/12/2581/1552.mvt",
            "/tiles/eo_finds/10/645/388.mvt",
        ],
    );
}

/// Residual contamination: a find inside released ground, flagged, listed,
/// drawn and sealed; then unapproved. The point is picked by GDAL on a
/// GeoPackage demo of the same seed, so both backends get the same one.
fn residual_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "20", "--no-serve"]);
    let probe = t.dir.join("probe.gpkg");
    ok(&probe, &["demo", "--scale", "20", "--no-serve"]);
    let picked = json(&oracle("residual_points.py", &[Path::new("pick"), &probe]));
    let before = json(&t.ok(db, &["residual", "list", "--json"])).as_array().unwrap().len();
    let (lon, lat) = (picked["inside"]["lon"].as_f64().unwrap(), picked["inside"]["lat"].as_f64().unwrap());
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let report = serde_json::json!({
        "type": "EO_FIND", "organisation": "KDA", "start_date": today, "end_date": today,
        "eo_finds": [{"category": "AT", "type": "TM-62M", "quantity": 1, "condition": "ARMED",
            "disposal": "DESTROYED_IN_SITU", "location": [lon, lat]}]
    });
    std::fs::write(t.dir.join("find.json"), report.to_string()).unwrap();
    let id = t.ok(db, &["report", "submit", &t.path("find.json")]).trim().to_string();
    let out = safeground(db, &["report", "approve", &id]);
    t.record(&["report", "approve", "<id>"], &String::from_utf8_lossy(&out.stderr));
    let listed = json(&t.ok(db, &["residual", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), before + 1, "{listed}");
    let (x, y) = tile_at(lon, lat, 14);
    std::fs::write(t.dir.join("zxy.txt"), format!("14 {x} {y}\n")).unwrap();
    let out = t.dir.join("tiles");
    t.ok(
        db,
        &["tiles", "--layer", "residuals", "--list", &t.path("zxy.txt"), "--out", out.to_str().unwrap()],
    );
    // The tile names the record by its fresh UUID: compared by size and kind.
    let bytes = std::fs::read(out.join(format!("14/{x}/{y}.mvt"))).unwrap();
    let holds = bytes.windows(7).any(|w| w == b"EO_FIND");
    assert!(holds, "the tile holds the find");
    t.record(&["tile", "residuals"], &format!("{} bytes, EO_FIND {holds}", bytes.len()));
    api(db, t, &["/api/residuals", "/api/residuals?open=true"]);
    t.ok(db, &["audit", "verify"]);
    t.ok(db, &["report", "unapprove", &id, "--reason", "position typed wrongly"]);
    assert_eq!(json(&t.ok(db, &["residual", "list", "--json"])).as_array().unwrap().len(), before);
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn residual_contamination_agrees_on_both_backends() {
    if require_oracle("residual_contamination") {
        on_both_backends("residual_contamination", residual_story);
    }
}

/// Priorities: the default scenario ranked, sealed and tasked from; the API's answer.
fn priorities_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "20", "--no-serve"]);
    t.ok(db, &["priorities", "--json"]);
    t.ok(db, &["priorities", "--top", "5"]);
    let code = t.ok(db, &["priorities", "--seal"]).trim().to_string();
    t.ok(db, &["task", "issue", "--from-ranking", &code, "--top", "6", "--organisation", "AMC"]);
    // A hazard named in Azerbaijani and Ukrainian letters, found by its name in capitals on both backends.
    let nts = std::fs::read_to_string(repo_file("examples/reports/01-nts-new-hazard.json"))
        .unwrap()
        .replace("Agdam suspected area east of the track", "Şəki sahəsi near Харків road");
    std::fs::write(t.dir.join("nts.json"), nts).unwrap();
    let id = t.ok(db, &["report", "submit", &t.path("nts.json")]).trim().to_string();
    ok(db, &["report", "approve", &id]);
    for q in ["%C5%9E%C6%8FKI", "%D0%A5%D0%90%D0%A0%D0%9A%D0%86%D0%92", "AZ-AM-9000"] {
        let (status, body) = serve_get(db, &[&format!("/api/hazards?q={q}")]).remove(0);
        let found: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(found["total"], 1, "q={q}: {status} {found}");
    }
    api(
        db,
        t,
        &[
            "/api/priorities?top=5",
            "/api/extent",
            "/api/hazards?q=az-&sort=remaining&per_page=7",
            "/api/hazards?kind=CHA&sort=district&per_page=7&page=2",
            "/api/hazards?q=%C5%9F&sort=recorded&per_page=7",
        ],
    );
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn priorities_agree_on_both_backends() {
    on_both_backends("priorities", priorities_story);
}

/// Non-conformities: the demo's failed inspection raised one; answered,
/// closed, one raised by hand; listed and rated; sealed.
fn ncr_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "40", "--no-serve"]);
    let listed = json(&t.ok(db, &["ncr", "list", "--json"]));
    let code = listed[0]["code"].as_str().unwrap().to_string();
    let report = listed[0]["report"].as_str().unwrap().to_string();
    t.ok(db, &["ncr", "update", &code, "--root-cause", "calibration", "--corrective", "re-cleared"]);
    t.ok(db, &["ncr", "close", &code, "--verification", "re-inspected", "--on", "2026-11-01"]);
    t.ok(
        db,
        &[
            "ncr",
            "open",
            "--organisation",
            "KDA",
            "--grade",
            "minor",
            "--finding",
            "marking faded",
            "--report",
            &report,
            "--raised",
            "2026-10-01",
        ],
    );
    t.ok(db, &["ncr", "list", "--json"]);
    t.ok(db, &["ncr", "list", "--open", "--organisation", "KDA"]);
    t.ok(db, &["ncr", "list", "--rates", "--json"]);
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn non_conformities_agree_on_both_backends() {
    on_both_backends("non_conformities", ncr_story);
}

/// Victims and people reached: consent, follow-ups and a withdrawal on the
/// demo's victims; the figures; EORE's people with a disability exported;
/// the treaty's casualties by disability; sealed.
fn assistance_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "40", "--no-serve"]);
    let victims = json(&t.ok(db, &["victim", "list", "--json"]));
    let v = victims
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["outcome"] == "INJURED" && v["consents"].as_array().unwrap().is_empty())
        .expect("the demo's survivor who gave no consent");
    let id = v["id"].as_str().unwrap().to_string();
    let occurred = v["occurred_on"].as_str().unwrap().to_string();
    t.fails(db, &["victim", "assist", &id, "--kind", "medical", "--provider", "District hospital"]);
    t.ok(db, &["victim", "consent", &id, "--by", "self", "--form", "written", "--on", &occurred]);
    let args = ["victim", "assist", &id, "--kind", "rehabilitation", "--status", "ongoing"];
    t.ok(db, &[&args[..], &["--provider", "Prosthetic centre", "--on", &occurred]].concat());
    t.ok(db, &["victim", "withdraw", &id]);
    t.fails(db, &["victim", "assist", &id, "--kind", "referral", "--provider", "NGO"]);
    t.ok(db, &["victim", "show", &id, "--json"]);
    t.ok(db, &["victim", "figures", "--json"]);
    // The forms that count people (the cover names the register, which differs).
    let treaty = json(&ok(db, &["treaty", "apmbc", "--year", "2025", "-"]));
    let forms = serde_json::json!([treaty["forms"]["I"], treaty["forms"]["J"]]);
    t.record(&["treaty", "apmbc", "--year", "2025", "(forms I, J)"], &forms.to_string());
    let out = t.dir.join("eore.csv");
    t.ok(db, &["export", "--layer", "eore_sessions", "--format", "csv", "--force", out.to_str().unwrap()]);
    t.file("eore.csv");
    api(db, t, &["/api/assistance/figures", "/api/victims", "/api/organisations"]);
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn victim_assistance_agrees_on_both_backends() {
    on_both_backends("victim_assistance", assistance_story);
}

/// Investigations: the demo's demining accidents' boards and conclusions; an
/// incident investigated by hand, its board, conclusion and a
/// recommendation raised as a non-conformity; the API's list; sealed.
fn investigation_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "200", "--no-serve"]);
    t.ok(db, &["investigation", "list", "--json"]);
    let accident = json(&ok(db, &["victim", "list", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["accident_kind"] == "INCIDENT")
        .map(|v| v["accident"].as_str().unwrap().to_string())
        .expect("an incident");
    let code = t
        .ok(db, &["investigation", "open", "--accident", &accident, "--on", "2026-11-02"])
        .trim()
        .to_string();
    t.ok(
        db,
        &["investigation", "board", &code, "--member", "A. Aliyev (ANAMA)", "--member", "B. Babayeva (NQMU)"],
    );
    t.fails(db, &["investigation", "board", &code, "--member", "C", "--member", "D"]);
    t.ok(
        db,
        &[
            "investigation",
            "conclude",
            &code,
            "--findings",
            "the field was not marked",
            "--recommendation",
            "mark it",
        ],
    );
    t.ok(
        db,
        &[
            "investigation",
            "ncr",
            &code,
            "--recommendation",
            "1",
            "--organisation",
            "KDA",
            "--grade",
            "minor",
        ],
    );
    t.ok(db, &["investigation", "show", &code]);
    api(db, t, &["/api/investigations", "/api/investigations?open=true"]);
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn investigations_agree_on_both_backends() {
    on_both_backends("investigations", investigation_story);
}

/// A short, deterministic digest of bytes (not a SHA-256: those are normalised away).
fn digest(bytes: &[u8]) -> String {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    format!("{} bytes, {:016x}", bytes.len(), h.finish())
}

/// The map's tiles for every layer at several zooms, as the server renders them.
fn tiles(db: &Path, t: &mut Transcript) {
    // Tiles over Ağdam and Füzuli districts (46.9° E 39.9° N), zoom 8 to 14.
    std::fs::write(t.dir.join("zxy.txt"), "8 161 97\n10 645 388\n12 2581 1552\n14 10327 6209\n").unwrap();
    for layer in ["country", "districts", "settlements", "hazards", "released_areas", "eo_finds"] {
        let out = t.dir.join("tiles").join(layer);
        t.ok(db, &["tiles", "--layer", layer, "--list", &t.path("zxy.txt"), "--out", out.to_str().unwrap()]);
        for zxy in ["8/161/97", "10/645/388", "12/2581/1552", "14/10327/6209"] {
            let bytes = std::fs::read(out.join(format!("{zxy}.mvt"))).unwrap_or_default();
            t.record(&["tile", layer, zxy], &digest(&bytes));
        }
    }
}

/// The HTTP API's answers (GET) from `serve` on the register.
fn api(db: &Path, t: &mut Transcript, paths: &[&str]) {
    for (path, (status, body)) in paths.iter().zip(serve_get(db, paths)) {
        assert!(status.contains(" 200 "), "GET {path}: {status}");
        let text = if path.starts_with("/tiles/") {
            digest(&body)
        } else {
            String::from_utf8_lossy(&body).into_owned()
        };
        t.record(&["GET", path], &format!("{status}\n{text}"));
    }
}

#[test]
fn reports_accounting_and_history_agree_on_both_backends() {
    on_both_backends("reports_accounting_and_history", reports_story);
}

/// Exports in every format, now, as of a date, for a district, public.
fn exports_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "30", "--no-serve"]);
    for format in ["geojson", "csv", "kml"] {
        let name = format!("all.{format}");
        let out = t.path(&name);
        t.ok(db, &["export", "--layer", "hazards", "--format", format, &out]);
        let text = t.file(&name);
        assert!(text.contains("AZ-"), "{format}: {}", &text[..text.len().min(200)]);
        let eo = format!("eo_finds.{format}");
        t.ok(db, &["export", "--layer", "eo_finds", "--format", format, &t.path(&eo)]);
        t.file(&eo);
    }
    t.ok(
        db,
        &[
            "export",
            "--layer",
            "released_areas",
            "--format",
            "geojson",
            &t.path("ra.geojson"),
            "--as-of",
            "2023-06-30",
        ],
    );
    t.file("ra.geojson");
    t.ok(
        db,
        &["export", "--layer", "hazards", "--format", "csv", &t.path("agdam.csv"), "--district", "Ağdam"],
    );
    t.file("agdam.csv");
    t.ok(
        db,
        &[
            "export",
            "--layer",
            "hazards",
            "--format",
            "geojson",
            &t.path("public.geojson"),
            "--level",
            "public",
        ],
    );
    t.file("public.geojson");
    let xlsx = t.path("all.xlsx");
    t.ok(db, &["export", "--layer", "all", "--format", "xlsx", &xlsx]);
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 10_000, "the workbook is empty");
    // GeoPackage exports read back into an empty register: as the register has them.
    let back = t.dir.join("back.gpkg");
    ok(&back, &["init"]);
    for l in ["districts", "settlements", "organisations", "hazards"] {
        let out = t.path(&format!("{l}.gpkg"));
        t.ok(db, &["export", "--layer", l, "--format", "gpkg", &out]);
        t.ok(&back, &["import", &out, "--layer", l]);
    }
    t.ok(&back, &["hazards", "list", "--json"]);
}

#[test]
fn exports_agree_on_both_backends() {
    on_both_backends("exports", exports_story);
}

/// Files attached to reports: sent with a report and to it, a web page
/// refused, listed (where each photograph was taken, how far from the
/// find), approved and so related to the find, exported inside a
/// GeoPackage and beside GeoJSON, sealed.
fn attachments_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "10", "--no-serve"]);
    let fixture = |n: &str| repo_file(&format!("fixtures/attachments/{n}")).to_str().unwrap().to_string();
    let id = t.ok(db, &["report", "submit", &example("06-eo-find.json"), "--attach", &fixture("find.jpg")]);
    let id = id.trim();
    t.ok(db, &["report", "attach", id, "--attach", &fixture("form.pdf"), "--attach", &fixture("track.gpx")]);
    t.fails(db, &["report", "attach", id, "--attach", &fixture("not-a-photo.jpg")]);
    t.ok(db, &["report", "attachments", id]);
    t.ok(db, &["--actor", "im.officer", "report", "approve", id]);
    let gpkg = t.path("finds.gpkg");
    t.ok(db, &["export", "--layer", "eo_finds", "--format", "gpkg", &gpkg, "--attachments"]);
    let media =
        query(Path::new(&gpkg), "SELECT file_name, kind, content_type, sha256 FROM media ORDER BY id");
    t.record(&["media of finds.gpkg"], &media.to_string());
    t.ok(
        db,
        &["export", "--layer", "eo_finds", "--format", "geojson", &t.path("finds.geojson"), "--attachments"],
    );
    t.file("finds.geojson.files/files.csv");
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn attachments_agree_on_both_backends() {
    on_both_backends("attachments", attachments_story);
}

/// Field copies: a district checked out (the same rows and digest from
/// either backend), a survey submitted on the copy, the hazard changed on
/// the register meanwhile, the copy synced twice (flagged once, stored once),
/// both histories intact. Paths and URLs differ between the backends, so
/// only what does not name them is compared.
fn field_copy_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "100", "--no-serve"]);
    let copy = t.path("field.gpkg");
    let made = json(&ok(db, &["checkout", "--district", "Füzuli", "--to", &copy, "--json"]));
    let o = &made["origin"];
    t.record(
        &["checkout"],
        &format!("{} {} {} {}", made["tables"], o["origin_seq"], o["snapshot_rows"], o["snapshot_sha256"]),
    );
    let copy = Path::new(&copy);
    let task = query(
        copy,
        "SELECT t.code, o.acronym, h.reference_lon, h.reference_lat, h.code FROM tasks t JOIN hazards h ON h.id = t.hazard_id
           JOIN organisations o ON o.id = t.organisation_id WHERE t.status = 'IN_PROGRESS' ORDER BY t.code LIMIT 1",
    );
    let (lon, lat) = (task[0][2].as_f64().unwrap(), task[0][3].as_f64().unwrap());
    let body = serde_json::json!({
        "type": "TS", "organisation": task[0][1], "task": task[0][0], "start_date": "2025-06-02",
        "end_date": "2025-06-05", "method": "MANUAL", "depth_cm": 13, "hours_worked": 40, "confirm": true,
        "released": [{"geometry": {"type": "Polygon", "coordinates":
            [[[lon, lat], [lon + 0.0003, lat], [lon, lat + 0.0003], [lon, lat]]]}}]
    });
    std::fs::write(t.path("ts.json"), body.to_string()).unwrap();
    let id = t.ok(copy, &["report", "submit", &t.path("ts.json")]);
    let id = id.trim();
    let last = query(
        copy,
        &format!(
            "SELECT v.report_id FROM hazard_versions v JOIN hazards h ON h.id = v.hazard_id WHERE h.code = '{}'
             ORDER BY v.version DESC LIMIT 1",
            task[0][4].as_str().unwrap()
        ),
    );
    t.ok(db, &["report", "unapprove", last[0][0].as_str().unwrap(), "--reason", "counted twice"]);
    let register = db.to_str().unwrap();
    for _ in 0..2 {
        let out = ok(copy, &["sync", "--to", register]);
        let said: Vec<&str> = out.lines().filter(|l| !l.contains(register)).collect();
        t.record(&["sync"], &said.join("\n"));
    }
    let shown = ok(db, &["report", "show", id]);
    let flags: Vec<&str> = shown.lines().filter(|l| l.contains("SYNC_FLAGGED")).collect();
    assert_eq!(flags.len(), 1, "{shown}");
    t.record(&["report", "show"], &flags.join("\n"));
    t.ok(db, &["audit", "verify"]);
    t.ok(copy, &["audit", "verify"]);
}

#[test]
fn field_copies_agree_on_both_backends() {
    on_both_backends("field_copies", field_copy_story);
}

/// Imports: every layer into an empty register, bad features rejected whole.
fn imports_story(db: &Path, t: &mut Transcript) {
    let source = t.dir.join("source.gpkg");
    ok(&source, &["demo", "--scale", "40", "--seed", "9", "--no-serve"]);
    ok(db, &["init"]);
    for l in [
        "districts",
        "settlements",
        "organisations",
        "hazards",
        "tasks",
        "released_areas",
        "eo_finds",
        "accidents",
        "eore_sessions",
    ] {
        let file = t.path(&format!("{l}.geojson"));
        ok(&source, &["export", "--layer", l, "--format", "geojson", &file]);
        let said = t.ok(db, &["import", &file, "--layer", l]);
        assert!(said.contains("rejected 0"), "{l}: {said}");
    }
    assert_eq!(
        ok(&source, &["summary", "--json"]),
        t.ok(db, &["summary", "--json"]),
        "the summary changed on import"
    );
    // A file with bad features: with --keep-going the good ones land and the
    // bad ones go to the reject file; without it nothing does.
    // (A copy: the reject file is written beside the file imported.)
    std::fs::copy(repo_file("tests/fixtures/polygons.geojson"), t.dir.join("polygons.geojson")).unwrap();
    let bad = t.path("polygons.geojson");
    let bad = bad.as_str();
    let before = t.ok(db, &["summary", "--json"]);
    t.fails(db, &["import", bad, "--layer", "hazards"]);
    assert_eq!(t.ok(db, &["summary", "--json"]), before, "a failed import changed the register");

    // EO finds grouped by report, one group from an organisation the register
    // does not have: with --keep-going that group is refused whole and the
    // groups before and after it land (on PostgreSQL, held for one COPY
    // across the refused group's rolled-back savepoint).
    let all = json(&std::fs::read_to_string(t.path("eo_finds.geojson")).unwrap());
    let mut features: Vec<Value> = all["features"].as_array().unwrap()[..60].to_vec();
    let report = |f: &Value| f["properties"]["report_id"].as_str().unwrap_or_default().to_string();
    let twice = features
        .iter()
        .position(|f| features.iter().filter(|g| report(g) == report(f)).count() >= 2)
        .expect("a report with two finds");
    let group = report(&features[twice]);
    for f in features.iter_mut().filter(|f| report(f) == group) {
        f["properties"]["organisation"] = Value::from("ZZZ");
    }
    for f in &mut features {
        f["properties"].as_object_mut().unwrap().remove("id");
    }
    let mixed = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(t.dir.join("mixed.geojson"), mixed.to_string()).unwrap();
    let said = t.fails(
        db,
        &[
            "import",
            &t.path("mixed.geojson"),
            "--layer",
            "eo_finds",
            "--keep-going",
            "--reject",
            &t.path("rejected.geojson"),
        ],
    );
    assert!(said.contains("ZZZ"), "{said}");
    let rejected = json(&t.file("rejected.geojson"));
    assert!(rejected["features"].as_array().is_some_and(|v| v.len() >= 2), "{rejected}");
    let after = json(&t.ok(db, &["summary", "--json"]));
    let destroyed = |v: &Value| {
        v["totals"]["eo_destroyed"].as_object().unwrap().values().map(|x| x.as_i64().unwrap()).sum::<i64>()
    };
    assert!(destroyed(&after) > destroyed(&json(&before)), "the good groups landed");

    // Hazards without codes get the next serial of their district, past a
    // code typed by hand in lower case at the last six-digit serial.
    let hazards = json(&t.file("hazards.geojson"));
    let first = &hazards["features"].as_array().unwrap()[0];
    let code = first["properties"]["code"].as_str().unwrap();
    let prefix = &code[..code.rfind('-').unwrap()];
    let mut made = Vec::new();
    for typed in [Some(format!("{}-999999", prefix.to_lowercase())), None, None] {
        let mut f = first.clone();
        let p = f["properties"].as_object_mut().unwrap();
        p.remove("id");
        match typed {
            Some(c) => p.insert("code".into(), Value::from(c)),
            None => p.remove("code"),
        };
        made.push(f);
    }
    let coded = serde_json::json!({"type": "FeatureCollection", "features": made});
    std::fs::write(t.dir.join("coded.geojson"), coded.to_string()).unwrap();
    t.ok(db, &["import", &t.path("coded.geojson"), "--layer", "hazards"]);
    for serial in ["1000000", "1000001"] {
        let shown = t.ok(db, &["hazards", "show", &format!("{prefix}-{serial}")]);
        assert!(shown.contains(&format!("{prefix}-{serial}")), "{shown}");
    }

    // Within one file (on PostgreSQL its hazards wait for one COPY): a code
    // repeated in another case is refused, a UUID repeated is already there.
    let mut twice = Vec::new();
    for (code, id) in [
        ("AZ-DUP-000001", "0193a000-0000-7000-8000-00000000d001"),
        ("az-dup-000001", ""),
        ("", "0193a000-0000-7000-8000-00000000d001"),
    ] {
        let mut f = first.clone();
        let p = f["properties"].as_object_mut().unwrap();
        match code {
            "" => p.remove("code"),
            c => p.insert("code".into(), Value::from(c)),
        };
        match id {
            "" => p.remove("id"),
            i => p.insert("id".into(), Value::from(i)),
        };
        twice.push(f);
    }
    let twice = serde_json::json!({"type": "FeatureCollection", "features": twice});
    std::fs::write(t.dir.join("twice.geojson"), twice.to_string()).unwrap();
    let said = t.fails(db, &["import", &t.path("twice.geojson"), "--layer", "hazards", "--keep-going"]);
    assert!(said.contains("hazard code az-dup-000001 is taken"), "{said}");
    assert!(said.contains("1 features were rejected"), "{said}");
    let shown = t.ok(db, &["hazards", "show", "AZ-DUP-000001"]);
    assert!(shown.contains("0193a000-0000-7000-8000-00000000d001"), "{shown}");
    t.ok(db, &["audit", "verify"]);
    t.ok(db, &["verify"]);
}

#[test]
fn imports_agree_on_both_backends() {
    on_both_backends("imports", imports_story);
}

/// Accounts, roles and tokens; the sealed history over them.
fn accounts_story(db: &Path, t: &mut Transcript) {
    ok(db, &["demo", "--scale", "10", "--no-serve"]);
    let said = ok(db, &["user", "add", "boss", "--role", "administrator"]);
    let password = said.split_whitespace().last().unwrap().to_string();
    let as_boss = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_safeground"))
            .arg("--db")
            .arg(db)
            .args(["--user", "boss"])
            .args(args)
            .env("SAFEGROUND_PASSWORD", &password)
            .env_remove("SAFEGROUND_TOKEN")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let said = as_boss(&["user", "add", "vera", "--role", "viewer"]);
    t.record(&["user", "add", "vera"], said.lines().next().unwrap_or_default());
    t.record(&["user", "list"], &as_boss(&["user", "list"]));
    // Without an account, a write is refused now.
    let err = t.fails(db, &["report", "submit", &example("06-eo-find.json")]);
    assert!(err.contains("this register has accounts"), "{err}");
    // Names are matched whatever their case.
    let said = as_boss(&["user", "disable", "VERA"]);
    t.record(&["user", "disable", "VERA"], &said);
    t.record(&["user", "list"], &as_boss(&["user", "list"]));
    t.ok(db, &["audit", "verify"]);
}

#[test]
fn accounts_agree_on_both_backends() {
    on_both_backends("accounts", accounts_story);
}

/// The demo copied into PostGIS and back: the same summary, byte for byte, the
/// same checksums on every table, the same sealed history.
#[test]
fn the_demo_round_trips_through_postgis_unchanged() {
    let Some(pg) = PgDatabase::create("round_trip") else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.gpkg");
    let b = dir.path().join("b.gpkg");
    ok(&a, &["demo", "--scale", "small", "--no-serve"]);
    // A project funding the tasks issued in its dates, to go across too.
    let add = [
        "project",
        "add",
        "--code",
        "EU-1",
        "--donor",
        "European Union",
        "--name",
        "Clearance",
        "--budget",
        "1000000",
        "--currency",
        "EUR",
        "--starts",
        "2022-01-01",
        "--ends",
        "2025-12-31",
    ];
    ok(&a, &add);
    let tasks = std::process::Command::new("sqlite3")
        .arg(&a)
        .arg("SELECT code FROM tasks WHERE issued_on BETWEEN '2022-01-01' AND '2025-12-31' ORDER BY code")
        .output()
        .unwrap();
    let tasks = String::from_utf8(tasks.stdout).unwrap();
    let fund: Vec<&str> = ["project", "fund", "EU-1"].into_iter().chain(tasks.lines()).collect();
    assert!(fund.len() > 4, "{tasks}");
    ok(&a, &fund);
    let accredit = [
        "accreditation",
        "add",
        "--reference",
        "ANAMA-ACC-1",
        "--organisation",
        "QHD",
        "--capability",
        "MANUAL",
        "--from",
        "2022-01-01",
        "--to",
        "2025-12-31",
    ];
    ok(&a, &accredit);
    ok(&a, &["accreditation", "suspend", "ANAMA-ACC-1", "--on", "2024-06-01", "--reason", "QC failure"]);
    let there = json(&ok(&a, &["migrate", "--to", pg.url.to_str().unwrap(), "--json"]));
    let back = json(&ok(&pg.url, &["migrate", "--to", b.to_str().unwrap(), "--json"]));
    assert_eq!(there["tables"], back["tables"], "the counts and checksums differ between the two copies");
    let tables = there["tables"].as_array().unwrap();
    assert!(tables.iter().all(|t| t["source"] == t["target"]));
    let hazards = tables.iter().find(|t| t["table"] == "hazards").unwrap();
    assert!(hazards["rows"].as_u64().unwrap() >= 1000, "{hazards}");
    for args in [
        &["summary", "--json"][..],
        &["summary", "--as-of", "2023-01-01", "--json"],
        &["hazards", "list", "--json"],
        &["audit", "verify"],
        &["verify"],
    ] {
        let (x, y, z) = (ok(&a, args), ok(&pg.url, args), ok(&b, args));
        let strip = |s: &str| normalise(s); // durations only: hashes are compared below
        assert_eq!(strip(&x), strip(&y), "{args:?}: GeoPackage and PostGIS differ");
        assert_eq!(strip(&x), strip(&z), "{args:?}: the GeoPackage brought back differs");
    }
    let summary = ok(&a, &["summary", "--json"]);
    assert_eq!(summary, ok(&pg.url, &["summary", "--json"]));
    assert_eq!(summary, ok(&b, &["summary", "--json"]));
    let head = |db: &Path| ok(db, &["audit", "verify", "--json"]);
    let (ha, hp) = (json(&head(&a)), json(&head(&pg.url)));
    assert_eq!(ha["head"], hp["head"], "the sealed history's head differs");
    // The treaty reports read the same facts on both (their covers name the
    // register and the time they were made).
    for (which, year) in [("apmbc", "2024"), ("ccm", "2023")] {
        let report = |db: &Path| {
            let mut r = json(&ok(db, &["treaty", which, "--year", year, "-"]));
            r["cover"]["register"] = serde_json::Value::Null;
            r["cover"]["produced_at"] = serde_json::Value::Null;
            r
        };
        assert_eq!(report(&a), report(&pg.url), "treaty {which}: GeoPackage and PostGIS differ");
    }
    for by in ["organisation", "district", "method", "month"] {
        let args = ["kpi", "--from", "2021-01-01", "--to", "2026-12-31", "--by", by, "--json"];
        assert_eq!(ok(&a, &args), ok(&pg.url, &args), "kpi --by {by}: GeoPackage and PostGIS differ");
    }
    let donor = |db: &Path| {
        let args = [
            "donor-report",
            "--project",
            "EU-1",
            "--from",
            "2022-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "json",
            "-",
        ];
        let mut r = json(&ok(db, &args));
        r["cover"]["register"] = serde_json::Value::Null;
        r["cover"]["produced_at"] = serde_json::Value::Null;
        r
    };
    let (x, y) = (donor(&a), donor(&pg.url));
    assert!(x["by_month"]["total"]["cleared_m2"].as_f64().unwrap() > 0.0, "{x}");
    assert_eq!(x, y, "donor-report: GeoPackage and PostGIS differ");
    assert_eq!(ok(&a, &["project", "list", "--json"]), ok(&pg.url, &["project", "list", "--json"]));
    let listed = ok(&a, &["accreditation", "list", "--json"]);
    assert!(listed.contains("2024-06-01"), "{listed}");
    assert_eq!(listed, ok(&pg.url, &["accreditation", "list", "--json"]));
    // The task board reads the same on both, filters and the overdue rule included.
    for args in [
        &["task", "list", "--json"][..],
        &["task", "list", "--overdue", "--json"],
        &["task", "list", "--status", "COMPLETED", "--organisation", "QHD", "--json"],
    ] {
        let listed = ok(&a, args);
        assert!(listed.contains("\"code\""), "{args:?}: {listed}");
        assert_eq!(listed, ok(&pg.url, args), "{args:?}");
    }
    // Migrating into a database that holds a register is refused.
    let err = fails(&b, &["migrate", "--to", pg.url.to_str().unwrap()]);
    assert!(err.contains("already holds tables"), "{err}");
    // The copy back is a GeoPackage GDAL reads, when GDAL is here.
    if require("ogrinfo", "gdal-bin", "round_trip") {
        let out = std::process::Command::new("ogrinfo").args(["-ro", "-so"]).arg(&b).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("hazards (Multi Polygon)"), "{text}");
    }
}

/// A PostgreSQL database without PostGIS, or not reachable, is named with
/// what to do.
#[test]
fn postgres_problems_say_what_to_do() {
    let Some(pg) = PgDatabase::create("problems") else { return };
    let url = pg.url.to_str().unwrap();
    let err = fails(&pg.url, &["summary"]);
    assert!(err.contains("not a safeground register") || err.contains("PostGIS"), "{err}");
    let wrong = format!("{}_missing", url);
    let err = fails(Path::new(&wrong), &["summary"]);
    assert!(err.contains("cannot connect") && err.contains("createdb"), "{err}");
    let err = fails(Path::new("postgres://nobody@127.0.0.1:1/x"), &["init"]);
    assert!(err.contains("cannot connect"), "{err}");
}

/// A register with a value its column cannot hold on PostgreSQL (SQLite lets
/// a text sit in an INTEGER column) is refused by `migrate` naming the table,
/// line and column, and nothing is committed.
#[test]
fn a_value_postgres_cannot_hold_stops_the_migration_whole() {
    if !require("sqlite3", "sqlite3", "a_value_postgres_cannot_hold") {
        return;
    }
    let Some(pg) = PgDatabase::create("bad_value") else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.gpkg");
    ok(&a, &["demo", "--scale", "10", "--no-serve"]);
    let out = std::process::Command::new("sqlite3")
        .arg(&a)
        .arg("UPDATE reports SET version = 'many' WHERE fid = (SELECT max(fid) FROM reports)")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = fails(&a, &["migrate", "--to", pg.url.to_str().unwrap()]);
    assert!(err.contains("COPY reports") && err.contains("column version") && err.contains("many"), "{err}");
    // Nothing of the register was committed: only its empty schema is there.
    let said = ok(&pg.url, &["hazards", "list", "--json"]);
    assert_eq!(said.trim(), "[]", "{said}");
}

/// The sealed history holds on PostgreSQL as on a GeoPackage: an edit made
/// with psql behind safeground's back (even with the append-only trigger
/// disabled by a superuser) fails `audit verify`, naming what changed.
#[test]
fn edits_behind_safeground_s_back_fail_the_audit_on_postgis() {
    let Some(pg) = PgDatabase::create("tamper") else { return };
    let url = pg.url.to_str().unwrap();
    ok(&pg.url, &["demo", "--scale", "10", "--no-serve"]);
    ok(&pg.url, &["audit", "verify"]);
    let broken = || {
        let out = safeground(&pg.url, &["audit", "verify"]);
        assert!(!out.status.success(), "the audit passed");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql")
            .args([url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // The append-only trigger refuses a plain edit of the history.
    let refused = std::process::Command::new("psql")
        .args([
            url,
            "-qAtX",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "UPDATE events SET actor = 'someone else' WHERE seq = 3",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("append-only"));
    // A report's text changed: its submission's digest no longer matches.
    psql("UPDATE reports SET body = replace(body, '\"', '\"') || ' ' WHERE fid = (SELECT min(fid) FROM reports)");
    let err = broken();
    assert!(err.contains("what it recorded has changed"), "{err}");
    psql("UPDATE reports SET body = rtrim(body) WHERE fid = (SELECT min(fid) FROM reports)");
    ok(&pg.url, &["audit", "verify"]);
    // An event deleted with the trigger disabled: the chain names the gap.
    psql(
        "ALTER TABLE events DISABLE TRIGGER USER;
         DELETE FROM events WHERE seq = (SELECT min(seq) FROM events e WHERE seq > 5 AND kind = 'REPORT_SUBMITTED'
           AND NOT EXISTS (SELECT 1 FROM hazard_versions v WHERE v.event_id = e.id));
         ALTER TABLE events ENABLE TRIGGER USER",
    );
    let err = broken();
    assert!(err.contains("are missing"), "{err}");
}
