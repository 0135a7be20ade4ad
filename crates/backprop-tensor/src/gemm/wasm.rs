//! WebAssembly: the micro-kernel's accumulation written for V8.
//!
//! LLVM's wasm backend has no register file to fit (wasm has unlimited
//! locals), so the four-depth unrolled accumulation of the other
//! instantiations comes out with every broadcast of `B` and every vector of
//! `A` of the four depths alive at once (some 44 vectors), which the
//! browser's compiler then spills around its 16 `xmm` registers. Here the
//! `MR×NR` tile is accumulated in two passes over the panel of `A`, three
//! columns each, one depth per iteration: 6 accumulators, 2 vectors of `A`
//! and 3 broadcasts, which fit whatever order LLVM puts them in. `A`'s panel
//! is read twice, from L1.
//!
//! Measured in headless Chromium 156 (CPU time of the page's thread, the
//! MNIST network's product shapes, 12 interleaved rounds, best of each, two
//! runs): 34.5-36.3 GFLOP/s for `W·A` (128×784·784×64) and `dZ·Aᵀ`
//! (128×64·64×784) against 30.6-33.1 for the shared four-depth kernel,
//! 31-33 against 28-30 for `Wᵀ·dZ`; a one-pass one-depth loop read 24-27,
//! two-column passes 28-32, two half-height passes 29-34. (The CPU time was
//! read from `/proc/PID/schedstat`, which moves at scheduler ticks: with
//! 25-40 ms runs the absolute figures are approximate, the order held in
//! every run.) One epoch of the tutorial's network on the wall clock:
//! 0.89-0.98 of the old time (web/engine/bench/ab.html, three runs).
//!
//! Every accumulator adds `a·b` (unfused) over the same depths in the same
//! order as the portable kernel, so the results are the same bits
//! (web/tests/products.test.mjs checks them against a plain product).

use super::simd::Simd;
use super::sizes::NR;

/// The `MR×NR` tile `Ã·B̃` over `kc` depths (see the module docs).
///
/// # Safety
/// `a` is valid for `MR·kc` elements, `b` for the `kc×NR` range its strides
/// describe (see [`kernel`](super::kernel::kernel)).
#[inline(always)]
pub(super) unsafe fn accumulate<S: Simd>(
    kc: usize,
    a: *const S::T,
    (b, bsp, bsj): (*const S::T, isize, isize),
) -> [[S::V; 2]; NR] {
    // SAFETY: forwarded contract; the second pass reads columns 3..6.
    unsafe {
        let [c0, c1, c2] = three_columns::<S>(kc, a, b, bsp, bsj);
        let [c3, c4, c5] = three_columns::<S>(kc, a, b.offset(3 * bsj), bsp, bsj);
        [c0, c1, c2, c3, c4, c5]
    }
}

/// Columns `0..3` of the tile whose `B` starts at `b`, over `kc` depths.
///
/// # Safety
/// `a` is valid for `MR·kc` elements, `b` for the `kc×3` range its strides
/// describe.
#[inline(always)]
unsafe fn three_columns<S: Simd>(
    kc: usize,
    a: *const S::T,
    b: *const S::T,
    bsp: isize,
    bsj: isize,
) -> [[S::V; 2]; 3] {
    let l = S::LANES;
    // SAFETY: depth `p` reads `a[p·MR .. p·MR+MR]` and `b[p·bsp + j·bsj]`,
    // `p < kc`, `j < 3`.
    unsafe {
        let z = S::zero();
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            let a0 = S::load(a);
            let a1 = S::load(a.add(l));
            let bj = S::splat(*b);
            c00 = S::fma(a0, bj, c00);
            c01 = S::fma(a1, bj, c01);
            let bj = S::splat(*b.offset(bsj));
            c10 = S::fma(a0, bj, c10);
            c11 = S::fma(a1, bj, c11);
            let bj = S::splat(*b.offset(2 * bsj));
            c20 = S::fma(a0, bj, c20);
            c21 = S::fma(a1, bj, c21);
            a = a.add(2 * l);
            b = b.offset(bsp);
        }
        [[c00, c01], [c10, c11], [c20, c21]]
    }
}
