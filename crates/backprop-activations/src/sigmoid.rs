//! The logistic sigmoid.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Logistic sigmoid: `σ(z) = 1 / (1 + e^{−z})`, `σ′(z) = σ(z)·(1 − σ(z))`.
///
/// Computed as `1 / (1 + e)` for `z ≥ 0` and `e / (1 + e)` for `z < 0` with
/// `e = e^{−|z|} ∈ (0, 1]`, so no exponential overflows: `σ(±1000)` is
/// exactly `1` and `0`, in `f32` as in `f64`, and the gradient there is `0`.
/// Backward reads `A`: `dZ = dA ⊙ A ⊙ (1 − A)`.
///
/// ```
/// use backprop_activations::{Activation, Sigmoid};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-2.0_f64, 0.0, 2.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Sigmoid.forward(&z, &mut a);
/// assert!((a[0] - 0.11920292202211755).abs() < 1e-15);
/// assert_eq!(a[1], 0.5);
/// assert!((a[2] - 0.8807970779778824).abs() < 1e-15);
/// let da = DMatrix::from_element(3, 1, 1.0);
/// Sigmoid.backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[0] - 0.10499358540350652).abs() < 1e-15);
/// assert_eq!(dz[1], 0.25);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sigmoid;

/// `(σ(z), σ(z)·(1 − σ(z)))`, neither overflowing nor cancelling.
///
/// With `e = e^{−|z|} ∈ (0, 1]` and `r = 1 / (1 + e)`: `σ(z) = r` for `z ≥ 0`
/// and `e·r` for `z < 0`, and in both cases `σ(z)·(1 − σ(z)) = e·r²`. Shared
/// with Softplus (whose derivative is `σ`) and GELU (`½(1 + tanh u) = σ(2u)`).
#[inline(always)]
pub(crate) fn logistic<T: Scalar>(z: T) -> (T, T) {
    let one = T::one();
    let e = (-z.abs()).exp();
    let r = one / (one + e);
    let s = if z >= T::zero() { r } else { e * r };
    (s, e * r * r)
}

impl Sigmoid {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        |z| logistic(z).0
    }
}

impl<T: Scalar> Activation<T> for Sigmoid {
    fn name(&self) -> &'static str {
        "sigmoid"
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
        backward_map("sigmoid backward", z, a, da, dz, |_, a, g| {
            g * a * (one - a)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    fn forward_values<T: Scalar>() {
        let z = [-2.0, 0.0, 2.0, -1e3, 1e3, -40.0];
        let want = [
            0.11920292202211756,
            0.5,
            0.8807970779778824,
            0.0,
            1.0,
            4.248354255291589e-18,
        ];
        assert_close::<T>(&forward::<T>(&Sigmoid, 3, &z), &want);
        // Far in the left tail the value keeps full relative precision (f64).
        if T::NAME == "f64" {
            let got = forward::<T>(&Sigmoid, 1, &[-40.0])[0];
            assert!((got / 4.248354255291589e-18 - 1.0).abs() < 1e-14, "{got}");
        }
    }

    fn derivative_values<T: Scalar>() {
        let z = [-2.0, 0.0, 2.0, 1e3];
        let da = [1.0, 1.0, -3.0, 1.0];
        let want = [0.10499358540350652, 0.25, -3.0 * 0.10499358540350652, 0.0];
        assert_close::<T>(&backward::<T>(&Sigmoid, 4, &z, &da), &want);
    }

    both_precisions!(forward_values, derivative_values);
}
