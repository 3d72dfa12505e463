//! A table over as many pages as it needs: the header row repeats on each,
//! numbers right-aligned, rows striped, a total row in bold under a rule.

use crate::doc::{Cell, Numbers, Rgb, Table};
use crate::fonts::{self, Face};
use crate::layout::{Flow, LEFT, TEXT_W};

const SIZE: f32 = 8.0;
const LEADING: f32 = 10.0;
const PAD: f32 = 3.0;

/// One cell as placed: its lines and whether it is a number.
struct Placed {
    lines: Vec<String>,
    right: bool,
}

fn place(cell: &Cell, face: Face, width: f32, numbers: Numbers) -> Placed {
    let number = |text: String| Placed { lines: vec![fonts::fit(&text, face, SIZE, width)], right: true };
    match cell {
        Cell::Text(text) => Placed { lines: fonts::wrap(text, face, SIZE, width), right: false },
        Cell::Int(n) => number(numbers.format(*n as f64, 0)),
        Cell::Num(v, decimals) => number(numbers.format(*v, *decimals)),
        Cell::Empty => Placed { lines: vec![], right: false },
    }
}

fn widths(table: &Table) -> Vec<f32> {
    let total: f32 = table.columns.iter().map(|c| c.weight.max(0.1)).sum();
    table.columns.iter().map(|c| c.weight.max(0.1) / total * TEXT_W).collect()
}

/// Draws one row of placed cells at the flow's y; returns its height.
fn row(flow: &mut Flow, cells: &[Placed], widths: &[f32], face: Face, shade: Option<Rgb>) -> f32 {
    let n = cells.iter().map(|c| c.lines.len()).max().unwrap_or(0).max(1);
    let h = n as f32 * LEADING + 2.0 * PAD;
    if let Some(color) = shade {
        flow.rect(LEFT, flow.y, TEXT_W, h, color);
    }
    let mut x = LEFT;
    for (cell, w) in cells.iter().zip(widths) {
        for (i, line) in cell.lines.iter().enumerate() {
            let y = flow.y + PAD + (i as f32 + 1.0) * LEADING - 2.5;
            let lx = if cell.right { x + w - PAD - fonts::width(line, face, SIZE) } else { x + PAD };
            let lx = lx.max(x + PAD);
            flow.text(lx, y, SIZE, face, Rgb::BLACK, line);
        }
        x += w;
    }
    h
}

fn placed_row(cells: &[Cell], widths: &[f32], face: Face, numbers: Numbers) -> Vec<Placed> {
    widths
        .iter()
        .enumerate()
        .map(|(i, w)| place(cells.get(i).unwrap_or(&Cell::Empty), face, w - 2.0 * PAD, numbers))
        .collect()
}

fn height(cells: &[Placed]) -> f32 {
    cells.iter().map(|c| c.lines.len()).max().unwrap_or(0).max(1) as f32 * LEADING + 2.0 * PAD
}

pub(crate) fn lay_out(flow: &mut Flow, table: &Table, numbers: Numbers) {
    if table.columns.is_empty() {
        return;
    }
    let widths = widths(table);
    // A column of numbers has its title right-aligned over them.
    let numeric = |i: usize| {
        table.rows.iter().chain(&table.total).any(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Num(..))))
    };
    let header: Vec<Placed> = table
        .columns
        .iter()
        .zip(&widths)
        .enumerate()
        .map(|(i, (c, w))| Placed {
            lines: fonts::wrap(&c.title, Face::Bold, SIZE, w - 2.0 * PAD),
            right: numeric(i),
        })
        .collect();
    let header_h = height(&header);
    let draw_header = |flow: &mut Flow| {
        let h = row(flow, &header, &widths, Face::Bold, Some(Rgb::SHADE));
        flow.y += h;
        flow.line((LEFT, flow.y), (LEFT + TEXT_W, flow.y), Rgb::GREY, 0.6);
    };
    let first = table.rows.first().map(|r| height(&placed_row(r, &widths, Face::Regular, numbers)));
    flow.room(header_h + first.unwrap_or(0.0));
    draw_header(flow);
    for (i, cells) in table.rows.iter().enumerate() {
        let placed = placed_row(cells, &widths, Face::Regular, numbers);
        let h = height(&placed);
        let page = flow.pages.len();
        flow.room(h);
        if flow.pages.len() != page {
            draw_header(flow);
        }
        let shade = (i % 2 == 1).then_some(Rgb::STRIPE);
        flow.y += row(flow, &placed, &widths, Face::Regular, shade);
    }
    if let Some(total) = &table.total {
        let placed = placed_row(total, &widths, Face::Bold, numbers);
        flow.room(height(&placed) + 1.0);
        flow.line((LEFT, flow.y), (LEFT + TEXT_W, flow.y), Rgb::BLACK, 0.8);
        flow.y += row(flow, &placed, &widths, Face::Bold, None);
    }
    flow.line((LEFT, flow.y), (LEFT + TEXT_W, flow.y), Rgb::GREY, 0.6);
    flow.y += 10.0;
}

#[cfg(test)]
mod tests {
    use crate::doc::{Block, Cell, Column, Doc, Numbers, Table};
    use crate::layout::{lay_out, Op};

    fn doc(table: Table) -> Doc {
        Doc {
            title: "T".into(),
            subtitle: String::new(),
            lang: "en".into(),
            footer: String::new(),
            page_word: "Page".into(),
            numbers: Numbers::EN,
            blocks: vec![Block::Table(table)],
        }
    }

    #[test]
    fn the_header_repeats_on_every_page_the_table_runs_over() {
        let table = Table {
            columns: vec![Column::new("Code", 1.0), Column::new("Area, m²", 1.0)],
            rows: (0..150)
                .map(|i| vec![Cell::from(format!("HA-{i:04}")), Cell::Num(i as f64 * 1000.5, 0)])
                .collect(),
            total: Some(vec![Cell::from("Total"), Cell::Num(11_211_056.25, 0)]),
        };
        let flow = lay_out(&doc(table));
        assert!(flow.pages.len() >= 3, "{}", flow.pages.len());
        for page in &flow.pages {
            let headers =
                page.iter().filter(|op| matches!(op, Op::Text { text, .. } if text == "Area, m²")).count();
            assert_eq!(headers, 1);
        }
        let last = flow.pages.last().map(|p| p.as_slice()).unwrap_or_default();
        assert!(last.iter().any(|op| matches!(op, Op::Text { text, .. } if text == "11,211,056")));
    }

    #[test]
    fn numbers_are_right_aligned_to_their_column() {
        let table = Table {
            columns: vec![Column::new("A", 1.0), Column::new("B", 1.0)],
            rows: vec![vec![Cell::Int(5), Cell::Int(123_456)]],
            total: None,
        };
        let flow = lay_out(&doc(table));
        let ends: Vec<f32> = flow.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { x, text, size, face, .. } if text == "5" || text == "123,456" => {
                    Some(x + crate::fonts::width(text, *face, *size))
                }
                _ => None,
            })
            .collect();
        assert_eq!(ends.len(), 2);
        // Each ends at its column's right edge less the padding.
        let half = crate::layout::TEXT_W / 2.0;
        assert!((ends[1] - ends[0] - half).abs() < 0.01, "{ends:?}");
    }
}
