//! One epoch of mini-batch training and batched prediction, generic over
//! the element type. Runs without the GIL: it only sees slices of the NumPy
//! buffers, and asks `interrupted` between batches whether to stop.

use std::sync::atomic::{AtomicU64, Ordering};

use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, Mse, SoftmaxCrossEntropy, Target};
use backprop_optim::Optimizer;
use backprop_tensor::{DMatrix, Parameters, Scalar, ops, threads};

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

/// Lanes of [`add_l2_gradient`]'s sum: independent accumulators that the
/// compiler keeps in vector registers (four AVX2 registers of `f32`).
const LANES: usize = 32;
/// Elements summed in `T` before the lanes are flushed into the `f64` total
/// (bounds the rounding of a float32 sum).
const BLOCK: usize = 32 * LANES;

/// Adds `c·w` to every gradient `g` (the L2 penalty's gradient) and returns
/// `Σw²` (the penalty's value). Both loops vectorise (with AVX2 where the
/// CPU has it, through `ops::simd`); the sum runs in `LANES` accumulators
/// flushed to `f64` every `BLOCK` elements, a fixed order, so the result is
/// the same on every machine and run. Large weights are cut into whole
/// blocks on the pool's threads; each block's sum lands in `blocks` (reused
/// from call to call) and the blocks are added in order afterwards, so the
/// result does not depend on the thread count either. A serial `f64` sum
/// with a scalar update cost about a sixth of an MNIST epoch at batch 64.
pub fn add_l2_gradient<T: Scalar>(g: &mut [T], w: &[T], c: T, blocks: &mut Vec<AtomicU64>) -> f64 {
    debug_assert_eq!(g.len(), w.len());
    let n = w.len().div_ceil(BLOCK);
    if blocks.len() < n {
        blocks.resize_with(n, AtomicU64::default);
    }
    let sums = &blocks[..n];
    threads::for_each_chunk_mut([g], BLOCK, threads::PARALLEL_MIN_ELEMENTS, &|start, [g]| {
        let w = &w[start..start + g.len()];
        ops::simd(|| {
            for (g, &w) in g.iter_mut().zip(w) {
                *g += c * w;
            }
            for (block, sum) in w.chunks(BLOCK).zip(&sums[start / BLOCK..]) {
                let mut acc = [T::zero(); LANES];
                let mut lanes = block.chunks_exact(LANES);
                for ws in &mut lanes {
                    for k in 0..LANES {
                        acc[k] += ws[k] * ws[k];
                    }
                }
                for (a, &r) in acc.iter_mut().zip(lanes.remainder()) {
                    *a += r * r;
                }
                let s = acc.iter().map(|a| a.as_f64()).sum::<f64>();
                sum.store(s.to_bits(), Ordering::Relaxed);
            }
        })
    });
    // The pool's hand-back orders these loads after the chunks' stores.
    sums.iter().fold(0.0, |total, s| {
        total + f64::from_bits(s.load(Ordering::Relaxed))
    })
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

/// Trains `net` for one pass over `epoch.order` and returns the
/// sample-weighted mean of the batch losses (penalty included), as
/// scikit-learn's `loss_curve_` records.
pub fn train_epoch<T: Scalar>(
    net: &mut Sequential<T>,
    opt: &mut (dyn Optimizer<T> + Send),
    x: &[T],
    targets: &Targets<'_, T>,
    epoch: &Epoch<'_>,
    interrupted: &dyn Fn() -> Result<(), pyo3::PyErr>,
) -> Result<f64, EpochError> {
    let features = net.input_size();
    let mut batch = DMatrix::zeros(0, 0);
    let mut target = DMatrix::zeros(0, 0);
    let mut classes: Vec<usize> = Vec::new();
    let mut grad = DMatrix::zeros(0, 0);
    let mut l2_blocks = Vec::new();
    let mut total = 0.0;
    for (b, rows) in epoch.order.chunks(epoch.batch_size.max(1)).enumerate() {
        if b > 0 && b % epoch.check_every.max(1) == 0 {
            interrupted().map_err(EpochError::Interrupted)?;
        }
        gather(x, features, rows, &mut batch);
        let out = net.forward(&batch, Mode::Train)?;
        let loss = match targets {
            Targets::Classes(y) => {
                classes.clear();
                classes.extend(rows.iter().map(|&i| y[i] as usize));
                SoftmaxCrossEntropy
                    .loss_and_gradient(out, Target::Classes(&classes), &mut grad)?
                    .as_f64()
            }
            Targets::Values(y, outputs, half) => {
                gather(y, *outputs, rows, &mut target);
                let l = Mse
                    .loss_and_gradient(out, Target::Dense(&target), &mut grad)?
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
        net.backward(&batch, &grad)?;
        let m = rows.len() as f64;
        let mut penalty = 0.0;
        if epoch.alpha > 0.0 {
            let c = T::of(epoch.alpha / m);
            net.visit_params_mut(&mut |p| {
                if p.name().ends_with("weight") {
                    penalty += add_l2_gradient(
                        p.grad.as_mut_slice(),
                        p.value.as_slice(),
                        c,
                        &mut l2_blocks,
                    );
                }
            });
        }
        opt.step(epoch.lr, net)?;
        let batch_loss = loss + 0.5 * epoch.alpha * penalty / m;
        if !batch_loss.is_finite() {
            return Err(EpochError::Invalid(format!(
                "the training loss became {batch_loss} (diverged): lower learning_rate_init \
                 or scale the features"
            )));
        }
        total += batch_loss * m;
    }
    Ok(total / epoch.order.len().max(1) as f64)
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
    use super::add_l2_gradient;

    /// The penalty and the gradients have the same bits on one thread and on
    /// all (the MNIST network's first weight: cut into blocks on the pool).
    #[test]
    fn l2_penalty_is_the_same_on_any_thread_count() {
        let w: Vec<f32> = (0..100_352)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let run = |n| {
            let before = backprop_tensor::threads::num_threads();
            backprop_tensor::threads::set_num_threads(n);
            let mut g: Vec<f32> = (0..w.len()).map(|i| i as f32 / 3.0).collect();
            let sum = add_l2_gradient(&mut g, &w, 0.25, &mut Vec::new());
            backprop_tensor::threads::set_num_threads(before);
            (
                sum.to_bits(),
                g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            )
        };
        assert!(run(1) == run(usize::MAX));
    }

    /// The one-pass penalty equals the plain sum and update, over lengths
    /// that leave remainders within a lane and a block.
    #[test]
    fn l2_penalty_matches_the_plain_sum() {
        for len in [0, 1, 15, 16, 17, 1023, 1024, 1025, 5000 + 37, 40_000 + 5] {
            let w: Vec<f64> = (0..len)
                .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0)
                .collect();
            let mut g: Vec<f64> = (0..len).map(|i| i as f64 / 3.0).collect();
            let expected_g: Vec<f64> = g.iter().zip(&w).map(|(g, w)| g + 0.25 * w).collect();
            let expected: f64 = w.iter().map(|w| w * w).sum();
            let got = add_l2_gradient(&mut g, &w, 0.25, &mut Vec::new());
            assert!(
                (got - expected).abs() <= 1e-12 * expected.max(1.0),
                "{len}: {got} {expected}"
            );
            assert_eq!(g, expected_g);

            let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
            let mut g32 = vec![1.0f32; len];
            let exact: f64 = w32.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            let got = add_l2_gradient(&mut g32, &w32, 0.5, &mut Vec::new());
            assert!(
                (got - exact).abs() <= 1e-6 * exact.max(1.0),
                "{len}: {got} {exact}"
            );
            assert!(g32.iter().zip(&w32).all(|(g, w)| *g == 1.0 + 0.5 * w));
        }
    }
}
