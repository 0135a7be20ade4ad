//! Softmax, Dropout and Reshape: the nodes whose translation depends on
//! the sample's shape or the operator set.

use super::{LayerSpec, Node, activation, flatten};
use crate::OnnxError;
use crate::import::tensor::{floats, ints};
use backprop_activations::ActivationKind;
use backprop_layers::{Config, Shape};

impl Node<'_, '_, '_> {
    pub(super) fn softmax(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
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

    pub(super) fn dropout(&self) -> Result<LayerSpec, OnnxError> {
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
    ///
    /// `allowzero = 1` (PyTorch's dynamo exporter writes it) changes only
    /// what a 0 in the shape means (an empty dimension instead of a copy of
    /// the input's), so it is read when the shape has no 0 and refused when
    /// it has one.
    pub(super) fn reshape(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["allowzero"])?;
        let allowzero = a.int("allowzero", 0)?;
        let t = self.required(1, "the new shape")?;
        let target = ints(t)?;
        match allowzero {
            0 => {}
            1 if !target.contains(&0) => {}
            1 => {
                return Err(a.err(
                    "allowzero",
                    "0 when the shape has a 0 entry (with allowzero = 1 a 0 makes an empty dimension, not a copy of the batch)",
                    format!("1 with the shape {target:?}"),
                ));
            }
            v => return Err(a.err("allowzero", "0 or 1", v.to_string())),
        }
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
}
