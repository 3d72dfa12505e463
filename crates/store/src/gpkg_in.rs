//! Reading a layer out of any GeoPackage (ours, QGIS's, `ogr2ogr`'s), one
//! feature at a time, read-only: the store's half of a GeoPackage import.
//!
//! The table is the one named, or the one named like the layer, or the only
//! feature or attribute table in the file. Its reference system comes from
//! `gpkg_spatial_ref_sys` as an EPSG code, for the caller to accept or refuse.

use crate::StoreError;
use geo::Geometry;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use safeground_core::wkb::decode_gpkg;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A table of a GeoPackage, open for reading.
pub struct GpkgReader {
    conn: Connection,
    table: String,
    geometry_column: Option<String>,
    columns: Vec<String>,
    /// The EPSG code of the geometry column's system, if the file gives one.
    pub epsg: Option<i64>,
}

/// One feature of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgFeature {
    pub fid: i64,
    pub fields: Vec<(String, Value)>,
    /// The decoded geometry, or why it cannot be decoded.
    pub geometry: Result<Option<Geometry<f64>>, String>,
}

fn bad(path: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::Stored { path: path.to_path_buf(), detail: detail.into() }
}

impl GpkgReader {
    /// Opens `path` read-only and picks the table: `table` if given, else one
    /// named `layer`, else the only one.
    pub fn open(path: &Path, table: Option<&str>, layer: &str) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| bad(path, e.to_string()))?;
        let has_contents: bool = conn
            .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE name = 'gpkg_contents'", [], |r| {
                r.get(0)
            })
            .map_err(|e| bad(path, format!("not a GeoPackage ({e})")))?;
        if !has_contents {
            return Err(bad(path, "not a GeoPackage: it has no gpkg_contents table"));
        }
        let tables: Vec<String> = conn
            .prepare("SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes') ORDER BY table_name")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let pick = match table {
            Some(t) => tables.iter().find(|x| x.eq_ignore_ascii_case(t)).cloned(),
            None => tables
                .iter()
                .find(|x| x.eq_ignore_ascii_case(layer))
                .cloned()
                .or_else(|| (tables.len() == 1).then(|| tables[0].clone())),
        };
        let Some(table) = pick else {
            return Err(bad(
                path,
                format!(
                    "{}; its tables are: {}. Name one with --table",
                    match table {
                        Some(t) => format!("has no table '{t}'"),
                        None => format!("has no table '{layer}' and more than one to choose from"),
                    },
                    if tables.is_empty() { "none".to_string() } else { tables.join(", ") }
                ),
            ));
        };
        let geom: Option<(String, i64)> = conn
            .query_row(
                "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1 COLLATE NOCASE",
                [&table],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let epsg = match &geom {
            Some((_, srs)) => conn
                .query_row(
                    "SELECT CASE WHEN upper(organization) = 'EPSG' THEN organization_coordsys_id
                                 WHEN upper(organization) = 'ESRI' AND organization_coordsys_id IN (102100, 102113)
                                   THEN organization_coordsys_id
                                 WHEN srs_id = 4326 THEN 4326 END
                     FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                    [srs],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .optional()?
                .flatten(),
            None => None,
        };
        let mut columns = vec![];
        let mut pk = None;
        {
            let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{}\")", table.replace('"', "\"\"")))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let name: String = r.get(1)?;
                let is_pk: i64 = r.get(5)?;
                if is_pk == 1 && pk.is_none() {
                    pk = Some(name);
                } else if geom.as_ref().is_none_or(|(g, _)| !g.eq_ignore_ascii_case(&name)) {
                    columns.push(name);
                }
            }
        }
        Ok(GpkgReader { conn, table, geometry_column: geom.map(|g| g.0), columns, epsg })
    }

    /// The table being read.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Its attribute columns (not the primary key or the geometry).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Its attribute columns with their declared types.
    pub fn column_types(&self) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!("PRAGMA table_info(\"{}\")", self.table.replace('"', "\"\""));
        let mut stmt = self.conn.prepare(&sql)?;
        let typed: std::collections::HashMap<String, String> =
            stmt.query_map([], |r| Ok((r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        Ok(self.columns.iter().map(|c| (c.clone(), typed.get(c).cloned().unwrap_or_default())).collect())
    }

    /// The coded values of its columns: column → (code, description), by
    /// code. A GeoPackage keeps them as `enum` constraints of its schema
    /// extension (`gpkg_data_columns`, `gpkg_data_column_constraints`), as
    /// GDAL writes a File Geodatabase's coded-value domains.
    pub fn coded_values(&self) -> Result<BTreeMap<String, Vec<(String, String)>>, StoreError> {
        let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let present: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('gpkg_data_columns', 'gpkg_data_column_constraints')",
            [],
            |r| r.get(0),
        )?;
        if present < 2 {
            return Ok(out);
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/gpkg_coded_values.sql"))?;
        let mut rows = stmt.query([&self.table])?;
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<String> {
                Ok(match r.get_ref(i)? {
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Null | ValueRef::Blob(_) => String::new(),
                })
            };
            out.entry(text(0)?).or_default().push((text(1)?, text(2)?));
        }
        Ok(out)
    }

    /// How many features the table holds, without reading them.
    pub fn count(&self) -> Result<usize, StoreError> {
        let sql = format!("SELECT count(*) FROM \"{}\"", self.table.replace('"', "\"\""));
        let n: i64 = self.conn.query_row(&sql, [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Calls `sink` with every feature in `fid` order; `sink` returns
    /// `Err(message)` to stop. Returns the number of features.
    pub fn read(&self, sink: &mut dyn FnMut(GpkgFeature) -> Result<(), String>) -> Result<usize, StoreError> {
        self.read_by(&[], sink)
    }

    /// As [`GpkgReader::read`], in the order of the date in `columns` (the
    /// first of them that is one of the table's and not empty; its first ten
    /// characters: a GeoPackage DATE or DATETIME), features with none last,
    /// then in `fid` order.
    pub fn read_by(
        &self,
        columns: &[&str],
        sink: &mut dyn FnMut(GpkgFeature) -> Result<(), String>,
    ) -> Result<usize, StoreError> {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut select = vec!["rowid".to_string()];
        select.push(self.geometry_column.as_deref().map(quote).unwrap_or_else(|| "NULL".into()));
        select.extend(self.columns.iter().map(|c| quote(c)));
        let dated: Vec<String> = columns
            .iter()
            .filter_map(|c| self.columns.iter().find(|k| k.eq_ignore_ascii_case(c)))
            .map(|c| format!("nullif(substr({}, 1, 10), '')", quote(c)))
            .collect();
        let order = match dated.as_slice() {
            [] => String::new(),
            [one] => format!("{one} IS NULL, {one}, "),
            many => format!("coalesce({0}) IS NULL, coalesce({0}), ", many.join(", ")),
        };
        let sql = format!("SELECT {} FROM {} ORDER BY {order}rowid", select.join(", "), quote(&self.table));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut count = 0;
        while let Some(r) = rows.next()? {
            let fid: i64 = r.get(0)?;
            let geometry = match r.get_ref(1)? {
                ValueRef::Blob(b) => decode_gpkg(b).map(|(_, g)| Some(g)).map_err(|e| e.to_string()),
                ValueRef::Null => Ok(None),
                _ => Err("the geometry column holds something other than a GeoPackage geometry".into()),
            };
            let mut fields = Vec::with_capacity(self.columns.len());
            for (i, c) in self.columns.iter().enumerate() {
                let v = match r.get_ref(i + 2)? {
                    ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                    ValueRef::Integer(v) => Value::from(v),
                    ValueRef::Real(v) => Value::from(v),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                };
                fields.push((c.clone(), v));
            }
            count += 1;
            sink(GpkgFeature { fid, fields, geometry }).map_err(|detail| StoreError::Invalid {
                record: format!("{} feature {fid}", self.table),
                problem: detail,
            })?;
        }
        Ok(count)
    }
}
