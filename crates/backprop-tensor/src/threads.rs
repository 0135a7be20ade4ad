//! Threads for large matrix products.
//!
//! A product big enough to be worth it (see [`PARALLEL_MIN_FLOPS`]) is cut
//! into independent slices of `C` — whole columns, or whole rows, whichever
//! dimension is longer — and the calling thread and the pool's helper threads
//! take slices from a shared counter until none is left. Every element of
//! `C` is computed by exactly one slice, with the same summation order as the
//! single-threaded product, so **results are bit-identical whatever the
//! number of threads**.
//!
//! The helpers are started once, on the first product that uses them, and
//! then sleep on a condition variable between products: after that first
//! call, a parallel product allocates nothing. The caller takes slices too,
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

mod pool;

#[cfg(test)]
use pool::run;
use pool::run_first;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Products of fewer floating-point operations (`2·m·n·k`) than this run on
/// the calling thread alone: handing work to another thread costs a few
/// microseconds, about what 4 MFLOP take on one core. The convolutions size
/// their groups of samples by it.
pub const PARALLEL_MIN_FLOPS: usize = 4 << 20;

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

/// The number of threads a large product may use (the caller included).
pub fn num_threads() -> usize {
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
    /// up to `threads − 1` helpers: the caller runs slice 0, then everyone
    /// takes the others from a shared counter (see [`run_first`] for
    /// `workspace_lines`). Returns when every slice is done.
    pub(crate) fn run(
        &self,
        threads: usize,
        workspace_lines: usize,
        f: &(dyn Fn(usize, usize) + Sync),
    ) {
        // On a line of its own: the helpers' increments must not take the
        // line of the caller's other locals away from it. Slice 0 is the
        // caller's, always: with a quick hand-over a helper sometimes took
        // the counter's first slice before the caller, and a pass over more
        // than one core's cache (Adam's over the first weight) then found
        // its data in the other core's cache on those calls
        // (`adam:100352` 1.20× as long).
        let next = Counter(AtomicUsize::new(1));
        let (lo, hi) = self.bounds(0);
        run_first(threads, workspace_lines, &|| f(lo, hi), &|| {
            loop {
                let i = next.0.fetch_add(1, Ordering::Relaxed);
                if i >= self.parts {
                    break;
                }
                let (lo, hi) = self.bounds(i);
                f(lo, hi);
            }
        });
    }
}

/// A counter alone on its pair of cache lines.
#[repr(align(128))]
struct Counter(AtomicUsize);

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
