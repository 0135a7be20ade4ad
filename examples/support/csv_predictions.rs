//! Predictions of examples/csv, the same way for the test set while
//! training (`--out`) and for a file of new rows (`--predict`): batches of
//! prepared rows through the network, each row's class and class
//! probabilities (or its value in the file's units), written as CSV.

use super::csv_args::Task;
use super::csv_model::TargetScale;
use backprop::activations::{Activation, ActivationKind};
use backprop::io::write_bytes_atomic;
use backprop::layers::{Mode, OutputKind, Sequential, class_of};
use backprop::tensor::DMatrix;
use std::borrow::Cow;
use std::error::Error;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// Rows per forward pass.
const CHUNK: usize = 256;

/// What the model says about one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Prediction {
    /// A class and the probability of each class.
    Class {
        /// The predicted class (the arg-max, or a logit ≥ 0 for binary).
        class: usize,
        /// One probability per class.
        probabilities: Vec<f32>,
    },
    /// A regressed value, in the file's units.
    Value(f64),
}

/// Predicts `n` rows: `fill(rows, x)` puts the prepared (scaled) features
/// of `rows` into `x`, one column per row.
pub fn predict_rows(
    net: &mut Sequential<f32>,
    n: usize,
    task: Task,
    target: Option<TargetScale>,
    mut fill: impl FnMut(Range<usize>, &mut DMatrix<f32>) -> Result<(), Box<dyn Error>>,
) -> Result<Vec<Prediction>, Box<dyn Error>> {
    let mut x = DMatrix::<f32>::zeros(0, 0);
    let mut probs = DMatrix::<f32>::zeros(0, 0);
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(CHUNK) {
        let rows = start..(start + CHUNK).min(n);
        fill(rows, &mut x)?;
        let a = net.forward(&x, Mode::Eval)?;
        if task == Task::Regression {
            let scale = target.unwrap_or(TargetScale {
                mean: 0.0,
                std: 1.0,
            });
            out.extend(
                a.iter()
                    .map(|&y| Prediction::Value(scale.unscale(f64::from(y)))),
            );
            continue;
        }
        let act = if a.nrows() == 1 {
            ActivationKind::Sigmoid
        } else {
            ActivationKind::Softmax
        };
        act.forward(a, &mut probs);
        for j in 0..a.ncols() {
            let p = probs.column(j);
            let probabilities = if p.len() == 1 {
                vec![1.0 - p[0], p[0]]
            } else {
                p.iter().copied().collect()
            };
            out.push(Prediction::Class {
                class: class_of(a, j, OutputKind::Logits),
                probabilities,
            });
        }
    }
    Ok(out)
}

/// A number in full (the shortest text that reads back to the same value),
/// in scientific notation when very small or large: `0.25`, `9.13182e-13`.
fn full<T: Into<f64> + std::fmt::Display + std::fmt::LowerExp + Copy>(v: T) -> String {
    let x: f64 = v.into();
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&x.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A CSV cell: quoted when it holds a comma, a quote, a line break or
/// surrounding spaces.
fn cell(s: &str) -> Cow<'_, str> {
    let plain = !s.contains([',', '"', '\n', '\r']) && s.trim() == s;
    if plain {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    }
}

/// Writes the predictions as CSV: `line` (the row's line in its file),
/// `predicted` (the class name, or the value), and for classification
/// `p_<class>` per class. Numbers are written in full (shortest text that
/// reads back to the same value).
pub fn write_predictions(
    w: &mut dyn Write,
    lines: &[usize],
    predictions: &[Prediction],
    classes: Option<&[String]>,
) -> Result<(), Box<dyn Error>> {
    write!(w, "line,predicted")?;
    for name in classes.unwrap_or_default() {
        write!(w, ",{}", cell(&format!("p_{name}")))?;
    }
    writeln!(w)?;
    for (line, p) in lines.iter().zip(predictions) {
        match p {
            Prediction::Value(v) => writeln!(w, "{line},{}", full(*v))?,
            Prediction::Class {
                class,
                probabilities,
            } => {
                let fallback = class.to_string();
                let name = classes
                    .and_then(|c| c.get(*class))
                    .map_or(fallback.as_str(), String::as_str);
                write!(w, "{line},{}", cell(name))?;
                for &p in probabilities {
                    write!(w, ",{}", full(p))?;
                }
                writeln!(w)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// [`write_predictions`] into the file `path`, written whole or not at all.
pub fn save_predictions(
    path: &Path,
    lines: &[usize],
    predictions: &[Prediction],
    classes: Option<&[String]>,
) -> Result<(), Box<dyn Error>> {
    let mut text = Vec::new();
    write_predictions(&mut text, lines, predictions, classes)?;
    create_parent(path)?;
    write_bytes_atomic(path, &text)?;
    Ok(())
}

/// Creates the directory `path` goes in, if it has one and it is missing.
pub fn create_parent(path: &Path) -> Result<(), Box<dyn Error>> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()).into()),
        _ => Ok(()),
    }
}
