//! A map sheet: one page of A4 or A3, upright or across, given over to a
//! map of the ground the reader chose — a title and a line under it, the
//! frame as large as the paper allows with its scale bar and north arrow,
//! the legend and the credits beneath. What the web map's "print" gives.
//!
//! ```
//! use safeground_pdf::{render_sheet, Layer, Map, Numbers, Paper, Rgb, Sheet};
//! let ring = geo_types::LineString::from(vec![(46.9, 39.9), (46.91, 39.9), (46.91, 39.91), (46.9, 39.9)]);
//! let square = geo_types::MultiPolygon(vec![geo_types::Polygon::new(ring, vec![])]);
//! let sheet = Sheet {
//!     title: "Ağdam".into(),
//!     subtitle: "2026-12-06".into(),
//!     lang: "az".into(),
//!     paper: Paper::A3,
//!     landscape: true,
//!     extent: [46.85, 39.85, 46.95, 39.95],
//!     map: Map {
//!         title: String::new(),
//!         units: ("m".into(), "km".into()),
//!         base: vec![],
//!         layers: vec![Layer { name: "Açıq".into(), fill: Rgb(240, 59, 32), stroke: Rgb(120, 30, 16), shapes: vec![square] }],
//!         caption: "WGS 84".into(),
//!     },
//!     numbers: Numbers::SPACED,
//! };
//! let pdf = render_sheet(&sheet).unwrap();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

use crate::doc::{Map, Numbers, Rgb};
use crate::fonts::{self, Face};
use crate::layout::Flow;
use crate::map::{draw_frame, legend, legend_rows, Frame};
use crate::PdfError;

/// The paper, ISO 216.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    A3,
}

impl Paper {
    /// Width and height in points, upright or across.
    pub fn size(self, landscape: bool) -> (f32, f32) {
        let (w, h) = match self {
            Paper::A4 => (595.28, 841.89),
            Paper::A3 => (841.89, 1190.55),
        };
        if landscape {
            (h, w)
        } else {
            (w, h)
        }
    }
}

/// What the sheet shows, in the reader's language.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub title: String,
    /// The line under the title (the date, the ground, who printed it).
    pub subtitle: String,
    /// BCP 47, for the document's metadata.
    pub lang: String,
    pub paper: Paper,
    pub landscape: bool,
    /// The ground to show whole (west, south, east, north, degrees): the
    /// frame is centred on it and takes in the ground around it that the
    /// paper's shape leaves room for.
    pub extent: [f64; 4],
    /// The layers, the base, the scale bar's units and the credits; the
    /// map's own title is not drawn (the sheet's is).
    pub map: Map,
    pub numbers: Numbers,
}

const MARGIN: f32 = 28.0;

impl Sheet {
    /// The ground the frame shows (west, south, east, north): the chosen
    /// extent and what the paper's shape adds around it — what the caller
    /// loads to fill the frame.
    pub fn shown(&self) -> [f64; 4] {
        self.frame().ground()
    }

    fn frame(&self) -> Frame {
        let size = self.paper.size(self.landscape);
        let caption = fonts::wrap(&self.map.caption, Face::Regular, 7.0, size.0 - 2.0 * MARGIN);
        Frame::fitting(self.extent, frame_box(self, size, caption.len()))
    }
}

/// Where the frame goes on the page, given what goes around it.
fn frame_box(sheet: &Sheet, (w, h): (f32, f32), caption_lines: usize) -> (f32, f32, f32, f32) {
    let inner = w - 2.0 * MARGIN;
    let top = MARGIN + 22.0 + if sheet.subtitle.is_empty() { 0.0 } else { 14.0 } + 8.0;
    let below = 13.0 * legend_rows(&sheet.map, inner) as f32 + 6.0 + 9.0 * caption_lines as f32;
    (MARGIN, top, inner, (h - MARGIN - below - top).max(50.0))
}

/// The sheet as PDF bytes: one page.
pub fn render_sheet(sheet: &Sheet) -> Result<Vec<u8>, PdfError> {
    let size = sheet.paper.size(sheet.landscape);
    let inner = size.0 - 2.0 * MARGIN;
    let caption = fonts::wrap(&sheet.map.caption, Face::Regular, 7.0, inner);
    let mut flow = Flow::new();
    let title = fonts::fit(&sheet.title, Face::Bold, 16.0, inner);
    flow.text(MARGIN, MARGIN + 16.0, 16.0, Face::Bold, Rgb::BLACK, &title);
    if !sheet.subtitle.is_empty() {
        let subtitle = fonts::fit(&sheet.subtitle, Face::Regular, 9.0, inner);
        flow.text(MARGIN, MARGIN + 32.0, 9.0, Face::Regular, Rgb::GREY, &subtitle);
    }
    let frame = sheet.frame();
    draw_frame(&mut flow, &frame, &sheet.map, sheet.numbers);
    flow.y = frame.y + frame.h;
    legend(&mut flow, &sheet.map, MARGIN, inner);
    flow.y += 4.0;
    for line in caption {
        flow.y += 9.0;
        flow.text(MARGIN, flow.y, 7.0, Face::Regular, Rgb::GREY, &line);
    }
    crate::draw::write(&sheet.title, &sheet.lang, &flow, size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Layer;
    use crate::layout::Op;

    fn sheet(paper: Paper, landscape: bool, extent: [f64; 4]) -> Sheet {
        Sheet {
            title: "Ağdam — Шуша".into(),
            subtitle: "2026-12-06".into(),
            lang: "en".into(),
            paper,
            landscape,
            extent,
            map: Map {
                title: String::new(),
                units: ("m".into(), "km".into()),
                base: vec![],
                layers: vec![Layer {
                    name: "Open".into(),
                    fill: Rgb(1, 2, 3),
                    stroke: Rgb(4, 5, 6),
                    shapes: vec![],
                }],
                caption: "WGS 84".into(),
            },
            numbers: Numbers::EN,
        }
    }

    #[test]
    fn iso_216_in_points_either_way_up() {
        assert_eq!(Paper::A4.size(false), (595.28, 841.89));
        assert_eq!(Paper::A3.size(true), (1190.55, 841.89));
    }

    #[test]
    fn the_chosen_ground_is_shown_whole_and_the_frame_fills_the_paper() {
        for (paper, landscape) in
            [(Paper::A4, false), (Paper::A4, true), (Paper::A3, false), (Paper::A3, true)]
        {
            // A wide and a tall piece of ground.
            for extent in [[46.5, 39.8, 47.5, 40.0], [46.9, 39.5, 47.0, 40.5]] {
                let s = sheet(paper, landscape, extent);
                let size = paper.size(landscape);
                let b = frame_box(&s, size, 1);
                let g = s.shown();
                assert!(g[0] <= extent[0] + 1e-9 && g[1] <= extent[1] + 1e-9, "{g:?} {extent:?}");
                assert!(g[2] >= extent[2] - 1e-9 && g[3] >= extent[3] - 1e-9, "{g:?} {extent:?}");
                // One side of the chosen ground touches the frame's edges.
                let tight = (g[0] - extent[0]).abs() < 1e-9 || (g[1] - extent[1]).abs() < 1e-9;
                assert!(tight, "{g:?} {extent:?}");
                // The frame stays on the paper, inside the margins.
                assert!(b.1 + b.3 <= size.1 - MARGIN && b.0 + b.2 <= size.0 - MARGIN + 1e-3, "{b:?}");
            }
        }
    }

    #[test]
    fn a_sheet_is_one_page_with_its_title_scale_and_north_arrow() {
        let s = sheet(Paper::A4, true, [46.8, 39.9, 47.0, 40.0]);
        let pdf = render_sheet(&s).unwrap_or_default();
        assert!(pdf.starts_with(b"%PDF-"));
        // The same flow, read as operations.
        let size = s.paper.size(s.landscape);
        let mut flow = Flow::new();
        let f = Frame::fitting(s.extent, frame_box(&s, size, 1));
        draw_frame(&mut flow, &f, &s.map, s.numbers);
        let texts: Vec<&str> = flow.pages[0]
            .iter()
            .filter_map(|op| if let Op::Text { text, .. } = op { Some(text.as_str()) } else { None })
            .collect();
        assert!(texts.contains(&"N"), "{texts:?}");
        assert!(texts.iter().any(|t| t.ends_with(" km") || t.ends_with(" m")), "{texts:?}");
    }
}
