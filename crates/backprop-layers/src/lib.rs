//! # backprop-layers
//!
//! Layers with explicit forward and backward passes, and [`Sequential`], the
//! network that runs them. Depends on `backprop-tensor` and
//! `backprop-activations`; `backprop-train` sits above it. Optimizers never
//! see a layer: a network hands them its parameters through
//! [`Parameters`](backprop_tensor::Parameters).
//!
//! The key decision: the network, not the layer, owns the tutorial's caches
//! (every `A[l]` and `dA[l]`), and passes each layer its own input and output
//! back in `backward`; a layer keeps only what cannot be recomputed.
//!
//! ```
//! use backprop_layers::{Mode, Sequential};
//! use backprop_tensor::{DMatrix, Parameters};
//! let mut net = Sequential::<f64>::builder(2).seed(7).dense(4).tanh().dense(1).sigmoid().build()?;
//! let x = DMatrix::from_row_slice(2, 4, &[0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
//! let a = net.forward(&x, Mode::Train)?.clone();
//! net.zero_grad();
//! net.backward(&x, &DMatrix::from_element(1, 4, 0.25))?; // dA[L] from a loss
//! assert!(a.iter().all(|&p| p > 0.0 && p < 1.0));
//! # Ok::<(), backprop_layers::LayerError>(())
//! ```
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
pub use maxpool2d::MaxPool2d;
pub use model::{Model, ModelInfo, OutputKind, Preprocess, Scratch, class_of};
pub use pool::PoolWindow;
pub use registry::{BuildContext, LayerType, Registry};
pub use sequential::Sequential;
pub use shape::Shape;
pub use spatial::{Pair, Setting, SpatialSettings};
