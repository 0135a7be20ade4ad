//! Threading decisions measured per product instead of a fixed FLOP
//! threshold.
//!
//! Whether handing half of a product to a helper pays depends on the
//! product (its size, its shape, what it packs) and on the machine at that
//! moment: on a shared host a helper may be descheduled for milliseconds,
//! and two threads then take longer than one. So the calling thread keeps,
//! in a small table (no allocation), the running time of both choices for
//! every call site and shape it meets (matrix products of 4 to 128 MFLOP,
//! large matrix-vector products, `for_each_chunk_mut`) and takes the
//! faster:
//!
//! - the first call of a shape always uses the threads (so that every
//!   buffer the helpers need is allocated then, not later);
//! - the next [`EXPLORE`] calls alternate one thread and all threads;
//! - after that the lower running average wins (one thread only when it is
//!   [`ONE_THREAD_MARGIN`] times faster: under contention a process's
//!   threads also win it a larger share of the cores), and every
//!   [`REPROBE`]-th call tries the other choice again, so that a decision
//!   follows the machine when it gets busier or quieter.
//!
//! It is **off unless `BACKPROP_THREAD_TUNING=1`** is in the environment
//! (read once, on the first call); off, every such call uses all threads,
//! the fixed rule. Measured in-process against the previous commit
//! (`da9ef1c`) on a machine at load 17–23 (scripts/ab.sh, MLP training step
//! at batch 64, 11 rounds a run): with the tuner the step took 0.99–2.57×
//! the old time (median of each of six runs, four of them above 1.2),
//! without it 0.84–1.11× (three runs). Whatever the tuner saves by
//! avoiding a late helper, it loses there, probably because a thread
//! preempted during a timed call skews the averages and a process on one
//! thread gets only one core's share of a busy machine.
//!
//! The running averages are exponential (weight 1/8 per call), and one
//! sample counts at most four times the current average, so a single
//! preemption does not decide for many calls. Both choices compute every
//! element of the result in the same order, so the decision never changes
//! a result (bit-identical on any thread count, as before).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

/// Calls after the first that alternate the two choices.
const EXPLORE: u32 = 8;
/// Once decided, one call in this many tries the other choice.
const REPROBE: u32 = 32;
/// One thread is chosen only when its average is below the threaded
/// average divided by this.
const ONE_THREAD_MARGIN: f32 = 1.15;
/// Slots in each thread's table (direct-mapped by the key's hash).
const SLOTS: usize = 128;

#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    calls: u32,
    /// Running average seconds: `[one thread, all threads]`; 0 when unknown.
    avg: [f32; 2],
}

impl Slot {
    const EMPTY: Slot = Slot {
        key: 0,
        calls: 0,
        avg: [0.0; 2],
    };
}

thread_local! {
    static TABLE: RefCell<[Slot; SLOTS]> = const { RefCell::new([Slot::EMPTY; SLOTS]) };
}

/// A key for a call site and its shape: `site` tells call sites apart, the
/// `parts` their sizes and layout.
pub(crate) fn key(site: u64, parts: &[usize]) -> u64 {
    // FxHash's mixing: cheap, and good enough for a table of 128 slots.
    let mut h = site.wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    for &p in parts {
        h = (h.rotate_left(5) ^ p as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h | 1 // never 0, the empty slot's key
}

/// Whether the tuner measures (`BACKPROP_THREAD_TUNING=1`), read once and
/// cached.
fn enabled() -> bool {
    // 0: not yet read, 1: off, 2: on.
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("BACKPROP_THREAD_TUNING").is_some_and(|v| v == "1");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        s => s == 2,
    }
}

/// Runs `f(threads)` with either 1 or `threads`, whichever has been faster
/// for `key` on this thread (see the module's documentation), and records
/// how long it took. With `threads < 2` it simply runs `f(1)`.
pub(crate) fn timed(key: u64, threads: usize, f: impl FnOnce(usize)) {
    if threads < 2 {
        return f(1);
    }
    if !enabled() {
        return f(threads);
    }
    measured(key, threads, f);
}

/// [`timed`] with the tuner on.
fn measured(key: u64, threads: usize, f: impl FnOnce(usize)) {
    let index = (key >> 32) as usize % SLOTS;
    let (many, measure) = TABLE
        .try_with(|t| {
            let mut t = t.borrow_mut();
            let slot = &mut t[index];
            if slot.key != key {
                *slot = Slot { key, ..Slot::EMPTY };
            }
            let calls = slot.calls;
            slot.calls = calls.saturating_add(1);
            if calls == 0 {
                // Warm-up: allocate what the threads need, measure nothing.
                return (true, false);
            }
            if calls <= EXPLORE {
                return (calls % 2 == 0, true);
            }
            // All threads unless one is clearly faster: one thread takes
            // only one core's share of a busy machine.
            let best_many = slot.avg[1] <= slot.avg[0] * ONE_THREAD_MARGIN;
            let probe = calls % REPROBE == 0;
            (best_many != probe, true)
        })
        .unwrap_or((true, false));
    if !measure {
        return f(threads);
    }
    let start = Instant::now();
    f(if many { threads } else { 1 });
    let secs = start.elapsed().as_secs_f32();
    let _ = TABLE.try_with(|t| {
        let mut t = t.borrow_mut();
        let slot = &mut t[index];
        if slot.key != key {
            return; // replaced meanwhile (a nested call with a colliding key)
        }
        let avg = &mut slot.avg[usize::from(many)];
        *avg = if *avg == 0.0 {
            secs
        } else {
            let x = secs.min(4.0 * *avg);
            *avg + (x - *avg) / 8.0
        };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_call_uses_the_threads_then_both_are_tried() {
        let k = key(99, &[1, 2, 3]);
        let mut seen = Vec::new();
        for _ in 0..=EXPLORE {
            measured(k, 4, |t| seen.push(t));
        }
        assert_eq!(seen[0], 4);
        assert!(seen[1..].contains(&1) && seen[1..].contains(&4), "{seen:?}");
    }

    #[test]
    fn the_faster_choice_wins_and_the_other_is_reprobed() {
        let k = key(98, &[7]);
        let mut uses = [0usize; 2];
        for _ in 0..(4 * REPROBE) {
            measured(k, 2, |t| {
                uses[usize::from(t > 1)] += 1;
                if t > 1 {
                    // The threaded choice is slow here.
                    std::thread::sleep(std::time::Duration::from_micros(300));
                }
            });
        }
        // After exploring, one thread wins; two are still retried now and then.
        assert!(uses[0] > 3 * uses[1], "{uses:?}");
        assert!(uses[1] > EXPLORE as usize / 2 + 1, "{uses:?}");
    }

    #[test]
    fn one_thread_is_never_tuned() {
        let mut seen = Vec::new();
        timed(key(97, &[]), 1, |t| seen.push(t));
        assert_eq!(seen, [1]);
    }
}
