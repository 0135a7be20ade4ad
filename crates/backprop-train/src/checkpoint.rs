//! Checkpoints during training ([`Checkpointer`]) and resuming from one
//! ([`resume`]). The files themselves are `backprop-io`'s.

use crate::{Callback, CheckpointError, Control, EpochRecord, TrainError, Trainer};
use backprop_io::{Checkpoint, IoError, TrainingState, checkpoint_path, save_checkpoint};
use backprop_layers::{Model, Sequential};
use backprop_optim::Optimizer;
use backprop_tensor::Scalar;
use std::path::{Path, PathBuf};

/// A callback that saves a checkpoint every `every` epochs as
/// `dir/epoch-K.safetensors` (`K` epochs completed), atomically: the model,
/// the optimizer's state, the epoch, the seed, the dropout layers' random
/// streams and a configuration of your choice (see
/// [`backprop_io::save_checkpoint`]).
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
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        model: &dyn Model<T>,
        optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        if !record.epoch.is_multiple_of(self.every) {
            return Ok(Control::Continue);
        }
        let path = checkpoint_path(&self.dir, record.epoch);
        let state = TrainingState {
            epoch: record.epoch,
            seed: self.seed,
            optimizer: optimizer.state(),
            config: self.config.clone(),
            history: serde_json::Value::Null,
            data: serde_json::Value::Null,
        };
        let written = std::fs::create_dir_all(&self.dir)
            .map_err(|source| IoError::Io {
                file: self.dir.clone(),
                source,
            })
            .and_then(|()| save_checkpoint(&path, model, &state));
        if let Err(source) = written {
            return Err(CheckpointError {
                epoch: record.epoch,
                path,
                source,
            }
            .into());
        }
        self.written.push(path);
        Ok(Control::Continue)
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
