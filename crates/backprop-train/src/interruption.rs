//! [`Interruption`]: where a run stopped when the trainer's stop flag was
//! raised, with the running sums of the unfinished epoch, as the run's
//! history keeps it (and so its last checkpoint, to resume from).

use crate::json::nan_if_null;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a run stopped when its [stop flag](crate::Trainer::stop_flag) was
/// raised: `epoch` epochs completed (each in
/// [`History::epochs`](crate::History::epochs)) and `step` steps of the
/// next one.
///
/// A run resumed from the checkpoint written then
/// ([`Checkpointer`](crate::Checkpointer), [`resume`](crate::resume)) goes
/// on at the next step and ends with the weights of the uninterrupted run,
/// bit for bit; the unfinished epoch's sums (`partial`) make its record the
/// uninterrupted run's too (its seconds aside).
///
/// ```
/// use backprop_train::Interruption;
/// let at = Interruption { epoch: 2, step: 120, steps_per_epoch: 938, partial: None };
/// assert_eq!(at.to_string(), "after step 120 of 938 of epoch 3");
/// let between = Interruption { epoch: 2, step: 0, steps_per_epoch: 938, partial: None };
/// assert_eq!(between.to_string(), "after epoch 2");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    /// Epochs completed.
    pub epoch: usize,
    /// Steps of the next epoch completed; 0 when the run stopped between
    /// two epochs.
    pub step: usize,
    /// Steps in a whole epoch.
    pub steps_per_epoch: usize,
    /// The running sums of the unfinished epoch (`None` when `step` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<PartialEpoch>,
}

impl fmt::Display for Interruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.step == 0 {
            write!(f, "after epoch {}", self.epoch)
        } else {
            write!(
                f,
                "after step {} of {} of epoch {}",
                self.step,
                self.steps_per_epoch,
                self.epoch + 1
            )
        }
    }
}

/// The running sums of an unfinished epoch, from which its
/// [`EpochRecord`](crate::EpochRecord) is made once it ends.
///
/// `loss_sum` is written as `null` in JSON when it is not finite, and read
/// back as NaN.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PartialEpoch {
    /// Sum of the used batches' mean losses, each times its size.
    #[serde(deserialize_with = "nan_if_null")]
    pub loss_sum: f64,
    /// Samples in the used batches.
    pub samples: usize,
    /// Correct predictions in them (classification).
    pub correct: usize,
    /// Batches skipped because of a non-finite loss or gradient.
    pub skipped_batches: usize,
    /// Seconds spent in the steps so far.
    pub seconds: f64,
    /// Steps run so far, skipped batches included (0 in files written
    /// before this was recorded).
    #[serde(default)]
    pub steps: usize,
    /// The sum over those steps of the threads each ran on.
    #[serde(default)]
    pub thread_steps: usize,
}
