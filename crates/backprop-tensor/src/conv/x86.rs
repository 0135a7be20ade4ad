//! The implicit-GEMM micro-kernels of the `f32` convolution on x86-64 CPUs
//! with AVX2 and FMA (x86_512.rs has their AVX-512 twins; kernels.rs picks):
//! products whose im2col operand is read straight from the (padded) image
//! through a table of offsets, never written out.
//!
//! - [`channels_tile`]: 16 values along one axis (output channels) times 6
//!   along the other, `acc[t][o] += A[i][o] · X[v[i] + u[t]]` summed over
//!   `i`; the forward pass (`A` the packed weight, `i` a filter tap, `t` an
//!   output position) and the weight gradient (`A` the transposed `dZ`, `i`
//!   a position, `t` a tap) of layers with 8 or more output channels.
//! - [`positions_tile`]: 16 consecutive output positions of a padded-width
//!   grid times up to 6 output channels, the forward pass of layers with
//!   few output channels and stride 1.
//! - [`positions_dot`]: the matching weight gradient, one tap at a time.
//!
//! The accumulators are named registers (twelve `__m256`), as in the GEMM's
//! micro-kernel, and every sum runs in a fixed order: the same inputs give
//! the same bits on any thread.

use std::arch::x86_64::*;

/// Whether the CPU has AVX2 and FMA (detected once).
pub(super) fn available() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let yes = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            LEVEL.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        l => l == 2,
    }
}

/// `out[t·16 + o] = Σ_i a[i·16 + o] · x[v[i] + u[t]]` for `t < 6`, `o < 16`
/// (`u[6]`, `u[7]` are not read).
///
/// # Safety
/// AVX2 and FMA are available; `a` holds `16·n` values, `v` holds `n`
/// offsets, and `x[v[i] + u[t]]` is readable for every `i`, `t < 6`; `out`
/// holds 96 values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn channels_tile(
    n: usize,
    a: *const f32,
    v: *const usize,
    u: &[usize; 8],
    x: *const f32,
    out: *mut f32,
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let z = _mm256_setzero_ps();
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
        let (mut c30, mut c31, mut c40, mut c41, mut c50, mut c51) = (z, z, z, z, z, z);
        let (u0, u1, u2, u3, u4, u5) = (u[0], u[1], u[2], u[3], u[4], u[5]);
        let mut a = a;
        for i in 0..n {
            let a0 = _mm256_loadu_ps(a);
            let a1 = _mm256_loadu_ps(a.add(8));
            let xi = x.add(*v.add(i));
            let b = _mm256_broadcast_ss(&*xi.add(u0));
            c00 = _mm256_fmadd_ps(a0, b, c00);
            c01 = _mm256_fmadd_ps(a1, b, c01);
            let b = _mm256_broadcast_ss(&*xi.add(u1));
            c10 = _mm256_fmadd_ps(a0, b, c10);
            c11 = _mm256_fmadd_ps(a1, b, c11);
            let b = _mm256_broadcast_ss(&*xi.add(u2));
            c20 = _mm256_fmadd_ps(a0, b, c20);
            c21 = _mm256_fmadd_ps(a1, b, c21);
            let b = _mm256_broadcast_ss(&*xi.add(u3));
            c30 = _mm256_fmadd_ps(a0, b, c30);
            c31 = _mm256_fmadd_ps(a1, b, c31);
            let b = _mm256_broadcast_ss(&*xi.add(u4));
            c40 = _mm256_fmadd_ps(a0, b, c40);
            c41 = _mm256_fmadd_ps(a1, b, c41);
            let b = _mm256_broadcast_ss(&*xi.add(u5));
            c50 = _mm256_fmadd_ps(a0, b, c50);
            c51 = _mm256_fmadd_ps(a1, b, c51);
            a = a.add(16);
        }
        for (t, (lo, hi)) in [
            (c00, c01),
            (c10, c11),
            (c20, c21),
            (c30, c31),
            (c40, c41),
            (c50, c51),
        ]
        .into_iter()
        .enumerate()
        {
            _mm256_storeu_ps(out.add(16 * t), lo);
            _mm256_storeu_ps(out.add(16 * t + 8), hi);
        }
    }
}

/// A channels tile (`tile[t·16 + o]`, as [`channels_tile`] leaves it)
/// written transposed: `out[o·ld + t] = tile[t·16 + o] + bias[o]` for
/// `o < rows` (at most 16) and `t < cols` (at most 8), straight into the
/// output's channel-major layout (positions contiguous), through
/// in-register 8×8 transposes.
///
/// # Safety
/// AVX2 is available; `bias` holds `rows` values; `out[o·ld + t]` is
/// writable for `o < rows`, `t < cols`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn store_transposed(
    tile: &[f32; 128],
    bias: &[f32],
    out: *mut f32,
    ld: usize,
    (rows, cols): (usize, usize),
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let mask = _mm256_loadu_si256(MASKS[cols.min(8)].as_ptr().cast());
        for h in 0..2 {
            let r = |t: usize| _mm256_loadu_ps(tile.as_ptr().add(16 * t + 8 * h));
            let rows8 = transpose8([r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7)]);
            for (l, row) in rows8.into_iter().enumerate() {
                let o = 8 * h + l;
                if o < rows {
                    let b = _mm256_set1_ps(bias[o]);
                    _mm256_maskstore_ps(out.add(o * ld), mask, _mm256_add_ps(row, b));
                }
            }
        }
    }
}

/// `dst[q·16 + c] = src[c·ld + q]` for `c < 8`, `q < 8`: one 8×8 block of
/// a channel-major `dZ` into the position-major rows of 16 the channels
/// kernel reads.
///
/// # Safety
/// AVX2 is available; `src[c·ld + q]` is readable and `dst[q·16 + c]`
/// writable for `c, q < 8`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn transpose_block(src: *const f32, ld: usize, dst: *mut f32) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let r = |c: usize| _mm256_loadu_ps(src.add(c * ld));
        let t = transpose8([r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7)]);
        for (q, row) in t.into_iter().enumerate() {
            _mm256_storeu_ps(dst.add(q * 16), row);
        }
    }
}

/// Lane masks selecting the first 0..=8 lanes.
static MASKS: [[i32; 8]; 9] = {
    let mut m = [[0; 8]; 9];
    let mut n = 0;
    while n < 9 {
        let mut l = 0;
        while l < n {
            m[n][l] = -1;
            l += 1;
        }
        n += 1;
    }
    m
};

/// The transpose of an 8×8 block held as 8 rows.
#[target_feature(enable = "avx2,fma")]
fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
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
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}

/// `out[o·stride + q] = Σ_k w[o + k·ld] · x[q + off[k]] (+ bias[o])` for
/// `q < valid` (at most 16) and `o < NO` (at most 6): 16 consecutive
/// positions of one row, stored straight into the output (masked past
/// `valid`). `bias` may be null (no bias).
///
/// # Safety
/// AVX2 and FMA are available; `off` holds `k` offsets; `x[q + off[k]]` is
/// readable for `q < 16`; `w[o + k·ld]` for `o < NO`; `bias[o]` (unless
/// null) for `o < NO`; `out[o·stride + q]` writable for `q < valid`, `o < NO`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_tile<const NO: usize>(
    k: usize,
    off: *const usize,
    x: *const f32,
    w: *const f32,
    ld: usize,
    (out, stride, valid): (*mut f32, usize, usize),
    bias: *const f32,
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let z = _mm256_setzero_ps();
        let mut acc = [[z; 2]; NO];
        let mut w = w;
        for i in 0..k {
            let xi = x.add(*off.add(i));
            let x0 = _mm256_loadu_ps(xi);
            let x1 = _mm256_loadu_ps(xi.add(8));
            for (o, a) in acc.iter_mut().enumerate() {
                let b = _mm256_broadcast_ss(&*w.add(o));
                a[0] = _mm256_fmadd_ps(x0, b, a[0]);
                a[1] = _mm256_fmadd_ps(x1, b, a[1]);
            }
            w = w.add(ld);
        }
        let m0 = _mm256_loadu_si256(MASKS[valid.min(8)].as_ptr().cast());
        let m1 = _mm256_loadu_si256(MASKS[valid.clamp(8, 16) - 8].as_ptr().cast());
        for (o, a) in acc.iter().enumerate() {
            let b = if bias.is_null() {
                z
            } else {
                _mm256_broadcast_ss(&*bias.add(o))
            };
            let dst = out.add(o * stride);
            _mm256_maskstore_ps(dst, m0, _mm256_add_ps(a[0], b));
            _mm256_maskstore_ps(dst.add(8), m1, _mm256_add_ps(a[1], b));
        }
    }
}

/// `acc[o·16 + l] += Σ_q x[16q + l] · dz[o·stride + 16q + l]` for `tiles`
/// blocks of 16 consecutive positions and `o < NO` (at most 6): 16
/// running sums per channel, kept in memory between calls.
///
/// # Safety
/// AVX2 and FMA are available; `x[q]` and `dz[o·stride + q]` are readable
/// for `q < 16·tiles`, `o < NO`; `acc` holds `16·NO` values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn positions_dot<const NO: usize>(
    tiles: usize,
    x: *const f32,
    dz: *const f32,
    stride: usize,
    acc: *mut f32,
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let mut r = [[_mm256_setzero_ps(); 2]; NO];
        for (o, a) in r.iter_mut().enumerate() {
            a[0] = _mm256_loadu_ps(acc.add(16 * o));
            a[1] = _mm256_loadu_ps(acc.add(16 * o + 8));
        }
        for q in (0..tiles).map(|t| 16 * t) {
            let x0 = _mm256_loadu_ps(x.add(q));
            let x1 = _mm256_loadu_ps(x.add(q + 8));
            for (o, a) in r.iter_mut().enumerate() {
                let d = dz.add(o * stride + q);
                a[0] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(d), a[0]);
                a[1] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(d.add(8)), a[1]);
            }
        }
        for (o, a) in r.iter().enumerate() {
            _mm256_storeu_ps(acc.add(16 * o), a[0]);
            _mm256_storeu_ps(acc.add(16 * o + 8), a[1]);
        }
    }
}
