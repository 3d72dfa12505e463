//! CSV output for spreadsheets and the humanitarian data exchange: points as
//! `longitude`/`latitude` columns, other geometries as a `wkt` column, and an
//! optional HXL hashtag row under the header (https://hxlstandard.org).
//!
//! ```
//! use geo::{point, Geometry};
//! use safeground_formats::csv_out::CsvLayerWriter;
//! let mut out = Vec::new();
//! let mut w = CsvLayerWriter::new(&mut out, &["name", "population"], true, true).unwrap();
//! w.feature(&[serde_json::json!("Füzuli"), serde_json::json!(25100)], Some(&Geometry::Point(point!(x: 47.14529, y: 39.60094)))).unwrap();
//! w.finish().unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("longitude,latitude,name,population\n#geo+lon,#geo+lat,#loc+name,#population\n"));
//! ```

use geo::Geometry;
use serde_json::Value;
use std::io::{self, Write};

/// The HXL hashtag for a column of ours.
pub fn hxl_tag(column: &str) -> String {
    match column {
        "longitude" => "#geo+lon",
        "latitude" => "#geo+lat",
        "wkt" => "#geo+wkt",
        "id" => "#meta+id",
        "code" => "#meta+code",
        "name" => "#loc+name",
        "district" => "#adm2+name",
        "region" => "#adm1+name",
        "hasc" => "#adm2+code",
        "settlement" => "#loc+name",
        "organisation" | "recorded_by" => "#org+acronym",
        "status" => "#status",
        "population" => "#population",
        "killed" => "#affected+killed",
        "injured" => "#affected+injured",
        "girls" => "#reached+f+children",
        "boys" => "#reached+m+children",
        "women" => "#reached+f+adults",
        "men" => "#reached+m+adults",
        "girls_disabled" => "#reached+f+children+disabled",
        "boys_disabled" => "#reached+m+children+disabled",
        "women_disabled" => "#reached+f+adults+disabled",
        "men_disabled" => "#reached+m+adults+disabled",
        "quantity" => "#indicator+num+items",
        "category" | "device_category" => "#item+type",
        "eo_type" => "#item+name",
        "recorded_on" | "released_on" | "found_on" | "occurred_on" | "held_on" | "issued_on" => "#date",
        c if c.starts_with("area_") => {
            return format!("#indicator+{}", c.trim_end_matches("_m2").replace('_', "+"))
        }
        c => return format!("#meta+{}", c.replace('_', "+")),
    }
    .to_string()
}

/// Writes a layer as CSV.
pub struct CsvLayerWriter<W: Write> {
    w: csv::Writer<W>,
    spatial: bool,
    points: Option<bool>,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<W: Write> CsvLayerWriter<W> {
    /// `points`: the layer's geometries are points (lon/lat columns) rather
    /// than anything else (a WKT column). `hxl`: add the hashtag row.
    pub fn new(out: W, columns: &[&str], points: bool, hxl: bool) -> io::Result<Self> {
        Self::build(out, columns, Some(points), hxl)
    }

    /// A layer without geometry.
    pub fn attributes(out: W, columns: &[&str], hxl: bool) -> io::Result<Self> {
        Self::build(out, columns, None, hxl)
    }

    fn build(out: W, columns: &[&str], points: Option<bool>, hxl: bool) -> io::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<&str> = match points {
            Some(true) => vec!["longitude", "latitude"],
            Some(false) => vec!["wkt"],
            None => vec![],
        };
        header.extend_from_slice(columns);
        w.write_record(&header)?;
        if hxl {
            w.write_record(header.iter().map(|c| hxl_tag(c)))?;
        }
        Ok(CsvLayerWriter { w, spatial: points.is_some(), points })
    }

    pub fn feature(&mut self, values: &[Value], g: Option<&Geometry<f64>>) -> io::Result<()> {
        let mut row: Vec<String> = Vec::with_capacity(values.len() + 2);
        if self.spatial {
            match (self.points, g) {
                (Some(true), Some(Geometry::Point(p))) => {
                    row.push(p.x().to_string());
                    row.push(p.y().to_string());
                }
                (Some(true), _) => {
                    row.push(String::new());
                    row.push(String::new());
                }
                (_, Some(g)) => row.push(wkt(g)),
                (_, None) => row.push(String::new()),
            }
        }
        row.extend(values.iter().map(cell));
        self.w.write_record(&row)?;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Well-known text of a geometry, full precision.
pub fn wkt(g: &Geometry<f64>) -> String {
    fn coords(cs: &[geo::Coord<f64>]) -> String {
        cs.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(", ")
    }
    fn poly(p: &geo::Polygon<f64>) -> String {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| format!("({})", coords(&r.0)))
            .collect::<Vec<_>>()
            .join(", ")
    }
    match g {
        Geometry::Point(p) => format!("POINT ({} {})", p.x(), p.y()),
        Geometry::LineString(l) => format!("LINESTRING ({})", coords(&l.0)),
        Geometry::Polygon(p) => format!("POLYGON ({})", poly(p)),
        Geometry::MultiPolygon(mp) => {
            format!(
                "MULTIPOLYGON ({})",
                mp.0.iter().map(|p| format!("({})", poly(p))).collect::<Vec<_>>().join(", ")
            )
        }
        Geometry::MultiPoint(mp) => {
            format!(
                "MULTIPOINT ({})",
                mp.0.iter().map(|p| format!("({} {})", p.x(), p.y())).collect::<Vec<_>>().join(", ")
            )
        }
        Geometry::MultiLineString(ml) => format!(
            "MULTILINESTRING ({})",
            ml.0.iter().map(|l| format!("({})", coords(&l.0))).collect::<Vec<_>>().join(", ")
        ),
        other => format!("GEOMETRYCOLLECTION ({})", {
            let parts: Vec<String> = match other {
                Geometry::GeometryCollection(gc) => gc.0.iter().map(wkt).collect(),
                Geometry::Line(l) => vec![wkt(&Geometry::LineString(geo::LineString(vec![l.start, l.end])))],
                Geometry::Rect(r) => vec![wkt(&Geometry::Polygon(r.to_polygon()))],
                Geometry::Triangle(t) => vec![wkt(&Geometry::Polygon(t.to_polygon()))],
                _ => vec![],
            };
            parts.join(", ")
        }),
    }
}
