//! The [`Scalar`] trait: the element types a network can be built from.

use crate::gemm::Gemm;
use nalgebra::RealField;
use std::fmt::{Debug, Display};

/// A floating-point element type: implemented for `f32` (the fast default) and
/// `f64` (for gradient checks).
///
// RealField is simba's, re-exported by nalgebra: an intra-doc link to it
// is left as text by `cargo doc --no-deps`, which has no pages for simba.
/// It adds to nalgebra's
/// [`RealField`](https://docs.rs/nalgebra/latest/nalgebra/trait.RealField.html)
/// the conversions the library needs and a
/// raw entry into the crate's own matrix product (packed and blocked, AVX2+FMA
/// kernels chosen at run time, packing buffers reused per thread so that it
/// does not allocate after warm-up), so products can pass arbitrary strides
/// (and so never copy a transpose).
///
/// ```
/// use backprop_tensor::Scalar;
/// fn half<T: Scalar>(x: T) -> T { x * T::of(0.5) }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(f64::NAME, "f64");
/// ```
pub trait Scalar:
    RealField + Copy + Default + Debug + Display + PartialOrd + Send + Sync + 'static
{
    /// The type's name as written in Rust (`"f32"` or `"f64"`).
    const NAME: &'static str;
    /// Size of one element in bytes.
    const BYTES: usize;

    /// Converts from `f64` (rounding for `f32`): `T::of(0.5)`.
    fn of(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn as_f64(self) -> f64;
    /// Converts a count to this type.
    fn of_usize(v: usize) -> Self {
        Self::of(v as f64)
    }
    /// The largest finite value.
    fn largest() -> Self;
    /// Machine epsilon.
    fn machine_epsilon() -> Self;

    /// `C ← α·A·B + β·C`, with every operand given by a pointer and its row
    /// and column strides (in elements).
    ///
    /// `A` is `m×k`, `B` is `k×n`, `C` is `m×n`. With `beta == 0` the old
    /// contents of `C` are never read; with `k == 0` or `alpha == 0`, `A` and
    /// `B` are not read. After the first call of a given size and element
    /// type (per thread), no call of the same or a smaller size allocates:
    /// the packing buffers are kept in a per-thread workspace.
    ///
    /// # Safety
    /// The pointers must be valid for the `m×k`, `k×n` and `m×n` index ranges
    /// that the strides describe, `c` must not alias `a` or `b`, and when
    /// `beta == 0` the contents of `c` may be uninitialised.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_scalar {
    ($t:ty, $gemm:path) => {
        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);
            const BYTES: usize = std::mem::size_of::<$t>();

            #[inline]
            fn of(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn largest() -> Self {
                <$t>::MAX
            }
            #[inline]
            fn machine_epsilon() -> Self {
                <$t>::EPSILON
            }

            #[inline]
            unsafe fn gemm_raw(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                let g = Gemm {
                    m,
                    k,
                    n,
                    alpha,
                    a,
                    rsa,
                    csa,
                    b,
                    rsb,
                    csb,
                    beta,
                    c,
                    rsc,
                    csc,
                    a_packed: std::ptr::null(),
                    sparse_b: false,
                };
                // SAFETY: forwarded verbatim; the caller upholds the contract.
                unsafe { $gemm(g) }
            }
        }
    };
}

impl_scalar!(f32, crate::gemm::sgemm);
impl_scalar!(f64, crate::gemm::dgemm);
