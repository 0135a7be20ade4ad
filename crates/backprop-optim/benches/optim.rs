//! One optimizer step over the MLP's parameters (109,386 f32 values in six
//! tensors, 784-128-64-10).
//!
//! Run: `cargo bench -p backprop-optim`.

use backprop_optim::OptimizerKind;
use backprop_tensor::{DMatrix, Param};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn mlp_params() -> Vec<Param<f32>> {
    let shapes = [(128, 784), (128, 1), (64, 128), (64, 1), (10, 64), (10, 1)];
    shapes
        .iter()
        .enumerate()
        .map(|(k, &(r, c))| {
            let mut p = Param::new(
                format!("p{k}"),
                DMatrix::from_fn(r, c, |i, j| ((i + j) % 7) as f32 * 0.01),
            );
            p.grad = DMatrix::from_fn(r, c, |i, j| ((i * 3 + j) % 5) as f32 * 0.001 - 0.002);
            p
        })
        .collect()
}

fn optimizers(c: &mut Criterion) {
    let mut group = c.benchmark_group("optimizer_step_109386");
    group.throughput(Throughput::Elements(109_386));
    for kind in OptimizerKind::ALL {
        let mut params = mlp_params();
        let mut opt = kind.build::<f32>();
        opt.step(1e-3, &mut params).unwrap();
        group.bench_function(kind.name(), |b| {
            b.iter(|| opt.step(black_box(1e-3), &mut params).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, optimizers);
criterion_main!(benches);
