//! The flow: blocks placed top to bottom on A4 pages, as drawing operations
//! ([`Op`]) per page. Nothing here writes PDF; `draw` does, once every page
//! is known (so that a footer can say "page 3 of 12").

use crate::doc::{Block, Doc, Rgb};
use crate::fonts::{self, Face};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const LEFT: f32 = 48.0;
pub(crate) const TEXT_W: f32 = PAGE_W - 2.0 * LEFT;
const TOP: f32 = 56.0;
/// Where content stops; the footer sits below.
pub(crate) const BOTTOM: f32 = PAGE_H - 58.0;
const BODY: f32 = 10.0;

/// A point on the page, from its top-left corner, in points.
pub(crate) type Pt = (f32, f32);

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Text with its baseline's start at (x, y).
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        color: Rgb,
        text: String,
    },
    /// Closed rings filled together, even-odd (holes stay empty).
    Fill {
        rings: Vec<Vec<Pt>>,
        color: Rgb,
    },
    /// Lines through the points; rings closed when `closed`.
    Stroke {
        lines: Vec<Vec<Pt>>,
        color: Rgb,
        width: f32,
        closed: bool,
    },
    /// Drawing until [`Op::Unclip`] is cut to the rectangle (x, y, w, h).
    Clip(f32, f32, f32, f32),
    Unclip,
}

/// A heading's entry in the PDF's outline: its text, page and height.
pub(crate) struct Mark {
    pub text: String,
    pub page: usize,
    pub y: f32,
}

pub(crate) struct Flow {
    pub pages: Vec<Vec<Op>>,
    pub marks: Vec<Mark>,
    /// Where the next block starts on the current page.
    pub y: f32,
}

impl Flow {
    pub(crate) fn new() -> Flow {
        Flow { pages: vec![vec![]], marks: vec![], y: TOP }
    }

    pub fn new_page(&mut self) {
        self.pages.push(vec![]);
        self.y = TOP;
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    pub fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    pub fn text(&mut self, x: f32, y: f32, size: f32, face: Face, color: Rgb, text: &str) {
        if !text.is_empty() {
            self.op(Op::Text { x, y, size, face, color, text: text.to_string() });
        }
    }

    /// A filled rectangle.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.op(Op::Fill { rings: vec![vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h)]], color });
    }

    pub fn line(&mut self, from: Pt, to: Pt, color: Rgb, width: f32) {
        self.op(Op::Stroke { lines: vec![vec![from, to]], color, width, closed: false });
    }

    /// Wrapped lines at the left margin, moving down.
    fn lines(&mut self, text: &str, size: f32, face: Face, color: Rgb) {
        let leading = size * 1.3;
        for line in fonts::wrap(text, face, size, TEXT_W) {
            self.room(leading);
            self.y += leading;
            self.text(LEFT, self.y - size * 0.25, size, face, color, &line);
        }
    }

    fn heading(&mut self, text: &str, new_page: bool) {
        if new_page && self.y > TOP {
            self.new_page();
        }
        // Kept with at least a few lines of what it heads.
        self.room(110.0);
        if self.y > TOP {
            self.y += 12.0;
        }
        self.marks.push(Mark { text: text.to_string(), page: self.pages.len() - 1, y: self.y });
        self.lines(text, 13.0, Face::Bold, Rgb::BLACK);
        self.y += 5.0;
    }

    fn facts(&mut self, pairs: &[(String, String)]) {
        let label_w = 150.0;
        for (label, value) in pairs {
            let values = fonts::wrap(value, Face::Regular, BODY, TEXT_W - label_w);
            let labels = fonts::wrap(label, Face::Bold, BODY, label_w - 8.0);
            let n = values.len().max(labels.len()).max(1);
            let h = n as f32 * BODY * 1.3 + 4.0;
            self.room(h);
            for (i, l) in labels.iter().enumerate() {
                let y = self.y + (i as f32 + 1.0) * BODY * 1.3;
                self.text(LEFT, y, BODY, Face::Bold, Rgb::BLACK, l);
            }
            for (i, v) in values.iter().enumerate() {
                let y = self.y + (i as f32 + 1.0) * BODY * 1.3;
                self.text(LEFT + label_w, y, BODY, Face::Regular, Rgb::BLACK, v);
            }
            self.y += h;
        }
        self.y += 6.0;
    }

    /// Signature boxes side by side, kept on one page.
    fn signatures(&mut self, boxes: &[crate::doc::Signature]) {
        let n = boxes.len().max(1) as f32;
        let gap = 12.0;
        let w = (TEXT_W - gap * (n - 1.0)) / n;
        let rows = boxes.iter().map(|b| b.lines.len()).max().unwrap_or(0) as f32;
        let titles: Vec<Vec<String>> = boxes
            .iter()
            .map(|b| fonts::wrap(&b.title, Face::Bold, 9.0, w - 12.0).into_iter().take(2).collect())
            .collect();
        let head = 13.0 + 11.0 * titles.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = head + rows * 26.0;
        self.room(h + 10.0);
        self.y += 6.0;
        for (i, b) in boxes.iter().enumerate() {
            let x = LEFT + i as f32 * (w + gap);
            let y = self.y;
            self.op(Op::Stroke {
                lines: vec![vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h)]],
                color: Rgb::GREY,
                width: 0.6,
                closed: true,
            });
            for (k, title) in titles[i].iter().enumerate() {
                self.text(x + 6.0, y + 14.0 + 11.0 * k as f32, 9.0, Face::Bold, Rgb::BLACK, title);
            }
            for (j, line) in b.lines.iter().enumerate() {
                let ly = y + head + (j as f32 + 1.0) * 26.0 - 6.0;
                let label = fonts::fit(line, Face::Regular, 7.5, w - 12.0);
                self.text(x + 6.0, ly - 10.0, 7.5, Face::Regular, Rgb::GREY, &label);
                self.line((x + 6.0, ly), (x + w - 6.0, ly), Rgb::RULE, 0.5);
            }
        }
        self.y += h + 10.0;
    }

    fn title(&mut self, doc: &Doc) {
        self.y = TOP - 8.0;
        self.lines(&doc.title, 18.0, Face::Bold, Rgb::BLACK);
        if !doc.subtitle.is_empty() {
            self.y += 2.0;
            self.lines(&doc.subtitle, 12.0, Face::Regular, Rgb::GREY);
        }
        self.y += 6.0;
        self.line((LEFT, self.y), (LEFT + TEXT_W, self.y), Rgb::BLACK, 0.8);
        self.y += 10.0;
    }

    /// The footer of every page: the document's line and "Page n / N".
    fn footers(&mut self, doc: &Doc) {
        let n = self.pages.len();
        let size = 7.5;
        let y = PAGE_H - 34.0;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let number = format!("{} {} / {n}", doc.page_word, i + 1);
            let nw = fonts::width(&number, Face::Regular, size);
            let footer = fonts::fit(&doc.footer, Face::Regular, size, TEXT_W - nw - 12.0);
            page.push(Op::Stroke {
                lines: vec![vec![(LEFT, y - 10.0), (LEFT + TEXT_W, y - 10.0)]],
                color: Rgb::RULE,
                width: 0.5,
                closed: false,
            });
            page.push(Op::Text { x: LEFT, y, size, face: Face::Regular, color: Rgb::GREY, text: footer });
            page.push(Op::Text {
                x: LEFT + TEXT_W - nw,
                y,
                size,
                face: Face::Regular,
                color: Rgb::GREY,
                text: number,
            });
        }
    }
}

#[cfg(test)]
pub(crate) fn tests_flow() -> Flow {
    Flow::new()
}

/// Every page's operations and the outline's marks.
pub(crate) fn lay_out(doc: &Doc) -> Flow {
    let mut flow = Flow::new();
    flow.title(doc);
    for block in &doc.blocks {
        match block {
            Block::Heading { text, new_page } => flow.heading(text, *new_page),
            Block::Text(text) => {
                flow.lines(text, BODY, Face::Regular, Rgb::BLACK);
                flow.y += 6.0;
            }
            Block::Note(text) => {
                flow.lines(text, 8.0, Face::Regular, Rgb::GREY);
                flow.y += 6.0;
            }
            Block::Facts(pairs) => flow.facts(pairs),
            Block::Table(table) => crate::table::lay_out(&mut flow, table, doc.numbers),
            Block::Chart(chart) => crate::chart::lay_out(&mut flow, chart, doc.numbers),
            Block::Map(map) => crate::map::lay_out(&mut flow, map, doc.numbers),
            Block::Signatures(boxes) => flow.signatures(boxes),
        }
    }
    flow.footers(doc);
    flow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Numbers;

    fn doc(blocks: Vec<Block>) -> Doc {
        Doc {
            title: "Article 7".into(),
            subtitle: "2024".into(),
            lang: "en".into(),
            footer: "register.gpkg".into(),
            page_word: "Page".into(),
            numbers: Numbers::EN,
            blocks,
        }
    }

    fn texts(page: &[Op]) -> Vec<&str> {
        page.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_page_has_its_number_of_the_whole() {
        let blocks = (0..3).map(|i| Block::Heading { text: format!("Form {i}"), new_page: true }).collect();
        let flow = lay_out(&doc(blocks));
        // The title's page, then a page per heading.
        assert_eq!(flow.pages.len(), 4);
        assert!(texts(&flow.pages[0]).contains(&"Article 7"));
        assert!(texts(&flow.pages[3]).contains(&"Page 4 / 4"));
        assert_eq!(flow.marks.iter().map(|m| m.page).collect::<Vec<_>>(), [1, 2, 3]);
    }

    /// The lowest point an operation reaches.
    fn bottom(op: &Op) -> f32 {
        match op {
            Op::Text { y, .. } => *y,
            Op::Fill { rings, .. } => rings.iter().flatten().map(|p| p.1).fold(f32::MIN, f32::max),
            Op::Stroke { lines, .. } => lines.iter().flatten().map(|p| p.1).fold(f32::MIN, f32::max),
            Op::Clip(_, y, _, h) => y + h,
            Op::Unclip => f32::MIN,
        }
    }

    #[test]
    fn nothing_is_placed_below_the_content_area() {
        use crate::doc::{Cell, Chart, Column, Layer, Map, Series, Signature, Table};
        use geo_types::polygon;
        let square = |lon: f64| {
            geo_types::MultiPolygon(vec![polygon![
                (x: lon, y: 40.0), (x: lon + 0.01, y: 40.0), (x: lon + 0.01, y: 40.01), (x: lon, y: 40.0)
            ]])
        };
        let mut blocks: Vec<Block> = vec![];
        for i in 0..6 {
            blocks.extend((0..30).map(|j| Block::Text(format!("line {i}.{j}"))));
            blocks.push(Block::Table(Table {
                columns: vec![Column::new("a", 1.0), Column::new("b", 1.0)],
                rows: (0..40)
                    .map(|k| vec![Cell::Int(k), Cell::from("x y z ".repeat(k as usize % 7))])
                    .collect(),
                total: Some(vec![Cell::from("Total"), Cell::Int(1)]),
            }));
            blocks.push(Block::Chart(Chart {
                title: "c".into(),
                unit: "m²".into(),
                categories: (0..25).map(|k| format!("district {k}")).collect(),
                series: vec![Series {
                    name: "s".into(),
                    color: Rgb::GREY,
                    values: (0..25).map(f64::from).collect(),
                }],
            }));
            blocks.push(Block::Map(Map {
                title: "m".into(),
                units: ("m".into(), "km".into()),
                base: vec![],
                layers: (0..9)
                    .map(|k| Layer {
                        name: format!("a layer with a long name {k}"),
                        fill: Rgb::SHADE,
                        stroke: Rgb::GREY,
                        shapes: vec![square(46.0 + f64::from(k) * 0.1)],
                    })
                    .collect(),
                caption: "a caption that runs over two lines of small print ".repeat(4),
            }));
            let boxes =
                (0..3).map(|k| Signature { title: format!("who {k}"), lines: vec!["Name".into(); 4] });
            blocks.push(Block::Signatures(boxes.collect()));
        }
        let flow = lay_out(&doc(blocks));
        assert!(flow.pages.len() > 10);
        for (n, page) in flow.pages.iter().enumerate() {
            // The footer's rule and line are the last three operations.
            for op in &page[..page.len() - 3] {
                assert!(bottom(op) <= BOTTOM + 0.01, "page {}: {op:?}", n + 1);
            }
        }
    }
}
