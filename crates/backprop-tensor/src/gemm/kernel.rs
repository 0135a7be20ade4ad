//! The micro-kernel: one `MR×NR` tile of `C` accumulated in twelve vector
//! registers over a packed panel of `A` and one of `B`, then scaled and
//! written back (whole vectors, partial vectors at the edges, or element by
//! element for strided rows).

use super::product::Elem;
use super::simd::{Simd, prefetch};
use super::sizes::{MAX_MR, NR};

/// The micro-kernel: `C[..mr, ..nr] ← α·Ã·B̃ + β·C` for one `MR×kc` panel of
/// `Ã` and one `kc×NR` panel of `B̃`, accumulating the `MR×NR` tile in twelve
/// vector registers. The `A` panel is `(pointer, depth stride)`: `(Ã, MR)`
/// when packed, `(A, csa)` when its `MR` contiguous rows are read in place.
/// The `B` panel is `(pointer, depth stride, column stride)`: `(B̃, NR, 1)`
/// when packed, `(B, 1, csb)` when read in place.
///
/// # Safety
/// `a` is valid for the `MR×kc` range its stride describes, `b` for the
/// `kc×NR` range its strides describe; `c` for the `mr×nr` range its strides describe, where `tile` is
/// `(rsc, csc, mr, nr)`; with `β = 0`, `C` is not read.
#[inline(always)]
pub(super) unsafe fn kernel<S: Simd>(
    kc: usize,
    a: (*const S::T, isize),
    b: (*const S::T, isize, isize),
    alpha: S::T,
    beta: S::T,
    c: *mut S::T,
    (rsc, csc, mr, nr): (isize, isize, usize, usize),
) {
    let l = S::LANES;
    // SAFETY (whole body): reads stay inside the two panels; writes go to
    // (i, j) of C with i < mr, j < nr, or to the on-stack buffer.
    unsafe {
        // The tile of C is read (β ≠ 0) or written only after the loop:
        // ask for its lines now, so they arrive while the FMAs run.
        if rsc == 1 {
            for j in 0..nr {
                let cj = c.offset(j as isize * csc);
                prefetch(cj);
                prefetch(cj.add(mr - 1));
            }
        }
        // (WebAssembly reads `A` packed only: see `blocked::a_in_place`.)
        #[cfg(target_arch = "wasm32")]
        let acc = super::wasm::accumulate::<S>(kc, a.0, b);
        #[cfg(not(target_arch = "wasm32"))]
        let acc = accumulate::<S>(kc, a, b);

        // Constant-trip loops over `acc` below (no `take(nr)`), so that the
        // accumulators stay in registers instead of going through the stack.
        let av = S::splat(alpha);
        let bv = S::splat(beta);
        if rsc == 1 && mr == S::MR && nr == NR {
            // A whole tile over contiguous columns.
            for (j, col) in acc.iter().enumerate() {
                let cj = c.offset(j as isize * csc);
                for (h, &v) in col.iter().enumerate() {
                    update::<S>(cj.add(h * l), l, scaled::<S>(v, alpha, av), beta, bv);
                }
            }
        } else if rsc == 1 {
            // An edge tile over contiguous columns: partial vectors.
            for (j, col) in acc.iter().enumerate() {
                if j < nr {
                    let cj = c.offset(j as isize * csc);
                    for (h, &v) in col.iter().enumerate() {
                        let rows = mr.saturating_sub(h * l).min(l);
                        if rows > 0 {
                            update::<S>(cj.add(h * l), rows, scaled::<S>(v, alpha, av), beta, bv);
                        }
                    }
                }
            }
        } else {
            // Strided rows: gathered into a buffer, updated there by the
            // same vector arithmetic as contiguous ones (so a fused
            // `r + β·C` where the CPU fuses), scattered back.
            let mut buf = [S::T::ZERO; MAX_MR];
            for (j, col) in acc.iter().enumerate().take(nr) {
                let at = |i: usize| c.offset(i as isize * rsc + j as isize * csc);
                if beta != S::T::ZERO {
                    for (i, old) in buf.iter_mut().enumerate().take(mr) {
                        *old = *at(i);
                    }
                }
                for (h, &v) in col.iter().enumerate() {
                    update::<S>(
                        buf.as_mut_ptr().add(h * l),
                        l,
                        scaled::<S>(v, alpha, av),
                        beta,
                        bv,
                    );
                }
                for (i, &r) in buf.iter().enumerate().take(mr) {
                    *at(i) = r;
                }
            }
        }
    }
}

/// The micro-kernel's arithmetic: the `MR×NR` tile `Ã·B̃` over `kc` depths,
/// in twelve named accumulators (an array here ends up in memory once the
/// loop is unrolled), four depths per iteration.
///
/// Helpers like this one are functions, never closures: a closure is
/// compiled without the target features of the function it is written in, so
/// the intrinsics inside it would not be inlined.
///
/// # Safety
/// `a` is valid for the `MR×kc` range its stride describes, `b` for the
/// `kc×NR` range its strides describe (see [`kernel`]).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
unsafe fn accumulate<S: Simd>(
    kc: usize,
    (a, asp): (*const S::T, isize),
    (b, bsp, bsj): (*const S::T, isize, isize),
) -> [[S::V; 2]; NR] {
    let l = S::LANES;
    // SAFETY: depth `p` reads `a[p·asp .. p·asp+MR]` and `b[p·bsp + j·bsj]`,
    // `p < kc`, `j < NR`.
    unsafe {
        let z = S::zero();
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
        let (mut c30, mut c31, mut c40, mut c41, mut c50, mut c51) = (z, z, z, z, z, z);
        macro_rules! depth {
            ($a:expr, $b:expr) => {{
                let (a, b) = ($a, $b);
                let a0 = S::load(a);
                let a1 = S::load(a.add(l));
                let bj = S::splat(*b);
                c00 = S::fma(a0, bj, c00);
                c01 = S::fma(a1, bj, c01);
                let bj = S::splat(*b.offset(bsj));
                c10 = S::fma(a0, bj, c10);
                c11 = S::fma(a1, bj, c11);
                let bj = S::splat(*b.offset(2 * bsj));
                c20 = S::fma(a0, bj, c20);
                c21 = S::fma(a1, bj, c21);
                let bj = S::splat(*b.offset(3 * bsj));
                c30 = S::fma(a0, bj, c30);
                c31 = S::fma(a1, bj, c31);
                let bj = S::splat(*b.offset(4 * bsj));
                c40 = S::fma(a0, bj, c40);
                c41 = S::fma(a1, bj, c41);
                let bj = S::splat(*b.offset(5 * bsj));
                c50 = S::fma(a0, bj, c50);
                c51 = S::fma(a1, bj, c51);
            }};
        }
        let (mut a, mut b) = (a, b);
        for _ in 0..kc / 4 {
            depth!(a, b);
            depth!(a.offset(asp), b.offset(bsp));
            depth!(a.offset(2 * asp), b.offset(2 * bsp));
            depth!(a.offset(3 * asp), b.offset(3 * bsp));
            a = a.offset(4 * asp);
            b = b.offset(4 * bsp);
        }
        for _ in 0..kc % 4 {
            depth!(a, b);
            a = a.offset(asp);
            b = b.offset(bsp);
        }
        [
            [c00, c01],
            [c10, c11],
            [c20, c21],
            [c30, c31],
            [c40, c41],
            [c50, c51],
        ]
    }
}

/// `α·v` (`av` is `α` in every lane), skipping the product when `α = 1`.
#[inline(always)]
pub(super) unsafe fn scaled<S: Simd>(v: S::V, alpha: S::T, av: S::V) -> S::V {
    if alpha == S::T::ONE {
        v
    } else {
        // SAFETY: arithmetic only.
        unsafe { S::mul(v, av) }
    }
}

/// `r + β·old` (`bv` is `β` in every lane), as `old + r` when `β = 1`.
#[inline(always)]
unsafe fn combine<S: Simd>(old: S::V, r: S::V, beta: S::T, bv: S::V) -> S::V {
    // SAFETY: arithmetic only.
    unsafe {
        if beta == S::T::ONE {
            S::add(old, r)
        } else {
            S::fma(old, bv, r)
        }
    }
}

/// `C[..rows] ← r + β·C[..rows]` for `rows ≤ LANES` contiguous elements of
/// `C` (`bv` is `β` in every lane); `C` is not read when `β = 0`. A partial
/// vector goes through an on-stack buffer, with the same arithmetic.
///
/// # Safety
/// `p` is valid for `rows` elements.
#[inline(always)]
pub(super) unsafe fn update<S: Simd>(p: *mut S::T, rows: usize, r: S::V, beta: S::T, bv: S::V) {
    // SAFETY: only the first `rows` elements behind `p` are touched.
    unsafe {
        if rows == S::LANES {
            let v = if beta == S::T::ZERO {
                r
            } else {
                combine::<S>(S::load(p), r, beta, bv)
            };
            S::store(p, v);
        } else {
            let mut buf = [S::T::ZERO; MAX_MR];
            if beta != S::T::ZERO {
                std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), rows);
                let v = combine::<S>(S::load(buf.as_ptr()), r, beta, bv);
                S::store(buf.as_mut_ptr(), v);
            } else {
                S::store(buf.as_mut_ptr(), r);
            }
            std::ptr::copy_nonoverlapping(buf.as_ptr(), p, rows);
        }
    }
}
