//! One full training step of the tutorial's network (784-128-64-10, ReLU,
//! softmax cross-entropy, Adam, f32) at batch 64 and 256 — batch assembly
//! from u8 pixels, forward, loss, backward, finiteness check, update, the
//! same calls as `Trainer::fit` — and inference: one sample, and 1000.
//!
//! Run: `cargo bench --bench train_step`.

use backprop::data::Batcher;
use backprop::layers::Mode;
use backprop::losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Parameters};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "../tests/support/mlp.rs"]
mod mlp;

use mlp::{synthetic, tutorial_net};

fn train_step(c: &mut Criterion) {
    let data = synthetic(4096);
    let mut group = c.benchmark_group("train_step_784_128_64_10");
    for batch in [64usize, 256] {
        let mut net = tutorial_net(0);
        let mut opt = Adam::new();
        let loss = SoftmaxCrossEntropy;
        let mut batcher = Batcher::new(data.len(), batch, true, 0).unwrap();
        let (mut x, mut labels, mut grad) =
            (DMatrix::zeros(0, 0), Vec::new(), DMatrix::zeros(0, 0));
        let mut epoch = 0;
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch{batch}"), |b| {
            b.iter(|| {
                let indices = match batcher.next_batch() {
                    Some(i) => i,
                    None => {
                        epoch += 1;
                        batcher.epoch(epoch);
                        batcher.next_batch().unwrap()
                    }
                };
                data.fill_batch(indices, &mut x, &mut labels).unwrap();
                let out = net.forward(&x, Mode::Train).unwrap();
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

fn inference(c: &mut Criterion) {
    let mut net = tutorial_net(0);
    let mut group = c.benchmark_group("inference_784_128_64_10");
    for batch in [1usize, 1000] {
        let x = DMatrix::<f32>::from_fn(784, batch, |i, j| ((i + 3 * j) % 255) as f32 / 255.0);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch{batch}"), |b| {
            b.iter(|| net.forward(black_box(&x), Mode::Eval).unwrap()[0])
        });
    }
    group.finish();
}

criterion_group!(benches, train_step, inference);
criterion_main!(benches);
