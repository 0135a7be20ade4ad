//! The training loop.
//!
//! [`Trainer::fit`] trains any [`Model`] in four parts: `prepare` (in
//! prepare.rs) checks the configuration and the data, splits off validation
//! data and makes the batcher; `train_epoch` runs one epoch of [`step`](Trainer::step)s;
//! `end_epoch` validates, records, reports progress and runs the callbacks;
//! `finish` (in dispatch.rs, with when and in which order every callback
//! runs) lets the callbacks (early stopping's restore) have the last word.
//! A raised [stop flag](Trainer::stop_flag) ends the run after the current
//! step instead (`interrupt`, in stopping.rs, with how a resumed run
//! starts).
//!
//! One step, for a batch `X` (features × m) with labels `y`: forward
//! `A[L] = net(X)`; loss and `dA[L]` from the loss; zero the gradients;
//! backward through the network; check the gradients are finite; optionally
//! clip; one optimizer step with the schedule's learning rate. Every buffer
//! (the batch, the caches, the gradient of the loss) is owned by the trainer
//! or the network and reused, so a step allocates nothing after the first at
//! a steady batch size. Each step runs on all of the pool's threads or on
//! the caller alone, whichever a [`Tuner`] timed faster lately (the bits are
//! the same; see [`thread_tuner`](Trainer::thread_tuner)).

use crate::early_stopping::EarlyStopping;
use crate::history::Resumed;
use crate::progress::ProgressMode;
use crate::run::{EpochEnd, EpochSums, Run};
use crate::step::{At, Batch, Samples, TargetKind, Used, count_correct, target};
use crate::{Callback, Control, EpochRecord, History, RunState, TrainError};
use backprop_data::Dataset;
use backprop_layers::{Mode, Model};
use backprop_losses::Loss;
use backprop_optim::{Constant, Optimizer, Schedule, clip_grad_norm};
use backprop_tensor::Scalar;
use backprop_tensor::threads::Tuner;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Where validation data comes from.
#[derive(Debug, Clone, Default)]
pub enum Validation {
    /// No validation.
    #[default]
    None,
    /// Hold out this fraction of the training data (seeded split).
    Split(f64),
    /// A separate dataset.
    Data(Dataset),
}

/// Configures and runs training: loss, optimizer, schedule, epochs, batch
/// size, validation, callbacks.
///
/// ```
/// use backprop_data::Dataset;
/// use backprop_layers::Sequential;
/// use backprop_losses::SoftmaxCrossEntropy;
/// use backprop_optim::Adam;
/// use backprop_train::{ProgressMode, Trainer};
/// // Two separable classes of 2-feature points.
/// let xs: Vec<f32> = (0..200).flat_map(|i| { let c = (i % 2) as f32; [c * 2.0 - 1.0 + 0.1 * (i as f32).sin(), 0.3] }).collect();
/// let labels: Vec<usize> = (0..200).map(|i| i % 2).collect();
/// let data = Dataset::from_f32(xs, 2, labels, 2)?;
/// let mut net = Sequential::<f32>::builder(2).dense(8).relu().dense(2).build()?;
/// let mut trainer = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 0.01)
///     .epochs(20).batch_size(16).progress(ProgressMode::Silent);
/// let history = trainer.fit(&mut net, &data)?;
/// assert_eq!(history.epochs.len(), 20);
/// assert!(trainer.evaluate(&mut net, &data)?.accuracy.unwrap() > 0.95);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Trainer<T: Scalar> {
    pub(crate) loss: Box<dyn Loss<T>>,
    pub(crate) optimizer: Box<dyn Optimizer<T> + Send>,
    pub(crate) schedule: Box<dyn Schedule>,
    pub(crate) epochs: usize,
    pub(crate) initial_epoch: usize,
    pub(crate) batch_size: usize,
    pub(crate) eval_batch_size: usize,
    pub(crate) seed: u64,
    pub(crate) validation: Validation,
    pub(crate) early_stopping: Option<EarlyStopping<T>>,
    pub(crate) callbacks: Vec<Box<dyn Callback<T>>>,
    pub(crate) progress: ProgressMode,
    /// Where plain progress lines go instead of stdout.
    progress_out: Option<Box<dyn std::io::Write>>,
    pub(crate) skip_non_finite: bool,
    pub(crate) clip_norm: Option<f64>,
    /// Raised (by a signal handler, a callback, another thread) to end the
    /// run after the current step.
    pub(crate) stop: Option<Arc<AtomicBool>>,
    /// Resume on data whose fingerprint differs from the checkpoint's.
    pub(crate) force_resume: bool,
    /// Set by [`resume`](crate::resume): the history so far, where the
    /// checkpoint stopped and the data it was trained on.
    pub(crate) resumed: Option<Resumed>,
    /// Reused buffers.
    pub(crate) batch: Batch<T>,
    /// Chooses each step's thread count; `None` when turned off.
    tuner: Option<Tuner>,
}

impl<T: Scalar> Trainer<T> {
    /// A trainer with a constant learning rate `lr`, 10 epochs, batch 64,
    /// seed 0. Use [`schedule`](Self::schedule) for other schedules.
    pub fn new(
        loss: impl Loss<T> + 'static,
        optimizer: impl Optimizer<T> + Send + 'static,
        lr: f64,
    ) -> Self {
        Self::with_boxed(Box::new(loss), Box::new(optimizer), lr)
    }

    /// Like [`new`](Self::new), with boxed loss and optimizer (as returned by
    /// `LossKind`/`OptimizerKind`).
    pub fn with_boxed(
        loss: Box<dyn Loss<T>>,
        optimizer: Box<dyn Optimizer<T> + Send>,
        lr: f64,
    ) -> Self {
        Self {
            loss,
            optimizer,
            schedule: Box::new(Constant::new(lr)),
            epochs: 10,
            initial_epoch: 0,
            batch_size: 64,
            eval_batch_size: 1000,
            seed: 0,
            validation: Validation::None,
            early_stopping: None,
            callbacks: Vec::new(),
            progress: ProgressMode::Auto,
            progress_out: None,
            skip_non_finite: false,
            clip_norm: None,
            stop: None,
            force_resume: false,
            resumed: None,
            batch: Batch::new(),
            tuner: Some(Tuner::new()),
        }
    }

    /// The epoch to train up to (default 10), as Keras's `epochs`: a fresh run
    /// trains this many epochs; one started at [`initial_epoch`](Self::initial_epoch)
    /// `k` trains epochs `k+1..=epochs`.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    /// Start at this epoch (counted from 0), e.g. when resuming: batch order
    /// and learning rate depend only on the seed and the epoch.
    pub fn initial_epoch(mut self, epoch: usize) -> Self {
        self.initial_epoch = epoch;
        self
    }
    /// Mini-batch size (default 64).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Samples per forward pass when evaluating and predicting (default
    /// 1000; 0 is taken as 1). Every layer keeps its output for the whole
    /// batch, so a network with large activations (a convolution's feature
    /// maps) holds less memory with a smaller one. The results depend on it
    /// only through the last bits of the outputs and of the mean loss.
    ///
    /// ```
    /// use backprop_losses::SoftmaxCrossEntropy;
    /// use backprop_optim::Adam;
    /// use backprop_train::Trainer;
    /// let trainer = Trainer::<f32>::new(SoftmaxCrossEntropy, Adam::new(), 1e-3).eval_batch_size(250);
    /// ```
    pub fn eval_batch_size(mut self, eval_batch_size: usize) -> Self {
        self.eval_batch_size = eval_batch_size.max(1);
        self
    }
    /// Seed of the shuffling (and of the validation split).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// A learning-rate schedule (per epoch), replacing the constant rate.
    pub fn schedule(mut self, schedule: impl Schedule + 'static) -> Self {
        self.schedule = Box::new(schedule);
        self
    }
    /// Validation data or split.
    pub fn validation(mut self, validation: Validation) -> Self {
        self.validation = validation;
        self
    }
    /// Early stopping on the validation (or training) loss: a callback that
    /// runs after the others at the end of each epoch, and first when
    /// training ends (so theirs see the restored weights). What it did is in
    /// the run's [`History::early_stopping`].
    pub fn early_stopping(mut self, es: EarlyStopping<T>) -> Self {
        self.early_stopping = Some(es);
        self
    }
    /// A callback (see [`Callback`] for when it is called).
    pub fn callback(mut self, cb: impl Callback<T> + 'static) -> Self {
        self.callbacks.push(Box::new(cb));
        self
    }
    /// How to report progress (default: bar on a terminal, lines otherwise).
    pub fn progress(mut self, mode: ProgressMode) -> Self {
        self.progress = mode;
        self
    }
    /// Writes one plain progress line per epoch ([`format_record`](crate::format_record))
    /// to `out` instead of stdout: stderr, a log file, a buffer. A failed
    /// write stops `fit` with [`TrainError::Progress`] after that epoch's
    /// callbacks.
    ///
    /// ```
    /// # use backprop_train::Trainer;
    /// # use backprop_losses::SoftmaxCrossEntropy;
    /// # use backprop_optim::Sgd;
    /// let trainer = Trainer::<f32>::new(SoftmaxCrossEntropy, Sgd::new(), 0.1)
    ///     .progress_to(std::io::stderr());
    /// ```
    pub fn progress_to(mut self, out: impl std::io::Write + 'static) -> Self {
        self.progress = ProgressMode::Lines;
        self.progress_out = Some(Box::new(out));
        self
    }
    /// Skip (and count) batches whose loss or gradient is not finite, instead
    /// of stopping with [`TrainError::NonFinite`].
    pub fn skip_non_finite(mut self, skip: bool) -> Self {
        self.skip_non_finite = skip;
        self
    }
    /// What chooses each step's thread count: by default a [`Tuner::new`],
    /// which runs a step on all of the pool's threads or on the caller
    /// alone, whichever the clock says is faster lately. A host that
    /// sometimes runs two vCPUs on one core makes two threads slower than
    /// one for a while; the tuner notices and moves to one thread until two
    /// are faster again. The results are the same bits either way; `None`
    /// runs every step on [`num_threads`](backprop_tensor::threads::num_threads)
    /// threads. Each epoch's record says what was chosen, as the mean
    /// thread count of its steps ([`EpochRecord::mean_threads`]).
    ///
    /// ```
    /// use backprop_losses::SoftmaxCrossEntropy;
    /// use backprop_optim::Adam;
    /// use backprop_tensor::threads::Tuner;
    /// use backprop_train::Trainer;
    /// let fixed = Trainer::<f32>::new(SoftmaxCrossEntropy, Adam::new(), 1e-3).thread_tuner(None);
    /// let eager = Trainer::<f32>::new(SoftmaxCrossEntropy, Adam::new(), 1e-3)
    ///     .thread_tuner(Some(Tuner::probing_every(16)));
    /// ```
    pub fn thread_tuner(mut self, tuner: Option<Tuner>) -> Self {
        self.tuner = tuner;
        self
    }
    /// Clip the global gradient norm to `max_norm` before each update.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
        self
    }
    /// A flag that ends [`fit`](Self::fit) early when raised: it is read
    /// after every step (one relaxed atomic load), and once it is `true` the
    /// run stops before the next step — the callbacks'
    /// [`on_interrupt`](Callback::on_interrupt) run ([`Checkpointer`](crate::Checkpointer)
    /// writes a checkpoint there, which [`resume`](crate::resume)s at the
    /// next step, bit-exactly) and `fit` returns the history so far, with
    /// [`History::interrupted`] saying where it stopped.
    ///
    /// The library never installs signal handlers; a program raises the
    /// flag from its own (`examples/mnist` does, with `signal-hook`), a
    /// callback, or another thread. The flag is not lowered by `fit`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// # use backprop_data::Dataset; use backprop_layers::Sequential;
    /// # use backprop_losses::SoftmaxCrossEntropy; use backprop_optim::Sgd;
    /// use backprop_train::{Control, EpochRecord, ProgressMode, Trainer};
    /// # let data = Dataset::from_f32(vec![0.0, 1.0, 1.0, 0.0], 2, vec![0, 1], 2)?;
    /// # let mut net = Sequential::<f32>::builder(2).dense(2).build()?;
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let raise = stop.clone();
    /// let mut trainer = Trainer::new(SoftmaxCrossEntropy, Sgd::new(), 0.1)
    ///     .epochs(10)
    ///     .batch_size(1)
    ///     .progress(ProgressMode::Silent)
    ///     .stop_flag(stop)
    ///     // As a signal handler would, after epoch 2.
    ///     .callback(move |r: &EpochRecord| {
    ///         raise.store(r.epoch == 2, Ordering::Relaxed);
    ///         Control::Continue
    ///     });
    /// let history = trainer.fit(&mut net, &data)?;
    /// assert_eq!(history.epochs.len(), 2);
    /// assert_eq!(history.interrupted.unwrap().to_string(), "after epoch 2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.stop = Some(flag);
        self
    }
    /// Resume from a checkpoint ([`resume`](crate::resume)) even when the
    /// training data's fingerprint
    /// ([`data_fingerprint`](crate::data_fingerprint)) differs from the one
    /// the checkpoint recorded (default `false`: such a run is refused with
    /// [`TrainError::DataChanged`]).
    pub fn force_resume(mut self, force: bool) -> Self {
        self.force_resume = force;
        self
    }
    /// The optimizer (e.g. to save its state).
    pub fn optimizer(&self) -> &dyn Optimizer<T> {
        self.optimizer.as_ref()
    }
    /// The optimizer, mutably (e.g. to restore its state).
    pub fn optimizer_mut(&mut self) -> &mut (dyn Optimizer<T> + Send) {
        self.optimizer.as_mut()
    }

    /// Trains `model` on `train`, returning the per-epoch history.
    ///
    /// Any [`Model`] trains: a [`Sequential`](backprop_layers::Sequential)
    /// (`&mut net`), a model of one's own, a `Box<dyn Model<T>>`
    /// (`net.as_mut()`). First the model's
    /// [`info().output`](backprop_layers::ModelInfo::output) is set to what
    /// it will output: [`Values`](backprop_layers::OutputKind::Values) for
    /// regression targets, [`Logits`](backprop_layers::OutputKind::Logits)
    /// when the loss takes logits ([`Loss::takes_logits`]),
    /// [`Probabilities`](backprop_layers::OutputKind::Probabilities)
    /// otherwise — so a saved model predicts by itself.
    ///
    /// A configuration that trains nothing (`epochs(0)`, or a run started at
    /// an epoch at or past `epochs`) is a [`TrainError::Config`]; an error
    /// from a callback ends the run with that error.
    ///
    /// A run [`resume`](crate::resume)d from a checkpoint returns the whole
    /// run's history (the checkpoint's epochs, then the new ones), and
    /// refuses data other than the checkpoint's
    /// ([`TrainError::DataChanged`], unless [forced](Self::force_resume)).
    /// A raised [stop flag](Self::stop_flag) ends it after the current step
    /// with [`History::interrupted`] set.
    pub fn fit(
        &mut self,
        model: &mut dyn Model<T>,
        train: &Dataset,
    ) -> Result<History, TrainError> {
        let mut run = self.prepare(model, train)?;
        model.info_mut().output = run.kind.output(self.loss.takes_logits());
        self.begin_callbacks(model)?;
        for epoch in self.initial_epoch..self.epochs {
            let sums = match self.train_epoch(model, &mut run, epoch)? {
                EpochEnd::Done(sums) => sums,
                EpochEnd::Stopped { step, sums } => {
                    return self.interrupt(model, run, epoch, step, sums);
                }
            };
            if self.end_epoch(model, &mut run, epoch, sums)? == Control::Stop {
                break;
            }
        }
        self.finish(model, run.history)
    }

    /// One epoch of steps (`epoch` counted from 0), with the progress bar's
    /// updates; from the checkpoint's step when a resumed run starts in the
    /// middle of this epoch. Stops before a step when the stop flag is
    /// raised.
    fn train_epoch(
        &mut self,
        model: &mut dyn Model<T>,
        run: &mut Run<'_>,
        epoch: usize,
    ) -> Result<EpochEnd, TrainError> {
        let lr = self.schedule.lr(epoch);
        run.batcher.epoch(epoch);
        let mut sums = EpochSums {
            lr,
            ..EpochSums::default()
        };
        let mut step = 0;
        if let Some(at) = run.start.take() {
            run.batcher.skip_batches(at.step);
            step = at.step;
            sums.add(at.partial.unwrap_or_default());
        }
        run.progress
            .start_epoch(epoch + 1, run.batcher.batches_per_epoch(), step);
        let (start, before) = (Instant::now(), sums.seconds);
        loop {
            if self.stop_requested() {
                sums.seconds = before + start.elapsed().as_secs_f64();
                run.progress.stop();
                return Ok(EpochEnd::Stopped { step, sums });
            }
            let Some((indices, following)) = run.batcher.next_batch_and_following() else {
                break;
            };
            step += 1;
            let at = At {
                epoch: epoch + 1,
                step,
            };
            let batch = Samples { indices, following };
            let (threads, used) = self.tuned_step(model, &run.train, batch, run.kind, lr, at);
            sums.steps += 1;
            sums.thread_steps += threads;
            let Some(used) = used? else {
                sums.skipped += 1;
                continue;
            };
            sums.loss += used.loss * indices.len() as f64;
            sums.seen += indices.len();
            sums.correct += used.correct;
            if step % 25 == 0 {
                let secs = start.elapsed().as_secs_f64();
                let seen = sums.seen.max(1) as f64;
                let acc = (run.kind != TargetKind::Values).then(|| sums.correct as f64 / seen);
                let speed = sums.seen as f64 / secs.max(1e-9);
                run.progress.update(step, sums.loss / seen, acc, speed);
            }
        }
        sums.seconds = before + start.elapsed().as_secs_f64();
        Ok(EpochEnd::Done(sums))
    }

    /// After an epoch: validation, its record, the progress line and the
    /// callbacks. Whether a callback asked to stop.
    fn end_epoch(
        &mut self,
        model: &mut dyn Model<T>,
        run: &mut Run<'_>,
        epoch: usize,
        sums: EpochSums,
    ) -> Result<Control, TrainError> {
        let (val_loss, val_accuracy) = match &run.val {
            Some(v) => {
                let e = self.evaluate(model, v)?;
                (Some(e.loss), e.accuracy)
            }
            None => (None, None),
        };
        let record = EpochRecord {
            epoch: epoch + 1,
            train_loss: if sums.seen > 0 {
                sums.loss / sums.seen as f64
            } else {
                f64::NAN
            },
            train_accuracy: (run.kind != TargetKind::Values)
                .then(|| sums.correct as f64 / sums.seen.max(1) as f64),
            val_loss,
            val_accuracy,
            learning_rate: sums.lr,
            seconds: sums.seconds,
            samples_per_second: sums.seen as f64 / sums.seconds.max(1e-9),
            skipped_batches: sums.skipped,
            mean_threads: (sums.steps > 0).then(|| sums.thread_steps as f64 / sums.steps as f64),
        };
        let printed = run
            .progress
            .end_epoch(&record, self.progress_out.as_deref_mut());
        run.history.epochs.push(record);
        let state = RunState::new(
            &run.history,
            epoch + 1,
            self.epochs,
            self.seed,
            run.full,
            &run.fingerprint,
        );
        let control = self.epoch_callbacks(&state, model)?;
        // The epoch's callbacks (a checkpoint) ran; nobody reads on.
        printed.map_err(TrainError::Progress)?;
        Ok(control)
    }
}

impl<T: Scalar> Trainer<T> {
    /// One step on the samples `batch.indices` of `data`: forward; loss and
    /// `dA[L]`; zero the gradients; backward; check they are finite;
    /// optionally clip; one optimizer step with `lr`. Right after the batch
    /// is assembled, the samples of the one that follows are prefetched
    /// ([`Dataset::prefetch`]), so that they are on their way while this step
    /// computes. `None` for a batch
    /// skipped because its loss or gradient is not finite (with
    /// [`skip_non_finite`](Trainer::skip_non_finite); otherwise that is an
    /// error). Allocates nothing at a batch size seen before.
    pub(crate) fn step(
        &mut self,
        model: &mut dyn Model<T>,
        data: &Dataset,
        batch: Samples<'_>,
        kind: TargetKind,
        lr: f64,
        at: At,
    ) -> Result<Option<Used>, TrainError> {
        let Samples { indices, following } = batch;
        self.batch.fill(data, indices, kind)?;
        data.prefetch(following);
        let Batch { x, y, labels, grad } = &mut self.batch;
        let out = model.forward(x, Mode::Train)?;
        // Counted only once the batch is used (not skipped below).
        let correct = match kind {
            TargetKind::Values => 0,
            _ => count_correct(out, labels, kind.output(self.loss.takes_logits())),
        };
        let loss = self
            .loss
            .loss_and_gradient(out, target(kind, y, labels), grad)?
            .as_f64();
        if !loss.is_finite() {
            return self.non_finite("loss", at, None);
        }
        model.zero_grad();
        model.backward(x, grad)?;
        if !model.grads_finite()
            && let Some(name) = model.first_non_finite_grad()
        {
            return self.non_finite("gradient", at, Some(name));
        }
        if let Some(max) = self.clip_norm {
            clip_grad_norm(model, T::of(max))?;
        }
        self.optimizer.step(lr, model)?;
        Ok(Some(Used { loss, correct }))
    }

    /// [`step`](Self::step) on the thread count the tuner chooses (timed by
    /// it), or on the configured count when tuning is off; with that count.
    fn tuned_step(
        &mut self,
        model: &mut dyn Model<T>,
        data: &Dataset,
        batch: Samples<'_>,
        kind: TargetKind,
        lr: f64,
        at: At,
    ) -> (usize, Result<Option<Used>, TrainError>) {
        // Taken out for the step, a fresh one left in its place (kept if
        // the step panics: tuning stays on).
        let Some(mut tuner) = self.tuner.as_mut().map(std::mem::take) else {
            let threads = backprop_tensor::threads::num_threads();
            return (threads, self.step(model, data, batch, kind, lr, at));
        };
        let used = tuner.run(batch.indices.len(), || {
            self.step(model, data, batch, kind, lr, at)
        });
        let threads = tuner.last_threads().unwrap_or(1);
        self.tuner = Some(tuner);
        (threads, used)
    }

    /// A skipped batch, or the error that stops training.
    fn non_finite(
        &self,
        what: &'static str,
        at: At,
        layer: Option<String>,
    ) -> Result<Option<Used>, TrainError> {
        if self.skip_non_finite {
            return Ok(None);
        }
        Err(TrainError::NonFinite {
            what,
            epoch: at.epoch,
            step: at.step,
            layer,
        })
    }
}
