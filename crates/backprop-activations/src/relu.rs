//! The rectified linear unit.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// ReLU: `g(z) = max(z, 0)`, `g′(z) = 1` if `z > 0` else `0`.
///
/// At `z = 0` the derivative is taken as `0` (as PyTorch does). A NaN input
/// stays NaN in the forward pass. Backward reads `Z`.
///
/// ```
/// use backprop_activations::{Activation, Relu};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(4, 1, &[-2.0_f64, 0.0, 0.5, 3.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Relu.forward(&z, &mut a);
/// assert_eq!(a.as_slice(), &[0.0, 0.0, 0.5, 3.0]);
/// let da = DMatrix::from_element(4, 1, 2.0);
/// Relu.backward(&z, &a, &da, &mut dz)?;
/// assert_eq!(dz.as_slice(), &[0.0, 0.0, 2.0, 2.0]);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relu;

impl Relu {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        let zero = T::zero();
        // `z < 0 → 0`, not `max(z, 0)`: the comparison lets NaN through.
        move |z| if z < zero { zero } else { z }
    }
}

impl<T: Scalar> Activation<T> for Relu {
    fn name(&self) -> &'static str {
        "relu"
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
        let zero = T::zero();
        backward_map("relu backward", z, a, da, dz, |z, _, g| {
            if z > zero { g } else { zero }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    fn forward_values<T: Scalar>() {
        let z = [-3.0, -1e-3, 0.0, 1e-3, 2.5, -1e3, 1e3];
        let want = [0.0, 0.0, 0.0, 1e-3, 2.5, 0.0, 1e3];
        assert_close::<T>(&forward::<T>(&Relu, 7, &z), &want);
        assert!(forward::<T>(&Relu, 1, &[f64::NAN])[0].is_nan());
    }

    fn derivative_values<T: Scalar>() {
        let z = [-3.0, -1e-3, 0.0, 1e-3, 2.5, -1e3];
        let da = [5.0, 5.0, 5.0, -4.0, 0.5, 1.0];
        let want = [0.0, 0.0, 0.0, -4.0, 0.5, 0.0];
        assert_close::<T>(&backward::<T>(&Relu, 3, &z, &da), &want);
    }

    both_precisions!(forward_values, derivative_values);
}
