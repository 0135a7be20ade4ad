//! [`import`] and [`import_bytes`]: an ONNX model whose graph is one chain
//! of supported operators, as a [`Sequential`] with its input shape and
//! [`ModelInfo`](backprop_layers::ModelInfo).
//!
//! The steps: decode the protobuf (prost); find the operator set, the one
//! input and the one output; collect the constants (constants.rs); order
//! the nodes from input to output (chain.rs); translate each node into a
//! layer (ops.rs), planning it on the samples it reads (build.rs); build
//! the network, fill its weights, check its values; read the metadata.
//! Every size is checked against the data present before anything is
//! allocated from it, and every failure is an [`OnnxError`].

mod attrs;
mod build;
mod chain;
mod constants;
mod ops;
mod tensor;

pub use ops::SUPPORTED;

use crate::OnnxError;
use crate::metadata::from_props;
use crate::schema::{
    ModelProto, NodeProto, ValueInfoProto, tensor_shape_proto::dimension, type_proto,
};
use backprop_layers::{Layer, Registry, Sequential, Shape};
use backprop_tensor::Scalar;
use build::Planned;
use prost::Message;
use std::path::Path;

/// An imported model: the network (its input shape and
/// [`ModelInfo`](backprop_layers::ModelInfo) included) and what the file
/// said about itself.
#[derive(Debug)]
#[non_exhaustive]
pub struct Imported<T: Scalar = f32> {
    /// The network, in evaluation-ready state; its `info()` is read from
    /// `metadata_props` (defaults when absent: no preprocessing; logits, or
    /// probabilities when the graph ends in a softmax or sigmoid).
    pub model: Sequential<T>,
    /// The name of the graph's input.
    pub input_name: String,
    /// The name of the graph's output.
    pub output_name: String,
    /// The operator set of ONNX's domain the file declares.
    pub opset: i64,
    /// The file's IR version.
    pub ir_version: i64,
    /// `producer_name` and `producer_version`, space-separated (`"pytorch 2.15.0"`).
    pub producer: String,
}

impl<T: Scalar> Imported<T> {
    /// The network alone.
    pub fn into_model(self) -> Sequential<T> {
        self.model
    }
    /// The shape of one input sample (`[784]`, `[1, 28, 28]`).
    pub fn input_shape(&self) -> &Shape {
        self.model.input_shape()
    }
}

/// Reads the ONNX file at `path` as an `f32` network (see
/// [`import_bytes`]).
pub fn import(path: impl AsRef<Path>) -> Result<Imported<f32>, OnnxError> {
    import_as(path)
}

/// Reads the ONNX file at `path` as a network of element type `T` (an
/// `f64` network holds the file's `f32` values exactly).
pub fn import_as<T: Scalar>(path: impl AsRef<Path>) -> Result<Imported<T>, OnnxError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| OnnxError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_bytes_as(&bytes)
}

/// Reads an ONNX model from its bytes as an `f32` network.
///
/// Read: `Gemm` (`transA = 0`, either `transB`; `alpha` and `beta` folded
/// into the weights), `MatMul` with or without the `Add` of its bias →
/// Dense; `Conv` (ungrouped, symmetric pads) → Conv2d; `MaxPool`,
/// `AveragePool` (`ceil_mode = 0`) → MaxPool2d, AvgPool2d;
/// `BatchNormalization` → BatchNorm1d or BatchNorm2d by the input's rank;
/// `Flatten` (axis 1) or `Reshape` to `[batch, -1]` → Flatten; `Relu`,
/// `LeakyRelu`, `Sigmoid`, `Tanh`, `Elu`, `Softplus`, `Softmax` (over a
/// sample's features), `Gelu` (`approximate = "tanh"`), `Identity` →
/// activations; `Dropout` → Dropout. `Constant` nodes, `Identity` nodes
/// copying a constant and initializers (as `raw_data`, `float_data` or
/// `double_data`, also when listed among the graph inputs, as IR 3 files
/// do) are the constants.
///
/// Anything else is an [`OnnxError`] naming the node and operator, the
/// tensor, the attribute: see its variants.
pub fn import_bytes(bytes: &[u8]) -> Result<Imported<f32>, OnnxError> {
    import_bytes_as(bytes)
}

/// Reads an ONNX model from its bytes as a network of element type `T`.
pub fn import_bytes_as<T: Scalar>(bytes: &[u8]) -> Result<Imported<T>, OnnxError> {
    let model = ModelProto::decode(bytes)?;
    from_model_proto(&model)
}

/// The network a decoded [`ModelProto`] describes (see [`import_bytes`]).
pub fn from_model_proto<T: Scalar>(model: &ModelProto) -> Result<Imported<T>, OnnxError> {
    let invalid = |message: String| OnnxError::Model { message };
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| invalid("the model has no graph".into()))?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| invalid("no operator set of ONNX's own domain (opset_import)".into()))?;
    let constants = constants::Constants::of(graph)?;
    let inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !constants.contains(&i.name))
        .collect();
    let [input] = inputs.as_slice() else {
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(OnnxError::NotAChain {
            message: format!(
                "the graph has {} inputs besides its initializers ({}); one is read",
                names.len(),
                names.join(", ")
            ),
        });
    };
    let [output] = graph.output.as_slice() else {
        let names: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
        return Err(OnnxError::NotAChain {
            message: format!(
                "the graph has {} outputs ({}); one is read",
                names.len(),
                names.join(", ")
            ),
        });
    };
    let (input_shape, batch) = sample_shape(input)?;
    let order = chain::chain(graph, &constants, &input.name, &output.name)?;
    let registry = Registry::builtin();
    let cx = ops::Context {
        constants: &constants,
        opset,
        batch,
    };
    let mut layers = Vec::new();
    let mut shape = input_shape.clone();
    let mut at = 0;
    let mut running = input.name.as_str();
    while at < order.len() {
        let (index, node) = order[at];
        let (spec, took) = ops::translate(&order, at, running, &shape, &cx)?;
        running = order[at + took - 1].1.output[0].as_str();
        let planned = Planned {
            spec,
            node: node_label(node, index),
            op_type: node.op_type.clone(),
        };
        shape = build::plan(&registry, &planned, &shape)?;
        layers.push(planned);
        at += took;
    }
    let mut net = build::build::<T>(&registry, layers, &input_shape)?;
    Layer::check_values(&net)?;
    let default_output = net.info().output;
    let outputs = net.output_size();
    *net.info_mut() = from_props(
        &model.metadata_props,
        input_shape.len(),
        outputs,
        default_output,
    )?;
    Ok(Imported {
        model: net,
        input_name: input.name.clone(),
        output_name: output.name.clone(),
        opset,
        ir_version: model.ir_version,
        producer: format!("{} {}", model.producer_name, model.producer_version)
            .trim()
            .to_string(),
    })
}

/// How messages name node `index`: its name, or `#index` if it has none.
pub(crate) fn node_label(node: &NodeProto, index: usize) -> String {
    if node.name.is_empty() {
        format!("#{index}")
    } else {
        node.name.clone()
    }
}

/// The sample shape of the graph input (its dimensions after the batch)
/// and the batch size when it is fixed.
fn sample_shape(input: &ValueInfoProto) -> Result<(Shape, Option<i64>), OnnxError> {
    let err = |message: String| OnnxError::Model {
        message: format!("graph input {:?}: {message}", input.name),
    };
    let tensor = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => t,
        _ => return Err(err("expected a tensor type".into())),
    };
    if tensor.elem_type != 1 && tensor.elem_type != 11 {
        return Err(OnnxError::TensorType {
            tensor: input.name.clone(),
            expected: "FLOAT or DOUBLE".into(),
            found: tensor::type_name(tensor.elem_type),
        });
    }
    let dims = tensor
        .shape
        .as_ref()
        .map(|s| s.dim.as_slice())
        .ok_or_else(|| err("no shape: backprop needs the shape of a sample".into()))?;
    if dims.len() < 2 {
        return Err(OnnxError::TensorShape {
            tensor: input.name.clone(),
            node: None,
            expected: "[batch, features] or [batch, channels, height, width]".into(),
            found: format!("{} dimensions", dims.len()),
        });
    }
    let batch = match dims[0].value {
        Some(dimension::Value::DimValue(v)) => Some(v),
        _ => None,
    };
    let mut sample = Vec::with_capacity(dims.len() - 1);
    for (k, d) in dims.iter().enumerate().skip(1) {
        match d.value {
            Some(dimension::Value::DimValue(v)) if v > 0 => {
                sample.push(usize::try_from(v).map_err(|_| err(format!("dimension {k} is {v}")))?)
            }
            ref other => {
                return Err(err(format!(
                    "dimension {k} is {}; backprop needs every dimension of a sample as a positive number",
                    match other {
                        Some(dimension::Value::DimParam(p)) => format!("symbolic ({p:?})"),
                        Some(dimension::Value::DimValue(v)) => v.to_string(),
                        None => "unknown".into(),
                    }
                )));
            }
        }
    }
    let shape = Shape::new(sample);
    shape.validate("input")?;
    Ok((shape, batch))
}
