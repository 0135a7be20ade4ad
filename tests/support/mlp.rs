//! The tutorial's network and a synthetic MNIST-shaped dataset, shared by
//! the end-to-end tests and the training-step bench (`#[path]`-included).
#![allow(dead_code)]

use backprop::data::Dataset;
use backprop::layers::Sequential;

/// `n` synthetic 784-pixel images (a fixed pattern of `u8` pixels) with
/// labels `0..10` in turn.
pub fn synthetic(n: usize) -> Dataset {
    let pixels: Vec<u8> = (0..n * 784).map(|i| (i * 37 % 251) as u8).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    Dataset::from_u8(pixels, 784, labels, 10).unwrap()
}

/// The tutorial's 784-128-64-10 ReLU network, logits out, initialised from
/// `seed`.
pub fn tutorial_net(seed: u64) -> Sequential<f32> {
    Sequential::builder(784)
        .seed(seed)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap()
}
