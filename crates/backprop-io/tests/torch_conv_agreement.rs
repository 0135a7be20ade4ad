//! Agreement with PyTorch of the convolution family on real MNIST images:
//! outputs, losses, every parameter gradient, the input gradient, and three
//! Adam and three SGD-momentum steps, for LeNet-5 (Conv2d, ReLU, MaxPool2d,
//! Linear) and for a net with every convolution setting off its default
//! (stride, padding, dilation, non-square kernels, no bias), BatchNorm2d
//! (in evaluation mode, and in training mode with its running statistics),
//! AvgPool2d and a padded, strided, non-square MaxPool2d; in f32 and f64.
//!
//! The fixtures (`tests/fixtures/torch_conv_{f32,f64}.safetensors.gz`) were
//! written by `scripts/torch_conv_reference.py`, PyTorch running entirely in
//! each dtype (see that script and docs/pytorch.md). No Python runs here.
//! The initial weights load through `read_state_dict`, the path of any
//! PyTorch-written state dict: convolution weights `[O, C, kh, kw]`.
//!
//! The measure, per tensor: `max|ours − torch| / max(max|torch|, 1e-30)`.
//! Bounds: 1e-5 in f32, 1e-10 in f64, for outputs, losses, gradients,
//! weights after the steps and running statistics. The updates (weights
//! after the steps minus before) are also compared relative to their own
//! size, which is stricter, with two allowances for what f32 cannot
//! resolve: torch_agreement.rs's for Adam (entries whose gradient is at the
//! rounding floor are left out and checked to move within 6·lr; the f32
//! update's bound is 1e-3), and an update's own rounding floor,
//! `3·ε·max|w| / max|Δ|` (three steps, each rounding the stored weight),
//! when that is above the dtype's bound.

mod support;

use backprop_io::{Architecture, model_to_bytes, read_state_dict};
use backprop_layers::{Config, Conv2dConfig, Mode, PoolWindow, Sequential};
use backprop_losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use support::{
    Fixture, Report, adam_keep, fixture, optimizers, params, rel, rel_kept, three_steps,
};

#[derive(Clone, Copy, PartialEq)]
enum Case {
    /// LeNet-5 (no mode-dependent layer; run in training mode).
    Lenet,
    /// The conv-BN net in evaluation mode: running statistics.
    ConvBn,
    /// The conv-BN net in training mode: batch statistics, running
    /// statistics updated at every forward pass.
    ConvBnTrain,
}

fn conv(c: Conv2dConfig) -> (&'static str, Config) {
    ("conv2d", c.to_config())
}

fn pool(kind: &'static str, w: PoolWindow) -> (&'static str, Config) {
    let c = Config::new()
        .with("kernel_size", w.kernel.to_value())
        .with("stride", w.stride.to_value())
        .with("padding", w.padding.to_value());
    (kind, c)
}

fn dense(inputs: usize, outputs: usize) -> (&'static str, Config) {
    let c = Config::new()
        .with("inputs", inputs)
        .with("outputs", outputs);
    ("dense", c)
}

fn relu() -> (&'static str, Config) {
    ("activation", Config::new().with("name", "relu"))
}

fn bn(features: usize) -> (&'static str, Config) {
    let c = Config::new()
        .with("features", features)
        .with("eps", 1e-5)
        .with("momentum", 0.1);
    ("batch_norm2d", c)
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Lenet => "lenet",
            Case::ConvBn => "convbn",
            Case::ConvBnTrain => "convbn_train",
        }
    }
    fn init(self) -> &'static str {
        match self {
            Case::Lenet => "init_lenet",
            _ => "init_convbn",
        }
    }
    /// The script's networks, layer for layer (nn.Sequential's numbering).
    fn arch(self) -> Architecture {
        let flatten = ("flatten", Config::new());
        let layers = match self {
            Case::Lenet => vec![
                conv(Conv2dConfig::new(1, 6, 5).with_padding(2)),
                relu(),
                pool("max_pool2d", PoolWindow::new(2)),
                conv(Conv2dConfig::new(6, 16, 5)),
                relu(),
                pool("max_pool2d", PoolWindow::new(2)),
                flatten,
                dense(400, 120),
                relu(),
                dense(120, 84),
                relu(),
                dense(84, 10),
            ],
            Case::ConvBn | Case::ConvBnTrain => vec![
                conv(
                    Conv2dConfig::new(1, 4, (3, 5))
                        .with_stride(2)
                        .with_padding((1, 2))
                        .with_dilation(2)
                        .with_bias(false),
                ),
                bn(4),
                relu(),
                pool(
                    "avg_pool2d",
                    PoolWindow::new(3).with_stride(2).with_padding(1),
                ),
                conv(Conv2dConfig::new(4, 8, 3).with_padding(1).with_bias(false)),
                bn(8),
                relu(),
                pool(
                    "max_pool2d",
                    PoolWindow::new((2, 3)).with_stride((2, 1)).with_padding(1),
                ),
                flatten,
                dense(192, 10),
            ],
        };
        Architecture::sequential([1, 28, 28], layers)
    }
    fn mode(self) -> Mode {
        if self == Case::ConvBn {
            Mode::Eval
        } else {
            Mode::Train
        }
    }
}

/// BatchNorm2d's running statistics against `{prefix}.<buffer>`; the batch
/// count (int64 in PyTorch) must be equal.
fn compare_buffers<T: Scalar>(
    fx: &Fixture<'_>,
    net: &Sequential<T>,
    prefix: &str,
    label: &str,
    report: &mut Report,
) {
    let mut bufs = Vec::new();
    net.visit_buffers(&mut |n, b| bufs.push((n.to_string(), b.clone())));
    assert_eq!(bufs.len(), 6, "two BatchNorm2d, three buffers each");
    for (name, b) in bufs {
        let key = format!("{prefix}.{name}");
        if name.ends_with("num_batches_tracked") {
            let n = i64::from_le_bytes(fx.view(&key).data().try_into().unwrap());
            assert_eq!(b[0].as_f64(), n as f64, "{key}");
        } else {
            report.add(format!("{label} {name}"), rel(&b, &fx.matrix(&key, false)));
        }
    }
}

fn run_case<T: Scalar>(fx: &Fixture<'_>, case: Case, tol: f64, report: &mut Report) {
    let c = case.name();
    let init = fx.state_dict(case.init());
    let load = || read_state_dict::<T>(&init, &case.arch()).expect("load the initial state dict");
    let x = fx.matrix::<T>("input", true);
    assert_eq!(x.shape(), (784, 8));
    let labels = fx.labels();
    let loss = SoftmaxCrossEntropy;
    let target = Target::Classes(&labels);

    // Both ways: the file we write holds PyTorch's state dict, byte for
    // byte (names, dtypes, shapes, values), so `load_state_dict(strict)`
    // takes it.
    let mut net = load();
    let ours = model_to_bytes(&net).unwrap();
    let ours = SafeTensors::deserialize(&ours).unwrap();
    let theirs = SafeTensors::deserialize(&init).unwrap();
    let (mut a, mut b) = (ours.names(), theirs.names());
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "{c}: tensor names");
    for name in b {
        let (x, y) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!(
            (x.dtype(), x.shape()),
            (y.dtype(), y.shape()),
            "{c}: {name}"
        );
        assert!(x.data() == y.data(), "{c}: {name} values");
    }

    // Forward, loss, backward at the initial weights.
    let out = net.forward(&x, case.mode()).unwrap().clone();
    report.add(
        format!("{c} output"),
        rel(&out, &fx.matrix(&format!("{c}.output"), true)),
    );
    let mut grad = DMatrix::zeros(0, 0);
    let l = loss.loss_and_gradient(&out, target, &mut grad).unwrap();
    report.add(
        format!("{c} loss"),
        rel(
            &DMatrix::from_element(1, 1, l),
            &fx.matrix(&format!("{c}.loss"), false),
        ),
    );
    let mut dx = DMatrix::zeros(0, 0);
    net.zero_grad();
    net.backward_with_input_grad(&x, &grad, &mut dx).unwrap();
    let torch_dx = fx.matrix(&format!("{c}.input_grad"), true);
    report.add(format!("{c} input_grad"), rel(&dx, &torch_dx));
    for (name, _, g) in params(&net) {
        let torch = fx.matrix::<T>(&format!("{c}.grad.{name}"), false);
        report.add(format!("{c} grad {name}"), rel(&g, &torch));
    }
    if case == Case::ConvBnTrain {
        compare_buffers(
            fx,
            &net,
            &format!("{c}.buffers"),
            &format!("{c} buffers"),
            report,
        );
    }

    // Three steps of each optimizer on the same batch.
    for (opt_name, mut opt, lr) in optimizers::<T>() {
        let mut net = load();
        let before = params(&net);
        let mode = case.mode();
        three_steps(&mut net, &x, mode, &loss, target, &mut *opt, lr, &mut grad);
        for ((name, w, _), (_, w0, _)) in params(&net).into_iter().zip(before) {
            let delta_torch = fx.matrix::<T>(&format!("{c}.{opt_name}.{name}"), false);
            let w_torch = &w0 + &delta_torch;
            let delta = &w - &w0;
            // Adam's entries at the gradient's rounding floor: see adam_keep.
            let keep = adam_keep(fx, c, opt_name, &name, &delta, &delta_torch, lr, report);
            report.add(
                format!("{c} {opt_name}_weights {name}"),
                rel_kept(&w, &w_torch, &keep),
            );
            let e = rel_kept(&delta, &delta_torch, &keep);
            let what = format!("{c} {opt_name}_update {name}");
            // An update is the difference of two stored weights, each
            // rounded at every step: it is resolved only to about
            // steps·ε·max|w| (absolute), which relative to a small update
            // can exceed the dtype's bound (f32 LeNet's 7.weight: ε·0.05
            // against updates of ~1e-3). The weights themselves are held
            // to the dtype's bound above.
            let scale = delta_torch
                .iter()
                .map(|v| v.as_f64().abs())
                .fold(0.0, f64::max);
            let w_max = w0.iter().map(|v| v.as_f64().abs()).fold(0.0, f64::max);
            let floor = 3.0 * T::machine_epsilon().as_f64() * w_max / scale.max(1e-30);
            let bound = if opt_name == "adam" && T::BYTES == 4 {
                Some(1e-3)
            } else {
                (floor > tol).then_some(floor)
            };
            if opt_name == "sgd" && e > tol {
                report
                    .floors
                    .push(format!("{what}: {e:.2e} (floor {floor:.2e})"));
            }
            report.add_bounded(what, e, bound);
        }
        if case == Case::ConvBnTrain {
            let prefix = format!("{c}.{opt_name}_buffers");
            compare_buffers(
                fx,
                &net,
                &prefix,
                &format!("{c} {opt_name}_buffers"),
                report,
            );
        }
    }
}

fn run<T: Scalar>(tag: &str, tol: f64) {
    let bytes = fixture(&format!("torch_conv_{tag}"));
    let fx = Fixture(SafeTensors::deserialize(&bytes).expect("fixture parses"));
    let mut report = Report::default();
    for case in [Case::Lenet, Case::ConvBn, Case::ConvBnTrain] {
        run_case::<T>(&fx, case, tol, &mut report);
    }
    report.check(tag, tol);
}

#[test]
fn conv_family_agrees_with_pytorch_in_f32() {
    run::<f32>("f32", 1e-5);
}

#[test]
fn conv_family_agrees_with_pytorch_in_f64() {
    run::<f64>("f64", 1e-10);
}
