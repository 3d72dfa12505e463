//! The web application, built by build.rs and embedded in the binary.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

macro_rules! asset {
    ($file:literal, $type:literal) => {
        get(|| async {
            (
                [(header::CONTENT_TYPE, $type), (header::CACHE_CONTROL, "no-cache")],
                include_bytes!(concat!(env!("OUT_DIR"), "/web/", $file)).as_slice(),
            )
                .into_response()
        })
    };
}

/// `/` and the files it loads.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", asset!("index.html", "text/html; charset=utf-8"))
        .route("/app.js", asset!("app.js", "text/javascript; charset=utf-8"))
        .route("/style.css", asset!("style.css", "text/css; charset=utf-8"))
        .route("/maplibre-gl.css", asset!("maplibre-gl.css", "text/css; charset=utf-8"))
}
