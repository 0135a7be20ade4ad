//! Classification accuracy of a batch.

use crate::batch::{Batch, Labels};
use crate::{LossError, Target};
use backprop_tensor::{DMatrix, Scalar};

/// The fraction of samples (columns) classified correctly, in `[0, 1]`.
///
/// - **Several rows:** the predicted class of a column is its argmax; the
///   true class is the index of `Target::Classes`, or the argmax of the dense
///   target column (one-hot or probabilities). Ties go to the lowest index,
///   as in `numpy.argmax`. Logits and probabilities give the same answer.
/// - **One row** (a single sigmoid output): the prediction is positive when
///   `ŷ ≥ 0.5` and the dense target when `y ≥ 0.5`. The threshold is meant for
///   **probabilities**; for a logit apply the sigmoid first (or compare with
///   0 yourself). As everywhere in this crate, `Target::Classes` means one-hot,
///   so with one row every index must be 0 (meaning "positive"): give binary
///   labels as a dense `1×m` matrix.
///
/// Errors like the losses: empty batch, no rows, wrong target shape or count,
/// class index out of range.
///
/// ```
/// use backprop_losses::{accuracy, Target};
/// use backprop_tensor::DMatrix;
/// // Three classes, four samples; argmaxes 2, 0, 1, 1.
/// let p = DMatrix::from_column_slice(3, 4, &[
///     0.1_f32, 0.2, 0.7,   0.5, 0.3, 0.2,   0.0, 0.9, 0.1,   0.3, 0.4, 0.3,
/// ]);
/// assert_eq!(accuracy(&p, Target::Classes(&[2, 0, 2, 1]))?, 0.75);
/// // One sigmoid output: threshold 0.5 on both sides.
/// let p = DMatrix::from_row_slice(1, 4, &[0.9_f64, 0.2, 0.5, 0.4]);
/// let y = DMatrix::from_row_slice(1, 4, &[1.0, 0.0, 0.0, 1.0]);
/// // right, right, wrong (0.5 counts as positive), wrong
/// assert_eq!(accuracy(&p, Target::Dense(&y))?, 0.5);
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
pub fn accuracy<T: Scalar>(
    prediction: &DMatrix<T>,
    target: Target<'_, T>,
) -> Result<f64, LossError> {
    let b = Batch::new("accuracy", prediction, target)?;
    let correct = if b.rows == 1 {
        let half = T::of(0.5);
        match b.labels {
            Labels::Dense(y) => b
                .pred
                .iter()
                .zip(y)
                .filter(|&(&p, &y)| (p >= half) == (y >= half))
                .count(),
            // One-hot of a single row: every (validated) index is 0, a positive.
            Labels::Classes(_) => b.pred.iter().filter(|&&p| p >= half).count(),
        }
    } else {
        match b.labels {
            Labels::Dense(y) => b
                .columns()
                .zip(y.chunks_exact(b.rows))
                .filter(|(p, y)| argmax(p) == argmax(y))
                .count(),
            Labels::Classes(classes) => b
                .columns()
                .zip(classes)
                .filter(|&(p, &c)| argmax(p) == c)
                .count(),
        }
    };
    Ok(correct as f64 / b.m())
}

/// Index of the first largest entry (0 for an empty slice; a NaN never wins
/// unless it comes first).
fn argmax<T: Scalar>(v: &[T]) -> usize {
    let mut best = 0;
    let mut max = match v.first() {
        Some(&x) => x,
        None => return 0,
    };
    for (i, &x) in v.iter().enumerate().skip(1) {
        if x > max {
            max = x;
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_of_ties() {
        assert_eq!(argmax(&[1.0_f32, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[5.0_f64]), 0);
        assert_eq!(argmax::<f64>(&[]), 0);
    }

    #[test]
    fn dense_targets_use_their_argmax() {
        let p = DMatrix::from_column_slice(2, 3, &[0.2_f64, 0.8, 0.6, 0.4, 0.5, 0.5]);
        let y = DMatrix::from_column_slice(2, 3, &[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
        // Correct, wrong, correct (tie → class 0).
        assert_eq!(accuracy(&p, Target::Dense(&y)).unwrap(), 2.0 / 3.0);
        assert_eq!(
            accuracy(&p, Target::Classes(&[1, 1, 0])).unwrap(),
            2.0 / 3.0
        );
    }

    #[test]
    fn single_row_classes_are_one_hot() {
        let p = DMatrix::from_row_slice(1, 2, &[0.7_f32, 0.1]);
        assert_eq!(accuracy(&p, Target::Classes(&[0, 0])).unwrap(), 0.5);
        assert_eq!(
            accuracy(&p, Target::Classes(&[0, 1])).unwrap_err(),
            LossError::ClassOutOfRange {
                sample: 1,
                class: 1,
                classes: 1
            }
        );
    }
}
