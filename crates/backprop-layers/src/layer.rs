//! The [`Layer`] trait.

use crate::{Config, LayerError, Shape};
use backprop_activations::Elementwise;
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

/// One stage of a network: `output = f(input)` on a batch (features × batch),
/// and its backward pass.
///
/// Only [`forward`](Layer::forward) and [`backward`](Layer::backward) are
/// required; the rest describe the layer (its [`kind`](Layer::kind),
/// [`output_shape`](Layer::output_shape), [`config`](Layer::config)) and its
/// state (parameters, buffers, random stream, children). A layer with a
/// `config` whose kind is registered (see [`LayerType`](crate::LayerType))
/// is saved and loaded like a built-in. The caller owns the cache the tutorial forgot: it passes the
/// layer's own input and output back into `backward`, so a layer stores only
/// what cannot be recomputed (a dropout mask, BatchNorm's normalised input).
///
/// Parameter gradients **accumulate** (`grad += …`), as in PyTorch; zero them
/// before each step (`Parameters::zero_grad`, which calls
/// [`zero_grads`](Layer::zero_grads) on each layer of a `Sequential`).
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

    /// The element-wise activation this layer is, if it is one whose
    /// forward pass a layer before it may compute for it (see
    /// [`forward_then`](Layer::forward_then)): `Some` for an
    /// [`ActivationLayer`](crate::ActivationLayer) of a built-in element-wise
    /// kind. Default: `None`, the layer always runs its own forward.
    fn elementwise(&self) -> Option<Elementwise> {
        None
    }

    /// [`forward`](Layer::forward) into `output`, then `act`'s forward of
    /// that into `activated` (resized), fused where the layer can do better
    /// than two passes: [`Dense`](crate::Dense) applies its bias and `act`
    /// in its product's write-back, on the thread that computed each part,
    /// while it is in cache. [`Sequential`](crate::Sequential) calls it for
    /// a layer followed by one whose [`elementwise`](Layer::elementwise) is
    /// `Some`, and then skips that layer's forward; both outputs are kept
    /// as they would be without fusing, so both backward passes are
    /// unchanged.
    ///
    /// Returns `Ok(true)` when done; `Ok(false)` (the default, for layers
    /// that do not fuse) when nothing was done, and the caller runs the two
    /// forwards itself. A layer that returns `true` must write the bits the
    /// two forwards would.
    fn forward_then(
        &mut self,
        _input: &DMatrix<T>,
        _output: &mut DMatrix<T>,
        _act: Elementwise,
        _activated: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<bool, LayerError> {
        Ok(false)
    }

    /// Lower-case name, as in summaries (`"dense"`, `"relu"`; default
    /// `"layer"`).
    fn name(&self) -> &str {
        "layer"
    }
    /// The kind under which the layer is registered and saved
    /// ([`LayerType::KIND`](crate::LayerType::KIND); default: the
    /// [`name`](Layer::name)).
    fn kind(&self) -> &str {
        self.name()
    }
    /// The shape of one output sample for an input sample of shape `input`,
    /// or an error if the input does not fit. Lets a network be checked when
    /// it is built. Default: the input's shape.
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        Ok(input.clone())
    }
    /// The configuration that rebuilds this layer (with
    /// [`LayerType::build`](crate::LayerType::build)); `None` (the default)
    /// for a layer that cannot be saved.
    fn config(&self) -> Option<Config> {
        None
    }
    /// Sets the layer's parameter gradients to zero before a step (what
    /// [`Sequential`](crate::Sequential)'s `zero_grad` calls on each layer).
    /// Default: [`Param::zero_grad`] on each parameter, which any layer that
    /// accumulates with `grad += …` needs.
    ///
    /// A layer whose backward takes each accumulation's `β` from
    /// [`Param::accumulation_beta`] (so that it overwrites a discarded
    /// gradient: `β = 0`) may [`Param::discard_grad`] instead and save a
    /// pass over its gradients, as [`Dense`](crate::Dense) does; it must then
    /// [`Param::settle_grad`] in [`visit_params_mut`](Layer::visit_params_mut)
    /// before handing each parameter out, so that gradients read or changed
    /// through `&mut` are zeros, and a second backward still accumulates.
    fn zero_grads(&mut self) {
        self.visit_params_mut(&mut |p| p.zero_grad());
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
    /// Checks that the layer's values can be used: called by loaders once a
    /// file's tensors are in place, before the model is handed out, so that
    /// a file whose values no training could produce is refused instead of
    /// predicting garbage. Default: `Ok` (a loader already checks that every
    /// parameter and buffer is finite).
    ///
    /// Report a bad value as [`LayerError::InvalidConfig`] whose `layer` is
    /// the local name of the tensor or setting (`"running_var"`) and
    /// whose `message` says what is wrong, with the value and its index. A
    /// container checks its children and wraps their errors with their
    /// position ([`LayerError::at`]), so the path can be rebuilt
    /// (`"3.1.running_var"`).
    ///
    /// ```
    /// use backprop_layers::{BatchNorm1d, Layer, LayerError};
    /// let mut bn = BatchNorm1d::<f32>::new(2)?;
    /// assert_eq!(bn.check_values(), Ok(()));
    /// bn.visit_buffers_mut(&mut |name, b| if name == "running_var" { b[1] = -0.5 });
    /// let e = bn.check_values().unwrap_err();
    /// assert!(matches!(&e, LayerError::InvalidConfig { layer, .. } if layer == "running_var"), "{e}");
    /// # Ok::<(), LayerError>(())
    /// ```
    fn check_values(&self) -> Result<(), LayerError> {
        Ok(())
    }
    /// The layers this one contains, in order (a container such as
    /// [`Sequential`](crate::Sequential); default: none). Their parameter
    /// and buffer names are prefixed with their position.
    fn children(&self) -> &[Box<dyn Layer<T>>] {
        &[]
    }
    /// The contained layers, mutably (default: none).
    fn children_mut(&mut self) -> &mut [Box<dyn Layer<T>>] {
        &mut []
    }
}
