// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Trainer`]: Trainer
//! [`Model`]: backprop_layers::Model
//! [`ConfusionMatrix`]: ConfusionMatrix
//! [`Callback`]: Callback
//! [`EarlyStopping`]: EarlyStopping
//! [`StopInfo`]: StopInfo
//! [`History`]: History
//! [`Checkpointer`]: Checkpointer
//! [`resume`]: resume
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod callbacks;
mod checkpoint;
mod dispatch;
mod early_stopping;
mod error;
mod evaluate;
mod fingerprint;
mod history;
mod interruption;
mod json;
mod metrics;
mod plot;
mod prepare;
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
