//! Learning-rate schedules, kept out of the optimizers: a [`Schedule`] maps an
//! epoch index to a learning rate, which the training loop passes to
//! [`Optimizer::step`](crate::Optimizer::step).
//!
//! **Unit.** Schedules are indexed by epoch, counted from 0: `lr(e)` is the
//! learning rate for every step of epoch `e`, as PyTorch's schedulers are
//! when `scheduler.step()` is called once per epoch (`lr(0)` is the rate
//! before the first `scheduler.step()`). Every length (`step_size`, `warmup`,
//! `total`) is in epochs. Nothing depends on that unit, though: a loop that
//! passes a global iteration index gets a per-iteration schedule, with every
//! length in iterations.
//!
//! ```
//! use backprop_optim::{CosineWithWarmup, Optimizer, Schedule, Sgd};
//! use backprop_tensor::{DMatrix, Param};
//! let schedule = CosineWithWarmup::new(0.1, 2, 10, 0.0)?;
//! let mut opt = Sgd::new();
//! let mut w = Param::new("w", DMatrix::from_element(1, 1, 1.0_f32));
//! for epoch in 0..10 {
//!     let lr = schedule.lr(epoch);
//!     for _batch in 0..3 {
//!         w.grad.fill(2.0 * w.value[0]);
//!         opt.step(lr, &mut w)?;
//!     }
//! }
//! assert!(w.value[0].abs() < 0.05); // loss w², from w = 1
//! # Ok::<(), backprop_optim::OptimError>(())
//! ```

use crate::OptimError;
use crate::error::check_non_negative;
use std::f64::consts::PI;
use std::num::NonZeroUsize;

/// A learning-rate schedule: the learning rate for each epoch (counted from
/// 0; see the [module docs](self) for the unit).
pub trait Schedule {
    /// The learning rate for epoch `epoch`.
    fn lr(&self, epoch: usize) -> f64;
}

impl<S: Schedule + ?Sized> Schedule for &S {
    fn lr(&self, epoch: usize) -> f64 {
        (**self).lr(epoch)
    }
}

impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn lr(&self, epoch: usize) -> f64 {
        (**self).lr(epoch)
    }
}

/// The same learning rate for every epoch.
///
/// ```
/// use backprop_optim::{Constant, Schedule};
/// assert_eq!(Constant::new(0.01).lr(1000), 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    /// A constant learning rate (validated by the optimizer it is given to).
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Schedule for Constant {
    fn lr(&self, _epoch: usize) -> f64 {
        self.lr
    }
}

/// `torch.optim.lr_scheduler.StepLR`: the rate is multiplied by `gamma` every
/// `step_size` epochs, `lr(e) = lr · gamma^⌊e / step_size⌋`.
///
/// ```
/// use backprop_optim::{Schedule, StepDecay};
/// let s = StepDecay::new(0.1, 30, 0.1)?;
/// assert_eq!((s.lr(0), s.lr(29)), (0.1, 0.1));
/// assert!((s.lr(30) - 0.01).abs() < 1e-17);
/// assert!(StepDecay::new(0.1, 0, 0.1).is_err());
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDecay {
    lr: f64,
    step_size: NonZeroUsize,
    gamma: f64,
}

impl StepDecay {
    /// Starts at `lr` and multiplies by `gamma` every `step_size` epochs.
    ///
    /// Fails if `lr` or `gamma` is negative or not finite, or `step_size` is 0.
    pub fn new(lr: f64, step_size: usize, gamma: f64) -> Result<Self, OptimError> {
        check_non_negative("StepDecay", "lr", lr)?;
        check_non_negative("StepDecay", "gamma", gamma)?;
        let step_size = NonZeroUsize::new(step_size).ok_or(OptimError::InvalidHyperparameter {
            context: "StepDecay",
            name: "step_size",
            value: 0.0,
            reason: "must be at least 1",
        })?;
        Ok(Self {
            lr,
            step_size,
            gamma,
        })
    }
}

impl Schedule for StepDecay {
    fn lr(&self, epoch: usize) -> f64 {
        self.lr * self.gamma.powf((epoch / self.step_size) as f64)
    }
}

/// `torch.optim.lr_scheduler.ExponentialLR`: `lr(e) = lr · gammaᵉ`.
///
/// ```
/// use backprop_optim::{Exponential, Schedule};
/// let s = Exponential::new(0.1, 0.5)?;
/// assert_eq!((s.lr(0), s.lr(3)), (0.1, 0.0125));
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential {
    lr: f64,
    gamma: f64,
}

impl Exponential {
    /// Starts at `lr` and multiplies by `gamma` every epoch.
    ///
    /// Fails if `lr` or `gamma` is negative or not finite.
    pub fn new(lr: f64, gamma: f64) -> Result<Self, OptimError> {
        check_non_negative("Exponential", "lr", lr)?;
        check_non_negative("Exponential", "gamma", gamma)?;
        Ok(Self { lr, gamma })
    }
}

impl Schedule for Exponential {
    fn lr(&self, epoch: usize) -> f64 {
        self.lr * self.gamma.powf(epoch as f64)
    }
}

/// A linear warm-up followed by a cosine decay from `peak` to `min_lr`.
///
/// With `W = warmup` and `N = total` (epochs):
///
/// ```text
/// lr(e) = peak · (e + 1) / (W + 1)                                  e < W
/// lr(e) = min_lr + (peak − min_lr) · (1 + cos(π·(e − W)/(N − W))) / 2   W ≤ e < N
/// lr(e) = min_lr                                                    e ≥ N
/// ```
///
/// The warm-up is the straight line from 0 (at epoch −1) to `peak` (at epoch
/// `W`), so no epoch runs at rate 0 and the ramp ends exactly where the
/// cosine begins; epochs `W..N` follow `torch.optim.lr_scheduler.CosineAnnealingLR`
/// with `T_max = N − W` and `eta_min = min_lr` (with `W = 0` this is that
/// scheduler exactly, for `e ≤ N`). A run of `N` epochs (`0..N`) ends just
/// above `min_lr`; the rate stays at `min_lr` afterwards instead of rising again.
///
/// ```
/// use backprop_optim::{CosineWithWarmup, Schedule};
/// let s = CosineWithWarmup::new(0.1, 4, 14, 0.0)?;
/// assert!((s.lr(0) - 0.02).abs() < 1e-15);  // 0.1·1/5
/// assert!((s.lr(3) - 0.08).abs() < 1e-15);  // 0.1·4/5
/// assert_eq!(s.lr(4), 0.1);                   // cosine starts at the peak
/// assert!((s.lr(9) - 0.05).abs() < 1e-15);  // half-way down
/// assert_eq!(s.lr(14), 0.0);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineWithWarmup {
    peak: f64,
    warmup: usize,
    total: usize,
    min_lr: f64,
}

impl CosineWithWarmup {
    /// Warm-up over `warmup` epochs to `peak`, then cosine decay reaching
    /// `min_lr` at epoch `total`.
    ///
    /// Fails unless `0 ≤ min_lr ≤ peak` (both finite) and `warmup < total`.
    pub fn new(peak: f64, warmup: usize, total: usize, min_lr: f64) -> Result<Self, OptimError> {
        const CX: &str = "CosineWithWarmup";
        check_non_negative(CX, "peak", peak)?;
        check_non_negative(CX, "min_lr", min_lr)?;
        if min_lr > peak {
            return Err(OptimError::InvalidHyperparameter {
                context: CX,
                name: "min_lr",
                value: min_lr,
                reason: "must not exceed the peak learning rate",
            });
        }
        if warmup >= total {
            return Err(OptimError::InvalidHyperparameter {
                context: CX,
                name: "total",
                value: total as f64,
                reason: "must exceed the number of warm-up epochs",
            });
        }
        Ok(Self {
            peak,
            warmup,
            total,
            min_lr,
        })
    }
}

impl Schedule for CosineWithWarmup {
    fn lr(&self, epoch: usize) -> f64 {
        if epoch < self.warmup {
            self.peak * (epoch + 1) as f64 / (self.warmup + 1) as f64
        } else if epoch < self.total {
            let t = (epoch - self.warmup) as f64;
            let t_max = (self.total - self.warmup) as f64;
            self.min_lr + (self.peak - self.min_lr) * (1.0 + (PI * t / t_max).cos()) / 2.0
        } else {
            self.min_lr
        }
    }
}

/// Any of the schedules of this crate, as one value (for a configuration or a
/// command line); `Box<dyn Schedule>` works as well.
///
/// ```
/// use backprop_optim::{Exponential, Schedule, ScheduleKind};
/// let schedules: Vec<ScheduleKind> = vec![0.1.into(), Exponential::new(0.1, 0.9)?.into()];
/// assert_eq!(schedules[0].lr(5), 0.1);
/// assert!(schedules[1].lr(5) < 0.1);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ScheduleKind {
    /// [`Constant`].
    Constant(Constant),
    /// [`StepDecay`].
    StepDecay(StepDecay),
    /// [`Exponential`].
    Exponential(Exponential),
    /// [`CosineWithWarmup`].
    CosineWithWarmup(CosineWithWarmup),
}

impl Schedule for ScheduleKind {
    fn lr(&self, epoch: usize) -> f64 {
        match self {
            ScheduleKind::Constant(s) => s.lr(epoch),
            ScheduleKind::StepDecay(s) => s.lr(epoch),
            ScheduleKind::Exponential(s) => s.lr(epoch),
            ScheduleKind::CosineWithWarmup(s) => s.lr(epoch),
        }
    }
}

impl From<f64> for ScheduleKind {
    /// A constant learning rate.
    fn from(lr: f64) -> Self {
        ScheduleKind::Constant(Constant::new(lr))
    }
}

impl From<Constant> for ScheduleKind {
    fn from(s: Constant) -> Self {
        ScheduleKind::Constant(s)
    }
}

impl From<StepDecay> for ScheduleKind {
    fn from(s: StepDecay) -> Self {
        ScheduleKind::StepDecay(s)
    }
}

impl From<Exponential> for ScheduleKind {
    fn from(s: Exponential) -> Self {
        ScheduleKind::Exponential(s)
    }
}

impl From<CosineWithWarmup> for ScheduleKind {
    fn from(s: CosineWithWarmup) -> Self {
        ScheduleKind::CosineWithWarmup(s)
    }
}
