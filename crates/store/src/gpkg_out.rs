//! Exporting a layer to a GeoPackage of its own: one feature (or attribute)
//! table with typed columns, readable by QGIS and GDAL, written in one
//! transaction.

use crate::export::{Feature, Layer};
use crate::geometry::SRS_WGS84;
use crate::StoreError;
use geo::BoundingRect;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use safeground_core::wkb::encode_gpkg;
use serde_json::Value;
use std::path::Path;

/// The GeoPackage column type of one of our export columns.
pub fn column_type(column: &str) -> &'static str {
    match column {
        c if c.ends_with("_m2") => "REAL",
        c if c.ends_with("_on") => "DATE",
        c if c.ends_with("_at") => "DATETIME",
        "area_marked" => "BOOLEAN",
        "quantity" | "killed" | "injured" | "girls" | "boys" | "women" | "men" | "girls_disabled"
        | "boys_disabled" | "women_disabled" | "men_disabled" | "population" | "geonames_id" | "version" => {
            "INTEGER"
        }
        _ => "TEXT",
    }
}

fn geometry_type(layer: Layer) -> Option<&'static str> {
    match layer {
        Layer::Hazards | Layer::ReleasedAreas | Layer::Districts => Some("MULTIPOLYGON"),
        Layer::EoFinds | Layer::Accidents | Layer::EoreSessions | Layer::Settlements => Some("POINT"),
        Layer::Tasks | Layer::Organisations => None,
    }
}

/// A GeoPackage being written with one layer.
pub struct GpkgLayerWriter {
    conn: Connection,
    name: String,
    geom: Option<&'static str>,
    insert: String,
    extent: Option<[f64; 4]>,
    /// The media and mapping tables are made (on the first file).
    media: bool,
}

impl GpkgLayerWriter {
    /// Creates `path` (which must not exist) with an empty table for `layer`.
    pub fn create(path: &Path, layer: Layer) -> Result<Self, StoreError> {
        let columns: Vec<(String, &'static str)> =
            layer.columns().iter().map(|c| (c.to_string(), column_type(c))).collect();
        Self::create_table(path, layer.name(), geometry_type(layer), &columns)
    }

    /// Creates `path` (which must not exist) with an empty table `name`: its
    /// geometry type (`MULTIPOLYGON`, `POINT`; `None`: attributes only) and
    /// its (column, GeoPackage type) list. Features then give the geometry
    /// and one value per column.
    pub fn create_table(
        path: &Path,
        name: &str,
        geom: Option<&'static str>,
        columns: &[(String, &'static str)],
    ) -> Result<Self, StoreError> {
        // New, and readable by its owner only, as every file we create.
        crate::open::create_private(path)?;
        let conn = Connection::open(path)?;
        // The file is new and the caller renames it into place only when it is
        // complete (or removes it): no journal and no fsync are needed for that.
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;
             PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; BEGIN;",
        )?;
        conn.execute_batch(include_str!("../sql/gpkg_core.sql"))?;
        let mut cols = vec!["fid INTEGER PRIMARY KEY AUTOINCREMENT".to_string()];
        if let Some(g) = geom {
            cols.push(format!("geom {g}"));
        }
        cols.extend(columns.iter().map(|(c, t)| format!("\"{c}\" {t}")));
        conn.execute_batch(&format!("CREATE TABLE \"{name}\" ({});", cols.join(", ")))?;
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?1, ?2, ?1, ?3, ?4)",
            rusqlite::params![
                name,
                if geom.is_some() { "features" } else { "attributes" },
                format!("safeground {name}"),
                geom.map(|_| SRS_WGS84)
            ],
        )?;
        if let Some(g) = geom {
            conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
                rusqlite::params![name, g, SRS_WGS84],
            )?;
        }
        let mut names: Vec<String> = Vec::new();
        if geom.is_some() {
            names.push("geom".into());
        }
        names.extend(columns.iter().map(|(c, _)| format!("\"{c}\"")));
        let marks = (1..=names.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let insert = format!("INSERT INTO \"{name}\" ({}) VALUES ({marks})", names.join(", "));
        Ok(GpkgLayerWriter { conn, name: name.to_string(), geom, insert, extent: None, media: false })
    }

    pub fn feature(&mut self, f: &Feature) -> Result<(), StoreError> {
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(f.values.len() + 1);
        if self.geom.is_some() {
            values.push(match &f.geometry {
                Some(g) => {
                    if let Some(r) = g.bounding_rect() {
                        let e = self.extent.get_or_insert([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
                        e[0] = e[0].min(r.min().x);
                        e[1] = e[1].min(r.min().y);
                        e[2] = e[2].max(r.max().x);
                        e[3] = e[3].max(r.max().y);
                    }
                    let g = match g {
                        geo::Geometry::Polygon(p) => {
                            geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![p.clone()]))
                        }
                        other => other.clone(),
                    };
                    rusqlite::types::Value::Blob(encode_gpkg(&g, SRS_WGS84))
                }
                None => rusqlite::types::Value::Null,
            });
        }
        for v in &f.values {
            values.push(match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => rusqlite::types::Value::Integer(i),
                    None => rusqlite::types::Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                other => rusqlite::types::Value::Text(other.to_string()),
            });
        }
        self.conn.prepare_cached(&self.insert)?.execute(params_from_iter(values))?;
        Ok(())
    }

    /// Adds a file shown with the feature whose `id` is `file.feature`, by
    /// the Related Tables Extension as the register keeps it (the media
    /// table `media`, the mapping table `<layer>_media`), made on the first
    /// file. A file whose feature is not in this export (another district, a
    /// later day) is left out: `false`.
    pub fn media(&mut self, file: &crate::MediaFile) -> Result<bool, StoreError> {
        let Some(fid) = self.fid_of(&file.feature)? else { return Ok(false) };
        self.conn
            .prepare_cached(
                "INSERT INTO media (data, content_type, uuid, kind, file_name, sha256, taken_at, lon, lat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (uuid) DO NOTHING",
            )?
            .execute(rusqlite::params![
                file.data,
                file.media.mime(),
                file.id.to_string(),
                file.kind.code(),
                file.file_name,
                file.sha256,
                file.taken_at,
                file.position.map(|p| p[0]),
                file.position.map(|p| p[1]),
            ])?;
        let id: i64 = self
            .conn
            .prepare_cached("SELECT id FROM media WHERE uuid = ?1")?
            .query_row([file.id.to_string()], |r| r.get(0))?;
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO \"{}_media\" (base_id, related_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                self.name
            ))?
            .execute([fid, id])?;
        Ok(true)
    }

    /// The fid of the feature whose `id` is `feature` in this export, if
    /// it is in it (the media tables made first, on the first file).
    fn fid_of(&mut self, feature: &str) -> Result<Option<i64>, StoreError> {
        if !self.media {
            self.create_media()?;
        }
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT fid FROM \"{}\" WHERE id = ?1", self.name))?
            .query_row([feature], |r| r.get(0))
            .optional()?)
    }

    fn create_media(&mut self) -> Result<(), StoreError> {
        let name = &self.name;
        let definition = "http://docs.opengeospatial.org/is/18-000/18-000.html";
        self.conn.execute_batch(&format!(
            "CREATE INDEX \"{name}_id\" ON \"{name}\"(id);
             CREATE TABLE media (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL, content_type TEXT NOT NULL,
               uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, file_name TEXT NOT NULL, sha256 TEXT NOT NULL,
               taken_at TEXT, lon DOUBLE, lat DOUBLE);
             CREATE TABLE \"{name}_media\" (base_id INTEGER NOT NULL, related_id INTEGER NOT NULL,
               UNIQUE (base_id, related_id));
             CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,
               extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
               CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
             CREATE TABLE gpkgext_relations (id INTEGER PRIMARY KEY AUTOINCREMENT, base_table_name TEXT NOT NULL,
               base_primary_column TEXT NOT NULL DEFAULT 'id', related_table_name TEXT NOT NULL,
               related_primary_column TEXT NOT NULL DEFAULT 'id', relation_name TEXT NOT NULL,
               mapping_table_name TEXT NOT NULL UNIQUE);
             INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
               VALUES ('media', 'attributes', 'media', 'Files shown with the {name}: photographs, scanned forms, sketch maps, GPS tracks');
             INSERT INTO gpkgext_relations (base_table_name, base_primary_column, related_table_name,
               related_primary_column, relation_name, mapping_table_name)
               VALUES ('{name}', 'fid', 'media', 'id', 'media', '{name}_media');
             INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
               ('gpkgext_relations', NULL, 'gpkg_related_tables', '{definition}', 'read-write'),
               ('{name}_media', NULL, 'gpkg_related_tables', '{definition}', 'read-write');"
        ))?;
        self.media = true;
        Ok(())
    }

    /// Records the extent and commits.
    pub fn finish(self) -> Result<(), StoreError> {
        if let Some([x0, y0, x1, y1]) = self.extent {
            self.conn.execute(
                "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4 WHERE table_name = ?5",
                rusqlite::params![x0, y0, x1, y1, self.name],
            )?;
        }
        self.conn.execute_batch("COMMIT;")?;
        Ok(())
    }
}
