//! Binary cross-entropy on logits, fused with the sigmoid.

use crate::batch::Batch;
use crate::pointwise::{self, Pointwise};
use crate::{Loss, LossError, Target};
use backprop_tensor::{DMatrix, Scalar};

/// Binary cross-entropy of `σ(z)` computed straight from the logits `z`
/// (sigmoid and loss fused), with the same convention as
/// [`BinaryCrossEntropy`](crate::BinaryCrossEntropy): **summed over the output
/// rows, averaged over the samples**.
///
/// Per entry, in the stable form that never exponentiates a positive number,
///
/// ```text
/// ℓ(z, y) = −[y ln σ(z) + (1 − y) ln(1 − σ(z))]
///         = max(z, 0) − z·y + ln(1 + e^{−|z|})
/// L = (1/m) Σⱼ Σᵢ ℓ(zᵢⱼ, yᵢⱼ)
/// ∂L/∂zᵢⱼ = (σ(zᵢⱼ) − yᵢⱼ) / m
/// ```
///
/// so logits of ±1000 give a finite loss (`|z|` for a confident wrong answer)
/// and a gradient in `[−1/m, 1/m]`, with no clamp. The output layer must then
/// have no sigmoid of its own. `e^{−|z|}` is computed once per entry and
/// shared by the loss and the gradient in
/// [`loss_and_gradient`](Loss::loss_and_gradient).
///
/// **PyTorch:** `nn.BCEWithLogitsLoss()` averages over every element, so this
/// loss is `rows ×` PyTorch's; with one output row they are equal.
/// `Target::Classes(c)` compares with the one-hot matrix of `c` (with a single
/// output row give binary labels as a dense `1×m` matrix instead).
///
/// ```
/// use backprop_losses::{BinaryCrossEntropyWithLogits, Loss, Target};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_row_slice(1, 2, &[0.0_f64, 2.0]);
/// let y = DMatrix::from_row_slice(1, 2, &[1.0, 0.0]);
/// let mut grad = DMatrix::zeros(0, 0);
/// let loss = BinaryCrossEntropyWithLogits.loss_and_gradient(&z, Target::Dense(&y), &mut grad)?;
/// // (ln 2 + 2 + ln(1 + e⁻²)) / 2
/// assert!((loss - 1.410037595801459).abs() < 1e-15);
/// // ((σ(0) − 1)/2, σ(2)/2)
/// assert!((grad[0] + 0.25).abs() < 1e-15 && (grad[1] - 0.44039853898894116).abs() < 1e-15);
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BinaryCrossEntropyWithLogits;

impl BinaryCrossEntropyWithLogits {
    const NAME: &'static str = "binary_cross_entropy_with_logits";
}

/// `σ(z)` from `z` and `e = e^{−|z|}`, dividing only by `1 + e ∈ [1, 2]`.
#[inline]
fn sigmoid<T: Scalar>(z: T, e: T) -> T {
    let d = T::one() + e;
    if z >= T::zero() { T::one() / d } else { e / d }
}

/// `max(z, 0) − z·y + ln(1 + e)` with `e = e^{−|z|}`.
#[inline]
fn value<T: Scalar>(z: T, y: T, e: T) -> T {
    let relu = if z > T::zero() { z } else { T::zero() };
    relu - z * y + e.ln_1p()
}

impl<T: Scalar> Pointwise<T> for BinaryCrossEntropyWithLogits {
    #[inline]
    fn value(&self, z: T, y: T) -> T {
        value(z, y, (-z.abs()).exp())
    }
    #[inline]
    fn derivative(&self, z: T, y: T) -> T {
        sigmoid(z, (-z.abs()).exp()) - y
    }
    #[inline]
    fn value_and_derivative(&self, z: T, y: T) -> (T, T) {
        let e = (-z.abs()).exp();
        (value(z, y, e), sigmoid(z, e) - y)
    }
}

impl<T: Scalar> Loss<T> for BinaryCrossEntropyWithLogits {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn takes_logits(&self) -> bool {
        true
    }

    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss(self, &b, b.m()))
    }

    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        pointwise::gradient(self, &b, b.m(), grad);
        Ok(())
    }

    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss_and_gradient(self, &b, b.m(), grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BinaryCrossEntropy;

    #[test]
    fn takes_logits() {
        assert!(Loss::<f32>::takes_logits(&BinaryCrossEntropyWithLogits));
        assert!(Loss::<f64>::takes_logits(&BinaryCrossEntropyWithLogits));
    }

    fn sigma(z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }

    #[test]
    fn hand_computed_values() {
        // Two outputs, two samples. ℓ = −[y ln σ(z) + (1−y) ln(1−σ(z))] by
        // the textbook formula (safe for these moderate logits).
        let z = [1.5_f64, -0.5, 0.0, -3.0];
        let y = [1.0, 0.0, 0.3, 1.0];
        let textbook: f64 = z
            .iter()
            .zip(y)
            .map(|(&z, y)| -(y * sigma(z).ln() + (1.0 - y) * (1.0 - sigma(z)).ln()))
            .sum();
        let zm = DMatrix::from_column_slice(2, 2, &z);
        let ym = DMatrix::from_column_slice(2, 2, &y);
        let mut g = DMatrix::zeros(0, 0);
        let l = BinaryCrossEntropyWithLogits
            .loss_and_gradient(&zm, Target::Dense(&ym), &mut g)
            .unwrap();
        assert!(
            (l - textbook / 2.0).abs() < 1e-14,
            "{l} vs {}",
            textbook / 2.0
        );
        for ((g, &z), y) in g.iter().zip(&z).zip(y) {
            let e = (sigma(z) - y) / 2.0;
            assert!((g - e).abs() < 1e-15, "{g} vs {e}");
        }
    }

    #[test]
    fn equals_bce_of_the_sigmoid() {
        let z = DMatrix::from_column_slice(3, 2, &[0.3_f64, -1.2, 2.5, 0.0, 4.0, -0.7]);
        let y = DMatrix::from_column_slice(3, 2, &[1.0, 0.0, 1.0, 0.5, 0.0, 1.0]);
        let a = z.map(sigma);
        let fused = BinaryCrossEntropyWithLogits
            .loss(&z, Target::Dense(&y))
            .unwrap();
        let plain = BinaryCrossEntropy.loss(&a, Target::Dense(&y)).unwrap();
        assert!((fused - plain).abs() < 1e-14, "{fused} vs {plain}");
    }

    #[test]
    fn extreme_logits() {
        // (z, y) → (ℓ, ∂ℓ/∂z): confident right answers cost 0, wrong ones |z|.
        let cases = [
            (1000.0_f32, 1.0, 0.0, 0.0),
            (1000.0, 0.0, 1000.0, 1.0),
            (-1000.0, 0.0, 0.0, 0.0),
            (-1000.0, 1.0, 1000.0, -1.0),
        ];
        for (z, y, l, d) in cases {
            let zm = DMatrix::from_element(1, 1, z);
            let ym = DMatrix::from_element(1, 1, y);
            let mut g = DMatrix::zeros(0, 0);
            let got = BinaryCrossEntropyWithLogits
                .loss_and_gradient(&zm, Target::Dense(&ym), &mut g)
                .unwrap();
            assert_eq!((got, g[0]), (l, d), "z = {z}, y = {y}");
        }
    }
}
