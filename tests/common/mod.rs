//! Helpers shared by the integration tests: run the real binary, find the
//! outside tools that check its output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(tool)).find(|p| p.is_file()))
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
