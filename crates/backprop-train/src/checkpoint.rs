//! Checkpoints during training ([`Checkpointer`]) and resuming from one
//! ([`resume`]). The files themselves are `backprop-io`'s.

use crate::{Callback, Control, EpochRecord, TrainError, Trainer};
use backprop_io::{Checkpoint, TrainingState, checkpoint_path, save_checkpoint};
use backprop_layers::Sequential;
use backprop_optim::Optimizer;
use backprop_tensor::Scalar;
use std::path::{Path, PathBuf};

/// A callback that saves a checkpoint every `every` epochs as
/// `dir/epoch-K.safetensors` (`K` epochs completed), atomically: the model,
/// the optimizer's state, the epoch, the seed, the dropout layers' random
/// streams and a configuration of your choice (see
/// [`backprop_io::save_checkpoint`]).
///
/// A checkpoint that cannot be written is reported on standard error and
/// training goes on (the previous checkpoints are intact).
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
    config: serde_json::Value,
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
            config: serde_json::Value::Null,
            written: Vec::new(),
        }
    }
    /// The trainer's seed, recorded so that a resumed run shuffles the same
    /// way (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Hyper-parameters or anything else to keep in every checkpoint.
    pub fn config(mut self, config: serde_json::Value) -> Self {
        self.config = config;
        self
    }
    /// The checkpoints written so far.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }
}

impl<T: Scalar> Callback<T> for Checkpointer {
    fn on_epoch_end_with_optimizer(
        &mut self,
        record: &EpochRecord,
        model: &Sequential<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Control {
        if !record.epoch.is_multiple_of(self.every) {
            return Control::Continue;
        }
        let path = checkpoint_path(&self.dir, record.epoch);
        let state = TrainingState {
            epoch: record.epoch,
            seed: self.seed,
            optimizer: optimizer.state(),
            config: self.config.clone(),
        };
        let result = std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("{}: {e}", self.dir.display()))
            .and_then(|()| save_checkpoint(&path, model, &state).map_err(|e| e.to_string()));
        match result {
            Ok(()) => self.written.push(path),
            Err(e) => eprintln!(
                "warning: checkpoint after epoch {} not written: {e}",
                record.epoch
            ),
        }
        Control::Continue
    }
}

/// Prepares `trainer` to continue the run a checkpoint was taken from: loads
/// the optimizer's state, starts at the checkpoint's epoch with its seed, and
/// hands back the model (its dropout streams where they were). Training it
/// to epoch `N` then gives the same weights, bit for bit, as the
/// uninterrupted run.
///
/// Fails if the trainer's optimizer is not the one that saved the state.
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
    trainer.optimizer_mut().load_state(state.optimizer)?;
    Ok((trainer.initial_epoch(state.epoch).seed(state.seed), model))
}
