//! `user …` (accounts and API tokens) and `audit verify` (the sealed history).

use crate::auth::{authorize, Credentials};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use safeground_core::access::{Action, Role, Scope};
use safeground_store::Location;
use safeground_store::{generate_password, NewUser, Store, UserChange};
use std::io::Read;
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account; prints its password once (or reads it with --password-stdin).
    Add(AddArgs),
    /// List the accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: its logins, sessions and tokens stop working at once.
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
    /// Set a new password; prints a generated one once (or reads it with --password-stdin).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    Role {
        name: String,
        /// ADMINISTRATOR, IM_OFFICER, OPERATOR, QM_OFFICER or VIEWER.
        #[arg(value_parser = parse_role)]
        role: Role,
        /// The organisation (acronym), for operators.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Grant (`on`) or withdraw (`off`) the permission to read victims' personal data.
    PersonalData {
        name: String,
        #[arg(value_parser = ["on", "off"])]
        grant: String,
    },
    /// Issue an API token for scripts; prints the secret once.
    Token {
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        label: String,
        /// Days until it expires (default: never).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Revoke an API token (by the id `user token` printed).
    RevokeToken { id: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    name: String,
    /// ADMINISTRATOR, IM_OFFICER, OPERATOR, QM_OFFICER or VIEWER.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The organisation (acronym or UUID); required for operators.
    #[arg(long)]
    organisation: Option<String>,
    /// Allowed to read victims' names and contacts.
    #[arg(long)]
    personal_data: bool,
    /// Read the password from standard input instead of generating one.
    #[arg(long)]
    password_stdin: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|e: safeground_core::codes::UnknownCode| e.to_string())
}

fn password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the password from standard input")?;
        let p = s.trim_end_matches(['\n', '\r']).to_string();
        if p.is_empty() {
            bail!("standard input held no password");
        }
        Ok((p, false))
    } else {
        Ok((generate_password(), true))
    }
}

/// Adds an account on an open register as `actor` (no check: `init --admin`
/// and `user add` check first).
pub fn add(store: &mut Store, u: &NewUser, from_stdin: bool, actor: &str) -> Result<()> {
    let (pw, generated) = password(from_stdin)?;
    let now = OffsetDateTime::now_utc();
    store.write(|w| w.add_user(u, &pw, actor, now)).with_context(|| format!("adding account {}", u.name))?;
    println!("Added {} ({}).", u.name, u.role);
    if generated {
        println!("Password (shown once; change it with `safeground user passwd {}`): {pw}", u.name);
    }
    Ok(())
}

pub fn run(db: &Location, who: &Credentials, cmd: &UserCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    let p = who.principal(&store)?;
    let now = OffsetDateTime::now_utc();
    let manage = |name: &str| {
        let own = p.name.eq_ignore_ascii_case(name.trim());
        authorize(&p, if own { Action::ManageSelf } else { Action::ManageUsers }, Scope::Any)
    };
    match cmd {
        UserCommand::Add(a) => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            let u = NewUser {
                name: a.name.clone(),
                role: a.role,
                organisation: a.organisation.clone(),
                personal_data: a.personal_data,
            };
            add(&mut store, &u, a.password_stdin, &p.name)?;
        }
        UserCommand::List { json } => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            let users = store.users()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in &users {
                    println!(
                        "{:<20} {:<13} {:<8} {}{}{}",
                        u.name,
                        u.role,
                        u.organisation.as_deref().unwrap_or("-"),
                        if u.disabled { "disabled " } else { "" },
                        if u.personal_data { "personal-data " } else { "" },
                        if u.tokens > 0 { format!("{} tokens", u.tokens) } else { String::new() }
                    );
                }
                println!("{} accounts", users.len());
            }
        }
        UserCommand::Disable { name } | UserCommand::Enable { name } => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            let off = matches!(cmd, UserCommand::Disable { .. });
            store.write(|w| w.change_user(name, &UserChange::Disabled(off), &p.name, now))?;
            println!("{} {name}", if off { "Disabled" } else { "Enabled" });
        }
        UserCommand::Passwd { name, password_stdin } => {
            manage(name)?;
            let (pw, generated) = password(*password_stdin)?;
            store.write(|w| w.change_user(name, &UserChange::Password(pw.clone()), &p.name, now))?;
            println!("Changed the password of {name}.");
            if generated {
                println!("New password (shown once): {pw}");
            }
        }
        UserCommand::Role { name, role, organisation } => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            let change = UserChange::Role { role: *role, organisation: organisation.clone() };
            store.write(|w| w.change_user(name, &change, &p.name, now))?;
            println!("{name} is now {role}");
        }
        UserCommand::PersonalData { name, grant } => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            let on = grant == "on";
            store.write(|w| w.change_user(name, &UserChange::PersonalData(on), &p.name, now))?;
            println!("{name} {} read victims' personal data", if on { "may now" } else { "may no longer" });
        }
        UserCommand::Token { name, label, days } => {
            manage(name)?;
            let expires = days.map(|d| now + time::Duration::days(i64::from(d)));
            let (id, secret) = store.write(|w| w.issue_token(name, label, expires, &p.name, now))?;
            println!(
                "Token {id} for {name} ({label}). Secret (shown once; send it as `Authorization: Bearer …`):"
            );
            println!("{secret}");
        }
        UserCommand::RevokeToken { id } => {
            authorize(&p, Action::ManageUsers, Scope::Any)?;
            store.write(|w| w.revoke_token(id, &p.name, now))?;
            println!("Revoked token {id}");
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the sealed history and check the register against it; exits non-zero at the first mismatch.
    Verify {
        #[arg(long)]
        json: bool,
        /// The head hash printed by an earlier verification: also detects newest events removed.
        #[arg(long)]
        expect_head: Option<String>,
        /// An event a document cites (a handover certificate: `SEQ:HASH`): checks the register's
        /// whole history holds it, sealed with that hash.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_event: Vec<String>,
    },
}

pub fn audit(db: &Location, cmd: &AuditCommand) -> Result<()> {
    let AuditCommand::Verify { json, expect_head, expect_event } = cmd;
    let cited: Vec<(i64, &str)> = expect_event
        .iter()
        .map(|e| {
            e.split_once(':')
                .and_then(|(seq, hash)| Some((seq.trim().parse().ok()?, hash.trim())))
                .with_context(|| format!("--expect-event {e}: write SEQ:HASH, as the certificate prints it"))
        })
        .collect::<Result<_>>()?;
    let store = Store::open(db)?;
    let started = std::time::Instant::now();
    let a = store.audit(expect_head.as_deref())?;
    if *json {
        println!("{}", serde_json::to_string_pretty(&a)?);
    } else {
        println!("Checked {} events in {:.1} s.", a.events, started.elapsed().as_secs_f64());
        if let Some(h) = &a.head {
            println!("Head: event {} {}", h.seq, h.hash);
        }
        if let Some(b) = &a.broken {
            println!(
                "First event that does not match: seq {} ({} {} by {} at {}): {}",
                b.seq, b.id, b.kind, b.actor, b.at, b.problem
            );
        }
        for p in &a.problems {
            println!("  {p}");
        }
    }
    if !a.is_intact() {
        bail!(
            "the history does not verify: the database was changed outside safeground; restore it from a backup \
             and compare"
        );
    }
    for (seq, hash) in cited {
        match store.cited_event(seq)? {
            Some((h, None)) if h.eq_ignore_ascii_case(hash) => {
                if !*json {
                    println!("Event {seq} is in the history, sealed with the hash cited.");
                }
            }
            Some((h, Some(undone))) if h.eq_ignore_ascii_case(hash) => bail!(
                "event {seq} is in the history, but event {undone} unapproved the report it approved: \
                 the document citing it no longer stands"
            ),
            Some((h, _)) => bail!("event {seq} is sealed with {h}, not {hash}: the document does not come from this register's history"),
            None => bail!("the history has no event {seq}: the document does not come from this register"),
        }
    }
    if !*json {
        println!("The history is intact.");
    }
    Ok(())
}
