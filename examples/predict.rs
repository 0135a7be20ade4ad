//! Classifies images with a saved model: the MNIST test set (accuracy),
//! one picture (`--image`), or a folder of pictures into a CSV
//! (`--images DIR --out preds.csv`).
//!
//! ```sh
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors --image digit.jpg --json
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors --images photos/ --out preds.csv
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors --help   # what this model expects
//! # A PyTorch state dict (safetensors.torch.save_file) of
//! # nn.Sequential(Linear(784,128), ReLU(), Linear(128,64), ReLU(), Linear(64,10)):
//! cargo run --release --example predict -- --model torch.safetensors --layers 784,128,64,10
//! # ONNX: write the model as an ONNX file, or classify with one (ours or
//! # PyTorch's torch.onnx.export of a network of the layers docs/onnx.md lists):
//! cargo run --release --example predict -- --model runs/mnist/model.safetensors --export-onnx mnist.onnx
//! cargo run --release --example predict -- --model mnist.onnx
//! ```
//!
//! The model file's element type (f32 or f64) is read from the file, and so
//! are its input shape, its preprocessing (how pixels were scaled in
//! training), the kind of its outputs (logits get a softmax, probabilities
//! are used as they are) and its class names. A file that does not record
//! them (a PyTorch state dict, a file from before format version 2) is read
//! with stated assumptions: pixels `x/255`, logits out.
//!
//! A picture (PNG, JPEG, GIF, BMP, PNM/PGM, TIFF, WebP; any size, grey or
//! colour) is read as grey levels (BT.601 luma, transparency over white, a
//! photo's orientation tag applied), turned light-on-dark if its background
//! is light (`--invert auto`; MNIST is white on black), and made the
//! model's input size (`--fit auto`: a picture already that size as it is,
//! any other as MNIST's digits were made). The output says which was done.
//! `--images DIR` does the same for every image file of a folder, one CSV
//! row each (see support/predict_folder.rs for the rules).
//!
//! With `--json` the last line is one JSON object: `test_accuracy` for the
//! test set; `class`, `probabilities`, `polarity` and `fit` for an image.
//! Errors print one line `error: …` and exit with status 1; a closed stdout
//! (`… | head -1`) ends it quietly with status 0.

#[path = "support/data_dir.rs"]
mod data_dir;
#[path = "support/exit.rs"]
mod exit;
#[path = "support/predict_bench.rs"]
mod predict_bench;
#[path = "support/predict_folder.rs"]
mod predict_folder;
#[path = "support/predict_help.rs"]
mod predict_help;
#[path = "support/predict_image.rs"]
mod predict_image;
#[path = "support/predict_onnx.rs"]
mod predict_onnx;
#[path = "support/predict_outputs.rs"]
mod predict_outputs;
#[path = "support/threads.rs"]
mod threads;

use backprop::data::PixelScale;
use backprop::data::mnist::Mnist;
use backprop::data::read_image;
use backprop::io::{Architecture, inspect, load_model, load_state_dict, write_bytes_atomic};
use backprop::layers::{Mode, Preprocess, Sequential};
use backprop::tensor::{DMatrix, Scalar};
use backprop::train::{MANIFEST_FILE, RunDir};
use clap::Parser;
use predict_folder::{Folder, classify_folder};
use predict_image::{Fit, Invert, argmax, class_label, input_size, prepare, probabilities};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `--help` adds after the options.
const AFTER_HELP: &str = "\
Pictures (--image, --images):
  Formats: PNG, JPEG, GIF (first frame), BMP, PNM (PBM/PGM/PPM/PAM), TIFF, WebP,
  recognised by their first bytes. Any size, grey or colour: colour becomes grey
  (0.299 R + 0.587 G + 0.114 B), transparent pixels white, and a photo's
  orientation tag is applied.
  The model reads grey pictures of its input shape ([1, H, W], [H, W], or [N]
  with N a square: 784 = 28×28), light ink on a dark background as MNIST.
  --invert auto turns a picture whose background (the median of its edge) is
  lighter than its mean; --fit auto keeps a picture already the input size and
  fits any other as MNIST's digits were made: the ink's bounding box scaled into
  20×20, centred by its centre of mass in 28×28. Each output line says which.
  With --images, files are taken by name order; an image file is one with an
  image extension; others are skipped and counted; an unreadable image is
  reported (error: FILE: why) and the rest are still classified (status 1).

Give --model with --help to see what that model expects.";

#[derive(Parser, Debug)]
#[command(
    about = "Classify images with a model file (safetensors or ONNX): the MNIST test set, one picture, or a folder into a CSV",
    after_help = AFTER_HELP
)]
struct Args {
    /// The model file: written by examples/mnist (or save_model), a
    /// PyTorch state dict with --layers, or an ONNX file (FILE.onnx).
    #[arg(long, required_unless_present = "bench")]
    model: Option<PathBuf>,
    /// Write the model to this ONNX file (opset 17, or 20 with a GELU;
    /// a dynamic batch; its pixel scaling and class names in the metadata)
    /// and stop.
    #[arg(long, value_name = "FILE", requires = "model")]
    export_onnx: Option<PathBuf>,
    /// The architecture of a state dict without backprop metadata: layer
    /// sizes, ReLU between, logits out (e.g. 784,128,64,10).
    #[arg(long)]
    layers: Option<String>,
    /// Classify this picture (any size, grey or colour; see below) instead
    /// of the test set.
    #[arg(long, conflicts_with = "images")]
    image: Option<PathBuf>,
    /// Classify every image file of this folder into a CSV (--out, else
    /// stdout): file, class, probability, p_<class>…, polarity, fit.
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// The CSV file --images writes (default: stdout).
    #[arg(long, value_name = "FILE", requires = "images")]
    out: Option<PathBuf>,
    /// Turn dark-on-light pictures into the light-on-dark the model reads:
    /// auto (when the picture's edge is lighter than its mean), yes, no.
    #[arg(long, value_enum, default_value = "auto")]
    invert: Invert,
    /// How a picture becomes the model's input size: auto (as it is when
    /// already that size, else digit), digit (MNIST's 20×20 box, centred by
    /// mass), resize (the whole picture stretched).
    #[arg(long, value_enum, default_value = "auto")]
    fit: Fit,
    /// Directory with the IDX files of the test set. Default: $BACKPROP_DATA,
    /// else data/mnist in the working directory, else beside the executable
    /// (the one used is said on stderr).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Pixel scaling the model was trained with: `unit` (x/255, PyTorch's
    /// ToTensor) or `standardize` ((x/255 − 0.1307)/0.3081). Default: what
    /// the model file records, else `unit` (said so on the first line).
    #[arg(long)]
    scale: Option<String>,
    /// Write the predicted class of every test image, one per line, to this file.
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Write the network's outputs for every test image to this CSV file:
    /// image,label,predicted,out_0,… (logits or probabilities, as the model
    /// gives them, each in full precision).
    #[arg(long, value_name = "FILE")]
    outputs: Option<PathBuf>,
    /// Classify only the first N test images.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
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
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            // Help, and with --model, what that model expects.
            let _ = e.print();
            if let Some(model) = predict_help::model_flag(std::env::args_os()) {
                println!("\n{}", predict_help::describe_model(&model));
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
    if let Some(n) = args.threads {
        threads::set(n);
    }
    let result = match &args.model {
        None => data_dir(&args).and_then(|dir| predict_bench::bench::<f32>(&dir, None)),
        Some(model) if predict_onnx::is_onnx(model) => run_onnx(&args, model),
        Some(model) => match inspect(model) {
            Ok(info) if info.dtype.as_deref() == Some("f64") => run::<f64>(&args, model),
            Ok(_) => run::<f32>(&args, model),
            Err(e) => Err(e.into()),
        },
    };
    exit::exit_code(result)
}

type BoxError = Box<dyn std::error::Error>;

/// The test set's directory: `--data`, else the run-time default, said on
/// stderr (stdout may be a CSV).
fn data_dir(args: &Args) -> Result<PathBuf, BoxError> {
    if let Some(dir) = &args.data {
        return Ok(dir.clone());
    }
    let (dir, origin) = data_dir::default_dir()?;
    eprintln!("data: {} ({origin})", dir.display());
    Ok(dir)
}

/// A model in a run directory (examples/mnist's --out) is read only if the
/// run's manifest vouches for the directory's files: a killed or
/// overwritten run's files do not belong together.
fn verify_run_dir(model: &Path) -> Result<(), BoxError> {
    if let Some(dir) = model.parent().filter(|d| d.join(MANIFEST_FILE).is_file()) {
        RunDir::verify(dir)?;
    }
    Ok(())
}

fn run<T: Scalar>(args: &Args, model: &Path) -> Result<(), BoxError> {
    verify_run_dir(model)?;
    let net: Sequential<T> = match &args.layers {
        Some(layers) => load_state_dict(model, &layers.parse::<Architecture>()?)?,
        None => load_model(model)?,
    };
    classify(args, model, net)
}

/// [`run`] for an ONNX file: its network in `f32`.
fn run_onnx(args: &Args, model: &Path) -> Result<(), BoxError> {
    if args.layers.is_some() {
        return Err(format!(
            "--layers describes a state dict; {} is an ONNX file, which describes its own layers",
            model.display()
        )
        .into());
    }
    verify_run_dir(model)?;
    classify(args, model, predict_onnx::load(model)?)
}

/// What the flags ask of a loaded network: write it as ONNX, time it, or
/// classify the test set, a picture or a folder.
fn classify<T: Scalar>(args: &Args, model: &Path, mut net: Sequential<T>) -> Result<(), BoxError> {
    if let Some(path) = &args.export_onnx {
        println!("{}", predict_onnx::export(&net, path)?);
        return Ok(());
    }
    if args.bench {
        return predict_bench::bench(&data_dir(args)?, Some(net));
    }
    // Pictures are made the model's input size; the test set must be it.
    let size = if args.image.is_some() || args.images.is_some() {
        input_size(net.input_shape()).map_err(|e| format!("{}: {e}", model.display()))?
    } else if net.input_size() != 784 {
        return Err(format!(
            "{}: the model takes {} inputs, MNIST images have 784 (28×28)",
            model.display(),
            net.input_size()
        )
        .into());
    } else {
        (28, 28)
    };
    let (scale, assumed) = pixel_scale(args.scale.as_deref(), &net.info().preprocess)?;
    let mut stdout = io::stdout();
    // A CSV written to stdout keeps stdout to itself: the notes go to stderr.
    let csv_on_stdout = args.images.is_some() && args.out.is_none();
    let mut notes: Box<dyn Write> = if csv_on_stdout {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };
    writeln!(
        notes,
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
        writeln!(notes, "{note}")?;
    }
    // The network sees pixels as it saw them in training.
    net.info_mut().preprocess = match scale {
        PixelScale::Standardize { mean, std } => Preprocess::Pixels { mean, std },
        _ => Preprocess::UNIT_PIXELS,
    };
    if let Some(dir) = &args.images {
        let folder = Folder {
            dir,
            size,
            invert: args.invert,
            fit: args.fit,
            out: args.out.as_deref(),
        };
        return classify_folder(&mut net, &folder, &mut stdout);
    }
    match &args.image {
        Some(image) => classify_image(args, &mut net, image, size),
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
    let data = data_dir(args)?;
    let mut mnist = Mnist::load(&data)?;
    mnist.set_pixel_scale(scale)?;
    let test = match args.limit {
        Some(0) => return Err("--limit must be at least 1 (the number of test images)".into()),
        Some(n) => mnist.test.take(n)?,
        None => mnist.test,
    };
    // A model with another number of outputs is not a classifier of these
    // classes, whatever its arg-max says.
    let classes = test.n_classes();
    if net.output_size() != classes {
        return Err(format!(
            "the model has {} outputs, the test set in {} has {classes} classes: it is not a classifier of these images",
            net.output_size(),
            data.display()
        )
        .into());
    }
    let mut x = DMatrix::<T>::zeros(0, 0);
    let mut predicted = Vec::with_capacity(test.len());
    let mut outputs = predict_outputs::Outputs::default();
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(1000) {
        test.fill_features(chunk, &mut x)?;
        let out = net.forward(&x, Mode::Eval)?;
        let start = predicted.len();
        predicted.extend(out.column_iter().map(|c| {
            let v: Vec<f64> = c.iter().map(|p| p.as_f64()).collect();
            argmax(&v)
        }));
        if args.outputs.is_some() {
            let labels = &test.labels()[chunk[0]..chunk[0] + chunk.len()];
            outputs.add(out, labels, &predicted[start..]);
        }
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
        write_bytes_atomic(path, text.as_bytes())?;
        writeln!(
            stdout,
            "wrote {} predictions to {}",
            predicted.len(),
            path.display()
        )?;
    }
    if let Some(path) = &args.outputs {
        outputs.save(path)?;
        writeln!(
            stdout,
            "wrote the outputs of {} images to {}",
            outputs.len(),
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
    size: (usize, usize),
) -> Result<(), BoxError> {
    let prepared = prepare(read_image(image)?, size, args.invert, args.fit)
        .map_err(|e| format!("{}: {e}", image.display()))?;
    let probs = probabilities(net, &prepared.image)?;
    let class = argmax(&probs);
    let names = net.info().class_names.clone();
    let label = |c: usize| class_label(names.as_deref(), c);
    let mut stdout = io::stdout();
    writeln!(stdout, "{}: {}", image.display(), prepared.describe())?;
    writeln!(stdout, "{}: class {}", image.display(), label(class))?;
    for (c, p) in probs.iter().enumerate() {
        writeln!(stdout, "  {}: {p:.6}", label(c))?;
    }
    if args.json {
        let summary = serde_json::json!({
            "image": image.display().to_string(),
            "class": class,
            "probabilities": probs,
            "polarity": prepared.polarity(),
            "fit": prepared.fit,
            "size": [prepared.source.0, prepared.source.1],
        });
        writeln!(stdout, "{summary}")?;
    }
    Ok(())
}
