// Which build of Vigil's vision worker this browser runs: the one with
// relaxed SIMD (one fused multiply-add per lane in the convolution kernels,
// crates/kernels) where the engine validates a relaxed-SIMD instruction,
// else the simd128 one. Each candidate downloads only the build picked.
// Kept apart from worker.js so a page can test the choice itself.

// The smallest module that uses f32x4.relaxed_madd (0xfd 0x105): a
// function () -> v128 { relaxed_madd(const 0, const 0, const 0) }.
// WebAssembly.validate accepts it exactly where relaxed SIMD is enabled
// (checked with Node 20: false, and true with --experimental-wasm-relaxed-simd).
const v128zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
export const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...v128zero, ...v128zero, ...v128zero,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

// The builds, by name, and where each one's files are, relative to
// worker.js.
export const BUILDS = { simd128: "./", relaxed: "./relaxed/" };

// `validate` is WebAssembly.validate (a parameter so a test can stand in
// for an engine without relaxed SIMD); `forced` a build's name from the
// worker's URL (`worker.js?build=simd128`, the benchmark's), or null.
export function pickBuild(validate, forced) {
  if (Object.hasOwn(BUILDS, forced ?? "")) return forced;
  return validate(RELAXED_PROBE) ? "relaxed" : "simd128";
}
