//! Projects and donor reports: `safeground project add|list|fund` records a
//! donor's funding and the tasks it pays for (events of the sealed history);
//! `safeground donor-report --project CODE --from --to --format
//! pdf|xlsx|json OUT` says what that money released, found and reached in a
//! period, with a map of the project's ground (`core::project` decides; the
//! store reads the project's tasks' work only).

use crate::auth::{authorize, Credentials};
use crate::catalogue::{t, Lang};
use crate::print::{self, Cover};
use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use safeground_core::access::{Action, Scope};
use safeground_core::kpi::{Kpi, Kpis};
use safeground_core::project::{donor_report, DonorReport, Project};
use safeground_pdf::{Block, Cell, Column, Doc, Table};
use safeground_store::{AuditHead, Location, ProjectGround, Store};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use time::{Date, OffsetDateTime};

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Record a project: a donor's funding, with its budget and dates.
    Add {
        /// The project's code, its key (e.g. EU-2024-01).
        #[arg(long)]
        code: String,
        #[arg(long)]
        donor: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        budget: f64,
        /// ISO 4217: EUR, USD, AZN, UAH, …
        #[arg(long)]
        currency: String,
        /// The first day of the project (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_date)]
        starts: Date,
        /// The last day of the project (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_date)]
        ends: Date,
    },
    /// List the projects and how many tasks each funds.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Record that a project funds tasks (by code): all of them, or none.
    Fund {
        /// The project's code.
        project: String,
        /// The tasks' codes.
        #[arg(required = true)]
        tasks: Vec<String>,
    },
}

pub fn project(db: &Location, who: &Credentials, cmd: &ProjectCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    match cmd {
        ProjectCommand::List { json } => {
            let rows = store.projects()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    let p = &r.project;
                    println!(
                        "{:<16} {:<24} {:>14.2} {} {} to {}  {} tasks  {}",
                        p.code, p.donor, p.budget, p.currency, p.starts_on, p.ends_on, r.tasks, p.name
                    );
                }
            }
            Ok(())
        }
        ProjectCommand::Add { code, donor, name, budget, currency, starts, ends } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::IssueTask, Scope::Any)?;
            let project = Project {
                code: code.trim().to_string(),
                donor: donor.trim().to_string(),
                name: name.trim().to_string(),
                budget: *budget,
                currency: currency.trim().to_string(),
                starts_on: *starts,
                ends_on: *ends,
            };
            store.write(|w| w.add_project(&project, &p.name, OffsetDateTime::now_utc()))?;
            println!("{}", project.code);
            Ok(())
        }
        ProjectCommand::Fund { project, tasks } => {
            let p = who.principal(&store)?;
            authorize(&p, Action::IssueTask, Scope::Any)?;
            let now = OffsetDateTime::now_utc();
            store.write(|w| tasks.iter().try_for_each(|task| w.fund_task(project, task, &p.name, now))).map_err(
                |e| {
                    anyhow::anyhow!(
                        "{e}\nnothing was recorded: fund the other tasks without that one, or that one from another project"
                    )
                },
            )?;
            println!("project {project} funds {} more task(s)", tasks.len());
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DonorFormat {
    /// The figures for machines.
    Json,
    /// A workbook: a cover, then a sheet per table.
    Xlsx,
    /// A printable A4 document with a chart and a map.
    Pdf,
}

#[derive(Debug, Args)]
pub struct DonorArgs {
    /// The project's code.
    #[arg(long)]
    project: String,
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long, value_parser = crate::parse_date)]
    from: Date,
    /// The last day (YYYY-MM-DD): figures as the register stood at its end.
    #[arg(long, value_parser = crate::parse_date)]
    to: Date,
    #[arg(long, value_enum, default_value = "pdf")]
    format: DonorFormat,
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// The file to write (`-`: JSON to standard output).
    out: PathBuf,
}

pub fn report(db: &Location, a: &DonorArgs) -> Result<()> {
    if a.from > a.to {
        bail!("--from {} is after --to {}: the period runs from the first day to the last", a.from, a.to);
    }
    let to_stdout = a.out.as_os_str() == "-";
    if to_stdout && a.format != DonorFormat::Json {
        bail!("a workbook or a PDF goes to a file: name one instead of -");
    }
    if !to_stdout {
        print::check_out(db, &a.out, a.force)?;
    }
    let store = Store::open(db)?;
    let (project, facts, ground, head) = store.donor_facts(&a.project, (a.from, a.to))?;
    let r = donor_report(&project, &facts, (a.from, a.to));
    let cover = cover(db, head, &r, a.lang)?;
    if to_stdout {
        println!("{}", serde_json::to_string_pretty(&json_of(&cover, &r))?);
        return Ok(());
    }
    print::write_whole(&a.out, |part, f| match a.format {
        DonorFormat::Json => {
            use std::io::Write;
            Ok(f.write_all(serde_json::to_string_pretty(&json_of(&cover, &r))?.as_bytes())?)
        }
        DonorFormat::Xlsx => workbook(part, &cover, &r, a.lang),
        DonorFormat::Pdf => {
            let base = store.district_outlines()?;
            print::write_pdf(&document(&cover, &r, ground, base, db, a.lang), f)
        }
    })?;
    println!("wrote the donor report of project {} to {}", project.code, a.out.display());
    Ok(())
}

fn cover(db: &Location, head: Option<AuditHead>, r: &DonorReport, lang: Lang) -> Result<Cover> {
    let p = &r.project;
    let numbers = print::numbers(lang);
    Ok(vec![
        ("donor", t(lang, "doc.donor.donor"), json!(p.donor)),
        ("project", t(lang, "doc.donor.project"), json!(format!("{} — {}", p.code, p.name))),
        (
            "budget",
            t(lang, "doc.donor.budget"),
            json!(format!("{} {}", numbers.format(p.budget, 2), p.currency)),
        ),
        ("dates", t(lang, "doc.donor.dates"), json!(format!("{} – {}", p.starts_on, p.ends_on))),
        ("period", t(lang, "doc.donor.period"), json!(format!("{} – {}", r.from, r.to))),
        ("register", t(lang, "doc.cover.register"), json!(db.to_string())),
        ("produced_at", t(lang, "doc.cover.produced"), json!(print::produced_at()?)),
        ("history_head", t(lang, "doc.cover.head"), print::head_value(head)),
    ])
}

fn json_of(cover: &Cover, r: &DonorReport) -> Value {
    print::with_cover(serde_json::to_value(r).unwrap_or(Value::Null), cover)
}

/// One table of the report: its sheet's name, its columns (catalogue keys
/// under `doc.col.`), its rows and its totals row.
struct Part {
    sheet: &'static str,
    title: &'static str,
    keys: &'static [&'static str],
    rows: Vec<Vec<Value>>,
    total: Option<Vec<Value>>,
}

const KPI_KEYS: &[&str] =
    &["group", "cancelled_m2", "reduced_m2", "cleared_m2", "items_found", "tasks_completed"];

fn kpi_row(k: &Kpi, label: Value) -> Vec<Value> {
    vec![
        label,
        json!(k.cancelled_m2),
        json!(k.reduced_m2),
        json!(k.cleared_m2),
        json!(k.items_found),
        json!(k.tasks_completed),
    ]
}

fn kpi_part(sheet: &'static str, title: &'static str, k: &Kpis, lang: Lang) -> Part {
    Part {
        sheet,
        title,
        keys: KPI_KEYS,
        rows: k.groups.iter().map(|g| kpi_row(g, json!(g.group))).collect(),
        total: Some(kpi_row(&k.total, json!(t(lang, "doc.total")))),
    }
}

/// The report's tables, in order; the workbook and the PDF show the same.
fn parts(r: &DonorReport, lang: Lang) -> Vec<Part> {
    let found_total: i64 = r.found.iter().map(|i| i.quantity).sum();
    let reach = &r.reached;
    vec![
        kpi_part("By month", "doc.donor.by_month", &r.by_month, lang),
        kpi_part("By district", "doc.donor.by_district", &r.by_district, lang),
        Part {
            sheet: "EO found",
            title: "doc.donor.found",
            keys: &["eo_type", "quantity_found"],
            rows: r.found.iter().map(|i| vec![json!(i.eo_type), json!(i.quantity)]).collect(),
            total: Some(vec![json!(t(lang, "doc.total")), json!(found_total)]),
        },
        Part {
            sheet: "Risk education",
            title: "doc.donor.education",
            keys: &["sessions", "girls", "boys", "women", "men", "total"],
            rows: vec![vec![
                json!(r.sessions),
                json!(reach.girls),
                json!(reach.boys),
                json!(reach.women),
                json!(reach.men),
                json!(reach.total()),
            ]],
            total: None,
        },
        Part {
            sheet: "Tasks",
            title: "doc.donor.tasks",
            keys: &["task", "hazard", "district", "organisation", "status", "issued"],
            rows: r
                .tasks
                .iter()
                .map(|f| {
                    vec![
                        json!(f.code),
                        json!(f.hazard),
                        json!(f.district),
                        json!(f.organisation),
                        json!(f.status),
                        json!(f.issued_on.to_string()),
                    ]
                })
                .collect(),
            total: None,
        },
    ]
}

fn workbook(path: &Path, cover: &Cover, r: &DonorReport, lang: Lang) -> Result<()> {
    use safeground_formats::xlsx_out::{Shape, XlsxWriter};
    let mut book = XlsxWriter::new();
    print::cover_sheet(&mut book, cover, lang)?;
    for part in parts(r, lang) {
        let header = print::columns(lang, part.keys);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        book.sheet(part.sheet, &header, Shape::None)?;
        for row in part.rows.iter().chain(&part.total) {
            book.feature(&header, row, None)?;
        }
    }
    Ok(book.save(path)?)
}

/// Released in the period by month, stacked by outcome.
fn month_chart(k: &Kpis, lang: Lang) -> Block {
    let rows =
        k.groups.iter().map(|g| (g.group.clone(), [g.cancelled_m2, g.reduced_m2, g.cleared_m2])).collect();
    print::release_chart(lang, t(lang, "doc.donor.chart"), rows)
}

/// The headline figures of the period.
fn results(r: &DonorReport, lang: Lang) -> Block {
    let n = print::numbers(lang);
    let k = &r.by_month.total;
    let released = k.cancelled_m2 + k.reduced_m2 + k.cleared_m2;
    let mut rows = vec![
        (t(lang, "doc.donor.released_total"), format!("{} m²", n.format(released, 0))),
        (t(lang, "doc.col.cancelled_m2"), n.format(k.cancelled_m2, 0)),
        (t(lang, "doc.col.reduced_m2"), n.format(k.reduced_m2, 0)),
        (t(lang, "doc.col.cleared_m2"), n.format(k.cleared_m2, 0)),
        (t(lang, "doc.col.items_found"), n.format(k.items_found as f64, 0)),
        (t(lang, "doc.col.tasks_completed"), n.format(k.tasks_completed as f64, 0)),
        (t(lang, "doc.donor.reached"), n.format(r.reached.total() as f64, 0)),
    ];
    if let Some(per) = r.budget_per_m2 {
        rows.push((
            t(lang, "doc.donor.budget_per_m2"),
            format!("{} {}", n.format(per, 2), r.project.currency),
        ));
    }
    Block::Facts(rows)
}

fn document(
    cover: &Cover,
    r: &DonorReport,
    ground: ProjectGround,
    base: Vec<geo::MultiPolygon<f64>>,
    db: &Location,
    lang: Lang,
) -> Doc {
    let facts = print::cover_facts(cover);
    let mut blocks =
        vec![Block::Facts(facts), Block::Heading { text: t(lang, "doc.donor.results"), new_page: false }];
    blocks.push(results(r, lang));
    let k = &r.by_month.total;
    if k.cancelled_m2 + k.reduced_m2 + k.cleared_m2 > 0.0 {
        blocks.push(month_chart(&r.by_month, lang));
    }
    let mut layers = print::hazard_layers(lang, ground.hazards);
    layers.extend(print::released_layers(lang, ground.released));
    if !layers.is_empty() {
        blocks.push(Block::Map(print::map(lang, t(lang, "doc.donor.map"), base, layers)));
    }
    for part in parts(r, lang) {
        blocks.push(Block::Heading { text: t(lang, part.title), new_page: false });
        let cols = print::columns(lang, part.keys);
        let weights =
            part.keys
                .iter()
                .map(|k| if matches!(*k, "group" | "district" | "organisation") { 1.4 } else { 1.0 });
        let to_cells = |row: &Vec<Value>| row.iter().map(|v| print::cell(v, 0)).collect::<Vec<Cell>>();
        blocks.push(Block::Table(Table {
            columns: cols.into_iter().zip(weights).map(|(c, w)| Column::new(c, w)).collect(),
            rows: part.rows.iter().map(to_cells).collect(),
            total: part.total.as_ref().map(to_cells),
        }));
    }
    Doc {
        title: t(lang, "doc.donor.title"),
        subtitle: format!("{} — {}", r.project.code, r.project.name),
        lang: lang.code().into(),
        footer: format!("{} · {} · {}", t(lang, "doc.donor.title"), r.project.code, db),
        page_word: t(lang, "doc.page"),
        numbers: print::numbers(lang),
        blocks,
    }
}
