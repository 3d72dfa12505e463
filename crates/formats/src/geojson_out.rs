//! Streaming GeoJSON output (RFC 7946): one feature at a time, so a layer of
//! any size is written in constant memory. Coordinates are WGS84 longitude,
//! latitude; polygon exteriors run counter-clockwise and holes clockwise (the
//! right-hand rule); geometries carry no foreign members.
//!
//! ```
//! use geo::{point, Geometry};
//! use safeground_formats::geojson_out::GeoJsonWriter;
//! let mut out = Vec::new();
//! let mut w = GeoJsonWriter::new(&mut out, &["name"]).unwrap();
//! w.feature(&[serde_json::json!("Laçın")], Some(&Geometry::Point(point!(x: 46.54977, y: 39.63742)))).unwrap();
//! w.finish().unwrap();
//! let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(v["features"][0]["geometry"]["coordinates"][0], 46.54977);
//! ```

use geo::orient::{Direction, Orient};
use geo::{Geometry, LineString, Polygon};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

pub struct GeoJsonWriter<'c, W: Write> {
    out: W,
    columns: &'c [&'c str],
    first: bool,
}

fn ring(r: &LineString<f64>) -> Value {
    Value::Array(r.0.iter().map(|c| json!([c.x, c.y])).collect())
}

fn polygon(p: &Polygon<f64>) -> Value {
    let p = p.orient(Direction::Default);
    Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect())
}

/// A geometry as an RFC 7946 GeoJSON geometry object.
pub fn geometry(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        Geometry::MultiPoint(mp) => {
            json!({"type": "MultiPoint", "coordinates": mp.0.iter().map(|p| json!([p.x(), p.y()])).collect::<Vec<_>>()})
        }
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": ring(l)}),
        Geometry::MultiLineString(ml) => {
            json!({"type": "MultiLineString", "coordinates": ml.0.iter().map(ring).collect::<Vec<_>>()})
        }
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": polygon(p)}),
        Geometry::MultiPolygon(mp) => {
            json!({"type": "MultiPolygon", "coordinates": mp.0.iter().map(polygon).collect::<Vec<_>>()})
        }
        Geometry::GeometryCollection(gc) => {
            json!({"type": "GeometryCollection", "geometries": gc.0.iter().map(geometry).collect::<Vec<_>>()})
        }
        Geometry::Line(l) => geometry(&Geometry::LineString(LineString(vec![l.start, l.end]))),
        Geometry::Rect(r) => geometry(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geometry(&Geometry::Polygon(t.to_polygon())),
    }
}

impl<'c, W: Write> GeoJsonWriter<'c, W> {
    /// Starts a FeatureCollection whose features have these property names.
    pub fn new(mut out: W, columns: &'c [&'c str]) -> io::Result<Self> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        Ok(GeoJsonWriter { out, columns, first: true })
    }

    /// Writes one feature: values in column order, and an optional geometry.
    pub fn feature(&mut self, values: &[Value], g: Option<&Geometry<f64>>) -> io::Result<()> {
        let mut props = Map::with_capacity(self.columns.len());
        for (k, v) in self.columns.iter().zip(values) {
            props.insert((*k).to_string(), v.clone());
        }
        let f = json!({
            "type": "Feature",
            "properties": props,
            "geometry": g.map(geometry).unwrap_or(Value::Null),
        });
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &f).map_err(io::Error::other)
    }

    /// Closes the collection and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}
