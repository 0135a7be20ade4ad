//! Rows of examples/csv's tables beyond what the data crate does: where a
//! test value that goes out of range when scaled came from, the note on
//! rows dropped for a missing value, and regression targets.

use super::csv_args::fail;
use backprop::data::csv::CsvTable;
use backprop::data::{CsvColumn, DataError, Dataset, Features, Targets};
use std::error::Error;

/// Where the rows of the `--test` file came from, to name the line of a
/// value that goes out of range when scaled.
pub struct TestRows {
    file: String,
    lines: Vec<usize>,
    label: Option<CsvColumn>,
    features: Vec<CsvColumn>,
}

impl TestRows {
    /// The rows of `table`.
    pub fn of(table: &CsvTable) -> Self {
        Self {
            file: table.source().to_string(),
            lines: (0..table.len())
                .map(|r| table.line_of(r).unwrap_or(0))
                .collect(),
            label: table.label_column(),
            features: (0..table.n_features())
                .filter_map(|f| table.feature_column(f))
                .collect(),
        }
    }

    /// `e`, for a non-finite scaled value of the test set, with the file,
    /// line, column and raw value; any other error unchanged.
    pub fn locate(rows: Option<&Self>, e: DataError, raw: &Dataset) -> Box<dyn Error> {
        let Some(rows) = rows else {
            return e.into();
        };
        let nf = raw.n_features();
        let (sample, column, value, scaled) = match &e {
            DataError::NonFiniteFeature {
                sample,
                feature,
                value,
            } => {
                let (Features::F32(xs), Some(column)) =
                    (raw.features(), rows.features.get(*feature))
                else {
                    return e.into();
                };
                let x = xs.get(sample * nf + feature).copied().unwrap_or(f32::NAN);
                (*sample, column.clone(), x, *value)
            }
            DataError::NonFiniteTarget { sample, value, .. } => {
                let (Targets::Values { values, .. }, Some(column)) = (raw.targets(), &rows.label)
                else {
                    return e.into();
                };
                let y = values.get(*sample).copied().unwrap_or(f32::NAN);
                (*sample, column.clone(), y, *value)
            }
            _ => return e.into(),
        };
        fail(format!(
            "{}:{}: {column}: the value {} is out of range: scaled with the training file's \
             mean and spread it becomes {scaled}; the test file must be on the training file's scale",
            rows.file,
            rows.lines.get(sample).copied().unwrap_or(0),
            if value.abs() >= 1e6 {
                format!("{value:e}")
            } else {
                value.to_string()
            },
        ))
    }
}

/// The note on rows skipped for a missing value, in the training file and
/// the test file: how many, and the first lines of each file.
pub fn dropped_note(train: &CsvTable, test: Option<&CsvTable>) -> Option<(usize, String)> {
    const SHOWN: usize = 8;
    let mut total = 0;
    let mut parts = Vec::new();
    for t in std::iter::once(train).chain(test) {
        let lines = t.dropped_lines();
        if lines.is_empty() {
            continue;
        }
        total += lines.len();
        let mut shown: Vec<String> = lines.iter().take(SHOWN).map(usize::to_string).collect();
        if lines.len() > SHOWN {
            shown.push("…".into());
        }
        let what = if lines.len() == 1 { "line" } else { "lines" };
        parts.push(format!("{} {what} {}", t.source(), shown.join(", ")));
    }
    (total > 0).then(|| {
        let rows = if total == 1 {
            "1 row"
        } else {
            &format!("{total} rows")
        };
        (
            total,
            format!("dropped {rows} with a missing value: {}", parts.join("; ")),
        )
    })
}

/// The features of a CSV-built dataset (always `f32`).
fn f32_features(data: &Dataset) -> Result<&[f32], Box<dyn Error>> {
    match data.features() {
        Features::F32(v) => Ok(v),
        Features::U8 { .. } => Err(fail("expected f32 features".into())),
    }
}

/// The regression targets of a dataset.
pub fn target_values(data: &Dataset) -> Result<&[f32], Box<dyn Error>> {
    match data.targets() {
        Targets::Values { values, .. } => Ok(values),
        Targets::Classes { .. } => Err(fail("expected regression targets".into())),
    }
}

/// `data` with its targets mapped to `(y − mean) / std`.
pub fn standardize_targets(data: &Dataset, mean: f64, std: f64) -> Result<Dataset, Box<dyn Error>> {
    let targets = target_values(data)?
        .iter()
        .map(|&y| ((f64::from(y) - mean) / std) as f32)
        .collect();
    Ok(Dataset::regression(
        f32_features(data)?.to_vec(),
        data.n_features(),
        targets,
        1,
    )?)
}
