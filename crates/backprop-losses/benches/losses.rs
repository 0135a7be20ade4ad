//! Each loss, value and gradient together, at the MLP's output (10 × 64, f32).
//!
//! Run: `cargo bench -p backprop-losses`.

use backprop_losses::{Loss, LossKind, Target};
use backprop_tensor::DMatrix;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn losses(c: &mut Criterion) {
    let logits = DMatrix::<f32>::from_fn(10, 64, |i, j| ((i * 13 + j * 7) % 23) as f32 / 6.0 - 2.0);
    let probs = logits.map(|z| 1.0 / (1.0 + (-z).exp()));
    let labels: Vec<usize> = (0..64).map(|j| j % 10).collect();
    let mut onehot = DMatrix::<f32>::zeros(10, 64);
    for (j, &l) in labels.iter().enumerate() {
        onehot[(l, j)] = 1.0;
    }
    let mut grad = DMatrix::zeros(0, 0);
    let mut group = c.benchmark_group("loss_10x64");
    for kind in LossKind::ALL {
        let pred = if kind.takes_logits() { &logits } else { &probs };
        group.bench_function(format!("{}/one_hot", kind.name()), |b| {
            b.iter(|| {
                kind.loss_and_gradient(black_box(pred), Target::Dense(&onehot), &mut grad)
                    .unwrap()
            })
        });
        if kind != LossKind::Mse {
            group.bench_function(format!("{}/classes", kind.name()), |b| {
                b.iter(|| {
                    kind.loss_and_gradient(black_box(pred), Target::Classes(&labels), &mut grad)
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, losses);
criterion_main!(benches);
