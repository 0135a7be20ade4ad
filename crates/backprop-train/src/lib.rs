//! # backprop-train
//!
//! The training loop and everything around it: [`Trainer`] (fit, evaluate,
//! predict) for any [`Model`](backprop_layers::Model), metrics
//! ([`ConfusionMatrix`]), callbacks ([`Callback`]; [`EarlyStopping`], which
//! reports what it did as a [`StopInfo`]), progress (a bar on a terminal,
//! plain lines otherwise) and the [`History`] of a run, saved as CSV and JSON
//! and drawn as a PNG; checkpoints every few epochs ([`Checkpointer`]) and
//! [`resume`] from one (files by `backprop-io`).
//!
//! It is the top of the workspace: it depends on every other crate
//! (tensor, activations, losses, layers, optim, data, io) and nothing depends on
//! it but the `backprop` facade. It is the only crate that prints.
//!
//! ```
//! use backprop_data::Dataset;
//! use backprop_layers::{Model, OutputKind, Sequential};
//! use backprop_losses::SoftmaxCrossEntropy;
//! use backprop_optim::{Adam, CosineWithWarmup};
//! use backprop_train::{EarlyStopping, ProgressMode, Trainer, Validation};
//! // Is x above or below 0.5? 64 points on a line, two classes.
//! let xs: Vec<f32> = (0..64).map(|i| i as f32 / 64.0).collect();
//! let labels: Vec<usize> = xs.iter().map(|&x| usize::from(x > 0.5)).collect();
//! let data = Dataset::from_f32(xs, 1, labels, 2)?;
//! let mut net = Sequential::<f32>::builder(1).seed(1).dense(8).tanh().dense(2).build()?;
//! let mut trainer = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 0.05)
//!     .epochs(60)
//!     .batch_size(16)
//!     .schedule(CosineWithWarmup::new(0.05, 5, 60, 0.0)?)
//!     .validation(Validation::Split(0.25))
//!     .early_stopping(EarlyStopping::new(20))
//!     .progress(ProgressMode::Silent);
//! let history = trainer.fit(&mut net, &data)?;
//! assert!(history.best().is_some());
//! let es = history.early_stopping.as_ref().unwrap();
//! assert!(es.restored, "{}", es.reason());
//! let eval = trainer.evaluate(&mut net, &data)?;
//! assert!(eval.accuracy.unwrap() > 0.9, "{eval:?}");
//! // The model knows it outputs logits, and predicts by itself.
//! assert_eq!(net.info().output, OutputKind::Logits);
//! assert_eq!(net.predict_class_raw(&[0.9])?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Trainer`] has a second example, and `docs/guide.md` the whole tour.
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod callbacks;
mod checkpoint;
mod early_stopping;
mod error;
mod evaluate;
mod fingerprint;
mod history;
mod interruption;
mod json;
mod metrics;
mod plot;
mod progress;
mod run;
mod run_dir;
mod step;
mod stop_info;
mod stopping;
mod trainer;

pub use callbacks::{Callback, Control, RunState};
pub use checkpoint::{Checkpointer, resume};
pub use early_stopping::EarlyStopping;
pub use error::{CheckpointError, TrainError};
pub use evaluate::Evaluation;
pub use fingerprint::{data_fingerprint, file_checksum};
pub use history::{EpochRecord, History};
pub use interruption::{Interruption, PartialEpoch};
pub use metrics::ConfusionMatrix;
pub use progress::{ProgressMode, format_record};
pub use run_dir::{
    LOCK_FILE, LockHolder, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest,
    ManifestEntry, RunDir, RunDirError,
};
pub use stop_info::StopInfo;
pub use trainer::{Trainer, Validation};
