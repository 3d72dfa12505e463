//! The handover (completion) certificate of released ground [IMAS 08.30]:
//! what the register knows of a hazard whose completion report was approved,
//! put as a certificate says it — its number, the turning points and the
//! benchmark in degrees–minutes–seconds and MGRS, the area by outcome, the EO
//! found and destroyed, the methods and depths, the last quality-control
//! result, and the sealed event that approved the completion, which
//! `audit verify --expect-event` matches.

use crate::codes::{HazardStatus, ReleaseOutcome};
use crate::coords::{format_dms, format_mgrs, Position};
use crate::treaty::Item;
use geo::{LineString, MultiPolygon};
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// One piece of released ground, with how it was released.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub outcome: ReleaseOutcome,
    pub area_m2: f64,
    pub released_on: Date,
    pub organisation: String,
    /// The activity's kind (NTS, TS, CLEARANCE, …) and method, if any.
    pub activity: String,
    pub method: Option<String>,
    pub depth_cm: Option<i64>,
}

/// EO found in the hazard: type, quantity, whether destroyed.
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub eo_type: String,
    pub quantity: i64,
    pub destroyed: bool,
}

/// A quality-control inspection of the hazard, approved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    pub on: Date,
    pub organisation: String,
    /// `PASS` or `FAIL`.
    pub result: String,
}

/// The sealed event that approved the completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sealed {
    /// The completion report's id.
    pub report: String,
    pub seq: i64,
    pub hash: String,
    /// When it was approved (UTC, RFC 3339).
    pub at: String,
    /// The completion report's organisation and last day of work.
    pub organisation: String,
    pub completed_on: Date,
}

/// What the register holds of a hazard, for its certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateFacts {
    pub code: String,
    pub name: String,
    pub district: String,
    pub status: HazardStatus,
    pub recorded_m2: f64,
    /// The polygon as recorded, longitude/latitude.
    pub shape: MultiPolygon<f64>,
    pub benchmark: Option<(f64, f64)>,
    pub pieces: Vec<Piece>,
    pub finds: Vec<Find>,
    pub inspections: Vec<Inspection>,
    /// The completion's approval, when there is one.
    pub completion: Option<Sealed>,
}

/// A point written both ways.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub label: String,
    pub lon: f64,
    pub lat: f64,
    pub dms: String,
    pub mgrs: String,
}

/// A method of work and its depth, with the ground it released.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Method {
    pub organisation: String,
    pub activity: String,
    pub method: Option<String>,
    pub depth_cm: Option<i64>,
    pub area_m2: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ByOutcome {
    pub cancelled: f64,
    pub reduced: f64,
    pub cleared: f64,
}

/// The certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certificate {
    /// `HAZARD-CODE/YYYY-MM-DD/first 8 of the approval's hash`.
    pub number: String,
    pub hazard: String,
    pub name: String,
    pub district: String,
    pub status: HazardStatus,
    pub recorded_m2: f64,
    pub released_m2: ByOutcome,
    pub benchmark: Option<Point>,
    pub turning_points: Vec<Point>,
    pub methods: Vec<Method>,
    pub found: Vec<Item>,
    pub destroyed: Vec<Item>,
    /// The last inspection since the completion, if any.
    pub quality_control: Option<Inspection>,
    pub sealed: Sealed,
}

/// Why a hazard has no certificate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotReleased {
    #[error("hazard {code} is {status}: a certificate is for ground released whole; approve its completion report first")]
    Open { code: String, status: String },
    #[error("hazard {code} is {status} but no approved completion report is in the register (a migrated closure?): a certificate needs the approval it cites; submit its completion report (a clearance report with \"completion\": true) and approve it")]
    NoCompletion { code: String, status: String },
    #[error("hazard {code}'s last quality-control inspection since its completion ({on}) failed: reopen and re-clear the ground, then record a passing inspection")]
    FailedInspection { code: String, on: Date },
}

fn point(label: String, (lon, lat): (f64, f64)) -> Option<Point> {
    let p = Position::new(lat, lon).ok()?;
    Some(Point { label, lon, lat, dms: format_dms(p, 1), mgrs: format_mgrs(p, 5).unwrap_or_default() })
}

fn items(finds: &[Find], only_destroyed: bool) -> Vec<Item> {
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for f in finds.iter().filter(|f| !only_destroyed || f.destroyed) {
        *by.entry(f.eo_type.as_str()).or_default() += f.quantity;
    }
    by.into_iter().map(|(eo_type, quantity)| Item { eo_type: eo_type.to_string(), quantity }).collect()
}

fn methods(pieces: &[Piece]) -> Vec<Method> {
    let mut by: BTreeMap<(String, String, Option<String>, Option<i64>), f64> = BTreeMap::new();
    for p in pieces {
        let key = (p.organisation.clone(), p.activity.clone(), p.method.clone(), p.depth_cm);
        *by.entry(key).or_default() += p.area_m2;
    }
    by.into_iter()
        .map(|((organisation, activity, method, depth_cm), area_m2)| Method {
            organisation,
            activity,
            method,
            depth_cm,
            area_m2,
        })
        .collect()
}

/// Every ring's vertices in order, labelled as a survey's sketch numbers
/// them (the closing vertex not repeated): `TP1`, … on the outline of a
/// one-part polygon; `P2-TP1` on a second part; `H1-TP1` on a hole (of the
/// first part; `P2-H1-TP1` of the second).
fn turning_points(shape: &MultiPolygon<f64>) -> Vec<Point> {
    let several = shape.0.len() > 1;
    let mut out = vec![];
    let mut ring = |prefix: String, line: &LineString<f64>| {
        let open = line.0.len().saturating_sub(usize::from(line.0.first() == line.0.last()));
        for (i, c) in line.0.iter().take(open).enumerate() {
            out.extend(point(format!("{prefix}TP{}", i + 1), (c.x, c.y)));
        }
    };
    for (p, polygon) in shape.0.iter().enumerate() {
        let part = if several { format!("P{}-", p + 1) } else { String::new() };
        ring(part.clone(), polygon.exterior());
        for (h, hole) in polygon.interiors().iter().enumerate() {
            ring(format!("{part}H{}-", h + 1), hole);
        }
    }
    out
}

/// The certificate of `f`, or why there is none: the hazard must be closed
/// or handed over by an approved completion, and the last inspection since
/// that completion (if any) must have passed — an inspection that failed
/// before it was answered by the re-clearance the completion closed.
pub fn certificate(f: &CertificateFacts) -> Result<Certificate, NotReleased> {
    let status = || f.status.code().to_string();
    if !matches!(f.status, HazardStatus::Closed | HazardStatus::HandedOver) {
        return Err(NotReleased::Open { code: f.code.clone(), status: status() });
    }
    let Some(sealed) = f.completion.clone() else {
        return Err(NotReleased::NoCompletion { code: f.code.clone(), status: status() });
    };
    let last = f.inspections.iter().filter(|i| i.on >= sealed.completed_on).max_by_key(|i| i.on).cloned();
    if let Some(i) = last.as_ref().filter(|i| i.result == "FAIL") {
        return Err(NotReleased::FailedInspection { code: f.code.clone(), on: i.on });
    }
    let mut released = ByOutcome::default();
    for p in &f.pieces {
        match p.outcome {
            ReleaseOutcome::Cancelled => released.cancelled += p.area_m2,
            ReleaseOutcome::Reduced => released.reduced += p.area_m2,
            ReleaseOutcome::Cleared => released.cleared += p.area_m2,
        }
    }
    Ok(Certificate {
        number: format!(
            "{}/{}/{}",
            f.code,
            sealed.completed_on,
            sealed.hash.get(..8).unwrap_or(&sealed.hash)
        ),
        hazard: f.code.clone(),
        name: f.name.clone(),
        district: f.district.clone(),
        status: f.status,
        recorded_m2: f.recorded_m2,
        released_m2: released,
        benchmark: f.benchmark.and_then(|b| point("BM".into(), b)),
        turning_points: turning_points(&f.shape),
        methods: methods(&f.pieces),
        found: items(&f.finds, false),
        destroyed: items(&f.finds, true),
        quality_control: last,
        sealed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use time::macros::date;

    fn facts() -> CertificateFacts {
        CertificateFacts {
            code: "AZ-AM-000048".into(),
            name: "Qiyaslı fields".into(),
            district: "Ağdam".into(),
            status: HazardStatus::Closed,
            recorded_m2: 1000.0,
            shape: MultiPolygon(vec![polygon![
                (x: 46.9, y: 39.9), (x: 46.91, y: 39.9), (x: 46.91, y: 39.91), (x: 46.9, y: 39.9)
            ]]),
            benchmark: Some((46.899, 39.899)),
            pieces: vec![
                Piece {
                    outcome: ReleaseOutcome::Reduced,
                    area_m2: 400.0,
                    released_on: date!(2024 - 05 - 01),
                    organisation: "HALO".into(),
                    activity: "TS".into(),
                    method: None,
                    depth_cm: None,
                },
                Piece {
                    outcome: ReleaseOutcome::Cleared,
                    area_m2: 600.0,
                    released_on: date!(2024 - 08 - 30),
                    organisation: "HALO".into(),
                    activity: "CLEARANCE".into(),
                    method: Some("MANUAL".into()),
                    depth_cm: Some(20),
                },
            ],
            finds: vec![
                Find { eo_type: "PMN-2".into(), quantity: 3, destroyed: true },
                Find { eo_type: "PMN-2".into(), quantity: 1, destroyed: false },
            ],
            inspections: vec![],
            completion: Some(Sealed {
                report: "01a2483c-2122-70b0-a43e-b4b6113f99ce".into(),
                seq: 170,
                hash: "32700addc94c842dee45afddae20ffd7".into(),
                at: "2024-09-02T10:00:00Z".into(),
                organisation: "HALO".into(),
                completed_on: date!(2024 - 08 - 30),
            }),
        }
    }

    #[test]
    fn a_closed_hazard_has_its_certificate() {
        let c = certificate(&facts()).unwrap();
        assert_eq!(c.number, "AZ-AM-000048/2024-08-30/32700add");
        assert_eq!((c.released_m2.reduced, c.released_m2.cleared), (400.0, 600.0));
        // Three turning points: the closing vertex is not a fourth.
        assert_eq!(c.turning_points.len(), 3);
        assert_eq!(c.turning_points[0].dms, "39°54'00.0\"N 46°54'00.0\"E");
        assert!(c.turning_points[0].mgrs.starts_with("38S"), "{}", c.turning_points[0].mgrs);
        assert_eq!(c.found[0].quantity, 4);
        assert_eq!(c.destroyed[0].quantity, 3);
        assert_eq!(c.methods.len(), 2);
    }

    #[test]
    fn ground_not_released_whole_has_none() {
        for status in [HazardStatus::Open, HazardStatus::WorkedOn] {
            let f = CertificateFacts { status, ..facts() };
            assert!(matches!(certificate(&f), Err(NotReleased::Open { .. })));
        }
        let f = CertificateFacts { completion: None, ..facts() };
        assert!(matches!(certificate(&f), Err(NotReleased::NoCompletion { .. })));
        let handed = CertificateFacts { status: HazardStatus::HandedOver, ..facts() };
        assert!(certificate(&handed).is_ok());
    }

    #[test]
    fn the_last_inspection_since_the_completion_decides() {
        let inspection =
            |on, result: &str| Inspection { on, organisation: "NQMU".into(), result: result.into() };
        let with = |list: Vec<Inspection>| CertificateFacts { inspections: list, ..facts() };
        let f =
            with(vec![inspection(date!(2024 - 09 - 01), "PASS"), inspection(date!(2024 - 09 - 10), "FAIL")]);
        assert!(matches!(certificate(&f), Err(NotReleased::FailedInspection { .. })));
        let f =
            with(vec![inspection(date!(2024 - 09 - 01), "FAIL"), inspection(date!(2024 - 09 - 10), "PASS")]);
        assert_eq!(certificate(&f).unwrap().quality_control.map(|i| i.result), Some("PASS".to_string()));
        // A failure answered by the re-clearance the completion (30 August) closed.
        let f = with(vec![inspection(date!(2024 - 07 - 01), "FAIL")]);
        assert_eq!(certificate(&f).unwrap().quality_control, None);
        // An inspection on the completion's day counts.
        assert!(certificate(&with(vec![inspection(date!(2024 - 08 - 30), "FAIL")])).is_err());
    }

    #[test]
    fn every_part_and_hole_has_its_turning_points() {
        let outer =
            LineString::from(vec![(46.9, 39.9), (46.92, 39.9), (46.92, 39.92), (46.9, 39.92), (46.9, 39.9)]);
        let hole =
            LineString::from(vec![(46.905, 39.905), (46.906, 39.905), (46.906, 39.906), (46.905, 39.905)]);
        let second =
            polygon![(x: 47.0, y: 40.0), (x: 47.01, y: 40.0), (x: 47.01, y: 40.01), (x: 47.0, y: 40.0)];
        let f = CertificateFacts {
            shape: MultiPolygon(vec![geo::Polygon::new(outer, vec![hole]), second]),
            ..facts()
        };
        let labels: Vec<String> =
            certificate(&f).unwrap().turning_points.into_iter().map(|p| p.label).collect();
        let want = [
            "P1-TP1",
            "P1-TP2",
            "P1-TP3",
            "P1-TP4",
            "P1-H1-TP1",
            "P1-H1-TP2",
            "P1-H1-TP3",
            "P2-TP1",
            "P2-TP2",
            "P2-TP3",
        ];
        assert_eq!(labels, want);
    }
}
