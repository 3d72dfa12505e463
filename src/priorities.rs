//! `safeground priorities`: the hazards still dangerous, ranked by a
//! scenario's weighted criteria with the contribution of each
//! (`core::priority`), printed, written as CSV or a GeoPackage layer,
//! compared with a second scenario, or sealed in the history.

use crate::auth::{authorize, Credentials};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use safeground_core::access::{Action, Scope};
use safeground_core::priority::{compare, parse_scenario, rank, read_lines, Ranked, Scenario};
use safeground_store::{GpkgLayerWriter, Location, PriorityFacts, Store};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use safeground_core::priority::DEFAULT_SCENARIO;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityFormat {
    Csv,
    Gpkg,
}

#[derive(Debug, Args)]
pub struct PriorityArgs {
    /// The scenario (TOML); scenarios/default.toml shows every criterion. Default: that one.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// A second scenario, ranked beside the first.
    #[arg(long)]
    compare: Option<PathBuf>,
    /// Print JSON: every hazard with its score and `contributions`.
    #[arg(long)]
    json: bool,
    /// Only the first N.
    #[arg(long)]
    top: Option<usize>,
    /// Write the ranking as CSV or as a GeoPackage layer (`priorities`, the hazards' polygons) to OUT.
    #[arg(long, requires = "out")]
    format: Option<PriorityFormat>,
    /// Where --format writes.
    #[arg(requires = "format")]
    out: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// Seal the scenario and its whole ranking in the history (event RANKING_SEALED); prints its code,
    /// which `task issue --from-ranking` takes.
    #[arg(long, conflicts_with = "compare")]
    seal: bool,
}

/// A scenario read from its file (or the default), with its text and the
/// line it keeps hazards away from, if any.
struct Loaded {
    scenario: Scenario,
    text: String,
    line: Option<Vec<geo::LineString<f64>>>,
}

fn load(path: Option<&Path>) -> Result<Loaded> {
    let (text, base) = match path {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("reading scenario {}", p.display()))?,
            p.parent().map(Path::to_path_buf).unwrap_or_default(),
        ),
        None => (DEFAULT_SCENARIO.to_string(), PathBuf::from(".")),
    };
    let shown = path.map_or("the default scenario".to_string(), |p| p.display().to_string());
    let scenario = parse_scenario(&text).with_context(|| format!("{shown}: cannot be used"))?;
    let line = match &scenario.filter.away_from {
        Some(a) => {
            let file = base.join(&a.line);
            let geojson = std::fs::read_to_string(&file)
                .with_context(|| format!("{shown}: filter.away_from.line: reading {}", file.display()))?;
            Some(read_lines(&geojson).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?)
        }
        None => None,
    };
    Ok(Loaded { scenario, text, line })
}

/// Ranks the register under a scenario on `today`; with the facts it read
/// (a GeoPackage layer takes the polygons from them).
fn ranking(store: &Store, loaded: &Loaded, today: time::Date) -> Result<(PriorityFacts, Vec<Ranked>)> {
    let facts = store.priority_facts(&loaded.scenario, today)?;
    let ranked = rank(
        &loaded.scenario,
        &facts.candidates,
        &facts.settlements,
        &facts.casualties,
        loaded.line.as_deref(),
        today,
    );
    Ok((facts, ranked))
}

/// Text a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) is
/// written with a leading apostrophe: names come from field reports.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn contributions(r: &Ranked) -> String {
    r.contributions
        .iter()
        .filter(|c| c.points > 0.0)
        .map(|c| format!("{} {:.1}", c.criterion, c.points))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_table(s: &Scenario, ranked: &[Ranked]) {
    println!("{} — {} hazards ranked", s.name, ranked.len());
    for r in ranked {
        let cost = r.team_days.map_or(String::new(), |d| format!("  {d:.0} team-days"));
        println!(
            "{:>4}  {:<14} {:<14} {:>5.1}  {}{cost}",
            r.rank,
            r.code,
            r.district,
            r.score,
            contributions(r)
        );
    }
}

fn print_comparison(a: &Scenario, ra: &[Ranked], b: &Scenario, rb: &[Ranked], top: usize) {
    println!("{:<14} {:>6} {:>6}   {:>6} {:>6}", "hazard", "rank A", "score", "rank B", "score");
    println!("A: {}\nB: {}", a.name, b.name);
    for (code, x, y) in compare(ra, rb).into_iter().take(top) {
        let cell = |r: Option<&Ranked>| {
            r.map_or(format!("{:>6} {:>6}", "—", "—"), |r| format!("{:>6} {:>6.1}", r.rank, r.score))
        };
        println!("{code:<14} {}   {}", cell(x), cell(y));
    }
}

fn write_csv(out: &Path, s: &Scenario, ranked: &[Ranked]) -> Result<()> {
    let criteria: Vec<String> = s.weights().iter().map(|(n, _)| format!("points_{n}")).collect();
    crate::print::write_whole(out, |_, f| {
        let mut w = csv::Writer::from_writer(f);
        let mut header = vec!["rank", "code", "name", "district", "kind", "status", "remaining_m2", "score"];
        header.extend(criteria.iter().map(String::as_str));
        header.extend(["team_days", "cost"]);
        w.write_record(&header)?;
        for r in ranked {
            let mut row = vec![
                r.rank.to_string(),
                cell(&r.code),
                cell(&r.name),
                cell(&r.district),
                r.kind.code().into(),
                r.status.code().into(),
                format!("{:.1}", r.remaining_m2),
                format!("{:.3}", r.score),
            ];
            row.extend(r.contributions.iter().map(|c| format!("{:.3}", c.points)));
            row.push(r.team_days.map_or(String::new(), |d| format!("{d:.1}")));
            row.push(r.cost.map_or(String::new(), |c| format!("{c:.0}")));
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    })
}

fn write_gpkg(out: &Path, facts: &PriorityFacts, s: &Scenario, ranked: &[Ranked]) -> Result<()> {
    let mut columns: Vec<(String, &'static str)> = vec![
        ("rank".into(), "INTEGER"),
        ("code".into(), "TEXT"),
        ("name".into(), "TEXT"),
        ("district".into(), "TEXT"),
        ("score".into(), "REAL"),
    ];
    columns.extend(s.weights().iter().map(|(n, _)| (format!("points_{n}"), "REAL")));
    columns.extend([("team_days".into(), "REAL"), ("cost".into(), "REAL"), ("scenario".into(), "TEXT")]);
    crate::print::write_whole(out, |part, f| {
        // The layer writer makes its own file (a GeoPackage is not written
        // through a handle): the private part is made again by it, at once.
        let _ = f;
        std::fs::remove_file(part)?;
        let mut w = GpkgLayerWriter::create_table(part, "priorities", Some("MULTIPOLYGON"), &columns)?;
        for r in ranked {
            let shape = facts
                .candidates
                .iter()
                .find(|c| c.id == r.id)
                .map(|c| geo::Geometry::MultiPolygon(c.geometry.clone()));
            let mut values = vec![
                serde_json::json!(r.rank),
                serde_json::json!(r.code),
                serde_json::json!(r.name),
                serde_json::json!(r.district),
                serde_json::json!(r.score),
            ];
            values.extend(r.contributions.iter().map(|c| serde_json::json!(c.points)));
            values.extend([
                serde_json::json!(r.team_days),
                serde_json::json!(r.cost),
                serde_json::json!(s.name),
            ]);
            w.feature(&safeground_store::Feature { values, geometry: shape })?;
        }
        w.finish()?;
        Ok(())
    })
}

pub fn run(db: &Location, who: &Credentials, args: &PriorityArgs) -> Result<()> {
    let mut store = Store::open(db)?;
    let now = OffsetDateTime::now_utc();
    let loaded = load(args.scenario.as_deref())?;
    let (facts, ranked) = ranking(&store, &loaded, now.date())?;
    let top = args.top.unwrap_or(usize::MAX);
    if let Some(other) = &args.compare {
        let second = load(Some(other))?;
        let (_, ranked_b) = ranking(&store, &second, now.date())?;
        print_comparison(&loaded.scenario, &ranked, &second.scenario, &ranked_b, top);
        return Ok(());
    }
    if let Some(out) = &args.out {
        // Before anything is sealed: a ranking is sealed once.
        crate::print::check_out(db, out, args.force)?;
    }
    if args.seal {
        let p = who.principal(&store)?;
        authorize(&p, Action::IssueTask, Scope::Any)?;
        let code = store
            .write(|w| w.seal_ranking(&loaded.scenario, &loaded.text, now.date(), &ranked, &p.name, now))?;
        eprintln!("sealed as ranking {code}: `safeground task issue --from-ranking {code} --top N --organisation ACR`");
        println!("{code}");
    }
    let shown: Vec<Ranked> = ranked.iter().take(top).cloned().collect();
    if let (Some(format), Some(out)) = (args.format, &args.out) {
        match format {
            PriorityFormat::Csv => write_csv(out, &loaded.scenario, &shown)?,
            PriorityFormat::Gpkg => write_gpkg(out, &facts, &loaded.scenario, &shown)?,
        }
        eprintln!("{} hazards ranked into {}", shown.len(), out.display());
        return Ok(());
    }
    if args.json {
        let body = serde_json::json!({
            "scenario": loaded.scenario.name,
            "description": loaded.scenario.description,
            "as_of": now.date().to_string(),
            "weights": loaded.scenario.weights().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            "ranked": shown,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else if !args.seal {
        print_table(&loaded.scenario, &shown);
    }
    Ok(())
}
