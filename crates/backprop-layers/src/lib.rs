// The front page is README.md, also the crate's page on crates.io, where
// its item links go to docs.rs. The definitions below come first, so
// rustdoc resolves the same labels as intra-doc links instead.
//! [`Sequential`]: Sequential
//! [`Parameters`]: Parameters
//! [`Dense`]: Dense
//! [`Conv2d`]: Conv2d
//! [`MaxPool2d`]: MaxPool2d
//! [`AvgPool2d`]: AvgPool2d
//! [`ActivationLayer`]: ActivationLayer
//! [`Dropout`]: Dropout
//! [`Dropout2d`]: Dropout2d
//! [`BatchNorm1d`]: BatchNorm1d
//! [`BatchNorm2d`]: BatchNorm2d
//! [`Flatten`]: Flatten
//! [`Layer`]: Layer
//! [`register`]: register()
//! [`DMatrix`]: DMatrix
//! [`Scalar`]: Scalar
//! [`Param`]: Param
//! [`Init`]: Init
//! [`TensorError`]: TensorError
//! [`Activation`]: Activation
//! [`ActivationKind`]: ActivationKind
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod activation;
mod avgpool2d;
mod batchnorm;
mod batchnorm2d;
mod builder;
mod builder_pool;
mod config;
mod conv2d;
mod conv2d_config;
mod dense;
mod describe;
mod dropout;
mod dropout2d;
mod error;
mod flatten;
mod global;
mod layer;
mod lenet;
mod maxpool2d;
mod model;
mod pool;
mod registry;
mod sequential;
mod shape;
mod spatial;
mod summary;

pub use activation::ActivationLayer;
pub use avgpool2d::AvgPool2d;
pub use batchnorm::BatchNorm1d;
pub use batchnorm2d::BatchNorm2d;
pub use builder::SequentialBuilder;
pub use config::{Config, Value};
pub use conv2d::Conv2d;
pub use conv2d_config::Conv2dConfig;
pub use dense::Dense;
pub use describe::{Layout, Plan, TensorInfo};
pub use dropout::Dropout;
pub use dropout2d::Dropout2d;
pub use error::LayerError;
pub use flatten::Flatten;
pub use global::{register, registry};
pub use layer::{Layer, Mode};
pub use lenet::LeNet5;
pub use maxpool2d::MaxPool2d;
pub use model::{Model, ModelInfo, OutputKind, Preprocess, Scratch, class_of};
pub use pool::PoolWindow;
pub use registry::{BuildContext, LayerType, Registry};
pub use sequential::Sequential;
pub use shape::Shape;
pub use spatial::{Pair, Setting, SpatialSettings};

// The types of the crates below that this crate's API names, so that
// depending on this crate alone is enough to call it.
pub use backprop_activations::{Activation, ActivationKind};
pub use backprop_tensor::{DMatrix, Init, Param, Parameters, Scalar, TensorError};
