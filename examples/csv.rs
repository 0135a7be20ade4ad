//! Trains an MLP on any numeric CSV table: binary or multiclass
//! classification, or regression.
//!
//! ```sh
//! cargo run --release --example csv -- --train examples/data/moons.csv --test-split 0.2 --label label --task binary
//! cargo run --release --example csv -- --train examples/data/houses.csv --label price --task regression --json
//! cargo run --release --example csv -- --train train.csv --test test.csv --label 0 --task multiclass --layers 128,64
//! ```
//!
//! Every cell must be a number (see `backprop::data::csv`). `--header auto`
//! (the default) takes the first row for a header when at least half of its
//! cells are not numbers, so a first data row with a typo is reported, not
//! dropped; `--header yes` or `no` says which it is. `--label` names the
//! label (or target) column by header name or 0-based index; every other
//! column is a feature. The test set is `--test FILE` or a seeded
//! `--test-split` fraction of the training file (0.2 by default). A file
//! may hold at most `--max-bytes` of text (1 GiB by default, counted after
//! gzip decompression), and the network at most 2^28 parameters
//! ([`MAX_PARAMETERS`]) and 2^28 activations per batch.
//!
//! Features are standardised with statistics of the training set only,
//! then applied to the test set. Regression targets are standardised the
//! same way for training, and the RMSE is reported in the file's units,
//! next to the RMSE of always predicting the training mean.
//!
//! | `--task` | outputs | loss |
//! |---|---|---|
//! | `binary` | 1 logit | `BinaryCrossEntropyWithLogits` |
//! | `multiclass` | one logit per class | `SoftmaxCrossEntropy` |
//! | `regression` | 1 value (identity output) | `Mse` |
//!
//! Hidden layers (`--layers 64,32`) use ReLU. With `--json` the last line of
//! stdout is one JSON object with `test_accuracy` (or `test_rmse`), `epochs`,
//! `batch`, `mean_epoch_seconds`, `samples_per_second` and the settings.
//! Errors are one `error: …` line on stderr and a non-zero exit status; a
//! closed stdout (`… | head -1`) ends the run quietly with status 0.
//!
//! The sample files in `examples/data/` are synthetic (see
//! `examples/data/generate.py`).

#[allow(dead_code)] // Only main uses it, and the test that includes this file has its own.
#[path = "support/exit.rs"]
mod exit;

use backprop::data::csv::{ClassMap, CsvOptions, CsvTable, LabelColumn, MAX_CSV_BYTES, load_csv};
use backprop::data::{CsvColumn, DataError, Dataset, Features, Scaler, Targets};
use backprop::layers::Sequential;
use backprop::losses::{BinaryCrossEntropyWithLogits, Loss, Mse, SoftmaxCrossEntropy};
use backprop::optim::OptimizerKind;
use backprop::train::{ProgressMode, Trainer};
use clap::{Parser, ValueEnum};
use std::error::Error;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// The name used on the command line and in the JSON summary.
    pub fn name(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
            Task::Regression => "regression",
        }
    }
}

/// The most parameters (weights and biases) a network of `--layers` may
/// have: 2^28, a gigabyte of `f32` weights, four with their gradients and
/// Adam's moments.
pub const MAX_PARAMETERS: u64 = 1 << 28;

/// The most activations (layer outputs, summed over the layers) one batch may
/// produce: 2^28, a gigabyte of `f32` for each of the forward and backward
/// buffers.
pub const MAX_BATCH_ACTIVATIONS: u64 = 1 << 28;

/// Whether the first row of a file is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Header {
    /// The first row is a header.
    Yes,
    /// The first row is data.
    No,
    /// A header when at least half of its cells are not numbers.
    Auto,
}

impl Header {
    /// As [`CsvOptions::has_header`].
    pub fn has_header(self) -> Option<bool> {
        match self {
            Header::Yes => Some(true),
            Header::No => Some(false),
            Header::Auto => None,
        }
    }
}

/// The command line.
#[derive(Parser, Debug, Clone)]
#[command(
    about = "Train an MLP on a numeric CSV table",
    allow_negative_numbers = true
)]
pub struct Args {
    /// The training CSV file (raw or gzip).
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// A separate test CSV file with the same columns.
    #[arg(long, value_name = "FILE", conflicts_with = "test_split")]
    pub test: Option<PathBuf>,
    /// Without --test: the fraction of the training file held out for
    /// testing (seeded by --seed) [default: 0.2].
    #[arg(long, value_name = "FRACTION")]
    pub test_split: Option<f64>,
    /// The label column: a header name or a 0-based index [default: the last
    /// column].
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Whether the first row of each file is a header: yes, no, or auto (a
    /// header when at least half of its cells are not numbers).
    #[arg(long, value_enum, default_value = "auto")]
    pub header: Header,
    /// The most bytes of text read from a file, after gzip decompression.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_CSV_BYTES)]
    pub max_bytes: u64,
    /// Hidden layer widths, comma-separated ("" for none: a linear model).
    #[arg(long, default_value = "64,32")]
    pub layers: String,
    /// binary, multiclass or regression.
    #[arg(long, value_enum)]
    pub task: Task,
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
    /// No per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    pub json: bool,
}

/// What a run measured on the test set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The task.
    pub task: Task,
    /// Test accuracy (classification).
    pub test_accuracy: Option<f64>,
    /// Test RMSE in the file's units (regression).
    pub test_rmse: Option<f64>,
    /// Test RMSE of always predicting the training mean (regression).
    pub baseline_rmse: Option<f64>,
    /// Mean test loss (for regression, the MSE in the file's units).
    pub test_loss: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// Training samples.
    pub train_samples: usize,
    /// Test samples.
    pub test_samples: usize,
    /// Mean seconds per epoch (epochs 2..N, or epoch 1 alone).
    pub mean_epoch_seconds: f64,
    /// Training samples per second at that pace.
    pub samples_per_second: f64,
}

impl Report {
    /// The JSON summary printed by `--json`.
    pub fn to_json(&self, args: &Args, layers: &[usize]) -> serde_json::Value {
        let mut v = serde_json::json!({
            "task": self.task.name(),
            "test_loss": self.test_loss,
            "epochs": self.epochs,
            "batch": args.batch,
            "lr": args.lr,
            "optimizer": args.optimizer,
            "seed": args.seed,
            "layers": layers,
            "train_samples": self.train_samples,
            "test_samples": self.test_samples,
            "mean_epoch_seconds": self.mean_epoch_seconds,
            "samples_per_second": self.samples_per_second,
        });
        if let Some(a) = self.test_accuracy {
            v["test_accuracy"] = a.into();
        }
        if let Some(r) = self.test_rmse {
            v["test_rmse"] = r.into();
        }
        if let Some(r) = self.baseline_rmse {
            v["baseline_rmse"] = r.into();
        }
        v
    }
}

/// An error of this program's own checks.
fn fail(message: String) -> Box<dyn Error> {
    message.into()
}

/// `n` and a noun, plural unless `n` is 1: `1 class`, `3 classes`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A loss or an error measure as a person reads it: four decimals in the
/// usual range, scientific notation for very large or very small values
/// (`1.2346e74`, never 78 digits).
pub fn number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// Checks that the network fits: at most [`MAX_PARAMETERS`] parameters and
/// [`MAX_BATCH_ACTIVATIONS`] activations per batch, in checked arithmetic,
/// before anything is allocated.
pub fn check_size(
    inputs: usize,
    layers: &[usize],
    outputs: usize,
    batch: usize,
) -> Result<(), Box<dyn Error>> {
    let widths: Vec<u64> = layers.iter().chain([&outputs]).map(|&w| w as u64).collect();
    let mut params: Option<u64> = Some(0);
    let mut fan_in = inputs as u64;
    for &w in &widths {
        params = params.and_then(|p| p.checked_add(fan_in.checked_add(1)?.checked_mul(w)?));
        fan_in = w;
    }
    let show = |n: Option<u64>| n.map_or_else(|| "2^64 or more".to_string(), |n| n.to_string());
    if params.is_none_or(|p| p > MAX_PARAMETERS) {
        let list = layers
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(",");
        return Err(fail(format!(
            "--layers {list}: the network ({}, hidden layers {list}, {}) would have {} parameters, \
             more than the {MAX_PARAMETERS} (2^28) this program trains; use fewer or narrower layers",
            plural(inputs, "input", "inputs"),
            plural(outputs, "output", "outputs"),
            show(params)
        )));
    }
    let activations = widths
        .iter()
        .try_fold(0u64, |sum, &w| sum.checked_add(w))
        .and_then(|sum| sum.checked_mul(batch as u64));
    if activations.is_none_or(|a| a > MAX_BATCH_ACTIVATIONS) {
        return Err(fail(format!(
            "--batch {batch} with these layers: one batch would hold {} activations, more than the \
             {MAX_BATCH_ACTIVATIONS} (2^28) this program allows; use a smaller --batch or narrower layers",
            show(activations)
        )));
    }
    Ok(())
}

/// Where the rows of the `--test` file came from, to name the line of a
/// value that goes out of range when scaled.
struct TestRows {
    file: String,
    lines: Vec<usize>,
    label_column: usize,
    label_name: Option<String>,
    feature_names: Option<Vec<String>>,
}

impl TestRows {
    fn of(table: &CsvTable) -> Self {
        Self {
            file: table.source().to_string(),
            lines: (0..table.len())
                .map(|r| table.line_of(r).unwrap_or(0))
                .collect(),
            label_column: table.label_column().map_or(0, |c| c.number - 1),
            label_name: table.label_name().map(str::to_string),
            feature_names: table.feature_names().map(<[String]>::to_vec),
        }
    }

    /// The file column of feature `f` (every column but the label's).
    fn feature_column(&self, f: usize) -> CsvColumn {
        CsvColumn {
            number: if f < self.label_column { f + 1 } else { f + 2 },
            name: self.feature_names.as_ref().and_then(|n| n.get(f).cloned()),
        }
    }

    /// `e`, for a non-finite scaled value of the test set, with the file,
    /// line, column and raw value; any other error unchanged.
    fn locate(rows: Option<&Self>, e: DataError, raw: &Dataset) -> Box<dyn Error> {
        let nf = raw.n_features();
        let (sample, column, value, scaled) = match (&e, rows) {
            (
                DataError::NonFiniteFeature {
                    sample,
                    feature,
                    value,
                },
                Some(rows),
            ) => {
                let Features::F32(xs) = raw.features() else {
                    return e.into();
                };
                let x = xs.get(sample * nf + feature).copied().unwrap_or(f32::NAN);
                (*sample, rows.feature_column(*feature), x, *value)
            }
            (DataError::NonFiniteTarget { sample, value, .. }, Some(rows)) => {
                let Targets::Values { values, .. } = raw.targets() else {
                    return e.into();
                };
                let y = values.get(*sample).copied().unwrap_or(f32::NAN);
                let column = CsvColumn {
                    number: rows.label_column + 1,
                    name: rows.label_name.clone(),
                };
                (*sample, column, y, *value)
            }
            _ => return e.into(),
        };
        let Some(rows) = rows else {
            return e.into();
        };
        fail(format!(
            "{}:{}: {column}: the value {} is out of range: scaled with the training file's \
             mean and spread it becomes {scaled}; the test file must be on the training file's scale",
            rows.file,
            rows.lines.get(sample).copied().unwrap_or(0),
            if value.abs() >= 1e6 {
                format!("{value:e}")
            } else {
                value.to_string()
            },
        ))
    }
}

/// `--label`: digits are a 0-based index, anything else a header name.
pub fn label_column(label: Option<&str>) -> LabelColumn {
    match label {
        None => LabelColumn::Last,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(i) => LabelColumn::Number(i + 1),
            Err(_) => LabelColumn::Name(s.trim().to_string()),
        },
    }
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

/// The features of a CSV-built dataset (always `f32`).
fn f32_features(data: &Dataset) -> Result<&[f32], Box<dyn Error>> {
    match data.features() {
        Features::F32(v) => Ok(v),
        Features::U8 { .. } => Err(fail("expected f32 features".into())),
    }
}

/// The regression targets of a dataset.
fn target_values(data: &Dataset) -> Result<&[f32], Box<dyn Error>> {
    match data.targets() {
        Targets::Values { values, .. } => Ok(values),
        Targets::Classes { .. } => Err(fail("expected regression targets".into())),
    }
}

/// `data` with its targets mapped to `(y − mean) / std`.
fn standardize_targets(data: &Dataset, mean: f64, std: f64) -> Result<Dataset, Box<dyn Error>> {
    let targets = target_values(data)?
        .iter()
        .map(|&y| ((f64::from(y) - mean) / std) as f32)
        .collect();
    Ok(Dataset::regression(
        f32_features(data)?.to_vec(),
        data.n_features(),
        targets,
        1,
    )?)
}

/// Converts the two tables for the task; returns the datasets and, for
/// classification, the class map fitted on the training file.
fn datasets(
    args: &Args,
    train: CsvTable,
    test: Option<CsvTable>,
) -> Result<(Dataset, Dataset, Option<ClassMap>), Box<dyn Error>> {
    let (train, test, classes) = match args.task {
        Task::Regression => {
            let train = train.into_regression()?;
            let test = test.map(CsvTable::into_regression).transpose()?;
            (train, test, None)
        }
        Task::Binary | Task::Multiclass => {
            let (train, classes) = train.into_classification()?;
            let k = classes.len();
            if args.task == Task::Binary && k != 2 {
                return Err(fail(format!(
                    "--task binary needs exactly 2 distinct labels in the training file, found {k}: {}",
                    classes.describe()
                )));
            }
            if k < 2 {
                return Err(fail(format!(
                    "--task multiclass needs at least 2 distinct labels in the training file, found {k}: {}",
                    classes.describe()
                )));
            }
            let test = test
                .map(|t| t.into_classification_with(&classes))
                .transpose()?;
            (train, test, Some(classes))
        }
    };
    let (train, test) = match test {
        Some(test) => (train, test),
        None => {
            let f = args.test_split.unwrap_or(0.2);
            if !(f > 0.0 && f < 1.0) {
                return Err(fail(format!("--test-split must be in (0, 1), found {f}")));
            }
            train.split(f, args.seed)?
        }
    };
    Ok((train, test, classes))
}

/// Reads the files, trains and evaluates; prints what it does on stdout.
/// A failed write to stdout is an error (an `io::Error`).
pub fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    run_to(args, &mut io::stdout())
}

/// [`run`], writing what it does to `out`, except the per-epoch progress
/// (without `--quiet`), which goes to stdout. A failed write is an error (an
/// `io::Error`).
pub fn run_to(args: &Args, out: &mut dyn Write) -> Result<Report, Box<dyn Error>> {
    let layers = parse_layers(&args.layers)?;
    if args.epochs == 0 {
        return Err(fail("--epochs must be at least 1".into()));
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(fail(format!(
            "--lr must be a positive number, found {}",
            args.lr
        )));
    }
    let optimizer: OptimizerKind = args.optimizer.parse()?;

    let opts = CsvOptions {
        label: label_column(args.label.as_deref()),
        has_header: args.header.has_header(),
        max_bytes: args.max_bytes,
        ..CsvOptions::default()
    };
    let train_table = load_csv(&args.train, &opts)?;
    let test_table = args.test.as_ref().map(|p| load_csv(p, &opts)).transpose()?;
    if let Some(t) = &test_table {
        if t.n_features() != train_table.n_features() {
            return Err(fail(format!(
                "{} has {} feature columns, but {} has {}",
                t.source(),
                t.n_features(),
                train_table.source(),
                train_table.n_features()
            )));
        }
        if let (Some(a), Some(b)) = (train_table.feature_names(), t.feature_names())
            && a != b
        {
            return Err(fail(format!(
                "{} has feature columns {b:?}, but {} has {a:?}",
                t.source(),
                train_table.source()
            )));
        }
    }
    let label_name = train_table
        .label_name()
        .map(|n| format!("{n:?}"))
        .unwrap_or_else(|| format!("column {}", train_table.label_column().map_or(0, |c| c.number)));
    let feature_names = train_table
        .feature_names()
        .map(|n| format!(" ({})", n.join(", ")))
        .unwrap_or_default();
    let n_features = train_table.n_features();
    let test_rows = test_table.as_ref().map(TestRows::of);

    let (mut train, mut test, classes) = datasets(args, train_table, test_table)?;
    let outputs = match (args.task, &classes) {
        (Task::Multiclass, Some(c)) => c.len(),
        _ => 1,
    };
    // A batch larger than the training set is the whole set.
    check_size(n_features, &layers, outputs, args.batch.min(train.len()))?;
    writeln!(
        out,
        "{}: {} and {}, {}{feature_names}, label {label_name}",
        args.task.name(),
        plural(train.len(), "training sample", "training samples"),
        plural(test.len(), "test sample", "test samples"),
        plural(n_features, "feature", "features"),
    )?;
    if let Some(c) = &classes {
        writeln!(
            out,
            "{}; label values {} are classes 0..{}",
            plural(c.len(), "class", "classes"),
            c.describe(),
            c.len()
        )?;
    }

    // Scale features with the training set's statistics only.
    let scaler = Scaler::fit_standardize(&train)?;
    scaler.apply(&mut train)?;
    scaler
        .apply(&mut test)
        .map_err(|e| TestRows::locate(test_rows.as_ref(), e, &test))?;
    // Regression: standardise the target too, so the output layer starts
    // on the right scale whatever the units.
    let target_scale = if args.task == Task::Regression {
        let y = target_values(&train)?;
        let n = y.len() as f64;
        let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = y
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        train = standardize_targets(&train, mean, std)?;
        let baseline = (target_values(&test)?
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / test.len() as f64)
            .sqrt();
        test =
            standardize_targets(&test, mean, std).map_err(|e| match e.downcast::<DataError>() {
                Ok(e) => TestRows::locate(test_rows.as_ref(), *e, &test),
                Err(e) => e,
            })?;
        Some((std, baseline))
    } else {
        None
    };

    let mut builder = Sequential::<f32>::builder(n_features).seed(args.seed);
    for &width in &layers {
        builder = builder.dense(width).relu();
    }
    let mut net = builder.dense(outputs).build()?;
    write!(out, "{}", net.summary())?;

    let loss: Box<dyn Loss<f32>> = match args.task {
        Task::Binary => Box::new(BinaryCrossEntropyWithLogits),
        Task::Multiclass => Box::new(SoftmaxCrossEntropy),
        Task::Regression => Box::new(Mse),
    };
    writeln!(
        out,
        "loss {}, optimizer {optimizer}, lr {}, batch {}, {}, seed {}",
        loss.name(),
        args.lr,
        args.batch,
        plural(args.epochs, "epoch", "epochs"),
        args.seed
    )?;
    let mut trainer = Trainer::with_boxed(loss, optimizer.build(), args.lr)
        .epochs(args.epochs)
        .batch_size(args.batch)
        .seed(args.seed)
        .progress(if args.quiet {
            ProgressMode::Silent
        } else {
            ProgressMode::Auto
        });
    let history = trainer.fit(&mut net, &train)?;
    let eval = trainer.evaluate(&mut net, &test)?;

    let (test_loss, test_rmse, baseline_rmse) = match target_scale {
        Some((std, baseline)) => {
            let rmse = eval.rmse.map(|r| r * std);
            (eval.loss * std * std, rmse, Some(baseline))
        }
        None => (eval.loss, None, None),
    };
    match (eval.accuracy, test_rmse) {
        (Some(acc), _) => writeln!(
            out,
            "test loss {}, test accuracy {acc:.4}",
            number(test_loss)
        )?,
        (None, Some(rmse)) => writeln!(
            out,
            "test MSE {}, test RMSE {} (predicting the training mean: {})",
            number(test_loss),
            number(rmse),
            number(baseline_rmse.unwrap_or(f64::NAN))
        )?,
        (None, None) => writeln!(out, "test loss {}", number(test_loss))?,
    }
    if let Some(cm) = &eval.confusion {
        writeln!(
            out,
            "confusion matrix (rows: true class, columns: predicted)\n{cm}"
        )?;
    }

    let mean = history.mean_epoch_seconds();
    let report = Report {
        task: args.task,
        test_accuracy: eval.accuracy,
        test_rmse,
        baseline_rmse,
        test_loss,
        epochs: history.epochs.len(),
        train_samples: train.len(),
        test_samples: test.len(),
        mean_epoch_seconds: mean,
        samples_per_second: if mean > 0.0 {
            train.len() as f64 / mean
        } else {
            0.0
        },
    };
    if args.json {
        writeln!(out, "{}", report.to_json(args, &layers))?;
    }
    Ok(report)
}

#[allow(dead_code)] // Also compiled into tests/csv_example.rs, which has its own main.
fn main() -> ExitCode {
    /// A command-line error from clap as one line: its message without the
    /// usage block that follows it.
    fn one_line(e: &clap::Error) -> String {
        let text = e.to_string();
        let message: Vec<&str> = text
            .lines()
            .take_while(|l| !l.starts_with("Usage:"))
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
            .collect();
        let joined = message.join(" ");
        joined
            .strip_prefix("error: ")
            .unwrap_or(&joined)
            .to_string()
    }

    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            return ExitCode::from(2);
        }
    };
    exit::exit_code(run(&args))
}
