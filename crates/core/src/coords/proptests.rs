//! Property tests: writing is the exact inverse of reading at every precision of every notation, every
//! usual spelling reads the same, and no text makes the reader panic.
//!
//! Positions are drawn uniformly and also close to the edges that matter (UTM zone meridians, latitude
//! band parallels, the Norway and Svalbard exceptions, the equator, the antimeridian), at offsets from
//! nanodegrees to a tenth of a degree so that cells of every size straddle them.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// `cases` per property, or `PROPTEST_CASES` from the environment for a longer run.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig {
        cases,
        // Failures are shrunk and printed; no regression files are written into the source tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

fn offset() -> impl Strategy<Value = f64> {
    prop_oneof![-1e-9..1e-9, -1e-6..1e-6, -1e-3..1e-3, -0.1..0.1]
}

/// Latitudes UTM covers, uniform or near a band edge.
fn utm_lat() -> impl Strategy<Value = f64> {
    prop_oneof![
        -80.0..84.0,
        (-10i32..=10, offset()).prop_map(|(b, d)| (8.0 * f64::from(b) + d).clamp(-80.0, 83.999_999_999)),
    ]
}

/// Longitudes, uniform or near a multiple of 3° (zone meridians and the exceptions' edges).
fn lon() -> impl Strategy<Value = f64> {
    prop_oneof![
        -180.0..180.0,
        (-60i32..=60, offset()).prop_map(|(k, d)| {
            let l = 3.0 * f64::from(k) + d;
            if l >= 180.0 {
                l - 360.0
            } else if l < -180.0 {
                l + 360.0
            } else {
                l
            }
        }),
    ]
}

fn utm_position() -> impl Strategy<Value = Position> {
    (utm_lat(), lon()).prop_filter_map("valid", |(lat, lon)| Position::new(lat, lon).ok())
}

fn any_position() -> impl Strategy<Value = Position> {
    let lat = prop_oneof![-90.0..=90.0, (-90i32..=90, offset()).prop_map(|(k, d)| f64::from(k) + d)];
    let lon = prop_oneof![-180.0..=180.0, (-180i32..=180, offset()).prop_map(|(k, d)| f64::from(k) + d)];
    (lat, lon).prop_filter_map("valid", |(lat, lon)| Position::new(lat, lon).ok())
}

/// A formatting result as a test result.
fn ok<T>(r: Result<T, CoordError>) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Normalising what was read, reading that, and normalising again gives the same text.
fn normalises_stably(s: &str) -> Result<(), TestCaseError> {
    if let Ok(p) = parse_position(s) {
        let n = ok(p.normalised())?;
        let again = ok(read(&n)?.normalised())?;
        prop_assert_eq!(again, n, "from {:?}", s);
    }
    Ok(())
}

fn read(s: &str) -> Result<Parsed, TestCaseError> {
    parse_position(s).map_err(|e| TestCaseError::fail(format!("{s:?} did not parse: {e}")))
}

/// Rewrites a canonical sexagesimal string (`39°45'36.2"N 46°45'00.0"E`) in another spelling.
fn respell(canonical: &str, marks: u8, hemisphere: u8, lon_first: bool, separator: &str) -> String {
    let comps: Vec<String> = canonical
        .split(' ')
        .map(|c| {
            let (body, letter) = c.split_at(c.len() - 1);
            let body = match marks {
                0 => body.to_string(),
                1 => body.replace('\'', "′").replace('"', "″"),
                2 => body.replace('°', "d").replace('\'', "m").replace('"', "s"),
                3 => body.replace(['°', '\'', '"'], " ").trim().to_string(),
                4 => body.replace(['°', '\''], ":").replace('"', "").trim_end_matches(':').to_string(),
                _ => body.replace('\'', "’").replace('"', "''").replace('°', "º"),
            };
            match hemisphere {
                0 => format!("{body}{letter}"),
                1 => format!("{letter}{body}"),
                2 => format!("{body} {letter}"),
                _ => match letter {
                    "S" | "W" => format!("-{body}"),
                    _ => body,
                },
            }
        })
        .collect();
    // Without letters the latitude must come first.
    if lon_first && hemisphere < 3 {
        format!("{}{separator}{}", comps[1], comps[0])
    } else {
        format!("{}{separator}{}", comps[0], comps[1])
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn decimal_degrees_round_trip(p in any_position(), d in 0u8..=MAX_DD_DECIMALS) {
        let s = format_dd(p, d);
        let q = read(&s)?;
        prop_assert_eq!(q.notation, Notation::DecimalDegrees { decimals: d });
        prop_assert_eq!(format_dd(q.position, d), s);
    }

    #[test]
    fn dms_round_trip(p in any_position(), d in 0u8..=MAX_DMS_DECIMALS) {
        let s = format_dms(p, d);
        let q = read(&s)?;
        prop_assert_eq!(q.notation, Notation::DegreesMinutesSeconds { decimals: d });
        prop_assert_eq!(format_dms(q.position, d), s);
    }

    #[test]
    fn ddm_round_trip(p in any_position(), d in 0u8..=MAX_DDM_DECIMALS) {
        let s = format_ddm(p, d);
        let q = read(&s)?;
        prop_assert_eq!(q.notation, Notation::DegreesDecimalMinutes { decimals: d });
        prop_assert_eq!(format_ddm(q.position, d), s);
    }

    #[test]
    fn utm_round_trip(p in utm_position(), d in 0u8..=MAX_UTM_DECIMALS) {
        let s = ok(format_utm(p, d))?;
        let q = read(&s)?;
        let Notation::Utm { decimals, designator: UtmDesignator::Band(_), .. } = q.notation else {
            return Err(TestCaseError::fail(format!("{s}: {:?}", q.notation)));
        };
        prop_assert_eq!(decimals, d);
        prop_assert_eq!(ok(format_utm(q.position, d))?, s);
    }

    #[test]
    fn mgrs_round_trip(p in utm_position(), digits in 1u8..=MAX_MGRS_DIGITS) {
        let s = ok(format_mgrs(p, digits))?;
        let q = read(&s)?;
        let Notation::Mgrs { digits: got, .. } = q.notation else {
            return Err(TestCaseError::fail(format!("{s}: {:?}", q.notation)));
        };
        prop_assert_eq!(got, digits);
        prop_assert_eq!(ok(format_mgrs(q.position, digits))?, s);
    }

    #[test]
    fn sexagesimal_spellings_read_the_same(
        p in any_position(),
        d in 0u8..=3,
        seconds in any::<bool>(),
        marks in 0u8..=5,
        hemisphere in 0u8..=3,
        lon_first in any::<bool>(),
        separator in prop_oneof![Just(" "), Just(", "), Just(" , "), Just("; "), Just(" / "), Just("  ")],
    ) {
        let canonical = if seconds { format_dms(p, d) } else { format_ddm(p, d) };
        let s = respell(&canonical, marks, hemisphere, lon_first, separator);
        let q = read(&s)?;
        let again = if seconds { format_dms(q.position, d) } else { format_ddm(q.position, d) };
        prop_assert_eq!(again, canonical, "read {:?}", s);
        prop_assert_eq!(q.lon_first, lon_first && hemisphere < 3);
    }

    #[test]
    fn decimal_degree_spellings_read_the_same(
        p in any_position(),
        d in 0u8..=8,
        style in 0u8..=4,
        lon_first in any::<bool>(),
    ) {
        let canonical = format_dd(p, d);
        let digits = usize::from(d);
        let (lat, lon) = (format!("{:.digits$}", p.lat().abs()), format!("{:.digits$}", p.lon().abs()));
        let ns = if p.lat().is_sign_negative() { 'S' } else { 'N' };
        let ew = if p.lon().is_sign_negative() { 'W' } else { 'E' };
        let (a, b) = match style {
            0 => (format!("{lat}{ns}"), format!("{lon}{ew}")),
            1 => (format!("{ns}{lat}"), format!("{ew}{lon}")),
            2 => (format!("{lat}°{ns}"), format!("{lon}°{ew}")),
            3 => (format!("{ns} {lat}"), format!("{ew} {lon}")),
            _ => (format!("{lat} {ns}"), format!("{lon} {ew}")),
        };
        let s = if lon_first { format!("{b} {a}") } else { format!("{a} {b}") };
        let q = read(&s)?;
        prop_assert_eq!(format_dd(q.position, d), canonical.clone(), "read {:?}", s);
        prop_assert_eq!(q.lon_first, lon_first);
        let comma = canonical.replace(", ", "; ").replace('.', ",");
        let q = read(&comma)?;
        prop_assert_eq!(format_dd(q.position, d), canonical, "read {:?}", comma);
    }

    #[test]
    fn utm_and_mgrs_spellings_read_the_same(
        p in utm_position(),
        d in 0u8..=2,
        digits in 1u8..=5,
        style in 0u8..=3,
    ) {
        let utm = ok(format_utm(p, d))?;
        let (zone_band, numbers) = utm.split_once(' ').unwrap_or_default();
        let (e, n) = numbers.split_once(' ').unwrap_or_default();
        let spelled = match style {
            0 => format!("{} {} {e} {n}", &zone_band[..2], &zone_band[2..]),
            1 => format!("{} {e}mE {n}mN", zone_band.to_lowercase()),
            2 => format!("{zone_band}, {e}, {n}"),
            _ => format!("{zone_band} {e}E {n}N"),
        };
        prop_assert_eq!(ok(format_utm(read(&spelled)?.position, d))?, utm.clone());

        // The hemisphere instead of the band: the same metres, so the same point within the cell.
        let hemisphere = if zone_band.as_bytes()[2] >= b'N' { "north" } else { "south" };
        let hemi = format!("{}{hemisphere} {e} {n}", &zone_band[..2]);
        let q = read(&hemi)?;
        let cell = 1.5 * 10f64.powi(-i32::from(d));
        let moved = crate::area::distance(p.lat(), p.lon(), q.position.lat(), q.position.lon());
        prop_assert!(moved <= cell, "{}: {} m", hemi, moved);

        let mgrs = ok(format_mgrs(p, digits))?;
        let k = usize::from(digits);
        let spaced = format!("{} {} {} {}", &mgrs[..3], &mgrs[3..5], &mgrs[5..5 + k], &mgrs[5 + k..]);
        let spelled = match style {
            0 => spaced,
            1 => mgrs.to_lowercase(),
            2 => format!("{} {}", &mgrs[..5], &mgrs[5..]),
            _ => format!("{} {} {}", &mgrs[..2], &mgrs[2..3], &mgrs[3..]),
        };
        prop_assert_eq!(ok(format_mgrs(read(&spelled)?.position, digits))?, mgrs);
    }
}

proptest! {
    #![proptest_config(config(5000))]

    /// Any text at all: an answer or an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,48}") {
        let _ = parse_position(&s);
        let _ = parse_lat_lon(&s, &s);
    }

    /// Text made of the characters coordinates are made of, where the parser's corners are. Whatever
    /// reads, reads again the same once normalised.
    #[test]
    fn coordinate_like_text_never_panics(s in "[0-9NSEWnsewdmDMTtKkQqXxCcVvAZIO°º'\"′″:.,;/ +-]{0,32}") {
        normalises_stably(&s)?;
    }

    /// Shapes close to UTM and MGRS with random digits and letters.
    #[test]
    fn grid_like_text_never_panics(
        zone in 0u32..=99,
        letters in "[A-Za-z]{0,4}",
        a in "[0-9]{0,8}",
        b in "[0-9. ]{0,9}",
    ) {
        for s in [
            format!("{zone}{letters}{a}{b}"),
            format!("{zone}{letters} {a} {b}"),
            format!("{zone} {letters} {a}"),
        ] {
            normalises_stably(&s)?;
        }
    }
}
