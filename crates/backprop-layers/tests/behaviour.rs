//! Building, shape errors, reproducibility and modes of layers and networks,
//! in f32 and f64.

use backprop_layers::{BatchNorm1d, Dense, Dropout, Layer, LayerError, Mode, Sequential};
use backprop_tensor::{DMatrix, Init, Parameters, Scalar, rng::seeded};

fn tutorial<T: Scalar>(seed: u64) -> Sequential<T> {
    Sequential::builder(784)
        .seed(seed)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap()
}

fn weights<T: Scalar>(net: &Sequential<T>) -> Vec<DMatrix<T>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push(p.value.clone()));
    out
}

fn builds_and_runs<T: Scalar>() {
    let mut net = tutorial::<T>(0);
    let sizes: Vec<usize> = net.shapes().iter().map(|s| s.len()).collect();
    assert_eq!(sizes, [128, 128, 64, 64, 10]);
    assert_eq!(net.num_params(), 109_386);
    let mut names = Vec::new();
    net.visit_params(&mut |p| names.push(p.name().to_string()));
    assert_eq!(
        names,
        [
            "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"
        ]
    );
    for batch in [1, 3, 64] {
        let x = DMatrix::from_element(784, batch, T::of(0.5));
        let y = net.forward(&x, Mode::Train).unwrap().clone();
        assert_eq!(y.shape(), (10, batch));
        net.zero_grad();
        net.backward(&x, &DMatrix::from_element(10, batch, T::one()))
            .unwrap();
    }
    let summary = net.summary();
    assert!(summary.contains("Total params: 109386"), "{summary}");
    assert!(summary.contains("(batch, 128)"), "{summary}");
}

#[test]
fn builds_and_runs_f32() {
    builds_and_runs::<f32>();
}

#[test]
fn builds_and_runs_f64() {
    builds_and_runs::<f64>();
}

#[test]
fn same_seed_same_weights_bit_for_bit() {
    assert_eq!(weights(&tutorial::<f32>(3)), weights(&tutorial::<f32>(3)));
    assert_ne!(weights(&tutorial::<f32>(3)), weights(&tutorial::<f32>(4)));
    // f32 weights are the rounded f64 draws.
    let (a, b) = (weights(&tutorial::<f32>(1)), weights(&tutorial::<f64>(1)));
    assert!(
        a.iter()
            .zip(&b)
            .all(|(x, y)| x.iter().zip(y.iter()).all(|(p, q)| *p == *q as f32))
    );
}

#[test]
fn sizes_that_do_not_fit_name_the_layer() {
    let layers: Vec<Box<dyn Layer<f32>>> = vec![
        Box::new(Dense::new(784, 128, Init::HeNormal, &mut seeded(0))),
        Box::new(BatchNorm1d::new(64).unwrap()),
    ];
    let err = Sequential::from_layers(784, layers).unwrap_err();
    assert_eq!(
        err,
        LayerError::SizeMismatch {
            index: 1,
            name: "batch_norm1d".into(),
            expected: 64,
            found: 128
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 1 (batch_norm1d) takes 64 inputs but the previous layer gives 128"
    );

    let err = Sequential::<f32>::builder(4)
        .dense(3)
        .layer(Dense::new(5, 2, Init::HeNormal, &mut seeded(0)))
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("layer 1 (dense) takes 5 inputs but the previous layer gives 3"),
        "{err}"
    );

    let err = Sequential::<f32>::builder(4).dense(0).build().unwrap_err();
    assert!(matches!(err, LayerError::ZeroWidth { .. }), "{err}");
    assert!(Sequential::<f32>::builder(0).dense(2).build().is_err());
    assert!(Sequential::<f32>::builder(4).dropout(1.0).build().is_err());
}

#[test]
fn wrong_batch_rows_is_an_error_not_a_panic() {
    let mut net = tutorial::<f32>(0);
    let err = net
        .forward(&DMatrix::zeros(783, 8), Mode::Train)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "network input: expected an input with 784 features (rows), found 783"
    );
    net.forward(&DMatrix::zeros(784, 8), Mode::Train).unwrap();
    // Gradient of the wrong shape, and backward with a different batch.
    assert!(
        net.backward(&DMatrix::zeros(784, 8), &DMatrix::zeros(10, 7))
            .is_err()
    );
    assert!(
        net.backward(&DMatrix::zeros(784, 9), &DMatrix::zeros(10, 9))
            .is_err()
    );
    let mut d = Dense::<f64>::new(3, 2, Init::HeNormal, &mut seeded(0));
    let mut out = DMatrix::zeros(0, 0);
    assert!(matches!(
        d.forward(&DMatrix::zeros(4, 1), &mut out, Mode::Eval),
        Err(LayerError::InputSize {
            expected: 3,
            found: 4,
            ..
        })
    ));
    let mut bn = BatchNorm1d::<f32>::new(3).unwrap();
    assert!(
        bn.forward(
            &DMatrix::zeros(3, 1),
            &mut DMatrix::zeros(0, 0),
            Mode::Train
        )
        .is_err()
    );
}

#[test]
fn dropout_is_seeded_and_unbiased() {
    let x = DMatrix::from_element(50, 40, 1.0_f64);
    let run = |seed| {
        let mut d = Dropout::<f64>::new(0.3, seed).unwrap();
        let mut y = DMatrix::zeros(0, 0);
        d.forward(&x, &mut y, Mode::Train).unwrap();
        y
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    let y = run(1);
    let kept = y.iter().filter(|&&v| v > 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.7).abs() < 0.05, "kept {kept}");
    assert!((y.mean() - 1.0).abs() < 0.1, "mean {}", y.mean());
}

#[test]
fn batch_norm_tracks_running_statistics_like_pytorch() {
    let mut bn = BatchNorm1d::<f64>::new(1).unwrap();
    let x = DMatrix::from_row_slice(1, 4, &[1.0, 2.0, 3.0, 6.0]);
    let mut y = DMatrix::zeros(0, 0);
    bn.forward(&x, &mut y, Mode::Train).unwrap();
    // mean 3, unbiased var 14/3: r_μ = 0.9·0 + 0.1·3, r_σ² = 0.9·1 + 0.1·14/3.
    assert!((bn.running_mean()[0] - 0.3).abs() < 1e-15);
    assert!((bn.running_var()[0] - (0.9 + 1.4 / 3.0)).abs() < 1e-15);
    bn.forward(&x, &mut y, Mode::Eval).unwrap();
    let expected = (1.0 - 0.3) / (0.9 + 1.4 / 3.0 + 1e-5_f64).sqrt();
    assert!((y[0] - expected).abs() < 1e-12);
}
