//! Map tiles: the features of a layer in a tile, found through the
//! GeoPackage spatial index, encoded as a Mapbox Vector Tile
//! ([`safeground_core::mvt`]). EO finds are clustered below zoom 14.

use crate::{Store, StoreError};
use rusqlite::types::ValueRef;
use safeground_core::codes::{EoCategory, HazardStatus, ReleaseOutcome};
use safeground_core::mvt::{cluster, encode_tile, Feature, TileId, Value};
use safeground_core::wkb::decode_gpkg;

/// The layers served as tiles.
pub const TILE_LAYERS: [&str; 7] =
    ["country", "districts", "settlements", "hazards", "released_areas", "eo_finds", "residuals"];

/// A layer's query: the GeoPackage's R-tree or PostGIS's GiST index.
macro_rules! both {
    ($d:expr, $file:literal) => {
        $d.pick(
            include_str!(concat!("../sql/tiles/", $file)),
            include_str!(concat!("../sql/postgres/tiles/", $file)),
        )
    };
}

fn sql(layer: &str, d: crate::Dialect) -> Option<&'static str> {
    Some(match layer {
        "hazards" => both!(d, "hazards.sql"),
        "released_areas" => both!(d, "released_areas.sql"),
        "eo_finds" => both!(d, "eo_finds.sql"),
        "settlements" => both!(d, "settlements.sql"),
        "districts" => both!(d, "districts.sql"),
        "country" => both!(d, "country.sql"),
        "residuals" => both!(d, "residuals.sql"),
        _ => return None,
    })
}

/// Below this zoom, features carry only what styles them (a country-wide
/// tile of 100,000 hazards would otherwise be megabytes of names); the map
/// zooms in to show a feature's details.
pub const DETAIL_ZOOM: u8 = 12;
/// Below this zoom, EO finds are drawn as clusters.
pub const CLUSTER_BELOW: u8 = 14;
const STYLE_KEYS: [&str; 5] = ["status", "kind", "outcome", "category", "quantity"];

/// Settlements drawn per tile at low zoom, the most populous first, so that
/// a country-wide tile stays light.
fn settlement_limit(z: u8) -> usize {
    match z {
        0..=7 => 40,
        8..=9 => 200,
        _ => usize::MAX,
    }
}

impl Store {
    /// A stamp that changes whenever anything a tile shows may have changed
    /// (every approval and import records an event; reference data is counted),
    /// for caching tiles: the newest event's number, then its id (a register
    /// restored to an earlier moment numbers new events as undone ones were,
    /// never with the same id), then the reference data's counts.
    pub fn change_stamp(&self) -> Result<String, StoreError> {
        self.conn.query_row(
            "SELECT (SELECT coalesce(max(seq), 0) FROM events) || ':' ||
                    coalesce((SELECT id FROM events ORDER BY seq DESC LIMIT 1), '') || ':' ||
                    (SELECT count(*) FROM districts) || ':' ||
                    (SELECT count(*) FROM settlements) || ':' || (SELECT count(*) FROM country)",
            (),
            |r| r.get(0),
        )
    }

    /// The Mapbox Vector Tile of `layer` (one of [`TILE_LAYERS`]) at `tile`,
    /// one MVT layer named like it. `Ok(None)` when the layer is not served as tiles.
    pub fn tile(&self, layer: &str, tile: TileId) -> Result<Option<Vec<u8>>, StoreError> {
        if layer == "eo_finds" && tile.z < CLUSTER_BELOW {
            return self.cluster_tile(tile).map(Some);
        }
        let Some(query) = sql(layer, self.conn.dialect()) else { return Ok(None) };
        let [w, s, e, n] = tile.buffered_bounds();
        let mut stmt = self.conn.prepare_cached(query)?;
        let names: Vec<String> = stmt.column_names().iter().skip(2).map(|c| c.to_string()).collect();
        let mut rows = stmt.query(rusqlite::params![w, s, e, n])?;
        let mut features = vec![];
        let limit = if layer == "settlements" { settlement_limit(tile.z) } else { usize::MAX };
        while let Some(r) = rows.next()? {
            if features.len() >= limit {
                break;
            }
            let fid: i64 = r.get(0)?;
            let geometry = match r.get_ref(1)? {
                ValueRef::Blob(b) => {
                    decode_gpkg(b)
                        .map_err(|e| StoreError::Invalid {
                            record: format!("{layer} feature {fid}"),
                            problem: format!("stored geometry cannot be read: {e}"),
                        })?
                        .1
                }
                _ => continue,
            };
            let mut properties = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                if tile.z < DETAIL_ZOOM
                    && !(STYLE_KEYS.contains(&name.as_str()) || (layer == "settlements" && name == "name"))
                {
                    continue;
                }
                let v = match r.get_ref(i + 2)? {
                    ValueRef::Null | ValueRef::Blob(_) => continue,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Double(v),
                    ValueRef::Text(t) => Value::Str(String::from_utf8_lossy(t).into_owned()),
                };
                properties.push((name.clone(), v));
            }
            features.push(Feature { id: Some(fid as u64), properties, geometry });
        }
        Ok(Some(encode_tile(tile, &[(layer, features)])))
    }

    /// EO finds below [`CLUSTER_BELOW`]: clusters on a 64-cell grid, read
    /// from the spatial index (a point's box is the point) without decoding
    /// a million geometries.
    fn cluster_tile(&self, tile: TileId) -> Result<Vec<u8>, StoreError> {
        let [w, s, e, n] = tile.buffered_bounds();
        let mut stmt = self.conn.prepare_cached(both!(self.conn.dialect(), "eo_finds_clusters.sql"))?;
        let mut rows = stmt.query(rusqlite::params![w, s, e, n])?;
        let mut features = vec![];
        // The GeoPackage's R-tree keeps a point as a box of 32-bit floats
        // rounded down; PostGIS's exact point is rounded the same way, so
        // that both backends draw the same clusters.
        let exact = self.conn.dialect() == crate::Dialect::Postgres;
        while let Some(r) = rows.next()? {
            let (fid, mut x, mut y): (i64, f64, f64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if exact {
                (x, y) = (crate::geometry::rtree_down(x), crate::geometry::rtree_down(y));
            }
            let category: String = r.get(3)?;
            let quantity: i64 = r.get(4)?;
            features.push(Feature {
                id: Some(fid as u64),
                properties: vec![
                    ("category".into(), Value::Str(category)),
                    ("quantity".into(), Value::Int(quantity)),
                ],
                geometry: geo::Geometry::Point(geo::Point::new(x, y)),
            });
        }
        let features = cluster(tile, features, 64, Some("quantity"));
        Ok(encode_tile(tile, &[("eo_finds", features)]))
    }
}

/// The register's ground in a box, for a printed map: what the tiles of
/// that box show, as shapes.
#[derive(Debug, Clone, Default)]
pub struct MapGround {
    pub districts: Vec<geo::MultiPolygon<f64>>,
    /// Hazards in force, by status.
    pub hazards: Vec<(HazardStatus, geo::MultiPolygon<f64>)>,
    pub released: Vec<(ReleaseOutcome, geo::MultiPolygon<f64>)>,
    pub finds: Vec<(EoCategory, geo::Point<f64>)>,
    /// EO found or accidents inside released ground (residual contamination).
    pub residuals: Vec<geo::Point<f64>>,
}

impl Store {
    /// What meets the box west, south, east, north, through the spatial
    /// index, as the map's tiles find it, in one snapshot.
    pub fn map_ground(&self, bbox: [f64; 4]) -> Result<MapGround, StoreError> {
        use crate::geometry::{read_multipolygon, read_point};
        use crate::read::stored_code;
        let _snapshot = self.conn.begin_read()?;
        let d = self.conn.dialect();
        let mut ground = MapGround::default();
        self.each_in(both!(d, "districts.sql"), bbox, |r| {
            let blob: Vec<u8> = r.get(1)?;
            ground.districts.push(read_multipolygon(&blob, "district")?);
            Ok(())
        })?;
        self.each_in(both!(d, "hazards.sql"), bbox, |r| {
            let (code, status, blob): (String, String, Vec<u8>) = (r.get(3)?, r.get(5)?, r.get(1)?);
            let record = format!("hazard {code}");
            ground.hazards.push((stored_code(&status, &record)?, read_multipolygon(&blob, &record)?));
            Ok(())
        })?;
        self.each_in(both!(d, "released_areas.sql"), bbox, |r| {
            let (code, outcome, blob): (String, String, Vec<u8>) = (r.get(3)?, r.get(4)?, r.get(1)?);
            let record = format!("released ground of {code}");
            ground.released.push((stored_code(&outcome, &record)?, read_multipolygon(&blob, &record)?));
            Ok(())
        })?;
        self.each_in(both!(d, "eo_finds.sql"), bbox, |r| {
            let (id, category, blob): (String, String, Vec<u8>) = (r.get(2)?, r.get(3)?, r.get(1)?);
            let record = format!("EO find {id}");
            ground.finds.push((stored_code(&category, &record)?, read_point(&blob, &record)?));
            Ok(())
        })?;
        self.each_in(both!(d, "residuals.sql"), bbox, |r| {
            let (id, blob): (String, Vec<u8>) = (r.get(2)?, r.get(1)?);
            ground.residuals.push(read_point(&blob, &format!("residual {id}"))?);
            Ok(())
        })?;
        Ok(ground)
    }

    /// Runs `f` on each row of a tile query over `bbox`.
    fn each_in(
        &self,
        sql: &str,
        [w, s, e, n]: [f64; 4],
        mut f: impl FnMut(&crate::db::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params![w, s, e, n])?;
        while let Some(r) = rows.next()? {
            f(&r)?;
        }
        Ok(())
    }
}
