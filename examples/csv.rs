//! Trains an MLP on any numeric CSV table: binary or multiclass
//! classification, or regression.
//!
//! ```sh
//! cargo run --release --example csv -- --train examples/data/moons.csv --test-split 0.2 --label label --task binary
//! cargo run --release --example csv -- --train examples/data/houses.csv --label price --task regression --json
//! cargo run --release --example csv -- --train train.csv --test test.csv --label 0 --task multiclass --layers 128,64
//! ```
//!
//! Every cell must be a number (see `backprop::data::csv`); the first row is
//! a header when any of its cells is not. `--label` names the label (or
//! target) column by header name or 0-based index; every other column is a
//! feature. The test set is `--test FILE` or a seeded `--test-split`
//! fraction of the training file (0.2 by default).
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

use backprop::data::csv::{ClassMap, CsvOptions, CsvTable, LabelColumn, load_csv};
use backprop::data::{Dataset, Features, Scaler, Targets};
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

/// `--label`: digits are a 0-based index, anything else a header name.
pub fn label_column(label: Option<&str>) -> LabelColumn {
    match label {
        None => LabelColumn::Last,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(i) => LabelColumn::Index(i),
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
                    "--task binary needs exactly 2 distinct labels in the training file, found {k}: {:?}",
                    classes.values()
                )));
            }
            if k < 2 {
                return Err(fail(format!(
                    "--task multiclass needs at least 2 distinct labels in the training file, found {k}: {:?}",
                    classes.values()
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
        .unwrap_or_else(|| format!("column {}", train_table.label_column() + 1));
    let feature_names = train_table
        .feature_names()
        .map(|n| format!(" ({})", n.join(", ")))
        .unwrap_or_default();
    let n_features = train_table.n_features();

    let (mut train, mut test, classes) = datasets(args, train_table, test_table)?;
    writeln!(
        out,
        "{}: {} training and {} test samples, {n_features} features{feature_names}, label {label_name}",
        args.task.name(),
        train.len(),
        test.len(),
    )?;
    if let Some(c) = &classes {
        writeln!(
            out,
            "{} classes; label values {:?} are classes 0..{}",
            c.len(),
            c.values(),
            c.len()
        )?;
    }

    // Scale features with the training set's statistics only.
    let scaler = Scaler::fit_standardize(&train)?;
    scaler.apply(&mut train)?;
    scaler.apply(&mut test)?;
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
        test = standardize_targets(&test, mean, std)?;
        Some((std, baseline))
    } else {
        None
    };

    let outputs = match (args.task, &classes) {
        (Task::Multiclass, Some(c)) => c.len(),
        _ => 1,
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
        "loss {}, optimizer {optimizer}, lr {}, batch {}, {} epochs, seed {}",
        loss.name(),
        args.lr,
        args.batch,
        args.epochs,
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
        (Some(acc), _) => writeln!(out, "test loss {test_loss:.4}, test accuracy {acc:.4}")?,
        (None, Some(rmse)) => writeln!(
            out,
            "test MSE {test_loss:.4}, test RMSE {rmse:.4} (predicting the training mean: {:.4})",
            baseline_rmse.unwrap_or(f64::NAN)
        )?,
        (None, None) => writeln!(out, "test loss {test_loss:.4}")?,
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
