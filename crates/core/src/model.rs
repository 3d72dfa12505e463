//! The records of the national register.
//!
//! Coordinates are WGS84 longitude/latitude in degrees (x = longitude), as in
//! GeoJSON and GeoPackage (EPSG:4326 with axis order lon, lat). Every record has
//! a UUID that is global and stable, so that records can move between databases
//! (a field laptop and the national server) without renumbering.
//!
//! Personal data is kept apart: a [`Victim`] carries what statistics need (sex,
//! age, outcome); the person's identity is a separate [`VictimIdentity`] that only
//! named roles may read, and that no layer, summary or export carries.

use crate::codes::*;
use geo::{MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// A national authority, an operator (national agency, NGO, company, foreign
/// specialist team) or a quality-management body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub acronym: String,
    pub kind: OrganisationKind,
    /// ISO 3166-1 alpha-2 code of the country the organisation comes from.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub kind: TeamKind,
}

/// The first level of the location hierarchy (economic region).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Region {
    pub id: Uuid,
    pub name: String,
}

/// A district (rayon or city) with its boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    pub id: Uuid,
    pub region_id: Uuid,
    /// The name as written in the country (Azerbaijani: `Ağdam`); unique in a register.
    pub name: String,
    /// The usual English spelling (`Agdam`), if different.
    pub alt_name: Option<String>,
    /// HASC code (`AZ.AM`).
    pub hasc: Option<String>,
    pub boundary: MultiPolygon<f64>,
}

/// A village or town.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub id: Uuid,
    pub district_id: Option<Uuid>,
    pub name: String,
    pub alt_names: Option<String>,
    pub population: Option<i64>,
    pub geonames_id: Option<i64>,
    pub location: Point<f64>,
}

/// One piece of evidence behind a hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub source: EvidenceSource,
    pub confidence: Confidence,
    pub description: String,
}

/// A suspected or confirmed hazardous area.
#[derive(Debug, Clone, PartialEq)]
pub struct Hazard {
    pub id: Uuid,
    /// The human reference (`AZ-AM-000123`), unique in a register.
    pub code: String,
    pub name: String,
    pub kind: HazardKind,
    pub status: HazardStatus,
    pub district_id: Uuid,
    /// Contamination types; at least one.
    pub contamination: Vec<EoCategory>,
    pub land_use: Vec<LandUse>,
    pub evidence: Vec<Evidence>,
    /// The polygon as recorded in the field.
    pub geometry: MultiPolygon<f64>,
    /// An easily found landmark outside the hazard, and what it is.
    pub reference_point: Option<Point<f64>>,
    pub reference_description: Option<String>,
    /// The fixed, marked point a safe distance from the hazard.
    pub benchmark: Option<Point<f64>>,
    /// Date the hazard entered the register.
    pub recorded_on: Date,
    pub recorded_by: Uuid,
    /// How many people benefit when it is released.
    pub beneficiaries: Option<i64>,
}

/// A task order: the authority gives an operator a hazard (or part of one) to survey or clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: Uuid,
    pub code: String,
    pub hazard_id: Uuid,
    pub organisation_id: Uuid,
    pub activity: ActivityKind,
    pub priority: Priority,
    pub status: TaskStatus,
    pub issued_on: Date,
    pub due_on: Option<Date>,
}

/// A polygon of ground released by an activity, with how it was released.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedArea {
    pub id: Uuid,
    pub outcome: ReleaseOutcome,
    pub released_on: Date,
    pub geometry: MultiPolygon<f64>,
}

/// A hazard reduction activity: survey, clearance or an EOD spot task.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub method: Option<ClearanceMethod>,
    pub hazard_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub organisation_id: Uuid,
    pub team_id: Option<Uuid>,
    pub start_date: Date,
    pub end_date: Date,
    /// Search or clearance depth in centimetres, where it applies.
    pub depth_cm: Option<i64>,
    pub hours_worked: Option<f64>,
    pub released: Vec<ReleasedArea>,
}

/// An item (or a batch of identical items) of explosive ordnance found.
#[derive(Debug, Clone, PartialEq)]
pub struct EoFind {
    pub id: Uuid,
    pub activity_id: Option<Uuid>,
    pub hazard_id: Option<Uuid>,
    pub district_id: Option<Uuid>,
    pub found_on: Date,
    pub category: EoCategory,
    /// The model from the EO catalogue (`PMN-2`, `TM-62M`, `9N235`).
    pub eo_type: String,
    pub quantity: i64,
    pub condition: EoCondition,
    pub fuze_state: Option<String>,
    pub disposal: Disposal,
    pub location: Point<f64>,
}

/// A demining accident or a mine/ERW incident. No personal data here.
#[derive(Debug, Clone, PartialEq)]
pub struct Accident {
    pub id: Uuid,
    pub kind: AccidentKind,
    pub occurred_on: Date,
    pub district_id: Option<Uuid>,
    pub hazard_id: Option<Uuid>,
    pub device_category: EoCategory,
    pub activity_at_time: ActivityAtTime,
    pub area_marked: bool,
    pub cause: String,
    pub location: Point<f64>,
    pub victims: Vec<Victim>,
}

/// A person hurt in an accident: the fields statistics need, nothing that names them.
#[derive(Debug, Clone, PartialEq)]
pub struct Victim {
    pub id: Uuid,
    pub outcome: VictimOutcome,
    pub sex: Sex,
    pub age: Option<i64>,
    pub occupation: Option<String>,
    pub injuries: Option<String>,
    pub assistance: Option<String>,
    /// `None` where it was not recorded.
    pub disability: Option<crate::codes::Disability>,
    /// Who the person is; sensitive, kept in a separate table.
    pub identity: Option<VictimIdentity>,
}

/// A victim's identity: personal data that only named roles may read.
#[derive(Debug, Clone, PartialEq)]
pub struct VictimIdentity {
    pub full_name: String,
    pub contact: Option<String>,
}

/// People reached by an EORE session, by sex and age group. Children are under 18.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reach {
    pub girls: i64,
    pub boys: i64,
    pub women: i64,
    pub men: i64,
}

impl Reach {
    /// Everyone reached; saturating, as every total of counts is (a report's
    /// counts are bounded when it is approved, so only a register written
    /// before the bounds could reach the limit).
    pub fn total(&self) -> i64 {
        self.girls.saturating_add(self.boys).saturating_add(self.women).saturating_add(self.men)
    }
}

impl std::ops::AddAssign for Reach {
    fn add_assign(&mut self, o: Reach) {
        self.girls = self.girls.saturating_add(o.girls);
        self.boys = self.boys.saturating_add(o.boys);
        self.women = self.women.saturating_add(o.women);
        self.men = self.men.saturating_add(o.men);
    }
}

/// An explosive ordnance risk education session.
#[derive(Debug, Clone, PartialEq)]
pub struct EoreSession {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub held_on: Date,
    pub kind: EoreKind,
    pub audience: Audience,
    pub settlement_id: Option<Uuid>,
    pub district_id: Option<Uuid>,
    pub reach: Reach,
    /// Of those reached, the people with a disability; `None` where not counted.
    pub with_disability: Option<Reach>,
    pub location: Point<f64>,
}
