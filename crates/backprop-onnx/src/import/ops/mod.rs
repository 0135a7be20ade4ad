//! One ONNX node (or a MatMul and its Add) → one backprop layer: its kind,
//! configuration and weights. The table of what is read is
//! [`SUPPORTED`].

mod dense;
mod image;
mod shaped;

use crate::OnnxError;
use crate::import::attrs::Attrs;
use crate::import::constants::Constants;
use crate::import::node_label;
use crate::import::tensor::{dims, floats};
use crate::schema::{NodeProto, TensorProto};
use backprop_activations::ActivationKind;
use backprop_layers::{Config, Shape};

/// The operators the importer reads.
pub const SUPPORTED: &str = "Gemm, MatMul (+ Add), Conv, MaxPool, AveragePool, \
BatchNormalization, Flatten, Reshape (to [batch, -1]), Relu, LeakyRelu, Sigmoid, Tanh, Elu, \
Softplus, Softmax, Gelu (tanh), Dropout, Identity, Constant";

/// A weight of the layer: its local name, the ONNX tensor it came from,
/// and its values as a `rows × cols` matrix, row by row.
#[derive(Debug)]
pub(crate) struct Weight {
    pub local: &'static str,
    pub source: String,
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

/// What a node becomes.
#[derive(Debug)]
pub(crate) struct LayerSpec {
    pub kind: &'static str,
    pub config: Config,
    pub weights: Vec<Weight>,
}

/// What translating a node needs besides the node.
pub(crate) struct Context<'a, 'g> {
    pub constants: &'a Constants<'g>,
    pub opset: i64,
    /// The graph input's batch size, when fixed.
    pub batch: Option<i64>,
}

/// The node at `chain[at]` (reading the running value `running`, samples
/// of `shape`) as a layer, and how many nodes it took (2 for a MatMul and its
/// Add).
pub(crate) fn translate(
    chain: &[(usize, &NodeProto)],
    at: usize,
    running: &str,
    shape: &Shape,
    cx: &Context<'_, '_>,
) -> Result<(LayerSpec, usize), OnnxError> {
    let (index, node) = chain[at];
    let label = node_label(node, index);
    let n = Node { node, label, cx };
    if !(node.domain.is_empty() || node.domain == "ai.onnx") {
        return Err(n.unsupported());
    }
    if node.input.first().is_none_or(|x| x != running) {
        return Err(OnnxError::Model {
            message: format!(
                "node {:?} ({}): the running value must be its first input",
                n.label, node.op_type
            ),
        });
    }
    let spec = match node.op_type.as_str() {
        "Gemm" => n.gemm(shape)?,
        "MatMul" => {
            let next = chain.get(at + 1).map(|&(i, nd)| (i, nd)).filter(|(_, nd)| {
                nd.op_type == "Add" && nd.domain.is_empty() && nd.input.len() == 2
            });
            let bias = match next {
                Some((_, add)) => {
                    let other = if add.input[0] == node.output[0] {
                        &add.input[1]
                    } else {
                        &add.input[0]
                    };
                    cx.constants.get(other)
                }
                None => None,
            };
            let spec = n.matmul(shape, bias)?;
            return Ok((spec, if bias.is_some() { 2 } else { 1 }));
        }
        "Relu" => {
            n.attrs(&[])?;
            activation(ActivationKind::Relu)
        }
        "Sigmoid" => {
            n.attrs(&[])?;
            activation(ActivationKind::Sigmoid)
        }
        "Tanh" => {
            n.attrs(&[])?;
            activation(ActivationKind::Tanh)
        }
        "Softplus" => {
            n.attrs(&[])?;
            activation(ActivationKind::Softplus)
        }
        "Identity" => {
            n.attrs(&[])?;
            activation(ActivationKind::Identity)
        }
        "LeakyRelu" | "Elu" => {
            let a = n.attrs(&["alpha"])?;
            let leaky = node.op_type == "LeakyRelu";
            let alpha = f64::from(a.float("alpha", if leaky { 0.01 } else { 1.0 })?);
            let name = if leaky { "leaky_relu" } else { "elu" };
            let kind = ActivationKind::from_name(name, Some(alpha))
                .map_err(|e| a.err("alpha", "a slope backprop accepts", e.to_string()))?;
            activation(kind)
        }
        "Gelu" => {
            let a = n.attrs(&["approximate"])?;
            let approx = a.string("approximate", "none")?;
            if approx != "tanh" {
                return Err(a.err(
                    "approximate",
                    "\"tanh\" (backprop's GELU is the tanh approximation)",
                    format!("{approx:?}"),
                ));
            }
            activation(ActivationKind::Gelu)
        }
        "Softmax" => n.softmax(shape)?,
        "Dropout" => n.dropout()?,
        "Flatten" => {
            let a = n.attrs(&["axis"])?;
            let axis = a.int("axis", 1)?;
            if axis != 1 {
                return Err(a.err(
                    "axis",
                    "1 (keep the batch, flatten each sample)",
                    axis.to_string(),
                ));
            }
            flatten()
        }
        "Reshape" => n.reshape(shape)?,
        "BatchNormalization" => n.batch_norm(shape)?,
        "Conv" => n.conv(shape)?,
        "MaxPool" | "AveragePool" => n.pool()?,
        _ => return Err(n.unsupported()),
    };
    Ok((spec, 1))
}

fn activation(kind: ActivationKind) -> LayerSpec {
    let mut config = Config::new().with("name", kind.name());
    if let Some(alpha) = kind.alpha() {
        config.insert("alpha", alpha);
    }
    LayerSpec {
        kind: "activation",
        config,
        weights: Vec::new(),
    }
}

fn flatten() -> LayerSpec {
    LayerSpec {
        kind: "flatten",
        config: Config::new(),
        weights: Vec::new(),
    }
}

struct Node<'a, 'b, 'g> {
    node: &'a NodeProto,
    label: String,
    cx: &'b Context<'b, 'g>,
}

impl Node<'_, '_, '_> {
    fn unsupported(&self) -> OnnxError {
        OnnxError::UnsupportedOperator {
            node: self.label.clone(),
            op_type: self.node.op_type.clone(),
            domain: self.node.domain.clone(),
            supported: SUPPORTED.into(),
        }
    }

    fn attrs(&self, known: &[&str]) -> Result<Attrs<'_>, OnnxError> {
        Attrs::new(self.node, self.label.clone(), known)
    }

    /// Constant input `k` (`None` if absent or empty).
    fn constant(&self, k: usize) -> Result<Option<&TensorProto>, OnnxError> {
        match self.node.input.get(k).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(name) => {
                self.cx
                    .constants
                    .get(name)
                    .map(Some)
                    .ok_or_else(|| OnnxError::MissingTensor {
                        node: self.label.clone(),
                        op_type: self.node.op_type.clone(),
                        tensor: name.clone(),
                    })
            }
        }
    }

    /// Constant input `k`, required.
    fn required(&self, k: usize, what: &str) -> Result<&TensorProto, OnnxError> {
        self.constant(k)?.ok_or_else(|| OnnxError::MissingTensor {
            node: self.label.clone(),
            op_type: self.node.op_type.clone(),
            tensor: format!("input {k} ({what})"),
        })
    }

    fn shape_err(&self, t: &TensorProto, expected: String) -> OnnxError {
        OnnxError::TensorShape {
            tensor: t.name.clone(),
            node: Some(self.label.clone()),
            expected,
            found: format!("{:?}", t.dims),
        }
    }

    /// The number of features of a flat `shape`, or the layer error.
    fn features(&self, shape: &Shape) -> Result<usize, OnnxError> {
        shape
            .features(&self.node.op_type)
            .map_err(|source| OnnxError::Layer {
                node: self.label.clone(),
                op_type: self.node.op_type.clone(),
                source: Box::new(source),
            })
    }

    /// A vector of `n` values from `t` (`[n]`, or `[1, n]` when `row_ok`).
    fn vector(&self, t: &TensorProto, n: usize, row_ok: bool) -> Result<Vec<f32>, OnnxError> {
        let d = dims(t);
        let fits = d == [n] || (row_ok && d == [1, n]);
        if !fits {
            return Err(self.shape_err(
                t,
                if row_ok {
                    format!("[{n}] or [1, {n}]")
                } else {
                    format!("[{n}]")
                },
            ));
        }
        floats(t)
    }
}
