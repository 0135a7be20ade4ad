//! Errors of the training loop.

use backprop_data::DataError;
use backprop_io::IoError;
use backprop_layers::LayerError;
use backprop_losses::LossError;
use backprop_optim::OptimError;
use std::path::{Path, PathBuf};
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
    /// A run [`resume`](crate::resume)d from a checkpoint was given other
    /// training data than the checkpoint's: what differs
    /// ([`data_fingerprint`](crate::data_fingerprint)'s keys, then and now).
    #[error(
        "the checkpoint was trained on other data ({0}): resume on the data it was trained on, or force the resume (Trainer::force_resume)"
    )]
    DataChanged(String),
    /// The per-epoch progress line could not be written to stdout (when
    /// stdout is a pipe whose reader has gone, the source's kind is
    /// [`std::io::ErrorKind::BrokenPipe`]).
    #[error("could not write the progress line to stdout: {0}")]
    Progress(#[source] std::io::Error),
    /// A checkpoint could not be written (its directory could not be
    /// created, the disk is full, the model cannot be described): training
    /// stops after that epoch, the checkpoints written before are intact.
    /// Its source is `backprop-io`'s error.
    #[error(transparent)]
    Checkpoint(Box<CheckpointError>),
    /// A callback failed (for one's own callbacks; the crate's return the
    /// other variants).
    #[error("callback failed: {0}")]
    Callback(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Writing a results file failed.
    #[error("could not write {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A checkpoint that could not be written: which, and why.
///
/// ```
/// use backprop_io::IoError;
/// use backprop_train::{CheckpointError, TrainError};
/// let path = std::path::PathBuf::from("runs/epoch-3.safetensors");
/// let full = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
/// let source = IoError::Io { file: path.clone(), source: full };
/// let e = TrainError::from(CheckpointError { epoch: 3, path, source });
/// assert_eq!(
///     e.to_string(),
///     "could not write the checkpoint of epoch 3 to runs/epoch-3.safetensors: No space left on device"
/// );
/// let source = std::error::Error::source(&e).unwrap();
/// assert!(source.downcast_ref::<IoError>().is_some());
/// ```
#[derive(Debug, Error)]
#[error("{}", checkpoint_message(*epoch, path, source))]
pub struct CheckpointError {
    /// The epoch (counted from 1) after which it was taken.
    pub epoch: usize,
    /// The file it was to be written to.
    pub path: PathBuf,
    /// What `backprop-io` reported.
    #[source]
    pub source: IoError,
}

impl From<CheckpointError> for TrainError {
    fn from(e: CheckpointError) -> Self {
        TrainError::Checkpoint(Box::new(e))
    }
}

/// The file named once, whether or not the source names it.
fn checkpoint_message(epoch: usize, path: &Path, source: &IoError) -> String {
    let file = path.display().to_string();
    let detail = source.to_string();
    let rest = detail
        .strip_prefix(&file)
        .and_then(|d| d.strip_prefix(": "))
        .unwrap_or(&detail);
    format!("could not write the checkpoint of epoch {epoch} to {file}: {rest}")
}
