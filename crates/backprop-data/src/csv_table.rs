//! [`CsvTable`]: a parsed CSV table — the feature columns as `f32`, the
//! label cells as text (and as numbers when they all are), and where each
//! row came from.

use crate::csv_schema::CsvSchema;
use crate::{CsvColumn, Result, split_indices};

/// The label cells of a table, one after another in one string.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LabelCells {
    text: String,
    ends: Vec<usize>,
    /// Every cell as a number, when every cell is one.
    pub(crate) numbers: Option<Vec<f64>>,
}

impl LabelCells {
    pub(crate) fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }
    pub(crate) fn get(&self, row: usize) -> Option<&str> {
        let end = *self.ends.get(row)?;
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        self.text.get(start..end)
    }
    fn select(&self, rows: &[usize]) -> Self {
        let mut out = Self::default();
        for &r in rows {
            out.push(self.get(r).unwrap_or_default());
        }
        out.numbers = self
            .numbers
            .as_ref()
            .map(|n| rows.iter().filter_map(|&r| n.get(r).copied()).collect());
        out
    }
}

/// A parsed CSV table: the feature columns (in the order chosen, file order
/// by default) and the label column's cells, one row per data line.
///
/// Column numbers in its accessors and messages are **1-based**.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    pub(crate) source: String,
    /// Every column's header name, if the file has a header.
    pub(crate) header: Option<Vec<String>>,
    pub(crate) n_columns: usize,
    /// The label's 0-based file column; `None` for a file of rows to
    /// predict without one.
    pub(crate) label: Option<usize>,
    /// The features' 0-based file columns.
    pub(crate) feature_columns: Vec<usize>,
    feature_names: Option<Vec<String>>,
    /// Row after row; NaN where a value is missing and was kept.
    pub(crate) features: Vec<f32>,
    pub(crate) labels: LabelCells,
    pub(crate) lines: Vec<usize>,
    pub(crate) dropped: Vec<usize>,
}

impl CsvTable {
    pub(crate) fn new(
        source: String,
        header: Option<Vec<String>>,
        n_columns: usize,
        label: Option<usize>,
        feature_columns: Vec<usize>,
    ) -> Self {
        let feature_names = header.as_ref().map(|h| {
            feature_columns
                .iter()
                .map(|&j| h.get(j).cloned().unwrap_or_default())
                .collect()
        });
        Self {
            source,
            header,
            n_columns,
            label,
            feature_columns,
            feature_names,
            features: Vec::new(),
            labels: LabelCells::default(),
            lines: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// The file name used in messages.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Number of data rows (at least 1).
    pub fn len(&self) -> usize {
        self.lines.len()
    }
    /// Always `false`: a table without data rows is an error.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
    /// Features per row.
    pub fn n_features(&self) -> usize {
        self.feature_columns.len()
    }
    /// Columns of the file (features, label and columns not read).
    pub fn n_columns(&self) -> usize {
        self.n_columns
    }
    /// The features, row after row (NaN where a missing value was kept by
    /// [`MissingValues::Keep`](crate::csv::MissingValues::Keep)).
    pub fn features(&self) -> &[f32] {
        &self.features
    }
    pub(crate) fn features_mut(&mut self) -> &mut [f32] {
        &mut self.features
    }
    /// How many features are missing (kept as NaN, not yet filled in).
    pub fn missing_features(&self) -> usize {
        self.features.iter().filter(|x| x.is_nan()).count()
    }
    /// The label of each row as a number, when the table has a label column
    /// and every label in it is a number; `None` otherwise (text labels).
    pub fn labels(&self) -> Option<&[f64]> {
        self.labels.numbers.as_deref()
    }
    /// The label cell of row `row`, as written (trimmed, unquoted).
    pub fn label(&self, row: usize) -> Option<&str> {
        self.labels.get(row)
    }
    /// Whether the table has a label column (a file of rows to predict may
    /// not).
    pub fn has_label(&self) -> bool {
        self.label.is_some()
    }
    /// Every column's header name, if the file has a header.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }
    /// The feature columns' header names, if the file has a header.
    pub fn feature_names(&self) -> Option<&[String]> {
        self.feature_names.as_deref()
    }
    /// The label column's header name, if the file has a header.
    pub fn label_name(&self) -> Option<&str> {
        self.header.as_ref()?.get(self.label?).map(String::as_str)
    }
    /// The label column (1-based number and header name).
    pub fn label_column(&self) -> Option<CsvColumn> {
        self.label.map(|j| self.column(j))
    }
    /// The file column of feature `f` (0-based among the features; the
    /// column's number is 1-based among the file's columns).
    pub fn feature_column(&self, f: usize) -> Option<CsvColumn> {
        self.feature_columns.get(f).map(|&j| self.column(j))
    }
    /// The file column with 0-based index `j`, as messages name it.
    pub(crate) fn column(&self, j: usize) -> CsvColumn {
        CsvColumn {
            number: j + 1,
            name: self.header.as_ref().and_then(|h| h.get(j).cloned()),
        }
    }
    /// The 1-based file line of data row `row`.
    pub fn line_of(&self, row: usize) -> Option<usize> {
        self.lines.get(row).copied()
    }
    /// The lines of the rows skipped for a missing value
    /// ([`MissingValues::Drop`](crate::csv::MissingValues::Drop), or a
    /// missing label with [`Keep`](crate::csv::MissingValues::Keep)).
    pub fn dropped_lines(&self) -> &[usize] {
        &self.dropped
    }
    /// Which columns the table read, and how: what a model trained on it
    /// must find in a file of new rows.
    pub fn schema(&self) -> CsvSchema {
        CsvSchema::of(self)
    }

    /// The rows `rows`, in that order, as a table of their own (same
    /// columns; no dropped lines).
    pub fn select(&self, rows: &[usize]) -> CsvTable {
        let nf = self.n_features();
        let mut out = CsvTable::new(
            self.source.clone(),
            self.header.clone(),
            self.n_columns,
            self.label,
            self.feature_columns.clone(),
        );
        for &r in rows {
            if let (Some(x), Some(&line)) =
                (self.features.get(r * nf..(r + 1) * nf), self.lines.get(r))
            {
                out.features.extend_from_slice(x);
                out.lines.push(line);
            }
        }
        out.labels = self.labels.select(rows);
        out
    }

    /// Splits into `(train, test)` tables, each in file order, exactly as
    /// [`Dataset::split`](crate::Dataset::split) splits a dataset of these
    /// rows with the same `fraction` and `seed`: split first, then fit a
    /// [`MeanImputer`](crate::csv::MeanImputer) on the training part.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(CsvTable, CsvTable)> {
        let (train, test) = split_indices(self.len(), fraction, seed)?;
        Ok((self.select(&train), self.select(&test)))
    }
}
