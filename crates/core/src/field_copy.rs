//! Field copies: what changed on the register, since a copy was made, about
//! the ground a report sent home from it names.
//!
//! A team works offline on a copy of its district. When its reports come home
//! (`safeground sync`), each hazard a report names is compared as the copy
//! had it and as the register has it now. A difference is not merged and not
//! dropped: the report arrives flagged for the IM officer with the
//! difference in words ([`describe`]), e.g. a hazard closed meanwhile, or
//! ground released over the same hazard by another team.
//!
//! ```
//! use safeground_core::codes::HazardStatus;
//! use safeground_core::field_copy::{changes, describe, HazardState};
//!
//! let then = HazardState { version: 3, status: HazardStatus::Open, remaining_m2: 12_000.0,
//!     released_m2: 0.0, made_on: "2025-04-01".into() };
//! let now = HazardState { version: 4, status: HazardStatus::Closed, remaining_m2: 0.0,
//!     released_m2: 12_000.0, made_on: "2025-05-02".into() };
//! let c = changes(&then, Some(&now));
//! assert_eq!(describe("AZ-HZ-0007", &c),
//!     "hazard AZ-HZ-0007 changed since the field copy was made: version 3 then, version 4 now \
//!      (from 2025-05-02); status OPEN then, CLOSED now; 12000 m² remaining then, 0 m² now; \
//!      12000 m² released since");
//! ```

use crate::codes::HazardStatus;

/// A hazard's current version as one side holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardState {
    pub version: i64,
    pub status: HazardStatus,
    pub remaining_m2: f64,
    /// Cancelled, reduced and cleared together.
    pub released_m2: f64,
    /// The day the version holds from.
    pub made_on: String,
}

/// One way in which a hazard differs between the copy and the register.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The register has a later (or, after an unapproval, another) version.
    Version {
        then: i64,
        now: i64,
        made_on: String,
    },
    Status {
        then: HazardStatus,
        now: HazardStatus,
    },
    Remaining {
        then: f64,
        now: f64,
    },
    /// Ground released (or, negative, put back) since the copy was made.
    Released {
        m2: f64,
    },
    /// The hazard is no longer in the register as the copy knew it (its
    /// report was unapproved).
    Gone,
}

/// Areas that differ by less than this are the same figure (m²).
const SAME_M2: f64 = 0.5;

/// What changed between `then` (the copy's) and `now` (the register's,
/// `None` when the hazard is no longer there). Nothing when the register
/// holds the version the copy was made with.
pub fn changes(then: &HazardState, now: Option<&HazardState>) -> Vec<Change> {
    let Some(now) = now else { return vec![Change::Gone] };
    if now.version == then.version {
        return Vec::new();
    }
    let mut out =
        vec![Change::Version { then: then.version, now: now.version, made_on: now.made_on.clone() }];
    if now.status != then.status {
        out.push(Change::Status { then: then.status, now: now.status });
    }
    if (now.remaining_m2 - then.remaining_m2).abs() >= SAME_M2 {
        out.push(Change::Remaining { then: then.remaining_m2, now: now.remaining_m2 });
    }
    let released = now.released_m2 - then.released_m2;
    if released.abs() >= SAME_M2 {
        out.push(Change::Released { m2: released });
    }
    out
}

/// The changes to hazard `code` in one sentence, for the officer (kept as
/// the reason of the report's SYNC_FLAGGED event).
pub fn describe(code: &str, changes: &[Change]) -> String {
    let parts: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Change::Version { then, now, made_on } => {
                format!("version {then} then, version {now} now (from {made_on})")
            }
            Change::Status { then, now } => format!("status {} then, {} now", then.code(), now.code()),
            Change::Remaining { then, now } => {
                format!("{:.0} m² remaining then, {:.0} m² now", then, now)
            }
            Change::Released { m2 } if *m2 >= 0.0 => format!("{m2:.0} m² released since"),
            Change::Released { m2 } => format!("{:.0} m² put back as dangerous since", -m2),
            Change::Gone => "it is no longer in the register (its report was unapproved)".to_string(),
        })
        .collect();
    format!("hazard {code} changed since the field copy was made: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: i64, status: HazardStatus, remaining: f64, released: f64) -> HazardState {
        HazardState {
            version,
            status,
            remaining_m2: remaining,
            released_m2: released,
            made_on: "2025-06-01".into(),
        }
    }

    #[test]
    fn the_same_version_is_no_change_whatever_the_rounding() {
        let a = state(2, HazardStatus::Open, 100.0, 0.0);
        assert!(changes(&a, Some(&a.clone())).is_empty());
    }

    #[test]
    fn a_new_version_names_only_what_differs() {
        let a = state(2, HazardStatus::Open, 100.0, 0.0);
        let b = state(3, HazardStatus::Open, 100.4, 0.4);
        assert_eq!(
            changes(&a, Some(&b)),
            vec![Change::Version { then: 2, now: 3, made_on: "2025-06-01".into() }]
        );
        // Half a square metre is a difference (the boundary).
        let c = state(3, HazardStatus::WorkedOn, 99.5, 0.5);
        assert_eq!(
            changes(&a, Some(&c)),
            vec![
                Change::Version { then: 2, now: 3, made_on: "2025-06-01".into() },
                Change::Status { then: HazardStatus::Open, now: HazardStatus::WorkedOn },
                Change::Remaining { then: 100.0, now: 99.5 },
                Change::Released { m2: 0.5 },
            ]
        );
    }

    #[test]
    fn ground_put_back_and_a_hazard_gone_are_said_so() {
        let a = state(4, HazardStatus::WorkedOn, 50.0, 50.0);
        let b = state(5, HazardStatus::Open, 100.0, 0.0);
        let text = describe("H-1", &changes(&a, Some(&b)));
        assert!(text.contains("50 m² put back as dangerous since"), "{text}");
        assert_eq!(changes(&a, None), vec![Change::Gone]);
        assert!(describe("H-1", &[Change::Gone]).contains("no longer in the register"));
    }
}
