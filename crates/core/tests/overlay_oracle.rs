//! Land-release accounting on ground that makes the overlay library panic in
//! the first plane tried, against figures computed without safeground.
//!
//! `fixtures/overlay_panic.geojson` (provenance in `fixtures/README.md`) is a
//! hazard and six released polygons on which i_overlay 4.5.2 panics in the
//! gnomonic plane about the hazard's centre; `fixtures/overlay_panic_expected.json`
//! holds the figures shapely 2 and pyproj's Geod give (`fixtures/overlay_panic.py`).
//! Agreement is to 1e-5 relative: shapely overlays in longitude/latitude, where
//! the new edges bow a little from the geodesics.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use safeground_core::accounting::account;
use safeground_core::codes::ReleaseOutcome;

fn multipolygon(g: &serde_json::Value) -> MultiPolygon<f64> {
    let ring = |r: &serde_json::Value| {
        LineString(
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| Coord { x: c[0].as_f64().unwrap(), y: c[1].as_f64().unwrap() })
                .collect(),
        )
    };
    MultiPolygon(
        g["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let rings = p.as_array().unwrap();
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            })
            .collect(),
    )
}

#[test]
fn ground_the_overlay_library_panics_on_is_accounted_in_another_plane() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/overlay_panic.geojson")).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/overlay_panic_expected.json")).unwrap();
    let features = doc["features"].as_array().unwrap();
    let hazard =
        multipolygon(&features.iter().find(|f| f["properties"]["role"] == "hazard").unwrap()["geometry"]);
    let released: Vec<(ReleaseOutcome, MultiPolygon<f64>)> = features
        .iter()
        .filter(|f| f["properties"]["role"] == "released")
        .map(|f| {
            (f["properties"]["outcome"].as_str().unwrap().parse().unwrap(), multipolygon(&f["geometry"]))
        })
        .collect();
    assert_eq!(released.len(), 6);
    let refs: Vec<(ReleaseOutcome, &MultiPolygon<f64>)> = released.iter().map(|(o, g)| (*o, g)).collect();
    let a = account(&hazard, &refs).expect("accounted in another plane");
    let near = |ours: f64, theirs: &serde_json::Value, what: &str| {
        let theirs = theirs.as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= 1e-5 * theirs.max(1.0),
            "{what}: ours {ours} m², shapely/pyproj {theirs} m²"
        );
    };
    near(a.recorded_m2, &expected["recorded"], "recorded");
    near(a.cancelled_m2, &expected["cancelled"], "cancelled");
    near(a.reduced_m2, &expected["reduced"], "reduced");
    near(a.cleared_m2, &expected["cleared"], "cleared");
    near(a.remaining_m2, &expected["remaining"], "remaining");
}
