//! `safeground kpi --from DATE --to DATE --by organisation|district|method|month`:
//! the land-release indicators of a period (`core::kpi`'s counting rules,
//! docs/reporting.md), as a table, JSON, CSV or a workbook.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use safeground_core::kpi::{kpis, By, Kpi, Kpis};
use safeground_formats::csv_out::CsvLayerWriter;
use safeground_formats::xlsx_out::{Shape, XlsxWriter};
use safeground_store::{Location, Store};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    Organisation,
    District,
    Method,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KpiFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct KpiArgs {
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long, value_parser = crate::parse_date)]
    from: time::Date,
    /// The last day of the period (YYYY-MM-DD): figures as the register stood at its end.
    #[arg(long, value_parser = crate::parse_date)]
    to: time::Date,
    #[arg(long, value_enum, default_value = "organisation")]
    by: ByArg,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write a file instead of printing (`--format csv|xlsx OUT`).
    #[arg(long, value_enum, requires = "out")]
    format: Option<KpiFormat>,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    out: Option<PathBuf>,
}

/// The columns of every format, in order.
const COLUMNS: &[&str] = &[
    "group",
    "cancelled_m2",
    "reduced_m2",
    "cleared_m2",
    "items_found",
    "cleared_m2_per_item",
    "cleared_without_finds_share",
    "tasks_completed",
    "tasks_without_finds_share",
    "days_to_complete_median",
    "days_to_complete_mean",
    "hours_worked",
    "m2_per_hour",
];

fn row(k: &Kpi) -> Vec<Value> {
    let v = serde_json::to_value(k).unwrap_or(Value::Null);
    COLUMNS.iter().map(|c| v[c].clone()).collect()
}

pub fn run(db: &Location, a: &KpiArgs) -> Result<()> {
    if a.from > a.to {
        bail!("--from {} is after --to {}: the period runs from the first day to the last", a.from, a.to);
    }
    if a.out.is_some() && a.format.is_none() {
        bail!("name the file's format with --format csv|xlsx");
    }
    let by = match a.by {
        ByArg::Organisation => By::Organisation,
        ByArg::District => By::District,
        ByArg::Method => By::Method,
        ByArg::Month => By::Month,
    };
    let store = Store::open(db)?;
    let k = kpis(&store.kpi_facts(a.from, a.to)?, by, (a.from, a.to));
    match (&a.format, &a.out) {
        (Some(format), Some(out)) => write(db, &k, *format, out, a.force),
        _ if a.json => {
            println!("{}", serde_json::to_string_pretty(&k)?);
            Ok(())
        }
        _ => {
            print!("{}", table(&k));
            Ok(())
        }
    }
}

fn write(db: &Location, k: &Kpis, format: KpiFormat, out: &std::path::Path, force: bool) -> Result<()> {
    crate::print::check_out(db, out, force)?;
    let rows = k.groups.iter().chain(std::iter::once(&k.total));
    crate::print::write_whole(out, |part, f| match format {
        KpiFormat::Csv => {
            let mut w = CsvLayerWriter::attributes(f, COLUMNS, false)?;
            for r in rows {
                w.feature(&row(r), None)?;
            }
            Ok(w.finish()?)
        }
        KpiFormat::Xlsx => {
            let mut book = XlsxWriter::new();
            book.sheet("KPI", COLUMNS, Shape::None)?;
            for r in rows {
                book.feature(COLUMNS, &row(r), None)?;
            }
            Ok(book.save(part)?)
        }
    })?;
    println!("wrote {} groups and the total to {}", k.groups.len(), out.display());
    Ok(())
}

/// The indicators as a text table.
fn table(k: &Kpis) -> String {
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{:.0} %", 100.0 * v));
    let num = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.0}"));
    let mut s = format!("Land release {} to {}, by {}\n", k.from, k.to, json!(k.by).as_str().unwrap_or(""));
    s.push_str(&format!(
        "{:<24} {:>12} {:>12} {:>12} {:>7} {:>10} {:>9} {:>6} {:>9} {:>8} {:>9}\n",
        "",
        "cancelled m²",
        "reduced m²",
        "cleared m²",
        "items",
        "m²/item",
        "no finds",
        "tasks",
        "no finds",
        "days",
        "m²/hour"
    ));
    for r in k.groups.iter().chain(std::iter::once(&k.total)) {
        s.push_str(&format!(
            "{:<24} {:>12.0} {:>12.0} {:>12.0} {:>7} {:>10} {:>9} {:>6} {:>9} {:>8} {:>9}\n",
            r.group,
            r.cancelled_m2,
            r.reduced_m2,
            r.cleared_m2,
            r.items_found,
            num(r.cleared_m2_per_item),
            pct(r.cleared_without_finds_share),
            r.tasks_completed,
            pct(r.tasks_without_finds_share),
            num(r.days_to_complete_median),
            num(r.m2_per_hour),
        ));
    }
    s
}
