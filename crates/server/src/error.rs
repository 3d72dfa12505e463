//! The one error type of the API. Client mistakes are 4xx with a stable
//! machine code and a message that says what to do; a server that cannot
//! serve now is 503 (`timeout`, `unavailable`) with a message that names no
//! path; anything else is a 500 whose detail goes to the log, never to the
//! client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use safeground_store::StoreError;
use serde::Serialize;

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `not_found`, `bad_request`, `method_not_allowed`, `invalid_json`, `refused`, `conflict`,
    /// `unauthenticated`, `bad_login`, `forbidden`, `csrf`, `too_many_attempts`, `misdirected`,
    /// `unsupported_media_type`, `too_large`, `timeout`, `unavailable`, `internal`.
    pub error: &'static str,
    pub message: String,
    /// For `refused`: every problem found, one per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{message}")]
    Refused { message: String, problems: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    /// No principal: sign in, or send an API token.
    #[error("{0}")]
    Unauthenticated(String),
    /// A login with a wrong name or password (never says which).
    #[error("wrong name or password")]
    BadLogin,
    /// The principal may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A change without the session's CSRF token, or from another site.
    #[error("{0}")]
    Csrf(String),
    /// Too many failed logins: wait this many seconds.
    #[error("too many failed logins; try again in {0} seconds")]
    TooManyAttempts(u64),
    /// The request names a host this server does not answer to (DNS rebinding).
    #[error("{0}")]
    Misdirected(String),
    /// A body that is not of the type the route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body larger than the route takes.
    #[error("{0}")]
    TooLarge(String),
    /// The request took longer than the server allows.
    #[error("{0}")]
    Timeout(String),
    /// The server is up but cannot serve the register now (it cannot be
    /// opened, or its schema is not the one this server reads); the message
    /// names no path.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            AppError::Refused { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::BadLogin => (StatusCode::UNAUTHORIZED, "bad_login"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Csrf(_) => (StatusCode::FORBIDDEN, "csrf"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Misdirected(_) => (StatusCode::MISDIRECTED_REQUEST, "misdirected"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::Timeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unknown { .. } => AppError::NotFound(e.to_string()),
            StoreError::Refused { report, action, problems } => {
                AppError::Refused { message: format!("{report} cannot be {action}"), problems }
            }
            StoreError::Invalid { .. } => AppError::BadRequest(e.to_string()),
            StoreError::Conflict { .. } | StoreError::FieldCopy { .. } => AppError::Conflict(e.to_string()),
            StoreError::Interrupted { .. } => {
                tracing::warn!(detail = %e, "a statement was interrupted");
                AppError::Unavailable(
                    "the register's database was interrupted (a connection lost or a query cancelled); try again"
                        .into(),
                )
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let retry = match &self {
            AppError::TooManyAttempts(s) => Some(*s),
            _ => None,
        };
        let (message, problems) = match self {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ("the server could not complete the request; the details are in its log".to_string(), vec![])
            }
            AppError::Refused { message, problems } => (message, problems),
            other => (other.to_string(), vec![]),
        };
        let mut res = (status, Json(ErrorBody { error: code, message, problems })).into_response();
        if let Some(s) = retry {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(s));
        }
        res
    }
}
