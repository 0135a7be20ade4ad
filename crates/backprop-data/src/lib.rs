//! # backprop-data
//!
//! Everything between files on disk and the batches a network trains on:
//!
//! - [`idx`]: the IDX reader of the MNIST files, raw or gzip (detected by
//!   content), strictly validated, with errors that name the file and what
//!   was expected against what was found.
//! - [`Mnist`]: the four MNIST files of a directory (also Fashion-MNIST,
//!   KMNIST) as training and test [`Dataset`]s.
//! - [`image`]: grey-level PGM and PNG images (one picture to classify),
//!   with the declared size checked before anything is allocated.
//! - [`csv`]: CSV tables (read with the `csv` crate) with errors that name
//!   the file, line and column; text or numeric labels, missing values,
//!   columns by number or name; into classification or regression datasets.
//! - [`Dataset`]: validated features (`u8` pixels or `f32`, sample-major) with
//!   class labels or regression targets; subsets, seeded splits, and batch
//!   assembly into caller-owned matrices with **one column per sample**
//!   (features × batch), as in the tutorial this project follows.
//! - [`PixelScale`] (`u8` images, applied while a batch is built) and
//!   [`Scaler`] (`f32` features, fitted on the training set, applied to the
//!   test set).
//! - [`Batcher`]: seeded shuffled mini-batches whose order depends on
//!   `(seed, epoch)` alone, so training can resume bit-exactly.
//!
//! This crate depends only on `backprop-tensor` (for [`Scalar`], `resize`
//! and the seeded streams); `backprop-train` sits above it. Library code never panics on bad input: every
//! failure is a [`DataError`].
//!
//! ```
//! use backprop_data::{Batcher, Dataset, PixelScale};
//! use backprop_tensor::DMatrix;
//! // Four 3-pixel images of two classes.
//! let mut ds = Dataset::from_u8(vec![0, 0, 0, 255, 255, 255, 0, 255, 0, 255, 0, 255], 3, vec![0, 1, 0, 1], 2)?;
//! ds.set_pixel_scale(PixelScale::Unit)?;
//! let mut batches = Batcher::new(ds.len(), 3, true, 42)?;
//! let (mut x, mut y) = (DMatrix::<f32>::zeros(0, 0), Vec::new());
//! for epoch in 0..2 {
//!     batches.epoch(epoch);
//!     while let Some(indices) = batches.next_batch() {
//!         ds.fill_batch(indices, &mut x, &mut y)?;
//!         assert_eq!(x.nrows(), 3); // features × batch
//!         assert_eq!(x.ncols(), y.len()); // 3, then 1
//!     }
//! }
//! # Ok::<(), backprop_data::DataError>(())
//! ```
//!
//! [`Scalar`]: backprop_tensor::Scalar
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod batcher;
mod class_map;
pub mod csv;
mod csv_column;
mod csv_columns;
mod csv_convert;
mod csv_missing;
mod csv_parse;
mod csv_schema;
mod csv_table;
mod csv_text;
mod dataset;
mod error;
pub mod idx;
mod idx_format;
mod idx_names;
mod idx_set;
pub mod image;
mod image_decode;
mod image_error;
mod image_fit;
mod image_ops;
mod image_pgm;
pub mod mnist;
mod scaler;

pub use batcher::{Batcher, SHUFFLE_STREAM};
pub use csv::{
    ClassMap, ColumnRef, CsvOptions, CsvSchema, CsvTable, FeatureColumns, LabelColumn,
    MAX_CSV_BYTES, MeanImputer, MissingValues, load_csv, load_csv_str,
};
pub use dataset::{
    Dataset, Features, MAX_CLASSES, PixelScale, SPLIT_STREAM, Targets, one_hot, split_indices,
};
pub use error::{CsvColumn, DataError, Result};
pub use image::{GrayImage, ImageError, read_image};
pub use mnist::Mnist;
pub use scaler::{Scaler, ScalerKind};
