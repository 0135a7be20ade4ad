//! What convolution and pooling layers share: `(height, width)` [`Pair`]s
//! (a kernel size, a stride, a padding, a dilation), their form in a
//! [`Config`] (`[h, w]`), and the [`SpatialSettings`] that the builder's
//! modifiers (`.stride(2)`, `.padding(1)`, …) change on the layer added
//! just before them.
//!
//! It depends only on config.rs and error.rs, so that the builder and every
//! spatial layer (conv2d.rs, the pooling layers) can use it without
//! importing each other.

use crate::{Config, LayerError, Value};
use std::fmt;

/// A `(height, width)` pair: a kernel size, stride, padding or dilation.
/// A single number means the same along both axes (`3` is `(3, 3)`), as in
/// PyTorch.
///
/// ```
/// use backprop_layers::Pair;
/// assert_eq!(Pair::from(3), Pair::new(3, 3));
/// assert_eq!(Pair::from((5, 3)), Pair::new(5, 3));
/// assert_eq!(Pair::from([1, 2]).to_string(), "(1, 2)");
/// assert_eq!(Pair::from(2).to_string(), "2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pair {
    /// Along the height (rows of an image).
    pub h: usize,
    /// Along the width (columns of an image).
    pub w: usize,
}

impl Pair {
    /// `(h, w)`.
    pub const fn new(h: usize, w: usize) -> Self {
        Self { h, w }
    }
    /// `(n, n)`.
    pub const fn square(n: usize) -> Self {
        Self { h: n, w: n }
    }
    /// As a tuple `(h, w)`.
    pub const fn tuple(self) -> (usize, usize) {
        (self.h, self.w)
    }
    /// The configuration value `[h, w]`.
    pub fn to_value(self) -> Value {
        Value::from(vec![self.h, self.w])
    }
    /// The pair stored under `key` of `config` as `[h, w]` (a single
    /// non-negative integer is taken as `[n, n]`), or an error naming
    /// `layer`, the key and what was found.
    ///
    /// ```
    /// use backprop_layers::{Config, Pair};
    /// let c = Config::new().with("stride", vec![2usize, 1]).with("padding", 1usize);
    /// assert_eq!(Pair::from_config(&c, "conv2d", "stride")?, Pair::new(2, 1));
    /// assert_eq!(Pair::from_config(&c, "conv2d", "padding")?, Pair::new(1, 1));
    /// let bad = Config::new().with("stride", vec![2usize, 1, 1]);
    /// let e = Pair::from_config(&bad, "conv2d", "stride").unwrap_err();
    /// assert_eq!(e.to_string(), "conv2d: \"stride\" must be a list of two non-negative integers [h, w], found a list of 3");
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    pub fn from_config(config: &Config, layer: &str, key: &str) -> Result<Self, LayerError> {
        const WHAT: &str = "a list of two non-negative integers [h, w]";
        let wrong = |found: &Value| LayerError::InvalidConfig {
            layer: layer.to_string(),
            message: format!("{key:?} must be {WHAT}, found {}", found.describe()),
        };
        let int = |v: &Value| match v {
            Value::UInt(n) => usize::try_from(*n).ok(),
            _ => None,
        };
        let Some(v) = config.get(key) else {
            return Err(LayerError::InvalidConfig {
                layer: layer.to_string(),
                message: format!("configuration has no {key:?} (expected {WHAT})"),
            });
        };
        match v {
            Value::UInt(_) => int(v).map(Pair::square).ok_or_else(|| wrong(v)),
            Value::List(items) => match items.as_slice() {
                [h, w] => match (int(h), int(w)) {
                    (Some(h), Some(w)) => Ok(Pair::new(h, w)),
                    _ => Err(wrong(v)),
                },
                _ => Err(wrong(v)),
            },
            other => Err(wrong(other)),
        }
    }
}

impl From<usize> for Pair {
    fn from(n: usize) -> Self {
        Self::square(n)
    }
}

impl From<(usize, usize)> for Pair {
    fn from((h, w): (usize, usize)) -> Self {
        Self::new(h, w)
    }
}

impl From<[usize; 2]> for Pair {
    fn from([h, w]: [usize; 2]) -> Self {
        Self::new(h, w)
    }
}

impl fmt::Display for Pair {
    /// `2` for a square pair, `(1, 2)` otherwise: how it would be written
    /// in a builder call.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.h == self.w {
            write!(f, "{}", self.h)
        } else {
            write!(f, "({}, {})", self.h, self.w)
        }
    }
}

/// One setting that a builder modifier changes on the layer just added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `.kernel(k)`: the window's size.
    Kernel,
    /// `.stride(s)`: the step between windows.
    Stride,
    /// `.padding(p)`: zeros added on each side of the input.
    Padding,
    /// `.dilation(d)`: the spacing between a window's taps.
    Dilation,
    /// `.bias(b)`: whether the layer adds a learned bias.
    Bias,
}

impl Setting {
    /// The setting's name, as in `.stride(…)` and in configurations.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Kernel => "kernel",
            Setting::Stride => "stride",
            Setting::Padding => "padding",
            Setting::Dilation => "dilation",
            Setting::Bias => "bias",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The settings of a convolution or pooling layer that the builder's
/// modifiers change before the layer is made (see
/// [`SequentialBuilder::spatial`](crate::SequentialBuilder::spatial)).
///
/// ```
/// use backprop_layers::{Pair, SpatialSettings};
/// let s = SpatialSettings::kernel(5);
/// assert_eq!((s.kernel, s.stride, s.padding, s.dilation, s.bias), (Pair::square(5), None, Pair::square(0), Pair::square(1), true));
/// assert_eq!(s.stride_or(Pair::square(1)), Pair::square(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpatialSettings {
    /// The window `(kh, kw)`.
    pub kernel: Pair,
    /// The step between windows; `None` until set, meaning the layer's own
    /// default (1 for a convolution, the kernel for pooling, as in PyTorch).
    pub stride: Option<Pair>,
    /// Zeros on each side, `(ph, pw)` (default 0).
    pub padding: Pair,
    /// Spacing between taps (default 1: adjacent).
    pub dilation: Pair,
    /// Whether a learned bias is added (default `true`; only layers that
    /// accept [`Setting::Bias`] read it).
    pub bias: bool,
}

impl SpatialSettings {
    /// A window of `kernel` with every other setting at its default.
    pub fn kernel(kernel: impl Into<Pair>) -> Self {
        Self {
            kernel: kernel.into(),
            stride: None,
            padding: Pair::square(0),
            dilation: Pair::square(1),
            bias: true,
        }
    }
    /// The stride, or `default` when none was set.
    pub fn stride_or(&self, default: Pair) -> Pair {
        self.stride.unwrap_or(default)
    }
}
