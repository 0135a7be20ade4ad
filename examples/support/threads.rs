//! `--threads N` for the examples: sets the count, and says so on stderr
//! when the library used fewer (it caps the count at a multiple of the
//! cores).

/// Sets the thread count for large products, with a note when capped.
pub fn set(n: usize) {
    let used = backprop::tensor::threads::set_num_threads(n);
    if used != n {
        eprintln!("note: --threads {n}: using {used} ({})", note(used));
    }
}

/// Why `--threads` was changed: the least is 1, the most four threads per
/// core (at most 256).
fn note(used: usize) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if used == 1 {
        "the least is 1".into()
    } else {
        format!(
            "the most this machine uses: {} per core × {cores} core{}, at most {}",
            backprop::tensor::threads::MAX_THREADS_PER_CORE,
            if cores == 1 { "" } else { "s" },
            backprop::tensor::threads::MAX_THREADS
        )
    }
}
