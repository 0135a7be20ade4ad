//! The hyperbolic tangent.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Hyperbolic tangent: `g(z) = tanh z`, `g′(z) = 1 − tanh² z`.
///
/// Saturates to exactly `±1` for large `|z|` (no overflow). Backward reads
/// `A`: `dZ = dA ⊙ (1 − A²)`.
///
/// ```
/// use backprop_activations::{Activation, Tanh};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-1.0_f64, 0.0, 1.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Tanh.forward(&z, &mut a);
/// assert!((a[0] + 0.7615941559557649).abs() < 1e-15 && a[1] == 0.0);
/// let da = DMatrix::from_element(3, 1, 1.0);
/// Tanh.backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[2] - 0.4199743416140261).abs() < 1e-15 && dz[1] == 1.0);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tanh;

impl Tanh {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        |z: T| z.tanh()
    }
}

impl<T: Scalar> Activation<T> for Tanh {
    fn name(&self) -> &'static str {
        "tanh"
    }

    fn forward(&self, z: &DMatrix<T>, a: &mut DMatrix<T>) {
        map_into(z, a, self.g());
    }

    fn backward(
        &self,
        z: &DMatrix<T>,
        a: &DMatrix<T>,
        da: &DMatrix<T>,
        dz: &mut DMatrix<T>,
    ) -> Result<(), TensorError> {
        let one = T::one();
        backward_map("tanh backward", z, a, da, dz, |_, a, g| g * (one - a * a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    const TANH_1: f64 = 0.7615941559557649;
    const DTANH_1: f64 = 0.4199743416140261;

    fn forward_values<T: Scalar>() {
        let z = [-1.0, 0.0, 1.0, -1e3, 1e3, 0.5];
        let want = [-TANH_1, 0.0, TANH_1, -1.0, 1.0, 0.46211715726000974];
        assert_close::<T>(&forward::<T>(&Tanh, 2, &z), &want);
    }

    fn derivative_values<T: Scalar>() {
        let z = [-1.0, 0.0, 1.0, 1e3];
        let da = [2.0, 1.0, -1.0, 1.0];
        let want = [2.0 * DTANH_1, 1.0, -DTANH_1, 0.0];
        assert_close::<T>(&backward::<T>(&Tanh, 4, &z, &da), &want);
    }

    both_precisions!(forward_values, derivative_values);
}
