//! Accounts on the API: every route against every role (allowed and denied,
//! from a table written here, not from the code under test), signing in,
//! CSRF, login throttling, API tokens, disabled accounts, and no victim's
//! name reaching anyone without the personal-data permission.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use safeground_core::access::Role;
use safeground_server::{app, AppState, POLICY};
use safeground_store::{NewUser, Store, UserChange};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// The demo register with one account per role. The operator works for
/// AEST; `admin` and `imo` lack the personal-data permission, `imo_pd` has it.
fn register(dir: &Path) -> PathBuf {
    let db = dir.join("demo.gpkg");
    let places = safeground_demo::Places::load().unwrap();
    let mut store = Store::create(&db).unwrap();
    safeground_demo::build(&places, 2020, "30".parse().unwrap(), &mut store, &mut |_, _| {}).unwrap();
    let now = OffsetDateTime::now_utc();
    store
        .write(|w| {
            for (name, role, org, personal) in [
                ("admin", Role::Administrator, None, false),
                ("imo", Role::ImOfficer, None, false),
                ("imo_pd", Role::ImOfficer, None, true),
                ("operator", Role::Operator, Some("AEST"), false),
                ("operator_pd", Role::Operator, Some("AEST"), true),
                ("operator_amc", Role::Operator, Some("AMC"), false),
                ("qm", Role::QmOfficer, None, false),
                ("viewer", Role::Viewer, None, false),
            ] {
                let u = NewUser {
                    name: name.into(),
                    role,
                    organisation: org.map(String::from),
                    personal_data: personal,
                };
                w.add_user(&u, PASSWORD, "test", now)?;
            }
            Ok(())
        })
        .unwrap();
    db
}

#[derive(Clone)]
struct Client {
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

impl Client {
    fn anonymous() -> Client {
        Client { cookie: None, csrf: None, bearer: None }
    }
}

struct Reply {
    status: StatusCode,
    json: Value,
    bytes: Vec<u8>,
    headers: axum::http::HeaderMap,
}

async fn send(app: &Router, c: &Client, method: Method, uri: &str, body: Option<String>) -> Reply {
    send_bytes(app, c, method, uri, body.map(String::into_bytes)).await
}

async fn send_bytes(app: &Router, c: &Client, method: Method, uri: &str, body: Option<Vec<u8>>) -> Reply {
    let kind = if uri.starts_with("/api/traverse") {
        "text/csv"
    } else if uri.starts_with("/api/imports")
        || uri.starts_with("/api/submissions")
        || (uri.starts_with("/api/transfers/") && uri.contains("/data"))
    {
        "application/octet-stream"
    } else {
        "application/json"
    };
    let mut req = Request::builder().method(method).uri(uri).header("content-type", kind);
    if let Some(k) = &c.cookie {
        req = req.header(header::COOKIE, k);
    }
    if let Some(t) = &c.csrf {
        req = req.header("x-csrf-token", t);
    }
    if let Some(b) = &c.bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {b}"));
    }
    let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, json, bytes, headers }
}

async fn login(app: &Router, name: &str, password: &str) -> Reply {
    let body = json!({"name": name, "password": password}).to_string();
    send(app, &Client::anonymous(), Method::POST, "/api/login", Some(body)).await
}

async fn signed_in(app: &Router, name: &str) -> Client {
    let r = login(app, name, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{name} signs in: {}", r.json);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    Client { cookie: Some(cookie), csrf: r.json["csrf"].as_str().map(String::from), bearer: None }
}

fn accounts_app(db: &Path) -> Router {
    app(AppState::new(db, "unused").unwrap())
}

/// A report of AEST (the operator's organisation) and one of another operator.
fn report_ids(db: &Path) -> (String, String, String) {
    let store = Store::open(db).unwrap();
    let rows = store.reports(None).unwrap();
    let own = rows.iter().find(|r| r.organisation == "AEST").unwrap().id.to_string();
    let other = rows
        .iter()
        .find(|r| r.organisation != "AEST" && r.report_type != safeground_core::report::ReportType::Accident)
        .unwrap()
        .id
        .to_string();
    let accident = rows
        .iter()
        .find(|r| r.report_type == safeground_core::report::ReportType::Accident)
        .unwrap()
        .id
        .to_string();
    (own, other, accident)
}

/// A line of the role table: method, route as in the policy, a concrete
/// request, a body, the roles allowed (`None`: public).
type Row<'a> = (Method, &'a str, String, Option<String>, Option<&'a [&'a str]>);

/// Whether the gate let a request through (the handler may still refuse it
/// for what it says: a wrong password, a report already decided).
fn admitted(r: &Reply) -> bool {
    r.status.as_u16() < 500
        && !["unauthenticated", "forbidden", "csrf"].contains(&r.json["error"].as_str().unwrap_or(""))
}

const ROLES: &[&str] = &["admin", "imo", "operator", "qm", "viewer"];

#[tokio::test]
async fn every_route_against_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let (own, _, _) = report_ids(&db);
    let hazard = Store::open(&db).unwrap().hazards(&Default::default()).unwrap()[0].code.clone();
    let eo_find = json!({
        "type": "EO_FIND", "organisation": "AEST", "start_date": "2024-04-12", "end_date": "2024-04-12",
        "eo_finds": [{"category": "UXO", "type": "82 mm mortar", "condition": "DAMAGED",
            "disposal": "DESTROYED_IN_SITU", "location": "39.9 46.9"}]
    })
    .to_string();
    let victim = Store::open(&db).unwrap().victims(None, None).unwrap()[0].id.clone();
    let all = ROLES;
    // None of these roles' accounts has the personal-data permission.
    let nobody: &[&str] = &[];
    let deciders: &[&str] = &["admin", "imo"];
    let investigators: &[&str] = &["admin", "imo", "qm"];
    let readers: &[&str] = &["admin", "imo", "operator", "qm"];
    // (method, route as in the policy, a concrete request, a body, the roles allowed; `None` = public).
    let table: Vec<Row> = vec![
        (Method::GET, "/api/health", "/api/health".into(), None, None),
        (Method::GET, "/api/health/live", "/api/health/live".into(), None, None),
        (Method::GET, "/api/health/ready", "/api/health/ready".into(), None, None),
        (Method::GET, "/api/openapi.json", "/api/openapi.json".into(), None, None),
        (Method::GET, "/metrics", "/metrics".into(), None, Some(&["admin"])),
        (
            Method::POST,
            "/api/login",
            "/api/login".into(),
            Some(json!({"name": "nobody", "password": "x"}).to_string()),
            None,
        ),
        (Method::GET, "/api/me", "/api/me".into(), None, Some(all)),
        (Method::POST, "/api/logout", "/api/logout".into(), None, Some(all)),
        (Method::GET, "/api/users", "/api/users".into(), None, Some(&["admin"])),
        (
            Method::POST,
            "/api/users",
            "/api/users".into(),
            Some(json!({"name": "has space", "role": "VIEWER"}).to_string()),
            Some(&["admin"]),
        ),
        (
            Method::PATCH,
            "/api/users/{name}",
            "/api/users/nobody".into(),
            Some(json!({"disabled": true}).to_string()),
            Some(&["admin"]),
        ),
        (
            Method::POST,
            "/api/users/{name}/tokens",
            "/api/users/nobody/tokens".into(),
            Some(json!({"label": "x"}).to_string()),
            Some(&["admin"]),
        ),
        (
            Method::POST,
            "/api/tokens/{id}/revocation",
            "/api/tokens/nothing/revocation".into(),
            None,
            Some(&["admin"]),
        ),
        (Method::GET, "/api/summary", "/api/summary".into(), None, Some(all)),
        (Method::GET, "/api/extent", "/api/extent".into(), None, Some(all)),
        (Method::GET, "/api/hazards", "/api/hazards".into(), None, Some(all)),
        (Method::GET, "/api/hazards/{id}", format!("/api/hazards/{hazard}"), None, Some(all)),
        (Method::GET, "/api/hazards/{id}/history", format!("/api/hazards/{hazard}/history"), None, Some(all)),
        (
            Method::GET,
            "/api/hazards/{id}/attachments",
            format!("/api/hazards/{hazard}/attachments"),
            None,
            Some(readers),
        ),
        (
            Method::GET,
            "/api/hazards/{id}/certificate",
            format!("/api/hazards/{hazard}/certificate"),
            None,
            Some(all),
        ),
        (
            Method::GET,
            "/api/hazards/{id}/certificate/pdf",
            format!("/api/hazards/{hazard}/certificate/pdf"),
            None,
            Some(all),
        ),
        (Method::GET, "/api/trace", "/api/trace?position=46.905%2039.965".into(), None, Some(readers)),
        (Method::GET, "/api/layers/{layer}", "/api/layers/accidents".into(), None, Some(all)),
        (Method::GET, "/api/places", "/api/places?q=ag".into(), None, Some(all)),
        (Method::GET, "/api/records/{layer}", "/api/records/accidents".into(), None, Some(all)),
        // No document builder in this server: 404 once the gate lets the caller by.
        (Method::GET, "/api/maps/print", "/api/maps/print?bbox=46,39,47,40".into(), None, Some(all)),
        (
            Method::GET,
            "/api/exports/{layer}",
            "/api/exports/eo_finds?level=public&format=csv".into(),
            None,
            Some(all),
        ),
        (
            Method::POST,
            "/api/imports",
            "/api/imports?layer=eo_finds&name=finds.geojson".into(),
            Some("{not a feature collection".into()),
            Some(deciders),
        ),
        (Method::GET, "/api/organisations", "/api/organisations".into(), None, Some(all)),
        (
            Method::POST,
            "/api/organisations",
            "/api/organisations".into(),
            Some(
                json!({"acronym": "NPA-T", "name": "Table test", "kind": "OPERATOR", "country": "NO"})
                    .to_string(),
            ),
            Some(&["admin"]),
        ),
        (
            Method::POST,
            "/api/submissions",
            "/api/submissions?form=nts&name=nts.csv".into(),
            Some("not an export".into()),
            Some(readers),
        ),
        (
            Method::POST,
            "/api/reports/{id}/submission",
            format!("/api/reports/{own}/submission"),
            None,
            // A QM officer submits inspections only: the operator's report is not one.
            Some(&["admin", "imo", "operator"]),
        ),
        (Method::GET, "/tiles/{layer}/{z}/{x}/{y}", "/tiles/hazards/8/161/96.mvt".into(), None, Some(all)),
        (Method::GET, "/api/stats/released-by-month", "/api/stats/released-by-month".into(), None, Some(all)),
        (Method::GET, "/api/kpi", "/api/kpi?from=2021-01-01&to=2026-12-31".into(), None, Some(all)),
        (
            Method::GET,
            "/api/accreditations",
            "/api/accreditations?expiring_within=30".into(),
            None,
            Some(all),
        ),
        (
            Method::POST,
            "/api/accreditations",
            "/api/accreditations".into(),
            Some(
                json!({"reference": "ACC-T", "organisation": "NOPE", "capability": "EOD",
                    "valid_from": "2024-01-01", "valid_to": "2024-12-31"})
                .to_string(),
            ),
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/accreditations/{reference}/suspension",
            "/api/accreditations/NO-SUCH/suspension".into(),
            Some(json!({"reason": "x"}).to_string()),
            Some(deciders),
        ),
        (Method::GET, "/api/residuals", "/api/residuals?open=true".into(), None, Some(all)),
        (Method::GET, "/api/priorities", "/api/priorities?top=5".into(), None, Some(all)),
        (Method::GET, "/api/tasks", "/api/tasks?status=ISSUED".into(), None, Some(all)),
        (
            Method::POST,
            "/api/tasks",
            "/api/tasks".into(),
            Some(json!({"hazard": "NO-SUCH", "organisation": "QHD"}).to_string()),
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/tasks/{code}/cancellation",
            "/api/tasks/NO-SUCH/cancellation".into(),
            Some(json!({"reason": "x"}).to_string()),
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/rankings",
            "/api/rankings".into(),
            Some(json!({"scenario": "not a scenario"}).to_string()),
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/rankings/{code}/tasks",
            "/api/rankings/RANK-1900-01-01-1/tasks".into(),
            Some(json!({"organisation": "QHD"}).to_string()),
            Some(deciders),
        ),
        (Method::GET, "/api/ncrs", "/api/ncrs?open=true".into(), None, Some(readers)),
        (Method::GET, "/api/inspections", format!("/api/inspections?hazard={hazard}"), None, Some(readers)),
        (Method::GET, "/api/ncrs/rates", "/api/ncrs/rates".into(), None, Some(all)),
        (Method::GET, "/api/investigations", "/api/investigations?open=true".into(), None, Some(all)),
        (
            Method::POST,
            "/api/investigations",
            "/api/investigations".into(),
            Some(json!({"accident": "00000000-0000-0000-0000-000000000000"}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/investigations/{code}/board",
            "/api/investigations/BOI-1900-01/board".into(),
            Some(json!({"members": ["A", "B"]}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/investigations/{code}/conclusion",
            "/api/investigations/BOI-1900-01/conclusion".into(),
            Some(json!({"findings": "x"}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/investigations/{code}/ncrs",
            "/api/investigations/BOI-1900-01/ncrs".into(),
            Some(json!({"recommendation": 1, "organisation": "AEST", "grade": "MINOR"}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/ncrs",
            "/api/ncrs".into(),
            Some(json!({"organisation": "AEST", "grade": "MINOR", "finding": "x"}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/ncrs/{code}/answer",
            "/api/ncrs/NCR-1900-0001/answer".into(),
            Some("{}".into()),
            Some(&["admin", "imo", "operator"]),
        ),
        (
            Method::POST,
            "/api/ncrs/{code}/close",
            "/api/ncrs/NCR-1900-0001/close".into(),
            Some(json!({"verification": "re-inspected"}).to_string()),
            Some(&["admin", "qm"]),
        ),
        (Method::GET, "/api/victims", "/api/victims".into(), None, Some(nobody)),
        (Method::GET, "/api/victims/{id}", format!("/api/victims/{victim}"), None, Some(nobody)),
        (
            Method::POST,
            "/api/victims/{id}/consent",
            format!("/api/victims/{victim}/consent"),
            Some(json!({"given_by": "SELF", "form": "VERBAL"}).to_string()),
            Some(nobody),
        ),
        (
            Method::POST,
            "/api/victims/{id}/withdrawal",
            format!("/api/victims/{victim}/withdrawal"),
            Some("{}".into()),
            Some(nobody),
        ),
        (
            Method::POST,
            "/api/victims/{id}/assistance",
            format!("/api/victims/{victim}/assistance"),
            Some(json!({"kind": "MEDICAL", "provider": "hospital"}).to_string()),
            Some(nobody),
        ),
        (Method::GET, "/api/assistance/figures", "/api/assistance/figures".into(), None, Some(all)),
        (Method::GET, "/api/reference", "/api/reference".into(), None, Some(all)),
        (
            Method::POST,
            "/api/traverse",
            "/api/traverse".into(),
            Some("name,bearing,distance\n".into()),
            Some(all),
        ),
        (Method::GET, "/api/reports", "/api/reports".into(), None, Some(readers)),
        (Method::GET, "/api/reports/{id}", format!("/api/reports/{own}"), None, Some(readers)),
        (
            Method::GET,
            "/api/reports/{id}/attachments",
            format!("/api/reports/{own}/attachments"),
            None,
            Some(readers),
        ),
        (
            Method::POST,
            "/api/reports/{id}/attachments",
            format!("/api/reports/{own}/attachments"),
            None,
            Some(&["admin", "imo", "operator"]),
        ),
        (
            Method::GET,
            "/api/attachments/{id}",
            format!("/api/attachments/{}", uuid::Uuid::nil()),
            None,
            Some(readers),
        ),
        (
            Method::GET,
            "/api/attachments/{id}/thumbnail",
            format!("/api/attachments/{}/thumbnail", uuid::Uuid::nil()),
            None,
            Some(readers),
        ),
        (
            Method::POST,
            "/api/checkouts",
            "/api/checkouts".into(),
            Some(json!({"district": "nowhere"}).to_string()),
            Some(investigators),
        ),
        (
            Method::POST,
            "/api/transfers",
            "/api/transfers".into(),
            Some(json!({"bytes": 1, "sha256": "not hex"}).to_string()),
            Some(&["admin", "imo", "operator", "qm"]),
        ),
        (
            Method::GET,
            "/api/transfers/{id}",
            format!("/api/transfers/{}", uuid::Uuid::nil()),
            None,
            Some(all),
        ),
        (
            Method::DELETE,
            "/api/transfers/{id}",
            format!("/api/transfers/{}", uuid::Uuid::nil()),
            None,
            Some(all),
        ),
        (
            Method::GET,
            "/api/transfers/{id}/data",
            format!("/api/transfers/{}/data?from=0", uuid::Uuid::nil()),
            None,
            Some(all),
        ),
        (
            Method::PUT,
            "/api/transfers/{id}/data",
            format!("/api/transfers/{}/data?from=0", uuid::Uuid::nil()),
            Some("abc".into()),
            Some(&["admin", "imo", "operator", "qm"]),
        ),
        (
            Method::POST,
            "/api/transfers/{id}/import",
            format!("/api/transfers/{}/import", uuid::Uuid::nil()),
            None,
            Some(&["admin", "imo", "operator", "qm"]),
        ),
        (
            Method::POST,
            "/api/reports",
            "/api/reports".into(),
            Some(eo_find),
            Some(&["admin", "imo", "operator"]),
        ),
        (Method::POST, "/api/reports/{id}/check", format!("/api/reports/{own}/check"), None, Some(deciders)),
        (
            Method::POST,
            "/api/reports/{id}/approve",
            format!("/api/reports/{own}/approve"),
            None,
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/reports/{id}/reject",
            format!("/api/reports/{own}/reject"),
            Some(json!({"reason": "test"}).to_string()),
            Some(deciders),
        ),
        (
            Method::POST,
            "/api/reports/{id}/unapprove",
            format!("/api/reports/{own}/unapprove"),
            Some(json!({"reason": "test"}).to_string()),
            Some(deciders),
        ),
    ];

    // The table covers every route the API has, and every line of the policy.
    let doc = safeground_server::openapi();
    let mut routes: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in doc.paths.paths.iter() {
        let item = serde_json::to_value(item).unwrap();
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                routes.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    routes.insert(("GET".into(), "/api/openapi.json".into()));
    routes.insert(("GET".into(), "/metrics".into()));
    let tested: BTreeSet<(String, String)> =
        table.iter().map(|(m, p, ..)| (m.to_string(), p.to_string())).collect();
    let policy: BTreeSet<(String, String)> =
        POLICY.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(tested, routes, "the table must cover every route of the API");
    assert_eq!(policy, routes, "the policy must give every route of the API a rule");

    for (method, route, uri, body, allowed) in &table {
        // Anonymous.
        let r = send(&app, &Client::anonymous(), method.clone(), uri, body.clone()).await;
        match allowed {
            None => assert!(admitted(&r), "anonymous {method} {route}: {} {}", r.status, r.json),
            Some(_) => {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "anonymous {method} {route}: {}", r.json);
                assert_eq!(r.json["error"], "unauthenticated");
            }
        }
        for role in ROLES {
            // A fresh session per request: logging out must not end the next one.
            let c = signed_in(&app, role).await;
            let r = send(&app, &c, method.clone(), uri, body.clone()).await;
            let expect = allowed.is_none_or(|a| a.contains(role));
            if expect {
                assert!(admitted(&r), "{role} may {method} {route}, got {}: {}", r.status, r.json);
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} may not {method} {route}: {}", r.json);
                assert_eq!(r.json["error"], "forbidden", "{role} {method} {route}");
            }
        }
    }
}

#[tokio::test]
async fn another_organisations_files_are_not_there_for_an_operator() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let (own, other, _) = report_ids(&db);
    let op = signed_in(&app, "operator").await;
    let r = send(&app, &op, Method::GET, &format!("/api/reports/{other}/attachments"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    let r = send(&app, &op, Method::POST, &format!("/api/reports/{other}/attachments"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    let r = send(&app, &op, Method::GET, &format!("/api/reports/{own}/attachments"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
}

#[tokio::test]
async fn victim_assistance_is_for_the_personal_data_permission_and_rests_on_consent() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let pd = signed_in(&app, "imo_pd").await;
    let list = send(&app, &pd, Method::GET, "/api/victims", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    let victims = list.json.as_array().unwrap();
    assert!(victims.iter().all(|v| v["name"].as_str().is_some_and(|n| n.contains("fictional"))));
    // A survivor whose consent the demo recorded: withdrawn today, nothing
    // more is followed up; given again, it is.
    let v = victims
        .iter()
        .find(|v| {
            v["outcome"] == "INJURED"
                && v["consents"].as_array().unwrap().iter().any(|c| c["withdrawn_on"].is_null())
        })
        .expect("a survivor with consent in force");
    let id = v["id"].as_str().unwrap();
    let before = v["follow_ups"].as_array().unwrap().len();
    let giver = if v["age"].as_i64().is_some_and(|a| a < 18) { "GUARDIAN" } else { "SELF" };
    let assist =
        json!({"kind": "REHABILITATION", "status": "ONGOING", "provider": "Prosthetic centre"}).to_string();
    let r = send(&app, &pd, Method::POST, &format!("/api/victims/{id}/withdrawal"), Some("{}".into())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let r =
        send(&app, &pd, Method::POST, &format!("/api/victims/{id}/assistance"), Some(assist.clone())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(r.json["message"].as_str().unwrap().contains("withdrawn"), "{}", r.json);
    let consent = json!({"given_by": giver, "form": "WRITTEN"}).to_string();
    let r = send(&app, &pd, Method::POST, &format!("/api/victims/{id}/consent"), Some(consent)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let r = send(&app, &pd, Method::POST, &format!("/api/victims/{id}/assistance"), Some(assist)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let follow_ups = r.json["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), before + 1);
    let newest = follow_ups.last().unwrap();
    assert_eq!((&newest["kind"], &newest["recorded_by"]), (&json!("REHABILITATION"), &json!("imo_pd")));
    // An operator with the permission reads its own organisation's accidents'
    // victims only: the demo's accidents are the authority's.
    let op = signed_in(&app, "operator_pd").await;
    let r = send(&app, &op, Method::GET, "/api/victims", None).await;
    assert_eq!((r.status, &r.json), (StatusCode::OK, &json!([])));
    let r = send(&app, &op, Method::GET, &format!("/api/victims/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    // Investigations: where each stands for everyone; the board, findings and
    // recommendations for those who investigate.
    {
        use safeground_core::investigation::Step;
        let mut store = Store::open(&db).unwrap();
        let now = OffsetDateTime::now_utc();
        let investigated: Vec<String> =
            store.investigations(false).unwrap().into_iter().map(|i| i.accident).collect();
        let accident = victims
            .iter()
            .map(|v| v["accident"].as_str().unwrap().to_string())
            .find(|a| !investigated.contains(a))
            .expect("an accident not investigated");
        store
            .write(|w| {
                let code = w.open_investigation(&accident, now.date(), "qm", now)?;
                let board =
                    Step::Board { on: now.date(), members: vec!["A (ANAMA)".into(), "B (NQMU)".into()] };
                w.investigation_step(&code, &board, "qm", now)?;
                let done = Step::Conclude {
                    on: now.date(),
                    findings: "the victim entered an unmarked field".into(),
                    recommendations: vec!["mark the field".into()],
                };
                w.investigation_step(&code, &done, "qm", now)
            })
            .unwrap();
    }
    let viewer = signed_in(&app, "viewer").await;
    let qm = signed_in(&app, "qm").await;
    let seen = send(&app, &viewer, Method::GET, "/api/investigations", None).await.json;
    let full = send(&app, &qm, Method::GET, "/api/investigations", None).await.json;
    assert_eq!(seen.as_array().unwrap().len(), full.as_array().unwrap().len());
    assert!(full.as_array().unwrap().iter().any(|i| i["findings"].is_string()), "{full}");
    assert!(
        seen.as_array().unwrap().iter().all(|i| i["findings"].is_null() && i["board"] == json!([])),
        "{seen}"
    );
    // The figures name no one, and anyone signed in reads them.
    let f = send(&app, &viewer, Method::GET, "/api/assistance/figures", None).await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(f.json["followed_up"].as_u64().unwrap() >= 1, "{}", f.json);
    assert!(!String::from_utf8_lossy(&f.bytes).contains("fictional"));
    // An unknown victim is not found; a bad kind is a bad request naming the list.
    let r = send(&app, &pd, Method::GET, "/api/victims/not-a-victim", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    let bad = json!({"kind": "MASSAGE", "provider": "x"}).to_string();
    let r = send(&app, &pd, Method::POST, &format!("/api/victims/{id}/assistance"), Some(bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(Store::open(&db).unwrap().audit(None).unwrap().problems.is_empty());
}

#[tokio::test]
async fn the_quality_cycle_runs_over_the_api_each_step_by_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let (qm, imo, op) =
        (signed_in(&app, "qm").await, signed_in(&app, "imo").await, signed_in(&app, "operator").await);
    let investigated: Vec<String> =
        Store::open(&db).unwrap().investigations(false).unwrap().into_iter().map(|i| i.accident).collect();
    // An accident not investigated yet (the demo's demining accidents are).
    let accident = Store::open(&db)
        .unwrap()
        .victims(None, None)
        .unwrap()
        .into_iter()
        .map(|v| v.accident)
        .find(|a| !investigated.contains(a))
        .expect("an accident not investigated");
    // An investigation by hand: opened, its board, its conclusion.
    let open = json!({"accident": accident}).to_string();
    let r = send(&app, &qm, Method::POST, "/api/investigations", Some(open)).await;
    assert_eq!((r.status, &r.json["stage"]), (StatusCode::CREATED, &json!("AWAITING_BOARD")), "{}", r.json);
    let code = r.json["code"].as_str().unwrap().to_string();
    let r = send(
        &app,
        &qm,
        Method::POST,
        &format!("/api/investigations/{code}/board"),
        Some(json!({"members": ["A"]}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "one member: {}", r.json);
    let members = json!({"members": ["A. Aliyev (ANAMA)", "B. Babayeva (NQMU)"]}).to_string();
    let r = send(&app, &qm, Method::POST, &format!("/api/investigations/{code}/board"), Some(members)).await;
    assert_eq!((r.status, &r.json["stage"]), (StatusCode::OK, &json!("SITTING")), "{}", r.json);
    let done = json!({"findings": "unmarked field", "recommendations": ["mark the field edge"]}).to_string();
    let r =
        send(&app, &imo, Method::POST, &format!("/api/investigations/{code}/conclusion"), Some(done)).await;
    assert_eq!((r.status, &r.json["stage"]), (StatusCode::OK, &json!("CONCLUDED")), "{}", r.json);
    // Its first recommendation raised against AEST, answered by AEST's operator, closed by QM.
    let raise = json!({"recommendation": 1, "organisation": "AEST", "grade": "MINOR"}).to_string();
    let r = send(&app, &qm, Method::POST, &format!("/api/investigations/{code}/ncrs"), Some(raise)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let ncr = r.json["code"].as_str().unwrap().to_string();
    assert!(r.json["finding"].as_str().unwrap().contains(&code), "{}", r.json);
    let answer = json!({"root_cause": "no marking kit", "corrective": "kits issued"}).to_string();
    let r = send(
        &app,
        &op,
        Method::POST,
        &format!("/api/ncrs/{ncr}/answer"),
        Some(json!({"due_on": "2099-01-01"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an operator sets no due date: {}", r.json);
    let r = send(&app, &op, Method::POST, &format!("/api/ncrs/{ncr}/answer"), Some(answer)).await;
    assert_eq!((r.status, &r.json["root_cause"]), (StatusCode::OK, &json!("no marking kit")), "{}", r.json);
    let r = send(
        &app,
        &op,
        Method::POST,
        &format!("/api/ncrs/{ncr}/close"),
        Some(json!({"verification": "x"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &app,
        &qm,
        Method::POST,
        &format!("/api/ncrs/{ncr}/close"),
        Some(json!({"verification": "kits seen"}).to_string()),
    )
    .await;
    assert_eq!((r.status, &r.json["status"]), (StatusCode::OK, &json!("CLOSED")), "{}", r.json);
    // Another organisation's non-conformity is not AEST's to answer.
    let other =
        json!({"organisation": "QHD", "grade": "MAJOR", "finding": "lane not marked", "accident": accident})
            .to_string();
    let r = send(&app, &imo, Method::POST, "/api/ncrs", Some(other)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let theirs = r.json["code"].as_str().unwrap();
    let r = send(
        &app,
        &op,
        Method::POST,
        &format!("/api/ncrs/{theirs}/answer"),
        Some(json!({"corrective": "x"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(Store::open(&db).unwrap().audit(None).unwrap().problems.is_empty());
}

#[tokio::test]
async fn an_administrator_keeps_the_accounts_in_the_browser_as_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let admin = signed_in(&app, "admin").await;
    // Added with a password generated and shown once; it signs in.
    let add = json!({"name": "field1", "role": "OPERATOR", "organisation": "AEST"}).to_string();
    let r = send(&app, &admin, Method::POST, "/api/users", Some(add.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let password = r.json["password"].as_str().unwrap().to_string();
    assert!(password.len() >= 12);
    assert_eq!(
        (r.json["user"]["role"].as_str(), r.json["user"]["organisation"].as_str()),
        (Some("OPERATOR"), Some("AEST"))
    );
    assert_eq!(login(&app, "field1", &password).await.status, StatusCode::OK);
    let r = send(&app, &admin, Method::POST, "/api/users", Some(add)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
    let r = send(
        &app,
        &admin,
        Method::POST,
        "/api/users",
        Some(json!({"name": "op2", "role": "OPERATOR"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "an operator needs an organisation: {}", r.json);
    // Disabled: its session ends and it cannot sign in; enabled again, it can.
    let body = json!({"name": "field1", "password": password}).to_string();
    let r = send(&app, &Client::anonymous(), Method::POST, "/api/login", Some(body)).await;
    let cookie =
        r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let field =
        Client { cookie: Some(cookie), csrf: r.json["csrf"].as_str().map(String::from), bearer: None };
    assert_eq!(send(&app, &field, Method::GET, "/api/me", None).await.status, StatusCode::OK);
    let r =
        send(&app, &admin, Method::PATCH, "/api/users/field1", Some(json!({"disabled": true}).to_string()))
            .await;
    assert!(r.status == StatusCode::OK && r.json["user"]["disabled"] == true, "{}", r.json);
    assert_eq!(send(&app, &field, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    assert_ne!(login(&app, "field1", &password).await.status, StatusCode::OK);
    // Re-enabled with a new role and a new password, in one change.
    let change = json!({"disabled": false, "role": "QM_OFFICER", "new_password": true}).to_string();
    let r = send(&app, &admin, Method::PATCH, "/api/users/field1", Some(change)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        (r.json["user"]["role"].as_str(), r.json["user"]["disabled"].as_bool()),
        (Some("QM_OFFICER"), Some(false))
    );
    let renewed = r.json["password"].as_str().unwrap().to_string();
    assert_ne!(login(&app, "field1", &password).await.status, StatusCode::OK, "the old password still works");
    assert_eq!(login(&app, "field1", &renewed).await.status, StatusCode::OK);
    // Refused whole: a viewer with personal data; the last administrator disabled.
    let bad = json!({"role": "VIEWER", "personal_data": true}).to_string();
    let r = send(&app, &admin, Method::PATCH, "/api/users/field1", Some(bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = send(&app, &admin, Method::GET, "/api/users", None).await;
    let field1 = r.json.as_array().unwrap().iter().find(|u| u["name"] == "field1").unwrap().clone();
    assert_eq!(field1["role"], "QM_OFFICER", "a refused change left half of itself");
    let r =
        send(&app, &admin, Method::PATCH, "/api/users/admin", Some(json!({"disabled": true}).to_string()))
            .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
    let r = send(&app, &admin, Method::PATCH, "/api/users/field1", Some("{}".into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    // A token for a script: it reads as the account; revoked, it stops at once.
    let r = send(
        &app,
        &admin,
        Method::POST,
        "/api/users/field1/tokens",
        Some(json!({"label": "nightly export", "days": 30}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let (id, secret) =
        (r.json["id"].as_str().unwrap().to_string(), r.json["secret"].as_str().unwrap().to_string());
    let script = Client { cookie: None, csrf: None, bearer: Some(secret) };
    let me = send(&app, &script, Method::GET, "/api/me", None).await;
    assert_eq!((me.status, me.json["name"].as_str()), (StatusCode::OK, Some("field1")));
    let r = send(&app, &admin, Method::POST, &format!("/api/tokens/{id}/revocation"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
    assert_eq!(send(&app, &script, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &app,
        &admin,
        Method::POST,
        "/api/users/field1/tokens",
        Some(json!({"label": "x", "days": 0}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    // The history holds every change, intact.
    assert!(Store::open(&db).unwrap().audit(None).unwrap().is_intact());
}

#[tokio::test]
async fn tasks_are_issued_by_the_authority_and_each_operator_sees_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    // The board: paged in the database, each page with the count of all.
    let all = send(&app, &imo, Method::GET, "/api/tasks?per_page=5", None).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.json);
    let total = all.json["total"].as_u64().unwrap();
    assert!(total > 5 && all.json["items"].as_array().unwrap().len() == 5, "{}", all.json);
    let every = send(&app, &imo, Method::GET, "/api/tasks?per_page=1000", None).await.json;
    let every = every["items"].as_array().unwrap().clone();
    assert_eq!(every.len() as u64, total);
    // The soonest due first, those with no due date last.
    let dues: Vec<&str> = every.iter().filter_map(|t| t["due_on"].as_str()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    // By status, as the board's columns; overdue ones are open and late.
    for status in ["ISSUED", "IN_PROGRESS", "COMPLETED"] {
        let r =
            send(&app, &imo, Method::GET, &format!("/api/tasks?status={status}&per_page=1000"), None).await;
        let items = r.json["items"].as_array().unwrap();
        assert_eq!(items.len(), every.iter().filter(|t| t["status"] == status).count(), "{status}");
        assert!(!items.is_empty(), "the demo holds no {status} task");
    }
    let late = send(&app, &imo, Method::GET, "/api/tasks?overdue=true&per_page=1000", None).await.json;
    let today = OffsetDateTime::now_utc().date().to_string();
    assert!(!late["items"].as_array().unwrap().is_empty(), "the demo holds no overdue task");
    for t in late["items"].as_array().unwrap() {
        assert!(t["overdue"] == true && t["due_on"].as_str().unwrap() < today.as_str(), "{t}");
        assert!(["ISSUED", "IN_PROGRESS"].contains(&t["status"].as_str().unwrap()), "{t}");
    }
    let r = send(&app, &imo, Method::GET, "/api/tasks?status=DONE", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);

    // Issued: the next free code of the hazard, and on the board at once.
    let hazards = send(&app, &imo, Method::GET, "/api/hazards?status=OPEN&per_page=1", None).await.json;
    let open = hazards["items"][0]["code"].as_str().unwrap().to_string();
    let body = json!({"hazard": open, "organisation": "AEST", "activity": "TS", "priority": "HIGH", "due_on": "2099-01-31"});
    let r = send(&app, &imo, Method::POST, "/api/tasks", Some(body.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let code = r.json["code"].as_str().unwrap().to_string();
    assert!(code.starts_with(&format!("T-{open}")), "{code}");
    assert_eq!((r.json["status"].as_str(), r.json["organisation"].as_str()), (Some("ISSUED"), Some("AEST")));
    // The hazard's second task, issued yesterday.
    let yesterday = (OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let mut earlier = body.clone();
    earlier["issued_on"] = json!(yesterday);
    let again = send(&app, &imo, Method::POST, "/api/tasks", Some(earlier.to_string())).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.json);
    assert_ne!(again.json["code"], r.json["code"], "a second task of the hazard gets its own code");
    // Refused, every problem named: due before issued, issued tomorrow.
    let tomorrow = (OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string();
    let bad = json!({"hazard": open, "organisation": "AEST", "issued_on": tomorrow, "due_on": "2020-01-01"});
    let r = send(&app, &imo, Method::POST, "/api/tasks", Some(bad.to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let m = r.json["message"].as_str().unwrap();
    assert!(m.contains("after today") && m.contains("before it is issued"), "{m}");
    let r = send(
        &app,
        &imo,
        Method::POST,
        "/api/tasks",
        Some(json!({"hazard": open, "organisation": "NOPE"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);

    // An operator sees its own organisation's tasks, the new ones among them.
    let op = signed_in(&app, "operator").await;
    let mine = send(&app, &op, Method::GET, "/api/tasks?per_page=1000", None).await.json;
    let mine = mine["items"].as_array().unwrap();
    assert!(
        mine.iter().all(|t| t["organisation"] == "AEST") && mine.iter().any(|t| t["code"] == code.as_str())
    );
    assert_eq!(mine.len(), every.iter().filter(|t| t["organisation"] == "AEST").count() + 2);
    let r = send(&app, &op, Method::GET, "/api/tasks?organisation=QHD", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let r = send(&app, &op, Method::POST, "/api/tasks", Some(body.to_string())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);

    // Cancelled from yesterday: once only; the operator's work after it is refused.
    let second = again.json["code"].as_str().unwrap().to_string();
    let cancel =
        json!({"on": yesterday, "reason": "the ground was given to the national EOD response"}).to_string();
    let path = format!("/api/tasks/{second}/cancellation");
    let r = send(&app, &op, Method::POST, &path, Some(cancel.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let r = send(&app, &imo, Method::POST, &path, Some(json!({"reason": " "}).to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = send(&app, &imo, Method::POST, &path, Some(cancel.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        (r.json["status"].as_str(), r.json["cancelled_on"].as_str()),
        (Some("CANCELLED"), Some(yesterday.as_str()))
    );
    let r = send(&app, &imo, Method::POST, &path, Some(cancel)).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.json["message"].as_str().unwrap().contains("cancelled already")
    );
    let today = OffsetDateTime::now_utc().date().to_string();
    let ts =
        json!({"type": "TS", "organisation": "AEST", "task": second, "start_date": today, "end_date": today});
    let r = send(&app, &op, Method::POST, "/api/reports", Some(ts.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let checks = send(
        &app,
        &imo,
        Method::POST,
        &format!("/api/reports/{}/check", r.json["id"].as_str().unwrap()),
        None,
    )
    .await;
    let problems = checks.json["problems"].to_string();
    assert!(problems.contains(&format!("task {second} was cancelled on {yesterday}")), "{problems}");
    // The cancellation is sealed: its day changed behind the history's back is caught.
    assert!(Store::open(&db).unwrap().audit(None).unwrap().is_intact());
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE tasks SET cancelled_on = '2099-01-01' WHERE code = ?\", (sys.argv[2],)); c.commit()"])
        .arg(&db)
        .arg(&second)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit = Store::open(&db).unwrap().audit(None).unwrap();
    assert!(!audit.is_intact(), "a moved cancellation went unnoticed");
}

#[tokio::test]
async fn downloads_are_the_exports_at_the_level_each_role_may_have() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let total =
        send(&app, &imo, Method::GET, "/api/hazards?per_page=1", None).await.json["total"].as_u64().unwrap();
    // The full level: every hazard, as the layer API has it, named for saving.
    let r = send(&app, &imo, Method::GET, "/api/exports/hazards?format=geojson", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.headers[header::CONTENT_DISPOSITION], "attachment; filename=\"hazards.geojson\"");
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/geo+json");
    let layer = send(&app, &imo, Method::GET, "/api/layers/hazards", None).await;
    assert_eq!(r.json, layer.json, "a download is the layer as the API has it");
    assert_eq!(r.json["features"].as_array().unwrap().len() as u64, total);
    // The public level: a dangerous hazard's outline is grid cells (a donor's
    // viewer account may export, as the policy has it: both levels).
    let viewer = signed_in(&app, "viewer").await;
    let public = send(
        &app,
        &viewer,
        Method::GET,
        "/api/exports/hazards?format=geojson&level=public&as_of=2026-10-31",
        None,
    )
    .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.json);
    assert_eq!(
        public.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"hazards-public-as-of-2026-10-31.geojson\""
    );
    let full = &layer.json["features"];
    let open = public.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["status"] == "OPEN" && f["geometry"].is_object())
        .expect("an open hazard");
    let same = full
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == open["properties"]["code"])
        .unwrap();
    assert_ne!(open["geometry"], same["geometry"], "the public download keeps a dangerous outline");
    // A workbook of every layer, a GeoPackage; refusals in words.
    let r = send(&app, &imo, Method::GET, "/api/exports/all?format=xlsx", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.starts_with(b"PK"), "an xlsx is a zip");
    // An operator's download holds its own organisation's tasks; report ids
    // go only to those who read reports.
    let op = signed_in(&app, "operator").await;
    let tasks = send(&app, &op, Method::GET, "/api/exports/tasks?format=geojson", None).await;
    let orgs: BTreeSet<&str> = tasks.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, BTreeSet::from(["AEST"]), "{}", tasks.json);
    let finds = send(&app, &viewer, Method::GET, "/api/exports/eo_finds?format=geojson", None).await;
    let features = finds.json["features"].as_array().unwrap();
    assert!(!features.is_empty() && features.iter().all(|f| f["properties"]["report_id"].is_null()));
    let finds = send(&app, &imo, Method::GET, "/api/exports/eo_finds?format=geojson", None).await;
    assert!(finds.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["report_id"].is_string()));
    let r = send(&app, &imo, Method::GET, "/api/exports/hazards?district=agdam&check=true", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
    assert!(r.bytes.is_empty());
    let r = send(&app, &imo, Method::GET, "/api/exports/released_areas?format=gpkg", None).await;
    assert!(r.status == StatusCode::OK && r.bytes.starts_with(b"SQLite format 3"));
    refused(
        &app,
        &imo,
        &[
            ("/api/exports/all?format=geojson", StatusCode::BAD_REQUEST),
            ("/api/exports/hazards?format=shp", StatusCode::BAD_REQUEST),
            ("/api/exports/hazards?format=kml&hxl=true", StatusCode::BAD_REQUEST),
            ("/api/exports/hazards?level=public&grid=2", StatusCode::BAD_REQUEST),
            ("/api/exports/hazards?as_of=yesterday", StatusCode::BAD_REQUEST),
            ("/api/exports/minefields", StatusCode::NOT_FOUND),
            ("/api/exports/hazards?district=Atlantis", StatusCode::NOT_FOUND),
            // A page checks first: the same mistakes, or 204 and nothing written.
            ("/api/exports/hazards?district=Atlantis&check=true", StatusCode::NOT_FOUND),
            ("/api/exports/all?format=geojson&check=true", StatusCode::BAD_REQUEST),
        ],
    )
    .await;
}

/// How many features the layer API has.
async fn features(app: &Router, c: &Client, layer: &str) -> usize {
    let r = send(app, c, Method::GET, &format!("/api/layers/{layer}"), None).await;
    r.json["features"].as_array().unwrap().len()
}

#[tokio::test]
async fn uploads_go_in_as_the_import_command_takes_them() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let before = features(&app, &imo, "eo_finds").await;
    // One good find and five bad ones, as tests/import.rs gives the command.
    let good = r#""category":"UXO","eo_type":"OF-482M","disposal":"DESTROYED_IN_SITU","found_on":"2024-05-01","organisation":"ANAMA""#;
    let point = r#"{"type":"Point","coordinates":[46.92,39.96]}"#;
    let feature = |props: &str, geometry: &str| {
        format!(r#"{{"type":"Feature","properties":{{{props}}},"geometry":{geometry}}}"#)
    };
    let file = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        [
            feature(good, point),
            feature(&good.replace("UXO", "GRENADE"), point),
            feature(good, r#"{"type":"Point","coordinates":["46.9",39.9]}"#),
            feature(&good.replace("ANAMA", "NOBODY"), point),
            feature(&good.replace("2024-05-01", "2099-01-01"), point),
            feature(good, "null"),
        ]
        .join(",")
    );
    let upload = |uri: &str, c: &Client, body: Vec<u8>| {
        let (app, c, uri) = (app.clone(), c.clone(), uri.to_string());
        async move { send_bytes(&app, &c, Method::POST, &uri, Some(body)).await }
    };
    // By default a rejection imports nothing; the reject file comes back.
    let uri = "/api/imports?layer=eo_finds&name=C%3A%5Cfield%5Cfinds.geojson";
    let r = upload(uri, &imo, file.clone().into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
    assert_eq!(r.json["error"], "refused");
    assert_eq!((r.json["read"].as_u64(), r.json["rejected"].as_u64()), (Some(6), Some(5)), "{}", r.json);
    assert_eq!(r.json["committed"], false);
    assert!(r.json["message"].as_str().unwrap().contains("nothing was imported"), "{}", r.json);
    let problems: Vec<&str> =
        r.json["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(
        problems.iter().any(|p| p.starts_with("finds.geojson, feature 2: ") && p.contains("GRENADE")),
        "{problems:?}"
    );
    assert_eq!(r.json["rejects"]["name"], "finds.rejects.geojson");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.json["rejects"]["base64"].as_str().unwrap())
        .unwrap();
    let rejects: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(rejects["features"].as_array().unwrap().len(), 5);
    assert!(rejects["features"][0]["properties"]["sg_reject"].as_str().unwrap().contains("GRENADE"));
    assert_eq!(features(&app, &imo, "eo_finds").await, before, "nothing imported");
    // keep_going takes the good one, under a report approved by the uploader.
    let r = upload(&format!("{uri}&keep_going=true"), &imo, file.clone().into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!((r.json["imported"].as_u64(), r.json["rejected"].as_u64()), (Some(1), Some(5)));
    assert!(
        r.json["message"].as_str().unwrap().starts_with(
            "finds.geojson: read 6 features into eo_finds; imported 1, already in the register 0, rejected 5"
        ),
        "{}",
        r.json
    );
    assert_eq!(features(&app, &imo, "eo_finds").await, before + 1);
    let store = Store::open(&db).unwrap();
    let batch = store.reports(None).unwrap().into_iter().filter(|r| r.submitted_by == "imo").count();
    assert_eq!(batch, 1, "one import report, in the uploader's name");
    drop(store);
    // A GeoPackage downloaded from the register goes back in whole: every
    // hazard already there.
    let gpkg = send(&app, &imo, Method::GET, "/api/exports/hazards?format=gpkg", None).await;
    assert_eq!(gpkg.status, StatusCode::OK);
    let hazards = features(&app, &imo, "hazards").await as u64;
    let r = upload("/api/imports?layer=hazards&name=hazards.gpkg", &imo, gpkg.bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        (r.json["read"].as_u64(), r.json["present"].as_u64()),
        (Some(hazards), Some(hazards)),
        "{}",
        r.json
    );
    // Refusals in words, nothing written.
    for (uri, body, status) in [
        (
            "/api/imports?layer=eo_finds&name=finds.geojson",
            "{\"type\":\"FeatureCollection\",",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/imports?layer=hazards&name=field.gpkg", "not a GeoPackage at all", StatusCode::BAD_REQUEST),
        ("/api/imports?layer=hazards&name=field.xlsx", "not a workbook", StatusCode::BAD_REQUEST),
        ("/api/imports?layer=eo_finds&name=finds.shp", "x", StatusCode::BAD_REQUEST),
        ("/api/imports?layer=minefields&name=finds.geojson", "x", StatusCode::BAD_REQUEST),
        ("/api/imports?layer=hazards&name=h.kml&srs=EPSG:32638", "x", StatusCode::BAD_REQUEST),
        ("/api/imports?layer=eo_finds&name=finds.geojson", "", StatusCode::BAD_REQUEST),
    ] {
        let r = upload(uri, &imo, body.as_bytes().to_vec()).await;
        assert_eq!(r.status, status, "{uri}: {}", r.json);
        let message = r.json["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{uri}");
        assert!(!message.contains("safeground-upload"), "the private file is named: {message}");
    }
    assert_eq!(features(&app, &imo, "eo_finds").await, before + 1);
    // Only the roles that import; and only as a file, never as a form's body.
    let op = signed_in(&app, "operator").await;
    let r = upload(uri, &op, file.clone().into_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "text/plain")
        .header(header::CONTENT_LENGTH, file.len());
    req = req
        .header(header::COOKIE, imo.cookie.clone().unwrap())
        .header("x-csrf-token", imo.csrf.clone().unwrap());
    let res = app.clone().oneshot(req.body(Body::from(file)).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn administrators_add_organisations_with_the_imports_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let admin = signed_in(&app, "admin").await;
    let list = send(&app, &admin, Method::GET, "/api/organisations", None).await;
    let aest = list.json.as_array().unwrap().iter().find(|o| o["acronym"] == "AEST").unwrap().clone();
    // The register's own figures: two AEST accounts in `register`, and its reports.
    assert_eq!(aest["accounts"], 2, "{aest}");
    assert!(aest["reports"].as_i64().unwrap() > 0 && aest["kind"] == "OPERATOR", "{aest}");
    let new = json!({"acronym": "FSD", "name": "Fondation suisse de déminage", "kind": "OPERATOR", "country": "ch"});
    let r = send(&app, &admin, Method::POST, "/api/organisations", Some(new.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(
        (r.json["country"].as_str(), r.json["accounts"].as_i64()),
        (Some("CH"), Some(0)),
        "{}",
        r.json
    );
    let listed = send(&app, &admin, Method::GET, "/api/organisations", None).await;
    assert!(listed.json.as_array().unwrap().iter().any(|o| o["acronym"] == "FSD"));
    // An operator's account can name it now.
    let r = send(
        &app,
        &admin,
        Method::POST,
        "/api/users",
        Some(json!({"name": "fsd.leader", "role": "OPERATOR", "organisation": "FSD"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    for (body, status, field) in [
        (
            json!({"acronym": "fsd", "name": "Again", "kind": "OPERATOR", "country": "CH"}),
            StatusCode::CONFLICT,
            "FSD",
        ),
        (
            json!({"acronym": "X1", "name": "Nowhere", "kind": "OPERATOR", "country": "ZZZ"}),
            StatusCode::BAD_REQUEST,
            "country",
        ),
        (
            json!({"acronym": "X2", "name": "Odd", "kind": "DONOR", "country": "GB"}),
            StatusCode::BAD_REQUEST,
            "kind",
        ),
        (
            json!({"acronym": "X3", "name": "", "kind": "OPERATOR", "country": "GB"}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            json!({"acronym": "TWO WORDS", "name": "Spaced", "kind": "OPERATOR", "country": "GB"}),
            StatusCode::BAD_REQUEST,
            "acronym",
        ),
    ] {
        let r = send(&app, &admin, Method::POST, "/api/organisations", Some(body.to_string())).await;
        assert_eq!(r.status, status, "{body}: {}", r.json);
        assert!(r.json["message"].as_str().unwrap().contains(field), "{body}: {}", r.json);
    }
    let imo = signed_in(&app, "imo").await;
    let r = send(&app, &imo, Method::POST, "/api/organisations", Some(new.to_string())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
}

#[tokio::test]
async fn field_submissions_become_drafts_their_organisation_submits() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/kobo/nts.csv");
    let anama = std::fs::read_to_string(fixture).unwrap();
    assert!(anama.contains(";ANAMA;"), "the fixture's submissions are ANAMA's");
    let aest = anama.replace(";ANAMA;", ";AEST;");
    let op = signed_in(&app, "operator").await;
    let uri = "/api/submissions?form=nts&name=nts.csv";
    // Another organisation's submissions: an operator's account drafts its own only.
    let r = send(&app, &op, Method::POST, uri, Some(anama)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
    assert_eq!((r.json["read"].as_u64(), r.json["rejected"].as_u64()), (Some(2), Some(2)), "{}", r.json);
    assert!(
        r.json["problems"][0].as_str().unwrap().contains("the submission is ANAMA's, not AEST's"),
        "{}",
        r.json
    );
    assert_eq!(r.json["rejects"]["name"], "nts.csv.rejects.csv");
    let rejects = base64::engine::general_purpose::STANDARD
        .decode(r.json["rejects"]["base64"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8(rejects).unwrap().lines().next().unwrap().contains("_reject_reason"));
    // Its own: two drafts; the same file again drafts nothing twice.
    let r = send(&app, &op, Method::POST, uri, Some(aest.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["message"], "read 2, drafted 2, rejected 0 (already imported 0)");
    let ids: Vec<String> =
        r.json["drafts"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);
    let again = send(&app, &op, Method::POST, uri, Some(aest)).await;
    assert_eq!(
        (again.json["drafted"].as_u64(), again.json["already"].as_u64()),
        (Some(0), Some(2)),
        "{}",
        again.json
    );
    let drafts = send(&app, &op, Method::GET, "/api/reports?state=DRAFT&per_page=1000", None).await;
    let listed: BTreeSet<&str> =
        drafts.json["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|id| listed.contains(id.as_str())), "{}", drafts.json);
    // Another operator may not submit them; their own operator does, once.
    let path = format!("/api/reports/{}/submission", ids[0]);
    let amc = signed_in(&app, "operator_amc").await;
    let r = send(&app, &amc, Method::POST, &path, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let r = send(&app, &op, Method::POST, &path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let r = send(&app, &op, Method::POST, &path, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "submitted twice: {}", r.json);
    // It waits in the IM officer's queue.
    let imo = signed_in(&app, "imo").await;
    let queue = send(&app, &imo, Method::GET, "/api/reports?state=SUBMITTED&per_page=1000", None).await;
    assert!(
        queue.json["items"].as_array().unwrap().iter().any(|r| r["id"] == ids[0].as_str()),
        "{}",
        queue.json
    );
    // Not an export at all; a form that is not one of ours.
    let r = send(&app, &op, Method::POST, uri, Some("{\"count\": ".into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = send(&app, &op, Method::POST, "/api/submissions?form=census", Some("x".into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
}

#[tokio::test]
async fn operators_see_and_submit_for_their_own_organisation_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let (own, other, _) = report_ids(&db);
    let op = signed_in(&app, "operator").await;
    let r = send(&app, &op, Method::GET, "/api/reports?per_page=1000", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let orgs: BTreeSet<&str> =
        r.json["items"].as_array().unwrap().iter().map(|x| x["organisation"].as_str().unwrap()).collect();
    assert_eq!(orgs, BTreeSet::from(["AEST"]), "the operator's list");
    assert_eq!(
        send(&app, &op, Method::GET, &format!("/api/reports/{own}"), None).await.status,
        StatusCode::OK
    );
    let r = send(&app, &op, Method::GET, &format!("/api/reports/{other}"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let theirs = json!({"type": "EO_FIND", "organisation": "QHD", "start_date": "2024-04-12", "end_date": "2024-04-12",
        "eo_finds": [{"category": "UXO", "type": "x", "condition": "DAMAGED", "disposal": "DESTROYED_IN_SITU", "location": "39.9 46.9"}]});
    let r = send(&app, &op, Method::POST, "/api/reports", Some(theirs.to_string())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(r.json["message"].as_str().unwrap().contains("another organisation"), "{}", r.json);
    // Inspections: of its own organisation's work only (the demo's is AMC's).
    let qm = signed_in(&app, "qm").await;
    let all = send(&app, &qm, Method::GET, "/api/inspections", None).await.json;
    let all = all.as_array().unwrap();
    assert!(
        all.iter().any(|i| i["organisation"] != "AEST" && i["sample"]["type"] == "MultiPolygon"),
        "{all:?}"
    );
    for (account, acronym) in [("operator", "AEST"), ("operator_amc", "AMC")] {
        let c = signed_in(&app, account).await;
        let seen = send(&app, &c, Method::GET, "/api/inspections", None).await.json;
        let own: Vec<&Value> = all.iter().filter(|i| i["organisation"] == acronym).collect();
        assert_eq!(seen.as_array().unwrap().iter().collect::<Vec<_>>(), own, "{account}");
        assert_eq!(own.is_empty(), acronym == "AEST", "the demo inspected AMC's work, not AEST's");
    }
    // A QM officer submits inspections only.
    let mine = theirs.to_string().replace("QHD", "AEST");
    let r = send(&app, &qm, Method::POST, "/api/reports", Some(mine)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
}

#[tokio::test]
async fn changes_need_the_csrf_token_and_our_own_origin() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let (own, _, _) = report_ids(&db);
    let uri = format!("/api/reports/{own}/check");
    let mut c = signed_in(&app, "imo").await;
    let good = c.csrf.clone();
    c.csrf = None;
    let r = send(&app, &c, Method::POST, &uri, None).await;
    assert_eq!((r.status, r.json["error"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{}", r.json);
    c.csrf = Some("0".repeat(64));
    assert_eq!(send(&app, &c, Method::POST, &uri, None).await.json["error"], "csrf");
    // A PATCH is a change as a POST is: an administrator's without the token is refused.
    let mut admin = signed_in(&app, "admin").await;
    admin.csrf = None;
    let r =
        send(&app, &admin, Method::PATCH, "/api/users/viewer", Some(json!({"disabled": true}).to_string()))
            .await;
    assert_eq!((r.status, r.json["error"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{}", r.json);
    assert!(!Store::open(&db).unwrap().users().unwrap().iter().any(|u| u.name == "viewer" && u.disabled));
    // Reading needs no token.
    assert_eq!(send(&app, &c, Method::GET, "/api/summary", None).await.status, StatusCode::OK);
    c.csrf = good;
    let r = send(&app, &c, Method::POST, &uri, None).await;
    assert!(admitted(&r), "{}", r.json);
    // Another site's page posting with the user's cookie and even the token.
    let req = Request::builder()
        .method(Method::POST)
        .uri(&uri)
        .header(header::COOKIE, c.cookie.as_deref().unwrap())
        .header("x-csrf-token", c.csrf.as_deref().unwrap())
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Security headers on pages and API alike.
    let r = send(&app, &Client::anonymous(), Method::GET, "/", None).await;
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(r.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
}

/// A login from `peer` (the TCP peer, as `serve` records it), optionally
/// through a proxy that sent `X-Forwarded-For: forwarded`.
async fn login_from(app: &Router, name: &str, password: &str, peer: &str, forwarded: Option<&str>) -> Reply {
    let peer: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    let mut req =
        Request::builder().method(Method::POST).uri("/api/login").header("content-type", "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req.body(Body::from(json!({"name": name, "password": password}).to_string())).unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, json, bytes, headers }
}

#[tokio::test]
async fn wrong_passwords_make_the_next_attempt_wait_longer_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    for i in 0..5 {
        let r = login(&app, "imo", "guess number one").await;
        assert_eq!(
            (r.status, r.json["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_login")),
            "attempt {i}"
        );
    }
    // The fifth failure holds the name off for a second: the right password too.
    let r = login(&app, "imo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    assert_eq!(r.json["error"], "too_many_attempts");
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "1");
    // A second later one more wrong guess is heard, and doubles the wait.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(login(&app, "imo", "guess number two").await.status, StatusCode::UNAUTHORIZED);
    let r = login(&app, "imo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "2");
    // Once the wait is over, the right password is let in: a delay, not a lockout.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(login(&app, "imo", PASSWORD).await.status, StatusCode::OK);
    // Other accounts are not held off by one account's failures.
    signed_in(&app, "qm").await;
    // An unknown name fails as a wrong password does, with the same answer.
    let r = login(&app, "no-such-person", PASSWORD).await;
    assert_eq!((r.status, r.json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_login")));
}

#[tokio::test]
async fn attempts_sent_at_once_cannot_slip_past_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    // Forty wrong passwords for one name at once, and the right one among them.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        let password = if i == 29 { PASSWORD.to_string() } else { format!("wrong guess {i}") };
        tasks.push(tokio::spawn(async move { login(&app, "admin", &password).await.status }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let heard = statuses.iter().filter(|s| **s != StatusCode::TOO_MANY_REQUESTS).count();
    assert!(heard <= 5, "{heard} of 40 simultaneous attempts had their password checked: {statuses:?}");
    assert!(statuses.iter().all(|s| [401, 200, 429].contains(&s.as_u16())), "{statuses:?}");
}

#[tokio::test]
async fn a_guesser_elsewhere_does_not_lock_the_holder_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    // Ten wrong guesses at the administrator from one machine…
    for _ in 0..10 {
        let r = login_from(&app, "admin", "a wrong guess", "203.0.113.9", None).await;
        assert!([401, 429].contains(&r.status.as_u16()), "{}", r.json);
    }
    assert_eq!(login_from(&app, "admin", PASSWORD, "203.0.113.9", None).await.status, 429);
    // …do not keep the administrator out at their own.
    let r = login_from(&app, "admin", PASSWORD, "198.51.100.7", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let proxied = |trusted: bool| {
        let mut state = AppState::new(&db, "unused").unwrap();
        if trusted {
            state.proxies = std::sync::Arc::new(vec!["127.0.0.1".parse().unwrap()]);
        }
        app(state)
    };
    // Through a trusted proxy: twenty-five failures of one client over many
    // names hold that client off, and not another behind the same proxy. The
    // client's own X-Forwarded-For (the left part) is not believed.
    let app = proxied(true);
    for i in 0..25 {
        let forwarded = format!("10.9.9.{i}, 203.0.113.9");
        let r = login_from(&app, &format!("name{i}"), "a wrong guess", "127.0.0.1", Some(&forwarded)).await;
        assert!([401, 429].contains(&r.status.as_u16()));
    }
    let r = login_from(&app, "qm", PASSWORD, "127.0.0.1", Some("203.0.113.9")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    let r = login_from(&app, "qm", PASSWORD, "127.0.0.1", Some("198.51.100.7")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    // Without it the header is the client's to write and is ignored: the
    // proxy's address is everyone's.
    let app = proxied(false);
    for i in 0..25 {
        let forwarded = format!("203.0.113.{i}");
        login_from(&app, &format!("name{i}"), "a wrong guess", "127.0.0.1", Some(&forwarded)).await;
    }
    let r = login_from(&app, "qm", PASSWORD, "127.0.0.1", Some("198.51.100.7")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
}

#[tokio::test]
async fn sessions_end_when_their_account_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let now = OffsetDateTime::now_utc();
    let change = |name: &'static str, c: UserChange| {
        Store::open(&db).unwrap().write(|w| w.change_user(name, &c, "admin", now)).unwrap();
    };
    // A password changed (on the command line, say) ends the sessions made with the old one.
    let imo = signed_in(&app, "imo").await;
    let other_session = signed_in(&app, "imo").await;
    change("imo", UserChange::Password("a brand new password".into()));
    for c in [&imo, &other_session] {
        let r = send(&app, c, Method::GET, "/api/me", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.json);
    }
    // Disabled and enabled again: the old session does not come back.
    let qm = signed_in(&app, "qm").await;
    change("qm", UserChange::Disabled(true));
    change("qm", UserChange::Disabled(false));
    assert_eq!(send(&app, &qm, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    // A role changed: signed out too. Accounts not changed keep their sessions.
    let viewer = signed_in(&app, "viewer").await;
    let operator = signed_in(&app, "operator").await;
    change("viewer", UserChange::PersonalData(false));
    change("operator", UserChange::Role { role: Role::QmOfficer, organisation: None });
    assert_eq!(send(&app, &operator, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, &viewer, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    let fresh = signed_in(&app, "admin").await;
    assert_eq!(send(&app, &fresh, Method::GET, "/api/me", None).await.status, StatusCode::OK);
}

/// A request with `Host: host` to an app that answers to loopback at 8080
/// and, with accounts, to `register.example.org`.
async fn with_host(db: &Path, host: &str, uri: &str) -> Reply {
    let mut state = AppState::new(db, "unused").unwrap();
    state.hosts = std::sync::Arc::new(safeground_server::Hosts::new(8080, &["register.example.org".into()]));
    let app = app(state);
    let req = Request::builder().uri(uri).header(header::HOST, host).body(Body::empty()).unwrap();
    let res = app.oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply { status, json: serde_json::from_slice(&bytes).unwrap_or(Value::Null), bytes, headers }
}

#[tokio::test]
async fn only_our_own_host_names_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    for host in
        ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "register.example.org", "REGISTER.example.org:443"]
    {
        assert_eq!(with_host(&db, host, "/api/openapi.json").await.status, StatusCode::OK, "{host}");
    }
    // DNS rebinding: a page of another name re-pointed at 127.0.0.1.
    for host in ["attacker.example:8080", "localhost:9090", "127.0.0.1", "127.0.0.1.nip.io:8080"] {
        let r = with_host(&db, host, "/api/openapi.json").await;
        assert_eq!(
            (r.status, r.json["error"].as_str()),
            (StatusCode::MISDIRECTED_REQUEST, Some("misdirected")),
            "{host}"
        );
        assert!(r.headers.contains_key(header::CONTENT_SECURITY_POLICY));
        // The health checks answer by any name: a balancer asks by the server's address.
        for uri in ["/api/health", "/api/health/live", "/api/health/ready"] {
            assert_eq!(with_host(&db, host, uri).await.status, StatusCode::OK, "{host} {uri}");
        }
    }
}

#[tokio::test]
async fn a_register_without_accounts_answers_to_loopback_names_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("local.gpkg");
    let places = safeground_demo::Places::load().unwrap();
    let mut store = Store::create(&db).unwrap();
    safeground_demo::build(&places, 2020, "5".parse().unwrap(), &mut store, &mut |_, _| {}).unwrap();
    let mut state = AppState::new(&db, "holder").unwrap();
    // `serve` gives a register without accounts no public names at all.
    state.hosts = std::sync::Arc::new(safeground_server::Hosts::new(8080, &[]));
    let app = app(state);
    for (host, status) in [("127.0.0.1:8080", 200), ("rebound.example:8080", 421)] {
        let req =
            Request::builder().uri("/api/summary").header(header::HOST, host).body(Body::empty()).unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), status, "{host}");
    }
}

#[tokio::test]
async fn bodies_of_another_type_or_size_are_refused_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let post = |uri: &str, kind: &str, body: Vec<u8>| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", kind)
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::COOKIE, imo.cookie.clone().unwrap())
            .header("x-csrf-token", imo.csrf.clone().unwrap());
        if kind.is_empty() {
            req = req.header("content-type", "");
        }
        let req = req.body(Body::from(body)).unwrap();
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    // A form or a text/plain fetch from another site needs no preflight: refused.
    let (status, body) = post("/api/reports", "text/plain", b"{}".to_vec()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"))
    );
    let (status, _) = post("/api/login", "application/x-www-form-urlencoded", b"name=a".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = post("/api/traverse", "application/json", b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // With its parameters the right type passes.
    let (status, body) = post("/api/reports", "application/json; charset=utf-8", b"{}".to_vec()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));
    // Too large: the JSON error, not axum's plain text.
    let (status, body) = post("/api/reports", "application/json", vec![b' '; 3 << 20]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "{body}"
    );
}

#[tokio::test]
async fn signed_in_tiles_are_kept_by_the_browser_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let viewer = signed_in(&app, "viewer").await;
    let r = send(&app, &viewer, Method::GET, "/tiles/hazards/8/161/96.mvt", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "private, no-cache");
}

#[tokio::test]
async fn viewers_read_the_register_without_the_reports_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let store = Store::open(&db).unwrap();
    let worked = store
        .hazards(&Default::default())
        .unwrap()
        .into_iter()
        .find(|h| !store.hazard(&h.code).unwrap().released.is_empty())
        .unwrap()
        .code;
    let imo = signed_in(&app, "imo").await;
    let viewer = signed_in(&app, "viewer").await;
    let uri = format!("/api/hazards/{worked}/history");
    let full = send(&app, &imo, Method::GET, &uri, None).await.json;
    assert!(full.as_array().unwrap().iter().all(|v| v["report_id"].is_string() && v["actor"].is_string()));
    let seen = send(&app, &viewer, Method::GET, &uri, None).await.json;
    assert_eq!(seen.as_array().unwrap().len(), full.as_array().unwrap().len());
    for v in seen.as_array().unwrap() {
        assert!(v["report_id"].is_null() && v["actor"].is_null() && v["event"].is_null(), "{v}");
        assert!(v["status"].is_string() && v["area_m2"].is_object(), "{v}");
    }
    let detail = send(&app, &viewer, Method::GET, &format!("/api/hazards/{worked}"), None).await.json;
    assert!(detail["released"].as_array().unwrap().iter().all(|r| r["report_id"].is_null()), "{detail}");
    let detail = send(&app, &imo, Method::GET, &format!("/api/hazards/{worked}"), None).await.json;
    assert!(detail["released"].as_array().unwrap().iter().all(|r| r["report_id"].is_string()), "{detail}");
    // Trace lists reports: not for viewers; an operator sees its own
    // organisation's. Asked inside the hazard's first outline.
    let g = &detail["geometry"];
    let shell = if g["type"] == "MultiPolygon" { &g["coordinates"][0][0] } else { &g["coordinates"][0] };
    let ring: Vec<geo::Coord<f64>> = shell
        .as_array()
        .unwrap()
        .iter()
        .map(|p| geo::Coord { x: p[0].as_f64().unwrap(), y: p[1].as_f64().unwrap() })
        .collect();
    let inside =
        geo::InteriorPoint::interior_point(&geo::Polygon::new(geo::LineString(ring), vec![])).unwrap();
    let uri = format!("/api/trace?position={}N%20{}E", inside.y(), inside.x());
    assert_eq!(send(&app, &viewer, Method::GET, &uri, None).await.status, StatusCode::FORBIDDEN);
    let every = send(&app, &imo, Method::GET, &uri, None).await.json;
    let every = every.as_array().unwrap();
    assert!(every.iter().any(|r| r["organisation"] != "AEST"), "{every:?}");
    let operator = signed_in(&app, "operator").await;
    let own = send(&app, &operator, Method::GET, &uri, None).await.json;
    let expected: Vec<&Value> = every.iter().filter(|r| r["organisation"] == "AEST").collect();
    assert_eq!(own.as_array().unwrap().iter().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn a_polygon_of_too_many_points_is_refused_at_once_in_a_short_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    // 90,000 points zigzagging across each other (a 2 MB upload).
    let ring: Vec<[f64; 2]> = (0..90_000)
        .map(|i| [46.90 + if i % 2 == 0 { 0.0 } else { 0.01 }, 39.90 + f64::from(i) * 1e-7])
        .chain(std::iter::once([46.90, 39.90]))
        .collect();
    let report = json!({
        "type": "NTS", "organisation": "ANAMA", "start_date": "2024-03-04", "end_date": "2024-03-06",
        "new_hazard": {"name": "zigzag", "kind": "SHA", "district": "Agdam", "contamination": ["AP"],
            "geometry": {"type": "Polygon", "coordinates": [ring]}}
    })
    .to_string();
    let submitted = send(&app, &imo, Method::POST, "/api/reports", Some(report)).await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.json);
    let id = submitted.json["id"].as_str().unwrap().to_string();
    let r = send(&app, &imo, Method::POST, &format!("/api/reports/{id}/check"), None).await;
    assert_eq!(r.json["approvable"], false);
    let problems = r.json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].as_str().unwrap().contains("has 90001 points, more than the 20000"), "{problems:?}");
    assert!(r.bytes.len() < 2_000);
}
#[tokio::test]
async fn tokens_serve_scripts_and_a_disabled_account_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let now = OffsetDateTime::now_utc();
    let (token_id, secret) =
        Store::open(&db).unwrap().write(|w| w.issue_token("imo", "nightly", None, "admin", now)).unwrap();
    let script = Client { cookie: None, csrf: None, bearer: Some(secret.clone()) };
    let (own, _, _) = report_ids(&db);
    // No CSRF token needed: a bearer token is not sent by browsers on their own.
    let r = send(&app, &script, Method::POST, &format!("/api/reports/{own}/check"), None).await;
    assert!(admitted(&r), "{}", r.json);
    let session = signed_in(&app, "imo").await;
    Store::open(&db)
        .unwrap()
        .write(|w| w.change_user("imo", &UserChange::Disabled(true), "admin", now))
        .unwrap();
    assert_eq!(
        send(&app, &session, Method::GET, "/api/summary", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(send(&app, &script, Method::GET, "/api/summary", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "imo", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    Store::open(&db)
        .unwrap()
        .write(|w| w.change_user("imo", &UserChange::Disabled(false), "admin", now))
        .unwrap();
    assert_eq!(send(&app, &script, Method::GET, "/api/summary", None).await.status, StatusCode::OK);
    Store::open(&db).unwrap().write(|w| w.revoke_token(&token_id.to_string(), "admin", now)).unwrap();
    assert_eq!(send(&app, &script, Method::GET, "/api/summary", None).await.status, StatusCode::UNAUTHORIZED);
    // Logging out ends the session.
    let s = signed_in(&app, "qm").await;
    assert_eq!(send(&app, &s, Method::POST, "/api/logout", None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, &s, Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
    // Every change above is in the sealed history.
    let audit = Store::open(&db).unwrap().audit(None).unwrap();
    assert!(audit.is_intact(), "{audit:?}");
}

/// Every victim's name in the register.
fn victim_names(db: &Path) -> Vec<String> {
    let store = Store::open(db).unwrap();
    let mut names = vec![];
    for r in store.reports(None).unwrap() {
        if let Some(Value::Array(p)) = store.report_personal(r.id).unwrap() {
            names.extend(p.iter().filter_map(|v| v["name"].as_str().map(String::from)));
        }
    }
    names
}

#[tokio::test]
async fn no_personal_data_without_the_permission() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let names = victim_names(&db);
    assert!(!names.is_empty(), "the demo has victims with names");
    let store = Store::open(&db).unwrap();
    let reports: Vec<String> = store.reports(None).unwrap().into_iter().map(|r| r.id.to_string()).collect();
    let hazards: Vec<String> =
        store.hazards(&Default::default()).unwrap().into_iter().map(|h| h.code).collect();
    drop(store);
    let mut uris: Vec<String> = vec![
        "/api/summary".into(),
        "/api/hazards?per_page=1000".into(),
        "/api/reports?per_page=1000".into(),
        "/api/stats/released-by-month".into(),
        "/api/kpi?from=1997-01-01&to=2026-12-31&by=organisation".into(),
        "/api/reference".into(),
        "/api/me".into(),
        "/api/users".into(),
    ];
    uris.extend(reports.iter().map(|r| format!("/api/reports/{r}")));
    uris.extend(
        hazards.iter().flat_map(|h| [format!("/api/hazards/{h}"), format!("/api/hazards/{h}/history")]),
    );
    for l in [
        "hazards",
        "released_areas",
        "eo_finds",
        "accidents",
        "eore_sessions",
        "tasks",
        "settlements",
        "districts",
        "organisations",
    ] {
        uris.push(format!("/api/layers/{l}"));
    }
    for (z, x, y) in [(6, 40, 24), (8, 161, 96), (10, 645, 387)] {
        for l in safeground_store::TILE_LAYERS {
            uris.push(format!("/tiles/{l}/{z}/{x}/{y}.mvt"));
        }
    }
    for role in ["admin", "imo", "operator", "qm", "viewer"] {
        let c = signed_in(&app, role).await;
        for uri in &uris {
            let r = send(&app, &c, Method::GET, uri, None).await;
            let text = String::from_utf8_lossy(&r.bytes);
            for n in &names {
                assert!(!text.contains(n.as_str()), "{role} reads {n} in {uri}");
            }
        }
    }
    // With the permission, the report of an accident names its victims.
    let c = signed_in(&app, "imo_pd").await;
    let mut seen = 0;
    for r in &reports {
        let reply = send(&app, &c, Method::GET, &format!("/api/reports/{r}"), None).await;
        let text = String::from_utf8_lossy(&reply.bytes);
        seen += names.iter().filter(|n| text.contains(n.as_str())).count();
    }
    assert_eq!(seen, names.len(), "imo_pd reads every victim's name");
}

#[tokio::test]
async fn a_register_without_accounts_is_its_holders_and_has_no_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("local.gpkg");
    let places = safeground_demo::Places::load().unwrap();
    let mut store = Store::create(&db).unwrap();
    safeground_demo::build(&places, 2020, "10".parse().unwrap(), &mut store, &mut |_, _| {}).unwrap();
    drop(store);
    let app = app(AppState::new(&db, "field laptop").unwrap());
    let r = send(&app, &Client::anonymous(), Method::GET, "/api/me", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!((r.json["mode"].as_str(), r.json["role"].as_str()), (Some("local"), Some("administrator")));
    assert_eq!(login(&app, "admin", PASSWORD).await.status, StatusCode::CONFLICT);
    // Still, no other site may make changes through the user's browser.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/reports")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from("{}"))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_limit() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    // Idle: 300 ms without a request ends it; requests in between keep it.
    let app = app(AppState::new(&db, "unused")
        .unwrap()
        .with_session_limits(Duration::from_millis(300), Duration::from_secs(3600)));
    let c = signed_in(&app, "viewer").await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(send(&app, &c, Method::GET, "/api/me", None).await.status, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(450)).await;
    let r = send(&app, &c, Method::GET, "/api/me", None).await;
    assert_eq!((r.status, r.json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    // The limit: even a busy session ends.
    let app = app_with(&db, Duration::from_secs(3600), Duration::from_millis(400));
    let c = signed_in(&app, "viewer").await;
    let mut ended = false;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if send(&app, &c, Method::GET, "/api/me", None).await.status == StatusCode::UNAUTHORIZED {
            ended = true;
            break;
        }
    }
    assert!(ended, "the session outlived its limit");
}

fn app_with(db: &Path, idle: std::time::Duration, max: std::time::Duration) -> Router {
    app(AppState::new(db, "unused").unwrap().with_session_limits(idle, max))
}

#[tokio::test]
async fn accreditations_are_recorded_and_suspended_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let body = json!({"reference": "ACC-API-1", "organisation": "QHD", "team": null, "capability": "MANUAL",
        "valid_from": "2024-01-01", "valid_to": "2024-12-31"});
    let r = send(&app, &imo, Method::POST, "/api/accreditations", Some(body.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(
        (r.json["organisation"].as_str(), r.json["capability"].as_str(), r.json["valid_to"].as_str()),
        (Some("QHD"), Some("MANUAL"), Some("2024-12-31"))
    );
    let r = send(&app, &imo, Method::POST, "/api/accreditations", Some(body.to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(
        r.json["message"].as_str().unwrap().contains("the reference is another accreditation's"),
        "{}",
        r.json
    );
    let mut backwards = body.clone();
    backwards["reference"] = json!("ACC-API-2");
    backwards["valid_to"] = json!("2023-12-31");
    let r = send(&app, &imo, Method::POST, "/api/accreditations", Some(backwards.to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(r.json["message"].as_str().unwrap().contains("accreditation ACC-API-2"), "{}", r.json);
    // Suspended from a day, once; by deciders only.
    let uri = "/api/accreditations/ACC-API-1/suspension";
    let op = signed_in(&app, "operator").await;
    let suspension = json!({"on": "2024-06-01", "reason": "QC failure"}).to_string();
    assert_eq!(
        send(&app, &op, Method::POST, uri, Some(suspension.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&app, &imo, Method::POST, uri, Some(suspension.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        (r.json["suspended_on"].as_str(), r.json["suspension_reason"].as_str()),
        (Some("2024-06-01"), Some("QC failure"))
    );
    let r = send(&app, &imo, Method::POST, uri, Some(suspension)).await;
    assert!(
        r.status.is_client_error() && r.json["message"].as_str().unwrap().contains("suspended already"),
        "{}",
        r.json
    );
    let r = send(
        &app,
        &imo,
        Method::POST,
        "/api/accreditations/NO-SUCH/suspension",
        Some(json!({"reason": "x"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    // Both are events of the sealed history.
    let store = Store::open(&db).unwrap();
    assert!(store.audit(None).unwrap().is_intact());
}

#[tokio::test]
async fn a_ranking_is_sealed_and_its_top_tasked_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let r = send(&app, &imo, Method::POST, "/api/rankings", Some("{}".into())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let code = r.json["ranking"].as_str().unwrap().to_string();
    assert!(code.starts_with("RANK-"), "{}", r.json);
    let first: Vec<String> = r.json["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first.len(), 20, "the answer holds the first twenty");
    // What the dashboard reads is now the sealed ranking.
    let p = send(&app, &imo, Method::GET, "/api/priorities?top=2", None).await;
    assert_eq!(p.json["ranking"].as_str(), Some(code.as_str()));
    // Its first twenty hazards tasked, but for those holding an open task; asked again, none.
    let uri = format!("/api/rankings/{code}/tasks");
    let body = json!({"top": 20, "organisation": "QHD", "activity": "TS", "priority": "HIGH"}).to_string();
    let r = send(&app, &imo, Method::POST, &uri, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let tasks: Vec<&str> = r.json["tasks"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(!tasks.is_empty(), "{}", r.json);
    // Each a task of one of them (T- and its code, a suffix where that code is taken), in the ranking's order.
    let ranks: Vec<usize> = tasks
        .iter()
        .map(|t| first.iter().position(|c| t.starts_with(&format!("T-{c}"))).unwrap_or_else(|| panic!("{t}")))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{tasks:?}");
    let r = send(&app, &imo, Method::POST, &uri, Some(body)).await;
    assert_eq!(
        (r.status, r.json["tasks"].as_array().map(Vec::len)),
        (StatusCode::CREATED, Some(0)),
        "{}",
        r.json
    );
    // Refusals, each saying what to do.
    let bad = json!({"scenario": "name = 3"}).to_string();
    let r = send(&app, &imo, Method::POST, "/api/rankings", Some(bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(r.json["message"].as_str().unwrap().starts_with("scenario: cannot be used"), "{}", r.json);
    let away = format!(
        "{}\n[filter.away_from]\nline = \"front.geojson\"\nkm = 2\n",
        safeground_core::priority::DEFAULT_SCENARIO
    );
    let r =
        send(&app, &imo, Method::POST, "/api/rankings", Some(json!({ "scenario": away }).to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = send(
        &app,
        &imo,
        Method::POST,
        "/api/rankings/RANK-NONE/tasks",
        Some(json!({"organisation": "QHD"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    let r = send(&app, &imo, Method::POST, &uri, Some(json!({"organisation": "QHD", "top": 0}).to_string()))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = send(&app, &imo, Method::POST, &uri, Some(json!({"organisation": "NOBODY"}).to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "an organisation the body names: {}", r.json);
    // On a day from the ranking's to today: its events are not dated in the future nor before it.
    for (day, why) in [("2099-01-01", "after today"), ("2020-01-01", "before the ranking was made")] {
        let body = json!({"organisation": "QHD", "issued_on": day}).to_string();
        let r = send(&app, &imo, Method::POST, &uri, Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert!(r.json["message"].as_str().unwrap().contains(why), "{}", r.json);
    }
    let op = signed_in(&app, "operator").await;
    assert_eq!(
        send(&app, &op, Method::POST, "/api/rankings", Some("{}".into())).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(Store::open(&db).unwrap().audit(None).unwrap().is_intact());
}

#[tokio::test]
async fn the_layer_api_leaves_out_what_a_download_would() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    let organisations = |fc: &Value| -> BTreeSet<String> {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["organisation"].to_string())
            .collect()
    };
    let all = send(&app, &imo, Method::GET, "/api/layers/tasks", None).await.json;
    assert!(organisations(&all).len() > 1, "{:?}", organisations(&all));
    // An operator's account: its own organisation's tasks, as its download has them.
    let op = signed_in(&app, "operator").await;
    let own = send(&app, &op, Method::GET, "/api/layers/tasks", None).await.json;
    assert_eq!(organisations(&own), BTreeSet::from(["\"AEST\"".to_string()]));
    let aest =
        all["features"].as_array().unwrap().iter().filter(|f| f["properties"]["organisation"] == "AEST");
    assert_eq!(own["features"].as_array().unwrap().len(), aest.count());
    let download = send(&app, &op, Method::GET, "/api/exports/tasks?format=geojson&level=public", None).await;
    assert_eq!(download.json, own, "the layer is the operator's download");
    // Report ids go to those who read reports.
    let ids = |fc: &Value| {
        fc["features"].as_array().unwrap().iter().filter(|f| f["properties"]["report_id"].is_string()).count()
    };
    let released = send(&app, &imo, Method::GET, "/api/layers/released_areas", None).await.json;
    assert!(ids(&released) > 0);
    let viewer = signed_in(&app, "viewer").await;
    let blank = send(&app, &viewer, Method::GET, "/api/layers/released_areas", None).await.json;
    assert_eq!(blank["features"].as_array().unwrap().len(), released["features"].as_array().unwrap().len());
    assert_eq!(ids(&blank), 0, "a viewer reads no report id");
}

#[tokio::test]
async fn the_map_finds_hazards_and_places_and_checks_what_it_prints() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let viewer = signed_in(&app, "viewer").await;
    let hazard =
        send(&app, &viewer, Method::GET, "/api/hazards?per_page=1", None).await.json["items"][0].clone();
    let code = hazard["code"].as_str().unwrap();
    // By part of its code in any case: first, with its extent.
    let r =
        send(&app, &viewer, Method::GET, &format!("/api/places?q={}", code[3..].to_lowercase()), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let first = &r.json["places"][0];
    assert_eq!((first["kind"].as_str(), first["code"].as_str()), (Some("hazard"), Some(code)), "{}", r.json);
    let b: Vec<f64> = first["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(
        b[0] <= b[2] && b[1] <= b[3] && (44.0..52.0).contains(&b[0]) && (38.0..42.5).contains(&b[1]),
        "{b:?}"
    );
    // A district by a part of its name, whatever its letters' case (ğ, Ş).
    let districts = send(&app, &viewer, Method::GET, "/api/reference", None).await.json["districts"].clone();
    let name = districts[0]["name"].as_str().unwrap().to_string();
    let part: String = name.chars().take(4).collect::<String>().to_uppercase();
    let r = send(&app, &viewer, Method::GET, &format!("/api/places?q={}", urlencode(&part)), None).await;
    let found = r.json["places"].as_array().unwrap();
    assert!(
        found.iter().any(|p| p["kind"] == "district" && p["name"] == name.as_str()),
        "{part}: {}",
        r.json
    );
    // At most eight of a kind; nothing for what nothing holds; LIKE's own
    // characters are letters here.
    let r = send(&app, &viewer, Method::GET, "/api/places?q=ar", None).await;
    let kinds = r.json["places"].as_array().unwrap().iter().filter(|p| p["kind"] == "hazard").count();
    assert_eq!(kinds, 8, "{}", r.json);
    for q in ["%25%25", "__", "zzzzqqq"] {
        let r = send(&app, &viewer, Method::GET, &format!("/api/places?q={q}"), None).await;
        assert_eq!(r.json["places"], json!([]), "{q}: {}", r.json);
    }
    for q in ["x".repeat(101), "x".into(), "%20%20".into()] {
        let r = send(&app, &viewer, Method::GET, &format!("/api/places?q={q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.json);
    }
    // The printed sheet: its request is checked before anything is drawn;
    // a server without the document builder says so.
    refused(
        &app,
        &viewer,
        &[
            ("/api/maps/print?bbox=47,40,46,39", StatusCode::BAD_REQUEST),
            ("/api/maps/print?bbox=46,39,47,40&paper=Letter", StatusCode::BAD_REQUEST),
            ("/api/maps/print?bbox=46,39,47,40&lang=fr", StatusCode::BAD_REQUEST),
            ("/api/maps/print?paper=A3", StatusCode::BAD_REQUEST),
            ("/api/maps/print?bbox=46,39,47,40&paper=a3&orientation=portrait", StatusCode::NOT_FOUND),
        ],
    )
    .await;
}

/// Each GET is answered `status` with a message saying why.
async fn refused(app: &Router, c: &Client, cases: &[(&str, StatusCode)]) {
    for (uri, status) in cases {
        let r = send(app, c, Method::GET, uri, None).await;
        assert_eq!(r.status, *status, "{uri}: {}", r.json);
        assert!(r.json["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn records_come_a_page_at_a_time_as_their_layer_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = register(dir.path());
    let app = accounts_app(&db);
    let imo = signed_in(&app, "imo").await;
    for layer in ["eo_finds", "accidents", "eore_sessions"] {
        let whole = send(&app, &imo, Method::GET, &format!("/api/layers/{layer}"), None).await.json;
        let features = whole["features"].as_array().unwrap();
        let first = send(&app, &imo, Method::GET, &format!("/api/records/{layer}?per_page=3"), None).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json);
        assert_eq!(first.json["total"].as_u64(), Some(features.len() as u64), "{layer}");
        assert!(features.len() > 3, "{layer}: the demo holds {}", features.len());
        // The second page is the layer's fourth to sixth features, column by column.
        let second = send(&app, &imo, Method::GET, &format!("/api/records/{layer}?per_page=3&page=2"), None)
            .await
            .json;
        let columns: Vec<String> =
            second["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        for (k, item) in second["items"].as_array().unwrap().iter().enumerate() {
            let feature = &features[3 + k];
            for (i, c) in columns.iter().enumerate() {
                assert_eq!(item["values"][i], feature["properties"][c], "{layer} {c}");
            }
            if feature["geometry"]["type"] == "Point" {
                assert_eq!(item["at"], feature["geometry"]["coordinates"], "{layer}");
            }
        }
    }
    // Report ids go to those who read reports.
    let viewer = signed_in(&app, "viewer").await;
    let finds = send(&app, &viewer, Method::GET, "/api/records/eo_finds?per_page=1000", None).await.json;
    let at = finds["columns"].as_array().unwrap().iter().position(|c| c == "report_id").unwrap();
    assert!(finds["items"].as_array().unwrap().iter().all(|f| f["values"][at].is_null()));
    let finds = send(&app, &imo, Method::GET, "/api/records/eo_finds?per_page=1000", None).await.json;
    assert!(finds["items"].as_array().unwrap().iter().any(|f| f["values"][at].is_string()));
    // Hazards and tasks have their own routes; a district must be the register's.
    for (uri, status) in [
        ("/api/records/hazards", StatusCode::NOT_FOUND),
        ("/api/records/minefields", StatusCode::NOT_FOUND),
        ("/api/records/eo_finds?district=Atlantis", StatusCode::NOT_FOUND),
        ("/api/records/eo_finds?per_page=0", StatusCode::BAD_REQUEST),
    ] {
        let r = send(&app, &imo, Method::GET, uri, None).await;
        assert_eq!(r.status, status, "{uri}: {}", r.json);
    }
}

#[tokio::test]
async fn live_while_the_process_answers_ready_while_its_register_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("local.gpkg");
    let places = safeground_demo::Places::load().unwrap();
    let mut store = Store::create(&db).unwrap();
    safeground_demo::build(&places, 2020, "10".parse().unwrap(), &mut store, &mut |_, _| {}).unwrap();
    drop(store);
    let app = app(AppState::new(&db, "field laptop").unwrap());
    let anyone = Client::anonymous();
    let ready = send(&app, &anyone, Method::GET, "/api/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.json);
    assert_eq!(ready.json["schema_version"].as_i64(), Some(safeground_store::SCHEMA_VERSION));
    assert_eq!(send(&app, &anyone, Method::GET, "/api/health", None).await.json, ready.json);
    // A register from a newer safeground: not ready, live all the same.
    let newer = (safeground_store::SCHEMA_VERSION + 1).to_string();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE sg_meta SET value = ?1 WHERE key = 'schema_version'", [&newer]).unwrap();
    drop(conn);
    let not = send(&app, &anyone, Method::GET, "/api/health/ready", None).await;
    assert_eq!(not.status, StatusCode::SERVICE_UNAVAILABLE, "{}", not.json);
    assert_eq!(not.json["error"], "unavailable");
    let m = not.json["message"].as_str().unwrap();
    assert!(!m.contains(dir.path().to_str().unwrap()), "the message names the path: {m}");
    assert_eq!(
        send(&app, &anyone, Method::GET, "/api/health", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(m.contains(&format!("version {newer}")), "{m}");
    let live = send(&app, &anyone, Method::GET, "/api/health/live", None).await;
    assert_eq!((live.status, live.json["status"].as_str()), (StatusCode::OK, Some("live")));
    // Put back: ready again at once.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ours = safeground_store::SCHEMA_VERSION.to_string();
    conn.execute("UPDATE sg_meta SET value = ?1 WHERE key = 'schema_version'", [&ours]).unwrap();
    drop(conn);
    assert_eq!(send(&app, &anyone, Method::GET, "/api/health/ready", None).await.status, StatusCode::OK);
    // The register's file moved away: not ready, whatever connection was open before.
    std::fs::rename(&db, dir.path().join("moved.gpkg")).unwrap();
    let gone = send(&app, &anyone, Method::GET, "/api/health/ready", None).await;
    assert_eq!(
        (gone.status, gone.json["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    assert!(!gone.json["message"].as_str().unwrap().contains(dir.path().to_str().unwrap()), "{}", gone.json);
    assert_eq!(send(&app, &anyone, Method::GET, "/api/health/live", None).await.status, StatusCode::OK);
}
