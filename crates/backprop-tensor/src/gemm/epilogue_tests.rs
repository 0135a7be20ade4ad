//! Tests of the product's epilogue: on every thread count and both cut
//! directions (slices of columns, of rows), matrix-vector and transposed
//! paths included, the product followed by its epilogue gives the bits of
//! the product followed by the same pass over the whole matrix, into a
//! second output or in place; every entry is handed over exactly once.

use super::epilogue::{Blocks, EpilogueColumn};
use super::parallel::parallel_with;
use super::product::{Elem, Gemm};
use super::{dgemm_on_this_thread, dpack_whole_a, sgemm_on_this_thread, spack_whole_a};
use crate::Scalar;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::sync::atomic::{AtomicU32, Ordering};

/// The product of one element type, sliced for `threads` threads whatever
/// its size, with `finish` on each slice.
trait Run: Scalar + Elem {
    /// # Safety
    /// As [`parallel_with`].
    unsafe fn run(g: Gemm<Self>, threads: usize, finish: super::Finish<'_>);
}

impl Run for f32 {
    unsafe fn run(g: Gemm<Self>, threads: usize, finish: super::Finish<'_>) {
        // SAFETY: forwarded contract.
        unsafe { parallel_with(g, sgemm_on_this_thread, spack_whole_a, threads, finish) }
    }
}

impl Run for f64 {
    unsafe fn run(g: Gemm<Self>, threads: usize, finish: super::Finish<'_>) {
        // SAFETY: forwarded contract.
        unsafe { parallel_with(g, dgemm_on_this_thread, dpack_whole_a, threads, finish) }
    }
}

/// `C = A·B` (`A` stored transposed when `a_t`) on `threads` threads, with
/// `epilogue` run per column part as `ops::product_then` runs it, and
/// `out` (of `C`'s shape) as the second output when given.
fn product<T: Run>(
    a: &DMatrix<T>,
    a_t: bool,
    b: &DMatrix<T>,
    threads: usize,
    out: Option<&mut DMatrix<T>>,
    epilogue: &(impl Fn(EpilogueColumn<'_, T>) + Sync),
) -> DMatrix<T> {
    let (m, k) = if a_t {
        (a.ncols(), a.nrows())
    } else {
        (a.nrows(), a.ncols())
    };
    let n = b.ncols();
    let mut c = DMatrix::from_element(m, n, T::of(f64::NAN));
    let (rsa, csa) = if a_t {
        (k as isize, 1)
    } else {
        (1, m as isize)
    };
    let g = Gemm {
        m,
        k,
        n,
        alpha: T::one(),
        a: a.as_ptr(),
        rsa,
        csa,
        b: b.as_ptr(),
        rsb: 1,
        csb: k as isize,
        beta: T::zero(),
        c: c.as_mut_ptr(),
        rsc: 1,
        csc: m as isize,
        a_packed: std::ptr::null(),
        sparse_b: false,
    };
    let out_ptr = out.map_or(std::ptr::null_mut(), |o| {
        assert_eq!(o.shape(), (m, n));
        o.as_mut_ptr()
    });
    let blocks = Blocks::new(c.as_mut_ptr(), out_ptr, m);
    let finish = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        // SAFETY: the product hands disjoint, final blocks of its m×n `C`;
        // `out` is m×n and separate.
        unsafe { blocks.each_column(rows, cols, epilogue) }
    };
    // SAFETY: the operands are m×k (or its transpose), k×n and m×n
    // column-major, as the strides say.
    unsafe { T::run(g, threads, &finish) };
    c
}

fn random<T: Scalar>(rows: usize, cols: usize, rng: &mut StdRng) -> DMatrix<T> {
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(-1.0..1.0)))
}

fn bits<T: Scalar>(m: &DMatrix<T>) -> Vec<u64> {
    m.iter().map(|v| v.as_f64().to_bits()).collect()
}

/// A nonlinear element-wise function that depends on every bit.
fn g<T: Scalar>(v: T) -> T {
    if v > T::zero() {
        v * v - T::of(0.3)
    } else {
        v.exp()
    }
}

/// Shapes for every path and cut: columns (`n ≥ m`), rows (`m > n`),
/// matrix-vector (`n = 1`), one row (`m = 1`), fewer rows than a
/// micro-panel (computed as `Cᵀ`), odd sizes that leave partial slices.
const SHAPES: [(usize, usize, usize); 8] = [
    (37, 50, 301),
    (301, 50, 37),
    (200, 131, 1),
    (1, 131, 517),
    (10, 64, 1000),
    (128, 784, 97),
    (67, 9, 1003),
    (5, 3, 2),
];

fn same_bits_as_product_then_pass<T: Run>() {
    let mut rng = StdRng::seed_from_u64(17);
    for (m, k, n) in SHAPES {
        for a_t in [false, true] {
            let a = if a_t {
                random::<T>(k, m, &mut rng)
            } else {
                random::<T>(m, k, &mut rng)
            };
            let b = random::<T>(k, n, &mut rng);
            let bias = random::<T>(m, 1, &mut rng);
            // The reference: the product on one thread, then the passes.
            let mut z_ref = product(&a, a_t, &b, 1, None, &|_| {});
            for j in 0..n {
                for i in 0..m {
                    z_ref[(i, j)] += bias[i];
                }
            }
            let a_ref = z_ref.map(g);
            let bias = bias.as_slice();
            let add_bias = |part: &mut EpilogueColumn<'_, T>| {
                let rows = part.rows();
                for (v, b) in part.z().iter_mut().zip(&bias[rows]) {
                    *v += *b;
                }
            };
            for threads in [1, 2, 3, 4] {
                let what = format!("{} {m}×{k}×{n} a_t={a_t} threads={threads}", T::NAME);
                // Two outputs: Z kept, A = g(Z) beside it.
                let mut out = DMatrix::from_element(m, n, T::of(f64::NAN));
                let z = product(&a, a_t, &b, threads, Some(&mut out), &|mut part| {
                    add_bias(&mut part);
                    part.map(g);
                });
                assert_eq!(bits(&z), bits(&z_ref), "Z, {what}");
                assert_eq!(bits(&out), bits(&a_ref), "A, {what}");
                // In place: C = g(C + b).
                let c = product(&a, a_t, &b, threads, None, &|mut part| {
                    add_bias(&mut part);
                    assert!(part.out().is_none());
                    part.map(g);
                });
                assert_eq!(bits(&c), bits(&a_ref), "in place, {what}");
            }
        }
    }
}

#[test]
fn f32_epilogue_gives_the_bits_of_product_then_pass_on_any_thread_count() {
    same_bits_as_product_then_pass::<f32>();
}

#[test]
fn f64_epilogue_gives_the_bits_of_product_then_pass_on_any_thread_count() {
    same_bits_as_product_then_pass::<f64>();
}

#[test]
fn every_entry_is_handed_over_once_with_its_row_and_column() {
    let mut rng = StdRng::seed_from_u64(5);
    for (m, k, n) in SHAPES {
        let a = random::<f32>(m, k, &mut rng);
        let b = random::<f32>(k, n, &mut rng);
        for threads in [1, 2, 3, 4] {
            let seen: Vec<AtomicU32> = (0..m * n).map(|_| AtomicU32::new(0)).collect();
            let mut out = DMatrix::zeros(m, n);
            let c = product(&a, false, &b, threads, Some(&mut out), &|mut part| {
                let (col, rows) = (part.col(), part.rows());
                let (z, out) = part.split();
                let out = out.expect("a second output was given");
                assert_eq!((z.len(), out.len()), (rows.len(), rows.len()));
                for (i, (o, v)) in rows.zip(out.iter_mut().zip(z.iter())) {
                    seen[col * m + i].fetch_add(1, Ordering::Relaxed);
                    // Where the entry sits, and that it is final already.
                    *o = (col * m + i) as f32;
                    assert!(!v.is_nan());
                }
            });
            assert!(
                seen.iter().all(|s| s.load(Ordering::Relaxed) == 1),
                "{m}×{k}×{n} on {threads} threads"
            );
            let places: Vec<f32> = (0..m * n).map(|p| p as f32).collect();
            assert_eq!(out.as_slice(), places.as_slice());
            // The plain product (no epilogue) gives the same C.
            let plain = product(&a, false, &b, threads, None, &|_| {});
            assert_eq!(bits(&c), bits(&plain));
        }
    }
}
