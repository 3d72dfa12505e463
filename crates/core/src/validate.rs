//! Validation of incoming polygons, with locations and plain messages, and
//! the safe repairs a field team leader can accept.
//!
//! IMSMA NG let anything in; the GICHD later published queries to find what
//! it had let in. These are those checks, at the door: ring not closed, fewer
//! than three distinct vertices, duplicate consecutive vertices,
//! self-intersection, spikes, holes outside their shell or overlapping each
//! other, parts of a multipolygon overlapping, zero area, turning points too
//! far apart, coordinates out of range and latitude/longitude likely swapped.
//!
//! Input is raw rings (as a GeoJSON file or a form gives them), because a
//! `geo::Polygon` closes its rings on construction and would hide the first
//! problem on the list.
//!
//! ```
//! use geo::Coord;
//! use safeground_core::validate::{validate, Problem, Rules};
//! let c = |x, y| Coord { x, y };
//! // A bow-tie: the ring crosses itself.
//! let ring = vec![c(46.90, 39.90), c(46.91, 39.91), c(46.91, 39.90), c(46.90, 39.91), c(46.90, 39.90)];
//! let issues = validate(&[vec![ring]], &Rules::default());
//! assert!(issues.iter().any(|i| matches!(i.problem, Problem::SelfIntersection { .. })));
//! ```

use crate::area::{distance, polygon_area, surely_within};
use geo::{BoundingRect, Contains, Coord, Intersects, LineString, MultiPolygon, Point, Polygon, Rect};
use std::fmt;

/// A polygon's rings as received: shell first, then holes; each a list of
/// longitude/latitude positions that should close on the first.
pub type RawPolygon = Vec<Vec<Coord<f64>>>;

/// What to check against.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Consecutive turning points further apart than this (metres) are flagged:
    /// the field standard wants intermediate points at least every 50 m, and
    /// the GICHD checks flag anything beyond 5 km.
    pub max_edge_m: f64,
    /// A vertex where the outline turns back on itself by less than this angle
    /// (degrees) is a spike.
    pub spike_angle_deg: f64,
    /// Where the programme's land is, to tell swapped axes: positions outside it
    /// whose swap falls inside are flagged.
    pub programme_area: Option<Rect<f64>>,
    /// The most positions a feature may have, all rings of all parts: a
    /// hazard walked with a GPS logging every second for an hour has 3,600;
    /// beyond the limit nothing else is checked. Bounds the time a check
    /// takes, whoever sends the polygon.
    pub max_vertices: usize,
    /// The most problems listed; past it, one line says more were found.
    pub max_issues: usize,
}

/// The default of [`Rules::max_vertices`].
pub const MAX_VERTICES: usize = 20_000;
/// The default of [`Rules::max_issues`].
pub const MAX_ISSUES: usize = 100;

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            max_edge_m: 5_000.0,
            spike_angle_deg: 0.1,
            programme_area: None,
            max_vertices: MAX_VERTICES,
            max_issues: MAX_ISSUES,
        }
    }
}

/// A problem found in a polygon.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The last position does not repeat the first.
    NotClosed { first: Coord<f64>, last: Coord<f64> },
    /// A ring has fewer than three distinct positions.
    TooFewVertices { distinct: usize },
    /// The same position twice in a row.
    DuplicateVertex,
    /// Two edges cross or overlap. `other` is the (ring, edge) crossed.
    SelfIntersection { other_ring: usize, other_edge: usize },
    /// The outline goes out and straight back.
    Spike { angle_deg: f64 },
    /// A hole is not inside its shell.
    HoleOutsideShell,
    /// Two holes of the same polygon overlap.
    HolesOverlap { other_ring: usize },
    /// Two parts of a multipolygon overlap.
    PartsOverlap { other_polygon: usize },
    /// The polygon encloses no area.
    ZeroArea,
    /// Consecutive turning points too far apart.
    LongEdge { metres: f64, limit: f64 },
    /// Longitude beyond ±180 or latitude beyond ±90, or not a number.
    OutOfRange,
    /// Every position lies outside the programme's area, and would lie inside
    /// it with latitude and longitude exchanged.
    SwappedAxes,
    /// Nothing to check: no rings at all.
    Empty,
    /// More positions than [`Rules::max_vertices`].
    TooManyVertices { count: usize, limit: usize },
    /// More problems were found than the `listed` ones before it.
    MoreProblems { listed: usize },
}

/// One problem with where it is. Indices are zero-based, as in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub polygon: usize,
    pub ring: usize,
    /// The vertex (or, for an edge, its first vertex).
    pub vertex: Option<usize>,
    pub at: Option<Coord<f64>>,
    pub problem: Problem,
}

impl Issue {
    /// Whether the polygon can still be accepted as it is (a warning) or must
    /// be corrected first (an error).
    pub fn is_error(&self) -> bool {
        !matches!(self.problem, Problem::LongEdge { .. })
    }
}

fn ring_name(ring: usize) -> String {
    if ring == 0 {
        "the outline".to_string()
    } else {
        format!("hole {ring}")
    }
}

fn pos(c: Coord<f64>) -> String {
    format!("({:.6}, {:.6})", c.x, c.y)
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let where_ = match (self.vertex, self.at) {
            (Some(v), Some(at)) => {
                format!("polygon {}, {}, point {} {}", self.polygon + 1, ring_name(self.ring), v + 1, pos(at))
            }
            (Some(v), None) => {
                format!("polygon {}, {}, point {}", self.polygon + 1, ring_name(self.ring), v + 1)
            }
            _ => format!("polygon {}, {}", self.polygon + 1, ring_name(self.ring)),
        };
        let what = match &self.problem {
            Problem::NotClosed { first, last } => format!(
                "the outline does not close: it ends at {} but starts at {}; the last point must repeat the first",
                pos(*last),
                pos(*first)
            ),
            Problem::TooFewVertices { distinct } => {
                format!("has {distinct} distinct points; a polygon needs at least 3")
            }
            Problem::DuplicateVertex => "the same point is recorded twice in a row".to_string(),
            Problem::SelfIntersection { other_ring, other_edge } => format!(
                "the outline crosses itself here, where it meets the edge from point {} of {}",
                other_edge + 1,
                ring_name(*other_ring)
            ),
            Problem::Spike { angle_deg } => format!(
                "the outline goes out and comes straight back (a spike, turning by {angle_deg:.2}°); \
                 check the bearing or the coordinates of this point"
            ),
            Problem::HoleOutsideShell => "this hole is not inside the outline".to_string(),
            Problem::HolesOverlap { other_ring } => format!("this hole overlaps {}", ring_name(*other_ring)),
            Problem::PartsOverlap { other_polygon } => {
                format!("this part overlaps part {} of the same hazard", other_polygon + 1)
            }
            Problem::ZeroArea => "the polygon encloses no area (all points on a line?)".to_string(),
            Problem::LongEdge { metres, limit } => format!(
                "the next point is {:.0} m away, more than {:.0} m: add intermediate points or check for a typing error",
                metres, limit
            ),
            Problem::OutOfRange => {
                "is not a longitude/latitude: longitude must be within ±180 and latitude within ±90".to_string()
            }
            Problem::SwappedAxes => "latitude and longitude look swapped: exchanged, the points fall \
                                     in the programme's area"
                .to_string(),
            Problem::Empty => "has no points".to_string(),
            Problem::TooManyVertices { count, limit } => format!(
                "has {count} points, more than the {limit} a feature may have: simplify it (QGIS: \
                 Vector ▸ Geometry Tools ▸ Simplify) or split it into several hazards"
            ),
            Problem::MoreProblems { listed } => {
                format!("has more problems than the {listed} listed: correct these and check again")
            }
        };
        write!(f, "{where_}: {what}")
    }
}

fn valid_coord(c: &Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0
}

/// The ring without its closing point, if it has one.
fn open_ring(ring: &[Coord<f64>]) -> &[Coord<f64>] {
    if ring.len() > 1 && ring.first() == ring.last() {
        &ring[..ring.len() - 1]
    } else {
        ring
    }
}

/// Checks polygons (each a shell and holes) and returns every problem found,
/// up to [`Rules::max_issues`] of them (then one [`Problem::MoreProblems`]).
/// A feature of more than [`Rules::max_vertices`] positions is refused
/// before anything else, so no polygon can hold a core for long: the
/// crossing test runs on an R-tree of the edges.
pub fn validate(polygons: &[RawPolygon], rules: &Rules) -> Vec<Issue> {
    validate_measured(polygons, rules).0
}

/// [`validate`], and the polygons' geodesic area in m² (the sum of
/// [`polygon_area`] over the parts, as [`crate::area::multipolygon_area`]
/// gives it) when the checks measured every part: the zero-area check
/// measures each valid part, so a caller that needs the area need not
/// measure it again. `None` when a check stopped before.
pub fn validate_measured(polygons: &[RawPolygon], rules: &Rules) -> (Vec<Issue>, Option<f64>) {
    let mut areas = Vec::with_capacity(polygons.len());
    let mut issues = check(polygons, rules, &mut areas);
    let area = (areas.len() == polygons.len() && !polygons.is_empty()).then(|| areas.iter().sum());
    if issues.len() > rules.max_issues {
        issues.truncate(rules.max_issues);
        let last = issues.last().map_or((0, 0), |i| (i.polygon, i.ring));
        issues.push(Issue {
            polygon: last.0,
            ring: last.1,
            vertex: None,
            at: None,
            problem: Problem::MoreProblems { listed: rules.max_issues },
        });
    }
    (issues, area)
}

/// The checks; `areas` gets each part's area as the zero-area check measures it.
fn check(polygons: &[RawPolygon], rules: &Rules, areas: &mut Vec<f64>) -> Vec<Issue> {
    let mut issues = Vec::new();
    let issue =
        |polygon, ring, vertex: Option<usize>, at, problem| Issue { polygon, ring, vertex, at, problem };
    if polygons.iter().all(|p| p.iter().all(|r| r.is_empty())) {
        issues.push(issue(0, 0, None, None, Problem::Empty));
        return issues;
    }
    let count: usize = polygons.iter().flatten().map(Vec::len).sum();
    if count > rules.max_vertices {
        issues.push(issue(0, 0, None, None, Problem::TooManyVertices { count, limit: rules.max_vertices }));
        return issues;
    }
    // Range first: nothing else means anything on positions that are not positions.
    let mut in_range = true;
    for (pi, p) in polygons.iter().enumerate() {
        for (ri, r) in p.iter().enumerate() {
            for (vi, c) in r.iter().enumerate() {
                if !valid_coord(c) {
                    in_range = false;
                    issues.push(issue(pi, ri, Some(vi), Some(*c), Problem::OutOfRange));
                }
            }
        }
    }
    if let Some(area) = rules.programme_area {
        let all: Vec<Coord<f64>> = polygons.iter().flatten().flatten().copied().collect();
        let inside = |c: &Coord<f64>| area.contains(&Point(*c));
        let swapped = |c: &Coord<f64>| Coord { x: c.y, y: c.x };
        if !all.is_empty() && all.iter().all(|c| !inside(c)) && all.iter().all(|c| inside(&swapped(c))) {
            issues.push(issue(0, 0, Some(0), all.first().copied(), Problem::SwappedAxes));
        }
    }
    if !in_range {
        return issues;
    }
    let mut geometric_ok = true;
    for (pi, p) in polygons.iter().enumerate() {
        for (ri, r) in p.iter().enumerate() {
            geometric_ok &= check_ring(pi, ri, r, rules, &mut issues);
        }
        if geometric_ok {
            for (ri, vi, oi, oe, at) in crossings(p, rules.max_issues + 1) {
                issues.push(issue(
                    pi,
                    ri,
                    Some(vi),
                    Some(at),
                    Problem::SelfIntersection { other_ring: oi, other_edge: oe },
                ));
            }
        }
    }
    if !geometric_ok {
        return issues;
    }
    // Holes and parts: geo's OGC validation, on closed polygons.
    let built: Vec<Polygon<f64>> = polygons.iter().map(to_polygon).collect();
    for (pi, p) in built.iter().enumerate() {
        let crossing =
            issues.iter().any(|i| i.polygon == pi && matches!(i.problem, Problem::SelfIntersection { .. }));
        for (hi, hole) in p.interiors().iter().enumerate() {
            let shell = Polygon::new(p.exterior().clone(), vec![]);
            let hole_poly = Polygon::new(hole.clone(), vec![]);
            if !crossing && !shell.contains(&hole_poly) {
                issues.push(issue(pi, hi + 1, None, hole.0.first().copied(), Problem::HoleOutsideShell));
            }
            for (hj, other) in p.interiors().iter().enumerate().skip(hi + 1) {
                let other_poly = Polygon::new(other.clone(), vec![]);
                if overlaps(&hole_poly, &other_poly) {
                    issues.push(issue(
                        pi,
                        hi + 1,
                        None,
                        hole.0.first().copied(),
                        Problem::HolesOverlap { other_ring: hj + 1 },
                    ));
                }
            }
        }
        if !crossing {
            let area = polygon_area(p);
            areas.push(area);
            if area <= 0.0 {
                issues.push(issue(pi, 0, None, p.exterior().0.first().copied(), Problem::ZeroArea));
            }
        }
        for (pj, q) in built.iter().enumerate().skip(pi + 1) {
            if overlaps(p, q) {
                issues.push(issue(
                    pj,
                    0,
                    None,
                    q.exterior().0.first().copied(),
                    Problem::PartsOverlap { other_polygon: pi },
                ));
            }
        }
    }
    issues
}

/// The checks of one ring `ri` of polygon `pi`: closure, distinct points,
/// repeated points, long edges, spikes. Whether its shape can be checked
/// further (crossings, holes, area).
fn check_ring(pi: usize, ri: usize, r: &[Coord<f64>], rules: &Rules, issues: &mut Vec<Issue>) -> bool {
    let issue =
        |polygon, ring, vertex: Option<usize>, at, problem| Issue { polygon, ring, vertex, at, problem };
    if r.is_empty() {
        issues.push(issue(pi, ri, None, None, Problem::Empty));
        return false;
    }
    if r.len() > 1 && r.first() != r.last() {
        issues.push(issue(
            pi,
            ri,
            Some(r.len() - 1),
            r.last().copied(),
            Problem::NotClosed { first: r[0], last: r[r.len() - 1] },
        ));
    }
    let ring = open_ring(r);
    let mut distinct: Vec<(u64, u64)> = ring.iter().map(|c| (c.x.to_bits(), c.y.to_bits())).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        issues.push(issue(pi, ri, None, None, Problem::TooFewVertices { distinct: distinct.len() }));
        return false;
    }
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if a == b {
            issues.push(issue(pi, ri, Some((i + 1) % n), Some(b), Problem::DuplicateVertex));
            continue;
        }
        if surely_within(a.y, a.x, b.y, b.x, rules.max_edge_m) {
            continue;
        }
        let d = distance(a.y, a.x, b.y, b.x);
        if d > rules.max_edge_m {
            issues.push(issue(
                pi,
                ri,
                Some(i),
                Some(a),
                Problem::LongEdge { metres: d, limit: rules.max_edge_m },
            ));
        }
    }
    // Spikes, on the ring without repeated points.
    let mut clean: Vec<(usize, Coord<f64>)> = Vec::with_capacity(n);
    for (i, c) in ring.iter().enumerate() {
        if clean.last().is_none_or(|(_, l)| l != c) {
            clean.push((i, *c));
        }
    }
    if clean.len() > 1 && clean.first().map(|x| x.1) == clean.last().map(|x| x.1) {
        clean.pop();
    }
    let m = clean.len();
    for k in 0..m {
        let (_, prev) = clean[(k + m - 1) % m];
        let (i, v) = clean[k];
        let (_, next) = clean[(k + 1) % m];
        let angle = turn_angle(prev, v, next);
        if angle < rules.spike_angle_deg {
            issues.push(issue(pi, ri, Some(i), Some(v), Problem::Spike { angle_deg: angle }));
        }
    }
    true
}

/// Whether two polygons share interior (not only a boundary).
fn overlaps(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    use geo::BooleanOps;
    let boxes = a.bounding_rect().zip(b.bounding_rect());
    if boxes.is_none_or(|(x, y)| !x.intersects(&y)) || !a.intersects(b) {
        return false;
    }
    let inter = a.intersection(b);
    inter.0.iter().any(|p| polygon_area(p) > 1e-6)
}

fn to_polygon(p: &RawPolygon) -> Polygon<f64> {
    let mut rings = p.iter().map(|r| LineString(r.clone()));
    let shell = rings.next().unwrap_or_else(|| LineString(vec![]));
    Polygon::new(shell, rings.collect())
}

/// The angle (degrees, 0–180) between the edges into and out of `v`, in a
/// local metric (longitude scaled by the cosine of the latitude): 0 is a
/// complete reversal.
fn turn_angle(prev: Coord<f64>, v: Coord<f64>, next: Coord<f64>) -> f64 {
    let k = v.y.to_radians().cos();
    let (ax, ay) = ((prev.x - v.x) * k, prev.y - v.y);
    let (bx, by) = ((next.x - v.x) * k, next.y - v.y);
    let (na, nb) = (ax.hypot(ay), bx.hypot(by));
    if na == 0.0 || nb == 0.0 {
        return 180.0;
    }
    let cos = ((ax * bx + ay * by) / (na * nb)).clamp(-1.0, 1.0);
    cos.acos().to_degrees()
}

/// Pairs of edges of a polygon's rings that cross or overlap, other than
/// neighbours meeting at their shared vertex: (ring, edge, other ring, other
/// edge, where), at most `limit` of them. Each edge asks an R-tree of the
/// edges' boxes for the ones it may meet, so a ring that zigzags across
/// itself costs `n log n`, not `n²` (a sweep along one axis does not help
/// when every edge spans it).
fn crossings(p: &RawPolygon, limit: usize) -> Vec<(usize, usize, usize, usize, Coord<f64>)> {
    use geo::line_intersection::{line_intersection, LineIntersection};
    use geo::Line;
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::RTree;
    struct Seg {
        ring: usize,
        /// Index in the ring as received of the edge's first vertex.
        edge: usize,
        /// Position among the ring's distinct consecutive vertices.
        pos: usize,
        n: usize,
        line: Line<f64>,
    }
    let mut segs = Vec::new();
    for (ri, r) in p.iter().enumerate() {
        // Without repeated points (reported on their own), keeping each
        // vertex's index in the ring as received.
        let mut ring: Vec<(usize, Coord<f64>)> = Vec::new();
        for (i, c) in open_ring(r).iter().enumerate() {
            if ring.last().is_none_or(|(_, l)| l != c) {
                ring.push((i, *c));
            }
        }
        if ring.len() > 1 && ring.first().map(|x| x.1) == ring.last().map(|x| x.1) {
            ring.pop();
        }
        let n = ring.len();
        for k in 0..n {
            let ((i, a), (_, b)) = (ring[k], ring[(k + 1) % n]);
            segs.push(Seg { ring: ri, edge: i, pos: k, n, line: Line::new(a, b) });
        }
    }
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (a, b) = (s.line.start, s.line.end);
            GeomWithData::new(Rectangle::from_corners([a.x, a.y], [b.x, b.y]), i)
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let (a, b) = (s.line.start, s.line.end);
        let envelope = rstar::AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        let mut near: Vec<usize> =
            tree.locate_in_envelope_intersecting(&envelope).map(|g| g.data).filter(|&j| j > i).collect();
        near.sort_unstable();
        for j in near {
            let t = &segs[j];
            let Some(x) = line_intersection(s.line, t.line) else { continue };
            let adjacent = s.ring == t.ring && ((s.pos + 1) % s.n == t.pos || (t.pos + 1) % t.n == s.pos);
            let at = match x {
                // Rings of one polygon may touch at a point (OGC allows it
                // between shell and hole); a ring may not touch itself.
                LineIntersection::SinglePoint { intersection, is_proper } => {
                    if !(is_proper || (!adjacent && s.ring == t.ring)) {
                        continue;
                    }
                    intersection
                }
                LineIntersection::Collinear { intersection } => intersection.start,
            };
            // Segments are in ring order, so `s` comes first.
            out.push((s.ring, s.edge, t.ring, t.edge, at));
            if out.len() >= limit {
                return out;
            }
        }
    }
    out
}

/// A repair that was made, to show the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Repair {
    /// The first point was repeated at the end.
    Closed { polygon: usize, ring: usize },
    /// A point recorded twice in a row was dropped.
    RemovedDuplicate { polygon: usize, ring: usize, vertex: usize },
    /// A spike's tip was dropped.
    RemovedSpike { polygon: usize, ring: usize, vertex: usize, at: Coord<f64> },
    /// Latitude and longitude were exchanged everywhere.
    SwappedAxes,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::Closed { polygon, ring } => {
                write!(
                    f,
                    "polygon {}, {}: closed the outline by repeating its first point",
                    polygon + 1,
                    ring_name(*ring)
                )
            }
            Repair::RemovedDuplicate { polygon, ring, vertex } => write!(
                f,
                "polygon {}, {}: removed point {}, a repeat of the point before it",
                polygon + 1,
                ring_name(*ring),
                vertex + 1
            ),
            Repair::RemovedSpike { polygon, ring, vertex, at } => write!(
                f,
                "polygon {}, {}: removed point {} {}, the tip of a spike",
                polygon + 1,
                ring_name(*ring),
                vertex + 1,
                pos(*at)
            ),
            Repair::SwappedAxes => write!(f, "exchanged latitude and longitude of every point"),
        }
    }
}

/// Makes the safe repairs — close open rings, drop repeated points, drop spike
/// tips, exchange swapped axes — and returns the repaired polygon with the
/// list of what changed. Problems with no safe repair (crossings, holes
/// outside, overlaps, too few points, zero area, out of range) are returned
/// as errors, untouched: only a person can decide what the field meant.
pub fn repair(
    polygons: &[RawPolygon],
    rules: &Rules,
) -> Result<(MultiPolygon<f64>, Vec<Repair>), Vec<Issue>> {
    let mut work: Vec<RawPolygon> = polygons.to_vec();
    let mut done = Vec::new();
    let first = validate(&work, rules);
    if first.iter().any(|i| i.problem == Problem::SwappedAxes) {
        for c in work.iter_mut().flatten().flatten() {
            std::mem::swap(&mut c.x, &mut c.y);
        }
        done.push(Repair::SwappedAxes);
    }
    for (pi, p) in work.iter_mut().enumerate() {
        for (ri, r) in p.iter_mut().enumerate() {
            if r.len() > 1 && r.first() != r.last() {
                r.push(r[0]);
                done.push(Repair::Closed { polygon: pi, ring: ri });
            }
            // Drop repeats (keeping the closing point).
            let mut out: Vec<Coord<f64>> = Vec::with_capacity(r.len());
            for (vi, c) in r.iter().enumerate() {
                if out.last() == Some(c) && vi != r.len() - 1 {
                    done.push(Repair::RemovedDuplicate { polygon: pi, ring: ri, vertex: vi });
                    continue;
                }
                if out.last() == Some(c) && vi == r.len() - 1 && out.len() > 1 {
                    // The ring ended with the closing point twice: keep one.
                    done.push(Repair::RemovedDuplicate { polygon: pi, ring: ri, vertex: vi });
                    continue;
                }
                out.push(*c);
            }
            // Drop spike tips until none is left.
            loop {
                let open = open_ring(&out).to_vec();
                let m = open.len();
                if m < 4 {
                    break;
                }
                let spike = (0..m).find(|&k| {
                    turn_angle(open[(k + m - 1) % m], open[k], open[(k + 1) % m]) < rules.spike_angle_deg
                });
                let Some(k) = spike else { break };
                done.push(Repair::RemovedSpike { polygon: pi, ring: ri, vertex: k, at: open[k] });
                let mut next: Vec<Coord<f64>> =
                    open.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, c)| *c).collect();
                next.push(next[0]);
                out = next;
            }
            *r = out;
        }
    }
    let remaining: Vec<Issue> = validate(&work, rules).into_iter().filter(|i| i.is_error()).collect();
    if !remaining.is_empty() {
        return Err(remaining);
    }
    Ok((MultiPolygon(work.iter().map(to_polygon).collect()), done))
}

/// The bounding box of a boundary, for [`Rules::programme_area`].
pub fn programme_area(boundary: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    boundary.bounding_rect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    /// A valid square of about 850 m near Aghdam, closed.
    fn square() -> Vec<Coord<f64>> {
        vec![c(46.90, 39.90), c(46.91, 39.90), c(46.91, 39.91), c(46.90, 39.91), c(46.90, 39.90)]
    }

    /// A hole well inside [`square`], closed.
    fn hole() -> Vec<Coord<f64>> {
        vec![c(46.902, 39.902), c(46.902, 39.904), c(46.904, 39.904), c(46.904, 39.902), c(46.902, 39.902)]
    }

    fn problems(p: &[RawPolygon]) -> Vec<Problem> {
        validate(p, &Rules { programme_area: Some(az()), ..Rules::default() })
            .into_iter()
            .map(|i| i.problem)
            .collect()
    }

    fn az() -> Rect<f64> {
        Rect::new(c(44.7, 38.3), c(50.4, 41.95))
    }

    #[test]
    fn a_good_polygon_passes() {
        assert_eq!(problems(&[vec![square()]]), vec![]);
        assert_eq!(problems(&[vec![square(), hole()]]), vec![]);
    }

    #[test]
    fn the_checks_measure_what_they_pass() {
        let far: Vec<Coord<f64>> = square().iter().map(|p| c(p.x + 0.1, p.y)).collect();
        let parts = [vec![square(), hole()], vec![far]];
        let (issues, area) = validate_measured(&parts, &Rules::default());
        assert!(issues.is_empty(), "{issues:?}");
        let mp = geo::MultiPolygon(parts.iter().map(to_polygon).collect());
        // Bit for bit the area a caller would measure again.
        assert_eq!(area, Some(crate::area::multipolygon_area(&mp)));
        assert!(area.is_some_and(|a| a > 1.0e6), "{area:?}");
        // A check that stops before measuring says no area.
        let mut outside = square();
        outside[1].x = 190.0;
        let (issues, area) = validate_measured(&[vec![outside]], &Rules::default());
        assert!(!issues.is_empty());
        assert_eq!(area, None);
        assert_eq!(validate_measured(&[], &Rules::default()).1, None);
    }

    #[test]
    fn ring_not_closed() {
        let mut r = square();
        r.pop();
        let issues = validate(&[vec![r.clone()]], &Rules::default());
        assert!(matches!(issues[0].problem, Problem::NotClosed { .. }));
        assert!(issues[0].to_string().contains("does not close"), "{}", issues[0]);
        let (fixed, repairs) = repair(&[vec![r]], &Rules::default()).unwrap();
        assert_eq!(repairs, vec![Repair::Closed { polygon: 0, ring: 0 }]);
        assert_eq!(fixed.0[0].exterior().0, square());
    }

    #[test]
    fn too_few_vertices() {
        let r = vec![c(46.9, 39.9), c(46.91, 39.9), c(46.9, 39.9)];
        assert_eq!(problems(&[vec![r.clone()]]), vec![Problem::TooFewVertices { distinct: 2 }]);
        assert!(repair(&[vec![r]], &Rules::default()).is_err(), "no safe repair invents a point");
    }

    #[test]
    fn duplicate_consecutive_vertices() {
        let mut r = square();
        r.insert(2, r[1]);
        assert_eq!(problems(&[vec![r.clone()]]), vec![Problem::DuplicateVertex]);
        let (fixed, repairs) = repair(&[vec![r]], &Rules::default()).unwrap();
        assert_eq!(repairs, vec![Repair::RemovedDuplicate { polygon: 0, ring: 0, vertex: 2 }]);
        assert_eq!(fixed.0[0].exterior().0, square());
    }

    #[test]
    fn self_intersection_is_located() {
        let bowtie =
            vec![c(46.90, 39.90), c(46.91, 39.91), c(46.91, 39.90), c(46.90, 39.91), c(46.90, 39.90)];
        let issues = validate(&[vec![bowtie.clone()]], &Rules::default());
        let x = issues.iter().find(|i| matches!(i.problem, Problem::SelfIntersection { .. })).expect("found");
        let at = x.at.unwrap();
        assert!((at.x - 46.905).abs() < 1e-9 && (at.y - 39.905).abs() < 1e-9, "{at:?}");
        assert!(x.to_string().contains("crosses itself"));
        assert!(repair(&[vec![bowtie]], &Rules::default()).is_err(), "a crossing has no safe repair");
    }

    #[test]
    fn spikes_are_found_and_removed() {
        // Out 1 km east from the top-right corner and straight back.
        let r = vec![
            c(46.90, 39.90),
            c(46.91, 39.90),
            c(46.91, 39.91),
            c(46.92, 39.91),
            c(46.91, 39.91000001),
            c(46.90, 39.91),
            c(46.90, 39.90),
        ];
        let p = problems(&[vec![r.clone()]]);
        assert!(p.iter().any(|x| matches!(x, Problem::Spike { .. })), "{p:?}");
        let (fixed, repairs) = repair(&[vec![r]], &Rules::default()).unwrap();
        assert!(repairs.iter().any(|r| matches!(r, Repair::RemovedSpike { .. })), "{repairs:?}");
        assert!(validate(&[vec![fixed.0[0].exterior().0.clone()]], &Rules::default()).is_empty());
    }

    #[test]
    fn hole_outside_its_shell() {
        let hole = vec![c(46.95, 39.95), c(46.95, 39.96), c(46.96, 39.96), c(46.96, 39.95), c(46.95, 39.95)];
        assert_eq!(problems(&[vec![square(), hole]]), vec![Problem::HoleOutsideShell]);
    }

    #[test]
    fn overlapping_holes() {
        let h1 = vec![
            c(46.902, 39.902),
            c(46.902, 39.905),
            c(46.905, 39.905),
            c(46.905, 39.902),
            c(46.902, 39.902),
        ];
        let h2 = vec![
            c(46.904, 39.903),
            c(46.904, 39.906),
            c(46.907, 39.906),
            c(46.907, 39.903),
            c(46.904, 39.903),
        ];
        let p = problems(&[vec![square(), h1, h2]]);
        assert!(p.contains(&Problem::HolesOverlap { other_ring: 2 }), "{p:?}");
    }

    #[test]
    fn overlapping_parts() {
        let other: Vec<Coord<f64>> = square().iter().map(|k| c(k.x + 0.005, k.y)).collect();
        assert_eq!(
            problems(&[vec![square()], vec![other]]),
            vec![Problem::PartsOverlap { other_polygon: 0 }]
        );
        // Parts that only touch are fine.
        let beside: Vec<Coord<f64>> = square().iter().map(|k| c(k.x + 0.01, k.y)).collect();
        assert_eq!(problems(&[vec![square()], vec![beside]]), vec![]);
    }

    #[test]
    fn zero_area() {
        let line = vec![c(46.90, 39.90), c(46.91, 39.90), c(46.92, 39.90), c(46.90, 39.90)];
        let p = problems(&[vec![line]]);
        assert!(
            p.contains(&Problem::ZeroArea)
                || p.iter().any(|x| matches!(x, Problem::Spike { .. } | Problem::SelfIntersection { .. })),
            "{p:?}"
        );
        assert!(!p.is_empty());
    }

    #[test]
    fn long_edges_are_warnings() {
        let big = vec![c(46.90, 39.90), c(47.00, 39.90), c(47.00, 39.91), c(46.90, 39.91), c(46.90, 39.90)];
        let issues = validate(&[vec![big]], &Rules::default());
        assert_eq!(issues.len(), 2);
        assert!(issues.iter().all(|i| matches!(i.problem, Problem::LongEdge { .. }) && !i.is_error()));
        assert!(issues[0].to_string().contains("8552 m away, more than 5000 m"), "{}", issues[0]);
    }

    #[test]
    fn out_of_range() {
        let r = vec![c(46.9, 39.9), c(246.9, 39.9), c(46.9, 99.0), c(46.9, 39.9)];
        let p = problems(&[vec![r]]);
        assert_eq!(p, vec![Problem::OutOfRange, Problem::OutOfRange]);
        let nan = vec![c(f64::NAN, 39.9), c(46.9, 39.9), c(46.9, 39.95), c(f64::NAN, 39.9)];
        assert!(problems(&[vec![nan]]).contains(&Problem::OutOfRange));
    }

    #[test]
    fn swapped_axes_are_found_and_swapped_back() {
        let swapped: Vec<Coord<f64>> = square().iter().map(|k| c(k.y, k.x)).collect();
        let rules = Rules { programme_area: Some(az()), ..Rules::default() };
        assert_eq!(
            validate(&[vec![swapped.clone()]], &rules).into_iter().map(|i| i.problem).collect::<Vec<_>>(),
            vec![Problem::SwappedAxes]
        );
        let (fixed, repairs) = repair(&[vec![swapped]], &rules).unwrap();
        assert_eq!(repairs, vec![Repair::SwappedAxes]);
        assert_eq!(fixed.0[0].exterior().0, square());
    }

    #[test]
    fn empty_input() {
        assert_eq!(problems(&[]), vec![Problem::Empty]);
        assert_eq!(problems(&[vec![vec![]]]), vec![Problem::Empty]);
    }

    /// A ring of `n` points zigzagging between two meridians: every edge
    /// spans the same longitudes, and every other edge crosses its neighbours' neighbours.
    fn zigzag(n: usize) -> Vec<Coord<f64>> {
        let mut ring: Vec<Coord<f64>> =
            (0..n).map(|i| c(46.90 + if i % 2 == 0 { 0.0 } else { 0.01 }, 39.90 + i as f64 * 1e-6)).collect();
        ring.push(ring[0]);
        ring
    }

    #[test]
    fn too_many_vertices_are_refused_before_anything_else() {
        let rules = Rules { max_vertices: 1_000, ..Rules::default() };
        let at_limit = validate(&[vec![zigzag(999)]], &rules);
        assert!(!at_limit.iter().any(|i| matches!(i.problem, Problem::TooManyVertices { .. })));
        let over = validate(&[vec![zigzag(1_000)]], &rules);
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].problem, Problem::TooManyVertices { count: 1_001, limit: 1_000 });
        assert!(over[0].to_string().contains("has 1001 points, more than the 1000"), "{}", over[0]);
    }

    #[test]
    fn problems_are_listed_up_to_the_limit() {
        let rules = Rules { max_issues: 10, ..Rules::default() };
        let issues = validate(&[vec![zigzag(5_000)]], &rules);
        assert_eq!(issues.len(), 11);
        assert_eq!(issues[10].problem, Problem::MoreProblems { listed: 10 });
        // A zigzag at the default limit is checked whole, its listing short.
        let issues = validate(&[vec![zigzag(MAX_VERTICES - 1)]], &Rules::default());
        assert_eq!(issues.len(), MAX_ISSUES + 1);
    }

    /// Every pair of edges, tested one by one: the oracle of the R-tree.
    fn crossings_by_every_pair(p: &RawPolygon) -> Vec<(usize, usize, usize, usize)> {
        let mut all = crossings(p, usize::MAX);
        all.sort_by_key(|a| (a.0, a.1, a.2, a.3));
        let segs: Vec<(usize, usize, Coord<f64>, Coord<f64>)> = p
            .iter()
            .enumerate()
            .flat_map(|(ri, r)| {
                let o = open_ring(r).to_vec();
                (0..o.len()).map(move |i| (ri, i, o[i], o[(i + 1) % o.len()])).collect::<Vec<_>>()
            })
            .collect();
        let mut expected = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            for t in &segs[i + 1..] {
                let (a, b) = (geo::Line::new(s.2, s.3), geo::Line::new(t.2, t.3));
                let Some(x) = geo::line_intersection::line_intersection(a, b) else { continue };
                let n = open_ring(&p[s.0]).len();
                let adjacent = s.0 == t.0 && ((s.1 + 1) % n == t.1 || (t.1 + 1) % n == s.1);
                let counts = match x {
                    geo::line_intersection::LineIntersection::SinglePoint { is_proper, .. } => {
                        is_proper || (!adjacent && s.0 == t.0)
                    }
                    geo::line_intersection::LineIntersection::Collinear { .. } => true,
                };
                if counts {
                    expected.push((s.0, s.1, t.0, t.1));
                }
            }
        }
        assert_eq!(all.iter().map(|a| (a.0, a.1, a.2, a.3)).collect::<Vec<_>>(), expected);
        expected
    }

    #[test]
    fn the_indexed_crossing_test_finds_what_testing_every_pair_finds() {
        assert!(crossings_by_every_pair(&vec![square()]).is_empty());
        assert!(crossings_by_every_pair(&vec![zigzag(50)]).len() > 20);
        let bow = vec![c(46.90, 39.90), c(46.91, 39.91), c(46.91, 39.90), c(46.90, 39.91), c(46.90, 39.90)];
        assert_eq!(crossings_by_every_pair(&vec![bow]), vec![(0, 0, 0, 2)]);
    }

    proptest::proptest! {
        #[test]
        fn the_index_agrees_with_every_pair_on_random_rings(
            shell in proptest::collection::vec((0u8..20, 0u8..20), 3..40),
            hole in proptest::collection::vec((0u8..20, 0u8..20), 3..12),
        ) {
            let ring = |v: &[(u8, u8)]| {
                let mut r: Vec<Coord<f64>> =
                    v.iter().map(|(x, y)| c(46.9 + f64::from(*x) * 1e-3, 39.9 + f64::from(*y) * 1e-3)).collect();
                r.dedup();
                while r.len() > 1 && r.first() == r.last() {
                    r.pop();
                }
                r.push(r[0]);
                r
            };
            let (shell, hole) = (ring(&shell), ring(&hole));
            proptest::prop_assume!(shell.len() > 3 && hole.len() > 3);
            crossings_by_every_pair(&vec![shell, hole]);
        }
    }
}
