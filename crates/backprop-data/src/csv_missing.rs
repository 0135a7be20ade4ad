//! Missing values in a CSV table: which cells are missing
//! ([`is_missing`]), what the loader does with them ([`MissingValues`]),
//! and the [`MeanImputer`] that fills them with the training means.

use crate::csv::CsvTable;
use crate::{DataError, Result};
use std::fmt;
use std::str::FromStr;

/// The cells that mean "no value", as written by the tools that write
/// tables: an empty cell (pandas, spreadsheets), `?` (UCI and Weka files),
/// and `NA`, `N/A` and `NaN` in any letter case (R, numpy, pandas). Other
/// text in a numeric column is an error, not a missing value.
pub const MISSING_MARKERS: &[&str] = &["", "?", "NA", "N/A", "NaN"];

/// Whether a (trimmed) cell is a missing value: one of [`MISSING_MARKERS`],
/// ignoring letter case.
///
/// ```
/// use backprop_data::csv::is_missing;
/// assert!(is_missing("") && is_missing("NA") && is_missing("nan") && is_missing("?"));
/// assert!(!is_missing("0") && !is_missing("none") && !is_missing("inf"));
/// ```
pub fn is_missing(cell: &str) -> bool {
    MISSING_MARKERS.iter().any(|m| m.eq_ignore_ascii_case(cell))
}

/// What the loader does with a missing value (see [`is_missing`]) in a
/// column it reads (the label and the features; not a dropped column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingValues {
    /// [`DataError::CsvMissing`], naming the line and the column (the default).
    #[default]
    Error,
    /// The row is skipped ([`CsvTable::dropped_lines`] lists it).
    Drop,
    /// A missing feature is kept as NaN, for a [`MeanImputer`] to fill; a
    /// row whose label is missing is skipped (there is nothing to learn from
    /// it, and no label to fill in).
    Keep,
}

impl MissingValues {
    /// The name of the command-line mode: `error`, `drop`, or `mean` (which
    /// keeps missing features for a [`MeanImputer`]).
    pub fn name(self) -> &'static str {
        match self {
            MissingValues::Error => "error",
            MissingValues::Drop => "drop",
            MissingValues::Keep => "mean",
        }
    }
}

impl fmt::Display for MissingValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MissingValues {
    type Err = String;
    /// `error`, `drop` or `mean` ([`MissingValues::Keep`]).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "error" => Ok(MissingValues::Error),
            "drop" => Ok(MissingValues::Drop),
            "mean" => Ok(MissingValues::Keep),
            _ => Err(format!(
                "expected error, drop or mean for missing values, found {s:?}"
            )),
        }
    }
}

/// Fills missing features (NaN, kept by [`MissingValues::Keep`]) with each
/// feature's mean over the values present in the table it was fitted on —
/// the training table only, then applied unchanged to test and new rows,
/// like a fitted [`Scaler`](crate::Scaler).
///
/// ```
/// use backprop_data::csv::{load_csv_str, CsvOptions, MeanImputer, MissingValues};
/// let opts = CsvOptions { missing: MissingValues::Keep, ..CsvOptions::default() };
/// let mut train = load_csv_str("a,b,y\n1,,0\n3,10,1\nNA,20,0\n", "t.csv", &opts)?;
/// let imputer = MeanImputer::fit(&train)?;
/// assert_eq!(imputer.means(), &[2.0, 15.0]);
/// assert_eq!(imputer.apply(&mut train)?, 2);
/// assert_eq!(train.features(), &[1.0, 15.0, 3.0, 10.0, 2.0, 20.0]);
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MeanImputer {
    means: Vec<f64>,
}

impl MeanImputer {
    /// The mean of each feature of `table` over its present (non-NaN)
    /// values. A feature with no value at all is
    /// [`DataError::CsvNoValues`].
    pub fn fit(table: &CsvTable) -> Result<Self> {
        let nf = table.n_features();
        let mut sum = vec![0.0f64; nf];
        let mut count = vec![0usize; nf];
        for row in table.features().chunks_exact(nf.max(1)) {
            for ((s, c), &x) in sum.iter_mut().zip(count.iter_mut()).zip(row) {
                if !x.is_nan() {
                    *s += f64::from(x);
                    *c += 1;
                }
            }
        }
        if let Some(f) = count.iter().position(|&c| c == 0) {
            return Err(DataError::CsvNoValues {
                file: table.source().to_string(),
                column: table.feature_column(f).unwrap_or(crate::CsvColumn {
                    number: f + 1,
                    name: None,
                }),
            });
        }
        let means = sum.iter().zip(&count).map(|(s, &c)| s / c as f64).collect();
        Ok(Self { means })
    }

    /// An imputer with these means (one per feature, each finite), as a
    /// model file recorded them.
    pub fn from_means(means: Vec<f64>) -> Result<Self> {
        if means.is_empty() {
            return Err(DataError::InvalidImputer {
                message: "expected one mean per feature, found none".into(),
            });
        }
        if let Some((f, m)) = means
            .iter()
            .enumerate()
            .find(|(_, m)| !(m.is_finite() && f64::from(**m as f32).is_finite()))
        {
            return Err(DataError::InvalidImputer {
                message: format!("feature {}: expected a finite mean, found {m}", f + 1),
            });
        }
        Ok(Self { means })
    }

    /// The mean of each feature.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Replaces every missing (NaN) feature of `table` by its mean; returns
    /// how many were filled. The table must have as many features as the
    /// imputer has means.
    pub fn apply(&self, table: &mut CsvTable) -> Result<usize> {
        let nf = table.n_features();
        if nf != self.means.len() {
            return Err(DataError::FeatureCountMismatch {
                expected: self.means.len(),
                found: nf,
            });
        }
        let mut filled = 0;
        for row in table.features_mut().chunks_exact_mut(nf) {
            for (x, &m) in row.iter_mut().zip(&self.means) {
                if x.is_nan() {
                    *x = m as f32;
                    filled += 1;
                }
            }
        }
        Ok(filled)
    }
}
