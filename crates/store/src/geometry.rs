//! Geometry and date columns: GeoPackage blobs and ISO dates.

use crate::StoreError;
use geo::{Geometry, MultiPolygon, Point};
use safeground_core::wkb::{decode_gpkg, encode_gpkg};
use time::Date;

/// The SRS of every layer: WGS84 longitude/latitude.
pub const SRS_WGS84: i32 = 4326;

pub fn multipolygon_blob(mp: &MultiPolygon<f64>) -> Vec<u8> {
    encode_gpkg(&Geometry::MultiPolygon(mp.clone()), SRS_WGS84)
}

pub fn point_blob(p: &Point<f64>) -> Vec<u8> {
    encode_gpkg(&Geometry::Point(*p), SRS_WGS84)
}

fn bad(record: &str, problem: String) -> StoreError {
    StoreError::Invalid { record: record.to_string(), problem }
}

/// Reads a stored multipolygon (a polygon is promoted).
pub fn read_multipolygon(blob: &[u8], record: &str) -> Result<MultiPolygon<f64>, StoreError> {
    match decode_gpkg(blob).map_err(|e| bad(record, format!("stored geometry cannot be read: {e}")))?.1 {
        Geometry::MultiPolygon(mp) => Ok(mp),
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        other => Err(bad(record, format!("stored geometry is a {}, not a polygon", kind(&other)))),
    }
}

/// Reads a stored point.
pub(crate) fn read_point(blob: &[u8], record: &str) -> Result<Point<f64>, StoreError> {
    match decode_gpkg(blob).map_err(|e| bad(record, format!("stored geometry cannot be read: {e}")))?.1 {
        Geometry::Point(p) => Ok(p),
        other => Err(bad(record, format!("stored geometry is a {}, not a point", kind(&other)))),
    }
}

fn kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "point",
        Geometry::Line(_) | Geometry::LineString(_) => "line",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "polygon",
        Geometry::MultiPoint(_) => "multipoint",
        Geometry::MultiLineString(_) => "multiline",
        Geometry::MultiPolygon(_) => "multipolygon",
        Geometry::GeometryCollection(_) => "geometry collection",
    }
}

/// A date as stored: `YYYY-MM-DD` (GeoPackage DATE).
pub fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A date as stored ([`date_text`]), read back (the day of a timestamp);
/// `record` names what holds it.
pub(crate) fn stored_date(text: &str, record: &str) -> Result<Date, crate::StoreError> {
    let day = text.get(..10).unwrap_or(text);
    Date::parse(day, &time::format_description::well_known::Iso8601::DATE).map_err(|e| {
        crate::StoreError::Invalid { record: record.into(), problem: format!("stored date '{text}': {e}") }
    })
}

/// `v` as SQLite's R-tree stores a box's lower corner: the nearest 32-bit
/// float, or when that is above `v`, `v` scaled down by one part in 2²³
/// (`rtreeValueDown` in SQLite's rtree.c). PostgreSQL reads exact values
/// where the GeoPackage reads its R-tree; rounded so, both give the same.
pub(crate) fn rtree_down(v: f64) -> f64 {
    let f = v as f32;
    if f64::from(f) <= v {
        return f64::from(f);
    }
    let scale = if v < 0.0 { 1.0 + 1.0 / 8_388_608.0 } else { 1.0 - 1.0 / 8_388_608.0 };
    f64::from((v * scale) as f32)
}

/// `v` as SQLite's R-tree stores a box's upper corner (`rtreeValueUp`).
pub(crate) fn rtree_up(v: f64) -> f64 {
    let f = v as f32;
    if f64::from(f) >= v {
        return f64::from(f);
    }
    let scale = if v < 0.0 { 1.0 - 1.0 / 8_388_608.0 } else { 1.0 + 1.0 / 8_388_608.0 };
    f64::from((v * scale) as f32)
}

/// A box read from columns `first`..`first + 3` (west, south, east, north)
/// as the GeoPackage's R-tree keeps it: PostGIS's exact extent rounded
/// outwards (`exact`), the R-tree's own as it is.
pub(crate) fn rtree_box(
    r: &crate::db::Row<'_>,
    first: usize,
    exact: bool,
) -> Result<[f64; 4], crate::StoreError> {
    let b: [f64; 4] = [r.get(first)?, r.get(first + 1)?, r.get(first + 2)?, r.get(first + 3)?];
    Ok(if exact { [rtree_down(b[0]), rtree_down(b[1]), rtree_up(b[2]), rtree_up(b[3])] } else { b })
}

#[cfg(test)]
mod rtree_tests {
    #[test]
    fn corners_round_outwards_to_floats() {
        for v in [46.912_345_678_9_f64, -12.345_678_9, 0.1, 39.0] {
            let (d, u) = (super::rtree_down(v), super::rtree_up(v));
            assert!(d <= v && v <= u && u - d < 1e-5, "{v}: {d} {u}");
            assert_eq!(d as f32 as f64, d);
            assert_eq!(u as f32 as f64, u);
        }
        assert_eq!(super::rtree_down(0.5), 0.5);
    }
}
