//! im2col and col2im: a group of samples' receptive fields laid out as a
//! matrix, so that a convolution is one matrix product, and that matrix's
//! gradient added back onto the input.
//!
//! The matrix `U` has one row per output position of every sample in the
//! group (sample, then output row, then output column: `r = s·P + oy·OW +
//! ox`) and one column per filter tap (`k = (c·kh + i)·kw + j`, PyTorch's
//! flattening of a `[C, kh, kw]` filter), stored column-major:
//!
//! ```text
//! U[r, k] = x_s[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]   (0 outside the input)
//! ```
//!
//! A column of `U` is one tap seen from every position, so im2col writes it
//! as runs of `OW` values, each a contiguous (stride 1) or strided read of
//! one input row, and col2im adds it back the same way.

use super::Conv2dGeometry;
use crate::Scalar;

/// The range of output columns `ox` whose tap `j` reads inside the input
/// row, and the input column the first of them reads: `ix = ox·sw + j·dw −
/// pw` for `ox` in `lo..hi`, `ix` starting at `first`.
#[derive(Debug, Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
    first: usize,
}

/// The span of tap offset `off = j·dw` along an axis of `n` inputs, `out`
/// outputs, stride `s` and padding `p`: the outputs `o` with
/// `0 ≤ o·s + off − p < n`.
fn span(off: usize, n: usize, out: usize, s: usize, p: usize) -> Span {
    // o·s ≥ p − off, and o·s < n + p − off.
    let lo = p.saturating_sub(off).div_ceil(s).min(out);
    let hi = if n + p > off {
        (n + p - off).div_ceil(s).min(out)
    } else {
        0
    };
    let hi = hi.max(lo);
    Span {
        lo,
        hi,
        first: (lo * s + off).saturating_sub(p),
    }
}

/// Fills `u` (`n·P × K`, column-major) from `n` samples stored one after
/// the other in `x` (`n·C·H·W` values, each sample `[C, H, W]` row-major).
///
/// ```
/// use backprop_tensor::conv::{Conv2dGeometry, im2col};
/// // One 1×3×3 sample, a 2×2 kernel, stride 1, no padding: 4 positions × 4 taps.
/// let g = Conv2dGeometry::new([1, 3, 3], 1, (2, 2), (1, 1), (0, 0), (1, 1))?;
/// let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
/// let mut u = vec![0.0; 16];
/// im2col(&g, &x, 1, &mut u);
/// // Column k = tap (i, j); row r = position (oy, ox).
/// assert_eq!(&u[0..4], &[1.0, 2.0, 4.0, 5.0]);   // tap (0, 0)
/// assert_eq!(&u[12..16], &[5.0, 6.0, 8.0, 9.0]); // tap (1, 1)
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
///
/// # Panics
/// If `x` holds fewer than `n·C·H·W` values or `u` fewer than `n·P·K`
/// (callers size them from the geometry).
pub fn im2col<T: Scalar>(g: &Conv2dGeometry, x: &[T], n: usize, u: &mut [T]) {
    crate::ops::simd(|| im2col_kernel(g, x, n, u))
}

#[inline(always)]
fn im2col_kernel<T: Scalar>(g: &Conv2dGeometry, x: &[T], n: usize, u: &mut [T]) {
    let (h, w) = g.input_size();
    let (kh, kw) = g.kernel();
    let (sh, sw) = g.stride();
    let (ph, pw) = g.padding();
    let (dh, dw) = g.dilation();
    let (oh, ow) = g.output_size();
    let (p, len, plane) = (g.positions(), g.input_len(), h * w);
    let ld = n * p;
    for c in 0..g.channels() {
        for i in 0..kh {
            let rows = span(i * dh, h, oh, sh, ph);
            for j in 0..kw {
                let cols = span(j * dw, w, ow, sw, pw);
                let k = (c * kh + i) * kw + j;
                let col = &mut u[k * ld..(k + 1) * ld];
                for (s, dst) in col.chunks_exact_mut(p).enumerate() {
                    let src = &x[s * len + c * plane..][..plane];
                    zero_run(&mut dst[..rows.lo * ow]);
                    zero_run(&mut dst[rows.hi * ow..]);
                    for oy in rows.lo..rows.hi {
                        let iy = rows.first + (oy - rows.lo) * sh;
                        let out = &mut dst[oy * ow..][..ow];
                        let line = &src[iy * w..][..w];
                        zero_run(&mut out[..cols.lo]);
                        zero_run(&mut out[cols.hi..]);
                        let run = &mut out[cols.lo..cols.hi];
                        if sw == 1 {
                            copy_run(run, &line[cols.first..][..run.len()]);
                        } else {
                            for (t, v) in run.iter_mut().enumerate() {
                                *v = line[cols.first + t * sw];
                            }
                        }
                    }
                }
                debug_assert_eq!(col.len(), ld);
            }
        }
    }
}

/// Adds `U` (`n·P × K`, column-major, as [`im2col`] lays it out) back onto
/// `n` input samples in `dx` (`n·C·H·W` values): every entry of `U` goes to
/// the input value it was read from, and the entries that read padding are
/// dropped. `dx` is accumulated into, not overwritten.
///
/// ```
/// use backprop_tensor::conv::{Conv2dGeometry, col2im, im2col};
/// // col2im is im2col's adjoint: ⟨im2col(x), U⟩ = ⟨x, col2im(U)⟩.
/// let g = Conv2dGeometry::new([2, 5, 4], 3, (3, 2), (2, 1), (1, 1), (1, 2))?;
/// let x: Vec<f64> = (0..40).map(|v| (v as f64).sin()).collect();
/// let (rows, k) = (g.positions(), g.patch_len());
/// let u: Vec<f64> = (0..rows * k).map(|v| (v as f64).cos()).collect();
/// let mut ux = vec![0.0; rows * k];
/// im2col(&g, &x, 1, &mut ux);
/// let mut dx = vec![0.0; 40];
/// col2im(&g, &u, 1, &mut dx);
/// let a: f64 = ux.iter().zip(&u).map(|(p, q)| p * q).sum();
/// let b: f64 = x.iter().zip(&dx).map(|(p, q)| p * q).sum();
/// assert!((a - b).abs() < 1e-12);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
///
/// # Panics
/// If `u` holds fewer than `n·P·K` values or `dx` fewer than `n·C·H·W`.
pub fn col2im<T: Scalar>(g: &Conv2dGeometry, u: &[T], n: usize, dx: &mut [T]) {
    crate::ops::simd(|| col2im_kernel(g, u, n, dx))
}

#[inline(always)]
fn col2im_kernel<T: Scalar>(g: &Conv2dGeometry, u: &[T], n: usize, dx: &mut [T]) {
    let (h, w) = g.input_size();
    let (kh, kw) = g.kernel();
    let (sh, sw) = g.stride();
    let (ph, pw) = g.padding();
    let (dh, dw) = g.dilation();
    let (oh, ow) = g.output_size();
    let (p, len, plane) = (g.positions(), g.input_len(), h * w);
    let ld = n * p;
    for c in 0..g.channels() {
        for i in 0..kh {
            let rows = span(i * dh, h, oh, sh, ph);
            for j in 0..kw {
                let cols = span(j * dw, w, ow, sw, pw);
                let k = (c * kh + i) * kw + j;
                let col = &u[k * ld..(k + 1) * ld];
                for (s, src) in col.chunks_exact(p).enumerate() {
                    let dst = &mut dx[s * len + c * plane..][..plane];
                    for oy in rows.lo..rows.hi {
                        let iy = rows.first + (oy - rows.lo) * sh;
                        let run = &src[oy * ow..][..ow][cols.lo..cols.hi];
                        let line = &mut dst[iy * w..][..w];
                        if sw == 1 {
                            add_run(&mut line[cols.first..][..run.len()], run);
                        } else {
                            for (t, &v) in run.iter().enumerate() {
                                line[cols.first + t * sw] += v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Elements moved at a time by the run helpers: one AVX2 register of
/// `f32` (two of `f64`), so short runs (a 10-wide output row) take one
/// vector step and a short tail instead of a call to `memcpy`.
const CHUNK: usize = 8;

/// `dst = src` for a short run: two overlapping fixed-size moves for 8 to
/// 16 elements, `memcpy` beyond.
#[inline(always)]
fn copy_run<T: Scalar>(dst: &mut [T], src: &[T]) {
    let n = dst.len();
    if n > 2 * CHUNK {
        dst.copy_from_slice(&src[..n]);
    } else if n >= CHUNK {
        dst[..CHUNK].copy_from_slice(&src[..CHUNK]);
        dst[n - CHUNK..].copy_from_slice(&src[n - CHUNK..n]);
    } else {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
    }
}

/// `dst += src` for a short run.
#[inline(always)]
fn add_run<T: Scalar>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(CHUNK);
    let mut s = src.chunks_exact(CHUNK);
    for (d, s) in (&mut d).zip(&mut s) {
        for (d, &s) in d.iter_mut().zip(s) {
            *d += s;
        }
    }
    for (d, &s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d += s;
    }
}

/// `dst = 0` for a short (often empty) run.
#[inline(always)]
fn zero_run<T: Scalar>(dst: &mut [T]) {
    if !dst.is_empty() {
        dst.fill(T::zero());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_exactly_the_inside_reads() {
        for n in 1..7 {
            for s in 1..4 {
                for p in 0..4 {
                    for (off, out) in (0..7).flat_map(|off| (0..9).map(move |out| (off, out))) {
                        let sp = span(off, n, out, s, p);
                        for o in 0..out {
                            let ix = (o * s + off) as isize - p as isize;
                            let inside = (0..n as isize).contains(&ix);
                            assert_eq!(
                                inside,
                                (sp.lo..sp.hi).contains(&o),
                                "{n} {s} {p} {off} {o}"
                            );
                            if inside {
                                assert_eq!(ix as usize, sp.first + (o - sp.lo) * s);
                            }
                        }
                    }
                }
            }
        }
    }
}
