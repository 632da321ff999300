//! Proctor review: accounts, cookie login, the session / attempt pages and
//! the results CSV, and every refusal (no cookie, a bad or expired one,
//! another session's proctor).

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use vigil_server::review::{self, LOGIN_TTL_MS};
use vigil_server::{demo, results};

use crate::common::*;

/// Sends a request; returns status, headers and the body as text.
async fn fetch(f: &Fixture, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = f.app().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("other=1; vigil_review={c}"));
    }
    req.body(Body::empty()).unwrap()
}

fn login_request(name: &str, password: &str) -> Request<Body> {
    Request::post("/review/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("name={name}&password={password}")))
        .unwrap()
}

/// Candidate 0 starts online and syncs a whole log (right answer).
async fn sync_one(f: &Fixture) -> String {
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(f.app(), events_request(&token, 1, &full_log(f, 0, NOW, 1))).await;
    assert_eq!(status, StatusCode::OK);
    attempt
}

#[tokio::test]
async fn proctor_add_creates_once_then_assigns() {
    let f = fixture().await;
    let db = &f.state.db;
    let h = &f.state.hashing;
    let s1 = &f.demo.session;
    let s2 = demo::create_session(db, "demo-short", NOW, 0, NOW)
        .await
        .unwrap()
        .session
        .id;
    let password = review::add_proctor(db, h, s1, "marie", NOW).await.unwrap();
    assert!(password.is_some());
    assert_eq!(
        review::add_proctor(db, h, &s2, "marie", NOW).await.unwrap(),
        None
    );
    let mut want = vec![s1.clone(), s2];
    want.sort();
    assert_eq!(db.proctor_sessions("marie").await.unwrap(), want);
    let err = review::add_proctor(db, h, "nope", "paul", NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no session"), "{err}");
    assert!(review::add_proctor(db, h, s1, "", NOW).await.is_err());
    assert!(review::add_proctor(db, h, s1, "a\nb", NOW).await.is_err());
}

#[tokio::test]
async fn login_sets_a_secure_cookie_and_refuses_bad_credentials() {
    let f = fixture().await;
    let password =
        review::add_proctor(&f.state.db, &f.state.hashing, &f.demo.session, "marie", NOW)
            .await
            .unwrap()
            .unwrap();
    let (status, _, body) = fetch(&f, get("/review/login", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<form method=\"post\" action=\"/review/login\""),
        "{body}"
    );

    for (name, pw) in [
        ("marie", "AAAA-BBBB-CCCC-DDDD"),
        ("nobody", password.as_str()),
    ] {
        let (status, headers, body) = fetch(&f, login_request(name, pw)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("wrong name or password"), "{body}");
        assert!(headers.get(header::SET_COOKIE).is_none());
    }
    let long = "x".repeat(500);
    let (status, _, _) = fetch(&f, login_request("marie", &long)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Passwords are checked like codes: case and dashes do not matter.
    let typed = password.to_lowercase().replace('-', "");
    let (status, headers, _) = fetch(&f, login_request("marie", &typed)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/review");
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/review",
        "Max-Age=43200",
    ] {
        assert!(set.contains(attr), "{set}");
    }
}

#[tokio::test]
async fn pages_need_a_valid_unexpired_login() {
    let f = fixture().await;
    let attempt = sync_one(&f).await;
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let s = &f.demo.session;
    let pages = [
        "/review".to_owned(),
        format!("/review/sessions/{s}"),
        format!("/review/sessions/{s}/results.csv"),
        format!("/review/attempts/{attempt}"),
    ];
    for uri in &pages {
        for bad in [None, Some("not-a-login")] {
            let (status, _, body) = fetch(&f, get(uri, bad)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
            assert!(body.contains("/review/login"), "{body}");
        }
        let (status, _, _) = fetch(&f, get(uri, Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    f.clock.advance(LOGIN_TTL_MS);
    for uri in &pages {
        let (status, _, body) = fetch(&f, get(uri, Some(&cookie))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(body.contains("expired"), "{body}");
    }
}

#[tokio::test]
async fn a_proctor_sees_the_session_its_attempts_and_results() {
    let f = fixture().await;
    let attempt = sync_one(&f).await;
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let s = &f.demo.session;

    let (_, _, body) = fetch(&f, get("/review", Some(&cookie))).await;
    assert!(
        body.contains(&format!("href=\"/review/sessions/{s}\"")),
        "{body}"
    );

    let (status, headers, body) =
        fetch(&f, get(&format!("/review/sessions/{s}"), Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    for c in &f.demo.candidates {
        assert!(body.contains(&c.id), "{body}");
    }
    assert!(
        body.contains(&format!("href=\"/review/attempts/{attempt}\"")),
        "{body}"
    );
    // The photos the log names were never sent: submitted, not synced.
    assert!(
        body.contains(r#"<td data-progress="submitted">submitted</td>"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<td data-progress="not started">not started</td>"#),
        "{body}"
    );

    let (status, headers, csv) = fetch(
        &f,
        get(&format!("/review/sessions/{s}/results.csv"), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let want = results::session_results(&f.state.db, s, NOW)
        .await
        .unwrap()
        .to_csv();
    assert_eq!(csv, want);
    assert!(csv.lines().nth(1).unwrap().contains(",submitted,"), "{csv}");

    let (status, _, body) = fetch(
        &f,
        get(&format!("/review/attempts/{attempt}"), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = full_log(&f, 0, NOW, 1);
    let n = log.len();
    assert!(
        body.contains(&format!("Hash chain verified: {n} events")),
        "{body}"
    );
    for e in &log {
        assert!(
            body.contains(&format!("<td>{}</td>", e.kind.name())),
            "{body}"
        );
    }
    assert!(body.contains("Flags"), "{body}");
}

#[tokio::test]
async fn a_flagged_attempt_shows_its_flags() {
    let f = fixture().await;
    let token = f.login(1).await;
    let attempt = f.attempt_id(&token).await;
    // No online start: the synced start is an offline one, flagged.
    let (status, _) = send(f.app(), events_request(&token, 1, &full_log(&f, 1, NOW, 0))).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let (_, _, body) = fetch(
        &f,
        get(&format!("/review/attempts/{attempt}"), Some(&cookie)),
    )
    .await;
    assert!(body.contains("offline_start"), "{body}");
    let s = &f.demo.session;
    let (_, _, body) = fetch(&f, get(&format!("/review/sessions/{s}"), Some(&cookie))).await;
    assert!(body.contains("offline_start"), "{body}");
}

#[tokio::test]
async fn another_sessions_proctor_is_refused() {
    let f = fixture().await;
    let attempt = sync_one(&f).await;
    let other = demo::create_session(&f.state.db, "demo-short", NOW, 0, NOW)
        .await
        .unwrap()
        .session
        .id;
    let cookie = proctor_login(&f, &other, "paul").await;
    let s = &f.demo.session;
    for uri in [
        format!("/review/sessions/{s}"),
        format!("/review/sessions/{s}/results.csv"),
        format!("/review/attempts/{attempt}"),
        "/review/attempts/att-unknown".to_owned(),
        "/review/sessions/unknown".to_owned(),
    ] {
        let (status, _, body) = fetch(&f, get(&uri, Some(&cookie))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        assert!(!body.contains(&f.demo.candidates[0].id), "{body}");
    }
    // Their own session is fine, and the index lists only it.
    let (status, _, _) = fetch(&f, get(&format!("/review/sessions/{other}"), Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, body) = fetch(&f, get("/review", Some(&cookie))).await;
    assert!(
        body.contains(&other) && !body.contains(s.as_str()),
        "{body}"
    );
}

#[tokio::test]
async fn the_stylesheets_are_static_css_files_the_pages_link() {
    let f = fixture().await;
    assert_eq!(review::STYLESHEET_URL, "/review/static/review.css");
    assert_eq!(review::REPORT_STYLESHEET_URL, "/review/static/report.css");
    for (url, css) in [
        (review::STYLESHEET_URL, review::CSS),
        (review::REPORT_STYLESHEET_URL, review::REPORT_CSS),
    ] {
        // No login needed: the login page is styled too.
        let (status, headers, body) = fetch(&f, get(url, None)).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(body, css);
    }
    // The pages link it and carry no inline style, which the policy would
    // refuse: styles come from the origin only.
    for uri in ["/review/login", "/review"] {
        let (_, headers, body) = fetch(&f, get(uri, None)).await;
        assert!(
            body.contains(r#"<link rel="stylesheet" href="/review/static/review.css">"#),
            "{body}"
        );
        assert!(!body.contains("<style"), "{body}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("style-src 'self';"), "{csp}");
    }
}
