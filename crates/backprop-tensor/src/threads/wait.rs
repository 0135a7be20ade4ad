//! How the pool's threads wait for each other: spinning, yielding the core,
//! and for how long before they sleep on a condition variable.
//!
//! A helper waiting for the next job spins [`BETWEEN_YIELDS`] at a time and,
//! once the caller has left the last job (it has given the pool back and
//! runs work of its own), gives its core away ([`std::thread::yield_now`])
//! between two such spins:
//! when the machine has more runnable threads than cores (a busy process
//! beside ours), a helper that only spins takes its share of a core while
//! the caller, queued on the same core, cannot run, and the caller's
//! products, which need the caller, wait for the helper's time slice to
//! end. Yielding hands the core to whoever is queued behind it. On a quiet
//! machine a yield returns at once (about 0.6 µs on the 2-vCPU Zen 4 the
//! pool was tuned on), so it only delays the helper's joining by that much
//! when a job is posted during the call. ONNX Runtime's pool spins without
//! yielding for much longer (2²⁰ pause instructions) and Intel's OpenMP
//! runtime yields while it spins when it finds more threads than cores;
//! this is the latter, kept short. While the caller is still in the job
//! (running the last slices, about to post the next product), the helper
//! only spins: were the caller descheduled there, a yield would hand the
//! helper's core to another process, and the helper would miss the next
//! products when the caller comes back.
//!
//! The caller waiting for a helper to finish a slice only spins (see
//! [`spin_until`]): a helper in a slice is usually about to finish it, and
//! the caller yielding would hand its core to the busy process as often as
//! to the helper.

use std::time::{Duration, Instant};

/// How long a thread waits (spinning, and yielding for helpers) before it
/// sleeps on a condition variable.
pub(super) const SPIN: Duration = Duration::from_micros(100);

/// How long a helper waiting for a job spins between two yields.
const BETWEEN_YIELDS: Duration = Duration::from_micros(5);

/// Spins until `done()` or for `limit`, whichever comes first; returns
/// whether `done()` was seen.
pub(super) fn spin_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= limit {
            return false;
        }
    }
}

/// Waits until `done()` for at most `limit` (wall clock): spins for
/// [`BETWEEN_YIELDS`], then yields the core if `idle()`, and again; returns
/// whether `done()` was seen. A yield that let another thread run for
/// longer than what is left of `limit` ends the wait when it returns
/// (after one last check).
pub(super) fn poll_until(
    limit: Duration,
    mut done: impl FnMut() -> bool,
    mut idle: impl FnMut() -> bool,
) -> bool {
    let start = Instant::now();
    loop {
        if spin_until(BETWEEN_YIELDS, &mut done) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        if idle() {
            std::thread::yield_now();
        }
    }
}
