//! The coordinate reference systems an imported file may declare: WGS84
//! longitude/latitude, WGS84 / UTM in any zone (EPSG 32601–32660 north,
//! 32701–32760 south), or WGS 84 / Pseudo-Mercator (EPSG 3857, "Web
//! Mercator", in which ArcGIS Enterprise keeps hosted feature layers such as
//! IMSMA Core's). Anything else is refused by its EPSG code: we convert only
//! what we convert exactly (UTM through [`crate::coords::from_utm`], checked
//! against GeographicLib's GeoConvert; Pseudo-Mercator by its closed-form
//! inverse, EPSG method 1024, checked against PROJ in `tests/imsma_core.rs`).
//!
//! ```
//! use safeground_core::crs::Crs;
//! let utm = Crs::parse("EPSG:32638").unwrap();
//! let [lon, lat] = utm.to_wgs84(650008.0, 4402724.0).unwrap();
//! assert!((lon - 46.7512345).abs() < 1e-5 && (lat - 39.7612345).abs() < 1e-5);
//! let [lon, lat] = Crs::from_epsg(3857).unwrap().to_wgs84(5_565_974.54, 4_865_942.28).unwrap();
//! assert!((lon - 50.0).abs() < 1e-7 && (lat - 40.0).abs() < 1e-7);
//! assert!(Crs::from_epsg(3395).unwrap_err().to_string().contains("3395"));
//! ```

use crate::coords::from_utm;
use serde_json::Value;

/// A reference system we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// Longitude, latitude in degrees on WGS84 (EPSG 4326, OGC CRS84).
    Wgs84,
    /// WGS84 / UTM: easting, northing in metres.
    Utm { zone: u8, north: bool },
    /// WGS 84 / Pseudo-Mercator: the spherical Mercator of web maps, in metres.
    WebMercator,
}

/// The sphere of Pseudo-Mercator: WGS84's semi-major axis (EPSG 3857).
const WEB_MERCATOR_RADIUS: f64 = 6_378_137.0;

/// A reference system we do not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrsError {
    #[error(
        "EPSG:{0} is not supported: safeground reads WGS84 (EPSG:4326) and WGS84 / UTM \
         (EPSG:32601–32660 north, 32701–32760 south) and Pseudo-Mercator (EPSG:3857); reproject the file to one of them first \
         (e.g. `ogr2ogr -t_srs EPSG:4326`)"
    )]
    Unsupported(i64),
    #[error(
        "'{0}' is not a reference system safeground reads: give an EPSG code such as EPSG:4326 or EPSG:32638"
    )]
    Unknown(String),
}

impl Crs {
    /// The system of an EPSG code.
    pub fn from_epsg(code: i64) -> Result<Crs, CrsError> {
        match code {
            4326 | 4979 => Ok(Crs::Wgs84),
            // ESRI's codes for the same system, as older ArcGIS exports write them.
            3857 | 900913 | 102100 | 102113 => Ok(Crs::WebMercator),
            32601..=32660 => Ok(Crs::Utm { zone: (code - 32600) as u8, north: true }),
            32701..=32760 => Ok(Crs::Utm { zone: (code - 32700) as u8, north: false }),
            _ => Err(CrsError::Unsupported(code)),
        }
    }

    /// Reads `4326`, `EPSG:32638`, `urn:ogc:def:crs:EPSG::32638`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84` or `CRS84`.
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        let t = text.trim();
        if t.to_ascii_uppercase().ends_with("CRS84") {
            return Ok(Crs::Wgs84);
        }
        let digits = t.rsplit(':').next().unwrap_or(t).trim();
        match digits.parse::<i64>() {
            Ok(code) => Crs::from_epsg(code),
            Err(_) => Err(CrsError::Unknown(t.to_string())),
        }
    }

    /// The EPSG code.
    pub fn epsg(self) -> i64 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Utm { zone, north: true } => 32600 + i64::from(zone),
            Crs::Utm { zone, north: false } => 32700 + i64::from(zone),
            Crs::WebMercator => 3857,
        }
    }

    /// Longitude and latitude of a position written in this system.
    pub fn to_wgs84(self, x: f64, y: f64) -> Result<[f64; 2], String> {
        match self {
            Crs::Wgs84 => {
                if x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0 {
                    Ok([x, y])
                } else {
                    Err(format!("({x}, {y}) is not a longitude/latitude"))
                }
            }
            Crs::Utm { zone, north } => from_utm(zone, north, x, y)
                .map(|p| [p.lon(), p.lat()])
                .map_err(|e| format!("({x}, {y}) in EPSG:{}: {e}", self.epsg())),
            Crs::WebMercator => {
                let limit = WEB_MERCATOR_RADIUS * std::f64::consts::PI;
                if x.is_finite()
                    && y.is_finite()
                    && x.abs() <= limit * (1.0 + 1e-12)
                    && y.abs() <= 2.0 * limit
                {
                    let lon = (x / WEB_MERCATOR_RADIUS).to_degrees();
                    let lat = (y / WEB_MERCATOR_RADIUS).sinh().atan().to_degrees();
                    Ok([lon, lat])
                } else {
                    Err(format!("({x}, {y}) is not a position in EPSG:3857 (Pseudo-Mercator)"))
                }
            }
        }
    }

    /// Converts every position of a GeoJSON geometry object in place.
    pub fn transform(self, geometry: &mut Value) -> Result<(), String> {
        if self == Crs::Wgs84 {
            return Ok(());
        }
        fn walk(crs: Crs, v: &mut Value) -> Result<(), String> {
            let Value::Array(items) = v else { return Ok(()) };
            if items.first().is_some_and(Value::is_number) {
                let (Some(x), Some(y)) = (items[0].as_f64(), items.get(1).and_then(Value::as_f64)) else {
                    return Err("a position is not two numbers".into());
                };
                let [lon, lat] = crs.to_wgs84(x, y)?;
                items[0] = lon.into();
                items[1] = lat.into();
                return Ok(());
            }
            items.iter_mut().try_for_each(|i| walk(crs, i))
        }
        match geometry.get_mut("coordinates") {
            Some(c) => walk(self, c),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_codes_we_read() {
        assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"), Ok(Crs::Wgs84));
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::4326"), Ok(Crs::Wgs84));
        assert_eq!(Crs::parse("EPSG:32738"), Ok(Crs::Utm { zone: 38, north: false }));
        assert_eq!(Crs::parse("32634"), Ok(Crs::Utm { zone: 34, north: true }));
        assert_eq!(Crs::parse("EPSG:32661"), Err(CrsError::Unsupported(32661)));
        assert_eq!(Crs::parse("EPSG:3857"), Ok(Crs::WebMercator));
        assert_eq!(Crs::from_epsg(102100), Ok(Crs::WebMercator));
        assert_eq!(Crs::parse("EPSG:3395"), Err(CrsError::Unsupported(3395)));
        assert!(matches!(Crs::parse("Pulkovo"), Err(CrsError::Unknown(_))));
        for code in [4326, 32601, 32660, 32701, 32760, 3857] {
            assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
        }
    }

    #[test]
    fn a_utm_polygon_comes_back_to_degrees() {
        // 38S 650008 4402724 is 39.7612345 N 46.7512345 E (GeoConvert, see coords::utm's doc test).
        let mut g = json!({"type": "Polygon", "coordinates": [[[650008.0, 4402724.0], [650108.0, 4402724.0],
            [650108.0, 4402824.0], [650008.0, 4402724.0]]]});
        Crs::Utm { zone: 38, north: true }.transform(&mut g).unwrap();
        let p = &g["coordinates"][0][0];
        assert!((p[0].as_f64().unwrap() - 46.7512345).abs() < 1e-5);
        assert!((p[1].as_f64().unwrap() - 39.7612345).abs() < 1e-5);
        let mut bad = json!({"type": "Point", "coordinates": [650008.0, 99999999.0]});
        assert!(Crs::Utm { zone: 38, north: true }.transform(&mut bad).is_err());
    }

    #[test]
    fn pseudo_mercator_inverts_exactly_and_refuses_what_is_off_the_map() {
        // The origin, the antimeridian, and the EPSG guidance note 7-2 example
        // (-100.333333° E, 24.381787° N is x = -11169055.58, y = 2800000.00).
        let m = Crs::WebMercator;
        assert_eq!(m.to_wgs84(0.0, 0.0), Ok([0.0, 0.0]));
        let [lon, _] = m.to_wgs84(20_037_508.342789244, 0.0).unwrap();
        assert!((lon - 180.0).abs() < 1e-9);
        let [lon, lat] = m.to_wgs84(-11_169_055.58, 2_800_000.00).unwrap();
        assert!((lon + 100.333333).abs() < 1e-6 && (lat - 24.381787).abs() < 1e-6, "{lon} {lat}");
        assert!(m.to_wgs84(3.0e7, 0.0).is_err());
        assert!(m.to_wgs84(f64::NAN, 0.0).is_err());
    }
}
