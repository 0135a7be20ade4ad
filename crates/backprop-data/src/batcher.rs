//! Seeded, shuffled mini-batches of sample indices.

use crate::{DataError, Result};
use backprop_tensor::rng;
use rand::seq::SliceRandom;

/// The random domain of shuffling: epoch `e` is shuffled by
/// `rng::stream(rng::derive_seed(seed, SHUFFLE_STREAM), e)`, so that the
/// epoch streams never coincide with the streams `(seed, l)` from which a
/// network initialises its layers with the same seed.
pub const SHUFFLE_STREAM: u64 = u64::MAX - 1;

/// Hands out the sample indices of each epoch in mini-batches.
///
/// - Every epoch covers every sample exactly once; the last batch is partial
///   when `len` is not a multiple of `batch_size` (it is never dropped).
/// - With `shuffle`, epoch `e` visits the samples in the order of a shuffle of
///   `0..len` drawn from stream `e` of the shuffling domain (see [`SHUFFLE_STREAM`]). The order
///   depends on `(seed, e)` alone — not on earlier epochs — so a run resumed
///   at epoch `e` (and batch `k`, with [`Batcher::skip_batches`]) sees
///   exactly the batches it would have seen.
/// - Without `shuffle`, every epoch is `0, 1, …, len − 1`.
/// - [`Batcher::next_batch`] lends a slice of the batcher's own order, so
///   iterating allocates nothing; the order is rebuilt in place by
///   [`Batcher::epoch`].
///
/// A new batcher is positioned at the start of epoch 0.
///
/// ```
/// use backprop_data::Batcher;
/// let mut b = Batcher::new(10, 4, true, 42)?;
/// for epoch in 0..3 {
///     b.epoch(epoch);
///     let mut seen = Vec::new();
///     while let Some(batch) = b.next_batch() {
///         assert!(batch.len() == 4 || batch.len() == 2); // 4 + 4 + 2
///         seen.extend_from_slice(batch);
///     }
///     seen.sort();
///     assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// }
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Batcher {
    order: Vec<usize>,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    epoch: usize,
    pos: usize,
}

impl Batcher {
    /// A batcher over samples `0..len`, in batches of `batch_size`, starting
    /// epoch 0. Errors if `len` or `batch_size` is zero.
    pub fn new(len: usize, batch_size: usize, shuffle: bool, seed: u64) -> Result<Self> {
        if len == 0 {
            return Err(DataError::EmptyDataset {
                context: "a batcher over 0 samples",
            });
        }
        if batch_size == 0 {
            return Err(DataError::ZeroBatchSize);
        }
        let mut b = Self {
            order: (0..len).collect(),
            batch_size,
            shuffle,
            seed,
            epoch: 0,
            pos: 0,
        };
        b.epoch(0);
        Ok(b)
    }

    /// Starts epoch `epoch`: rebuilds the order (from `(seed, epoch)` alone)
    /// and rewinds to its first batch.
    pub fn epoch(&mut self, epoch: usize) {
        for (i, o) in self.order.iter_mut().enumerate() {
            *o = i;
        }
        if self.shuffle {
            self.order.shuffle(&mut rng::stream(
                rng::derive_seed(self.seed, SHUFFLE_STREAM),
                epoch as u64,
            ));
        }
        self.epoch = epoch;
        self.pos = 0;
    }

    /// The next batch of the current epoch, or `None` when the epoch is done
    /// (call [`Batcher::epoch`] to start the next).
    pub fn next_batch(&mut self) -> Option<&[usize]> {
        self.next_batch_and_following().map(|(batch, _)| batch)
    }

    /// Like [`next_batch`](Batcher::next_batch), also giving the batch that
    /// will follow it (empty at the end of the epoch), so that its samples
    /// can be [prefetched](crate::Dataset::prefetch) while this one is used.
    ///
    /// ```
    /// use backprop_data::Batcher;
    /// let mut b = Batcher::new(5, 2, false, 0)?;
    /// assert_eq!(b.next_batch_and_following(), Some((&[0, 1][..], &[2, 3][..])));
    /// assert_eq!(b.next_batch_and_following(), Some((&[2, 3][..], &[4][..])));
    /// assert_eq!(b.next_batch_and_following(), Some((&[4][..], &[][..])));
    /// assert_eq!(b.next_batch_and_following(), None);
    /// # Ok::<(), backprop_data::DataError>(())
    /// ```
    pub fn next_batch_and_following(&mut self) -> Option<(&[usize], &[usize])> {
        let start = self.pos;
        let end = start.saturating_add(self.batch_size).min(self.order.len());
        let after = end.saturating_add(self.batch_size).min(self.order.len());
        let batch = self.order.get(start..end).filter(|b| !b.is_empty())?;
        self.pos = end;
        Some((batch, self.order.get(end..after).unwrap_or_default()))
    }

    /// Skips the next `n` batches of the current epoch (to resume mid-epoch).
    pub fn skip_batches(&mut self, n: usize) {
        self.pos = self
            .pos
            .saturating_add(n.saturating_mul(self.batch_size))
            .min(self.order.len());
    }

    /// Number of samples per epoch.
    pub fn n_samples(&self) -> usize {
        self.order.len()
    }

    /// The batch size (the last batch of an epoch may be smaller).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Batches per epoch, the partial last one included: `⌈len / batch_size⌉`.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The current epoch.
    pub fn current_epoch(&self) -> usize {
        self.epoch
    }

    /// Batches of the current epoch handed out (or skipped) so far.
    pub fn batches_done(&self) -> usize {
        self.pos.div_ceil(self.batch_size)
    }

    /// Whether the seed shuffles the order.
    pub fn shuffles(&self) -> bool {
        self.shuffle
    }

    /// The whole order of the current epoch.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_and_counters() {
        let mut b = Batcher::new(10, 3, true, 1).unwrap();
        assert_eq!(b.batches_per_epoch(), 4);
        let all: Vec<Vec<usize>> =
            std::iter::from_fn(|| b.next_batch().map(<[usize]>::to_vec)).collect();
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].len(), 1);
        assert_eq!(b.batches_done(), 4);
        b.epoch(0);
        b.skip_batches(2);
        assert_eq!(b.batches_done(), 2);
        assert_eq!(b.next_batch().unwrap(), all[2].as_slice());
        b.skip_batches(usize::MAX);
        assert!(b.next_batch().is_none());
    }
}
