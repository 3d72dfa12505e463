//! Positions as the field writes them.
//!
//! Deminers record benchmarks and turning points in whatever their GPS, their map or their habit gives:
//! decimal degrees, degrees-minutes-seconds, degrees and decimal minutes, UTM, or MGRS (the military
//! grid). This module reads all of them ([`parse_position`], which says which notation and precision it
//! saw), writes each of them back ([`format_dd`], [`format_dms`], [`format_ddm`], [`format_utm`],
//! [`format_mgrs`]) and flags the likely mistakes ([`check`]): latitude and longitude swapped, a point
//! outside the programme's country, a UTM zone or latitude band letter that does not match the position.
//!
//! Everything is WGS84. UTM and MGRS follow GeographicLib (`GeoConvert`): the transverse Mercator
//! projection comes from the `geoconvert` crate (a port of GeographicLib's Krüger series), and the MGRS
//! lettering here is a port of GeographicLib's `MGRS` class; `tests/coords_oracle.rs` checks both
//! against `GeoConvert` on a few hundred positions.
//!
//! ```
//! use safeground_core::coords::{format_dms, format_mgrs, format_utm, parse_position, Notation};
//!
//! let p = parse_position("39°45'36.2\"N 46°45'00.0\"E").unwrap();
//! assert_eq!(p.notation, Notation::DegreesMinutesSeconds { decimals: 1 });
//! assert!((p.position.lat() - 39.760_055_6).abs() < 1e-7);
//!
//! // Writing is the exact inverse of reading, at the precision that was read.
//! assert_eq!(format_dms(p.position, 1), "39°45'36.2\"N 46°45'00.0\"E");
//! assert_eq!(format_utm(p.position, 0).unwrap(), "38S 649905 4402591");
//! assert_eq!(format_mgrs(p.position, 5).unwrap(), "38SPK4990502590");
//!
//! // Any spelling of the same thing gives the same position.
//! for s in ["39 45 36.2 N 46 45 0 E", "N39°45′36.2″ E46°45′00″", "46d45m00sE 39d45m36.2sN"] {
//!     assert_eq!(parse_position(s).unwrap().position, p.position);
//! }
//! ```
//!
//! # Conventions
//!
//! - A pair without hemisphere letters is **latitude first**: `39.76, 46.75` is 39.76°N 46.75°E.
//!   With letters either order is read (`46.75E 39.76N`), and [`Parsed::lon_first`] records it.
//! - Formatting always writes latitude first. Decimal degrees are written signed (`39.76000, 46.75000`),
//!   sexagesimal notations with hemisphere letters (`39°45'36.2"N 46°45'00.0"E`).
//! - Formatting rounds like `GeoConvert` (correctly rounded decimals; MGRS truncates, as the grid
//!   prescribes). A hemisphere letter is taken from the sign bit, so -0.0 is written as S or W (and as
//!   `-0.0…` in decimal degrees), as `GeoConvert` does; reading gives -0.0 back.
//! - UTM and MGRS are written in the standard zone of the position, UTM with its latitude band
//!   (`38T 512345 4412345`). Input may use a hemisphere letter instead (`38N 512345 4412345`); `N` and
//!   `S` are read as bands when the northing falls in that band (S is 32°N to 40°N, which covers much of
//!   Azerbaijan), and as hemispheres otherwise.
//! - A UTM band letter is redundant (zone, hemisphere and metres fix the point), so one that does not
//!   match the northing is read, not refused, and [`check`] flags it; so is an MGRS band letter, as
//!   long as the square letters occur in that band (as GeographicLib accepts). Input in a neighbouring
//!   zone is read too, and flagged beyond a margin.
//! - An MGRS reference names a square: it is read as the centre of the square, like `GeoConvert` does.
//!   Squares cut by the edge of their grid zone (a band boundary or a zone boundary) only extend to that
//!   edge, so they are read as the centre of the part inside the grid zone; likewise a UTM coordinate
//!   whose last digit straddles its zone or band edge. That keeps `format(parse(s)) == s` exact.

mod dd;
mod ddm;
mod dms;
mod error;
mod geographic;
mod grid_zone;
mod mgrs;
#[cfg(test)]
mod proptests;
mod utm;
mod warnings;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use dd::format_dd;
pub use ddm::format_ddm;
pub use dms::format_dms;
pub use error::CoordError;
pub use mgrs::format_mgrs;
pub use utm::{format_utm, from_utm, to_utm, UtmPosition};
pub use warnings::{check, check_position, Boundary, CheckOptions, CoordWarning};

/// Most decimals written for decimal degrees (1e-10° is about 0.01 mm).
pub const MAX_DD_DECIMALS: u8 = 10;
/// Most decimals written on the minutes of degrees and decimal minutes.
pub const MAX_DDM_DECIMALS: u8 = 8;
/// Most decimals written on the seconds of degrees-minutes-seconds.
pub const MAX_DMS_DECIMALS: u8 = 6;
/// Most decimals written on UTM metres (1 mm).
pub const MAX_UTM_DECIMALS: u8 = 3;
/// Most MGRS digit pairs (5 pairs: 1 m squares).
pub const MAX_MGRS_DIGITS: u8 = 5;

/// A WGS84 position in decimal degrees: latitude -90 to 90, longitude -180 to 180.
///
/// The fields are private so that every `Position` is a valid one; build it with [`Position::new`] or
/// by parsing.
///
/// ```
/// use safeground_core::coords::Position;
/// let p = Position::new(39.76, 46.75).unwrap();
/// assert_eq!((p.lat(), p.lon()), (39.76, 46.75));
/// assert!(Position::new(91.0, 0.0).is_err());
/// let point: geo::Point<f64> = p.into();
/// assert_eq!((point.x(), point.y()), (46.75, 39.76));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPosition")]
pub struct Position {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct RawPosition {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawPosition> for Position {
    type Error = CoordError;
    fn try_from(raw: RawPosition) -> Result<Self, CoordError> {
        Position::new(raw.lat, raw.lon)
    }
}

impl Position {
    /// A position from latitude and longitude in decimal degrees.
    ///
    /// # Errors
    /// [`CoordError::InvalidPosition`] when either is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Result<Self, CoordError> {
        if lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
        {
            Ok(Position { lat, lon })
        } else {
            Err(CoordError::InvalidPosition { lat, lon })
        }
    }

    /// Latitude in decimal degrees, positive north.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in decimal degrees, positive east.
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

impl From<Position> for geo::Point<f64> {
    fn from(p: Position) -> Self {
        geo::Point::new(p.lon, p.lat)
    }
}

impl TryFrom<geo::Point<f64>> for Position {
    type Error = CoordError;
    fn try_from(p: geo::Point<f64>) -> Result<Self, CoordError> {
        Position::new(p.y(), p.x())
    }
}

impl fmt::Display for Position {
    /// Decimal degrees with 6 decimals (about 0.1 m), latitude first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_dd(*self, 6))
    }
}

/// How a UTM zone number was qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtmDesignator {
    /// A latitude band letter, C to X without I and O (`38T`).
    Band(char),
    /// The northern hemisphere (`38N`, `38north`, when the northing is not in band N).
    North,
    /// The southern hemisphere (`38S`, `38south`, when the northing is not in band S).
    South,
}

/// The notation and precision a position was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notation", rename_all = "snake_case")]
pub enum Notation {
    /// Decimal degrees, with this many decimals.
    DecimalDegrees { decimals: u8 },
    /// Degrees and decimal minutes, with this many decimals on the minutes.
    DegreesDecimalMinutes { decimals: u8 },
    /// Degrees, minutes and seconds, with this many decimals on the seconds.
    DegreesMinutesSeconds { decimals: u8 },
    /// UTM, with this many decimals on the metres.
    Utm { zone: u8, designator: UtmDesignator, decimals: u8 },
    /// MGRS, with this many digit pairs (1: 10 km squares … 5: 1 m squares).
    Mgrs { zone: u8, band: char, digits: u8 },
}

impl Notation {
    /// The notation's name, e.g. "degrees, minutes and seconds".
    pub fn name(&self) -> &'static str {
        match self {
            Notation::DecimalDegrees { .. } => "decimal degrees",
            Notation::DegreesDecimalMinutes { .. } => "degrees and decimal minutes",
            Notation::DegreesMinutesSeconds { .. } => "degrees, minutes and seconds",
            Notation::Utm { .. } => "UTM",
            Notation::Mgrs { .. } => "MGRS",
        }
    }

    /// The precision: decimals, or digit pairs for MGRS.
    pub fn precision(&self) -> u8 {
        match *self {
            Notation::DecimalDegrees { decimals }
            | Notation::DegreesDecimalMinutes { decimals }
            | Notation::DegreesMinutesSeconds { decimals }
            | Notation::Utm { decimals, .. } => decimals,
            Notation::Mgrs { digits, .. } => digits,
        }
    }

    /// The size of the last written digit, e.g. "0.1″" or "1 m".
    pub fn resolution(&self) -> String {
        fn step(decimals: u8) -> String {
            if decimals == 0 {
                "1".to_string()
            } else {
                format!("0.{}1", "0".repeat(usize::from(decimals) - 1))
            }
        }
        match *self {
            Notation::DecimalDegrees { decimals } => format!("{}°", step(decimals)),
            Notation::DegreesDecimalMinutes { decimals } => format!("{}′", step(decimals)),
            Notation::DegreesMinutesSeconds { decimals } => format!("{}″", step(decimals)),
            Notation::Utm { decimals, .. } => format!("{} m", step(decimals)),
            Notation::Mgrs { digits, .. } => match digits {
                1 => "10 km".to_string(),
                2 => "1 km".to_string(),
                3 => "100 m".to_string(),
                4 => "10 m".to_string(),
                _ => "1 m".to_string(),
            },
        }
    }
}

impl fmt::Display for Notation {
    /// E.g. "MGRS, 1 m" or "degrees, minutes and seconds, 0.1″".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.name(), self.resolution())
    }
}

/// A position read from text, with what was seen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    /// The position.
    pub position: Position,
    /// The notation and precision it was written in.
    pub notation: Notation,
    /// Whether the longitude was written first (only possible with hemisphere letters).
    pub lon_first: bool,
}

impl Parsed {
    /// The position written again in the notation and precision it was read in, latitude first, in the
    /// standard UTM zone: the normalised spelling of the input.
    ///
    /// ```
    /// use safeground_core::coords::parse_position;
    /// let p = parse_position("E46d45.1 N39d45.603").unwrap();
    /// assert_eq!(p.normalised().unwrap(), "39°45.603'N 46°45.100'E");
    /// ```
    ///
    /// # Errors
    /// Only if the position cannot be written in that notation (never for a parsed one).
    pub fn normalised(&self) -> Result<String, CoordError> {
        format(self.position, &self.notation)
    }
}

/// Reads a position in any of the supported notations, and says which one it was.
///
/// - decimal degrees: `39.76, 46.75` (latitude first), `-39.76 -46.75`, `39.76N 46.75E`,
///   `E46.75 N39.76`, `39,76; 46,75`;
/// - degrees-minutes-seconds: `39°45'36.2"N 46°45'00"E`, `39 45 36.2 N 46 45 0 E`, `39d45m36.2sN …`,
///   `39:45:36.2N …`, `N39°45′36.2″ …`;
/// - degrees and decimal minutes: `N39°45.603' E46°45.000'`, `39 45.603 N 46 45 E`;
/// - UTM: `38T 512345 4412345`, `38N 512345 4412345`, `38 south 512345 4412345`,
///   `38T 512345mE 4412345mN`;
/// - MGRS: `38TNK1234567890`, `38T NK 12345 67890`, `38tnk 123 678`.
///
/// # Errors
/// A [`CoordError`] that quotes the input and says what was expected.
///
/// ```
/// use safeground_core::coords::{parse_position, Notation};
/// let p = parse_position("38T NK 12345 67890").unwrap();
/// assert_eq!(p.notation, Notation::Mgrs { zone: 38, band: 'T', digits: 5 });
/// assert_eq!(p.normalised().unwrap(), "38TNK1234567890");
///
/// let e = parse_position("38TNK123456789").unwrap_err();
/// assert!(e.to_string().contains("even number"), "{e}");
/// ```
pub fn parse_position(input: &str) -> Result<Parsed, CoordError> {
    let mut s = input.trim();
    // A label in front ("UTM 38T 512345 4412345", "MGRS: 38TNK12345678") says nothing more.
    for label in ["UTM", "MGRS"] {
        if s.get(..label.len()).is_some_and(|w| w.eq_ignore_ascii_case(label)) {
            let rest = &s[label.len()..];
            if rest.starts_with(|c: char| c.is_whitespace() || c == ':') {
                s = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
            }
        }
    }
    if s.is_empty() {
        return Err(CoordError::Empty);
    }
    if let Some(result) = mgrs::try_parse(s) {
        return result;
    }
    if let Some(result) = utm::try_parse(s) {
        return result;
    }
    geographic::parse_pair(s)
}

/// Reads a latitude and a longitude given separately (two fields of a form), each in decimal degrees,
/// degrees-minutes-seconds or degrees and decimal minutes, both in the same notation.
///
/// A hemisphere letter, if given, must suit the field: N or S for the latitude, E or W for the
/// longitude.
///
/// ```
/// use safeground_core::coords::{parse_lat_lon, Notation};
/// let p = parse_lat_lon("N39°45.603'", "46°45.1'E").unwrap();
/// assert_eq!(p.notation, Notation::DegreesDecimalMinutes { decimals: 3 });
/// assert!(parse_lat_lon("46.75E", "39.76N").is_err());
/// ```
///
/// # Errors
/// A [`CoordError`] naming the field's text and what was expected.
pub fn parse_lat_lon(lat: &str, lon: &str) -> Result<Parsed, CoordError> {
    geographic::parse_fields(lat.trim(), lon.trim())
}

/// Writes a position in the given notation and precision (the zone and band in a UTM or MGRS notation
/// are ignored: the standard ones for the position are written).
///
/// # Errors
/// [`CoordError::Precision`] for a precision the notation does not have; [`CoordError::OutsideUtm`] for
/// UTM and MGRS outside 80°S to 84°N.
pub fn format(position: Position, notation: &Notation) -> Result<String, CoordError> {
    match *notation {
        Notation::DecimalDegrees { decimals } => {
            check_precision("decimal degrees", "decimals", decimals, 0, MAX_DD_DECIMALS)?;
            Ok(format_dd(position, decimals))
        }
        Notation::DegreesDecimalMinutes { decimals } => {
            check_precision("degrees and decimal minutes", "decimals", decimals, 0, MAX_DDM_DECIMALS)?;
            Ok(format_ddm(position, decimals))
        }
        Notation::DegreesMinutesSeconds { decimals } => {
            check_precision("degrees, minutes and seconds", "decimals", decimals, 0, MAX_DMS_DECIMALS)?;
            Ok(format_dms(position, decimals))
        }
        Notation::Utm { decimals, .. } => format_utm(position, decimals),
        Notation::Mgrs { digits, .. } => format_mgrs(position, digits),
    }
}

pub(crate) fn check_precision(
    notation: &'static str,
    unit: &'static str,
    given: u8,
    min: u8,
    max: u8,
) -> Result<(), CoordError> {
    if (min..=max).contains(&given) {
        Ok(())
    } else {
        Err(CoordError::Precision { notation, unit, given, min, max })
    }
}

/// Counts the digits after the decimal point of a number written as text.
pub(crate) fn decimals_of(number: &str) -> usize {
    number.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// Clamps a count of decimals to a notation's maximum.
pub(crate) fn cap(decimals: usize, max: u8) -> u8 {
    u8::try_from(decimals).map_or(max, |d| d.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_examples_read() {
        for (s, name) in [
            ("39.76, 46.75", "decimal degrees"),
            ("39°45'36.2\"N 46°45'00\"E", "degrees, minutes and seconds"),
            ("39 45 36.2 N 46 45 00 E", "degrees, minutes and seconds"),
            ("N39°45.603' E46°45.000'", "degrees and decimal minutes"),
            ("38T 512345 4412345", "UTM"),
            ("38N 512345 4412345", "UTM"),
            ("38TNK1234567890", "MGRS"),
            ("38T NK 12345 67890", "MGRS"),
        ] {
            let p = parse_position(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.notation.name(), name, "{s}");
        }
        let one = parse_lat_lon("39 45 36.2 N", "N39°45.603'").unwrap_err();
        assert!(one.to_string().contains("is a latitude"), "{one}");
        assert!(parse_lat_lon("39 45 36.2 N", "46 45 00 E").is_ok());
        let labelled = parse_position("UTM 38S 649905 4402591").unwrap();
        assert_eq!(labelled.position, parse_position("38S 649905 4402591").unwrap().position);
        assert!(parse_position("mgrs: 38SPK4990502590").is_ok());
    }

    #[test]
    fn notation_describes_itself() {
        let n = parse_position("38TNK1234567890").unwrap().notation;
        assert_eq!(n.to_string(), "MGRS, 1 m");
        let n = parse_position("39°45'36.2\"N 46°45'00\"E").unwrap().notation;
        assert_eq!(n.to_string(), "degrees, minutes and seconds, 0.1″");
        assert_eq!(Notation::DecimalDegrees { decimals: 5 }.resolution(), "0.00001°");
        assert_eq!(Notation::Mgrs { zone: 38, band: 'T', digits: 1 }.resolution(), "10 km");
    }

    #[test]
    fn serde_keeps_positions_valid() {
        let p = parse_position("38SPK4990502590").unwrap();
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(json["notation"]["notation"], "mgrs");
        assert_eq!(json["notation"]["digits"], 5);
        let back: Parsed = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Position>(r#"{"lat": 91.0, "lon": 0.0}"#).is_err());
        assert!(serde_json::from_str::<Position>(r#"{"lat": 39.76, "lon": 46.75}"#).is_ok());
    }

    #[test]
    fn formatting_checks_precision() {
        let p = Position::new(39.76, 46.75).unwrap();
        let e = format_mgrs(p, 0).unwrap_err().to_string();
        assert_eq!(e, "MGRS can be written with 1 to 5 digit pairs, not 0");
        assert!(format_utm(p, 4).is_err());
        assert!(format(p, &Notation::DecimalDegrees { decimals: 11 }).is_err());
        let polar = Position::new(85.0, 10.0).unwrap();
        assert!(format_utm(polar, 0).unwrap_err().to_string().contains("outside the area UTM"));
        assert_eq!(format_dd(p, 2), "39.76, 46.75");
    }
}
