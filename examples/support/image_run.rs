//! One training run of an image example, whatever its network: the data,
//! the header, training (with checkpoints, resume and Ctrl-C), the test
//! evaluation, the run directory's files and the `--json` summary.
//! `#[path]`-included by `mnist.rs` and `cnn.rs`, beside `exit.rs`,
//! `threads.rs`, `image_cli.rs` and `image_data.rs`.

use crate::image_cli::{self, Args, Example, NetSpec, check_flags};
use crate::image_data::{self, Source};
use crate::{exit, threads};
use backprop::data::PixelScale;
use backprop::data::idx::IdxLimits;
use backprop::data::mnist::{Mnist, class_names};
use backprop::io::{checkpoint_path, load_checkpoint, save_model};
use backprop::layers::{Preprocess, Sequential};
use backprop::losses::SoftmaxCrossEntropy;
use backprop::onnx::{ExportOptions, export};
use backprop::optim::{CosineWithWarmup, OptimizerKind, ScheduleKind};
use backprop::train::{Checkpointer, History, ProgressMode, RunDir, Trainer, Validation, resume};
use serde_json::{Value, json};
use std::error::Error;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// How a run ended, when it did not fail.
enum Finished {
    /// Every epoch trained.
    Done,
    /// Stopped by a signal, its files written.
    Interrupted,
}

/// Parses the command line with `example`'s defaults, runs, and says how
/// it ended: 0, 1 with `error: …` on stderr, or 130 after a signal.
pub fn main(example: &Example) -> ExitCode {
    let args = image_cli::parse(example);
    if let Some(n) = args.threads {
        threads::set(n);
    }
    match run(example, &args) {
        Ok(Finished::Interrupted) => ExitCode::from(INTERRUPTED),
        other => exit::exit_code(other),
    }
}

/// Trains, evaluates and writes the results; a failed write to stdout is an
/// error (an `io::Error`).
fn run(example: &Example, args: &Args) -> Result<Finished, Box<dyn Error>> {
    check_flags(args)?;
    let optimizer: OptimizerKind = args.optimizer.parse()?;
    let (lr, lr_from) = match args.lr {
        Some(lr) => (lr, "--lr".to_string()),
        None => (example.lr)(optimizer),
    };
    // The run owns --out from here on: a second run is refused, and the
    // previous run's manifest is gone.
    let run_dir = RunDir::open(&args.out).map_err(|e| format!("--out: {e}"))?;
    let checkpoint_dir = args.out.join("checkpoints");
    let checkpoint_every = match (args.checkpoints, args.save_every) {
        (_, Some(k)) => Some(k),
        (true, None) => Some(1),
        (false, None) => None,
    };
    if checkpoint_every.is_some() && checkpoint_dir.exists() && !checkpoint_dir.is_dir() {
        return Err(format!(
            "--out: {} exists and is not a directory: the checkpoints go there",
            checkpoint_dir.display()
        )
        .into());
    }
    let mut out = io::stdout();
    let source = image_data::source(args)?;
    let fingerprint = image_data::fingerprint(&source.files)?;
    // With --limit, only the first training images and labels are decompressed.
    let limits = IdxLimits {
        max_samples: args.limit,
        ..IdxLimits::default()
    };
    let mut sets = Mnist::load_files(&source.files, &limits)?;
    let scale = match args.scale.as_str() {
        "standardize" => PixelScale::MNIST,
        _ => PixelScale::Unit,
    };
    sets.set_pixel_scale(scale)?;
    let (rows, cols, classes, labels) =
        (sets.rows, sets.cols, sets.n_classes(), sets.label_range());
    let all = match args.limit {
        Some(n) => sets.train.take(n)?,
        None => sets.train,
    };
    let test = sets.test;
    writeln!(
        out,
        "{}: {} training, {} test images ({rows}×{cols}, {classes} classes) from {} ({})",
        source.name,
        all.len(),
        test.len(),
        source.shown.display(),
        source.origin
    )?;
    if let Some((lo, hi)) = labels
        && lo > 0
    {
        writeln!(
            out,
            "labels {lo}..{hi}: {classes} classes, the largest label plus one; class{} below {lo} {} no images",
            if lo == 1 { "" } else { "es" },
            if lo == 1 { "has" } else { "have" }
        )?;
    }
    let (train, val) = match args.validation_split {
        Some(f) => {
            let (train, val) = image_data::split_last(&all, f)?;
            writeln!(
                out,
                "validation: the last {} of the {} training images (--validation-split {f}, as Keras's validation_split: in file order, before shuffling); training on the first {}; the test set is evaluated once, after training",
                val.len(),
                all.len(),
                train.len()
            )?;
            (train, Some(val))
        }
        None => {
            writeln!(
                out,
                "validation: val_* is the test set, evaluated after every epoch (nothing is tuned on it; --validation-split F holds out training images instead)"
            )?;
            (all, None)
        }
    };

    let spec = NetSpec {
        channels: 1,
        rows,
        cols,
        classes,
        dataset: source.name.clone(),
        hidden: args.hidden.clone(),
        layers: args.layers.clone(),
        seed: args.seed,
    };
    let network = (example.describe)(&spec)?;
    let mut net = (example.build)(&spec)?;
    write!(out, "{}", net.summary())?;
    writeln!(
        out,
        "optimizer {optimizer}, lr {lr} ({lr_from}), batch {}, {} epoch{}, {} schedule, seed {}, pixels {}",
        args.batch,
        args.epochs,
        if args.epochs == 1 { "" } else { "s" },
        args.schedule,
        args.seed,
        match scale {
            PixelScale::Standardize { .. } => "(x/255 − 0.1307)/0.3081 (--scale standardize)",
            _ => "x/255 (--scale unit)",
        }
    )?;
    let schedule = match args.schedule.as_str() {
        "cosine" => ScheduleKind::from(CosineWithWarmup::new(lr, 0, args.epochs, 0.0)?),
        _ => ScheduleKind::from(lr),
    };
    let config = json!({
        "optimizer": optimizer.name(),
        "lr": lr,
        "batch": args.batch,
        "schedule": args.schedule,
        "epochs": args.epochs,
        "scale": args.scale,
        "limit": args.limit,
        "seed": args.seed,
        "network": network,
        "validation_split": args.validation_split,
    });
    let mut trainer = Trainer::with_boxed(Box::new(SoftmaxCrossEntropy), optimizer.build(), lr)
        .schedule(schedule)
        .epochs(args.epochs)
        .batch_size(args.batch)
        .seed(args.seed)
        .eval_batch_size(example.eval_batch)
        // Evaluated after every epoch (outside the timed loop) so that the
        // history and the curve show it.
        .validation(Validation::Data(
            val.clone().unwrap_or_else(|| test.clone()),
        ))
        .progress(ProgressMode::Auto);
    if let Some(every) = checkpoint_every {
        trainer = trainer.callback(
            Checkpointer::new(&checkpoint_dir, every)
                .config(config.clone())
                .data(fingerprint.clone()),
        );
        writeln!(out, "checkpoints in {}", checkpoint_dir.display())?;
    }
    let mut start = 0;
    if let Some(path) = &args.resume {
        let checkpoint = load_checkpoint::<f32>(path)?;
        // Flags a checkpoint from before they existed did not record: what
        // that run had.
        let before = NetSpec {
            hidden: parse_sizes(example.hidden),
            layers: None,
            ..spec
        };
        let implied = json!({
            "network": (example.describe)(&before).unwrap_or_default(),
            "validation_split": null,
        });
        check_resumable(path, &checkpoint.state.config, &config, &implied)?;
        let saved = &checkpoint.state.data["source"];
        match (
            image_data::differences(saved, &fingerprint),
            args.force_resume,
        ) {
            (found, _) if found.is_empty() => {}
            (found, false) => {
                return Err(format!(
                    "{}: the checkpoint was trained on other data files than those in {} ({}); resume with the --data it was trained on, or pass --force-resume",
                    path.display(),
                    source.shown.display(),
                    found.join("; ")
                )
                .into());
            }
            (found, true) => writeln!(
                out,
                "--force-resume: the data files differ from the checkpoint's ({})",
                found.join("; ")
            )?,
        }
        start = checkpoint.state.epoch;
        let at = serde_json::from_value::<History>(checkpoint.state.history.clone())
            .ok()
            .and_then(|h| h.interrupted);
        match at {
            Some(at) => writeln!(out, "resuming {} {at}", path.display())?,
            None => writeln!(out, "resuming {} after epoch {start}", path.display())?,
        }
        (trainer, net) = resume(trainer.force_resume(args.force_resume), checkpoint)?;
    }
    describe_model(&mut net, scale, &source, classes);
    trainer = trainer.stop_flag(stop_on_signals()?);
    let history = trainer.fit(&mut net, &train)?;
    let title = format!("{} {network}", source.name);
    let saved = Saved {
        run_dir: &run_dir,
        checkpoint_every,
        start,
        title: &title,
    };

    if let Some(at) = &history.interrupted {
        writeln!(out, "interrupted {at}")?;
        if checkpoint_every.is_some() {
            writeln!(
                out,
                "checkpoint {} (continue with --resume)",
                at.checkpoint_path(&checkpoint_dir).display()
            )?;
        }
        saved.write(&history, &net)?;
        writeln!(
            out,
            "wrote {}/history.csv, history.json, curve.png, model.safetensors, manifest.json",
            args.out.display()
        )?;
        write_onnx(args, &net, &mut out)?;
        return Ok(Finished::Interrupted);
    }

    let eval = trainer.evaluate(&mut net, &test)?;
    let accuracy = eval.accuracy.unwrap_or(0.0);
    writeln!(
        out,
        "test loss {:.4}, test accuracy {:.4}{}",
        eval.loss,
        accuracy,
        if val.is_some() {
            " (the test set, once, after training)"
        } else {
            ""
        }
    )?;
    if let Some(cm) = &eval.confusion {
        writeln!(
            out,
            "confusion matrix (rows: true class, columns: predicted)\n{cm}"
        )?;
    }

    saved.write(&history, &net)?;
    writeln!(
        out,
        "wrote {}/history.csv, history.json, curve.png, model.safetensors, manifest.json",
        args.out.display()
    )?;
    write_onnx(args, &net, &mut out)?;

    if args.json {
        let mean = history.mean_epoch_seconds();
        let last = history.epochs.last();
        let summary = json!({
            "dataset": source.name,
            "network": network,
            "classes": classes,
            "test_accuracy": accuracy,
            "test_loss": eval.loss,
            "validation": match args.validation_split {
                Some(f) => format!("last {f} of the training set"),
                None => "the test set".to_string(),
            },
            "val_accuracy": last.and_then(|r| r.val_accuracy),
            "val_loss": last.and_then(|r| r.val_loss),
            "epochs": history.epochs.len(),
            "batch": args.batch,
            "optimizer": optimizer.name(),
            "lr": lr,
            "seed": args.seed,
            "train_samples": train.len(),
            "mean_epoch_seconds": mean,
            "samples_per_second": if mean > 0.0 { train.len() as f64 / mean } else { 0.0 },
            "peak_rss_mib": peak_rss_mib(),
            "threads": backprop::tensor::threads::num_threads(),
            // Below `threads`: the tuner ran some steps on one thread.
            "mean_threads": history.mean_threads(),
        });
        writeln!(out, "{summary}")?;
    }
    Ok(Finished::Done)
}

/// `--onnx FILE`: the trained network as an ONNX file (atomically).
fn write_onnx(
    args: &Args,
    net: &Sequential<f32>,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    if let Some(path) = &args.onnx {
        export(net, path, &ExportOptions::default()).map_err(|e| format!("--onnx: {e}"))?;
        writeln!(out, "wrote {} (ONNX)", path.display())?;
    }
    Ok(())
}

/// `784,128` → `[784, 128]` (an example's `--hidden` default, which clap
/// has parsed once already).
fn parse_sizes(text: &str) -> Vec<usize> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

/// What the model file says about its inputs and outputs, so that
/// `predict` (or any user of the file) needs no flags: how pixels were
/// scaled, the class names, the data it was trained on.
fn describe_model(net: &mut Sequential<f32>, scale: PixelScale, source: &Source, classes: usize) {
    let info = net.info_mut();
    info.preprocess = match scale {
        PixelScale::Standardize { mean, std } => Preprocess::Pixels { mean, std },
        _ => Preprocess::UNIT_PIXELS,
    };
    info.class_names = Some(
        class_names(&source.name, classes)
            .unwrap_or_else(|| (0..classes).map(|c| c.to_string()).collect()),
    );
    info.metadata
        .insert("data".into(), source.shown.display().to_string());
    info.metadata.insert("dataset".into(), source.name.clone());
}

/// SIGINT and SIGTERM raise the returned flag, which the trainer reads
/// after every step; a second signal, the flag already raised, exits at
/// once with status 130.
fn stop_on_signals() -> io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(INTERRUPTED),
            Arc::clone(&stop),
        )?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    Ok(stop)
}

/// Where and how a run's results are written.
struct Saved<'a> {
    run_dir: &'a RunDir,
    checkpoint_every: Option<usize>,
    /// The epoch a resumed run started after (0 for a fresh run).
    start: usize,
    /// The curve's title.
    title: &'a str,
}

impl Saved<'_> {
    /// Writes the history, the curve and the model into the run's
    /// directory, then the manifest naming them and the checkpoints of the
    /// run.
    fn write(&self, history: &History, net: &Sequential<f32>) -> Result<(), Box<dyn Error>> {
        let dir = self.run_dir.path();
        history.save_csv(dir.join("history.csv"))?;
        history.save_json(dir.join("history.json"))?;
        history.plot_png(dir.join("curve.png"), self.title)?;
        save_model(net, dir.join("model.safetensors"))?;
        let mut files: Vec<PathBuf> = [
            "history.csv",
            "history.json",
            "curve.png",
            "model.safetensors",
        ]
        .map(PathBuf::from)
        .to_vec();
        if let Some(every) = self.checkpoint_every {
            let checkpoints = Path::new("checkpoints");
            let done = match &history.interrupted {
                Some(at) => at.epoch,
                None => history.epochs.last().map_or(0, |r| r.epoch),
            };
            // Every `every` epochs and, for a finished run, the last; the
            // checkpoint a resumed run started from.
            let mut epochs: Vec<usize> = (every..=done).step_by(every).collect();
            if history.interrupted.is_none() && done > 0 {
                epochs.push(done);
            }
            if self.start > 0 {
                epochs.push(self.start);
            }
            epochs.sort_unstable();
            epochs.dedup();
            // This run's checkpoints, and those of the run it resumed that
            // are in this directory.
            for k in epochs {
                let file = checkpoint_path(checkpoints, k);
                if k > self.start || dir.join(&file).is_file() {
                    files.push(file);
                }
            }
            if let Some(at) = &history.interrupted {
                let file = at.checkpoint_path(checkpoints);
                if !files.contains(&file) {
                    files.push(file);
                }
            }
        }
        self.run_dir.commit(&files)?;
        Ok(())
    }
}

/// A checkpoint resumes bit-exactly only with the flags it was trained with
/// (`--epochs` may differ: training then goes on to the new count, with a
/// cosine schedule recomputed for it). A flag the checkpoint does not
/// record is compared with the value `implied` gives it.
fn check_resumable(
    path: &Path,
    saved: &Value,
    ours: &Value,
    implied: &Value,
) -> Result<(), String> {
    let (Some(saved), Some(ours)) = (saved.as_object(), ours.as_object()) else {
        return Err(format!(
            "{}: the checkpoint does not record the flags of its run",
            path.display()
        ));
    };
    for (key, value) in ours {
        let before = saved
            .get(key)
            .or_else(|| implied.get(key))
            .unwrap_or(&Value::Null);
        if key != "epochs" && before != value {
            return Err(format!(
                "{}: the checkpoint was trained with {key} = {before}, this run has {key} = {value}; resume with the same flags",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Peak resident memory of this process (VmHWM), in MiB, where Linux reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
