//! Portable vectors: arrays that the compiler vectorises for the baseline
//! target (SSE2 on x86-64). Multiply-adds are unfused (`a·b + c`), since a
//! fused `mul_add` without hardware support is a slow library call.

use super::simd::Simd;

macro_rules! portable {
    ($name:ident, $t:ty, $lanes:literal) => {
        /// Portable vector.
        pub(crate) struct $name;

        impl Simd for $name {
            type T = $t;
            type V = [$t; $lanes];
            const LANES: usize = $lanes;

            #[inline(always)]
            unsafe fn zero() -> Self::V {
                [0.0; $lanes]
            }
            #[inline(always)]
            unsafe fn splat(x: $t) -> Self::V {
                [x; $lanes]
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self::V {
                // SAFETY: the caller guarantees LANES readable elements.
                unsafe { p.cast::<Self::V>().read_unaligned() }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: Self::V) {
                // SAFETY: the caller guarantees LANES writable elements.
                unsafe { p.cast::<Self::V>().write_unaligned(v) }
            }
            #[inline(always)]
            unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] * b[i] + c[i])
            }
            #[inline(always)]
            unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] * b[i])
            }
            #[inline(always)]
            unsafe fn add(a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] + b[i])
            }
            #[inline(always)]
            unsafe fn hsum(v: Self::V) -> $t {
                v.iter().fold(0.0, |s, &x| s + x)
            }
        }
    };
}

portable!(F32x4, f32, 4);
portable!(F64x2, f64, 2);
