//! Field copies: a district checked out of the register (read back by GDAL),
//! a week of offline work on it (reports with photographs, KoBo drafts), a
//! change on the register meanwhile, and a sync killed (SIGKILL) at seeded
//! random points and then completed: every report is in the register once
//! with its files, the report on changed ground flagged with the difference,
//! the history intact on both sides, the copy made again with its drafts.
//! The same copy made from the register's PostgreSQL twin is the same copy,
//! and goes home to PostgreSQL alike; fetched from the register's server over
//! HTTPS and sent home the same way, each cut off and resumed, it leaves the
//! register as a bundle on a USB stick does.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    repo_file(&format!("fixtures/attachments/{name}")).to_str().unwrap().to_string()
}

/// A seeded generator (SplitMix64): the same kill points on every run.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// A report written to `dir` as JSON, its path.
fn report(dir: &Path, name: &str, body: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

fn one(db: &Path, sql: &str) -> Value {
    query(db, sql)[0][0].clone()
}

/// The week's reports on the copy: a technical survey of AZ-XC-000004 under
/// the team's task, and EO finds around it (three a day for a week), each
/// with a photograph or track; answers their ids.
fn a_week_of_work(copy: &Path, dir: &Path) -> Vec<String> {
    let at = query(copy, "SELECT reference_lon, reference_lat FROM hazards WHERE code = 'AZ-XC-000004'");
    let (lon, lat) = (at[0][0].as_f64().unwrap(), at[0][1].as_f64().unwrap());
    let ts = serde_json::json!({
        "type": "TS", "organisation": "AEST", "task": "T-XC-000004",
        "start_date": "2025-06-02", "end_date": "2025-06-05", "method": "MANUAL", "depth_cm": 13,
        "hours_worked": 40, "confirm": true,
        "released": [{"geometry": {"type": "Polygon", "coordinates":
            [[[lon, lat], [lon + 0.0003, lat], [lon, lat + 0.0003], [lon, lat]]]}}],
        "eo_finds": [{"category": "AP", "type": "PMN-2", "condition": "ARMED", "disposal": "DESTROYED_IN_SITU",
            "location": [lon + 0.0001, lat + 0.0001], "found_on": "2025-06-03"}]
    });
    let mut ids = vec![ok(
        copy,
        &[
            "--actor",
            "aest.leader",
            "report",
            "submit",
            &report(dir, "ts.json", &ts),
            "--attach",
            &fixture("find.jpg"),
        ],
    )
    .trim()
    .to_string()];
    for n in 0..21 {
        let day = n / 3;
        let find = serde_json::json!({
            "type": "EO_FIND", "organisation": "AEST",
            "start_date": format!("2025-06-0{}", day + 2), "end_date": format!("2025-06-0{}", day + 2),
            "eo_finds": [{"category": "UXO", "type": "OG-7", "quantity": 1, "condition": "UNARMED",
                "disposal": "DESTROYED_IN_SITU", "location": [lon + 0.01 + n as f64 * 0.001, lat + 0.01]}]
        });
        let file = if n % 2 == 0 { fixture("find.jpg") } else { fixture("track.gpx") };
        let path = report(dir, &format!("find{n}.json"), &find);
        ids.push(
            ok(copy, &["--actor", "aest.leader", "report", "submit", &path, "--attach", &file])
                .trim()
                .to_string(),
        );
    }
    ids
}

fn sync_args(register: &str) -> [&str; 5] {
    ["--actor", "aest.team", "sync", "--to", register]
}

#[test]
fn a_week_offline_comes_home_once_through_kills() {
    if !require("ogrinfo", "gdal-bin", "a_week_offline_comes_home_once_through_kills") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("register.gpkg");
    let copy = dir.path().join("field.gpkg");
    ok(&reg, &["demo", "--scale", "200", "--no-serve"]);
    let out = ok(
        &reg,
        &["checkout", "--district", "Xocalı", "--organisation", "AEST", "--to", copy.to_str().unwrap()],
    );
    assert!(out.contains("Field copy of district Xocalı for AEST"), "{out}");

    // What GDAL reads in the copy is the district as the register holds it.
    let district = "(SELECT id FROM districts WHERE name = 'Xocalı')";
    let hazards = one(&reg, &format!("SELECT count(*) FROM hazards WHERE district_id = {district}"));
    let gdal = |sql: &str| {
        let o = Command::new("ogrinfo").args(["-ro", "-q", "-sql", sql]).arg(&copy).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    assert!(gdal("SELECT count(*) AS n FROM hazards").contains(&format!("n (Integer) = {hazards}")));
    let remaining = one(
        &reg,
        &format!("SELECT round(sum(area_remaining_m2)) FROM hazards WHERE district_id = {district}"),
    );
    assert!(
        gdal("SELECT round(sum(area_remaining_m2)) AS m2 FROM hazards")
            .contains(&format!("= {}", remaining.as_f64().unwrap())),
        "{remaining}"
    );
    assert_eq!(one(&copy, "SELECT count(*) FROM hazards WHERE district_id <> (SELECT id FROM districts WHERE name = 'Xocalı')"), 0);
    assert_eq!(one(&copy, "SELECT count(*) FROM districts"), one(&reg, "SELECT count(*) FROM districts"));
    // Tasks: the team's, and another's only where a copied record names it.
    assert_eq!(
        one(&copy, "SELECT count(*) FROM tasks t JOIN organisations o ON o.id = t.organisation_id WHERE o.acronym = 'AEST'"),
        one(&reg, &format!("SELECT count(*) FROM tasks t JOIN organisations o ON o.id = t.organisation_id
             JOIN hazards h ON h.id = t.hazard_id WHERE o.acronym = 'AEST' AND h.district_id = {district}"))
    );
    for private in ["accidents", "victims", "victim_identities", "report_personal", "users", "attachments"] {
        assert_eq!(one(&copy, &format!("SELECT count(*) FROM {private}")), 0, "{private} copied");
    }
    assert_eq!(one(&copy, "SELECT count(*) FROM reports WHERE type = 'ACCIDENT' OR state = 'DRAFT'"), 0);
    // A register is a copy only as its history says: an origin slipped into
    // the register itself does not cut its history short.
    let forged = dir.path().join("forged.gpkg");
    std::fs::copy(&reg, &forged).unwrap();
    tamper(
        &forged,
        "INSERT INTO checkouts (id, origin, origin_seq, origin_hash, district_id, made_at, made_by, snapshot_rows,
           snapshot_sha256) SELECT 'x', 'elsewhere', seq, hash, '', '', '', 0, '' FROM events ORDER BY seq DESC LIMIT 1",
    );
    let o = safeground(&forged, &["audit", "verify"]);
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stdout).contains("sealed by no CHECKOUT event"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    ok(&copy, &["audit", "verify"]);
    let again = fails(
        &copy,
        &["checkout", "--district", "Xocalı", "--to", dir.path().join("x.gpkg").to_str().unwrap()],
    );
    assert!(again.contains("field copy"), "{again}");

    // The week: reports with files, and two KoBo submissions drafted, one with a sketch.
    let ids = a_week_of_work(&copy, dir.path());
    let drafted = ok(
        &copy,
        &[
            "report",
            "import-submissions",
            repo_file("tests/fixtures/kobo/nts.csv").to_str().unwrap(),
            "--form",
            "nts",
        ],
    );
    let drafts: Vec<String> = drafted
        .lines()
        .filter_map(|l| l.strip_prefix("drafted "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(drafts.len(), 2, "{drafted}");
    ok(&copy, &["report", "attach", &drafts[0], "--attach", &fixture("sketch.png")]);
    // What stays with the authority is refused on the copy, and a change behind its back is caught.
    let refused = fails(&copy, &["report", "approve", &ids[0]]);
    assert!(refused.contains("approving a report is not done on a field copy"), "{refused}");
    let copied = one(&copy, "SELECT id FROM reports WHERE state = 'APPROVED' LIMIT 1");
    let refused =
        fails(&copy, &["report", "attach", copied.as_str().unwrap(), "--attach", &fixture("find.jpg")]);
    assert!(refused.contains("came with this field copy"), "{refused}");
    let tampered = dir.path().join("tampered.gpkg");
    std::fs::copy(&copy, &tampered).unwrap();
    tamper(&tampered, "UPDATE tasks SET due_on = '2030-01-01' WHERE code = 'T-XC-000004'");
    let o = safeground(&tampered, &["audit", "verify"]);
    assert!(!o.status.success());
    let caught = String::from_utf8_lossy(&o.stdout);
    assert!(
        caught.contains("rows this field copy was made with") && caught.contains("have changed since"),
        "{caught}"
    );
    ok(&copy, &["audit", "verify"]);

    // Meanwhile on the register: the last approval of AZ-XC-000004 is unapproved.
    let last = one(
        &reg,
        "SELECT v.report_id FROM hazard_versions v JOIN hazards h ON h.id = v.hazard_id
         WHERE h.code = 'AZ-XC-000004' ORDER BY v.version DESC LIMIT 1",
    );
    ok(
        &reg,
        &[
            "--actor",
            "im.officer",
            "report",
            "unapprove",
            last.as_str().unwrap(),
            "--reason",
            "sector counted twice",
        ],
    );

    // The sync, killed at seeded random points and then run to the end. Each
    // round starts from the same register and copy (files copied), so every
    // point is a cut of its own; the points fall within the time a whole
    // sync takes here, measured first on such a copy.
    let register = reg.to_str().unwrap();
    let start = |name: &str| -> (PathBuf, PathBuf) {
        let r = dir.path().join(name);
        std::fs::create_dir(&r).unwrap();
        std::fs::copy(&reg, r.join("register.gpkg")).unwrap();
        std::fs::copy(&copy, r.join("field.gpkg")).unwrap();
        (r.join("register.gpkg"), r.join("field.gpkg"))
    };
    let listed = ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
    let home = |r: &Path| -> (i64, i64, i64, i64) {
        let q = |sql: &str| one(r, &sql.replace("IDS", &listed)).as_i64().unwrap();
        (
            q("SELECT count(*) FROM reports WHERE id IN (IDS)"),
            q("SELECT count(*) FROM events WHERE kind = 'REPORT_SUBMITTED' AND report_id IN (IDS)"),
            q("SELECT count(*) FROM attachments WHERE report_id IN (IDS)"),
            q("SELECT count(*) FROM events WHERE kind = 'SYNC_FLAGGED'"),
        )
    };
    let (r, c) = start("trial");
    let started = Instant::now();
    ok(&c, &sync_args(r.to_str().unwrap()));
    let whole = started.elapsed().as_millis() as u64;
    let all = ids.len() as i64;
    let mut seed = Seeded(21);
    for round in 0..6 {
        let (r, c) = start(&format!("round{round}"));
        let delay = Duration::from_millis(seed.below(whole.max(1)));
        let mut child = Command::new(env!("CARGO_BIN_EXE_safeground"))
            .arg("--db")
            .arg(&c)
            .args(sync_args(r.to_str().unwrap()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        let cut = home(&r);
        eprintln!(
            "round {round}: killed after {delay:?} of {whole} ms ({status}); {} of {all} reports home",
            cut.0
        );
        // Whatever was cut, both sides are whole, and the sync run again completes it.
        assert!(cut.0 <= all && cut.1 == cut.0 && cut.3 <= 1, "{cut:?}");
        ok(&r, &["audit", "verify"]);
        ok(&c, &["audit", "verify"]);
        let out = ok(&c, &sync_args(r.to_str().unwrap()));
        assert!(out.contains("made again as of event"), "{out}");
        assert_eq!(home(&r), (all, all, all, 1), "round {round}: every report once, its file once, one flag");
        ok(&r, &["audit", "verify"]);
        ok(&c, &["audit", "verify"]);
    }
    let out = ok(&copy, &sync_args(register));
    assert!(out.contains("made again as of event"), "{out}");

    // Every report once, with its file once; the one on changed ground flagged, with the difference.
    for id in &ids {
        let q = |sql: &str| one(&reg, &sql.replace("ID", id));
        assert_eq!(q("SELECT count(*) FROM reports WHERE id = 'ID'"), 1, "{id}");
        assert_eq!(q("SELECT count(*) FROM events WHERE report_id = 'ID' AND kind = 'REPORT_SUBMITTED'"), 1);
        assert_eq!(q("SELECT count(*) FROM attachments WHERE report_id = 'ID'"), 1);
        assert_eq!(q("SELECT state FROM reports WHERE id = 'ID'"), "SUBMITTED");
    }
    let flags = query(&reg, "SELECT report_id, reason FROM events WHERE kind = 'SYNC_FLAGGED'");
    assert_eq!(flags.as_array().unwrap().len(), 1, "{flags}");
    assert_eq!(flags[0][0].as_str(), Some(ids[0].as_str()));
    let reason = flags[0][1].as_str().unwrap();
    assert!(
        reason.starts_with(
            "hazard AZ-XC-000004 changed since the field copy was made: version 3 then, version 4 now"
        ),
        "{reason}"
    );
    assert!(reason.contains("put back as dangerous since"), "{reason}");
    let shown = ok(&reg, &["report", "show", &ids[0]]);
    assert!(shown.contains("SYNC_FLAGGED") && shown.contains("from field copy"), "{shown}");
    // The drafts stayed on the copy; the photograph went home as it was taken.
    for d in &drafts {
        assert_eq!(one(&reg, &format!("SELECT count(*) FROM reports WHERE id = '{d}'")), 0);
    }
    let sha = one(&reg, &format!("SELECT sha256 FROM attachments WHERE report_id = '{}'", ids[0]));
    let sum = Command::new("sha256sum").arg(fixture("find.jpg")).output().unwrap();
    assert!(String::from_utf8_lossy(&sum.stdout).starts_with(sha.as_str().unwrap()));
    ok(&reg, &["audit", "verify"]);

    // The copy made again: the register's ground now, the reports as the register has them, the drafts with their file.
    assert_eq!(one(&copy, "SELECT version FROM hazards WHERE code = 'AZ-XC-000004'"), 4);
    for id in &ids {
        assert_eq!(one(&copy, &format!("SELECT state FROM reports WHERE id = '{id}'")), "SUBMITTED");
    }
    for d in &drafts {
        assert_eq!(one(&copy, &format!("SELECT state FROM reports WHERE id = '{d}'")), "DRAFT");
    }
    assert_eq!(one(&copy, &format!("SELECT count(*) FROM attachments WHERE report_id = '{}'", drafts[0])), 1);
    ok(&copy, &["audit", "verify"]);
    let again = ok(&copy, &sync_args(register));
    assert!(again.contains("0 reports sent"), "{again}");
    // The laptop's web application says what it is working on.
    let answers = serve_get(&copy, &["/api/me"]);
    let me: Value = serde_json::from_slice(&answers[0].1).unwrap();
    assert_eq!(me["field_copy"]["district"], "Xocalı", "{me}");
    assert_eq!(me["field_copy"]["organisation"], "AEST");
    assert_eq!(me["field_copy"]["origin"].as_str(), std::fs::canonicalize(&reg).unwrap().to_str());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("field.gpkg.sync"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_copy_of_the_postgresql_twin_is_the_same_copy() {
    let Some(pg) = PgDatabase::create("field_copy_twin") else { return };
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("register.gpkg");
    ok(&reg, &["demo", "--scale", "100", "--no-serve"]);
    ok(&reg, &["migrate", "--to", pg.url.to_str().unwrap()]);
    let made = |from: &Path, to: &PathBuf| -> Value {
        let out = ok(from, &["checkout", "--district", "Füzuli", "--to", to.to_str().unwrap(), "--json"]);
        serde_json::from_str(&out).unwrap()
    };
    let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
    let (from_gpkg, from_pg) = (made(&reg, &a), made(&pg.url, &b));
    assert_eq!(from_gpkg["tables"], from_pg["tables"]);
    for field in ["origin_seq", "origin_hash", "snapshot_rows", "snapshot_sha256"] {
        assert_eq!(from_gpkg["origin"][field], from_pg["origin"][field], "{field}");
    }
    assert!(from_pg["origin"]["origin"].as_str().unwrap().starts_with("postgres://"));
    ok(&b, &["audit", "verify"]);

    let body = serde_json::json!({
        "type": "EO_FIND", "organisation": "KDA", "start_date": "2025-07-01", "end_date": "2025-07-01",
        "eo_finds": [{"category": "CMR", "type": "9N235 submunition", "quantity": 2, "condition": "ARMED",
            "disposal": "DESTROYED_IN_SITU", "location": "39.60 N 47.15 E"}]
    });
    let id =
        ok(&b, &["report", "submit", &report(dir.path(), "f.json", &body), "--attach", &fixture("find.jpg")]);
    let id = id.trim();
    // An accident's report goes home too, and is never copied back (its body describes victims).
    let accident =
        ok(&b, &["report", "submit", repo_file("examples/reports/07-accident.json").to_str().unwrap()]);
    for _ in 0..2 {
        ok(&b, &["--actor", "kda.team", "sync", "--to", pg.url.to_str().unwrap()]);
    }
    let listed = ok(&pg.url, &["report", "attachments", id, "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&listed).unwrap().as_array().unwrap().len(), 1, "{listed}");
    let shown = ok(&pg.url, &["report", "show", id]);
    assert_eq!(shown.matches("REPORT_SUBMITTED").count(), 1, "{shown}");
    ok(&pg.url, &["report", "show", accident.trim()]);
    assert_eq!(one(&b, "SELECT count(*) FROM reports WHERE type = 'ACCIDENT'"), 0);
    ok(&pg.url, &["audit", "verify"]);
    ok(&b, &["audit", "verify"]);
}

fn token(db: &Path, user: &str) -> String {
    succeeds(db, "admin", &["user", "token", user, "--label", "field"])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// Runs `safeground` with an API token (the team's, on its laptop).
fn with_token(db: &Path, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_safeground"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("SAFEGROUND_TOKEN", token)
        .env_remove("SAFEGROUND_DB")
        .env_remove("SAFEGROUND_USER")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The same copy sent home twice from the same start: on a USB stick (a
/// bundle signed with the team's token) and over the wire (`sync --to`).
/// The register ends the same either way; a bundle changed after it was
/// signed, or signed by another organisation's account, stores nothing.
#[test]
fn a_bundle_on_a_usb_stick_is_the_same_as_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let users = [
        ("admin", "administrator", None),
        ("aest.team", "operator", Some("AEST")),
        ("kda.team", "operator", Some("KDA")),
    ];
    let reg = demo_with_users(dir.path(), "200", &users);
    let (aest, kda) = (token(&reg, "aest.team"), token(&reg, "kda.team"));
    let copy = dir.path().join("field.gpkg");
    succeeds(
        &reg,
        "admin",
        &["checkout", "--district", "Xocalı", "--organisation", "AEST", "--to", copy.to_str().unwrap()],
    );
    let ids = a_week_of_work(&copy, dir.path());
    unapprove_the_last_survey(&reg);
    let twin = |name: &str, from: &Path| {
        let p = dir.path().join(name);
        std::fs::copy(from, &p).unwrap();
        p
    };
    let (reg_wire, copy_wire, reg_other) =
        (twin("wire.gpkg", &reg), twin("wire-field.gpkg", &copy), twin("other.gpkg", &reg));

    // On the stick.
    let stick = dir.path().join("stick.sgbundle");
    let out = with_token(&copy, &aest, &["sync", "--export-bundle", stick.to_str().unwrap()]);
    assert!(
        out.status.success() && said(&out).contains(&format!("{} reports written", ids.len())),
        "{}",
        said(&out)
    );
    // Victims' names may travel in it: readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&stick).unwrap().permissions().mode() & 0o777, 0o600);
    let out = succeeds(&reg, "admin", &["sync", "--import-bundle", stick.to_str().unwrap()]);
    assert!(
        out.contains("A bundle signed by aest.team") && out.contains(&format!("{} reports sent", ids.len())),
        "{out}"
    );
    assert!(out.contains("FLAGGED") && out.contains("1 flagged"), "{out}");
    let again = succeeds(&reg, "admin", &["sync", "--import-bundle", stick.to_str().unwrap()]);
    assert!(
        again.contains(&format!(
            "0 reports sent to {} (0 flagged for the IM officer, {} sent before)",
            reg.display(),
            ids.len()
        )),
        "{again}"
    );

    // Over the wire, from the same start.
    let out = with_token(&copy_wire, &aest, &["sync", "--to", reg_wire.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));

    // The register ends the same either way.
    let listed = ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
    assert_same_reports(&reg, &reg_wire, &listed);
    assert_eq!(one(&reg, &format!("SELECT count(*) FROM reports WHERE id IN ({listed})")), ids.len());
    succeeds(&reg, "admin", &["audit", "verify"]);
    succeeds(&reg_wire, "admin", &["audit", "verify"]);

    // Changed after it was signed: refused whole.
    let changed = dir.path().join("changed.sgbundle");
    std::fs::copy(&stick, &changed).unwrap();
    tamper(
        &changed,
        "UPDATE reports SET submitted_by = 'someone else' WHERE seq = (SELECT min(seq) FROM reports)",
    );
    let refused = denied(&reg_other, "admin", &["sync", "--import-bundle", changed.to_str().unwrap()]);
    assert!(refused.contains("changed after it was signed"), "{refused}");
    // Nor does anything in it run: a view in a table's place is not a bundle's table.
    let viewed = dir.path().join("viewed.sgbundle");
    std::fs::copy(&stick, &viewed).unwrap();
    tamper(&viewed, "ALTER TABLE reports RENAME TO signed");
    tamper(&viewed, "CREATE VIEW reports AS SELECT * FROM signed");
    let refused = denied(&reg_other, "admin", &["sync", "--import-bundle", viewed.to_str().unwrap()]);
    assert!(refused.contains("its tables are not a bundle's"), "{refused}");
    // A row not as this program writes it (a newer field program's file kind) stops it before anything is stored.
    let newer = dir.path().join("newer.sgbundle");
    std::fs::copy(&stick, &newer).unwrap();
    tamper(
        &newer,
        "UPDATE files SET kind = 'VIDEO' WHERE n = 0 AND report_seq = (SELECT max(seq) FROM reports)",
    );
    let refused = denied(&reg_other, "admin", &["sync", "--import-bundle", newer.to_str().unwrap()]);
    assert!(refused.contains("VIDEO") && refused.contains("nothing was stored"), "{refused}");
    // Signed by another organisation's account: each report refused, none stored.
    let kda_stick = dir.path().join("kda.sgbundle");
    assert!(with_token(&copy, &kda, &["sync", "--export-bundle", kda_stick.to_str().unwrap()])
        .status
        .success());
    let refused = denied(&reg_other, "admin", &["sync", "--import-bundle", kda_stick.to_str().unwrap()]);
    assert!(
        refused.contains(&format!("{} reports of the bundle could not be stored", ids.len())),
        "{refused}"
    );
    assert_eq!(one(&reg_other, &format!("SELECT count(*) FROM reports WHERE id IN ({listed})")), 0);
    succeeds(&reg_other, "admin", &["audit", "verify"]);
}

/// A process killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// nginx terminating TLS in front of `backend`, as an authority's server
/// is deployed, with a certificate of the test's own authority: the nginx,
/// its port and the authority's certificate (PEM).
fn tls_proxy(dir: &Path, backend: std::net::SocketAddr) -> (Killed, u16, PathBuf) {
    let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        dir,
        &[
            &["req", "-x509"],
            &curve[..],
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test authority"],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[&["req"], &curve[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]]
            .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    let port = free_port();
    let d = dir.display();
    let conf = format!(
        "user root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx.log;\nevents {{}}\nhttp {{\n\
         access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\nfastcgi_temp_path {d}/fcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\nclient_max_body_size 16m;\n\
         server {{\nlisten 127.0.0.1:{port} ssl;\nssl_certificate {d}/server.pem;\nssl_certificate_key {d}/server.key;\n\
         location / {{\nproxy_pass http://{backend};\nproxy_set_header Host {backend};\nproxy_read_timeout 600s;\n}}\n}}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(which("nginx").unwrap())
        .args(["-c", &format!("{d}/nginx.conf"), "-p", &d.to_string(), "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nginx did not start: {:?}",
            std::fs::read_to_string(dir.join("nginx.log"))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Killed(child), port, dir.join("ca.pem"))
}

/// `safeground --db DB ARGS` with an API token, to spawn.
fn token_cmd(db: &Path, token: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_safeground"));
    c.arg("--db").arg(db).args(args).env("SAFEGROUND_TOKEN", token).env_remove("SAFEGROUND_DB");
    c.env_remove("SAFEGROUND_USER").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// A whole copy of a register in use (its write-ahead log with it).
fn backup(from: &Path, to: &Path) {
    let script = "import sqlite3, sys\ns = sqlite3.connect(sys.argv[1])\nd = sqlite3.connect(sys.argv[2])\ns.backup(d)\nd.close()";
    let out = Command::new("python3").args(["-c", script]).arg(from).arg(to).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A field copy fetched from the register's server over HTTPS (nginx with
/// the authority's own certificate in front of `safeground serve`), and its
/// reports sent home the same way, each cut off (SIGKILL) midway and then
/// resumed from where it stopped; the register ends as a bundle carried on
/// a USB stick from the same start leaves it, and the copy is made again
/// for an account that may make copies.
#[test]
fn a_copy_over_https_resumes_where_the_link_broke() {
    if !require("nginx", "nginx", "a_copy_over_https_resumes_where_the_link_broke")
        || !require("openssl", "openssl", "a_copy_over_https_resumes_where_the_link_broke")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let users = [
        ("admin", "administrator", None),
        ("officer", "im_officer", None),
        ("aest.team", "operator", Some("AEST")),
    ];
    let reg = demo_with_users(dir.path(), "200", &users);
    let (officer, aest) = (token(&reg, "officer"), token(&reg, "aest.team"));
    let (server, addr) = spawn_serve(&reg, &[], Stdio::null());
    let _server = Killed(server);
    let tls = dir.path().join("tls");
    std::fs::create_dir(&tls).unwrap();
    let (_nginx, port, ca) = tls_proxy(&tls, addr);
    let url = format!("https://127.0.0.1:{port}");
    let ca = ca.to_str().unwrap();
    let copy = dir.path().join("field.gpkg");
    let checkout = |token: &str, extra: &[&str]| {
        let mut c = token_cmd(
            &reg,
            token,
            &[
                "checkout",
                "--from",
                &url,
                "--district",
                "Xocalı",
                "--organisation",
                "AEST",
                "--to",
                copy.to_str().unwrap(),
            ],
        );
        c.args(extra);
        c
    };

    // A server whose certificate no known authority signed is not spoken to.
    let out = checkout(&officer, &[]).output().unwrap();
    assert!(!out.status.success() && said(&out).contains("UnknownIssuer"), "{}", said(&out));
    // A team's account reads its own organisation's reports, not the copy's.
    let out = checkout(&aest, &["--ca-file", ca]).output().unwrap();
    assert!(!out.status.success() && said(&out).contains("of every organisation"), "{}", said(&out));
    assert!(!copy.exists());

    // Cut off midway, then resumed where it stopped.
    let part = dir.path().join("field.gpkg.part");
    let mut first = Killed(checkout(&officer, &["--ca-file", ca, "--chunk-kb", "16"]).spawn().unwrap());
    let start = Instant::now();
    while std::fs::metadata(&part).map_or(0, |m| m.len()) < 64 << 10 {
        assert!(start.elapsed() < Duration::from_secs(120) && !copy.exists(), "the fetch did not start");
        std::thread::sleep(Duration::from_millis(2));
    }
    first.0.kill().unwrap();
    let _ = first.0.wait();
    let out = checkout(&officer, &["--ca-file", ca, "--chunk-kb", "256"]).output().unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("Resuming the field copy at byte"), "{}", said(&out));
    assert!(!part.exists());
    // Victims' names may be on it: readable by its owner only, as a copy made here.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    // The same copy as one made on the register itself, and nothing left staged.
    let here = dir.path().join("here.gpkg");
    succeeds(
        &reg,
        "admin",
        &["checkout", "--district", "Xocalı", "--organisation", "AEST", "--to", here.to_str().unwrap()],
    );
    let sealed = "SELECT origin_seq, snapshot_rows, snapshot_sha256 FROM checkouts";
    assert_eq!(query(&copy, sealed), query(&here, sealed));
    ok(&copy, &["audit", "verify"]);
    assert_eq!(one(&reg, "SELECT count(*) FROM transfers"), 0);

    // A week's work; the register changes the ground meanwhile.
    let ids = a_week_of_work(&copy, dir.path());
    unapprove_the_last_survey(&reg);
    let (reg_stick, copy_stick) =
        (dir.path().join("stick-register.gpkg"), dir.path().join("stick-field.gpkg"));
    backup(&reg, &reg_stick);
    backup(&copy, &copy_stick);

    // The team's reports over the link, cut off midway, then resumed.
    let sync = |token: &str, kb: &str| {
        token_cmd(&copy, token, &["sync", "--to", &url, "--ca-file", ca, "--chunk-kb", kb])
    };
    let mut first = Killed(sync(&aest, "4").spawn().unwrap());
    let start = Instant::now();
    let received = loop {
        let got = query(&reg, "SELECT received, bytes FROM transfers WHERE purpose = 'BUNDLE'");
        let r = got
            .as_array()
            .and_then(|rows| rows.first())
            .map(|r| (r[0].as_i64().unwrap(), r[1].as_i64().unwrap()));
        if let Some((r, _)) = r.filter(|(r, _)| *r > 0) {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "the reports did not start to go");
        std::thread::sleep(Duration::from_millis(5));
    };
    first.0.kill().unwrap();
    let _ = first.0.wait();
    assert!(received > 0);
    let out = sync(&aest, "64").output().unwrap();
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Resuming the reports at byte"), "{text}");
    assert!(
        text.contains(&format!("{} reports sent to {url}", ids.len())) && text.contains("1 flagged"),
        "{text}"
    );
    assert!(text.contains("was not made again") && text.contains("aest.team (operator)"), "{text}");
    // Run again at the same state of the copy: nothing goes over the link twice.
    let again = sync(&aest, "64").output().unwrap();
    let again_text = said(&again);
    assert!(again.status.success(), "{again_text}");
    assert!(again_text.contains("Nothing sent: the copy has not changed since"), "{again_text}");
    assert!(
        again_text.contains(&format!(
            "0 reports sent to {url} (0 flagged for the IM officer, {} sent before)",
            ids.len()
        )),
        "{again_text}"
    );

    // From the same start, on a USB stick: the register ends the same.
    let stick = dir.path().join("stick.sgbundle");
    let out = with_token(&copy_stick, &aest, &["sync", "--export-bundle", stick.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    succeeds(&reg_stick, "admin", &["sync", "--import-bundle", stick.to_str().unwrap()]);
    let listed = ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
    assert_same_reports(&reg, &reg_stick, &listed);
    assert_eq!(one(&reg, "SELECT count(*) FROM transfers"), 0);

    // The IM officer's token makes the copy again: nothing sent twice.
    let before = one(&copy, "SELECT origin_seq FROM checkouts").as_i64().unwrap();
    let out = sync(&officer, "1024").output().unwrap();
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "0 reports sent to {url} (0 flagged for the IM officer, {} sent before)",
            ids.len()
        )),
        "{text}"
    );
    assert!(text.contains("made again as of event"), "{text}");
    assert!(one(&copy, "SELECT origin_seq FROM checkouts").as_i64().unwrap() > before);
    assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(one(&copy, &format!("SELECT count(*) FROM reports WHERE id IN ({listed})")), ids.len());
    ok(&copy, &["audit", "verify"]);
    succeeds(&reg, "admin", &["audit", "verify"]);
    assert_eq!(one(&reg, "SELECT count(*) FROM transfers"), 0);
}

/// Unapproves the newest version's report of AZ-XC-000004 on `reg`: the
/// ground a week's survey names changes on the register meanwhile.
fn unapprove_the_last_survey(reg: &Path) {
    let last = one(
        reg,
        "SELECT v.report_id FROM hazard_versions v JOIN hazards h ON h.id = v.hazard_id
         WHERE h.code = 'AZ-XC-000004' ORDER BY v.version DESC LIMIT 1",
    );
    succeeds(
        reg,
        "admin",
        &["report", "unapprove", last.as_str().unwrap(), "--reason", "sector counted twice"],
    );
}

/// The reports `listed` (quoted ids), their files and their events are the
/// same in registers `a` and `b`, row for row.
fn assert_same_reports(a: &Path, b: &Path, listed: &str) {
    for sql in [
        "SELECT id, type, state, organisation_id, task_id, body, submitted_by, version FROM reports WHERE id IN (IDS) ORDER BY id",
        "SELECT report_id, sha256, kind, personal, content_type, file_name, width, height, taken_at, exif_lon, exif_lat
           FROM attachments WHERE report_id IN (IDS) ORDER BY report_id, sha256",
        "SELECT report_id, kind, actor, reason FROM events WHERE report_id IN (IDS)
           AND kind IN ('REPORT_SUBMITTED', 'SYNC_FLAGGED', 'ATTACHMENT_ADDED') ORDER BY report_id, kind",
    ] {
        let sql = sql.replace("IDS", listed);
        assert_eq!(query(a, &sql), query(b, &sql), "{sql}");
    }
}
