//! Projects — a donor's funding, with a budget and dates — and the tasks they
//! fund; a donor report's figures: what the funded tasks released, found and
//! reached in a period.
//!
//! The rules: a project's code is its key; its currency an ISO 4217 code; its
//! budget a finite amount, not negative; it ends on or after it starts. A
//! task is funded by one project at most, once, and only if it was issued
//! within the project's dates (money is spent in its grant's period).

use crate::kpi::{kpis, By, KpiFacts, Kpis};
use crate::model::Reach;
use crate::treaty::Item;
use serde::Serialize;
use time::Date;

/// A project as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub code: String,
    pub donor: String,
    pub name: String,
    pub budget: f64,
    /// ISO 4217 (`EUR`, `USD`, `AZN`, `UAH`).
    pub currency: String,
    pub starts_on: Date,
    pub ends_on: Date,
}

/// Every problem with a project about to be recorded (none: it may be).
///
/// ```
/// use safeground_core::project::{problems, Project};
/// let p = Project {
///     code: "EU-2024-01".into(), donor: "European Union".into(), name: "Clearance in Ağdam".into(),
///     budget: 1_500_000.0, currency: "EUR".into(),
///     starts_on: time::macros::date!(2024 - 01 - 01), ends_on: time::macros::date!(2025 - 06 - 30),
/// };
/// assert!(problems(&p).is_empty());
/// let bad = Project { currency: "euro".into(), budget: -1.0, ..p };
/// assert_eq!(problems(&bad).len(), 2);
/// ```
pub fn problems(p: &Project) -> Vec<String> {
    let mut out = vec![];
    let code_ok = !p.code.trim().is_empty()
        && p.code.len() <= 40
        && p.code.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if !code_ok {
        out.push(format!("code '{}': give 1 to 40 letters, digits or - _ . / (e.g. EU-2024-01)", p.code));
    }
    if p.donor.trim().is_empty() {
        out.push("donor: name the donor (e.g. European Union)".into());
    }
    if p.name.trim().is_empty() {
        out.push("name: name the project".into());
    }
    if !(p.budget.is_finite() && p.budget >= 0.0) {
        out.push(format!("budget {}: give an amount of 0 or more", p.budget));
    }
    if !(p.currency.len() == 3 && p.currency.chars().all(|c| c.is_ascii_uppercase())) {
        out.push(format!(
            "currency '{}': give its ISO 4217 code in capitals (EUR, USD, AZN, UAH)",
            p.currency
        ));
    }
    if p.ends_on < p.starts_on {
        out.push(format!("dates: the project would end ({}) before it starts ({})", p.ends_on, p.starts_on));
    }
    out
}

/// Whether `project` may fund a task issued on `issued_on`, which
/// `funded_by` already funds (its project's code), if any.
///
/// ```
/// use safeground_core::project::{may_fund, Project};
/// use time::macros::date;
/// let p = Project {
///     code: "EU-1".into(), donor: "EU".into(), name: "n".into(), budget: 1.0, currency: "EUR".into(),
///     starts_on: date!(2024 - 01 - 01), ends_on: date!(2024 - 12 - 31),
/// };
/// assert!(may_fund(&p, "T-1", date!(2024 - 12 - 31), None).is_ok());
/// assert!(may_fund(&p, "T-1", date!(2025 - 01 - 01), None).is_err());
/// assert!(may_fund(&p, "T-1", date!(2024 - 06 - 01), Some("US-7")).is_err());
/// ```
pub fn may_fund(
    project: &Project,
    task: &str,
    issued_on: Date,
    funded_by: Option<&str>,
) -> Result<(), String> {
    if let Some(other) = funded_by {
        return Err(if other == project.code {
            format!("task {task} is funded by project {other} already")
        } else {
            format!(
                "task {task} is funded by project {other}: a task is funded by one project, so that no \
                 figure is counted for two donors (issue a new task for the other project's work)"
            )
        });
    }
    if issued_on < project.starts_on || issued_on > project.ends_on {
        return Err(format!(
            "task {task} was issued on {issued_on}, outside project {}'s dates ({} to {})",
            project.code, project.starts_on, project.ends_on
        ));
    }
    Ok(())
}

/// A task a project funds, as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundedTask {
    pub code: String,
    pub hazard: String,
    pub district: String,
    pub organisation: String,
    pub status: String,
    pub issued_on: Date,
}

/// What a donor report is made of, read from the register.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorFacts {
    /// The indicators' facts, of the project's tasks only.
    pub kpi: KpiFacts,
    /// EO found by the project's tasks in the period: type, quantity.
    pub found: Vec<(String, i64)>,
    /// Risk education reported under the project's tasks in the period.
    pub sessions: usize,
    pub reached: Reach,
    pub tasks: Vec<FundedTask>,
}

/// A donor report: the project, the period, and what its money did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorReport {
    pub project: Project,
    pub from: Date,
    pub to: Date,
    pub tasks: Vec<FundedTask>,
    /// Released, found, tasks completed: per month, and the totals.
    pub by_month: Kpis,
    pub by_district: Kpis,
    /// By type, most found first.
    pub found: Vec<Item>,
    pub sessions: usize,
    pub reached: Reach,
    /// The budget over the ground released in the period (m²), when any was:
    /// an indication, not an account (the budget spans the whole project).
    pub budget_per_m2: Option<f64>,
}

/// The report of `facts` for `project` from `from` to `to`.
pub fn donor_report(project: &Project, facts: &DonorFacts, (from, to): (Date, Date)) -> DonorReport {
    let by_month = kpis(&facts.kpi, By::Month, (from, to));
    let by_district = kpis(&facts.kpi, By::District, (from, to));
    let t = &by_month.total;
    let released = t.cancelled_m2 + t.reduced_m2 + t.cleared_m2;
    let mut found: Vec<Item> = facts
        .found
        .iter()
        .map(|(eo_type, quantity)| Item { eo_type: eo_type.clone(), quantity: *quantity })
        .collect();
    found.sort_by(|a, b| b.quantity.cmp(&a.quantity).then_with(|| a.eo_type.cmp(&b.eo_type)));
    DonorReport {
        project: project.clone(),
        from,
        to,
        tasks: facts.tasks.clone(),
        by_month,
        by_district,
        found,
        sessions: facts.sessions,
        reached: facts.reached,
        budget_per_m2: (released > 0.0).then(|| project.budget / released),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ReleaseOutcome;
    use crate::kpi::{Keys, ReleaseFact};
    use time::macros::date;

    fn project() -> Project {
        Project {
            code: "EU-2024-01".into(),
            donor: "European Union".into(),
            name: "Ağdam clearance".into(),
            budget: 1000.0,
            currency: "EUR".into(),
            starts_on: date!(2024 - 01 - 01),
            ends_on: date!(2024 - 12 - 31),
        }
    }

    #[test]
    fn a_project_ending_the_day_it_starts_is_one_day_long() {
        let p = Project { ends_on: date!(2024 - 01 - 01), ..project() };
        assert!(problems(&p).is_empty());
        let p = Project { ends_on: date!(2023 - 12 - 31), ..project() };
        assert_eq!(problems(&p).len(), 1);
    }

    #[test]
    fn every_problem_is_named() {
        let p = Project {
            code: "EU 2024".into(),
            donor: " ".into(),
            name: String::new(),
            budget: f64::NAN,
            currency: "eur".into(),
            ..project()
        };
        let all = problems(&p);
        assert_eq!(all.len(), 5, "{all:?}");
        assert!(all[0].starts_with("code 'EU 2024'"));
        assert!(problems(&Project { budget: 0.0, ..project() }).is_empty());
    }

    #[test]
    fn a_task_is_funded_within_the_dates_and_once() {
        let p = project();
        assert!(may_fund(&p, "T-1", date!(2024 - 01 - 01), None).is_ok());
        assert!(may_fund(&p, "T-1", date!(2023 - 12 - 31), None).unwrap_err().contains("outside project"));
        assert!(may_fund(&p, "T-1", date!(2024 - 03 - 01), Some("EU-2024-01"))
            .unwrap_err()
            .contains("already"));
    }

    #[test]
    fn the_report_adds_up_the_funded_work() {
        let keys = |m: u8| Keys {
            organisation: "HALO".into(),
            district: "Ağdam".into(),
            method: "MANUAL".into(),
            day: Date::from_calendar_date(2024, time::Month::try_from(m).unwrap_or(time::Month::January), 5)
                .unwrap_or(date!(2024 - 01 - 05)),
        };
        let release =
            |m, outcome, area_m2| ReleaseFact { keys: keys(m), outcome, area_m2, activity: "a".into() };
        let facts = DonorFacts {
            kpi: KpiFacts {
                releases: vec![
                    release(2, ReleaseOutcome::Cleared, 300.0),
                    release(3, ReleaseOutcome::Reduced, 100.0),
                    release(3, ReleaseOutcome::Cleared, 100.0),
                ],
                ..KpiFacts::default()
            },
            found: vec![("PMN".into(), 2), ("MON-50".into(), 5)],
            ..DonorFacts::default()
        };
        let r = donor_report(&project(), &facts, (date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        assert_eq!(r.by_month.groups.len(), 2);
        assert_eq!(r.by_month.total.cleared_m2, 400.0);
        assert_eq!(r.budget_per_m2, Some(2.0));
        assert_eq!((r.found[0].eo_type.as_str(), r.found[0].quantity), ("MON-50", 5));
        let none =
            donor_report(&project(), &DonorFacts::default(), (date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        assert_eq!(none.budget_per_m2, None);
    }
}
