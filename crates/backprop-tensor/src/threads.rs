//! Threads for large matrix products.
//!
//! A product big enough to be worth it (see [`PARALLEL_MIN_FLOPS`]) is cut
//! into independent slices of `C` — whole columns, or whole rows, whichever
//! dimension is longer — and the calling thread and the pool's helper threads
//! run them. Every element of `C` is computed by exactly one slice, with the
//! same summation order as the single-threaded product, so **results are
//! bit-identical whatever the number of threads**.
//!
//! Each thread owns a fixed, contiguous block of the slices: the caller the
//! first (slice 0 onwards), the pool's first helper the next, and so on, so
//! that a pass cut the same way on every call (an optimizer's update of the
//! same weights, a layer's product) finds its part of the data in the same
//! core's cache as last time. A thread runs its block from the front; the
//! caller, done with its own, takes the slices nobody has started from the
//! back of the others' blocks.
//!
//! The helpers are started once, on the first product that uses them; between
//! products they spin a moment, giving their core to any other thread that
//! wants it every few microseconds (so that a busy machine runs the caller
//! rather than an idle helper), and then sleep on a condition variable: after
//! that first call, a parallel product allocates nothing. The caller takes slices too,
//! so a helper that the operating system has not scheduled yet only means
//! fewer slices for it; the caller waits for a helper only while that helper
//! is in the middle of a slice. If another thread is already using the pool,
//! a product simply runs on its caller alone.
//!
//! The number of threads is [`num_threads`]: the `BACKPROP_NUM_THREADS`
//! environment variable if set, else the machine's available parallelism. Set
//! it with [`set_num_threads`] (`1` turns parallel products off). Either way
//! it is at most [`max_threads`]: four times the available parallelism, and
//! never more than [`MAX_THREADS`] (each thread is a helper started once and
//! kept; thousands of them only make every product slower).
//!
//! ```
//! use backprop_tensor::{DMatrix, ops, threads};
//! let a = DMatrix::from_fn(128, 784, |i, j| ((i + j) % 7) as f32 - 3.0);
//! let b = DMatrix::from_fn(784, 1000, |i, j| ((i * j) % 5) as f32 - 2.0);
//! let (mut one, mut many) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
//! threads::set_num_threads(1);
//! ops::matmul_into(&a, &b, &mut one)?;
//! threads::set_num_threads(4);
//! ops::matmul_into(&a, &b, &mut many)?;
//! assert_eq!(one, many); // bit for bit
//! # Ok::<(), backprop_tensor::TensorError>(())
//! ```

mod cap;
mod pool;
mod tuner;
mod wait;

pub use tuner::{PROBE_EVERY, Tuner};

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Products of fewer floating-point operations (`2·m·n·k`) than this run on
/// the calling thread alone. A hand-over to another thread costs a few
/// microseconds; 1 MFLOP takes 10–15 µs on one core, so from there two
/// threads save more than they cost. The MLP's `128 → 64` layer at batch
/// 64 is exactly 1 MFLOP in each of its three products (forward, `dW`,
/// `dA`): cutting those for two threads made a batch-64 training step of
/// 784-128-64-10 0.963–0.981× as long as with a threshold of 4 MFLOP
/// (`scripts/ab.sh`, `mlp64`, five runs of 21–61 rounds, 2-vCPU Zen 3),
/// while `mlp256`, none of whose products crosses either threshold, read
/// 0.971–1.007 in the same runs.
pub const PARALLEL_MIN_FLOPS: usize = 1 << 20;

/// Element-wise passes over fewer elements than twice this run on the
/// calling thread alone (the `min_chunk` of [`for_each_chunk_mut`] for
/// optimizer updates and similar loops): splitting costs about as much as
/// updating 8,192 elements.
pub const PARALLEL_MIN_ELEMENTS: usize = 8192;

/// Chunk boundaries at multiples of 16 elements (64 bytes of `f32`), so no
/// two threads write one cache line (the `align` of [`for_each_chunk_mut`]
/// for element-wise passes).
pub const CACHE_LINE_ELEMENTS: usize = 16;

/// The most threads [`set_num_threads`] or `BACKPROP_NUM_THREADS` can ask
/// for on any machine (see [`max_threads`]).
pub const MAX_THREADS: usize = 256;

/// How many times the available parallelism a product may use at most.
pub const MAX_THREADS_PER_CORE: usize = 4;

/// 0 until first asked: then the configured count (at least 1).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The largest thread count accepted: [`MAX_THREADS_PER_CORE`] times the
/// machine's available parallelism (1 if unknown), at most [`MAX_THREADS`].
/// More threads than cores never makes a product faster; a few more are
/// allowed for machines whose reported parallelism is too low. On
/// WebAssembly, which has no threads, it is 1.
///
/// ```
/// use backprop_tensor::threads;
/// let cap = threads::max_threads();
/// assert!((threads::MAX_THREADS_PER_CORE..=threads::MAX_THREADS).contains(&cap));
/// ```
pub fn max_threads() -> usize {
    // WebAssembly (the web page's build) has no threads: every product runs
    // on its caller, and no helper is ever spawned.
    if cfg!(target_family = "wasm") {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores
        .saturating_mul(MAX_THREADS_PER_CORE)
        .clamp(1, MAX_THREADS)
}

/// The number of threads a large product started on this thread may use
/// (the caller included): the configured count (see [`set_num_threads`]),
/// or fewer inside a [`Tuner::run`] step that chose the caller alone.
pub fn num_threads() -> usize {
    match cap::cap() {
        0 => configured_threads(),
        cap => cap.min(configured_threads()),
    }
}

/// The configured count, whatever a [`Tuner`] chose for this thread.
fn configured_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = default_threads();
            // Another thread may have set it meanwhile: keep theirs.
            match THREADS.compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => n,
                Err(set) => set,
            }
        }
        n => n,
    }
}

/// Sets the number of threads a large product may use, the caller included,
/// and returns the number that will be used: `n` clamped to
/// `1..=`[`max_threads`] (`0` is taken as 1; `1` runs every product on its
/// caller). A caller that took `n` from a user can compare the two and say
/// so. Takes effect for the next product; helper threads already started
/// stay asleep when not needed.
///
/// ```
/// use backprop_tensor::threads;
/// assert_eq!(threads::set_num_threads(1), 1);
/// assert_eq!(threads::set_num_threads(0), 1);
/// assert_eq!(threads::set_num_threads(usize::MAX), threads::max_threads());
/// assert_eq!(threads::num_threads(), threads::max_threads());
/// threads::set_num_threads(1);
/// ```
pub fn set_num_threads(n: usize) -> usize {
    let n = n.clamp(1, max_threads());
    THREADS.store(n, Ordering::Relaxed);
    n
}

fn default_threads() -> usize {
    std::env::var("BACKPROP_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(max_threads())
}

/// Runs `f` over equal-length mutable slices cut into aligned chunks, on up
/// to [`num_threads`] threads: `f(start, chunks)` gets the chunks
/// `slices[k][start .. start + len]` of every slice, for chunks that cover
/// `0..slices[0].len()` exactly once. Element-wise work (an optimizer's
/// update, a batch's pixels) gives the same result however it is cut.
///
/// Chunk boundaries are multiples of `align` (so that two threads never
/// write the same cache line, or so that a chunk holds whole samples); a
/// length below `2 · min_chunk`, one thread, or a busy pool runs `f` once
/// on the whole slices on the calling thread; the chunks' results are the
/// same either way. Slices of different lengths are cut to the shortest. Nothing is
/// allocated.
///
/// ```
/// use backprop_tensor::threads;
/// let (mut a, mut b) = (vec![1.0_f32; 100_000], vec![0.0_f32; 100_000]);
/// threads::for_each_chunk_mut([&mut a[..], &mut b[..]], 16, 4096, &|start, [a, b]| {
///     for (k, (a, b)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
///         *b = *a + (start + k) as f32;
///         *a = 0.0;
///     }
/// });
/// assert!(a.iter().all(|&x| x == 0.0));
/// assert!(b.iter().enumerate().all(|(i, &x)| x == 1.0 + i as f32));
/// ```
pub fn for_each_chunk_mut<T: Send, const N: usize>(
    slices: [&mut [T]; N],
    align: usize,
    min_chunk: usize,
    f: &(dyn Fn(usize, [&mut [T]; N]) + Sync),
) {
    let len = slices.iter().map(|s| s.len()).min().unwrap_or(0);
    let threads = num_threads();
    let Some(cut) = Slices::new(len, align, min_chunk, threads) else {
        return f(0, slices.map(|s| &mut s[..len]));
    };
    let ptrs = SendPtrs(slices.map(<[T]>::as_mut_ptr));
    cut.run(threads, 0, &|lo, hi| {
        // SAFETY: every slice holds at least `len` elements, and the ranges
        // `lo..hi` of different chunks are disjoint, so no two threads ever
        // hold the same element; the slices' borrows outlive `run`, which
        // returns only when every chunk is done.
        let chunks = ptrs
            .get()
            .map(|p| unsafe { std::slice::from_raw_parts_mut(p.add(lo), hi - lo) });
        f(lo, chunks);
    });
}

/// `0..len` cut into `parts` nearly equal slices for threads, with
/// boundaries at multiples of `align` (the last slice takes the remainder).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slices {
    len: usize,
    parts: usize,
    align: usize,
}

impl Slices {
    /// Slices of at least `min_slice` (and at least one `align`), a few per
    /// thread so that a thread the OS runs late takes fewer; `None` when
    /// that leaves fewer than two, or there is one thread.
    pub(crate) fn new(len: usize, align: usize, min_slice: usize, threads: usize) -> Option<Self> {
        let align = align.max(1);
        let mut parts = (len / min_slice.max(1))
            .min(threads.saturating_mul(4))
            .min(len / align);
        // A whole number of slices per thread: 5 slices on 2 threads leave
        // one thread 3 of them to finish while the other waits.
        if parts > threads {
            parts -= parts % threads;
        }
        (threads >= 2 && parts >= 2).then_some(Self { len, parts, align })
    }

    /// Slice `i` as `(start, end)`.
    pub(crate) fn bounds(&self, i: usize) -> (usize, usize) {
        (self.boundary(i), self.boundary(i + 1))
    }

    /// The longest slice.
    pub(crate) fn largest(&self) -> usize {
        (0..self.parts)
            .map(|i| {
                let (lo, hi) = self.bounds(i);
                hi - lo
            })
            .max()
            .unwrap_or(self.len)
    }

    fn boundary(&self, i: usize) -> usize {
        if i >= self.parts {
            return self.len;
        }
        (self.len / self.align * i / self.parts) * self.align
    }

    /// Calls `f(start, end)` once for every slice, on the calling thread and
    /// up to `threads − 1` helpers, and returns when every slice is done.
    /// Thread `s` (the caller is 0, the pool's helper `s − 1` the others)
    /// owns the block [`owned`](Self::owned)`(s, seats)` and runs it from the
    /// front; the caller, done with its own block, runs from the back every
    /// slice of the other blocks that nobody has started (all of a helper's
    /// when it has not joined). So when the helpers keep pace, slice `i` of
    /// a cut runs on the same thread on every call. `workspace_lines` is
    /// [`pool::run`]'s.
    pub(crate) fn run(
        &self,
        threads: usize,
        workspace_lines: usize,
        f: &(dyn Fn(usize, usize) + Sync),
    ) {
        let seats = self.seats(threads);
        let all = || {
            for i in 0..self.parts {
                let (lo, hi) = self.bounds(i);
                f(lo, hi);
            }
        };
        if seats < 2 {
            return all();
        }
        // One claim word per seat (seat 0's unused): how many slices of its
        // block were taken from the front (low half) and from the back (high
        // half). A slice is taken by a `fetch_add` that finds the two counts
        // still short of the block's length; of two claims of the same
        // slice, one from each end, the later in the word's modification
        // order sees the earlier one's count and fails, so every slice is
        // run exactly once. `Relaxed` is enough: the words are written
        // before the job is posted and the slices' results are published by
        // the pool's completion counter (pool.rs's ordering argument, steps
        // 1 and 3). On a line of their own (the struct's alignment) at the
        // start of the array, so that a helper's claims do not take the line
        // of the caller's other locals away from it.
        let mut words = Claims([const { MaybeUninit::uninit() }; MAX_THREADS]);
        for w in &mut words.0[..seats] {
            w.write(AtomicU64::new(0));
        }
        // SAFETY: the first `seats` words were just initialised, and
        // `seats ≤ MAX_THREADS` (`seats`).
        let claims: &[AtomicU64] =
            unsafe { std::slice::from_raw_parts(words.0.as_ptr().cast(), seats) };
        let take = |s: usize, from_back: bool| {
            let block = self.owned(s, seats);
            let len = (block.end - block.start) as u64;
            // Blocks are far shorter than 2³² slices; each end's count
            // passes the block's length at most once (a thread stops at its
            // first failed claim), so neither half overflows.
            let was = claims
                .get(s)?
                .fetch_add(if from_back { 1 << 32 } else { 1 }, Ordering::Relaxed);
            let (front, back) = (was & 0xffff_ffff, was >> 32);
            (front + back < len).then(|| {
                let i = if from_back { len - 1 - back } else { front };
                self.bounds(block.start + i as usize)
            })
        };
        let own = || {
            for i in self.owned(0, seats) {
                let (lo, hi) = self.bounds(i);
                f(lo, hi);
            }
            for (s, word) in claims.iter().enumerate().skip(1) {
                let block = self.owned(s, seats);
                let len = (block.end - block.start) as u64;
                // A load first: a helper's whole block taken from its front
                // leaves the word as it is (no claim that fails).
                loop {
                    let now = word.load(Ordering::Relaxed);
                    if (now & 0xffff_ffff) + (now >> 32) >= len {
                        break;
                    }
                    let Some((lo, hi)) = take(s, true) else { break };
                    f(lo, hi);
                }
            }
        };
        let help = |s: usize| {
            while let Some((lo, hi)) = take(s, false) {
                f(lo, hi);
            }
        };
        if !pool::run(seats, workspace_lines, &own, &help) {
            all();
        }
    }

    /// How many threads take part: `threads`, but none whose block would be
    /// empty (a thread without a slice would only lengthen the hand-over).
    fn seats(&self, threads: usize) -> usize {
        let seats = threads.clamp(1, MAX_THREADS).min(self.parts.max(1));
        self.parts
            .max(1)
            .div_ceil(self.parts.max(1).div_ceil(seats))
    }

    /// The slices thread `seat` of `seats` owns: blocks of `⌈parts / seats⌉`
    /// in order (the last ones shorter, or empty, when `seats` does not
    /// divide `parts`; [`new`](Self::new) cuts whole numbers per thread).
    pub(crate) fn owned(&self, seat: usize, seats: usize) -> std::ops::Range<usize> {
        let per = self.parts.div_ceil(seats.max(1));
        (seat * per).min(self.parts)..((seat + 1) * per).min(self.parts)
    }
}

/// The claim words of [`Slices::run`], from a line of their own.
#[repr(align(128))]
struct Claims([MaybeUninit<AtomicU64>; MAX_THREADS]);

/// The slices' pointers, shared with the pool's threads.
struct SendPtrs<T, const N: usize>([*mut T; N]);

// SAFETY: the pointers are only turned into disjoint chunks, one thread
// each; `T: Send` lets a chunk be written from another thread.
unsafe impl<T: Send, const N: usize> Sync for SendPtrs<T, N> {}

impl<T, const N: usize> SendPtrs<T, N> {
    /// The pointers (a method, so closures capture the whole wrapper).
    fn get(&self) -> [*mut T; N] {
        self.0
    }
}

#[cfg(test)]
#[path = "threads_tests.rs"]
mod tests;
