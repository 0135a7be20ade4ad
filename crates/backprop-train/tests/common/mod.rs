//! Helpers shared by the integration tests: seeded synthetic datasets,
//! weight snapshots and unique temporary directories.
#![allow(dead_code)]

use backprop_data::Dataset;
use backprop_layers::Sequential;
use backprop_tensor::{DMatrix, Parameters, Scalar, rng};

use rand::Rng;
use std::path::PathBuf;

mod hooked;
#[allow(unused_imports)] // used by custom.rs and interrupt.rs only
pub use hooked::{Hooked, Hooks};

/// A standard normal draw (Box–Muller), so the tests need no `rand_distr`.
pub fn normal(r: &mut impl Rng) -> f32 {
    let u1: f64 = r.random_range(f64::EPSILON..1.0);
    let u2: f64 = r.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// `n` points in 2-D around `k` centres on a circle of radius `radius`,
/// with unit-variance Gaussian noise; labels are the centre's index, in
/// round-robin order (so every class has `n / k` points, ± 1).
pub fn blobs(n: usize, k: usize, radius: f32, seed: u64) -> Dataset {
    let mut r = rng::seeded(seed);
    let mut xs = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        let angle = std::f32::consts::TAU * c as f32 / k as f32;
        xs.push(radius * angle.cos() + normal(&mut r));
        xs.push(radius * angle.sin() + normal(&mut r));
        labels.push(c);
    }
    Dataset::from_f32(xs, 2, labels, k).expect("valid blobs")
}

/// A 1-1-1-1 network (dense, ReLU, dense, ReLU, dense) and 8 samples whose
/// loss is finite but whose gradient overflows `f32` in the middle layer.
///
/// With x = 1e20 and weights 1, 1e-10 and 1e25 (biases 0) the activations
/// are 1e20 and 1e10 and the logit 1e35 (finite, and so is the binary
/// cross-entropy). Every label is 0, so every sample's ∂L/∂z = σ(z)/m is
/// 1/m ≠ 0 in any batch; ∂L/∂W of layer 2 is then about 1e25 · 1e20 / m
/// (infinite) while layer 0's, about 1e15 · 1e20 / m, stays finite. Use it
/// with `BinaryCrossEntropyWithLogits` and batches of at most 8.
pub fn overflowing_gradient_model() -> (Sequential<f32>, Dataset) {
    let mut model = Sequential::<f32>::builder(1)
        .dense(1)
        .relu()
        .dense(1)
        .relu()
        .dense(1)
        .build()
        .expect("valid network");
    model.visit_params_mut(&mut |p| {
        let v = match p.name() {
            "0.weight" => 1.0,
            "2.weight" => 1e-10,
            "4.weight" => 1e25,
            _ => 0.0,
        };
        p.value.fill(v);
    });
    let data = Dataset::from_f32(vec![1e20; 8], 1, vec![0; 8], 2).expect("valid data");
    (model, data)
}

/// Every parameter's name and value, in the network's order (of a
/// `Sequential`, any `Model`, a `&dyn Model`).
pub fn weights<T: Scalar, M: Parameters<T> + ?Sized>(net: &M) -> Vec<(String, DMatrix<T>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.name().to_string(), p.value.clone())));
    out
}

/// Whether two snapshots are bit-for-bit the same (names, shapes, values;
/// `-0.0 ≠ 0.0` and NaN equals itself).
pub fn bit_identical(a: &[(String, DMatrix<f32>)], b: &[(String, DMatrix<f32>)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((na, va), (nb, vb))| {
            na == nb
                && va.shape() == vb.shape()
                && va
                    .iter()
                    .zip(vb.iter())
                    .all(|(x, y)| x.to_bits() == y.to_bits())
        })
}

/// A fresh, empty directory under the system temporary directory, unique to
/// this process and `tag`.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "backprop-train-test-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create temporary directory");
    dir
}
