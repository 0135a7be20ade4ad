//! The project's main job: the tutorial's network [784, 128, 64, 10] on MNIST.
//!
//! ReLU hidden layers, softmax cross-entropy on logits, He initialisation,
//! Adam 1e-3, batch 64, 10 epochs by default.
//!
//! ```sh
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --epochs 3 --batch 128 --optimizer sgd --lr 0.1 --json
//! ```
//!
//! It prints the model summary, one line (or a progress bar) per epoch, the
//! test accuracy and the confusion matrix, and writes `history.csv`,
//! `history.json`, `curve.png` and the trained model `model.safetensors`
//! (PyTorch state-dict layout, see `examples/predict.rs`) under `--out`
//! (default `runs/mnist`).
//!
//! Checkpoints: `--checkpoints` (every epoch) or `--save-every K` writes
//! `<out>/checkpoints/epoch-K.safetensors`; `--resume FILE` continues from
//! one, bit-identically to the uninterrupted run (same flags required), and
//! the history files then cover the whole run. A checkpoint records the
//! data files (names, sizes, checksums): a resume on other data is refused
//! unless `--force-resume`.
//!
//! The run owns `--out` while it trains (a lock, `<out>/.lock`: a second
//! run with the same `--out` is refused, naming the first), and writes
//! `<out>/manifest.json` last, naming each of its files with its size and
//! checksum (`backprop::train::RunDir::verify` checks them).
//!
//! Ctrl-C (SIGINT) or SIGTERM stops training at the end of the current
//! step, writes a checkpoint (with `--checkpoints`/`--save-every`, to
//! resume from), the model, the history and the manifest, and exits with
//! status 130; a second Ctrl-C exits at once.

#[path = "support/exit.rs"]
mod exit;
#[path = "support/threads.rs"]
mod threads;

use backprop::data::PixelScale;
use backprop::data::idx::IdxLimits;
use backprop::data::mnist::{Mnist, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};
use backprop::io::{checkpoint_path, load_checkpoint, save_model};
use backprop::layers::{Preprocess, Sequential};
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::{CosineWithWarmup, OptimizerKind, ScheduleKind};
use backprop::tensor::Init;
use backprop::train::{
    Checkpointer, History, ProgressMode, RunDir, Trainer, Validation, file_checksum, resume,
};
use clap::Parser;
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

#[derive(Parser, Debug)]
#[command(about = "Train the tutorial's MLP [784, 128, 64, 10] on MNIST")]
struct Args {
    /// Number of epochs.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate (a positive number).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    lr: f64,
    /// Optimizer: sgd, momentum, nesterov, rmsprop, adam, adamw.
    #[arg(long, default_value = "adam")]
    optimizer: String,
    /// Seed for initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory with the four MNIST IDX files (raw or .gz).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))]
    data: PathBuf,
    /// Where to write the history and the training curve.
    #[arg(long, default_value = "runs/mnist")]
    out: PathBuf,
    /// Pixel scaling: `standardize` ((x/255 − 0.1307)/0.3081) or `unit` (x/255).
    #[arg(long, default_value = "unit")]
    scale: String,
    /// Learning-rate schedule over the epochs: `cosine` (from --lr down to 0) or `constant`.
    #[arg(long, default_value = "cosine")]
    schedule: String,
    /// Train on only the first N training images (a quick smoke run).
    #[arg(long)]
    limit: Option<usize>,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
    /// Write a checkpoint after every epoch to <out>/checkpoints/epoch-K.safetensors.
    #[arg(long)]
    checkpoints: bool,
    /// Write a checkpoint every K epochs (implies --checkpoints).
    #[arg(long, value_name = "K")]
    save_every: Option<usize>,
    /// Continue from a checkpoint (the other flags must match the checkpointed run's).
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Resume even when the data files differ from those the checkpoint
    /// was trained on.
    #[arg(long, requires = "resume")]
    force_resume: bool,
    /// Threads for large matrix products (default: the BACKPROP_NUM_THREADS
    /// environment variable, else every core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// The exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// How a run ended, when it did not fail.
enum Finished {
    /// Every epoch trained.
    Done,
    /// Stopped by a signal, its files written.
    Interrupted,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(n) = args.threads {
        threads::set(n);
    }
    match run(&args) {
        Ok(Finished::Interrupted) => ExitCode::from(INTERRUPTED),
        other => exit::exit_code(other),
    }
}

/// The flags that no run can use, refused before anything is read, in the
/// flags' own terms.
fn check_flags(args: &Args) -> Result<(), String> {
    let at_least_one = [
        ("--epochs", Some(args.epochs)),
        ("--batch", Some(args.batch)),
        ("--limit", args.limit),
        ("--save-every", args.save_every),
    ];
    for (flag, value) in at_least_one {
        if value == Some(0) {
            return Err(format!("{flag} must be at least 1, found 0"));
        }
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(format!("--lr must be a positive number, found {}", args.lr));
    }
    if !["standardize", "unit"].contains(&args.scale.as_str()) {
        return Err(format!(
            "--scale must be standardize or unit, found {:?}",
            args.scale
        ));
    }
    if !["cosine", "constant"].contains(&args.schedule.as_str()) {
        return Err(format!(
            "--schedule must be cosine or constant, found {:?}",
            args.schedule
        ));
    }
    Ok(())
}

/// Trains, evaluates and writes the results; a failed write to stdout is an
/// error (an `io::Error`).
fn run(args: &Args) -> Result<Finished, Box<dyn std::error::Error>> {
    check_flags(args)?;
    let optimizer: OptimizerKind = args.optimizer.parse()?;
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
    let files = data_files(&args.data)?;
    // With --limit, only the first images and labels are decompressed.
    let limits = IdxLimits {
        max_samples: args.limit,
        ..IdxLimits::default()
    };
    let mut mnist = Mnist::load_with(&args.data, &limits)?;
    let scale = match args.scale.as_str() {
        "standardize" => PixelScale::MNIST,
        _ => PixelScale::Unit,
    };
    mnist.set_pixel_scale(scale)?;
    let train = match args.limit {
        Some(n) => mnist.train.take(n)?,
        None => mnist.train,
    };
    let test = mnist.test;
    writeln!(
        out,
        "MNIST: {} training, {} test images from {}",
        train.len(),
        test.len(),
        args.data.display()
    )?;

    let mut net = Sequential::<f32>::builder(784)
        .seed(args.seed)
        .init(Init::HeNormal)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()?;
    write!(out, "{}", net.summary())?;

    writeln!(
        out,
        "optimizer {optimizer}, lr {}, batch {}, {} epochs, seed {}",
        args.lr, args.batch, args.epochs, args.seed
    )?;
    let schedule = match args.schedule.as_str() {
        "cosine" => ScheduleKind::from(CosineWithWarmup::new(args.lr, 0, args.epochs, 0.0)?),
        _ => ScheduleKind::from(args.lr),
    };
    let config = serde_json::json!({
        "optimizer": optimizer.name(),
        "lr": args.lr,
        "batch": args.batch,
        "schedule": args.schedule,
        "epochs": args.epochs,
        "scale": args.scale,
        "limit": args.limit,
        "seed": args.seed,
    });
    let mut trainer =
        Trainer::with_boxed(Box::new(SoftmaxCrossEntropy), optimizer.build(), args.lr)
            .schedule(schedule)
            .epochs(args.epochs)
            .batch_size(args.batch)
            .seed(args.seed)
            // The test set is evaluated after every epoch (outside the timed loop)
            // so that the history and the curve show it; nothing is tuned on it.
            .validation(Validation::Data(test.clone()))
            .progress(ProgressMode::Auto);
    if let Some(every) = checkpoint_every {
        trainer = trainer.callback(
            Checkpointer::new(&checkpoint_dir, every)
                .config(config.clone())
                .data(files.clone()),
        );
        writeln!(out, "checkpoints in {}", checkpoint_dir.display())?;
    }
    let mut start = 0;
    if let Some(path) = &args.resume {
        let checkpoint = load_checkpoint::<f32>(path)?;
        check_resumable(path, &checkpoint.state.config, &config)?;
        let saved = &checkpoint.state.data["source"];
        match (data_differences(saved, &files), args.force_resume) {
            (found, _) if found.is_empty() => {}
            (found, false) => {
                return Err(format!(
                    "{}: the checkpoint was trained on other data files than those in {} ({}); resume with the --data it was trained on, or pass --force-resume",
                    path.display(),
                    args.data.display(),
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
    // The model file says how its inputs were scaled and what its classes
    // are, so that `predict` (or any user of the file) needs no flags.
    let info = net.info_mut();
    info.preprocess = match scale {
        PixelScale::Standardize { mean, std } => Preprocess::Pixels { mean, std },
        _ => Preprocess::UNIT_PIXELS,
    };
    info.class_names = Some((0..10).map(|d| d.to_string()).collect());
    info.metadata
        .insert("data".into(), args.data.display().to_string());
    let stop = stop_on_signals()?;
    trainer = trainer.stop_flag(stop);
    let history = trainer.fit(&mut net, &train)?;

    if let Some(at) = &history.interrupted {
        writeln!(out, "interrupted {at}")?;
        if checkpoint_every.is_some() {
            writeln!(
                out,
                "checkpoint {} (continue with --resume)",
                at.checkpoint_path(&checkpoint_dir).display()
            )?;
        }
        save_results(&run_dir, &history, &net, checkpoint_every, start)?;
        writeln!(
            out,
            "wrote {}/history.csv, history.json, curve.png, model.safetensors, manifest.json",
            args.out.display()
        )?;
        return Ok(Finished::Interrupted);
    }

    let eval = trainer.evaluate(&mut net, &test)?;
    let accuracy = eval.accuracy.unwrap_or(0.0);
    writeln!(
        out,
        "test loss {:.4}, test accuracy {:.4}",
        eval.loss, accuracy
    )?;
    if let Some(cm) = &eval.confusion {
        writeln!(
            out,
            "confusion matrix (rows: true digit, columns: predicted)\n{cm}"
        )?;
    }

    save_results(&run_dir, &history, &net, checkpoint_every, start)?;
    writeln!(
        out,
        "wrote {}/history.csv, history.json, curve.png, model.safetensors, manifest.json",
        args.out.display()
    )?;

    if args.json {
        let mean = history.mean_epoch_seconds();
        let summary = serde_json::json!({
            "test_accuracy": accuracy,
            "test_loss": eval.loss,
            "epochs": history.epochs.len(),
            "batch": args.batch,
            "optimizer": optimizer.name(),
            "lr": args.lr,
            "seed": args.seed,
            "train_samples": train.len(),
            "mean_epoch_seconds": mean,
            "samples_per_second": if mean > 0.0 { train.len() as f64 / mean } else { 0.0 },
            "peak_rss_mib": peak_rss_mib(),
            "threads": backprop::tensor::threads::num_threads(),
        });
        writeln!(out, "{summary}")?;
    }
    Ok(Finished::Done)
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

/// Writes the history, the curve and the model into the run's directory,
/// then the manifest naming them and the checkpoints of the run.
fn save_results(
    run_dir: &RunDir,
    history: &History,
    net: &Sequential<f32>,
    checkpoint_every: Option<usize>,
    start: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = run_dir.path();
    history.save_csv(dir.join("history.csv"))?;
    history.save_json(dir.join("history.json"))?;
    history.plot_png(dir.join("curve.png"), "MNIST 784-128-64-10")?;
    save_model(net, dir.join("model.safetensors"))?;
    let mut files: Vec<PathBuf> = [
        "history.csv",
        "history.json",
        "curve.png",
        "model.safetensors",
    ]
    .map(PathBuf::from)
    .to_vec();
    if let Some(every) = checkpoint_every {
        let checkpoints = Path::new("checkpoints");
        let done = match &history.interrupted {
            Some(at) => at.epoch,
            None => history.epochs.last().map_or(0, |r| r.epoch),
        };
        // This run's checkpoints, and those of the run it resumed that
        // are in this directory.
        for k in (every..=done).step_by(every) {
            let file = checkpoint_path(checkpoints, k);
            if k > start || dir.join(&file).is_file() {
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
    run_dir.commit(&files)?;
    Ok(())
}

/// The four IDX files in `dir`: each one's file name, size and checksum.
fn data_files(dir: &Path) -> Result<Value, Box<dyn std::error::Error>> {
    let mut files = serde_json::Map::new();
    for name in [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS] {
        let path = Mnist::find_file(dir, name)?;
        let (bytes, checksum) =
            file_checksum(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        files.insert(
            name.into(),
            json!({ "file": file, "bytes": bytes, "checksum": checksum }),
        );
    }
    Ok(json!({ "files": files }))
}

/// How the data files now differ from those a checkpoint recorded, one
/// entry per file (none for a checkpoint that recorded none).
fn data_differences(saved: &Value, now: &Value) -> Vec<String> {
    let (Some(saved), Some(now)) = (saved["files"].as_object(), now["files"].as_object()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, then) in saved {
        let current = now.get(name).unwrap_or(&Value::Null);
        if then == current {
            continue;
        }
        let describe = |v: &Value| match (
            v["file"].as_str(),
            v["bytes"].as_u64(),
            v["checksum"].as_str(),
        ) {
            (Some(file), Some(bytes), Some(sum)) => format!("{file}, {bytes} bytes, {sum}"),
            _ => "none".to_string(),
        };
        found.push(format!(
            "{name}: {} then, {} now",
            describe(then),
            describe(current)
        ));
    }
    found
}

/// A checkpoint resumes bit-exactly only with the flags it was trained with
/// (`--epochs` may differ: training then goes on to the new count, with a
/// cosine schedule recomputed for it).
fn check_resumable(
    path: &std::path::Path,
    saved: &serde_json::Value,
    ours: &serde_json::Value,
) -> Result<(), String> {
    let (Some(saved), Some(ours)) = (saved.as_object(), ours.as_object()) else {
        return Err(format!(
            "{}: the checkpoint does not record the flags of its run",
            path.display()
        ));
    };
    for (key, value) in ours {
        let before = saved.get(key).unwrap_or(&serde_json::Value::Null);
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
