//! After warm-up, matrix products do not allocate: the packing buffers come
//! from a per-thread workspace that is reused by every call of the same or a
//! smaller size, on one thread or cut for several. A counting global
//! allocator proves it.

use backprop_tensor::{
    DMatrix, Scalar,
    ops::{Op, gemm},
    threads,
};
#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

/// The MLP's (784-128-64-10) eight products at one batch size, plus the
/// matrix-vector products of single-sample inference, plus the first
/// layer's two products of a mostly zero input, as operand triples.
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
    // The first layer's products with a mostly zero input (one entry in
    // five nonzero, as MNIST's pixels), which skip its zeros.
    let x = DMatrix::from_fn(784, batch, |i, j| T::of(f64::from((i + 3 * j) % 5 == 0)));
    v.push((m(128, 784), Op::N, x.clone(), Op::N, m(128, batch)));
    v.push((m(128, batch), Op::N, x, Op::T, m(128, 784)));
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
    // On the caller alone, then cut for two threads (whose helper is started,
    // and its packing buffers allocated, by the warm-up; the allocator counts
    // every thread).
    for threads in [1, 2] {
        threads::set_num_threads(threads);
        check::<f32>();
        check::<f64>();
    }
}
