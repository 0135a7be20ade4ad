//! scikit-learn's L2 penalty on the weights, `alpha/(2m)·Σ‖W‖²` per batch of
//! `m` samples: which parameters it covers, its value `Σw²` summed in a fixed
//! order, and its gradient `c·w` added to the weights' gradients. The solver
//! `sgd` (and every optimizer but scikit-learn's Adam) takes it as the
//! separate pass [`add_l2_gradient`]; scikit-learn's Adam folds the same
//! sums and the same `g + c·w` into its update (`SkAdam::step_l2`), one pass
//! over each weight instead of two, with the same bits.

use std::sync::atomic::{AtomicU64, Ordering};

use backprop_tensor::{Scalar, ops, threads};

/// Lanes of [`block_sum`]: independent accumulators that the compiler keeps
/// in vector registers (four AVX2 registers of `f32`).
const LANES: usize = 32;
/// Elements summed in `T` before the lanes are flushed into the `f64` total
/// (bounds the rounding of a float32 sum). Threads get whole blocks.
pub const BLOCK: usize = 32 * LANES;

/// Whether the parameter `name` is penalised: weights are, biases (and
/// batch-norm scales and shifts) are not, as in scikit-learn.
pub fn penalised(name: &str) -> bool {
    name.ends_with("weight")
}

/// `Σw²` of one block (at most [`BLOCK`] elements) in `LANES` accumulators
/// in `T`, flushed to `f64` in lane order: a fixed order, so the same bits
/// on every machine and run, vectorised or not.
#[inline(always)]
pub fn block_sum<T: Scalar>(block: &[T]) -> f64 {
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
    acc.iter().map(|a| a.as_f64()).sum::<f64>()
}

/// The per-block sums of a weight of `len` elements: `blocks` grown to hold
/// them (reused from call to call), one slot per [`BLOCK`].
pub fn block_slots(blocks: &mut Vec<AtomicU64>, len: usize) -> &[AtomicU64] {
    let n = len.div_ceil(BLOCK);
    if blocks.len() < n {
        blocks.resize_with(n, AtomicU64::default);
    }
    &blocks[..n]
}

/// The blocks' sums added in order: the penalty's value, the same on any
/// thread count. Call after the pool's pass (its hand-back orders these
/// loads after the chunks' stores).
pub fn total(sums: &[AtomicU64]) -> f64 {
    sums.iter().fold(0.0, |total, s| {
        total + f64::from_bits(s.load(Ordering::Relaxed))
    })
}

/// Adds `c·w` to every gradient `g` (the L2 penalty's gradient) and returns
/// `Σw²` (the penalty's value). Both loops vectorise (with AVX2 where the
/// CPU has it, through `ops::simd`); the sum is [`block_sum`]'s per block.
/// Large weights are cut into whole blocks on the pool's threads; each
/// block's sum lands in `blocks` and the blocks are added in order
/// afterwards ([`total`]), so the result does not depend on the thread
/// count either. A serial `f64` sum with a scalar update cost about a sixth
/// of an MNIST epoch at batch 64.
pub fn add_l2_gradient<T: Scalar>(g: &mut [T], w: &[T], c: T, blocks: &mut Vec<AtomicU64>) -> f64 {
    debug_assert_eq!(g.len(), w.len());
    let sums = block_slots(blocks, w.len());
    threads::for_each_chunk_mut([g], BLOCK, threads::PARALLEL_MIN_ELEMENTS, &|start, [g]| {
        let w = &w[start..start + g.len()];
        ops::simd(|| {
            for (g, &w) in g.iter_mut().zip(w) {
                *g += c * w;
            }
            for (block, sum) in w.chunks(BLOCK).zip(&sums[start / BLOCK..]) {
                sum.store(block_sum(block).to_bits(), Ordering::Relaxed);
            }
        })
    });
    total(sums)
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
