//! The worker's side of the messages (`vigil_contracts::vision`, see the
//! crate docs): read a [`Request`], run the
//! [`Analyzer`](crate::analyzer::Analyzer), answer with a [`Reply`] as JSON
//! text.
//!
//! A request arrives as a JavaScript object whose images' pixels are
//! `Uint8ClampedArray`s (transferred, not copied, by the page). It is read
//! from the object itself with `serde_wasm_bindgen`: first its
//! [`RequestHeader`], then the request of that type
//! ([`Request::from_kind`], which reads the fields it names and nothing
//! else), each pixel array taken as it is ([`Rgba`]) and copied into the
//! worker's memory.
//!
//! Inference is synchronous, so frames are analysed one at a time in the
//! order they arrive; only model downloads are awaited.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Deserializer};
use vigil_contracts::vision::{
    FaceCount, Failure, FrameDone, FrameRequest, IdentityDone, IdentityRequest, Image, Models,
    OpTime, ProfileDone, ProfileRequest, ProfiledModel, Reply, Request, RequestHeader,
};
use vigil_vision::{FaceDetector, FaceEmbedder, FaceMesh, Frame, Kernels, Range};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Response};

use crate::analyzer::{identity_match, Analyzer};

/// Largest image side accepted, in pixels.

#[derive(Default)]
struct State {
    analyzer: Option<Analyzer>,
    embedder: Option<Rc<FaceEmbedder>>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    if let Ok(text) = serde_json::to_string(reply) {
        let _ = scope().post_message(&JsValue::from_str(&text));
    }
}

fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let now = Reflect::get(&p, &"now".into()).ok()?;
            now.unchecked_into::<js_sys::Function>()
                .call0(&p)
                .ok()?
                .as_f64()
        })
        .unwrap_or(0.0)
}

/// An image's pixels as a request carries them: a `Uint8ClampedArray`,
/// read as the JavaScript object it is and copied into the worker's memory.
struct Rgba(Vec<u8>);

impl<'de> Deserialize<'de> for Rgba {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rgba, D::Error> {
        let array: Uint8ClampedArray = serde_wasm_bindgen::preserve::deserialize(d)?;
        Ok(Rgba(array.to_vec()))
    }
}

/// The request in the message, whose header is `header`.
fn read(msg: JsValue, header: &RequestHeader) -> Result<Request<Rgba>, String> {
    let kind = header.kind.as_deref().ok_or("the message has no `type`")?;
    Request::from_kind(kind, serde_wasm_bindgen::Deserializer::from(msg)).map_err(|e| e.to_string())
}

/// An image as a frame for the models ([`crate::analyzer::frame_of`]).
fn frame_of(image: &Image<Rgba>) -> Result<Frame<'_>, String> {
    crate::analyzer::frame_of(image.width, image.height, &image.data.0)
}

/// A count for the wire.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let resp = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|_| format!("{url}: unreachable"))?;
    let resp: Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let buf = resp.array_buffer().map_err(|_| format!("{url}: no body"))?;
    let buf = JsFuture::from(buf)
        .await
        .map_err(|_| format!("{url}: body unreadable"))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

async fn init(models: Models) -> Result<f64, String> {
    let started = now_ms();
    let short = fetch_bytes(&models.short).await?;
    let short = FaceDetector::from_model_bytes(&short, Range::Short).map_err(|e| e.to_string())?;
    // Optional models: the checks degrade rather than stop without them.
    let full = match &models.full {
        Some(url) => Some(
            FaceDetector::from_model_bytes(&fetch_bytes(url).await?, Range::Full)
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let mesh = match &models.mesh {
        Some(url) => {
            Some(FaceMesh::from_model_bytes(&fetch_bytes(url).await?).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    STATE.with(|s| s.borrow_mut().analyzer = Some(Analyzer::new(short, full, mesh)));
    Ok(now_ms() - started)
}

fn not_ready() -> String {
    "the models are not loaded (send init first)".into()
}

fn frame(r: FrameRequest<Rgba>) -> Result<FrameDone, String> {
    let id = r.id;
    let image = r.image();
    let frame = frame_of(&image)?;
    let started = now_ms();
    let (analysis, ran) = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let a = s.analyzer.as_mut().ok_or_else(not_ready)?;
        let analysis = a
            .analyze_timed(&frame, &now_ms)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((analysis, a.ran()))
    })?;
    Ok(FrameDone {
        id,
        analysis,
        ms: now_ms() - started,
        ran,
    })
}

fn faces(r: FrameRequest<Rgba>) -> Result<FaceCount, String> {
    let id = r.id;
    let image = r.image();
    let frame = frame_of(&image)?;
    let found = STATE.with(|s| {
        let s = s.borrow();
        let a = s.analyzer.as_ref().ok_or_else(not_ready)?;
        a.still_detector()
            .detect(&frame)
            .map(|f| f.len())
            .map_err(|e| e.to_string())
    })?;
    Ok(FaceCount {
        id,
        count: count(found),
    })
}

/// The benchmark's split of one model's time on a frame (the short-range
/// detector unless the request names another): pre-processing alone
/// (letterbox or face crop, planar floats) and the whole model step (frame
/// in → faces or pose out), medians of `runs` (20 by default, at most
/// 200); and the inference by operator kind (tract's op names), mean ms
/// per run, largest first.
async fn profile(r: ProfileRequest<Rgba>) -> Result<ProfileDone, String> {
    let runs = r.runs.unwrap_or(20).clamp(1, 200);
    // tract's own kernels on the same model, for the same-run comparison.
    let baseline = match (&r.baseline, r.model) {
        (Some(url), ProfiledModel::Short) => Some(
            FaceDetector::from_model_bytes_with(
                &fetch_bytes(url).await?,
                Range::Short,
                Kernels::Tract,
            )
            .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    let image = Image {
        width: r.width,
        height: r.height,
        data: r.data,
    };
    let frame = frame_of(&image)?;
    let err = |e: vigil_vision::Error| e.to_string();
    STATE.with(|s| {
        let s = s.borrow();
        let a = s.analyzer.as_ref().ok_or_else(not_ready)?;
        let detector = match r.model {
            ProfiledModel::Short | ProfiledModel::Mesh => a.short(),
            ProfiledModel::Full => a.full().ok_or("the full-range detector is not loaded")?,
        };
        let mesh = match r.model {
            ProfiledModel::Mesh => {
                let mesh = a.mesh().ok_or("the face mesh is not loaded")?;
                let mut faces = a.short().detect(&frame).map_err(err)?;
                faces.sort_by(|x, y| y.bbox.area().total_cmp(&x.bbox.area()));
                let face = faces
                    .into_iter()
                    .next()
                    .ok_or("no face to run the mesh on")?;
                Some((mesh, face))
            }
            _ => None,
        };
        let mut pre = Vec::with_capacity(runs as usize);
        let mut step = Vec::with_capacity(runs as usize);
        let mut infer = Vec::with_capacity(runs as usize);
        let mut tract_infer = Vec::with_capacity(runs as usize);
        let mut ops: Vec<OpTime> = Vec::new();
        for _ in 0..runs {
            let t0 = now_ms();
            std::hint::black_box(match &mesh {
                Some((m, face)) => m.preprocess(&frame, face).map_err(err)?,
                None => detector.preprocess(&frame).map_err(err)?,
            });
            let t1 = now_ms();
            match &mesh {
                Some((m, face)) => {
                    std::hint::black_box(m.estimate(&frame, face).map_err(err)?);
                }
                None => {
                    std::hint::black_box(detector.detect(&frame).map_err(err)?);
                }
            }
            pre.push(t1 - t0);
            step.push(now_ms() - t1);
            let (timed, split) = match &mesh {
                Some((m, face)) => (
                    m.time_inference(&frame, face, &mut now_ms).map_err(err)?,
                    m.profile_inference(&frame, face, &mut now_ms)
                        .map_err(err)?,
                ),
                None => (
                    detector.time_inference(&frame, &mut now_ms).map_err(err)?,
                    detector
                        .profile_inference(&frame, &mut now_ms)
                        .map_err(err)?,
                ),
            };
            infer.push(timed);
            for s in split {
                match ops.iter_mut().find(|o| o.op == s.op) {
                    Some(o) => o.ms += s.ms,
                    None => ops.push(OpTime {
                        op: s.op,
                        ms: s.ms,
                        nodes: s.nodes,
                    }),
                }
            }
            if let Some(b) = &baseline {
                tract_infer.push(b.time_inference(&frame, &mut now_ms).map_err(err)?);
            }
        }
        let tract_max_diff = match &baseline {
            Some(b) => {
                let ours = a.short().raw_outputs(&frame).map_err(err)?;
                let theirs = b.raw_outputs(&frame).map_err(err)?;
                let mut d = 0.0f64;
                for (x, y) in ours.iter().flatten().zip(theirs.iter().flatten()) {
                    let e = f64::from((x - y).abs()) / f64::from(y.abs()).max(1.0);
                    d = d.max(if e.is_nan() { f64::INFINITY } else { e });
                }
                if ours.iter().map(Vec::len).ne(theirs.iter().map(Vec::len)) {
                    d = f64::INFINITY;
                }
                Some(d)
            }
            None => None,
        };
        for o in &mut ops {
            o.ms /= f64::from(runs);
        }
        ops.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        Ok(ProfileDone {
            id: r.id,
            model: r.model,
            preprocess_ms: median(&pre),
            detect_ms: median(&step),
            detect_p90_ms: p90(&step),
            infer_ms: median(&infer),
            infer_p90_ms: p90(&infer),
            tract_infer_ms: baseline.as_ref().map(|_| median(&tract_infer)),
            tract_infer_p90_ms: baseline.as_ref().map(|_| p90(&tract_infer)),
            tract_max_diff,
            lanes: vigil_vision::LANES.into(),
            runs,
            ops,
        })
    })
}

/// The benchmark page's own definitions (tests/e2e/bench/vision.html), so
/// both engines' figures are read the same way.
fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    xs
}

fn median(xs: &[f64]) -> f64 {
    let s = sorted(xs);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[(n - 1) / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn p90(xs: &[f64]) -> f64 {
    let s = sorted(xs);
    s.get(s.len() * 9 / 10).copied().unwrap_or(0.0)
}

async fn identity(r: IdentityRequest<Rgba>) -> Result<IdentityDone, String> {
    let loaded = STATE.with(|s| s.borrow().embedder.clone());
    let embedder = match loaded {
        Some(e) => e,
        None => {
            let bytes = fetch_bytes(&r.embedder).await?;
            let e = Rc::new(FaceEmbedder::from_model_bytes(&bytes).map_err(|e| e.to_string())?);
            STATE.with(|s| s.borrow_mut().embedder = Some(e.clone()));
            e
        }
    };
    let (a, b) = (frame_of(&r.id_photo)?, frame_of(&r.face_photo)?);
    let m = STATE.with(|s| {
        let s = s.borrow();
        let an = s.analyzer.as_ref().ok_or_else(not_ready)?;
        identity_match(an.still_detector(), &embedder, &a, &b).map_err(|e| e.to_string())
    })?;
    Ok(IdentityDone {
        id: r.id,
        faces_on_id: count(m.faces_on_id),
        faces_on_photo: count(m.faces_on_photo),
        similarity: m.similarity,
    })
}

/// Posts the answer to the request `kind` with `id`, or its failure.
fn answer(kind: &str, id: Option<f64>, result: Result<Reply, String>) {
    match result {
        Ok(reply) => post(&reply),
        Err(error) => post(&Reply::Error(Failure {
            id,
            request: kind.into(),
            error,
        })),
    }
}

fn on_message(event: MessageEvent) {
    let msg = event.data();
    let header: RequestHeader = serde_wasm_bindgen::from_value(msg.clone()).unwrap_or_default();
    let request = match read(msg, &header) {
        Ok(r) => r,
        Err(error) => {
            // Not a request: answer with what can be read of it. A bad
            // `init` is a failed start, which the page waits for.
            if header.is_init() {
                post(&Reply::Failed { error });
            } else {
                let kind = header.kind.unwrap_or_else(|| "unknown".into());
                answer(&kind, header.id, Err(error));
            }
            return;
        }
    };
    let (kind, id) = (request.kind(), request.id());
    match request {
        Request::Init(models) => spawn_local(async move {
            post(&match init(models).await {
                Ok(load_ms) => Reply::Ready {
                    load_ms,
                    lanes: vigil_vision::LANES.into(),
                },
                Err(error) => Reply::Failed { error },
            })
        }),
        Request::Frame(r) => answer(kind, id, frame(r).map(Reply::Frame)),
        Request::Faces(r) => answer(kind, id, faces(r).map(Reply::Faces)),
        Request::Profile(r) => spawn_local(async move {
            let result = profile(r).await.map(Reply::Profile);
            answer(kind, id, result);
        }),
        Request::Identity(r) => spawn_local(async move {
            let result = identity(r).await.map(Reply::Identity);
            answer(kind, id, result);
        }),
    }
}

// The start function runs at instantiation; it need not be exported.
#[wasm_bindgen(start)]
pub(crate) fn start() {
    let handler = Closure::<dyn Fn(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // Lives as long as the worker.
    handler.forget();
    post(&Reply::Loaded);
}
