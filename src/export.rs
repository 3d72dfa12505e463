//! `safeground export`: a layer to a file, whole or not at all.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use safeground_formats::csv_out::CsvLayerWriter;
use safeground_formats::geojson_out::GeoJsonWriter;
use safeground_formats::kml_out::KmlWriter;
use safeground_store::{Layer, Store};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// RFC 7946 GeoJSON, streamed.
    Geojson,
    /// CSV: longitude/latitude columns for points, WKT for other shapes.
    Csv,
    /// KML 2.2 for Google Earth, styled by status, outcome or EO category.
    Kml,
    /// A GeoPackage holding the one layer, with typed columns.
    Gpkg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements or districts.
    #[arg(long, value_parser = parse_layer)]
    layer: Layer,
    #[arg(long, value_enum)]
    format: Format,
    /// The file to write (replaced only when the export is complete).
    out: PathBuf,
    /// The layer as it stood at the end of this day (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = crate::parse_date)]
    as_of: Option<time::Date>,
    /// Only features in this district (either spelling).
    #[arg(long)]
    district: Option<String>,
    /// CSV: add the HXL hashtag row under the header.
    #[arg(long)]
    hxl: bool,
}

fn parse_layer(s: &str) -> Result<Layer, String> {
    s.parse()
}

fn points(layer: Layer) -> bool {
    matches!(layer, Layer::EoFinds | Layer::Accidents | Layer::EoreSessions | Layer::Settlements)
}

pub fn run(db: &Path, a: &ExportArgs) -> Result<()> {
    if a.hxl && a.format != Format::Csv {
        bail!("--hxl adds a row to CSV; it has no meaning for {:?}", a.format);
    }
    let store = Store::open(db)?;
    let bound = a.as_of.map(safeground_store::end_of_day);
    let mut tmp = a.out.clone().into_os_string();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let columns = a.layer.columns();
    let open = || -> Result<BufWriter<std::fs::File>> {
        let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(BufWriter::new(file))
    };
    let result = match a.format {
        Format::Geojson => {
            let mut w = GeoJsonWriter::new(open()?, columns)?;
            let n = store.export(a.layer, bound.as_deref(), a.district.as_deref(), &mut |f| {
                w.feature(&f.values, f.geometry.as_ref())
            });
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
        Format::Kml => {
            let mut w = KmlWriter::new(open()?, a.layer.name(), columns)?;
            let n = store.export(a.layer, bound.as_deref(), a.district.as_deref(), &mut |f| {
                w.feature(&f.values, f.geometry.as_ref())
            });
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
        Format::Gpkg => {
            let _ = std::fs::remove_file(&tmp);
            let mut w = safeground_store::GpkgLayerWriter::create(&tmp, a.layer)?;
            let mut failed = None;
            let n = store.export(a.layer, bound.as_deref(), a.district.as_deref(), &mut |f| {
                w.feature(&f).map_err(|e| {
                    let m = e.to_string();
                    failed = Some(e);
                    std::io::Error::other(m)
                })
            });
            match (n, failed) {
                (_, Some(e)) | (Err(e), None) => Err(anyhow::Error::from(e)),
                (Ok(n), None) => w.finish().map(|_| n).map_err(anyhow::Error::from),
            }
        }
        Format::Csv => {
            let mut w = if a.layer.spatial() {
                CsvLayerWriter::new(open()?, columns, points(a.layer), a.hxl)?
            } else {
                CsvLayerWriter::attributes(open()?, columns, a.hxl)?
            };
            let n = store.export(a.layer, bound.as_deref(), a.district.as_deref(), &mut |f| {
                w.feature(&f.values, f.geometry.as_ref())
            });
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
    };
    finish(result, &tmp, a)
}

/// Moves a complete export into place, or removes a failed one.
fn finish(result: Result<usize>, tmp: &Path, a: &ExportArgs) -> Result<()> {
    match result {
        Ok(n) => {
            std::fs::rename(tmp, &a.out)
                .with_context(|| format!("moving the export to {}", a.out.display()))?;
            eprintln!("wrote {n} {} features to {}", a.layer.name(), a.out.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}
