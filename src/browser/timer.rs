//! Timers (gloo-timers): a pause for async code, an interval that stops
//! when its handle is dropped, and a task that stops when its handle is
//! dropped. Hooks hold these handles in their effects, so leaving a screen
//! stops its timers and loops without an "alive" flag to forget.

use std::future::Future;

use futures_util::future::{abortable, AbortHandle};
use gloo_timers::callback::Interval;

/// Waits `ms` milliseconds.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Calls `f` every `ms` milliseconds until dropped.
pub struct Every(#[allow(dead_code)] Interval);

pub fn every(ms: u32, f: impl FnMut() + 'static) -> Every {
    Every(Interval::new(ms, f))
}

/// A background task (a sync loop, a download loop) that stops at its next
/// await once this handle is dropped.
pub struct Task(AbortHandle);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `f` in the background until the returned handle is dropped.
pub fn spawn(f: impl Future<Output = ()> + 'static) -> Task {
    let (f, handle) = abortable(f);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = f.await;
    });
    Task(handle)
}
