//! # backprop-optim
//!
//! Optimizers, gradient clipping and learning-rate schedules. The crate
//! depends only on `backprop-tensor`: it updates whatever implements
//! [`Parameters`](backprop_tensor::Parameters) and never knows what a layer is.
//! `backprop-io` (optimizer state in checkpoints) and `backprop-train` sit
//! above it.
//!
//! - [`Optimizer`]: `step(lr, params)`. The learning rate is an argument of
//!   each step (as in burn), an `f64` like [`Schedule::lr`]'s, so schedules
//!   stay out of optimizers.
//!   Implementations, each matching its `torch.optim` counterpart operation by
//!   operation (checked against PyTorch-generated fixtures to 1e-12):
//!   [`Sgd`] (momentum, dampening, Nesterov, L2 weight decay), [`RmsProp`]
//!   (optionally centered, with momentum), [`Adam`] (L2 weight decay) and
//!   [`AdamW`] (decoupled weight decay).
//! - Per-parameter state is allocated on the first step and reused; a later
//!   step with other parameters is an [`OptimError`], never a panic. The state
//!   can be exported and re-loaded for checkpoints ([`OptimizerState`]).
//! - [`by_name`] / [`OptimizerKind`]: `"sgd"`, `"momentum"`, `"nesterov"`,
//!   `"rmsprop"`, `"adam"`, `"adamw"` with default hyper-parameters.
//! - [`clip_grad_norm`], [`clip_grad_value`], [`grad_norm`].
//! - [`Schedule`]: per-epoch learning rates — [`Constant`], [`StepDecay`],
//!   [`Exponential`], [`CosineWithWarmup`], or any of them as [`ScheduleKind`].
//!
//! Hyper-parameters are `f64` whatever the element type; the scalar
//! coefficients of each step (bias corrections, `1 − β`, …) are computed in
//! `f64`, as PyTorch computes them in Python floats, and rounded once.
//!
//! ```
//! use backprop_optim::{clip_grad_norm, by_name, Schedule, StepDecay};
//! use backprop_tensor::{DMatrix, Param, Parameters};
//! // Minimise ‖w − 3‖² with Adam, a step schedule and clipping.
//! let mut params = vec![Param::new("w", DMatrix::from_element(2, 1, 0.0_f64))];
//! let mut opt = by_name::<f64>("adam")?;
//! let schedule = StepDecay::new(0.1, 100, 0.5)?;
//! for epoch in 0..300 {
//!     params.zero_grad();
//!     params[0].grad = params[0].value.map(|w| 2.0 * (w - 3.0));
//!     clip_grad_norm(&mut params, 10.0)?;
//!     opt.step(schedule.lr(epoch), &mut params)?;
//! }
//! assert!((params[0].value[0] - 3.0).abs() < 1e-2);
//! # Ok::<(), backprop_optim::OptimError>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod adam;
mod adamw;
mod clip;
mod error;
mod kernel;
mod kind;
mod optimizer;
mod rmsprop;
pub mod schedule;
mod sgd;
mod state;

pub use adam::Adam;
pub use adamw::AdamW;
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm};
pub use error::OptimError;
pub use kind::{OptimizerKind, by_name};
pub use optimizer::{Optimizer, OptimizerState};
pub use rmsprop::RmsProp;
pub use schedule::{Constant, CosineWithWarmup, Exponential, Schedule, ScheduleKind, StepDecay};
pub use sgd::Sgd;
