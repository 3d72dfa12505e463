//! Property: whatever text and numbers a record holds (commas, quotes, line
//! breaks, XML markup, any Unicode), writing it in a format and reading it
//! back gives the same fields and the same point, in GeoJSON, CSV and KML.

use geo::{Geometry, Point};
use proptest::prelude::*;
use safeground_core::import::InRecord;
use safeground_formats::csv_in::CsvLayerReader;
use safeground_formats::csv_out::CsvLayerWriter;
use safeground_formats::geojson_in::read_geojson;
use safeground_formats::geojson_out::GeoJsonWriter;
use safeground_formats::kml_in::read_kml;
use safeground_formats::kml_out::KmlWriter;
use serde_json::Value;

const COLUMNS: [&str; 4] = ["id", "eo_type", "quantity", "fuze_state"];

/// Text as people type it: no control characters other than line breaks and
/// tabs (XML 1.0 cannot carry the others), nothing only spaces (readers trim).
fn text() -> impl Strategy<Value = String> {
    "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\r]{1,40}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn record() -> impl Strategy<Value = (Vec<Value>, (f64, f64))> {
    (prop::collection::vec((text(), text(), 1i64..100_000), 1..5), (-180.0f64..180.0, -90.0f64..90.0))
        .prop_map(|(rows, p)| {
            let (a, b, q) = rows[0].clone();
            (
                vec![
                    Value::from(format!("r-{}", rows.len())),
                    Value::from(a),
                    Value::from(q),
                    Value::from(b),
                ],
                p,
            )
        })
}

fn read_back(records: &[InRecord]) -> Vec<(Vec<Option<String>>, Vec<f64>)> {
    records
        .iter()
        .map(|r| {
            let fields = COLUMNS.iter().map(|c| r.text(c)).collect();
            let c = r
                .geometry
                .as_ref()
                .map(|g| g["coordinates"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect());
            (fields, c.unwrap_or_default())
        })
        .collect()
}

fn expected(rows: &[(Vec<Value>, (f64, f64))]) -> Vec<(Vec<Option<String>>, Vec<f64>)> {
    rows.iter()
        .map(|(v, (x, y))| {
            let fields = v
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.trim().to_string()),
                    other => Some(other.to_string()),
                })
                .collect();
            (fields, vec![*x, *y])
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn records_survive_every_text_format(rows in prop::collection::vec(record(), 1..6)) {
        let point = |(x, y): (f64, f64)| Geometry::Point(Point::new(x, y));
        let want = expected(&rows);

        let mut w = GeoJsonWriter::new(Vec::new(), &COLUMNS).unwrap();
        for (v, p) in &rows { w.feature(v, Some(&point(*p))).unwrap(); }
        let bytes = w.finish().unwrap();
        let mut got = vec![];
        read_geojson(bytes.as_slice(), "t.geojson", None, &mut |r| { got.push(r.record); Ok(()) }).unwrap();
        prop_assert_eq!(read_back(&got), want.clone());

        let mut bytes = vec![];
        let mut w = CsvLayerWriter::new(&mut bytes, &COLUMNS, true, true).unwrap();
        for (v, p) in &rows { w.feature(v, Some(&point(*p))).unwrap(); }
        w.finish().unwrap();
        let reader = CsvLayerReader::new(bytes.as_slice(), "t.csv", None).unwrap();
        let mut got = vec![];
        let mut problems = vec![];
        reader.read(&mut |r| { problems.extend(r.problem); got.push(r.record); Ok(()) }).unwrap();
        prop_assert!(problems.is_empty(), "{:?}", problems);
        prop_assert_eq!(read_back(&got), want.clone());

        let mut w = KmlWriter::new(Vec::new(), "eo_finds", &COLUMNS).unwrap();
        for (v, p) in &rows { w.feature(v, Some(&point(*p))).unwrap(); }
        let bytes = w.finish().unwrap();
        let mut got = vec![];
        read_kml(bytes.as_slice(), "t.kml", &mut |r| { got.push(r.record); Ok(()) }).unwrap();
        prop_assert_eq!(read_back(&got), want);
    }
}
