//! A stack of layers, run in order forward and in reverse backward.
//!
//! The network owns the tutorial's caches: `outputs[l]` is `A[l]`, the output
//! of layer `l`, and `grads[l]` is `dA[l]`. Both are sized on the first pass
//! and reused afterwards, so a training step at a steady batch size does not
//! allocate. A `Sequential` is itself a [`Layer`], so networks nest; its
//! parameters are named by path (`"0.weight"`, `"3.1.weight"`), PyTorch's
//! `nn.Sequential` names.

use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Model, ModelInfo, OutputKind, Plan,
    Registry, Scratch, Shape, Value,
};
use backprop_activations::ActivationKind;
use backprop_tensor::{DMatrix, Param, Parameters, Scalar, TensorError, ops};

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
    input_shape: Shape,
    layers: Vec<Box<dyn Layer<T>>>,
    shapes: Vec<Shape>,
    outputs: Vec<DMatrix<T>>,
    grads: Vec<DMatrix<T>>,
    info: ModelInfo,
    scratch: Scratch<T>,
}

impl<T: Scalar> Sequential<T> {
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
        input: impl Into<Shape>,
        layers: Vec<Box<dyn Layer<T>>>,
    ) -> Result<Self, LayerError> {
        let input_shape = input.into();
        if input_shape.is_empty() {
            return Err(LayerError::ZeroWidth {
                layer: "input".into(),
            });
        }
        input_shape.validate("input")?;
        let mut shapes = Vec::with_capacity(layers.len());
        let mut shape = input_shape.clone();
        for (index, layer) in layers.iter().enumerate() {
            shape = output_shape_at(index, layer.as_ref(), &shape)?;
            shapes.push(shape.clone());
        }
        let n = layers.len();
        let ends_in = |k: ActivationKind| {
            layers
                .last()
                .is_some_and(|l| l.kind() == "activation" && l.name() == k.name())
        };
        let output = if ends_in(ActivationKind::Softmax) || ends_in(ActivationKind::Sigmoid) {
            OutputKind::Probabilities
        } else {
            OutputKind::Logits
        };
        let mut net = Self {
            input_shape,
            layers,
            shapes,
            outputs: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
            grads: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
            info: ModelInfo {
                output,
                ..ModelInfo::default()
            },
            scratch: Scratch::new(),
        };
        net.name_params();
        Ok(net)
    }

    /// Prefixes every parameter name with its layer's position, as PyTorch's
    /// `nn.Sequential` (a nested network's are already prefixed by it).
    fn name_params(&mut self) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            layer.visit_params_mut(&mut |p| {
                let name = format!("{i}.{}", p.name());
                p.set_name(name);
            });
        }
    }

    /// The shape of one input sample.
    pub fn input_shape(&self) -> &Shape {
        &self.input_shape
    }
    /// Number of input values per sample (rows of a batch).
    pub fn input_size(&self) -> usize {
        self.input_shape.len()
    }
    /// The shape of one output sample (the input's if there are no layers).
    pub fn output_shape(&self) -> &Shape {
        self.shapes.last().unwrap_or(&self.input_shape)
    }
    /// Number of outputs per sample.
    pub fn output_size(&self) -> usize {
        self.output_shape().len()
    }
    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }
    /// The layers, mutably.
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer<T>>] {
        &mut self.layers
    }
    /// The output shape of each layer.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }
    /// What the model says about itself (see [`Model::info`]).
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }
    /// What the model says about itself, mutably.
    pub fn info_mut(&mut self) -> &mut ModelInfo {
        &mut self.info
    }

    /// Forward pass over a batch `X` (features × batch), returning the last
    /// layer's output `A[L]`; every `A[l]` is kept for the backward pass.
    ///
    /// A layer followed by an element-wise activation (a built-in
    /// [`ActivationLayer`](crate::ActivationLayer) other than Softmax) runs
    /// both through [`Layer::forward_then`]: a [`Dense`](crate::Dense)
    /// layer adds its bias and applies the activation in its product's
    /// write-back. Both outputs are kept and hold the bits the two forwards
    /// give one after the other.
    pub fn forward<'a>(
        &'a mut self,
        input: &'a DMatrix<T>,
        mode: Mode,
    ) -> Result<&'a DMatrix<T>, LayerError> {
        if input.nrows() != self.input_size() {
            return Err(LayerError::InputSize {
                layer: "network input".into(),
                expected: self.input_size(),
                found: input.nrows(),
            });
        }
        let mut i = 0;
        while i < self.layers.len() {
            let (done, rest) = self.outputs.split_at_mut(i);
            let x = match done.last() {
                Some(prev) => prev,
                None => input,
            };
            // A layer followed by an element-wise activation computes both
            // outputs at once where it can (Dense: in its product's
            // write-back); both are kept as unfused, for backward.
            let act = self.layers.get(i + 1).and_then(|next| next.elementwise());
            let Some(layer) = self.layers.get_mut(i) else {
                break;
            };
            if let (Some(act), [out, activated, ..]) = (act, &mut *rest)
                && layer.forward_then(x, out, act, activated, mode)?
            {
                i += 2;
                continue;
            }
            if let Some(out) = rest.first_mut() {
                layer.forward(x, out, mode)?;
            }
            i += 1;
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
                source: TensorError::ShapeMismatch {
                    op: "backward",
                    operand: "dA[L]",
                    expected,
                    found: grad_output.shape(),
                },
            });
        }
        if n == 0 {
            if let Some(dx) = grad_input {
                ops::copy_into(grad_output, dx);
            }
            return Ok(());
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

    /// A Keras-style table: each layer, its output shape and parameter count
    /// (nested networks indented under theirs).
    ///
    /// ```
    /// use backprop_layers::Sequential;
    /// let net = Sequential::<f32>::builder(4).dense(3).relu().build()?;
    /// let s = net.summary();
    /// assert!(s.contains("dense") && s.contains("(batch, 3)") && s.contains("Total params: 15"), "{s}");
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    pub fn summary(&self) -> String {
        crate::summary::table(&self.input_shape, &self.layers, &self.shapes)
    }

    /// Calls `f` on every trainable parameter, by full name (`"0.weight"`).
    /// (The same as [`Parameters::visit_params`]; inherent so that a call
    /// is not ambiguous with [`Layer::visit_params`].)
    pub fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        for layer in &self.layers {
            layer.visit_params(f);
        }
    }
    /// Calls `f` on every trainable parameter mutably.
    pub fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        for layer in &mut self.layers {
            layer.visit_params_mut(f);
        }
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
        Sequential::visit_params(self, f);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        Sequential::visit_params_mut(self, f);
    }
    /// [`Layer::zero_grads`] on every layer: dense layers discard their
    /// gradients (their next backward overwrites them), the others write
    /// zeros.
    fn zero_grad(&mut self) {
        for layer in &mut self.layers {
            layer.zero_grads();
        }
    }
}

/// The output shape of `layer` at position `index` given `input`, or the
/// error that names the layer: sizes that do not fit, or no units.
fn output_shape_at<T: Scalar>(
    index: usize,
    layer: &dyn Layer<T>,
    input: &Shape,
) -> Result<Shape, LayerError> {
    let out = match layer.output_shape(input) {
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
    if out.is_empty() {
        return Err(LayerError::ZeroWidth {
            layer: format!("layer {index} ({})", layer.name()),
        });
    }
    Ok(out)
}

/// A nested network: runs its layers on the input and hands the last output
/// on (one copy), and back.
impl<T: Scalar> Layer<T> for Sequential<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError> {
        let y = Sequential::forward(self, input, mode)?;
        ops::copy_into(y, output);
        Ok(())
    }
    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        self.backward_impl(input, grad_output, grad_input)
    }
    fn name(&self) -> &str {
        "sequential"
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        if input != &self.input_shape {
            return Err(LayerError::InputShape {
                layer: "sequential".into(),
                expected: self.input_shape.clone(),
                found: input.clone(),
            });
        }
        Ok(Sequential::output_shape(self).clone())
    }
    /// `{"layers": [{"type": kind, …config}, …]}`, or `None` if a layer has
    /// no configuration.
    fn config(&self) -> Option<Config> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let mut c = l.config()?;
                c.insert("type", l.kind());
                Some(Value::Map(c))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Config::new().with("layers", Value::List(layers)))
    }
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        Sequential::visit_params(self, f);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        Sequential::visit_params_mut(self, f);
    }
    fn zero_grads(&mut self) {
        Parameters::zero_grad(self);
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        Sequential::visit_buffers(self, f);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        Sequential::visit_buffers_mut(self, f);
    }
    /// Every layer's [`check_values`](Layer::check_values), in order; the
    /// first error is wrapped with the layer's position
    /// ([`LayerError::At`]).
    fn check_values(&self) -> Result<(), LayerError> {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.check_values().map_err(|e| e.at(i, layer.kind()))?;
        }
        Ok(())
    }
    fn children(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }
    fn children_mut(&mut self) -> &mut [Box<dyn Layer<T>>] {
        &mut self.layers
    }
}

/// Saved as `{"layers": [{"type": "dense", …}, …]}`; owns its layers'
/// tensors under `"{position}.{name}"`.
impl<T: Scalar> LayerType for Sequential<T> {
    const KIND: &'static str = "sequential";

    fn plan(config: &Config, input: &Shape, registry: &Registry) -> Result<Plan, LayerError> {
        config.only("sequential", &["layers"])?;
        let mut shape = input.clone();
        let mut tensors = Vec::new();
        for (i, item) in config.list("sequential", "layers")?.iter().enumerate() {
            let (kind, child) = child_config(i, item)?;
            let plan = registry
                .plan(&kind, &child, &shape)
                .map_err(|e| e.at(i, &kind))?;
            if plan.output.is_empty() {
                return Err(LayerError::ZeroWidth {
                    layer: format!("layer {i} ({kind})"),
                });
            }
            tensors.extend(plan.tensors.into_iter().map(|t| t.prefixed(&i.to_string())));
            shape = plan.output;
        }
        Ok(Plan {
            output: shape,
            tensors,
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        input: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        Ok(Box::new(Sequential::<S>::from_config(config, input, ctx)?))
    }
}

impl<T: Scalar> Sequential<T> {
    /// Builds the network a [`Config`] describes (as
    /// [`Layer::config`] gives it) on `input`, its layers' kinds looked up
    /// in the context's registry, their tensors zero.
    pub fn from_config(
        config: &Config,
        input: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Self, LayerError> {
        let registry = ctx.registry();
        <Self as LayerType>::plan(config, input, registry)?;
        let items = config.list("sequential", "layers")?;
        let mut layers = Vec::with_capacity(items.len());
        let mut shape = input.clone();
        for (i, item) in items.iter().enumerate() {
            let (kind, child) = child_config(i, item)?;
            let layer = registry
                .build::<T>(&kind, &child, &shape, &ctx.child(i))
                .map_err(|e| e.at(i, &kind))?;
            shape = output_shape_at(i, layer.as_ref(), &shape)?;
            layers.push(layer);
        }
        Sequential::from_layers(input.clone(), layers)
    }
}

/// The kind and configuration of item `i` of a `layers` list.
fn child_config(i: usize, item: &Value) -> Result<(String, Config), LayerError> {
    let Value::Map(c) = item else {
        return Err(LayerError::InvalidConfig {
            layer: format!("layer {i}"),
            message: format!("expected a map with a \"type\", found {}", item.describe()),
        });
    };
    let mut c = c.clone();
    match c.remove("type") {
        Some(Value::Str(kind)) => Ok((kind, c)),
        Some(other) => Err(LayerError::InvalidConfig {
            layer: format!("layer {i}"),
            message: format!("\"type\" must be text, found {}", other.describe()),
        }),
        None => Err(LayerError::InvalidConfig {
            layer: format!("layer {i}"),
            message: "configuration has no \"type\" (the layer's kind)".into(),
        }),
    }
}

impl<T: Scalar> Model<T> for Sequential<T> {
    fn input_shape(&self) -> &Shape {
        &self.input_shape
    }
    fn output_shape(&self) -> &Shape {
        Sequential::output_shape(self)
    }
    fn forward<'a>(
        &'a mut self,
        input: &'a DMatrix<T>,
        mode: Mode,
    ) -> Result<&'a DMatrix<T>, LayerError> {
        Sequential::forward(self, input, mode)
    }
    fn backward(&mut self, input: &DMatrix<T>, grad_output: &DMatrix<T>) -> Result<(), LayerError> {
        Sequential::backward(self, input, grad_output)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        Sequential::visit_buffers(self, f);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        Sequential::visit_buffers_mut(self, f);
    }
    fn as_layer(&self) -> &dyn Layer<T> {
        self
    }
    fn as_layer_mut(&mut self) -> &mut dyn Layer<T> {
        self
    }
    fn info(&self) -> &ModelInfo {
        &self.info
    }
    fn info_mut(&mut self) -> &mut ModelInfo {
        &mut self.info
    }
    fn scratch(&mut self) -> &mut Scratch<T> {
        &mut self.scratch
    }
}
