//! When the callbacks run, and in which order: `on_train_begin` before the
//! first epoch, `on_epoch_state` after each epoch (then `on_stop` when one
//! of them asked to stop), `on_interrupt` when the stop flag ended the run,
//! and at the end early stopping's restore, then the others'
//! `on_train_end`. Each time the user's callbacks in the order they were
//! added, then early stopping ([`callbacks`]); the first error ends the
//! run.

use crate::early_stopping::EarlyStopping;
use crate::{Callback, Control, History, RunState, TrainError, Trainer};
use backprop_layers::Model;
use backprop_tensor::Scalar;

/// The user's callbacks in order, then early stopping.
pub(crate) fn callbacks<'a, T: Scalar>(
    list: &'a mut [Box<dyn Callback<T>>],
    early_stopping: &'a mut Option<EarlyStopping<T>>,
) -> impl Iterator<Item = &'a mut (dyn Callback<T> + 'static)> {
    let es = early_stopping
        .iter_mut()
        .map(|e| e as &mut (dyn Callback<T> + 'static));
    list.iter_mut().map(|c| c.as_mut()).chain(es)
}

impl<T: Scalar> Trainer<T> {
    /// Every callback's `on_train_begin`, before the first epoch.
    pub(crate) fn begin_callbacks(&mut self, model: &mut dyn Model<T>) -> Result<(), TrainError> {
        for cb in callbacks(&mut self.callbacks, &mut self.early_stopping) {
            cb.on_train_begin(model)?;
        }
        Ok(())
    }

    /// After an epoch: every callback's `on_epoch_state`, then, when any of
    /// them asked to stop, every callback's `on_stop`. Whether one asked.
    pub(crate) fn epoch_callbacks(
        &mut self,
        state: &RunState<'_>,
        model: &mut dyn Model<T>,
    ) -> Result<Control, TrainError> {
        let optimizer = self.optimizer.as_ref();
        let mut control = Control::Continue;
        for cb in callbacks(&mut self.callbacks, &mut self.early_stopping) {
            if cb.on_epoch_state(state, model, optimizer)? == Control::Stop {
                control = Control::Stop;
            }
        }
        if control == Control::Stop {
            for cb in callbacks(&mut self.callbacks, &mut self.early_stopping) {
                cb.on_stop(state, model, optimizer)?;
            }
        }
        Ok(control)
    }

    /// Every callback's `on_interrupt`, when the stop flag ended the run.
    pub(crate) fn interrupt_callbacks(
        &mut self,
        state: &RunState<'_>,
        model: &mut dyn Model<T>,
    ) -> Result<(), TrainError> {
        let optimizer = self.optimizer.as_ref();
        for cb in callbacks(&mut self.callbacks, &mut self.early_stopping) {
            cb.on_interrupt(state, model, optimizer)?;
        }
        Ok(())
    }

    /// After the last epoch: early stopping restores the best weights, then
    /// the other callbacks' `on_train_end`.
    pub(crate) fn finish(
        &mut self,
        model: &mut dyn Model<T>,
        mut history: History,
    ) -> Result<History, TrainError> {
        if let Some(es) = &mut self.early_stopping {
            es.on_train_end(model)?;
            history.early_stopping = es.report().cloned();
        }
        for cb in &mut self.callbacks {
            cb.on_train_end(model)?;
        }
        Ok(history)
    }
}
