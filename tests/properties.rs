//! Property tests (proptest) over random layer sizes, batch sizes, inputs
//! and seeds: shapes of the forward and backward passes, softmax columns,
//! non-negative losses, finite-difference gradient checks of random smooth
//! networks, and save → load round trips of models and checkpoints.
//!
//! Case counts are kept small so the file runs in seconds under
//! `cargo test --release`; a failing case is shrunk and printed by proptest.

use backprop::activations::{Activation, ActivationKind};
use backprop::io::{
    Architecture, TrainingState, load_checkpoint, load_model, model_to_bytes, read_checkpoint,
    read_model, save_checkpoint, save_model, write_checkpoint,
};
use backprop::layers::{LayerError, Mode, Sequential};
use backprop::losses::{Loss, LossKind, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::gradcheck::{GradCheck, check_gradient, check_parameters};
use backprop::tensor::{DMatrix, Param, Parameters, Scalar};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A matrix of `rows × cols` values drawn uniformly from `[lo, hi)`.
fn uniform<T: Scalar>(rows: usize, cols: usize, lo: f64, hi: f64, seed: u64) -> DMatrix<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(lo..hi)))
}

/// Any activation, with a valid `α` where it takes one.
fn any_activation() -> impl Strategy<Value = ActivationKind> {
    prop_oneof![
        Just(ActivationKind::Identity),
        Just(ActivationKind::Relu),
        (0.0..0.5f64).prop_map(ActivationKind::LeakyRelu),
        Just(ActivationKind::Sigmoid),
        Just(ActivationKind::Tanh),
        (0.1..2.0f64).prop_map(ActivationKind::Elu),
        Just(ActivationKind::Gelu),
        Just(ActivationKind::Softplus),
        Just(ActivationKind::Softmax),
    ]
}

/// Activations whose derivative is smooth, for finite differences.
fn smooth_activation() -> impl Strategy<Value = ActivationKind> {
    prop_oneof![
        Just(ActivationKind::Tanh),
        Just(ActivationKind::Sigmoid),
        Just(ActivationKind::Softplus),
        Just(ActivationKind::Gelu),
    ]
}

/// One hidden block of a network: its width, activation and extras.
#[derive(Debug, Clone)]
struct Block {
    units: usize,
    activation: ActivationKind,
    batch_norm: bool,
    dropout: Option<f64>,
}

fn block(act: impl Strategy<Value = ActivationKind>) -> impl Strategy<Value = Block> {
    (1..9usize, act, any::<bool>(), prop::option::of(0.0..0.9f64)).prop_map(
        |(units, activation, batch_norm, dropout)| Block {
            units,
            activation,
            batch_norm,
            dropout,
        },
    )
}

/// A random network: input size, blocks, output size, seed.
#[derive(Debug, Clone)]
struct Net {
    inputs: usize,
    blocks: Vec<Block>,
    outputs: usize,
    seed: u64,
}

fn net(
    act: impl Strategy<Value = ActivationKind>,
    max_blocks: usize,
) -> impl Strategy<Value = Net> {
    (
        1..9usize,
        prop::collection::vec(block(act), 0..=max_blocks),
        1..7usize,
        any::<u64>(),
    )
        .prop_map(|(inputs, blocks, outputs, seed)| Net {
            inputs,
            blocks,
            outputs,
            seed,
        })
}

impl Net {
    fn has_batch_norm(&self) -> bool {
        self.blocks.iter().any(|b| b.batch_norm)
    }

    /// Builds it; `extras` adds the blocks' batch norm and dropout layers.
    fn build<T: Scalar>(&self, extras: bool) -> Result<Sequential<T>, LayerError> {
        let mut b = Sequential::<T>::builder(self.inputs).seed(self.seed);
        for blk in &self.blocks {
            b = b.dense(blk.units);
            if extras && blk.batch_norm {
                b = b.batch_norm();
            }
            b = b.activation(blk.activation);
            if let (true, Some(p)) = (extras, blk.dropout) {
                b = b.dropout(p);
            }
        }
        b.dense(self.outputs).build()
    }
}

fn shapes_of<T: Scalar>(model: &Sequential<T>, grads: bool) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    model.visit_params(&mut |p: &Param<T>| {
        v.push(if grads {
            p.grad.shape()
        } else {
            p.value.shape()
        })
    });
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The forward pass maps `inputs × m` to `outputs × m`; the backward pass
    /// gives `∂L/∂X` of the input's shape and one gradient per parameter of
    /// its value's shape; a batch with the wrong number of features, or a
    /// `dA[L]` of the wrong shape, is a typed error.
    #[test]
    fn forward_and_backward_shapes_agree(
        spec in net(any_activation(), 3),
        batch in 1..17usize,
        data_seed in any::<u64>(),
    ) {
        let mut model = spec.build::<f32>(true).unwrap();
        prop_assert_eq!(model.input_size(), spec.inputs);
        prop_assert_eq!(model.output_size(), spec.outputs);
        let x = uniform::<f32>(spec.inputs, batch, -2.0, 2.0, data_seed);
        if batch == 1 && spec.has_batch_norm() {
            // Batch norm cannot estimate a variance from one sample in training.
            let e = model.forward(&x, Mode::Train).unwrap_err();
            prop_assert!(matches!(e, LayerError::InvalidConfig { .. }), "{e}");
            prop_assert_eq!(model.forward(&x, Mode::Eval).unwrap().shape(), (spec.outputs, 1));
            return Ok(());
        }
        for mode in [Mode::Train, Mode::Eval] {
            let out = model.forward(&x, mode).unwrap();
            prop_assert_eq!(out.shape(), (spec.outputs, batch));
            prop_assert!(out.iter().all(|v| v.is_finite()));
        }
        model.forward(&x, Mode::Train).unwrap();
        let da = uniform::<f32>(spec.outputs, batch, -1.0, 1.0, data_seed ^ 1);
        let mut dx = DMatrix::zeros(0, 0);
        model.zero_grad();
        model.backward_with_input_grad(&x, &da, &mut dx).unwrap();
        prop_assert_eq!(dx.shape(), (spec.inputs, batch));
        prop_assert_eq!(shapes_of(&model, true), shapes_of(&model, false));

        // Wrong shapes are errors naming expected and found, not panics.
        let wide = DMatrix::<f32>::zeros(spec.inputs + 1, batch);
        let e = model.forward(&wide, Mode::Train).unwrap_err();
        prop_assert!(
            matches!(e, LayerError::InputSize { expected, found, .. }
                if expected == spec.inputs && found == spec.inputs + 1),
            "{e}"
        );
        model.forward(&x, Mode::Train).unwrap();
        let bad = DMatrix::<f32>::zeros(spec.outputs, batch + 1);
        prop_assert!(model.backward(&x, &bad).is_err());
    }

    /// Softmax columns are probability distributions, for logits of any
    /// magnitude up to ±1000 (in f32 and f64).
    #[test]
    fn softmax_columns_sum_to_one(
        rows in 1..12usize,
        cols in 1..12usize,
        scale in prop_oneof![Just(1.0), Just(30.0), Just(1000.0)],
        seed in any::<u64>(),
    ) {
        fn check<T: Scalar>(z: &DMatrix<T>, eps: f64) -> Result<(), TestCaseError> {
            let mut a = DMatrix::zeros(0, 0);
            Activation::<T>::forward(&ActivationKind::Softmax, z, &mut a);
            prop_assert_eq!(a.shape(), z.shape());
            for (j, col) in a.column_iter().enumerate() {
                let sum: f64 = col.iter().map(|v| v.as_f64()).sum();
                prop_assert!(
                    (sum - 1.0).abs() <= 4.0 * eps * z.nrows() as f64,
                    "column {} sums to {} (eps {})", j, sum, eps
                );
                prop_assert!(col.iter().all(|v| (0.0..=1.0).contains(&v.as_f64())));
            }
            Ok(())
        }
        let z = uniform::<f64>(rows, cols, -scale, scale, seed);
        check(&z, f64::EPSILON)?;
        check(&z.map(|v| v as f32), f64::from(f32::EPSILON))?;
    }

    /// Every loss is finite and ≥ 0 for predictions in its domain and targets
    /// in [0, 1] (dense) or in range (classes).
    #[test]
    fn every_loss_is_non_negative(
        rows in 1..8usize,
        cols in 1..10usize,
        scale in prop_oneof![Just(1.0), Just(20.0), Just(500.0)],
        seed in any::<u64>(),
    ) {
        let logits = uniform::<f64>(rows, cols, -scale, scale, seed);
        let probabilities = logits.map(|z| 1.0 / (1.0 + (-z).exp()));
        let dense = uniform::<f64>(rows, cols, 0.0, 1.0, seed ^ 2);
        let mut rng = StdRng::seed_from_u64(seed ^ 3);
        let classes: Vec<usize> = (0..cols).map(|_| rng.random_range(0..rows)).collect();
        let mut grad = DMatrix::zeros(0, 0);
        for kind in LossKind::ALL {
            let prediction = match kind {
                LossKind::BinaryCrossEntropy => &probabilities,
                _ => &logits,
            };
            for target in [Target::Dense(&dense), Target::Classes(&classes)] {
                let loss = Loss::<f64>::loss(&kind, prediction, target).unwrap();
                prop_assert!(loss.is_finite() && loss >= 0.0, "{:?}: {}", kind, loss);
                let fused = kind.loss_and_gradient(prediction, target, &mut grad).unwrap();
                prop_assert!(fused >= 0.0, "{:?}: {}", kind, fused);
                prop_assert_eq!(grad.shape(), prediction.shape());
            }
            let p32 = prediction.map(|v| v as f32);
            let loss = Loss::<f32>::loss(&kind, &p32, Target::Classes(&classes)).unwrap();
            prop_assert!(loss.is_finite() && loss >= 0.0, "{:?} (f32): {}", kind, loss);
        }
    }
}

/// `L(W)` of a network on a fixed batch.
fn loss_of(model: &mut Sequential<f64>, loss: LossKind, x: &DMatrix<f64>, y: &[usize]) -> f64 {
    let out = model.forward(x, Mode::Train).unwrap();
    Loss::<f64>::loss(&loss, out, Target::Classes(y)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Back-propagated gradients of random smooth networks (dense layers with
    /// tanh, sigmoid, softplus or GELU) agree with central differences in
    /// f64 to 1e-6, for every parameter and for the input.
    #[test]
    fn gradient_check_passes_on_random_smooth_networks(
        spec in net(smooth_activation(), 2),
        batch in 1..5usize,
        loss in prop_oneof![
            Just(LossKind::Mse),
            Just(LossKind::BinaryCrossEntropyWithLogits),
            Just(LossKind::SoftmaxCrossEntropy),
        ],
        data_seed in any::<u64>(),
    ) {
        let mut model = spec.build::<f64>(false).unwrap();
        let x = uniform::<f64>(spec.inputs, batch, -1.5, 1.5, data_seed);
        let mut rng = StdRng::seed_from_u64(data_seed);
        let y: Vec<usize> = (0..batch).map(|_| rng.random_range(0..spec.outputs)).collect();

        let mut dl = DMatrix::zeros(0, 0);
        let out = model.forward(&x, Mode::Train).unwrap();
        loss.loss_and_gradient(out, Target::Classes(&y), &mut dl).unwrap();
        model.zero_grad();
        let mut dx = DMatrix::zeros(0, 0);
        model.backward_with_input_grad(&x, &dl, &mut dx).unwrap();

        let cfg = GradCheck::default();
        let reports = check_parameters(&mut model, |m| loss_of(m, loss, &x, &y), cfg);
        prop_assert_eq!(reports.len(), 2 * (spec.blocks.len() + 1));
        for (name, r) in &reports {
            prop_assert!(r.passes(1e-6), "{}: {:?}", name, r);
        }
        let r = check_gradient(&x, &dx, |x| loss_of(&mut model, loss, x, &y), cfg);
        prop_assert!(r.passes(1e-6), "input: {:?}", r);
    }

    /// A model saved and loaded again (in memory and through a file) predicts
    /// bit for bit what it predicted before, in f32 and f64, with batch
    /// norm's running statistics and dropout layers (evaluation mode).
    #[test]
    fn save_then_load_predicts_identically(
        spec in net(any_activation(), 3),
        batch in 2..9usize,
        data_seed in any::<u64>(),
    ) {
        fn round_trip<T: Scalar>(
            spec: &Net,
            batch: usize,
            data_seed: u64,
        ) -> Result<(), TestCaseError> {
            let mut model = spec.build::<T>(true).unwrap();
            let x = uniform::<T>(spec.inputs, batch, -2.0, 2.0, data_seed);
            // A training pass moves batch norm's running statistics.
            model.forward(&x, Mode::Train).unwrap();
            let before = model.forward(&x, Mode::Eval).unwrap().clone();

            let mut back: Sequential<T> = read_model(&model_to_bytes(&model).unwrap()).unwrap();
            prop_assert_eq!(
                Architecture::of(&back).unwrap(),
                Architecture::of(&model).unwrap()
            );
            prop_assert_eq!(back.forward(&x, Mode::Eval).unwrap(), &before);

            let dir = std::env::temp_dir().join(format!(
                "backprop-properties-{}-{}",
                std::process::id(),
                T::NAME
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("model.safetensors");
            save_model(&model, &path).unwrap();
            let mut back: Sequential<T> = load_model(&path).unwrap();
            prop_assert_eq!(back.forward(&x, Mode::Eval).unwrap(), &before);
            std::fs::remove_dir_all(&dir).unwrap();
            Ok(())
        }
        round_trip::<f32>(&spec, batch, data_seed)?;
        round_trip::<f64>(&spec, batch, data_seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A checkpoint (model, Adam's moments and step count, epoch, seed,
    /// dropout streams, config) loads back equal, and the restored optimizer
    /// takes the same next step as the original.
    #[test]
    fn checkpoint_round_trip_resumes_identically(
        spec in net(any_activation(), 2),
        batch in 2..6usize,
        epoch in 0..1000usize,
        seed in any::<u64>(),
    ) {
        let mut model = spec.build::<f64>(true).unwrap();
        let x = uniform::<f64>(spec.inputs, batch, -1.0, 1.0, seed);
        let da = uniform::<f64>(spec.outputs, batch, -1.0, 1.0, seed ^ 5);
        let mut adam = Adam::new();
        let step = |m: &mut Sequential<f64>, opt: &mut dyn Optimizer<f64>| {
            m.forward(&x, Mode::Train).unwrap();
            m.zero_grad();
            m.backward(&x, &da).unwrap();
            opt.step(1e-3, m).unwrap();
        };
        step(&mut model, &mut adam);
        let state = TrainingState {
            epoch,
            seed,
            optimizer: adam.state(),
            config: serde_json::json!({ "lr": 1e-3, "batch": batch }),
            history: serde_json::Value::Null,
            data: serde_json::Value::Null,
        };
        let mut bytes = Vec::new();
        write_checkpoint(&model, &state, &mut bytes).unwrap();
        let mut back = read_checkpoint::<f64>(&bytes).unwrap();
        prop_assert_eq!(&back.state, &state);

        let path = std::env::temp_dir().join(format!(
            "backprop-properties-ckpt-{}.safetensors",
            std::process::id()
        ));
        save_checkpoint(&path, &model, &state).unwrap();
        let from_file = load_checkpoint::<f64>(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        prop_assert_eq!(&from_file.state, &state);

        let mut restored = Adam::new();
        restored.load_state(back.state.optimizer.clone()).unwrap();
        step(&mut model, &mut adam);
        step(&mut back.model, &mut restored);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        model.visit_params(&mut |p: &Param<f64>| a.push(p.value.clone()));
        back.model.visit_params(&mut |p: &Param<f64>| b.push(p.value.clone()));
        prop_assert_eq!(a, b);
    }
}

/// Found by `save_then_load_predicts_identically`: without serde_json's
/// `float_roundtrip` feature, a dropout `p` (and any `α`, `eps` or momentum)
/// stored as JSON in the metadata came back one ulp off, so a leaky ReLU's
/// predictions and a resumed run's dropout scaling changed after a reload.
#[test]
fn architecture_floats_round_trip_exactly() {
    let x = 0.427_400_247_793_045_25_f64;
    let model = Sequential::<f64>::builder(2)
        .dense(3)
        .batch_norm()
        .activation(ActivationKind::LeakyRelu(x))
        .dropout(x)
        .dense(2)
        .activation(ActivationKind::Elu(x))
        .build()
        .unwrap();
    let back: Sequential<f64> = read_model(&model_to_bytes(&model).unwrap()).unwrap();
    assert_eq!(
        Architecture::of(&back).unwrap(),
        Architecture::of(&model).unwrap()
    );
}
