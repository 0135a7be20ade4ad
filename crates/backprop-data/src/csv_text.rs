//! The text level of the CSV reader, around BurntSushi's `csv` crate (which
//! splits records and unquotes cells): where text stops being UTF-8, line
//! numbers (a line ends at `\n`, `\r\n` or a lone `\r`), the quoting the
//! `csv` crate forgives but we report, cells as we read them (trimmed), and
//! whether a first row is a header.

use crate::DataError;
use crate::csv_missing::is_missing;
use std::borrow::Cow;

/// The error for the first byte, at `at`, that is not UTF-8: its line and
/// its byte position on that line, both 1-based.
pub(crate) fn encoding_error(bytes: &[u8], at: usize, file: String) -> DataError {
    let before = bytes.get(..at).unwrap_or_default();
    let mut lines = LineCounter::default();
    let line = lines.line_at(before, before.len());
    DataError::CsvEncoding {
        file,
        line,
        byte: at - lines.line_start + 1,
        found: bytes.get(at).copied().unwrap_or(0),
    }
}

/// 1-based line numbers of byte offsets, counted forward from the last
/// offset asked about (offsets must not decrease).
#[derive(Debug, Default)]
pub(crate) struct LineCounter {
    at: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    /// The line of byte `offset` of `text`.
    pub(crate) fn line_at(&mut self, text: &[u8], offset: usize) -> usize {
        let offset = offset.min(text.len());
        for i in self.at.min(offset)..offset {
            let b = text[i];
            let crlf = b == b'\r' && text.get(i + 1) == Some(&b'\n');
            if (b == b'\n' || b == b'\r') && !crlf {
                self.line += 1;
                self.line_start = i + 1;
            }
        }
        self.at = self.at.max(offset);
        self.line + 1
    }
}

/// The first byte of a record that the `csv` crate says starts at `start`:
/// it counts the blank lines it skipped as part of the record.
pub(crate) fn skip_line_breaks(text: &[u8], mut start: usize) -> usize {
    while matches!(text.get(start), Some(b'\n' | b'\r')) {
        start += 1;
    }
    start
}

/// What is wrong with the quoting of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuoteProblem {
    /// A quoted cell not closed before the end of the file.
    Unclosed,
    /// This byte right after a closing quote (`"a"b`, or `"a";"b"` read
    /// with another delimiter).
    TextAfter(u8),
}

/// Checks the quoting of one record's raw text as the `csv` crate reads it
/// (a quote opens a quoted cell only as the cell's first character). The
/// crate forgives what we report: a quoted cell not closed before the end
/// of the file, and text after a closing quote (`"1"2` would read `12`).
/// Whitespace after a closing quote is fine (cells are trimmed).
pub(crate) fn quote_problem(raw: &[u8], delim: u8) -> Option<QuoteProblem> {
    #[derive(PartialEq)]
    enum State {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
        Closed,
    }
    let mut state = State::Start;
    for &b in raw {
        let end_of_cell = b == delim || b == b'\n' || b == b'\r';
        state = match state {
            State::Start if b == b'"' => State::Quoted,
            State::Start | State::Unquoted if end_of_cell => State::Start,
            State::Start | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted | State::Closed if end_of_cell => State::Start,
            State::QuoteInQuoted | State::Closed if b.is_ascii_whitespace() => State::Closed,
            State::QuoteInQuoted | State::Closed => return Some(QuoteProblem::TextAfter(b)),
        };
    }
    (state == State::Quoted).then_some(QuoteProblem::Unclosed)
}

/// The suggestion after a quoting error: when a quote closes right before
/// a usual delimiter that is not the one in use, that one.
pub(crate) fn quote_hint(problem: QuoteProblem, delim: u8) -> String {
    match problem {
        QuoteProblem::TextAfter(b) if b != delim => match b {
            b';' => " (a quote closes before ';': is it the delimiter? --delimiter ';', CsvOptions::delimiter)".into(),
            b'\t' => " (a quote closes before a tab: is it the delimiter? --delimiter tab, CsvOptions::delimiter)".into(),
            b'|' => " (a quote closes before '|': is it the delimiter? --delimiter '|', CsvOptions::delimiter)".into(),
            b',' => " (a quote closes before ',': is it the delimiter? --delimiter ',', CsvOptions::delimiter)".into(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// A cell as the table reads it: trimmed; a cell that the `csv` crate left
/// quoted because whitespace came before its opening quote (`1, "2.5"`) is
/// unquoted (`2.5`).
pub(crate) fn clean_cell(cell: &str) -> Cow<'_, str> {
    let trimmed = cell.trim();
    let padded = trimmed.len() != cell.len() && cell.starts_with(char::is_whitespace);
    match trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if padded && !inner.replace("\"\"", "").contains('"') => {
            if inner.contains("\"\"") {
                Cow::Owned(inner.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(inner)
            }
        }
        _ => Cow::Borrowed(trimmed),
    }
}

/// Whether a detected first row is a header. Cells are numbers, text, or
/// missing-value markers (which count as neither). Among the cells of the
/// columns not in `skip` (a label or dropped column given by number, whose
/// values may be text in a data row), more text than numbers makes a
/// header; as much text as numbers (and some) is decided by all the
/// cells, the skipped ones included, where at least as much text as
/// numbers makes a header. So a data row with one typo (`1,abc,0`), or with
/// empty cells, stays data, and `x1,2,y` is a header.
pub(crate) fn looks_like_header(fields: &[Cow<'_, str>], skip: &[usize]) -> bool {
    let count = |cells: &mut dyn Iterator<Item = &Cow<'_, str>>| {
        let (mut numbers, mut text) = (0, 0);
        for f in cells {
            if f.parse::<f64>().is_ok() {
                numbers += 1;
            } else if !is_missing(f) {
                text += 1;
            }
        }
        (numbers, text)
    };
    let mut kept = fields
        .iter()
        .enumerate()
        .filter(|(j, _)| !skip.contains(j))
        .map(|(_, f)| f);
    let (numbers, text) = count(&mut kept);
    if text != numbers {
        return text > numbers;
    }
    let (all_numbers, all_text) = count(&mut fields.iter());
    text > 0 && all_text >= all_numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_offsets_with_every_line_ending() {
        let text = b"a\rb\r\nc\nd";
        let mut lines = LineCounter::default();
        let got: Vec<usize> = [0, 2, 5, 7]
            .iter()
            .map(|&o| lines.line_at(text, o))
            .collect();
        assert_eq!(got, [1, 2, 3, 4]);
        // Between the \r and the \n of one line ending: still line 2.
        assert_eq!(LineCounter::default().line_at(text, 4), 2);
        assert_eq!(skip_line_breaks(b"\n\r\nx", 0), 3);
    }

    #[test]
    fn quoting_the_csv_crate_forgives() {
        for ok in [
            &b"1,2\n"[..],
            b"\"x, y\",\"say \"\"hi\"\"\",3",
            b"ab\"c,d",
            b"\"a\" ,1\r\n",
            b" \"b\" ,1",
            b"\"multi\nline\",2\n",
        ] {
            assert_eq!(
                quote_problem(ok, b','),
                None,
                "{}",
                String::from_utf8_lossy(ok)
            );
        }
        assert_eq!(
            quote_problem(b"\"open,1\n", b','),
            Some(QuoteProblem::Unclosed)
        );
        assert_eq!(
            quote_problem(b"\"a\"b,1", b','),
            Some(QuoteProblem::TextAfter(b'b'))
        );
        assert_eq!(
            quote_problem(b"1,\"2\"x\n", b','),
            Some(QuoteProblem::TextAfter(b'x'))
        );
        assert_eq!(quote_problem(b"\"a\"\t1", b'\t'), None);
        // "a";"b" read with commas: the hint names the semicolon.
        let p = quote_problem(b"\"a\";\"b\"\n", b',').unwrap();
        assert!(quote_hint(p, b',').contains("--delimiter ';'"));
        assert_eq!(quote_hint(QuoteProblem::TextAfter(b'b'), b','), "");
    }

    #[test]
    fn cells_are_trimmed_and_padded_quotes_removed() {
        assert_eq!(clean_cell(" 1 "), "1");
        assert_eq!(clean_cell(" \"2.5\" "), "2.5");
        assert_eq!(clean_cell(" \"say \"\"hi\"\"\""), "say \"hi\"");
        // A cell the csv crate unquoted keeps the quotes it held.
        assert_eq!(clean_cell("\"x\""), "\"x\"");
        assert_eq!(clean_cell(" \"a\"b\""), "\"a\"b\"");
    }

    #[test]
    fn header_detection() {
        let header = |cells: &[&str], skip: &[usize]| {
            let cells: Vec<Cow<'_, str>> = cells.iter().map(|&c| Cow::Borrowed(c)).collect();
            looks_like_header(&cells, skip)
        };
        assert!(header(&["a", "b", "label"], &[]));
        assert!(header(&["x1", "2", "y"], &[]));
        assert!(header(&["id", "5"], &[]));
        assert!(!header(&["1", "abc", "0"], &[]));
        assert!(!header(&["1", "2", "3"], &[]));
        assert!(!header(&["1", "2", "x", "4", ""], &[]));
        // Missing values are not text: a first data row with gaps is data.
        assert!(!header(&["1", "", "NA", "0"], &[]));
        // A text label skipped: the iris row is data, its header a header.
        assert!(!header(&["5.1", "3.5", "setosa"], &[2]));
        assert!(!header(&["5.1", "", "setosa"], &[2]));
        assert!(header(&["sepal", "petal", "species"], &[2]));
        // A tie among the features is broken by the label's cell.
        assert!(!header(&["1", "abc", "0"], &[2]));
        assert!(header(&["x1", "2", "y"], &[2]));
        assert!(!header(&["5.1", "setosa"], &[1]));
    }
}
