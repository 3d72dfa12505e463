//! A map drawn from the register's own shapes, with no tiles and no network:
//! longitude and latitude projected plate carrée with the east–west scale
//! of the ground's middle latitude (true to scale along it; at the size of a
//! district or a country the shapes keep their proportions), north up.
//! Shapes smaller than a printed point become a dot, so that a national map
//! of a hundred thousand hazards stays a readable page of a few megabytes.

use crate::doc::{Layer, Map, Numbers, Rgb};
use crate::fonts::{self, Face};
use crate::layout::{Flow, Op, Pt, BOTTOM, LEFT, TEXT_W};
use geo_types::{LineString, MultiPolygon};
use geographiclib_rs::{Geodesic, InverseGeodesic};

const HEIGHT_MAX: f32 = 430.0;
/// Vertices closer than this (points) to the last one kept are dropped.
const DETAIL: f32 = 0.35;
/// Shapes smaller than this (points) are drawn as a dot.
const DOT: f32 = 1.6;

/// From longitude/latitude to the page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    lon0: f64,
    lat0: f64,
    /// Points per degree of latitude; of longitude, times `k`.
    s: f64,
    k: f64,
}

impl Frame {
    /// The frame (x, y, w, h) on the page that shows `extent` whole,
    /// centred, at the largest scale that fits: the ground around it fills
    /// the rest of the frame.
    pub(crate) fn fitting(extent: [f64; 4], (x, y, w, h): (f32, f32, f32, f32)) -> Frame {
        let [x0, y0, x1, y1] = extent;
        let (lon0, lat0) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let k = lat0.to_radians().cos().max(0.05);
        // At least about a hundred metres across.
        let dx = (x1 - x0).max(0.001 / k);
        let dy = (y1 - y0).max(0.001);
        let s = (f64::from(w) / (dx * k)).min(f64::from(h) / dy);
        Frame { x, y, w, h, lon0, lat0, s, k }
    }

    /// The ground the frame shows: west, south, east, north.
    pub(crate) fn ground(&self) -> [f64; 4] {
        let half_w = f64::from(self.w) / 2.0 / (self.s * self.k);
        let half_h = f64::from(self.h) / 2.0 / self.s;
        [self.lon0 - half_w, self.lat0 - half_h, self.lon0 + half_w, self.lat0 + half_h]
    }

    fn page(&self, lon: f64, lat: f64) -> Pt {
        (
            self.x + self.w / 2.0 + ((lon - self.lon0) * self.k * self.s) as f32,
            self.y + self.h / 2.0 - ((lat - self.lat0) * self.s) as f32,
        )
    }
}

/// The extent (min lon, min lat, max lon, max lat) of the layers' shapes.
fn extent(layers: &[Layer]) -> Option<[f64; 4]> {
    let mut e: Option<[f64; 4]> = None;
    for c in layers.iter().flat_map(|l| &l.shapes).flat_map(|m| &m.0).flat_map(|p| &p.exterior().0) {
        if !(c.x.is_finite() && c.y.is_finite()) {
            continue;
        }
        let b = e.get_or_insert([c.x, c.y, c.x, c.y]);
        *b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
    }
    e
}

/// The frame that shows `extent` whole, with a margin, in a box `w` wide
/// and at most `max_h` high.
fn frame(extent: [f64; 4], x: f32, w: f32, max_h: f32) -> Frame {
    let [x0, y0, x1, y1] = extent;
    let (lon0, lat0) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let k = lat0.to_radians().cos().max(0.05);
    // A margin of a tenth, and at least about a kilometre across.
    let dx = ((x1 - x0) * 1.1).max(0.01 / k);
    let dy = ((y1 - y0) * 1.1).max(0.01);
    let h = (f64::from(w) * dy / (dx * k)).clamp(180.0, f64::from(max_h.clamp(180.0, HEIGHT_MAX))) as f32;
    let s = (f64::from(w) / (dx * k)).min(f64::from(h) / dy);
    Frame { x, y: 0.0, w, h, lon0, lat0, s, k }
}

/// A ring on the page, vertices closer than [`DETAIL`] dropped.
fn ring(frame: &Frame, line: &LineString<f64>) -> Vec<Pt> {
    let mut out: Vec<Pt> = vec![];
    for c in &line.0 {
        let p = frame.page(c.x, c.y);
        match out.last() {
            Some(q) if (p.0 - q.0).abs() < DETAIL && (p.1 - q.1).abs() < DETAIL => {}
            _ => out.push(p),
        }
    }
    out
}

fn span(points: &[Pt]) -> f32 {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        (x0, y0, x1, y1) = (x0.min(p.0), y0.min(p.1), x1.max(p.0), y1.max(p.1));
    }
    (x1 - x0).max(y1 - y0)
}

/// One layer's shapes: fills and outlines, or dots for the small ones.
fn shapes(flow: &mut Flow, frame: &Frame, shapes: &[MultiPolygon<f64>], fill: Rgb, stroke: Rgb, width: f32) {
    let (mut rings, mut dots) = (vec![], vec![]);
    for polygon in shapes.iter().flat_map(|m| &m.0) {
        let outer = ring(frame, polygon.exterior());
        if outer.len() < 3 || span(&outer) < DOT {
            if let Some(p) = outer.first() {
                let d = DOT / 2.0;
                dots.push(vec![
                    (p.0 - d, p.1 - d),
                    (p.0 + d, p.1 - d),
                    (p.0 + d, p.1 + d),
                    (p.0 - d, p.1 + d),
                ]);
            }
            continue;
        }
        rings.push(outer);
        rings.extend(polygon.interiors().iter().map(|i| ring(frame, i)).filter(|r| r.len() >= 3));
    }
    if rings.is_empty() && dots.is_empty() {
        return;
    }
    if fill != Rgb::BLACK && !rings.is_empty() {
        flow.op(Op::Fill { rings: rings.clone(), color: fill });
    }
    if !rings.is_empty() {
        flow.op(Op::Stroke { lines: rings, color: stroke, width, closed: true });
    }
    if !dots.is_empty() {
        flow.op(Op::Fill { rings: dots, color: stroke });
    }
}

/// A round length (1, 2 or 5 × 10ⁿ metres) near a quarter of the frame,
/// and its length on the page.
fn scale_bar(frame: &Frame) -> (f64, f32) {
    // The ground under 100 points along the middle latitude, geodesically.
    let dlon = 100.0 / (frame.s * frame.k);
    let (metres, _, _, _): (f64, f64, f64, f64) =
        Geodesic::wgs84().inverse(frame.lat0, frame.lon0, frame.lat0, frame.lon0 + dlon);
    let per_point = metres / 100.0;
    let want = per_point * f64::from(frame.w) / 4.0;
    let magnitude = 10f64.powf(want.log10().floor());
    let round = [5.0, 2.0, 1.0].iter().map(|m| m * magnitude).find(|l| *l <= want).unwrap_or(magnitude);
    (round, (round / per_point) as f32)
}

fn furniture(flow: &mut Flow, frame: &Frame, map: &Map, numbers: Numbers) {
    // Scale bar, bottom left, on a white ground.
    let (metres, len) = scale_bar(frame);
    let label = if metres >= 1000.0 {
        format!("{} {}", numbers.format(metres / 1000.0, 0), map.units.1)
    } else {
        format!("{} {}", numbers.format(metres, 0), map.units.0)
    };
    let (x, y) = (frame.x + 10.0, frame.y + frame.h - 12.0);
    let lw = fonts::width(&label, Face::Regular, 7.0);
    flow.rect(x - 4.0, y - 14.0, len.max(lw) + 8.0, 20.0, Rgb(255, 255, 255));
    flow.rect(x, y, len / 2.0, 3.0, Rgb::BLACK);
    flow.op(Op::Stroke {
        lines: vec![vec![(x, y), (x + len, y), (x + len, y + 3.0), (x, y + 3.0)]],
        color: Rgb::BLACK,
        width: 0.5,
        closed: true,
    });
    flow.text(x, y - 4.0, 7.0, Face::Regular, Rgb::BLACK, &label);
    // North arrow, top right.
    let (nx, ny) = (frame.x + frame.w - 18.0, frame.y + 12.0);
    flow.op(Op::Fill {
        rings: vec![vec![(nx, ny), (nx + 5.0, ny + 16.0), (nx, ny + 12.0), (nx - 5.0, ny + 16.0)]],
        color: Rgb::BLACK,
    });
    let nw = fonts::width("N", Face::Bold, 8.0);
    flow.text(nx - nw / 2.0, ny + 26.0, 8.0, Face::Bold, Rgb::BLACK, "N");
}

/// How many rows the legend takes across `width` points.
pub(crate) fn legend_rows(map: &Map, width: f32) -> usize {
    let mut x = 0.0;
    let mut rows = usize::from(!map.layers.is_empty());
    for layer in &map.layers {
        let w = fonts::width(&layer.name, Face::Regular, 8.0) + 24.0;
        if x + w > width {
            x = 0.0;
            rows += 1;
        }
        x += w;
    }
    rows
}

/// The legend under the map, from `left` across `width` points.
pub(crate) fn legend(flow: &mut Flow, map: &Map, left: f32, width: f32) {
    let mut x = left;
    flow.y += 13.0;
    for layer in &map.layers {
        let w = fonts::width(&layer.name, Face::Regular, 8.0) + 24.0;
        if x + w > left + width {
            x = left;
            flow.y += 13.0;
        }
        flow.rect(x, flow.y - 8.0, 12.0, 9.0, layer.fill);
        flow.op(Op::Stroke {
            lines: vec![vec![
                (x, flow.y - 8.0),
                (x + 12.0, flow.y - 8.0),
                (x + 12.0, flow.y + 1.0),
                (x, flow.y + 1.0),
            ]],
            color: layer.stroke,
            width: 0.6,
            closed: true,
        });
        flow.text(x + 16.0, flow.y, 8.0, Face::Regular, Rgb::BLACK, &layer.name);
        x += w;
    }
}

/// The map in its frame: the ground, the base, the layers in order, the
/// scale bar and the north arrow, cut to the frame, and its border.
pub(crate) fn draw_frame(flow: &mut Flow, frame: &Frame, map: &Map, numbers: Numbers) {
    flow.op(Op::Clip(frame.x, frame.y, frame.w, frame.h));
    flow.rect(frame.x, frame.y, frame.w, frame.h, Rgb(250, 250, 247));
    shapes(flow, frame, &map.base, Rgb::BLACK, Rgb::RULE, 0.5);
    for layer in &map.layers {
        shapes(flow, frame, &layer.shapes, layer.fill, layer.stroke, 0.5);
    }
    furniture(flow, frame, map, numbers);
    flow.op(Op::Unclip);
    let (x, y, w, h) = (frame.x, frame.y, frame.w, frame.h);
    flow.op(Op::Stroke {
        lines: vec![vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h)]],
        color: Rgb::GREY,
        width: 0.7,
        closed: true,
    });
}

pub(crate) fn lay_out(flow: &mut Flow, map: &Map, numbers: Numbers) {
    let Some(extent) = extent(&map.layers) else {
        return;
    };
    // The title, legend and caption around the frame.
    let caption = fonts::wrap(&map.caption, Face::Regular, 7.0, TEXT_W);
    let around = 20.0 + 13.0 * legend_rows(map, TEXT_W) as f32 + 4.0 + 9.0 * caption.len() as f32 + 12.0;
    // Smaller, to finish the page it starts on, when at least a good half
    // of a full map's height is left there.
    let left = BOTTOM - flow.y - around;
    let max_h = if left >= 260.0 { left.min(HEIGHT_MAX) } else { HEIGHT_MAX };
    let mut frame = frame(extent, LEFT, TEXT_W, max_h);
    flow.room(frame.h + around);
    flow.y += 4.0;
    flow.text(LEFT, flow.y + 10.0, 9.5, Face::Bold, Rgb::BLACK, &map.title);
    flow.y += 16.0;
    frame.y = flow.y;
    draw_frame(flow, &frame, map, numbers);
    flow.y += frame.h;
    legend(flow, map, LEFT, TEXT_W);
    flow.y += 4.0;
    for line in caption {
        flow.y += 9.0;
        flow.text(LEFT, flow.y, 7.0, Face::Regular, Rgb::GREY, &line);
    }
    flow.y += 12.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)
        ]])
    }

    #[test]
    fn the_whole_ground_fits_in_the_frame_north_up() {
        let ground = vec![square(46.5, 39.5, 0.2), square(47.3, 40.2, 0.1)];
        let e = extent(&[Layer { name: "h".into(), fill: Rgb::BLACK, stroke: Rgb::BLACK, shapes: ground }])
            .unwrap_or_default();
        let f = frame(e, LEFT, TEXT_W, HEIGHT_MAX);
        for (lon, lat) in [(46.5, 39.5), (47.4, 40.3)] {
            let (x, y) = f.page(lon, lat);
            assert!(x >= f.x && x <= f.x + f.w && y >= 0.0 && y <= f.h, "({x}, {y})");
        }
        // North is up: a higher latitude is higher on the page.
        assert!(f.page(47.0, 40.0).1 < f.page(47.0, 39.9).1);
        // East–west true to scale at the middle latitude.
        let (a, b) = (f.page(47.0, f.lat0), f.page(47.1, f.lat0));
        let (c, d) = (f.page(47.0, f.lat0), f.page(47.0, f.lat0 + 0.1));
        let ratio = f64::from(b.0 - a.0) / f64::from(d.1 - c.1).abs();
        assert!((ratio - f.lat0.to_radians().cos()).abs() < 1e-3, "{ratio}");
    }

    #[test]
    fn the_scale_bar_is_a_round_length_true_to_the_ground() {
        let f = frame([46.0, 39.0, 48.0, 41.0], LEFT, TEXT_W, HEIGHT_MAX);
        let (metres, len) = scale_bar(&f);
        let lead = metres / 10f64.powf(metres.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|m| (lead - m).abs() < 1e-9), "{metres}");
        assert!(len > 20.0 && len <= f.w / 4.0 + 0.01, "{len}");
        // The bar's ground, measured geodesically along the middle latitude.
        let dlon = f64::from(len) / (f.s * f.k);
        let (m, _, _, _): (f64, f64, f64, f64) =
            Geodesic::wgs84().inverse(f.lat0, f.lon0, f.lat0, f.lon0 + dlon);
        assert!((m - metres).abs() / metres < 1e-3, "{m} vs {metres}");
    }

    #[test]
    fn shapes_under_a_point_become_dots() {
        let f = frame([46.0, 39.0, 48.0, 41.0], LEFT, TEXT_W, HEIGHT_MAX);
        let mut flow = crate::layout::tests_flow();
        shapes(
            &mut flow,
            &f,
            &[square(47.0, 40.0, 0.0001), square(46.5, 39.5, 0.3)],
            Rgb(1, 2, 3),
            Rgb(9, 9, 9),
            0.5,
        );
        let ops = &flow.pages[0];
        let dots =
            ops.iter().filter(|op| matches!(op, Op::Fill { color, .. } if *color == Rgb(9, 9, 9))).count();
        let fills =
            ops.iter().filter(|op| matches!(op, Op::Fill { color, .. } if *color == Rgb(1, 2, 3))).count();
        assert_eq!((dots, fills), (1, 1));
    }
}
