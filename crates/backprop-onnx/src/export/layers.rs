//! One layer → its ONNX node: the table of what each built-in kind
//! becomes. A nested `Sequential` is flattened into the chain by the
//! caller (mod.rs); anything else is an [`OnnxError::UnsupportedLayer`].

use super::graph::GraphBuilder;
use super::tensor::{float, initializer, int, ints, scalar, string};
use crate::OnnxError;
use backprop_activations::ActivationKind;
use backprop_layers::{Config, Conv2dConfig, Layer, LayerError, Pair, Shape};
use backprop_tensor::{DMatrix, Scalar};

/// The layer's parameters and buffers by local name (`"weight"`,
/// `"running_var"`).
fn tensors<T: Scalar>(layer: &dyn Layer<T>) -> Vec<(String, DMatrix<T>)> {
    let mut out = Vec::new();
    layer.visit_params(&mut |p| {
        let local = p.name().rsplit('.').next().unwrap_or(p.name());
        out.push((local.to_string(), p.value.clone()));
    });
    layer.visit_buffers(&mut |name, m| out.push((name.to_string(), m.clone())));
    out
}

/// Emits the node of `layer` (at `path`, reading samples of `shape`).
pub(crate) fn emit<T: Scalar>(
    g: &mut GraphBuilder,
    layer: &dyn Layer<T>,
    path: &str,
    shape: &Shape,
) -> Result<(), OnnxError> {
    let kind = layer.kind();
    let unsupported = |reason: &str| OnnxError::UnsupportedLayer {
        layer: path.to_string(),
        kind: kind.to_string(),
        reason: reason.to_string(),
    };
    let config = layer
        .config()
        .ok_or_else(|| unsupported("it has no configuration"))?;
    let owned = tensors(layer);
    let get = |name: &str| -> Result<&DMatrix<T>, OnnxError> {
        owned
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
            .ok_or_else(|| unsupported(&format!("it has no tensor {name:?}")))
    };
    let init = |local: &str, dims: &[usize]| -> Result<_, OnnxError> {
        Ok(initializer(&format!("{path}.{local}"), dims, get(local)?))
    };
    let layer_err = |e: LayerError| e.at(0, kind);
    match kind {
        "dense" => {
            let inputs = config.usize(kind, "inputs").map_err(layer_err)?;
            let outputs = config.usize(kind, "outputs").map_err(layer_err)?;
            let w = init("weight", &[outputs, inputs])?;
            let b = init("bias", &[outputs])?;
            g.node(path, "Gemm", vec![w, b], vec![int("transB", 1)]);
        }
        "activation" => activation(g, path, &config, shape).map_err(|r| unsupported(&r))?,
        "dropout" | "dropout2d" => {
            let p = config.f64(kind, "p").map_err(layer_err)?;
            g.node(
                path,
                "Dropout",
                vec![scalar(&format!("{path}.ratio"), p)],
                vec![],
            );
        }
        "batch_norm1d" | "batch_norm2d" => {
            let f = config.usize(kind, "features").map_err(layer_err)?;
            let eps = config.f64(kind, "eps").map_err(layer_err)?;
            let inputs = vec![
                init("weight", &[f])?,
                init("bias", &[f])?,
                init("running_mean", &[f])?,
                init("running_var", &[f])?,
            ];
            g.node(
                path,
                "BatchNormalization",
                inputs,
                vec![float("epsilon", eps)],
            );
        }
        "conv2d" => {
            let c = Conv2dConfig::from_config(&config)?;
            let (k, s, p, d) = (c.kernel, c.stride, c.padding, c.dilation);
            let mut inputs = vec![init("weight", &[c.out_channels, c.in_channels, k.h, k.w])?];
            if c.bias {
                inputs.push(init("bias", &[c.out_channels])?);
            }
            let attrs = vec![
                ints("kernel_shape", &[k.h, k.w]),
                ints("strides", &[s.h, s.w]),
                ints("pads", &[p.h, p.w, p.h, p.w]),
                ints("dilations", &[d.h, d.w]),
                int("group", 1),
            ];
            g.node(path, "Conv", inputs, attrs);
        }
        "max_pool2d" | "avg_pool2d" => {
            let pair = |key| Pair::from_config(&config, kind, key).map_err(layer_err);
            let (k, s, p) = (pair("kernel_size")?, pair("stride")?, pair("padding")?);
            let mut attrs = vec![
                ints("kernel_shape", &[k.h, k.w]),
                ints("strides", &[s.h, s.w]),
                ints("pads", &[p.h, p.w, p.h, p.w]),
            ];
            let op = if kind == "max_pool2d" {
                "MaxPool"
            } else {
                // Ours divides by the whole window, padding included (PyTorch's default).
                attrs.push(int("count_include_pad", 1));
                "AveragePool"
            };
            g.node(path, op, vec![], attrs);
        }
        "flatten" => g.node(path, "Flatten", vec![], vec![int("axis", 1)]),
        _ => {
            return Err(unsupported(
                "ONNX export knows the built-in layers only (dense, activation, dropout, \
                 dropout2d, batch_norm1d, batch_norm2d, conv2d, max_pool2d, avg_pool2d, \
                 flatten, sequential)",
            ));
        }
    }
    Ok(())
}

/// The node of an activation, or why it has none.
fn activation(
    g: &mut GraphBuilder,
    path: &str,
    config: &Config,
    shape: &Shape,
) -> Result<(), String> {
    let name = config
        .str("activation", "name")
        .map_err(|e| e.to_string())?;
    let alpha = config
        .opt_f64("activation", "alpha")
        .map_err(|e| e.to_string())?;
    let kind = ActivationKind::from_name(name, alpha).map_err(|e| e.to_string())?;
    let (op, attrs) = match kind {
        ActivationKind::Identity => ("Identity", vec![]),
        ActivationKind::Relu => ("Relu", vec![]),
        ActivationKind::LeakyRelu(a) => ("LeakyRelu", vec![float("alpha", a)]),
        ActivationKind::Sigmoid => ("Sigmoid", vec![]),
        ActivationKind::Tanh => ("Tanh", vec![]),
        ActivationKind::Elu(a) => ("Elu", vec![float("alpha", a)]),
        ActivationKind::Softplus => ("Softplus", vec![]),
        ActivationKind::Gelu => {
            g.needs_gelu = true;
            ("Gelu", vec![string("approximate", "tanh")])
        }
        ActivationKind::Softmax => {
            if !shape.is_flat() {
                return Err(format!(
                    "its softmax runs over all {} values of a {shape} sample, which ONNX's \
                     Softmax (one axis) does not express; put a flatten before it",
                    shape.len()
                ));
            }
            ("Softmax", vec![int("axis", 1)])
        }
        other => return Err(format!("activation {other} has no ONNX operator here")),
    };
    g.node(path, op, vec![], attrs);
    Ok(())
}
