//! Reading `A` (and `B`'s rows) in place gives the bits of packing them:
//! odd heights, views starting at every alignment within a cache line,
//! columns farther apart than the rows, `f32` and `f64`, each instantiation
//! and 1-4 threads.

use super::super::epilogue::nothing;
use super::super::generic::gemm_generic;
use super::super::parallel::parallel_with;
use super::super::portable;
use super::super::product::Gemm;
use super::super::{dgemm_on_this_thread, dpack_whole_a, sgemm_on_this_thread, spack_whole_a};
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

/// Which product runs the case.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// The dispatched instantiation on this thread.
    Here,
    /// The AVX2 one (on x86-64 CPUs with AVX2 and FMA), on this thread.
    Avx2,
    /// The portable one, on this thread.
    Portable,
    /// The dispatched one cut for this many threads.
    Threads(usize),
}

trait Elem: super::super::product::Elem + std::fmt::Debug {
    fn of(v: f64) -> Self;
    fn bits(self) -> u64;
    unsafe fn run(run: Run, g: Gemm<Self>);
}

impl Elem for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
    fn bits(self) -> u64 {
        self.to_bits().into()
    }
    unsafe fn run(run: Run, g: Gemm<Self>) {
        // SAFETY: forwarded contract.
        unsafe {
            match run {
                Run::Here => sgemm_on_this_thread(g),
                #[cfg(target_arch = "x86_64")]
                Run::Avx2 if super::super::avx2_fma() => super::super::x86::sgemm_avx2(g),
                Run::Avx2 => sgemm_on_this_thread(g),
                Run::Portable => gemm_generic::<portable::F32x4>(g),
                Run::Threads(t) => {
                    parallel_with(g, sgemm_on_this_thread, spack_whole_a, t, &nothing)
                }
            }
        }
    }
}

impl Elem for f64 {
    fn of(v: f64) -> Self {
        v
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    unsafe fn run(run: Run, g: Gemm<Self>) {
        // SAFETY: forwarded contract.
        unsafe {
            match run {
                Run::Here | Run::Avx2 => dgemm_on_this_thread(g),
                Run::Portable => gemm_generic::<portable::F64x2>(g),
                Run::Threads(t) => {
                    parallel_with(g, dgemm_on_this_thread, dpack_whole_a, t, &nothing)
                }
            }
        }
    }
}

/// The bits of `C` after `case` run by `run`, everything packed when
/// `pack_all` (on this thread: only for runs on this thread).
fn product<T: Elem>(case: &Case, run: Run, pack_all: bool) -> Vec<u64> {
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
    };
    PACK_ALL.set(pack_all);
    // SAFETY: the buffers hold the m×k view (rows < m ≤ lda), the k×n and
    // the m×n ranges.
    unsafe { T::run(run, g) };
    PACK_ALL.set(false);
    c.into_iter().map(T::bits).collect()
}

fn in_place_matches_packed<T: Elem>(lanes: usize) {
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
                let packed = product::<T>(&case, Run::Here, true);
                for run in [
                    Run::Here,
                    Run::Avx2,
                    Run::Threads(1),
                    Run::Threads(2),
                    Run::Threads(3),
                    Run::Threads(4),
                ] {
                    assert!(
                        product::<T>(&case, run, false) == packed,
                        "{m}x{k}x{n} off {off} lda {lda} B rows {b_rows} {run:?}: not the packed bits"
                    );
                }
                let packed = product::<T>(&case, Run::Portable, true);
                assert!(
                    product::<T>(&case, Run::Portable, false) == packed,
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
