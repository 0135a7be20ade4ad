//! The seed tutorial's own pipeline, fixed so it runs: a [784, 128, 64, 10]
//! network with ReLU hidden layers, a sigmoid output, binary cross-entropy on
//! one-hot labels and plain mini-batch gradient descent, written with the
//! tutorial's five functions (see `seed/tutorial.rs`) on the workspace's
//! primitives.
//!
//! ```sh
//! cargo run --release --example seed                      # randn·0.01, f32, fused dZ[L]
//! cargo run --release --example seed -- --init he --dtype f64 --json
//! cargo run --release --example seed -- --gradient tutorial   # dA[L], then σ′
//! ```
//!
//! Prints, after every epoch, the cost, the test accuracy, the epoch time and
//! how many training outputs `A[L]` were exactly 0 or 1 (where the tutorial's
//! raw `dA[L]` would divide by zero); then the final test accuracy, and with
//! `--json` a last line with one JSON object. Epoch times cover the training
//! loop only (shuffle and all batches), not evaluation.
//! See `docs/seed.md` for the tutorial's bugs and measured results.

#[path = "seed/tutorial.rs"]
mod tutorial;

#[path = "support/exit.rs"]
mod exit;

use backprop::data::Batcher;
use backprop::data::mnist::Mnist;
use backprop::losses::{Target, accuracy};
use backprop::tensor::{DMatrix, Init, Scalar};
use clap::{Parser, ValueEnum};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tutorial::{
    OutputGradient, Parameters, backward_propagation, compute_cost, forward_propagation,
    initialize_parameters, update_parameters,
};

/// The tutorial's `layer_dims`.
const LAYER_DIMS: [usize; 4] = [784, 128, 64, 10];
/// Test images per forward pass during evaluation.
const EVAL_CHUNK: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InitArg {
    /// The tutorial's `randn * 0.01`.
    Seed,
    /// He normal: `randn * sqrt(2 / fan_in)`.
    He,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Dtype {
    F32,
    F64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GradientArg {
    /// dZ[L] = A[L] − Y (sigmoid and cross-entropy differentiated together).
    Fused,
    /// The tutorial's dA[L] = −(Y/A[L] − (1−Y)/(1−A[L])) (clamped), then σ′.
    Tutorial,
}

#[derive(Parser, Debug)]
#[command(
    about = "The seed tutorial's network [784, 128, 64, 10] on MNIST: sigmoid output, binary cross-entropy, plain gradient descent"
)]
struct Args {
    /// Number of epochs (at least 1).
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Mini-batch size (at least 1).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate of plain gradient descent.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Weight initialisation: the tutorial's randn·0.01, or He.
    #[arg(long, value_enum, default_value_t = InitArg::Seed)]
    init: InitArg,
    /// Seed for initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Element type.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    dtype: Dtype,
    /// Directory with the four MNIST IDX files (raw or .gz).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))]
    data: PathBuf,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
    /// Output-layer gradient: fused dZ[L] = A[L] − Y, or the tutorial's dA[L] then σ′.
    #[arg(long, value_enum, default_value_t = GradientArg::Fused)]
    gradient: GradientArg,
}

/// What a run measured.
struct Outcome {
    test_accuracy: f64,
    final_cost: f64,
    epoch_seconds: Vec<f64>,
    /// Training outputs `A[L]` that were exactly 0 or 1, over all epochs.
    saturated_outputs: usize,
    /// Those of them that were wrong (`|A[L] − Y| = 1`).
    saturated_wrong: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // tutorial's errors are also Send + Sync; exit_code takes any error.
    exit::exit_code(run(&args).map_err(|e| -> Box<dyn std::error::Error> { e }))
}

fn run(args: &Args) -> tutorial::Result<()> {
    let mut out = io::stdout();
    if args.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    if args.batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(format!("--lr must be a positive finite number, found {}", args.lr).into());
    }
    let mnist = Mnist::load(&args.data)?;
    if mnist.n_features() != LAYER_DIMS[0] || mnist.n_classes() != LAYER_DIMS[3] {
        return Err(format!(
            "expected {} pixels and {} classes in {}, found {} and {}",
            LAYER_DIMS[0],
            LAYER_DIMS[3],
            args.data.display(),
            mnist.n_features(),
            mnist.n_classes()
        )
        .into());
    }
    let (init, init_name) = match args.init {
        InitArg::Seed => (Init::Tutorial, "seed"),
        InitArg::He => (Init::HeNormal, "he"),
    };
    let (gradient, gradient_name) = match args.gradient {
        GradientArg::Fused => (OutputGradient::Fused, "fused"),
        GradientArg::Tutorial => (OutputGradient::Tutorial, "tutorial"),
    };
    let dtype_name = match args.dtype {
        Dtype::F32 => "f32",
        Dtype::F64 => "f64",
    };
    writeln!(
        out,
        "MNIST: {} training, {} test images from {}",
        mnist.train.len(),
        mnist.test.len(),
        args.data.display()
    )?;
    writeln!(
        out,
        "layer_dims {LAYER_DIMS:?}, relu hidden, sigmoid output, binary cross-entropy; \
         init {init_name}, gradient {gradient_name}, {dtype_name}, lr {}, batch {}, {} epochs, seed {}",
        args.lr, args.batch, args.epochs, args.seed
    )?;

    let outcome = match args.dtype {
        Dtype::F32 => train::<f32>(args, &mnist, init, gradient)?,
        Dtype::F64 => train::<f64>(args, &mnist, init, gradient)?,
    };

    // Mean over epochs 2..N: epoch 1 includes warming caches and the allocator.
    let timed = if outcome.epoch_seconds.len() >= 2 {
        &outcome.epoch_seconds[1..]
    } else {
        &outcome.epoch_seconds[..]
    };
    let mean_epoch = timed.iter().sum::<f64>() / timed.len() as f64;
    let samples_per_second = mnist.train.len() as f64 / mean_epoch;
    writeln!(
        out,
        "test accuracy {:.4}; mean epoch {:.3} s ({:.0} samples/s, epochs {})",
        outcome.test_accuracy,
        mean_epoch,
        samples_per_second,
        if outcome.epoch_seconds.len() >= 2 {
            format!("2..{}", outcome.epoch_seconds.len())
        } else {
            "1..1".to_string()
        }
    )?;
    if args.json {
        let summary = serde_json::json!({
            "test_accuracy": outcome.test_accuracy,
            "epochs": args.epochs,
            "batch": args.batch,
            "mean_epoch_seconds": mean_epoch,
            "samples_per_second": samples_per_second,
            "final_cost": outcome.final_cost,
            "saturated_outputs": outcome.saturated_outputs,
            "saturated_wrong": outcome.saturated_wrong,
            "lr": args.lr,
            "init": init_name,
            "dtype": dtype_name,
            "gradient": gradient_name,
            "seed": args.seed,
            "train_samples": mnist.train.len(),
        });
        writeln!(out, "{summary}")?;
    }
    Ok(())
}

/// The tutorial's training loop: for every mini-batch, forward, cost,
/// backward, update.
fn train<T: Scalar>(
    args: &Args,
    mnist: &Mnist,
    init: Init,
    gradient: OutputGradient,
) -> tutorial::Result<Outcome> {
    let mut out = io::stdout();
    let train = &mnist.train;
    let mut parameters = initialize_parameters::<T>(&LAYER_DIMS, init, args.seed);
    let mut batches = Batcher::new(train.len(), args.batch, true, args.seed)?;
    let (mut x, mut y) = (DMatrix::<T>::zeros(0, 0), DMatrix::<T>::zeros(0, 0));
    let mut outcome = Outcome {
        test_accuracy: 0.0,
        final_cost: f64::NAN,
        epoch_seconds: Vec::with_capacity(args.epochs),
        saturated_outputs: 0,
        saturated_wrong: 0,
    };
    for epoch in 1..=args.epochs {
        let start = Instant::now();
        batches.epoch(epoch - 1);
        let mut cost_sum = 0.0;
        let (mut saturated, mut wrong) = (0, 0);
        while let Some(indices) = batches.next_batch() {
            // X: 784 × m pixels in [0, 1]; Y: 10 × m one-hot.
            train.fill_features(indices, &mut x)?;
            train.fill_targets(indices, &mut y)?;
            let (al, caches) = forward_propagation(&x, &parameters)?;
            let cost = compute_cost(&al, &y)?;
            // Where the tutorial's raw dA[L] would divide by zero (or 0/0).
            for (&a, &t) in al.iter().zip(y.iter()) {
                if a == T::zero() || a == T::one() {
                    saturated += 1;
                    // Only there does the clamped form's dZ[L] (0) differ from A[L] − Y (±1).
                    wrong += usize::from((a - t).abs() == T::one());
                }
            }
            let grads = backward_propagation(&al, &y, &caches, gradient)?;
            drop(caches); // they borrow the parameters we are about to update
            update_parameters(&mut parameters, &grads, args.lr)?;
            cost_sum += Scalar::as_f64(cost) * indices.len() as f64;
        }
        let seconds = start.elapsed().as_secs_f64();
        let cost = cost_sum / train.len() as f64;
        if let Some(what) = non_finite(&parameters) {
            return Err(format!("{what} became non-finite in epoch {epoch}").into());
        }
        let acc = evaluate(mnist, &parameters)?;
        writeln!(
            out,
            "epoch {epoch:>3}: cost {cost:.6}, test accuracy {acc:.4}, {seconds:.3} s, \
             {saturated} outputs exactly 0 or 1 ({wrong} wrong)"
        )?;
        outcome.epoch_seconds.push(seconds);
        outcome.test_accuracy = acc;
        outcome.final_cost = cost;
        outcome.saturated_outputs += saturated;
        outcome.saturated_wrong += wrong;
    }
    Ok(outcome)
}

/// The name of the first parameter holding a NaN or an infinity.
fn non_finite<T: Scalar>(parameters: &Parameters<T>) -> Option<String> {
    parameters.iter().enumerate().find_map(|(i, p)| {
        if p.w.iter().any(|v| !v.is_finite()) {
            Some(format!("W{}", i + 1))
        } else if p.b.iter().any(|v| !v.is_finite()) {
            Some(format!("b{}", i + 1))
        } else {
            None
        }
    })
}

/// Test accuracy: the predicted digit is the argmax of the 10 sigmoid outputs.
fn evaluate<T: Scalar>(mnist: &Mnist, parameters: &Parameters<T>) -> tutorial::Result<f64> {
    let test = &mnist.test;
    let all: Vec<usize> = (0..test.len()).collect();
    let mut x = DMatrix::<T>::zeros(0, 0);
    let mut labels = Vec::new();
    let mut correct = 0.0;
    for indices in all.chunks(EVAL_CHUNK) {
        test.fill_batch(indices, &mut x, &mut labels)?;
        let (al, _) = forward_propagation(&x, parameters)?;
        correct += accuracy(&al, Target::Classes(&labels))? * indices.len() as f64;
    }
    Ok(correct / test.len() as f64)
}
