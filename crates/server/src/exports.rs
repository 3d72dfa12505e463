//! Downloads: a layer (or every layer, as a workbook) in any export format,
//! as of a day, at the full or the public level — the file `safeground
//! export` would write (`safeground_exchange::export`). The public level is
//! for any account that reads the register; the full level needs the
//! permission to export.

use crate::api::{date, query, with_store};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use safeground_core::access::{decide, Action, Scope as Scope_};
use safeground_core::public::Dangerous;
use safeground_exchange::export::{write, ExportError, Format, Request, Scope};
use safeground_store::Layer;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio_util::io::ReaderStream;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// geojson (default), csv, kml, gpkg or xlsx.
    format: Option<String>,
    /// The layer as it stood at the end of this day (YYYY-MM-DD, UTC).
    as_of: Option<String>,
    /// Only features in this district (either spelling).
    district: Option<String>,
    /// full (default; needs the permission to export) or public: hazards still dangerous lose their outline.
    level: Option<String>,
    /// At the public level: coarsen (default; to grid cells) or drop their geometry.
    dangerous: Option<String>,
    /// The grid of `coarsen`, in degrees (default 0.01).
    grid: Option<f64>,
    /// CSV: the HXL hashtag row under the header.
    hxl: Option<bool>,
    /// gpkg: with the files shown with each hazard, EO find or accident (Related Tables Extension; never a personal file).
    attachments: Option<bool>,
    /// Only check the request: 204 when the download would be written, or
    /// the mistake it would meet — for a page to say so before it navigates.
    check: Option<bool>,
}

fn request(layer: &str, q: &ExportQuery) -> Result<(Request, bool), AppError> {
    let layers = if layer.eq_ignore_ascii_case("all") {
        Layer::ALL.to_vec()
    } else {
        vec![layer.parse::<Layer>().map_err(AppError::NotFound)?]
    };
    let format = q.format.as_deref().unwrap_or("geojson").parse::<Format>().map_err(AppError::BadRequest)?;
    let public = match q.level.as_deref().unwrap_or("full") {
        "full" => false,
        "public" => true,
        other => return Err(AppError::BadRequest(format!("level: '{other}' is neither full nor public"))),
    };
    let dangerous = match q.dangerous.as_deref().unwrap_or("coarsen") {
        "coarsen" => Dangerous::Coarsen { grid_deg: q.grid.unwrap_or(0.01) },
        "drop" => Dangerous::Drop,
        other => {
            return Err(AppError::BadRequest(format!("dangerous: '{other}' is neither coarsen nor drop")))
        }
    };
    let r = Request {
        layers,
        format,
        as_of: q.as_of.as_deref().map(|d| date(d, "as_of")).transpose()?,
        district: q.district.clone(),
        hxl: q.hxl.unwrap_or(false),
        public: public.then_some(dangerous),
        scope: Scope::default(),
        attachments: q.attachments.unwrap_or(false),
    };
    r.check().map_err(|e| AppError::BadRequest(e.to_string()))?;
    if r.attachments && r.format != Format::Gpkg {
        return Err(AppError::BadRequest(
            "files come inside a GeoPackage download (format=gpkg); the command line writes them beside other formats".into(),
        ));
    }
    Ok((r, public))
}

/// The export as a file to save: its bytes, its media type, and a name
/// (`<layer>[-public][-as-of-<day>].<format>`).
#[utoipa::path(get, path = "/api/exports/{layer}", params(("layer" = String, Path,
        description = "hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts, organisations, or all (xlsx)"),
        ExportQuery),
    responses((status = 200, description = "the file, as an attachment"), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(layer): Path<String>,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let q = query(q)?;
    let (req, public) = request(&layer, &q)?;
    let narrowing = Narrowing::of(&c);
    if !public {
        decide(&c.principal, Action::Export, Scope_::Any).map_err(|d| {
            AppError::Forbidden(format!(
                "{d}; ask for level=public, which hides the outline of ground still dangerous"
            ))
        })?;
    }
    if req.attachments && narrowing.without_report_ids {
        return Err(AppError::Forbidden(
            "the files come from the reports, which this account reads for its own organisation only; download without them".into(),
        ));
    }
    if q.check == Some(true) {
        return checked(&state, req.district).await;
    }
    let name = format!(
        "{}{}{}.{}",
        if req.layers.len() > 1 { "register" } else { req.layers[0].name() },
        if public { "-public" } else { "" },
        req.as_of.map_or(String::new(), |d| format!("-as-of-{d}")),
        req.format.name()
    );
    let media = req.format.media_type();
    // A few at a time: each writes a whole layer before it is sent.
    let _turn = EXPORTS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let file = with_store(&state, move |s| {
        let mut req = req;
        req.scope = narrowing.scope(s);
        // Written to a private file of its own, opened, and unlinked before
        // it is sent: nothing stays behind, whatever becomes of the answer.
        let part = Part(std::env::temp_dir().join(format!(
            "safeground-download-{}-{}.{}",
            std::process::id(),
            safeground_core::ids::fresh(),
            req.format.name()
        )));
        let opened = write(s, &req, &part.0).and_then(|_| Ok(std::fs::File::open(&part.0)?));
        opened.map_err(|e| match e {
            ExportError::Invalid(m) => AppError::BadRequest(m),
            // Too many rows or too long a cell for a workbook: the message says what to ask for instead.
            ExportError::Workbook(m) => AppError::BadRequest(m),
            ExportError::Store(e) => e.into(),
            ExportError::Io(e) => AppError::Internal(e.to_string()),
        })
    })
    .await?;
    let length = file.metadata().map(|m| m.len()).ok();
    let body = Body::from_stream(ReaderStream::new(tokio::fs::File::from_std(file)));
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut answer =
        ([(header::CONTENT_TYPE, media.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
            .into_response();
    if let Some(n) = length {
        answer.headers_mut().insert(header::CONTENT_LENGTH, n.into());
    }
    Ok(answer)
}

/// What a caller's downloads and layers leave out, as the API's other reads
/// do: an operator's account gets its own organisation's tasks, and report
/// ids go to those who read reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Narrowing {
    /// An operator's account: its organisation (none: no task at all).
    only: Option<Option<uuid::Uuid>>,
    pub(crate) without_report_ids: bool,
}

impl Narrowing {
    pub(crate) fn of(c: &Caller) -> Narrowing {
        Narrowing {
            only: crate::auth::operator_scope(c),
            without_report_ids: decide(&c.principal, Action::ReadReports, Scope_::EveryOrganisation).is_err(),
        }
    }

    /// The export's scope, the organisation named as the register spells it.
    pub(crate) fn scope(self, s: &safeground_store::Store) -> Scope {
        let tasks_of = self.only.map(|own| {
            // An operator's account without an organisation gets no task.
            own.and_then(|id| {
                s.organisations().ok()?.into_iter().find(|o| o.id == id.to_string()).map(|o| o.acronym)
            })
            .unwrap_or_default()
        });
        Scope { tasks_of, without_report_ids: self.without_report_ids }
    }
}

/// The answer to `check=true`: the request is good once its district is
/// one of the register's. A workbook too large for Excel's limits is found
/// only while it is written, so a check cannot promise that one.
async fn checked(state: &AppState, district: Option<String>) -> Result<Response, AppError> {
    with_store(state, move |s| {
        if let Some(d) = district {
            s.district_known(&d)?;
        }
        Ok(())
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// How many downloads are written at once.
static EXPORTS: Semaphore = Semaphore::const_new(2);

/// A download's file, removed when dropped (an open handle keeps it readable).
struct Part(std::path::PathBuf);

impl Drop for Part {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
