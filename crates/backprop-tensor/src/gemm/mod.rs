//! Our own matrix product, `C ← α·A·B + β·C`, for `f32` and `f64`.
//!
//! It is the classic packed, blocked algorithm (Goto; BLIS; `matrixmultiply`):
//!
//! ```text
//! for jc in 0..n step NC            columns of C and B
//!   for pc in 0..k step KC          the shared dimension
//!     pack B[pc.., jc..]  → B̃  (KC×NC, in NR-wide micro-panels)
//!     for ic in 0..m step MC        rows of C and A
//!       pack A[ic.., pc..] → Ã (MC×KC, in MR-tall micro-panels)
//!       for jr in 0..NC step NR
//!         for ir in 0..MC step MR
//!           micro-kernel: C[MR×NR] (+)= α·Ã[ir]·B̃[jr]
//! ```
//!
//! One departure: when `B`'s columns are contiguous (a column-major `B`, as
//! in every forward product `W·A` and every `Wᵀ·dZ`), whole micro-panels of
//! `B` are not packed: the kernel reads their `NR` columns where they are, as
//! `NR` sequential streams, and the kernels of one panel prefetch the next
//! panel's columns. Only a last, partial panel is packed. The arithmetic is
//! the same either way (the kernel takes the panel's depth and column
//! strides), so results do not depend on it.
//!
//! Every operand is read through a row and a column stride, so transposes are
//! free: they only change how the packing reads memory. The packed buffers
//! come from a per-thread workspace that grows on first use and is reused by
//! every later call of the same or smaller size: after warm-up a product
//! never allocates (unlike `matrixmultiply`, which allocates its packing
//! buffer on every call).
//!
//! Matrix-vector products (`n == 1`, and `m == 1` read as `Cᵀ = Bᵀ·Aᵀ`) skip
//! packing altogether; they are single-sample inference. Products with fewer
//! rows than one micro-panel (the 10 classes of an output layer) are computed
//! as `Cᵀ = Bᵀ·Aᵀ`, so that whole micro-panels are not mostly padding.
//! Transposed operands are packed through in-register `LANES×LANES`
//! transposes.
//!
//! The arithmetic is written once, generically over a small vector trait
//! ([`Simd`](simd::Simd)): on x86-64 CPUs with AVX2 and FMA (detected at run time, once)
//! it is instantiated with 256-bit registers and fused multiply-adds (`f32`:
//! a 16×6 micro-kernel, `f64`: 8×6), and where AVX-512F is there too, `f32`'s
//! blocked products with 512-bit registers (32×6: the same bits, fewer
//! instructions); everywhere else with plain arrays that
//! the compiler vectorises for the baseline target (unfused `a·b + c`).
//!
//! With `β = 0` the old contents of `C` are never read (NaN or garbage in `C`
//! does not leak into the result), and with `k = 0` or `α = 0` neither `A`
//! nor `B` is read.
//!
//! Where each part lives:
//!
//! - this file: the entry points [`sgemm`] and [`dgemm`], and the choice of
//!   instantiation for the CPU (AVX2+FMA or portable) made at run time;
//! - `product`: what one product is ([`Gemm`]) and the element types
//!   ([`Elem`](product::Elem));
//! - `parallel`: cutting a large product into slices for the pool's threads;
//! - `epilogue`: the element-wise pass a product may run on each slice of
//!   `C`, on the thread that computed it ([`gemm_then`]);
//! - `generic`: the path a product takes for one instantiation (scaling
//!   only, matrix-vector, transposed, blocked);
//! - `sizes`: block and micro-panel sizes, and the workspace bound;
//! - `blocked`: the packed, blocked loop nest;
//! - `pack`: packing blocks of `A` and `B` into micro-panels;
//! - `kernel`: the micro-kernel and its update of `C`;
//! - `matvec`: matrix-vector products, unpacked;
//! - `sparse`: products whose `B` is mostly zeros, skipping them (the same
//!   bits);
//! - `simd`: the vector trait the arithmetic is written against;
//! - `portable`, `x86`, `x86_512`: its instantiations (arrays; AVX2+FMA
//!   registers; AVX-512F registers for `f32`'s blocked products);
//! - `wasm`: the micro-kernel's accumulation for WebAssembly (same bits,
//!   shaped for the browser's register allocator);
//! - `tests`: every path against a naive product.
//!
//! Each thread's packing buffers live in [`crate::workspace`], which the
//! thread pool also uses to size its helpers' before a parallel product.

mod blocked;
mod epilogue;
#[cfg(test)]
mod epilogue_tests;
mod generic;
mod kernel;
mod matvec;
mod pack;
mod parallel;
mod portable;
mod product;
mod simd;
mod sizes;
mod sparse;
#[cfg(test)]
mod sparse_tests;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_512;

pub use epilogue::EpilogueColumn;
pub(crate) use epilogue::{Blocks, Finish};
pub(crate) use product::Gemm;
pub(crate) use sizes::workspace_bound;

use epilogue::nothing;
use generic::gemm_generic;
use pack::pack_whole_a;
use parallel::parallel;
use std::any::Any;
#[cfg(target_arch = "x86_64")]
use std::sync::atomic::{AtomicU8, Ordering};

/// The product `g` followed by its epilogue: `finish` runs on every block
/// of `C` once it is final, on the thread that computed it (see
/// `epilogue`). Returns `false`, running nothing, when `T` is neither
/// `f32` nor `f64`.
///
/// # Safety
/// As [`sgemm`], and `finish` may touch only the block it is given.
pub(crate) unsafe fn gemm_then<T: Copy + 'static>(g: Gemm<T>, finish: Finish<'_>) -> bool {
    if let Some(g) = as_elem::<T, f32>(&g) {
        // SAFETY: the caller's contract.
        unsafe { parallel(g, sgemm_on_this_thread, spack_whole_a, finish) };
    } else if let Some(g) = as_elem::<T, f64>(&g) {
        // SAFETY: the caller's contract.
        unsafe { parallel(g, dgemm_on_this_thread, dpack_whole_a, finish) };
    } else {
        return false;
    }
    true
}

/// `g` as a product of `U`, when `T` is `U` (the pointers are only cast).
fn as_elem<T: Copy + 'static, U: Copy + 'static>(g: &Gemm<T>) -> Option<Gemm<U>> {
    let alpha = *(&g.alpha as &dyn Any).downcast_ref::<U>()?;
    let beta = *(&g.beta as &dyn Any).downcast_ref::<U>()?;
    Some(Gemm {
        m: g.m,
        k: g.k,
        n: g.n,
        alpha,
        a: g.a.cast(),
        rsa: g.rsa,
        csa: g.csa,
        b: g.b.cast(),
        rsb: g.rsb,
        csb: g.csb,
        beta,
        c: g.c.cast(),
        rsc: g.rsc,
        csc: g.csc,
        a_packed: g.a_packed.cast(),
        sparse_b: g.sparse_b,
    })
}

/// `f32` product.
///
/// # Safety
/// As [`Scalar::gemm_raw`](crate::Scalar::gemm_raw): the pointers are valid for
/// every index their strides describe, `c` aliases neither `a` nor `b`, and
/// distinct `(i, j)` of `C` are distinct elements.
pub(crate) unsafe fn sgemm(g: Gemm<f32>) {
    // SAFETY: the caller upholds the pointer contract.
    unsafe { parallel(g, sgemm_on_this_thread, spack_whole_a, &nothing) }
}

/// [`sgemm`] on the calling thread alone.
///
/// # Safety
/// As [`sgemm`].
unsafe fn sgemm_on_this_thread(g: Gemm<f32>) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F, AVX2 and FMA (just checked); the
        // caller upholds the pointer contract.
        return unsafe { x86_512::sgemm_avx512(g) };
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (just checked); the caller upholds
        // the pointer contract.
        return unsafe { x86::sgemm_avx2(g) };
    }
    // SAFETY: the caller upholds the pointer contract.
    unsafe { gemm_generic::<portable::F32x4>(g) }
}

/// [`pack_whole_a`] for `f32`, with the instantiation [`sgemm_on_this_thread`]
/// picks.
///
/// # Safety
/// As [`pack_whole_a`].
unsafe fn spack_whole_a(g: &Gemm<f32>, dst: *mut f32, room: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F, AVX2 and FMA; forwarded contract.
        return unsafe { x86_512::spack_whole_a_avx512(g, dst, room) };
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA; forwarded contract.
        return unsafe { x86::spack_whole_a_avx2(g, dst, room) };
    }
    // SAFETY: forwarded contract.
    unsafe { pack_whole_a::<portable::F32x4>(g, dst, room) }
}

/// `f64` product.
///
/// # Safety
/// As [`sgemm`].
pub(crate) unsafe fn dgemm(g: Gemm<f64>) {
    // SAFETY: the caller upholds the pointer contract.
    unsafe { parallel(g, dgemm_on_this_thread, dpack_whole_a, &nothing) }
}

/// [`dgemm`] on the calling thread alone.
///
/// # Safety
/// As [`sgemm`].
unsafe fn dgemm_on_this_thread(g: Gemm<f64>) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (just checked); the caller upholds
        // the pointer contract.
        return unsafe { x86::dgemm_avx2(g) };
    }
    // SAFETY: the caller upholds the pointer contract.
    unsafe { gemm_generic::<portable::F64x2>(g) }
}

/// [`pack_whole_a`] for `f64`, with the instantiation [`dgemm_on_this_thread`]
/// picks.
///
/// # Safety
/// As [`pack_whole_a`].
unsafe fn dpack_whole_a(g: &Gemm<f64>, dst: *mut f64, room: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA; forwarded contract.
        return unsafe { x86::dpack_whole_a_avx2(g, dst, room) };
    }
    // SAFETY: forwarded contract.
    unsafe { pack_whole_a::<portable::F64x2>(g, dst, room) }
}

/// Whether the AVX2+FMA kernels can run, detected once and cached.
#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2_fma() -> bool {
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    cached(&LEVEL, || {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

/// Whether the `f32` product runs the AVX-512 kernel: the CPU has AVX-512F
/// (and AVX2 and FMA), and `BACKPROP_GEMM_AVX512` is not `0` (which keeps
/// the AVX2 kernel, to compare the two). Decided once and cached. Both give
/// the same bits (see `x86_512`).
#[cfg(target_arch = "x86_64")]
#[inline]
fn avx512() -> bool {
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    cached(&LEVEL, || {
        avx2_fma()
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::env::var_os("BACKPROP_GEMM_AVX512").is_none_or(|v| v != "0")
    })
}

/// `detect()`, computed on the first call and kept in `level` (0: not yet
/// known, 1: no, 2: yes); the CPU checks above run once.
#[cfg(target_arch = "x86_64")]
#[inline]
fn cached(level: &AtomicU8, detect: impl FnOnce() -> bool) -> bool {
    match level.load(Ordering::Relaxed) {
        0 => {
            let yes = detect();
            level.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        l => l == 2,
    }
}
