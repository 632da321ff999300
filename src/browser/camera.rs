//! The camera: open it, show it in a `<video>`, measure its frames, stop it.
//!
//! An open camera is a [`Camera`], which stops its tracks when dropped, so
//! a screen or a loop that goes away (its task dropped at an await) turns
//! the camera light off without a flag to check. Asking for a device is
//! safe to abandon too: [`user_media`] runs the browser's request on its
//! own, and a stream granted after its caller is gone is stopped at once.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream,
    MediaStreamConstraints,
};

use crate::browser::vision::Pixels;
use crate::checks;

/// The handles screens hold (the `<video>` element, the open stream),
/// re-exported so that screens name them without importing web-sys.
pub use web_sys::{HtmlVideoElement as Video, MediaStream as Stream};

/// Waits `ms` milliseconds (between frame samples).
pub async fn pause_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Why the camera could not be opened, in the browser's words
/// (`NotAllowedError`, `NotFoundError`, `NotReadableError`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraError(pub String);

/// An open camera stream; dropping it stops its tracks.
pub struct Camera(MediaStream);

impl std::ops::Deref for Camera {
    type Target = MediaStream;
    fn deref(&self) -> &MediaStream {
        &self.0
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        stop(&self.0);
    }
}

/// Asks for the camera (video only); the browser may prompt the candidate.
pub async fn open() -> Result<Camera, CameraError> {
    user_media(true, false).await.map(Camera)
}

/// `getUserMedia` for the camera and/or the microphone. The request runs
/// in its own task: if the caller is dropped while the browser asks (the
/// candidate left the screen), the stream it grants later is stopped
/// instead of staying open with nobody to close it.
pub async fn user_media(video: bool, audio: bool) -> Result<MediaStream, CameraError> {
    let (tx, rx) = futures_channel::oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(Ok(orphan)) = tx.send(request_media(video, audio).await) {
            stop(&orphan);
        }
    });
    rx.await
        .unwrap_or_else(|_| Err(CameraError("request dropped".into())))
}

async fn request_media(video: bool, audio: bool) -> Result<MediaStream, CameraError> {
    let window = web_sys::window().ok_or_else(|| CameraError("no window".into()))?;
    let devices = window
        .navigator()
        .media_devices()
        .map_err(|_| CameraError("mediaDevices unavailable".into()))?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::from_bool(video));
    constraints.set_audio(&JsValue::from_bool(audio));
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| CameraError(error_name(&e)))?;
    let stream = JsFuture::from(promise)
        .await
        .map_err(|e| CameraError(error_name(&e)))?;
    stream
        .dyn_into::<MediaStream>()
        .map_err(|_| CameraError("not a MediaStream".into()))
}

fn error_name(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_else(|| "Error".into())
}

/// Shows the stream in the element (muted, inline, playing).
pub fn attach(video: &HtmlVideoElement, stream: &MediaStream) {
    video.set_muted(true);
    video.set_autoplay(true);
    let _ = video.set_attribute("playsinline", "");
    video.set_src_object(Some(stream));
    let _ = video.play();
}

/// Stops every track, which turns the camera light off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// A fresh `w`×`h` canvas and its 2D context.
fn canvas(w: u32, h: u32) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas: HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}

/// The canvas's pixels, left in a JavaScript array (never copied into wasm).
fn pixels_of(ctx: &CanvasRenderingContext2d, w: u32, h: u32) -> Option<Pixels> {
    let image = ctx.get_image_data(0.0, 0.0, w.into(), h.into()).ok()?;
    let data = js_sys::Reflect::get(&image, &"data".into())
        .ok()?
        .dyn_into::<js_sys::Uint8ClampedArray>()
        .ok()?;
    Some(Pixels {
        width: w,
        height: h,
        data,
    })
}

/// The current frame scaled to `w`×`h` on a fresh canvas.
fn draw_frame(
    video: &HtmlVideoElement,
    w: u32,
    h: u32,
) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let (canvas, ctx) = canvas(w, h)?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w.into(), h.into())
        .ok()?;
    Some((canvas, ctx))
}

/// Mean luma of the current frame, from a 64×48 copy; `None` while no
/// frame has arrived.
pub fn frame_luma(video: &HtmlVideoElement) -> Option<f64> {
    if video.video_width() == 0 || video.video_height() == 0 {
        return None;
    }
    let (w, h) = (64u32, 48u32);
    let (_, ctx) = draw_frame(video, w, h)?;
    let data = ctx
        .get_image_data(0.0, 0.0, w.into(), h.into())
        .ok()?
        .data();
    checks::mean_luma(&data)
}

/// Largest width of a stored photo; larger frames are scaled down.
pub const PHOTO_MAX_WIDTH: u32 = 640;
/// JPEG quality of stored photos.
pub const PHOTO_QUALITY: f64 = 0.85;

/// JPEG quality of evidence stills (small: one is kept per incident).
pub const STILL_QUALITY: f64 = 0.7;

/// The current frame scaled to at most `max_width` pixels wide: its pixels
/// for the vision worker (left in a JavaScript array, never copied into
/// wasm), and with `still` its JPEG too. `None` while no frame has arrived.
pub fn sample(video: &HtmlVideoElement, max_width: u32, still: bool) -> Option<Sample> {
    let (vw, vh) = (video.video_width(), video.video_height());
    if vw == 0 || vh == 0 {
        return None;
    }
    let w = vw.min(max_width);
    let h = ((f64::from(vh) * f64::from(w) / f64::from(vw)).round() as u32).max(1);
    let (canvas, ctx) = draw_frame(video, w, h)?;
    let pixels = pixels_of(&ctx, w, h)?;
    let still = if still {
        Some(jpeg_bytes(&canvas, STILL_QUALITY)?)
    } else {
        None
    };
    Some(Sample { pixels, still })
}

/// A stored JPEG decoded back to pixels, at most `max_width` wide (the
/// identity photos, compared by the vision worker).
pub async fn jpeg_pixels(bytes: &[u8], max_width: u32) -> Option<Pixels> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/jpeg");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    let bitmap = web_sys::window()?
        .create_image_bitmap_with_blob(&blob)
        .ok()?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(bitmap).await.ok()?.dyn_into().ok()?;
    let (bw, bh) = (bitmap.width(), bitmap.height());
    if bw == 0 || bh == 0 {
        return None;
    }
    let w = bw.min(max_width);
    let h = ((f64::from(bh) * f64::from(w) / f64::from(bw)).round() as u32).max(1);
    let (_, ctx) = canvas(w, h)?;
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w.into(), h.into())
        .ok()?;
    bitmap.close();
    pixels_of(&ctx, w, h)
}

/// A sampled frame (see [`sample`]).
pub struct Sample {
    pub pixels: Pixels,
    pub still: Option<Vec<u8>>,
}

fn jpeg_bytes(canvas: &HtmlCanvasElement, quality: f64) -> Option<Vec<u8>> {
    let url = canvas
        .to_data_url_with_type_and_encoder_options("image/jpeg", &quality.into())
        .ok()?;
    decode_data_url(&url)
}

fn decode_data_url(url: &str) -> Option<Vec<u8>> {
    let b64 = url.strip_prefix("data:image/jpeg;base64,")?;
    let binary = web_sys::window()?.atob(b64).ok()?;
    // `atob` yields one char per byte (Latin-1).
    Some(binary.chars().map(|c| c as u32 as u8).collect())
}

/// Whether the stream's video track is still live (a camera unplugged or
/// taken by another program ends it).
pub fn is_live(stream: &MediaStream) -> bool {
    stream.get_video_tracks().iter().any(|t| {
        t.dyn_into::<web_sys::MediaStreamTrack>()
            .is_ok_and(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live)
    })
}

/// A video element off the page, playing `stream` (the exam's camera: the
/// frames are needed, not a picture on screen).
pub fn offscreen_video(stream: &MediaStream) -> Option<HtmlVideoElement> {
    let video: HtmlVideoElement = web_sys::window()?
        .document()?
        .create_element("video")
        .ok()?
        .dyn_into()
        .ok()?;
    attach(&video, stream);
    Some(video)
}

/// A captured still: the JPEG bytes, and a `data:` URL to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub bytes: Vec<u8>,
    pub data_url: String,
}

/// The current frame as a JPEG (at most [`PHOTO_MAX_WIDTH`] wide), or
/// `None` while no frame has arrived.
pub fn capture_jpeg(video: &HtmlVideoElement) -> Option<Photo> {
    let (vw, vh) = (video.video_width(), video.video_height());
    if vw == 0 || vh == 0 {
        return None;
    }
    let w = vw.min(PHOTO_MAX_WIDTH);
    let h = (f64::from(vh) * f64::from(w) / f64::from(vw)).round() as u32;
    let (canvas, _) = draw_frame(video, w, h)?;
    let url = canvas
        .to_data_url_with_type_and_encoder_options("image/jpeg", &PHOTO_QUALITY.into())
        .ok()?;
    let bytes = decode_data_url(&url)?;
    Some(Photo {
        bytes,
        data_url: url,
    })
}
