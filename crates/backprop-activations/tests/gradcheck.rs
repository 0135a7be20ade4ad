//! Finite-difference checks of every backward pass, in `f64`.
//!
//! For a fixed random `R`, `f(Z) = Σ R ⊙ g(Z)` has gradient
//! `∂f/∂Z = backward(Z, g(Z), R)`; central differences of `f` must agree
//! with it to `1e-6` (relative, absolute below `1e-7`).
//!
//! The checked function is `f(Z) − f(Z₀)` (`Z₀` the point of the check): a
//! constant shift, so the same gradient, but a perturbation of one entry is
//! then not rounded away in a sum of dozens of O(1) terms. Without the shift
//! the finite differences alone carry errors of a few 1e-7 on 10×7 inputs;
//! with it they reflect the backward pass.

use backprop_activations::{
    Activation, ActivationKind, Elu, Gelu, LeakyRelu, Relu, Sigmoid, Softmax, Softplus, Tanh,
};
use backprop_tensor::DMatrix;
use backprop_tensor::gradcheck::{GradCheck, GradCheckReport, check_gradient};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SHAPES: [(usize, usize); 5] = [(1, 1), (3, 1), (1, 6), (5, 4), (10, 7)];
const TOLERANCE: f64 = 1e-6;

fn kinds() -> Vec<ActivationKind> {
    use ActivationKind::*;
    vec![
        Identity,
        Relu,
        LeakyRelu(0.01),
        LeakyRelu(0.2),
        Sigmoid,
        Tanh,
        Elu(1.0),
        Elu(0.5),
        Gelu,
        Softplus,
        Softmax,
    ]
}

/// Uniform on `[-scale, scale]`, but never within `gap` of zero (the kink of
/// ReLU, Leaky ReLU and ELU, where the function is not differentiable).
fn sample(rows: usize, cols: usize, scale: f64, gap: f64, rng: &mut StdRng) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        let magnitude = rng.random_range(gap..scale);
        if rng.random_bool(0.5) {
            magnitude
        } else {
            -magnitude
        }
    })
}

fn check(act: &dyn Activation<f64>, z: &DMatrix<f64>, r: &DMatrix<f64>) -> GradCheckReport {
    let (mut a0, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    act.forward(z, &mut a0);
    act.backward(z, &a0, r, &mut dz).unwrap();
    let mut a = DMatrix::zeros(0, 0);
    let f = |z: &DMatrix<f64>| {
        act.forward(z, &mut a);
        (&a - &a0).component_mul(r).sum()
    };
    check_gradient(z, &dz, f, GradCheck::default())
}

#[test]
fn every_activation_every_shape() {
    let mut rng = StdRng::seed_from_u64(20240601);
    for kind in kinds() {
        for &(rows, cols) in &SHAPES {
            for scale in [1.0, 4.0] {
                let z = sample(rows, cols, scale, 1e-3, &mut rng);
                let r = sample(rows, cols, 1.0, 0.0, &mut rng);
                let report = check(&kind, &z, &r);
                assert_eq!(report.checked, rows * cols);
                assert!(
                    report.passes(TOLERANCE),
                    "{kind} {rows}×{cols} scale {scale}: {report:?}\nZ = {z}"
                );
            }
        }
    }
}

/// The unit types, not only the enum's dispatch.
#[test]
fn unit_types_directly() {
    let mut rng = StdRng::seed_from_u64(7);
    let units: [&dyn Activation<f64>; 8] = [
        &Relu,
        &LeakyRelu::new(0.3),
        &Sigmoid,
        &Tanh,
        &Elu::new(2.0),
        &Gelu,
        &Softplus,
        &Softmax,
    ];
    for act in units {
        let z = sample(6, 5, 3.0, 1e-3, &mut rng);
        let r = sample(6, 5, 1.0, 0.0, &mut rng);
        let report = check(act, &z, &r);
        assert!(report.passes(TOLERANCE), "{}: {report:?}", act.name());
    }
}

/// The tails, where the stable formulas take over. Only where the outputs
/// themselves keep their precision: in the left tail of Sigmoid, Softplus and
/// GELU `g(z)` is tiny and exact to the last bits, and in the right tail of
/// Softplus and GELU `g(z) ≈ z`. (Where `g(z)` is a constant plus something
/// tiny, e.g. `σ(z) ≈ 1 − e^{−z}`, no `f64` finite difference can resolve the
/// derivative to 1e-6; the limits there are tested exactly in
/// `behaviour.rs`.)
#[test]
fn tails() {
    let mut rng = StdRng::seed_from_u64(99);
    let cases = [
        (ActivationKind::Sigmoid, -1.0),
        (ActivationKind::Softplus, -1.0),
        (ActivationKind::Softplus, 1.0),
        (ActivationKind::Gelu, 1.0),
        (ActivationKind::Gelu, -1.0),
    ];
    for (kind, side) in cases {
        let z = sample(8, 3, 30.0, 5.0, &mut rng).map(|v| side * v.abs());
        let r = sample(8, 3, 1.0, 0.0, &mut rng);
        let report = check(&kind, &z, &r);
        assert!(report.passes(TOLERANCE), "{kind} side {side}: {report:?}");
    }
}

/// The checker is not blind: a wrong derivative fails it.
#[test]
fn a_wrong_backward_is_caught() {
    #[derive(Debug)]
    struct WrongTanh;
    impl Activation<f64> for WrongTanh {
        fn name(&self) -> &'static str {
            "wrong_tanh"
        }
        fn forward(&self, z: &DMatrix<f64>, a: &mut DMatrix<f64>) {
            Tanh.forward(z, a)
        }
        fn backward(
            &self,
            z: &DMatrix<f64>,
            a: &DMatrix<f64>,
            da: &DMatrix<f64>,
            dz: &mut DMatrix<f64>,
        ) -> Result<(), backprop_tensor::TensorError> {
            Tanh.backward(z, a, da, dz)?;
            *dz *= 1.0 + 1e-4;
            Ok(())
        }
    }
    let mut rng = StdRng::seed_from_u64(3);
    let z = sample(4, 3, 2.0, 0.0, &mut rng);
    let r = sample(4, 3, 1.0, 0.1, &mut rng);
    assert!(!check(&WrongTanh, &z, &r).passes(TOLERANCE));
}
