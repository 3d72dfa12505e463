//! KML 2.2 output for Google Earth, streamed, valid against the OGC KML 2.2
//! schema: one Document, shared styles, one Placemark per feature with its
//! attributes as ExtendedData. Hazards are coloured by status, released
//! ground by outcome, EO finds by category.
//!
//! ```
//! use geo::{point, Geometry};
//! use safeground_formats::kml_out::KmlWriter;
//! let mut out = Vec::new();
//! let mut w = KmlWriter::new(&mut out, "eo_finds", &["id", "category"]).unwrap();
//! w.feature(&[serde_json::json!("x"), serde_json::json!("AP")], Some(&Geometry::Point(point!(x: 46.9, y: 39.9)))).unwrap();
//! w.finish().unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("<styleUrl>#category-AP</styleUrl>"));
//! assert!(text.contains("<coordinates>46.9,39.9</coordinates>"));
//! ```

use geo::{Geometry, LineString, Polygon};
use serde_json::Value;
use std::io::{self, Write};

/// Colours as KML writes them: aabbggrr.
const STYLES: &[(&str, &str, &str)] = &[
    // (column, value, colour)
    ("status", "OPEN", "ff0000e0"),
    ("status", "WORKED_ON", "ff0090ff"),
    ("status", "CLOSED", "ff00b000"),
    ("status", "HANDED_OVER", "ffc08000"),
    ("outcome", "CANCELLED", "ffa0a0a0"),
    ("outcome", "REDUCED", "ff00e0e0"),
    ("outcome", "CLEARED", "ff00c000"),
    ("category", "AP", "ff0000ff"),
    ("category", "AT", "ff000080"),
    ("category", "UXO", "ff0080ff"),
    ("category", "AXO", "ff004080"),
    ("category", "CMR", "ff800080"),
    ("category", "IED", "ff000000"),
];

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub struct KmlWriter<'c, W: Write> {
    out: W,
    columns: &'c [&'c str],
    /// The column whose value picks the style, if the layer has one.
    style_column: Option<usize>,
}

fn coords(r: &LineString<f64>) -> String {
    r.0.iter().map(|c| format!("{},{}", c.x, c.y)).collect::<Vec<_>>().join(" ")
}

fn polygon(p: &Polygon<f64>) -> String {
    let mut s = format!(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        coords(p.exterior())
    );
    for hole in p.interiors() {
        s.push_str(&format!(
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
            coords(hole)
        ));
    }
    s.push_str("</Polygon>");
    s
}

/// A geometry as a KML geometry element.
pub fn geometry(g: &Geometry<f64>) -> String {
    match g {
        Geometry::Point(p) => format!("<Point><coordinates>{},{}</coordinates></Point>", p.x(), p.y()),
        Geometry::LineString(l) => {
            format!("<LineString><coordinates>{}</coordinates></LineString>", coords(l))
        }
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) if mp.0.len() == 1 => polygon(&mp.0[0]),
        Geometry::MultiPolygon(mp) => {
            format!("<MultiGeometry>{}</MultiGeometry>", mp.0.iter().map(polygon).collect::<String>())
        }
        Geometry::MultiPoint(mp) => format!(
            "<MultiGeometry>{}</MultiGeometry>",
            mp.0.iter().map(|p| geometry(&Geometry::Point(*p))).collect::<String>()
        ),
        Geometry::MultiLineString(ml) => format!(
            "<MultiGeometry>{}</MultiGeometry>",
            ml.0.iter().map(|l| geometry(&Geometry::LineString(l.clone()))).collect::<String>()
        ),
        Geometry::GeometryCollection(gc) => {
            format!("<MultiGeometry>{}</MultiGeometry>", gc.0.iter().map(geometry).collect::<String>())
        }
        Geometry::Line(l) => geometry(&Geometry::LineString(LineString(vec![l.start, l.end]))),
        Geometry::Rect(r) => geometry(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geometry(&Geometry::Polygon(t.to_polygon())),
    }
}

impl<'c, W: Write> KmlWriter<'c, W> {
    /// Starts a document named after the layer, with the styles its features use.
    pub fn new(mut out: W, layer: &str, columns: &'c [&'c str]) -> io::Result<Self> {
        let style_column = ["status", "outcome", "category"]
            .iter()
            .find_map(|k| columns.iter().position(|c| c == k))
            .filter(|&i| !(columns[i] == "status" && layer == "tasks"));
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(out, "<kml xmlns=\"http://www.opengis.net/kml/2.2\">")?;
        writeln!(out, "<Document><name>{}</name>", esc(layer))?;
        if let Some(i) = style_column {
            for (col, value, colour) in STYLES.iter().filter(|s| s.0 == columns[i]) {
                writeln!(
                    out,
                    "<Style id=\"{col}-{value}\"><IconStyle><color>{colour}</color></IconStyle>\
                     <LineStyle><color>{colour}</color><width>2</width></LineStyle>\
                     <PolyStyle><color>7f{}</color></PolyStyle></Style>",
                    &colour[2..]
                )?;
            }
        }
        Ok(KmlWriter { out, columns, style_column })
    }

    /// Writes one Placemark: its name is the feature's code or name, if it has one.
    pub fn feature(&mut self, values: &[Value], g: Option<&Geometry<f64>>) -> io::Result<()> {
        let get = |k: &str| self.columns.iter().position(|c| *c == k).and_then(|i| values.get(i)).map(text);
        let name = get("code").or_else(|| get("name")).or_else(|| get("id")).unwrap_or_default();
        let mut s = format!("<Placemark><name>{}</name>", esc(&name));
        if let Some(i) = self.style_column {
            let value = values.get(i).map(text).unwrap_or_default();
            if STYLES.iter().any(|st| st.0 == self.columns[i] && st.1 == value) {
                s.push_str(&format!("<styleUrl>#{}-{}</styleUrl>", self.columns[i], esc(&value)));
            }
        }
        s.push_str("<ExtendedData>");
        for (k, v) in self.columns.iter().zip(values) {
            s.push_str(&format!("<Data name=\"{}\"><value>{}</value></Data>", esc(k), esc(&text(v))));
        }
        s.push_str("</ExtendedData>");
        if let Some(g) = g {
            s.push_str(&geometry(g));
        }
        s.push_str("</Placemark>\n");
        self.out.write_all(s.as_bytes())
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"</Document>\n</kml>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let mut out = Vec::new();
        let mut w = KmlWriter::new(&mut out, "x", &["name"]).unwrap();
        w.feature(&[Value::from("A & B <c> \"d\"\u{1}")], None).unwrap();
        w.finish().unwrap();
        let t = String::from_utf8(out).unwrap();
        assert!(t.contains("<name>A &amp; B &lt;c&gt; &quot;d&quot;</name>"), "{t}");
    }
}
