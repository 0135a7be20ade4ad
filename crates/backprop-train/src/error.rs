//! Errors of the training loop.

use backprop_data::DataError;
use backprop_layers::LayerError;
use backprop_losses::LossError;
use backprop_optim::OptimError;
use std::path::PathBuf;
use thiserror::Error;

/// What can stop training, evaluation or the saving of results.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A layer or the network failed (shapes, configuration).
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// The loss could not be computed (shapes, labels out of range).
    #[error(transparent)]
    Loss(#[from] LossError),
    /// The optimizer failed.
    #[error(transparent)]
    Optim(#[from] OptimError),
    /// The data could not be batched.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The loss or a gradient became NaN or infinite.
    #[error("non-finite {what} at epoch {epoch}, step {step}{}: lower the learning rate, check the data for NaN, or clip gradients", layer.as_ref().map(|l| format!(" (first in {l})")).unwrap_or_default())]
    NonFinite {
        /// `"loss"` or `"gradient"`.
        what: &'static str,
        /// Epoch, counted from 1.
        epoch: usize,
        /// Step within the epoch, counted from 1.
        step: usize,
        /// The first parameter (`"2.weight"`) whose gradient is non-finite.
        layer: Option<String>,
    },
    /// The trainer was configured with an impossible value.
    #[error("invalid training configuration: {0}")]
    Config(String),
    /// The dataset does not fit the model.
    #[error("the data does not fit the model: {0}")]
    Mismatch(String),
    /// The per-epoch progress line could not be written to stdout (when
    /// stdout is a pipe whose reader has gone, the source's kind is
    /// [`std::io::ErrorKind::BrokenPipe`]).
    #[error("could not write the progress line to stdout: {0}")]
    Progress(#[source] std::io::Error),
    /// Writing a results file failed.
    #[error("could not write {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
