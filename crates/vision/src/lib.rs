//! vigil-vision: on-device face checks with tract (BlazeFace short and
//! full range, face mesh for head pose, MobileFaceNet for the ID match).
//!
//! Pure Rust, no web-sys, no clock: it runs natively in tests and in the
//! app's Web Worker on wasm32. Every model is loaded from bytes
//! (`from_model_bytes`), in either of two forms told by their first bytes:
//! the ONNX files of `static/models/` (provenance, licences and hashes in
//! the README there; read natively with the `onnx` feature), or Vigil's
//! model files converted from them ([`graph`]), which `cargo xtask worker`
//! makes at build time (`onnx_to_graph`) and which are all the browser
//! worker fetches: reading them needs only tract-core, so the worker's wasm
//! links no ONNX front end and no NNEF reader.
//!
//! The pipeline on one camera frame ([`Frame`], RGBA of any size):
//!
//! 1. [`FaceDetector`] finds faces: [`Range::Short`] for the candidate at
//!    desk distance, [`Range::Full`] for small faces further away (a second
//!    person). Each [`Face`] has a score, a box and six keypoints in the
//!    frame's pixels.
//! 2. [`FaceMesh`] on one detected face gives [`HeadPose`] (yaw, pitch) and
//!    the probability that a face is really there.
//! 3. [`FaceEmbedder`] turns a face into a 192-d [`Embedding`];
//!    [`cosine_similarity`] compares the ID photo with the live face.
//!
//! # Thresholds and limits (measured on the fixtures in `tests/fixtures/faces/`)
//!
//! Re-measure with `cargo test -p vigil-vision --release -- --ignored
//! --nocapture sweep_report` (prints the scores behind these figures).
//!
//! - Detection score threshold: [`SHORT_RANGE_THRESHOLD`] = 0.7 (MediaPipe
//!   uses 0.5, but the cat in chelsea.png scores 0.60 with the short-range
//!   model; real faces score 0.79–0.95) and [`FULL_RANGE_THRESHOLD`] = 0.6
//!   (MediaPipe's; best non-face 0.34). Weighted non-maximum suppression
//!   merges boxes overlapping by IoU > [`NMS_IOU`] = 0.3.
//! - Face size: the short-range detector needs a face of about 1/7 of the
//!   frame's longer side (the astronaut's face at 1/7.4 scores 0.79, at 1/8
//!   0.66: lost). A webcam at a desk shows the candidate's face at 1/4–1/3.
//!   The full-range detector finds faces down to about 1/15 of the side
//!   (0.75; at 1/16 0.58: lost), so it is the one that sees a second person
//!   further back.
//! - Lighting (short range, astronaut.png): found with the colour channels
//!   scaled by ×0.1 to ×1.6 and with a gamma of 0.3 to 5, which
//!   `brightness_and_gamma_sweep` asserts. Beyond: ×2.0 still scores 0.73,
//!   ×0.07 scores 0.65 and ×2.5 (clipped highlights) 0.51, both lost. The
//!   app should report a dark camera from mean brightness before ×0.1.
//! - Head pose from the face mesh: yaw and pitch in degrees (sign convention
//!   in [`HeadPose`]); frontal portraits read |yaw| < 1° and pitch −4° to −10°
//!   (the mesh's depth makes a face at eye level read slightly downwards), so
//!   a "looking away" rule should use generous angles (e.g. |yaw| > 30°).
//! - Face match: [`MATCH_THRESHOLD`] = 0.5 on cosine similarity (obama vs
//!   obama2 0.79; unrelated pairs −0.1 to 0.26). The match is a reviewer's
//!   aid shown beside the photographs, never an automatic verdict (and see
//!   the model's training-data terms in `static/models/README.md`).
//!
//! The models' input shapes are checked at load, so passing the wrong file to
//! a `from_model_bytes` fails there with a clear [`Error::Model`].

mod anchors;
mod detector;
mod embed;
mod frame;
pub mod fuse;
mod geometry;
pub mod graph;
mod mesh;
mod model;
mod nms;

pub use anchors::{ssd_anchors, AnchorOptions};
pub use detector::{
    decode, Face, FaceDetector, Keypoint, Range, FULL_RANGE_THRESHOLD, NMS_IOU,
    SHORT_RANGE_THRESHOLD,
};
pub use embed::{
    alignment, cosine_similarity, Embedding, FaceEmbedder, ARCFACE_TEMPLATE, EMBEDDING_LEN,
    MATCH_THRESHOLD,
};
pub use frame::{crop_square, letterbox, resize, to_planar, warp, warp_planar, Frame, Rgb};
pub use geometry::{similarity_lstsq, Affine, Point, Rect};
pub use mesh::{head_pose, FaceMesh, HeadPose, MeshResult, LANDMARKS};
#[cfg(feature = "onnx")]
pub use model::onnx_to_graph;
pub use model::{compare_kernels, compare_models, Kernels, OpSplit};
pub use nms::weighted_nms;
/// Which vector instructions the kernels were built with.
pub use vigil_kernels::LANES;

/// What can go wrong: a frame that does not match its size, or a model that
/// does not load or run (wrong file, wrong shape).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("frame: {0}")]
    Frame(String),
    #[error("model: {0}")]
    Model(String),
}

impl From<tract_core::prelude::TractError> for Error {
    fn from(e: tract_core::prelude::TractError) -> Self {
        // `{:#}` keeps tract's context chain (which node, which shape).
        Error::Model(format!("{e:#}"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;
