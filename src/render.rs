//! Plain-text tables for the terminal.

use safeground_core::summary::{Figures, Summary};
use safeground_store::{HazardDetail, HazardRow};
use std::fmt::Write;

/// Square metres as km² with two decimals, or m² when small.
fn area(m2: f64) -> String {
    if m2 >= 10_000.0 {
        format!("{:.2} km²", m2 / 1e6)
    } else {
        format!("{:.0} m²", m2)
    }
}

fn km2(m2: f64) -> String {
    format!("{:.3}", m2 / 1e6)
}

fn figures_row(out: &mut String, name: &str, f: &Figures) {
    let h = &f.hazards;
    let a = &f.area_m2;
    let _ = writeln!(
        out,
        "{:<22} {:>6} {:>5} {:>6} {:>6} {:>6}  {:>10} {:>10} {:>10} {:>10} {:>10}",
        name,
        h.total,
        h.open,
        h.worked_on,
        h.closed,
        h.handed_over,
        km2(a.recorded),
        km2(a.cancelled),
        km2(a.reduced),
        km2(a.cleared),
        km2(a.remaining)
    );
}

/// The national summary as tables.
pub fn summary(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Land release by district (areas in km² on the WGS84 ellipsoid)\n");
    let _ = writeln!(
        out,
        "{:<22} {:>6} {:>5} {:>6} {:>6} {:>6}  {:>10} {:>10} {:>10} {:>10} {:>10}",
        "district",
        "hazard",
        "open",
        "worked",
        "closed",
        "handed",
        "recorded",
        "cancelled",
        "reduced",
        "cleared",
        "remaining"
    );
    for d in &s.districts {
        if d.figures.hazards.total > 0 {
            figures_row(&mut out, &d.name, &d.figures);
        }
    }
    figures_row(&mut out, "TOTAL", &s.totals);
    let t = &s.totals;
    let _ = writeln!(out, "\nEO destroyed, by category");
    if t.eo_destroyed.is_empty() {
        let _ = writeln!(out, "  none recorded");
    }
    for (c, n) in &t.eo_destroyed {
        let _ = writeln!(out, "  {:<6} {:>9}", c.code(), n);
    }
    let _ = writeln!(out, "\nCasualties, by year");
    if t.casualties.is_empty() {
        let _ = writeln!(out, "  none recorded");
    }
    for (y, c) in &t.casualties {
        let _ = writeln!(out, "  {y}  killed {:>5}  injured {:>5}", c.killed, c.injured);
    }
    let r = &t.eore_reach;
    let _ = writeln!(
        out,
        "\nRisk education reached {} people: {} girls, {} boys, {} women, {} men",
        r.total(),
        r.girls,
        r.boys,
        r.women,
        r.men
    );
    out
}

pub fn hazard_list(rows: &[HazardRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<4} {:<12} {:<18} {:<10} {:>12} {:>12}",
        "code", "kind", "status", "district", "contam.", "recorded", "remaining"
    );
    for h in rows {
        let _ = writeln!(
            out,
            "{:<14} {:<4} {:<12} {:<18} {:<10} {:>12} {:>12}",
            h.code,
            h.kind,
            h.status,
            h.district,
            h.contamination,
            area(h.area_m2.recorded),
            area(h.area_m2.remaining)
        );
    }
    let _ = writeln!(out, "{} hazards", rows.len());
    out
}

pub fn hazard_detail(d: &HazardDetail) -> String {
    let h = &d.hazard;
    let a = &h.area_m2;
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", h.code, h.name);
    let _ = writeln!(out, "  id            {}", h.id);
    let _ = writeln!(out, "  kind, status  {}, {}", h.kind, h.status);
    let _ = writeln!(out, "  district      {}", h.district);
    let _ = writeln!(out, "  contamination {}", h.contamination);
    let _ = writeln!(out, "  land use      {}", h.land_use);
    let _ = writeln!(out, "  recorded      {} by {}", h.recorded_on, h.recorded_by);
    let _ = writeln!(
        out,
        "  area (m²)     recorded {:.1}, cancelled {:.1}, reduced {:.1}, cleared {:.1}, remaining {:.1}",
        a.recorded, a.cancelled, a.reduced, a.cleared, a.remaining
    );
    let _ = writeln!(out, "  EO found      {} items", d.eo_finds);
    let _ = writeln!(out, "  evidence");
    for e in &d.evidence {
        let _ = writeln!(out, "    {} ({} confidence): {}", e.source, e.confidence, e.description);
    }
    let _ = writeln!(out, "  released");
    if d.released.is_empty() {
        let _ = writeln!(out, "    nothing yet");
    }
    for r in &d.released {
        let _ = writeln!(
            out,
            "    {}  {:<9} {:>12}  by {} ({}{})  activity {}",
            r.released_on,
            r.outcome,
            area(r.area_m2),
            r.organisation,
            r.activity,
            r.method.as_deref().map(|m| format!(", {m}")).unwrap_or_default(),
            r.activity_id
        );
    }
    if !d.source_attributes.is_empty() {
        let _ = writeln!(out, "  from its source (kept by the migration)");
        for (k, v) in &d.source_attributes {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let _ = writeln!(out, "    {k}: {text}");
        }
    }
    out
}
