//! [`StopInfo`]: what early stopping saw and did, as a run's history keeps
//! it.

use crate::json::nan_if_null;
use serde::{Deserialize, Serialize};

/// What early stopping saw and did in a run.
///
/// `best_loss` is written as `null` in JSON when it is NaN (an epoch whose
/// batches were all skipped), and read back as NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopInfo {
    /// The loss watched: `"val_loss"`, or `"train_loss"` without validation
    /// data.
    pub monitor: String,
    /// The epoch (counted from 1) with the lowest monitored loss.
    pub best_epoch: usize,
    /// That loss.
    #[serde(deserialize_with = "nan_if_null")]
    pub best_loss: f64,
    /// The last epoch trained.
    pub last_epoch: usize,
    /// The epoch after which early stopping ended the run; `None` if it did
    /// not (the run reached its last epoch, or another callback stopped it).
    pub stopped_epoch: Option<usize>,
    /// Whether the weights of `best_epoch` were put back when training ended.
    pub restored: bool,
    /// Epochs without improvement allowed.
    pub patience: usize,
    /// The smallest decrease that counted as an improvement.
    pub min_delta: f64,
}

impl StopInfo {
    /// When and why the run stopped, and which weights the model has, in
    /// one sentence.
    pub fn reason(&self) -> String {
        let by = if self.min_delta > 0.0 {
            format!(" by more than {}", self.min_delta)
        } else {
            String::new()
        };
        let what = match self.stopped_epoch {
            Some(stopped) => format!(
                "{} did not improve{by} for {} after epoch {} ({}); stopped after epoch {stopped}",
                self.monitor,
                epochs(self.patience),
                self.best_epoch,
                self.best_loss
            ),
            None => format!(
                "{} was lowest at epoch {} ({}); not stopped early, the run ended after epoch {}",
                self.monitor, self.best_epoch, self.best_loss, self.last_epoch
            ),
        };
        if self.restored {
            format!(
                "{what} and restored the weights of epoch {}",
                self.best_epoch
            )
        } else {
            format!(
                "{what}; the model keeps the weights of epoch {}",
                self.last_epoch
            )
        }
    }
}

/// `"1 epoch"`, `"3 epochs"`.
fn epochs(n: usize) -> String {
    if n == 1 {
        "1 epoch".into()
    } else {
        format!("{n} epochs")
    }
}
