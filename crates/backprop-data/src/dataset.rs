//! The in-memory [`Dataset`]: features stored sample-major (each sample
//! contiguous, so one sample becomes one batch column with one contiguous
//! copy), class labels or regression targets, and batch assembly into
//! caller-owned matrices.

use crate::{DataError, Result};
use backprop_tensor::{DMatrix, Scalar, ops, rng, threads};
use rand::seq::SliceRandom;
use std::fmt;

/// The random stream of [`Dataset::split`]: `rng::stream(seed, SPLIT_STREAM)`.
///
/// It is far from the epoch streams of [`crate::Batcher`] (`0, 1, 2, …`), so
/// the same seed can drive both without the split repeating an epoch's order.
pub const SPLIT_STREAM: u64 = u64::MAX;

/// How `u8` pixels become numbers while a batch is assembled.
///
/// Pixels stay `u8` in memory (a quarter of `f32`'s footprint); a batch is
/// converted through a 256-entry table computed in `f64` and rounded once, so
/// `f32` and `f64` batches agree to rounding.
///
/// ```
/// use backprop_data::PixelScale;
/// assert_eq!(PixelScale::Unit.apply(255), 1.0);
/// let s = PixelScale::MNIST.apply(0);
/// assert!((s - (-0.1307 / 0.3081)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum PixelScale {
    /// `x / 255`, into `[0, 1]` (the default).
    #[default]
    Unit,
    /// `(x / 255 − mean) / std`.
    Standardize {
        /// Mean of the unit-scaled pixels.
        mean: f64,
        /// Their standard deviation (must be positive).
        std: f64,
    },
}

impl PixelScale {
    /// MNIST's usual standardisation: mean 0.1307, std 0.3081.
    pub const MNIST: PixelScale = PixelScale::Standardize {
        mean: 0.1307,
        std: 0.3081,
    };

    /// The value of one pixel under this scale.
    pub fn apply(self, pixel: u8) -> f64 {
        let x = f64::from(pixel) / 255.0;
        match self {
            PixelScale::Unit => x,
            PixelScale::Standardize { mean, std } => (x - mean) / std,
        }
    }

    /// Checks that a standardisation has a finite mean and a finite std > 0.
    pub fn validate(self) -> Result<Self> {
        match self {
            PixelScale::Unit => Ok(self),
            PixelScale::Standardize { mean, std } => {
                if mean.is_finite() && std.is_finite() && std > 0.0 {
                    Ok(self)
                } else {
                    Err(DataError::InvalidPixelScale { mean, std })
                }
            }
        }
    }

    /// The value of every possible pixel, indexed by the pixel.
    pub fn lookup_table<T: Scalar>(self) -> [T; 256] {
        std::array::from_fn(|i| T::of(self.apply(i as u8)))
    }
}

/// A dataset's features, sample-major: sample `i` is
/// `data[i·n_features .. (i+1)·n_features]`.
#[derive(Clone, PartialEq)]
pub enum Features {
    /// Raw pixels, scaled by `scale` while a batch is assembled.
    U8 {
        /// The pixels.
        data: Vec<u8>,
        /// How they are scaled.
        scale: PixelScale,
    },
    /// Real-valued (tabular) features, used as they are (scale them with a
    /// [`crate::Scaler`]).
    F32(Vec<f32>),
}

impl Features {
    fn len(&self) -> usize {
        match self {
            Features::U8 { data, .. } => data.len(),
            Features::F32(data) => data.len(),
        }
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Features::U8 { data, scale } => {
                write!(f, "U8 {{ len: {}, scale: {scale:?} }}", data.len())
            }
            Features::F32(data) => write!(f, "F32 {{ len: {} }}", data.len()),
        }
    }
}

/// What a dataset predicts.
#[derive(Clone, PartialEq)]
pub enum Targets {
    /// One class label per sample, each below `n_classes`.
    Classes {
        /// The labels.
        labels: Vec<usize>,
        /// The number of classes.
        n_classes: usize,
    },
    /// `n_outputs` real values per sample, sample-major.
    Values {
        /// The targets.
        values: Vec<f32>,
        /// Targets per sample.
        n_outputs: usize,
    },
}

impl fmt::Debug for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Targets::Classes { labels, n_classes } => {
                write!(
                    f,
                    "Classes {{ len: {}, n_classes: {n_classes} }}",
                    labels.len()
                )
            }
            Targets::Values { values, n_outputs } => {
                write!(
                    f,
                    "Values {{ len: {}, n_outputs: {n_outputs} }}",
                    values.len()
                )
            }
        }
    }
}

/// A validated, in-memory dataset: `len()` samples of `n_features()` features
/// each, with class labels (classification) or real targets (regression).
///
/// Construction checks everything once (lengths, label range, finiteness,
/// non-emptiness), so batch assembly only has to check indices.
///
/// ```
/// use backprop_data::Dataset;
/// use backprop_tensor::DMatrix;
/// // Three 2-pixel images, labels in 0..2.
/// let ds = Dataset::from_u8(vec![0, 255, 51, 102, 255, 0], 2, vec![1, 0, 1], 2)?;
/// let mut x = DMatrix::<f32>::zeros(0, 0);
/// let mut y = Vec::new();
/// ds.fill_batch(&[2, 0], &mut x, &mut y)?;
/// assert_eq!(x.shape(), (2, 2)); // features × batch
/// assert_eq!(x.column(0).as_slice(), &[1.0, 0.0]); // sample 2
/// assert_eq!(x.column(1).as_slice(), &[0.0, 1.0]); // sample 0
/// assert_eq!(y, vec![1, 1]);
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Dataset {
    features: Features,
    targets: Targets,
    n_features: usize,
    len: usize,
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len)
            .field("n_features", &self.n_features)
            .field("features", &self.features)
            .field("targets", &self.targets)
            .finish()
    }
}

impl Dataset {
    /// A classification dataset of `u8` features (images), scaled with
    /// [`PixelScale::Unit`] until [`Dataset::set_pixel_scale`] says otherwise.
    ///
    /// `pixels` holds `labels.len()` samples of `n_features` bytes each.
    pub fn from_u8(
        pixels: Vec<u8>,
        n_features: usize,
        labels: Vec<usize>,
        n_classes: usize,
    ) -> Result<Self> {
        Self::new(
            Features::U8 {
                data: pixels,
                scale: PixelScale::Unit,
            },
            n_features,
            Targets::Classes { labels, n_classes },
        )
    }

    /// A classification dataset of `f32` features (all finite).
    pub fn from_f32(
        features: Vec<f32>,
        n_features: usize,
        labels: Vec<usize>,
        n_classes: usize,
    ) -> Result<Self> {
        Self::new(
            Features::F32(features),
            n_features,
            Targets::Classes { labels, n_classes },
        )
    }

    /// A regression dataset: `f32` features and `n_outputs` `f32` targets per
    /// sample (all finite), both sample-major.
    pub fn regression(
        features: Vec<f32>,
        n_features: usize,
        targets: Vec<f32>,
        n_outputs: usize,
    ) -> Result<Self> {
        Self::new(
            Features::F32(features),
            n_features,
            Targets::Values {
                values: targets,
                n_outputs,
            },
        )
    }

    fn new(features: Features, n_features: usize, targets: Targets) -> Result<Self> {
        if n_features == 0 {
            return Err(DataError::NoFeatures);
        }
        let flen = features.len();
        if !flen.is_multiple_of(n_features) {
            return Err(DataError::FeatureLength {
                len: flen,
                n_features,
            });
        }
        let len = flen / n_features;
        let target_rows = match &targets {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, n_outputs } => {
                if *n_outputs == 0 || !values.len().is_multiple_of(*n_outputs) {
                    return Err(DataError::TargetLength {
                        len: values.len(),
                        n_outputs: *n_outputs,
                    });
                }
                values.len() / n_outputs
            }
        };
        if target_rows != len {
            return Err(DataError::SampleCountMismatch {
                features: len,
                labels: target_rows,
            });
        }
        if len == 0 {
            return Err(DataError::EmptyDataset {
                context: "no samples given",
            });
        }
        match &targets {
            Targets::Classes { labels, n_classes } => {
                check_class_count(*n_classes)?;
                if let Some((sample, &label)) =
                    labels.iter().enumerate().find(|(_, l)| **l >= *n_classes)
                {
                    return Err(DataError::LabelOutOfRange {
                        sample,
                        label,
                        n_classes: *n_classes,
                    });
                }
            }
            Targets::Values { values, n_outputs } => {
                if let Some((i, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(DataError::NonFiniteTarget {
                        sample: i / n_outputs,
                        target: i % n_outputs,
                        value,
                    });
                }
            }
        }
        if let Features::F32(data) = &features
            && let Some((i, &value)) = data.iter().enumerate().find(|(_, v)| !v.is_finite())
        {
            return Err(DataError::NonFiniteFeature {
                sample: i / n_features,
                feature: i % n_features,
                value,
            });
        }
        Ok(Self {
            features,
            targets,
            n_features,
            len,
        })
    }

    /// Number of samples (at least 1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: construction rejects empty datasets.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Features per sample (the number of rows of a batch).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of classes; 0 for a regression dataset.
    pub fn n_classes(&self) -> usize {
        match &self.targets {
            Targets::Classes { n_classes, .. } => *n_classes,
            Targets::Values { .. } => 0,
        }
    }

    /// Number of network outputs the targets need: the number of classes, or
    /// the targets per sample for regression.
    pub fn n_outputs(&self) -> usize {
        match &self.targets {
            Targets::Classes { n_classes, .. } => *n_classes,
            Targets::Values { n_outputs, .. } => *n_outputs,
        }
    }

    /// The class labels; empty for a regression dataset.
    pub fn labels(&self) -> &[usize] {
        match &self.targets {
            Targets::Classes { labels, .. } => labels,
            Targets::Values { .. } => &[],
        }
    }

    /// Whether the dataset has class labels (rather than regression targets).
    pub fn is_classification(&self) -> bool {
        matches!(self.targets, Targets::Classes { .. })
    }

    /// The features.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// How many samples each class has (empty for regression).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &l in self.labels() {
            if let Some(c) = counts.get_mut(l) {
                *c += 1;
            }
        }
        counts
    }

    /// The pixel scale of `u8` features (`None` for `f32` features).
    pub fn pixel_scale(&self) -> Option<PixelScale> {
        match &self.features {
            Features::U8 { scale, .. } => Some(*scale),
            Features::F32(_) => None,
        }
    }

    /// Sets how `u8` pixels are scaled in batches. An error for `f32`
    /// features (use a [`crate::Scaler`]) or an invalid standardisation.
    pub fn set_pixel_scale(&mut self, scale: PixelScale) -> Result<()> {
        let scale = scale.validate()?;
        match &mut self.features {
            Features::U8 { scale: s, .. } => {
                *s = scale;
                Ok(())
            }
            Features::F32(_) => Err(DataError::WrongKind {
                operation: "Dataset::set_pixel_scale",
                expected: "u8 image features",
                found: "f32 features (scale them with a Scaler)",
            }),
        }
    }

    /// The `f32` features, for in-place scaling.
    pub(crate) fn f32_features_mut(&mut self) -> Option<&mut [f32]> {
        match &mut self.features {
            Features::F32(data) => Some(data),
            Features::U8 { .. } => None,
        }
    }

    fn check_indices(&self, indices: &[usize]) -> Result<()> {
        match indices.iter().find(|&&i| i >= self.len) {
            Some(&index) => Err(DataError::IndexOutOfRange {
                index,
                len: self.len,
            }),
            None => Ok(()),
        }
    }

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
        // Written so that NaN is rejected too.
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::InvalidFraction { fraction });
        }
        let n_val = (self.len as f64 * fraction).round() as usize;
        if n_val == 0 || n_val >= self.len {
            return Err(DataError::SplitTooSmall {
                len: self.len,
                fraction,
            });
        }
        let mut perm: Vec<usize> = (0..self.len).collect();
        perm.shuffle(&mut rng::stream(seed, SPLIT_STREAM));
        let (val, train) = perm.split_at_mut(n_val);
        val.sort_unstable();
        train.sort_unstable();
        Ok((self.subset(train)?, self.subset(val)?))
    }

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
                let d = T::of(255.0);
                threads::for_each_chunk_mut([out], nf, PARALLEL_MIN_SAMPLES * nf, &|start, [x]| {
                    let indices = indices.get(start / nf..).unwrap_or_default();
                    ops::simd(|| {
                        for (k, (col, &i)) in x.chunks_exact_mut(nf).zip(indices).enumerate() {
                            // Shuffled samples are scattered over the whole
                            // training set (47 MB for MNIST): ask for a later
                            // sample's pixels while this one is converted.
                            if let Some(&ahead) = indices.get(k + PREFETCH_AHEAD) {
                                prefetch(data.get(ahead * nf..(ahead + 1) * nf));
                            }
                            if let Some(src) = data.get(i * nf..(i + 1) * nf) {
                                for (dst, &p) in col.iter_mut().zip(src) {
                                    *dst = T::of(f64::from(p)) / d;
                                }
                            }
                        }
                    })
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

/// Batches of `u8` samples are assembled on the pool's threads from twice
/// this many samples (a thread converts at least this many).
const PARALLEL_MIN_SAMPLES: usize = 16;

/// How many samples ahead [`Dataset::fill_features`] prefetches.
const PREFETCH_AHEAD: usize = 2;

/// Hints the CPU to bring `bytes` into its caches (a no-op off x86-64).
#[inline(always)]
fn prefetch(bytes: Option<&[u8]>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(bytes) = bytes {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        for line in bytes.chunks(64) {
            // SAFETY: SSE is part of the x86-64 baseline, and a prefetch of a
            // valid address neither faults nor changes memory.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// The largest number of classes a dataset or [`one_hot`] accepts: 2²⁴
/// (16,777,216). One one-hot column of that many classes is 64 MiB in `f32`,
/// so a larger count is taken for a mistake (a label value passed as the
/// count, say) and reported as [`DataError::TooManyClasses`] instead of
/// failing on an allocation.
pub const MAX_CLASSES: usize = 1 << 24;

/// Checks `1 ≤ n_classes ≤ MAX_CLASSES`.
fn check_class_count(n_classes: usize) -> Result<()> {
    if n_classes == 0 {
        Err(DataError::NoClasses)
    } else if n_classes > MAX_CLASSES {
        Err(DataError::TooManyClasses {
            n_classes,
            max: MAX_CLASSES,
        })
    } else {
        Ok(())
    }
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

/// Writes `labels` as one-hot columns into `out` (resized to
/// `n_classes × labels.len()`, allocation kept). Errors, leaving `out`
/// untouched, if a label is not below `n_classes`.
///
/// ```
/// use backprop_data::one_hot;
/// use backprop_tensor::DMatrix;
/// let mut y = DMatrix::<f64>::zeros(0, 0);
/// one_hot(&[2, 0], 3, &mut y)?;
/// assert_eq!(y, DMatrix::from_column_slice(3, 2, &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]));
/// assert!(one_hot(&[3], 3, &mut y).is_err());
/// # Ok::<(), backprop_data::DataError>(())
/// ```
pub fn one_hot<T: Scalar>(labels: &[usize], n_classes: usize, out: &mut DMatrix<T>) -> Result<()> {
    check_class_count(n_classes)?;
    if let Some((sample, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        return Err(DataError::LabelOutOfRange {
            sample,
            label,
            n_classes,
        });
    }
    ops::resize(out, n_classes, labels.len());
    out.fill(T::zero());
    for (col, &l) in out.as_mut_slice().chunks_exact_mut(n_classes).zip(labels) {
        if let Some(v) = col.get_mut(l) {
            *v = T::one();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {

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

    use super::*;

    #[test]
    fn construction_validates() {
        assert!(matches!(
            Dataset::from_u8(vec![1, 2, 3], 0, vec![0], 1),
            Err(DataError::NoFeatures)
        ));
        assert!(matches!(
            Dataset::from_u8(vec![1, 2, 3], 2, vec![0], 1),
            Err(DataError::FeatureLength { .. })
        ));
        let e = Dataset::from_u8(vec![1, 2, 3, 4], 2, vec![0], 1).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::SampleCountMismatch {
                    features: 2,
                    labels: 1
                }
            ),
            "{e}"
        );
        assert!(matches!(
            Dataset::from_u8(vec![], 2, vec![], 1),
            Err(DataError::EmptyDataset { .. })
        ));
        let e = Dataset::from_u8(vec![1, 2], 1, vec![0, 3], 3).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::LabelOutOfRange {
                    sample: 1,
                    label: 3,
                    n_classes: 3
                }
            ),
            "{e}"
        );
        assert!(matches!(
            Dataset::from_u8(vec![1], 1, vec![0], 0),
            Err(DataError::NoClasses)
        ));
        let e = Dataset::from_f32(vec![0.0, 1.0, f32::NAN, 2.0], 2, vec![0, 0], 1).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::NonFiniteFeature {
                    sample: 1,
                    feature: 0,
                    ..
                }
            ),
            "{e}"
        );
        let e = Dataset::regression(vec![0.0, 1.0], 1, vec![1.0, f32::INFINITY], 1).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::NonFiniteTarget {
                    sample: 1,
                    target: 0,
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            Dataset::regression(vec![0.0], 1, vec![1.0], 0),
            Err(DataError::TargetLength { .. })
        ));
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

    #[test]
    fn pixel_scale_validation() {
        assert!(
            PixelScale::Standardize {
                mean: 0.0,
                std: 0.0
            }
            .validate()
            .is_err()
        );
        assert!(
            PixelScale::Standardize {
                mean: f64::NAN,
                std: 1.0
            }
            .validate()
            .is_err()
        );
        assert!(PixelScale::MNIST.validate().is_ok());
        let t = PixelScale::Unit.lookup_table::<f32>();
        assert_eq!((t[0], t[255]), (0.0, 1.0));
    }
}
