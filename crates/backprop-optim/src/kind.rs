//! The optimizers by name: [`OptimizerKind`] and [`by_name`].

use crate::{Adam, AdamW, OptimError, Optimizer, RmsProp, Sgd};
use backprop_tensor::Scalar;
use std::fmt;
use std::str::FromStr;

/// The optimizers available by name, each with PyTorch's default
/// hyper-parameters (SGD momentum 0.9 for the two momentum variants).
///
/// Parsing is ASCII-case-insensitive and ignores surrounding whitespace.
///
/// ```
/// use backprop_optim::OptimizerKind;
/// let kind: OptimizerKind = "AdamW".parse()?;
/// assert_eq!(kind, OptimizerKind::AdamW);
/// assert_eq!(kind.to_string(), "adamw");
/// assert!("adagrad".parse::<OptimizerKind>().is_err());
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptimizerKind {
    /// `"sgd"`: [`Sgd::new()`].
    Sgd,
    /// `"momentum"`: [`Sgd::momentum(0.9)`](Sgd::momentum).
    Momentum,
    /// `"nesterov"`: [`Sgd::momentum(0.9).nesterov()`](Sgd::nesterov).
    Nesterov,
    /// `"rmsprop"`: [`RmsProp::new()`].
    RmsProp,
    /// `"adam"`: [`Adam::new()`].
    Adam,
    /// `"adamw"`: [`AdamW::new()`].
    AdamW,
}

impl OptimizerKind {
    /// Every kind, in the order of the names listed by [`OptimError::UnknownOptimizer`].
    pub const ALL: [OptimizerKind; 6] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Nesterov,
        OptimizerKind::RmsProp,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
    ];

    /// The name, as parsed and as returned by [`Optimizer::name`].
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::RmsProp => "rmsprop",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
    }

    /// The learning rate a run uses when the user gives none: 0.1 for plain
    /// SGD, 0.01 for the momentum variants (momentum multiplies the step by
    /// about 1 / (1 − 0.9)), and 1e-3 for RMSprop, Adam and AdamW (Keras's
    /// and PyTorch's defaults for the adaptive methods).
    ///
    /// ```
    /// use backprop_optim::OptimizerKind;
    /// assert_eq!(OptimizerKind::Sgd.default_lr(), 0.1);
    /// assert_eq!(OptimizerKind::Adam.default_lr(), 1e-3);
    /// ```
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Sgd => 0.1,
            OptimizerKind::Momentum | OptimizerKind::Nesterov => 0.01,
            OptimizerKind::RmsProp | OptimizerKind::Adam | OptimizerKind::AdamW => 1e-3,
        }
    }

    /// A fresh optimizer of this kind with default hyper-parameters.
    ///
    /// ```
    /// use backprop_optim::{Optimizer, OptimizerKind};
    /// let opt = OptimizerKind::Nesterov.build::<f32>();
    /// assert_eq!(opt.name(), "nesterov");
    /// ```
    pub fn build<T: Scalar>(self) -> Box<dyn Optimizer<T> + Send> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd::new()),
            OptimizerKind::Momentum => Box::new(Sgd::momentum(0.9)),
            OptimizerKind::Nesterov => Box::new(Sgd::momentum(0.9).nesterov()),
            OptimizerKind::RmsProp => Box::new(RmsProp::new()),
            OptimizerKind::Adam => Box::new(Adam::new()),
            OptimizerKind::AdamW => Box::new(AdamW::new()),
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = OptimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        OptimizerKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| OptimError::UnknownOptimizer {
                name: s.to_string(),
            })
    }
}

/// A fresh optimizer from its name (`"sgd"`, `"momentum"`, `"nesterov"`,
/// `"rmsprop"`, `"adam"`, `"adamw"`), with default hyper-parameters: see
/// [`OptimizerKind`].
///
/// ```
/// use backprop_optim::{by_name, OptimError};
/// let opt = by_name::<f32>("rmsprop")?;
/// assert_eq!(opt.name(), "rmsprop");
/// assert!(matches!(by_name::<f32>("lbfgs"), Err(OptimError::UnknownOptimizer { .. })));
/// # Ok::<(), OptimError>(())
/// ```
pub fn by_name<T: Scalar>(name: &str) -> Result<Box<dyn Optimizer<T> + Send>, OptimError> {
    Ok(name.parse::<OptimizerKind>()?.build())
}
