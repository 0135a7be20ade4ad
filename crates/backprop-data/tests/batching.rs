//! Mini-batch order, batch assembly, splits and scaling.

use backprop_data::{Batcher, DataError, Dataset, Features, PixelScale, SHUFFLE_STREAM, Scaler};
use backprop_tensor::{DMatrix, rng};
use rand::seq::SliceRandom;

fn epoch_batches(b: &mut Batcher, epoch: usize) -> Vec<Vec<usize>> {
    b.epoch(epoch);
    let mut out = Vec::new();
    while let Some(batch) = b.next_batch() {
        out.push(batch.to_vec());
    }
    out
}

#[test]
fn every_sample_exactly_once_per_epoch() {
    for &(len, bs) in &[
        (1, 1),
        (1, 7),
        (10, 1),
        (10, 3),
        (10, 5),
        (10, 10),
        (10, 11),
        (97, 8),
        (1000, 64),
        (60_000 / 7, 128),
    ] {
        for shuffle in [false, true] {
            let mut b = Batcher::new(len, bs, shuffle, 5).unwrap();
            for epoch in 0..3 {
                let batches = epoch_batches(&mut b, epoch);
                assert_eq!(batches.len(), len.div_ceil(bs), "len {len} bs {bs}");
                assert_eq!(batches.len(), b.batches_per_epoch());
                // All full but the last, which holds the remainder.
                for (k, batch) in batches.iter().enumerate() {
                    let expected = if k + 1 < batches.len() {
                        bs
                    } else {
                        len - bs * (batches.len() - 1)
                    };
                    assert_eq!(batch.len(), expected, "len {len} bs {bs} batch {k}");
                }
                let mut seen: Vec<usize> = batches.concat();
                if !shuffle {
                    assert_eq!(seen, (0..len).collect::<Vec<_>>());
                }
                seen.sort_unstable();
                assert_eq!(
                    seen,
                    (0..len).collect::<Vec<_>>(),
                    "len {len} bs {bs} epoch {epoch}"
                );
                assert!(b.next_batch().is_none(), "epoch stays finished");
            }
        }
    }
}

#[test]
fn order_depends_on_seed_and_epoch_only() {
    let mut a = Batcher::new(500, 32, true, 1234).unwrap();
    let mut b = Batcher::new(500, 32, true, 1234).unwrap();
    let e0 = epoch_batches(&mut a, 0);
    assert_eq!(e0, epoch_batches(&mut b, 0), "same seed, same order");
    let e1 = epoch_batches(&mut a, 1);
    assert_ne!(e0, e1, "a new epoch reshuffles");
    assert_ne!(e0.concat(), (0..500).collect::<Vec<_>>(), "shuffled at all");
    // Epoch 5 straight away equals epoch 5 after epochs 0..5: resumable.
    for e in 2..5 {
        epoch_batches(&mut a, e);
    }
    let mut fresh = Batcher::new(500, 32, true, 1234).unwrap();
    assert_eq!(epoch_batches(&mut a, 5), epoch_batches(&mut fresh, 5));
    // The documented recipe: a shuffle of 0..len with stream `epoch` of the
    // shuffling domain, which is not the stream (seed, l) a layer starts from.
    let mut expected: Vec<usize> = (0..500).collect();
    expected.shuffle(&mut rng::stream(rng::derive_seed(1234, SHUFFLE_STREAM), 5));
    let mut layer_stream: Vec<usize> = (0..500).collect();
    layer_stream.shuffle(&mut rng::stream(1234, 5));
    assert_ne!(expected, layer_stream);
    assert_eq!(fresh.order(), expected.as_slice());
    // Another seed, another order; the batch size does not change the order.
    let mut c = Batcher::new(500, 32, true, 4321).unwrap();
    assert_ne!(epoch_batches(&mut c, 0), e0);
    let mut d = Batcher::new(500, 7, true, 1234).unwrap();
    assert_eq!(epoch_batches(&mut d, 0).concat(), e0.concat());
}

#[test]
fn resuming_mid_epoch() {
    let mut a = Batcher::new(100, 16, true, 9).unwrap();
    let full = epoch_batches(&mut a, 3);
    let mut b = Batcher::new(100, 16, true, 9).unwrap();
    b.epoch(3);
    b.skip_batches(4);
    assert_eq!(b.batches_done(), 4);
    assert_eq!(b.current_epoch(), 3);
    let mut rest = Vec::new();
    while let Some(batch) = b.next_batch() {
        rest.push(batch.to_vec());
    }
    assert_eq!(rest, full[4..]);
}

#[test]
fn batcher_rejects_zero_batch_and_empty_data() {
    assert!(matches!(
        Batcher::new(10, 0, true, 0),
        Err(DataError::ZeroBatchSize)
    ));
    assert!(matches!(
        Batcher::new(0, 8, true, 0),
        Err(DataError::EmptyDataset { .. })
    ));
}

fn images() -> Dataset {
    // Four 3-pixel images; labels 0..3.
    Dataset::from_u8(
        vec![0, 51, 255, 102, 153, 204, 255, 0, 1, 10, 20, 30],
        3,
        vec![0, 1, 2, 1],
        3,
    )
    .unwrap()
}

#[test]
fn fill_batch_scales_u8_pixels_into_columns() {
    let mut ds = images();
    let mut x = DMatrix::<f32>::zeros(0, 0);
    let mut y = Vec::new();
    ds.fill_batch(&[1, 3, 0], &mut x, &mut y).unwrap();
    assert_eq!(x.shape(), (3, 3));
    assert_eq!(y, vec![1, 1, 0]);
    let expect = |p: u8| p as f32 / 255.0;
    assert_eq!(
        x.column(0).as_slice(),
        &[expect(102), expect(153), expect(204)]
    );
    assert_eq!(
        x.column(1).as_slice(),
        &[expect(10), expect(20), expect(30)]
    );
    assert_eq!(x.column(2).as_slice(), &[0.0, 0.2, 1.0]);

    ds.set_pixel_scale(PixelScale::MNIST).unwrap();
    let mut x64 = DMatrix::<f64>::zeros(0, 0);
    ds.fill_batch(&[2], &mut x64, &mut y).unwrap();
    let std = |p: f64| (p / 255.0 - 0.1307) / 0.3081;
    for (got, want) in x64.iter().zip([std(255.0), std(0.0), std(1.0)]) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert_eq!(y, vec![2]);
    // f32 and f64 batches agree to f32 rounding.
    ds.fill_batch(&[2], &mut x, &mut y).unwrap();
    for (a, b) in x.iter().zip(x64.iter()) {
        assert_eq!(*a, *b as f32);
    }
}

#[test]
fn fill_batch_reuses_buffers_and_rejects_bad_indices() {
    let ds = images();
    let mut x = DMatrix::<f32>::zeros(0, 0);
    let mut y = Vec::new();
    ds.fill_batch(&[0, 1, 2, 3], &mut x, &mut y).unwrap();
    let (xp, yp) = (x.as_ptr(), y.as_ptr());
    // A smaller last batch, then a full one again: no reallocation.
    ds.fill_batch(&[3], &mut x, &mut y).unwrap();
    assert_eq!((x.shape(), y.len()), ((3, 1), 1));
    ds.fill_batch(&[3, 2, 1, 0], &mut x, &mut y).unwrap();
    assert_eq!((x.as_ptr(), y.as_ptr()), (xp, yp));
    assert_eq!(y, vec![1, 2, 1, 0]);

    let before = x.clone();
    let e = ds.fill_batch(&[0, 4], &mut x, &mut y).unwrap_err();
    assert!(
        matches!(e, DataError::IndexOutOfRange { index: 4, len: 4 }),
        "{e}"
    );
    assert_eq!(x, before, "untouched on error");
}

#[test]
fn f32_features_and_one_hot_targets() {
    let ds = Dataset::from_f32(vec![1.0, -2.0, 0.5, 3.0], 2, vec![1, 0], 2).unwrap();
    let mut x = DMatrix::<f64>::zeros(0, 0);
    let mut y = DMatrix::<f64>::zeros(0, 0);
    ds.fill_features(&[1, 0, 1], &mut x).unwrap();
    assert_eq!(
        x,
        DMatrix::from_column_slice(2, 3, &[0.5, 3.0, 1.0, -2.0, 0.5, 3.0])
    );
    ds.fill_targets(&[1, 0, 1], &mut y).unwrap();
    assert_eq!(
        y,
        DMatrix::from_column_slice(2, 3, &[1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    );
}

fn numbered(n: usize) -> Dataset {
    Dataset::from_f32(
        (0..n).map(|i| i as f32).collect(),
        1,
        (0..n).map(|i| i % 3).collect(),
        3,
    )
    .unwrap()
}

fn ids(ds: &Dataset) -> Vec<usize> {
    match ds.features() {
        Features::F32(v) => v.iter().map(|&x| x as usize).collect(),
        Features::U8 { .. } => unreachable!(),
    }
}

#[test]
fn split_is_a_seeded_partition() {
    let ds = numbered(100);
    let (train, val) = ds.split(0.2, 11).unwrap();
    assert_eq!((train.len(), val.len()), (80, 20));
    let (t, v) = (ids(&train), ids(&val));
    assert!(
        t.windows(2).all(|w| w[0] < w[1]) && v.windows(2).all(|w| w[0] < w[1]),
        "original order kept"
    );
    let mut all = [t.clone(), v.clone()].concat();
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>(), "disjoint and complete");
    assert_eq!(
        train.labels(),
        t.iter().map(|i| i % 3).collect::<Vec<_>>().as_slice(),
        "labels follow samples"
    );
    assert_ne!(v, (80..100).collect::<Vec<_>>(), "random, not the tail");
    let (_, again) = ds.split(0.2, 11).unwrap();
    assert_eq!(ids(&again), v, "same seed, same split");
    let (_, other) = ds.split(0.2, 12).unwrap();
    assert_ne!(ids(&other), v);
}

#[test]
fn split_fraction_errors() {
    let ds = numbered(10);
    for f in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
        let e = ds.split(f, 0).unwrap_err();
        assert!(matches!(e, DataError::InvalidFraction { .. }), "{f}: {e}");
        assert!(
            e.to_string()
                .starts_with("validation fraction must be in (0, 1), found"),
            "{e}"
        );
    }
    // Valid fractions that would leave one side empty.
    assert!(matches!(
        ds.split(0.01, 0),
        Err(DataError::SplitTooSmall { .. })
    ));
    assert!(matches!(
        ds.split(0.99, 0),
        Err(DataError::SplitTooSmall { .. })
    ));
    assert!(matches!(
        numbered(1).split(0.5, 0),
        Err(DataError::SplitTooSmall { .. })
    ));
}

#[test]
fn scaler_fitted_on_train_applies_to_test() {
    // Feature 0: 1, 2, 3 (mean 2, std √(2/3)); feature 1: constant 5.
    let train = Dataset::from_f32(vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0], 2, vec![0, 1, 0], 2).unwrap();
    let mut test = Dataset::from_f32(vec![4.0, 5.0, 2.0, 7.0], 2, vec![1, 0], 2).unwrap();
    let s = Scaler::fit_standardize(&train).unwrap();
    let std = (2.0f64 / 3.0).sqrt();
    assert_eq!(s.offsets(), &[2.0, 5.0]);
    assert!((s.scales()[0] - std).abs() < 1e-12);
    assert_eq!(s.scales()[1], 1.0, "constant feature: divide by 1");
    s.apply(&mut test).unwrap();
    let Features::F32(v) = test.features() else {
        panic!("f32 features")
    };
    let want = [(2.0 / std) as f32, 0.0, 0.0, 2.0];
    for (a, b) in v.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{v:?} vs {want:?}");
    }
    assert!(v.iter().all(|x| x.is_finite()));

    // The training set itself becomes mean 0 (and std 1 where not constant).
    let mut t = train.clone();
    s.apply(&mut t).unwrap();
    let Features::F32(v) = t.features() else {
        panic!("f32 features")
    };
    let f0: Vec<f32> = v.iter().step_by(2).copied().collect();
    assert!(f0.iter().sum::<f32>().abs() < 1e-6);
    assert!((f0.iter().map(|x| x * x).sum::<f32>() / 3.0 - 1.0).abs() < 1e-6);

    let mm = Scaler::fit_min_max(&train).unwrap();
    let mut test = Dataset::from_f32(vec![4.0, 5.0, 2.0, 7.0], 2, vec![1, 0], 2).unwrap();
    mm.apply(&mut test).unwrap();
    assert!(matches!(test.features(), Features::F32(v) if v == &[1.5, 0.0, 0.5, 2.0]));

    // Images are scaled with PixelScale, not a Scaler.
    let mut img = images();
    assert!(matches!(
        Scaler::fit_standardize(&img),
        Err(DataError::WrongKind { .. })
    ));
    assert!(matches!(
        s.apply(&mut img),
        Err(DataError::FeatureCountMismatch { .. } | DataError::WrongKind { .. })
    ));
}

#[test]
fn batches_assembled_on_several_threads_match_one_thread() {
    use backprop_tensor::threads;
    // 300 samples of 50 pixels; batches large enough to be cut for threads
    // (at least 32 samples), with odd sizes so the last cut is short.
    let n = 300;
    let pixels: Vec<u8> = (0..n * 50).map(|i| (i * 37 % 256) as u8).collect();
    let mut ds = Dataset::from_u8(pixels, 50, (0..n).map(|i| i % 10).collect(), 10).unwrap();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng::seeded(7));
    for scale in [PixelScale::Unit, PixelScale::MNIST] {
        ds.set_pixel_scale(scale).unwrap();
        for batch in [1, 33, 64, 257] {
            let indices = &order[..batch];
            let mut expected = Vec::new();
            for t in [1, 2, 3, 8] {
                threads::set_num_threads(t);
                let (mut x, mut y) = (DMatrix::<f32>::zeros(0, 0), Vec::new());
                ds.fill_batch(indices, &mut x, &mut y).unwrap();
                assert_eq!(x.shape(), (50, batch));
                assert_eq!(y, indices.iter().map(|&i| i % 10).collect::<Vec<_>>());
                // Column j holds sample indices[j], whatever thread wrote it.
                for (j, &i) in indices.iter().enumerate() {
                    let mut one = DMatrix::<f32>::zeros(0, 0);
                    ds.fill_features(&[i], &mut one).unwrap();
                    assert_eq!(
                        x.column(j),
                        one.column(0),
                        "{scale:?} batch {batch} on {t} threads"
                    );
                }
                if t == 1 {
                    expected = x.as_slice().to_vec();
                } else {
                    assert!(x.as_slice() == expected.as_slice(), "{t} threads");
                }
            }
        }
    }
    threads::set_num_threads(1);
}
