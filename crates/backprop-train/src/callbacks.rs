//! Hooks called by [`Trainer::fit`](crate::Trainer::fit): before the first
//! epoch, after every epoch, and after the last.

use crate::{EpochRecord, TrainError};
use backprop_layers::Model;
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

/// Called by the trainer during [`fit`](crate::Trainer::fit): once before the
/// first epoch, after every epoch with its record, the model and the
/// optimizer, and once after the last epoch with the model, mutably.
///
/// Return [`Control::Stop`] from [`on_epoch_end`](Self::on_epoch_end) to end
/// training after the epoch, or an error to end `fit` with it (the model
/// keeps the epoch's weights; [`on_train_end`](Self::on_train_end) is not
/// called). The epoch's callbacks run in the order they were added, the
/// trainer's [`EarlyStopping`](crate::EarlyStopping) last; the first error
/// is returned and the callbacks after it are not called.
///
/// Any `FnMut(&EpochRecord) -> Control` closure is a callback.
///
/// ```
/// use backprop_layers::Model;
/// use backprop_optim::Optimizer;
/// use backprop_train::{Callback, Control, EpochRecord, TrainError};
/// /// Fails the run when the loss is above `limit` after epoch 5.
/// struct Budget { limit: f64 }
/// impl Callback<f32> for Budget {
///     fn on_epoch_end(
///         &mut self,
///         record: &EpochRecord,
///         _model: &dyn Model<f32>,
///         _optimizer: &dyn Optimizer<f32>,
///     ) -> Result<Control, TrainError> {
///         if record.epoch >= 5 && record.train_loss > self.limit {
///             return Err(TrainError::Callback(format!("loss {} after epoch {}", record.train_loss, record.epoch).into()));
///         }
///         Ok(Control::Continue)
///     }
/// }
/// ```
pub trait Callback<T: Scalar> {
    /// Before the first epoch of every call of `fit` (reset per-run state
    /// here). The default does nothing.
    fn on_train_begin(&mut self, model: &dyn Model<T>) -> Result<(), TrainError> {
        let _ = model;
        Ok(())
    }

    /// After each epoch, with its record, the model and the optimizer (whose
    /// state a checkpoint saves, as [`Checkpointer`](crate::Checkpointer)
    /// does).
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError>;

    /// After the last epoch of a run that did not fail, with the model
    /// mutably (early stopping puts the best weights back here). The default
    /// does nothing.
    fn on_train_end(&mut self, model: &mut dyn Model<T>) -> Result<(), TrainError> {
        let _ = model;
        Ok(())
    }
}

impl<T: Scalar, F: FnMut(&EpochRecord) -> Control> Callback<T> for F {
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        _model: &dyn Model<T>,
        _optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        Ok(self(record))
    }
}
