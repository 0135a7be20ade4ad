//! The two loops every elementwise activation is made of.
//!
//! Both walk the column-major storage with zipped slice iterators, so there
//! are no per-element bounds checks and, when `f` is plain arithmetic and
//! selects, the compiler vectorises the loop. Neither allocates unless the
//! output has to grow.

use backprop_tensor::ops::{check_shape, resize};
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// `out[i] = f(x[i])`, `out` resized to `x`'s shape.
#[inline]
pub(crate) fn map_into<T: Scalar>(x: &DMatrix<T>, out: &mut DMatrix<T>, f: impl Fn(T) -> T) {
    resize(out, x.nrows(), x.ncols());
    for (o, &v) in out.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *o = f(v);
    }
}

/// Checks that `a` and `da` have `z`'s shape (`op` names the pass in the
/// error, e.g. `"relu backward"`).
#[inline]
pub(crate) fn check_backward<T: Scalar>(
    op: &'static str,
    z: &DMatrix<T>,
    a: &DMatrix<T>,
    da: &DMatrix<T>,
) -> Result<(), TensorError> {
    let shape = z.shape();
    check_shape(op, "A", a, shape)?;
    check_shape(op, "dA", da, shape)
}

/// Checks shapes, resizes `dz`, then `dz[i] = f(z[i], a[i], da[i])`.
///
/// A closure that ignores `z` or `a` costs nothing for it: the unused loads
/// are removed after inlining.
#[inline]
pub(crate) fn backward_map<T: Scalar>(
    op: &'static str,
    z: &DMatrix<T>,
    a: &DMatrix<T>,
    da: &DMatrix<T>,
    dz: &mut DMatrix<T>,
    f: impl Fn(T, T, T) -> T,
) -> Result<(), TensorError> {
    check_backward(op, z, a, da)?;
    resize(dz, z.nrows(), z.ncols());
    let inputs = z.as_slice().iter().zip(a.as_slice()).zip(da.as_slice());
    for (o, ((&zi, &ai), &gi)) in dz.as_mut_slice().iter_mut().zip(inputs) {
        *o = f(zi, ai, gi);
    }
    Ok(())
}
