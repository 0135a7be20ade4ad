//! [`CsvColumn`]: a column of a CSV file as messages name it.

use std::fmt;

/// A column of a CSV file as shown in error messages: its **1-based** number
/// and, when the file has a header, its name.
///
/// ```
/// use backprop_data::CsvColumn;
/// let c = CsvColumn { number: 3, name: Some("age".into()) };
/// assert_eq!(c.to_string(), "column 3 (\"age\")");
/// assert_eq!(CsvColumn { number: 2, name: None }.to_string(), "column 2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumn {
    /// 1-based column number, as a spreadsheet shows it.
    pub number: usize,
    /// The header name, if the file has a header.
    pub name: Option<String>,
}

impl fmt::Display for CsvColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "column {} ({name:?})", self.number),
            None => write!(f, "column {}", self.number),
        }
    }
}
