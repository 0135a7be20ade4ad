//! The thread tuner against fixed thread counts, in one process (built and
//! run by scripts/tuner.sh): a training step of 784-128-64-10 (Adam, f32,
//! batch BATCH) run in blocks of STEPS steps, the blocks of three ways
//! rotating every round: `fixed2` (every product on two threads), `tuner`
//! (a `threads::Tuner` kept from block to block, as a trainer keeps it) and
//! `fixed1` (the caller alone). Prints each round's µs per step and how many
//! of the tuner's steps ran alone, then per way the median, quartiles and
//! range, and the per-round ratios tuner/fixed2 and tuner/best of the two
//! fixed counts.

use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop_optim::{Adam, Optimizer};
use backprop_tensor::{DMatrix, Parameters, threads};
use std::time::Instant;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .map_or(default, |s| s.parse().expect("a whole number"))
}

/// Median, quartiles and range.
fn summary(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    format!(
        "median {:.3} (quartiles {:.3}-{:.3}, range {:.3}-{:.3})",
        v[n / 2],
        v[n / 4],
        v[(3 * n) / 4],
        v[0],
        v[n - 1]
    )
}

fn main() {
    let (batch, steps, rounds) = (arg(1, 64), arg(2, 300), arg(3, 24));
    let mut net = Sequential::<f32>::builder(784)
        .seed(0)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap();
    let x = DMatrix::from_fn(784, batch, |i, j| ((i * 37 + j * 11) % 251) as f32 / 251.0);
    let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
    let mut opt = Adam::new();
    let mut grad = DMatrix::zeros(0, 0);
    let mut step = |net: &mut Sequential<f32>| {
        let out = net.forward(&x, Mode::Train).unwrap();
        SoftmaxCrossEntropy
            .loss_and_gradient(out, Target::Classes(&labels), &mut grad)
            .unwrap();
        net.zero_grad();
        net.backward(&x, &grad).unwrap();
        opt.step(1e-4, net).unwrap();
    };
    threads::set_num_threads(2);
    let mut tuner = threads::Tuner::new();
    let names = ["fixed2", "tuner", "fixed1"];
    let mut per: [Vec<f64>; 3] = Default::default();
    let (mut vs_two, mut vs_best) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        step(&mut net);
    }
    for r in 0..rounds {
        let mut us = [0.0; 3];
        let mut alone = 0;
        for k in 0..3 {
            let way = (k + r) % 3;
            let start = Instant::now();
            for _ in 0..steps {
                match way {
                    0 => step(&mut net),
                    1 => {
                        tuner.run(batch, || step(&mut net));
                        alone += usize::from(tuner.threads() == 1);
                    }
                    _ => {
                        threads::set_num_threads(1);
                        step(&mut net);
                        threads::set_num_threads(2);
                    }
                }
            }
            us[way] = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
            per[way].push(us[way]);
        }
        vs_two.push(us[1] / us[0]);
        vs_best.push(us[1] / us[0].min(us[2]));
        println!(
            "round {r:2}: fixed2 {:5.0} µs  tuner {:5.0} µs ({alone:3} of {steps} steps alone)  fixed1 {:5.0} µs",
            us[0], us[1], us[2]
        );
    }
    for (name, v) in names.iter().zip(&mut per) {
        println!("{name:6} µs/step: {}", summary(v));
    }
    println!("tuner/fixed2: {}", summary(&mut vs_two));
    println!("tuner/best of fixed2 and fixed1: {}", summary(&mut vs_best));
}
