//! # backprop-tensor
//!
//! The floor of the backprop workspace: everything above it (activations,
//! losses, layers, optimizers) speaks in its types and nothing here knows
//! about any of them.
//!
//! - [`Scalar`]: `f32` (the fast default) and `f64` (gradient checks).
//! - Batches are nalgebra [`DMatrix`] values with **one column per sample**
//!   (features × batch), as in the tutorial; weights are `out×in`.
//! - [`ops`]: `A·B`, `A·Bᵀ`, `Aᵀ·B` through the crate's own packed, blocked
//!   GEMM (AVX2+FMA at run time, no allocation after warm-up) with
//!   strides (no transpose is ever copied, shapes are checked first), bias
//!   broadcast, column sums, capacity-keeping resize.
//! - [`Init`]: seeded initialisers (zeros, the tutorial's `randn·0.01`, He,
//!   Xavier, LeCun); [`rng`] derives every random stream from one seed.
//! - [`Param`] and [`Parameters`]: the value/gradient pair, and the trait
//!   through which any model hands its parameters to an optimizer.
//! - [`gradcheck`]: a public finite-difference checker.
//!
//! Above this crate: `backprop-activations`, `backprop-losses`,
//! `backprop-optim` (each depends only on this one), then `backprop-layers`.
//!
//! ```
//! use backprop_tensor::{ops, DMatrix, Init, rng};
//! // Z = W·A + b for a 3→2 layer and a batch of 4 samples.
//! let w = Init::HeNormal.matrix::<f32, _>(2, 3, &mut rng::seeded(0));
//! let b = DMatrix::from_element(2, 1, 0.1);
//! let a = DMatrix::from_element(3, 4, 1.0);
//! let mut z = DMatrix::zeros(0, 0);
//! ops::matmul_into(&w, &a, &mut z)?;
//! ops::add_bias(&mut z, &b)?;
//! assert_eq!(z.shape(), (2, 4));
//! # Ok::<(), backprop_tensor::TensorError>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod conv;
mod error;
mod gemm;
pub mod gradcheck;
mod init;
pub mod ops;
mod param;
pub mod rng;
mod scalar;
pub mod threads;
mod workspace;

pub use error::{Result, TensorError};
pub use init::Init;
pub use nalgebra::{self, DMatrix};
pub use ops::Op;
pub use param::{Param, Parameters};
pub use scalar::Scalar;
