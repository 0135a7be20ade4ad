//! The checks a loader makes besides the file's layout: the sizes
//! [`LoadOptions`] allows (layers, values, values kept per sample), counted
//! with arithmetic that cannot overflow before anything is allocated from
//! them, and the loaded values (finite tensors, each layer's
//! [`check_values`](backprop_layers::Layer::check_values)). Nothing here
//! knows a layer kind.

use crate::{IoError, LoadOptions, Result};
use backprop_layers::{Config, Layer, LayerError, Layout, Shape, TensorInfo, Value};
use backprop_tensor::{DMatrix, Scalar};
use std::path::Path;

/// Where a loader reads from and what it checks.
#[derive(Clone, Copy)]
pub(crate) struct Reading<'a> {
    /// The file, for error messages.
    pub(crate) file: &'a Path,
    /// What to check.
    pub(crate) options: &'a LoadOptions,
    /// Whether the file is a checkpoint (a bad value makes it corrupt).
    pub(crate) checkpoint: bool,
}

impl Reading<'_> {
    fn limit(
        &self,
        what: &'static str,
        found: u64,
        limit: usize,
        option: &'static str,
    ) -> Result<()> {
        if found > limit as u64 {
            return Err(IoError::Limit {
                file: self.file.to_path_buf(),
                what,
                found,
                limit,
                option,
            });
        }
        Ok(())
    }

    /// The number of layers `config` describes (every map with a `"type"`,
    /// the kind a registry builds it from), against
    /// [`LoadOptions::max_layers`].
    pub(crate) fn check_layer_count(&self, config: &Config) -> Result<()> {
        let n = layers_in(config);
        self.limit("layers", n, self.options.max_layers, "max_layers")
    }

    /// The values every tensor of a plan holds, against
    /// [`LoadOptions::max_params`].
    pub(crate) fn check_param_count(&self, tensors: &[TensorInfo]) -> Result<()> {
        let n = tensors.iter().fold(0u64, |sum, t| {
            let len = t
                .shape
                .iter()
                .fold(1u64, |p, &d| p.saturating_mul(d as u64));
            sum.saturating_add(len)
        });
        self.limit(
            "parameter and buffer values",
            n,
            self.options.max_params,
            "max_params",
        )
    }

    /// The values a forward pass of `model` keeps per sample (every layer's
    /// output, nested ones included), against
    /// [`LoadOptions::max_values_per_sample`].
    pub(crate) fn check_activations<T: Scalar>(
        &self,
        model: &dyn Layer<T>,
        input: &Shape,
    ) -> Result<()> {
        let n = values_per_sample(model, input).map_err(|e| IoError::Metadata {
            file: self.file.to_path_buf(),
            reason: format!("the model's layer shapes do not fit: {e}"),
        })?;
        self.limit(
            "values per sample in its layer outputs",
            n,
            self.options.max_values_per_sample,
            "max_values_per_sample",
        )
    }

    /// Fails if `m`, the tensor `spec` of the file, holds a NaN or an
    /// infinity (when values are checked), naming it and the index in the
    /// file's layout.
    pub(crate) fn check_finite<T: Scalar>(&self, spec: &TensorInfo, m: &DMatrix<T>) -> Result<()> {
        if !self.options.check_values {
            return Ok(());
        }
        let Some(i) = m.iter().position(|v| !v.as_f64().is_finite()) else {
            return Ok(());
        };
        let (r, c) = (i % m.nrows().max(1), i / m.nrows().max(1));
        let at = match spec.layout {
            Layout::Matrix => format!("[{r}, {c}]"),
            _ => format!("[{i}]"),
        };
        Err(self.invalid(&spec.name, format!("holds {:?} at {at}", m[i].as_f64())))
    }

    /// Every layer's own check of its values (when values are checked).
    pub(crate) fn check_layers<T: Scalar>(&self, model: &dyn Layer<T>) -> Result<()> {
        if !self.options.check_values {
            return Ok(());
        }
        model.check_values().map_err(|e| {
            let (tensor, reason) = named(&e, String::new());
            self.invalid(&tensor, reason)
        })
    }

    pub(crate) fn invalid(&self, tensor: &str, reason: String) -> IoError {
        IoError::InvalidValue {
            file: self.file.to_path_buf(),
            tensor: tensor.to_string(),
            reason,
            checkpoint: self.checkpoint,
        }
    }
}

/// Layers below a configuration: maps with a `"type"`, at any depth.
fn layers_in(config: &Config) -> u64 {
    config
        .iter()
        .fold(0u64, |n, (_, v)| n.saturating_add(layers_in_value(v)))
}

fn layers_in_value(v: &Value) -> u64 {
    match v {
        Value::Map(c) => {
            let own = u64::from(c.get("type").is_some());
            own.saturating_add(layers_in(c))
        }
        Value::List(items) => items
            .iter()
            .fold(0u64, |n, item| n.saturating_add(layers_in_value(item))),
        _ => 0,
    }
}

/// The values `layer`'s descendants keep per sample for an input of shape
/// `input`: each child's output, and what the child keeps inside.
fn values_per_sample<T: Scalar>(layer: &dyn Layer<T>, input: &Shape) -> Result<u64, LayerError> {
    let mut total = 0u64;
    let mut shape = input.clone();
    for child in layer.children() {
        let out = child.output_shape(&shape)?;
        let inner = values_per_sample(child.as_ref(), &shape)?;
        total = total.saturating_add(out.len() as u64).saturating_add(inner);
        shape = out;
    }
    Ok(total)
}

/// The tensor (or layer) a [`Layer::check_values`] error is about, by path
/// (`"3.1.running_var"`), and what is wrong: the positions of
/// [`LayerError::At`] make the path, and an innermost
/// [`LayerError::InvalidConfig`] names the tensor within its layer.
fn named(e: &LayerError, path: String) -> (String, String) {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    match e {
        LayerError::At { index, source, .. } => named(source, join(&index.to_string())),
        LayerError::InvalidConfig { layer, message } => (join(layer), message.clone()),
        other if path.is_empty() => ("model".to_string(), format!("is refused: {other}")),
        other => (path.clone(), format!("(a layer) is refused: {other}")),
    }
}
