//! The leaky rectified linear unit.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Leaky ReLU: `g(z) = z` if `z > 0` else `α·z`; `g′(z) = 1` if `z > 0` else
/// `α`.
///
/// At `z = 0` the derivative is taken as `α` (as PyTorch does). The usual
/// slope is `α = 0.01` ([`LeakyRelu::default`]). Backward reads `Z`.
///
/// ```
/// use backprop_activations::{Activation, LeakyRelu};
/// use backprop_tensor::DMatrix;
/// let act = LeakyRelu::new(0.1);
/// let z = DMatrix::from_column_slice(3, 1, &[-2.0_f64, 0.0, 3.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// act.forward(&z, &mut a);
/// assert!((a[0] + 0.2).abs() < 1e-15 && a[1] == 0.0 && a[2] == 3.0);
/// let da = DMatrix::from_element(3, 1, 2.0);
/// act.backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[0] - 0.2).abs() < 1e-15 && (dz[1] - 0.2).abs() < 1e-15 && dz[2] == 2.0);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeakyRelu {
    /// Slope `α` for `z ≤ 0`.
    pub alpha: f64,
}

impl LeakyRelu {
    /// The slope PyTorch and Keras use by default.
    pub const DEFAULT_ALPHA: f64 = 0.01;

    /// A leaky ReLU with slope `alpha` for `z ≤ 0`.
    pub const fn new(alpha: f64) -> Self {
        Self { alpha }
    }
}

impl Default for LeakyRelu {
    /// `α = 0.01`.
    fn default() -> Self {
        Self::new(Self::DEFAULT_ALPHA)
    }
}

impl LeakyRelu {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        let (zero, alpha) = (T::zero(), T::of(self.alpha));
        move |z| if z > zero { z } else { alpha * z }
    }
}

impl<T: Scalar> Activation<T> for LeakyRelu {
    fn name(&self) -> &'static str {
        "leaky_relu"
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
        let (zero, alpha) = (T::zero(), T::of(self.alpha));
        backward_map("leaky_relu backward", z, a, da, dz, |z, _, g| {
            if z > zero { g } else { alpha * g }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    fn forward_values<T: Scalar>() {
        let z = [-3.0, -1e-3, 0.0, 1e-3, 2.5, -1e3];
        let want = [-0.03, -1e-5, 0.0, 1e-3, 2.5, -10.0];
        assert_close::<T>(&forward::<T>(&LeakyRelu::default(), 6, &z), &want);
        let want = [-0.6, -2e-4, 0.0, 1e-3, 2.5, -200.0];
        assert_close::<T>(&forward::<T>(&LeakyRelu::new(0.2), 3, &z), &want);
    }

    fn derivative_values<T: Scalar>() {
        let z = [-3.0, -1e-3, 0.0, 1e-3, 2.5, -1e3];
        let da = [5.0, 5.0, 5.0, -4.0, 0.5, 1.0];
        let want = [1.0, 1.0, 1.0, -4.0, 0.5, 0.2];
        assert_close::<T>(&backward::<T>(&LeakyRelu::new(0.2), 2, &z, &da), &want);
    }

    both_precisions!(forward_values, derivative_values);
}
