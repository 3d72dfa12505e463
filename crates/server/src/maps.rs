//! The map's own routes: finding a hazard or a place (`GET /api/places`),
//! and the printed map, a sheet of A4 or A3 of the ground the reader chose
//! with its title, legend, scale bar and north arrow, as vector PDF
//! (`GET /api/maps/print`), drawn by the binary's document builder
//! ([`crate::Documents::map`]).

use crate::api::{bbox, query};
use crate::error::{AppError, ErrorBody};
use crate::replica::with_read_store;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use safeground_store::Place;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};

/// The paper, ISO 216.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    A3,
}

impl FromStr for Paper {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Paper, AppError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A4" => Ok(Paper::A4),
            "A3" => Ok(Paper::A3),
            _ => Err(AppError::BadRequest(format!("paper: '{s}' is not A4 or A3"))),
        }
    }
}

/// What to print, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSheet {
    /// The ground to show whole: west, south, east, north (degrees, WGS 84).
    pub bbox: [f64; 4],
    pub paper: Paper,
    pub landscape: bool,
    /// The sheet's title; `None`: the builder's own, in the sheet's language.
    pub title: Option<String>,
    /// en, az, uk or ru.
    pub lang: String,
}

/// How many sheets are drawn at once.
static PRINTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The longest title printed, in characters.
pub const MAX_TITLE: usize = 120;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrintQuery {
    /// The ground to show whole: min_lon,min_lat,max_lon,max_lat in degrees
    /// (the map's view); the paper's shape adds ground around it.
    bbox: String,
    /// A4 (default) or A3.
    paper: Option<String>,
    /// landscape (default) or portrait.
    orientation: Option<String>,
    /// The sheet's title (at most 120 characters); by default "Mine action
    /// map" in the sheet's language.
    title: Option<String>,
    /// en (default), az, uk or ru.
    lang: Option<String>,
}

impl PrintQuery {
    fn sheet(self) -> Result<MapSheet, AppError> {
        let lang = self.lang.unwrap_or_else(|| "en".into());
        if !["en", "az", "uk", "ru"].contains(&lang.as_str()) {
            return Err(AppError::BadRequest(format!("lang: '{lang}' is not en, az, uk or ru")));
        }
        let landscape = match self.orientation.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(o) if o.eq_ignore_ascii_case("landscape") => true,
            Some(o) if o.eq_ignore_ascii_case("portrait") => false,
            Some(o) => {
                return Err(AppError::BadRequest(format!("orientation: '{o}' is not landscape or portrait")))
            }
        };
        let title = self.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if let Some(t) = &title {
            if t.chars().count() > MAX_TITLE || t.chars().any(char::is_control) {
                return Err(AppError::BadRequest(format!(
                    "title: at most {MAX_TITLE} characters on one line; shorten it"
                )));
            }
        }
        Ok(MapSheet {
            bbox: bbox(&self.bbox)?,
            paper: self.paper.as_deref().map_or(Ok(Paper::A4), str::parse)?,
            landscape,
            title,
            lang,
        })
    }
}

/// A map sheet of the register's ground: the hazards by status, the
/// released ground by outcome, the EO finds, residual contamination and the
/// districts in the box,
/// on A4 or A3, with a title, a legend, a scale bar and a north arrow, as
/// vector PDF; 404 when this server makes no documents.
#[utoipa::path(get, path = "/api/maps/print", params(PrintQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn print(
    State(state): State<AppState>,
    q: Result<Query<PrintQuery>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let sheet = query(q)?.sheet()?;
    let Some(documents) = state.documents.clone() else {
        return Err(AppError::NotFound("this server makes no PDF documents".into()));
    };
    let paper = match sheet.paper {
        Paper::A4 => "a4",
        Paper::A3 => "a3",
    };
    // One sheet at a time: a national sheet reads every feature of the country.
    let _turn = PRINTS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let db = state.db.clone();
    let bytes =
        with_read_store(&state, move |s| documents.map(s, &db, &sheet).map_err(AppError::Internal)).await?;
    Ok(crate::api::pdf(&format!("map-{paper}.pdf"), bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// Part of a hazard's code or name, a settlement's or a district's name
    /// (any case; 2 to 100 characters).
    q: String,
}

/// What a search of the map found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Places {
    /// Hazards, then settlements, then districts: at most 8 of each, those
    /// whose code or name begins with the text first.
    pub places: Vec<Place>,
}

/// Hazards in force by code or name, settlements and districts by name,
/// each with its extent, for the map to go to.
#[utoipa::path(get, path = "/api/places", params(PlacesQuery),
    responses((status = 200, body = Places), (status = 400, body = ErrorBody)))]
pub async fn places(
    State(state): State<AppState>,
    q: Result<Query<PlacesQuery>, QueryRejection>,
) -> Result<Json<Places>, AppError> {
    let text = query(q)?.q.trim().to_string();
    let n = text.chars().count();
    if !(2..=100).contains(&n) {
        return Err(AppError::BadRequest("q: 2 to 100 characters; say more, or less".into()));
    }
    let places = with_read_store(&state, move |s| Ok(s.places(&text, 8)?)).await?;
    Ok(Json(Places { places }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(bbox: &str, paper: Option<&str>, orientation: Option<&str>, title: Option<&str>) -> PrintQuery {
        PrintQuery {
            bbox: bbox.into(),
            paper: paper.map(Into::into),
            orientation: orientation.map(Into::into),
            title: title.map(Into::into),
            lang: None,
        }
    }

    #[test]
    fn a_sheet_is_a4_across_unless_asked() {
        let s = q("46.8,39.9,47.0,40.0", None, None, Some("  ")).sheet().unwrap();
        assert_eq!((s.paper, s.landscape, s.title, s.lang.as_str()), (Paper::A4, true, None, "en"));
        let s = q("46.8,39.9,47.0,40.0", Some("a3"), Some("Portrait"), Some("Ağdam")).sheet().unwrap();
        assert_eq!((s.paper, s.landscape, s.title.as_deref()), (Paper::A3, false, Some("Ağdam")));
    }

    #[test]
    fn what_cannot_be_printed_is_refused_with_the_field() {
        for (query, field) in [
            (q("47,40,46,39", None, None, None), "bbox"),
            (q("46,39,47", None, None, None), "bbox"),
            (q("46,39,47,40", Some("A5"), None, None), "paper"),
            (q("46,39,47,40", None, Some("sideways"), None), "orientation"),
            (q("46,39,47,40", None, None, Some(&"x".repeat(MAX_TITLE + 1))), "title"),
            (q("46,39,47,40", None, None, Some("a\nb")), "title"),
        ] {
            match query.sheet() {
                Err(AppError::BadRequest(m)) => assert!(m.starts_with(field), "{m}"),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
