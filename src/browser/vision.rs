//! The vision worker, from the page's side: started lazily the first time a
//! screen needs faces found, shared by every screen after that, and spoken
//! to with the messages `crates/vision-worker` documents.
//!
//! Why a worker and not a function call: inference takes tens of
//! milliseconds a frame, and the exam page must never stutter while it
//! runs. The page only scales a frame down to [`SAMPLE_WIDTH`] pixels and
//! transfers its pixels (no copy) to the worker; everything else happens
//! there. The worker's files (`vision/`) are fetched once and kept by the
//! service worker, so the checks run offline too.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::oneshot;
use js_sys::{Array, Object, Reflect, Uint8ClampedArray};
use serde::Deserialize;
use vigil_exam::FrameAnalysis;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// Frames are analysed at this width (the still kept as evidence too):
/// the detector looks at 128×128 anyway, and a face at a desk is a third of it.
pub const SAMPLE_WIDTH: u32 = 320;

/// The worker's entry script and the models it loads (copied into `dist/`
/// by `cargo xtask build`).
const WORKER_URL: &str = "/vision/worker.js";
const MODELS: [(&str, &str); 3] = [
    (
        "short",
        "/vision/models/face_detection_short_range.nnef.tgz",
    ),
    ("full", "/vision/models/face_detection_full_range.nnef.tgz"),
    ("mesh", "/vision/models/face_landmark.nnef.tgz"),
];
const EMBEDDER_URL: &str = "/vision/models/MobileFaceNet.nnef.tgz";

/// One camera frame's pixels, ready to hand over.
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub data: Uint8ClampedArray,
}

impl Pixels {
    fn message(&self, kind: &str, id: u32) -> Object {
        let m = Object::new();
        set(&m, "type", &kind.into());
        set(&m, "id", &id.into());
        self.fill(&m);
        m
    }

    fn fill(&self, m: &Object) {
        set(m, "width", &self.width.into());
        set(m, "height", &self.height.into());
        set(m, "data", &self.data);
    }

    fn object(&self) -> Object {
        let m = Object::new();
        self.fill(&m);
        m
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}

/// What the identity check found (see the worker's `identity` message).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct IdentityMatch {
    pub faces_on_id: usize,
    pub faces_on_photo: usize,
    pub similarity: Option<f64>,
}

#[derive(Deserialize)]
struct FrameAnswer {
    analysis: FrameAnalysis,
    ms: f64,
}

#[derive(Deserialize)]
struct CountAnswer {
    count: usize,
}

type Waiting = Rc<RefCell<HashMap<u32, oneshot::Sender<Result<serde_json::Value, String>>>>>;

/// A started worker with its models loaded.
pub struct Vision {
    worker: Worker,
    waiting: Waiting,
    next_id: RefCell<u32>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
    /// Time the worker took to fetch and prepare its models, in ms.
    pub load_ms: f64,
}

/// Tells a caller waiting for the first start how it went.
type Started = oneshot::Sender<Result<Rc<Vision>, String>>;

thread_local! {
    static SHARED: RefCell<Option<Rc<Vision>>> = const { RefCell::new(None) };
    /// Callers waiting while the first start is under way.
    static STARTING: RefCell<Option<Vec<Started>>> = const { RefCell::new(None) };
}

/// The shared worker, started (and its models loaded) on first use.
pub async fn shared() -> Result<Rc<Vision>, String> {
    if let Some(v) = SHARED.with(|s| s.borrow().clone()) {
        return Ok(v);
    }
    // Someone else is starting it: wait for their result.
    let wait = STARTING.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut() {
            Some(waiters) => {
                let (tx, rx) = oneshot::channel();
                waiters.push(tx);
                Some(rx)
            }
            None => {
                *s = Some(Vec::new());
                None
            }
        }
    });
    if let Some(rx) = wait {
        return rx
            .await
            .unwrap_or_else(|_| Err("vision start abandoned".into()));
    }
    let started = start().await.map(Rc::new);
    if let Ok(v) = &started {
        SHARED.with(|s| *s.borrow_mut() = Some(v.clone()));
    }
    let waiters = STARTING.with(|s| s.borrow_mut().take()).unwrap_or_default();
    for w in waiters {
        let _ = w.send(started.clone());
    }
    started
}

type Boot = Rc<RefCell<Option<oneshot::Sender<serde_json::Value>>>>;

/// Waits for the next start-up message (`loaded`, `ready` or `failed`).
fn expect_boot(boot: &Boot) -> oneshot::Receiver<serde_json::Value> {
    let (tx, rx) = oneshot::channel();
    *boot.borrow_mut() = Some(tx);
    rx
}

async fn start() -> Result<Vision, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(WORKER_URL, &options)
        .map_err(|_| "the vision worker could not be started".to_string())?;
    let started = start_on(worker.clone()).await;
    if started.is_err() {
        // A worker that failed to start is not left running (the next
        // attempt starts a fresh one).
        worker.terminate();
    }
    started
}

async fn start_on(worker: Worker) -> Result<Vision, String> {
    let waiting: Waiting = Rc::default();
    let boot: Boot = Rc::default();
    let on_message = {
        let (waiting, boot) = (waiting.clone(), boot.clone());
        Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(v) = e
                .data()
                .as_string()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            else {
                return;
            };
            let kind = v.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if matches!(kind, "loaded" | "ready" | "failed") {
                if let Some(tx) = boot.borrow_mut().take() {
                    let _ = tx.send(v);
                }
                return;
            }
            let id = v.get("id").and_then(|i| i.as_f64()).unwrap_or(-1.0) as u32;
            if let Some(tx) = waiting.borrow_mut().remove(&id) {
                let result = if kind == "error" {
                    Err(v
                        .get("error")
                        .and_then(|e| e.as_str())
                        .unwrap_or("vision error")
                        .to_string())
                } else {
                    Ok(v)
                };
                let _ = tx.send(result);
            }
        })
    };
    // A missing or broken script never says "loaded": its error event
    // ends the start instead (and any request still waiting).
    let on_error = {
        let (waiting, boot) = (waiting.clone(), boot.clone());
        Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            if let Some(tx) = boot.borrow_mut().take() {
                let _ = tx.send(
                    serde_json::json!({"type": "failed", "error": "the worker script failed"}),
                );
            }
            for (_, tx) in waiting.borrow_mut().drain() {
                let _ = tx.send(Err("the vision worker failed".into()));
            }
        })
    };
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let loaded = expect_boot(&boot);
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let stopped = || "the vision worker stopped".to_string();
    let loaded = loaded.await.map_err(|_| stopped())?;
    if loaded.get("type").and_then(|t| t.as_str()) != Some("loaded") {
        let why = loaded
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("no answer");
        return Err(format!("the vision worker did not start: {why}"));
    }
    let ready = expect_boot(&boot);
    let init = Object::new();
    set(&init, "type", &"init".into());
    for (key, url) in MODELS {
        set(&init, key, &url.into());
    }
    worker
        .post_message(&init)
        .map_err(|_| "the vision worker refused its models".to_string())?;
    let ready = ready.await.map_err(|_| stopped())?;
    if ready.get("type").and_then(|t| t.as_str()) != Some("ready") {
        let why = ready
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("unknown error");
        return Err(format!("the face models did not load: {why}"));
    }
    let load_ms = ready.get("load_ms").and_then(|m| m.as_f64()).unwrap_or(0.0);
    Ok(Vision {
        worker,
        waiting,
        next_id: RefCell::new(1),
        _on_message: on_message,
        _on_error: on_error,
        load_ms,
    })
}

impl Vision {
    async fn request(
        &self,
        message: &Object,
        transfer: &[&JsValue],
        id: u32,
    ) -> Result<serde_json::Value, String> {
        let (tx, rx) = oneshot::channel();
        self.waiting.borrow_mut().insert(id, tx);
        let list = Array::new();
        for t in transfer {
            list.push(t);
        }
        if self
            .worker
            .post_message_with_transfer(message, &list)
            .is_err()
        {
            self.waiting.borrow_mut().remove(&id);
            return Err("the vision worker refused the frame".into());
        }
        rx.await
            .map_err(|_| "the vision worker stopped".to_string())?
    }

    fn id(&self) -> u32 {
        let mut n = self.next_id.borrow_mut();
        *n = n.wrapping_add(1).max(1);
        *n
    }

    /// Faces and brightness of one frame, and the worker's time on it (ms).
    /// The pixels' buffer is transferred: `pixels` is empty afterwards.
    pub async fn analyze(&self, pixels: &Pixels) -> Result<(FrameAnalysis, f64), String> {
        let id = self.id();
        let msg = pixels.message("frame", id);
        let v = self
            .request(&msg, &[&pixels.data.buffer().into()], id)
            .await?;
        let a: FrameAnswer = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok((a.analysis, a.ms))
    }

    /// How many faces a still shows (identity photos).
    pub async fn count_faces(&self, pixels: &Pixels) -> Result<usize, String> {
        let id = self.id();
        let msg = pixels.message("faces", id);
        let v = self
            .request(&msg, &[&pixels.data.buffer().into()], id)
            .await?;
        let a: CountAnswer = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok(a.count)
    }

    /// Faces on the ID photo and on the face photo, and their similarity.
    pub async fn identity(
        &self,
        id_photo: &Pixels,
        face: &Pixels,
    ) -> Result<IdentityMatch, String> {
        let id = self.id();
        let msg = Object::new();
        set(&msg, "type", &"identity".into());
        set(&msg, "id", &id.into());
        set(&msg, "embedder", &EMBEDDER_URL.into());
        set(&msg, "id_photo", &id_photo.object());
        set(&msg, "face_photo", &face.object());
        let transfer: [JsValue; 2] = [id_photo.data.buffer().into(), face.data.buffer().into()];
        let v = self
            .request(&msg, &[&transfer[0], &transfer[1]], id)
            .await?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}
