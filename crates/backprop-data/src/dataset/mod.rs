//! The in-memory [`Dataset`]: features stored sample-major (each sample
//! contiguous, so one sample becomes one batch column with one contiguous
//! copy), class labels or regression targets, and batch assembly into
//! caller-owned matrices.
//!
//! One concept per file: the [`Dataset`] type, its validating constructors
//! and accessors (here); [`PixelScale`] (`pixel_scale.rs`); [`Features`]
//! (`features.rs`); [`Targets`], [`one_hot`] and [`MAX_CLASSES`]
//! (`targets.rs`); subsets and the seeded split (`split.rs`); batch assembly
//! (`batch.rs`).

mod batch;
mod features;
mod pixel_scale;
mod split;
mod targets;

pub use features::Features;
pub use pixel_scale::PixelScale;
pub use split::{SPLIT_STREAM, split_indices};
pub use targets::{MAX_CLASSES, Targets, one_hot};

use crate::{DataError, Result};
use std::fmt;
use targets::check_class_count;

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
}

#[cfg(test)]
mod tests {
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
}
