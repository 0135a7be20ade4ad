//! The passes against a direct (naive loop) convolution and its gradients,
//! over strides, paddings, dilations, non-square kernels, odd sizes and
//! batches that leave a short last group; and bit-identity on 1 and more
//! threads.

use super::run::Cut;
use super::*;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn random(rows: usize, cols: usize, rng: &mut StdRng) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// The input value tap `(i, j)` of output `(oy, ox)` reads, if inside.
fn tap(g: &Conv2dGeometry, oy: usize, ox: usize, i: usize, j: usize) -> Option<(usize, usize)> {
    let (h, w) = g.input_size();
    let iy = (oy * g.stride().0 + i * g.dilation().0).checked_sub(g.padding().0)?;
    let ix = (ox * g.stride().1 + j * g.dilation().1).checked_sub(g.padding().1)?;
    (iy < h && ix < w).then_some((iy, ix))
}

/// `z[s][o, oy, ox] = b[o] + Σ_{c,i,j} W[o, c, i, j]·x[s][c, iy, ix]`, loop by loop.
fn naive_forward(
    g: &Conv2dGeometry,
    w: &DMatrix<f64>,
    b: &[f64],
    x: &DMatrix<f64>,
) -> DMatrix<f64> {
    let (c_in, (h, wd), (kh, kw), (oh, ow)) =
        (g.channels(), g.input_size(), g.kernel(), g.output_size());
    DMatrix::from_fn(g.output_len(), x.ncols(), |row, s| {
        let (o, oy, ox) = (row / (oh * ow), row / ow % oh, row % ow);
        let mut acc = b[o];
        for c in 0..c_in {
            for i in 0..kh {
                for j in 0..kw {
                    if let Some((iy, ix)) = tap(g, oy, ox, i, j) {
                        acc += w[(o, (c * kh + i) * kw + j)] * x[(c * h * wd + iy * wd + ix, s)];
                    }
                }
            }
        }
        acc
    })
}

/// dW, db and dX of `Σ dz ⊙ z`, loop by loop.
fn naive_backward(
    g: &Conv2dGeometry,
    w: &DMatrix<f64>,
    x: &DMatrix<f64>,
    dz: &DMatrix<f64>,
) -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let (c_in, (h, wd), (kh, kw), (oh, ow)) =
        (g.channels(), g.input_size(), g.kernel(), g.output_size());
    let o_n = g.out_channels();
    let mut dw = DMatrix::zeros(o_n, g.patch_len());
    let mut db = DMatrix::zeros(o_n, 1);
    let mut dx = DMatrix::zeros(g.input_len(), x.ncols());
    for s in 0..x.ncols() {
        for o in 0..o_n {
            for oy in 0..oh {
                for ox in 0..ow {
                    let d = dz[(o * oh * ow + oy * ow + ox, s)];
                    db[o] += d;
                    for c in 0..c_in {
                        for i in 0..kh {
                            for j in 0..kw {
                                if let Some((iy, ix)) = tap(g, oy, ox, i, j) {
                                    let (kk, xi) =
                                        ((c * kh + i) * kw + j, c * h * wd + iy * wd + ix);
                                    dw[(o, kk)] += d * x[(xi, s)];
                                    dx[(xi, s)] += d * w[(o, kk)];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (dw, db, dx)
}

type Case = (
    [usize; 3],
    usize,
    (usize, usize),
    (usize, usize),
    (usize, usize),
    (usize, usize),
    usize,
);

/// (input, out channels, kernel, stride, padding, dilation, batch).
const CASES: &[Case] = &[
    ([1, 5, 5], 1, (3, 3), (1, 1), (0, 0), (1, 1), 1),
    ([1, 28, 28], 6, (5, 5), (1, 1), (2, 2), (1, 1), 3),
    ([6, 14, 14], 16, (5, 5), (1, 1), (0, 0), (1, 1), 2),
    ([2, 7, 9], 3, (3, 2), (2, 3), (1, 2), (1, 1), 5),
    ([3, 9, 8], 4, (3, 3), (1, 2), (2, 1), (2, 3), 4),
    ([2, 6, 5], 5, (1, 4), (3, 1), (0, 3), (1, 1), 1),
    ([1, 4, 4], 2, (4, 4), (1, 1), (0, 0), (1, 1), 7),
    ([3, 11, 13], 2, (5, 3), (2, 2), (2, 1), (2, 1), 9),
    ([2, 10, 9], 5, (3, 2), (1, 1), (1, 2), (2, 3), 3),
    ([2, 7, 37], 3, (3, 5), (1, 1), (1, 2), (1, 1), 2),
    ([1, 4, 5], 2, (2, 2), (1, 1), (3, 3), (1, 1), 2),
];

fn geometry(c: &Case) -> Conv2dGeometry {
    Conv2dGeometry::new(c.0, c.1, c.2, c.3, c.4, c.5).unwrap()
}

#[test]
fn forward_matches_the_direct_convolution() {
    let mut rng = StdRng::seed_from_u64(1);
    for case in CASES {
        let g = geometry(case);
        let w = random(g.out_channels(), g.patch_len(), &mut rng);
        let b = random(g.out_channels(), 1, &mut rng);
        let x = random(g.input_len(), case.6, &mut rng);
        let mut z = DMatrix::from_element(1, 1, f64::NAN);
        let mut scratch = Conv2dScratch::default();
        forward(&g, &w, Some(&b), &x, &mut z, &mut scratch).unwrap();
        let expected = naive_forward(&g, &w, b.as_slice(), &x);
        assert!((&z - &expected).abs().max() < 1e-12, "{case:?}");
        forward(&g, &w, None, &x, &mut z, &mut scratch).unwrap();
        let expected = naive_forward(&g, &w, &vec![0.0; g.out_channels()], &x);
        assert!(
            (&z - &expected).abs().max() < 1e-12,
            "{case:?} without bias"
        );
    }
}

#[test]
fn backward_matches_the_direct_gradients() {
    let mut rng = StdRng::seed_from_u64(2);
    for case in CASES {
        let g = geometry(case);
        let w = random(g.out_channels(), g.patch_len(), &mut rng);
        let x = random(g.input_len(), case.6, &mut rng);
        let dz = random(g.output_len(), case.6, &mut rng);
        let (edw, edb, edx) = naive_backward(&g, &w, &x, &dz);
        // Gradients accumulate onto what is there; dX is overwritten.
        let dw0 = random(g.out_channels(), g.patch_len(), &mut rng);
        let db0 = random(g.out_channels(), 1, &mut rng);
        let (mut dw, mut db) = (dw0.clone(), db0.clone());
        let mut dx = DMatrix::from_element(2, 2, f64::NAN);
        let grads = Conv2dGrads {
            weight: &mut dw,
            bias: Some(&mut db),
            input: Some(&mut dx),
        };
        backward(&g, &w, &x, &dz, grads, &mut Conv2dScratch::default()).unwrap();
        assert!((&dw - &dw0 - &edw).abs().max() < 1e-12, "{case:?} dW");
        assert!((&db - &db0 - &edb).abs().max() < 1e-12, "{case:?} db");
        assert!((&dx - &edx).abs().max() < 1e-12, "{case:?} dX");
    }
}

#[test]
fn large_batches_are_bit_identical_on_one_and_two_threads() {
    // LeNet's second convolution at batch 64: several groups, parallel.
    let g = Conv2dGeometry::new([6, 14, 14], 16, (5, 5), (1, 1), (0, 0), (1, 1)).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let cast = |m: DMatrix<f64>| m.map(|v| v as f32);
    let w = cast(random(16, 150, &mut rng));
    let b = cast(random(16, 1, &mut rng));
    let x = cast(random(g.input_len(), 61, &mut rng));
    let dz = cast(random(g.output_len(), 61, &mut rng));
    let run = |threads: usize| {
        crate::threads::set_num_threads(threads);
        let mut scratch = Conv2dScratch::default();
        let mut z = DMatrix::zeros(0, 0);
        forward(&g, &w, Some(&b), &x, &mut z, &mut scratch).unwrap();
        let (mut dw, mut db, mut dx) = (
            DMatrix::zeros(16, 150),
            DMatrix::zeros(16, 1),
            DMatrix::zeros(0, 0),
        );
        let grads = Conv2dGrads {
            weight: &mut dw,
            bias: Some(&mut db),
            input: Some(&mut dx),
        };
        backward(&g, &w, &x, &dz, grads, &mut scratch).unwrap();
        (z, dw, db, dx)
    };
    let one = run(1);
    let two = run(2);
    let three = run(3);
    crate::threads::set_num_threads(1);
    assert!(Cut::new(&g, 61).groups >= 2);
    assert_eq!(one, two);
    assert_eq!(one, three);
}

#[test]
fn shapes_are_checked_and_named() {
    let g = Conv2dGeometry::new([2, 5, 5], 3, (3, 3), (1, 1), (0, 0), (1, 1)).unwrap();
    let mut s = Conv2dScratch::<f32>::default();
    let mut z = DMatrix::zeros(0, 0);
    let x = DMatrix::zeros(50, 2);
    let e = forward(&g, &DMatrix::zeros(3, 9), None, &x, &mut z, &mut s).unwrap_err();
    assert!(e.to_string().contains("expected 3×18, found 3×9"), "{e}");
    let w = DMatrix::zeros(3, 18);
    let e = forward(&g, &w, Some(&DMatrix::zeros(2, 1)), &x, &mut z, &mut s).unwrap_err();
    assert!(e.to_string().contains("expected 3×1, found 2×1"), "{e}");
    let e = forward(&g, &w, None, &DMatrix::zeros(49, 2), &mut z, &mut s).unwrap_err();
    assert!(e.to_string().contains("expected 50×2, found 49×2"), "{e}");
    let (mut dw, mut dx) = (DMatrix::zeros(3, 18), DMatrix::zeros(0, 0));
    let grads = Conv2dGrads {
        weight: &mut dw,
        bias: None,
        input: Some(&mut dx),
    };
    let e = backward(&g, &w, &x, &DMatrix::zeros(27, 3), grads, &mut s).unwrap_err();
    assert!(e.to_string().contains("expected 27×2, found 27×3"), "{e}");
    // An empty batch is fine and gives empty outputs.
    forward(&g, &w, None, &DMatrix::zeros(50, 0), &mut z, &mut s).unwrap();
    assert_eq!(z.shape(), (27, 0));
}

#[test]
fn geometry_refuses_what_does_not_fit() {
    let e = |r: Result<Conv2dGeometry, crate::TensorError>| r.unwrap_err().to_string();
    assert!(
        e(Conv2dGeometry::new(
            [1, 5, 5],
            2,
            (3, 3),
            (0, 1),
            (0, 0),
            (1, 1)
        ))
        .contains("stride must be positive")
    );
    assert!(
        e(Conv2dGeometry::new(
            [0, 5, 5],
            2,
            (3, 3),
            (1, 1),
            (0, 0),
            (1, 1)
        ))
        .contains("input channels")
    );
    assert!(
        e(Conv2dGeometry::new(
            [1, 5, 5],
            2,
            (3, 3),
            (1, 1),
            (0, 0),
            (3, 1)
        ))
        .contains("(dilated: 7×3) does not fit in the input 5×5")
    );
    assert!(
        e(Conv2dGeometry::new(
            [1, 5, 5],
            2,
            (3, 3),
            (1, 1),
            (usize::MAX, 0),
            (1, 1)
        ))
        .contains("overflow")
    );
    // Exactly fitting is fine: one output.
    let g = Conv2dGeometry::new([1, 5, 5], 2, (7, 7), (3, 3), (1, 1), (1, 1)).unwrap();
    assert_eq!(g.output_size(), (1, 1));
}

/// `f32` takes the implicit path on AVX2 CPUs (both orientations, one or
/// more blocks of channels; AVX2 and AVX-512 kernels, which must agree bit
/// for bit) and the im2col path elsewhere; either agrees with the direct
/// convolution to `f32` rounding.
#[test]
fn f32_passes_match_the_direct_convolution() {
    use super::direct::{Direct, Orientation};
    let mut rng = StdRng::seed_from_u64(4);
    let mut seen = std::collections::HashSet::new();
    for case in CASES {
        for out in [case.1, 7, 11, 17] {
            let g = Conv2dGeometry::new(case.0, out, case.2, case.3, case.4, case.5).unwrap();
            seen.insert(Direct::new::<f32>(&g).map(|d| (d.orientation, out > 16)));
            let (o, k, batch) = (g.out_channels(), g.patch_len(), case.6);
            // f32 values, and the same values in f64 for the reference.
            let rounded = |m: DMatrix<f64>| m.map(|v| v as f32 as f64);
            let (w, b) = (
                rounded(random(o, k, &mut rng)),
                rounded(random(o, 1, &mut rng)),
            );
            let x = rounded(random(g.input_len(), batch, &mut rng));
            let dz = rounded(random(g.output_len(), batch, &mut rng));
            let f = |m: &DMatrix<f64>| m.map(|v| v as f32);
            let (dw0, db0) = (f(&random(o, k, &mut rng)), f(&random(o, 1, &mut rng)));
            // Both kernel sets where the CPU has AVX-512: the same bits.
            let run = |avx2_only: bool| {
                super::kernels::set_avx2_only(avx2_only);
                let mut scratch = Conv2dScratch::default();
                let mut z = DMatrix::zeros(0, 0);
                forward(&g, &f(&w), Some(&f(&b)), &f(&x), &mut z, &mut scratch).unwrap();
                let (mut dw, mut db, mut dx) = (dw0.clone(), db0.clone(), DMatrix::zeros(0, 0));
                let grads = Conv2dGrads {
                    weight: &mut dw,
                    bias: Some(&mut db),
                    input: Some(&mut dx),
                };
                backward(&g, &f(&w), &f(&x), &f(&dz), grads, &mut scratch).unwrap();
                super::kernels::set_avx2_only(false);
                (z, dw, db, dx)
            };
            let (z, dw, db, dx) = run(false);
            let avx2 = run(true);
            assert!(
                z == avx2.0 && dw == avx2.1 && db == avx2.2 && dx == avx2.3,
                "{case:?} O={out}: AVX-512 and AVX2 differ"
            );
            let close = |got: &DMatrix<f32>, want: &DMatrix<f64>, what: &str| {
                let tol = 2e-6 * (k.max(g.positions() * batch) as f64);
                for (a, e) in got.iter().zip(want.iter()) {
                    assert!(
                        (*a as f64 - e).abs() <= tol * (1.0 + e.abs()),
                        "{case:?} O={out} {what}: {a} vs {e}"
                    );
                }
            };
            close(&z, &naive_forward(&g, &w, b.as_slice(), &x), "Z");
            let (edw, edb, edx) = naive_backward(&g, &w, &x, &dz);
            let sub = |a: &DMatrix<f32>, b: &DMatrix<f32>| a.zip_map(b, |p, q| p - q);
            close(&sub(&dw, &dw0), &edw, "dW");
            close(&sub(&db, &db0), &edb, "db");
            close(&dx, &edx, "dX");
        }
    }
    if super::kernels::isa().is_some() {
        for want in [
            Some((Orientation::Channels, false)),
            Some((Orientation::Channels, true)),
            Some((Orientation::Positions, false)),
            None,
        ] {
            assert!(seen.contains(&want), "{want:?} not covered: {seen:?}");
        }
    }
}
