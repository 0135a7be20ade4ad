// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Model`]: backprop_layers::Model
//! [`save_model`]: save_model
//! [`load_model`]: load_model
//! [`registry`]: backprop_layers::registry
//! [`MODEL_KEY`]: MODEL_KEY
//! [`LayerType`]: backprop_layers::LayerType
//! [`load_state_dict`]: load_state_dict
//! [`save_checkpoint`]: save_checkpoint
//! [`load_checkpoint`]: load_checkpoint
//! [`write_atomic`]: write_atomic
//! [`CHECKSUM_KEY`]: CHECKSUM_KEY
//! [`IoError::Checksum`]: IoError::Checksum
//! [`LoadOptions`]: LoadOptions
//! [`check_values`]: backprop_layers::Layer::check_values
//! [`load_model_with`]: load_model_with
//! [`IoError`]: IoError
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod architecture;
mod atomic;
mod checkpoint;
mod checks;
mod checksum;
mod container;
mod description;
mod encode;
mod error;
mod inspect;
mod json;
mod model;
mod options;
mod tensors;

pub use architecture::Architecture;
pub use atomic::{write_atomic, write_bytes_atomic};
pub use checkpoint::{
    CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, Checkpoint, TrainingState, checkpoint_path,
    load_checkpoint, load_checkpoint_with, read_checkpoint, read_checkpoint_with, save_checkpoint,
    write_checkpoint,
};
pub use checksum::CHECKSUM_KEY;
pub use description::{
    CHECKPOINT_KEY, MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_KEY, OPTIMIZER_PREFIX,
};
pub use error::{IoError, Result};
pub use inspect::{FileInfo, inspect};
pub use model::{
    load_model, load_model_with, load_state_dict, load_state_dict_with, model_to_bytes, read_model,
    read_model_with, read_state_dict, read_state_dict_with, save_model, write_model,
};
pub use options::LoadOptions;
