//! The estimators' solver: an optimizer plus scikit-learn's L2 penalty on
//! the weights, taken by scikit-learn's Adam in its own pass
//! ([`SkAdam::step_l2`]) and by any other optimizer as a separate pass over
//! the gradients first ([`l2::add_l2_gradient`]).

use std::sync::atomic::AtomicU64;

use crate::l2;
use crate::sk_adam::SkAdam;
use backprop_optim::{OptimError, Optimizer};
use backprop_tensor::{Parameters, Scalar};

/// An optimizer that training steps with the L2 penalty.
pub enum Solver<T: Scalar> {
    /// scikit-learn's Adam (the estimators' `solver="adam"`): the penalty
    /// folded into its update.
    SkAdam(SkAdam<T>),
    /// Any other optimizer (`sgd`, the library's `adam`, ...): the penalty's
    /// gradient added in a pass of its own before the step.
    Other(Box<dyn Optimizer<T> + Send>),
}

impl<T: Scalar> Solver<T> {
    /// One step at learning rate `lr` with the penalty's gradient `c·w` on
    /// every weight ([`l2::penalised`]; none if `c` is `None`); returns `Σw²`
    /// over the weights before the step (0 without a penalty). The same bits
    /// either way (`solver::tests`); `blocks` holds the penalty's block sums
    /// from step to step.
    pub fn step(
        &mut self,
        lr: f64,
        params: &mut dyn Parameters<T>,
        c: Option<T>,
        blocks: &mut Vec<AtomicU64>,
    ) -> Result<f64, OptimError> {
        match (self, c) {
            (Solver::SkAdam(opt), Some(c)) => opt.step_l2(lr, params, c, blocks),
            (solver, c) => {
                let penalty = c.map_or(0.0, |c| add_l2_gradients(params, c, blocks));
                solver.optimizer().step(lr, params)?;
                Ok(penalty)
            }
        }
    }

    /// The optimizer, as the library's trait.
    pub fn optimizer(&mut self) -> &mut (dyn Optimizer<T> + Send) {
        match self {
            Solver::SkAdam(opt) => opt,
            Solver::Other(opt) => opt.as_mut(),
        }
    }
}

/// The separate pass: [`l2::add_l2_gradient`] on every weight, in visit
/// order; returns `Σw²` over them.
pub fn add_l2_gradients<T: Scalar>(
    params: &mut dyn Parameters<T>,
    c: T,
    blocks: &mut Vec<AtomicU64>,
) -> f64 {
    let mut penalty = 0.0;
    params.visit_params_mut(&mut |p| {
        if l2::penalised(p.name()) {
            penalty += l2::add_l2_gradient(p.grad.as_mut_slice(), p.value.as_slice(), c, blocks);
        }
    });
    penalty
}

#[cfg(test)]
mod tests {
    use super::Solver;
    use crate::sk_adam::SkAdam;
    use backprop_optim::Optimizer;
    use backprop_tensor::{DMatrix, Param, Scalar, threads};

    /// MNIST's first layer (cut into whole blocks on the pool, the last one
    /// partial), its bias (not penalised) and a small weight.
    fn params<T: Scalar>() -> Vec<Param<T>> {
        [
            ("0.weight", 128, 784),
            ("0.bias", 128, 1),
            ("1.weight", 10, 37),
        ]
        .into_iter()
        .map(|(name, rows, cols)| {
            let value = DMatrix::from_fn(rows, cols, |i, j| {
                T::of(((i * 31 + j * 17) % 101) as f64 / 50.0 - 1.0)
            });
            Param::new(name, value)
        })
        .collect()
    }

    /// Gradients of step `step`, of both signs and several magnitudes.
    fn set_grads<T: Scalar>(params: &mut [Param<T>], step: usize) {
        for p in params {
            p.grad = DMatrix::from_fn(p.value.nrows(), p.value.ncols(), |i, j| {
                let k = (i * 7 + j * 13 + step * 5) % 97;
                T::of((k as f64 - 48.0) * 10f64.powi(-((k % 5) as i32)))
            });
        }
    }

    /// Everything a run leaves: the penalties, weights and moments, as bits.
    fn run<T: Scalar>(fused: bool, threads: usize) -> Vec<u64> {
        let before = threads::num_threads();
        threads::set_num_threads(threads);
        let adam = SkAdam::<T>::new(0.9, 0.999, 1e-8).unwrap();
        let mut solver = if fused {
            Solver::SkAdam(adam)
        } else {
            Solver::Other(Box::new(adam))
        };
        let mut params = params::<T>();
        let mut blocks = Vec::new();
        let mut bits = Vec::new();
        for step in 0..4 {
            set_grads(&mut params, step);
            let c = T::of(1e-4 / (64 + step) as f64);
            let penalty = solver
                .step(1e-3, &mut params, Some(c), &mut blocks)
                .unwrap();
            bits.push(penalty.to_bits());
        }
        threads::set_num_threads(before);
        for p in &params {
            bits.extend(p.value.iter().map(|v| v.as_f64().to_bits()));
        }
        for (_, b) in solver.optimizer().state().buffers {
            bits.extend(b.iter().map(|v| v.as_f64().to_bits()));
        }
        bits
    }

    /// scikit-learn's Adam with the penalty folded in leaves the bits of the
    /// separate penalty pass followed by its step (the estimators' path
    /// before): penalties, weights and moments, f32 and f64, on one thread
    /// and on several.
    #[test]
    fn fused_penalty_has_the_bits_of_the_separate_pass() {
        let separate32 = run::<f32>(false, 1);
        let separate64 = run::<f64>(false, 1);
        assert!(separate32.iter().any(|&b| b != 0) && separate32.len() > 3 * 100_352);
        for threads in [1, 2, usize::MAX] {
            assert!(
                run::<f32>(true, threads) == separate32,
                "f32, {threads} threads"
            );
            assert!(
                run::<f64>(true, threads) == separate64,
                "f64, {threads} threads"
            );
            assert!(
                run::<f32>(false, threads) == separate32,
                "f32 separate, {threads}"
            );
        }
    }

    /// Without a penalty both solvers are the plain step, and the penalty
    /// reported is 0.
    #[test]
    fn no_penalty_is_the_plain_step() {
        let mut a = params::<f64>();
        let mut b = params::<f64>();
        set_grads(&mut a, 1);
        set_grads(&mut b, 1);
        let mut plain = SkAdam::new(0.9, 0.999, 1e-8).unwrap();
        plain.step(1e-3, &mut a).unwrap();
        let mut solver = Solver::SkAdam(SkAdam::new(0.9, 0.999, 1e-8).unwrap());
        assert_eq!(
            solver.step(1e-3, &mut b, None, &mut Vec::new()).unwrap(),
            0.0
        );
        assert!(a.iter().zip(&b).all(|(a, b)| a.value == b.value));
    }
}
