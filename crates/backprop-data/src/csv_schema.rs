//! [`CsvSchema`]: which columns of a CSV file a model was trained on, kept
//! in the model file's metadata, so that a file of new rows is read the
//! same way — with or without its label column.

use crate::csv::{CsvOptions, CsvTable, check_size, read_text};
use crate::csv_columns::Plan;
use crate::csv_parse::{Records, empty, finish, read_rows};
use crate::csv_text::looks_like_header;
use crate::{CsvColumn, DataError, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The columns of the table a model was trained on: how many, their header
/// names (if any), which is the label and which are the features.
///
/// A file of rows to predict ([`CsvSchema::load`]) must have the same
/// columns — the same header names in the same order, or the same count
/// without a header — or the same minus the label column. Its label, when
/// present, is not read.
///
/// ```
/// use backprop_data::csv::{load_csv_str, CsvOptions, CsvSchema};
/// let train = load_csv_str("id,a,b,species\n1,0.5,2,setosa\n2,0.7,1,virginica\n", "train.csv", &CsvOptions::default())?;
/// let schema = train.schema();
/// let mut metadata = std::collections::BTreeMap::new();
/// schema.write_metadata(&mut metadata); // what a model file keeps
/// let schema = CsvSchema::from_metadata(&metadata)?.expect("a CSV model");
/// let new = schema.parse_str("id,a,b\n7,0.6,1.5\n", "new.csv", &CsvOptions::default())?;
/// assert_eq!((new.features(), new.has_label()), (&[7.0, 0.6, 1.5][..], false));
/// let e = schema.parse_str("id,b,a\n7,1.5,0.6\n", "new.csv", &CsvOptions::default()).unwrap_err();
/// assert!(e.to_string().starts_with("new.csv:1: expected the training file's columns"), "{e}");
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvSchema {
    header: Option<Vec<String>>,
    n_columns: usize,
    label: Option<usize>,
    features: Vec<usize>,
}

/// The metadata keys a schema is written under.
const COLUMNS: &str = "csv.columns";
const N_COLUMNS: &str = "csv.n_columns";
const LABEL: &str = "csv.label";
const FEATURES: &str = "csv.features";

impl CsvSchema {
    pub(crate) fn of(table: &CsvTable) -> Self {
        Self {
            header: table.header.clone(),
            n_columns: table.n_columns,
            label: table.label,
            features: table.feature_columns.clone(),
        }
    }

    /// Columns of the training file.
    pub fn n_columns(&self) -> usize {
        self.n_columns
    }
    /// Every column's header name, if the training file had a header.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }
    /// Features the model reads.
    pub fn n_features(&self) -> usize {
        self.features.len()
    }
    fn column(&self, j: usize) -> CsvColumn {
        CsvColumn {
            number: j + 1,
            name: self.header.as_ref().and_then(|h| h.get(j).cloned()),
        }
    }
    /// The label column (1-based number and name).
    pub fn label_column(&self) -> Option<CsvColumn> {
        self.label.map(|j| self.column(j))
    }
    /// The feature columns, in the model's input order.
    pub fn feature_columns(&self) -> Vec<CsvColumn> {
        self.features.iter().map(|&j| self.column(j)).collect()
    }

    /// Writes the schema into a model's metadata, under keys starting with
    /// `csv.` (column numbers 1-based; names as one CSV record).
    pub fn write_metadata(&self, metadata: &mut BTreeMap<String, String>) {
        if let Some(header) = &self.header {
            metadata.insert(COLUMNS.into(), csv_record(header));
        }
        metadata.insert(N_COLUMNS.into(), self.n_columns.to_string());
        if let Some(j) = self.label {
            metadata.insert(LABEL.into(), (j + 1).to_string());
        }
        let features: Vec<String> = self.features.iter().map(|j| (j + 1).to_string()).collect();
        metadata.insert(FEATURES.into(), features.join(","));
    }

    /// The schema a model's metadata holds; `None` without one (a model not
    /// trained on a CSV table). Metadata that does not describe valid
    /// columns is [`DataError::CsvMetadata`].
    pub fn from_metadata(metadata: &BTreeMap<String, String>) -> Result<Option<Self>> {
        let Some(n) = metadata.get(N_COLUMNS) else {
            return Ok(None);
        };
        let bad = |key: &str, message: String| DataError::CsvMetadata {
            key: key.into(),
            message,
        };
        let number = |key: &str, s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| bad(key, format!("expected a column number, found {s:?}")))
        };
        let n_columns = number(N_COLUMNS, n)?;
        let column = |key: &str, s: &str| match number(key, s)? {
            j @ 1.. if j <= n_columns => Ok(j - 1),
            j => Err(bad(
                key,
                format!("expected a column from 1 to {n_columns}, found {j}"),
            )),
        };
        let label = metadata.get(LABEL).map(|s| column(LABEL, s)).transpose()?;
        let list = metadata.get(FEATURES).map(String::as_str).unwrap_or("");
        let mut features = Vec::new();
        for s in list.split(',') {
            let j = column(FEATURES, s)?;
            if Some(j) == label || features.contains(&j) {
                return Err(bad(
                    FEATURES,
                    format!("column {} is the label or listed twice", j + 1),
                ));
            }
            features.push(j);
        }
        let header = match metadata.get(COLUMNS) {
            None => None,
            Some(s) => {
                let names = parse_record(s).map_err(|m| bad(COLUMNS, m))?;
                if names.len() != n_columns {
                    return Err(bad(
                        COLUMNS,
                        format!("expected {n_columns} names, found {}", names.len()),
                    ));
                }
                Some(names)
            }
        };
        Ok(Some(Self {
            header,
            n_columns,
            label,
            features,
        }))
    }

    /// Reads a file of rows (raw or gzip) with this schema's columns; the
    /// delimiter, header, missing-value and size options of `opts` apply,
    /// its label and feature choices do not.
    pub fn load(&self, path: impl AsRef<Path>, opts: &CsvOptions) -> Result<CsvTable> {
        let path = path.as_ref();
        let text = read_text(path, opts.max_bytes)?;
        self.parse(&text, path.display().to_string(), opts)
    }

    /// [`load`](Self::load) on text, calling it `source` in messages.
    pub fn parse_str(&self, text: &str, source: &str, opts: &CsvOptions) -> Result<CsvTable> {
        check_size(text, source, opts.max_bytes)?;
        self.parse(text, source.to_string(), opts)
    }

    fn parse(&self, text: &str, file: String, opts: &CsvOptions) -> Result<CsvTable> {
        let mut records = Records::new(text, opts.delimiter, &file)?;
        let Some(first_line) = records.next_line()? else {
            return Err(empty(&file));
        };
        let first: Vec<String> = records.cells().iter().map(|c| c.to_string()).collect();
        let without_label = self.label.map(|_| self.n_columns - 1);
        let with_label = if first.len() == self.n_columns {
            true
        } else if Some(first.len()) == without_label {
            false
        } else {
            return Err(DataError::CsvColumns {
                file,
                line: first_line,
                message: self.expected_columns(format!("{} columns", first.len())),
            });
        };
        let expected: Option<Vec<String>> = self.header.as_ref().map(|h| {
            (0..h.len())
                .filter(|&j| with_label || Some(j) != self.label)
                .map(|j| h[j].clone())
                .collect()
        });
        let has_header = opts.has_header.unwrap_or_else(|| {
            expected.as_ref() == Some(&first) || {
                let cells: Vec<_> = first.iter().map(|c| c.as_str().into()).collect();
                let skip: Vec<usize> = self.label.filter(|_| with_label).into_iter().collect();
                looks_like_header(&cells, &skip)
            }
        });
        if has_header
            && let Some(expected) = &expected
            && expected != &first
        {
            let j = (0..first.len())
                .find(|&j| expected.get(j) != first.get(j))
                .unwrap_or(0);
            return Err(DataError::CsvColumns {
                file,
                line: first_line,
                message: self.expected_columns(format!(
                    "{first:?}: column {} is {:?}, not {:?}",
                    j + 1,
                    first.get(j).map(String::as_str).unwrap_or_default(),
                    expected.get(j).map(String::as_str).unwrap_or_default()
                )),
            });
        }
        let shift = |j: usize| match self.label {
            Some(l) if !with_label && j > l => j - 1,
            _ => j,
        };
        let plan = Plan {
            label: None,
            features: self.features.iter().map(|&j| shift(j)).collect(),
        };
        let names = has_header.then_some(first);
        let mut table = CsvTable::new(
            file.clone(),
            names,
            records.len(),
            None,
            plan.features.clone(),
        );
        let first_row = (!has_header).then_some(first_line);
        let detected = opts.has_header.is_none();
        read_rows(
            &mut records,
            &mut table,
            &plan,
            opts.missing,
            first_row,
            detected,
            first_line,
        )?;
        finish(table)
    }

    /// "expected the training file's columns …, found {found}".
    fn expected_columns(&self, found: String) -> String {
        let label = self.label_column();
        let without = label
            .as_ref()
            .map(|c| format!(" (or those without the label, {c})"))
            .unwrap_or_default();
        match &self.header {
            Some(h) => {
                format!("expected the training file's columns {h:?}{without}, found {found}")
            }
            None => format!(
                "expected the training file's {} columns{without}, found {found}",
                self.n_columns
            ),
        }
    }
}

/// `cells` as one CSV record (quoted where needed), without a line break.
fn csv_record(cells: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let bytes = w
        .write_record(cells)
        .ok()
        .and_then(|()| w.into_inner().ok())
        .unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap_or_default();
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// The cells of one CSV record written by [`csv_record`].
fn parse_record(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes());
    let mut record = csv::StringRecord::new();
    match r.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_string).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}
