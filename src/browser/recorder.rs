//! Recording the camera with MediaRecorder (the room scan).
//!
//! The recorder writes a chunk every second; when the requested duration
//! has passed it stops, and the chunks are joined into one WebM blob whose
//! bytes are returned, to be hashed and stored like any other media.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobEvent, HtmlVideoElement, MediaRecorder, MediaRecorderOptions, MediaStream,
};

use crate::browser::camera;

/// Container chosen when the browser supports it (Chromium and Firefox do).
pub const MIME_TYPE: &str = "video/webm";
/// Video bit rate asked of the recorder: a 20 s scan stays around 1 MB.
pub const BITS_PER_SECOND: u32 = 400_000;

/// Records the stream shown in `video` for `duration_ms` and returns the bytes.
pub async fn record(video: &HtmlVideoElement, duration_ms: u32) -> Result<Vec<u8>, String> {
    let stream: MediaStream = video
        .src_object()
        .and_then(|s| s.dyn_into().ok())
        .ok_or("no camera stream")?;
    let options = MediaRecorderOptions::new();
    if MediaRecorder::is_type_supported(MIME_TYPE) {
        options.set_mime_type(MIME_TYPE);
    }
    options.set_video_bits_per_second(BITS_PER_SECOND);
    let recorder =
        MediaRecorder::new_with_media_stream_and_media_recorder_options(&stream, &options)
            .map_err(|e| format!("MediaRecorder: {e:?}"))?;

    let chunks: Rc<RefCell<Vec<Blob>>> = Rc::default();
    let sink = chunks.clone();
    let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |e: BlobEvent| {
        if let Some(blob) = e.data() {
            sink.borrow_mut().push(blob);
        }
    });
    recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
    let stopped = js_sys::Promise::new(&mut |resolve, _reject| {
        recorder.set_onstop(Some(&resolve));
    });
    recorder
        .start_with_time_slice(1000)
        .map_err(|e| format!("start: {e:?}"))?;
    camera::pause_ms(duration_ms).await;
    recorder.stop().map_err(|e| format!("stop: {e:?}"))?;
    JsFuture::from(stopped)
        .await
        .map_err(|e| format!("{e:?}"))?;
    recorder.set_ondataavailable(None);
    drop(on_data);

    let parts = js_sys::Array::new();
    for chunk in chunks.borrow().iter() {
        parts.push(chunk);
    }
    let blob = Blob::new_with_blob_sequence(&parts).map_err(|e| format!("{e:?}"))?;
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if bytes.is_empty() {
        return Err("the recording is empty".into());
    }
    Ok(bytes)
}
