//! AdamW, Adam with decoupled weight decay: `torch.optim.AdamW`.

use crate::adam::{ADAM_BUFFERS, AdamConfig};
use crate::state::Slots;
use crate::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::{Parameters, Scalar};

/// AdamW, exactly as `torch.optim.AdamW` (with `amsgrad=False`,
/// `maximize=False`): Adam whose weight decay shrinks the weights directly
/// instead of entering the gradient.
///
/// With learning rate `lr`, `β₁`, `β₂`, `ε` and weight decay `λ`, at step `t`
/// (from 1), for each parameter `w` with gradient `g` (moments start at zero):
///
/// ```text
/// w ← w·(1 − lr·λ)                     (decoupled decay, before the Adam update)
/// m ← β₁·m + (1 − β₁)·g                (exp_avg)
/// v ← β₂·v + (1 − β₂)·g²               (exp_avg_sq)
/// denom     = √v / √(1 − β₂ᵗ) + ε      (ε outside the square root)
/// step_size = lr / (1 − β₁ᵗ)
/// w ← w − step_size · m / denom
/// ```
///
/// Defaults (PyTorch's): `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0.01`. The
/// builder methods consume and return the optimizer and clear its state.
/// Buffers per parameter: `exp_avg`, `exp_avg_sq`.
///
/// ```
/// use backprop_optim::{AdamW, Optimizer};
/// use backprop_tensor::{DMatrix, Param};
/// // With a zero gradient only the decay acts: w·(1 − lr·λ).
/// let mut w = Param::new("w", DMatrix::from_element(1, 1, 2.0_f64));
/// let mut opt = AdamW::new().with_weight_decay(0.1);
/// opt.step(0.5, &mut w)?;
/// assert_eq!(w.value[0], 2.0 * (1.0 - 0.5 * 0.1));
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdamW<T: Scalar> {
    config: AdamConfig,
    state: Slots<T>,
}

impl<T: Scalar> Default for AdamW<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> AdamW<T> {
    /// AdamW with PyTorch's defaults: `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0.01`.
    pub fn new() -> Self {
        let config = AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
            decoupled: true,
        };
        Self {
            config,
            state: Slots::default(),
        }
    }

    /// Sets the moment decay rates `β₁` and `β₂` (each in `[0, 1)`).
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.config.beta1 = beta1;
        self.config.beta2 = beta2;
        self.state.reset();
        self
    }

    /// Sets `ε`, added to the denominator outside the square root.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.config.eps = eps;
        self.state.reset();
        self
    }

    /// Sets the decoupled weight decay `λ`: each step first scales the weights
    /// by `1 − lr·λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.config.weight_decay = weight_decay;
        self.state.reset();
        self
    }
}

impl<T: Scalar> Optimizer<T> for AdamW<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        self.config.step(&mut self.state, lr, params)
    }

    fn name(&self) -> &'static str {
        "adamw"
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps(&self) -> u64 {
        self.state.step()
    }

    fn state(&self) -> OptimizerState<T> {
        self.state.export("adamw", ADAM_BUFFERS)
    }

    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        self.state.import(state, "adamw", ADAM_BUFFERS)
    }
}
