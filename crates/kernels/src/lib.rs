//! vigil-kernels: the convolution kernels BlazeFace and the face mesh spend
//! their time in, written for wasm `simd128` (see `lanes`) and registered
//! with tract by `vigil_vision::fuse`.
//!
//! Why our own: tract runs a 1×1 convolution as a matrix product that
//! first packs the activations into its kernel's panel layout, then adds
//! the bias, the residual and the ReLU as three more passes over memory,
//! and it pads and pools in separate operators too. These models are NCHW
//! with small channel counts (16 to 128) and planes of 64 to 9 216 pixels,
//! where a channel's plane is already the layout a 4-lane kernel wants:
//!
//! - [`pointwise`]: `out[o] = act(bias[o] + Σᵢ w[o][i]·x[i] + res[o])`,
//!   4 output channels × 8 pixels of accumulators, weights broadcast from
//!   a pre-packed panel, the activations read in place (no packing), the
//!   bias, the residual (with fewer channels than the output: BlazeFace's
//!   zero channel padding, which then is never materialised) and the
//!   activation (ReLU or per-channel PReLU) applied in registers before
//!   the one store of whole vectors.
//! - [`depthwise`]: k×k (3 or 5), stride 1 or 2, one channel at a time
//!   through a zero-bordered copy of its plane, so the padding costs one
//!   copy of the plane instead of an operator and a whole padded tensor,
//!   and the inner loop has no border tests.
//! - [`Dense`]: a k×k convolution over the image's few channels (each
//!   model's first layer), through zero-bordered planes split by column
//!   phase so that a stride-2 tap is a plain load; 4 output channels × 8
//!   pixels of accumulators and the activation before the store, where
//!   tract pads, unrolls the image into patches (im2col) and multiplies.
//! - [`max_pool_2x2`]: 2×2, stride 2, two rows at a time.
//! - [`activate`]: an activation on its own, one pass (the PReLU after the
//!   face mesh's first convolution, which tract runs as a test, a product
//!   and a select, three passes and two temporary tensors).
//! - [`upsample_2x`]: bilinear 2× upsampling with half-pixel centres (the
//!   full-range detector's feature pyramid), a fixed ¼–¾ stencil in each
//!   direction; tract's general `Resize` builds its sampling plan and
//!   gathers element by element on every run.
//!
//! All of them take NCHW with a batch of one (the caller checks), write
//! every output element exactly once, and have a scalar tail for widths
//! that are not a multiple of the vector width.

mod lanes;
pub mod reference;

use lanes::F4;
pub use lanes::LANES;

/// What is applied to each output element last.
#[derive(Debug, Clone, PartialEq)]
pub enum Activation {
    None,
    /// `max(x, 0)`.
    Relu,
    /// `x` if `x ≥ 0`, else `alpha[channel] · x`.
    PRelu(Vec<f32>),
}

impl Activation {
    #[inline(always)]
    fn scalar(&self, c: usize, x: f32) -> f32 {
        match self {
            Activation::None => x,
            Activation::Relu => x.max(0.0),
            Activation::PRelu(a) => {
                if x < 0.0 {
                    x * a[c]
                } else {
                    x
                }
            }
        }
    }

    #[inline(always)]
    fn lanes(&self, c: usize, x: F4) -> F4 {
        match self {
            Activation::None => x,
            Activation::Relu => x.max(F4::splat(0.0)),
            Activation::PRelu(a) => {
                let zero = F4::splat(0.0);
                // max(x, 0) + alpha·min(x, 0)
                x.min(zero).mul_add(F4::splat(a[c]), x.max(zero))
            }
        }
    }
}

/// A 1×1 convolution with its epilogue, weights pre-packed.
#[derive(Debug, Clone, PartialEq)]
pub struct Pointwise {
    pub inputs: usize,
    pub outputs: usize,
    /// `[outputs / 4][inputs][4]`, then the last `outputs % 4` rows as
    /// `[o][inputs]`.
    packed: Vec<f32>,
    pub bias: Vec<f32>,
    pub activation: Activation,
}

impl Pointwise {
    /// `weights` is `[outputs][inputs]` (row-major), `bias` `[outputs]`.
    pub fn new(
        inputs: usize,
        outputs: usize,
        weights: &[f32],
        bias: Vec<f32>,
        activation: Activation,
    ) -> Pointwise {
        assert_eq!(
            weights.len(),
            inputs * outputs,
            "weights are [outputs][inputs]"
        );
        assert_eq!(bias.len(), outputs, "one bias per output channel");
        if let Activation::PRelu(a) = &activation {
            assert_eq!(a.len(), outputs, "one PReLU slope per output channel");
        }
        let full = outputs / 4 * 4;
        let mut packed = Vec::with_capacity(weights.len());
        for ob in (0..full).step_by(4) {
            for i in 0..inputs {
                for j in 0..4 {
                    packed.push(weights[(ob + j) * inputs + i]);
                }
            }
        }
        packed.extend_from_slice(&weights[full * inputs..]);
        Pointwise {
            inputs,
            outputs,
            packed,
            bias,
            activation,
        }
    }

    /// `x` is `[inputs][pixels]`; `residual`, if any, is `[r][pixels]` with
    /// `r ≤ outputs` and is added to the first `r` output channels; `out`
    /// is `[outputs][pixels]`.
    pub fn run(
        &self,
        pixels: usize,
        x: &[f32],
        residual: Option<(&[f32], usize)>,
        out: &mut [f32],
    ) {
        let (ci, co) = (self.inputs, self.outputs);
        // The bounds every unchecked load and store below relies on.
        assert_eq!(x.len(), ci * pixels);
        assert_eq!(out.len(), co * pixels);
        let (res, cr) = residual.unwrap_or((&[], 0));
        assert!(cr <= co && res.len() == cr * pixels);
        let full = co / 4 * 4;
        let p8 = pixels / 8 * 8;
        let p4 = pixels / 4 * 4;
        let w = &self.packed;
        for p in (0..p8).step_by(8) {
            for ob in (0..full).step_by(4) {
                let panel = &w[ob * ci..(ob + 4) * ci];
                let mut acc = [[F4::splat(0.0); 2]; 4];
                for (j, a) in acc.iter_mut().enumerate() {
                    let b = F4::splat(self.bias[ob + j]);
                    *a = [b, b];
                }
                for i in 0..ci {
                    // SAFETY: i < ci and p + 8 <= pixels, so both loads
                    // are inside x (ci·pixels).
                    let (x0, x1) =
                        unsafe { (F4::load(x, i * pixels + p), F4::load(x, i * pixels + p + 4)) };
                    for (j, a) in acc.iter_mut().enumerate() {
                        let wj = F4::splat(panel[i * 4 + j]);
                        a[0] = wj.mul_add(x0, a[0]);
                        a[1] = wj.mul_add(x1, a[1]);
                    }
                }
                for (j, a) in acc.iter().enumerate() {
                    let o = ob + j;
                    self.store(o, p, *a, res, cr, pixels, out);
                }
            }
            for o in full..co {
                let row = &w[full * ci + (o - full) * ci..][..ci];
                let b = F4::splat(self.bias[o]);
                let mut a = [b, b];
                for (i, &wi) in row.iter().enumerate() {
                    let wi = F4::splat(wi);
                    // SAFETY: as above.
                    let (x0, x1) =
                        unsafe { (F4::load(x, i * pixels + p), F4::load(x, i * pixels + p + 4)) };
                    a[0] = wi.mul_add(x0, a[0]);
                    a[1] = wi.mul_add(x1, a[1]);
                }
                self.store(o, p, a, res, cr, pixels, out);
            }
        }
        // Tails: four pixels, then one at a time.
        for p in (p8..p4).step_by(4) {
            for o in 0..co {
                let mut a = F4::splat(self.bias[o]);
                for i in 0..ci {
                    // SAFETY: p + 4 <= pixels.
                    a = F4::splat(self.weight(o, i))
                        .mul_add(unsafe { F4::load(x, i * pixels + p) }, a);
                }
                if o < cr {
                    // SAFETY: o < cr and p + 4 <= pixels.
                    a = a.add(unsafe { F4::load(res, o * pixels + p) });
                }
                // SAFETY: o < co and p + 4 <= pixels.
                unsafe { self.activation.lanes(o, a).store(out, o * pixels + p) };
            }
        }
        for p in p4..pixels {
            for o in 0..co {
                let mut a = self.bias[o];
                for i in 0..ci {
                    a += self.weight(o, i) * x[i * pixels + p];
                }
                if o < cr {
                    a += res[o * pixels + p];
                }
                out[o * pixels + p] = self.activation.scalar(o, a);
            }
        }
    }

    fn weight(&self, o: usize, i: usize) -> f32 {
        let full = self.outputs / 4 * 4;
        if o < full {
            self.packed[(o / 4) * 4 * self.inputs + i * 4 + o % 4]
        } else {
            self.packed[full * self.inputs + (o - full) * self.inputs + i]
        }
    }

    /// The epilogue of 8 pixels of output channel `o`: residual,
    /// activation, two whole-vector stores.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        o: usize,
        p: usize,
        a: [F4; 2],
        res: &[f32],
        cr: usize,
        pixels: usize,
        out: &mut [f32],
    ) {
        let [mut a0, mut a1] = a;
        let at = o * pixels + p;
        if o < cr {
            // SAFETY: o < cr and p + 8 <= pixels (callers), res is cr·pixels.
            unsafe {
                a0 = a0.add(F4::load(res, at));
                a1 = a1.add(F4::load(res, at + 4));
            }
        }
        // SAFETY: o < co and p + 8 <= pixels, out is co·pixels.
        unsafe {
            self.activation.lanes(o, a0).store(out, at);
            self.activation.lanes(o, a1).store(out, at + 4);
        }
    }
}

/// The output plane of a k×k convolution with `stride` and `pad` (top,
/// left, bottom, right) over an `h`×`w` plane; `None` if the padded plane
/// is smaller than the kernel.
fn conv_output_size(
    h: usize,
    w: usize,
    k: usize,
    stride: usize,
    pad: [usize; 4],
) -> Option<(usize, usize)> {
    let ph = h + pad[0] + pad[2];
    let pw = w + pad[1] + pad[3];
    if ph < k || pw < k {
        return None;
    }
    Some(((ph - k) / stride + 1, (pw - k) / stride + 1))
}

/// A depthwise k×k convolution (one filter per channel), weights `[c][k][k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Depthwise {
    pub channels: usize,
    /// 3 or 5.
    pub k: usize,
    /// 1 or 2.
    pub stride: usize,
    /// Zero padding: top, left, bottom, right.
    pub pad: [usize; 4],
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Depthwise {
    /// Whether this kernel handles the shape (else tract's op stays).
    pub fn supports(k: usize, stride: usize) -> bool {
        matches!((k, stride), (3, 1) | (3, 2) | (5, 1) | (5, 2))
    }

    /// The output plane's height and width for an `h`×`w` input.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        conv_output_size(h, w, self.k, self.stride, self.pad)
    }

    /// `x` is `[channels][h][w]`, `out` `[channels][oh][ow]`.
    pub fn run(&self, h: usize, w: usize, x: &[f32], out: &mut [f32]) {
        match (self.k, self.stride) {
            (3, 1) => self.run_k::<3, 1>(h, w, x, out),
            (3, 2) => self.run_k::<3, 2>(h, w, x, out),
            (5, 1) => self.run_k::<5, 1>(h, w, x, out),
            (5, 2) => self.run_k::<5, 2>(h, w, x, out),
            (k, s) => panic!("depthwise kernel {k}×{k} stride {s} is not supported"),
        }
    }

    fn run_k<const K: usize, const S: usize>(
        &self,
        h: usize,
        w: usize,
        x: &[f32],
        out: &mut [f32],
    ) {
        let (oh, ow) = self
            .output_size(h, w)
            .expect("the input is smaller than the kernel");
        let c = self.channels;
        assert_eq!(x.len(), c * h * w);
        assert_eq!(out.len(), c * oh * ow);
        assert_eq!(self.weights.len(), c * K * K);
        let [pt, pl, pb, _] = self.pad;
        // The padded plane, 8 spare zeros a row so a stride-2 load of 8
        // lanes at the row's last output stays inside it.
        let rs = w + pl + self.pad[3] + 8;
        let rows = h + pt + pb;
        let mut plane = vec![0.0f32; rows * rs];
        let o8 = ow / 8 * 8;
        let o4 = ow / 4 * 4;
        for ch in 0..c {
            for y in 0..h {
                plane[(y + pt) * rs + pl..][..w].copy_from_slice(&x[(ch * h + y) * w..][..w]);
            }
            let wk = &self.weights[ch * K * K..][..K * K];
            let taps: [F4; 25] =
                std::array::from_fn(|t| F4::splat(if t < K * K { wk[t] } else { 0.0 }));
            let bias = self.bias[ch];
            let dst = &mut out[ch * oh * ow..][..oh * ow];
            for oy in 0..oh {
                let top = oy * S * rs;
                let load = |ky: usize, kx: usize, ox: usize| {
                    let at = top + ky * rs + ox * S + kx;
                    // SAFETY: for ox + 4 <= ow, at + 8 <= (oy·S + ky)·rs
                    // + (ow − 1)·S + K + 7 < that row's end, since
                    // (ow − 1)·S + K <= w + pl + pr (the output size) and
                    // the row has 8 spare lanes; oy·S + ky < rows likewise.
                    unsafe {
                        if S == 1 {
                            F4::load(&plane, at)
                        } else {
                            F4::load_even(&plane, at)
                        }
                    }
                };
                for ox in (0..o8).step_by(8) {
                    let mut a0 = F4::splat(bias);
                    let mut a1 = a0;
                    for ky in 0..K {
                        for kx in 0..K {
                            let t = taps[ky * K + kx];
                            a0 = t.mul_add(load(ky, kx, ox), a0);
                            a1 = t.mul_add(load(ky, kx, ox + 4), a1);
                        }
                    }
                    // SAFETY: oy < oh and ox + 8 <= ow.
                    unsafe {
                        a0.store(dst, oy * ow + ox);
                        a1.store(dst, oy * ow + ox + 4);
                    }
                }
                for ox in (o8..o4).step_by(4) {
                    let mut a = F4::splat(bias);
                    for ky in 0..K {
                        for kx in 0..K {
                            a = taps[ky * K + kx].mul_add(load(ky, kx, ox), a);
                        }
                    }
                    // SAFETY: oy < oh and ox + 4 <= ow.
                    unsafe { a.store(dst, oy * ow + ox) };
                }
                for ox in o4..ow {
                    let mut a = bias;
                    for ky in 0..K {
                        for kx in 0..K {
                            a += wk[ky * K + kx] * plane[top + ky * rs + ox * S + kx];
                        }
                    }
                    dst[oy * ow + ox] = a;
                }
            }
        }
    }
}

/// 2×2 max-pool, stride 2, of `[channels][h][w]` with `h` and `w` even,
/// into `[channels][h / 2][w / 2]`.
pub fn max_pool_2x2(channels: usize, h: usize, w: usize, x: &[f32], out: &mut [f32]) {
    assert!(
        h.is_multiple_of(2) && w.is_multiple_of(2),
        "2×2 pooling of an odd plane"
    );
    let (oh, ow) = (h / 2, w / 2);
    assert_eq!(x.len(), channels * h * w);
    assert_eq!(out.len(), channels * oh * ow);
    let o4 = ow / 4 * 4;
    for c in 0..channels {
        for oy in 0..oh {
            let r0 = (c * h + 2 * oy) * w;
            let r1 = r0 + w;
            let d = (c * oh + oy) * ow;
            for ox in (0..o4).step_by(4) {
                // SAFETY: 2·ox + 8 <= 2·o4 <= w, so each load stays in its
                // row; d + ox + 4 <= d + ow.
                unsafe {
                    let a = F4::load(x, r0 + 2 * ox).max(F4::load(x, r1 + 2 * ox));
                    let b = F4::load(x, r0 + 2 * ox + 4).max(F4::load(x, r1 + 2 * ox + 4));
                    F4::max_pairs(a, b).store(out, d + ox);
                }
            }
            for ox in o4..ow {
                let m = x[r0 + 2 * ox].max(x[r0 + 2 * ox + 1]);
                out[d + ox] = m.max(x[r1 + 2 * ox]).max(x[r1 + 2 * ox + 1]);
            }
        }
    }
}

/// Bilinear 2× upsampling with half-pixel centres (ONNX `Resize`, linear,
/// `half_pixel`, edges clamped) of `[channels][h][w]` into
/// `[channels][2h][2w]`.
///
/// With a scale of exactly 2 each output sits a quarter of an input cell
/// from its nearest input: output `2i` is `¼·in[i − 1] + ¾·in[i]` and
/// `2i + 1` is `¾·in[i] + ¼·in[i + 1]`, along each axis, with `in[−1]` and
/// `in[n]` read as the edge. So each pair of output rows is two vertical
/// blends of three input rows, then the same along the row, the even and
/// odd outputs interleaved as they are stored.
pub fn upsample_2x(channels: usize, h: usize, w: usize, x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), channels * h * w);
    assert_eq!(out.len(), channels * 4 * h * w);
    let (near, far) = (F4::splat(0.75), F4::splat(0.25));
    let w4 = w / 4 * 4;
    // One vertically blended row, with its edge values repeated at both
    // ends: blend[j + 1] is column j.
    let mut blend = vec![0.0f32; w + 2];
    for c in 0..channels {
        let plane = &x[c * h * w..][..h * w];
        for y in 0..h {
            let cur = &plane[y * w..][..w];
            for (dy, other) in [(0, y.saturating_sub(1)), (1, (y + 1).min(h - 1))] {
                let other = &plane[other * w..][..w];
                for j in (0..w4).step_by(4) {
                    // SAFETY: j + 4 <= w = the rows' length, and
                    // j + 1 + 4 <= w + 2 = blend's.
                    unsafe {
                        far.mul_add(
                            F4::load(other, j),
                            near.mul_add(F4::load(cur, j), F4::splat(0.0)),
                        )
                        .store(&mut blend, j + 1);
                    }
                }
                for j in w4..w {
                    blend[j + 1] = 0.25 * other[j] + 0.75 * cur[j];
                }
                blend[0] = blend[1];
                blend[w + 1] = blend[w];
                let row = &mut out[(c * 2 * h + 2 * y + dy) * 2 * w..][..2 * w];
                for j in (0..w4).step_by(4) {
                    // SAFETY: j + 2 + 4 <= w + 2 (blend), 2j + 8 <= 2w (row).
                    unsafe {
                        let mid = near.mul_add(F4::load(&blend, j + 1), F4::splat(0.0));
                        let even = far.mul_add(F4::load(&blend, j), mid);
                        let odd = far.mul_add(F4::load(&blend, j + 2), mid);
                        let (lo, hi) = F4::zip(even, odd);
                        lo.store(row, 2 * j);
                        hi.store(row, 2 * j + 4);
                    }
                }
                for j in w4..w {
                    let mid = 0.75 * blend[j + 1];
                    row[2 * j] = 0.25 * blend[j] + mid;
                    row[2 * j + 1] = 0.25 * blend[j + 2] + mid;
                }
            }
        }
    }
}

/// `activation` applied to `[channels][pixels]` (the channel picks the
/// PReLU slope), into `out` of the same shape.
pub fn activate(
    activation: &Activation,
    channels: usize,
    pixels: usize,
    x: &[f32],
    out: &mut [f32],
) {
    assert_eq!(x.len(), channels * pixels);
    assert_eq!(out.len(), channels * pixels);
    if let Activation::PRelu(a) = activation {
        assert_eq!(a.len(), channels, "one PReLU slope per channel");
    }
    let p4 = pixels / 4 * 4;
    for c in 0..channels {
        let at = c * pixels;
        for p in (0..p4).step_by(4) {
            // SAFETY: at + p + 4 <= (c + 1)·pixels <= x.len() = out.len().
            unsafe { activation.lanes(c, F4::load(x, at + p)).store(out, at + p) };
        }
        for p in p4..pixels {
            out[at + p] = activation.scalar(c, x[at + p]);
        }
    }
}

/// A dense k×k convolution over a few input channels, with its bias and
/// activation: a model's first layer, on the RGB image (3 → 16 to 32
/// channels, 3×3 or 5×5, stride 2).
///
/// tract pads the image into a new tensor, unrolls it into patches (im2col,
/// 27 or 75 values per output pixel), multiplies and applies the
/// activation in another pass. Here each input plane is copied once into a
/// zero-bordered plane split by column phase (for stride 2, the even
/// columns then the odd), so every tap of every output is a plain load of
/// 4 consecutive pixels, and 4 output channels × 8 pixels accumulate in
/// registers before one store of whole vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// 3 or 5.
    pub k: usize,
    /// 1 or 2.
    pub stride: usize,
    /// Zero padding: top, left, bottom, right.
    pub pad: [usize; 4],
    /// `[outputs / 4][inputs][k][k][4]`, then the last `outputs % 4` as
    /// `[o][inputs][k][k]`.
    packed: Vec<f32>,
    pub bias: Vec<f32>,
    pub activation: Activation,
}

impl Dense {
    /// At most this many input channels: beyond, a layer is no longer an
    /// image's first and tract's matrix product suits it.
    pub const MAX_INPUTS: usize = 4;

    /// Whether this kernel handles the shape (else tract's op stays).
    pub fn supports(inputs: usize, k: usize, stride: usize) -> bool {
        (1..=Self::MAX_INPUTS).contains(&inputs) && Depthwise::supports(k, stride)
    }

    /// `weights` is `[outputs][inputs][k][k]` (OIHW), `bias` `[outputs]`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inputs: usize,
        outputs: usize,
        k: usize,
        stride: usize,
        pad: [usize; 4],
        weights: &[f32],
        bias: Vec<f32>,
        activation: Activation,
    ) -> Dense {
        assert!(
            Self::supports(inputs, k, stride),
            "dense kernel: {inputs} inputs, {k}×{k} stride {stride} is not supported"
        );
        let taps = inputs * k * k;
        assert_eq!(weights.len(), outputs * taps, "weights are OIHW");
        assert_eq!(bias.len(), outputs, "one bias per output channel");
        if let Activation::PRelu(a) = &activation {
            assert_eq!(a.len(), outputs, "one PReLU slope per output channel");
        }
        let full = outputs / 4 * 4;
        let mut packed = Vec::with_capacity(weights.len());
        for ob in (0..full).step_by(4) {
            for t in 0..taps {
                for j in 0..4 {
                    packed.push(weights[(ob + j) * taps + t]);
                }
            }
        }
        packed.extend_from_slice(&weights[full * taps..]);
        Dense {
            inputs,
            outputs,
            k,
            stride,
            pad,
            packed,
            bias,
            activation,
        }
    }

    /// The output plane's height and width for an `h`×`w` input.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        conv_output_size(h, w, self.k, self.stride, self.pad)
    }

    /// `x` is `[inputs][h][w]`, `out` `[outputs][oh][ow]`.
    pub fn run(&self, h: usize, w: usize, x: &[f32], out: &mut [f32]) {
        match (self.k, self.stride) {
            (3, 1) => self.run_k::<3, 1>(h, w, x, out),
            (3, 2) => self.run_k::<3, 2>(h, w, x, out),
            (5, 1) => self.run_k::<5, 1>(h, w, x, out),
            (5, 2) => self.run_k::<5, 2>(h, w, x, out),
            (k, s) => panic!("dense kernel {k}×{k} stride {s} is not supported"),
        }
    }

    fn run_k<const K: usize, const S: usize>(
        &self,
        h: usize,
        w: usize,
        x: &[f32],
        out: &mut [f32],
    ) {
        let (oh, ow) = self
            .output_size(h, w)
            .expect("the input is smaller than the kernel");
        let (ci, co) = (self.inputs, self.outputs);
        assert_eq!(x.len(), ci * h * w);
        assert_eq!(out.len(), co * oh * ow);
        let [pt, pl, pb, pr] = self.pad;
        let rows = h + pt + pb;
        // Each padded row split into S phases (column j·S + r of the padded
        // row is phase r's column j), each phase `rs` wide: tap (ky, kx) of
        // output column ox is then phase kx % S, column ox + kx / S.
        let pw = w + pl + pr;
        let rs = pw.div_ceil(S);
        let plane = rows * S * rs;
        let mut phases = vec![0.0f32; ci * plane];
        for c in 0..ci {
            for y in 0..h {
                let src = &x[(c * h + y) * w..][..w];
                let row = &mut phases[c * plane + (y + pt) * S * rs..][..S * rs];
                for (i, &v) in src.iter().enumerate() {
                    let j = i + pl;
                    row[(j % S) * rs + j / S] = v;
                }
            }
        }
        // The offset of each tap (c, ky, kx) for output (0, 0), in the
        // weights' order; output (oy, ox) adds oy·S·S·rs + ox.
        let taps = ci * K * K;
        let offsets: Vec<usize> = (0..taps)
            .map(|t| {
                let (c, ky, kx) = (t / (K * K), t / K % K, t % K);
                c * plane + ky * S * rs + (kx % S) * rs + kx / S
            })
            .collect();
        let load = |at: usize| {
            // SAFETY: `at` is a tap's offset + oy·S·S·rs + ox with ox + 4
            // <= ow, and the last lane, at + 3, is inside that phase row:
            // ox + 3 + (K − 1)/S <= ow − 1 + (K − 1)/S <= (pw − 1)/S < rs,
            // since (ow − 1)·S + K <= pw; the row, oy·S + ky, is < rows
            // likewise.
            unsafe { F4::load(&phases, at) }
        };
        let full = co / 4 * 4;
        let o8 = ow / 8 * 8;
        let o4 = ow / 4 * 4;
        let plane_out = oh * ow;
        for oy in 0..oh {
            let row = oy * S * S * rs;
            for ob in (0..full).step_by(4) {
                let panel = &self.packed[ob * taps..(ob + 4) * taps];
                for ox in (0..o8).step_by(8) {
                    let mut acc = [[F4::splat(0.0); 2]; 4];
                    for (j, a) in acc.iter_mut().enumerate() {
                        let b = F4::splat(self.bias[ob + j]);
                        *a = [b, b];
                    }
                    for (&off, wq) in offsets.iter().zip(panel.chunks_exact(4)) {
                        let at = off + row + ox;
                        let (x0, x1) = (load(at), load(at + 4));
                        for (a, &wj) in acc.iter_mut().zip(wq) {
                            let wj = F4::splat(wj);
                            a[0] = wj.mul_add(x0, a[0]);
                            a[1] = wj.mul_add(x1, a[1]);
                        }
                    }
                    for (j, [a0, a1]) in acc.into_iter().enumerate() {
                        let o = ob + j;
                        let at = o * plane_out + oy * ow + ox;
                        // SAFETY: o < co, oy < oh and ox + 8 <= ow.
                        unsafe {
                            self.activation.lanes(o, a0).store(out, at);
                            self.activation.lanes(o, a1).store(out, at + 4);
                        }
                    }
                }
            }
            // Channels past the last 4, and the 4-wide and scalar tails.
            for o in 0..co {
                let from = if o < full { o8 } else { 0 };
                for ox in (from..o4).step_by(4) {
                    let mut a = F4::splat(self.bias[o]);
                    for (t, &off) in offsets.iter().enumerate() {
                        a = F4::splat(self.weight(o, t)).mul_add(load(off + row + ox), a);
                    }
                    // SAFETY: o < co, oy < oh and ox + 4 <= ow.
                    unsafe {
                        self.activation
                            .lanes(o, a)
                            .store(out, o * plane_out + oy * ow + ox)
                    };
                }
                for ox in o4..ow {
                    let mut a = self.bias[o];
                    for (t, &off) in offsets.iter().enumerate() {
                        a += self.weight(o, t) * phases[off + row + ox];
                    }
                    out[o * plane_out + oy * ow + ox] = self.activation.scalar(o, a);
                }
            }
        }
    }

    /// Weight of output `o`, tap `t` (`(c·k + ky)·k + kx`).
    fn weight(&self, o: usize, t: usize) -> f32 {
        let taps = self.inputs * self.k * self.k;
        let full = self.outputs / 4 * 4;
        if o < full {
            self.packed[(o / 4) * 4 * taps + t * 4 + o % 4]
        } else {
            self.packed[full * taps + (o - full) * taps + t]
        }
    }
}
