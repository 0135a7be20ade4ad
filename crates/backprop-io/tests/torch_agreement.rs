//! Agreement with PyTorch on real MNIST images: outputs, losses, every
//! parameter gradient, the input gradient, and three Adam and three
//! SGD-momentum steps, for a 784-128-64-10 ReLU network with softmax
//! cross-entropy, the same network with a sigmoid output and binary
//! cross-entropy, and a network with BatchNorm1d and Dropout in evaluation
//! mode (and the same in training mode with Dropout(0), running statistics
//! included); in f32 and f64.
//!
//! The fixtures (`tests/fixtures/torch_{f32,f64}.safetensors.gz`) were written
//! by `scripts/torch_reference.py`, PyTorch running entirely in each dtype
//! (see that script and docs/pytorch.md). No Python runs here.
//!
//! The measure, per tensor: `max|ours − torch| / max(max|torch|, 1e-30)`,
//! the largest absolute difference relative to the largest magnitude of the
//! reference. Bounds: 1e-5 in f32, 1e-10 in f64. Updates (weights after three
//! steps minus before) are compared both relative to the weights and
//! relative to the update itself (the stricter of the two).
//!
//! The initial weights are loaded through `read_state_dict`, the same path as
//! any PyTorch-written state dict.

mod support;

use backprop_activations::ActivationKind;
use backprop_io::{Architecture, read_state_dict};
use backprop_layers::{Config, Mode, Sequential};
use backprop_losses::{BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, Target};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use support::{
    Fixture, Report, adam_keep, fixture, optimizers, params, rel, rel_kept, three_steps,
};

fn max_abs<T: Scalar>(m: &DMatrix<T>) -> f64 {
    m.iter().map(|v| v.as_f64().abs()).fold(0.0, f64::max)
}

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Ce,
    Bce,
    Bn,
    /// The BatchNorm net in training mode, with Dropout(0): batch
    /// statistics, running statistics updated at every forward pass.
    BnTrain,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Ce => "ce",
            Case::Bce => "bce",
            Case::Bn => "bn",
            Case::BnTrain => "bn_train",
        }
    }
    fn init(self) -> &'static str {
        if matches!(self, Case::Bn | Case::BnTrain) {
            "init_bn"
        } else {
            "init_mlp"
        }
    }
    fn arch(self) -> Architecture {
        match self {
            Case::Ce => "784,128,64,10".parse().unwrap(),
            Case::Bce => Architecture::mlp(
                &[784, 128, 64, 10],
                ActivationKind::Relu,
                Some(ActivationKind::Sigmoid),
            )
            .unwrap(),
            Case::Bn | Case::BnTrain => Architecture::sequential(
                784,
                vec![
                    (
                        "dense",
                        Config::new()
                            .with("inputs", 784usize)
                            .with("outputs", 32usize),
                    ),
                    (
                        "batch_norm1d",
                        Config::new()
                            .with("features", 32usize)
                            .with("eps", 1e-5)
                            .with("momentum", 0.1),
                    ),
                    ("activation", Config::new().with("name", "relu")),
                    (
                        "dropout",
                        Config::new().with("p", if self == Case::Bn { 0.5 } else { 0.0 }),
                    ),
                    (
                        "dense",
                        Config::new()
                            .with("inputs", 32usize)
                            .with("outputs", 10usize),
                    ),
                ],
            ),
        }
    }
    fn mode(self) -> Mode {
        if self == Case::Bn {
            Mode::Eval
        } else {
            Mode::Train
        }
    }
    fn loss<T: Scalar>(self) -> Box<dyn Loss<T>> {
        if self == Case::Bce {
            Box::new(BinaryCrossEntropy)
        } else {
            Box::new(SoftmaxCrossEntropy)
        }
    }
}

/// BatchNorm's running statistics against `{prefix}.<buffer>`; the batch
/// count (int64 in PyTorch) must be equal.
fn compare_buffers<T: Scalar>(
    fx: &Fixture<'_>,
    net: &Sequential<T>,
    prefix: &str,
    label: &str,
    skip: &str,
    report: &mut Report,
) {
    let mut bufs = Vec::new();
    net.visit_buffers(&mut |n, b| bufs.push((n.to_string(), b.clone())));
    assert!(!bufs.is_empty());
    for (name, b) in bufs {
        let key = format!("{prefix}.{name}");
        if name.ends_with(skip) {
            continue;
        }
        if name.ends_with("num_batches_tracked") {
            let v = fx.view(&key);
            let n = i64::from_le_bytes(v.data().try_into().unwrap());
            assert_eq!(b[0].as_f64(), n as f64, "{key}");
        } else {
            report.add(format!("{label} {name}"), rel(&b, &fx.matrix(&key, false)));
        }
    }
}

fn run_case<T: Scalar>(fx: &Fixture<'_>, case: Case, report: &mut Report) {
    let c = case.name();
    let init = fx.state_dict(case.init());
    let load = || read_state_dict::<T>(&init, &case.arch()).expect("load the initial state dict");
    let x = fx.matrix::<T>("input", true);
    assert_eq!(x.shape(), (784, 32));
    let labels = fx.labels();
    let loss = case.loss::<T>();
    let target = Target::Classes(&labels);

    // Forward, loss, backward at the initial weights.
    let mut net = load();
    let out = net.forward(&x, case.mode()).unwrap().clone();
    report.add(
        format!("{c} output"),
        rel(&out, &fx.matrix(&format!("{c}.output"), true)),
    );
    let mut grad = DMatrix::zeros(0, 0);
    let l = loss.loss_and_gradient(&out, target, &mut grad).unwrap();
    let l_torch = fx.matrix::<T>(&format!("{c}.loss"), false);
    report.add(
        format!("{c} loss"),
        rel(&DMatrix::from_element(1, 1, l), &l_torch),
    );
    let mut dx = DMatrix::zeros(0, 0);
    net.zero_grad();
    net.backward_with_input_grad(&x, &grad, &mut dx).unwrap();
    report.add(
        format!("{c} input_grad"),
        rel(&dx, &fx.matrix(&format!("{c}.input_grad"), true)),
    );
    // In training mode BatchNorm subtracts the batch mean, so the bias of
    // the dense layer before it has no effect: its gradient is exactly 0 in
    // exact arithmetic, and rounding noise on both sides. It is checked to be
    // at that floor, not compared (noise against noise), and Adam, which
    // turns noise into steps of ~lr, is not compared on it.
    let structural_zero = |name: &str| case == Case::BnTrain && name == "0.bias";
    let grad_scale = params(&net)
        .iter()
        .flat_map(|(_, _, g)| g.iter().map(|v| v.as_f64().abs()).collect::<Vec<_>>())
        .fold(0.0, f64::max);
    for (name, _, g) in params(&net) {
        let torch = fx.matrix::<T>(&format!("{c}.grad.{name}"), false);
        if structural_zero(&name) {
            let floor = 64.0 * T::machine_epsilon().as_f64() * grad_scale;
            let (ours, theirs) = (max_abs(&g), max_abs(&torch));
            assert!(
                ours <= floor && theirs <= floor,
                "{c} grad {name}: {ours:e}, {theirs:e} > {floor:e}"
            );
            report.excluded.push(format!(
                "{c} grad {name}: exactly 0 in exact arithmetic; ours max {ours:.1e}, PyTorch's {theirs:.1e} (floor {floor:.1e})"
            ));
            continue;
        }
        report.add(format!("{c} grad {name}"), rel(&g, &torch));
    }
    if case == Case::BnTrain {
        compare_buffers(
            fx,
            &net,
            &format!("{c}.buffers"),
            &format!("{c} buffers"),
            "-",
            report,
        );
    }
    if case == Case::Bce {
        // Our BCE is PyTorch's BCELoss (a mean over all 320 entries) × 10 rows.
        let mean = fx.matrix::<T>("bce.loss_torch_mean", false);
        let scaled = DMatrix::from_element(1, 1, mean[0] * T::of(10.0));
        report.add(
            "bce loss_vs_BCELoss×10".into(),
            rel(&DMatrix::from_element(1, 1, l), &scaled),
        );
    }

    // Three steps of each optimizer on the same batch.
    for (opt_name, mut opt, lr) in optimizers::<T>() {
        let mut net = load();
        let before = params(&net);
        let mode = case.mode();
        three_steps(&mut net, &x, mode, &*loss, target, &mut *opt, lr, &mut grad);
        for ((name, w, _), (_, w0, _)) in params(&net).into_iter().zip(before) {
            if structural_zero(&name) && opt_name == "adam" {
                continue;
            }
            let delta_torch = fx.matrix::<T>(&format!("{c}.{opt_name}.{name}"), false);
            let w_torch = &w0 + &delta_torch;
            let delta = &w - &w0;
            // Adam's entries at the gradient's rounding floor: see adam_keep.
            let keep = adam_keep(fx, c, opt_name, &name, &delta, &delta_torch, lr, report);
            report.add(
                format!("{c} {opt_name}_weights {name}"),
                rel_kept(&w, &w_torch, &keep),
            );
            // Relative to the update itself, Adam in f32 is ill-conditioned
            // (a gradient of 1e-7 moves its weight by ~lr with a derivative
            // of ~1e3), so there its bound is 1e-3; everywhere else the
            // dtype's.
            if structural_zero(&name) {
                continue; // SGD moved it by lr × noise: weights compared, not updates.
            }
            let e = rel_kept(&delta, &delta_torch, &keep);
            let what = format!("{c} {opt_name}_update {name}");
            let bound = (opt_name == "adam" && T::BYTES == 4).then_some(1e-3);
            report.add_bounded(what, e, bound);
        }
        // After Adam the running mean carries the noise-driven moves of
        // 0.bias (see above); the running variance does not (a shift leaves a
        // variance unchanged), and is compared with the batch count.
        if case == Case::BnTrain {
            let skip = if opt_name == "adam" {
                "running_mean"
            } else {
                "-"
            };
            compare_buffers(
                fx,
                &net,
                &format!("{c}.{opt_name}_buffers"),
                &format!("{c} {opt_name}_buffers"),
                skip,
                report,
            );
        }
    }
}

fn run<T: Scalar>(tag: &str, tol: f64) {
    let bytes = fixture(&format!("torch_{tag}"));
    let fx = Fixture(SafeTensors::deserialize(&bytes).expect("fixture parses"));
    let mut report = Report::default();
    for case in [Case::Ce, Case::Bce, Case::Bn, Case::BnTrain] {
        run_case::<T>(&fx, case, &mut report);
    }
    report.check(tag, tol);
}

#[test]
fn agrees_with_pytorch_in_f32() {
    run::<f32>("f32", 1e-5);
}

#[test]
fn agrees_with_pytorch_in_f64() {
    run::<f64>("f64", 1e-10);
}
