//! Stochastic gradient descent, with optional momentum, dampening, Nesterov
//! momentum and L2 weight decay: `torch.optim.SGD`.

use crate::error::{check_lr, check_non_negative, check_range};
use crate::kernel::{Decay, DecayKind, element_lr, with_decay};
use crate::state::Slots;
use crate::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::{Parameters, Scalar};

const NO_BUFFERS: &[&str] = &[];
const MOMENTUM_BUFFERS: &[&str] = &["momentum_buffer"];

/// Stochastic gradient descent, exactly as `torch.optim.SGD` (with
/// `maximize=False`).
///
/// With learning rate `lr`, momentum `μ`, dampening `τ`, weight decay `λ`,
/// at step `t` (from 1), for each parameter `w` with gradient `g`:
///
/// ```text
/// g ← g + λ·w                          if λ ≠ 0   (L2 penalty, into the gradient)
/// if μ ≠ 0:
///     b ← g                            if t = 1   (the buffer starts as the gradient)
///     b ← μ·b + (1 − τ)·g              otherwise
///     g ← g + μ·b                      if nesterov
///     g ← b                            otherwise
/// w ← w − lr·g
/// ```
///
/// Defaults (PyTorch's): `μ = 0`, `τ = 0`, no Nesterov, `λ = 0`. The builder
/// methods consume and return the optimizer and clear its state; Nesterov
/// momentum needs `μ > 0` and `τ = 0`, which [`step`](Optimizer::step)
/// checks (a violated constraint is an [`OptimError::InvalidHyperparameter`]).
///
/// Its [`name`](Optimizer::name) is `"sgd"` without momentum, `"nesterov"`
/// with Nesterov momentum and `"momentum"` otherwise. It keeps one buffer per
/// parameter, `momentum_buffer`, when `μ ≠ 0`, and none otherwise.
///
/// ```
/// use backprop_optim::{Optimizer, Sgd};
/// use backprop_tensor::{DMatrix, Param};
/// let mut w = Param::new("w", DMatrix::from_element(1, 1, 1.0_f64));
/// let mut opt = Sgd::momentum(0.9).nesterov().with_weight_decay(1e-4);
/// assert_eq!(opt.name(), "nesterov");
/// w.grad.fill(2.0);
/// opt.step(0.1, &mut w)?;
/// // g = 2 + 1e-4·1; b = g; w = 1 − 0.1·(g + 0.9·g)
/// assert!((w.value[0] - (1.0 - 0.1 * 1.9 * 2.0001)).abs() < 1e-15);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sgd<T: Scalar> {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    state: Slots<T>,
}

impl<T: Scalar> Default for Sgd<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Sgd<T> {
    /// Plain SGD: `w ← w − lr·g`.
    pub fn new() -> Self {
        Self {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            state: Slots::default(),
        }
    }

    /// SGD with momentum `momentum` (typically 0.9).
    ///
    /// ```
    /// use backprop_optim::{Optimizer, Sgd};
    /// assert_eq!(Optimizer::<f32>::name(&Sgd::momentum(0.9)), "momentum");
    /// ```
    pub fn momentum(momentum: f64) -> Self {
        Self::new().with_momentum(momentum)
    }

    /// Sets the momentum factor `μ` (must be finite and non-negative).
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self.state.reset();
        self
    }

    /// Uses Nesterov momentum (needs `μ > 0` and no dampening).
    pub fn nesterov(self) -> Self {
        self.with_nesterov(true)
    }

    /// Turns Nesterov momentum on or off.
    pub fn with_nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self.state.reset();
        self
    }

    /// Sets the dampening `τ` of the momentum buffer's update.
    pub fn with_dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self.state.reset();
        self
    }

    /// Sets the L2 weight decay `λ` (added to the gradient as `λ·w`).
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self.state.reset();
        self
    }

    fn kinds(&self) -> &'static [&'static str] {
        if self.momentum != 0.0 {
            MOMENTUM_BUFFERS
        } else {
            NO_BUFFERS
        }
    }

    fn validate(&self, lr: f64) -> Result<(), OptimError> {
        const CX: &str = "SGD";
        check_lr(CX, lr)?;
        check_non_negative(CX, "momentum", self.momentum)?;
        check_range(
            CX,
            "dampening",
            self.dampening,
            f64::NEG_INFINITY,
            false,
            "must be finite",
        )?;
        check_non_negative(CX, "weight_decay", self.weight_decay)?;
        if self.nesterov {
            check_range(
                CX,
                "momentum",
                self.momentum,
                0.0,
                true,
                "Nesterov momentum needs momentum > 0",
            )?;
            if self.dampening != 0.0 {
                return Err(OptimError::InvalidHyperparameter {
                    context: CX,
                    name: "dampening",
                    value: self.dampening,
                    reason: "Nesterov momentum needs zero dampening",
                });
            }
        }
        Ok(())
    }
}

/// The element-wise SGD update, with coefficients fixed for one step.
#[derive(Clone, Copy)]
struct SgdKernel<T, D> {
    decay: D,
    mu: T,
    keep: T,
    neg_lr: T,
}

impl<T: Scalar, D: Decay<T>> SgdKernel<T, D> {
    /// Without momentum.
    #[inline(always)]
    fn plain(self, w: &mut [T], g: &[T]) {
        for (w, &g) in w.iter_mut().zip(g) {
            let g = self.decay.apply(w, g);
            *w += self.neg_lr * g;
        }
    }

    /// With momentum buffer `b`; `FIRST` on the step that creates it.
    #[inline(always)]
    fn momentum<const NESTEROV: bool, const FIRST: bool>(self, w: &mut [T], g: &[T], b: &mut [T]) {
        for ((w, &g), b) in w.iter_mut().zip(g).zip(b) {
            let g = self.decay.apply(w, g);
            *b = if FIRST {
                g
            } else {
                *b * self.mu + self.keep * g
            };
            let d = if NESTEROV { g + self.mu * *b } else { *b };
            *w += self.neg_lr * d;
        }
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        let lr = element_lr::<T>(lr);
        self.validate(lr)?;
        let first = self.state.begin_step(params, self.kinds())?;
        let decay = DecayKind::<T>::l2(self.weight_decay);
        let (mu, keep, neg_lr) = (
            T::of(self.momentum),
            T::of(1.0 - self.dampening),
            T::of(-lr),
        );
        let nesterov = self.nesterov;
        self.state.for_each(params, |p, bufs| {
            let w = p.value.as_mut_slice();
            let g = p.grad.as_slice();
            with_decay!(decay, |d| {
                let k = SgdKernel {
                    decay: d,
                    mu,
                    keep,
                    neg_lr,
                };
                match bufs {
                    [buf] => {
                        let b = buf.as_mut_slice();
                        match (nesterov, first) {
                            (true, true) => k.momentum::<true, true>(w, g, b),
                            (true, false) => k.momentum::<true, false>(w, g, b),
                            (false, true) => k.momentum::<false, true>(w, g, b),
                            (false, false) => k.momentum::<false, false>(w, g, b),
                        }
                    }
                    _ => k.plain(w, g),
                }
            })
        });
        Ok(())
    }

    fn name(&self) -> &'static str {
        match (self.momentum != 0.0, self.nesterov) {
            (false, _) => "sgd",
            (true, true) => "nesterov",
            (true, false) => "momentum",
        }
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps(&self) -> u64 {
        self.state.step()
    }

    fn state(&self) -> OptimizerState<T> {
        self.state.export(Optimizer::<T>::name(self), self.kinds())
    }

    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        let name = Optimizer::<T>::name(self);
        self.state.import(state, name, self.kinds())
    }
}
