//! Activation forward and backward at the MLP's hidden shape (128 × 64, f32).
//!
//! Run: `cargo bench -p backprop-activations`.

use backprop_activations::{Activation, ActivationKind};
use backprop_tensor::DMatrix;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn activations(c: &mut Criterion) {
    let z = DMatrix::<f32>::from_fn(128, 64, |i, j| ((i * 31 + j * 17) % 97) as f32 / 24.0 - 2.0);
    let da = DMatrix::<f32>::from_fn(128, 64, |i, j| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0);
    let mut group = c.benchmark_group("activation_128x64");
    group.throughput(Throughput::Elements(z.len() as u64));
    for kind in [
        ActivationKind::Relu,
        ActivationKind::LeakyRelu(0.01),
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Elu(1.0),
        ActivationKind::Gelu,
        ActivationKind::Softplus,
        ActivationKind::Softmax,
    ] {
        let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
        kind.forward(&z, &mut a);
        group.bench_function(format!("{}/forward", kind.name()), |b| {
            b.iter(|| kind.forward(black_box(&z), &mut a))
        });
        group.bench_function(format!("{}/backward", kind.name()), |b| {
            b.iter(|| {
                kind.backward(black_box(&z), &a, black_box(&da), &mut dz)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, activations);
criterion_main!(benches);
