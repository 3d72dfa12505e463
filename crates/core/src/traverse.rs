//! Traverses: a hazard polygon from a benchmark, a start point and turning
//! points, each given as coordinates (any notation [`crate::coords`] reads) or
//! as a bearing and distance from the point before — the way deminers record
//! the ground they walk (see "How the field draws a polygon" in DOMAIN.md).
//!
//! Legs are computed on the ellipsoid (the direct geodesic problem). Bearings
//! are degrees or NATO mils (6400 to the circle), and true, grid (corrected
//! by the meridian convergence of the UTM zone) or magnetic (corrected by the
//! declination, east positive). When the last leg comes back to the start
//! point, the gap between where it arrives and the start is the closure error,
//! reported in metres and as a share of the perimeter; within tolerance it is
//! distributed over the legs by the compass (Bowditch) rule, and the report
//! says so; beyond tolerance the traverse is refused unless forced.
//!
//! The CSV form, one point a line (`#` starts a comment):
//!
//! ```text
//! point,bearing,unit,reference,distance_m,coordinates
//! BM,,,,,38T 0596412 4401830
//! SP,45,deg,magnetic,25,
//! TP1,120,deg,magnetic,80,
//! TP2,2400,mil,grid,60,
//! TP3,,,,,39°45'36.2"N 46°07'00"E
//! SP,300,deg,true,75,
//! ```
//!
//! The first row is the benchmark (named `BM`) or the start point, with
//! coordinates. A final row named like the start point closes the traverse.

use crate::area::{multipolygon_area, wgs84};
use crate::coords::parse_position;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use geographiclib_rs::DirectGeodesic;
use serde::Serialize;
use std::fmt;

/// How a bearing is referenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum North {
    True,
    Grid,
    Magnetic,
}

/// Degrees or NATO mils.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AngleUnit {
    Degrees,
    /// 6400 to the circle.
    Mils,
}

/// How one point is given.
#[derive(Debug, Clone, PartialEq)]
pub enum Leg {
    At(Coord<f64>),
    From { bearing: f64, unit: AngleUnit, north: North, distance_m: f64 },
}

/// One row of a traverse.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub name: String,
    pub leg: Leg,
    /// The line of the input it came from (1-based), for messages.
    pub line: usize,
}

/// What to apply when computing.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Magnetic declination in degrees, east positive: true = magnetic + declination.
    pub declination_deg: f64,
    /// The largest closure error accepted, as a percentage of the perimeter.
    pub tolerance_percent: f64,
    /// Accept a traverse beyond the tolerance (it is still reported).
    pub force: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { declination_deg: 0.0, tolerance_percent: 1.0, force: false }
    }
}

/// A traverse that cannot be read or computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TraverseError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the traverse has no start point: the first row must give coordinates (of the benchmark or the start point)")]
    NoStart,
    #[error("the traverse has {0} turning points; a polygon needs at least 3")]
    TooFew(usize),
    #[error(
        "the traverse does not close: it ends {closure_m:.2} m from the start point, {closure_percent:.2}% of the \
         {perimeter_m:.1} m perimeter, beyond the {tolerance_percent}% tolerance; check the bearings and distances, \
         or pass --force to accept it as walked"
    )]
    Closure { closure_m: f64, closure_percent: f64, perimeter_m: f64, tolerance_percent: f64 },
}

/// The closure of a traverse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Closure {
    /// Distance from where the last leg arrives to the start point; `None`
    /// when the traverse has no closing leg (the polygon is then closed by
    /// joining the last turning point to the start, and nothing is measured).
    pub error_m: Option<f64>,
    pub error_percent: Option<f64>,
    /// Length of every leg from the start point round to the end.
    pub perimeter_m: f64,
    pub tolerance_percent: f64,
    pub within_tolerance: bool,
    /// Whether the closure error was distributed by the compass rule.
    pub adjusted: bool,
}

/// A computed traverse.
#[derive(Debug, Clone, PartialEq)]
pub struct Traverse {
    pub benchmark: Option<Coord<f64>>,
    /// The polygon's turning points from the start point, in walking order
    /// (not repeated at the end).
    pub points: Vec<(String, Coord<f64>)>,
    pub closure: Closure,
}

impl Traverse {
    /// The polygon, closed, counter-clockwise or as walked.
    pub fn polygon(&self) -> MultiPolygon<f64> {
        let mut ring: Vec<Coord<f64>> = self.points.iter().map(|(_, c)| *c).collect();
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }

    pub fn area_m2(&self) -> f64 {
        multipolygon_area(&self.polygon())
    }
}

impl fmt::Display for Closure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.error_m, self.error_percent) {
            (Some(m), Some(p)) => write!(
                f,
                "closure error {m:.2} m, {p:.3}% of the {:.1} m perimeter ({} the {}% tolerance){}",
                self.perimeter_m,
                if self.within_tolerance { "within" } else { "BEYOND" },
                self.tolerance_percent,
                if self.adjusted { "; distributed over the legs by the compass rule" } else { "" }
            ),
            _ => write!(
                f,
                "no closing leg: closure not measured; perimeter {:.1} m (the polygon is closed by joining the last \
                 point to the start)",
                self.perimeter_m
            ),
        }
    }
}

/// Reads the CSV form (see the module documentation).
pub fn read_csv(text: &str) -> Result<Vec<Station>, TraverseError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut stations = Vec::new();
    let mut header_seen = false;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| TraverseError::Line {
            line: e.position().map(|p| p.line() as usize).unwrap_or(0),
            message: format!("not CSV: {e}"),
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let cell = |i: usize| rec.get(i).unwrap_or("").trim();
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if !header_seen && cell(0).eq_ignore_ascii_case("point") {
            header_seen = true;
            continue;
        }
        let err = |message: String| TraverseError::Line { line, message };
        let name = cell(0).to_string();
        if name.is_empty() {
            return Err(err("the point has no name (first column: BM, SP, TP1, …)".into()));
        }
        let coords = cell(5);
        let bearing = cell(1);
        let leg = if !coords.is_empty() {
            if !bearing.is_empty() {
                return Err(err(format!(
                    "point {name} gives both a bearing and coordinates; give one or the other"
                )));
            }
            let p = parse_position(coords).map_err(|e| err(format!("point {name}: {e}")))?;
            Leg::At(Coord { x: p.position.lon(), y: p.position.lat() })
        } else {
            if bearing.is_empty() {
                return Err(err(format!("point {name} has neither a bearing and distance nor coordinates")));
            }
            let unit = match cell(2).to_ascii_lowercase().as_str() {
                "" | "deg" | "degree" | "degrees" | "°" => AngleUnit::Degrees,
                "mil" | "mils" => AngleUnit::Mils,
                other => return Err(err(format!("unit '{other}' is neither deg nor mil"))),
            };
            let north = match cell(3).to_ascii_lowercase().as_str() {
                "" | "true" | "t" => North::True,
                "grid" | "g" => North::Grid,
                "magnetic" | "mag" | "m" => North::Magnetic,
                other => return Err(err(format!("reference '{other}' is not true, grid or magnetic"))),
            };
            let b: f64 = bearing.parse().map_err(|_| err(format!("bearing '{bearing}' is not a number")))?;
            let full = match unit {
                AngleUnit::Degrees => 360.0,
                AngleUnit::Mils => 6400.0,
            };
            if !b.is_finite() || !(0.0..=full).contains(&b) {
                return Err(err(format!("bearing {bearing} is outside 0–{full}")));
            }
            let d = cell(4);
            let distance_m: f64 =
                d.parse().map_err(|_| err(format!("distance '{d}' is not a number of metres")))?;
            if !distance_m.is_finite() || distance_m <= 0.0 || distance_m > 100_000.0 {
                return Err(err(format!("distance {d} m is not between 0 and 100 km")));
            }
            Leg::From { bearing: b, unit, north, distance_m }
        };
        stations.push(Station { name, leg, line });
    }
    Ok(stations)
}

/// Meridian convergence (degrees) of the standard UTM zone at a point: true
/// azimuth = grid azimuth + convergence. Transverse Mercator, spherical form
/// `atan(tan(Δλ)·sin φ)`, within 0.001° of the ellipsoidal value inside a zone.
pub fn grid_convergence(c: Coord<f64>) -> f64 {
    let zone = (((c.x + 180.0) / 6.0).floor() as i32).clamp(0, 59) + 1;
    let central = zone as f64 * 6.0 - 183.0;
    ((c.x - central).to_radians().tan() * c.y.to_radians().sin()).atan().to_degrees()
}

fn true_azimuth(bearing: f64, unit: AngleUnit, north: North, at: Coord<f64>, s: &Settings) -> f64 {
    let deg = match unit {
        AngleUnit::Degrees => bearing,
        AngleUnit::Mils => bearing * 360.0 / 6400.0,
    };
    match north {
        North::True => deg,
        North::Grid => deg + grid_convergence(at),
        North::Magnetic => deg + s.declination_deg,
    }
}

fn step(from: Coord<f64>, azimuth: f64, distance: f64) -> Coord<f64> {
    let (lat, lon): (f64, f64) = wgs84().direct(from.y, from.x, azimuth, distance);
    Coord { x: lon, y: lat }
}

fn geodesic(a: Coord<f64>, b: Coord<f64>) -> f64 {
    crate::area::distance(a.y, a.x, b.y, b.x)
}

/// Computes a traverse.
pub fn compute(stations: &[Station], s: &Settings) -> Result<Traverse, TraverseError> {
    let first = stations.first().ok_or(TraverseError::NoStart)?;
    let Leg::At(first_at) = first.leg else { return Err(TraverseError::NoStart) };
    let has_benchmark = first.name.eq_ignore_ascii_case("BM") && stations.len() > 1;
    let mut positions: Vec<(String, Coord<f64>)> = Vec::new();
    let mut prev = first_at;
    for st in stations {
        let here = match st.leg {
            Leg::At(c) => c,
            Leg::From { bearing, unit, north, distance_m } => {
                step(prev, true_azimuth(bearing, unit, north, prev, s), distance_m)
            }
        };
        positions.push((st.name.clone(), here));
        prev = here;
    }
    let benchmark = has_benchmark.then_some(first_at);
    let walk: Vec<(String, Coord<f64>)> = positions.into_iter().skip(usize::from(has_benchmark)).collect();
    let start_name = walk.first().map(|p| p.0.clone()).ok_or(TraverseError::NoStart)?;
    let closing = walk.len() > 1 && walk[walk.len() - 1].0.eq_ignore_ascii_case(&start_name);
    let mut points = walk;
    let end = if closing { points.pop().map(|p| p.1) } else { None };
    if points.len() < 3 {
        return Err(TraverseError::TooFew(points.len()));
    }
    let start = points[0].1;
    // Legs along the walk, and back to the start (measured or implied).
    let mut cumulative = vec![0.0];
    for w in points.windows(2) {
        let d = cumulative[cumulative.len() - 1] + geodesic(w[0].1, w[1].1);
        cumulative.push(d);
    }
    let last = points[points.len() - 1].1;
    let perimeter = cumulative[cumulative.len() - 1] + geodesic(last, end.unwrap_or(start));
    let mut closure = Closure {
        error_m: None,
        error_percent: None,
        perimeter_m: perimeter,
        tolerance_percent: s.tolerance_percent,
        within_tolerance: true,
        adjusted: false,
    };
    if let Some(end) = end {
        let err = geodesic(end, start);
        let pct = if perimeter > 0.0 { 100.0 * err / perimeter } else { 0.0 };
        closure.error_m = Some(err);
        closure.error_percent = Some(pct);
        closure.within_tolerance = pct <= s.tolerance_percent;
        if !closure.within_tolerance && !s.force {
            return Err(TraverseError::Closure {
                closure_m: err,
                closure_percent: pct,
                perimeter_m: perimeter,
                tolerance_percent: s.tolerance_percent,
            });
        }
        if err > 0.0 && closure.within_tolerance {
            // Compass rule: shift each point against the misclosure in
            // proportion to the distance walked to it, in a local plane.
            let (mx, my) = {
                let k = start.y.to_radians();
                (111_320.0 * k.cos(), 110_574.0)
            };
            let (ex, ey) = ((end.x - start.x) * mx, (end.y - start.y) * my);
            let total = perimeter;
            for (i, p) in points.iter_mut().enumerate().skip(1) {
                let f = cumulative[i] / total;
                p.1.x -= ex * f / mx;
                p.1.y -= ey * f / my;
            }
            closure.adjusted = true;
        }
    }
    Ok(Traverse { benchmark, points, closure })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_csv(side: f64, last_bearing: f64) -> String {
        format!(
            "point,bearing,unit,reference,distance_m,coordinates\n\
             BM,,,,,39.9 N 46.9 E\n\
             SP,45,deg,true,30,\n\
             TP1,90,deg,true,{side},\n\
             TP2,180,deg,true,{side},\n\
             TP3,270,deg,true,{side},\n\
             SP,{last_bearing},deg,true,{side},\n"
        )
    }

    #[test]
    fn a_closed_square_closes() {
        let st = read_csv(&square_csv(100.0, 0.0)).unwrap();
        let t = compute(&st, &Settings::default()).unwrap();
        assert_eq!(t.points.len(), 4);
        assert!(t.benchmark.is_some());
        let e = t.closure.error_m.unwrap();
        // On the ellipsoid a "square" of geodesics does not close exactly: millimetres.
        assert!(e < 0.01, "{e}");
        assert!((t.area_m2() - 10_000.0).abs() < 1.0, "{}", t.area_m2());
        assert!((t.closure.perimeter_m - 400.0).abs() < 0.01);
    }

    #[test]
    fn a_bad_bearing_is_refused_unless_forced() {
        let st = read_csv(&square_csv(100.0, 10.0)).unwrap();
        let err = compute(&st, &Settings::default()).unwrap_err();
        assert!(err.to_string().contains("does not close"), "{err}");
        let t = compute(&st, &Settings { force: true, ..Settings::default() }).unwrap();
        assert!(!t.closure.within_tolerance && !t.closure.adjusted);
    }

    #[test]
    fn small_misclosure_is_distributed() {
        // Last leg 1 m short: 0.25% of the perimeter.
        let text = square_csv(100.0, 0.0).replace("SP,0,deg,true,100,", "SP,0,deg,true,99,");
        let t = compute(&read_csv(&text).unwrap(), &Settings::default()).unwrap();
        assert!((t.closure.error_m.unwrap() - 1.0).abs() < 0.01);
        assert!(t.closure.adjusted);
    }

    #[test]
    fn mils_and_magnetic_bearings() {
        let text = "BM,,,,,39.9 N 46.9 E\nSP,1600,mil,magnetic,50,\n";
        let st = read_csv(text).unwrap();
        let s = Settings { declination_deg: -90.0, ..Settings::default() };
        // 1600 mil = 90° magnetic; with declination -90° it is true north.
        let positions = {
            let Leg::From { bearing, unit, north, .. } = st[1].leg else { panic!() };
            true_azimuth(bearing, unit, north, Coord { x: 46.9, y: 39.9 }, &s)
        };
        assert!((positions - 0.0).abs() < 1e-12);
    }

    #[test]
    fn grid_convergence_matches_geographiclib() {
        // `echo "LAT LON" | GeoConvert -c` (GeographicLib 2.1, Debian geographiclib-tools)
        // prints the meridian convergence of the standard UTM zone to 5 decimals.
        for (lat, lon, want) in [
            (39.9, 46.9, 1.21902),
            (41.9, 47.99, 1.99784),
            (38.4, 45.01, 0.00621),
            (50.4, 30.5, -1.92678),
            (44.5, 39.9, 0.63085),
        ] {
            let g = grid_convergence(Coord { x: lon, y: lat });
            assert!((g - want).abs() < 0.001, "{lat} {lon}: {g} vs GeoConvert {want}");
        }
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = read_csv("BM,,,,,39.9 N 46.9 E\nSP,abc,deg,true,5,\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: bearing 'abc' is not a number");
        let e = read_csv("BM,,,,,39.9 N 46.9 E\nSP,10,deg,true,-5,\n").unwrap_err();
        assert!(e.to_string().contains("line 2: distance -5 m"), "{e}");
        let e = read_csv("BM,,,,,somewhere\n").unwrap_err();
        assert!(e.to_string().starts_with("line 1: point BM:"), "{e}");
        let e = compute(&read_csv("SP,10,deg,true,5,\n").unwrap(), &Settings::default()).unwrap_err();
        assert_eq!(e, TraverseError::NoStart);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A rectangle walked by true bearings closes wherever it starts and
        /// however it is oriented, and its area is width × height. Not exactly:
        /// a geodesic that starts due east bends towards the equator by
        /// s²·tan φ / 2R, so the misclosure is about a centimetre for 300 m legs
        /// at 40° N — a hundred-thousandth of the perimeter, far below any
        /// field tolerance.
        #[test]
        fn a_closed_rectangle_traverse_closes(
            lat in 38.5f64..52.0, lon in 22.0f64..50.0, rot in 0.0f64..360.0,
            w in 10.0f64..500.0, h in 10.0f64..500.0,
        ) {
            let text = format!(
                "SP,,,,,{lat:.7} N {lon:.7} E\n\
                 TP1,{b0},deg,true,{w},\nTP2,{b1},deg,true,{h},\nTP3,{b2},deg,true,{w},\nSP,{b3},deg,true,{h},\n",
                b0 = rot, b1 = (rot + 90.0) % 360.0, b2 = (rot + 180.0) % 360.0, b3 = (rot + 270.0) % 360.0,
            );
            let t = compute(&read_csv(&text).unwrap(), &Settings::default()).unwrap();
            let bound = 2.0 * (w * w + h * h) * lat.to_radians().tan() / 6.3e6 + 1e-4;
            prop_assert!(t.closure.error_m.unwrap() < bound, "{} (bound {bound} m)", t.closure);
            prop_assert!(t.closure.error_percent.unwrap() < 0.01, "{}", t.closure);
            let rel = (t.area_m2() - w * h).abs() / (w * h);
            prop_assert!(rel < 1e-4, "area {} vs {}", t.area_m2(), w * h);
        }

        #[test]
        fn any_text_never_panics(s in "\\PC{0,300}") {
            if let Ok(st) = read_csv(&s) {
                let _ = compute(&st, &Settings { force: true, ..Settings::default() });
            }
        }
    }
}
