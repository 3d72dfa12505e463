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
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
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
    let own = rows.iter().find(|r| r.organisation == "AEST").unwrap().id.clone();
    let other =
        rows.iter().find(|r| r.organisation != "AEST" && r.report_type != "ACCIDENT").unwrap().id.clone();
    let accident = rows.iter().find(|r| r.report_type == "ACCIDENT").unwrap().id.clone();
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
    let all = ROLES;
    let deciders: &[&str] = &["admin", "imo"];
    let readers: &[&str] = &["admin", "imo", "operator", "qm"];
    // (method, route as in the policy, a concrete request, a body, the roles allowed; `None` = public).
    let table: Vec<Row> = vec![
        (Method::GET, "/api/health", "/api/health".into(), None, None),
        (Method::GET, "/api/openapi.json", "/api/openapi.json".into(), None, None),
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
        (Method::GET, "/api/summary", "/api/summary".into(), None, Some(all)),
        (Method::GET, "/api/hazards", "/api/hazards".into(), None, Some(all)),
        (Method::GET, "/api/hazards/{id}", format!("/api/hazards/{hazard}"), None, Some(all)),
        (Method::GET, "/api/hazards/{id}/history", format!("/api/hazards/{hazard}/history"), None, Some(all)),
        (Method::GET, "/api/trace", "/api/trace?position=46.905%2039.965".into(), None, Some(all)),
        (Method::GET, "/api/layers/{layer}", "/api/layers/accidents".into(), None, Some(all)),
        (Method::GET, "/tiles/{layer}/{z}/{x}/{y}", "/tiles/hazards/8/161/96.mvt".into(), None, Some(all)),
        (Method::GET, "/api/stats/released-by-month", "/api/stats/released-by-month".into(), None, Some(all)),
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
    // A QM officer submits inspections only.
    let qm = signed_in(&app, "qm").await;
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
    assert_eq!(r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(r.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
}

#[tokio::test]
async fn repeated_wrong_passwords_are_held_off_even_before_the_right_one() {
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
    let r = login(&app, "imo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    assert_eq!(r.json["error"], "too_many_attempts");
    let wait: u64 = r.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!(wait > 60 && wait <= 15 * 60, "{wait}");
    // Other accounts are not held off by one account's failures.
    signed_in(&app, "qm").await;
    // An unknown name fails as a wrong password does, with the same answer.
    let r = login(&app, "no-such-person", PASSWORD).await;
    assert_eq!((r.status, r.json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_login")));
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
        if let Some(Value::Array(p)) = store.report_personal(&r.id).unwrap() {
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
    let reports: Vec<String> = store.reports(None).unwrap().into_iter().map(|r| r.id).collect();
    let hazards: Vec<String> =
        store.hazards(&Default::default()).unwrap().into_iter().map(|h| h.code).collect();
    drop(store);
    let mut uris: Vec<String> = vec![
        "/api/summary".into(),
        "/api/hazards?per_page=1000".into(),
        "/api/reports?per_page=1000".into(),
        "/api/stats/released-by-month".into(),
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
