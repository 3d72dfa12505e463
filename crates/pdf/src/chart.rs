//! Horizontal stacked bars: a category's label, its bar in segments (one per
//! series, in the legend's colours) and its total at the bar's end, all on
//! one scale.

use crate::doc::{Chart, Numbers, Rgb};
use crate::fonts::{self, Face};
use crate::layout::{Flow, LEFT, TEXT_W};

const SIZE: f32 = 8.0;
const BAR: f32 = 9.0;
const GAP: f32 = 4.0;

/// A category's total and how many decimals show it (fewer as it grows).
fn decimals(max: f64) -> u8 {
    if max >= 100.0 {
        0
    } else if max >= 1.0 {
        2
    } else {
        3
    }
}

fn legend(flow: &mut Flow, chart: &Chart) {
    let mut x = LEFT;
    flow.y += 12.0;
    for s in &chart.series {
        let w = fonts::width(&s.name, Face::Regular, SIZE) + 22.0;
        if x + w > LEFT + TEXT_W {
            x = LEFT;
            flow.y += 12.0;
        }
        flow.rect(x, flow.y - 7.0, 8.0, 8.0, s.color);
        flow.text(x + 12.0, flow.y, SIZE, Face::Regular, Rgb::BLACK, &s.name);
        x += w;
    }
    flow.y += 8.0;
}

pub(crate) fn lay_out(flow: &mut Flow, chart: &Chart, numbers: Numbers) {
    let totals: Vec<f64> = (0..chart.categories.len())
        .map(|i| chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0_f64, f64::max);
    let places = decimals(max);
    let label_w = chart
        .categories
        .iter()
        .map(|c| fonts::width(c, Face::Regular, SIZE))
        .fold(0.0_f32, f32::max)
        .min(140.0)
        + 6.0;
    let value_w = fonts::width(&numbers.format(max, places), Face::Regular, SIZE) + 8.0;
    let bar_w = (TEXT_W - label_w - value_w).max(60.0);
    flow.room(40.0 + (BAR + GAP) * chart.categories.len().min(4) as f32);
    flow.y += 4.0;
    flow.text(LEFT, flow.y + 10.0, 9.5, Face::Bold, Rgb::BLACK, &chart.title);
    flow.y += 12.0;
    legend(flow, chart);
    let scale = if max > 0.0 { f64::from(bar_w) / max } else { 0.0 };
    for (i, category) in chart.categories.iter().enumerate() {
        flow.room(BAR + GAP);
        let y = flow.y;
        let label = fonts::fit(category, Face::Regular, SIZE, label_w - 6.0);
        flow.text(LEFT, y + BAR - 1.5, SIZE, Face::Regular, Rgb::BLACK, &label);
        let mut x = LEFT + label_w;
        for s in &chart.series {
            let w = (s.values.get(i).copied().unwrap_or(0.0).max(0.0) * scale) as f32;
            if w > 0.0 {
                flow.rect(x, y, w, BAR, s.color);
            }
            x += w;
        }
        flow.text(x + 3.0, y + BAR - 1.5, SIZE, Face::Regular, Rgb::GREY, &numbers.format(totals[i], places));
        // The scale's zero line, a piece per bar (a chart may run over pages).
        let zero = LEFT + label_w;
        flow.line((zero, y - GAP / 2.0), (zero, y + BAR + GAP / 2.0), Rgb::GREY, 0.5);
        flow.y += BAR + GAP;
    }
    let zero = LEFT + label_w;
    flow.room(12.0);
    let scale_text = format!("0 – {} {}", numbers.format(max, places), chart.unit);
    flow.text(zero, flow.y + 8.0, 7.0, Face::Regular, Rgb::GREY, &scale_text);
    flow.y += 20.0;
}

#[cfg(test)]
mod tests {
    use crate::doc::{Block, Chart, Doc, Numbers, Rgb, Series};
    use crate::layout::{lay_out, Op};

    #[test]
    fn segments_are_in_proportion_to_their_values() {
        let chart = Chart {
            title: "Released".into(),
            unit: "km²".into(),
            categories: vec!["Ağdam".into(), "Füzuli".into()],
            series: vec![
                Series { name: "cancelled".into(), color: Rgb(200, 200, 0), values: vec![1.0, 0.5] },
                Series { name: "cleared".into(), color: Rgb(0, 150, 0), values: vec![3.0, -2.0] },
            ],
        };
        let doc = Doc {
            title: "T".into(),
            subtitle: String::new(),
            lang: "az".into(),
            footer: String::new(),
            page_word: "Səhifə".into(),
            numbers: Numbers::SPACED,
            blocks: vec![Block::Chart(chart)],
        };
        let flow = lay_out(&doc);
        let widths: Vec<f32> = flow.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Fill { rings, color } if *color != Rgb::BLACK => {
                    let r = &rings[0];
                    let h = r[2].1 - r[0].1;
                    (h > 8.5).then(|| r[1].0 - r[0].0)
                }
                _ => None,
            })
            .collect();
        // Ağdam: 1 + 3; Füzuli: 0.5 (the negative value draws nothing).
        assert_eq!(widths.len(), 3, "{widths:?}");
        assert!((widths[1] / widths[0] - 3.0).abs() < 1e-3);
        assert!((widths[2] / widths[0] - 0.5).abs() < 1e-3);
        let texts: Vec<&str> = flow.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"4,00") && texts.contains(&"0,50"), "{texts:?}");
    }
}
