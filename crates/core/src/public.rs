//! The public level of an export: what a register may show to everyone
//! (donors, the press, a public map) about ground that is still dangerous.
//!
//! A hazard still open or being worked on is either coarsened — its polygon
//! replaced by the cells of a regular longitude/latitude grid that cover it,
//! so its outline and its exact place are not given away — or dropped (the
//! record stays, without geometry), as the authority chooses. Released ground,
//! closed hazards and everything else keep their coordinates.
//!
//! ```
//! use geo::{polygon, Geometry, MultiPolygon};
//! use safeground_core::public::coarsen;
//! let hazard = Geometry::MultiPolygon(MultiPolygon(vec![polygon![
//!     (x: 46.9012, y: 39.9031), (x: 46.9051, y: 39.9031), (x: 46.9051, y: 39.9077), (x: 46.9012, y: 39.9077)]]));
//! let Geometry::MultiPolygon(cells) = coarsen(&hazard, 0.01).unwrap() else { panic!() };
//! let r = geo::BoundingRect::bounding_rect(&cells).unwrap();
//! assert_eq!((r.min().x, r.min().y, r.max().x, r.max().y), (46.90, 39.90, 46.91, 39.91));
//! ```

use geo::{BoundingRect, Geometry, MultiPolygon, Polygon, Rect};

/// What a public export does with ground still dangerous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dangerous {
    /// Replace it by the grid cells (of this many degrees) that cover it.
    Coarsen { grid_deg: f64 },
    /// Leave its geometry out.
    Drop,
}

/// Whether a hazard of this status is still dangerous ground.
pub fn still_dangerous(status: &str) -> bool {
    matches!(status, "OPEN" | "WORKED_ON")
}

/// The geometry's extent, snapped outwards to a grid of `grid_deg` degrees,
/// as one polygon. `None` for an empty geometry or a grid that is not a
/// positive number.
pub fn coarsen(g: &Geometry<f64>, grid_deg: f64) -> Option<Geometry<f64>> {
    if !(grid_deg.is_finite() && grid_deg > 0.0) {
        return None;
    }
    let r = g.bounding_rect()?;
    // Rounded to the grid's decimals so cell edges print as the grid (46.9, not 46.900000000000006).
    let snap = |v: f64, up: bool| {
        let cells = v / grid_deg;
        let n = if up { cells.ceil() } else { cells.floor() };
        let n = if up && n == cells.floor() && (cells - n).abs() < 1e-12 { n + 1.0 } else { n };
        (n * grid_deg * 1e9).round() / 1e9
    };
    let (x0, y0) = (snap(r.min().x, false), snap(r.min().y, false));
    let (mut x1, mut y1) = (snap(r.max().x, true), snap(r.max().y, true));
    if x1 <= x0 {
        x1 = x0 + grid_deg;
    }
    if y1 <= y0 {
        y1 = y0 + grid_deg;
    }
    let cell: Polygon<f64> = Rect::new((x0, y0), (x1, y1)).to_polygon();
    Some(Geometry::MultiPolygon(MultiPolygon(vec![cell])))
}

/// A hazard's geometry at the public level: `status` is its status code.
pub fn hazard_geometry(g: Option<Geometry<f64>>, status: &str, how: Dangerous) -> Option<Geometry<f64>> {
    if !still_dangerous(status) {
        return g;
    }
    match how {
        Dangerous::Drop => None,
        Dangerous::Coarsen { grid_deg } => g.and_then(|g| coarsen(&g, grid_deg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{point, polygon, Intersects};

    #[test]
    fn the_cells_cover_the_hazard_and_hide_its_outline() {
        let star = Geometry::Polygon(polygon![
            (x: 46.9012, y: 39.9031), (x: 46.9201, y: 39.9040), (x: 46.9105, y: 39.9187), (x: 46.9012, y: 39.9031)]);
        let c = coarsen(&star, 0.01).unwrap();
        let Geometry::MultiPolygon(mp) = &c else { panic!("{c:?}") };
        assert_eq!(mp.0[0].exterior().0.len(), 5, "a rectangle");
        for p in
            [point!(x: 46.9012, y: 39.9031), point!(x: 46.9201, y: 39.9040), point!(x: 46.9105, y: 39.9187)]
        {
            assert!(mp.intersects(&p), "{p:?} is covered");
        }
        let r = mp.bounding_rect().unwrap();
        assert_eq!((r.min().x, r.min().y, r.max().x, r.max().y), (46.9, 39.9, 46.93, 39.92));
    }

    #[test]
    fn a_point_on_a_grid_line_gets_a_whole_cell() {
        let p = Geometry::Point(point!(x: 46.9, y: 39.9));
        let Some(Geometry::MultiPolygon(mp)) = coarsen(&p, 0.1) else { panic!() };
        let r = mp.bounding_rect().unwrap();
        assert!((r.width() - 0.1).abs() < 1e-9 && (r.height() - 0.1).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn only_dangerous_ground_changes() {
        let g = Some(Geometry::Point(point!(x: 46.91, y: 39.91)));
        assert_eq!(hazard_geometry(g.clone(), "CLOSED", Dangerous::Drop), g);
        assert_eq!(hazard_geometry(g.clone(), "OPEN", Dangerous::Drop), None);
        assert!(matches!(
            hazard_geometry(g, "WORKED_ON", Dangerous::Coarsen { grid_deg: 0.05 }),
            Some(Geometry::MultiPolygon(_))
        ));
        assert!(coarsen(&Geometry::Point(point!(x: 1.0, y: 1.0)), 0.0).is_none());
    }
}
