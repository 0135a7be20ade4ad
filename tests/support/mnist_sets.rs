//! Running `examples/mnist` from the tests, and small IDX sets cut from
//! data/mnist to run it on (`#[path]`-included, with `examples.rs` as
//! `crate::examples`).
#![allow(dead_code)]

use crate::examples::run_in;
use backprop::data::idx::{IdxLimits, read_idx_images_with, read_idx_labels_with};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// mnist with `args` in the working directory `cwd`, `BACKPROP_DATA`
/// unset.
pub fn mnist_in(cwd: &Path, args: &[&str]) -> Output {
    run_in("mnist", cwd, args)
}

/// mnist with `args` from the repository's root.
pub fn mnist(args: &[&str]) -> Output {
    mnist_in(repo(), args)
}

pub fn stdout(run: &Output) -> String {
    String::from_utf8_lossy(&run.stdout).into_owned()
}

pub fn stderr(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// The run succeeded; its stdout.
pub fn ok(run: &Output) -> String {
    assert!(
        run.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status,
        stdout(run),
        stderr(run)
    );
    stdout(run)
}

/// The last line of stdout, `--json`'s summary.
pub fn summary(run: &Output) -> Value {
    let text = ok(run);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// An IDX file: magic, big-endian dimensions, payload.
pub fn idx(dims: &[usize], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for &d in dims {
        v.extend((d as u32).to_be_bytes());
    }
    v.extend(payload);
    v
}

/// The first `n_train` training and `n_test` test images of data/mnist,
/// uncompressed, under `names` (training images, training labels, test
/// images, test labels) in `dir`, every label plus `shift`.
pub fn small_set(
    dir: &Path,
    names: [&str; 4],
    n_train: usize,
    n_test: usize,
    shift: u8,
) -> [PathBuf; 4] {
    std::fs::create_dir_all(dir).unwrap();
    let mnist = repo().join("data/mnist");
    let parts = [
        (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            n_train,
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            n_test,
        ),
    ];
    let mut bytes = Vec::new();
    for (images, labels, n) in parts {
        let limits = IdxLimits {
            max_samples: Some(n),
            ..IdxLimits::default()
        };
        let images = read_idx_images_with(mnist.join(images), &limits).unwrap();
        let labels: Vec<u8> = read_idx_labels_with(mnist.join(labels), &limits)
            .unwrap()
            .iter()
            .map(|l| l + shift)
            .collect();
        bytes.push(idx(&[n, images.rows, images.cols], &images.pixels));
        bytes.push(idx(&[n], &labels));
    }
    let paths = names.map(|name| dir.join(name));
    for (path, bytes) in paths.iter().zip(bytes) {
        std::fs::write(path, bytes).unwrap();
    }
    paths
}

/// MNIST's own names for the four files.
pub const MNIST_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}
