//! The command line of examples/csv: training (`--train FILE --task …`)
//! or prediction (`--model FILE --predict FILE`), and the parsing of its
//! column, delimiter and layer arguments.

use backprop::data::csv::{ColumnRef, FeatureColumns, LabelColumn, MAX_CSV_BYTES, MissingValues};
use clap::{Parser, ValueEnum};
use std::error::Error;
use std::path::PathBuf;

/// What the label column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Two classes: one output, binary cross-entropy on its logit.
    Binary,
    /// Two or more classes: one output per class, softmax cross-entropy.
    Multiclass,
    /// A real number: one linear output, mean squared error.
    Regression,
}

impl Task {
    /// The name used on the command line, in the JSON summary and in the
    /// model file.
    pub fn name(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
            Task::Regression => "regression",
        }
    }
    /// The task named by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        [Task::Binary, Task::Multiclass, Task::Regression]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// Whether the first row of a file is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Header {
    /// The first row is a header.
    Yes,
    /// The first row is data.
    No,
    /// A header when at least as many of its cells are text as numbers.
    Auto,
}

impl Header {
    /// As `CsvOptions::has_header`.
    pub fn has_header(self) -> Option<bool> {
        match self {
            Header::Yes => Some(true),
            Header::No => Some(false),
            Header::Auto => None,
        }
    }
}

/// What to do with a missing value (an empty cell, `?`, `NA`, `N/A`, `NaN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Missing {
    /// Stop with an error naming the line and the column.
    Error,
    /// Skip the row (listed on the output).
    Drop,
    /// Fill a missing feature with its mean over the training rows (kept in
    /// the model file for prediction); skip a row whose label is missing.
    Mean,
}

impl Missing {
    /// The name on the command line and in the model file.
    pub fn name(self) -> &'static str {
        match self {
            Missing::Error => "error",
            Missing::Drop => "drop",
            Missing::Mean => "mean",
        }
    }
    /// The mode named by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        [Missing::Error, Missing::Drop, Missing::Mean]
            .into_iter()
            .find(|m| m.name() == name)
    }
    /// As `CsvOptions::missing`.
    pub fn values(self) -> MissingValues {
        match self {
            Missing::Error => MissingValues::Error,
            Missing::Drop => MissingValues::Drop,
            Missing::Mean => MissingValues::Keep,
        }
    }
}

/// The command line.
#[derive(Parser, Debug, Clone)]
#[command(
    about = "Train an MLP on a CSV table, or predict new rows with a model it saved",
    after_help = "Columns are numbered from 1, as spreadsheets, cut and every message number them, \
                  or named by their header. Missing values are empty cells, ?, NA, N/A and NaN \
                  (any letter case).",
    allow_negative_numbers = true
)]
pub struct Args {
    /// The training CSV file (raw or gzip).
    #[arg(long, value_name = "FILE", required_unless_present = "predict")]
    pub train: Option<PathBuf>,
    /// A separate test CSV file with the same columns.
    #[arg(long, value_name = "FILE", conflicts_with = "test_split")]
    pub test: Option<PathBuf>,
    /// Without --test: the fraction of the training file held out for
    /// testing (seeded by --seed) [default: 0.2].
    #[arg(long, value_name = "FRACTION")]
    pub test_split: Option<f64>,
    /// The label column: a header name or a number from 1 [default: the
    /// last column].
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// The feature columns, comma-separated names or numbers from 1, in
    /// this order [default: every column but the label].
    #[arg(long, value_name = "COLUMNS", conflicts_with = "drop")]
    pub features: Option<String>,
    /// Columns that are not features (an id, a note), comma-separated
    /// names or numbers from 1; their cells are not read.
    #[arg(long, value_name = "COLUMNS")]
    pub drop: Option<String>,
    /// The cell separator: one character (',', ';', '|'), or tab (also
    /// written \t).
    #[arg(long, value_name = "CHAR", default_value = ",")]
    pub delimiter: String,
    /// Whether the first row of each file is a header: yes, no, or auto (a
    /// header when at least as many of its cells are text as numbers).
    #[arg(long, value_enum, default_value = "auto")]
    pub header: Header,
    /// Missing values: error, drop (skip the row) or mean (the training
    /// mean) [default: error; with --predict, what the model was trained
    /// with].
    #[arg(long, value_enum)]
    pub missing: Option<Missing>,
    /// The most bytes of text read from a file, after gzip decompression.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_CSV_BYTES)]
    pub max_bytes: u64,
    /// Hidden layer widths, comma-separated ("" for none: a linear model).
    #[arg(long, default_value = "64,32")]
    pub layers: String,
    /// binary, multiclass or regression.
    #[arg(long, value_enum, required_unless_present = "predict")]
    pub task: Option<Task>,
    /// Number of epochs.
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-2)]
    pub lr: f64,
    /// Optimizer: sgd, momentum, nesterov, rmsprop, adam, adamw.
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// Seed for the test split, initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Save the trained model (with its columns, scaler, class names and
    /// imputation means) to this file.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// With --predict: the model file written by --save.
    #[arg(long, value_name = "FILE", requires = "predict")]
    pub model: Option<PathBuf>,
    /// Predict the rows of this CSV file with --model (the label column may
    /// be absent) instead of training.
    #[arg(
        long,
        value_name = "FILE",
        requires = "model",
        conflicts_with_all = ["train", "test", "test_split", "task", "save", "label", "features", "drop"]
    )]
    pub predict: Option<PathBuf>,
    /// Write predictions to this CSV file: the test set's when training,
    /// the --predict file's (instead of stdout) when predicting.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    pub json: bool,
}

/// An error of this program's own checks.
pub fn fail(message: String) -> Box<dyn Error> {
    message.into()
}

/// `--delimiter`: one ASCII character, or `tab` / `\t`.
pub fn parse_delimiter(s: &str) -> Result<u8, Box<dyn Error>> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match s.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(*b),
            _ => Err(fail(format!(
                "--delimiter: expected one ASCII character other than a quote (',', ';', '|') or tab, found {s:?}"
            ))),
        },
    }
}

/// `--label`: a number from 1 or a header name; the last column without it.
pub fn label_column(label: Option<&str>) -> Result<LabelColumn, Box<dyn Error>> {
    match label {
        None => Ok(LabelColumn::Last),
        Some(s) => Ok(s
            .parse::<ColumnRef>()
            .map_err(|e| fail(format!("--label: {e}")))?
            .into()),
    }
}

/// `--features` or `--drop`: comma-separated numbers from 1 or names.
pub fn feature_columns(
    features: Option<&str>,
    drop: Option<&str>,
) -> Result<FeatureColumns, Box<dyn Error>> {
    let list = |flag: &str, s: &str| {
        s.split(',')
            .map(|c| c.parse::<ColumnRef>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(format!("{flag} {s:?}: {e}")))
    };
    Ok(match (features, drop) {
        (Some(f), _) => FeatureColumns::Only(list("--features", f)?),
        (None, Some(d)) => FeatureColumns::Drop(list("--drop", d)?),
        (None, None) => FeatureColumns::Rest,
    })
}

/// `--layers`: comma-separated positive widths; empty for none.
pub fn parse_layers(s: &str) -> Result<Vec<usize>, Box<dyn Error>> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(fail(format!(
                "--layers: expected positive integers separated by commas, found {w:?} in {s:?}"
            ))),
        })
        .collect()
}
