//! Sizes: the micro-kernel's width `NR`, the blocks `KC`, `MC`, `NC` of the
//! blocked product, the block sizes one product is cut into, and the
//! workspace those blocks need.

/// Columns of the micro-kernel (the same for every instantiation).
pub(super) const NR: usize = 6;
/// Depth of a packed block (the shared dimension is cut into nearly equal
/// chunks of at most this many).
pub(super) const KC: usize = 256;
/// Rows of a packed block of `A` (a multiple of every `MR`); with `KC` it
/// keeps `Ã` (128 KiB in `f32`) in L2.
pub(super) const MC: usize = 128;
/// Columns of a packed block of `B`.
pub(super) const NC: usize = 1024;
/// Products with at most this many columns read a column-major `A` in
/// place rather than packing it (see `blocked::a_in_place`). One thread,
/// CPU time, 128×784 `A` (the MLP's first layer, 16 bytes past a line):
/// 0.95× the packed product's time at 64 columns, 0.99× at 256; at 1000
/// columns packing is a small share, and reading in place lost 1.01–1.02×
/// (`scripts/ab.sh`, `infer1000`, `gemm:128,784,1000`, 31 rounds).
pub(super) const A_IN_PLACE_MAX_N: usize = 256;
/// ... and whose columns are at most this many bytes apart: a block of
/// `A` read in place spans `kc` columns' worth of pages, and with longer
/// columns the reads missed the TLB (512×784·784×64: 1.03×,
/// 2048×2048·2048×64: 1.21× the packed time; 256×784·784×64: 0.92×).
pub(super) const A_IN_PLACE_MAX_STRIDE: usize = 1024;
/// The largest `MR` of any instantiation (sizes the on-stack edge buffer).
pub(super) const MAX_MR: usize = 32;

/// The block sizes `(kc, mc, nc)` of [`blocked`](super::blocked::blocked)
/// for an `m×k·k×n` product with micro-panels `mr` tall: each dimension cut
/// into nearly equal blocks (784 = 4×196, not 3×256 + 16), rounded up to
/// whole micro-panels.
pub(super) fn block_sizes(m: usize, k: usize, n: usize, mr: usize) -> (usize, usize, usize) {
    (
        k.div_ceil(k.div_ceil(KC)),
        m.div_ceil(m.div_ceil(MC)).next_multiple_of(mr),
        n.div_ceil(n.div_ceil(NC)).next_multiple_of(NR),
    )
}

/// The packed `Ã` (`mc×kc`) and `B̃` (`kc×nc`) sizes, in lines, for
/// `size`-byte elements.
pub(super) fn packed_lines((kc, mc, nc): (usize, usize, usize), size: usize) -> (usize, usize) {
    ((mc * kc * size).div_ceil(64), (kc * nc * size).div_ceil(64))
}

/// An upper bound on the workspace [`blocked`](super::blocked::blocked) takes for an `m×k·k×n`
/// product of `size`-byte elements, whatever the micro-kernel and whether
/// the product runs transposed.
pub(crate) fn workspace_bound(m: usize, k: usize, n: usize, size: usize) -> usize {
    let d = m.max(n);
    let rows = d.next_multiple_of(MAX_MR).min(MC);
    let cols = d.next_multiple_of(NR).min(NC.next_multiple_of(NR));
    let depth = k.min(KC);
    ((rows + cols) * depth * size).div_ceil(64) + 2
}
