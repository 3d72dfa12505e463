//! Relations between hazards and places, on an R-tree so they stay fast on a
//! national register: hazards that overlap each other (the same ground
//! recorded twice, often by two operators) with the overlap's geodesic area,
//! and hazards within a distance of settlements or any points.
//!
//! ```
//! use geo::{polygon, MultiPolygon, Point};
//! use safeground_core::proximity::{near, overlaps};
//! let a = MultiPolygon(vec![polygon![(x: 46.90, y: 39.90), (x: 46.91, y: 39.90), (x: 46.91, y: 39.91), (x: 46.90, y: 39.91)]]);
//! let b = MultiPolygon(vec![polygon![(x: 46.905, y: 39.90), (x: 46.915, y: 39.90), (x: 46.915, y: 39.91), (x: 46.905, y: 39.91)]]);
//! let o = overlaps(&[a.clone(), b]);
//! assert_eq!((o[0].a, o[0].b), (0, 1));
//! assert!((o[0].area_m2 / 475_000.0 - 1.0).abs() < 0.01);
//! let village = Point::new(46.92, 39.905);
//! let n = near(&[village], &[a], 1_000.0);
//! assert!((n[0].distance_m - 855.0).abs() < 5.0);
//! ```

use crate::area::{distance, multipolygon_area};
use crate::gnomonic::Gnomonic;
use geo::{BooleanOps, BoundingRect, Contains, Coord, Intersects, MapCoords, MultiPolygon, Point};
use rstar::{RTree, RTreeObject, AABB};
use std::borrow::Borrow;

/// Two hazards (indices into the input) that share ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    pub a: usize,
    pub b: usize,
    /// Geodesic area of the shared ground, m².
    pub area_m2: f64,
}

/// A hazard within the distance of a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub point: usize,
    pub hazard: usize,
    /// Geodesic distance from the point to the hazard's edge; 0 inside.
    pub distance_m: f64,
}

struct Item {
    index: usize,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Item {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

fn tree<P: Borrow<MultiPolygon<f64>>>(polygons: &[P]) -> RTree<Item> {
    RTree::bulk_load(
        polygons
            .iter()
            .enumerate()
            .filter_map(|(index, p)| {
                let r = p.borrow().bounding_rect()?;
                Some(Item { index, env: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]) })
            })
            .collect(),
    )
}

/// Shared ground below this many m² (overlay noise along a common edge) is not an overlap.
const MIN_OVERLAP_M2: f64 = 0.01;

/// Every pair of polygons that share ground, with the shared area, ordered by
/// the first then the second index. The polygons may be owned or borrowed.
pub fn overlaps<P: Borrow<MultiPolygon<f64>>>(polygons: &[P]) -> Vec<Overlap> {
    let t = tree(polygons);
    let mut out = Vec::new();
    for (a, pa) in polygons.iter().enumerate() {
        let pa = pa.borrow();
        let Some(r) = pa.bounding_rect() else { continue };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut candidates: Vec<usize> =
            t.locate_in_envelope_intersecting(&env).map(|i| i.index).filter(|&b| b > a).collect();
        candidates.sort_unstable();
        for b in candidates {
            let pb = polygons[b].borrow();
            if !pa.intersects(pb) {
                continue;
            }
            let area = intersection_area(pa, pb);
            if area > MIN_OVERLAP_M2 {
                out.push(Overlap { a, b, area_m2: area });
            }
        }
    }
    out
}

/// Geodesic area of the intersection of two polygons, overlaid in a gnomonic
/// plane about the first (see [`crate::gnomonic`]).
pub fn intersection_area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let centre = a.bounding_rect().map(|r| r.center()).unwrap_or(Coord { x: 0.0, y: 0.0 });
    let g = Gnomonic::new(centre);
    let fwd = |mp: &MultiPolygon<f64>| mp.try_map_coords(|c| g.forward(c).ok_or(())).ok();
    match (fwd(a), fwd(b)) {
        (Some(pa), Some(pb)) => multipolygon_area(&pa.intersection(&pb).map_coords(|c| g.inverse(c))),
        _ => multipolygon_area(&a.intersection(b)),
    }
}

/// Metres per degree of latitude and of longitude at a latitude (WGS84,
/// meridional and prime-vertical radii).
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let (a, e2) = (6_378_137.0f64, 0.006_694_379_990_14f64);
    let s = lat.to_radians().sin();
    let w = (1.0 - e2 * s * s).sqrt();
    let m = a * (1.0 - e2) / (w * w * w);
    let n = a / w;
    (m.to_radians(), (n * lat.to_radians().cos()).to_radians())
}

/// Geodesic distance from a point to a polygon's boundary, or 0 inside. The
/// nearest boundary point is found in a local plane about the point, then its
/// distance measured on the ellipsoid.
pub fn distance_to(p: Point<f64>, poly: &MultiPolygon<f64>) -> f64 {
    if poly.contains(&p) {
        return 0.0;
    }
    let (my, mx) = metres_per_degree(p.y());
    let local = |c: Coord<f64>| ((c.x - p.x()) * mx, (c.y - p.y()) * my);
    let mut best: Option<(f64, Coord<f64>)> = None;
    for part in &poly.0 {
        for ring in std::iter::once(part.exterior()).chain(part.interiors()) {
            for l in ring.lines() {
                let (ax, ay) = local(l.start);
                let (bx, by) = local(l.end);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 == 0.0 { 0.0 } else { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) };
                let (qx, qy) = (ax + t * dx, ay + t * dy);
                let d2 = qx * qx + qy * qy;
                if best.is_none_or(|(b, _)| d2 < b) {
                    let q = Coord { x: p.x() + qx / mx, y: p.y() + qy / my };
                    best = Some((d2, q));
                }
            }
        }
    }
    best.map(|(_, q)| distance(p.y(), p.x(), q.y, q.x)).unwrap_or(f64::INFINITY)
}

/// Every (point, polygon) pair closer than `within_m` metres, ordered by point
/// then distance. The polygons may be owned or borrowed (`&[&MultiPolygon]`),
/// so a caller holding them in records of its own need not copy them.
pub fn near<P: Borrow<MultiPolygon<f64>>>(points: &[Point<f64>], polygons: &[P], within_m: f64) -> Vec<Near> {
    let t = tree(polygons);
    let mut out = Vec::new();
    for (pi, p) in points.iter().enumerate() {
        if !(p.x().is_finite() && p.y().is_finite()) {
            continue;
        }
        let (my, mx) = metres_per_degree(p.y());
        // Search box a little wider than the distance, then measure exactly.
        let (dx, dy) = (within_m * 1.01 / mx.max(1e-9), within_m * 1.01 / my);
        let env = AABB::from_corners([p.x() - dx, p.y() - dy], [p.x() + dx, p.y() + dy]);
        let mut found: Vec<Near> = t
            .locate_in_envelope_intersecting(&env)
            .filter_map(|item| {
                let d = distance_to(*p, polygons[item.index].borrow());
                (d <= within_m).then_some(Near { point: pi, hazard: item.index, distance_m: d })
            })
            .collect();
        found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.hazard.cmp(&b.hazard)));
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)]])
    }

    #[test]
    fn neighbours_that_only_touch_do_not_overlap() {
        let v = vec![square(46.9, 39.9, 0.01), square(46.91, 39.9, 0.01), square(47.5, 39.9, 0.01)];
        assert!(overlaps(&v).is_empty());
    }

    #[test]
    fn overlap_area_is_the_shared_ground() {
        let v = vec![square(46.9, 39.9, 0.01), square(46.95, 39.9, 0.01), square(46.902, 39.902, 0.005)];
        let o = overlaps(&v);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].a, o[0].b), (0, 2));
        let small = multipolygon_area(&v[2]);
        assert!((o[0].area_m2 - small).abs() < 1e-6 * small, "{} vs {small}", o[0].area_m2);
    }

    #[test]
    fn distances_are_geodesic() {
        let h = square(46.9, 39.9, 0.01);
        // Due east of the east edge by 0.01° of longitude at 39.905° N.
        let p = Point::new(46.92, 39.905);
        let d = distance_to(p, &h);
        let want = distance(39.905, 46.92, 39.905, 46.91);
        assert!((d - want).abs() < 0.01, "{d} vs {want}");
        assert_eq!(distance_to(Point::new(46.905, 39.905), &h), 0.0);
        let n = near(&[p, Point::new(47.5, 40.5)], &[h], 1_000.0);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].point, 0);
    }
}
