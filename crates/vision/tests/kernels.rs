//! Vigil's kernels against tract's own operators.
//!
//! Two levels: small graphs built from tract's operators (every pattern
//! [`vigil_vision::fuse`] rewrites, on random inputs and shapes chosen to
//! hit the kernels' tails: odd widths, channel counts that are not a
//! multiple of 4, padding on one side only), run once as tract optimises
//! them and once rewritten, within 1e-5; and the real models on the test
//! photographs, whose outputs must stay within 1e-4 (relative to the value
//! where it is above 1: the detectors' regressors are in pixels). The same
//! kernel code runs here through the portable lanes and in the browser
//! through `simd128` (see `kernels::lanes`); `cargo xtask bench vision`
//! checks the wasm build's outputs against tract's in Chromium.

// Tests may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use tract_core::internal::*;
use tract_core::ops::array::{Pad, PadMode};
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_core::ops::einsum::EinSum;
use tract_core::ops::logic::{comp_gt, Iff};
use tract_core::ops::math::{add, max, mul};
use tract_core::ops::nn::resize::{CoordTransformer, Interpolator, Nearest, Resize};
use tract_core::ops::nn::DataFormat;
use vigil_vision::fuse::{fuse, FuseReport};
use vigil_vision::{compare_kernels, letterbox, to_planar, warp, Frame};

/// A deterministic pseudo-random sequence in [-1, 1) (xorshift).
struct Rng(u64);

impl Rng {
    fn f(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f()).collect()
    }
    fn tensor(&mut self, shape: &[usize]) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_shape(shape, &self.vec(n)).unwrap()
    }
}

/// Runs `model` as tract optimises it and rewritten by `fuse`: the largest
/// absolute difference and what was rewritten.
fn both(model: TypedModel, input: Tensor) -> (f32, FuseReport) {
    let (fused, report) = fuse(&model).unwrap();
    let run = |m: TypedModel| {
        let out = m
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap()
            .run(tvec!(input.clone().into_tvalue()))
            .unwrap();
        out.iter()
            .map(|t| {
                t.try_as_plain_ram()
                    .unwrap()
                    .as_slice::<f32>()
                    .unwrap()
                    .to_vec()
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (run(model), run(fused));
    assert_eq!(a.len(), b.len());
    let mut d = 0.0f32;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.len(), y.len(), "output sizes differ");
        for (p, q) in x.iter().zip(y) {
            assert!(q.is_finite(), "a non-finite output");
            d = d.max((p - q).abs());
        }
    }
    (d, report)
}

fn source(m: &mut TypedModel, shape: [usize; 4]) -> OutletId {
    m.add_source("x", f32::fact(shape)).unwrap()
}

fn konst(m: &mut TypedModel, name: &str, t: Tensor) -> OutletId {
    m.add_const(name, t).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn depthwise_conv(
    m: &mut TypedModel,
    rng: &mut Rng,
    x: OutletId,
    c: usize,
    k: usize,
    s: usize,
    pad: PaddingSpec,
    name: &str,
) -> OutletId {
    let w = konst(m, &format!("{name}.w"), rng.tensor(&[c, 1, k, k]));
    let b = konst(m, &format!("{name}.b"), rng.tensor(&[c]));
    let conv = Conv {
        pool_spec: PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec![k, k],
            padding: pad,
            dilations: None,
            strides: Some(tvec![s, s]),
            input_channels: c,
            output_channels: c,
        },
        kernel_fmt: KernelFormat::OIHW,
        group: c,
        q_params: None,
    };
    m.wire_node(name, conv, &[x, w, b]).unwrap()[0]
}

#[test]
fn depthwise_matches_tract_on_every_supported_shape() {
    let mut rng = Rng(0x5eed);
    for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
        for (c, h, w) in [(3, 8, 8), (5, 13, 7), (8, 16, 21), (2, 9, 33)] {
            for (before, after) in [
                ([1, 1], [1, 1]),
                ([0, 0], [1, 1]),
                ([2, 2], [2, 2]),
                ([0, 1], [2, 0]),
            ] {
                if h + before[0] + after[0] < k || w + before[1] + after[1] < k {
                    continue;
                }
                let mut m = TypedModel::default();
                let x = source(&mut m, [1, c, h, w]);
                let pad = PaddingSpec::Explicit(
                    before.into_iter().collect(),
                    after.into_iter().collect(),
                );
                let y = depthwise_conv(&mut m, &mut rng, x, c, k, s, pad, "dw");
                m.select_output_outlets(&[y]).unwrap();
                let (d, report) = both(m, rng.tensor(&[1, c, h, w]));
                assert_eq!(
                    report.depthwise, 1,
                    "{k}×{k}/{s} on {c}×{h}×{w} was not rewritten"
                );
                assert!(
                    d <= 1e-5,
                    "{k}×{k}/{s} pad {before:?}{after:?} on {c}×{h}×{w}: differs by {d}"
                );
            }
        }
    }
}

/// A 1×1 convolution, its bias, optionally a residual (through a channel
/// pad when it has fewer channels), optionally an activation.
/// `act` ("relu", "prelu" or none) after `y`, as tract makes it of ONNX's:
/// `Max` with 0, or `GT(0, y)`, `Mul(y, α)`, `Iff`.
fn activation(m: &mut TypedModel, rng: &mut Rng, y: OutletId, co: usize, act: &str) -> OutletId {
    match act {
        "relu" => {
            let z = konst(m, "zero", tensor4(&[[[[0f32]]]]));
            m.wire_node("relu", max(), &[y, z]).unwrap()[0]
        }
        "prelu" => {
            let z = konst(m, "zero", tensor4(&[[[[0f32]]]]));
            let alpha = konst(m, "alpha", rng.tensor(&[1, co, 1, 1]));
            let test = m
                .wire_node("prelu.test", TypedBinOp(comp_gt(), None), &[z, y])
                .unwrap()[0];
            let scaled = m.wire_node("prelu.mul", mul(), &[y, alpha]).unwrap()[0];
            m.wire_node("prelu.iff", Iff, &[test, scaled, y]).unwrap()[0]
        }
        _ => y,
    }
}

fn pointwise_graph(
    rng: &mut Rng,
    ci: usize,
    co: usize,
    h: usize,
    w: usize,
    residual: Option<usize>,
    act: &str,
) -> TypedModel {
    let mut m = TypedModel::default();
    let x = source(&mut m, [1, ci, h, w]);
    let wt = konst(&mut m, "w", rng.tensor(&[co, ci]));
    let e = m
        .wire_node(
            "pw",
            EinSum::new("NIHW,OI->NOHW".parse().unwrap(), f32::datum_type()),
            &[x, wt],
        )
        .unwrap()[0];
    let b = konst(&mut m, "b", rng.tensor(&[1, co, 1, 1]));
    let mut y = m.wire_node("bias", add(), &[e, b]).unwrap()[0];
    if let Some(cr) = residual {
        // The residual: a depthwise-free path, here the input itself cut or
        // padded, as BlazeFace's skip connections are.
        assert!(cr == ci, "the residual is the block's input");
        let r = if cr < co {
            let pad = Pad {
                pads: vec![(0, 0), (0, co - cr), (0, 0), (0, 0)],
                mode: PadMode::Constant(rctensor0(0f32)),
            };
            m.wire_node("channel_pad", pad, &[x]).unwrap()[0]
        } else {
            x
        };
        y = m.wire_node("residual", add(), &[r, y]).unwrap()[0];
    }
    let y = activation(&mut m, rng, y, co, act);
    m.select_output_outlets(&[y]).unwrap();
    m
}

#[test]
fn pointwise_with_its_epilogue_matches_tract() {
    let mut rng = Rng(0xfeed);
    for (ci, co, h, w) in [
        (24, 24, 8, 8),
        (24, 28, 5, 7),
        (3, 5, 4, 3),
        (42, 48, 16, 16),
        (16, 32, 1, 13),
    ] {
        for residual in [None, Some(ci)] {
            if residual.is_some() && co < ci {
                continue;
            }
            for act in ["none", "relu", "prelu"] {
                let m = pointwise_graph(&mut rng, ci, co, h, w, residual, act);
                let (d, report) = both(m, rng.tensor(&[1, ci, h, w]));
                assert_eq!(
                    report.pointwise, 1,
                    "{ci}→{co} {residual:?} {act}: not rewritten"
                );
                assert_eq!(report.with_residual, usize::from(residual.is_some()));
                // bias, [residual], activation nodes (1 or 3), [the pad]
                let absorbed = 1
                    + usize::from(residual.is_some())
                    + match act {
                        "relu" => 1,
                        "prelu" => 3,
                        _ => 0,
                    }
                    + usize::from(residual.is_some() && co > ci);
                assert_eq!(
                    report.removed, absorbed,
                    "{ci}→{co} {residual:?} {act}: {report:?}"
                );
                assert!(
                    d <= 1e-5,
                    "{ci}→{co} on {h}×{w}, residual {residual:?}, {act}: differs by {d}"
                );
            }
        }
    }
}

#[test]
fn a_fused_intermediate_with_another_reader_is_left_to_tract() {
    // The bias add's result is also a model output: fusing past it would
    // lose it, so the fusion stops there.
    let mut rng = Rng(7);
    let mut m = pointwise_graph(&mut rng, 8, 8, 4, 4, None, "relu");
    let bias = m.node_by_name("bias").unwrap().id;
    let out = m.output_outlets().unwrap()[0];
    m.select_output_outlets(&[out, OutletId::new(bias, 0)])
        .unwrap();
    let (d, report) = both(m, rng.tensor(&[1, 8, 4, 4]));
    // The convolution and its bias fuse; the ReLU after the shared result
    // stays tract's.
    assert_eq!((report.pointwise, report.removed), (1, 1), "{report:?}");
    assert!(d <= 1e-5);
}

#[test]
fn max_pool_matches_tract() {
    let mut rng = Rng(11);
    for (c, h, w) in [(3, 8, 8), (5, 6, 14), (2, 2, 2), (4, 32, 10)] {
        for padding in [PaddingSpec::Valid, PaddingSpec::SameUpper] {
            let mut m = TypedModel::default();
            let x = source(&mut m, [1, c, h, w]);
            let pool = MaxPool {
                pool_spec: PoolSpec {
                    data_format: DataFormat::NCHW,
                    kernel_shape: tvec![2, 2],
                    padding: padding.clone(),
                    dilations: None,
                    strides: Some(tvec![2, 2]),
                    input_channels: c,
                    output_channels: c,
                },
                with_index_outputs: None,
            };
            let y = m.wire_node("pool", pool, &[x]).unwrap()[0];
            m.select_output_outlets(&[y]).unwrap();
            let (d, report) = both(m, rng.tensor(&[1, c, h, w]));
            assert_eq!(report.max_pool, 1);
            assert_eq!(d, 0.0, "{c}×{h}×{w} {padding:?}");
        }
    }
}

/// A dense convolution (one group), optionally after an explicit zero
/// pad of the height and width, then `act` ("relu", "prelu" or none).
#[allow(clippy::too_many_arguments)]
fn dense_graph(
    rng: &mut Rng,
    ci: usize,
    co: usize,
    hw: (usize, usize),
    k: usize,
    s: usize,
    pads: ([usize; 4], Option<[usize; 4]>),
    act: &str,
) -> TypedModel {
    let (h, w) = hw;
    let mut m = TypedModel::default();
    let mut x = source(&mut m, [1, ci, h, w]);
    let (conv_pad, explicit) = pads;
    if let Some([t, l, b, r]) = explicit {
        let pad = Pad {
            pads: vec![(0, 0), (0, 0), (t, b), (l, r)],
            mode: PadMode::Constant(rctensor0(0f32)),
        };
        x = m.wire_node("pad", pad, &[x]).unwrap()[0];
    }
    let wt = konst(&mut m, "w", rng.tensor(&[co, ci, k, k]));
    let b = konst(&mut m, "b", rng.tensor(&[co]));
    let [t, l, bo, r] = conv_pad;
    let conv = Conv {
        pool_spec: PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec![k, k],
            padding: PaddingSpec::Explicit(tvec![t, l], tvec![bo, r]),
            dilations: None,
            strides: Some(tvec![s, s]),
            input_channels: ci,
            output_channels: co,
        },
        kernel_fmt: KernelFormat::OIHW,
        group: 1,
        q_params: None,
    };
    let y = m.wire_node("conv", conv, &[x, wt, b]).unwrap()[0];
    let y = activation(&mut m, rng, y, co, act);
    m.select_output_outlets(&[y]).unwrap();
    m
}

#[test]
fn a_dense_convolution_with_its_pad_and_activation_matches_tract() {
    let mut rng = Rng(37);
    // The three first layers (short range 5×5/2 3→24 after a pad, full
    // range 3×3/2 3→32 ReLU, mesh 3×3/2 3→16 PReLU), scaled down, then
    // shapes for the tails and each stride, size and input count.
    let cases = [
        (3, 24, (32, 32), 5, 2, ([0; 4], Some([1, 1, 2, 2])), "relu"),
        (3, 32, (24, 24), 3, 2, ([0, 0, 1, 1], None), "relu"),
        (3, 16, (24, 24), 3, 2, ([0, 0, 1, 1], None), "prelu"),
        (3, 5, (9, 7), 3, 2, ([1, 1, 1, 1], None), "prelu"),
        (1, 6, (11, 13), 5, 1, ([2, 2, 2, 2], None), ""),
        (
            4,
            7,
            (10, 21),
            3,
            1,
            ([1, 0, 0, 1], Some([0, 1, 1, 0])),
            "relu",
        ),
        (2, 3, (5, 5), 5, 2, ([0; 4], Some([2, 2, 2, 2])), "prelu"),
    ];
    for (ci, co, hw, k, s, pads, act) in cases {
        let m = dense_graph(&mut rng, ci, co, hw, k, s, pads, act);
        let (d, report) = both(m, rng.tensor(&[1, ci, hw.0, hw.1]));
        let what = format!("{ci}→{co} {k}×{k}/{s} {pads:?} {act} on {hw:?}");
        assert_eq!(report.dense, 1, "{what}: {report:?}");
        assert_eq!(report.activation, 0, "{what}: {report:?}");
        // The conv, its pad and its activation's nodes become one.
        let nodes = 1
            + usize::from(pads.1.is_some())
            + match act {
                "relu" => 1,
                "prelu" => 3,
                _ => 0,
            };
        assert_eq!(report.removed, nodes - 1, "{what}: {report:?}");
        assert!(d <= 1e-5, "{what}: differs by {d}");
    }
}

#[test]
fn a_dense_convolution_over_many_channels_is_left_to_tract_and_its_prelu_runs_alone() {
    let mut rng = Rng(31);
    // Five input channels: past the image's, tract's matrix product suits
    // it. Its PReLU still becomes one pass.
    for (ci, co, h, w) in [(5, 16, 12, 12), (8, 5, 9, 7)] {
        let m = dense_graph(
            &mut rng,
            ci,
            co,
            (h, w),
            3,
            2,
            ([0, 0, 1, 1], None),
            "prelu",
        );
        let (d, report) = both(m, rng.tensor(&[1, ci, h, w]));
        assert_eq!(report.dense, 0, "{ci}→{co}: {report:?}");
        assert_eq!(report.activation, 1, "{ci}→{co} on {h}×{w}: {report:?}");
        // Three nodes become one.
        assert_eq!(report.removed, 2, "{report:?}");
        assert!(d <= 1e-5, "{ci}→{co} on {h}×{w}: differs by {d}");
    }
}

#[test]
fn a_pad_that_something_else_reads_stays_and_the_conv_pads_itself() {
    let mut rng = Rng(41);
    let mut m = dense_graph(
        &mut rng,
        3,
        8,
        (10, 10),
        3,
        2,
        ([0; 4], Some([1, 1, 1, 1])),
        "relu",
    );
    // A second reader of the pad: it must still be computed.
    let pad = m.node_by_name("pad").unwrap().id;
    let out = m.output_outlets().unwrap()[0];
    m.select_output_outlets(&[out, OutletId::new(pad, 0)])
        .unwrap();
    let (d, report) = both(m, rng.tensor(&[1, 3, 10, 10]));
    assert_eq!(report.dense, 1, "{report:?}");
    // The conv and its ReLU only.
    assert_eq!(report.removed, 1, "{report:?}");
    assert!(d <= 1e-5, "differs by {d}");
}

fn resize(
    m: &mut TypedModel,
    x: OutletId,
    to: [usize; 4],
    coord_transformer: CoordTransformer,
    interpolator: Interpolator,
) -> OutletId {
    let sizes = konst(m, "sizes", tensor1(&to.map(|d| d as i64)));
    let op = Resize {
        coord_transformer,
        interpolator,
        nearest: Nearest::Floor,
        optional_scales_input: None,
        optional_sizes_input: Some(1),
    };
    m.wire_node("resize", op, &[x, sizes]).unwrap()[0]
}

#[test]
fn upsample_matches_tract() {
    let mut rng = Rng(23);
    for (c, h, w) in [(3, 6, 6), (2, 12, 12), (5, 3, 7), (1, 1, 1), (4, 24, 24)] {
        for ct in [
            CoordTransformer::HalfPixel,
            CoordTransformer::PytorchHalfPixel,
        ] {
            let mut m = TypedModel::default();
            let x = source(&mut m, [1, c, h, w]);
            let y = resize(
                &mut m,
                x,
                [1, c, 2 * h, 2 * w],
                ct.clone(),
                Interpolator::Linear,
            );
            m.select_output_outlets(&[y]).unwrap();
            let (d, report) = both(m, rng.tensor(&[1, c, h, w]));
            assert_eq!(report.upsample, 1, "{c}×{h}×{w} {ct:?}");
            assert!(d <= 1e-5, "{c}×{h}×{w} {ct:?}: off by {d}");
        }
    }
}

#[test]
fn a_resize_that_is_not_a_half_pixel_bilinear_doubling_is_left_to_tract() {
    let mut rng = Rng(29);
    let cases = [
        // Three times, not two.
        (
            [1, 2, 12, 12],
            CoordTransformer::HalfPixel,
            Interpolator::Linear,
        ),
        // Only the width doubled.
        (
            [1, 2, 4, 12],
            CoordTransformer::HalfPixel,
            Interpolator::Linear,
        ),
        // Corners aligned, or nearest neighbour: other stencils.
        (
            [1, 2, 8, 12],
            CoordTransformer::AlignCorners,
            Interpolator::Linear,
        ),
        (
            [1, 2, 8, 12],
            CoordTransformer::HalfPixel,
            Interpolator::Cubic,
        ),
    ];
    for (to, ct, interp) in cases {
        let mut m = TypedModel::default();
        let x = source(&mut m, [1, 2, 4, 6]);
        let y = resize(&mut m, x, to, ct.clone(), interp.clone());
        m.select_output_outlets(&[y]).unwrap();
        let (d, report) = both(m, rng.tensor(&[1, 2, 4, 6]));
        assert_eq!(report.upsample, 0, "{to:?} {ct:?} {interp:?}");
        assert_eq!(d, 0.0);
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A photograph as a model's input: letterboxed to `n`×`n`, scaled.
fn photo_input(name: &str, n: usize, scale: f32, offset: f32) -> Vec<f32> {
    let img = image::open(root().join("tests/fixtures/faces").join(name))
        .unwrap()
        .to_rgba8();
    let frame = Frame::new(img.width(), img.height(), img.as_raw()).unwrap();
    let map = letterbox(frame.width, frame.height, n);
    to_planar(&warp(&frame, &map, n, n).unwrap(), scale, offset)
}

const PHOTOS: [&str; 4] = ["astronaut.png", "obama.jpg", "biden.jpg", "chelsea.png"];

/// The real models, whole, on the photographs: Vigil's kernels against
/// tract's, and how much of each graph they took over. One test a model,
/// so that the three run side by side (together, 35 s on one core of the
/// native tests' two, the other idle).
fn model_gives_the_same_outputs(
    file: &str,
    n: usize,
    scale: f32,
    offset: f32,
    expected: FuseReport,
) {
    let onnx = std::fs::read(root().join("static/models").join(file)).unwrap();
    // The worker reads the conversion (the decluttered graph, written and
    // read back): it must be rewritten exactly as the ONNX one.
    let (converted, _) = vigil_vision::onnx_to_graph(&onnx).unwrap();
    for (format, bytes) in [("onnx", &onnx), ("converted", &converted)] {
        for photo in PHOTOS {
            let (abs, rel, report) =
                compare_kernels(bytes, &[1, 3, n, n], photo_input(photo, n, scale, offset))
                    .unwrap();
            println!("{file} ({format}) on {photo}: abs {abs:e}, rel {rel:e}, {report:?}");
            // Every block of these models: the 1×1 convolutions but the
            // detection heads (NHWC outputs), every depthwise one, every
            // pool, the full range's three upsamplings, the mesh's first
            // PReLU.
            assert_eq!(report, expected, "{file}: not rewritten as expected");
            assert!(
                rel <= 1e-4,
                "{file} on {photo}: differs by {abs} ({rel} relative)"
            );
        }
    }
}

#[test]
fn the_short_range_detector_gives_the_same_outputs_on_the_photographs() {
    model_gives_the_same_outputs(
        "face_detection_short_range.onnx",
        128,
        1.0 / 127.5,
        -1.0,
        FuseReport {
            pointwise: 16,
            with_residual: 16,
            depthwise: 16,
            dense: 1,
            max_pool: 3,
            upsample: 0,
            activation: 0,
            removed: 60,
        },
    );
}

#[test]
fn the_full_range_detector_gives_the_same_outputs_on_the_photographs() {
    model_gives_the_same_outputs(
        "face_detection_full_range.onnx",
        192,
        1.0 / 127.5,
        -1.0,
        FuseReport {
            pointwise: 46,
            with_residual: 20,
            depthwise: 40,
            dense: 1,
            max_pool: 4,
            upsample: 3,
            activation: 0,
            removed: 121,
        },
    );
}

#[test]
fn the_face_mesh_gives_the_same_outputs_on_the_photographs() {
    model_gives_the_same_outputs(
        "face_landmark.onnx",
        192,
        1.0 / 255.0,
        0.0,
        FuseReport {
            pointwise: 22,
            with_residual: 20,
            depthwise: 20,
            dense: 1,
            max_pool: 5,
            upsample: 0,
            activation: 0,
            removed: 114,
        },
    );
}
