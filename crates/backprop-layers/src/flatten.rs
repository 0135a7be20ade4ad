//! Flatten: a sample of any shape becomes a flat vector, `(c, h, w) → (c·h·w)`.
//!
//! A batch already holds each sample as one column in PyTorch's flattening
//! order, so forward and backward copy the values unchanged; only the shape
//! the next layer sees changes (PyTorch's `nn.Flatten()`).

use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_tensor::{DMatrix, Scalar, ops};

/// Flattens each sample: `(1, 28, 28)` becomes `(784)`.
///
/// ```
/// use backprop_layers::{Flatten, Layer, Shape};
/// let f = Flatten;
/// let out = Layer::<f32>::output_shape(&f, &Shape::new([6, 5, 5]))?;
/// assert_eq!(out, Shape::flat(150));
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flatten;

impl<T: Scalar> Layer<T> for Flatten {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        ops::copy_into(input, output);
        Ok(())
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        let Some(dx) = grad_input else { return Ok(()) };
        ops::check_shape("flatten backward", "dA", grad_output, input.shape())
            .map_err(LayerError::shape("flatten"))?;
        ops::copy_into(grad_output, dx);
        Ok(())
    }

    fn name(&self) -> &str {
        "flatten"
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        input.validate("flatten")?;
        Ok(Shape::flat(input.len()))
    }
    fn config(&self) -> Option<Config> {
        Some(Config::new())
    }
}

/// Saved as `{}`; owns no tensor.
impl LayerType for Flatten {
    const KIND: &'static str = "flatten";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        config.only("flatten", &[])?;
        Ok(Plan::stateless(Layer::<f32>::output_shape(
            &Flatten, input,
        )?))
    }

    fn build<T: Scalar>(
        _: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<T>>, LayerError> {
        Ok(Box::new(Flatten))
    }
}
