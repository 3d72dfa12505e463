//! Who is acting on the command line, and whether they may.
//!
//! A register without accounts belongs to whoever holds the file (a field
//! laptop): `--actor` names them in the history and they may do everything.
//! Once it has accounts, every write names one: `--user NAME` with the
//! password in `SAFEGROUND_PASSWORD` (or asked on the terminal), or an API
//! token in `SAFEGROUND_TOKEN`; and every write asks [`decide`], as the
//! server's routes do.

use anyhow::{bail, Context, Result};
use safeground_core::access::{decide, Action, Principal, Scope};
use safeground_store::{LoginFailure, Store};
use std::io::IsTerminal;

/// How the command line says who is acting.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The name recorded for a register without accounts.
    pub actor: String,
    pub user: Option<String>,
}

impl Credentials {
    /// The acting principal on `store`'s register.
    pub fn principal(&self, store: &Store) -> Result<Principal> {
        if !store.has_accounts()? {
            return Ok(Principal::local(&self.actor));
        }
        if let Ok(token) = std::env::var("SAFEGROUND_TOKEN") {
            if !token.trim().is_empty() {
                return store.token_principal(&token)?.context(
                    "SAFEGROUND_TOKEN is not an API token in force on this register (revoked, expired, or its account disabled)",
                );
            }
        }
        let Some(name) = self.user.as_deref() else {
            bail!(
                "this register has accounts: say who you are with --user NAME (password in SAFEGROUND_PASSWORD \
                 or asked here), or set SAFEGROUND_TOKEN to an API token"
            );
        };
        let password = match std::env::var("SAFEGROUND_PASSWORD") {
            Ok(p) => p,
            Err(_) if std::io::stdin().is_terminal() => {
                rpassword::prompt_password(format!("Password for {name}: "))
                    .context("reading the password")?
            }
            Err(_) => {
                bail!("no password for {name}: set SAFEGROUND_PASSWORD, or run on a terminal to be asked")
            }
        };
        match store.login(name, &password)? {
            Ok(p) => Ok(p),
            Err(LoginFailure::Disabled) => {
                bail!("the account {name} is disabled; an administrator can enable it")
            }
            Err(_) => bail!("wrong name or password for {name}"),
        }
    }
}

/// Refuses, with the reason, what `p` may not do.
pub fn authorize(p: &Principal, action: Action, scope: Scope) -> Result<()> {
    decide(p, action, scope).map_err(|d| anyhow::anyhow!("denied: {d}"))
}
