//! A fully connected layer.
//!
//! Forward, for a batch `A[l−1]` (inputs × m):
//! `Z = W·A[l−1] + b` with `W` outputs×inputs and `b` outputs×1. The bias
//! is added in the product's write-back (each part of `Z` on the thread that
//! computed it, while it is in cache), and so is a following element-wise
//! activation `A = g(Z)` when a [`Sequential`](crate::Sequential) fuses the
//! two ([`Layer::forward_then`]); the bits are those of separate passes.
//!
//! Backward, given `dZ = ∂L/∂Z` (the loss already carries the `1/m` of the
//! batch mean, so none appears here):
//! `dW += dZ·A[l−1]ᵀ`, `db += Σⱼ dZ[:, j]`, `dA[l−1] = Wᵀ·dZ`.
//! Both transposed products read their operand through strides. After
//! `zero_grads` (which discards `dW` and `db` rather than writing zeros) the
//! first backward writes them with `β = 0`; later ones accumulate.

use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape, TensorInfo,
};
use backprop_activations::Elementwise;
use backprop_tensor::{DMatrix, Init, Op, Param, Scalar, ops};
use rand::Rng;

/// A fully connected (linear) layer `Z = W·A + b`.
///
/// ```
/// use backprop_layers::{Dense, Layer, Mode};
/// use backprop_tensor::{DMatrix, Init, rng::seeded};
/// let mut d = Dense::<f64>::new(3, 2, Init::Zeros, &mut seeded(0));
/// d.weight_mut().fill(1.0);
/// let x = DMatrix::from_element(3, 4, 1.0); // 4 samples
/// let mut z = DMatrix::zeros(0, 0);
/// d.forward(&x, &mut z, Mode::Eval)?;
/// assert_eq!(z, DMatrix::from_element(2, 4, 3.0));
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dense<T: Scalar> {
    weight: Param<T>,
    bias: Param<T>,
}

impl<T: Scalar> Dense<T> {
    /// A layer `inputs → outputs` with weights from `init` and the biases
    /// [`Init::bias`] gives: zeros (as the tutorial), or PyTorch's
    /// U(±1/√inputs) for [`Init::TorchDefault`] (`nn.Linear`'s default).
    pub fn new<R: Rng + ?Sized>(inputs: usize, outputs: usize, init: Init, rng: &mut R) -> Self {
        let w = init.matrix(outputs, inputs, rng);
        Self::from_parts(w, init.bias(outputs, inputs, rng))
    }

    /// A layer with the given weight (outputs×inputs) and bias (outputs×1).
    ///
    /// Returns an error if the bias does not have one row per output.
    pub fn from_weights(weight: DMatrix<T>, bias: DMatrix<T>) -> Result<Self, LayerError> {
        ops::check_shape("Dense::from_weights", "bias", &bias, (weight.nrows(), 1))
            .map_err(LayerError::shape("dense"))?;
        Ok(Self::from_parts(weight, bias))
    }

    fn from_parts(weight: DMatrix<T>, bias: DMatrix<T>) -> Self {
        Self {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
        }
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.weight.value.ncols()
    }
    /// Number of output units.
    pub fn outputs(&self) -> usize {
        self.weight.value.nrows()
    }
    /// The weight parameter `W` (outputs×inputs).
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }
    /// The bias parameter `b` (outputs×1).
    pub fn bias(&self) -> &Param<T> {
        &self.bias
    }
    /// The weight values, mutably.
    pub fn weight_mut(&mut self) -> &mut DMatrix<T> {
        &mut self.weight.value
    }
    /// The bias values, mutably.
    pub fn bias_mut(&mut self) -> &mut DMatrix<T> {
        &mut self.bias.value
    }
    /// `Z = W·A` (a fresh product, `β = 0`) with `+ b` per column and, when
    /// given, `act` into the second matrix in the product's epilogue: each
    /// entry gets the one addition of a separate bias pass and then the
    /// activation's own formula, so the bits are those of the unfused passes
    /// (see docs/math.md, "Fused write-back").
    fn forward_with(
        &self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        act: Option<(Elementwise, &mut DMatrix<T>)>,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        let err = LayerError::shape("dense forward");
        let bias = &self.bias.value;
        ops::check_shape("bias broadcast", "bias", bias, (self.outputs(), 1)).map_err(&err)?;
        let bias = bias.as_slice();
        let (act, activated) = match act {
            Some((act, activated)) => (Some(act), Some(activated)),
            None => (None, None),
        };
        ops::product_then(
            &self.weight.value,
            Op::N,
            input,
            Op::N,
            output,
            activated,
            |mut part| {
                let rows = part.rows();
                for (z, b) in part.z().iter_mut().zip(&bias[rows]) {
                    *z += *b;
                }
                if let Some(act) = act {
                    act.forward_part(&mut part);
                }
            },
        )
        .map_err(err)
    }

    fn check_input(&self, input: &DMatrix<T>) -> Result<(), LayerError> {
        if input.nrows() != self.inputs() {
            return Err(LayerError::InputSize {
                layer: format!("dense {}→{}", self.inputs(), self.outputs()),
                expected: self.inputs(),
                found: input.nrows(),
            });
        }
        Ok(())
    }
}

impl<T: Scalar> Layer<T> for Dense<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        self.forward_with(input, output, None)
    }

    /// `Z = W·A + b` and `A′ = act(Z)`, both in the product's write-back.
    fn forward_then(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        act: Elementwise,
        activated: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<bool, LayerError> {
        self.forward_with(input, output, Some((act, activated)))?;
        Ok(true)
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        let err = LayerError::shape("dense backward");
        ops::check_shape(
            "dense backward",
            "dZ",
            grad_output,
            (self.outputs(), input.ncols()),
        )
        .map_err(&err)?;
        // dW ← β·dW + dZ·Aᵀ, db ← β·db + Σⱼ dZ[:, j]: β = 1 accumulates,
        // β = 0 overwrites a gradient discarded by `zero_grads` (the same
        // values as adding to zeros, without a pass writing the zeros).
        let beta_w = self.weight.accumulation_beta();
        ops::gemm(
            T::one(),
            grad_output,
            Op::N,
            input,
            Op::T,
            beta_w,
            &mut self.weight.grad,
        )
        .map_err(&err)?;
        let beta_b = self.bias.accumulation_beta();
        ops::sum_columns(T::one(), grad_output, beta_b, &mut self.bias.grad).map_err(&err)?;
        // dA[l−1] = Wᵀ·dZ
        if let Some(dx) = grad_input {
            ops::resize(dx, self.inputs(), input.ncols());
            ops::gemm(
                T::one(),
                &self.weight.value,
                Op::T,
                grad_output,
                Op::N,
                T::zero(),
                dx,
            )
            .map_err(&err)?;
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "dense"
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        let found = input.features("dense")?;
        if found != self.inputs() {
            return Err(LayerError::InputSize {
                layer: format!("dense {}→{}", self.inputs(), self.outputs()),
                expected: self.inputs(),
                found,
            });
        }
        Ok(Shape::flat(self.outputs()))
    }
    fn config(&self) -> Option<Config> {
        Some(
            Config::new()
                .with("inputs", self.inputs())
                .with("outputs", self.outputs()),
        )
    }
    /// Discards both gradients ([`Param::discard_grad`]): the next
    /// backward's products write them with `β = 0` instead of adding to
    /// zeros a pass has written.
    fn zero_grads(&mut self) {
        self.weight.discard_grad();
        self.bias.discard_grad();
    }
    /// A discarded gradient is still discarded here (it reads stale values);
    /// [`visit_params_mut`](Layer::visit_params_mut) writes it as zeros.
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        f(&self.weight);
        f(&self.bias);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        self.weight.settle_grad();
        self.bias.settle_grad();
        f(&mut self.weight);
        f(&mut self.bias);
    }
}

/// Saved as `{"inputs": n, "outputs": m}`; owns `weight` `[outputs, inputs]`
/// and `bias` `[outputs]` (PyTorch's `nn.Linear`).
impl<T: Scalar> LayerType for Dense<T> {
    const KIND: &'static str = "dense";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        config.only("dense", &["inputs", "outputs"])?;
        let inputs = config.usize("dense", "inputs")?;
        let outputs = config.usize("dense", "outputs")?;
        if outputs == 0 || inputs == 0 {
            return Err(LayerError::ZeroWidth {
                layer: format!("dense {inputs}→{outputs}"),
            });
        }
        let found = input.features("dense")?;
        if found != inputs {
            return Err(LayerError::InputSize {
                layer: format!("dense {inputs}→{outputs}"),
                expected: inputs,
                found,
            });
        }
        Ok(Plan {
            output: Shape::flat(outputs),
            tensors: vec![
                TensorInfo::matrix("weight", [outputs, inputs]),
                TensorInfo::vector("bias", outputs),
            ],
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        let inputs = config.usize("dense", "inputs")?;
        let outputs = config.usize("dense", "outputs")?;
        Ok(Box::new(Dense::<S>::from_weights(
            DMatrix::zeros(outputs, inputs),
            DMatrix::zeros(outputs, 1),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Mode, Sequential};
    use backprop_tensor::{DMatrix, Param, Parameters};

    fn net() -> Sequential<f32> {
        Sequential::builder(5)
            .seed(3)
            .dense(4)
            .relu()
            .dense(3)
            .build()
            .unwrap()
    }

    fn grads(net: &mut Sequential<f32>) -> Vec<DMatrix<f32>> {
        let mut out = Vec::new();
        net.visit_params_mut(&mut |p| out.push(p.grad.clone()));
        out
    }

    /// One backward of `net` on a fixed batch, after `zero`.
    fn step(net: &mut Sequential<f32>, zero: impl Fn(&mut Sequential<f32>)) {
        let x = DMatrix::from_fn(5, 7, |i, j| (i as f32 - 2.0) * 0.3 + j as f32 * 0.1);
        let dy = DMatrix::from_fn(3, 7, |i, j| (i * 7 + j) as f32 * 0.05 - 0.4);
        net.forward(&x, Mode::Train).unwrap();
        zero(net);
        net.backward(&x, &dy).unwrap();
    }

    #[test]
    fn discarded_gradients_are_overwritten_with_the_same_bits_as_zeroed_ones() {
        let (mut lazy, mut eager) = (net(), net());
        // Stale gradients that would poison an accumulation.
        for n in [&mut lazy, &mut eager] {
            n.visit_params_mut(&mut |p| p.grad.fill(f32::NAN));
        }
        step(&mut lazy, |n| n.zero_grad());
        step(&mut eager, |n| {
            n.visit_params_mut(&mut |p: &mut Param<f32>| p.zero_grad())
        });
        let mut discarded = 0;
        lazy.visit_params(&mut |p| discarded += usize::from(p.is_grad_discarded()));
        assert_eq!(discarded, 0, "backward consumes every discard");
        let (l, e) = (grads(&mut lazy), grads(&mut eager));
        assert!(e.iter().all(|g| g.iter().all(|v| v.is_finite())));
        assert!(e.iter().all(|g| g.iter().any(|&v| v != 0.0)));
        assert_eq!(bits(&l), bits(&e));
    }

    fn bits(gs: &[DMatrix<f32>]) -> Vec<u32> {
        gs.iter()
            .flat_map(|m| m.iter().map(|v| v.to_bits()))
            .collect()
    }

    #[test]
    fn a_second_backward_still_accumulates() {
        let (mut lazy, mut eager) = (net(), net());
        step(&mut lazy, |n| n.zero_grad());
        step(&mut eager, |n| {
            n.visit_params_mut(&mut |p: &mut Param<f32>| p.zero_grad())
        });
        let once = grads(&mut lazy);
        step(&mut lazy, |_| {});
        step(&mut eager, |_| {});
        let twice = grads(&mut lazy);
        assert_eq!(bits(&twice), bits(&grads(&mut eager)));
        // Added, not overwritten: twice the first (up to the rounding of
        // the sums, whose order differs from a doubling).
        for (t, o) in twice.iter().flatten().zip(once.iter().flatten()) {
            assert!((t - 2.0 * o).abs() <= 1e-6 * o.abs().max(1.0), "{t} {o}");
        }
    }

    #[test]
    fn discarded_gradients_read_as_zero_through_mut_and_count_as_finite() {
        let mut n = net();
        n.visit_params_mut(&mut |p| p.grad.fill(f32::NAN));
        n.zero_grad();
        assert!(n.grads_finite());
        assert_eq!(n.first_non_finite_grad(), None);
        // Handed out mutably, a discarded gradient is written as zeros first,
        // so what a caller adds to it before the next backward is kept.
        n.visit_params_mut(&mut |p| {
            assert!(!p.is_grad_discarded() && p.grad.iter().all(|&v| v == 0.0));
            p.grad.fill(0.5);
        });
        let mut fresh = net();
        step(&mut n, |_| {});
        step(&mut fresh, |n| n.zero_grad());
        for (g, f) in grads(&mut n).iter().zip(&grads(&mut fresh)) {
            assert_eq!(g, &f.add_scalar(0.5));
        }
    }
}
