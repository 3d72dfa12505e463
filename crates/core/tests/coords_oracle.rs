//! Coordinate notations against GeographicLib's `GeoConvert`, an oracle no one here wrote.
//!
//! The fixture `fixtures/geoconvert.tsv` was produced by `fixtures/geoconvert.sh` (GeoConvert from
//! Debian's geographiclib-tools; version and commands are in both files). Each line is
//! `options <TAB> input <TAB> output`, i.e. `echo input | GeoConvert options` printed `output`:
//! - forward, from 445 positions across Azerbaijan and Ukraine (plus zone, band and hemisphere edges):
//!   UTM to 1 m and 1 mm, MGRS with 1 to 5 digit pairs, degrees and decimal minutes with 0 and 1
//!   decimals, degrees-minutes-seconds with 0, 1 and 2 decimals. Ours must print the same digits.
//! - reverse (`-g -p 4`, decimal degrees to 9 decimals) of every forward output. Ours must agree within
//!   half a unit of the 9th decimal — except where a UTM/MGRS cell straddles the edge of the grid zone
//!   it was written in: GeoConvert returns the centre of the whole cell, we return the centre of the
//!   part inside the grid zone (see `coords::grid_zone`); there ours must lie in that same cell and
//!   grid zone, i.e. write back to the same text.

use safeground_core::area::distance;
use safeground_core::coords::{
    format_ddm, format_dms, format_mgrs, format_utm, from_utm, parse_position, Notation, Position,
};
use std::collections::{BTreeMap, BTreeSet};

const FIXTURE: &str = include_str!("fixtures/geoconvert.tsv");

struct Line<'a> {
    options: &'a str,
    input: &'a str,
    output: &'a str,
}

fn lines() -> Vec<Line<'static>> {
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let (Some(options), Some(input), Some(output), None) = (f.next(), f.next(), f.next(), f.next())
            else {
                panic!("malformed fixture line: {l:?}");
            };
            Line { options, input, output }
        })
        .collect()
}

fn lat_lon(s: &str) -> Position {
    let mut it = s.split_whitespace().map(|v| v.parse::<f64>().expect("a number"));
    let (Some(lat), Some(lon)) = (it.next(), it.next()) else {
        panic!("not 'lat lon': {s:?}");
    };
    Position::new(lat, lon).expect("a valid position")
}

/// GeoConvert's `-p` for a notation → our precision.
fn precision(options: &str) -> i32 {
    options.rsplit(' ').next().and_then(|p| p.parse().ok()).expect("-p value")
}

/// `38S 649905 4402591` (ours, with band) → `38n 649905 4402591` (GeoConvert, with hemisphere).
fn utm_as_geoconvert(ours: &str) -> String {
    let (zone_band, rest) = ours.split_once(' ').expect("zone and numbers");
    let band = zone_band.chars().last().expect("band");
    let zone = &zone_band[..zone_band.len() - 1];
    format!("{zone}{} {rest}", if band >= 'N' { 'n' } else { 's' })
}

/// `39d45'36.2"N 046d45'00.0"E` (GeoConvert) → `39°45'36.2"N 46°45'00.0"E` (ours).
fn dms_as_ours(geoconvert: &str) -> String {
    geoconvert
        .split(' ')
        .map(|c| {
            let (deg, rest) = c.split_once('d').expect("degrees");
            let deg = deg.trim_start_matches('0');
            format!("{}°{rest}", if deg.is_empty() { "0" } else { deg })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn report(kind: &str, checked: usize, failures: &[String]) {
    assert!(checked > 0, "no {kind} lines in the fixture");
    assert!(
        failures.is_empty(),
        "{} of {checked} {kind} conversions disagree with GeoConvert, e.g.:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{kind}: {checked} conversions agree with GeoConvert");
}

#[test]
fn fixture_covers_a_few_hundred_positions() {
    let positions: BTreeSet<&str> =
        lines().iter().filter(|l| l.options != "-g -p 4").map(|l| l.input).collect();
    assert!(positions.len() >= 400, "{}", positions.len());
    eprintln!("{} positions", positions.len());
}

#[test]
fn utm_from_lat_lon_agrees_to_the_last_digit() {
    let (mut checked, mut failures) = (0, Vec::new());
    for l in lines().iter().filter(|l| l.options.starts_with("-u ")) {
        let decimals = u8::try_from(precision(l.options)).expect("0 or 3");
        let ours = format_utm(lat_lon(l.input), decimals).map(|s| utm_as_geoconvert(&s));
        if ours.as_deref() != Ok(l.output) {
            failures.push(format!("{} | {}: GeoConvert {:?}, ours {:?}", l.options, l.input, l.output, ours));
        }
        checked += 1;
    }
    report("lat/lon → UTM", checked, &failures);
}

#[test]
fn mgrs_from_lat_lon_agrees_at_every_precision() {
    let (mut checked, mut failures) = (0, Vec::new());
    for l in lines().iter().filter(|l| l.options.starts_with("-m ")) {
        let digits = u8::try_from(precision(l.options) + 5).expect("1 to 5 digit pairs");
        let ours = format_mgrs(lat_lon(l.input), digits);
        if ours.as_deref() != Ok(l.output) {
            failures.push(format!("{} | {}: GeoConvert {:?}, ours {:?}", l.options, l.input, l.output, ours));
        }
        checked += 1;
    }
    report("lat/lon → MGRS", checked, &failures);
}

#[test]
fn dms_and_ddm_from_lat_lon_agree_to_the_last_digit() {
    let (mut checked, mut failures) = (0, Vec::new());
    for l in lines().iter().filter(|l| l.options.starts_with("-d ")) {
        let p = lat_lon(l.input);
        // GeoConvert -d -p P: seconds with P+1 decimals from P = -1, minutes with P+3 decimals below.
        let prec = precision(l.options);
        let ours = if prec >= -1 {
            format_dms(p, u8::try_from(prec + 1).expect("decimals"))
        } else {
            format_ddm(p, u8::try_from(prec + 3).expect("decimals"))
        };
        let want = dms_as_ours(l.output);
        if ours != want {
            failures.push(format!("{} | {}: GeoConvert {want:?}, ours {ours:?}", l.options, l.input));
        }
        checked += 1;
    }
    report("lat/lon → DMS/DDM", checked, &failures);
}

/// The exact centre of a UTM cell written by GeoConvert (`38n 649905 4402591`), if it is in UTM's
/// latitudes.
fn utm_centre(input: &str) -> Option<Position> {
    let w: Vec<&str> = input.split_whitespace().collect();
    let [zh, e, n] = w.as_slice() else {
        panic!("not UTM: {input:?}");
    };
    let (zone, hemisphere) = zh.split_at(zh.len() - 1);
    from_utm(
        zone.parse().expect("zone"),
        hemisphere == "n",
        e.parse().expect("easting"),
        n.parse().expect("northing"),
    )
    .ok()
}

/// The written text again, from a position, in the notation and precision that `parsed` was read in.
fn rewrite(position: Position, notation: &Notation) -> String {
    match *notation {
        Notation::Utm { decimals, .. } => format_utm(position, decimals).map(|s| utm_as_geoconvert(&s)),
        Notation::Mgrs { digits, .. } => format_mgrs(position, digits),
        _ => Ok(String::new()),
    }
    .unwrap_or_default()
}

#[test]
fn lat_lon_from_utm_mgrs_dms_agrees_within_the_printed_precision() {
    let (mut checked, mut clipped, mut failures) = (0, BTreeMap::new(), Vec::new());
    // 9 decimals printed: half a unit of the last digit, plus floating-point noise.
    let tolerance = 0.5e-9 + 1e-12;
    for l in lines().iter().filter(|l| l.options == "-g -p 4") {
        checked += 1;
        let theirs = lat_lon(l.output);
        let parsed = match parse_position(l.input) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: GeoConvert {}, ours failed: {e}", l.input, l.output));
                continue;
            }
        };
        let ours = parsed.position;
        let agrees =
            (ours.lat() - theirs.lat()).abs() <= tolerance && (ours.lon() - theirs.lon()).abs() <= tolerance;
        if agrees {
            continue;
        }
        // The cell's centre outside the written grid zone: ours must be the same cell inside it. For UTM
        // the centre is the written numbers themselves (GeoConvert's 9 decimals cannot tell which side
        // of an edge it is on); for MGRS, GeoConvert's centre.
        let gridded = matches!(parsed.notation, Notation::Utm { .. } | Notation::Mgrs { .. });
        let centre = match parsed.notation {
            Notation::Utm { .. } => utm_centre(l.input),
            _ => Some(theirs),
        };
        let centre_written_back = centre.map(|c| rewrite(c, &parsed.notation)).unwrap_or_default();
        let ours_written_back = rewrite(ours, &parsed.notation);
        // Within the cell: half its diagonal from GeoConvert's centre (plus its 9-decimal rounding).
        let cell_m = match parsed.notation {
            Notation::Utm { decimals, .. } => 10f64.powi(-i32::from(decimals)),
            Notation::Mgrs { digits, .. } => 10f64.powi(5 - i32::from(digits)),
            _ => 0.0,
        };
        let near = distance(ours.lat(), ours.lon(), theirs.lat(), theirs.lon()) <= cell_m * 0.7072 + 1e-3;
        if gridded && near && centre_written_back != l.input && ours_written_back == l.input {
            *clipped.entry(parsed.notation.to_string()).or_insert(0) += 1;
            continue;
        }
        failures.push(format!(
            "{}: GeoConvert {}, ours {:.9} {:.9} (written back: the centre's {centre_written_back:?}, ours \
             {ours_written_back:?})",
            l.input,
            l.output,
            ours.lat(),
            ours.lon()
        ));
    }
    report("UTM/MGRS/DMS/DDM → lat/lon", checked, &failures);
    eprintln!("of which cells straddling their grid zone's edge (read as the part inside it): {clipped:?}");
}
