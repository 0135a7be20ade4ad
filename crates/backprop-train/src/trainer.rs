//! The training loop.
//!
//! One step, for a batch `X` (features × m) with labels `y`:
//! forward `A[L] = net(X)`; loss and `dA[L]` from the loss; zero the
//! gradients; backward through the network; check the gradients are finite;
//! optionally clip; one optimizer step with the schedule's learning rate.
//! Every buffer (the batch, the caches, the gradient of the loss) is owned by
//! the trainer or the network and reused, so a step allocates nothing after
//! the first at a steady batch size.

use crate::callbacks::{Callback, Control, EarlyStopping};
use crate::progress::{Progress, ProgressMode};
use crate::{ConfusionMatrix, EpochRecord, History, TrainError};
use backprop_activations::{Activation, ActivationKind};
use backprop_data::{Batcher, Dataset, Targets};
use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, Target};
use backprop_optim::{Constant, Optimizer, Schedule, clip_grad_norm};
use backprop_tensor::{DMatrix, Parameters, Scalar};
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

/// How targets are presented to the loss, decided from the data and the
/// model's output size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    /// One output per class; the loss gets class indices.
    Classes,
    /// Two classes and a single output; the loss gets a 1×m matrix of 0/1.
    Binary,
    /// Regression targets.
    Values,
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
    loss: Box<dyn Loss<T>>,
    optimizer: Box<dyn Optimizer<T> + Send>,
    schedule: Box<dyn Schedule>,
    epochs: usize,
    initial_epoch: usize,
    batch_size: usize,
    eval_batch_size: usize,
    seed: u64,
    validation: Validation,
    early_stopping: Option<EarlyStopping>,
    callbacks: Vec<Box<dyn Callback<T>>>,
    progress: ProgressMode,
    /// Where plain progress lines go instead of stdout.
    progress_out: Option<Box<dyn std::io::Write>>,
    skip_non_finite: bool,
    clip_norm: Option<f64>,
    // Reused buffers.
    x: DMatrix<T>,
    y: DMatrix<T>,
    labels: Vec<usize>,
    grad: DMatrix<T>,
}

/// The result of evaluating a model on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean loss over all samples.
    pub loss: f64,
    /// Accuracy (classification).
    pub accuracy: Option<f64>,
    /// Confusion matrix (classification).
    pub confusion: Option<ConfusionMatrix>,
    /// Root mean squared error (regression).
    pub rmse: Option<f64>,
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
            x: DMatrix::zeros(0, 0),
            y: DMatrix::zeros(0, 0),
            labels: Vec::new(),
            grad: DMatrix::zeros(0, 0),
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
    /// Early stopping on the validation (or training) loss.
    pub fn early_stopping(mut self, es: EarlyStopping) -> Self {
        self.early_stopping = Some(es);
        self
    }
    /// A callback after every epoch.
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
    /// Clip the global gradient norm to `max_norm` before each update.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
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
    /// Whether the loss takes logits (so probabilities need a softmax or
    /// sigmoid).
    fn takes_logits(&self) -> bool {
        matches!(
            self.loss.name(),
            "softmax_cross_entropy" | "binary_cross_entropy_with_logits"
        )
    }

    fn check(&self, model: &Sequential<T>, data: &Dataset) -> Result<TargetKind, TrainError> {
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
        target_kind(model, data)
    }

    /// Trains `model` on `train`, returning the per-epoch history.
    ///
    /// A configuration that trains nothing (`epochs(0)`, or a run started at
    /// an epoch at or past `epochs`) is a [`TrainError::Config`].
    pub fn fit(
        &mut self,
        model: &mut Sequential<T>,
        train: &Dataset,
    ) -> Result<History, TrainError> {
        let kind = self.check(model, train)?;
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
        let split;
        let (train, val): (&Dataset, Option<&Dataset>) = match &self.validation {
            Validation::None => (train, None),
            Validation::Data(v) => {
                target_kind(model, v)?;
                (train, Some(v))
            }
            Validation::Split(f) => {
                split = train.split(*f, self.seed)?;
                (&split.0, Some(&split.1))
            }
        };
        // A clone so that evaluation (which needs &mut self) can borrow it.
        let val = val.cloned();
        let mut batcher = Batcher::new(train.len(), self.batch_size, true, self.seed)?;
        let mut progress = Progress::new(self.progress, self.epochs);
        let mut history = History::default();
        let from_logits = self.takes_logits();
        let mut best: Option<(f64, Vec<DMatrix<T>>)> = None;
        let mut since_best = 0;

        for epoch in self.initial_epoch..self.epochs {
            let lr = self.schedule.lr(epoch);
            let lr_t = T::of(lr);
            batcher.epoch(epoch);
            progress.start_epoch(epoch + 1, batcher.batches_per_epoch());
            let start = Instant::now();
            let (mut loss_sum, mut seen, mut correct, mut skipped) = (0.0, 0usize, 0usize, 0usize);
            let mut step = 0;
            while let Some(indices) = batcher.next_batch() {
                step += 1;
                let m = indices.len();
                fill(
                    train,
                    indices,
                    kind,
                    &mut self.x,
                    &mut self.y,
                    &mut self.labels,
                )?;
                let out = model.forward(&self.x, Mode::Train)?;
                // Counted only once the batch is used (not skipped below).
                let batch_correct = if kind == TargetKind::Values {
                    0
                } else {
                    count_correct(out, &self.labels, from_logits)
                };
                let target = match kind {
                    TargetKind::Classes => Target::Classes(&self.labels),
                    _ => Target::Dense(&self.y),
                };
                let loss = self
                    .loss
                    .loss_and_gradient(out, target, &mut self.grad)?
                    .as_f64();
                if !loss.is_finite() {
                    if self.skip_non_finite {
                        skipped += 1;
                        continue;
                    }
                    return Err(TrainError::NonFinite {
                        what: "loss",
                        epoch: epoch + 1,
                        step,
                        layer: None,
                    });
                }
                model.zero_grad();
                model.backward(&self.x, &self.grad)?;
                if !model.grads_finite()
                    && let Some(name) = model.first_non_finite_grad()
                {
                    if self.skip_non_finite {
                        skipped += 1;
                        continue;
                    }
                    return Err(TrainError::NonFinite {
                        what: "gradient",
                        epoch: epoch + 1,
                        step,
                        layer: Some(name),
                    });
                }
                if let Some(max) = self.clip_norm {
                    clip_grad_norm(model, T::of(max))?;
                }
                self.optimizer.step(lr_t, model)?;
                loss_sum += loss * m as f64;
                seen += m;
                correct += batch_correct;
                if step % 25 == 0 {
                    let secs = start.elapsed().as_secs_f64();
                    let acc =
                        (kind != TargetKind::Values).then(|| correct as f64 / seen.max(1) as f64);
                    progress.update(
                        step,
                        loss_sum / seen.max(1) as f64,
                        acc,
                        seen as f64 / secs.max(1e-9),
                    );
                }
            }
            let seconds = start.elapsed().as_secs_f64();
            let (val_loss, val_accuracy) = match &val {
                Some(v) => {
                    let e = self.evaluate(model, v)?;
                    (Some(e.loss), e.accuracy)
                }
                None => (None, None),
            };
            let record = EpochRecord {
                epoch: epoch + 1,
                train_loss: if seen > 0 {
                    loss_sum / seen as f64
                } else {
                    f64::NAN
                },
                train_accuracy: (kind != TargetKind::Values)
                    .then(|| correct as f64 / seen.max(1) as f64),
                val_loss,
                val_accuracy,
                learning_rate: lr,
                seconds,
                samples_per_second: seen as f64 / seconds.max(1e-9),
                skipped_batches: skipped,
            };
            let printed = progress.end_epoch(&record, self.progress_out.as_deref_mut());
            let mut stop = false;
            for cb in &mut self.callbacks {
                stop |= cb.on_epoch_end_with_optimizer(&record, model, self.optimizer.as_ref())
                    == Control::Stop;
            }
            // The epoch's callbacks (a checkpoint) ran; nobody reads on.
            printed.map_err(TrainError::Progress)?;
            if let Some(es) = &self.early_stopping {
                let monitored = record.val_loss.unwrap_or(record.train_loss);
                let improved = best
                    .as_ref()
                    .is_none_or(|(b, _)| monitored < b - es.delta());
                if improved {
                    best = Some((
                        monitored,
                        if es.restores() {
                            snapshot(model)
                        } else {
                            Vec::new()
                        },
                    ));
                    since_best = 0;
                } else {
                    since_best += 1;
                    stop |= since_best >= es.patience();
                }
            }
            history.epochs.push(record);
            if stop {
                break;
            }
        }
        if let (Some(es), Some((_, weights))) = (&self.early_stopping, best)
            && es.restores()
        {
            restore(model, weights);
        }
        Ok(history)
    }

    /// Loss, accuracy and confusion matrix (or RMSE) of `model` on `data`, in
    /// evaluation mode.
    pub fn evaluate(
        &mut self,
        model: &mut Sequential<T>,
        data: &Dataset,
    ) -> Result<Evaluation, TrainError> {
        let kind = target_kind(model, data)?;
        let from_logits = self.takes_logits();
        let n_classes = if kind == TargetKind::Values {
            0
        } else {
            data.n_classes()
        };
        let mut cm = ConfusionMatrix::new(n_classes);
        let (mut loss_sum, mut sq_sum) = (0.0, 0.0);
        let all: Vec<usize> = (0..data.len()).collect();
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            fill(
                data,
                indices,
                kind,
                &mut self.x,
                &mut self.y,
                &mut self.labels,
            )?;
            let out = model.forward(&self.x, Mode::Eval)?;
            let target = match kind {
                TargetKind::Classes => Target::Classes(&self.labels),
                _ => Target::Dense(&self.y),
            };
            loss_sum += self.loss.loss(out, target)?.as_f64() * indices.len() as f64;
            match kind {
                TargetKind::Values => {
                    sq_sum += out
                        .iter()
                        .zip(self.y.iter())
                        .map(|(a, b)| (a.as_f64() - b.as_f64()).powi(2))
                        .sum::<f64>();
                }
                _ => {
                    for (j, &label) in self.labels.iter().enumerate() {
                        cm.add(label, predicted_class(out, j, from_logits));
                    }
                }
            }
        }
        let n = data.len().max(1) as f64;
        let classification = kind != TargetKind::Values;
        Ok(Evaluation {
            loss: loss_sum / n,
            accuracy: classification.then(|| cm.accuracy()),
            rmse: (!classification).then(|| (sq_sum / (n * data.n_outputs().max(1) as f64)).sqrt()),
            confusion: classification.then_some(cm),
        })
    }

    /// The predicted class of every sample of `data`.
    pub fn predict(
        &mut self,
        model: &mut Sequential<T>,
        data: &Dataset,
    ) -> Result<Vec<usize>, TrainError> {
        check_features(model, data)?;
        let from_logits = self.takes_logits();
        let mut out = Vec::with_capacity(data.len());
        let all: Vec<usize> = (0..data.len()).collect();
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            data.fill_features(indices, &mut self.x)?;
            let a = model.forward(&self.x, Mode::Eval)?;
            out.extend((0..a.ncols()).map(|j| predicted_class(a, j, from_logits)));
        }
        Ok(out)
    }

    /// Class probabilities (classes × samples) for every sample of `data`:
    /// the softmax (or sigmoid, for one output) of the model's logits when the
    /// loss takes logits, the model's outputs otherwise.
    pub fn predict_proba(
        &mut self,
        model: &mut Sequential<T>,
        data: &Dataset,
    ) -> Result<DMatrix<T>, TrainError> {
        check_features(model, data)?;
        let from_logits = self.takes_logits();
        let rows = model.output_size();
        let mut probs = DMatrix::zeros(rows, data.len());
        let mut tmp = DMatrix::zeros(0, 0);
        let all: Vec<usize> = (0..data.len()).collect();
        let mut col = 0;
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            data.fill_features(indices, &mut self.x)?;
            let a = model.forward(&self.x, Mode::Eval)?;
            let p = if from_logits {
                let act = if rows == 1 {
                    ActivationKind::Sigmoid
                } else {
                    ActivationKind::Softmax
                };
                act.forward(a, &mut tmp);
                &tmp
            } else {
                a
            };
            probs.columns_mut(col, p.ncols()).copy_from(p);
            col += p.ncols();
        }
        Ok(probs)
    }
}

fn check_features<T: Scalar>(model: &Sequential<T>, data: &Dataset) -> Result<(), TrainError> {
    if model.input_size() != data.n_features() {
        return Err(TrainError::Mismatch(format!(
            "the model takes {} features, the dataset has {}",
            model.input_size(),
            data.n_features()
        )));
    }
    Ok(())
}

fn target_kind<T: Scalar>(model: &Sequential<T>, data: &Dataset) -> Result<TargetKind, TrainError> {
    check_features(model, data)?;
    let outputs = model.output_size();
    match data.targets() {
        Targets::Classes { n_classes, .. } => {
            if outputs == *n_classes {
                Ok(TargetKind::Classes)
            } else if outputs == 1 && *n_classes == 2 {
                Ok(TargetKind::Binary)
            } else {
                Err(TrainError::Mismatch(format!(
                    "the model has {}, the dataset has {n_classes} classes (expected {n_classes} outputs, or 1 for two classes)",
                    counted(outputs, "output")
                )))
            }
        }
        Targets::Values { n_outputs, .. } => {
            if outputs == *n_outputs {
                Ok(TargetKind::Values)
            } else {
                Err(TrainError::Mismatch(format!(
                    "the model has {}, the dataset has {} per sample",
                    counted(outputs, "output"),
                    counted(*n_outputs, "target")
                )))
            }
        }
    }
}

/// `"1 output"`, `"3 outputs"`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn fill<T: Scalar>(
    data: &Dataset,
    indices: &[usize],
    kind: TargetKind,
    x: &mut DMatrix<T>,
    y: &mut DMatrix<T>,
    labels: &mut Vec<usize>,
) -> Result<(), TrainError> {
    match kind {
        TargetKind::Classes => data.fill_batch(indices, x, labels)?,
        TargetKind::Binary => {
            data.fill_batch(indices, x, labels)?;
            backprop_tensor::ops::resize(y, 1, labels.len());
            for (v, &l) in y.iter_mut().zip(labels.iter()) {
                *v = T::of_usize(l);
            }
        }
        TargetKind::Values => {
            data.fill_features(indices, x)?;
            data.fill_targets(indices, y)?;
        }
    }
    Ok(())
}

/// The predicted class of column `j`: the arg-max over rows, or for a single
/// output the threshold (0 for logits, ½ for probabilities).
fn predicted_class<T: Scalar>(out: &DMatrix<T>, j: usize, from_logits: bool) -> usize {
    let col = out.column(j);
    if col.len() == 1 {
        let threshold = if from_logits { T::zero() } else { T::of(0.5) };
        return usize::from(col[0] >= threshold);
    }
    let mut best = 0;
    for (i, &v) in col.iter().enumerate() {
        if v > col[best] {
            best = i;
        }
    }
    best
}

fn count_correct<T: Scalar>(out: &DMatrix<T>, labels: &[usize], from_logits: bool) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(j, &l)| predicted_class(out, j, from_logits) == l)
        .count()
}

fn snapshot<T: Scalar>(model: &Sequential<T>) -> Vec<DMatrix<T>> {
    let mut out = Vec::new();
    model.visit_params(&mut |p| out.push(p.value.clone()));
    model.visit_buffers(&mut |_, b| out.push(b.clone()));
    out
}

fn restore<T: Scalar>(model: &mut Sequential<T>, weights: Vec<DMatrix<T>>) {
    let mut it = weights.into_iter();
    model.visit_params_mut(&mut |p| {
        if let Some(w) = it.next() {
            p.value = w;
        }
    });
    model.visit_buffers_mut(&mut |_, b| {
        if let Some(w) = it.next() {
            *b = w;
        }
    });
}
