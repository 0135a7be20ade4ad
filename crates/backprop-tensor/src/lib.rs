// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Scalar`]: Scalar
//! [`DMatrix`]: DMatrix
//! [`ops`]: ops
//! [`conv`]: conv
//! [`Init`]: Init
//! [`rng`]: rng
//! [`Param`]: Param
//! [`Parameters`]: Parameters
//! [`gradcheck`]: gradcheck
#![doc = include_str!("../README.md")]
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
pub mod prefetch;
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
