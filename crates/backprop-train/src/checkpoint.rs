//! Checkpoints during training ([`Checkpointer`]) and resuming from one
//! ([`resume`]). The files themselves are `backprop-io`'s.

use crate::history::Resumed;
use crate::{
    Callback, CheckpointError, Control, History, Interruption, RunState, TrainError, Trainer,
};
use backprop_io::{Checkpoint, IoError, TrainingState, checkpoint_path, save_checkpoint};
use backprop_layers::{Model, Sequential};
use backprop_optim::Optimizer;
use backprop_tensor::Scalar;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A callback that saves a checkpoint every `every` epochs, after the
/// run's last epoch ([`RunState::epochs`](crate::RunState::epochs)), and
/// after the epoch where a callback such as
/// [`EarlyStopping`](crate::EarlyStopping) stops the run
/// ([`Callback::on_stop`]), as
/// `dir/epoch-K.safetensors` (`K` epochs completed), atomically: the model,
/// the optimizer's state, the epoch, the trainer's seed, the dropout layers'
/// random streams, the run's [`History`] so far, the training data's
/// fingerprint ([`data_fingerprint`](crate::data_fingerprint)) and a
/// configuration of your choice (see [`backprop_io::save_checkpoint`]).
///
/// When the trainer's [stop flag](Trainer::stop_flag) ends the run, it
/// writes one more: `dir/epoch-K-step-S.safetensors` after step `S` of
/// epoch `K + 1` ([`Interruption::checkpoint_path`]), or
/// `dir/epoch-K.safetensors` between epochs; [`resume`] goes on from there.
///
/// A checkpoint that cannot be written stops training with
/// [`TrainError::Checkpoint`] (a [`CheckpointError`]: the epoch, the file,
/// and `backprop-io`'s error as its source); the checkpoints written before are intact.
///
/// ```no_run
/// use backprop_train::{Checkpointer, Trainer};
/// # use backprop_losses::SoftmaxCrossEntropy; use backprop_optim::Adam;
/// let trainer = Trainer::<f32>::new(SoftmaxCrossEntropy, Adam::new(), 1e-3)
///     .seed(7)
///     .callback(Checkpointer::new("runs/x/checkpoints", 1).seed(7));
/// ```
#[derive(Debug, Clone)]
pub struct Checkpointer {
    dir: PathBuf,
    every: usize,
    seed: u64,
    config: Value,
    data: Value,
    written: Vec<PathBuf>,
}

impl Checkpointer {
    /// Checkpoints into `dir` (created if needed) every `every` epochs
    /// (`every = 0` is taken as 1).
    pub fn new(dir: impl AsRef<Path>, every: usize) -> Self {
        Self {
            dir: dir.as_ref().to_path_buf(),
            every: every.max(1),
            seed: 0,
            config: Value::Null,
            data: Value::Null,
            written: Vec::new(),
        }
    }
    /// The seed to record. Kept for the programs that set it: the
    /// checkpoints record the trainer's own seed, which is what a resumed
    /// run must shuffle with, whatever this says.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Hyper-parameters or anything else to keep in every checkpoint.
    pub fn config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }
    /// The program's own description of its training data (file names,
    /// sizes, checksums), kept in every checkpoint as
    /// `TrainingState::data["source"]`, beside the dataset's fingerprint
    /// (`["dataset"]`), for the program to check when it resumes.
    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
    /// The checkpoints written so far.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }
}

impl Checkpointer {
    /// Whether the epoch just trained is checkpointed after it whatever
    /// happens next: every `every` epochs, and after the last one whatever
    /// `every` (`--save-every 3 --epochs 4` checkpoints epochs 3 and 4).
    fn due(&self, run: &RunState<'_>) -> bool {
        run.epoch().is_multiple_of(self.every) || run.epoch() == run.epochs()
    }

    /// Writes the run's state to `path`.
    fn write<T: Scalar>(
        &mut self,
        path: PathBuf,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        let mut data = json!({ "dataset": run.data_fingerprint() });
        if !self.data.is_null() {
            data["source"] = self.data.clone();
        }
        let state = TrainingState {
            epoch: run.epoch(),
            seed: run.seed(),
            optimizer: optimizer.state(),
            config: self.config.clone(),
            history: serde_json::to_value(run.history()).unwrap_or_default(),
            data,
        };
        let written = std::fs::create_dir_all(&self.dir)
            .map_err(|source| IoError::Io {
                file: self.dir.clone(),
                source,
            })
            .and_then(|()| save_checkpoint(&path, model, &state));
        if let Err(source) = written {
            return Err(CheckpointError {
                epoch: run.epoch(),
                path,
                source,
            }
            .into());
        }
        if !self.written.contains(&path) {
            self.written.push(path);
        }
        Ok(())
    }
}

impl<T: Scalar> Callback<T> for Checkpointer {
    fn on_epoch_state(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        if self.due(run) {
            let path = checkpoint_path(&self.dir, run.epoch());
            self.write(path, run, model, optimizer)?;
        }
        Ok(Control::Continue)
    }

    /// The epoch the run stops at, when a callback (early stopping) ends
    /// it before its last epoch, unless that epoch's checkpoint is written.
    fn on_stop(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        if !self.due(run) {
            let path = checkpoint_path(&self.dir, run.epoch());
            self.write(path, run, model, optimizer)?;
        }
        Ok(())
    }

    fn on_interrupt(
        &mut self,
        run: &RunState<'_>,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        if let Some(at) = run.interruption() {
            let path = at.checkpoint_path(&self.dir);
            self.write(path, run, model, optimizer)?;
        }
        Ok(())
    }
}

impl Interruption {
    /// The file a [`Checkpointer`] writing into `dir` saves when a run stops
    /// here: `dir/epoch-K-step-S.safetensors` after step `S` of epoch
    /// `K + 1`, `dir/epoch-K.safetensors` between epochs.
    ///
    /// ```
    /// use backprop_train::Interruption;
    /// let at = Interruption { epoch: 2, step: 120, steps_per_epoch: 938, partial: None };
    /// assert!(at.checkpoint_path("ck").ends_with("epoch-2-step-120.safetensors"));
    /// ```
    pub fn checkpoint_path(&self, dir: impl AsRef<Path>) -> PathBuf {
        if self.step == 0 {
            checkpoint_path(dir, self.epoch)
        } else {
            dir.as_ref().join(format!(
                "epoch-{}-step-{}.safetensors",
                self.epoch, self.step
            ))
        }
    }
}

/// Prepares `trainer` to continue the run a checkpoint was taken from: loads
/// the optimizer's state, starts at the checkpoint's epoch (and step, for a
/// checkpoint written when a run was interrupted) with its seed, and hands
/// back the model (its dropout streams where they were). Training it to
/// epoch `N` then gives the same weights, bit for bit, as the uninterrupted
/// run, and [`fit`](Trainer::fit) returns the whole run's history (the
/// checkpoint's epochs first).
///
/// Fails if the trainer's optimizer is not the one that saved the state, or
/// the checkpoint's history cannot be read. `fit` then refuses training data
/// whose [fingerprint](crate::data_fingerprint) differs from the one the
/// checkpoint recorded ([`TrainError::DataChanged`]) unless
/// [`Trainer::force_resume`] says otherwise.
///
/// ```no_run
/// use backprop_io::load_checkpoint;
/// use backprop_train::{Trainer, resume};
/// # use backprop_losses::SoftmaxCrossEntropy; use backprop_optim::Adam;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let train: backprop_data::Dataset = unimplemented!();
/// let trainer = Trainer::<f32>::new(SoftmaxCrossEntropy, Adam::new(), 1e-3).epochs(10);
/// let (mut trainer, mut model) = resume(trainer, load_checkpoint("runs/x/checkpoints/epoch-4.safetensors")?)?;
/// trainer.fit(&mut model, &train)?; // epochs 5..=10
/// # Ok(()) }
/// ```
pub fn resume<T: Scalar>(
    trainer: Trainer<T>,
    checkpoint: Checkpoint<T>,
) -> Result<(Trainer<T>, Sequential<T>), TrainError> {
    let Checkpoint { model, state } = checkpoint;
    let mut trainer = trainer;
    let (saved, ours) = (
        state.optimizer.optimizer.clone(),
        trainer.optimizer().name(),
    );
    if saved != ours {
        return Err(TrainError::Config(format!(
            "the checkpoint's optimizer state is {saved:?}'s, but the trainer uses {ours:?}"
        )));
    }
    let history = if state.history.is_null() {
        History::default()
    } else {
        serde_json::from_value(state.history).map_err(|e| {
            TrainError::Config(format!(
                "the checkpoint's history is not a run's history ({e}): it cannot be resumed"
            ))
        })?
    };
    trainer.optimizer_mut().load_state(state.optimizer)?;
    trainer.resumed = Some(Resumed {
        history,
        data: state.data.get("dataset").cloned().unwrap_or(Value::Null),
    });
    Ok((trainer.initial_epoch(state.epoch).seed(state.seed), model))
}
