//! The IDX reader, on its own and as MNIST's image/label pair.
//!
//! The whole input is decoded as one IDX array. Then, when it has at least
//! three bytes, it is read as `[mode, split_hi, split_lo, rest…]`: `rest` is
//! cut at `split` into an image file and a label file, which are
//! - (`mode` odd) written into a scratch directory as the four MNIST files
//!   and loaded with `Mnist::load` (the real file path: `read_idx_images`,
//!   `read_idx_labels`, count and shape checks, `Dataset::from_u8`), or
//! - (`mode` even) decoded in memory and turned into a dataset the way
//!   `Mnist::load` does, then batched and split.
//!
//! Every outcome must be `Ok` or a `DataError`; a panic is a crash.
#![no_main]

use backprop_data::idx::read_idx_bytes;
use backprop_data::{Dataset, Mnist, PixelScale, mnist};
use backprop_tensor::DMatrix;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("backprop-fuzz-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

fn exercise(ds: &Dataset) {
    let n = ds.len().min(64);
    let indices: Vec<usize> = (0..n).collect();
    let (mut x, mut y) = (DMatrix::<f32>::zeros(0, 0), Vec::new());
    ds.fill_batch(&indices, &mut x, &mut y)
        .expect("in-range indices of a valid dataset");
    assert_eq!(x.shape(), (ds.n_features(), n));
    assert_eq!(y.len(), n);
    let _ = ds.split(0.5, 1);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = read_idx_bytes(data, "fuzz.idx") {
        assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>());
    }
    let [mode, hi, lo, rest @ ..] = data else {
        return;
    };
    let split = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let (images, labels) = rest.split_at(split);

    if mode % 2 == 1 {
        let dir = scratch_dir();
        for (name, bytes) in [
            (mnist::TRAIN_IMAGES, images),
            (mnist::TRAIN_LABELS, labels),
            (mnist::TEST_IMAGES, images),
            (mnist::TEST_LABELS, labels),
        ] {
            std::fs::write(dir.join(name), bytes).expect("scratch file");
        }
        if let Ok(mut m) = Mnist::load(dir) {
            assert_eq!(m.n_features(), m.rows * m.cols);
            m.set_pixel_scale(PixelScale::MNIST).expect("a valid scale");
            exercise(&m.train);
        }
        return;
    }

    let (Ok(images), Ok(labels)) = (
        read_idx_bytes(images, "images"),
        read_idx_bytes(labels, "labels"),
    ) else {
        return;
    };
    let (&[_, rows, cols], &[_]) = (images.dims.as_slice(), labels.dims.as_slice()) else {
        return;
    };
    let n_classes = labels
        .data
        .iter()
        .copied()
        .max()
        .map_or(1, |m| usize::from(m) + 1);
    let labels: Vec<usize> = labels.data.iter().map(|&l| usize::from(l)).collect();
    let Some(features) = rows.checked_mul(cols) else {
        return;
    };
    if let Ok(ds) = Dataset::from_u8(images.data, features, labels, n_classes) {
        exercise(&ds);
    }
});
