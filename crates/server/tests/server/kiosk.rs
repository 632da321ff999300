//! Sessions that require the vigil-kiosk launcher: the candidate API
//! refuses requests without the session's config key (`X-Vigil-Config-Key`)
//! with 403 `kiosk_required`, on login and on every token route; other
//! sessions are untouched.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

const KEY: &str = "3f1c0a9e8b7d6c5b4a392817161514131211100f0e0d0c0b0a09080706050403";

fn login_request(f: &Fixture, n: usize, key: Option<&str>) -> Request<Body> {
    let c = &f.demo.candidates[n];
    let mut req = Request::post("/api/login").header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        req = req.header("X-Vigil-Config-Key", key);
    }
    req.body(Body::from(
        json!({"session": f.demo.session, "candidate": c.id, "code": c.code}).to_string(),
    ))
    .unwrap()
}

#[tokio::test]
async fn sessions_without_a_requirement_accept_any_browser() {
    let f = fixture().await;
    let (status, _) = send(f.app(), login_request(&f, 0, None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(f.app(), login_request(&f, 1, Some("whatever"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn login_requires_the_sessions_key() {
    let f = fixture().await;
    vigil_server::kiosk::require(&f.state.db, &f.demo.session, Some(KEY))
        .await
        .unwrap();

    let (status, body) = send(f.app(), login_request(&f, 0, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "kiosk_required");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no configuration key"));

    let other = "0".repeat(64);
    let (status, body) = send(f.app(), login_request(&f, 0, Some(&other))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "kiosk_required");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("different"));

    let (status, body) = send(f.app(), login_request(&f, 0, Some(KEY))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Case and surrounding spaces do not matter.
    let upper = format!(" {} ", KEY.to_uppercase());
    let (status, body) = send(f.app(), login_request(&f, 1, Some(&upper))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_wrong_code_is_bad_credentials_whatever_the_key() {
    let f = fixture().await;
    vigil_server::kiosk::require(&f.state.db, &f.demo.session, Some(KEY))
        .await
        .unwrap();
    let c = &f.demo.candidates[0];
    let req = post_json(
        "/api/login",
        json!({"session": f.demo.session, "candidate": c.id, "code": "WRONG-CODE"}),
    );
    let (status, body) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_credentials");
}

#[tokio::test]
async fn token_routes_require_the_key_too() {
    let f = fixture().await;
    // A token obtained before the requirement was set stops working without the key.
    let token = f.login(0).await;
    vigil_server::kiosk::require(&f.state.db, &f.demo.session, Some(KEY))
        .await
        .unwrap();

    for uri in ["/api/attempt", "/api/attempt/package"] {
        let (status, body) = send(f.app(), get_with_token(uri, &token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        assert_error(&body, "kiosk_required");
    }
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/events", &token, json!({"events": []})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "kiosk_required");

    let req = Request::get("/api/attempt")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("X-Vigil-Config-Key", KEY)
        .body(Body::empty())
        .unwrap();
    let (status, body) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A bad token is still a 401, not a kiosk refusal.
    let (status, body) = send(f.app(), get_with_token("/api/attempt", "nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_token");
}

#[tokio::test]
async fn the_requirement_can_be_cleared_and_is_validated() {
    let f = fixture().await;
    let db = &f.state.db;
    vigil_server::kiosk::require(db, &f.demo.session, Some(KEY))
        .await
        .unwrap();
    vigil_server::kiosk::require(db, &f.demo.session, None)
        .await
        .unwrap();
    let (status, _) = send(f.app(), login_request(&f, 0, None)).await;
    assert_eq!(status, StatusCode::OK);

    let e = vigil_server::kiosk::require(db, &f.demo.session, Some("abc"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("64 hexadecimal digits"), "{e}");
    let e = vigil_server::kiosk::require(db, "no-such-session", Some(KEY))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no-such-session"), "{e}");
}
