//! `safeground verify` recomputes every hazard's figures from geometry: they
//! agree on a register built through approvals, and a figure edited behind
//! the register's back is named.

mod common;
use common::*;

#[test]
fn verify_agrees_with_the_register_and_names_a_tampered_hazard() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.gpkg");
    ok(&db, &["demo", "--scale", "40", "--no-serve"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&db, &["verify", "--json"])).unwrap();
    assert_eq!(v["hazards"], 40);
    assert!(v["released_polygons"].as_u64().unwrap() > 0);
    assert!(v["mismatches"].as_array().unwrap().is_empty(), "{v}");
    let summary: serde_json::Value = serde_json::from_str(&ok(&db, &["summary", "--json"])).unwrap();
    let remaining = summary["totals"]["area_m2"]["remaining"].as_f64().unwrap();
    assert!((v["remaining_m2"].as_f64().unwrap() - remaining).abs() < 1e-6 * remaining);
    // The four figures, summed, are the summary's (the register's own).
    for figure in ["recorded", "cancelled", "reduced", "cleared", "remaining"] {
        let (computed, stored) =
            (v["totals"][figure].as_f64().unwrap(), summary["totals"]["area_m2"][figure].as_f64().unwrap());
        assert!((computed - stored).abs() <= 1e-6 * stored.max(1.0), "{figure}: {computed} against {stored}");
    }
    assert!(v["totals"]["cleared"].as_f64().unwrap() > 0.0, "{v}");
    // Edited as another SQLite program would (Python's sqlite3, registering the
    // GeoPackage functions the spatial index triggers name, as GDAL does).
    let script = r#"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for f in ["ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"]:
    con.create_function(f, 1, lambda b: 0.0)
con.create_function("ST_IsEmpty", 1, lambda b: 0)
fid, code = con.execute("SELECT fid, code FROM hazards ORDER BY fid LIMIT 1").fetchone()
con.execute("UPDATE hazards SET area_remaining_m2 = area_remaining_m2 + 5000 WHERE fid = ?", (fid,))
con.commit()
print(code)
"#;
    let out = std::process::Command::new("/usr/bin/python3").arg("-c").arg(script).arg(&db).output().unwrap();
    let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success() && !code.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = fails(&db, &["verify"]);
    assert!(e.contains("1 hazards' figures do not match"), "{e}");
    let said = String::from_utf8(safeground(&db, &["verify"]).stdout).unwrap();
    assert!(said.contains(&code), "{said}");
}
