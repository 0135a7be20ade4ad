//! [`Architecture`]: what a network is made of without its weights — the
//! shape of its input and its root layer's kind and configuration — as a
//! model file stores it, and what the caller gives to load a PyTorch state
//! dict. Planned and built through the layer registry; nothing here knows
//! any particular kind of layer.

use crate::{IoError, Result};
use backprop_activations::ActivationKind;
use backprop_layers::{
    BuildContext, Config, Layer, LayerType, Model, Plan, Registry, Sequential, Shape, TensorInfo,
    Value,
};
use backprop_tensor::Scalar;
use std::fmt;

/// A network's input shape and its root layer (kind and configuration).
///
/// ```
/// use backprop_io::Architecture;
/// use backprop_activations::ActivationKind;
/// let arch: Architecture = "784,128,64,10".parse()?;
/// assert_eq!(arch, Architecture::mlp(&[784, 128, 64, 10], ActivationKind::Relu, None)?);
/// assert_eq!(arch.to_string(), "784 → dense(128) → relu → dense(64) → relu → dense(10)");
/// let net = arch.build::<f32>(0)?; // zero weights, ready to be loaded
/// assert_eq!(net.output_size(), 10);
/// # Ok::<(), backprop_io::IoError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    input: Shape,
    kind: String,
    config: Config,
}

impl Architecture {
    /// A network of `input` shape made of the root layer `kind` with
    /// `config` (for a [`Sequential`], `{"layers": [{"type": …}, …]}`).
    pub fn new(input: impl Into<Shape>, kind: &str, config: Config) -> Self {
        Self {
            input: input.into(),
            kind: kind.to_string(),
            config,
        }
    }

    /// A [`Sequential`] of the given layers, each a kind and its
    /// configuration.
    pub fn sequential(input: impl Into<Shape>, layers: Vec<(&str, Config)>) -> Self {
        let items = layers
            .into_iter()
            .map(|(kind, c)| Value::Map(c.with("type", kind)))
            .collect::<Vec<_>>();
        Self::new(
            input,
            <Sequential<f32> as LayerType>::KIND,
            Config::new().with("layers", Value::List(items)),
        )
    }

    /// A multi-layer perceptron: dense layers of the given sizes (the first is
    /// the input size), `hidden` after every dense layer but the last, and
    /// `output` (if any) after the last — PyTorch's
    /// `nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)` for
    /// `mlp(&[784, 128, 64, 10], Relu, None)`.
    ///
    /// Fails unless there are at least two sizes, all positive.
    pub fn mlp(
        sizes: &[usize],
        hidden: ActivationKind,
        output: Option<ActivationKind>,
    ) -> Result<Self> {
        let (&input, rest) = sizes.split_first().ok_or_else(|| IoError::Architecture {
            reason: "an MLP needs at least an input and an output size, found none".into(),
        })?;
        if rest.is_empty() {
            return Err(IoError::Architecture {
                reason: format!(
                    "an MLP needs at least an input and an output size, found only {input}"
                ),
            });
        }
        if let Some(pos) = sizes.iter().position(|&s| s == 0) {
            return Err(IoError::Architecture {
                reason: format!(
                    "size {pos} of {sizes:?} is 0; every layer needs at least one unit"
                ),
            });
        }
        let act = |k: ActivationKind| {
            let c = Config::new().with("name", k.name());
            match k.alpha() {
                Some(a) => c.with("alpha", a),
                None => c,
            }
        };
        let mut layers = Vec::new();
        let mut inputs = input;
        for (i, &outputs) in rest.iter().enumerate() {
            let dense = Config::new()
                .with("inputs", inputs)
                .with("outputs", outputs);
            layers.push(("dense", dense));
            if i + 1 < rest.len() {
                layers.push(("activation", act(hidden)));
            } else if let Some(out) = output {
                layers.push(("activation", act(out)));
            }
            inputs = outputs;
        }
        Ok(Self::sequential(input, layers))
    }

    /// The architecture of a model, or an error naming the first layer that
    /// cannot be described (a layer without a [`Layer::config`]).
    pub fn of<T: Scalar, M: Model<T> + ?Sized>(model: &M) -> Result<Self> {
        let root = model.as_layer();
        let config = root.config().ok_or_else(|| IoError::Architecture {
            reason: undescribed(root, ""),
        })?;
        Ok(Self::new(model.input_shape().clone(), root.kind(), config))
    }

    /// The shape of one input sample.
    pub fn input_shape(&self) -> &Shape {
        &self.input
    }
    /// The root layer's kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// The root layer's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The output shape and every tensor, planned through `registry`
    /// without allocating a tensor.
    pub fn plan(&self, registry: &Registry) -> Result<Plan> {
        self.input.validate("input").map_err(arch_error)?;
        registry
            .plan(&self.kind, &self.config, &self.input)
            .map_err(arch_error)
    }

    /// The tensors the network owns, in PyTorch's state-dict names and
    /// layouts (planned with the program's [`registry`](backprop_layers::registry)).
    ///
    /// ```
    /// use backprop_io::Architecture;
    /// use backprop_layers::Layout;
    /// let arch: Architecture = "3,2".parse()?;
    /// let t = arch.tensors()?;
    /// assert_eq!((t[0].name.as_str(), t[0].shape.as_slice()), ("0.weight", &[2, 3][..]));
    /// assert_eq!((t[1].name.as_str(), t[1].layout), ("0.bias", Layout::Vector));
    /// # Ok::<(), backprop_io::IoError>(())
    /// ```
    pub fn tensors(&self) -> Result<Vec<TensorInfo>> {
        Ok(self.plan(&backprop_layers::registry())?.tensors)
    }

    /// The network, with every weight zero, ready to be filled by a loader.
    /// Dropout layer `l` draws from `derive_seed(seed, l)`, as
    /// [`Sequential::builder`] seeds it.
    pub fn build<T: Scalar>(&self, seed: u64) -> Result<Sequential<T>> {
        self.build_with(seed, &backprop_layers::registry())
    }

    /// [`build`](Self::build) with a given registry.
    pub fn build_with<T: Scalar>(&self, seed: u64, registry: &Registry) -> Result<Sequential<T>> {
        self.plan(registry)?;
        if self.kind != <Sequential<f32> as LayerType>::KIND {
            return Err(IoError::Architecture {
                reason: format!(
                    "the root layer is {:?}; a model loads as a Sequential, so its root must be \"sequential\"",
                    self.kind
                ),
            });
        }
        let ctx = BuildContext::root(seed, registry);
        Sequential::from_config(&self.config, &self.input, &ctx).map_err(arch_error)
    }
}

fn arch_error(e: backprop_layers::LayerError) -> IoError {
    IoError::Architecture {
        reason: e.to_string(),
    }
}

/// Why `layer` (at `path`) or one of its children cannot be described.
fn undescribed<T: Scalar>(layer: &dyn Layer<T>, path: &str) -> String {
    for (i, child) in layer.children().iter().enumerate() {
        if child.config().is_none() {
            return undescribed(child.as_ref(), &format!("{path}{i}."));
        }
    }
    let at = path.trim_end_matches('.');
    let at = if at.is_empty() {
        String::new()
    } else {
        format!("layer {at} ")
    };
    format!(
        "{at}({}) has no configuration (Layer::config), so it cannot be saved; give it one and register its LayerType",
        layer.name()
    )
}

impl fmt::Display for Architecture {
    /// `784 → dense(128) → relu → dropout(0.2) → batch_norm1d(64) → dense(10)`
    /// (`(1, 28, 28) → flatten → …` for an image input):
    /// each layer by its `name` if it has one, else its kind, with its main
    /// size (`outputs`, `features`) or probability.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.input.dims() {
            [n] => write!(f, "{n}")?,
            _ => write!(f, "{}", self.input)?,
        }
        write_layer(f, &self.kind, &self.config)
    }
}

fn write_layer(f: &mut fmt::Formatter<'_>, kind: &str, c: &Config) -> fmt::Result {
    if let Ok(items) = c.list(kind, "layers") {
        for item in items {
            if let Value::Map(child) = item {
                let k = child.str(kind, "type").unwrap_or("?");
                if child.get("layers").is_some() {
                    write!(f, " → [")?;
                    write_layer(f, k, child)?;
                    write!(f, " ]")?;
                } else {
                    write_layer(f, k, child)?;
                }
            }
        }
        return Ok(());
    }
    let name = c.str(kind, "name").unwrap_or(kind);
    let main = ["outputs", "features", "p"]
        .iter()
        .find_map(|k| c.get(k))
        .and_then(|v| match v {
            Value::UInt(n) => Some(n.to_string()),
            Value::Float(x) => Some(x.to_string()),
            _ => None,
        });
    match main {
        Some(m) => write!(f, " → {name}({m})"),
        None => write!(f, " → {name}"),
    }
}

impl std::str::FromStr for Architecture {
    type Err = IoError;

    /// Comma-separated layer sizes, `"784,128,64,10"`: an MLP with ReLU
    /// between the dense layers and logits out (see [`Architecture::mlp`]).
    fn from_str(s: &str) -> Result<Self> {
        let sizes = s
            .split(',')
            .enumerate()
            .map(|(i, part)| {
                part.trim()
                    .parse::<usize>()
                    .map_err(|_| IoError::Architecture {
                        reason: format!(
                            "size {i} of {s:?} is {:?}, expected a positive integer (e.g. 784,128,64,10)",
                            part.trim()
                        ),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::mlp(&sizes, ActivationKind::Relu, None)
    }
}
