//! KML and KMZ input, streamed: each `Placemark` is a feature; its attributes
//! come from `ExtendedData` (`Data`/`value`, as we and Google Earth write them,
//! or `SchemaData`/`SimpleData`, as `ogr2ogr` writes them) and its `name`; its
//! geometry from `Point`, `Polygon` or a `MultiGeometry` of polygons. KML is
//! always WGS84 longitude,latitude[,altitude]. A KMZ is a zip holding a KML:
//! the first `.kml` in it is read.
//!
//! ```
//! use safeground_formats::kml_in::read_kml;
//! let text = r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>PMN-2</name>
//!   <ExtendedData><Data name="category"><value>AP</value></Data></ExtendedData>
//!   <Point><coordinates>46.9,39.96,0</coordinates></Point></Placemark></Document></kml>"#;
//! let mut got = vec![];
//! read_kml(text.as_bytes(), "finds.kml", &mut |r| { got.push(r.record); Ok(()) }).unwrap();
//! assert_eq!(got[0].text("category").as_deref(), Some("AP"));
//! assert_eq!(got[0].geometry.as_ref().unwrap()["coordinates"][1], 39.96);
//! ```

use crate::read::{Original, Read, ReadError, Sink};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use safeground_core::import::InRecord;
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Read as _};

/// Reads the Placemarks of a KML or KMZ (told apart by the zip signature).
pub fn read_kml<R: std::io::Read>(input: R, file: &str, sink: &mut Sink<'_>) -> Result<usize, ReadError> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let io = |source| ReadError::Io { file: file.to_string(), source };
    let head = buffered.fill_buf().map_err(io)?;
    if head.starts_with(b"PK\x03\x04") {
        // A KMZ: the zip's directory is at its end, so it is read whole from a
        // seekable copy; its KML is then streamed.
        let mut bytes = vec![];
        buffered.read_to_end(&mut bytes).map_err(io)?;
        let syntax =
            |message: String| ReadError::Syntax { file: file.to_string(), place: "the KMZ".into(), message };
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| syntax(format!("not a readable zip ({e})")))?;
        let index = (0..zip.len())
            .find(|&i| {
                zip.name_for_index(i)
                    .is_some_and(|n| n.is_ok_and(|n| n.to_ascii_lowercase().ends_with(".kml")))
            })
            .ok_or_else(|| syntax("it holds no .kml file".into()))?;
        let entry = zip.by_index(index).map_err(|e| syntax(format!("cannot read its KML ({e})")))?;
        return read_placemarks(BufReader::new(entry), file, sink);
    }
    read_placemarks(buffered, file, sink)
}

#[derive(Default)]
struct Placemark {
    name: Option<String>,
    fields: Vec<(String, Value)>,
    polygons: Vec<Vec<Value>>,
    points: Vec<Value>,
    other_geometry: Option<String>,
    problem: Option<String>,
}

fn parse_coordinates(text: &str) -> Result<Vec<Value>, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut parts = tuple.split(',');
            let mut num =
                || parts.next().map(str::trim).and_then(|p| p.parse::<f64>().ok()).filter(|v| v.is_finite());
            match (num(), num()) {
                (Some(lon), Some(lat)) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Ok(json!([lon, lat])),
                _ => Err(format!("'{tuple}' is not longitude,latitude")),
            }
        })
        .collect()
}

fn read_placemarks<B: BufRead>(input: B, file: &str, sink: &mut Sink<'_>) -> Result<usize, ReadError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<Placemark> = None;
    let mut text = String::new();
    let mut data_name: Option<String> = None;
    let mut count = 0;
    let mut seen_kml = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| ReadError::Syntax {
            file: file.to_string(),
            place: format!("byte {}", reader.error_position()),
            message: format!("not well-formed XML: {e}"),
        })?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                seen_kml |= name == "kml";
                started(&e, &name, &mut current, &mut data_name);
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let (Some(p), "SimpleData" | "Data") = (&mut current, name.as_str()) {
                    if let Some(n) =
                        e.try_get_attribute("name").ok().flatten().and_then(|a| a.unescape_value().ok())
                    {
                        p.fields.push((n.into_owned(), Value::Null));
                    }
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content().unwrap_or_default()),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Ok(name) = r.decode() {
                    text.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap_or_default());
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or_default();
                if let Some(p) = &mut current {
                    match (name.as_str(), parent) {
                        ("name", "Placemark") => p.name = Some(text.trim().to_string()),
                        ("value", "Data") | ("SimpleData", _) => {
                            if let Some(n) = data_name.take() {
                                p.fields.push((n, Value::from(text.clone())));
                            }
                        }
                        ("coordinates", _) => coordinates(p, &path, &text),
                        ("Placemark", _) => {
                            if let Some(p) = current.take() {
                                count += 1;
                                sink(placemark_record(p, count)).map_err(ReadError::Stopped)?;
                            }
                        }
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() || current.is_some() {
        return Err(ReadError::Syntax {
            file: file.to_string(),
            place: format!("byte {}", reader.buffer_position()),
            message: format!(
                "the file ends inside <{}> (truncated?) after {count} placemarks",
                path.last().map(String::as_str).unwrap_or("Placemark")
            ),
        });
    }
    if !seen_kml {
        return Err(ReadError::Syntax {
            file: file.to_string(),
            place: "top level".into(),
            message: "not KML: there is no <kml> element".into(),
        });
    }
    Ok(count)
}

/// An element `name` begins: a placemark, the name of a data field, or a
/// geometry that is not a point or polygon in the current placemark.
fn started(e: &BytesStart<'_>, name: &str, current: &mut Option<Placemark>, data_name: &mut Option<String>) {
    if name == "Placemark" {
        *current = Some(Placemark::default());
    }
    if name == "Data" || name == "SimpleData" {
        *data_name = e
            .try_get_attribute("name")
            .ok()
            .flatten()
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
    }
    if let Some(p) = current {
        if matches!(name, "LineString" | "Track" | "Model" | "gx:Track") {
            p.other_geometry = Some(name.to_string());
        }
    }
}

/// A `<coordinates>` element ends inside placemark `p`, at `path`: a
/// polygon's ring (outer or inner) or a point, or why it does not read.
fn coordinates(p: &mut Placemark, path: &[String], text: &str) {
    let in_polygon = path.iter().any(|x| x == "Polygon");
    let inner = path.iter().any(|x| x == "innerBoundaryIs");
    match parse_coordinates(text) {
        Err(e) => p.problem = Some(format!("field 'geometry': {e}")),
        Ok(c) if in_polygon => {
            if inner {
                if let Some(last) = p.polygons.last_mut() {
                    last.push(Value::Array(c));
                }
            } else {
                p.polygons.push(vec![Value::Array(c)]);
            }
        }
        Ok(c) if path.iter().any(|x| x == "Point") => match c.into_iter().next() {
            Some(pt) => p.points.push(pt),
            None => p.problem = Some("field 'geometry': the point has no coordinates".into()),
        },
        Ok(_) => {}
    }
}

fn placemark_record(p: Placemark, index: usize) -> Read {
    let mut fields = p.fields;
    if let Some(n) = p.name {
        if !fields.iter().any(|(k, _)| k.eq_ignore_ascii_case("name")) {
            fields.push(("name".into(), Value::from(n)));
        }
    }
    let mut problem = p.problem;
    let geometry = match (p.polygons.len(), p.points.len()) {
        (0, 0) => {
            if let Some(other) = &p.other_geometry {
                problem.get_or_insert(format!("field 'geometry': a {other} is not a Point or Polygon"));
            }
            None
        }
        (1, 0) => Some(json!({"type": "Polygon", "coordinates": p.polygons[0]})),
        (_, 0) => Some(json!({"type": "MultiPolygon", "coordinates": p.polygons})),
        (0, 1) => Some(json!({"type": "Point", "coordinates": p.points[0]})),
        _ => {
            problem.get_or_insert(
                "field 'geometry': several points, or points and polygons, in one placemark".into(),
            );
            None
        }
    };
    let props: Map<String, Value> = fields.iter().cloned().collect();
    let original = json!({"type": "Feature", "properties": props, "geometry": geometry});
    Read {
        record: InRecord::new(format!("placemark {index}"), fields, geometry),
        original: Original::Feature(original),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8]) -> Result<Vec<Read>, ReadError> {
        let mut out = vec![];
        read_kml(text, "t.kml", &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn polygons_with_holes_and_entities() {
        let kml = br#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
          <Placemark><name>A &amp; B</name><ExtendedData><SchemaData><SimpleData name="code">AZ-1</SimpleData></SchemaData></ExtendedData>
          <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs>
          <innerBoundaryIs><LinearRing><coordinates>0.1,0.1 0.2,0.1 0.2,0.2 0.1,0.1</coordinates></LinearRing></innerBoundaryIs></Polygon>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>5,5 6,5 6,6 5,5</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry>
          </Placemark></Document></kml>"#;
        let r = read_all(kml).unwrap();
        assert_eq!(r[0].record.text("name").as_deref(), Some("A & B"));
        assert_eq!(r[0].record.text("code").as_deref(), Some("AZ-1"));
        let g = r[0].record.geometry.as_ref().unwrap();
        assert_eq!(g["type"], "MultiPolygon");
        assert_eq!(g["coordinates"][0].as_array().unwrap().len(), 2);
    }

    #[test]
    fn truncated_and_broken_files() {
        let kml = br#"<kml><Document><Placemark><name>x</name><Point><coordinates>46,39</coordinates></Point></Placemark><Placemark>"#;
        let e = read_all(kml).unwrap_err().to_string();
        assert!(e.contains("truncated") && e.contains("after 1 placemarks"), "{e}");
        assert!(read_all(b"<kml><a></b></kml>").unwrap_err().to_string().contains("not well-formed"));
        assert!(read_all(b"<html></html>").unwrap_err().to_string().contains("not KML"));
        let bad = br#"<kml><Placemark><Point><coordinates>46;39</coordinates></Point></Placemark></kml>"#;
        assert!(read_all(bad).unwrap()[0].problem.as_ref().unwrap().contains("longitude,latitude"));
        let line = br#"<kml><Placemark><LineString><coordinates>1,2 3,4</coordinates></LineString></Placemark></kml>"#;
        assert!(read_all(line).unwrap()[0].problem.as_ref().unwrap().contains("LineString"));
    }
}
