//! The project's main job: the tutorial's network [784, 128, 64, 10] on
//! MNIST, and a dense classifier for any IDX image set.
//!
//! ReLU hidden layers, softmax cross-entropy on logits, He initialisation,
//! Adam 1e-3 with cosine decay, batch 64, 10 epochs by default.
//!
//! ```sh
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --epochs 3 --batch 128 --optimizer sgd --json
//! cargo run --release --example mnist -- --data data/fashion-mnist --hidden 256,128
//! cargo run --release --example mnist -- --validation-split 0.1
//! ```
//!
//! The data: `--data DIR` (an IDX set's four files under MNIST's names,
//! `train-images.idx3-ubyte`-style names, `test-` for `t10k-`, or with a
//! prefix such as EMNIST's `emnist-letters-`; raw or `.gz`), or the four
//! files one by one (`--train-images --train-labels --test-images
//! --test-labels`). Without them: `$BACKPROP_DATA`, else `data/mnist` in
//! the working directory, else `data/mnist` beside the executable or in one
//! of its ancestors; the first line says which. The input size and the
//! class count (the largest label plus one) come from the data, and the
//! set is named from its files or directory (MNIST, Fashion-MNIST, KMNIST,
//! EMNIST letters, else the directory's name).
//!
//! The network: `--hidden 256,128` (the hidden sizes) or `--layers
//! 784,256,128,10` (every size, checked against the data).
//!
//! Validation: without `--validation-split`, `val_*` is the test set,
//! evaluated after every epoch and tuned on by nobody. With
//! `--validation-split F` the last fraction `F` of the training images (in
//! file order, after `--limit`, before shuffling: Keras's
//! `validation_split`) is held out as `val_*`, and the test set is
//! evaluated once, after training.
//!
//! It prints the model summary, one line (or a progress bar) per epoch, the
//! test accuracy and the confusion matrix, and writes `history.csv`,
//! `history.json`, `curve.png` and the trained model `model.safetensors`
//! (PyTorch state-dict layout, with the pixel scaling and class names; see
//! `examples/predict.rs`) under `--out` (default `runs/mnist`).
//!
//! Checkpoints: `--checkpoints` (every epoch) or `--save-every K` (every K
//! epochs and the last) writes `<out>/checkpoints/epoch-K.safetensors`;
//! `--resume FILE` continues from one, bit-identically to the
//! uninterrupted run (same flags required), and the history files then
//! cover the whole run. A checkpoint records the data files (names, sizes,
//! checksums): a resume on other data is refused unless `--force-resume`.
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

#[path = "support/data_dir.rs"]
mod data_dir;
#[path = "support/exit.rs"]
mod exit;
#[path = "support/image_cli.rs"]
mod image_cli;
#[path = "support/image_data.rs"]
mod image_data;
#[path = "support/image_run.rs"]
mod image_run;
#[path = "support/threads.rs"]
mod threads;

use backprop::layers::Sequential;
use backprop::tensor::Init;
use image_cli::{BoxError, Example, NetSpec, join};
use std::process::ExitCode;

/// The dense network's sizes, input to classes: from `--layers`, checked
/// against the data, or the input, `--hidden` and the classes.
fn sizes(spec: &NetSpec) -> Result<Vec<usize>, String> {
    let (input, classes) = (spec.features(), spec.classes);
    let Some(layers) = &spec.layers else {
        return Ok(std::iter::once(input)
            .chain(spec.hidden.iter().copied())
            .chain([classes])
            .collect());
    };
    let (first, last) = (layers[0], layers[layers.len() - 1]);
    if first != input {
        return Err(format!(
            "--layers {}: the first size is the input's, {input} values ({}×{} pixels of {}), found {first}",
            join(layers),
            spec.rows,
            spec.cols,
            spec.dataset
        ));
    }
    if last != classes {
        return Err(format!(
            "--layers {}: the last size is the class count, {classes} for {}, found {last}",
            join(layers),
            spec.dataset
        ));
    }
    Ok(layers.clone())
}

/// `784-128-64-10`.
fn describe(spec: &NetSpec) -> Result<String, String> {
    let sizes = sizes(spec)?;
    Ok(sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("-"))
}

/// Dense layers of the sizes, ReLU between them, He initialisation; the
/// last layer's outputs are the logits.
fn build(spec: &NetSpec) -> Result<Sequential<f32>, BoxError> {
    let sizes = sizes(spec)?;
    let mut builder = Sequential::<f32>::builder(sizes[0])
        .seed(spec.seed)
        .init(Init::HeNormal);
    for (i, &units) in sizes.iter().enumerate().skip(1) {
        builder = builder.dense(units);
        if i + 1 < sizes.len() {
            builder = builder.relu();
        }
    }
    Ok(builder.build()?)
}

fn main() -> ExitCode {
    image_run::main(&Example {
        name: "mnist",
        out: "runs/mnist",
        about: "Train a dense classifier (the tutorial's MLP 784-128-64-10 by default) on MNIST or any IDX image set",
        hidden: "128,64",
        hidden_help: "Sizes of the hidden dense layers, comma-separated",
        scale: "unit",
        lr: image_cli::optimizer_lr,
        eval_batch: 1000,
        describe,
        build,
    })
}
