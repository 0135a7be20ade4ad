// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`DMatrix`]: DMatrix
//! [`Scalar`]: Scalar
//! [`TensorError`]: TensorError
//! [`Target`]: Target
//! [`LossError`]: LossError
//! [`backprop_tensor::ops::resize`]: backprop_tensor::ops::resize
//! [`Mse`]: Mse
//! [`BinaryCrossEntropy`]: BinaryCrossEntropy
//! [`BinaryCrossEntropyWithLogits`]: BinaryCrossEntropyWithLogits
//! [`SoftmaxCrossEntropy`]: SoftmaxCrossEntropy
//! [`LossKind`]: LossKind
//! [`Loss`]: Loss
//! [`accuracy`]: accuracy()
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod accuracy;
mod batch;
mod bce;
mod bce_logits;
mod kind;
mod mse;
mod pointwise;
mod softmax_ce;

pub use accuracy::accuracy;
pub use bce::BinaryCrossEntropy;
pub use bce_logits::BinaryCrossEntropyWithLogits;
pub use kind::LossKind;
pub use mse::Mse;
pub use softmax_ce::SoftmaxCrossEntropy;

// The tensor types this crate's API names, so that depending on this crate
// alone is enough to call it.
pub use backprop_tensor::{DMatrix, Scalar, TensorError};
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
#[non_exhaustive]
pub enum LossError {
    /// Prediction and target shapes disagree.
    #[error(transparent)]
    Shape(#[from] TensorError),
    /// The class index of a sample is not a row of the prediction.
    #[error(
        "class index {class} of sample {sample} is out of range: the prediction has {classes} classes"
    )]
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
    #[error("the batch is empty: a loss needs at least one sample (column), found 0")]
    EmptyBatch,
    /// The prediction has samples but no rows (outputs).
    #[error(
        "the prediction has no outputs: expected at least one row, found 0 rows for {samples} samples"
    )]
    NoOutputs {
        /// The number of samples (columns) of the prediction.
        samples: usize,
    },
    /// [`LossKind::from_name`] was given a name it does not know.
    #[error("unknown loss \"{name}\": expected one of {}", LossKind::NAMES.join(", "))]
    UnknownLoss {
        /// The name given.
        name: String,
    },
}

/// A loss `L(Ŷ, Y)`, averaged over the batch (columns).
pub trait Loss<T: Scalar>: Debug + Send + Sync {
    /// Short lower-case name (`"softmax_cross_entropy"`).
    fn name(&self) -> &'static str;

    /// Whether the loss expects raw scores (logits) rather than
    /// probabilities or values: `true` means the network's last layer has no
    /// softmax or sigmoid, so turning its output into probabilities needs a
    /// softmax (or a sigmoid for a single output), and a single output is
    /// thresholded at 0 rather than 0.5 to predict a class.
    ///
    /// The default is `false`; [`SoftmaxCrossEntropy`] and
    /// [`BinaryCrossEntropyWithLogits`] (and the matching [`LossKind`]s)
    /// return `true`.
    ///
    /// ```
    /// use backprop_losses::{Loss, LossKind, Mse, SoftmaxCrossEntropy};
    /// assert!(Loss::<f32>::takes_logits(&SoftmaxCrossEntropy));
    /// assert!(!Loss::<f32>::takes_logits(&Mse));
    /// let boxed: Box<dyn Loss<f64>> = Box::new(LossKind::BinaryCrossEntropyWithLogits);
    /// assert!(boxed.takes_logits());
    /// ```
    fn takes_logits(&self) -> bool {
        false
    }

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
