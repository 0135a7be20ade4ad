//! # backprop-activations
//!
//! Activation functions `A = g(Z)` with explicit forward and backward passes.
//! Depends only on `backprop-tensor`; `backprop-layers` sits above it.
#![warn(missing_docs)]

use backprop_tensor::{DMatrix, Scalar, TensorError};
use std::fmt::Debug;

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
