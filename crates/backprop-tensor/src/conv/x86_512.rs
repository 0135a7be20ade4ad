//! The AVX-512 twins of x86.rs's kernels (CPUs with AVX-512F): one 16-lane
//! register where x86.rs uses two 8-lane ones, and 8 positions (or taps) per
//! channels tile instead of 6. The positions kernels take two tiles at once
//! (`*_pair`), so that twelve independent sums hide the fused multiply-add's
//! latency as x86.rs's twelve 8-lane ones do. Every output is the same chain
//! of fused multiply-adds in the same order as in x86.rs, so the two give
//! the same bits; only the throughput differs.

use std::arch::x86_64::*;

/// `out[t·16 + o] = Σ_i a[i·16 + o] · x[v[i] + u[t]]` for `t < 8`, `o < 16`.
///
/// # Safety
/// AVX-512F is available; `a` holds `16·n` values, `v` holds `n` offsets,
/// and `x[v[i] + u[t]]` is readable for every `i`, `t`; `out` holds 128
/// values.
#[target_feature(enable = "avx512f,avx2,fma")]
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
        let z = _mm512_setzero_ps();
        let (mut c0, mut c1, mut c2, mut c3) = (z, z, z, z);
        let (mut c4, mut c5, mut c6, mut c7) = (z, z, z, z);
        let [u0, u1, u2, u3, u4, u5, u6, u7] = *u;
        let mut a = a;
        for i in 0..n {
            let a0 = _mm512_loadu_ps(a);
            let xi = x.add(*v.add(i));
            c0 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u0)), c0);
            c1 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u1)), c1);
            c2 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u2)), c2);
            c3 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u3)), c3);
            c4 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u4)), c4);
            c5 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u5)), c5);
            c6 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u6)), c6);
            c7 = _mm512_fmadd_ps(a0, _mm512_set1_ps(*xi.add(u7)), c7);
            a = a.add(16);
        }
        for (t, c) in [c0, c1, c2, c3, c4, c5, c6, c7].into_iter().enumerate() {
            _mm512_storeu_ps(out.add(16 * t), c);
        }
    }
}

/// x86.rs's `positions_tile`: 16 positions of one row × `NO` channels,
/// stored masked past `valid`, plus `bias` unless it is null.
///
/// # Safety
/// As x86.rs's `positions_tile`, with AVX-512F available.
#[target_feature(enable = "avx512f,avx2,fma")]
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
        let mut acc = [_mm512_setzero_ps(); NO];
        let mut w = w;
        for i in 0..k {
            let xv = _mm512_loadu_ps(x.add(*off.add(i)));
            for (o, a) in acc.iter_mut().enumerate() {
                *a = _mm512_fmadd_ps(xv, _mm512_set1_ps(*w.add(o)), *a);
            }
            w = w.add(ld);
        }
        let mask: __mmask16 = if valid >= 16 {
            0xFFFF
        } else {
            (1u16 << valid) - 1
        };
        for (o, a) in acc.iter().enumerate() {
            let v = if bias.is_null() {
                *a
            } else {
                _mm512_add_ps(*a, _mm512_set1_ps(*bias.add(o)))
            };
            _mm512_mask_storeu_ps(out.add(o * stride), mask, v);
        }
    }
}

/// `acc[o·16 + l] += Σ_q x[16q + l] · dz[o·stride + 16q + l]`, as x86.rs's
/// `positions_dot`.
///
/// # Safety
/// As x86.rs's `positions_dot`, with AVX-512F available.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn positions_dot<const NO: usize>(
    tiles: usize,
    x: *const f32,
    dz: *const f32,
    stride: usize,
    acc: *mut f32,
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let mut r = [_mm512_setzero_ps(); NO];
        for (o, a) in r.iter_mut().enumerate() {
            *a = _mm512_loadu_ps(acc.add(16 * o));
        }
        for q in (0..tiles).map(|t| 16 * t) {
            let xv = _mm512_loadu_ps(x.add(q));
            for (o, a) in r.iter_mut().enumerate() {
                *a = _mm512_fmadd_ps(xv, _mm512_loadu_ps(dz.add(o * stride + q)), *a);
            }
        }
        for (o, a) in r.iter().enumerate() {
            _mm512_storeu_ps(acc.add(16 * o), *a);
        }
    }
}

/// Two [`positions_tile`]s at once (inputs `xa`, `xb`; outputs `da`, `db`),
/// sharing taps and weights: 12 independent sums for 6 channels.
///
/// # Safety
/// As [`positions_tile`] for each of the two.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_tile_pair<const NO: usize>(
    k: usize,
    off: *const usize,
    (xa, xb): (*const f32, *const f32),
    w: *const f32,
    ld: usize,
    (da, db): ((*mut f32, usize, usize), (*mut f32, usize, usize)),
    bias: *const f32,
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); 2]; NO];
        let mut w = w;
        for i in 0..k {
            let o = *off.add(i);
            let va = _mm512_loadu_ps(xa.add(o));
            let vb = _mm512_loadu_ps(xb.add(o));
            for (c, a) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*w.add(c));
                a[0] = _mm512_fmadd_ps(va, b, a[0]);
                a[1] = _mm512_fmadd_ps(vb, b, a[1]);
            }
            w = w.add(ld);
        }
        for (h, (out, stride, valid)) in [da, db].into_iter().enumerate() {
            let mask: __mmask16 = if valid >= 16 {
                0xFFFF
            } else {
                (1u16 << valid) - 1
            };
            for (c, a) in acc.iter().enumerate() {
                let v = if bias.is_null() {
                    a[h]
                } else {
                    _mm512_add_ps(a[h], _mm512_set1_ps(*bias.add(c)))
                };
                _mm512_mask_storeu_ps(out.add(c * stride), mask, v);
            }
        }
    }
}

/// Two [`positions_dot`]s at once (inputs `xa`, `xb`; sums `aa`, `ab`),
/// sharing `dz`: 12 independent sums for 6 channels.
///
/// # Safety
/// As [`positions_dot`] for each of the two.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn positions_dot_pair<const NO: usize>(
    tiles: usize,
    (xa, xb): (*const f32, *const f32),
    dz: *const f32,
    stride: usize,
    (aa, ab): (*mut f32, *mut f32),
) {
    // SAFETY: every access is inside the ranges the caller vouched for.
    unsafe {
        let mut r = [[_mm512_setzero_ps(); 2]; NO];
        for (c, a) in r.iter_mut().enumerate() {
            a[0] = _mm512_loadu_ps(aa.add(16 * c));
            a[1] = _mm512_loadu_ps(ab.add(16 * c));
        }
        for q in (0..tiles).map(|t| 16 * t) {
            let va = _mm512_loadu_ps(xa.add(q));
            let vb = _mm512_loadu_ps(xb.add(q));
            for (c, a) in r.iter_mut().enumerate() {
                let d = _mm512_loadu_ps(dz.add(c * stride + q));
                a[0] = _mm512_fmadd_ps(va, d, a[0]);
                a[1] = _mm512_fmadd_ps(vb, d, a[1]);
            }
        }
        for (c, a) in r.iter().enumerate() {
            _mm512_storeu_ps(aa.add(16 * c), a[0]);
            _mm512_storeu_ps(ab.add(16 * c), a[1]);
        }
    }
}
