//! Victim assistance [IMAS 13.10]: the follow-ups a victim receives
//! (medical care, rehabilitation, psychosocial support, economic inclusion,
//! referral), each resting on consent in force on its day.
//!
//! Consent is recorded before anything is followed up: given by the person,
//! by a parent or guardian for a child, or by the next of kin of a person
//! killed (whose family the assistance is for). It may be withdrawn; nothing
//! is followed up after that. These are the rules; the store keeps the
//! records, and only accounts with the personal-data permission read them.
//!
//! ```
//! use safeground_core::assistance::{check_follow_up, Consent, FollowUp, VictimFacts};
//! use safeground_core::codes::*;
//! use time::macros::date;
//! let victim = VictimFacts { outcome: VictimOutcome::Injured, age: Some(34), injured_on: date!(2024 - 03 - 02) };
//! let consent = Consent {
//!     given_on: date!(2024 - 03 - 10),
//!     given_by: ConsentGiver::Person,
//!     form: ConsentForm::Written,
//!     withdrawn_on: None,
//! };
//! let visit = FollowUp {
//!     kind: AssistanceKind::Rehabilitation,
//!     status: AssistanceStatus::Ongoing,
//!     on: date!(2024 - 04 - 01),
//!     provider: "Ganja prosthetic centre".into(),
//! };
//! assert!(check_follow_up(&victim, &[consent.clone()], &visit, date!(2024 - 05 - 01)).is_ok());
//! // Before consent was given: refused, with the reason.
//! let early = FollowUp { on: date!(2024 - 03 - 05), ..visit };
//! assert!(check_follow_up(&victim, &[consent], &early, date!(2024 - 05 - 01)).is_err());
//! ```

use crate::codes::{AssistanceKind, AssistanceStatus, ConsentForm, ConsentGiver, VictimOutcome};
use serde::Serialize;
use time::Date;

/// What the rules need to know of a victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VictimFacts {
    pub outcome: VictimOutcome,
    pub age: Option<i64>,
    /// The day of the accident.
    pub injured_on: Date,
}

impl VictimFacts {
    /// The victim's age on `day` as far as the register knows it: their age
    /// when hurt and the whole years since (`None`: not known). Without a
    /// birthday it may be a year short; a person who may still be under 18 is
    /// taken for a child.
    pub fn age_on(&self, day: Date) -> Option<i64> {
        let (from, to) = (self.injured_on, day);
        let mut years = i64::from(to.year() - from.year());
        if (to.month() as u8, to.day()) < (from.month() as u8, from.day()) {
            years -= 1;
        }
        self.age.map(|a| a + years.max(0))
    }

    /// Under 18 on `day`: a child's consent is a parent's or guardian's.
    fn child_on(&self, day: Date) -> bool {
        self.age_on(day).is_some_and(|a| a < 18)
    }
}

/// A consent as recorded, and its withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    pub given_on: Date,
    pub given_by: ConsentGiver,
    pub form: ConsentForm,
    pub withdrawn_on: Option<Date>,
}

impl Consent {
    /// In force on `day`: given by then and not withdrawn by then.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.given_on <= day && self.withdrawn_on.is_none_or(|w| day < w)
    }
}

/// One follow-up of a victim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub kind: AssistanceKind,
    pub status: AssistanceStatus,
    pub on: Date,
    /// Who provides it (a hospital, a rehabilitation centre, an NGO).
    pub provider: String,
}

/// The problems with a day: before the accident, or after `today`.
fn day_problems(what: &str, day: Date, v: &VictimFacts, today: Date, p: &mut Vec<String>) {
    if day < v.injured_on {
        p.push(format!("{what} on {day}, before the accident ({})", v.injured_on));
    }
    if day > today {
        p.push(format!("{what} on {day}, after today ({today})"));
    }
}

/// Whether `new` may be recorded for `v`, who already has `consents`:
/// every problem, or nothing.
pub fn check_consent(
    v: &VictimFacts,
    consents: &[Consent],
    new: &Consent,
    today: Date,
) -> Result<(), Vec<String>> {
    let mut p = vec![];
    day_problems("consent given", new.given_on, v, today, &mut p);
    match (v.outcome, new.given_by) {
        (VictimOutcome::Killed, ConsentGiver::NextOfKin) => {}
        (VictimOutcome::Killed, by) => p.push(format!(
            "the victim was killed: consent is the next of kin's (NEXT_OF_KIN), not {}",
            by.code()
        )),
        (VictimOutcome::Injured, ConsentGiver::NextOfKin) => {
            p.push("the victim survived: consent is theirs (SELF) or a guardian's (GUARDIAN)".into())
        }
        (VictimOutcome::Injured, ConsentGiver::Person) if v.child_on(new.given_on) => p.push(format!(
            "the victim may still be under 18 on {} ({} when hurt on {}): a child's consent is a parent's or \
             guardian's (GUARDIAN)",
            new.given_on,
            v.age.unwrap_or_default(),
            v.injured_on
        )),
        _ => {}
    }
    if new.withdrawn_on.is_some() {
        p.push("a consent is recorded as given; its withdrawal is recorded after".into());
    }
    if let Some(c) = consents.iter().find(|c| c.withdrawn_on.is_none()) {
        p.push(format!(
            "consent given on {} is in force already; withdraw it first to record another",
            c.given_on
        ));
    }
    if let Some(w) = consents.iter().filter_map(|c| c.withdrawn_on).max().filter(|w| new.given_on < *w) {
        p.push(format!(
            "given on {}, before the last consent was withdrawn ({w}): consents follow one another",
            new.given_on
        ));
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

/// Which of `consents` a withdrawal on `on` ends (the one in force), or
/// every problem. `follow_ups` are the days of the follow-ups recorded, each
/// with the index of the consent it rests on: a withdrawal comes after them.
pub fn check_withdrawal(
    v: &VictimFacts,
    consents: &[Consent],
    follow_ups: &[(usize, Date)],
    on: Date,
    today: Date,
) -> Result<usize, Vec<String>> {
    let mut p = vec![];
    day_problems("consent withdrawn", on, v, today, &mut p);
    let Some(i) = consents.iter().position(|c| c.withdrawn_on.is_none()) else {
        p.push("no consent is in force: there is nothing to withdraw".into());
        return Err(p);
    };
    if on < consents[i].given_on {
        p.push(format!("withdrawn on {on}, before the consent was given ({})", consents[i].given_on));
    }
    if let Some(last) = follow_ups.iter().filter(|(c, _)| *c == i).map(|(_, d)| *d).max().filter(|d| on <= *d)
    {
        p.push(format!("withdrawn on {on}, but a follow-up on {last} rests on it: withdraw it after {last}"));
    }
    if p.is_empty() {
        Ok(i)
    } else {
        Err(p)
    }
}

/// Whether follow-up `f` may be recorded for `v`: every problem, or the
/// index of the consent it rests on.
pub fn check_follow_up(
    v: &VictimFacts,
    consents: &[Consent],
    f: &FollowUp,
    today: Date,
) -> Result<usize, Vec<String>> {
    let mut p = vec![];
    day_problems("a follow-up", f.on, v, today, &mut p);
    if f.provider.trim().is_empty() {
        p.push("name who provides it (--provider)".into());
    }
    if v.outcome == VictimOutcome::Killed
        && matches!(f.kind, AssistanceKind::Medical | AssistanceKind::Rehabilitation)
    {
        p.push(format!(
            "the victim was killed: {} is for survivors; the family's support is PSYCHOSOCIAL, \
             ECONOMIC_INCLUSION or REFERRAL",
            f.kind.code()
        ));
    }
    let consent = consents.iter().position(|c| c.in_force_on(f.on));
    if consent.is_none() {
        p.push(match consents.iter().map(|c| c.given_on).min() {
            None => "no consent is recorded: record it first (`victim consent`)".to_string(),
            Some(first) if f.on < first => format!("no consent on {}: it was first given on {first}", f.on),
            Some(_) => format!("no consent in force on {}: it was withdrawn", f.on),
        });
    }
    match consent {
        Some(i) if p.is_empty() => Ok(i),
        _ => Err(p),
    }
}

/// Follow-ups counted for statistics: no one named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistanceFigures {
    /// Victims with consent in force today.
    pub with_consent: usize,
    /// Victims with at least one follow-up.
    pub followed_up: usize,
    /// Follow-ups by kind, in the code list's order, and how many are completed.
    pub by_kind: Vec<KindCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCount {
    pub kind: AssistanceKind,
    pub follow_ups: usize,
    pub completed: usize,
}

/// The figures of victims' follow-ups: `victims` is, per victim, its
/// consents and its follow-ups.
pub fn figures(victims: &[(Vec<Consent>, Vec<FollowUp>)], today: Date) -> AssistanceFigures {
    let mut by_kind: Vec<KindCount> =
        AssistanceKind::ALL.iter().map(|&kind| KindCount { kind, follow_ups: 0, completed: 0 }).collect();
    let mut out = AssistanceFigures::default();
    for (consents, follow_ups) in victims {
        out.with_consent += usize::from(consents.iter().any(|c| c.in_force_on(today)));
        out.followed_up += usize::from(!follow_ups.is_empty());
        for f in follow_ups {
            if let Some(k) = by_kind.iter_mut().find(|k| k.kind == f.kind) {
                k.follow_ups += 1;
                k.completed += usize::from(f.status == AssistanceStatus::Completed);
            }
        }
    }
    out.by_kind = by_kind;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HURT: Date = date!(2024 - 03 - 02);
    const TODAY: Date = date!(2024 - 06 - 30);

    fn victim(outcome: VictimOutcome, age: Option<i64>) -> VictimFacts {
        VictimFacts { outcome, age, injured_on: HURT }
    }

    fn consent(given_on: Date, given_by: ConsentGiver, withdrawn_on: Option<Date>) -> Consent {
        Consent { given_on, given_by, form: ConsentForm::Verbal, withdrawn_on }
    }

    fn visit(kind: AssistanceKind, on: Date) -> FollowUp {
        FollowUp { kind, status: AssistanceStatus::Referred, on, provider: "Barda hospital".into() }
    }

    #[test]
    fn consent_is_the_survivors_a_guardians_for_a_child_the_next_of_kins_for_the_killed() {
        let adult = victim(VictimOutcome::Injured, Some(18));
        let child = victim(VictimOutcome::Injured, Some(17));
        let killed = victim(VictimOutcome::Killed, Some(40));
        let unknown_age = victim(VictimOutcome::Injured, None);
        let by = |who| consent(HURT, who, None);
        assert!(check_consent(&adult, &[], &by(ConsentGiver::Person), TODAY).is_ok());
        assert!(check_consent(&adult, &[], &by(ConsentGiver::Guardian), TODAY).is_ok());
        assert!(check_consent(&unknown_age, &[], &by(ConsentGiver::Person), TODAY).is_ok());
        assert!(check_consent(&child, &[], &by(ConsentGiver::Guardian), TODAY).is_ok());
        assert_eq!(
            check_consent(&child, &[], &by(ConsentGiver::Person), TODAY).unwrap_err(),
            vec![
                "the victim may still be under 18 on 2024-03-02 (17 when hurt on 2024-03-02): a child's consent is a \
                 parent's or guardian's (GUARDIAN)"
            ]
        );
        // Grown up since: their own, from their 18th year on.
        let (day_before, birthday) = (date!(2025 - 03 - 01), date!(2025 - 03 - 02));
        assert!(
            check_consent(&child, &[], &consent(day_before, ConsentGiver::Person, None), birthday).is_err()
        );
        assert!(check_consent(&child, &[], &consent(birthday, ConsentGiver::Person, None), birthday).is_ok());
        assert_eq!(child.age_on(date!(2027 - 03 - 01)), Some(19));
        assert!(check_consent(&adult, &[], &by(ConsentGiver::NextOfKin), TODAY).is_err());
        assert!(check_consent(&killed, &[], &by(ConsentGiver::NextOfKin), TODAY).is_ok());
        assert!(check_consent(&killed, &[], &by(ConsentGiver::Person), TODAY).is_err());
    }

    #[test]
    fn consent_is_dated_from_the_accident_to_today_and_one_at_a_time() {
        let v = victim(VictimOutcome::Injured, Some(30));
        let on = |d| consent(d, ConsentGiver::Person, None);
        assert!(check_consent(&v, &[], &on(HURT), TODAY).is_ok());
        assert!(check_consent(&v, &[], &on(TODAY), TODAY).is_ok());
        assert!(check_consent(&v, &[], &on(date!(2024 - 03 - 01)), TODAY).is_err());
        assert!(check_consent(&v, &[], &on(date!(2024 - 07 - 01)), TODAY).is_err());
        let standing = on(date!(2024 - 03 - 10));
        assert!(check_consent(&v, std::slice::from_ref(&standing), &on(TODAY), TODAY).is_err());
        let withdrawn = consent(date!(2024 - 03 - 10), ConsentGiver::Person, Some(date!(2024 - 04 - 01)));
        assert!(check_consent(&v, std::slice::from_ref(&withdrawn), &on(TODAY), TODAY).is_ok());
        assert!(
            check_consent(&v, std::slice::from_ref(&withdrawn), &on(date!(2024 - 04 - 01)), TODAY).is_ok()
        );
        let e = check_consent(&v, &[withdrawn], &on(date!(2024 - 03 - 31)), TODAY).unwrap_err();
        assert_eq!(
            e,
            vec!["given on 2024-03-31, before the last consent was withdrawn (2024-04-01): consents follow one another"]
        );
    }

    #[test]
    fn a_withdrawal_ends_the_consent_in_force_not_before_it_was_given() {
        let v = victim(VictimOutcome::Injured, Some(30));
        let given = consent(date!(2024 - 03 - 10), ConsentGiver::Person, None);
        let given = std::slice::from_ref(&given);
        assert_eq!(check_withdrawal(&v, given, &[], date!(2024 - 03 - 10), TODAY), Ok(0));
        assert!(check_withdrawal(&v, given, &[], date!(2024 - 03 - 09), TODAY).is_err());
        assert!(check_withdrawal(&v, &[], &[], TODAY, TODAY).is_err());
        let ended = consent(date!(2024 - 03 - 10), ConsentGiver::Person, Some(date!(2024 - 04 - 01)));
        assert!(check_withdrawal(&v, &[ended], &[], TODAY, TODAY).is_err());
        // Not back to before a follow-up it allowed.
        let visited = [(0, date!(2024 - 04 - 15))];
        assert_eq!(check_withdrawal(&v, given, &visited, date!(2024 - 04 - 16), TODAY), Ok(0));
        assert_eq!(
            check_withdrawal(&v, given, &visited, date!(2024 - 04 - 15), TODAY).unwrap_err(),
            vec!["withdrawn on 2024-04-15, but a follow-up on 2024-04-15 rests on it: withdraw it after 2024-04-15"]
        );
    }

    #[test]
    fn a_follow_up_rests_on_consent_in_force_on_its_day() {
        let v = victim(VictimOutcome::Injured, Some(30));
        let c = consent(date!(2024 - 03 - 10), ConsentGiver::Person, Some(date!(2024 - 05 - 01)));
        let cs = std::slice::from_ref(&c);
        let kind = AssistanceKind::Medical;
        assert_eq!(check_follow_up(&v, cs, &visit(kind, date!(2024 - 03 - 10)), TODAY), Ok(0));
        assert_eq!(check_follow_up(&v, cs, &visit(kind, date!(2024 - 04 - 30)), TODAY), Ok(0));
        assert_eq!(
            check_follow_up(&v, cs, &visit(kind, date!(2024 - 05 - 01)), TODAY).unwrap_err(),
            vec!["no consent in force on 2024-05-01: it was withdrawn"]
        );
        assert_eq!(
            check_follow_up(&v, cs, &visit(kind, date!(2024 - 03 - 09)), TODAY).unwrap_err(),
            vec!["no consent on 2024-03-09: it was first given on 2024-03-10"]
        );
        assert_eq!(
            check_follow_up(&v, &[], &visit(kind, TODAY), TODAY).unwrap_err(),
            vec!["no consent is recorded: record it first (`victim consent`)"]
        );
    }

    #[test]
    fn the_family_of_a_person_killed_receives_support_not_treatment() {
        let v = victim(VictimOutcome::Killed, Some(40));
        let c = [consent(HURT, ConsentGiver::NextOfKin, None)];
        assert!(check_follow_up(&v, &c, &visit(AssistanceKind::Psychosocial, TODAY), TODAY).is_ok());
        assert!(check_follow_up(&v, &c, &visit(AssistanceKind::EconomicInclusion, TODAY), TODAY).is_ok());
        assert!(check_follow_up(&v, &c, &visit(AssistanceKind::Medical, TODAY), TODAY).is_err());
        assert!(check_follow_up(&v, &c, &visit(AssistanceKind::Rehabilitation, TODAY), TODAY).is_err());
    }

    #[test]
    fn a_follow_up_names_its_provider_and_is_not_in_the_future() {
        let v = victim(VictimOutcome::Injured, Some(30));
        let c = [consent(HURT, ConsentGiver::Person, None)];
        let mut f = visit(AssistanceKind::Referral, TODAY);
        f.provider = "  ".into();
        assert_eq!(
            check_follow_up(&v, &c, &f, TODAY).unwrap_err(),
            vec!["name who provides it (--provider)"]
        );
        let late = visit(AssistanceKind::Referral, date!(2024 - 07 - 01));
        assert!(check_follow_up(&v, &c, &late, TODAY).is_err());
    }

    #[test]
    fn figures_count_victims_and_follow_ups_by_kind() {
        let c = consent(HURT, ConsentGiver::Person, None);
        let gone = consent(HURT, ConsentGiver::Person, Some(date!(2024 - 04 - 01)));
        let mut done = visit(AssistanceKind::Medical, date!(2024 - 03 - 05));
        done.status = AssistanceStatus::Completed;
        let victims = vec![
            (vec![c.clone()], vec![done, visit(AssistanceKind::Rehabilitation, date!(2024 - 03 - 20))]),
            (vec![gone], vec![visit(AssistanceKind::Medical, date!(2024 - 03 - 06))]),
            (vec![c], vec![]),
            (vec![], vec![]),
        ];
        let f = figures(&victims, TODAY);
        assert_eq!((f.with_consent, f.followed_up), (2, 2));
        let medical = &f.by_kind[0];
        assert_eq!((medical.kind, medical.follow_ups, medical.completed), (AssistanceKind::Medical, 2, 1));
        assert_eq!(f.by_kind.len(), AssistanceKind::ALL.len());
    }
}
