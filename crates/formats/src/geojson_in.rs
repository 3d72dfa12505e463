//! Streaming GeoJSON input: the features of a FeatureCollection are read one
//! at a time, whatever the file's size, in constant memory.
//!
//! Coordinates are WGS84 longitude/latitude (RFC 7946). A legacy `crs` member
//! (GeoJSON 2008, as `ogr2ogr` writes for projected data) naming a WGS84 / UTM
//! zone is honoured when it comes before `features`; any other system is
//! refused by its EPSG code.
//!
//! ```
//! use safeground_formats::geojson_in::read_geojson;
//! let text = r#"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","properties":{"name":"Xıdırlı"},"geometry":{"type":"Point","coordinates":[46.9,39.9]}},
//!   {"type":"Feature","properties":{"name":"Kəngərli"},"geometry":null}]}"#;
//! let mut names = vec![];
//! let n = read_geojson(text.as_bytes(), "places.geojson", None, &mut |r| {
//!     names.push(r.record.text("name").unwrap());
//!     Ok(())
//! }).unwrap();
//! assert_eq!((n, names.len()), (2, 2));
//! ```

use crate::read::{Original, Read, ReadError, Sink};
use safeground_core::crs::Crs;
use safeground_core::import::InRecord;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::io::BufReader;

struct State<'s, 'a> {
    file: &'s str,
    crs: Crs,
    crs_given: bool,
    features_seen: bool,
    count: usize,
    sink: &'s mut Sink<'a>,
    /// Why the reading stopped, when the sink or a rule (not the JSON) stopped it.
    stop: Option<ReadError>,
}

/// Reads the features of a GeoJSON FeatureCollection from `input`, calling
/// `sink` for each. `srs` is the system of a file without a `crs` member
/// (WGS84 by default). Returns the number of features.
pub fn read_geojson<R: std::io::Read>(
    input: R,
    file: &str,
    srs: Option<Crs>,
    sink: &mut Sink<'_>,
) -> Result<usize, ReadError> {
    let mut state = State {
        file,
        crs: srs.unwrap_or(Crs::Wgs84),
        crs_given: false,
        features_seen: false,
        count: 0,
        sink,
        stop: None,
    };
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, input));
    let result = TopLevel(&mut state).deserialize(&mut de).and_then(|kind| {
        de.end()?;
        Ok(kind)
    });
    if let Some(stop) = state.stop.take() {
        return Err(stop);
    }
    let syntax =
        |message: String, place: String| ReadError::Syntax { file: file.to_string(), place, message };
    match result {
        Err(e) if e.is_io() => Err(ReadError::Io { file: file.to_string(), source: e.into() }),
        Err(e) => {
            let place = format!("line {} column {}", e.line(), e.column());
            let message = if e.is_eof() {
                format!("the file ends too early (truncated?) after {} features", state.count)
            } else {
                e.to_string().split(" at line").next().unwrap_or_default().to_string()
            };
            Err(syntax(message, place))
        }
        Ok(kind) => {
            if kind.as_deref().is_some_and(|k| k != "FeatureCollection") || !state.features_seen {
                return Err(syntax(
                    format!(
                        "not a GeoJSON FeatureCollection (its type is {}); import reads a FeatureCollection of features",
                        kind.unwrap_or_else(|| "missing".into())
                    ),
                    "top level".into(),
                ));
            }
            Ok(state.count)
        }
    }
}

struct TopLevel<'x, 's, 'a>(&'x mut State<'s, 'a>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_, '_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let state = self.0;
        let mut kind = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value::<String>()?),
                "crs" => {
                    let crs: Value = map.next_value()?;
                    let name = crs.pointer("/properties/name").and_then(Value::as_str).unwrap_or_default();
                    let parsed = Crs::parse(name)
                        .map_err(|source| ReadError::Crs { file: state.file.to_string(), source });
                    match parsed {
                        Err(e) => {
                            state.stop = Some(e);
                            return Err(de::Error::custom("stopped"));
                        }
                        Ok(c) if state.features_seen && c != state.crs => {
                            state.stop = Some(ReadError::Syntax {
                                file: state.file.to_string(),
                                place: "the crs member".into(),
                                message: format!(
                                    "the file declares {} after its features; put `crs` before `features` \
                                     (as ogr2ogr does) or convert the file to WGS84",
                                    c.epsg()
                                ),
                            });
                            return Err(de::Error::custom("stopped"));
                        }
                        Ok(c) => {
                            state.crs = c;
                            state.crs_given = true;
                        }
                    }
                }
                "features" => {
                    state.features_seen = true;
                    map.next_value_seed(Features(&mut *state))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(kind)
    }
}

struct Features<'x, 's, 'a>(&'x mut State<'s, 'a>);

impl<'de> DeserializeSeed<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(feature) = seq.next_element::<Value>()? {
            state.count += 1;
            let read = feature_record(feature, state.count, state.crs);
            if let Err(message) = (state.sink)(read) {
                state.stop = Some(ReadError::Stopped(message));
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// A feature as a record; what is wrong with it is left for the import to reject.
fn feature_record(feature: Value, index: usize, crs: Crs) -> Read {
    let place = format!("feature {index}");
    let mut fields = vec![];
    let mut geometry = None;
    let mut problem = None;
    match feature.as_object() {
        Some(obj) if obj.get("type").and_then(Value::as_str) == Some("Feature") => {
            match obj.get("properties") {
                Some(Value::Object(p)) => fields.extend(p.iter().map(|(k, v)| (k.clone(), v.clone()))),
                None | Some(Value::Null) => {}
                Some(_) => problem = Some("its properties are not an object".to_string()),
            }
            if let Some(Value::String(id)) = obj.get("id") {
                if !fields.iter().any(|(k, _)| k.eq_ignore_ascii_case("id"))
                    && uuid::Uuid::parse_str(id).is_ok()
                {
                    fields.push(("id".into(), Value::from(id.clone())));
                }
            }
            match obj.get("geometry") {
                None | Some(Value::Null) => {}
                Some(g @ Value::Object(_)) => {
                    let mut g = g.clone();
                    match crs.transform(&mut g) {
                        Ok(()) => geometry = Some(g),
                        Err(e) => problem = Some(format!("field 'geometry': {e}")),
                    }
                }
                Some(_) => problem = Some("field 'geometry': it is not a GeoJSON geometry object".into()),
            }
        }
        _ => problem = Some("it is not a GeoJSON Feature object".into()),
    }
    Read { record: InRecord::new(place, fields, geometry), original: Original::Feature(feature), problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<Vec<Read>, ReadError> {
        let mut out = vec![];
        read_geojson(text.as_bytes(), "t.geojson", None, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn truncated_and_malformed_files_are_errors_with_a_place() {
        let good =
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}"#;
        assert_eq!(read_all(good).unwrap().len(), 1);
        for cut in [10, 40, good.len() - 2] {
            let e = read_all(&good[..cut]).unwrap_err().to_string();
            assert!(e.starts_with("t.geojson, line 1"), "{e}");
        }
        let e = read_all(r#"{"type":"Feature","properties":{}}"#).unwrap_err().to_string();
        assert!(e.contains("not a GeoJSON FeatureCollection"), "{e}");
        let e = read_all(r#"{"type":"FeatureCollection","features":[]} trailing"#).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        assert!(read_all("[1,2]").is_err());
    }

    #[test]
    fn a_utm_crs_member_is_honoured_and_others_refused() {
        let utm = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32638"}},
          "features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[650008,4402724]}}]}"#;
        let r = read_all(utm).unwrap();
        let c = r[0].record.geometry.as_ref().unwrap()["coordinates"].clone();
        assert!((c[0].as_f64().unwrap() - 46.75123).abs() < 1e-4, "{c}");
        let merc = utm.replace("32638", "3395");
        assert!(read_all(&merc).unwrap_err().to_string().contains("EPSG:3395"));
    }

    #[test]
    fn a_bad_feature_is_a_record_with_its_problem() {
        let text = r#"{"type":"FeatureCollection","features":[42,{"type":"Feature","properties":[],"geometry":null}]}"#;
        let r = read_all(text).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].problem.as_ref().unwrap().contains("not a GeoJSON Feature"));
        assert!(r[1].problem.as_ref().unwrap().contains("properties"));
    }
}
