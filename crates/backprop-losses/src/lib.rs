//! # backprop-losses
//!
//! Loss functions: a batch-mean value and its gradient with respect to the
//! prediction. Depends only on `backprop-tensor`.
#![warn(missing_docs)]

use backprop_tensor::{DMatrix, Scalar, TensorError};
use std::fmt::Debug;
use thiserror::Error;

/// What a prediction is compared with.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a, T: Scalar> {
    /// A matrix of the prediction's shape (one-hot rows for classification,
    /// values for regression).
    Dense(&'a DMatrix<T>),
    /// One class index per sample (column); equivalent to a one-hot matrix.
    Classes(&'a [usize]),
}

/// Errors of loss computations.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LossError {
    /// Prediction and target shapes disagree.
    #[error(transparent)]
    Shape(#[from] TensorError),
    /// The class index of a sample is not a row of the prediction.
    #[error("class index {class} of sample {sample} is out of range: the prediction has {classes} classes")]
    ClassOutOfRange {
        /// The sample (column).
        sample: usize,
        /// The class index found.
        class: usize,
        /// The number of classes (rows of the prediction).
        classes: usize,
    },
    /// The number of class indices differs from the batch size.
    #[error("expected {expected} class indices (one per sample), found {found}")]
    TargetCount {
        /// Batch size of the prediction.
        expected: usize,
        /// Number of class indices given.
        found: usize,
    },
    /// The batch has no samples.
    #[error("the batch is empty: a loss needs at least one sample")]
    EmptyBatch,
}

/// A loss `L(Ŷ, Y)`, averaged over the batch (columns).
pub trait Loss<T: Scalar>: Debug + Send + Sync {
    /// Short lower-case name (`"softmax_cross_entropy"`).
    fn name(&self) -> &'static str;

    /// The batch-mean loss.
    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError>;

    /// `∂L/∂Ŷ` of the batch-mean loss (so it includes the `1/m`), written into
    /// `grad`, which is resized to the prediction's shape.
    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError>;

    /// Both at once; implementations may fuse the two passes.
    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        self.gradient(prediction, target, grad)?;
        self.loss(prediction, target)
    }
}
