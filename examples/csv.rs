//! Trains an MLP on a CSV table — binary or multiclass classification, or
//! regression — and predicts new rows with the model it saves.
//!
//! ```sh
//! cargo run --release --example csv -- --train examples/data/moons.csv --test-split 0.2 --label label --task binary
//! cargo run --release --example csv -- --train examples/data/houses.csv --label price --task regression --json
//! cargo run --release --example csv -- --train examples/data/iris.csv --label species --task multiclass --save iris.safetensors
//! cargo run --release --example csv -- --model iris.safetensors --predict new-flowers.csv --out predictions.csv
//! ```
//!
//! **Columns** are numbered from 1, as spreadsheets, `cut` and every
//! message number them, or named by their header: `--label` (default: the
//! last column), `--features a,b,c` (these, in this order) or `--drop id`
//! (all but these); every other column is a feature. The label holds
//! numbers or text: text labels (`setosa`) become classes in sorted order,
//! as scikit-learn's `LabelEncoder` numbers them, and numeric labels in
//! order of value. Features are numbers.
//!
//! **Reading** (`backprop::data::csv`, on the `csv` crate): `--delimiter`
//! `,` (default), `;`, `tab`, or any one character; quoted cells;
//! `--header auto` (the default) takes the first row for a header when at
//! least as many of its cells are text as numbers (the label's cell and
//! missing values aside), so a first data row with a typo is reported, not
//! dropped; `--header yes` or `no` says which it is. **Missing values** —
//! an empty cell, `?`, `NA`, `N/A`, `NaN` in any letter case — are an error
//! naming the line and the column (`--missing error`, the default), or
//! `--missing drop` skips their rows, or `--missing mean` fills a feature
//! with its mean over the training rows (a row with a missing label is
//! skipped). A file may hold at most `--max-bytes` of text (1 GiB by
//! default, counted after gzip decompression), and the network at most
//! 2^28 parameters and 2^28 activations per batch.
//!
//! **Training**: the test set is `--test FILE` or a seeded `--test-split`
//! fraction of the training file (0.2 by default). Features are
//! standardised with statistics of the training rows only, then applied to
//! the test rows; regression targets too, and the RMSE is reported in the
//! file's units, next to the RMSE of always predicting the training mean.
//!
//! | `--task` | outputs | loss |
//! |---|---|---|
//! | `binary` | 1 logit | `BinaryCrossEntropyWithLogits` |
//! | `multiclass` | one logit per class | `SoftmaxCrossEntropy` |
//! | `regression` | 1 value (identity output) | `Mse` |
//!
//! Hidden layers (`--layers 64,32`) use ReLU. With `--json` the last line of
//! stdout is one JSON object with `test_accuracy` (or `test_rmse`), `epochs`,
//! `batch`, `mean_epoch_seconds`, `samples_per_second`, `classes`,
//! `dropped_rows`, `imputed_values` and the settings.
//!
//! **Saving and predicting**: `--save FILE` writes the model with what it
//! needs to read new rows: the training file's columns, the scaler, the
//! class names, the missing-value mode with the training means, and the
//! target's scale. `--model FILE --predict ROWS.csv` reads `ROWS.csv` with
//! the training file's columns (the same header, or the same number of
//! columns; the label column may be absent), fills and scales it the same
//! way, and writes one CSV row per row: `line` (its line in the file),
//! `predicted` (the class name, or the value in the file's units) and, for
//! classification, `p_<class>` per class. To `--out FILE`, or to stdout.
//! `--out FILE` while training writes the test set's predictions the same
//! way, so the two can be compared.
//!
//! Errors are one `error: …` line on stderr and a non-zero exit status; a
//! closed stdout (`… | head -1`) ends the run quietly with status 0.
//!
//! The sample files in `examples/data/` are synthetic (see
//! `examples/data/generate.py`).

#[allow(dead_code)] // Only main uses it, and the test that includes this file has its own.
#[path = "support/exit.rs"]
mod exit;

#[path = "support/csv_args.rs"]
pub mod csv_args;
#[path = "support/csv_model.rs"]
pub mod csv_model;
#[path = "support/csv_predict.rs"]
pub mod csv_predict;
#[path = "support/csv_predictions.rs"]
pub mod csv_predictions;
#[path = "support/csv_report.rs"]
pub mod csv_report;
#[path = "support/csv_rows.rs"]
pub mod csv_rows;
#[path = "support/csv_train.rs"]
pub mod csv_train;

use clap::Parser;
use csv_args::Args;
use std::error::Error;
use std::io::{self, Write};
use std::process::ExitCode;

/// Trains (or, with `--predict`, predicts) as `args` say, printing to
/// stdout; notes about predicted rows go to stderr when the predictions do
/// to stdout. A failed write to stdout is an error (an `io::Error`).
pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let mut out = io::stdout();
    if args.predict.is_some() {
        csv_predict::predict(args, &mut out, &mut io::stderr())?;
    } else {
        csv_train::train(args, &mut out)?;
    }
    out.flush()?;
    Ok(())
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
