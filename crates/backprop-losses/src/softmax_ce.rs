//! Softmax cross-entropy on logits, fused with the softmax.

use crate::batch::{Batch, Labels, one_hot};
use crate::{Loss, LossError, Target};
use backprop_tensor::{DMatrix, Scalar, ops::resize};

/// Cross-entropy of `softmax(z)` computed straight from the logits `z` (softmax
/// and loss fused), per column with the log-sum-exp trick. PyTorch's
/// `nn.CrossEntropyLoss()` (mean over the samples), exactly.
///
/// With `μⱼ = maxᵢ zᵢⱼ` and `lseⱼ = μⱼ + ln Σᵢ e^{zᵢⱼ − μⱼ}` (no exponent is
/// ever positive, so logits of ±1000 are fine):
///
/// ```text
/// ℓⱼ = Σᵢ yᵢⱼ (lseⱼ − zᵢⱼ) = −Σᵢ yᵢⱼ ln softmax(zⱼ)ᵢ
/// L  = (1/m) Σⱼ ℓⱼ
/// ∂L/∂zᵢⱼ = (softmax(zⱼ)ᵢ · Σₖ yₖⱼ − yᵢⱼ) / m
/// ```
///
/// For a class index `c` (`Target::Classes`) or any probability column
/// (`Σₖ yₖⱼ = 1`, e.g. one-hot or label-smoothed) this is
/// `ℓⱼ = lseⱼ − z_{cj}` and `∂L/∂z = (softmax(z) − y)/m`; the general form
/// keeps the gradient exact for unnormalised dense targets too. The output
/// layer must then have no softmax of its own.
///
/// One pass computes both the loss and the gradient
/// ([`loss_and_gradient`](Loss::loss_and_gradient)): the exponentials are
/// written into the gradient buffer and normalised in place, so
/// [`gradient`](Loss::gradient) costs the same (one `exp` per entry and one `ln`
/// per column).
///
/// ```
/// use backprop_losses::{Loss, SoftmaxCrossEntropy, Target};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[1.0_f64, 2.0, 3.0]);
/// let mut grad = DMatrix::zeros(0, 0);
/// let loss = SoftmaxCrossEntropy.loss_and_gradient(&z, Target::Classes(&[2]), &mut grad)?;
/// // ln(e + e² + e³) − 3
/// assert!((loss - 0.40760596444438013).abs() < 1e-15);
/// // softmax(z) − one_hot(2)
/// let expected = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219 - 1.0];
/// assert!(grad.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-15));
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SoftmaxCrossEntropy;

impl SoftmaxCrossEntropy {
    const NAME: &'static str = "softmax_cross_entropy";
}

/// `maxᵢ zᵢ` (`z` is never empty in a validated batch).
#[inline]
fn column_max<T: Scalar>(z: &[T]) -> T {
    let mut it = z.iter().copied();
    let first = it.next().unwrap_or_else(T::zero);
    it.fold(first, |m, v| if v > m { v } else { m })
}

/// `ℓ = Σᵢ yᵢ (μ − zᵢ) + (Σᵢ yᵢ) ln Σᵢ e^{zᵢ − μ}` for one column.
#[inline]
fn column_loss<T: Scalar>(z: &[T], y: impl Iterator<Item = T>) -> T {
    let max = column_max(z);
    let (mut sum, mut sy, mut syz) = (T::zero(), T::zero(), T::zero());
    for (&z, y) in z.iter().zip(y) {
        sum += (z - max).exp();
        sy += y;
        syz += y * (max - z);
    }
    syz + sy * sum.ln()
}

/// [`column_loss`], and `g ← (softmax(z)·Σy − y)·inv_m` for one column, in
/// two passes: exponentials into `g`, then normalised in place.
#[inline]
fn column_loss_and_gradient<T: Scalar>(
    z: &[T],
    y: impl Iterator<Item = T> + Clone,
    g: &mut [T],
    inv_m: T,
) -> T {
    let max = column_max(z);
    let (mut sum, mut sy, mut syz) = (T::zero(), T::zero(), T::zero());
    for ((g, &z), y) in g.iter_mut().zip(z).zip(y.clone()) {
        let e = (z - max).exp();
        *g = e;
        sum += e;
        sy += y;
        syz += y * (max - z);
    }
    let scale = sy / sum * inv_m;
    for (g, y) in g.iter_mut().zip(y) {
        *g = *g * scale - y * inv_m;
    }
    syz + sy * sum.ln()
}

fn loss_and_gradient<T: Scalar>(b: &Batch<'_, T>, grad: &mut DMatrix<T>) -> T {
    resize(grad, b.rows, b.cols);
    let inv_m = T::of(1.0 / b.m());
    let g = grad.as_mut_slice().chunks_exact_mut(b.rows);
    let mut total = 0.0;
    match b.labels {
        Labels::Dense(y) => {
            for ((g, z), y) in g.zip(b.columns()).zip(y.chunks_exact(b.rows)) {
                total += column_loss_and_gradient(z, y.iter().copied(), g, inv_m).as_f64();
            }
        }
        Labels::Classes(classes) => {
            for ((g, z), &c) in g.zip(b.columns()).zip(classes) {
                total += column_loss_and_gradient(z, one_hot(b.rows, c), g, inv_m).as_f64();
            }
        }
    }
    T::of(total / b.m())
}

impl<T: Scalar> Loss<T> for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn takes_logits(&self) -> bool {
        true
    }

    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        let mut total = 0.0;
        match b.labels {
            Labels::Dense(y) => {
                for (z, y) in b.columns().zip(y.chunks_exact(b.rows)) {
                    total += column_loss(z, y.iter().copied()).as_f64();
                }
            }
            Labels::Classes(classes) => {
                for (z, &c) in b.columns().zip(classes) {
                    total += column_loss(z, one_hot(b.rows, c)).as_f64();
                }
            }
        }
        Ok(T::of(total / b.m()))
    }

    /// The fused pass with the loss discarded: computing it costs only one
    /// `ln` per column on top of the gradient.
    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        loss_and_gradient(&b, grad);
        Ok(())
    }

    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        let b = Batch::new(Self::NAME, prediction, target)?;
        Ok(loss_and_gradient(&b, grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_logits() {
        assert!(Loss::<f32>::takes_logits(&SoftmaxCrossEntropy));
        assert!(Loss::<f64>::takes_logits(&SoftmaxCrossEntropy));
    }

    /// −Σ y ln softmax(z), the textbook way (safe for moderate logits).
    fn textbook(z: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
        let s: f64 = z.iter().map(|v| v.exp()).sum();
        let p: Vec<f64> = z.iter().map(|v| v.exp() / s).collect();
        (-y.iter().zip(&p).map(|(y, p)| y * p.ln()).sum::<f64>(), p)
    }

    #[test]
    fn hand_computed_values() {
        // Column 1: class 2 of (1, 2, 3); column 2: soft target of (0, −1, 1).
        let z = DMatrix::from_column_slice(3, 2, &[1.0_f64, 2.0, 3.0, 0.0, -1.0, 1.0]);
        let y = DMatrix::from_column_slice(3, 2, &[0.0, 0.0, 1.0, 0.2, 0.3, 0.5]);
        let (l1, p1) = textbook(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0]);
        let (l2, p2) = textbook(&[0.0, -1.0, 1.0], &[0.2, 0.3, 0.5]);
        assert!((l1 - 0.40760596444438013).abs() < 1e-15);
        let mut g = DMatrix::zeros(0, 0);
        let l = SoftmaxCrossEntropy
            .loss_and_gradient(&z, Target::Dense(&y), &mut g)
            .unwrap();
        assert!((l - (l1 + l2) / 2.0).abs() < 1e-15, "{l}");
        let expected: Vec<f64> = p1
            .iter()
            .chain(&p2)
            .zip(y.iter())
            .map(|(p, y)| (p - y) / 2.0)
            .collect();
        for (g, e) in g.iter().zip(expected) {
            assert!((g - e).abs() < 1e-16, "{g} vs {e}");
        }
    }

    #[test]
    fn shift_invariant() {
        let z = DMatrix::from_column_slice(3, 1, &[1.0_f64, 2.0, 3.0]);
        let shifted = z.add_scalar(500.0);
        let a = SoftmaxCrossEntropy.loss(&z, Target::Classes(&[0])).unwrap();
        let b = SoftmaxCrossEntropy
            .loss(&shifted, Target::Classes(&[0]))
            .unwrap();
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn unnormalised_dense_target_is_a_weighted_sum() {
        // y = 2·one_hot: twice the loss and twice the gradient.
        let z = DMatrix::from_column_slice(2, 1, &[0.5_f64, -0.5]);
        let y2 = DMatrix::from_column_slice(2, 1, &[2.0, 0.0]);
        let mut g1 = DMatrix::zeros(0, 0);
        let mut g2 = DMatrix::zeros(0, 0);
        let l1 = SoftmaxCrossEntropy
            .loss_and_gradient(&z, Target::Classes(&[0]), &mut g1)
            .unwrap();
        let l2 = SoftmaxCrossEntropy
            .loss_and_gradient(&z, Target::Dense(&y2), &mut g2)
            .unwrap();
        assert!((l2 - 2.0 * l1).abs() < 1e-15);
        assert!((g2 - g1 * 2.0).abs().max() < 1e-15);
    }
}
