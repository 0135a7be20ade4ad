//! What [`Trainer::fit`] settles before the first epoch: the configuration
//! checked (batch size, validation split, epochs), the data checked against
//! the model, a resumed run's history and where it starts, the validation
//! data split off or taken, and the batcher.

use crate::progress::Progress;
use crate::run::Run;
use crate::step::TargetKind;
use crate::{TrainError, Trainer, Validation};
use backprop_data::{Batcher, Dataset};
use backprop_layers::Model;
use backprop_tensor::Scalar;
use std::borrow::Cow;
use std::cell::OnceCell;

impl<T: Scalar> Trainer<T> {
    /// Checks the configuration and the data, splits off the validation
    /// data, and makes the batcher.
    pub(crate) fn prepare<'d>(
        &self,
        model: &dyn Model<T>,
        train: &'d Dataset,
    ) -> Result<Run<'d>, TrainError> {
        if self.batch_size == 0 {
            return Err(TrainError::Config(
                "batch size must be at least 1, found 0".into(),
            ));
        }
        if let Validation::Split(f) = self.validation
            && !(f > 0.0 && f < 1.0)
        {
            return Err(TrainError::Config(format!(
                "validation split must be in (0, 1), found {f}"
            )));
        }
        let kind = TargetKind::of(model, train)?;
        if self.epochs <= self.initial_epoch {
            return Err(TrainError::Config(if self.initial_epoch == 0 {
                "epochs must be at least 1, found 0".into()
            } else {
                format!(
                    "nothing to train: the run starts after epoch {} and epochs (the epoch to train up to) is {}",
                    self.initial_epoch, self.epochs
                )
            }));
        }
        let (history, start) = self.resumed_history(train)?;
        let (train_part, val) = match &self.validation {
            Validation::None => (Cow::Borrowed(train), None),
            Validation::Data(v) => {
                TargetKind::of(model, v)?;
                // A copy, so that evaluation (which needs &mut self) can
                // borrow it.
                (Cow::Borrowed(train), Some(v.clone()))
            }
            Validation::Split(f) => {
                let (t, v) = train.split(*f, self.seed)?;
                (Cow::Owned(t), Some(v))
            }
        };
        let batcher = Batcher::new(train_part.len(), self.batch_size, true, self.seed)?;
        if let Some(at) = &start
            && at.steps_per_epoch != batcher.batches_per_epoch()
        {
            return Err(TrainError::Config(format!(
                "the checkpoint stopped {at}, but this run has {} steps per epoch: resume with the batch size and data it was trained with",
                batcher.batches_per_epoch()
            )));
        }
        Ok(Run {
            kind,
            batcher,
            train: train_part,
            full: train,
            fingerprint: OnceCell::new(),
            val,
            progress: Progress::new(self.progress, self.epochs),
            history,
            start,
        })
    }
}
