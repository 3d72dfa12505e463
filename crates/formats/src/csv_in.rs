//! CSV input: a header row, optionally an HXL hashtag row under it, then one
//! feature a row. Geometry comes from a `wkt` (or `geometry`) column, or from
//! `longitude`/`latitude` (`lon`/`lat`, `x`/`y`) columns; coordinates are WGS84
//! unless the import names a UTM zone (`--srs EPSG:32638`). The delimiter
//! (comma, semicolon or tab) is found from the header.
//!
//! ```
//! use safeground_formats::csv_in::CsvLayerReader;
//! let text = "longitude;latitude;name\n#geo+lon;#geo+lat;#loc+name\n46.9;39.9;Xıdırlı\n";
//! let reader = CsvLayerReader::new(text.as_bytes(), "places.csv", None).unwrap();
//! assert_eq!(reader.delimiter(), b';');
//! let mut got = vec![];
//! reader.read(&mut |r| { got.push((r.record.place.clone(), r.record.geometry.clone())); Ok(()) }).unwrap();
//! assert_eq!(got[0].0, "line 3");
//! assert_eq!(got[0].1.as_ref().unwrap()["coordinates"][0], 46.9);
//! ```

use crate::read::{Original, Read, ReadError, Sink};
use safeground_core::crs::Crs;
use safeground_core::import::InRecord;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::str::FromStr;

/// Where a table's rows keep their geometry.
pub(crate) enum Geometry {
    None,
    Wkt(usize),
    LonLat(usize, usize),
}

/// The geometry columns of a header: `wkt` (or `geometry`), else a longitude/latitude pair.
pub(crate) fn geometry_columns(header: &[String]) -> Geometry {
    match find(header, &["wkt", "geometry", "geom", "the_geom"]) {
        Some(i) => Geometry::Wkt(i),
        None => match (
            find(header, &["longitude", "lon", "long", "lng", "x"]),
            find(header, &["latitude", "lat", "y"]),
        ) {
            (Some(x), Some(y)) => Geometry::LonLat(x, y),
            _ => Geometry::None,
        },
    }
}

/// A CSV file being read.
pub struct CsvLayerReader<R: std::io::Read> {
    rdr: csv::Reader<BufReader<R>>,
    file: String,
    header: Vec<String>,
    delimiter: u8,
    geometry: Geometry,
    crs: Crs,
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

impl<R: std::io::Read> CsvLayerReader<R> {
    /// Reads the header (and an HXL row if there is one).
    pub fn new(input: R, file: &str, srs: Option<Crs>) -> Result<Self, ReadError> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let io = |source| ReadError::Io { file: file.to_string(), source };
        let head = buffered.fill_buf().map_err(io)?;
        let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
            .unwrap_or(b',');
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(buffered);
        let syntax =
            |place: String, message: String| ReadError::Syntax { file: file.to_string(), place, message };
        let mut record = csv::ByteRecord::new();
        let got = rdr.read_byte_record(&mut record).map_err(|e| syntax("line 1".into(), e.to_string()))?;
        if !got {
            return Err(syntax("line 1".into(), "the file is empty: a CSV layer needs a header row".into()));
        }
        let mut header = Vec::with_capacity(record.len());
        for (i, f) in record.iter().enumerate() {
            let text = std::str::from_utf8(f).map_err(|_| {
                syntax(
                    "line 1".into(),
                    format!("column {} of the header is not UTF-8 text; save the file as UTF-8", i + 1),
                )
            })?;
            header.push(text.trim_start_matches('\u{feff}').trim().to_string());
        }
        let geometry = geometry_columns(&header);
        Ok(CsvLayerReader {
            rdr,
            file: file.to_string(),
            header,
            delimiter,
            geometry,
            crs: srs.unwrap_or(Crs::Wgs84),
        })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Whether rows carry a geometry (a WKT or a longitude/latitude pair).
    pub fn has_geometry(&self) -> bool {
        !matches!(self.geometry, Geometry::None)
    }

    /// Reads every row, calling `sink` for each. Returns the number of rows.
    pub fn read(mut self, sink: &mut Sink<'_>) -> Result<usize, ReadError> {
        let mut record = csv::ByteRecord::new();
        let mut count = 0;
        let mut first = true;
        loop {
            let got = self.rdr.read_byte_record(&mut record).map_err(|e| ReadError::Syntax {
                file: self.file.clone(),
                place: e.position().map(|p| format!("line {}", p.line())).unwrap_or_else(|| "end".into()),
                message: e.to_string(),
            })?;
            if !got {
                return Ok(count);
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let fields: Vec<String> =
                record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            if first {
                first = false;
                // An HXL hashtag row: every filled cell is a hashtag.
                if fields.iter().any(|f| !f.trim().is_empty())
                    && fields.iter().all(|f| f.trim().is_empty() || f.trim().starts_with('#'))
                {
                    continue;
                }
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            count += 1;
            let mut problem = None;
            if std::str::from_utf8(record.as_slice()).is_err() {
                problem = Some("the row is not UTF-8 text; save the file as UTF-8".to_string());
            } else if fields.len() != self.header.len() {
                problem = Some(format!(
                    "the row has {} fields but the header has {}",
                    fields.len(),
                    self.header.len()
                ));
            }
            let geometry = if problem.is_some() {
                None
            } else {
                match row_geometry(&self.geometry, &self.header, &fields, self.crs) {
                    Ok(g) => g,
                    Err(e) => {
                        problem = Some(e);
                        None
                    }
                }
            };
            let values =
                self.header.iter().cloned().zip(fields.iter().map(|f| Value::from(f.as_str()))).collect();
            let read = Read {
                record: InRecord::new(format!("line {line}"), values, geometry),
                original: Original::Row(fields),
                problem,
            };
            sink(read).map_err(ReadError::Stopped)?;
        }
    }
}

/// The geometry of a row, converted to WGS84 from `crs`.
pub(crate) fn row_geometry(
    geometry: &Geometry,
    header: &[String],
    fields: &[String],
    crs: Crs,
) -> Result<Option<Value>, String> {
    let field = |i: usize| fields.get(i).map(String::as_str).unwrap_or_default();
    let mut g = match *geometry {
        Geometry::None => return Ok(None),
        Geometry::Wkt(i) => {
            let text = field(i).trim();
            if text.is_empty() {
                return Ok(None);
            }
            wkt_to_geojson(text).map_err(|e| format!("field '{}': {e}", header[i]))?
        }
        Geometry::LonLat(x, y) => {
            let (tx, ty) = (field(x).trim(), field(y).trim());
            if tx.is_empty() && ty.is_empty() {
                return Ok(None);
            }
            let num = |i: usize, t: &str| {
                t.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("field '{}': '{t}' is not a number", header[i]))
            };
            json!({"type": "Point", "coordinates": [num(x, tx)?, num(y, ty)?]})
        }
    };
    crs.transform(&mut g)?;
    if let Some(c) = g.get("coordinates") {
        check_range(c)?;
    }
    Ok(Some(g))
}

fn check_range(c: &Value) -> Result<(), String> {
    match c.as_array() {
        Some(a) if a.first().is_some_and(Value::is_number) => {
            let (x, y) =
                (a[0].as_f64().unwrap_or(f64::NAN), a.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN));
            if x.abs() <= 180.0 && y.abs() <= 90.0 {
                Ok(())
            } else {
                Err(format!(
                    "field 'geometry': ({x}, {y}) is not a longitude/latitude; if the file is in UTM, name its zone (--srs EPSG:326NN)"
                ))
            }
        }
        Some(a) => a.iter().try_for_each(check_range),
        None => Ok(()),
    }
}

/// A WKT Point, Polygon or MultiPolygon as a GeoJSON geometry, rings as written.
///
/// ```
/// use safeground_formats::csv_in::wkt_to_geojson;
/// let g = wkt_to_geojson("POLYGON ((46.9 39.9, 46.91 39.9, 46.91 39.91, 46.9 39.9))").unwrap();
/// assert_eq!(g["type"], "Polygon");
/// assert_eq!(g["coordinates"][0][1][0], 46.91);
/// assert!(wkt_to_geojson("LINESTRING (1 2, 3 4)").unwrap_err().contains("LineString"));
/// ```
pub fn wkt_to_geojson(text: &str) -> Result<Value, String> {
    use wkt::Wkt;
    let w = Wkt::<f64>::from_str(text).map_err(|e| format!("not WKT ({e})"))?;
    let ring = |l: &wkt::types::LineString<f64>| -> Value {
        Value::Array(l.coords().iter().map(|c| json!([c.x, c.y])).collect())
    };
    let polygon =
        |p: &wkt::types::Polygon<f64>| -> Value { Value::Array(p.rings().iter().map(ring).collect()) };
    match &w {
        Wkt::Point(p) => match p.coord() {
            Some(c) => Ok(json!({"type": "Point", "coordinates": [c.x, c.y]})),
            None => Err("the point is empty".into()),
        },
        Wkt::Polygon(p) => Ok(json!({"type": "Polygon", "coordinates": polygon(p)})),
        Wkt::MultiPolygon(m) => Ok(json!({
            "type": "MultiPolygon",
            "coordinates": Value::Array(m.polygons().iter().map(polygon).collect())
        })),
        Wkt::LineString(_) => Err("a LineString is not a Point, Polygon or MultiPolygon".into()),
        Wkt::MultiPoint(_) => Err("a MultiPoint is not a Point, Polygon or MultiPolygon".into()),
        Wkt::MultiLineString(_) => Err("a MultiLineString is not a Point, Polygon or MultiPolygon".into()),
        Wkt::GeometryCollection(_) => {
            Err("a GeometryCollection is not a Point, Polygon or MultiPolygon".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str, srs: Option<Crs>) -> Result<Vec<Read>, ReadError> {
        let r = CsvLayerReader::new(text.as_bytes(), "t.csv", srs)?;
        let mut out = vec![];
        r.read(&mut |x| {
            out.push(x);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn rows_with_problems_are_named_by_line() {
        let text =
            "id,wkt,name\n1,POINT (46.9 39.9),a\n2,POINT (46.9),b\n3,\"POINT (1 2)\"\n4,POINT (200 39),c\n";
        let r = read_all(text, None).unwrap();
        assert_eq!(r.len(), 4);
        assert!(r[0].problem.is_none());
        assert!(r[1].problem.as_ref().unwrap().contains("field 'wkt'"), "{:?}", r[1].problem);
        assert_eq!(r[2].record.place, "line 4");
        assert!(r[2].problem.as_ref().unwrap().contains("2 fields"));
        assert!(r[3].problem.as_ref().unwrap().contains("not a longitude/latitude"));
    }

    #[test]
    fn utm_columns_are_converted() {
        let text = "x,y,name\n650008,4402724,a\n";
        let r = read_all(text, Some(Crs::Utm { zone: 38, north: true })).unwrap();
        let c = &r[0].record.geometry.as_ref().unwrap()["coordinates"];
        assert!((c[1].as_f64().unwrap() - 39.76123).abs() < 1e-4);
        // Without the zone, UTM numbers are refused, with the way out in the message.
        let r = read_all(text, None).unwrap();
        assert!(r[0].problem.as_ref().unwrap().contains("--srs"));
    }

    #[test]
    fn empty_and_broken_files() {
        assert!(read_all("", None).unwrap_err().to_string().contains("empty"));
        let bad = b"na\xffme,x\n".to_vec();
        let r = CsvLayerReader::new(bad.as_slice(), "t.csv", None);
        assert!(r.err().unwrap().to_string().contains("UTF-8"));
    }
}
