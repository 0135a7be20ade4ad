//! What web/data ships: the MNIST subset reads as IDX with the counts its
//! README gives, and the shipped model loads into the engine and reads the
//! subset's digits.

use backprop_web::Engine;
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::PathBuf;

fn gunzip(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name);
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(&path).expect("shipped file"))
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// (pixels, labels) of a subset, checking the IDX headers.
fn subset(which: &str, n: usize) -> (Vec<u8>, Vec<u8>) {
    let images = gunzip(&format!("mnist-{which}-images-idx3-ubyte.gz"));
    let labels = gunzip(&format!("mnist-{which}-labels-idx1-ubyte.gz"));
    assert_eq!(be32(&images, 0), 0x0803, "{which} images magic");
    assert_eq!(
        [be32(&images, 4), be32(&images, 8), be32(&images, 12)],
        [n as u32, 28, 28]
    );
    assert_eq!(images.len(), 16 + n * 784);
    assert_eq!((be32(&labels, 0), be32(&labels, 4)), (0x0801, n as u32));
    assert_eq!(labels.len(), 8 + n);
    assert!(labels[8..].iter().all(|&l| l < 10));
    (images[16..].to_vec(), labels[8..].to_vec())
}

#[test]
fn the_subset_is_10000_training_and_1000_test_digits() {
    let (_, train) = subset("train", 10_000);
    let (_, test) = subset("test", 1_000);
    for d in 0..10u8 {
        assert!(train.iter().filter(|&&l| l == d).count() > 800, "digit {d}");
        assert!(test.iter().filter(|&&l| l == d).count() > 80, "digit {d}");
    }
}

#[test]
fn the_shipped_model_reads_the_subsets_digits() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/mnist-model.safetensors");
    let mut e = Engine::load(&std::fs::read(path).expect("model file")).expect("load");
    assert_eq!(e.config().layers, vec![784, 128, 64, 10]);
    let (pixels, labels) = subset("test", 1_000);
    let mut correct = 0;
    for (img, &label) in pixels.chunks_exact(784).zip(&labels) {
        let p = e.predict_pixels(img).expect("predict");
        let best = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
        correct += usize::from(best == usize::from(label));
    }
    // examples/mnist reaches 0.98 on the whole test set.
    assert!(correct >= 960, "{correct}/1000 right");
    // It trains on: the subset through set_images, one epoch.
    let (tp, tl) = subset("test", 1_000);
    e.set_images(&tp, &tl, &[], &[]).expect("images");
    let r = e.epoch().expect("epoch");
    assert!(r.accuracy > 0.9, "{r:?}");
}
