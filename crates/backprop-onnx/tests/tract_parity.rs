//! Parity with tract-onnx (issue #16): networks trained briefly here on
//! MNIST, exported by this crate and run by tract, an ONNX runtime written
//! independently of it, on the first 1,000 MNIST test images. Every output
//! must be within 1e-5 of ours (f32) and every image's arg-max the same.
//!
//! The networks: the tutorial's MLP 784-128-64-10; one using every
//! activation, BatchNorm1d and Dropout; LeNet-5 with BatchNorm2d, MaxPool
//! and AveragePool. Each is trained a few hundred seeded SGD steps first
//! (support/mnist.rs), so that its weights and running statistics are a
//! real model's, and must classify the images well (so that agreeing on
//! arg-max means something). Each test prints its measured max |diff|.

#[path = "support/mnist.rs"]
mod mnist;
#[path = "support/tract.rs"]
mod tract;

use backprop_activations::ActivationKind;
use backprop_data::PixelScale;
use backprop_layers::{LeNet5, Mode, Preprocess, Sequential};
use backprop_onnx::{ExportOptions, export_bytes};
use backprop_tensor::Init;

/// Test images compared.
const IMAGES: usize = 1000;
/// The largest |ours − tract's| allowed for any output.
const TOLERANCE: f32 = 1e-5;

/// Exports `net`, runs it in tract and here on the first [`IMAGES`] test
/// images, and checks the outputs, the arg-maxes and the accuracy; returns
/// the max |diff|.
fn check(
    name: &str,
    net: &mut Sequential<f32>,
    data: &backprop_data::mnist::Mnist,
    min_accuracy: f64,
) -> f32 {
    let bytes = export_bytes(net, &ExportOptions::default()).expect("the network exports");
    let (x, labels) = mnist::test_batch(data, IMAGES);
    let ours = net.forward(&x, Mode::Eval).expect("forward").clone();
    let mut dims = vec![IMAGES];
    dims.extend_from_slice(net.input_shape().dims());
    // A column per image (column-major) is, read in memory order, the
    // row-major [IMAGES, …input shape] tensor tract takes, and our
    // classes × IMAGES output is its [IMAGES, classes].
    let theirs = tract::run(&bytes, &dims, x.as_slice());
    assert_eq!(theirs.len(), ours.len(), "{name}: tract's output size");
    let max = ours
        .as_slice()
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    let classes = ours.nrows();
    let tract_out = backprop_tensor::DMatrix::from_column_slice(classes, IMAGES, &theirs);
    let ours_argmax = mnist::argmax_columns(&ours);
    let tract_argmax = mnist::argmax_columns(&tract_out);
    let differing: Vec<usize> = (0..IMAGES)
        .filter(|&i| ours_argmax[i] != tract_argmax[i])
        .collect();
    let correct = ours_argmax
        .iter()
        .zip(&labels)
        .filter(|(p, l)| p == l)
        .count();
    let accuracy = correct as f64 / IMAGES as f64;
    eprintln!(
        "{name}: {} bytes, tract vs backprop on {IMAGES} MNIST test images: max |diff| {max:.3e}, \
         argmax agrees {}/{IMAGES}, accuracy {accuracy:.3}",
        bytes.len(),
        IMAGES - differing.len()
    );
    assert!(
        max <= TOLERANCE,
        "{name}: max |diff| {max:e} > {TOLERANCE:e}"
    );
    assert!(
        differing.is_empty(),
        "{name}: arg-max differs on images {differing:?}"
    );
    assert!(
        accuracy >= min_accuracy,
        "{name}: accuracy {accuracy} < {min_accuracy}: not a trained network"
    );
    max
}

#[test]
fn the_mnist_mlp_784_128_64_10_runs_in_tract_as_here() {
    let data = mnist::load(PixelScale::Unit);
    let mut net = Sequential::<f32>::builder(784)
        .seed(0)
        .init(Init::HeNormal)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap();
    net.info_mut().preprocess = Preprocess::UNIT_PIXELS;
    let loss = mnist::train(&mut net, &data, 300, 64, 0.05, false);
    assert!(loss < 0.6, "training loss {loss}");
    check("mlp 784-128-64-10", &mut net, &data, 0.85);
}

#[test]
fn a_network_with_every_activation_batchnorm_and_dropout_runs_in_tract_as_here() {
    let data = mnist::load(PixelScale::MNIST);
    let mut net = Sequential::<f32>::builder(784)
        .seed(1)
        .init(Init::HeNormal)
        .dense(64)
        .batch_norm()
        .relu()
        .dropout(0.1)
        .dense(48)
        .sigmoid()
        .dense(48)
        .tanh()
        .dense(32)
        .activation(ActivationKind::LeakyRelu(0.1))
        .dense(32)
        .activation(ActivationKind::Elu(0.5))
        .dense(32)
        .activation(ActivationKind::Gelu)
        .dense(24)
        .activation(ActivationKind::Softplus)
        .dense(16)
        .activation(ActivationKind::Identity)
        .batch_norm()
        .dense(10)
        .softmax()
        .build()
        .unwrap();
    net.info_mut().preprocess = Preprocess::Pixels {
        mean: 0.1307,
        std: 0.3081,
    };
    let loss = mnist::train(&mut net, &data, 400, 64, 0.05, true);
    assert!(loss < 1.0, "training loss {loss}");
    check(
        "every activation + BatchNorm1d + Dropout",
        &mut net,
        &data,
        0.75,
    );
}

#[test]
fn lenet5_with_batchnorm2d_and_both_poolings_runs_in_tract_as_here() {
    let data = mnist::load(PixelScale::MNIST);
    let convolutions = Sequential::<f32>::builder(vec![1, 28, 28])
        .seed(2)
        .init(Init::TorchDefault)
        .conv2d(6, 5)
        .padding(2)
        .batch_norm2d()
        .relu()
        .max_pool2d(2)
        .conv2d(16, 5)
        .relu()
        .avg_pool2d(2)
        .batch_norm2d();
    let mut net = LeNet5::default().head(convolutions).build().unwrap();
    net.info_mut().preprocess = Preprocess::Pixels {
        mean: 0.1307,
        std: 0.3081,
    };
    let loss = mnist::train(&mut net, &data, 200, 32, 0.02, false);
    assert!(loss < 0.6, "training loss {loss}");
    check("LeNet-5 + BatchNorm2d", &mut net, &data, 0.85);
}
