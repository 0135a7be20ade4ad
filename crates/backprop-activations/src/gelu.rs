//! The Gaussian error linear unit, tanh approximation.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use crate::sigmoid::logistic;
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// `2·√(2/π)`.
const TWO_SQRT_2_OVER_PI: f64 = 1.595_769_121_605_730_8;
/// The cubic coefficient of the approximation.
const CUBIC: f64 = 0.044_715;
/// Beyond `|z| = 25`, `2u > 1150` and `e^{−2|u|}` underflows to exactly `0`
/// in `f32` and `f64`, so `σ(2u)` is exactly `0` or `1` and its derivative
/// exactly `0` either way. Clamping the polynomial there changes no result and
/// keeps `z³` from overflowing (which would make `0·∞ = NaN` in the
/// derivative for huge `|z|`).
const CLAMP: f64 = 25.0;

/// GELU, tanh approximation (PyTorch's `approximate='tanh'`):
///
/// `g(z) = ½·z·(1 + tanh u)`, with `u = √(2/π)·(z + 0.044715·z³)`;
///
/// `g′(z) = ½·(1 + tanh u) + ½·z·(1 − tanh² u)·u′`, with
/// `u′ = √(2/π)·(1 + 3·0.044715·z²)`.
///
/// Evaluated through the identity `½·(1 + tanh u) = σ(2u)`, so
/// `g(z) = z·σ(2u)` and `g′(z) = σ(2u) + z·σ(2u)·(1 − σ(2u))·2u′`, with the
/// sigmoid computed as [`Sigmoid`](crate::Sigmoid) does: one exponential, and
/// no cancellation in `1 + tanh u` for negative `z`. Backward reads `Z`
/// (recovering `σ(2u)` from `A` would divide by `z`).
///
/// ```
/// use backprop_activations::{Activation, Gelu};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-1.0_f64, 0.0, 1.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Gelu.forward(&z, &mut a);
/// assert!((a[0] + 0.1588080093917233).abs() < 1e-15);
/// assert!((a[2] - 0.8411919906082767).abs() < 1e-15);
/// let da = DMatrix::from_element(3, 1, 1.0);
/// Gelu.backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[0] + 0.08296408384578256).abs() < 1e-15 && dz[1] == 0.5);
/// assert!((dz[2] - 1.0829640838457826).abs() < 1e-15);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gelu;

impl Gelu {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        let one = T::one();
        let (k2, c, lim) = (T::of(TWO_SQRT_2_OVER_PI), T::of(CUBIC), T::of(CLAMP));
        move |z: T| {
            let x = z.clamp(-lim, lim);
            z * logistic(k2 * x * (one + c * x * x)).0
        }
    }
}

impl<T: Scalar> Activation<T> for Gelu {
    fn name(&self) -> &'static str {
        "gelu"
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
        let (k2, c, c3, lim) = (
            T::of(TWO_SQRT_2_OVER_PI),
            T::of(CUBIC),
            T::of(3.0 * CUBIC),
            T::of(CLAMP),
        );
        backward_map("gelu backward", z, a, da, dz, |z, _, g| {
            let x = z.clamp(-lim, lim);
            let x2 = x * x;
            let (s, ds) = logistic(k2 * x * (one + c * x2));
            g * (s + x * ds * k2 * (one + c3 * x2))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    // z, g(z), g'(z) from mpmath, rounded to f64.
    const TABLE: [(f64, f64, f64); 5] = [
        (1.0, 0.8411919906082767, 1.0829640838457826),
        (-1.0, -0.1588080093917233, -0.08296408384578255),
        (2.0, 1.954597694087775, 1.0860992566236183),
        (-3.0, -0.003637392081773019, -0.011584166630969726),
        (0.5, 0.34571400982514394, 0.8673699035346423),
    ];

    fn forward_values<T: Scalar>() {
        let z: Vec<f64> = TABLE.iter().map(|r| r.0).chain([0.0, 1e3, -1e3]).collect();
        let want: Vec<f64> = TABLE.iter().map(|r| r.1).chain([0.0, 1e3, 0.0]).collect();
        assert_close::<T>(&forward::<T>(&Gelu, 8, &z), &want);
        // Far past the clamp the linear factor is still the true z.
        assert_eq!(forward::<T>(&Gelu, 1, &[1e30])[0], T::of(1e30).as_f64());
        // The left tail keeps its relative precision (no `1 + tanh u` cancellation).
        let tail = forward::<T>(&Gelu, 1, &[-5.0, -8.0]);
        for (got, want) in tail
            .iter()
            .zip([-2.291796196629506e-7, -3.1077829375011112e-21])
        {
            assert!(
                (got / want - 1.0).abs() < 64.0 * T::machine_epsilon().as_f64(),
                "{got} vs {want}"
            );
        }
    }

    fn derivative_values<T: Scalar>() {
        let z: Vec<f64> = TABLE
            .iter()
            .map(|r| r.0)
            .chain([0.0, 1e3, -1e3, 1e30])
            .collect();
        let da = vec![1.0; z.len()];
        let want: Vec<f64> = TABLE
            .iter()
            .map(|r| r.2)
            .chain([0.5, 1.0, 0.0, 1.0])
            .collect();
        assert_close::<T>(&backward::<T>(&Gelu, 1, &z, &da), &want);
        let tail = backward::<T>(&Gelu, 1, &[-5.0, -8.0], &[1.0, 1.0]);
        for (got, want) in tail
            .iter()
            .zip([-1.5463619875325946e-6, -4.7147845041068414e-20])
        {
            assert!(
                (got / want - 1.0).abs() < 64.0 * T::machine_epsilon().as_f64(),
                "{got} vs {want}"
            );
        }
        // Past the clamp the derivative is exactly 1 or 0.
        let far = backward::<T>(&Gelu, 1, &[25.0, 30.0, -25.0, -30.0, -1e30], &[1.0; 5]);
        assert_eq!(far, [1.0, 1.0, 0.0, 0.0, 0.0]);
    }

    both_precisions!(forward_values, derivative_values);
}
