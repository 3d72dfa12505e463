//! Field submissions over the API, as `report import-submissions` and
//! `report submit-draft` keep them: a KoBoToolbox or ODK Central export
//! uploaded (the body, `application/octet-stream`) and saved as draft
//! reports (`safeground_exchange::submissions`), and a draft submitted to
//! the approval queue. An operator's account drafts and submits its own
//! organisation's reports only: a submission naming another is rejected.

use crate::api::{query, with_store};
use crate::auth::Caller;
use crate::imports::{file_name, receive, upload_dir, RejectFile};
use crate::{AppError, AppState, ErrorBody};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use safeground_core::access::{decide, Action, Principal, Scope};
use safeground_core::report::{Report, ReportType};
use safeground_exchange::submissions::{draft, Drafted, Request, SubmissionsError};
use safeground_formats::xlsform::FormKind;
use safeground_store::{DraftOutcome, Store};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionsQuery {
    /// The form the submissions were made with: nts, clearance, eo_find or eore_session.
    form: String,
    /// The export's file name as it was chosen (messages name it).
    name: Option<String>,
    /// The author (acronym) of submissions that name no organisation; an operator's account is always its own.
    organisation: Option<String>,
    /// Draft the good submissions even when some are rejected (by default nothing is saved then).
    keep_going: Option<bool>,
}

/// A submission saved as a draft, or found imported before.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftLine {
    /// The draft report's id.
    pub id: String,
    /// Where the submission is in the export (`row 3`, or its instance ID).
    pub at: String,
    /// DRAFT for a new draft; the report's state when it was imported before.
    pub state: String,
    /// Whether it was imported before (and so not drafted again).
    pub already: bool,
}

/// What an export's submissions became, as `report import-submissions` says it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionsResult {
    /// `refused` when submissions were rejected and nothing was saved (status 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// The command's last line, or why nothing was saved.
    pub message: String,
    pub file: String,
    pub form: String,
    /// Whether the drafts were saved.
    pub committed: bool,
    pub read: usize,
    pub drafted: usize,
    pub already: usize,
    pub rejected: usize,
    /// Each rejection: where in the file, and why.
    pub problems: Vec<String>,
    pub drafts: Vec<DraftLine>,
    /// The rejected submissions as they were, each with its `_reject_reason`.
    pub rejects: Option<RejectFile>,
}

/// Why `p` may not submit a report of `organisation` (acronym) and
/// `report_type`, for the store's organisations `orgs`.
fn may_submit(
    p: &Principal,
    orgs: &[safeground_store::OrganisationRef],
    (organisation, report_type): (&str, ReportType),
) -> Result<(), String> {
    // Found by acronym or id, as the store finds it; one not found is
    // refused here, so no report passes unchecked.
    let wanted = organisation.trim();
    let Some(org) =
        orgs.iter().find(|o| o.acronym.eq_ignore_ascii_case(wanted) || o.id.eq_ignore_ascii_case(wanted))
    else {
        return Err(format!("field 'organisation': '{wanted}' is not an organisation of the register"));
    };
    let id = org.id.parse().map_err(|_| format!("organisation {}: its id is not a UUID", org.acronym))?;
    decide(p, Action::SubmitReport, Scope::Report { organisation: id, report_type })
        .map_err(|d| d.to_string())
}

fn said(d: &Drafted, file: &str, form: FormKind) -> Result<SubmissionsResult, AppError> {
    let rejects = if d.rejected.is_empty() {
        None
    } else {
        let mut bytes = Vec::new();
        d.write_rejects(&mut bytes)
            .map_err(|e| AppError::Internal(format!("writing the reject file: {e}")))?;
        Some(RejectFile::of(&format!("{file}.rejects.{}", d.reject_extension()), &bytes))
    };
    let drafts = d
        .outcomes
        .iter()
        .filter_map(|(i, o)| match o {
            DraftOutcome::Drafted(id) if d.committed => {
                Some(DraftLine { id: id.to_string(), at: d.at(*i), state: "DRAFT".into(), already: false })
            }
            DraftOutcome::AlreadyImported { id, state } => {
                Some(DraftLine { id: id.to_string(), at: d.at(*i), state: state.clone(), already: true })
            }
            _ => None,
        })
        .collect();
    let (read, rejected) = (d.export.rows.len(), d.rejected.len());
    let message = if d.committed {
        d.said()
    } else {
        format!(
            "{rejected} of {read} submissions rejected: nothing was saved. Correct them and upload the file \
             again, or draft the good ones and leave the rejected ones out"
        )
    };
    Ok(SubmissionsResult {
        error: (!d.committed).then_some("refused"),
        message,
        file: file.to_string(),
        form: form.name().to_string(),
        committed: d.committed,
        read,
        drafted: d.drafted(),
        already: d.already(),
        rejected,
        problems: d.rejections(),
        drafts,
        rejects,
    })
}

/// A KoBoToolbox or ODK Central export (CSV or JSON; the body is the file)
/// saved as draft reports by the caller. By default one rejected submission
/// saves nothing (422, with the reject file); `keep_going` drafts the good ones.
#[utoipa::path(post, path = "/api/submissions", params(SubmissionsQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the export"),
    responses((status = 200, body = SubmissionsResult), (status = 422, body = SubmissionsResult,
        description = "submissions were rejected and nothing was saved"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<SubmissionsQuery>, QueryRejection>,
    body: Body,
) -> Result<Response, AppError> {
    let q = query(q)?;
    let form = q.form.parse::<FormKind>().map_err(|e| AppError::BadRequest(format!("form: {e}")))?;
    let name = q
        .name
        .as_deref()
        .map_or_else(|| format!("{}-submissions", form.name()), |n| file_name(Some(n), None));
    let dir = upload_dir()?;
    let path = dir.path().join("export");
    receive(body, &path, MAX_EXPORT).await?;
    // One at a time: an export is read whole into memory.
    let _turn = SUBMISSIONS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let only = crate::auth::operator_scope(&c);
    let out = with_store(&state, move |s| {
        let orgs = s.organisations()?;
        let organisation = match only {
            // An operator's account drafts for its own organisation, whatever it asks.
            Some(own) => {
                let own = own.and_then(|id| orgs.iter().find(|o| o.id == id.to_string()));
                Some(own.map(|o| o.acronym.clone()).ok_or_else(|| {
                    AppError::Forbidden(
                        "this operator's account names no organisation of the register".into(),
                    )
                })?)
            }
            None => q.organisation.clone(),
        };
        let req =
            Request { name: name.clone(), form, organisation, keep_going: q.keep_going.unwrap_or(false) };
        let input =
            std::fs::File::open(&path).map_err(|e| AppError::Internal(format!("reading the upload: {e}")))?;
        let may = |r: &Report| may_submit(&c.principal, &orgs, (&r.organisation, r.report_type));
        let d = draft(s, (&c.principal.name, &may), &req, std::io::BufReader::new(input)).map_err(
            |e| match e {
                SubmissionsError::NotAnExport(e) => AppError::BadRequest(e.to_string()),
                SubmissionsError::Store(e) => e.into(),
            },
        )?;
        let out = said(&d, &name, form);
        drop(dir);
        out
    })
    .await?;
    let status = if out.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(out)).into_response())
}

/// The largest export an upload takes: a field team's KoBo export is a
/// few megabytes, and it is read whole.
const MAX_EXPORT: u64 = 32 << 20;

/// How many exports are drafted at once.
static SUBMISSIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedDraft {
    id: String,
    state: String,
}

/// A draft report submitted: it joins the approval queue. An operator's
/// account submits its own organisation's.
#[utoipa::path(post, path = "/api/reports/{id}/submission", params(("id" = String, Path, description = "the draft's id")),
    responses((status = 200, body = SubmittedDraft), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the report is not a draft")))]
pub async fn submit(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<SubmittedDraft>, AppError> {
    let id = crate::api::report_id(&id)?;
    with_store(&state, move |s: &mut Store| {
        let (row, _, _) = s.report(id)?;
        let orgs = s.organisations()?;
        may_submit(&c.principal, &orgs, (&row.organisation, row.report_type)).map_err(AppError::Forbidden)?;
        s.submit_draft(id, &c.principal.name, OffsetDateTime::now_utc())?;
        Ok(Json(SubmittedDraft { id: id.to_string(), state: "SUBMITTED".into() }))
    })
    .await
}
