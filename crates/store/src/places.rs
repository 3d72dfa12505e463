//! Finding on the map: hazards by code or name, settlements and districts by
//! name, each with its extent (`sql/places.sql`).

use crate::{Store, StoreError};
use serde::Serialize;

/// What kind of thing a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Hazard,
    Settlement,
    District,
}

/// Something a search of the map found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    pub kind: PlaceKind,
    /// A hazard's code.
    pub code: Option<String>,
    pub name: String,
    /// Its extent: west, south, east, north (a settlement's is its point).
    pub bbox: [f64; 4],
}

impl Store {
    /// Hazards in force whose code or name holds `text` (any case), then
    /// settlements and districts whose name does: at most `each` of each
    /// kind, those that begin with it first.
    pub fn places(&self, text: &str, each: usize) -> Result<Vec<Place>, StoreError> {
        let folded = crate::read::like_literal(&text.to_lowercase());
        if folded.is_empty() {
            return Ok(vec![]);
        }
        let sql = self
            .conn
            .dialect()
            .pick(include_str!("../sql/places.sql"), include_str!("../sql/postgres/places.sql"));
        // PostGIS gives the exact extent; rounded outwards as the R-tree keeps it.
        let exact = self.conn.dialect() == crate::Dialect::Postgres;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows =
            stmt.query_map(rusqlite::params![folded, i64::try_from(each).unwrap_or(i64::MAX)], |r| {
                let kind: String = r.get(0)?;
                Ok(Place {
                    kind: match kind.as_str() {
                        "hazard" => PlaceKind::Hazard,
                        "settlement" => PlaceKind::Settlement,
                        _ => PlaceKind::District,
                    },
                    code: r.get(1)?,
                    name: r.get(2)?,
                    bbox: crate::geometry::rtree_box(r, 3, exact)?,
                })
            })?;
        rows.collect()
    }
}
