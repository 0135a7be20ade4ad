//! One product for one instantiation of [`Simd`]: the path it takes —
//! scaling `C` only (`k = 0` or `α = 0`), skipping the zeros of a mostly
//! zero `B` (`sparse`), a matrix-vector product, the
//! blocked product of `Cᵀ = Bᵀ·Aᵀ` for fewer rows than a micro-panel, or the
//! blocked product itself.

use super::blocked::blocked;
use super::matvec::{Gemv, gemv};
use super::product::{Elem, Gemm};
use super::simd::Simd;
use super::sparse;

/// Runs the product for one instantiation. Inlined into the AVX2 wrappers so
/// that the whole driver, packing included, is compiled for AVX2.
///
/// # Safety
/// As [`sgemm`](super::sgemm), and `S` may run on this CPU.
#[inline(always)]
pub(super) unsafe fn gemm_generic<S: Simd>(g: Gemm<S::T>) {
    if g.m == 0 || g.n == 0 {
        return;
    }
    // SAFETY (all calls below): the caller's contract covers every index of
    // the m×k, k×n and m×n ranges, which is all these functions touch.
    unsafe {
        if g.k == 0 || g.alpha == S::T::ZERO {
            scale(g.m, g.n, g.beta, g.c, g.rsc, g.csc);
        } else if g.sparse_b {
            sparse::product::<S>(g);
        } else if g.n == 1 {
            gemv::<S>(Gemv {
                m: g.m,
                k: g.k,
                alpha: g.alpha,
                a: g.a,
                rsa: g.rsa,
                csa: g.csa,
                x: g.b,
                incx: g.rsb,
                beta: g.beta,
                y: g.c,
                incy: g.rsc,
            });
        } else if g.m == 1 {
            // Cᵀ (n×1) = Bᵀ (n×k) · Aᵀ (k×1).
            gemv::<S>(Gemv {
                m: g.n,
                k: g.k,
                alpha: g.alpha,
                a: g.b,
                rsa: g.csb,
                csa: g.rsb,
                x: g.a,
                incx: g.csa,
                beta: g.beta,
                y: g.c,
                incy: g.csc,
            });
        } else if g.m < S::MR && g.n > g.m {
            // Fewer rows than one micro-panel (the 10 classes of an output
            // layer): compute Cᵀ = Bᵀ·Aᵀ instead, whose rows fill whole
            // micro-panels, rather than padding every tile of C.
            blocked::<S>(Gemm {
                m: g.n,
                n: g.m,
                a: g.b,
                rsa: g.csb,
                csa: g.rsb,
                b: g.a,
                rsb: g.csa,
                csb: g.rsa,
                rsc: g.csc,
                csc: g.rsc,
                ..g
            });
        } else {
            blocked::<S>(g);
        }
    }
}

/// `C ← β·C`, writing zeros when `β = 0` (never reading `C` then).
///
/// # Safety
/// `c` is valid for the `m×n` range its strides describe.
#[inline(always)]
unsafe fn scale<T: Elem>(m: usize, n: usize, beta: T, c: *mut T, rsc: isize, csc: isize) {
    if beta == T::ONE {
        return;
    }
    for j in 0..n {
        for i in 0..m {
            // SAFETY: (i, j) is inside the m×n range.
            unsafe {
                let p = c.offset(i as isize * rsc + j as isize * csc);
                *p = if beta == T::ZERO { T::ZERO } else { beta * *p };
            }
        }
    }
}
