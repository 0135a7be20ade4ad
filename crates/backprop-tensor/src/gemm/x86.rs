//! AVX2 + FMA: 256-bit registers, fused multiply-adds.
//!
//! The `Simd` instantiations for CPUs with AVX2 and FMA, and the
//! `#[target_feature]` wrappers through which every use of them is compiled
//! for those features (reached only behind the run-time check).

use super::generic::gemm_generic;
use super::pack::pack_whole_a;
use super::product::Gemm;
use super::simd::Simd;
use std::arch::x86_64::*;

/// Eight `f32` lanes.
pub(crate) struct F32x8;
/// Four `f64` lanes.
pub(crate) struct F64x4;

/// For each 8-bit mask, the positions of its set bits in increasing order
/// (then zeros), one byte each: the permutation that gathers an 8-lane
/// vector's selected lanes to its front.
static COMPRESS: [u64; 256] = compress_table();

const fn compress_table() -> [u64; 256] {
    let mut table = [0; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut bit, mut n, mut entry) = (0, 0, 0u64);
        while bit < 8 {
            if mask & (1 << bit) != 0 {
                entry |= (bit as u64) << (8 * n);
                n += 1;
            }
            bit += 1;
        }
        table[mask] = entry;
        mask += 1;
    }
    table
}

// SAFETY (every method below): the trait's contract — these only run on
// CPUs with AVX2 and FMA (they are reached only through the wrappers at
// the bottom, behind the run-time check), and the caller guarantees the
// LANES elements behind each pointer.
impl Simd for F32x8 {
    type T = f32;
    type V = __m256;
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> __m256 {
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn compress_nonzero(
        p: *const f32,
        base: u32,
        depths: *mut u32,
        values: *mut f32,
    ) -> usize {
        // The mask's set lanes gathered to the front by one permutation
        // from a table (`COMPRESS`): no branch on the values.
        unsafe {
            let v = _mm256_loadu_ps(p);
            let ne = _mm256_cmp_ps::<_CMP_NEQ_UQ>(v, _mm256_setzero_ps());
            let mask = _mm256_movemask_ps(ne) as usize;
            let order = _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                COMPRESS.as_ptr().add(mask).cast::<__m128i>(),
            ));
            _mm256_storeu_ps(values, _mm256_permutevar8x32_ps(v, order));
            let at = _mm256_add_epi32(order, _mm256_set1_epi32(base as i32));
            _mm256_storeu_si256(depths.cast::<__m256i>(), at);
            mask.count_ones() as usize
        }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
            _mm_cvtss_f32(s)
        }
    }
    #[inline(always)]
    unsafe fn transpose(src: *const f32, rs: isize, dst: *mut f32, ds: usize) {
        unsafe {
            let mut r = [_mm256_setzero_ps(); 8];
            for (i, v) in r.iter_mut().enumerate() {
                *v = _mm256_loadu_ps(src.offset(i as isize * rs));
            }
            // Interleave pairs of rows, then pairs of pairs, then halves.
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let cols = [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ];
            for (j, &c) in cols.iter().enumerate() {
                _mm256_storeu_ps(dst.add(j * ds), c);
            }
        }
    }
}

impl Simd for F64x4 {
    type T = f64;
    type V = __m256d;
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn zero() -> __m256d {
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m256d {
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        unsafe { _mm256_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn fma(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256d) -> f64 {
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
            let s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
            _mm_cvtsd_f64(s)
        }
    }
    #[inline(always)]
    unsafe fn transpose(src: *const f64, rs: isize, dst: *mut f64, ds: usize) {
        unsafe {
            let mut r = [_mm256_setzero_pd(); 4];
            for (i, v) in r.iter_mut().enumerate() {
                *v = _mm256_loadu_pd(src.offset(i as isize * rs));
            }
            let t0 = _mm256_unpacklo_pd(r[0], r[1]);
            let t1 = _mm256_unpackhi_pd(r[0], r[1]);
            let t2 = _mm256_unpacklo_pd(r[2], r[3]);
            let t3 = _mm256_unpackhi_pd(r[2], r[3]);
            let cols = [
                _mm256_permute2f128_pd::<0x20>(t0, t2),
                _mm256_permute2f128_pd::<0x20>(t1, t3),
                _mm256_permute2f128_pd::<0x31>(t0, t2),
                _mm256_permute2f128_pd::<0x31>(t1, t3),
            ];
            for (j, &c) in cols.iter().enumerate() {
                _mm256_storeu_pd(dst.add(j * ds), c);
            }
        }
    }
}

/// The `f32` product compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA; the [`super::sgemm`] contract holds.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn sgemm_avx2(g: Gemm<f32>) {
    // SAFETY: forwarded contract.
    unsafe { gemm_generic::<F32x8>(g) }
}

/// [`pack_whole_a`] for `f32`, compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA; the [`pack_whole_a`] contract holds.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn spack_whole_a_avx2(g: &Gemm<f32>, dst: *mut f32, room: usize) -> bool {
    // SAFETY: forwarded contract.
    unsafe { pack_whole_a::<F32x8>(g, dst, room) }
}

/// [`pack_whole_a`] for `f64`, compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA; the [`pack_whole_a`] contract holds.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dpack_whole_a_avx2(g: &Gemm<f64>, dst: *mut f64, room: usize) -> bool {
    // SAFETY: forwarded contract.
    unsafe { pack_whole_a::<F64x4>(g, dst, room) }
}

/// The `f64` product compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA; the [`super::dgemm`] contract holds.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dgemm_avx2(g: Gemm<f64>) {
    // SAFETY: forwarded contract.
    unsafe { gemm_generic::<F64x4>(g) }
}
