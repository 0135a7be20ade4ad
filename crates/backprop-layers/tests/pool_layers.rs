//! MaxPool2d, AvgPool2d, BatchNorm2d and Dropout2d against naive loops
//! written independently (an explicitly padded image scanned window by
//! window; BatchNorm1d on the channels' values laid out as rows), in f32 and
//! f64, and their builder methods, shape errors and random streams.

use backprop_layers::{
    AvgPool2d, BatchNorm1d, BatchNorm2d, Dropout2d, Layer, LayerError, MaxPool2d, Mode, PoolWindow,
    Sequential, Shape,
};
use backprop_tensor::{DMatrix, Scalar, rng::seeded};
use rand::Rng;

/// `[C, H, W]` samples as one column each, PyTorch's order.
fn random<T: Scalar>(rows: usize, cols: usize, seed: u64) -> DMatrix<T> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(-2.0..2.0)))
}

/// Small integers: windows with ties everywhere.
fn integers<T: Scalar>(rows: usize, cols: usize, seed: u64) -> DMatrix<T> {
    let mut rng = seeded(seed);
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(0..3) as f64))
}

/// The cases: input `[C, H, W]`, window; LeNet's, odd sizes, non-square kernels,
/// strides above and below the kernel, padding.
fn cases() -> Vec<([usize; 3], PoolWindow)> {
    vec![
        ([6, 28, 28], PoolWindow::new(2)),
        ([16, 10, 10], PoolWindow::new(2)),
        ([1, 7, 5], PoolWindow::new(2)),
        ([2, 7, 6], PoolWindow::new(2).with_padding(1)),
        (
            [2, 7, 6],
            PoolWindow::new((3, 2))
                .with_stride((2, 1))
                .with_padding((1, 0)),
        ),
        ([3, 5, 9], PoolWindow::new(3).with_stride(1).with_padding(1)),
        (
            [2, 6, 7],
            PoolWindow::new((2, 4)).with_stride(3).with_padding((1, 2)),
        ),
        ([1, 4, 4], PoolWindow::new(4)),
        ([2, 3, 3], PoolWindow::new(1).with_stride(2)),
    ]
}

/// One pooling pass the slow way: the sample padded with `pad` into an
/// explicit `(H+2p) × (W+2p)` image per channel, every window scanned
/// entirely; returns the outputs, the positions each output came from
/// (`None` for padding) and their weights.
struct Naive {
    out: Vec<f64>,
    /// For max: the input row of each output's maximum.
    argmax: Vec<usize>,
    /// For avg: the input rows each output averages (real positions only).
    windows: Vec<Vec<usize>>,
}

fn naive(x: &[f64], [c, h, w]: [usize; 3], win: PoolWindow, max: bool) -> Naive {
    let (kh, kw) = win.kernel.tuple();
    let (sh, sw) = win.stride.tuple();
    let (ph, pw) = win.padding.tuple();
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    let (oh, ow) = ((hp - kh) / sh + 1, (wp - kw) / sw + 1);
    let mut r = Naive {
        out: vec![],
        argmax: vec![],
        windows: vec![],
    };
    for ch in 0..c {
        // The padded image: (value, input row) or padding.
        let mut padded = vec![None; hp * wp];
        for i in 0..h {
            for j in 0..w {
                let row = (ch * h + i) * w + j;
                padded[(i + ph) * wp + j + pw] = Some((x[row], row));
            }
        }
        for oy in 0..oh {
            for ox in 0..ow {
                let taps: Vec<Option<(f64, usize)>> = (0..kh)
                    .flat_map(|a| (0..kw).map(move |b| (a, b)))
                    .map(|(a, b)| padded[(oy * sh + a) * wp + ox * sw + b])
                    .collect();
                let real: Vec<(f64, usize)> = taps.iter().flatten().copied().collect();
                if max {
                    // The first largest real value in scan order.
                    let best = real.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
                    let at = real.iter().find(|t| t.0 == best).unwrap().1;
                    r.out.push(best);
                    r.argmax.push(at);
                } else {
                    // Padding is 0 and counts: divide by the whole window.
                    let sum: f64 = taps.iter().map(|t| t.map_or(0.0, |t| t.0)).sum();
                    r.out.push(sum / taps.len() as f64);
                    r.windows.push(real.iter().map(|t| t.1).collect());
                }
            }
        }
    }
    r
}

fn close<T: Scalar>(a: &[T], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let e = (x.as_f64() - y).abs();
        assert!(e <= tol * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

fn pools_match_naive_loops<T: Scalar>(tol: f64) {
    for (k, (shape, win)) in cases().into_iter().enumerate() {
        let n_in: usize = shape.iter().product();
        for (batch, ties) in [(1, false), (3, false), (2, true)] {
            let seed = 10 * k as u64 + batch as u64;
            let x: DMatrix<T> = if ties {
                integers(n_in, batch, seed)
            } else {
                random(n_in, batch, seed)
            };
            let mut maxp = MaxPool2d::new(shape, win).unwrap();
            let mut avgp = AvgPool2d::new(shape, win).unwrap();
            let out_shape = Layer::<T>::output_shape(&maxp, &Shape::new(shape)).unwrap();
            let n_out = out_shape.len();
            let dy: DMatrix<T> = random(n_out, batch, seed + 5);
            for (max, layer) in [
                (true, &mut maxp as &mut dyn Layer<T>),
                (false, &mut avgp as &mut dyn Layer<T>),
            ] {
                let what = format!("{} {shape:?} {win:?} batch {batch}", layer.name());
                let mut y = DMatrix::zeros(0, 0);
                layer.forward(&x, &mut y, Mode::Train).unwrap();
                assert_eq!(y.shape(), (n_out, batch), "{what}");
                let mut dx = DMatrix::zeros(0, 0);
                layer.backward(&x, &y, &dy, Some(&mut dx)).unwrap();
                for j in 0..batch {
                    let xs: Vec<f64> = x.column(j).iter().map(|v| v.as_f64()).collect();
                    let r = naive(&xs, shape, win, max);
                    close(y.column(j).as_slice(), &r.out, tol, &what);
                    // Backward: route (max) or spread (avg) each dy by hand.
                    let mut want = vec![0.0; n_in];
                    for (o, d) in dy.column(j).iter().enumerate() {
                        if max {
                            want[r.argmax[o]] += d.as_f64();
                        } else {
                            for &i in &r.windows[o] {
                                want[i] += d.as_f64() / (win.kernel.h * win.kernel.w) as f64;
                            }
                        }
                    }
                    close(dx.column(j).as_slice(), &want, tol, &format!("d {what}"));
                }
            }
            assert_eq!(maxp.argmax().len(), n_out * batch);
        }
    }
}

#[test]
fn pools_match_naive_loops_f32() {
    pools_match_naive_loops::<f32>(1e-6);
}

#[test]
fn pools_match_naive_loops_f64() {
    pools_match_naive_loops::<f64>(1e-14);
}

/// The pools cut their passes between threads by whole samples: one thread
/// and three give the same bits.
#[test]
fn pools_give_the_same_bits_on_any_number_of_threads() {
    use backprop_tensor::threads;
    let shape = [6, 28, 28];
    let x = random::<f32>(4704, 64, 1);
    let dy = random::<f32>(1176, 64, 2);
    let run = |n| {
        threads::set_num_threads(n);
        let mut out = Vec::new();
        let layers: [Box<dyn Layer<f32>>; 2] = [
            Box::new(MaxPool2d::new(shape, PoolWindow::new(2)).unwrap()),
            Box::new(AvgPool2d::new(shape, PoolWindow::new(2)).unwrap()),
        ];
        for mut layer in layers {
            let (mut y, mut dx) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
            layer.forward(&x, &mut y, Mode::Train).unwrap();
            layer.backward(&x, &y, &dy, Some(&mut dx)).unwrap();
            out.push((y, dx));
        }
        out
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(2));
}

/// BatchNorm2d on `[C, H, W]` samples is BatchNorm1d on a `C × (m·H·W)`
/// matrix whose columns are the pixels of every sample.
fn as_rows<T: Scalar>(x: &DMatrix<T>, c: usize) -> DMatrix<T> {
    let s = x.nrows() / c;
    DMatrix::from_fn(c, x.ncols() * s, |ch, k| x[(ch * s + k % s, k / s)])
}

fn batch_norm2d_is_batch_norm1d_over_pixels<T: Scalar>(tol: f64) {
    let (c, s) = (3, 5 * 4);
    for batch in [1, 4] {
        let mut bn2 = BatchNorm2d::<T>::new(c).unwrap();
        let mut bn1 = BatchNorm1d::<T>::new(c).unwrap();
        // The same non-trivial γ and β in both.
        let gamma = random::<T>(c, 1, 3).add_scalar(T::of(1.5));
        let beta = random::<T>(c, 1, 4);
        for bn in [&mut bn2 as &mut dyn Layer<T>, &mut bn1] {
            bn.visit_params_mut(&mut |p| {
                p.value = if p.name() == "weight" {
                    gamma.clone()
                } else {
                    beta.clone()
                }
            });
        }
        for (step, mode) in [Mode::Train, Mode::Train, Mode::Eval]
            .into_iter()
            .enumerate()
        {
            let x = random::<T>(c * s, batch, 20 + step as u64).add_scalar(T::of(0.7));
            let dy = random::<T>(c * s, batch, 30 + step as u64);
            let (mut y2, mut y1, mut dx2, mut dx1) = (
                DMatrix::zeros(0, 0),
                DMatrix::zeros(0, 0),
                DMatrix::zeros(0, 0),
                DMatrix::zeros(0, 0),
            );
            bn2.forward(&x, &mut y2, mode).unwrap();
            bn1.forward(&as_rows(&x, c), &mut y1, mode).unwrap();
            let what = format!("batch {batch} pass {step} {mode:?}");
            close(as_rows(&y2, c).as_slice(), &f64s(&y1), tol, &what);
            bn2.backward(&x, &y2, &dy, Some(&mut dx2)).unwrap();
            bn1.backward(&as_rows(&x, c), &y1, &as_rows(&dy, c), Some(&mut dx1))
                .unwrap();
            close(as_rows(&dx2, c).as_slice(), &f64s(&dx1), tol, &what);
            close(
                bn2.running_mean().as_slice(),
                &f64s(bn1.running_mean()),
                tol,
                &what,
            );
            close(
                bn2.running_var().as_slice(),
                &f64s(bn1.running_var()),
                tol,
                &what,
            );
        }
        let grads = |bn: &dyn Layer<T>| {
            let mut g = Vec::new();
            bn.visit_params(&mut |p| g.extend(p.grad.iter().map(|v| v.as_f64())));
            g
        };
        let g1 = grads(&bn1);
        close(
            &grads(&bn2).iter().map(|&v| T::of(v)).collect::<Vec<_>>(),
            &g1,
            tol,
            "γ, β",
        );
        let mut count = Vec::new();
        bn2.visit_buffers(&mut |name, b| count.push((name.to_string(), b[0].as_f64())));
        assert_eq!(count[2], ("num_batches_tracked".to_string(), 2.0));
    }
}

fn f64s<T: Scalar>(m: &DMatrix<T>) -> Vec<f64> {
    m.iter().map(|v| v.as_f64()).collect()
}

#[test]
fn batch_norm2d_is_batch_norm1d_over_pixels_f32() {
    batch_norm2d_is_batch_norm1d_over_pixels::<f32>(2e-5);
}

#[test]
fn batch_norm2d_is_batch_norm1d_over_pixels_f64() {
    batch_norm2d_is_batch_norm1d_over_pixels::<f64>(1e-12);
}

#[test]
fn batch_norm2d_running_statistics_by_hand() {
    // One sample of [1, 2, 2]: 1, 2, 3, 6; mean 3, unbiased var 14/3.
    let mut bn = BatchNorm2d::<f64>::new(1).unwrap();
    let x = DMatrix::from_column_slice(4, 1, &[1.0, 2.0, 3.0, 6.0]);
    let mut y = DMatrix::zeros(0, 0);
    bn.forward(&x, &mut y, Mode::Train).unwrap();
    assert!((bn.running_mean()[0] - 0.3).abs() < 1e-15);
    assert!((bn.running_var()[0] - (0.9 + 1.4 / 3.0)).abs() < 1e-15);
    // A single value per channel cannot be normalised in training.
    let e = bn
        .forward(&DMatrix::zeros(1, 1), &mut y, Mode::Train)
        .unwrap_err();
    assert!(
        e.to_string().contains("more than 1 value per channel"),
        "{e}"
    );
    let e = bn
        .forward(&DMatrix::zeros(0, 3), &mut y, Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("channels"), "{e}");
    let mut bn3 = BatchNorm2d::<f32>::new(3).unwrap();
    let e = bn3.forward(
        &DMatrix::zeros(10, 2),
        &mut DMatrix::zeros(0, 0),
        Mode::Eval,
    );
    assert!(e.unwrap_err().to_string().contains("found 10 rows"));
}

#[test]
fn dropout2d_zeroes_whole_channels_seeded_and_unbiased() {
    let (c, s, m) = (8, 6, 200);
    let x = DMatrix::from_element(c * s, m, 1.0_f64);
    let run = |seed| {
        let mut d = Dropout2d::<f64>::new(c, 0.25, seed).unwrap();
        let mut y = DMatrix::zeros(0, 0);
        d.forward(&x, &mut y, Mode::Train).unwrap();
        (y, d)
    };
    let (y, d) = run(1);
    assert_eq!(y, run(1).0);
    assert_ne!(y, run(2).0);
    assert_eq!(d.mask().shape(), (c, m));
    for j in 0..m {
        for ch in 0..c {
            let map: Vec<f64> = (0..s).map(|i| y[(ch * s + i, j)]).collect();
            assert!(map.iter().all(|&v| v == d.mask()[(ch, j)]), "{map:?}");
        }
    }
    let kept = d.mask().iter().filter(|&&v| v > 0.0).count() as f64 / (c * m) as f64;
    assert!((kept - 0.75).abs() < 0.05, "kept {kept}");
    assert!((y.mean() - 1.0).abs() < 0.1, "mean {}", y.mean());
    assert!(d.mask().iter().all(|&v| v == 0.0 || v == 1.0 / 0.75));
    // Backward applies the same mask.
    let mut d = d;
    let mut dx = DMatrix::zeros(0, 0);
    d.backward(&x, &y, &x, Some(&mut dx)).unwrap();
    assert_eq!(dx, y);
    // The stream resumes where it was: the second mask of seed 1.
    let (mut a, mut b) = (run(1).1, Dropout2d::<f64>::new(c, 0.25, 0).unwrap());
    let (seed, draws) = Layer::<f64>::rng_state(&a).unwrap();
    Layer::<f64>::set_rng_state(&mut b, seed, draws);
    let (mut ya, mut yb) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    a.forward(&x, &mut ya, Mode::Train).unwrap();
    b.forward(&x, &mut yb, Mode::Train).unwrap();
    assert_eq!(ya, yb);
    assert_ne!(ya, y);
    // Evaluation is the identity.
    a.forward(&x, &mut ya, Mode::Eval).unwrap();
    assert_eq!(ya, x);
    assert!(Dropout2d::<f32>::new(3, 1.0, 0).is_err());
    assert!(Dropout2d::<f32>::new(0, 0.5, 0).is_err());
}

#[test]
fn builder_methods_shapes_and_errors() {
    let net = Sequential::<f32>::builder([1, 28, 28])
        .max_pool2d(2)
        .batch_norm2d()
        .dropout2d(0.2)
        .avg_pool2d((3, 2))
        .stride(1)
        .padding((1, 0))
        .flatten()
        .dense(4)
        .build()
        .unwrap();
    let shapes: Vec<String> = net.shapes().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        shapes,
        [
            "(1, 14, 14)",
            "(1, 14, 14)",
            "(1, 14, 14)",
            "(1, 14, 13)",
            "(182)",
            "(4)"
        ]
    );
    let kinds: Vec<&str> = net.layers().iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds[..4],
        ["max_pool2d", "batch_norm2d", "dropout2d", "avg_pool2d"]
    );
    let mut names = Vec::new();
    net.visit_params(&mut |p| names.push(p.name().to_string()));
    assert_eq!(names, ["1.weight", "1.bias", "5.weight", "5.bias"]);
    let summary = net.summary();
    assert!(
        summary.contains("max_pool2d") && summary.contains("(batch, 1, 14, 13)"),
        "{summary}"
    );

    let err = |b: backprop_layers::SequentialBuilder<f32>| b.build().unwrap_err().to_string();
    let b = || Sequential::<f32>::builder([3, 5, 5]);
    assert_eq!(
        err(b().max_pool2d(6)),
        "layer 0 (max_pool2d): max_pool2d: the kernel 6×6 is larger than the padded input 5×5 (5×5 with padding 0×0)"
    );
    assert!(
        err(b().max_pool2d(2).padding(2))
            .contains("padding 2×2 must be at most half the kernel 2×2")
    );
    assert!(err(b().avg_pool2d(2).stride(0)).contains("the stride must be positive, found 0×0"));
    assert!(err(b().max_pool2d(2).dilation(2)).contains("max_pool2d takes no dilation"));
    assert!(err(b().flatten().max_pool2d(2)).contains("(channels, height, width), found (75)"));
    assert!(err(b().flatten().batch_norm2d()).contains("(channels, height, width), found (75)"));
    assert!(err(b().flatten().dropout2d(0.5)).contains("(channels, height, width), found (75)"));
    assert!(err(b().dropout2d(1.5)).contains("[0, 1)"));
    // A pool built for one shape refuses another.
    let pool = MaxPool2d::new([3, 5, 5], PoolWindow::new(2)).unwrap();
    let e = Layer::<f32>::output_shape(&pool, &Shape::new([3, 6, 5])).unwrap_err();
    assert!(matches!(e, LayerError::InputShape { .. }), "{e}");
}
