//! Loaded optimizer states that no run can produce: a step count at the end
//! of `u64` (it overflowed: a panic in debug builds, in release a wrap to 0
//! and non-finite bias corrections), non-finite moments, negative averages
//! of squares. Each is refused by `load_state` with a typed error, changing
//! nothing, and a step never overflows.

use backprop_optim::{Adam, AdamW, OptimError, Optimizer, OptimizerState, RmsProp, Sgd};
use backprop_tensor::{DMatrix, Param};

/// 2^53: the largest step count a state may reach (an `f64` counts every
/// integer up to it exactly, and Adam raises β to the step count).
const MAX_STEPS: u64 = 1 << 53;

fn params() -> Vec<Param<f64>> {
    let mut ps = vec![
        Param::new("W", DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0])),
        Param::new("b", DMatrix::from_element(2, 1, 0.25)),
    ];
    for p in &mut ps {
        p.grad.fill(0.5);
    }
    ps
}

type Make = fn() -> Box<dyn Optimizer<f64>>;

/// Every kind of optimizer, and every layout of RMSprop's buffers.
fn every_optimizer() -> Vec<Make> {
    vec![
        || Box::new(Sgd::new()),
        || Box::new(Sgd::momentum(0.9)),
        || Box::new(Sgd::momentum(0.9).nesterov()),
        || Box::new(RmsProp::new()),
        || Box::new(RmsProp::new().with_momentum(0.9).centered()),
        || Box::new(Adam::new()),
        || Box::new(AdamW::new()),
    ]
}

fn values(ps: &[Param<f64>]) -> Vec<DMatrix<f64>> {
    ps.iter().map(|p| p.value.clone()).collect()
}

fn reason(r: Result<(), OptimError>) -> String {
    match r {
        Err(OptimError::InvalidState { reason }) => reason,
        other => panic!("expected InvalidState, found {other:?}"),
    }
}

#[test]
fn a_step_count_of_u64_max_is_refused_when_loaded() {
    for make in every_optimizer() {
        let mut opt = make();
        let mut ps = params();
        opt.step(0.01, &mut ps).unwrap();
        let good = opt.state();
        let mut bad = good.clone();
        bad.step = u64::MAX;
        let mut fresh = make();
        fresh.load_state(good.clone()).unwrap();
        let before = fresh.state();
        let why = reason(fresh.load_state(bad));
        assert!(
            why.contains("18446744073709551615") && why.contains("9007199254740992"),
            "{}: {why}",
            opt.name()
        );
        assert_eq!(
            fresh.state(),
            before,
            "{}: a failed load changed the state",
            opt.name()
        );
    }
}

#[test]
fn step_counts_up_to_the_limit_load_and_step_with_finite_values() {
    for make in every_optimizer() {
        let mut opt = make();
        let mut ps = params();
        opt.step(0.01, &mut ps).unwrap();
        let mut s = opt.state();
        s.step = MAX_STEPS;
        assert!(
            reason(opt.load_state(s.clone())).contains("9007199254740992"),
            "{}",
            opt.name()
        );
        s.step = MAX_STEPS - 1;
        opt.load_state(s).unwrap();
        // The last step the count allows: finite, and counted.
        opt.step(0.01, &mut ps).unwrap();
        assert_eq!(opt.steps(), MAX_STEPS, "{}", opt.name());
        assert!(
            ps.iter().all(|p| p.value.iter().all(|v| v.is_finite())),
            "{}: {:?}",
            opt.name(),
            values(&ps)
        );
        // One more would overflow the limit: a typed error, nothing changed.
        let before = (values(&ps), opt.state());
        let e = opt.step(0.01, &mut ps).unwrap_err();
        assert!(
            matches!(&e, OptimError::InvalidState { reason } if reason.contains("9007199254740992")),
            "{}: {e}",
            opt.name()
        );
        assert_eq!((values(&ps), opt.state()), before, "{}", opt.name());
    }
}

#[test]
fn non_finite_or_negative_moments_are_refused_with_the_buffer_name() {
    let mut adam = Adam::<f64>::new();
    let mut ps = params();
    adam.step(0.01, &mut ps).unwrap();
    let good = adam.state();
    assert_eq!(good.buffers[0].0, "W.exp_avg");
    assert_eq!(good.buffers[3].0, "b.exp_avg_sq");

    for (i, value, what) in [
        (0, f64::NAN, "NaN"),
        (1, f64::INFINITY, "inf"),
        (2, f64::NEG_INFINITY, "-inf"),
        (3, -1e-3, "-0.001"),
    ] {
        let mut s = good.clone();
        s.buffers[i].1[(1, 0)] = value;
        let mut target = Adam::<f64>::new();
        let why = reason(target.load_state(s));
        let name = &good.buffers[i].0;
        assert!(
            why.contains(&format!("{name:?}")) && why.contains(what),
            "{name}: {why}"
        );
        assert_eq!(target.steps(), 0);
    }
    // Negative first moments and momentum buffers are legitimate.
    let mut s = good.clone();
    s.buffers[0].1.fill(-3.0);
    Adam::<f64>::new().load_state(s).unwrap();

    let mut rms = RmsProp::<f64>::new();
    rms.step(0.01, &mut ps).unwrap();
    let mut s = rms.state();
    assert_eq!(s.buffers[0].0, "W.square_avg");
    s.buffers[0].1[(0, 1)] = -0.5;
    assert!(reason(RmsProp::<f64>::new().load_state(s)).contains("\"W.square_avg\""));
}

#[test]
fn a_buffer_less_state_with_a_huge_step_count_is_refused_too() {
    let mut sgd = Sgd::<f64>::new();
    let why = reason(sgd.load_state(OptimizerState {
        optimizer: "sgd".into(),
        step: u64::MAX,
        buffers: vec![],
    }));
    assert!(why.contains("18446744073709551615"), "{why}");
    assert_eq!(sgd.steps(), 0);
}
