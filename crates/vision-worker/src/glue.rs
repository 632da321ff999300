//! The worker's side of the messages (see the crate docs): decode, run the
//! [`Analyzer`](crate::analyzer::Analyzer), answer in JSON.
//!
//! Inference is synchronous, so frames are analysed one at a time in the
//! order they arrive; only model downloads are awaited.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array, Uint8ClampedArray};
use serde_json::{json, Value};
use vigil_vision::{FaceDetector, FaceEmbedder, FaceMesh, Frame, Range};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Response};

use crate::analyzer::{identity_match, Analyzer};

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

fn post(v: Value) {
    let _ = scope().post_message(&JsValue::from_str(&v.to_string()));
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

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(obj: &JsValue, key: &str) -> Result<String, String> {
    get(obj, key)
        .as_string()
        .ok_or_else(|| format!("`{key}` missing"))
}

/// An image in a message: `{width, height, data: Uint8ClampedArray}`.
struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn read(obj: &JsValue) -> Result<Image, String> {
        let dim = |k: &str| {
            get(obj, k)
                .as_f64()
                .filter(|v| *v >= 1.0 && *v <= 8192.0)
                .map(|v| v as u32)
                .ok_or_else(|| format!("`{k}` missing or out of 1–8192"))
        };
        let (width, height) = (dim("width")?, dim("height")?);
        let data = get(obj, "data")
            .dyn_into::<Uint8ClampedArray>()
            .map_err(|_| "`data` is not a Uint8ClampedArray".to_string())?;
        Ok(Image {
            width,
            height,
            rgba: data.to_vec(),
        })
    }

    fn frame(&self) -> Result<Frame<'_>, String> {
        Frame::new(self.width, self.height, &self.rgba).map_err(|e| e.to_string())
    }
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

async fn init(msg: JsValue) -> Result<f64, String> {
    let started = now_ms();
    let short = fetch_bytes(&text(&msg, "short")?).await?;
    let short = FaceDetector::from_model_bytes(&short, Range::Short).map_err(|e| e.to_string())?;
    // Optional models: the checks degrade rather than stop without them.
    let full = match get(&msg, "full").as_string() {
        Some(url) => Some(
            FaceDetector::from_model_bytes(&fetch_bytes(&url).await?, Range::Full)
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let mesh = match get(&msg, "mesh").as_string() {
        Some(url) => {
            Some(FaceMesh::from_model_bytes(&fetch_bytes(&url).await?).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    STATE.with(|s| s.borrow_mut().analyzer = Some(Analyzer::new(short, full, mesh)));
    Ok(now_ms() - started)
}

fn not_ready() -> String {
    "the models are not loaded (send init first)".into()
}

fn frame(msg: &JsValue) -> Result<Value, String> {
    let image = Image::read(msg)?;
    let frame = image.frame()?;
    let started = now_ms();
    let analysis = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let a = s.analyzer.as_mut().ok_or_else(not_ready)?;
        a.analyze(&frame).map_err(|e| e.to_string())
    })?;
    Ok(json!({"analysis": analysis, "ms": now_ms() - started}))
}

fn faces(msg: &JsValue) -> Result<Value, String> {
    let image = Image::read(msg)?;
    let frame = image.frame()?;
    let count = STATE.with(|s| {
        let s = s.borrow();
        let a = s.analyzer.as_ref().ok_or_else(not_ready)?;
        a.still_detector()
            .detect(&frame)
            .map(|f| f.len())
            .map_err(|e| e.to_string())
    })?;
    Ok(json!({ "count": count }))
}

/// The benchmark's split of the short-range detector's time on a frame:
/// pre-processing alone (letterbox warp to 128×128, planar floats) and the
/// whole detection, medians of `runs` (at most 200); and the inference by
/// operator kind (tract's op names), mean ms per run, largest first.
fn profile(msg: &JsValue) -> Result<Value, String> {
    let image = Image::read(msg)?;
    let frame = image.frame()?;
    let runs = get(msg, "runs").as_f64().unwrap_or(20.0).clamp(1.0, 200.0) as usize;
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    STATE.with(|s| {
        let s = s.borrow();
        let a = s.analyzer.as_ref().ok_or_else(not_ready)?;
        let mut pre = Vec::with_capacity(runs);
        let mut detect = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t0 = now_ms();
            let map = vigil_vision::letterbox(frame.width, frame.height, 128);
            let rgb = vigil_vision::warp(&frame, &map, 128, 128).map_err(|e| e.to_string())?;
            std::hint::black_box(vigil_vision::to_planar(&rgb, 1.0 / 127.5, -1.0));
            let t1 = now_ms();
            std::hint::black_box(a.short().detect(&frame).map_err(|e| e.to_string())?);
            pre.push(t1 - t0);
            detect.push(now_ms() - t1);
        }
        // Inference by operator kind, averaged over the same number of runs.
        let mut ops: Vec<(String, f64)> = Vec::new();
        for _ in 0..runs {
            let split = a
                .short()
                .profile_inference(&frame, &mut now_ms)
                .map_err(|e| e.to_string())?;
            for (name, ms) in split {
                match ops.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, t)) => *t += ms,
                    None => ops.push((name, ms)),
                }
            }
        }
        ops.sort_by(|a, b| b.1.total_cmp(&a.1));
        let ops: Vec<Value> = ops
            .iter()
            .map(|(name, ms)| json!({"op": name, "ms": ms / runs as f64}))
            .collect();
        Ok(json!({"preprocess_ms": median(pre), "detect_ms": median(detect), "runs": runs, "ops": ops}))
    })
}

async fn identity(msg: JsValue) -> Result<Value, String> {
    let (id_photo, face_photo) = (
        Image::read(&get(&msg, "id_photo"))?,
        Image::read(&get(&msg, "face_photo"))?,
    );
    let loaded = STATE.with(|s| s.borrow().embedder.clone());
    let embedder = match loaded {
        Some(e) => e,
        None => {
            let bytes = fetch_bytes(&text(&msg, "embedder")?).await?;
            let e = Rc::new(FaceEmbedder::from_model_bytes(&bytes).map_err(|e| e.to_string())?);
            STATE.with(|s| s.borrow_mut().embedder = Some(e.clone()));
            e
        }
    };
    let (a, b) = (id_photo.frame()?, face_photo.frame()?);
    let m = STATE.with(|s| {
        let s = s.borrow();
        let an = s.analyzer.as_ref().ok_or_else(not_ready)?;
        identity_match(an.still_detector(), &embedder, &a, &b).map_err(|e| e.to_string())
    })?;
    Ok(json!({
        "faces_on_id": m.faces_on_id,
        "faces_on_photo": m.faces_on_photo,
        "similarity": m.similarity,
    }))
}

/// Answers `result` as `{"type": kind, "id", …}` or `{"type":"error"}`.
fn answer(kind: &str, id: &JsValue, result: Result<Value, String>) {
    let id = id.as_f64().unwrap_or(-1.0);
    match result {
        Ok(Value::Object(mut m)) => {
            m.insert("type".into(), kind.into());
            m.insert("id".into(), json!(id));
            post(Value::Object(m));
        }
        Ok(other) => post(json!({"type": kind, "id": id, "value": other})),
        Err(e) => post(json!({"type": "error", "id": id, "request": kind, "error": e})),
    }
}

fn on_message(event: MessageEvent) {
    let msg = event.data();
    let id = get(&msg, "id");
    match get(&msg, "type").as_string().as_deref() {
        Some("init") => spawn_local(async move {
            match init(msg).await {
                Ok(ms) => post(json!({"type": "ready", "load_ms": ms})),
                Err(e) => post(json!({"type": "failed", "error": e})),
            }
        }),
        Some("frame") => answer("frame", &id, frame(&msg)),
        Some("faces") => answer("faces", &id, faces(&msg)),
        Some("profile") => answer("profile", &id, profile(&msg)),
        Some("identity") => spawn_local(async move {
            let result = identity(msg).await;
            answer("identity", &id, result);
        }),
        other => answer(
            "unknown",
            &id,
            Err(format!("unknown message type {other:?}")),
        ),
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    let handler = Closure::<dyn Fn(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // Lives as long as the worker.
    handler.forget();
    post(json!({"type": "loaded"}));
}
