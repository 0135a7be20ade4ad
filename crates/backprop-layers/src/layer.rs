//! The [`Layer`] trait.

use crate::LayerError;
use backprop_activations::ActivationKind;
use backprop_tensor::{DMatrix, Param, Scalar};
use std::fmt::Debug;

/// Whether a forward pass is for training or for evaluation. Dropout and
/// BatchNorm1d behave differently in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout masks drawn, batch statistics used and tracked.
    Train,
    /// Evaluation/inference: dropout off, running statistics used.
    Eval,
}

/// A serialisable description of a built-in layer (what a model file stores).
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    /// A fully connected layer `inputs → outputs`.
    Dense {
        /// Input features.
        inputs: usize,
        /// Output units.
        outputs: usize,
    },
    /// An element-wise (or column-wise, for softmax) activation.
    Activation(ActivationKind),
    /// Inverted dropout with drop probability `p`.
    Dropout {
        /// Probability of zeroing a unit.
        p: f64,
    },
    /// Batch normalisation over the batch, per feature.
    BatchNorm1d {
        /// Number of features.
        features: usize,
        /// Added to the variance.
        eps: f64,
        /// Weight of the newest batch in the running statistics.
        momentum: f64,
    },
}

/// One stage of a network: `output = f(input)` on a batch (features × batch),
/// and its backward pass.
///
/// Only [`forward`](Layer::forward) and [`backward`](Layer::backward) are
/// required. The caller owns the cache the tutorial forgot: it passes the
/// layer's own input and output back into `backward`, so a layer stores only
/// what cannot be recomputed (a dropout mask, BatchNorm's normalised input).
///
/// Parameter gradients **accumulate** (`grad += …`), as in PyTorch; zero them
/// before each step (`Parameters::zero_grad`).
pub trait Layer<T: Scalar>: Debug + Send {
    /// `output = f(input)`. `output` is resized by the layer (keeping its
    /// allocation). Errors if `input` has the wrong number of rows.
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError>;

    /// Given `∂L/∂output`, accumulates the parameter gradients and, when
    /// `grad_input` is `Some`, writes `∂L/∂input` into it (resized). `input`
    /// and `output` are those of the matching forward pass.
    fn backward(
        &mut self,
        input: &DMatrix<T>,
        output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError>;

    /// Lower-case kind, as in summaries (`"dense"`, `"relu"`).
    fn name(&self) -> &str {
        "layer"
    }
    /// The output size for an input size, or an error if the input size does
    /// not fit. Lets a network be validated when it is built. Default: same
    /// size.
    fn output_size(&self, input_size: usize) -> Result<usize, LayerError> {
        Ok(input_size)
    }
    /// Calls `f` on each trainable parameter (default: none).
    fn visit_params(&self, _f: &mut dyn FnMut(&Param<T>)) {}
    /// Calls `f` on each trainable parameter mutably (default: none).
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param<T>)) {}
    /// Calls `f` on each non-trainable state tensor, by local name (BatchNorm's
    /// running statistics; default: none).
    fn visit_buffers(&self, _f: &mut dyn FnMut(&str, &DMatrix<T>)) {}
    /// Calls `f` on each non-trainable state tensor mutably (default: none).
    fn visit_buffers_mut(&mut self, _f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {}
    /// A serialisable description, for built-in layers (default: `None`,
    /// a custom layer that cannot be saved by description).
    fn spec(&self) -> Option<LayerSpec> {
        None
    }
    /// The position of the layer's random stream as `(seed, draws)`, for
    /// checkpoints (Dropout; default: `None`, a layer that draws nothing).
    ///
    /// ```
    /// use backprop_layers::{Dropout, Layer, Mode};
    /// use backprop_tensor::DMatrix;
    /// let x = DMatrix::from_element(8, 8, 1.0_f32);
    /// let (mut y1, mut y2) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    /// let mut a = Dropout::<f32>::new(0.5, 7)?;
    /// a.forward(&x, &mut y1, Mode::Train)?;
    /// let (seed, draws) = a.rng_state().unwrap_or_default();
    /// assert_eq!((seed, draws), (7, 1));
    /// a.forward(&x, &mut y1, Mode::Train)?; // the second mask
    /// let mut b = Dropout::<f32>::new(0.5, 0)?;
    /// b.set_rng_state(seed, draws);
    /// b.forward(&x, &mut y2, Mode::Train)?;
    /// assert_eq!(y1, y2);
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    fn rng_state(&self) -> Option<(u64, u64)> {
        None
    }
    /// Restores a position returned by [`rng_state`](Layer::rng_state), so a
    /// resumed run draws what the uninterrupted run would have (default:
    /// ignored).
    fn set_rng_state(&mut self, _seed: u64, _draws: u64) {}
}
