//! A reader for the IDX format of the MNIST files, raw or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number `00 00 TT NN` (`TT` the element type,
//! `NN` the number of dimensions), `NN` big-endian `u32` dimension sizes, and
//! then the elements, row-major, nothing after them. Only unsigned bytes
//! (`TT = 0x08`) are supported, which is what MNIST, Fashion-MNIST and KMNIST
//! use.
//!
//! Gzip is recognised by its magic bytes (`1f 8b`), never by the file name, so
//! `train-images-idx3-ubyte` may be compressed or not. Every check reports the
//! path and what was expected against what was found; no input makes the
//! reader panic, and a header declaring absurd sizes cannot make it allocate
//! more than [`PREALLOCATION_LIMIT`] bytes before the data is actually there.
//!
//! Memory is bounded by what the header declares, and the header by
//! [`IdxLimits`]: at most [`MAX_IDX_BYTES`] (2 GiB) of data by default, and,
//! with [`IdxLimits::max_samples`], only the first samples are decompressed
//! (the rest of the file is never read). A gzip bomb (megabytes expanding to
//! gigabytes) is therefore refused from its header, or read no further than
//! the samples asked for; data after what the header declares is counted
//! only up to [`TRAILING_COUNT_LIMIT`] bytes.
//!
//! ```
//! use backprop_data::idx::read_idx_bytes;
//! // Two 1×2 "images": magic, dims 2, 1, 2, then four pixels.
//! let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40];
//! let idx = read_idx_bytes(&bytes, "demo")?;
//! assert_eq!(idx.dims, vec![2, 1, 2]);
//! assert_eq!(idx.data, vec![10, 20, 30, 40]);
//! # Ok::<(), backprop_data::DataError>(())
//! ```

pub use crate::idx_format::{TRAILING_COUNT_LIMIT, element_type_name};
use crate::{DataError, Result};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The IDX element-type byte for unsigned bytes, the only type supported.
pub const IDX_U8: u8 = 0x08;

/// The most bytes reserved up front from a header's declared size; beyond it
/// the buffer grows only as data actually arrives.
pub const PREALLOCATION_LIMIT: usize = 64 << 20;

/// The most data bytes (the product of the dimensions) an IDX file may
/// declare by default: 2 GiB, forty times MNIST's training images. Raise it
/// with [`IdxLimits::max_bytes`].
pub const MAX_IDX_BYTES: u64 = 2 << 30;

/// Bounds on what an IDX file may make the reader decompress and hold.
///
/// ```
/// use backprop_data::idx::{IdxLimits, MAX_IDX_BYTES, read_idx_bytes_with};
/// // Three 1×2 images, of which only the first two are read.
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6];
/// let limits = IdxLimits { max_samples: Some(2), ..IdxLimits::default() };
/// assert_eq!(limits.max_bytes, MAX_IDX_BYTES);
/// let idx = read_idx_bytes_with(&bytes, "demo", &limits)?;
/// assert_eq!((idx.dims, idx.data), (vec![2, 1, 2], vec![1, 2, 3, 4]));
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdxLimits {
    /// The most data bytes read (after decompression): a header declaring
    /// more, for the samples to be read, is [`DataError::IdxLimit`] before
    /// anything is decompressed. Default [`MAX_IDX_BYTES`].
    pub max_bytes: u64,
    /// Read only the first this many samples (the first dimension), leaving
    /// the rest of the file unread and unchecked; `None` reads them all.
    pub max_samples: Option<usize>,
}

impl Default for IdxLimits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_IDX_BYTES,
            max_samples: None,
        }
    }
}

/// An IDX array of unsigned bytes: its dimensions and its elements, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimension sizes, outermost (the sample count) first.
    pub dims: Vec<usize>,
    /// The elements, `dims.iter().product()` of them.
    pub data: Vec<u8>,
}

/// An IDX3 image file: `count` images of `rows×cols` pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
    /// `count·rows·cols` pixels, image after image, each row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes with any number (≥ 1) of dimensions,
/// within the default [`IdxLimits`].
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    read_file(path, Shape::Any, "data", &IdxLimits::default())
}

/// Reads an IDX3 image file (`count × rows × cols` unsigned bytes), within
/// the default [`IdxLimits`].
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<IdxImages> {
    read_idx_images_with(path, &IdxLimits::default())
}

/// [`read_idx_images`] within `limits`: with `max_samples`, `count` is at
/// most that and only those images are read.
pub fn read_idx_images_with(path: impl AsRef<Path>, limits: &IdxLimits) -> Result<IdxImages> {
    let path = path.as_ref();
    images_from(read_file(path, Shape::Images, "pixel data", limits)?, path)
}

/// Reads an IDX1 label file (`count` unsigned bytes), within the default
/// [`IdxLimits`].
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    read_idx_labels_with(path, &IdxLimits::default())
}

/// [`read_idx_labels`] within `limits`: with `max_samples`, at most that
/// many labels are read.
pub fn read_idx_labels_with(path: impl AsRef<Path>, limits: &IdxLimits) -> Result<Vec<u8>> {
    let path = path.as_ref();
    Ok(read_file(path, Shape::Labels, "label data", limits)?.data)
}

/// Decodes an IDX array held in memory (raw or gzip), naming it `name` in
/// errors. The entry point for fuzzing.
pub fn read_idx_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxArray> {
    read_from(
        bytes,
        name.as_ref(),
        Shape::Any,
        "data",
        &IdxLimits::default(),
    )
}

/// [`read_idx_bytes`] within `limits`.
pub fn read_idx_bytes_with(
    bytes: &[u8],
    name: impl AsRef<Path>,
    limits: &IdxLimits,
) -> Result<IdxArray> {
    read_from(bytes, name.as_ref(), Shape::Any, "data", limits)
}

/// Which dimensionality a caller needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Any,
    Images,
    Labels,
}

impl Shape {
    fn accepts(self, ndims: usize) -> bool {
        match self {
            Shape::Any => ndims >= 1,
            Shape::Images => ndims == 3,
            Shape::Labels => ndims == 1,
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Shape::Any => "at least 1",
            Shape::Images => "3 (count, rows, columns)",
            Shape::Labels => "1 (count)",
        }
    }
}

fn images_from(idx: IdxArray, path: &Path) -> Result<IdxImages> {
    match idx.dims.as_slice() {
        &[count, rows, cols] => Ok(IdxImages {
            count,
            rows,
            cols,
            pixels: idx.data,
        }),
        other => Err(DataError::IdxDimensions {
            path: path.to_path_buf(),
            expected: Shape::Images.describe(),
            found: other.len(),
        }),
    }
}

fn read_file(
    path: &Path,
    shape: Shape,
    what: &'static str,
    limits: &IdxLimits,
) -> Result<IdxArray> {
    read_from(open(path)?, path, shape, what, limits)
}

/// Opens a file, turning "not found" into [`DataError::FileNotFound`].
pub(crate) fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => DataError::FileNotFound {
            path: path.to_path_buf(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// The error of a failed read from `path`: a gzip error if the file is
/// compressed (`gz`, as [`decompressed`] says), an I/O error otherwise.
pub(crate) fn read_error(path: &Path, gz: bool) -> impl Fn(io::Error) -> DataError + Copy + '_ {
    move |source| {
        if gz {
            DataError::Gzip {
                path: path.to_path_buf(),
                source,
            }
        } else {
            DataError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// A reader over the decompressed bytes of `r`, gzip detected by magic bytes.
/// Returns the reader and whether it decompresses.
pub(crate) fn decompressed<'a, R: Read + 'a>(
    mut r: R,
    path: &Path,
) -> Result<(Box<dyn Read + 'a>, bool)> {
    let mut head = [0u8; 2];
    let n = read_full(&mut r, &mut head).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let prefix = io::Cursor::new(head).take(n as u64);
    let whole = prefix.chain(r);
    if n == 2 && head == [0x1f, 0x8b] {
        Ok((Box::new(MultiGzDecoder::new(whole)), true))
    } else {
        Ok((Box::new(whole), false))
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn read_from<R: Read>(
    r: R,
    path: &Path,
    shape: Shape,
    what: &'static str,
    limits: &IdxLimits,
) -> Result<IdxArray> {
    let (mut r, gz) = decompressed(r, path)?;
    let io_err = read_error(path, gz);
    let truncated = |what, expected: usize, found: usize| DataError::IdxTruncated {
        path: path.to_path_buf(),
        what,
        expected: expected as u64,
        found: found as u64,
    };

    let mut magic = [0u8; 4];
    let n = read_full(&mut r, &mut magic).map_err(io_err)?;
    if n < magic.len() {
        return Err(truncated("header", magic.len(), n));
    }
    let [z0, z1, element_type, ndims] = magic;
    if z0 != 0 || z1 != 0 {
        return Err(DataError::IdxMagic {
            path: path.to_path_buf(),
            found: magic,
        });
    }
    if element_type != IDX_U8 {
        return Err(DataError::IdxElementType {
            path: path.to_path_buf(),
            found: element_type,
        });
    }
    let ndims = usize::from(ndims);
    if !shape.accepts(ndims) {
        return Err(DataError::IdxDimensions {
            path: path.to_path_buf(),
            expected: shape.describe(),
            found: ndims,
        });
    }

    // At most 255 dimensions, so at most 1020 bytes.
    let mut dim_bytes = vec![0u8; 4 * ndims];
    let n = read_full(&mut r, &mut dim_bytes).map_err(io_err)?;
    if n < dim_bytes.len() {
        return Err(truncated("dimension sizes", dim_bytes.len(), n));
    }
    let (chunks, _) = dim_bytes.as_chunks::<4>();
    let raw_dims: Vec<u32> = chunks.iter().map(|c| u32::from_be_bytes(*c)).collect();
    let too_large = || DataError::IdxTooLarge {
        path: path.to_path_buf(),
        dims: raw_dims.clone(),
    };
    let mut dims = Vec::with_capacity(ndims);
    let mut total: usize = 1;
    for &d in &raw_dims {
        let d = usize::try_from(d).map_err(|_| too_large())?;
        total = total.checked_mul(d).ok_or_else(too_large)?;
        dims.push(d);
    }
    // Only the first `max_samples` samples are read.
    let declared_count = dims.first().copied().unwrap_or(0);
    let cut = limits
        .max_samples
        .filter(|&m| m < declared_count)
        .and_then(|m| {
            let per_sample = dims.get(1..).unwrap_or_default().iter().product::<usize>();
            Some((m, m.checked_mul(per_sample)?))
        });
    if let (Some((count, bytes)), Some(first)) = (cut, dims.first_mut()) {
        *first = count;
        total = bytes;
    }
    let expected = u64::try_from(total).map_err(|_| too_large())?;
    if expected > limits.max_bytes {
        return Err(DataError::IdxLimit {
            path: path.to_path_buf(),
            dims: raw_dims,
            declared: expected,
            max_bytes: limits.max_bytes,
        });
    }

    // Reserve no more than the limit up front: the buffer only grows further
    // if the data is really there.
    let mut data = Vec::with_capacity(total.min(PREALLOCATION_LIMIT));
    (&mut r)
        .take(expected)
        .read_to_end(&mut data)
        .map_err(io_err)?;
    if data.len() < total {
        return Err(truncated(what, total, data.len()));
    }
    if cut.is_none() {
        // Count what follows, but decompress no more than the limit of it.
        let extra =
            io::copy(&mut (&mut r).take(TRAILING_COUNT_LIMIT), &mut io::sink()).map_err(io_err)?;
        if extra > 0 {
            return Err(DataError::IdxTrailing {
                path: path.to_path_buf(),
                what,
                expected,
                extra,
            });
        }
    }
    Ok(IdxArray { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(t: u8, dims: &[u32]) -> Vec<u8> {
        let mut v = vec![0, 0, t, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v
    }

    #[test]
    fn huge_declared_dims_do_not_allocate_or_panic() {
        let bytes = header(8, &[u32::MAX, u32::MAX, u32::MAX]);
        let e = read_idx_bytes(&bytes, "x").unwrap_err();
        assert!(matches!(e, DataError::IdxTooLarge { .. }), "{e}");
        let bytes = header(8, &[u32::MAX, 1 << 20]);
        let e = read_idx_bytes(&bytes, "x").unwrap_err();
        assert!(matches!(e, DataError::IdxLimit { .. }), "{e}");
        let no_limit = IdxLimits {
            max_bytes: u64::MAX,
            max_samples: None,
        };
        let e = read_idx_bytes_with(&bytes, "x", &no_limit).unwrap_err();
        assert!(
            e.to_string()
                .contains("truncated: expected 4503599626321920 bytes of data, found 0"),
            "{e}"
        );
    }

    #[test]
    fn short_headers_are_truncation_errors() {
        for len in 0..4 {
            let e = read_idx_bytes(&[0, 0, 8, 1][..len], "x").unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("expected 4 bytes of header, found {len}")),
                "{e}"
            );
        }
        let e = read_idx_bytes(&[0, 0, 8, 2, 0, 0, 0, 1, 0, 0], "x").unwrap_err();
        assert!(
            e.to_string()
                .contains("expected 8 bytes of dimension sizes, found 6"),
            "{e}"
        );
        // A lone gzip magic is a broken gzip stream, not a panic.
        assert!(matches!(
            read_idx_bytes(&[0x1f, 0x8b], "x"),
            Err(DataError::Gzip { .. } | DataError::IdxTruncated { .. })
        ));
    }

    #[test]
    fn zero_dims_rejected_and_zero_count_accepted() {
        let e = read_idx_bytes(&[0, 0, 8, 0], "x").unwrap_err();
        assert!(
            matches!(e, DataError::IdxDimensions { found: 0, .. }),
            "{e}"
        );
        let idx = read_idx_bytes(&header(8, &[0, 28, 28]), "x").unwrap();
        assert_eq!(idx.dims, vec![0, 28, 28]);
        assert!(idx.data.is_empty());
    }

    #[test]
    fn deterministic_garbage_never_panics() {
        // A tiny xorshift fuzz over short inputs with IDX-like prefixes.
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..2000 {
            let len = (next() % 40) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if len >= 4 && next() % 2 == 0 {
                bytes[0] = 0;
                bytes[1] = 0;
                bytes[2] = 8;
                bytes[3] %= 4;
            }
            let _ = read_idx_bytes(&bytes, "fuzz");
        }
    }
}
