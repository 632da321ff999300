//! The kernels against `reference` on random inputs, on shapes chosen to
//! reach every path: vector bodies, 4-wide and scalar tails (widths and
//! pixel counts that are not multiples of 8 or 4), output channels that
//! are not a multiple of 4, residuals with fewer channels, each activation,
//! each kernel size, stride and padding.
//!
//! The same file runs natively (`cargo test`, the portable lanes) and in
//! headless Chromium (`cargo xtask test` builds it for wasm32 twice: with
//! `simd128`, and with `simd128` + `relaxed-simd`), so the browser's vector
//! code is what is checked there. Each run prints which lanes it used.

// Tests may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use vigil_kernels::{
    activate, max_pool_2x2, reference, upsample_2x, Activation, Dense, Depthwise, Pointwise, LANES,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A deterministic pseudo-random sequence in [-1, 1) (xorshift).
struct Rng(u64);

impl Rng {
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }
}

/// Largest difference, scaled down where the values are above 1 (sums of
/// up to 128 products of values in [-1, 1]).
fn diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

#[test]
fn lanes_in_use() {
    // Printed so a run's log says which build it checked.
    println!("vigil-kernels lanes: {LANES}");
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    assert!(LANES.starts_with("wasm simd128"));
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    assert_eq!(LANES, "wasm simd128 + relaxed-simd");
}

#[test]
fn pointwise_matches_the_reference() {
    let mut rng = Rng(0x9e37_79b9);
    for (ci, co, pixels) in [
        (24, 24, 64),
        (24, 28, 35),
        (3, 5, 12),
        (42, 48, 256),
        (16, 7, 13),
        (96, 96, 64),
        (1, 1, 1),
    ] {
        for cr in [None, Some(ci.min(co)), Some(co)] {
            for activation in [
                Activation::None,
                Activation::Relu,
                Activation::PRelu(rng.vec(co)),
            ] {
                let weights = rng.vec(ci * co);
                let bias = rng.vec(co);
                let x = rng.vec(ci * pixels);
                let res = cr.map(|cr| (rng.vec(cr * pixels), cr));
                let residual = res.as_ref().map(|(r, cr)| (r.as_slice(), *cr));
                let k = Pointwise::new(ci, co, &weights, bias.clone(), activation.clone());
                let mut out = vec![f32::NAN; co * pixels];
                k.run(pixels, &x, residual, &mut out);
                let want = reference::pointwise(
                    ci,
                    co,
                    &weights,
                    &bias,
                    &activation,
                    pixels,
                    &x,
                    residual,
                );
                let d = diff(&out, &want);
                assert!(
                    d <= 1e-5,
                    "{ci}→{co} × {pixels} px, residual {cr:?}, {activation:?}: {d}"
                );
            }
        }
    }
}

#[test]
fn depthwise_matches_the_reference() {
    let mut rng = Rng(0x1234_5678);
    for (k, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
        for (c, h, w) in [(3, 8, 8), (5, 13, 7), (8, 16, 21), (2, 9, 33), (4, 64, 64)] {
            for pad in [
                [1, 1, 1, 1],
                [0, 0, 1, 1],
                [2, 2, 2, 2],
                [0, 1, 2, 0],
                [0; 4],
            ] {
                let d = Depthwise {
                    channels: c,
                    k,
                    stride,
                    pad,
                    weights: rng.vec(c * k * k),
                    bias: rng.vec(c),
                };
                let Some((oh, ow)) = d.output_size(h, w) else {
                    continue;
                };
                let x = rng.vec(c * h * w);
                let mut out = vec![f32::NAN; c * oh * ow];
                d.run(h, w, &x, &mut out);
                let got = diff(&out, &reference::depthwise(&d, h, w, &x));
                assert!(
                    got <= 1e-5,
                    "{k}×{k}/{stride} pad {pad:?} on {c}×{h}×{w}: {got}"
                );
            }
        }
    }
}

#[test]
fn dense_matches_the_reference() {
    let mut rng = Rng(0x0bad_cafe);
    for (k, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
        // The three models' first layers (3 → 24, 32, 16 on 128 or 192
        // px), then widths and channel counts that reach every tail.
        for (ci, co, h, w) in [
            (3, 24, 32, 32),
            (3, 16, 24, 24),
            (1, 5, 9, 13),
            (4, 7, 11, 21),
            (2, 4, 8, 33),
            (3, 3, 6, 10),
        ] {
            for pad in [[1, 1, 1, 1], [1, 1, 2, 2], [0; 4], [2, 0, 1, 2]] {
                for activation in [
                    Activation::None,
                    Activation::Relu,
                    Activation::PRelu(rng.vec(co)),
                ] {
                    let weights = rng.vec(co * ci * k * k);
                    let d = Dense::new(ci, co, k, stride, pad, &weights, rng.vec(co), activation);
                    let Some((oh, ow)) = d.output_size(h, w) else {
                        continue;
                    };
                    let x = rng.vec(ci * h * w);
                    let mut out = vec![f32::NAN; co * oh * ow];
                    d.run(h, w, &x, &mut out);
                    let got = diff(&out, &reference::dense(&d, &weights, h, w, &x));
                    assert!(
                        got <= 1e-5,
                        "{ci}→{co} {k}×{k}/{stride} pad {pad:?} on {h}×{w}, {:?}: {got}",
                        d.activation
                    );
                }
            }
        }
    }
    // The real first layers' sizes, once each.
    for (co, k, h, pad) in [
        (24, 5, 128, [1, 1, 2, 2]),
        (32, 3, 192, [0, 0, 1, 1]),
        (16, 3, 192, [0, 0, 1, 1]),
    ] {
        let weights = rng.vec(co * 3 * k * k);
        let d = Dense::new(3, co, k, 2, pad, &weights, rng.vec(co), Activation::Relu);
        let (oh, ow) = d.output_size(h, h).unwrap();
        assert_eq!((oh, ow), (h / 2, h / 2));
        let x = rng.vec(3 * h * h);
        let mut out = vec![f32::NAN; co * oh * ow];
        d.run(h, h, &x, &mut out);
        let got = diff(&out, &reference::dense(&d, &weights, h, h, &x));
        assert!(got <= 1e-5, "3→{co} {k}×{k} on {h}×{h}: {got}");
    }
}

#[test]
fn max_pool_matches_the_reference() {
    let mut rng = Rng(42);
    for (c, h, w) in [(3, 8, 8), (5, 6, 14), (2, 2, 2), (4, 32, 10), (1, 4, 18)] {
        let x = rng.vec(c * h * w);
        let mut out = vec![f32::NAN; c * h * w / 4];
        max_pool_2x2(c, h, w, &x, &mut out);
        assert_eq!(out, reference::max_pool_2x2(c, h, w, &x), "{c}×{h}×{w}");
    }
}

#[test]
fn upsample_matches_the_reference() {
    let mut rng = Rng(7);
    // Widths below, at and above one vector, with scalar tails; planes of
    // one row or one column (both edges are the same input).
    for (c, h, w) in [
        (3, 6, 6),
        (2, 12, 12),
        (1, 1, 1),
        (2, 1, 9),
        (2, 7, 1),
        (5, 3, 4),
        (4, 24, 24),
        (1, 5, 13),
    ] {
        let x = rng.vec(c * h * w);
        let mut out = vec![f32::NAN; c * 4 * h * w];
        upsample_2x(c, h, w, &x, &mut out);
        let d = diff(&out, &reference::upsample_2x(c, h, w, &x));
        assert!(d <= 1e-6, "{c}×{h}×{w}: off by {d}");
    }
}

#[test]
fn activation_alone_matches_the_reference() {
    let mut rng = Rng(13);
    for (c, pixels) in [(16, 9216), (3, 7), (5, 1), (4, 12)] {
        let x = rng.vec(c * pixels);
        for a in [
            Activation::Relu,
            Activation::PRelu(rng.vec(c)),
            Activation::None,
        ] {
            let mut out = vec![f32::NAN; c * pixels];
            activate(&a, c, pixels, &x, &mut out);
            assert_eq!(
                out,
                reference::activate(&a, c, pixels, &x),
                "{c}×{pixels} {a:?}"
            );
        }
    }
}
