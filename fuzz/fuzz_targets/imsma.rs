//! What comes from IMSMA never panics the migration: a mapping file of any
//! text, NG shapes of any points (numbers, order, repeats, missing
//! coordinates), IMSMA Core features of any rings, info versions and victims
//! of any values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use geo::{Geometry, LineString, MultiPolygon, Polygon};
use safeground_core::imsma::{assemble, check_feature, NgPoint, NgShape, ShapeKind};
use safeground_core::validate::Rules;
use safeground_imsma::mapping::Mapping;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Mapping::parse(text, "fuzz.toml");
        // The text as every column of a victim and of an info version.
        let value = serde_json::Value::String(text.to_string());
        let fields: Vec<(String, serde_json::Value)> = safeground_imsma::mapping::VICTIM_FIELDS
            .iter()
            .map(|f| (f.to_string(), value.clone()))
            .collect();
        let _ = safeground_imsma::victims::victim_of(&fields);
        let row: serde_json::Map<String, serde_json::Value> =
            [("date".to_string(), value.clone()), ("workbenchstatusenum_guid".to_string(), value)].into_iter().collect();
        let version = safeground_imsma::SourceVersion {
            guid: "v".into(),
            record: row.clone(),
            report: row,
            geometry: safeground_imsma::SourceGeometry::Shapes(vec![]),
            entered: None,
        };
        let o = safeground_imsma::SourceObject {
            guid: "h".into(),
            localid: None,
            record: Default::default(),
            geometry: safeground_imsma::SourceGeometry::Shapes(vec![]),
            entered: None,
            versions: vec![version],
            devices: vec![],
            refusal: None,
        };
        let rules = safeground_imsma::mapping::VersionRules { date: Some("fieldreport.date".into()), statuses: vec![text.into()], ..Default::default() };
        let _ = safeground_imsma::history::history(&o, &rules, &safeground_imsma::Codes::default());
        // The text as every column of a device on a reduction.
        let device: serde_json::Map<String, serde_json::Value> = ["cat", "model", "qty", "disp"]
            .iter()
            .map(|c| (c.to_string(), serde_json::Value::String(text.to_string())))
            .collect();
        let o = safeground_imsma::SourceObject { devices: vec![device], versions: vec![], ..o };
        if let Ok(m) = Mapping::parse(
            "[device]\ncategory = \"cat\"\neo_type = \"model\"\nquantity = \"qty\"\ndisposal = \"disp\"",
            "fuzz.toml",
        ) {
            let _ = safeground_imsma::devices::devices(&o, &m, &safeground_imsma::Codes::default());
        }
    }
    // Five bytes a point: its number, then longitude and latitude offsets
    // (a byte of 255 stands for a missing value); a zero number starts a new shape.
    let mut shapes: Vec<NgShape> = vec![];
    for chunk in data.chunks_exact(5) {
        if chunk[0] == 0 || shapes.is_empty() {
            let kind = if chunk[1] % 7 == 0 { ShapeKind::Points } else { ShapeKind::Polygon };
            shapes.push(NgShape { guid: format!("g{}", shapes.len()), shape_id: Some((chunk[2] % 3).to_string()), kind, active: chunk[3] % 5 != 0, points: vec![] });
        }
        let coord = |b: u8, base: f64| (b != 255).then(|| base + f64::from(b) * 1e-4);
        let point = NgPoint {
            pointno: Some(i64::from(chunk[0] % 16)),
            local_id: Some(format!("p{}", chunk[4] % 4)),
            lon: coord(chunk[1], 46.9),
            lat: coord(chunk[2], 39.9),
            guid: Some(format!("p{}", chunk[0])),
            // Every point walked from the one numbered by its fourth byte.
            leg: Some(safeground_core::imsma::Leg {
                from: format!("p{}", chunk[3] % 16),
                bearing_deg: f64::from(chunk[4]) * 1.5,
                distance_m: f64::from(chunk[3]),
            }),
        };
        if let Some(s) = shapes.last_mut() {
            s.points.push(point);
        }
    }
    let a = assemble(&shapes, &Rules::default());
    assert_eq!(a.polygons.is_none(), a.findings.iter().any(|f| f.severity() == safeground_core::imsma::Severity::Refused));
    // The same bytes as an IMSMA Core feature: a zero number starts a new
    // part, a number of 1 a hole of the part.
    let mut parts: Vec<Vec<Vec<geo::Coord<f64>>>> = vec![];
    for chunk in data.chunks_exact(5) {
        match chunk[0] {
            0 => parts.push(vec![vec![]]),
            1 => parts.last_mut().into_iter().for_each(|p| p.push(vec![])),
            _ => {}
        }
        if parts.is_empty() {
            parts.push(vec![vec![]]);
        }
        let c = geo::Coord { x: 46.9 + f64::from(chunk[1]) * 1e-4, y: 39.9 + f64::from(chunk[2]) * 1e-4 };
        if let Some(ring) = parts.last_mut().and_then(|p| p.last_mut()) {
            ring.push(c);
        }
    }
    let polygons = parts
        .into_iter()
        .map(|mut rings| {
            let shell = LineString(rings.remove(0));
            Polygon::new(shell, rings.into_iter().map(LineString).collect())
        })
        .collect();
    let g = Geometry::MultiPolygon(MultiPolygon(polygons));
    let a = check_feature(Some(&g), &Rules::default());
    assert_eq!(a.polygons.is_none(), a.findings.iter().any(|f| f.severity() == safeground_core::imsma::Severity::Refused));
});
