//! Prefetch hints: asking the CPU to start loading memory that a later
//! step will read (the next batch's samples, gathered from all over a
//! training set), so that the read does not wait for memory then. Only
//! hints: nothing is read or written, and off x86-64 they do nothing.

/// Hints the CPU to bring the cache line holding `at` into its caches (a
/// no-op for `None`, and off x86-64).
///
/// ```
/// use backprop_tensor::prefetch;
/// let x = [1.0_f32; 64];
/// prefetch::line(x.get(16));
/// prefetch::line(x.get(99)); // past the end: None, nothing happens
/// ```
#[inline(always)]
pub fn line<E>(at: Option<&E>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(at) = at {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch of a
        // valid address (a reference) neither faults nor changes memory.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(at).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Hints the first cache line of each row `rows` of `x`, rows of `row_len`
/// elements stored one after another (samples of a batch to come): the
/// hardware's prefetcher streams the rest of a row once its start is read,
/// so one line per row is what helps (whole rows were measured no faster).
/// Rows out of range are ignored.
///
/// ```
/// use backprop_tensor::prefetch;
/// let x = vec![0.0_f32; 3 * 784];
/// prefetch::rows(&x, 784, &[2, 0, 7]); // row 7 does not exist: ignored
/// ```
#[inline]
pub fn rows<E>(x: &[E], row_len: usize, rows: &[usize]) {
    for &i in rows {
        line(i.checked_mul(row_len).and_then(|start| x.get(start)));
    }
}

#[cfg(test)]
mod tests {
    /// A prefetch is only a hint: rows past the end (or whose offset
    /// overflows) are ignored, and `x` is left as it was.
    #[test]
    fn rows_out_of_range_are_ignored() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let before = x.clone();
        super::rows(&x, 3, &[0, 9, 10, usize::MAX]);
        super::rows(&x, 0, &[5]);
        super::rows::<f64>(&[], 3, &[0]);
        assert_eq!(x, before);
    }
}
