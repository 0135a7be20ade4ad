//! A fully connected layer.
//!
//! Forward, for a batch `A[l−1]` (inputs × m):
//! `Z = W·A[l−1] + b` with `W` outputs×inputs and `b` outputs×1.
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
use backprop_tensor::{DMatrix, Init, Op, Param, Scalar, TensorError, ops, threads};
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
        self.check_input(input)?;
        // Z = W·A (a fresh product, β = 0) then + b per column.
        ops::resize(output, self.outputs(), input.ncols());
        ops::gemm(
            T::one(),
            &self.weight.value,
            Op::N,
            input,
            Op::N,
            T::zero(),
            output,
        )
        .map_err(LayerError::shape("dense forward"))?;
        ops::add_bias(output, &self.bias.value).map_err(LayerError::shape("dense forward"))
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
        let (inputs, outputs) = (self.inputs(), self.outputs());
        // dW ← β·dW + dZ·Aᵀ, db ← β·db + Σⱼ dZ[:, j]: β = 1 accumulates,
        // β = 0 overwrites a gradient discarded by `zero_grads` (the same
        // values as adding to zeros, without a pass writing the zeros).
        let mut params = Part::Params {
            beta_w: self.weight.accumulation_beta(),
            dw: &mut self.weight.grad,
            beta_b: self.bias.accumulation_beta(),
            db: &mut self.bias.grad,
        };
        let Some(dx) = grad_input else {
            return params
                .run(&self.weight.value, input, grad_output)
                .map_err(&err);
        };
        // dA[l−1] = Wᵀ·dZ
        ops::resize(dx, inputs, input.ncols());
        let mut parts = [(params, Ok(())), (Part::Input(dx), Ok(()))];
        let w = &self.weight.value;
        let both = |parts: &mut [(Part<'_, T>, Result<(), TensorError>)]| {
            for (part, result) in parts {
                *result = part.run(w, input, grad_output);
            }
        };
        if inputs.min(outputs) * input.ncols() >= CONCURRENT_MIN {
            // Two products of the same size that need not wait for each
            // other: on two threads at once (each whole, on one thread, so
            // the bits are those of one thread).
            threads::for_each_chunk_mut([&mut parts[..]], 1, 1, &|_, [parts]| both(parts));
        } else {
            both(&mut parts);
        }
        parts.into_iter().try_for_each(|(_, r)| r).map_err(&err)
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

/// The backward's `dW`/`db` and `dA` products run on two threads at once
/// (when there are two) from this many `min(inputs, outputs) × batch`
/// elements on: 128→64 at batch 64 (2 MFLOP each) gains, 64→10 (0.1 MFLOP)
/// would only pay for the hand-over.
const CONCURRENT_MIN: usize = 64 * 64;

/// One of the backward's two independent halves.
enum Part<'a, T: Scalar> {
    /// `dW ← β_w·dW + dZ·Aᵀ` and `db ← β_b·db + Σⱼ dZ[:, j]`.
    Params {
        beta_w: T,
        dw: &'a mut DMatrix<T>,
        beta_b: T,
        db: &'a mut DMatrix<T>,
    },
    /// `dA = Wᵀ·dZ` (already of its shape).
    Input(&'a mut DMatrix<T>),
}

impl<T: Scalar> Part<'_, T> {
    /// This half of the backward of `Z = W·A + b` given `dZ`.
    fn run(&mut self, w: &DMatrix<T>, a: &DMatrix<T>, dz: &DMatrix<T>) -> Result<(), TensorError> {
        match self {
            Part::Params {
                beta_w,
                dw,
                beta_b,
                db,
            } => {
                ops::gemm(T::one(), dz, Op::N, a, Op::T, *beta_w, dw)?;
                ops::sum_columns(T::one(), dz, *beta_b, db)
            }
            Part::Input(dx) => ops::gemm(T::one(), w, Op::T, dz, Op::N, T::zero(), dx),
        }
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

    /// A layer large enough that its backward runs its two halves on two
    /// threads: the same bits as on one, and as the halves run in turn.
    #[test]
    fn concurrent_backward_halves_give_the_bits_of_one_thread() {
        use super::{CONCURRENT_MIN, Dense, Layer};
        use backprop_tensor::{Init, rng::seeded, threads};
        let (inputs, outputs, batch) = (96, 64, 64);
        assert!(outputs * batch >= CONCURRENT_MIN);
        let a = DMatrix::from_fn(inputs, batch, |i, j| {
            ((i * 31 + j * 17) % 23) as f32 / 7.0 - 1.5
        });
        let dz = DMatrix::from_fn(outputs, batch, |i, j| {
            ((i * 13 + j * 5) % 19) as f32 / 9.0 - 1.0
        });
        let run = |threads: usize, twice: bool| {
            threads::set_num_threads(threads);
            let mut d = Dense::<f32>::new(inputs, outputs, Init::HeNormal, &mut seeded(5));
            let (mut z, mut dx) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
            d.forward(&a, &mut z, Mode::Train).unwrap();
            d.zero_grads();
            for _ in 0..if twice { 2 } else { 1 } {
                d.backward(&a, &z, &dz, Some(&mut dx)).unwrap();
            }
            let mut out = vec![dx];
            d.visit_params(&mut |p| out.push(p.grad.clone()));
            out
        };
        for twice in [false, true] {
            let one = run(1, twice);
            let two = run(2, twice);
            threads::set_num_threads(1);
            assert!(one.iter().all(|m| m.iter().any(|&v| v != 0.0)));
            assert_eq!(bits(&one), bits(&two), "twice: {twice}");
        }
        // The halves in turn, as a layer below the threshold runs them.
        let mut d = Dense::<f32>::new(inputs, outputs, Init::HeNormal, &mut seeded(5));
        let mut dw = DMatrix::zeros(outputs, inputs);
        backprop_tensor::ops::gemm(
            1.0,
            &dz,
            backprop_tensor::Op::N,
            &a,
            backprop_tensor::Op::T,
            0.0,
            &mut dw,
        )
        .unwrap();
        let mut dx = DMatrix::zeros(inputs, batch);
        backprop_tensor::ops::gemm(
            1.0,
            d.weight_mut(),
            backprop_tensor::Op::T,
            &dz,
            backprop_tensor::Op::N,
            0.0,
            &mut dx,
        )
        .unwrap();
        let two = run(2, false);
        threads::set_num_threads(1);
        assert_eq!(bits(&[dx, dw]), bits(&two[..2]));
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
