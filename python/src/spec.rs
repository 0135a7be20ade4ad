//! Building a network from the layer list Python passes: each layer is a
//! dict with a `"kind"` and its settings.

use backprop_activations::ActivationKind;
use backprop_layers::{Pair, Sequential, SequentialBuilder};
use backprop_tensor::{Init, Scalar};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The initialisers Python may name (`init=`), by the names
/// `backprop_tensor::Init` documents.
pub fn init_by_name(name: &str) -> PyResult<Init> {
    Ok(match name {
        "xavier_uniform" | "glorot_uniform" => Init::XavierUniform,
        "xavier_normal" | "glorot_normal" => Init::XavierNormal,
        "he_uniform" => Init::HeUniform,
        "he_normal" => Init::HeNormal,
        "lecun_normal" => Init::LeCunNormal,
        "torch_default" => Init::TorchDefault,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown init {other:?}: expected one of xavier_uniform, xavier_normal, \
                 he_uniform, he_normal, lecun_normal, torch_default"
            )));
        }
    })
}

/// A required integer setting of a layer.
fn usize_of(d: &Bound<'_, PyDict>, kind: &str, key: &str) -> PyResult<usize> {
    match d.get_item(key)? {
        Some(v) => v.extract::<usize>().map_err(|_| {
            PyValueError::new_err(format!(
                "layer {kind}: {key} must be a non-negative integer, found {v}"
            ))
        }),
        None => Err(PyValueError::new_err(format!(
            "layer {kind}: missing setting {key:?}"
        ))),
    }
}

/// An optional window setting: an integer or a pair of integers.
fn pair_of(d: &Bound<'_, PyDict>, kind: &str, key: &str) -> PyResult<Option<Pair>> {
    let Some(v) = d.get_item(key)? else {
        return Ok(None);
    };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(n) = v.extract::<usize>() {
        return Ok(Some(Pair::from(n)));
    }
    v.extract::<(usize, usize)>()
        .map(|p| Some(Pair::from(p)))
        .map_err(|_| {
            PyValueError::new_err(format!(
                "layer {kind}: {key} must be an integer or a pair of integers, found {v}"
            ))
        })
}

/// An optional float setting.
fn f64_of(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<f64>> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => Ok(Some(v.extract::<f64>()?)),
        _ => Ok(None),
    }
}

/// Applies the window modifiers (stride, padding, dilation, bias) a conv or
/// pooling layer's dict carries.
fn modifiers<T: Scalar>(
    mut b: SequentialBuilder<T>,
    d: &Bound<'_, PyDict>,
    kind: &str,
) -> PyResult<SequentialBuilder<T>> {
    if let Some(s) = pair_of(d, kind, "stride")? {
        b = b.stride(s);
    }
    if let Some(p) = pair_of(d, kind, "padding")? {
        b = b.padding(p);
    }
    if let Some(p) = pair_of(d, kind, "dilation")? {
        b = b.dilation(p);
    }
    if let Some(bias) = d.get_item("bias")? {
        b = b.bias(bias.extract::<bool>()?);
    }
    Ok(b)
}

/// Builds a network of input shape `input` from `layers`, seeded by `seed`.
pub fn build<T: Scalar>(
    input: Vec<usize>,
    layers: &[Bound<'_, PyDict>],
    seed: u64,
    init: Init,
) -> PyResult<Sequential<T>> {
    let mut b = Sequential::<T>::builder(input).seed(seed).init(init);
    for d in layers {
        let kind: String = match d.get_item("kind")? {
            Some(k) => k.extract()?,
            None => return Err(PyValueError::new_err("a layer needs a \"kind\"")),
        };
        let kernel = || -> PyResult<Pair> {
            pair_of(d, &kind, "kernel")?.ok_or_else(|| {
                PyValueError::new_err(format!("layer {kind}: missing setting \"kernel\""))
            })
        };
        b = match kind.as_str() {
            "dense" => b.dense(usize_of(d, &kind, "units")?),
            "conv2d" => {
                let out = usize_of(d, &kind, "out_channels")?;
                modifiers(b.conv2d(out, kernel()?), d, &kind)?
            }
            "max_pool2d" => modifiers(b.max_pool2d(kernel()?), d, &kind)?,
            "avg_pool2d" => modifiers(b.avg_pool2d(kernel()?), d, &kind)?,
            "batch_norm" | "batch_norm1d" => b.batch_norm(),
            "batch_norm2d" => b.batch_norm2d(),
            "dropout" => b.dropout(f64_of(d, "p")?.unwrap_or(0.5)),
            "dropout2d" => b.dropout2d(f64_of(d, "p")?.unwrap_or(0.5)),
            "flatten" => b.flatten(),
            name => {
                let act = ActivationKind::from_name(name, f64_of(d, "alpha")?).map_err(|e| {
                    PyValueError::new_err(format!(
                        "unknown layer kind {name:?}: expected dense, conv2d, max_pool2d, \
                         avg_pool2d, batch_norm, batch_norm2d, dropout, dropout2d, flatten \
                         or an activation ({e})"
                    ))
                })?;
                b.activation(act)
            }
        };
    }
    b.build().map_err(|e| PyValueError::new_err(e.to_string()))
}
