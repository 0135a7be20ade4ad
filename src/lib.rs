// The front page is src/README.md (the package's README, shown by crates.io,
// is the repository's). On GitHub its item links go to docs.rs; the
// definitions below come first, so rustdoc resolves the same labels as
// intra-doc links instead.
//! [`prelude`]: prelude
//! [`tensor`]: tensor
//! [`activations`]: activations
//! [`losses`]: losses
//! [`layers`]: layers
//! [`optim`]: optim
//! [`data`]: data
//! [`train`]: train
//! [`io`]: io
//! [`onnx`]: onnx
#![doc = include_str!("README.md")]
#![warn(missing_docs)]

pub use backprop_activations as activations;
pub use backprop_data as data;
pub use backprop_io as io;
pub use backprop_layers as layers;
pub use backprop_losses as losses;
pub use backprop_onnx as onnx;
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
