//! Early stopping: a [`Callback`] that ends a run once the monitored loss
//! stops improving, and puts the best epoch's weights back.

use crate::{Callback, Control, EpochRecord, StopInfo, TrainError};
use backprop_layers::Model;
use backprop_optim::Optimizer;
use backprop_tensor::{DMatrix, Scalar, ops};

/// Stops when the monitored loss (validation loss, or training loss without
/// validation data) has not improved by more than `min_delta` for `patience`
/// epochs; optionally (by default) puts back the best epoch's weights and
/// buffers when training ends.
///
/// Install it with [`Trainer::early_stopping`](crate::Trainer::early_stopping)
/// (the run's [`History::early_stopping`](crate::History::early_stopping)
/// then says what it did) or as any [`Callback`]; after a run,
/// [`report`](Self::report) says when and why it stopped and which epoch's
/// weights it restored.
///
/// ```
/// use backprop_layers::Sequential;
/// use backprop_optim::Sgd;
/// use backprop_train::{Callback, Control, EarlyStopping, EpochRecord};
/// let mut es = EarlyStopping::<f32>::new(2).min_delta(1e-4).restore_best(true);
/// assert_eq!(es.patience(), 2);
/// let mut net = Sequential::<f32>::builder(1).dense(1).build()?;
/// let record = |epoch, val_loss| EpochRecord {
///     epoch, train_loss: 1.0, train_accuracy: None, val_loss: Some(val_loss), val_accuracy: None,
///     learning_rate: 0.1, seconds: 1.0, samples_per_second: 1.0, skipped_batches: 0,
///     mean_threads: None,
/// };
/// es.on_train_begin(&net)?;
/// let mut controls = Vec::new();
/// for (epoch, loss) in [(1, 0.9), (2, 0.5), (3, 0.6), (4, 0.5)] {
///     controls.push(es.on_epoch_end(&record(epoch, loss), &net, &Sgd::new())?);
/// }
/// assert_eq!(controls, [Control::Continue, Control::Continue, Control::Continue, Control::Stop]);
/// es.on_train_end(&mut net)?;
/// let report = es.report().unwrap();
/// assert_eq!((report.best_epoch, report.stopped_epoch, report.restored), (2, Some(4), true));
/// assert_eq!(
///     report.reason(),
///     "val_loss did not improve by more than 0.0001 for 2 epochs after epoch 2 (0.5); \
///      stopped after epoch 4 and restored the weights of epoch 2"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EarlyStopping<T: Scalar> {
    patience: usize,
    min_delta: f64,
    restore_best: bool,
    /// What the current run has seen; `None` before its first epoch.
    report: Option<StopInfo>,
    /// Epochs since the best one.
    since_best: usize,
    /// The best epoch's parameters, then buffers (when restoring).
    weights: Vec<DMatrix<T>>,
}

impl<T: Scalar> EarlyStopping<T> {
    /// Stop after `patience` epochs without improvement.
    pub fn new(patience: usize) -> Self {
        Self {
            patience,
            min_delta: 0.0,
            restore_best: true,
            report: None,
            since_best: 0,
            weights: Vec::new(),
        }
    }
    /// The smallest decrease that counts as an improvement (default 0).
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d;
        self
    }
    /// Whether to put back the best epoch's weights when training ends
    /// (default true).
    pub fn restore_best(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }
    /// The patience.
    pub fn patience(&self) -> usize {
        self.patience
    }
    /// What the last (or current) run saw and did: best epoch, stop, restore;
    /// `None` before its first epoch.
    pub fn report(&self) -> Option<&StopInfo> {
        self.report.as_ref()
    }
}

impl<T: Scalar> Callback<T> for EarlyStopping<T> {
    fn on_train_begin(&mut self, _model: &dyn Model<T>) -> Result<(), TrainError> {
        self.report = None;
        self.since_best = 0;
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        model: &dyn Model<T>,
        _optimizer: &dyn Optimizer<T>,
    ) -> Result<Control, TrainError> {
        let (monitor, loss) = match record.val_loss {
            Some(l) => ("val_loss", l),
            None => ("train_loss", record.train_loss),
        };
        let first = self.report.is_none();
        let report = self.report.get_or_insert_with(|| StopInfo {
            monitor: monitor.into(),
            best_epoch: record.epoch,
            best_loss: loss,
            last_epoch: record.epoch,
            stopped_epoch: None,
            restored: false,
            patience: self.patience,
            min_delta: self.min_delta,
        });
        report.last_epoch = record.epoch;
        if first || loss < report.best_loss - self.min_delta {
            report.best_epoch = record.epoch;
            report.best_loss = loss;
            self.since_best = 0;
            if self.restore_best {
                snapshot(model, &mut self.weights);
            }
            return Ok(Control::Continue);
        }
        self.since_best += 1;
        if self.since_best >= self.patience {
            report.stopped_epoch = Some(record.epoch);
            return Ok(Control::Stop);
        }
        Ok(Control::Continue)
    }

    fn on_train_end(&mut self, model: &mut dyn Model<T>) -> Result<(), TrainError> {
        if let Some(report) = &mut self.report
            && self.restore_best
        {
            restore(model, &self.weights);
            report.restored = true;
        }
        Ok(())
    }
}

/// Copies the model's parameters, then its buffers, into `out` (reusing its
/// matrices).
fn snapshot<T: Scalar>(model: &dyn Model<T>, out: &mut Vec<DMatrix<T>>) {
    let mut n = 0;
    let mut keep = |m: &DMatrix<T>| {
        match out.get_mut(n) {
            Some(dst) => ops::copy_into(m, dst),
            None => out.push(m.clone()),
        }
        n += 1;
    };
    model.visit_params(&mut |p| keep(&p.value));
    model.visit_buffers(&mut |_, b| keep(b));
    out.truncate(n);
}

/// Puts a [`snapshot`] back.
fn restore<T: Scalar>(model: &mut dyn Model<T>, weights: &[DMatrix<T>]) {
    let mut it = weights.iter();
    model.visit_params_mut(&mut |p| {
        if let Some(w) = it.next() {
            ops::copy_into(w, &mut p.value);
        }
    });
    model.visit_buffers_mut(&mut |_, b| {
        if let Some(w) = it.next() {
            ops::copy_into(w, b);
        }
    });
}
