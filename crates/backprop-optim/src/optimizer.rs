//! The [`Optimizer`] trait and its exportable [`OptimizerState`]. Look-up by
//! name ([`OptimizerKind`](crate::OptimizerKind)) is in kind.rs, which knows
//! the optimizers; this file knows none of them.

use crate::OptimError;
use backprop_tensor::{DMatrix, Parameters, Scalar};

/// An optimizer: updates parameters in place from their gradients.
///
/// The learning rate is an argument of [`step`](Self::step), not a field, so
/// a [`Schedule`](crate::Schedule) (or anything else) can drive it without the
/// optimizer knowing.
///
/// State (momentum, moment estimates) is kept per parameter, by position in
/// [`Parameters`] visit order. It is allocated on the first step, zeroed, with
/// the parameters' shapes, and reused afterwards: later steps allocate
/// nothing. A later step that shows a different number of parameters, a
/// different shape, or a gradient whose shape differs from its value's returns
/// an [`OptimError`] naming the parameter, without changing anything.
///
/// ```
/// use backprop_optim::{Adam, Optimizer};
/// use backprop_tensor::{DMatrix, Param};
/// let mut params = vec![Param::new("w", DMatrix::from_element(2, 1, 1.0_f64))];
/// let mut opt = Adam::new();
/// params[0].grad.fill(0.5);
/// opt.step(0.1, &mut params)?;
/// // Adam's first step moves every entry by lr (times sign of the gradient).
/// assert!((params[0].value[0] - 0.9).abs() < 1e-7);
///
/// params.push(Param::new("b", DMatrix::zeros(1, 1)));
/// assert!(opt.step(0.1, &mut params).is_err()); // a parameter appeared
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
pub trait Optimizer<T: Scalar> {
    /// Updates every parameter from its gradient with learning rate `lr`.
    ///
    /// `lr` is an `f64` whatever `T` is, like every hyper-parameter and like
    /// [`Schedule::lr`](crate::Schedule::lr), so a schedule's value is passed
    /// as it is. It is rounded once to `T` before the step's coefficients are
    /// computed (in `f64`).
    ///
    /// Gradients are read, not cleared. Fails, changing nothing, if `lr` or a
    /// hyper-parameter is out of range or the parameters do not match the
    /// state of earlier steps.
    fn step(&mut self, lr: f64, params: &mut dyn Parameters<T>) -> Result<(), OptimError>;

    /// The optimizer's name, as accepted by [`by_name`](crate::by_name): `"sgd"`,
    /// `"momentum"`, `"nesterov"`, `"rmsprop"`, `"adam"` or `"adamw"`.
    fn name(&self) -> &'static str;

    /// Forgets all state (step count and buffers), keeping the hyper-parameters.
    fn reset(&mut self);

    /// Number of steps taken since construction or the last reset (or as
    /// loaded by [`load_state`](Self::load_state)).
    fn steps(&self) -> u64;

    /// A copy of the state, for a checkpoint.
    fn state(&self) -> OptimizerState<T>;

    /// Replaces the state by one exported with [`state`](Self::state) from an
    /// optimizer of the same kind and configuration.
    ///
    /// The buffers' shapes are checked against the parameters at the next
    /// step, as if that state had been built by earlier steps. Fails, changing
    /// nothing, if the state was exported by another kind of optimizer, its
    /// buffers do not have the expected names and layout, or it cannot come
    /// from a run: a step count of 2^53 or more (`u64::MAX` would overflow
    /// the next step), a non-finite buffer value, or a negative value in an
    /// average of squares (`exp_avg_sq`, `square_avg`). The error names the
    /// buffer and the value.
    fn load_state(&mut self, state: OptimizerState<T>) -> Result<(), OptimError>;
}

/// The exportable state of an [`Optimizer`], for checkpoints.
///
/// - `optimizer`: the [`name`](Optimizer::name) of the optimizer that exported it;
/// - `step`: the number of steps taken (Adam's bias corrections depend on it);
/// - `buffers`: every per-parameter buffer, named `"<parameter>.<buffer>"`,
///   parameter by parameter in visit order, and for each parameter in the
///   optimizer's buffer order:
///
/// | optimizer | buffers per parameter |
/// |---|---|
/// | `sgd` | none |
/// | `momentum`, `nesterov` | `momentum_buffer` |
/// | `rmsprop` | `square_avg`, then `momentum_buffer` if momentum > 0, then `grad_avg` if centered |
/// | `adam`, `adamw` | `exp_avg`, `exp_avg_sq` |
///
/// Hyper-parameters are not part of the state: a checkpoint records them
/// separately and rebuilds the optimizer before loading.
///
/// ```
/// use backprop_optim::{Optimizer, Sgd};
/// use backprop_tensor::{DMatrix, Param};
/// let mut params = vec![Param::new("0.weight", DMatrix::from_element(2, 2, 1.0_f32))];
/// let mut opt = Sgd::momentum(0.9);
/// opt.step(0.1, &mut params)?;
/// let state = opt.state();
/// assert_eq!((state.optimizer.as_str(), state.step), ("momentum", 1));
/// assert_eq!(state.buffers[0].0, "0.weight.momentum_buffer");
///
/// let mut restored = Sgd::momentum(0.9);
/// restored.load_state(state)?;
/// assert_eq!(restored.steps(), 1);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState<T: Scalar> {
    /// Name of the optimizer that exported the state.
    pub optimizer: String,
    /// Number of steps taken.
    pub step: u64,
    /// Named buffers, in parameter visit order.
    pub buffers: Vec<(String, DMatrix<T>)>,
}
