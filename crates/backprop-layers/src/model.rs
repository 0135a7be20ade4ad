//! [`Model`]: what the trainer, callbacks and model files accept — a network
//! that runs forward and backward on batches, hands out its parameters, and
//! predicts on raw, unlabelled input by itself — and [`ModelInfo`], what a
//! model says about itself (preprocessing, kind of output, class names).

use crate::{Layer, LayerError, Mode, Shape};
use backprop_activations::{Activation, ActivationKind};
use backprop_tensor::{DMatrix, Parameters, Scalar, ops};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// What a network's outputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputKind {
    /// Class scores before softmax (or before a sigmoid, for one output):
    /// what softmax cross-entropy and BCE-with-logits train.
    #[default]
    Logits,
    /// Class probabilities (the network ends in a softmax or a sigmoid).
    Probabilities,
    /// Regressed values.
    Values,
}

impl OutputKind {
    /// `"logits"`, `"probabilities"`, `"values"`.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Logits => "logits",
            OutputKind::Probabilities => "probabilities",
            OutputKind::Values => "values",
        }
    }
    /// The kind named by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Logits, Self::Probabilities, Self::Values]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// How raw input becomes what the network was trained on. Applied by
/// [`Model::predict_raw`] and [`Model::predict_pixels`] (not by
/// [`Model::forward`], which takes prepared batches).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Preprocess {
    /// The input is used as it is.
    #[default]
    None,
    /// Pixels in `0..=255`: `x = (p/255 − mean)/std` (`mean 0, std 1`: into
    /// `[0, 1]`).
    Pixels {
        /// Mean of the unit-scaled pixels.
        mean: f64,
        /// Their standard deviation.
        std: f64,
    },
    /// A fitted per-feature scaler: `xᵢ = (xᵢ − offsetᵢ)/scaleᵢ`.
    Standardize {
        /// Per-feature offsets (means, or minima).
        offset: Vec<f64>,
        /// Per-feature scales (standard deviations, or ranges).
        scale: Vec<f64>,
    },
}

impl Preprocess {
    /// Pixels into `[0, 1]`: `p/255`.
    pub const UNIT_PIXELS: Preprocess = Preprocess::Pixels {
        mean: 0.0,
        std: 1.0,
    };

    /// Checks the numbers: finite, scales positive, one pair per feature of
    /// `features`.
    pub fn validate(&self, features: usize) -> Result<(), String> {
        match self {
            Preprocess::None => Ok(()),
            Preprocess::Pixels { mean, std } => {
                if mean.is_finite() && std.is_finite() && *std > 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "pixel standardisation needs a finite mean and a positive std, found mean {mean}, std {std}"
                    ))
                }
            }
            Preprocess::Standardize { offset, scale } => {
                if offset.len() != features || scale.len() != features {
                    return Err(format!(
                        "the scaler has {} offsets and {} scales, the model takes {features} features",
                        offset.len(),
                        scale.len()
                    ));
                }
                if let Some(i) = (0..features)
                    .find(|&i| !(offset[i].is_finite() && scale[i].is_finite() && scale[i] > 0.0))
                {
                    return Err(format!(
                        "scaler feature {i}: offset {} and scale {} (expected finite, scale > 0)",
                        offset[i], scale[i]
                    ));
                }
                Ok(())
            }
        }
    }

    /// The prepared value of raw value `x` of feature `i`.
    pub fn apply(&self, i: usize, x: f64) -> f64 {
        match self {
            Preprocess::None => x,
            Preprocess::Pixels { mean, std } => (x / 255.0 - mean) / std,
            Preprocess::Standardize { offset, scale } => match (offset.get(i), scale.get(i)) {
                (Some(o), Some(s)) => (x - o) / s,
                _ => x,
            },
        }
    }
}

/// What a model says about itself beyond its layers; model files store it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelInfo {
    /// How raw input is prepared.
    pub preprocess: Preprocess,
    /// What the outputs are.
    pub output: OutputKind,
    /// The class names, one per class, when known.
    pub class_names: Option<Vec<String>>,
    /// Anything else worth keeping with the model (dataset, author, …).
    pub metadata: BTreeMap<String, String>,
}

/// Buffers a model keeps for prediction, so that predicting allocates
/// nothing after the first call.
#[derive(Debug, Default)]
pub struct Scratch<T: Scalar> {
    input: DMatrix<T>,
    probs: DMatrix<T>,
}

impl<T: Scalar> Scratch<T> {
    /// Empty buffers.
    pub fn new() -> Self {
        Self {
            input: DMatrix::zeros(0, 0),
            probs: DMatrix::zeros(0, 0),
        }
    }
}

/// A trainable, savable network. [`Sequential`](crate::Sequential) is one;
/// so is anything that implements the required methods.
///
/// Batches are matrices with one column per sample, each column holding a
/// sample of [`input_shape`](Model::input_shape) in PyTorch's flattening
/// order. The provided `predict*` methods take raw input, apply
/// [`ModelInfo::preprocess`], run the network in evaluation mode and read
/// the outputs as [`ModelInfo::output`] says — no trainer, loss or labels.
///
/// ```
/// use backprop_layers::{Model, OutputKind, Sequential};
/// let mut net = Sequential::<f32>::builder(3).seed(1).dense(4).relu().dense(2).build()?;
/// assert_eq!(net.info().output, OutputKind::Logits);
/// let p = net.predict_proba_raw(&[0.5, -1.0, 2.0])?;
/// assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// let class = net.predict_class_raw(&[0.5, -1.0, 2.0])?;
/// assert_eq!(class, if p[1] > p[0] { 1 } else { 0 });
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
pub trait Model<T: Scalar>: Parameters<T> + Debug + Send {
    /// The shape of one input sample.
    fn input_shape(&self) -> &Shape;
    /// The shape of one output sample.
    fn output_shape(&self) -> &Shape;
    /// Forward pass over a prepared batch, returning the outputs; the
    /// intermediate results are kept for [`backward`](Model::backward).
    fn forward<'a>(
        &'a mut self,
        input: &'a DMatrix<T>,
        mode: Mode,
    ) -> Result<&'a DMatrix<T>, LayerError>;
    /// Backward pass for the batch last passed to `forward` (the same
    /// `input`): accumulates every parameter gradient from `∂L/∂output`.
    fn backward(&mut self, input: &DMatrix<T>, grad_output: &DMatrix<T>) -> Result<(), LayerError>;
    /// Calls `f` on every non-trainable buffer, by full name.
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>));
    /// Calls `f` on every non-trainable buffer mutably, by full name.
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>));
    /// The network as one layer (its kind, configuration and children):
    /// what a model file describes.
    fn as_layer(&self) -> &dyn Layer<T>;
    /// The network as one layer, mutably (random-stream positions).
    fn as_layer_mut(&mut self) -> &mut dyn Layer<T>;
    /// What the model says about itself.
    fn info(&self) -> &ModelInfo;
    /// What the model says about itself, mutably.
    fn info_mut(&mut self) -> &mut ModelInfo;
    /// The buffers prediction reuses.
    fn scratch(&mut self) -> &mut Scratch<T>;

    /// The outputs for a prepared batch, in evaluation mode.
    fn predict(&mut self, input: &DMatrix<T>) -> Result<DMatrix<T>, LayerError> {
        Ok(self.forward(input, Mode::Eval)?.clone())
    }

    /// Class probabilities (classes × samples) for a prepared batch: the
    /// softmax of logits (the sigmoid, for one output), or the outputs of a
    /// network that ends in probabilities. Written into `out`.
    fn predict_proba_into(
        &mut self,
        input: &DMatrix<T>,
        out: &mut DMatrix<T>,
    ) -> Result<(), LayerError> {
        let kind = self.info().output;
        let a = self.forward(input, Mode::Eval)?;
        match kind {
            OutputKind::Logits => {
                let act = if a.nrows() == 1 {
                    ActivationKind::Sigmoid
                } else {
                    ActivationKind::Softmax
                };
                act.forward(a, out);
            }
            OutputKind::Probabilities => ops::copy_into(a, out),
            OutputKind::Values => {
                return Err(LayerError::InvalidConfig {
                    layer: "model".into(),
                    message: "a regression model has no class probabilities".into(),
                });
            }
        }
        Ok(())
    }

    /// [`predict_proba_into`](Model::predict_proba_into), into a new matrix.
    fn predict_proba(&mut self, input: &DMatrix<T>) -> Result<DMatrix<T>, LayerError> {
        let mut out = DMatrix::zeros(0, 0);
        self.predict_proba_into(input, &mut out)?;
        Ok(out)
    }

    /// The predicted class of every sample of a prepared batch, into
    /// `classes`: the arg-max of the outputs, or for one output the
    /// threshold (0 for logits, ½ for probabilities).
    fn predict_classes_into(
        &mut self,
        input: &DMatrix<T>,
        classes: &mut Vec<usize>,
    ) -> Result<(), LayerError> {
        let kind = self.info().output;
        if kind == OutputKind::Values {
            return Err(not_a_classifier());
        }
        let a = self.forward(input, Mode::Eval)?;
        classes.clear();
        classes.extend((0..a.ncols()).map(|j| class_of(a, j, kind)));
        Ok(())
    }

    /// Stages one raw sample (`input_shape().len()` values, preprocessed as
    /// [`ModelInfo::preprocess`] says) as a batch of one.
    #[doc(hidden)]
    fn stage_raw(&mut self, sample: &[T]) -> Result<DMatrix<T>, LayerError> {
        let n = self.input_shape().len();
        check_len(sample.len(), n, self.input_shape())?;
        let pre = self.info().preprocess.clone();
        let mut x = std::mem::take(&mut self.scratch().input);
        ops::resize(&mut x, n, 1);
        for (i, (dst, &v)) in x.iter_mut().zip(sample).enumerate() {
            *dst = T::of(pre.apply(i, v.as_f64()));
        }
        Ok(x)
    }

    /// The outputs for one raw sample (preprocessed first).
    fn predict_raw(&mut self, sample: &[T]) -> Result<DMatrix<T>, LayerError> {
        let x = self.stage_raw(sample)?;
        let out = self.forward(&x, Mode::Eval).cloned();
        self.scratch().input = x;
        out
    }

    /// Class probabilities for one raw sample.
    fn predict_proba_raw(&mut self, sample: &[T]) -> Result<Vec<T>, LayerError> {
        let x = self.stage_raw(sample)?;
        let mut probs = std::mem::take(&mut self.scratch().probs);
        let r = self.predict_proba_into(&x, &mut probs);
        let out = probs.iter().copied().collect();
        self.scratch().input = x;
        self.scratch().probs = probs;
        r.map(|()| out)
    }

    /// The predicted class of one raw sample; allocates nothing after the
    /// first call.
    fn predict_class_raw(&mut self, sample: &[T]) -> Result<usize, LayerError> {
        let x = self.stage_raw(sample)?;
        let kind = self.info().output;
        let r = match kind {
            OutputKind::Values => Err(not_a_classifier()),
            _ => self.forward(&x, Mode::Eval).map(|a| class_of(a, 0, kind)),
        };
        self.scratch().input = x;
        r
    }

    /// The predicted class of one image given as `u8` pixels (the
    /// preprocessing of a model trained on pixels maps them, `p/255` if it
    /// has none); allocates nothing after the first call.
    fn predict_pixels(&mut self, pixels: &[u8]) -> Result<usize, LayerError> {
        let kind = self.info().output;
        if kind == OutputKind::Values {
            return Err(not_a_classifier());
        }
        let n = self.input_shape().len();
        check_len(pixels.len(), n, self.input_shape())?;
        let pre = match &self.info().preprocess {
            Preprocess::None => Preprocess::UNIT_PIXELS,
            p => p.clone(),
        };
        let mut x = std::mem::take(&mut self.scratch().input);
        ops::resize(&mut x, n, 1);
        for (i, (dst, &p)) in x.iter_mut().zip(pixels).enumerate() {
            *dst = T::of(pre.apply(i, f64::from(p)));
        }
        let r = self.forward(&x, Mode::Eval).map(|a| class_of(a, 0, kind));
        self.scratch().input = x;
        r
    }
}

fn not_a_classifier() -> LayerError {
    LayerError::InvalidConfig {
        layer: "model".into(),
        message: "a regression model predicts values, not classes".into(),
    }
}

fn check_len(found: usize, expected: usize, shape: &Shape) -> Result<(), LayerError> {
    if found != expected {
        return Err(LayerError::InputSize {
            layer: format!("model input {shape}"),
            expected,
            found,
        });
    }
    Ok(())
}

/// The class of column `j`: the arg-max over rows (the first of equal
/// maxima), or for a single output the threshold (0 for logits, ½ for
/// probabilities).
pub fn class_of<T: Scalar>(out: &DMatrix<T>, j: usize, kind: OutputKind) -> usize {
    let col = out.column(j);
    if col.len() == 1 {
        let threshold = if kind == OutputKind::Logits {
            T::zero()
        } else {
            T::of(0.5)
        };
        return usize::from(col[0] >= threshold);
    }
    let mut best = 0;
    for (i, &v) in col.iter().enumerate() {
        if v > col[best] {
            best = i;
        }
    }
    best
}
