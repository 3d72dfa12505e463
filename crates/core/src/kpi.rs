//! Land-release key performance indicators over a period, grouped by
//! organisation, district, method or month: what donors and the Landmine
//! Monitor compare programmes by. Each indicator has one counting rule,
//! applied the same way in every grouping (docs/reporting.md):
//!
//! - **cancelled / reduced / cleared m²**: the released polygons' geodesic
//!   areas, by the day they were released;
//! - **items found**: EO items (quantities) found in the period;
//! - **cleared m² per item**: cleared area ÷ items found (none when nothing
//!   was found);
//! - **cleared without finds**: the share of the cleared area whose activity
//!   found no EO at all (the efficiency question);
//! - **tasks completed**, the share of them in which no EO was found, and the
//!   days from a task's issue to its completion (median and mean);
//! - **m² per hour worked**: released area ÷ hours, over activities that
//!   recorded their hours (the register records hours, not team-days).
//!
//! The store gathers the [`KpiFacts`]; [`kpis`] groups and computes.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

/// How the indicators are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum By {
    Organisation,
    District,
    /// The activity's method (MANUAL, MECHANICAL, DOGS), else its kind (NTS, TS, …).
    Method,
    /// `YYYY-MM`.
    Month,
}

/// Where a fact falls in each grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    pub organisation: String,
    pub district: String,
    pub method: String,
    /// The day it counts on.
    pub day: Date,
}

impl Keys {
    fn key(&self, by: By) -> String {
        match by {
            By::Organisation => self.organisation.clone(),
            By::District => self.district.clone(),
            By::Method => self.method.clone(),
            By::Month => format!("{:04}-{:02}", self.day.year(), u8::from(self.day.month())),
        }
    }
}

/// Ground released in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseFact {
    pub keys: Keys,
    pub outcome: crate::codes::ReleaseOutcome,
    pub area_m2: f64,
    pub activity: String,
}

/// EO found in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct FindFact {
    pub keys: Keys,
    pub quantity: i64,
    /// Its activity, when it was found in one.
    pub activity: Option<String>,
}

/// An activity that ended in the period, with its hours.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFact {
    pub keys: Keys,
    pub id: String,
    pub hours: Option<f64>,
}

/// A task completed in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFact {
    pub keys: Keys,
    pub issued_on: Date,
    /// Whether any of its activities found EO (at any time).
    pub found: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiFacts {
    pub releases: Vec<ReleaseFact>,
    pub finds: Vec<FindFact>,
    pub activities: Vec<ActivityFact>,
    pub tasks: Vec<TaskFact>,
    /// Activities that found EO at any time (for "cleared without finds").
    pub finding_activities: HashSet<String>,
}

/// One group's indicators.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpi {
    pub group: String,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub items_found: i64,
    pub cleared_m2_per_item: Option<f64>,
    /// 0 to 1.
    pub cleared_without_finds_share: Option<f64>,
    pub tasks_completed: usize,
    pub tasks_without_finds_share: Option<f64>,
    pub days_to_complete_median: Option<f64>,
    pub days_to_complete_mean: Option<f64>,
    pub hours_worked: f64,
    pub m2_per_hour: Option<f64>,
}

/// The indicators per group and in total.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpis {
    pub by: By,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
    pub groups: Vec<Kpi>,
    pub total: Kpi,
}

/// What one group adds up while the facts are read.
#[derive(Default)]
struct Tally {
    released: [f64; 3],
    cleared_without_finds: f64,
    items: i64,
    tasks: Vec<(i64, bool)>,
    hours: f64,
    released_by_hourly: f64,
}

/// The indicators of the facts, grouped `by`.
///
/// ```
/// use safeground_core::codes::ReleaseOutcome;
/// use safeground_core::kpi::{kpis, By, Keys, KpiFacts, ReleaseFact};
/// let day = time::macros::date!(2024 - 05 - 10);
/// let keys = Keys { organisation: "HALO".into(), district: "Ağdam".into(), method: "MANUAL".into(), day };
/// let facts = KpiFacts {
///     releases: vec![ReleaseFact { keys, outcome: ReleaseOutcome::Cleared, area_m2: 500.0, activity: "a".into() }],
///     ..KpiFacts::default()
/// };
/// let k = kpis(&facts, By::Month, (day, day));
/// assert_eq!((k.groups[0].group.as_str(), k.total.cleared_m2), ("2024-05", 500.0));
/// assert_eq!(k.total.cleared_without_finds_share, Some(1.0));
/// ```
pub fn kpis(facts: &KpiFacts, by: By, (from, to): (Date, Date)) -> Kpis {
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut each = |keys: &Keys, f: &mut dyn FnMut(&mut Tally)| {
        f(groups.entry(keys.key(by)).or_default());
        f(&mut total);
    };
    for r in &facts.releases {
        let i = match r.outcome {
            crate::codes::ReleaseOutcome::Cancelled => 0,
            crate::codes::ReleaseOutcome::Reduced => 1,
            crate::codes::ReleaseOutcome::Cleared => 2,
        };
        let none_found = r.outcome == crate::codes::ReleaseOutcome::Cleared
            && !facts.finding_activities.contains(&r.activity);
        each(&r.keys, &mut |t| {
            t.released[i] += r.area_m2;
            if none_found {
                t.cleared_without_finds += r.area_m2;
            }
        });
    }
    for f in &facts.finds {
        each(&f.keys, &mut |t| t.items += f.quantity);
    }
    let released_by: HashMap<&str, f64> = facts.releases.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r.activity.as_str()).or_default() += r.area_m2;
        m
    });
    for a in &facts.activities {
        if let Some(h) = a.hours.filter(|h| *h > 0.0) {
            let area = released_by.get(a.id.as_str()).copied().unwrap_or(0.0);
            each(&a.keys, &mut |t| {
                t.hours += h;
                t.released_by_hourly += area;
            });
        }
    }
    for task in &facts.tasks {
        let days = (task.keys.day - task.issued_on).whole_days();
        each(&task.keys, &mut |t| t.tasks.push((days, task.found)));
    }
    Kpis {
        by,
        from,
        to,
        groups: groups.into_iter().map(|(g, t)| indicators(g, t)).collect(),
        total: indicators("total".into(), total),
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn indicators(group: String, mut t: Tally) -> Kpi {
    let [cancelled, reduced, cleared] = t.released;
    t.tasks.sort_unstable();
    let n = t.tasks.len();
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(t.tasks[n / 2].0 as f64),
        _ => Some((t.tasks[n / 2 - 1].0 + t.tasks[n / 2].0) as f64 / 2.0),
    };
    let days: i64 = t.tasks.iter().map(|x| x.0).sum();
    let without = t.tasks.iter().filter(|x| !x.1).count();
    Kpi {
        group,
        cancelled_m2: cancelled,
        reduced_m2: reduced,
        cleared_m2: cleared,
        items_found: t.items,
        cleared_m2_per_item: ratio(cleared, t.items as f64),
        cleared_without_finds_share: ratio(t.cleared_without_finds, cleared),
        tasks_completed: n,
        tasks_without_finds_share: ratio(without as f64, n as f64),
        days_to_complete_median: median,
        days_to_complete_mean: ratio(days as f64, n as f64),
        hours_worked: t.hours,
        m2_per_hour: ratio(t.released_by_hourly, t.hours),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ReleaseOutcome;
    use time::macros::date;

    fn keys(org: &str, day: Date) -> Keys {
        Keys { organisation: org.into(), district: "Ağdam".into(), method: "MANUAL".into(), day }
    }

    fn release(org: &str, outcome: ReleaseOutcome, area: f64, activity: &str) -> ReleaseFact {
        ReleaseFact {
            keys: keys(org, date!(2024 - 03 - 01)),
            outcome,
            area_m2: area,
            activity: activity.into(),
        }
    }

    #[test]
    fn cleared_per_item_and_the_share_cleared_without_finds() {
        let facts = KpiFacts {
            releases: vec![
                release("A", ReleaseOutcome::Cleared, 300.0, "a1"),
                release("A", ReleaseOutcome::Cleared, 100.0, "a2"),
                release("A", ReleaseOutcome::Cancelled, 50.0, "a3"),
                release("B", ReleaseOutcome::Reduced, 70.0, "b1"),
            ],
            finds: vec![FindFact {
                keys: keys("A", date!(2024 - 03 - 02)),
                quantity: 4,
                activity: Some("a2".into()),
            }],
            finding_activities: ["a2".to_string()].into_iter().collect(),
            ..KpiFacts::default()
        };
        let k = kpis(&facts, By::Organisation, (date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        let a = &k.groups[0];
        assert_eq!((a.group.as_str(), a.cleared_m2, a.cancelled_m2, a.items_found), ("A", 400.0, 50.0, 4));
        assert_eq!(a.cleared_m2_per_item, Some(100.0));
        assert_eq!(a.cleared_without_finds_share, Some(0.75));
        let b = &k.groups[1];
        assert_eq!((b.reduced_m2, b.cleared_m2_per_item, b.cleared_without_finds_share), (70.0, None, None));
        assert_eq!(k.total.reduced_m2 + k.total.cleared_m2 + k.total.cancelled_m2, 520.0);
    }

    #[test]
    fn days_to_complete_median_of_an_even_count_and_the_share_without_finds() {
        let task =
            |issued, found| TaskFact { keys: keys("A", date!(2024 - 03 - 11)), issued_on: issued, found };
        let facts = KpiFacts {
            tasks: vec![task(date!(2024 - 03 - 01), true), task(date!(2024 - 02 - 10), false)],
            ..KpiFacts::default()
        };
        let k = kpis(&facts, By::District, (date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        assert_eq!(k.total.tasks_completed, 2);
        // 10 and 30 days (2024 is a leap year).
        assert_eq!(k.total.days_to_complete_median, Some(20.0));
        assert_eq!(k.total.days_to_complete_mean, Some(20.0));
        assert_eq!(k.total.tasks_without_finds_share, Some(0.5));
    }

    #[test]
    fn area_per_hour_counts_only_activities_that_recorded_hours() {
        let facts = KpiFacts {
            releases: vec![
                release("A", ReleaseOutcome::Cleared, 800.0, "a1"),
                release("A", ReleaseOutcome::Cleared, 500.0, "a2"),
            ],
            activities: vec![
                ActivityFact { keys: keys("A", date!(2024 - 03 - 01)), id: "a1".into(), hours: Some(16.0) },
                ActivityFact { keys: keys("A", date!(2024 - 03 - 01)), id: "a2".into(), hours: None },
            ],
            ..KpiFacts::default()
        };
        let k = kpis(&facts, By::Method, (date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        assert_eq!((k.total.hours_worked, k.total.m2_per_hour), (16.0, Some(50.0)));
        assert_eq!(k.groups[0].group, "MANUAL");
    }
}
