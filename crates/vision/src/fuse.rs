//! Our kernels as tract operators, and the graph rewrite that puts them in.
//!
//! [`fuse`] walks a decluttered model (what Vigil's model files hold, an
//! NNEF archive, or an ONNX model after `into_decluttered`; see
//! `model::decluttered` for why a model file is not decluttered again)
//! and replaces these patterns, each only where every condition below
//! holds, so anything else keeps tract's own operator and a model we do
//! not know still runs unchanged:
//!
//! - `EinSum NIHW,OI->NOHW` with constant weights (a 1×1 convolution),
//!   then `Add` of a constant `[1, O, 1, 1]` bias, then optionally `Add`
//!   of a residual (directly, or through a `Pad` that only appends zero
//!   channels: the pad is then never computed), then optionally `Max`
//!   with a constant 0 (ReLU) or the three-node PReLU tract makes of ONNX's
//!   (`GT(0, x)`, `Mul(x, α)`, `Iff`): one [`FusedPointwise`]. The
//!   intermediate results must have no other reader.
//! - `Conv` with one group per channel (depthwise), 3×3 or 5×5, stride 1 or
//!   2, explicit or no padding, constant weights and bias: [`DepthwiseConv`].
//! - `Conv` with one group over at most 4 input channels (a model's first
//!   layer, on the image), 3×3 or 5×5, stride 1 or 2, constant weights and
//!   bias, after an optional zero `Pad` of the height and width that only
//!   it reads, before an optional ReLU or PReLU as above: [`DenseConv`].
//!   tract would pad into a new tensor, unroll the image into patches and
//!   multiply, then apply the activation in another pass.
//! - `MaxPool` 2×2 stride 2 over even planes: [`MaxPool2x2`].
//! - `Resize`, linear, half-pixel centres, to exactly twice the height and
//!   width of an NCHW plane (the full-range detector's feature pyramid):
//!   [`Upsample2x`].
//! - The PReLU triple after any other operator with an NCHW output (a
//!   convolution over more channels than [`DenseConv`] takes): one pass,
//!   [`Activate`].
//!
//! The rewritten model is an ordinary `TypedModel`: `into_optimized` then
//! optimises what is left (the detection heads, 1×1 convolutions with a
//! channel-last output) with tract's own passes and leaves these operators
//! as they are. The rewrite builds a new model node by node, in evaluation order, and
//! emits a fused operator where its pattern's last node was, so every
//! input it reads (the residual included) is already wired.

use std::collections::{HashMap, HashSet};

use tract_core::internal::*;
use tract_core::ops::array::{Pad, PadMode};
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec};
use tract_core::ops::einsum::EinSum;
use tract_core::ops::konst::Const;
use tract_core::ops::logic::Iff;
use tract_core::ops::nn::resize::{CoordTransformer, Interpolator, Resize};
use tract_core::ops::nn::DataFormat;
use tract_core::ops::source::TypedSource;

use vigil_kernels::{activate, max_pool_2x2, upsample_2x, Activation, Dense, Depthwise, Pointwise};

/// How many nodes [`fuse`] replaced, by kind (for tests and the bench).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FuseReport {
    pub pointwise: usize,
    pub with_residual: usize,
    pub depthwise: usize,
    /// Dense convolutions over the image (a model's first layer).
    pub dense: usize,
    pub max_pool: usize,
    pub upsample: usize,
    /// PReLUs on their own (not in a 1×1 convolution's epilogue).
    pub activation: usize,
    /// Operators (constants and sources aside) of the original graph that
    /// no longer exist: absorbed into a fused one, or dead after it (a
    /// channel pad only the fused residual read).
    pub removed: usize,
}

fn plain_f32(t: &TValue) -> TractResult<&[f32]> {
    t.try_as_plain_ram()?.as_slice::<f32>()
}

fn output(shape: &[usize], fill: impl FnOnce(&mut [f32])) -> TractResult<TValue> {
    // SAFETY: every kernel writes each element of its output exactly once
    // before it is read (see crate::kernels).
    let mut t = unsafe { Tensor::uninitialized::<f32>(shape)? };
    fill(t.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
    Ok(t.into_tvalue())
}

/// The channels, height and width of an f32 fact that is NCHW with a batch
/// of one or CHW (tract's declutter drops a batch axis of one in places;
/// the memory layout is the same).
fn chw(fact: &TypedFact) -> Option<[usize; 3]> {
    if fact.datum_type != f32::datum_type() {
        return None;
    }
    match *fact.shape.as_concrete()? {
        [1, c, h, w] | [c, h, w] => Some([c, h, w]),
        _ => None,
    }
}

/// The same for a value being evaluated.
fn chw_of(t: &TValue, op: &str) -> TractResult<[usize; 3]> {
    match *t.shape() {
        [1, c, h, w] | [c, h, w] => Ok([c, h, w]),
        ref s => bail!("{op}: input of shape {s:?} is neither NCHW with a batch of one nor CHW"),
    }
}

/// `[1, c, h, w]` or `[c, h, w]`, as `batch` says.
fn shape(batch: bool, c: usize, h: usize, w: usize) -> TVec<usize> {
    if batch {
        tvec![1, c, h, w]
    } else {
        tvec![c, h, w]
    }
}

/// An activation's name in an operator's info.
fn activation_name(a: &Activation) -> &'static str {
    match a {
        Activation::None => "linear",
        Activation::Relu => "relu",
        Activation::PRelu(_) => "prelu",
    }
}

/// A 1×1 convolution with bias, optional residual (input 1, possibly with
/// fewer channels) and activation: [`Pointwise`].
#[derive(Debug, Clone, PartialEq)]
pub struct FusedPointwise {
    pub kernel: Pointwise,
    /// Whether the output has the batch axis (NCHW) or not (CHW).
    pub batch: bool,
}

// tract compares operators (to merge identical nodes); ours hold weights as
// floats, which are never NaN in a loaded model, so equality is total here.
impl Eq for FusedPointwise {}

impl Op for FusedPointwise {
    fn name(&self) -> StaticName {
        "VigilPointwise".into()
    }
    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "{}→{} channels, {}",
            self.kernel.inputs,
            self.kernel.outputs,
            activation_name(&self.kernel.activation)
        )])
    }
    op_as_typed_op!();
}

impl EvalOp for FusedPointwise {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let k = &self.kernel;
        let x = &inputs[0];
        let [ci, h, w] = chw_of(x, "VigilPointwise")?;
        ensure!(
            ci == k.inputs,
            "VigilPointwise: {} input channels, expected {}",
            ci,
            k.inputs
        );
        let pixels = h * w;
        let xs = plain_f32(x)?;
        let residual = match inputs.get(1) {
            Some(r) => {
                let [cr, rh, rw] = chw_of(r, "VigilPointwise's residual")?;
                ensure!(
                    (rh, rw) == (h, w) && cr <= k.outputs,
                    "VigilPointwise: residual shape {:?}",
                    r.shape()
                );
                Some((plain_f32(r)?, cr))
            }
            None => None,
        };
        Ok(tvec!(output(&shape(self.batch, k.outputs, h, w), |out| k
            .run(pixels, xs, residual, out))?))
    }
    op_out_of_plan!();
}

impl TypedOp for FusedPointwise {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [_, h, w] = chw(inputs[0]).context("VigilPointwise needs a fixed CHW input")?;
        Ok(tvec!(f32::fact(shape(
            self.batch,
            self.kernel.outputs,
            h,
            w
        ))))
    }
    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let [_, h, w] = chw(inputs[0]).context("VigilPointwise needs a fixed CHW input")?;
        Ok(tvec!((
            Cost::FMA(f32::datum_type()),
            (h * w * self.kernel.inputs * self.kernel.outputs).into()
        )))
    }
}

/// A depthwise convolution with its padding: [`Depthwise`].
#[derive(Debug, Clone, PartialEq)]
pub struct DepthwiseConv(pub Depthwise);

impl Eq for DepthwiseConv {}

impl Op for DepthwiseConv {
    fn name(&self) -> StaticName {
        "VigilDepthwise".into()
    }
    fn info(&self) -> TractResult<Vec<String>> {
        let d = &self.0;
        Ok(vec![format!(
            "{}×{} stride {} pad {:?}, {} channels",
            d.k, d.k, d.stride, d.pad, d.channels
        )])
    }
    op_as_typed_op!();
}

impl EvalOp for DepthwiseConv {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let [c, h, w] = chw_of(x, "VigilDepthwise")?;
        ensure!(
            c == self.0.channels,
            "VigilDepthwise: {} channels, expected {}",
            c,
            self.0.channels
        );
        let (oh, ow) = self
            .0
            .output_size(h, w)
            .context("VigilDepthwise: input smaller than the kernel")?;
        let xs = plain_f32(x)?;
        Ok(tvec!(output(&shape(x.rank() == 4, c, oh, ow), |out| self
            .0
            .run(h, w, xs, out))?))
    }
    op_out_of_plan!();
}

impl TypedOp for DepthwiseConv {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [c, h, w] = chw(inputs[0]).context("VigilDepthwise needs a fixed CHW input")?;
        let (oh, ow) = self
            .0
            .output_size(h, w)
            .context("VigilDepthwise: input smaller than the kernel")?;
        Ok(tvec!(f32::fact(shape(inputs[0].rank() == 4, c, oh, ow))))
    }
}

/// A dense convolution over a few input channels with its padding, bias
/// and activation (a model's first layer): [`Dense`].
#[derive(Debug, Clone, PartialEq)]
pub struct DenseConv {
    pub kernel: Dense,
    /// Whether the output has the batch axis (NCHW) or not (CHW).
    pub batch: bool,
}

impl Eq for DenseConv {}

impl Op for DenseConv {
    fn name(&self) -> StaticName {
        "VigilDense".into()
    }
    fn info(&self) -> TractResult<Vec<String>> {
        let d = &self.kernel;
        Ok(vec![format!(
            "{}→{} channels, {}×{} stride {} pad {:?}, {}",
            d.inputs,
            d.outputs,
            d.k,
            d.k,
            d.stride,
            d.pad,
            activation_name(&d.activation)
        )])
    }
    op_as_typed_op!();
}

impl EvalOp for DenseConv {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let d = &self.kernel;
        let x = &inputs[0];
        let [c, h, w] = chw_of(x, "VigilDense")?;
        ensure!(
            c == d.inputs,
            "VigilDense: {} input channels, expected {}",
            c,
            d.inputs
        );
        let (oh, ow) = d
            .output_size(h, w)
            .context("VigilDense: input smaller than the kernel")?;
        let xs = plain_f32(x)?;
        Ok(tvec!(output(
            &shape(self.batch, d.outputs, oh, ow),
            |out| d.run(h, w, xs, out)
        )?))
    }
    op_out_of_plan!();
}

impl TypedOp for DenseConv {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [_, h, w] = chw(inputs[0]).context("VigilDense needs a fixed CHW input")?;
        let (oh, ow) = self
            .kernel
            .output_size(h, w)
            .context("VigilDense: input smaller than the kernel")?;
        Ok(tvec!(f32::fact(shape(
            self.batch,
            self.kernel.outputs,
            oh,
            ow
        ))))
    }
    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let [_, h, w] = chw(inputs[0]).context("VigilDense needs a fixed CHW input")?;
        let d = &self.kernel;
        let (oh, ow) = d.output_size(h, w).unwrap_or((0, 0));
        Ok(tvec!((
            Cost::FMA(f32::datum_type()),
            (oh * ow * d.outputs * d.inputs * d.k * d.k).into()
        )))
    }
}

/// 2×2 stride-2 max-pool: [`max_pool_2x2`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxPool2x2;

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "VigilMaxPool2x2".into()
    }
    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let [c, h, w] = chw_of(x, "VigilMaxPool2x2")?;
        ensure!(
            h.is_multiple_of(2) && w.is_multiple_of(2),
            "VigilMaxPool2x2: odd plane {h}×{w}"
        );
        let xs = plain_f32(x)?;
        Ok(tvec!(output(
            &shape(x.rank() == 4, c, h / 2, w / 2),
            |out| max_pool_2x2(c, h, w, xs, out)
        )?))
    }
    op_out_of_plan!();
}

impl TypedOp for MaxPool2x2 {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [c, h, w] = chw(inputs[0]).context("VigilMaxPool2x2 needs a fixed CHW input")?;
        Ok(tvec!(f32::fact(shape(
            inputs[0].rank() == 4,
            c,
            h / 2,
            w / 2
        ))))
    }
}

/// Bilinear 2× upsampling with half-pixel centres: [`upsample_2x`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upsample2x;

impl Op for Upsample2x {
    fn name(&self) -> StaticName {
        "VigilUpsample2x".into()
    }
    op_as_typed_op!();
}

impl EvalOp for Upsample2x {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let [c, h, w] = chw_of(x, "VigilUpsample2x")?;
        let xs = plain_f32(x)?;
        Ok(tvec!(output(
            &shape(x.rank() == 4, c, 2 * h, 2 * w),
            |out| upsample_2x(c, h, w, xs, out)
        )?))
    }
    op_out_of_plan!();
}

impl TypedOp for Upsample2x {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [c, h, w] = chw(inputs[0]).context("VigilUpsample2x needs a fixed CHW input")?;
        Ok(tvec!(f32::fact(shape(
            inputs[0].rank() == 4,
            c,
            2 * h,
            2 * w
        ))))
    }
}

/// An activation on its own: [`activate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Activate(pub Activation);

impl Eq for Activate {}

impl Op for Activate {
    fn name(&self) -> StaticName {
        "VigilActivate".into()
    }
    op_as_typed_op!();
}

impl EvalOp for Activate {
    fn eval(&self, _: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let [c, h, w] = chw_of(x, "VigilActivate")?;
        if let Activation::PRelu(a) = &self.0 {
            ensure!(
                a.len() == c,
                "VigilActivate: {c} channels, {} slopes",
                a.len()
            );
        }
        let xs = plain_f32(x)?;
        Ok(tvec!(output(&shape(x.rank() == 4, c, h, w), |out| {
            activate(&self.0, c, h * w, xs, out)
        })?))
    }
    op_out_of_plan!();
}

impl TypedOp for Activate {
    as_op!();
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let [c, h, w] = chw(inputs[0]).context("VigilActivate needs a fixed CHW input")?;
        Ok(tvec!(f32::fact(shape(inputs[0].rank() == 4, c, h, w))))
    }
}

/// Whether an einsum's axes (`"NIHW,OI->NOHW"`, NNEF's `"mk,akbn->ambn"`,
/// …) are a 1×1 convolution whose weights are input `wi`: the planes'
/// input is `[n?, i, h, w]`, the weights `[o, i]` or `[i, o]`, the output
/// `[n?, o, h, w]` with the same spatial axes in the same order. Returns
/// whether the output has the batch axis and whether the weights are
/// `[i, o]`. (Batch sizes are checked on the facts: one.)
fn pointwise_axes(spec: &str, wi: usize) -> Option<(bool, bool)> {
    let (ins, out) = spec.split_once("->")?;
    let (a, b) = ins.split_once(',')?;
    let (w, x) = if wi == 0 { (a, b) } else { (b, a) };
    let (w, x, out): (Vec<char>, Vec<char>, Vec<char>) = (
        w.chars().collect(),
        x.chars().collect(),
        out.chars().collect(),
    );
    if w.len() != 2 {
        return None;
    }
    let (n, i, hw) = match x.len() {
        4 => (Some(x[0]), x[1], &x[2..]),
        3 => (None, x[0], &x[1..]),
        _ => return None,
    };
    let transposed = w[0] == i;
    let o = if transposed { w[1] } else { w[0] };
    if !w.contains(&i) || x.contains(&o) || o == i {
        return None;
    }
    let (batch, rest) = match out.len() {
        4 => {
            if n.is_some_and(|n| out[0] != n) || [o, i, hw[0], hw[1]].contains(&out[0]) {
                return None;
            }
            (true, &out[1..])
        }
        3 => (false, &out[..]),
        _ => return None,
    };
    (rest == [o, hw[0], hw[1]]).then_some((batch, transposed))
}

/// The pattern matcher's view of a model.
/// Whether `p` pads with zeros.
fn zero_pad(p: &Pad) -> bool {
    match &p.mode {
        PadMode::Constant(v) => {
            v.try_as_plain_ram().ok().and_then(|v| {
                v.as_slice::<f32>()
                    .ok()
                    .map(|s| s.iter().all(|&x| x == 0.0))
            }) == Some(true)
        }
        _ => false,
    }
}

/// A convolution's geometry and constants ([`Graph::conv_parts`]).
struct ConvParts {
    k: usize,
    stride: usize,
    /// Top, left, bottom, right.
    pad: [usize; 4],
    weights: Vec<f32>,
    bias: Vec<f32>,
}

struct Graph<'a> {
    model: &'a TypedModel,
    outputs: HashSet<OutletId>,
}

impl<'a> Graph<'a> {
    fn konst(&self, o: OutletId) -> Option<Arc<Tensor>> {
        self.model.outlet_fact(o).ok()?.konst.clone()
    }

    fn konst_f32(&self, o: OutletId) -> Option<Vec<f32>> {
        let t = self.konst(o)?;
        if t.datum_type() != f32::datum_type() {
            return None;
        }
        Some(t.try_as_plain_ram().ok()?.as_slice::<f32>().ok()?.to_vec())
    }

    /// The one node reading `node`'s only output, if there is exactly one
    /// reader and the output is not a model output.
    fn sole_reader(&self, node: usize) -> Option<&'a TypedNode> {
        let o = OutletId::new(node, 0);
        let succ = self.model.outlet_successors(o);
        if self.outputs.contains(&o) || self.model.node(node).outputs.len() != 1 || succ.len() != 1
        {
            return None;
        }
        Some(self.model.node(succ[0].node))
    }

    fn bin(&self, node: &TypedNode, name: &str) -> bool {
        node.op_as::<TypedBinOp>()
            .is_some_and(|b| b.0.name() == name)
            && node.inputs.len() == 2
    }

    /// The input of binary `node` that is not `from`.
    fn other(node: &TypedNode, from: usize) -> Option<OutletId> {
        match (node.inputs[0].node == from, node.inputs[1].node == from) {
            (true, false) => Some(node.inputs[1]),
            (false, true) => Some(node.inputs[0]),
            _ => None,
        }
    }

    /// Whether `o` is a constant whose every element is `v`.
    fn all(&self, o: OutletId, v: f32) -> bool {
        self.konst_f32(o)
            .is_some_and(|t| !t.is_empty() && t.iter().all(|&x| x == v))
    }

    /// A `[1, c, 1, 1]` (or `[c, 1, 1]`, `[c]`-broadcast) constant as `c` values.
    fn per_channel(&self, o: OutletId, c: usize) -> Option<Vec<f32>> {
        let t = self.konst(o)?;
        let ok = match t.shape() {
            [1, n, 1, 1] | [n, 1, 1] => *n == c,
            _ => false,
        };
        if ok {
            self.konst_f32(o)
        } else {
            None
        }
    }

    /// Matches the activation reading `cur`'s output: ReLU (`Max` with a
    /// constant 0) or PReLU (`GT(0, x)`, `Mul(x, α)`, `Iff(test, mul,
    /// x)`). Returns it, the nodes it covers and its output node.
    fn activation(&self, cur: usize, channels: usize) -> Option<(Activation, Vec<usize>, usize)> {
        let o = OutletId::new(cur, 0);
        if self.outputs.contains(&o) {
            return None;
        }
        let succ = self.model.outlet_successors(o);
        if succ.len() == 1 {
            let n = self.model.node(succ[0].node);
            if self.bin(n, "Max") && Self::other(n, cur).is_some_and(|c| self.all(c, 0.0)) {
                return Some((Activation::Relu, vec![n.id], n.id));
            }
            return None;
        }
        if succ.len() != 3 {
            return None;
        }
        let nodes: Vec<&TypedNode> = succ.iter().map(|s| self.model.node(s.node)).collect();
        let test = nodes.iter().find(|n| self.bin(n, "GT"))?;
        let mul = nodes.iter().find(|n| self.bin(n, "Mul"))?;
        let iff = nodes.iter().find(|n| n.op_is::<Iff>())?;
        // test = 0 > x; iff(test, x·α, x).
        let ok = test.inputs[1].node == cur
            && self.all(test.inputs[0], 0.0)
            && iff.inputs.len() == 3
            && iff.inputs[0] == OutletId::new(test.id, 0)
            && iff.inputs[1] == OutletId::new(mul.id, 0)
            && iff.inputs[2] == o
            && self.sole_reader(test.id).map(|n| n.id) == Some(iff.id)
            && self.sole_reader(mul.id).map(|n| n.id) == Some(iff.id);
        if !ok {
            return None;
        }
        let alpha = self.per_channel(Self::other(mul, cur)?, channels)?;
        Some((
            Activation::PRelu(alpha),
            vec![test.id, mul.id, iff.id],
            iff.id,
        ))
    }

    /// A 1×1 convolution chain starting at EinSum `e`: the op, its external
    /// inputs, the nodes it covers and its output node.
    fn pointwise(
        &self,
        e: &TypedNode,
    ) -> Option<(FusedPointwise, TVec<OutletId>, Vec<usize>, usize)> {
        let es = e.op_as::<EinSum>()?;
        if es.q_params.is_some() || e.inputs.len() != 2 {
            return None;
        }
        // Which input is the constant 2-D weight matrix, which the planes.
        let wi = (0..2).find(|&i| self.konst(e.inputs[i]).is_some_and(|t| t.rank() == 2))?;
        let xi = 1 - wi;
        let (batch, transposed) = pointwise_axes(&es.axes.to_string(), wi)?;
        let [ci, _, _] = chw(self.model.outlet_fact(e.inputs[xi]).ok()?)?;
        let w = self.konst(e.inputs[wi])?;
        let (co, wci) = match *w.shape() {
            [a, b] if transposed => (b, a),
            [a, b] => (a, b),
            _ => return None,
        };
        if wci != ci {
            return None;
        }
        let raw = self.konst_f32(e.inputs[wi])?;
        // [co][ci], whatever the einsum's order.
        let weights: Vec<f32> = if transposed {
            (0..co)
                .flat_map(|o| (0..ci).map(move |i| (o, i)))
                .map(|(o, i)| raw[i * co + o])
                .collect()
        } else {
            raw
        };
        let mut covered = vec![e.id];
        let add = self.sole_reader(e.id)?;
        if !self.bin(add, "Add") {
            return None;
        }
        let bias = self.per_channel(Self::other(add, e.id)?, co)?;
        covered.push(add.id);
        let mut last = add.id;
        let mut inputs: TVec<OutletId> = tvec![e.inputs[xi]];
        if let Some(r) = self.sole_reader(last).filter(|n| self.bin(n, "Add")) {
            let other = Self::other(r, last)?;
            let of = self.model.outlet_fact(other).ok()?;
            let me = self.model.outlet_fact(OutletId::new(last, 0)).ok()?;
            if self.konst(other).is_none() && of.shape == me.shape && chw(of).is_some() {
                // Through a pad that only appends zero channels, if any.
                let src = self.model.node(other.node);
                let residual = match src.op_as::<Pad>() {
                    Some(p)
                        if p.pads.len() == 4
                            && p.pads[0] == (0, 0)
                            && p.pads[1].0 == 0
                            && p.pads[2] == (0, 0)
                            && p.pads[3] == (0, 0)
                            && zero_pad(p) =>
                    {
                        src.inputs[0]
                    }
                    _ => other,
                };
                inputs.push(residual);
                covered.push(r.id);
                last = r.id;
            }
        }
        let (activation, nodes, out) = match self.activation(last, co) {
            Some(a) => a,
            None => (Activation::None, vec![], last),
        };
        covered.extend(nodes);
        let kernel = Pointwise::new(ci, co, &weights, bias, activation);
        Some((FusedPointwise { kernel, batch }, inputs, covered, out))
    }

    /// What the two convolution kernels take from a `Conv` node: float,
    /// NCHW or CHW, OIHW weights, `group` groups, `co` outputs, a square
    /// k×k kernel, one stride for both axes, no dilation, explicit or no
    /// padding, constant weights (`weights` values) and bias (one value or
    /// one an output).
    fn conv_parts(
        &self,
        n: &TypedNode,
        group: usize,
        co: usize,
        weights: impl Fn(usize) -> usize,
    ) -> Option<ConvParts> {
        let conv = n.op_as::<Conv>()?;
        let ps = &conv.pool_spec;
        if conv.q_params.is_some()
            || !matches!(ps.data_format, DataFormat::NCHW | DataFormat::CHW)
            || conv.kernel_fmt != KernelFormat::OIHW
            || conv.group != group
            || ps.output_channels != co
            || n.inputs.len() != 3
            || ps.kernel_shape.len() != 2
            || ps.kernel_shape[0] != ps.kernel_shape[1]
            || ps
                .dilations
                .as_ref()
                .is_some_and(|d| d.iter().any(|&d| d != 1))
        {
            return None;
        }
        let k = ps.kernel_shape[0];
        let strides = ps.strides.clone().unwrap_or_else(|| tvec![1, 1]);
        if strides.len() != 2 || strides[0] != strides[1] {
            return None;
        }
        let pad = match &ps.padding {
            PaddingSpec::Explicit(b, a) if b.len() == 2 && a.len() == 2 => [b[0], b[1], a[0], a[1]],
            PaddingSpec::Valid => [0; 4],
            _ => return None,
        };
        let w = self.konst_f32(n.inputs[1])?;
        if w.len() != weights(k) {
            return None;
        }
        let bias = self.konst_f32(n.inputs[2])?;
        let bias = match bias.len() {
            1 => vec![bias[0]; co],
            l if l == co => bias,
            _ => return None,
        };
        Some(ConvParts {
            k,
            stride: strides[0],
            pad,
            weights: w,
            bias,
        })
    }

    fn depthwise(&self, n: &TypedNode) -> Option<DepthwiseConv> {
        n.op_as::<Conv>()?;
        let [c, _, _] = chw(self.model.outlet_fact(*n.inputs.first()?).ok()?)?;
        let p = self.conv_parts(n, c, c, |k| c * k * k)?;
        if !Depthwise::supports(p.k, p.stride) {
            return None;
        }
        Some(DepthwiseConv(Depthwise {
            channels: c,
            k: p.k,
            stride: p.stride,
            pad: p.pad,
            weights: p.weights,
            bias: p.bias,
        }))
    }

    /// A dense convolution (one group) over at most
    /// [`Dense::MAX_INPUTS`] channels, with the zero `Pad` before it (if
    /// only it reads the pad) and the activation after it: the op, its
    /// input, the nodes it covers and its output node. The pad is left in
    /// place, unread, for the compaction to drop.
    fn dense(&self, n: &TypedNode) -> Option<(DenseConv, OutletId, Vec<usize>, usize)> {
        n.op_as::<Conv>()?;
        let [ci, _, _] = chw(self.model.outlet_fact(*n.inputs.first()?).ok()?)?;
        let out = self.model.outlet_fact(OutletId::new(n.id, 0)).ok()?;
        let [co, _, _] = chw(out)?;
        let ConvParts {
            k,
            stride,
            mut pad,
            weights,
            bias,
        } = self.conv_parts(n, 1, co, |k| co * ci * k * k)?;
        if !Dense::supports(ci, k, stride) {
            return None;
        }
        // A zero pad of the height and width only, read by this conv alone.
        let mut from = n.inputs[0];
        let src = self.model.node(from.node);
        if let Some(p) = src.op_as::<Pad>() {
            let spatial = match p.pads.len() {
                4 if p.pads[..2] == [(0, 0), (0, 0)] => Some((p.pads[2], p.pads[3])),
                3 if p.pads[0] == (0, 0) => Some((p.pads[1], p.pads[2])),
                _ => None,
            };
            if let (Some(((t, b), (l, r))), true, Some(m)) =
                (spatial, zero_pad(p), self.sole_reader(src.id))
            {
                if m.id == n.id && chw(self.model.outlet_fact(src.inputs[0]).ok()?).is_some() {
                    pad = [pad[0] + t, pad[1] + l, pad[2] + b, pad[3] + r];
                    from = src.inputs[0];
                }
            }
        }
        let (activation, mut covered, last) = match self.activation(n.id, co) {
            Some(a) => a,
            None => (Activation::None, vec![], n.id),
        };
        covered.push(n.id);
        let kernel = Dense::new(ci, co, k, stride, pad, &weights, bias, activation);
        let batch = out.rank() == 4;
        Some((DenseConv { kernel, batch }, from, covered, last))
    }

    fn max_pool(&self, n: &TypedNode) -> Option<MaxPool2x2> {
        let mp = n.op_as::<MaxPool>()?;
        let ps = &mp.pool_spec;
        let [_, h, w] = chw(self.model.outlet_fact(n.inputs[0]).ok()?)?;
        let ok = mp.with_index_outputs.is_none()
            && matches!(ps.data_format, DataFormat::NCHW | DataFormat::CHW)
            && ps.kernel_shape.as_slice() == [2, 2]
            && ps.strides.as_deref() == Some(&[2, 2][..])
            && ps
                .dilations
                .as_ref()
                .is_none_or(|d| d.iter().all(|&d| d == 1))
            && matches!(
                ps.padding,
                PaddingSpec::Valid | PaddingSpec::SameUpper | PaddingSpec::SameLower
            )
            && h.is_multiple_of(2)
            && w.is_multiple_of(2);
        ok.then_some(MaxPool2x2)
    }

    /// The PReLU reading `n`'s output, when `n`'s output is an NCHW (or
    /// CHW) plane set: the op, the nodes it covers, its output node.
    fn lone_prelu(&self, n: &TypedNode) -> Option<(Activate, Vec<usize>, usize)> {
        if n.outputs.len() != 1 {
            return None;
        }
        let [c, _, _] = chw(self.model.outlet_fact(OutletId::new(n.id, 0)).ok()?)?;
        match self.activation(n.id, c)? {
            (a @ Activation::PRelu(_), covered, out) => Some((Activate(a), covered, out)),
            _ => None,
        }
    }

    /// A `Resize` that is [`Upsample2x`]: linear, half-pixel centres (or
    /// PyTorch's, the same above one output), whose output fact is the
    /// input's with the height and width doubled, nothing else changed.
    fn upsample(&self, n: &TypedNode) -> Option<Upsample2x> {
        let r = n.op_as::<Resize>()?;
        let input = self.model.outlet_fact(n.inputs[0]).ok()?;
        let [c, h, w] = chw(input)?;
        let out = self.model.outlet_fact(OutletId::new(n.id, 0)).ok()?;
        let want = shape(input.rank() == 4, c, 2 * h, 2 * w);
        let ok = r.interpolator == Interpolator::Linear
            && matches!(
                r.coord_transformer,
                CoordTransformer::HalfPixel | CoordTransformer::PytorchHalfPixel
            )
            && out.datum_type == f32::datum_type()
            && out.shape.as_concrete() == Some(&want[..]);
        ok.then_some(Upsample2x)
    }
}

fn operators(model: &TypedModel) -> usize {
    model
        .nodes()
        .iter()
        .filter(|n| !n.op_is::<Const>() && !n.op_is::<TypedSource>())
        .count()
}

/// Rewrites `model` (decluttered, f32, NCHW) with Vigil's kernels where the
/// patterns above match; see the module docs.
pub fn fuse(model: &TypedModel) -> TractResult<(TypedModel, FuseReport)> {
    let g = Graph {
        model,
        outputs: model.output_outlets()?.iter().copied().collect(),
    };
    let order = model.eval_order()?;
    let mut report = FuseReport::default();
    // The fused op to emit at a pattern's output node, and the nodes to skip.
    let mut emit: HashMap<usize, (Box<dyn TypedOp>, TVec<OutletId>)> = HashMap::new();
    let mut skip: HashSet<usize> = HashSet::new();
    for &id in &order {
        let n = model.node(id);
        if skip.contains(&id) || emit.contains_key(&id) {
            continue;
        }
        if let Some((op, inputs, covered, out)) = g.pointwise(n) {
            report.pointwise += 1;
            report.with_residual += usize::from(inputs.len() == 2);
            skip.extend(covered.iter().copied().filter(|&c| c != out));
            emit.insert(out, (Box::new(op), inputs));
        } else if let Some(op) = g.depthwise(n) {
            report.depthwise += 1;
            emit.insert(id, (Box::new(op), tvec![n.inputs[0]]));
        } else if let Some((op, input, covered, out)) = g.dense(n) {
            report.dense += 1;
            skip.extend(covered.iter().copied().filter(|&c| c != out));
            emit.insert(out, (Box::new(op), tvec![input]));
        } else if let Some(op) = g.max_pool(n) {
            report.max_pool += 1;
            emit.insert(id, (Box::new(op), tvec![n.inputs[0]]));
        } else if let Some(op) = g.upsample(n) {
            report.upsample += 1;
            emit.insert(id, (Box::new(op), tvec![n.inputs[0]]));
        }
        // Whatever `n` became, a PReLU after it that no pattern above took.
        if let Some((op, covered, out)) = g.lone_prelu(n) {
            if !covered
                .iter()
                .any(|c| skip.contains(c) || emit.contains_key(c))
            {
                report.activation += 1;
                skip.extend(covered.iter().copied().filter(|&c| c != out));
                emit.insert(out, (Box::new(op), tvec![OutletId::new(id, 0)]));
            }
        }
    }
    let mut new = TypedModel::default();
    let mut map: HashMap<OutletId, OutletId> = HashMap::new();
    let mapped = |map: &HashMap<OutletId, OutletId>, o: &OutletId| {
        map.get(o)
            .copied()
            .with_context(|| format!("fuse: input {o:?} read before it was wired"))
    };
    for &id in &order {
        let n = model.node(id);
        if skip.contains(&id) {
            continue;
        }
        let outs = if let Some((op, inputs)) = emit.remove(&id) {
            let inputs = inputs
                .iter()
                .map(|o| mapped(&map, o))
                .collect::<TractResult<TVec<_>>>()?;
            new.wire_node(&n.name, op, &inputs)?
        } else if model.input_outlets()?.iter().any(|o| o.node == id) {
            tvec![new.add_source(&n.name, model.outlet_fact(OutletId::new(id, 0))?.clone())?]
        } else {
            let inputs = n
                .inputs
                .iter()
                .map(|o| mapped(&map, o))
                .collect::<TractResult<TVec<_>>>()?;
            new.wire_node(&n.name, n.op.clone(), &inputs)?
        };
        for (ix, o) in outs.into_iter().enumerate() {
            map.insert(OutletId::new(id, ix), o);
        }
    }
    let inputs = model
        .input_outlets()?
        .iter()
        .map(|o| mapped(&map, o))
        .collect::<TractResult<Vec<_>>>()?;
    let outputs = model
        .output_outlets()?
        .iter()
        .map(|o| mapped(&map, o))
        .collect::<TractResult<Vec<_>>>()?;
    new.set_input_outlets(&inputs)?;
    new.select_output_outlets(&outputs)?;
    // Nodes only the fused ones read (a channel pad) are dead now.
    let new = new.into_compact()?;
    report.removed = operators(model) - operators(&new);
    Ok((new, report))
}

#[cfg(test)]
mod tests {
    use super::pointwise_axes;

    #[test]
    fn einsum_axes_that_are_a_1x1_convolution() {
        // ONNX's, with and without the batch axis; NNEF's (weights first).
        assert_eq!(pointwise_axes("NIHW,OI->NOHW", 1), Some((true, false)));
        assert_eq!(pointwise_axes("IHW,OI->NOHW", 1), Some((true, false)));
        assert_eq!(pointwise_axes("NIHW,OI->OHW", 1), Some((false, false)));
        assert_eq!(pointwise_axes("mk,akbn->ambn", 0), Some((true, false)));
        assert_eq!(pointwise_axes("km,akbn->ambn", 0), Some((true, true)));
        // Not one: a head's NHWC output, swapped spatial axes, a reduction
        // over a spatial axis, a weight matrix that is not [o, i].
        assert_eq!(pointwise_axes("NIHW,OI->NHWO", 1), None);
        assert_eq!(pointwise_axes("NIHW,OI->NOWH", 1), None);
        assert_eq!(pointwise_axes("NIHW,OH->NOIW", 1), None);
        assert_eq!(pointwise_axes("mk,akbn->ambn", 1), None);
    }
}
