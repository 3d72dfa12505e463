//! Victim assistance's routes: the victims with their consent and
//! follow-ups (personal data: the personal-data permission), the recording
//! of consent, its withdrawal and follow-ups (the authority's officers with
//! that permission), and the figures, which name no one.

use crate::api::{body, date_or, query, with_store};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use safeground_core::assistance::{AssistanceFigures, FollowUp};
use safeground_core::codes::{AssistanceKind, AssistanceStatus, ConsentForm, ConsentGiver};
use safeground_store::{NewConsent, VictimRow};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VictimQuery {
    /// Only this accident's victims (UUID).
    accident: Option<String>,
}

/// The victims of the accidents in force, the latest first, each with its
/// consents and follow-ups. Personal data: the personal-data permission.
#[utoipa::path(get, path = "/api/victims", params(VictimQuery),
    responses((status = 200, body = Vec<VictimRow>), (status = 403, body = ErrorBody)))]
pub async fn victims(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<VictimQuery>, QueryRejection>,
) -> Result<Json<Vec<VictimRow>>, AppError> {
    let q = query(q)?;
    let rows = match only(&c) {
        // An operator without an organisation sees none.
        Some(None) => Vec::new(),
        only => with_store(&state, move |s| Ok(s.victims(q.accident.as_deref(), only.flatten())?)).await?,
    };
    Ok(Json(rows))
}

/// An operator reads the victims of the accidents its organisation reported only.
fn only(c: &Caller) -> Option<Option<uuid::Uuid>> {
    crate::auth::operator_scope(c)
}

/// One victim with every consent and follow-up.
#[utoipa::path(get, path = "/api/victims/{id}", params(("id" = String, Path, description = "The victim's UUID")),
    responses((status = 200, body = VictimRow), (status = 404, body = ErrorBody)))]
pub async fn victim(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<VictimRow>, AppError> {
    let only = only(&c);
    if only == Some(None) {
        return Err(AppError::NotFound(format!("victim {id} is not among your organisation's")));
    }
    Ok(Json(with_store(&state, move |s| Ok(s.victim(&id, only.flatten())?)).await?))
}

/// A consent to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// YYYY-MM-DD; default today.
    given_on: Option<String>,
    given_by: ConsentGiver,
    form: ConsentForm,
}

/// Records consent to the victim's data being kept and followed up: the
/// person's, a guardian's for a child, the next of kin's for a person killed.
#[utoipa::path(post, path = "/api/victims/{id}/consent", request_body = ConsentBody,
    params(("id" = String, Path, description = "The victim's UUID")),
    responses((status = 201, body = VictimRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn consent(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<VictimRow>), AppError> {
    let b: ConsentBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let given_on = date_or(b.given_on.as_deref(), "given_on", now.date())?;
    let n = NewConsent { given_on, given_by: b.given_by, form: b.form };
    let actor = c.principal.name;
    let v = with_store(&state, move |s| {
        s.write(|w| w.record_consent(&id, &n, &actor, now))?;
        Ok(s.victim(&id, None)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A withdrawal of consent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    /// YYYY-MM-DD; default today.
    withdrawn_on: Option<String>,
}

/// Records that the consent in force was withdrawn: nothing is followed up
/// from that day; what was recorded before stays.
#[utoipa::path(post, path = "/api/victims/{id}/withdrawal", request_body = WithdrawalBody,
    params(("id" = String, Path, description = "The victim's UUID")),
    responses((status = 201, body = VictimRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn withdrawal(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<VictimRow>), AppError> {
    let b: WithdrawalBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.withdrawn_on.as_deref(), "withdrawn_on", now.date())?;
    let actor = c.principal.name;
    let v = with_store(&state, move |s| {
        s.write(|w| w.withdraw_consent(&id, on, &actor, now))?;
        Ok(s.victim(&id, None)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A follow-up to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    kind: AssistanceKind,
    /// Default REFERRED.
    status: Option<AssistanceStatus>,
    /// YYYY-MM-DD; default today.
    on: Option<String>,
    /// Who provides it.
    provider: String,
    notes: Option<String>,
}

/// Records a follow-up (medical, rehabilitation, psychosocial, economic
/// inclusion, referral); refused without consent in force on its day.
#[utoipa::path(post, path = "/api/victims/{id}/assistance", request_body = FollowUpBody,
    params(("id" = String, Path, description = "The victim's UUID")),
    responses((status = 201, body = VictimRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn assistance(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<VictimRow>), AppError> {
    let b: FollowUpBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.on.as_deref(), "on", now.date())?;
    let f = FollowUp {
        kind: b.kind,
        status: b.status.unwrap_or(AssistanceStatus::Referred),
        on,
        provider: b.provider,
    };
    let actor = c.principal.name;
    let v = with_store(&state, move |s| {
        s.write(|w| w.record_follow_up(&id, &f, b.notes.as_deref(), &actor, now))?;
        Ok(s.victim(&id, None)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Victim assistance counted, no one named: victims with consent in force,
/// victims followed up, follow-ups by kind and how many are completed.
#[utoipa::path(get, path = "/api/assistance/figures", responses((status = 200, body = AssistanceFigures)))]
pub async fn figures(State(state): State<AppState>) -> Result<Json<AssistanceFigures>, AppError> {
    let today = OffsetDateTime::now_utc().date();
    Ok(Json(with_store(&state, move |s| Ok(s.assistance_figures(today)?)).await?))
}
