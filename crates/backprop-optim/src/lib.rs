// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Parameters`]: Parameters
//! [`Param`]: Param
//! [`DMatrix`]: DMatrix
//! [`Scalar`]: Scalar
//! [`Optimizer`]: Optimizer
//! [`Schedule::lr`]: Schedule::lr
//! [`Sgd`]: Sgd
//! [`RmsProp`]: RmsProp
//! [`Adam`]: Adam
//! [`AdamW`]: AdamW
//! [`OptimError`]: OptimError
//! [`OptimizerState`]: OptimizerState
//! [`by_name`]: by_name
//! [`OptimizerKind`]: OptimizerKind
//! [`clip_grad_norm`]: clip_grad_norm
//! [`clip_grad_value`]: clip_grad_value
//! [`grad_norm`]: grad_norm
//! [`Schedule`]: Schedule
//! [`Constant`]: Constant
//! [`StepDecay`]: StepDecay
//! [`Exponential`]: Exponential
//! [`CosineWithWarmup`]: CosineWithWarmup
//! [`ScheduleKind`]: ScheduleKind
#![doc = include_str!("../README.md")]
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

// The tensor types this crate's API names, so that depending on this crate
// alone is enough to call it.
pub use backprop_tensor::{DMatrix, Param, Parameters, Scalar};
