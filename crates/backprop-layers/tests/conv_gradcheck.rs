//! Finite-difference gradient checks (f64, relative error < 1e-6) of
//! Conv2d: the input, the weight and the bias, over strides above 1,
//! padding, dilation, non-square kernels, odd sizes and batch 1; alone,
//! without a bias, and stacked in a small CNN.

use backprop_layers::{Conv2d, Conv2dConfig, Layer, Mode, Sequential};
use backprop_tensor::gradcheck::{GradCheck, check_gradient, check_parameters};
use backprop_tensor::{DMatrix, Init, rng::seeded};
use rand::Rng;

const TOL: f64 = 1e-6;

fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// Checks ∂/∂X and ∂/∂θ of f = Σ R ⊙ net(X) for a random fixed R; returns
/// how many parameter tensors were checked.
fn check(net: &mut Sequential<f64>, batch: usize, seed: u64, what: &str) -> usize {
    let x = random(net.input_size(), batch, seed);
    let r = random(net.output_size(), batch, seed + 1);
    let f = |net: &mut Sequential<f64>, x: &DMatrix<f64>| -> f64 {
        net.forward(x, Mode::Train).unwrap().component_mul(&r).sum()
    };
    f(net, &x);
    backprop_tensor::Parameters::zero_grad(net);
    let mut dx = DMatrix::zeros(0, 0);
    net.backward_with_input_grad(&x, &r, &mut dx).unwrap();

    let report = check_gradient(&x, &dx, |x| f(net, x), GradCheck::default());
    assert!(
        report.checked > 0 && report.passes(TOL),
        "{what}: input gradient, batch {batch}: {report:?}"
    );
    let params = check_parameters(net, |net| f(net, &x), GradCheck::default());
    for (name, report) in &params {
        assert!(
            report.checked > 0 && report.passes(TOL),
            "{what}: {name}, batch {batch}: {report:?}"
        );
    }
    params.len()
}

fn single(input: [usize; 3], config: Conv2dConfig, seed: u64) -> Sequential<f64> {
    // PyTorch's initialisation draws a non-zero bias, so it matters.
    let conv = Conv2d::new(input, config, Init::TorchDefault, &mut seeded(seed)).unwrap();
    Sequential::from_layers(input, vec![Box::new(conv) as Box<dyn Layer<f64>>]).unwrap()
}

#[test]
fn conv2d_alone_over_every_setting() {
    // (input, out channels, kernel, stride, padding, dilation, batch)
    type Case = (
        [usize; 3],
        usize,
        (usize, usize),
        (usize, usize),
        (usize, usize),
        (usize, usize),
        usize,
    );
    let cases: &[Case] = &[
        ([1, 5, 5], 2, (3, 3), (1, 1), (0, 0), (1, 1), 1),
        ([1, 8, 8], 3, (5, 5), (1, 1), (2, 2), (1, 1), 2),
        ([2, 7, 9], 3, (3, 2), (2, 3), (1, 2), (1, 1), 3),
        ([3, 9, 7], 2, (3, 3), (1, 2), (2, 1), (2, 3), 1),
        ([2, 6, 5], 4, (1, 4), (3, 1), (0, 3), (1, 1), 2),
        ([2, 11, 13], 2, (5, 3), (2, 2), (2, 1), (2, 1), 1),
        ([3, 4, 4], 2, (4, 4), (1, 1), (0, 0), (1, 1), 5),
    ];
    for (n, &(input, out, k, s, p, d, batch)) in cases.iter().enumerate() {
        let config = Conv2dConfig::new(input[0], out, k)
            .with_stride(s)
            .with_padding(p)
            .with_dilation(d);
        let what = format!("{config:?} on {input:?}");
        let mut net = single(input, config, n as u64);
        assert_eq!(
            check(&mut net, batch, 10 + n as u64, &what),
            2,
            "weight and bias"
        );
        let mut net = single(input, config.with_bias(false), n as u64);
        assert_eq!(
            check(&mut net, batch, 20 + n as u64, &what),
            1,
            "weight only"
        );
    }
}

#[test]
fn a_small_cnn_stacked() {
    // conv (stride 2, padding) → tanh → conv (3×2, dilated (1, 2)) → tanh → flatten → dense.
    let mut net = Sequential::<f64>::builder([2, 9, 8])
        .seed(3)
        .init(Init::TorchDefault)
        .conv2d(3, 3)
        .stride(2)
        .padding(1)
        .tanh()
        .conv2d(4, (3, 2))
        .dilation((1, 2))
        .tanh()
        .flatten()
        .dense(3)
        .build()
        .unwrap();
    assert_eq!(net.shapes()[0].dims(), &[3, 5, 4]);
    assert_eq!(net.shapes()[2].dims(), &[4, 3, 2]);
    for batch in [1, 4] {
        assert_eq!(check(&mut net, batch, 40 + batch as u64, "small CNN"), 6);
    }
}
