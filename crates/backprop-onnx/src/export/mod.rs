//! [`export`] and [`export_bytes`]: a network of built-in layers as an ONNX
//! model. Each layer becomes one node (layers.rs), nested networks are
//! flattened into the chain, and the graph gets a named input and output
//! with a dynamic batch dimension (`"batch"`).

mod graph;
mod layers;
mod tensor;

use crate::metadata::to_props;
use crate::options::{OPSET, OPSET_GELU, PRODUCER_NAME, ir_version};
use crate::schema::{
    GraphProto, ModelProto, OperatorSetIdProto, TensorShapeProto, TypeProto, ValueInfoProto,
    tensor_proto, tensor_shape_proto, type_proto,
};
use crate::{ExportOptions, OnnxError};
use backprop_layers::{Layer, Model, Shape};
use backprop_tensor::Scalar;
use graph::GraphBuilder;
use prost::Message;
use std::path::Path;

/// Writes `model` to `path` as an ONNX file (atomically: a temporary file
/// in the same directory, renamed).
///
/// What becomes what: see [`export_bytes`].
pub fn export<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
    options: &ExportOptions,
) -> Result<(), OnnxError> {
    let bytes = export_bytes(model, options)?;
    crate::atomic::write(path.as_ref(), &bytes)
}

/// `model` as the bytes of an ONNX file.
///
/// - Dense → `Gemm` (`transB = 1`, the weight `[out, in]` as PyTorch's
///   `nn.Linear`); Conv2d → `Conv`; MaxPool2d → `MaxPool`; AvgPool2d →
///   `AveragePool` (`count_include_pad = 1`, as ours); BatchNorm1d/2d →
///   `BatchNormalization` (running statistics and `epsilon`; the momentum
///   is training-only and not stored); Flatten → `Flatten`; Dropout and
///   Dropout2d → `Dropout` with its ratio (the identity at inference);
///   each activation → its operator (`Relu`, `Sigmoid`, `Tanh`,
///   `LeakyRelu`, `Elu`, `Softplus`, `Softmax` on axis 1, `Identity`, and
///   GELU → `Gelu` with `approximate = "tanh"`, the formula ours computes).
/// - The operator set is 17 (IR 8), or 20 (IR 9) when there is a GELU:
///   ONNX's `Gelu` appeared in opset 20.
/// - Tensors are `f32`: an `f64` model's values are rounded to the nearest
///   `f32`.
/// - The input is `[batch, …input shape]` (`[batch, 784]`,
///   `[batch, 1, 28, 28]`), the output `[batch, …output shape]`, `batch`
///   being a symbolic dimension; the [`ModelInfo`](backprop_layers::ModelInfo)
///   goes into `metadata_props` (see [`metadata`](crate::metadata)).
///
/// A layer of another kind (a user's own) is an
/// [`OnnxError::UnsupportedLayer`] naming it.
pub fn export_bytes<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    options: &ExportOptions,
) -> Result<Vec<u8>, OnnxError> {
    Ok(to_model_proto(model, options)?.encode_to_vec())
}

/// `model` as an ONNX [`ModelProto`], to inspect or adjust before encoding.
pub fn to_model_proto<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    options: &ExportOptions,
) -> Result<ModelProto, OnnxError> {
    let mut g = GraphBuilder::new(&options.input_name);
    let out_shape = walk(&mut g, model.as_layer(), "", model.input_shape())?;
    g.finish(&options.output_name);
    let opset = if g.needs_gelu { OPSET_GELU } else { OPSET };
    let graph = GraphProto {
        name: options.graph_name.clone(),
        node: g.nodes,
        initializer: g.initializers,
        input: vec![value_info(&options.input_name, model.input_shape())],
        output: vec![value_info(&options.output_name, &out_shape)],
        ..GraphProto::default()
    };
    Ok(ModelProto {
        ir_version: ir_version(opset),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        producer_name: PRODUCER_NAME.into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: options.doc_string.clone(),
        graph: Some(graph),
        metadata_props: to_props(model.info()),
        ..ModelProto::default()
    })
}

/// Emits `layer` at `path` on samples of `shape`, recursing into
/// containers; returns the output shape.
fn walk<T: Scalar>(
    g: &mut GraphBuilder,
    layer: &dyn Layer<T>,
    path: &str,
    shape: &Shape,
) -> Result<Shape, OnnxError> {
    if layer.kind() == "sequential" {
        let mut shape = shape.clone();
        for (i, child) in layer.children().iter().enumerate() {
            let child_path = if path.is_empty() {
                i.to_string()
            } else {
                format!("{path}.{i}")
            };
            shape = walk(g, child.as_ref(), &child_path, &shape)?;
        }
        return Ok(shape);
    }
    layers::emit(g, layer, path, shape)?;
    Ok(layer.output_shape(shape)?)
}

/// A `float` tensor value named `name` of shape `[batch, …shape]`.
fn value_info(name: &str, shape: &Shape) -> ValueInfoProto {
    use tensor_shape_proto::{Dimension, dimension::Value};
    let batch = Dimension {
        value: Some(Value::DimParam("batch".into())),
        ..Dimension::default()
    };
    let dims = shape.dims().iter().map(|&d| Dimension {
        value: Some(Value::DimValue(d as i64)),
        ..Dimension::default()
    });
    let tensor = type_proto::Tensor {
        elem_type: tensor_proto::DataType::Float as i32,
        shape: Some(TensorShapeProto {
            dim: std::iter::once(batch).chain(dims).collect(),
        }),
    };
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            ..TypeProto::default()
        }),
        ..ValueInfoProto::default()
    }
}
