//! [`SequentialBuilder`]: a network layer by layer, each layer made when
//! [`build`](SequentialBuilder::build) knows its input shape.

use crate::{
    ActivationLayer, BatchNorm1d, Dense, Dropout, Flatten, Layer, LayerError, Sequential, Shape,
};
use backprop_activations::ActivationKind;
use backprop_tensor::{Init, Scalar, rng};

/// Makes one layer from its input shape, the network's seed and its position.
type Make<T> = Box<dyn FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError>>;

/// Builds a [`Sequential`] layer by layer; shapes are checked in
/// [`build`](SequentialBuilder::build).
///
/// One seed (default 0) fixes every layer's initialisation and dropout
/// masks: layer `l` draws from stream `(seed, l)`.
///
/// ```
/// use backprop_layers::{Sequential, Shape};
/// let net = Sequential::<f32>::builder([1, 4, 4]).flatten().dense(8).relu().dense(3).build()?;
/// assert_eq!(net.shapes()[0], Shape::flat(16));
/// // A dense layer needs flat input: the error says what to add.
/// let err = Sequential::<f32>::builder([1, 4, 4]).dense(8).build().unwrap_err();
/// assert!(err.to_string().contains("flatten"), "{err}");
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
pub struct SequentialBuilder<T: Scalar> {
    input: Shape,
    seed: u64,
    init: Init,
    /// Each pending layer's kind (for messages) and how to make it.
    pending: Vec<(&'static str, Make<T>)>,
}

impl<T: Scalar> Sequential<T> {
    /// Starts a builder for a network taking samples of `input` shape (a
    /// feature count, or `[channels, height, width]`).
    pub fn builder(input: impl Into<Shape>) -> SequentialBuilder<T> {
        SequentialBuilder::new(input.into())
    }
}

impl<T: Scalar> SequentialBuilder<T> {
    fn new(input: Shape) -> Self {
        Self {
            input,
            seed: 0,
            init: Init::HeNormal,
            pending: Vec::new(),
        }
    }
    /// The seed for initialisation and dropout (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The initialiser of the dense layers added after this call (default He
    /// normal).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Adds a layer made from its input shape, the seed and its position
    /// (the hook every method here uses; a layer of your own that needs its
    /// input shape can use it too).
    pub fn with(
        mut self,
        make: impl FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError> + 'static,
    ) -> Self {
        self.pending.push(("layer", Box::new(make)));
        self
    }
    fn named(
        mut self,
        kind: &'static str,
        make: impl FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError> + 'static,
    ) -> Self {
        self.pending.push((kind, Box::new(make)));
        self
    }
    /// A dense layer with `units` outputs.
    pub fn dense(self, units: usize) -> Self {
        let init = self.init;
        self.dense_with(units, init)
    }
    /// A dense layer with its own initialiser.
    pub fn dense_with(self, units: usize, init: Init) -> Self {
        self.named("dense", move |input, seed, index| {
            let inputs = input.features("dense")?;
            if units == 0 {
                return Err(LayerError::ZeroWidth {
                    layer: format!("layer {index} (dense)"),
                });
            }
            let mut r = rng::stream(seed, index);
            Ok(Box::new(Dense::new(inputs, units, init, &mut r)))
        })
    }
    /// An activation layer.
    pub fn activation(self, kind: ActivationKind) -> Self {
        self.named(kind.name(), move |_, _, _| {
            Ok(Box::new(ActivationLayer::new(kind)))
        })
    }
    /// ReLU.
    pub fn relu(self) -> Self {
        self.activation(ActivationKind::Relu)
    }
    /// Sigmoid.
    pub fn sigmoid(self) -> Self {
        self.activation(ActivationKind::Sigmoid)
    }
    /// Tanh.
    pub fn tanh(self) -> Self {
        self.activation(ActivationKind::Tanh)
    }
    /// Softmax over each column.
    pub fn softmax(self) -> Self {
        self.activation(ActivationKind::Softmax)
    }
    /// Inverted dropout with drop probability `p`.
    pub fn dropout(self, p: f64) -> Self {
        self.named("dropout", move |_, seed, index| {
            Ok(Box::new(Dropout::new(p, rng::derive_seed(seed, index))?))
        })
    }
    /// Batch normalisation of the previous layer's outputs.
    pub fn batch_norm(self) -> Self {
        self.named("batch_norm1d", |input, _, _| {
            Ok(Box::new(BatchNorm1d::new(input.features("batch_norm1d")?)?))
        })
    }
    /// Flattens each sample into a vector (before a dense layer).
    pub fn flatten(self) -> Self {
        self.named("flatten", |_, _, _| Ok(Box::new(Flatten)))
    }
    /// Any layer, e.g. one of your own, or a nested [`Sequential`].
    pub fn layer(self, layer: impl Layer<T> + 'static) -> Self {
        self.with(move |_, _, _| Ok(Box::new(layer)))
    }

    /// Builds the network, or names the first layer whose shapes do not fit.
    pub fn build(self) -> Result<Sequential<T>, LayerError> {
        if self.input.is_empty() {
            return Err(LayerError::ZeroWidth {
                layer: "input".into(),
            });
        }
        self.input.validate("input")?;
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::with_capacity(self.pending.len());
        let mut shape = self.input.clone();
        for (index, (kind, make)) in self.pending.into_iter().enumerate() {
            let layer = make(&shape, self.seed, index as u64).map_err(|e| match e {
                LayerError::NotFlat { .. } | LayerError::ZeroWidth { .. } => e,
                e => e.at(index, kind),
            })?;
            shape = layer
                .output_shape(&shape)
                .map_err(|e| e.at(index, layer.name()))?;
            layers.push(layer);
        }
        Sequential::from_layers(self.input, layers)
    }
}
