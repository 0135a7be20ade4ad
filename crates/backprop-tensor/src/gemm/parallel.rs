//! Large products on several threads: `C` cut into slices of whole columns
//! (or rows) for the pool of [`crate::threads`], each slice computed exactly
//! as the whole product would compute it; the packing workspaces sized
//! beforehand, and `A` packed once for column slices that share it (in this
//! thread's [`PACKED_A`]).

use super::epilogue::Finish;
use super::matvec;
use super::product::{Elem, Gemm};
use super::sizes::{MAX_MR, MC, NR, workspace_bound};
use super::sparse;
use crate::threads::PARALLEL_MIN_FLOPS;
use crate::workspace::{Line, give_back, reserve_workspace, take};
use std::cell::Cell;

/// Smallest slice of columns (a multiple of `NR`) and of rows (of every
/// micro-panel height) that a parallel product hands to one thread: each
/// slice packs its own copy of the other operand (except an `A` shared by
/// column slices, see [`pack_whole_a`](super::pack::pack_whole_a)), which
/// must stay small next to the slice's arithmetic. Four tiles: with eight
/// (48 columns), a batch of 64 was never cut, and the MLP's second layer
/// `Z = W·A` (64×128 by 128×64) ran on the caller alone while the helper
/// waited; cut in two it took 0.64× the time (`scripts/ab.sh`,
/// `gemm:64,128,64`, two threads, 9 rounds).
const MIN_SLICE_COLS: usize = 4 * NR;
/// Four 16-row AVX2 micro-panels, two 32-row AVX-512 ones (a multiple of
/// `MAX_MR`, as every slice of rows is).
const MIN_SLICE_ROWS: usize = 2 * MAX_MR;

/// Smallest slice (of columns or rows) when every slice packs its own copy
/// of the whole other operand: column slices of an `A` taller than one
/// block (`m > MC`, so not packed once and shared), row slices of a `B`
/// whose columns are not read in place. Four slices per thread packed that
/// copy four times on each thread, where one thread alone packs it once per
/// `NC` columns. `C = A·Bᵀ` of 2048×1024 and 1024×2048 (a weight gradient
/// of the 784-2048-2048-10 MLP at batch 1024) took 0.972, 0.901, 0.994 and
/// 0.976× the time with this bound, 2048×1024·(784×1024)ᵀ 0.979, 0.949 and
/// 0.966×, while an unchanged product beside them read 0.986–1.012
/// (`scripts/ab.sh`, two threads, 11–25 rounds, Zen 3). No product of the
/// 784-128-64-10 MLP is cut this way. The rule is blunt on purpose: where
/// the default slices would have read the other operand in place (an `A`
/// of 200 rows, slices of 128 columns; row slices of 128 with `B`'s rows
/// read in place), keeping them took 1.17 and 1.20× (`gemm:200,784,1024`)
/// and 1.07 and 1.10× (`gemmnt:1024,256,784`) the time of the longer
/// slices, two runs of 15 rounds each.
const MIN_SLICE_REPACKED: usize = 512;

/// Smallest slice of columns of a product that skips `B`'s zeros (each
/// slice indexes its own columns).
const SPARSE_MIN_SLICE_COLS: usize = 8;

/// Matrix-vector products `y = A·x` with at least this many entries in `A`
/// (the MLP's `128×784` first layer has 100,352) are cut by rows for
/// threads like large products.
const PARALLEL_MIN_GEMV: usize = 1 << 16;

/// Row slices of a matrix-vector product `y = W·x` start at multiples of
/// this: eight vectors of the widest kernel (8 `f32` lanes). Any multiple
/// of four vectors would give the same bits (`gemv_columns` sums every row
/// of its 8- and 4-vector blocks by the same chain), but cutting the MLP's
/// 128-row first layer into four slices instead of two made the
/// single-sample forward pass 1.13× slower on two threads (`scripts/ab.sh`,
/// `infer1`, 21 rounds): more hand-overs for the same work.
const GEMV_ROW_ALIGN: usize = 64;

/// Column slices of a one-row product (`Cᵀ = Bᵀ·Aᵀ`, dot products over
/// rows of `Bᵀ`) start at multiples of this.
const GEMV_COL_ALIGN: usize = 64;

thread_local! {
    /// The whole of `A`, packed by this thread for the slices of a product it
    /// shares with the pool (see [`parallel_with`]): grown on first use.
    static PACKED_A: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// A product whose pointers may be shared with the pool's threads.
struct Shared<T>(Gemm<T>);

// SAFETY: the slices handed to different threads write disjoint parts of
// `C` and only read `A` and `B`; `threads::run` returns only after every
// thread is done with them.
unsafe impl<T> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    /// The product (a method, so that closures capture the whole `Shared`).
    fn get(&self) -> Gemm<T> {
        self.0
    }
}

/// Runs a large product on several threads (see [`crate::threads`]): cuts
/// `C` into slices of whole columns (or whole rows, when it has more rows
/// than columns), each computed by `on_thread` exactly as the whole product
/// would compute it, so the result does not depend on the thread count.
/// Each slice's `finish` (the epilogue) runs on the thread that computed it,
/// right after it.
///
/// # Safety
/// As [`sgemm`](super::sgemm).
pub(super) unsafe fn parallel<T: Elem>(
    g: Gemm<T>,
    on_thread: unsafe fn(Gemm<T>),
    pack_a: unsafe fn(&Gemm<T>, *mut T, usize) -> bool,
    finish: Finish<'_>,
) {
    let g = Gemm {
        sparse_b: sparse::skips_zeros(&g),
        ..g
    };
    let flops =
        g.m.saturating_mul(g.n)
            .saturating_mul(g.k)
            .saturating_mul(2);
    // A matrix-vector product (single-sample inference) is bound by reading
    // the matrix: two threads read half each, from their own caches. Only
    // the columns facing a mostly zero `x`'s nonzeros are read (`matvec`).
    let big_gemv = g.n == 1
        && g.m.saturating_mul(g.k) >= PARALLEL_MIN_GEMV
        && g.m.saturating_mul(matvec::columns_read(&g)) >= PARALLEL_MIN_GEMV;
    if g.alpha == T::ZERO || (flops < PARALLEL_MIN_FLOPS && !big_gemv) {
        // SAFETY: the caller's contract.
        unsafe { on_thread(g) };
        return finish(0..g.m, 0..g.n);
    }
    let threads = crate::threads::num_threads();
    // SAFETY: the caller's contract.
    unsafe { parallel_with(g, on_thread, pack_a, threads, finish) }
}

/// [`parallel`] on at most `threads` threads, whatever the product's size.
///
/// # Safety
/// As [`sgemm`](super::sgemm).
pub(super) unsafe fn parallel_with<T: Elem>(
    g: Gemm<T>,
    on_thread: unsafe fn(Gemm<T>),
    pack_a: unsafe fn(&Gemm<T>, *mut T, usize) -> bool,
    threads: usize,
    finish: Finish<'_>,
) {
    // A product that skips B's zeros indexes its own columns of B: cut by
    // columns, anywhere (each column of C is computed alone).
    let by_columns = g.sparse_b || g.n >= g.m;
    let (len, align, min) = if g.sparse_b {
        (g.n, 1, SPARSE_MIN_SLICE_COLS)
    } else if g.m == 1 {
        // One row: the matrix-vector product `Cᵀ = Bᵀ·Aᵀ`, whose rows are
        // C's columns, cut as the `n = 1` one below (slices of multiples of
        // six columns took different summation paths at their ends).
        (g.n, GEMV_COL_ALIGN, GEMV_COL_ALIGN)
    } else if by_columns {
        (g.n, NR, MIN_SLICE_COLS)
    } else if g.n == 1 {
        // A matrix-vector product: slices of whole 8-vector row blocks, so
        // every row is summed by the same loop as without slicing (the
        // rows after the last whole block take another path).
        (g.m, GEMV_ROW_ALIGN, GEMV_ROW_ALIGN)
    } else {
        (g.m, MAX_MR, MIN_SLICE_ROWS)
    };
    // Cuts where a slice may pack its own copy of the other operand (and,
    // bluntly, those that would read it in place; see MIN_SLICE_REPACKED):
    // fewer, longer slices, but still one for each thread.
    let repacked = if g.sparse_b {
        false
    } else if by_columns {
        g.m > MC
    } else {
        g.n > 1 && g.rsb != 1
    };
    let min = if repacked {
        MIN_SLICE_REPACKED.min(len / threads.max(1)).max(min)
    } else {
        min
    };
    let gemv = !by_columns && g.n == 1;
    let Some(cut) = crate::threads::Slices::new(len, align, min, threads) else {
        // SAFETY: the caller's contract.
        unsafe { on_thread(g) };
        return finish(0..g.m, 0..g.n);
    };
    // Every thread's packing buffers are sized before the work starts, for
    // the largest slice, so that no thread allocates inside the product (the
    // helpers' buffers are allocated here, on the calling thread).
    let (sm, sn) = if by_columns {
        (g.m, cut.largest())
    } else {
        (cut.largest(), g.n)
    };
    let size = std::mem::size_of::<T>();
    let sparse_lines = |n| {
        if g.sparse_b {
            sparse::workspace_lines(g.k, n, size)
        } else {
            0
        }
    };
    let lines = workspace_bound(sm, g.k, sn, size).max(sparse_lines(sn));
    // The caller's own buffers fit the whole product, so that running it on
    // one thread later (after `set_num_threads(1)`) allocates nothing either.
    reserve_workspace(workspace_bound(g.m, g.k, g.n, size).max(sparse_lines(g.n)));
    // Slices of columns all need the whole of A: packed once here, not once
    // per slice (the same packing, so the same result), when it is one block
    // of rows (`pack_whole_a` decides; no buffer is taken when it cannot).
    let mut g = g;
    let a_ws = (by_columns && g.m <= MC && !g.sparse_b).then(|| {
        let mut ws = take(
            &PACKED_A,
            (g.m.next_multiple_of(MAX_MR) * g.k * size).div_ceil(64),
        );
        let room = ws.len() * 64 / size;
        // SAFETY: the buffer holds `room` elements; A is the caller's.
        if unsafe { pack_a(&g, ws.as_mut_ptr().cast(), room) } {
            g.a_packed = ws.as_ptr().cast();
        }
        ws
    });
    let shared = Shared(g);
    cut.run(threads, lines, &|lo, hi| {
        let g = shared.get();
        // SAFETY: `lo < hi <= len`, so the offsets stay inside the operands
        // the caller vouched for, and the slices of `C` of different calls
        // are disjoint.
        unsafe {
            let part = if by_columns {
                Gemm {
                    n: hi - lo,
                    b: g.b.offset(lo as isize * g.csb),
                    c: g.c.offset(lo as isize * g.csc),
                    ..g
                }
            } else {
                Gemm {
                    m: hi - lo,
                    a: g.a.offset(lo as isize * g.rsa),
                    c: g.c.offset(lo as isize * g.rsc),
                    ..g
                }
            };
            on_thread(part);
        }
        // The slice is final: its epilogue, on this thread, while it is hot
        // (a matrix-vector product's epilogue waits for the whole, below).
        if by_columns {
            finish(0..g.m, lo..hi);
        } else if !gemv {
            finish(lo..hi, 0..g.n);
        }
    });
    if gemv {
        // A matrix-vector product's epilogue runs on the caller, after every
        // slice: one column of `C` is too little work to share, and on the
        // helper it only lengthened the hand-over (the single-sample forward
        // pass of the MLP 784-128-64-10, bias and ReLU in the epilogue, took
        // 1.25× the time of the product then separate passes on two threads:
        // `scripts/ab.sh`, `infer1`, 21 rounds).
        finish(0..g.m, 0..g.n);
    }
    if let Some(ws) = a_ws {
        give_back(&PACKED_A, ws);
    }
}
