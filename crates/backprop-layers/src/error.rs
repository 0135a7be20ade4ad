//! Errors of layers and networks.

use crate::Shape;
use backprop_tensor::TensorError;
use thiserror::Error;

/// What can go wrong building or running a layer or a network. Every message
/// names the layer and the sizes involved.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A layer was given an input with the wrong number of features (rows).
    #[error("{layer}: expected an input with {expected} features (rows), found {found}")]
    InputSize {
        /// The layer (`"layer 2 (dense)"`).
        layer: String,
        /// Features the layer takes.
        expected: usize,
        /// Features (rows) it was given.
        found: usize,
    },
    /// Two adjacent layers of a network do not fit.
    #[error("layer {index} ({name}) takes {expected} inputs but the previous layer gives {found}")]
    SizeMismatch {
        /// Position of the layer in the network.
        index: usize,
        /// The layer's name.
        name: String,
        /// Inputs the layer takes.
        expected: usize,
        /// Outputs of the layer before it (or the network's input size).
        found: usize,
    },
    /// A layer would have no units.
    #[error("{layer}: a layer needs at least one unit, found a width of 0")]
    ZeroWidth {
        /// The layer.
        layer: String,
    },
    /// A configuration value is out of range.
    #[error("{layer}: {message}")]
    InvalidConfig {
        /// The layer.
        layer: String,
        /// What was wrong, with the value found.
        message: String,
    },
    /// `backward` was called without a matching `forward`.
    #[error("{layer}: {}", no_forward_message(*expected, *found))]
    NoForward {
        /// The layer.
        layer: String,
        /// Batch size of the last forward pass (0 if none).
        expected: usize,
        /// Batch size given to backward.
        found: usize,
    },
    /// A layer that takes flat vectors was given samples of another shape.
    #[error(
        "{layer}: expected flat input (one dimension), found samples of shape {found}; put a flatten layer before it"
    )]
    NotFlat {
        /// The layer.
        layer: String,
        /// The sample shape it was given.
        found: Shape,
    },
    /// A layer was given samples of the wrong shape.
    #[error("{layer}: expected samples of shape {expected}, found {found}")]
    InputShape {
        /// The layer.
        layer: String,
        /// The shape it takes.
        expected: Shape,
        /// The shape it was given.
        found: Shape,
    },
    /// A model file or configuration names a layer kind nobody registered.
    #[error(
        "unknown layer kind {kind:?} (registered: {known}); register your own with backprop_layers::register"
    )]
    UnknownKind {
        /// The kind found.
        kind: String,
        /// The registered kinds.
        known: String,
    },
    /// An error inside layer `index` of a network.
    #[error("layer {index} ({kind}): {source}")]
    At {
        /// The layer's position.
        index: usize,
        /// Its kind.
        kind: String,
        /// What went wrong there.
        source: Box<LayerError>,
    },
    /// A matrix had the wrong shape inside a pass.
    #[error("{layer}: {source}")]
    Shape {
        /// The layer.
        layer: String,
        /// The shape error, naming the operation and both shapes.
        source: TensorError,
    },
}

impl LayerError {
    /// Wraps a tensor error with the layer it happened in.
    pub fn shape(layer: &'static str) -> impl Fn(TensorError) -> LayerError {
        move |source| LayerError::Shape {
            layer: layer.to_string(),
            source,
        }
    }
}

impl LayerError {
    /// This error, as raised by layer `index` (of kind `kind`) of a network:
    /// an input-size error becomes a [`SizeMismatch`](LayerError::SizeMismatch)
    /// between neighbours, anything else is wrapped in
    /// [`At`](LayerError::At).
    pub fn at(self, index: usize, kind: &str) -> LayerError {
        match self {
            LayerError::InputSize {
                expected, found, ..
            } => LayerError::SizeMismatch {
                index,
                name: kind.to_string(),
                expected,
                found,
            },
            e => LayerError::At {
                index,
                kind: kind.to_string(),
                source: Box::new(e),
            },
        }
    }
}

/// The shape checks that fail with a [`LayerError`].
impl Shape {
    /// The number of features of a flat shape, or an error naming `layer`
    /// and the shape found (a layer that needs flat input was given an
    /// image: put a `flatten` before it).
    pub fn features(&self, layer: &str) -> Result<usize, LayerError> {
        match self.dims() {
            &[n] => Ok(n),
            _ => Err(LayerError::NotFlat {
                layer: layer.to_string(),
                found: self.clone(),
            }),
        }
    }
    /// Checks that no dimension is 0 and that the product fits in `usize`.
    pub fn validate(&self, layer: &str) -> Result<(), LayerError> {
        if self.is_empty() || self.checked_len().is_none() {
            return Err(LayerError::InvalidConfig {
                layer: layer.to_string(),
                message: format!(
                    "a sample shape needs one or more dimensions, each positive, with a product that fits in memory; found {self}"
                ),
            });
        }
        Ok(())
    }
}

fn no_forward_message(expected: usize, found: usize) -> String {
    if expected == 0 {
        format!(
            "backward called before forward: run forward on this batch first (backward was given a batch of {found})"
        )
    } else {
        format!(
            "backward called with a batch of {found} samples, but the last forward pass had {expected}: run forward on this batch first"
        )
    }
}
