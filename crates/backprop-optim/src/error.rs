//! The error type of the crate.

use thiserror::Error;

/// Everything that can go wrong in an optimizer step, a clipping call, a
/// schedule's construction, a state import or a look-up by name.
///
/// Shapes are `(rows, columns)`. Nothing in this crate panics on bad input: a
/// failed [`step`](crate::Optimizer::step) returns one of these before it has
/// touched any parameter.
///
/// ```
/// use backprop_optim::OptimError;
/// let e = OptimError::ShapeMismatch {
///     name: "0.weight".into(),
///     index: 0,
///     expected: (3, 2),
///     found: (4, 2),
/// };
/// assert_eq!(
///     e.to_string(),
///     "parameter 0 (\"0.weight\") is 4×2, but the optimizer state was created for 3×2"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum OptimError {
    /// A parameter's shape differs from the shape the optimizer's state for that
    /// position was created with (on the first step, or by
    /// [`load_state`](crate::Optimizer::load_state)).
    #[error(
        "parameter {index} ({name:?}) is {}×{}, but the optimizer state was created for {}×{}",
        found.0, found.1, expected.0, expected.1
    )]
    ShapeMismatch {
        /// The parameter's [`name()`](backprop_tensor::Param::name).
        name: String,
        /// Its position in visit order.
        index: usize,
        /// The shape the optimizer state holds.
        expected: (usize, usize),
        /// The parameter's current shape.
        found: (usize, usize),
    },
    /// The model shows a different number of parameters than the optimizer's
    /// state was created for.
    #[error(
        "the optimizer state holds {expected} parameter{}, but {found} {} given \
         (first unmatched parameter: {name:?})",
        if *expected == 1 { "" } else { "s" },
        if *found == 1 { "was" } else { "were" }
    )]
    ParamCountMismatch {
        /// The first parameter without a counterpart: the first extra one of the
        /// model when it has more parameters, else the first one the state holds
        /// that the model no longer shows.
        name: String,
        /// How many parameters the state holds.
        expected: usize,
        /// How many the model showed.
        found: usize,
    },
    /// A parameter's gradient does not have the shape of its value.
    #[error(
        "the gradient of parameter {name:?} is {}×{}, but its value is {}×{}",
        grad.0, grad.1, value.0, value.1
    )]
    GradShapeMismatch {
        /// The parameter's name.
        name: String,
        /// The shape of its value.
        value: (usize, usize),
        /// The shape of its gradient.
        grad: (usize, usize),
    },
    /// A hyper-parameter (or learning rate, or clipping threshold) is out of range.
    #[error("invalid {name} = {value} for {context}: {reason}")]
    InvalidHyperparameter {
        /// What it was given to, e.g. `"Adam"`, `"StepDecay"`, `"clip_grad_norm"`.
        context: &'static str,
        /// The hyper-parameter, e.g. `"beta1"`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// [`by_name`](crate::by_name) or [`OptimizerKind`](crate::OptimizerKind)'s
    /// `FromStr` was given a name it does not know.
    #[error(
        "unknown optimizer {name:?}; expected one of: sgd, momentum, nesterov, rmsprop, adam, adamw"
    )]
    UnknownOptimizer {
        /// The name given.
        name: String,
    },
    /// An [`OptimizerState`](crate::OptimizerState) does not fit the optimizer
    /// it is loaded into.
    #[error("cannot load optimizer state: {reason}")]
    InvalidState {
        /// What does not fit.
        reason: String,
    },
}

/// Checks that `value` is finite and at least `min` (or strictly above it).
pub(crate) fn check_range(
    context: &'static str,
    name: &'static str,
    value: f64,
    min: f64,
    strict: bool,
    reason: &'static str,
) -> Result<(), OptimError> {
    let ok = value.is_finite() && if strict { value > min } else { value >= min };
    if ok {
        Ok(())
    } else {
        Err(OptimError::InvalidHyperparameter {
            context,
            name,
            value,
            reason,
        })
    }
}

/// Checks that `value` lies in `[0, 1)`.
pub(crate) fn check_unit(
    context: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(OptimError::InvalidHyperparameter {
            context,
            name,
            value,
            reason: "must lie in [0, 1)",
        })
    }
}

/// Checks a learning rate: finite and non-negative.
pub(crate) fn check_lr(context: &'static str, lr: f64) -> Result<(), OptimError> {
    check_range(
        context,
        "lr",
        lr,
        0.0,
        false,
        "must be finite and non-negative",
    )
}

/// Checks a non-negative finite hyper-parameter.
pub(crate) fn check_non_negative(
    context: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    check_range(
        context,
        name,
        value,
        0.0,
        false,
        "must be finite and non-negative",
    )
}
