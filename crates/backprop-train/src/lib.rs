//! # backprop-train
//!
//! The training loop and everything around it: [`Trainer`] (fit, evaluate,
//! predict), metrics ([`ConfusionMatrix`]), callbacks ([`EarlyStopping`],
//! [`Callback`]), progress (a bar on a terminal, plain lines otherwise) and
//! the [`History`] of a run, saved as CSV and JSON and drawn as a PNG;
//! checkpoints every few epochs ([`Checkpointer`]) and [`resume`] from one
//! (files by `backprop-io`).
//!
//! It is the top of the workspace: it depends on every other crate
//! (tensor, activations, losses, layers, optim, data, io) and nothing depends on
//! it but the `backprop` facade. It is the only crate that prints.
//!
//! See [`Trainer`] for a complete example.
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod callbacks;
mod checkpoint;
mod error;
mod history;
mod metrics;
mod plot;
mod progress;
mod trainer;

pub use callbacks::{Callback, Control, EarlyStopping};
pub use checkpoint::{Checkpointer, resume};
pub use error::TrainError;
pub use history::{EpochRecord, History};
pub use metrics::ConfusionMatrix;
pub use progress::{ProgressMode, format_record};
pub use trainer::{Evaluation, Trainer, Validation};
