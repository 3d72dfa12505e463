//! Land-release accounting for one hazard [IMAS 07.11].
//!
//! The figures are geometric, never numbers typed in: *remaining* is the
//! geodesic area of the hazard polygon minus the union of every polygon released
//! from it; *cancelled*, *reduced* and *cleared* are the geodesic areas of the
//! union of the released polygons of each outcome, clipped to the hazard.
//!
//! The polygon overlay (difference, union, intersection) runs in a gnomonic
//! projection about the hazard (see [`crate::gnomonic`]), where straight edges
//! follow the geodesics the area algorithm assumes; results are projected back
//! and measured with GeographicLib. So the pieces add up: cancelled + reduced +
//! cleared + remaining equals recorded to parts in 10⁷ or better, when the
//! releases do not overlap.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use safeground_core::accounting::account;
//! use safeground_core::codes::ReleaseOutcome;
//! let hazard = MultiPolygon(vec![polygon![(x: 46.90, y: 39.90), (x: 46.91, y: 39.90), (x: 46.91, y: 39.91), (x: 46.90, y: 39.91)]]);
//! // Cleared: the half below the diagonal.
//! let half = MultiPolygon(vec![polygon![(x: 46.90, y: 39.90), (x: 46.91, y: 39.90), (x: 46.91, y: 39.91)]]);
//! let f = account(&hazard, &[(ReleaseOutcome::Cleared, &half)]).unwrap();
//! assert!((f.cleared_m2 + f.remaining_m2 - f.recorded_m2).abs() < 1e-3);
//! assert!((f.cleared_m2 / f.recorded_m2 - 0.5).abs() < 1e-3);
//! ```

use crate::area::multipolygon_area;
use crate::codes::ReleaseOutcome;
use crate::gnomonic::Gnomonic;
use geo::{BooleanOps, BoundingRect, Coord, MapCoords, MultiPolygon};
use serde::{Deserialize, Serialize};

/// Areas below this many square metres are overlay noise and count as zero.
pub const AREA_EPSILON_M2: f64 = 1e-3;

/// The land-release figures of one hazard (or a sum of hazards), in m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseFigures {
    pub recorded: f64,
    pub cancelled: f64,
    pub reduced: f64,
    pub cleared: f64,
    pub remaining: f64,
}

impl ReleaseFigures {
    /// The figure for one outcome.
    pub fn released(&self, outcome: ReleaseOutcome) -> f64 {
        match outcome {
            ReleaseOutcome::Cancelled => self.cancelled,
            ReleaseOutcome::Reduced => self.reduced,
            ReleaseOutcome::Cleared => self.cleared,
        }
    }
}

/// The result of [`account`], with the remaining ground's geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Accounting {
    pub recorded_m2: f64,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub remaining_m2: f64,
    /// The hazard less everything released from it.
    pub remaining: MultiPolygon<f64>,
}

impl Accounting {
    pub fn figures(&self) -> ReleaseFigures {
        ReleaseFigures {
            recorded: self.recorded_m2,
            cancelled: self.cancelled_m2,
            reduced: self.reduced_m2,
            cleared: self.cleared_m2,
            remaining: self.remaining_m2,
        }
    }
}

fn clean(a: f64) -> f64 {
    if a < AREA_EPSILON_M2 {
        0.0
    } else {
        a
    }
}

/// The overlay failed in every plane [`account`] tried: the hazard's figures
/// cannot be computed from these polygons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "its released ground could not be overlaid on its polygon ({0}), so its land-release figures \
     cannot be computed; simplify the released polygons where they meet the hazard's outline \
     (repeated or nearly collinear turning points) and submit them again"
)]
pub struct OverlayFailed(pub String);

/// Accounts for one hazard given everything released from it.
///
/// The overlay (i_overlay, under geo's boolean operations) panics on rare
/// inputs: a hole that meets its shell at the shell's leftmost point after the
/// overlay snaps coordinates to its integer grid (iShape-Rust/iOverlay#17,
/// #70). A panic is caught and the overlay run again in another plane — a
/// gnomonic projection about a vertex instead of the centre, then
/// longitude/latitude — whose grid does not make that coincidence; only when
/// every plane fails is the hazard refused, never the process stopped.
pub fn account(
    hazard: &MultiPolygon<f64>,
    released: &[(ReleaseOutcome, &MultiPolygon<f64>)],
) -> Result<Accounting, OverlayFailed> {
    let recorded = multipolygon_area(hazard);
    if released.is_empty() {
        return Ok(Accounting {
            recorded_m2: recorded,
            cancelled_m2: 0.0,
            reduced_m2: 0.0,
            cleared_m2: 0.0,
            remaining_m2: recorded,
            remaining: hazard.clone(),
        });
    }
    let centre = hazard.bounding_rect().map(|r| r.center()).unwrap_or(Coord { x: 0.0, y: 0.0 });
    let vertex = hazard.0.first().and_then(|p| p.exterior().0.first().copied()).unwrap_or(centre);
    let mut why = String::from("no plane held the polygons");
    for plane in [Some(centre), Some(vertex), None] {
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match plane {
            Some(c) => in_gnomonic(Gnomonic::new(c), hazard, released, recorded),
            None => Some(overlay(hazard, released, recorded, |mp| mp)),
        }));
        match attempt {
            Ok(Some(a)) => return Ok(a),
            // Something lies more than 60° from the point: not a field polygon.
            Ok(None) => {}
            Err(panic) => {
                why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the overlay stopped".into());
            }
        }
    }
    Err(OverlayFailed(why))
}

/// The overlay in the gnomonic plane about `proj`'s centre, where straight
/// edges follow the geodesics the area algorithm assumes; `None` when a
/// polygon lies too far from the centre to be projected.
fn in_gnomonic(
    proj: Gnomonic,
    hazard: &MultiPolygon<f64>,
    released: &[(ReleaseOutcome, &MultiPolygon<f64>)],
    recorded: f64,
) -> Option<Accounting> {
    let forward = |mp: &MultiPolygon<f64>| -> Option<MultiPolygon<f64>> {
        mp.try_map_coords(|c| proj.forward(c).ok_or(())).ok()
    };
    let plane_hazard = forward(hazard)?;
    let plane_released: Vec<(ReleaseOutcome, MultiPolygon<f64>)> =
        released.iter().map(|(o, g)| forward(g).map(|g| (*o, g))).collect::<Option<_>>()?;
    let refs: Vec<(ReleaseOutcome, &MultiPolygon<f64>)> =
        plane_released.iter().map(|(o, g)| (*o, g)).collect();
    Some(overlay(&plane_hazard, &refs, recorded, |mp| mp.map_coords(|c| proj.inverse(c))))
}

/// Overlays in whatever plane the polygons are given in; `back` maps results
/// to longitude/latitude for measuring.
fn overlay(
    hazard: &MultiPolygon<f64>,
    released: &[(ReleaseOutcome, &MultiPolygon<f64>)],
    recorded: f64,
    back: impl Fn(MultiPolygon<f64>) -> MultiPolygon<f64>,
) -> Accounting {
    let mut per_outcome = [0.0f64; 3];
    let mut all = MultiPolygon::<f64>(vec![]);
    for (i, outcome) in
        [ReleaseOutcome::Cancelled, ReleaseOutcome::Reduced, ReleaseOutcome::Cleared].into_iter().enumerate()
    {
        let mut union = MultiPolygon::<f64>(vec![]);
        let mut any = false;
        for (o, g) in released {
            if *o == outcome {
                union = if any { union.union(*g) } else { (*g).clone() };
                any = true;
            }
        }
        if any {
            let inside = back(union.intersection(hazard));
            per_outcome[i] = clean(multipolygon_area(&inside));
            all = if all.0.is_empty() { union } else { all.union(&union) };
        }
    }
    let remaining = back(hazard.difference(&all));
    Accounting {
        recorded_m2: recorded,
        cancelled_m2: per_outcome[0],
        reduced_m2: per_outcome[1],
        cleared_m2: per_outcome[2],
        remaining_m2: clean(multipolygon_area(&remaining)),
        remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{polygon, Polygon};

    fn square(x0: f64, y0: f64, d: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)]
    }

    #[test]
    fn nothing_released_leaves_everything() {
        let h = MultiPolygon(vec![square(46.9, 39.9, 0.01)]);
        let a = account(&h, &[]).unwrap();
        assert_eq!(a.remaining_m2, a.recorded_m2);
        assert_eq!(a.cleared_m2, 0.0);
    }

    #[test]
    fn released_ground_outside_the_hazard_does_not_count() {
        let h = MultiPolygon(vec![square(46.9, 39.9, 0.01)]);
        // Half inside, half outside.
        let r = MultiPolygon(vec![square(46.905, 39.9, 0.01)]);
        let a = account(&h, &[(ReleaseOutcome::Reduced, &r)]).unwrap();
        assert_relative_eq!(a.reduced_m2 + a.remaining_m2, a.recorded_m2, max_relative = 1e-7);
        assert_relative_eq!(a.reduced_m2 / a.recorded_m2, 0.5, max_relative = 1e-3);
    }

    #[test]
    fn overlapping_releases_of_one_outcome_count_once() {
        let h = MultiPolygon(vec![square(46.9, 39.9, 0.01)]);
        let r1 = MultiPolygon(vec![square(46.9, 39.9, 0.006)]);
        let r2 = MultiPolygon(vec![square(46.902, 39.9, 0.006)]);
        let a = account(&h, &[(ReleaseOutcome::Cleared, &r1), (ReleaseOutcome::Cleared, &r2)]).unwrap();
        // The union is measured independently in longitude/latitude, where its
        // edges bow a little from the geodesics: agreement to 1e-5 is expected.
        let union = multipolygon_area(&r1.union(&r2));
        assert_relative_eq!(a.cleared_m2, union, max_relative = 1e-5);
        // The overlay's own pieces add up far more tightly.
        assert_relative_eq!(a.remaining_m2 + a.cleared_m2, a.recorded_m2, max_relative = 1e-7);
    }

    #[test]
    fn fully_released_hazard_has_nothing_remaining() {
        let h = MultiPolygon(vec![square(46.9, 39.9, 0.01)]);
        // Split along the diagonal: both halves share the hazard's own vertices.
        let west =
            MultiPolygon(vec![polygon![(x: 46.9, y: 39.9), (x: 46.91, y: 39.91), (x: 46.9, y: 39.91)]]);
        let east =
            MultiPolygon(vec![polygon![(x: 46.9, y: 39.9), (x: 46.91, y: 39.9), (x: 46.91, y: 39.91)]]);
        let a = account(&h, &[(ReleaseOutcome::Cancelled, &west), (ReleaseOutcome::Cleared, &east)]).unwrap();
        assert_eq!(a.remaining_m2, 0.0);
        assert_relative_eq!(a.cancelled_m2 + a.cleared_m2, a.recorded_m2, max_relative = 1e-9);
    }
}
