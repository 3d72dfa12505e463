//! The map sheet the web map prints (`GET /api/maps/print`): the register's
//! ground in the reader's box, in the colours of the screen's map (read from
//! `web/src/style.js`, so they are kept in one place), named in the reader's
//! language.

use crate::catalogue::{t, Lang};
use crate::print;
use anyhow::{anyhow, Result};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use safeground_core::codes::{EoCategory, HazardStatus, ReleaseOutcome};
use safeground_pdf::{render_sheet, Layer, Paper, Rgb, Sheet};
use safeground_server::maps::{self, MapSheet};
use safeground_store::{Location, MapGround, Store};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The screen map's colour tables (`export const STATUS = { OPEN: '#d62728', … }`).
static SCREEN: LazyLock<HashMap<String, Rgb>> =
    LazyLock::new(|| colours(include_str!("../web/src/style.js")));

fn colours(js: &str) -> HashMap<String, Rgb> {
    let hex = |value: &str| -> Option<Rgb> {
        let hex = value.trim().trim_end_matches(';').trim_matches('\'');
        let channel = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (hex.len(), channel(1), channel(3), channel(5)) {
            (7, Some(r), Some(g), Some(b)) => Some(Rgb(r, g, b)),
            _ => None,
        }
    };
    let mut out = HashMap::new();
    for line in js.lines() {
        let Some(rest) = line.strip_prefix("export const ") else { continue };
        let Some((name, body)) = rest.split_once(" = ") else { continue };
        match body.strip_prefix('{') {
            // A table: `STATUS = { OPEN: '#d62728', … };`
            Some(entries) => {
                for entry in entries.trim_end_matches([' ', '}', ';']).split(',') {
                    if let Some((key, value)) = entry.split_once(':') {
                        if let Some(c) = hex(value) {
                            out.insert(format!("{name}.{}", key.trim()), c);
                        }
                    }
                }
            }
            // One colour: `RESIDUAL = '#b2182b';`, kept as `.RESIDUAL`.
            None => {
                if let Some(c) = hex(body) {
                    out.insert(format!(".{name}"), c);
                }
            }
        }
    }
    out
}

/// The screen's colour of `code` in `table`; grey when it has none.
fn screen(table: &str, code: &str) -> Rgb {
    SCREEN.get(&format!("{table}.{code}")).copied().unwrap_or(Rgb(136, 136, 136))
}

/// A fill for ground drawn under other ground: the colour, paled.
fn pale(c: Rgb) -> Rgb {
    let mix = |v: u8| ((u16::from(v) + 2 * 255) / 3) as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// A point as a ring of one position, which the map draws as a dot.
fn dot(p: geo::Point<f64>) -> MultiPolygon<f64> {
    let c = Coord { x: p.x(), y: p.y() };
    MultiPolygon(vec![Polygon::new(LineString(vec![c; 4]), vec![])])
}

/// One layer per code present, in the code list's order.
fn by_code<C: Copy + PartialEq>(
    all: &[C],
    shapes: &[(C, MultiPolygon<f64>)],
    layer: impl Fn(C) -> (String, Rgb, Rgb),
) -> Vec<Layer> {
    all.iter()
        .map(|code| {
            let (name, fill, stroke) = layer(*code);
            let shapes = shapes.iter().filter(|(c, _)| c == code).map(|(_, s)| s.clone()).collect();
            Layer { name, fill, stroke, shapes }
        })
        .filter(|l| !l.shapes.is_empty())
        .collect()
}

/// One point per `cell` degrees (a printed point or so) of each code: a
/// national sheet of a million finds stays a page of dots, not a million.
fn thinned<C: Copy + Eq + std::hash::Hash>(
    points: Vec<(C, geo::Point<f64>)>,
    cell: f64,
) -> Vec<(C, geo::Point<f64>)> {
    let mut seen = std::collections::HashSet::new();
    points
        .into_iter()
        .filter(|(c, p)| seen.insert((*c, (p.x() / cell).floor() as i64, (p.y() / cell).floor() as i64)))
        .collect()
}

/// The ground's layers, bottom to top: hazards, released ground, EO finds
/// (one per `cell` degrees of each category), residual contamination.
fn layers(lang: Lang, ground: MapGround, cell: f64) -> Vec<Layer> {
    let mut layers = by_code(HazardStatus::ALL, &ground.hazards, |s| {
        let c = screen("STATUS", s.code());
        (t(lang, &format!("status.{}", s.code())), pale(c), c)
    });
    layers.extend(by_code(ReleaseOutcome::ALL, &ground.released, |o| {
        let c = screen("OUTCOME", o.code());
        (format!("{}: {}", t(lang, "legend.released"), t(lang, &format!("outcome.{}", o.code()))), pale(c), c)
    }));
    let finds: Vec<_> = thinned(ground.finds, cell).into_iter().map(|(c, p)| (c, dot(p))).collect();
    layers.extend(by_code(EoCategory::ALL, &finds, |c| {
        let colour = screen("CATEGORY", c.code());
        (format!("{}: {}", t(lang, "print.finds"), c.code()), colour, colour)
    }));
    if !ground.residuals.is_empty() {
        let c = screen("", "RESIDUAL");
        layers.push(Layer {
            name: t(lang, "legend.residual"),
            fill: c,
            stroke: c,
            shapes: ground.residuals.into_iter().map(dot).collect(),
        });
    }
    layers
}

/// The sheet of `req` as PDF bytes.
pub fn pdf(store: &Store, db: &Location, req: &MapSheet) -> Result<Vec<u8>> {
    let lang =
        Lang::from_code(&req.lang).ok_or_else(|| anyhow!("lang: '{}' is not en, az, uk or ru", req.lang))?;
    let register = print::register_name(db);
    let produced = print::produced_at()?;
    let mut sheet = Sheet {
        title: req.title.clone().unwrap_or_else(|| t(lang, "print.default_title")),
        subtitle: format!("{} · {register}", produced.get(..10).unwrap_or(&produced)),
        lang: lang.code().to_string(),
        paper: match req.paper {
            maps::Paper::A4 => Paper::A4,
            maps::Paper::A3 => Paper::A3,
        },
        landscape: req.landscape,
        extent: req.bbox,
        map: print::map(lang, String::new(), vec![], vec![]),
        numbers: print::numbers(lang),
    };
    let shown = sheet.shown();
    let ground = store.map_ground(shown)?;
    sheet.map.base = ground.districts.clone();
    // About a printed point: the sheet's width in degrees over its width in points.
    let points = f64::from(sheet.paper.size(sheet.landscape).0);
    sheet.map.layers = layers(lang, ground, ((shown[2] - shown[0]) / points).max(1e-9));
    Ok(render_sheet(&sheet)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_are_thinned_to_one_per_cell_and_category() {
        let p = |x: f64| geo::Point::new(x, 40.0);
        let finds = vec![
            (EoCategory::Ap, p(46.0001)),
            (EoCategory::Ap, p(46.0002)),
            (EoCategory::At, p(46.0002)),
            (EoCategory::Ap, p(46.0021)),
        ];
        let kept = thinned(finds, 0.001);
        assert_eq!(kept.len(), 3, "{kept:?}");
    }

    #[test]
    fn every_code_has_the_screens_colour() {
        for s in HazardStatus::ALL {
            assert!(SCREEN.contains_key(&format!("STATUS.{}", s.code())), "{s:?}");
        }
        for o in ReleaseOutcome::ALL {
            assert!(SCREEN.contains_key(&format!("OUTCOME.{}", o.code())), "{o:?}");
        }
        for c in EoCategory::ALL {
            assert!(SCREEN.contains_key(&format!("CATEGORY.{}", c.code())), "{c:?}");
        }
        assert_eq!(screen("STATUS", "OPEN"), Rgb(0xd6, 0x27, 0x28));
        assert_eq!(screen("", "RESIDUAL"), Rgb(0xb2, 0x18, 0x2b));
    }

    #[test]
    fn a_layer_per_code_present_bottom_to_top() {
        let square = |x: f64| {
            MultiPolygon(vec![Polygon::new(
                LineString::from(vec![(x, 40.0), (x + 0.01, 40.0), (x + 0.01, 40.01), (x, 40.0)]),
                vec![],
            )])
        };
        let ground = MapGround {
            districts: vec![],
            hazards: vec![(HazardStatus::WorkedOn, square(46.0)), (HazardStatus::Open, square(46.1))],
            released: vec![(ReleaseOutcome::Cleared, square(46.2))],
            finds: vec![(EoCategory::Ap, geo::Point::new(46.0, 40.0))],
            residuals: vec![],
        };
        let names: Vec<String> = layers(Lang::En, ground, 0.001).into_iter().map(|l| l.name).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[0], t(Lang::En, "status.OPEN"));
        assert_eq!(names[1], t(Lang::En, "status.WORKED_ON"));
        assert!(names[2].ends_with(&t(Lang::En, "outcome.CLEARED")) && names[3].ends_with("AP"), "{names:?}");
    }
}
