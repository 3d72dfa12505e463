//! Field geometry on the command line: `coords`, `traverse`, `check`,
//! `overlaps` and `near`.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use geo::{BoundingRect, MultiPolygon, Point};
use safeground_core::coords::{
    check, format_dd, format_ddm, format_dms, format_mgrs, format_utm, parse_position, Boundary,
    CheckOptions, Notation, Parsed,
};
use safeground_core::proximity;
use safeground_core::traverse::{self, Settings};
use safeground_core::validate::{self, Rules};
use safeground_store::Location;
use safeground_store::Store;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The notations `coords --to` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum To {
    Dd,
    Dms,
    Ddm,
    Utm,
    Mgrs,
}

#[derive(Debug, Args)]
pub struct CoordsArgs {
    /// Positions in any notation: 39.76 46.75, 39°45'36.2"N 46°45'E, 38S 649905 4402591, 38SPK4990502590.
    positions: Vec<String>,
    /// Read positions from a file, one a line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// The notation to write.
    #[arg(long, value_enum, default_value = "dd")]
    to: To,
    /// Decimals (dd, ddm, dms, utm) or digit pairs (mgrs); default: the input's precision.
    #[arg(long)]
    precision: Option<u8>,
    /// One JSON object per input.
    #[arg(long)]
    json: bool,
}

/// The programme's country for the boundary and swap checks: the register's
/// districts, when there is a register with districts at --db.
fn boundary(db: &Location) -> Option<Boundary> {
    let store = Store::open(db).ok()?;
    let country = store.country().ok()?;
    (!country.0.is_empty()).then(|| Boundary::new("the register's districts", country))
}

/// Digit pairs for MGRS at the input's precision (5 for other notations).
fn mgrs_digits(n: &Notation) -> u8 {
    match n {
        Notation::Mgrs { digits, .. } => *digits,
        _ => 5,
    }
}

fn write(p: &Parsed, to: To, precision: Option<u8>) -> Result<String> {
    let pos = p.position;
    let same = match (to, &p.notation) {
        (To::Dd, Notation::DecimalDegrees { decimals })
        | (To::Ddm, Notation::DegreesDecimalMinutes { decimals })
        | (To::Dms, Notation::DegreesMinutesSeconds { decimals })
        | (To::Utm, Notation::Utm { decimals, .. }) => Some(*decimals),
        (To::Mgrs, Notation::Mgrs { digits, .. }) => Some(*digits),
        _ => None,
    };
    Ok(match to {
        To::Dd => format_dd(pos, precision.or(same).unwrap_or(6)),
        To::Ddm => format_ddm(pos, precision.or(same).unwrap_or(3)),
        To::Dms => format_dms(pos, precision.or(same).unwrap_or(1)),
        To::Utm => format_utm(pos, precision.or(same).unwrap_or(0))?,
        To::Mgrs => format_mgrs(pos, precision.or(same).unwrap_or(5))?,
    })
}

pub fn coords(db: &Location, args: &CoordsArgs) -> Result<()> {
    let mut inputs: Vec<String> = args.positions.clone();
    if let Some(f) = &args.file {
        let text = if f.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading positions from standard input")?
        } else {
            std::fs::read_to_string(f).with_context(|| format!("reading positions from {}", f.display()))?
        };
        inputs.extend(
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from),
        );
    }
    if inputs.is_empty() {
        bail!("no positions given: name them as arguments or with --file");
    }
    let boundary = boundary(db);
    let options = CheckOptions { boundary: boundary.as_ref(), ..CheckOptions::default() };
    let mut failed = 0;
    for (i, input) in inputs.iter().enumerate() {
        match parse_position(input) {
            Ok(p) => {
                let warnings: Vec<String> = check(&p, &options).iter().map(|w| w.message()).collect();
                let out = write(&p, args.to, args.precision)?;
                if args.json {
                    let v = json!({
                        "input": input,
                        "notation": p.notation.to_string(),
                        "lat": p.position.lat(),
                        "lon": p.position.lon(),
                        "utm": format_utm(p.position, 0).ok(),
                        "mgrs": format_mgrs(p.position, mgrs_digits(&p.notation)).ok(),
                        "output": out,
                        "warnings": warnings,
                    });
                    println!("{v}");
                } else {
                    println!("{out}");
                    for w in warnings {
                        eprintln!("warning: {input}: {w}");
                    }
                }
            }
            Err(e) => {
                failed += 1;
                if args.json {
                    println!("{}", json!({ "input": input, "error": e.to_string() }));
                } else {
                    eprintln!("error: position {} '{input}': {e}", i + 1);
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} positions could not be read", inputs.len());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct TraverseArgs {
    /// The traverse: CSV with point,bearing,unit,reference,distance_m,coordinates.
    file: PathBuf,
    /// Magnetic declination in degrees, east positive (true = magnetic + declination).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    declination: f64,
    /// The largest closure error accepted, as a percentage of the perimeter.
    #[arg(long, default_value_t = 1.0)]
    tolerance: f64,
    /// Accept a traverse that does not close within the tolerance, or whose polygon is invalid.
    #[arg(long)]
    force: bool,
    /// Write the GeoJSON here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn ring_json(points: &[(String, geo::Coord<f64>)]) -> Value {
    let mut ring: Vec<[f64; 2]> = points.iter().map(|(_, c)| [c.x, c.y]).collect();
    if let Some(f) = ring.first().copied() {
        ring.push(f);
    }
    json!(ring)
}

pub fn traverse(args: &TraverseArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("reading {name}"))?;
    let stations = traverse::read_csv(&text).with_context(|| name.clone())?;
    let settings =
        Settings { declination_deg: args.declination, tolerance_percent: args.tolerance, force: args.force };
    let t = traverse::compute(&stations, &settings).with_context(|| name.clone())?;
    let polygon = t.polygon();
    let raw: Vec<Vec<Vec<geo::Coord<f64>>>> =
        polygon.0.iter().map(|p| vec![p.exterior().0.clone()]).collect();
    let issues = validate::validate(&raw, &Rules::default());
    eprintln!("{name}: {} points; {}", t.points.len(), t.closure);
    eprintln!("{name}: area {:.1} m² on the WGS84 ellipsoid", t.area_m2());
    for i in &issues {
        eprintln!("{}: {}: {i}", name, if i.is_error() { "error" } else { "warning" });
    }
    let errors = issues.iter().filter(|i| i.is_error()).count();
    if errors > 0 && !args.force {
        bail!("{name}: the polygon the traverse draws is not valid ({errors} problems above); correct the traverse or pass --force");
    }
    let feature = json!({
        "type": "Feature",
        "properties": {
            "points": t.points.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
            "benchmark": t.benchmark.map(|c| [c.x, c.y]),
            "area_m2": t.area_m2(),
            "perimeter_m": t.closure.perimeter_m,
            "closure_m": t.closure.error_m,
            "closure_percent": t.closure.error_percent,
            "tolerance_percent": t.closure.tolerance_percent,
            "within_tolerance": t.closure.within_tolerance,
            "adjusted": t.closure.adjusted,
            "problems": issues.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        },
        "geometry": { "type": "Polygon", "coordinates": [ring_json(&t.points)] },
    });
    let text = serde_json::to_string_pretty(&feature)?;
    match &args.out {
        Some(p) => std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A GeoJSON file of polygons (FeatureCollection, Feature or geometry).
    file: PathBuf,
    /// Flag consecutive points further apart than this, in metres.
    #[arg(long, default_value_t = 5_000.0)]
    max_edge: f64,
    /// The most positions one polygon may have (all its rings and parts).
    #[arg(long, default_value_t = safeground_core::validate::MAX_VERTICES)]
    max_vertices: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn check_file(db: &Location, args: &CheckArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("reading {name}"))?;
    let features = safeground_formats::geojson::read_polygons(&text).with_context(|| name.clone())?;
    let area = boundary(db).and_then(|b| b.area().bounding_rect());
    let rules = Rules {
        max_edge_m: args.max_edge,
        programme_area: area,
        max_vertices: args.max_vertices,
        ..Rules::default()
    };
    let mut invalid = 0;
    let mut report = Vec::new();
    for f in &features {
        let issues = validate::validate(&f.polygons, &rules);
        let errors = issues.iter().filter(|i| i.is_error()).count();
        if errors > 0 {
            invalid += 1;
        }
        let repairable = errors > 0 && validate::repair(&f.polygons, &rules).is_ok();
        if args.json {
            report.push(json!({
                "feature": f.index,
                "label": f.label,
                "valid": errors == 0,
                "problems": issues.iter().map(|i| json!({
                    "polygon": i.polygon, "ring": i.ring, "vertex": i.vertex,
                    "at": i.at.map(|c| [c.x, c.y]),
                    "severity": if i.is_error() { "error" } else { "warning" },
                    "message": i.to_string(),
                })).collect::<Vec<_>>(),
                "safe_repair": repairable,
            }));
        } else {
            let verdict = if errors == 0 { "valid" } else { "INVALID" };
            println!("{name}: feature {} ({}): {verdict}", f.index, f.label);
            for i in &issues {
                println!("  {}: {i}", if i.is_error() { "error" } else { "warning" });
            }
            if repairable {
                println!(
                    "  a safe repair exists (closing rings, dropping repeats and spike tips, swapping axes)"
                );
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "file": name, "features": report, "invalid": invalid }))?
        );
    } else {
        println!("{name}: {} features, {invalid} invalid", features.len());
    }
    if invalid > 0 {
        bail!("{name}: {invalid} of {} features are invalid", features.len());
    }
    Ok(())
}

pub fn overlaps(db: &Location, json_out: bool) -> Result<()> {
    let store = Store::open(db)?;
    let shapes = store.hazard_shapes()?;
    let polys: Vec<&MultiPolygon<f64>> = shapes.iter().map(|s| &s.geometry).collect();
    let found = proximity::overlaps(&polys);
    let rows: Vec<Value> = found
        .iter()
        .map(|o| {
            let (a, b) = (&shapes[o.a], &shapes[o.b]);
            let smaller = safeground_core::area::multipolygon_area(&a.geometry)
                .min(safeground_core::area::multipolygon_area(&b.geometry));
            json!({
                "a": a.code, "b": b.code, "a_id": a.id, "b_id": b.id,
                "district_a": a.district, "district_b": b.district,
                "overlap_m2": (o.area_m2 * 100.0).round() / 100.0,
                "share_of_smaller": if smaller > 0.0 { ((o.area_m2 / smaller) * 1e4).round() / 1e4 } else { 0.0 },
            })
        })
        .collect();
    if json_out {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            println!(
                "{} overlaps {}: {:.1} m² ({:.1}% of the smaller)",
                r["a"].as_str().unwrap_or(""),
                r["b"].as_str().unwrap_or(""),
                r["overlap_m2"].as_f64().unwrap_or(0.0),
                r["share_of_smaller"].as_f64().unwrap_or(0.0) * 100.0
            );
        }
        println!("{} overlapping pairs among {} hazards", rows.len(), shapes.len());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct NearArgs {
    /// Measure from every settlement of the register.
    #[arg(long)]
    settlements: bool,
    /// Measure from this position (any notation); repeatable.
    #[arg(long = "point", value_name = "POSITION")]
    points: Vec<String>,
    /// Distance in metres.
    #[arg(long, default_value_t = 1_000.0)]
    within: f64,
    #[arg(long)]
    json: bool,
}

pub fn near(db: &Location, args: &NearArgs) -> Result<()> {
    if !args.settlements && args.points.is_empty() {
        bail!("name what to measure from: --settlements, or --point POSITION (repeatable)");
    }
    if !(args.within.is_finite() && args.within >= 0.0) {
        bail!("--within must be a distance in metres, not {}", args.within);
    }
    let store = Store::open(db)?;
    let mut names = Vec::new();
    let mut points: Vec<Point<f64>> = Vec::new();
    if args.settlements {
        for s in store.settlements()? {
            names.push(s.name);
            points.push(s.location);
        }
    }
    for p in &args.points {
        let parsed = parse_position(p).with_context(|| format!("--point '{p}'"))?;
        names.push(p.clone());
        points.push(parsed.position.into());
    }
    let shapes = store.hazard_shapes()?;
    let polys: Vec<&MultiPolygon<f64>> = shapes.iter().map(|s| &s.geometry).collect();
    let found = proximity::near(&points, &polys, args.within);
    let rows: Vec<Value> = found
        .iter()
        .map(|n| {
            json!({
                "from": names[n.point],
                "lon": points[n.point].x(),
                "lat": points[n.point].y(),
                "hazard": shapes[n.hazard].code,
                "hazard_id": shapes[n.hazard].id,
                "distance_m": (n.distance_m * 100.0).round() / 100.0,
            })
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let mut last = None;
        for (n, r) in found.iter().zip(&rows) {
            if last != Some(n.point) {
                println!("{}:", names[n.point]);
                last = Some(n.point);
            }
            println!("  {:<14} {:>8.0} m", r["hazard"].as_str().unwrap_or(""), n.distance_m);
        }
        let places = found.iter().map(|n| n.point).collect::<std::collections::BTreeSet<_>>().len();
        println!("{} hazards within {:.0} m of {places} of {} places", rows.len(), args.within, points.len());
    }
    Ok(())
}
