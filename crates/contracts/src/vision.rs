//! The messages between the page and the vision Web Worker: the page
//! (`src/browser/vision.rs`) posts a [`Request`], the worker
//! (`crates/vision-worker`) posts a [`Reply`].
//!
//! | page → worker | worker → page |
//! | --- | --- |
//! | (the worker has started) | [`Reply::Loaded`] |
//! | [`Request::Init`] (model URLs) | [`Reply::Ready`] or [`Reply::Failed`] |
//! | [`Request::Frame`] (a camera frame) | [`Reply::Frame`]: [`FrameAnalysis`] and the worker's ms |
//! | [`Request::Faces`] (a still) | [`Reply::Faces`]: how many faces |
//! | [`Request::Identity`] (ID photo, face photo) | [`Reply::Identity`]: faces on each, similarity |
//! | [`Request::Profile`] (the benchmark's) | [`Reply::Profile`]: the detector's time split |
//! | — | [`Reply::Error`] for a request that failed |
//!
//! Every message is tagged by its `type` (`"frame"`, …); each request but
//! `init` carries an `id` that its answer repeats.
//!
//! **Transport.** Answers go as JSON text (`serde_json`). A request goes as
//! a plain JavaScript object (structured clone) because of its pixels: each
//! image's `data` is a `Uint8ClampedArray` whose buffer is *transferred* to
//! the worker, never copied through JSON nor into the page's wasm memory.
//! So a request's pixels are a type parameter `P`: the page serializes a
//! `Request<()>` (pixels as `null`) to JSON, parses it into an object and
//! puts each image's array at the place [`Request::map_pixels`] names; the
//! worker reads the object as it is (`serde_wasm_bindgen`, its
//! [`RequestHeader`] then [`Request::from_kind`]), each array as a `P` of
//! its own. The benchmark page (`tests/e2e/bench/vision.html`) posts the
//! same objects by hand, with fractional ids, hence `id: f64`.

use serde::{de, Deserialize, Deserializer, Serialize};

/// A request's id: any number, repeated in its answer. The app counts 1,
/// 2, 3…; the benchmark page uses fractions.
pub type Id = f64;

/// Where an image's pixels sit in a request object: the path of keys from
/// the request down to the pixel array.
pub type PixelPath = &'static [&'static str];

/// A message from the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request<P> {
    /// Load the models (once, after [`Reply::Loaded`]).
    Init(Models),
    /// Analyse one camera frame of the proctoring loop (frames in order,
    /// about one a second): faces, head pose, brightness.
    Frame(FrameRequest<P>),
    /// Count the faces on a still (identity photos, system check), with
    /// the full-range detector when loaded.
    Faces(FrameRequest<P>),
    /// Compare the face on the ID photo with the face photo (the embedder
    /// is fetched from `embedder` on the first such request).
    Identity(IdentityRequest<P>),
    /// The benchmark's split of the short-range detector's time.
    Profile(ProfileRequest<P>),
}

/// The models [`Request::Init`] names, by URL. Only the short-range
/// detector is required: without the full-range one a far second face goes
/// unseen, without the mesh no head pose is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Models {
    pub short: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
}

/// An image: `width × height` pixels (1 to 8192 each), `data` their RGBA
/// bytes row by row, carried as `P` (see the module's transport note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image<P> {
    pub width: u32,
    pub height: u32,
    pub data: P,
}

/// Largest image side a request may carry, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// Whether `width × height` RGBA pixels in `len` bytes make an image the
/// worker takes: each side 1 to [`MAX_SIDE`], exactly 4 bytes a pixel. The
/// page sends these numbers, so the worker checks them before it reads a
/// pixel (`fuzz/targets/vision_message.rs`).
pub fn check_image(width: u32, height: u32, len: usize) -> Result<(), String> {
    for (name, side) in [("width", width), ("height", height)] {
        if !(1..=MAX_SIDE).contains(&side) {
            return Err(format!("`{name}` out of 1–{MAX_SIDE}"));
        }
    }
    let expected = u64::from(width) * u64::from(height) * 4;
    if len as u64 != expected {
        return Err(format!(
            "{len} bytes of pixels for {width}×{height} (RGBA: {expected} expected)"
        ));
    }
    Ok(())
}

/// [`Request::Frame`] and [`Request::Faces`]: one image, its fields beside
/// the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRequest<P> {
    pub id: Id,
    pub width: u32,
    pub height: u32,
    pub data: P,
}

impl<P> FrameRequest<P> {
    /// The request's image.
    pub fn image(self) -> Image<P> {
        Image {
            width: self.width,
            height: self.height,
            data: self.data,
        }
    }
}

/// [`Request::Identity`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityRequest<P> {
    pub id: Id,
    /// URL of the face embedder (MobileFaceNet), fetched once.
    pub embedder: String,
    pub id_photo: Image<P>,
    pub face_photo: Image<P>,
}

/// [`Request::Profile`]: a frame and how many runs to take the medians of
/// (20 when absent; the worker keeps it within 1 to 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRequest<P> {
    pub id: Id,
    pub width: u32,
    pub height: u32,
    pub data: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u32>,
    /// The short-range model's URL, to time it also with tract's own
    /// kernels ([`ProfileDone::tract_infer_ms`]; short range only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Which of the loaded models to profile (the short-range detector
    /// when absent). The mesh runs on the largest face the short-range
    /// detector finds in the frame.
    #[serde(default, skip_serializing_if = "ProfiledModel::is_short")]
    pub model: ProfiledModel,
}

/// A model of the proctoring loop, as [`ProfileRequest::model`] names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfiledModel {
    #[default]
    Short,
    Full,
    Mesh,
}

impl ProfiledModel {
    fn is_short(&self) -> bool {
        *self == ProfiledModel::Short
    }
}

/// The values of a request's `type`, as [`Request::kind`] gives them.
pub const REQUEST_KINDS: [&str; 5] = ["init", "frame", "faces", "identity", "profile"];

impl<P> Request<P> {
    /// The value of its `type` (`"frame"`, …).
    pub fn kind(&self) -> &'static str {
        let [init, frame, faces, identity, profile] = REQUEST_KINDS;
        match self {
            Request::Init(_) => init,
            Request::Frame(_) => frame,
            Request::Faces(_) => faces,
            Request::Identity(_) => identity,
            Request::Profile(_) => profile,
        }
    }

    /// The id its answer repeats (`None` for `init`, answered by
    /// [`Reply::Ready`] or [`Reply::Failed`]).
    pub fn id(&self) -> Option<Id> {
        match self {
            Request::Init(_) => None,
            Request::Frame(r) | Request::Faces(r) => Some(r.id),
            Request::Identity(r) => Some(r.id),
            Request::Profile(r) => Some(r.id),
        }
    }

    /// The same request with each image's pixels passed through `f`, with
    /// the path of keys where they sit in the request object (in order: the
    /// frame's; or the ID photo's, then the face photo's). The page takes
    /// the arrays out this way before serializing the rest to JSON, then
    /// sets each at its path in the object parsed from that JSON.
    pub fn map_pixels<Q, E>(
        self,
        mut f: impl FnMut(PixelPath, P) -> Result<Q, E>,
    ) -> Result<Request<Q>, E> {
        const DATA: PixelPath = &["data"];
        const ID_PHOTO: PixelPath = &["id_photo", "data"];
        const FACE_PHOTO: PixelPath = &["face_photo", "data"];
        let frame = |r: FrameRequest<P>, f: &mut dyn FnMut(PixelPath, P) -> Result<Q, E>| {
            Ok(FrameRequest {
                id: r.id,
                width: r.width,
                height: r.height,
                data: f(DATA, r.data)?,
            })
        };
        let image =
            |i: Image<P>, path: PixelPath, f: &mut dyn FnMut(PixelPath, P) -> Result<Q, E>| {
                Ok(Image {
                    width: i.width,
                    height: i.height,
                    data: f(path, i.data)?,
                })
            };
        Ok(match self {
            Request::Init(m) => Request::Init(m),
            Request::Frame(r) => Request::Frame(frame(r, &mut f)?),
            Request::Faces(r) => Request::Faces(frame(r, &mut f)?),
            Request::Identity(r) => Request::Identity(IdentityRequest {
                id: r.id,
                embedder: r.embedder,
                id_photo: image(r.id_photo, ID_PHOTO, &mut f)?,
                face_photo: image(r.face_photo, FACE_PHOTO, &mut f)?,
            }),
            Request::Profile(r) => Request::Profile(ProfileRequest {
                id: r.id,
                width: r.width,
                height: r.height,
                data: f(DATA, r.data)?,
                runs: r.runs,
                baseline: r.baseline,
                model: r.model,
            }),
        })
    }
}

impl<'de, P: Deserialize<'de>> Request<P> {
    /// The request of type `kind` (read first, from its [`RequestHeader`])
    /// from the whole message in `message` (its `type` and any unknown key
    /// ignored). The same result as deserializing a [`Request`], without
    /// buffering the message first as serde does for a tagged enum: that
    /// buffer cannot hold the worker's pixel arrays (JavaScript objects),
    /// and its code would weigh some 10 KB in the worker's wasm.
    pub fn from_kind<D: Deserializer<'de>>(kind: &str, message: D) -> Result<Self, D::Error> {
        let [init, frame, faces, identity, profile] = REQUEST_KINDS;
        Ok(match kind {
            k if k == init => Request::Init(Models::deserialize(message)?),
            k if k == frame => Request::Frame(FrameRequest::deserialize(message)?),
            k if k == faces => Request::Faces(FrameRequest::deserialize(message)?),
            k if k == identity => Request::Identity(IdentityRequest::deserialize(message)?),
            k if k == profile => Request::Profile(ProfileRequest::deserialize(message)?),
            other => return Err(de::Error::unknown_variant(other, &REQUEST_KINDS)),
        })
    }
}

/// What every request has in common, read first by the worker: its `type`
/// picks the request to read ([`Request::from_kind`]), and a message that is
/// not a valid request is still answered with its `id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestHeader {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<Id>,
}

impl RequestHeader {
    /// An `init`: answered by [`Reply::Ready`] or [`Reply::Failed`], never
    /// by a [`Reply::Error`] (the page waits for one of those two).
    pub fn is_init(&self) -> bool {
        self.kind.as_deref() == Some(REQUEST_KINDS[0])
    }
}

/// A message from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The worker's wasm has started; the page sends [`Request::Init`].
    Loaded,
    /// The models are loaded, after `load_ms` milliseconds, and the
    /// vector instructions the worker's kernels run with (`"wasm simd128"`
    /// or `"wasm simd128 + relaxed-simd"`: which build the entry script
    /// picked; empty from a worker older than the field).
    Ready {
        load_ms: f64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        lanes: String,
    },
    /// The worker could not start (its wasm, or a required model), with
    /// why. Also posted by the worker's entry script when the wasm fails.
    Failed {
        error: String,
    },
    Frame(FrameDone),
    Faces(FaceCount),
    Identity(IdentityDone),
    Profile(ProfileDone),
    /// A request that failed.
    Error(Failure),
}

impl Reply {
    /// The id of the request this answers (`None` for the start-up
    /// messages, and for a failure to read a request without one).
    pub fn id(&self) -> Option<Id> {
        match self {
            Reply::Loaded | Reply::Ready { .. } | Reply::Failed { .. } => None,
            Reply::Frame(r) => Some(r.id),
            Reply::Faces(r) => Some(r.id),
            Reply::Identity(r) => Some(r.id),
            Reply::Profile(r) => Some(r.id),
            Reply::Error(r) => r.id,
        }
    }
}

/// [`Reply::Frame`]: the frame's analysis and the worker's time on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameDone {
    pub id: Id,
    pub analysis: FrameAnalysis,
    /// Milliseconds the worker spent on the frame.
    pub ms: f64,
    /// Which models ran on it (the rest was carried from earlier frames).
    #[serde(default)]
    pub ran: ModelsRan,
}

/// Which of the loop's optional models ran on a frame: the short-range
/// detector runs on every one; the full-range detector and the face mesh
/// on some, their results carried in between. The benchmark splits the
/// worker's time by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelsRan {
    /// The full-range detector ran.
    pub full: bool,
    /// The face mesh ran on this many faces.
    pub mesh: u32,
    /// Milliseconds of the frame's `ms` the full-range detector took.
    #[serde(default)]
    pub full_ms: f64,
    /// Milliseconds of the frame's `ms` the face mesh took (all its runs).
    #[serde(default)]
    pub mesh_ms: f64,
}

/// The faces found on one camera frame and its mean brightness: the same
/// fields as the engine's `FrameAnalysis`, into which the app converts it
/// for the proctoring rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameAnalysis {
    pub faces: Vec<FaceObservation>,
    /// Mean brightness, 0 (black) to 1 (white).
    pub brightness: f64,
}

/// One detected face (the engine's `FaceObservation`, same fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceObservation {
    pub score: f64,
    /// `[x, y, width, height]`, normalised to the frame (0–1).
    pub bbox: [f64; 4],
    /// The detector's keypoints (eyes, nose, mouth, ears), normalised.
    #[serde(default)]
    pub landmarks: Vec<[f64; 2]>,
    /// Head yaw and pitch in degrees (0 when not measured).
    pub yaw_deg: f64,
    pub pitch_deg: f64,
}

/// [`Reply::Faces`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceCount {
    pub id: Id,
    pub count: u32,
}

/// [`Reply::Identity`]: how many faces each photo shows and, when each
/// shows exactly one, the cosine similarity of their embeddings (−1 to 1;
/// `null` otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityDone {
    pub id: Id,
    pub faces_on_id: u32,
    pub faces_on_photo: u32,
    pub similarity: Option<f32>,
}

/// [`Reply::Profile`]: medians over `runs` of the pre-processing alone
/// (letterbox to 128×128, planar floats) and of the whole detection, and
/// the inference by operator kind (mean ms per run, largest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileDone {
    pub id: Id,
    /// The model profiled.
    #[serde(default)]
    pub model: ProfiledModel,
    /// Letterbox, warp and planar floats (medians over `runs`).
    pub preprocess_ms: f64,
    /// Frame in → faces out: pre-processing, inference, decoding, NMS.
    pub detect_ms: f64,
    pub detect_p90_ms: f64,
    /// The inference alone (input ready, outputs not decoded).
    pub infer_ms: f64,
    pub infer_p90_ms: f64,
    /// The same inference with tract's own kernels only (Vigil's rewrite
    /// not applied), when the request named the model to load for it:
    /// the gain of `vigil-kernels` measured in the same run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tract_infer_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tract_infer_p90_ms: Option<f64>,
    /// The largest difference between the two's outputs on this frame,
    /// relative where a value is above 1 (the kernels' check in the
    /// browser, on the real model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tract_max_diff: Option<f64>,
    /// Which lanes the kernels ran with (see [`Reply::Ready`]).
    #[serde(default)]
    pub lanes: String,
    pub runs: u32,
    pub ops: Vec<OpTime>,
}

/// One operator kind's time (tract's op name), and how many nodes of the
/// plan it is: the browser's count says which operators Vigil's rewrite
/// took over there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpTime {
    pub op: String,
    pub ms: f64,
    #[serde(default)]
    pub nodes: u32,
}

/// [`Reply::Error`]: the request's id (absent if it had none), its `type`
/// (`"unknown"` if it had none) and why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    pub request: String,
    pub error: String,
}
