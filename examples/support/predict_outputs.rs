//! examples/predict `--outputs FILE`: the network's outputs for each test
//! image as a CSV, so that another runtime's can be compared with them
//! (scripts/ort_parity.py). Compiled into predict with `#[path]`.

use backprop::io::{IoError, write_bytes_atomic};
use backprop::tensor::{DMatrix, Scalar};
use std::fmt::Write as _;
use std::path::Path;

/// The rows of the CSV, a batch at a time: `image,label,predicted,out_0,…`,
/// one row per test image, each output printed in full (Rust's shortest
/// text that reads back as the same number).
#[derive(Debug, Default)]
pub struct Outputs {
    text: String,
    rows: usize,
}

impl Outputs {
    /// Adds the rows of one batch: `out` holds a column per image, `labels`
    /// and `predicted` a value per image.
    pub fn add<T: Scalar>(&mut self, out: &DMatrix<T>, labels: &[usize], predicted: &[usize]) {
        if self.text.is_empty() {
            self.text.push_str("image,label,predicted");
            for k in 0..out.nrows() {
                let _ = write!(self.text, ",out_{k}");
            }
            self.text.push('\n');
        }
        for ((col, label), class) in out.column_iter().zip(labels).zip(predicted) {
            let _ = write!(self.text, "{},{label},{class}", self.rows);
            for v in col.iter() {
                let _ = write!(self.text, ",{v}");
            }
            self.text.push('\n');
            self.rows += 1;
        }
    }

    /// The number of rows added.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Writes the CSV to `path` atomically (a reader never sees half of it).
    pub fn save(&self, path: &Path) -> Result<(), IoError> {
        write_bytes_atomic(path, self.text.as_bytes())
    }
}
