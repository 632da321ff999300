//! vigil-vision-worker: the face checks in a Web Worker, so that the exam
//! page never runs inference (a known failure of in-browser proctoring is a
//! page that freezes while it looks for faces).
//!
//! The app starts it lazily (`src/browser/vision.rs`) once a screen needs
//! the camera checked, and talks to it with the messages of
//! `vigil_contracts::vision` (one crate for both sides, serde only, so the
//! worker does not link the exam engine):
//!
//! | app → worker | worker → app |
//! | --- | --- |
//! | (the worker has started) | `{"type":"loaded"}` |
//! | `{type:"init", short, full, mesh}` (model URLs) | `{"type":"ready","load_ms"}` or `{"type":"failed","error"}` |
//! | `{type:"frame", id, width, height, data}` (RGBA, its buffer transferred) | `{"type":"frame","id","analysis":{faces,brightness},"ms"}` |
//! | `{type:"faces", id, width, height, data}` (a still) | `{"type":"faces","id","count"}` |
//! | `{type:"identity", id, embedder, id_photo:{…}, face_photo:{…}}` | `{"type":"identity","id","faces_on_id","faces_on_photo","similarity"}` |
//! | `{type:"profile", id, width, height, data, runs, model?}` (the benchmark's; `model`: `short`, `full` or `mesh`) | `{"type":"profile","id","model","preprocess_ms","detect_ms","detect_p90_ms","infer_ms","infer_p90_ms","runs","ops":[{op,ms,nodes}]}` |
//! | — | `{"type":"error","id","request","error"}` for a request that failed |
//!
//! Requests are JavaScript objects (their pixels are transferred arrays),
//! answers JSON text; `glue` reads and writes them.
//!
//! The analysis is [`analyzer`] (pure, tested natively on photographs); the
//! embedder (5 MB) is fetched only when an identity check asks for it.

pub mod analyzer;

#[cfg(target_arch = "wasm32")]
mod glue;
