//! The vision worker, from the page's side: started lazily the first time a
//! screen needs faces found, shared by every screen after that, and spoken
//! to with the messages of `vigil_contracts::vision` (the worker's crate
//! uses the same types): a [`Request`] posted as an object with its pixel
//! arrays transferred, a [`Reply`] received as JSON text. A frame's
//! analysis comes as the message's `FrameAnalysis` and goes to the rules as
//! the engine's (the same fields).
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
use js_sys::{Array, Reflect, Uint8ClampedArray};
use vigil_contracts::vision::{
    self as wire, FrameRequest, Image, Models, PixelPath, Reply, Request,
};
use vigil_exam::{FaceObservation, FrameAnalysis};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// Frames are analysed at this width (the still kept as evidence too):
/// the detector looks at 128×128 anyway, and a face at a desk is a third of it.
pub const SAMPLE_WIDTH: u32 = 320;

/// The worker's entry script and the models it loads (copied into `dist/`
/// by `cargo xtask build`).
const WORKER_URL: &str = "/vision/worker.js";
const SHORT_RANGE_URL: &str = "/vision/models/face_detection_short_range.graph.gz";
const FULL_RANGE_URL: &str = "/vision/models/face_detection_full_range.graph.gz";
const MESH_URL: &str = "/vision/models/face_landmark.graph.gz";
const EMBEDDER_URL: &str = "/vision/models/MobileFaceNet.graph.gz";

/// One camera frame's pixels, ready to hand over.
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub data: Uint8ClampedArray,
}

impl Pixels {
    fn frame_request(&self, id: u32) -> FrameRequest<&Uint8ClampedArray> {
        FrameRequest {
            id: f64::from(id),
            width: self.width,
            height: self.height,
            data: &self.data,
        }
    }

    fn image(&self) -> Image<&Uint8ClampedArray> {
        Image {
            width: self.width,
            height: self.height,
            data: &self.data,
        }
    }
}

/// `request` as the object the worker reads, and the buffers to transfer
/// with it: the request's JSON with its pixel arrays left out, parsed, and
/// each array put back at the place [`Request::map_pixels`] names (the
/// arrays are never copied into this wasm's memory nor through JSON).
fn message(request: Request<&Uint8ClampedArray>) -> Result<(JsValue, Array), String> {
    let mut arrays: Vec<(PixelPath, &Uint8ClampedArray)> = Vec::new();
    let header = request.map_pixels(|path, data| {
        arrays.push((path, data));
        Ok::<_, String>(())
    })?;
    let json = serde_json::to_string(&header).map_err(|e| e.to_string())?;
    let message = js_sys::JSON::parse(&json).map_err(|_| "a vision request is not JSON")?;
    let transfer = Array::new();
    for (path, data) in arrays {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut target = message.clone();
        for key in parents {
            target = Reflect::get(&target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        }
        Reflect::set(&target, &JsValue::from_str(last), data)
            .map_err(|_| format!("no place for the pixels at `{}`", path.join(".")))?;
        transfer.push(&data.buffer());
    }
    Ok((message, transfer))
}

/// What the identity check found (see the worker's `identity` message).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentityMatch {
    pub faces_on_id: usize,
    pub faces_on_photo: usize,
    pub similarity: Option<f64>,
}

/// The worker's analysis as the engine's proctoring rules take it (the
/// same fields, listed in full so that one added on either side fails to
/// compile here).
fn engine_analysis(analysis: wire::FrameAnalysis) -> FrameAnalysis {
    let wire::FrameAnalysis { faces, brightness } = analysis;
    let faces = faces
        .into_iter()
        .map(|face| {
            let wire::FaceObservation {
                score,
                bbox,
                landmarks,
                yaw_deg,
                pitch_deg,
            } = face;
            FaceObservation {
                score,
                bbox,
                landmarks,
                yaw_deg,
                pitch_deg,
            }
        })
        .collect();
    FrameAnalysis { faces, brightness }
}

/// The waiting map's key of an answer's id (the app's ids are whole).
fn key(id: f64) -> Option<u32> {
    (id.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&id)).then_some(id as u32)
}

fn unexpected() -> String {
    "the vision worker answered something else".into()
}

type Waiting = Rc<RefCell<HashMap<u32, oneshot::Sender<Result<Reply, String>>>>>;

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

type Boot = Rc<RefCell<Option<oneshot::Sender<Reply>>>>;

/// Waits for the next start-up message (`loaded`, `ready` or `failed`).
fn expect_boot(boot: &Boot) -> oneshot::Receiver<Reply> {
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
            let Some(reply) = e
                .data()
                .as_string()
                .and_then(|t| serde_json::from_str::<Reply>(&t).ok())
            else {
                return;
            };
            if matches!(
                reply,
                Reply::Loaded | Reply::Ready { .. } | Reply::Failed { .. }
            ) {
                if let Some(tx) = boot.borrow_mut().take() {
                    let _ = tx.send(reply);
                }
                return;
            }
            let Some(id) = reply.id().and_then(key) else {
                return;
            };
            if let Some(tx) = waiting.borrow_mut().remove(&id) {
                let result = match reply {
                    Reply::Error(failure) => Err(failure.error),
                    other => Ok(other),
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
                let _ = tx.send(Reply::Failed {
                    error: "the worker script failed".into(),
                });
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
    match loaded.await.map_err(|_| stopped())? {
        Reply::Loaded => {}
        Reply::Failed { error } => return Err(format!("the vision worker did not start: {error}")),
        _ => return Err("the vision worker did not start: no answer".into()),
    }
    let ready = expect_boot(&boot);
    let (init, _) = message(Request::Init(Models {
        short: SHORT_RANGE_URL.into(),
        full: Some(FULL_RANGE_URL.into()),
        mesh: Some(MESH_URL.into()),
    }))?;
    worker
        .post_message(&init)
        .map_err(|_| "the vision worker refused its models".to_string())?;
    let load_ms = match ready.await.map_err(|_| stopped())? {
        Reply::Ready { load_ms, .. } => load_ms,
        Reply::Failed { error } => return Err(format!("the face models did not load: {error}")),
        _ => return Err("the face models did not load: unknown error".into()),
    };
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
    /// Posts `request` (its pixels' buffers transferred) and waits for the
    /// answer to `id`.
    async fn request(
        &self,
        id: u32,
        request: Request<&Uint8ClampedArray>,
    ) -> Result<Reply, String> {
        let (message, transfer) = message(request)?;
        let (tx, rx) = oneshot::channel();
        self.waiting.borrow_mut().insert(id, tx);
        if self
            .worker
            .post_message_with_transfer(&message, &transfer)
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
        match self
            .request(id, Request::Frame(pixels.frame_request(id)))
            .await?
        {
            Reply::Frame(done) => Ok((engine_analysis(done.analysis), done.ms)),
            _ => Err(unexpected()),
        }
    }

    /// How many faces a still shows (identity photos).
    pub async fn count_faces(&self, pixels: &Pixels) -> Result<usize, String> {
        let id = self.id();
        match self
            .request(id, Request::Faces(pixels.frame_request(id)))
            .await?
        {
            Reply::Faces(found) => Ok(found.count as usize),
            _ => Err(unexpected()),
        }
    }

    /// Faces on the ID photo and on the face photo, and their similarity.
    pub async fn identity(
        &self,
        id_photo: &Pixels,
        face: &Pixels,
    ) -> Result<IdentityMatch, String> {
        let id = self.id();
        let request = Request::Identity(wire::IdentityRequest {
            id: f64::from(id),
            embedder: EMBEDDER_URL.into(),
            id_photo: id_photo.image(),
            face_photo: face.image(),
        });
        match self.request(id, request).await? {
            Reply::Identity(m) => Ok(IdentityMatch {
                faces_on_id: m.faces_on_id as usize,
                faces_on_photo: m.faces_on_photo as usize,
                similarity: m.similarity.map(f64::from),
            }),
            _ => Err(unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{engine_analysis, key, wire};

    #[test]
    fn the_workers_analysis_reaches_the_rules_unchanged() {
        let sent = wire::FrameAnalysis {
            faces: vec![wire::FaceObservation {
                score: 0.93,
                bbox: [0.25, 0.125, 0.5, 0.625],
                landmarks: vec![[0.375, 0.25]],
                yaw_deg: -12.5,
                pitch_deg: 3.0,
            }],
            brightness: 0.45,
        };
        let got = engine_analysis(sent.clone());
        assert_eq!(got.brightness, sent.brightness);
        let (e, s) = (&got.faces[0], &sent.faces[0]);
        assert_eq!(
            (e.score, e.bbox, &e.landmarks, e.yaw_deg, e.pitch_deg),
            (s.score, s.bbox, &s.landmarks, s.yaw_deg, s.pitch_deg)
        );
        assert_eq!(got.faces_over(0.9), 1);
    }

    #[test]
    fn only_whole_ids_are_the_apps() {
        assert_eq!(key(7.0), Some(7));
        assert_eq!(key(0.25), None);
        assert_eq!(key(-1.0), None);
        assert_eq!(key(f64::NAN), None);
        assert_eq!(key(5e9), None);
    }
}
