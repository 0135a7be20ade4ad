//! [`SequentialBuilder`]: a network layer by layer, each layer made when
//! [`build`](SequentialBuilder::build) knows its input shape.
//!
//! # Spatial layers and their modifiers
//!
//! Convolution and pooling layers are added with their window and then
//! adjusted by modifiers that apply to the layer added just before them:
//! `.conv2d(6, 5).padding(2).relu().max_pool2d(2)`. The builder keeps such
//! a layer *pending* with its [`SpatialSettings`] (kernel, stride, padding,
//! dilation, bias) and the list of [`Setting`]s it accepts; each modifier
//! ([`kernel`](SequentialBuilder::kernel), [`stride`](SequentialBuilder::stride),
//! [`padding`](SequentialBuilder::padding),
//! [`dilation`](SequentialBuilder::dilation), [`bias`](SequentialBuilder::bias))
//! changes that layer's settings, and the layer is made from them only in
//! [`build`](SequentialBuilder::build), once its input shape is known.
//! A modifier after a layer without that setting (`.relu().padding(1)`, or
//! `.dilation(2)` after a pooling layer that takes none) is remembered and
//! returned by `build` as an error naming the layer.
//!
//! A spatial layer hooks in with one method, in any file that adds an
//! `impl SequentialBuilder` block (the pooling layers' live in
//! builder_pool.rs), through [`SequentialBuilder::spatial`], whose
//! documentation has an example.

use crate::{
    ActivationLayer, BatchNorm1d, Conv2d, Conv2dConfig, Dense, Dropout, Flatten, Layer, LayerError,
    Pair, Sequential, Setting, Shape, SpatialSettings,
};
use backprop_activations::ActivationKind;
use backprop_tensor::{Init, Scalar, rng};

/// Makes one layer from its input shape, the network's seed and its position.
type Make<T> = Box<dyn FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError>>;

/// Makes one spatial layer from its input shape, its settings (as the
/// modifiers left them), the network's seed and its position.
type MakeSpatial<T> =
    Box<dyn FnOnce(&Shape, &SpatialSettings, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError>>;

/// How a pending layer will be made.
enum Maker<T: Scalar> {
    /// From its input shape alone.
    Plain(Make<T>),
    /// From its input shape and settings the modifiers may still change.
    Spatial {
        settings: SpatialSettings,
        accepts: &'static [Setting],
        make: MakeSpatial<T>,
    },
}

/// A layer added but not made yet: its kind (for messages) and its maker.
struct Pending<T: Scalar> {
    kind: &'static str,
    maker: Maker<T>,
}

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
    pending: Vec<Pending<T>>,
    /// The first misplaced modifier, returned by `build`.
    misuse: Option<LayerError>,
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
            misuse: None,
        }
    }
    /// The seed for initialisation and dropout (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The initialiser of the dense and convolution layers added after this
    /// call (default He normal; [`Init::TorchDefault`] is PyTorch's).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// The initialiser the next dense or convolution layer gets.
    pub fn current_init(&self) -> Init {
        self.init
    }
    /// Adds a layer made from its input shape, the seed and its position
    /// (the hook every method here uses; a layer of your own that needs its
    /// input shape can use it too).
    pub fn with(
        self,
        make: impl FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError> + 'static,
    ) -> Self {
        self.named("layer", make)
    }
    /// [`with`](Self::with), naming the layer's kind for error messages
    /// (the hook of the layers that take no modifier).
    pub fn named(
        mut self,
        kind: &'static str,
        make: impl FnOnce(&Shape, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError> + 'static,
    ) -> Self {
        self.pending.push(Pending {
            kind,
            maker: Maker::Plain(Box::new(make)),
        });
        self
    }
    /// Adds a spatial layer (a convolution, a pooling layer) of kind `kind`
    /// that takes the modifiers in `accepts`, starting from `settings`:
    /// `make` is called in [`build`](Self::build) with the layer's input
    /// shape, its settings as the modifiers that follow left them, the seed
    /// and its position: the hook of [`conv2d`](Self::conv2d) and the
    /// pooling layers, and of a user's own spatial layer.
    ///
    /// ```
    /// use backprop_layers::{Flatten, Layer, LayerError, Sequential, SequentialBuilder, Setting, SpatialSettings};
    /// use backprop_tensor::Scalar;
    /// // A stand-in "spatial layer" that only checks its settings arrive.
    /// fn probe<T: Scalar>(b: SequentialBuilder<T>) -> SequentialBuilder<T> {
    ///     b.spatial("probe", &[Setting::Kernel, Setting::Stride], SpatialSettings::kernel(2), |_input, s, _seed, _index| {
    ///         assert_eq!((s.kernel.h, s.stride.map(|p| p.h)), (3, Some(2)));
    ///         Ok(Box::new(Flatten))
    ///     })
    /// }
    /// let net = probe(Sequential::<f32>::builder([1, 8, 8])).kernel(3).stride(2).build()?;
    /// assert_eq!(net.layers().len(), 1);
    /// // A setting the layer does not take is an error at build time, naming it.
    /// let err = probe(Sequential::<f32>::builder([1, 8, 8])).padding(1).build().unwrap_err();
    /// assert_eq!(err.to_string(), "layer 0 (probe): .padding(1) sets the padding of the layer added just before it, and probe takes no padding (it takes kernel, stride)");
    /// # Ok::<(), LayerError>(())
    /// ```
    pub fn spatial(
        mut self,
        kind: &'static str,
        accepts: &'static [Setting],
        settings: SpatialSettings,
        make: impl FnOnce(&Shape, &SpatialSettings, u64, u64) -> Result<Box<dyn Layer<T>>, LayerError>
        + 'static,
    ) -> Self {
        self.pending.push(Pending {
            kind,
            maker: Maker::Spatial {
                settings,
                accepts,
                make: Box::new(make),
            },
        });
        self
    }

    /// Applies a modifier to the last layer, or remembers why it cannot.
    fn modify(
        mut self,
        setting: Setting,
        shown: String,
        f: impl FnOnce(&mut SpatialSettings),
    ) -> Self {
        if self.misuse.is_some() {
            return self;
        }
        let index = self.pending.len().checked_sub(1);
        let problem = match self.pending.last_mut() {
            None => LayerError::InvalidConfig {
                layer: "input".to_string(),
                message: format!(
                    ".{setting}({shown}) sets the {setting} of the layer added just before it, and there is none yet; add a convolution or pooling layer first"
                ),
            },
            Some(Pending {
                maker: Maker::Spatial {
                    settings, accepts, ..
                },
                ..
            }) if accepts.contains(&setting) => {
                f(settings);
                return self;
            }
            Some(Pending { kind, maker }) => {
                let takes = match maker {
                    Maker::Spatial { accepts, .. } if !accepts.is_empty() => {
                        let names: Vec<&str> = accepts.iter().map(|s| s.name()).collect();
                        format!(" (it takes {})", names.join(", "))
                    }
                    _ => String::new(),
                };
                LayerError::InvalidConfig {
                    layer: format!("layer {} ({kind})", index.unwrap_or(0)),
                    message: format!(
                        ".{setting}({shown}) sets the {setting} of the layer added just before it, and {kind} takes no {setting}{takes}"
                    ),
                }
            }
        };
        self.misuse = Some(problem);
        self
    }
    /// Sets the window of the layer just added (a convolution or pooling
    /// layer): `.kernel(3)` or `.kernel((5, 3))`.
    pub fn kernel(self, kernel: impl Into<Pair>) -> Self {
        let k = kernel.into();
        self.modify(Setting::Kernel, k.to_string(), |s| s.kernel = k)
    }
    /// Sets the stride of the layer just added (a convolution or pooling
    /// layer): `.stride(2)` or `.stride((2, 1))`.
    pub fn stride(self, stride: impl Into<Pair>) -> Self {
        let p = stride.into();
        self.modify(Setting::Stride, p.to_string(), |s| s.stride = Some(p))
    }
    /// Sets the zero padding of the layer just added (a convolution or
    /// pooling layer), added on each side: `.padding(2)`.
    pub fn padding(self, padding: impl Into<Pair>) -> Self {
        let p = padding.into();
        self.modify(Setting::Padding, p.to_string(), |s| s.padding = p)
    }
    /// Sets the dilation of the layer just added (a convolution):
    /// `.dilation(2)` spreads a 3×3 kernel's taps over 5×5.
    pub fn dilation(self, dilation: impl Into<Pair>) -> Self {
        let p = dilation.into();
        self.modify(Setting::Dilation, p.to_string(), |s| s.dilation = p)
    }
    /// Whether the layer just added (a convolution) has a bias (default
    /// `true`): `.bias(false)`, as before a batch normalisation.
    pub fn bias(self, bias: bool) -> Self {
        self.modify(Setting::Bias, bias.to_string(), |s| s.bias = bias)
    }

    /// A 2-D convolution with `out_channels` filters of `kernel` (`5` or
    /// `(5, 3)`), its input channels those of the previous layer's output;
    /// stride 1, no padding, no dilation and a bias unless `.stride(s)`,
    /// `.padding(p)`, `.dilation(d)` or `.bias(false)` follow. Initialised
    /// with the builder's [`init`](Self::init), `fan_in = C·kh·kw`.
    ///
    /// ```
    /// use backprop_layers::{Sequential, Shape};
    /// use backprop_tensor::Init;
    /// // LeNet-5's feature extractor.
    /// let net = Sequential::<f32>::builder([1, 28, 28]).init(Init::TorchDefault)
    ///     .conv2d(6, 5).padding(2).relu()
    ///     .conv2d(16, 5).stride(2).bias(false)
    ///     .build()?;
    /// assert_eq!(net.shapes()[0], Shape::new([6, 28, 28]));
    /// assert_eq!(net.output_shape(), &Shape::new([16, 12, 12]));
    /// // A kernel larger than the padded input is refused, naming the layer.
    /// let err = Sequential::<f32>::builder([1, 4, 4]).conv2d(2, 5).build().unwrap_err();
    /// assert_eq!(err.to_string(), "layer 0 (conv2d): conv2d 1→2: the kernel 5×5 does not fit in the input 4×4 (padding 0×0 on each side: 4×4 in all)");
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    pub fn conv2d(self, out_channels: usize, kernel: impl Into<Pair>) -> Self {
        const CONV: &[Setting] = &[
            Setting::Kernel,
            Setting::Stride,
            Setting::Padding,
            Setting::Dilation,
            Setting::Bias,
        ];
        let init = self.init;
        self.spatial(
            "conv2d",
            CONV,
            SpatialSettings::kernel(kernel),
            move |input, s, seed, index| {
                let in_channels = match input.dims() {
                    &[c, _, _] => c,
                    _ => 0,
                };
                let config = Conv2dConfig {
                    in_channels,
                    out_channels,
                    kernel: s.kernel,
                    stride: s.stride_or(Pair::square(1)),
                    padding: s.padding,
                    dilation: s.dilation,
                    bias: s.bias,
                };
                let mut r = rng::stream(seed, index);
                Ok(Box::new(Conv2d::new(input.clone(), config, init, &mut r)?))
            },
        )
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

    /// Builds the network, or names the first layer whose shapes do not fit
    /// (or the first modifier that applies to no setting of its layer).
    pub fn build(self) -> Result<Sequential<T>, LayerError> {
        if let Some(e) = self.misuse {
            return Err(e);
        }
        if self.input.is_empty() {
            return Err(LayerError::ZeroWidth {
                layer: "input".into(),
            });
        }
        self.input.validate("input")?;
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::with_capacity(self.pending.len());
        let mut shape = self.input.clone();
        for (index, Pending { kind, maker }) in self.pending.into_iter().enumerate() {
            let made = match maker {
                Maker::Plain(make) => make(&shape, self.seed, index as u64),
                Maker::Spatial { settings, make, .. } => {
                    make(&shape, &settings, self.seed, index as u64)
                }
            };
            let layer = made.map_err(|e| match e {
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
