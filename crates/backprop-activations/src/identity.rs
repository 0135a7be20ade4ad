//! The identity activation.

use crate::Activation;
use crate::kernel::check_backward;
use backprop_tensor::ops::copy_into;
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Identity (a linear output layer): `g(z) = z`, `g′(z) = 1`, so `dZ = dA`.
///
/// ```
/// use backprop_activations::{Activation, Identity};
/// use backprop_tensor::DMatrix;
/// let z = DMatrix::from_column_slice(3, 1, &[-1.5_f64, 0.0, 2.0]);
/// let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// Identity.forward(&z, &mut a);
/// assert_eq!(a.as_slice(), &[-1.5, 0.0, 2.0]);
/// let da = DMatrix::from_column_slice(3, 1, &[0.25, -1.0, 4.0]);
/// Identity.backward(&z, &a, &da, &mut dz)?;
/// assert_eq!(dz.as_slice(), &[0.25, -1.0, 4.0]);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Identity;

impl<T: Scalar> Activation<T> for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn forward(&self, z: &DMatrix<T>, a: &mut DMatrix<T>) {
        copy_into(z, a);
    }

    fn backward(
        &self,
        z: &DMatrix<T>,
        a: &DMatrix<T>,
        da: &DMatrix<T>,
        dz: &mut DMatrix<T>,
    ) -> Result<(), TensorError> {
        check_backward("identity backward", z, a, da)?;
        copy_into(da, dz);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, backward, both_precisions, forward};

    fn forward_values<T: Scalar>() {
        let z = [-3.0, -0.5, 0.0, 0.5, 1e3];
        assert_close::<T>(&forward::<T>(&Identity, 5, &z), &z);
    }

    fn derivative_values<T: Scalar>() {
        let da = [1.0, -2.0, 0.5, 3.0];
        assert_close::<T>(
            &backward::<T>(&Identity, 2, &[-1.0, 0.0, 2.0, 7.0], &da),
            &da,
        );
    }

    both_precisions!(forward_values, derivative_values);
}
