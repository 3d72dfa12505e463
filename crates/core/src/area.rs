//! Geodesic area and perimeter on the WGS84 ellipsoid.
//!
//! Every area in safeground is square metres on the ellipsoid, computed with
//! GeographicLib's polygon algorithm (Karney 2013), never planar degrees. Edges
//! are geodesics. Rings may be given closed (last point repeating the first, as
//! in GeoJSON and WKB) or open; either winding is accepted.
//!
//! ```
//! use geo::polygon;
//! use safeground_core::area::polygon_area;
//! // A 0.01° square near Shusha: about 0.95 km².
//! let p = polygon![(x: 46.75, y: 39.76), (x: 46.76, y: 39.76), (x: 46.76, y: 39.77), (x: 46.75, y: 39.77)];
//! let a = polygon_area(&p);
//! assert!((a - 951_000.0).abs() < 2_000.0, "{a}");
//! ```

use geo::{LineString, MultiPolygon, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use std::sync::OnceLock;

/// The WGS84 ellipsoid, built once.
pub fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Area (m², unsigned) and perimeter (m) of one ring, treated as a closed polygon.
pub fn ring_area_perimeter(ring: &LineString<f64>) -> (f64, f64) {
    let coords = &ring.0;
    let n = if coords.len() > 1 && coords.first() == coords.last() { coords.len() - 1 } else { coords.len() };
    if n < 3 {
        let perimeter =
            if n == 2 { 2.0 * distance(coords[0].y, coords[0].x, coords[1].y, coords[1].x) } else { 0.0 };
        return (0.0, perimeter);
    }
    let mut pa = PolygonArea::new(wgs84(), Winding::CounterClockwise);
    for c in &coords[..n] {
        pa.add_point(c.y, c.x);
    }
    // Signed: a clockwise ring gives minus its area (unsigned would give the
    // rest of the Earth, which is what a clockwise ring encloses).
    let (perimeter, area, _) = pa.compute(true);
    (area.abs(), perimeter)
}

/// Geodesic distance in metres between two points given as (lat, lon) degrees.
pub fn distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    use geographiclib_rs::InverseGeodesic;
    let s12: f64 = wgs84().inverse(lat1, lon1, lat2, lon2);
    s12
}

/// Whether the geodesic between two points (degrees) is certainly no longer
/// than `metres`, decided without solving the geodesic: a few sines instead
/// of GeographicLib's inverse problem, which validation would otherwise solve
/// for every edge of every polygon. `false` means "measure it".
///
/// The bound: the image on the ellipsoid of the great circle through the
/// points' geodetic coordinates is a path between them, no longer than its
/// central angle σ times the largest radius of curvature, a²/b; the geodesic is
/// no longer than that path. So `σ·a²/b ≤ metres` proves it.
///
/// ```
/// use safeground_core::area::{distance, surely_within};
/// assert!(surely_within(39.90, 46.90, 39.91, 46.91, 5_000.0)); // about 1.4 km
/// assert!(!surely_within(39.90, 46.90, 39.99, 46.99, 5_000.0)); // about 12.6 km
/// assert!(distance(39.90, 46.90, 39.99, 46.99) > 5_000.0);
/// ```
pub fn surely_within(lat1: f64, lon1: f64, lat2: f64, lon2: f64, metres: f64) -> bool {
    let g = wgs84();
    let (a, b) = (g.a, g.a * (1.0 - g.f));
    let sigma_max = metres * b / (a * a);
    if !(sigma_max.is_finite() && sigma_max > 0.0 && sigma_max < 1.0) {
        return false;
    }
    // The haversine of the central angle, compared with that of the bound
    // (haversine grows with the angle on [0, π]).
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    h.is_finite() && h <= (sigma_max / 2.0).sin().powi(2) * (1.0 - 1e-12)
}

/// Area of a polygon in m²: its shell less its holes.
pub fn polygon_area(p: &Polygon<f64>) -> f64 {
    let shell = ring_area_perimeter(p.exterior()).0;
    let holes: f64 = p.interiors().iter().map(|r| ring_area_perimeter(r).0).sum();
    (shell - holes).max(0.0)
}

/// Area of a multipolygon in m² (the sum of its parts; parts must not overlap,
/// which a valid multipolygon guarantees).
pub fn multipolygon_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_area).sum()
}

/// Perimeter of a polygon in metres: the length of every ring, holes included.
pub fn polygon_perimeter(p: &Polygon<f64>) -> f64 {
    ring_area_perimeter(p.exterior()).1 + p.interiors().iter().map(|r| ring_area_perimeter(r).1).sum::<f64>()
}

/// Perimeter of a multipolygon in metres.
pub fn multipolygon_perimeter(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_perimeter).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{polygon, Coord};

    // Oracle values: Python geographiclib 2.0 (C. F. F. Karney), computed with
    //   from geographiclib.geodesic import Geodesic
    //   p = Geodesic.WGS84.Polygon(); [p.AddPoint(lat, lon) for lat, lon in ring]; p.Compute()
    // The same numbers come from `Planimeter` (geographiclib-tools) fed "lat lon" lines.
    // tests/oracle/areas.py re-derives them; see crates/core/tests/fixtures/areas.json.

    #[test]
    fn ring_orientation_and_closure_do_not_change_area() {
        let ccw = polygon![(x: 46.9, y: 39.9), (x: 47.0, y: 39.9), (x: 47.0, y: 40.0), (x: 46.9, y: 40.0)];
        let mut cw_ring: Vec<Coord<f64>> = ccw.exterior().0.clone();
        cw_ring.reverse();
        let cw = Polygon::new(LineString(cw_ring), vec![]);
        let mut open = ccw.exterior().0.clone();
        open.pop();
        let open = Polygon::new(LineString(open), vec![]);
        assert_relative_eq!(polygon_area(&ccw), polygon_area(&cw), max_relative = 1e-12);
        assert_relative_eq!(polygon_area(&ccw), polygon_area(&open), max_relative = 1e-12);
    }

    #[test]
    fn holes_are_subtracted() {
        let shell =
            LineString::from(vec![(46.0, 39.0), (46.1, 39.0), (46.1, 39.1), (46.0, 39.1), (46.0, 39.0)]);
        let hole = LineString::from(vec![
            (46.02, 39.02),
            (46.02, 39.04),
            (46.04, 39.04),
            (46.04, 39.02),
            (46.02, 39.02),
        ]);
        let whole = polygon_area(&Polygon::new(shell.clone(), vec![]));
        let h = ring_area_perimeter(&hole).0;
        let p = Polygon::new(shell, vec![hole]);
        assert_relative_eq!(polygon_area(&p), whole - h, max_relative = 1e-12);
        assert!(polygon_perimeter(&p) > ring_area_perimeter(p.exterior()).1);
    }

    #[test]
    fn degenerate_rings_have_no_area() {
        let line = LineString::from(vec![(46.0, 39.0), (46.1, 39.0)]);
        let (a, p) = ring_area_perimeter(&line);
        assert_eq!(a, 0.0);
        assert!(p > 17_000.0 && p < 17_400.0, "{p}");
        assert_eq!(ring_area_perimeter(&LineString::new(vec![])), (0.0, 0.0));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use geo::{Coord, LineString, Polygon};
    use proptest::prelude::*;

    /// A star-shaped ring (always simple) around a point in Azerbaijan or Ukraine.
    fn ring() -> impl Strategy<Value = Vec<Coord<f64>>> {
        (44.0f64..50.0, 38.5f64..52.0, 3usize..40, 0.0005f64..0.05).prop_flat_map(|(x, y, n, r)| {
            proptest::collection::vec(0.3f64..1.0, n).prop_map(move |radii| {
                radii
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        let t = std::f64::consts::TAU * k as f64 / radii.len() as f64;
                        Coord { x: x + r * f * t.cos(), y: y + r * f * t.sin() }
                    })
                    .collect()
            })
        })
    }

    proptest! {
        #[test]
        fn area_is_invariant_under_rotation_and_reversal(ring in ring(), shift in 0usize..40) {
            let n = ring.len();
            let area = |pts: &[Coord<f64>]| polygon_area(&Polygon::new(LineString(pts.to_vec()), vec![]));
            let a = area(&ring);
            let mut rotated = ring.clone();
            rotated.rotate_left(shift % n);
            let mut reversed = ring.clone();
            reversed.reverse();
            // The same absolute error bound as the oracle test: 1e-9 relative or 1 cm².
            let tol = (a * 1e-9).max(1e-4);
            prop_assert!((area(&rotated) - a).abs() <= tol, "{} vs {}", area(&rotated), a);
            prop_assert!((area(&reversed) - a).abs() <= tol, "{} vs {}", area(&reversed), a);
        }
    }

    proptest::proptest! {
        /// The shortcut never calls a long edge short: wherever it says
        /// "within", GeographicLib's distance is within.
        #[test]
        fn surely_within_never_hides_a_long_edge(
            lat in -89.9f64..89.9, lon in -180.0f64..180.0,
            dlat in -0.2f64..0.2, dlon in -0.2f64..0.2, limit in 100.0f64..20_000.0,
        ) {
            let (lat2, lon2) = ((lat + dlat).clamp(-90.0, 90.0), lon + dlon);
            if surely_within(lat, lon, lat2, lon2, limit) {
                let d = distance(lat, lon, lat2, lon2);
                proptest::prop_assert!(d <= limit, "{d} > {limit}");
            }
        }
    }

    #[test]
    fn surely_within_is_tight_enough_to_skip_the_hazard_edges() {
        // An edge of 4.9 km at 40° N (east-west and north-south) is proved
        // shorter than 5 km without the geodesic.
        let (lat, lon) = (40.0f64, 47.0f64);
        let east = lon + 4_900.0 / (111_319.5 * lat.to_radians().cos());
        assert!(distance(lat, lon, lat, east) < 4_910.0);
        assert!(surely_within(lat, lon, lat, east, 5_000.0));
        assert!(surely_within(lat, lon, lat + 4_900.0 / 111_030.0, lon, 5_000.0));
        assert!(
            !surely_within(lat, lon, lat, lon + 0.1, 5_000.0)
                || distance(lat, lon, lat, lon + 0.1) <= 5_000.0
        );
    }
}
