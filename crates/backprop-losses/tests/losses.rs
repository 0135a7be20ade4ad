//! Behaviour shared by every loss: Classes ≡ one-hot, fused ≡ separate,
//! finite-difference gradients, extreme inputs, errors — in `f32` and `f64`.

use backprop_losses::{
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Loss, LossError, LossKind, Mse,
    SoftmaxCrossEntropy, Target, accuracy,
};
use backprop_tensor::gradcheck::{GradCheck, check_gradient};
use backprop_tensor::{DMatrix, Scalar, TensorError};
use rand::{Rng, SeedableRng, rngs::StdRng};

const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 5), (3, 1), (2, 2), (4, 7), (10, 3)];

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn random<T: Scalar>(rows: usize, cols: usize, lo: f64, hi: f64, rng: &mut StdRng) -> DMatrix<T> {
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(lo..hi)))
}

/// A prediction suited to the loss: probabilities in (0.05, 0.95) for the
/// clamped BCE, logits / values in (−3, 3) otherwise.
fn prediction<T: Scalar>(kind: LossKind, rows: usize, cols: usize, rng: &mut StdRng) -> DMatrix<T> {
    match kind {
        LossKind::BinaryCrossEntropy => random(rows, cols, 0.05, 0.95, rng),
        _ => random(rows, cols, -3.0, 3.0, rng),
    }
}

/// A dense target suited to the loss: any values for MSE, soft labels in
/// [0, 1] for the binary cross-entropies, probability columns for softmax CE.
fn dense_target<T: Scalar>(
    kind: LossKind,
    rows: usize,
    cols: usize,
    rng: &mut StdRng,
) -> DMatrix<T> {
    match kind {
        LossKind::Mse => random(rows, cols, -2.0, 2.0, rng),
        LossKind::BinaryCrossEntropy | LossKind::BinaryCrossEntropyWithLogits => {
            random(rows, cols, 0.0, 1.0, rng)
        }
        LossKind::SoftmaxCrossEntropy => {
            let mut y: DMatrix<T> = random(rows, cols, 0.01, 1.0, rng);
            for mut col in y.column_iter_mut() {
                let s = col.sum();
                col /= s;
            }
            y
        }
        other => panic!("no dense target generator for the loss {other}"),
    }
}

fn classes(rows: usize, cols: usize, rng: &mut StdRng) -> Vec<usize> {
    (0..cols).map(|_| rng.random_range(0..rows)).collect()
}

fn one_hot<T: Scalar>(classes: &[usize], rows: usize) -> DMatrix<T> {
    DMatrix::from_fn(rows, classes.len(), |i, j| {
        if classes[j] == i { T::one() } else { T::zero() }
    })
}

fn finite<T: Scalar>(m: &DMatrix<T>) -> bool {
    m.iter().all(|x| x.is_finite())
}

/// Generates one `#[test]` per precision from a generic function.
macro_rules! in_both_precisions {
    ($($name:ident),* $(,)?) => {
        mod f32_tests { $( #[test] fn $name() { super::$name::<f32>() } )* }
        mod f64_tests { $( #[test] fn $name() { super::$name::<f64>() } )* }
    };
}

in_both_precisions!(
    classes_equal_one_hot,
    fused_equals_separate,
    kind_dispatches_to_the_structs,
    losses_are_non_negative_and_finite,
    extreme_logits_are_finite,
    saturated_probabilities_are_finite,
    perfect_predictions,
    gradient_buffer_keeps_its_allocation,
    shape_errors,
    class_errors,
    empty_batches,
);

fn classes_equal_one_hot<T: Scalar>() {
    let mut r = rng(1);
    for kind in LossKind::ALL {
        for (rows, cols) in SHAPES {
            let p = prediction::<T>(kind, rows, cols, &mut r);
            let c = classes(rows, cols, &mut r);
            let y = one_hot::<T>(&c, rows);
            let (mut gc, mut gd) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
            let lc = kind.loss(&p, Target::Classes(&c)).unwrap();
            let ld = kind.loss(&p, Target::Dense(&y)).unwrap();
            assert_eq!(lc, ld, "{kind} {rows}×{cols}");
            kind.gradient(&p, Target::Classes(&c), &mut gc).unwrap();
            kind.gradient(&p, Target::Dense(&y), &mut gd).unwrap();
            assert_eq!(gc, gd, "{kind} {rows}×{cols}");
            let lc = kind
                .loss_and_gradient(&p, Target::Classes(&c), &mut gc)
                .unwrap();
            let ld = kind
                .loss_and_gradient(&p, Target::Dense(&y), &mut gd)
                .unwrap();
            assert_eq!((lc, &gc), (ld, &gd), "{kind} {rows}×{cols}");
        }
    }
}

fn fused_equals_separate<T: Scalar>() {
    let mut r = rng(2);
    for kind in LossKind::ALL {
        for (rows, cols) in SHAPES {
            let p = prediction::<T>(kind, rows, cols, &mut r);
            let y = dense_target::<T>(kind, rows, cols, &mut r);
            let c = classes(rows, cols, &mut r);
            for target in [Target::Dense(&y), Target::Classes(&c)] {
                let (mut g1, mut g2) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
                let l1 = kind.loss_and_gradient(&p, target, &mut g1).unwrap();
                let l2 = kind.loss(&p, target).unwrap();
                kind.gradient(&p, target, &mut g2).unwrap();
                assert_eq!(l1, l2, "{kind} {rows}×{cols}");
                assert_eq!(g1, g2, "{kind} {rows}×{cols}");
                assert_eq!(g1.shape(), (rows, cols));
            }
        }
    }
}

fn kind_dispatches_to_the_structs<T: Scalar>() {
    let mut r = rng(3);
    let structs: [&dyn Loss<T>; 4] = [
        &Mse,
        &BinaryCrossEntropy,
        &BinaryCrossEntropyWithLogits,
        &SoftmaxCrossEntropy,
    ];
    for (kind, direct) in LossKind::ALL.into_iter().zip(structs) {
        assert_eq!(Loss::<T>::name(&kind), direct.name());
        assert_eq!(Loss::<T>::takes_logits(&kind), direct.takes_logits());
        let p = prediction::<T>(kind, 4, 6, &mut r);
        let y = dense_target::<T>(kind, 4, 6, &mut r);
        let (mut g1, mut g2) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
        let l1 = kind
            .loss_and_gradient(&p, Target::Dense(&y), &mut g1)
            .unwrap();
        let l2 = direct
            .loss_and_gradient(&p, Target::Dense(&y), &mut g2)
            .unwrap();
        assert_eq!((l1, g1), (l2, g2), "{kind}");
    }
}

fn losses_are_non_negative_and_finite<T: Scalar>() {
    let mut r = rng(4);
    for kind in LossKind::ALL {
        for (rows, cols) in SHAPES {
            for _ in 0..5 {
                let p = prediction::<T>(kind, rows, cols, &mut r);
                let y = dense_target::<T>(kind, rows, cols, &mut r);
                let c = classes(rows, cols, &mut r);
                for target in [Target::Dense(&y), Target::Classes(&c)] {
                    let mut g = DMatrix::zeros(0, 0);
                    let l = kind.loss_and_gradient(&p, target, &mut g).unwrap();
                    assert!(l >= T::zero() && l.is_finite(), "{kind}: {l}");
                    assert!(finite(&g), "{kind}: {g}");
                }
            }
        }
    }
}

fn extreme_logits_are_finite<T: Scalar>() {
    let mut r = rng(5);
    for kind in [
        LossKind::BinaryCrossEntropyWithLogits,
        LossKind::SoftmaxCrossEntropy,
    ] {
        for (rows, cols) in SHAPES {
            // Every entry ±1000, or a mix of ±1000 and moderate values.
            let z = DMatrix::<T>::from_fn(rows, cols, |_, _| match r.random_range(0..3) {
                0 => T::of(1000.0),
                1 => T::of(-1000.0),
                _ => T::of(r.random_range(-3.0..3.0)),
            });
            let y = dense_target::<T>(kind, rows, cols, &mut r);
            let c = classes(rows, cols, &mut r);
            for target in [Target::Dense(&y), Target::Classes(&c)] {
                let mut g = DMatrix::zeros(0, 0);
                let l = kind.loss_and_gradient(&z, target, &mut g).unwrap();
                assert!(l.is_finite() && l >= T::zero(), "{kind}: {l}");
                assert!(finite(&g), "{kind}: {g}");
                // |∂ℓ/∂z| ≤ 1 per entry for both losses with targets in [0, 1].
                let m = T::of_usize(cols);
                assert!(g.iter().all(|&v| v.abs() * m <= T::one()), "{kind}: {g}");
            }
        }
    }
    // Exact values: a confident right answer costs 0, a wrong one 2000.
    let z = DMatrix::from_column_slice(
        2,
        2,
        &[T::of(1000.0), T::of(-1000.0), T::of(1000.0), T::of(-1000.0)],
    );
    let mut g = DMatrix::zeros(0, 0);
    let l = SoftmaxCrossEntropy
        .loss_and_gradient(&z, Target::Classes(&[0, 1]), &mut g)
        .unwrap();
    assert_eq!(l, T::of(1000.0));
    let h = T::of(0.5);
    assert_eq!(g.as_slice(), &[T::zero(), T::zero(), h, -h]);
}

fn saturated_probabilities_are_finite<T: Scalar>() {
    let eps = BinaryCrossEntropy::epsilon::<T>();
    let (zero, one) = (T::zero(), T::one());
    // a ∈ {0, 1} against y ∈ {0, 1, 0.5}.
    let a = DMatrix::from_row_slice(1, 6, &[zero, zero, one, one, zero, one]);
    let y = DMatrix::from_row_slice(1, 6, &[zero, one, zero, one, T::of(0.5), T::of(0.5)]);
    let mut g = DMatrix::zeros(0, 0);
    let l = BinaryCrossEntropy
        .loss_and_gradient(&a, Target::Dense(&y), &mut g)
        .unwrap();
    assert!(l.is_finite() && l > T::zero(), "{l}");
    assert!(finite(&g), "{g}");
    // The gradient pushes away from the wrong answers and is tiny-but-right
    // for the right ones.
    assert!(
        g[1] < zero && g[2] > zero && g[0] > zero && g[3] < zero,
        "{g}"
    );
    // A single wrong answer at exactly 0 costs −ln ε.
    let wrong = BinaryCrossEntropy
        .loss(
            &DMatrix::from_element(1, 1, zero),
            Target::Dense(&DMatrix::from_element(1, 1, one)),
        )
        .unwrap();
    assert_eq!(wrong, -eps.ln());
    // Classes on several rows with saturated outputs.
    let a = DMatrix::from_column_slice(3, 2, &[one, zero, zero, zero, zero, one]);
    let l = BinaryCrossEntropy
        .loss_and_gradient(&a, Target::Classes(&[0, 1]), &mut g)
        .unwrap();
    assert!(l.is_finite() && finite(&g), "{l} {g}");
}

fn perfect_predictions<T: Scalar>() {
    let mut r = rng(6);
    let y = random::<T>(3, 4, -1.0, 1.0, &mut r);
    let mut g = DMatrix::zeros(0, 0);
    assert_eq!(
        Mse.loss_and_gradient(&y, Target::Dense(&y), &mut g)
            .unwrap(),
        T::zero()
    );
    assert!(g.iter().all(|&v| v == T::zero()));
    // Confident, correct logits: loss and gradient vanish to rounding.
    let z = DMatrix::from_column_slice(2, 1, &[T::of(60.0), T::of(-60.0)]);
    let l = SoftmaxCrossEntropy.loss(&z, Target::Classes(&[0])).unwrap();
    assert_eq!(l, T::zero());
    let l = BinaryCrossEntropyWithLogits
        .loss(&z, Target::Classes(&[0]))
        .unwrap();
    assert!(l < T::of(1e-25), "{l}");
}

fn gradient_buffer_keeps_its_allocation<T: Scalar>() {
    let mut r = rng(7);
    for kind in LossKind::ALL {
        let p = prediction::<T>(kind, 10, 64, &mut r);
        let half = p.columns(0, 32).into_owned();
        let c: Vec<usize> = classes(10, 64, &mut r);
        let mut g = DMatrix::zeros(0, 0);
        kind.loss_and_gradient(&p, Target::Classes(&c), &mut g)
            .unwrap();
        let ptr = g.as_ptr();
        kind.gradient(&half, Target::Classes(&c[..32]), &mut g)
            .unwrap();
        assert_eq!(g.shape(), (10, 32));
        kind.loss_and_gradient(&p, Target::Classes(&c), &mut g)
            .unwrap();
        assert_eq!(g.shape(), (10, 64));
        assert_eq!(g.as_ptr(), ptr, "{kind} reallocated the gradient");
    }
}

/// Every entry point of `kind`, returning the error and checking that the
/// gradient buffer was left untouched.
fn all_errors<T: Scalar>(kind: LossKind, p: &DMatrix<T>, target: Target<'_, T>) -> Vec<LossError> {
    let sentinel = DMatrix::from_element(2, 3, T::of(7.0));
    let mut g = sentinel.clone();
    let errors = vec![
        kind.loss(p, target).unwrap_err(),
        kind.gradient(p, target, &mut g).unwrap_err(),
        kind.loss_and_gradient(p, target, &mut g).unwrap_err(),
        accuracy(p, target).unwrap_err(),
    ];
    assert_eq!(g, sentinel, "{kind} wrote into the gradient on error");
    errors
}

fn shape_errors<T: Scalar>() {
    let p = DMatrix::<T>::from_element(3, 4, T::of(0.5));
    let y = DMatrix::<T>::zeros(4, 3);
    for kind in LossKind::ALL {
        let errors = all_errors(kind, &p, Target::Dense(&y));
        for (i, e) in errors.iter().enumerate() {
            let op = if i == 3 { "accuracy" } else { kind.name() };
            assert_eq!(
                *e,
                LossError::Shape(TensorError::ShapeMismatch {
                    op,
                    operand: "target",
                    expected: (3, 4),
                    found: (4, 3)
                })
            );
            let msg = e.to_string();
            assert!(
                msg.contains(op) && msg.contains("expected 3×4, found 4×3"),
                "{msg}"
            );
        }
    }
}

fn class_errors<T: Scalar>() {
    let p = DMatrix::<T>::from_element(3, 4, T::of(0.5));
    for kind in LossKind::ALL {
        for e in all_errors(kind, &p, Target::Classes(&[0, 2, 3, 1])) {
            assert_eq!(
                e,
                LossError::ClassOutOfRange {
                    sample: 2,
                    class: 3,
                    classes: 3
                }
            );
            let msg = e.to_string();
            assert!(
                msg.contains("class index 3 of sample 2") && msg.contains("has 3 classes"),
                "{msg}"
            );
        }
        for e in all_errors(kind, &p, Target::Classes(&[0, 1, 2])) {
            assert_eq!(
                e,
                LossError::TargetCount {
                    expected: 4,
                    found: 3
                }
            );
            assert!(
                e.to_string()
                    .contains("expected 4 class indices (one per sample), found 3"),
                "{e}"
            );
        }
        for e in all_errors(kind, &p, Target::Classes(&[0, 1, 2, 0, 1])) {
            assert_eq!(
                e,
                LossError::TargetCount {
                    expected: 4,
                    found: 5
                }
            );
        }
        // usize::MAX is just another out-of-range index.
        for e in all_errors(kind, &p, Target::Classes(&[usize::MAX, 0, 0, 0])) {
            assert_eq!(
                e,
                LossError::ClassOutOfRange {
                    sample: 0,
                    class: usize::MAX,
                    classes: 3
                }
            );
        }
    }
}

fn empty_batches<T: Scalar>() {
    let no_samples = DMatrix::<T>::zeros(3, 0);
    let no_outputs = DMatrix::<T>::zeros(0, 4);
    for kind in LossKind::ALL {
        for target in [Target::Dense(&no_samples), Target::Classes(&[])] {
            for e in all_errors(kind, &no_samples, target) {
                assert_eq!(e, LossError::EmptyBatch);
                let msg = e.to_string();
                assert!(
                    msg.contains("at least one sample") && msg.contains("found 0"),
                    "{msg}"
                );
            }
        }
        // An empty batch is reported before a mismatching target.
        for e in all_errors(kind, &no_samples, Target::Dense(&DMatrix::zeros(2, 2))) {
            assert_eq!(e, LossError::EmptyBatch);
        }
        for target in [Target::Dense(&no_outputs), Target::Classes(&[0, 0, 0, 0])] {
            for e in all_errors(kind, &no_outputs, target) {
                assert_eq!(e, LossError::NoOutputs { samples: 4 });
                let msg = e.to_string();
                assert!(
                    msg.contains("expected at least one row, found 0 rows for 4 samples"),
                    "{msg}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- f64 only

/// Central differences of the loss against the analytic gradient, for every
/// loss, several shapes (batch 1 included), dense and class targets.
#[test]
fn gradients_match_finite_differences() {
    let mut r = rng(10);
    for kind in LossKind::ALL {
        for (rows, cols) in SHAPES.into_iter().chain([(1, 1), (5, 1), (1, 16)]) {
            let p = prediction::<f64>(kind, rows, cols, &mut r);
            let y = dense_target::<f64>(kind, rows, cols, &mut r);
            let c = classes(rows, cols, &mut r);
            for target in [Target::Dense(&y), Target::Classes(&c)] {
                let mut g = DMatrix::zeros(0, 0);
                kind.gradient(&p, target, &mut g).unwrap();
                let report = check_gradient(
                    &p,
                    &g,
                    |p| kind.loss(p, target).unwrap(),
                    GradCheck::default(),
                );
                assert!(report.max_error < 1e-6, "{kind} {rows}×{cols}: {report:?}");
                assert_eq!(report.checked, rows * cols);
            }
        }
    }
}

/// Unnormalised dense targets keep an exact softmax-CE gradient.
#[test]
fn softmax_gradient_is_exact_for_unnormalised_targets() {
    let mut r = rng(11);
    let p = random::<f64>(4, 3, -2.0, 2.0, &mut r);
    let y = random::<f64>(4, 3, 0.0, 2.0, &mut r);
    let mut g = DMatrix::zeros(0, 0);
    SoftmaxCrossEntropy
        .gradient(&p, Target::Dense(&y), &mut g)
        .unwrap();
    let report = check_gradient(
        &p,
        &g,
        |p| SoftmaxCrossEntropy.loss(p, Target::Dense(&y)).unwrap(),
        GradCheck::default(),
    );
    assert!(report.passes(1e-6), "{report:?}");
}

#[test]
fn f32_agrees_with_f64() {
    let mut r = rng(12);
    for kind in LossKind::ALL {
        let p = prediction::<f64>(kind, 10, 64, &mut r);
        let y = dense_target::<f64>(kind, 10, 64, &mut r);
        let (p32, y32) = (p.map(|v| v as f32), y.map(|v| v as f32));
        // Compare against f64 on the same (rounded) inputs.
        let (p, y) = (p32.map(f64::from), y32.map(f64::from));
        let (mut g, mut g32) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
        let l = kind
            .loss_and_gradient(&p, Target::Dense(&y), &mut g)
            .unwrap();
        let l32 = kind
            .loss_and_gradient(&p32, Target::Dense(&y32), &mut g32)
            .unwrap();
        assert!(
            (f64::from(l32) - l).abs() <= 1e-5 * l.abs(),
            "{kind}: {l32} vs {l}"
        );
        let scale = g.abs().max();
        let worst = g
            .iter()
            .zip(g32.iter())
            .map(|(a, b)| (a - f64::from(*b)).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-5 * scale,
            "{kind}: gradient differs by {worst} (scale {scale})"
        );
    }
}

#[test]
fn accuracy_of_logits_and_probabilities() {
    let z = DMatrix::from_column_slice(3, 3, &[2.0_f64, -1.0, 0.0, 0.1, 0.2, 0.3, -5.0, 4.0, 3.9]);
    // argmaxes 0, 2, 1
    assert_eq!(accuracy(&z, Target::Classes(&[0, 2, 1])).unwrap(), 1.0);
    assert_eq!(
        accuracy(&z, Target::Classes(&[1, 2, 0])).unwrap(),
        1.0 / 3.0
    );
    let y = one_hot::<f64>(&[0, 0, 0], 3);
    assert_eq!(accuracy(&z, Target::Dense(&y)).unwrap(), 1.0 / 3.0);
}

/// A loss defined outside the crate that says nothing about its input.
#[derive(Debug)]
struct Halved;

impl<T: Scalar> Loss<T> for Halved {
    fn name(&self) -> &'static str {
        "halved_mse"
    }
    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        Ok(Mse.loss(prediction, target)? * T::of(0.5))
    }
    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        Mse.gradient(prediction, target, grad)?;
        grad.scale_mut(T::of(0.5));
        Ok(())
    }
}

#[test]
fn takes_logits_defaults_to_false_and_survives_boxing() {
    let losses: [(Box<dyn Loss<f64>>, bool); 5] = [
        (Box::new(Halved), false),
        (Box::new(Mse), false),
        (Box::new(BinaryCrossEntropy), false),
        (Box::new(BinaryCrossEntropyWithLogits), true),
        (Box::new(SoftmaxCrossEntropy), true),
    ];
    for (loss, expected) in &losses {
        assert_eq!(loss.takes_logits(), *expected, "{}", loss.name());
        let kind = LossKind::from_name(loss.name());
        if let Ok(kind) = kind {
            let boxed: Box<dyn Loss<f64>> = Box::new(kind);
            assert_eq!(boxed.takes_logits(), *expected, "{kind}");
        }
    }
}
