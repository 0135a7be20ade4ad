//! Stand-in for kernels.rs on other architectures: no kernel set exists
//! ([`isa`] is `None`), so the implicit path is never taken.
#![allow(clippy::too_many_arguments)]

/// An instruction set (none exists here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(dead_code)] // the variants exist so that callers compile unchanged
pub(super) enum Isa {
    /// Never constructed here.
    Avx2,
    /// Never constructed here.
    Avx512,
}

/// No kernels here.
pub(super) fn isa() -> Option<Isa> {
    None
}

/// Does nothing (tests call it on every architecture).
#[cfg(test)]
pub(super) fn set_avx2_only(_: bool) {}

impl Isa {
    /// Positions of one channels tile.
    pub(super) fn tile(self) -> usize {
        8
    }
}

/// Never called (see [`isa`]).
pub(super) unsafe fn channels(
    _: Isa,
    _: usize,
    _: *const f32,
    _: *const usize,
    _: &[usize; 8],
    _: *const f32,
    _: *mut f32,
) {
}

/// Never called (see [`isa`]).
pub(super) unsafe fn channels_t(
    _: Isa,
    _: usize,
    _: *const f32,
    _: *const usize,
    _: &[usize; 8],
    _: *const f32,
    _: &[f32],
    _: *mut f32,
    _: usize,
    _: (usize, usize),
) {
}

/// Where a positions tile goes: `out[o·stride + q]` for `q < valid`.
pub(super) type Dest = (*mut f32, usize, usize);

/// Never called (see [`isa`]).
pub(super) unsafe fn positions_tile_n(
    _: Isa,
    _: usize,
    _: usize,
    _: *const usize,
    _: *const f32,
    _: *const f32,
    _: usize,
    _: Dest,
    _: *const f32,
) {
}

/// Never called (see [`isa`]).
pub(super) unsafe fn positions_dot_n(
    _: Isa,
    _: usize,
    _: usize,
    _: *const f32,
    _: *const f32,
    _: usize,
    _: *mut f32,
) {
}

/// Never called (see [`isa`]).
pub(super) unsafe fn positions_tile_pair_n(
    _: Isa,
    _: usize,
    _: usize,
    _: *const usize,
    _: *const f32,
    _: usize,
    _: (*const f32, Dest),
    _: (*const f32, Dest),
    _: *const f32,
) {
}

/// Never called (see [`isa`]).
pub(super) unsafe fn positions_dot_pair_n(
    _: Isa,
    _: usize,
    _: usize,
    _: (*const f32, *const f32),
    _: *const f32,
    _: usize,
    _: (*mut f32, *mut f32),
) {
}

/// Never called (see [`isa`]).
pub(super) unsafe fn transpose_rows(_: *const f32, _: usize, _: (usize, usize), _: *mut f32) {}
