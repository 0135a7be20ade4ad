//! What examples/csv reports: the run's results (and their JSON line),
//! numbers and counts as a person reads them, and the network-size check
//! made before anything is allocated.

use super::csv_args::{Args, Task, fail};
use std::error::Error;

/// The most parameters (weights and biases) a network of `--layers` may
/// have: 2^28, a gigabyte of `f32` weights, four with their gradients and
/// Adam's moments.
pub const MAX_PARAMETERS: u64 = 1 << 28;

/// The most activations (layer outputs, summed over the layers) one batch may
/// produce: 2^28, a gigabyte of `f32` for each of the forward and backward
/// buffers.
pub const MAX_BATCH_ACTIVATIONS: u64 = 1 << 28;

/// What a run measured on the test set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The task.
    pub task: Task,
    /// Test accuracy (classification).
    pub test_accuracy: Option<f64>,
    /// Test RMSE in the file's units (regression).
    pub test_rmse: Option<f64>,
    /// Test RMSE of always predicting the training mean (regression).
    pub baseline_rmse: Option<f64>,
    /// Mean test loss (for regression, the MSE in the file's units).
    pub test_loss: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// Training samples.
    pub train_samples: usize,
    /// Test samples.
    pub test_samples: usize,
    /// Mean seconds per epoch (epochs 2..N, or epoch 1 alone).
    pub mean_epoch_seconds: f64,
    /// Training samples per second at that pace.
    pub samples_per_second: f64,
    /// The class names, in class order (classification).
    pub classes: Option<Vec<String>>,
    /// Rows skipped for a missing value (training and test files).
    pub dropped_rows: usize,
    /// Missing values filled with training means.
    pub imputed_values: usize,
}

impl Report {
    /// The JSON summary printed by `--json`.
    pub fn to_json(&self, args: &Args, layers: &[usize]) -> serde_json::Value {
        let mut v = serde_json::json!({
            "task": self.task.name(),
            "test_loss": self.test_loss,
            "epochs": self.epochs,
            "batch": args.batch,
            "lr": args.lr,
            "optimizer": args.optimizer,
            "seed": args.seed,
            "layers": layers,
            "train_samples": self.train_samples,
            "test_samples": self.test_samples,
            "mean_epoch_seconds": self.mean_epoch_seconds,
            "samples_per_second": self.samples_per_second,
            "missing": args.missing.map_or("error", |m| m.name()),
            "dropped_rows": self.dropped_rows,
            "imputed_values": self.imputed_values,
        });
        if let Some(c) = &self.classes {
            v["classes"] = c.clone().into();
        }
        if let Some(a) = self.test_accuracy {
            v["test_accuracy"] = a.into();
        }
        if let Some(r) = self.test_rmse {
            v["test_rmse"] = r.into();
        }
        if let Some(r) = self.baseline_rmse {
            v["baseline_rmse"] = r.into();
        }
        v
    }
}

/// `n` and a noun, plural unless `n` is 1: `1 class`, `3 classes`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A loss or an error measure as a person reads it: four decimals in the
/// usual range, scientific notation for very large or very small values
/// (`1.2346e74`, never 78 digits).
pub fn number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// Checks that the network fits: at most [`MAX_PARAMETERS`] parameters and
/// [`MAX_BATCH_ACTIVATIONS`] activations per batch, in checked arithmetic,
/// before anything is allocated.
pub fn check_size(
    inputs: usize,
    layers: &[usize],
    outputs: usize,
    batch: usize,
) -> Result<(), Box<dyn Error>> {
    let widths: Vec<u64> = layers.iter().chain([&outputs]).map(|&w| w as u64).collect();
    let mut params: Option<u64> = Some(0);
    let mut fan_in = inputs as u64;
    for &w in &widths {
        params = params.and_then(|p| p.checked_add(fan_in.checked_add(1)?.checked_mul(w)?));
        fan_in = w;
    }
    let show = |n: Option<u64>| n.map_or_else(|| "2^64 or more".to_string(), |n| n.to_string());
    if params.is_none_or(|p| p > MAX_PARAMETERS) {
        let list = layers
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(",");
        return Err(fail(format!(
            "--layers {list}: the network ({}, hidden layers {list}, {}) would have {} parameters, \
             more than the {MAX_PARAMETERS} (2^28) this program trains; use fewer or narrower layers",
            plural(inputs, "input", "inputs"),
            plural(outputs, "output", "outputs"),
            show(params)
        )));
    }
    let activations = widths
        .iter()
        .try_fold(0u64, |sum, &w| sum.checked_add(w))
        .and_then(|sum| sum.checked_mul(batch as u64));
    if activations.is_none_or(|a| a > MAX_BATCH_ACTIVATIONS) {
        return Err(fail(format!(
            "--batch {batch} with these layers: one batch would hold {} activations, more than the \
             {MAX_BATCH_ACTIVATIONS} (2^28) this program allows; use a smaller --batch or narrower layers",
            show(activations)
        )));
    }
    Ok(())
}
