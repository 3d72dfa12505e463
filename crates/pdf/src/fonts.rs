//! The two faces every document is set in (DejaVu Sans Condensed, regular and
//! bold: Latin, Azerbaijani and Cyrillic letters), embedded in the binary so
//! that a report prints the same on a machine with no fonts, and their widths
//! for measuring text.

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Regular,
    Bold,
}

/// Advance widths of one face, per character, in ems.
struct Widths {
    per_char: HashMap<char, f32>,
    /// The width of a character the face lacks (its `.notdef` box).
    missing: f32,
}

impl Widths {
    fn read(data: &[u8]) -> Widths {
        let mut per_char = HashMap::new();
        let mut missing = 0.6;
        if let Ok(font) = FontRef::new(data) {
            let upem = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em.max(1));
            let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
            if let Some(w) = metrics.advance_width(skrifa::GlyphId::new(0)) {
                missing = w / upem;
            }
            for (c, glyph) in font.charmap().mappings() {
                if let (Some(c), Some(w)) = (char::from_u32(c), metrics.advance_width(glyph)) {
                    per_char.insert(c, w / upem);
                }
            }
        }
        Widths { per_char, missing }
    }
}

fn widths(face: Face) -> &'static Widths {
    static REG: OnceLock<Widths> = OnceLock::new();
    static BLD: OnceLock<Widths> = OnceLock::new();
    match face {
        Face::Regular => REG.get_or_init(|| Widths::read(REGULAR)),
        Face::Bold => BLD.get_or_init(|| Widths::read(BOLD)),
    }
}

/// The width of `text` set in `face` at `size` points (kerning aside).
pub fn width(text: &str, face: Face, size: f32) -> f32 {
    let w = widths(face);
    text.chars().map(|c| w.per_char.get(&c).copied().unwrap_or(w.missing)).sum::<f32>() * size
}

/// Whether the faces hold a glyph for every letter of `text`.
pub fn covers(text: &str) -> bool {
    let w = widths(Face::Regular);
    text.chars().all(|c| c.is_whitespace() || w.per_char.contains_key(&c))
}

/// `text` broken into lines no wider than `max` points: at spaces, and
/// inside a word only when the word alone is wider than a line.
pub fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let mut lines = vec![];
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if width(&candidate, face, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut where it must be.
            for c in word.chars() {
                line.push(c);
                if width(&line, face, size) > max && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// `text` cut to fit `max` points, with an ellipsis where it was cut.
pub fn fit(text: &str, face: Face, size: f32, max: f32) -> String {
    if width(text, face, size) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out, face, size) + width("…", face, size) > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faces_hold_azerbaijani_and_ukrainian_letters() {
        assert!(covers("əğışçöü ƏĞİŞÇÖÜ іїєґ ІЇЄҐ №"));
        assert!(!covers("漢"));
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let a = width("Ağdam", Face::Regular, 10.0);
        assert!(a > 15.0 && a < 40.0, "{a}");
        assert!(width("Ağdam", Face::Bold, 10.0) > a);
        assert!((width("Ağdam", Face::Regular, 20.0) - 2.0 * a).abs() < 1e-3);
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text = "Risk education sessions and people reached by sex and age, marking";
        let lines = wrap(text, Face::Regular, 10.0, 80.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l, Face::Regular, 10.0) <= 80.0));
        assert_eq!(lines.join(" "), text);
        // A word longer than a line is cut, nothing lost.
        let long = wrap("Xocavəndrayonununərazisi", Face::Regular, 10.0, 30.0);
        assert!(long.len() > 1);
        assert_eq!(long.concat(), "Xocavəndrayonununərazisi");
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis() {
        assert_eq!(fit("HA-0001", Face::Regular, 9.0, 200.0), "HA-0001");
        let cut = fit("A very long settlement name indeed", Face::Regular, 9.0, 50.0);
        assert!(cut.ends_with('…') && width(&cut, Face::Regular, 9.0) <= 50.0, "{cut}");
    }
}
