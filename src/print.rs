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

/// The colour of released ground by outcome, on maps and charts alike.
pub fn released_colour(outcome: Outcome) -> Rgb {
    match outcome {
        Outcome::Cancelled => Rgb(158, 202, 225),
        Outcome::Reduced => Rgb(107, 174, 214),
        Outcome::Cleared => Rgb(49, 163, 84),
    }
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
            let fill = released_colour(outcome);
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

/// The register as a document served over the API names it: its file's
/// name, or "PostgreSQL register" — never where the server keeps it.
pub fn register_name(db: &safeground_store::Location) -> String {
    match db {
        safeground_store::Location::File(p) => {
            p.file_name().map_or("register".into(), |n| n.to_string_lossy().into_owned())
        }
        safeground_store::Location::Postgres(_) => "PostgreSQL register".to_string(),
    }
}

/// When the report was made, to the second (UTC, RFC 3339).
pub fn produced_at() -> Result<String> {
    let now =
        time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(now.format(&time::format_description::well_known::Rfc3339)?)
}

/// A report's cover: (its JSON key, its label in the language, its value).
pub type Cover = Vec<(&'static str, String, serde_json::Value)>;

/// The sealed history's head as a cover cites it.
pub fn head_value(head: Option<safeground_store::AuditHead>) -> serde_json::Value {
    head.map_or(
        serde_json::Value::Null,
        |h| serde_json::json!({"seq": h.seq, "hash": h.hash, "text": format!("event {} {}", h.seq, h.hash)}),
    )
}

/// What a cover line shows: its value as text (a label alone when it has none).
fn shown(key: &str, value: &serde_json::Value) -> serde_json::Value {
    match (key, value) {
        ("history_head", v) if !v.is_null() => v["text"].clone(),
        (_, v) => v.clone(),
    }
}

/// The report's JSON with its cover as `cover` (a line with no value, such
/// as the treaty's scope, gives its label).
pub fn with_cover(report: serde_json::Value, cover: &Cover) -> serde_json::Value {
    let mut report = report;
    let c: serde_json::Map<String, serde_json::Value> = cover
        .iter()
        .map(|(key, label, v)| {
            (key.to_string(), if v.is_null() { serde_json::json!(label) } else { v.clone() })
        })
        .collect();
    if let serde_json::Value::Object(m) = &mut report {
        m.insert("cover".into(), serde_json::Value::Object(c));
    }
    report
}

/// The cover as a PDF's label–value lines (its title aside: the document's own).
pub fn cover_facts(cover: &Cover) -> Vec<(String, String)> {
    cover
        .iter()
        .filter(|(key, _, _)| *key != "title")
        .map(|(key, label, v)| {
            let text = match shown(key, v) {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (label.clone(), text)
        })
        .collect()
}

/// The cover as a workbook's first sheet, `Cover`.
pub fn cover_sheet(
    book: &mut safeground_formats::xlsx_out::XlsxWriter,
    cover: &Cover,
    lang: Lang,
) -> Result<()> {
    let head = [t(lang, "doc.col.note"), String::new()];
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    book.sheet("Cover", &head, safeground_formats::xlsx_out::Shape::None)?;
    for (key, label, value) in cover {
        book.feature(&head, &[serde_json::json!(label), shown(key, value)], None)?;
    }
    Ok(())
}

/// Column titles: catalogue keys under `doc.col.`.
pub fn columns(lang: Lang, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t(lang, &format!("doc.col.{k}"))).collect()
}

/// Released ground per category, stacked by outcome (cancelled, reduced,
/// cleared, m²).
pub fn release_chart(lang: Lang, title: String, rows: Vec<(String, [f64; 3])>) -> safeground_pdf::Block {
    let outcomes = [Outcome::Cancelled, Outcome::Reduced, Outcome::Cleared];
    let series = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| safeground_pdf::Series {
            name: t(lang, &format!("doc.map.{}", o.code().to_lowercase())),
            color: released_colour(*o),
            values: rows.iter().map(|(_, v)| v[i]).collect(),
        })
        .collect();
    safeground_pdf::Block::Chart(safeground_pdf::Chart {
        title,
        unit: "m²".into(),
        categories: rows.into_iter().map(|(c, _)| c).collect(),
        series,
    })
}

/// The document written as PDF to `out`, with a warning for letters the
/// embedded faces lack (they would print as empty boxes).
pub fn write_pdf(doc: &safeground_pdf::Doc, out: &mut std::fs::File) -> Result<()> {
    let missing = safeground_pdf::missing_letters(doc);
    if !missing.is_empty() {
        let letters: String = missing.iter().collect();
        eprintln!("warning: the PDF's font has no letters for \"{letters}\": they print as empty boxes");
    }
    use std::io::Write;
    out.write_all(&safeground_pdf::render(doc)?)?;
    Ok(())
}
