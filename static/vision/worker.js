// Entry of Vigil's vision worker (a module worker, started by the app's
// src/browser/vision.rs). It only loads the wasm that wasm-bindgen made
// from crates/vision-worker; the wasm's start function installs the message
// handler and posts {"type":"loaded"}, after which the app sends "init".
import init from "./vigil_vision_worker.js";

init({ module_or_path: new URL("./vigil_vision_worker_bg.wasm", import.meta.url) }).catch((e) => {
  self.postMessage(JSON.stringify({ type: "failed", error: `wasm: ${e}` }));
});
