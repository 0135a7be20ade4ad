//! scikit-learn's Adam (`sklearn.neural_network._stochastic_optimizers.AdamOptimizer`),
//! which the estimators use so that `epsilon` means what it means there.
//!
//! It differs from PyTorch's Adam (backprop-optim's `Adam`) in one place:
//! scikit-learn adds `epsilon` to `√v` before the bias correction,
//! `w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)`, where PyTorch adds it to
//! `√v̂ = √v/√(1−β₂ᵗ)`. Early steps (`1−β₂ᵗ` small) and small gradients
//! differ visibly, so this is implemented here operation by operation as
//! scikit-learn writes it; with it, training follows scikit-learn's to
//! rounding (python/tests/test_sklearn_parity.py): in float64 operation for
//! operation the same.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::l2;
use backprop_optim::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::{DMatrix, Param, Parameters, Scalar, ops, threads};

/// The optimizer's name, as its state records it.
const NAME: &str = "adam";

/// `value` (the setting `name`) must be a finite number > 0.
fn check_positive(name: &'static str, value: f64) -> Result<(), OptimError> {
    if value.is_finite() && value > 0.0 {
        return Ok(());
    }
    Err(OptimError::InvalidHyperparameter {
        context: "scikit-learn's Adam",
        name,
        value,
        reason: "must be a finite number > 0",
    })
}

/// scikit-learn's Adam: moments `m`, `v` per parameter in visit order.
pub struct SkAdam<T: Scalar> {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    t: u64,
    m: Vec<DMatrix<T>>,
    v: Vec<DMatrix<T>>,
}

impl<T: Scalar> SkAdam<T> {
    /// scikit-learn's `beta_1`, `beta_2`, `epsilon`; the state starts empty.
    pub fn new(beta_1: f64, beta_2: f64, epsilon: f64) -> Result<Self, OptimError> {
        for (name, value) in [("beta_1", beta_1), ("beta_2", beta_2)] {
            if !(0.0..1.0).contains(&value) {
                return Err(OptimError::InvalidHyperparameter {
                    context: "scikit-learn's Adam",
                    name,
                    value,
                    reason: "must be in [0, 1)",
                });
            }
        }
        check_positive("epsilon", epsilon)?;
        Ok(Self {
            beta_1,
            beta_2,
            epsilon,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        })
    }

    /// Creates the moments on the first step; afterwards checks that the
    /// parameters are those the moments were made for, without allocating
    /// unless there is an error to report.
    fn check(&mut self, params: &dyn Parameters<T>) -> Result<(), OptimError> {
        if self.m.is_empty() && self.t == 0 {
            let mut error = None;
            params.visit_params(&mut |p| {
                if error.is_none() && p.value.shape() != p.grad.shape() {
                    error = Some(grad_mismatch(p));
                }
                let (rows, cols) = p.value.shape();
                self.m.push(DMatrix::zeros(rows, cols));
            });
            if let Some(e) = error {
                self.m.clear();
                return Err(e);
            }
            self.v = self.m.clone();
            return Ok(());
        }
        let expected = self.m.len();
        let (mut grad_error, mut shape_error, mut extra_name) = (None, None, None);
        let mut index = 0;
        params.visit_params(&mut |p| {
            if grad_error.is_none() && p.value.shape() != p.grad.shape() {
                grad_error = Some(grad_mismatch(p));
            }
            match self.m.get(index) {
                Some(m) if shape_error.is_none() && m.shape() != p.value.shape() => {
                    shape_error = Some(OptimError::ShapeMismatch {
                        name: p.name().to_string(),
                        index,
                        expected: m.shape(),
                        found: p.value.shape(),
                    });
                }
                None if extra_name.is_none() => extra_name = Some(p.name().to_string()),
                _ => {}
            }
            index += 1;
        });
        if let Some(e) = grad_error {
            return Err(e);
        }
        if index != expected {
            return Err(OptimError::ParamCountMismatch {
                name: extra_name.unwrap_or_default(),
                expected,
                found: index,
            });
        }
        shape_error.map_or(Ok(()), Err)
    }

    /// One step with scikit-learn's L2 penalty folded in: for every weight
    /// ([`l2::penalised`]), block by block, `Σw²` of the old weights
    /// ([`l2::block_sum`]) and the update with `g + c·w` in place of `g`;
    /// other parameters as [`Optimizer::step`]. Returns `Σw²` over the
    /// weights. Weights, moments and the returned sum have the bits of
    /// [`l2::add_l2_gradient`] on every weight followed by `step`, in one
    /// pass over each weight instead of two (the pass costs memory traffic:
    /// the first MNIST weight does not fit a core's L2); the gradients are
    /// left without the penalty. `blocks` holds the block sums (reused).
    pub fn step_l2(
        &mut self,
        lr: f64,
        params: &mut dyn Parameters<T>,
        c: T,
        blocks: &mut Vec<AtomicU64>,
    ) -> Result<f64, OptimError> {
        self.step_with(lr, params, Some((c, blocks)))
    }

    /// `step` (`l2` none) or `step_l2`.
    fn step_with(
        &mut self,
        lr: f64,
        params: &mut dyn Parameters<T>,
        mut l2: Option<(T, &mut Vec<AtomicU64>)>,
    ) -> Result<f64, OptimError> {
        check_positive("lr", lr)?;
        self.check(params)?;
        self.t += 1;
        let t = self.t as f64;
        // As scikit-learn: a Python float times NumPy's float64 sqrt.
        let step = lr * (1.0 - self.beta_2.powf(t)).sqrt() / (1.0 - self.beta_1.powf(t));
        let k = Coefs {
            b1: T::of(self.beta_1),
            c1: T::of(1.0 - self.beta_1),
            b2: T::of(self.beta_2),
            c2: T::of(1.0 - self.beta_2),
            eps: T::of(self.epsilon),
            neg_step: T::of(-step),
        };
        let mut i = 0;
        let mut penalty = 0.0;
        let (ms, vs) = (&mut self.m, &mut self.v);
        params.visit_params_mut(&mut |p| {
            let (m, v) = (ms[i].as_mut_slice(), vs[i].as_mut_slice());
            i += 1;
            let penalised = l2::penalised(p.name());
            let (w, g) = (p.value.as_mut_slice(), p.grad.as_slice());
            match &mut l2 {
                Some((c, blocks)) if penalised => {
                    penalty += k.update_l2(w, g, m, v, *c, blocks);
                }
                _ => k.update(w, g, m, v),
            }
        });
        Ok(penalty)
    }
}

/// The error for a parameter whose gradient's shape is not its value's.
fn grad_mismatch<T: Scalar>(p: &Param<T>) -> OptimError {
    OptimError::GradShapeMismatch {
        name: p.name().to_string(),
        value: p.value.shape(),
        grad: p.grad.shape(),
    }
}

/// Runs `f(start, [w, m, v], g)` over chunks of a parameter, its moments
/// and its gradient on the pool's threads (see
/// [`threads::for_each_chunk_mut`]; boundaries at multiples of `align`),
/// each chunk with the gradient's matching part.
fn chunks<T: Scalar, F>(slices: [&mut [T]; 3], g: &[T], align: usize, f: &F)
where
    F: Fn(usize, [&mut [T]; 3], &[T]) + Sync,
{
    threads::for_each_chunk_mut(
        slices,
        align,
        threads::PARALLEL_MIN_ELEMENTS,
        &|start, chunk| {
            // Always in range: `check` matched every gradient's shape to its
            // value's.
            if let Some(g) = g.get(start..start + chunk[0].len()) {
                f(start, chunk, g);
            }
        },
    );
}

/// The constants of one step, in `T`.
#[derive(Clone, Copy)]
struct Coefs<T> {
    b1: T,
    c1: T,
    b2: T,
    c2: T,
    eps: T,
    neg_step: T,
}

impl<T: Scalar> Coefs<T> {
    /// One element: the moments with gradient `g`, then the weight.
    #[inline(always)]
    fn element(self, w: &mut T, g: T, m: &mut T, v: &mut T) {
        *m = self.b1 * *m + self.c1 * g;
        *v = self.b2 * *v + self.c2 * (g * g);
        // In T: for float64 NumPy's operations exactly; for float32 NumPy
        // would promote the update to float64 (the step size is a float64
        // scalar), which costs twice the lanes here and only moves the
        // rounding.
        *w += (self.neg_step * *m) / (v.sqrt() + self.eps);
    }

    /// Updates one parameter `w` with gradient `g` (same length, as `check`
    /// made sure) and its moments `m`, `v`. Large parameters (the first
    /// layer) are updated on the pool's threads, as backprop-optim's Adam
    /// does; the update is element-wise, so the bits do not depend on the
    /// cut.
    fn update(self, w: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
        chunks(
            [w, m, v],
            g,
            threads::CACHE_LINE_ELEMENTS,
            &|_, [w, m, v], g| {
                ops::simd(|| {
                    for ((w, &g), (m, v)) in w.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()))
                    {
                        self.element(w, g, m, v);
                    }
                })
            },
        );
    }

    /// [`update`](Self::update) with the L2 penalty's gradient `c·w` added
    /// to `g` (the same expression as [`l2::add_l2_gradient`]'s), and
    /// returns `Σw²` of the old weights. The pool's chunks are whole
    /// [`l2::BLOCK`]s; each block is summed (in L1) before it is updated,
    /// its sum stored in `blocks`, and the sums added in order afterwards,
    /// exactly as `add_l2_gradient` does.
    fn update_l2(
        self,
        w: &mut [T],
        g: &[T],
        m: &mut [T],
        v: &mut [T],
        c: T,
        blocks: &mut Vec<AtomicU64>,
    ) -> f64 {
        let sums = l2::block_slots(blocks, w.len());
        chunks([w, m, v], g, l2::BLOCK, &|start, [w, m, v], g| {
            let Some(sums) = sums.get(start / l2::BLOCK..) else {
                // Unreachable: one slot per block of `w`.
                return;
            };
            self.blocks_l2_simd(w, g, m, v, c, sums)
        });
        l2::total(sums)
    }

    /// [`blocks_l2`](Self::blocks_l2) compiled for AVX2 where the CPU has
    /// it, as `ops::simd` does for closures. Through `ops::simd` this body
    /// stayed out of line, without AVX2 (too large for LLVM to inline the
    /// closure into `ops::simd`'s AVX2 frame): perf showed it as a symbol of
    /// its own on SSE registers, costing more than the two passes it
    /// replaced. The bits do not depend on the vector width (no fused
    /// multiply-add; the sum's lanes are fixed).
    fn blocks_l2_simd(
        self,
        w: &mut [T],
        g: &[T],
        m: &mut [T],
        v: &mut [T],
        c: T,
        sums: &[AtomicU64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked just above.
            return unsafe { self.blocks_l2_avx2(w, g, m, v, c, sums) };
        }
        self.blocks_l2(w, g, m, v, c, sums)
    }

    /// [`blocks_l2`](Self::blocks_l2) with AVX2 enabled.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn blocks_l2_avx2(
        self,
        w: &mut [T],
        g: &[T],
        m: &mut [T],
        v: &mut [T],
        c: T,
        sums: &[AtomicU64],
    ) {
        self.blocks_l2(w, g, m, v, c, sums)
    }

    /// The blocks of one chunk of [`update_l2`](Self::update_l2): each
    /// block's `Σw²` into its slot of `sums`, then its update.
    #[inline(always)]
    fn blocks_l2(self, w: &mut [T], g: &[T], m: &mut [T], v: &mut [T], c: T, sums: &[AtomicU64]) {
        let blocks = w
            .chunks_mut(l2::BLOCK)
            .zip(g.chunks(l2::BLOCK))
            .zip(m.chunks_mut(l2::BLOCK).zip(v.chunks_mut(l2::BLOCK)));
        for (((w, g), (m, v)), sum) in blocks.zip(sums) {
            sum.store(l2::block_sum(w).to_bits(), Ordering::Relaxed);
            for ((w, &g), (m, v)) in w.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut())) {
                let g = g + c * *w;
                self.element(w, g, m, v);
            }
        }
    }
}

impl<T: Scalar> Optimizer<T> for SkAdam<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        self.step_with(lr, params, None).map(|_| ())
    }

    fn name(&self) -> &'static str {
        NAME
    }

    fn reset(&mut self) {
        self.t = 0;
        self.m.clear();
        self.v.clear();
    }

    fn steps(&self) -> u64 {
        self.t
    }

    fn state(&self) -> OptimizerState<T> {
        let mut buffers = Vec::new();
        for (k, (m, v)) in self.m.iter().zip(&self.v).enumerate() {
            buffers.push((format!("{k}.exp_avg"), m.clone()));
            buffers.push((format!("{k}.exp_avg_sq"), v.clone()));
        }
        OptimizerState {
            optimizer: NAME.to_string(),
            step: self.t,
            buffers,
        }
    }

    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        if state.optimizer != NAME || !state.buffers.len().is_multiple_of(2) {
            return Err(OptimError::InvalidState {
                reason: format!(
                    "expected {NAME}'s exp_avg and exp_avg_sq per parameter, found {} \
                     with {} buffers",
                    state.optimizer,
                    state.buffers.len()
                ),
            });
        }
        let (mut m, mut v) = (Vec::new(), Vec::new());
        for pair in state.buffers.chunks(2) {
            m.push(pair[0].1.clone());
            v.push(pair[1].1.clone());
        }
        self.t = state.step;
        self.m = m;
        self.v = v;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::SkAdam;
    use backprop_optim::Optimizer;
    use backprop_tensor::{DMatrix, Param};

    /// Two steps on one weight, against scikit-learn's formulas written out.
    #[test]
    fn two_steps_follow_scikit_learns_formulas() {
        let mut params = vec![Param::new("w", DMatrix::from_element(1, 1, 0.5_f64))];
        let mut opt = SkAdam::new(0.9, 0.999, 1e-8).unwrap();
        let (mut w, mut m, mut v) = (0.5_f64, 0.0_f64, 0.0_f64);
        for (t, g) in [(1.0_f64, 0.3_f64), (2.0, -1e-7)] {
            params[0].grad[(0, 0)] = g;
            opt.step(0.01, &mut params).unwrap();
            m = 0.9 * m + (1.0 - 0.9) * g;
            v = 0.999 * v + (1.0 - 0.999) * (g * g);
            let lr = 0.01 * (1.0 - 0.999_f64.powf(t)).sqrt() / (1.0 - 0.9_f64.powf(t));
            w += -lr * m / (v.sqrt() + 1e-8);
            assert_eq!(params[0].value[(0, 0)], w);
        }
        assert_eq!(opt.steps(), 2);
        let mut wrong = vec![Param::new("w", DMatrix::from_element(2, 1, 0.5_f64))];
        assert!(opt.step(0.01, &mut wrong).is_err());
        assert!(SkAdam::<f32>::new(1.0, 0.999, 1e-8).is_err());
    }
}
