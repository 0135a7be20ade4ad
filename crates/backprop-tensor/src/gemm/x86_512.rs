//! AVX-512F: 512-bit registers, for the `f32` blocked product.
//!
//! [`F32x16`] is [`F32x8`]'s twin with one 16-lane register where it has
//! two 8-lane ones: the micro-kernel is 32×6 instead of 16×6, the same
//! twelve accumulators, half the loads, broadcasts and fused multiply-adds
//! per FLOP. Every element of `C` is still the same chain of fused
//! multiply-adds over the depths in the same order, so the two kernels give
//! the same bits; only the instruction count differs. Matrix-vector
//! products (`n = 1` or `m = 1`) keep [`F32x8`]: their summation order
//! depends on the vector width, and keeping it makes single-sample results
//! independent of the instruction set too.

use super::generic::gemm_generic;
use super::pack::pack_whole_a;
use super::product::Gemm;
use super::simd::Simd;
use super::x86::F32x8;
use std::arch::x86_64::*;

/// Sixteen `f32` lanes.
pub(crate) struct F32x16;

// SAFETY (every method below): the trait's contract — these only run on
// CPUs with AVX-512F, AVX2 and FMA (they are reached only through the
// wrappers at the bottom, behind the run-time check), and the caller
// guarantees the LANES elements behind each pointer.
impl Simd for F32x16 {
    type T = f32;
    type V = __m512;
    const LANES: usize = 16;
    const TL: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> __m512 {
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn compress_nonzero(
        p: *const f32,
        base: u32,
        depths: *mut u32,
        values: *mut f32,
    ) -> usize {
        // Two halves through the AVX2 table (one code path on both).
        unsafe {
            let n = F32x8::compress_nonzero(p, base, depths, values);
            n + F32x8::compress_nonzero(p.add(8), base + 8, depths.add(n), values.add(n))
        }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m512) -> f32 {
        // Halves added pairwise down to one lane (used by no product here:
        // matrix-vector products run on `F32x8`).
        unsafe {
            let lo = _mm512_castps512_ps256(v);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
            F32x8::hsum(_mm256_add_ps(lo, hi))
        }
    }
    #[inline(always)]
    unsafe fn transpose(src: *const f32, rs: isize, dst: *mut f32, ds: usize) {
        // `TL = 8`: the 8×8 in-register transpose of AVX2.
        unsafe { F32x8::transpose(src, rs, dst, ds) }
    }
}

/// The `f32` product compiled for AVX-512F: blocked products through the
/// 32×6 kernel, matrix-vector products through [`F32x8`]'s.
///
/// # Safety
/// The CPU has AVX-512F, AVX2 and FMA; the [`super::sgemm`] contract holds.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn sgemm_avx512(g: Gemm<f32>) {
    // SAFETY: forwarded contract; the CPU runs both instantiations.
    unsafe {
        if g.n == 1 || g.m == 1 {
            gemm_generic::<F32x8>(g)
        } else {
            gemm_generic::<F32x16>(g)
        }
    }
}

/// [`pack_whole_a`] for `f32` in [`sgemm_avx512`]'s micro-panels.
///
/// # Safety
/// The CPU has AVX-512F, AVX2 and FMA; the [`pack_whole_a`] contract holds.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn spack_whole_a_avx512(g: &Gemm<f32>, dst: *mut f32, room: usize) -> bool {
    // SAFETY: forwarded contract. A matrix-vector product never has
    // `A` packed (`pack_whole_a` needs `MR ≤ m`, and slices of columns
    // of an `n = 1` product are never cut).
    unsafe { pack_whole_a::<F32x16>(g, dst, room) }
}
