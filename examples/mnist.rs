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
//! one, bit-identically to the uninterrupted run (same flags required).

#[path = "support/exit.rs"]
mod exit;

use backprop::data::PixelScale;
use backprop::data::mnist::Mnist;
use backprop::io::{load_checkpoint, save_model};
use backprop::layers::{Preprocess, Sequential};
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::{CosineWithWarmup, OptimizerKind, ScheduleKind};
use backprop::tensor::Init;
use backprop::train::{Checkpointer, ProgressMode, Trainer, Validation, resume};
use clap::Parser;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Train the tutorial's MLP [784, 128, 64, 10] on MNIST")]
struct Args {
    /// Number of epochs.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
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
    /// Threads for large matrix products (default: the BACKPROP_NUM_THREADS
    /// environment variable, else every core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(n) = args.threads {
        backprop::tensor::threads::set_num_threads(n);
    }
    exit::exit_code(run(&args))
}

/// Trains, evaluates and writes the results; a failed write to stdout is an
/// error (an `io::Error`).
fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout();
    let mut mnist = Mnist::load(&args.data)?;
    let scale = match args.scale.as_str() {
        "standardize" => PixelScale::MNIST,
        "unit" => PixelScale::Unit,
        other => {
            return Err(format!("--scale must be standardize or unit, found {other:?}").into());
        }
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

    let optimizer: OptimizerKind = args.optimizer.parse()?;
    writeln!(
        out,
        "optimizer {optimizer}, lr {}, batch {}, {} epochs, seed {}",
        args.lr, args.batch, args.epochs, args.seed
    )?;
    let schedule = match args.schedule.as_str() {
        "cosine" => ScheduleKind::from(CosineWithWarmup::new(args.lr, 0, args.epochs, 0.0)?),
        "constant" => ScheduleKind::from(args.lr),
        other => {
            return Err(format!("--schedule must be cosine or constant, found {other:?}").into());
        }
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
    if args.checkpoints || args.save_every.is_some() {
        let dir = args.out.join("checkpoints");
        trainer = trainer.callback(
            Checkpointer::new(&dir, args.save_every.unwrap_or(1))
                .seed(args.seed)
                .config(config.clone()),
        );
        writeln!(out, "checkpoints in {}", dir.display())?;
    }
    if let Some(path) = &args.resume {
        let checkpoint = load_checkpoint::<f32>(path)?;
        check_resumable(path, &checkpoint.state.config, &config)?;
        writeln!(
            out,
            "resuming {} after epoch {}",
            path.display(),
            checkpoint.state.epoch
        )?;
        (trainer, net) = resume(trainer, checkpoint)?;
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
    let history = trainer.fit(&mut net, &train)?;

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

    std::fs::create_dir_all(&args.out)?;
    history.save_csv(args.out.join("history.csv"))?;
    history.save_json(args.out.join("history.json"))?;
    history.plot_png(args.out.join("curve.png"), "MNIST 784-128-64-10")?;
    save_model(&net, args.out.join("model.safetensors"))?;
    writeln!(
        out,
        "wrote {}/history.csv, history.json, curve.png, model.safetensors",
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
    Ok(())
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
