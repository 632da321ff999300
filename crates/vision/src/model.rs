//! Loading and running one model with tract, shared by the three model
//! wrappers.
//!
//! Two formats: the ONNX files committed under `static/models/` (feature
//! `onnx`, native tools and tests), and Vigil's model files converted from
//! them ([`onnx_to_graph`], made at build time by `cargo xtask worker`,
//! format in [`crate::graph`]), which is all the browser worker reads:
//! reading them needs only tract-core, so the worker's wasm carries no
//! protobuf parser, no ONNX operator set and no NNEF registries. The format
//! is told by the bytes (gzip or the file's header).
//!
//! Models come as bytes (the worker fetches them; tests read files), are
//! optimised once at load (`into_optimized`: constant folding, fused
//! operators) and kept as a runnable plan. Each wrapper checks the input
//! shape it builds against the model's own, so a swapped file fails at load
//! with a clear message rather than as a shape error deep in tract.

use tract_core::prelude::*;

use crate::{Error, Result};

fn typed_model(bytes: &[u8], name: &str) -> Result<TypedModel> {
    if crate::graph::is_graph(bytes) {
        return crate::graph::read(bytes).map_err(|e| Error::Model(format!("{name}: {e}")));
    }
    #[cfg(feature = "onnx")]
    {
        use tract_onnx::prelude::InferenceModelExt as _;
        Ok(tract_onnx::onnx()
            .model_for_read(&mut &*bytes)
            .map_err(|e| Error::Model(format!("{name}: not an ONNX model: {e:#}")))?
            .into_typed()?)
    }
    #[cfg(not(feature = "onnx"))]
    Err(Error::Model(format!(
        "{name}: not a Vigil model file (this build reads only the files made by `cargo xtask worker`)"
    )))
}

/// The model in the decluttered form Vigil's rewrite ([`crate::fuse`])
/// expects: a model file as it was written (it is decluttered when it is
/// converted), an ONNX model decluttered here.
///
/// Why a model file is not decluttered again: tract's declutter is not the
/// same on every machine. Where tract-linalg has a channel-last depthwise
/// routine (wasm with simd128 has one; x86_64 has none), `Conv` asks for
/// the channel axis to move last, and the move spreads through the blocks
/// around it: in the browser the full-range detector lost 16 of its 40
/// depthwise and 32 of its 46 pointwise convolutions to tract that way.
/// `into_optimized` still declutters after the rewrite, when Vigil's
/// operators (which accept no axis change) hold the layout in place.
fn decluttered(bytes: &[u8], name: &str) -> Result<TypedModel> {
    let typed = typed_model(bytes, name)?;
    if crate::graph::is_graph(bytes) {
        Ok(typed)
    } else {
        Ok(typed.into_decluttered()?)
    }
}

/// Converts an ONNX model to Vigil's model file ([`crate::graph`]),
/// decluttered but not optimised, so tract optimises it for the machine
/// that loads it. The file is read back and run against the original on a
/// fixed input spanning [-1, 1]: the largest output difference is returned
/// with it, for the caller to hold to a tolerance.
#[cfg(feature = "onnx")]
pub fn onnx_to_graph(onnx: &[u8]) -> Result<(Vec<u8>, f32)> {
    use tract_onnx::prelude::InferenceModelExt as _;
    let model = tract_onnx::onnx()
        .model_for_read(&mut &*onnx)
        .map_err(|e| Error::Model(format!("not an ONNX model: {e:#}")))?
        .into_typed()?
        .into_decluttered()?;
    let shape: Vec<usize> = model
        .input_fact(0)?
        .shape
        .as_concrete()
        .ok_or_else(|| Error::Model("the input shape is not fixed".into()))?
        .to_vec();
    let file = crate::graph::write(&model)?;
    let n: usize = shape.iter().product();
    let input = (0..n).map(|i| ((i as f32) * 0.618).sin()).collect();
    let diff = compare_models(onnx, &file, &shape, input)?;
    Ok((file, diff))
}

pub(crate) struct Model {
    plan: Arc<TypedRunnableModel>,
    input_shape: Vec<usize>,
}

/// Which kernels run a model's convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// Vigil's own ([`vigil_kernels`]), put in by [`crate::fuse::fuse`]
    /// where the graph's patterns match; tract's everywhere else.
    Vigil,
    /// tract's alone (the benchmark's baseline and the reference tests').
    Tract,
}

/// One operator kind's share of an inference ([`crate::FaceDetector::profile_inference`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OpSplit {
    /// tract's name for the operator (`OptMatMul`, `VigilPointwise`, …).
    pub op: String,
    /// Time in the caller's clock's unit.
    pub ms: f64,
    /// How many nodes of the plan are this operator.
    pub nodes: u32,
}

impl Default for Kernels {
    /// Vigil's in wasm, where they are faster than tract's (the worker,
    /// `cargo xtask bench vision`); tract's natively, where tract has
    /// hand-written AVX and NEON kernels that Vigil's portable lanes do
    /// not beat (the native short-range detector: 11.2 ms with Vigil's
    /// against 5–7 with tract's). Tests name the kernels they compare.
    fn default() -> Self {
        if cfg!(target_arch = "wasm32") {
            Kernels::Vigil
        } else {
            Kernels::Tract
        }
    }
}

impl Model {
    pub(crate) fn load(bytes: &[u8], name: &str, input_shape: &[usize]) -> Result<Self> {
        Self::load_with(bytes, name, input_shape, Kernels::default())
    }

    pub(crate) fn load_with(
        bytes: &[u8],
        name: &str,
        input_shape: &[usize],
        kernels: Kernels,
    ) -> Result<Self> {
        let typed = decluttered(bytes, name)?;
        let typed = match kernels {
            Kernels::Tract => typed,
            Kernels::Vigil => crate::fuse::fuse(&typed)?.0,
        }
        .into_optimized()?;
        let fact = typed.input_fact(0)?;
        let shape: Option<Vec<usize>> = fact.shape.as_concrete().map(|s| s.to_vec());
        if shape.as_deref() != Some(input_shape) {
            return Err(Error::Model(format!(
                "{name}: expected input {input_shape:?}, the model takes {:?}",
                fact.shape
            )));
        }
        Ok(Model {
            plan: typed.into_runnable()?,
            input_shape: input_shape.to_vec(),
        })
    }

    /// Runs once on one NCHW input and returns the time spent in each kind
    /// of operator (tract's op names, e.g. `OptMatMul`, `DepthWise`), in the
    /// unit of `clock`, largest first: where inference time goes. The clock
    /// is the caller's (the worker passes `performance.now()`), so this
    /// crate keeps no hidden clock.
    pub(crate) fn profile(
        &self,
        input: Vec<f32>,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<Vec<OpSplit>> {
        let tensor = Tensor::from_shape(&self.input_shape, &input)?;
        let mut state = self.plan.spawn()?;
        let mut spent: Vec<OpSplit> = Vec::new();
        state.run_plan_with_eval(tvec!(tensor.into()), |ctx, op_state, node, inputs| {
            let t0 = clock();
            let out = tract_core::plan::eval(ctx, op_state, node, inputs);
            let dt = clock() - t0;
            let name = node.op().name();
            match spent.iter_mut().find(|s| *s.op == *name) {
                Some(s) => {
                    s.ms += dt;
                    s.nodes += 1;
                }
                None => spent.push(OpSplit {
                    op: name.to_string(),
                    ms: dt,
                    nodes: 1,
                }),
            }
            out
        })?;
        spent.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        Ok(spent)
    }

    /// Runs on one NCHW input; returns every output as a flat `f32` vector.
    pub(crate) fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>> {
        let tensor = Tensor::from_shape(&self.input_shape, &input)?;
        let outputs = self.plan.run(tvec!(tensor.into()))?;
        outputs
            .iter()
            .map(|t| Ok(t.try_as_plain_ram()?.as_slice::<f32>()?.to_vec()))
            .collect()
    }
}

/// Runs two model files on the same input and returns the largest absolute
/// difference over all their outputs (`f32::INFINITY` if the outputs do not
/// even have the same shapes). `cargo xtask models` uses it to check that a
/// regenerated model computes what the committed one does, since the TFLite →
/// ONNX conversion does not write byte-identical files.
pub fn compare_models(a: &[u8], b: &[u8], input_shape: &[usize], input: Vec<f32>) -> Result<f32> {
    // tract's own kernels on both sides: this checks a file against
    // another, not Vigil's kernels (see `compare_kernels`).
    let out_a = Model::load_with(a, "model A", input_shape, Kernels::Tract)?.run(input.clone())?;
    let out_b = Model::load_with(b, "model B", input_shape, Kernels::Tract)?.run(input)?;
    if out_a.len() != out_b.len() || out_a.iter().zip(&out_b).any(|(x, y)| x.len() != y.len()) {
        return Ok(f32::INFINITY);
    }
    Ok(out_a
        .iter()
        .zip(&out_b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        // A NaN on either side is a failure, not a difference to skip.
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0.0, f32::max))
}

/// Runs one model with tract's kernels alone and with Vigil's
/// ([`Kernels`]) on the same input: the largest absolute difference over
/// all outputs, the largest relative to the value (`|a − b| / max(1, |b|)`,
/// the measure for outputs in pixels), and what the rewrite replaced. The
/// reference tests hold the real models to it on the test photographs.
pub fn compare_kernels(
    bytes: &[u8],
    input_shape: &[usize],
    input: Vec<f32>,
) -> Result<(f32, f32, crate::fuse::FuseReport)> {
    let tract =
        Model::load_with(bytes, "model", input_shape, Kernels::Tract)?.run(input.clone())?;
    let vigil = Model::load_with(bytes, "model", input_shape, Kernels::Vigil)?.run(input)?;
    let report = crate::fuse::fuse(&decluttered(bytes, "model")?)?.1;
    if tract.len() != vigil.len() || tract.iter().zip(&vigil).any(|(x, y)| x.len() != y.len()) {
        return Ok((f32::INFINITY, f32::INFINITY, report));
    }
    let (mut abs, mut rel) = (0.0f32, 0.0f32);
    for (t, v) in tract.iter().flatten().zip(vigil.iter().flatten()) {
        let d = (t - v).abs();
        let d = if d.is_nan() { f32::INFINITY } else { d };
        abs = abs.max(d);
        rel = rel.max(d / t.abs().max(1.0));
    }
    Ok((abs, rel, report))
}
