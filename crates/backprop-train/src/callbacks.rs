//! Hooks called after every epoch.

use crate::EpochRecord;
use backprop_layers::Sequential;
use backprop_optim::Optimizer;
use backprop_tensor::Scalar;

/// What a callback asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop after this epoch.
    Stop,
}

/// Called after every epoch with its record and the model. The default does
/// nothing; return [`Control::Stop`] to end training early.
///
/// Any `FnMut(&EpochRecord) -> Control` closure is a callback.
pub trait Callback<T: Scalar> {
    /// After each epoch.
    fn on_epoch_end(&mut self, record: &EpochRecord, model: &Sequential<T>) -> Control {
        let _ = (record, model);
        Control::Continue
    }

    /// After each epoch, with the optimizer too (to save its state in a
    /// checkpoint, as [`Checkpointer`](crate::Checkpointer) does). This is
    /// what the trainer calls; the default calls
    /// [`on_epoch_end`](Self::on_epoch_end).
    fn on_epoch_end_with_optimizer(
        &mut self,
        record: &EpochRecord,
        model: &Sequential<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Control {
        let _ = optimizer;
        self.on_epoch_end(record, model)
    }
}

impl<T: Scalar, F: FnMut(&EpochRecord) -> Control> Callback<T> for F {
    fn on_epoch_end(&mut self, record: &EpochRecord, _model: &Sequential<T>) -> Control {
        self(record)
    }
}

/// Stops when the monitored loss (validation loss, or training loss without
/// validation data) has not improved by more than `min_delta` for `patience`
/// epochs; optionally restores the best weights at the end.
///
/// ```
/// use backprop_train::EarlyStopping;
/// let es = EarlyStopping::new(3).min_delta(1e-4).restore_best(true);
/// assert_eq!(es.patience(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    restore_best: bool,
}

impl EarlyStopping {
    /// Stop after `patience` epochs without improvement.
    pub fn new(patience: usize) -> Self {
        Self {
            patience,
            min_delta: 0.0,
            restore_best: true,
        }
    }
    /// The smallest decrease that counts as an improvement (default 0).
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d;
        self
    }
    /// Whether to put back the best epoch's weights when training ends
    /// (default true).
    pub fn restore_best(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }
    /// The patience.
    pub fn patience(&self) -> usize {
        self.patience
    }
    pub(crate) fn restores(&self) -> bool {
        self.restore_best
    }
    pub(crate) fn delta(&self) -> f64 {
        self.min_delta
    }
}
