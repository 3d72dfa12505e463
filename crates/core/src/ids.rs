//! Typed identifiers: a report's UUID is not a hazard's, and the compiler
//! says so. Each is a UUID, written and read as its hyphenated text (as the
//! register stores it and JSON carries it).
//!
//! ```
//! use safeground_core::ids::ReportId;
//! let id: ReportId = " 6f1c1a9e-3b3f-4c55-9d3a-2f0e8a1b7c11 ".parse().unwrap();
//! assert_eq!(id.to_string(), "6f1c1a9e-3b3f-4c55-9d3a-2f0e8a1b7c11");
//! let err = "AZ-AM-000001".parse::<ReportId>().unwrap_err();
//! assert_eq!(err.to_string(), "'AZ-AM-000001' is not a report id: a report is named by its UUID (as `report list` shows it)");
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A new record id: a UUID of version 7, whose first 48 bits are the time it
/// was made (Unix milliseconds), then a counter and random bits. Ids made one after the
/// other sort one after the other, so the register's unique indexes on `id`
/// (and every `hazard_id`, `report_id` that refers to a new record) grow at
/// their right edge instead of touching a random page of a large B-tree for
/// every row: on a register of gigabytes that is the difference between
/// writing one page per hundred rows and one page per row.
///
/// ```
/// let (a, b) = (safeground_core::ids::fresh(), safeground_core::ids::fresh());
/// assert_eq!(a.get_version_num(), 7);
/// assert!(a.to_string() <= b.to_string());
/// ```
pub fn fresh() -> Uuid {
    Uuid::now_v7()
}

/// Text that does not name a record of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a {what} id: a {what} is named by its UUID ({hint})")]
pub struct IdError {
    pub what: &'static str,
    pub text: String,
    hint: &'static str,
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $hint:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id ([`fresh`]).
            pub fn new() -> Self {
                $name(fresh())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim())
                    .map($name)
                    .map_err(|_| IdError { what: $what, text: s.trim().to_string(), hint: $hint })
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }
    };
}

typed_id!(
    /// A report: a field report, a draft, or an import's batch.
    ReportId,
    "report",
    "as `report list` shows it"
);
typed_id!(
    /// A file attached to a report (a photograph, a scanned form, a sketch map, a GPS track).
    AttachmentId,
    "attachment",
    "as `report attachments` lists it"
);
typed_id!(
    /// A hazard (its code names it too, where a person types it).
    HazardId,
    "hazard",
    "or by its code where a command takes CODE-OR-UUID"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_text_and_json() {
        let id = ReportId::new();
        assert_eq!(id.to_string().parse::<ReportId>(), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<ReportId>(&json).unwrap(), id);
    }

    #[test]
    fn text_that_is_no_uuid_is_named() {
        for bad in ["", "  ", "12345", "6f1c1a9e-3b3f-4c55-9d3a-2f0e8a1b7c1"] {
            let e = bad.parse::<HazardId>().unwrap_err();
            assert_eq!(e.what, "hazard");
            assert!(e.to_string().contains("is not a hazard id"), "{e}");
        }
    }
}
