//! Tests of the path that skips `B`'s zeros (`sparse`): the blocked
//! product's bits on every instantiation, layout of `B` and scaling, for
//! any thread count; when it is taken; a NaN in `B` still reaching `C`.

use super::product::Gemm;
use super::sparse::skips_zeros;
use super::tests::{Layout, Operand, Path, TestElem};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// A product with a mostly zero `B` (about one entry in five nonzero, in
/// runs, and its last column all zeros), `A` and `C` column-major.
struct Case<T> {
    a: Operand<T>,
    b: Operand<T>,
    c: Operand<T>,
    shape: (usize, usize, usize),
}

impl<T: TestElem> Case<T> {
    fn new((m, k, n): (usize, usize, usize), lb: Layout, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let a = Operand::new(m, k, Layout::N, || T::of(rng.random_range(-1.0..1.0)));
        let mut b = Operand::new(k, n, lb, || T::of(0.0));
        for j in 0..n.saturating_sub(1) {
            for p in 0..k {
                // Nonzero in a band of depths that moves with the column
                // (like a digit's strokes), plus a few strays.
                let band = (p + 3 * j) % 10 < 2 || rng.random_range(0..40) == 0;
                if band {
                    let at = b.index(p, j);
                    b.buf[at] = T::of(rng.random_range(-1.0..1.0));
                }
            }
        }
        let c = Operand::new(m, n, Layout::N, || T::of(rng.random_range(-1.0..1.0)));
        Case {
            a,
            b,
            c,
            shape: (m, k, n),
        }
    }

    /// `C` after `path` ran the product with `sparse_b` as given.
    fn run(&self, path: Path, alpha: f64, beta: f64, sparse_b: bool) -> Vec<T> {
        let (m, k, n) = self.shape;
        let mut c = self.c.buf.clone();
        let g = Gemm {
            m,
            k,
            n,
            alpha: T::of(alpha),
            a: self.a.buf.as_ptr(),
            rsa: self.a.rs,
            csa: self.a.cs,
            b: self.b.buf.as_ptr(),
            rsb: self.b.rs,
            csb: self.b.cs,
            beta: T::of(beta),
            c: c.as_mut_ptr(),
            rsc: self.c.rs,
            csc: self.c.cs,
            a_packed: std::ptr::null(),
            sparse_b,
        };
        assert_eq!(skips_zeros(&g), alpha != 0.0, "{:?}", self.shape);
        // SAFETY: the three operands hold every index their strides describe.
        unsafe { T::run(path, g) };
        c
    }
}

fn same_bits<T: TestElem>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.bits() == b.bits())
}

/// Shapes: whole eight-vector groups, every smaller group and a tail of
/// rows; one depth block and several (784 = 4×196, 600 = 3×200); a column
/// count past the index's 64 at a time.
const SHAPES: [(usize, usize, usize); 7] = [
    (128, 784, 64),
    (128, 64, 784),
    (64, 784, 130),
    (100, 600, 7),
    (16, 16, 2),
    (37, 300, 65),
    (250, 200, 20),
];

fn blocked_bits<T: TestElem>() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        for lb in [Layout::N, Layout::T] {
            let case = Case::<T>::new(shape, lb, s as u64);
            for (alpha, beta) in [(1.0, 0.0), (1.0, 1.0), (0.5, 0.25), (-2.0, 1.0)] {
                for path in [Path::Here, Path::Avx2, Path::Portable] {
                    let dense = case.run(path, alpha, beta, false);
                    let sparse = case.run(path, alpha, beta, true);
                    assert!(
                        same_bits(&dense, &sparse),
                        "{shape:?} {lb:?} α={alpha} β={beta} {path:?}"
                    );
                }
            }
        }
    }
}

/// Skipping the zeros changes no bit of the blocked product's result.
#[test]
fn f32_skipping_zeros_gives_the_blocked_products_bits() {
    blocked_bits::<f32>();
}

/// The same for `f64`.
#[test]
fn f64_skipping_zeros_gives_the_blocked_products_bits() {
    blocked_bits::<f64>();
}

/// Cut into slices for any number of threads, the same bits.
#[test]
fn skipping_zeros_gives_the_same_bits_on_any_thread_count() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        for lb in [Layout::N, Layout::T] {
            let case = Case::<f32>::new(shape, lb, s as u64 + 100);
            let one = case.run(Path::Threads(1), 1.0, 0.0, true);
            assert!(same_bits(&one, &case.run(Path::Dispatch, 1.0, 0.0, false)));
            for t in [2, 3, 8] {
                let many = case.run(Path::Threads(t), 1.0, 0.0, true);
                assert!(same_bits(&one, &many), "{shape:?} {lb:?}: {t} threads");
            }
        }
    }
}

/// Taken for a mostly zero `B` with column-major `A` and `C`; not for a
/// dense `B` (NaNs count as nonzero) or one two-fifths nonzero, a
/// row-major `A`, one column, or a shallow or very deep product.
#[test]
fn which_products_skip_zeros() {
    let g = |m, k, n, rsa: isize, b: &[f32]| Gemm {
        m,
        k,
        n,
        alpha: 1.0_f32,
        a: std::ptr::null(),
        rsa,
        csa: if rsa == 1 { m as isize } else { 1 },
        b: b.as_ptr(),
        rsb: 1,
        csb: k as isize,
        beta: 0.0,
        c: std::ptr::null_mut(),
        rsc: 1,
        csc: m as isize,
        a_packed: std::ptr::null(),
        sparse_b: false,
    };
    let sparse: Vec<f32> = (0..64 * 4).map(|i| f32::from(i % 4 == 0)).collect();
    let dense: Vec<f32> = (0..64 * 4).map(|i| f32::from(i % 4 != 0)).collect();
    let nan = vec![f32::NAN; 64 * 4];
    assert!(skips_zeros(&g(32, 64, 4, 1, &sparse)));
    assert!(!skips_zeros(&g(32, 64, 4, 1, &dense)));
    let two_fifths: Vec<f32> = (0..64 * 4).map(|i| f32::from(i % 5 < 2)).collect();
    assert!(!skips_zeros(&g(32, 64, 4, 1, &two_fifths)));
    assert!(!skips_zeros(&g(32, 64, 4, 1, &nan)));
    assert!(!skips_zeros(&g(32, 64, 4, 64, &sparse)));
    assert!(!skips_zeros(&g(32, 64, 1, 1, &sparse)));
    assert!(!skips_zeros(&g(8, 64, 4, 1, &sparse)));
    assert!(!skips_zeros(&g(32, 8, 4, 1, &sparse[..32])));
    // Deeper than the index is sized for (B is not read).
    assert!(!skips_zeros(&g(32, (1 << 16) + 1, 4, 1, &sparse)));
}

/// The index's workspace grows with the columns indexed, up to 64 at a
/// time, not with the 64 columns whatever the product: a deep product of
/// two columns takes a few lines per depth, not dozens.
#[test]
fn the_index_is_sized_by_the_columns_it_holds() {
    use crate::workspace::WORKSPACE;
    let k = 4096;
    let case = Case::<f32>::new((16, k, 2), Layout::N, 3);
    WORKSPACE.with(|w| w.set(Vec::new()));
    case.run(Path::Here, 1.0, 0.0, true);
    let bytes = WORKSPACE.with(|w| {
        let ws = w.take();
        let len = ws.len();
        w.set(ws);
        len * 64
    });
    // Two columns' entries (a depth and an f32 each, twice for the rows'
    // copy), each row's start, and a few lines of per-column arrays; the
    // index of 64 columns would take 32 times the entries.
    assert!(bytes < 2 * 2 * k * 8 + 4 * k + 4096, "{bytes} bytes");
    assert!(bytes > 2 * k * 8, "{bytes} bytes");
}

/// A NaN in `B` is not a zero: it reaches its column of `C`, as in the
/// blocked product.
#[test]
fn a_nan_in_b_reaches_c() {
    for lb in [Layout::N, Layout::T] {
        let mut case = Case::<f32>::new((64, 784, 64), lb, 7);
        let at = case.b.index(500, 3);
        case.b.buf[at] = f32::NAN;
        let c = case.run(Path::Dispatch, 1.0, 0.0, false);
        for j in 0..64 {
            let nans = (0..64).filter(|&i| c[j * 64 + i].is_nan()).count();
            assert_eq!(nans, if j == 3 { 64 } else { 0 }, "{lb:?} column {j}");
        }
    }
}

/// `y ← α·A·x + β·y` (`n = 1`, `A` column-major) with `x` read from `xs`
/// every `incx` entries: `C` after `path` ran it.
fn gemv<T: TestElem>(
    path: Path,
    a: &[T],
    (m, k): (usize, usize),
    xs: &[T],
    incx: isize,
    (alpha, beta): (f64, f64),
) -> Vec<T> {
    let mut y: Vec<T> = (0..m).map(|i| T::of((i % 7) as f64 - 3.0)).collect();
    let g = Gemm {
        m,
        k,
        n: 1,
        alpha: T::of(alpha),
        a: a.as_ptr(),
        rsa: 1,
        csa: m as isize,
        b: xs.as_ptr(),
        rsb: incx,
        csb: k as isize * incx,
        beta: T::of(beta),
        c: y.as_mut_ptr(),
        rsc: 1,
        csc: m as isize,
        a_packed: std::ptr::null(),
        sparse_b: false,
    };
    // SAFETY: A holds m×k entries, xs k·incx, y m.
    unsafe { T::run(path, g) };
    y
}

fn sparse_vector_bits<T: TestElem>() {
    // Blocks of eight and four vectors and the rows after them; a depth of
    // one vector's worth and a tail; the deepest listed; a few strays
    // beside a run of nonzeros, as in a digit.
    for (s, &(m, k)) in [
        (128, 784),
        (64, 100),
        (44, 300),
        (256, 2048),
        (37, 50),
        (16, 16),
    ]
    .iter()
    .enumerate()
    {
        let mut rng = StdRng::seed_from_u64(s as u64 + 40);
        let a: Vec<T> = (0..m * k)
            .map(|_| T::of(rng.random_range(-1.0..1.0)))
            .collect();
        let x: Vec<T> = (0..k)
            .map(|p| {
                let lit = p % 10 < 2 || rng.random_range(0..40) == 0;
                T::of(if lit {
                    rng.random_range(-1.0..1.0)
                } else {
                    0.0
                })
            })
            .collect();
        // The same x every other entry of a buffer: read whole, never listed.
        let strided: Vec<T> = x.iter().flat_map(|&v| [v, T::of(0.5)]).collect();
        for ab in [(1.0, 0.0), (1.0, 1.0), (0.5, 0.25), (-2.0, 1.0)] {
            for path in [Path::Here, Path::Avx2, Path::Portable, Path::Threads(2)] {
                let listed = gemv(path, &a, (m, k), &x, 1, ab);
                let whole = gemv(path, &a, (m, k), &strided, 2, ab);
                assert!(same_bits(&listed, &whole), "{m}×{k} {ab:?} {path:?}");
            }
        }
    }
}

/// A matrix-vector product with a mostly zero `x` (read through its
/// nonzeros) has the bits of the same product reading all of `x`.
#[test]
fn f32_a_mostly_zero_vector_gives_the_whole_vectors_bits() {
    sparse_vector_bits::<f32>();
}

#[test]
fn f64_a_mostly_zero_vector_gives_the_whole_vectors_bits() {
    sparse_vector_bits::<f64>();
}

/// A NaN in a mostly zero `x` is not a zero: it reaches every row of `y`.
#[test]
fn a_nan_in_a_mostly_zero_vector_reaches_y() {
    let (m, k) = (128, 784);
    let a = vec![0.5_f32; m * k];
    let mut x = vec![0.0_f32; k];
    x[10] = 1.0;
    x[400] = f32::NAN;
    let y = gemv(Path::Dispatch, &a, (m, k), &x, 1, (1.0, 0.0));
    assert!(y.iter().all(|v| v.is_nan()), "{y:?}");
    x[400] = 0.0;
    let y = gemv(Path::Dispatch, &a, (m, k), &x, 1, (1.0, 0.0));
    assert!(y.iter().all(|&v| v == 0.5), "{y:?}");
}

/// The columns of `A` facing the zeros of a mostly zero `x` are not read: a
/// NaN there stays out of `y`, where reading all of `x` (`0·NaN`) makes
/// every row NaN.
#[test]
fn a_mostly_zero_vector_skips_the_columns_facing_its_zeros() {
    let (m, k) = (128, 784);
    let mut a = vec![0.5_f32; m * k];
    a[m * 300..m * 301].fill(f32::NAN);
    let mut x = vec![0.0_f32; k];
    x[10] = 1.0;
    let strided: Vec<f32> = x.iter().flat_map(|&v| [v, 0.0]).collect();
    for path in [Path::Here, Path::Portable, Path::Threads(2)] {
        let listed = gemv(path, &a, (m, k), &x, 1, (1.0, 0.0));
        assert!(listed.iter().all(|&v| v == 0.5), "{path:?} {listed:?}");
        let whole = gemv(path, &a, (m, k), &strided, 2, (1.0, 0.0));
        assert!(whole.iter().all(|v| v.is_nan()), "{path:?} {whole:?}");
    }
}
