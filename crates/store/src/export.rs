//! Reading a layer out, one feature at a time, as the register stands or as
//! it stood: the store's half of every export. Formats write what it yields.

use crate::{Store, StoreError};
use geo::Geometry;
use rusqlite::types::ValueRef;
pub use safeground_core::layer::Layer;
use safeground_core::wkb::decode_gpkg;
use serde_json::Value;

/// The query that yields `layer`'s features (geometry first, then its columns).
fn sql(layer: Layer, dialect: crate::Dialect) -> &'static str {
    match layer {
        Layer::Hazards => include_str!("../sql/export/hazards.sql"),
        Layer::ReleasedAreas => dialect.pick(
            include_str!("../sql/export/released_areas.sql"),
            include_str!("../sql/postgres/export/released_areas.sql"),
        ),
        Layer::EoFinds => include_str!("../sql/export/eo_finds.sql"),
        Layer::Accidents => include_str!("../sql/export/accidents.sql"),
        Layer::EoreSessions => include_str!("../sql/export/eore_sessions.sql"),
        Layer::Tasks => include_str!("../sql/export/tasks.sql"),
        Layer::Settlements => include_str!("../sql/export/settlements.sql"),
        Layer::Districts => include_str!("../sql/export/districts.sql"),
        Layer::Organisations => include_str!("../sql/export/organisations.sql"),
    }
}

/// One feature: attribute values in [`Layer::columns`] order, and its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub values: Vec<Value>,
    pub geometry: Option<Geometry<f64>>,
}

impl Store {
    /// Refuses (`Unknown`) a district the register does not have, by either spelling.
    pub fn district_known(&self, name: &str) -> Result<(), StoreError> {
        let known: bool = self.conn.query_row(
            "SELECT count(*) > 0 FROM districts WHERE name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
            [name],
            |r| r.get(0),
        )?;
        if known {
            Ok(())
        } else {
            Err(StoreError::Unknown { what: "district", key: name.to_string() })
        }
    }

    /// Streams a layer's features to `sink`, as of `bound` (exclusive, UTC,
    /// RFC 3339; `None` for now), optionally in one district. Returns the count.
    pub fn export(
        &self,
        layer: Layer,
        bound: Option<&str>,
        district: Option<&str>,
        sink: &mut dyn FnMut(Feature) -> std::io::Result<()>,
    ) -> Result<usize, StoreError> {
        if let Some(d) = district {
            self.district_known(d)?;
        }
        let bound = bound.unwrap_or("9999-12-31T00:00:00Z");
        let n = layer.columns().len();
        let mut count = 0;
        let sql = sql(layer, self.conn.dialect());
        self.conn.for_each(sql, rusqlite::params![bound, district], &mut |r| {
            let geometry = match r.get_ref(0)? {
                ValueRef::Blob(b) => Some(
                    decode_gpkg(b)
                        .map_err(|e| StoreError::Invalid {
                            record: format!("{} feature {}", layer.name(), count + 1),
                            problem: format!("stored geometry cannot be read: {e}"),
                        })?
                        .1,
                ),
                _ => None,
            };
            let mut values = Vec::with_capacity(n);
            for i in 1..=n {
                values.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::from(v),
                    ValueRef::Real(v) => Value::from(v),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => Value::Null,
                });
            }
            sink(Feature { values, geometry }).map_err(|source| StoreError::Io {
                path: format!("the {} export", layer.name()).into(),
                source,
            })?;
            count += 1;
            Ok(true)
        })?;
        Ok(count)
    }
}
