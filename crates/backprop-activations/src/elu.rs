//! The exponential linear unit.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// ELU: `g(z) = z` if `z > 0` else `α·(e^z − 1)`; `g′(z) = 1` if `z > 0`
/// else `α·e^z = g(z) + α`.
///
/// The negative branch uses `exp_m1`, accurate for small `|z|`. Backward reads
/// `Z` for the branch and `A` for the slope, so it needs no exponential.
/// The usual `α` is `1` ([`Elu::default`]).
///
/// ```
/// use backprop_activations::{Activation, Elu};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-1.0_f64, 0.0, 2.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Elu::default().forward(&z, &mut a);
/// assert!((a[0] + 0.6321205588285577).abs() < 1e-15 && a[1] == 0.0 && a[2] == 2.0);
/// let da = DMatrix::from_element(3, 1, 1.0);
/// Elu::default().backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[0] - 0.36787944117144233).abs() < 1e-15 && dz[1] == 1.0 && dz[2] == 1.0);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elu {
    /// Scale `α` of the negative branch (its limit is `−α`).
    pub alpha: f64,
}

impl Elu {
    /// The `α` PyTorch and Keras use by default.
    pub const DEFAULT_ALPHA: f64 = 1.0;

    /// An ELU with scale `alpha` for the negative branch.
    pub const fn new(alpha: f64) -> Self {
        Self { alpha }
    }
}

impl Default for Elu {
    /// `α = 1`.
    fn default() -> Self {
        Self::new(Self::DEFAULT_ALPHA)
    }
}

impl Elu {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        let (zero, alpha) = (T::zero(), T::of(self.alpha));
        move |z: T| if z > zero { z } else { alpha * z.exp_m1() }
    }
}

impl<T: Scalar> Activation<T> for Elu {
    fn name(&self) -> &'static str {
        "elu"
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
        backward_map("elu backward", z, a, da, dz, |z, a, g| {
            if z > zero { g } else { g * (a + alpha) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    const EM1: f64 = 0.36787944117144233; // e^{-1}
    const EM2: f64 = 0.1353352832366127; // e^{-2}

    fn forward_values<T: Scalar>() {
        let z = [-1.0, -2.0, 0.0, 1.5, -1e3];
        let want = [EM1 - 1.0, EM2 - 1.0, 0.0, 1.5, -1.0];
        assert_close::<T>(&forward::<T>(&Elu::default(), 5, &z), &want);
        let want = [0.5 * (EM1 - 1.0), 0.5 * (EM2 - 1.0), 0.0, 1.5, -0.5];
        assert_close::<T>(&forward::<T>(&Elu::new(0.5), 5, &z), &want);
        // exp_m1 keeps relative precision near zero.
        let tiny = forward::<T>(&Elu::default(), 1, &[-1e-6])[0];
        assert!((tiny / -9.999995000001667e-7 - 1.0).abs() < 1e-6, "{tiny}");
    }

    fn derivative_values<T: Scalar>() {
        let z = [-1.0, -2.0, 0.0, 1.5, -1e3];
        let da = [1.0, 2.0, 1.0, -3.0, 1.0];
        let want = [EM1, 2.0 * EM2, 1.0, -3.0, 0.0];
        assert_close::<T>(&backward::<T>(&Elu::default(), 5, &z, &da), &want);
        let want = [0.5 * EM1, EM2, 0.5, -3.0, 0.0];
        assert_close::<T>(&backward::<T>(&Elu::new(0.5), 5, &z, &da), &want);
    }

    both_precisions!(forward_values, derivative_values);
}
