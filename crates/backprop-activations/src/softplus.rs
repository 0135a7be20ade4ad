//! The softplus function, a smooth ReLU.

use crate::Activation;
use crate::kernel::{backward_map, map_into};
use crate::sigmoid::logistic;
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Softplus: `g(z) = ln(1 + e^z)`, `g′(z) = σ(z) = 1 / (1 + e^{−z})`.
///
/// Computed as `max(z, 0) + ln_1p(e^{−|z|})`, which never overflows:
/// `g(1000) = 1000` and `g(−1000) = 0`, and the left tail keeps its relative
/// precision (`g(−20) ≈ 2.06e−9` to the last bit). Backward reads `Z` and
/// computes `σ(z)` as [`Sigmoid`](crate::Sigmoid) does (one exponential;
/// `1 − e^{−a}` from `A` would need the slower `exp_m1`).
///
/// ```
/// use backprop_activations::{Activation, Softplus};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-1.0_f64, 0.0, 1.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Softplus.forward(&z, &mut a);
/// assert!((a[1] - std::f64::consts::LN_2).abs() < 1e-15);
/// assert!((a[2] - 1.3132616875182228).abs() < 1e-15);
/// let da = DMatrix::from_element(3, 1, 1.0);
/// Softplus.backward(&z, &a, &da, &mut dz)?;
/// assert!((dz[0] - 0.2689414213699951).abs() < 1e-15 && (dz[1] - 0.5).abs() < 1e-15);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Softplus;

impl Softplus {
    /// `g` as a function of one entry: the formula [`forward`](Activation::forward)
    /// maps over a matrix and [`Elementwise`](crate::Elementwise) over the
    /// product's write-back (one formula, so the same bits).
    #[inline(always)]
    pub(crate) fn g<T: Scalar>(self) -> impl Fn(T) -> T + Copy {
        let zero = T::zero();
        // `max` drops a NaN `z`, but `ln_1p(e^{NaN})` carries it.
        move |z: T| z.max(zero) + (-z.abs()).exp().ln_1p()
    }
}

impl<T: Scalar> Activation<T> for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
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
        backward_map("softplus backward", z, a, da, dz, |z, _, g| {
            g * logistic(z).0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    // z, g(z), g'(z) from mpmath, rounded to f64.
    const TABLE: [(f64, f64, f64); 5] = [
        (0.0, std::f64::consts::LN_2, 0.5),
        (1.0, 1.3132616875182228, 0.7310585786300049),
        (-1.0, 0.3132616875182228, 0.2689414213699951),
        (3.0, 3.048587351573742, 0.9525741268224333),
        (-20.0, 2.061153620314381e-09, 2.0611536181902037e-09),
    ];

    fn forward_values<T: Scalar>() {
        let z: Vec<f64> = TABLE.iter().map(|r| r.0).chain([1e3, -1e3]).collect();
        let want: Vec<f64> = TABLE.iter().map(|r| r.1).chain([1e3, 0.0]).collect();
        assert_close::<T>(&forward::<T>(&Softplus, 7, &z), &want);
        // The left tail keeps its relative precision.
        let tail = forward::<T>(&Softplus, 1, &[-20.0])[0];
        assert!(
            (tail / TABLE[4].1 - 1.0).abs() < 8.0 * T::machine_epsilon().as_f64(),
            "{tail}"
        );
        assert!(forward::<T>(&Softplus, 1, &[f64::NAN])[0].is_nan());
    }

    fn derivative_values<T: Scalar>() {
        let z: Vec<f64> = TABLE.iter().map(|r| r.0).chain([1e3, -1e3]).collect();
        let da: Vec<f64> = (0..z.len()).map(|i| 1.0 + i as f64).collect();
        let want: Vec<f64> = TABLE
            .iter()
            .map(|r| r.2)
            .chain([1.0, 0.0])
            .zip(&da)
            .map(|(d, g)| d * g)
            .collect();
        assert_close::<T>(&backward::<T>(&Softplus, 1, &z, &da), &want);
        let tail = backward::<T>(&Softplus, 1, &[-20.0], &[1.0])[0];
        assert!(
            (tail / TABLE[4].2 - 1.0).abs() < 8.0 * T::machine_epsilon().as_f64(),
            "{tail}"
        );
    }

    both_precisions!(forward_values, derivative_values);
}
