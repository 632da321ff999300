//! The HTTP client of the candidate API (same origin as the app).
//!
//! Failures are sorted into what the candidate can act on: the server could
//! not be reached (check your connection), the server refused with a code
//! (wrong credentials…), or the server answered something unreadable.

use std::cell::RefCell;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use vigil_api::{
    ErrorBody, EventsRequest, EventsResponse, LoginRequest, LoginResponse, MediaResponse,
    PackageResponse, StartRequest, StartResponse, TimeResponse,
};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// No HTTP answer at all: offline, server down, DNS, TLS.
    Unreachable,
    /// An HTTP error with the API's error body.
    Refused { status: u16, code: String },
    /// An answer that is not what the API promises (a proxy page, say).
    Malformed { status: u16 },
}

impl ApiFailure {
    /// A short reference a candidate can read to support.
    pub fn reference(&self) -> String {
        match self {
            ApiFailure::Unreachable => "unreachable".into(),
            ApiFailure::Refused { status, code } => format!("{status}/{code}"),
            ApiFailure::Malformed { status } => format!("{status}/malformed"),
        }
    }
}

thread_local! {
    /// The kiosk launcher's config key, sent on every call when present.
    static CONFIG_KEY: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the config key the kiosk launcher passed (see [`crate::browser::dom::config_key_from_fragment`]).
pub fn set_config_key(key: Option<String>) {
    CONFIG_KEY.with(|k| *k.borrow_mut() = key);
}

/// Adds the headers every call carries.
fn with_headers(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    let builder = match CONFIG_KEY.with(|k| k.borrow().clone()) {
        Some(key) => builder.header(vigil_api::CONFIG_KEY_HEADER, &key),
        None => builder,
    };
    match token {
        Some(t) => builder.header("Authorization", &format!("Bearer {t}")),
        None => builder,
    }
}

/// `POST /api/login`.
pub async fn login(req: &LoginRequest) -> Result<LoginResponse, ApiFailure> {
    let request = with_headers(Request::post("/api/login"), None)
        .json(req)
        .map_err(|_| ApiFailure::Malformed { status: 0 })?;
    read(request.send().await.map_err(|_| ApiFailure::Unreachable)?).await
}

/// `GET /api/attempt/package`: the encrypted exam of the caller's session.
pub async fn package(token: &str) -> Result<PackageResponse, ApiFailure> {
    let request =
        Request::get("/api/attempt/package").header("Authorization", &format!("Bearer {token}"));
    read(request.send().await.map_err(|_| ApiFailure::Unreachable)?).await
}

/// `POST /api/attempt/start`: records the start and releases the key.
pub async fn start(token: &str) -> Result<StartResponse, ApiFailure> {
    let request = with_headers(Request::post("/api/attempt/start"), Some(token))
        .json(&StartRequest {})
        .map_err(|_| ApiFailure::Malformed { status: 0 })?;
    read(request.send().await.map_err(|_| ApiFailure::Unreachable)?).await
}

/// `POST /api/attempt/events`: a batch of events; answers the acked seq.
pub async fn post_events(token: &str, batch: &EventsRequest) -> Result<EventsResponse, ApiFailure> {
    let request = with_headers(Request::post("/api/attempt/events"), Some(token))
        .json(batch)
        .map_err(|_| ApiFailure::Malformed { status: 0 })?;
    read(request.send().await.map_err(|_| ApiFailure::Unreachable)?).await
}

/// `PUT /api/attempt/media/{sha256}`: a whole media blob.
pub async fn put_media(
    token: &str,
    sha256: &str,
    bytes: &[u8],
) -> Result<MediaResponse, ApiFailure> {
    let body = js_sys::Uint8Array::from(bytes);
    let request = with_headers(
        Request::put(&format!("/api/attempt/media/{sha256}")),
        Some(token),
    )
    .header("Content-Type", "application/octet-stream")
    .body(body)
    .map_err(|_| ApiFailure::Malformed { status: 0 })?;
    read(request.send().await.map_err(|_| ApiFailure::Unreachable)?).await
}

/// `GET /api/time`: the server clock.
pub async fn time() -> Result<TimeResponse, ApiFailure> {
    read(
        Request::get("/api/time")
            .send()
            .await
            .map_err(|_| ApiFailure::Unreachable)?,
    )
    .await
}

async fn read<T: DeserializeOwned>(res: Response) -> Result<T, ApiFailure> {
    let status = res.status();
    if res.ok() {
        return res
            .json::<T>()
            .await
            .map_err(|_| ApiFailure::Malformed { status });
    }
    match res.json::<ErrorBody>().await {
        Ok(body) => Err(ApiFailure::Refused {
            status,
            code: body.error.code,
        }),
        // A gateway's 502/503/504 page: the exam server itself is not answering.
        Err(_) if matches!(status, 502..=504) => Err(ApiFailure::Unreachable),
        Err(_) => Err(ApiFailure::Malformed { status }),
    }
}
