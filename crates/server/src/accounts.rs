//! Accounts over the API, for administrators, as `safeground user` keeps
//! them: an account added (its first password generated and shown once),
//! changed (enabled or disabled, its role and organisation, the
//! personal-data permission, a new password), and API tokens issued and
//! revoked. The store checks (the last administrator stays, an operator has
//! an organisation, a viewer no personal data) and seals each change.

use crate::api::{body, with_store};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use safeground_core::access::Role;
use safeground_store::{generate_password, NewUser, Store, UserChange, UserRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// An account to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 1 to 64 characters without spaces.
    name: String,
    role: Role,
    /// The organisation's acronym (operators: required).
    organisation: Option<String>,
    /// May read victims' personal data (never a viewer).
    #[serde(default)]
    personal_data: bool,
}

/// An account as it now stands, with a password generated for it (shown
/// this once; only its hash is kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountAnswer {
    user: UserRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

fn row(s: &Store, name: &str) -> Result<UserRow, AppError> {
    s.users()?
        .into_iter()
        .find(|u| u.name == name.trim() || u.id == name.trim())
        .ok_or_else(|| AppError::NotFound(format!("account '{name}' is not in the register")))
}

/// Adds an account with a generated password, as `user add` does (event USER_ADDED).
#[utoipa::path(post, path = "/api/users", request_body = NewAccount,
    responses((status = 201, body = AccountAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<AccountAnswer>), AppError> {
    if matches!(state.mode, crate::auth::Mode::Local { .. }) {
        // Served to this machine with no accounts: the first account is made
        // at the command line, and the server started again with accounts.
        return Err(AppError::Conflict(
            "this register has no accounts: add its first administrator with `safeground user add`, then serve it again"
                .into(),
        ));
    }
    let b: NewAccount = body(&bytes)?;
    let u =
        NewUser { name: b.name, role: b.role, organisation: b.organisation, personal_data: b.personal_data };
    let actor = c.principal.name;
    let answer = with_store(&state, move |s| {
        let password = generate_password();
        s.write(|w| w.add_user(&u, &password, &actor, OffsetDateTime::now_utc()))?;
        Ok(AccountAnswer { user: row(s, &u.name)?, password: Some(password) })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Changes to an account; those given are made together, or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    disabled: Option<bool>,
    /// With `organisation` for an operator.
    role: Option<Role>,
    organisation: Option<String>,
    personal_data: Option<bool>,
    /// Generate a new password (answered once).
    #[serde(default)]
    new_password: bool,
}

/// Changes an account, as `user disable|enable|role|personal-data|passwd`
/// do (one USER_CHANGED event each); answers with the account as it now
/// stands, and the new password if one was asked for.
#[utoipa::path(patch, path = "/api/users/{name}", request_body = AccountChange,
    params(("name" = String, Path, description = "the account's name or id")),
    responses((status = 200, body = AccountAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Json<AccountAnswer>, AppError> {
    let b: AccountChange = body(&bytes)?;
    let mut changes = vec![];
    if let Some(role) = b.role {
        changes.push(UserChange::Role { role, organisation: b.organisation.clone() });
    } else if b.organisation.is_some() {
        return Err(AppError::BadRequest("organisation: give it with the role it goes with".into()));
    }
    if let Some(p) = b.personal_data {
        changes.push(UserChange::PersonalData(p));
    }
    let password = b.new_password.then(generate_password);
    if let Some(p) = &password {
        changes.push(UserChange::Password(p.clone()));
    }
    // Disabling last: a disabled account's other changes still apply.
    if let Some(d) = b.disabled {
        changes.push(UserChange::Disabled(d));
    }
    if changes.is_empty() {
        return Err(AppError::BadRequest(
            "nothing to change: give disabled, role (and organisation), personal_data or new_password".into(),
        ));
    }
    let actor = c.principal.name;
    let user = with_store(&state, move |s| {
        let now = OffsetDateTime::now_utc();
        s.write(|w| changes.iter().try_for_each(|ch| w.change_user(&name, ch, &actor, now)))?;
        row(s, &name)
    })
    .await?;
    Ok(Json(AccountAnswer { user, password }))
}

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for (a script, a server).
    label: String,
    /// Days until it expires (1 to 3,650); none: until revoked.
    days: Option<u32>,
}

/// A token issued: its id (to revoke it) and its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    id: String,
    /// Send as `Authorization: Bearer …`.
    secret: String,
}

/// Issues an API token to an account, as `user token` does (event TOKEN_ISSUED).
#[utoipa::path(post, path = "/api/users/{name}/tokens", request_body = NewToken,
    params(("name" = String, Path, description = "the account's name or id")),
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<IssuedToken>), AppError> {
    let b: NewToken = body(&bytes)?;
    if b.label.trim().is_empty() {
        return Err(AppError::BadRequest("label: say what the token is for".into()));
    }
    if let Some(d) = b.days.filter(|d| !(1..=3650).contains(d)) {
        return Err(AppError::BadRequest(format!(
            "days: {d}: give 1 to 3,650, or none for a token until revoked"
        )));
    }
    let actor = c.principal.name;
    let (id, secret) = with_store(&state, move |s| {
        let now = OffsetDateTime::now_utc();
        let expires = b.days.map(|d| now + time::Duration::days(i64::from(d)));
        Ok(s.write(|w| w.issue_token(&name, b.label.trim(), expires, &actor, now))?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { id: id.to_string(), secret })))
}

/// Revokes an API token at once, as `user revoke-token` does (event TOKEN_REVOKED).
#[utoipa::path(post, path = "/api/tokens/{id}/revocation",
    params(("id" = String, Path, description = "the token's id, as issued")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let actor = c.principal.name;
    with_store(&state, move |s| Ok(s.write(|w| w.revoke_token(&id, &actor, OffsetDateTime::now_utc()))?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
