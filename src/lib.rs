//! # backprop
//!
//! A deep neural network library written from scratch, where forward and
//! backward propagation are explicit, readable and fast. This crate is a thin
//! facade: it only re-exports the workspace's crates.
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`tensor`] | `backprop-tensor` | scalar trait, strided products, initialisers, parameters, gradient checker |
//! | [`activations`] | `backprop-activations` | ReLU, sigmoid, tanh, softmax, … with their backward passes |
//! | [`losses`] | `backprop-losses` | MSE, binary and softmax cross-entropy |
//! | [`layers`] | `backprop-layers` | Dense, Dropout, BatchNorm1d, Sequential |
//! | [`optim`] | `backprop-optim` | SGD, momentum, RMSprop, Adam, AdamW, clipping, schedules |
//! | [`data`] | `backprop-data` | IDX (MNIST) and CSV loaders, scaling, seeded mini-batches |
//! | [`train`] | `backprop-train` | the training loop, metrics, callbacks, progress, history |
//! | [`io`] | `backprop-io` | safetensors model files (PyTorch layout), checkpoints, atomic writes |
//!
//! ```
//! use backprop::prelude::*;
//! let mut net = Sequential::<f32>::builder(784).dense(128).relu().dense(64).relu().dense(10).build()?;
//! let x = DMatrix::zeros(784, 64);
//! assert_eq!(net.forward(&x, Mode::Train)?.shape(), (10, 64));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub use backprop_activations as activations;
pub use backprop_data as data;
pub use backprop_io as io;
pub use backprop_layers as layers;
pub use backprop_losses as losses;
pub use backprop_optim as optim;
pub use backprop_tensor as tensor;
pub use backprop_train as train;

/// The names most programs need, in one import: the guide's programs use
/// nothing else.
pub mod prelude {
    pub use backprop_activations::{Activation, ActivationKind};
    pub use backprop_data::{Batcher, Dataset, PixelScale, Scaler, mnist::Mnist};
    pub use backprop_io::{
        Architecture, IoError, load_checkpoint, load_model, save_checkpoint, save_model,
    };
    pub use backprop_layers::{
        ActivationLayer, BatchNorm1d, BuildContext, Config, Dense, Dropout, Flatten, Layer,
        LayerError, LayerType, Mode, Model, ModelInfo, OutputKind, Plan, Preprocess, Registry,
        Sequential, Shape, TensorInfo, register,
    };
    pub use backprop_losses::{
        BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Loss, LossKind, Mse, SoftmaxCrossEntropy,
        Target,
    };
    pub use backprop_optim::{
        Adam, AdamW, Constant, CosineWithWarmup, Optimizer, RmsProp, Schedule, Sgd,
    };
    pub use backprop_tensor::{DMatrix, Init, Param, Parameters, Scalar};
    pub use backprop_train::{
        Callback, Checkpointer, Control, EarlyStopping, History, ProgressMode, Trainer, Validation,
    };
}

/// The code blocks of `README.md` and `docs/guide.md`, compiled (and, unless
/// marked `no_run`, run) as doctests so that the documentation cannot drift
/// from the API.
#[cfg(doctest)]
pub mod doc_examples {
    #[doc = include_str!("../README.md")]
    pub struct Readme;
    #[doc = include_str!("../docs/guide.md")]
    pub struct Guide;
}
