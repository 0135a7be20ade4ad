//! The seed example's pipeline (`examples/seed/tutorial.rs`, the very file the
//! example compiles) checked on a tiny network [5, 4, 3, 2] with a batch of 3:
//! `backward_propagation` against central finite differences of
//! `compute_cost`, both output gradients against each other, the f32
//! saturation case that makes the tutorial's raw `dA[L]` divide by zero, and
//! one step of `update_parameters`.

#[path = "../examples/seed/tutorial.rs"]
mod tutorial;

use backprop::data::one_hot;
use backprop::tensor::gradcheck::{GradCheck, check_gradient};
use backprop::tensor::{DMatrix, Init, Scalar, rng};
use std::borrow::Cow;
use tutorial::{
    OutputGradient, Parameters, backward_propagation, compute_cost, forward_propagation,
    initialize_parameters, update_parameters,
};

const DIMS: [usize; 4] = [5, 4, 3, 2];
const LABELS: [usize; 3] = [0, 1, 1];

/// He-initialised parameters with non-zero biases (so `db` and the bias
/// broadcast are exercised), a random `X` (5 × 3) and one-hot `Y` (2 × 3).
fn problem<T: Scalar>() -> (Parameters<T>, DMatrix<T>, DMatrix<T>) {
    let mut parameters = initialize_parameters::<T>(&DIMS, Init::HeNormal, 7);
    let mut r = rng::seeded(8);
    for p in &mut parameters {
        p.b = Init::Normal { std: 0.5 }.matrix(p.b.nrows(), 1, &mut r);
    }
    let x = Init::Normal { std: 1.0 }.matrix(DIMS[0], LABELS.len(), &mut rng::seeded(9));
    let mut y = DMatrix::zeros(0, 0);
    one_hot(&LABELS, DIMS[3], &mut y).unwrap();
    (parameters, x, y)
}

fn cost_of(parameters: &Parameters<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let (al, _) = forward_propagation(x, parameters).unwrap();
    compute_cost(&al, y).unwrap()
}

#[test]
fn initialize_parameters_has_the_tutorial_shapes_and_scale() {
    let parameters = initialize_parameters::<f64>(&[784, 128, 64, 10], Init::Tutorial, 0);
    let shapes: Vec<_> = parameters
        .iter()
        .map(|p| (p.w.shape(), p.b.shape()))
        .collect();
    assert_eq!(
        shapes,
        [
            ((128, 784), (128, 1)),
            ((64, 128), (64, 1)),
            ((10, 64), (10, 1))
        ]
    );
    assert!(parameters.iter().all(|p| p.b.iter().all(|&b| b == 0.0)));
    // randn · 0.01: 100 352 draws, so the sample std is within 1% of 0.01.
    let w = &parameters[0].w;
    let n = w.len() as f64;
    let mean = w.sum() / n;
    let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!(
        (std - 0.01).abs() < 1e-4 && mean.abs() < 1e-4,
        "mean {mean}, std {std}"
    );
    // Same seed, same weights.
    assert_eq!(
        parameters,
        initialize_parameters::<f64>(&[784, 128, 64, 10], Init::Tutorial, 0)
    );
}

#[test]
fn forward_propagation_keeps_one_cache_per_layer() {
    let (parameters, x, _) = problem::<f64>();
    let (al, caches) = forward_propagation(&x, &parameters).unwrap();
    assert_eq!(caches.len(), 3);
    // A[0] is X itself, borrowed; later inputs are the previous outputs.
    assert!(matches!(&caches[0].a_prev, Cow::Borrowed(a) if std::ptr::eq(*a, &x)));
    for (l, cache) in caches.iter().enumerate() {
        assert_eq!(cache.z.shape(), (DIMS[l + 1], 3));
        assert!(std::ptr::eq(cache.w, &parameters[l].w));
        // Z[l] = W[l]·A[l−1] + b[l], against nalgebra's own product.
        let expected = &parameters[l].w * cache.a_prev.as_ref()
            + DMatrix::from_fn(DIMS[l + 1], 3, |i, _| parameters[l].b[i]);
        assert!((&cache.z - expected).amax() < 1e-12);
        // A[l] = relu(Z[l]) is the next layer's input.
        if let Some(next) = caches.get(l + 1) {
            assert_eq!(next.a_prev.as_ref(), &cache.z.map(|z| z.max(0.0)));
        }
    }
    // A[L] = σ(Z[L]).
    let sigmoid = caches[2].z.map(|z| 1.0 / (1.0 + (-z).exp()));
    assert!((&al - sigmoid).amax() < 1e-15);
}

#[test]
fn backward_propagation_matches_finite_differences_of_compute_cost() {
    let (parameters, x, y) = problem::<f64>();
    let (al, caches) = forward_propagation(&x, &parameters).unwrap();
    // Central differences are exact only away from ReLU's kink, and the
    // check must exercise relu′ = 0: some hidden Z < 0, none near 0.
    let hidden: Vec<f64> = caches[..2]
        .iter()
        .flat_map(|c| c.z.iter().copied())
        .collect();
    assert!(hidden.iter().all(|z| z.abs() > 1e-3), "{hidden:?}");
    assert!(hidden.iter().any(|&z| z < 0.0) && hidden.iter().any(|&z| z > 0.0));

    for gradient in [OutputGradient::Fused, OutputGradient::Tutorial] {
        let grads = backward_propagation(&al, &y, &caches, gradient).unwrap();
        assert_eq!(grads.len(), 3);
        let mut checked = 0;
        for (l, g) in grads.iter().enumerate() {
            let dw = check_gradient(
                &parameters[l].w,
                &g.dw,
                |w| {
                    let mut p = parameters.clone();
                    p[l].w = w.clone();
                    cost_of(&p, &x, &y)
                },
                GradCheck::default(),
            );
            assert!(dw.passes(1e-6), "{gradient:?} dW{}: {dw:?}", l + 1);
            let db = check_gradient(
                &parameters[l].b,
                &g.db,
                |b| {
                    let mut p = parameters.clone();
                    p[l].b = b.clone();
                    cost_of(&p, &x, &y)
                },
                GradCheck::default(),
            );
            assert!(db.passes(1e-6), "{gradient:?} db{}: {db:?}", l + 1);
            checked += dw.checked + db.checked;
        }
        // Every parameter: 5·4+4 + 4·3+3 + 3·2+2.
        assert_eq!(checked, 47);
    }
}

#[test]
fn fused_and_tutorial_output_gradients_agree() {
    let (parameters, x, y) = problem::<f64>();
    let (al, caches) = forward_propagation(&x, &parameters).unwrap();
    let fused = backward_propagation(&al, &y, &caches, OutputGradient::Fused).unwrap();
    let tutorial = backward_propagation(&al, &y, &caches, OutputGradient::Tutorial).unwrap();
    for (f, t) in fused.iter().zip(&tutorial) {
        for (a, b) in [(&f.dw, &t.dw), (&f.db, &t.db)] {
            let scale = a.amax().max(1e-300);
            assert!((a - b).amax() / scale < 1e-12, "{a} vs {b}");
        }
    }
}

#[test]
fn saturated_f32_outputs_keep_cost_and_gradients_finite() {
    let (mut parameters, x, y) = problem::<f32>();
    // Push both outputs to σ(Z) = 1.0f exactly: for label 0 output 1 is then
    // confidently wrong, for label 1 output 0 is.
    parameters[2].b.fill(40.0);
    let (al, caches) = forward_propagation(&x, &parameters).unwrap();
    assert!(al.iter().all(|&a| a == 1.0), "{al}");
    // The tutorial's raw formula divides by 1 − A[L] = 0 wherever Y = 0.
    let raw = al.zip_map(&y, |a, y| -(y / a - (1.0 - y) / (1.0 - a)));
    assert!(raw.iter().any(|d| d.is_infinite()), "{raw}");
    // compute_cost clamps A[L]: finite, about −ln ε per wrong output.
    let cost = compute_cost(&al, &y).unwrap();
    assert!(cost.is_finite() && cost > 10.0, "{cost}");

    let fused = backward_propagation(&al, &y, &caches, OutputGradient::Fused).unwrap();
    let tutorial = backward_propagation(&al, &y, &caches, OutputGradient::Tutorial).unwrap();
    for g in fused.iter().chain(&tutorial) {
        assert!(g.dw.iter().chain(g.db.iter()).all(|v| v.is_finite()));
    }
    // Fused: dZ[L] = A[L] − Y = 1 − Y, so db[L] = mean over samples of 1 − Y.
    let expected = [2.0 / 3.0, 1.0 / 3.0];
    for (got, want) in fused[2].db.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{}", fused[2].db);
    }
    // Clamped tutorial form: σ′(Z[L]) = A[L](1 − A[L]) is exactly 0 in f32,
    // so the finite dA[L] is multiplied by 0 and the output layer gets no
    // gradient at all, even for the confidently wrong outputs.
    assert!(
        tutorial
            .iter()
            .all(|g| g.dw.iter().chain(g.db.iter()).all(|&v| v == 0.0))
    );
}

#[test]
fn update_parameters_is_a_gradient_descent_step() {
    let (mut parameters, x, y) = problem::<f64>();
    let before = parameters.clone();
    let (al, caches) = forward_propagation(&x, &before).unwrap();
    let grads = backward_propagation(&al, &y, &caches, OutputGradient::Fused).unwrap();
    let cost = compute_cost(&al, &y).unwrap();
    update_parameters(&mut parameters, &grads, 0.1).unwrap();
    for ((p, q), g) in parameters.iter().zip(&before).zip(&grads) {
        assert_eq!(p.w, &q.w - &g.dw * 0.1);
        assert_eq!(p.b, &q.b - &g.db * 0.1);
    }
    assert!(cost_of(&parameters, &x, &y) < cost);
    // Gradients of the wrong shape are an error, not a panic.
    assert!(update_parameters(&mut parameters, &grads[..2], 0.1).is_err());
    let wrong_y = DMatrix::zeros(3, 3);
    assert!(backward_propagation(&al, &wrong_y, &caches, OutputGradient::Fused).is_err());
}
