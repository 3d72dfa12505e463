//! `safeground victim list|show|consent|withdraw|assist|figures`: victim
//! assistance [IMAS 13.10] — consent, its withdrawal and follow-ups, each an
//! event of the sealed history (`core::assistance`'s rules). Everything but
//! `figures` is personal data: on a register with accounts it needs the
//! personal-data permission.

use crate::auth::{authorize, Credentials};
use anyhow::Result;
use clap::Subcommand;
use safeground_core::access::{Action, Scope};
use safeground_core::assistance::FollowUp;
use safeground_core::codes::{AssistanceKind, AssistanceStatus, ConsentForm, ConsentGiver, UnknownCode};
use safeground_store::{Location, NewConsent, Store, VictimRow};
use std::str::FromStr;
use time::{Date, OffsetDateTime};

#[derive(Debug, Subcommand)]
pub enum VictimCommand {
    /// The victims of the accidents in force, the latest first, with their consent and follow-ups (personal data).
    List {
        /// Only this accident's victims (UUID).
        #[arg(long)]
        accident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One victim, with every consent and follow-up (personal data).
    Show {
        /// The victim's UUID (`victim list` shows it).
        victim: String,
        #[arg(long)]
        json: bool,
    },
    /// Record consent to the victim's data being kept and followed up.
    Consent {
        victim: String,
        /// Given on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
        /// SELF, GUARDIAN (for a child) or NEXT_OF_KIN (for a person killed).
        #[arg(long, value_parser = code::<ConsentGiver>)]
        by: ConsentGiver,
        /// WRITTEN or VERBAL.
        #[arg(long, value_parser = code::<ConsentForm>)]
        form: ConsentForm,
    },
    /// Record that the consent in force was withdrawn: nothing is followed up from that day.
    Withdraw {
        victim: String,
        /// Withdrawn on (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
    },
    /// Record a follow-up: medical care, rehabilitation, psychosocial support, economic inclusion or a referral.
    Assist {
        victim: String,
        /// MEDICAL, REHABILITATION, PSYCHOSOCIAL, ECONOMIC_INCLUSION or REFERRAL.
        #[arg(long, value_parser = code::<AssistanceKind>)]
        kind: AssistanceKind,
        /// REFERRED, ONGOING or COMPLETED.
        #[arg(long, value_parser = code::<AssistanceStatus>, default_value = "REFERRED")]
        status: AssistanceStatus,
        /// Its day (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::parse_date)]
        on: Option<Date>,
        /// Who provides it (a hospital, a rehabilitation centre, an organisation).
        #[arg(long)]
        provider: String,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Follow-ups counted, no one named: victims with consent, victims followed up, follow-ups by kind.
    Figures {
        #[arg(long)]
        json: bool,
    },
}

fn code<T: FromStr<Err = UnknownCode>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: UnknownCode| e.to_string())
}

fn print(rows: &[VictimRow], today: Date) {
    for v in rows {
        let age = v.age.map_or("age ?".to_string(), |a| format!("age {a}"));
        let consent = match v.consent_on(today) {
            Some(c) => format!("consent {} {}", c.given_by.code(), c.given_on),
            None => "no consent in force".to_string(),
        };
        println!(
            "{}  {} {} {} {:<7} {:<7} {:<13} {}  {}; {} follow-ups",
            v.id,
            v.occurred_on,
            v.district.as_deref().unwrap_or("?"),
            v.name.as_deref().unwrap_or("(no name)"),
            v.outcome.code(),
            v.sex.code(),
            v.disability.map_or("-", |d| d.code()),
            age,
            consent,
            v.follow_ups.len()
        );
        for f in &v.follow_ups {
            println!("    {} {:<18} {:<9} {}", f.on, f.kind.code(), f.status.code(), f.provider);
        }
    }
}

pub fn run(db: &Location, who: &Credentials, cmd: &VictimCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    let now = OffsetDateTime::now_utc();
    if let VictimCommand::Figures { json } = cmd {
        let f = store.assistance_figures(now.date())?;
        if *json {
            println!("{}", serde_json::to_string_pretty(&f)?);
        } else {
            println!("{} victims with consent in force, {} followed up", f.with_consent, f.followed_up);
            for k in &f.by_kind {
                println!("  {:<18} {} follow-ups, {} completed", k.kind.code(), k.follow_ups, k.completed);
            }
        }
        return Ok(());
    }
    let p = who.principal(&store)?;
    // An operator reads the victims of the accidents its organisation reported only.
    let only = (p.role == safeground_core::access::Role::Operator)
        .then(|| p.organisation.unwrap_or_else(uuid::Uuid::nil));
    match cmd {
        VictimCommand::List { accident, json } => {
            authorize(&p, Action::ReadPersonal, Scope::Any)?;
            let rows = store.victims(accident.as_deref(), only)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print(&rows, now.date());
            }
        }
        VictimCommand::Show { victim, json } => {
            authorize(&p, Action::ReadPersonal, Scope::Any)?;
            let v = store.victim(victim, only)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print(std::slice::from_ref(&v), now.date());
                for c in &v.consents {
                    let w = c.withdrawn_on.map_or(String::new(), |w| format!(", withdrawn {w}"));
                    println!("    consent {} {} {}{w}", c.given_on, c.given_by.code(), c.form.code());
                }
            }
        }
        VictimCommand::Consent { victim, on, by, form } => {
            authorize(&p, Action::RecordAssistance, Scope::Any)?;
            let c = NewConsent { given_on: on.unwrap_or(now.date()), given_by: *by, form: *form };
            store.write(|w| w.record_consent(victim, &c, &p.name, now))?;
            println!("consent recorded for victim {}", victim.trim());
        }
        VictimCommand::Withdraw { victim, on } => {
            authorize(&p, Action::RecordAssistance, Scope::Any)?;
            store.write(|w| w.withdraw_consent(victim, on.unwrap_or(now.date()), &p.name, now))?;
            println!("consent withdrawn for victim {}", victim.trim());
        }
        VictimCommand::Assist { victim, kind, status, on, provider, notes } => {
            authorize(&p, Action::RecordAssistance, Scope::Any)?;
            let f = FollowUp {
                kind: *kind,
                status: *status,
                on: on.unwrap_or(now.date()),
                provider: provider.clone(),
            };
            store.write(|w| w.record_follow_up(victim, &f, notes.as_deref(), &p.name, now))?;
            println!("{} follow-up recorded for victim {}", kind.code(), victim.trim());
        }
        VictimCommand::Figures { .. } => {}
    }
    Ok(())
}
