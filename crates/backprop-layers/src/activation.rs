//! A layer that applies an activation function: `A = g(Z)`, `dZ = dA ⊙ g′(Z)`.

use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_activations::{Activation, ActivationKind, Elementwise};
use backprop_tensor::{DMatrix, Scalar};

/// Applies an [`Activation`] to its input. Built-in activations are named by
/// an [`ActivationKind`] (and so can be saved); any other `Activation` can be
/// boxed with [`ActivationLayer::custom`].
///
/// ```
/// use backprop_layers::{ActivationLayer, Layer, Mode};
/// use backprop_activations::ActivationKind;
/// use backprop_tensor::DMatrix;
/// let mut relu = ActivationLayer::<f32>::new(ActivationKind::Relu);
/// let z = DMatrix::from_row_slice(1, 2, &[-1.0, 2.0]);
/// let mut a = DMatrix::zeros(0, 0);
/// relu.forward(&z, &mut a, Mode::Train)?;
/// assert_eq!(a.as_slice(), &[0.0, 2.0]);
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug)]
pub struct ActivationLayer<T: Scalar> {
    act: Box<dyn Activation<T>>,
    kind: Option<ActivationKind>,
}

impl<T: Scalar> ActivationLayer<T> {
    /// A layer for a built-in activation.
    pub fn new(kind: ActivationKind) -> Self {
        Self {
            act: Box::new(kind),
            kind: Some(kind),
        }
    }
    /// A layer for any activation (not saveable by description).
    pub fn custom(act: Box<dyn Activation<T>>) -> Self {
        Self { act, kind: None }
    }
    /// The built-in kind, if this is one.
    pub fn kind(&self) -> Option<ActivationKind> {
        self.kind
    }
}

impl<T: Scalar> Layer<T> for ActivationLayer<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        self.act.forward(input, output);
        Ok(())
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        match grad_input {
            Some(dz) => self
                .act
                .backward(input, output, grad_output, dz)
                .map_err(|source| LayerError::Shape {
                    layer: self.act.name().to_string(),
                    source,
                }),
            None => Ok(()),
        }
    }

    fn name(&self) -> &str {
        self.act.name()
    }
    /// A built-in element-wise kind (not Softmax, not a custom activation):
    /// a [`Dense`](crate::Dense) before it computes it in its write-back.
    fn elementwise(&self) -> Option<Elementwise> {
        self.kind?.elementwise()
    }
    fn kind(&self) -> &str {
        "activation"
    }
    fn config(&self) -> Option<Config> {
        let kind = self.kind?;
        let config = Config::new().with("name", kind.name());
        Some(match kind.alpha() {
            Some(alpha) => config.with("alpha", alpha),
            None => config,
        })
    }
}

/// Saved as `{"name": "leaky_relu", "alpha": 0.01}` (`alpha` only for the
/// activations that have one); owns no tensor; keeps the input's shape.
impl<T: Scalar> LayerType for ActivationLayer<T> {
    const KIND: &'static str = "activation";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        kind_of(config)?;
        Ok(Plan::stateless(input.clone()))
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        Ok(Box::new(ActivationLayer::<S>::new(kind_of(config)?)))
    }
}

fn kind_of(config: &Config) -> Result<ActivationKind, LayerError> {
    config.only("activation", &["name", "alpha"])?;
    let name = config.str("activation", "name")?;
    let alpha = config.opt_f64("activation", "alpha")?;
    ActivationKind::from_name(name, alpha).map_err(|e| LayerError::InvalidConfig {
        layer: "activation".into(),
        message: e.to_string(),
    })
}
