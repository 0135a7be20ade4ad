//! Packing: blocks of `A` into `MR`-tall micro-panels and of `B` into
//! `NR`-wide ones, so that the micro-kernel reads both strictly in order
//! (transposed operands through in-register `TL×TL` transposes); and
//! the whole of `A` packed once for the slices of a product that share it.

use super::blocked::a_in_place;
use super::product::{Elem, Gemm};
use super::simd::Simd;
use super::sizes::{MC, NR, block_sizes};

/// Packs the whole of `A` as [`blocked`](super::blocked::blocked) would,
/// block by block of depth, for slices of `C`'s columns that then share it
/// ([`Gemm::a_packed`]): only when every such slice goes through
/// [`blocked`](super::blocked::blocked) untransposed with one block of rows
/// (`MR ≤ m ≤ MC`), does not read `A` in place
/// ([`a_in_place`]), and `dst` has room for it (`room` elements).
/// Returns whether it packed.
///
/// # Safety
/// `g`'s `A` is valid for its `m×k` range; `dst` for `room` elements.
#[inline(always)]
pub(super) unsafe fn pack_whole_a<S: Simd>(g: &Gemm<S::T>, dst: *mut S::T, room: usize) -> bool {
    if g.m < S::MR || g.m > MC || g.k == 0 || g.alpha == S::T::ZERO || a_in_place::<S>(g) {
        return false;
    }
    let (kc_max, mc, _) = block_sizes(g.m, g.k, NR, S::MR);
    if mc * g.k > room {
        return false;
    }
    let mut pc = 0;
    while pc < g.k {
        let kc = kc_max.min(g.k - pc);
        // SAFETY: columns [pc, pc+kc) lie inside A; block `pc` goes to
        // `dst[mc·pc ..][.. mc·kc]`, inside `mc·k ≤ room`.
        unsafe {
            pack_a::<S>(
                g.m,
                kc,
                g.a.offset(pc as isize * g.csa),
                g.rsa,
                g.csa,
                dst.add(mc * pc),
            )
        };
        pc += kc;
    }
    true
}

/// Packs the `mc×kc` block of `A` at `a` into micro-panels of `MR` rows:
/// panel `p` holds, for each depth `l`, rows `p·MR .. p·MR+MR` of column `l`
/// (zero-padded past `mc`), so the kernel reads it strictly sequentially.
///
/// # Safety
/// `a` is valid for the `mc×kc` range; `dst` for `⌈mc/MR⌉·MR·kc` elements.
#[inline(always)]
pub(super) unsafe fn pack_a<S: Simd>(
    mc: usize,
    kc: usize,
    a: *const S::T,
    rsa: isize,
    csa: isize,
    dst: *mut S::T,
) {
    let mr = S::MR;
    let l = S::LANES;
    let mut i0 = 0;
    let mut dst = dst;
    // SAFETY (whole body): every read is at (i, j) with i < mc, j < kc; every
    // write is inside the panel being filled.
    unsafe {
        if rsa == 1 {
            // Columns are contiguous: the whole panels filled column by
            // column, so that `A` is read in memory order (one stream, which
            // the prefetchers follow) rather than `MR` elements out of each
            // column panel by panel; two vector copies per panel and depth.
            let whole = mc / mr;
            for j in 0..kc {
                let s = a.offset(j as isize * csa);
                for p in 0..whole {
                    let (s, d) = (s.add(p * mr), dst.add(p * mr * kc + j * mr));
                    S::store(d, S::load(s));
                    S::store(d.add(l), S::load(s.add(l)));
                }
            }
            i0 = whole * mr;
            dst = dst.add(whole * mr * kc);
        }
        while i0 < mc {
            let rows = mr.min(mc - i0);
            let src = a.offset(i0 as isize * rsa);
            if rsa == 1 {
                // The last rows, contiguous: whole vectors where possible,
                // the rest element by element, padded with zeros.
                for j in 0..kc {
                    let s = src.offset(j as isize * csa);
                    let d = dst.add(j * mr);
                    for h in 0..2 {
                        let (s, d) = (s.add(h * l), d.add(h * l));
                        let n = rows.saturating_sub(h * l);
                        if n >= l {
                            S::store(d, S::load(s));
                        } else {
                            for i in 0..l {
                                *d.add(i) = if i < n { *s.add(i) } else { S::T::ZERO };
                            }
                        }
                    }
                }
            } else if rows == mr && csa == 1 {
                // Rows are contiguous (a transposed column-major matrix):
                // TL×TL blocks transposed in registers, then the last
                // columns element by element.
                let t = S::TL;
                let whole = kc / t * t;
                for h in 0..mr / t {
                    let (s, d) = (src.offset((h * t) as isize * rsa), dst.add(h * t));
                    for j in (0..whole).step_by(t) {
                        S::transpose(s.add(j), rsa, d.add(j * mr), mr);
                    }
                }
                for i in 0..mr {
                    let s = src.offset(i as isize * rsa);
                    for j in whole..kc {
                        *dst.add(j * mr + i) = *s.add(j);
                    }
                }
            } else {
                for j in 0..kc {
                    let d = dst.add(j * mr);
                    for i in 0..mr {
                        *d.add(i) = if i < rows {
                            *src.offset(i as isize * rsa + j as isize * csa)
                        } else {
                            S::T::ZERO
                        };
                    }
                }
            }
            dst = dst.add(mr * kc);
            i0 += mr;
        }
    }
}

/// Packs the `kc×nc` block of `B` at `b` into micro-panels of `NR` columns:
/// panel `q` holds, for each depth `l`, columns `q·NR .. q·NR+NR` of row `l`
/// (zero-padded past `nc`).
///
/// # Safety
/// `b` is valid for the `kc×nc` range; `dst` for `kc·⌈nc/NR⌉·NR` elements.
#[inline(always)]
pub(super) unsafe fn pack_b<S: Simd>(
    kc: usize,
    nc: usize,
    b: *const S::T,
    rsb: isize,
    csb: isize,
    dst: *mut S::T,
) {
    let l = S::TL;
    // Columns that whole transposes of one panel cover (8 for NR = 6).
    let span = NR.next_multiple_of(l);
    let mut j0 = 0;
    let mut dst = dst;
    // SAFETY (whole body): every read is at (l, j) with l < kc, j < nc; every
    // write is inside the panel being filled.
    unsafe {
        while j0 < nc {
            let cols = NR.min(nc - j0);
            let src = b.offset(j0 as isize * csb);
            if cols == NR && csb == 1 {
                // Rows are contiguous (a transposed column-major matrix).
                for p in 0..kc {
                    std::ptr::copy_nonoverlapping(
                        src.offset(p as isize * rsb),
                        dst.add(p * NR),
                        NR,
                    );
                }
            } else if cols == NR && rsb == 1 {
                // Columns are contiguous (a column-major matrix): TL×TL
                // transposes of `span` columns, TL depths at a time. Row
                // `t` of a transpose is written TL wide at `t·NR`, so the
                // columns past NR spill into the start of row `t+1`, which is
                // written afterwards (transposes run from the highest columns
                // down, rows in increasing order); hence only while row
                // `p+LANES` exists, and only while `span` columns exist.
                let mut p = 0;
                if j0 + span <= nc {
                    while p + l < kc {
                        for h in (0..span / l).rev() {
                            S::transpose(
                                src.offset((h * l) as isize * csb + p as isize),
                                csb,
                                dst.add(p * NR + h * l),
                                NR,
                            );
                        }
                        p += l;
                    }
                }
                // The last depths one element at a time, NR read streams.
                let s: [*const S::T; NR] = std::array::from_fn(|j| src.offset(j as isize * csb));
                for p in p..kc {
                    let d = dst.add(p * NR);
                    for (j, col) in s.iter().enumerate() {
                        *d.add(j) = *col.add(p);
                    }
                }
            } else {
                for p in 0..kc {
                    let d = dst.add(p * NR);
                    for j in 0..NR {
                        *d.add(j) = if j < cols {
                            *src.offset(p as isize * rsb + j as isize * csb)
                        } else {
                            S::T::ZERO
                        };
                    }
                }
            }
            dst = dst.add(NR * kc);
            j0 += NR;
        }
    }
}
