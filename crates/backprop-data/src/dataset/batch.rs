//! Batch assembly: the selected samples written as the columns of
//! caller-owned matrices ([`Dataset::fill_batch`], [`Dataset::fill_features`],
//! [`Dataset::fill_targets`]), `u8` batches on the pool's threads.

use super::{Dataset, Features, PixelScale, Targets};
use crate::{DataError, Result};
use backprop_tensor::{DMatrix, Scalar, ops, prefetch, threads};

impl Dataset {
    /// Writes the selected samples as the columns of `x` (resized to
    /// `n_features × indices.len()` with [`ops::resize`], so a reused `x`
    /// does not allocate) and their labels into `labels_out` (cleared first,
    /// capacity kept).
    ///
    /// `u8` features go through the pixel scale's 256-entry table; `f32`
    /// features are converted to `T`. Errors (before touching `x`) on an
    /// out-of-range index or a regression dataset (use
    /// [`Dataset::fill_features`] and [`Dataset::fill_targets`]).
    pub fn fill_batch<T: Scalar>(
        &self,
        indices: &[usize],
        x: &mut DMatrix<T>,
        labels_out: &mut Vec<usize>,
    ) -> Result<()> {
        let Targets::Classes { labels, .. } = &self.targets else {
            return Err(DataError::WrongKind {
                operation: "Dataset::fill_batch",
                expected: "class labels",
                found: "regression targets (use fill_features and fill_targets)",
            });
        };
        self.fill_features(indices, x)?;
        labels_out.clear();
        labels_out.extend(indices.iter().filter_map(|&i| labels.get(i).copied()));
        Ok(())
    }

    /// Writes the selected samples as the columns of `x` (see
    /// [`Dataset::fill_batch`]), without labels.
    pub fn fill_features<T: Scalar>(&self, indices: &[usize], x: &mut DMatrix<T>) -> Result<()> {
        self.check_indices(indices)?;
        let nf = self.n_features;
        ops::resize(x, nf, indices.len());
        let out = x.as_mut_slice();
        match &self.features {
            Features::U8 {
                data,
                scale: PixelScale::Unit,
            } => {
                // x/255 computed in T: one vectorised conversion and division per
                // pixel (no table gather); equal to the table's values, which
                // `unit_scale_matches_the_table` checks for all 256 pixels.
                // Whole samples are shared out between the pool's threads.
                threads::for_each_chunk_mut([out], nf, PARALLEL_MIN_SAMPLES * nf, &|start, [x]| {
                    let indices = indices.get(start / nf..).unwrap_or_default();
                    for (k, (col, &i)) in x.chunks_exact_mut(nf).zip(indices).enumerate() {
                        // Shuffled samples are scattered over the whole
                        // training set (47 MB for MNIST): ask for a later
                        // sample's pixels while this one is converted.
                        if let Some(&ahead) = indices.get(k + PREFETCH_AHEAD) {
                            prefetch(data.get(ahead * nf..(ahead + 1) * nf));
                        }
                        if let Some(src) = data.get(i * nf..(i + 1) * nf) {
                            // A closure small enough to be inlined into
                            // `simd`'s AVX2 function (the whole loop above
                            // was not, and ran four lanes wide).
                            ops::simd(|| unit_scale(src, col));
                        }
                    }
                })
            }
            Features::U8 { data, scale } => {
                let lut = scale.lookup_table::<T>();
                threads::for_each_chunk_mut([out], nf, PARALLEL_MIN_SAMPLES * nf, &|start, [x]| {
                    let indices = indices.get(start / nf..).unwrap_or_default();
                    for (col, &i) in x.chunks_exact_mut(nf).zip(indices) {
                        if let Some(src) = data.get(i * nf..(i + 1) * nf) {
                            for (dst, &p) in col.iter_mut().zip(src) {
                                *dst = lut[usize::from(p)];
                            }
                        }
                    }
                })
            }
            Features::F32(data) => {
                for (col, &i) in out.chunks_exact_mut(nf).zip(indices) {
                    if let Some(src) = data.get(i * nf..(i + 1) * nf) {
                        for (dst, &v) in col.iter_mut().zip(src) {
                            *dst = T::of(f64::from(v));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Asks the CPU to start loading the selected samples (the first cache
    /// line of each; its prefetcher streams the rest once the batch is read),
    /// so that a batch assembled later finds them on its way. The trainer
    /// calls it with the next batch's indices right after assembling one:
    /// shuffled samples are scattered over the whole training set (47 MB
    /// for MNIST), and each one's first access would otherwise wait for
    /// memory during [`fill_batch`](Dataset::fill_batch). Only a hint: out of
    /// range indices are ignored, nothing is read or written, and off x86-64
    /// it does nothing.
    ///
    /// ```
    /// use backprop_data::Dataset;
    /// let ds = Dataset::from_u8(vec![0; 8], 4, vec![0, 1], 2)?;
    /// ds.prefetch(&[1, 0, 7]); // 7 is not a sample: ignored
    /// # Ok::<(), backprop_data::DataError>(())
    /// ```
    pub fn prefetch(&self, indices: &[usize]) {
        let nf = self.n_features;
        match &self.features {
            Features::U8 { data, .. } => prefetch::rows(data, nf, indices),
            Features::F32(data) => prefetch::rows(data, nf, indices),
        }
    }

    /// Writes the targets of the selected samples as the columns of `y`:
    /// one-hot columns (`n_classes × batch`) for classification, the target
    /// values (`n_outputs × batch`) for regression. Resized like `x`.
    pub fn fill_targets<T: Scalar>(&self, indices: &[usize], y: &mut DMatrix<T>) -> Result<()> {
        self.check_indices(indices)?;
        match &self.targets {
            Targets::Classes { labels, n_classes } => {
                let n = *n_classes;
                ops::resize(y, n, indices.len());
                y.fill(T::zero());
                for (col, &i) in y.as_mut_slice().chunks_exact_mut(n).zip(indices) {
                    if let Some(v) = labels.get(i).and_then(|&l| col.get_mut(l)) {
                        *v = T::one();
                    }
                }
            }
            Targets::Values { values, n_outputs } => {
                let n = *n_outputs;
                ops::resize(y, n, indices.len());
                for (col, &i) in y.as_mut_slice().chunks_exact_mut(n).zip(indices) {
                    if let Some(src) = values.get(i * n..(i + 1) * n) {
                        for (dst, &v) in col.iter_mut().zip(src) {
                            *dst = T::of(f64::from(v));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// `dst[i] = src[i] / 255`, computed in `T` (one conversion and one
/// division per pixel, vectorised).
#[inline(always)]
fn unit_scale<T: Scalar>(src: &[u8], dst: &mut [T]) {
    let d = T::of(255.0);
    for (dst, &p) in dst.iter_mut().zip(src) {
        *dst = T::of(f64::from(p)) / d;
    }
}

/// Batches of `u8` samples are assembled on the pool's threads from twice
/// this many samples (a thread converts at least this many).
const PARALLEL_MIN_SAMPLES: usize = 16;

/// How many samples ahead [`Dataset::fill_features`] prefetches.
const PREFETCH_AHEAD: usize = 2;

/// Hints the CPU to bring `bytes` into its caches, a [`prefetch::line`] per
/// 64-byte line (a no-op off x86-64).
#[inline(always)]
fn prefetch(bytes: Option<&[u8]>) {
    for line in bytes.unwrap_or_default().chunks(64) {
        prefetch::line(line.first());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::one_hot;

    #[test]
    fn unit_scale_matches_the_table() {
        let pixels: Vec<u8> = (0..=255).collect();
        let ds = Dataset::from_u8(pixels, 256, vec![0], 1).unwrap();
        let mut x32 = DMatrix::<f32>::zeros(0, 0);
        let mut x64 = DMatrix::<f64>::zeros(0, 0);
        ds.fill_features(&[0], &mut x32).unwrap();
        ds.fill_features(&[0], &mut x64).unwrap();
        assert_eq!(x32.as_slice(), &PixelScale::Unit.lookup_table::<f32>()[..]);
        assert_eq!(x64.as_slice(), &PixelScale::Unit.lookup_table::<f64>()[..]);
    }

    #[test]
    fn regression_batches_and_wrong_kind() {
        let ds = Dataset::regression(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            2,
            vec![10.0, 20.0, 30.0],
            1,
        )
        .unwrap();
        assert_eq!(ds.n_outputs(), 1);
        assert_eq!(ds.n_classes(), 0);
        assert!(ds.labels().is_empty());
        let mut x = DMatrix::<f64>::zeros(0, 0);
        let mut y = DMatrix::<f64>::zeros(0, 0);
        ds.fill_features(&[2, 0], &mut x).unwrap();
        ds.fill_targets(&[2, 0], &mut y).unwrap();
        assert_eq!(x, DMatrix::from_column_slice(2, 2, &[5.0, 6.0, 1.0, 2.0]));
        assert_eq!(y, DMatrix::from_column_slice(1, 2, &[30.0, 10.0]));
        let e = ds.fill_batch(&[0], &mut x, &mut Vec::new()).unwrap_err();
        assert!(matches!(e, DataError::WrongKind { .. }), "{e}");
        let mut ds2 = ds.clone();
        assert!(ds2.set_pixel_scale(PixelScale::MNIST).is_err());
    }

    #[test]
    fn fill_targets_one_hot_matches_one_hot() {
        let ds = Dataset::from_u8(vec![0, 1, 2], 1, vec![2, 0, 1], 3).unwrap();
        let mut y = DMatrix::<f32>::zeros(0, 0);
        let mut z = DMatrix::<f32>::zeros(0, 0);
        ds.fill_targets(&[1, 2, 0], &mut y).unwrap();
        one_hot(&[0, 1, 2], 3, &mut z).unwrap();
        assert_eq!(y, z);
        assert_eq!(y, DMatrix::identity(3, 3));
    }
}
