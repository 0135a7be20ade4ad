//! `--model FILE --predict FILE`: new rows through a model that
//! examples/csv saved, read with the training file's columns, filled with
//! its training means and scaled with its scaler, all from the model file.

use super::csv_args::{Args, Missing, Task, fail, parse_delimiter};
use super::csv_model::CsvModel;
use super::csv_predictions::{predict_rows, save_predictions, write_predictions};
use super::csv_report::plural;
use super::csv_rows::dropped_note;
use backprop::data::csv::CsvOptions;
use backprop::io::load_model;
use backprop::layers::Sequential;
use backprop::tensor::ops;
use std::error::Error;
use std::io::Write;

/// Predicts the rows of `--predict` with `--model`: a CSV to `--out`, or
/// to `out` without it. Notes (rows dropped, values filled) go to `notes`,
/// or to `out` when the CSV goes to a file.
pub fn predict(
    args: &Args,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<(), Box<dyn Error>> {
    let (Some(model_path), Some(rows_path)) = (&args.model, &args.predict) else {
        return Err(fail("--predict FILE needs --model FILE".into()));
    };
    let mut messages = Vec::new();
    let mut net: Sequential<f32> = load_model(model_path)?;
    let name = model_path.display().to_string();
    let model = CsvModel::read(net.info(), &name)?;
    let missing = args.missing.unwrap_or(model.missing);
    let imputer = match (missing, &model.imputer) {
        (Missing::Mean, None) => {
            return Err(fail(format!(
                "--missing mean: {name} was trained without --missing mean, so it has no \
                 training means to fill in; use --missing drop or error"
            )));
        }
        (Missing::Mean, Some(imputer)) => Some(imputer),
        _ => None,
    };
    let opts = CsvOptions {
        has_header: args.header.has_header(),
        delimiter: parse_delimiter(&args.delimiter)?,
        missing: missing.values(),
        max_bytes: args.max_bytes,
        ..CsvOptions::default()
    };
    let mut table = model.schema.load(rows_path, &opts)?;
    if let Some((_, note)) = dropped_note(&table, None) {
        messages.push(note);
    }
    if let Some(imputer) = imputer {
        let n = imputer.apply(&mut table)?;
        if n > 0 {
            messages.push(format!(
                "filled {} with the training rows' means",
                plural(n, "missing value", "missing values")
            ));
        }
    }
    let nf = table.n_features();
    let inputs = net.input_shape().len();
    if nf != inputs {
        return Err(fail(format!(
            "{name}: the network takes {inputs} inputs, but its metadata lists {nf} feature columns"
        )));
    }
    let pre = net.info().preprocess.clone();
    pre.validate(nf)
        .map_err(|e| fail(format!("{name}: preprocessing: {e}")))?;
    let classes = net.info().class_names.clone();
    let outputs = net.output_shape().len();
    match (model.task, &classes) {
        (Task::Regression, _) => {}
        (_, Some(c)) if c.len() == outputs.max(2) => {}
        (_, c) => {
            return Err(fail(format!(
                "{name}: a {} model with {} needs one class name per class, found {}",
                model.task.name(),
                plural(outputs, "output", "outputs"),
                c.as_ref().map_or(0, Vec::len)
            )));
        }
    }

    let features = table.features();
    let predictions = predict_rows(
        &mut net,
        table.len(),
        model.task,
        model.target,
        |rows, x| {
            ops::resize(x, nf, rows.len());
            for (j, r) in rows.enumerate() {
                let row = features.get(r * nf..(r + 1) * nf).unwrap_or_default();
                for (i, &v) in row.iter().enumerate() {
                    x[(i, j)] = pre.apply(i, f64::from(v)) as f32;
                }
            }
            Ok(())
        },
    )?;
    let lines: Vec<usize> = (0..table.len())
        .map(|r| table.line_of(r).unwrap_or(0))
        .collect();
    let classes = classes
        .as_deref()
        .filter(|_| model.task != Task::Regression);
    match &args.out {
        Some(path) => {
            for m in &messages {
                writeln!(out, "{m}")?;
            }
            save_predictions(path, &lines, &predictions, classes)?;
            writeln!(
                out,
                "predicted {} of {} with {name}; wrote {}",
                plural(lines.len(), "row", "rows"),
                table.source(),
                path.display()
            )?;
        }
        None => {
            for m in &messages {
                writeln!(notes, "{m}")?;
            }
            write_predictions(out, &lines, &predictions, classes)?;
        }
    }
    Ok(())
}
