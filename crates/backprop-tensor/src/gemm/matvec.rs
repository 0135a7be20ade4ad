//! Matrix-vector products (`n = 1`, and `m = 1` read as `Cᵀ = Bᵀ·Aᵀ`),
//! unpacked: sums of columns for a column-contiguous matrix, dot products
//! for a row-contiguous one, element by element otherwise. They are
//! single-sample inference.

use super::kernel::{scaled, update};
use super::product::Elem;
use super::simd::Simd;

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
        // Eight, then four vectors of rows at a time: independent
        // accumulators hide the latency of the multiply-adds. (Sixteen
        // AVX2 accumulators and the broadcast `x[j]` need seventeen of the
        // sixteen registers: one accumulator went to the stack and back on
        // every column.) Every row of these blocks is the same chain of
        // multiply-adds over `j`, so a block's size does not change the
        // bits, and slices for threads may start at any multiple of four
        // vectors (`parallel.rs`'s `GEMV_ROW_ALIGN`).
        while i + 8 * l <= g.m {
            column_block::<S, 8>(&g, i, av, bv);
            i += 8 * l;
        }
        while i + 4 * l <= g.m {
            column_block::<S, 4>(&g, i, av, bv);
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

/// Rows `i .. i + B·LANES` of a [`gemv_columns`] product, accumulated in `B`
/// vector registers.
///
/// # Safety
/// As [`gemv_columns`], and `i + B·LANES ≤ m`.
#[inline(always)]
unsafe fn column_block<S: Simd, const B: usize>(g: &Gemv<S::T>, i: usize, av: S::V, bv: S::V) {
    let l = S::LANES;
    // SAFETY: rows i .. i + B·l are < m; columns j < k; x[j].
    unsafe {
        let mut acc = [S::zero(); B];
        let col0 = g.a.add(i);
        for j in 0..g.k {
            let xj = S::splat(*g.x.offset(j as isize * g.incx));
            let col = col0.offset(j as isize * g.csa);
            for (r, v) in acc.iter_mut().enumerate() {
                *v = S::fma(S::load(col.add(r * l)), xj, *v);
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
