//! IMSMA NG's geometry, as its database keeps it, made into polygons the
//! register takes — with every defect GICHD's `geocheck` looks for found on
//! the way in, the safe repairs made and listed, and the rest refused.
//!
//! IMSMA NG has no geometry column. An object (a hazard, a hazard reduction,
//! …) links to shapes (`geospatialinfo`: a shape type, a user-visible
//! `shape_id`, an `isactive` flag), and a shape's points are `geopoint` rows
//! ordered by `pointno`. A polygon's ring is stored open (its first point is
//! not repeated); several active polygons of one object are one multipolygon;
//! inactive shapes are history, not geometry. `tests/fixtures/imsma_ng/README.md`
//! describes the structure and geocheck's checks, with their provenance.
//!
//! [`assemble`] is the whole decision, over plain values: the store's reader
//! fetches the shapes, this says what they make.
//!
//! ```
//! use safeground_core::imsma::{assemble, NgPoint, NgShape, ShapeKind, Severity};
//! use safeground_core::validate::Rules;
//! let p = |no, lon, lat| NgPoint { pointno: Some(no), lon: Some(lon), lat: Some(lat), ..Default::default() };
//! // An open ring, as NG stores it, with one point typed in twice.
//! let shape = NgShape {
//!     guid: "{A1}".into(), shape_id: Some("1".into()), kind: ShapeKind::Polygon, active: true,
//!     points: vec![p(1, 46.90, 39.90), p(2, 46.91, 39.90), p(3, 46.91, 39.90), p(4, 46.91, 39.91), p(5, 46.90, 39.91)],
//! };
//! let a = assemble(&[shape], &Rules::default());
//! assert!(a.polygons.is_some());
//! assert_eq!(a.findings.len(), 1);
//! assert_eq!(a.findings[0].severity(), Severity::Repaired);
//! assert_eq!(a.findings[0].to_string(), "shape 1, point 3: the same position as point 2; dropped");
//! ```

use crate::validate::{validate, Issue, Problem, RawPolygon, Rules};
use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use std::collections::BTreeMap;
use std::fmt;

/// A shape's type, as `imsmaenum.enumvalue` names it. geocheck builds
/// polygons of 'Polygon' shapes and treats everything but 'Polygon' and
/// 'Polyline' as points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    Polygon,
    Polyline,
    Points,
}

impl ShapeKind {
    /// The kind an `enumvalue` names (`None`: the shape has no type).
    pub fn of(enumvalue: Option<&str>) -> ShapeKind {
        match enumvalue.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("polygon") => ShapeKind::Polygon,
            Some(v) if v.eq_ignore_ascii_case("polyline") => ShapeKind::Polyline,
            _ => ShapeKind::Points,
        }
    }
}

/// One `geopoint` row. Every column may be empty in a real database.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NgPoint {
    pub pointno: Option<i64>,
    pub local_id: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `geopoint_guid`, which another point's leg may start from.
    pub guid: Option<String>,
    /// The bearing and distance the field gave it from another point.
    pub leg: Option<Leg>,
}

/// A point's position as the field walked it: a bearing and a distance
/// from another point (`frompoint_guid`, `bearing`, `distance`).
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub from: String,
    pub bearing_deg: f64,
    pub distance_m: f64,
}

/// One `geospatialinfo` row of an object, with its points.
#[derive(Debug, Clone, PartialEq)]
pub struct NgShape {
    pub guid: String,
    pub shape_id: Option<String>,
    pub kind: ShapeKind,
    /// `isactive`; a missing value counts as active.
    pub active: bool,
    pub points: Vec<NgPoint>,
}

impl NgShape {
    /// How messages name it: `shape` and its `shape_id` when it has one,
    /// else its guid.
    fn label(&self) -> String {
        match self.shape_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => format!("shape {id}"),
            None => format!("shape {}", self.guid),
        }
    }
}

/// What becomes of an object because of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Nothing changes; the finding is listed (a shape kept as history).
    Note,
    /// The object migrates as found, and the finding is listed for review.
    Warning,
    /// A safe repair was made; the object migrates repaired.
    Repaired,
    /// The object is not migrated until the source is corrected.
    Refused,
}

/// What was found in an object's shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Defect {
    /// An inactive shape: history in NG, not the object's geometry.
    Inactive,
    /// A polyline or a set of points beside the polygons, not migrated as geometry.
    NotAPolygon { kind: ShapeKind },
    /// The object has no active polygon.
    NoPolygon,
    /// An exported feature's geometry that cannot be decoded.
    Unreadable { detail: String },
    /// An object of one position (an accident, a risk education session)
    /// with no point and no polygon.
    NoPosition,
    /// More points than the one taken as the object's position.
    OtherPoints { count: usize },
    /// No point: the centre of the object's polygon is its position.
    CentreOfPolygon,
    /// A point without a latitude, a longitude or a `pointno`.
    MissingCoordinate,
    /// Two points of one shape with the same `pointno`: their order is unknown.
    SamePointNo,
    /// The ring's first point stored again at its end (NG stores rings open).
    ClosingPointStored { first: i64 },
    /// A point at the position of the one before it.
    RepeatedPoint { previous: i64 },
    /// Two shapes of one object with the same `shape_id` (geocheck 4, 5).
    DuplicateShapeId,
    /// Two points of one shape with the same local id (geocheck 8, 9).
    DuplicatePointLocalId { local_id: String },
    /// The outline crosses itself where it meets the edge from point `edge_from`.
    Crossing { edge_from: i64 },
    /// The distance the field gave from point `from` disagrees with the
    /// positions (more than 1 m and 1 %).
    LegDistance { from: String, stated: f64, measured: f64 },
    /// The bearing the field gave from point `from` disagrees with the
    /// positions by more than 2° beyond `usual`, the offset of the object's
    /// other legs (a magnetic declination or grid convergence).
    LegBearing { from: String, stated: f64, measured: f64, usual: f64 },
    /// What the polygon checks found (geocheck 1–3, 10, 11, 14 and more).
    Polygon(Problem),
}

/// One finding, located by shape and NG point number (or, in an exported
/// layer, by part and ring and the vertex's number in it).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Where in the object: `shape 1` (NG's `shape_id`, or its guid),
    /// `part 2`, `part 2, hole 1`; `None` for the object as a whole.
    pub shape: Option<String>,
    /// The NG `pointno` (or the 1-based vertex) it is at.
    pub pointno: Option<i64>,
    pub defect: Defect,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        match &self.defect {
            Defect::Inactive | Defect::NotAPolygon { .. } | Defect::OtherPoints { .. } => Severity::Note,
            Defect::CentreOfPolygon => Severity::Warning,
            Defect::DuplicateShapeId
            | Defect::DuplicatePointLocalId { .. }
            | Defect::LegDistance { .. }
            | Defect::LegBearing { .. } => Severity::Warning,
            Defect::ClosingPointStored { .. } | Defect::RepeatedPoint { .. } => Severity::Repaired,
            Defect::Polygon(Problem::LongEdge { .. }) => Severity::Warning,
            Defect::NoPolygon
            | Defect::NoPosition
            | Defect::Unreadable { .. }
            | Defect::MissingCoordinate
            | Defect::SamePointNo
            | Defect::Crossing { .. }
            | Defect::Polygon(_) => Severity::Refused,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.shape, self.pointno) {
            (Some(s), Some(p)) => write!(f, "{s}, point {p}: ")?,
            (Some(s), None) => write!(f, "{s}: ")?,
            (None, Some(p)) => write!(f, "point {p}: ")?,
            (None, None) => {}
        }
        match &self.defect {
            Defect::Inactive => write!(f, "inactive (history in IMSMA NG); not part of the geometry"),
            Defect::NotAPolygon { kind } => {
                let k = if *kind == ShapeKind::Polyline { "a polyline" } else { "points" };
                write!(f, "{k}, not a polygon; not part of the geometry")
            }
            Defect::NoPolygon => write!(
                f,
                "no active polygon: draw the area in IMSMA (in NG, or make its polygon active) and migrate again"
            ),
            Defect::NoPosition => write!(
                f,
                "no active point or polygon: give it a position in IMSMA and migrate again"
            ),
            Defect::OtherPoints { count } => {
                write!(f, "{count} more points of the object; the first is taken as its position")
            }
            Defect::CentreOfPolygon => {
                write!(f, "no point: the centre of its polygon is taken as its position")
            }
            Defect::Unreadable { detail } => {
                write!(f, "its geometry cannot be read ({detail}); export the layer again")
            }
            Defect::MissingCoordinate => {
                write!(f, "has no latitude, longitude or point number; correct it in IMSMA NG")
            }
            Defect::SamePointNo => {
                write!(f, "two points have this point number, so their order is unknown; renumber them")
            }
            Defect::ClosingPointStored { first } => {
                write!(f, "repeats point {first}, the first; dropped (the ring closes on its own)")
            }
            Defect::RepeatedPoint { previous } => {
                write!(f, "the same position as point {previous}; dropped")
            }
            Defect::DuplicateShapeId => write!(f, "another shape of this object has the same shape id"),
            Defect::DuplicatePointLocalId { local_id } => {
                write!(f, "point local id '{local_id}' is used by another point of this shape")
            }
            Defect::LegDistance { from, stated, measured } => write!(
                f,
                "the field gave it {stated:.1} m from {from}, its position is {measured:.1} m away: check which is right"
            ),
            Defect::LegBearing { from, stated, measured, usual } => write!(
                f,
                "the field gave it a bearing of {stated:.1}° from {from}, its position lies at {measured:.1}° \
                 ({:+.1}°, where the object's other legs are {usual:+.1}° off): check which is right",
                angle(measured - stated)
            ),
            Defect::Crossing { edge_from } => {
                write!(f, "the outline crosses itself here, where it meets the edge from point {edge_from}; are the points in order?")
            }
            Defect::Polygon(problem) => {
                // The validator's own wording, without its index-based place.
                let issue = Issue { polygon: 0, ring: 0, vertex: None, at: None, problem: problem.clone() };
                let text = issue.to_string();
                write!(f, "{}", text.split_once(": ").map_or(text.as_str(), |(_, w)| w))
            }
        }
    }
}

/// What an object's shapes make.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembly {
    /// The active polygons, repaired; `None` when a finding refuses them.
    pub polygons: Option<MultiPolygon<f64>>,
    /// Everything found, in shape and point order.
    pub findings: Vec<Finding>,
}

impl Assembly {
    /// Whether a finding keeps the object out.
    pub fn refused(&self) -> bool {
        self.polygons.is_none()
    }
}

/// One active polygon's ring, open, with the `pointno` of each position.
struct Ring {
    label: String,
    coords: Vec<Coord<f64>>,
    pointnos: Vec<i64>,
}

/// Makes an object's shapes into its geometry. Rings are ordered by
/// `pointno`; a stored closing point and repeated points are dropped (safe
/// repairs); every other defect of [`crate::validate`] refuses the object,
/// except edges longer than `rules.max_edge_m`, which are listed.
pub fn assemble(shapes: &[NgShape], rules: &Rules) -> Assembly {
    let mut findings = shape_id_duplicates(shapes);
    findings.extend(legs(shapes));
    let mut rings = Vec::new();
    for shape in shapes {
        let label = Some(shape.label());
        if !shape.active {
            findings.push(Finding { shape: label, pointno: None, defect: Defect::Inactive });
        } else if shape.kind != ShapeKind::Polygon {
            findings.push(Finding {
                shape: label,
                pointno: None,
                defect: Defect::NotAPolygon { kind: shape.kind },
            });
        } else if let Some(ring) = ring_of(shape, &mut findings) {
            rings.push(ring);
        }
    }
    let refused = |f: &[Finding]| f.iter().any(|f| f.severity() == Severity::Refused);
    if rings.is_empty() && !refused(&findings) {
        findings.push(Finding { shape: None, pointno: None, defect: Defect::NoPolygon });
    }
    if !rings.is_empty() && !refused(&findings) {
        let raw: Vec<RawPolygon> = rings.iter().map(|r| vec![closed(&r.coords)]).collect();
        for issue in validate(&raw, rules) {
            let ring = &rings[issue.polygon.min(rings.len() - 1)];
            let number = |v: usize| ring.pointnos[v % ring.pointnos.len()];
            let defect = match issue.problem {
                // Rings of one shape each: the other edge is in the same ring.
                Problem::SelfIntersection { other_edge, .. } => {
                    Defect::Crossing { edge_from: number(other_edge) }
                }
                problem => Defect::Polygon(problem),
            };
            findings.push(Finding {
                shape: Some(ring.label.clone()),
                pointno: issue.vertex.map(number),
                defect,
            });
        }
    }
    let polygons = (!refused(&findings)).then(|| {
        MultiPolygon(rings.iter().map(|r| Polygon::new(LineString(closed(&r.coords)), vec![])).collect())
    });
    Assembly { polygons, findings }
}

/// Checks a feature's geometry as an exported layer holds it (IMSMA Core's
/// feature layers, read from a GeoPackage): polygons with their holes,
/// rings closed. The same defects are found as in NG's shapes, located by
/// part (`part 2`, `part 2, hole 1`) and the vertex's 1-based number in its
/// ring; a position repeating the one before is dropped (a safe repair);
/// a line or points are not a polygon.
///
/// ```
/// use geo::{polygon, Geometry};
/// use safeground_core::imsma::{check_feature, Severity};
/// use safeground_core::validate::Rules;
/// let p = polygon![(x: 46.90, y: 39.90), (x: 46.91, y: 39.90), (x: 46.91, y: 39.90), (x: 46.91, y: 39.91)];
/// let a = check_feature(Some(&Geometry::Polygon(p)), &Rules::default());
/// assert_eq!(a.polygons.map(|mp| mp.0[0].exterior().0.len()), Some(4));
/// assert_eq!(a.findings[0].to_string(), "part 1, point 3: the same position as point 2; dropped");
/// assert_eq!(a.findings[0].severity(), Severity::Repaired);
/// ```
pub fn check_feature(geometry: Option<&Geometry<f64>>, rules: &Rules) -> Assembly {
    let mut findings = vec![];
    let mut parts: Vec<&Polygon<f64>> = vec![];
    let members: Vec<&Geometry<f64>> = match geometry {
        Some(Geometry::GeometryCollection(c)) => c.iter().collect(),
        Some(g) => vec![g],
        None => vec![],
    };
    for g in members {
        match g {
            Geometry::Polygon(p) => parts.push(p),
            Geometry::MultiPolygon(mp) => parts.extend(mp.iter()),
            Geometry::LineString(_) | Geometry::MultiLineString(_) | Geometry::Line(_) => {
                let defect = Defect::NotAPolygon { kind: ShapeKind::Polyline };
                findings.push(Finding { shape: None, pointno: None, defect });
            }
            _ => {
                let defect = Defect::NotAPolygon { kind: ShapeKind::Points };
                findings.push(Finding { shape: None, pointno: None, defect });
            }
        }
    }
    check_parts(&parts, findings, rules)
}

/// The rings of a feature's polygons, without repeated positions, checked.
fn check_parts(parts: &[&Polygon<f64>], mut findings: Vec<Finding>, rules: &Rules) -> Assembly {
    let label = |part: usize, ring: usize| match ring {
        0 => format!("part {}", part + 1),
        hole => format!("part {}, hole {hole}", part + 1),
    };
    // Each ring's positions and the 1-based number each had in the file.
    let mut raw: Vec<RawPolygon> = Vec::with_capacity(parts.len());
    let mut numbers: Vec<Vec<Vec<i64>>> = Vec::with_capacity(parts.len());
    for (i, polygon) in parts.iter().enumerate() {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        let (mut kept, mut numbered) = (vec![], vec![]);
        for (r, ring) in rings.enumerate() {
            let (mut coords, mut nos): (Vec<Coord<f64>>, Vec<i64>) = (vec![], vec![]);
            for (v, c) in ring.0.iter().enumerate() {
                let no = v as i64 + 1;
                if let (Some(last), Some(prev)) = (coords.last(), nos.last()) {
                    if last == c {
                        findings.push(Finding {
                            shape: Some(label(i, r)),
                            pointno: Some(no),
                            defect: Defect::RepeatedPoint { previous: *prev },
                        });
                        continue;
                    }
                }
                coords.push(*c);
                nos.push(no);
            }
            kept.push(coords);
            numbered.push(nos);
        }
        raw.push(kept);
        numbers.push(numbered);
    }
    if raw.is_empty() {
        findings.push(Finding { shape: None, pointno: None, defect: Defect::NoPolygon });
    } else {
        for issue in validate(&raw, rules) {
            let nos = numbers.get(issue.polygon).and_then(|p| p.get(issue.ring));
            let number = |v: usize| nos.filter(|n| !n.is_empty()).map_or(v as i64 + 1, |n| n[v % n.len()]);
            let defect = match issue.problem {
                Problem::SelfIntersection { other_ring, other_edge } if other_ring == issue.ring => {
                    Defect::Crossing { edge_from: number(other_edge) }
                }
                problem => Defect::Polygon(problem),
            };
            findings.push(Finding {
                shape: Some(label(issue.polygon, issue.ring)),
                pointno: issue.vertex.map(number),
                defect,
            });
        }
    }
    let refused = findings.iter().any(|f| f.severity() == Severity::Refused);
    let polygons = (!refused).then(|| {
        MultiPolygon(
            raw.into_iter()
                .map(|mut rings| {
                    let shell = LineString(rings.remove(0));
                    Polygon::new(shell, rings.into_iter().map(LineString).collect())
                })
                .collect(),
        )
    });
    Assembly { polygons, findings }
}

/// Where an object of one position is (an accident, a risk education
/// session), with what was found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Longitude and latitude; `None` when a finding refuses the object.
    pub point: Option<Coord<f64>>,
    pub findings: Vec<Finding>,
}

/// The position of an NG object that has one: the first point (by
/// `pointno`) of its first active point shape; without one, the centre of
/// its active polygons (a warning); a point without coordinates, or beyond
/// ±180/±90, refuses it.
///
/// ```
/// use safeground_core::imsma::{locate, NgPoint, NgShape, ShapeKind};
/// use safeground_core::validate::Rules;
/// let p = |no, lon, lat| NgPoint { pointno: Some(no), lon: Some(lon), lat: Some(lat), ..Default::default() };
/// let shape = NgShape {
///     guid: "{A1}".into(), shape_id: Some("1".into()), kind: ShapeKind::Points, active: true,
///     points: vec![p(2, 46.91, 39.91), p(1, 46.90, 39.90)],
/// };
/// let at = locate(&[shape], &Rules::default());
/// assert_eq!(at.point.map(|c| (c.x, c.y)), Some((46.90, 39.90)));
/// assert_eq!(at.findings[0].to_string(), "1 more points of the object; the first is taken as its position");
/// ```
pub fn locate(shapes: &[NgShape], rules: &Rules) -> Position {
    let mut findings = vec![];
    if shapes.iter().any(|s| s.kind == ShapeKind::Points) {
        findings.extend(legs(shapes));
    }
    let mut points = vec![];
    for shape in shapes.iter().filter(|s| s.kind == ShapeKind::Points) {
        if !shape.active {
            findings.push(Finding { shape: Some(shape.label()), pointno: None, defect: Defect::Inactive });
            continue;
        }
        let mut sorted: Vec<&NgPoint> = shape.points.iter().collect();
        sorted.sort_by_key(|p| p.pointno);
        for p in sorted {
            let at = |defect| Finding { shape: Some(shape.label()), pointno: p.pointno, defect };
            match (p.lon, p.lat) {
                (Some(x), Some(y)) if x.abs() <= 180.0 && y.abs() <= 90.0 => points.push(Coord { x, y }),
                (Some(_), Some(_)) => findings.push(at(Defect::Polygon(Problem::OutOfRange))),
                _ => findings.push(at(Defect::MissingCoordinate)),
            }
        }
    }
    if let Some(first) = points.first() {
        if points.len() > 1 {
            let defect = Defect::OtherPoints { count: points.len() - 1 };
            findings.push(Finding { shape: None, pointno: None, defect });
        }
        return decided(Some(*first), findings);
    }
    let polygons: Vec<NgShape> = shapes.iter().filter(|s| s.kind != ShapeKind::Points).cloned().collect();
    centre_of(assemble(&polygons, rules), findings)
}

/// [`locate`] for an exported feature: its point (the first of a
/// multipoint), else the centre of its polygons.
pub fn locate_feature(geometry: Option<&Geometry<f64>>, rules: &Rules) -> Position {
    let first = match geometry {
        Some(Geometry::Point(p)) => Some((p.0, 0)),
        Some(Geometry::MultiPoint(mp)) => mp.0.first().map(|p| (p.0, mp.0.len() - 1)),
        _ => None,
    };
    match first {
        Some((c, others)) => {
            let mut findings = vec![];
            if others > 0 {
                findings.push(Finding {
                    shape: None,
                    pointno: None,
                    defect: Defect::OtherPoints { count: others },
                });
            }
            if !(c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
                findings.push(Finding {
                    shape: None,
                    pointno: Some(1),
                    defect: Defect::Polygon(Problem::OutOfRange),
                });
            }
            decided(Some(c), findings)
        }
        None => centre_of(check_feature(geometry, rules), vec![]),
    }
}

/// The centre of an object's polygons as its position (a warning), or no
/// position when it has none.
fn centre_of(assembly: Assembly, mut findings: Vec<Finding>) -> Position {
    use geo::Centroid;
    let had_polygon = !assembly.findings.iter().any(|f| f.defect == Defect::NoPolygon);
    findings.extend(assembly.findings.into_iter().filter(|f| f.defect != Defect::NoPolygon));
    if !had_polygon {
        findings.retain(|f| !matches!(f.defect, Defect::NotAPolygon { .. }));
        findings.push(Finding { shape: None, pointno: None, defect: Defect::NoPosition });
        return decided(None, findings);
    }
    let centre = assembly.polygons.as_ref().and_then(|mp| mp.centroid()).map(|p| p.0);
    if centre.is_some() {
        findings.push(Finding { shape: None, pointno: None, defect: Defect::CentreOfPolygon });
    }
    decided(centre, findings)
}

/// A position unless a finding refuses it.
fn decided(point: Option<Coord<f64>>, findings: Vec<Finding>) -> Position {
    let refused = findings.iter().any(|f| f.severity() == Severity::Refused);
    Position { point: point.filter(|_| !refused), findings }
}

/// An angle in (-180°, 180°].
fn angle(deg: f64) -> f64 {
    let a = deg.rem_euclid(360.0);
    if a > 180.0 {
        a - 360.0
    } else {
        a
    }
}

/// The legs the field walked (bearing and distance from another point of
/// the object) checked against the points' positions on the ellipsoid: a
/// distance off by more than 1 m and 1 %, or a bearing off by more than 2°
/// beyond the offset the object's legs share (their median: a magnetic
/// declination or grid convergence the field did not correct), is a warning.
/// geocheck reads these columns but never compares them.
fn legs(shapes: &[NgShape]) -> Vec<Finding> {
    use geographiclib_rs::InverseGeodesic;
    let mut by_guid = std::collections::HashMap::new();
    for s in shapes {
        for p in &s.points {
            if let (Some(g), Some(x), Some(y)) = (&p.guid, p.lon, p.lat) {
                let name = p.pointno.map_or(s.label(), |n| format!("{}, point {n}", s.label()));
                by_guid.insert(g.trim().to_string(), (x, y, name));
            }
        }
    }
    // (where, from, stated bearing, measured azimuth).
    let mut bearings = vec![];
    let mut findings = vec![];
    for s in shapes {
        for p in &s.points {
            let (Some(leg), Some(x), Some(y)) = (&p.leg, p.lon, p.lat) else { continue };
            let Some((x0, y0, from)) = by_guid.get(leg.from.trim()) else { continue };
            if !(leg.distance_m > 0.0 && leg.distance_m.is_finite() && leg.bearing_deg.is_finite()) {
                continue;
            }
            let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = crate::area::wgs84().inverse(*y0, *x0, y, x);
            let at = |defect| Finding { shape: Some(s.label()), pointno: p.pointno, defect };
            if (s12 - leg.distance_m).abs() > 1.0_f64.max(0.01 * leg.distance_m) {
                findings.push(at(Defect::LegDistance {
                    from: from.clone(),
                    stated: leg.distance_m,
                    measured: s12,
                }));
            } else if s12 > 1.0 {
                bearings.push((at, from.clone(), leg.bearing_deg, azi1.rem_euclid(360.0)));
            }
        }
    }
    let mut offsets: Vec<f64> = bearings.iter().map(|(_, _, b, m)| angle(m - b)).collect();
    offsets.sort_by(f64::total_cmp);
    let Some(usual) = offsets.get(offsets.len() / 2).copied() else { return findings };
    for (at, from, stated, measured) in bearings {
        if angle(angle(measured - stated) - usual).abs() > 2.0 {
            findings.push(at(Defect::LegBearing { from, stated, measured, usual }));
        }
    }
    findings
}

fn closed(open: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut ring = open.to_vec();
    if let Some(first) = open.first() {
        ring.push(*first);
    }
    ring
}

/// geocheck's duplicate shape ids: polygons and polylines of one object
/// sharing a `shape_id`, compared trimmed.
fn shape_id_duplicates(shapes: &[NgShape]) -> Vec<Finding> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in shapes.iter().filter(|s| s.kind != ShapeKind::Points) {
        if let Some(id) = s.shape_id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            *seen.entry(id.to_string()).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| Finding {
            shape: Some(format!("shape {id}")),
            pointno: None,
            defect: Defect::DuplicateShapeId,
        })
        .collect()
}

/// A polygon shape's ring in `pointno` order, without a stored closing
/// point or repeated points; `None` (with the findings) when a point has
/// no position or two share a number.
fn ring_of(shape: &NgShape, findings: &mut Vec<Finding>) -> Option<Ring> {
    let label = shape.label();
    let at = |pointno, defect| Finding { shape: Some(label.clone()), pointno, defect };
    let mut points: Vec<(i64, Coord<f64>, Option<&str>)> = Vec::with_capacity(shape.points.len());
    let mut whole = true;
    for p in &shape.points {
        match (p.pointno, p.lon, p.lat) {
            (Some(no), Some(x), Some(y)) => points.push((no, Coord { x, y }, p.local_id.as_deref())),
            (no, _, _) => {
                findings.push(at(no, Defect::MissingCoordinate));
                whole = false;
            }
        }
    }
    points.sort_by_key(|p| p.0);
    for pair in points.windows(2).filter(|w| w[0].0 == w[1].0) {
        findings.push(at(Some(pair[1].0), Defect::SamePointNo));
        whole = false;
    }
    let mut local_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for id in points.iter().filter_map(|p| p.2.map(str::trim)).filter(|i| !i.is_empty()) {
        *local_ids.entry(id).or_default() += 1;
    }
    for (id, _) in local_ids.into_iter().filter(|(_, n)| *n > 1) {
        findings.push(at(None, Defect::DuplicatePointLocalId { local_id: id.to_string() }));
    }
    if !whole {
        return None;
    }
    let mut ring = Ring { label: label.clone(), coords: Vec::with_capacity(points.len()), pointnos: vec![] };
    for (no, c, _) in &points {
        if let (Some(last), Some(prev)) = (ring.coords.last(), ring.pointnos.last()) {
            if last == c {
                findings.push(at(Some(*no), Defect::RepeatedPoint { previous: *prev }));
                continue;
            }
        }
        ring.coords.push(*c);
        ring.pointnos.push(*no);
    }
    if ring.coords.len() > 1 && ring.coords.first() == ring.coords.last() {
        ring.coords.pop();
        let (no, first) = (ring.pointnos.pop(), ring.pointnos[0]);
        findings.push(at(no, Defect::ClosingPointStored { first }));
    }
    Some(ring)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(no: i64, lon: f64, lat: f64) -> NgPoint {
        NgPoint { pointno: Some(no), lon: Some(lon), lat: Some(lat), ..Default::default() }
    }

    fn polygon(id: &str, points: Vec<NgPoint>) -> NgShape {
        NgShape {
            guid: format!("{{{id}}}"),
            shape_id: Some(id.into()),
            kind: ShapeKind::Polygon,
            active: true,
            points,
        }
    }

    /// A square of about 850 m near Aghdam, open, numbered from `start` in steps of 10.
    fn square(start: i64, dx: f64) -> Vec<NgPoint> {
        [(46.90, 39.90), (46.91, 39.90), (46.91, 39.91), (46.90, 39.91)]
            .iter()
            .enumerate()
            .map(|(i, (x, y))| p(start + 10 * i as i64, x + dx, *y))
            .collect()
    }

    fn defects(a: &Assembly) -> Vec<Defect> {
        a.findings.iter().map(|f| f.defect.clone()).collect()
    }

    #[test]
    fn an_open_ring_in_pointno_order_is_a_polygon() {
        let mut points = square(1, 0.0);
        points.reverse(); // rows come in any order; pointno decides
        let a = assemble(&[polygon("1", points)], &Rules::default());
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        let mp = a.polygons.unwrap();
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].exterior().0.len(), 5);
        assert_eq!(mp.0[0].exterior().0[0], Coord { x: 46.90, y: 39.90 });
    }

    #[test]
    fn a_stored_closing_point_and_repeats_are_repaired_and_listed() {
        let mut points = square(1, 0.0);
        points.push(p(41, 46.90, 39.90));
        points.insert(2, p(12, 46.91, 39.90));
        let a = assemble(&[polygon("A", points)], &Rules::default());
        assert_eq!(
            defects(&a),
            vec![Defect::RepeatedPoint { previous: 11 }, Defect::ClosingPointStored { first: 1 }]
        );
        assert_eq!(a.findings[1].pointno, Some(41));
        assert!(a.findings.iter().all(|f| f.severity() == Severity::Repaired));
        assert_eq!(a.polygons.unwrap().0[0].exterior().0.len(), 5);
    }

    #[test]
    fn several_active_polygons_are_one_multipolygon_and_inactive_ones_history() {
        let mut old = polygon("old", square(1, 0.5));
        old.active = false;
        let shapes = [polygon("1", square(1, 0.0)), polygon("2", square(1, 0.02)), old];
        let a = assemble(&shapes, &Rules::default());
        assert_eq!(a.polygons.as_ref().map(|m| m.0.len()), Some(2));
        assert_eq!(defects(&a), vec![Defect::Inactive]);
        assert_eq!(a.findings[0].severity(), Severity::Note);
        assert_eq!(
            a.findings[0].to_string(),
            "shape old: inactive (history in IMSMA NG); not part of the geometry"
        );
    }

    #[test]
    fn fewer_than_three_points_are_refused_at_the_shape() {
        let a = assemble(&[polygon("7", square(1, 0.0)[..2].to_vec())], &Rules::default());
        assert!(a.refused());
        assert_eq!(defects(&a), vec![Defect::Polygon(Problem::TooFewVertices { distinct: 2 })]);
        assert_eq!(a.findings[0].shape.as_deref(), Some("shape 7"));
    }

    #[test]
    fn points_in_the_wrong_order_cross_and_are_refused_at_their_pointno() {
        // 1, 2, 4, 3: a bow-tie.
        let pts = vec![p(1, 46.90, 39.90), p(2, 46.91, 39.90), p(3, 46.90, 39.91), p(4, 46.91, 39.91)];
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert!(a.refused());
        let crossing = a.findings.iter().find(|f| matches!(f.defect, Defect::Crossing { .. }));
        let crossing = crossing.expect("a crossing");
        assert!(matches!(crossing.pointno, Some(1..=4)), "{crossing:?}");
        assert!(crossing.to_string().starts_with("shape 1, point "), "{crossing}");
    }

    #[test]
    fn overlapping_parts_and_duplicate_shape_ids_are_found() {
        let shapes = [polygon("1", square(1, 0.0)), polygon("1", square(1, 0.005))];
        let a = assemble(&shapes, &Rules::default());
        assert!(a.refused());
        let d = defects(&a);
        assert!(d.contains(&Defect::DuplicateShapeId), "{d:?}");
        assert!(d.iter().any(|d| matches!(d, Defect::Polygon(Problem::PartsOverlap { .. }))), "{d:?}");
    }

    #[test]
    fn a_missing_coordinate_or_shared_pointno_refuses_without_guessing() {
        let mut pts = square(1, 0.0);
        pts[1].lat = None;
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert_eq!(defects(&a), vec![Defect::MissingCoordinate]);
        assert_eq!(a.findings[0].pointno, Some(11));
        let mut pts = square(1, 0.0);
        pts[2].pointno = Some(11);
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert_eq!(defects(&a), vec![Defect::SamePointNo]);
    }

    #[test]
    fn a_long_edge_is_a_warning_and_a_spike_a_refusal() {
        // 0.1° of longitude is about 8.5 km here: beyond geocheck's 5 km.
        let pts = vec![p(1, 46.90, 39.90), p(2, 47.00, 39.90), p(3, 47.00, 39.91), p(4, 46.90, 39.91)];
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert!(!a.refused());
        assert!(a.findings.iter().all(|f| f.severity() == Severity::Warning), "{:?}", a.findings);
        assert_eq!(a.findings.len(), 2);
        let pts = vec![
            p(1, 46.90, 39.90),
            p(2, 46.91, 39.90),
            p(3, 46.95, 39.900025),
            p(4, 46.91, 39.90005),
            p(5, 46.90, 39.91),
        ];
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert!(a.refused());
        assert!(
            a.findings
                .iter()
                .any(|f| matches!(f.defect, Defect::Polygon(Problem::Spike { .. })) && f.pointno == Some(3)),
            "{:?}",
            a.findings
        );
    }

    #[test]
    fn an_object_with_only_points_has_no_polygon() {
        let pts = NgShape {
            guid: "g".into(),
            shape_id: None,
            kind: ShapeKind::of(Some("Point")),
            active: true,
            points: square(1, 0.0),
        };
        let a = assemble(&[pts], &Rules::default());
        assert!(a.refused());
        assert_eq!(defects(&a), vec![Defect::NotAPolygon { kind: ShapeKind::Points }, Defect::NoPolygon]);
        assert!(a.findings[1].to_string().starts_with("no active polygon"));
        assert!(assemble(&[], &Rules::default()).refused());
    }

    #[test]
    fn duplicate_point_local_ids_are_listed() {
        let mut pts = square(1, 0.0);
        pts[0].local_id = Some("TP1".into());
        pts[2].local_id = Some(" TP1 ".into());
        let a = assemble(&[polygon("1", pts)], &Rules::default());
        assert!(!a.refused());
        assert_eq!(defects(&a), vec![Defect::DuplicatePointLocalId { local_id: "TP1".into() }]);
    }

    /// A feature polygon from (lon, lat) rings, the first the shell.
    fn feature(rings: &[&[(f64, f64)]]) -> Geometry<f64> {
        let ls = |r: &[(f64, f64)]| LineString::from(r.to_vec());
        Geometry::Polygon(Polygon::new(ls(rings[0]), rings[1..].iter().map(|r| ls(r)).collect()))
    }

    const SHELL: &[(f64, f64)] =
        &[(46.90, 39.90), (46.92, 39.90), (46.92, 39.92), (46.90, 39.92), (46.90, 39.90)];
    const HOLE: &[(f64, f64)] =
        &[(46.905, 39.905), (46.905, 39.91), (46.91, 39.91), (46.91, 39.905), (46.905, 39.905)];

    #[test]
    fn a_feature_keeps_its_holes_and_drops_repeated_positions_by_their_number() {
        let mut hole = HOLE.to_vec();
        hole.insert(2, hole[1]);
        let a = check_feature(Some(&feature(&[SHELL, &hole])), &Rules::default());
        let mp = a.polygons.as_ref().unwrap();
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[0].interiors()[0].0.len(), 5);
        assert_eq!(defects(&a), vec![Defect::RepeatedPoint { previous: 2 }]);
        assert_eq!(
            a.findings[0].to_string(),
            "part 1, hole 1, point 3: the same position as point 2; dropped"
        );
    }

    #[test]
    fn a_feature_crossing_itself_is_refused_at_its_vertex_numbers() {
        // A bow tie: the edge from vertex 1 crosses the edge from vertex 3.
        let bow = [(46.90, 39.90), (46.92, 39.92), (46.92, 39.90), (46.90, 39.92), (46.90, 39.90)];
        let a = check_feature(Some(&feature(&[&bow])), &Rules::default());
        assert!(a.refused());
        let crossing = a.findings.iter().find(|f| matches!(f.defect, Defect::Crossing { .. })).unwrap();
        assert_eq!(crossing.shape.as_deref(), Some("part 1"));
        assert!(matches!(crossing.defect, Defect::Crossing { edge_from: 1 | 3 }), "{crossing:?}");
    }

    #[test]
    fn overlapping_parts_a_line_and_nothing_at_all_are_refused() {
        let both = Geometry::MultiPolygon(MultiPolygon(vec![
            Polygon::new(LineString::from(SHELL.to_vec()), vec![]),
            Polygon::new(LineString::from(HOLE.to_vec()), vec![]),
        ]));
        let a = check_feature(Some(&both), &Rules::default());
        assert!(a.refused());
        assert!(a.findings.iter().any(|f| f.shape.as_deref() == Some("part 2")
            && matches!(f.defect, Defect::Polygon(Problem::PartsOverlap { other_polygon: 0 }))));
        let line = Geometry::LineString(LineString::from(SHELL.to_vec()));
        let a = check_feature(Some(&line), &Rules::default());
        assert_eq!(defects(&a), vec![Defect::NotAPolygon { kind: ShapeKind::Polyline }, Defect::NoPolygon]);
        assert_eq!(defects(&check_feature(None, &Rules::default())), vec![Defect::NoPolygon]);
    }

    #[test]
    fn a_spike_in_a_feature_is_refused_and_a_long_edge_listed() {
        let spike = [
            (46.90, 39.90),
            (46.92, 39.90),
            (46.94, 39.9001),
            (46.92, 39.90002),
            (46.92, 39.92),
            (46.90, 39.90),
        ];
        let a = check_feature(Some(&feature(&[&spike])), &Rules::default());
        assert!(a.refused(), "{:?}", a.findings);
        assert!(a.findings.iter().any(|f| matches!(f.defect, Defect::Polygon(Problem::Spike { .. }))));
        let wide = [(46.0, 39.90), (46.2, 39.90), (46.2, 39.92), (46.0, 39.90)];
        let a = check_feature(Some(&feature(&[&wide])), &Rules::default());
        assert!(!a.refused());
        assert!(a.findings.iter().all(|f| f.severity() == Severity::Warning), "{:?}", a.findings);
    }

    #[test]
    fn a_point_object_is_at_its_first_point_or_the_centre_of_its_polygon() {
        let mut pts = polygon("P", square(1, 0.0));
        pts.kind = ShapeKind::Points;
        let a = locate(&[pts.clone()], &Rules::default());
        assert_eq!(a.point, Some(Coord { x: 46.9, y: 39.9 }));
        assert_eq!(defects_of(&a.findings), vec![Defect::OtherPoints { count: 3 }]);
        // A polygon only: its centre, with a warning.
        let a = locate(&[polygon("1", square(1, 0.0))], &Rules::default());
        let c = a.point.unwrap();
        assert!((c.x - 46.905).abs() < 1e-9 && (c.y - 39.905).abs() < 1e-9, "{c:?}");
        assert_eq!(defects_of(&a.findings), vec![Defect::CentreOfPolygon]);
        assert_eq!(a.findings[0].severity(), Severity::Warning);
        // Nothing active: refused.
        let mut old = pts.clone();
        old.active = false;
        let a = locate(&[old], &Rules::default());
        assert_eq!(a.point, None);
        assert_eq!(defects_of(&a.findings), vec![Defect::Inactive, Defect::NoPosition]);
        // A point without a latitude refuses rather than picking another.
        pts.points[2].lat = None;
        let a = locate(&[pts], &Rules::default());
        assert_eq!(a.point, None);
        assert!(a.findings.iter().any(|f| f.defect == Defect::MissingCoordinate && f.pointno == Some(21)));
    }

    #[test]
    fn a_feature_point_is_its_position_and_a_line_is_none() {
        let p = Geometry::Point(geo::Point::new(46.9, 39.9));
        assert_eq!(locate_feature(Some(&p), &Rules::default()).point, Some(Coord { x: 46.9, y: 39.9 }));
        let far = Geometry::Point(geo::Point::new(4_690_000.0, 39.9));
        assert_eq!(locate_feature(Some(&far), &Rules::default()).point, None);
        let line = Geometry::LineString(LineString::from(SHELL.to_vec()));
        let a = locate_feature(Some(&line), &Rules::default());
        assert_eq!((a.point, defects_of(&a.findings)), (None, vec![Defect::NoPosition]));
        assert_eq!(defects_of(&locate_feature(None, &Rules::default()).findings), vec![Defect::NoPosition]);
        let a = locate_feature(Some(&feature(&[SHELL])), &Rules::default());
        assert!(a.point.is_some() && defects_of(&a.findings) == vec![Defect::CentreOfPolygon]);
    }

    fn defects_of(findings: &[Finding]) -> Vec<Defect> {
        findings.iter().map(|f| f.defect.clone()).collect()
    }

    /// A point `metres` along `azimuth` from (lon, lat), on the ellipsoid.
    fn walk(from: (f64, f64), azimuth: f64, metres: f64) -> (f64, f64) {
        use geographiclib_rs::DirectGeodesic;
        let (lat, lon): (f64, f64) = crate::area::wgs84().direct(from.1, from.0, azimuth, metres);
        (lon, lat)
    }

    #[test]
    fn legs_that_disagree_with_the_positions_are_listed_and_a_shared_declination_is_not() {
        // A benchmark, then four turning points walked from it with bearings 6° off true
        // (a magnetic declination), the third leg's distance typed 100 m for 10 m
        // and the fourth's bearing 10° wrong.
        let bm = (46.90, 39.90);
        let mut points = vec![];
        let legs = [
            (45.0, 120.0, 120.0, 45.0),
            (135.0, 80.0, 80.0, 135.0),
            (225.0, 10.0, 100.0, 225.0),
            (315.0, 60.0, 60.0, 325.0),
        ];
        for (i, (true_az, metres, stated_m, stated_az)) in legs.iter().enumerate() {
            let (x, y) = walk(bm, *true_az, *metres);
            points.push(NgPoint {
                pointno: Some(i as i64 + 1),
                lon: Some(x),
                lat: Some(y),
                guid: Some(format!("TP{i}")),
                leg: Some(Leg { from: "BM".into(), bearing_deg: stated_az - 6.0, distance_m: *stated_m }),
                ..Default::default()
            });
        }
        let benchmark = NgPoint {
            pointno: Some(1),
            lon: Some(bm.0),
            lat: Some(bm.1),
            guid: Some("BM".into()),
            ..Default::default()
        };
        let bm_shape = NgShape {
            guid: "{B}".into(),
            shape_id: Some("BM".into()),
            kind: ShapeKind::Points,
            active: true,
            points: vec![benchmark],
        };
        let a = assemble(&[polygon("1", points), bm_shape], &Rules::default());
        assert!(!a.refused(), "{:?}", a.findings);
        let legs: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| matches!(f.defect, Defect::LegDistance { .. } | Defect::LegBearing { .. }))
            .collect();
        assert_eq!(legs.len(), 2, "{legs:?}");
        assert!(
            matches!(legs[0].defect, Defect::LegDistance { stated: 100.0, .. }) && legs[0].pointno == Some(3)
        );
        assert_eq!(legs[0].severity(), Severity::Warning);
        let text = legs[1].to_string();
        assert!(
            text.starts_with(
                "shape 1, point 4: the field gave it a bearing of 319.0° from shape BM, point 1"
            ),
            "{text}"
        );
        assert!(text.contains("(-4.0°, where the object's other legs are +6.0° off)"), "{text}");
    }
}
