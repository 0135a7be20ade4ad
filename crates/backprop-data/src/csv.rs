//! A small hand-written CSV loader for numeric tables.
//!
//! Every cell must be a finite number (the label column included). The
//! format handled:
//!
//! - UTF-8 text (a byte that is not is an error naming its line), at most
//!   [`CsvOptions::max_bytes`] of it ([`MAX_CSV_BYTES`], 1 GiB, by default,
//!   counted after decompression, so a gzip bomb stops there);
//! - one row per line (`\n`, `\r\n` or a lone `\r`, as old Mac files
//!   have); blank lines are skipped; a UTF-8 BOM is ignored; the file may be
//!   gzip-compressed (detected by content);
//! - cells separated by [`CsvOptions::delimiter`] and trimmed of whitespace;
//!   a cell may be double-quoted (`"3.5"`, `"a ""name"""`), but a quoted
//!   cell cannot span lines;
//! - an optional header row: with [`CsvOptions::has_header`] `None` the first
//!   row is a header when at least half of its cells are not numbers, so a
//!   first data row with one typo (`1,abc,0`) is read as data and its typo
//!   reported, not taken for a header;
//! - every row has as many cells as the first.
//!
//! Errors name the file, the 1-based line and the 1-based column (with its
//! header name if there is one):
//!
//! ```
//! use backprop_data::csv::{load_csv_str, CsvOptions};
//! let text = "age,height,label\n31,1.80,1\nabc,1.65,0\n";
//! let e = load_csv_str(text, "data.csv", &CsvOptions::default()).unwrap_err();
//! assert_eq!(e.to_string(), "data.csv:3: column 1 (\"age\"): expected a number, found \"abc\"");
//! ```
//!
//! A [`CsvTable`] holds the features (`f32`, sample-major) and the raw label
//! values (`f64`); turn it into a [`Dataset`] with
//! [`CsvTable::into_classification`] or [`CsvTable::into_regression`].
//!
//! ```
//! use backprop_data::csv::{load_csv_str, CsvOptions, LabelColumn};
//! let text = "species,petal_length,petal_width\n2,5.1,1.8\n0,1.4,0.2\n2,5.9,2.1\n";
//! let opts = CsvOptions { label: LabelColumn::Name("species".into()), ..CsvOptions::default() };
//! let table = load_csv_str(text, "iris.csv", &opts)?;
//! assert_eq!(table.feature_names(), Some(&["petal_length".to_string(), "petal_width".to_string()][..]));
//! let (ds, classes) = table.into_classification()?;
//! assert_eq!(classes.values(), &[0, 2]); // label values 0 and 2 become classes 0 and 1
//! assert_eq!(ds.labels(), &[1, 0, 1]);
//! # Ok::<(), backprop_data::DataError>(())
//! ```

pub use crate::class_map::ClassMap;
use crate::class_map::class_value;
use crate::csv_text::{encoding_error, lines, looks_like_header, split_fields};
use crate::idx::{decompressed, open, read_error};
use crate::{CsvColumn, DataError, Dataset, Result};
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// Which column holds the label (or regression target).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LabelColumn {
    /// The last column (the default).
    #[default]
    Last,
    /// The column at this **0-based** index (error messages count from 1).
    Index(usize),
    /// The column with this header name (the file must have a header).
    Name(String),
}

/// The most bytes of CSV text read by default (1 GiB), counted after
/// decompression; see [`CsvOptions::max_bytes`].
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether the first row is a header (`Some(true)`), data
    /// (`Some(false)`), or detected (`None`, the default): a header when at
    /// least half of its cells are not numbers. A detected data row with a
    /// cell that is not a number is [`DataError::CsvFirstRow`], which says
    /// how to declare a header.
    pub has_header: Option<bool>,
    /// The cell separator, an ASCII character other than `"` or a line break
    /// (default `b','`).
    pub delimiter: u8,
    /// The label column.
    pub label: LabelColumn,
    /// The most bytes of text read (after decompression): a file holding
    /// more is [`DataError::CsvTooLarge`], and no more of it is read or
    /// decompressed. Default [`MAX_CSV_BYTES`]. Parsed, a table takes up to
    /// about twice its text in memory (`1,` is two bytes, its `f32` four).
    pub max_bytes: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            has_header: None,
            delimiter: b',',
            label: LabelColumn::Last,
            max_bytes: MAX_CSV_BYTES,
        }
    }
}

/// A parsed numeric CSV table: features (every column but the label's, in
/// file order) and the label column's raw values.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    source: String,
    feature_names: Option<Vec<String>>,
    label_name: Option<String>,
    label_column: usize,
    features: Vec<f32>,
    labels: Vec<f64>,
    lines: Vec<usize>,
    n_features: usize,
}

impl CsvTable {
    /// The file name used in messages.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Number of data rows (at least 1).
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Always `false`: a table without data rows is an error.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Features per row (the number of columns minus one).
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// The features, row after row.
    pub fn features(&self) -> &[f32] {
        &self.features
    }
    /// The label column's values, one per row.
    pub fn labels(&self) -> &[f64] {
        &self.labels
    }
    /// The feature columns' header names, if the file has a header.
    pub fn feature_names(&self) -> Option<&[String]> {
        self.feature_names.as_deref()
    }
    /// The label column's header name, if the file has a header.
    pub fn label_name(&self) -> Option<&str> {
        self.label_name.as_deref()
    }
    /// The label column's 0-based index in the file.
    pub fn label_column(&self) -> usize {
        self.label_column
    }
    /// The 1-based file line of data row `row`.
    pub fn line_of(&self, row: usize) -> Option<usize> {
        self.lines.get(row).copied()
    }

    fn label_error(&self, row: usize, reason: String) -> DataError {
        DataError::CsvLabel {
            file: self.source.clone(),
            line: self.line_of(row).unwrap_or(0),
            column: CsvColumn {
                number: self.label_column + 1,
                name: self.label_name.clone(),
            },
            reason,
            found: self.labels.get(row).copied().unwrap_or(f64::NAN),
        }
    }

    /// The label values as class values: each must be a non-negative integer
    /// (at most 2⁵³).
    fn class_values(&self) -> Result<Vec<u64>> {
        self.labels
            .iter()
            .enumerate()
            .map(|(row, &v)| {
                class_value(v).ok_or_else(|| {
                    self.label_error(row, "expected a non-negative integer class label".into())
                })
            })
            .collect()
    }

    /// A classification dataset: the distinct label values, sorted, become
    /// classes `0..k` (so labels `{1, 3, 7}` become `{0, 1, 2}`). Returns the
    /// [`ClassMap`] too: apply it to the test file with
    /// [`CsvTable::into_classification_with`] so both agree.
    pub fn into_classification(self) -> Result<(Dataset, ClassMap)> {
        let values = self.class_values()?;
        let map = ClassMap::from_values(values.iter().copied())?;
        let ds = self.into_classes(&values, &map)?;
        Ok((ds, map))
    }

    /// A classification dataset with a given class map (fitted on the
    /// training file). A label outside the map is an error naming its line.
    pub fn into_classification_with(self, map: &ClassMap) -> Result<Dataset> {
        let values = self.class_values()?;
        self.into_classes(&values, map)
    }

    fn into_classes(self, values: &[u64], map: &ClassMap) -> Result<Dataset> {
        let mut labels = Vec::with_capacity(values.len());
        for (row, &v) in values.iter().enumerate() {
            match map.class_of(v) {
                Some(c) => labels.push(c),
                None => {
                    return Err(self.label_error(
                        row,
                        format!("expected one of the classes {:?}", map.values()),
                    ));
                }
            }
        }
        Dataset::from_f32(self.features, self.n_features, labels, map.len())
    }

    /// A regression dataset with the label column as its single `f32` target.
    pub fn into_regression(self) -> Result<Dataset> {
        let mut targets = Vec::with_capacity(self.labels.len());
        for (row, &v) in self.labels.iter().enumerate() {
            let t = v as f32;
            if !t.is_finite() {
                return Err(self.label_error(row, "expected a target within f32 range".into()));
            }
            targets.push(t);
        }
        Dataset::regression(self.features, self.n_features, targets, 1)
    }
}

/// Reads a CSV file (raw or gzip); see the [module docs](self).
pub fn load_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<CsvTable> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let (reader, gz) = decompressed(open(path)?, path)?;
    let mut bytes = Vec::new();
    reader
        .take(opts.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error(path, gz))?;
    if bytes.len() as u64 > opts.max_bytes {
        return Err(DataError::CsvTooLarge {
            file,
            max_bytes: opts.max_bytes,
            gzip: gz,
        });
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => return Err(encoding_error(&bytes, e.valid_up_to(), file)),
    };
    parse(text, file, opts)
}

/// Parses CSV text, calling it `source` in error messages.
pub fn load_csv_str(text: &str, source: &str, opts: &CsvOptions) -> Result<CsvTable> {
    if text.len() as u64 > opts.max_bytes {
        return Err(DataError::CsvTooLarge {
            file: source.to_string(),
            max_bytes: opts.max_bytes,
            gzip: false,
        });
    }
    parse(text, source.to_string(), opts)
}

fn parse(text: &str, file: String, opts: &CsvOptions) -> Result<CsvTable> {
    let d = opts.delimiter;
    if !d.is_ascii() || matches!(d, b'"' | b'\n' | b'\r') {
        return Err(DataError::Csv {
            file,
            message: format!(
                "unusable delimiter {:?}: expected an ASCII character other than a quote or a line break",
                char::from(d)
            ),
        });
    }
    let delim = char::from(d);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = lines(text).filter(|(_, l)| !l.trim().is_empty());
    let Some((first_line, first)) = rows.next() else {
        return Err(DataError::Csv {
            file,
            message: "no rows: the file is empty".into(),
        });
    };

    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    if split_fields(first, delim, &mut fields).is_err() {
        return Err(DataError::CsvQuote {
            file,
            line: first_line,
        });
    }
    let n_cols = fields.len();
    if n_cols < 2 {
        return Err(DataError::Csv {
            file,
            message: format!(
                "expected at least 2 columns (features and a label), found {n_cols} on line {first_line} \
                 (is the delimiter {delim:?} right?)"
            ),
        });
    }
    let has_header = opts
        .has_header
        .unwrap_or_else(|| looks_like_header(&fields));
    let names: Option<Vec<String>> =
        has_header.then(|| fields.iter().map(|f| f.to_string()).collect());
    let label_column = resolve_label(&opts.label, names.as_deref(), n_cols, &file)?;

    let mut table = CsvTable {
        feature_names: names.as_ref().map(|n| {
            n.iter()
                .enumerate()
                .filter(|&(j, _)| j != label_column)
                .map(|(_, s)| s.clone())
                .collect()
        }),
        label_name: names.as_ref().and_then(|n| n.get(label_column).cloned()),
        source: file,
        label_column,
        features: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
        n_features: n_cols - 1,
    };
    let names = names.as_deref();
    if !has_header {
        parse_row(&mut table, names, first_line, &fields).map_err(|e| match e {
            DataError::CsvValue {
                file,
                line,
                column,
                found,
            } if opts.has_header.is_none() => DataError::CsvFirstRow {
                file,
                line,
                column,
                found,
            },
            e => e,
        })?;
    }
    for (line, text) in rows {
        if split_fields(text, delim, &mut fields).is_err() {
            return Err(DataError::CsvQuote {
                file: table.source,
                line,
            });
        }
        if fields.len() != n_cols {
            return Err(DataError::CsvRagged {
                file: table.source,
                line,
                expected: n_cols,
                found: fields.len(),
                first_line,
            });
        }
        parse_row(&mut table, names, line, &fields)?;
    }
    if table.labels.is_empty() {
        return Err(DataError::Csv {
            file: table.source,
            message: "no data rows, only a header".into(),
        });
    }
    Ok(table)
}

fn resolve_label(
    label: &LabelColumn,
    names: Option<&[String]>,
    n_cols: usize,
    file: &str,
) -> Result<usize> {
    let err = |requested: String, reason: String| DataError::CsvLabelColumn {
        file: file.to_string(),
        requested,
        reason,
    };
    match label {
        LabelColumn::Last => Ok(n_cols - 1),
        LabelColumn::Index(i) if *i < n_cols => Ok(*i),
        LabelColumn::Index(i) => Err(err(
            format!("index {i}"),
            format!(
                "the file has {n_cols} columns, indices 0 to {} (0-based)",
                n_cols - 1
            ),
        )),
        LabelColumn::Name(name) => match names {
            None => Err(err(
                format!("{name:?}"),
                "the file has no header row".into(),
            )),
            Some(names) => names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| err(format!("{name:?}"), format!("the header has {names:?}"))),
        },
    }
}

fn parse_row(
    table: &mut CsvTable,
    names: Option<&[String]>,
    line: usize,
    fields: &[Cow<'_, str>],
) -> Result<()> {
    let column = |j: usize| CsvColumn {
        number: j + 1,
        name: names.and_then(|n| n.get(j).cloned()),
    };
    for (j, cell) in fields.iter().enumerate() {
        let value: f64 = cell.parse().map_err(|_| DataError::CsvValue {
            file: table.source.clone(),
            line,
            column: column(j),
            found: cell.to_string(),
        })?;
        let non_finite = || DataError::CsvNonFinite {
            file: table.source.clone(),
            line,
            column: column(j),
            found: cell.to_string(),
        };
        if j == table.label_column {
            if !value.is_finite() {
                return Err(non_finite());
            }
            table.labels.push(value);
        } else {
            let x = value as f32;
            if !x.is_finite() {
                return Err(non_finite());
            }
            table.features.push(x);
        }
    }
    table.lines.push(line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, ()> {
        let mut v = Vec::new();
        split_fields(line, ',', &mut v)?;
        Ok(v.into_iter().map(|c| c.into_owned()).collect())
    }

    #[test]
    fn splitting_and_quotes() {
        assert_eq!(split(" 1 , 2,3 ").unwrap(), ["1", "2", "3"]);
        assert_eq!(split("a,,b,").unwrap(), ["a", "", "b", ""]);
        assert_eq!(
            split(r#""x, y" , "say ""hi""",3"#).unwrap(),
            ["x, y", r#"say "hi""#, "3"]
        );
        assert_eq!(split(r#"ab"c,d"#).unwrap(), [r#"ab"c"#, "d"]);
        assert!(split(r#""open,1"#).is_err());
        assert!(split(r#""a"b,1"#).is_err());
        let mut v = Vec::new();
        split_fields("1\t2\t 3", '\t', &mut v).unwrap();
        assert_eq!(v, ["1", "2", "3"]);
    }

    #[test]
    fn deterministic_garbage_never_panics() {
        let alphabet: Vec<char> = "0123456789.,;-+eEnaNif\"\n\r \t\u{feff}é".chars().collect();
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for round in 0..3000 {
            let len = (next() % 60) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let label = match round % 3 {
                0 => LabelColumn::Last,
                1 => LabelColumn::Index((next() % 4) as usize),
                _ => LabelColumn::Name("a".into()),
            };
            let opts = CsvOptions {
                has_header: None,
                delimiter: if round % 2 == 0 { b',' } else { b';' },
                label,
                ..CsvOptions::default()
            };
            if let Ok(t) = load_csv_str(&text, "fuzz", &opts) {
                assert_eq!(t.features().len(), t.len() * t.n_features());
                let _ = t.clone().into_classification();
                let _ = t.into_regression();
            }
        }
    }

    #[test]
    fn line_endings_and_header_detection() {
        fn all(t: &str) -> Vec<(usize, &str)> {
            lines(t).collect()
        }
        assert_eq!(
            all("a\rb\r\nc\nd"),
            [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
        );
        assert_eq!(all("a\n"), [(1, "a"), (2, "")]);
        assert_eq!(all("\r\r"), [(1, ""), (2, ""), (3, "")]);
        let header = |cells: &[&str]| {
            let cells: Vec<Cow<'_, str>> = cells.iter().map(|&c| Cow::Borrowed(c)).collect();
            looks_like_header(&cells)
        };
        assert!(header(&["a", "b", "label"]));
        assert!(header(&["x1", "2", "y"]));
        assert!(header(&["id", "5"]));
        assert!(!header(&["1", "abc", "0"]));
        assert!(!header(&["1", "2", "3"]));
        assert!(!header(&["1", "2", "x", "4", ""]));
    }

    #[test]
    fn class_values() {
        assert_eq!(class_value(3.0), Some(3));
        assert_eq!(class_value(-1.0), None);
        assert_eq!(class_value(2.5), None);
        assert_eq!(class_value(1e300), None);
    }
}
