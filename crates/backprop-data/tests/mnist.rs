//! `Mnist::load` on the real files in the repository's `data/mnist`.

use backprop_data::{Batcher, Features, Mnist, PixelScale};
use backprop_tensor::DMatrix;
use std::path::PathBuf;

fn mnist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

#[test]
fn loads_the_real_mnist() {
    let mut m = Mnist::load(mnist_dir()).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    assert_eq!((m.rows, m.cols), (28, 28));
    assert_eq!(
        (m.n_features(), m.train.n_features(), m.test.n_features()),
        (784, 784, 784)
    );
    assert_eq!((m.n_classes(), m.test.n_classes()), (10, 10));

    // The well-known class frequencies of MNIST.
    assert_eq!(
        m.train.class_counts(),
        vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        m.test.class_counts(),
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );

    // Pixels: every byte used, mean ≈ 0.1307 after /255, the usual constant.
    let Features::U8 { data, .. } = m.train.features() else {
        panic!("MNIST pixels are u8")
    };
    assert_eq!(data.len(), 60_000 * 784);
    let mean = data.iter().map(|&p| u64::from(p)).sum::<u64>() as f64 / data.len() as f64 / 255.0;
    assert!((mean - 0.1307).abs() < 5e-4, "pixel mean {mean}");

    // A standardised batch from a shuffled epoch: 784 × 64, finite, labels in range.
    m.set_pixel_scale(PixelScale::MNIST).unwrap();
    let mut batches = Batcher::new(m.train.len(), 64, true, 0).unwrap();
    let (mut x, mut y) = (DMatrix::<f32>::zeros(0, 0), Vec::new());
    let idx = batches.next_batch().unwrap();
    m.train.fill_batch(idx, &mut x, &mut y).unwrap();
    assert_eq!(x.shape(), (784, 64));
    assert!(y.iter().all(|&l| l < 10));
    let (lo, hi) = (
        PixelScale::MNIST.apply(0) as f32,
        PixelScale::MNIST.apply(255) as f32,
    );
    assert!(x.iter().all(|&v| v >= lo && v <= hi));
    assert!(x.iter().any(|&v| v == hi) && x.iter().any(|&v| v == lo));
}
