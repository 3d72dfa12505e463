//! Field copies over the API (`checkout --from https://…`, `sync --to
//! https://…`): a copy made by the register and fetched in chunks, a bundle
//! of the team's reports sent in chunks and imported, each resumed where a
//! broken link left it.
//!
//! A transfer is kept in the register ([`safeground_store::Transfer`]), so
//! any server of the register continues what another began. It is its
//! account's alone: to anyone else it is not there (404). A chunk is sent
//! with the byte it starts at, which must be the count received so far (409
//! with the count otherwise: the sender goes on from there). A bundle is
//! imported as `sync --import-bundle` imports it, and only by the account
//! whose token signed it.

use crate::api::{body, query, with_store};
use crate::attachments::{read_body, UPLOADS};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use safeground_core::access::{decide, may_submit, Action, Principal, Scope};
use safeground_core::ids::ReportId;
use safeground_store::{Bundle, Checkout, Purpose, Received, Store, SyncRules, Transfer, MAX_CHUNK};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What to copy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// The district, by name or id.
    district: String,
    /// The organisation whose tasks are copied, by acronym or id (every organisation's when left out).
    organisation: Option<String>,
    /// Reports to copy besides (a field copy made again brings back those it sent).
    #[serde(default)]
    reports: Vec<ReportId>,
    /// A field copy being made again: the event it was made from, which
    /// must be in this register's history (else it is another register's copy).
    after: Option<Since>,
}

/// An event of the register's sealed history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Since {
    seq: i64,
    hash: String,
}

/// Field copies made or bundles imported at once, at most: each holds a
/// district's rows or a bundle's reports in flight.
static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn heavy_turn() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    HEAVY.acquire().await.map_err(|_| AppError::Internal("the server is stopping".into()))
}

/// A field copy made and staged: fetch it from `/api/transfers/{id}/data`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Staged {
    transfer: Transfer,
    checkout: Checkout,
}

/// A file about to be sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// Its size in bytes.
    bytes: u64,
    /// Its SHA-256, 64 lower-case hex digits.
    sha256: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Span {
    /// The byte the chunk starts at (from 0).
    from: u64,
    /// How many bytes to fetch (at most 8 MiB); ignored when sending.
    length: Option<u64>,
}

/// What became of a bundle's reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// The account whose token signed the bundle.
    sender: String,
    /// Each report stored or found there already.
    #[schema(value_type = Vec<Object>)]
    sent: Vec<(ReportId, Received)>,
    /// Each report not stored, with why.
    #[schema(value_type = Vec<Object>)]
    failed: Vec<(ReportId, String)>,
}

fn transfer_id(text: &str) -> Result<Uuid, AppError> {
    text.parse().map_err(|_| AppError::NotFound(format!("transfer '{text}' is not in the register")))
}

fn allowed(p: &Principal, action: Action) -> Result<(), AppError> {
    decide(p, action, Scope::Any).map_err(|d| AppError::Forbidden(d.to_string()))
}

fn own(s: &Store, id: Uuid, account: &str) -> Result<Transfer, AppError> {
    s.transfer(id, account)?
        .ok_or_else(|| AppError::NotFound(format!("transfer '{id}' is not in the register")))
}

/// `account`'s transfer `id`, refused unless it is a file being sent.
fn sending(s: &Store, id: Uuid, account: &str) -> Result<Transfer, AppError> {
    let t = own(s, id, account)?;
    if t.purpose != Purpose::Bundle {
        return Err(AppError::Conflict(format!("transfer {id} is a field copy to fetch, not a file sent")));
    }
    Ok(t)
}

/// A file beside the system's others, this request's own.
fn scratch(what: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("safeground-{what}-{}", Uuid::new_v4()))
}

/// Makes a field copy of a district, as `safeground checkout` does, and
/// stages it for its maker to fetch in chunks.
#[utoipa::path(post, path = "/api/checkouts", request_body = CheckoutBody,
    responses((status = 201, body = Staged), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn checkout(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Staged>), AppError> {
    let b: CheckoutBody = body(&bytes)?;
    // A copy holds every organisation's reports on the district's ground.
    for action in [Action::ReadRegister, Action::Export] {
        allowed(&c.principal, action)?;
    }
    decide(&c.principal, Action::ReadReports, Scope::EveryOrganisation)
        .map_err(|d| AppError::Forbidden(d.to_string()))?;
    let _turn = heavy_turn().await?;
    let staged = with_store(&state, move |s| {
        let now = OffsetDateTime::now_utc();
        let name = c.principal.name.as_str();
        if let Some(since) = &b.after {
            if !s.has_event(since.seq, &since.hash)? {
                return Err(AppError::Conflict(format!(
                    "this register's history has no event {} with the hash the field copy was made from: it is not \
                     the register the copy came from; sync with that register",
                    since.seq
                )));
            }
        }
        let scope = safeground_store::Scope {
            district: b.district,
            organisation: b.organisation,
            reports: b.reports,
        };
        let file = scratch("checkout");
        let made = s.checkout(&file, &scope, (name, now)).and_then(|checkout| {
            let transfer = s.stage_transfer(name, Purpose::Checkout, &file, now)?;
            // The server's own scratch file is nobody's business.
            let checkout = Checkout { to: format!("transfer {}", transfer.id), ..checkout };
            Ok(Staged { transfer, checkout })
        });
        safeground_store::remove_with_journal(&file);
        Ok(made?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(staged)))
}

/// Begins sending a file (a bundle of a field copy's reports).
#[utoipa::path(post, path = "/api/transfers", request_body = NewTransfer,
    responses((status = 201, body = Transfer), (status = 400, body = ErrorBody)))]
pub async fn begin(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let b: NewTransfer = body(&bytes)?;
    let t = with_store(&state, move |s| {
        let at = OffsetDateTime::now_utc();
        Ok(s.begin_transfer(&c.principal.name, Purpose::Bundle, (b.bytes, &b.sha256), at)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// A transfer: how much of it is there.
#[utoipa::path(get, path = "/api/transfers/{id}",
    params(("id" = String, Path, description = "the transfer's UUID")),
    responses((status = 200, body = Transfer), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, AppError> {
    let id = transfer_id(&id)?;
    Ok(Json(with_store(&state, move |s| own(s, id, &c.principal.name)).await?))
}

/// Drops a transfer: a field copy fetched, a file no longer to be sent.
#[utoipa::path(delete, path = "/api/transfers/{id}",
    params(("id" = String, Path, description = "the transfer's UUID")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn drop(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = transfer_id(&id)?;
    with_store(&state, move |s| {
        own(s, id, &c.principal.name)?;
        Ok(s.drop_transfer(id, &c.principal.name)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A chunk of a staged file.
#[utoipa::path(get, path = "/api/transfers/{id}/data",
    params(Span, ("id" = String, Path, description = "the transfer's UUID")),
    responses((status = 200, body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn fetch(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    q: Result<Query<Span>, QueryRejection>,
) -> Result<Response, AppError> {
    let id = transfer_id(&id)?;
    let span = query(q)?;
    let length = span.length.unwrap_or(MAX_CHUNK).min(MAX_CHUNK);
    let data =
        with_store(&state, move |s| Ok(s.read_transfer(id, &c.principal.name, span.from, length)?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], Body::from(data)).into_response())
}

/// Stores a chunk of a file being sent, from byte `from`, which must be
/// the count received so far; answers the transfer.
#[utoipa::path(put, path = "/api/transfers/{id}/data",
    params(Span, ("id" = String, Path, description = "the transfer's UUID")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Transfer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    q: Result<Query<Span>, QueryRejection>,
    headers: HeaderMap,
    data: Body,
) -> Result<Json<Transfer>, AppError> {
    let id = transfer_id(&id)?;
    let span = query(q)?;
    let length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    // Whose transfer it is, and that it takes chunks, known before a byte is read.
    let who = c.principal.name.clone();
    with_store(&state, move |s| sending(s, id, &who)).await?;
    let data = {
        let _turn =
            UPLOADS.acquire().await.map_err(|_| AppError::Internal("the server is stopping".into()))?;
        read_body(data, MAX_CHUNK, length).await.map_err(|e| match e {
            AppError::TooLarge(_) => AppError::TooLarge(format!(
                "a chunk is at most {MAX_CHUNK} bytes; send smaller chunks (sync --chunk-kb)"
            )),
            e => e,
        })?
    };
    let t = with_store(&state, move |s| {
        let name = &c.principal.name;
        sending(s, id, name)?;
        s.append_transfer(id, name, span.from, &data)?;
        own(s, id, name)
    })
    .await?;
    Ok(Json(t))
}

/// Imports a bundle sent whole, as `sync --import-bundle` does: its reports
/// stored as the account whose token signed it, who must be the caller.
#[utoipa::path(post, path = "/api/transfers/{id}/import",
    params(("id" = String, Path, description = "the transfer's UUID")),
    responses((status = 200, body = Imported), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Imported>, AppError> {
    let id = transfer_id(&id)?;
    let limits = state.attachments;
    let _turn = heavy_turn().await?;
    let imported = with_store(&state, move |s| {
        let name = c.principal.name.clone();
        sending(s, id, &name)?;
        let file = scratch("bundle");
        let got = s.transfer_to_file(id, &name, &file).map_err(AppError::from).and_then(|_| {
            let bundle = Bundle::open(&file, s)?;
            if bundle.sender.name != name {
                return Err(AppError::Forbidden(format!(
                    "the bundle is signed with {}'s token, not {name}'s: each team sends its own",
                    bundle.sender.name
                )));
            }
            let sender = bundle.sender.clone();
            allowed(&sender, Action::SubmitReport)?;
            let may = |organisation, report_type| may_submit(&sender, organisation, report_type);
            let judge = |bytes: &[u8]| safeground_media::inspect(bytes).map_err(|e| e.to_string());
            let rules = SyncRules { limits: &limits, may: &may, judge: &judge };
            let (sent, failed) = bundle.import(s, rules, OffsetDateTime::now_utc(), &mut |_, _| {})?;
            Ok(Imported { sender: name.clone(), sent, failed })
        });
        let _ = std::fs::remove_file(&file);
        let imported = got?;
        s.drop_transfer(id, &name)?;
        Ok(imported)
    })
    .await?;
    Ok(Json(imported))
}
