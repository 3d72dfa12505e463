//! Residual contamination [IMAS 09.20, 07.14]: explosive ordnance found, or
//! an accident, inside ground the register holds as released, after the day
//! it was released. The release was wrong, or the ground was re-contaminated;
//! either way the land is no longer known to be safe. Approval records such a
//! find as it is (refusing it would hide the danger), and flags it: a
//! residual-risk record ties the find to the released ground, and an
//! investigation task (a technical survey of the ground around it) goes to the
//! authority — or, where the register holds no authority, to the organisation
//! that released the ground.
//!
//! A point counts when it lies strictly inside the released polygon: a find on
//! the boundary of ground being cleared beside released ground is ordinary
//! work, and GPS error cuts both ways. The find must be dated after the
//! release: the same day's finds belong to the work that released it. A find
//! reported as work on another hazard, whose polygon overlaps the released
//! ground, is that hazard's contamination (ground two hazards record is an
//! overlap for `safeground overlaps`), not residual: only finds of the same
//! hazard or of none (an EOD call-out, a find reported by the public, an
//! accident) count.
//!
//! ```
//! use safeground_core::codes::ReleaseOutcome;
//! use safeground_core::residual::{residuals, At, ReleasedGround, Sighting};
//! use geo::{polygon, MultiPolygon, Point};
//! use time::macros::date;
//! use uuid::Uuid;
//! let ground = ReleasedGround {
//!     id: Uuid::from_u128(1), hazard_id: Uuid::from_u128(2), hazard_code: "AZ-FUZ-000012".into(),
//!     organisation_id: Uuid::from_u128(3), outcome: ReleaseOutcome::Cleared,
//!     released_on: date!(2024 - 05 - 01), investigations: 0,
//!     geometry: MultiPolygon(vec![polygon![(x: 47.0, y: 39.5), (x: 47.01, y: 39.5), (x: 47.01, y: 39.51), (x: 47.0, y: 39.51)]]),
//! };
//! let inside = Sighting { what: At::Find(0), location: Point::new(47.005, 39.505), on: date!(2025 - 03 - 10), hazard: None };
//! let same_day = Sighting { on: date!(2024 - 05 - 01), ..inside.clone() };
//! let outside = Sighting { location: Point::new(47.02, 39.505), ..inside.clone() };
//! let released = [ground];
//! let found = residuals(&[inside, same_day, outside], &released);
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].sighting.what, At::Find(0));
//! ```

use crate::codes::ReleaseOutcome;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use time::Date;
use uuid::Uuid;

/// Released ground, standing (not re-opened, not unapproved), as the store
/// finds it around a report's points.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedGround {
    pub id: Uuid,
    pub hazard_id: Uuid,
    pub hazard_code: String,
    /// The organisation that released it.
    pub organisation_id: Uuid,
    pub outcome: ReleaseOutcome,
    pub released_on: Date,
    /// The highest number among its hazard's investigation tasks (the next
    /// one's code counts on from it).
    pub investigations: u32,
    pub geometry: MultiPolygon<f64>,
}

/// What in a report was found where: the report's n-th EO find, or its accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum At {
    Find(usize),
    Accident,
}

/// A find or an accident: what, where, on which day, and the hazard it was
/// reported as work on (`None`: none).
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub what: At,
    pub location: Point<f64>,
    pub on: Date,
    pub hazard: Option<Uuid>,
}

/// A sighting inside released ground, after its release.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag<'g> {
    pub sighting: Sighting,
    pub ground: &'g ReleasedGround,
}

/// The sightings that fall inside released ground after it was released,
/// each with the ground it falls in (the earliest release, where released
/// ground overlaps), in the order of `sightings`.
pub fn residuals<'g>(sightings: &[Sighting], released: &'g [ReleasedGround]) -> Vec<Flag<'g>> {
    sightings
        .iter()
        .filter_map(|s| {
            released
                .iter()
                .filter(|g| s.hazard.is_none_or(|h| h == g.hazard_id))
                .filter(|g| s.on > g.released_on && inside(&s.location, &g.geometry))
                .min_by_key(|g| (g.released_on, g.id))
                .map(|ground| Flag { sighting: s.clone(), ground })
        })
        .collect()
}

fn inside(p: &Point<f64>, g: &MultiPolygon<f64>) -> bool {
    g.bounding_rect()
        .is_some_and(|r| p.x() >= r.min().x && p.x() <= r.max().x && p.y() >= r.min().y && p.y() <= r.max().y)
        && g.contains(p)
}

/// The code of a hazard's n-th investigation task (`n` from 1):
/// `INV-<hazard code>-<n, two digits>`.
///
/// ```
/// assert_eq!(safeground_core::residual::investigation_code("AZ-FUZ-000012", 3), "INV-AZ-FUZ-000012-03");
/// ```
pub fn investigation_code(hazard_code: &str, n: u32) -> String {
    format!("INV-{hazard_code}-{n:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use time::macros::date;

    fn ground(id: u128, released_on: Date, x0: f64) -> ReleasedGround {
        ReleasedGround {
            id: Uuid::from_u128(id),
            hazard_id: Uuid::from_u128(100),
            hazard_code: "H".into(),
            organisation_id: Uuid::from_u128(200),
            outcome: ReleaseOutcome::Cleared,
            released_on,
            investigations: 0,
            geometry: MultiPolygon(vec![polygon![
                (x: x0, y: 0.0), (x: x0 + 1.0, y: 0.0), (x: x0 + 1.0, y: 1.0), (x: x0, y: 1.0)
            ]]),
        }
    }

    fn seen(x: f64, y: f64, on: Date) -> Sighting {
        Sighting { what: At::Find(0), location: Point::new(x, y), on, hazard: None }
    }

    #[test]
    fn a_find_of_another_hazard_over_the_ground_is_that_hazards() {
        let g = [ground(1, date!(2024 - 05 - 01), 0.0)];
        let mut s = seen(0.5, 0.5, date!(2025 - 01 - 01));
        s.hazard = Some(Uuid::from_u128(999));
        assert!(residuals(&[s.clone()], &g).is_empty());
        s.hazard = Some(Uuid::from_u128(100));
        assert_eq!(residuals(&[s], &g).len(), 1, "the released ground's own hazard");
    }

    #[test]
    fn the_day_after_the_release_counts_and_the_day_itself_does_not() {
        let g = [ground(1, date!(2024 - 05 - 01), 0.0)];
        assert!(residuals(&[seen(0.5, 0.5, date!(2024 - 05 - 01))], &g).is_empty());
        assert_eq!(residuals(&[seen(0.5, 0.5, date!(2024 - 05 - 02))], &g).len(), 1);
        assert!(residuals(&[seen(0.5, 0.5, date!(2024 - 04 - 30))], &g).is_empty());
    }

    #[test]
    fn a_point_on_the_boundary_or_outside_is_not_residual() {
        let g = [ground(1, date!(2024 - 05 - 01), 0.0)];
        let later = date!(2025 - 01 - 01);
        assert!(residuals(&[seen(1.0, 0.5, later)], &g).is_empty(), "on the edge");
        assert!(residuals(&[seen(0.0, 0.0, later)], &g).is_empty(), "on a corner");
        assert!(residuals(&[seen(1.5, 0.5, later)], &g).is_empty(), "outside");
        assert_eq!(residuals(&[seen(0.999, 0.5, later)], &g).len(), 1, "just inside");
    }

    #[test]
    fn overlapping_releases_name_the_earliest() {
        let g = [ground(2, date!(2024 - 06 - 01), 0.5), ground(1, date!(2024 - 05 - 01), 0.0)];
        let f = residuals(&[seen(0.75, 0.5, date!(2025 - 01 - 01))], &g);
        assert_eq!(f[0].ground.id, Uuid::from_u128(1));
        // Between the two releases only the first was released.
        let f = residuals(&[seen(0.75, 0.5, date!(2024 - 05 - 15))], &g);
        assert_eq!(f[0].ground.id, Uuid::from_u128(1));
    }

    #[test]
    fn every_sighting_is_judged_alone_in_order() {
        let g = [ground(1, date!(2024 - 05 - 01), 0.0)];
        let later = date!(2025 - 01 - 01);
        let mut accident = seen(0.2, 0.2, later);
        accident.what = At::Accident;
        let mut second = seen(0.3, 0.3, later);
        second.what = At::Find(1);
        let f = residuals(&[seen(5.0, 5.0, later), second, accident], &g);
        assert_eq!(f.iter().map(|f| f.sighting.what).collect::<Vec<_>>(), vec![At::Find(1), At::Accident]);
    }
}
