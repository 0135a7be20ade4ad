//! Dense layer forward + backward at the MLP's first layer: 784→128, f32.
//!
//! Run: `cargo bench --bench dense`.

use backprop::layers::{Dense, Layer, Mode};
use backprop::tensor::{DMatrix, Init, rng::seeded};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;

fn dense(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_784x128");
    for batch in [1usize, 64, 256] {
        let mut rng = seeded(1);
        let x = DMatrix::<f32>::from_fn(784, batch, |_, _| rng.random());
        let dz = DMatrix::<f32>::from_fn(128, batch, |_, _| rng.random_range(-1.0..1.0));
        let mut layer = Dense::<f32>::new(784, 128, Init::HeNormal, &mut rng);
        let mut z = DMatrix::zeros(0, 0);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("forward/batch{batch}"), |b| {
            b.iter(|| layer.forward(black_box(&x), &mut z, Mode::Train).unwrap())
        });
        group.bench_function(format!("forward_backward/batch{batch}"), |b| {
            b.iter(|| {
                layer.forward(black_box(&x), &mut z, Mode::Train).unwrap();
                layer.backward(&x, &z, black_box(&dz), None).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, dense);
criterion_main!(benches);
