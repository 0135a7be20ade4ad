// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Identity`]: Identity
//! [`Relu`]: Relu
//! [`LeakyRelu`]: LeakyRelu
//! [`Sigmoid`]: Sigmoid
//! [`Tanh`]: Tanh
//! [`Elu`]: Elu
//! [`Gelu`]: Gelu
//! [`Softplus`]: Softplus
//! [`Softmax`]: Softmax
//! [`ActivationKind`]: ActivationKind
//! [`Activation`]: Activation
//! [`DMatrix`]: DMatrix
//! [`Scalar`]: Scalar
//! [`TensorError`]: TensorError
//! [`backprop_tensor::ops::resize`]: backprop_tensor::ops::resize
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// The tensor types this crate's API names, so that depending on this crate
// alone is enough to call it.
pub use backprop_tensor::{DMatrix, Scalar, TensorError};
use std::fmt::Debug;

mod elementwise;
mod elu;
mod gelu;
mod identity;
mod kernel;
mod kind;
mod leaky_relu;
mod relu;
mod sigmoid;
mod softmax;
mod softplus;
mod tanh;
#[cfg(test)]
mod testutil;

pub use elementwise::Elementwise;
pub use elu::Elu;
pub use gelu::Gelu;
pub use identity::Identity;
pub use kind::{ActivationKind, ParseActivationError};
pub use leaky_relu::LeakyRelu;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use softplus::Softplus;
pub use tanh::Tanh;

/// An activation function applied to a batch `Z` (features × batch).
///
/// Forward computes `A = g(Z)`; backward computes `dZ = dA ⊙ g′(Z)` (or, for
/// Softmax, the exact Jacobian-vector product of each column) from the cached
/// input `Z`, the cached output `A` and the upstream gradient `dA`. Each
/// implementation uses whichever of `Z` and `A` is cheaper (ReLU reads `Z`,
/// Sigmoid and Tanh read `A`).
pub trait Activation<T: Scalar>: Debug + Send + Sync {
    /// Short lower-case name, as in summaries and model files (`"relu"`).
    fn name(&self) -> &'static str;

    /// `A = g(Z)`. `a` is resized to `z`'s shape (keeping its allocation).
    fn forward(&self, z: &DMatrix<T>, a: &mut DMatrix<T>);

    /// `dZ = ∂L/∂Z` from `Z`, `A = g(Z)` and `dA = ∂L/∂A`. `dz` is resized to
    /// `z`'s shape. Errors if `a` or `da` do not have `z`'s shape.
    fn backward(
        &self,
        z: &DMatrix<T>,
        a: &DMatrix<T>,
        da: &DMatrix<T>,
        dz: &mut DMatrix<T>,
    ) -> Result<(), TensorError>;
}
