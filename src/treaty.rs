//! `safeground treaty apmbc|ccm --year YYYY --format json|xlsx OUT`: a State
//! Party's Article 7 transparency report, its figures as the register stood
//! on 31 December of the year (`core::treaty` makes the forms; the store
//! reads the facts). A cover names the register, when the report was made and
//! the head of the sealed history, which `audit verify` prints too.

use crate::catalogue::{t, Lang};
use anyhow::{bail, Context, Result};
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
        bail!("an XLSX workbook goes to a file: name one instead of -");
    }
    if !to_stdout {
        if crate::is_register(db, &a.out) {
            bail!("{} is the register itself (--db): name another file", a.out.display());
        }
        if a.out.exists() && !a.force {
            bail!("{} exists: add --force to replace it, or name another file", a.out.display());
        }
    }
    let convention = match a.which {
        Which::Apmbc => Convention::Apmbc,
        Which::Ccm => Convention::Ccm,
    };
    let store = Store::open(db)?;
    // The facts and the history's head the cover cites, of one state.
    let (facts, head) = store.treaty_facts(convention, a.year)?;
    let report = treaty::report(convention, a.year, &facts);
    let cover = cover(db, head, &report, a.lang)?;
    if to_stdout {
        println!("{}", serde_json::to_string_pretty(&json_of(&cover, &report))?);
        return Ok(());
    }
    let mut part = a.out.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    // Private until the authority publishes it.
    let written = crate::create_private(&part).and_then(|mut f| match a.format {
        TreatyFormat::Json => {
            use std::io::Write;
            Ok(f.write_all(serde_json::to_string_pretty(&json_of(&cover, &report))?.as_bytes())?)
        }
        TreatyFormat::Xlsx => workbook(&part, &cover, &report, a.lang),
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&part, &a.out).map_err(Into::into)) {
        let _ = std::fs::remove_file(&part);
        return Err(e.context(format!("writing {}", a.out.display())));
    }
    println!("wrote the {} report for {} to {}", report_name(convention), a.year, a.out.display());
    Ok(())
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
) -> Result<Vec<(&'static str, String, Value)>> {
    let produced =
        time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let produced =
        produced.format(&time::format_description::well_known::Rfc3339).context("formatting the time")?;
    let (title, scope) = match r.convention {
        Convention::Apmbc => ("doc.apmbc.title", "doc.cover.scope_ap"),
        Convention::Ccm => ("doc.ccm.title", "doc.cover.scope_cmr"),
    };
    let head_text = head.as_ref().map(|h| format!("event {} {}", h.seq, h.hash)).unwrap_or_default();
    Ok(vec![
        ("title", t(lang, title), json!(t(lang, title))),
        ("register", t(lang, "doc.cover.register"), json!(db.to_string())),
        ("year", t(lang, "doc.cover.year"), json!(r.year)),
        ("as_of", t(lang, "doc.cover.as_of"), json!(r.as_of.to_string())),
        ("scope", t(lang, scope), Value::Null),
        ("produced_at", t(lang, "doc.cover.produced"), json!(produced)),
        (
            "history_head",
            t(lang, "doc.cover.head"),
            head.map_or(Value::Null, |h| json!({"seq": h.seq, "hash": h.hash, "text": head_text})),
        ),
    ])
}

fn json_of(cover: &[(&'static str, String, Value)], r: &TreatyReport) -> Value {
    let mut c = serde_json::Map::new();
    for (key, label, value) in cover {
        c.insert(
            key.to_string(),
            if value.is_null() && *key == "scope" { json!(label) } else { value.clone() },
        );
    }
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("cover".into(), Value::Object(c));
    }
    v
}

/// The workbook: `Cover`, then `Form A` … `Form J` in order (and the
/// breakdowns a form has beside its table).
fn workbook(
    path: &Path,
    cover: &[(&'static str, String, Value)],
    r: &TreatyReport,
    lang: Lang,
) -> Result<()> {
    let mut book = XlsxWriter::new();
    let head = [t(lang, "doc.col.note"), String::new()];
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    book.sheet("Cover", &head, Shape::None)?;
    for (key, label, value) in cover {
        let shown = match (key, value) {
            (_, Value::Null) => Value::Null,
            (&"history_head", v) => v["text"].clone(),
            (_, v) => v.clone(),
        };
        book.feature(&head, &[json!(label), shown], None)?;
    }
    for (letter, form) in &r.forms {
        form_sheets(&mut book, letter, form, lang)?;
    }
    book.save(path)?;
    Ok(())
}

fn cols(lang: Lang, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t(lang, &format!("doc.col.{k}"))).collect()
}

/// Writes one sheet: `name`, columns by catalogue key, rows.
fn sheet(book: &mut XlsxWriter, name: &str, lang: Lang, keys: &[&str], rows: Vec<Vec<Value>>) -> Result<()> {
    let header = cols(lang, keys);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    book.sheet(name, &header, Shape::None)?;
    for row in rows {
        book.feature(&header, &row, None)?;
    }
    Ok(())
}

fn form_sheets(book: &mut XlsxWriter, letter: &str, form: &Form, lang: Lang) -> Result<()> {
    let name = format!("Form {letter}");
    let total = || json!(t(lang, "doc.total"));
    match form {
        Form::NotKnown { .. } => {
            sheet(book, &name, lang, &["note"], vec![vec![json!(t(lang, "doc.not_known"))]])
        }
        Form::Areas(areas) => area_sheet(book, &name, lang, areas),
        Form::Release(f) => {
            let keys = [
                "district",
                "cancelled_m2",
                "reduced_m2",
                "cleared_m2",
                "remaining_sha_m2",
                "remaining_cha_m2",
            ];
            let row = |d: Value, rel: &treaty::Released, rem: &treaty::Remaining| {
                vec![
                    d,
                    json!(rel.cancelled),
                    json!(rel.reduced),
                    json!(rel.cleared),
                    json!(rem.sha),
                    json!(rem.cha),
                ]
            };
            let mut rows: Vec<Vec<Value>> =
                f.districts.iter().map(|d| row(json!(d.district), &d.released_m2, &d.remaining_m2)).collect();
            rows.push(row(total(), &f.released_m2, &f.remaining_m2));
            sheet(book, &name, lang, &keys, rows)?;
            if let Some(areas) = &f.areas {
                area_sheet(book, &format!("{name} areas"), lang, areas)?;
            }
            if let Some(d) = &f.destroyed {
                destroyed_sheet(book, &format!("{name} destroyed"), lang, d)?;
            }
            Ok(())
        }
        Form::Destroyed(d) => destroyed_sheet(book, &name, lang, d),
        Form::Education(e) => {
            let keys = ["district", "sessions", "girls", "boys", "women", "men", "total"];
            let row = |d: Value, n: usize, r: &safeground_core::model::Reach| {
                vec![
                    d,
                    json!(n),
                    json!(r.girls),
                    json!(r.boys),
                    json!(r.women),
                    json!(r.men),
                    json!(r.total()),
                ]
            };
            let mut rows: Vec<Vec<Value>> =
                e.districts.iter().map(|d| row(json!(d.district), d.sessions, &d.reached)).collect();
            rows.push(row(total(), e.sessions, &e.reached));
            rows.push(vec![json!(t(lang, "doc.marking"))]);
            sheet(book, &name, lang, &keys, rows)
        }
        Form::Casualties(c) => {
            let mut rows: Vec<Vec<Value>> = c
                .by_sex_age
                .iter()
                .map(|g| vec![json!(g.sex.code()), json!(g.age_group), json!(g.killed), json!(g.injured)])
                .collect();
            rows.push(vec![total(), Value::Null, json!(c.casualties.killed), json!(c.casualties.injured)]);
            rows.push(vec![json!(t(lang, "doc.col.assisted")), Value::Null, json!(c.victims_assisted)]);
            sheet(book, &name, lang, &["sex", "age_group", "killed", "injured"], rows)?;
            let rows = c
                .by_device
                .iter()
                .map(|d| vec![json!(d.device.code()), json!(d.killed), json!(d.injured)])
                .collect();
            sheet(book, &format!("{name} by device"), lang, &["device", "killed", "injured"], rows)
        }
    }
}

fn area_sheet(book: &mut XlsxWriter, name: &str, lang: Lang, areas: &[Area]) -> Result<()> {
    let keys = ["code", "district", "kind", "area_m2", "recorded_m2", "lat", "lon", "known", "emplaced"];
    let rows = areas
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
    sheet(book, name, lang, &keys, rows)
}

fn destroyed_sheet(book: &mut XlsxWriter, name: &str, lang: Lang, d: &treaty::Destroyed) -> Result<()> {
    let mut rows: Vec<Vec<Value>> =
        d.destroyed.iter().map(|i| vec![json!(i.eo_type), json!(i.quantity)]).collect();
    rows.push(vec![json!(t(lang, "doc.total")), json!(d.total)]);
    sheet(book, name, lang, &["eo_type", "quantity"], rows)
}
