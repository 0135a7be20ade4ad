//! Tests of every path of the product (dispatch, AVX2 where AVX-512 is
//! dispatched, portable, sliced for threads) against a naive `f64` triple
//! loop, for every layout and scaling; bit-identical results for any thread
//! count and for the AVX2 and AVX-512 kernels; the workspace bound and its
//! reuse.

use super::epilogue::nothing;
use super::generic::gemm_generic;
use super::parallel::parallel_with;
use super::portable;
use super::product::{Elem, Gemm};
use super::sizes::{block_sizes, packed_lines, workspace_bound};
use super::{
    dgemm, dgemm_on_this_thread, dpack_whole_a, sgemm, sgemm_on_this_thread, spack_whole_a,
};
use crate::workspace::WORKSPACE;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::cell::Cell;

/// How an operand is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Layout {
    /// Column-major, leading dimension = rows (`Op::N` of a `DMatrix`).
    N,
    /// Stored transposed: row-major (`Op::T` of a `DMatrix`).
    T,
    /// Column-major with a padded leading dimension and a column stride of
    /// 2 between logical columns: exercises the general strided paths.
    Strided,
}

/// A `rows×cols` operand: its buffer and strides.
pub(super) struct Operand<T> {
    pub(super) buf: Vec<T>,
    pub(super) rs: isize,
    pub(super) cs: isize,
}

impl<T: Elem> Operand<T> {
    pub(super) fn new(
        rows: usize,
        cols: usize,
        layout: Layout,
        mut fill: impl FnMut() -> T,
    ) -> Self {
        let (len, rs, cs) = match layout {
            Layout::N => (rows * cols, 1, rows.max(1)),
            Layout::T => (rows * cols, cols.max(1), 1),
            Layout::Strided => {
                let ld = rows + 3;
                (ld * 2 * cols.max(1), 1, 2 * ld)
            }
        };
        let buf = (0..len.max(1)).map(|_| fill()).collect();
        Operand {
            buf,
            rs: rs as isize,
            cs: cs as isize,
        }
    }
    pub(super) fn at(&self, i: usize, j: usize) -> T {
        self.buf[(i as isize * self.rs + j as isize * self.cs) as usize]
    }
    pub(super) fn index(&self, i: usize, j: usize) -> usize {
        (i as isize * self.rs + j as isize * self.cs) as usize
    }
}

/// Which instantiation to run (also for `blocked/tests.rs`).
#[derive(Clone, Copy, Debug)]
pub(super) enum Path {
    /// The run-time dispatch (AVX-512 or AVX2+FMA on CPUs that have them).
    Dispatch,
    /// The dispatched instantiation on this thread, never cut for threads
    /// (what a test's thread-local settings apply to).
    Here,
    /// The AVX2+FMA kernel where the CPU has it, even with AVX-512 there
    /// (the dispatched one on this thread otherwise); `f64` has no other.
    Avx2,
    /// The portable vectors, whatever the CPU.
    Portable,
    /// The run-time dispatch cut into slices for this many threads,
    /// whatever the product's size.
    Threads(usize),
}

/// `f32` and `f64` in the tests: conversions, and running a product by a
/// [`Path`].
pub(super) trait TestElem: Elem + std::fmt::Debug {
    const EPS: f64;
    fn of(v: f64) -> Self;
    fn f(self) -> f64;
    /// The value's bits, widened (to compare results bit for bit).
    fn bits(self) -> u64;
    /// Runs `g` by `path`.
    ///
    /// # Safety
    /// `g`'s operands are valid for the ranges its sizes and strides
    /// describe.
    unsafe fn run(path: Path, g: Gemm<Self>);
}

impl TestElem for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn of(v: f64) -> Self {
        v as f32
    }
    fn f(self) -> f64 {
        self as f64
    }
    fn bits(self) -> u64 {
        self.to_bits().into()
    }
    unsafe fn run(path: Path, g: Gemm<Self>) {
        match path {
            Path::Dispatch => unsafe { sgemm(g) },
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 if super::avx2_fma() => unsafe { super::x86::sgemm_avx2(g) },
            Path::Here | Path::Avx2 => unsafe { sgemm_on_this_thread(g) },
            Path::Portable => unsafe { gemm_generic::<portable::F32x4>(g) },
            Path::Threads(t) => unsafe {
                parallel_with(g, sgemm_on_this_thread, spack_whole_a, t, &nothing)
            },
        }
    }
}

impl TestElem for f64 {
    const EPS: f64 = f64::EPSILON;
    fn of(v: f64) -> Self {
        v
    }
    fn f(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    unsafe fn run(path: Path, g: Gemm<Self>) {
        match path {
            Path::Dispatch => unsafe { dgemm(g) },
            Path::Here | Path::Avx2 => unsafe { dgemm_on_this_thread(g) },
            Path::Portable => unsafe { gemm_generic::<portable::F64x2>(g) },
            Path::Threads(t) => unsafe {
                parallel_with(g, dgemm_on_this_thread, dpack_whole_a, t, &nothing)
            },
        }
    }
}

/// Runs one product and compares every entry of `C` with an `f64` naive
/// triple loop, to `(k+2)·ε·(|α|·Σₗ|aᵢₗ||bₗⱼ| + |β||cᵢⱼ|)`: the classic
/// bound for a length-`k` dot product is `k·u` times that magnitude, and
/// the reference and the product each contribute at most that much
/// (`2·k·u = k·ε`), plus two roundings for α and β. Entries of `C`'s
/// buffer outside the `m×n` range must be left untouched.
#[allow(clippy::too_many_arguments)]
fn check<T: TestElem>(
    path: Path,
    (m, k, n): (usize, usize, usize),
    (la, lb, lc): (Layout, Layout, Layout),
    alpha: f64,
    beta: f64,
    nan_c: bool,
    rng: &mut StdRng,
) {
    let mut r = || T::of(rng.random_range(-1.0..1.0));
    let a = Operand::new(m, k, la, &mut r);
    let b = Operand::new(k, n, lb, &mut r);
    let mut c = Operand::new(m, n, lc, &mut r);
    if nan_c {
        for i in 0..m {
            for j in 0..n {
                let ix = c.index(i, j);
                c.buf[ix] = T::of(f64::NAN);
            }
        }
    }
    let c0 = c.buf.clone();
    // SAFETY: the three operands hold every index their strides describe.
    unsafe {
        T::run(
            path,
            Gemm {
                m,
                k,
                n,
                alpha: T::of(alpha),
                a: a.buf.as_ptr(),
                rsa: a.rs,
                csa: a.cs,
                b: b.buf.as_ptr(),
                rsb: b.rs,
                csb: b.cs,
                beta: T::of(beta),
                c: c.buf.as_mut_ptr(),
                rsc: c.rs,
                csc: c.cs,
                a_packed: std::ptr::null(),
                sparse_b: false,
            },
        )
    };
    let mut inside = vec![false; c.buf.len()];
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut mag) = (0.0, 0.0);
            for l in 0..k {
                exact += a.at(i, l).f() * b.at(l, j).f();
                mag += (a.at(i, l).f() * b.at(l, j).f()).abs();
            }
            let old = c0[c.index(i, j)].f();
            let (old_term, old_mag) = if beta == 0.0 {
                (0.0, 0.0)
            } else {
                (beta * old, (beta * old).abs())
            };
            let expected = alpha * exact + old_term;
            let tol = (k as f64 + 2.0) * T::EPS * (alpha.abs() * mag + old_mag) + 1e-300;
            let got = c.at(i, j).f();
            assert!(
                (got - expected).abs() <= tol,
                "{path:?} {m}x{k}x{n} {la:?}{lb:?}{lc:?} α={alpha} β={beta} nan={nan_c} \
                 at ({i},{j}): got {got}, expected {expected}, tol {tol}"
            );
            inside[c.index(i, j)] = true;
        }
    }
    for (ix, (&was, &now)) in c0.iter().zip(&c.buf).enumerate() {
        if !inside[ix] {
            assert!(
                was.f().to_bits() == now.f().to_bits(),
                "{path:?} {m}x{k}x{n} {la:?}{lb:?}{lc:?}: wrote outside C at {ix}"
            );
        }
    }
}

const SMALL: [usize; 10] = [1, 2, 3, 5, 7, 8, 9, 13, 16, 17];
const SCALES: [(f64, f64, bool); 6] = [
    (1.0, 0.0, true),
    (2.5, 0.0, false),
    (1.0, 1.0, false),
    (-0.5, 0.75, false),
    (0.0, 0.5, false),
    (0.0, 0.0, true),
];

fn all_layouts() -> impl Iterator<Item = (Layout, Layout)> {
    [Layout::N, Layout::T]
        .into_iter()
        .flat_map(|a| [Layout::N, Layout::T].into_iter().map(move |b| (a, b)))
}

fn small_shapes<T: TestElem>(path: Path) {
    let mut rng = StdRng::seed_from_u64(1);
    for m in SMALL {
        for n in SMALL {
            for k in [0, 1, 2, 3, 5, 8, 9, 13, 17] {
                for (la, lb) in all_layouts() {
                    let (alpha, beta, nan) = SCALES[(m + n + k) % SCALES.len()];
                    let shape = (m, k, n);
                    check::<T>(path, shape, (la, lb, Layout::N), alpha, beta, nan, &mut rng);
                }
            }
        }
    }
}

fn large_shapes<T: TestElem>(path: Path) {
    let mut rng = StdRng::seed_from_u64(2);
    let shapes = [
        // The MLP's products at batch 64 and 1.
        (128, 784, 64),
        (64, 128, 64),
        (10, 64, 64),
        (128, 64, 784),
        (64, 64, 128),
        (128, 64, 64),
        (64, 10, 64),
        (128, 784, 1),
        (64, 128, 1),
        (10, 64, 1),
        (1, 784, 128),
        // Edges past every block size (KC, MC, NC) and odd remainders.
        (65, 65, 65),
        (129, 257, 7),
        (300, 520, 13),
        (9, 3, 1100),
        (3, 600, 2100),
        (17, 5, 1300),
        (33, 260, 1025),
        (17, 1, 1),
        (65, 784, 1),
        (784, 9, 1),
        (1, 65, 1),
        (1, 1, 2),
        (2, 784, 3),
        // Wide products with several depth blocks (cut into column
        // slices that share one packed A): α ≠ 0, β = 0 and β = 1.
        (40, 530, 700),
        (128, 784, 300),
        (24, 300, 400),
        // A column-major A of three depth blocks (177, 177, 176 deep)
        // with a partial last micro-panel.
        (100, 530, 700),
    ];
    for (i, &shape) in shapes.iter().enumerate() {
        for (la, lb) in all_layouts() {
            let (alpha, beta, nan) = SCALES[i % SCALES.len()];
            check::<T>(path, shape, (la, lb, Layout::N), alpha, beta, nan, &mut rng);
        }
    }
}

fn strided<T: TestElem>(path: Path) {
    let mut rng = StdRng::seed_from_u64(3);
    let layouts = [Layout::N, Layout::T, Layout::Strided];
    for shape in [
        (1, 5, 1),
        (7, 9, 1),
        (1, 9, 7),
        (9, 0, 3),
        (5, 11, 40),
        (17, 19, 13),
        (40, 300, 9),
    ] {
        for la in layouts {
            for lb in layouts {
                for lc in layouts {
                    for (alpha, beta, nan) in SCALES {
                        check::<T>(path, shape, (la, lb, lc), alpha, beta, nan, &mut rng);
                    }
                }
            }
        }
    }
}

#[test]
fn f32_small_shapes_all_layouts() {
    small_shapes::<f32>(Path::Dispatch);
    small_shapes::<f32>(Path::Avx2);
    small_shapes::<f32>(Path::Portable);
}

#[test]
fn f64_small_shapes_all_layouts() {
    small_shapes::<f64>(Path::Dispatch);
    small_shapes::<f64>(Path::Portable);
}

#[test]
fn f32_large_shapes_all_layouts() {
    large_shapes::<f32>(Path::Dispatch);
    large_shapes::<f32>(Path::Avx2);
    large_shapes::<f32>(Path::Portable);
}

#[test]
fn f64_large_shapes_all_layouts() {
    large_shapes::<f64>(Path::Dispatch);
    large_shapes::<f64>(Path::Portable);
}

#[test]
fn sliced_for_threads_large_shapes_all_layouts() {
    large_shapes::<f32>(Path::Threads(2));
    large_shapes::<f64>(Path::Threads(3));
    strided::<f32>(Path::Threads(2));
}

/// The C produced by `path` for one product of random operands.
fn product<T: TestElem>(
    path: Path,
    (m, k, n): (usize, usize, usize),
    (la, lb): (Layout, Layout),
    beta: f64,
) -> Vec<T> {
    let mut rng = StdRng::seed_from_u64((m * 31 + k * 7 + n) as u64);
    let mut r = || T::of(rng.random_range(-1.0..1.0));
    let a = Operand::new(m, k, la, &mut r);
    let b = Operand::new(k, n, lb, &mut r);
    let mut c = Operand::new(m, n, Layout::N, &mut r);
    // SAFETY: the three operands hold every index their strides describe.
    unsafe {
        T::run(
            path,
            Gemm {
                m,
                k,
                n,
                alpha: T::of(1.0),
                a: a.buf.as_ptr(),
                rsa: a.rs,
                csa: a.cs,
                b: b.buf.as_ptr(),
                rsb: b.rs,
                csb: b.cs,
                beta: T::of(beta),
                c: c.buf.as_mut_ptr(),
                rsc: c.rs,
                csc: c.cs,
                a_packed: std::ptr::null(),
                sparse_b: false,
            },
        )
    };
    c.buf
}

/// Slicing a product for threads changes no bit of the result: every
/// element keeps its summation order. Shapes cut by columns, by rows (both
/// also into the longer slices of an operand every slice packs), and
/// through the `Cᵀ = Bᵀ·Aᵀ` path for few rows.
#[test]
fn results_are_bit_identical_for_any_thread_count() {
    for shape in [
        (128, 784, 1000),
        (100, 530, 700),
        (128, 784, 64),
        (128, 64, 784),
        (512, 300, 100),
        // Cut into fewer, longer slices: by columns with A taller than one
        // block (not shared), by rows with B packed by every slice
        // (`Layout::T`).
        (200, 300, 1100),
        (600, 200, 300),
        (10, 64, 1000),
        // Matrix-vector products, cut by rows (tails of 36 and 8 rows).
        (128, 784, 1),
        (100, 784, 1),
        (200, 784, 1),
        (1000, 300, 1),
        // One row, read as `Cᵀ = Bᵀ·Aᵀ`: a matrix-vector product cut by
        // columns of C (tails of 2 and 52 rows of Bᵀ).
        (1, 784, 130),
        (1, 300, 500),
    ] {
        for lb in [Layout::N, Layout::T] {
            for beta in [0.0, 0.5] {
                let one = product::<f32>(Path::Threads(1), shape, (Layout::N, lb), beta);
                assert_eq!(
                    one,
                    product::<f32>(Path::Dispatch, shape, (Layout::N, lb), beta)
                );
                for t in [2, 3, 8] {
                    let many = product::<f32>(Path::Threads(t), shape, (Layout::N, lb), beta);
                    let same = one
                        .iter()
                        .zip(&many)
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{shape:?} {lb:?} β={beta}: {t} threads differ");
                }
                let one = product::<f64>(Path::Threads(1), shape, (Layout::N, lb), beta);
                let many = product::<f64>(Path::Threads(2), shape, (Layout::N, lb), beta);
                assert!(
                    one.iter()
                        .zip(&many)
                        .all(|(x, y)| x.to_bits() == y.to_bits())
                );
            }
        }
    }
}

#[test]
fn general_strides_and_scalings() {
    strided::<f32>(Path::Dispatch);
    strided::<f32>(Path::Portable);
    strided::<f64>(Path::Dispatch);
    strided::<f64>(Path::Portable);
}

/// `β = 0` ignores NaN and ±∞ already in `C`, on every path (blocked,
/// edge tiles, both matrix-vector forms, `k = 0`, `α = 0`).
#[test]
fn beta_zero_ignores_garbage_in_c() {
    let mut rng = StdRng::seed_from_u64(4);
    for path in [Path::Dispatch, Path::Portable] {
        for shape in [(16, 8, 6), (13, 7, 5), (33, 9, 1), (1, 9, 33), (4, 0, 4)] {
            for (la, lb) in all_layouts() {
                check::<f32>(path, shape, (la, lb, Layout::N), 1.0, 0.0, true, &mut rng);
                check::<f32>(path, shape, (la, lb, Layout::N), 0.0, 0.0, true, &mut rng);
                check::<f64>(path, shape, (la, lb, Layout::N), 1.0, 0.0, true, &mut rng);
            }
        }
    }
}

/// The workspace reserved before a parallel product covers what
/// `blocked` takes for any slice, micro-kernel and orientation.
#[test]
fn workspace_bound_covers_every_blocked_product() {
    for m in [
        1, 2, 5, 10, 16, 17, 64, 100, 128, 129, 300, 1000, 1030, 5000,
    ] {
        for n in [1, 6, 7, 48, 125, 784, 1024, 1025, 3000] {
            for k in [1, 64, 255, 256, 257, 784, 2000] {
                for size in [4, 8] {
                    let bound = workspace_bound(m, k, n, size);
                    for mr in [4, 8, 16] {
                        for (mm, nn) in [(m, n), (n, m)] {
                            let (a, b) = packed_lines(block_sizes(mm, k, nn, mr), size);
                            assert!(a + b <= bound, "{m}x{k}x{n} mr {mr} size {size}");
                        }
                    }
                }
            }
        }
    }
}

/// The packing workspace is reused: a second call of the same or a
/// smaller size does not move it.
#[test]
fn workspace_is_reused() {
    let a = vec![1.0_f32; 128 * 784];
    let b = vec![1.0_f32; 784 * 64];
    let mut c = vec![0.0_f32; 128 * 64];
    let run = |m: usize, k: usize, n: usize, c: &mut [f32]| {
        let g = Gemm {
            m,
            k,
            n,
            alpha: 1.0,
            a: a.as_ptr(),
            rsa: 1,
            csa: m as isize,
            b: b.as_ptr(),
            rsb: 1,
            csb: k as isize,
            beta: 0.0,
            c: c.as_mut_ptr(),
            rsc: 1,
            csc: m as isize,
            a_packed: std::ptr::null(),
            sparse_b: false,
        };
        // SAFETY: the buffers hold the m×k, k×n and m×n column-major ranges.
        // (On this thread alone: the workspace looked at is this thread's.)
        unsafe { sgemm_on_this_thread(g) };
    };
    let look = || {
        let ws = WORKSPACE.with(Cell::take);
        let seen = (ws.as_ptr(), ws.len());
        WORKSPACE.with(|w| w.set(ws));
        seen
    };
    run(128, 784, 64, &mut c);
    let first = look();
    run(128, 784, 64, &mut c);
    run(64, 128, 64, &mut c);
    run(10, 64, 17, &mut c);
    assert_eq!(look(), first);
    assert!(c[..10].iter().all(|&x| x == 64.0));
}

/// The AVX-512 kernel (dispatched on CPUs with AVX-512F) and the AVX2 one
/// give the same bits: every element is the same chain of fused
/// multiply-adds in the same order, whatever the micro-panel's height.
/// Shapes through every path: blocked (whole and edge tiles, several depth
/// blocks), `Cᵀ = Bᵀ·Aᵀ` for few rows (16 to 31 rows take it only with
/// AVX-512), matrix-vector; sliced for two threads too. On a CPU without
/// AVX-512 both sides are the AVX2 kernel.
#[test]
fn avx512_and_avx2_kernels_give_the_same_bits() {
    let shapes = [
        (128, 784, 64),
        (64, 128, 64),
        (10, 64, 64),
        (128, 64, 784),
        (24, 300, 400),
        (31, 77, 90),
        (33, 260, 1025),
        (129, 257, 7),
        (300, 520, 13),
        (128, 784, 1),
        (1, 784, 128),
    ];
    for shape in shapes {
        for (la, lb) in all_layouts() {
            for beta in [0.0, 1.0, 0.5, 0.75] {
                let avx2 = product::<f32>(Path::Avx2, shape, (la, lb), beta);
                for path in [Path::Dispatch, Path::Threads(2)] {
                    let other = product::<f32>(path, shape, (la, lb), beta);
                    let same = avx2
                        .iter()
                        .zip(&other)
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(
                        same,
                        "{shape:?} {la:?}{lb:?} β={beta}: {path:?} differs from AVX2"
                    );
                }
            }
        }
    }
}
