//! Tasks over the API, as the CLI keeps them: the board's list (filtered
//! and paged in the database; an operator's account sees its own
//! organisation's) and a task issued (`core::task` decides whether it may
//! be; the policy admits the roles that issue tasks).

use crate::api::{body, date, date_or, paging, query, with_store, Page};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use safeground_core::codes::{ActivityKind, Priority, TaskStatus};
use safeground_store::{NewTask, Paging, TaskFilter, TaskRow};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only this organisation's (acronym or UUID); an operator's account sees its own only.
    organisation: Option<String>,
    /// ISSUED, IN_PROGRESS, COMPLETED or CANCELLED.
    status: Option<String>,
    /// Only this hazard's (code or UUID).
    hazard: Option<String>,
    /// Only those still open after their due date.
    overdue: Option<bool>,
    /// From 1.
    page: Option<usize>,
    /// 1 to 1,000 (default 100).
    per_page: Option<usize>,
}

/// Tasks, the soonest due first, filtered and paged.
#[utoipa::path(get, path = "/api/tasks", params(TaskQuery),
    responses((status = 200, body = Page<TaskRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn tasks(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<TaskQuery>, QueryRejection>,
) -> Result<Json<Page<TaskRow>>, AppError> {
    let q = query(q)?;
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<TaskStatus>().map_err(|e| AppError::BadRequest(format!("status: {e}"))))
        .transpose()?;
    let (page, per_page, window) = paging(q.page, q.per_page)?;
    let only = crate::auth::operator_scope(&c);
    let today = OffsetDateTime::now_utc().date();
    let (total, items) = with_store(&state, move |s| {
        let asked =
            match &q.organisation {
                Some(o) => Some(s.organisation(o)?.ok_or_else(|| {
                    AppError::NotFound(format!("organisation '{o}' is not in the register"))
                })?),
                None => None,
            };
        let organisation = match only {
            // An operator without an organisation sees none.
            Some(None) => return Ok((0, vec![])),
            Some(Some(own)) if asked.is_some_and(|a| a != own) => {
                return Err(AppError::Forbidden(
                    "an operator's account sees its own organisation's tasks only".into(),
                ))
            }
            Some(Some(own)) => Some(own),
            None => asked,
        };
        let filter = TaskFilter {
            organisation,
            status,
            hazard: q.hazard,
            overdue: q.overdue.unwrap_or(false),
            code: None,
        };
        Ok(s.task_page(&filter, window, today)?)
    })
    .await?;
    Ok(Json(Page { total, page, per_page, items }))
}

/// A task to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskBody {
    /// The hazard's code or UUID.
    hazard: String,
    /// The organisation's acronym or UUID.
    organisation: String,
    /// Default CLEARANCE.
    activity: Option<ActivityKind>,
    /// Default MEDIUM.
    priority: Option<Priority>,
    /// Default T-<hazard> (then -2, -3, …).
    code: Option<String>,
    /// YYYY-MM-DD; default today.
    issued_on: Option<String>,
    /// YYYY-MM-DD.
    due_on: Option<String>,
}

/// Issues a task, as `task issue` does (event TASK_ISSUED); answers with
/// the task as the board lists it.
#[utoipa::path(post, path = "/api/tasks", request_body = NewTaskBody,
    responses((status = 201, body = TaskRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<TaskRow>), AppError> {
    let b: NewTaskBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let task = NewTask {
        hazard: b.hazard,
        organisation: b.organisation,
        activity: b.activity.unwrap_or(ActivityKind::Clearance),
        priority: b.priority.unwrap_or(Priority::Medium),
        code: b.code,
        issued_on: date_or(b.issued_on.as_deref(), "issued_on", now.date())?,
        due_on: b.due_on.as_deref().map(|d| date(d, "due_on")).transpose()?,
    };
    let actor = c.principal.name;
    let row = with_store(&state, move |s| {
        let at = safeground_store::recorded_at(task.issued_on, now);
        let code = s.write(|w| w.issue_new_task(&task, &actor, at, now.date()))?;
        let filter = TaskFilter { code: Some(code.clone()), ..TaskFilter::default() };
        let (_, rows) = s.task_page(&filter, Paging::ALL, now.date())?;
        rows.into_iter()
            .next()
            .ok_or_else(|| AppError::Internal(format!("task {code} was issued but cannot be read back")))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A task called off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// YYYY-MM-DD; default today.
    on: Option<String>,
    /// Why, kept in the history.
    reason: String,
}

/// Cancels an open task from a day, as `task cancel` does (event
/// TASK_CANCELLED); work under it that ends after that day is then refused.
#[utoipa::path(post, path = "/api/tasks/{code}/cancellation", request_body = CancelBody,
    params(("code" = String, Path, description = "the task's code")),
    responses((status = 200, body = TaskRow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<Json<TaskRow>, AppError> {
    let b: CancelBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let on = date_or(b.on.as_deref(), "on", now.date())?;
    let actor = c.principal.name;
    let row =
        with_store(&state, move |s| {
            let at = safeground_store::recorded_at(on, now);
            let code = s.write(|w| w.cancel_task(&code, on, &b.reason, &actor, at, now.date()))?;
            let filter = TaskFilter { code: Some(code.clone()), ..TaskFilter::default() };
            s.task_page(&filter, Paging::ALL, now.date())?.1.into_iter().next().ok_or_else(|| {
                AppError::Internal(format!("task {code} was cancelled but cannot be read back"))
            })
        })
        .await?;
    Ok(Json(row))
}
