//! Real places: Azerbaijan's districts, settlements and outline, shipped in
//! `data/` (see data/README.md for sources, licences and corrections).

use geo::{BoundingRect, Contains, MultiPolygon, Point, Rect};
use std::collections::BTreeMap;

const DISTRICTS: &str = include_str!("../../../data/az-districts.geojson");
const SETTLEMENTS: &str = include_str!("../../../data/az-settlements.csv");
const OUTLINE: &str = include_str!("../../../data/az-outline.geojson");

/// The districts of the territories liberated in late 2020, by their
/// (corrected) names: where the demo puts its hazards.
pub const LIBERATED: &[&str] = &[
    "Ağdam",
    "Füzuli",
    "Cəbrayıl",
    "Zəngilan",
    "Qubadli",
    "Laçın",
    "Kəlbəcər",
    "Xocavənd",
    "Şuşa",
    "Şuşa (city)",
    "Xocalı",
    "Xankəndi",
    "Tərtər",
];

/// Known errors in the Natural Earth / Highcharts district names, fixed on
/// load: (HASC, name as shipped, corrected name, English name, corrected HASC).
const CORRECTIONS: &[(&str, &str, &str, &str, &str)] = &[
    // Shipped as "Lankaran" / alt "Shusha" in the Kalbajar-Lachin region: it is Lachin.
    ("AZ.SU", "Lankaran", "Laçın", "Lachin", "AZ.LC"),
    // Shipped as "Stepanakert" / alt "Khojali": it is the city of Khankendi.
    ("AZ.XC", "Stepanakert", "Xankəndi", "Khankendi", "AZ.XA"),
    // Cities that share a name with their rayon get "(city)" so names stay unique.
    ("AZ.LA", "Lankaran", "Lənkəran (city)", "Lankaran city", "AZ.LA"),
    ("AZ.SA", "Şəki", "Şəki (city)", "Shaki city", "AZ.SA"),
    ("AZ.SS", "Şuşa", "Şuşa (city)", "Shusha city", "AZ.SS"),
    ("AZ.YE", "Yevlakh", "Yevlax (city)", "Yevlakh city", "AZ.YE"),
];

/// A district as loaded.
#[derive(Debug, Clone)]
pub struct PlaceDistrict {
    pub name: String,
    pub alt_name: Option<String>,
    pub hasc: Option<String>,
    pub region: String,
    pub boundary: MultiPolygon<f64>,
    pub bbox: Rect<f64>,
}

/// A settlement as loaded.
#[derive(Debug, Clone)]
pub struct PlaceSettlement {
    pub geonames_id: i64,
    pub name: String,
    pub alt_names: Option<String>,
    pub population: i64,
    pub location: Point<f64>,
    /// Index into [`Places::districts`].
    pub district: Option<usize>,
}

/// Everything the demo stands on.
#[derive(Debug, Clone)]
pub struct Places {
    pub districts: Vec<PlaceDistrict>,
    pub settlements: Vec<PlaceSettlement>,
    pub outline: MultiPolygon<f64>,
}

/// The shipped data is part of the binary; failing to read it is a build bug,
/// reported as such rather than a panic.
#[derive(Debug, thiserror::Error)]
#[error("the place data shipped with safeground is damaged ({0}); this is a bug in the build")]
pub struct PlacesError(String);

fn to_multipolygon(g: geojson::Geometry) -> Result<MultiPolygon<f64>, PlacesError> {
    match geo::Geometry::<f64>::try_from(g).map_err(|e| PlacesError(e.to_string()))? {
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        _ => Err(PlacesError("a district is not a polygon".into())),
    }
}

impl Places {
    /// Loads the shipped districts, settlements and outline.
    pub fn load() -> Result<Places, PlacesError> {
        let fc: geojson::FeatureCollection =
            DISTRICTS.parse().map_err(|e: geojson::Error| PlacesError(e.to_string()))?;
        let mut districts = Vec::new();
        for f in fc.features {
            let prop = |k: &str| f.property(k).and_then(|v| v.as_str()).map(str::to_string);
            let mut name = prop("name").ok_or_else(|| PlacesError("a district has no name".into()))?;
            let mut alt_name = prop("alt_name");
            let mut hasc = prop("hasc");
            let region = prop("region").unwrap_or_else(|| "(no region)".into());
            if let Some(c) = CORRECTIONS.iter().find(|c| Some(c.0) == hasc.as_deref() && c.1 == name) {
                name = c.2.to_string();
                alt_name = Some(c.3.to_string());
                hasc = Some(c.4.to_string());
            }
            let geometry =
                f.geometry.ok_or_else(|| PlacesError(format!("district {name} has no geometry")))?;
            let boundary = to_multipolygon(geometry)?;
            let bbox =
                boundary.bounding_rect().ok_or_else(|| PlacesError(format!("district {name} is empty")))?;
            districts.push(PlaceDistrict { name, alt_name, hasc, region, boundary, bbox });
        }
        let mut seen = BTreeMap::new();
        for d in &districts {
            if seen.insert(d.name.clone(), ()).is_some() {
                return Err(PlacesError(format!("two districts are named {}", d.name)));
            }
        }
        let mut settlements = Vec::new();
        let mut rdr = csv::Reader::from_reader(SETTLEMENTS.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|e| PlacesError(e.to_string()))?;
            let num = |i: usize| -> Result<f64, PlacesError> {
                rec.get(i)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| PlacesError(format!("settlement column {i}")))
            };
            let location = Point::new(num(3)?, num(2)?);
            let district =
                districts.iter().position(|d| d.bbox_contains(&location) && d.boundary.contains(&location));
            settlements.push(PlaceSettlement {
                geonames_id: num(0)? as i64,
                name: rec.get(1).unwrap_or_default().to_string(),
                alt_names: rec.get(6).filter(|s| !s.is_empty()).map(|s| s.replace('|', ", ")),
                population: num(4)? as i64,
                location,
                district,
            });
        }
        let outline: geojson::GeoJson =
            OUTLINE.parse().map_err(|e: geojson::Error| PlacesError(e.to_string()))?;
        let outline = match outline {
            geojson::GeoJson::FeatureCollection(fc) => fc
                .features
                .into_iter()
                .filter_map(|f| f.geometry)
                .map(to_multipolygon)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flat_map(|mp| mp.0)
                .collect(),
            geojson::GeoJson::Feature(f) => {
                to_multipolygon(f.geometry.ok_or_else(|| PlacesError("outline has no geometry".into()))?)?
            }
            geojson::GeoJson::Geometry(g) => to_multipolygon(g)?,
        };
        Ok(Places { districts, settlements, outline })
    }

    /// The index of the district containing a point.
    pub fn district_at(&self, p: &Point<f64>, among: &[usize]) -> Option<usize> {
        among
            .iter()
            .copied()
            .find(|&i| self.districts[i].bbox_contains(p) && self.districts[i].boundary.contains(p))
    }

    /// Indices of the liberated districts.
    pub fn liberated(&self) -> Vec<usize> {
        LIBERATED.iter().filter_map(|n| self.districts.iter().position(|d| d.name == *n)).collect()
    }
}

impl PlaceDistrict {
    fn bbox_contains(&self, p: &Point<f64>) -> bool {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        p.x() >= min.x && p.x() <= max.x && p.y() >= min.y && p.y() <= max.y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_places_load_with_corrections() {
        let p = Places::load().unwrap();
        assert_eq!(p.districts.len(), 78);
        assert_eq!(p.liberated().len(), LIBERATED.len(), "every liberated district is found by name");
        assert!(p.districts.iter().any(|d| d.name == "Laçın" && d.alt_name.as_deref() == Some("Lachin")));
        assert_eq!(p.settlements.len(), 245);
        let shusha = p.settlements.iter().find(|s| s.name == "Shusha").unwrap();
        let d = &p.districts[shusha.district.unwrap()];
        assert!(d.name.starts_with("Şuşa"), "{}", d.name);
        assert!(!p.outline.0.is_empty());
    }
}
