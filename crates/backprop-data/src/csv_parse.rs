//! Reading a table's rows: records from the `csv` crate with their line
//! numbers, the header decision, and each row's cells into the table
//! (missing values, numbers, the label's text).

use crate::csv::{CsvOptions, CsvTable, MissingValues, is_missing};
use crate::csv_columns::{Plan, plan, positional_text_columns};
use crate::csv_text::{
    LineCounter, clean_cell, looks_like_header, quote_hint, quote_problem, skip_line_breaks,
};
use crate::{DataError, Result};
use std::borrow::Cow;

/// The records of a text, each with the line it starts on; blank lines
/// skipped, quoting checked.
pub(crate) struct Records<'a> {
    reader: csv::Reader<&'a [u8]>,
    text: &'a [u8],
    lines: LineCounter,
    record: csv::StringRecord,
    delimiter: u8,
    file: &'a str,
}

impl<'a> Records<'a> {
    /// The records of `text` (a UTF-8 BOM skipped); the delimiter must be
    /// an ASCII character other than a quote or a line break.
    pub(crate) fn new(text: &'a str, delimiter: u8, file: &'a str) -> Result<Self> {
        if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'\n' | b'\r') {
            return Err(DataError::Csv {
                file: file.to_string(),
                message: format!(
                    "unusable delimiter {:?}: expected an ASCII character other than a quote or a line break",
                    char::from(delimiter)
                ),
            });
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes();
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text);
        Ok(Self {
            reader,
            text,
            lines: LineCounter::default(),
            record: csv::StringRecord::new(),
            delimiter,
            file,
        })
    }

    /// Reads the next non-blank record; returns its line.
    pub(crate) fn next_line(&mut self) -> Result<Option<usize>> {
        loop {
            let start = self.reader.position().byte() as usize;
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| DataError::Csv {
                    file: self.file.to_string(),
                    message: e.to_string(),
                })?;
            if !more {
                return Ok(None);
            }
            let start = skip_line_breaks(self.text, start);
            let end = self.reader.position().byte() as usize;
            let line = self.lines.line_at(self.text, start);
            let raw = self.text.get(start..end).unwrap_or_default();
            if raw.contains(&b'"')
                && let Some(problem) = quote_problem(raw, self.delimiter)
            {
                return Err(DataError::CsvQuote {
                    file: self.file.to_string(),
                    line,
                    hint: quote_hint(problem, self.delimiter),
                });
            }
            let blank = self.record.len() == 1 && self.record[0].trim().is_empty();
            if !blank {
                return Ok(Some(line));
            }
        }
    }

    /// The cells of the record last read.
    pub(crate) fn cells(&self) -> Vec<Cow<'_, str>> {
        self.record.iter().map(clean_cell).collect()
    }

    /// Cell `j` of the record last read.
    pub(crate) fn cell(&self, j: usize) -> Cow<'_, str> {
        clean_cell(self.record.get(j).unwrap_or_default())
    }

    /// Cells in the record last read.
    pub(crate) fn len(&self) -> usize {
        self.record.len()
    }
}

/// Parses a table; see the [`csv`](crate::csv) module docs.
pub(crate) fn parse(text: &str, file: String, opts: &CsvOptions) -> Result<CsvTable> {
    let mut records = Records::new(text, opts.delimiter, &file)?;
    let Some(first_line) = records.next_line()? else {
        return Err(empty(&file));
    };
    let first = records.cells();
    let n_cols = first.len();
    if n_cols < 2 {
        return Err(DataError::Csv {
            file: file.clone(),
            message: format!(
                "expected at least 2 columns (features and a label), found {n_cols} on line {first_line}{}",
                delimiter_hint(&first[0], opts.delimiter)
            ),
        });
    }
    let has_header = opts
        .has_header
        .unwrap_or_else(|| looks_like_header(&first, &positional_text_columns(opts, n_cols)));
    let names: Option<Vec<String>> =
        has_header.then(|| first.iter().map(|f| f.to_string()).collect());
    let plan = plan(opts, names.as_deref(), n_cols, &file)?;
    let mut table = CsvTable::new(
        file.clone(),
        names,
        n_cols,
        plan.label,
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

/// The suggestion after "found 1 column": the delimiter the line seems to use.
pub(crate) fn delimiter_hint(line: &str, delimiter: u8) -> String {
    let d = char::from(delimiter);
    [(';', "';'"), ('\t', "tab"), ('|', "'|'"), (',', "','")]
        .into_iter()
        .find(|&(c, _)| c != d && line.contains(c))
        .map(|(_, name)| format!(" (the line holds {name}: is it the delimiter? --delimiter {name}, CsvOptions::delimiter)"))
        .unwrap_or_else(|| format!(" (is the delimiter {d:?} right?)"))
}

pub(crate) fn empty(file: &str) -> DataError {
    DataError::Csv {
        file: file.to_string(),
        message: "no rows: the file is empty".into(),
    }
}

/// Reads the rows into `table`: the record last read first when
/// `first_row` is its line (it is data), then every following record, each
/// with `n_cols` cells.
pub(crate) fn read_rows(
    records: &mut Records<'_>,
    table: &mut CsvTable,
    plan: &Plan,
    missing: MissingValues,
    first_row: Option<usize>,
    detected: bool,
    first_line: usize,
) -> Result<()> {
    if let Some(line) = first_row {
        read_row(records, table, plan, missing, line).map_err(|e| match e {
            DataError::CsvValue {
                file,
                line,
                column,
                found,
            } if detected => DataError::CsvFirstRow {
                file,
                line,
                column,
                found,
            },
            e => e,
        })?;
    }
    while let Some(line) = records.next_line()? {
        if records.len() != table.n_columns {
            return Err(DataError::CsvRagged {
                file: table.source.clone(),
                line,
                expected: table.n_columns,
                found: records.len(),
                first_line,
            });
        }
        read_row(records, table, plan, missing, line)?;
    }
    Ok(())
}

fn read_row(
    records: &Records<'_>,
    table: &mut CsvTable,
    plan: &Plan,
    missing: MissingValues,
    line: usize,
) -> Result<()> {
    // Decide about the row before taking anything from it.
    for &j in plan.label.iter().chain(&plan.features) {
        let cell = records.cell(j);
        if is_missing(&cell) {
            match missing {
                MissingValues::Error => {
                    return Err(DataError::CsvMissing {
                        file: table.source.clone(),
                        line,
                        column: table.column(j),
                        found: cell.to_string(),
                    });
                }
                MissingValues::Keep if Some(j) != plan.label => {}
                MissingValues::Drop | MissingValues::Keep => {
                    table.dropped.push(line);
                    return Ok(());
                }
            }
        }
    }
    let start = table.features.len();
    for &j in &plan.features {
        let cell = records.cell(j);
        let x = if is_missing(&cell) {
            f32::NAN
        } else {
            match cell.parse::<f64>() {
                Ok(v) if (v as f32).is_finite() => v as f32,
                parsed => {
                    table.features.truncate(start);
                    let (file, column, found) =
                        (table.source.clone(), table.column(j), cell.to_string());
                    return Err(if parsed.is_ok() {
                        DataError::CsvNonFinite {
                            file,
                            line,
                            column,
                            found,
                        }
                    } else {
                        DataError::CsvValue {
                            file,
                            line,
                            column,
                            found,
                        }
                    });
                }
            }
        };
        table.features.push(x);
    }
    if let Some(j) = plan.label {
        table.labels.push(&records.cell(j));
    }
    table.lines.push(line);
    Ok(())
}

/// Checks a table read to its end: data rows left, and the label cells as
/// numbers when they all are (each finite).
pub(crate) fn finish(mut table: CsvTable) -> Result<CsvTable> {
    if table.is_empty() {
        let message = match table.dropped.len() {
            0 => "no data rows, only a header".to_string(),
            n => format!(
                "no data rows left: all {n} had a missing value (--missing drop, CsvOptions::missing)"
            ),
        };
        return Err(DataError::Csv {
            file: table.source,
            message,
        });
    }
    if let Some(j) = table.label {
        let numbers: Option<Vec<f64>> = (0..table.len())
            .map(|r| table.labels.get(r).and_then(|c| c.parse::<f64>().ok()))
            .collect();
        if let Some(numbers) = &numbers
            && let Some(r) = numbers.iter().position(|v| !v.is_finite())
        {
            return Err(DataError::CsvNonFinite {
                file: table.source.clone(),
                line: table.line_of(r).unwrap_or(0),
                column: table.column(j),
                found: table.label(r).unwrap_or_default().to_string(),
            });
        }
        table.labels.numbers = numbers;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use crate::csv::{
        ColumnRef, CsvOptions, FeatureColumns, LabelColumn, MeanImputer, MissingValues,
        load_csv_str,
    };

    #[test]
    fn deterministic_garbage_never_panics() {
        let alphabet: Vec<char> = "0123456789.,;-+eEnaNif?\"\n\r \t\u{feff}é"
            .chars()
            .collect();
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
                1 => LabelColumn::Number((next() % 5) as usize),
                _ => LabelColumn::Name("a".into()),
            };
            let features = match round % 5 {
                0 => FeatureColumns::Only(vec![ColumnRef::Number(1)]),
                1 => FeatureColumns::Drop(vec![ColumnRef::Number((next() % 4) as usize)]),
                _ => FeatureColumns::Rest,
            };
            let missing = [
                MissingValues::Error,
                MissingValues::Drop,
                MissingValues::Keep,
            ][(next() % 3) as usize];
            let opts = CsvOptions {
                has_header: None,
                delimiter: if round % 2 == 0 { b',' } else { b';' },
                label,
                features,
                missing,
                ..CsvOptions::default()
            };
            if let Ok(mut t) = load_csv_str(&text, "fuzz", &opts) {
                assert_eq!(t.features().len(), t.len() * t.n_features());
                if let Ok(imputer) = MeanImputer::fit(&t) {
                    imputer.apply(&mut t).unwrap();
                    assert_eq!(t.missing_features(), 0);
                }
                let schema = t.schema();
                let _ = schema.parse_str(&text, "again", &opts);
                let _ = t.split(0.5, 1);
                let _ = t.clone().into_classification();
                let _ = t.into_regression();
            }
        }
    }
}
