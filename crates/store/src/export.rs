//! Reading a layer out, one feature at a time, as the register stands or as
//! it stood: the store's half of every export. Formats write what it yields.

use crate::{Store, StoreError};
use geo::Geometry;
use rusqlite::types::ValueRef;
use safeground_core::wkb::decode_gpkg;
use serde_json::Value;
use std::str::FromStr;

/// The layers that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Hazards,
    ReleasedAreas,
    EoFinds,
    Accidents,
    EoreSessions,
    Tasks,
    Settlements,
    Districts,
}

impl Layer {
    pub const ALL: [Layer; 8] = [
        Layer::Hazards,
        Layer::ReleasedAreas,
        Layer::EoFinds,
        Layer::Accidents,
        Layer::EoreSessions,
        Layer::Tasks,
        Layer::Settlements,
        Layer::Districts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Hazards => "hazards",
            Layer::ReleasedAreas => "released_areas",
            Layer::EoFinds => "eo_finds",
            Layer::Accidents => "accidents",
            Layer::EoreSessions => "eore_sessions",
            Layer::Tasks => "tasks",
            Layer::Settlements => "settlements",
            Layer::Districts => "districts",
        }
    }

    /// The attribute columns, in order, after the geometry.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Layer::Hazards => &[
                "id",
                "code",
                "name",
                "kind",
                "status",
                "district",
                "contamination",
                "land_use",
                "recorded_on",
                "recorded_by",
                "area_recorded_m2",
                "area_cancelled_m2",
                "area_reduced_m2",
                "area_cleared_m2",
                "area_remaining_m2",
                "version",
            ],
            Layer::ReleasedAreas => &[
                "id",
                "hazard",
                "outcome",
                "released_on",
                "area_m2",
                "organisation",
                "report_id",
                "recorded_at",
            ],
            Layer::EoFinds => &[
                "id",
                "hazard",
                "district",
                "found_on",
                "category",
                "eo_type",
                "quantity",
                "condition",
                "fuze_state",
                "disposal",
                "report_id",
            ],
            Layer::Accidents => &[
                "id",
                "kind",
                "occurred_on",
                "district",
                "device_category",
                "activity_at_time",
                "area_marked",
                "cause",
                "killed",
                "injured",
            ],
            Layer::EoreSessions => &[
                "id",
                "organisation",
                "held_on",
                "kind",
                "audience",
                "settlement",
                "district",
                "girls",
                "boys",
                "women",
                "men",
            ],
            Layer::Tasks => &[
                "id",
                "code",
                "hazard",
                "organisation",
                "activity",
                "priority",
                "status",
                "issued_on",
                "due_on",
            ],
            Layer::Settlements => &["id", "name", "alt_names", "population", "geonames_id", "district"],
            Layer::Districts => &["id", "name", "alt_name", "hasc", "region", "area_m2"],
        }
    }

    /// Whether features carry a geometry.
    pub fn spatial(self) -> bool {
        self != Layer::Tasks
    }

    fn sql(self) -> &'static str {
        match self {
            Layer::Hazards => include_str!("../sql/export/hazards.sql"),
            Layer::ReleasedAreas => include_str!("../sql/export/released_areas.sql"),
            Layer::EoFinds => include_str!("../sql/export/eo_finds.sql"),
            Layer::Accidents => include_str!("../sql/export/accidents.sql"),
            Layer::EoreSessions => include_str!("../sql/export/eore_sessions.sql"),
            Layer::Tasks => include_str!("../sql/export/tasks.sql"),
            Layer::Settlements => include_str!("../sql/export/settlements.sql"),
            Layer::Districts => include_str!("../sql/export/districts.sql"),
        }
    }
}

impl FromStr for Layer {
    type Err = String;
    fn from_str(s: &str) -> Result<Layer, String> {
        Layer::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!(
                "'{s}' is not a layer; layers are {}",
                Layer::ALL.iter().map(|l| l.name()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// One feature: attribute values in [`Layer::columns`] order, and its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub values: Vec<Value>,
    pub geometry: Option<Geometry<f64>>,
}

impl Store {
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
            let known: bool = self.conn.query_row(
                "SELECT count(*) > 0 FROM districts WHERE name = ?1 COLLATE NOCASE OR alt_name = ?1 COLLATE NOCASE",
                [d],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StoreError::Unknown { what: "district", key: d.to_string() });
            }
        }
        let bound = bound.unwrap_or("9999-12-31T00:00:00Z");
        let mut stmt = self.conn.prepare(layer.sql())?;
        let mut rows = stmt.query(rusqlite::params![bound, district])?;
        let n = layer.columns().len();
        let mut count = 0;
        while let Some(r) = rows.next()? {
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
        }
        Ok(count)
    }
}
