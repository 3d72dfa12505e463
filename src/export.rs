//! `safeground export`: a layer to a file, whole or not at all.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use safeground_core::public::Dangerous;
use safeground_exchange::export as exchange;
use safeground_store::Location;
use safeground_store::{Layer, Store};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations
    /// (or `all`, with --format xlsx: a sheet for each).
    #[arg(long, value_parser = parse_layers)]
    layer: Layers,
    /// geojson (RFC 7946, streamed); csv (longitude/latitude columns for points, WKT for other
    /// shapes); kml (KML 2.2 for Google Earth, styled by status, outcome or EO category); gpkg (a
    /// GeoPackage holding the one layer, with typed columns); xlsx (an Excel workbook, one sheet per
    /// layer: `--layer all` for every layer).
    #[arg(long)]
    format: exchange::Format,
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
    /// With the files shown with each hazard, EO find or accident (never a
    /// personal file): inside a GeoPackage (Related Tables Extension), beside
    /// other formats in the folder OUT.files (`files.csv` names each one's feature).
    #[arg(long)]
    attachments: bool,
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

pub fn run(db: &Location, a: &ExportArgs) -> Result<()> {
    let format = a.format;
    let request = exchange::Request {
        layers: a.layer.0.clone(),
        format,
        as_of: a.as_of,
        district: a.district.clone(),
        hxl: a.hxl,
        public: (a.level == Level::Public).then_some(match a.dangerous {
            DangerousChoice::Coarsen => Dangerous::Coarsen { grid_deg: a.grid },
            DangerousChoice::Drop => Dangerous::Drop,
        }),
        scope: exchange::Scope::default(),
        attachments: a.attachments,
    };
    request.check()?;
    let folder =
        (a.attachments && format != exchange::Format::Gpkg).then(|| files_folder(db, a)).transpose()?;
    let tmp = part_file(db, a)?;
    let store = Store::open(db)?;
    let result = exchange::write(&store, &request, &tmp).map_err(anyhow::Error::from);
    let Some((dir, part)) = folder else { return finish(result, &tmp, a, a.layer.0[0]) };
    let written = result.and_then(|n| {
        let _ = std::fs::remove_dir_all(&part);
        Ok((n, exchange::write_files(&store, &request, &part)?))
    });
    let (n, files) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&part);
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    place_with_files(&tmp, &a.out, (&part, &dir))?;
    let layer = a.layer.0[0].name();
    eprintln!("wrote {n} {layer} features to {}", a.out.display());
    eprintln!("wrote {} files ({} rows of files.csv) to {}", files.files, files.rows, dir.display());
    Ok(())
}

/// Moves the layer (`tmp` → `out`) and its folder of files (`part` →
/// `dir`) into place together: an earlier folder is set aside first and
/// put back, and the new parts removed, if either move fails.
fn place_with_files(tmp: &Path, out: &Path, (part, dir): (&Path, &Path)) -> Result<()> {
    let mut old = dir.as_os_str().to_owned();
    old.push(".old");
    let old = PathBuf::from(old);
    let _ = std::fs::remove_dir_all(&old);
    let had = dir.exists();
    let moved = (|| -> std::io::Result<()> {
        if had {
            std::fs::rename(dir, &old)?;
        }
        std::fs::rename(part, dir)?;
        std::fs::rename(tmp, out)
    })();
    match moved {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        }
        Err(e) => {
            if dir.exists() && !part.exists() {
                let _ = std::fs::remove_dir_all(dir);
            }
            if had && old.exists() {
                let _ = std::fs::rename(&old, dir);
            }
            let _ = std::fs::remove_dir_all(part);
            let _ = std::fs::remove_file(tmp);
            Err(anyhow::Error::from(e).context(format!("moving the export to {}", out.display())))
        }
    }
}

/// Where the files of an export in a format that cannot hold them go:
/// `OUT.files`, written as `OUT.files.part` until complete. Refused for
/// standard output, when it exists and `--force` was not given, and when
/// the register lies inside either folder.
fn files_folder(db: &Location, a: &ExportArgs) -> Result<(PathBuf, PathBuf)> {
    if a.out.as_os_str() == "-" {
        bail!("the files go in a folder beside OUT: name a file, not standard output");
    }
    let mut dir = a.out.clone().into_os_string();
    dir.push(".files");
    let dir = PathBuf::from(dir);
    if dir.exists() && !a.force {
        bail!("{} exists: add --force to replace it, or name another file", dir.display());
    }
    let mut part = dir.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    if let Some(register) = db.file() {
        let register = std::fs::canonicalize(register).unwrap_or_else(|_| register.to_path_buf());
        for folder in [&dir, &part] {
            let folder = std::fs::canonicalize(folder)
                .or_else(|_| std::path::absolute(folder))
                .unwrap_or_else(|_| folder.clone());
            if register.starts_with(&folder) {
                bail!("the register (--db) is inside {}: name another OUT", folder.display());
            }
        }
    }
    Ok((dir, part))
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
