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

use backprop_optim::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::{DMatrix, Parameters, Scalar, ops, threads};

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
    /// parameters are those the moments were made for.
    fn check(&mut self, params: &dyn Parameters<T>) -> Result<(), OptimError> {
        let mut shapes = Vec::new();
        params.visit_params(&mut |p| {
            shapes.push((p.name().to_string(), p.value.shape(), p.grad.shape()));
        });
        if let Some((name, value, grad)) = shapes.iter().find(|(_, v, g)| v != g) {
            return Err(OptimError::GradShapeMismatch {
                name: name.clone(),
                value: *value,
                grad: *grad,
            });
        }
        if self.m.is_empty() && self.t == 0 {
            self.m = shapes
                .iter()
                .map(|(_, s, _)| DMatrix::zeros(s.0, s.1))
                .collect();
            self.v = self.m.clone();
            return Ok(());
        }
        if shapes.len() != self.m.len() {
            let first = shapes.len().min(self.m.len());
            return Err(OptimError::ParamCountMismatch {
                name: shapes.get(first).map(|s| s.0.clone()).unwrap_or_default(),
                expected: self.m.len(),
                found: shapes.len(),
            });
        }
        for (index, ((name, shape, _), m)) in shapes.iter().zip(&self.m).enumerate() {
            if *shape != m.shape() {
                return Err(OptimError::ShapeMismatch {
                    name: name.clone(),
                    index,
                    expected: m.shape(),
                    found: *shape,
                });
            }
        }
        Ok(())
    }
}

impl<T: Scalar> Optimizer<T> for SkAdam<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        check_positive("lr", lr)?;
        self.check(params)?;
        self.t += 1;
        let t = self.t as f64;
        // As scikit-learn: a Python float times NumPy's float64 sqrt.
        let step = lr * (1.0 - self.beta_2.powf(t)).sqrt() / (1.0 - self.beta_1.powf(t));
        let (b1, c1) = (T::of(self.beta_1), T::of(1.0 - self.beta_1));
        let (b2, c2) = (T::of(self.beta_2), T::of(1.0 - self.beta_2));
        let eps = T::of(self.epsilon);
        let neg_step = T::of(-step);
        let mut i = 0;
        let (ms, vs) = (&mut self.m, &mut self.v);
        params.visit_params_mut(&mut |p| {
            let (m, v) = (ms[i].as_mut_slice(), vs[i].as_mut_slice());
            let (w, g) = (p.value.as_mut_slice(), p.grad.as_slice());
            // Large weights (the first layer) are updated on the pool's
            // threads, as backprop-optim's Adam does; the update is
            // element-wise, so the bits do not depend on the cut.
            threads::for_each_chunk_mut(
                [w, m, v],
                threads::CACHE_LINE_ELEMENTS,
                threads::PARALLEL_MIN_ELEMENTS,
                &|start, [w, m, v]| {
                    let Some(g) = g.get(start..start + w.len()) else {
                        // Unreachable: `check` matched every gradient's
                        // shape to its value's.
                        return;
                    };
                    ops::simd(|| {
                        for ((w, &g), (m, v)) in
                            w.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()))
                        {
                            *m = b1 * *m + c1 * g;
                            *v = b2 * *v + c2 * (g * g);
                            // In T: for float64 NumPy's operations exactly;
                            // for float32 NumPy would promote the update to
                            // float64 (the step size is a float64 scalar),
                            // which costs twice the lanes here and only
                            // moves the rounding.
                            *w += (neg_step * *m) / (v.sqrt() + eps);
                        }
                    })
                },
            );
            i += 1;
        });
        Ok(())
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
