//! [`Targets`]: class labels or regression values; the class-count limit
//! [`MAX_CLASSES`] and [`one_hot`] encoding.

use crate::{DataError, Result};
use backprop_tensor::{DMatrix, Scalar, ops};
use std::fmt;

/// What a dataset predicts.
#[derive(Clone, PartialEq)]
pub enum Targets {
    /// One class label per sample, each below `n_classes`.
    Classes {
        /// The labels.
        labels: Vec<usize>,
        /// The number of classes.
        n_classes: usize,
    },
    /// `n_outputs` real values per sample, sample-major.
    Values {
        /// The targets.
        values: Vec<f32>,
        /// Targets per sample.
        n_outputs: usize,
    },
}

impl fmt::Debug for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Targets::Classes { labels, n_classes } => {
                write!(
                    f,
                    "Classes {{ len: {}, n_classes: {n_classes} }}",
                    labels.len()
                )
            }
            Targets::Values { values, n_outputs } => {
                write!(
                    f,
                    "Values {{ len: {}, n_outputs: {n_outputs} }}",
                    values.len()
                )
            }
        }
    }
}

/// The largest number of classes a dataset or [`one_hot`] accepts: 2²⁴
/// (16,777,216). One one-hot column of that many classes is 64 MiB in `f32`,
/// so a larger count is taken for a mistake (a label value passed as the
/// count, say) and reported as [`DataError::TooManyClasses`] instead of
/// failing on an allocation.
pub const MAX_CLASSES: usize = 1 << 24;

/// Checks `1 ≤ n_classes ≤ MAX_CLASSES`.
pub(super) fn check_class_count(n_classes: usize) -> Result<()> {
    if n_classes == 0 {
        Err(DataError::NoClasses)
    } else if n_classes > MAX_CLASSES {
        Err(DataError::TooManyClasses {
            n_classes,
            max: MAX_CLASSES,
        })
    } else {
        Ok(())
    }
}

/// Writes `labels` as one-hot columns into `out` (resized to
/// `n_classes × labels.len()`, allocation kept). Errors, leaving `out`
/// untouched, if a label is not below `n_classes`.
///
/// ```
/// use backprop_data::one_hot;
/// use backprop_tensor::DMatrix;
/// let mut y = DMatrix::<f64>::zeros(0, 0);
/// one_hot(&[2, 0], 3, &mut y)?;
/// assert_eq!(y, DMatrix::from_column_slice(3, 2, &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]));
/// assert!(one_hot(&[3], 3, &mut y).is_err());
/// # Ok::<(), backprop_data::DataError>(())
/// ```
pub fn one_hot<T: Scalar>(labels: &[usize], n_classes: usize, out: &mut DMatrix<T>) -> Result<()> {
    check_class_count(n_classes)?;
    if let Some((sample, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        return Err(DataError::LabelOutOfRange {
            sample,
            label,
            n_classes,
        });
    }
    ops::resize(out, n_classes, labels.len());
    out.fill(T::zero());
    for (col, &l) in out.as_mut_slice().chunks_exact_mut(n_classes).zip(labels) {
        if let Some(v) = col.get_mut(l) {
            *v = T::one();
        }
    }
    Ok(())
}
