//! Tasking: the authority gives a hazard to an organisation for an
//! activity [IMAS 07.11]. Whether a task may be issued, whether it is
//! overdue, and the code it is given.

use crate::codes::{HazardStatus, TaskStatus};
use time::Date;

/// Every problem with a task about to be issued on `issued_on`, due on
/// `due_on`, for a hazard whose status is `hazard`, on `today`.
///
/// ```
/// use safeground_core::codes::HazardStatus;
/// use safeground_core::task::problems;
/// use time::macros::date;
/// let today = date!(2025 - 03 - 10);
/// assert!(problems(today, Some(today), HazardStatus::Open, today).is_empty());
/// let p = problems(today, Some(date!(2025 - 03 - 09)), HazardStatus::Closed, today);
/// assert_eq!(p.len(), 2);
/// ```
pub fn problems(issued_on: Date, due_on: Option<Date>, hazard: HazardStatus, today: Date) -> Vec<String> {
    let mut out = vec![];
    if issued_on > today {
        out.push(format!(
            "issued: {issued_on} is after today ({today}); a task is recorded when it is given"
        ));
    }
    if let Some(due) = due_on.filter(|d| *d < issued_on) {
        out.push(format!("due: the task would be due ({due}) before it is issued ({issued_on})"));
    }
    if matches!(hazard, HazardStatus::Closed | HazardStatus::HandedOver) {
        out.push(format!(
            "hazard: it is {} — no ground is left to task; re-open it by an inspection or a new survey first",
            hazard.code()
        ));
    }
    out
}

/// Whether a task in `status`, due on `due_on`, is overdue on `today`: still
/// open (issued or in progress) after its last day.
///
/// ```
/// use safeground_core::codes::TaskStatus;
/// use safeground_core::task::overdue;
/// use time::macros::date;
/// let due = Some(date!(2025 - 03 - 10));
/// assert!(!overdue(TaskStatus::InProgress, due, date!(2025 - 03 - 10)));
/// assert!(overdue(TaskStatus::InProgress, due, date!(2025 - 03 - 11)));
/// assert!(!overdue(TaskStatus::Completed, due, date!(2025 - 03 - 11)));
/// ```
pub fn overdue(status: TaskStatus, due_on: Option<Date>, today: Date) -> bool {
    matches!(status, TaskStatus::Issued | TaskStatus::InProgress) && due_on.is_some_and(|d| d < today)
}

/// Every problem with cancelling a task in `status`, issued on `issued_on`,
/// from day `on` (checked on `today`), for `reason`, when the approved work
/// under it ends on `worked_to` (none: no approved work): a cancellation
/// never falls before work the register already holds.
///
/// ```
/// use safeground_core::codes::TaskStatus;
/// use safeground_core::task::cancellation_problems;
/// use time::macros::date;
/// let (issued, today) = (date!(2025 - 01 - 10), date!(2025 - 03 - 10));
/// assert!(cancellation_problems(TaskStatus::InProgress, issued, today, today, "operator withdrawn", None).is_empty());
/// assert_eq!(cancellation_problems(TaskStatus::Completed, issued, today, today, "", None).len(), 2);
/// ```
pub fn cancellation_problems(
    status: TaskStatus,
    issued_on: Date,
    on: Date,
    today: Date,
    reason: &str,
    worked_to: Option<Date>,
) -> Vec<String> {
    let mut out = vec![];
    match status {
        TaskStatus::Completed => out.push("status: it is completed; the work it asked for is done".into()),
        TaskStatus::Cancelled => out.push("status: it is cancelled already".into()),
        TaskStatus::Issued | TaskStatus::InProgress => {}
    }
    if on < issued_on {
        out.push(format!("on: {on} is before the task was issued ({issued_on})"));
    }
    if on > today {
        out.push(format!("on: {on} is after today ({today}); cancel it on the day it is called off"));
    }
    if reason.trim().is_empty() {
        out.push("reason: say why the task is called off".into());
    }
    if let Some(end) = worked_to.filter(|end| on < *end) {
        out.push(format!("on: approved work under it ran to {end}; cancel it from that day or later"));
    }
    out
}

/// The code a new task of `hazard` is given when none is named: `T-<hazard>`,
/// then `T-<hazard>-2`, `-3`, … — the first that `taken` does not hold.
///
/// ```
/// use safeground_core::task::next_code;
/// assert_eq!(next_code("AZ-AM-000001", |_| false), "T-AZ-AM-000001");
/// assert_eq!(next_code("AZ-AM-000001", |c| c == "T-AZ-AM-000001"), "T-AZ-AM-000001-2");
/// ```
pub fn next_code(hazard: &str, taken: impl Fn(&str) -> bool) -> String {
    let first = format!("T-{hazard}");
    if !taken(&first) {
        return first;
    }
    (2..).map(|n| format!("{first}-{n}")).find(|c| !taken(c)).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 03 - 10);

    #[test]
    fn a_task_issued_today_due_today_is_accepted() {
        assert!(problems(TODAY, Some(TODAY), HazardStatus::WorkedOn, TODAY).is_empty());
        assert!(problems(TODAY, None, HazardStatus::Open, TODAY).is_empty());
    }

    #[test]
    fn a_task_issued_tomorrow_or_due_before_it_is_issued_is_refused() {
        let p = problems(date!(2025 - 03 - 11), None, HazardStatus::Open, TODAY);
        assert!(p[0].contains("after today"), "{p:?}");
        let p = problems(TODAY, Some(date!(2025 - 03 - 09)), HazardStatus::Open, TODAY);
        assert!(p[0].contains("due (2025-03-09) before it is issued (2025-03-10)"), "{p:?}");
    }

    #[test]
    fn released_ground_is_not_tasked() {
        for s in [HazardStatus::Closed, HazardStatus::HandedOver] {
            let p = problems(TODAY, None, s, TODAY);
            assert!(p.len() == 1 && p[0].contains("no ground is left"), "{p:?}");
        }
    }

    #[test]
    fn overdue_counts_from_the_day_after_the_last() {
        let due = Some(TODAY);
        let next = date!(2025 - 03 - 11);
        assert!(!overdue(TaskStatus::Issued, due, TODAY));
        assert!(overdue(TaskStatus::Issued, due, next));
        assert!(!overdue(TaskStatus::Cancelled, due, next));
        assert!(!overdue(TaskStatus::Issued, None, next));
    }

    #[test]
    fn only_an_open_task_is_cancelled_between_its_issue_and_today() {
        let issued = date!(2025 - 01 - 10);
        assert!(cancellation_problems(TaskStatus::Issued, issued, issued, TODAY, "x", None).is_empty());
        assert!(cancellation_problems(TaskStatus::Issued, issued, TODAY, TODAY, "x", None).is_empty());
        let p = cancellation_problems(TaskStatus::Issued, issued, date!(2025 - 01 - 09), TODAY, "x", None);
        assert!(p.len() == 1 && p[0].contains("before the task was issued"), "{p:?}");
        let p =
            cancellation_problems(TaskStatus::InProgress, issued, date!(2025 - 03 - 11), TODAY, "x", None);
        assert!(p.len() == 1 && p[0].contains("after today"), "{p:?}");
        let p = cancellation_problems(TaskStatus::Cancelled, issued, TODAY, TODAY, " ", None);
        assert_eq!(p.len(), 2, "{p:?}");
        // Never before the approved work: from its last day it may.
        let worked = Some(date!(2025 - 02 - 20));
        let p =
            cancellation_problems(TaskStatus::InProgress, issued, date!(2025 - 02 - 19), TODAY, "x", worked);
        assert!(p.len() == 1 && p[0].contains("ran to 2025-02-20"), "{p:?}");
        let p =
            cancellation_problems(TaskStatus::InProgress, issued, date!(2025 - 02 - 20), TODAY, "x", worked);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn codes_count_on_past_those_taken() {
        let taken = ["T-H", "T-H-2", "T-H-3"];
        assert_eq!(next_code("H", |c| taken.contains(&c)), "T-H-4");
    }
}
