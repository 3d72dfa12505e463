//! Non-conformities [IMAS 07.12]: a finding against an organisation's work —
//! raised from a report (a failed quality-control inspection raises one by
//! itself) or an accident — graded, answered by the organisation with its root
//! cause and its corrective and preventive actions, and closed only when a
//! quality-management officer has verified them.
//!
//! A non-conformity is kept as it was raised and every later step as an entry
//! of its own (answered, closed), so that each is sealed once in the history;
//! [`NonConformity::apply`] folds the steps into its state.
//!
//! ```
//! use safeground_core::codes::NcrGrade;
//! use safeground_core::ncr::{NonConformity, Step};
//! use time::macros::date;
//! let mut n = NonConformity::raised("NCR-2026-0001", NcrGrade::Major, "lane 4 not searched to 13 cm", date!(2026 - 03 - 02), None);
//! assert_eq!(n.due_on, date!(2026 - 04 - 01)); // a major one: 30 days
//! assert!(n.check(&Step::Close { on: date!(2026 - 03 - 20), verification: "re-inspected".into() }).is_err());
//! let answer = Step::Answer { root_cause: Some("detector not calibrated".into()),
//!     corrective: Some("lane re-cleared".into()), preventive: Some("daily calibration log".into()), due_on: None };
//! n.apply(&answer);
//! n.apply(&Step::Close { on: date!(2026 - 03 - 20), verification: "lane 4 re-inspected: pass".into() });
//! assert!(n.is_closed() && !n.overdue(date!(2026 - 05 - 01)));
//! ```

use crate::codes::NcrGrade;
use time::{Date, Duration};

/// A non-conformity's state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NonConformity {
    pub code: String,
    pub grade: NcrGrade,
    pub finding: String,
    pub raised_on: Date,
    pub due_on: Date,
    pub root_cause: Option<String>,
    pub corrective: Option<String>,
    pub preventive: Option<String>,
    pub closed_on: Option<Date>,
    pub verification: Option<String>,
}

/// A step after it was raised.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The organisation's answer (what is given replaces what was), or a new due date.
    Answer {
        root_cause: Option<String>,
        corrective: Option<String>,
        preventive: Option<String>,
        due_on: Option<Date>,
    },
    /// Verified by a QM officer and closed.
    Close { on: Date, verification: String },
}

/// Days an organisation has to answer and act, by grade, unless the officer
/// sets a due date: critical 7, major 30, minor 90.
pub fn days_to_act(grade: NcrGrade) -> i64 {
    match grade {
        NcrGrade::Critical => 7,
        NcrGrade::Major => 30,
        NcrGrade::Minor => 90,
    }
}

fn text(t: &Option<String>) -> Option<&str> {
    t.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl NonConformity {
    /// As raised on `raised_on`, due `due_on` or by [`days_to_act`].
    pub fn raised(code: &str, grade: NcrGrade, finding: &str, raised_on: Date, due_on: Option<Date>) -> Self {
        NonConformity {
            code: code.to_string(),
            grade,
            finding: finding.trim().to_string(),
            raised_on,
            due_on: due_on.unwrap_or_else(|| {
                raised_on.checked_add(Duration::days(days_to_act(grade))).unwrap_or(Date::MAX)
            }),
            root_cause: None,
            corrective: None,
            preventive: None,
            closed_on: None,
            verification: None,
        }
    }

    /// What is wrong with raising it so.
    pub fn problems(&self) -> Vec<String> {
        let mut p = vec![];
        if self.finding.is_empty() {
            p.push("finding: say what was found not to conform".into());
        }
        if self.due_on < self.raised_on {
            p.push(format!("due {} before it was raised ({})", self.due_on, self.raised_on));
        }
        p
    }

    pub fn is_closed(&self) -> bool {
        self.closed_on.is_some()
    }

    /// Open past its due date.
    pub fn overdue(&self, today: Date) -> bool {
        !self.is_closed() && today > self.due_on
    }

    /// Why `step` cannot be taken now (`Ok`: it can).
    pub fn check(&self, step: &Step) -> Result<(), Vec<String>> {
        let mut p = vec![];
        if self.is_closed() {
            p.push(format!(
                "{} was closed on {}; raise a new one",
                self.code,
                self.closed_on.unwrap_or(self.raised_on)
            ));
        }
        match step {
            Step::Answer { root_cause, corrective, preventive, due_on } => {
                if [root_cause, corrective, preventive].iter().all(|t| text(t).is_none()) && due_on.is_none()
                {
                    p.push("give a root cause, a corrective or preventive action, or a new due date".into());
                }
                if let Some(d) = due_on.filter(|d| *d < self.raised_on) {
                    p.push(format!("due {d} before it was raised ({})", self.raised_on));
                }
            }
            Step::Close { on, verification } => {
                if text(&self.root_cause).is_none() {
                    p.push("no root cause is recorded: the organisation answers first".into());
                }
                if text(&self.corrective).is_none() {
                    p.push("no corrective action is recorded: the organisation answers first".into());
                }
                if verification.trim().is_empty() {
                    p.push("say how the corrective action was verified".into());
                }
                if *on < self.raised_on {
                    p.push(format!("closed on {on}, before it was raised ({})", self.raised_on));
                }
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(p)
        }
    }

    /// Takes a step (checked or not: the history replays what was taken).
    pub fn apply(&mut self, step: &Step) {
        match step {
            Step::Answer { root_cause, corrective, preventive, due_on } => {
                let keep = |old: &mut Option<String>, new: &Option<String>| {
                    if let Some(t) = text(new) {
                        *old = Some(t.to_string());
                    }
                };
                keep(&mut self.root_cause, root_cause);
                keep(&mut self.corrective, corrective);
                keep(&mut self.preventive, preventive);
                if let Some(d) = due_on {
                    self.due_on = *d;
                }
            }
            Step::Close { on, verification } => {
                self.closed_on = Some(*on);
                self.verification = Some(verification.trim().to_string());
            }
        }
    }
}

/// Non-conformities of one organisation, and their rate.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub organisation: String,
    pub critical: i64,
    pub major: i64,
    pub minor: i64,
    pub open: i64,
    pub overdue: i64,
    /// Its approved work reports (survey, clearance, EOD), all told.
    pub reports: i64,
    /// Non-conformities per 100 approved work reports (`None` without any).
    pub per_100_reports: Option<f64>,
}

/// The rate per organisation: (organisation, its non-conformities) and its
/// approved work reports; organisations with neither are left out.
pub fn rates(by_org: &[(String, Vec<NonConformity>, i64)], today: Date) -> Vec<Rate> {
    by_org
        .iter()
        .filter(|(_, n, reports)| !n.is_empty() || *reports > 0)
        .map(|(org, n, reports)| {
            let count = |g: NcrGrade| n.iter().filter(|x| x.grade == g).count() as i64;
            Rate {
                organisation: org.clone(),
                critical: count(NcrGrade::Critical),
                major: count(NcrGrade::Major),
                minor: count(NcrGrade::Minor),
                open: n.iter().filter(|x| !x.is_closed()).count() as i64,
                overdue: n.iter().filter(|x| x.overdue(today)).count() as i64,
                reports: *reports,
                per_100_reports: (*reports > 0).then(|| 100.0 * n.len() as f64 / *reports as f64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ncr(grade: NcrGrade) -> NonConformity {
        NonConformity::raised("NCR-1", grade, "finding", date!(2026 - 01 - 10), None)
    }

    fn answer() -> Step {
        Step::Answer {
            root_cause: Some("cause".into()),
            corrective: Some("fixed".into()),
            preventive: None,
            due_on: None,
        }
    }

    #[test]
    fn due_dates_by_grade_and_the_day_after_is_overdue() {
        assert_eq!(ncr(NcrGrade::Critical).due_on, date!(2026 - 01 - 17));
        assert_eq!(ncr(NcrGrade::Minor).due_on, date!(2026 - 04 - 10));
        let n = ncr(NcrGrade::Major);
        assert_eq!(n.due_on, date!(2026 - 02 - 09));
        assert!(!n.overdue(date!(2026 - 02 - 09)));
        assert!(n.overdue(date!(2026 - 02 - 10)));
    }

    #[test]
    fn raising_needs_a_finding_and_a_due_date_not_before_it() {
        let mut n = NonConformity::raised("NCR-1", NcrGrade::Minor, "  ", date!(2026 - 01 - 10), None);
        n.due_on = date!(2026 - 01 - 09);
        assert_eq!(n.problems().len(), 2);
        let same_day = NonConformity::raised(
            "N",
            NcrGrade::Minor,
            "f",
            date!(2026 - 01 - 10),
            Some(date!(2026 - 01 - 10)),
        );
        assert!(same_day.problems().is_empty());
    }

    #[test]
    fn closing_needs_the_answer_and_a_verification() {
        let mut n = ncr(NcrGrade::Major);
        let close = Step::Close { on: date!(2026 - 01 - 10), verification: "checked".into() };
        let e = n.check(&close).unwrap_err();
        assert!(e.iter().any(|p| p.contains("root cause")) && e.iter().any(|p| p.contains("corrective")));
        n.apply(&answer());
        assert!(n.check(&close).is_ok(), "closed the day it was raised");
        assert!(n.check(&Step::Close { on: date!(2026 - 01 - 09), verification: "x".into() }).is_err());
        assert!(n.check(&Step::Close { on: date!(2026 - 01 - 11), verification: " ".into() }).is_err());
        n.apply(&close);
        assert!(n.check(&answer()).unwrap_err()[0].contains("was closed on 2026-01-10"));
        assert!(!n.overdue(date!(2030 - 01 - 01)));
    }

    #[test]
    fn an_answer_says_something_and_keeps_what_it_does_not_replace() {
        let mut n = ncr(NcrGrade::Minor);
        let empty =
            Step::Answer { root_cause: Some(" ".into()), corrective: None, preventive: None, due_on: None };
        assert!(n.check(&empty).is_err());
        n.apply(&answer());
        n.apply(&Step::Answer {
            root_cause: None,
            corrective: None,
            preventive: Some("training".into()),
            due_on: Some(date!(2026 - 05 - 01)),
        });
        assert_eq!((n.root_cause.as_deref(), n.preventive.as_deref()), (Some("cause"), Some("training")));
        assert_eq!(n.due_on, date!(2026 - 05 - 01));
        let early = Step::Answer {
            root_cause: None,
            corrective: None,
            preventive: None,
            due_on: Some(date!(2026 - 01 - 01)),
        };
        assert!(n.check(&early).is_err());
    }

    #[test]
    fn rates_per_hundred_reports() {
        let today = date!(2026 - 06 - 01);
        let mut closed = ncr(NcrGrade::Minor);
        closed.apply(&answer());
        closed.apply(&Step::Close { on: date!(2026 - 02 - 01), verification: "ok".into() });
        let rows = vec![
            ("QHD".to_string(), vec![ncr(NcrGrade::Critical), closed], 40),
            ("AMC".to_string(), vec![], 10),
            ("NONE".to_string(), vec![], 0),
            ("NEW".to_string(), vec![ncr(NcrGrade::Major)], 0),
        ];
        let r = rates(&rows, today);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].critical, r[0].minor, r[0].open, r[0].overdue), (1, 1, 1, 1));
        assert_eq!(r[0].per_100_reports, Some(5.0));
        assert_eq!(r[1].per_100_reports, Some(0.0));
        assert_eq!(r[2].per_100_reports, None);
    }
}
