//! What the printed reports share: numbers written for the language, the
//! map's colours and layers, writing the PDF.

use crate::catalogue::{t, Lang};
use anyhow::Result;
use geo::MultiPolygon;
use safeground_core::codes::{HazardKind, ReleaseOutcome as Outcome};
use safeground_pdf::{Layer, Map, Numbers, Rgb};

/// How the language writes numbers.
pub fn numbers(lang: Lang) -> Numbers {
    match lang {
        Lang::En => Numbers::EN,
        Lang::Az | Lang::Uk | Lang::Ru => Numbers::SPACED,
    }
}

fn kind_colours(kind: HazardKind) -> (Rgb, Rgb) {
    match kind {
        HazardKind::Sha => (Rgb(253, 208, 162), Rgb(217, 95, 14)),
        HazardKind::Cha => (Rgb(239, 101, 72), Rgb(153, 0, 13)),
    }
}

fn outcome_colour(outcome: Outcome) -> Rgb {
    match outcome {
        Outcome::Cancelled => Rgb(158, 202, 225),
        Outcome::Reduced => Rgb(107, 174, 214),
        Outcome::Cleared => Rgb(49, 163, 84),
    }
}

/// The chart's colour of released ground by outcome, as on the map.
pub fn released_colour(outcome: Outcome) -> Rgb {
    outcome_colour(outcome)
}

/// Hazards as two layers, SHA under CHA.
pub fn hazard_layers(lang: Lang, shapes: Vec<(HazardKind, MultiPolygon<f64>)>) -> Vec<Layer> {
    [HazardKind::Sha, HazardKind::Cha]
        .into_iter()
        .map(|kind| {
            let (fill, stroke) = kind_colours(kind);
            Layer {
                name: t(lang, &format!("doc.map.{}", kind.code().to_lowercase())),
                fill,
                stroke,
                shapes: shapes.iter().filter(|(k, _)| *k == kind).map(|(_, s)| s.clone()).collect(),
            }
        })
        .filter(|l| !l.shapes.is_empty())
        .collect()
}

/// Released ground as a layer per outcome.
pub fn released_layers(lang: Lang, shapes: Vec<(Outcome, MultiPolygon<f64>)>) -> Vec<Layer> {
    [Outcome::Cancelled, Outcome::Reduced, Outcome::Cleared]
        .into_iter()
        .map(|outcome| {
            let fill = outcome_colour(outcome);
            Layer {
                name: t(lang, &format!("doc.map.{}", outcome.code().to_lowercase())),
                fill,
                stroke: Rgb(fill.0 / 2, fill.1 / 2, fill.2 / 2),
                shapes: shapes.iter().filter(|(o, _)| *o == outcome).map(|(_, s)| s.clone()).collect(),
            }
        })
        .filter(|l| !l.shapes.is_empty())
        .collect()
}

/// A map of `layers` over the districts.
pub fn map(lang: Lang, title: String, base: Vec<MultiPolygon<f64>>, layers: Vec<Layer>) -> Map {
    Map {
        title,
        units: (t(lang, "doc.unit.m"), t(lang, "doc.unit.km")),
        base,
        layers,
        caption: t(lang, "doc.map.caption"),
    }
}

/// The document written as PDF to `out` (an open, private file).
pub fn write_pdf(doc: &safeground_pdf::Doc, out: &mut std::fs::File) -> Result<()> {
    use std::io::Write;
    out.write_all(&safeground_pdf::render(doc)?)?;
    Ok(())
}

/// Refuses to write `out` over the register itself, or over a file that
/// exists unless `force`.
pub fn check_out(db: &safeground_store::Location, out: &std::path::Path, force: bool) -> Result<()> {
    if crate::is_register(db, out) {
        anyhow::bail!("{} is the register itself (--db): name another file", out.display());
    }
    if out.exists() && !force {
        anyhow::bail!("{} exists: add --force to replace it, or name another file", out.display());
    }
    Ok(())
}

/// Writes `out` whole or not at all: `write` fills `OUT.part` (made private:
/// a report is the authority's until it publishes it), which then takes
/// `out`'s place; on any failure the part is removed and `out` is untouched.
pub fn write_whole(
    out: &std::path::Path,
    write: impl FnOnce(&std::path::Path, &mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let mut part = out.to_path_buf().into_os_string();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let written = crate::create_private(&part).and_then(|mut f| write(&part, &mut f));
    if let Err(e) = written.and_then(|()| std::fs::rename(&part, out).map_err(Into::into)) {
        let _ = std::fs::remove_file(&part);
        return Err(e.context(format!("writing {}", out.display())));
    }
    Ok(())
}

/// A workbook value as a PDF table's cell: numbers stay numbers, with
/// `decimals` places when not whole.
pub fn cell(v: &serde_json::Value, decimals: u8) -> safeground_pdf::Cell {
    use safeground_pdf::Cell;
    use serde_json::Value;
    match v {
        Value::Null => Cell::Empty,
        Value::Number(n) if n.is_i64() => Cell::Int(n.as_i64().unwrap_or_default()),
        Value::Number(n) => Cell::Num(n.as_f64().unwrap_or_default(), decimals),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

/// When the report was made, to the second (UTC, RFC 3339).
pub fn produced_at() -> Result<String> {
    let now =
        time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(now.format(&time::format_description::well_known::Rfc3339)?)
}
