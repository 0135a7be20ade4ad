//! Compares every optimizer, step by step, with values produced by PyTorch
//! (`scripts/optim_reference.py`, stored in `fixtures/torch_optim.txt`).
//!
//! The problem: W (3×2) and b (3×1) minimising `L = Σ (W·X + b − Y)²`, so each
//! gradient depends on the current weights. Three steps per configuration,
//! compared to 1e-12 relative in f64 and to 1e-5 relative in f32.

use backprop_optim::{
    Adam, AdamW, Constant, CosineWithWarmup, Exponential, Optimizer, RmsProp, Schedule, Sgd,
    StepDecay, by_name,
};
use backprop_tensor::{DMatrix, Param, Scalar, ops};
use std::collections::HashMap;

const FIXTURE: &str = include_str!("fixtures/torch_optim.txt");

struct Case {
    name: String,
    config: HashMap<String, String>,
    /// (W, b) after each step.
    steps: Vec<(DMatrix<f64>, DMatrix<f64>)>,
}

struct ScheduleRef {
    kind: String,
    config: HashMap<String, String>,
    values: Vec<f64>,
}

struct Fixture {
    matrices: HashMap<String, DMatrix<f64>>,
    cases: Vec<Case>,
    schedules: Vec<ScheduleRef>,
}

fn number(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|e| panic!("bad number {s:?}: {e}"))
}

fn matrix(tokens: &[&str]) -> DMatrix<f64> {
    let (r, c) = (tokens[0].parse().unwrap(), tokens[1].parse().unwrap());
    let values: Vec<f64> = tokens[2..].iter().map(|t| number(t)).collect();
    assert_eq!(values.len(), r * c, "matrix needs {r}×{c} values");
    DMatrix::from_row_slice(r, c, &values)
}

fn key_values(tokens: &[&str]) -> HashMap<String, String> {
    tokens
        .iter()
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("expected key=value, got {kv:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn parse() -> Fixture {
    let mut fx = Fixture {
        matrices: HashMap::new(),
        cases: Vec::new(),
        schedules: Vec::new(),
    };
    for line in FIXTURE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match tokens[0] {
            "matrix" => {
                fx.matrices
                    .insert(tokens[1].to_string(), matrix(&tokens[2..]));
            }
            "case" => fx.cases.push(Case {
                name: tokens[1].to_string(),
                config: key_values(&tokens[2..]),
                steps: Vec::new(),
            }),
            "step" => {
                let case = fx.cases.last_mut().expect("step before case");
                let k: usize = tokens[1].parse().unwrap();
                let m = matrix(&tokens[3..]);
                match tokens[2] {
                    "W" => {
                        assert_eq!(
                            case.steps.len() + 1,
                            k,
                            "steps out of order in {}",
                            case.name
                        );
                        case.steps.push((m, DMatrix::zeros(0, 0)));
                    }
                    "b" => case.steps.last_mut().expect("b before W").1 = m,
                    other => panic!("unknown parameter {other}"),
                }
            }
            "schedule" => {
                let colon = tokens
                    .iter()
                    .position(|t| *t == ":")
                    .expect("schedule without ':'");
                fx.schedules.push(ScheduleRef {
                    kind: tokens[1].to_string(),
                    config: key_values(&tokens[2..colon]),
                    values: tokens[colon + 1..].iter().map(|t| number(t)).collect(),
                });
            }
            other => panic!("unknown line kind {other:?}"),
        }
    }
    fx
}

fn get(config: &HashMap<String, String>, key: &str) -> f64 {
    number(config.get(key).unwrap_or_else(|| panic!("missing {key}")))
}

fn flag(config: &HashMap<String, String>, key: &str) -> bool {
    get(config, key) != 0.0
}

/// The optimizer a case describes, built through the builders.
fn build<T: Scalar>(config: &HashMap<String, String>) -> Box<dyn Optimizer<T>> {
    let c = |k| get(config, k);
    match config["algo"].as_str() {
        "sgd" => Box::new(
            Sgd::new()
                .with_momentum(c("momentum"))
                .with_dampening(c("dampening"))
                .with_nesterov(flag(config, "nesterov"))
                .with_weight_decay(c("weight_decay")),
        ),
        "rmsprop" => Box::new(
            RmsProp::new()
                .with_alpha(c("alpha"))
                .with_eps(c("eps"))
                .with_weight_decay(c("weight_decay"))
                .with_momentum(c("momentum"))
                .with_centered(flag(config, "centered")),
        ),
        "adam" => Box::new(
            Adam::new()
                .with_betas(c("beta1"), c("beta2"))
                .with_eps(c("eps"))
                .with_weight_decay(c("weight_decay")),
        ),
        "adamw" => Box::new(
            AdamW::new()
                .with_betas(c("beta1"), c("beta2"))
                .with_eps(c("eps"))
                .with_weight_decay(c("weight_decay")),
        ),
        other => panic!("unknown algorithm {other}"),
    }
}

/// Sets the gradients of `L = Σ (W·X + b − Y)²`: `∂L/∂W = 2R·Xᵀ`, `∂L/∂b = 2R·1`
/// with `R = W·X + b − Y`.
fn gradients<T: Scalar>(params: &mut [Param<T>], x: &DMatrix<T>, y: &DMatrix<T>) {
    let mut r = DMatrix::zeros(0, 0);
    ops::matmul_into(&params[0].value, x, &mut r).unwrap();
    ops::add_bias(&mut r, &params[1].value).unwrap();
    r -= y;
    r *= T::of(2.0);
    ops::matmul_nt_into(&r, x, &mut params[0].grad).unwrap();
    ops::sum_columns(T::one(), &r, T::zero(), &mut params[1].grad).unwrap();
}

/// Runs three steps of `opt` on the fixture problem in `T`; returns (W, b)
/// after each step, in f64.
fn run<T: Scalar>(
    fx: &Fixture,
    lr: f64,
    mut opt: Box<dyn Optimizer<T>>,
) -> Vec<(DMatrix<f64>, DMatrix<f64>)> {
    let m = |k: &str| ops::cast::<f64, T>(&fx.matrices[k]);
    let (x, y) = (m("X"), m("Y"));
    let mut params = vec![Param::new("W", m("W")), Param::new("b", m("b"))];
    (0..3)
        .map(|_| {
            gradients(&mut params, &x, &y);
            opt.step(lr, &mut params).unwrap();
            (ops::cast(&params[0].value), ops::cast(&params[1].value))
        })
        .collect()
}

fn max_relative_error(got: &DMatrix<f64>, want: &DMatrix<f64>) -> f64 {
    assert_eq!(got.shape(), want.shape());
    got.iter()
        .zip(want.iter())
        .map(|(g, w)| (g - w).abs() / w.abs())
        .fold(0.0, f64::max)
}

fn compare(case: &Case, got: &[(DMatrix<f64>, DMatrix<f64>)], tolerance: f64, label: &str) {
    assert_eq!(got.len(), case.steps.len());
    for (k, ((w, b), (w_ref, b_ref))) in got.iter().zip(&case.steps).enumerate() {
        let ew = max_relative_error(w, w_ref);
        let eb = max_relative_error(b, b_ref);
        assert!(
            ew <= tolerance && eb <= tolerance,
            "{label} {}: step {} relative error W {ew:e}, b {eb:e} (tolerance {tolerance:e})\n\
             W = {w}W(torch) = {w_ref}b = {b}b(torch) = {b_ref}",
            case.name,
            k + 1
        );
    }
}

#[test]
fn fixture_covers_every_optimizer() {
    let fx = parse();
    let algos: Vec<&str> = fx.cases.iter().map(|c| c.config["algo"].as_str()).collect();
    for algo in ["sgd", "rmsprop", "adam", "adamw"] {
        assert!(algos.contains(&algo), "no {algo} case");
    }
    assert!(fx.cases.len() >= 8);
    assert!(
        fx.cases
            .iter()
            .all(|c| c.steps.len() == 3 && c.steps.iter().all(|(_, b)| b.shape() == (3, 1)))
    );
}

#[test]
fn matches_torch_in_f64() {
    let fx = parse();
    for case in &fx.cases {
        let got = run::<f64>(&fx, get(&case.config, "lr"), build(&case.config));
        compare(case, &got, 1e-12, "f64");
    }
}

#[test]
fn matches_torch_in_f32() {
    let fx = parse();
    for case in &fx.cases {
        let got = run::<f32>(&fx, get(&case.config, "lr"), build(&case.config));
        compare(case, &got, 1e-5, "f32");
    }
}

/// The cases recorded with torch's defaults are reproduced by the default
/// constructors, reached by name.
#[test]
fn defaults_by_name_match_torch_defaults() {
    let fx = parse();
    for (case_name, optimizer) in [
        ("sgd", "sgd"),
        ("sgd_momentum", "momentum"),
        ("sgd_nesterov", "nesterov"),
        ("rmsprop", "rmsprop"),
        ("adam", "adam"),
        ("adamw", "adamw"),
    ] {
        let case = fx
            .cases
            .iter()
            .find(|c| c.name == case_name)
            .unwrap_or_else(|| panic!("no case {case_name}"));
        let opt = by_name::<f64>(optimizer).unwrap();
        assert_eq!(opt.name(), optimizer);
        let got = run::<f64>(&fx, get(&case.config, "lr"), opt);
        compare(case, &got, 1e-12, optimizer);
    }
}

#[test]
fn schedules_match_torch() {
    let fx = parse();
    assert_eq!(fx.schedules.len(), 3);
    for s in &fx.schedules {
        let base = get(&s.config, "base");
        let schedule: Box<dyn Schedule> = match s.kind.as_str() {
            "step_lr" => Box::new(
                StepDecay::new(
                    base,
                    get(&s.config, "step_size") as usize,
                    get(&s.config, "gamma"),
                )
                .unwrap(),
            ),
            "exponential_lr" => Box::new(Exponential::new(base, get(&s.config, "gamma")).unwrap()),
            "cosine_annealing_lr" => Box::new(
                CosineWithWarmup::new(
                    base,
                    0,
                    get(&s.config, "t_max") as usize,
                    get(&s.config, "eta_min"),
                )
                .unwrap(),
            ),
            other => panic!("unknown schedule {other}"),
        };
        for (epoch, &want) in s.values.iter().enumerate() {
            let got = schedule.lr(epoch);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "{} epoch {epoch}: {got} vs torch {want}",
                s.kind
            );
        }
    }
    assert_eq!(Constant::new(0.1).lr(7), 0.1);
}
