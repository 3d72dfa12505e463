//! The programme's organisations over the API: listed for everyone who
//! reads the register (with what the register holds of each), added by
//! administrators with the checks `import --layer organisations` makes.

use crate::api::{body, with_store};
use crate::{AppError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use safeground_core::import::{to_item, ImportItem, InRecord};
use safeground_core::layer::Layer;
use safeground_store::OrganisationRow;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Every organisation, by acronym: the authority, operators and QM bodies.
#[utoipa::path(get, path = "/api/organisations", responses((status = 200, body = Vec<OrganisationRow>)))]
pub async fn organisations(State(state): State<AppState>) -> Result<Json<Vec<OrganisationRow>>, AppError> {
    Ok(Json(crate::replica::with_read_store(&state, |s| Ok(s.organisation_rows()?)).await?))
}

/// An organisation to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Unique in any case (ANAMA, HALO, …).
    acronym: String,
    name: String,
    /// NATIONAL_AUTHORITY, OPERATOR or QM_BODY.
    kind: String,
    /// ISO 3166-1 alpha-2 (AZ, UA, GB, …).
    country: String,
    /// Its UUID where another system already gave it one.
    id: Option<String>,
}

/// Adds an organisation (administrators); 409 when its acronym is taken.
#[utoipa::path(post, path = "/api/organisations", request_body = NewOrganisation,
    responses((status = 201, body = OrganisationRow), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<OrganisationRow>), AppError> {
    let n: NewOrganisation = body(&bytes)?;
    let text = |v: &str| Value::String(v.trim().to_string());
    let mut fields = vec![
        ("acronym".to_string(), text(&n.acronym)),
        ("name".to_string(), text(&n.name)),
        ("kind".to_string(), text(&n.kind)),
        ("country".to_string(), text(&n.country)),
    ];
    if let Some(id) = &n.id {
        fields.push(("id".to_string(), text(id)));
    }
    let record = InRecord::new(format!("organisation {}", n.acronym.trim()), fields, None);
    let o = match to_item(Layer::Organisations, &record) {
        Ok(ImportItem::Organisation(o)) => o,
        Ok(_) => return Err(AppError::Internal("an organisation's record made something else".into())),
        Err(e) => return Err(AppError::BadRequest(e.to_string())),
    };
    if o.acronym.chars().count() > 20 || o.acronym.chars().any(char::is_whitespace) {
        return Err(AppError::BadRequest(format!(
            "field 'acronym': '{}' is not an acronym: at most 20 characters, no spaces",
            o.acronym
        )));
    }
    let row = with_store(&state, move |s| Ok(s.add_organisation(&o)?)).await?;
    Ok((StatusCode::CREATED, Json(row)))
}
