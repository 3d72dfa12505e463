//! GeoJSON input (RFC 7946) for checking polygons as received.
//!
//! Polygons are kept raw — rings exactly as written, closed or not — so that
//! [`safeground_core::validate`] can report what the file really holds.
//!
//! ```
//! use safeground_formats::geojson::read_polygons;
//! let text = r#"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","properties":{"name":"field 1"},
//!    "geometry":{"type":"Polygon","coordinates":[[[46.9,39.9],[46.91,39.9],[46.91,39.91],[46.9,39.9]]]}}]}"#;
//! let features = read_polygons(text).unwrap();
//! assert_eq!(features[0].label, "field 1");
//! assert_eq!(features[0].polygons[0][0].len(), 4);
//! ```

use geo::Coord;
use safeground_core::validate::RawPolygon;
use serde_json::Value;

/// A feature of a GeoJSON file with its polygons as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    /// Position in the file, from 0.
    pub index: usize,
    /// What a person calls it: its `id`, or a `name`/`code` property, or "feature N".
    pub label: String,
    pub polygons: Vec<RawPolygon>,
}

/// What is wrong with a GeoJSON document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not GeoJSON: the top level is a {0}, not a FeatureCollection, Feature or geometry")]
    NotGeoJson(String),
    #[error("feature {index}: {message}")]
    Feature { index: usize, message: String },
}

fn feature_err(index: usize, message: impl Into<String>) -> GeoJsonError {
    GeoJsonError::Feature { index, message: message.into() }
}

fn position(v: &Value, index: usize) -> Result<Coord<f64>, GeoJsonError> {
    let a = v.as_array().ok_or_else(|| feature_err(index, format!("position {v} is not an array")))?;
    if a.len() < 2 {
        return Err(feature_err(index, format!("position {v} has fewer than two numbers")));
    }
    let n = |i: usize| {
        a[i].as_f64().ok_or_else(|| feature_err(index, format!("position {v}: {} is not a number", a[i])))
    };
    Ok(Coord { x: n(0)?, y: n(1)? })
}

fn polygon(v: &Value, index: usize) -> Result<RawPolygon, GeoJsonError> {
    let rings =
        v.as_array().ok_or_else(|| feature_err(index, "polygon coordinates are not an array of rings"))?;
    rings
        .iter()
        .map(|r| {
            r.as_array()
                .ok_or_else(|| feature_err(index, "a ring is not an array of positions"))?
                .iter()
                .map(|p| position(p, index))
                .collect()
        })
        .collect()
}

fn geometry(g: &Value, index: usize) -> Result<Vec<RawPolygon>, GeoJsonError> {
    if g.is_null() {
        return Err(feature_err(index, "has no geometry"));
    }
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g.get("coordinates");
    match (kind, coords) {
        ("Polygon", Some(c)) => Ok(vec![polygon(c, index)?]),
        ("MultiPolygon", Some(c)) => c
            .as_array()
            .ok_or_else(|| feature_err(index, "multipolygon coordinates are not an array of polygons"))?
            .iter()
            .map(|p| polygon(p, index))
            .collect(),
        ("Polygon" | "MultiPolygon", None) => Err(feature_err(index, "geometry has no coordinates")),
        ("", _) => Err(feature_err(index, "geometry has no type")),
        (other, _) => Err(feature_err(index, format!("is a {other}, not a Polygon or MultiPolygon"))),
    }
}

fn label(f: &Value, index: usize) -> String {
    let id = f
        .get("id")
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
    let prop =
        |k: &str| f.get("properties").and_then(|p| p.get(k)).and_then(Value::as_str).map(str::to_string);
    id.or_else(|| prop("code")).or_else(|| prop("name")).unwrap_or_else(|| format!("feature {}", index + 1))
}

/// Reads every feature's polygons. A feature whose geometry cannot be read at
/// all is an error naming it; a polygon that reads but is invalid is returned
/// as written, for validation.
pub fn read_polygons(text: &str) -> Result<Vec<RawFeature>, GeoJsonError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| GeoJsonError::Json(e.to_string()))?;
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "FeatureCollection" => doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| GeoJsonError::NotGeoJson("FeatureCollection without a features array".into()))?
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let g = f.get("geometry").unwrap_or(&Value::Null);
                Ok(RawFeature { index: i, label: label(f, i), polygons: geometry(g, i)? })
            })
            .collect(),
        "Feature" => {
            let g = doc.get("geometry").unwrap_or(&Value::Null);
            Ok(vec![RawFeature { index: 0, label: label(&doc, 0), polygons: geometry(g, 0)? }])
        }
        "Polygon" | "MultiPolygon" => {
            Ok(vec![RawFeature { index: 0, label: "geometry".into(), polygons: geometry(&doc, 0)? }])
        }
        other => Err(GeoJsonError::NotGeoJson(if other.is_empty() {
            "value without a type".into()
        } else {
            other.into()
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn errors_name_the_feature() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[46.9,39.9]}}]}"#;
        assert_eq!(
            read_polygons(text).unwrap_err().to_string(),
            "feature 0: is a Point, not a Polygon or MultiPolygon"
        );
        assert!(read_polygons("{").unwrap_err().to_string().starts_with("not JSON"));
        assert!(read_polygons("[1,2]").unwrap_err().to_string().starts_with("not GeoJSON"));
        let text = r#"{"type":"Polygon","coordinates":[[[46.9,"x"]]]}"#;
        assert!(read_polygons(text).unwrap_err().to_string().contains("\"x\" is not a number"));
    }

    #[test]
    fn open_rings_are_kept_as_written() {
        let text = r#"{"type":"Feature","id":"H-1","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1]]]]}}"#;
        let f = read_polygons(text).unwrap();
        assert_eq!(f[0].label, "H-1");
        assert_eq!(f[0].polygons[0][0].len(), 3);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,200}") {
            let _ = read_polygons(&s);
        }
    }
}
