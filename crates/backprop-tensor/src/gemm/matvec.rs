//! Matrix-vector products (`n = 1`, and `m = 1` read as `Cᵀ = Bᵀ·Aᵀ`),
//! unpacked: sums of columns for a column-contiguous matrix, dot products
//! for a row-contiguous one, element by element otherwise. They are
//! single-sample inference. A mostly zero `x` (an MNIST digit: four
//! pixels in five are 0) is read through the list of its nonzeros, so the
//! columns of `A` facing a zero are never loaded.

use super::kernel::{scaled, update};
use super::product::{Elem, Gemm};
use super::simd::Simd;
use super::sparse::{MAX_LANES, compress};
use std::mem::MaybeUninit;

/// The shallowest `x` whose nonzeros [`gemv_columns`] lists.
const SPARSE_MIN_DEPTH: usize = 16;

/// The deepest: the list lives on the stack (`4 + size` bytes an entry,
/// 24 KiB in `f64`); a deeper `x` is read whole.
const SPARSE_MAX_DEPTH: usize = 2048;

/// The nonzeros of `x` (`depths` and `values`, `len` of them), when at most
/// a third of its entries.
struct Nonzeros<T> {
    depths: MaybeUninit<[u32; SPARSE_MAX_DEPTH + MAX_LANES]>,
    values: MaybeUninit<[T; SPARSE_MAX_DEPTH + MAX_LANES]>,
    len: usize,
}

/// `y ← α·A·x + β·y` with `A` `m×k`.
#[derive(Clone, Copy)]
pub(super) struct Gemv<T> {
    pub(super) m: usize,
    pub(super) k: usize,
    pub(super) alpha: T,
    pub(super) a: *const T,
    pub(super) rsa: isize,
    pub(super) csa: isize,
    pub(super) x: *const T,
    pub(super) incx: isize,
    pub(super) beta: T,
    pub(super) y: *mut T,
    pub(super) incy: isize,
}

impl<T: Elem> Gemv<T> {
    /// Writes `y[i] ← α·s + β·y[i]` (not reading `y[i]` when `β = 0`).
    ///
    /// # Safety
    /// `i < m`.
    #[inline(always)]
    unsafe fn put(&self, i: usize, s: T) {
        // SAFETY: i < m, inside y's range.
        unsafe {
            let p = self.y.offset(i as isize * self.incy);
            *p = if self.beta == T::ZERO {
                self.alpha * s
            } else {
                *p * self.beta + self.alpha * s
            };
        }
    }

    /// Row `i` of `A` dotted with `x`, one element at a time.
    ///
    /// # Safety
    /// `i < m`.
    #[inline(always)]
    unsafe fn dot_scalar(&self, i: usize) -> T {
        let mut s = T::ZERO;
        for j in 0..self.k {
            // SAFETY: (i, j) is inside A, j inside x.
            unsafe {
                s = s + *self.a.offset(i as isize * self.rsa + j as isize * self.csa)
                    * *self.x.offset(j as isize * self.incx);
            }
        }
        s
    }
}

/// The matrix-vector product, unpacked.
///
/// # Safety
/// The three pointers are valid for the ranges their strides describe (`A`
/// `m×k`, `x` `k`, `y` `m`), and `y` aliases neither; `m, k ≥ 1`.
#[inline(always)]
pub(super) unsafe fn gemv<S: Simd>(g: Gemv<S::T>) {
    // SAFETY: forwarded contract.
    unsafe {
        if g.rsa == 1 && g.incy == 1 {
            gemv_columns::<S>(g);
        } else if g.csa == 1 && g.incx == 1 {
            gemv_rows::<S>(g);
        } else {
            for i in 0..g.m {
                g.put(i, g.dot_scalar(i));
            }
        }
    }
}

/// `y ← α·A·x + β·y` for column-contiguous `A` (`W·x` with `W` column-major):
/// `y` is accumulated a block of rows at a time in registers, as a sum of
/// columns of `A` scaled by the entries of `x`.
///
/// # Safety
/// As [`gemv`], with `rsa == 1` and `incy == 1`.
#[inline(always)]
unsafe fn gemv_columns<S: Simd>(g: Gemv<S::T>) {
    let l = S::LANES;
    let mut i = 0;
    // SAFETY (whole body): reads at rows < m of A's columns j < k, and x[j];
    // writes to y[i], i < m.
    unsafe {
        let av = S::splat(g.alpha);
        let bv = S::splat(g.beta);
        // A mostly zero x, for the blocks of four and eight vectors: the
        // same chain of multiply-adds per row without the terms whose x[j]
        // is 0 (which leave the sum as it was; as in `sparse.rs`, an
        // infinity or NaN in A facing a zero makes no NaN, and a sum that
        // is exactly zero may differ in its sign).
        let mut nz = Nonzeros::<S::T> {
            depths: MaybeUninit::uninit(),
            values: MaybeUninit::uninit(),
            len: 0,
        };
        let sparse = g.incx == 1
            && g.m >= 4 * l
            && (SPARSE_MIN_DEPTH..=SPARSE_MAX_DEPTH).contains(&g.k)
            && list_nonzeros::<S>(g.x, g.k, &mut nz);
        let nz = sparse.then_some(&nz);
        // Eight, then four vectors of rows at a time: independent
        // accumulators hide the latency of the multiply-adds. (Sixteen
        // AVX2 accumulators and the broadcast `x[j]` need seventeen of the
        // sixteen registers: one accumulator went to the stack and back on
        // every column.) Every row of these blocks is the same chain of
        // multiply-adds over `j`, so a block's size does not change the
        // bits, and slices for threads may start at any multiple of four
        // vectors (`parallel.rs`'s `GEMV_ROW_ALIGN`).
        while i + 8 * l <= g.m {
            column_block::<S, 8>(&g, i, av, bv, nz);
            i += 8 * l;
        }
        while i + 4 * l <= g.m {
            column_block::<S, 4>(&g, i, av, bv, nz);
            i += 4 * l;
        }
        // Then one vector of rows at a time, four columns in flight.
        while i + l <= g.m {
            let mut acc = [S::zero(); 4];
            let col0 = g.a.add(i);
            let mut j = 0;
            while j + 4 <= g.k {
                for (u, v) in acc.iter_mut().enumerate() {
                    let ju = (j + u) as isize;
                    let xj = S::splat(*g.x.offset(ju * g.incx));
                    *v = S::fma(S::load(col0.offset(ju * g.csa)), xj, *v);
                }
                j += 4;
            }
            while j < g.k {
                let xj = S::splat(*g.x.offset(j as isize * g.incx));
                acc[0] = S::fma(S::load(col0.offset(j as isize * g.csa)), xj, acc[0]);
                j += 1;
            }
            let v = S::add(S::add(acc[0], acc[1]), S::add(acc[2], acc[3]));
            update::<S>(g.y.add(i), l, scaled::<S>(v, g.alpha, av), g.beta, bv);
            i += l;
        }
        // The last rows (fewer than one vector), one at a time.
        while i < g.m {
            g.put(i, g.dot_scalar(i));
            i += 1;
        }
    }
}

/// How many columns of `A` a matrix-vector product `g` (`n = 1`) reads: the
/// nonzeros of a mostly zero `x` that [`gemv_columns`] lists (at most a
/// third of its entries), else all `k`. Counted until it passes a third,
/// so a dense `x` costs a third of a pass.
pub(super) fn columns_read<T: Elem>(g: &Gemm<T>) -> usize {
    if g.rsa != 1
        || g.rsc != 1
        || g.rsb != 1
        || !(SPARSE_MIN_DEPTH..=SPARSE_MAX_DEPTH).contains(&g.k)
    {
        return g.k;
    }
    // SAFETY: x (B's only column) holds k contiguous entries, as the
    // caller of the product vouched.
    let x = unsafe { std::slice::from_raw_parts(g.b, g.k) };
    let most = g.k / 3;
    let mut nonzero = 0;
    for chunk in x.chunks(64) {
        nonzero += chunk.iter().filter(|&&v| v != T::ZERO).count();
        if nonzero > most {
            return g.k;
        }
    }
    nonzero
}

/// Lists the nonzeros of the `k` contiguous entries at `x` in `nz`
/// ([`compress`], eight vectors at a time: no branch on the values);
/// whether they are at most a third of them. A denser `x` is given up on as
/// soon as it passes that, after a third of it at the least.
///
/// # Safety
/// `x` holds `k ≤ SPARSE_MAX_DEPTH` entries; `S` may run on this CPU.
#[inline(always)]
unsafe fn list_nonzeros<S: Simd>(x: *const S::T, k: usize, nz: &mut Nonzeros<S::T>) -> bool {
    let chunk = 8 * S::LANES;
    let depths = nz.depths.as_mut_ptr().cast::<u32>();
    let values = nz.values.as_mut_ptr().cast::<S::T>();
    let most = k / 3;
    let (mut e, mut p) = (0, 0);
    while p < k {
        let len = chunk.min(k - p);
        // SAFETY: entries p..p + len of x; at most k entries kept and LANES
        // more written, inside the lists' k + MAX_LANES.
        e += unsafe { compress::<S>(x.add(p), len, p as u32, depths.add(e), values.add(e)) };
        p += len;
        if e > most {
            return false;
        }
    }
    nz.len = e;
    true
}

/// Rows `i .. i + B·LANES` of a [`gemv_columns`] product, accumulated in `B`
/// vector registers, over every column of `A` or over those of `x`'s
/// nonzeros `nz`.
///
/// # Safety
/// As [`gemv_columns`], and `i + B·LANES ≤ m`; `nz` lists depths below `k`.
#[inline(always)]
unsafe fn column_block<S: Simd, const B: usize>(
    g: &Gemv<S::T>,
    i: usize,
    av: S::V,
    bv: S::V,
    nz: Option<&Nonzeros<S::T>>,
) {
    let l = S::LANES;
    // SAFETY: rows i .. i + B·l are < m; columns j < k; x[j]; the first
    // `len` entries of the lists were written by `list_nonzeros`.
    unsafe {
        let mut acc = [S::zero(); B];
        let col0 = g.a.add(i);
        match nz {
            Some(nz) => {
                let (depths, values) = (
                    nz.depths.as_ptr().cast::<u32>(),
                    nz.values.as_ptr().cast::<S::T>(),
                );
                for e in 0..nz.len {
                    let j = *depths.add(e) as usize;
                    term::<S, B>(&mut acc, col0.offset(j as isize * g.csa), *values.add(e));
                }
            }
            None => {
                for j in 0..g.k {
                    let x = *g.x.offset(j as isize * g.incx);
                    term::<S, B>(&mut acc, col0.offset(j as isize * g.csa), x);
                }
            }
        }
        for (r, &v) in acc.iter().enumerate() {
            update::<S>(
                g.y.add(i + r * l),
                l,
                scaled::<S>(v, g.alpha, av),
                g.beta,
                bv,
            );
        }
    }
}

/// One term of a [`column_block`]: `acc[r] += col[r·LANES..] · x` in every
/// lane.
///
/// # Safety
/// `col` is valid for `B·LANES` reads; `S` may run on this CPU.
#[inline(always)]
unsafe fn term<S: Simd, const B: usize>(acc: &mut [S::V; B], col: *const S::T, x: S::T) {
    // SAFETY: r·LANES + LANES ≤ B·LANES.
    unsafe {
        let xj = S::splat(x);
        for (r, v) in acc.iter_mut().enumerate() {
            *v = S::fma(S::load(col.add(r * S::LANES)), xj, *v);
        }
    }
}

/// `y ← α·A·x + β·y` for row-contiguous `A` and contiguous `x` (`Wᵀ·x`):
/// dot products, four rows at a time.
///
/// # Safety
/// As [`gemv`], with `csa == 1` and `incx == 1`.
#[inline(always)]
unsafe fn gemv_rows<S: Simd>(g: Gemv<S::T>) {
    let mut i = 0;
    // SAFETY: rows i..i+R are < m.
    unsafe {
        while i + 4 <= g.m {
            dot_rows::<S, 4>(&g, i);
            i += 4;
        }
        while i < g.m {
            dot_rows::<S, 1>(&g, i);
            i += 1;
        }
    }
}

/// Rows `i .. i+R` of a [`gemv_rows`] product, two accumulators per row.
///
/// # Safety
/// `i + R ≤ m`, `csa == 1`, `incx == 1`.
#[inline(always)]
unsafe fn dot_rows<S: Simd, const R: usize>(g: &Gemv<S::T>, i: usize) {
    let l = S::LANES;
    // SAFETY (whole body): reads at (i+r, j) with j < k and x[j]; writes y[i+r].
    unsafe {
        let rows: [*const S::T; R] = std::array::from_fn(|r| g.a.offset((i + r) as isize * g.rsa));
        let mut acc = [[S::zero(); 2]; R];
        let mut j = 0;
        while j + 2 * l <= g.k {
            let x0 = S::load(g.x.add(j));
            let x1 = S::load(g.x.add(j + l));
            for (row, v) in rows.iter().zip(acc.iter_mut()) {
                v[0] = S::fma(S::load(row.add(j)), x0, v[0]);
                v[1] = S::fma(S::load(row.add(j + l)), x1, v[1]);
            }
            j += 2 * l;
        }
        for (r, (row, v)) in rows.iter().zip(acc.iter()).enumerate() {
            let mut s = S::hsum(S::add(v[0], v[1]));
            for jj in j..g.k {
                s = s + *row.add(jj) * *g.x.add(jj);
            }
            g.put(i + r, s);
        }
    }
}
