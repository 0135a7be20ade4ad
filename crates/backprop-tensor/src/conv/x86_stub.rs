//! Stand-ins for the AVX2 kernels (x86.rs) on other architectures, where
//! [`available`] is `false` and the implicit path is never taken.
#![allow(clippy::too_many_arguments)]

/// No AVX2 here.
pub(super) fn available() -> bool {
    false
}

/// Never called (see [`available`]).
pub(super) unsafe fn channels_tile(
    _: usize,
    _: *const f32,
    _: *const usize,
    _: &[usize; 6],
    _: *const f32,
    _: *mut f32,
) {
}

/// Never called (see [`available`]).
pub(super) unsafe fn positions_tile<const NO: usize>(
    _: usize,
    _: *const usize,
    _: *const f32,
    _: *const f32,
    _: usize,
    _: *mut f32,
    _: usize,
) {
}

/// Never called (see [`available`]).
pub(super) unsafe fn positions_dot<const NO: usize>(
    _: usize,
    _: *const f32,
    _: *const f32,
    _: usize,
    _: *mut f32,
) {
}
