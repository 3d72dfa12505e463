//! Accreditation [IMAS 07.30]: an organisation — or one of its teams — is
//! accredited by the national authority for a capability (manual, mechanical
//! or dog clearance, EOD, non-technical or technical survey) for a period,
//! and may be suspended. Once the register keeps accreditations, approval
//! refuses work reported under a capability its organisation (or team) was
//! not accredited for on every day of the work, naming the accreditation
//! missing, not yet valid, expired or suspended.

use crate::codes::{Capability, ClearanceMethod};
use crate::report::{Report, ReportType};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

/// One accreditation as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accreditation {
    /// The authority's reference (its certificate number).
    pub reference: String,
    pub organisation_id: Uuid,
    /// The team it is limited to; none: the whole organisation.
    pub team_id: Option<Uuid>,
    pub capability: Capability,
    pub valid_from: Date,
    pub valid_to: Date,
    /// Suspended from this day on.
    pub suspended_on: Option<Date>,
}

impl Accreditation {
    /// Whether it holds on `day`.
    pub fn holds_on(&self, day: Date) -> bool {
        self.valid_from <= day && day <= self.valid_to && self.suspended_on.is_none_or(|s| day < s)
    }

    /// The last day it holds: its end, or the day before its suspension.
    pub fn last_day(&self) -> Date {
        match self.suspended_on {
            Some(s) if s <= self.valid_to => s.previous_day().unwrap_or(s),
            _ => self.valid_to,
        }
    }
}

/// The capability a report's work needs, if any (reports of finds,
/// accidents, risk education and inspections need none).
///
/// ```
/// use safeground_core::accreditation::needed;
/// use safeground_core::codes::Capability;
/// let r: safeground_core::report::Report = serde_json::from_str(r#"{"type": "CLEARANCE",
///     "organisation": "HALO", "start_date": "2024-05-01", "end_date": "2024-05-30", "method": "DOGS"}"#).unwrap();
/// assert_eq!(needed(&r), Some(Capability::Dogs));
/// ```
pub fn needed(r: &Report) -> Option<Capability> {
    match r.report_type {
        ReportType::Nts => Some(Capability::Nts),
        ReportType::Ts => Some(Capability::Ts),
        ReportType::Clearance => Some(match r.method {
            Some(ClearanceMethod::Mechanical) => Capability::Mechanical,
            Some(ClearanceMethod::Dogs) => Capability::Dogs,
            Some(ClearanceMethod::Manual) | None => Capability::Manual,
        }),
        ReportType::EodSpotTask => Some(Capability::Eod),
        _ => None,
    }
}

/// Whether `organisation` (its `team`, when the report names one) was
/// accredited for `capability` on every day from `start` to `end`; if not,
/// why, naming the accreditation that comes closest. `who` names the
/// organisation in the message.
///
/// ```
/// use safeground_core::accreditation::{covers, Accreditation};
/// use safeground_core::codes::Capability;
/// use time::macros::date;
/// let org = uuid::Uuid::from_u128(1);
/// let a = Accreditation {
///     reference: "ANAMA-ACC-2023-014".into(), organisation_id: org, team_id: None,
///     capability: Capability::Manual, valid_from: date!(2023 - 01 - 01), valid_to: date!(2024 - 06 - 30),
///     suspended_on: None,
/// };
/// let within = covers(&[a.clone()], "HALO", org, None, Capability::Manual, (date!(2024 - 06 - 01), date!(2024 - 06 - 30)));
/// assert!(within.is_ok());
/// let late = covers(&[a], "HALO", org, None, Capability::Manual, (date!(2024 - 06 - 01), date!(2024 - 07 - 01)));
/// assert!(late.unwrap_err().contains("expired on 2024-06-30"));
/// ```
pub fn covers(
    all: &[Accreditation],
    who: &str,
    organisation: Uuid,
    team: Option<Uuid>,
    capability: Capability,
    (start, end): (Date, Date),
) -> Result<(), String> {
    let of_capability: Vec<&Accreditation> =
        all.iter().filter(|a| a.organisation_id == organisation && a.capability == capability).collect();
    let theirs: Vec<&Accreditation> =
        of_capability.iter().copied().filter(|a| a.team_id.is_none() || a.team_id == team).collect();
    // Held on the first and the last day holds on every day between.
    if theirs.iter().any(|a| a.holds_on(start) && a.holds_on(end)) {
        return Ok(());
    }
    let cap = capability.code();
    let what = format!("{who} was not accredited for {cap} on every day of the work ({start} to {end})");
    // The one that held latest explains best: a renewal suspended long ago
    // says less than the one that ran out in the middle of the work.
    let Some(nearest) = theirs.iter().max_by_key(|a| (a.last_day(), a.valid_to)) else {
        if !of_capability.is_empty() {
            return Err(format!(
                "{what}: {who}'s {cap} accreditations are for some of its teams only; name the team that did \
                 the work, or record one for {who} as a whole (safeground accreditation add)"
            ));
        }
        return Err(format!(
            "{what}: the register holds no {cap} accreditation of {who}; record it \
             (safeground accreditation add) or report the work under the capability it was done with"
        ));
    };
    let why = match nearest.suspended_on {
        Some(s) if s <= end && s <= nearest.valid_to => {
            format!("its {cap} accreditation {} was suspended on {s}", nearest.reference)
        }
        _ if nearest.valid_to < end => {
            format!("its {cap} accreditation {} expired on {}", nearest.reference, nearest.valid_to)
        }
        _ => {
            format!("its {cap} accreditation {} is valid only from {}", nearest.reference, nearest.valid_from)
        }
    };
    Err(format!(
        "{what}: {why}; record a new accreditation covering these days (safeground accreditation add), or correct \
         the report's dates"
    ))
}

/// The accreditations in force on `today` that end within `days` days, the
/// soonest first (the dashboard's list).
pub fn expiring(all: &[Accreditation], today: Date, days: i64) -> Vec<&Accreditation> {
    let until = today.checked_add(time::Duration::days(days.clamp(0, 100_000))).unwrap_or(Date::MAX);
    let mut out: Vec<&Accreditation> =
        all.iter().filter(|a| a.holds_on(today) && a.valid_to <= until).collect();
    out.sort_by_key(|a| (a.valid_to, a.reference.clone()));
    out
}

/// Every problem with an accreditation about to be recorded.
pub fn problems(a: &Accreditation) -> Vec<String> {
    let mut out = vec![];
    if a.reference.trim().is_empty() {
        out.push("reference: give the authority's reference (its certificate number)".to_string());
    }
    if a.valid_to < a.valid_from {
        out.push(format!("dates: it would end ({}) before it starts ({})", a.valid_to, a.valid_from));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const ORG: Uuid = Uuid::from_u128(7);
    const TEAM: Uuid = Uuid::from_u128(8);

    fn manual() -> Accreditation {
        Accreditation {
            reference: "ACC-1".into(),
            organisation_id: ORG,
            team_id: None,
            capability: Capability::Manual,
            valid_from: date!(2024 - 01 - 01),
            valid_to: date!(2024 - 12 - 31),
            suspended_on: None,
        }
    }

    fn check(
        all: &[Accreditation],
        team: Option<Uuid>,
        cap: Capability,
        days: (Date, Date),
    ) -> Result<(), String> {
        covers(all, "HALO", ORG, team, cap, days)
    }

    #[test]
    fn work_on_the_first_and_last_day_is_covered() {
        let a = [manual()];
        assert!(check(&a, None, Capability::Manual, (date!(2024 - 01 - 01), date!(2024 - 12 - 31))).is_ok());
        let e =
            check(&a, None, Capability::Manual, (date!(2023 - 12 - 31), date!(2024 - 01 - 10))).unwrap_err();
        assert!(e.contains("is valid only from 2024-01-01"), "{e}");
        let e =
            check(&a, None, Capability::Manual, (date!(2024 - 12 - 01), date!(2025 - 01 - 01))).unwrap_err();
        assert!(e.contains("expired on 2024-12-31"), "{e}");
    }

    #[test]
    fn a_suspension_holds_from_its_day() {
        let a = [Accreditation { suspended_on: Some(date!(2024 - 06 - 01)), ..manual() }];
        assert!(check(&a, None, Capability::Manual, (date!(2024 - 05 - 01), date!(2024 - 05 - 31))).is_ok());
        let e =
            check(&a, None, Capability::Manual, (date!(2024 - 05 - 01), date!(2024 - 06 - 01))).unwrap_err();
        assert!(e.contains("suspended on 2024-06-01"), "{e}");
    }

    #[test]
    fn another_capability_or_another_team_does_not_count() {
        let a = [manual()];
        let e =
            check(&a, None, Capability::Dogs, (date!(2024 - 05 - 01), date!(2024 - 05 - 02))).unwrap_err();
        assert!(e.contains("holds no DOGS accreditation of HALO"), "{e}");
        let teams = [Accreditation { team_id: Some(TEAM), ..manual() }];
        let days = (date!(2024 - 05 - 01), date!(2024 - 05 - 02));
        assert!(check(&teams, Some(TEAM), Capability::Manual, days).is_ok());
        assert!(check(&teams, None, Capability::Manual, days).is_err());
        assert!(check(&teams, Some(Uuid::from_u128(9)), Capability::Manual, days).is_err());
        // An organisation's accreditation covers all its teams.
        assert!(check(&a, Some(TEAM), Capability::Manual, days).is_ok());
    }

    #[test]
    fn two_accreditations_in_a_row_do_not_cover_work_across_them() {
        // Each is checked whole: renewals must overlap the work's days.
        let a = [
            manual(),
            Accreditation { valid_from: date!(2025 - 01 - 01), valid_to: date!(2025 - 12 - 31), ..manual() },
        ];
        assert!(check(&a, None, Capability::Manual, (date!(2024 - 12 - 20), date!(2025 - 01 - 10))).is_err());
        assert!(check(&a, None, Capability::Manual, (date!(2025 - 01 - 02), date!(2025 - 01 - 10))).is_ok());
    }

    #[test]
    fn the_accreditation_that_held_latest_is_the_one_named() {
        let suspended_early = Accreditation {
            reference: "ACC-OLD".into(),
            valid_to: date!(2029 - 12 - 31),
            suspended_on: Some(date!(2024 - 01 - 01)),
            ..manual()
        };
        let ran_out =
            Accreditation { reference: "ACC-NEW".into(), valid_to: date!(2024 - 05 - 10), ..manual() };
        let a = [suspended_early.clone(), ran_out];
        let e =
            check(&a, None, Capability::Manual, (date!(2024 - 05 - 02), date!(2024 - 05 - 20))).unwrap_err();
        assert!(e.contains("ACC-NEW expired on 2024-05-10"), "{e}");
        assert_eq!(suspended_early.last_day(), date!(2023 - 12 - 31));
        // A suspension after the end changes nothing.
        let late = Accreditation { suspended_on: Some(date!(2025 - 01 - 01)), ..manual() };
        assert_eq!(late.last_day(), date!(2024 - 12 - 31));
    }

    #[test]
    fn expiring_lists_those_ending_within_the_days_soonest_first() {
        let today = date!(2024 - 12 - 10);
        let later = Accreditation { reference: "ACC-2".into(), valid_to: date!(2025 - 01 - 09), ..manual() };
        let far = Accreditation { reference: "ACC-3".into(), valid_to: date!(2025 - 01 - 10), ..manual() };
        let gone = Accreditation { reference: "ACC-4".into(), valid_to: date!(2024 - 12 - 09), ..manual() };
        let all = [later, manual(), far, gone];
        let refs: Vec<&str> = expiring(&all, today, 30).iter().map(|a| a.reference.as_str()).collect();
        assert_eq!(refs, ["ACC-1", "ACC-2"]);
    }

    #[test]
    fn a_record_with_no_reference_or_backward_dates_is_refused() {
        let a = Accreditation { reference: " ".into(), valid_to: date!(2023 - 01 - 01), ..manual() };
        assert_eq!(problems(&a).len(), 2);
        assert!(problems(&manual()).is_empty());
    }
}
