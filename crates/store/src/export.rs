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

/// The row of a layer's export query as a feature; `n` counts it, for messages.
fn feature(layer: Layer, r: &crate::db::Row<'_>, n: usize) -> Result<Feature, StoreError> {
    let geometry = match r.get_ref(0)? {
        ValueRef::Blob(b) => Some(
            decode_gpkg(b)
                .map_err(|e| StoreError::Invalid {
                    record: format!("{} feature {n}", layer.name()),
                    problem: format!("stored geometry cannot be read: {e}"),
                })?
                .1,
        ),
        _ => None,
    };
    let mut values = Vec::with_capacity(layer.columns().len());
    for i in 1..=layer.columns().len() {
        values.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::from(v),
            ValueRef::Real(v) => Value::from(v),
            ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(_) => Value::Null,
        });
    }
    Ok(Feature { values, geometry })
}

impl Store {
    /// One page of a layer as it stands (in one district, or all), in the
    /// export's order, and how many features it has in all: paged by the
    /// database.
    pub fn export_page(
        &self,
        layer: Layer,
        district: Option<&str>,
        page: crate::Paging,
    ) -> Result<(usize, Vec<Feature>), StoreError> {
        if let Some(d) = district {
            self.district_known(d)?;
        }
        let bound = "9999-12-31T00:00:00Z";
        let inner = sql(layer, self.conn.dialect());
        // The count and the page from one snapshot.
        let _snapshot = self.conn.begin_read()?;
        // The export's query whole, its comments and order kept inside.
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM (\n{inner}\n) AS layer"),
            rusqlite::params![bound, district],
            |r| r.get(0),
        )?;
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
        let mut out = vec![];
        self.conn.for_each(
            &format!("SELECT * FROM (\n{inner}\n) AS layer LIMIT ?3 OFFSET ?4"),
            rusqlite::params![bound, district, limit, offset],
            &mut |r| {
                out.push(feature(layer, r, page.offset + out.len() + 1)?);
                Ok(true)
            },
        )?;
        Ok((usize::try_from(total).unwrap_or(0), out))
    }

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
        let mut count = 0;
        let sql = sql(layer, self.conn.dialect());
        self.conn.for_each(sql, rusqlite::params![bound, district], &mut |r| {
            sink(feature(layer, r, count + 1)?).map_err(|source| StoreError::Io {
                path: format!("the {} export", layer.name()).into(),
                source,
            })?;
            count += 1;
            Ok(true)
        })?;
        Ok(count)
    }
}
