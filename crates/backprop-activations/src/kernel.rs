//! The two loops every elementwise activation is made of.
//!
//! Both walk the column-major storage with zipped slice iterators, so there
//! are no per-element bounds checks and, when `f` is plain arithmetic and
//! selects, the compiler vectorises the loop (for AVX2 where the CPU has
//! it). Large maps (a convolution's feature maps: LeNet-5's first ReLU sees
//! 6·28·28·64 values per batch) are cut into chunks for the pool's threads;
//! every element is computed the same way whoever computes it. Neither
//! allocates unless the output has to grow.

use backprop_tensor::ops::{check_shape, resize, simd};
use backprop_tensor::threads::for_each_chunk_mut;
use backprop_tensor::{DMatrix, Scalar, TensorError};

/// Maps shorter than twice this run on one thread: below it the pass takes
/// about as long as handing half of it to another thread.
const PARALLEL_MIN_ELEMENTS: usize = 32 * 1024;

/// Chunk boundaries at multiples of 16 elements (a cache line of `f32`).
const ALIGN: usize = 16;

/// `out[i] = f(x[i])`, `out` resized to `x`'s shape.
#[inline]
pub(crate) fn map_into<T: Scalar>(x: &DMatrix<T>, out: &mut DMatrix<T>, f: impl Fn(T) -> T + Sync) {
    resize(out, x.nrows(), x.ncols());
    let x = x.as_slice();
    for_each_chunk_mut([out.as_mut_slice()], ALIGN, PARALLEL_MIN_ELEMENTS, &|start,
                                                                             [
        out,
    ]| {
        let x = &x[start..start + out.len()];
        simd(|| {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = f(v);
            }
        })
    });
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
    f: impl Fn(T, T, T) -> T + Sync,
) -> Result<(), TensorError> {
    check_backward(op, z, a, da)?;
    resize(dz, z.nrows(), z.ncols());
    let (z, a, da) = (z.as_slice(), a.as_slice(), da.as_slice());
    for_each_chunk_mut([dz.as_mut_slice()], ALIGN, PARALLEL_MIN_ELEMENTS, &|start,
                                                                            [
        dz,
    ]| {
        let end = start + dz.len();
        let inputs = z[start..end]
            .iter()
            .zip(&a[start..end])
            .zip(&da[start..end]);
        simd(|| {
            for (o, ((&zi, &ai), &gi)) in dz.iter_mut().zip(inputs) {
                *o = f(zi, ai, gi);
            }
        })
    });
    Ok(())
}
