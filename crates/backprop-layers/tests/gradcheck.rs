//! Finite-difference gradient checks (f64) of every layer, alone and stacked,
//! for the input gradient and every parameter gradient.

use backprop_activations::ActivationKind;
use backprop_layers::{ActivationLayer, BatchNorm1d, Dense, Dropout, Layer, Mode, Sequential};
use backprop_tensor::gradcheck::{GradCheck, check_gradient, check_parameters};
use backprop_tensor::{DMatrix, Init, Parameters, rng::seeded};
use rand::Rng;

const TOL: f64 = 1e-6;

fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// Checks ∂/∂X and ∂/∂θ of f = Σ R ⊙ net(X) for a random fixed R.
fn check(net: &mut Sequential<f64>, batch: usize, mode: Mode, seed: u64) {
    let x = random(net.input_size(), batch, seed);
    let r = random(net.output_size(), batch, seed + 1);
    let f = |net: &mut Sequential<f64>, x: &DMatrix<f64>| -> f64 {
        net.forward(x, mode).unwrap().component_mul(&r).sum()
    };
    f(net, &x);
    net.zero_grad();
    let mut dx = DMatrix::zeros(0, 0);
    net.backward_with_input_grad(&x, &r, &mut dx).unwrap();

    let report = check_gradient(&x, &dx, |x| f(net, x), GradCheck::default());
    assert!(
        report.passes(TOL),
        "input gradient, batch {batch}: {report:?}"
    );

    for (name, report) in check_parameters(net, |net| f(net, &x), GradCheck::default()) {
        assert!(report.passes(TOL), "{name}, batch {batch}: {report:?}");
    }
}

fn single(input: usize, layer: impl Layer<f64> + 'static) -> Sequential<f64> {
    Sequential::from_layers(input, vec![Box::new(layer)]).unwrap()
}

#[test]
fn dense() {
    for (i, &(inp, out, batch)) in [(1, 1, 1), (3, 2, 1), (5, 4, 3), (8, 6, 7), (4, 10, 16)]
        .iter()
        .enumerate()
    {
        let mut net = single(
            inp,
            Dense::new(inp, out, Init::XavierNormal, &mut seeded(i as u64)),
        );
        // Non-zero biases so they matter.
        net.visit_params_mut(&mut |p| {
            if p.name().ends_with("bias") {
                p.value = random(out, 1, 99);
            }
        });
        check(&mut net, batch, Mode::Train, 10 + i as u64);
    }
}

#[test]
fn every_activation_layer() {
    let kinds = [
        ActivationKind::Identity,
        ActivationKind::Relu,
        ActivationKind::LeakyRelu(0.1),
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Elu(1.0),
        ActivationKind::Gelu,
        ActivationKind::Softplus,
        ActivationKind::Softmax,
    ];
    for kind in kinds {
        for batch in [1, 5] {
            let mut net = single(6, ActivationLayer::new(kind));
            check(&mut net, batch, Mode::Train, 3);
        }
    }
}

#[test]
fn dropout_with_a_fixed_mask() {
    for batch in [1, 9] {
        let mut d = Dropout::new(0.4, 5).unwrap();
        d.freeze_mask(true);
        let mut net = single(7, d);
        check(&mut net, batch, Mode::Train, 4);
        check(&mut net, batch, Mode::Eval, 4);
    }
}

#[test]
fn batch_norm_training_and_evaluation() {
    for batch in [2, 3, 8] {
        let mut net = single(5, BatchNorm1d::new(5).unwrap());
        // Non-trivial γ and β.
        net.visit_params_mut(&mut |p| p.value = random(5, 1, 21).add_scalar(1.5));
        check(&mut net, batch, Mode::Train, 6);
    }
    for batch in [1, 4] {
        let mut net = single(5, BatchNorm1d::new(5).unwrap());
        // Give it running statistics first.
        net.forward(&random(5, 10, 30), Mode::Train).unwrap();
        check(&mut net, batch, Mode::Eval, 7);
    }
}

#[test]
fn sequential_mixed_stack() {
    let build = |seed| {
        Sequential::<f64>::builder(6)
            .seed(seed)
            .init(Init::XavierNormal)
            .dense(8)
            .tanh()
            .dense(7)
            .batch_norm()
            .activation(ActivationKind::Gelu)
            .dense(4)
            .softmax()
            .build()
            .unwrap()
    };
    // Not batch 2: BatchNorm maps any two samples to ±1 (up to ε), so every
    // gradient below it is ~1e-7, at the level of finite-difference noise.
    for (batch, seed) in [(3, 1), (5, 2), (12, 3)] {
        check(&mut build(seed), batch, Mode::Train, 40 + seed);
    }
    // The tutorial's network shape, scaled down: ReLU hidden, sigmoid out.
    for batch in [1, 6] {
        let mut net = Sequential::<f64>::builder(10)
            .seed(9)
            .dense(8)
            .relu()
            .dense(6)
            .relu()
            .dense(3)
            .sigmoid()
            .build()
            .unwrap();
        check(&mut net, batch, Mode::Eval, 50);
    }
}

#[test]
fn flatten_and_a_nested_network() {
    let inner = Sequential::<f64>::builder(12)
        .seed(3)
        .dense(5)
        .tanh()
        .build()
        .unwrap();
    let mut net = Sequential::<f64>::builder([3, 2, 2])
        .seed(4)
        .flatten()
        .layer(inner)
        .dense(2)
        .build()
        .unwrap();
    for batch in [1, 4] {
        check(&mut net, batch, Mode::Train, 40 + batch as u64);
    }
}
