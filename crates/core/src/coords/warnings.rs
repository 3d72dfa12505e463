//! The likely mistakes in a position that reads correctly: latitude and longitude swapped, a point
//! outside the programme's country, a UTM zone that does not match the position.
//!
//! These are flags, not refusals: the caller decides (the CLI prints them, approval may refuse).

use super::grid_zone::{band_index, band_letter, band_of, describe_band, lon_offset, zone_region};
use super::{format_dd, to_utm, Notation, Parsed, Position, UtmDesignator};
use crate::area::distance;
use geo::{BoundingRect, Closest, ClosestPoint, Intersects, MultiPolygon, Point, Polygon, Rect};
use std::fmt;

/// The area positions are expected in: a country outline, a programme area, or a bounding box.
#[derive(Debug, Clone)]
pub struct Boundary {
    name: String,
    area: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
}

impl Boundary {
    /// A boundary from a (multi)polygon in longitude/latitude degrees, e.g. a country outline.
    pub fn new(name: impl Into<String>, area: MultiPolygon<f64>) -> Self {
        let bbox = area.bounding_rect();
        Boundary { name: name.into(), area, bbox }
    }

    /// A boundary that is a longitude/latitude box.
    ///
    /// ```
    /// use safeground_core::coords::{Boundary, Position};
    /// let azerbaijan = Boundary::from_bbox("Azerbaijan", 44.7, 38.3, 50.4, 41.95);
    /// assert!(azerbaijan.contains(Position::new(39.76, 46.75).unwrap()));
    /// assert!(!azerbaijan.contains(Position::new(46.75, 39.76).unwrap()));
    /// ```
    pub fn from_bbox(
        name: impl Into<String>,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Self {
        let rect = Rect::new((min_lon, min_lat), (max_lon, max_lat));
        Boundary::new(name, MultiPolygon(vec![rect.to_polygon()]))
    }

    /// The boundary's name, used in messages ("outside Azerbaijan").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The area.
    pub fn area(&self) -> &MultiPolygon<f64> {
        &self.area
    }

    /// Whether the position is inside the boundary or on its edge.
    pub fn contains(&self, position: Position) -> bool {
        let p: Point<f64> = position.into();
        self.bbox.is_some_and(|b| b.intersects(&p)) && self.area.intersects(&p)
    }

    /// About how far (metres on the ellipsoid) the position is from the boundary: 0 inside, otherwise
    /// the distance to the nearest point of the outline (nearest in degrees, measured geodesically).
    pub fn distance_m(&self, position: Position) -> f64 {
        if self.contains(position) {
            return 0.0;
        }
        let p: Point<f64> = position.into();
        let nearest = self.area.0.iter().filter_map(|poly: &Polygon<f64>| match poly.closest_point(&p) {
            Closest::Intersection(q) | Closest::SinglePoint(q) => Some(q),
            Closest::Indeterminate => None,
        });
        nearest.map(|q| distance(position.lat(), position.lon(), q.y(), q.x())).fold(f64::INFINITY, f64::min)
    }
}

/// What to check positions against.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions<'a> {
    /// The area positions should be in (the programme's country); `None` skips the boundary and swap
    /// checks.
    pub boundary: Option<&'a Boundary>,
    /// How far outside its zone (metres) a UTM or MGRS position may be before it is flagged: writing a
    /// point near a zone edge in the neighbouring zone is common practice. Default 1000 m.
    pub zone_margin_m: f64,
}

impl Default for CheckOptions<'_> {
    fn default() -> Self {
        CheckOptions { boundary: None, zone_margin_m: 1000.0 }
    }
}

/// A likely mistake in a position.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoordWarning {
    /// Outside the boundary, but inside it with latitude and longitude exchanged.
    LikelySwapped { position: Position, swapped: Position, boundary: String },
    /// Outside the boundary.
    OutsideBoundary { position: Position, boundary: String, distance_m: f64 },
    /// A UTM or MGRS latitude band letter that does not match the position (the letter is redundant:
    /// the position comes from the zone, the hemisphere and the numbers or square letters).
    BandMismatch { position: Position, written: char, actual: char },
    /// A UTM or MGRS position written in a zone it is not in (beyond the margin).
    UtmZoneMismatch { position: Position, written_zone: u8, standard_zone: u8, distance_m: f64 },
}

impl CoordWarning {
    /// The message for a person.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

fn km(m: f64) -> String {
    if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} km", m / 1000.0)
    }
}

impl fmt::Display for CoordWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoordWarning::LikelySwapped { position, swapped, boundary } => write!(
                f,
                "latitude and longitude look swapped: {} is outside {boundary}, but {} (the two exchanged) \
                 is inside",
                format_dd(*position, 6),
                format_dd(*swapped, 6)
            ),
            CoordWarning::OutsideBoundary { position, boundary, distance_m } => write!(
                f,
                "{} is outside {boundary}, about {} from its border",
                format_dd(*position, 6),
                km(*distance_m)
            ),
            CoordWarning::BandMismatch { position, written, actual } => {
                let range = |letter: char| band_index(letter).map(describe_band).unwrap_or_default();
                write!(
                    f,
                    "written in latitude band {written} ({}), but {} lies in band {actual} ({}): check the \
                     band letter and the northing or square letters",
                    range(*written),
                    format_dd(*position, 6),
                    range(*actual)
                )
            }
            CoordWarning::UtmZoneMismatch { position, written_zone, standard_zone, distance_m } => write!(
                f,
                "written in UTM zone {written_zone}, but {} lies in zone {standard_zone}, about {} outside \
                 zone {written_zone}: check the zone number",
                format_dd(*position, 6),
                km(*distance_m)
            ),
        }
    }
}

/// Checks a position that came without a notation (boundary and swap).
///
/// ```
/// use safeground_core::coords::{check_position, Boundary, CheckOptions, CoordWarning, Position};
/// let az = Boundary::from_bbox("Azerbaijan", 44.7, 38.3, 50.4, 41.95);
/// let opts = CheckOptions { boundary: Some(&az), ..CheckOptions::default() };
/// let w = check_position(Position::new(46.75, 39.76).unwrap(), &opts);
/// assert!(matches!(w.as_slice(), [CoordWarning::LikelySwapped { .. }]), "{w:?}");
/// assert!(check_position(Position::new(39.76, 46.75).unwrap(), &opts).is_empty());
/// ```
pub fn check_position(position: Position, options: &CheckOptions) -> Vec<CoordWarning> {
    let mut warnings = Vec::new();
    if let Some(boundary) = options.boundary {
        if !boundary.contains(position) {
            let swapped = Position::new(position.lon(), position.lat()).ok();
            match swapped.filter(|s| boundary.contains(*s)) {
                Some(swapped) => warnings.push(CoordWarning::LikelySwapped {
                    position,
                    swapped,
                    boundary: boundary.name().to_string(),
                }),
                None => warnings.push(CoordWarning::OutsideBoundary {
                    position,
                    boundary: boundary.name().to_string(),
                    distance_m: boundary.distance_m(position),
                }),
            }
        }
    }
    warnings
}

/// How far (metres) a position is from the area of a UTM zone (0 inside), band by band so that the
/// Norway and Svalbard exceptions count: 32V reaches west to 3°E, 31X east to 9°E, and 32X, 34X and
/// 36X do not exist.
pub(crate) fn distance_to_zone(position: Position, zone: u8) -> f64 {
    let (lat, lon) = (position.lat(), position.lon());
    zone_region(zone)
        .into_iter()
        .map(|(w, e, s, n)| {
            let mid = (w + e) / 2.0;
            let half = (e - w) / 2.0;
            let off = lon_offset(mid, lon).clamp(-half, half);
            let clat = lat.clamp(s, n);
            let clon = mid + off;
            if clat == lat && (lon_offset(mid, lon)).abs() <= half {
                0.0
            } else {
                distance(lat, lon, clat, clon)
            }
        })
        .fold(f64::INFINITY, f64::min)
}

/// Checks a parsed position: boundary and swap (as [`check_position`]) and, for UTM and MGRS, whether
/// the written latitude band matches the position, and the written zone (beyond
/// [`CheckOptions::zone_margin_m`]).
///
/// ```
/// use safeground_core::coords::{check, parse_position, CheckOptions, CoordWarning};
/// // Baku written in zone 38 instead of 39: 150 km outside zone 38.
/// let p = parse_position("38T 918000 4476000").unwrap();
/// let w = check(&p, &CheckOptions::default());
/// assert!(matches!(w.as_slice(), [CoordWarning::UtmZoneMismatch { standard_zone: 39, .. }]), "{w:?}");
/// assert!(w[0].to_string().contains("zone 39"));
/// ```
pub fn check(parsed: &Parsed, options: &CheckOptions) -> Vec<CoordWarning> {
    let mut warnings = check_position(parsed.position, options);
    let written_band = match parsed.notation {
        Notation::Utm { designator: UtmDesignator::Band(c), .. } | Notation::Mgrs { band: c, .. } => Some(c),
        _ => None,
    };
    if let Some(written) = written_band.map(|c| c.to_ascii_uppercase()) {
        let lat = parsed.position.lat();
        let actual = band_letter(band_of(lat, !lat.is_sign_negative()));
        if actual != written {
            warnings.push(CoordWarning::BandMismatch { position: parsed.position, written, actual });
        }
    }
    let written = match parsed.notation {
        Notation::Utm { zone, .. } | Notation::Mgrs { zone, .. } => Some(zone),
        _ => None,
    };
    if let Some(zone) = written {
        let d = distance_to_zone(parsed.position, zone);
        if d > options.zone_margin_m {
            if let Ok(standard) = to_utm(parsed.position) {
                warnings.push(CoordWarning::UtmZoneMismatch {
                    position: parsed.position,
                    written_zone: zone,
                    standard_zone: standard.zone,
                    distance_m: d,
                });
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::super::parse_position;
    use super::*;

    fn pos(lat: f64, lon: f64) -> Position {
        Position::new(lat, lon).unwrap()
    }

    #[test]
    fn zone_distance_handles_exceptions() {
        // Bergen area, 5°E at 60°N: standard zone 32 (the Norway exception), not 31.
        assert_eq!(distance_to_zone(pos(60.0, 5.0), 32), 0.0);
        assert!(distance_to_zone(pos(60.0, 5.0), 31) > 100_000.0);
        // South of band V, 32 does not reach west of 6°E: 11 km from 32V just south of 56°N, more
        // than 50 km from zone 32 further south.
        let d = distance_to_zone(pos(55.9, 5.0), 32);
        assert!((10_000.0..12_500.0).contains(&d), "{d}");
        assert!(distance_to_zone(pos(50.0, 5.0), 32) > 50_000.0);
        // Svalbard: 33X spans 9°E to 21°E; 34X does not exist.
        assert_eq!(distance_to_zone(pos(78.0, 20.0), 33), 0.0);
        assert!(distance_to_zone(pos(78.0, 20.0), 34) > 100_000.0);
        // Near the antimeridian.
        assert_eq!(distance_to_zone(pos(10.0, 179.5), 60), 0.0);
        assert!(distance_to_zone(pos(10.0, -179.5), 60) < 60_000.0);
    }

    #[test]
    fn band_mismatch_is_flagged_not_refused() {
        // 4402591 m north is 39.76°N: band S, not T (a common loose "38T for the whole region").
        let p = parse_position("38T 649905 4402591").unwrap();
        let s = parse_position("38S 649905 4402591").unwrap();
        assert_eq!(p.position, s.position);
        let w = check(&p, &CheckOptions::default());
        assert!(
            matches!(w.as_slice(), [CoordWarning::BandMismatch { written: 'T', actual: 'S', .. }]),
            "{w:?}"
        );
        assert!(w[0].to_string().contains("band T (40°N to 48°N)"), "{}", w[0]);
        assert!(check(&s, &CheckOptions::default()).is_empty());
        // MGRS: the NK square also occurs in band S, and is read the same (GeographicLib does too).
        let m = parse_position("38SNK1234567890").unwrap();
        assert_eq!(format_mgrs_5(m.position), "38TNK1234567890");
        assert_eq!(check(&m, &CheckOptions::default()).len(), 1);
    }

    fn format_mgrs_5(p: Position) -> String {
        super::super::format_mgrs(p, 5).unwrap()
    }

    #[test]
    fn zone_margin() {
        // 500 m past 48°E, written in zone 38: within the default 1 km margin.
        let p = parse_position("38T 754720 4487596").unwrap();
        assert!(p.position.lon() > 48.0 && p.position.lon() < 48.01, "{}", p.position);
        assert!(check(&p, &CheckOptions::default()).is_empty());
        let strict = CheckOptions { zone_margin_m: 100.0, ..CheckOptions::default() };
        assert_eq!(check(&p, &strict).len(), 1);
    }

    #[test]
    fn outside_boundary_reports_distance() {
        let az = Boundary::from_bbox("Azerbaijan", 44.7, 38.3, 50.4, 41.95);
        let opts = CheckOptions { boundary: Some(&az), ..CheckOptions::default() };
        let w = check_position(pos(42.0, 47.0), &opts);
        let [CoordWarning::OutsideBoundary { distance_m, .. }] = w.as_slice() else {
            panic!("{w:?}");
        };
        assert!((distance_m - 5_550.0).abs() < 100.0, "{distance_m}");
        assert!(w[0].to_string().contains("outside Azerbaijan, about 5.6 km"), "{}", w[0]);
    }
}
