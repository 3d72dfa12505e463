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
//! let p = |no, lon, lat| NgPoint { pointno: Some(no), local_id: None, lon: Some(lon), lat: Some(lat) };
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
use geo::{Coord, LineString, MultiPolygon, Polygon};
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
#[derive(Debug, Clone, PartialEq)]
pub struct NgPoint {
    pub pointno: Option<i64>,
    pub local_id: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
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
    /// How messages name it: its `shape_id` when it has one, else its guid.
    fn label(&self) -> String {
        match self.shape_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => self.guid.clone(),
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
    /// What the polygon checks found (geocheck 1–3, 10, 11, 14 and more).
    Polygon(Problem),
}

/// One finding, located by shape and NG point number.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The shape's `shape_id` (or guid); `None` for the object as a whole.
    pub shape: Option<String>,
    /// The NG `pointno` it is at.
    pub pointno: Option<i64>,
    pub defect: Defect,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        match &self.defect {
            Defect::Inactive | Defect::NotAPolygon { .. } => Severity::Note,
            Defect::DuplicateShapeId | Defect::DuplicatePointLocalId { .. } => Severity::Warning,
            Defect::ClosingPointStored { .. } | Defect::RepeatedPoint { .. } => Severity::Repaired,
            Defect::Polygon(Problem::LongEdge { .. }) => Severity::Warning,
            Defect::NoPolygon
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
            (Some(s), Some(p)) => write!(f, "shape {s}, point {p}: ")?,
            (Some(s), None) => write!(f, "shape {s}: ")?,
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
                "no active polygon: draw the area in IMSMA NG (or make its polygon active) and migrate again"
            ),
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
        .map(|(id, _)| Finding { shape: Some(id), pointno: None, defect: Defect::DuplicateShapeId })
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
        NgPoint { pointno: Some(no), local_id: None, lon: Some(lon), lat: Some(lat) }
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
        assert_eq!(a.findings[0].shape.as_deref(), Some("7"));
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
}
