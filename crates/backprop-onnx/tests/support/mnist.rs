//! MNIST for the parity tests: the repository's data/mnist read with the
//! library's loader, a brief seeded training run so that the exported
//! weights (and BatchNorm's running statistics) look like a real model's,
//! and the test images as one batch (`#[path]`-included).
#![allow(dead_code)]

use backprop_data::PixelScale;
use backprop_data::idx::IdxLimits;
use backprop_data::mnist::Mnist;
use backprop_layers::{Mode, Sequential};
use backprop_tensor::DMatrix;
use std::path::PathBuf;

/// Training images read: the brief runs below see no more than these.
pub const TRAIN_IMAGES: usize = 12_000;

/// data/mnist at the repository's root.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

/// The first [`TRAIN_IMAGES`] training and test images, pixels scaled by `scale`.
pub fn load(scale: PixelScale) -> Mnist {
    let limits = IdxLimits {
        max_samples: Some(TRAIN_IMAGES),
        ..IdxLimits::default()
    };
    let mut mnist = Mnist::load_with(data_dir(), &limits).expect("data/mnist loads");
    mnist.set_pixel_scale(scale).expect("a valid pixel scale");
    mnist
}

/// The first `n` test images as one batch (784 × n, a column per image) and
/// their labels.
pub fn test_batch(mnist: &Mnist, n: usize) -> (DMatrix<f32>, Vec<usize>) {
    let indices: Vec<usize> = (0..n).collect();
    let mut x = DMatrix::zeros(0, 0);
    let mut labels = Vec::new();
    mnist
        .test
        .fill_batch(&indices, &mut x, &mut labels)
        .expect("the test images");
    (x, labels)
}

/// `steps` steps of SGD with momentum 0.9 on batches of `batch` training
/// images taken in a fixed scrambled order, minimising the softmax
/// cross-entropy of the network's outputs: logits, or probabilities when
/// `probabilities` (a network ending in Softmax). Returns the mean loss of
/// the last ten steps.
pub fn train(
    net: &mut Sequential<f32>,
    mnist: &Mnist,
    steps: usize,
    batch: usize,
    lr: f32,
    probabilities: bool,
) -> f32 {
    let n = mnist.train.len();
    let mut x = DMatrix::zeros(0, 0);
    let mut labels = Vec::new();
    let mut velocity: Vec<DMatrix<f32>> = Vec::new();
    let mut losses = Vec::new();
    for step in 0..steps {
        // 7919 is prime and divides no TRAIN_IMAGES: a permutation of 0..n.
        let indices: Vec<usize> = (0..batch)
            .map(|k| ((step * batch + k) * 7919) % n)
            .collect();
        mnist
            .train
            .fill_batch(&indices, &mut x, &mut labels)
            .expect("a training batch");
        let out = net.forward(&x, Mode::Train).expect("forward").clone();
        let (grad, loss) = cross_entropy_grad(&out, &labels, probabilities);
        losses.push(loss);
        net.visit_params_mut(&mut |p| p.grad.fill(0.0));
        net.backward(&x, &grad).expect("backward");
        let mut k = 0;
        net.visit_params_mut(&mut |p| {
            if velocity.len() == k {
                velocity.push(DMatrix::zeros(p.value.nrows(), p.value.ncols()));
            }
            let v = &mut velocity[k];
            *v = &*v * 0.9 + &p.grad;
            p.value -= &*v * lr;
            k += 1;
        });
    }
    let tail = &losses[losses.len().saturating_sub(10)..];
    tail.iter().sum::<f32>() / tail.len().max(1) as f32
}

/// ∂L/∂output of the mean softmax cross-entropy over the batch, and L.
fn cross_entropy_grad(
    out: &DMatrix<f32>,
    labels: &[usize],
    probabilities: bool,
) -> (DMatrix<f32>, f32) {
    let b = out.ncols() as f32;
    let mut grad = DMatrix::zeros(out.nrows(), out.ncols());
    let mut loss = 0.0;
    for (j, &label) in labels.iter().enumerate() {
        let col = out.column(j);
        if probabilities {
            let p = col[label].max(1e-7);
            loss -= p.ln();
            grad[(label, j)] = -1.0 / (p * b);
        } else {
            let max = col.max();
            let exp: Vec<f32> = col.iter().map(|z| (z - max).exp()).collect();
            let sum: f32 = exp.iter().sum();
            loss -= (exp[label] / sum).ln();
            for (i, e) in exp.iter().enumerate() {
                let y = if i == label { 1.0 } else { 0.0 };
                grad[(i, j)] = (e / sum - y) / b;
            }
        }
    }
    (grad, loss / b)
}

/// The index of the largest value of each column.
pub fn argmax_columns(out: &DMatrix<f32>) -> Vec<usize> {
    out.column_iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv { (i, v) } else { (bi, bv) }
                })
                .0
        })
        .collect()
}
