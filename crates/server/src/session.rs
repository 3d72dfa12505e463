//! Signing in and out, who am I, and the account list.

use crate::api::with_store;
use crate::auth::{self, client_addr, Caller, Mode};
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use safeground_core::access::Principal;
use safeground_store::{LoginFailure, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who is signed in, and what the web application needs to act for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    name: String,
    /// administrator, im_officer, operator, qm_officer or viewer.
    role: String,
    /// The operator's organisation (acronym).
    organisation: Option<String>,
    /// May read victims' personal data.
    personal_data: bool,
    /// `accounts`, or `local` for one person's register served to this machine.
    mode: &'static str,
    /// Send this in `X-CSRF-Token` with every change made with the session cookie.
    csrf: Option<String>,
    /// When the register is a field copy: where and when it was made.
    field_copy: Option<FieldCopy>,
}

/// A field copy's origin, as the web application shows it on the laptop.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldCopy {
    /// The register it was made from.
    origin: String,
    district: String,
    /// The organisation whose tasks it holds (acronym).
    organisation: Option<String>,
    made_at: String,
    /// The origin's newest event when it was made.
    origin_seq: i64,
}

async fn me_of(state: &AppState, p: Principal, csrf: Option<String>) -> Result<Me, AppError> {
    let organisation = match p.organisation {
        Some(id) => with_store(state, move |s| Ok(s.organisation_acronym(id)?)).await?,
        None => None,
    };
    let field_copy =
        with_store(state, move |s| Ok(s.copy_label()?)).await?.map(|(o, district, organisation)| FieldCopy {
            origin: o.origin,
            district,
            organisation,
            made_at: o.made_at,
            origin_seq: o.origin_seq,
        });
    Ok(Me {
        name: p.name.clone(),
        role: p.role.web_code(),
        organisation,
        personal_data: p.personal_data,
        mode: if matches!(state.mode, Mode::Local { .. }) { "local" } else { "accounts" },
        csrf,
        field_copy,
    })
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
) -> Result<Json<Me>, AppError> {
    Ok(Json(me_of(&state, c.principal, c.csrf).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    name: String,
    password: String,
}

/// Signs in: sets the session cookie (HttpOnly, SameSite=Strict) and returns
/// the CSRF token. After five failures for a name from one address (twenty
/// from one address, twenty for a name from anywhere) each further attempt
/// waits twice as long as the one before (429 with `Retry-After`), from one
/// second up to fifteen minutes (one minute for a name from anywhere).
#[utoipa::path(post, path = "/api/login", request_body = Login,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, req: Request) -> Result<impl IntoResponse, AppError> {
    if matches!(state.mode, Mode::Local { .. }) {
        return Err(AppError::Conflict("this register has no accounts: nothing to sign in to".into()));
    }
    let addr = client_addr(&req, &state.proxies);
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| AppError::BadRequest("the login is at most 64 KiB of JSON".into()))?;
    let l: Login = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::InvalidJson(format!("the request body: {e}")))?;
    // Counted before the password is checked: attempts sent at once cannot
    // slip past the count.
    let keys = auth::throttle_keys(&l.name, addr);
    state.sessions.attempt(&state, &keys).await?;
    let (name, password) = (l.name.clone(), l.password);
    let outcome = with_store(&state, move |s| {
        let p = s.login(&name, &password)?;
        let generation = match &p {
            Ok(p) => p.user_id.map(|id| s.session_generation(id)).transpose()?,
            Err(_) => None,
        };
        Ok((p, generation))
    })
    .await?;
    let (p, generation) = match outcome {
        (Ok(p), g) => (p, g.unwrap_or(0)),
        (Err(why), _) => {
            let why = match why {
                LoginFailure::UnknownName => "unknown name",
                LoginFailure::WrongPassword => "wrong password",
                LoginFailure::Disabled => "account disabled",
            };
            tracing::warn!(name = %l.name, client = ?addr, why, "failed login");
            return Err(AppError::BadLogin);
        }
    };
    state.sessions.succeeded(&state, &keys).await?;
    let Some(user) = p.user_id else {
        return Err(AppError::Internal("an account without an id".into()));
    };
    let (token, csrf) = state.sessions.start(&state, user, generation).await?;
    tracing::info!(name = %p.name, client = ?addr, "signed in");
    let me = me_of(&state, p, Some(csrf)).await?;
    Ok(([(header::SET_COOKIE, auth::session_cookie(&token, state.secure_cookies))], Json(me)))
}

/// Signs out: the session ends and its cookie is cleared.
#[utoipa::path(post, path = "/api/logout", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    if let Some(t) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        state.sessions.end(&state, &t).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, auth::session_cookie("", state.secure_cookies))]))
}

/// The accounts (administrators).
#[utoipa::path(get, path = "/api/users", responses((status = 200, body = Vec<UserRow>), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>) -> Result<Json<Vec<UserRow>>, AppError> {
    Ok(Json(with_store(&state, |s| Ok(s.users()?)).await?))
}
