//! [`OnnxError`]: everything that can go wrong writing or reading an ONNX
//! model, each naming what it is about (the layer, node, operator, tensor or
//! attribute) and what was expected against what was found.

use backprop_layers::LayerError;
use std::path::PathBuf;
use thiserror::Error;

/// Why a model could not be exported to ONNX or imported from it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// Reading or writing the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a protobuf-encoded ONNX `ModelProto`.
    #[error("not an ONNX model (malformed protobuf): {source}")]
    Decode {
        /// prost's description of the first bad byte.
        #[from]
        source: prost::DecodeError,
    },
    /// Export: a layer of a kind that has no ONNX operator here (a
    /// user-registered kind, or a setting ONNX cannot express).
    #[error("layer {layer} ({kind}) cannot be exported to ONNX: {reason}")]
    UnsupportedLayer {
        /// The layer's position (`"3"`, `"2.1"` in a nested network).
        layer: String,
        /// Its kind (`"my_layer"`).
        kind: String,
        /// Why.
        reason: String,
    },
    /// Import: a node whose operator this importer does not translate.
    #[error(
        "node {node:?}: operator {op_type} (domain {domain:?}) is not supported; supported: {supported}"
    )]
    UnsupportedOperator {
        /// The node's name (or `#index` if it has none).
        node: String,
        /// Its `op_type`.
        op_type: String,
        /// Its domain (`""` is ONNX's own).
        domain: String,
        /// The operators that are.
        supported: String,
    },
    /// Import: an attribute that is missing, of the wrong type, or with a
    /// value this importer (or backprop's layer) cannot take.
    #[error("node {node:?} ({op_type}): attribute {attribute}: expected {expected}, found {found}")]
    Attribute {
        /// The node's name.
        node: String,
        /// Its `op_type`.
        op_type: String,
        /// The attribute's name.
        attribute: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// Import: a node input that is neither the running value nor a known
    /// constant (initializer or `Constant` node).
    #[error(
        "node {node:?} ({op_type}): input {tensor:?} is not an initializer, a Constant or the graph's running value"
    )]
    MissingTensor {
        /// The node's name.
        node: String,
        /// Its `op_type`.
        op_type: String,
        /// The missing tensor's name.
        tensor: String,
    },
    /// Import: a weight, bias or other constant of the wrong shape, or a
    /// graph input/output of the wrong shape.
    #[error(
        "tensor {tensor:?}{}: expected shape {expected}, found {found}",
        for_node(node)
    )]
    TensorShape {
        /// The tensor's name.
        tensor: String,
        /// The node that uses it, if any.
        node: Option<String>,
        /// The shape expected (`[10, 64]`, `"4 values"`).
        expected: String,
        /// The shape found.
        found: String,
    },
    /// Import: a tensor of an element type other than those read here.
    #[error("tensor {tensor:?}: expected {expected}, found element type {found}")]
    TensorType {
        /// The tensor's name.
        tensor: String,
        /// The element types accepted.
        expected: String,
        /// The type found (ONNX's name).
        found: String,
    },
    /// Import: a tensor whose data does not match its declared dimensions,
    /// is stored outside the file, or holds a value that is not finite.
    #[error("tensor {tensor:?}: {message}")]
    TensorData {
        /// The tensor's name.
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// Import: the graph is not one chain from one input to one output (a
    /// branch, a merge, a node off the path, several inputs or outputs).
    #[error("the graph is not a single chain: {message}")]
    NotAChain {
        /// Where and how it branches.
        message: String,
    },
    /// Import: the model as a whole is unusable (no graph, no operator set
    /// of ONNX's domain, an input without a shape).
    #[error("invalid ONNX model: {message}")]
    Model {
        /// What is wrong.
        message: String,
    },
    /// A `metadata_props` entry written by backprop that cannot be read.
    #[error("metadata_props {key:?}: expected {expected}, found {found:?}")]
    Metadata {
        /// The key.
        key: String,
        /// What the value should be.
        expected: String,
        /// The value found.
        found: String,
    },
    /// Import: the layer a node translates to refuses its settings or its
    /// input (a kernel larger than the input, a negative variance, …).
    #[error("node {node:?} ({op_type}): {source}")]
    Layer {
        /// The node's name.
        node: String,
        /// Its `op_type`.
        op_type: String,
        /// The layer's error.
        source: Box<LayerError>,
    },
    /// The network as a whole: a layer error not tied to one node (a
    /// nested network's shape on export, a value check after import).
    #[error(transparent)]
    Network(Box<LayerError>),
}

impl From<LayerError> for OnnxError {
    fn from(e: LayerError) -> Self {
        OnnxError::Network(Box::new(e))
    }
}

fn for_node(node: &Option<String>) -> String {
    match node {
        Some(n) => format!(" (node {n:?})"),
        None => String::new(),
    }
}
