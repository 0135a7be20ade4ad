//! Behaviour of the optimizers, clipping and schedules beyond the PyTorch
//! comparison: convergence, errors, state export/import, schedule values.

use backprop_optim::{
    Adam, AdamW, Constant, CosineWithWarmup, Exponential, OptimError, Optimizer, OptimizerKind,
    OptimizerState, RmsProp, Schedule, ScheduleKind, Sgd, StepDecay, by_name, clip_grad_norm,
    clip_grad_value, grad_norm,
};
use backprop_tensor::{DMatrix, Param, Parameters, Scalar};

/// Every configuration worth distinguishing, with a learning rate that suits
/// the quadratic below.
fn configurations<T: Scalar>() -> Vec<(&'static str, Box<dyn Optimizer<T>>, f64)> {
    vec![
        ("sgd", Box::new(Sgd::new()), 0.1),
        ("sgd+wd", Box::new(Sgd::new().with_weight_decay(1e-3)), 0.1),
        ("momentum", Box::new(Sgd::momentum(0.9)), 0.02),
        (
            "momentum+dampening",
            Box::new(Sgd::momentum(0.9).with_dampening(0.5)),
            0.02,
        ),
        ("nesterov", Box::new(Sgd::momentum(0.9).nesterov()), 0.02),
        ("rmsprop", Box::new(RmsProp::new()), 0.01),
        (
            "rmsprop centered+momentum",
            Box::new(RmsProp::new().centered().with_momentum(0.5)),
            0.005,
        ),
        ("adam", Box::new(Adam::new()), 0.05),
        (
            "adam+wd",
            Box::new(Adam::new().with_weight_decay(1e-3)),
            0.05,
        ),
        ("adamw", Box::new(AdamW::new()), 0.05),
    ]
}

/// Two parameters and the quadratic `L = ½ Σ aᵢ (wᵢ − cᵢ)²` over all their entries.
struct Quadratic<T: Scalar> {
    params: Vec<Param<T>>,
    curvature: Vec<DMatrix<T>>,
    target: Vec<DMatrix<T>>,
}

impl<T: Scalar> Quadratic<T> {
    fn new() -> Self {
        let m = |r: usize, c: usize, v: &[f64]| {
            DMatrix::from_row_slice(r, c, &v.iter().map(|&x| T::of(x)).collect::<Vec<_>>())
        };
        Self {
            params: vec![
                Param::new("0.weight", m(2, 3, &[0.5, -1.0, 2.0, 0.0, 1.5, -0.5])),
                Param::new("0.bias", m(2, 1, &[1.0, -2.0])),
            ],
            curvature: vec![
                m(2, 3, &[1.0, 2.0, 0.5, 1.5, 1.0, 2.0]),
                m(2, 1, &[1.0, 0.8]),
            ],
            target: vec![
                m(2, 3, &[2.0, 1.0, -1.0, 1.0, -1.0, 0.5]),
                m(2, 1, &[-1.0, 1.0]),
            ],
        }
    }

    fn loss(&self) -> f64 {
        let mut total = 0.0;
        for ((p, a), c) in self.params.iter().zip(&self.curvature).zip(&self.target) {
            for ((w, a), c) in p.value.iter().zip(a.iter()).zip(c.iter()) {
                let d = w.as_f64() - c.as_f64();
                total += 0.5 * a.as_f64() * d * d;
            }
        }
        total
    }

    /// Sets every gradient, in place: `g = a·(w − c)`.
    fn gradients(&mut self) {
        for ((p, a), c) in self
            .params
            .iter_mut()
            .zip(&self.curvature)
            .zip(&self.target)
        {
            let (w, g) = (p.value.as_slice(), p.grad.as_mut_slice());
            for (((g, &w), &a), &c) in g.iter_mut().zip(w).zip(a.as_slice()).zip(c.as_slice()) {
                *g = a * (w - c);
            }
        }
    }
}

fn decreases_quadratic<T: Scalar>() {
    for (label, mut opt, lr) in configurations::<T>() {
        let mut q = Quadratic::<T>::new();
        let initial = q.loss();
        q.gradients();
        opt.step(lr, &mut q.params).unwrap();
        let after_one = q.loss();
        assert!(
            after_one < initial,
            "{label} ({}): first step {initial} → {after_one}",
            T::NAME
        );
        for _ in 0..299 {
            q.gradients();
            opt.step(lr, &mut q.params).unwrap();
        }
        let last = q.loss();
        assert!(
            last < 1e-2 * initial,
            "{label} ({}): loss {initial} → {last} after 300 steps",
            T::NAME
        );
        assert_eq!(opt.steps(), 300);
    }
}

#[test]
fn every_optimizer_decreases_a_quadratic_f64() {
    decreases_quadratic::<f64>();
}

#[test]
fn every_optimizer_decreases_a_quadratic_f32() {
    decreases_quadratic::<f32>();
}

#[test]
fn plain_sgd_on_a_quadratic_is_monotone_and_exact() {
    // One parameter, L = ½·2·(w − 1)²: w ← w − lr·2(w − 1), so w − 1 shrinks by (1 − 2lr).
    let mut p = Param::new("w", DMatrix::from_element(1, 1, 3.0_f64));
    let mut opt = Sgd::new();
    for k in 1..=10 {
        p.grad[0] = 2.0 * (p.value[0] - 1.0);
        opt.step(0.25, &mut p).unwrap();
        assert!((p.value[0] - 1.0 - 2.0 * 0.5_f64.powi(k)).abs() < 1e-15);
    }
}

fn two_params(grads: [&[f64]; 2]) -> Vec<Param<f64>> {
    let mut ps = vec![
        Param::new("a", DMatrix::zeros(2, 1)),
        Param::new("b", DMatrix::zeros(1, 1)),
    ];
    ps[0].grad.copy_from_slice(grads[0]);
    ps[1].grad.copy_from_slice(grads[1]);
    ps
}

#[test]
fn clip_grad_norm_rescales_to_the_bound() {
    let mut ps = two_params([&[3.0, 4.0], &[12.0]]);
    assert_eq!(grad_norm(&ps), 13.0);
    let before = clip_grad_norm(&mut ps, 6.5).unwrap();
    assert_eq!(before, 13.0);
    let coef = 6.5 / (13.0 + 1e-6);
    assert_eq!(ps[0].grad.as_slice(), &[3.0 * coef, 4.0 * coef]);
    assert_eq!(ps[1].grad.as_slice(), &[12.0 * coef]);
    assert!((grad_norm(&ps) - 6.5).abs() < 1e-6);
    assert!(grad_norm(&ps) < 6.5);
}

#[test]
fn clip_grad_norm_leaves_small_gradients_alone() {
    let mut ps = two_params([&[3.0, 4.0], &[12.0]]);
    let before = clip_grad_norm(&mut ps, 13.0).unwrap(); // coef 13/(13 + 1e-6) < 1: still scaled
    assert_eq!(before, 13.0);
    assert!(ps[1].grad[0] < 12.0);

    let mut ps = two_params([&[3.0, 4.0], &[12.0]]);
    assert_eq!(clip_grad_norm(&mut ps, 100.0).unwrap(), 13.0);
    assert_eq!(ps, two_params([&[3.0, 4.0], &[12.0]]));
    assert_eq!(clip_grad_norm(&mut ps, f64::INFINITY).unwrap(), 13.0);
    assert_eq!(ps, two_params([&[3.0, 4.0], &[12.0]]));

    assert_eq!(clip_grad_norm(&mut ps, 0.0).unwrap(), 13.0);
    assert_eq!(grad_norm(&ps), 0.0);
}

#[test]
fn clip_grad_norm_in_f32_and_on_a_single_param() {
    let mut p = Param::new("w", DMatrix::<f32>::zeros(1, 4));
    p.grad.copy_from_slice(&[1.0, -1.0, 1.0, -1.0]);
    assert_eq!(clip_grad_norm(&mut p, 1.0_f32).unwrap(), 2.0);
    for g in p.grad.iter() {
        assert!((g.abs() - 0.5).abs() < 1e-6);
    }
}

#[test]
fn clip_grad_norm_rejects_bad_bounds_and_reports_non_finite_norms() {
    let mut ps = two_params([&[3.0, 4.0], &[12.0]]);
    for bad in [-1.0, f64::NAN, f64::NEG_INFINITY] {
        let e = clip_grad_norm(&mut ps, bad).unwrap_err();
        assert!(
            matches!(
                e,
                OptimError::InvalidHyperparameter {
                    name: "max_norm",
                    ..
                }
            ),
            "{e}"
        );
    }
    assert_eq!(ps, two_params([&[3.0, 4.0], &[12.0]]));

    let mut ps = two_params([&[f64::NAN, 4.0], &[12.0]]);
    assert!(clip_grad_norm(&mut ps, 1.0).unwrap().is_nan());
    let mut ps = two_params([&[f64::INFINITY, 4.0], &[12.0]]);
    assert_eq!(clip_grad_norm(&mut ps, 1.0).unwrap(), f64::INFINITY);
}

#[test]
fn clip_grad_value_clamps_every_entry() {
    let mut ps = two_params([&[-3.0, 0.5], &[f64::NAN]]);
    clip_grad_value(&mut ps, 1.0).unwrap();
    assert_eq!(ps[0].grad.as_slice(), &[-1.0, 0.5]);
    assert!(ps[1].grad[0].is_nan());

    let mut ps = two_params([&[-3.0, 0.5], &[2.0]]);
    clip_grad_value(&mut ps, 0.0).unwrap();
    assert_eq!(grad_norm(&ps), 0.0);

    let mut ps = two_params([&[-3.0, 0.5], &[2.0]]);
    clip_grad_value(&mut ps, f64::INFINITY).unwrap();
    assert_eq!(ps, two_params([&[-3.0, 0.5], &[2.0]]));
    for bad in [-0.5, f64::NAN] {
        assert!(clip_grad_value(&mut ps, bad).is_err());
    }
    assert_eq!(ps, two_params([&[-3.0, 0.5], &[2.0]]));
}

#[test]
fn schedule_values() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs().max(1e-300);

    let c = Constant::new(0.3);
    assert_eq!([c.lr(0), c.lr(1), c.lr(usize::MAX)], [0.3; 3]);

    let s = StepDecay::new(0.1, 2, 0.5).unwrap();
    let want = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125];
    for (e, w) in want.into_iter().enumerate() {
        assert!(close(s.lr(e), w), "StepDecay epoch {e}: {}", s.lr(e));
    }

    let s = Exponential::new(2.0, 0.5).unwrap();
    assert_eq!(
        [s.lr(0), s.lr(1), s.lr(4), s.lr(10)],
        [2.0, 1.0, 0.125, 2.0 / 1024.0]
    );
    assert_eq!(s.lr(100_000), 0.0);

    let s = CosineWithWarmup::new(1.0, 3, 7, 0.1).unwrap();
    // Warm-up: (e + 1)/(3 + 1).
    assert!(close(s.lr(0), 0.25) && close(s.lr(1), 0.5) && close(s.lr(2), 0.75));
    // Cosine over T = 4 epochs, from the peak.
    assert_eq!(s.lr(3), 1.0);
    let cosine = |t: f64| 0.1 + 0.9 * (1.0 + (std::f64::consts::PI * t / 4.0).cos()) / 2.0;
    for e in 3..7 {
        assert!(close(s.lr(e), cosine((e - 3) as f64)), "epoch {e}");
    }
    assert!(close(s.lr(5), 0.55));
    assert!((0..7).all(|e| s.lr(e) > 0.1));
    assert!((3..7).all(|e| s.lr(e + 1) < s.lr(e)));
    assert_eq!([s.lr(7), s.lr(8), s.lr(usize::MAX)], [0.1; 3]);

    let no_warmup = CosineWithWarmup::new(0.5, 0, 2, 0.0).unwrap();
    assert_eq!([no_warmup.lr(0), no_warmup.lr(2)], [0.5, 0.0]);
    assert!(close(no_warmup.lr(1), 0.25));
}

#[test]
fn schedules_reject_bad_settings() {
    assert!(matches!(
        StepDecay::new(0.1, 0, 0.5),
        Err(OptimError::InvalidHyperparameter {
            name: "step_size",
            ..
        })
    ));
    assert!(StepDecay::new(-0.1, 1, 0.5).is_err());
    assert!(StepDecay::new(0.1, 1, f64::NAN).is_err());
    assert!(Exponential::new(0.1, -0.5).is_err());
    assert!(Exponential::new(f64::INFINITY, 0.5).is_err());
    assert!(CosineWithWarmup::new(0.1, 5, 5, 0.0).is_err());
    assert!(CosineWithWarmup::new(0.1, 6, 5, 0.0).is_err());
    assert!(CosineWithWarmup::new(0.1, 0, 5, 0.2).is_err());
    assert!(CosineWithWarmup::new(0.1, 0, 5, -0.01).is_err());
}

#[test]
fn schedule_kind_and_boxes_dispatch() {
    let kinds: Vec<ScheduleKind> = vec![
        0.2.into(),
        StepDecay::new(0.2, 1, 0.5).unwrap().into(),
        Exponential::new(0.2, 0.5).unwrap().into(),
        CosineWithWarmup::new(0.2, 1, 3, 0.0).unwrap().into(),
    ];
    let at_one: Vec<f64> = kinds.iter().map(|k| k.lr(1)).collect();
    assert_eq!(at_one[..3], [0.2, 0.1, 0.1]);
    assert!((at_one[3] - 0.2).abs() < 1e-16);
    let boxed: Vec<Box<dyn Schedule>> = vec![Box::new(Constant::new(0.2)), Box::new(kinds[1])];
    assert_eq!(
        boxed.iter().map(|s| s.lr(2)).collect::<Vec<_>>(),
        [0.2, 0.05]
    );
    // References are schedules too.
    fn at(s: impl Schedule, epoch: usize) -> f64 {
        s.lr(epoch)
    }
    assert_eq!(at(&boxed[1], 3), 0.025);
}

/// For `opt`: two steps, export, load into `fresh`, then three more steps on
/// each from the same parameters: the results are identical.
fn round_trip<T: Scalar>(
    label: &str,
    mut opt: Box<dyn Optimizer<T>>,
    mut fresh: Box<dyn Optimizer<T>>,
    lr: f64,
) {
    let mut q = Quadratic::<T>::new();
    for _ in 0..2 {
        q.gradients();
        opt.step(lr, &mut q.params).unwrap();
    }
    let state = opt.state();
    assert_eq!(state.step, 2, "{label}");
    assert_eq!(state.optimizer, opt.name());
    fresh.load_state(state.clone()).unwrap();
    assert_eq!(fresh.state(), state, "{label}: export after import differs");
    assert_eq!(fresh.steps(), 2);

    let mut q2 = Quadratic::<T>::new();
    q2.params = q.params.clone();
    for _ in 0..3 {
        q.gradients();
        q2.gradients();
        opt.step(lr, &mut q.params).unwrap();
        fresh.step(lr, &mut q2.params).unwrap();
        assert_eq!(q.params, q2.params, "{label}: continued steps differ");
    }
    assert_eq!(opt.state(), fresh.state());
}

#[test]
fn state_round_trip_gives_identical_continued_steps() {
    let (a, b) = (configurations::<f64>(), configurations::<f64>());
    for ((label, opt, lr), (_, fresh, _)) in a.into_iter().zip(b) {
        round_trip(label, opt, fresh, lr);
    }
    let (a, b) = (configurations::<f32>(), configurations::<f32>());
    for ((label, opt, lr), (_, fresh, _)) in a.into_iter().zip(b) {
        round_trip(label, opt, fresh, lr);
    }
}

#[test]
fn exported_buffers_are_named_and_ordered() {
    let mut q = Quadratic::<f64>::new();
    let names = |opt: &dyn Optimizer<f64>| {
        opt.state()
            .buffers
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
    };

    let mut sgd = Sgd::new();
    q.gradients();
    sgd.step(0.1, &mut q.params).unwrap();
    assert!(names(&sgd).is_empty());
    assert_eq!(Optimizer::<f64>::state(&sgd).step, 1);

    let mut rms = RmsProp::new().with_momentum(0.9).centered();
    rms.step(0.1, &mut q.params).unwrap();
    assert_eq!(
        names(&rms),
        [
            "0.weight.square_avg",
            "0.weight.momentum_buffer",
            "0.weight.grad_avg",
            "0.bias.square_avg",
            "0.bias.momentum_buffer",
            "0.bias.grad_avg"
        ]
    );
    let mut adam = AdamW::new();
    adam.step(0.1, &mut q.params).unwrap();
    assert_eq!(
        names(&adam),
        [
            "0.weight.exp_avg",
            "0.weight.exp_avg_sq",
            "0.bias.exp_avg",
            "0.bias.exp_avg_sq"
        ]
    );
    let state = Optimizer::<f64>::state(&adam);
    assert_eq!(state.buffers[0].1.shape(), (2, 3));
    assert_eq!(state.buffers[3].1.shape(), (2, 1));
    // First moment after one step: (1 − β₁)·g, with 1 − β₁ rounded as in PyTorch.
    assert_eq!(
        state.buffers[0].1,
        q.params[0].grad.map(|g| (1.0 - 0.9) * g)
    );
}

fn problem() -> Vec<Param<f64>> {
    let mut ps = vec![
        Param::new("W", DMatrix::from_element(3, 2, 0.5)),
        Param::new("b", DMatrix::from_element(3, 1, -0.5)),
    ];
    ps[0].grad.fill(0.25);
    ps[1].grad.fill(-1.0);
    ps
}

#[test]
fn later_steps_with_other_shapes_are_errors_not_panics() {
    for kind in OptimizerKind::ALL {
        let mut opt = kind.build::<f64>();
        let mut ps = problem();
        opt.step(0.1, &mut ps).unwrap();
        let state = opt.state();

        // A reshaped parameter.
        let mut reshaped = problem();
        reshaped[0] = Param::new("W", DMatrix::from_element(2, 3, 0.5));
        let untouched = reshaped.clone();
        let e = opt.step(0.1, &mut reshaped).unwrap_err();
        assert_eq!(
            e,
            OptimError::ShapeMismatch {
                name: "W".into(),
                index: 0,
                expected: (3, 2),
                found: (2, 3)
            },
            "{kind}"
        );
        assert!(
            e.to_string().contains("\"W\"")
                && e.to_string().contains("2×3")
                && e.to_string().contains("3×2")
        );
        assert_eq!(
            reshaped, untouched,
            "{kind}: a failed step changed parameters"
        );
        assert_eq!(
            opt.state(),
            state,
            "{kind}: a failed step changed the state"
        );

        // An extra parameter.
        let mut more = problem();
        more.push(Param::new("c", DMatrix::zeros(1, 1)));
        let untouched = more.clone();
        assert_eq!(
            opt.step(0.1, &mut more).unwrap_err(),
            OptimError::ParamCountMismatch {
                name: "c".into(),
                expected: 2,
                found: 3
            },
            "{kind}"
        );
        assert_eq!(more, untouched);

        // A missing parameter.
        let mut fewer = problem();
        fewer.pop();
        let e = opt.step(0.1, &mut fewer).unwrap_err();
        assert_eq!(
            e,
            OptimError::ParamCountMismatch {
                name: "b".into(),
                expected: 2,
                found: 1
            },
            "{kind}"
        );
        assert_eq!(
            e.to_string(),
            "the optimizer state holds 2 parameters, but 1 was given (first unmatched parameter: \"b\")",
            "{kind}"
        );

        // A gradient whose shape differs from its value's.
        let mut bad_grad = problem();
        bad_grad[1].grad = DMatrix::zeros(1, 3);
        let e = opt.step(0.1, &mut bad_grad).unwrap_err();
        assert_eq!(
            e,
            OptimError::GradShapeMismatch {
                name: "b".into(),
                value: (3, 1),
                grad: (1, 3)
            }
        );

        // The original parameters still step.
        assert_eq!(opt.steps(), 1);
        opt.step(0.1, &mut ps).unwrap();
        assert_eq!(opt.steps(), 2);

        // After a reset, any parameters are accepted.
        opt.reset();
        assert_eq!(opt.steps(), 0);
        opt.step(0.1, &mut reshaped).unwrap();
    }
}

#[test]
fn a_bad_first_step_allocates_nothing() {
    let mut opt = Adam::<f64>::new();
    let mut ps = problem();
    ps[0].grad = DMatrix::zeros(2, 2);
    assert!(matches!(
        opt.step(0.1, &mut ps),
        Err(OptimError::GradShapeMismatch { .. })
    ));
    assert_eq!(opt.steps(), 0);
    assert!(Optimizer::<f64>::state(&opt).buffers.is_empty());
    let mut other = vec![Param::new("x", DMatrix::from_element(1, 1, 1.0))];
    opt.step(0.1, &mut other).unwrap();
}

#[test]
fn loaded_state_is_checked_against_the_next_step() {
    let mut src = Adam::<f64>::new();
    let mut ps = problem();
    src.step(0.1, &mut ps).unwrap();
    let mut dst = Adam::<f64>::new();
    dst.load_state(src.state()).unwrap();
    let mut reshaped = vec![
        Param::new("W", DMatrix::zeros(3, 3)),
        Param::new("b", DMatrix::zeros(3, 1)),
    ];
    assert_eq!(
        dst.step(0.1, &mut reshaped).unwrap_err(),
        OptimError::ShapeMismatch {
            name: "W".into(),
            index: 0,
            expected: (3, 2),
            found: (3, 3)
        }
    );
}

#[test]
fn load_state_rejects_states_that_do_not_fit() {
    let mut ps = problem();
    let mut adam = Adam::<f64>::new();
    adam.step(0.1, &mut ps).unwrap();
    let good = adam.state();

    let mut target = Adam::<f64>::new();
    let mut other_ps = vec![Param::new("z", DMatrix::zeros(1, 1))];
    target.step(0.1, &mut other_ps).unwrap();
    let before = target.state();

    let invalid = |r: Result<(), OptimError>| matches!(r, Err(OptimError::InvalidState { .. }));

    // Exported by another optimizer.
    assert!(invalid(AdamW::<f64>::new().load_state(good.clone())));
    // Renamed buffer.
    let mut s = good.clone();
    s.buffers[1].0 = "W.exp_avg_sqr".into();
    assert!(invalid(target.load_state(s)));
    // Buffers of one parameter disagree on their parameter or their shape.
    let mut s = good.clone();
    s.buffers[1].0 = "b.exp_avg_sq".into();
    assert!(invalid(target.load_state(s)));
    let mut s = good.clone();
    s.buffers[1].1 = DMatrix::zeros(2, 3);
    assert!(invalid(target.load_state(s)));
    // A buffer missing.
    let mut s = good.clone();
    s.buffers.pop();
    assert!(invalid(target.load_state(s)));
    // Steps without buffers, buffers without steps.
    assert!(invalid(target.load_state(OptimizerState {
        optimizer: "adam".into(),
        step: 3,
        buffers: vec![]
    })));
    let mut s = good.clone();
    s.step = 0;
    assert!(invalid(target.load_state(s)));
    // Buffers given to an optimizer that keeps none.
    let mut s = Sgd::<f64>::momentum(0.9);
    s.step(0.1, &mut ps).unwrap();
    let mut momentum_state = s.state();
    momentum_state.optimizer = "sgd".into();
    assert!(invalid(Sgd::<f64>::new().load_state(momentum_state)));

    // Nothing changed by the failures.
    assert_eq!(target.state(), before);
    target.load_state(good.clone()).unwrap();
    assert_eq!(target.state(), good);

    // An empty state resets; a buffer-less SGD state keeps its step count.
    target
        .load_state(OptimizerState {
            optimizer: "adam".into(),
            step: 0,
            buffers: vec![],
        })
        .unwrap();
    assert_eq!(target.steps(), 0);
    let mut sgd = Sgd::<f64>::new();
    sgd.load_state(OptimizerState {
        optimizer: "sgd".into(),
        step: 7,
        buffers: vec![],
    })
    .unwrap();
    assert_eq!(sgd.steps(), 7);
}

#[test]
fn invalid_hyperparameters_are_errors_before_any_change() {
    let cases: Vec<(Box<dyn Optimizer<f64>>, f64, &str)> = vec![
        (Box::new(Sgd::new().nesterov()), 0.1, "momentum"),
        (
            Box::new(Sgd::momentum(0.9).nesterov().with_dampening(0.1)),
            0.1,
            "dampening",
        ),
        (Box::new(Sgd::momentum(-0.9)), 0.1, "momentum"),
        (
            Box::new(Sgd::new().with_weight_decay(-1.0)),
            0.1,
            "weight_decay",
        ),
        (Box::new(Sgd::new()), -0.1, "lr"),
        (Box::new(Sgd::new()), f64::NAN, "lr"),
        (Box::new(RmsProp::new().with_alpha(-0.5)), 0.1, "alpha"),
        (Box::new(RmsProp::new().with_eps(f64::NAN)), 0.1, "eps"),
        (Box::new(Adam::new().with_betas(1.0, 0.999)), 0.1, "beta1"),
        (Box::new(Adam::new().with_betas(0.9, -0.1)), 0.1, "beta2"),
        (
            Box::new(AdamW::new().with_weight_decay(-0.01)),
            0.1,
            "weight_decay",
        ),
        (Box::new(AdamW::new()), f64::INFINITY, "lr"),
    ];
    for (mut opt, lr, which) in cases {
        let mut ps = problem();
        let e = opt.step(lr, &mut ps).unwrap_err();
        assert!(
            matches!(&e, OptimError::InvalidHyperparameter { name, .. } if *name == which),
            "{}: {e}",
            opt.name()
        );
        assert_eq!(ps, problem());
        assert_eq!(opt.steps(), 0);
    }
}

#[test]
fn builders_reset_state() {
    let mut ps = problem();
    let mut opt = Sgd::momentum(0.9);
    opt.step(0.1, &mut ps).unwrap();
    let opt = opt.with_weight_decay(0.1);
    assert_eq!(Optimizer::<f64>::steps(&opt), 0);
}

#[test]
fn names_and_lookup() {
    for kind in OptimizerKind::ALL {
        assert_eq!(kind.build::<f32>().name(), kind.name());
        assert_eq!(
            by_name::<f64>(&kind.name().to_uppercase()).unwrap().name(),
            kind.name()
        );
        assert_eq!(kind.to_string().parse::<OptimizerKind>().unwrap(), kind);
    }
    assert_eq!(
        " Adam ".parse::<OptimizerKind>().unwrap(),
        OptimizerKind::Adam
    );
    let e = by_name::<f32>("adagrad").err().unwrap();
    assert_eq!(
        e,
        OptimError::UnknownOptimizer {
            name: "adagrad".into()
        }
    );
    assert!(e.to_string().contains("\"adagrad\"") && e.to_string().contains("adamw"));
    assert_eq!(Optimizer::<f32>::name(&Sgd::new()), "sgd");
    assert_eq!(Optimizer::<f32>::name(&Sgd::momentum(0.5)), "momentum");
    assert_eq!(
        Optimizer::<f32>::name(&Sgd::momentum(0.5).nesterov()),
        "nesterov"
    );
}

#[test]
fn optimizers_work_through_parameters_trait_objects() {
    // An optimizer only sees `dyn Parameters`; a single `Param` is one too.
    let mut p = Param::new("w", DMatrix::from_element(2, 2, 1.0_f32));
    p.grad.fill(1.0);
    let model: &mut dyn Parameters<f32> = &mut p;
    let mut opt = by_name::<f32>("sgd").unwrap();
    opt.step(0.5, model).unwrap();
    assert_eq!(p.value, DMatrix::from_element(2, 2, 0.5));
    assert_eq!(
        p.grad,
        DMatrix::from_element(2, 2, 1.0),
        "gradients are read, not cleared"
    );
}

/// A large weight is updated in chunks on several threads: the result is the
/// one-thread result, bit for bit.
#[test]
fn large_parameters_update_identically_on_any_number_of_threads() {
    let run = |threads: usize, opt: &mut dyn Optimizer<f32>| {
        backprop_tensor::threads::set_num_threads(threads);
        let mut ps = vec![Param::new(
            "w",
            DMatrix::from_fn(128, 784, |i, j| ((i * 31 + j * 7) % 97) as f32 / 97.0 - 0.5),
        )];
        for step in 0..3 {
            ps[0].grad = DMatrix::from_fn(128, 784, |i, j| {
                ((i * 13 + j * 5 + step) % 89) as f32 / 89.0 - 0.45
            });
            opt.step(1e-3, &mut ps).unwrap();
        }
        ps.remove(0).value
    };
    for make in [
        || -> Box<dyn Optimizer<f32>> { Box::new(Adam::new()) },
        || -> Box<dyn Optimizer<f32>> { Box::new(AdamW::new().with_weight_decay(0.1)) },
    ] {
        let one = run(1, make().as_mut());
        for threads in [2, 3] {
            let many = run(threads, make().as_mut());
            assert!(
                one.iter()
                    .zip(many.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{threads} threads"
            );
        }
    }
}

/// RMSprop runs vectorised (AVX2 where the CPU has it), SGD (momentum, L2
/// decay) not: either way the bits are those of the scalar formulas,
/// operation by operation, on a length that leaves a ragged tail after the
/// vectors.
#[test]
fn sgd_and_vectorised_rmsprop_give_the_scalar_formulas_bits() {
    let n = 1003;
    let w0: Vec<f32> = (0..n)
        .map(|i| ((i * 31) % 97) as f32 / 97.0 - 0.5)
        .collect();
    let grad = |step: usize| -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 13 + step * 7) % 89) as f32 / 89.0 - 0.45)
            .collect()
    };
    let run = |opt: &mut dyn Optimizer<f32>| {
        let mut ps = vec![Param::new("w", DMatrix::from_vec(n, 1, w0.clone()))];
        for step in 0..3 {
            ps[0].grad = DMatrix::from_vec(n, 1, grad(step));
            opt.step(0.01, &mut ps).unwrap();
        }
        ps.remove(0).value
    };
    let same = |got: DMatrix<f32>, want: &[f32], what: &str| {
        assert!(
            got.iter()
                .zip(want)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{what}"
        );
    };
    let neg_lr = -0.01_f32;

    // SGD, momentum 0.9, weight decay 0.01: b ← g + λw on the first step,
    // then b ← μb + 1·g; w ← w + (−lr)·b.
    let (mu, keep, lambda) = (0.9_f32, 1.0_f32, 0.01_f32);
    let (mut w, mut b) = (w0.clone(), vec![0.0_f32; n]);
    for step in 0..3 {
        for ((w, b), g) in w.iter_mut().zip(&mut b).zip(grad(step)) {
            let g = g + lambda * *w;
            *b = if step == 0 { g } else { *b * mu + keep * g };
            *w += neg_lr * *b;
        }
    }
    let sgd = run(&mut Sgd::momentum(0.9).with_weight_decay(0.01));
    same(sgd, &w, "sgd");

    // RMSprop's defaults (α = 0.99, ε = 1e-8): v ← αv + (1 − α)·g·g;
    // w ← w + (−lr)·g / (√v + ε).
    let (alpha, one_minus_alpha, eps) = (0.99_f32, (1.0 - 0.99_f64) as f32, 1e-8_f32);
    let (mut w, mut v) = (w0.clone(), vec![0.0_f32; n]);
    for step in 0..3 {
        for ((w, v), g) in w.iter_mut().zip(&mut v).zip(grad(step)) {
            *v = *v * alpha + one_minus_alpha * g * g;
            *w += neg_lr * g / (v.sqrt() + eps);
        }
    }
    same(run(&mut RmsProp::new()), &w, "rmsprop");
}
