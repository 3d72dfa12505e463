//! safeground's core: the domain model of a national mine action register,
//! geodesic geometry on the WGS84 ellipsoid, and land-release accounting.
//!
//! This crate does no I/O: no files, no database, no network. Everything here
//! is a pure function of its inputs, so it is tested with plain values and can
//! be used unchanged by the store, the formats, the server and the CLI.

pub mod access;
pub mod accounting;
pub mod accreditation;
pub mod approval;
pub mod area;
pub mod assistance;
pub mod attachment;
pub mod certificate;
pub mod codes;
pub mod coords;
pub mod crs;
pub mod field_copy;
pub mod gnomonic;
pub mod ids;
pub mod import;
pub mod imsma;
pub mod investigation;
pub mod kpi;
pub mod layer;
pub mod model;
pub mod mvt;
pub mod ncr;
pub mod priority;
pub mod project;
pub mod proximity;
pub mod public;
pub mod report;
pub mod residual;
pub mod summary;
pub mod task;
pub mod traverse;
pub mod treaty;
pub mod validate;
pub mod wkb;

pub use uuid::Uuid;
