//! A local gnomonic projection, so that polygon overlay follows geodesics.
//!
//! Polygon overlay (difference, union, intersection) works with straight
//! edges in a plane. Done in longitude/latitude, a straight edge is not the
//! geodesic the area algorithm assumes: at 40° N a 1 km east–west edge bows by
//! about a centimetre, and the pieces of an overlay then fail to add up to the
//! whole by parts in 10⁵. The gnomonic projection maps great circles to straight
//! lines, so overlay done in it keeps the edges (to within the ellipsoid's
//! flattening, a further factor of 300 smaller) on the geodesics.
//!
//! This is the spherical gnomonic projection about a centre point, applied to
//! geodetic latitude and longitude. It is valid within 60° of the centre; mine
//! action polygons span metres to kilometres.
//!
//! ```
//! use geo::Coord;
//! use safeground_core::gnomonic::Gnomonic;
//! let g = Gnomonic::new(Coord { x: 46.75, y: 39.76 });
//! let c = Coord { x: 46.76, y: 39.77 };
//! let back = g.inverse(g.forward(c).unwrap());
//! assert!((back.x - c.x).abs() < 1e-12 && (back.y - c.y).abs() < 1e-12);
//! ```

use geo::Coord;

/// The projection about one centre. Plane coordinates are in units of the
/// sphere's radius (tangent of the angular distance from the centre).
#[derive(Debug, Clone, Copy)]
pub struct Gnomonic {
    /// Unit vector to the centre, and east and north unit vectors there.
    c: [f64; 3],
    e: [f64; 3],
    n: [f64; 3],
}

fn unit(lon: f64, lat: f64) -> [f64; 3] {
    let (sl, cl) = lat.to_radians().sin_cos();
    let (so, co) = lon.to_radians().sin_cos();
    [cl * co, cl * so, sl]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Points further than this from the centre (cosine of 60°) are refused.
const MIN_COS: f64 = 0.5;

impl Gnomonic {
    pub fn new(centre: Coord<f64>) -> Gnomonic {
        let (sl, cl) = centre.y.to_radians().sin_cos();
        let (so, co) = centre.x.to_radians().sin_cos();
        Gnomonic { c: [cl * co, cl * so, sl], e: [-so, co, 0.0], n: [-sl * co, -sl * so, cl] }
    }

    /// Projects a longitude/latitude; `None` if it is more than 60° from the centre.
    pub fn forward(&self, p: Coord<f64>) -> Option<Coord<f64>> {
        let v = unit(p.x, p.y);
        let d = dot(v, self.c);
        if d < MIN_COS {
            return None;
        }
        Some(Coord { x: dot(v, self.e) / d, y: dot(v, self.n) / d })
    }

    /// Back to longitude/latitude.
    pub fn inverse(&self, q: Coord<f64>) -> Coord<f64> {
        let v = [
            self.c[0] + q.x * self.e[0] + q.y * self.n[0],
            self.c[1] + q.x * self.e[1] + q.y * self.n[1],
            self.c[2] + q.x * self.e[2] + q.y * self.n[2],
        ];
        let h = v[0].hypot(v[1]);
        Coord { x: v[1].atan2(v[0]).to_degrees(), y: v[2].atan2(h).to_degrees() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn great_circle_points_stay_collinear() {
        // Three points on the equator (a great circle), far from the centre's meridian.
        let g = Gnomonic::new(Coord { x: 10.0, y: 20.0 });
        let a = g.forward(Coord { x: 5.0, y: 0.0 }).unwrap();
        let b = g.forward(Coord { x: 10.0, y: 0.0 }).unwrap();
        let c = g.forward(Coord { x: 15.0, y: 0.0 }).unwrap();
        let cross = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        assert!(cross.abs() < 1e-15, "{cross}");
    }

    #[test]
    fn far_points_are_refused() {
        let g = Gnomonic::new(Coord { x: 0.0, y: 0.0 });
        assert!(g.forward(Coord { x: 90.0, y: 0.0 }).is_none());
        assert!(g.forward(Coord { x: 50.0, y: 0.0 }).is_some());
    }
}
