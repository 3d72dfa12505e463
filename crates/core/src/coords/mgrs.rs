//! MGRS, the military grid reference system most deminers use: `38TNK1234567890` — UTM zone, latitude
//! band, 100 km square (column and row letters), then as many easting digits as northing digits (1 to 5
//! each: 10 km to 1 m squares).
//!
//! The lettering is a port of GeographicLib's `MGRS` class (C. Karney, MIT licence): the same letter
//! tables, the same row disambiguation by latitude band (`UTMRow`), the same edge handling
//! (`CheckCoords`) and the same truncation of the digits. The projection underneath is UTM (`utm.rs`).
//! Polar MGRS (UPS, bands A, B, Y, Z) is not supported.

use super::grid_zone::{band_index, band_lat_range, band_letter, band_of, fit, Cell, Fit};
use super::{check_precision, to_utm, CoordError, Notation, Parsed, Position, MAX_MGRS_DIGITS};

const TILE: i64 = 100_000;
const UTM_COLS: [&str; 3] = ["ABCDEFGH", "JKLMNPQR", "STUVWXYZ"];
const UTM_ROW: &str = "ABCDEFGHJKLMNPQRSTUV";
const UTM_ROW_PERIOD: i32 = 20;
const UTM_EVEN_ROW_SHIFT: i32 = 5;
const MIN_UTM_COL: i64 = 1;
const MAX_UTM_COL: i64 = 9;
const MIN_UTM_S_ROW: i64 = 10;
const MAX_UTM_S_ROW: i64 = 100;
const MIN_UTM_N_ROW: i64 = 0;
const MAX_UTM_N_ROW: i64 = 95;
/// The southern hemisphere's false northing.
const UTM_N_SHIFT: f64 = ((MAX_UTM_S_ROW - MIN_UTM_N_ROW) * TILE) as f64;
/// Digits are computed to the micrometre (GeographicLib's `mult_`: 11 digits per coordinate).
const MULT: f64 = 1_000_000.0;
const MAX_PREC: u32 = 11;

/// GeographicLib's `MGRS::UTMRow`: the true row index (from the equator) of periodic row `row` in
/// column `col` of band `band`, or `MAX_UTM_S_ROW` (100) when the row cannot occur in that band.
fn utm_row(band: i32, col: i32, row: i32) -> i32 {
    let c = 100.0 * f64::from(8 * band + 4) / 90.0;
    let north = if band >= 0 { 0.1 } else { 0.0 };
    // Safe bounds on the rows of each band; see the table in GeographicLib's MGRS.cpp.
    let min_row = if band > -10 { (c - 4.3 - north).floor() as i32 } else { -90 };
    let max_row = if band < 9 { (c + 4.4 - north).floor() as i32 } else { 94 };
    let base_row = (min_row + max_row) / 2 - UTM_ROW_PERIOD / 2;
    // Bring the row to the period closest to the band's centre (adding 100 keeps the operand positive).
    let mut row = (row - base_row + 100) % UTM_ROW_PERIOD + base_row;
    if row < min_row || row > max_row {
        // Northings 7100 km and 8000 km cross band edges in some columns.
        let s_band = if band >= 0 { band } else { -band - 1 };
        let s_row = if row >= 0 { row } else { -row - 1 };
        let s_col = if col < 4 { col } else { -col + 7 };
        let allowed = (s_row == 70 && s_band == 8 && s_col >= 2)
            || (s_row == 71 && s_band == 7 && s_col <= 2)
            || (s_row == 79 && s_band == 9 && s_col >= 1)
            || (s_row == 80 && s_band == 8 && s_col <= 1);
        if !allowed {
            row = 100;
        }
    }
    row
}

/// GeographicLib's `MGRS::CheckCoords` for UTM: MGRS limits (eastings 100–900 km, northings to 9500 km
/// north and from 1000 km south), nudging coordinates exactly on the open upper edges, and folding the
/// northing into the right hemisphere. Returns the (possibly new) hemisphere and coordinates.
fn check_coords(northern: bool, x: f64, y: f64) -> Option<(bool, f64, f64)> {
    // The smallest length such that 1.0e7 - EPS < 1.0e7 (2^-28 m).
    const EPS: f64 = 1.0 / 268_435_456.0;
    let tile = TILE as f64;
    let (mut x, mut y) = (x, y);
    let ix = (x / tile).floor();
    let iy = (y / tile).floor();
    let (min_y, max_y) = if northern {
        (MIN_UTM_S_ROW - (MAX_UTM_S_ROW - MIN_UTM_N_ROW), MAX_UTM_N_ROW)
    } else {
        (MIN_UTM_S_ROW, MAX_UTM_N_ROW + (MAX_UTM_S_ROW - MIN_UTM_N_ROW))
    };
    let (min_x, max_x) = (MIN_UTM_COL as f64, MAX_UTM_COL as f64);
    if !(ix >= min_x && ix < max_x) {
        if ix == max_x && x == max_x * tile {
            x -= EPS;
        } else {
            return None;
        }
    }
    let (min_y, max_y) = (min_y as f64, max_y as f64);
    if !(iy >= min_y && iy < max_y) {
        if iy == max_y && y == max_y * tile {
            y -= EPS;
        } else {
            return None;
        }
    }
    let mut northern = northern;
    if northern && iy < MIN_UTM_N_ROW as f64 {
        northern = false;
        y += UTM_N_SHIFT;
    } else if !northern && iy >= MAX_UTM_S_ROW as f64 {
        if y == MAX_UTM_S_ROW as f64 * tile {
            // On the equator: keep the southern hemisphere.
            y -= EPS;
        } else {
            northern = true;
            y -= UTM_N_SHIFT;
        }
    }
    Some((northern, x, y))
}

fn letter_at(set: &str, index: i64) -> Option<char> {
    usize::try_from(index).ok().and_then(|i| set.as_bytes().get(i)).map(|&b| char::from(b))
}

/// Writes a position as MGRS with `digits` digit pairs (1: 10 km … 5: 1 m), compact and upper case:
/// `38TNK1234567890`. The digits are truncated, not rounded (the reference is the south-west corner of
/// the square that contains the position), exactly as `GeoConvert -m` writes them.
///
/// ```
/// use safeground_core::coords::{format_mgrs, parse_position, Position};
/// let p = Position::new(39.760_055_6, 46.75).unwrap();
/// assert_eq!(format_mgrs(p, 5).unwrap(), "38SPK4990502590");
/// assert_eq!(format_mgrs(p, 2).unwrap(), "38SPK4902");
/// let square = parse_position("38SPK4902").unwrap(); // the centre of that 1 km square
/// assert_eq!(format_mgrs(square.position, 2).unwrap(), "38SPK4902");
/// ```
///
/// # Errors
/// [`CoordError::Precision`] for digits outside 1 to 5; [`CoordError::OutsideUtm`] outside 80°S to 84°N.
pub fn format_mgrs(position: Position, digits: u8) -> Result<String, CoordError> {
    check_precision("MGRS", "digit pairs", digits, 1, MAX_MGRS_DIGITS)?;
    let utm = to_utm(position)?;
    let outside = || CoordError::OutsideUtm { position: super::format_dd(position, 6) };
    let (northern, x, y) = check_coords(utm.northern, utm.easting, utm.northing).ok_or_else(outside)?;
    // Both are below 2e13 after the check: exact in i64.
    let ix = (x * MULT).floor() as i64;
    let iy = (y * MULT).floor() as i64;
    let m = MULT as i64 * TILE;
    let (xh, yh) = (ix / m, iy / m);
    let band = band_of(position.lat(), northern);
    let col = xh - MIN_UTM_COL;
    let row = i32::try_from(yh % i64::from(UTM_ROW_PERIOD)).ok().ok_or_else(outside)?;
    let true_row = utm_row(band, i32::try_from(col).ok().ok_or_else(outside)?, row);
    if i64::from(true_row) != yh - if northern { MIN_UTM_N_ROW } else { MAX_UTM_S_ROW } {
        return Err(outside());
    }
    let zone_m1 = i64::from(utm.zone) - 1;
    let shift = if zone_m1 % 2 == 1 { i64::from(UTM_EVEN_ROW_SHIFT) } else { 0 };
    let cols = UTM_COLS[usize::try_from(zone_m1 % 3).unwrap_or(0)];
    let col_letter = letter_at(cols, col).ok_or_else(outside)?;
    let row_letter = letter_at(UTM_ROW, (yh + shift) % i64::from(UTM_ROW_PERIOD)).ok_or_else(outside)?;
    let p = usize::from(digits);
    let d = 10_i64.pow(MAX_PREC - u32::from(digits));
    let (ex, ny) = ((ix - m * xh) / d, (iy - m * yh) / d);
    Ok(format!("{:02}{}{}{}{ex:0p$}{ny:0p$}", utm.zone, band_letter(band), col_letter, row_letter))
}

/// Reads MGRS when the text has its shape (zone digits, then two or three letters, then digits; blanks
/// anywhere); `None` when it does not look like MGRS at all.
pub(crate) fn try_parse(s: &str) -> Option<Result<Parsed, CoordError>> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let b = compact.as_bytes();
    let zone_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let letters = b[zone_len..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &b[zone_len + letters..];
    let digits_only = rest.iter().all(u8::is_ascii_digit);
    let first_letter = b.get(zone_len).map(|&c| char::from(c).to_ascii_uppercase());
    let shaped = match (zone_len, letters) {
        (1..=3, 2 | 3) => digits_only,
        // A grid zone alone ("38T"), but not a coordinate with a hemisphere or unit letter ("39N").
        (1 | 2, 1) => rest.is_empty() && !matches!(first_letter, Some('N' | 'S' | 'E' | 'W' | 'D' | 'M')),
        (0, 3) => digits_only && matches!(first_letter, Some('A' | 'B' | 'Y' | 'Z')),
        _ => false,
    };
    if !shaped {
        return None;
    }
    if zone_len == 0 {
        return Some(Err(CoordError::PolarNotSupported { input: s.to_string() }));
    }
    Some(parse(s, &compact.to_ascii_uppercase(), zone_len, letters))
}

fn parse(input: &str, compact: &str, zone_len: usize, letters: usize) -> Result<Parsed, CoordError> {
    let b = compact.as_bytes();
    let zone_number: u32 = compact[..zone_len].parse().unwrap_or(u32::MAX);
    let zone = u8::try_from(zone_number)
        .ok()
        .filter(|z| (1..=60).contains(z))
        .ok_or_else(|| CoordError::Zone { input: input.to_string(), zone: zone_number })?;
    let band_char = char::from(b[zone_len]);
    let Some(band) = band_index(band_char) else {
        return Err(if matches!(band_char, 'A' | 'B' | 'Y' | 'Z') {
            CoordError::PolarNotSupported { input: input.to_string() }
        } else {
            CoordError::MgrsBand { input: input.to_string(), letter: band_char }
        });
    };
    match letters {
        1 => return Err(CoordError::MgrsIncomplete { input: input.to_string(), what: "a grid zone" }),
        2 => {
            return Err(CoordError::MgrsIncomplete {
                input: input.to_string(),
                what: "a grid zone and a column letter (the row letter is missing)",
            })
        }
        _ => {}
    }
    let zone_m1 = i32::from(zone) - 1;
    let cols = UTM_COLS[usize::try_from(zone_m1 % 3).unwrap_or(0)];
    let col_char = char::from(b[zone_len + 1]);
    let row_char = char::from(b[zone_len + 2]);
    let col = cols.find(col_char).ok_or(CoordError::MgrsColumn {
        input: input.to_string(),
        letter: col_char,
        zone,
        expected: cols,
    })?;
    let row =
        UTM_ROW.find(row_char).ok_or(CoordError::MgrsRow { input: input.to_string(), letter: row_char })?;
    // Both indices are below 20.
    let (col, mut row) = (col as i32, row as i32);
    if zone_m1 % 2 == 1 {
        row = (row + UTM_ROW_PERIOD - UTM_EVEN_ROW_SHIFT) % UTM_ROW_PERIOD;
    }
    let true_row = utm_row(band, col, row);
    if true_row == 100 {
        return Err(CoordError::MgrsSquareNotInZone {
            input: input.to_string(),
            square: format!("{col_char}{row_char}"),
            zone,
            band: band_char,
        });
    }
    let northern = band >= 0;
    let row_total = i64::from(if northern { true_row } else { true_row + 100 });
    let col_total = i64::from(col) + MIN_UTM_COL;

    let digits_start = zone_len + letters;
    let digits = &compact[digits_start..];
    check_digit_groups(input, digits, digits_start)?;
    let pairs = digits.len() / 2;
    let (mut x1, mut y1) = (col_total, row_total);
    for (e, n) in digits[..pairs].bytes().zip(digits[pairs..].bytes()) {
        x1 = 10 * x1 + i64::from(e - b'0');
        y1 = 10 * y1 + i64::from(n - b'0');
    }
    // At most 5 pairs: x1 < 1e7, exact in f64.
    let unit = 10_i64.pow(u32::try_from(pairs).unwrap_or(0)) as f64;
    let tile = TILE as f64;
    let (fx, fy) = (x1 as f64, y1 as f64);
    let cell = Cell {
        zone,
        northern,
        x: (tile * fx / unit, tile * (fx + 1.0) / unit),
        y: (tile * fy / unit, tile * (fy + 1.0) / unit),
        // GeographicLib's centre: (tile * (2 x + 1)) / (2 unit).
        centre: (tile * (2.0 * fx + 1.0) / (2.0 * unit), tile * (2.0 * fy + 1.0) / (2.0 * unit)),
    };
    let outside = || CoordError::OutsideUtm { position: format!("'{input}'") };
    // A band letter that does not match the square is accepted, as GeographicLib does, when the square
    // letters occur in that band (checked above); `check` flags it.
    let Fit { lat, lon, .. } = fit(&cell, band_lat_range(band), Some(band)).ok_or_else(outside)?;
    if !super::utm::in_utm_latitudes(lat) {
        return Err(outside());
    }
    Ok(Parsed {
        position: Position::new(lat, lon)?,
        notation: Notation::Mgrs {
            zone,
            band: band_char,
            digits: u8::try_from(pairs).unwrap_or(MAX_MGRS_DIGITS),
        },
        lon_first: false,
    })
}

/// The digits must pair up: an even count, at most 5 pairs, and if written as two groups, two groups of
/// the same length (`12345 67890`, not `1234 567890`).
fn check_digit_groups(input: &str, digits: &str, digits_start: usize) -> Result<(), CoordError> {
    let problem = |p: String| CoordError::MgrsDigits { input: input.to_string(), problem: p };
    if digits.is_empty() {
        return Err(CoordError::MgrsIncomplete { input: input.to_string(), what: "a 100 km square" });
    }
    if digits.len() % 2 == 1 {
        return Err(problem(format!(
            "has {} digits: expected an even number, the easting digits followed by as many northing digits",
            digits.len()
        )));
    }
    if digits.len() / 2 > usize::from(MAX_MGRS_DIGITS) {
        return Err(problem(format!(
            "has {} digits: at most 10 are read (5 for the easting, 5 for the northing: 1 m)",
            digits.len()
        )));
    }
    // Where the blanks fall inside the digits, in positions of the compact text.
    let mut breaks = Vec::new();
    let mut k = 0;
    let mut after_blank = false;
    for c in input.trim().chars() {
        if c.is_whitespace() {
            after_blank = true;
            continue;
        }
        if after_blank && k > digits_start && k < digits_start + digits.len() {
            breaks.push(k - digits_start);
        }
        after_blank = false;
        k += 1;
    }
    match breaks.as_slice() {
        [] => Ok(()),
        [at] if *at == digits.len() / 2 => Ok(()),
        [at] => Err(problem(format!(
            "has a {}-digit easting and a {}-digit northing: both must have the same number of digits",
            at,
            digits.len() - at
        ))),
        _ => Err(problem(
            "splits its digits into more than two groups: write the easting and the northing, \
             each as one group"
                .to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_position;
    use super::*;

    #[test]
    fn spellings_and_precisions() {
        let p = Position::new(40.361_490_239, 45.145_398_732).unwrap();
        assert_eq!(format_mgrs(p, 5).unwrap(), "38TNK1234567890");
        for s in [
            "38TNK1234567890",
            "38T NK 12345 67890",
            "38TNK 12345 67890",
            "38 T NK 1234567890",
            "38tnk1234567890",
        ] {
            let parsed = parse_position(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(parsed.notation, Notation::Mgrs { zone: 38, band: 'T', digits: 5 }, "{s}");
            assert_eq!(format_mgrs(parsed.position, 5).unwrap(), "38TNK1234567890");
        }
        let expected = ["38TNK16", "38TNK1267", "38TNK123678", "38TNK12346789", "38TNK1234567890"];
        for (k, want) in expected.iter().enumerate() {
            let digits = u8::try_from(k + 1).unwrap();
            assert_eq!(format_mgrs(p, digits).unwrap(), *want);
            let back = parse_position(want).unwrap();
            assert_eq!(back.notation.precision(), digits);
            assert_eq!(format_mgrs(back.position, digits).unwrap(), *want);
        }
    }

    #[test]
    fn errors() {
        let msg = |s: &str| parse_position(s).unwrap_err().to_string();
        assert!(msg("38TNK123456789").contains("9 digits: expected an even number"));
        assert!(msg("38TNK 1234 567890").contains("4-digit easting and a 6-digit northing"));
        assert!(msg("38TNK123456123456").contains("at most 10"));
        assert!(msg("38TNK").contains("names only a 100 km square"));
        assert!(msg("38T").contains("names only a grid zone"));
        assert!(msg("61TNK12").contains("zone number must be 1 to 60"));
        assert!(msg("38INK12").contains("not a latitude band letter"));
        assert!(msg("38TAK12").contains("not a 100 km column letter of zone 38: expected one of JKLMNPQR"));
        assert!(msg("38TNW12").contains("not a 100 km row letter"));
        assert!(msg("38CNK12").contains("does not occur in grid zone 38C"), "{}", msg("38CNK12"));
        assert!(msg("ZAH1234").contains("polar"));
        assert!(msg("38TNK 12 34 56").contains("more than two groups"));
    }

    #[test]
    fn row_letters_follow_geographiclib() {
        // GeographicLib's own UTMRow special cases at the 71e5 and 80e5 northings.
        assert_eq!(utm_row(8, 2, 10), 70);
        assert_eq!(utm_row(7, 2, 11), 71);
        assert_eq!(utm_row(5, 0, 4), 44);
        assert_eq!(utm_row(5, 0, 15), 100);
    }
}
