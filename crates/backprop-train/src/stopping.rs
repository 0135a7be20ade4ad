//! How a run stops early and how a resumed one starts: the stop flag read
//! between steps, the callbacks' `on_interrupt` with the history saying
//! where it stopped, and the history, data check and first step of a run
//! [`resume`](crate::resume)d from a checkpoint.

use crate::fingerprint::differences;
use crate::run::{EpochSums, Run};
use crate::{History, Interruption, PartialEpoch, RunState, TrainError, Trainer, data_fingerprint};
use backprop_data::Dataset;
use backprop_layers::Model;
use backprop_tensor::Scalar;
use std::sync::atomic::Ordering;

impl<T: Scalar> Trainer<T> {
    /// Whether the stop flag is raised.
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// The history a run starts from (the checkpoint's epochs when resumed,
    /// else none), and the step to start at when the checkpoint was taken in
    /// the middle of an epoch. Refuses data other than the checkpoint's
    /// unless forced.
    pub(crate) fn resumed_history(
        &self,
        train: &Dataset,
    ) -> Result<(History, Option<Interruption>), TrainError> {
        let Some(resumed) = &self.resumed else {
            return Ok((History::default(), None));
        };
        if !resumed.data.is_null() && !self.force_resume {
            let found = differences(&resumed.data, &data_fingerprint(train));
            if !found.is_empty() {
                return Err(TrainError::DataChanged(found.join("; ")));
            }
        }
        let mut history = History {
            epochs: resumed.history.epochs.clone(),
            ..History::default()
        };
        history.epochs.retain(|r| r.epoch <= self.initial_epoch);
        let start = resumed
            .history
            .interrupted
            .clone()
            .filter(|at| at.epoch == self.initial_epoch && at.step > 0);
        Ok((history, start))
    }

    /// The stop flag ended the run before step `step + 1` of epoch
    /// `epoch + 1`: the history says where, the callbacks'
    /// `on_interrupt` run (a last checkpoint), early stopping reports what
    /// it saw (and restores nothing: the model keeps the weights the
    /// checkpoint holds).
    pub(crate) fn interrupt(
        &mut self,
        model: &mut dyn Model<T>,
        mut run: Run<'_>,
        epoch: usize,
        step: usize,
        sums: EpochSums,
    ) -> Result<History, TrainError> {
        run.history.interrupted = Some(Interruption {
            epoch,
            step,
            steps_per_epoch: run.batcher.batches_per_epoch(),
            partial: (step > 0).then(|| sums.partial()),
        });
        if let Some(es) = &self.early_stopping {
            run.history.early_stopping = es.report().cloned();
        }
        let state = RunState::new(
            &run.history,
            epoch,
            self.epochs,
            self.seed,
            run.full,
            &run.fingerprint,
        );
        self.interrupt_callbacks(&state, model)?;
        Ok(run.history)
    }
}

impl EpochSums {
    /// Adds the sums of an interrupted epoch's first steps.
    pub(crate) fn add(&mut self, p: PartialEpoch) {
        self.loss += p.loss_sum;
        self.seen += p.samples;
        self.correct += p.correct;
        self.skipped += p.skipped_batches;
        self.seconds += p.seconds;
        self.steps += p.steps;
        self.thread_steps += p.thread_steps;
    }

    /// The sums so far, to finish the epoch in a resumed run.
    pub(crate) fn partial(&self) -> PartialEpoch {
        PartialEpoch {
            loss_sum: self.loss,
            samples: self.seen,
            correct: self.correct,
            skipped_batches: self.skipped,
            seconds: self.seconds,
            steps: self.steps,
            thread_steps: self.thread_steps,
        }
    }
}
