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
