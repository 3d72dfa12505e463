//! Grid zones: the cells of UTM zone × latitude band that UTM band letters and MGRS refer to, with the
//! Norway (32V) and Svalbard (31X, 33X, 35X, 37X) exceptions, and the placing of a written coordinate's
//! cell inside its grid zone.
//!
//! A written UTM or MGRS coordinate names a cell (the 1 m square of `38T 512345 4412345`, the 10 km
//! square of `38TNK14`), not a point. It is read as the cell's centre, like `GeoConvert` does. When the
//! centre falls outside the grid zone the coordinate was written in (the cell straddles a band or zone
//! edge, as MGRS squares along those edges do), it is read as the centre of the part of the cell inside
//! the grid zone instead: that is where the writer was, and it is what makes writing the position again
//! give back the same text.

use super::utm::unproject;

/// The latitude band letters, from 80°S (C) to 84°N (X).
pub(crate) const BANDS: &[u8; 20] = b"CDEFGHJKLMNPQRSTUVWX";

/// GeographicLib's `angeps`: latitudes closer to the equator than this take their band from the
/// hemisphere (2^-46 degrees).
const ANGEPS: f64 = 1.0 / 70_368_744_177_664.0;

/// Band index (-10 for C … 9 for X) of a latitude, as GeographicLib's `MGRS::LatitudeBand`.
pub(crate) fn latitude_band(lat: f64) -> i32 {
    // `floor` of a latitude is a small integer; `as` saturates anything else into the clamp below.
    let ilat = lat.floor() as i32;
    ((ilat.saturating_add(80)) / 8 - 10).clamp(-10, 9)
}

/// Band index of a position's latitude, taking the hemisphere's band right at the equator.
pub(crate) fn band_of(lat: f64, northern: bool) -> i32 {
    if lat.abs() < ANGEPS {
        if northern {
            0
        } else {
            -1
        }
    } else {
        latitude_band(lat)
    }
}

/// Band index of a band letter (either case).
pub(crate) fn band_index(letter: char) -> Option<i32> {
    let upper = letter.to_ascii_uppercase();
    BANDS.iter().position(|&b| char::from(b) == upper).and_then(|i| i32::try_from(i).ok()).map(|i| i - 10)
}

/// The letter of a band index.
pub(crate) fn band_letter(band: i32) -> char {
    usize::try_from(band.clamp(-10, 9) + 10).ok().and_then(|i| BANDS.get(i)).map_or('?', |&b| char::from(b))
}

/// Latitudes `[south, north)` of a band.
pub(crate) fn band_lat_range(band: i32) -> (f64, f64) {
    let south = 8.0 * f64::from(band);
    (south, if band == 9 { 84.0 } else { south + 8.0 })
}

/// "40°N to 48°N".
pub(crate) fn describe_band(band: i32) -> String {
    let (s, n) = band_lat_range(band);
    let deg = |v: f64| {
        if v < 0.0 {
            format!("{}°S", -v)
        } else {
            format!("{v}°N")
        }
    };
    format!("{} to {}", deg(s), deg(n))
}

/// Central meridian of a UTM zone.
pub(crate) fn central_meridian(zone: u8) -> f64 {
    6.0 * f64::from(zone) - 183.0
}

/// Longitudes `[west, east)` of zone `zone` in band `band`; `None` for the zones that do not exist
/// (32X, 34X, 36X).
pub(crate) fn zone_lon_range(zone: u8, band: i32) -> Option<(f64, f64)> {
    let west = 6.0 * f64::from(zone) - 186.0;
    match (band, zone) {
        (7, 31) => Some((0.0, 3.0)),
        (7, 32) => Some((3.0, 12.0)),
        (9, 31) => Some((0.0, 9.0)),
        (9, 32 | 34 | 36) => None,
        (9, 33) => Some((9.0, 21.0)),
        (9, 35) => Some((21.0, 33.0)),
        (9, 37) => Some((33.0, 42.0)),
        _ => Some((west, west + 6.0)),
    }
}

/// The parts of a zone, band by band, as `(west, east, south, north)` in degrees.
pub(crate) fn zone_region(zone: u8) -> Vec<(f64, f64, f64, f64)> {
    (-10..=9)
        .filter_map(|band| {
            let (s, n) = band_lat_range(band);
            zone_lon_range(zone, band).map(|(w, e)| (w, e, s, n))
        })
        .collect()
}

/// `lon - from`, in (-180, 180].
pub(crate) fn lon_offset(from: f64, lon: f64) -> f64 {
    let mut d = (lon - from) % 360.0;
    if d > 180.0 {
        d -= 360.0;
    } else if d <= -180.0 {
        d += 360.0;
    }
    d
}

fn normalise_lon(lon: f64) -> f64 {
    let l = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if (-180.0..=180.0).contains(&l) {
        l
    } else {
        -180.0
    }
}

/// A written UTM/MGRS coordinate as the rectangle of UTM metres it names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub zone: u8,
    pub northern: bool,
    pub x: (f64, f64),
    pub y: (f64, f64),
    /// The centre, computed as GeographicLib does (it need not be the exact midpoint in floating point).
    pub centre: (f64, f64),
}

/// Where a cell is read, and whether that point is in the latitudes asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    pub lat: f64,
    pub lon: f64,
    /// False when no part of the cell is in the latitudes asked for (a band letter that does not match).
    pub in_lat: bool,
}

/// The point a cell is read as: its centre when that lies in the latitudes `lat_range` and in the
/// zone's longitudes (for band `band`, or the centre's band), otherwise the centre of the part of the
/// cell that does. A cell entirely outside the latitudes is read as its centre (`in_lat` false: the
/// band letter is wrong, which the caller decides about); a cell entirely outside the zone's longitudes
/// too (writing a point in the neighbouring zone is legal UTM, and flagged by `check`). `None` when the
/// numbers are beyond what the projection accepts.
pub(crate) fn fit(cell: &Cell, lat_range: (f64, f64), band: Option<i32>) -> Option<Fit> {
    let (lat_c, lon_c) = unproject(cell.zone, cell.northern, cell.centre.0, cell.centre.1)?;
    let cm = central_meridian(cell.zone);
    let band = band.unwrap_or_else(|| latitude_band(lat_c));
    let lon_range = zone_lon_range(cell.zone, band).map(|(w, e)| (w - cm, e - cm));
    let u_c = lon_offset(cm, lon_c);
    let in_lat = lat_c >= lat_range.0 && lat_c < lat_range.1;
    let in_lon = lon_range.is_none_or(|(w, e)| u_c >= w && u_c < e);
    let centre = Fit { lat: lat_c, lon: lon_c, in_lat };
    if in_lat && in_lon {
        return Some(centre);
    }
    let at = |(u, v): (f64, f64)| Fit { lat: v, lon: normalise_lon(cm + u), in_lat: true };
    let Some(poly) = cell_polygon(cell, cm) else {
        return Some(centre);
    };
    let within_lat = clip(&clip(&poly, 1, lat_range.0, true), 1, lat_range.1, false);
    let lat_ok = centroid(&within_lat).is_some();
    // Latitudes the cell misses entirely are not enforced.
    let region = if lat_ok {
        within_lat
    } else if in_lon {
        return Some(centre);
    } else {
        poly
    };
    if let Some((w, e)) = lon_range {
        if let Some(c) = centroid(&clip(&clip(&region, 0, w, true), 0, e, false)) {
            return Some(Fit { in_lat: lat_ok, ..at(c) });
        }
    }
    if in_lat || !lat_ok {
        Some(centre)
    } else {
        Some(centroid(&region).map_or(centre, at))
    }
}

/// The cell's outline in (longitude offset from the central meridian, latitude), 8 points per side.
fn cell_polygon(cell: &Cell, cm: f64) -> Option<Vec<(f64, f64)>> {
    const N: u32 = 8;
    let (x0, x1) = cell.x;
    let (y0, y1) = cell.y;
    let mut pts = Vec::with_capacity(4 * N as usize);
    for k in 0..N {
        let t = f64::from(k) / f64::from(N);
        pts.push((x0 + (x1 - x0) * t, y0));
    }
    for k in 0..N {
        let t = f64::from(k) / f64::from(N);
        pts.push((x1, y0 + (y1 - y0) * t));
    }
    for k in 0..N {
        let t = f64::from(k) / f64::from(N);
        pts.push((x1 - (x1 - x0) * t, y1));
    }
    for k in 0..N {
        let t = f64::from(k) / f64::from(N);
        pts.push((x0, y1 - (y1 - y0) * t));
    }
    pts.into_iter()
        .map(|(x, y)| unproject(cell.zone, cell.northern, x, y).map(|(lat, lon)| (lon_offset(cm, lon), lat)))
        .collect()
}

/// Sutherland–Hodgman: the part of `poly` where coordinate `axis` is ≥ `bound` (`keep_above`) or ≤.
fn clip(poly: &[(f64, f64)], axis: usize, bound: f64, keep_above: bool) -> Vec<(f64, f64)> {
    let coord = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
    let inside = |p: (f64, f64)| if keep_above { coord(p) >= bound } else { coord(p) <= bound };
    let mut out = Vec::with_capacity(poly.len() + 4);
    for (i, &cur) in poly.iter().enumerate() {
        let prev = poly[(i + poly.len() - 1) % poly.len()];
        if inside(cur) != inside(prev) {
            let t = (bound - coord(prev)) / (coord(cur) - coord(prev));
            let mut p = (prev.0 + t * (cur.0 - prev.0), prev.1 + t * (cur.1 - prev.1));
            if axis == 0 {
                p.0 = bound;
            } else {
                p.1 = bound;
            }
            out.push(p);
        }
        if inside(cur) {
            out.push(cur);
        }
    }
    out
}

/// Area centroid of a simple polygon, or `None` when it has no area.
fn centroid(poly: &[(f64, f64)]) -> Option<(f64, f64)> {
    let (&o, _) = poly.split_first()?;
    let n = poly.len();
    if n < 3 {
        return None;
    }
    let (mut a2, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let p = (poly[i].0 - o.0, poly[i].1 - o.1);
        let q = (poly[(i + 1) % n].0 - o.0, poly[(i + 1) % n].1 - o.1);
        let cross = p.0 * q.1 - q.0 * p.1;
        a2 += cross;
        cx += (p.0 + q.0) * cross;
        cy += (p.1 + q.1) * cross;
    }
    if a2 == 0.0 || !a2.is_finite() {
        return None;
    }
    Some((o.0 + cx / (3.0 * a2), o.1 + cy / (3.0 * a2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_geographiclib() {
        assert_eq!(latitude_band(39.9), 4);
        assert_eq!(band_letter(latitude_band(39.9)), 'S');
        assert_eq!(band_letter(latitude_band(40.0)), 'T');
        assert_eq!(band_letter(latitude_band(-80.0)), 'C');
        assert_eq!(band_letter(latitude_band(83.9)), 'X');
        assert_eq!(band_letter(latitude_band(-0.1)), 'M');
        assert_eq!(band_letter(band_of(-0.0, false)), 'M');
        assert_eq!(band_index('t'), Some(5));
        assert_eq!(band_index('I'), None);
        assert_eq!(describe_band(5), "40°N to 48°N");
        assert_eq!(describe_band(-1), "8°S to 0°N");
    }

    #[test]
    fn exceptions() {
        assert_eq!(zone_lon_range(38, 5), Some((42.0, 48.0)));
        assert_eq!(zone_lon_range(32, 7), Some((3.0, 12.0)));
        assert_eq!(zone_lon_range(34, 9), None);
        assert_eq!(zone_region(34).len(), 19);
        assert_eq!(lon_offset(177.0, -179.0), 4.0);
        assert_eq!(lon_offset(-177.0, 179.0), -4.0);
    }

    #[test]
    fn clipping_and_centroid() {
        let square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        let left = clip(&square, 0, 1.0, false);
        assert_eq!(centroid(&left), Some((0.5, 1.0)));
        assert!(centroid(&clip(&square, 1, 3.0, true)).is_none());
    }
}
