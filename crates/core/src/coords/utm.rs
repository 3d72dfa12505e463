//! UTM: `38T 512345 4412345` — zone, latitude band (or hemisphere), easting and northing in metres, on
//! WGS84.
//!
//! The projection is the `geoconvert` crate's transverse Mercator (Krüger's series to order 6, a port of
//! GeographicLib's `TransverseMercator`), with GeographicLib's standard zones including the Norway and
//! Svalbard exceptions. `tests/coords_oracle.rs` checks it against `GeoConvert -u` to the millimetre.

use super::grid_zone::{band_index, band_lat_range, band_letter, band_of, fit, Cell, Fit};
use super::{cap, check_precision, decimals_of, format_dd, CoordError, Notation, Parsed, Position};
use super::{UtmDesignator, MAX_UTM_DECIMALS};
use serde::{Deserialize, Serialize};

/// A position in UTM, in its standard zone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UtmPosition {
    /// Zone, 1 to 60.
    pub zone: u8,
    /// Latitude band letter, C to X.
    pub band: char,
    /// Northern hemisphere (false: the northing has the 10 000 km false northing).
    pub northern: bool,
    /// Easting in metres (500 000 on the central meridian).
    pub easting: f64,
    /// Northing in metres.
    pub northing: f64,
}

/// Latitudes UTM covers: 80°S up to (not including) 84°N.
pub(crate) fn in_utm_latitudes(lat: f64) -> bool {
    (-80.0..84.0).contains(&lat)
}

/// Projects a position into its standard UTM zone.
///
/// ```
/// use safeground_core::coords::{to_utm, Position};
/// let u = to_utm(Position::new(40.0, 48.0).unwrap()).unwrap();
/// assert_eq!((u.zone, u.band, u.northern), (39, 'T', true));
/// assert!((u.easting - 243_900.4).abs() < 0.05 && (u.northing - 4_432_069.1).abs() < 0.05, "{u:?}");
/// ```
///
/// # Errors
/// [`CoordError::OutsideUtm`] south of 80°S or from 84°N.
pub fn to_utm(position: Position) -> Result<UtmPosition, CoordError> {
    let (lat, lon) = (position.lat(), position.lon());
    let outside = || CoordError::OutsideUtm { position: format_dd(position, 6) };
    if !in_utm_latitudes(lat) {
        return Err(outside());
    }
    // geoconvert wants longitudes in [-180, 180); 180 is the same meridian as -180.
    let lon = if lon >= 180.0 { lon - 360.0 } else { lon };
    let ll = geoconvert::LatLon::create(lat, lon).map_err(|_| outside())?;
    let utm = geoconvert::UtmUps::from_latlon(&ll);
    let zone = u8::try_from(utm.zone()).ok().filter(|z| (1..=60).contains(z)).ok_or_else(outside)?;
    let northern = utm.is_north();
    Ok(UtmPosition {
        zone,
        band: band_letter(band_of(lat, northern)),
        northern,
        easting: utm.easting(),
        northing: utm.northing(),
    })
}

/// The latitude and longitude of UTM metres in a zone (any zone: no standard-zone check), or `None`
/// when they are beyond what the projection accepts.
pub(crate) fn unproject(zone: u8, northern: bool, easting: f64, northing: f64) -> Option<(f64, f64)> {
    let utm = geoconvert::UtmUps::create(i32::from(zone), northern, easting, northing).ok()?;
    let ll = utm.to_latlon();
    let (lat, lon) = (ll.latitude(), ll.longitude());
    (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
}

/// The position of UTM coordinates in the given zone and hemisphere (the exact point, no rounding cell).
///
/// ```
/// use safeground_core::coords::from_utm;
/// let p = from_utm(38, true, 649_905.0, 4_402_591.0).unwrap();
/// assert!((p.lat() - 39.760_055).abs() < 1e-5 && (p.lon() - 46.75).abs() < 1e-5, "{p}");
/// ```
///
/// # Errors
/// [`CoordError::Zone`], [`CoordError::UtmEasting`], [`CoordError::UtmNorthing`] for impossible numbers,
/// [`CoordError::OutsideUtm`] when the point is outside 80°S to 84°N.
pub fn from_utm(zone: u8, northern: bool, easting: f64, northing: f64) -> Result<Position, CoordError> {
    let input = format!("{zone}{} {easting} {northing}", if northern { 'N' } else { 'S' });
    check_numbers(&input, u32::from(zone), easting, northing)?;
    let outside = || CoordError::OutsideUtm { position: input.clone() };
    let (lat, lon) = unproject(zone, northern, easting, northing).ok_or_else(outside)?;
    if !in_utm_latitudes(lat) {
        return Err(outside());
    }
    Position::new(lat, lon)
}

/// Writes a position as UTM in its standard zone with the latitude band:
/// `38T 512345 4412345` (zone written with two digits, as GeographicLib does).
///
/// `decimals` is the number of decimals on the metres, 0 to [`MAX_UTM_DECIMALS`]; rounding is to the
/// nearest, as `GeoConvert -u` does.
///
/// ```
/// use safeground_core::coords::{format_utm, parse_position};
/// let p = parse_position("39.7612345, 46.7512345").unwrap();
/// assert_eq!(format_utm(p.position, 0).unwrap(), "38S 650008 4402724");
/// let back = parse_position("38S 650008 4402724").unwrap();
/// assert_eq!(format_utm(back.position, 0).unwrap(), "38S 650008 4402724");
/// ```
///
/// # Errors
/// [`CoordError::Precision`] for more than 3 decimals, [`CoordError::OutsideUtm`] outside 80°S to 84°N.
pub fn format_utm(position: Position, decimals: u8) -> Result<String, CoordError> {
    check_precision("UTM", "decimals on the metres", decimals, 0, MAX_UTM_DECIMALS)?;
    let u = to_utm(position)?;
    let d = usize::from(decimals);
    Ok(format!("{:02}{} {:.d$} {:.d$}", u.zone, u.band, u.easting, u.northing))
}

fn check_numbers(input: &str, zone: u32, easting: f64, northing: f64) -> Result<(), CoordError> {
    if !(1..=60).contains(&zone) {
        return Err(CoordError::Zone { input: input.to_string(), zone });
    }
    if !(0.0..=1_000_000.0).contains(&easting) {
        let swapped = (0.0..=1_000_000.0).contains(&northing) && easting <= 10_000_000.0;
        return Err(CoordError::UtmEasting {
            input: input.to_string(),
            easting,
            hint: if swapped { "; the easting comes before the northing — were they swapped?" } else { "" },
        });
    }
    if !(0.0..=10_000_000.0).contains(&northing) {
        return Err(CoordError::UtmNorthing { input: input.to_string(), northing });
    }
    Ok(())
}

/// A number of metres with an optional unit or axis suffix (`512345`, `512345mE`, `4412345.5N`).
fn metres(word: &str, suffixes: &[&str]) -> Option<(f64, usize)> {
    let upper = word.to_ascii_uppercase();
    let digits = suffixes.iter().find_map(|s| upper.strip_suffix(s)).unwrap_or(&upper);
    let points = digits.bytes().filter(|&b| b == b'.').count();
    let ok = digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && points <= 1;
    if !ok {
        return None;
    }
    Some((digits.parse::<f64>().ok()?, decimals_of(digits)))
}

/// Reads UTM when the text has its shape (zone and letters, then two numbers of which one is too big
/// to be an angle); `None` when it does not look like UTM at all.
pub(crate) fn try_parse(s: &str) -> Option<Result<Parsed, CoordError>> {
    let words: Vec<&str> =
        s.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|w| !w.is_empty()).collect();
    let (zone_text, designator, e_text, n_text) = match words.as_slice() {
        [zd, e, n] => {
            let at = zd.find(|c: char| !c.is_ascii_digit())?;
            let (z, d) = zd.split_at(at);
            (z, d, *e, *n)
        }
        [z, d, e, n] => (*z, *d, *e, *n),
        _ => return None,
    };
    let shaped = (1..=3).contains(&zone_text.len())
        && zone_text.bytes().all(|b| b.is_ascii_digit())
        && !designator.is_empty()
        && designator.chars().all(|c| c.is_ascii_alphabetic());
    if !shaped {
        return None;
    }
    let easting = metres(e_text, &["ME", "E", "M"])?;
    let northing = metres(n_text, &["MN", "N", "M"])?;
    if easting.0 < 1000.0 && northing.0 < 1000.0 {
        return None;
    }
    Some(parse(s, zone_text, designator, easting, northing))
}

fn parse(
    input: &str,
    zone_text: &str,
    designator: &str,
    (easting, e_decimals): (f64, usize),
    (northing, n_decimals): (f64, usize),
) -> Result<Parsed, CoordError> {
    let zone_number: u32 = zone_text.parse().unwrap_or(u32::MAX);
    check_numbers(input, zone_number, easting, northing)?;
    let zone = u8::try_from(zone_number)
        .map_err(|_| CoordError::Zone { input: input.to_string(), zone: zone_number })?;
    let decimals = e_decimals.max(n_decimals);
    // The written numbers name a cell as wide as their last digit.
    let half = 0.5 * 10f64.powi(-i32::try_from(decimals.min(12)).unwrap_or(12));
    let cell = |northern| Cell {
        zone,
        northern,
        x: (easting - half, easting + half),
        y: (northing - half, northing + half),
        centre: (easting, northing),
    };
    let outside = || CoordError::OutsideUtm { position: format!("'{input}'") };
    let done = |fit: Fit, designator| -> Result<Parsed, CoordError> {
        if !in_utm_latitudes(fit.lat) {
            return Err(outside());
        }
        Ok(Parsed {
            position: Position::new(fit.lat, fit.lon)?,
            notation: Notation::Utm { zone, designator, decimals: cap(decimals, MAX_UTM_DECIMALS) },
            lon_first: false,
        })
    };
    let hemisphere = |northern: bool| {
        let lats = if northern { (0.0, 84.0) } else { (-80.0, 0.0) };
        let fit = fit(&cell(northern), lats, None).ok_or_else(outside)?;
        done(fit, if northern { UtmDesignator::North } else { UtmDesignator::South })
    };
    let upper = designator.to_ascii_uppercase();
    let mut letters = upper.chars();
    let single = match (letters.next(), letters.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    };
    match (upper.as_str(), single.and_then(|c| band_index(c).map(|b| (c, b)))) {
        ("NORTH", _) => hemisphere(true),
        ("SOUTH", _) => hemisphere(false),
        (_, Some((letter, band))) => match fit(&cell(band >= 0), band_lat_range(band), Some(band)) {
            // N and S are also the hemispheres' letters: a northing outside that band means the hemisphere.
            Some(f) if !f.in_lat && letter == 'N' => hemisphere(true),
            Some(f) if !f.in_lat && letter == 'S' => hemisphere(false),
            // Any other band letter that does not match is accepted (the position does not depend on it)
            // and flagged by `check`.
            Some(f) => done(f, UtmDesignator::Band(letter)),
            None if letter == 'N' => hemisphere(true),
            None if letter == 'S' => hemisphere(false),
            None => Err(outside()),
        },
        _ => Err(CoordError::UtmDesignator { input: input.to_string(), designator: designator.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_position;
    use super::*;

    #[test]
    fn spellings() {
        let want = parse_position("38S 649905 4402591").unwrap().position;
        for s in [
            "38s 649905 4402591",
            "38 S 649905 4402591",
            "38N 649905 4402591",
            "38north 649905 4402591",
            "38 north, 649905, 4402591",
            "38S 649905mE 4402591mN",
            "38S 649905E 4402591N",
            "38S 649905.0 4402591.0",
        ] {
            let p = parse_position(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!((p.position.lat() - want.lat()).abs() < 1e-9, "{s}");
            assert!((p.position.lon() - want.lon()).abs() < 1e-9, "{s}");
        }
        let n = parse_position("38N 649905 4402591").unwrap().notation;
        assert_eq!(n, Notation::Utm { zone: 38, designator: UtmDesignator::North, decimals: 0 });
        let s = parse_position("38S 649905 4402591").unwrap().notation;
        assert!(matches!(s, Notation::Utm { designator: UtmDesignator::Band('S'), .. }));
        // S read as the southern hemisphere when the northing is not in band S.
        let south = parse_position("34S 261882 6243182").unwrap();
        assert!(matches!(south.notation, Notation::Utm { designator: UtmDesignator::South, .. }));
        assert!((south.position.lat() + 33.9249).abs() < 1e-4, "{}", south.position);
    }

    #[test]
    fn errors() {
        let msg = |s: &str| parse_position(s).unwrap_err().to_string();
        assert!(msg("61T 649905 4402591").contains("zone number must be 1 to 60"));
        assert!(msg("38I 649905 4402591").contains("neither a latitude band"));
        assert!(msg("38T 4402591 649905").contains("were they swapped"), "{}", msg("38T 4402591 649905"));
        assert!(msg("38T 649905 44025910").contains("northing"));
        assert!(msg("38X 649905 9802591").contains("outside the area UTM"), "{}", msg("38X 649905 9802591"));
    }
}
