//! `safeground certificate --hazard CODE --format pdf|json OUT`: the land
//! release and handover certificate of a hazard released whole
//! (`core::certificate` decides what it says and refuses ground not
//! released), with a map of the hazard and its released ground, its turning
//! points in DMS and MGRS, and the sealed event that approved its completion
//! (`audit verify --expect-event SEQ:HASH` checks it).

use crate::catalogue::{t, Lang};
use crate::print;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use safeground_core::certificate::{certificate, Certificate, Point};
use safeground_pdf::{Block, Cell, Column, Doc, Layer, Rgb, Signature, Table};
use safeground_store::{CertificateGround, Location, Store};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CertificateFormat {
    Pdf,
    Json,
}

#[derive(Debug, Args)]
pub struct CertificateArgs {
    /// The hazard's code.
    #[arg(long)]
    hazard: String,
    #[arg(long, value_enum, default_value = "pdf")]
    format: CertificateFormat,
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// The file to write (`-`: JSON to standard output).
    out: PathBuf,
}

pub fn run(db: &Location, a: &CertificateArgs) -> Result<()> {
    let to_stdout = a.out.as_os_str() == "-";
    if to_stdout && a.format != CertificateFormat::Json {
        bail!("a PDF goes to a file: name one instead of -");
    }
    if !to_stdout {
        print::check_out(db, &a.out, a.force)?;
    }
    let store = Store::open(db)?;
    let (facts, ground) = store.certificate_facts(&a.hazard)?;
    let c = certificate(&facts)?;
    let produced = print::produced_at()?;
    let as_json = || {
        let mut v = serde_json::to_value(&c).unwrap_or_default();
        v["register"] = json!(db.to_string());
        v["produced_at"] = json!(produced);
        v
    };
    if to_stdout {
        println!("{}", serde_json::to_string_pretty(&as_json())?);
        return Ok(());
    }
    print::write_whole(&a.out, |_, f| match a.format {
        CertificateFormat::Json => {
            use std::io::Write;
            Ok(f.write_all(serde_json::to_string_pretty(&as_json())?.as_bytes())?)
        }
        CertificateFormat::Pdf => {
            let base = store.district_outlines()?;
            print::write_pdf(&document(&c, ground, base, &db.to_string(), &produced, a.lang), f)
        }
    })?;
    println!("wrote certificate {} to {}", c.number, a.out.display());
    Ok(())
}

/// Hazard `hazard`'s certificate as a PDF in `lang`, for the server (its
/// `/api/hazards/{id}/certificate/pdf`), which builds no documents itself.
/// It names the register by its file's name, or as a PostgreSQL register:
/// not where the server keeps it.
pub fn pdf(store: &Store, db: &Location, hazard: &str, lang: &str) -> Result<Vec<u8>> {
    let register = print::register_name(db);
    let lang =
        Lang::from_code(lang).ok_or_else(|| anyhow::anyhow!("lang: '{lang}' is not en, az, uk or ru"))?;
    let (facts, ground) = store.certificate_facts(hazard)?;
    let c = certificate(&facts)?;
    let produced = print::produced_at()?;
    let base = store.district_outlines()?;
    Ok(safeground_pdf::render(&document(&c, ground, base, &register, &produced, lang))?)
}

fn facts(c: &Certificate, register: &str, produced: &str, lang: Lang) -> Block {
    let n = print::numbers(lang);
    let r = &c.released_m2;
    let m2 = |v: f64| format!("{} m²", n.format(v, 0));
    Block::Facts(vec![
        (t(lang, "doc.cert.number"), c.number.clone()),
        (t(lang, "doc.cert.hazard"), format!("{} — {}", c.hazard, c.name)),
        (t(lang, "doc.col.district"), c.district.clone()),
        (t(lang, "doc.col.status"), c.status.code().to_string()),
        (t(lang, "doc.col.recorded_m2"), m2(c.recorded_m2)),
        (t(lang, "doc.col.cancelled_m2"), n.format(r.cancelled, 0)),
        (t(lang, "doc.col.reduced_m2"), n.format(r.reduced, 0)),
        (t(lang, "doc.col.cleared_m2"), n.format(r.cleared, 0)),
        (t(lang, "doc.cert.completed"), format!("{} — {}", c.sealed.organisation, c.sealed.completed_on)),
        (
            t(lang, "doc.cert.quality"),
            c.quality_control.as_ref().map_or(t(lang, "doc.cert.no_inspection"), |i| {
                format!("{} — {} — {}", i.result, i.organisation, i.on)
            }),
        ),
        (t(lang, "doc.cert.sealed"), format!("{}:{}", c.sealed.seq, c.sealed.hash)),
        (t(lang, "doc.cover.register"), register.to_string()),
        (t(lang, "doc.cover.produced"), produced.to_string()),
    ])
}

fn points_table(c: &Certificate, lang: Lang) -> Block {
    let row = |p: &Point| {
        vec![
            Cell::from(p.label.clone()),
            Cell::Num(p.lat, 6),
            Cell::Num(p.lon, 6),
            p.dms.clone().into(),
            p.mgrs.clone().into(),
        ]
    };
    Block::Table(Table {
        columns: vec![
            Column::new(t(lang, "doc.cert.point"), 0.6),
            Column::new(t(lang, "doc.col.lat"), 0.9),
            Column::new(t(lang, "doc.col.lon"), 0.9),
            Column::new("DMS (WGS 84)", 1.8),
            Column::new("MGRS", 1.6),
        ],
        rows: c.benchmark.iter().chain(&c.turning_points).map(row).collect(),
        total: None,
    })
}

fn work_tables(c: &Certificate, lang: Lang) -> Vec<Block> {
    let methods = Table {
        columns: ["organisation", "activity", "method", "depth_cm", "area_m2_released"]
            .iter()
            .map(|k| Column::new(t(lang, &format!("doc.col.{k}")), 1.0))
            .collect(),
        rows: c
            .methods
            .iter()
            .map(|m| {
                vec![
                    Cell::from(m.organisation.clone()),
                    Cell::from(m.activity.clone()),
                    m.method.clone().map_or(Cell::Empty, Cell::Text),
                    m.depth_cm.map_or(Cell::Empty, Cell::Int),
                    Cell::Num(m.area_m2, 0),
                ]
            })
            .collect(),
        total: None,
    };
    let destroyed = |ty: &str| c.destroyed.iter().find(|d| d.eo_type == ty).map_or(0, |d| d.quantity);
    let found_total: i64 = c.found.iter().map(|i| i.quantity).sum();
    let found = Table {
        columns: vec![
            Column::new(t(lang, "doc.col.eo_type"), 2.0),
            Column::new(t(lang, "doc.col.quantity_found"), 1.0),
            Column::new(t(lang, "doc.col.quantity"), 1.0),
        ],
        rows: c
            .found
            .iter()
            .map(|i| vec![i.eo_type.clone().into(), Cell::Int(i.quantity), Cell::Int(destroyed(&i.eo_type))])
            .collect(),
        total: Some(vec![
            t(lang, "doc.total").into(),
            Cell::Int(found_total),
            Cell::Int(c.destroyed.iter().map(|i| i.quantity).sum()),
        ]),
    };
    vec![
        Block::Heading { text: t(lang, "doc.cert.methods"), new_page: false },
        Block::Table(methods),
        Block::Heading { text: t(lang, "doc.cert.found"), new_page: false },
        Block::Table(found),
    ]
}

fn document(
    c: &Certificate,
    ground: CertificateGround,
    base: Vec<geo::MultiPolygon<f64>>,
    register: &str,
    produced: &str,
    lang: Lang,
) -> Doc {
    let mut layers = vec![Layer {
        name: t(lang, "doc.cert.hazard_layer"),
        fill: Rgb(253, 208, 162),
        stroke: Rgb(217, 95, 14),
        shapes: vec![ground.hazard],
    }];
    layers.extend(print::released_layers(lang, ground.released));
    let mut blocks = vec![
        facts(c, register, produced, lang),
        Block::Map(print::map(lang, t(lang, "doc.cert.map"), base, layers)),
        Block::Heading { text: t(lang, "doc.cert.points"), new_page: false },
        points_table(c, lang),
    ];
    blocks.extend(work_tables(c, lang));
    blocks.push(Block::Heading { text: t(lang, "doc.cert.handover"), new_page: false });
    blocks.push(Block::Text(t(lang, "doc.cert.statement")));
    let lines: Vec<String> =
        ["name", "position", "signature", "date"].iter().map(|k| t(lang, &format!("doc.sign.{k}"))).collect();
    blocks.push(Block::Signatures(
        ["operator", "authority", "community"]
            .iter()
            .map(|who| Signature { title: t(lang, &format!("doc.sign.{who}")), lines: lines.clone() })
            .collect(),
    ));
    blocks.push(Block::Note(t(lang, "doc.cert.verify")));
    blocks.push(Block::Note(format!(
        "safeground audit verify --expect-event {}:{}",
        c.sealed.seq, c.sealed.hash
    )));
    Doc {
        title: t(lang, "doc.cert.title"),
        subtitle: c.number.clone(),
        lang: lang.code().into(),
        footer: format!("{} {} · {}", t(lang, "doc.cert.title"), c.number, register),
        page_word: t(lang, "doc.page"),
        numbers: print::numbers(lang),
        blocks,
    }
}
