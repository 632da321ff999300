//! A request to the vision worker, as any script in the page can post it:
//! its header, the request its `type` names, and the frame it carries. The
//! worker reads the page's objects with `serde-wasm-bindgen`; the same
//! `Deserialize` code is driven here by JSON. An image the worker accepts
//! (`check_image`, which its `frame_of` runs before reading a pixel) has
//! 1–8192 pixels a side and exactly 4 bytes a pixel. The worker crate
//! itself is not linked: it brings tract, whose instrumented build alone
//! would take six minutes of CI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_contracts::vision::{check_image, Request, RequestHeader, MAX_SIDE};

fn check(width: u32, height: u32, data: &[u8]) {
    if check_image(width, height, data.len()).is_ok() {
        assert!((1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height));
        assert_eq!(data.len() as u64, u64::from(width) * u64::from(height) * 4);
    }
}

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("vision_message", || {
        let pixels = "[0,0,0,255,255,255,255,255,9,8,7,255,1,2,3,255]";
        vec![
            ("init", br#"{"type":"init","short":"/m/short.onnx","full":"/m/full.onnx"}"#.to_vec()),
            ("frame", format!(r#"{{"type":"frame","id":1,"width":2,"height":2,"data":{pixels}}}"#).into_bytes()),
            ("faces", format!(r#"{{"type":"faces","id":2,"width":4,"height":1,"data":{pixels}}}"#).into_bytes()),
            (
                "identity",
                format!(
                    r#"{{"type":"identity","id":3,"embedder":"/m/e.onnx","id_photo":{{"width":2,"height":2,"data":{pixels}}},"face_photo":{{"width":1,"height":4,"data":{pixels}}}}}"#
                )
                .into_bytes(),
            ),
            ("profile", format!(r#"{{"type":"profile","id":4,"width":2,"height":2,"data":{pixels},"runs":3}}"#).into_bytes()),
        ]
    });
    let Ok(header) = serde_json::from_slice::<RequestHeader>(data) else {
        return;
    };
    let Some(kind) = header.kind.as_deref() else {
        return;
    };
    let mut message = serde_json::Deserializer::from_slice(data);
    match Request::<Vec<u8>>::from_kind(kind, &mut message) {
        Ok(Request::Frame(r) | Request::Faces(r)) => check(r.width, r.height, &r.data),
        Ok(Request::Profile(r)) => check(r.width, r.height, &r.data),
        Ok(Request::Identity(r)) => {
            check(r.id_photo.width, r.id_photo.height, &r.id_photo.data);
            check(r.face_photo.width, r.face_photo.height, &r.face_photo.data);
        }
        Ok(Request::Init(_)) | Err(_) => {}
    }
});
