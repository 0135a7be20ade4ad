//! The packed, blocked product (the loop nest of the module docs): blocks of
//! `B` and `A` packed into the thread's workspace (or `B`'s whole
//! micro-panels read in place, and for few columns `A`'s too: see
//! [`a_in_place`]), then one micro-kernel call per tile of `C`.

use super::kernel::kernel;
use super::pack::{pack_a, pack_b};
use super::product::{Elem, Gemm};
use super::simd::{Simd, prefetch};
use super::sizes::{
    A_IN_PLACE_MAX_N, A_IN_PLACE_MAX_STRIDE, MAX_MR, MC, NR, block_sizes, packed_lines,
};
use crate::workspace::{WORKSPACE, give_back, take};

#[cfg(test)]
mod tests;

#[cfg(test)]
thread_local! {
    /// Tests: every operand packed on this thread (nothing read in place),
    /// to compare the bits of the two ways.
    pub(super) static PACK_ALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a test asked this thread to pack everything ([`PACK_ALL`]).
#[inline(always)]
fn pack_forced() -> bool {
    #[cfg(test)]
    return PACK_ALL.get();
    #[cfg(not(test))]
    false
}

/// The packed, blocked product for `m, n ≥ 1`, `k ≥ 1`.
///
/// # Safety
/// As [`gemm_generic`](super::generic::gemm_generic).
#[inline(always)]
pub(super) unsafe fn blocked<S: Simd>(g: Gemm<S::T>) {
    let mr = S::MR;
    debug_assert!(mr <= MAX_MR && MC.is_multiple_of(mr));
    let blocks = block_sizes(g.m, g.k, g.n, mr);
    let (kc_max, mc_max, nc_max) = blocks;
    let (a_lines, b_lines) = packed_lines(blocks, std::mem::size_of::<S::T>());
    let in_place = a_in_place::<S>(&g);

    // Not a closure around the loops: a closure would be compiled without the
    // caller's target features (and so without inlined AVX2 intrinsics).
    let mut ws = take(&WORKSPACE, a_lines + b_lines);
    {
        let apack = ws.as_mut_ptr().cast::<S::T>();
        // SAFETY: the workspace holds a_lines + b_lines lines.
        let bpack = unsafe { ws.as_mut_ptr().add(a_lines) }.cast::<S::T>();
        let mut jc = 0;
        while jc < g.n {
            let nc = nc_max.min(g.n - jc);
            let mut pc = 0;
            while pc < g.k {
                let kc = kc_max.min(g.k - pc);
                let bblock =
                    g.b.wrapping_offset(pc as isize * g.rsb + jc as isize * g.csb);
                // Columns of B that the kernel reads where they are: whole
                // micro-panels of contiguous columns (a column-major B), each
                // column one sequential stream. Packing them would copy every
                // element once more for nothing; only the last, partial
                // panel is packed (zero-padded).
                // Rows of B are read in place the same way (NR contiguous
                // elements of each row, the row stride as the panel's depth
                // stride) when one block of rows of A covers the product:
                // each panel of B then serves the kernels of one block only
                // (not on WebAssembly, where it was not measured).
                let rows_direct =
                    g.csb == 1 && g.m <= MC && !cfg!(target_arch = "wasm32") && !pack_forced();
                let direct = if g.rsb == 1 || rows_direct {
                    nc / NR * NR
                } else {
                    0
                };
                // SAFETY: the block [pc, pc+kc) × [jc+direct, jc+nc) lies
                // inside B, and B̃ has room for kc × nc_max elements.
                unsafe {
                    pack_b::<S>(
                        kc,
                        nc - direct,
                        bblock.wrapping_offset(direct as isize * g.csb),
                        g.rsb,
                        g.csb,
                        bpack,
                    )
                };
                // Later depth blocks accumulate onto the first one's result.
                let beta = if pc == 0 { g.beta } else { S::T::ONE };
                let mut ic = 0;
                while ic < g.m {
                    let mc = mc_max.min(g.m - ic);
                    let ablock =
                        g.a.wrapping_offset(ic as isize * g.rsa + pc as isize * g.csa);
                    // Whole micro-panels read in place (`direct_a` rows),
                    // or none: the rows after them are packed.
                    let direct_a = if in_place { mc / mr * mr } else { 0 };
                    let apack = if g.a_packed.is_null() {
                        // SAFETY: the block [ic+direct_a, ic+mc) × [pc, pc+kc)
                        // lies inside A, and Ã has room for mc_max × kc
                        // elements.
                        unsafe {
                            let first = ablock.wrapping_offset(direct_a as isize * g.rsa);
                            pack_a::<S>(mc - direct_a, kc, first, g.rsa, g.csa, apack)
                        };
                        apack
                    } else {
                        // Packed by `pack_whole_a` (one block of rows, so
                        // ic = 0 and mc_max is its padded height).
                        debug_assert!(ic == 0 && mc == g.m && !in_place);
                        g.a_packed.wrapping_add(mc_max * pc).cast_mut()
                    };
                    let panels = mc.div_ceil(mr);
                    let mut jr = 0;
                    while jr < nc {
                        for q in 0..panels {
                            let b = if jr >= direct {
                                (
                                    bpack.wrapping_add((jr - direct) * kc).cast_const(),
                                    NR as isize,
                                    1,
                                )
                            } else if g.rsb != 1 {
                                (bblock.wrapping_offset(jr as isize * g.csb), g.rsb, 1)
                            } else {
                                let b = bblock.wrapping_offset(jr as isize * g.csb);
                                if jr + NR < direct {
                                    // This panel's kernels share the fetching
                                    // of the next one's columns.
                                    let next = b.wrapping_offset(NR as isize * g.csb);
                                    let col_bytes = kc * std::mem::size_of::<S::T>();
                                    for j in (q..NR).step_by(panels) {
                                        let col = next.wrapping_offset(j as isize * g.csb);
                                        for off in (0..col_bytes).step_by(64) {
                                            prefetch(col.cast::<u8>().wrapping_add(off));
                                        }
                                    }
                                }
                                (b, 1, g.csb)
                            };
                            let first = q * mr;
                            let c = g.c.wrapping_offset(
                                (ic + first) as isize * g.rsc + (jc + jr) as isize * g.csc,
                            );
                            let a = if first < direct_a {
                                (ablock.wrapping_offset(first as isize * g.rsa), g.csa)
                            } else {
                                let p = apack.wrapping_add((first - direct_a) * kc);
                                (p.cast_const(), mr as isize)
                            };
                            let t = (g.rsc, g.csc, mr.min(mc - first), NR.min(nc - jr));
                            // SAFETY: the micro-panels lie inside Ã or A (MR
                            // contiguous rows of depths [pc, pc+kc)) and B̃ or
                            // B (depths [pc, pc+kc) of NR whole columns, or NR
                            // contiguous columns of each of those rows); the
                            // tile's valid part lies inside C.
                            unsafe { tile::<S>(kc, a, b, g.alpha, beta, c, t) };
                        }
                        jr += NR;
                    }
                    ic += mc;
                }
                pc += kc;
            }
            jc += nc;
        }
    }
    give_back(&WORKSPACE, ws);
}

/// One micro-kernel call, with the strides of packed panels (and of `B`'s
/// columns read in place) as constants in the inlined kernel: `a` is packed
/// when its depth stride is `MR` (else read in place, `(A, csa)`), `b` is
/// packed when its strides are `(NR, 1)`, else read in place: columns
/// `(B, 1, csb)` or rows `(B, rsb, 1)`.
///
/// # Safety
/// As [`kernel`].
#[inline(always)]
unsafe fn tile<S: Simd>(
    kc: usize,
    a: (*const S::T, isize),
    (b, bsp, bsj): (*const S::T, isize, isize),
    alpha: S::T,
    beta: S::T,
    c: *mut S::T,
    t: (isize, isize, usize, usize),
) {
    let mr = S::MR as isize;
    let nr = NR as isize;
    // SAFETY: forwarded contract (the constants are the strides given).
    unsafe {
        match (a.1 == mr, bsp == nr && bsj == 1, bsp == 1) {
            (true, true, _) => kernel::<S>(kc, (a.0, mr), (b, nr, 1), alpha, beta, c, t),
            (true, false, true) => kernel::<S>(kc, (a.0, mr), (b, 1, bsj), alpha, beta, c, t),
            (true, false, false) => kernel::<S>(kc, (a.0, mr), (b, bsp, 1), alpha, beta, c, t),
            (false, true, _) => kernel::<S>(kc, a, (b, nr, 1), alpha, beta, c, t),
            (false, false, true) => kernel::<S>(kc, a, (b, 1, bsj), alpha, beta, c, t),
            (false, false, false) => kernel::<S>(kc, a, (b, bsp, 1), alpha, beta, c, t),
        }
    }
}

/// Whether [`blocked`] reads `A`'s whole micro-panels in place (`MR`
/// contiguous rows of each column, the column stride as the panel's depth
/// stride) rather than packing them: `A` column-major with columns at most
/// [`A_IN_PLACE_MAX_STRIDE`] bytes apart and not already packed, `C`
/// column-major, and at most [`A_IN_PLACE_MAX_N`] columns. Packing copies
/// `A` once for the `⌈n/NR⌉` panels of `B` that then read it; with few
/// columns (a training batch) that copy is a sizeable share of the
/// product, and in a column-cut parallel product it is a serial part. The
/// rows after the last whole panel are packed. Never on WebAssembly, whose
/// kernel reads packed panels only.
///
/// Every element of `C` is the same chain of multiply-adds over the same
/// depths either way, so the results are the same bits.
#[inline(always)]
pub(super) fn a_in_place<S: Simd>(g: &Gemm<S::T>) -> bool {
    !cfg!(target_arch = "wasm32")
        && !pack_forced()
        && g.a_packed.is_null()
        && g.rsa == 1
        && g.rsc == 1
        && g.n <= A_IN_PLACE_MAX_N
        && g.csa.unsigned_abs() * std::mem::size_of::<S::T>() <= A_IN_PLACE_MAX_STRIDE
}
