//! Behaviour that does not need finite differences, in `f32` and in `f64`:
//! extreme inputs, softmax normalisation, shape errors, buffer reuse and
//! dispatch through `ActivationKind`.

use backprop_activations::{
    Activation, ActivationKind, Elu, Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Softplus,
    Tanh,
};
use backprop_tensor::{DMatrix, Scalar, TensorError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Turns generic tests `fn name<T: Scalar>()` into `#[test]`s per precision.
macro_rules! both_precisions {
    ($($name:ident),* $(,)?) => {
        mod in_f32 {
            $(#[test] fn $name() { super::$name::<f32>() })*
        }
        mod in_f64 {
            $(#[test] fn $name() { super::$name::<f64>() })*
        }
    };
}

both_precisions!(
    sigmoid_softplus_at_plus_minus_1000,
    softmax_at_plus_minus_1000,
    softmax_columns_sum_to_one,
    every_activation_finite_on_extremes,
    nan_is_never_hidden,
    shape_mismatch_is_an_error_naming_sizes,
    outputs_are_resized_and_reuse_their_allocation,
    backward_overwrites_stale_output,
    empty_batches,
    kind_dispatch_matches_unit_types,
);

const ALL: [ActivationKind; 9] = [
    ActivationKind::Identity,
    ActivationKind::Relu,
    ActivationKind::LeakyRelu(0.01),
    ActivationKind::Sigmoid,
    ActivationKind::Tanh,
    ActivationKind::Elu(1.0),
    ActivationKind::Gelu,
    ActivationKind::Softplus,
    ActivationKind::Softmax,
];

fn column<T: Scalar>(values: &[f64]) -> DMatrix<T> {
    DMatrix::from_iterator(values.len(), 1, values.iter().map(|&v| T::of(v)))
}

fn random<T: Scalar>(rows: usize, cols: usize, scale: f64, rng: &mut StdRng) -> DMatrix<T> {
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(-scale..scale)))
}

/// `(A, dZ)` for `Z` and `dA`.
fn run<T: Scalar>(
    act: &dyn Activation<T>,
    z: &DMatrix<T>,
    da: &DMatrix<T>,
) -> (DMatrix<T>, DMatrix<T>) {
    let (mut a, mut dz) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    act.forward(z, &mut a);
    act.backward(z, &a, da, &mut dz).unwrap();
    (a, dz)
}

fn as_f64<T: Scalar>(m: &DMatrix<T>) -> Vec<f64> {
    m.iter().map(|v| v.as_f64()).collect()
}

fn sigmoid_softplus_at_plus_minus_1000<T: Scalar>() {
    let z = column::<T>(&[-1000.0, 1000.0, -3000.0, 3000.0]);
    let da = column::<T>(&[2.0, 2.0, 2.0, 2.0]);

    let (a, dz) = run(&Sigmoid, &z, &da);
    assert_eq!(as_f64(&a), [0.0, 1.0, 0.0, 1.0]);
    assert_eq!(as_f64(&dz), [0.0, 0.0, 0.0, 0.0]);

    let (a, dz) = run(&Softplus, &z, &da);
    assert_eq!(as_f64(&a), [0.0, 1000.0, 0.0, 3000.0]);
    assert_eq!(as_f64(&dz), [0.0, 2.0, 0.0, 2.0]);
}

fn softmax_at_plus_minus_1000<T: Scalar>() {
    // Columns: one huge logit; two equal huge logits; all hugely negative.
    let z = DMatrix::from_iterator(
        3,
        3,
        [
            1000.0, -1000.0, 0.0, 1000.0, 1000.0, -1000.0, -1000.0, -1000.0, -1000.0,
        ]
        .map(T::of),
    );
    let da = DMatrix::from_iterator(
        3,
        3,
        [1.0, -1.0, 0.5, 1.0, -1.0, 0.5, 1.0, -1.0, 0.5].map(T::of),
    );
    let (a, dz) = run(&Softmax, &z, &da);
    let third = T::of(1.0 / 3.0).as_f64();
    assert_eq!(
        as_f64(&a),
        [1.0, 0.0, 0.0, 0.5, 0.5, 0.0, third, third, third]
    );
    assert!(dz.iter().all(|g| g.is_finite()), "{dz}");
    // dZ = A ⊙ (dA − Σ A ⊙ dA) per column.
    let tol = 4.0 * T::machine_epsilon().as_f64();
    // Column 3: Σ A ⊙ dA = (1 − 1 + 0.5)/3 = 1/6.
    let want = [
        0.0,
        0.0,
        0.0,
        0.5,
        -0.5,
        0.0,
        third * (1.0 - 1.0 / 6.0),
        third * (-1.0 - 1.0 / 6.0),
        third * (0.5 - 1.0 / 6.0),
    ];
    for (g, w) in as_f64(&dz).iter().zip(want) {
        assert!((g - w).abs() <= tol, "{dz} vs {want:?}");
    }
}

fn softmax_columns_sum_to_one<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(5);
    for scale in [1.0, 30.0, 1000.0] {
        let z = random::<T>(10, 16, scale, &mut rng);
        let mut a = DMatrix::zeros(0, 0);
        Softmax.forward(&z, &mut a);
        assert!(a.iter().all(|&p| p >= T::zero() && p <= T::one()));
        for col in a.column_iter() {
            let sum = col.sum().as_f64();
            assert!(
                (sum - 1.0).abs() <= 10.0 * T::machine_epsilon().as_f64(),
                "scale {scale}: {sum}"
            );
        }
        // The gradient of anything constant per column is zero.
        let mut dz = DMatrix::zeros(0, 0);
        let da = DMatrix::from_fn(10, 16, |_, j| T::of(j as f64 - 3.0));
        Softmax.backward(&z, &a, &da, &mut dz).unwrap();
        for col in dz.column_iter() {
            assert!(
                col.sum().abs().as_f64() <= 100.0 * T::machine_epsilon().as_f64(),
                "{col}"
            );
        }
    }
}

fn every_activation_finite_on_extremes<T: Scalar>() {
    let z = column::<T>(&[
        -1000.0, -88.0, -30.0, -1e-30, 0.0, 1e-30, 30.0, 88.0, 1000.0,
    ]);
    let da = column::<T>(&[1.0; 9]);
    for kind in ALL {
        let (a, dz) = run(&kind, &z, &da);
        assert!(a.iter().all(|v| v.is_finite()), "{kind}: A = {a}");
        assert!(dz.iter().all(|v| v.is_finite()), "{kind}: dZ = {dz}");
    }
}

/// A NaN in `Z` reaches `A`, so that a diverging run is noticed rather than
/// silently clipped (`max(NaN, 0)` would return 0).
fn nan_is_never_hidden<T: Scalar>() {
    let z = column::<T>(&[f64::NAN]);
    for kind in ALL {
        let mut a = DMatrix::zeros(0, 0);
        kind.forward(&z, &mut a);
        assert!(a[0].as_f64().is_nan(), "{kind}: {a}");
    }
}

fn shape_mismatch_is_an_error_naming_sizes<T: Scalar>() {
    let z = DMatrix::<T>::zeros(3, 4);
    let good = DMatrix::<T>::zeros(3, 4);
    let bad = DMatrix::<T>::zeros(3, 5);
    for kind in ALL {
        let mut dz = DMatrix::zeros(0, 0);
        let e = kind.backward(&z, &bad, &good, &mut dz).unwrap_err();
        let TensorError::ShapeMismatch {
            op,
            operand,
            expected,
            found,
        } = &e
        else {
            panic!("{kind}: {e:?}");
        };
        assert!(op.starts_with(kind.name()), "{op}");
        assert_eq!((*operand, *expected, *found), ("A", (3, 4), (3, 5)));
        assert!(
            e.to_string().ends_with("operand A expected 3×4, found 3×5"),
            "{e}"
        );

        let e = kind
            .backward(&z, &good, &bad.transpose(), &mut dz)
            .unwrap_err();
        assert!(
            e.to_string().contains("operand dA expected 3×4, found 5×3"),
            "{e}"
        );
    }
}

fn outputs_are_resized_and_reuse_their_allocation<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(11);
    for kind in ALL {
        // Buffers sized for a full batch; the last batch is smaller.
        let (mut a, mut dz) = (DMatrix::<T>::zeros(6, 32), DMatrix::<T>::zeros(6, 32));
        let (pa, pdz) = (a.as_ptr(), dz.as_ptr());
        for cols in [32, 7, 32] {
            let z = random::<T>(6, cols, 3.0, &mut rng);
            let da = random::<T>(6, cols, 1.0, &mut rng);
            kind.forward(&z, &mut a);
            kind.backward(&z, &a, &da, &mut dz).unwrap();
            assert_eq!((a.shape(), dz.shape()), ((6, cols), (6, cols)), "{kind}");
            assert_eq!((a.as_ptr(), dz.as_ptr()), (pa, pdz), "{kind} reallocated");
            // Same values as freshly allocated outputs.
            let (fa, fdz) = run(&kind, &z, &da);
            assert_eq!((&a, &dz), (&fa, &fdz), "{kind}");
        }
        // A wrongly shaped buffer of any size is simply resized.
        let z = random::<T>(2, 3, 3.0, &mut rng);
        let mut a = DMatrix::zeros(5, 1);
        kind.forward(&z, &mut a);
        assert_eq!(a.shape(), (2, 3));
    }
}

fn backward_overwrites_stale_output<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(13);
    let z = random::<T>(4, 3, 3.0, &mut rng);
    let da = random::<T>(4, 3, 1.0, &mut rng);
    for kind in ALL {
        let mut a = DMatrix::from_element(4, 3, T::of(f64::NAN));
        let mut dz = DMatrix::from_element(4, 3, T::of(f64::NAN));
        kind.forward(&z, &mut a);
        kind.backward(&z, &a, &da, &mut dz).unwrap();
        assert!(a.iter().chain(dz.iter()).all(|v| v.is_finite()), "{kind}");
    }
}

fn empty_batches<T: Scalar>() {
    for (rows, cols) in [(0, 0), (0, 5), (5, 0)] {
        let z = DMatrix::<T>::zeros(rows, cols);
        for kind in ALL {
            let (mut a, mut dz) = (DMatrix::from_element(2, 2, T::one()), DMatrix::zeros(1, 1));
            kind.forward(&z, &mut a);
            kind.backward(&z, &a, &z, &mut dz).unwrap();
            assert_eq!(
                (a.shape(), dz.shape()),
                ((rows, cols), (rows, cols)),
                "{kind}"
            );
        }
    }
}

fn kind_dispatch_matches_unit_types<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(17);
    let z = random::<T>(5, 4, 4.0, &mut rng);
    let da = random::<T>(5, 4, 1.0, &mut rng);
    let units: [(ActivationKind, &dyn Activation<T>); 9] = [
        (ActivationKind::Identity, &Identity),
        (ActivationKind::Relu, &Relu),
        (ActivationKind::LeakyRelu(0.3), &LeakyRelu::new(0.3)),
        (ActivationKind::Sigmoid, &Sigmoid),
        (ActivationKind::Tanh, &Tanh),
        (ActivationKind::Elu(0.7), &Elu::new(0.7)),
        (ActivationKind::Gelu, &Gelu),
        (ActivationKind::Softplus, &Softplus),
        (ActivationKind::Softmax, &Softmax),
    ];
    for (kind, unit) in units {
        assert_eq!(Activation::<T>::name(&kind), unit.name());
        assert_eq!(run(&kind, &z, &da), run(unit, &z, &da), "{kind}");
        // Boxed, as a layer holding `dyn Activation` would.
        let boxed: Box<dyn Activation<T>> = Box::new(kind);
        assert_eq!(run(boxed.as_ref(), &z, &da), run(unit, &z, &da), "{kind}");
    }
}
