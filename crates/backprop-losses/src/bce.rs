//! Binary cross-entropy on probabilities.

use crate::batch::Batch;
use crate::pointwise::{self, Pointwise};
use crate::{Loss, LossError, Target};
use backprop_tensor::{DMatrix, Scalar};

/// Binary cross-entropy of probabilities `a ∈ [0, 1]` (the output of a
/// sigmoid), the tutorial's cost: **summed over the output rows, averaged
/// over the samples**,
///
/// ```text
/// L = −(1/m) Σⱼ Σᵢ [ yᵢⱼ ln âᵢⱼ + (1 − yᵢⱼ) ln(1 − âᵢⱼ) ]
/// ∂L/∂aᵢⱼ = −(1/m) ( yᵢⱼ/âᵢⱼ − (1 − yᵢⱼ)/(1 − âᵢⱼ) ) = (âᵢⱼ − yᵢⱼ) / (m âᵢⱼ (1 − âᵢⱼ))
/// ```
///
/// where `â = clamp(a, ε, 1 − ε)` with `ε` = [`BinaryCrossEntropy::epsilon`]
/// (`1e-7` for `f32`, `1e-12` for `f64`; `1 − ε` is rounded to the type, in
/// `f32` to `1 − 1.19e-7`). The clamp makes predictions of exactly 0 or 1 give
/// a finite loss (about `−ln ε` per entry at most: ≈ 16.1 in `f32`, ≈ 27.6 in
/// `f64`) and a finite gradient (about `1/(m ε)` at most).
/// The gradient is the formula evaluated at `â`, not the derivative of the
/// clamped function (which is zero outside `[ε, 1 − ε]`), so a saturated wrong
/// prediction still gets pushed back. The finite-difference gradient therefore
/// agrees only inside `(ε, 1 − ε)`.
///
/// **PyTorch:** `nn.BCELoss()` averages over every element, so
/// `BinaryCrossEntropy = rows × BCELoss`; with one output row (the usual
/// binary classifier) they are equal. (PyTorch clamps `ln` at −100 instead of
/// clamping `a`; the two agree away from 0 and 1.)
///
/// For logits, prefer [`BinaryCrossEntropyWithLogits`](crate::BinaryCrossEntropyWithLogits),
/// which needs no clamp. `Target::Classes(c)` compares with the one-hot
/// matrix of `c` (so with a single output row every index must be 0: give
/// binary labels as a dense `1×m` matrix of 0s and 1s instead).
///
/// ```
/// use backprop_losses::{BinaryCrossEntropy, Loss, Target};
/// use backprop_tensor::DMatrix;
/// let a = DMatrix::from_row_slice(1, 2, &[0.8_f64, 0.4]);
/// let y = DMatrix::from_row_slice(1, 2, &[1.0, 0.0]);
/// let mut grad = DMatrix::zeros(0, 0);
/// let loss = BinaryCrossEntropy.loss_and_gradient(&a, Target::Dense(&y), &mut grad)?;
/// // −(ln 0.8 + ln 0.6)/2
/// assert!((loss - 0.3669845875401002).abs() < 1e-15);
/// // −(1/0.8)/2 and (1/0.6)/2
/// assert!((grad[0] + 0.625).abs() < 1e-15 && (grad[1] - 0.8333333333333334).abs() < 1e-15);
/// // A prediction of exactly 0 for a positive stays finite: −ln ε.
/// let zero = DMatrix::from_element(1, 1, 0.0_f32);
/// let l = BinaryCrossEntropy.loss(&zero, Target::Dense(&DMatrix::from_element(1, 1, 1.0)))?;
/// assert!((l - 16.118095).abs() < 1e-5); // −ln 1e-7
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BinaryCrossEntropy;

impl BinaryCrossEntropy {
    const NAME: &'static str = "binary_cross_entropy";

    /// The clamp `ε`: predictions are taken as `clamp(a, ε, 1 − ε)`. It is
    /// `1e-7` for 4-byte scalars (`f32`, where `1 − ε` is still below 1) and
    /// `1e-12` otherwise (`f64`).
    ///
    /// ```
    /// use backprop_losses::BinaryCrossEntropy;
    /// assert_eq!(BinaryCrossEntropy::epsilon::<f32>(), 1e-7);
    /// assert_eq!(BinaryCrossEntropy::epsilon::<f64>(), 1e-12);
    /// assert!(1.0 - BinaryCrossEntropy::epsilon::<f32>() < 1.0);
    /// ```
    pub fn epsilon<T: Scalar>() -> T {
        if T::BYTES <= 4 {
            T::of(1e-7)
        } else {
            T::of(1e-12)
        }
    }

    fn kernel<T: Scalar>() -> Kernel<T> {
        let eps = Self::epsilon::<T>();
        Kernel {
            lo: eps,
            hi: T::one() - eps,
        }
    }
}

/// The clamped per-entry formula.
struct Kernel<T> {
    lo: T,
    hi: T,
}

impl<T: Scalar> Kernel<T> {
    #[inline]
    fn clamp(&self, a: T) -> T {
        if a < self.lo {
            self.lo
        } else if a > self.hi {
            self.hi
        } else {
            a
        }
    }
}

impl<T: Scalar> Pointwise<T> for Kernel<T> {
    #[inline]
    fn value(&self, a: T, y: T) -> T {
        let a = self.clamp(a);
        // Hard labels need one logarithm; the general form gives the same
        // value for them (the other term is exactly 0 as `â` is clamped).
        if y == T::one() {
            -a.ln()
        } else if y == T::zero() {
            -(T::one() - a).ln()
        } else {
            -(y * a.ln() + (T::one() - y) * (T::one() - a).ln())
        }
    }
    #[inline]
    fn derivative(&self, a: T, y: T) -> T {
        let a = self.clamp(a);
        (a - y) / (a * (T::one() - a))
    }
}

impl<T: Scalar> Loss<T> for BinaryCrossEntropy {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss(&Self::kernel(), &b, b.m()))
    }

    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        pointwise::gradient(&Self::kernel(), &b, b.m(), grad);
        Ok(())
    }

    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(pointwise::loss_and_gradient(
            &Self::kernel(),
            &b,
            b.m(),
            grad,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_probabilities_not_logits() {
        assert!(!Loss::<f32>::takes_logits(&BinaryCrossEntropy));
        assert!(!Loss::<f64>::takes_logits(&BinaryCrossEntropy));
    }

    #[test]
    fn hand_computed_values() {
        // Two outputs, two samples; summed over rows, mean over samples.
        // Column 1: a = (0.9, 0.2), y = (1, 0): −ln 0.9 − ln 0.8.
        // Column 2: a = (0.5, 0.7), y = (0.25, 1): −(0.25 ln 0.5 + 0.75 ln 0.5) − ln 0.7.
        let a = DMatrix::from_column_slice(2, 2, &[0.9_f64, 0.2, 0.5, 0.7]);
        let y = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, 0.25, 1.0]);
        let expected = (-(0.9_f64.ln()) - 0.8_f64.ln() - 0.5_f64.ln() - 0.7_f64.ln()) / 2.0;
        let mut g = DMatrix::zeros(0, 0);
        let l = BinaryCrossEntropy
            .loss_and_gradient(&a, Target::Dense(&y), &mut g)
            .unwrap();
        assert!((l - expected).abs() < 1e-15, "{l} vs {expected}");
        // −(y/a − (1−y)/(1−a))/2
        let expected_grad = [
            -1.0 / 0.9 / 2.0,
            1.0 / 0.8 / 2.0,
            -(0.5 - 1.5) / 2.0,
            -1.0 / 0.7 / 2.0,
        ];
        for (g, e) in g.iter().zip(expected_grad) {
            assert!((g - e).abs() < 1e-15, "{g} vs {e}");
        }
    }

    #[test]
    fn clamps_exact_zero_and_one() {
        let a = DMatrix::from_row_slice(1, 4, &[0.0_f64, 0.0, 1.0, 1.0]);
        let y = DMatrix::from_row_slice(1, 4, &[0.0, 1.0, 0.0, 1.0]);
        let mut g = DMatrix::zeros(0, 0);
        let l = BinaryCrossEntropy
            .loss_and_gradient(&a, Target::Dense(&y), &mut g)
            .unwrap();
        // The clamped values: lo = ε, hi = 1 − ε rounded to f64 (so 1 − hi is
        // ε only to about 1e-4 relative: the spacing of f64 below 1 is 1.1e-16).
        let lo = 1e-12_f64;
        let hi = 1.0 - lo;
        let expected = (-(1.0 - lo).ln() - lo.ln() - (1.0 - hi).ln() - hi.ln()) / 4.0;
        assert!((l - expected).abs() < 1e-14, "{l} vs {expected}");
        assert!((l - (-lo.ln() / 2.0)).abs() < 1e-3, "{l}: about −ln ε / 2");
        let d = |a: f64, y: f64| -(y / a - (1.0 - y) / (1.0 - a)) / 4.0;
        let expected_grad = [d(lo, 0.0), d(lo, 1.0), d(hi, 0.0), d(hi, 1.0)];
        for (g, e) in g.iter().zip(expected_grad) {
            assert!(((g - e) / e).abs() < 1e-12, "{g} vs {e}");
        }
        // Roughly ±1/(4ε) for the wrong answers, ±1/4 for the right ones.
        assert!((g[1] * 4.0 * lo + 1.0).abs() < 1e-3 && (g[2] * 4.0 * lo - 1.0).abs() < 1e-3);
        assert!((g[0] * 4.0 - 1.0).abs() < 1e-9 && (g[3] * 4.0 + 1.0).abs() < 1e-9);
    }
}
