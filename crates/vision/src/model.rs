//! Loading and running one ONNX model with tract, shared by the three model
//! wrappers.
//!
//! Models come as bytes (the worker fetches them; tests read files), are
//! optimised once at load (`into_optimized`: constant folding, fused
//! operators) and kept as a runnable plan. Each wrapper checks the input
//! shape it builds against the model's own, so a swapped file fails at load
//! with a clear message rather than as a shape error deep in tract.

use tract_onnx::prelude::*;

use crate::{Error, Result};

pub(crate) struct Model {
    plan: Arc<TypedRunnableModel>,
    input_shape: Vec<usize>,
}

impl Model {
    pub(crate) fn load(bytes: &[u8], name: &str, input_shape: &[usize]) -> Result<Self> {
        let typed = tract_onnx::onnx()
            .model_for_read(&mut &*bytes)
            .map_err(|e| Error::Model(format!("{name}: not an ONNX model: {e:#}")))?
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
    let out_a = Model::load(a, "model A", input_shape)?.run(input.clone())?;
    let out_b = Model::load(b, "model B", input_shape)?.run(input)?;
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
