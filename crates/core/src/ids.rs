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
            /// A new, random id.
            pub fn new() -> Self {
                $name(Uuid::new_v4())
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
