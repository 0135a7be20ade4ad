//! Gzip bombs: a few megabytes that expand to gigabytes. The IDX reader
//! stops at what the header declares (and refuses a header declaring more
//! than its limit), reads only the samples asked for, and counts trailing
//! data only up to a bound; the CSV reader stops at a documented limit.
//! The bombs are built in memory by repeating one deflate block, so the
//! tests neither compress nor decompress gigabytes.

mod common;

use backprop_data::idx::{
    IdxLimits, MAX_IDX_BYTES, TRAILING_COUNT_LIMIT, read_idx_images, read_idx_images_with,
    read_idx_labels,
};
use backprop_data::{DataError, Mnist, mnist};
use common::{TempDir, gzip, images, labels};
use flate2::{Compress, Compression, FlushCompress};

/// A gzip member whose data is `mib` MiB of zeros, about 1 KB per MiB:
/// one deflate block of 1 MiB of zeros, ending on a byte boundary (a sync
/// flush), repeated; then an empty final block and a trailer whose CRC is
/// wrong (a reader that stops early never sees it).
fn zeros_gz(mib: usize) -> Vec<u8> {
    let mut block = Vec::with_capacity(1 << 16);
    let mut c = Compress::new(Compression::best(), false);
    c.compress_vec(&vec![0u8; 1 << 20], &mut block, FlushCompress::Sync)
        .unwrap();
    assert!(block.ends_with(&[0, 0, 0xff, 0xff]), "byte-aligned block");
    let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..mib {
        v.extend_from_slice(&block);
    }
    v.extend_from_slice(&[0x03, 0x00]); // final fixed block: end of block
    v.extend_from_slice(&[0; 4]); // CRC-32 (wrong)
    v.extend_from_slice(&((mib as u32) << 20).to_be_bytes()); // size mod 2^32 (wrong order)
    v
}

/// An IDX header, gzipped, followed by a bomb member (gzip streams concatenate).
fn header_then_zeros(dims: &[u32], mib: usize) -> Vec<u8> {
    let mut header = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        header.extend_from_slice(&d.to_be_bytes());
    }
    let mut v = gzip(&header);
    v.extend(zeros_gz(mib));
    v
}

#[test]
fn a_header_declaring_more_than_the_limit_is_refused_before_decompressing() {
    let dir = TempDir::new("bomb-declared");
    // 6,000,000 images of 28×28: 4.7 GB declared, and really there (4.5 MiB
    // of gzip), as in the report of issue 13.
    let path = dir.write(
        "train-images-idx3-ubyte.gz",
        &header_then_zeros(&[6_000_000, 28, 28], 4500),
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 6 << 20);
    let e = read_idx_images(&path).unwrap_err();
    assert!(
        matches!(
            &e,
            DataError::IdxLimit {
                declared: 4_704_000_000,
                max_bytes: MAX_IDX_BYTES,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the header declares dimensions [6000000, 28, 28], 4704000000 bytes of data, more than the limit \
             of 2147483648 bytes (IdxLimits::max_bytes raises it; IdxLimits::max_samples reads only the first samples)",
            path.display()
        )
    );
    // With max_samples, only the first images are decompressed.
    let limits = IdxLimits {
        max_samples: Some(500),
        ..IdxLimits::default()
    };
    let first = read_idx_images_with(&path, &limits).unwrap();
    assert_eq!((first.count, first.rows, first.cols), (500, 28, 28));
    assert_eq!(first.pixels.len(), 500 * 784);
}

#[test]
fn trailing_zeros_are_counted_only_up_to_a_bound() {
    let dir = TempDir::new("bomb-trailing");
    // Three labels, then 4 GiB of zeros the header never declared.
    let mut bytes = gzip(&labels(&[1, 2, 3]));
    bytes.extend(zeros_gz(4096));
    let path = dir.write("labels.gz", &bytes);
    let e = read_idx_labels(&path).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxTrailing {
                extra: TRAILING_COUNT_LIMIT,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().ends_with(
            "trailing data: expected 3 bytes of label data, found at least 1048576 more"
        ),
        "{e}"
    );
}

#[test]
fn mnist_with_a_sample_limit_reads_only_that_much_of_a_bomb() {
    let dir = TempDir::new("bomb-mnist");
    dir.write(
        &format!("{}.gz", mnist::TRAIN_IMAGES),
        &header_then_zeros(&[6_000_000, 28, 28], 4500),
    );
    dir.write(
        &format!("{}.gz", mnist::TRAIN_LABELS),
        &header_then_zeros(&[6_000_000], 6),
    );
    dir.write(mnist::TEST_IMAGES, &images(4, 28, 28));
    dir.write(mnist::TEST_LABELS, &labels(&[0, 1, 2, 9]));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(matches!(e, DataError::IdxLimit { .. }), "{e:?}");
    let limits = IdxLimits {
        max_samples: Some(500),
        ..IdxLimits::default()
    };
    let m = Mnist::load_with(dir.path(), &limits).unwrap();
    assert_eq!((m.train.len(), m.test.len(), m.n_classes()), (500, 4, 10));
}
