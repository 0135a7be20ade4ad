//! The error type of the crate.

use backprop_layers::LayerError;
use backprop_optim::OptimError;
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong saving or loading a model file or a
/// checkpoint. Every variant names the file (`"<bytes>"` for an in-memory
/// buffer) and, where there is one, the tensor, with what was expected
/// against what was found. Nothing in this crate panics on a bad file.
///
/// ```
/// use backprop_io::IoError;
/// let e = IoError::TensorShape {
///     file: "model.safetensors".into(),
///     tensor: "0.weight".into(),
///     expected: vec![128, 784],
///     found: vec![784, 128],
/// };
/// assert_eq!(
///     e.to_string(),
///     "model.safetensors: tensor \"0.weight\" has shape [784, 128], expected [128, 784]"
/// );
/// ```
#[derive(Debug, Error)]
pub enum IoError {
    /// Reading or writing the file failed (missing file, permissions, full
    /// disk, a writer that failed half-way).
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file (truncated, corrupt header,
    /// offsets that do not cover the data).
    #[error("{}: not a valid safetensors file ({reason})", file.display())]
    Format {
        /// The file.
        file: PathBuf,
        /// What the safetensors parser reported.
        reason: String,
    },
    /// The file has no backprop metadata (it was written by another tool,
    /// e.g. PyTorch's `safetensors.torch.save_file`), so the architecture must
    /// be given by the caller.
    #[error(
        "{}: the file has no backprop {what} metadata (key {key:?} in __metadata__); if it is a PyTorch state dict, give its architecture (e.g. --layers 784,128,64,10)",
        file.display()
    )]
    MissingMetadata {
        /// The file.
        file: PathBuf,
        /// `"model"` or `"checkpoint"`.
        what: &'static str,
        /// The metadata key that was looked for.
        key: &'static str,
    },
    /// The metadata was written by a version of the format this build does
    /// not read.
    #[error(
        "{}: {format} format version {found} is not supported (this build reads version {supported})",
        file.display()
    )]
    UnsupportedVersion {
        /// The file.
        file: PathBuf,
        /// The format's name (`"backprop.model"`).
        format: String,
        /// The version in the file.
        found: u64,
        /// The version this build reads and writes.
        supported: u64,
    },
    /// The metadata is present but malformed (invalid JSON, a missing field,
    /// a layer that cannot be built).
    #[error("{}: invalid metadata: {reason}", file.display())]
    Metadata {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model in the file has another element type than the one asked for.
    #[error("{}: the model is stored as {found}, expected {expected}", file.display())]
    ModelDtype {
        /// The file.
        file: PathBuf,
        /// The element type asked for (`"f32"`).
        expected: String,
        /// The element type of the file.
        found: String,
    },
    /// A tensor the architecture needs is not in the file.
    #[error(
        "{}: tensor {tensor:?} is missing (expected {dtype} of shape {expected:?})",
        file.display()
    )]
    MissingTensor {
        /// The file.
        file: PathBuf,
        /// The tensor's name (`"2.bias"`).
        tensor: String,
        /// Its expected shape.
        expected: Vec<usize>,
        /// Its expected element type (`"F32"`).
        dtype: String,
    },
    /// A tensor has the wrong shape.
    #[error("{}: tensor {tensor:?} has shape {found:?}, expected {expected:?}", file.display())]
    TensorShape {
        /// The file.
        file: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The shape the architecture needs (PyTorch layout).
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("{}: tensor {tensor:?} has dtype {found}, expected {expected}", file.display())]
    TensorDtype {
        /// The file.
        file: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The element type needed (`"F32"`).
        expected: String,
        /// The element type in the file.
        found: String,
    },
    /// A tensor's values are not acceptable (a negative batch count).
    #[error("{}: tensor {tensor:?}: {reason}", file.display())]
    TensorValue {
        /// The file.
        file: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// What is wrong, with the value found.
        reason: String,
    },
    /// The file's checksum (metadata key
    /// [`CHECKSUM_KEY`](crate::CHECKSUM_KEY)) does not match its contents:
    /// it was damaged or edited after it was written.
    #[error(
        "{}: the file is corrupt: its contents do not match the checksum it was written with ({stored} recorded under {:?}, {found} now); it was damaged or edited after it was saved. Use a copy, or save it again (if you edited it on purpose, e.g. in PyTorch, remove that metadata key)",
        file.display(),
        crate::CHECKSUM_KEY
    )]
    Checksum {
        /// The file.
        file: PathBuf,
        /// The checksum recorded in the file (`"crc32:1a2b3c4d"`).
        stored: String,
        /// The checksum of its contents.
        found: String,
    },
    /// A value loaded from the file cannot be used: a non-finite parameter,
    /// buffer or optimizer moment, or a value a layer's
    /// [`check_values`](backprop_layers::Layer::check_values) refuses (a
    /// negative BatchNorm `running_var`). Turn
    /// [`LoadOptions::check_values`](crate::LoadOptions::check_values) off to
    /// load such a model for inspection.
    #[error("{}: {}", file.display(), invalid_value(tensor, reason, *checkpoint))]
    InvalidValue {
        /// The file.
        file: PathBuf,
        /// The tensor, by its name in the file (`"0.weight"`,
        /// `"optimizer.0.weight.exp_avg"`, `"3.1.running_var"`).
        tensor: String,
        /// What is wrong, with the value and its index in the file's layout
        /// (`"holds NaN at [3, 17]"`).
        reason: String,
        /// Whether the file is a checkpoint (which then cannot be resumed).
        checkpoint: bool,
    },
    /// The model in the file is larger than a limit of
    /// [`LoadOptions`](crate::LoadOptions) allows (layers, values, values
    /// kept per sample).
    #[error(
        "{}: the model has {found} {what}, more than the limit of {limit}; if you trust the file, raise LoadOptions::{option}",
        file.display()
    )]
    Limit {
        /// The file.
        file: PathBuf,
        /// What was counted (`"layers"`).
        what: &'static str,
        /// How many the file describes (`u64::MAX`: at least that many).
        found: u64,
        /// The limit.
        limit: usize,
        /// The [`LoadOptions`](crate::LoadOptions) field that sets it.
        option: &'static str,
    },
    /// The file holds a tensor the architecture has no place for.
    #[error(
        "{}: unexpected tensor {tensor:?} (the architecture {architecture} has no such parameter or buffer)",
        file.display()
    )]
    ExtraTensor {
        /// The file.
        file: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The architecture, in short form.
        architecture: String,
    },
    /// The file's architecture differs from the one the caller expected.
    #[error("{}: the file holds the architecture {found}, expected {expected}", file.display())]
    ArchitectureMismatch {
        /// The file.
        file: PathBuf,
        /// The architecture asked for, in short form.
        expected: String,
        /// The architecture in the file, in short form.
        found: String,
    },
    /// An architecture description is invalid (`--layers 784,,10`, a layer
    /// without a description).
    #[error("invalid architecture: {reason}")]
    Architecture {
        /// What is wrong.
        reason: String,
    },
    /// A model could not be built from a valid description.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// An optimizer state could not be restored.
    #[error(transparent)]
    Optim(#[from] OptimError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = IoError> = std::result::Result<T, E>;

fn invalid_value(tensor: &str, reason: &str, checkpoint: bool) -> String {
    if checkpoint {
        format!(
            "the checkpoint is corrupt: tensor {tensor:?} {reason}. It cannot be resumed from: use an earlier checkpoint"
        )
    } else {
        format!(
            "tensor {tensor:?} {reason}. A model with it predicts garbage; to load it anyway for inspection, turn LoadOptions::check_values off"
        )
    }
}
