//! Printable documents: A4 PDFs of headings, text, tables that run over
//! pages, bar charts and maps drawn from the register's own shapes, in two
//! embedded faces that hold Azerbaijani and Cyrillic letters.
//!
//! The caller builds a [`Doc`] — plain data, already in the reader's
//! language — and [`render`] returns the PDF's bytes. Layout (`layout`,
//! `table`, `chart`, `map`) places everything as drawing operations per page;
//! `draw` writes them with krilla. No I/O: the caller writes the file.
//! A [`Sheet`] is the other kind: one page of A4 or A3 given to a map
//! ([`render_sheet`]).
//!
//! ```
//! use safeground_pdf::{render, Block, Cell, Column, Doc, Numbers, Table};
//! let doc = Doc {
//!     title: "Maddə 7 hesabatı".into(),
//!     subtitle: "2024".into(),
//!     lang: "az".into(),
//!     footer: "register.gpkg".into(),
//!     page_word: "Səhifə".into(),
//!     numbers: Numbers::SPACED,
//!     blocks: vec![Block::Table(Table {
//!         columns: vec![Column::new("Rayon", 2.0), Column::new("Təmizlənmiş, m²", 1.0)],
//!         rows: vec![vec![Cell::from("Ağdam"), Cell::Num(125_000.0, 0)]],
//!         total: None,
//!     })],
//! };
//! let pdf = render(&doc).unwrap();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

mod chart;
mod doc;
mod draw;
mod fonts;
mod layout;
mod map;
mod sheet;
mod table;

pub use doc::{Block, Cell, Chart, Column, Doc, Layer, Map, Numbers, Rgb, Series, Signature, Table};
pub use sheet::{render_sheet, Paper, Sheet};

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font {0} could not be read: the binary is damaged, reinstall it")]
    Font(&'static str),
    #[error("{0} could not be laid out")]
    Layout(&'static str),
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// The letters of the document's text that the embedded faces lack (they
/// would print as empty boxes), for the caller to warn of.
pub fn missing_letters(doc: &Doc) -> std::collections::BTreeSet<char> {
    let mut texts: Vec<&str> = vec![&doc.title, &doc.subtitle, &doc.footer, &doc.page_word];
    for block in &doc.blocks {
        match block {
            Block::Heading { text, .. } | Block::Text(text) | Block::Note(text) => texts.push(text),
            Block::Facts(pairs) => texts.extend(pairs.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()])),
            Block::Table(t) => {
                texts.extend(t.columns.iter().map(|c| c.title.as_str()));
                for cell in t.rows.iter().chain(&t.total).flatten() {
                    if let Cell::Text(s) = cell {
                        texts.push(s);
                    }
                }
            }
            Block::Chart(c) => {
                texts.push(&c.title);
                texts.extend(c.categories.iter().map(String::as_str));
                texts.extend(c.series.iter().map(|s| s.name.as_str()));
            }
            Block::Map(m) => {
                texts.extend([m.title.as_str(), m.caption.as_str()]);
                texts.extend(m.layers.iter().map(|l| l.name.as_str()));
            }
            Block::Signatures(boxes) => {
                for b in boxes {
                    texts.push(&b.title);
                    texts.extend(b.lines.iter().map(String::as_str));
                }
            }
        }
    }
    texts
        .iter()
        .flat_map(|t| t.chars())
        .filter(|c| !c.is_whitespace() && !fonts::covers(&c.to_string()))
        .collect()
}

/// The document as PDF bytes.
pub fn render(doc: &Doc) -> Result<Vec<u8>, PdfError> {
    let flow = layout::lay_out(doc);
    draw::write(&doc.title, &doc.lang, &flow, (layout::PAGE_W, layout::PAGE_H))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let doc = Doc {
            title: "Звіт за статтею 7".into(),
            subtitle: "2024".into(),
            lang: "uk".into(),
            footer: "register.gpkg".into(),
            page_word: "Сторінка".into(),
            numbers: Numbers::SPACED,
            blocks: vec![
                Block::Heading { text: "Форма C".into(), new_page: false },
                Block::Map(Map {
                    title: "Райони".into(),
                    units: ("м".into(), "км".into()),
                    base: vec![],
                    layers: vec![Layer {
                        name: "ПДНТ".into(),
                        fill: Rgb(239, 101, 72),
                        stroke: Rgb(153, 0, 13),
                        shapes: vec![geo_types::MultiPolygon(vec![polygon![
                            (x: 46.7, y: 39.8), (x: 46.71, y: 39.8), (x: 46.71, y: 39.81), (x: 46.7, y: 39.8)
                        ]])],
                    }],
                    caption: "WGS 84".into(),
                }),
                Block::Table(Table {
                    columns: vec![Column::new("Район", 2.0), Column::new("м²", 1.0)],
                    rows: vec![vec![Cell::from("Ağdam"), Cell::Num(1234.5, 0)]],
                    total: None,
                }),
            ],
        };
        let (a, b) = (render(&doc).unwrap(), render(&doc).unwrap());
        assert!(a.len() > 1000);
        assert_eq!(a, b);
        assert!(missing_letters(&doc).is_empty());
        let mut other = doc.clone();
        other.blocks.push(Block::Text("東京都 Ağdam".into()));
        assert_eq!(missing_letters(&other).len(), 3);
    }
}
