//! Finite-difference gradient checks (f64, relative error < 1e-6) of
//! MaxPool2d, AvgPool2d, BatchNorm2d and Dropout2d, alone and stacked: the
//! input gradient and every parameter gradient, with strides above 1,
//! padding, non-square kernels, odd sizes and batch 1.

use backprop_layers::{
    AvgPool2d, BatchNorm2d, Dropout2d, Layer, MaxPool2d, Mode, PoolWindow, Sequential, Shape,
};
use backprop_tensor::gradcheck::{GradCheck, check_gradient, check_parameters};
use backprop_tensor::{DMatrix, Init, Parameters, rng::seeded};
use rand::Rng;
use rand::seq::SliceRandom;

const TOL: f64 = 1e-6;

fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// Distinct values 0.01 apart (a shuffled ramp), so that no window of a max
/// pool holds two values within the finite-difference step of each other:
/// a tie would make the maximum non-differentiable there.
fn no_ties(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut v: Vec<f64> = (0..rows * cols).map(|i| i as f64 * 0.01 - 1.0).collect();
    v.shuffle(&mut seeded(seed));
    DMatrix::from_vec(rows, cols, v)
}

/// Checks ∂/∂X and ∂/∂θ of f = Σ R ⊙ net(X) for a random fixed R.
fn check(net: &mut Sequential<f64>, x: &DMatrix<f64>, mode: Mode, what: &str) {
    let r = random(net.output_size(), x.ncols(), 7);
    let f = |net: &mut Sequential<f64>, x: &DMatrix<f64>| -> f64 {
        net.forward(x, mode).unwrap().component_mul(&r).sum()
    };
    f(net, x);
    net.zero_grad();
    let mut dx = DMatrix::zeros(0, 0);
    net.backward_with_input_grad(x, &r, &mut dx).unwrap();
    let report = check_gradient(x, &dx, |x| f(net, x), GradCheck::default());
    assert!(report.passes(TOL), "{what}: input gradient {report:?}");
    for (name, report) in check_parameters(net, |net| f(net, x), GradCheck::default()) {
        assert!(report.passes(TOL), "{what}: {name} {report:?}");
    }
}

fn single(input: [usize; 3], layer: impl Layer<f64> + 'static) -> Sequential<f64> {
    Sequential::from_layers(Shape::new(input), vec![Box::new(layer)]).unwrap()
}

/// Odd sizes, non-square kernels, strides above and below the kernel,
/// padding.
fn windows() -> Vec<([usize; 3], PoolWindow)> {
    vec![
        ([2, 6, 6], PoolWindow::new(2)),
        ([1, 7, 5], PoolWindow::new(2)),
        ([2, 7, 6], PoolWindow::new(2).with_padding(1)),
        (
            [2, 7, 6],
            PoolWindow::new((3, 2))
                .with_stride((2, 1))
                .with_padding((1, 0)),
        ),
        ([3, 5, 5], PoolWindow::new(3).with_stride(1).with_padding(1)),
        (
            [2, 6, 7],
            PoolWindow::new((2, 4)).with_stride(3).with_padding((1, 2)),
        ),
    ]
}

#[test]
fn max_pool2d() {
    for (k, (shape, win)) in windows().into_iter().enumerate() {
        for batch in [1, 3] {
            let mut net = single(shape, MaxPool2d::new(shape, win).unwrap());
            let x = no_ties(net.input_size(), batch, k as u64);
            check(
                &mut net,
                &x,
                Mode::Train,
                &format!("{shape:?} {win:?} batch {batch}"),
            );
        }
    }
}

#[test]
fn avg_pool2d() {
    for (k, (shape, win)) in windows().into_iter().enumerate() {
        for batch in [1, 3] {
            let mut net = single(shape, AvgPool2d::new(shape, win).unwrap());
            let x = random(net.input_size(), batch, k as u64);
            check(
                &mut net,
                &x,
                Mode::Train,
                &format!("{shape:?} {win:?} batch {batch}"),
            );
        }
    }
}

#[test]
fn batch_norm2d_training_and_evaluation() {
    for (shape, batch) in [
        ([3, 3, 5], 1),
        ([2, 4, 3], 2),
        ([3, 1, 1], 5),
        ([1, 5, 5], 3),
    ] {
        let c = shape[0];
        let mut net = single(shape, BatchNorm2d::new(c).unwrap());
        // Non-trivial γ and β.
        net.visit_params_mut(&mut |p| p.value = random(c, 1, 21).add_scalar(1.5));
        let x = random(net.input_size(), batch, 3);
        check(
            &mut net,
            &x,
            Mode::Train,
            &format!("train {shape:?} batch {batch}"),
        );
        // Running statistics from a few passes, then evaluation.
        for s in 0..3 {
            net.forward(&random(net.input_size(), 4, 30 + s), Mode::Train)
                .unwrap();
        }
        check(
            &mut net,
            &x,
            Mode::Eval,
            &format!("eval {shape:?} batch {batch}"),
        );
    }
}

#[test]
fn dropout2d_with_a_fixed_mask() {
    for batch in [1, 6] {
        let mut d = Dropout2d::new(4, 0.5, 5).unwrap();
        d.freeze_mask(true);
        let mut net = single([4, 3, 2], d);
        let x = random(net.input_size(), batch, 4);
        check(&mut net, &x, Mode::Train, &format!("train batch {batch}"));
        check(&mut net, &x, Mode::Eval, &format!("eval batch {batch}"));
    }
}

/// Pools, BatchNorm2d and a dense layer in one network, every parameter
/// checked through them.
#[test]
fn a_stack_of_pools_and_batch_norm() {
    for (batch, seed) in [(1, 1), (4, 2)] {
        let mut net = Sequential::<f64>::builder([2, 9, 7])
            .seed(seed)
            .init(Init::XavierNormal)
            .max_pool2d((3, 2))
            .stride((2, 1))
            .padding((1, 0))
            .batch_norm2d()
            .avg_pool2d(2)
            .padding(1)
            .flatten()
            .dense(3)
            .tanh()
            .build()
            .unwrap();
        net.visit_params_mut(&mut |p| {
            if p.name() == "1.weight" {
                p.value = random(2, 1, 9).add_scalar(1.5);
            }
        });
        let x = no_ties(net.input_size(), batch, seed);
        check(&mut net, &x, Mode::Train, &format!("stack batch {batch}"));
    }
}
