//! After warm-up, matrix products do not allocate: the packing buffers come
//! from a per-thread workspace that is reused by every call of the same or a
//! smaller size. A counting global allocator proves it.

use backprop_tensor::{
    DMatrix, Scalar,
    ops::{Op, gemm},
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls made while the
// current thread has counting switched on.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

/// The MLP's (784-128-64-10) eight products at one batch size, plus the
/// matrix-vector products of single-sample inference, as operand triples.
type Case<T> = (DMatrix<T>, Op, DMatrix<T>, Op, DMatrix<T>);

fn cases<T: Scalar>(batch: usize) -> Vec<Case<T>> {
    let m = |r, c| DMatrix::from_fn(r, c, |i, j| T::of(((i * 7 + j * 3) % 11) as f64 - 5.0));
    let mut v = Vec::new();
    for (out, inp) in [(128, 784), (64, 128), (10, 64)] {
        // Z = W·X, dW = dZ·Xᵀ, dX = Wᵀ·dZ.
        v.push((m(out, inp), Op::N, m(inp, batch), Op::N, m(out, batch)));
        v.push((m(out, batch), Op::N, m(inp, batch), Op::T, m(out, inp)));
        v.push((m(out, inp), Op::T, m(out, batch), Op::N, m(inp, batch)));
        // Single-sample inference.
        v.push((m(out, inp), Op::N, m(inp, 1), Op::N, m(out, 1)));
    }
    v
}

fn run<T: Scalar>(cases: &mut [Case<T>]) {
    for (a, op_a, b, op_b, c) in cases.iter_mut() {
        gemm(T::one(), a, *op_a, b, *op_b, T::zero(), c).unwrap();
    }
}

fn check<T: Scalar>() {
    let mut big = cases::<T>(256);
    let mut small = cases::<T>(64);
    // Warm-up: the largest products size the workspace (which also shows
    // that the counter counts).
    assert!(allocations(|| run(&mut big)) > 0, "{} warm-up", T::NAME);
    assert_eq!(allocations(|| run(&mut big)), 0, "{} batch 256", T::NAME);
    assert_eq!(allocations(|| run(&mut small)), 0, "{} batch 64", T::NAME);
    assert_eq!(
        allocations(|| run(&mut big)),
        0,
        "{} batch 256 again",
        T::NAME
    );
}

#[test]
fn products_do_not_allocate_after_warm_up() {
    check::<f32>();
    check::<f64>();
}
