//! The implicit path's buffer helpers: `f32` views of a generic buffer,
//! 64-byte alignment, and zero-padded copies of image planes.

use crate::Scalar;
use std::any::TypeId;

/// `buf` from its first 64-byte aligned element (a cache line, and one
/// AVX-512 register: aligned loads never straddle two lines). Callers
/// size buffers with [`ALIGN_SLACK`] spare elements.
pub(super) fn align64(buf: &mut [f32]) -> &mut [f32] {
    let skip = buf.as_ptr().align_offset(64).min(buf.len());
    &mut buf[skip..]
}

/// Spare elements that [`align64`] may skip.
pub(super) const ALIGN_SLACK: usize = 16;

/// Copies the plane `src` (rows of `w`) into `dst` (rows of `wp`) at row
/// `top` and column `left`, and zeroes the rest of `dst`: a zero-padded
/// copy that writes every element once.
pub(super) fn embed(src: &[f32], w: usize, dst: &mut [f32], wp: usize, top: usize, left: usize) {
    let rows = src.len() / w;
    let (head, rest) = dst.split_at_mut(top * wp);
    head.fill(0.0);
    let (body, tail) = rest.split_at_mut(rows * wp);
    tail.fill(0.0);
    for (out, row) in body.chunks_exact_mut(wp).zip(src.chunks_exact(w)) {
        let (l, r) = out.split_at_mut(left);
        l.fill(0.0);
        let (mid, r) = r.split_at_mut(w);
        mid.copy_from_slice(row);
        r.fill(0.0);
    }
}

/// `s` as `f32`s (`T` is `f32`: checked by the callers, whose plans exist only for `f32`).
pub(super) fn f32s<T: Scalar>(s: &[T]) -> &[f32] {
    debug_assert_eq!(TypeId::of::<T>(), TypeId::of::<f32>());
    // SAFETY: `T` is `f32` (only `f32` plans call this).
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast(), s.len()) }
}

/// `s` as `f32`s, mutably (see [`f32s`]).
pub(super) fn f32s_mut<T: Scalar>(s: &mut [T]) -> &mut [f32] {
    debug_assert_eq!(TypeId::of::<T>(), TypeId::of::<f32>());
    // SAFETY: as in `f32s`.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), s.len()) }
}
