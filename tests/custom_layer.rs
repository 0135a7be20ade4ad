//! The open layer contract, end to end: a layer defined outside the library
//! (tests/support/scale_layer.rs), registered in one line, trained inside a
//! nested network, gradient-checked, saved, loaded, checkpointed and resumed
//! bit-exactly, predicting the same classes after loading.

#[path = "support/scale_layer.rs"]
mod scale_layer;

use backprop::io::{checkpoint_path, load_checkpoint, load_model, save_model};
use backprop::prelude::*;
use backprop::tensor::gradcheck::{GradCheck, check_gradient, check_parameters};
use backprop::train::resume;
use scale_layer::Scale;

const EPOCHS: usize = 3;
const SEED: u64 = 5;

/// Three noisy classes of 6-feature points.
fn data() -> Dataset {
    let n = 240;
    let mut xs = Vec::with_capacity(n * 6);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 3;
        for f in 0..6 {
            let centre = if f % 3 == c { 1.0 } else { -0.5 };
            xs.push(centre + 0.4 * ((i * 17 + f * 5) as f32 * 0.618).sin());
        }
        labels.push(c);
    }
    Dataset::from_f32(xs, 6, labels, 3).unwrap()
}

fn model<T: Scalar>() -> Sequential<T> {
    let block = Sequential::<T>::builder(8)
        .seed(SEED)
        .layer(Scale::new(8))
        .tanh()
        .dropout(0.2)
        .build()
        .unwrap();
    Sequential::<T>::builder(6)
        .seed(SEED)
        .layer(Scale::new(6))
        .dense(8)
        .layer(block)
        .dense(3)
        .build()
        .unwrap()
}

fn trainer() -> Trainer<f32> {
    Trainer::new(SoftmaxCrossEntropy, Adam::new(), 0.02)
        .epochs(EPOCHS)
        .batch_size(16)
        .seed(SEED)
        .progress(ProgressMode::Silent)
}

fn bits(net: &Sequential<f32>) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| {
        out.push((
            p.name().to_string(),
            p.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    out
}

#[test]
fn a_users_layer_trains_saves_loads_and_resumes_like_a_built_in() {
    register::<Scale<f32>>().unwrap();
    let dir = std::env::temp_dir().join(format!("backprop-custom-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let train = data();

    // Trains, with checkpoints after every epoch.
    let mut net = model::<f32>();
    let names: Vec<String> = bits(&net).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "0.scale",
            "1.weight",
            "1.bias",
            "2.0.scale",
            "3.weight",
            "3.bias"
        ]
    );
    let mut t = trainer().callback(Checkpointer::new(dir.join("ck"), 1).seed(SEED));
    t.fit(&mut net, &train).unwrap();
    let accuracy = t.evaluate(&mut net, &train).unwrap().accuracy.unwrap();
    assert!(accuracy > 0.9, "{accuracy}");
    // The scales moved: the layer's gradient reached the optimizer.
    let scale = bits(&net)[0].1.clone();
    assert_ne!(scale, vec![1.0f32.to_bits(); 6]);

    // Saves and loads, with the same predictions.
    let path = dir.join("model.safetensors");
    save_model(&net, &path).unwrap();
    let mut back: Sequential<f32> = load_model(&path).unwrap();
    assert_eq!(bits(&back), bits(&net));
    let mut x = DMatrix::zeros(0, 0);
    let all: Vec<usize> = (0..train.len()).collect();
    train.fill_features(&all, &mut x).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    net.predict_classes_into(&x, &mut a).unwrap();
    back.predict_classes_into(&x, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(t.predict(&mut back, &train).unwrap(), a);

    // Resumes from the checkpoint after epoch 1 to the same weights, bit for
    // bit (the nested dropout's stream included).
    let ckpt = load_checkpoint::<f32>(checkpoint_path(dir.join("ck"), 1)).unwrap();
    let (mut resumed, mut net2) = resume(trainer(), ckpt).unwrap();
    resumed.fit(&mut net2, &train).unwrap();
    assert_eq!(bits(&net2), bits(&net));
    assert_eq!(resumed.optimizer().state(), t.optimizer().state());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_users_layer_passes_the_gradient_check() {
    let mut net = model::<f64>();
    let x = DMatrix::from_fn(6, 4, |i, j| ((i * 4 + j) as f64 * 0.7).sin());
    let r = DMatrix::from_fn(3, 4, |i, j| ((i + 3 * j) as f64 * 1.3).cos());
    // Dropout is part of the network: evaluate in Eval mode so the function
    // is deterministic.
    let f = |net: &mut Sequential<f64>, x: &DMatrix<f64>| -> f64 {
        net.forward(x, Mode::Eval).unwrap().component_mul(&r).sum()
    };
    f(&mut net, &x);
    net.zero_grad();
    let mut dx = DMatrix::zeros(0, 0);
    net.backward_with_input_grad(&x, &r, &mut dx).unwrap();
    let report = check_gradient(&x, &dx, |x| f(&mut net, x), GradCheck::default());
    assert!(report.passes(1e-6), "input: {report:?}");
    for (name, report) in check_parameters(&mut net, |n| f(n, &x), GradCheck::default()) {
        assert!(report.passes(1e-6), "{name}: {report:?}");
    }
}
