//! Who may do what: roles, the acting principal, and [`decide`], the one
//! place every API route and every CLI write asks.
//!
//! Access is denied by default: an action not granted below is refused.
//! Victims' personal data is never granted by a role alone; it needs the
//! account's explicit `personal_data` permission, which no viewer can hold.
//!
//! ```
//! use safeground_core::access::{decide, Action, Principal, Role, Scope};
//! let viewer = Principal::user("ana", Role::Viewer, None, false);
//! assert!(decide(&viewer, Action::ReadRegister, Scope::Any).is_ok());
//! assert!(decide(&viewer, Action::DecideReport, Scope::Any).is_err());
//! ```

pub use crate::codes::Role;
use crate::report::ReportType;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

impl Role {
    /// The code as the web application writes it (`im_officer`).
    pub fn web_code(self) -> String {
        self.code().to_ascii_lowercase()
    }
}

/// Something a principal asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the register: hazards, summaries, layers, tiles, history (no personal data).
    ReadRegister,
    /// Read field reports (operators: their organisation's only).
    ReadReports,
    /// Submit a report (operators: for their organisation; QM officers: inspections).
    SubmitReport,
    /// Approve, reject or unapprove reports; dry-run approval checks.
    DecideReport,
    /// Issue a task to an operator.
    IssueTask,
    /// Import a file into the register.
    Import,
    /// Export layers of the register.
    Export,
    /// Read victims' names and contacts.
    ReadPersonal,
    /// Add, change and disable accounts; issue API tokens to others.
    ManageUsers,
    /// Change one's own password, issue one's own tokens.
    ManageSelf,
    /// Keep the reference data: organisations (administrators).
    ManageReference,
    /// Raise a non-conformity against an organisation's work.
    RaiseNonConformity,
    /// Answer a non-conformity: root cause, corrective and preventive actions
    /// (operators: their organisation's; IM officers record an answer given
    /// on paper; never the QM officer who verifies it).
    AnswerNonConformity,
    /// Close a non-conformity once its corrective action is verified (QM officers).
    CloseNonConformity,
    /// Open an investigation of an accident, convene its board, record its
    /// conclusion (IM and QM officers).
    Investigate,
    /// Record victims' consent and assistance follow-ups: personal data, so
    /// the permission as for reading it, and the authority's officers only.
    RecordAssistance,
}

impl Action {
    /// Every action, for tables that must cover them all.
    pub const ALL: &'static [Action] = &[
        Action::ReadRegister,
        Action::ReadReports,
        Action::SubmitReport,
        Action::DecideReport,
        Action::IssueTask,
        Action::Import,
        Action::Export,
        Action::ReadPersonal,
        Action::ManageUsers,
        Action::ManageSelf,
        Action::ManageReference,
        Action::RaiseNonConformity,
        Action::AnswerNonConformity,
        Action::CloseNonConformity,
        Action::Investigate,
        Action::RecordAssistance,
    ];

    fn describe(self) -> &'static str {
        match self {
            Action::ReadRegister => "read the register",
            Action::ReadReports => "read reports",
            Action::SubmitReport => "submit reports",
            Action::DecideReport => "approve, reject or unapprove reports",
            Action::IssueTask => "issue tasks",
            Action::Import => "import into the register",
            Action::Export => "export the register",
            Action::ReadPersonal => "read victims' personal data",
            Action::ManageUsers => "manage accounts",
            Action::ManageSelf => "manage their own account",
            Action::ManageReference => "keep the reference data (organisations)",
            Action::RaiseNonConformity => "raise non-conformities",
            Action::AnswerNonConformity => "answer non-conformities",
            Action::CloseNonConformity => "close non-conformities",
            Action::Investigate => "investigate accidents",
            Action::RecordAssistance => "record victim assistance",
        }
    }
}

/// What an action is about, where the answer depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Nothing in particular (or a check before the record is known).
    Any,
    /// A record of this organisation (a report, a task).
    Organisation(Uuid),
    /// The records of every organisation at once (a field copy holds every
    /// organisation's reports on its ground).
    EveryOrganisation,
    /// A report of this organisation and type, being submitted.
    Report { organisation: Uuid, report_type: ReportType },
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The account; `None` when acting locally on a register without accounts.
    pub user_id: Option<Uuid>,
    /// The name recorded in the history.
    pub name: String,
    pub role: Role,
    /// The operator's organisation (required for operators).
    pub organisation: Option<Uuid>,
    /// Explicitly allowed to read victims' personal data.
    pub personal_data: bool,
}

impl Principal {
    /// An account holder.
    pub fn user(name: &str, role: Role, organisation: Option<Uuid>, personal_data: bool) -> Principal {
        Principal { user_id: None, name: name.to_string(), role, organisation, personal_data }
    }

    /// The person at the keyboard of a register that has no accounts yet (a
    /// field laptop): it is theirs, so they may do everything. The server only
    /// serves such a register to this machine.
    pub fn local(name: &str) -> Principal {
        Principal {
            user_id: None,
            name: name.to_string(),
            role: Role::Administrator,
            organisation: None,
            personal_data: true,
        }
    }

    /// Whether this principal acts without an account.
    pub fn is_local(&self) -> bool {
        self.user_id.is_none()
    }
}

/// A refusal, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} ({role}) may not {what}{detail}")]
pub struct Denied {
    pub name: String,
    pub role: Role,
    pub what: &'static str,
    pub detail: String,
}

/// Whether `p` may submit a report of `organisation` and `report_type` —
/// what a sync or a bundle's import asks of each report it stores — and
/// why not, as the report's refusal says it.
pub fn may_submit(p: &Principal, organisation: Uuid, report_type: ReportType) -> Result<(), String> {
    decide(p, Action::SubmitReport, Scope::Report { organisation, report_type })
        .map_err(|d| format!("denied: {d}"))
}

/// Whether `p` may do `action` on `scope`. The one decision every route and
/// CLI write passes through.
pub fn decide(p: &Principal, action: Action, scope: Scope) -> Result<(), Denied> {
    use Action::*;
    use Role::*;
    let deny = |detail: &str| {
        Err(Denied {
            name: p.name.clone(),
            role: p.role,
            what: action.describe(),
            detail: detail.to_string(),
        })
    };
    // Personal data: the explicit permission, never a role alone.
    if action == ReadPersonal {
        return if p.personal_data && p.role != Viewer {
            Ok(())
        } else {
            deny(" without the personal-data permission")
        };
    }
    if action == RecordAssistance {
        return match (p.role, p.personal_data) {
            (Administrator | ImOfficer, true) => Ok(()),
            (Administrator | ImOfficer, false) => deny(" without the personal-data permission"),
            _ => deny(
                " (the authority's IM officers and administrators do, with the personal-data permission)",
            ),
        };
    }
    let granted = matches!(
        (p.role, action),
        (Administrator, _)
            | (_, ReadRegister | ManageSelf)
            | (ImOfficer, ReadReports | SubmitReport | DecideReport | IssueTask | Import | Export)
            | (ImOfficer | QmOfficer, RaiseNonConformity | Investigate)
            | (ImOfficer, AnswerNonConformity)
            | (QmOfficer, CloseNonConformity)
            | (Operator, AnswerNonConformity)
            | (QmOfficer | Operator, ReadReports | SubmitReport | Export)
            | (Viewer, Export)
    );
    if !granted {
        return deny("");
    }
    match (p.role, action, scope) {
        (
            Operator,
            ReadReports | SubmitReport | AnswerNonConformity,
            Scope::Organisation(o) | Scope::Report { organisation: o, .. },
        ) if p.organisation != Some(o) => deny(" of another organisation"),
        (Operator, ReadReports | SubmitReport | AnswerNonConformity, Scope::EveryOrganisation) => {
            deny(" of every organisation (an operator reads its own organisation's)")
        }
        (Operator | QmOfficer, SubmitReport, Scope::Report { report_type, .. }) => {
            let inspection = report_type == ReportType::QmInspection;
            match (p.role, inspection) {
                (Operator, true) => deny(" of type QM_INSPECTION (QM officers inspect)"),
                (QmOfficer, false) => deny(&format!(" of type {} (only QM_INSPECTION)", report_type.code())),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, org: Option<Uuid>, personal: bool) -> Principal {
        Principal::user("x", role, org, personal)
    }

    #[test]
    fn every_role_and_action_has_one_answer() {
        let org = Uuid::from_u128(1);
        // role → actions granted on Scope::Any.
        let table: &[(Role, &[Action])] = &[
            (
                Role::Administrator,
                &[
                    Action::ReadRegister,
                    Action::ReadReports,
                    Action::SubmitReport,
                    Action::DecideReport,
                    Action::IssueTask,
                    Action::Import,
                    Action::Export,
                    Action::ManageUsers,
                    Action::ManageSelf,
                    Action::ManageReference,
                    Action::RaiseNonConformity,
                    Action::AnswerNonConformity,
                    Action::CloseNonConformity,
                    Action::Investigate,
                ],
            ),
            (
                Role::ImOfficer,
                &[
                    Action::ReadRegister,
                    Action::ReadReports,
                    Action::SubmitReport,
                    Action::DecideReport,
                    Action::IssueTask,
                    Action::Import,
                    Action::Export,
                    Action::ManageSelf,
                    Action::RaiseNonConformity,
                    Action::AnswerNonConformity,
                    Action::Investigate,
                ],
            ),
            (
                Role::Operator,
                &[
                    Action::ReadRegister,
                    Action::ReadReports,
                    Action::SubmitReport,
                    Action::Export,
                    Action::ManageSelf,
                    Action::AnswerNonConformity,
                ],
            ),
            (
                Role::QmOfficer,
                &[
                    Action::ReadRegister,
                    Action::ReadReports,
                    Action::SubmitReport,
                    Action::Export,
                    Action::ManageSelf,
                    Action::RaiseNonConformity,
                    Action::CloseNonConformity,
                    Action::Investigate,
                ],
            ),
            (Role::Viewer, &[Action::ReadRegister, Action::Export, Action::ManageSelf]),
        ];
        for (role, granted) in table {
            for a in Action::ALL {
                let got = decide(&p(*role, Some(org), false), *a, Scope::Any).is_ok();
                assert_eq!(got, granted.contains(a), "{role} {a:?}");
            }
        }
    }

    #[test]
    fn personal_data_needs_the_permission_whatever_the_role() {
        for role in Role::ALL {
            assert!(decide(&p(*role, None, false), Action::ReadPersonal, Scope::Any).is_err(), "{role}");
            let with = decide(&p(*role, None, true), Action::ReadPersonal, Scope::Any).is_ok();
            assert_eq!(with, *role != Role::Viewer, "{role}");
        }
    }

    #[test]
    fn assistance_is_recorded_by_the_authoritys_officers_with_the_permission() {
        for role in Role::ALL {
            assert!(decide(&p(*role, None, false), Action::RecordAssistance, Scope::Any).is_err(), "{role}");
            let with = decide(&p(*role, None, true), Action::RecordAssistance, Scope::Any).is_ok();
            assert_eq!(with, matches!(role, Role::Administrator | Role::ImOfficer), "{role}");
        }
        let e = decide(&p(Role::Operator, None, true), Action::RecordAssistance, Scope::Any).unwrap_err();
        assert!(e.to_string().contains("IM officers and administrators"), "{e}");
    }

    #[test]
    fn every_organisations_reports_are_read_by_the_authority_only() {
        let org = Some(Uuid::from_u128(1));
        let every =
            |role| decide(&p(role, org, false), Action::ReadReports, Scope::EveryOrganisation).is_ok();
        assert!(every(Role::Administrator) && every(Role::ImOfficer) && every(Role::QmOfficer));
        assert!(!every(Role::Operator) && !every(Role::Viewer));
        let e = decide(&p(Role::Operator, org, false), Action::ReadReports, Scope::EveryOrganisation)
            .unwrap_err();
        assert!(e.to_string().contains("of every organisation"), "{e}");
    }

    #[test]
    fn operators_stay_in_their_organisation_and_qm_officers_inspect() {
        let (mine, theirs) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let op = p(Role::Operator, Some(mine), false);
        assert!(decide(&op, Action::ReadReports, Scope::Organisation(mine)).is_ok());
        let e = decide(&op, Action::ReadReports, Scope::Organisation(theirs)).unwrap_err();
        assert_eq!(e.to_string(), "x (OPERATOR) may not read reports of another organisation");
        let nts = |o| Scope::Report { organisation: o, report_type: ReportType::Nts };
        let qm = |o| Scope::Report { organisation: o, report_type: ReportType::QmInspection };
        assert!(decide(&op, Action::SubmitReport, nts(mine)).is_ok());
        assert!(decide(&op, Action::SubmitReport, nts(theirs)).is_err());
        assert!(decide(&op, Action::SubmitReport, qm(mine)).is_err());
        let q = p(Role::QmOfficer, None, false);
        assert!(decide(&q, Action::SubmitReport, qm(theirs)).is_ok());
        assert!(decide(&q, Action::SubmitReport, nts(theirs)).is_err());
        let im = p(Role::ImOfficer, None, false);
        assert!(decide(&im, Action::SubmitReport, nts(theirs)).is_ok());
    }

    #[test]
    fn a_local_principal_may_do_everything() {
        let l = Principal::local("field laptop");
        for a in Action::ALL {
            assert!(decide(&l, *a, Scope::Any).is_ok(), "{a:?}");
        }
    }
}
