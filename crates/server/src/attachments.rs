//! Files attached to reports: uploaded to a draft or a report awaiting its
//! decision, listed, served (the file and its thumbnail).
//!
//! An upload's body is the file itself (`application/octet-stream`), read up
//! to the server's bound (`serve --max-attachment-mb`) and judged from its
//! bytes (`safeground_media::inspect`) before the register is touched. A
//! file is served as the type its bytes were judged to be, never as the
//! sender named it, in a sandbox (`Content-Security-Policy: sandbox`), with
//! `nosniff`, and as a download unless it is a picture: a page of HTML cannot
//! come back out of the register as a page. An accident's files are personal
//! data (the victims) unless the sender said otherwise: they are listed and
//! served only to accounts with the personal-data permission.

use crate::api::{query, report_id, with_store};
use crate::auth::Caller;
use crate::replica::with_read_store;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use http_body_util::BodyExt;
use safeground_core::access::{decide, Action, Scope};
use safeground_core::attachment::{clean_name, open_for_attachments, Judged};
use safeground_core::codes::{AttachmentKind, ReportState};
use safeground_core::ids::{AttachmentId, ReportId};
use safeground_store::{AttachmentRow, NewAttachment, Store};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The file's name as it was chosen (kept for the download).
    name: Option<String>,
    /// PHOTO, SCANNED_FORM, SKETCH_MAP or GPS_TRACK; by default what the file's type usually is.
    kind: Option<String>,
    /// Personal data (a victim's photograph)? By default: yes for an accident report, no otherwise.
    personal: Option<bool>,
}

/// Whether the caller may read personal data.
fn personal(c: &Caller) -> bool {
    decide(&c.principal, Action::ReadPersonal, Scope::Any).is_ok()
}

/// Refuses `action` on report `id` when the caller may not take it there.
/// A report of an organisation whose reports the caller may not read is
/// not there, for them (404), as an unknown one.
fn allowed(s: &Store, c: &Caller, action: Action, id: ReportId) -> Result<ReportState, AppError> {
    let row = s.report_row(id)?;
    let org = s.organisation(&row.organisation)?.unwrap_or_default();
    if decide(&c.principal, Action::ReadReports, Scope::Organisation(org)).is_err() {
        return Err(AppError::NotFound(format!("report '{id}' is not in the register")));
    }
    if action == Action::SubmitReport {
        let scope = Scope::Report { organisation: org, report_type: row.report_type };
        decide(&c.principal, action, scope).map_err(|d| AppError::Forbidden(d.to_string()))?;
    }
    Ok(row.state)
}

/// Files judged at once, at most: a picture is decoded whole (up to some
/// hundreds of MB), so the server's memory bounds how many.
static JUDGING: Semaphore = Semaphore::const_new(2);

/// Uploads received at once, at most: each holds its file in memory (up to
/// the bound) while it arrives, however slowly; the next waits its turn.
pub(crate) static UPLOADS: Semaphore = Semaphore::const_new(4);

/// How long an upload may send nothing before it is given up.
const IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The body, at most `max` bytes (413 beyond); given up (408) when nothing
/// arrives for [`IDLE`].
pub(crate) async fn read_body(body: Body, max: u64, length: Option<u64>) -> Result<Vec<u8>, AppError> {
    let mut body = body;
    let mut out = Vec::with_capacity(length.unwrap_or(0).min(max) as usize);
    loop {
        let next = tokio::time::timeout(IDLE, body.frame()).await.map_err(|_| {
            AppError::Timeout(format!("the upload sent nothing for {} s; send it again", IDLE.as_secs()))
        })?;
        let Some(frame) = next else { break };
        let frame = frame.map_err(|e| AppError::BadRequest(format!("the upload was cut off: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() as u64 + data.len() as u64 > max {
                return Err(AppError::TooLarge(format!(
                    "the file is larger than the {} MB an attachment may be; send a smaller copy",
                    max / (1024 * 1024)
                )));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// The file judged from its bytes, off the runtime, a few at a time; the
/// bytes given back with the judgement.
async fn judge(bytes: Vec<u8>, name: &str) -> Result<(Vec<u8>, Judged), AppError> {
    let _turn = JUDGING.acquire().await.map_err(|_| AppError::Internal("the server is stopping".into()))?;
    let (bytes, judged) = tokio::task::spawn_blocking(move || {
        let judged = safeground_media::inspect(&bytes);
        (bytes, judged)
    })
    .await
    .map_err(|e| AppError::Internal(format!("a blocking task failed: {e}")))?;
    let judged = judged.map_err(|e| AppError::Refused {
        message: format!("{name} cannot be attached: {e}"),
        problems: vec![format!("{name}: {e}")],
    })?;
    Ok((bytes, judged))
}

/// Attaches the body's file to a draft or a report awaiting its decision.
#[utoipa::path(post, path = "/api/reports/{id}/attachments", params(AttachQuery,
    ("id" = String, Path, description = "the report's UUID")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentRow), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    q: Result<Query<AttachQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, AppError> {
    let id = report_id(&id)?;
    let q = query(q)?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| k.parse::<AttachmentKind>())
        .transpose()
        .map_err(|e| AppError::BadRequest(format!("kind: {e}")))?;
    // Who may attach, and to what, is known before a byte is read.
    let who = c.clone();
    let report_state = with_store(&state, move |s| allowed(s, &who, Action::SubmitReport, id)).await?;
    if !open_for_attachments(report_state) {
        return Err(AppError::Refused {
            message: format!("report {id} is {report_state}: files are attached while a report is a draft or awaits its decision"),
            problems: Vec::new(),
        });
    }
    let limits = state.attachments;
    let name = clean_name(q.name.as_deref().unwrap_or("upload"));
    let length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let received = {
        let _turn =
            UPLOADS.acquire().await.map_err(|_| AppError::Internal("the server is stopping".into()))?;
        read_body(body, limits.max_bytes, length).await?
    };
    let (bytes, judged) = judge(received, &name).await?;
    let row = with_store(&state, move |s| {
        allowed(s, &c, Action::SubmitReport, id)?;
        let file = NewAttachment { name: &name, kind, personal: q.personal, bytes: &bytes, judged: &judged };
        let actor = c.principal.name.clone();
        let made = s.write(|w| w.attach(id, &file, &limits, (&actor, OffsetDateTime::now_utc())))?;
        s.attachments(id, true)?
            .into_iter()
            .find(|a| a.id == made)
            .ok_or_else(|| AppError::Internal("the attachment just written is not there".into()))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A report's files, oldest first (personal ones only with the permission).
#[utoipa::path(get, path = "/api/reports/{id}/attachments",
    params(("id" = String, Path, description = "the report's UUID")),
    responses((status = 200, body = Vec<AttachmentRow>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentRow>>, AppError> {
    let id = report_id(&id)?;
    let rows = with_read_store(&state, move |s| {
        allowed(s, &c, Action::ReadReports, id)?;
        Ok(s.attachments(id, personal(&c))?)
    })
    .await?;
    Ok(Json(rows))
}

/// A hazard's files: those its approved reports brought (never a personal
/// one), of the reports the caller may read.
#[utoipa::path(get, path = "/api/hazards/{id}/attachments",
    params(("id" = String, Path, description = "the hazard's code or UUID")),
    responses((status = 200, body = Vec<AttachmentRow>), (status = 404, body = ErrorBody)))]
pub async fn of_hazard(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentRow>>, AppError> {
    let rows = with_read_store(&state, move |s| {
        let files = s.hazard_attachments(&id)?;
        Ok(files.into_iter().filter(|a| allowed(s, &c, Action::ReadReports, a.report).is_ok()).collect())
    })
    .await?;
    Ok(Json(rows))
}

/// An attachment's id from a path: text that is no UUID names none (404).
fn attachment_id(text: &str) -> Result<AttachmentId, AppError> {
    text.parse().map_err(|_| AppError::NotFound(format!("attachment '{text}' is not in the register")))
}

async fn serve_file(state: AppState, c: Caller, id: String, thumbnail: bool) -> Result<Response, AppError> {
    let id = attachment_id(&id)?;
    let found = with_read_store(&state, move |s| {
        let Some((row, bytes)) = s.attachment(id, personal(&c), thumbnail)? else {
            return Ok(None);
        };
        allowed(s, &c, Action::ReadReports, row.report)?;
        Ok(Some((row, bytes)))
    })
    .await?;
    let what = if thumbnail { "a thumbnail of attachment" } else { "attachment" };
    let (row, bytes) =
        found.ok_or_else(|| AppError::NotFound(format!("{what} '{id}' is not in the register")))?;
    let (mime, disposition) = if thumbnail {
        ("image/jpeg", "inline")
    } else if row.media.is_image() {
        (row.media.mime(), "inline")
    } else {
        (row.media.mime(), "attachment")
    };
    let mut res = Body::from(bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let file = format!("{}.{}", safe_stem(&row.file_name, id), row.media.extension());
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not kept by the browser: a shared field laptop, a permission withdrawn.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The name a download is given: the sent name's stem in plain letters,
/// digits, `-` and `_` (or the attachment's id), never a path or a quote.
fn safe_stem(name: &str, id: AttachmentId) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let clean: String =
        stem.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(80).collect();
    if clean.is_empty() {
        id.to_string()
    } else {
        clean
    }
}

/// The file, as the type its bytes were judged to be.
#[utoipa::path(get, path = "/api/attachments/{id}",
    params(("id" = String, Path, description = "the attachment's UUID")),
    responses((status = 200, description = "the file"), (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    serve_file(state, c, id, false).await
}

/// A picture's thumbnail (JPEG, at most 320 pixels a side); 404 for a file that has none.
#[utoipa::path(get, path = "/api/attachments/{id}/thumbnail",
    params(("id" = String, Path, description = "the attachment's UUID")),
    responses((status = 200, description = "a JPEG"), (status = 404, body = ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    serve_file(state, c, id, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_carry_no_path_or_quote() {
        let id = AttachmentId::new();
        assert_eq!(safe_stem("../../etc/passwd", id), "passwd");
        assert_eq!(safe_stem("C:\\photos\\marking 1.jpg", id), "marking1");
        assert_eq!(safe_stem("\"; x=.jpg", id), "x");
        assert_eq!(safe_stem("фото.jpg", id), id.to_string());
    }
}
