//! Hooks called by [`Trainer::fit`](crate::Trainer::fit): before the first
//! epoch, after every epoch, after the last, and when the run is
//! interrupted; and the [`RunState`] they are shown.

use crate::{EpochRecord, History, Interruption, TrainError};
use backprop_data::Dataset;
use backprop_layers::Model;
use backprop_optim::Optimizer;
use backprop_tensor::Scalar;
use std::cell::OnceCell;

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
/// optimizer, and once after the last epoch with the model, mutably. When
/// the trainer's [stop flag](crate::Trainer::stop_flag) ends the run early,
/// [`on_interrupt`](Self::on_interrupt) is called instead of
/// [`on_train_end`](Self::on_train_end).
///
/// Return [`Control::Stop`] from [`on_epoch_end`](Self::on_epoch_end) to end
/// training after the epoch, or an error to end `fit` with it (the model
/// keeps the epoch's weights; [`on_train_end`](Self::on_train_end) is not
/// called). The epoch's callbacks run in the order they were added, the
/// trainer's [`EarlyStopping`](crate::EarlyStopping) last; the first error
/// is returned and the callbacks after it are not called.
///
/// Every method has a default that does nothing, so a callback implements
/// only what it needs. Any `FnMut(&EpochRecord) -> Control` closure is a
/// callback.
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
    /// state a checkpoint saves). The default goes on training.
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        let _ = (record, model, optimizer);
        Ok(Control::Continue)
    }

    /// After each epoch, with the whole [`RunState`] (the history so far,
    /// the seed, the training data): what the trainer calls. The default
    /// calls [`on_epoch_end`](Self::on_epoch_end) with the epoch's record;
    /// override this one instead when a callback needs more, as
    /// [`Checkpointer`](crate::Checkpointer) does to store the history in
    /// its checkpoints.
    fn on_epoch_state(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        match run.record() {
            Some(record) => self.on_epoch_end(record, model, optimizer),
            None => Ok(Control::Continue),
        }
    }

    /// When the trainer's [stop flag](crate::Trainer::stop_flag) ended the
    /// run, after the step that saw it (or between two epochs), with the
    /// run's state ([`RunState::interruption`] says where it stopped), the
    /// model and the optimizer: the place for a last checkpoint, as
    /// [`Checkpointer`](crate::Checkpointer) writes. The callbacks run in
    /// the order they were added; the first error ends `fit` with it. The
    /// default does nothing.
    fn on_interrupt(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        let _ = (run, model, optimizer);
        Ok(())
    }

    /// When a callback returned [`Control::Stop`] after an epoch (early
    /// stopping, say), once the epoch's callbacks have all run, with the
    /// same [`RunState`], the model (the stopped epoch's weights, before
    /// early stopping restores the best) and the optimizer: the place for a
    /// checkpoint of the epoch the run stops at, as
    /// [`Checkpointer`](crate::Checkpointer) writes. The callbacks run in
    /// the order they were added; the first error ends `fit` with it. The
    /// default does nothing.
    fn on_stop(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        let _ = (run, model, optimizer);
        Ok(())
    }

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

/// A run as [`Trainer::fit`](crate::Trainer::fit) shows it to
/// [`Callback::on_epoch_state`] and [`Callback::on_interrupt`]: the history
/// so far, where the run is, its seed and its training data.
#[derive(Debug)]
pub struct RunState<'a> {
    history: &'a History,
    epoch: usize,
    epochs: usize,
    seed: u64,
    data: &'a Dataset,
    fingerprint: &'a OnceCell<serde_json::Value>,
}

impl<'a> RunState<'a> {
    pub(crate) fn new(
        history: &'a History,
        epoch: usize,
        epochs: usize,
        seed: u64,
        data: &'a Dataset,
        fingerprint: &'a OnceCell<serde_json::Value>,
    ) -> Self {
        Self {
            history,
            epoch,
            epochs,
            seed,
            data,
            fingerprint,
        }
    }

    /// Every epoch's record so far, those trained before a
    /// [`resume`](crate::resume) included (the epoch just finished is the
    /// last), and, when the run was interrupted, where
    /// ([`History::interrupted`]).
    pub fn history(&self) -> &'a History {
        self.history
    }

    /// The record of the epoch just finished (`None` in
    /// [`on_interrupt`](Callback::on_interrupt) before any epoch ended).
    pub fn record(&self) -> Option<&'a EpochRecord> {
        self.history.epochs.last()
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The epoch the run trains up to ([`Trainer::epochs`](crate::Trainer::epochs)):
    /// `epoch() == epochs()` after the last one, unless a callback or the
    /// stop flag ends the run earlier.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Where the run stopped, when its stop flag ended it.
    pub fn interruption(&self) -> Option<&'a Interruption> {
        self.history.interrupted.as_ref()
    }

    /// The trainer's seed (the batch order's), which a checkpoint records.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The training data given to `fit` (before any validation split).
    pub fn data(&self) -> &'a Dataset {
        self.data
    }

    /// The training data's fingerprint ([`data_fingerprint`](crate::data_fingerprint)),
    /// computed on first use and kept for the rest of the run.
    pub fn data_fingerprint(&self) -> &'a serde_json::Value {
        self.fingerprint
            .get_or_init(|| crate::data_fingerprint(self.data))
    }
}
