//! Unit tests of the element-wise and matrix helpers (ops.rs).

use super::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn random(rows: usize, cols: usize, rng: &mut StdRng) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// Every layout and shapes including 1 and ≤ 5 (where nalgebra's strided
/// gemm misbehaves) against nalgebra's own product of explicit transposes.
#[test]
fn all_layouts_match_reference() {
    let mut rng = StdRng::seed_from_u64(7);
    for &(m, k, n) in &[
        (1, 1, 1),
        (3, 5, 1),
        (1, 7, 4),
        (5, 5, 5),
        (10, 64, 3),
        (128, 784, 64),
        (7, 0, 3),
    ] {
        for op_a in [Op::N, Op::T] {
            for op_b in [Op::N, Op::T] {
                let a = match op_a {
                    Op::N => random(m, k, &mut rng),
                    Op::T => random(k, m, &mut rng),
                };
                let b = match op_b {
                    Op::N => random(k, n, &mut rng),
                    Op::T => random(n, k, &mut rng),
                };
                let ea = if op_a == Op::T {
                    a.transpose()
                } else {
                    a.clone()
                };
                let eb = if op_b == Op::T {
                    b.transpose()
                } else {
                    b.clone()
                };
                let c0 = random(m, n, &mut rng);
                let expected = &ea * &eb * 2.0 + &c0 * 0.5;
                let mut c = c0.clone();
                gemm(2.0, &a, op_a, &b, op_b, 0.5, &mut c).unwrap();
                assert!(
                    (c - expected).abs().max() < 1e-12,
                    "{m}x{k}x{n} {op_a:?}{op_b:?}"
                );
            }
        }
    }
}

#[test]
fn f32_product_matches() {
    let a = DMatrix::<f32>::from_fn(6, 4, |i, j| (i + 2 * j) as f32);
    let b = DMatrix::<f32>::from_fn(6, 3, |i, j| (i * j) as f32 - 1.0);
    let mut c = DMatrix::zeros(0, 0);
    matmul_tn_into(&a, &b, &mut c).unwrap();
    assert_eq!(c, a.transpose() * &b);
}

#[test]
fn beta_zero_ignores_nan_in_output() {
    let a = DMatrix::<f64>::identity(3, 3);
    let mut c = DMatrix::from_element(3, 3, f64::NAN);
    gemm(1.0, &a, Op::N, &a, Op::N, 0.0, &mut c).unwrap();
    assert_eq!(c, a);
}

#[test]
fn shape_errors_name_both_sizes() {
    let a = DMatrix::<f32>::zeros(2, 3);
    let b = DMatrix::<f32>::zeros(4, 5);
    let mut c = DMatrix::<f32>::zeros(2, 5);
    let e = gemm(1.0, &a, Op::N, &b, Op::N, 0.0, &mut c).unwrap_err();
    assert_eq!(
        e,
        TensorError::ShapeMismatch {
            op: "A·B",
            operand: "B",
            expected: (3, 5),
            found: (4, 5)
        }
    );
    let b = DMatrix::<f32>::zeros(3, 5);
    let mut c = DMatrix::<f32>::zeros(5, 2);
    let e = gemm(1.0, &a, Op::N, &b, Op::N, 0.0, &mut c).unwrap_err();
    assert!(
        e.to_string().contains("operand C expected 2×5, found 5×2"),
        "{e}"
    );
    let e = add_bias(&mut c, &DMatrix::zeros(2, 1)).unwrap_err();
    assert!(e.to_string().contains("expected 5×1, found 2×1"), "{e}");
}

#[test]
fn resize_keeps_allocation() {
    let mut m = DMatrix::<f32>::zeros(10, 64);
    let ptr = m.as_ptr();
    resize(&mut m, 10, 32);
    resize(&mut m, 10, 64);
    assert_eq!(m.shape(), (10, 64));
    assert_eq!(ptr, m.as_ptr());
}

#[test]
fn bias_and_column_sums() {
    let mut z = DMatrix::from_row_slice(2, 3, &[1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = DMatrix::from_column_slice(2, 1, &[10.0, 20.0]);
    add_bias(&mut z, &b).unwrap();
    assert_eq!(
        z,
        DMatrix::from_row_slice(2, 3, &[11.0, 12.0, 13.0, 24.0, 25.0, 26.0])
    );
    let mut s = DMatrix::from_element(2, 1, 1.0);
    sum_columns(0.5, &z, 2.0, &mut s).unwrap();
    assert_eq!(s.as_slice(), &[2.0 + 18.0, 2.0 + 37.5]);
}

#[test]
fn a_long_slice_is_checked_whole_on_any_thread_count() {
    // 40,000 entries, cut into 4 slices on 2 threads and 3 on 3. One
    // bad entry at either end, on either side of every boundary of the
    // cut for that count, and inside a slice is found on every count; a
    // finite slice passes on every count.
    use crate::threads::{PARALLEL_MIN_ELEMENTS, Slices};
    let n = 40_000;
    let mut xs = vec![1.5_f32; n];
    for threads in [1, 2, 3] {
        let mut at = vec![0, 31_337, n - 1];
        if let Some(cut) = Slices::new(n, 16, PARALLEL_MIN_ELEMENTS, threads) {
            let starts = (1..).map(|i| cut.bounds(i).0).take_while(|&lo| lo < n);
            at.extend(starts.flat_map(|lo| [lo - 1, lo]));
        }
        assert_eq!(
            at.len(),
            [3, 9, 7][threads - 1],
            "{threads} threads: {at:?}"
        );
        crate::threads::set_num_threads(threads);
        assert!(all_finite(&xs), "{threads} threads");
        for &at in &at {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                xs[at] = bad;
                assert!(!all_finite(&xs), "{bad} at {at}, {threads} threads");
                xs[at] = -2.0e38;
            }
        }
        assert!(all_finite(&xs), "{threads} threads");
    }
    crate::threads::set_num_threads(1);
}
