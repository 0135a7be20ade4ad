//! Thread counts beyond the machine are capped, not obeyed: `--threads
//! 100000` once started 100,000 helper threads (and hung the machine), and
//! `set_num_threads(usize::MAX)` overflowed in debug builds.

use backprop_tensor::{DMatrix, ops, threads};

#[test]
fn absurd_thread_counts_are_capped_and_products_stay_bit_identical() {
    let cap = threads::max_threads();
    assert!(cap <= threads::MAX_THREADS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        cap,
        (cores * threads::MAX_THREADS_PER_CORE).min(threads::MAX_THREADS)
    );

    let a = DMatrix::from_fn(96, 300, |i, j| ((i * 7 + j) % 11) as f64 - 5.0);
    let b = DMatrix::from_fn(300, 200, |i, j| ((i + 3 * j) % 13) as f64 - 6.0);
    let (mut one, mut many) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    assert_eq!(threads::set_num_threads(1), 1);
    ops::matmul_into(&a, &b, &mut one).unwrap();
    for asked in [100_000, usize::MAX] {
        assert_eq!(threads::set_num_threads(asked), cap);
        assert_eq!(threads::num_threads(), cap);
        ops::matmul_into(&a, &b, &mut many).unwrap();
        assert_eq!(one, many, "{asked} threads asked");
    }
    assert_eq!(threads::set_num_threads(0), 1);
}
