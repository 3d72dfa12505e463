//! GeoPackage geometry blobs: the GeoPackage header followed by ISO WKB
//! (GeoPackage 1.3, clause 2.1.3 "Geometry Encoding").
//!
//! We write little-endian, 2D, with an `[minx, maxx, miny, maxy]` envelope so
//! that readers can filter without parsing. We read either byte order, every
//! envelope kind, and the 2D geometry types a mine action register holds.
//!
//! ```
//! use geo::{point, Geometry};
//! use safeground_core::wkb::{decode_gpkg, encode_gpkg};
//! let blob = encode_gpkg(&Geometry::Point(point!(x: 46.75, y: 39.76)), 4326);
//! assert_eq!(&blob[..2], b"GP");
//! let (srs, g) = decode_gpkg(&blob).unwrap();
//! assert_eq!((srs, g), (4326, Geometry::Point(point!(x: 46.75, y: 39.76))));
//! ```

use geo::{
    BoundingRect, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};

/// A geometry blob that cannot be read, with where it went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WkbError {
    #[error("geometry blob is too short (needed {needed} bytes at offset {offset}, have {len})")]
    Truncated { offset: usize, needed: usize, len: usize },
    #[error("geometry blob does not start with the GeoPackage magic 'GP'")]
    NotGeoPackage,
    #[error("geometry blob uses GeoPackage binary version {0}; only version 0 is defined")]
    Version(u8),
    #[error("geometry blob has an invalid envelope indicator {0} (0 to 4 are defined)")]
    Envelope(u8),
    #[error("geometry blob uses the extended GeoPackage geometry type, which safeground cannot read")]
    Extended,
    #[error("WKB byte order {0} is neither 0 (big endian) nor 1 (little endian)")]
    ByteOrder(u8),
    #[error(
        "WKB geometry type {0} is not supported (Point, LineString, Polygon, their Multi- forms and \
         collections are, with Z and M, which are dropped)"
    )]
    Type(u32),
    #[error("WKB {what} count {count} is larger than the blob could hold")]
    Count { what: &'static str, count: u32 },
    #[error("WKB nests geometry collections deeper than 8 levels")]
    TooDeep,
}

/// Encodes a geometry as a GeoPackage blob with the given SRS id.
pub fn encode_gpkg(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0); // version
    let env = match g {
        Geometry::Point(_) => None, // a point's envelope is the point
        _ => g.bounding_rect(),
    };
    // flags: little endian (bit 0), envelope kind 1 (bits 1-3) when present.
    out.push(if env.is_some() { 0b0000_0011 } else { 0b0000_0001 });
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = env {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_wkb(&mut out, g);
    out
}

/// Encodes a geometry as plain little-endian ISO WKB.
pub fn write_wkb(out: &mut Vec<u8>, g: &Geometry<f64>) {
    fn head(out: &mut Vec<u8>, t: u32) {
        out.push(1);
        out.extend_from_slice(&t.to_le_bytes());
    }
    fn coord(out: &mut Vec<u8>, c: Coord<f64>) {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
    fn ring(out: &mut Vec<u8>, r: &LineString<f64>) {
        out.extend_from_slice(&(r.0.len() as u32).to_le_bytes());
        for c in &r.0 {
            coord(out, *c);
        }
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
        head(out, 3);
        out.extend_from_slice(&((1 + p.interiors().len()) as u32).to_le_bytes());
        ring(out, p.exterior());
        for r in p.interiors() {
            ring(out, r);
        }
    }
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            coord(out, p.0);
        }
        Geometry::LineString(l) => {
            head(out, 2);
            ring(out, l);
        }
        Geometry::Polygon(p) => polygon(out, p),
        Geometry::MultiPoint(mp) => {
            head(out, 4);
            out.extend_from_slice(&(mp.0.len() as u32).to_le_bytes());
            for p in &mp.0 {
                head(out, 1);
                coord(out, p.0);
            }
        }
        Geometry::MultiLineString(ml) => {
            head(out, 5);
            out.extend_from_slice(&(ml.0.len() as u32).to_le_bytes());
            for l in &ml.0 {
                head(out, 2);
                ring(out, l);
            }
        }
        Geometry::MultiPolygon(mp) => {
            head(out, 6);
            out.extend_from_slice(&(mp.0.len() as u32).to_le_bytes());
            for p in &mp.0 {
                polygon(out, p);
            }
        }
        Geometry::GeometryCollection(gc) => {
            head(out, 7);
            out.extend_from_slice(&(gc.0.len() as u32).to_le_bytes());
            for g in &gc.0 {
                write_wkb(out, g);
            }
        }
        Geometry::Line(l) => write_wkb(out, &Geometry::LineString(LineString(vec![l.start, l.end]))),
        Geometry::Rect(r) => write_wkb(out, &Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => write_wkb(out, &Geometry::Polygon(t.to_polygon())),
    }
}

/// Decodes a GeoPackage blob into its SRS id and geometry.
pub fn decode_gpkg(blob: &[u8]) -> Result<(i32, Geometry<f64>), WkbError> {
    let mut r = Reader { b: blob, pos: 0, le: true, extra: 0 };
    let magic = r.take(2)?;
    if magic != b"GP" {
        return Err(WkbError::NotGeoPackage);
    }
    let version = r.u8()?;
    if version != 0 {
        return Err(WkbError::Version(version));
    }
    let flags = r.u8()?;
    if flags & 0b0010_0000 != 0 {
        return Err(WkbError::Extended);
    }
    r.le = flags & 1 == 1;
    let srs = r.u32()? as i32;
    let env_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(WkbError::Envelope(e)),
    };
    r.take(env_len)?;
    let g = read_wkb_at(&mut r, 0)?;
    Ok((srs, g))
}

/// The extent `[min_x, max_x, min_y, max_y]` of a GeoPackage blob, from its
/// header's envelope when it has one, else from its geometry; `None` for an
/// empty geometry. What the GeoPackage spatial index (`ST_MinX`, …) needs.
///
/// ```
/// use geo::{polygon, Geometry, Point};
/// use safeground_core::wkb::{encode_gpkg, gpkg_envelope};
/// let p = polygon![(x: 46.0, y: 39.0), (x: 47.0, y: 39.5), (x: 46.5, y: 40.0)];
/// assert_eq!(gpkg_envelope(&encode_gpkg(&Geometry::Polygon(p), 4326)).unwrap(), Some([46.0, 47.0, 39.0, 40.0]));
/// let pt = encode_gpkg(&Geometry::Point(Point::new(46.9, 39.96)), 4326);
/// assert_eq!(gpkg_envelope(&pt).unwrap(), Some([46.9, 46.9, 39.96, 39.96]));
/// ```
pub fn gpkg_envelope(blob: &[u8]) -> Result<Option<[f64; 4]>, WkbError> {
    let mut r = Reader { b: blob, pos: 0, le: true, extra: 0 };
    if r.take(2)? != b"GP" {
        return Err(WkbError::NotGeoPackage);
    }
    let _version = r.u8()?;
    let flags = r.u8()?;
    if flags & 0b0001_0000 != 0 {
        return Ok(None); // the empty-geometry flag
    }
    r.le = flags & 1 == 1;
    let _srs = r.u32()?;
    if (flags >> 1) & 0b111 != 0 {
        let mut env = [0.0; 4];
        for v in &mut env {
            *v = r.f64()?;
        }
        return Ok(Some(env));
    }
    let (_, g) = decode_gpkg(blob)?;
    Ok(g.bounding_rect().map(|b| [b.min().x, b.max().x, b.min().y, b.max().y]))
}

/// Decodes plain WKB.
pub fn read_wkb(bytes: &[u8]) -> Result<Geometry<f64>, WkbError> {
    read_wkb_at(&mut Reader { b: bytes, pos: 0, le: true, extra: 0 }, 0)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    le: bool,
    /// Ordinates after x and y in each position of the geometry being read
    /// (Z, M or both: read and dropped, as the register is two-dimensional).
    extra: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WkbError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.b.len()).ok_or(WkbError::Truncated {
            offset: self.pos,
            needed: n,
            len: self.b.len(),
        })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, WkbError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, WkbError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    fn f64(&mut self) -> Result<f64, WkbError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(if self.le { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) })
    }
    /// A count of items of at least `min_bytes` each, checked against what is left.
    fn count(&mut self, what: &'static str, min_bytes: usize) -> Result<usize, WkbError> {
        let n = self.u32()?;
        if (n as usize).saturating_mul(min_bytes) > self.b.len() - self.pos {
            return Err(WkbError::Count { what, count: n });
        }
        Ok(n as usize)
    }
    fn coord(&mut self) -> Result<Coord<f64>, WkbError> {
        let c = Coord { x: self.f64()?, y: self.f64()? };
        self.take(8 * self.extra)?;
        Ok(c)
    }
    fn line(&mut self) -> Result<LineString<f64>, WkbError> {
        let n = self.count("point", 16 + 8 * self.extra)?;
        (0..n).map(|_| self.coord()).collect::<Result<Vec<_>, _>>().map(LineString)
    }
    fn polygon(&mut self) -> Result<Polygon<f64>, WkbError> {
        let n = self.count("ring", 4)?;
        if n == 0 {
            return Ok(Polygon::new(LineString(vec![]), vec![]));
        }
        let shell = self.line()?;
        let holes = (1..n).map(|_| self.line()).collect::<Result<Vec<_>, _>>()?;
        Ok(Polygon::new(shell, holes))
    }
}

fn read_wkb_at(r: &mut Reader<'_>, depth: u8) -> Result<Geometry<f64>, WkbError> {
    if depth > 8 {
        return Err(WkbError::TooDeep);
    }
    let order = r.u8()?;
    r.le = match order {
        0 => false,
        1 => true,
        o => return Err(WkbError::ByteOrder(o)),
    };
    let (t, extra) = geometry_type(r.u32()?)?;
    if extra.1 {
        r.u32()?; // an EWKB SRID, which the GeoPackage header already gives
    }
    r.extra = extra.0;
    Ok(match t {
        1 => Geometry::Point(Point(r.coord()?)),
        2 => Geometry::LineString(r.line()?),
        3 => Geometry::Polygon(r.polygon()?),
        4..=7 => {
            let n = r.count("part", 5)?;
            let parts = (0..n).map(|_| read_wkb_at(r, depth + 1)).collect::<Result<Vec<_>, _>>()?;
            match t {
                4 => Geometry::MultiPoint(MultiPoint(
                    parts
                        .into_iter()
                        .map(|g| match g {
                            Geometry::Point(p) => Ok(p),
                            _ => Err(WkbError::Type(t)),
                        })
                        .collect::<Result<_, _>>()?,
                )),
                5 => Geometry::MultiLineString(MultiLineString(
                    parts
                        .into_iter()
                        .map(|g| match g {
                            Geometry::LineString(l) => Ok(l),
                            _ => Err(WkbError::Type(t)),
                        })
                        .collect::<Result<_, _>>()?,
                )),
                6 => Geometry::MultiPolygon(MultiPolygon(
                    parts
                        .into_iter()
                        .map(|g| match g {
                            Geometry::Polygon(p) => Ok(p),
                            _ => Err(WkbError::Type(t)),
                        })
                        .collect::<Result<_, _>>()?,
                )),
                _ => Geometry::GeometryCollection(geo::GeometryCollection(parts)),
            }
        }
        other => return Err(WkbError::Type(other)),
    })
}

/// A WKB type code's 2D type, the ordinates each position carries beyond x
/// and y, and whether an EWKB SRID follows: ISO codes (1003 Polygon Z, 2003
/// Polygon M, 3003 Polygon ZM) and PostGIS's EWKB flags.
fn geometry_type(code: u32) -> Result<(u32, (usize, bool)), WkbError> {
    const Z: u32 = 0x8000_0000;
    const M: u32 = 0x4000_0000;
    const SRID: u32 = 0x2000_0000;
    if code & (Z | M | SRID) != 0 {
        let extra = usize::from(code & Z != 0) + usize::from(code & M != 0);
        return Ok((code & 0x0FFF_FFFF, (extra, code & SRID != 0)));
    }
    let extra = match code / 1000 {
        0 => 0,
        1 | 2 => 1,
        3 => 2,
        _ => return Err(WkbError::Type(code)),
    };
    Ok((code % 1000, (extra, false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    #[test]
    fn polygon_round_trips_with_envelope() {
        let p = polygon![(x: 46.0, y: 39.0), (x: 46.1, y: 39.0), (x: 46.1, y: 39.1), (x: 46.0, y: 39.0)];
        let g = Geometry::MultiPolygon(MultiPolygon(vec![p]));
        let blob = encode_gpkg(&g, 4326);
        assert_eq!(blob[3], 0b11);
        // header, envelope, multipolygon head + count, polygon head + ring count, point count, points
        assert_eq!(blob.len(), 8 + 32 + (5 + 4) + (5 + 4) + 4 + 4 * 16);
        assert_eq!(decode_gpkg(&blob).unwrap(), (4326, g));
    }

    #[test]
    fn big_endian_wkb_is_read() {
        let mut b = vec![0u8];
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&46.5f64.to_be_bytes());
        b.extend_from_slice(&39.5f64.to_be_bytes());
        assert_eq!(read_wkb(&b).unwrap(), Geometry::Point(Point::new(46.5, 39.5)));
    }

    /// ISO WKB of a polygon with `extra` ordinates a position (1003: Z, 3003: ZM).
    fn square_with(code: u32, extra: usize) -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend_from_slice(&code.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&4u32.to_le_bytes());
        for (x, y) in [(46.0, 39.0), (46.1, 39.0), (46.1, 39.1), (46.0, 39.0)] {
            for v in [x, y].into_iter().chain(std::iter::repeat_n(250.0, extra)) {
                b.extend_from_slice(&f64::to_le_bytes(v));
            }
        }
        b
    }

    #[test]
    fn z_and_m_are_read_and_dropped() {
        let flat = polygon![(x: 46.0, y: 39.0), (x: 46.1, y: 39.0), (x: 46.1, y: 39.1), (x: 46.0, y: 39.0)];
        for (code, extra) in [(3, 0), (1003, 1), (2003, 1), (3003, 2), (0x8000_0003, 1), (0xC000_0003, 2)] {
            assert_eq!(
                read_wkb(&square_with(code, extra)).unwrap(),
                Geometry::Polygon(flat.clone()),
                "{code}"
            );
        }
        // A multipolygon Z of one polygon Z (Survey123 layers are often Z-enabled).
        let mut multi = vec![1u8];
        multi.extend_from_slice(&1006u32.to_le_bytes());
        multi.extend_from_slice(&1u32.to_le_bytes());
        multi.extend(square_with(1003, 1));
        assert_eq!(read_wkb(&multi).unwrap(), Geometry::MultiPolygon(MultiPolygon(vec![flat])));
        // Z claimed, positions two-dimensional: truncated, not misread.
        assert!(read_wkb(&square_with(1003, 0)).is_err());
        assert_eq!(read_wkb(&square_with(4003, 0)), Err(WkbError::Type(4003)));
    }

    #[test]
    fn hostile_blobs_are_errors_not_panics() {
        assert_eq!(decode_gpkg(b"XX"), Err(WkbError::NotGeoPackage));
        assert!(matches!(decode_gpkg(b"GP"), Err(WkbError::Truncated { .. })));
        // A multipolygon claiming four billion parts.
        let mut b = vec![1u8];
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(read_wkb(&b), Err(WkbError::Count { .. })));
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_gpkg(&bytes);
            let _ = read_wkb(&bytes);
        }

        #[test]
        fn points_round_trip(x in -180.0f64..180.0, y in -90.0f64..90.0) {
            let g = Geometry::Point(Point::new(x, y));
            prop_assert_eq!(decode_gpkg(&encode_gpkg(&g, 4326)).unwrap(), (4326, g));
        }
    }
}
