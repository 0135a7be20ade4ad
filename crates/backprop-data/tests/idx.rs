//! The IDX reader and `Mnist::load` on small files written into a temp dir.

mod common;

use backprop_data::idx::{IdxImages, read_idx, read_idx_images, read_idx_labels};
use backprop_data::mnist::{IdxRole, IdxSetError};
use backprop_data::{DataError, Mnist, PixelScale};
use common::{TempDir, gzip, idx, images, labels};

#[test]
fn valid_raw_file() {
    let dir = TempDir::new("raw");
    let p = dir.write("train-images-idx3-ubyte", &images(3, 2, 2));
    let img = read_idx_images(&p).unwrap();
    assert_eq!(
        img,
        IdxImages {
            count: 3,
            rows: 2,
            cols: 2,
            pixels: (0..12).collect()
        }
    );
    let p = dir.write("labels", &labels(&[7, 0, 9]));
    assert_eq!(read_idx_labels(&p).unwrap(), vec![7, 0, 9]);
    let any = read_idx(&p).unwrap();
    assert_eq!(any.dims, vec![3]);
}

#[test]
fn gzip_detected_by_content_not_name() {
    let dir = TempDir::new("gz");
    let raw = images(4, 3, 5);
    let expected = read_idx_images(dir.write("plain", &raw)).unwrap();
    // Gzip under a name without .gz, and under a name with it.
    let a = read_idx_images(dir.write("no-suffix", &gzip(&raw))).unwrap();
    let b = read_idx_images(dir.write("with-suffix.gz", &gzip(&raw))).unwrap();
    assert_eq!(a, expected);
    assert_eq!(b, expected);
    // And a raw file named .gz is read as raw.
    let c = read_idx_images(dir.write("lying.gz", &raw)).unwrap();
    assert_eq!(c, expected);
}

#[test]
fn truncated_payload_names_path_and_sizes() {
    let dir = TempDir::new("trunc");
    let mut bytes = images(3, 2, 2);
    bytes.truncate(bytes.len() - 2);
    let p = dir.write("train-images-idx3-ubyte", &bytes);
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxTruncated {
                expected: 12,
                found: 10,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: truncated: expected 12 bytes of pixel data, found 10",
            p.display()
        )
    );

    // The same inside a valid gzip stream.
    let p = dir.write("train-images-idx3-ubyte.gz", &gzip(&bytes));
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("truncated: expected 12 bytes of pixel data, found 10"),
        "{e}"
    );

    // A label file cut inside its header.
    let p = dir.write("labels", &labels(&[1, 2, 3])[..6]);
    let e = read_idx_labels(&p).unwrap_err();
    assert!(
        e.to_string()
            .contains("expected 4 bytes of dimension sizes, found 2"),
        "{e}"
    );
}

#[test]
fn cut_gzip_stream_is_an_error_not_a_panic() {
    let dir = TempDir::new("cutgz");
    let gz = gzip(&images(50, 10, 10));
    for cut in [3, 10, gz.len() / 2, gz.len() - 4] {
        let p = dir.write("cut", &gz[..cut]);
        let e = read_idx_images(&p).unwrap_err();
        assert!(
            matches!(e, DataError::Gzip { .. } | DataError::IdxTruncated { .. }),
            "cut at {cut}: unexpected error {e}"
        );
        assert!(e.to_string().contains(&p.display().to_string()), "{e}");
    }
}

#[test]
fn wrong_magic() {
    let dir = TempDir::new("magic");
    let mut bytes = images(1, 2, 2);
    bytes[0] = 0x50; // "PK..." or any non-IDX file
    bytes[1] = 0x4b;
    let p = dir.write("x", &bytes);
    let e = read_idx(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxMagic {
                found: [0x50, 0x4b, 0x08, 0x03],
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("expected magic bytes 00 00 <type> <ndims>, found 50 4b 08 03"),
        "{e}"
    );
}

#[test]
fn wrong_element_type() {
    let dir = TempDir::new("etype");
    let p = dir.write("floats", &idx(0x0D, &[1, 1], &[0, 0, 0, 0]));
    let e = read_idx(&p).unwrap_err();
    assert!(
        matches!(e, DataError::IdxElementType { found: 0x0D, .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("unsupported IDX element type 0x0d (float): expected 0x08 (unsigned byte)"),
        "{e}"
    );
}

#[test]
fn wrong_number_of_dimensions() {
    let dir = TempDir::new("ndims");
    let p = dir.write("labels-as-images", &labels(&[1, 2]));
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(e, DataError::IdxDimensions { found: 1, .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("expected 3 (count, rows, columns) dimension(s), found 1"),
        "{e}"
    );
    let p = dir.write("images-as-labels", &images(1, 1, 1));
    assert!(matches!(
        read_idx_labels(&p),
        Err(DataError::IdxDimensions { found: 3, .. })
    ));
}

#[test]
fn trailing_bytes() {
    let dir = TempDir::new("trail");
    let mut bytes = labels(&[1, 2, 3]);
    bytes.extend_from_slice(&[0, 0, 0, 0, 0]);
    let p = dir.write("labels", &bytes);
    let e = read_idx_labels(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxTrailing {
                expected: 3,
                extra: 5,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("trailing data: expected 3 bytes of label data, found 5 more"),
        "{e}"
    );
    let p = dir.write("labels.gz", &gzip(&bytes));
    assert!(matches!(
        read_idx_labels(&p),
        Err(DataError::IdxTrailing { extra: 5, .. })
    ));
}

#[test]
fn missing_file_names_the_path() {
    let dir = TempDir::new("missing");
    let p = dir.join("nope-idx3-ubyte");
    let e = read_idx_images(&p).unwrap_err();
    assert!(matches!(e, DataError::FileNotFound { .. }), "{e}");
    assert_eq!(e.to_string(), format!("{}: file not found", p.display()));
}

/// Writes a miniature MNIST directory: 5 training and 3 test images of 2×3.
fn mini_mnist(dir: &TempDir, gz: bool) {
    let enc = |b: Vec<u8>| if gz { gzip(&b) } else { b };
    let sfx = if gz { ".gz" } else { "" };
    dir.write(
        &format!("train-images-idx3-ubyte{sfx}"),
        &enc(images(5, 2, 3)),
    );
    dir.write(
        &format!("train-labels-idx1-ubyte{sfx}"),
        &enc(labels(&[0, 1, 2, 1, 0])),
    );
    // The test set deliberately stays uncompressed: mixing is fine.
    dir.write("t10k-images-idx3-ubyte", &images(3, 2, 3));
    dir.write("t10k-labels-idx1-ubyte", &labels(&[4, 0, 1]));
}

#[test]
fn mnist_load_on_a_miniature_directory() {
    for gz in [false, true] {
        let dir = TempDir::new("mini");
        mini_mnist(&dir, gz);
        let mut m = Mnist::load(dir.path()).unwrap();
        assert_eq!((m.train.len(), m.test.len()), (5, 3));
        assert_eq!((m.rows, m.cols, m.n_features()), (2, 3, 6));
        // The largest label of either set decides the number of classes.
        assert_eq!(m.n_classes(), 5);
        assert_eq!(m.test.n_classes(), 5);
        assert_eq!(m.train.labels(), &[0, 1, 2, 1, 0]);
        assert_eq!(m.train.class_counts(), vec![2, 2, 1, 0, 0]);
        assert_eq!(m.train.pixel_scale(), Some(PixelScale::Unit));
        m.set_pixel_scale(PixelScale::MNIST).unwrap();
        assert_eq!(m.test.pixel_scale(), Some(PixelScale::MNIST));
    }
}

#[test]
fn mnist_count_mismatch_between_images_and_labels() {
    let dir = TempDir::new("count");
    mini_mnist(&dir, false);
    dir.write("train-labels-idx1-ubyte", &labels(&[0, 1, 2, 1]));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxCountMismatch {
                n_images: 5,
                n_labels: 4,
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte: 5 images, but ")
            && msg.ends_with("train-labels-idx1-ubyte: 4 labels"),
        "{msg}"
    );
}

#[test]
fn mnist_image_sizes_must_agree() {
    let dir = TempDir::new("shape");
    mini_mnist(&dir, false);
    dir.write("t10k-images-idx3-ubyte", &images(3, 3, 2));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxShapeMismatch {
                train_shape: (2, 3),
                test_shape: (3, 2),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn mnist_missing_directory_and_missing_file() {
    let dir = TempDir::new("nodir");
    let missing = dir.join("not-here");
    let e = Mnist::load(&missing).unwrap_err();
    assert!(matches!(e, DataError::MissingDataDir { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&missing.display().to_string()) && msg.contains("pass --data DIR"),
        "{msg}"
    );

    mini_mnist(&dir, false);
    std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte")).unwrap();
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(
        matches!(
            &e,
            DataError::IdxSet(IdxSetError::Missing { missing, .. })
                if missing == &[IdxRole::TestLabels]
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains(
            "no file of the test labels beside train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte: \
             looked for t10k-labels-idx1-ubyte or t10k-labels.idx1-ubyte or test-labels-idx1-ubyte or test-labels.idx1-ubyte"
        ),
        "{e}"
    );
}

#[test]
fn mnist_empty_image_file_is_an_error() {
    let dir = TempDir::new("empty");
    mini_mnist(&dir, false);
    dir.write("train-images-idx3-ubyte", &images(0, 2, 3));
    dir.write("train-labels-idx1-ubyte", &labels(&[]));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(matches!(e, DataError::IdxEmpty { .. }), "{e}");
}
