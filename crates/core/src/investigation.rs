//! Investigations of accidents [IMAS 10.60]: a demining accident opens one
//! when its report is approved (any other accident, by hand); a board of
//! inquiry is convened, sits, and concludes with its findings and
//! recommendations; a recommendation can become a non-conformity against
//! the organisation it concerns ([`crate::ncr`]). These are the rules over
//! plain data: the store loads an investigation's steps, asks, and records.
//!
//! ```
//! use safeground_core::investigation::{Investigation, Step};
//! use time::macros::date;
//! let mut i = Investigation::opened("BOI-2025-01", date!(2025 - 05 - 02), date!(2025 - 05 - 06));
//! let board = Step::Board {
//!     on: date!(2025 - 05 - 08),
//!     members: vec!["R. Mammadov (ANAMA), president".into(), "L. Quliyeva (NQMU)".into()],
//! };
//! assert!(i.check(&board, date!(2025 - 06 - 01)).is_ok());
//! i.apply(&board);
//! let early = Step::Conclude { on: date!(2025 - 05 - 07), findings: "drill not followed".into(), recommendations: vec![] };
//! assert!(i.check(&early, date!(2025 - 06 - 01)).is_err());
//! ```

use serde::Serialize;
use time::Date;

/// The fewest members a board of inquiry sits with.
pub const MIN_BOARD: usize = 2;

/// A step of an investigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The board of inquiry is convened: its members (name, organisation,
    /// role as written), from `on`.
    Board { on: Date, members: Vec<String> },
    /// The board concludes: what it found, and what it recommends.
    Conclude { on: Date, findings: String, recommendations: Vec<String> },
}

/// Where an investigation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Stage {
    /// Opened; no board yet.
    #[serde(rename = "AWAITING_BOARD")]
    AwaitingBoard,
    /// The board is sitting.
    #[serde(rename = "SITTING")]
    Sitting,
    #[serde(rename = "CONCLUDED")]
    Concluded,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::AwaitingBoard => "AWAITING_BOARD",
            Stage::Sitting => "SITTING",
            Stage::Concluded => "CONCLUDED",
        }
    }
}

/// An investigation as its steps made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Investigation {
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub accident_on: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub opened_on: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub convened_on: Option<Date>,
    pub board: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub concluded_on: Option<Date>,
    pub findings: Option<String>,
    /// Numbered from 1, as the board wrote them.
    pub recommendations: Vec<String>,
    pub stage: Stage,
}

impl Investigation {
    /// Opened on `opened_on` into the accident of `accident_on`.
    pub fn opened(code: &str, accident_on: Date, opened_on: Date) -> Investigation {
        Investigation {
            code: code.to_string(),
            accident_on,
            opened_on,
            convened_on: None,
            board: vec![],
            concluded_on: None,
            findings: None,
            recommendations: vec![],
            stage: Stage::AwaitingBoard,
        }
    }

    /// Whether `step` may be taken on `today`: every problem, or nothing.
    pub fn check(&self, step: &Step, today: Date) -> Result<(), Vec<String>> {
        let mut p = vec![];
        match step {
            Step::Board { on, members } => {
                match self.stage {
                    Stage::AwaitingBoard => {}
                    Stage::Sitting => p.push(format!("its board was convened on {}", fmt(self.convened_on))),
                    Stage::Concluded => p.push(format!("it was concluded on {}", fmt(self.concluded_on))),
                }
                if *on < self.accident_on {
                    p.push(format!("convened on {on}, before the accident ({})", self.accident_on));
                }
                let names: Vec<String> =
                    members.iter().map(|m| m.trim().to_lowercase()).filter(|m| !m.is_empty()).collect();
                if names.len() < MIN_BOARD {
                    p.push(format!("a board of inquiry sits with at least {MIN_BOARD} members (--member)"));
                }
                if let Some(twice) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
                    p.push(format!("member '{}' is named twice", twice.1));
                }
                future(&mut p, "convened", *on, today);
            }
            Step::Conclude { on, findings, recommendations } => {
                match (self.stage, self.convened_on) {
                    (Stage::AwaitingBoard, _) => {
                        p.push("no board has been convened: convene it first (`investigation board`)".into())
                    }
                    (Stage::Concluded, _) => {
                        p.push(format!("it was concluded on {}", fmt(self.concluded_on)))
                    }
                    (Stage::Sitting, Some(c)) if *on < c => {
                        p.push(format!("concluded on {on}, before its board was convened ({c})"))
                    }
                    _ => {}
                }
                if findings.trim().is_empty() {
                    p.push("write what the board found (--findings)".into());
                }
                if recommendations.iter().any(|r| r.trim().is_empty()) {
                    p.push("a recommendation is empty".into());
                }
                future(&mut p, "concluded", *on, today);
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(p)
        }
    }

    /// The investigation after `step` (checked before).
    pub fn apply(&mut self, step: &Step) {
        match step {
            Step::Board { on, members } => {
                self.convened_on = Some(*on);
                self.board = members.iter().map(|m| m.trim().to_string()).collect();
                self.stage = Stage::Sitting;
            }
            Step::Conclude { on, findings, recommendations } => {
                self.concluded_on = Some(*on);
                self.findings = Some(findings.trim().to_string());
                self.recommendations = recommendations.iter().map(|r| r.trim().to_string()).collect();
                self.stage = Stage::Concluded;
            }
        }
    }

    /// Recommendation `n` (from 1), to become a non-conformity: its text,
    /// or why not (not concluded, no such recommendation, raised already:
    /// `raised` holds the numbers already raised).
    pub fn recommendation(&self, n: usize, raised: &[usize]) -> Result<&str, String> {
        if self.stage != Stage::Concluded {
            return Err("it is not concluded: its recommendations are not made yet".to_string());
        }
        if raised.contains(&n) {
            return Err(format!("recommendation {n} is a non-conformity already"));
        }
        match n.checked_sub(1).and_then(|i| self.recommendations.get(i)) {
            Some(r) => Ok(r),
            None => Err(format!(
                "it made {} recommendation(s); there is no number {n}",
                self.recommendations.len()
            )),
        }
    }
}

/// Whether an investigation may be opened on `on` into the accident of
/// `accident_on`: every problem, or nothing (the store refuses a second one
/// into the same accident).
pub fn check_open(accident_on: Date, on: Date, today: Date) -> Result<(), Vec<String>> {
    let mut p = vec![];
    if on < accident_on {
        p.push(format!("opened on {on}, before the accident ({accident_on})"));
    }
    future(&mut p, "opened", on, today);
    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

fn fmt(d: Option<Date>) -> String {
    d.map_or("?".into(), |d| d.to_string())
}

fn future(p: &mut Vec<String>, what: &str, on: Date, today: Date) {
    if on > today {
        p.push(format!("{what} on {on}, after today ({today})"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 07 - 01);

    fn opened() -> Investigation {
        Investigation::opened("BOI-2025-01", date!(2025 - 05 - 02), date!(2025 - 05 - 06))
    }

    fn board(on: Date, members: &[&str]) -> Step {
        Step::Board { on, members: members.iter().map(|m| m.to_string()).collect() }
    }

    fn conclude(on: Date, findings: &str, recommendations: &[&str]) -> Step {
        Step::Conclude {
            on,
            findings: findings.into(),
            recommendations: recommendations.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn a_board_sits_with_two_members_at_least_each_once_from_the_accident_on() {
        let i = opened();
        assert!(i.check(&board(date!(2025 - 05 - 02), &["A", "B"]), TODAY).is_ok());
        assert!(i.check(&board(TODAY, &["A", "B", "C"]), TODAY).is_ok());
        assert_eq!(
            i.check(&board(TODAY, &["A", "  "]), TODAY).unwrap_err(),
            vec!["a board of inquiry sits with at least 2 members (--member)"]
        );
        assert_eq!(
            i.check(&board(TODAY, &["A", "b", " B "]), TODAY).unwrap_err(),
            vec!["member 'b' is named twice"]
        );
        assert!(i.check(&board(date!(2025 - 05 - 01), &["A", "B"]), TODAY).is_err());
        assert!(i.check(&board(date!(2025 - 07 - 02), &["A", "B"]), TODAY).is_err());
    }

    #[test]
    fn a_board_is_convened_once_and_concludes_once_after_it_sat() {
        let mut i = opened();
        let c = conclude(date!(2025 - 06 - 01), "prodder used at the wrong angle", &["retrain the section"]);
        assert_eq!(
            i.check(&c, TODAY).unwrap_err(),
            vec!["no board has been convened: convene it first (`investigation board`)"]
        );
        let b = board(date!(2025 - 05 - 10), &["A", "B"]);
        i.apply(&b);
        assert_eq!(i.stage, Stage::Sitting);
        assert!(i.check(&b, TODAY).is_err());
        assert!(i.check(&conclude(date!(2025 - 05 - 09), "x", &[]), TODAY).is_err());
        assert!(i.check(&conclude(date!(2025 - 05 - 10), "x", &[]), TODAY).is_ok());
        assert_eq!(
            i.check(&conclude(TODAY, " ", &["", "y"]), TODAY).unwrap_err(),
            vec!["write what the board found (--findings)", "a recommendation is empty"]
        );
        i.apply(&c);
        assert_eq!((i.stage, i.recommendations.len()), (Stage::Concluded, 1));
        assert!(i.check(&c, TODAY).is_err());
        assert!(i.check(&b, TODAY).is_err());
    }

    #[test]
    fn an_investigation_is_opened_from_the_accident_to_today() {
        let accident = date!(2025 - 05 - 02);
        assert!(check_open(accident, accident, TODAY).is_ok());
        assert!(check_open(accident, TODAY, TODAY).is_ok());
        assert!(check_open(accident, date!(2025 - 05 - 01), TODAY).is_err());
        assert!(check_open(accident, date!(2025 - 07 - 02), TODAY).is_err());
    }

    #[test]
    fn a_recommendation_becomes_one_non_conformity_once_concluded() {
        let mut i = opened();
        assert!(i.recommendation(1, &[]).is_err());
        i.apply(&board(date!(2025 - 05 - 10), &["A", "B"]));
        i.apply(&conclude(date!(2025 - 06 - 01), "found", &["retrain", "replace the detector"]));
        assert_eq!(i.recommendation(2, &[]), Ok("replace the detector"));
        assert_eq!(i.recommendation(2, &[2]).unwrap_err(), "recommendation 2 is a non-conformity already");
        assert_eq!(
            i.recommendation(3, &[]).unwrap_err(),
            "it made 2 recommendation(s); there is no number 3"
        );
        assert!(i.recommendation(0, &[]).is_err());
    }
}
