//! Products whose `B` is mostly zeros, computed by skipping them. A batch of
//! MNIST digits is one: four pixels in five are 0, and the first layer's
//! forward product `Z = W·X` and its weight's gradient `dW = dZ·Xᵀ` are
//! four fifths of a training step's arithmetic.
//!
//! Each entry of `C` is the blocked product's chain of multiply-adds
//! without the terms whose `B` entry is zero: the same depth blocks
//! (`block_sizes`' `kc`), the same order inside a block, each block summed
//! from zero and then written by the same `update` (`α·s + β·C` for the
//! first block, `C + α·s` for the later ones). A skipped term adds `a·0`, a
//! zero, to the sum, which leaves it as it was. So the bits are the blocked
//! product's, with two exceptions: an infinity or NaN in `A` facing a zero
//! of `B` makes no NaN here, and a sum that is exactly zero may differ in
//! its sign where a product underflows to −0.
//!
//! Whether a product takes this path is decided once for the whole product
//! ([`skips_zeros`], before it is cut for threads), so the result does not
//! depend on the thread count. Each thread indexes the nonzeros of its own
//! columns of `B`, [`COLS`] columns at a time, in its workspace: no
//! allocation after the first product of a depth and a width (up to [`COLS`]
//! columns).
//!
//! The index is built a vector at a time: a comparison with zero and a
//! compressing store (on AVX2, a permutation taken from a table by the
//! comparison's bit mask) write a vector's nonzeros and their depths, with
//! no branch on the values, whose pattern changes with every batch.
//!
//! The loop: for each panel of rows of `A` (two bands of eight vectors;
//! one when the product is a single depth block),
//! for each depth block, for each column `j` of `C`, the block's nonzeros
//! `B[p, j]` are found once, and for each band of the panel (eight
//! vectors, then four, two, one, then the last rows) their sum is kept in
//! registers, each term one load of `A[rows, p]` and one multiply-add with
//! `B[p, j]` in every lane, and then written to `C`. The panel's block of
//! `A` is read by every column in turn, while it is in cache, and the
//! column's terms by the panel's second band while they are in L1. (Blocks
//! cut into slabs that fit in L1, the sums kept between slabs in a scratch
//! area, measured no faster; so did prefetching the terms ahead.)

use super::kernel::{scaled, update};
use super::product::{Elem, Gemm};
use super::simd::{Simd, compress_each};
use super::sizes::{MAX_MR, block_sizes};
use crate::workspace::{WORKSPACE, give_back, take};

/// Columns of `B` indexed at a time: the index holds at most `k·COLS`
/// entries.
const COLS: usize = 64;

/// The fewest rows of `C` worth the path: one eight-vector group of `f32`
/// on AVX2 is 64, and a product with fewer rows than a vector spends most
/// loads on padding.
const MIN_ROWS: usize = 16;

/// The shallowest product worth indexing.
const MIN_DEPTH: usize = 16;

/// The deepest product indexed: the index of [`COLS`] columns then takes
/// at most 64 MiB of workspace (`f32`; 128 MiB in `f64`); deeper products
/// take the blocked path.
const MAX_DEPTH: usize = 1 << 16;

/// The most vectors of rows summed at once: eight accumulators, one
/// broadcast value, the rest for addresses.
const BAND_VECTORS: usize = 8;

/// Bands of [`BAND_VECTORS`] in a panel: the rows whose sums for one
/// column share one search for the column's terms in a depth block, and
/// whose block of `A` (128 rows of 196 depths in `f32` on AVX2, 100 KiB)
/// stays in L2 while every column reads it. A product of one depth block
/// takes panels of one band: there is no block boundary to search for, and
/// the band's `A` stays in L1 (the weight gradient `dW = dZ·Xᵀ` of a
/// 128-unit layer at batch 64: 16 KiB of `dZ` a band, 32 KiB a panel).
const PANEL_BANDS: usize = 2;

/// The most lanes of any instantiation (AVX-512's `f32`): a compressing
/// store writes up to this many entries.
pub(super) const MAX_LANES: usize = 16;

/// Whether the product skips `B`'s zeros: `A` and `C` column-major (the
/// loads of a row group are contiguous), at least [`MIN_ROWS`] rows, two
/// columns and [`MIN_DEPTH`] depths, `B` with contiguous columns or rows,
/// and at most a third of the entries of `B`'s first and last such line
/// nonzero (a NaN is nonzero). MNIST digits have a fifth; a hidden layer's
/// ReLU output, about half, stays on the blocked path.
pub(super) fn skips_zeros<T: Elem>(g: &Gemm<T>) -> bool {
    if g.rsa != 1
        || g.rsc != 1
        || g.m < MIN_ROWS
        || g.n < 2
        || !(MIN_DEPTH..=MAX_DEPTH).contains(&g.k)
        || g.alpha == T::ZERO
    {
        return false;
    }
    let (len, lines, stride) = if g.rsb == 1 {
        (g.k, g.n, g.csb)
    } else if g.csb == 1 {
        (g.n, g.k, g.rsb)
    } else {
        return false;
    };
    let nonzero = |line: usize| {
        // SAFETY: `line < lines`, so its `len` contiguous elements lie in
        // the k×n range of B the caller vouched for.
        let line = unsafe { std::slice::from_raw_parts(g.b.offset(line as isize * stride), len) };
        line.iter().filter(|&&v| v != T::ZERO).count()
    };
    3 * (nonzero(0) + nonzero(lines - 1)) <= 2 * len
}

/// The workspace lines [`product`] takes for a product of depth `k` and
/// `n` columns with `size`-byte elements.
pub(super) fn workspace_lines(k: usize, n: usize, size: usize) -> usize {
    Layout::new(k, n.min(COLS), size).bytes.div_ceil(64)
}

/// Byte offsets in the workspace of the index's arrays, each at a multiple
/// of 64: per column its first and one-past-last entry and a cursor
/// (`u32`); the entries' depths (`u32`) and values; for `B` read by rows,
/// each row's first entry (`u32`) and the rows' entries (column, `u32`,
/// and value) before they are sorted by column; and the whole size.
struct Layout {
    ends: usize,
    cursors: usize,
    depths: usize,
    values: usize,
    row_starts: usize,
    row_cols: usize,
    row_values: usize,
    bytes: usize,
}

impl Layout {
    /// The index of `cols ≤ COLS` columns of depth `k`.
    fn new(k: usize, cols: usize, size: usize) -> Self {
        // `k·cols` entries, and room for the widest vector's writes past
        // the last one.
        let entries = k * cols + MAX_LANES;
        let per_column = (COLS * 4).next_multiple_of(64);
        let ends = per_column;
        let cursors = ends + per_column;
        let depths = cursors + per_column;
        let values = depths + (entries * 4).next_multiple_of(64);
        let row_starts = values + (entries * size).next_multiple_of(64);
        let row_cols = row_starts + ((k + 1) * 4).next_multiple_of(64);
        let row_values = row_cols + (entries * 4).next_multiple_of(64);
        Layout {
            ends,
            cursors,
            depths,
            values,
            row_starts,
            row_cols,
            row_values,
            bytes: row_values + entries * size,
        }
    }
}

/// `C ← α·A·B + β·C` skipping the zeros of `B` (see the module docs).
///
/// # Safety
/// As [`gemm_generic`](super::generic::gemm_generic), and [`skips_zeros`]
/// holds for `g`.
#[inline(always)]
pub(super) unsafe fn product<S: Simd>(g: Gemm<S::T>) {
    let kc = block_sizes(g.m, g.k, g.n, S::MR).0;
    let size = std::mem::size_of::<S::T>();
    let at = Layout::new(g.k, g.n.min(COLS), size);
    let mut ws = take(&WORKSPACE, workspace_lines(g.k, g.n, size));
    let base = ws.as_mut_ptr().cast::<u8>();
    // SAFETY: the arrays lie inside the workspace (`Layout`), at offsets
    // that are multiples of 64, so aligned for u32 and T.
    let index = unsafe {
        Index {
            starts: base.cast::<u32>(),
            ends: base.add(at.ends).cast::<u32>(),
            cursors: base.add(at.cursors).cast::<u32>(),
            depths: base.add(at.depths).cast::<u32>(),
            values: base.add(at.values).cast::<S::T>(),
            row_starts: base.add(at.row_starts).cast::<u32>(),
            row_cols: base.add(at.row_cols).cast::<u32>(),
            row_values: base.add(at.row_values).cast::<S::T>(),
        }
    };
    // Rows of a panel: one band for a product of one depth block.
    let bands = if g.k <= kc { 1 } else { PANEL_BANDS };
    let panel_rows = bands * BAND_VECTORS * S::LANES;
    let mut j0 = 0;
    while j0 < g.n {
        let cols = COLS.min(g.n - j0);
        // SAFETY (whole block): columns j0..j0+cols lie inside B and C; the
        // index has room for k·cols entries.
        unsafe {
            let b = g.b.offset(j0 as isize * g.csb);
            if g.rsb == 1 {
                index.columns::<S>(b, g.csb, g.k, cols);
            } else {
                index.rows::<S>(b, g.rsb, g.k, cols);
            }
            let c = g.c.offset(j0 as isize * g.csc);
            let mut i = 0;
            while i < g.m {
                let rows = panel_rows.min(g.m - i);
                panel::<S>(&g, &index, kc, cols, c, i, rows);
                i += rows;
            }
        }
        j0 += cols;
    }
    give_back(&WORKSPACE, ws);
}

/// The nonzeros of up to [`COLS`] columns of `B`: column `j`'s are entries
/// `starts[j]..ends[j]` of `depths` and `values`, by increasing depth; and
/// the working state of [`band`].
struct Index<T> {
    starts: *mut u32,
    ends: *mut u32,
    /// Where each column's next depth block starts.
    cursors: *mut u32,
    depths: *mut u32,
    values: *mut T,
    /// `B` read by rows: row `p`'s nonzeros are entries
    /// `row_starts[p]..row_starts[p + 1]` of `row_cols` and `row_values`.
    row_starts: *mut u32,
    row_cols: *mut u32,
    row_values: *mut T,
}

impl<T: Elem> Index<T> {
    /// Indexes `cols` columns of depth `k`, each contiguous, `csb` apart, a
    /// vector at a time ([`Simd::compress_nonzero`]: no branch on the
    /// values, whose pattern a branch predictor cannot learn).
    ///
    /// # Safety
    /// The columns lie inside `B`; the index has room for `k·cols +
    /// MAX_LANES` entries; `S` may run on this CPU.
    #[inline(always)]
    unsafe fn columns<S: Simd<T = T>>(&self, b: *const T, csb: isize, k: usize, cols: usize) {
        // SAFETY: reads stay in column j (depths < k); at most k·cols
        // entries are kept, and LANES more written.
        unsafe {
            let mut e = 0;
            for j in 0..cols {
                *self.starts.add(j) = e as u32;
                e += compress::<S>(
                    b.offset(j as isize * csb),
                    k,
                    0,
                    self.depths.add(e),
                    self.values.add(e),
                );
                *self.ends.add(j) = e as u32;
            }
        }
    }

    /// Indexes `cols` columns of depth `k` whose rows are contiguous, `rsb`
    /// apart: each row's nonzeros gathered as in [`columns`](Self::columns),
    /// then sorted by column (counted, then placed row by row, so each
    /// column's entries are in depth order). No branch on the values.
    ///
    /// # Safety
    /// The rows lie inside `B`; the index has room for `k·cols +
    /// MAX_LANES` entries; `S` may run on this CPU.
    #[inline(always)]
    unsafe fn rows<S: Simd<T = T>>(&self, b: *const T, rsb: isize, k: usize, cols: usize) {
        // SAFETY: reads stay in row p (columns < cols); every column index
        // written is below cols, and each column's entries stay inside its
        // count.
        unsafe {
            let mut e = 0;
            for p in 0..k {
                *self.row_starts.add(p) = e as u32;
                let row = b.offset(p as isize * rsb);
                e += compress::<S>(row, cols, 0, self.row_cols.add(e), self.row_values.add(e));
            }
            *self.row_starts.add(k) = e as u32;
            for j in 0..cols {
                *self.ends.add(j) = 0;
            }
            for at in 0..e {
                *self.ends.add(*self.row_cols.add(at) as usize) += 1;
            }
            let mut first = 0;
            for j in 0..cols {
                let count = *self.ends.add(j);
                *self.starts.add(j) = first;
                *self.ends.add(j) = first;
                first += count;
            }
            for p in 0..k {
                let (from, to) = (*self.row_starts.add(p), *self.row_starts.add(p + 1));
                for at in from as usize..to as usize {
                    let end = self.ends.add(*self.row_cols.add(at) as usize);
                    *self.depths.add(*end as usize) = p as u32;
                    *self.values.add(*end as usize) = *self.row_values.add(at);
                    *end += 1;
                }
            }
        }
    }
}

/// Writes the nonzeros among the `len` elements at `line`, in order, to
/// `values` and their positions (`base` plus the offset in `line`) to
/// `positions`; returns how many. Writes up to `LANES` entries past them.
///
/// # Safety
/// `line` holds `len` elements; `positions` and `values` have room for
/// `len + LANES` entries; `S` may run on this CPU.
#[inline(always)]
pub(super) unsafe fn compress<S: Simd>(
    line: *const S::T,
    len: usize,
    base: u32,
    positions: *mut u32,
    values: *mut S::T,
) -> usize {
    let l = S::LANES;
    let mut e = 0;
    let mut p = 0;
    // SAFETY: whole vectors below len, then the tail element by element.
    unsafe {
        while p + l <= len {
            e += S::compress_nonzero(
                line.add(p),
                base + p as u32,
                positions.add(e),
                values.add(e),
            );
            p += l;
        }
        e + compress_each(
            line.add(p),
            len - p,
            base + p as u32,
            positions.add(e),
            values.add(e),
        )
    }
}

/// One column's nonzeros of `B` within a depth block (by increasing
/// depth).
#[derive(Clone, Copy)]
struct Terms<T> {
    depths: *const u32,
    values: *const T,
    len: usize,
}

/// The rows of `A` and `C` one band covers, at a panel's `left` remaining
/// rows: eight vectors while they fit, then four, two, one, then the last
/// rows.
#[inline(always)]
fn band_rows(left: usize, lanes: usize) -> usize {
    [BAND_VECTORS, 4, 2, 1]
        .into_iter()
        .map(|v| v * lanes)
        .find(|&rows| rows <= left)
        .unwrap_or(left)
}

/// Rows `i..i + rows` of `cols` columns of `C` (from `c`), depth block by
/// depth block (blocks of `kc`, as the blocked product cuts them), each
/// block column by column, each column band by band ([`band_rows`]): a
/// column's terms in a block are found once for all the panel's bands and
/// read by the second from L1.
///
/// # Safety
/// The index holds `cols` columns of `B` whose depths are below `g.k`; `c`
/// is column 0's first entry, rows `i..i + rows` lie inside `C` and `A`.
#[inline(always)]
unsafe fn panel<S: Simd>(
    g: &Gemm<S::T>,
    index: &Index<S::T>,
    kc: usize,
    cols: usize,
    c: *mut S::T,
    i: usize,
    rows: usize,
) {
    let l = S::LANES;
    // SAFETY (whole body): each column's entries lie between its cursor and
    // its end; rows i..i + rows of A's columns and of C's columns lie
    // inside them.
    unsafe {
        for j in 0..cols {
            *index.cursors.add(j) = *index.starts.add(j);
        }
        let mut pc = 0;
        while pc < g.k {
            let stop = (pc + kc).min(g.k);
            let beta = if pc == 0 { g.beta } else { S::T::ONE };
            for j in 0..cols {
                let (first, end) = (*index.cursors.add(j) as usize, *index.ends.add(j) as usize);
                // The block's terms: all that are left in the last block,
                // else a binary search, which does not mispredict a branch
                // at every column's end of block as a scan does.
                let e = if stop == g.k {
                    end
                } else {
                    let rest = std::slice::from_raw_parts(index.depths.add(first), end - first);
                    first + rest.partition_point(|&d| (d as usize) < stop)
                };
                *index.cursors.add(j) = e as u32;
                let terms = Terms {
                    depths: index.depths.add(first),
                    values: index.values.add(first),
                    len: e - first,
                };
                let cj = c.offset(j as isize * g.csc);
                let (csa, alpha) = (g.csa, g.alpha);
                let mut r = i;
                while r < i + rows {
                    let band = band_rows(i + rows - r, l);
                    let (a, cr) = (g.a.add(r), cj.add(r));
                    match band / l {
                        8 => group::<S, 8>(a, csa, terms, alpha, beta, cr),
                        4 => group::<S, 4>(a, csa, terms, alpha, beta, cr),
                        2 => group::<S, 2>(a, csa, terms, alpha, beta, cr),
                        1 => group::<S, 1>(a, csa, terms, alpha, beta, cr),
                        _ => last_rows::<S>(band, a, csa, terms, alpha, beta, cr),
                    }
                    r += band;
                }
            }
            pc = stop;
        }
    }
}

/// `V` vectors of rows over one depth block: their sums in registers from
/// zero, then written by the blocked product's `update`.
///
/// # Safety
/// `a` (column stride `csa`) and `c` are valid for `V·LANES` rows at every
/// term's depth.
#[inline(always)]
unsafe fn group<S: Simd, const V: usize>(
    a: *const S::T,
    csa: isize,
    terms: Terms<S::T>,
    alpha: S::T,
    beta: S::T,
    c: *mut S::T,
) {
    let l = S::LANES;
    // SAFETY: loads of V vectors of A's column at each term's depth; V
    // vectors of C.
    unsafe {
        let mut acc = [S::zero(); V];
        for e in 0..terms.len {
            let col = a.offset(*terms.depths.add(e) as isize * csa);
            let v = S::splat(*terms.values.add(e));
            for (h, s) in acc.iter_mut().enumerate() {
                *s = S::fma(S::load(col.add(h * l)), v, *s);
            }
        }
        let (av, bv) = (S::splat(alpha), S::splat(beta));
        for (h, &s) in acc.iter().enumerate() {
            update::<S>(c.add(h * l), l, scaled::<S>(s, alpha, av), beta, bv);
        }
    }
}

/// The last `rows < LANES` rows over one depth block: each term's part of
/// `A` copied into a zero-padded vector.
///
/// # Safety
/// `a` (column stride `csa`) and `c` are valid for `rows` rows at every
/// term's depth.
#[inline(always)]
unsafe fn last_rows<S: Simd>(
    rows: usize,
    a: *const S::T,
    csa: isize,
    terms: Terms<S::T>,
    alpha: S::T,
    beta: S::T,
    c: *mut S::T,
) {
    let mut buf = [S::T::ZERO; MAX_MR];
    // SAFETY: `rows` elements of A's column at each term's depth, into a
    // buffer of MAX_MR ≥ LANES elements; `rows` elements of C.
    unsafe {
        let mut acc = S::zero();
        for e in 0..terms.len {
            let col = a.offset(*terms.depths.add(e) as isize * csa);
            std::ptr::copy_nonoverlapping(col, buf.as_mut_ptr(), rows);
            acc = S::fma(S::load(buf.as_ptr()), S::splat(*terms.values.add(e)), acc);
        }
        let (av, bv) = (S::splat(alpha), S::splat(beta));
        update::<S>(c, rows, scaled::<S>(acc, alpha, av), beta, bv);
    }
}
