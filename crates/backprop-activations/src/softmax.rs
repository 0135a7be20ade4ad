//! Softmax over each column (each sample).

use crate::Activation;
use crate::kernel::check_backward;
use backprop_tensor::ops::resize;
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Softmax of each column: `a_i = e^{z_i − m} / Σ_j e^{z_j − m}` with `m` the
/// column's maximum (subtracting it changes nothing mathematically and keeps
/// every exponential in `(0, 1]`, so `z = ±1000` is fine).
///
/// Its Jacobian is `∂a_i/∂z_j = a_i·(δ_ij − a_j)`, so the backward pass is the
/// exact Jacobian-vector product of each column, with no Jacobian formed:
/// `dZ = A ⊙ (dA − Σ_i a_i·dA_i)` (the sum taken per column). Backward reads
/// `A`.
///
/// A column that is entirely `−∞` (or holds a NaN or `+∞`) comes out NaN.
///
/// ```
/// use backprop_activations::{Activation, Softmax};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 2, &[1.0_f64, 2.0, 3.0, 0.0, 0.0, 0.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Softmax.forward(&z, &mut a);
/// assert!((a[(2, 0)] - 0.6652409557748219).abs() < 1e-15);
/// assert!((a[(0, 1)] - 1.0 / 3.0).abs() < 1e-15);
/// assert!((a.column(0).sum() - 1.0).abs() < 1e-15);
/// // A gradient that is the same on every class changes nothing.
/// let da = DMatrix::from_element(3, 2, 5.0);
/// Softmax.backward(&z, &a, &da, &mut dz)?;
/// assert!(dz.iter().all(|g| g.abs() < 1e-14));
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Softmax;

impl<T: Scalar> Activation<T> for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }

    fn forward(&self, z: &DMatrix<T>, a: &mut DMatrix<T>) {
        let rows = z.nrows();
        resize(a, rows, z.ncols());
        if rows == 0 {
            return;
        }
        let columns = z
            .as_slice()
            .chunks_exact(rows)
            .zip(a.as_mut_slice().chunks_exact_mut(rows));
        for (zc, ac) in columns {
            let m = zc.iter().fold(T::of(f64::NEG_INFINITY), |m, &x| m.max(x));
            let mut sum = T::zero();
            for (o, &x) in ac.iter_mut().zip(zc) {
                let e = (x - m).exp();
                *o = e;
                sum += e;
            }
            // sum ≥ 1: the maximum contributes e⁰.
            let inv = T::one() / sum;
            for o in ac.iter_mut() {
                *o *= inv;
            }
        }
    }

    fn backward(
        &self,
        z: &DMatrix<T>,
        a: &DMatrix<T>,
        da: &DMatrix<T>,
        dz: &mut DMatrix<T>,
    ) -> Result<(), TensorError> {
        check_backward("softmax backward", z, a, da)?;
        let rows = z.nrows();
        resize(dz, rows, z.ncols());
        if rows == 0 {
            return Ok(());
        }
        let columns = a
            .as_slice()
            .chunks_exact(rows)
            .zip(da.as_slice().chunks_exact(rows));
        for (dzc, (ac, gc)) in dz.as_mut_slice().chunks_exact_mut(rows).zip(columns) {
            let dot = ac.iter().zip(gc).fold(T::zero(), |s, (&a, &g)| s + a * g);
            for ((o, &a), &g) in dzc.iter_mut().zip(ac).zip(gc) {
                *o = a * (g - dot);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    // softmax(1, 2, 3) from mpmath, rounded to f64.
    const P: [f64; 3] = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];

    fn forward_values<T: Scalar>() {
        // Columns: (1, 2, 3); the same shifted by 1000 (identical result);
        // uniform; one dominant entry.
        let z = [
            1.0, 2.0, 3.0, 1001.0, 1002.0, 1003.0, 0.0, 0.0, 0.0, 1e3, -1e3, 0.0,
        ];
        let third = 1.0 / 3.0;
        let want = [
            P[0], P[1], P[2], P[0], P[1], P[2], third, third, third, 1.0, 0.0, 0.0,
        ];
        assert_close::<T>(&forward::<T>(&Softmax, 3, &z), &want);
        // A single row is always 1.
        assert_close::<T>(
            &forward::<T>(&Softmax, 1, &[-5.0, 0.0, 7.0]),
            &[1.0, 1.0, 1.0],
        );
    }

    fn derivative_values<T: Scalar>() {
        // dA = (1, 0, −1): dZ_i = p_i·(dA_i − Σ p·dA).
        let want = [
            0.14181709360981215,
            0.14077035746963013,
            -0.2825874510794423,
        ];
        assert_close::<T>(
            &backward::<T>(&Softmax, 3, &[1.0, 2.0, 3.0], &[1.0, 0.0, -1.0]),
            &want,
        );
        // Columns are independent: the second column's dA does not leak into the first.
        let got = backward::<T>(
            &Softmax,
            3,
            &[1.0, 2.0, 3.0, 0.0, 0.0, 0.0],
            &[1.0, 0.0, -1.0, 3.0, 0.0, 0.0],
        );
        let want = [want[0], want[1], want[2], 2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0];
        assert_close::<T>(&got, &want);
    }

    both_precisions!(forward_values, derivative_values);
}
