//! The demo register: a deterministic, realistic picture of mine action in
//! Azerbaijan's liberated territories, 2021–2026.
//!
//! Hazards are drawn the way the field walks them: a centre, then turning
//! points at bearings and distances (geodesic direct problem on WGS84), so
//! each polygon is star-shaped around its centre and always valid. Ground is
//! released by sectors of that star — contiguous runs of turning points closed
//! through the centre — so releases never overlap and a hazard released sector
//! by sector ends with nothing remaining, as in a real completion.

use crate::places::Places;
use crate::via_reports::{
    accident_report, activity_report, eore_report, file, hazard_report, noon, spot_report, APPROVER,
};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use geographiclib_rs::DirectGeodesic;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safeground_core::area::wgs84;
use safeground_core::codes::*;
use safeground_core::model::*;
use safeground_store::{Layer, Store, StoreError, Writer};
use time::Date;
use uuid::Uuid;

/// How big a demo to build, and in what detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub hazards: usize,
    pub detail: Detail,
}

/// How finely hazards are drawn and released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The demo: 12 to 80 turning points a hazard; an activity releases one to three sectors.
    #[default]
    Demo,
    /// The benchmark's dataset (bench/run.sh): 20 to 200 turning points a
    /// hazard, more sectors, and one released polygon per sector worked, so
    /// a national register holds about 300,000 released polygons.
    Benchmark,
}

impl Scale {
    pub const SMALL: Scale = Scale { hazards: 1_000, detail: Detail::Demo };
    pub const MEDIUM: Scale = Scale { hazards: 10_000, detail: Detail::Demo };
    pub const NATIONAL: Scale = Scale { hazards: 100_000, detail: Detail::Demo };
    pub const BENCHMARK: Scale = Scale { hazards: 100_000, detail: Detail::Benchmark };
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Scale, String> {
        let lower = s.trim().to_ascii_lowercase();
        let (detail, size) = match lower.split_once(':') {
            Some(("benchmark", n)) => (Detail::Benchmark, n),
            _ if lower == "benchmark" => return Ok(Scale::BENCHMARK),
            _ => (Detail::Demo, lower.as_str()),
        };
        let hazards = match size {
            "small" => Scale::SMALL.hazards,
            "medium" => Scale::MEDIUM.hazards,
            "national" => Scale::NATIONAL.hazards,
            other => match other.replace('_', "").parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "'{s}' is not a scale: use small (1,000 hazards), medium (10,000), national (100,000), \
                         a number of hazards from 1 to 1,000,000, or benchmark[:N] for the benchmark's dataset"
                    ))
                }
            },
        };
        Ok(Scale { hazards, detail })
    }
}

/// What the demo wrote, for the closing message and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    pub hazards: usize,
    pub activities: usize,
    pub released_areas: usize,
    pub eo_finds: usize,
    pub accidents: usize,
    pub victims: usize,
    /// Victim-assistance follow-ups recorded.
    pub follow_ups: usize,
    pub eore_sessions: usize,
    pub tasks: usize,
}

/// The last day the demo records anything: before "today" in the demo's story.
pub const DEMO_END: (i32, u8, u8) = (2026, 10, 31);
const DEMO_START: (i32, u8, u8) = (2021, 1, 15);

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, time::Month::try_from(m).unwrap_or(time::Month::January), d)
        .unwrap_or(Date::MIN)
}

fn jd(d: Date) -> i32 {
    d.to_julian_day()
}

/// 1970-01-01 as a Julian day.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

struct Gen {
    rng: ChaCha8Rng,
    start: i32,
    end: i32,
    /// Ids made so far: the demo's ids are UUIDv7 whose time is the demo's
    /// start plus one millisecond per id, so that they sort in the order
    /// they were made (as [`safeground_core::ids::fresh`] makes them) and the
    /// same seed still makes the same ids.
    ids: u64,
}

impl Gen {
    fn uuid(&mut self) -> Uuid {
        let random: [u8; 10] = self.rng.random();
        self.ids += 1;
        // The demo's start (`start`, a Julian day) in Unix milliseconds.
        let start_ms = (self.start as i64 - UNIX_EPOCH_JULIAN_DAY) as u64 * 86_400_000;
        uuid::Builder::from_unix_timestamp_millis(start_ms + self.ids, &random).into_uuid()
    }
    fn f(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.random_range(lo..hi)
    }
    fn n(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        self.rng.random_range(lo..=hi_inclusive)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.random_range(0..xs.len())]
    }
    fn weighted<T: Copy>(&mut self, xs: &[(T, u32)]) -> T {
        let total: u32 = xs.iter().map(|x| x.1).sum();
        let mut r = self.rng.random_range(0..total);
        for (x, w) in xs {
            if r < *w {
                return *x;
            }
            r -= w;
        }
        xs[xs.len() - 1].0
    }
    fn day_between(&mut self, from: i32, to: i32) -> i32 {
        if to <= from {
            from
        } else {
            self.rng.random_range(from..=to)
        }
    }
}

fn day(j: i32) -> Date {
    Date::from_julian_day(j).unwrap_or(Date::MIN)
}

/// The point at `distance` metres along `azimuth` degrees from `from` (geodesic direct problem).
pub fn offset(from: Point<f64>, azimuth: f64, distance: f64) -> Point<f64> {
    let (lat, lon): (f64, f64) = wgs84().direct(from.y(), from.x(), azimuth, distance);
    Point::new(lon, lat)
}

/// A star-shaped hazard: a centre and turning points in counter-clockwise order.
struct Star {
    centre: Point<f64>,
    points: Vec<Coord<f64>>,
}

impl Star {
    /// A blob of `n` turning points at radii around `r` metres.
    fn blob(g: &mut Gen, centre: Point<f64>, r: f64, n: usize) -> Star {
        // Smooth random radius: a few harmonics, so the outline looks walked, not spiky.
        let harmonics: Vec<(f64, f64, f64)> =
            (1..=3).map(|k| (k as f64, g.f(0.0, 0.18 / k as f64), g.f(0.0, std::f64::consts::TAU))).collect();
        let rot = g.f(0.0, 360.0);
        let points = (0..n)
            .map(|k| {
                // Decreasing azimuth = counter-clockwise on the map.
                let t = k as f64 / n as f64;
                let az = rot - 360.0 * t;
                let wobble: f64 =
                    harmonics.iter().map(|(h, a, ph)| a * (h * std::f64::consts::TAU * t + ph).sin()).sum();
                let jitter = g.f(-0.04, 0.04);
                offset(centre, az, r * (1.0 + wobble + jitter)).0
            })
            .collect();
        Star { centre, points }
    }

    /// A strip `length` by `width` metres along `azimuth`, its edges walked
    /// with turning points every `step` metres or so.
    fn strip(centre: Point<f64>, azimuth: f64, length: f64, width: f64, step: f64) -> Star {
        // Corners in the strip's own frame (u along, v across), counter-clockwise.
        let (hl, hw) = (length / 2.0, width / 2.0);
        let corners = [(hl, -hw), (hl, hw), (-hl, hw), (-hl, -hw)];
        let mut frame = Vec::new();
        for i in 0..4 {
            let (a, b) = (corners[i], corners[(i + 1) % 4]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let m = ((len / step).ceil() as usize).max(1);
            for j in 0..m {
                let t = j as f64 / m as f64;
                frame.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
            }
        }
        let points = frame
            .into_iter()
            .map(|(u, v)| {
                let dist = (u * u + v * v).sqrt();
                // u along the azimuth, v to its left (counter-clockwise).
                let az = azimuth - v.atan2(u).to_degrees();
                offset(centre, az, dist).0
            })
            .collect();
        Star { centre, points }
    }

    fn polygon(&self) -> MultiPolygon<f64> {
        let mut ring = self.points.clone();
        ring.push(ring[0]);
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }

    /// Sectors `from..to` (indices into `bounds`, which splits the turning
    /// points into contiguous runs) as one polygon closed through the centre.
    fn sectors(&self, bounds: &[usize], from: usize, to: usize) -> MultiPolygon<f64> {
        let k = bounds.len();
        if from == 0 && to == k {
            return self.polygon();
        }
        let n = self.points.len();
        let (a, b) = (bounds[from], if to == k { n } else { bounds[to] });
        let mut ring = vec![self.centre.0];
        for i in a..=b {
            ring.push(self.points[i % n]);
        }
        ring.push(self.centre.0);
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }
}

const AP_TYPES: &[&str] = &["PMN", "PMN-2", "PMN-4", "OZM-72", "POMZ-2M", "MON-50", "MON-100", "PFM-1S"];
const AT_TYPES: &[&str] = &["TM-57", "TM-62M", "TM-62P3", "TM-46"];
const UXO_TYPES: &[&str] = &[
    "122 mm rocket 9M22",
    "152 mm HE projectile",
    "82 mm mortar bomb",
    "120 mm mortar bomb",
    "VOG-17 grenade",
    "RGD-5 hand grenade",
    "125 mm tank round",
];
const CMR_TYPES: &[&str] = &["9N235 submunition", "M85 submunition", "9N210 submunition"];
const AXO_TYPES: &[&str] =
    &["Small arms ammunition cache", "Abandoned 122 mm projectiles", "Abandoned RPG-7 rounds"];
const IED_TYPES: &[&str] = &["Victim-operated IED", "Command-wire IED"];

fn eo_type(g: &mut Gen, c: EoCategory) -> String {
    let list = match c {
        EoCategory::Ap => AP_TYPES,
        EoCategory::At => AT_TYPES,
        EoCategory::Uxo => UXO_TYPES,
        EoCategory::Cmr => CMR_TYPES,
        EoCategory::Axo => AXO_TYPES,
        EoCategory::Ied => IED_TYPES,
    };
    g.pick(list).to_string()
}

const GIVEN: &[&str] = &[
    "Elvin", "Rashad", "Orkhan", "Tural", "Kamran", "Vugar", "Samir", "Ilgar", "Aysel", "Leyla", "Gunay",
    "Nigar", "Sevinj", "Aynur", "Farid", "Murad", "Emil", "Nurlan", "Zaur", "Ramil",
];
const FAMILY: &[&str] = &[
    "Aliyev",
    "Mammadov",
    "Hasanov",
    "Huseynov",
    "Guliyev",
    "Ismayilov",
    "Abbasov",
    "Jafarov",
    "Karimov",
    "Rzayev",
    "Babayev",
    "Safarov",
    "Askerov",
    "Najafov",
];

/// The organisations of the demo. The national authority is ANAMA; the
/// operators and QM body are fictional.
fn organisations(g: &mut Gen) -> (Vec<Organisation>, Vec<Team>) {
    let spec: &[(&str, &str, OrganisationKind, &str)] = &[
        (
            "Mine Action Agency of the Republic of Azerbaijan",
            "ANAMA",
            OrganisationKind::NationalAuthority,
            "AZ",
        ),
        ("National Mine Action Quality Management Unit (demo)", "NQMU", OrganisationKind::QmBody, "AZ"),
        ("Qarabağ Humanitarian Demining (demo)", "QHD", OrganisationKind::Operator, "AZ"),
        ("Araz Mine Clearance LLC (demo)", "AMC", OrganisationKind::Operator, "AZ"),
        ("Kür Demining Agency (demo)", "KDA", OrganisationKind::Operator, "AZ"),
        ("Anatolian EOD Specialist Team (demo)", "AEST", OrganisationKind::Operator, "TR"),
    ];
    let orgs: Vec<Organisation> = spec
        .iter()
        .map(|(name, acr, kind, country)| Organisation {
            id: g.uuid(),
            name: name.to_string(),
            acronym: acr.to_string(),
            kind: *kind,
            country: country.to_string(),
        })
        .collect();
    let mut teams = Vec::new();
    for o in &orgs {
        let kinds: &[TeamKind] = match (o.kind, o.acronym.as_str()) {
            (OrganisationKind::NationalAuthority, _) => &[TeamKind::Nts, TeamKind::Eore],
            (OrganisationKind::QmBody, _) => &[TeamKind::Qm],
            (_, "AEST") => &[TeamKind::Eod, TeamKind::ManualClearance],
            _ => &[
                TeamKind::Nts,
                TeamKind::ManualClearance,
                TeamKind::ManualClearance,
                TeamKind::MechanicalClearance,
                TeamKind::MineDetectionDogs,
                TeamKind::Eod,
                TeamKind::Eore,
            ],
        };
        for (i, k) in kinds.iter().enumerate() {
            teams.push(Team {
                id: g.uuid(),
                organisation_id: o.id,
                name: format!("{} {} team {}", o.acronym, k.code().to_lowercase().replace('_', " "), i + 1),
                kind: *k,
            });
        }
    }
    (orgs, teams)
}

/// Ids of the reference records written first, needed by everything after.
struct Reference {
    /// Acronyms by organisation id, as reports name their authors.
    acronyms: Vec<(Uuid, String)>,
    district_ids: Vec<Uuid>,
    settlement_ids: Vec<Uuid>,
    authority: Uuid,
    operators: Vec<Uuid>,
    teams: Vec<Team>,
}

/// Writes the places and organisations.
fn write_reference(g: &mut Gen, places: &Places, w: &mut Writer<'_>) -> Result<Reference, StoreError> {
    w.insert_country("Azerbaijan", Some("AZ"), &places.outline)?;
    let mut regions: Vec<(String, Uuid)> = Vec::new();
    let mut district_ids = Vec::new();
    for d in &places.districts {
        let region_id = match regions.iter().find(|(n, _)| *n == d.region) {
            Some((_, id)) => *id,
            None => {
                let r = Region { id: g.uuid(), name: d.region.clone() };
                w.insert_region(&r)?;
                regions.push((r.name, r.id));
                r.id
            }
        };
        let id = g.uuid();
        w.insert_district(&District {
            id,
            region_id,
            name: d.name.clone(),
            alt_name: d.alt_name.clone(),
            hasc: d.hasc.clone(),
            boundary: d.boundary.clone(),
        })?;
        district_ids.push(id);
    }
    let mut settlement_ids = Vec::new();
    for s in &places.settlements {
        let id = g.uuid();
        w.insert_settlement(&Settlement {
            id,
            district_id: s.district.map(|i| district_ids[i]),
            name: s.name.clone(),
            alt_names: s.alt_names.clone(),
            population: Some(s.population),
            geonames_id: Some(s.geonames_id),
            location: s.location,
        })?;
        settlement_ids.push(id);
    }
    let (orgs, teams) = organisations(g);
    for o in &orgs {
        w.insert_organisation(o)?;
    }
    for t in &teams {
        w.insert_team(t)?;
    }
    Ok(Reference {
        acronyms: orgs.iter().map(|o| (o.id, o.acronym.clone())).collect(),
        district_ids,
        settlement_ids,
        authority: orgs[0].id,
        operators: orgs.iter().filter(|o| o.kind == OrganisationKind::Operator).map(|o| o.id).collect(),
        teams,
    })
}

/// The authority's accreditations [IMAS 07.30], recorded before any work:
/// every operator for every capability, the authority for survey, for the
/// demo's years and after (approval then checks every demo report against
/// them); one team's accreditation long expired, one about to end within
/// the dashboard's 30 days. Ids from a generator of their own, so the rest
/// of the demo draws what it drew before.
fn accredit(reference: &Reference, w: &mut Writer<'_>) -> Result<(), StoreError> {
    use safeground_store::NewAccreditation;
    let mut rng = ChaCha8Rng::seed_from_u64(0x0acc_0730);
    let decided = noon(date(2021, 1, 4));
    let mut n = 0;
    let mut add =
        |w: &mut Writer<'_>, org: &str, team: Option<&Team>, c: Capability, from: Date, to: Date| {
            n += 1;
            let a = NewAccreditation {
                reference: format!("ANAMA-ACC-{}-{n:03}", from.year()),
                organisation: org.to_string(),
                team: team.map(|t| t.name.clone()),
                capability: c,
                valid_from: from,
                valid_to: to,
            };
            w.add_accreditation_as(
                uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                &a,
                APPROVER,
                decided,
            )
        };
    let (from, to) = (date(2021, 1, 1), date(2029, 12, 31));
    add(w, "ANAMA", None, Capability::Nts, from, to)?;
    add(w, "ANAMA", None, Capability::Ts, from, to)?;
    for &op in &reference.operators {
        for &c in Capability::ALL {
            add(w, acronym(reference, op), None, c, from, to)?;
        }
    }
    let team = |acr: &str, kind: TeamKind| {
        let org = reference.acronyms.iter().find(|(_, a)| a == acr).map(|(id, _)| *id);
        reference.teams.iter().find(|t| Some(t.organisation_id) == org && t.kind == kind)
    };
    // AEST's EOD team's own accreditation, beside AEST's, ran out in 2022.
    add(w, "AEST", team("AEST", TeamKind::Eod), Capability::Eod, date(2021, 1, 1), date(2022, 12, 31))?;
    // QHD's dog team's own accreditation runs out three weeks from today.
    let today = time::OffsetDateTime::now_utc().date();
    let soon = today.checked_add(time::Duration::days(21)).unwrap_or(today);
    add(w, "QHD", team("QHD", TeamKind::MineDetectionDogs), Capability::Dogs, from, soon)?;
    Ok(())
}

/// Where the demo's hazards go: the settlements of the liberated districts
/// and the districts themselves.
struct Ground<'p> {
    places: &'p Places,
    liberated: Vec<usize>,
    /// Indices of settlements in the liberated districts.
    settlements: Vec<usize>,
    /// Linear size factor of hazards: 1 up to 5,000 hazards, then smaller, so
    /// that a national-scale register (about 1,500 km² in 100,000 hazards) fits
    /// the liberated territories (about 11,700 km²) without piling up.
    size: f64,
    /// Shares of hazards near settlements, along approaches and in the open:
    /// the data has few settlements there, so a large register spreads out.
    placement: [(u8, u32); 3],
    detail: Detail,
}

impl<'p> Ground<'p> {
    fn new(places: &'p Places, hazards: usize, detail: Detail) -> Ground<'p> {
        let liberated = places.liberated();
        let settlements = places
            .settlements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.district.is_some_and(|d| liberated.contains(&d)))
            .map(|(i, _)| i)
            .collect();
        let size = (5_000.0 / hazards.max(1) as f64).sqrt().min(1.0);
        let placement =
            if hazards > 10_000 { [(0, 15), (1, 20), (2, 65)] } else { [(0, 45), (1, 35), (2, 20)] };
        Ground { places, liberated, settlements, size, placement, detail }
    }

    /// A random point inside a liberated district.
    /// A point uniformly distributed over the liberated districts' ground
    /// (by area: a small city district gets its share, not a thirteenth).
    fn random_point(&self, g: &mut Gen) -> (Point<f64>, usize) {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &d in &self.liberated {
            let b = self.places.districts[d].bbox;
            x0 = x0.min(b.min().x);
            y0 = y0.min(b.min().y);
            x1 = x1.max(b.max().x);
            y1 = y1.max(b.max().y);
        }
        loop {
            let p = Point::new(g.f(x0, x1), g.f(y0, y1));
            if let Some(d) = self.places.district_at(&p, &self.liberated) {
                return (p, d);
            }
        }
    }
}

/// Builds the demo register into `store`: the reference data in one
/// transaction, then the hazards and everything about them in chunks of 500,
/// ten to a transaction. `progress(done, total)` reports hazards filed (a
/// write commits after its tenth chunk, or the last).
pub fn build(
    places: &Places,
    seed: u64,
    scale: Scale,
    store: &mut Store,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoCounts, StoreError> {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed), start: 0, end: 0, ids: 0 };
    g.start = jd(date(DEMO_START.0, DEMO_START.1, DEMO_START.2));
    g.end = jd(date(DEMO_END.0, DEMO_END.1, DEMO_END.2));
    let ground = Ground::new(places, scale.hazards, scale.detail);
    // Statement journals (every insert a trigger follows keeps one) in
    // memory, as an import keeps them.
    store.prepare_for_import()?;
    let reference = store.write(|w| {
        let reference = write_reference(&mut g, places, w)?;
        accredit(&reference, w)?;
        Ok(reference)
    })?;
    let mut counts = DemoCounts::default();
    // The story in chunks of 500 hazards, each with its accidents and
    // sessions (the same seed draws the same register whatever the
    // transactions), ten chunks to a write: fewer commits and checkpoints of
    // pages written again by the next write (BENCHMARKS.md, 2026-12-08).
    const CHUNK: usize = 500;
    const PER_WRITE: usize = 10;
    let total = scale.hazards;
    let mut done = 0;
    while done < total {
        store.write(|w| {
            // The spatial indexes no approval reads filled once per write, as
            // an import fills them (store::bulk): the released areas', which
            // the residual-contamination check searches, stay row by row.
            for layer in [Layer::Hazards, Layer::EoFinds, Layer::Accidents, Layer::EoreSessions] {
                w.defer_spatial_index(layer)?;
            }
            for _ in 0..PER_WRITE {
                let n = CHUNK.min(total - done);
                if n == 0 {
                    break;
                }
                chunk(&mut g, &ground, &reference, done..done + n, w, &mut counts)?;
                done += n;
                progress(done as u64, total as u64);
            }
            Ok(())
        })?;
    }
    call_off(store)?;
    counts.tasks += rank_and_task(store)?;
    waiting(store, &ground, &reference)?;
    Ok(counts)
}

/// The stories of hazards `which`, then accidents and risk education in
/// proportion: about 15 accidents and 50 EORE sessions per 100 hazards,
/// spread over the same ground.
fn chunk(
    g: &mut Gen,
    ground: &Ground<'_>,
    reference: &Reference,
    which: std::ops::Range<usize>,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    let n = which.len();
    for i in which {
        hazard_story(g, ground, reference, i, w, counts)?;
    }
    for _ in 0..(n * 15).div_ceil(100) {
        accident(g, ground, reference, w, counts)?;
    }
    for _ in 0..n / 2 {
        eore_session(g, ground, reference, w, counts)?;
    }
    Ok(())
}

/// What waits on the first start: reports submitted after the calendar's
/// end, for the approval queue (an EO find near a settlement, a technical
/// survey under the ranking's first task that confirms its hazard), and drafts brought in
/// from the KoBo forms, not yet submitted. All would pass approval's checks.
fn waiting(store: &mut Store, ground: &Ground<'_>, reference: &Reference) -> Result<(), StoreError> {
    use safeground_core::report::{Find, Place, Report, ReportType};
    use safeground_store::{Paging, TaskFilter};
    let end = date(DEMO_END.0, DEMO_END.1, DEMO_END.2);
    let day = |n: i64| end.checked_add(time::Duration::days(n)).unwrap_or(end);
    // Near the first settlement of the liberated districts, 300 m and more east.
    let Some(&s) = ground.settlements.first() else { return Ok(()) };
    let near = |east: f64| offset(ground.places.settlements[s].location, 90.0, east);
    let find = |at: Point<f64>, what: &str, category: EoCategory, on: Date| Find {
        id: None,
        category,
        eo_type: what.to_string(),
        quantity: 1,
        condition: EoCondition::Armed,
        fuze_state: None,
        disposal: Disposal::DestroyedInSitu,
        location: Place::LonLat([at.x(), at.y()]),
        found_on: Some(on),
    };
    let operator =
        reference.operators.first().map(|o| acronym(reference, *o).to_string()).unwrap_or_default();
    let mut eo = Report::blank(ReportType::EoFind, &operator, day(4), day(4));
    eo.eo_finds = vec![find(near(300.0), "122 mm rocket (demo)", EoCategory::Uxo, day(4))];
    // The ranking's first task, begun.
    let ranked = TaskFilter { status: Some(TaskStatus::Issued), ..TaskFilter::default() };
    let (_, issued) = store.task_page(&ranked, Paging::ALL, day(5))?;
    let task = issued.iter().filter(|t| t.issued_on == day(1)).min_by(|a, b| a.code.cmp(&b.code)).cloned();
    let mut drafts = vec![];
    for (i, (what, category)) in
        [("PMN-2 (demo, KoBo)", EoCategory::Ap), ("RGD-5 grenade (demo, KoBo)", EoCategory::Uxo)]
            .into_iter()
            .enumerate()
    {
        let on = day(6 + i as i64);
        let mut r = Report::blank(ReportType::EoFind, &operator, on, on);
        r.eo_finds = vec![find(near(600.0 + 200.0 * i as f64), what, category, on)];
        drafts.push(r);
    }
    store.write(|w| {
        let submitter = "field data officer (demo)";
        w.submit(&eo, submitter, noon(day(5)))?;
        if let Some(t) = task {
            let mut ts = Report::blank(ReportType::Ts, &t.organisation, day(3), day(6));
            ts.task = Some(t.code.clone());
            // Its lanes found mines: the suspected area is confirmed.
            ts.confirm = true;
            ts.hours_worked = Some(96.0);
            w.submit(&ts, submitter, noon(day(7)))?;
        }
        for r in &drafts {
            w.save_draft(r, submitter, noon(r.end_date), "KoBoToolbox export of the eo_find form (demo)")?;
        }
        Ok(())
    })
}

/// One task called off near the end of the calendar: the first issued one
/// not yet begun (by code), its operator's team sent to other work — so the
/// board has tasks in every state.
fn call_off(store: &mut Store) -> Result<(), StoreError> {
    use safeground_store::{Paging, TaskFilter};
    let end = date(DEMO_END.0, DEMO_END.1, DEMO_END.2);
    let filter = TaskFilter { status: Some(TaskStatus::Issued), ..TaskFilter::default() };
    let (_, issued) = store.task_page(&filter, Paging::ALL, end)?;
    let Some(t) = issued.iter().filter(|t| t.code.starts_with("T-")).min_by(|a, b| a.code.cmp(&b.code))
    else {
        return Ok(());
    };
    let on = end.checked_sub(time::Duration::days(30)).unwrap_or(end).max(t.issued_on);
    let reason =
        "the operator's team was sent to a higher-priority task; the hazard waits for the next tasking";
    store.write(|w| w.cancel_task(&t.code, on, reason, APPROVER, noon(on), end)).map(|_| ())
}

/// The authority's ranking at the end of the demo's calendar, under the
/// default scenario, sealed the next day; those of its first five hazards
/// that hold no open task are tasked from it to QHD for technical survey,
/// due in three months. Returns the tasks issued.
fn rank_and_task(store: &mut Store) -> Result<usize, StoreError> {
    use safeground_core::priority::{parse_scenario, rank, DEFAULT_SCENARIO};
    use safeground_store::RankingTasks;
    let as_of = date(DEMO_END.0, DEMO_END.1, DEMO_END.2);
    let next = as_of.next_day().unwrap_or(as_of);
    let scenario = parse_scenario(DEFAULT_SCENARIO)
        .map_err(|e| StoreError::Invalid { record: "the default scenario".into(), problem: e.to_string() })?;
    let facts = store.priority_facts(&scenario, as_of)?;
    let ranked = rank(&scenario, &facts.candidates, &facts.settlements, &facts.casualties, None, as_of);
    let plan = RankingTasks {
        organisation: "QHD".into(),
        activity: ActivityKind::Ts,
        priority: Priority::High,
        issued_on: next,
        due_on: next.checked_add(time::Duration::days(91)),
    };
    store.write(|w| {
        let code = w.seal_ranking(&scenario, DEFAULT_SCENARIO, as_of, &ranked, APPROVER, noon(next))?;
        Ok(w.issue_from_ranking(&code, 5, &plan, APPROVER, noon(next))?.len())
    })
}

fn acronym(reference: &Reference, id: Uuid) -> &str {
    reference.acronyms.iter().find(|(o, _)| *o == id).map(|(_, a)| a.as_str()).unwrap_or("")
}

/// An approval some days after the report, never before the last one on the same record.
fn approval_after(g: &mut Gen, end: i32, last: &mut i32) -> time::OffsetDateTime {
    let at = (end + g.n(2, 14) as i32).max(*last + 1);
    *last = at;
    noon(day(at))
}

fn teams_of(reference: &Reference, org: Uuid, kinds: &[TeamKind]) -> Vec<Uuid> {
    reference
        .teams
        .iter()
        .filter(|t| t.organisation_id == org && kinds.contains(&t.kind))
        .map(|t| t.id)
        .collect()
}

/// One hazard's life: recorded, perhaps tasked, surveyed, reduced, cleared,
/// closed and handed over — as far as the demo's calendar allows. Each phase
/// draws from `g` in the order it happens, so a seed makes the same register.
fn hazard_story(
    g: &mut Gen,
    ground: &Ground<'_>,
    reference: &Reference,
    index: usize,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    let site = site(g, ground);
    let (hazard, recorded) = new_hazard(g, ground, reference, index, &site);
    let d = &ground.places.districts[site.district];
    let mut last_approval = recorded;
    let approved = approval_after(g, recorded, &mut last_approval);
    let report = hazard_report(&hazard, acronym(reference, hazard.recorded_by), &d.name, day(recorded - 3));
    file(w, &report, day(recorded), approved)?;
    counts.hazards += 1;

    let Some(task) = task_for(g, reference, &hazard, index, d.hasc.as_deref(), (recorded, last_approval))
    else {
        return Ok(());
    };
    let plan = work_plan(g, ground.detail, site.star.points.len(), hazard.kind);
    let Work { activities, finds, completed } =
        work(g, reference, &site, &hazard, &task, plan, ground.detail);
    w.issue_task(&task, APPROVER, noon(task.issued_on))?;
    counts.tasks += 1;
    let operator = task.organisation_id;
    let handed_over = completed && g.chance(0.4);
    let n_activities = activities.len();
    for (i, a) in activities.iter().enumerate() {
        let found: Vec<&EoFind> = finds.iter().filter(|f| f.activity_id == Some(a.id)).collect();
        let last = i + 1 == n_activities;
        let report = activity_report(
            a,
            acronym(reference, operator),
            &task.code,
            &found,
            completed && last,
            handed_over && last,
        );
        let approved = approval_after(g, jd(a.end_date), &mut last_approval);
        file(w, &report, a.end_date, approved)?;
    }
    counts.activities += activities.len();
    counts.released_areas += activities.iter().map(|a| a.released.len()).sum::<usize>();
    counts.eo_finds += finds.len();
    if handed_over && ground.detail == Detail::Demo {
        if let Some(a) = activities.last() {
            residual_find(index, a, reference, w, counts)?;
        }
    }
    // Inspected where earlier ground stays released, so that the hazard
    // remains WORKED_ON as its exported layers say (a failure that re-opened
    // all of it would leave work no layer records).
    if completed && !handed_over && ground.detail == Detail::Demo && activities.len() >= 2 {
        if let Some(a) = activities.last() {
            qc_inspection(index, &hazard.code, a, last_approval, w)?;
        }
    }
    // EOD spot tasks nearby: isolated UXO called in by the population.
    if g.chance(0.05) {
        spot_task(g, reference, (&site, recorded), operator, w, counts)?;
    }
    Ok(())
}

/// Where a hazard lies: its outline, its district (an index into the
/// places' districts), and the point its record describes it from.
struct Site {
    star: Star,
    district: usize,
    reference_point: Point<f64>,
    reference_description: String,
    near_settlement: bool,
}

impl Site {
    /// How far (metres, roughly) the outline's farthest turning point lies
    /// from its centre.
    fn reach(&self) -> f64 {
        let star = &self.star;
        star.points
            .iter()
            .map(|c| ((c.x - star.centre.x()) * 85_000.0).hypot((c.y - star.centre.y()) * 111_000.0))
            .fold(0.0, f64::max)
    }
}

/// Where a new hazard lies: near a settlement, along an approach between
/// two, or in the open, in a liberated district.
fn site(g: &mut Gen, ground: &Ground<'_>) -> Site {
    let places = ground.places;
    let placement = g.weighted(&ground.placement);
    loop {
        let (centre, star, reference_point, reference_description, near_settlement) = match placement {
            0 | 1 if !ground.settlements.is_empty() => {
                let si = *g.pick(&ground.settlements);
                let s = &places.settlements[si];
                if placement == 0 {
                    let centre = offset(s.location, g.f(0.0, 360.0), g.f(300.0, 5_000.0));
                    let r = g.f(60.0, 450.0) * ground.size;
                    let n = match ground.detail {
                        Detail::Demo => g.n(12, 60),
                        Detail::Benchmark => g.n(20, 200),
                    } as usize;
                    let star = Star::blob(g, centre, r, n);
                    (centre, star, s.location, format!("centre of {}", s.name), true)
                } else {
                    let (centre, star) = approach(g, ground, si);
                    (centre, star, s.location, format!("road from {} at its last houses", s.name), true)
                }
            }
            _ => {
                let (centre, _) = ground.random_point(g);
                let r = g.f(80.0, 700.0) * ground.size;
                let n = match ground.detail {
                    Detail::Demo => g.n(16, 80),
                    Detail::Benchmark => g.n(20, 200),
                } as usize;
                let star = Star::blob(g, centre, r, n);
                let rp = offset(centre, g.f(0.0, 360.0), r * 2.5 + 200.0);
                (centre, star, rp, "track junction".to_string(), false)
            }
        };
        if let Some(district) = places.district_at(&centre, &ground.liberated) {
            return Site { star, district, reference_point, reference_description, near_settlement };
        }
    }
}

/// A strip of ground along the way from settlement `si` towards the nearest
/// other settlement: its centre and outline.
fn approach(g: &mut Gen, ground: &Ground<'_>, si: usize) -> (Point<f64>, Star) {
    let places = ground.places;
    let s = &places.settlements[si];
    let other = ground
        .settlements
        .iter()
        .filter(|&&o| o != si)
        .min_by(|&&a, &&b| {
            let d = |i: usize| {
                let p = places.settlements[i].location;
                (p.x() - s.location.x()).powi(2) + (p.y() - s.location.y()).powi(2)
            };
            d(a).total_cmp(&d(b))
        })
        .map(|&o| places.settlements[o].location)
        .unwrap_or_else(|| offset(s.location, 90.0, 10_000.0));
    let (az, dist): (f64, f64) = {
        use geographiclib_rs::InverseGeodesic;
        let (s12, az1, _az2, _a12): (f64, f64, f64, f64) =
            wgs84().inverse(s.location.y(), s.location.x(), other.y(), other.x());
        (az1, s12)
    };
    let along = offset(s.location, az, dist * g.f(0.1, 0.9));
    let centre = offset(along, az + 90.0, g.f(-250.0, 250.0));
    let (length, width) = (g.f(200.0, 1_800.0) * ground.size, g.f(25.0, 150.0));
    let step = match ground.detail {
        Detail::Demo => 60.0,
        // A turning point every few metres, 20 to 200 in all.
        Detail::Benchmark => 2.0 * (length + width) / g.n(20, 196) as f64,
    };
    (centre, Star::strip(centre, az, length, width, step))
}

/// The hazard recorded at `site`, the `index`th of the register, and the day
/// (Julian) it was recorded.
fn new_hazard(
    g: &mut Gen,
    ground: &Ground<'_>,
    reference: &Reference,
    index: usize,
    site: &Site,
) -> (Hazard, i32) {
    let hazard_id = g.uuid();
    let kind = if g.chance(0.55) { HazardKind::Cha } else { HazardKind::Sha };
    let mut contamination = vec![g.weighted(&[
        (EoCategory::Ap, 35),
        (EoCategory::At, 22),
        (EoCategory::Uxo, 30),
        (EoCategory::Cmr, 8),
        (EoCategory::Axo, 4),
        (EoCategory::Ied, 1),
    ])];
    if g.chance(0.45) {
        contamination.push(*g.pick(&[EoCategory::Ap, EoCategory::At, EoCategory::Uxo]));
    }
    let mut land_use = vec![if site.near_settlement {
        *g.pick(&[LandUse::Agriculture, LandUse::Housing, LandUse::Road, LandUse::Grazing])
    } else {
        *g.pick(&[LandUse::Grazing, LandUse::Forest, LandUse::Agriculture, LandUse::Infrastructure])
    }];
    if g.chance(0.3) {
        land_use.push(*g.pick(&[LandUse::Agriculture, LandUse::Water, LandUse::Infrastructure]));
    }
    let evidence = evidence(g, kind);
    let d = &ground.places.districts[site.district];
    let recorded = g.day_between(g.start, g.end - 60);
    let (az_bm, r_bm) = (g.f(0.0, 360.0), 30.0);
    let star = &site.star;
    let description = &site.reference_description;
    let hazard = Hazard {
        id: hazard_id,
        code: format!("{}-{:06}", d.hasc.clone().unwrap_or_else(|| "AZ".into()).replace('.', "-"), index + 1),
        name: format!(
            "{} {} near {}",
            d.alt_name.as_deref().unwrap_or(&d.name),
            if kind == HazardKind::Cha { "minefield" } else { "suspected area" },
            description.split(" of ").last().unwrap_or(description).replace("road from ", "")
        ),
        kind,
        status: HazardStatus::Open,
        district_id: reference.district_ids[site.district],
        contamination,
        land_use,
        evidence,
        geometry: star.polygon(),
        reference_point: Some(site.reference_point),
        reference_description: Some(description.clone()),
        benchmark: Some(offset(star.centre, az_bm, site.reach() + r_bm)),
        recorded_on: day(recorded),
        recorded_by: if g.chance(0.7) { reference.authority } else { *g.pick(&reference.operators) },
        beneficiaries: Some(g.n(20, if site.near_settlement { 3_000 } else { 300 })),
    };
    (hazard, recorded)
}

/// Why a hazard of `kind` was recorded: what was seen for a confirmed one,
/// what was said or kept on file for a suspected one.
fn evidence(g: &mut Gen, kind: HazardKind) -> Vec<Evidence> {
    let mut evidence = vec![Evidence {
        source: if kind == HazardKind::Cha {
            *g.pick(&[EvidenceSource::VisualSighting, EvidenceSource::Accident, EvidenceSource::Marking])
        } else {
            *g.pick(&[
                EvidenceSource::Informant,
                EvidenceSource::MinefieldRecord,
                EvidenceSource::MilitaryRecord,
            ])
        },
        confidence: if kind == HazardKind::Cha {
            Confidence::High
        } else {
            *g.pick(&[Confidence::Low, Confidence::Medium])
        },
        description: if kind == HazardKind::Cha {
            "Items seen on the surface by the survey team".into()
        } else {
            "Former front line; local informants report laying of mines".into()
        },
    }];
    if g.chance(0.3) {
        evidence.push(Evidence {
            source: EvidenceSource::MinefieldRecord,
            confidence: Confidence::Low,
            description: "Legacy minefield record; position unverified".into(),
        });
    }
    evidence
}

/// The task an operator is given for `hazard` (recorded on Julian day
/// `recorded`, its record approved on `approved`) in the district of HASC
/// code `hasc`: none for a quarter of the register, nor past the calendar.
fn task_for(
    g: &mut Gen,
    reference: &Reference,
    hazard: &Hazard,
    index: usize,
    hasc: Option<&str>,
    (recorded, approved): (i32, i32),
) -> Option<Task> {
    if g.chance(0.25) {
        return None;
    }
    let operator = *g.pick(&reference.operators);
    let issued = g.day_between(approved + 1, recorded + 240);
    if issued > g.end {
        return None;
    }
    Some(Task {
        id: g.uuid(),
        code: format!("T-{}-{:06}", hasc.unwrap_or_default().replace("AZ.", ""), index + 1),
        hazard_id: hazard.id,
        organisation_id: operator,
        activity: if hazard.kind == HazardKind::Sha { ActivityKind::Nts } else { ActivityKind::Clearance },
        priority: *g.pick(&[Priority::High, Priority::Medium, Priority::Medium, Priority::Low]),
        status: TaskStatus::Issued,
        issued_on: day(issued),
        due_on: Some(day(issued + g.n(730, 1460) as i32)),
    })
}

/// The work planned on a hazard's ground: the ground cut into sectors
/// (`bounds`: the first turning point of each), and the activities that
/// release them in order, each with how many sectors it takes on.
struct WorkPlan {
    bounds: Vec<usize>,
    steps: Vec<(ActivityKind, usize)>,
}

/// The plan for a hazard of `kind` whose outline has `points` turning
/// points: a suspected area is often cancelled in part, sometimes whole, by
/// non-technical survey; technical survey reduces some; clearance the rest.
fn work_plan(g: &mut Gen, detail: Detail, points: usize, kind: HazardKind) -> WorkPlan {
    let k = match detail {
        Detail::Demo => g.n(3, 7),
        Detail::Benchmark => g.n(6, 10),
    } as usize;
    let mut bounds: Vec<usize> = (0..k).map(|i| i * points / k).collect();
    bounds.dedup();
    let k = bounds.len();
    let mut steps: Vec<(ActivityKind, usize)> = Vec::new();
    if kind == HazardKind::Sha {
        let cancel = if g.chance(0.3) { k } else { g.n(0, (k - 1) as i64) as usize };
        if cancel > 0 {
            steps.push((ActivityKind::Nts, cancel));
        }
    }
    if g.chance(0.6) {
        steps.push((ActivityKind::Ts, g.n(1, 2) as usize));
    }
    match detail {
        Detail::Demo => {
            let clearances = g.n(1, 3);
            for _ in 0..clearances {
                steps.push((ActivityKind::Clearance, g.n(1, 3) as usize));
            }
        }
        // Clearance sector by sector: a released polygon each.
        Detail::Benchmark => {
            for _ in 0..g.n(4, 10) {
                steps.push((ActivityKind::Clearance, 1));
            }
        }
    }
    WorkPlan { bounds, steps }
}

/// What the work on a hazard did within the demo's calendar.
struct Work {
    activities: Vec<Activity>,
    finds: Vec<EoFind>,
    /// Whether it released all of the hazard's ground.
    completed: bool,
}

/// The work done to `plan` under `task`, activity after activity, until the
/// ground is all released, the calendar ends or the task falls due, with the
/// EO found in the ground cleared and reduced.
fn work(
    g: &mut Gen,
    reference: &Reference,
    site: &Site,
    hazard: &Hazard,
    task: &Task,
    plan: WorkPlan,
    detail: Detail,
) -> Work {
    let WorkPlan { bounds, steps } = plan;
    let k = bounds.len();
    let mut next = 0usize; // first sector not yet released
    let mut today = jd(task.issued_on);
    let mut done = Work { activities: Vec::new(), finds: Vec::new(), completed: false };
    for (kind, sectors) in steps {
        if next >= k {
            break;
        }
        let start = g.day_between(today + 5, today + 60);
        let duration = match kind {
            ActivityKind::Nts => g.n(1, 5),
            ActivityKind::Ts => g.n(5, 30),
            _ => g.n(20, 150),
        } as i32;
        let end = start + duration;
        if end > g.end || task.due_on.is_some_and(|due| day(end) > due) {
            break;
        }
        let to = (next + sectors).min(k);
        let ground = site.star.sectors(&bounds, next, to);
        let a = activity(g, reference, task, kind, (start, end), ground);
        let outcome = a.released[0].outcome;
        // EO found in cleared and reduced ground.
        if outcome != ReleaseOutcome::Cancelled {
            let n_finds = match (outcome, detail) {
                (ReleaseOutcome::Cleared, Detail::Demo) => g.n(0, 25),
                // More, smaller clearances: about a million finds in 100,000 hazards, as in the demo.
                (ReleaseOutcome::Cleared, Detail::Benchmark) => g.n(0, 9),
                _ => g.n(0, 2),
            };
            for _ in 0..n_finds {
                let category = *g.pick(&hazard.contamination);
                let p = point_in_sectors(g, &site.star, &bounds, next, to);
                done.finds.push(eo_find(g, reference, &a, Some(hazard.id), site.district, category, p));
            }
        }
        done.activities.push(a);
        next = to;
        today = end;
        if next >= k {
            done.completed = true;
        }
    }
    done
}

/// An activity of `kind` under `task` from Julian day `start` to `end`,
/// by a team of the task's operator that does such work, releasing `ground`.
fn activity(
    g: &mut Gen,
    reference: &Reference,
    task: &Task,
    kind: ActivityKind,
    (start, end): (i32, i32),
    ground: MultiPolygon<f64>,
) -> Activity {
    let team_kinds_clear =
        [TeamKind::ManualClearance, TeamKind::MechanicalClearance, TeamKind::MineDetectionDogs];
    let (method, team_kinds, outcome) = match kind {
        ActivityKind::Nts => (None, &[TeamKind::Nts][..], ReleaseOutcome::Cancelled),
        ActivityKind::Ts => {
            (Some(ClearanceMethod::Mechanical), &[TeamKind::MechanicalClearance][..], ReleaseOutcome::Reduced)
        }
        _ => {
            let m = g.weighted(&[
                (ClearanceMethod::Manual, 6),
                (ClearanceMethod::Mechanical, 3),
                (ClearanceMethod::Dogs, 1),
            ]);
            (Some(m), &team_kinds_clear[..], ReleaseOutcome::Cleared)
        }
    };
    let operator = task.organisation_id;
    let teams = teams_of(reference, operator, team_kinds);
    Activity {
        id: g.uuid(),
        kind,
        method,
        hazard_id: Some(task.hazard_id),
        task_id: Some(task.id),
        organisation_id: operator,
        team_id: if teams.is_empty() { None } else { Some(*g.pick(&teams)) },
        start_date: day(start),
        end_date: day(end),
        depth_cm: match kind {
            ActivityKind::Nts => None,
            _ => Some(*g.pick(&[13, 20, 25, 30])),
        },
        hours_worked: Some(((end - start) as f64 * g.f(5.0, 7.5) * 8.0).round()),
        released: vec![ReleasedArea { id: g.uuid(), outcome, released_on: day(end), geometry: ground }],
    }
}

/// An EOD spot task near the hazard at `site` (recorded on Julian day
/// `recorded`) by `operator`: one isolated item called in by the population.
fn spot_task(
    g: &mut Gen,
    reference: &Reference,
    (site, recorded): (&Site, i32),
    operator: Uuid,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    let p = offset(site.star.centre, g.f(0.0, 360.0), site.reach() + g.f(100.0, 2_000.0));
    let start = g.day_between(recorded, g.end);
    let eod_teams = teams_of(reference, operator, &[TeamKind::Eod]);
    let spot = Activity {
        id: g.uuid(),
        kind: ActivityKind::EodSpotTask,
        method: None,
        hazard_id: None,
        task_id: None,
        organisation_id: operator,
        team_id: eod_teams.first().copied(),
        start_date: day(start),
        end_date: day(start),
        depth_cm: None,
        hours_worked: Some(g.n(2, 8) as f64),
        released: vec![],
    };
    let category = g.weighted(&[(EoCategory::Uxo, 8), (EoCategory::Cmr, 2), (EoCategory::Axo, 1)]);
    let find = eo_find(g, reference, &spot, None, site.district, category, p);
    let mut last = start;
    let approved = approval_after(g, start, &mut last);
    file(w, &spot_report(&spot, acronym(reference, operator), &[&find]), spot.end_date, approved)?;
    counts.activities += 1;
    counts.eo_finds += 1;
    Ok(())
}

/// A quality-control inspection, now and then, of ground completed but not
/// yet handed over, by the QM body a few weeks after the work: most pass;
/// some fail, which re-opens the last ground released and raises a
/// non-conformity against its operator. Drawn from a generator of its own.
fn qc_inspection(
    index: usize,
    hazard_code: &str,
    last: &Activity,
    last_approval: i32,
    w: &mut Writer<'_>,
) -> Result<(), StoreError> {
    use safeground_core::codes::InspectionKind;
    use safeground_core::report::{Inspection, QmResult, Report, ReportType};
    let mut rng = ChaCha8Rng::seed_from_u64(0x0c_1a5e ^ index as u64);
    // After the work it inspects was approved.
    let on = (jd(last.end_date) + rng.random_range(5..40)).max(last_approval + 1);
    if !rng.random_bool(0.5) || on > jd(date(DEMO_END.0, DEMO_END.1, DEMO_END.2)) {
        return Ok(());
    }
    let fail = rng.random_bool(0.35);
    let mut r = Report::blank(ReportType::QmInspection, "NQMU", day(on), day(on));
    r.hazard = Some(hazard_code.to_string());
    let ground: Vec<_> = last.released.iter().map(|x| x.id).collect();
    let items_found = if fail { rng.random_range(0..3) } else { 0 };
    r.inspection = Some(Inspection {
        kind: InspectionKind::QualityControl,
        result: if fail { QmResult::Fail } else { QmResult::Pass },
        reopen: if fail { ground.clone() } else { vec![] },
        inspected: if fail { vec![] } else { ground },
        sample: sample(last, rng.random_range(0.03..0.12)),
        items_found,
        findings: Some(if fail {
            "sample lane: metal signals at 10 cm left unexcavated; fragments recovered".into()
        } else {
            "5% sample, no signal left; marking and records in order".into()
        }),
    });
    file(w, &r, day(on), noon(day(on + 1)))?;
    Ok(())
}

/// The lane a QC searches again: a square about `share` of the first ground
/// the activity released, around a point inside it, shrunk until it lies
/// inside (GeoJSON); none when no square fits.
fn sample(last: &Activity, share: f64) -> Option<serde_json::Value> {
    use geo::{Area, Contains, InteriorPoint};
    let ground = &last.released.first()?.geometry;
    let at = ground.interior_point()?;
    let mut half = (ground.unsigned_area() * share).sqrt() / 2.0;
    for _ in 0..8 {
        let (x0, y0, x1, y1) = (at.x() - half, at.y() - half, at.x() + half, at.y() + half);
        let ring = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
        let square =
            geo::Polygon::new(ring.iter().map(|&[x, y]| geo::coord! { x: x, y: y }).collect(), vec![]);
        if ground.contains(&square) {
            return Some(serde_json::json!({ "type": "Polygon", "coordinates": [ring] }));
        }
        half /= 2.0;
    }
    None
}

/// Residual contamination, now and then, in ground handed over: months after
/// the release, a farmer finds an item in it and an EOD team destroys it
/// (an EOD spot task); approval flags it and issues the investigation. Drawn
/// from a generator of its own, so that the rest of the demo stays as the
/// seed makes it.
fn residual_find(
    index: usize,
    last: &Activity,
    reference: &Reference,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    use geo::InteriorPoint;
    let mut rng = ChaCha8Rng::seed_from_u64(0x5e51_d0a1 ^ index as u64);
    let found = jd(last.end_date) + rng.random_range(45..400);
    let Some(at) = last.released.first().and_then(|r| r.geometry.interior_point()) else { return Ok(()) };
    if !rng.random_bool(0.35) || found > jd(date(DEMO_END.0, DEMO_END.1, DEMO_END.2)) {
        return Ok(());
    }
    let Some((eod, _)) = reference.acronyms.iter().find(|(_, a)| a == "AEST") else { return Ok(()) };
    let category = if rng.random_bool(0.5) { EoCategory::Ap } else { EoCategory::Uxo };
    let mut r = safeground_core::report::Report::blank(
        safeground_core::report::ReportType::EodSpotTask,
        "AEST",
        day(found),
        day(found),
    );
    r.team = teams_of(reference, *eod, &[TeamKind::Eod]).first().map(|t| t.to_string());
    r.hours_worked = Some(3.0);
    r.eo_finds.push(safeground_core::report::Find {
        id: None,
        category,
        eo_type: if category == EoCategory::Ap { "PMN-2".into() } else { "OF-462 projectile".into() },
        quantity: 1,
        condition: EoCondition::Armed,
        fuze_state: None,
        disposal: Disposal::DestroyedInSitu,
        location: safeground_core::report::Place::LonLat([at.x(), at.y()]),
        found_on: None,
    });
    file(w, &r, day(found), noon(day(found + 2)))?;
    counts.activities += 1;
    counts.eo_finds += 1;
    counts.tasks += 1;
    Ok(())
}

/// A uniformly random point in the released sectors (a random triangle of the fan).
fn point_in_sectors(g: &mut Gen, star: &Star, bounds: &[usize], from: usize, to: usize) -> Point<f64> {
    let n = star.points.len();
    let a = bounds[from];
    let b = if to == bounds.len() { n } else { bounds[to] };
    let i = g.rng.random_range(a..b.max(a + 1));
    let (p, q) = (star.points[i % n], star.points[(i + 1) % n]);
    let (mut u, mut v) = (g.f(0.0, 1.0), g.f(0.0, 1.0));
    if u + v > 1.0 {
        u = 1.0 - u;
        v = 1.0 - v;
    }
    let c = star.centre.0;
    Point::new(c.x + u * (p.x - c.x) + v * (q.x - c.x), c.y + u * (p.y - c.y) + v * (q.y - c.y))
}

fn eo_find(
    g: &mut Gen,
    reference: &Reference,
    activity: &Activity,
    hazard: Option<Uuid>,
    district: usize,
    category: EoCategory,
    location: Point<f64>,
) -> EoFind {
    let quantity = match category {
        EoCategory::Ap | EoCategory::At | EoCategory::Ied => 1,
        EoCategory::Cmr => g.n(1, 4),
        _ => {
            let many = g.n(3, 30);
            g.weighted(&[(1, 8), (2, 2), (many, 1)])
        }
    };
    let disposal = match category {
        EoCategory::Ap | EoCategory::At | EoCategory::Ied | EoCategory::Cmr => {
            g.weighted(&[(Disposal::DestroyedInSitu, 9), (Disposal::RemovedAndDestroyed, 1)])
        }
        _ => g.weighted(&[
            (Disposal::RemovedAndDestroyed, 7),
            (Disposal::DestroyedInSitu, 2),
            (Disposal::HandedOver, 1),
        ]),
    };
    let found = g.day_between(jd(activity.start_date), jd(activity.end_date));
    EoFind {
        id: g.uuid(),
        activity_id: Some(activity.id),
        hazard_id: hazard,
        district_id: Some(reference.district_ids[district]),
        found_on: day(found),
        category,
        eo_type: eo_type(g, category),
        quantity,
        condition: g.weighted(&[
            (EoCondition::Armed, 6),
            (EoCondition::Unarmed, 1),
            (EoCondition::Damaged, 2),
            (EoCondition::Unknown, 1),
        ]),
        fuze_state: match category {
            EoCategory::Uxo | EoCategory::Cmr => {
                Some(g.pick(&["fuzed", "fuze damaged", "unfuzed"]).to_string())
            }
            _ => None,
        },
        disposal,
        location,
    }
}

/// An accident or incident on the demo's ground, with its victims.
fn accident(
    g: &mut Gen,
    ground: &Ground<'_>,
    reference: &Reference,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    let demining = g.chance(0.2);
    let (location, district) = accident_place(g, ground, demining);
    let occurred = day(g.day_between(g.start, g.end));
    let activity_at_time = activity_at(g, demining);
    let n_victims = g.weighted(&[(1i64, 7), (2, 2), (3, 1)]);
    let victims = (0..n_victims).map(|_| victim(g, demining, activity_at_time)).collect();
    let device_category =
        g.weighted(&[(EoCategory::Ap, 5), (EoCategory::At, 2), (EoCategory::Uxo, 3), (EoCategory::Cmr, 1)]);
    let accident = Accident {
        id: g.uuid(),
        kind: if demining { AccidentKind::DeminingAccident } else { AccidentKind::Incident },
        occurred_on: occurred,
        district_id: Some(reference.district_ids[district]),
        hazard_id: None,
        device_category,
        activity_at_time,
        area_marked: demining || g.chance(0.2),
        cause: accident_cause(g, demining),
        location,
        victims,
    };
    let mut last = jd(occurred);
    let approved = approval_after(g, jd(occurred), &mut last);
    let report =
        file(w, &accident_report(&accident, acronym(reference, reference.authority)), occurred, approved)?;
    assistance(report, counts.accidents, approved, w, counts)?;
    if demining {
        inquiry(report, counts.accidents, approved, reference, w)?;
    }
    counts.accidents += 1;
    counts.victims += n_victims as usize;
    Ok(())
}

/// Where an accident happened and its district: most civilian incidents
/// near where people live and work, the rest (and demining accidents)
/// anywhere on the ground.
fn accident_place(g: &mut Gen, ground: &Ground<'_>, demining: bool) -> (Point, usize) {
    let places = ground.places;
    if !demining && !ground.settlements.is_empty() && g.chance(0.7) {
        let s = &places.settlements[*g.pick(&ground.settlements)];
        let p = offset(s.location, g.f(0.0, 360.0), g.f(200.0, 6_000.0));
        match places.district_at(&p, &ground.liberated) {
            Some(d) => (p, d),
            None => ground.random_point(g),
        }
    } else {
        ground.random_point(g)
    }
}

/// What the victims were doing: demining, or a civilian's work or play.
fn activity_at(g: &mut Gen, demining: bool) -> ActivityAtTime {
    if demining {
        return ActivityAtTime::Demining;
    }
    g.weighted(&[
        (ActivityAtTime::Farming, 5),
        (ActivityAtTime::Herding, 4),
        (ActivityAtTime::Travelling, 3),
        (ActivityAtTime::Construction, 3),
        (ActivityAtTime::CollectingWood, 2),
        (ActivityAtTime::Tampering, 1),
        (ActivityAtTime::Playing, 1),
    ])
}

/// How an accident came about, as an investigator would put it.
fn accident_cause(g: &mut Gen, demining: bool) -> String {
    let causes: &[&str] = if demining {
        &["missed item during excavation", "fragmentation from a nearby detonation", "drill not followed"]
    } else {
        &["entered unmarked land", "handled an unknown item", "vehicle drove over a mine"]
    };
    g.pick(causes).to_string()
}

/// One victim of an accident during `activity_at_time`: a child when
/// playing, a man of working age when demining, with a fictional identity.
fn victim(g: &mut Gen, demining: bool, activity_at_time: ActivityAtTime) -> Victim {
    let child = activity_at_time == ActivityAtTime::Playing;
    let sex = if demining || g.chance(0.85) { Sex::Male } else { Sex::Female };
    let age = if child {
        g.n(7, 17)
    } else if demining {
        g.n(21, 48)
    } else {
        g.n(16, 74)
    };
    let outcome = if g.chance(0.28) { VictimOutcome::Killed } else { VictimOutcome::Injured };
    let injured = outcome == VictimOutcome::Injured;
    let mut v = Victim {
        id: g.uuid(),
        outcome,
        sex,
        age: Some(age),
        occupation: Some(occupation(activity_at_time).to_string()),
        injuries: injured.then(|| {
            g.pick(&["lower limb amputation", "shrapnel wounds", "eye injury", "hand injury"]).to_string()
        }),
        assistance: injured.then(|| {
            g.pick(&["emergency medical care", "prosthetics", "physical rehabilitation"]).to_string()
        }),
        disability: None,
        identity: Some(VictimIdentity {
            full_name: format!("{} {} (fictional)", g.pick(GIVEN), g.pick(FAMILY)),
            contact: Some(format!("+994 50 {:03} {:02} {:02}", g.n(100, 999), g.n(10, 99), g.n(10, 99))),
        }),
    };
    v.disability = Some(disability_of(&v));
    v
}

/// A victim's occupation, as the activity at the time suggests.
fn occupation(activity_at_time: ActivityAtTime) -> &'static str {
    match activity_at_time {
        ActivityAtTime::Demining => "deminer",
        ActivityAtTime::Farming => "farmer",
        ActivityAtTime::Herding => "shepherd",
        ActivityAtTime::Construction => "construction worker",
        ActivityAtTime::Travelling => "driver",
        ActivityAtTime::Playing => "student",
        _ => "unknown",
    }
}

/// Victim assistance [IMAS 13.10] for an accident's victims, drawn from a
/// generator of its own (the rest of the demo stays as the seed makes it):
/// most consent — a survivor, a guardian for a child, the family of a person
/// killed — and are followed up: medical care then rehabilitation for an
/// amputation, psychosocial support, economic inclusion for a family; some
/// decline; now and then one withdraws consent after a first follow-up.
fn assistance(
    report: Uuid,
    index: usize,
    approved: time::OffsetDateTime,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    use safeground_core::assistance::FollowUp;
    use safeground_store::NewConsent;
    const OFFICER: &str = "victim assistance focal point (demo)";
    let mut rng = ChaCha8Rng::seed_from_u64(0x0a55_1575 ^ index as u64);
    let end = jd(date(DEMO_END.0, DEMO_END.1, DEMO_END.2));
    for (victim, facts, injuries) in w.victims_of_report(report)? {
        let consent_on = jd(approved.date()) + rng.random_range(1..30);
        if !rng.random_bool(0.8) || consent_on + 10 > end {
            continue;
        }
        let killed = facts.outcome == VictimOutcome::Killed;
        let given_by = match (killed, facts.age) {
            (true, _) => ConsentGiver::NextOfKin,
            (false, Some(a)) if a < 18 => ConsentGiver::Guardian,
            _ => ConsentGiver::Person,
        };
        let form = if rng.random_bool(0.7) { ConsentForm::Written } else { ConsentForm::Verbal };
        let c = NewConsent { given_on: day(consent_on), given_by, form };
        w.record_consent(&victim, &c, OFFICER, noon(day(consent_on)))?;
        let plan: &[(AssistanceKind, &str)] = match (killed, injuries.as_deref()) {
            (true, _) => &[
                (AssistanceKind::Psychosocial, "Community mental health centre"),
                (AssistanceKind::EconomicInclusion, "ANAMA livelihoods programme"),
            ],
            (false, Some("lower limb amputation")) => &[
                (AssistanceKind::Medical, "District central hospital"),
                (AssistanceKind::Rehabilitation, "Prosthetic and orthopaedic centre, Baku"),
            ],
            (false, Some("eye injury")) => &[
                (AssistanceKind::Medical, "National ophthalmology centre"),
                (AssistanceKind::Referral, "Society of the blind"),
            ],
            _ => &[
                (AssistanceKind::Medical, "District central hospital"),
                (AssistanceKind::Psychosocial, "Community mental health centre"),
            ],
        };
        let mut on = consent_on;
        for (i, (kind, provider)) in plan.iter().enumerate() {
            on += rng.random_range(1..45);
            if on > end {
                break;
            }
            let status = if on + 60 < end { AssistanceStatus::Completed } else { AssistanceStatus::Ongoing };
            let f = FollowUp { kind: *kind, status, on: day(on), provider: provider.to_string() };
            w.record_follow_up(&victim, &f, None, OFFICER, noon(day(on)))?;
            counts.follow_ups += 1;
            if i == 0 && rng.random_bool(0.05) {
                w.withdraw_consent(&victim, day(on + 1), OFFICER, noon(day(on + 1)))?;
                break;
            }
        }
    }
    Ok(())
}

/// A demining accident's investigation [IMAS 10.60], which its approval
/// opened: the board convened within days, its conclusion a month or two
/// later with recommendations, the first raised as a non-conformity against
/// the operator whose deminer was hurt — as far as the demo's calendar
/// allows. Drawn from a generator of its own.
fn inquiry(
    report: Uuid,
    index: usize,
    approved: time::OffsetDateTime,
    reference: &Reference,
    w: &mut Writer<'_>,
) -> Result<(), StoreError> {
    use safeground_core::investigation::Step;
    use safeground_store::RecommendationToNcr;
    const BOARD: &str = "board of inquiry secretary (demo)";
    let Some(code) = w.investigation_opened_by(report)? else { return Ok(()) };
    let mut rng = ChaCha8Rng::seed_from_u64(0x0b01_0060 ^ index as u64);
    let end = jd(date(DEMO_END.0, DEMO_END.1, DEMO_END.2));
    let convened = jd(approved.date()) + rng.random_range(1..8);
    if convened > end {
        return Ok(());
    }
    let members = vec![
        "R. Mammadov (ANAMA, operations department), president".to_string(),
        "L. Quliyeva (national quality management unit)".to_string(),
        "a medical officer of the operator".to_string(),
    ];
    w.investigation_step(&code, &Step::Board { on: day(convened), members }, BOARD, noon(day(convened)))?;
    let concluded = convened + rng.random_range(20..60);
    if concluded > end {
        return Ok(());
    }
    let findings = *[
        "the deminer knelt outside the cleared lane while excavating a signal; the lane was not marked at the base stick",
        "fragmentation from a controlled demolition reached the working lane: the safety distance was paced, not measured",
        "the detector was not checked against the test piece after a battery change",
    ]
    .get(rng.random_range(0..3))
    .unwrap_or(&"");
    let recommendations = vec![
        "refresher training of the section on lane discipline and excavation drills, with a written test"
            .to_string(),
        "supervisors check the marking of every lane at the start of each shift and record it".to_string(),
    ];
    let step = Step::Conclude { on: day(concluded), findings: findings.to_string(), recommendations };
    w.investigation_step(&code, &step, BOARD, noon(day(concluded)))?;
    let Some(&operator) = reference.operators.get(rng.random_range(0..reference.operators.len().max(1)))
    else {
        return Ok(());
    };
    let r = RecommendationToNcr {
        investigation: code,
        recommendation: 1,
        organisation: acronym(reference, operator).to_string(),
        grade: NcrGrade::Major,
        raised_on: day(concluded + 1),
        due_on: None,
    };
    w.ncr_from_recommendation(&r, "quality management officer (demo)", noon(day(concluded + 1)))?;
    Ok(())
}

/// A risk education session in a settlement of the liberated districts.
fn eore_session(
    g: &mut Gen,
    ground: &Ground<'_>,
    reference: &Reference,
    w: &mut Writer<'_>,
    counts: &mut DemoCounts,
) -> Result<(), StoreError> {
    let places = ground.places;
    let (location, settlement, district) = match ground.settlements.is_empty() {
        false => {
            let si = *g.pick(&ground.settlements);
            let s = &places.settlements[si];
            (s.location, Some(reference.settlement_ids[si]), s.district)
        }
        true => {
            let (p, d) = ground.random_point(g);
            (p, None, Some(d))
        }
    };
    let audience = g.weighted(&[
        (Audience::Community, 4),
        (Audience::School, 3),
        (Audience::Returnees, 3),
        (Audience::Farmers, 2),
        (Audience::Workers, 2),
    ]);
    let reach = match audience {
        Audience::School => Reach { girls: g.n(5, 40), boys: g.n(5, 40), women: g.n(0, 4), men: g.n(0, 3) },
        Audience::Farmers | Audience::Workers => {
            Reach { girls: 0, boys: g.n(0, 3), women: g.n(0, 10), men: g.n(5, 45) }
        }
        _ => Reach { girls: g.n(0, 20), boys: g.n(0, 20), women: g.n(5, 40), men: g.n(5, 40) },
    };
    let org = if g.chance(0.3) { reference.authority } else { *g.pick(&reference.operators) };
    let session = EoreSession {
        id: g.uuid(),
        organisation_id: org,
        held_on: day(g.day_between(g.start, g.end)),
        kind: g.weighted(&[
            (EoreKind::Presentation, 6),
            (EoreKind::CommunityLiaison, 3),
            (EoreKind::Training, 1),
        ]),
        audience,
        settlement_id: settlement,
        district_id: district.map(|d| reference.district_ids[d]),
        reach,
        with_disability: Some(with_disability(&reach)),
        location,
    };
    let mut last = jd(session.held_on);
    let approved = approval_after(g, jd(session.held_on), &mut last);
    file(w, &eore_report(&session, acronym(reference, org)), session.held_on, approved)?;
    counts.eore_sessions += 1;
    Ok(())
}

/// A demo victim's disability, read from the injuries the demo gave them
/// (no draw of its own, so the rest of the demo stays as it was): an
/// amputation or an eye injury leaves one.
fn disability_of(v: &Victim) -> Disability {
    match v.injuries.as_deref() {
        Some("lower limb amputation" | "eye injury") => Disability::FromAccident,
        _ => Disability::NoDisability,
    }
}

/// About one in fifteen of an EORE session's audience, in each group, with a
/// disability (no draw of its own).
fn with_disability(r: &Reach) -> Reach {
    Reach { girls: r.girls / 15, boys: r.boys / 15, women: r.women / 15, men: r.men / 15 }
}
