//! Matrix products and the small kernels of the forward and backward passes.
//!
//! Every product goes straight to the crate's own GEMM ([`Scalar::gemm_raw`])
//! with strides, so `A·Bᵀ` and `Aᵀ·B` never materialise a transpose, and
//! every product checks its shapes first and reports both (nalgebra's own
//! panic names no sizes). Outputs are caller-owned matrices; the `*_into`
//! forms resize them with [`resize`], which keeps their allocation, so a loop
//! that reuses them does not allocate.

use crate::gemm::{Blocks, Gemm, gemm_then};
use crate::{Result, Scalar, TensorError};
use nalgebra::DMatrix;

pub use crate::gemm::EpilogueColumn;

/// Whether an operand enters a product as stored (`N`) or transposed (`T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// As stored.
    N,
    /// Transposed (read through swapped strides, never copied).
    T,
}

impl Op {
    fn dims<T>(self, m: &DMatrix<T>) -> (usize, usize) {
        match self {
            Op::N => (m.nrows(), m.ncols()),
            Op::T => (m.ncols(), m.nrows()),
        }
    }
    /// Row and column strides of the operand as it enters the product.
    fn strides<T>(self, m: &DMatrix<T>) -> (isize, isize) {
        // Column-major storage: element (i, j) lives at i + j·nrows.
        let ld = m.nrows().max(1) as isize;
        match self {
            Op::N => (1, ld),
            Op::T => (ld, 1),
        }
    }
    fn label(a: Op, b: Op) -> &'static str {
        match (a, b) {
            (Op::N, Op::N) => "A·B",
            (Op::N, Op::T) => "A·Bᵀ",
            (Op::T, Op::N) => "Aᵀ·B",
            (Op::T, Op::T) => "Aᵀ·Bᵀ",
        }
    }
}

/// Checks that `m` is `rows×cols`.
///
/// ```
/// use backprop_tensor::{ops::check_shape, DMatrix};
/// let m = DMatrix::<f32>::zeros(2, 3);
/// assert!(check_shape("demo", "m", &m, (2, 3)).is_ok());
/// assert!(check_shape("demo", "m", &m, (3, 2)).is_err());
/// ```
pub fn check_shape<T>(
    op: &'static str,
    operand: &'static str,
    m: &DMatrix<T>,
    expected: (usize, usize),
) -> Result<()> {
    let found = (m.nrows(), m.ncols());
    if found == expected {
        Ok(())
    } else {
        Err(TensorError::ShapeMismatch {
            op,
            operand,
            expected,
            found,
        })
    }
}

/// Resizes `m` to `rows×cols`, keeping its allocation when it is large enough.
///
/// The contents after a resize are unspecified (old values or zeros): callers
/// overwrite them. Growing past the capacity allocates once; shrinking and
/// growing back never does.
///
/// ```
/// use backprop_tensor::{ops::resize, DMatrix};
/// let mut m = DMatrix::<f32>::zeros(4, 64);
/// resize(&mut m, 4, 32);
/// assert_eq!(m.shape(), (4, 32));
/// ```
pub fn resize<T: Scalar>(m: &mut DMatrix<T>, rows: usize, cols: usize) {
    if m.nrows() == rows && m.ncols() == cols {
        return;
    }
    let old = std::mem::replace(m, DMatrix::from_vec(0, 0, Vec::new()));
    let mut data: Vec<T> = old.data.into();
    data.resize(rows * cols, T::zero());
    *m = DMatrix::from_vec(rows, cols, data);
}

/// General product `C ← α·op(A)·op(B) + β·C`, `C` already of the right shape.
///
/// With `β = 0` the old contents of `C` are ignored (NaN included).
///
/// ```
/// use backprop_tensor::{ops::{gemm, Op}, DMatrix};
/// let a = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let b = DMatrix::from_row_slice(2, 3, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// let mut c = DMatrix::zeros(2, 2);
/// gemm(1.0, &a, Op::N, &b, Op::T, 0.0, &mut c).unwrap(); // A·Bᵀ
/// assert_eq!(c, DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 4.0, 5.0]));
/// ```
pub fn gemm<T: Scalar>(
    alpha: T,
    a: &DMatrix<T>,
    op_a: Op,
    b: &DMatrix<T>,
    op_b: Op,
    beta: T,
    c: &mut DMatrix<T>,
) -> Result<()> {
    if let Some(g) = product_of(alpha, a, op_a, b, op_b, beta, c)? {
        // SAFETY: `product_of` checked the shapes, so every index the
        // strides describe lies inside the three column-major buffers; `c` is
        // borrowed mutably and therefore aliases neither `a` nor `b`.
        unsafe { raw(g) };
    }
    Ok(())
}

/// The product `C ← α·op(A)·op(B) + β·C` as pointers and strides, after
/// checking the shapes; `None` when `C` is empty (nothing to compute).
fn product_of<T: Scalar>(
    alpha: T,
    a: &DMatrix<T>,
    op_a: Op,
    b: &DMatrix<T>,
    op_b: Op,
    beta: T,
    c: &mut DMatrix<T>,
) -> Result<Option<Gemm<T>>> {
    let label = Op::label(op_a, op_b);
    let (m, k) = op_a.dims(a);
    let (kb, n) = op_b.dims(b);
    if kb != k {
        let expected = match op_b {
            Op::N => (k, n),
            Op::T => (n, k),
        };
        return Err(TensorError::ShapeMismatch {
            op: label,
            operand: "B",
            expected,
            found: (b.nrows(), b.ncols()),
        });
    }
    check_shape(label, "C", c, (m, n))?;
    if m == 0 || n == 0 {
        return Ok(None);
    }
    let (rsa, csa) = op_a.strides(a);
    let (rsb, csb) = op_b.strides(b);
    Ok(Some(Gemm {
        m,
        k,
        n,
        alpha,
        a: a.as_ptr(),
        rsa,
        csa,
        b: b.as_ptr(),
        rsb,
        csb,
        beta,
        c: c.as_mut_ptr(),
        rsc: 1,
        csc: m as isize,
        a_packed: std::ptr::null(),
        sparse_b: false,
    }))
}

/// [`Scalar::gemm_raw`] of a product.
///
/// # Safety
/// As [`Scalar::gemm_raw`].
unsafe fn raw<T: Scalar>(g: Gemm<T>) {
    // SAFETY: the caller's contract.
    unsafe {
        T::gemm_raw(
            g.m, g.k, g.n, g.alpha, g.a, g.rsa, g.csa, g.b, g.rsb, g.csb, g.beta, g.c, g.rsc, g.csc,
        );
    }
}

/// `C = op(A)·op(B)`, resizing `C` (keeping its allocation).
pub fn product_into<T: Scalar>(
    a: &DMatrix<T>,
    op_a: Op,
    b: &DMatrix<T>,
    op_b: Op,
    c: &mut DMatrix<T>,
) -> Result<()> {
    let (m, k) = op_a.dims(a);
    let (kb, n) = op_b.dims(b);
    if k == kb {
        resize(c, m, n);
    }
    gemm(T::one(), a, op_a, b, op_b, T::zero(), c)
}

/// `C = op(A)·op(B)` followed by an element-wise `epilogue` that runs on
/// each part of `C` on the thread that computed it, right after computing
/// it (while it is still in that core's cache), instead of in a pass over
/// the whole of `C` afterwards. `C` (and `out`, when given) are resized,
/// keeping their allocations.
///
/// `epilogue` is called once per column of each part of `C` a thread
/// computes (a slice of whole columns, or of rows), with that column's
/// entries of `C` and, when `out` is given, of `out` (a second matrix of
/// `C`'s shape, e.g. an activation `A = g(Z)` that must keep `Z`). Every
/// entry of `C` is handed to exactly one call, after its final value is
/// written; calls for different parts may run at the same time on
/// different threads (hence `Sync`). An epilogue that computes each entry
/// from that entry alone (and its row and column) gives the same bits as
/// the product followed by the same pass over the whole matrix, on any
/// number of threads. No allocation after the first call of a size.
///
/// See [`EpilogueColumn`] for an example (bias, then ReLU into `out`).
pub fn product_then<T: Scalar, F>(
    a: &DMatrix<T>,
    op_a: Op,
    b: &DMatrix<T>,
    op_b: Op,
    c: &mut DMatrix<T>,
    mut out: Option<&mut DMatrix<T>>,
    epilogue: F,
) -> Result<()>
where
    F: Fn(EpilogueColumn<'_, T>) + Sync,
{
    let (m, k) = op_a.dims(a);
    let (kb, n) = op_b.dims(b);
    if k == kb {
        resize(c, m, n);
        if let Some(o) = out.as_deref_mut() {
            resize(o, m, n);
        }
    }
    let one = T::one();
    let Some(g) = product_of(one, a, op_a, b, op_b, T::zero(), c)? else {
        return Ok(());
    };
    let out_ptr = out.map_or(std::ptr::null_mut(), |o| o.as_mut_ptr());
    let blocks = Blocks::new(c.as_mut_ptr(), out_ptr, m);
    let finish = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        // SAFETY: the product hands each block of its m×n `C` to one call,
        // once the block is final, and blocks of different calls are
        // disjoint; `out` (m×n too) is borrowed mutably, so it overlaps
        // neither `C` nor the operands.
        unsafe { blocks.each_column(rows, cols, &epilogue) }
    };
    // SAFETY: `product_of` checked the shapes, so every index the strides
    // describe lies inside the three buffers; `c` is borrowed mutably and
    // aliases neither `a` nor `b`.
    if !unsafe { gemm_then(g, &finish) } {
        // An element type of the caller's own: its product, then the
        // epilogue over the whole of C on this thread.
        // SAFETY: as above.
        unsafe { raw(g) };
        finish(0..m, 0..n);
    }
    Ok(())
}

/// `C = A·B`, resizing `C`.
///
/// ```
/// use backprop_tensor::{ops::matmul_into, DMatrix};
/// let a = DMatrix::from_row_slice(1, 2, &[1.0_f64, 2.0]);
/// let b = DMatrix::from_row_slice(2, 1, &[3.0, 4.0]);
/// let mut c = DMatrix::zeros(0, 0);
/// matmul_into(&a, &b, &mut c).unwrap();
/// assert_eq!(c[(0, 0)], 11.0);
/// // Wrong inner sizes: an error naming both shapes, not a panic.
/// let err = matmul_into(&a, &a, &mut c).unwrap_err();
/// assert!(err.to_string().contains("expected 2×2, found 1×2"), "{err}");
/// ```
pub fn matmul_into<T: Scalar>(a: &DMatrix<T>, b: &DMatrix<T>, c: &mut DMatrix<T>) -> Result<()> {
    product_into(a, Op::N, b, Op::N, c)
}

/// `C = A·Bᵀ`, resizing `C`; the transpose is read through strides.
pub fn matmul_nt_into<T: Scalar>(a: &DMatrix<T>, b: &DMatrix<T>, c: &mut DMatrix<T>) -> Result<()> {
    product_into(a, Op::N, b, Op::T, c)
}

/// `C = Aᵀ·B`, resizing `C`; the transpose is read through strides.
pub fn matmul_tn_into<T: Scalar>(a: &DMatrix<T>, b: &DMatrix<T>, c: &mut DMatrix<T>) -> Result<()> {
    product_into(a, Op::T, b, Op::N, c)
}

/// Adds the column vector `bias` (`rows×1`) to every column of `z`.
///
/// ```
/// use backprop_tensor::{ops::add_bias, DMatrix};
/// let mut z = DMatrix::<f32>::zeros(2, 3);
/// add_bias(&mut z, &DMatrix::from_column_slice(2, 1, &[1.0, 2.0])).unwrap();
/// assert_eq!(z.row(1).sum(), 6.0);
/// ```
pub fn add_bias<T: Scalar>(z: &mut DMatrix<T>, bias: &DMatrix<T>) -> Result<()> {
    check_shape("bias broadcast", "bias", bias, (z.nrows(), 1))?;
    let rows = z.nrows();
    if rows == 0 {
        return Ok(());
    }
    let b = bias.as_slice();
    for col in z.as_mut_slice().chunks_exact_mut(rows) {
        for (x, &bi) in col.iter_mut().zip(b) {
            *x += bi;
        }
    }
    Ok(())
}

/// `out ← α·Σⱼ m[:, j] + β·out`: the row sums of `m` as a column (`db` in the
/// backward pass). `out` must be `rows×1`.
///
/// ```
/// use backprop_tensor::{ops::sum_columns, DMatrix};
/// let m = DMatrix::from_row_slice(2, 2, &[1.0_f64, 2.0, 3.0, 4.0]);
/// let mut out = DMatrix::zeros(2, 1);
/// sum_columns(1.0, &m, 0.0, &mut out).unwrap();
/// assert_eq!(out.as_slice(), &[3.0, 7.0]);
/// ```
pub fn sum_columns<T: Scalar>(
    alpha: T,
    m: &DMatrix<T>,
    beta: T,
    out: &mut DMatrix<T>,
) -> Result<()> {
    check_shape("column sum", "out", out, (m.nrows(), 1))?;
    let rows = m.nrows();
    let o = out.as_mut_slice();
    if beta == T::zero() {
        o.fill(T::zero());
    } else if beta != T::one() {
        o.iter_mut().for_each(|x| *x *= beta);
    }
    if rows == 0 {
        return Ok(());
    }
    for col in m.as_slice().chunks_exact(rows) {
        // Accumulate α·x per column; α is applied per element so that large
        // batches do not overflow before scaling.
        for (acc, &x) in o.iter_mut().zip(col) {
            *acc += alpha * x;
        }
    }
    Ok(())
}

/// Runs `f` compiled for AVX2 when the CPU has it, and as is otherwise.
///
/// The default x86-64 target only assumes SSE2, so element-wise loops are
/// vectorised four `f32` lanes wide; the GEMM already picks its kernels at
/// run time, and this gives the loops around it the same chance.
/// `f` is inlined into a function with AVX2 enabled, so its loops are
/// vectorised eight lanes wide. Results are bit-identical either way: no
/// fused multiply-add is enabled, and every operation is IEEE-exact.
///
/// ```
/// use backprop_tensor::ops::simd;
/// let mut xs = vec![1.0_f32; 1000];
/// simd(|| xs.iter_mut().for_each(|x| *x *= 2.0));
/// assert!(xs.iter().all(|&x| x == 2.0));
/// ```
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked just above.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether every entry is finite (no NaN, no ±∞), in one vectorisable pass.
///
/// `x·0` is `0` for finite `x` and NaN otherwise, and NaN survives a sum, so
/// 64 independent partial sums of `x·0` (eight AVX2 registers of `f32`, enough
/// to hide the latency of the additions; the compiler keeps them in
/// vector registers) decide it without a branch per element. A slice of at
/// least twice [`PARALLEL_MIN_ELEMENTS`](crate::threads::PARALLEL_MIN_ELEMENTS)
/// entries is cut for the [threads](crate::threads) as an element-wise pass
/// is; the answer does not depend on the cut.
///
/// ```
/// use backprop_tensor::ops::all_finite;
/// assert!(all_finite(&[1.0_f32, -3.0, 1e38]));
/// assert!(!all_finite(&[1.0_f32, f32::INFINITY]));
/// assert!(!all_finite(&[0.0_f64; 40].iter().copied().chain([f64::NAN]).collect::<Vec<_>>()));
/// ```
pub fn all_finite<T: Scalar>(xs: &[T]) -> bool {
    use crate::threads::{self, CACHE_LINE_ELEMENTS, PARALLEL_MIN_ELEMENTS, Slices};
    use std::sync::atomic::{AtomicBool, Ordering};
    // A long slice (a first layer's gradient) is read in the chunks an
    // element-wise pass over it (the optimizer's) takes on each thread, so
    // each thread reads what it wrote or will update, from its own cache.
    let threads = threads::num_threads();
    match Slices::new(
        xs.len(),
        CACHE_LINE_ELEMENTS,
        PARALLEL_MIN_ELEMENTS,
        threads,
    ) {
        None => finite_run(xs),
        Some(cut) => {
            let finite = AtomicBool::new(true);
            cut.run(threads, 0, &|lo, hi| {
                if !finite_run(&xs[lo..hi]) {
                    finite.store(false, Ordering::Relaxed);
                }
            });
            // `run` returns once every slice is done, and the pool's
            // completion counter orders their stores before this load.
            finite.load(Ordering::Relaxed)
        }
    }
}

/// [`all_finite`] of one thread's run, vectorised for the CPU. Not through
/// [`simd`]: there, this kernel's closure was not inlined into the AVX2
/// instantiation once `all_finite` also had a threaded path, and the pass
/// ran as SSE code at half the speed.
fn finite_run<T: Scalar>(xs: &[T]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked just above.
            return unsafe { finite_avx2(xs) };
        }
    }
    all_finite_kernel(xs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn finite_avx2<T: Scalar>(xs: &[T]) -> bool {
    all_finite_kernel(xs)
}

#[inline(always)]
fn all_finite_kernel<T: Scalar>(xs: &[T]) -> bool {
    const LANES: usize = 64;
    let mut acc = [T::zero(); LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += x * T::zero();
        }
    }
    for (a, &x) in acc.iter_mut().zip(rest) {
        *a += x * T::zero();
    }
    acc.iter().fold(T::zero(), |s, &a| s + a) == T::zero()
}

/// Copies `src` into `dst`, resizing `dst` (keeping its allocation).
pub fn copy_into<T: Scalar>(src: &DMatrix<T>, dst: &mut DMatrix<T>) {
    resize(dst, src.nrows(), src.ncols());
    dst.as_mut_slice().copy_from_slice(src.as_slice());
}

/// Converts a matrix between scalar types (e.g. an `f32` batch to `f64`).
pub fn cast<A: Scalar, B: Scalar>(m: &DMatrix<A>) -> DMatrix<B> {
    m.map(|x| B::of(x.as_f64()))
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
