//! The field forms (forms/*.xlsx): what is committed is what `safeground forms
//! write` writes, and pyxform (the converter KoBoToolbox and ODK Central use)
//! turns each into an XForm without errors or warnings.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const FORMS: [&str; 4] = ["nts", "clearance", "eo_find", "eore_session"];

/// Runs `xls2xform --json` and insists on a clean conversion; returns the XForm.
fn convert(xlsx: &Path, out: &Path) -> String {
    let o = Command::new("xls2xform")
        .arg("--json")
        .arg("--skip_validate")
        .arg(xlsx)
        .arg(out)
        .output()
        .expect("xls2xform runs");
    // pyxform prints its JSON report on standard error (older versions: standard output).
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "xls2xform {}: {stdout}{stderr}", xlsx.display());
    let text = if stderr.trim().is_empty() { stdout } else { stderr };
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["code"], 100, "{}: {v}", xlsx.display());
    assert_eq!(v["warnings"], serde_json::json!([]), "{}: {v}", xlsx.display());
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn committed_forms_are_current_and_convert_cleanly() {
    if !require("xls2xform", "pyxform (PyPI)", "committed_forms_are_current_and_convert_cleanly") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("forms");
    let listed = ok(&dir.path().join("unused.gpkg"), &["forms", "write", fresh.to_str().unwrap()]);
    assert_eq!(listed.lines().count(), FORMS.len());
    for name in FORMS {
        let committed = repo_file(&format!("forms/{name}.xlsx"));
        let written = fresh.join(format!("{name}.xlsx"));
        let a = convert(&committed, &dir.path().join(format!("{name}.committed.xml")));
        let b = convert(&written, &dir.path().join(format!("{name}.fresh.xml")));
        assert!(a == b, "forms/{name}.xlsx is stale: run `safeground forms write forms`");
        assert!(
            std::fs::read(&committed).unwrap() == std::fs::read(&written).unwrap(),
            "forms/{name}.xlsx differs in bytes from what safeground writes: run `safeground forms write forms`"
        );
        assert!(a.contains(&format!("id=\"safeground_{name}\"")), "{name}: form_id");
    }
    // The choices are the register's codes, so submissions map one to one.
    let nts = std::fs::read_to_string(dir.path().join("nts.fresh.xml")).unwrap();
    for code in ["AP", "AT", "UXO", "AXO", "CMR", "IED", "MINEFIELD_RECORD", "AGRICULTURE"] {
        assert!(nts.contains(&format!("<name>{code}</name>")), "{code}");
    }
    assert!(nts.contains("type=\"geoshape\"") && nts.contains("<repeat nodeset=\"/data/turning_points\">"));
}
