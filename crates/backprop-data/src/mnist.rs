//! Loading MNIST (and any set of four IDX files shaped like it:
//! Fashion-MNIST, KMNIST, EMNIST) into two [`Dataset`]s. The files are found
//! in a directory by their names ([`IdxFiles::find`]: MNIST's own,
//! `train-images.idx3-ubyte`, `emnist-letters-train-images-idx3-ubyte.gz`,
//! …) or given one by one ([`Mnist::load_files`]).

use crate::idx::{IdxLimits, read_idx_images_with, read_idx_labels_with};
use crate::{DataError, Dataset, PixelScale, Result};
use std::path::{Path, PathBuf};

pub use crate::idx_names::class_names;
pub use crate::idx_set::{IdxFiles, IdxRole, IdxSetError};

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
    /// gzip is detected by content), found by their names as
    /// [`IdxFiles::find`] says. The number of classes is the largest label
    /// in either set plus one (10 for MNIST; 27 for EMNIST letters, whose
    /// labels are 1–26: see [`Mnist::label_range`]).
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
        Self::load_files(&IdxFiles::find(dir)?, limits)
    }

    /// [`Mnist::load_with`] on four files named one by one, wherever they
    /// are and whatever their names.
    ///
    /// ```no_run
    /// use backprop_data::{Mnist, idx::IdxLimits, mnist::IdxFiles};
    /// let files = IdxFiles {
    ///     train_images: "emnist/emnist-letters-train-images-idx3-ubyte.gz".into(),
    ///     train_labels: "emnist/emnist-letters-train-labels-idx1-ubyte.gz".into(),
    ///     test_images: "emnist/emnist-letters-test-images-idx3-ubyte.gz".into(),
    ///     test_labels: "emnist/emnist-letters-test-labels-idx1-ubyte.gz".into(),
    /// };
    /// let letters = Mnist::load_files(&files, &IdxLimits::default())?;
    /// assert_eq!((letters.n_classes(), letters.label_range()), (27, Some((1, 26))));
    /// # Ok::<(), backprop_data::DataError>(())
    /// ```
    pub fn load_files(files: &IdxFiles, limits: &IdxLimits) -> Result<Self> {
        let train = load_part(&files.train_images, &files.train_labels, limits)?;
        let whole = IdxLimits {
            max_samples: None,
            ..*limits
        };
        let test = load_part(&files.test_images, &files.test_labels, &whole)?;
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

    /// Number of classes (10 for MNIST): the largest label plus one.
    pub fn n_classes(&self) -> usize {
        self.train.n_classes()
    }

    /// The smallest and the largest label in either set (`(0, 9)` for
    /// MNIST, `(1, 26)` for EMNIST letters, whose class 0 then has no
    /// samples); `None` for sets without labels.
    pub fn label_range(&self) -> Option<(usize, usize)> {
        let labels = self.train.labels().iter().chain(self.test.labels());
        let min = labels.clone().min()?;
        Some((*min, *labels.max()?))
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

fn load_part(images_path: &Path, labels_path: &Path, limits: &IdxLimits) -> Result<Part> {
    let images = read_idx_images_with(images_path, limits)?;
    if images.count == 0 || images.rows == 0 || images.cols == 0 {
        return Err(DataError::IdxEmpty {
            path: images_path.to_path_buf(),
            dims: vec![images.count, images.rows, images.cols],
        });
    }
    let labels = read_idx_labels_with(labels_path, limits)?;
    if labels.len() != images.count {
        return Err(DataError::IdxCountMismatch {
            images: images_path.to_path_buf(),
            n_images: images.count,
            labels: labels_path.to_path_buf(),
            n_labels: labels.len(),
        });
    }
    Ok(Part {
        images_path: images_path.to_path_buf(),
        pixels: images.pixels,
        shape: (images.rows, images.cols),
        labels,
    })
}
