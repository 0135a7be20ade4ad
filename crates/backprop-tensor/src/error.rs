//! Errors raised by tensor operations.

use thiserror::Error;

/// A shape error: which operation, which operand, what was expected and what
/// was found. Shapes are `(rows, columns)`.
///
/// ```
/// use backprop_tensor::TensorError;
/// let e = TensorError::ShapeMismatch { op: "A·B", operand: "B", expected: (3, 4), found: (5, 4) };
/// assert_eq!(e.to_string(), "shape mismatch in A·B: operand B expected 3×4, found 5×4");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TensorError {
    /// An operand's shape disagrees with what the operation needs.
    #[error(
        "shape mismatch in {op}: operand {operand} expected {}×{}, found {}×{}",
        expected.0, expected.1, found.0, found.1
    )]
    ShapeMismatch {
        /// The operation, e.g. `"A·Bᵀ"`.
        op: &'static str,
        /// Which operand was wrong.
        operand: &'static str,
        /// The shape the operation needed.
        expected: (usize, usize),
        /// The shape it was given.
        found: (usize, usize),
    },
    /// A size that must be positive was zero, or an argument was out of range.
    #[error("invalid argument to {op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Shorthand for results of tensor operations.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;
