//! [`LayerView`]: one dense layer's quantities at the last step, in the
//! tutorial's notation (docs/math.md), for the page's heatmaps.

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::output;
use backprop_tensor::DMatrix;

/// The formulas that produced each quantity, as docs/math.md writes them
/// (its "Where the 1/m lives": the loss's gradient is of the batch mean, so
/// `dW` and `db` do not divide by `m` again).
pub const FORMULAS: [(&str, &str); 6] = [
    ("Z", "Z[l] = W[l] A[l-1] + b[l]"),
    ("A", "A[l] = g(Z[l])"),
    ("dZ", "dZ[l] = dA[l] ⊙ g'(Z[l])"),
    ("dW", "dW[l] = dZ[l] A[l-1]ᵀ (the 1/m is inside dZ)"),
    ("db", "db[l] = dZ[l] 1 (the 1/m is inside dZ)"),
    ("dA_prev", "dA[l-1] = W[l]ᵀ dZ[l]"),
];

/// The formula of `dZ[L]` for the output layer, by loss.
pub fn output_dz_formula(loss: crate::config::OutputLoss) -> &'static str {
    match loss {
        crate::config::OutputLoss::Mse => "dZ[L] = ∂L/∂Z[L] (mean squared error)",
        _ => "dZ[L] = (A[L] − Y) / m",
    }
}

/// Dense layer `l`'s quantities at the last step (matrices are outputs ×
/// batch, weights outputs × inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerView {
    /// The layer, counted from 1 as in the tutorial.
    pub layer: usize,
    /// The batch size `m`.
    pub batch: usize,
    /// `A[l-1]` (`X` for `l = 1`).
    pub a_prev: DMatrix<f32>,
    /// `W[l]` before the step's update.
    pub w: DMatrix<f32>,
    /// `b[l]` before the step's update.
    pub b: DMatrix<f32>,
    /// `Z[l]`.
    pub z: DMatrix<f32>,
    /// `A[l] = g(Z[l])`.
    pub a: DMatrix<f32>,
    /// `dA[l]`.
    pub da: DMatrix<f32>,
    /// `dZ[l]`.
    pub dz: DMatrix<f32>,
    /// `dW[l]`.
    pub dw: DMatrix<f32>,
    /// `db[l]`.
    pub db: DMatrix<f32>,
    /// The name of `g`.
    pub activation: String,
    /// Each quantity's formula, by name.
    pub formulas: Vec<(&'static str, &'static str)>,
}

impl Engine {
    /// The number of dense layers `L`.
    pub fn layer_count(&self) -> usize {
        self.config.layers.len() - 1
    }

    /// Dense layer `l`'s (1..=L) quantities at the last step.
    pub fn inspect(&self, l: usize) -> Result<LayerView> {
        let count = self.layer_count();
        if !(1..=count).contains(&l) {
            return Err(EngineError::invalid("layer", format!("1..={count}"), l));
        }
        let Some(snap) = self.snapshots.get(l - 1) else {
            return Err(EngineError::NotReady(
                "nothing to inspect yet: take a step first".into(),
            ));
        };
        let i = snap.index;
        let n = self.net.layers().len();
        let a_prev = if i == 0 { &self.x } else { &self.acts[i - 1] };
        // ∂L/∂ layer k's output (the last layer's is `dout`, not in `grads`).
        let grad_out = |k: usize| {
            if k + 1 == n {
                &self.dout
            } else {
                &self.grads[k]
            }
        };
        let z = self.acts[i].clone();
        let dz = grad_out(i).clone();
        let mut formulas = FORMULAS.to_vec();
        let (a, da, activation) = match self.net.layers().get(i + 1) {
            Some(g) if g.kind() == "activation" => (
                self.acts[i + 1].clone(),
                grad_out(i + 1).clone(),
                g.name().to_string(),
            ),
            Some(_) => (z.clone(), dz.clone(), "identity".to_string()),
            None => {
                let mut a = DMatrix::zeros(0, 0);
                output::activate(self.loss, &z, &mut a);
                formulas[2] = ("dZ", output_dz_formula(self.loss));
                (
                    a,
                    dz.clone(),
                    output::activation_name(self.loss).to_string(),
                )
            }
        };
        Ok(LayerView {
            layer: l,
            batch: z.ncols(),
            a_prev: a_prev.clone(),
            w: snap.w.clone(),
            b: snap.b.clone(),
            z,
            a,
            da,
            dz,
            dw: snap.dw.clone(),
            db: snap.db.clone(),
            activation,
            formulas,
        })
    }

    /// Dense layer `l`'s (1..=L) weight and bias now.
    pub fn weights(&self, l: usize) -> Result<(DMatrix<f32>, DMatrix<f32>)> {
        let count = self.layer_count();
        let layer = self
            .net
            .layers()
            .iter()
            .filter(|layer| layer.kind() == "dense")
            .nth(l.wrapping_sub(1));
        let Some(layer) = layer else {
            return Err(EngineError::invalid("layer", format!("1..={count}"), l));
        };
        let mut got = Vec::with_capacity(2);
        layer.visit_params(&mut |p| got.push(p.value.clone()));
        let mut it = got.into_iter();
        match (it.next(), it.next()) {
            (Some(w), Some(b)) => Ok((w, b)),
            _ => Err(EngineError::NotReady(format!(
                "dense layer {l} has no bias"
            ))),
        }
    }
}
