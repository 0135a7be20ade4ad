//! # backprop-losses
//!
//! Loss functions: a batch-mean value and its gradient with respect to the
//! prediction. Depends only on `backprop-tensor`; `backprop-train` sits
//! above it (layers never see a loss: the trainer hands the loss's gradient
//! to the network's backward pass).
//!
//! ## Conventions
//!
//! - A batch is a [`DMatrix`] with **one column per sample**: rows are outputs
//!   (classes), columns are samples, and the batch size is `m = ncols`.
//! - Every loss is a **batch mean**, `L = (1/m) Σⱼ ℓⱼ`, and every gradient is
//!   `∂L/∂Ŷ` of that mean, so it already contains the `1/m`.
//! - A [`Target`] is either a dense matrix of the prediction's shape or one
//!   class index per column; `Target::Classes(c)` is exactly the one-hot matrix
//!   with a 1 in row `c[j]` of column `j`.
//! - Nothing panics on user input: shapes, class indices and the batch size
//!   are checked first and reported as a [`LossError`]; on error the gradient
//!   buffer is left untouched.
//! - No allocation per call: gradients are written into a caller-owned buffer
//!   that is resized with [`backprop_tensor::ops::resize`], which keeps its
//!   allocation.
//!
//! | loss | input | `ℓⱼ` (sample `j`) | matches PyTorch |
//! |---|---|---|---|
//! | [`Mse`] | any | `(1/rows) Σᵢ (ŷᵢ − yᵢ)²` | `MSELoss()` exactly |
//! | [`BinaryCrossEntropy`] | probabilities | `−Σᵢ [yᵢ ln aᵢ + (1−yᵢ) ln(1−aᵢ)]` | `BCELoss()` × `rows` |
//! | [`BinaryCrossEntropyWithLogits`] | logits | `Σᵢ [max(zᵢ,0) − zᵢyᵢ + ln(1+exp(−abs(zᵢ)))]` | `BCEWithLogitsLoss()` × `rows` |
//! | [`SoftmaxCrossEntropy`] | logits | `Σᵢ yᵢ (logsumexp(z) − zᵢ)` | `CrossEntropyLoss()` exactly |
//!
//! The two binary cross-entropies follow the tutorial's cost (sum over the
//! output rows, mean over the samples); PyTorch averages over every element,
//! so for a single output row (the usual binary classifier) they agree.
//!
//! [`LossKind`] names each loss (for model files and command lines) and is
//! itself a [`Loss`]; [`accuracy`] scores a classification batch.
//!
//! ```
//! use backprop_losses::{Loss, SoftmaxCrossEntropy, Target};
//! use backprop_tensor::DMatrix;
//! // Two samples, three classes: logits as columns.
//! let z = DMatrix::from_column_slice(3, 2, &[1.0_f64, 2.0, 3.0, 0.0, 0.0, 0.0]);
//! let mut grad = DMatrix::zeros(0, 0);
//! let loss = SoftmaxCrossEntropy.loss_and_gradient(&z, Target::Classes(&[2, 0]), &mut grad)?;
//! let expected = (0.40760596444438013 + 3.0_f64.ln()) / 2.0;
//! assert!((loss - expected).abs() < 1e-12);
//! assert_eq!(grad.shape(), (3, 2));
//! # Ok::<(), backprop_losses::LossError>(())
//! ```
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
