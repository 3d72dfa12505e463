//! Files that are not a safeground register are refused with a clear message,
//! and left exactly as they were.

mod common;
use common::*;
use std::path::Path;

fn assert_refused_untouched(db: &Path, expect: &str) {
    let before = std::fs::read(db).unwrap();
    for args in [&["summary"][..], &["hazards", "list"][..]] {
        let err = fails(db, args);
        assert!(err.contains(expect), "expected '{expect}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(before, std::fs::read(db).unwrap(), "the file must not change");
    for companion in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(companion);
        assert!(!Path::new(&p).exists(), "opening must not create {companion}");
    }
}

#[test]
fn a_text_file_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.gpkg");
    std::fs::write(&db, "hazard list for Monday\nAZ-AM-000001 check benchmark\n".repeat(20)).unwrap();
    assert_refused_untouched(&db, "is not a SQLite database");
}

#[test]
fn an_empty_file_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.gpkg");
    std::fs::write(&db, "").unwrap();
    assert_refused_untouched(&db, "is not a SQLite database");
}

#[test]
fn a_missing_file_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nowhere.gpkg");
    let err = fails(&db, &["summary"]);
    assert!(err.contains("no database at") && err.contains("safeground init"), "{err}");
    assert!(!db.exists());
}

#[test]
fn a_truncated_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cut.gpkg");
    ok(&db, &["demo", "--scale", "50", "--no-serve"]);
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused_untouched(&db, "is truncated");
}

#[test]
fn a_newer_schema_is_refused() {
    if !require("sqlite3", "sqlite3", "a_newer_schema_is_refused") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.gpkg");
    ok(&db, &["init"]);
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE sg_meta SET value = '999' WHERE key = 'schema_version'; PRAGMA journal_mode = DELETE;")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_refused_untouched(&db, "has safeground schema version 999, newer than this program understands");
}

#[test]
fn another_programs_geopackage_is_refused() {
    if !require("sqlite3", "sqlite3", "another_programs_geopackage_is_refused") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A GeoPackage as another tool would write it: the application id, no sg_meta.
    let db = dir.path().join("other.gpkg");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("PRAGMA application_id = 1196444487; CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY);")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_refused_untouched(&db, "is a GeoPackage but not a safeground database");
    // And a plain SQLite database that is not a GeoPackage at all.
    let plain = dir.path().join("plain.sqlite");
    let out = std::process::Command::new("sqlite3").arg(&plain).arg("CREATE TABLE t (x);").output().unwrap();
    assert!(out.status.success());
    assert_refused_untouched(&plain, "is a SQLite database but not a GeoPackage");
}

#[test]
fn bad_arguments_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.gpkg");
    let err = fails(&db, &["demo", "--scale", "galactic"]);
    assert!(err.contains("is not a scale"), "{err}");
    assert!(!db.exists());
}
