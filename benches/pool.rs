//! MaxPool2d and AvgPool2d forward and backward at LeNet-5's two pooling
//! layers (`6×28×28 → 6×14×14` and `16×10×10 → 16×5×5`, 2×2, stride 2),
//! batch 64, f32.
//!
//! Run: `cargo bench --bench pool`.

use backprop::layers::{AvgPool2d, Layer, MaxPool2d, Mode, PoolWindow};
use backprop::tensor::{DMatrix, rng::seeded};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;

const BATCH: usize = 64;

fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f32> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

fn pools(c: &mut Criterion) {
    for (name, input) in [("6x28x28", [6, 28, 28]), ("16x10x10", [16, 10, 10])] {
        let n_in: usize = input.iter().product();
        let layers: [(&str, Box<dyn Layer<f32>>); 2] = [
            (
                "max_pool2d",
                Box::new(MaxPool2d::new(input, PoolWindow::new(2)).unwrap()),
            ),
            (
                "avg_pool2d",
                Box::new(AvgPool2d::new(input, PoolWindow::new(2)).unwrap()),
            ),
        ];
        for (kind, mut layer) in layers {
            let mut group = c.benchmark_group(format!("{kind}_{name}_k2"));
            group.throughput(Throughput::Elements(BATCH as u64));
            let x = random(n_in, BATCH, 1);
            let (mut y, mut dx) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
            layer.forward(&x, &mut y, Mode::Train).unwrap();
            let dy = random(y.nrows(), BATCH, 2);
            group.bench_function(format!("forward/batch{BATCH}"), |b| {
                b.iter(|| layer.forward(black_box(&x), &mut y, Mode::Train).unwrap())
            });
            group.bench_function(format!("backward/batch{BATCH}"), |b| {
                b.iter(|| {
                    layer
                        .backward(&x, &y, black_box(&dy), Some(&mut dx))
                        .unwrap()
                })
            });
            group.finish();
        }
    }
}

criterion_group!(benches, pools);
criterion_main!(benches);
