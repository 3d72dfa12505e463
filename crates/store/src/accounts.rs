//! Accounts and API tokens: passwords hashed with argon2id, tokens kept as
//! SHA-256 of their secret, every change an event of the sealed history.

use crate::audit::sha256_hex;
use crate::db::{OptionalExtension, Row};
use crate::reports::{parse_uuid, time_text};
use crate::write::uuid_text;
use crate::{Store, StoreError, Writer};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use rusqlite::params;
use safeground_core::access::{Principal, Role};
use safeground_core::ids::fresh;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// An account as listed (never its password hash).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The organisation's acronym (operators).
    pub organisation: Option<String>,
    pub personal_data: bool,
    pub disabled: bool,
    pub created_at: String,
    /// API tokens in force.
    pub tokens: i64,
}

/// What an account is made with.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// Acronym or UUID; required for operators.
    pub organisation: Option<String>,
    pub personal_data: bool,
}

/// A change to an account.
#[derive(Debug, Clone)]
pub enum UserChange {
    Password(String),
    Disabled(bool),
    Role { role: Role, organisation: Option<String> },
    PersonalData(bool),
}

/// A password of 20 letters and digits (about 112 bits), without the ones
/// people misread (0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

fn hash_password(label: &str, password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid {
            record: label.to_string(),
            problem: format!("the password is shorter than {MIN_PASSWORD_CHARS} characters"),
        });
    }
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Invalid { record: label.to_string(), problem: e.to_string() })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid { record: label.to_string(), problem: e.to_string() })
}

fn password_matches(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password matches, verified against when the name is unknown so
/// that a wrong name takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy", &generate_password()).unwrap_or_default())
}

const PRINCIPAL_COLUMNS: &str = "id, name, role, organisation_id, personal_data, disabled, password_hash";

struct Account {
    principal: Principal,
    disabled: bool,
    password_hash: String,
}

/// An account row as read, before its codes are parsed.
struct AccountRow {
    id: String,
    name: String,
    role: String,
    organisation: Option<String>,
    personal_data: bool,
    disabled: bool,
    password_hash: String,
}

fn account(r: &Row<'_>) -> Result<AccountRow, StoreError> {
    Ok(AccountRow {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        organisation: r.get(3)?,
        personal_data: r.get(4)?,
        disabled: r.get(5)?,
        password_hash: r.get(6)?,
    })
}

/// A stored role code, read back.
fn parse_role(name: &str, code: &str) -> Result<Role, StoreError> {
    code.parse().map_err(|e: safeground_core::codes::UnknownCode| StoreError::Invalid {
        record: format!("account {name}"),
        problem: e.to_string(),
    })
}

fn to_account(a: AccountRow) -> Result<Account, StoreError> {
    let role = parse_role(&a.name, &a.role)?;
    Ok(Account {
        principal: Principal {
            user_id: Some(parse_uuid(&a.id)?),
            name: a.name,
            role,
            organisation: a.organisation.as_deref().map(parse_uuid).transpose()?,
            personal_data: a.personal_data,
        },
        disabled: a.disabled,
        password_hash: a.password_hash,
    })
}

/// Why a login failed. The server tells the client only "wrong name or
/// password"; the log may say more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    UnknownName,
    WrongPassword,
    Disabled,
}

impl Store {
    /// A setting of the register (`sg_meta`).
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn.query_row("SELECT value FROM sg_meta WHERE key = ?1", [key], |r| r.get(0)).optional()
    }

    /// Whether the register has any account: if not, it is a single user's.
    pub fn has_accounts(&self) -> Result<bool, StoreError> {
        self.conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", (), |r| r.get(0))
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT u.id, u.name, u.role, o.acronym, u.personal_data, u.disabled, u.created_at,
               (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL
                  AND (t.expires_at IS NULL OR t.expires_at > ?1))
             FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id ORDER BY u.name",
        )?;
        let now = crate::time_text(time::OffsetDateTime::now_utc());
        let rows = stmt.query_map([now], |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role, organisation, personal_data, disabled, created_at, tokens) = row?;
            let role = parse_role(&name, &role)?;
            out.push(UserRow { id, name, role, organisation, personal_data, disabled, created_at, tokens });
        }
        Ok(out)
    }

    /// The account `name` if `password` is its password and it is enabled.
    pub fn login(&self, name: &str, password: &str) -> Result<Result<Principal, LoginFailure>, StoreError> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {PRINCIPAL_COLUMNS} FROM users WHERE name = ?1"))?
            .query_row([name.trim()], account)
            .optional()?;
        let Some(row) = row else {
            let _ = password_matches(decoy_hash(), password);
            return Ok(Err(LoginFailure::UnknownName));
        };
        let a = to_account(row)?;
        if !password_matches(&a.password_hash, password) {
            return Ok(Err(LoginFailure::WrongPassword));
        }
        if a.disabled {
            return Ok(Err(LoginFailure::Disabled));
        }
        Ok(Ok(a.principal))
    }

    /// The enabled account with this id, as it stands now (a session's
    /// holder, re-read on every request so a disabled account stops at once).
    pub fn principal(&self, id: Uuid) -> Result<Option<Principal>, StoreError> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {PRINCIPAL_COLUMNS} FROM users WHERE id = ?1"))?
            .query_row([uuid_text(id)], account)
            .optional()?;
        Ok(row.map(to_account).transpose()?.filter(|a| !a.disabled).map(|a| a.principal))
    }

    /// The account's session generation: the sequence number of the newest
    /// event that added or changed it (its password, role, state or
    /// permission). A session keeps the generation it began in and ends when
    /// the account's moves on, so a change made anywhere — on the command
    /// line, on another server — signs every session of the account out, and
    /// a disabled account enabled again does not get its old sessions back.
    pub fn session_generation(&self, id: Uuid) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT COALESCE(max(seq), 0) FROM events
                  WHERE subject = ?1 AND kind IN ('USER_ADDED', 'USER_CHANGED')",
            )?
            .query_row([uuid_text(id)], |r| r.get(0))
    }

    /// The enabled account an API token in force belongs to.
    pub fn token_principal(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        let user: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT user_id FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL
                   AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row([sha256_hex(secret.trim()), crate::time_text(time::OffsetDateTime::now_utc())], |r| {
                r.get(0)
            })
            .optional()?;
        match user {
            Some(u) => self.principal(parse_uuid(&u)?),
            None => Ok(None),
        }
    }
}

impl Writer<'_> {
    /// Sets a setting of the register (`sg_meta`).
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO sg_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    fn user_event(
        &mut self,
        kind: &str,
        subject: &str,
        actor: &str,
        at: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.record_about(kind, at, actor, subject, reason)?;
        Ok(())
    }

    fn organisation_ref(&self, label: &str, org: Option<&str>) -> Result<Option<String>, StoreError> {
        org.map(|o| {
            self.tx
                .prepare_cached("SELECT id FROM organisations WHERE id = ?1 OR acronym = ?1 COLLATE NOCASE")?
                .query_row([o.trim()], |r| r.get::<String>(0))
                .optional()?
                .ok_or_else(|| StoreError::Invalid {
                    record: label.to_string(),
                    problem: format!("organisation '{o}' is not in the register"),
                })
        })
        .transpose()
    }

    fn user_id(&self, name: &str) -> Result<String, StoreError> {
        self.tx
            .prepare_cached("SELECT id FROM users WHERE name = ?1 OR id = ?1")?
            .query_row([name.trim()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Unknown { what: "account", key: name.to_string() })
    }

    /// Adds an account with `password`.
    pub fn add_user(
        &mut self,
        u: &NewUser,
        password: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<Uuid, StoreError> {
        let label = format!("account '{}'", u.name);
        let name = u.name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(StoreError::Invalid {
                record: label,
                problem: "a name is 1 to 64 characters without spaces".into(),
            });
        }
        let org = self.organisation_ref(&label, u.organisation.as_deref())?;
        check_role(&label, u.role, org.is_some(), u.personal_data)?;
        let exists: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)")?
            .query_row([name], |r| r.get(0))?;
        if exists {
            return Err(StoreError::Conflict {
                record: label,
                detail: "an account of this name exists".into(),
            });
        }
        let hash = hash_password(&label, password)?;
        let id = fresh();
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO users (id, name, role, organisation_id, personal_data, disabled, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
            )?
            .execute(params![uuid_text(id), name, u.role.code(), org, u.personal_data, hash, now])?;
        self.user_event("USER_ADDED", &uuid_text(id), actor, &now, Some(u.role.code()))?;
        Ok(id)
    }

    /// Changes an account (by name or id).
    pub fn change_user(
        &mut self,
        name: &str,
        change: &UserChange,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let label = format!("account '{name}'");
        let id = self.user_id(name)?;
        let now = time_text(at);
        let reason = match change {
            UserChange::Password(p) => {
                let hash = hash_password(&label, p)?;
                self.tx
                    .prepare_cached("UPDATE users SET password_hash = ?1 WHERE id = ?2")?
                    .execute([&hash, &id])?;
                "password changed".to_string()
            }
            UserChange::Disabled(d) => {
                if *d {
                    self.guard_last_administrator(&label, &id)?;
                }
                self.tx
                    .prepare_cached("UPDATE users SET disabled = ?1 WHERE id = ?2")?
                    .execute(params![d, id])?;
                if *d { "disabled" } else { "enabled" }.to_string()
            }
            UserChange::Role { role, organisation } => {
                let org = self.organisation_ref(&label, organisation.as_deref())?;
                let personal: bool =
                    self.tx
                        .query_row("SELECT personal_data FROM users WHERE id = ?1", [&id], |r| r.get(0))?;
                check_role(&label, *role, org.is_some(), personal && *role != Role::Viewer)?;
                if *role != Role::Administrator {
                    self.guard_last_administrator(&label, &id)?;
                }
                self.tx
                    .prepare_cached(
                        "UPDATE users SET role = ?1, organisation_id = ?2,
                           personal_data = CASE WHEN ?1 = 'VIEWER' THEN 0 ELSE personal_data END WHERE id = ?3",
                    )?
                    .execute(params![role.code(), org, id])?;
                format!("role {}", role.code())
            }
            UserChange::PersonalData(p) => {
                let role: String =
                    self.tx.query_row("SELECT role FROM users WHERE id = ?1", [&id], |r| r.get(0))?;
                if *p && role == Role::Viewer.code() {
                    return Err(StoreError::Invalid {
                        record: label,
                        problem: "a viewer cannot be given personal data; change the role first".into(),
                    });
                }
                self.tx
                    .prepare_cached("UPDATE users SET personal_data = ?1 WHERE id = ?2")?
                    .execute(params![p, id])?;
                if *p { "personal data granted" } else { "personal data withdrawn" }.to_string()
            }
        };
        self.user_event("USER_CHANGED", &id, actor, &now, Some(&reason))
    }

    /// Refuses to leave the register without an enabled administrator.
    fn guard_last_administrator(&self, label: &str, id: &str) -> Result<(), StoreError> {
        let others: i64 = self.tx.query_row(
            "SELECT count(*) FROM users WHERE role = 'ADMINISTRATOR' AND disabled = 0 AND id <> ?1",
            [id],
            |r| r.get(0),
        )?;
        let is_admin: bool = self.tx.query_row(
            "SELECT role = 'ADMINISTRATOR' AND disabled = 0 FROM users WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        if is_admin && others == 0 {
            return Err(StoreError::Conflict {
                record: label.to_string(),
                detail: "it is the last enabled administrator; add another first".into(),
            });
        }
        Ok(())
    }

    /// Issues an API token to an account; returns its id and its secret, which
    /// is shown once and kept only as a hash.
    pub fn issue_token(
        &mut self,
        user: &str,
        label: &str,
        expires: Option<OffsetDateTime>,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(Uuid, String), StoreError> {
        let uid = self.user_id(user)?;
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        let secret = format!("sgt_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let id = fresh();
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO api_tokens (id, user_id, label, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![uuid_text(id), uid, label, sha256_hex(&secret), now, expires.map(time_text)])?;
        self.user_event("TOKEN_ISSUED", &uuid_text(id), actor, &now, Some(label))?;
        Ok((id, secret))
    }

    /// Revokes an API token.
    pub fn revoke_token(&mut self, id: &str, actor: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let now = time_text(at);
        let n = self
            .tx
            .prepare_cached("UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")?
            .execute([&now, id.trim()])?;
        if n == 0 {
            return Err(StoreError::Unknown { what: "API token in force", key: id.to_string() });
        }
        self.user_event("TOKEN_REVOKED", id.trim(), actor, &now, None)
    }
}

fn check_role(label: &str, role: Role, has_org: bool, personal: bool) -> Result<(), StoreError> {
    let problem = match role {
        Role::Operator if !has_org => "an operator's account needs its organisation (--organisation)",
        Role::Viewer if personal => "a viewer cannot be given personal data",
        _ => return Ok(()),
    };
    Err(StoreError::Invalid { record: label.to_string(), problem: problem.into() })
}
