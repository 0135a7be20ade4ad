//! CSV tables for training and prediction: BurntSushi's `csv` crate reads
//! the records (quoting, delimiters); this module decides what the cells
//! mean and says where a file is wrong.
//!
//! The format handled:
//!
//! - UTF-8 text (a byte that is not is an error naming its line), at most
//!   [`CsvOptions::max_bytes`] of it ([`MAX_CSV_BYTES`], 1 GiB, by default,
//!   counted after decompression, so a gzip bomb stops there); the file may
//!   be gzip-compressed (detected by content); a UTF-8 BOM is ignored;
//! - one row per line (`\n`, `\r\n` or a lone `\r`, as old Mac files
//!   have); blank lines are skipped;
//! - cells separated by [`CsvOptions::delimiter`] (`,`, `;`, a tab, …) and
//!   trimmed of whitespace; a cell may be double-quoted (`"3.5"`,
//!   `"a ""name"""`, `"a, b"`), and a quoted cell may span lines (its row is
//!   named by the line it starts on). A quote not closed before the end of
//!   the file, or text after a closing quote (`"1"2`), is an error;
//! - an optional header row: with [`CsvOptions::has_header`] `None` the
//!   first row is a header when at least as many of its cells are text as
//!   are numbers (missing-value markers and a label given by number do not
//!   count), so a first data row with one typo (`1,abc,0`) is read as data
//!   and its typo reported, not taken for a header;
//! - every row has as many cells as the first.
//!
//! **Columns are numbered from 1**, as spreadsheets and `cut` number them,
//! in [`LabelColumn::Number`], [`ColumnRef::Number`] and every message; or
//! named by their header. The label column holds numbers (classes or
//! regression targets) or text (class names: `setosa`); features are
//! numbers. Missing values (an empty cell, `?`, `NA`, `N/A`, `NaN`: see
//! [`is_missing`]) are an error by default; [`CsvOptions::missing`] drops
//! their rows or keeps them for a [`MeanImputer`].
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
//! A [`CsvTable`] holds the features (`f32`, sample-major) and the label
//! cells; turn it into a [`Dataset`](crate::Dataset) with
//! [`CsvTable::into_classification`] or [`CsvTable::into_regression`].
//!
//! ```
//! use backprop_data::csv::{load_csv_str, CsvOptions, LabelColumn};
//! let text = "species,petal_length,petal_width\nvirginica,5.1,1.8\nsetosa,1.4,0.2\nvirginica,5.9,2.1\n";
//! let opts = CsvOptions { label: LabelColumn::Name("species".into()), ..CsvOptions::default() };
//! let table = load_csv_str(text, "iris.csv", &opts)?;
//! assert_eq!(table.feature_names(), Some(&["petal_length".to_string(), "petal_width".to_string()][..]));
//! let (ds, classes) = table.into_classification()?;
//! assert_eq!(classes.names(), ["setosa", "virginica"]); // sorted: classes 0 and 1
//! assert_eq!(ds.labels(), &[1, 0, 1]);
//! # Ok::<(), backprop_data::DataError>(())
//! ```
//!
//! A model trained on a table keeps its [`CsvSchema`] (which columns, which
//! is the label) so that [`CsvSchema::load`] reads a file of new rows the
//! same way, with or without the label column.

pub use crate::class_map::ClassMap;
pub use crate::csv_missing::{MISSING_MARKERS, MeanImputer, MissingValues, is_missing};
pub use crate::csv_schema::CsvSchema;
pub use crate::csv_table::CsvTable;
use crate::csv_text::encoding_error;
use crate::idx::{decompressed, open, read_error};
use crate::{DataError, Result};
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

/// A column of a CSV file as a user names it: by its **1-based** number or
/// by its header name.
///
/// ```
/// use backprop_data::csv::ColumnRef;
/// assert_eq!("3".parse::<ColumnRef>(), Ok(ColumnRef::Number(3)));
/// assert_eq!(" species ".parse::<ColumnRef>(), Ok(ColumnRef::Name("species".into())));
/// assert_eq!(ColumnRef::Number(3).to_string(), "3");
/// assert_eq!(ColumnRef::Name("id".into()).to_string(), "\"id\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnRef {
    /// The column with this 1-based number (the first column is 1).
    Number(usize),
    /// The column with this header name (the file must have a header).
    Name(String),
}

impl FromStr for ColumnRef {
    type Err = String;
    /// Digits are a column number, anything else (trimmed) a header name.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("expected a column number or header name, found nothing".into());
        }
        Ok(match s.parse::<usize>() {
            Ok(n) => ColumnRef::Number(n),
            Err(_) => ColumnRef::Name(s.to_string()),
        })
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Number(n) => write!(f, "{n}"),
            ColumnRef::Name(name) => write!(f, "{name:?}"),
        }
    }
}

/// Which column holds the label (or regression target).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LabelColumn {
    /// The last column (the default).
    #[default]
    Last,
    /// The column with this **1-based** number, as messages count.
    Number(usize),
    /// The column with this header name (the file must have a header).
    Name(String),
}

impl From<ColumnRef> for LabelColumn {
    fn from(c: ColumnRef) -> Self {
        match c {
            ColumnRef::Number(n) => LabelColumn::Number(n),
            ColumnRef::Name(s) => LabelColumn::Name(s),
        }
    }
}

/// Which columns are features.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FeatureColumns {
    /// Every column but the label's (the default).
    #[default]
    Rest,
    /// These columns, in this order.
    Only(Vec<ColumnRef>),
    /// Every column but the label's and these (an `id`, a free-text note):
    /// their cells are not read at all.
    Drop(Vec<ColumnRef>),
}

/// The most bytes of CSV text read by default (1 GiB), counted after
/// decompression; see [`CsvOptions::max_bytes`].
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether the first row is a header (`Some(true)`), data
    /// (`Some(false)`), or detected (`None`, the default): a header when at
    /// least as many of its cells are text as numbers. A detected data row
    /// with a cell that is not a number is [`DataError::CsvFirstRow`],
    /// which says how to declare a header.
    pub has_header: Option<bool>,
    /// The cell separator, an ASCII character other than `"` or a line break
    /// (default `b','`; `b';'` and `b'\t'` are common).
    pub delimiter: u8,
    /// The label column.
    pub label: LabelColumn,
    /// The feature columns.
    pub features: FeatureColumns,
    /// What a missing value in a label or feature cell does.
    pub missing: MissingValues,
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
            features: FeatureColumns::Rest,
            missing: MissingValues::Error,
            max_bytes: MAX_CSV_BYTES,
        }
    }
}

/// Reads a CSV file (raw or gzip); see the [module docs](self).
pub fn load_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<CsvTable> {
    let path = path.as_ref();
    let text = read_text(path, opts.max_bytes)?;
    crate::csv_parse::parse(&text, path.display().to_string(), opts)
}

/// Parses CSV text, calling it `source` in error messages.
pub fn load_csv_str(text: &str, source: &str, opts: &CsvOptions) -> Result<CsvTable> {
    check_size(text, source, opts.max_bytes)?;
    crate::csv_parse::parse(text, source.to_string(), opts)
}

pub(crate) fn check_size(text: &str, source: &str, max_bytes: u64) -> Result<()> {
    if text.len() as u64 > max_bytes {
        return Err(DataError::CsvTooLarge {
            file: source.to_string(),
            max_bytes,
            gzip: false,
        });
    }
    Ok(())
}

/// The text of a file (raw or gzip), at most `max_bytes` of it, checked to
/// be UTF-8.
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String> {
    let file = path.display().to_string();
    let (reader, gz) = decompressed(open(path)?, path)?;
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error(path, gz))?;
    if bytes.len() as u64 > max_bytes {
        return Err(DataError::CsvTooLarge {
            file,
            max_bytes,
            gzip: gz,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        encoding_error(e.as_bytes(), at, file)
    })
}
