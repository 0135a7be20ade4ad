//! # backprop-activations
//!
//! Activation functions `A = g(Z)` with explicit forward and backward passes.
//! Depends only on `backprop-tensor`; `backprop-layers` sits above it.
//!
//! | type | `g(z)` | `g′(z)` (backward reads) |
//! |---|---|---|
//! | [`Identity`] | `z` | `1` |
//! | [`Relu`] | `max(z, 0)` | `1` if `z > 0` else `0` (`Z`) |
//! | [`LeakyRelu`] | `z` if `z > 0` else `α·z` | `1` or `α` (`Z`) |
//! | [`Sigmoid`] | `1 / (1 + e^{−z})` | `a·(1 − a)` (`A`) |
//! | [`Tanh`] | `tanh z` | `1 − a²` (`A`) |
//! | [`Elu`] | `z` if `z > 0` else `α·(e^z − 1)` | `1` or `a + α` (`Z`, `A`) |
//! | [`Gelu`] | `½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))` | see [`Gelu`] (`Z`) |
//! | [`Softplus`] | `ln(1 + e^z)` | `σ(z)` (`Z`) |
//! | [`Softmax`] | `e^{z_i} / Σ_j e^{z_j}` per column | `a ⊙ (dA − Σ a ⊙ dA)` (`A`) |
//!
//! [`ActivationKind`] names one of them (with its `α`) as a plain `Copy`
//! value; it implements [`Activation`] by dispatch, and is what layers and
//! model files use to describe an activation.
//!
//! Batches are column-major `features × batch` matrices, one column per
//! sample. Outputs are caller-owned and resized with
//! [`backprop_tensor::ops::resize`], so a training loop that reuses them does
//! not allocate. Backward passes check that `A` and `dA` have `Z`'s shape and
//! return a [`TensorError`] instead of panicking.
//!
//! ```
//! use backprop_activations::{Activation, ActivationKind};
//! use backprop_tensor::DMatrix;
//!
//! let act: ActivationKind = "leaky_relu(0.1)".parse()?;
//! let z = DMatrix::from_column_slice(2, 2, &[-2.0_f32, 3.0, 0.5, -1.0]);
//! let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
//! act.forward(&z, &mut a);
//! assert_eq!(a.as_slice(), &[-0.2, 3.0, 0.5, -0.1]);
//! let da = DMatrix::from_element(2, 2, 1.0);
//! act.backward(&z, &a, &da, &mut dz)?;
//! assert_eq!(dz.as_slice(), &[0.1, 1.0, 1.0, 0.1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use backprop_tensor::{DMatrix, Scalar, TensorError};
use std::fmt::Debug;

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
