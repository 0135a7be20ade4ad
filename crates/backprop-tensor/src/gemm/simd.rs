//! The small vector trait the arithmetic is written against once ([`Simd`]),
//! and the one CPU hint used outside it (a prefetch).

use super::product::Elem;

/// A short vector of `LANES` elements: a register, or an array the compiler
/// vectorises.
///
/// Every method is `unsafe`: the AVX2 implementations may only run on CPUs
/// that have AVX2 and FMA, and the loads and stores read and write `LANES`
/// elements through raw pointers.
pub(crate) trait Simd {
    /// The element.
    type T: Elem;
    /// The vector.
    type V: Copy;
    /// Elements per vector.
    const LANES: usize;
    /// Rows of the micro-kernel: two vectors.
    const MR: usize = 2 * Self::LANES;
    /// Side of the square blocks [`transpose`](Simd::transpose) turns
    /// (a divisor of `LANES`; `LANES` unless a narrower transpose is faster).
    const TL: usize = Self::LANES;

    /// All zeros.
    unsafe fn zero() -> Self::V;
    /// Every lane `x`.
    unsafe fn splat(x: Self::T) -> Self::V;
    /// Reads `LANES` consecutive elements (no alignment needed).
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// Writes `LANES` consecutive elements (no alignment needed).
    unsafe fn store(p: *mut Self::T, v: Self::V);
    /// `a·b + c` (fused where the CPU has it).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a·b`.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// `a + b`.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    unsafe fn hsum(v: Self::V) -> Self::T;
    /// Writes the nonzero elements among the `LANES` at `p`, in order, to
    /// `values`, and their offsets plus `base` to `depths`; returns how
    /// many. Writes up to `LANES` entries of each (those past the count
    /// are garbage), and does not branch on the values.
    #[inline(always)]
    unsafe fn compress_nonzero(
        p: *const Self::T,
        base: u32,
        depths: *mut u32,
        values: *mut Self::T,
    ) -> usize {
        // SAFETY: the caller guarantees LANES elements at p and LANES
        // entries at depths and values.
        unsafe { compress_each(p, Self::LANES, base, depths, values) }
    }
    /// Transposes a `TL×TL` block: `dst[j·ds + i] = src[i·rs + j]` for
    /// `i, j < TL` (rows of `src` and of `dst` are contiguous).
    #[inline(always)]
    unsafe fn transpose(src: *const Self::T, rs: isize, dst: *mut Self::T, ds: usize) {
        for j in 0..Self::TL {
            for i in 0..Self::TL {
                // SAFETY: the caller guarantees both blocks.
                unsafe { *dst.add(j * ds + i) = *src.offset(i as isize * rs + j as isize) };
            }
        }
    }
}

/// [`Simd::compress_nonzero`] element by element, for `len` elements: each
/// is written, and kept by advancing past it only when it is not zero (no
/// branch on the values). Returns how many were kept.
///
/// # Safety
/// `p` holds `len` elements; `depths` and `values` have room for `len`
/// entries.
#[inline(always)]
pub(super) unsafe fn compress_each<T: Elem>(
    p: *const T,
    len: usize,
    base: u32,
    depths: *mut u32,
    values: *mut T,
) -> usize {
    let mut e = 0;
    // SAFETY: i < len for every read and write (e ≤ i).
    unsafe {
        for i in 0..len {
            let v = *p.add(i);
            *depths.add(e) = base + i as u32;
            *values.add(e) = v;
            e += usize::from(v != T::ZERO);
        }
    }
    e
}

/// Asks the CPU to bring the cache line holding `p` into L1 (a hint: no
/// fault, whatever `p` is).
#[inline(always)]
pub(super) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch never
        // faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
