//! The per-epoch record of a run, saved as CSV and JSON and drawn as a PNG.

use crate::json::nan_if_null;
use crate::{Interruption, StopInfo, TrainError};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One epoch of training.
///
/// In JSON, a NaN or infinite value is written as `null` (JSON has no NaN);
/// a `null` `train_loss` reads back as NaN (an epoch whose batches were all
/// skipped), a `null` optional value as `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch, counted from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size);
    /// NaN when every batch was skipped.
    #[serde(deserialize_with = "nan_if_null")]
    pub train_loss: f64,
    /// Training accuracy over the epoch (classification), `None` otherwise.
    pub train_accuracy: Option<f64>,
    /// Validation loss, if there is validation data.
    pub val_loss: Option<f64>,
    /// Validation accuracy, if there is validation data (classification).
    pub val_accuracy: Option<f64>,
    /// The learning rate used in this epoch.
    pub learning_rate: f64,
    /// Seconds spent in the training loop (batches, forward, backward, update).
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_second: f64,
    /// Batches skipped because of a non-finite loss or gradient.
    pub skipped_batches: usize,
    /// The mean number of threads the epoch's steps ran on: what the
    /// [thread tuner](crate::Trainer::thread_tuner) chose for each (its
    /// probes included), or the configured count without one. Below the
    /// configured count, the tuner found one thread faster for part of the
    /// epoch (a busy or slow host). `None` for an epoch without steps, and
    /// in histories written before this was recorded.
    #[serde(default)]
    pub mean_threads: Option<f64>,
}

/// Every epoch's record, in order, and what early stopping did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The records.
    pub epochs: Vec<EpochRecord>,
    /// With [`Trainer::early_stopping`](crate::Trainer::early_stopping): its
    /// best epoch, whether and when it stopped the run, whether it restored
    /// the best weights ([`StopInfo::reason`] says it in a sentence). Absent
    /// from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<StopInfo>,
    /// When the trainer's [stop flag](crate::Trainer::stop_flag) ended the
    /// run early: where (the epochs completed are in `epochs`; the
    /// unfinished one is not). Absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interruption>,
}

/// The mean of `xs`; `None` when there are none.
fn mean_of(xs: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let n = xs.clone().count();
    (n > 0).then(|| xs.sum::<f64>() / n as f64)
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

impl History {
    /// The record with the lowest validation loss (or training loss without
    /// validation).
    pub fn best(&self) -> Option<&EpochRecord> {
        self.epochs.iter().min_by(|a, b| {
            let ka = a.val_loss.unwrap_or(a.train_loss);
            let kb = b.val_loss.unwrap_or(b.train_loss);
            ka.total_cmp(&kb)
        })
    }

    /// Mean seconds per epoch over epochs 2..N (epoch 1 alone if N = 1), as the
    /// peers report it.
    pub fn mean_epoch_seconds(&self) -> f64 {
        mean_of(self.timed().iter().map(|r| r.seconds)).unwrap_or(0.0)
    }

    /// Mean of [`EpochRecord::mean_threads`] over the epochs
    /// [`mean_epoch_seconds`](Self::mean_epoch_seconds) averages (2..N, or
    /// epoch 1 alone), weighting each epoch alike; `None` when none of them
    /// recorded it.
    pub fn mean_threads(&self) -> Option<f64> {
        mean_of(self.timed().iter().filter_map(|r| r.mean_threads))
    }

    /// The epochs whose figures the means report: 2..N, or epoch 1 alone
    /// (the first epoch pays for warming up when there are more).
    fn timed(&self) -> &[EpochRecord] {
        &self.epochs[usize::from(self.epochs.len() > 1)..]
    }

    /// The history as CSV with a header line.
    ///
    /// ```
    /// use backprop_train::History;
    /// let csv = History::default().to_csv();
    /// assert!(csv.starts_with("epoch,train_loss,train_accuracy"));
    /// ```
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second,skipped_batches,mean_threads\n",
        );
        for r in &self.epochs {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{}",
                r.epoch,
                r.train_loss,
                opt(r.train_accuracy),
                opt(r.val_loss),
                opt(r.val_accuracy),
                r.learning_rate,
                r.seconds,
                r.samples_per_second,
                r.skipped_batches,
                opt(r.mean_threads)
            );
        }
        s
    }

    /// The history as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Writes [`to_csv`](Self::to_csv) to `path`, atomically
    /// (`backprop_io::write_atomic`).
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        save_bytes(path.as_ref(), self.to_csv().as_bytes())
    }

    /// Writes [`to_json`](Self::to_json) to `path`, atomically
    /// (`backprop_io::write_atomic`).
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        save_bytes(path.as_ref(), self.to_json().as_bytes())
    }
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> TrainError {
    TrainError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Keep the extension last: some writers (the PNG encoder) choose the
    // format from it.
    path.with_file_name(format!(".{name}.{}.tmp.{ext}", std::process::id()))
}

/// `bytes` to `path` through the workspace's one atomic writer.
fn save_bytes(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    backprop_io::write_bytes_atomic(path, bytes).map_err(|e| TrainError::Io {
        path: path.to_path_buf(),
        // The path is already in TrainError's message.
        message: match e {
            backprop_io::IoError::Io { source, .. } => source.to_string(),
            other => other.to_string(),
        },
    })
}

/// What [`resume`](crate::resume) hands the trainer besides the optimizer's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resumed {
    /// The checkpoint's history: its epochs, and where it stopped when it
    /// was written by an interrupted run.
    pub(crate) history: History,
    /// The fingerprint of the data it was trained on (`Null`: not recorded).
    pub(crate) data: serde_json::Value,
}
