//! Choosing samples: [`Dataset::subset`], [`Dataset::take`] and the seeded
//! [`Dataset::split`] into training and validation sets.

use super::{Dataset, Features, Targets};
use crate::{DataError, Result};
use backprop_tensor::rng;
use rand::seq::SliceRandom;

/// The random stream of [`Dataset::split`]: `rng::stream(seed, SPLIT_STREAM)`.
///
/// It is far from the epoch streams of [`crate::Batcher`] (`0, 1, 2, …`), so
/// the same seed can drive both without the split repeating an epoch's order.
pub const SPLIT_STREAM: u64 = u64::MAX;

impl Dataset {
    /// A new dataset of the given samples, in the given order (repeats allowed).
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        self.check_indices(indices)?;
        if indices.is_empty() {
            return Err(DataError::EmptyDataset {
                context: "subset of no indices",
            });
        }
        let nf = self.n_features;
        let features = match &self.features {
            Features::U8 { data, scale } => Features::U8 {
                data: gather(data, nf, indices),
                scale: *scale,
            },
            Features::F32(data) => Features::F32(gather(data, nf, indices)),
        };
        let targets = match &self.targets {
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: gather(labels, 1, indices),
                n_classes: *n_classes,
            },
            Targets::Values { values, n_outputs } => Targets::Values {
                values: gather(values, *n_outputs, indices),
                n_outputs: *n_outputs,
            },
        };
        Ok(Dataset {
            features,
            targets,
            n_features: nf,
            len: indices.len(),
        })
    }

    /// The first `min(n, len)` samples (`n = 0` is an error: empty dataset).
    pub fn take(&self, n: usize) -> Result<Dataset> {
        let indices: Vec<usize> = (0..n.min(self.len)).collect();
        self.subset(&indices)
    }

    /// Splits into `(train, validation)` at random: `round(len·fraction)`
    /// samples go to validation, drawn with `rng::stream(seed, SPLIT_STREAM)`
    /// so the split is recreated from the seed alone. Both parts keep the
    /// original sample order.
    ///
    /// `fraction` must be in (0, 1) and leave both parts non-empty.
    ///
    /// ```
    /// use backprop_data::Dataset;
    /// let ds = Dataset::from_f32((0..20).map(|x| x as f32).collect(), 1, vec![0; 20], 1)?;
    /// let (train, val) = ds.split(0.25, 7)?;
    /// assert_eq!((train.len(), val.len()), (15, 5));
    /// assert!(ds.split(1.0, 7).is_err());
    /// # Ok::<(), backprop_data::DataError>(())
    /// ```
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        let (train, val) = split_indices(self.len, fraction, seed)?;
        Ok((self.subset(&train)?, self.subset(&val)?))
    }
}

/// The sample indices of [`Dataset::split`] for `len` samples:
/// `(train, validation)`, each ascending. Anything with rows (a CSV table
/// before it becomes a dataset) splits the same way from the same seed.
///
/// ```
/// use backprop_data::{Dataset, split_indices};
/// let (train, val) = split_indices(8, 0.25, 7)?;
/// assert_eq!((train.len(), val.len()), (6, 2));
/// let ds = Dataset::from_f32((0..8).map(|x| x as f32).collect(), 1, vec![0; 8], 1)?;
/// assert_eq!(ds.split(0.25, 7)?.1, ds.subset(&val)?);
/// # Ok::<(), backprop_data::DataError>(())
/// ```
pub fn split_indices(len: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    // Written so that NaN is rejected too.
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(DataError::InvalidFraction { fraction });
    }
    let n_val = (len as f64 * fraction).round() as usize;
    if n_val == 0 || n_val >= len {
        return Err(DataError::SplitTooSmall { len, fraction });
    }
    let mut perm: Vec<usize> = (0..len).collect();
    perm.shuffle(&mut rng::stream(seed, SPLIT_STREAM));
    let mut train = perm.split_off(n_val);
    perm.sort_unstable();
    train.sort_unstable();
    Ok((train, perm))
}

/// The rows `indices` of a sample-major buffer of rows `width` wide.
fn gather<E: Copy>(data: &[E], width: usize, indices: &[usize]) -> Vec<E> {
    let mut out = Vec::with_capacity(width.saturating_mul(indices.len()));
    for &i in indices {
        if let Some(row) = data.get(i * width..(i + 1) * width) {
            out.extend_from_slice(row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_take_and_class_counts() {
        let ds = Dataset::from_u8(vec![0, 1, 2, 3, 4, 5], 2, vec![0, 1, 1], 3).unwrap();
        let s = ds.subset(&[2, 2, 0]).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.labels(), &[1, 1, 0]);
        assert!(matches!(s.features(), Features::U8 { data, .. } if data == &[4, 5, 4, 5, 0, 1]));
        assert_eq!(ds.class_counts(), vec![1, 2, 0]);
        assert_eq!(ds.take(10).unwrap(), ds);
        assert_eq!(ds.take(1).unwrap().labels(), &[0]);
        assert!(matches!(ds.take(0), Err(DataError::EmptyDataset { .. })));
        assert!(matches!(
            ds.subset(&[3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
    }
}
