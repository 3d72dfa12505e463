//! The quality-management cycle's changes over the API, as the CLI makes
//! them: raising, answering and closing non-conformities [IMAS 07.12];
//! opening an investigation of an accident, convening its board, recording
//! its conclusion and raising a recommendation [IMAS 10.60]; accrediting an
//! organisation or team and suspending it [IMAS 07.30]. `core` decides
//! what may be done; the policy table admits the roles; an operator answers
//! its own organisation's non-conformities only (checked here, per record).

use crate::api::{body, date, date_or, with_store};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use safeground_core::access::{decide, Action, Scope};
use safeground_core::codes::{Capability, NcrGrade};
use safeground_core::investigation::Step as InquiryStep;
use safeground_core::ncr::Step;
use safeground_store::{
    AccreditationRow, InvestigationRow, NcrRow, NewAccreditation, NewNcr, RecommendationToNcr, Store,
};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Non-conformity `code` as listed, after a change.
fn ncr(s: &Store, code: &str) -> Result<NcrRow, AppError> {
    let today = OffsetDateTime::now_utc().date();
    s.ncrs(false, None, today)?
        .into_iter()
        .find(|n| n.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| AppError::NotFound(format!("non-conformity {code}")))
}

/// A non-conformity to raise.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseBody {
    /// The organisation's acronym.
    organisation: String,
    grade: NcrGrade,
    finding: String,
    /// The report it is about (UUID); this or `accident`.
    report: Option<String>,
    /// The accident it is about (UUID).
    accident: Option<String>,
    /// YYYY-MM-DD; default today.
    raised_on: Option<String>,
    /// YYYY-MM-DD; default 7, 30 or 90 days by grade.
    due_on: Option<String>,
}

/// Raises a non-conformity against an organisation's work (IM and QM officers).
#[utoipa::path(post, path = "/api/ncrs", request_body = RaiseBody,
    responses((status = 201, body = NcrRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn raise(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<NcrRow>), AppError> {
    let b: RaiseBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let n = NewNcr {
        organisation: b.organisation,
        grade: b.grade,
        finding: b.finding,
        report: b.report,
        accident: b.accident,
        raised_on: date_or(b.raised_on.as_deref(), "raised_on", now.date())?,
        due_on: b.due_on.as_deref().map(|d| date(d, "due_on")).transpose()?,
    };
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        let code = s.write(|w| w.raise_ncr(&n, &actor, now))?;
        ncr(s, &code)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// An organisation's answer to a non-conformity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    root_cause: Option<String>,
    corrective: Option<String>,
    preventive: Option<String>,
    /// A new due date (YYYY-MM-DD): an IM or QM officer's, not the organisation's.
    due_on: Option<String>,
}

/// Answers a non-conformity: root cause, corrective and preventive actions.
/// Operators answer their own organisation's only; a new due date is an
/// officer's.
#[utoipa::path(post, path = "/api/ncrs/{code}/answer", request_body = AnswerBody,
    params(("code" = String, Path, description = "NCR-<year>-<n>")),
    responses((status = 200, body = NcrRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<Json<NcrRow>, AppError> {
    let b: AnswerBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let due_on = b.due_on.as_deref().map(|d| date(d, "due_on")).transpose()?;
    if due_on.is_some() {
        decide(&c.principal, Action::RaiseNonConformity, Scope::Any)
            .map_err(|d| AppError::Forbidden(format!("{d} (a new due date is an IM or QM officer's)")))?;
    }
    let step =
        Step::Answer { root_cause: b.root_cause, corrective: b.corrective, preventive: b.preventive, due_on };
    let row = with_store(&state, move |s| {
        let org = s.ncr_organisation(&code)?;
        decide(&c.principal, Action::AnswerNonConformity, Scope::Organisation(org))
            .map_err(|d| AppError::Forbidden(d.to_string()))?;
        let code = s.write(|w| w.ncr_step(&code, &step, &c.principal.name, now))?;
        ncr(s, &code)
    })
    .await?;
    Ok(Json(row))
}

/// A non-conformity's closure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// How the corrective action was verified.
    verification: String,
    /// YYYY-MM-DD; default today.
    closed_on: Option<String>,
}

/// Closes a non-conformity once its corrective action is verified (QM officers).
#[utoipa::path(post, path = "/api/ncrs/{code}/close", request_body = CloseBody,
    params(("code" = String, Path, description = "NCR-<year>-<n>")),
    responses((status = 200, body = NcrRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<Json<NcrRow>, AppError> {
    let b: CloseBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let step = Step::Close {
        on: date_or(b.closed_on.as_deref(), "closed_on", now.date())?,
        verification: b.verification,
    };
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        let code = s.write(|w| w.ncr_step(&code, &step, &actor, now))?;
        ncr(s, &code)
    })
    .await?;
    Ok(Json(row))
}

/// An investigation to open by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// The accident (UUID).
    accident: String,
    /// YYYY-MM-DD; default today.
    opened_on: Option<String>,
}

/// Opens an investigation into an accident (a demining accident's approval
/// opens one itself).
#[utoipa::path(post, path = "/api/investigations", request_body = OpenBody,
    responses((status = 201, body = InvestigationRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<InvestigationRow>), AppError> {
    let b: OpenBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.opened_on.as_deref(), "opened_on", now.date())?;
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        let code = s.write(|w| w.open_investigation(&b.accident, on, &actor, now))?;
        Ok(s.investigation(&code)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A step of an investigation: its board, or its conclusion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardBody {
    /// Two at least, each as "name (organisation, role)".
    members: Vec<String>,
    /// YYYY-MM-DD; default today.
    convened_on: Option<String>,
}

/// Convenes an investigation's board of inquiry.
#[utoipa::path(post, path = "/api/investigations/{code}/board", request_body = BoardBody,
    params(("code" = String, Path, description = "BOI-<year>-<n>")),
    responses((status = 200, body = InvestigationRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<Json<InvestigationRow>, AppError> {
    let b: BoardBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let step = InquiryStep::Board {
        on: date_or(b.convened_on.as_deref(), "convened_on", now.date())?,
        members: b.members,
    };
    step_taken(&state, c, code, step, now).await
}

/// An investigation's conclusion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionBody {
    findings: String,
    /// Numbered from 1 in the order given.
    #[serde(default)]
    recommendations: Vec<String>,
    /// YYYY-MM-DD; default today.
    concluded_on: Option<String>,
}

/// Records an investigation's conclusion: its findings and recommendations.
#[utoipa::path(post, path = "/api/investigations/{code}/conclusion", request_body = ConclusionBody,
    params(("code" = String, Path, description = "BOI-<year>-<n>")),
    responses((status = 200, body = InvestigationRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn conclude(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<Json<InvestigationRow>, AppError> {
    let b: ConclusionBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.concluded_on.as_deref(), "concluded_on", now.date())?;
    let step = InquiryStep::Conclude { on, findings: b.findings, recommendations: b.recommendations };
    step_taken(&state, c, code, step, now).await
}

async fn step_taken(
    state: &AppState,
    c: Caller,
    code: String,
    step: InquiryStep,
    now: OffsetDateTime,
) -> Result<Json<InvestigationRow>, AppError> {
    let row = with_store(state, move |s| {
        let code = s.write(|w| w.investigation_step(&code, &step, &c.principal.name, now))?;
        Ok(s.investigation(&code)?)
    })
    .await?;
    Ok(Json(row))
}

/// A recommendation to raise as a non-conformity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationBody {
    /// Its number, from 1.
    recommendation: usize,
    /// The organisation's acronym.
    organisation: String,
    grade: NcrGrade,
    /// YYYY-MM-DD; default 7, 30 or 90 days by grade.
    due_on: Option<String>,
}

/// Raises one of a concluded investigation's recommendations as a
/// non-conformity against the organisation it concerns (IM and QM officers).
#[utoipa::path(post, path = "/api/investigations/{code}/ncrs", request_body = RecommendationBody,
    params(("code" = String, Path, description = "BOI-<year>-<n>")),
    responses((status = 201, body = NcrRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn recommendation(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<NcrRow>), AppError> {
    let b: RecommendationBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let r = RecommendationToNcr {
        investigation: code,
        recommendation: b.recommendation,
        organisation: b.organisation,
        grade: b.grade,
        raised_on: now.date(),
        due_on: b.due_on.as_deref().map(|d| date(d, "due_on")).transpose()?,
    };
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        let code = s.write(|w| w.ncr_from_recommendation(&r, &actor, now))?;
        ncr(s, &code)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// An accreditation as listed, after a change.
fn accreditation(s: &Store, reference: &str) -> Result<AccreditationRow, AppError> {
    s.accreditations()?
        .into_iter()
        // As the store keys them: exactly.
        .find(|a| a.reference == reference.trim())
        .ok_or_else(|| AppError::NotFound(format!("accreditation {reference}")))
}

/// An accreditation to record [IMAS 07.30].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditBody {
    /// The authority's reference (its certificate number), the accreditation's key.
    reference: String,
    /// The organisation's acronym (or UUID).
    organisation: String,
    /// The team's name, when it is for that team only.
    team: Option<String>,
    capability: Capability,
    /// The first day it holds (YYYY-MM-DD).
    valid_from: String,
    /// The last day it holds (YYYY-MM-DD).
    valid_to: String,
}

/// Records that an organisation (or one of its teams) is accredited for a
/// capability over a period (IM officers and administrators). Once the
/// register keeps any, approval refuses work no accreditation covers.
#[utoipa::path(post, path = "/api/accreditations", request_body = AccreditBody,
    responses((status = 201, body = AccreditationRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn accredit(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<AccreditationRow>), AppError> {
    let b: AccreditBody = body(&bytes)?;
    let a = NewAccreditation {
        reference: b.reference,
        organisation: b.organisation,
        team: b.team,
        capability: b.capability,
        valid_from: date(&b.valid_from, "valid_from")?,
        valid_to: date(&b.valid_to, "valid_to")?,
    };
    let (actor, now) = (c.principal.name, OffsetDateTime::now_utc());
    let row = with_store(&state, move |s| {
        s.write(|w| w.add_accreditation(&a, &actor, now))?;
        accreditation(s, &a.reference)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A suspension of an accreditation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    /// The first day it no longer holds (YYYY-MM-DD); default today.
    on: Option<String>,
    reason: String,
}

/// Suspends an accreditation from a day on: work from that day is refused at approval.
#[utoipa::path(post, path = "/api/accreditations/{reference}/suspension", request_body = SuspendBody,
    params(("reference" = String, Path, description = "The accreditation's reference")),
    responses((status = 200, body = AccreditationRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Json<AccreditationRow>, AppError> {
    let b: SuspendBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.on.as_deref(), "on", now.date())?;
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        accreditation(s, &reference)?;
        s.write(|w| w.suspend_accreditation(&reference, on, &b.reason, &actor, now))?;
        accreditation(s, &reference)
    })
    .await?;
    Ok(Json(row))
}
