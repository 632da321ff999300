// Entry of Vigil's vision worker (a module worker, started by the app's
// src/browser/vision.rs). It picks the build this browser runs (pick.js:
// relaxed SIMD where the engine has it, else simd128), loads that build's
// wasm-bindgen glue and wasm, and nothing else: the wasm's start function
// installs the message handler and posts {"type":"loaded"}, after which the
// app sends "init" (the "ready" answer names the lanes the build uses).
import { BUILDS, pickBuild } from "./pick.js";

const build = pickBuild((bytes) => WebAssembly.validate(bytes), new URL(import.meta.url).searchParams.get("build"));
const dir = new URL(BUILDS[build], import.meta.url);

import(new URL("vigil_vision_worker.js", dir).href)
  .then(({ default: init }) => init({ module_or_path: new URL("vigil_vision_worker_bg.wasm", dir) }))
  .catch((e) => {
    self.postMessage(JSON.stringify({ type: "failed", error: `wasm (${build}): ${e}` }));
  });
