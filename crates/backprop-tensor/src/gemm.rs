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
//! ([`Simd`]): on x86-64 CPUs with AVX2 and FMA (detected at run time, once)
//! it is instantiated with 256-bit registers and fused multiply-adds (`f32`:
//! a 16×6 micro-kernel, `f64`: 8×6); everywhere else with plain arrays that
//! the compiler vectorises for the baseline target (unfused `a·b + c`).
//!
//! With `β = 0` the old contents of `C` are never read (NaN or garbage in `C`
//! does not leak into the result), and with `k = 0` or `α = 0` neither `A`
//! nor `B` is read.

use std::cell::Cell;
use std::ops::{Add, Mul};

/// The element types the product is instantiated for.
pub(crate) trait Elem:
    Copy + PartialEq + Add<Output = Self> + Mul<Output = Self> + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
}

impl Elem for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl Elem for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// One product `C ← α·A·B + β·C`: `A` is `m×k`, `B` is `k×n`, `C` is `m×n`,
/// each given by a pointer and its row and column strides (in elements).
#[derive(Clone, Copy)]
pub(crate) struct Gemm<T> {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub alpha: T,
    pub a: *const T,
    pub rsa: isize,
    pub csa: isize,
    pub b: *const T,
    pub rsb: isize,
    pub csb: isize,
    pub beta: T,
    pub c: *mut T,
    pub rsc: isize,
    pub csc: isize,
    /// `A` already packed for [`blocked`] by [`pack_whole_a`] with the same
    /// instantiation (every depth block, one after the other), or null: pack
    /// it here. Set only by [`parallel_with`] for the slices of a product.
    pub a_packed: *const T,
}

/// `f32` product.
///
/// # Safety
/// As [`Scalar::gemm_raw`](crate::Scalar::gemm_raw): the pointers are valid for
/// every index their strides describe, `c` aliases neither `a` nor `b`, and
/// distinct `(i, j)` of `C` are distinct elements.
pub(crate) unsafe fn sgemm(g: Gemm<f32>) {
    // SAFETY: the caller upholds the pointer contract.
    unsafe { parallel(g, sgemm_on_this_thread, spack_whole_a) }
}

/// [`sgemm`] on the calling thread alone.
///
/// # Safety
/// As [`sgemm`].
unsafe fn sgemm_on_this_thread(g: Gemm<f32>) {
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
    unsafe { parallel(g, dgemm_on_this_thread, dpack_whole_a) }
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

/// Packs the whole of `A` as [`blocked`] would, block by block of depth, for
/// slices of `C`'s columns that then share it ([`Gemm::a_packed`]): only
/// when every such slice goes through [`blocked`] untransposed with one block
/// of rows (`MR ≤ m ≤ MC`), and `dst` has room for it (`room` elements).
/// Returns whether it packed.
///
/// # Safety
/// `g`'s `A` is valid for its `m×k` range; `dst` for `room` elements.
#[inline(always)]
unsafe fn pack_whole_a<S: Simd>(g: &Gemm<S::T>, dst: *mut S::T, room: usize) -> bool {
    if g.m < S::MR || g.m > MC || g.k == 0 || g.alpha == S::T::ZERO {
        return false;
    }
    let (kc_max, mc, _) = block_sizes(g.m, g.k, NR, S::MR);
    if mc * g.k > room {
        return false;
    }
    let mut pc = 0;
    while pc < g.k {
        let kc = kc_max.min(g.k - pc);
        // SAFETY: columns [pc, pc+kc) lie inside A; block `pc` goes to
        // `dst[mc·pc ..][.. mc·kc]`, inside `mc·k ≤ room`.
        unsafe {
            pack_a::<S>(
                g.m,
                kc,
                g.a.offset(pc as isize * g.csa),
                g.rsa,
                g.csa,
                dst.add(mc * pc),
            )
        };
        pc += kc;
    }
    true
}

/// Smallest slice of columns (a multiple of `NR`) and of rows (of every
/// micro-panel height) that a parallel product hands to one thread: each
/// slice packs its own copy of the other operand (except an `A` shared by
/// column slices, see [`pack_whole_a`]), which must stay small next to the
/// slice's arithmetic.
const MIN_SLICE_COLS: usize = 8 * NR;
const MIN_SLICE_ROWS: usize = 4 * MAX_MR;

/// Matrix-vector products `y = A·x` with at least this many entries in `A`
/// (the MLP's `128×784` first layer has 100,352) are cut by rows for
/// threads like large products.
const PARALLEL_MIN_GEMV: usize = 1 << 16;

/// Row slices of a matrix-vector product start at multiples of this: eight
/// vectors of the widest kernel (8 `f32` lanes), the block `gemv_columns`
/// sums a row in.
const GEMV_ROW_ALIGN: usize = 64;

/// A product whose pointers may be shared with the pool's threads.
struct Shared<T>(Gemm<T>);

// SAFETY: the slices handed to different threads write disjoint parts of
// `C` and only read `A` and `B`; `threads::run` returns only after every
// thread is done with them.
unsafe impl<T> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    /// The product (a method, so that closures capture the whole `Shared`).
    fn get(&self) -> Gemm<T> {
        self.0
    }
}

/// Runs a large product on several threads (see [`crate::threads`]): cuts
/// `C` into slices of whole columns (or whole rows, when it has more rows
/// than columns), each computed by `on_thread` exactly as the whole product
/// would compute it, so the result does not depend on the thread count.
///
/// # Safety
/// As [`sgemm`].
unsafe fn parallel<T: Elem>(
    g: Gemm<T>,
    on_thread: unsafe fn(Gemm<T>),
    pack_a: unsafe fn(&Gemm<T>, *mut T, usize) -> bool,
) {
    let flops =
        g.m.saturating_mul(g.n)
            .saturating_mul(g.k)
            .saturating_mul(2);
    // A matrix-vector product (single-sample inference) is bound by reading
    // the matrix: two threads read half each, from their own caches.
    let big_gemv = g.n == 1 && g.m.saturating_mul(g.k) >= PARALLEL_MIN_GEMV;
    let threads = if g.alpha == T::ZERO || (flops < crate::threads::PARALLEL_MIN_FLOPS && !big_gemv)
    {
        1
    } else {
        crate::threads::num_threads()
    };
    // SAFETY: the caller's contract.
    unsafe { parallel_with(g, on_thread, pack_a, threads) }
}

/// [`parallel`] on at most `threads` threads, whatever the product's size.
///
/// # Safety
/// As [`sgemm`].
unsafe fn parallel_with<T: Elem>(
    g: Gemm<T>,
    on_thread: unsafe fn(Gemm<T>),
    pack_a: unsafe fn(&Gemm<T>, *mut T, usize) -> bool,
    threads: usize,
) {
    let by_columns = g.n >= g.m;
    let (len, align, min) = if by_columns {
        (g.n, NR, MIN_SLICE_COLS)
    } else if g.n == 1 {
        // A matrix-vector product: slices of whole 8-vector row blocks, so
        // every row is summed by the same loop as without slicing (the
        // rows after the last whole block take another path).
        (g.m, GEMV_ROW_ALIGN, GEMV_ROW_ALIGN)
    } else {
        (g.m, MAX_MR, MIN_SLICE_ROWS)
    };
    let Some(cut) = crate::threads::Slices::new(len, align, min, threads) else {
        // SAFETY: the caller's contract.
        return unsafe { on_thread(g) };
    };
    // Every thread's packing buffers are sized before the work starts, for
    // the largest slice, so that no thread allocates inside the product (the
    // helpers' buffers are allocated here, on the calling thread).
    let (sm, sn) = if by_columns {
        (g.m, cut.largest())
    } else {
        (cut.largest(), g.n)
    };
    let lines = workspace_bound(sm, g.k, sn, std::mem::size_of::<T>());
    reserve_workspace(lines);
    // Slices of columns all need the whole of A: packed once here, not once
    // per slice (the same packing, so the same result), when it is one block
    // of rows (`pack_whole_a` decides; no buffer is taken when it cannot).
    let mut g = g;
    let a_ws = (by_columns && g.m <= MC).then(|| {
        let size = std::mem::size_of::<T>();
        let mut ws = take(
            &PACKED_A,
            (g.m.next_multiple_of(MAX_MR) * g.k * size).div_ceil(64),
        );
        let room = ws.len() * 64 / size;
        // SAFETY: the buffer holds `room` elements; A is the caller's.
        if unsafe { pack_a(&g, ws.as_mut_ptr().cast(), room) } {
            g.a_packed = ws.as_ptr().cast();
        }
        ws
    });
    let shared = Shared(g);
    cut.run(threads, lines, &|lo, hi| {
        let g = shared.get();
        // SAFETY: `lo < hi <= len`, so the offsets stay inside the operands
        // the caller vouched for, and the slices of `C` of different calls
        // are disjoint.
        unsafe {
            let part = if by_columns {
                Gemm {
                    n: hi - lo,
                    b: g.b.offset(lo as isize * g.csb),
                    c: g.c.offset(lo as isize * g.csc),
                    ..g
                }
            } else {
                Gemm {
                    m: hi - lo,
                    a: g.a.offset(lo as isize * g.rsa),
                    c: g.c.offset(lo as isize * g.rsc),
                    ..g
                }
            };
            on_thread(part);
        }
    });
    if let Some(ws) = a_ws {
        give_back(&PACKED_A, ws);
    }
}

/// Whether the AVX2+FMA kernels can run, detected once and cached.
#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2_fma() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    // 0: not yet known, 1: no, 2: yes.
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let yes = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            LEVEL.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        l => l == 2,
    }
}

/// A short vector of `LANES` elements: a register, or an array the compiler
/// vectorises.
///
/// Every method is `unsafe`: the AVX2 implementations may only run on CPUs
/// that have AVX2 and FMA, and the loads and stores read and write `LANES`
/// elements through raw pointers.
pub(crate) trait Simd {
    /// The element.
    type T: Elem;
    /// The vector.
    type V: Copy;
    /// Elements per vector.
    const LANES: usize;
    /// Rows of the micro-kernel: two vectors.
    const MR: usize = 2 * Self::LANES;

    /// All zeros.
    unsafe fn zero() -> Self::V;
    /// Every lane `x`.
    unsafe fn splat(x: Self::T) -> Self::V;
    /// Reads `LANES` consecutive elements (no alignment needed).
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// Writes `LANES` consecutive elements (no alignment needed).
    unsafe fn store(p: *mut Self::T, v: Self::V);
    /// `a·b + c` (fused where the CPU has it).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a·b`.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// `a + b`.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    unsafe fn hsum(v: Self::V) -> Self::T;
    /// Transposes a `LANES×LANES` block: `dst[j·ds + i] = src[i·rs + j]` for
    /// `i, j < LANES` (rows of `src` and of `dst` are contiguous).
    #[inline(always)]
    unsafe fn transpose(src: *const Self::T, rs: isize, dst: *mut Self::T, ds: usize) {
        for j in 0..Self::LANES {
            for i in 0..Self::LANES {
                // SAFETY: the caller guarantees both blocks.
                unsafe { *dst.add(j * ds + i) = *src.offset(i as isize * rs + j as isize) };
            }
        }
    }
}

/// Columns of the micro-kernel (the same for every instantiation).
const NR: usize = 6;
/// Depth of a packed block (the shared dimension is cut into nearly equal
/// chunks of at most this many).
const KC: usize = 256;
/// Rows of a packed block of `A` (a multiple of every `MR`); with `KC` it
/// keeps `Ã` (128 KiB in `f32`) in L2.
const MC: usize = 128;
/// Columns of a packed block of `B`.
const NC: usize = 1024;
/// The largest `MR` of any instantiation (sizes the on-stack edge buffer).
const MAX_MR: usize = 16;

/// Runs the product for one instantiation. Inlined into the AVX2 wrappers so
/// that the whole driver, packing included, is compiled for AVX2.
///
/// # Safety
/// As [`sgemm`], and `S` may run on this CPU.
#[inline(always)]
unsafe fn gemm_generic<S: Simd>(g: Gemm<S::T>) {
    if g.m == 0 || g.n == 0 {
        return;
    }
    // SAFETY (all calls below): the caller's contract covers every index of
    // the m×k, k×n and m×n ranges, which is all these functions touch.
    unsafe {
        if g.k == 0 || g.alpha == S::T::ZERO {
            scale(g.m, g.n, g.beta, g.c, g.rsc, g.csc);
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

// ---------------------------------------------------------------------------
// Workspace

/// Asks the CPU to bring the cache line holding `p` into L1 (a hint: no
/// fault, whatever `p` is).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch never
        // faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One cache line: the unit (and alignment) of the packing workspace.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line([u8; 64]);

thread_local! {
    /// The packing buffers of this thread: grown on first use, then reused.
    static WORKSPACE: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// One of this thread's buffers of cache lines ([`WORKSPACE`], [`PACKED_A`]).
type Slot = std::thread::LocalKey<Cell<Vec<Line>>>;

/// At least `lines` cache lines of scratch memory, 64-byte aligned: this
/// thread's buffer in `slot`, taken out of it (so no borrow is held while the
/// product runs). It allocates only when the buffer must grow (or,
/// exceptionally, while the thread is being torn down). Hand it back with
/// [`give_back`].
fn take(slot: &'static Slot, lines: usize) -> Vec<Line> {
    let mut ws = slot.try_with(Cell::take).unwrap_or_default();
    if ws.len() < lines {
        // Drop the old buffer first: its contents need not survive.
        ws = Vec::new();
        ws.reserve_exact(lines);
        ws.resize(lines, Line([0; 64]));
    }
    ws
}

/// Grows this thread's workspace to at least `lines` (allocating only if it
/// is smaller).
pub(crate) fn reserve_workspace(lines: usize) {
    give_back(&WORKSPACE, take(&WORKSPACE, lines));
}

/// A workspace of `lines` lines for another thread, to be installed there
/// with [`install_workspace`]: the allocation happens on the calling thread.
pub(crate) fn new_workspace(lines: usize) -> Vec<Line> {
    vec![Line([0; 64]); lines]
}

/// Makes `ws` this thread's workspace if it is larger than the current one.
pub(crate) fn install_workspace(ws: Vec<Line>) {
    let current = take(&WORKSPACE, 0);
    give_back(
        &WORKSPACE,
        if ws.len() > current.len() {
            ws
        } else {
            current
        },
    );
}

/// The block sizes `(kc, mc, nc)` of [`blocked`] for an `m×k·k×n` product
/// with micro-panels `mr` tall: each dimension cut into nearly equal blocks
/// (784 = 4×196, not 3×256 + 16), rounded up to whole micro-panels.
fn block_sizes(m: usize, k: usize, n: usize, mr: usize) -> (usize, usize, usize) {
    (
        k.div_ceil(k.div_ceil(KC)),
        m.div_ceil(m.div_ceil(MC)).next_multiple_of(mr),
        n.div_ceil(n.div_ceil(NC)).next_multiple_of(NR),
    )
}

/// The packed `Ã` (`mc×kc`) and `B̃` (`kc×nc`) sizes, in lines, for
/// `size`-byte elements.
fn packed_lines((kc, mc, nc): (usize, usize, usize), size: usize) -> (usize, usize) {
    ((mc * kc * size).div_ceil(64), (kc * nc * size).div_ceil(64))
}

/// An upper bound on the workspace [`blocked`] takes for an `m×k·k×n`
/// product of `size`-byte elements, whatever the micro-kernel and whether
/// the product runs transposed.
fn workspace_bound(m: usize, k: usize, n: usize, size: usize) -> usize {
    let d = m.max(n);
    let rows = d.next_multiple_of(MAX_MR).min(MC);
    let cols = d.next_multiple_of(NR).min(NC.next_multiple_of(NR));
    let depth = k.min(KC);
    ((rows + cols) * depth * size).div_ceil(64) + 2
}

thread_local! {
    /// The whole of `A`, packed by this thread for the slices of a product it
    /// shares with the pool (see [`parallel_with`]): grown on first use.
    static PACKED_A: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// Returns a buffer taken by [`take`] to its slot.
fn give_back(slot: &'static Slot, ws: Vec<Line>) {
    // During thread teardown the slot is gone and the buffer is just freed.
    let _ = slot.try_with(|slot| slot.set(ws));
}

// ---------------------------------------------------------------------------
// The blocked product

/// The packed, blocked product for `m, n ≥ 1`, `k ≥ 1`.
///
/// # Safety
/// As [`gemm_generic`].
#[inline(always)]
unsafe fn blocked<S: Simd>(g: Gemm<S::T>) {
    let mr = S::MR;
    debug_assert!(mr <= MAX_MR && MC.is_multiple_of(mr));
    let blocks = block_sizes(g.m, g.k, g.n, mr);
    let (kc_max, mc_max, nc_max) = blocks;
    let (a_lines, b_lines) = packed_lines(blocks, std::mem::size_of::<S::T>());

    // Not a closure around the loops: a closure would be compiled without the
    // caller's target features (and so without inlined AVX2 intrinsics).
    let mut ws = take(&WORKSPACE, a_lines + b_lines);
    {
        let apack = ws.as_mut_ptr().cast::<S::T>();
        // SAFETY: the workspace holds a_lines + b_lines lines.
        let bpack = unsafe { ws.as_mut_ptr().add(a_lines) }.cast::<S::T>();
        let mut jc = 0;
        while jc < g.n {
            let nc = nc_max.min(g.n - jc);
            let mut pc = 0;
            while pc < g.k {
                let kc = kc_max.min(g.k - pc);
                let bblock =
                    g.b.wrapping_offset(pc as isize * g.rsb + jc as isize * g.csb);
                // Columns of B that the kernel reads where they are: whole
                // micro-panels of contiguous columns (a column-major B), each
                // column one sequential stream. Packing them would copy every
                // element once more for nothing; only the last, partial
                // panel is packed (zero-padded).
                let direct = if g.rsb == 1 { nc / NR * NR } else { 0 };
                // SAFETY: the block [pc, pc+kc) × [jc+direct, jc+nc) lies
                // inside B, and B̃ has room for kc × nc_max elements.
                unsafe {
                    pack_b::<S>(
                        kc,
                        nc - direct,
                        bblock.wrapping_offset(direct as isize * g.csb),
                        g.rsb,
                        g.csb,
                        bpack,
                    )
                };
                // Later depth blocks accumulate onto the first one's result.
                let beta = if pc == 0 { g.beta } else { S::T::ONE };
                let mut ic = 0;
                while ic < g.m {
                    let mc = mc_max.min(g.m - ic);
                    let apack = if g.a_packed.is_null() {
                        // SAFETY: the block [ic, ic+mc) × [pc, pc+kc) lies
                        // inside A, and Ã has room for mc_max × kc elements.
                        unsafe {
                            pack_a::<S>(
                                mc,
                                kc,
                                g.a.offset(ic as isize * g.rsa + pc as isize * g.csa),
                                g.rsa,
                                g.csa,
                                apack,
                            )
                        };
                        apack
                    } else {
                        // Packed by `pack_whole_a` (one block of rows, so
                        // ic = 0 and mc_max is its padded height).
                        debug_assert!(ic == 0 && mc == g.m);
                        g.a_packed.wrapping_add(mc_max * pc).cast_mut()
                    };
                    let mut jr = 0;
                    while jr < nc {
                        let mut ir = 0;
                        while ir < mc {
                            let c = g.c.wrapping_offset(
                                (ic + ir) as isize * g.rsc + (jc + jr) as isize * g.csc,
                            );
                            let tile = (g.rsc, g.csc, mr.min(mc - ir), NR.min(nc - jr));
                            let a = apack.wrapping_add(ir * kc);
                            // SAFETY: the micro-panels lie inside Ã and B̃ (or
                            // B: depths [pc, pc+kc) of NR whole columns); the
                            // tile's valid part lies inside C. Two call sites,
                            // so that each inlined kernel knows its strides.
                            unsafe {
                                if jr < direct {
                                    let b = bblock.wrapping_offset(jr as isize * g.csb);
                                    if jr + NR < direct {
                                        // This panel's kernels share the
                                        // fetching of the next one's columns.
                                        let next = b.wrapping_offset(NR as isize * g.csb);
                                        let panels = mc.div_ceil(mr);
                                        let col_bytes = kc * std::mem::size_of::<S::T>();
                                        for j in (ir / mr..NR).step_by(panels) {
                                            let col = next.wrapping_offset(j as isize * g.csb);
                                            for off in (0..col_bytes).step_by(64) {
                                                prefetch(col.cast::<u8>().wrapping_add(off));
                                            }
                                        }
                                    }
                                    kernel::<S>(kc, a, (b, 1, g.csb), g.alpha, beta, c, tile)
                                } else {
                                    let b = bpack.wrapping_add((jr - direct) * kc);
                                    kernel::<S>(kc, a, (b, NR as isize, 1), g.alpha, beta, c, tile)
                                }
                            };
                            ir += mr;
                        }
                        jr += NR;
                    }
                    ic += mc;
                }
                pc += kc;
            }
            jc += nc;
        }
    }
    give_back(&WORKSPACE, ws);
}

/// Packs the `mc×kc` block of `A` at `a` into micro-panels of `MR` rows:
/// panel `p` holds, for each depth `l`, rows `p·MR .. p·MR+MR` of column `l`
/// (zero-padded past `mc`), so the kernel reads it strictly sequentially.
///
/// # Safety
/// `a` is valid for the `mc×kc` range; `dst` for `⌈mc/MR⌉·MR·kc` elements.
#[inline(always)]
unsafe fn pack_a<S: Simd>(
    mc: usize,
    kc: usize,
    a: *const S::T,
    rsa: isize,
    csa: isize,
    dst: *mut S::T,
) {
    let mr = S::MR;
    let l = S::LANES;
    let mut i0 = 0;
    let mut dst = dst;
    // SAFETY (whole body): every read is at (i, j) with i < mc, j < kc; every
    // write is inside the panel being filled.
    unsafe {
        while i0 < mc {
            let rows = mr.min(mc - i0);
            let src = a.offset(i0 as isize * rsa);
            if rows == mr && rsa == 1 {
                // Columns are contiguous: two vector copies per depth.
                for j in 0..kc {
                    let s = src.offset(j as isize * csa);
                    let d = dst.add(j * mr);
                    S::store(d, S::load(s));
                    S::store(d.add(l), S::load(s.add(l)));
                }
            } else if rsa == 1 {
                // The last rows, contiguous: whole vectors where possible,
                // the rest element by element, padded with zeros.
                for j in 0..kc {
                    let s = src.offset(j as isize * csa);
                    let d = dst.add(j * mr);
                    for h in 0..2 {
                        let (s, d) = (s.add(h * l), d.add(h * l));
                        let n = rows.saturating_sub(h * l);
                        if n >= l {
                            S::store(d, S::load(s));
                        } else {
                            for i in 0..l {
                                *d.add(i) = if i < n { *s.add(i) } else { S::T::ZERO };
                            }
                        }
                    }
                }
            } else if rows == mr && csa == 1 {
                // Rows are contiguous (a transposed column-major matrix):
                // LANES×LANES blocks transposed in registers, then the last
                // columns element by element.
                let whole = kc / l * l;
                for h in 0..2 {
                    let (s, d) = (src.offset((h * l) as isize * rsa), dst.add(h * l));
                    for j in (0..whole).step_by(l) {
                        S::transpose(s.add(j), rsa, d.add(j * mr), mr);
                    }
                }
                for i in 0..mr {
                    let s = src.offset(i as isize * rsa);
                    for j in whole..kc {
                        *dst.add(j * mr + i) = *s.add(j);
                    }
                }
            } else {
                for j in 0..kc {
                    let d = dst.add(j * mr);
                    for i in 0..mr {
                        *d.add(i) = if i < rows {
                            *src.offset(i as isize * rsa + j as isize * csa)
                        } else {
                            S::T::ZERO
                        };
                    }
                }
            }
            dst = dst.add(mr * kc);
            i0 += mr;
        }
    }
}

/// Packs the `kc×nc` block of `B` at `b` into micro-panels of `NR` columns:
/// panel `q` holds, for each depth `l`, columns `q·NR .. q·NR+NR` of row `l`
/// (zero-padded past `nc`).
///
/// # Safety
/// `b` is valid for the `kc×nc` range; `dst` for `kc·⌈nc/NR⌉·NR` elements.
#[inline(always)]
unsafe fn pack_b<S: Simd>(
    kc: usize,
    nc: usize,
    b: *const S::T,
    rsb: isize,
    csb: isize,
    dst: *mut S::T,
) {
    let l = S::LANES;
    // Columns that whole transposes of one panel cover (8 for NR = 6).
    let span = NR.next_multiple_of(l);
    let mut j0 = 0;
    let mut dst = dst;
    // SAFETY (whole body): every read is at (l, j) with l < kc, j < nc; every
    // write is inside the panel being filled.
    unsafe {
        while j0 < nc {
            let cols = NR.min(nc - j0);
            let src = b.offset(j0 as isize * csb);
            if cols == NR && csb == 1 {
                // Rows are contiguous (a transposed column-major matrix).
                for p in 0..kc {
                    std::ptr::copy_nonoverlapping(
                        src.offset(p as isize * rsb),
                        dst.add(p * NR),
                        NR,
                    );
                }
            } else if cols == NR && rsb == 1 {
                // Columns are contiguous (a column-major matrix): LANES×LANES
                // transposes of `span` columns, LANES depths at a time. Row
                // `t` of a transpose is written LANES wide at `t·NR`, so the
                // columns past NR spill into the start of row `t+1`, which is
                // written afterwards (transposes run from the highest columns
                // down, rows in increasing order); hence only while row
                // `p+LANES` exists, and only while `span` columns exist.
                let mut p = 0;
                if j0 + span <= nc {
                    while p + l < kc {
                        for h in (0..span / l).rev() {
                            S::transpose(
                                src.offset((h * l) as isize * csb + p as isize),
                                csb,
                                dst.add(p * NR + h * l),
                                NR,
                            );
                        }
                        p += l;
                    }
                }
                // The last depths one element at a time, NR read streams.
                let s: [*const S::T; NR] = std::array::from_fn(|j| src.offset(j as isize * csb));
                for p in p..kc {
                    let d = dst.add(p * NR);
                    for (j, col) in s.iter().enumerate() {
                        *d.add(j) = *col.add(p);
                    }
                }
            } else {
                for p in 0..kc {
                    let d = dst.add(p * NR);
                    for j in 0..NR {
                        *d.add(j) = if j < cols {
                            *src.offset(p as isize * rsb + j as isize * csb)
                        } else {
                            S::T::ZERO
                        };
                    }
                }
            }
            dst = dst.add(NR * kc);
            j0 += NR;
        }
    }
}

/// The micro-kernel: `C[..mr, ..nr] ← α·Ã·B̃ + β·C` for one `MR×kc` panel of
/// `Ã` and one `kc×NR` panel of `B̃`, accumulating the `MR×NR` tile in twelve
/// vector registers. The `B` panel is `(pointer, depth stride, column
/// stride)`: `(B̃, NR, 1)` when packed, `(B, 1, csb)` when read in place.
///
/// # Safety
/// `a` is valid for `MR·kc` elements, `b` for the `kc×NR` range its strides
/// describe; `c` for the `mr×nr` range its strides describe, where `tile` is
/// `(rsc, csc, mr, nr)`; with `β = 0`, `C` is not read.
#[inline(always)]
unsafe fn kernel<S: Simd>(
    kc: usize,
    a: *const S::T,
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
            // Strided rows: element by element, through a buffer.
            let mut buf = [S::T::ZERO; MAX_MR];
            for (j, col) in acc.iter().enumerate().take(nr) {
                S::store(buf.as_mut_ptr(), S::mul(col[0], av));
                S::store(buf.as_mut_ptr().add(l), S::mul(col[1], av));
                for (i, &r) in buf.iter().enumerate().take(mr) {
                    let p = c.offset(i as isize * rsc + j as isize * csc);
                    *p = if beta == S::T::ZERO {
                        r
                    } else if beta == S::T::ONE {
                        *p + r
                    } else {
                        *p * beta + r
                    };
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
/// `a` is valid for `MR·kc` elements, `b` for the `kc×NR` range its strides
/// describe (see [`kernel`]).
#[inline(always)]
unsafe fn accumulate<S: Simd>(
    kc: usize,
    a: *const S::T,
    (b, bsp, bsj): (*const S::T, isize, isize),
) -> [[S::V; 2]; NR] {
    let l = S::LANES;
    // SAFETY: depth `p` reads `a[p·MR .. p·MR+MR]` and `b[p·bsp + j·bsj]`,
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
            depth!(a.add(2 * l), b.offset(bsp));
            depth!(a.add(4 * l), b.offset(2 * bsp));
            depth!(a.add(6 * l), b.offset(3 * bsp));
            a = a.add(8 * l);
            b = b.offset(4 * bsp);
        }
        for _ in 0..kc % 4 {
            depth!(a, b);
            a = a.add(2 * l);
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
unsafe fn scaled<S: Simd>(v: S::V, alpha: S::T, av: S::V) -> S::V {
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
unsafe fn update<S: Simd>(p: *mut S::T, rows: usize, r: S::V, beta: S::T, bv: S::V) {
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

// ---------------------------------------------------------------------------
// Matrix-vector products

/// `y ← α·A·x + β·y` with `A` `m×k`.
#[derive(Clone, Copy)]
struct Gemv<T> {
    m: usize,
    k: usize,
    alpha: T,
    a: *const T,
    rsa: isize,
    csa: isize,
    x: *const T,
    incx: isize,
    beta: T,
    y: *mut T,
    incy: isize,
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
unsafe fn gemv<S: Simd>(g: Gemv<S::T>) {
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
        // Sixteen, then eight vectors of rows at a time: independent
        // accumulators hide the latency of the multiply-adds, and sixteen
        // read each column of a 128-row `W` (f32, AVX2) as one contiguous
        // stream (measured: 8.0 µs instead of 9.0 µs for the MLP's
        // single-sample forward pass).
        while i + 16 * l <= g.m {
            column_block::<S, 16>(&g, i, av, bv);
            i += 16 * l;
        }
        while i + 8 * l <= g.m {
            column_block::<S, 8>(&g, i, av, bv);
            i += 8 * l;
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

// ---------------------------------------------------------------------------
// Instantiations

/// Portable vectors: arrays that the compiler vectorises for the baseline
/// target (SSE2 on x86-64). Multiply-adds are unfused (`a·b + c`), since a
/// fused `mul_add` without hardware support is a slow library call.
mod portable {
    use super::Simd;

    macro_rules! portable {
        ($name:ident, $t:ty, $lanes:literal) => {
            /// Portable vector.
            pub(crate) struct $name;

            impl Simd for $name {
                type T = $t;
                type V = [$t; $lanes];
                const LANES: usize = $lanes;

                #[inline(always)]
                unsafe fn zero() -> Self::V {
                    [0.0; $lanes]
                }
                #[inline(always)]
                unsafe fn splat(x: $t) -> Self::V {
                    [x; $lanes]
                }
                #[inline(always)]
                unsafe fn load(p: *const $t) -> Self::V {
                    // SAFETY: the caller guarantees LANES readable elements.
                    unsafe { p.cast::<Self::V>().read_unaligned() }
                }
                #[inline(always)]
                unsafe fn store(p: *mut $t, v: Self::V) {
                    // SAFETY: the caller guarantees LANES writable elements.
                    unsafe { p.cast::<Self::V>().write_unaligned(v) }
                }
                #[inline(always)]
                unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
                    std::array::from_fn(|i| a[i] * b[i] + c[i])
                }
                #[inline(always)]
                unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
                    std::array::from_fn(|i| a[i] * b[i])
                }
                #[inline(always)]
                unsafe fn add(a: Self::V, b: Self::V) -> Self::V {
                    std::array::from_fn(|i| a[i] + b[i])
                }
                #[inline(always)]
                unsafe fn hsum(v: Self::V) -> $t {
                    v.iter().fold(0.0, |s, &x| s + x)
                }
            }
        };
    }

    portable!(F32x4, f32, 4);
    portable!(F64x2, f64, 2);
}

/// AVX2 + FMA: 256-bit registers, fused multiply-adds.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Gemm, Simd, gemm_generic, pack_whole_a};
    use std::arch::x86_64::*;

    /// Eight `f32` lanes.
    pub(crate) struct F32x8;
    /// Four `f64` lanes.
    pub(crate) struct F64x4;

    // SAFETY (every method below): the trait's contract — these only run on
    // CPUs with AVX2 and FMA (they are reached only through the wrappers at
    // the bottom, behind the run-time check), and the caller guarantees the
    // LANES elements behind each pointer.
    impl Simd for F32x8 {
        type T = f32;
        type V = __m256;
        const LANES: usize = 8;

        #[inline(always)]
        unsafe fn zero() -> __m256 {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            unsafe { _mm256_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m256) -> f32 {
            unsafe {
                let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
                _mm_cvtss_f32(s)
            }
        }
        #[inline(always)]
        unsafe fn transpose(src: *const f32, rs: isize, dst: *mut f32, ds: usize) {
            unsafe {
                let mut r = [_mm256_setzero_ps(); 8];
                for (i, v) in r.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(src.offset(i as isize * rs));
                }
                // Interleave pairs of rows, then pairs of pairs, then halves.
                let t0 = _mm256_unpacklo_ps(r[0], r[1]);
                let t1 = _mm256_unpackhi_ps(r[0], r[1]);
                let t2 = _mm256_unpacklo_ps(r[2], r[3]);
                let t3 = _mm256_unpackhi_ps(r[2], r[3]);
                let t4 = _mm256_unpacklo_ps(r[4], r[5]);
                let t5 = _mm256_unpackhi_ps(r[4], r[5]);
                let t6 = _mm256_unpacklo_ps(r[6], r[7]);
                let t7 = _mm256_unpackhi_ps(r[6], r[7]);
                let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                let cols = [
                    _mm256_permute2f128_ps::<0x20>(u0, u4),
                    _mm256_permute2f128_ps::<0x20>(u1, u5),
                    _mm256_permute2f128_ps::<0x20>(u2, u6),
                    _mm256_permute2f128_ps::<0x20>(u3, u7),
                    _mm256_permute2f128_ps::<0x31>(u0, u4),
                    _mm256_permute2f128_ps::<0x31>(u1, u5),
                    _mm256_permute2f128_ps::<0x31>(u2, u6),
                    _mm256_permute2f128_ps::<0x31>(u3, u7),
                ];
                for (j, &c) in cols.iter().enumerate() {
                    _mm256_storeu_ps(dst.add(j * ds), c);
                }
            }
        }
    }

    impl Simd for F64x4 {
        type T = f64;
        type V = __m256d;
        const LANES: usize = 4;

        #[inline(always)]
        unsafe fn zero() -> __m256d {
            unsafe { _mm256_setzero_pd() }
        }
        #[inline(always)]
        unsafe fn splat(x: f64) -> __m256d {
            unsafe { _mm256_set1_pd(x) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> __m256d {
            unsafe { _mm256_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f64, v: __m256d) {
            unsafe { _mm256_storeu_pd(p, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_add_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m256d) -> f64 {
            unsafe {
                let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
                let s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
                _mm_cvtsd_f64(s)
            }
        }
        #[inline(always)]
        unsafe fn transpose(src: *const f64, rs: isize, dst: *mut f64, ds: usize) {
            unsafe {
                let mut r = [_mm256_setzero_pd(); 4];
                for (i, v) in r.iter_mut().enumerate() {
                    *v = _mm256_loadu_pd(src.offset(i as isize * rs));
                }
                let t0 = _mm256_unpacklo_pd(r[0], r[1]);
                let t1 = _mm256_unpackhi_pd(r[0], r[1]);
                let t2 = _mm256_unpacklo_pd(r[2], r[3]);
                let t3 = _mm256_unpackhi_pd(r[2], r[3]);
                let cols = [
                    _mm256_permute2f128_pd::<0x20>(t0, t2),
                    _mm256_permute2f128_pd::<0x20>(t1, t3),
                    _mm256_permute2f128_pd::<0x31>(t0, t2),
                    _mm256_permute2f128_pd::<0x31>(t1, t3),
                ];
                for (j, &c) in cols.iter().enumerate() {
                    _mm256_storeu_pd(dst.add(j * ds), c);
                }
            }
        }
    }

    /// The `f32` product compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; the [`super::sgemm`] contract holds.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn sgemm_avx2(g: Gemm<f32>) {
        // SAFETY: forwarded contract.
        unsafe { gemm_generic::<F32x8>(g) }
    }

    /// [`super::pack_whole_a`] for `f32`, compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; the [`super::pack_whole_a`] contract holds.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn spack_whole_a_avx2(g: &Gemm<f32>, dst: *mut f32, room: usize) -> bool {
        // SAFETY: forwarded contract.
        unsafe { pack_whole_a::<F32x8>(g, dst, room) }
    }

    /// [`super::pack_whole_a`] for `f64`, compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; the [`super::pack_whole_a`] contract holds.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn dpack_whole_a_avx2(g: &Gemm<f64>, dst: *mut f64, room: usize) -> bool {
        // SAFETY: forwarded contract.
        unsafe { pack_whole_a::<F64x4>(g, dst, room) }
    }

    /// The `f64` product compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; the [`super::dgemm`] contract holds.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn dgemm_avx2(g: Gemm<f64>) {
        // SAFETY: forwarded contract.
        unsafe { gemm_generic::<F64x4>(g) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// How an operand is laid out in memory.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Layout {
        /// Column-major, leading dimension = rows (`Op::N` of a `DMatrix`).
        N,
        /// Stored transposed: row-major (`Op::T` of a `DMatrix`).
        T,
        /// Column-major with a padded leading dimension and a column stride of
        /// 2 between logical columns: exercises the general strided paths.
        Strided,
    }

    /// A `rows×cols` operand: its buffer and strides.
    struct Operand<T> {
        buf: Vec<T>,
        rs: isize,
        cs: isize,
    }

    impl<T: Elem> Operand<T> {
        fn new(rows: usize, cols: usize, layout: Layout, mut fill: impl FnMut() -> T) -> Self {
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
        fn at(&self, i: usize, j: usize) -> T {
            self.buf[(i as isize * self.rs + j as isize * self.cs) as usize]
        }
        fn index(&self, i: usize, j: usize) -> usize {
            (i as isize * self.rs + j as isize * self.cs) as usize
        }
    }

    /// Which instantiation to run.
    #[derive(Clone, Copy, Debug)]
    enum Path {
        /// The run-time dispatch (AVX2+FMA on CPUs that have it).
        Dispatch,
        /// The portable vectors, whatever the CPU.
        Portable,
        /// The run-time dispatch cut into slices for this many threads,
        /// whatever the product's size.
        Threads(usize),
    }

    trait TestElem: Elem + std::fmt::Debug {
        const EPS: f64;
        fn of(v: f64) -> Self;
        fn f(self) -> f64;
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
        unsafe fn run(path: Path, g: Gemm<Self>) {
            match path {
                Path::Dispatch => unsafe { sgemm(g) },
                Path::Portable => unsafe { gemm_generic::<portable::F32x4>(g) },
                Path::Threads(t) => unsafe {
                    parallel_with(g, sgemm_on_this_thread, spack_whole_a, t)
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
        unsafe fn run(path: Path, g: Gemm<Self>) {
            match path {
                Path::Dispatch => unsafe { dgemm(g) },
                Path::Portable => unsafe { gemm_generic::<portable::F64x2>(g) },
                Path::Threads(t) => unsafe {
                    parallel_with(g, dgemm_on_this_thread, dpack_whole_a, t)
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
        lb: Layout,
        beta: f64,
    ) -> Vec<T> {
        let mut rng = StdRng::seed_from_u64((m * 31 + k * 7 + n) as u64);
        let mut r = || T::of(rng.random_range(-1.0..1.0));
        let a = Operand::new(m, k, Layout::N, &mut r);
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
                },
            )
        };
        c.buf
    }

    /// Slicing a product for threads changes no bit of the result: every
    /// element keeps its summation order. Shapes cut by columns, by rows, and
    /// through the `Cᵀ = Bᵀ·Aᵀ` path for few rows.
    #[test]
    fn results_are_bit_identical_for_any_thread_count() {
        for shape in [
            (128, 784, 1000),
            (128, 784, 64),
            (128, 64, 784),
            (512, 300, 100),
            (10, 64, 1000),
            // Matrix-vector products, cut by rows (tails of 36 and 8 rows).
            (128, 784, 1),
            (100, 784, 1),
            (200, 784, 1),
            (1000, 300, 1),
        ] {
            for lb in [Layout::N, Layout::T] {
                for beta in [0.0, 0.5] {
                    let one = product::<f32>(Path::Threads(1), shape, lb, beta);
                    assert_eq!(one, product::<f32>(Path::Dispatch, shape, lb, beta));
                    for t in [2, 3, 8] {
                        let many = product::<f32>(Path::Threads(t), shape, lb, beta);
                        let same = one
                            .iter()
                            .zip(&many)
                            .all(|(x, y)| x.to_bits() == y.to_bits());
                        assert!(same, "{shape:?} {lb:?} β={beta}: {t} threads differ");
                    }
                    let one = product::<f64>(Path::Threads(1), shape, lb, beta);
                    let many = product::<f64>(Path::Threads(2), shape, lb, beta);
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
}
