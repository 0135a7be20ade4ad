//! Adam's `f32` update where first moments are subnormal: a zero gradient
//! (an input that no sample of the batch lights) lets the moment decay by
//! `β₁` into the subnormal range, where it stays (at `k·2⁻¹⁴⁹`, `k ≤ 5`,
//! `0.1·m` rounds to zero), and x86 cores compute such operands on a slow
//! path (docs/benchmarks.md, Session 7). Whatever a faster kernel does
//! about it, it must keep the bits of the plain `f32` operations, which the
//! reference below computes one element at a time (PyTorch's formula as
//! adam.rs writes it): no flush to zero, no shortcut that changes a bit.

use backprop_optim::{Adam, AdamW, Optimizer, OptimizerState};
use backprop_tensor::{DMatrix, Param};

/// A deterministic stream of `f32` bit patterns of every class.
fn patterns(n: usize, seed: u64) -> Vec<u32> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..n)
        .map(|_| {
            let r = next();
            let sign = ((r >> 63) as u32) << 31;
            let mantissa = (r >> 8) as u32 & 0x007f_ffff;
            let pick = (r >> 40) as u32;
            let exponent = match r % 8 {
                0 | 1 => 0,                     // zero or subnormal
                2 => return sign | (pick % 64), // tiny subnormals
                3 => 1 + pick % 8,              // just above 2⁻¹²⁶
                4 => return sign,               // ±0
                5 => 100 + pick % 30,           // ordinary magnitudes
                _ => pick % 254,                // any finite
            };
            sign | (exponent << 23) | mantissa
        })
        .collect()
}

/// The coefficients of a step as adam.rs computes them.
struct Coefficients {
    weight: f32,
    small: bool,
    beta2: f32,
    one_minus_beta2: f32,
    inv_bc2_sqrt: f32,
    eps: f32,
    neg_step_size: f32,
    l2: f32,
    decoupled: f32,
}

fn coefficients(
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    t: u64,
    l2: f64,
    decoupled: f64,
) -> Coefficients {
    let lr = f64::from(lr as f32);
    let bc1 = 1.0 - betas.0.powf(t as f64);
    let bc2 = 1.0 - betas.1.powf(t as f64);
    let w = (1.0 - betas.0) as f32;
    let small = w.abs() < 0.5;
    Coefficients {
        weight: if small { w } else { 1.0 - w },
        small,
        beta2: betas.1 as f32,
        one_minus_beta2: (1.0 - betas.1) as f32,
        inv_bc2_sqrt: (1.0 / bc2.sqrt()) as f32,
        eps: eps as f32,
        neg_step_size: (-(lr / bc1)) as f32,
        l2: l2 as f32,
        decoupled: (1.0 - lr * decoupled) as f32,
    }
}

/// One element's update with the hardware's `f32` operations.
fn reference(
    c: &Coefficients,
    w: &mut f32,
    g: f32,
    m: &mut f32,
    v: &mut f32,
    l2: bool,
    decoupled: bool,
) {
    let mut g = g;
    if l2 {
        g += c.l2 * *w;
    }
    if decoupled {
        *w *= c.decoupled;
    }
    *m = if c.small {
        *m + c.weight * (g - *m)
    } else {
        g - (g - *m) * c.weight
    };
    *v = *v * c.beta2 + c.one_minus_beta2 * g * g;
    let denom = v.sqrt() * c.inv_bc2_sqrt + c.eps;
    *w += c.neg_step_size * *m / denom;
}

fn bits(m: &DMatrix<f32>) -> Vec<u32> {
    m.iter().map(|x| x.to_bits()).collect()
}

/// A state of `n` elements with many subnormal moments and zero gradients.
struct Case {
    w: Vec<f32>,
    g: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
}

fn case(n: usize, seed: u64) -> Case {
    let finite = |b: u32| {
        let x = f32::from_bits(b);
        if x.is_finite() { x } else { 1.5 }
    };
    let w = patterns(n, seed).into_iter().map(finite).collect();
    // Half the gradients ±0, as for a pixel that is zero in every sample.
    let g = patterns(n, seed + 1)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            if i % 2 == 0 {
                f32::from_bits(b & 0x8000_0000)
            } else {
                finite(b)
            }
        })
        .collect();
    let m = patterns(n, seed + 2).into_iter().map(finite).collect();
    // v is never negative; some tiny, some zero.
    let v = patterns(n, seed + 3)
        .into_iter()
        .map(|b| finite(b & 0x7fff_ffff))
        .collect();
    Case { w, g, m, v }
}

fn check(
    name: &str,
    mut opt: Box<dyn Optimizer<f32>>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    l2: f64,
    decoupled: f64,
) {
    // Not a multiple of a vector, and long enough to be cut for threads.
    let n = 40_007;
    let c0 = case(n, 11);
    // Many elements of the case the test is about (so that it means something).
    let decaying = (0..n)
        .filter(|&i| c0.g[i] == 0.0 && c0.m[i].is_subnormal())
        .count();
    assert!(decaying > 3000, "{decaying}");
    let kind = if decoupled != 0.0 { "adamw" } else { "adam" };
    let mut p = vec![Param::new("p", DMatrix::from_vec(n, 1, c0.w.clone()))];
    p[0].grad = DMatrix::from_vec(n, 1, c0.g.clone());
    let t = 7;
    opt.load_state(OptimizerState {
        optimizer: kind.into(),
        step: t - 1,
        buffers: vec![
            ("p.exp_avg".into(), DMatrix::from_vec(n, 1, c0.m.clone())),
            ("p.exp_avg_sq".into(), DMatrix::from_vec(n, 1, c0.v.clone())),
        ],
    })
    .unwrap();
    opt.step(lr, &mut p).unwrap();
    let state = opt.state();
    let c = coefficients(lr, betas, eps, t, l2, decoupled);
    let (mut w, mut m, mut v) = (c0.w, c0.m, c0.v);
    for i in 0..n {
        reference(
            &c,
            &mut w[i],
            c0.g[i],
            &mut m[i],
            &mut v[i],
            l2 != 0.0,
            decoupled != 0.0,
        );
    }
    let want = [
        DMatrix::from_vec(n, 1, w),
        DMatrix::from_vec(n, 1, m),
        DMatrix::from_vec(n, 1, v),
    ];
    let got = [&p[0].value, &state.buffers[0].1, &state.buffers[1].1];
    for (what, (got, want)) in ["w", "m", "v"].iter().zip(got.iter().zip(&want)) {
        let (g, w) = (bits(got), bits(want));
        if let Some(i) = (0..n).find(|&i| g[i] != w[i]) {
            panic!(
                "{name}: {what}[{i}] is {:e} ({:#010x}), the f32 operations give {:e} ({:#010x})",
                f32::from_bits(g[i]),
                g[i],
                f32::from_bits(w[i]),
                w[i]
            );
        }
    }
}

#[test]
fn subnormal_moments_get_the_bits_of_the_f32_operations() {
    for lr in [1e-3, 0.5, 1e-9] {
        check(
            "adam",
            Box::new(Adam::new()),
            lr,
            (0.9, 0.999),
            1e-8,
            0.0,
            0.0,
        );
    }
    check(
        "adam, betas (0.6, 0.99), eps 1e-3",
        Box::new(Adam::new().with_betas(0.6, 0.99).with_eps(1e-3)),
        1e-2,
        (0.6, 0.99),
        1e-3,
        0.0,
        0.0,
    );
    // The other lerp form (weight 1 − β₁ ≥ ½), eps 0, weight decay.
    check(
        "adam, beta1 0.3",
        Box::new(Adam::new().with_betas(0.3, 0.999)),
        1e-3,
        (0.3, 0.999),
        1e-8,
        0.0,
        0.0,
    );
    check(
        "adam, eps 0",
        Box::new(Adam::new().with_eps(0.0)),
        1e-3,
        (0.9, 0.999),
        0.0,
        0.0,
        0.0,
    );
    check(
        "adam, weight decay",
        Box::new(Adam::new().with_weight_decay(1e-2)),
        1e-3,
        (0.9, 0.999),
        1e-8,
        1e-2,
        0.0,
    );
    check(
        "adamw",
        Box::new(AdamW::new().with_weight_decay(1e-2)),
        1e-3,
        (0.9, 0.999),
        1e-8,
        0.0,
        1e-2,
    );
}

#[test]
fn a_moment_decays_through_the_subnormal_range_bit_for_bit() {
    // One gradient, then zeros: m decays by 0.9 a step into the subnormal
    // range and down to its fixed points (k·2⁻¹⁴⁹ with k ≤ 5, where
    // 0.1·k rounds to zero: such a moment never reaches zero, in PyTorch
    // either), while v stays normal.
    let n = 64;
    let mut opt = Adam::<f32>::new();
    let mut p = vec![Param::new(
        "p",
        DMatrix::from_fn(n, 1, |i, _| 0.25 + i as f32 * 0.01),
    )];
    p[0].grad = DMatrix::from_fn(n, 1, |i, _| {
        if i % 3 == 0 {
            0.0
        } else {
            1e-3 * (i as f32 - 30.0)
        }
    });
    opt.step(1e-3, &mut p).unwrap();
    let state = opt.state();
    let (mut w, mut m, mut v) = (
        p[0].value.as_slice().to_vec(),
        state.buffers[0].1.as_slice().to_vec(),
        state.buffers[1].1.as_slice().to_vec(),
    );
    p[0].grad.fill(0.0);
    let mut seen_subnormal = 0;
    for t in 2..=1200u64 {
        opt.step(1e-3, &mut p).unwrap();
        let c = coefficients(1e-3, (0.9, 0.999), 1e-8, t, 0.0, 0.0);
        for i in 0..n {
            reference(&c, &mut w[i], 0.0, &mut m[i], &mut v[i], false, false);
        }
        seen_subnormal += m.iter().filter(|x| x.is_subnormal()).count();
        let state = opt.state();
        assert_eq!(
            bits(&p[0].value),
            w.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "w at step {t}"
        );
        assert_eq!(
            bits(&state.buffers[0].1),
            m.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "m at step {t}"
        );
        assert_eq!(
            bits(&state.buffers[1].1),
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "v at step {t}"
        );
    }
    assert!(seen_subnormal > 1000, "{seen_subnormal}");
    assert!(m.iter().all(|&x| x.to_bits() & 0x7fff_ffff <= 5), "{m:?}");
}
