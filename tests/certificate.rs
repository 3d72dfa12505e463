//! `certificate`: the handover certificate of a hazard released whole. Its
//! turning points and benchmark against GeographicLib's `GeoConvert` (DMS and
//! MGRS), its areas by outcome recomputed on the ellipsoid (GeographicLib in
//! Python) from the `released_areas` layer the register exports, its PDF read
//! by poppler, its sealed event matched by `audit verify --expect-event`;
//! refused for ground not released.

mod common;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// Lines through `GeoConvert ARGS`.
fn geoconvert(args: &[&str], input: &str) -> Vec<String> {
    let mut child =
        Command::new("GeoConvert").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// GeoConvert's `39d48'20.2"N 046d44'16.9"E` as we write it.
fn as_ours(dms: &str) -> String {
    dms.split(' ')
        .map(|half| {
            let (deg, rest) = half.split_once('d').unwrap();
            format!(
                "{}°{rest}",
                deg.trim_start_matches('0').parse::<u32>().map_or("0".into(), |d| d.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_released_hazard_has_a_certificate_the_history_vouches_for() {
    let test = "a_released_hazard_has_a_certificate_the_history_vouches_for";
    if !require("GeoConvert", "geographiclib-tools", test) || !require_oracle(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let hazards: Value = serde_json::from_str(&ok(&db, &["hazards", "list", "--json"])).unwrap();
    // Ground with residual contamination stands under the find's report
    // (its release cannot be withdrawn first): a hazard without any.
    let residual: Value = serde_json::from_str(&ok(&db, &["residual", "list", "--json"])).unwrap();
    let of = |status: &str| {
        hazards
            .as_array()
            .unwrap()
            .iter()
            .find(|h| {
                h["status"] == status && residual.as_array().unwrap().iter().all(|r| r["hazard"] != h["code"])
            })
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let code = of("HANDED_OVER");
    let c: Value =
        serde_json::from_str(&ok(&db, &["certificate", "--hazard", &code, "--format", "json", "-"])).unwrap();
    assert!(c["number"].as_str().unwrap().starts_with(&format!("{code}/")), "{}", c["number"]);

    // Every point as GeoConvert writes it.
    let mut points = vec![c["benchmark"].clone()];
    points.extend(c["turning_points"].as_array().unwrap().iter().cloned());
    assert!(points.len() > 4 && points[0]["label"] == "BM" && points[1]["label"] == "TP1");
    let input: String = points.iter().map(|p| format!("{} {}\n", p["lat"], p["lon"])).collect();
    let mgrs = geoconvert(&["-m", "-p", "0"], &input);
    let dms = geoconvert(&["-d", "-p", "0"], &input);
    for (i, p) in points.iter().enumerate() {
        assert_eq!(p["mgrs"].as_str().unwrap(), mgrs[i], "{p}");
        assert_eq!(p["dms"].as_str().unwrap(), as_ours(&dms[i]), "{p}");
    }

    // The areas by outcome, recomputed from the exported layer.
    let layer = dir.path().join("released.geojson");
    ok(
        &db,
        &["export", "--layer", "released_areas", "--format", "geojson", "--force", layer.to_str().unwrap()],
    );
    let script = r#"
import json, sys
from collections import defaultdict
from geographiclib.geodesic import Geodesic
def ring(r):
    p = Geodesic.WGS84.Polygon()
    for lon, lat in r[:-1]:
        p.AddPoint(lat, lon)
    return abs(p.Compute(False, True)[2])
out = defaultdict(float)
for f in json.load(open(sys.argv[1]))["features"]:
    if f["properties"]["hazard"] == sys.argv[2]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        out[f["properties"]["outcome"].lower()] += sum(ring(p[0]) - sum(ring(h) for h in p[1:]) for p in polys)
print(json.dumps(out))
"#;
    let out = Command::new("/usr/bin/python3").args(["-c", script]).arg(&layer).arg(&code).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let oracle: Value = serde_json::from_slice(&out.stdout).unwrap();
    for outcome in ["cancelled", "reduced", "cleared"] {
        let (ours, theirs) =
            (c["released_m2"][outcome].as_f64().unwrap(), oracle[outcome].as_f64().unwrap_or(0.0));
        assert!((ours - theirs).abs() <= 1e-6 * ours.max(1.0), "{outcome}: {ours} vs {theirs}");
    }
    let released: f64 =
        ["cancelled", "reduced", "cleared"].iter().map(|k| c["released_m2"][k].as_f64().unwrap()).sum();
    assert!(released > 0.0, "not a comparison of nothings: {}", c["released_m2"]);

    // The sealed event it cites is the one the history holds.
    let cited = format!("{}:{}", c["sealed"]["seq"], c["sealed"]["hash"].as_str().unwrap());
    assert!(ok(&db, &["audit", "verify", "--expect-event", &cited]).contains("is in the history"));
    let forged = format!("{}:{}", c["sealed"]["seq"], "0".repeat(64));
    assert!(fails(&db, &["audit", "verify", "--expect-event", &forged]).contains("is sealed with"));
    assert!(fails(&db, &["audit", "verify", "--expect-event", "999999:abc"]).contains("has no event 999999"));
    assert!(fails(&db, &["audit", "verify", "--expect-event", "eleven"]).contains("write SEQ:HASH"));

    // The PDF.
    if require("pdftotext", "poppler-utils", test) {
        let pdf = dir.path().join("certificate.pdf");
        ok(&db, &["certificate", "--hazard", &code, "--lang", "uk", pdf.to_str().unwrap()]);
        let text = pdf_text(&pdf);
        for needle in [
            c["number"].as_str().unwrap(),
            "Сертифікат звільнення та передачі земель",
            "Від оператора",
            "TP1",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
        for p in &points {
            assert!(text.contains(p["mgrs"].as_str().unwrap()), "{p}");
        }
        assert!(text.contains(&format!("--expect-event {}", c["sealed"]["seq"])), "the way to check it");
        assert_fonts_embedded(&pdf);

        // The same document from the server, as the web application's hazard panel links it.
        let open = of("OPEN");
        let answers = serve_get(
            &db,
            &[
                &format!("/api/hazards/{code}/certificate/pdf?lang=az"),
                &format!("/api/hazards/{open}/certificate/pdf"),
                &format!("/api/hazards/{code}/certificate/pdf?lang=fr"),
            ],
        );
        assert!(answers[0].0.contains(" 200 "), "{}", answers[0].0);
        let served = dir.path().join("served.pdf");
        std::fs::write(&served, &answers[0].1).unwrap();
        let text = pdf_text(&served);
        for needle in [c["number"].as_str().unwrap(), "TP1"] {
            assert!(text.contains(needle), "{needle} not in the served PDF\n{text}");
        }
        assert_fonts_embedded(&served);
        assert!(answers[1].0.contains(" 409 "), "not released: {}", answers[1].0);
        assert!(String::from_utf8_lossy(&answers[1].1).contains("approve its completion report"));
        assert!(answers[2].0.contains(" 400 "), "{}", answers[2].0);
    }

    // Its completion withdrawn, the certificate no longer stands, and none is made.
    let report = c["sealed"]["report"].as_str().unwrap();
    ok(&db, &["report", "unapprove", report, "--reason", "the lane was cleared short of depth"]);
    let err = fails(&db, &["audit", "verify", "--expect-event", &cited]);
    assert!(err.contains("unapproved the report it approved") && err.contains("no longer stands"), "{err}");
    assert!(fails(&db, &["certificate", "--hazard", &code, "--format", "json", "-"])
        .contains(&format!("hazard {code} is")));

    // Ground not released has none.
    let open = of("OPEN");
    let err = fails(&db, &["certificate", "--hazard", &open, "--format", "json", "-"]);
    assert!(
        err.contains(&format!("hazard {open} is OPEN")) && err.contains("approve its completion report"),
        "{err}"
    );
    let err = fails(&db, &["certificate", "--hazard", &code, "-"]);
    assert!(err.contains("a PDF goes to a file"), "{err}");
    assert!(fails(&db, &["certificate", "--hazard", "AZ-NONE", "--format", "json", "-"])
        .contains("is not in the register"));
}
