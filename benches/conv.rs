//! Conv2d forward and backward at LeNet-5's two convolutions (MNIST,
//! `1×28×28 → 6`, 5×5, padding 2; `6×14×14 → 16`, 5×5), batch 64, f32;
//! and one whole LeNet-5 training step (conv, ReLU, max-pool ×2, then
//! 400-120-84-10, softmax cross-entropy, Adam) at batch 64 and 256.
//!
//! Run: `cargo bench --bench conv`. A convolution's forward pass is
//! `2·O·C·kh·kw·OH·OW` FLOPs per sample (the first: 235,200; the second:
//! 480,000); its backward pass twice that with the input gradient, once
//! without (the first layer, whose input needs none).

use backprop::layers::{Conv2d, Conv2dConfig, Layer, LeNet5, Mode};
use backprop::losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Init, Parameters, rng::seeded};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;

const BATCH: usize = 64;

fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f32> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

fn conv_layers(c: &mut Criterion) {
    let shapes = [
        (
            "conv2d_1x28x28_6_k5_p2",
            [1, 28, 28],
            Conv2dConfig::new(1, 6, 5).with_padding(2),
        ),
        (
            "conv2d_6x14x14_16_k5",
            [6, 14, 14],
            Conv2dConfig::new(6, 16, 5),
        ),
    ];
    for (name, input, config) in shapes {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(BATCH as u64));
        let mut conv =
            Conv2d::<f32>::new(input, config, Init::TorchDefault, &mut seeded(1)).unwrap();
        let g = *conv.geometry();
        let x = random(g.input_len(), BATCH, 2);
        let dz = random(g.output_len(), BATCH, 3);
        let (mut z, mut dx) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
        conv.forward(&x, &mut z, Mode::Train).unwrap();
        group.bench_function(format!("forward/batch{BATCH}"), |b| {
            b.iter(|| conv.forward(black_box(&x), &mut z, Mode::Train).unwrap())
        });
        group.bench_function(format!("backward/batch{BATCH}"), |b| {
            b.iter(|| {
                conv.backward(&x, &z, black_box(&dz), Some(&mut dx))
                    .unwrap();
            })
        });
        group.bench_function(format!("backward_no_input_grad/batch{BATCH}"), |b| {
            b.iter(|| conv.backward(&x, &z, black_box(&dz), None).unwrap())
        });
        group.finish();
    }
}

fn lenet_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("lenet5_step");
    for batch in [64usize, 256] {
        let mut net = LeNet5::default().build().unwrap();
        let mut opt = Adam::new();
        let loss = SoftmaxCrossEntropy;
        let x = random(784, batch, 4).map(|v| v.abs());
        let labels: Vec<usize> = (0..batch).map(|i| i * 7 % 10).collect();
        let mut grad = DMatrix::zeros(0, 0);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch{batch}"), |b| {
            b.iter(|| {
                let out = net.forward(black_box(&x), Mode::Train).unwrap();
                let l = loss
                    .loss_and_gradient(out, Target::Classes(&labels), &mut grad)
                    .unwrap();
                net.zero_grad();
                net.backward(&x, &grad).unwrap();
                assert!(net.grads_finite());
                opt.step(1e-3, &mut net).unwrap();
                l
            })
        });
    }
    group.finish();
}

criterion_group!(benches, conv_layers, lenet_step);
criterion_main!(benches);
