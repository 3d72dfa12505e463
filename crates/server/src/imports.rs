//! Uploads: a layer file into the register through the import's pipeline
//! (`safeground_exchange::import`), as `safeground import` runs it — the
//! same reports approved by the uploading officer, the same counts, the
//! same reject file, which comes back in the answer to save.
//!
//! The body is the file itself (`application/octet-stream`, which no other
//! site's page can post without asking first), written to a private
//! directory as it arrives and removed with everything in it when the
//! import ends. One import runs at a time: each holds the register's writer
//! for the whole file.

use crate::api::{query, with_store};
use crate::auth::Caller;
use crate::{AppError, AppState, ErrorBody};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine as _;
use http_body_util::BodyExt;
use safeground_core::crs::Crs;
use safeground_exchange::import::{run, said, ImportError, InFormat, Request, Summary};
use safeground_store::{ApprovalSettings, Layer, StoreError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};

/// The largest file an upload takes (the command line takes any size).
pub const MAX_UPLOAD: u64 = 256 << 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// hazards, released_areas, eo_finds, accidents, eore_sessions, tasks, settlements, districts or organisations.
    layer: String,
    /// The file's name as it was chosen (it names the import's reports; its extension gives the format).
    name: Option<String>,
    /// geojson, csv, gpkg, kml or xlsx, when the name's extension does not say.
    format: Option<String>,
    /// CSV, XLSX or GeoJSON: the reference system of the coordinates (EPSG:4326 by default, or a WGS84 / UTM zone).
    srs: Option<String>,
    /// GeoPackage or XLSX: the table or sheet to read.
    table: Option<String>,
    /// Import the good features even if some are rejected (by default any rejection imports nothing).
    keep_going: Option<bool>,
}

/// The reject file, to save: the rejected features in the input's format, each with its reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectFile {
    pub name: String,
    pub media_type: String,
    /// The file's bytes, in base64.
    pub base64: String,
}

/// What an import did, as `safeground import` prints it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// `refused` when features were rejected and nothing was imported (status 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// The line `import` prints, or why nothing was imported.
    pub message: String,
    pub file: String,
    pub layer: String,
    /// Whether the features were written.
    pub committed: bool,
    pub read: usize,
    pub imported: usize,
    /// Already in the register (imported before).
    pub present: usize,
    pub rejected: usize,
    /// The first twenty rejections: feature and reason.
    pub problems: Vec<String>,
    /// Columns of the file the layer does not read.
    pub ignored: Vec<String>,
    /// What approval flagged in what was written.
    pub warnings: Vec<String>,
    pub rejects: Option<RejectFile>,
}

/// Reads the body into `path`, refusing more than `max` bytes.
pub(crate) async fn receive(body: Body, path: &std::path::Path, max: u64) -> Result<u64, AppError> {
    let io = |e: std::io::Error| AppError::Internal(format!("writing the upload: {e}"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut body = body;
    let mut n: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| AppError::BadRequest(format!("the upload was cut off: {e}")))?;
        if let Ok(chunk) = frame.into_data() {
            n += chunk.len() as u64;
            if n > max {
                return Err(AppError::TooLarge(format!(
                    "this upload takes at most {} MiB; bring a larger file in with the command line on the server",
                    max >> 20
                )));
            }
            file.write_all(&chunk).map_err(io)?;
        }
    }
    file.flush().map_err(io)?;
    if n == 0 {
        return Err(AppError::BadRequest("the upload is empty: send the file as the body".into()));
    }
    Ok(n)
}

/// The upload's name, as messages and the import's reports give it: the
/// last part of what the client sent, without anything that reads as a path.
pub(crate) fn file_name(sent: Option<&str>, format: Option<InFormat>) -> String {
    let base = sent.and_then(|n| n.rsplit(['/', '\\']).next()).map(str::trim).unwrap_or_default();
    let mut clean: String = base.chars().filter(|c| !c.is_control()).collect();
    if clean.is_empty() || clean == "." || clean == ".." {
        return format!("upload.{}", format.map_or("geojson", InFormat::name));
    }
    // At most 120 bytes, the extension kept: the reject file's name adds to it.
    if clean.len() > 120 {
        let ext = std::path::Path::new(&clean)
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.len() <= 8)
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let mut stem = clean[..clean.len() - ext.len()].to_string();
        while stem.len() + ext.len() > 120 {
            stem.pop();
        }
        clean = stem + &ext;
    }
    clean
}

fn request(q: &ImportQuery, dir: &std::path::Path, max_vertices: usize) -> Result<Request, AppError> {
    let layer = q.layer.parse::<Layer>().map_err(|e| AppError::BadRequest(format!("layer: {e}")))?;
    let asked = q.format.as_deref().map(str::parse::<InFormat>).transpose().map_err(AppError::BadRequest)?;
    let name = file_name(q.name.as_deref(), asked);
    let format = asked.or_else(|| InFormat::of_path(name.as_ref())).ok_or_else(|| {
        AppError::BadRequest(format!(
            "cannot tell the format of {name} from its extension; name it with format=geojson|csv|gpkg|kml|xlsx"
        ))
    })?;
    let srs = q
        .srs
        .as_deref()
        .map(Crs::parse)
        .transpose()
        .map_err(|e| AppError::BadRequest(format!("srs: {e}")))?;
    // Readers of GeoPackage and workbooks look at the extension: the file
    // keeps its own where it names the format (.xls, .ods, .kmz), ours otherwise.
    let own = std::path::Path::new(&name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let ext = match own {
        Some(e) if InFormat::of_path(format!("x.{e}").as_ref()) == Some(format) => e,
        _ => format.name().to_string(),
    };
    let file = dir.join(format!("upload.{ext}"));
    // On disk under a name of ours; the answer names it after the upload.
    let rejects = dir.join(format!("rejects.{}", format.reject_extension()));
    let req = Request {
        file,
        name,
        layer,
        format,
        srs,
        table: q.table.clone(),
        keep_going: q.keep_going.unwrap_or(false),
        rejects,
        settings: ApprovalSettings { max_vertices, ..ApprovalSettings::default() },
        batch: 1000,
    };
    req.check().map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(req)
}

fn media_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/geo+json",
    }
}

impl RejectFile {
    /// The file, named `name`, of the media type its extension says.
    pub(crate) fn of(name: &str, bytes: &[u8]) -> RejectFile {
        RejectFile {
            name: name.to_string(),
            media_type: media_type(name.as_ref()).to_string(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// A private directory for an upload, removed with everything in it when dropped.
pub(crate) fn upload_dir() -> Result<tempfile::TempDir, AppError> {
    tempfile::Builder::new()
        .prefix("safeground-upload-")
        .tempdir()
        .map_err(|e| AppError::Internal(format!("a directory for the upload: {e}")))
}

fn result(req: &Request, s: Summary) -> Result<ImportResult, AppError> {
    let rejects = match &s.rejects {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                AppError::Internal(format!("reading the reject file {}: {e}", path.display()))
            })?;
            let stem =
                std::path::Path::new(&req.name).file_stem().and_then(|s| s.to_str()).unwrap_or("upload");
            Some(RejectFile::of(&format!("{stem}.rejects.{}", req.format.reject_extension()), &bytes))
        }
    };
    let t = &s.tally;
    let message = if s.committed {
        said(req.layer, &req.name, &s, rejects.as_ref().map(|r| r.name.as_str()))
    } else {
        format!(
            "{}: read {} features; {} rejected, so nothing was imported. Fix them and import again, \
             or import the {} good ones and leave the rejected ones out",
            req.name,
            t.read,
            t.rejected,
            t.read - t.rejected
        )
    };
    Ok(ImportResult {
        error: (!s.committed).then_some("refused"),
        message,
        file: req.name.clone(),
        layer: req.layer.name().to_string(),
        committed: s.committed,
        read: t.read,
        imported: t.imported,
        present: t.present,
        rejected: t.rejected,
        problems: t.first_rejections.clone(),
        ignored: s.ignored,
        warnings: s.warnings,
        rejects,
    })
}

/// A layer file imported: the body is the file. Its features go in under
/// reports approved by the caller; any rejected feature imports nothing
/// unless `keep_going` (then 200 with the good ones in). The answer counts
/// what was read, imported, already present and rejected, with the reject
/// file to save.
#[utoipa::path(post, path = "/api/imports", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file"),
    responses((status = 200, body = ImportResult), (status = 422, body = ImportResult,
        description = "features were rejected and nothing was imported"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Extension(c): Extension<Caller>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    body: Body,
) -> Result<Response, AppError> {
    let q = query(q)?;
    let dir = upload_dir()?;
    let req = request(&q, dir.path(), state.max_vertices)?;
    receive(body, &req.file, MAX_UPLOAD).await?;
    let _turn = IMPORTS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let officer = c.principal.name.clone();
    let out = with_store(&state, move |s| {
        // Messages name the upload, never the private file it was written to.
        let private = req.file.display().to_string();
        let named = |m: String| m.replace(&private, &req.name);
        let summary = run(s, &officer, &req, &|_| {}).map_err(|e| match e {
            ImportError::Invalid(m) => AppError::BadRequest(named(m)),
            ImportError::Read(e) => AppError::BadRequest(named(format!(
                "{e}. Nothing was imported: the file is not whole or not well formed; fix it and upload it again"
            ))),
            ImportError::Stopped { file, problem } => AppError::Internal(format!("importing {file}: {problem}")),
            ImportError::Store(e @ StoreError::Invalid { .. }) => AppError::BadRequest(named(e.to_string())),
            ImportError::Store(e) => e.into(),
            ImportError::Io(m) => AppError::Internal(m),
        })?;
        let out = result(&req, summary);
        drop(dir);
        out
    })
    .await?;
    let status = if out.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(out)).into_response())
}

/// How many imports run at once: each holds the register's writer.
static IMPORTS: Semaphore = Semaphore::const_new(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_named_by_its_last_part_never_a_path() {
        assert_eq!(file_name(Some("C:\\field\\finds.csv"), None), "finds.csv");
        assert_eq!(file_name(Some("../../etc/passwd"), None), "passwd");
        assert_eq!(file_name(Some(".."), Some(InFormat::Csv)), "upload.csv");
        assert_eq!(file_name(None, None), "upload.geojson");
        assert_eq!(file_name(Some("a\u{7}b.kml"), None), "ab.kml");
        // Long names are cut by bytes, keeping the extension (Cyrillic: two bytes a letter).
        let long = file_name(Some(&format!("{}.geojson", "ж".repeat(200))), None);
        assert!(long.len() <= 120 && long.ends_with(".geojson"), "{long}");
    }
}
