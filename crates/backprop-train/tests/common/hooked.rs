//! A model of one's own for the tests: a `Sequential` wrapped, every `Model`
//! method delegated to it, with a [`Hooks`] value told of each forward and
//! backward pass (to count them, or to act in the middle of a step).

use backprop_layers::{Layer, LayerError, Mode, Model, ModelInfo, Scratch, Sequential, Shape};
use backprop_tensor::{DMatrix, Param, Parameters};

/// What a [`Hooked`] model does before delegating a pass.
pub trait Hooks: std::fmt::Debug + Send {
    /// Before each forward pass, with its mode.
    fn on_forward(&mut self, mode: Mode) {
        let _ = mode;
    }
    /// Before each backward pass.
    fn on_backward(&mut self) {}
}

/// `inner`, a `Model` by delegation, calling `hooks` before each pass.
#[derive(Debug)]
pub struct Hooked<H: Hooks> {
    pub inner: Sequential<f32>,
    pub hooks: H,
}

impl<H: Hooks> Parameters<f32> for Hooked<H> {
    fn visit_params(&self, f: &mut dyn FnMut(&Param<f32>)) {
        self.inner.visit_params(f);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<f32>)) {
        self.inner.visit_params_mut(f);
    }
}

impl<H: Hooks> Model<f32> for Hooked<H> {
    fn input_shape(&self) -> &Shape {
        self.inner.input_shape()
    }
    fn output_shape(&self) -> &Shape {
        self.inner.output_shape()
    }
    fn forward<'a>(
        &'a mut self,
        input: &'a DMatrix<f32>,
        mode: Mode,
    ) -> Result<&'a DMatrix<f32>, LayerError> {
        self.hooks.on_forward(mode);
        self.inner.forward(input, mode)
    }
    fn backward(
        &mut self,
        input: &DMatrix<f32>,
        grad_output: &DMatrix<f32>,
    ) -> Result<(), LayerError> {
        self.hooks.on_backward();
        self.inner.backward(input, grad_output)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<f32>)) {
        self.inner.visit_buffers(f);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f32>)) {
        self.inner.visit_buffers_mut(f);
    }
    fn as_layer(&self) -> &dyn Layer<f32> {
        &self.inner
    }
    fn as_layer_mut(&mut self) -> &mut dyn Layer<f32> {
        &mut self.inner
    }
    fn info(&self) -> &ModelInfo {
        self.inner.info()
    }
    fn info_mut(&mut self) -> &mut ModelInfo {
        self.inner.info_mut()
    }
    fn scratch(&mut self) -> &mut Scratch<f32> {
        self.inner.scratch()
    }
}
