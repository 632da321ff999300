//! Vigil's model file (`<stem>.graph.gz`): a decluttered tract-core graph,
//! written as JSON (each node's operator, attributes and inputs) followed
//! by the constant tensors' bytes, the whole gzipped. It is what the
//! browser worker loads; tract still builds, optimises and runs the graph.
//!
//! Why not NNEF, which the worker read before: tract-nnef registers a model
//! transform at start-up (an `inventory` constructor) whose code builds
//! tract-nnef's full operator registries, so linking tract-nnef at all
//! keeps every operator tract knows in the worker's wasm (FFT and STFT,
//! LSTM, GRU, scan, scatter, quantised products…): the linker cannot prove
//! them unused, and rustfft alone was 11 % of the worker's code. Reading
//! this file needs tract-core alone and names only the operators of
//! Vigil's four models ([`Op`]), so the linker leaves the rest out
//! (docs/architecture.md, "The worker's download", has the figures).
//!
//! [`write`] refuses any operator or type it does not list, by node and
//! name, so a model whose graph needs more fails at conversion (`cargo
//! xtask worker`), never in the browser. [`read`] checks what it reads:
//! a truncated or altered file is an error naming what is wrong, not a
//! panic (the file comes over the network into a page the candidate
//! controls).
//!
//! Layout, before gzip: [`MAGIC`], the JSON's length (u32, little-endian),
//! the JSON ([`File`]), then the bytes of each constant in node order
//! (little-endian), nothing after.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use tract_core::internal::*;
use tract_core::ops::array::{Pad, PadMode, TypedConcat};
use tract_core::ops::binary::{BinMiniOp, TypedBinOp};
use tract_core::ops::cast::Cast;
use tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_core::ops::einsum::EinSum;
use tract_core::ops::element_wise::{ElementWiseMiniOp, ElementWiseOp};
use tract_core::ops::konst::Const;
use tract_core::ops::logic::Iff;
use tract_core::ops::nn::resize::{CoordTransformer, Interpolator, Nearest, Resize};
use tract_core::ops::nn::DataFormat;
use tract_core::ops::source::TypedSource;

use crate::{Error, Result};

/// The first bytes of a model file (once un-gzipped).
pub const MAGIC: &[u8; 12] = b"VIGILGRAPH1\n";

/// The largest model [`read`] un-gzips: 64 MiB (the largest of Vigil's
/// models, MobileFaceNet, is 5.1 MiB).
pub const MAX_BYTES: u64 = 64 << 20;

/// The graph: nodes in evaluation order, each reading earlier nodes only.
#[derive(Debug, Serialize, Deserialize)]
struct File {
    nodes: Vec<Node>,
    outputs: Vec<Wire>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Node {
    name: String,
    op: Op,
    inputs: Vec<Wire>,
}

/// (node, output slot).
type Wire = (usize, usize);

/// Every operator the four models' decluttered graphs hold, with the
/// attributes tract's constructor takes. Types and layouts are tract's own
/// names (`F32`, `NCHW`, `OIHW`, `half_pixel`…).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Source {
        dt: String,
        shape: Vec<usize>,
    },
    /// Its bytes follow the JSON, in node order.
    Const {
        dt: String,
        shape: Vec<usize>,
    },
    Conv {
        pool: Pool,
        kernel_format: String,
        group: usize,
    },
    MaxPool {
        pool: Pool,
    },
    EinSum {
        axes: String,
        dt: String,
    },
    /// tract-core's binary operators by name ([`binary`]).
    Binary {
        name: String,
    },
    /// tract-core's element-wise operators by name ([`unary`]).
    Unary {
        name: String,
    },
    /// `condition ? a : b`.
    Iff,
    /// Constant padding.
    Pad {
        pads: Vec<(usize, usize)>,
        value: f32,
    },
    AddAxis {
        at: usize,
    },
    RmAxis {
        at: usize,
    },
    MoveAxis {
        from: usize,
        to: usize,
    },
    Reshape {
        at: usize,
        from: Vec<i64>,
        to: Vec<i64>,
    },
    Concat {
        axis: usize,
    },
    Resize {
        coord_transformer: String,
        interpolator: String,
        nearest: String,
        scales_input: Option<usize>,
        sizes_input: Option<usize>,
    },
    Cast {
        to: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Pool {
    data_format: String,
    kernel_shape: Vec<usize>,
    padding: Padding,
    dilations: Option<Vec<usize>>,
    strides: Option<Vec<usize>>,
    input_channels: usize,
    output_channels: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Padding {
    Valid,
    SameUpper,
    SameLower,
    Explicit {
        before: Vec<usize>,
        after: Vec<usize>,
    },
    ExplicitOnnxPool {
        before: Vec<usize>,
        after: Vec<usize>,
        ceil: bool,
    },
}

/// The binary operators the models use, by tract's name for them.
fn binary(name: &str) -> Option<Box<dyn BinMiniOp>> {
    use tract_core::ops::{logic, math};
    Some(match name {
        "Add" => Box::new(math::Add),
        "Sub" => Box::new(math::Sub),
        "Mul" => Box::new(math::Mul),
        "Div" => Box::new(math::Div),
        "Max" => Box::new(math::Max),
        "Min" => Box::new(math::Min),
        "GT" => Box::new(logic::CompGT),
        _ => return None,
    })
}

/// The element-wise operators the models use, by tract's name for them.
fn unary(name: &str) -> Option<Box<dyn ElementWiseMiniOp>> {
    use tract_core::ops::math;
    Some(match name {
        "Abs" => Box::new(math::Abs {}),
        _ => return None,
    })
}

/// The tensor types a constant may have, and their width in bytes.
fn width(dt: DatumType) -> Option<usize> {
    match dt {
        DatumType::F32 | DatumType::I32 => Some(4),
        DatumType::I64 => Some(8),
        DatumType::Bool | DatumType::U8 => Some(1),
        _ => None,
    }
}

fn data_format(f: DataFormat) -> &'static str {
    match f {
        DataFormat::NCHW => "NCHW",
        DataFormat::NHWC => "NHWC",
        DataFormat::CHW => "CHW",
        DataFormat::HWC => "HWC",
    }
}

fn kernel_format(f: KernelFormat) -> &'static str {
    match f {
        KernelFormat::OIHW => "OIHW",
        KernelFormat::HWIO => "HWIO",
        KernelFormat::OHWI => "OHWI",
    }
}

/// Writes a decluttered model (concrete shapes) as a model file.
pub fn write(model: &TypedModel) -> Result<Vec<u8>> {
    let order = model.eval_order()?;
    let mut index = HashMap::new();
    let mut nodes = Vec::with_capacity(order.len());
    let mut blob = Vec::new();
    let wire = |index: &HashMap<usize, usize>, o: &OutletId| -> Result<Wire> {
        index
            .get(&o.node)
            .map(|&n| (n, o.slot))
            .ok_or_else(|| Error::Model(format!("node {} is read before it is written", o.node)))
    };
    for &id in &order {
        let node = model.node(id);
        let op = describe(node, &mut blob)
            .map_err(|e| Error::Model(format!("node {:?}: {e}", node.name)))?;
        let inputs = node
            .inputs
            .iter()
            .map(|o| wire(&index, o))
            .collect::<Result<_>>()?;
        index.insert(id, nodes.len());
        nodes.push(Node {
            name: node.name.clone(),
            op,
            inputs,
        });
    }
    let outputs = model
        .output_outlets()?
        .iter()
        .map(|o| wire(&index, o))
        .collect::<Result<_>>()?;
    let json = serde_json::to_vec(&File { nodes, outputs })
        .map_err(|e| Error::Model(format!("writing the graph: {e}")))?;
    let len = u32::try_from(json.len())
        .map_err(|_| Error::Model("the graph's description is over 4 GiB".into()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let written = gz
        .write_all(MAGIC)
        .and_then(|_| gz.write_all(&len.to_le_bytes()))
        .and_then(|_| gz.write_all(&json))
        .and_then(|_| gz.write_all(&blob));
    written
        .and_then(|_| gz.finish())
        .map_err(|e| Error::Model(format!("compressing the model: {e}")))
}

/// One node's operator, its constant's bytes appended to `blob`.
fn describe(node: &TypedNode, blob: &mut Vec<u8>) -> std::result::Result<Op, String> {
    let dt_name = |dt: DatumType| -> std::result::Result<String, String> {
        width(dt)
            .map(|_| format!("{dt:?}"))
            .ok_or_else(|| format!("type {dt:?} is not in Vigil's model format"))
    };
    let shape = |fact: &TypedFact| -> std::result::Result<Vec<usize>, String> {
        fact.shape
            .as_concrete()
            .map(|s| s.to_vec())
            .ok_or_else(|| format!("shape {:?} is not concrete", fact.shape))
    };
    let pool = |p: &PoolSpec| Pool {
        data_format: data_format(p.data_format).into(),
        kernel_shape: p.kernel_shape.to_vec(),
        padding: match &p.padding {
            PaddingSpec::Valid => Padding::Valid,
            PaddingSpec::SameUpper => Padding::SameUpper,
            PaddingSpec::SameLower => Padding::SameLower,
            PaddingSpec::Explicit(b, a) => Padding::Explicit {
                before: b.to_vec(),
                after: a.to_vec(),
            },
            PaddingSpec::ExplicitOnnxPool(b, a, ceil) => Padding::ExplicitOnnxPool {
                before: b.to_vec(),
                after: a.to_vec(),
                ceil: *ceil,
            },
        },
        dilations: p.dilations.as_ref().map(|d| d.to_vec()),
        strides: p.strides.as_ref().map(|s| s.to_vec()),
        input_channels: p.input_channels,
        output_channels: p.output_channels,
    };
    let dims = |dims: &[TDim]| -> std::result::Result<Vec<i64>, String> {
        dims.iter()
            .map(|d| {
                d.to_i64()
                    .map_err(|_| format!("dimension {d} is not a number"))
            })
            .collect()
    };
    if let Some(s) = node.op_as::<TypedSource>() {
        return Ok(Op::Source {
            dt: dt_name(s.fact.datum_type)?,
            shape: shape(&s.fact)?,
        });
    }
    if let Some(c) = node.op_as::<Const>() {
        if c.exotic_fact().is_some() {
            return Err("a constant with an exotic fact is not in Vigil's model format".into());
        }
        let t = c.val();
        let dt = dt_name(t.datum_type())?;
        append(t, blob).map_err(|e| format!("{e}"))?;
        return Ok(Op::Const {
            dt,
            shape: t.shape().to_vec(),
        });
    }
    if let Some(c) = node.op_as::<Conv>() {
        if c.q_params.is_some() {
            return Err("quantised convolutions are not in Vigil's model format".into());
        }
        return Ok(Op::Conv {
            pool: pool(&c.pool_spec),
            kernel_format: kernel_format(c.kernel_fmt).into(),
            group: c.group,
        });
    }
    if let Some(m) = node.op_as::<MaxPool>() {
        if m.with_index_outputs.is_some() {
            return Err("max-pool with indices is not in Vigil's model format".into());
        }
        return Ok(Op::MaxPool {
            pool: pool(&m.pool_spec),
        });
    }
    if let Some(e) = node.op_as::<EinSum>() {
        if e.q_params.is_some() {
            return Err("quantised einsum is not in Vigil's model format".into());
        }
        return Ok(Op::EinSum {
            axes: e.axes.to_string(),
            dt: dt_name(e.operating_dt)?,
        });
    }
    if let Some(b) = node.op_as::<TypedBinOp>() {
        let name = b.0.name();
        if binary(name).is_none() || b.1.is_some() {
            return Err(format!(
                "binary operator {name} is not in Vigil's model format"
            ));
        }
        return Ok(Op::Binary { name: name.into() });
    }
    if let Some(e) = node.op_as::<ElementWiseOp>() {
        let name = e.0.name();
        if unary(&name).is_none() || e.1.is_some() {
            return Err(format!(
                "element-wise operator {name} is not in Vigil's model format"
            ));
        }
        return Ok(Op::Unary { name });
    }
    if node.op_as::<Iff>().is_some() {
        return Ok(Op::Iff);
    }
    if let Some(p) = node.op_as::<Pad>() {
        let PadMode::Constant(value) = &p.mode else {
            return Err(format!(
                "padding {:?} is not in Vigil's model format",
                p.mode
            ));
        };
        let value = value
            .cast_to_scalar::<f32>()
            .map_err(|e| format!("padding value: {e}"))?;
        return Ok(Op::Pad {
            pads: p.pads.clone(),
            value,
        });
    }
    if let Some(a) = node.op_as::<AxisOp>() {
        return Ok(match a {
            AxisOp::Add(at) => Op::AddAxis { at: *at },
            AxisOp::Rm(at) => Op::RmAxis { at: *at },
            AxisOp::Move(from, to) => Op::MoveAxis {
                from: *from,
                to: *to,
            },
            AxisOp::Reshape(at, from, to) => Op::Reshape {
                at: *at,
                from: dims(from)?,
                to: dims(to)?,
            },
        });
    }
    if let Some(c) = node.op_as::<TypedConcat>() {
        return Ok(Op::Concat { axis: c.axis });
    }
    if let Some(r) = node.op_as::<Resize>() {
        return Ok(Op::Resize {
            coord_transformer: r.coord_transformer.as_str().into(),
            interpolator: r.interpolator.as_str().into(),
            nearest: r.nearest.as_str().into(),
            scales_input: r.optional_scales_input,
            sizes_input: r.optional_sizes_input,
        });
    }
    if let Some(c) = node.op_as::<Cast>() {
        return Ok(Op::Cast { to: dt_name(c.to)? });
    }
    Err(format!(
        "operator {} is not in Vigil's model format",
        node.op.name()
    ))
}

/// A constant's elements, little-endian.
fn append(t: &Tensor, blob: &mut Vec<u8>) -> TractResult<()> {
    let t = t.try_as_plain_ram()?;
    match t.datum_type() {
        DatumType::F32 => blob.extend(t.as_slice::<f32>()?.iter().flat_map(|v| v.to_le_bytes())),
        DatumType::I32 => blob.extend(t.as_slice::<i32>()?.iter().flat_map(|v| v.to_le_bytes())),
        DatumType::I64 => blob.extend(t.as_slice::<i64>()?.iter().flat_map(|v| v.to_le_bytes())),
        DatumType::U8 => blob.extend_from_slice(t.as_slice::<u8>()?),
        DatumType::Bool => blob.extend(t.as_slice::<bool>()?.iter().map(|&b| u8::from(b))),
        dt => bail!("type {dt:?} is not in Vigil's model format"),
    }
    Ok(())
}

/// Whether `bytes` look like a model file: gzip, or [`MAGIC`].
pub fn is_graph(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(MAGIC)
}

/// Reads a model file (gzipped or not) back into the graph [`write`] was
/// given.
pub fn read(bytes: &[u8]) -> Result<TypedModel> {
    let bad = |what: String| Error::Model(format!("not a Vigil model file: {what}"));
    let mut raw = Vec::new();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|e| bad(format!("gzip: {e}")))?;
        if raw.len() as u64 > MAX_BYTES {
            return Err(bad(format!("over {MAX_BYTES} bytes un-gzipped")));
        }
        &raw[..]
    } else {
        bytes
    };
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("no VIGILGRAPH1 header".into()))?;
    let (len, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("truncated header".into()))?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(bad(format!(
            "the graph's description is {len} bytes, {} are left",
            rest.len()
        )));
    }
    let (json, mut blob) = rest.split_at(len);
    let file: File =
        serde_json::from_slice(json).map_err(|e| bad(format!("graph description: {e}")))?;
    let mut model = TypedModel::default();
    let mut outlets: Vec<TVec<OutletId>> = Vec::with_capacity(file.nodes.len());
    for (i, node) in file.nodes.into_iter().enumerate() {
        let inputs = node
            .inputs
            .iter()
            .map(|&(n, slot)| {
                outlet(&outlets, (n, slot)).ok_or_else(|| {
                        bad(format!(
                            "node {i} ({:?}) reads ({n}, {slot}), which is not an earlier node's output",
                            node.name
                        ))
                    })
            })
            .collect::<Result<TVec<_>>>()?;
        let wired = wire(&mut model, &node.name, node.op, &inputs, &mut blob)
            .map_err(|e| bad(format!("node {i} ({:?}): {e:#}", node.name)))?;
        outlets.push(wired);
    }
    if !blob.is_empty() {
        return Err(bad(format!("{} bytes after the last constant", blob.len())));
    }
    let outputs = file
        .outputs
        .iter()
        .map(|&(n, slot)| {
            outlet(&outlets, (n, slot))
                .ok_or_else(|| bad(format!("output ({n}, {slot}) is no node's output")))
        })
        .collect::<Result<Vec<_>>>()?;
    model.select_output_outlets(&outputs)?;
    Ok(model)
}

/// The outlet a wire names, if the node and its slot were read already.
fn outlet(outlets: &[TVec<OutletId>], (node, slot): Wire) -> Option<OutletId> {
    outlets.get(node).and_then(|o| o.get(slot)).copied()
}

/// Adds one node; a constant takes its bytes from the front of `blob`.
fn wire(
    model: &mut TypedModel,
    name: &str,
    op: Op,
    inputs: &[OutletId],
    blob: &mut &[u8],
) -> TractResult<TVec<OutletId>> {
    let dt = |s: &str| -> TractResult<DatumType> {
        let dt: DatumType = s.parse()?;
        ensure!(
            width(dt).is_some(),
            "type {s} is not in Vigil's model format"
        );
        Ok(dt)
    };
    let boxed: Box<dyn TypedOp> = match op {
        Op::Source { dt: t, shape } => {
            ensure!(inputs.is_empty(), "a source has no inputs");
            return Ok(tvec![
                model.add_source(name, TypedFact::dt_shape(dt(&t)?, &*shape))?
            ]);
        }
        Op::Const { dt: t, shape } => {
            ensure!(inputs.is_empty(), "a constant has no inputs");
            let tensor = take(dt(&t)?, &shape, blob)?.into_arc_tensor();
            // Not `add_const`, which looks for an equal constant among all
            // the nodes (quadratic) and merges it: the graph is read as written.
            let fact = TypedFact::try_from(tensor.clone())?;
            let id = model.add_node(name, Const::new(tensor)?, tvec![fact])?;
            return Ok(tvec![id.into()]);
        }
        Op::Conv {
            pool: p,
            kernel_format: k,
            group,
        } => Box::new(Conv {
            pool_spec: pool_spec(p)?,
            kernel_fmt: match &*k {
                "OIHW" => KernelFormat::OIHW,
                "HWIO" => KernelFormat::HWIO,
                "OHWI" => KernelFormat::OHWI,
                _ => bail!("kernel format {k:?}"),
            },
            group,
            q_params: None,
        }),
        Op::MaxPool { pool: p } => Box::new(MaxPool {
            pool_spec: pool_spec(p)?,
            with_index_outputs: None,
        }),
        Op::EinSum { axes, dt: t } => {
            // tract's parser asserts on "..." rather than refusing it.
            ensure!(
                axes.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ",->".contains(c)),
                "einsum axes {axes:?}"
            );
            Box::new(EinSum::new(axes.parse()?, dt(&t)?))
        }
        Op::Binary { name: n } => Box::new(TypedBinOp(
            binary(&n).with_context(|| format!("binary operator {n:?}"))?,
            None,
        )),
        Op::Unary { name: n } => Box::new(ElementWiseOp(
            unary(&n).with_context(|| format!("element-wise operator {n:?}"))?,
            None,
        )),
        Op::Iff => Box::new(Iff),
        Op::Pad { pads, value } => Box::new(Pad {
            pads,
            mode: PadMode::Constant(rctensor0(value)),
        }),
        Op::AddAxis { at } => Box::new(AxisOp::Add(at)),
        Op::RmAxis { at } => Box::new(AxisOp::Rm(at)),
        Op::MoveAxis { from, to } => Box::new(AxisOp::Move(from, to)),
        Op::Reshape { at, from, to } => Box::new(AxisOp::Reshape(
            at,
            from.iter().map(|&d| d.to_dim()).collect(),
            to.iter().map(|&d| d.to_dim()).collect(),
        )),
        Op::Concat { axis } => Box::new(TypedConcat { axis }),
        Op::Resize {
            coord_transformer,
            interpolator,
            nearest,
            scales_input,
            sizes_input,
        } => Box::new(Resize {
            coord_transformer: CoordTransformer::parse(&coord_transformer)?,
            interpolator: Interpolator::parse(&interpolator)?,
            nearest: Nearest::parse(&nearest)?,
            optional_scales_input: scales_input,
            optional_sizes_input: sizes_input,
        }),
        Op::Cast { to } => Box::new(Cast { to: dt(&to)? }),
    };
    model.wire_node(name, boxed, inputs)
}

fn pool_spec(p: Pool) -> TractResult<PoolSpec> {
    let rank = p.kernel_shape.len();
    let same_rank = |v: &Option<Vec<usize>>| v.as_ref().is_none_or(|v| v.len() == rank);
    ensure!(
        same_rank(&p.dilations) && same_rank(&p.strides),
        "pool: dilations and strides must have one value per kernel axis"
    );
    Ok(PoolSpec {
        data_format: match &*p.data_format {
            "NCHW" => DataFormat::NCHW,
            "NHWC" => DataFormat::NHWC,
            "CHW" => DataFormat::CHW,
            "HWC" => DataFormat::HWC,
            f => bail!("data format {f:?}"),
        },
        kernel_shape: p.kernel_shape.into(),
        padding: match p.padding {
            Padding::Valid => PaddingSpec::Valid,
            Padding::SameUpper => PaddingSpec::SameUpper,
            Padding::SameLower => PaddingSpec::SameLower,
            Padding::Explicit { before, after } => {
                ensure!(
                    before.len() == rank && after.len() == rank,
                    "pool: padding rank"
                );
                PaddingSpec::Explicit(before.into(), after.into())
            }
            Padding::ExplicitOnnxPool {
                before,
                after,
                ceil,
            } => {
                ensure!(
                    before.len() == rank && after.len() == rank,
                    "pool: padding rank"
                );
                PaddingSpec::ExplicitOnnxPool(before.into(), after.into(), ceil)
            }
        },
        dilations: p.dilations.map(Into::into),
        strides: p.strides.map(Into::into),
        input_channels: p.input_channels,
        output_channels: p.output_channels,
    })
}

/// The next constant from the front of `blob`.
fn take(dt: DatumType, shape: &[usize], blob: &mut &[u8]) -> TractResult<Tensor> {
    let count = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .context("constant: its shape overflows")?;
    let width = width(dt).with_context(|| format!("type {dt:?}"))?;
    let len = count
        .checked_mul(width)
        .context("constant: its size overflows")?;
    ensure!(
        blob.len() >= len,
        "constant of {len} bytes, {} left in the file",
        blob.len()
    );
    let (bytes, rest) = blob.split_at(len);
    *blob = rest;
    Ok(match dt {
        DatumType::F32 => Tensor::from_shape(shape, &numbers(bytes, f32::from_le_bytes))?,
        DatumType::I32 => Tensor::from_shape(shape, &numbers(bytes, i32::from_le_bytes))?,
        DatumType::I64 => Tensor::from_shape(shape, &numbers(bytes, i64::from_le_bytes))?,
        DatumType::U8 => Tensor::from_shape(shape, bytes)?,
        DatumType::Bool => {
            Tensor::from_shape(shape, &bytes.iter().map(|&b| b != 0).collect::<Vec<_>>())?
        }
        _ => bail!("type {dt:?}"),
    })
}

/// Little-endian numbers of `N` bytes each (`bytes` holds a whole number
/// of them: [`take`] sized it).
fn numbers<T, const N: usize>(bytes: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| from(c.try_into().unwrap_or([0; N])))
        .collect()
}
