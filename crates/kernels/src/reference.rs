//! The same operations written the obvious way, one output element at a
//! time from its definition: what the vector kernels are tested against on
//! every build (natively, and in Chromium with simd128 and with relaxed
//! SIMD). `vigil-vision`'s tests hold the kernels, through tract, to
//! tract's own operators as well.

use crate::{Activation, Dense, Depthwise};

fn activate_one(a: &Activation, c: usize, x: f32) -> f32 {
    match a {
        Activation::None => x,
        Activation::Relu => {
            if x > 0.0 {
                x
            } else {
                0.0
            }
        }
        Activation::PRelu(alpha) => {
            if x < 0.0 {
                alpha[c] * x
            } else {
                x
            }
        }
    }
}

/// `weights` `[co][ci]`; `x` `[ci][pixels]`; `residual` `[cr][pixels]`.
#[allow(clippy::too_many_arguments)]
pub fn pointwise(
    ci: usize,
    co: usize,
    weights: &[f32],
    bias: &[f32],
    activation: &Activation,
    pixels: usize,
    x: &[f32],
    residual: Option<(&[f32], usize)>,
) -> Vec<f32> {
    let mut out = vec![0.0; co * pixels];
    for o in 0..co {
        for p in 0..pixels {
            let mut acc = bias[o];
            for i in 0..ci {
                acc += weights[o * ci + i] * x[i * pixels + p];
            }
            if let Some((r, cr)) = residual {
                if o < cr {
                    acc += r[o * pixels + p];
                }
            }
            out[o * pixels + p] = activate_one(activation, o, acc);
        }
    }
    out
}

/// `x` `[channels][h][w]`.
pub fn depthwise(d: &Depthwise, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let Some((oh, ow)) = d.output_size(h, w) else {
        return Vec::new();
    };
    let k = d.k;
    let mut out = vec![0.0; d.channels * oh * ow];
    for c in 0..d.channels {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = d.bias[c];
                for ky in 0..k {
                    for kx in 0..k {
                        let y = (oy * d.stride + ky) as isize - d.pad[0] as isize;
                        let xx = (ox * d.stride + kx) as isize - d.pad[1] as isize;
                        if y >= 0 && xx >= 0 && (y as usize) < h && (xx as usize) < w {
                            acc += d.weights[(c * k + ky) * k + kx]
                                * x[(c * h + y as usize) * w + xx as usize];
                        }
                    }
                }
                out[(c * oh + oy) * ow + ox] = acc;
            }
        }
    }
    out
}

/// `x` `[channels][h][w]`, `h` and `w` even.
pub fn max_pool_2x2(channels: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = (h / 2, w / 2);
    let mut out = vec![0.0; channels * oh * ow];
    for c in 0..channels {
        for oy in 0..oh {
            for ox in 0..ow {
                let at = |dy: usize, dx: usize| x[(c * h + 2 * oy + dy) * w + 2 * ox + dx];
                out[(c * oh + oy) * ow + ox] = [at(0, 1), at(1, 0), at(1, 1)]
                    .into_iter()
                    .fold(at(0, 0), f32::max);
            }
        }
    }
    out
}

/// `x` `[channels][h][w]` → `[channels][2h][2w]`: each output at its
/// half-pixel source coordinate `(o + ½)/2 − ½`, clamped into the plane,
/// from the two nearest inputs along each axis.
pub fn upsample_2x(channels: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    // The two inputs and their weights for output index `o` of an axis of
    // `n` inputs.
    let taps = |o: usize, n: usize| {
        let src = ((o as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (n - 1) as f32);
        let lo = src.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let f = src - lo as f32;
        [(lo, 1.0 - f), (hi, f)]
    };
    let mut out = vec![0.0; channels * 4 * h * w];
    for c in 0..channels {
        for oy in 0..2 * h {
            for ox in 0..2 * w {
                let mut acc = 0.0;
                for (y, wy) in taps(oy, h) {
                    for (xx, wx) in taps(ox, w) {
                        acc += wy * wx * x[(c * h + y) * w + xx];
                    }
                }
                out[(c * 2 * h + oy) * 2 * w + ox] = acc;
            }
        }
    }
    out
}

/// `x` `[channels][pixels]`.
pub fn activate(a: &Activation, channels: usize, pixels: usize, x: &[f32]) -> Vec<f32> {
    (0..channels * pixels)
        .map(|i| activate_one(a, i / pixels, x[i]))
        .collect()
}

/// `d`'s convolution from its definition, with `weights` the OIHW weights
/// `d` was made from; `x` `[inputs][h][w]`.
pub fn dense(d: &Dense, weights: &[f32], h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let Some((oh, ow)) = d.output_size(h, w) else {
        return Vec::new();
    };
    let (k, ci) = (d.k, d.inputs);
    let mut out = vec![0.0; d.outputs * oh * ow];
    for o in 0..d.outputs {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = d.bias[o];
                for c in 0..ci {
                    for ky in 0..k {
                        for kx in 0..k {
                            let y = (oy * d.stride + ky) as isize - d.pad[0] as isize;
                            let xx = (ox * d.stride + kx) as isize - d.pad[1] as isize;
                            if y >= 0 && xx >= 0 && (y as usize) < h && (xx as usize) < w {
                                acc += weights[((o * ci + c) * k + ky) * k + kx]
                                    * x[(c * h + y as usize) * w + xx as usize];
                            }
                        }
                    }
                }
                out[(o * oh + oy) * ow + ox] = activate_one(&d.activation, o, acc);
            }
        }
    }
    out
}
