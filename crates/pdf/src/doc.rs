//! What a document holds, as plain data: the caller (a report's builder)
//! says what to show, in its language; this crate decides where it goes.

use geo_types::MultiPolygon;

/// A colour, 0–255 per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const GREY: Rgb = Rgb(110, 110, 110);
    pub const RULE: Rgb = Rgb(190, 190, 190);
    pub const SHADE: Rgb = Rgb(236, 238, 241);
    pub const STRIPE: Rgb = Rgb(247, 247, 249);
}

/// How numbers are written: the digit group separator and the decimal mark
/// (`1,234.5` in English, `1 234,5` in Azerbaijani, Ukrainian and Russian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbers {
    pub group: char,
    pub decimal: char,
}

impl Numbers {
    pub const EN: Numbers = Numbers { group: ',', decimal: '.' };
    /// Space-grouped, decimal comma.
    pub const SPACED: Numbers = Numbers { group: ' ', decimal: ',' };

    /// `value` with `decimals` places, grouped by thousands.
    ///
    /// ```
    /// use safeground_pdf::Numbers;
    /// assert_eq!(Numbers::EN.format(1234567.891, 1), "1,234,567.9");
    /// assert_eq!(Numbers::SPACED.format(-1234.5, 2), "-1 234,50");
    /// assert_eq!(Numbers::EN.format(999.6, 0), "1,000");
    /// ```
    pub fn format(self, value: f64, decimals: u8) -> String {
        if !value.is_finite() {
            return String::new();
        }
        let text = format!("{:.*}", usize::from(decimals), value.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        // "-0" is not a figure.
        if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(self.group);
            }
            out.push(c);
        }
        if !fraction.is_empty() {
            out.push(self.decimal);
            out.push_str(fraction);
        }
        out
    }
}

/// A printable document: a title page's head, then blocks in order.
#[derive(Debug, Clone)]
pub struct Doc {
    pub title: String,
    /// Written under the title (e.g. the reporting year).
    pub subtitle: String,
    /// The document's language (BCP 47, e.g. `az`), for its metadata.
    pub lang: String,
    /// Printed at the foot of every page, left of the page number.
    pub footer: String,
    /// "Page" in the document's language.
    pub page_word: String,
    pub numbers: Numbers,
    pub blocks: Vec<Block>,
}

/// One element of the flow.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading, listed in the PDF's outline; `new_page` starts it on
    /// a page of its own.
    Heading {
        text: String,
        new_page: bool,
    },
    /// A paragraph, wrapped to the text width.
    Text(String),
    /// A small print note, grey.
    Note(String),
    /// Label–value pairs (a cover).
    Facts(Vec<(String, String)>),
    Table(Table),
    Chart(Chart),
    Map(Map),
    /// Boxes side by side for those who sign: each a title (who) and the
    /// lines to fill (name, position, signature, date).
    Signatures(Vec<Signature>),
}

#[derive(Debug, Clone)]
pub struct Signature {
    pub title: String,
    pub lines: Vec<String>,
}

/// A table whose header row repeats on every page it runs over.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// A last row in bold under a rule (totals).
    pub total: Option<Vec<Cell>>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    /// Relative width: the columns share the text width in these proportions.
    pub weight: f32,
}

impl Column {
    pub fn new(title: impl Into<String>, weight: f32) -> Column {
        Column { title: title.into(), weight }
    }
}

/// A table cell. Numbers are right-aligned and written with the document's
/// [`Numbers`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A value and its decimal places.
    Num(f64, u8),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

/// Horizontal stacked bars: one bar per category, one segment per series.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    /// The values' unit, written after the scale's largest value (e.g. `km²`).
    pub unit: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: Rgb,
    /// One value per category; negative values count as none.
    pub values: Vec<f64>,
}

/// A map of ground in longitude/latitude (WGS 84), drawn as vector shapes:
/// a frame, the layers in order, a legend, a scale bar and a north arrow.
#[derive(Debug, Clone)]
pub struct Map {
    pub title: String,
    /// The scale bar's words for metres and kilometres (`m`, `km`).
    pub units: (String, String),
    /// Drawn first, outlines only, not in the legend's extent (districts).
    pub base: Vec<MultiPolygon<f64>>,
    pub layers: Vec<Layer>,
    /// Credits and the datum, in small print under the map.
    pub caption: String,
}

#[derive(Debug, Clone)]
pub struct Layer {
    /// The legend's entry.
    pub name: String,
    pub fill: Rgb,
    pub stroke: Rgb,
    pub shapes: Vec<MultiPolygon<f64>>,
}

#[cfg(test)]
mod tests {
    use super::Numbers;
    use proptest::prelude::*;

    proptest! {
        /// Written grouped, read back without the grouping: the same figure as
        /// Rust's own rounding to those places, in both styles.
        #[test]
        fn grouped_numbers_read_back_as_written(v in -1e13f64..1e13, decimals in 0u8..4) {
            let plain = format!("{:.*}", usize::from(decimals), v);
            let plain = if plain.trim_start_matches('-').bytes().all(|b| b == b'0' || b == b'.') {
                plain.trim_start_matches('-').to_string()
            } else {
                plain
            };
            let en = Numbers::EN.format(v, decimals);
            prop_assert_eq!(en.replace(',', ""), plain.clone());
            let spaced = Numbers::SPACED.format(v, decimals);
            prop_assert_eq!(spaced.replace(' ', "").replace(',', "."), plain);
            // Groups of three digits.
            for group in en.trim_start_matches('-').split('.').next().unwrap_or("").split(',').skip(1) {
                prop_assert_eq!(group.len(), 3);
            }
        }
    }
}
