//! Reading IMSMA Core's feature layers as ArcGIS Pro exports them: a
//! GeoPackage, read natively, or a File Geodatabase, which GDAL's `ogr2ogr`
//! turns into a GeoPackage first (coded-value domains included).
//!
//! IMSMA Core keeps each record as a feature of an ArcGIS layer (hazards in
//! `hazard_poly`, …) with ArcGIS's `globalid`, IMSMA Core's `imsma_id`
//! (`hazard_poly_145`) and `imsma_links` (the ids of linked records, comma
//! separated), editor tracking's `created_date`, and fields whose values are
//! codes of a coded-value domain. Hosted layers are kept in Web Mercator
//! (EPSG:3857); positions are brought to longitude and latitude here.
//! Which layer and column is which comes from the mapping's `[core]` section.

use crate::mapping::CoreLayers;
use crate::{date_of, Codes, Object, SourceGeometry, SourceObject};
use geo::MapCoords;
use safeground_core::crs::Crs;
use safeground_store::{GpkgFeature, GpkgReader, StoreError};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What can go wrong reading an IMSMA Core export.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{path}: {detail}")]
    Read { path: String, detail: String },
    #[error(
        "{path} is a File Geodatabase, which safeground reads through GDAL's ogr2ogr, and ogr2ogr is not \
         installed: install GDAL (Debian and Ubuntu: apt install gdal-bin), or in ArcGIS Pro export the \
         layers to a GeoPackage (Catalog: right-click the layer, Data, Export Features, to a .gpkg) and \
         migrate that file"
    )]
    NoOgr2ogr { path: String },
    #[error("converting {path} to a GeoPackage with ogr2ogr failed: {detail}")]
    Convert { path: String, detail: String },
    #[error(
        "{path}, layer {layer}: it has no column '{column}' ({what}); name the right column in the \
         mapping's [core] section"
    )]
    NoColumn { path: String, layer: String, column: String, what: &'static str },
    #[error("{0}")]
    Stopped(String),
}

/// An IMSMA Core export, open for reading.
pub struct CoreExport {
    /// The file as given, for messages.
    shown: String,
    /// The GeoPackage read: the file itself, or the File Geodatabase converted.
    gpkg: PathBuf,
    /// Where a File Geodatabase was converted; removed when dropped.
    _converted: Option<tempfile::TempDir>,
    layers: CoreLayers,
}

impl CoreExport {
    /// Opens an export: a GeoPackage, or a File Geodatabase (a `.gdb`
    /// folder) converted by `ogr2ogr` into a temporary GeoPackage.
    pub fn open(path: &Path, layers: &CoreLayers) -> Result<CoreExport, CoreError> {
        let shown = path.display().to_string();
        let is_gdb = path.is_dir() || path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gdb"));
        let (gpkg, converted) = if is_gdb {
            let dir = tempfile::tempdir()
                .map_err(|e| CoreError::Convert { path: shown.clone(), detail: e.to_string() })?;
            let gpkg = dir.path().join("core-export.gpkg");
            convert(path, &gpkg, &shown)?;
            (gpkg, Some(dir))
        } else {
            (path.to_path_buf(), None)
        };
        let export = CoreExport { shown, gpkg, _converted: converted, layers: layers.clone() };
        export.reader(Object::Hazard)?;
        Ok(export)
    }

    /// The file as given.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn read_error(&self, e: StoreError) -> CoreError {
        let detail = e.to_string();
        // The store names the GeoPackage read; a converted one is a temporary file.
        let detail = detail.replace(&self.gpkg.display().to_string(), &self.shown);
        CoreError::Read { path: self.shown.clone(), detail }
    }

    /// The layer holding an object, open.
    fn reader(&self, object: Object) -> Result<(GpkgReader, Crs), CoreError> {
        let layer = self.layers.layer(object);
        let reader = GpkgReader::open(&self.gpkg, Some(layer), layer).map_err(|e| self.read_error(e))?;
        let crs = match reader.epsg {
            None => Crs::Wgs84,
            Some(code) => Crs::from_epsg(code).map_err(|e| CoreError::Read {
                path: self.shown.clone(),
                detail: format!("layer {layer}: {e}"),
            })?,
        };
        for (column, what) in [(&self.layers.guid, "the records' guid")] {
            if !reader.columns().iter().any(|c| c.eq_ignore_ascii_case(column)) {
                return Err(CoreError::NoColumn {
                    path: self.shown.clone(),
                    layer: layer.to_string(),
                    column: column.clone(),
                    what,
                });
            }
        }
        Ok((reader, crs))
    }

    /// Whether the export has the layer of an object. A layer that is there
    /// but cannot be read (no guid column, a reference system we do not
    /// convert) counts as there, so reading it says why instead of leaving
    /// its records behind unsaid.
    pub fn has(&self, object: Object) -> bool {
        let layer = self.layers.layer(object);
        GpkgReader::open(&self.gpkg, Some(layer), layer).is_ok()
    }

    /// The layer an object is read from, for messages.
    pub fn layer(&self, object: Object) -> &str {
        self.layers.layer(object)
    }

    /// The coded values of the object's layer, by column.
    pub fn codes(&self, object: Object) -> Result<Codes, CoreError> {
        let (reader, _) = self.reader(object)?;
        let coded = reader.coded_values().map_err(|e| self.read_error(e))?;
        let by_column =
            coded.into_iter().map(|(column, values)| (column, values.into_iter().collect())).collect();
        Ok(Codes { by_column, ..Codes::default() })
    }

    /// The columns of the object's layer: (name, type and coded values).
    pub fn columns(&self, object: Object) -> Result<Vec<(String, String)>, CoreError> {
        let (reader, _) = self.reader(object)?;
        let coded = reader.coded_values().map_err(|e| self.read_error(e))?;
        let typed = reader.column_types().map_err(|e| self.read_error(e))?;
        Ok(typed
            .into_iter()
            .map(|(name, ty)| {
                let described = match coded.get(&name) {
                    Some(values) => {
                        let list: Vec<String> = values.iter().map(|(c, d)| format!("{c} = {d}")).collect();
                        format!("{ty}; coded values (use enum = true): {}", list.join(", "))
                    }
                    None => ty,
                };
                (name, described)
            })
            .collect())
    }

    /// How many features the object's layer holds.
    pub fn count(&self, object: Object) -> Result<usize, CoreError> {
        let (reader, _) = self.reader(object)?;
        reader.count().map_err(|e| self.read_error(e))
    }

    /// The hazards by guid and by local id, in lower case, → guid: how a
    /// hazard reduction's link names its hazard.
    pub fn hazard_index(&self) -> Result<HashMap<String, String>, CoreError> {
        let mut ids = vec![];
        self.objects(Object::Hazard, None, &mut |o| {
            ids.push((o.localid, o.guid));
            Ok(())
        })?;
        Ok(hazard_index(ids))
    }

    /// Streams every feature of the object's layer, in feature order (with
    /// `by_date`, in the order of that column's date, else of the entry
    /// date's, then of feature), to
    /// `each`; stops when `each` returns an error (which it returns). Returns
    /// the count and the SHA-256 the migration's reports name the layer by:
    /// of each feature's columns (as JSON) and geometry (as WKB), in order.
    pub fn objects(
        &self,
        object: Object,
        by_date: Option<&str>,
        each: &mut dyn FnMut(SourceObject) -> Result<(), String>,
    ) -> Result<(usize, String), CoreError> {
        let (reader, crs) = self.reader(object)?;
        let layer = reader.table().to_string();
        let mut h = Sha256::new();
        // Undated, in the order they were entered, as their date falls back to it.
        let by_date: Vec<&str> =
            by_date.into_iter().chain(by_date.map(|_| self.layers.entered.as_str())).collect();
        let read = reader.read_by(&by_date, &mut |f| {
            h.update(Value::Object(f.fields.iter().cloned().collect()).to_string().as_bytes());
            let mut wkb = vec![];
            if let Ok(Some(g)) = &f.geometry {
                safeground_core::wkb::write_wkb(&mut wkb, g);
            }
            h.update(Sha256::digest(&wkb));
            each(self.object_of(&layer, crs, f))
        });
        let n = read.map_err(|e| match e {
            StoreError::Invalid { problem, .. } => CoreError::Stopped(problem),
            e => self.read_error(e),
        })?;
        Ok((n, h.finalize().iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// One feature as a migrated object sees it.
    fn object_of(&self, layer: &str, crs: Crs, f: GpkgFeature) -> SourceObject {
        let record: Map<String, Value> = f.fields.into_iter().collect();
        let text = |column: &str| {
            record
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(column))
                .and_then(|(_, v)| match v {
                    Value::String(s) => Some(s.trim().to_string()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
                .filter(|s| !s.is_empty())
        };
        let localid = text(&self.layers.localid);
        let guid = text(&self.layers.guid);
        let entered = text(&self.layers.entered)
            .and_then(|t| date_of(&t))
            .map(|d| (d, "its creation date in IMSMA Core"));
        let geometry = f.geometry.and_then(|g| match g {
            None => Ok(None),
            Some(g) => {
                g.try_map_coords(|c| crs.to_wgs84(c.x, c.y).map(|[x, y]| geo::Coord { x, y })).map(Some)
            }
        });
        let refusal = guid.is_none().then(|| {
            format!(
                "it has no {} (the guid its safeground id is made from); give it one in IMSMA Core",
                self.layers.guid
            )
        });
        SourceObject {
            guid: guid.unwrap_or_else(|| format!("{layer} feature {}", f.fid)),
            localid,
            record,
            geometry: SourceGeometry::Feature(geometry),
            entered,
            versions: vec![],
            devices: vec![],
            refusal,
        }
    }
}

/// IMSMA Core's hazards by guid and by local id (lower case) → guid, from
/// each hazard's (local id, guid): how `imsma_links` names them.
pub fn hazard_index(ids: Vec<(Option<String>, String)>) -> HashMap<String, String> {
    let mut index = HashMap::with_capacity(2 * ids.len());
    for (localid, guid) in ids {
        if let Some(l) = localid.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            index.insert(l.to_lowercase(), guid.clone());
        }
        index.insert(guid.trim().to_lowercase(), guid);
    }
    index
}

/// Converts a File Geodatabase into a GeoPackage with GDAL's `ogr2ogr`,
/// every layer and its coded-value domains.
fn convert(gdb: &Path, gpkg: &Path, shown: &str) -> Result<(), CoreError> {
    let out = Command::new("ogr2ogr").args(["-f", "GPKG"]).arg(gpkg).arg(gdb).output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(CoreError::NoOgr2ogr { path: shown.into() })
        }
        Err(e) => Err(CoreError::Convert { path: shown.into(), detail: e.to_string() }),
        Ok(o) if !o.status.success() => Err(CoreError::Convert {
            path: shown.into(),
            detail: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        }),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_from_dates_and_timestamps_and_nothing_else() {
        assert_eq!(date_of("2021-06-01").map(|d| d.to_string()), Some("2021-06-01".into()));
        assert_eq!(date_of("2021-06-01T10:15:00.000Z").map(|d| d.to_string()), Some("2021-06-01".into()));
        assert_eq!(date_of("01/06/2021"), None);
        assert_eq!(date_of("2021"), None);
        assert_eq!(date_of("2021-0é-01"), None);
    }

    #[test]
    fn a_missing_export_or_file_geodatabase_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let e = CoreExport::open(&dir.path().join("none.gpkg"), &CoreLayers::default()).err().unwrap();
        assert!(e.to_string().contains("none.gpkg"), "{e}");
        // An empty folder named .gdb is no File Geodatabase: ogr2ogr (if
        // installed) says so; if not, the message says how to do without it.
        let gdb = dir.path().join("empty.gdb");
        std::fs::create_dir(&gdb).unwrap();
        let e = CoreExport::open(&gdb, &CoreLayers::default()).err().unwrap();
        assert!(
            matches!(e, CoreError::Convert { .. } | CoreError::NoOgr2ogr { .. } | CoreError::Read { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("empty.gdb"), "{e}");
    }
}
