//! LeNet-5 on MNIST, or on any IDX image set: the convolutional network of
//! `../shared/peers/python/torch_cnn.py`, layer for layer.
//!
//! ```text
//! Conv2d 1→6 5×5 padding 2, ReLU, MaxPool 2     1×28×28 → 6×28×28 → 6×14×14
//! Conv2d 6→16 5×5, ReLU, MaxPool 2              → 16×10×10 → 16×5×5
//! Flatten, Dense 400→120, ReLU, Dense 120→84, ReLU, Dense 84→10
//! ```
//!
//! PyTorch's default initialisation (`Init::TorchDefault`: weights and
//! biases U(±1/√fan_in), `fan_in = C·kh·kw` for a convolution), softmax
//! cross-entropy on the logits. The defaults differ from torch_cnn.py's
//! (pixels in [0, 1], Adam 1e-3, constant): pixels standardised
//! ((x/255 − 0.1307)/0.3081, `--scale unit` for torch_cnn.py's), Adam 2e-3
//! with cosine decay to 0, batch 64, 10 epochs; the header prints them.
//!
//! ```sh
//! cargo run --release --example cnn
//! cargo run --release --example cnn -- --data data/fashion-mnist
//! cargo run --release --example cnn -- --hidden 256,128 --validation-split 0.1 --json
//! ```
//!
//! Every flag of `examples/mnist` (the data, `--validation-split`,
//! checkpoints, `--resume`, `--json`, Ctrl-C, the run directory), through
//! the same driver (`examples/support/image_run.rs`); `--hidden` sizes the
//! classifier after the convolutions (120,84). It writes `history.csv`,
//! `history.json`, `curve.png` and `model.safetensors` under `--out`
//! (default `runs/cnn`); `predict --model runs/cnn/model.safetensors`
//! reads the model, and PyTorch loads it into `torch_cnn.py`'s
//! `nn.Sequential`.

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

use backprop::layers::{LeNet5, Sequential};
use backprop::optim::OptimizerKind;
use image_cli::{BoxError, Example, NetSpec};
use std::process::ExitCode;

/// The values each image leaves after the two convolutions and poolings
/// (400 for 28×28), or why the images are too small for them.
fn flattened(spec: &NetSpec) -> Result<usize, String> {
    // Conv 5×5 padding 2 keeps the size; pool 2 halves it (rounding down);
    // conv 5×5 takes 4; pool 2 halves it.
    let side = |n: usize| (n / 2).checked_sub(4).map(|m| m / 2).filter(|&m| m > 0);
    match (side(spec.rows), side(spec.cols)) {
        (Some(h), Some(w)) => Ok(16 * h * w),
        _ => Err(format!(
            "LeNet-5 needs images of at least 12×12 pixels (two 5×5 convolutions and two 2×2 poolings), {} has {}×{}",
            spec.dataset, spec.rows, spec.cols
        )),
    }
}

/// `LeNet-5 conv 6,16 400-120-84-10`.
fn describe(spec: &NetSpec) -> Result<String, String> {
    if let Some(layers) = &spec.layers {
        return Err(format!(
            "--layers {}: cnn's convolutions are fixed (LeNet-5); --hidden sizes its dense layers after them (default 120,84)",
            image_cli::join(layers)
        ));
    }
    let sizes: Vec<String> = std::iter::once(flattened(spec)?)
        .chain(spec.hidden.iter().copied())
        .chain([spec.classes])
        .map(|n| n.to_string())
        .collect();
    Ok(format!("LeNet-5 conv 6,16 {}", sizes.join("-")))
}

/// Adam (and AdamW) at 2e-3, twice its usual rate: with the cosine decay
/// and standardised pixels, 10 epochs reach 0.908–0.913 on Fashion-MNIST
/// over seeds 0–2 (0.892–0.902 at 1e-3 on [0, 1] pixels, torch_cnn.py's
/// settings); every other optimizer at its own default.
fn lr(kind: OptimizerKind) -> (f64, String) {
    match kind {
        OptimizerKind::Adam | OptimizerKind::AdamW => (2e-3, format!("cnn's default for {kind}")),
        _ => image_cli::optimizer_lr(kind),
    }
}

/// LeNet-5 with PyTorch's default initialisation ([`LeNet5`], the
/// image's shape, `--hidden` and the classes of the data).
fn build(spec: &NetSpec) -> Result<Sequential<f32>, BoxError> {
    describe(spec)?;
    let lenet = LeNet5 {
        input: [spec.channels, spec.rows, spec.cols],
        hidden: spec.hidden.clone(),
        classes: spec.classes,
        seed: spec.seed,
    };
    Ok(lenet.build()?)
}

fn main() -> ExitCode {
    image_run::main(&Example {
        name: "cnn",
        out: "runs/cnn",
        about: "Train LeNet-5 (torch_cnn.py's convolutional network) on MNIST or any IDX image set",
        hidden: "120,84",
        hidden_help: "Sizes of the dense layers between the convolutions and the output, comma-separated",
        // 6×28×28 feature maps: 250 images per pass hold 19 MB less per
        // layer than 1000 (the peak memory target is 150 MiB).
        scale: "standardize",
        lr,
        eval_batch: 250,
        describe,
        build,
    })
}
