//! The demo register: real districts and settlements of Azerbaijan's liberated
//! territories, with hazards, tasks, activities that release ground by all
//! three outcomes, EO finds, accidents with victims and EORE sessions over
//! 2021–2026. Deterministic for a seed, from 1 to 1,000,000 hazards.

pub mod generate;
pub mod places;
pub mod via_reports;

pub use generate::{build, DemoCounts, Detail, Scale};
pub use places::Places;
