//! The API against a real demo register (a GeoPackage in a temporary
//! directory), request by request with `tower::ServiceExt::oneshot`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use safeground_core::codes::HazardStatus;
use safeground_server::{app, AppState};
use safeground_store::Store;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.gpkg");
    let places = safeground_demo::Places::load().unwrap();
    let mut store = Store::create(&db).unwrap();
    safeground_demo::build(&places, 2020, "30".parse().unwrap(), &mut store, &mut |_, _| {}).unwrap();
    db
}

async fn call(db: &Path, method: Method, uri: &str, body: Option<&str>) -> (StatusCode, Value, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty))
        .unwrap();
    let res = app(AppState::new(db, "api test").unwrap()).oneshot(req).await.unwrap();
    let status = res.status();
    let content_type =
        res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json, content_type)
}

async fn get(db: &Path, uri: &str) -> (StatusCode, Value) {
    let (s, v, _) = call(db, Method::GET, uri, None).await;
    (s, v)
}

/// A client mistake: the status, and the stable code in a JSON body with a message.
fn mistake(got: (StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], code, "{}", got.1);
    assert!(got.1["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", got.1);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (status, doc) = get(&db, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/summary",
        "/api/hazards",
        "/api/hazards/{id}",
        "/api/hazards/{id}/history",
        "/api/reports",
        "/api/reports/{id}",
        "/api/reports/{id}/approve",
        "/api/reports/{id}/reject",
        "/api/reports/{id}/unapprove",
        "/api/trace",
        "/api/layers/{layer}",
        "/api/kpi",
        "/api/accreditations",
        "/api/hazards/{id}/certificate",
        "/api/hazards/{id}/certificate/pdf",
        "/api/places",
        "/api/maps/print",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not described");
    }
    // Query parameters are described as such, not as path parameters.
    for (path, method) in [
        ("/api/hazards", "get"),
        ("/api/summary", "get"),
        ("/api/reports", "get"),
        ("/api/trace", "get"),
        ("/api/traverse", "post"),
        ("/api/layers/{layer}", "get"),
    ] {
        for p in doc["paths"][path][method]["parameters"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let in_path = path.contains(&format!("{{{name}}}"));
            assert_eq!(p["in"], if in_path { "path" } else { "query" }, "{path} {name}");
            let required = p["required"].as_bool().unwrap_or(false);
            assert_eq!(required, in_path || name == "position", "{path} {name}");
        }
    }
    for schema in
        ["Summary", "HazardRow", "HazardDetail", "Report", "ErrorBody", "EoCategory", "Places", "Place"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} is missing");
    }
    assert_eq!(doc, serde_json::to_value(safeground_server::openapi()).unwrap());
}

#[tokio::test]
async fn reading_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (status, s) = get(&db, "/api/summary").await;
    assert_eq!(status, StatusCode::OK);
    let now = s["totals"]["area_km2"]["recorded"].as_f64().unwrap();
    let (_, then) = get(&db, "/api/summary?as_of=2022-01-01").await;
    assert!(then["totals"]["area_km2"]["recorded"].as_f64().unwrap() < now);
    mistake(get(&db, "/api/summary?as_of=yesterday").await, StatusCode::BAD_REQUEST, "bad_request");
    // The land-release indicators, per month, the same total as per organisation.
    let (status, k) = get(&db, "/api/kpi?from=2021-01-01&to=2026-12-31&by=month").await;
    assert_eq!(status, StatusCode::OK, "{k}");
    assert!(k["groups"]
        .as_array()
        .is_some_and(|g| !g.is_empty() && g.iter().all(|m| m["group"].as_str().unwrap().len() == 7)));
    let (_, o) = get(&db, "/api/kpi?from=2021-01-01&to=2026-12-31").await;
    assert_eq!(o["by"], "organisation");
    assert_eq!(o["total"], k["total"]);
    assert!(k["total"]["cleared_m2"].as_f64().unwrap() > 0.0);
    mistake(
        get(&db, "/api/kpi?from=2021-01-01&to=2026-12-31&by=team").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    mistake(get(&db, "/api/kpi?from=2026-01-01&to=2021-12-31").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/kpi?to=2021-12-31").await, StatusCode::BAD_REQUEST, "bad_request");

    // A certificate for ground released whole; a refusal, with its reason, for ground not.
    let released = Store::open(&db)
        .unwrap()
        .hazards(&Default::default())
        .unwrap()
        .into_iter()
        .find(|h| h.status == HazardStatus::HandedOver || h.status == HazardStatus::Closed)
        .expect("the demo has released hazards");
    let (status, c) = get(&db, &format!("/api/hazards/{}/certificate", released.code)).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert!(c["number"].as_str().unwrap().starts_with(&format!("{}/", released.code)), "{c}");
    assert!(c["turning_points"].as_array().is_some_and(|p| p.len() >= 3), "{c}");
    let open = Store::open(&db)
        .unwrap()
        .hazards(&Default::default())
        .unwrap()
        .into_iter()
        .find(|h| h.status == HazardStatus::Open)
        .expect("the demo has open hazards");
    let (status, e) = get(&db, &format!("/api/hazards/{}/certificate", open.code)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap_or_default().contains("approve its completion report"), "{e}");
    mistake(get(&db, "/api/hazards/AZ-NONE-1/certificate").await, StatusCode::NOT_FOUND, "not_found");

    // Accreditations: all, and those ending within 30 days of today.
    {
        let mut store = Store::open(&db).unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        for (reference, ends) in [("ACC-SOON", 10), ("ACC-LATER", 90)] {
            let a = safeground_store::NewAccreditation {
                reference: reference.into(),
                organisation: "QHD".into(),
                team: None,
                capability: safeground_core::codes::Capability::Manual,
                valid_from: today - time::Duration::days(100),
                valid_to: today + time::Duration::days(ends),
            };
            store.write(|w| w.add_accreditation(&a, "test", time::OffsetDateTime::now_utc())).unwrap();
        }
    }
    let (status, all) = get(&db, "/api/accreditations").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    // The demo's 28 and these two.
    assert_eq!(all.as_array().map(Vec::len), Some(30));
    let (_, soon) = get(&db, "/api/accreditations?expiring_within=30").await;
    // This one, then the demo's dog team's, which ends three weeks from today.
    let refs: Vec<&str> = soon.as_array().unwrap().iter().map(|a| a["reference"].as_str().unwrap()).collect();
    assert_eq!(refs.len(), 2, "{soon}");
    assert_eq!(refs[0], "ACC-SOON");
    assert_eq!(soon[0]["capability"], "MANUAL");
    assert_eq!(
        (soon[1]["organisation"].as_str(), soon[1]["capability"].as_str()),
        (Some("QHD"), Some("DOGS"))
    );
    mistake(get(&db, "/api/accreditations?expiring_within=-1").await, StatusCode::BAD_REQUEST, "bad_request");

    let (status, page) = get(&db, "/api/hazards?per_page=7&page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 30);
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    let (_, all) = get(&db, "/api/hazards?per_page=1000").await;
    let items = all["items"].as_array().unwrap();
    let district = items[0]["district"].as_str().unwrap().to_string();
    let (_, in_district) =
        get(&db, &format!("/api/hazards?district={}&per_page=1000", urlencode(&district))).await;
    let expected = items.iter().filter(|h| h["district"] == district.as_str()).count();
    assert_eq!(in_district["total"], expected);
    let (_, ap) = get(&db, "/api/hazards?contamination=AP&per_page=1000").await;
    assert!(ap["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["contamination"].as_str().unwrap().contains("AP")));
    let (_, boxed) = get(&db, "/api/hazards?bbox=44,38,51,42&per_page=1000").await;
    assert_eq!(boxed["total"], 30, "every demo hazard lies in Azerbaijan");
    let (_, nowhere) = get(&db, "/api/hazards?bbox=0,0,1,1").await;
    assert_eq!(nowhere["total"], 0);
    mistake(get(&db, "/api/hazards?status=MAYBE").await, StatusCode::BAD_REQUEST, "bad_request");
    // Searched by code or name in any case, a wildcard taken as itself; by kind; in an order.
    let code = items[0]["code"].as_str().unwrap();
    let (_, found) = get(&db, &format!("/api/hazards?q={}", urlencode(&code.to_lowercase()))).await;
    assert_eq!(found["total"], 1, "{found}");
    let (_, none) = get(&db, "/api/hazards?q=%25").await;
    assert_eq!(none["total"], 0, "% is not a wildcard: {none}");
    let (_, cha) = get(&db, "/api/hazards?kind=cha&per_page=1000").await;
    let expected = items.iter().filter(|h| h["kind"] == "CHA").count();
    assert_eq!(cha["total"], expected);
    let (_, sorted) = get(&db, "/api/hazards?sort=remaining&per_page=1000").await;
    let left: Vec<f64> = sorted["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["area_m2"]["remaining"].as_f64().unwrap())
        .collect();
    assert!(left.windows(2).all(|w| w[0] >= w[1]), "{left:?}");
    mistake(get(&db, "/api/hazards?sort=size").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/hazards?kind=MAYBE").await, StatusCode::BAD_REQUEST, "bad_request");
    // The map opens on the hazards still dangerous: their box holds every one of them.
    let (_, extent) = get(&db, "/api/extent").await;
    let e: Vec<f64> = extent["hazards"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(e[0] < e[2] && e[1] < e[3] && e[0] > 44.0 && e[3] < 42.0, "{extent}");
    let (_, layer) = get(&db, "/api/layers/hazards").await;
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in layer["features"].as_array().unwrap() {
        if !["OPEN", "WORKED_ON"].contains(&f["properties"]["status"].as_str().unwrap()) {
            continue;
        }
        for p in f["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|poly| poly.as_array().unwrap())
            .flat_map(|ring| ring.as_array().unwrap())
        {
            let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    assert!(
        e.iter().zip(b).all(|(ours, layer)| (ours - layer).abs() < 1e-7),
        "{e:?} against the layer's {b:?}"
    );
    mistake(get(&db, "/api/hazards?bbox=1,2,3").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/hazards?per_page=0").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/hazards?page=abc").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/hazards?district=Atlantis").await, StatusCode::NOT_FOUND, "not_found");

    let code = items[0]["code"].as_str().unwrap();
    let (status, h) = get(&db, &format!("/api/hazards/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["geometry"]["type"], "MultiPolygon");
    let (status, versions) = get(&db, &format!("/api/hazards/{code}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!versions.as_array().unwrap().is_empty());
    mistake(get(&db, "/api/hazards/AZ-XX-999999").await, StatusCode::NOT_FOUND, "not_found");

    let (status, fc, content_type) = call(&db, Method::GET, "/api/layers/eo_finds", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/geo+json");
    assert_eq!(fc["type"], "FeatureCollection");
    mistake(get(&db, "/api/layers/minefields").await, StatusCode::NOT_FOUND, "not_found");
    mistake(get(&db, "/api/nothing/here").await, StatusCode::NOT_FOUND, "not_found");
    let wrong = call(&db, Method::DELETE, "/api/summary", None).await;
    mistake((wrong.0, wrong.1), StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    let (status, trace) = get(&db, "/api/trace?position=46.905%2039.965").await;
    assert_eq!(status, StatusCode::OK);
    assert!(trace.is_array());
    mistake(get(&db, "/api/trace?position=north").await, StatusCode::BAD_REQUEST, "bad_request");
    mistake(get(&db, "/api/trace").await, StatusCode::BAD_REQUEST, "bad_request");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports").join(name))
        .unwrap()
}

#[tokio::test]
async fn submitting_approving_and_withdrawing_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (_, before) = get(&db, "/api/summary").await;
    let (status, submitted, _) =
        call(&db, Method::POST, "/api/reports", Some(&example("01-nts-new-hazard.json"))).await;
    assert_eq!(status, StatusCode::CREATED, "{submitted}");
    let id = submitted["id"].as_str().unwrap().to_string();
    let (_, queue) = get(&db, "/api/reports?state=SUBMITTED").await;
    assert!(queue["items"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()));
    let (status, decided, _) = call(&db, Method::POST, &format!("/api/reports/{id}/approve"), None).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["state"], "APPROVED");
    let (_, after) = get(&db, "/api/summary").await;
    assert!(
        after["totals"]["area_km2"]["recorded"].as_f64().unwrap()
            > before["totals"]["area_km2"]["recorded"].as_f64().unwrap()
    );
    let (_, shown) = get(&db, &format!("/api/reports/{id}")).await;
    assert_eq!(shown["report"]["state"], "APPROVED");
    assert!(shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "REPORT_APPROVED" && e["actor"] == "api test"));
    // Approving twice is a conflict; a withdrawal needs a reason.
    let again = call(&db, Method::POST, &format!("/api/reports/{id}/approve"), None).await;
    mistake((again.0, again.1), StatusCode::CONFLICT, "conflict");
    let no_reason =
        call(&db, Method::POST, &format!("/api/reports/{id}/unapprove"), Some(r#"{"reason":" "}"#)).await;
    mistake((no_reason.0, no_reason.1), StatusCode::BAD_REQUEST, "bad_request");
    let (status, withdrawn, _) = call(
        &db,
        Method::POST,
        &format!("/api/reports/{id}/unapprove"),
        Some(r#"{"reason":"surveyed twice"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["state"], "UNAPPROVED");
    let (_, restored) = get(&db, "/api/summary").await;
    assert_eq!(restored["totals"], before["totals"]);
}

#[tokio::test]
async fn bad_reports_are_client_mistakes_never_server_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let post = |uri: &'static str, body: String| {
        let db = db.clone();
        async move {
            let (s, v, _) = call(&db, Method::POST, uri, Some(&body)).await;
            (s, v)
        }
    };
    mistake(post("/api/reports", "{not json".into()).await, StatusCode::BAD_REQUEST, "invalid_json");
    mistake(
        post("/api/reports", r#"{"type":"NTS","colour":"red"}"#.into()).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    let nobody = example("06-eo-find.json").replacen("\"KDA\"", "\"NOBODY\"", 1);
    let got = post("/api/reports", nobody).await;
    assert!(got.0.is_client_error(), "{got:?}");
    // A report the checks refuse: every problem listed, 422.
    let future = example("06-eo-find.json").replace("2024-", "2099-");
    let (status, submitted) = post("/api/reports", future).await;
    if status == StatusCode::CREATED {
        let id = submitted["id"].as_str().unwrap();
        let (s, v, _) = call(&db, Method::POST, &format!("/api/reports/{id}/approve"), None).await;
        mistake((s, v.clone()), StatusCode::UNPROCESSABLE_ENTITY, "refused");
        assert!(
            v["problems"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains("future")),
            "{v}"
        );
        let (s, v, _) =
            call(&db, Method::POST, &format!("/api/reports/{id}/approve"), Some(r#"{"tolerance_m": -1}"#))
                .await;
        mistake((s, v), StatusCode::BAD_REQUEST, "bad_request");
        let (s, v, _) =
            call(&db, Method::POST, &format!("/api/reports/{id}/approve"), Some(r#"{"speed": 1}"#)).await;
        mistake((s, v), StatusCode::BAD_REQUEST, "invalid_json");
    } else {
        assert!(status.is_client_error(), "{submitted}");
    }
    let unknown =
        call(&db, Method::POST, "/api/reports/00000000-0000-4000-8000-000000000000/approve", None).await;
    assert!(unknown.0.is_client_error(), "{:?}", unknown.1);
}

/// Filters and pages are the database's; the oracle is the whole list,
/// filtered here, boxes from the polygons themselves.
#[tokio::test]
async fn hazard_lists_are_filtered_and_paged_as_the_whole_list_says() {
    use geo::BoundingRect;
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let store = Store::open(&db).unwrap();
    let all = store.hazards(&Default::default()).unwrap();
    let extents: std::collections::HashMap<String, geo::Rect<f64>> = store
        .hazard_shapes()
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.geometry.bounding_rect().unwrap()))
        .collect();
    let meets = |id: &str, [x0, y0, x1, y1]: [f64; 4]| {
        let r = extents[id];
        r.min().x <= x1 && r.max().x >= x0 && r.min().y <= y1 && r.max().y >= y0
    };
    let organisation = all[0].recorded_by.clone();
    type Keep<'a> = Box<dyn Fn(&safeground_store::HazardRow) -> bool + 'a>;
    let cases: Vec<(String, Keep)> = vec![
        ("".into(), Box::new(|_| true)),
        ("status=OPEN".into(), Box::new(|h| h.status == HazardStatus::Open)),
        ("contamination=AT".into(), Box::new(|h| h.contamination.split(',').any(|c| c == "AT"))),
        (
            format!("organisation={}", organisation.to_lowercase()),
            Box::new(move |h| h.recorded_by == organisation),
        ),
        (
            "from=2022-03-01&to=2023-12-31".into(),
            Box::new(|h| {
                h.recorded_on >= time::macros::date!(2022 - 03 - 01)
                    && h.recorded_on <= time::macros::date!(2023 - 12 - 31)
            }),
        ),
        ("bbox=46.6,39.6,47.0,39.9".into(), Box::new(|h| meets(&h.id.to_string(), [46.6, 39.6, 47.0, 39.9]))),
        (
            "bbox=46.6,39.6,47.0,39.9&status=WORKED_ON&district=Agdam".into(),
            Box::new(move |h| {
                meets(&h.id.to_string(), [46.6, 39.6, 47.0, 39.9])
                    && h.status == HazardStatus::WorkedOn
                    && h.district == "Ağdam"
            }),
        ),
    ];
    for (query, keep) in cases {
        let expected: Vec<&str> = all.iter().filter(|h| keep(h)).map(|h| h.code.as_str()).collect();
        let (status, first) = get(&db, &format!("/api/hazards?{query}&per_page=7")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {first}");
        assert_eq!(first["total"], expected.len(), "{query}");
        let mut got = Vec::new();
        let pages = expected.len().div_ceil(7).max(1);
        for page in 1..=pages + 1 {
            let (_, p) = get(&db, &format!("/api/hazards?{query}&per_page=7&page={page}")).await;
            assert_eq!(p["total"], expected.len(), "{query} page {page}");
            got.extend(
                p["items"].as_array().unwrap().iter().map(|h| h["code"].as_str().unwrap().to_string()),
            );
        }
        assert_eq!(got, expected, "{query}");
    }
    assert!(
        all.iter().any(|h| !meets(&h.id.to_string(), [46.6, 39.6, 47.0, 39.9])),
        "the box leaves some out"
    );
}

#[tokio::test]
async fn report_lists_are_filtered_and_paged_by_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let all = Store::open(&db).unwrap().reports(None).unwrap();
    let org = all[0].organisation.clone();
    let expected: Vec<String> = all
        .iter()
        .filter(|r| r.state == safeground_core::codes::ReportState::Approved && r.organisation == org)
        .map(|r| r.id.to_string())
        .collect();
    let mut got = Vec::new();
    for page in 1..=expected.len().div_ceil(4) + 1 {
        let (status, p) =
            get(&db, &format!("/api/reports?state=approved&organisation={org}&per_page=4&page={page}")).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(p["total"], expected.len());
        got.extend(p["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(got, expected);
}

/// A file sent to `uri` as the body (`content_type`), the server's bound on
/// attachments `max_bytes`.
async fn upload(
    db: &Path,
    uri: &str,
    content_type: &str,
    bytes: Vec<u8>,
    max_bytes: u64,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", content_type)
        .header("content-length", bytes.len())
        .body(Body::from(bytes))
        .unwrap();
    let mut state = AppState::new(db, "api test").unwrap();
    state.attachments = safeground_core::attachment::Limits { max_bytes };
    let res = app(state).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn attachment_mistakes_are_named_never_server_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (s, submitted, _) = call(&db, Method::POST, "/api/reports", Some(&example("06-eo-find.json"))).await;
    assert_eq!(s, StatusCode::CREATED, "{submitted}");
    let id = submitted["id"].as_str().unwrap();
    let fixture = |n: &str| {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/attachments").join(n))
            .unwrap()
    };
    let to = format!("/api/reports/{id}/attachments?name=sketch.png");
    let big = 50 << 20;
    let ok = upload(&db, &to, "application/octet-stream", fixture("sketch.png"), big).await;
    assert_eq!(ok.0, StatusCode::CREATED, "{}", ok.1);
    assert_eq!((ok.1["kind"].as_str(), ok.1["media"].as_str()), (Some("PHOTO"), Some("PNG")));
    let octet = "application/octet-stream";
    let bogus = format!("/api/reports/{id}/attachments?kind=BOGUS");
    mistake(
        upload(&db, &bogus, octet, fixture("sketch.png"), big).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let json = upload(&db, &to, "application/json", fixture("sketch.png"), big).await;
    mistake(json, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let html = upload(&db, &to, octet, fixture("not-a-photo.jpg"), big).await;
    mistake(html, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    let small = upload(&db, &to, octet, fixture("form.pdf"), 100).await;
    mistake(small, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let nobody = "/api/reports/00000000-0000-4000-8000-000000000000/attachments";
    mistake(upload(&db, nobody, octet, fixture("form.pdf"), big).await, StatusCode::NOT_FOUND, "not_found");
    mistake(get(&db, "/api/hazards/AZ-NOPE-000000/attachments").await, StatusCode::NOT_FOUND, "not_found");
    let garbled = "/api/reports/not-a-report/attachments";
    mistake(upload(&db, garbled, octet, fixture("form.pdf"), big).await, StatusCode::NOT_FOUND, "not_found");
    mistake(get(&db, "/api/attachments/not-an-id").await, StatusCode::NOT_FOUND, "not_found");
    let nothing = format!("/api/attachments/{}/thumbnail", uuid::Uuid::nil());
    mistake(get(&db, &nothing).await, StatusCode::NOT_FOUND, "not_found");
    // A file without a thumbnail (a PDF) has none to give.
    let pdf = upload(&db, &to.replace("sketch.png", "form.pdf"), octet, fixture("form.pdf"), big).await;
    let thumb = format!("/api/attachments/{}/thumbnail", pdf.1["id"].as_str().unwrap());
    mistake(get(&db, &thumb).await, StatusCode::NOT_FOUND, "not_found");
}

async fn send_raw(
    db: &Path,
    method: Method,
    uri: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .header("content-length", bytes.len())
        .body(Body::from(bytes))
        .unwrap();
    let res = app(AppState::new(db, "api test").unwrap()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn transfers_fetch_a_copy_whole_and_name_every_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let as_json = |(s, b): (StatusCode, Vec<u8>)| (s, serde_json::from_slice(&b).unwrap_or(Value::Null));
    let body = r#"{"district": "nowhere"}"#;
    mistake(get_with(&db, Method::POST, "/api/checkouts", body).await, StatusCode::NOT_FOUND, "not_found");
    let body = r#"{"district": "Xocalı", "after": {"seq": 999999, "hash": "00"}}"#;
    let other = get_with(&db, Method::POST, "/api/checkouts", body).await;
    assert!(
        other.1["message"].as_str().unwrap().contains("not the register the copy came from"),
        "{}",
        other.1
    );
    mistake(other, StatusCode::CONFLICT, "conflict");
    let body = r#"{"district": "Xocalı", "colour": "red"}"#;
    mistake(
        get_with(&db, Method::POST, "/api/checkouts", body).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    // A copy made, fetched in chunks, whole as it was staged; then dropped.
    let (s, staged) = get_with(&db, Method::POST, "/api/checkouts", r#"{"district": "Xocalı"}"#).await;
    assert_eq!(s, StatusCode::CREATED, "{staged}");
    let (id, bytes) =
        (staged["transfer"]["id"].as_str().unwrap(), staged["transfer"]["bytes"].as_u64().unwrap());
    assert_eq!(staged["checkout"]["district"], "Xocalı");
    let mut copy = Vec::new();
    while (copy.len() as u64) < bytes {
        let uri = format!("/api/transfers/{id}/data?from={}&length=300000", copy.len());
        let (s, chunk) = send_raw(&db, Method::GET, &uri, "application/json", Vec::new()).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!chunk.is_empty() && chunk.len() <= 300_000);
        copy.extend_from_slice(&chunk);
    }
    assert_eq!(sha256_hex(&copy), staged["transfer"]["sha256"].as_str().unwrap());
    assert!(copy.starts_with(b"SQLite format 3\0"));
    let (s, _) = send_raw(
        &db,
        Method::PUT,
        &format!("/api/transfers/{id}/data?from={bytes}"),
        "application/octet-stream",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "a copy to fetch takes no chunks");
    let (s, _) =
        send_raw(&db, Method::DELETE, &format!("/api/transfers/{id}"), "application/json", Vec::new()).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    mistake(get(&db, &format!("/api/transfers/{id}")).await, StatusCode::NOT_FOUND, "not_found");
    mistake(get(&db, "/api/transfers/not-a-transfer").await, StatusCode::NOT_FOUND, "not_found");

    // A file sent: each mistake named, none a server error.
    let bad = r#"{"bytes": 3, "sha256": "zz"}"#;
    mistake(get_with(&db, Method::POST, "/api/transfers", bad).await, StatusCode::BAD_REQUEST, "bad_request");
    let begin = format!(r#"{{"bytes": 3, "sha256": "{}"}}"#, sha256_hex(b"abc"));
    let (s, t) = get_with(&db, Method::POST, "/api/transfers", &begin).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap();
    let put = |from: u64, data: &[u8], ctype: &'static str| {
        let (db, uri, data) = (db.clone(), format!("/api/transfers/{id}/data?from={from}"), data.to_vec());
        async move { send_raw(&db, Method::PUT, &uri, ctype, data).await }
    };
    let octet = "application/octet-stream";
    mistake(
        as_json(put(0, b"abc", "application/json").await),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    mistake(as_json(put(1, b"bc", octet).await), StatusCode::CONFLICT, "conflict");
    mistake(as_json(put(0, b"abcd", octet).await), StatusCode::CONFLICT, "conflict");
    let import = format!("/api/transfers/{id}/import");
    mistake(get_with(&db, Method::POST, &import, "").await, StatusCode::CONFLICT, "conflict");
    let (s, t) = as_json(put(0, b"abc", octet).await);
    assert_eq!((s, t["received"].as_u64()), (StatusCode::OK, Some(3)), "{t}");
    // Whole, but not a bundle: refused, and nothing stored.
    let (s, e) = get_with(&db, Method::POST, &import, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["message"].as_str().unwrap().contains("not a bundle"), "{e}");
}

async fn get_with(db: &Path, method: Method, uri: &str, body: &str) -> (StatusCode, Value) {
    let (s, v, _) = call(db, method, uri, (!body.is_empty()).then_some(body)).await;
    (s, v)
}
