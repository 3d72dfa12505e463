//! The treaty report as a printable PDF: the cover, then each form with the
//! workbook's tables, a chart of the year's release by district and a map of
//! the areas as they stood at the end of the year.

use super::{form_tables, FormTable};
use crate::catalogue::{t, Lang};
use crate::print;
use safeground_core::treaty::{Area, Facts, Form, TreatyReport};
use safeground_pdf::{Block, Cell, Column, Doc, Table};
use serde_json::Value;
use std::collections::HashMap;

/// A table cell from a workbook value: m² to the metre, coordinates to five
/// places (about a metre).
fn cell(key: &str, v: &Value) -> Cell {
    print::cell(v, if matches!(key, "lat" | "lon") { 5 } else { 0 })
}

fn weight(key: &str) -> f32 {
    match key {
        "known" | "note" => 1.6,
        "code" | "eo_type" => 1.4,
        "district" => 1.2,
        "lat" | "lon" => 0.9,
        "kind" | "sex" => 0.55,
        _ => 1.0,
    }
}

/// A row of one text under several columns: a note, printed small after the table.
fn is_note(row: &[Cell], columns: usize) -> bool {
    columns > 1 && row.len() == 1 && matches!(row.first(), Some(Cell::Text(_)))
}

/// A row after the totals (victims assisted) as a label and its figures.
fn figure(row: &[Cell], lang: Lang) -> Option<(String, String)> {
    let numbers = print::numbers(lang);
    let Some(Cell::Text(label)) = row.first() else { return None };
    let values: Vec<String> = row[1..]
        .iter()
        .filter_map(|c| match c {
            Cell::Int(n) => Some(numbers.format(*n as f64, 0)),
            Cell::Num(v, d) => Some(numbers.format(*v, *d)),
            Cell::Text(t) => Some(t.clone()),
            Cell::Empty => None,
        })
        .collect();
    Some((label.clone(), values.join(" ")))
}

/// The form's table, its totals row under a rule, the figures after the
/// totals, and its notes as small print after it.
fn pdf_table(ft: &FormTable, lang: Lang) -> Vec<Block> {
    let titles = print::columns(lang, ft.keys);
    let columns = titles.into_iter().zip(ft.keys).map(|(title, k)| Column::new(title, weight(k))).collect();
    let total = Cell::Text(t(lang, "doc.total"));
    let rows: Vec<Vec<Cell>> =
        ft.rows.iter().map(|r| r.iter().zip(ft.keys.iter()).map(|(v, k)| cell(k, v)).collect()).collect();
    let (notes, mut rows): (Vec<Vec<Cell>>, Vec<Vec<Cell>>) =
        rows.into_iter().partition(|r| is_note(r, ft.keys.len()));
    let (total, after) = match rows.iter().position(|r| r.first() == Some(&total)) {
        Some(i) => {
            let after = rows.split_off(i + 1);
            (rows.pop(), after)
        }
        None => (None, vec![]),
    };
    let mut blocks = vec![Block::Table(Table { columns, rows, total })];
    let figures: Vec<(String, String)> = after.iter().filter_map(|r| figure(r, lang)).collect();
    if !figures.is_empty() {
        blocks.push(Block::Facts(figures));
    }
    blocks.extend(notes.into_iter().filter_map(|n| match n.into_iter().next() {
        Some(Cell::Text(text)) => Some(Block::Note(text)),
        _ => None,
    }));
    blocks
}

/// Released in the year by district, stacked by outcome.
fn release_chart(f: &safeground_core::treaty::Release, lang: Lang) -> Block {
    let rows = f
        .districts
        .iter()
        .map(|d| {
            (d.district.clone(), [d.released_m2.cancelled, d.released_m2.reduced, d.released_m2.cleared])
        })
        .collect();
    print::release_chart(lang, t(lang, "doc.chart.released_by_district"), rows)
}

/// The areas on a map over the districts, by SHA and CHA.
fn areas_map(areas: &[Area], facts: &Facts, base: &[geo::MultiPolygon<f64>], lang: Lang) -> Option<Block> {
    let shapes: HashMap<&str, &geo::MultiPolygon<f64>> =
        facts.after.iter().filter_map(|h| Some((h.code.as_str(), h.shape.as_ref()?))).collect();
    let layers = print::hazard_layers(
        lang,
        areas.iter().filter_map(|a| Some((a.kind, (*shapes.get(a.code.as_str())?).clone()))).collect(),
    );
    (!layers.is_empty())
        .then(|| Block::Map(print::map(lang, t(lang, "doc.map.areas"), base.to_vec(), layers)))
}

fn form_blocks(
    letter: &str,
    form: &Form,
    facts: &Facts,
    base: &[geo::MultiPolygon<f64>],
    lang: Lang,
) -> Vec<Block> {
    let tables = form_tables(letter, form, lang);
    let mut blocks = vec![];
    match form {
        Form::NotKnown { .. } => return vec![Block::Note(t(lang, "doc.not_known"))],
        Form::Areas(areas) => blocks.extend(areas_map(areas, facts, base, lang)),
        Form::Release(f) => {
            let r = &f.released_m2;
            if r.cancelled + r.reduced + r.cleared > 0.0 {
                blocks.push(release_chart(f, lang));
            }
            if let Some(areas) = &f.areas {
                blocks.extend(areas_map(areas, facts, base, lang));
            }
        }
        _ => {}
    }
    for (i, ft) in tables.iter().enumerate() {
        if i > 0 {
            let caption = ft.name.strip_prefix(&format!("Form {letter} ")).unwrap_or(&ft.name);
            blocks.push(Block::Text(t(lang, &format!("doc.part.{}", caption.replace(' ', "_")))));
        }
        blocks.extend(pdf_table(ft, lang));
    }
    blocks
}

/// The whole document.
pub(super) fn document(
    cover: &print::Cover,
    r: &TreatyReport,
    facts: &Facts,
    base: &[geo::MultiPolygon<f64>],
    footer: String,
    lang: Lang,
) -> Doc {
    let conv = super::which_key(r.convention);
    let mut blocks = vec![Block::Facts(print::cover_facts(cover))];
    for (letter, form) in &r.forms {
        blocks.push(Block::Heading {
            text: format!(
                "{} {letter} — {}",
                t(lang, "doc.form"),
                t(lang, &format!("doc.{conv}.form.{letter}"))
            ),
            // A map opens the form: on a page of its own, its heading with it.
            new_page: matches!(form, Form::Areas(_)),
        });
        blocks.extend(form_blocks(letter, form, facts, base, lang));
    }
    Doc {
        title: t(lang, &format!("doc.{conv}.title")),
        subtitle: format!("{} {}", t(lang, "doc.cover.year"), r.year),
        lang: lang.code().into(),
        footer,
        page_word: t(lang, "doc.page"),
        numbers: print::numbers(lang),
        blocks,
    }
}
