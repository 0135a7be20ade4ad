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

#[test]
fn each_thread_takes_its_own_block_of_slices_first() {
    use std::collections::HashMap;
    // 8 slices on 2 threads: the caller owns slices 0..4, helper 1 owns
    // 4..8. Each takes what is left of its own block before any other
    // slice (a thread the system runs late may find its block taken).
    for _ in 0..50 {
        let taken = Mutex::new(HashMap::<_, Vec<usize>>::new());
        let cut = Slices {
            len: 8,
            parts: 8,
            align: 1,
        };
        let caller = std::thread::current().id();
        cut.run(2, 0, &|lo, _| {
            if let Ok(mut taken) = taken.lock() {
                taken
                    .entry(std::thread::current().id())
                    .or_default()
                    .push(lo);
            }
            for _ in 0..1000 {
                std::hint::spin_loop();
            }
        });
        let taken = taken.into_inner().unwrap_or_default();
        for (id, slices) in &taken {
            let own = if *id == caller { 0..4 } else { 4..8 };
            let mine = slices.iter().take_while(|&&i| own.contains(&i)).count();
            assert!(
                slices[mine..].iter().all(|&i| !own.contains(&i)),
                "{taken:?}"
            );
        }
        assert_eq!(taken.values().map(Vec::len).sum::<usize>(), 8);
    }
}

#[test]
fn row_blocks_visit_every_element_once_within_one_column() {
    use std::sync::atomic::AtomicU32;
    // (rows, columns, min_elements): cut by rows, too short to cut by rows,
    // too small to cut at all.
    for (rows, cols, min) in [
        (128, 784, 8192),
        (256, 100, 1024),
        (10, 5000, 1024),
        (128, 8, 8192),
    ] {
        for threads in [1, 2, 3] {
            set_num_threads(threads);
            let len = rows * cols;
            let hits: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
            let mut data: Vec<usize> = (0..len).collect();
            let mut other = vec![0_usize; len];
            for_each_row_block_mut(
                [&mut data[..], &mut other[..]],
                rows,
                min,
                &|start, [d, o]| {
                    assert_eq!(d.len(), o.len());
                    if d.len() < rows {
                        // A row block: inside one column.
                        assert!(
                            start % rows + d.len() <= rows,
                            "{rows}×{cols}: {start}+{}",
                            d.len()
                        );
                    }
                    for (k, (d, o)) in d.iter().zip(o.iter_mut()).enumerate() {
                        assert_eq!(*d, start + k);
                        *o = *d;
                        hits[*d].fetch_add(1, Ordering::Relaxed);
                    }
                },
            );
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
            assert_eq!(data, other);
        }
    }
    set_num_threads(1);
}
