//! `safeground treaty apmbc|ccm --year YYYY --format json|xlsx|pdf OUT`: a State
//! Party's Article 7 transparency report, its figures as the register stood
//! on 31 December of the year (`core::treaty` makes the forms; the store
//! reads the facts). A cover names the register, when the report was made and
//! the head of the sealed history, which `audit verify` prints too.

mod pdf;

use crate::catalogue::{t, Lang};
use crate::print::{self, Cover};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use safeground_core::treaty::{self, Area, Convention, Form, TreatyReport};
use safeground_formats::xlsx_out::{Shape, XlsxWriter};
use safeground_store::{Location, Store};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// The Anti-Personnel Mine Ban Convention (Ottawa): forms A to J.
    Apmbc,
    /// The Convention on Cluster Munitions: forms A to J, F, G and H from the register.
    Ccm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TreatyFormat {
    /// The figures for machines, with stable keys (docs/reporting.md).
    Json,
    /// A workbook: a cover, then a sheet per form.
    Xlsx,
    /// A printable A4 document: the cover, each form's tables, a chart of
    /// the year's release and a map of the areas.
    Pdf,
}

#[derive(Debug, Args)]
pub struct TreatyArgs {
    /// Which convention's report.
    #[arg(value_enum)]
    which: Which,
    /// The reporting year: figures as of 31 December.
    #[arg(long)]
    year: i32,
    #[arg(long, value_enum, default_value = "json")]
    format: TreatyFormat,
    /// The language of the cover, headers and notes.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// The file to write (`-`: JSON to standard output).
    out: PathBuf,
}

pub fn run(db: &Location, a: &TreatyArgs) -> Result<()> {
    let this_year = time::OffsetDateTime::now_utc().year();
    if !(1997..=this_year).contains(&a.year) {
        bail!("--year {} is not a reporting year: give one from 1997 (the APMBC's) to {this_year}", a.year);
    }
    let to_stdout = a.out.as_os_str() == "-";
    if to_stdout && a.format != TreatyFormat::Json {
        bail!("a workbook or a PDF goes to a file: name one instead of -");
    }
    if !to_stdout {
        print::check_out(db, &a.out, a.force)?;
    }
    let convention = match a.which {
        Which::Apmbc => Convention::Apmbc,
        Which::Ccm => Convention::Ccm,
    };
    let store = Store::open(db)?;
    // The facts and the history's head the cover cites, of one state.
    let (facts, head) = store.treaty_facts(convention, a.year, a.format == TreatyFormat::Pdf)?;
    let report = treaty::report(convention, a.year, &facts);
    let cover = cover(db, head, &report, a.lang)?;
    if to_stdout {
        println!("{}", serde_json::to_string_pretty(&json_of(&cover, &report))?);
        return Ok(());
    }
    print::write_whole(&a.out, |part, f| match a.format {
        TreatyFormat::Json => {
            use std::io::Write;
            Ok(f.write_all(serde_json::to_string_pretty(&json_of(&cover, &report))?.as_bytes())?)
        }
        TreatyFormat::Xlsx => workbook(part, &cover, &report, a.lang),
        TreatyFormat::Pdf => {
            let base = store.district_outlines()?;
            let footer = format!("{} · {}", t(a.lang, &format!("doc.{}.title", which_key(convention))), db);
            print::write_pdf(&pdf::document(&cover, &report, &facts, &base, footer, a.lang), f)
        }
    })?;
    println!("wrote the {} report for {} to {}", report_name(convention), a.year, a.out.display());
    Ok(())
}

fn which_key(c: Convention) -> &'static str {
    match c {
        Convention::Apmbc => "apmbc",
        Convention::Ccm => "ccm",
    }
}

fn report_name(c: Convention) -> &'static str {
    match c {
        Convention::Apmbc => "APMBC Article 7",
        Convention::Ccm => "CCM Article 7",
    }
}

/// The cover: what the report is, of which register, when, and the head of
/// the register's sealed history; (label, value) in `lang`, with the JSON's keys.
fn cover(
    db: &Location,
    head: Option<safeground_store::AuditHead>,
    r: &TreatyReport,
    lang: Lang,
) -> Result<Cover> {
    let (title, scope) = match r.convention {
        Convention::Apmbc => ("doc.apmbc.title", "doc.cover.scope_ap"),
        Convention::Ccm => ("doc.ccm.title", "doc.cover.scope_cmr"),
    };
    Ok(vec![
        ("title", t(lang, title), json!(t(lang, title))),
        ("register", t(lang, "doc.cover.register"), json!(db.to_string())),
        ("year", t(lang, "doc.cover.year"), json!(r.year)),
        ("as_of", t(lang, "doc.cover.as_of"), json!(r.as_of.to_string())),
        ("scope", t(lang, scope), Value::Null),
        ("produced_at", t(lang, "doc.cover.produced"), json!(print::produced_at()?)),
        ("history_head", t(lang, "doc.cover.head"), print::head_value(head)),
    ])
}

fn json_of(cover: &Cover, r: &TreatyReport) -> Value {
    print::with_cover(serde_json::to_value(r).unwrap_or(Value::Null), cover)
}

/// The workbook: `Cover`, then `Form A` … `Form J` in order (and the
/// breakdowns a form has beside its table).
fn workbook(path: &Path, cover: &Cover, r: &TreatyReport, lang: Lang) -> Result<()> {
    let mut book = XlsxWriter::new();
    print::cover_sheet(&mut book, cover, lang)?;
    for (letter, form) in &r.forms {
        for t in form_tables(letter, form, lang) {
            sheet(&mut book, lang, &t)?;
        }
    }
    book.save(path)?;
    Ok(())
}

/// One table of a form: its sheet's name, its columns (catalogue keys under
/// `doc.col.`) and its rows; the workbook and the PDF show the same tables.
struct FormTable {
    name: String,
    keys: &'static [&'static str],
    rows: Vec<Vec<Value>>,
}

fn table(name: String, keys: &'static [&'static str], rows: Vec<Vec<Value>>) -> FormTable {
    FormTable { name, keys, rows }
}

/// Writes one sheet: `name`, columns by catalogue key, rows.
fn sheet(book: &mut XlsxWriter, lang: Lang, t: &FormTable) -> Result<()> {
    let header = print::columns(lang, t.keys);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    book.sheet(&t.name, &header, Shape::None)?;
    for row in &t.rows {
        book.feature(&header, row, None)?;
    }
    Ok(())
}

const FORM_F_KEYS: &[&str] =
    &["district", "cancelled_m2", "reduced_m2", "cleared_m2", "remaining_sha_m2", "remaining_cha_m2"];

fn release_row(d: Value, rel: &treaty::Released, rem: &treaty::Remaining) -> Vec<Value> {
    vec![d, json!(rel.cancelled), json!(rel.reduced), json!(rel.cleared), json!(rem.sha), json!(rem.cha)]
}

fn education_table(name: String, e: &treaty::Education, lang: Lang) -> FormTable {
    let row = |d: Value, n: usize, r: &safeground_core::model::Reach| {
        vec![d, json!(n), json!(r.girls), json!(r.boys), json!(r.women), json!(r.men), json!(r.total())]
    };
    let mut rows: Vec<Vec<Value>> =
        e.districts.iter().map(|d| row(json!(d.district), d.sessions, &d.reached)).collect();
    rows.push(row(json!(t(lang, "doc.total")), e.sessions, &e.reached));
    rows.push(row(json!(t(lang, "doc.with_disability")), e.sessions_counting_disability, &e.with_disability));
    rows.push(vec![json!(t(lang, "doc.marking"))]);
    table(name, &["district", "sessions", "girls", "boys", "women", "men", "total"], rows)
}

fn casualty_tables(name: String, c: &treaty::Casualties, lang: Lang) -> Vec<FormTable> {
    let mut rows: Vec<Vec<Value>> = c
        .by_sex_age
        .iter()
        .map(|g| vec![json!(g.sex.code()), json!(g.age_group), json!(g.killed), json!(g.injured)])
        .collect();
    rows.push(vec![
        json!(t(lang, "doc.total")),
        Value::Null,
        json!(c.casualties.killed),
        json!(c.casualties.injured),
    ]);
    rows.push(vec![json!(t(lang, "doc.col.assisted")), Value::Null, json!(c.victims_assisted)]);
    let by_device =
        c.by_device.iter().map(|d| vec![json!(d.device.code()), json!(d.killed), json!(d.injured)]).collect();
    let by_disability = c
        .by_disability
        .iter()
        .map(|d| vec![json!(d.disability), json!(d.killed), json!(d.injured)])
        .collect();
    vec![
        table(name.clone(), &["sex", "age_group", "killed", "injured"], rows),
        table(format!("{name} by device"), &["device", "killed", "injured"], by_device),
        table(format!("{name} by disability"), &["disability", "killed", "injured"], by_disability),
    ]
}

/// A form's tables, in order.
fn form_tables(letter: &str, form: &Form, lang: Lang) -> Vec<FormTable> {
    let name = format!("Form {letter}");
    match form {
        Form::NotKnown { .. } => vec![table(name, &["note"], vec![vec![json!(t(lang, "doc.not_known"))]])],
        Form::Areas(areas) => vec![area_table(name, areas, lang)],
        Form::Release(f) => {
            let mut rows: Vec<Vec<Value>> = f
                .districts
                .iter()
                .map(|d| release_row(json!(d.district), &d.released_m2, &d.remaining_m2))
                .collect();
            rows.push(release_row(json!(t(lang, "doc.total")), &f.released_m2, &f.remaining_m2));
            let mut tables = vec![table(name.clone(), FORM_F_KEYS, rows)];
            if let Some(areas) = &f.areas {
                tables.push(area_table(format!("{name} areas"), areas, lang));
            }
            if let Some(d) = &f.destroyed {
                tables.push(destroyed_table(format!("{name} destroyed"), d, lang));
            }
            tables
        }
        Form::Destroyed(d) => vec![destroyed_table(name, d, lang)],
        Form::Education(e) => vec![education_table(name, e, lang)],
        Form::Casualties(c) => casualty_tables(name, c, lang),
    }
}

const AREA_KEYS: &[&str] =
    &["code", "district", "kind", "area_m2", "recorded_m2", "lat", "lon", "known", "emplaced"];

fn area_table(name: String, areas: &[Area], lang: Lang) -> FormTable {
    let mut rows: Vec<Vec<Value>> = areas
        .iter()
        .map(|a| {
            let known: Vec<String> =
                a.known.iter().map(|i| format!("{} × {}", i.eo_type, i.quantity)).collect();
            vec![
                json!(a.code),
                json!(a.district),
                json!(a.kind.code()),
                json!(a.area_m2),
                json!(a.recorded_m2),
                json!(a.lat),
                json!(a.lon),
                json!(known.join("; ")),
                Value::Null,
            ]
        })
        .collect();
    let remaining: f64 = areas.iter().map(|a| a.area_m2).sum();
    let recorded: f64 = areas.iter().map(|a| a.recorded_m2).sum();
    rows.push(vec![json!(t(lang, "doc.total")), Value::Null, Value::Null, json!(remaining), json!(recorded)]);
    table(name, AREA_KEYS, rows)
}

fn destroyed_table(name: String, d: &treaty::Destroyed, lang: Lang) -> FormTable {
    let mut rows: Vec<Vec<Value>> =
        d.destroyed.iter().map(|i| vec![json!(i.eo_type), json!(i.quantity)]).collect();
    rows.push(vec![json!(t(lang, "doc.total")), json!(d.total)]);
    table(name, &["eo_type", "quantity"], rows)
}
