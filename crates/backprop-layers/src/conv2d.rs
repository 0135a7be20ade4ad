//! A 2-D convolution layer (PyTorch's `nn.Conv2d`: a cross-correlation).
//!
//! Forward, for each sample `s`, output channel `o` and position `(y, x)`:
//! `Z[s][o, y, x] = b[o] + Σ_{c,i,j} W[o, c, i, j] · A[s][c, y·sh − ph + i·dh, x·sw − pw + j·dw]`
//! (zero outside the input). With im2col (`backprop_tensor::conv`) it is a
//! matrix product per group of samples, `Zᵍ = U·Wᵀ`, where `W` is the
//! `O × C·kh·kw` matrix of the `[O, C, kh, kw]` weight.
//!
//! Backward, given `dZ` (the loss carries the `1/m`):
//! `dW += dZᵀ·U` summed over groups, `db += Σ dZ` over samples and
//! positions, `dA = col2im(dZ·W)`. docs/math.md derives each.

use crate::{
    BuildContext, Config, Conv2dConfig, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape,
    TensorInfo,
};
use backprop_tensor::conv::{self, Conv2dGeometry, Conv2dGrads, Conv2dScratch};
use backprop_tensor::{DMatrix, Init, Param, Scalar};
use rand::Rng;

/// A 2-D convolution over `[C, H, W]` samples: `O` filters of `C × kh × kw`
/// with stride, zero padding and dilation, and an optional bias.
///
/// The weight is held as the `O × C·kh·kw` matrix of PyTorch's
/// `[O, C, kh, kw]` tensor (row `o` is filter `o` flattened channel, then
/// row, then column), named `weight` and `bias` like PyTorch's, so a model
/// file's tensors go both ways. The layer keeps its input shape, and its
/// im2col buffers between calls (no allocation after the first call at a
/// batch size).
///
/// ```
/// use backprop_layers::{Conv2d, Conv2dConfig, Layer, Mode, Shape};
/// use backprop_tensor::{DMatrix, Init, rng::seeded};
/// // Three 3×3 filters over a 1×5×5 image, padding 1: the output is 3×5×5.
/// let config = Conv2dConfig::new(1, 3, 3).with_padding(1);
/// let mut conv = Conv2d::<f32>::new([1, 5, 5], config, Init::TorchDefault, &mut seeded(0))?;
/// assert_eq!(Layer::<f32>::output_shape(&conv, &Shape::new([1, 5, 5]))?, Shape::new([3, 5, 5]));
/// conv.weight_mut().fill(1.0); // every filter sums its 3×3 window
/// conv.bias_mut().map(|b| b.fill(0.0));
/// let x = DMatrix::from_element(25, 2, 1.0); // two samples of ones
/// let mut z = DMatrix::zeros(0, 0);
/// conv.forward(&x, &mut z, Mode::Eval)?;
/// assert_eq!(z.shape(), (75, 2));
/// assert_eq!((z[(0, 0)], z[(6, 0)]), (4.0, 9.0)); // a corner, the inside
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Conv2d<T: Scalar> {
    config: Conv2dConfig,
    geometry: Conv2dGeometry,
    weight: Param<T>,
    bias: Option<Param<T>>,
    scratch: Conv2dScratch<T>,
}

impl<T: Scalar> Conv2d<T> {
    /// A convolution of samples of shape `input` (`[C, H, W]`, `C` the
    /// configured `in_channels`), its weight drawn from `init` with
    /// `fan_in = C·kh·kw` and its bias from [`Init::bias`] (zeros, or
    /// PyTorch's U(±1/√fan_in) for [`Init::TorchDefault`]). Errors if the
    /// input does not fit the configuration.
    pub fn new<R: Rng + ?Sized>(
        input: impl Into<Shape>,
        config: Conv2dConfig,
        init: Init,
        rng: &mut R,
    ) -> Result<Self, LayerError> {
        let geometry = config.geometry(&input.into())?;
        let (o, k) = (geometry.out_channels(), geometry.patch_len());
        let (kh, kw) = geometry.kernel();
        let weight = init.matrix_with_fans(o, k, k, o * kh * kw, rng);
        let bias = config.bias.then(|| init.bias(o, k, rng));
        Ok(Self::from_parts(config, geometry, weight, bias))
    }

    /// A convolution with the given weight (`O × C·kh·kw`) and bias
    /// (`O × 1`, or `None` for a configuration without one). Errors if a
    /// shape does not fit the configuration.
    pub fn from_weights(
        input: impl Into<Shape>,
        config: Conv2dConfig,
        weight: DMatrix<T>,
        bias: Option<DMatrix<T>>,
    ) -> Result<Self, LayerError> {
        let geometry = config.geometry(&input.into())?;
        let (o, k) = (geometry.out_channels(), geometry.patch_len());
        let shape = |what: &str, expected: (usize, usize), found: (usize, usize)| {
            LayerError::InvalidConfig {
                layer: config.label(),
                message: format!(
                    "the {what} must be {}×{} (out_channels × in_channels·kh·kw), found {}×{}",
                    expected.0, expected.1, found.0, found.1
                ),
            }
        };
        if weight.shape() != (o, k) {
            return Err(shape("weight", (o, k), weight.shape()));
        }
        match (&bias, config.bias) {
            (Some(b), true) if b.shape() != (o, 1) => {
                return Err(shape("bias", (o, 1), b.shape()));
            }
            (Some(_), true) | (None, false) => {}
            (given, _) => {
                return Err(LayerError::InvalidConfig {
                    layer: config.label(),
                    message: format!(
                        "the configuration says bias {}, but {} bias was given",
                        config.bias,
                        if given.is_some() { "a" } else { "no" }
                    ),
                });
            }
        }
        Ok(Self::from_parts(config, geometry, weight, bias))
    }

    fn from_parts(
        config: Conv2dConfig,
        geometry: Conv2dGeometry,
        weight: DMatrix<T>,
        bias: Option<DMatrix<T>>,
    ) -> Self {
        Self {
            config,
            geometry,
            weight: Param::new("weight", weight),
            bias: bias.map(|b| Param::new("bias", b)),
            scratch: Conv2dScratch::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Conv2dConfig {
        &self.config
    }
    /// The sizes (input, kernel, stride, padding, dilation, output).
    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }
    /// The weight `W` (`O × C·kh·kw`).
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }
    /// The bias `b` (`O × 1`), if the layer has one.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.bias.as_ref()
    }
    /// The weight values, mutably.
    pub fn weight_mut(&mut self) -> &mut DMatrix<T> {
        &mut self.weight.value
    }
    /// The bias values, mutably, if the layer has a bias.
    pub fn bias_mut(&mut self) -> Option<&mut DMatrix<T>> {
        self.bias.as_mut().map(|b| &mut b.value)
    }

    fn check_input(&self, input: &DMatrix<T>) -> Result<(), LayerError> {
        if input.nrows() != self.geometry.input_len() {
            let (h, w) = self.geometry.input_size();
            return Err(LayerError::InputSize {
                layer: format!(
                    "{} on ({}, {h}, {w})",
                    self.config.label(),
                    self.config.in_channels
                ),
                expected: self.geometry.input_len(),
                found: input.nrows(),
            });
        }
        Ok(())
    }
}

impl<T: Scalar> Layer<T> for Conv2d<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        conv::forward(
            &self.geometry,
            &self.weight.value,
            self.bias.as_ref().map(|b| &b.value),
            input,
            output,
            &mut self.scratch,
        )
        .map_err(LayerError::shape("conv2d forward"))
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        let grads = Conv2dGrads {
            weight: &mut self.weight.grad,
            bias: self.bias.as_mut().map(|b| &mut b.grad),
            input: grad_input,
        };
        conv::backward(
            &self.geometry,
            &self.weight.value,
            input,
            grad_output,
            grads,
            &mut self.scratch,
        )
        .map_err(LayerError::shape("conv2d backward"))
    }

    fn name(&self) -> &str {
        "conv2d"
    }
    fn kind(&self) -> &str {
        <Self as LayerType>::KIND
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        let (h, w) = self.geometry.input_size();
        let expected = Shape::new([self.config.in_channels, h, w]);
        if *input != expected {
            return Err(LayerError::InputShape {
                layer: self.config.label(),
                expected,
                found: input.clone(),
            });
        }
        let (oh, ow) = self.geometry.output_size();
        Ok(Shape::new([self.config.out_channels, oh, ow]))
    }
    fn config(&self) -> Option<Config> {
        Some(self.config.to_config())
    }
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        f(&self.weight);
        if let Some(b) = &self.bias {
            f(b);
        }
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.weight);
        if let Some(b) = &mut self.bias {
            f(b);
        }
    }
}

/// Saved as `{"in_channels", "out_channels", "kernel_size": [kh, kw],
/// "stride": [sh, sw], "padding": [ph, pw], "dilation": [dh, dw], "bias"}`;
/// owns `weight` `[O, C, kh, kw]` and, with a bias, `bias` `[O]`
/// (PyTorch's `nn.Conv2d`).
impl<T: Scalar> LayerType for Conv2d<T> {
    const KIND: &'static str = "conv2d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let c = Conv2dConfig::from_config(config)?;
        let output = c.output_shape(input)?;
        let (kh, kw) = c.kernel.tuple();
        let mut tensors = vec![TensorInfo::matrix(
            "weight",
            [c.out_channels, c.in_channels, kh, kw],
        )];
        if c.bias {
            tensors.push(TensorInfo::vector("bias", c.out_channels));
        }
        Ok(Plan { output, tensors })
    }

    fn build<S: Scalar>(
        config: &Config,
        input: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        let c = Conv2dConfig::from_config(config)?;
        let g = c.geometry(input)?;
        let weight = DMatrix::zeros(g.out_channels(), g.patch_len());
        let bias = c.bias.then(|| DMatrix::zeros(g.out_channels(), 1));
        Ok(Box::new(Conv2d::<S>::from_weights(
            input.clone(),
            c,
            weight,
            bias,
        )?))
    }
}
