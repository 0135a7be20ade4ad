//! Per-feature scaling of `f32` (tabular) features, fitted on the training
//! set and applied unchanged to validation and test sets.
//!
//! `u8` image features are scaled with a [`crate::PixelScale`] while batches
//! are assembled instead.

use crate::{DataError, Dataset, Result};

/// Which statistics a [`Scaler`] was fitted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScalerKind {
    /// `(x − mean) / std` (population std).
    Standardize,
    /// `(x − min) / (max − min)`, into `[0, 1]` on the training data.
    MinMax,
    /// Offsets and scales given by hand ([`Scaler::from_parts`]).
    Custom,
}

/// An affine per-feature transform `x ↦ (x − offset) / scale`.
///
/// A constant feature (zero spread on the training data) gets scale 1, so it
/// maps to 0 instead of NaN. Statistics are computed in `f64`.
///
/// ```
/// use backprop_data::{Dataset, Features, Scaler};
/// let train = Dataset::from_f32(vec![1.0, 5.0, 3.0, 5.0], 2, vec![0, 1], 2)?;
/// let mut test = Dataset::from_f32(vec![2.0, 5.0], 2, vec![0], 2)?;
/// let scaler = Scaler::fit_standardize(&train)?;
/// scaler.apply(&mut test)?;
/// // Feature 0: mean 2, std 1; feature 1 is constant (std 0 → 1).
/// assert!(matches!(test.features(), Features::F32(v) if v == &[0.0, 0.0]));
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    kind: ScalerKind,
    offset: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaler {
    /// Fits per-feature mean and standard deviation.
    pub fn fit_standardize(data: &Dataset) -> Result<Self> {
        let (values, nf) = f32_values(data, "Scaler::fit_standardize")?;
        let n = data.len() as f64;
        let mut mean = vec![0.0f64; nf];
        let mut min = vec![f64::INFINITY; nf];
        let mut max = vec![f64::NEG_INFINITY; nf];
        for row in values.chunks_exact(nf) {
            for (((m, lo), hi), &v) in mean
                .iter_mut()
                .zip(min.iter_mut())
                .zip(max.iter_mut())
                .zip(row)
            {
                let v = f64::from(v);
                *m += v;
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        // Second pass for the variance: stable where Σx² − n·mean² is not.
        let mut var = vec![0.0f64; nf];
        for row in values.chunks_exact(nf) {
            for ((s, &v), &m) in var.iter_mut().zip(row).zip(&mean) {
                let d = f64::from(v) - m;
                *s += d * d;
            }
        }
        let scale = var
            .iter()
            .zip(min.iter().zip(&max))
            // A constant feature (max == min) gets scale 1; testing the range
            // rather than std == 0 also catches the rounding noise of its mean.
            .map(|(&s, (lo, hi))| if hi > lo { (s / n).sqrt() } else { 1.0 })
            .map(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 })
            .collect();
        Ok(Self {
            kind: ScalerKind::Standardize,
            offset: mean,
            scale,
        })
    }

    /// Fits per-feature minimum and range.
    pub fn fit_min_max(data: &Dataset) -> Result<Self> {
        let (values, nf) = f32_values(data, "Scaler::fit_min_max")?;
        let mut min = vec![f64::INFINITY; nf];
        let mut max = vec![f64::NEG_INFINITY; nf];
        for row in values.chunks_exact(nf) {
            for ((lo, hi), &v) in min.iter_mut().zip(max.iter_mut()).zip(row) {
                let v = f64::from(v);
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        let scale = min
            .iter()
            .zip(&max)
            .map(|(lo, hi)| hi - lo)
            .map(|r| if r > 0.0 && r.is_finite() { r } else { 1.0 })
            .collect();
        Ok(Self {
            kind: ScalerKind::MinMax,
            offset: min,
            scale,
        })
    }

    /// A scaler from explicit offsets and scales (e.g. loaded from a model
    /// file). Lengths must match; scales must be finite and positive, offsets
    /// finite.
    pub fn from_parts(offset: Vec<f64>, scale: Vec<f64>) -> Result<Self> {
        if offset.len() != scale.len() || offset.is_empty() {
            return Err(DataError::InvalidScaler {
                message: format!(
                    "expected as many offsets as scales (at least 1), found {} and {}",
                    offset.len(),
                    scale.len()
                ),
            });
        }
        if let Some((j, s)) = scale
            .iter()
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(DataError::InvalidScaler {
                message: format!("feature {j}: expected a finite scale > 0, found {s}"),
            });
        }
        if let Some((j, o)) = offset.iter().enumerate().find(|(_, o)| !o.is_finite()) {
            return Err(DataError::InvalidScaler {
                message: format!("feature {j}: expected a finite offset, found {o}"),
            });
        }
        Ok(Self {
            kind: ScalerKind::Custom,
            offset,
            scale,
        })
    }

    /// How the scaler was made.
    pub fn kind(&self) -> ScalerKind {
        self.kind
    }

    /// Number of features it scales.
    pub fn n_features(&self) -> usize {
        self.offset.len()
    }

    /// The per-feature offsets (means or minima).
    pub fn offsets(&self) -> &[f64] {
        &self.offset
    }

    /// The per-feature scales (stds or ranges; 1 for constant features).
    pub fn scales(&self) -> &[f64] {
        &self.scale
    }

    /// Scales the `f32` features of `data` in place. Errors, leaving `data`
    /// unchanged, on `u8` features, a feature-count mismatch, or a result
    /// that is not finite.
    pub fn apply(&self, data: &mut Dataset) -> Result<()> {
        let nf = data.n_features();
        if nf != self.n_features() {
            return Err(DataError::FeatureCountMismatch {
                expected: self.n_features(),
                found: nf,
            });
        }
        let Some(values) = data.f32_features_mut() else {
            return Err(DataError::WrongKind {
                operation: "Scaler::apply",
                expected: "f32 features",
                found: "u8 image features (use PixelScale)",
            });
        };
        // Check first, write second, so a failure leaves the data as it was.
        for (i, row) in values.chunks_exact(nf).enumerate() {
            self.check_row(row, i)?;
        }
        for row in values.chunks_exact_mut(nf) {
            self.transform_row(row);
        }
        Ok(())
    }

    /// Scales one sample's features in place (e.g. for a prediction).
    pub fn apply_sample(&self, features: &mut [f32]) -> Result<()> {
        if features.len() != self.n_features() {
            return Err(DataError::FeatureCountMismatch {
                expected: self.n_features(),
                found: features.len(),
            });
        }
        self.check_row(features, 0)?;
        self.transform_row(features);
        Ok(())
    }

    fn value(&self, x: f32, offset: f64, scale: f64) -> f32 {
        ((f64::from(x) - offset) / scale) as f32
    }

    fn check_row(&self, row: &[f32], sample: usize) -> Result<()> {
        for (feature, ((&x, &o), &s)) in row.iter().zip(&self.offset).zip(&self.scale).enumerate() {
            let value = self.value(x, o, s);
            if !value.is_finite() {
                return Err(DataError::NonFiniteFeature {
                    sample,
                    feature,
                    value,
                });
            }
        }
        Ok(())
    }

    fn transform_row(&self, row: &mut [f32]) {
        for ((x, &o), &s) in row.iter_mut().zip(&self.offset).zip(&self.scale) {
            *x = self.value(*x, o, s);
        }
    }
}

fn f32_values<'a>(data: &'a Dataset, operation: &'static str) -> Result<(&'a [f32], usize)> {
    match data.features() {
        crate::Features::F32(values) => Ok((values, data.n_features())),
        crate::Features::U8 { .. } => Err(DataError::WrongKind {
            operation,
            expected: "f32 features",
            found: "u8 image features (use PixelScale)",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_feature_with_awkward_value_maps_to_zero() {
        // 0.1 is not exact in binary: the mean of many copies may differ
        // from it by rounding, which must not blow up into ±1 after scaling.
        let n = 1001;
        let train = Dataset::from_f32(vec![0.1; n], 1, vec![0; n], 1).unwrap();
        let s = Scaler::fit_standardize(&train).unwrap();
        assert_eq!(s.scales(), &[1.0]);
        let mut t = train.clone();
        s.apply(&mut t).unwrap();
        assert!(
            matches!(t.features(), crate::Features::F32(v) if v.iter().all(|x| x.abs() < 1e-6))
        );
    }

    #[test]
    fn rejects_u8_and_mismatch_and_leaves_data_on_error() {
        let img = Dataset::from_u8(vec![1, 2], 1, vec![0, 0], 1).unwrap();
        assert!(matches!(
            Scaler::fit_min_max(&img),
            Err(DataError::WrongKind { .. })
        ));
        let s = Scaler::from_parts(vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
        let mut one = Dataset::from_f32(vec![1.0], 1, vec![0], 1).unwrap();
        assert!(matches!(
            s.apply(&mut one),
            Err(DataError::FeatureCountMismatch {
                expected: 2,
                found: 1
            })
        ));
        let tiny = Scaler::from_parts(vec![0.0], vec![1e-300]).unwrap();
        let before = one.clone();
        assert!(matches!(
            tiny.apply(&mut one),
            Err(DataError::NonFiniteFeature { .. })
        ));
        assert_eq!(one, before);
        assert!(Scaler::from_parts(vec![0.0], vec![0.0]).is_err());
        assert!(Scaler::from_parts(vec![], vec![]).is_err());
        let mut row = [3.0f32];
        Scaler::from_parts(vec![1.0], vec![2.0])
            .unwrap()
            .apply_sample(&mut row)
            .unwrap();
        assert_eq!(row, [1.0]);
    }
}
