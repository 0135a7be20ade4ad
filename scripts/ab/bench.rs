//! The in-process A/B benchmark behind `scripts/ab.sh`: the same workload
//! run through two builds of backprop's crates linked into one binary —
//! `old` (a revision, renamed `abold-*` by ab.sh) and `new` (the working
//! tree) — alternated round after round, so that the machine's drift
//! between processes (±10–20 % on a shared 2-vCPU guest) cancels out of the
//! per-round ratio `new / old`.
//!
//! Usage: `ab-bench CASE [--rounds R] [--threads T] [--block-ms MS] [--cpu-time]`
//! with CASE one of `mlp64`, `mlp256` (a training step of 784-128-64-10,
//! Adam, f32, batch 64 / 256), `sgd64` (the same at batch 64 with SGD,
//! momentum 0.9), `infer1`, `infer1000` (a forward pass),
//! `lenet64`, `lenet256` (a LeNet-5 training step), `gemm:M,K,N` (one `f32`
//! product `C = A·B`), `gemmnt:M,K,N` (`C = A·Bᵀ`, `B` stored N×K, as a
//! weight's gradient is computed), `gemmtn:M,K,N` (`C = Aᵀ·B`, `A` stored
//! K×M, as a layer's input gradient `dA = Wᵀ·dZ` is), `sgd:N` (one SGD step, momentum 0.9, on a single
//! parameter of N elements), `adam:N`, `rmsprop:N` (the same with Adam,
//! RMSprop), `adamz:N` (Adam on N elements, a third of whose gradients are
//! zero and whose moments there have decayed to subnormal numbers),
//! `finite:N` (`ops::all_finite` on N elements), `digits64`, `digits256`,
//! `digits1`, `digits1000`, `digits:M,K,N`, `digitsnt:M,K,N` (the MLP cases and the
//! products with digit-like inputs: four-fifths zeros, a new batch each
//! step).
//! Prints one line per round and a summary, the last line JSON.
//!
//! `--cpu-time` (one thread only) times the calling thread's time on a CPU
//! (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`) instead of the wall clock:
//! on a loaded machine the time the thread waits for a core drops out,
//! what the other processes do to the caches does not.

use std::hint::black_box;
use std::time::Instant;

/// Everything a case needs, written once against a crate set `$t` (tensor),
/// `$l` (layers), `$s` (losses), `$o` (optim).
macro_rules! side {
    ($name:ident, $t:ident, $l:ident, $s:ident, $o:ident) => {
        mod $name {
            use $l::{Mode, Sequential};
            use $o::{Adam, Optimizer, RmsProp, Sgd};
            use $s::{Loss, SoftmaxCrossEntropy, Target};
            use $t::{DMatrix, Parameters};

            pub fn set_threads(n: usize) {
                $t::threads::set_num_threads(n);
            }

            fn mlp() -> Sequential<f32> {
                Sequential::builder(784)
                    .seed(0)
                    .dense(128)
                    .relu()
                    .dense(64)
                    .relu()
                    .dense(10)
                    .build()
                    .unwrap()
            }

            fn lenet() -> Sequential<f32> {
                Sequential::<f32>::builder([1, 28, 28])
                    .seed(0)
                    .conv2d(6, 5)
                    .padding(2)
                    .relu()
                    .max_pool2d(2)
                    .conv2d(16, 5)
                    .relu()
                    .max_pool2d(2)
                    .flatten()
                    .dense(120)
                    .relu()
                    .dense(84)
                    .relu()
                    .dense(10)
                    .build()
                    .unwrap()
            }

            fn input(rows: usize, batch: usize) -> DMatrix<f32> {
                DMatrix::from_fn(rows, batch, |i, j| ((i * 37 + j * 11) % 251) as f32 / 251.0)
            }

            /// A batch of `batch` digit-like images of `rows` pixels (28
            /// a row): a ring whose radius and centre vary with the sample
            /// (`first` is the first sample's number), values in (0, 1],
            /// the rest zeros (one pixel in five lit, as in MNIST, and
            /// whole runs of zeros around it).
            fn digits_from(rows: usize, batch: usize, first: usize) -> DMatrix<f32> {
                DMatrix::from_fn(rows, batch, |i, j| {
                    let s = first + j;
                    let (dr, dc) = ((s * 7 % 5) as f32 - 2.0, (s * 3 % 5) as f32 - 2.0);
                    let r = (i % 784 / 28) as f32 - 13.5 - dr;
                    let c = (i % 28) as f32 - 13.5 - dc;
                    let radius = 5.0 + (s % 5) as f32;
                    let off = ((r * r + c * c).sqrt() - radius).abs();
                    if off < 1.6 { 1.0 - off / 2.0 } else { 0.0 }
                })
            }

            fn digits(rows: usize, batch: usize) -> DMatrix<f32> {
                digits_from(rows, batch, 0)
            }

            /// A closure that runs one unit of work (a step, a call).
            pub fn case(name: &str) -> Box<dyn FnMut()> {
                // One product: `gemm:M,K,N` is C = A·B; `gemmnt:M,K,N` is
                // C = A·Bᵀ with B stored N×K, as a weight's gradient
                // dW = dZ·Xᵀ is computed (K: the batch); `gemmtn:M,K,N` is
                // C = Aᵀ·B with A stored K×M, as dA = Wᵀ·dZ.
                // `digits:M,K,N` and `digitsnt:M,K,N`: the same with B
                // digit-like images (mostly zeros).
                let product = [
                    ("gemm:", 'n', input as fn(usize, usize) -> DMatrix<f32>),
                    ("gemmnt:", 't', input),
                    ("gemmtn:", 'a', input),
                    ("digits:", 'n', digits),
                    ("digitsnt:", 't', digits),
                ]
                .into_iter()
                .find_map(|(prefix, op, fill)| {
                    name.strip_prefix(prefix).map(|dims| (dims, op, fill))
                });
                if let Some((dims, op, fill)) = product {
                    let d: Vec<usize> = dims.split(',').map(|v| v.parse().unwrap()).collect();
                    let a = if op == 'a' { input(d[1], d[0]) } else { input(d[0], d[1]) };
                    let b = if op == 't' { fill(d[2], d[1]) } else { fill(d[1], d[2]) };
                    let mut c = DMatrix::zeros(0, 0);
                    return Box::new(move || {
                        match op {
                            't' => $t::ops::matmul_nt_into(&a, &b, &mut c).unwrap(),
                            'a' => $t::ops::matmul_tn_into(&a, &b, &mut c).unwrap(),
                            _ => $t::ops::matmul_into(&a, &b, &mut c).unwrap(),
                        }
                        std::hint::black_box(&c);
                    });
                }
                // One optimizer step on a single parameter of n elements:
                // the optimizer's element-wise pass alone (SGD with momentum
                // 0.9, Adam and RMSprop with their defaults).
                let optimizer: Option<(&str, Box<dyn Optimizer<f32>>)> =
                    if let Some(n) = name.strip_prefix("sgd:") {
                        Some((n, Box::new(Sgd::momentum(0.9))))
                    } else if let Some(n) = name.strip_prefix("adam:") {
                        Some((n, Box::new(Adam::new())))
                    } else if let Some(n) = name.strip_prefix("rmsprop:") {
                        Some((n, Box::new(RmsProp::new())))
                    } else {
                        None
                    };
                if let Some((n, mut opt)) = optimizer {
                    let n: usize = n.parse().unwrap();
                    let mut p = vec![$t::Param::new("w", input(n, 1))];
                    p[0].grad = input(n, 1);
                    return Box::new(move || {
                        opt.step(1e-9, &mut p).unwrap();
                        std::hint::black_box(&p);
                    });
                }
                if let Some(n) = name.strip_prefix("adamz:") {
                    // Adam on n elements whose gradient is zero on every
                    // third block of 128 (an MNIST pixel column that no
                    // sample of the batch lights): after the warm-up their
                    // first moments sit at subnormal fixed points (0.1·m
                    // rounds to zero), as in a long MNIST run, where the
                    // processor's slow path for subnormals doubles Adam's
                    // pass over the first weight.
                    let n: usize = n.parse().unwrap();
                    let live = DMatrix::from_fn(n, 1, |i, _| {
                        if (i / 128) % 3 == 0 {
                            0.0
                        } else {
                            ((i * 11) % 253) as f32 / 2530.0 - 0.05
                        }
                    });
                    let mut p = vec![$t::Param::new("w", input(n, 1))];
                    // One step where every gradient is live, so that every
                    // moment starts non-zero; then the zero blocks decay.
                    p[0].grad = DMatrix::from_element(n, 1, 1e-3);
                    let mut opt = Adam::new();
                    opt.step(1e-3, &mut p).unwrap();
                    p[0].grad = live;
                    for _ in 0..1500 {
                        opt.step(1e-3, &mut p).unwrap();
                    }
                    return Box::new(move || {
                        opt.step(1e-3, &mut p).unwrap();
                        std::hint::black_box(&p);
                    });
                }
                if let Some(n) = name.strip_prefix("finite:") {
                    // `ops::all_finite` on n elements (the trainer's check of
                    // a gradient).
                    let g = input(n.parse().unwrap(), 1);
                    return Box::new(move || {
                        assert!(std::hint::black_box($t::ops::all_finite(g.as_slice())));
                    });
                }
                let (net, rows, batch, train) = match name {
                    "mlp64" => (mlp(), 784, 64, true),
                    "mlp256" => (mlp(), 784, 256, true),
                    "sgd64" => (mlp(), 784, 64, true),
                    "infer1" => (mlp(), 784, 1, false),
                    "infer1000" => (mlp(), 784, 1000, false),
                    "digits64" => (mlp(), 784, 64, true),
                    "digits256" => (mlp(), 784, 256, true),
                    "digits1" => (mlp(), 784, 1, false),
                    "digits1000" => (mlp(), 784, 1000, false),
                    "lenet64" => (lenet(), 784, 64, true),
                    "lenet256" => (lenet(), 784, 256, true),
                    other => panic!("unknown case {other:?}"),
                };
                let mut net = net;
                // Digit batches change from step to step, as in training
                // (a branch predictor must not learn one batch's zeros).
                let xs: Vec<DMatrix<f32>> = if name.starts_with("digits") {
                    (0..16).map(|b| digits_from(rows, batch, b * batch)).collect()
                } else {
                    vec![input(rows, batch)]
                };
                let mut step = 0;
                let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
                let mut opt: Box<dyn Optimizer<f32>> = if name.starts_with("sgd") {
                    Box::new(Sgd::momentum(0.9))
                } else {
                    Box::new(Adam::new())
                };
                let mut grad = DMatrix::zeros(0, 0);
                Box::new(move || {
                    let x = &xs[step % xs.len()];
                    step += 1;
                    if train {
                        let out = net.forward(x, Mode::Train).unwrap();
                        SoftmaxCrossEntropy
                            .loss_and_gradient(out, Target::Classes(&labels), &mut grad)
                            .unwrap();
                        net.zero_grad();
                        net.backward(x, &grad).unwrap();
                        assert!(net.grads_finite());
                        opt.step(1e-4, &mut net).unwrap();
                    } else {
                        std::hint::black_box(net.forward(x, Mode::Eval).unwrap()[0]);
                    }
                })
            }
        }
    };
}

side!(old, abold_tensor, abold_layers, abold_losses, abold_optim);
side!(
    new,
    backprop_tensor,
    backprop_layers,
    backprop_losses,
    backprop_optim
);

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Whether `time` reads the thread's CPU time (`--cpu-time`).
static CPU_TIME: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The calling thread's time on a CPU so far, in seconds:
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, which brings the kernel's count
/// up to date on every call (`/proc/thread-self/schedstat` does not: it moves
/// only at scheduler ticks and switches, so a short calibration block read 0
/// and sized the blocks at `usize::MAX` calls).
fn thread_cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    /// Linux's clock id for the calling thread's CPU time.
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `struct timespec` (two 64-bit
    // fields on 64-bit Linux), and the clock id is a constant of the ABI.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(
        rc, 0,
        "--cpu-time needs clock_gettime(CLOCK_THREAD_CPUTIME_ID)"
    );
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Seconds per call of `f` over `iters` calls: wall clock, or the calling
/// thread's CPU time with `--cpu-time`.
fn time(f: &mut dyn FnMut(), iters: usize) -> f64 {
    if CPU_TIME.load(std::sync::atomic::Ordering::Relaxed) {
        let t = thread_cpu_seconds();
        for _ in 0..iters {
            f();
        }
        return black_box((thread_cpu_seconds() - t) / iters as f64);
    }
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    black_box(t.elapsed().as_secs_f64() / iters as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut case = None;
    let (mut rounds, mut threads, mut block_ms) = (21usize, 2usize, 150.0f64);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().expect("missing value").clone();
        match a.as_str() {
            "--rounds" => rounds = val().parse().unwrap(),
            "--threads" => threads = val().parse().unwrap(),
            "--block-ms" => block_ms = val().parse().unwrap(),
            "--cpu-time" => CPU_TIME.store(true, std::sync::atomic::Ordering::Relaxed),
            c => case = Some(c.to_string()),
        }
    }
    let case = case.unwrap_or_else(|| "mlp64".into());
    let cpu_time = CPU_TIME.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        !cpu_time || threads == 1,
        "--cpu-time counts the calling thread only: use --threads 1"
    );
    old::set_threads(threads);
    new::set_threads(threads);
    let mut sides: [Box<dyn FnMut()>; 2] = [old::case(&case), new::case(&case)];
    // Warm up both (allocations, helper threads, caches) and size the
    // blocks so that each takes about `block_ms`.
    let mut per_call: f64 = 0.0;
    for f in sides.iter_mut() {
        time(f.as_mut(), 3);
        per_call = per_call.max(time(f.as_mut(), 10));
    }
    let iters = ((block_ms / 1e3 / per_call).ceil() as usize).max(3);
    println!(
        "case {case}, {threads} threads, {rounds} rounds of {iters} calls per side, order alternating{}",
        if cpu_time { ", thread CPU time" } else { "" }
    );
    let (mut t_old, mut t_new, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let mut t = [0.0; 2];
        let order = if r % 2 == 0 { [0, 1] } else { [1, 0] };
        for &s in &order {
            t[s] = time(sides[s].as_mut(), iters);
        }
        println!(
            "round {r:2}: old {:9.2} µs  new {:9.2} µs  new/old {:.4}",
            t[0] * 1e6,
            t[1] * 1e6,
            t[1] / t[0]
        );
        t_old.push(t[0]);
        t_new.push(t[1]);
        ratios.push(t[1] / t[0]);
    }
    let (mo, mn) = (median(&mut t_old), median(&mut t_new));
    let mr = median(&mut ratios);
    let (lo, hi) = (ratios[0], ratios[ratios.len() - 1]);
    let q = |p: f64| ratios[((ratios.len() - 1) as f64 * p).round() as usize];
    println!(
        "median: old {:.2} µs, new {:.2} µs; new/old median {:.4} (quartiles {:.4}–{:.4}, range {:.4}–{:.4})",
        mo * 1e6,
        mn * 1e6,
        mr,
        q(0.25),
        q(0.75),
        lo,
        hi
    );
    println!(
        "{{\"case\":\"{case}\",\"threads\":{threads},\"rounds\":{rounds},\"iters\":{iters},\"old_us\":{:.3},\"new_us\":{:.3},\"ratio_median\":{mr:.4},\"ratio_q1\":{:.4},\"ratio_q3\":{:.4},\"ratio_min\":{lo:.4},\"ratio_max\":{hi:.4}}}",
        mo * 1e6,
        mn * 1e6,
        q(0.25),
        q(0.75)
    );
}
