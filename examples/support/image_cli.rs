//! The flags of the image-classification examples (`mnist`, `cnn`): one
//! set, each example with its own defaults ([`Example`]), checked before
//! anything is read ([`check_flags`]). `#[path]`-included with
//! `image_data.rs` and `image_run.rs`.

use backprop::layers::Sequential;
use backprop::optim::OptimizerKind;
use clap::{CommandFactory, FromArgMatches, Parser};
use std::path::PathBuf;

/// The flags. Their defaults are `mnist`'s; an [`Example`] changes the
/// output directory, `--hidden`'s default and the description.
#[derive(Parser, Debug)]
#[command(about = "Train an image classifier on an IDX image set (MNIST by default)")]
pub struct Args {
    /// Number of epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Learning rate, a positive number [default: the optimizer's own: sgd
    /// 0.1, momentum and nesterov 0.01, rmsprop, adam and adamw 0.001 (cnn:
    /// adam and adamw 0.002)].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Optimizer: sgd, momentum, nesterov, rmsprop, adam, adamw.
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// Seed for initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Directory with an IDX set's four files (MNIST's names, or
    /// train-images.idx3-ubyte, test-…, emnist-letters-…; raw or .gz)
    /// [default: $BACKPROP_DATA, else data/mnist in the working directory,
    /// else data/mnist beside the executable or one of its parent
    /// directories].
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["train_images", "train_labels", "test_images", "test_labels"]
    )]
    pub data: Option<PathBuf>,
    /// The training images, an IDX3 file (with the three other files
    /// instead of --data).
    #[arg(long, value_name = "FILE", requires_all = ["train_labels", "test_images", "test_labels"])]
    pub train_images: Option<PathBuf>,
    /// The training labels, an IDX1 file.
    #[arg(long, value_name = "FILE", requires_all = ["train_images", "test_images", "test_labels"])]
    pub train_labels: Option<PathBuf>,
    /// The test images, an IDX3 file.
    #[arg(long, value_name = "FILE", requires_all = ["train_images", "train_labels", "test_labels"])]
    pub test_images: Option<PathBuf>,
    /// The test labels, an IDX1 file.
    #[arg(long, value_name = "FILE", requires_all = ["train_images", "train_labels", "test_images"])]
    pub test_labels: Option<PathBuf>,
    /// Sizes of the hidden dense layers, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "128,64",
        value_name = "N,N,…"
    )]
    pub hidden: Vec<usize>,
    /// Every layer's size, input and classes included (784,256,128,10),
    /// checked against the data; instead of --hidden.
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "hidden",
        value_name = "N,N,…"
    )]
    pub layers: Option<Vec<usize>>,
    /// Hold out the last FRACTION of the training images (after --limit,
    /// before shuffling: Keras's validation_split) as the validation set
    /// (val_*); the test set is then evaluated once, after training.
    /// Without it val_* is the test set, evaluated after every epoch.
    #[arg(long, value_name = "FRACTION")]
    pub validation_split: Option<f64>,
    /// Where to write the history, the curve, the model and the
    /// checkpoints.
    #[arg(long, default_value = "runs/mnist")]
    pub out: PathBuf,
    /// Also write the trained model to this ONNX file (opset 17, a dynamic
    /// batch, the pixel scaling and class names in its metadata), for ONNX
    /// Runtime, tract, or `predict --model FILE.onnx`.
    #[arg(long, value_name = "FILE")]
    pub onnx: Option<PathBuf>,
    /// Pixel scaling: `standardize` ((x/255 − 0.1307)/0.3081) or `unit` (x/255).
    #[arg(long, default_value = "unit")]
    pub scale: String,
    /// Learning-rate schedule over the epochs: `cosine` (from the learning
    /// rate down to 0) or `constant`.
    #[arg(long, default_value = "cosine")]
    pub schedule: String,
    /// Train on only the first N training images (a quick smoke run).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    pub json: bool,
    /// Write a checkpoint after every epoch to <out>/checkpoints/epoch-K.safetensors.
    #[arg(long)]
    pub checkpoints: bool,
    /// Write a checkpoint every K epochs and after the last (implies --checkpoints).
    #[arg(long, value_name = "K")]
    pub save_every: Option<usize>,
    /// Continue from a checkpoint (the other flags must match the checkpointed run's).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Resume even when the data files differ from those the checkpoint
    /// was trained on.
    #[arg(long, requires = "resume")]
    pub force_resume: bool,
    /// Threads for large matrix products (default: the BACKPROP_NUM_THREADS
    /// environment variable, else every core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Any error, as the examples report them.
pub type BoxError = Box<dyn std::error::Error>;

/// What the network of an example is made of: the input's shape, the class
/// count and the flags that size it.
pub struct NetSpec {
    /// Channels of an image (1 for IDX sets).
    pub channels: usize,
    /// Pixel rows.
    pub rows: usize,
    /// Pixel columns.
    pub cols: usize,
    /// Classes (the largest label plus one).
    pub classes: usize,
    /// The dataset's name, for messages.
    pub dataset: String,
    /// `--hidden`.
    pub hidden: Vec<usize>,
    /// `--layers`.
    pub layers: Option<Vec<usize>>,
    /// `--seed`.
    pub seed: u64,
}

impl NetSpec {
    /// Values per image.
    #[allow(dead_code)] // mnist's network uses it, cnn's does not.
    pub fn features(&self) -> usize {
        self.channels * self.rows * self.cols
    }
}

/// An example built on this driver: its name, where its runs go, what it
/// says in `--help` and its network.
pub struct Example {
    /// `mnist`, `cnn`.
    pub name: &'static str,
    /// `--out`'s default: `runs/mnist`, `runs/cnn`.
    pub out: &'static str,
    /// The first line of `--help`.
    pub about: &'static str,
    /// `--hidden`'s default, comma-separated.
    pub hidden: &'static str,
    /// `--hidden`'s help.
    pub hidden_help: &'static str,
    /// `--scale`'s default: `unit` or `standardize`.
    pub scale: &'static str,
    /// The learning rate for an optimizer when `--lr` is not given, and
    /// what the header says of it (`"adam's default"`).
    pub lr: fn(OptimizerKind) -> (f64, String),
    /// Images per forward pass when evaluating (every layer keeps its
    /// output for the whole batch: feature maps are large).
    pub eval_batch: usize,
    /// The network, as its description for the curve's title (e.g.
    /// `784-128-64-10`, `LeNet-5 400-120-84-10`).
    pub describe: fn(&NetSpec) -> Result<String, String>,
    /// The network for `spec`, freshly initialised from `spec.seed`.
    pub build: fn(&NetSpec) -> Result<Sequential<f32>, BoxError>,
}

/// The command line, with `example`'s defaults.
pub fn parse(example: &Example) -> Args {
    let command = Args::command()
        .name(example.name)
        .bin_name(example.name)
        .about(example.about)
        .mut_arg("out", |a| a.default_value(example.out))
        .mut_arg("scale", |a| a.default_value(example.scale))
        .mut_arg("hidden", |a| {
            a.default_value(example.hidden).help(example.hidden_help)
        });
    let matches = command.get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The flags that no run can use, refused before anything is read, in the
/// flags' own terms.
pub fn check_flags(args: &Args) -> Result<(), String> {
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
    if let Some(lr) = args.lr
        && !(lr.is_finite() && lr > 0.0)
    {
        return Err(format!("--lr must be a positive number, found {lr}"));
    }
    if let Some(f) = args.validation_split
        && !(f > 0.0 && f < 1.0)
    {
        return Err(format!(
            "--validation-split must be a fraction between 0 and 1 (exclusive), found {f}"
        ));
    }
    if let Some(path) = &args.onnx
        && path.is_dir()
    {
        return Err(format!(
            "--onnx {}: a directory; give the ONNX file's name (e.g. model.onnx)",
            path.display()
        ));
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
    if args.hidden.contains(&0) {
        return Err(format!(
            "--hidden sizes must be at least 1, found {}",
            join(&args.hidden)
        ));
    }
    if let Some(layers) = &args.layers {
        if layers.len() < 2 {
            return Err(format!(
                "--layers needs at least the input size and the class count, found {}",
                join(layers)
            ));
        }
        if layers.contains(&0) {
            return Err(format!(
                "--layers sizes must be at least 1, found {}",
                join(layers)
            ));
        }
    }
    Ok(())
}

/// The optimizer's own learning rate ([`OptimizerKind::default_lr`]).
pub fn optimizer_lr(kind: OptimizerKind) -> (f64, String) {
    (kind.default_lr(), format!("{kind}'s default"))
}

/// `sizes` as the flags write them: `784,128,10`.
pub fn join(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
