//! RMSprop, optionally centered and with momentum: `torch.optim.RMSprop`.

use crate::error::{check_lr, check_non_negative};
use crate::kernel::{Decay, DecayKind, Lerp, LerpKind, element_lr, with_decay_and_lerp};
use crate::state::Slots;
use crate::{OptimError, Optimizer, OptimizerState};
use backprop_tensor::ops::simd;
use backprop_tensor::{Parameters, Scalar};

const PLAIN: &[&str] = &["square_avg"];
const WITH_MOMENTUM: &[&str] = &["square_avg", "momentum_buffer"];
const CENTERED: &[&str] = &["square_avg", "grad_avg"];
const CENTERED_WITH_MOMENTUM: &[&str] = &["square_avg", "momentum_buffer", "grad_avg"];

/// RMSprop, exactly as `torch.optim.RMSprop` (with `maximize=False`).
///
/// With learning rate `lr`, smoothing constant `α`, `ε`, weight decay `λ` and
/// momentum `μ`, for each parameter `w` with gradient `g` (all buffers start
/// at zero):
///
/// ```text
/// g ← g + λ·w                          if λ ≠ 0   (L2 penalty, into the gradient)
/// v ← α·v + (1 − α)·g²                 (square_avg)
/// if centered:
///     ḡ ← α·ḡ + (1 − α)·g              (grad_avg)
///     d ← √(v − ḡ²) + ε
/// else:
///     d ← √v + ε                       (ε outside the square root)
/// if μ > 0:
///     b ← μ·b + g / d                  (momentum_buffer)
///     w ← w − lr·b
/// else:
///     w ← w − lr·g / d
/// ```
///
/// Defaults (PyTorch's): `α = 0.99`, `ε = 1e-8`, `λ = 0`, `μ = 0`, not
/// centered. The builder methods consume and return the optimizer and clear
/// its state. Buffers per parameter, in order: `square_avg`, then
/// `momentum_buffer` if `μ > 0`, then `grad_avg` if centered.
///
/// ```
/// use backprop_optim::{Optimizer, RmsProp};
/// use backprop_tensor::{DMatrix, Param};
/// let mut w = Param::new("w", DMatrix::from_element(1, 1, 1.0_f64));
/// let mut opt = RmsProp::new();
/// w.grad.fill(3.0);
/// opt.step(0.01, &mut w)?;
/// // v = 0.01·9, so the first step is lr·g/(√v + ε) = lr·3/(0.3 + 1e-8) ≈ lr·10.
/// assert!((w.value[0] - 0.9).abs() < 1e-8);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RmsProp<T: Scalar> {
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    state: Slots<T>,
}

impl<T: Scalar> Default for RmsProp<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with PyTorch's defaults: `α = 0.99`, `ε = 1e-8`, no weight
    /// decay, no momentum, not centered.
    pub fn new() -> Self {
        Self {
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            state: Slots::default(),
        }
    }

    /// Sets the smoothing constant `α` of the squared-gradient average.
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self.state.reset();
        self
    }

    /// Sets `ε`, added to the denominator outside the square root.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self.state.reset();
        self
    }

    /// Sets the L2 weight decay `λ` (added to the gradient as `λ·w`).
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self.state.reset();
        self
    }

    /// Sets the momentum `μ` (0 for none).
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self.state.reset();
        self
    }

    /// Uses the centered variant, which normalises by an estimate of the
    /// gradient's variance rather than its second moment.
    pub fn centered(self) -> Self {
        self.with_centered(true)
    }

    /// Turns the centered variant on or off.
    pub fn with_centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self.state.reset();
        self
    }

    fn kinds(&self) -> &'static [&'static str] {
        match (self.momentum > 0.0, self.centered) {
            (false, false) => PLAIN,
            (true, false) => WITH_MOMENTUM,
            (false, true) => CENTERED,
            (true, true) => CENTERED_WITH_MOMENTUM,
        }
    }

    fn validate(&self, lr: f64) -> Result<(), OptimError> {
        const CX: &str = "RMSprop";
        check_lr(CX, lr)?;
        check_non_negative(CX, "alpha", self.alpha)?;
        check_non_negative(CX, "eps", self.eps)?;
        check_non_negative(CX, "weight_decay", self.weight_decay)?;
        check_non_negative(CX, "momentum", self.momentum)
    }
}

/// The element-wise RMSprop updates, with coefficients fixed for one step.
#[derive(Clone, Copy)]
struct RmsKernel<T, D, L> {
    decay: D,
    towards: L,
    alpha: T,
    one_minus_alpha: T,
    eps: T,
    mu: T,
    neg_lr: T,
}

impl<T: Scalar, D: Decay<T>, L: Lerp<T>> RmsKernel<T, D, L> {
    /// `v ← α·v + (1 − α)·g²`, for a gradient after decay.
    #[inline(always)]
    fn square_avg(self, v: &mut T, g: T) {
        *v = *v * self.alpha + self.one_minus_alpha * g * g;
    }

    #[inline(always)]
    fn plain(self, w: &mut [T], g: &[T], sq: &mut [T]) {
        for ((w, &g), v) in w.iter_mut().zip(g).zip(sq) {
            let g = self.decay.apply(w, g);
            self.square_avg(v, g);
            let d = v.sqrt() + self.eps;
            *w += self.neg_lr * g / d;
        }
    }

    #[inline(always)]
    fn momentum(self, w: &mut [T], g: &[T], sq: &mut [T], buf: &mut [T]) {
        for (((w, &g), v), b) in w.iter_mut().zip(g).zip(sq).zip(buf) {
            let g = self.decay.apply(w, g);
            self.square_avg(v, g);
            let d = v.sqrt() + self.eps;
            *b = *b * self.mu + g / d;
            *w += self.neg_lr * *b;
        }
    }

    #[inline(always)]
    fn centered(self, w: &mut [T], g: &[T], sq: &mut [T], avg: &mut [T]) {
        for (((w, &g), v), a) in w.iter_mut().zip(g).zip(sq).zip(avg) {
            let g = self.decay.apply(w, g);
            self.square_avg(v, g);
            *a = self.towards.lerp(*a, g);
            let d = (*v - *a * *a).sqrt() + self.eps;
            *w += self.neg_lr * g / d;
        }
    }

    #[inline(always)]
    fn centered_momentum(self, w: &mut [T], g: &[T], sq: &mut [T], buf: &mut [T], avg: &mut [T]) {
        for ((w, &g), ((v, b), a)) in w.iter_mut().zip(g).zip(sq.iter_mut().zip(buf).zip(avg)) {
            let g = self.decay.apply(w, g);
            self.square_avg(v, g);
            *a = self.towards.lerp(*a, g);
            let d = (*v - *a * *a).sqrt() + self.eps;
            *b = *b * self.mu + g / d;
            *w += self.neg_lr * *b;
        }
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError> {
        let lr = element_lr::<T>(lr);
        self.validate(lr)?;
        self.state.begin_step(params, self.kinds())?;
        let decay = DecayKind::<T>::l2(self.weight_decay);
        let towards = LerpKind::<T>::new(1.0 - self.alpha);
        let (alpha, one_minus_alpha) = (T::of(self.alpha), T::of(1.0 - self.alpha));
        let (eps, mu, neg_lr) = (T::of(self.eps), T::of(self.momentum), T::of(-lr));
        let has_momentum = self.momentum > 0.0;
        self.state.for_each(params, |p, bufs| {
            let w = p.value.as_mut_slice();
            let g = p.grad.as_slice();
            with_decay_and_lerp!(decay, towards, |d, l| {
                let k = RmsKernel {
                    decay: d,
                    towards: l,
                    alpha,
                    one_minus_alpha,
                    eps,
                    mu,
                    neg_lr,
                };
                // One vectorised pass (AVX2 where present; `sqrt` and `/`
                // are exact IEEE operations at any width: the same bits).
                simd(|| match bufs {
                    [sq] => k.plain(w, g, sq.as_mut_slice()),
                    [sq, buf] if has_momentum => {
                        k.momentum(w, g, sq.as_mut_slice(), buf.as_mut_slice())
                    }
                    [sq, avg] => k.centered(w, g, sq.as_mut_slice(), avg.as_mut_slice()),
                    [sq, buf, avg] => k.centered_momentum(
                        w,
                        g,
                        sq.as_mut_slice(),
                        buf.as_mut_slice(),
                        avg.as_mut_slice(),
                    ),
                    // Unreachable: `begin_step` checked the buffer count against `kinds()`.
                    _ => {}
                })
            })
        });
        Ok(())
    }

    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps(&self) -> u64 {
        self.state.step()
    }

    fn state(&self) -> OptimizerState<T> {
        self.state.export("rmsprop", self.kinds())
    }

    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        self.state.import(state, "rmsprop", self.kinds())
    }
}
