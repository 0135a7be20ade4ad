//! # backprop-io
//!
//! Model files, checkpoints and atomic writes, for any
//! [`Model`](backprop_layers::Model). Depends on `backprop-tensor`,
//! `backprop-activations`, `backprop-layers` and `backprop-optim` (and on
//! `safetensors` and `serde`); `backprop-train` and the facade sit above it.
//!
//! - **Model files** ([`save_model`], [`load_model`]): one
//!   [safetensors](https://github.com/huggingface/safetensors) file per
//!   model. Tensors are named and laid out as PyTorch's `nn.Sequential` state
//!   dict, so PyTorch reads them with `safetensors.torch.load_file` and
//!   `load_state_dict`:
//!
//!   | layer `i` (built-ins) | tensors (PyTorch shape, row-major) |
//!   |---|---|
//!   | dense `in → out` | `i.weight` `[out, in]`, `i.bias` `[out]` |
//!   | BatchNorm1d(`f`) | `i.weight`, `i.bias`, `i.running_mean`, `i.running_var` `[f]`; `i.num_batches_tracked` `i64 []` |
//!   | activation, dropout, flatten | none |
//!   | nested `Sequential` | its layers' tensors under `i.` (`3.1.weight`) |
//!
//!   Weights are stored in the model's element type (`F32` or `F64`) and
//!   round-trip bit for bit. The description — input shape, the root
//!   layer's kind and configuration with its children's inside it (any
//!   layer kind in the [`registry`](backprop_layers::registry), a user's
//!   own included), and the model's information (preprocessing, output
//!   kind, class names, free-form metadata) — is stored as JSON in the
//!   file's `__metadata__` under [`MODEL_KEY`], with a format name and
//!   version (2; version 1 files still load), so a model is rebuilt from
//!   the file alone. Nothing here matches on layer kinds: each layer's
//!   [`LayerType`](backprop_layers::LayerType) plans its tensors, which are
//!   checked against the file before anything is allocated.
//! - **PyTorch state dicts** ([`load_state_dict`]): a file without that
//!   metadata loads when the caller gives the architecture
//!   (`"784,128,64,10".parse::<Architecture>()` for Linear/ReLU/…/Linear).
//! - **Checkpoints** ([`save_checkpoint`], [`load_checkpoint`]): the model,
//!   the optimizer's state (moments, step count), the epoch (the schedule's
//!   and the batch order's position), the seed, each dropout layer's
//!   random-stream position and the caller's configuration, in one file; a
//!   resumed run is bit-identical to an uninterrupted one.
//! - **Atomic writes** ([`write_atomic`]): a temporary file in the same
//!   directory, flushed, synced and renamed; an error at any point leaves the
//!   previous file intact, and the next write of a file removes the
//!   temporary files that killed writes of it left (on Linux).
//! - **Integrity**: every file written carries a CRC-32 of its metadata and
//!   tensors under [`CHECKSUM_KEY`], verified on load
//!   ([`IoError::Checksum`]); files without one (PyTorch's) load as before.
//!   The same model and state are written as the same bytes.
//! - **Checked values and sizes** ([`LoadOptions`]): a loaded model's
//!   values must be usable (finite; what each layer's
//!   [`check_values`](backprop_layers::Layer::check_values) accepts), and its
//!   layers, values and per-sample outputs within limits, before it is
//!   handed out; the `_with` loaders ([`load_model_with`], …) turn the
//!   checks off or raise the limits.
//!
//! Loading never panics on a bad file: a truncated, corrupt, wrong-version or
//! wrong-architecture file, or a missing, extra, misshapen or mistyped tensor,
//! is an [`IoError`] naming the file, the tensor and what was expected
//! against what was found.
//!
//! ```
//! use backprop_io::{Architecture, model_to_bytes, read_model, read_state_dict};
//! use backprop_layers::{Mode, Sequential};
//! use backprop_tensor::DMatrix;
//! let mut net = Sequential::<f32>::builder(4).seed(3).dense(8).relu().dense(3).build()?;
//! let bytes = model_to_bytes(&net)?;
//! let mut back: Sequential<f32> = read_model(&bytes)?;
//! let x = DMatrix::from_element(4, 2, 0.5);
//! assert_eq!(net.forward(&x, Mode::Eval)?, back.forward(&x, Mode::Eval)?);
//! // The same file read as a plain state dict, with the architecture given:
//! let arch: Architecture = "4,8,3".parse()?;
//! assert!(read_state_dict::<f32>(&bytes, &arch).is_ok());
//! // … and with a wrong one, a typed error naming the tensor-level mismatch.
//! let wrong: Architecture = "4,9,3".parse()?;
//! assert!(read_state_dict::<f32>(&bytes, &wrong).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod architecture;
mod atomic;
mod checkpoint;
mod checks;
mod checksum;
mod container;
mod description;
mod encode;
mod error;
mod inspect;
mod json;
mod model;
mod options;
mod tensors;

pub use architecture::Architecture;
pub use atomic::write_atomic;
pub use checkpoint::{
    CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, Checkpoint, TrainingState, checkpoint_path,
    load_checkpoint, load_checkpoint_with, read_checkpoint, read_checkpoint_with, save_checkpoint,
    write_checkpoint,
};
pub use checksum::CHECKSUM_KEY;
pub use description::{
    CHECKPOINT_KEY, MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_KEY, OPTIMIZER_PREFIX,
};
pub use error::{IoError, Result};
pub use inspect::{FileInfo, inspect};
pub use model::{
    load_model, load_model_with, load_state_dict, load_state_dict_with, model_to_bytes, read_model,
    read_model_with, read_state_dict, read_state_dict_with, save_model, write_model,
};
pub use options::LoadOptions;
