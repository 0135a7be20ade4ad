//! The packed, blocked product (the loop nest of the module docs): blocks of
//! `B` and `A` packed into the thread's workspace (or `B`'s whole
//! micro-panels read in place), then one micro-kernel call per tile of `C`.

use super::kernel::kernel;
use super::pack::{pack_a, pack_b};
use super::product::{Elem, Gemm};
use super::simd::{Simd, prefetch};
use super::sizes::{MAX_MR, MC, NR, block_sizes, packed_lines};
use crate::workspace::{WORKSPACE, give_back, take};

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
                let direct = if g.rsb == 1 { nc / NR * NR } else { 0 };
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
                    let apack = if g.a_packed.is_null() {
                        // SAFETY: the block [ic, ic+mc) × [pc, pc+kc) lies
                        // inside A, and Ã has room for mc_max × kc elements.
                        unsafe {
                            pack_a::<S>(
                                mc,
                                kc,
                                g.a.offset(ic as isize * g.rsa + pc as isize * g.csa),
                                g.rsa,
                                g.csa,
                                apack,
                            )
                        };
                        apack
                    } else {
                        // Packed by `pack_whole_a` (one block of rows, so
                        // ic = 0 and mc_max is its padded height).
                        debug_assert!(ic == 0 && mc == g.m);
                        g.a_packed.wrapping_add(mc_max * pc).cast_mut()
                    };
                    let mut jr = 0;
                    while jr < nc {
                        let mut ir = 0;
                        while ir < mc {
                            let c = g.c.wrapping_offset(
                                (ic + ir) as isize * g.rsc + (jc + jr) as isize * g.csc,
                            );
                            let tile = (g.rsc, g.csc, mr.min(mc - ir), NR.min(nc - jr));
                            let a = apack.wrapping_add(ir * kc);
                            // SAFETY: the micro-panels lie inside Ã and B̃ (or
                            // B: depths [pc, pc+kc) of NR whole columns); the
                            // tile's valid part lies inside C. Two call sites,
                            // so that each inlined kernel knows its strides.
                            unsafe {
                                if jr < direct {
                                    let b = bblock.wrapping_offset(jr as isize * g.csb);
                                    if jr + NR < direct {
                                        // This panel's kernels share the
                                        // fetching of the next one's columns.
                                        let next = b.wrapping_offset(NR as isize * g.csb);
                                        let panels = mc.div_ceil(mr);
                                        let col_bytes = kc * std::mem::size_of::<S::T>();
                                        for j in (ir / mr..NR).step_by(panels) {
                                            let col = next.wrapping_offset(j as isize * g.csb);
                                            for off in (0..col_bytes).step_by(64) {
                                                prefetch(col.cast::<u8>().wrapping_add(off));
                                            }
                                        }
                                    }
                                    kernel::<S>(kc, a, (b, 1, g.csb), g.alpha, beta, c, tile)
                                } else {
                                    let b = bpack.wrapping_add((jr - direct) * kc);
                                    kernel::<S>(kc, a, (b, NR as isize, 1), g.alpha, beta, c, tile)
                                }
                            };
                            ir += mr;
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
