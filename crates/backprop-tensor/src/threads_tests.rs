//! Unit tests of the thread pool (threads.rs).

use super::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[test]
fn slices_cover_the_range_once_on_aligned_boundaries() {
    for (len, parts, align) in [
        (1000, 8, 6),
        (64, 2, 16),
        (784, 8, 6),
        (13, 2, 6),
        (128, 3, 16),
    ] {
        let cut = Slices { len, parts, align };
        let bounds: Vec<usize> = (0..=parts).map(|i| cut.bounds(i).0).collect();
        assert_eq!(bounds[0], 0);
        assert_eq!(bounds[parts], len);
        assert_eq!(cut.bounds(parts - 1).1, len);
        let longest = bounds.windows(2).map(|w| w[1] - w[0]).max();
        assert_eq!(Some(cut.largest()), longest);
        for w in bounds.windows(2) {
            assert!(w[0] < w[1], "{len} {parts} {align}: {bounds:?}");
        }
        for &b in &bounds[..parts] {
            assert_eq!(b % align, 0, "{bounds:?}");
        }
    }
}

#[test]
fn slice_counts_are_whole_numbers_per_thread() {
    // (len, align, min_slice, threads) → slices.
    for (len, align, min, threads, parts) in [
        (256, 6, 48, 2, Some(4)), // 5 fit: one thread would do 3
        (1000, 6, 48, 2, Some(8)),
        (784, 6, 48, 3, Some(12)),
        (300, 6, 48, 4, Some(4)), // 6 fit
        (128, 16, 64, 2, Some(2)),
        (150, 6, 48, 2, Some(2)), // 3 fit
        (100, 6, 48, 3, Some(2)), // fewer than threads: kept
        (64, 6, 48, 2, None),
        (1000, 6, 48, 1, None),
    ] {
        let cut = Slices::new(len, align, min, threads);
        assert_eq!(cut.map(|c| c.parts), parts, "{len} {align} {min} {threads}");
    }
}

#[test]
fn huge_thread_counts_do_not_overflow_the_slice_count() {
    // 4 · usize::MAX overflowed (a panic in debug builds).
    let cut = Slices::new(1000, 6, 48, usize::MAX).unwrap();
    assert!(cut.parts >= 2 && cut.parts <= 1000 / 48, "{cut:?}");
}

#[test]
fn every_slice_runs_exactly_once_on_up_to_n_threads() {
    use std::sync::atomic::AtomicU64;
    for threads in [1, 2, 3, 5] {
        let hits: Vec<AtomicU64> = (0..200).map(|_| AtomicU64::new(0)).collect();
        let ids = Mutex::new(std::collections::HashSet::new());
        // A slice per element, run even on one thread.
        let cut = Slices {
            len: hits.len(),
            parts: hits.len(),
            align: 1,
        };
        cut.run(threads, 0, &|lo, hi| {
            let _ = ids
                .lock()
                .map(|mut s| s.insert(std::thread::current().id()));
            for h in &hits[lo..hi] {
                h.fetch_add(1, Ordering::Relaxed);
                std::hint::spin_loop();
            }
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        assert!(ids.lock().map(|s| s.len()).unwrap_or(0) <= threads);
    }
}

/// Runs `jobs` jobs of `parts` one-element slices on `threads` threads,
/// each checking that every slice ran exactly once and that no thread
/// called the job twice, or after `run` returned.
fn jobs_back_to_back(threads: usize, jobs: usize, parts: usize) {
    use std::sync::atomic::AtomicU64;
    let hits: Vec<AtomicU64> = (0..parts).map(|_| AtomicU64::new(0)).collect();
    let calls = AtomicUsize::new(0);
    for job in 0..jobs {
        let job = job as u64 + 1;
        let cut = Slices {
            len: parts,
            parts,
            align: 1,
        };
        // `pool::run` directly, to count the calls of the job itself: one
        // per thread that takes part (a thread's second call would show as
        // more calls than threads over many jobs).
        let next = AtomicUsize::new(0);
        let joined = AtomicUsize::new(0);
        let body = || {
            joined.fetch_add(1, Ordering::Relaxed);
            calls.fetch_add(1, Ordering::Relaxed);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cut.parts {
                    break;
                }
                let (lo, hi) = cut.bounds(i);
                for h in &hits[lo..hi] {
                    // Each slice of job `job` raises its count from
                    // `job − 1` to `job`: twice, or not at all, shows.
                    let was = h.fetch_add(1, Ordering::Relaxed);
                    assert_eq!(was, job - 1, "job {job}: slice {i} ran twice");
                }
            }
        };
        let posted = pool::run(threads, 0, &body, &|s| {
            // A helper's panic reaches this thread (and fails the test).
            assert!((1..threads).contains(&s), "seat {s} of {threads}");
            body();
        });
        if !posted {
            body();
        }
        let n = joined.load(Ordering::Relaxed);
        assert!((1..=threads).contains(&n), "job {job}: {n} calls");
        for (i, h) in hits.iter().enumerate() {
            assert_eq!(h.load(Ordering::Relaxed), job, "job {job}: slice {i}");
        }
    }
    // A helper joining a retracted job would call it after `run` returned.
    let before = calls.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(calls.load(Ordering::Relaxed), before);
}

#[test]
fn many_jobs_back_to_back_run_every_slice_once() {
    for threads in [2, 3, 2, 5, 1, 4, 2] {
        jobs_back_to_back(threads, 3000, 8);
    }
    // Two slices on two threads: the single-sample product's shape.
    jobs_back_to_back(2, 20_000, 2);
}

#[test]
fn concurrent_callers_each_get_every_slice_once() {
    // Only one caller at a time uses the pool; the others run alone, and
    // none sees another's slices.
    let callers: Vec<_> = (0..4)
        .map(|c| std::thread::spawn(move || jobs_back_to_back(2 + c % 3, 2000, 4 + c)))
        .collect();
    for c in callers {
        c.join().unwrap();
    }
}

/// Runs two slices on two threads where `slice(i)` runs slice `i`, and
/// returns the payload of the panic that `run` passed on.
fn panic_of(slice: &(dyn Fn(usize) + Sync)) -> Option<&'static str> {
    let cut = Slices {
        len: 2,
        parts: 2,
        align: 1,
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cut.run(2, 0, &|lo, _| slice(lo));
    }))
    .err()
    .map(|p| *p.downcast::<&'static str>().unwrap())
}

#[test]
fn a_panic_in_a_slice_reaches_the_caller_and_the_pool_goes_on() {
    for _ in 0..50 {
        // The caller takes slice 0 first and spins, so the helper, when it
        // joins in time, takes slice 1 and panics there. `resume_unwind`
        // skips the panic hook (no message per iteration).
        let payload = panic_of(&|i| {
            if i == 1 {
                std::panic::resume_unwind(Box::new("slice one"));
            }
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(200) {}
        });
        assert_eq!(payload, Some("slice one"));
        jobs_back_to_back(2, 20, 2);
    }
}

#[test]
fn a_panicking_caller_waits_for_the_helper_before_unwinding() {
    use std::sync::atomic::AtomicBool;
    for _ in 0..50 {
        let (started, finished) = (AtomicBool::new(false), AtomicBool::new(false));
        let payload = panic_of(&|i| {
            if i == 0 {
                std::panic::resume_unwind(Box::new("slice zero"));
            }
            started.store(true, Ordering::Relaxed);
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(200) {}
            finished.store(true, Ordering::Relaxed);
        });
        assert_eq!(payload, Some("slice zero"));
        // Whoever took slice 1 had finished it before `run` unwound.
        assert_eq!(
            started.load(Ordering::Relaxed),
            finished.load(Ordering::Relaxed)
        );
        jobs_back_to_back(2, 20, 2);
    }
}

#[test]
fn helpers_that_fell_asleep_wake_for_the_next_job() {
    // Longer than the helpers' spin: they sleep, and the next job wakes
    // them (or runs on the caller alone if they are late); either way
    // every slice runs once.
    for _ in 0..5 {
        jobs_back_to_back(3, 3, 6);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `jobs` jobs of `parts` slices on `threads` threads and returns, per
/// job whose helpers all kept pace, the thread that ran each slice. The
/// last slice of the caller's block waits until every slice after it is
/// done, so that the caller has nothing left to take from the others'
/// blocks; it waits at most `patience`: a job where that runs out had a
/// helper that was late, or ran on its caller alone because another test
/// held the pool, and is left out.
fn owners(threads: usize, parts: usize, jobs: usize) -> Vec<Vec<std::thread::ThreadId>> {
    use std::sync::atomic::AtomicBool;
    let patience = Duration::from_millis(50);
    let cut = Slices {
        len: parts,
        parts,
        align: 1,
    };
    let seats = cut.seats(threads);
    let last_own = cut.owned(0, seats).end - 1;
    let mut kept = Vec::new();
    for _ in 0..jobs {
        if kept.len() == 10 {
            break;
        }
        let ran: Vec<Mutex<Option<std::thread::ThreadId>>> =
            (0..parts).map(|_| Mutex::new(None)).collect();
        let others = AtomicUsize::new(0);
        let late = AtomicBool::new(false);
        cut.run(threads, 0, &|lo, hi| {
            for (i, slot) in ran.iter().enumerate().take(hi).skip(lo) {
                *slot.lock().unwrap() = Some(std::thread::current().id());
                if i == last_own {
                    let t = Instant::now();
                    while others.load(Ordering::Acquire) < parts - 1 - last_own {
                        if t.elapsed() > patience {
                            late.store(true, Ordering::Relaxed);
                            break;
                        }
                        std::hint::spin_loop();
                    }
                } else if i > last_own {
                    others.fetch_add(1, Ordering::Release);
                }
            }
        });
        let ran: Vec<_> = ran.into_iter().map(|r| r.into_inner().unwrap()).collect();
        assert!(ran.iter().all(Option::is_some), "a slice did not run");
        if !late.load(Ordering::Relaxed) {
            kept.push(ran.into_iter().flatten().collect());
        }
    }
    kept
}

#[test]
fn each_slice_runs_on_the_same_thread_on_every_call() {
    let me = std::thread::current().id();
    // The helper on the second seat, the same one whatever the job.
    let mut second_seat = None;
    for (threads, parts, per) in [(2, 8, 4), (3, 12, 4), (2, 2, 1), (3, 2, 1), (3, 6, 2)] {
        let jobs = owners(threads, parts, 100);
        assert!(
            jobs.len() >= 5,
            "{threads} threads: the helpers were late in most jobs"
        );
        let first = &jobs[0];
        for ran in &jobs {
            // Stable: every kept job put every slice where the first did.
            assert_eq!(ran, first, "{threads} threads, {parts} slices");
        }
        let seats = parts.div_ceil(per);
        for s in 0..seats {
            let block = &first[s * per..(s + 1) * per];
            // One thread per block: the caller's own, then one helper each.
            assert!(block.iter().all(|t| *t == block[0]), "{first:?}");
            assert_eq!(block[0] == me, s == 0, "seat {s}: {first:?}");
            for other in 0..s {
                assert_ne!(first[other * per], block[0], "{first:?}");
            }
        }
        let helper = first[per];
        assert_eq!(*second_seat.get_or_insert(helper), helper);
    }
}

#[test]
fn the_caller_takes_the_slices_a_slow_helper_has_not_started() {
    // 8 slices on 2 threads: the helper owns 4–7. Slice 4 sits until 5, 6
    // and 7 are done, which only the caller (from the back of the block)
    // can do meanwhile; whether or not the helper joined in time. (When
    // another test holds the pool, the caller runs 0–7 in order alone, and
    // slice 4 gives up waiting after 50 ms.)
    let me = std::thread::current().id();
    for _ in 0..20 {
        let ran: Vec<Mutex<Option<std::thread::ThreadId>>> =
            (0..8).map(|_| Mutex::new(None)).collect();
        let done = AtomicUsize::new(0);
        let cut = Slices {
            len: 8,
            parts: 8,
            align: 1,
        };
        cut.run(2, 0, &|lo, _| {
            if lo == 4 {
                let t = Instant::now();
                while done.load(Ordering::Acquire) < 3 && t.elapsed() < Duration::from_millis(50) {
                    std::hint::spin_loop();
                }
            }
            *ran[lo].lock().unwrap() = Some(std::thread::current().id());
            if lo > 4 {
                done.fetch_add(1, Ordering::Release);
            }
        });
        let ran: Vec<_> = ran.into_iter().map(|r| r.into_inner().unwrap()).collect();
        for (i, t) in ran.iter().enumerate() {
            if i != 4 {
                assert_eq!(*t, Some(me), "slice {i}");
            }
        }
        assert!(ran[4].is_some());
    }
}

#[test]
fn blocks_cover_the_slices_once_in_order() {
    for (parts, seats) in [(8, 2), (12, 3), (8, 5), (2, 3), (200, 3), (7, 7), (1, 4)] {
        let cut = Slices {
            len: parts,
            parts,
            align: 1,
        };
        let seats = cut.seats(seats);
        let mut next = 0;
        for s in 0..seats {
            let block = cut.owned(s, seats);
            assert_eq!(block.start, next.min(parts), "{parts} {seats}");
            next = block.end;
        }
        assert_eq!(next, parts);
        // Seat 0 always has slice 0, and no seat's block is empty.
        assert!(cut.owned(0, seats).contains(&0));
        assert!(
            (0..seats).all(|s| !cut.owned(s, seats).is_empty()),
            "{parts} {seats}"
        );
    }
}

#[test]
fn a_helper_waiting_between_yields_sees_the_job() {
    use std::sync::atomic::AtomicBool;
    // Posted before the wait: seen at the first check, before any spin, so
    // whether to yield is never asked.
    let asked = AtomicUsize::new(0);
    let seen = wait::poll_until(
        Duration::from_secs(30),
        || true,
        || {
            asked.fetch_add(1, Ordering::Relaxed);
            true
        },
    );
    assert!(seen);
    assert_eq!(asked.load(Ordering::Relaxed), 0);
    // Posted once the waiting thread has asked whether to yield (so it is
    // past its first spin: yielding between spins or, while the caller is
    // still in the last job, only spinning), then after a further delay:
    // still seen, and seen only once posted. The post waits for the ask
    // rather than for a fixed time, which a loaded machine (the tests
    // running side by side) can stretch.
    for (delay_us, idle) in [
        (0, true),
        (20, true),
        (300, true),
        (2000, true),
        (300, false),
    ] {
        let posted = AtomicBool::new(false);
        let asked = AtomicUsize::new(0);
        let seen = std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let seen = wait::poll_until(
                    Duration::from_secs(30),
                    || posted.load(Ordering::Acquire),
                    || {
                        asked.fetch_add(1, Ordering::Relaxed);
                        idle
                    },
                );
                (seen, posted.load(Ordering::Acquire))
            });
            let start = Instant::now();
            while asked.load(Ordering::Relaxed) == 0 && start.elapsed() < Duration::from_secs(20) {
                std::thread::yield_now();
            }
            let has_asked = asked.load(Ordering::Relaxed) > 0;
            std::thread::sleep(Duration::from_micros(delay_us));
            posted.store(true, Ordering::Release);
            (waiter.join().unwrap(), has_asked)
        });
        assert_eq!(seen, ((true, true), true), "posted after {delay_us} µs");
    }
}

#[test]
fn a_helper_waits_its_whole_spin_before_it_sleeps() {
    // Nothing posted: the wait ends, reporting so, and not before its limit
    // (the helper then sleeps on the condition variable).
    for limit_us in [0, 3, 50, 400] {
        let limit = Duration::from_micros(limit_us);
        let mut checks = 0_u64;
        let start = Instant::now();
        let seen = wait::poll_until(
            limit,
            || {
                checks += 1;
                false
            },
            || true,
        );
        assert!(!seen, "{limit_us} µs");
        assert!(start.elapsed() >= limit, "{limit_us} µs");
        assert!(checks > 0, "{limit_us} µs: never checked");
    }
    // The caller's wait for a helper likewise.
    let start = Instant::now();
    assert!(!wait::spin_until(Duration::from_micros(200), || false));
    assert!(start.elapsed() >= Duration::from_micros(200));
    assert!(wait::spin_until(Duration::ZERO, || true));
}

#[test]
fn more_threads_than_cores_run_every_slice_once() {
    // The helpers outnumber the cores: they yield theirs while they wait,
    // and every job still runs each slice exactly once.
    let threads = max_threads().min(9);
    jobs_back_to_back(threads, 2000, 2 * threads);
    jobs_back_to_back(threads, 2000, 2);
}
