//! Unit tests of the thread pool (threads.rs).

use super::*;

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
