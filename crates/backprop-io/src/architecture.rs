//! [`Architecture`]: a network's input size and layer descriptions, as stored
//! in a model file's metadata, and the tensors it owns in PyTorch's
//! `nn.Sequential` state-dict layout.

use crate::{IoError, Result};
use backprop_activations::ActivationKind;
use backprop_layers::{ActivationLayer, BatchNorm1d, Dense, Dropout, Layer, LayerSpec, Sequential};
use backprop_tensor::{DMatrix, Scalar, rng};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a network is made of, without its weights: the number of input
/// features and one [`LayerSpec`] per layer. It is what a model file stores
/// as JSON, and what the caller gives to load a PyTorch state dict
/// ([`load_state_dict`](crate::load_state_dict)).
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
    /// Number of input features.
    pub input_size: usize,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
}

impl Architecture {
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
        let (&input_size, rest) = sizes.split_first().ok_or_else(|| IoError::Architecture {
            reason: "an MLP needs at least an input and an output size, found none".into(),
        })?;
        if rest.is_empty() {
            return Err(IoError::Architecture {
                reason: format!(
                    "an MLP needs at least an input and an output size, found only {input_size}"
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
        let mut layers = Vec::new();
        let mut inputs = input_size;
        for (i, &outputs) in rest.iter().enumerate() {
            layers.push(LayerSpec::Dense { inputs, outputs });
            if i + 1 < rest.len() {
                layers.push(LayerSpec::Activation(hidden));
            } else if let Some(out) = output {
                layers.push(LayerSpec::Activation(out));
            }
            inputs = outputs;
        }
        Ok(Self { input_size, layers })
    }

    /// The architecture of a model, or an error naming the first layer that
    /// has no description (a custom layer).
    pub fn of<T: Scalar>(model: &Sequential<T>) -> Result<Self> {
        let mut layers = Vec::with_capacity(model.layers().len());
        for (i, layer) in model.layers().iter().enumerate() {
            layers.push(layer.spec().ok_or_else(|| IoError::Architecture {
                reason: format!(
                    "layer {i} ({}) is a custom layer without a description (Layer::spec), so it cannot be saved",
                    layer.name()
                ),
            })?);
        }
        Ok(Self {
            input_size: model.input_size(),
            layers,
        })
    }

    /// The network, with every weight zero and BatchNorm1d's defaults, ready
    /// to be filled by a loader. Dropout layer `l` draws from
    /// `derive_seed(seed, l)`, as [`Sequential::builder`] seeds it.
    pub fn build<T: Scalar>(&self, seed: u64) -> Result<Sequential<T>> {
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::with_capacity(self.layers.len());
        for (index, spec) in self.layers.iter().enumerate() {
            let layer: Box<dyn Layer<T>> = match *spec {
                LayerSpec::Dense { inputs, outputs } => Box::new(Dense::from_weights(
                    DMatrix::zeros(outputs, inputs),
                    DMatrix::zeros(outputs, 1),
                )?),
                LayerSpec::Activation(kind) => Box::new(ActivationLayer::new(kind)),
                LayerSpec::Dropout { p } => {
                    Box::new(Dropout::new(p, rng::derive_seed(seed, index as u64))?)
                }
                LayerSpec::BatchNorm1d {
                    features,
                    eps,
                    momentum,
                } => Box::new(BatchNorm1d::with_config(features, eps, momentum)?),
            };
            layers.push(layer);
        }
        Ok(Sequential::from_layers(self.input_size, layers)?)
    }

    /// The tensors the network owns, in PyTorch's state-dict names and
    /// layouts, layer by layer: a dense layer `i` has `i.weight`
    /// (`[outputs, inputs]`, row-major) and `i.bias` (`[outputs]`); a
    /// BatchNorm1d `i` has `i.weight`, `i.bias`, `i.running_mean`,
    /// `i.running_var` (`[features]`) and `i.num_batches_tracked` (an `i64`
    /// scalar, shape `[]`). Activations and dropout own none.
    ///
    /// ```
    /// use backprop_io::{Architecture, TensorKind};
    /// let arch: Architecture = "3,2".parse()?;
    /// let t = arch.tensors();
    /// assert_eq!((t[0].name.as_str(), t[0].shape.as_slice()), ("0.weight", &[2, 3][..]));
    /// assert_eq!((t[1].name.as_str(), t[1].kind), ("0.bias", TensorKind::Vector));
    /// # Ok::<(), backprop_io::IoError>(())
    /// ```
    pub fn tensors(&self) -> Vec<TensorSpec> {
        let mut out = Vec::new();
        for (i, spec) in self.layers.iter().enumerate() {
            match *spec {
                LayerSpec::Dense { inputs, outputs } => {
                    out.push(TensorSpec::new(
                        format!("{i}.weight"),
                        TensorKind::Matrix,
                        vec![outputs, inputs],
                    ));
                    out.push(TensorSpec::new(
                        format!("{i}.bias"),
                        TensorKind::Vector,
                        vec![outputs],
                    ));
                }
                LayerSpec::BatchNorm1d { features, .. } => {
                    for name in ["weight", "bias", "running_mean", "running_var"] {
                        out.push(TensorSpec::new(
                            format!("{i}.{name}"),
                            TensorKind::Vector,
                            vec![features],
                        ));
                    }
                    out.push(TensorSpec::new(
                        format!("{i}.num_batches_tracked"),
                        TensorKind::Count,
                        vec![],
                    ));
                }
                LayerSpec::Activation(_) | LayerSpec::Dropout { .. } => {}
            }
        }
        out
    }

    pub(crate) fn to_json(&self) -> Vec<LayerJson> {
        self.layers.iter().map(LayerJson::from_spec).collect()
    }

    pub(crate) fn from_json(input_size: usize, layers: &[LayerJson]) -> Result<Self, String> {
        let layers = layers
            .iter()
            .enumerate()
            .map(|(i, l)| l.to_spec().map_err(|e| format!("layer {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { input_size, layers })
    }
}

/// How a tensor of the state dict maps onto a matrix of this library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// A weight: `[rows, cols]` row-major in the file, a `rows×cols`
    /// (column-major) matrix here, so the bytes are transposed on the way.
    Matrix,
    /// A vector: `[n]` in the file, an `n×1` column here.
    Vector,
    /// A count (BatchNorm's `num_batches_tracked`): an `i64` scalar (`[]`) in
    /// the file, a `1×1` matrix here.
    Count,
}

/// One tensor of a state dict: its name, how it maps onto a matrix, and its
/// shape in the file (PyTorch's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// The name (`"0.weight"`).
    pub name: String,
    /// How it maps onto a matrix.
    pub kind: TensorKind,
    /// Its shape in the file.
    pub shape: Vec<usize>,
}

impl TensorSpec {
    fn new(name: String, kind: TensorKind, shape: Vec<usize>) -> Self {
        Self { name, kind, shape }
    }
}

impl fmt::Display for Architecture {
    /// `784 → dense(128) → relu → dropout(0.2) → batch_norm1d(64) → dense(10)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.input_size)?;
        for spec in &self.layers {
            match spec {
                LayerSpec::Dense { outputs, .. } => write!(f, " → dense({outputs})")?,
                LayerSpec::Activation(kind) => write!(f, " → {kind}")?,
                LayerSpec::Dropout { p } => write!(f, " → dropout({p})")?,
                LayerSpec::BatchNorm1d { features, .. } => {
                    write!(f, " → batch_norm1d({features})")?
                }
            }
        }
        Ok(())
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

/// A layer as stored in the JSON metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum LayerJson {
    Dense {
        inputs: usize,
        outputs: usize,
    },
    Activation {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alpha: Option<f64>,
    },
    Dropout {
        p: f64,
    },
    #[serde(rename = "batch_norm1d")]
    BatchNorm1d {
        features: usize,
        eps: f64,
        momentum: f64,
    },
}

impl LayerJson {
    fn from_spec(spec: &LayerSpec) -> Self {
        match *spec {
            LayerSpec::Dense { inputs, outputs } => Self::Dense { inputs, outputs },
            LayerSpec::Activation(kind) => Self::Activation {
                name: kind.name().to_string(),
                alpha: kind.alpha(),
            },
            LayerSpec::Dropout { p } => Self::Dropout { p },
            LayerSpec::BatchNorm1d {
                features,
                eps,
                momentum,
            } => Self::BatchNorm1d {
                features,
                eps,
                momentum,
            },
        }
    }

    fn to_spec(&self) -> Result<LayerSpec, String> {
        Ok(match self {
            Self::Dense { inputs, outputs } => LayerSpec::Dense {
                inputs: *inputs,
                outputs: *outputs,
            },
            Self::Activation { name, alpha } => LayerSpec::Activation(
                ActivationKind::from_name(name, *alpha).map_err(|e| e.to_string())?,
            ),
            Self::Dropout { p } => LayerSpec::Dropout { p: *p },
            Self::BatchNorm1d {
                features,
                eps,
                momentum,
            } => LayerSpec::BatchNorm1d {
                features: *features,
                eps: *eps,
                momentum: *momentum,
            },
        })
    }
}
