//! The layers of the register as they go out and come back in: their names,
//! their attribute columns and whether they carry a geometry. Every format
//! writes and reads these columns; the store knows how to fill them.

use std::str::FromStr;

/// The layers that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Hazards,
    ReleasedAreas,
    EoFinds,
    Accidents,
    EoreSessions,
    Tasks,
    Settlements,
    Districts,
    Organisations,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Hazards,
        Layer::ReleasedAreas,
        Layer::EoFinds,
        Layer::Accidents,
        Layer::EoreSessions,
        Layer::Tasks,
        Layer::Settlements,
        Layer::Districts,
        Layer::Organisations,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Hazards => "hazards",
            Layer::ReleasedAreas => "released_areas",
            Layer::EoFinds => "eo_finds",
            Layer::Accidents => "accidents",
            Layer::EoreSessions => "eore_sessions",
            Layer::Tasks => "tasks",
            Layer::Settlements => "settlements",
            Layer::Districts => "districts",
            Layer::Organisations => "organisations",
        }
    }

    /// The attribute columns, in order, after the geometry.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Layer::Hazards => &[
                "id",
                "code",
                "name",
                "kind",
                "status",
                "district",
                "contamination",
                "land_use",
                "recorded_on",
                "recorded_by",
                "area_recorded_m2",
                "area_cancelled_m2",
                "area_reduced_m2",
                "area_cleared_m2",
                "area_remaining_m2",
                "version",
            ],
            Layer::ReleasedAreas => &[
                "id",
                "hazard",
                "outcome",
                "released_on",
                "area_m2",
                "organisation",
                "task",
                "completion",
                "report_id",
                "recorded_at",
            ],
            Layer::EoFinds => &[
                "id",
                "hazard",
                "district",
                "found_on",
                "category",
                "eo_type",
                "quantity",
                "condition",
                "fuze_state",
                "disposal",
                "organisation",
                "report_id",
            ],
            Layer::Accidents => &[
                "id",
                "kind",
                "occurred_on",
                "district",
                "device_category",
                "activity_at_time",
                "area_marked",
                "cause",
                "killed",
                "injured",
                "hazard",
                "organisation",
                "report_id",
            ],
            Layer::EoreSessions => &[
                "id",
                "organisation",
                "held_on",
                "kind",
                "audience",
                "settlement",
                "district",
                "girls",
                "boys",
                "women",
                "men",
                "girls_disabled",
                "boys_disabled",
                "women_disabled",
                "men_disabled",
                "report_id",
            ],
            Layer::Tasks => &[
                "id",
                "code",
                "hazard",
                "organisation",
                "activity",
                "priority",
                "status",
                "issued_on",
                "due_on",
            ],
            Layer::Settlements => &["id", "name", "alt_names", "population", "geonames_id", "district"],
            Layer::Districts => &["id", "name", "alt_name", "hasc", "region", "area_m2"],
            Layer::Organisations => &["id", "acronym", "name", "kind", "country"],
        }
    }

    /// Whether features carry a geometry.
    pub fn spatial(self) -> bool {
        !matches!(self, Layer::Tasks | Layer::Organisations)
    }
}

impl FromStr for Layer {
    type Err = String;
    fn from_str(s: &str) -> Result<Layer, String> {
        Layer::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!(
                "'{s}' is not a layer; layers are {}",
                Layer::ALL.iter().map(|l| l.name()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}
