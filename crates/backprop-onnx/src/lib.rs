// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`export`]: export()
//! [`export_bytes`]: export_bytes()
//! [`import`]: import()
//! [`import_bytes`]: import_bytes()
//! [`Imported`]: Imported
//! [`ExportOptions`]: ExportOptions
//! [`OnnxError`]: OnnxError
//! [`schema`]: schema
//! [`metadata`]: metadata
//! [`Model`]: backprop_layers::Model
//! [`ModelInfo`]: backprop_layers::ModelInfo
//! [`import_as`]: import_as()
//! [`OnnxError::UnsupportedLayer`]: OnnxError::UnsupportedLayer
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod atomic;
mod error;
mod export;
mod import;
pub mod metadata;
mod options;
pub mod schema;

pub use error::OnnxError;
pub use export::{export, export_bytes, to_model_proto};
pub use import::{
    Imported, SUPPORTED, from_model_proto, import, import_as, import_bytes, import_bytes_as,
};
pub use options::{ExportOptions, OPSET, OPSET_GELU, PRODUCER_NAME, ir_version};
