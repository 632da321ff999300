//! vigil-vision: on-device face checks with tract-onnx (BlazeFace short and
//! full range, face mesh for head pose, MobileFaceNet for the ID match).
//!
//! Pure Rust, no web-sys: it runs natively in tests and in the app's Web
//! Worker on wasm32. The crate is a member of the workspace so its place in
//! the dependency chain is fixed; its contents arrive with the face-check
//! work (DESIGN.md, "Vision"): nothing here is used by the app yet.
