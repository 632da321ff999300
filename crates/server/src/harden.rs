//! What every response carries whatever its route: the security headers,
//! and a 500 instead of a dropped connection when a handler panics.
//!
//! Three policies, by path:
//! - the candidate app (every path but `/api` and `/review`): a Content
//!   Security Policy the app actually runs under. Scripts only from the
//!   origin, plus the inline bootstrap the build writes into `index.html`
//!   (allowed by its SHA-256, read from the served file at start-up) and
//!   `'wasm-unsafe-eval'` to compile the wasm; no `eval`. Styles from the
//!   origin; style *attributes* (`style-src-attr`) are allowed, because
//!   Yew writes a progress bar's width as one; no `<style>` elements.
//!   Images and media also from `blob:`/`data:` (the identity photos and
//!   the room scan are previewed from memory). Connections to the origin
//!   and to the kiosk launcher's loopback link (`http://127.0.0.1:*`).
//! - the proctors' pages (`/review`): no script at all; styles from the
//!   origin only (the stylesheets under `/review/static/`, see
//!   [`crate::review`]: no inline style); images and video from the origin (and
//!   `connect-src 'self'`, harmless with no script, so a reviewer's tool
//!   driving the browser can fetch the CSV).
//! - the API (`/api`): nothing may load from a JSON answer.
//!
//! All three: `frame-ancestors 'none'` (and `X-Frame-Options: DENY` for
//! older browsers), `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer`; and `Strict-Transport-Security` when the
//! request came over TLS, as a TLS-terminating proxy says with
//! `X-Forwarded-Proto: https` (a browser ignores HSTS on plain HTTP, so a
//! forged header gains nothing).
//!
//! The panic guard is tower-http's `CatchPanicLayer`: a panic in any
//! handler is logged with its message and answered with the API's usual
//! error body (`{"error": {"code": "internal", …}}`), status 500.

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Response, StatusCode};
use axum::middleware::Next;
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower_http::catch_panic::CatchPanicLayer;

/// `Strict-Transport-Security` for responses that went out over TLS.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The API's policy: a JSON answer loads nothing.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The proctors' pages' policy: no script; styles, images and video from
/// the origin.
pub const REVIEW_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                              media-src 'self'; connect-src 'self'; form-action 'self'; \
                              base-uri 'none'; frame-ancestors 'none'";

/// The three Content Security Policies, built once.
#[derive(Debug, Clone)]
pub struct Policies {
    app: HeaderValue,
    review: HeaderValue,
    api: HeaderValue,
}

impl Policies {
    /// The policies for an app served from `static_dir` (its `index.html`
    /// read for the inline scripts).
    pub fn new(static_dir: Option<&Path>) -> Policies {
        let index = static_dir
            .and_then(|d| std::fs::read_to_string(d.join("index.html")).ok())
            .unwrap_or_default();
        let inline: String = inline_scripts(&index)
            .iter()
            .map(|s| format!(" 'sha256-{}'", sha256_b64(s)))
            .collect();
        let app = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{inline}; \
             style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' blob: data:; \
             media-src 'self' blob:; connect-src 'self' http://127.0.0.1:*; worker-src 'self'; \
             manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        );
        Policies {
            app: value(&app),
            review: value(REVIEW_CSP),
            api: value(API_CSP),
        }
    }

    fn for_path(&self, path: &str) -> &HeaderValue {
        let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
        if under("/api") {
            &self.api
        } else if under("/review") {
            &self.review
        } else {
            &self.app
        }
    }
}

fn value(s: &str) -> HeaderValue {
    // Built from ASCII above: always a valid header value.
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

/// The contents of the inline `<script>` elements of a page (those with no
/// `src`), exactly as a browser hashes them.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            out.push(&body[..close]);
        }
        rest = &body[close..];
    }
    out
}

/// Wraps a router with the panic guard and the security headers.
pub fn harden(router: Router, policies: Policies) -> Router {
    let policies = Arc::new(policies);
    router
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let policies = policies.clone();
                async move { with_headers(&policies, req, next).await }
            },
        ))
        .layer(CatchPanicLayer::custom(panic_response))
}

async fn with_headers(policies: &Policies, req: Request, next: Next) -> Response<Body> {
    let csp = policies.for_path(req.uri().path()).clone();
    let tls = req
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    res
}

/// A panic's answer: the API's error body, logged with the panic message.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %message, "a request handler panicked");
    let body = r#"{"error":{"code":"internal","message":"internal server error"}}"#;
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res.headers_mut().insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_sourced_ones_skipped() {
        let html = r#"<head><script type="module">import x from '/a.js';</script>
            <script src="/b.js"></script><script>one()</script></head>"#;
        assert_eq!(inline_scripts(html), ["import x from '/a.js';", "one()"]);
        assert!(inline_scripts("<p>no script</p>").is_empty());
        assert!(inline_scripts("<script>unclosed").is_empty());
    }

    #[test]
    fn each_path_has_its_policy() {
        let p = Policies::new(None);
        assert_eq!(p.for_path("/api/time"), API_CSP);
        assert_eq!(p.for_path("/api"), API_CSP);
        let review = p.for_path("/review/login").to_str().unwrap();
        assert!(review.contains("default-src 'none'") && !review.contains("script-src"));
        assert!(review.contains("style-src 'self';") && !review.contains("'sha256-"));
        assert_eq!(p.for_path("/review"), p.for_path("/review/x"));
        let app = p.for_path("/").to_str().unwrap();
        assert!(app.contains("'wasm-unsafe-eval'") && !app.contains("'unsafe-eval'"));
        assert!(!app.contains("script-src 'self' 'unsafe-inline'"));
        assert_eq!(p.for_path("/reviewer"), p.for_path("/"));
    }
}
