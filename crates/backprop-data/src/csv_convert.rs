//! A [`CsvTable`] into a [`Dataset`]: its labels as classes (numbers or
//! text, through a [`ClassMap`]) or as regression targets.

use crate::class_map::class_value;
use crate::csv::{ClassMap, CsvTable};
use crate::{DataError, Dataset, Result};

impl CsvTable {
    fn label_error(&self, row: usize, reason: String) -> DataError {
        DataError::CsvLabel {
            file: self.source.clone(),
            line: self.line_of(row).unwrap_or(0),
            column: self.label_column().unwrap_or_else(|| self.column(0)),
            reason,
            found: self.label(row).unwrap_or_default().to_string(),
        }
    }

    /// Errors unless the table has a label column.
    fn check_label(&self) -> Result<()> {
        if !self.has_label() {
            return Err(DataError::Csv {
                file: self.source.clone(),
                message: "the table has no label column to train on".into(),
            });
        }
        Ok(())
    }

    /// Errors unless the table has a label column and no missing feature
    /// left unfilled.
    fn check_ready(&self) -> Result<()> {
        self.check_label()?;
        let nf = self.n_features().max(1);
        if let Some(i) = self.features.iter().position(|x| x.is_nan()) {
            return Err(DataError::Csv {
                file: self.source.clone(),
                message: format!(
                    "line {}: {}: a missing value kept by MissingValues::Keep was not filled in \
                     (MeanImputer::apply fills it)",
                    self.line_of(i / nf).unwrap_or(0),
                    self.feature_column(i % nf)
                        .unwrap_or_else(|| self.column(0))
                ),
            });
        }
        Ok(())
    }

    /// The classes of this table's labels: numeric labels (each a
    /// non-negative integer, at most 2⁵³) sorted by value, text labels by
    /// their bytes; see [`ClassMap`].
    pub fn class_map(&self) -> Result<ClassMap> {
        self.check_label()?;
        match self.labels() {
            Some(numbers) => {
                let mut values = Vec::with_capacity(numbers.len());
                for (row, &v) in numbers.iter().enumerate() {
                    let Some(v) = class_value(v) else {
                        return Err(self.label_error(
                            row,
                            "expected a non-negative integer class label".into(),
                        ));
                    };
                    values.push(v);
                }
                ClassMap::from_values(values)
            }
            None => ClassMap::from_names((0..self.len()).filter_map(|r| self.label(r))),
        }
    }

    /// A classification dataset: the distinct labels, sorted, become classes
    /// `0..k` (so labels `{1, 3, 7}` become `{0, 1, 2}`, and `{setosa,
    /// versicolor}` `{0, 1}`). Returns the [`ClassMap`] too: apply it to the
    /// test file with [`CsvTable::into_classification_with`] so both agree.
    pub fn into_classification(self) -> Result<(Dataset, ClassMap)> {
        let map = self.class_map()?;
        let ds = self.into_classification_with(&map)?;
        Ok((ds, map))
    }

    /// A classification dataset with a given class map (fitted on the
    /// training file). A label outside the map is an error naming its line.
    pub fn into_classification_with(self, map: &ClassMap) -> Result<Dataset> {
        self.check_ready()?;
        let mut labels = Vec::with_capacity(self.len());
        for row in 0..self.len() {
            match self.label(row).and_then(|l| map.class_of_label(l)) {
                Some(c) => labels.push(c),
                None => {
                    return Err(self.label_error(
                        row,
                        format!("expected one of the classes {}", map.describe()),
                    ));
                }
            }
        }
        let nf = self.n_features();
        Dataset::from_f32(self.features, nf, labels, map.len())
    }

    /// A regression dataset with the label column as its single `f32` target.
    pub fn into_regression(self) -> Result<Dataset> {
        self.check_ready()?;
        let Some(numbers) = self.labels() else {
            let row = (0..self.len())
                .find(|&r| self.label(r).is_none_or(|l| l.parse::<f64>().is_err()))
                .unwrap_or(0);
            return Err(DataError::CsvValue {
                file: self.source.clone(),
                line: self.line_of(row).unwrap_or(0),
                column: self.label_column().unwrap_or_else(|| self.column(0)),
                found: self.label(row).unwrap_or_default().to_string(),
            });
        };
        let mut targets = Vec::with_capacity(numbers.len());
        for (row, &v) in numbers.iter().enumerate() {
            let t = v as f32;
            if !t.is_finite() {
                return Err(self.label_error(row, "expected a target within f32 range".into()));
            }
            targets.push(t);
        }
        let nf = self.n_features();
        Dataset::regression(self.features, nf, targets, 1)
    }
}
