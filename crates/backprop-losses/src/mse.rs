//! Mean squared error.

use crate::batch::Batch;
use crate::pointwise::{self, Pointwise};
use crate::{Loss, LossError, Target};
use backprop_tensor::{DMatrix, Scalar};

/// Mean squared error, averaged over **every element** (PyTorch's
/// `nn.MSELoss(reduction='mean')`):
///
/// ```text
/// L = 1/(n·m) · Σⱼ Σᵢ (ŷᵢⱼ − yᵢⱼ)²          n = rows, m = samples
/// ∂L/∂ŷᵢⱼ = 2 (ŷᵢⱼ − yᵢⱼ) / (n·m)
/// ```
///
/// There is no `½`. The per-sample loss is thus the mean over the outputs,
/// `ℓⱼ = (1/n) Σᵢ (ŷᵢⱼ − yᵢⱼ)²`, and `L` is its batch mean. A "sum over rows,
/// mean over samples" convention would be `n` times larger; for a single
/// output row the two agree.
///
/// `Target::Classes(c)` compares with the one-hot matrix of `c`.
///
/// ```
/// use backprop_losses::{Loss, Mse, Target};
/// use backprop_tensor::DMatrix;
/// let pred = DMatrix::from_row_slice(2, 2, &[1.0_f64, 2.0, 3.0, 4.0]);
/// let y = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 2.0]);
/// // Squared errors 0, 4, 4, 4: mean 3.
/// assert_eq!(Mse.loss(&pred, Target::Dense(&y))?, 3.0);
/// let mut grad = DMatrix::zeros(0, 0);
/// Mse.gradient(&pred, Target::Dense(&y), &mut grad)?;
/// // 2·(ŷ − y)/4
/// assert_eq!(grad, DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 1.0]));
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Mse;

impl Mse {
    const NAME: &'static str = "mse";
}

impl<T: Scalar> Pointwise<T> for Mse {
    #[inline]
    fn value(&self, p: T, y: T) -> T {
        let d = p - y;
        d * d
    }
    #[inline]
    fn derivative(&self, p: T, y: T) -> T {
        let d = p - y;
        d + d
    }
}

/// Number of elements: the denominator of the mean.
fn norm(b: &Batch<'_, impl Scalar>) -> f64 {
    b.m() * b.rows as f64
}

impl<T: Scalar> Loss<T> for Mse {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss(self, &b, norm(&b)))
    }

    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        pointwise::gradient(self, &b, norm(&b), grad);
        Ok(())
    }

    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss_and_gradient(self, &b, norm(&b), grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_values_not_logits() {
        assert!(!Loss::<f32>::takes_logits(&Mse));
        assert!(!Loss::<f64>::takes_logits(&Mse));
    }

    #[test]
    fn hand_computed_values() {
        // Column 1: ŷ = (0.5, −1), y = (1, 1): errors −0.5, −2 → 0.25 + 4.
        // Column 2: ŷ = (2, 0),   y = (0, 0): errors 2, 0     → 4.
        // Mean over 4 elements: 8.25 / 4.
        let pred = DMatrix::from_column_slice(2, 2, &[0.5_f64, -1.0, 2.0, 0.0]);
        let y = DMatrix::from_column_slice(2, 2, &[1.0, 1.0, 0.0, 0.0]);
        let mut g = DMatrix::zeros(0, 0);
        let l = Mse
            .loss_and_gradient(&pred, Target::Dense(&y), &mut g)
            .unwrap();
        assert_eq!(l, 2.0625);
        assert_eq!(g.as_slice(), &[-0.25, -1.0, 1.0, 0.0]);
        // Classes [0, 1] ≡ one-hot (1,0), (0,1): errors −0.5, −1, 2, −1.
        let l = Mse.loss(&pred, Target::Classes(&[0, 1])).unwrap();
        assert_eq!(l, (0.25 + 1.0 + 4.0 + 1.0) / 4.0);
    }

    #[test]
    fn single_output_equals_plain_mean() {
        let pred = DMatrix::from_row_slice(1, 3, &[1.0_f32, 2.0, 3.0]);
        let y = DMatrix::from_row_slice(1, 3, &[0.0, 2.0, 5.0]);
        assert_eq!(Mse.loss(&pred, Target::Dense(&y)).unwrap(), 5.0 / 3.0);
    }
}
