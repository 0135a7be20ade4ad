//! Adam with L2 weight decay: `torch.optim.Adam`. Also the update shared with
//! [`AdamW`](crate::AdamW).

use crate::error::{check_lr, check_non_negative, check_unit};
use crate::kernel::{Decay, DecayKind, Lerp, LerpKind, element_lr, with_decay_and_lerp};
use crate::state::Slots;
use crate::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::ops::simd;
use backprop_tensor::threads;
use backprop_tensor::{Parameters, Scalar};

pub(crate) const ADAM_BUFFERS: &[&str] = &["exp_avg", "exp_avg_sq"];

/// The hyper-parameters of Adam and AdamW.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AdamConfig {
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) eps: f64,
    pub(crate) weight_decay: f64,
    /// AdamW's decoupled decay (`w ← w·(1 − lr·λ)`) instead of Adam's L2 term.
    pub(crate) decoupled: bool,
}

impl AdamConfig {
    fn context(&self) -> &'static str {
        if self.decoupled { "AdamW" } else { "Adam" }
    }

    fn validate(&self, lr: f64) -> Result<(), OptimError> {
        let cx = self.context();
        check_lr(cx, lr)?;
        check_non_negative(cx, "eps", self.eps)?;
        check_unit(cx, "beta1", self.beta1)?;
        check_unit(cx, "beta2", self.beta2)?;
        check_non_negative(cx, "weight_decay", self.weight_decay)
    }

    /// One step of Adam or AdamW, following `torch.optim.adam._single_tensor_adam`
    /// operation by operation.
    pub(crate) fn step<T: Scalar>(
        &self,
        state: &mut Slots<T>,
        lr: f64,
        params: &mut dyn Parameters<T>,
    ) -> Result<(), OptimError> {
        let lr = element_lr::<T>(lr);
        self.validate(lr)?;
        state.begin_step(params, ADAM_BUFFERS)?;
        // Scalar coefficients in f64, as PyTorch computes them in Python floats.
        let t = state.step() as f64;
        let bias_correction1 = 1.0 - self.beta1.powf(t);
        let bias_correction2 = 1.0 - self.beta2.powf(t);
        let neg_step_size = T::of(-(lr / bias_correction1));
        let inv_bc2_sqrt = T::of(1.0 / bias_correction2.sqrt());
        let decay = if self.decoupled {
            DecayKind::<T>::decoupled(lr, self.weight_decay)
        } else {
            DecayKind::<T>::l2(self.weight_decay)
        };
        let towards = LerpKind::<T>::new(1.0 - self.beta1);
        let (beta2, one_minus_beta2) = (T::of(self.beta2), T::of(1.0 - self.beta2));
        let eps = T::of(self.eps);
        state.for_each(params, |p, bufs| {
            let [m, v] = bufs else {
                // Unreachable: `begin_step` checked the buffer count.
                return;
            };
            let w = p.value.as_mut_slice();
            let g = p.grad.as_slice();
            with_decay_and_lerp!(decay, towards, |d, l| {
                let k = AdamKernel {
                    decay: d,
                    towards: l,
                    beta2,
                    one_minus_beta2,
                    inv_bc2_sqrt,
                    eps,
                    neg_step_size,
                };
                // Large weights (the MLP's first layer) are updated on
                // several threads; the update is element-wise, so the result
                // does not depend on how it is cut.
                threads::for_each_chunk_mut(
                    [w, m.as_mut_slice(), v.as_mut_slice()],
                    threads::CACHE_LINE_ELEMENTS,
                    threads::PARALLEL_MIN_ELEMENTS,
                    &|start, [w, m, v]| {
                        // Always in range: `begin_step` checked that the
                        // gradient has the value's shape.
                        if let Some(g) = g.get(start..start + w.len()) {
                            simd(|| k.run(w, g, m, v))
                        }
                    },
                )
            })
        });
        Ok(())
    }
}

/// The element-wise Adam/AdamW update, with coefficients fixed for one step.
#[derive(Clone, Copy)]
struct AdamKernel<T, D, L> {
    decay: D,
    towards: L,
    beta2: T,
    one_minus_beta2: T,
    inv_bc2_sqrt: T,
    eps: T,
    neg_step_size: T,
}

impl<T: Scalar, D: Decay<T>, L: Lerp<T>> AdamKernel<T, D, L> {
    #[inline(always)]
    fn run(self, w: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
        for ((w, &g), (m, v)) in w.iter_mut().zip(g).zip(m.iter_mut().zip(v)) {
            // Decoupled decay scales w here, before the update; L2 adds λ·w to g.
            let g = self.decay.apply(w, g);
            *m = self.towards.lerp(*m, g);
            *v = *v * self.beta2 + self.one_minus_beta2 * g * g;
            // √v·(1/√bc₂) rather than √v/√bc₂: one division per element fewer,
            // within one rounding of PyTorch's form.
            let denom = v.sqrt() * self.inv_bc2_sqrt + self.eps;
            *w += self.neg_step_size * *m / denom;
        }
    }
}

/// Adam, exactly as `torch.optim.Adam` (with `amsgrad=False`,
/// `maximize=False`).
///
/// With learning rate `lr`, `β₁`, `β₂`, `ε` and weight decay `λ`, at step `t`
/// (from 1), for each parameter `w` with gradient `g` (moments start at zero):
///
/// ```text
/// g ← g + λ·w                          if λ ≠ 0   (L2 penalty, into the gradient)
/// m ← β₁·m + (1 − β₁)·g                (exp_avg)
/// v ← β₂·v + (1 − β₂)·g²               (exp_avg_sq)
/// denom     = √v / √(1 − β₂ᵗ) + ε      (ε outside the square root)
/// step_size = lr / (1 − β₁ᵗ)
/// w ← w − step_size · m / denom
/// ```
///
/// Defaults (PyTorch's): `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`. For
/// decoupled weight decay use [`AdamW`](crate::AdamW). The builder methods
/// consume and return the optimizer and clear its state. Buffers per
/// parameter: `exp_avg`, `exp_avg_sq`; the step count `t` is shared by all
/// parameters (they are always stepped together).
///
/// ```
/// use backprop_optim::{Adam, Optimizer};
/// use backprop_tensor::{DMatrix, Param};
/// let mut w = Param::new("w", DMatrix::from_element(1, 1, 1.0_f32));
/// let mut opt = Adam::new().with_betas(0.8, 0.99).with_weight_decay(1e-4);
/// for _ in 0..100 {
///     w.grad.fill(2.0 * w.value[0]); // loss w²
///     opt.step(0.05, &mut w)?;
/// }
/// assert!(w.value[0].abs() < 0.1);
/// assert_eq!(opt.steps(), 100);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Adam<T: Scalar> {
    config: AdamConfig,
    state: Slots<T>,
}

impl<T: Scalar> Default for Adam<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Adam<T> {
    /// Adam with PyTorch's defaults: `β = (0.9, 0.999)`, `ε = 1e-8`, no weight decay.
    pub fn new() -> Self {
        let config = AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
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

    /// Sets the L2 weight decay `λ` (added to the gradient as `λ·w`, so it is
    /// rescaled by the adaptive denominator; see [`AdamW`](crate::AdamW) for
    /// the decoupled form).
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.config.weight_decay = weight_decay;
        self.state.reset();
        self
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        self.config.step(&mut self.state, lr, params)
    }

    fn name(&self) -> &'static str {
        "adam"
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps(&self) -> u64 {
        self.state.step()
    }

    fn state(&self) -> OptimizerState<T> {
        self.state.export("adam", ADAM_BUFFERS)
    }

    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        self.state.import(state, "adam", ADAM_BUFFERS)
    }
}
