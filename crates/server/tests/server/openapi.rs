//! The OpenAPI document against the service: every documented route and
//! method exists in the router (not the "no such API route" 404), every
//! API route of the router is documented, every error code the app reacts
//! to is listed, and the documented required fields are the fields the
//! shared types (vigil-api) really serialize.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::common::*;

fn doc() -> Value {
    serde_json::from_str(vigil_server::api::OPENAPI).expect("openapi.json is JSON")
}

#[tokio::test]
async fn every_documented_route_exists_and_is_served() {
    let f = fixture().await;
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    let paths = d["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let uri = path.replace("{sha256}", &"a".repeat(64));
            let req = Request::builder()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let res = f.app().oneshot(req).await.unwrap();
            let status = res.status();
            let body = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            let text = String::from_utf8_lossy(&body);
            assert!(
                !(status == StatusCode::NOT_FOUND && text.contains("no such API route"))
                    && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
    // Served as it is.
    let (status, served) = send(
        f.app(),
        Request::get("/api/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, d);
}

#[test]
fn every_route_of_the_router_is_documented() {
    // The router's API paths, read from its source (the one place they are
    // declared), so a new route without documentation fails here.
    let src = include_str!("../../src/api/mod.rs");
    let api = &src[src.find("let api = Router::new()").expect("the API router")..];
    let api = &api[..api.find(".fallback(").expect("the API fallback")];
    // The first string literal after each `.route(`.
    let routed: BTreeSet<String> = api
        .match_indices(".route(")
        .filter_map(|(at, _)| {
            let rest = &api[at..];
            let open = rest.find('"')? + 1;
            let close = open + rest[open..].find('"')?;
            Some(format!("/api{}", &rest[open..close]))
        })
        .collect();
    assert!(routed.len() >= 10, "{routed:?}");
    let documented: BTreeSet<String> = doc()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(routed, documented);
}

#[test]
fn error_codes_and_required_fields_match_the_shared_types() {
    let d = doc();
    let text = d.to_string();
    use vigil_api::codes::*;
    for code in [
        BAD_CREDENTIALS,
        SESSION_OVER,
        BAD_TOKEN,
        NO_TOKEN,
        TOO_EARLY,
        TOO_LATE,
        ALREADY_STARTED,
        CHAIN_BROKEN,
        CHAIN_CONFLICT,
        KIOSK_REQUIRED,
    ] {
        assert!(
            text.contains(&format!("\"{code}\"")),
            "{code} not documented"
        );
    }
    let required = |schema: &str| -> BTreeSet<String> {
        d["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let keys = |v: Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let login = vigil_api::LoginRequest {
        session: "s".into(),
        candidate: "c".into(),
        code: "x".into(),
    };
    assert_eq!(
        required("LoginRequest"),
        keys(serde_json::to_value(login).unwrap())
    );
    let events = vigil_api::EventsRequest {
        from_seq: 1,
        events: vec![],
    };
    assert_eq!(
        required("EventsRequest"),
        keys(serde_json::to_value(events).unwrap())
    );
    let media = vigil_api::MediaResponse {
        sha256: "a".into(),
        received: 1,
        complete: true,
    };
    assert_eq!(
        required("MediaResponse"),
        keys(serde_json::to_value(media).unwrap())
    );
    let time = vigil_api::TimeResponse { now_ms: 1 };
    assert_eq!(
        required("TimeResponse"),
        keys(serde_json::to_value(time).unwrap())
    );
    assert_eq!(
        required("EventsResponse"),
        keys(serde_json::to_value(vigil_api::EventsResponse { acked_seq: 1 }).unwrap())
    );
}
