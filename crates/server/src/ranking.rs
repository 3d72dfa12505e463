//! Rankings over the API, as the CLI makes them: a scenario's ranking sealed
//! in the history (`priorities --seal`), and tasks issued for the top of a
//! sealed ranking (`task issue --from-ranking`). `core::priority` ranks; the
//! store seals and issues; the policy admits the roles that issue tasks.

use crate::api::{body, date, date_or, with_store, Priorities};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use safeground_core::codes::{ActivityKind, Priority};
use safeground_store::RankingTasks;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A ranking to seal: a scenario (TOML), or the default one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealBody {
    /// The scenario as a file would hold it (TOML); default `scenarios/default.toml`.
    scenario: Option<String>,
}

/// Ranks the register now under a scenario and seals the scenario and its
/// whole ranking in the history (event RANKING_SEALED), as `priorities
/// --seal` does; answers with its code and its first 20 hazards. A
/// scenario whose filter reads a line from a file is sealed with the CLI.
#[utoipa::path(post, path = "/api/rankings", request_body = SealBody,
    responses((status = 201, body = Priorities), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn seal_ranking(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Priorities>), AppError> {
    use safeground_core::priority::{parse_scenario, rank, DEFAULT_SCENARIO};
    let b: SealBody = body(&bytes)?;
    let text = b.scenario.unwrap_or_else(|| DEFAULT_SCENARIO.to_string());
    let scenario =
        parse_scenario(&text).map_err(|e| AppError::BadRequest(format!("scenario: cannot be used: {e}")))?;
    if scenario.filter.away_from.is_some() {
        return Err(AppError::BadRequest(
            "scenario: filter.away_from reads a line from a file beside the scenario; seal it with \
             `safeground priorities --scenario FILE --seal`"
                .into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let actor = c.principal.name;
    let answer = with_store(&state, move |s| {
        let f = s.priority_facts(&scenario, now.date())?;
        let ranked = rank(&scenario, &f.candidates, &f.settlements, &f.casualties, None, now.date());
        let code = s.write(|w| w.seal_ranking(&scenario, &text, now.date(), &ranked, &actor, now))?;
        let top = ranked.iter().take(20).map(serde_json::to_value).collect::<Result<Vec<_>, _>>();
        Ok(Priorities {
            ranking: Some(code),
            scenario: scenario.name.clone(),
            as_of: now.date().to_string(),
            ranked: top.map_err(|e| AppError::Internal(e.to_string()))?,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Tasks to issue from the top of a sealed ranking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingTasksBody {
    /// How many of its first hazards (default 5); those holding an open task or released are passed over.
    top: Option<usize>,
    /// The operator's acronym.
    organisation: String,
    /// Default CLEARANCE.
    activity: Option<ActivityKind>,
    /// Default MEDIUM.
    priority: Option<Priority>,
    /// YYYY-MM-DD; default today.
    issued_on: Option<String>,
    /// YYYY-MM-DD.
    due_on: Option<String>,
}

/// The tasks issued, by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTasks {
    ranking: String,
    tasks: Vec<String>,
}

/// Issues tasks for the first hazards of a sealed ranking, as `task issue
/// --from-ranking` does: each task's TASK_ISSUED event names the ranking.
#[utoipa::path(post, path = "/api/rankings/{code}/tasks", request_body = RankingTasksBody,
    params(("code" = String, Path, description = "RANK-<date>-<n>")),
    responses((status = 201, body = IssuedTasks), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn tasks_from_ranking(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<IssuedTasks>), AppError> {
    let b: RankingTasksBody = body(&bytes)?;
    let now = OffsetDateTime::now_utc();
    let issued_on = date_or(b.issued_on.as_deref(), "issued_on", now.date())?;
    let due_on = b.due_on.as_deref().map(|d| date(d, "due_on")).transpose()?;
    if due_on.is_some_and(|d| d < issued_on) {
        return Err(AppError::BadRequest(format!(
            "due_on: the tasks would be due before they are issued ({issued_on})"
        )));
    }
    let top = b.top.unwrap_or(5);
    if !(1..=1000).contains(&top) {
        return Err(AppError::BadRequest(format!("top: {top}: give 1 to 1000")));
    }
    let plan = RankingTasks {
        organisation: b.organisation,
        activity: b.activity.unwrap_or(ActivityKind::Clearance),
        priority: b.priority.unwrap_or(Priority::Medium),
        issued_on,
        due_on,
    };
    let at = safeground_store::recorded_at(issued_on, now);
    let (actor, ranking) = (c.principal.name, code.clone());
    let tasks =
        with_store(&state, move |s| match s.write(|w| w.issue_from_ranking(&code, top, &plan, &actor, at)) {
            // The ranking missing is a 404; the organisation named in the body, a mistake in it.
            Err(safeground_store::StoreError::Unknown { what: "organisation", key }) => {
                Err(AppError::BadRequest(format!("organisation: '{key}' is not in the register")))
            }
            other => Ok(other?),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedTasks { ranking, tasks })))
}
