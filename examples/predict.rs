//! Classifies MNIST digits with a saved model: the whole test set (accuracy),
//! or one 28×28 image (PGM or PNG; white digit on black, as MNIST).
//!
//! ```sh
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors --image digit.png --json
//! # A PyTorch state dict (safetensors.torch.save_file) of
//! # nn.Sequential(Linear(784,128), ReLU(), Linear(128,64), ReLU(), Linear(64,10)):
//! cargo run --release --example predict -- --model torch.safetensors --layers 784,128,64,10
//! ```
//!
//! The model file's element type (f32 or f64) is read from the file, and so
//! are its preprocessing (how pixels were scaled in training), the kind of
//! its outputs (logits get a softmax, probabilities are used as they are)
//! and its class names. A file that does not record them (a PyTorch state
//! dict, a file from before format version 2) is read with stated
//! assumptions: pixels `x/255`, logits out. With `--json` the last
//! line is one JSON object: `test_accuracy` for the test set, `class` and
//! `probabilities` for an image. Errors print one line `error: …` and exit
//! with status 1; a closed stdout (`… | head -1`) ends it quietly with
//! status 0.

#[path = "support/exit.rs"]
mod exit;
#[path = "support/threads.rs"]
mod threads;

use backprop::data::PixelScale;
use backprop::data::image::{GrayImage, read_image};
use backprop::data::mnist::Mnist;
use backprop::io::{Architecture, inspect, load_model, load_state_dict, write_atomic};
use backprop::layers::{Mode, Model, Preprocess, Sequential};
use backprop::tensor::{DMatrix, Scalar};
use backprop::train::{MANIFEST_FILE, RunDir};
use clap::Parser;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Classify MNIST digits with a model file (safetensors)")]
struct Args {
    /// The model file: written by examples/mnist (or save_model), or a
    /// PyTorch state dict with --layers.
    #[arg(long, required_unless_present = "bench")]
    model: Option<PathBuf>,
    /// The architecture of a state dict without backprop metadata: layer
    /// sizes, ReLU between, logits out (e.g. 784,128,64,10).
    #[arg(long)]
    layers: Option<String>,
    /// Classify this 28×28 image (PGM P5/P2 or PNG) instead of the test set.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Directory with the MNIST IDX files (for the test set).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))]
    data: PathBuf,
    /// Pixel scaling the model was trained with: `unit` (x/255, PyTorch's
    /// ToTensor) or `standardize` ((x/255 − 0.1307)/0.3081). Default: what
    /// the model file records, else `unit` (said so on the first line).
    #[arg(long)]
    scale: Option<String>,
    /// Write the predicted class of every test image, one per line, to this file.
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
    /// Measure inference as the peers' `--infer` mode does: median
    /// single-sample latency over 2,000 calls after 200 warm-up calls, and
    /// batch-1000 throughput over the 10,000 test images (median of 5 passes
    /// after one warm-up pass). Without --model, a freshly initialised
    /// 784-128-64-10 network (weights do not change the timing).
    #[arg(long)]
    bench: bool,
    /// Threads for large matrix products (default: the BACKPROP_NUM_THREADS
    /// environment variable, else every core; at most 4 per core, and 256).
    /// Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(n) = args.threads {
        threads::set(n);
    }
    let result = match &args.model {
        None => bench::<f32>(&args, None),
        Some(model) => match inspect(model) {
            Ok(info) if info.dtype.as_deref() == Some("f64") => run::<f64>(&args, model),
            Ok(_) => run::<f32>(&args, model),
            Err(e) => Err(e.into()),
        },
    };
    exit::exit_code(result)
}

type BoxError = Box<dyn std::error::Error>;

fn run<T: Scalar>(args: &Args, model: &Path) -> Result<(), BoxError> {
    // A model in a run directory (examples/mnist's --out) is read only if the
    // run's manifest vouches for the directory's files: a killed or
    // overwritten run's files do not belong together.
    if let Some(dir) = model.parent().filter(|d| d.join(MANIFEST_FILE).is_file()) {
        RunDir::verify(dir)?;
    }
    let mut net: Sequential<T> = match &args.layers {
        Some(layers) => load_state_dict(model, &layers.parse::<Architecture>()?)?,
        None => load_model(model)?,
    };
    if args.bench {
        return bench(args, Some(net));
    }
    if net.input_size() != 784 {
        return Err(format!(
            "{}: the model takes {} inputs, MNIST images have 784 (28×28)",
            model.display(),
            net.input_size()
        )
        .into());
    }
    let (scale, assumed) = pixel_scale(args.scale.as_deref(), &net.info().preprocess)?;
    let mut stdout = io::stdout();
    writeln!(
        stdout,
        "model {} ({}, {} → {} {}{})",
        model.display(),
        T::NAME,
        net.input_shape(),
        net.output_size(),
        net.info().output.name(),
        match &net.info().class_names {
            Some(names) => format!(": {}", names.join(", ")),
            None => String::new(),
        }
    )?;
    if let Some(note) = assumed {
        writeln!(stdout, "{note}")?;
    }
    // The network sees pixels as it saw them in training.
    net.info_mut().preprocess = match scale {
        PixelScale::Standardize { mean, std } => Preprocess::Pixels { mean, std },
        _ => Preprocess::UNIT_PIXELS,
    };
    match &args.image {
        Some(image) => classify_image(args, &mut net, image),
        None => test_set(args, &mut net, scale),
    }
}

/// The pixel scale: `--scale` if given, else the model's record, else
/// `x/255` with a note saying it was assumed.
fn pixel_scale(
    flag: Option<&str>,
    recorded: &Preprocess,
) -> Result<(PixelScale, Option<String>), BoxError> {
    Ok(match (flag, recorded) {
        (Some("unit"), _) => (PixelScale::Unit, None),
        (Some("standardize"), _) => (PixelScale::MNIST, None),
        (Some(other), _) => {
            return Err(format!("--scale must be unit or standardize, found {other:?}").into());
        }
        (None, Preprocess::Pixels { mean, std }) if *mean == 0.0 && *std == 1.0 => {
            (PixelScale::Unit, None)
        }
        (None, Preprocess::Pixels { mean, std }) => (
            PixelScale::Standardize {
                mean: *mean,
                std: *std,
            }
            .validate()?,
            None,
        ),
        (None, Preprocess::None) => (
            PixelScale::Unit,
            Some(
                "note: the model file does not record how its inputs were scaled; assuming x/255 (--scale standardize for (x/255 − 0.1307)/0.3081)"
                    .to_string(),
            ),
        ),
        (None, other) => {
            return Err(format!(
                "the model expects {other:?} preprocessing, not pixels; it is not an image classifier"
            )
            .into());
        }
    })
}

fn argmax<T: Scalar>(col: impl Iterator<Item = T>) -> usize {
    let mut best = (0, None::<T>);
    for (i, v) in col.enumerate() {
        if best.1.is_none_or(|b| v > b) {
            best = (i, Some(v));
        }
    }
    best.0
}

fn test_set<T: Scalar>(
    args: &Args,
    net: &mut Sequential<T>,
    scale: PixelScale,
) -> Result<(), BoxError> {
    if net.input_size() != 784 {
        return Err(format!(
            "the model takes inputs of shape {}, MNIST images have 784 pixels (28×28)",
            net.input_shape()
        )
        .into());
    }
    let mut mnist = Mnist::load(&args.data)?;
    mnist.set_pixel_scale(scale)?;
    let test = mnist.test;
    // A model with another number of outputs is not a classifier of these
    // classes, whatever its arg-max says.
    let classes = test.n_classes();
    if net.output_size() != classes {
        return Err(format!(
            "the model has {} outputs, the test set in {} has {classes} classes: it is not a classifier of these images",
            net.output_size(),
            args.data.display()
        )
        .into());
    }
    let mut x = DMatrix::<T>::zeros(0, 0);
    let mut predicted = Vec::with_capacity(test.len());
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(1000) {
        test.fill_features(chunk, &mut x)?;
        let out = net.forward(&x, Mode::Eval)?;
        predicted.extend(out.column_iter().map(|c| argmax(c.iter().copied())));
    }
    let correct = predicted
        .iter()
        .zip(test.labels())
        .filter(|(p, l)| p == l)
        .count();
    let accuracy = correct as f64 / test.len().max(1) as f64;
    let mut stdout = io::stdout();
    writeln!(
        stdout,
        "test accuracy {accuracy:.4} ({correct}/{} images)",
        test.len()
    )?;
    if let Some(path) = &args.predictions {
        let text: String = predicted.iter().map(|p| format!("{p}\n")).collect();
        write_atomic(path, |w| {
            w.write_all(text.as_bytes())
                .map_err(|source| backprop::io::IoError::Io {
                    file: path.clone(),
                    source,
                })
        })?;
        writeln!(
            stdout,
            "wrote {} predictions to {}",
            predicted.len(),
            path.display()
        )?;
    }
    if args.json {
        let summary = serde_json::json!({
            "test_accuracy": accuracy,
            "correct": correct,
            "total": test.len(),
            "model": args.model.as_deref().map(|m| m.display().to_string()),
            "dtype": T::NAME,
        });
        writeln!(stdout, "{summary}")?;
    }
    Ok(())
}

fn classify_image<T: Scalar>(
    args: &Args,
    net: &mut Sequential<T>,
    image: &Path,
) -> Result<(), BoxError> {
    let GrayImage {
        width,
        height,
        pixels,
    } = read_image(image)?;
    if pixels.len() != net.input_size() {
        return Err(format!(
            "{}: expected an image of {} pixels ({}), found {width}×{height}",
            image.display(),
            net.input_size(),
            net.input_shape()
        )
        .into());
    }
    // The model's own preprocessing and output kind turn pixels into
    // probabilities: no trainer, no labels.
    let x = DMatrix::from_iterator(
        pixels.len(),
        1,
        pixels
            .iter()
            .enumerate()
            .map(|(i, &p)| T::of(net.info().preprocess.apply(i, f64::from(p)))),
    );
    let probs = net.predict_proba(&x)?;
    let class = argmax(probs.iter().copied());
    let mut stdout = io::stdout();
    let names = net.info().class_names.clone();
    let label = |c: usize| match &names {
        Some(n) => n.get(c).cloned().unwrap_or_else(|| c.to_string()),
        None => c.to_string(),
    };
    writeln!(stdout, "{}: class {}", image.display(), label(class))?;
    for (c, p) in probs.iter().enumerate() {
        writeln!(stdout, "  {}: {:.6}", label(c), p.as_f64())?;
    }
    if args.json {
        let summary = serde_json::json!({
            "image": image.display().to_string(),
            "class": class,
            "probabilities": probs.iter().map(|p| p.as_f64()).collect::<Vec<_>>(),
        });
        writeln!(stdout, "{summary}")?;
    }
    Ok(())
}

/// `--bench`: inference timings, measured as the peers measure them.
fn bench<T: Scalar>(args: &Args, net: Option<Sequential<T>>) -> Result<(), BoxError> {
    use std::time::Instant;
    let mut net = match net {
        Some(net) => net,
        None => Sequential::builder(784)
            .seed(0)
            .dense(128)
            .relu()
            .dense(64)
            .relu()
            .dense(10)
            .build()?,
    };
    let mut mnist = Mnist::load(&args.data)?;
    mnist.set_pixel_scale(PixelScale::Unit)?;
    let test = mnist.test;
    // The test set as ten resident 784×1000 batches, as the peers keep it as
    // one resident tensor and slice views of it.
    let mut batches = Vec::new();
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(1000) {
        let mut x = DMatrix::<T>::zeros(0, 0);
        test.fill_features(chunk, &mut x)?;
        batches.push(x);
    }
    // Single sample: copy one image into the input column, then forward.
    let mut one = DMatrix::<T>::zeros(784, 1);
    let mut sink = T::zero();
    let mut latencies = Vec::with_capacity(2000);
    for call in 0..2200 {
        let (b, j) = ((call / 1000) % batches.len().max(1), call % 1000);
        if let Some(src) = batches.get(b) {
            one.column_mut(0).copy_from(&src.column(j));
        }
        let start = Instant::now();
        let out = net.forward(&one, Mode::Eval)?;
        sink += out[0];
        if call >= 200 {
            latencies.push(start.elapsed().as_secs_f64());
        }
    }
    latencies.sort_by(f64::total_cmp);
    let q = |f: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(0.0)
            * 1e6
    };
    // Batch 1000: one warm-up pass, then five timed passes over the 10,000 images.
    let mut passes = Vec::with_capacity(5);
    for pass in 0..6 {
        let start = Instant::now();
        for x in &batches {
            sink += net.forward(x, Mode::Eval)?[0];
        }
        if pass > 0 {
            passes.push(start.elapsed().as_secs_f64());
        }
    }
    passes.sort_by(f64::total_cmp);
    let pass_s = passes.get(passes.len() / 2).copied().unwrap_or(f64::NAN);
    let images_per_s = test.len() as f64 / pass_s;
    let mut stdout = io::stdout();
    writeln!(
        stdout,
        "single-sample latency: median {:.2} µs (p10 {:.2}, p90 {:.2}) over 2000 calls; batch 1000: {:.0} images/s (median of 5 passes, {:.4} s per pass)",
        q(0.5),
        q(0.1),
        q(0.9),
        images_per_s,
        pass_s
    )?;
    let summary = serde_json::json!({
        "impl": "backprop",
        "mode": "infer",
        "dtype": T::NAME,
        "single_latency_us_median": q(0.5),
        "single_latency_us_p10": q(0.1),
        "single_latency_us_p90": q(0.9),
        "single_calls": 2000,
        "batch": 1000,
        "batch_pass_s_median": pass_s,
        "batch1000_images_per_s": images_per_s,
        "checksum": sink.as_f64(),
        "threads": backprop::tensor::threads::num_threads(),
    });
    writeln!(stdout, "{summary}")?;
    Ok(())
}
