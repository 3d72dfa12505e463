//! `safeground export`: a layer to a file, whole or not at all.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use safeground_core::public::{self, Dangerous};
use safeground_formats::csv_out::CsvLayerWriter;
use safeground_formats::geojson_out::GeoJsonWriter;
use safeground_formats::kml_out::KmlWriter;
use safeground_formats::xlsx_out::Shape;
use safeground_store::Location;
use safeground_store::{Feature, Layer, Store};
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
    /// An Excel workbook, one sheet per layer (`--layer all` for every layer).
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations
    /// (or `all`, with --format xlsx: a sheet for each).
    #[arg(long, value_parser = parse_layers)]
    layer: Layers,
    #[arg(long, value_enum)]
    format: Format,
    /// The file to write, created when the export is complete (readable by
    /// you only); `-` writes to standard output.
    out: PathBuf,
    /// Replace OUT if it exists (never the register itself).
    #[arg(long)]
    force: bool,
    /// The layer as it stood at the end of this day (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = crate::parse_date)]
    as_of: Option<time::Date>,
    /// Only features in this district (either spelling).
    #[arg(long)]
    district: Option<String>,
    /// CSV: add the HXL hashtag row under the header.
    #[arg(long)]
    hxl: bool,
    /// `full`, or `public`: hazards still dangerous (OPEN, WORKED_ON) lose their exact outline.
    #[arg(long, value_enum, default_value = "full")]
    level: Level,
    /// At the public level: `coarsen` dangerous hazards to grid cells, or `drop` their geometry.
    #[arg(long, value_enum, default_value = "coarsen")]
    dangerous: DangerousChoice,
    /// The grid of `--dangerous coarsen`, in degrees (0.01° is about 1.1 km north–south).
    #[arg(long, default_value_t = 0.01)]
    grid: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Full,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DangerousChoice {
    Coarsen,
    Drop,
}

/// One layer, or all of them (a newtype, so clap takes the list as one value).
#[derive(Debug, Clone)]
pub struct Layers(Vec<Layer>);

fn parse_layers(s: &str) -> Result<Layers, String> {
    if s.eq_ignore_ascii_case("all") {
        Ok(Layers(Layer::ALL.to_vec()))
    } else {
        s.parse().map(|l| Layers(vec![l]))
    }
}

fn points(layer: Layer) -> bool {
    matches!(layer, Layer::EoFinds | Layer::Accidents | Layer::EoreSessions | Layer::Settlements)
}

pub fn run(db: &Location, a: &ExportArgs) -> Result<()> {
    if a.hxl && a.format != Format::Csv {
        bail!("--hxl adds a row to CSV; it has no meaning for {:?}", a.format);
    }
    if a.layer.0.len() > 1 && a.format != Format::Xlsx {
        bail!("--layer all writes a sheet per layer, which only --format xlsx can hold; export one layer at a time");
    }
    if a.level == Level::Public && !(a.grid.is_finite() && a.grid > 0.0 && a.grid <= 1.0) {
        bail!("--grid is a cell size in degrees, more than 0 and at most 1");
    }
    let public = (a.level == Level::Public).then_some(match a.dangerous {
        DangerousChoice::Coarsen => Dangerous::Coarsen { grid_deg: a.grid },
        DangerousChoice::Drop => Dangerous::Drop,
    });
    let tmp = part_file(db, a)?;
    let bound = a.as_of.map(safeground_store::end_of_day);
    let store = Store::open(db)?;
    let layer = a.layer.0[0];
    // Every layer's features, at the level asked for.
    let export = |l: Layer, sink: &mut dyn FnMut(Feature) -> std::io::Result<()>| {
        let status = l.columns().iter().position(|c| *c == "status");
        store.export(l, bound.as_deref(), a.district.as_deref(), &mut |mut f: Feature| {
            if let (Some(how), Layer::Hazards, Some(i)) = (public, l, status) {
                let s = f.values.get(i).and_then(|v| v.as_str()).unwrap_or("").to_string();
                f.geometry = public::hazard_geometry(f.geometry.take(), &s, how);
            }
            sink(f)
        })
    };
    let columns = layer.columns();
    let open = || -> Result<BufWriter<std::fs::File>> { Ok(BufWriter::new(crate::create_private(&tmp)?)) };
    let result = match a.format {
        Format::Geojson => {
            let mut w = GeoJsonWriter::new(open()?, columns)?;
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()));
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
        Format::Kml => {
            let mut w = KmlWriter::new(open()?, layer.name(), columns)?;
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()));
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
        Format::Gpkg => {
            let mut w = safeground_store::GpkgLayerWriter::create(&tmp, layer)?;
            let mut failed = None;
            let n = export(layer, &mut |f| {
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
        Format::Xlsx => {
            let mut w = safeground_formats::xlsx_out::XlsxWriter::new();
            let mut total = 0;
            for l in &a.layer.0 {
                let shape = if !l.spatial() {
                    Shape::None
                } else if points(*l) {
                    Shape::Points
                } else {
                    Shape::Wkt
                };
                w.sheet(l.name(), l.columns(), shape)?;
                let mut failed = None;
                let n = export(*l, &mut |f| {
                    w.feature(l.columns(), &f.values, f.geometry.as_ref()).map_err(|e| {
                        let m = e.to_string();
                        failed = Some(e);
                        std::io::Error::other(m)
                    })
                });
                if let Some(e) = failed {
                    return finish(Err(e.into()), &tmp, a, layer);
                }
                total += n?;
            }
            crate::create_private(&tmp)?;
            w.save(&tmp).map(|_| total).map_err(anyhow::Error::from)
        }
        Format::Csv => {
            let mut w = if layer.spatial() {
                CsvLayerWriter::new(open()?, columns, points(layer), a.hxl)?
            } else {
                CsvLayerWriter::attributes(open()?, columns, a.hxl)?
            };
            let n = export(layer, &mut |f| w.feature(&f.values, f.geometry.as_ref()));
            n.map_err(anyhow::Error::from).and_then(|n| {
                w.finish()?;
                Ok(n)
            })
        }
    };
    finish(result, &tmp, a, layer)
}

/// Where the export is written until it is complete: beside OUT (or, for
/// standard output, in the temporary directory). Refuses OUT when it is the
/// register itself, or exists and `--force` was not given.
fn part_file(db: &Location, a: &ExportArgs) -> Result<PathBuf> {
    let tmp = if a.out.as_os_str() == "-" {
        std::env::temp_dir().join(format!("safeground-export-{}.part", std::process::id()))
    } else {
        if crate::is_register(db, &a.out) {
            bail!(
                "{} is the register itself (--db): an export never replaces it; name another file",
                a.out.display()
            );
        }
        if a.out.exists() && !a.force {
            bail!("{} exists: add --force to replace it, or name another file", a.out.display());
        }
        let mut tmp = a.out.clone().into_os_string();
        tmp.push(".part");
        PathBuf::from(tmp)
    };
    let _ = std::fs::remove_file(&tmp);
    Ok(tmp)
}

/// Moves a complete export into place, or removes a failed one.
fn finish(result: Result<usize>, tmp: &Path, a: &ExportArgs, layer: Layer) -> Result<()> {
    match result {
        Ok(n) => {
            let to_stdout = a.out.as_os_str() == "-";
            if to_stdout {
                let copied = std::fs::File::open(tmp)
                    .and_then(|mut f| std::io::copy(&mut f, &mut std::io::stdout().lock()));
                let _ = std::fs::remove_file(tmp);
                copied.context("writing the export to standard output")?;
            } else {
                std::fs::rename(tmp, &a.out)
                    .with_context(|| format!("moving the export to {}", a.out.display()))?;
            }
            let what = if a.layer.0.len() > 1 { "all layers'".to_string() } else { layer.name().to_string() };
            let place = if to_stdout { "standard output".to_string() } else { a.out.display().to_string() };
            eprintln!("wrote {n} {what} features to {place}");
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}
