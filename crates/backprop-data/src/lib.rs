// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`idx`]: idx
//! [`Mnist`]: Mnist
//! [`Dataset`]: Dataset
//! [`image`]: crate::image
//! [`csv`]: crate::csv
//! [`DMatrix`]: DMatrix
//! [`Scalar`]: Scalar
//! [`PixelScale`]: PixelScale
//! [`Scaler`]: Scaler
//! [`Batcher`]: Batcher
//! [`DataError`]: DataError
#![doc = include_str!("../README.md")]
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

// The tensor types this crate's API names, so that depending on this crate
// alone is enough to call it.
pub use backprop_tensor::{DMatrix, Scalar};
