//! One epoch of mini-batch training and batched prediction, generic over
//! the element type. Runs without the GIL: it only sees slices of the NumPy
//! buffers, and asks `interrupted` between batches whether to stop.

use crate::solver::Solver;
use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, Mse, SoftmaxCrossEntropy, Target};
use backprop_tensor::threads::{self, Tuner};
use backprop_tensor::{DMatrix, Parameters, Scalar, prefetch};
use std::sync::atomic::AtomicU64;

/// What a sample is trained towards.
pub enum Targets<'a, T> {
    /// One class index per sample (softmax cross-entropy on logits).
    Classes(&'a [i64]),
    /// `outputs` values per sample, sample after sample (mean squared
    /// error; halved, as scikit-learn's `squared_error`, if the flag is set).
    Values(&'a [T], usize, bool),
}

/// Why an epoch stopped early.
pub enum EpochError {
    /// A message for Python's ValueError.
    Invalid(String),
    /// `interrupted` said stop (it holds the Python exception, e.g.
    /// KeyboardInterrupt).
    Interrupted(pyo3::PyErr),
}

impl<E: std::fmt::Display> From<E> for EpochError
where
    E: std::error::Error,
{
    fn from(e: E) -> Self {
        EpochError::Invalid(e.to_string())
    }
}

/// Copies the samples `rows` of `x` (`features` values per sample, sample
/// after sample, as a C-contiguous NumPy array holds them) into the columns of
/// `batch`.
pub fn gather<T: Scalar>(x: &[T], features: usize, rows: &[usize], batch: &mut DMatrix<T>) {
    if batch.shape() != (features, rows.len()) {
        *batch = DMatrix::zeros(features, rows.len());
    }
    if features == 0 {
        return;
    }
    // Whole samples per chunk, on the pool's threads for a large batch.
    threads::for_each_chunk_mut(
        [batch.as_mut_slice()],
        features,
        threads::PARALLEL_MIN_ELEMENTS,
        &|start, [dst]| {
            let first = start / features;
            for (dst, &i) in dst.chunks_exact_mut(features).zip(&rows[first..]) {
                dst.copy_from_slice(&x[i * features..(i + 1) * features]);
            }
        },
    );
}

/// Settings of one epoch.
pub struct Epoch<'a> {
    /// The order in which samples are visited (a permutation or a subset of
    /// the rows).
    pub order: &'a [usize],
    /// Samples per step (the last batch may be smaller).
    pub batch_size: usize,
    /// The learning rate of every step.
    pub lr: f64,
    /// L2 penalty on the weights, scikit-learn's `alpha`:
    /// `alpha/(2m)·Σ‖W‖²` per batch of `m` samples.
    pub alpha: f64,
    /// Batches between two calls of `interrupted`.
    pub check_every: usize,
}

/// The buffers one step fills, kept from step to step so that a step after
/// the first allocates nothing.
struct Buffers<T: Scalar> {
    batch: DMatrix<T>,
    target: DMatrix<T>,
    classes: Vec<usize>,
    grad: DMatrix<T>,
    l2_blocks: Vec<AtomicU64>,
}

/// Trains `net` for one pass over `epoch.order` and returns the
/// sample-weighted mean of the batch losses (penalty included), as
/// scikit-learn's `loss_curve_` records.
pub fn train_epoch<T: Scalar>(
    net: &mut Sequential<T>,
    opt: &mut Solver<T>,
    tuner: &mut Tuner,
    x: &[T],
    targets: &Targets<'_, T>,
    epoch: &Epoch<'_>,
    interrupted: &dyn Fn() -> Result<(), pyo3::PyErr>,
) -> Result<f64, EpochError> {
    let mut buffers = Buffers {
        batch: DMatrix::zeros(0, 0),
        target: DMatrix::zeros(0, 0),
        classes: Vec::new(),
        grad: DMatrix::zeros(0, 0),
        l2_blocks: Vec::new(),
    };
    let mut total = 0.0;
    let batch_size = epoch.batch_size.max(1);
    for (b, rows) in epoch.order.chunks(batch_size).enumerate() {
        if b > 0 && b % epoch.check_every.max(1) == 0 {
            interrupted().map_err(EpochError::Interrupted)?;
        }
        // On all threads or on this one, whichever is faster now: the bits
        // are the same either way.
        let loss = tuner.run(rows.len(), || {
            step(net, opt, x, targets, epoch, b, &mut buffers)
        })?;
        total += loss * rows.len() as f64;
    }
    Ok(total / epoch.order.len().max(1) as f64)
}

/// One step on the epoch's batch `b`: forward, loss, backward and the
/// optimiser's update. Returns the batch's loss, penalty included.
fn step<T: Scalar>(
    net: &mut Sequential<T>,
    opt: &mut Solver<T>,
    x: &[T],
    targets: &Targets<'_, T>,
    epoch: &Epoch<'_>,
    b: usize,
    buffers: &mut Buffers<T>,
) -> Result<f64, EpochError> {
    let Buffers {
        batch,
        target,
        classes,
        grad,
        l2_blocks,
    } = buffers;
    let mut batches = epoch.order.chunks(epoch.batch_size.max(1)).skip(b);
    let rows = batches.next().unwrap_or_default();
    let features = net.input_size();
    gather(x, features, rows, batch);
    // The next batch's samples, on their way while this step computes
    // (shuffled, they are scattered over the whole training set).
    prefetch::rows(x, features, batches.next().unwrap_or_default());
    let out = net.forward(batch, Mode::Train)?;
    let loss = match targets {
        Targets::Classes(y) => {
            classes.clear();
            classes.extend(rows.iter().map(|&i| y[i] as usize));
            SoftmaxCrossEntropy
                .loss_and_gradient(out, Target::Classes(classes), grad)?
                .as_f64()
        }
        Targets::Values(y, outputs, half) => {
            gather(y, *outputs, rows, target);
            let l = Mse
                .loss_and_gradient(out, Target::Dense(target), grad)?
                .as_f64();
            if *half {
                // scikit-learn's squared_error is half the mean square.
                grad.scale_mut(T::of(0.5));
                0.5 * l
            } else {
                l
            }
        }
    };
    net.zero_grad();
    net.backward(batch, grad)?;
    let m = rows.len() as f64;
    let c = (epoch.alpha > 0.0).then(|| T::of(epoch.alpha / m));
    let penalty = opt.step(epoch.lr, net, c, l2_blocks)?;
    let batch_loss = loss + 0.5 * epoch.alpha * penalty / m;
    if !batch_loss.is_finite() {
        return Err(EpochError::Invalid(format!(
            "the training loss became {batch_loss} (diverged): lower learning_rate_init or scale \
             the features"
        )));
    }
    Ok(batch_loss)
}

/// The network's output for every sample of `x` (`n` samples), sample after
/// sample, computed in batches of `batch` in evaluation mode.
pub fn predict<T: Scalar>(
    net: &mut Sequential<T>,
    x: &[T],
    n: usize,
    batch: usize,
) -> Result<Vec<T>, EpochError> {
    let features = net.input_size();
    let outputs = net.output_size();
    let mut out = Vec::with_capacity(n * outputs);
    let rows: Vec<usize> = (0..n).collect();
    let mut b = DMatrix::zeros(0, 0);
    for chunk in rows.chunks(batch.max(1)) {
        gather(x, features, chunk, &mut b);
        out.extend_from_slice(net.forward(&b, Mode::Eval)?.as_slice());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{Epoch, Targets, gather, train_epoch};
    use crate::sk_adam::SkAdam;
    use crate::solver::Solver;
    use backprop_layers::Sequential;
    use backprop_tensor::threads::{self, Tuner};
    use backprop_tensor::{DMatrix, Scalar};

    /// `n` samples of `features` values, sample after sample.
    fn data<T: Scalar>(n: usize, features: usize) -> Vec<T> {
        (0..n * features)
            .map(|k| T::of(((k * 37 + 11) % 101) as f64 / 50.0 - 1.0))
            .collect()
    }

    /// The batch holds the selected samples as columns, in order.
    #[test]
    fn gather_copies_the_selected_samples_into_columns() {
        let x = data::<f32>(300, 40);
        let rows = [7, 0, 299, 7, 150];
        let mut batch = DMatrix::zeros(0, 0);
        gather(&x, 40, &rows, &mut batch);
        assert_eq!(batch.shape(), (40, 5));
        for (j, &i) in rows.iter().enumerate() {
            for f in 0..40 {
                assert_eq!(batch[(f, j)], x[i * 40 + f]);
            }
        }
    }

    /// Two epochs of the estimators' training loop (scikit-learn's Adam,
    /// the penalty, shuffled batches with a partial last one, the next
    /// batch prefetched): the losses and the weights have the same bits on
    /// one thread and on all, also when the tuner alternates between them
    /// from step to step, and change from epoch to epoch.
    #[test]
    fn epochs_have_the_same_bits_on_any_thread_count() {
        let (n, features) = (1000, 300);
        let x = data::<f32>(n, features);
        let y: Vec<i64> = (0..n as i64).map(|i| (i * 7 + i / 3) % 4).collect();
        let order: Vec<usize> = (0..n).map(|i| (i * 389) % n).collect();
        let run = |threads| {
            let before = threads::num_threads();
            threads::set_num_threads(threads);
            let mut net = Sequential::<f32>::builder(vec![features])
                .seed(3)
                .dense(64)
                .relu()
                .dense(4)
                .build()
                .unwrap();
            let mut opt = Solver::SkAdam(SkAdam::new(0.9, 0.999, 1e-8).unwrap());
            let epoch = Epoch {
                order: &order,
                batch_size: 64,
                lr: 1e-3,
                alpha: 1e-4,
                check_every: 4,
            };
            let mut bits = Vec::new();
            // Probing as often as it can: steps alternate between all
            // threads and one, so a change of count in the middle of
            // training is part of the test.
            let mut tuner = Tuner::probing_every(2);
            for _ in 0..2 {
                let loss = train_epoch(
                    &mut net,
                    &mut opt,
                    &mut tuner,
                    &x,
                    &Targets::Classes(&y),
                    &epoch,
                    &|| Ok(()),
                );
                bits.push(loss.ok().unwrap().to_bits());
            }
            threads::set_num_threads(before);
            net.visit_params(&mut |p| bits.extend(p.value.iter().map(|v| u64::from(v.to_bits()))));
            bits
        };
        let one = run(1);
        assert_ne!(one[0], one[1], "the second epoch's loss differs");
        assert!(one.len() > 64 * 300);
        assert!(run(usize::MAX) == one);
        assert!(run(2) == one);
    }
}
