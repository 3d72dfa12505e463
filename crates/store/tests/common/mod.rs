//! What the store's tests share: a fresh PostgreSQL database for a test
//! (on the server at SAFEGROUND_TEST_PG, default
//! postgres://postgres@127.0.0.1:5432), and running a test on a GeoPackage
//! or on PostgreSQL/PostGIS.

use std::path::Path;

/// A fresh PostgreSQL database for one test, dropped after it; `None` when
/// there is no server here and this is not CI (recorded as skipped).
struct PgDatabase {
    url: std::path::PathBuf,
    name: String,
}

fn psql(sql: &str) -> Option<std::process::Output> {
    let server =
        std::env::var("SAFEGROUND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    std::process::Command::new("psql")
        .arg(format!("{server}/postgres"))
        .args(["-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .ok()
}

impl PgDatabase {
    fn create(test: &str) -> Option<PgDatabase> {
        let server = std::env::var("SAFEGROUND_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!("sg_test_{}_{test}", std::process::id());
        let _ = psql(&format!("DROP DATABASE IF EXISTS {name}"));
        match psql(&format!("CREATE DATABASE {name}")) {
            Some(o) if o.status.success() => {
                Some(PgDatabase { url: format!("{server}/{name}").into(), name })
            }
            other => {
                let why = other.map_or("psql is not installed".to_string(), |o| {
                    String::from_utf8_lossy(&o.stderr).into_owned()
                });
                assert!(
                    std::env::var("CI").as_deref() != Ok("true")
                        && std::env::var("SAFEGROUND_SKIP_EXTERNAL").as_deref() == Ok("1"),
                    "{test} needs PostgreSQL with PostGIS at {server} (scripts/test.sh installs it): {why}"
                );
                let log =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/skipped-tests.txt");
                let line =
                    format!("{}::{test} on PostgreSQL: no server at {server}\n", env!("CARGO_CRATE_NAME"));
                let _ = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
                eprintln!("SKIPPED {line}");
                None
            }
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

pub fn on_a_geopackage(test: fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    test(&dir.path().join("r.gpkg"));
}

pub fn on_postgis(name: &str, test: fn(&Path)) {
    if let Some(pg) = PgDatabase::create(name) {
        test(&pg.url);
    }
}
