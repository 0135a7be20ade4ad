//! Reading `A` (and `B`'s rows) in place gives the bits of packing them:
//! odd heights, views starting at every alignment within a cache line,
//! columns farther apart than the rows, `f32` and `f64`, each instantiation
//! and 1-4 threads.

use super::super::product::Gemm;
use super::super::tests::{Path, TestElem};
use super::PACK_ALL;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// One product `C = α·A·B + β·C` on buffers the test owns: `A` an `m×k`
/// view `off` elements into its buffer with columns `lda` apart, `B`
/// column-major or (`b_rows`) row-major, `C` column-major.
struct Case {
    m: usize,
    k: usize,
    n: usize,
    off: usize,
    lda: usize,
    b_rows: bool,
    alpha: f64,
    beta: f64,
}

/// The bits of `C` after `case` run by `run`, everything packed when
/// `pack_all` (on this thread: only for runs on this thread).
fn product<T: TestElem>(case: &Case, run: Path, pack_all: bool) -> Vec<u64> {
    let Case {
        m,
        k,
        n,
        off,
        lda,
        b_rows,
        alpha,
        beta,
    } = *case;
    let mut rng = StdRng::seed_from_u64((m * 1000 + k * 10 + n + off) as u64);
    let mut r = |len: usize| -> Vec<T> {
        (0..len)
            .map(|_| T::of(rng.random_range(-1.0..1.0)))
            .collect()
    };
    let a = r(off + lda * k);
    let b = r(k * n);
    let mut c = r(m * n);
    let (rsb, csb) = if b_rows { (n, 1) } else { (1, k) };
    let g = Gemm {
        m,
        k,
        n,
        alpha: T::of(alpha),
        a: a[off..].as_ptr(),
        rsa: 1,
        csa: lda as isize,
        b: b.as_ptr(),
        rsb: rsb as isize,
        csb: csb as isize,
        beta: T::of(beta),
        c: c.as_mut_ptr(),
        rsc: 1,
        csc: m as isize,
        a_packed: std::ptr::null(),
        sparse_b: false,
    };
    PACK_ALL.set(pack_all);
    // SAFETY: the buffers hold the m×k view (rows < m ≤ lda), the k×n and
    // the m×n ranges.
    unsafe { T::run(run, g) };
    PACK_ALL.set(false);
    c.into_iter().map(T::bits).collect()
}

fn in_place_matches_packed<T: TestElem>(lanes: usize) {
    let shapes: [(usize, usize, usize); 8] = [
        // The MLP's first layer at batch 64 and 256, an odd height, a
        // partial last panel, several depth blocks, fewer rows than a panel.
        (128, 784, 64),
        (128, 784, 256),
        (127, 300, 64),
        (100, 530, 200),
        (65, 65, 13),
        (33, 9, 7),
        (17, 257, 40),
        // dW of the first layer (B = Xᵀ, rows read in place).
        (128, 64, 784),
    ];
    let mut i = 0;
    for (m, k, n) in shapes {
        for off in 0..lanes {
            for (lda, b_rows) in [
                (m, false),
                (m, true),
                (m + 3, false),
                (m.next_multiple_of(16), true),
            ] {
                let (alpha, beta) = [(1.0, 0.0), (1.0, 1.0), (-0.5, 0.75)][i % 3];
                i += 1;
                let case = Case {
                    m,
                    k,
                    n,
                    off,
                    lda,
                    b_rows,
                    alpha,
                    beta,
                };
                let packed = product::<T>(&case, Path::Here, true);
                for run in [
                    Path::Here,
                    Path::Avx2,
                    Path::Threads(1),
                    Path::Threads(2),
                    Path::Threads(3),
                    Path::Threads(4),
                ] {
                    assert!(
                        product::<T>(&case, run, false) == packed,
                        "{m}x{k}x{n} off {off} lda {lda} B rows {b_rows} {run:?}: not the packed bits"
                    );
                }
                let packed = product::<T>(&case, Path::Portable, true);
                assert!(
                    product::<T>(&case, Path::Portable, false) == packed,
                    "{m}x{k}x{n} off {off} lda {lda} B rows {b_rows} portable: not the packed bits"
                );
            }
        }
    }
}

#[test]
fn f32_in_place_gives_the_packed_bits() {
    in_place_matches_packed::<f32>(16);
}

#[test]
fn f64_in_place_gives_the_packed_bits() {
    in_place_matches_packed::<f64>(8);
}
