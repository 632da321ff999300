//! The candidate API driven through `app(state)` with `oneshot`: no socket,
//! a fresh database and a fixed clock.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::common::*;
use vigil_server::demo;

#[tokio::test]
async fn health_reports_storage() {
    let f = fixture().await;
    let (status, body) = send(
        f.app(),
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["storage"], "ok");
}

#[tokio::test]
async fn the_probe_serves_uncached_incompressible_bytes_up_to_a_limit() {
    let f = fixture().await;
    let res = f
        .app()
        .oneshot(
            Request::get("/api/probe?bytes=65536")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 65536);
    // Not a run of one byte value: a compressing proxy cannot shrink it much.
    let distinct: std::collections::BTreeSet<u8> = body.iter().copied().collect();
    assert!(distinct.len() > 200, "{} distinct bytes", distinct.len());

    let res = f
        .app()
        .oneshot(Request::get("/api/probe").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 1024 * 1024);

    let (status, body) = send(
        f.app(),
        Request::get("/api/probe?bytes=1048577")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "probe_too_large");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1048576"));
    let (status, body) = send(
        f.app(),
        Request::get("/api/probe?bytes=lots")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn time_is_the_server_clock() {
    let f = fixture().await;
    f.clock.advance(1234);
    let (status, body) = send(
        f.app(),
        Request::get("/api/time").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["now_ms"], NOW + 1234);
}

#[tokio::test]
async fn login_with_a_demo_code_returns_a_token_and_the_attempt() {
    let f = fixture().await;
    let c = &f.demo.candidates[1];
    // Codes are accepted lower-case and without the dash.
    let typed = c.code.replace('-', " ").to_lowercase();
    let (status, body) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": f.demo.session, "candidate": c.id, "code": typed}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token"].as_str().unwrap().len(), 64);
    let attempt = &body["attempt"];
    assert_eq!(attempt["candidate"], c.id.as_str());
    assert_eq!(attempt["state"], "registered");
    assert_eq!(attempt["session"]["id"], f.demo.session.as_str());
    assert_eq!(attempt["session"]["starts_at_ms"], NOW);
    assert_eq!(
        attempt["session"]["closes_at_ms"],
        NOW + demo::DEMO_WINDOW_MS
    );
    assert_eq!(attempt["exam"]["id"], f.demo.exam.as_str());
    assert!(attempt["exam"]["duration_ms"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn wrong_code_unknown_candidate_and_unknown_session_look_the_same() {
    let f = fixture().await;
    let c = &f.demo.candidates[0];
    let other = &f.demo.candidates[1];
    for body in [
        json!({"session": f.demo.session, "candidate": c.id, "code": "AAAA-AAAA"}),
        json!({"session": f.demo.session, "candidate": c.id, "code": other.code}),
        json!({"session": f.demo.session, "candidate": "C999", "code": c.code}),
        json!({"session": "nope", "candidate": c.id, "code": c.code}),
    ] {
        let (status, res) = send(f.app(), post_json("/api/login", body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_error(&res, "bad_credentials");
    }
}

#[tokio::test]
async fn malformed_logins_are_refused_with_the_reason() {
    let f = fixture().await;
    let cases = [
        (Body::from("{not json"), "malformed_json"),
        (
            Body::from(json!({"session": "s"}).to_string()),
            "malformed_json",
        ),
        (
            Body::from(json!({"session": "", "candidate": "C001", "code": "x"}).to_string()),
            "missing_field",
        ),
        (
            Body::from(
                json!({"session": "s".repeat(65), "candidate": "C001", "code": "x"}).to_string(),
            ),
            "field_too_long",
        ),
        (
            Body::from(
                json!({"session": "s", "candidate": "C001", "code": "x".repeat(65)}).to_string(),
            ),
            "field_too_long",
        ),
    ];
    for (body, code) in cases {
        let req = Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap();
        let (status, res) = send(f.app(), req).await;
        assert!(status.is_client_error(), "{status} {res}");
        assert_error(&res, code);
    }
    // Without a JSON content type.
    let req = Request::post("/api/login").body(Body::from("{}")).unwrap();
    let (status, res) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&res, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_login_body_is_refused() {
    let f = fixture().await;
    let huge = json!({"session": "s", "candidate": "c", "code": "x".repeat(64 * 1024)});
    let (status, res) = send(f.app(), post_json("/api/login", huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&res, "too_large");
}

#[tokio::test]
async fn attempt_needs_a_valid_unexpired_token() {
    let f = fixture().await;
    let token = f.login(0).await;

    let (status, body) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["candidate"], f.demo.candidates[0].id.as_str());

    let (status, body) = send(
        f.app(),
        Request::get("/api/attempt").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "no_token");

    let (status, body) = send(f.app(), get_with_token("/api/attempt", &"0".repeat(64))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_token");

    // Long after the session and its sync deadline, the token is dead.
    f.clock.advance(demo::DEMO_WINDOW_MS + 48 * 3600 * 1000);
    let (status, body) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_token");
}

#[tokio::test]
async fn each_token_sees_only_its_own_attempt() {
    let f = fixture().await;
    let a = f.login(0).await;
    let b = f.login(1).await;
    let (_, body_a) = send(f.app(), get_with_token("/api/attempt", &a)).await;
    let (_, body_b) = send(f.app(), get_with_token("/api/attempt", &b)).await;
    assert_eq!(body_a["candidate"], f.demo.candidates[0].id.as_str());
    assert_eq!(body_b["candidate"], f.demo.candidates[1].id.as_str());
    assert_ne!(body_a["id"], body_b["id"]);
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let f = fixture().await;
    let (status, body) = send(
        f.app(),
        Request::get("/api/nothing-here")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}

#[tokio::test]
async fn the_web_app_is_served_with_an_index_fallback() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>vigil</html>").unwrap();
    let mut f = fixture().await;
    f.state.static_dir = Some(dir.path().to_owned());
    for path in ["/", "/exam/3"] {
        let res = f
            .app()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"<html>vigil</html>");
    }
}

#[tokio::test]
async fn demo_sessions_are_fresh_and_refuse_bad_input() {
    let f = fixture().await;
    let again = demo::create_demo(
        &f.state.db,
        &f.state.hashing,
        DEMO_EXAM,
        NOW,
        60_000,
        8,
        "u".into(),
    )
    .await
    .unwrap();
    assert_ne!(again.session, f.demo.session);
    assert_eq!(again.candidates.len(), 8);
    assert_eq!(again.starts_at_ms, NOW + 60_000);
    let codes: std::collections::HashSet<_> = again.candidates.iter().map(|c| &c.code).collect();
    assert_eq!(codes.len(), 8);

    let err = demo::create_demo(
        &f.state.db,
        &f.state.hashing,
        "not = [valid",
        NOW,
        0,
        1,
        "u".into(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("invalid exam"), "{err}");
    let err = demo::create_demo(
        &f.state.db,
        &f.state.hashing,
        DEMO_EXAM,
        NOW,
        0,
        0,
        "u".into(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("candidate count"), "{err}");
}

#[tokio::test]
async fn logins_and_candidate_calls_are_rate_limited_with_retry_after() {
    let f = fixture().await;
    let c = f.demo.candidates[1].clone();
    let wrong = json!({"session": f.demo.session, "candidate": c.id, "code": "WRONG-CODE"});
    for _ in 0..10 {
        let (status, _) = send(f.app(), post_json("/api/login", wrong.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The 11th try, even with the right code, waits.
    let right = json!({"session": f.demo.session, "candidate": c.id, "code": c.code});
    let res = f
        .app()
        .oneshot(post_json("/api/login", right.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()[header::RETRY_AFTER], "6");
    let body: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another candidate is not slowed.
    f.login(0).await;
    // Six seconds later, one more try.
    f.clock.advance(6_000);
    let (status, _) = send(f.app(), post_json("/api/login", right)).await;
    assert_eq!(status, StatusCode::OK);

    // A token's calls: a burst of 120, then 429.
    let token = f.login(2).await;
    for _ in 0..120 {
        let (status, _) = send(f.app(), get_with_token("/api/attempt", &token)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limited");
    f.clock.advance(1_000);
    let (status, _) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::OK);
}
