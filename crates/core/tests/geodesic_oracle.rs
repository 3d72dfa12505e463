//! Geodesic areas and perimeters against GeographicLib's own implementation.
//!
//! The fixture `fixtures/areas.json` was produced by `fixtures/areas.py`
//! (Python geographiclib 2.0, not our code); the command is in that script.
//!
//! Agreement is to 1e-9 relative, or to a square centimetre for the smallest
//! polygons: the algorithm sums per-edge terms of about 1e10 m² (the area
//! between each edge and the equator) that cancel to the polygon's area, so
//! double rounding leaves some 1e-6 m² per edge in any implementation,
//! GeographicLib's own included.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use safeground_core::area::{multipolygon_area, multipolygon_perimeter};

fn ring(v: &serde_json::Value) -> LineString<f64> {
    LineString(
        v.as_array()
            .expect("ring is an array")
            .iter()
            .map(|c| Coord { x: c[0].as_f64().expect("lon"), y: c[1].as_f64().expect("lat") })
            .collect(),
    )
}

#[test]
fn areas_and_perimeters_agree_with_geographiclib_to_1e9() {
    let text = include_str!("fixtures/areas.json");
    let doc: serde_json::Value = serde_json::from_str(text).expect("fixture is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 80);
    let mut worst = 0.0f64;
    for case in cases {
        let mp = MultiPolygon(
            case["multipolygon"]
                .as_array()
                .expect("polygons")
                .iter()
                .map(|p| {
                    let rings = p.as_array().expect("rings");
                    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
                })
                .collect(),
        );
        let want_area = case["area_m2"].as_f64().expect("area");
        let want_perimeter = case["perimeter_m"].as_f64().expect("perimeter");
        let area = multipolygon_area(&mp);
        let perimeter = multipolygon_perimeter(&mp);
        let rel_a = ((area - want_area) / want_area).abs();
        let rel_p = ((perimeter - want_perimeter) / want_perimeter).abs();
        if (area - want_area).abs() >= 1e-4 {
            worst = worst.max(rel_a);
        }
        worst = worst.max(rel_p);
        assert!(
            rel_a < 1e-9 || (area - want_area).abs() < 1e-4,
            "{}: area {area} vs GeographicLib {want_area} (relative {rel_a:e})",
            case["name"]
        );
        assert!(
            rel_p < 1e-9,
            "{}: perimeter {perimeter} vs GeographicLib {want_perimeter} (relative {rel_p:e})",
            case["name"]
        );
    }
    eprintln!("worst relative difference from GeographicLib: {worst:e}");
}
