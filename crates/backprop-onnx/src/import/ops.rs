//! One ONNX node (or a MatMul and its Add) → one backprop layer: its kind,
//! configuration and weights. The table of what is read is
//! [`SUPPORTED`].

use super::attrs::Attrs;
use super::constants::Constants;
use super::node_label;
use super::tensor::{dims, floats, ints};
use crate::OnnxError;
use crate::schema::{NodeProto, TensorProto};
use backprop_activations::ActivationKind;
use backprop_layers::{Config, Pair, Shape};

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

/// The node at `chain[at]` (with `shape`, the shape of the samples it
/// reads) as a layer, and how many nodes it took (2 for a MatMul and its
/// Add).
pub(crate) fn translate(
    chain: &[(usize, &NodeProto)],
    at: usize,
    shape: &Shape,
    cx: &Context<'_, '_>,
) -> Result<(LayerSpec, usize), OnnxError> {
    let (index, node) = chain[at];
    let label = node_label(node, index);
    let n = Node {
        node,
        label: label.clone(),
        cx,
    };
    if !(node.domain.is_empty() || node.domain == "ai.onnx") {
        return Err(n.unsupported());
    }
    if node.input.first().is_none_or(|x| cx.constants.contains(x)) {
        return Err(OnnxError::Model {
            message: format!(
                "node {label:?} ({}): the running value must be its first input",
                node.op_type
            ),
        });
    }
    let act = |kind: ActivationKind| activation(kind);
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
            Attrs::new(node, label, &[])?;
            act(ActivationKind::Relu)
        }
        "Sigmoid" => {
            Attrs::new(node, label, &[])?;
            act(ActivationKind::Sigmoid)
        }
        "Tanh" => {
            Attrs::new(node, label, &[])?;
            act(ActivationKind::Tanh)
        }
        "Softplus" => {
            Attrs::new(node, label, &[])?;
            act(ActivationKind::Softplus)
        }
        "Identity" => {
            Attrs::new(node, label, &[])?;
            act(ActivationKind::Identity)
        }
        "LeakyRelu" | "Elu" => {
            let a = Attrs::new(node, label, &["alpha"])?;
            let leaky = node.op_type == "LeakyRelu";
            let alpha = f64::from(a.float("alpha", if leaky { 0.01 } else { 1.0 })?);
            let name = if leaky { "leaky_relu" } else { "elu" };
            let kind = ActivationKind::from_name(name, Some(alpha))
                .map_err(|e| a.err("alpha", "a slope backprop accepts", e.to_string()))?;
            act(kind)
        }
        "Gelu" => {
            let a = Attrs::new(node, label, &["approximate"])?;
            let approx = a.string("approximate", "none")?;
            if approx != "tanh" {
                return Err(a.err(
                    "approximate",
                    "\"tanh\" (backprop's GELU is the tanh approximation)",
                    format!("{approx:?}"),
                ));
            }
            act(ActivationKind::Gelu)
        }
        "Softmax" => n.softmax(shape)?,
        "Dropout" => n.dropout()?,
        "Flatten" => {
            let a = Attrs::new(node, label, &["axis"])?;
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

    fn dense(inputs: usize, outputs: usize, w: Weight, b: Weight) -> LayerSpec {
        LayerSpec {
            kind: "dense",
            config: Config::new()
                .with("inputs", inputs)
                .with("outputs", outputs),
            weights: vec![w, b],
        }
    }

    /// `Y = alpha·A·op(B) + beta·C` with `A` the running value.
    fn gemm(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["alpha", "beta", "transA", "transB"])?;
        a.require("transA", 0, 0, "the running value is not transposed")?;
        let trans_b = a.int("transB", 0)?;
        if trans_b != 0 && trans_b != 1 {
            return Err(a.err("transB", "0 or 1", trans_b.to_string()));
        }
        let (alpha, beta) = (a.float("alpha", 1.0)?, a.float("beta", 1.0)?);
        let inputs = self.features(shape)?;
        let b = self.required(1, "B, the weight")?;
        let &[d0, d1] = dims(b).as_slice() else {
            return Err(self.shape_err(b, "2 dimensions".into()));
        };
        let (outputs, found_in) = if trans_b == 1 { (d0, d1) } else { (d1, d0) };
        if found_in != inputs {
            let want = if trans_b == 1 {
                format!("[outputs, {inputs}]")
            } else {
                format!("[{inputs}, outputs]")
            };
            return Err(self.shape_err(b, want));
        }
        let mut w = floats(b)?;
        if trans_b == 0 {
            w = transpose(&w, inputs, outputs);
        }
        if alpha != 1.0 {
            w.iter_mut().for_each(|v| *v *= alpha);
        }
        let mut bias = match self.constant(2)? {
            Some(c) => self.vector(c, outputs, true)?,
            None => vec![0.0; outputs],
        };
        if beta != 1.0 {
            bias.iter_mut().for_each(|v| *v *= beta);
        }
        let source = |k: usize| self.node.input.get(k).cloned().unwrap_or_default();
        Ok(Self::dense(
            inputs,
            outputs,
            Weight {
                local: "weight",
                source: source(1),
                rows: outputs,
                cols: inputs,
                values: w,
            },
            Weight {
                local: "bias",
                source: source(2),
                rows: outputs,
                cols: 1,
                values: bias,
            },
        ))
    }

    /// `Y = A·B (+ bias)`, `B` of shape `[in, out]`.
    fn matmul(&self, shape: &Shape, bias: Option<&TensorProto>) -> Result<LayerSpec, OnnxError> {
        self.attrs(&[])?;
        let inputs = self.features(shape)?;
        let b = self.required(1, "B, the weight")?;
        let &[found_in, outputs] = dims(b).as_slice() else {
            return Err(self.shape_err(b, format!("[{inputs}, outputs]")));
        };
        if found_in != inputs {
            return Err(self.shape_err(b, format!("[{inputs}, outputs]")));
        }
        let w = transpose(&floats(b)?, inputs, outputs);
        let (bias, source) = match bias {
            Some(t) => (self.vector(t, outputs, true)?, t.name.clone()),
            None => (vec![0.0; outputs], String::new()),
        };
        Ok(Self::dense(
            inputs,
            outputs,
            Weight {
                local: "weight",
                source: b.name.clone(),
                rows: outputs,
                cols: inputs,
                values: w,
            },
            Weight {
                local: "bias",
                source,
                rows: outputs,
                cols: 1,
                values: bias,
            },
        ))
    }

    fn softmax(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["axis"])?;
        let rank = shape.dims().len() as i64 + 1;
        let (axis, ok) = if self.cx.opset < 13 {
            // Before opset 13, axis 1 means over everything after the batch: ours.
            let axis = a.int("axis", 1)?;
            (axis, axis == 1 || axis == 1 - rank)
        } else {
            let axis = a.int("axis", -1)?;
            (axis, rank == 2 && (axis == 1 || axis == -1))
        };
        if !ok {
            return Err(a.err(
                "axis",
                &format!("the axis of every feature of a sample (1 on [batch, features]), input of rank {rank}"),
                axis.to_string(),
            ));
        }
        Ok(activation(ActivationKind::Softmax))
    }

    fn dropout(&self) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["ratio", "seed", "is_test"])?;
        let mut p = f64::from(a.float("ratio", 0.5)?);
        if let Some(t) = self.constant(1)? {
            match floats(t)?.as_slice() {
                [r] => p = f64::from(*r),
                _ => return Err(self.shape_err(t, "one value (the ratio)".into())),
            }
        }
        if let Some(t) = self.constant(2)? {
            let training = match t.data_type {
                9 => {
                    t.raw_data.first().copied().unwrap_or(0) != 0
                        || t.int32_data.first().is_some_and(|&v| v != 0)
                }
                _ => ints(t)?.first().is_some_and(|&v| v != 0),
            };
            if training {
                return Err(OnnxError::TensorData {
                    tensor: t.name.clone(),
                    message: "training_mode is true: the model would drop values at inference"
                        .into(),
                });
            }
        }
        Ok(LayerSpec {
            kind: "dropout",
            config: Config::new().with("p", p),
            weights: Vec::new(),
        })
    }

    /// Reshape to `[batch, -1]`: a flatten.
    fn reshape(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["allowzero"])?;
        a.require("allowzero", 0, 0, "0 copies the batch dimension")?;
        let t = self.required(1, "the new shape")?;
        let target = ints(t)?;
        let n = shape.len() as i64;
        let batch_ok = |b: i64| b == 0 || b == -1 || Some(b) == self.cx.batch;
        let ok = match target.as_slice() {
            &[b, f] => batch_ok(b) && (f == -1 || f == n) && !(b == -1 && f == -1),
            _ => false,
        };
        if !ok {
            return Err(OnnxError::TensorShape {
                tensor: t.name.clone(),
                node: Some(self.label.clone()),
                expected: format!("a reshape to [batch, {n}]: [0, -1], [-1, {n}] or [0, {n}]"),
                found: format!("{target:?}"),
            });
        }
        Ok(flatten())
    }

    fn batch_norm(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&[
            "epsilon",
            "momentum",
            "training_mode",
            "spatial",
            "is_test",
            "consumed_inputs",
        ])?;
        a.require(
            "training_mode",
            0,
            0,
            "inference uses the running statistics",
        )?;
        a.require("spatial", 1, 1, "one statistic per channel")?;
        let eps = f64::from(a.float("epsilon", 1e-5)?);
        let (kind, features) = match shape.dims() {
            [f] => ("batch_norm1d", *f),
            [c, _, _] => ("batch_norm2d", *c),
            _ => {
                return Err(OnnxError::Layer {
                    node: self.label.clone(),
                    op_type: self.node.op_type.clone(),
                    source: Box::new(backprop_layers::LayerError::InvalidConfig {
                        layer: "batch normalization".into(),
                        message: format!(
                            "expected [features] or [channels, height, width] samples, found {shape}"
                        ),
                    }),
                });
            }
        };
        let mut weights = Vec::new();
        for (k, local) in [
            (1, "weight"),
            (2, "bias"),
            (3, "running_mean"),
            (4, "running_var"),
        ] {
            let t = self.required(k, local)?;
            let values = self.vector(t, features, false)?;
            weights.push(Weight {
                local,
                source: t.name.clone(),
                rows: features,
                cols: 1,
                values,
            });
        }
        let config = Config::new()
            .with("features", features)
            .with("eps", eps)
            .with("momentum", 0.1);
        Ok(LayerSpec {
            kind,
            config,
            weights,
        })
    }

    fn conv(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&[
            "kernel_shape",
            "strides",
            "pads",
            "dilations",
            "group",
            "auto_pad",
        ])?;
        a.require("group", 1, 1, "backprop's Conv2d is not grouped")?;
        let w = self.required(1, "W, the filters")?;
        let &[o, c, kh, kw] = dims(w).as_slice() else {
            return Err(self.shape_err(w, "[out_channels, in_channels, kh, kw]".into()));
        };
        if let &[ch, _, _] = shape.dims()
            && ch != c
        {
            return Err(self.shape_err(w, format!("[out_channels, {ch}, kh, kw]")));
        }
        let kernel = a.pair("kernel_shape", Some([kh, kw]), 1)?;
        if kernel != [kh, kw] {
            return Err(a.err(
                "kernel_shape",
                &format!("[{kh}, {kw}], the filters' size"),
                format!("{kernel:?}"),
            ));
        }
        let stride = a.pair("strides", Some([1, 1]), 1)?;
        let dilation = a.pair("dilations", Some([1, 1]), 1)?;
        let padding = a.pads()?;
        let values = floats(w)?;
        let mut weights = vec![Weight {
            local: "weight",
            source: w.name.clone(),
            rows: o,
            cols: c * kh * kw,
            values,
        }];
        let bias = self.constant(2)?;
        if let Some(b) = bias {
            let values = self.vector(b, o, false)?;
            weights.push(Weight {
                local: "bias",
                source: b.name.clone(),
                rows: o,
                cols: 1,
                values,
            });
        }
        let pair = |p: [usize; 2]| Pair::new(p[0], p[1]).to_value();
        let config = Config::new()
            .with("in_channels", c)
            .with("out_channels", o)
            .with("kernel_size", pair([kh, kw]))
            .with("stride", pair(stride))
            .with("padding", pair(padding))
            .with("dilation", pair(dilation))
            .with("bias", bias.is_some());
        Ok(LayerSpec {
            kind: "conv2d",
            config,
            weights,
        })
    }

    fn pool(&self) -> Result<LayerSpec, OnnxError> {
        let max = self.node.op_type == "MaxPool";
        let known: &[&str] = if max {
            &[
                "kernel_shape",
                "strides",
                "pads",
                "dilations",
                "ceil_mode",
                "storage_order",
                "auto_pad",
            ]
        } else {
            &[
                "kernel_shape",
                "strides",
                "pads",
                "dilations",
                "ceil_mode",
                "count_include_pad",
                "auto_pad",
            ]
        };
        let a = self.attrs(known)?;
        a.require("ceil_mode", 0, 0, "backprop rounds the output size down")?;
        let dilation = a.pair("dilations", Some([1, 1]), 1)?;
        if dilation != [1, 1] {
            return Err(a.err(
                "dilations",
                "[1, 1] (backprop's pooling is not dilated)",
                format!("{dilation:?}"),
            ));
        }
        let kernel = a.pair("kernel_shape", None, 1)?;
        let stride = a.pair("strides", Some([1, 1]), 1)?;
        let padding = a.pads()?;
        if !max && padding != [0, 0] {
            a.require(
                "count_include_pad",
                0,
                1,
                "backprop's average pooling divides by the whole window, padding included",
            )?;
        }
        let pair = |p: [usize; 2]| Pair::new(p[0], p[1]).to_value();
        let config = Config::new()
            .with("kernel_size", pair(kernel))
            .with("stride", pair(stride))
            .with("padding", pair(padding));
        Ok(LayerSpec {
            kind: if max { "max_pool2d" } else { "avg_pool2d" },
            config,
            weights: Vec::new(),
        })
    }
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}
