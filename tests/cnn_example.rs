//! `examples/cnn` (#15): LeNet-5 through the image examples' driver. A
//! tiny run completes, prints the JSON summary, and writes a model file
//! that `predict` reads and scores exactly as the run did.
//!
//! Runs the example binaries that `cargo test` builds, on 300 training and
//! 200 test images cut from data/mnist.

#[path = "support/examples.rs"]
mod examples;
#[path = "support/mnist_sets.rs"]
mod mnist_sets;
use examples::{run, temp_dir};
use mnist_sets::{MNIST_NAMES, arg, ok, small_set, stderr};

use backprop::io::load_model;
use serde_json::Value;
use std::path::Path;

/// `test accuracy 0.XXXX` in `text`.
fn test_accuracy(text: &str) -> &str {
    let at = text.find("test accuracy ").expect("a test accuracy") + "test accuracy ".len();
    &text[at..at + 6]
}

#[test]
fn a_tiny_lenet_run_writes_a_model_that_predict_reads() {
    let dir = temp_dir("cnn", "tiny");
    let data = dir.join("digits");
    small_set(&data, MNIST_NAMES, 300, 200, 0);
    let out = dir.join("out");
    let trained = run(
        "cnn",
        &[
            "--data",
            arg(&data),
            "--epochs",
            "1",
            "--json",
            "--out",
            arg(&out),
        ],
    );
    let text = ok(&trained);
    // torch_cnn.py's network, layer for layer.
    for layer in [
        "0        conv2d           (batch, 6, 28, 28)             156",
        "2        max_pool2d       (batch, 6, 14, 14)               0",
        "3        conv2d           (batch, 16, 10, 10)           2416",
        "5        max_pool2d       (batch, 16, 5, 5)                0",
        "6        flatten          (batch, 400)                     0",
        "7        dense            (batch, 120)                 48120",
        "9        dense            (batch, 84)                  10164",
        "11       dense            (batch, 10)                    850",
        "Total params: 61706",
    ] {
        assert!(text.contains(layer), "{layer}:\n{text}");
    }
    assert!(text.contains("\noptimizer adam, lr 0.002 (cnn's default for adam), batch 64, 1 epoch, cosine schedule, seed 0, \
             pixels (x/255 − 0.1307)/0.3081 (--scale standardize)\n"), "{text}");
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    for key in [
        "dataset",
        "network",
        "classes",
        "test_accuracy",
        "test_loss",
        "validation",
        "val_accuracy",
        "epochs",
        "batch",
        "optimizer",
        "lr",
        "seed",
        "train_samples",
        "mean_epoch_seconds",
        "samples_per_second",
        "peak_rss_mib",
        "threads",
    ] {
        assert!(!summary[key].is_null(), "{key} in {summary}");
    }
    assert_eq!(summary["network"], "LeNet-5 conv 6,16 400-120-84-10");
    assert_eq!(summary["train_samples"], 300);

    // The model file: PyTorch's shapes (weights out × in·kh·kw), the
    // input shape, and predict's accuracy on the same test set is the run's.
    let model = out.join("model.safetensors");
    let net = load_model::<f32>(&model).unwrap();
    assert_eq!(net.input_shape().dims(), [1, 28, 28]);
    let mut shapes = Vec::new();
    net.visit_params(&mut |p| shapes.push(p.value.shape()));
    assert_eq!(
        shapes,
        [
            (6, 25),
            (6, 1),
            (16, 150),
            (16, 1),
            (120, 400),
            (120, 1),
            (84, 120),
            (84, 1),
            (10, 84),
            (10, 1)
        ]
    );
    let predicted = run("predict", &["--model", arg(&model), "--data", arg(&data)]);
    let scored = ok(&predicted);
    assert!(
        scored.starts_with(&format!(
            "model {} (f32, (1, 28, 28) → 10 logits",
            model.display()
        )),
        "{scored}"
    );
    assert_eq!(
        test_accuracy(&scored),
        test_accuracy(&text),
        "{scored}\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_convolutions_are_fixed_and_hidden_sizes_the_classifier() {
    let dir = temp_dir("cnn", "flags");
    let out = dir.join("out");
    let refused = run("cnn", &["--layers", "784,10", "--out", arg(&out)]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused),
        "error: --layers 784,10: cnn's convolutions are fixed (LeNet-5); --hidden sizes its dense layers after them (default 120,84)\n"
    );
    let trained = run(
        "cnn",
        &[
            "--hidden",
            "32",
            "--limit",
            "100",
            "--epochs",
            "1",
            "--json",
            "--out",
            arg(&out),
        ],
    );
    let text = ok(&trained);
    assert!(
        text.contains("7        dense            (batch, 32)"),
        "{text}"
    );
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["network"], "LeNet-5 conv 6,16 400-32-10");
    assert!(Path::new(&out.join("curve.png")).is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
