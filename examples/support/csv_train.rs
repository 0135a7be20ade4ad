//! Training in examples/csv: read the tables, hold out the test rows, fill
//! or drop missing values, scale with the training rows' statistics,
//! train, evaluate, and save the model with everything `--predict` needs.

use super::csv_args::{
    Args, Missing, Task, fail, feature_columns, label_column, parse_delimiter, parse_layers,
};
use super::csv_model::{CsvModel, TargetScale};
use super::csv_predictions::{create_parent, predict_rows, save_predictions};
use super::csv_report::{Report, check_size, number, plural};
use super::csv_rows::{TestRows, dropped_note, standardize_targets, target_values};
use backprop::data::csv::{ClassMap, CsvOptions, CsvTable, MeanImputer, load_csv};
use backprop::data::{DataError, Scaler};
use backprop::io::save_model;
use backprop::layers::Sequential;
use backprop::losses::{BinaryCrossEntropyWithLogits, Loss, Mse, SoftmaxCrossEntropy};
use backprop::optim::OptimizerKind;
use backprop::train::{ProgressMode, Trainer};
use std::error::Error;
use std::io::Write;

/// The tables of a run: training and test rows, after any split and
/// imputation, and what was done to them.
struct Tables {
    train: CsvTable,
    test: CsvTable,
    classes: Option<ClassMap>,
    imputer: Option<MeanImputer>,
    dropped: usize,
    imputed: usize,
}

/// Reads the files and prepares the rows (see [`Tables`]).
fn tables(args: &Args, task: Task, out: &mut dyn Write) -> Result<Tables, Box<dyn Error>> {
    let missing = args.missing.unwrap_or(Missing::Error);
    let opts = CsvOptions {
        label: label_column(args.label.as_deref())?,
        features: feature_columns(args.features.as_deref(), args.drop.as_deref())?,
        has_header: args.header.has_header(),
        delimiter: parse_delimiter(&args.delimiter)?,
        missing: missing.values(),
        max_bytes: args.max_bytes,
    };
    let train_path = args
        .train
        .as_ref()
        .ok_or_else(|| fail("--train FILE is required to train".into()))?;
    let table = load_csv(train_path, &opts)?;
    let test = args.test.as_ref().map(|p| load_csv(p, &opts)).transpose()?;
    if let Some(t) = &test {
        if t.n_features() != table.n_features() {
            return Err(fail(format!(
                "{} has {} feature columns, but {} has {}",
                t.source(),
                t.n_features(),
                table.source(),
                table.n_features()
            )));
        }
        if let (Some(a), Some(b)) = (table.feature_names(), t.feature_names())
            && a != b
        {
            return Err(fail(format!(
                "{} has feature columns {b:?}, but {} has {a:?}",
                t.source(),
                table.source()
            )));
        }
    }
    // The classes are those of the whole training file, split or not.
    let classes = match task {
        Task::Regression => None,
        Task::Binary | Task::Multiclass => Some(table.class_map()?),
    };
    if let Some(c) = &classes {
        let k = c.len();
        if task == Task::Binary && k != 2 {
            return Err(fail(format!(
                "--task binary needs exactly 2 distinct labels in the training file, found {k}: {}",
                c.describe()
            )));
        }
        if k < 2 {
            return Err(fail(format!(
                "--task multiclass needs at least 2 distinct labels in the training file, found {k}: {}",
                c.describe()
            )));
        }
    }
    let dropped = dropped_note(&table, test.as_ref());
    if let Some((_, note)) = &dropped {
        writeln!(out, "{note}")?;
    }
    let (mut train, mut test) = match test {
        Some(test) => (table, test),
        None => {
            let f = args.test_split.unwrap_or(0.2);
            if !(f > 0.0 && f < 1.0) {
                return Err(fail(format!("--test-split must be in (0, 1), found {f}")));
            }
            table.split(f, args.seed)?
        }
    };
    // Means of the training rows only, applied to both.
    let (imputer, imputed) = if missing == Missing::Mean {
        let imputer = MeanImputer::fit(&train)?;
        let n = imputer.apply(&mut train)? + imputer.apply(&mut test)?;
        if n > 0 {
            writeln!(
                out,
                "filled {} with the training rows' means",
                plural(n, "missing value", "missing values")
            )?;
        }
        (Some(imputer), n)
    } else {
        (None, 0)
    };
    Ok(Tables {
        train,
        test,
        classes,
        imputer,
        dropped: dropped.map_or(0, |(n, _)| n),
        imputed,
    })
}

/// Trains and evaluates as `args` say; prints what it does on `out`, except
/// the per-epoch progress (without `--quiet`), which goes to stdout.
pub fn train(args: &Args, out: &mut dyn Write) -> Result<Report, Box<dyn Error>> {
    let task = args
        .task
        .ok_or_else(|| fail("--task binary|multiclass|regression is required to train".into()))?;
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

    let t = tables(args, task, out)?;
    let schema = t.train.schema();
    let label_name = t
        .train
        .label_name()
        .map(|n| format!("{n:?}"))
        .or_else(|| t.train.label_column().map(|c| c.to_string()))
        .unwrap_or_default();
    let feature_names = t
        .train
        .feature_names()
        .map(|n| format!(" ({})", n.join(", ")))
        .unwrap_or_default();
    let n_features = t.train.n_features();
    let test_rows = args.test.is_some().then(|| TestRows::of(&t.test));
    let test_lines: Vec<usize> = (0..t.test.len())
        .map(|r| t.test.line_of(r).unwrap_or(0))
        .collect();

    let (mut train, mut test) = match &t.classes {
        None => (t.train.into_regression()?, t.test.into_regression()?),
        Some(c) => (
            t.train.into_classification_with(c)?,
            t.test.into_classification_with(c)?,
        ),
    };
    let outputs = match (task, &t.classes) {
        (Task::Multiclass, Some(c)) => c.len(),
        _ => 1,
    };
    // A batch larger than the training set is the whole set.
    check_size(n_features, &layers, outputs, args.batch.min(train.len()))?;
    writeln!(
        out,
        "{}: {} and {}, {}{feature_names}, label {label_name}",
        task.name(),
        plural(train.len(), "training sample", "training samples"),
        plural(test.len(), "test sample", "test samples"),
        plural(n_features, "feature", "features"),
    )?;
    if let Some(c) = &t.classes {
        writeln!(
            out,
            "{}; {} {} are classes 0..{}",
            plural(c.len(), "class", "classes"),
            if c.values().is_some() {
                "label values"
            } else {
                "labels"
            },
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
    let (target, baseline) = if task == Task::Regression {
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
        (Some(TargetScale { mean, std }), Some(baseline))
    } else {
        (None, None)
    };

    let mut builder = Sequential::<f32>::builder(n_features).seed(args.seed);
    for &width in &layers {
        builder = builder.dense(width).relu();
    }
    let mut net = builder.dense(outputs).build()?;
    write!(out, "{}", net.summary())?;

    let loss: Box<dyn Loss<f32>> = match task {
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

    let (test_loss, test_rmse) = match target {
        Some(s) => (eval.loss * s.std * s.std, eval.rmse.map(|r| r * s.std)),
        None => (eval.loss, None),
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
            number(baseline.unwrap_or(f64::NAN))
        )?,
        (None, None) => writeln!(out, "test loss {}", number(test_loss))?,
    }
    if let Some(cm) = &eval.confusion {
        writeln!(
            out,
            "confusion matrix (rows: true class, columns: predicted)\n{cm}"
        )?;
    }

    let class_names = t.classes.as_ref().map(ClassMap::names);
    if let Some(path) = &args.out {
        // The test rows as the trainer evaluated them: scaled by the scaler
        // in memory (--predict scales with the one in the model file).
        let predictions = predict_rows(&mut net, test.len(), task, target, |rows, x| {
            let indices: Vec<usize> = rows.collect();
            Ok(test.fill_features(&indices, x)?)
        })?;
        save_predictions(path, &test_lines, &predictions, class_names)?;
        writeln!(
            out,
            "wrote the test set's predictions to {}",
            path.display()
        )?;
    }
    if let Some(path) = &args.save {
        let model = CsvModel {
            schema,
            task,
            missing: args.missing.unwrap_or(Missing::Error),
            imputer: t.imputer,
            target,
        };
        model.write(
            net.info_mut(),
            scaler.offsets(),
            scaler.scales(),
            class_names,
        );
        create_parent(path)?;
        save_model(&net, path)?;
        writeln!(out, "saved the model to {}", path.display())?;
    }

    let mean = history.mean_epoch_seconds();
    let report = Report {
        task,
        test_accuracy: eval.accuracy,
        test_rmse,
        baseline_rmse: baseline,
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
        classes: class_names.map(<[String]>::to_vec),
        dropped_rows: t.dropped,
        imputed_values: t.imputed,
    };
    if args.json {
        writeln!(out, "{}", report.to_json(args, &layers))?;
    }
    Ok(report)
}
