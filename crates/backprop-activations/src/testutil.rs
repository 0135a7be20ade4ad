//! Helpers for the unit tests: run an activation on `f64` literals in either
//! precision and compare with reference values.

use crate::Activation;
use backprop_tensor::{DMatrix, Scalar};

fn matrix<T: Scalar>(rows: usize, values: &[f64]) -> DMatrix<T> {
    DMatrix::from_iterator(rows, values.len() / rows, values.iter().map(|&v| T::of(v)))
}

/// `g(Z)` for a `rows × (len/rows)` matrix given column-major.
pub(crate) fn forward<T: Scalar>(act: &dyn Activation<T>, rows: usize, z: &[f64]) -> Vec<f64> {
    let mut a = DMatrix::zeros(0, 0);
    act.forward(&matrix::<T>(rows, z), &mut a);
    a.iter().map(|v| v.as_f64()).collect()
}

/// `dZ` for `Z` and `dA`, with `A = g(Z)` computed by the same activation.
pub(crate) fn backward<T: Scalar>(
    act: &dyn Activation<T>,
    rows: usize,
    z: &[f64],
    da: &[f64],
) -> Vec<f64> {
    let z = matrix::<T>(rows, z);
    let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    act.forward(&z, &mut a);
    act.backward(&z, &a, &matrix(rows, da), &mut dz).unwrap();
    dz.iter().map(|v| v.as_f64()).collect()
}

/// Every entry within `16·ε_T·max(1, |want|)` of the reference.
pub(crate) fn assert_close<T: Scalar>(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    let eps = T::machine_epsilon().as_f64();
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = 16.0 * eps * w.abs().max(1.0);
        assert!(
            (g - w).abs() <= tol,
            "{}: entry {i}: got {g}, want {w} (tol {tol:e})",
            T::NAME
        );
    }
}

/// Turns generic test functions `fn name<T: Scalar>()` into `#[test]`s in
/// `in_f32` and `in_f64`.
macro_rules! both_precisions {
    ($($name:ident),* $(,)?) => {
        mod in_f32 {
            $(#[test] fn $name() { super::$name::<f32>() })*
        }
        mod in_f64 {
            $(#[test] fn $name() { super::$name::<f64>() })*
        }
    };
}
pub(crate) use both_precisions;
