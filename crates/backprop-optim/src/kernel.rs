//! The element-wise building blocks of the updates, as small `Copy` types
//! chosen once per step, so that each update loop is monomorphised without
//! per-element branches (and so vectorises).

use backprop_tensor::Scalar;

/// The learning rate as a step uses it: rounded once to the element type
/// (the value a `T` holds, as when callers passed `T::of(lr)`), then widened
/// back to `f64`, in which the step's scalar coefficients are computed. For
/// `f64` this is `lr` itself.
pub(crate) fn element_lr<T: Scalar>(lr: f64) -> f64 {
    T::of(lr).as_f64()
}

/// How weight decay enters an update, applied to one entry: returns the
/// gradient to use, possibly after changing the weight.
pub(crate) trait Decay<T>: Copy {
    /// The gradient `g` of the weight `w`, after decay.
    fn apply(self, w: &mut T, g: T) -> T;
}

/// No weight decay.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoDecay;

impl<T: Scalar> Decay<T> for NoDecay {
    #[inline(always)]
    fn apply(self, _w: &mut T, g: T) -> T {
        g
    }
}

/// L2 decay into the gradient: `g ← g + λ·w` (`torch.add(g, w, alpha=λ)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct L2<T>(pub(crate) T);

impl<T: Scalar> Decay<T> for L2<T> {
    #[inline(always)]
    fn apply(self, w: &mut T, g: T) -> T {
        g + self.0 * *w
    }
}

/// Decoupled decay on the weight: `w ← w·f` with `f = 1 − lr·λ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoupled<T>(pub(crate) T);

impl<T: Scalar> Decay<T> for Decoupled<T> {
    #[inline(always)]
    fn apply(self, w: &mut T, g: T) -> T {
        *w *= self.0;
        g
    }
}

/// Which [`Decay`] a step uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DecayKind<T> {
    /// [`NoDecay`].
    None,
    /// [`L2`].
    L2(T),
    /// [`Decoupled`].
    Decoupled(T),
}

impl<T: Scalar> DecayKind<T> {
    /// L2 decay `λ`, or none when `λ = 0` (PyTorch skips the term then).
    pub(crate) fn l2(weight_decay: f64) -> Self {
        if weight_decay != 0.0 {
            DecayKind::L2(T::of(weight_decay))
        } else {
            DecayKind::None
        }
    }

    /// Decoupled decay, `w ← w·(1 − lr·λ)`, or none when `λ = 0`.
    pub(crate) fn decoupled(lr: f64, weight_decay: f64) -> Self {
        if weight_decay != 0.0 {
            DecayKind::Decoupled(T::of(1.0 - lr * weight_decay))
        } else {
            DecayKind::None
        }
    }
}

/// `torch.lerp(start, end, weight)` for a fixed weight.
pub(crate) trait Lerp<T>: Copy {
    /// `start` moved a fraction `weight` of the way towards `end`.
    fn lerp(self, start: T, end: T) -> T;
}

/// PyTorch's form for `|weight| < 0.5`: `start + weight·(end − start)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SmallWeight<T>(T);

impl<T: Scalar> Lerp<T> for SmallWeight<T> {
    #[inline(always)]
    fn lerp(self, start: T, end: T) -> T {
        start + self.0 * (end - start)
    }
}

/// PyTorch's form otherwise: `end − (end − start)·(1 − weight)`; holds `1 − weight`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LargeWeight<T>(T);

impl<T: Scalar> Lerp<T> for LargeWeight<T> {
    #[inline(always)]
    fn lerp(self, start: T, end: T) -> T {
        end - (end - start) * self.0
    }
}

/// Which [`Lerp`] form a weight takes, as PyTorch decides it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LerpKind<T> {
    /// [`SmallWeight`].
    Small(SmallWeight<T>),
    /// [`LargeWeight`].
    Large(LargeWeight<T>),
}

impl<T: Scalar> LerpKind<T> {
    /// The lerp with weight `weight` (given in `f64`, rounded once to `T`).
    pub(crate) fn new(weight: f64) -> Self {
        let w = T::of(weight);
        if w.abs() < T::of(0.5) {
            LerpKind::Small(SmallWeight(w))
        } else {
            LerpKind::Large(LargeWeight(T::one() - w))
        }
    }
}

/// Evaluates `$body` with `$d` bound to the concrete [`Decay`] of `$decay`
/// (a [`DecayKind`]), so `$body` is compiled once per kind.
macro_rules! with_decay {
    ($decay:expr, |$d:ident| $body:expr) => {
        match $decay {
            $crate::kernel::DecayKind::None => {
                let $d = $crate::kernel::NoDecay;
                $body
            }
            $crate::kernel::DecayKind::L2(wd) => {
                let $d = $crate::kernel::L2(wd);
                $body
            }
            $crate::kernel::DecayKind::Decoupled(f) => {
                let $d = $crate::kernel::Decoupled(f);
                $body
            }
        }
    };
}

/// Like [`with_decay!`], also binding `$l` to the concrete [`Lerp`] of `$lerp`
/// (a [`LerpKind`]).
macro_rules! with_decay_and_lerp {
    ($decay:expr, $lerp:expr, |$d:ident, $l:ident| $body:expr) => {
        match $lerp {
            $crate::kernel::LerpKind::Small(small) => {
                let $l = small;
                $crate::kernel::with_decay!($decay, |$d| $body)
            }
            $crate::kernel::LerpKind::Large(large) => {
                let $l = large;
                $crate::kernel::with_decay!($decay, |$d| $body)
            }
        }
    };
}

pub(crate) use {with_decay, with_decay_and_lerp};
