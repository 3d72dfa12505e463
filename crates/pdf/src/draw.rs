//! The laid-out pages written as PDF with krilla: text in the embedded faces
//! (subset, with their Unicode map, so that the text can be searched and
//! extracted), shapes as vector paths, the headings as the outline.

use crate::doc::Rgb;
use crate::fonts::{Face, BOLD, REGULAR};
use crate::layout::{Flow, Op, Pt};
use crate::PdfError;
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{Path, PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

fn fill(color: Rgb, rule: FillRule) -> Fill {
    Fill { paint: rgb::Color::new(color.0, color.1, color.2).into(), opacity: NormalizedF32::ONE, rule }
}

/// The rings (or lines) as one path.
fn path(lines: &[Vec<Pt>], closed: bool) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for line in lines {
        let mut points = line.iter();
        let Some(first) = points.next() else { continue };
        pb.move_to(first.0, first.1);
        for p in points {
            pb.line_to(p.0, p.1);
        }
        if closed {
            pb.close();
        }
    }
    pb.finish()
}

fn draw(surface: &mut Surface<'_>, op: &Op, fonts: &(Font, Font)) {
    match op {
        Op::Text { x, y, size, face, color, text } => {
            let font = match face {
                Face::Regular => fonts.0.clone(),
                Face::Bold => fonts.1.clone(),
            };
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*color, FillRule::NonZero)));
            surface.draw_text(Point::from_xy(*x, *y), font, *size, text, false, TextDirection::Auto);
        }
        Op::Fill { rings, color } => {
            if let Some(p) = path(rings, true) {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*color, FillRule::EvenOdd)));
                surface.draw_path(&p);
            }
        }
        Op::Stroke { lines, color, width, closed } => {
            if let Some(p) = path(lines, *closed) {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(color.0, color.1, color.2).into(),
                    width: *width,
                    line_join: LineJoin::Round,
                    ..Stroke::default()
                }));
                surface.draw_path(&p);
            }
        }
        Op::Clip(x, y, w, h) => {
            if let Some(p) = path(&[vec![(*x, *y), (x + w, *y), (x + w, y + h), (*x, y + h)]], true) {
                surface.push_clip_path(&p, &FillRule::NonZero);
            }
        }
        Op::Unclip => surface.pop(),
    }
}

/// The pages of `flow`, each `size` (width, height in points), with the
/// document's title and language (BCP 47) as its metadata.
pub(crate) fn write(title: &str, lang: &str, flow: &Flow, size: (f32, f32)) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(REGULAR.into(), 0).ok_or(PdfError::Font("DejaVu Sans Condensed"))?;
    let bold = Font::new(BOLD.into(), 0).ok_or(PdfError::Font("DejaVu Sans Condensed Bold"))?;
    let fonts = (regular, bold);
    let mut document = Document::new();
    let settings = PageSettings::from_wh(size.0, size.1).ok_or(PdfError::Layout("the page"))?;
    for ops in &flow.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, op, &fonts);
        }
        surface.finish();
        page.finish();
    }
    let mut outline = Outline::new();
    for mark in &flow.marks {
        let to = XyzDestination::new(mark.page, Point::from_xy(0.0, mark.y));
        outline.push_child(OutlineNode::new(mark.text.clone(), to));
    }
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language(lang.to_string())
            .creator("safeground".to_string())
            .producer("safeground (krilla)".to_string()),
    );
    document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}
