//! The text level of the CSV reader: lines (ending at `\n`, `\r\n` or a
//! lone `\r`), cells (trimmed, quoted with `"`), whether a first row is a
//! header, and where text stops being UTF-8.

use crate::DataError;
use std::borrow::Cow;

/// The error for the first byte, at `at`, that is not UTF-8: its line and
/// its byte position on that line, both 1-based.
pub(crate) fn encoding_error(bytes: &[u8], at: usize, file: String) -> DataError {
    let before = bytes.get(..at).unwrap_or_default();
    let (mut line, mut line_start) = (1, 0);
    for (i, &b) in before.iter().enumerate() {
        let crlf = b == b'\r' && before.get(i + 1) == Some(&b'\n');
        if (b == b'\n' || b == b'\r') && !crlf {
            line += 1;
            line_start = i + 1;
        }
    }
    DataError::CsvEncoding {
        file,
        line,
        byte: at - line_start + 1,
        found: bytes.get(at).copied().unwrap_or(0),
    }
}

/// The lines of `text` with their 1-based numbers; a line ends at `\n`,
/// `\r\n` or a lone `\r`.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = Some(text);
    let mut number = 0;
    std::iter::from_fn(move || {
        let t = rest?;
        number += 1;
        match t.find(['\n', '\r']) {
            None => {
                rest = None;
                Some((number, t))
            }
            Some(end) => {
                let skip = if t[end..].starts_with("\r\n") { 2 } else { 1 };
                rest = t.get(end + skip..);
                t.get(..end).map(|line| (number, line))
            }
        }
    })
}

/// Whether a detected first row is a header: at least half its cells are
/// not numbers (a data row with one typo stays data).
pub(crate) fn looks_like_header(fields: &[Cow<'_, str>]) -> bool {
    let numbers = fields.iter().filter(|f| f.parse::<f64>().is_ok()).count();
    numbers < fields.len() && 2 * numbers <= fields.len()
}

/// Splits one line into trimmed, unquoted cells. `Err` on an unterminated
/// quote or text after a closing quote.
pub(crate) fn split_fields<'a>(
    line: &'a str,
    delim: char,
    out: &mut Vec<Cow<'a, str>>,
) -> std::result::Result<(), ()> {
    out.clear();
    if !line.contains('"') {
        out.extend(line.split(delim).map(|cell| Cow::Borrowed(cell.trim())));
        return Ok(());
    }
    let finish = |cell: &mut String, quoted: bool| {
        let s = std::mem::take(cell);
        Cow::Owned(if quoted { s } else { s.trim().to_string() })
    };
    let mut cell = String::new();
    let mut quoted = false; // the current cell started with a quote
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c != '"' {
                cell.push(c);
            } else if chars.peek() == Some(&'"') {
                chars.next();
                cell.push('"');
            } else {
                in_quotes = false;
            }
        } else if c == delim {
            out.push(finish(&mut cell, quoted));
            quoted = false;
        } else if quoted {
            if !c.is_whitespace() {
                return Err(());
            }
        } else if c == '"' && cell.trim().is_empty() {
            cell.clear();
            quoted = true;
            in_quotes = true;
        } else {
            cell.push(c);
        }
    }
    if in_quotes {
        return Err(());
    }
    out.push(finish(&mut cell, quoted));
    Ok(())
}
