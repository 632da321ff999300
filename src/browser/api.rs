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
    PackageResponse, QuestionsResponse, StartRequest, StartResponse, TimeResponse,
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

/// Sends a request with the headers every call carries (the kiosk config
/// key, the bearer token when given), and reads the answer. Every call goes
/// through here, so none can forget a header.
async fn send<T: DeserializeOwned>(
    builder: RequestBuilder,
    token: Option<&str>,
    body: impl FnOnce(RequestBuilder) -> Result<Request, gloo_net::Error>,
) -> Result<T, ApiFailure> {
    read(exchange(builder, token, body).await?).await
}

/// Sends a request with the config key and the token; the raw answer.
async fn exchange(
    builder: RequestBuilder,
    token: Option<&str>,
    body: impl FnOnce(RequestBuilder) -> Result<Request, gloo_net::Error>,
) -> Result<Response, ApiFailure> {
    let builder = match CONFIG_KEY.with(|k| k.borrow().clone()) {
        Some(key) => builder.header(vigil_api::CONFIG_KEY_HEADER, &key),
        None => builder,
    };
    let builder = match token {
        Some(t) => builder.header("Authorization", &format!("Bearer {t}")),
        None => builder,
    };
    let request = body(builder).map_err(|_| ApiFailure::Malformed { status: 0 })?;
    request.send().await.map_err(|_| ApiFailure::Unreachable)
}

/// `POST /api/logout`: the server revokes the token (204).
pub async fn logout(token: &str) -> Result<(), ApiFailure> {
    let res = exchange(
        Request::post("/api/logout"),
        Some(token),
        RequestBuilder::build,
    )
    .await?;
    if res.ok() {
        return Ok(());
    }
    read::<serde_json::Value>(res).await.map(|_| ())
}

/// `POST /api/login`.
pub async fn login(req: &LoginRequest) -> Result<LoginResponse, ApiFailure> {
    send(Request::post("/api/login"), None, |b| b.json(req)).await
}

/// `GET /api/attempt/package`: the encrypted exam of the caller's session.
pub async fn package(token: &str) -> Result<PackageResponse, ApiFailure> {
    send(
        Request::get("/api/attempt/package"),
        Some(token),
        RequestBuilder::build,
    )
    .await
}

/// `POST /api/attempt/start`: records the start and releases the key.
pub async fn start(token: &str) -> Result<StartResponse, ApiFailure> {
    send(Request::post("/api/attempt/start"), Some(token), |b| {
        b.json(&StartRequest {})
    })
    .await
}

/// `POST /api/attempt/questions`: the identification is done and the
/// questions opened; the server records the moment once.
pub async fn questions(token: &str) -> Result<QuestionsResponse, ApiFailure> {
    send(Request::post("/api/attempt/questions"), Some(token), |b| {
        b.json(&StartRequest {})
    })
    .await
}

/// `POST /api/attempt/events`: a batch of events; answers the acked seq.
pub async fn post_events(token: &str, batch: &EventsRequest) -> Result<EventsResponse, ApiFailure> {
    send(Request::post("/api/attempt/events"), Some(token), |b| {
        b.json(batch)
    })
    .await
}

/// `PUT /api/attempt/media/{sha256}`: a whole media blob.
pub async fn put_media(
    token: &str,
    sha256: &str,
    bytes: &[u8],
) -> Result<MediaResponse, ApiFailure> {
    let body = js_sys::Uint8Array::from(bytes);
    let url = format!("/api/attempt/media/{sha256}");
    send(Request::put(&url), Some(token), |b| {
        b.header("Content-Type", "application/octet-stream")
            .body(body)
    })
    .await
}

/// `GET /api/time`: the server clock.
pub async fn time() -> Result<TimeResponse, ApiFailure> {
    send(Request::get("/api/time"), None, RequestBuilder::build).await
}

/// `GET /api/probe?bytes=N`: downloads N bytes (for the network check);
/// answers how many arrived.
pub async fn probe(bytes: usize) -> Result<usize, ApiFailure> {
    let builder = Request::get(&format!("/api/probe?bytes={bytes}"));
    let builder = match CONFIG_KEY.with(|k| k.borrow().clone()) {
        Some(key) => builder.header(vigil_api::CONFIG_KEY_HEADER, &key),
        None => builder,
    };
    let res = builder.send().await.map_err(|_| ApiFailure::Unreachable)?;
    let status = res.status();
    if !res.ok() {
        return Err(ApiFailure::Malformed { status });
    }
    let body = res.binary().await.map_err(|_| ApiFailure::Unreachable)?;
    Ok(body.len())
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
