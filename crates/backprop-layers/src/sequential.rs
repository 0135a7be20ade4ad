//! A stack of layers, run in order forward and in reverse backward.
//!
//! The network owns the tutorial's caches: `outputs[l]` is `A[l]`, the output
//! of layer `l`, and `grads[l]` is `dA[l]`. Both are sized on the first pass
//! and reused afterwards, so a training step at a steady batch size does not
//! allocate.

use crate::{ActivationLayer, BatchNorm1d, Dense, Dropout, Layer, LayerError, LayerSpec, Mode};
use backprop_activations::ActivationKind;
use backprop_tensor::{DMatrix, Init, Param, Parameters, Scalar, rng};
use std::fmt::Write as _;

/// Layers applied in order: `A[0] = X`, `A[l] = layer_l(A[l−1])`.
///
/// ```
/// use backprop_layers::{Mode, Sequential};
/// use backprop_tensor::{DMatrix, Parameters};
/// let mut net = Sequential::<f32>::builder(784).dense(128).relu().dense(64).relu().dense(10).build()?;
/// assert_eq!(net.num_params(), 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
/// let x = DMatrix::zeros(784, 32);
/// assert_eq!(net.forward(&x, Mode::Eval)?.shape(), (10, 32));
/// // A batch with the wrong number of rows is an error, not a panic.
/// assert!(net.forward(&DMatrix::zeros(780, 32), Mode::Eval).is_err());
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug)]
pub struct Sequential<T: Scalar> {
    input_size: usize,
    layers: Vec<Box<dyn Layer<T>>>,
    sizes: Vec<usize>,
    outputs: Vec<DMatrix<T>>,
    grads: Vec<DMatrix<T>>,
}

impl<T: Scalar> Sequential<T> {
    /// Starts a builder for a network taking `input_size` features.
    pub fn builder(input_size: usize) -> SequentialBuilder<T> {
        SequentialBuilder::new(input_size)
    }

    /// A network from ready layers, checking that each fits the one before.
    ///
    /// ```
    /// use backprop_layers::{Dense, Layer, Sequential};
    /// use backprop_tensor::{Init, rng::seeded};
    /// let layers: Vec<Box<dyn Layer<f32>>> = vec![
    ///     Box::new(Dense::new(4, 8, Init::HeNormal, &mut seeded(0))),
    ///     Box::new(Dense::new(6, 2, Init::HeNormal, &mut seeded(1))),
    /// ];
    /// let err = Sequential::from_layers(4, layers).unwrap_err();
    /// assert_eq!(err.to_string(), "layer 1 (dense) takes 6 inputs but the previous layer gives 8");
    /// ```
    pub fn from_layers(
        input_size: usize,
        layers: Vec<Box<dyn Layer<T>>>,
    ) -> Result<Self, LayerError> {
        if input_size == 0 {
            return Err(LayerError::ZeroWidth {
                layer: "input".into(),
            });
        }
        let mut sizes = Vec::with_capacity(layers.len());
        let mut size = input_size;
        for (index, layer) in layers.iter().enumerate() {
            size = output_size_at(index, layer.as_ref(), size)?;
            sizes.push(size);
        }
        let n = layers.len();
        let mut net = Self {
            input_size,
            layers,
            sizes,
            outputs: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
            grads: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
        };
        net.name_params();
        Ok(net)
    }

    /// Names every parameter `"{index}.{local}"`, as PyTorch's `nn.Sequential`.
    fn name_params(&mut self) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            layer.visit_params_mut(&mut |p| {
                let local = p.name().rsplit('.').next().unwrap_or("").to_string();
                p.set_name(format!("{i}.{local}"));
            });
        }
    }

    /// Number of input features.
    pub fn input_size(&self) -> usize {
        self.input_size
    }
    /// Number of outputs of the last layer (the input size if there are none).
    pub fn output_size(&self) -> usize {
        self.sizes.last().copied().unwrap_or(self.input_size)
    }
    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }
    /// The layers, mutably.
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer<T>>] {
        &mut self.layers
    }
    /// Output size of each layer.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Forward pass over a batch `X` (features × batch), returning the last
    /// layer's output `A[L]`; every `A[l]` is kept for the backward pass.
    pub fn forward<'a>(
        &'a mut self,
        input: &'a DMatrix<T>,
        mode: Mode,
    ) -> Result<&'a DMatrix<T>, LayerError> {
        if input.nrows() != self.input_size {
            return Err(LayerError::InputSize {
                layer: "network input".into(),
                expected: self.input_size,
                found: input.nrows(),
            });
        }
        for i in 0..self.layers.len() {
            let (done, rest) = self.outputs.split_at_mut(i);
            let x = match done.last() {
                Some(prev) => prev,
                None => input,
            };
            if let (Some(layer), Some(out)) = (self.layers.get_mut(i), rest.first_mut()) {
                layer.forward(x, out, mode)?;
            }
        }
        Ok(self.outputs.last().unwrap_or(input))
    }

    /// Backward pass: given `dA[L] = ∂L/∂A[L]` for the batch last passed to
    /// [`forward`](Self::forward) (pass the same `input`), accumulates every
    /// parameter gradient. The gradient with respect to the network's input is
    /// not computed (nothing needs it in training); see
    /// [`backward_with_input_grad`](Self::backward_with_input_grad).
    pub fn backward(
        &mut self,
        input: &DMatrix<T>,
        grad_output: &DMatrix<T>,
    ) -> Result<(), LayerError> {
        self.backward_impl(input, grad_output, None)
    }

    /// Like [`backward`](Self::backward), also writing `∂L/∂X` into `grad_input`.
    pub fn backward_with_input_grad(
        &mut self,
        input: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: &mut DMatrix<T>,
    ) -> Result<(), LayerError> {
        self.backward_impl(input, grad_output, Some(grad_input))
    }

    fn backward_impl(
        &mut self,
        input: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        mut grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        let n = self.layers.len();
        let expected = (self.output_size(), input.ncols());
        if grad_output.shape() != expected {
            return Err(LayerError::Shape {
                layer: "network output".into(),
                source: backprop_tensor::TensorError::ShapeMismatch {
                    op: "backward",
                    operand: "dA[L]",
                    expected,
                    found: grad_output.shape(),
                },
            });
        }
        for i in (0..n).rev() {
            let x = if i == 0 { input } else { &self.outputs[i - 1] };
            let y = &self.outputs[i];
            if y.ncols() != input.ncols() {
                return Err(LayerError::NoForward {
                    layer: format!("layer {i} ({})", self.layers[i].name()),
                    expected: y.ncols(),
                    found: input.ncols(),
                });
            }
            let (before, from_here) = self.grads.split_at_mut(i);
            let dy = if i + 1 == n {
                grad_output
            } else {
                &from_here[0]
            };
            let dx = if i == 0 {
                grad_input.as_deref_mut()
            } else {
                before.last_mut()
            };
            self.layers[i].backward(x, y, dy, dx)?;
        }
        Ok(())
    }

    /// A Keras-style table: each layer, its output shape and parameter count.
    ///
    /// ```
    /// use backprop_layers::Sequential;
    /// let net = Sequential::<f32>::builder(4).dense(3).relu().build()?;
    /// let s = net.summary();
    /// assert!(s.contains("dense") && s.contains("Total params: 15"), "{s}");
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let rule = "─".repeat(52);
        let _ = writeln!(
            s,
            "{:<4} {:<16} {:<16} {:>12}",
            "#", "Layer (type)", "Output shape", "Param #"
        );
        let _ = writeln!(s, "{rule}");
        let _ = writeln!(
            s,
            "{:<4} {:<16} {:<16} {:>12}",
            "",
            "input",
            format!("(batch, {})", self.input_size),
            0
        );
        let mut total = 0;
        for (i, (layer, size)) in self.layers.iter().zip(&self.sizes).enumerate() {
            let mut count = 0;
            layer.visit_params(&mut |p| count += p.len());
            total += count;
            let _ = writeln!(
                s,
                "{:<4} {:<16} {:<16} {:>12}",
                i,
                layer.name(),
                format!("(batch, {size})"),
                count
            );
        }
        let _ = writeln!(s, "{rule}");
        let _ = writeln!(s, "Total params: {total}");
        s
    }

    /// Descriptions of every layer, or `None` if a custom layer has none.
    pub fn specs(&self) -> Option<Vec<LayerSpec>> {
        self.layers.iter().map(|l| l.spec()).collect()
    }

    /// Calls `f` on every non-trainable buffer with its full name
    /// (`"3.running_mean"`).
    pub fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit_buffers(&mut |name, m| f(&format!("{i}.{name}"), m));
        }
    }

    /// Calls `f` on every non-trainable buffer mutably, with its full name.
    pub fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            layer.visit_buffers_mut(&mut |name, m| f(&format!("{i}.{name}"), m));
        }
    }
}

impl<T: Scalar> Parameters<T> for Sequential<T> {
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        for layer in &self.layers {
            layer.visit_params(f);
        }
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        for layer in &mut self.layers {
            layer.visit_params_mut(f);
        }
    }
}

/// The output size of `layer` at position `index` given `size` inputs, or
/// the error that names the layer: sizes that do not fit, or no units.
fn output_size_at<T: Scalar>(
    index: usize,
    layer: &dyn Layer<T>,
    size: usize,
) -> Result<usize, LayerError> {
    let out = match layer.output_size(size) {
        Ok(s) => s,
        Err(LayerError::InputSize {
            expected, found, ..
        }) => {
            return Err(LayerError::SizeMismatch {
                index,
                name: layer.name().to_string(),
                expected,
                found,
            });
        }
        Err(e) => return Err(e),
    };
    if out == 0 {
        return Err(LayerError::ZeroWidth {
            layer: format!("layer {index} ({})", layer.name()),
        });
    }
    Ok(out)
}

enum Pending<T: Scalar> {
    Dense { units: usize, init: Init },
    Activation(ActivationKind),
    Dropout(f64),
    BatchNorm,
    Custom(Box<dyn Layer<T>>),
}

/// Builds a [`Sequential`] layer by layer; sizes are checked in
/// [`build`](SequentialBuilder::build).
///
/// One seed (default 0) fixes every layer's initialisation and dropout
/// masks: layer `l` draws from stream `(seed, l)`.
pub struct SequentialBuilder<T: Scalar> {
    input_size: usize,
    seed: u64,
    init: Init,
    pending: Vec<Pending<T>>,
}

impl<T: Scalar> SequentialBuilder<T> {
    fn new(input_size: usize) -> Self {
        Self {
            input_size,
            seed: 0,
            init: Init::HeNormal,
            pending: Vec::new(),
        }
    }
    /// The seed for initialisation and dropout (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The initialiser of the dense layers added after this call (default He
    /// normal).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// A dense layer with `units` outputs.
    pub fn dense(mut self, units: usize) -> Self {
        let init = self.init;
        self.pending.push(Pending::Dense { units, init });
        self
    }
    /// A dense layer with its own initialiser.
    pub fn dense_with(mut self, units: usize, init: Init) -> Self {
        self.pending.push(Pending::Dense { units, init });
        self
    }
    /// An activation layer.
    pub fn activation(mut self, kind: ActivationKind) -> Self {
        self.pending.push(Pending::Activation(kind));
        self
    }
    /// ReLU.
    pub fn relu(self) -> Self {
        self.activation(ActivationKind::Relu)
    }
    /// Sigmoid.
    pub fn sigmoid(self) -> Self {
        self.activation(ActivationKind::Sigmoid)
    }
    /// Tanh.
    pub fn tanh(self) -> Self {
        self.activation(ActivationKind::Tanh)
    }
    /// Softmax over each column.
    pub fn softmax(self) -> Self {
        self.activation(ActivationKind::Softmax)
    }
    /// Inverted dropout with drop probability `p`.
    pub fn dropout(mut self, p: f64) -> Self {
        self.pending.push(Pending::Dropout(p));
        self
    }
    /// Batch normalisation of the previous layer's outputs.
    pub fn batch_norm(mut self) -> Self {
        self.pending.push(Pending::BatchNorm);
        self
    }
    /// Any layer, e.g. one of your own.
    pub fn layer(mut self, layer: impl Layer<T> + 'static) -> Self {
        self.pending.push(Pending::Custom(Box::new(layer)));
        self
    }

    /// Builds the network, or names the first layer whose sizes do not fit.
    pub fn build(self) -> Result<Sequential<T>, LayerError> {
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::with_capacity(self.pending.len());
        let mut size = self.input_size;
        for (index, p) in self.pending.into_iter().enumerate() {
            let stream = index as u64;
            let layer: Box<dyn Layer<T>> = match p {
                Pending::Dense { units, init } => {
                    if units == 0 {
                        return Err(LayerError::ZeroWidth {
                            layer: format!("layer {index} (dense)"),
                        });
                    }
                    Box::new(Dense::new(
                        size,
                        units,
                        init,
                        &mut rng::stream(self.seed, stream),
                    ))
                }
                Pending::Activation(kind) => Box::new(ActivationLayer::new(kind)),
                Pending::Dropout(p) => {
                    Box::new(Dropout::new(p, rng::derive_seed(self.seed, stream))?)
                }
                Pending::BatchNorm => Box::new(BatchNorm1d::new(size)?),
                Pending::Custom(layer) => layer,
            };
            size = output_size_at(index, layer.as_ref(), size)?;
            layers.push(layer);
        }
        Sequential::from_layers(self.input_size, layers)
    }
}
