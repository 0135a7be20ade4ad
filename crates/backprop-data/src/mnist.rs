//! Loading MNIST (and anything with the same four IDX files: Fashion-MNIST,
//! KMNIST) into two [`Dataset`]s.

use crate::idx::{IdxLimits, read_idx_images_with, read_idx_labels_with};
use crate::{DataError, Dataset, PixelScale, Result};
use std::path::{Path, PathBuf};

/// Where the repository keeps MNIST, relative to its root.
pub const DEFAULT_DIR: &str = "data/mnist";
/// The training images (`60000 × 28 × 28`), optionally with `.gz`.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// The training labels (`60000`), optionally with `.gz`.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// The test images (`10000 × 28 × 28`), optionally with `.gz`.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// The test labels (`10000`), optionally with `.gz`.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// The MNIST training and test sets: `u8` pixels (one image per sample,
/// row-major, `rows·cols` features) and labels.
///
/// Pixels stay `u8` in memory and are scaled while batches are assembled,
/// [`PixelScale::Unit`] by default; see [`Mnist::set_pixel_scale`].
///
/// ```no_run
/// use backprop_data::{Mnist, PixelScale};
/// let mut mnist = Mnist::load("data/mnist")?;
/// mnist.set_pixel_scale(PixelScale::MNIST)?;
/// assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
/// assert_eq!(mnist.train.n_features(), 784);
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    /// The training set.
    pub train: Dataset,
    /// The test set.
    pub test: Dataset,
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
}

impl Mnist {
    /// Loads the four IDX files from `dir` (each with or without `.gz`;
    /// gzip is detected by content). The number of classes is the largest
    /// label in either set plus one (10 for MNIST).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(dir, &IdxLimits::default())
    }

    /// [`Mnist::load`] within `limits`: `max_bytes` bounds each of the four
    /// files, and `max_samples` the **training** pair only, of which just
    /// the first `max_samples` images and labels are decompressed (the test
    /// set is read whole). A program training on the first `n` images
    /// (`--limit n`) reads no more of a large, or hostile, file than that.
    ///
    /// ```no_run
    /// use backprop_data::{Mnist, idx::IdxLimits};
    /// let limits = IdxLimits { max_samples: Some(500), ..IdxLimits::default() };
    /// let mnist = Mnist::load_with("data/mnist", &limits)?;
    /// assert_eq!((mnist.train.len(), mnist.test.len()), (500, 10_000));
    /// # Ok::<(), backprop_data::DataError>(())
    /// ```
    pub fn load_with(dir: impl AsRef<Path>, limits: &IdxLimits) -> Result<Self> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::MissingDataDir {
                dir: dir.to_path_buf(),
            });
        }
        let train = load_part(dir, TRAIN_IMAGES, TRAIN_LABELS, limits)?;
        let whole = IdxLimits {
            max_samples: None,
            ..*limits
        };
        let test = load_part(dir, TEST_IMAGES, TEST_LABELS, &whole)?;
        if train.shape != test.shape {
            return Err(DataError::IdxShapeMismatch {
                train: train.images_path,
                train_shape: train.shape,
                test: test.images_path,
                test_shape: test.shape,
            });
        }
        let max_label = train
            .labels
            .iter()
            .chain(&test.labels)
            .copied()
            .max()
            .unwrap_or(0);
        let n_classes = usize::from(max_label) + 1;
        let (rows, cols) = train.shape;
        Ok(Self {
            train: train.into_dataset(n_classes)?,
            test: test.into_dataset(n_classes)?,
            rows,
            cols,
        })
    }

    /// The path of `name` or `name.gz` in `dir` (the uncompressed one if both
    /// exist).
    pub fn find_file(dir: impl AsRef<Path>, name: &'static str) -> Result<PathBuf> {
        let dir = dir.as_ref();
        let raw = dir.join(name);
        if raw.is_file() {
            return Ok(raw);
        }
        let gz = dir.join(format!("{name}.gz"));
        if gz.is_file() {
            return Ok(gz);
        }
        Err(DataError::MissingIdxFile {
            dir: dir.to_path_buf(),
            name,
        })
    }

    /// Sets the pixel scale of both sets.
    pub fn set_pixel_scale(&mut self, scale: PixelScale) -> Result<()> {
        self.train.set_pixel_scale(scale)?;
        self.test.set_pixel_scale(scale)
    }

    /// Features per image (`rows·cols`, 784 for MNIST).
    pub fn n_features(&self) -> usize {
        self.train.n_features()
    }

    /// Number of classes (10 for MNIST).
    pub fn n_classes(&self) -> usize {
        self.train.n_classes()
    }
}

/// One of the two sets, read and checked but not yet a [`Dataset`].
struct Part {
    images_path: PathBuf,
    pixels: Vec<u8>,
    shape: (usize, usize),
    labels: Vec<u8>,
}

impl Part {
    fn into_dataset(self, n_classes: usize) -> Result<Dataset> {
        let labels = self.labels.into_iter().map(usize::from).collect();
        Dataset::from_u8(self.pixels, self.shape.0 * self.shape.1, labels, n_classes)
    }
}

fn load_part(
    dir: &Path,
    images_name: &'static str,
    labels_name: &'static str,
    limits: &IdxLimits,
) -> Result<Part> {
    let images_path = Mnist::find_file(dir, images_name)?;
    let labels_path = Mnist::find_file(dir, labels_name)?;
    let images = read_idx_images_with(&images_path, limits)?;
    if images.count == 0 || images.rows == 0 || images.cols == 0 {
        return Err(DataError::IdxEmpty {
            path: images_path,
            dims: vec![images.count, images.rows, images.cols],
        });
    }
    let labels = read_idx_labels_with(&labels_path, limits)?;
    if labels.len() != images.count {
        return Err(DataError::IdxCountMismatch {
            images: images_path,
            n_images: images.count,
            labels: labels_path,
            n_labels: labels.len(),
        });
    }
    Ok(Part {
        images_path,
        pixels: images.pixels,
        shape: (images.rows, images.cols),
        labels,
    })
}
