//! Mapbox Vector Tiles (MVT 2.1): features projected to Web Mercator tile
//! coordinates, clipped to the tile plus a buffer, quantised to its 4096-unit
//! grid, and encoded as the protobuf message map clients (MapLibre) read.
//!
//! Polygons are clipped ring by ring (Sutherland–Hodgman against the buffered
//! tile square), rings that collapse at the tile's resolution are dropped,
//! and winding follows the spec (exteriors clockwise on screen). Points can be
//! gathered into clusters on a grid of the tile, each with its `count`.
//!
//! ```
//! use geo::{Geometry, Point};
//! use safeground_core::mvt::{encode_tile, Feature, TileId, Value};
//! let tile = TileId::new(8, 162, 98).unwrap();
//! let [w, s, e, n] = tile.bounds();
//! let inside = Geometry::Point(Point::new((w + e) / 2.0, (s + n) / 2.0));
//! let f = Feature { id: Some(7), properties: vec![("category".into(), Value::Str("AP".into()))], geometry: inside };
//! let bytes = encode_tile(tile, &[("eo_finds", vec![f])]);
//! assert!(bytes.len() > 20);
//! ```

use geo::{Coord, Geometry, LineString, Polygon};
use std::collections::BTreeMap;

/// Units across a tile.
pub const EXTENT: u32 = 4096;
/// Units drawn beyond each edge, so strokes join across tiles.
pub const BUFFER: f64 = 64.0;

/// A tile of the Web Mercator (EPSG:3857) pyramid, XYZ scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// A tile, if it exists (zoom 0 to 24, x and y below 2^z).
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId, String> {
        if z > 24 {
            return Err(format!("zoom {z} is beyond 24"));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(format!("tile {z}/{x}/{y} does not exist: x and y run from 0 to {}", n - 1));
        }
        Ok(TileId { z, x, y })
    }

    /// `[west, south, east, north]` in degrees.
    pub fn bounds(self) -> [f64; 4] {
        let n = (1u64 << self.z) as f64;
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        [lon(self.x as f64), lat(self.y as f64 + 1.0), lon(self.x as f64 + 1.0), lat(self.y as f64)]
    }

    /// The bounds grown by the buffer, for selecting features.
    pub fn buffered_bounds(self) -> [f64; 4] {
        let [w, s, e, n] = self.bounds();
        let (dx, dy) = ((e - w) * BUFFER / EXTENT as f64, (n - s) * BUFFER / EXTENT as f64);
        [w - dx, (s - dy).max(-85.06), e + dx, (n + dy).min(85.06)]
    }

    /// A longitude/latitude in this tile's units (y down).
    pub fn project(self, c: Coord<f64>) -> Coord<f64> {
        let n = (1u64 << self.z) as f64;
        let lat = c.y.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        let fx = (c.x + 180.0) / 360.0 * n;
        let fy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
        Coord { x: (fx - self.x as f64) * EXTENT as f64, y: (fy - self.y as f64) * EXTENT as f64 }
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

/// A feature to encode: longitude/latitude geometry (points, polygons, multipolygons).
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: Option<u64>,
    pub properties: Vec<(String, Value)>,
    pub geometry: Geometry<f64>,
}

/// Gathers points into one per cell of a `cells`×`cells` grid over the tile,
/// at the cell's mean position, with `count` (features) and the sum of
/// `sum_property` if given. Features that are not points pass unchanged.
pub fn cluster(tile: TileId, features: Vec<Feature>, cells: u32, sum_property: Option<&str>) -> Vec<Feature> {
    let size = EXTENT as f64 / cells as f64;
    /// Per grid cell: the sums of longitudes and latitudes, the count, the summed property, the first feature.
    struct Cell {
        lon: f64,
        lat: f64,
        n: i64,
        amount: i64,
        first: Feature,
    }
    let mut groups: BTreeMap<(i64, i64), Cell> = BTreeMap::new();
    let mut out = vec![];
    for f in features {
        let Geometry::Point(p) = f.geometry else {
            out.push(f);
            continue;
        };
        let t = tile.project(p.0);
        let key = ((t.x / size).floor() as i64, (t.y / size).floor() as i64);
        let amount = sum_property
            .and_then(|k| f.properties.iter().find(|(n, _)| n == k))
            .map(|(_, v)| match v {
                Value::Int(i) => *i,
                Value::Double(d) => *d as i64,
                _ => 1,
            })
            .unwrap_or(1);
        let e = groups.entry(key).or_insert(Cell { lon: 0.0, lat: 0.0, n: 0, amount: 0, first: f.clone() });
        e.lon += p.x();
        e.lat += p.y();
        e.n += 1;
        e.amount += amount;
    }
    for Cell { lon: sx, lat: sy, n, amount, first } in groups.into_values() {
        let mut properties = if n == 1 { first.properties } else { vec![] };
        properties.push(("count".into(), Value::Int(n)));
        if let Some(k) = sum_property {
            properties.retain(|(name, _)| name != k);
            properties.push((k.to_string(), Value::Int(amount)));
        }
        out.push(Feature {
            id: if n == 1 { first.id } else { None },
            properties,
            geometry: Geometry::Point(geo::Point::new(sx / n as f64, sy / n as f64)),
        });
    }
    out
}

/// Encodes layers of features as one tile.
pub fn encode_tile(tile: TileId, layers: &[(&str, Vec<Feature>)]) -> Vec<u8> {
    let mut out = vec![];
    for (name, features) in layers {
        let layer = encode_layer(tile, name, features);
        if !layer.is_empty() {
            field_bytes(&mut out, 3, &layer);
        }
    }
    out
}

fn encode_layer(tile: TileId, name: &str, features: &[Feature]) -> Vec<u8> {
    let mut keys: Vec<String> = vec![];
    let mut key_index: BTreeMap<String, u32> = BTreeMap::new();
    let mut values: Vec<Vec<u8>> = vec![];
    let mut value_index: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    let mut encoded_features = vec![];
    // Features drawn identically on the same pixel (hazards too small to see
    // at low zoom, each a one-pixel mark) are written once.
    let mut seen = std::collections::HashSet::new();
    for f in features {
        let Some((kind, geometry)) = geometry_commands(tile, &f.geometry) else { continue };
        if kind == 3 && geometry.len() <= 12 {
            let tags: Vec<String> = f.properties.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            if !seen.insert((geometry.clone(), tags)) {
                continue;
            }
        }
        let mut tags = vec![];
        for (k, v) in &f.properties {
            let ki = *key_index.entry(k.clone()).or_insert_with(|| {
                keys.push(k.clone());
                keys.len() as u32 - 1
            });
            let bytes = value_bytes(v);
            let vi = *value_index.entry(bytes.clone()).or_insert_with(|| {
                values.push(bytes);
                values.len() as u32 - 1
            });
            tags.push(ki);
            tags.push(vi);
        }
        let mut feature = vec![];
        if let Some(id) = f.id {
            key(&mut feature, 1, 0);
            varint(&mut feature, id);
        }
        if !tags.is_empty() {
            packed(&mut feature, 2, &tags);
        }
        key(&mut feature, 3, 0);
        varint(&mut feature, kind);
        packed(&mut feature, 4, &geometry);
        encoded_features.push(feature);
    }
    if encoded_features.is_empty() {
        return vec![];
    }
    let mut layer = vec![];
    key(&mut layer, 15, 0);
    varint(&mut layer, 2);
    field_bytes(&mut layer, 1, name.as_bytes());
    for f in &encoded_features {
        field_bytes(&mut layer, 2, f);
    }
    for k in &keys {
        field_bytes(&mut layer, 3, k.as_bytes());
    }
    for v in &values {
        field_bytes(&mut layer, 4, v);
    }
    key(&mut layer, 5, 0);
    varint(&mut layer, u64::from(EXTENT));
    layer
}

fn value_bytes(v: &Value) -> Vec<u8> {
    let mut b = vec![];
    match v {
        Value::Str(s) => field_bytes(&mut b, 1, s.as_bytes()),
        Value::Double(d) => {
            key(&mut b, 3, 1);
            b.extend_from_slice(&d.to_le_bytes());
        }
        Value::Int(i) => {
            key(&mut b, 6, 0);
            varint(&mut b, zigzag(*i));
        }
        Value::Bool(x) => {
            key(&mut b, 7, 0);
            varint(&mut b, u64::from(*x));
        }
    }
    b
}

/// The geometry type (1 point, 3 polygon) and its command stream, or `None`
/// when nothing of it is left in the tile.
fn geometry_commands(tile: TileId, g: &Geometry<f64>) -> Option<(u64, Vec<u32>)> {
    let lo = -BUFFER;
    let hi = EXTENT as f64 + BUFFER;
    let mut cmd = vec![];
    let mut cursor = (0i64, 0i64);
    match g {
        Geometry::Point(p) => {
            let t = tile.project(p.0);
            if !(lo..=hi).contains(&t.x) || !(lo..=hi).contains(&t.y) {
                return None;
            }
            cmd.push(command(1, 1));
            push_point(&mut cmd, &mut cursor, (t.x.round() as i64, t.y.round() as i64));
            Some((1, cmd))
        }
        Geometry::Polygon(p) => {
            polygon_commands(tile, p, &mut cmd, &mut cursor);
            (!cmd.is_empty()).then_some((3, cmd))
        }
        Geometry::MultiPolygon(mp) => {
            for p in &mp.0 {
                polygon_commands(tile, p, &mut cmd, &mut cursor);
            }
            (!cmd.is_empty()).then_some((3, cmd))
        }
        _ => None,
    }
}

fn polygon_commands(tile: TileId, p: &Polygon<f64>, cmd: &mut Vec<u32>, cursor: &mut (i64, i64)) {
    let Some(exterior) = ring(tile, p.exterior(), true) else { return };
    write_ring(cmd, cursor, &exterior);
    for hole in p.interiors() {
        if let Some(h) = ring(tile, hole, false) {
            write_ring(cmd, cursor, &h);
        }
    }
}

/// Douglas–Peucker tolerance in tile units: a screen pixel is 8 units of a
/// 512-pixel tile, so half a pixel is never seen.
const SIMPLIFY: f64 = 4.0;
/// The side, in tile units, of the mark a polygon too small to draw becomes
/// (one screen pixel), so that no hazard vanishes from the map at low zoom.
const SPECK: i64 = 8;

/// A ring in tile units: clipped, simplified, quantised, without repeated
/// points, wound as the spec wants; `None` if it collapses (an exterior ring
/// that lies in the tile collapses to a one-pixel square instead).
fn ring(tile: TileId, r: &LineString<f64>, exterior: bool) -> Option<Vec<(i64, i64)>> {
    let mut pts: Vec<Coord<f64>> = r.0.iter().map(|c| tile.project(*c)).collect();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let pts = clip(pts, -BUFFER, EXTENT as f64 + BUFFER);
    let speck = exterior.then(|| speck(&pts)).flatten();
    let pts = simplify(pts);
    let mut q: Vec<(i64, i64)> = Vec::with_capacity(pts.len());
    for c in pts {
        let p = (c.x.round() as i64, c.y.round() as i64);
        if q.last() != Some(&p) {
            q.push(p);
        }
    }
    while q.len() > 1 && q.first() == q.last() {
        q.pop();
    }
    if q.len() < 3 {
        return speck;
    }
    let area2: i64 = (0..q.len())
        .map(|i| {
            let (a, b) = (q[i], q[(i + 1) % q.len()]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    if area2 == 0 {
        return speck;
    }
    // Spec: exterior rings have positive area (clockwise with y down), holes negative.
    if (area2 > 0) != exterior {
        q.reverse();
    }
    Some(q)
}

/// A one-pixel square (clockwise on screen) at the middle of `pts`, if any.
fn speck(pts: &[Coord<f64>]) -> Option<Vec<(i64, i64)>> {
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    let (cx, cy) = pts.iter().fold((0.0, 0.0), |(x, y), c| (x + c.x / n, y + c.y / n));
    let (x, y) = (cx.round() as i64 - SPECK / 2, cy.round() as i64 - SPECK / 2);
    Some(vec![(x, y), (x + SPECK, y), (x + SPECK, y + SPECK), (x, y + SPECK)])
}

/// Douglas–Peucker on a closed ring (kept closed while simplifying).
fn simplify(mut pts: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    use geo::Simplify;
    if pts.len() <= 4 {
        return pts;
    }
    pts.push(pts[0]);
    let mut out = LineString(pts).simplify(SIMPLIFY).0;
    out.pop();
    out
}

/// Sutherland–Hodgman clipping of a closed ring to the square [lo, hi]².
fn clip(mut pts: Vec<Coord<f64>>, lo: f64, hi: f64) -> Vec<Coord<f64>> {
    type Edge = (fn(Coord<f64>, f64) -> bool, fn(Coord<f64>, Coord<f64>, f64) -> Coord<f64>, f64);
    let cross_x =
        |a: Coord<f64>, b: Coord<f64>, x: f64| Coord { x, y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x) };
    let cross_y =
        |a: Coord<f64>, b: Coord<f64>, y: f64| Coord { x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y };
    let edges: [Edge; 4] = [
        (|c, v| c.x >= v, cross_x, lo),
        (|c, v| c.x <= v, cross_x, hi),
        (|c, v| c.y >= v, cross_y, lo),
        (|c, v| c.y <= v, cross_y, hi),
    ];
    for (inside, cross, v) in edges {
        if pts.is_empty() {
            break;
        }
        let input = std::mem::take(&mut pts);
        let mut prev = input[input.len() - 1];
        for cur in input {
            match (inside(cur, v), inside(prev, v)) {
                (true, true) => pts.push(cur),
                (true, false) => {
                    pts.push(cross(prev, cur, v));
                    pts.push(cur);
                }
                (false, true) => pts.push(cross(prev, cur, v)),
                (false, false) => {}
            }
            prev = cur;
        }
    }
    pts
}

fn write_ring(cmd: &mut Vec<u32>, cursor: &mut (i64, i64), r: &[(i64, i64)]) {
    cmd.push(command(1, 1));
    push_point(cmd, cursor, r[0]);
    cmd.push(command(2, r.len() as u32 - 1));
    for p in &r[1..] {
        push_point(cmd, cursor, *p);
    }
    cmd.push(command(7, 1));
}

fn push_point(cmd: &mut Vec<u32>, cursor: &mut (i64, i64), p: (i64, i64)) {
    cmd.push(zigzag(p.0 - cursor.0) as u32);
    cmd.push(zigzag(p.1 - cursor.1) as u32);
    *cursor = p;
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn field_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut body = vec![];
    for v in values {
        varint(&mut body, u64::from(*v));
    }
    field_bytes(out, field, &body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn tile_bounds_and_projection_agree() {
        let t = TileId::new(8, 162, 98).unwrap();
        let [w, s, e, n] = t.bounds();
        let nw = t.project(Coord { x: w, y: n });
        let se = t.project(Coord { x: e, y: s });
        assert!(nw.x.abs() < 1e-6 && nw.y.abs() < 1e-6, "{nw:?}");
        assert!((se.x - 4096.0).abs() < 1e-6 && (se.y - 4096.0).abs() < 1e-6, "{se:?}");
        assert!(TileId::new(3, 8, 0).is_err());
        assert!(TileId::new(25, 0, 0).is_err());
    }

    #[test]
    fn a_polygon_across_the_edge_is_clipped_and_wound() {
        let t = TileId::new(10, 645, 391).unwrap();
        let [w, s, e, n] = t.bounds();
        // Reaches far past the east edge; written counter-clockwise (GeoJSON's way).
        let p = polygon![(x: w + (e - w) * 0.5, y: s + (n - s) * 0.25), (x: e + (e - w) * 3.0, y: s + (n - s) * 0.25),
                         (x: e + (e - w) * 3.0, y: s + (n - s) * 0.75), (x: w + (e - w) * 0.5, y: s + (n - s) * 0.75)];
        let r = ring(t, p.exterior(), true).unwrap();
        assert!(r.iter().all(|(x, _)| *x <= 4096 + 64), "{r:?}");
        let area2: i64 =
            (0..r.len()).map(|i| r[i].0 * r[(i + 1) % r.len()].1 - r[(i + 1) % r.len()].0 * r[i].1).sum();
        assert!(area2 > 0, "exterior rings are positive in tile coordinates");
        // A polygon smaller than a pixel at zoom 2 becomes a one-pixel square; a hole that small goes.
        let tiny = polygon![(x: 46.0, y: 40.0), (x: 46.0001, y: 40.0), (x: 46.0001, y: 40.0001)];
        let t2 = TileId::new(2, 2, 1).unwrap();
        let speck = ring(t2, tiny.exterior(), true).unwrap();
        assert_eq!(speck.len(), 4);
        assert!(ring(t2, tiny.exterior(), false).is_none());
    }

    #[test]
    fn clusters_keep_counts_and_sums() {
        let t = TileId::new(6, 40, 24).unwrap();
        let [w, s, e, n] = t.bounds();
        let pt = |dx: f64, q: i64| Feature {
            id: Some(1),
            properties: vec![("quantity".into(), Value::Int(q))],
            geometry: Geometry::Point(geo::Point::new(w + (e - w) * dx, (s + n) / 2.0)),
        };
        let out = cluster(t, vec![pt(0.1, 2), pt(0.1001, 3), pt(0.9, 1)], 16, Some("quantity"));
        assert_eq!(out.len(), 2);
        let big = out.iter().find(|f| f.properties.contains(&("count".into(), Value::Int(2)))).unwrap();
        assert!(big.properties.contains(&("quantity".into(), Value::Int(5))));
    }
}
