//! Validation of a (prediction, target) pair, shared by every loss.

use crate::{LossError, Target};
use backprop_tensor::{DMatrix, Scalar, ops::check_shape};

/// The target of a validated batch, as raw column-major data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Labels<'a, T> {
    /// Same shape as the prediction.
    Dense(&'a [T]),
    /// One index per column, each `< rows`.
    Classes(&'a [usize]),
}

/// A prediction and its target, checked to fit together: `rows ≥ 1`,
/// `cols ≥ 1`, a dense target of the same shape, or exactly `cols` class
/// indices each below `rows`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batch<'a, T> {
    /// The prediction, column-major.
    pub pred: &'a [T],
    /// Outputs (classes) per sample.
    pub rows: usize,
    /// Samples.
    pub cols: usize,
    /// The target.
    pub labels: Labels<'a, T>,
}

impl<'a, T: Scalar> Batch<'a, T> {
    /// Checks `prediction` against `target`; `op` names the caller in shape
    /// errors.
    pub fn new(
        op: &'static str,
        prediction: &'a DMatrix<T>,
        target: Target<'a, T>,
    ) -> Result<Self, LossError> {
        let (rows, cols) = prediction.shape();
        if cols == 0 {
            return Err(LossError::EmptyBatch);
        }
        if rows == 0 {
            return Err(LossError::NoOutputs { samples: cols });
        }
        let labels = match target {
            Target::Dense(y) => {
                check_shape(op, "target", y, (rows, cols))?;
                Labels::Dense(y.as_slice())
            }
            Target::Classes(classes) => {
                if classes.len() != cols {
                    return Err(LossError::TargetCount {
                        expected: cols,
                        found: classes.len(),
                    });
                }
                if let Some((sample, &class)) =
                    classes.iter().enumerate().find(|&(_, &c)| c >= rows)
                {
                    return Err(LossError::ClassOutOfRange {
                        sample,
                        class,
                        classes: rows,
                    });
                }
                Labels::Classes(classes)
            }
        };
        Ok(Self {
            pred: prediction.as_slice(),
            rows,
            cols,
            labels,
        })
    }

    /// The prediction's columns (`rows ≥ 1`, so the chunks are never empty).
    pub fn columns(&self) -> std::slice::ChunksExact<'a, T> {
        self.pred.chunks_exact(self.rows)
    }

    /// The batch size as `f64`.
    pub fn m(&self) -> f64 {
        self.cols as f64
    }
}

/// The one-hot column for class `class` out of `rows`, as an iterator.
pub(crate) fn one_hot<T: Scalar>(rows: usize, class: usize) -> impl Iterator<Item = T> + Clone {
    (0..rows).map(move |i| if i == class { T::one() } else { T::zero() })
}
