//! [`Conv2dConfig`]: a convolution's settings (channels, kernel, stride,
//! padding, dilation, bias), their form in a model file, and the checks
//! that turn them and an input shape into a [`Conv2dGeometry`].

use crate::{Config, LayerError, Pair, Shape, Value};
use backprop_tensor::TensorError;
use backprop_tensor::conv::Conv2dGeometry;

/// The configuration keys of a `Conv2d`, as in a model file.
pub(crate) const KEYS: &[&str] = &[
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "bias",
];

/// A convolution's settings, PyTorch's `nn.Conv2d` arguments: `in_channels`,
/// `out_channels`, `kernel_size`, `stride` (default 1), `padding` (zeros on
/// each side, default 0), `dilation` (default 1) and `bias` (default on).
///
/// In a model file it is `{"in_channels": 1, "out_channels": 6,
/// "kernel_size": [5, 5], "stride": [1, 1], "padding": [2, 2],
/// "dilation": [1, 1], "bias": true}`.
///
/// ```
/// use backprop_layers::{Conv2dConfig, Pair, Shape};
/// let c = Conv2dConfig::new(1, 6, 5).with_padding(2);
/// assert_eq!((c.kernel, c.padding, c.stride), (Pair::square(5), Pair::square(2), Pair::square(1)));
/// assert_eq!(c.output_shape(&Shape::new([1, 28, 28]))?, Shape::new([6, 28, 28]));
/// assert_eq!(Conv2dConfig::from_config(&c.to_config())?, c);
/// // The input must have the configured channels.
/// let e = c.output_shape(&Shape::new([3, 28, 28])).unwrap_err();
/// assert_eq!(e.to_string(), "conv2d 1→6: expected samples of shape (1, 28, 28), found (3, 28, 28)");
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dConfig {
    /// Channels of the input, `C`.
    pub in_channels: usize,
    /// Channels of the output (filters), `O`.
    pub out_channels: usize,
    /// The kernel `(kh, kw)`.
    pub kernel: Pair,
    /// The step between windows `(sh, sw)`.
    pub stride: Pair,
    /// Zeros on each side of the input `(ph, pw)`.
    pub padding: Pair,
    /// The spacing of a kernel's taps `(dh, dw)` (1: adjacent).
    pub dilation: Pair,
    /// Whether a learned bias is added to each output channel.
    pub bias: bool,
}

impl Conv2dConfig {
    /// `in_channels → out_channels` with a `kernel` window (`5` or `(5, 3)`),
    /// stride 1, no padding, no dilation, with bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel: impl Into<Pair>) -> Self {
        Self {
            in_channels,
            out_channels,
            kernel: kernel.into(),
            stride: Pair::square(1),
            padding: Pair::square(0),
            dilation: Pair::square(1),
            bias: true,
        }
    }
    /// With this stride.
    pub fn with_stride(mut self, stride: impl Into<Pair>) -> Self {
        self.stride = stride.into();
        self
    }
    /// With this padding.
    pub fn with_padding(mut self, padding: impl Into<Pair>) -> Self {
        self.padding = padding.into();
        self
    }
    /// With this dilation.
    pub fn with_dilation(mut self, dilation: impl Into<Pair>) -> Self {
        self.dilation = dilation.into();
        self
    }
    /// With or without a bias.
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// How messages name the layer: `"conv2d 6→16"`.
    pub(crate) fn label(&self) -> String {
        format!("conv2d {}→{}", self.in_channels, self.out_channels)
    }

    /// The geometry of this convolution on samples of shape `input`, or an
    /// error saying what does not fit: an input that is not `[C, H, W]`,
    /// other channels than `in_channels`, a zero size or stride, a kernel
    /// larger than the padded input.
    pub fn geometry(&self, input: &Shape) -> Result<Conv2dGeometry, LayerError> {
        let &[c, h, w] = input.dims() else {
            return Err(LayerError::InvalidConfig {
                layer: self.label(),
                message: format!(
                    "expected samples of shape (channels, height, width), found {input}"
                ),
            });
        };
        if c != self.in_channels && self.in_channels > 0 {
            return Err(LayerError::InputShape {
                layer: self.label(),
                expected: Shape::new([self.in_channels, h, w]),
                found: input.clone(),
            });
        }
        Conv2dGeometry::new(
            [self.in_channels, h, w],
            self.out_channels,
            self.kernel.tuple(),
            self.stride.tuple(),
            self.padding.tuple(),
            self.dilation.tuple(),
        )
        .map_err(|e| LayerError::InvalidConfig {
            layer: self.label(),
            message: match e {
                TensorError::InvalidArgument { message, .. } => message,
                other => other.to_string(),
            },
        })
    }

    /// The shape of one output sample, `[O, OH, OW]`, for samples of shape
    /// `input` (see [`geometry`](Self::geometry) for the errors).
    pub fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        let g = self.geometry(input)?;
        let (oh, ow) = g.output_size();
        Ok(Shape::new([self.out_channels, oh, ow]))
    }

    /// The configuration a model file stores.
    pub fn to_config(&self) -> Config {
        Config::new()
            .with("in_channels", self.in_channels)
            .with("out_channels", self.out_channels)
            .with("kernel_size", self.kernel.to_value())
            .with("stride", self.stride.to_value())
            .with("padding", self.padding.to_value())
            .with("dilation", self.dilation.to_value())
            .with("bias", self.bias)
    }

    /// The settings stored in `config` (every key required, no unknown
    /// key), or an error naming the key and what was found.
    pub fn from_config(config: &Config) -> Result<Self, LayerError> {
        const LAYER: &str = "conv2d";
        config.only(LAYER, KEYS)?;
        let bias = match config.get("bias") {
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(LayerError::InvalidConfig {
                    layer: LAYER.to_string(),
                    message: format!("\"bias\" must be true or false, found {}", other.describe()),
                });
            }
            None => {
                return Err(LayerError::InvalidConfig {
                    layer: LAYER.to_string(),
                    message: "configuration has no \"bias\" (expected true or false)".to_string(),
                });
            }
        };
        Ok(Self {
            in_channels: config.usize(LAYER, "in_channels")?,
            out_channels: config.usize(LAYER, "out_channels")?,
            kernel: Pair::from_config(config, LAYER, "kernel_size")?,
            stride: Pair::from_config(config, LAYER, "stride")?,
            padding: Pair::from_config(config, LAYER, "padding")?,
            dilation: Pair::from_config(config, LAYER, "dilation")?,
            bias,
        })
    }
}
