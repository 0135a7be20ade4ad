//! [`ActivationKind`]: an activation as a plain value, parsed from and shown
//! as its name.

use crate::{Activation, Elu, Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Softplus, Tanh};
use backprop_tensor::{DMatrix, Scalar, TensorError};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// One of the activations of this crate, with its parameter, as a `Copy`
/// value: what layers store and model files describe.
///
/// It implements [`Activation`] by dispatching to the unit types, so a layer
/// can hold an `ActivationKind` directly. The names are those of
/// [`ActivationKind::NAMES`]; [`Display`](fmt::Display) writes the name, with
/// `α` in parentheses for [`LeakyRelu`](ActivationKind::LeakyRelu) and
/// [`Elu`](ActivationKind::Elu), and [`FromStr`] reads that form back.
///
/// ```
/// use backprop_activations::{Activation, ActivationKind};
/// use backprop_tensor::DMatrix;
///
/// let kind = ActivationKind::from_name("leaky_relu", Some(0.2))?;
/// assert_eq!(kind, ActivationKind::LeakyRelu(0.2));
/// assert_eq!(kind.to_string(), "leaky_relu(0.2)");
/// assert_eq!("leaky_relu(0.2)".parse::<ActivationKind>()?, kind);
/// assert_eq!(ActivationKind::from_name("elu", None)?, ActivationKind::Elu(1.0));
/// assert!(ActivationKind::from_name("swish", None).is_err());
///
/// let z = DMatrix::from_column_slice(2, 1, &[-1.0_f64, 2.0]);
/// let mut a = DMatrix::zeros(0, 0);
/// kind.forward(&z, &mut a);
/// assert_eq!(a.as_slice(), &[-0.2, 2.0]);
/// assert_eq!(Activation::<f64>::name(&kind), "leaky_relu");
/// # Ok::<(), backprop_activations::ParseActivationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ActivationKind {
    /// [`Identity`]: `z`.
    Identity,
    /// [`Relu`]: `max(z, 0)`.
    Relu,
    /// [`LeakyRelu`] with slope `α` for `z ≤ 0`.
    LeakyRelu(f64),
    /// [`Sigmoid`]: `1 / (1 + e^{−z})`.
    Sigmoid,
    /// [`Tanh`]: `tanh z`.
    Tanh,
    /// [`Elu`] with scale `α` for `z ≤ 0`.
    Elu(f64),
    /// [`Gelu`], tanh approximation.
    Gelu,
    /// [`Softplus`]: `ln(1 + e^z)`.
    Softplus,
    /// [`Softmax`] over each column.
    Softmax,
}

/// Why a name (or a name and parameter) did not describe an activation.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ParseActivationError {
    /// The name is not one of [`ActivationKind::NAMES`].
    #[error("unknown activation `{name}`; expected one of: {}", ActivationKind::NAMES.join(", "))]
    UnknownName {
        /// The name as given.
        name: String,
    },
    /// A parameter was given to an activation that takes none.
    #[error("activation `{name}` takes no parameter, but {value} was given")]
    UnexpectedParameter {
        /// The activation's name.
        name: &'static str,
        /// The parameter given.
        value: f64,
    },
    /// The parameter is NaN, infinite, or larger in magnitude than
    /// [`ActivationKind::MAX_ALPHA`].
    #[error(
        "parameter α of `{name}` must be finite with |α| ≤ {:e}, got {value:?}",
        ActivationKind::MAX_ALPHA
    )]
    InvalidParameter {
        /// The activation's name.
        name: &'static str,
        /// The parameter given.
        value: f64,
    },
    /// The text is not of the form `name` or `name(α)`.
    #[error("malformed activation `{text}`: expected `name` or `name(α)`, e.g. `elu(0.5)`")]
    Malformed {
        /// The text as given.
        text: String,
    },
}

impl ActivationKind {
    /// Every name [`ActivationKind::from_name`] accepts, in declaration order.
    pub const NAMES: [&'static str; 9] = [
        "identity",
        "relu",
        "leaky_relu",
        "sigmoid",
        "tanh",
        "elu",
        "gelu",
        "softplus",
        "softmax",
    ];

    /// Short lower-case name, as in summaries and model files (`"relu"`);
    /// without the parameter (see [`ActivationKind::alpha`]).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Relu => "relu",
            Self::LeakyRelu(_) => "leaky_relu",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Elu(_) => "elu",
            Self::Gelu => "gelu",
            Self::Softplus => "softplus",
            Self::Softmax => "softmax",
        }
    }

    /// The parameter `α` of [`LeakyRelu`](Self::LeakyRelu) and
    /// [`Elu`](Self::Elu); `None` for the others.
    pub const fn alpha(&self) -> Option<f64> {
        match *self {
            Self::LeakyRelu(alpha) | Self::Elu(alpha) => Some(alpha),
            _ => None,
        }
    }

    /// The largest `|α|` of [`LeakyRelu`](Self::LeakyRelu) and
    /// [`Elu`](Self::Elu): `1e6`. Useful slopes and scales are near 1
    /// (PyTorch's defaults are 0.01 and 1); a larger one only turns
    /// negative inputs into values that overflow `f32` (`α = 1e308` makes
    /// every negative output infinite), so a model file holding one is
    /// refused.
    pub const MAX_ALPHA: f64 = 1e6;

    /// The activation called `name` (ASCII case ignored, surrounding spaces
    /// trimmed), with parameter `alpha`.
    ///
    /// `leaky_relu` and `elu` take an optional finite `α` with
    /// `|α| ≤` [`MAX_ALPHA`](Self::MAX_ALPHA) (default `0.01` and `1`); the
    /// others take none, and giving one is an error rather than silently
    /// ignored.
    ///
    /// ```
    /// use backprop_activations::{ActivationKind, ParseActivationError};
    /// assert!(ActivationKind::from_name("elu", Some(1e6)).is_ok());
    /// let e = ActivationKind::from_name("elu", Some(1e308)).unwrap_err();
    /// assert_eq!(e, ParseActivationError::InvalidParameter { name: "elu", value: 1e308 });
    /// assert_eq!(e.to_string(), "parameter α of `elu` must be finite with |α| ≤ 1e6, got 1e308");
    /// ```
    pub fn from_name(name: &str, alpha: Option<f64>) -> Result<Self, ParseActivationError> {
        let key = name.trim().to_ascii_lowercase();
        let with_alpha = |default: f64, make: fn(f64) -> Self| {
            let value = alpha.unwrap_or(default);
            let kind = make(value);
            check_alpha(kind.name(), value).map(|()| kind)
        };
        let kind = match key.as_str() {
            "leaky_relu" => return with_alpha(LeakyRelu::DEFAULT_ALPHA, Self::LeakyRelu),
            "elu" => return with_alpha(Elu::DEFAULT_ALPHA, Self::Elu),
            "identity" => Self::Identity,
            "relu" => Self::Relu,
            "sigmoid" => Self::Sigmoid,
            "tanh" => Self::Tanh,
            "gelu" => Self::Gelu,
            "softplus" => Self::Softplus,
            "softmax" => Self::Softmax,
            _ => {
                return Err(ParseActivationError::UnknownName {
                    name: name.to_string(),
                });
            }
        };
        match alpha {
            None => Ok(kind),
            Some(value) => Err(ParseActivationError::UnexpectedParameter {
                name: kind.name(),
                value,
            }),
        }
    }
}

/// `Ok` if `alpha` is finite with `|α| ≤ MAX_ALPHA`.
pub(crate) fn check_alpha(name: &'static str, alpha: f64) -> Result<(), ParseActivationError> {
    if alpha.is_finite() && alpha.abs() <= ActivationKind::MAX_ALPHA {
        Ok(())
    } else {
        Err(ParseActivationError::InvalidParameter { name, value: alpha })
    }
}

/// The checked constructor of [`Elu`] (here, beside the bound it checks,
/// so that elu.rs does not import this file).
impl Elu {
    /// [`new`](Self::new), refusing an `alpha` that is not finite or whose
    /// magnitude exceeds [`ActivationKind::MAX_ALPHA`].
    ///
    /// ```
    /// use backprop_activations::Elu;
    /// assert_eq!(Elu::try_new(0.5), Ok(Elu::new(0.5)));
    /// assert!(Elu::try_new(f64::NAN).is_err());
    /// assert!(Elu::try_new(1e308).is_err());
    /// ```
    pub fn try_new(alpha: f64) -> Result<Self, ParseActivationError> {
        check_alpha("elu", alpha).map(|()| Self::new(alpha))
    }
}

/// The checked constructor of [`LeakyRelu`] (here, beside the bound it checks,
/// so that leaky_relu.rs does not import this file).
impl LeakyRelu {
    /// [`new`](Self::new), refusing an `alpha` that is not finite or whose
    /// magnitude exceeds [`ActivationKind::MAX_ALPHA`].
    ///
    /// ```
    /// use backprop_activations::LeakyRelu;
    /// assert_eq!(LeakyRelu::try_new(0.5), Ok(LeakyRelu::new(0.5)));
    /// assert!(LeakyRelu::try_new(f64::NAN).is_err());
    /// assert!(LeakyRelu::try_new(1e308).is_err());
    /// ```
    pub fn try_new(alpha: f64) -> Result<Self, ParseActivationError> {
        check_alpha("leaky_relu", alpha).map(|()| Self::new(alpha))
    }
}

impl fmt::Display for ActivationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alpha() {
            // `{}` of an f64 is the shortest text that parses back to it.
            Some(alpha) => write!(f, "{}({alpha})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

impl FromStr for ActivationKind {
    type Err = ParseActivationError;

    /// Parses `name` or `name(α)`, the form [`Display`](fmt::Display) writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ParseActivationError::Malformed {
            text: s.to_string(),
        };
        match s.trim().split_once('(') {
            None => Self::from_name(s, None),
            Some((name, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(malformed)?;
                let alpha: f64 = inner.trim().parse().map_err(|_| malformed())?;
                Self::from_name(name, Some(alpha))
            }
        }
    }
}

macro_rules! dispatch {
    ($kind:expr, $act:ident => $body:expr) => {
        match *$kind {
            ActivationKind::Identity => {
                let $act = Identity;
                $body
            }
            ActivationKind::Relu => {
                let $act = Relu;
                $body
            }
            ActivationKind::LeakyRelu(alpha) => {
                let $act = LeakyRelu::new(alpha);
                $body
            }
            ActivationKind::Sigmoid => {
                let $act = Sigmoid;
                $body
            }
            ActivationKind::Tanh => {
                let $act = Tanh;
                $body
            }
            ActivationKind::Elu(alpha) => {
                let $act = Elu::new(alpha);
                $body
            }
            ActivationKind::Gelu => {
                let $act = Gelu;
                $body
            }
            ActivationKind::Softplus => {
                let $act = Softplus;
                $body
            }
            ActivationKind::Softmax => {
                let $act = Softmax;
                $body
            }
        }
    };
}

impl<T: Scalar> Activation<T> for ActivationKind {
    fn name(&self) -> &'static str {
        ActivationKind::name(self)
    }

    fn forward(&self, z: &DMatrix<T>, a: &mut DMatrix<T>) {
        dispatch!(self, act => Activation::<T>::forward(&act, z, a))
    }

    fn backward(
        &self,
        z: &DMatrix<T>,
        a: &DMatrix<T>,
        da: &DMatrix<T>,
        dz: &mut DMatrix<T>,
    ) -> Result<(), TensorError> {
        dispatch!(self, act => Activation::<T>::backward(&act, z, a, da, dz))
    }
}

macro_rules! from_unit {
    ($($ty:ident),*) => {$(
        impl From<$ty> for ActivationKind {
            fn from(_: $ty) -> Self {
                Self::$ty
            }
        }
    )*};
}
from_unit!(Identity, Relu, Sigmoid, Tanh, Gelu, Softplus, Softmax);

impl From<LeakyRelu> for ActivationKind {
    fn from(act: LeakyRelu) -> Self {
        Self::LeakyRelu(act.alpha)
    }
}

impl From<Elu> for ActivationKind {
    fn from(act: Elu) -> Self {
        Self::Elu(act.alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> [ActivationKind; 9] {
        use ActivationKind::*;
        [
            Identity,
            Relu,
            LeakyRelu(0.01),
            Sigmoid,
            Tanh,
            Elu(1.0),
            Gelu,
            Softplus,
            Softmax,
        ]
    }

    #[test]
    fn names_match_the_unit_types_and_the_table() {
        let names: Vec<&str> = all().iter().map(|k| k.name()).collect();
        assert_eq!(names, ActivationKind::NAMES);
        let units: [&dyn Activation<f32>; 9] = [
            &Identity,
            &Relu,
            &LeakyRelu::default(),
            &Sigmoid,
            &Tanh,
            &Elu::default(),
            &Gelu,
            &Softplus,
            &Softmax,
        ];
        for (kind, unit) in all().iter().zip(units) {
            assert_eq!(Activation::<f32>::name(kind), unit.name());
        }
    }

    #[test]
    fn every_name_round_trips() {
        for kind in all() {
            assert_eq!(
                ActivationKind::from_name(kind.name(), kind.alpha()),
                Ok(kind)
            );
            assert_eq!(kind.to_string().parse::<ActivationKind>(), Ok(kind));
        }
        for alpha in [0.2, -0.5, 1e-300, 0.1 + 0.2] {
            for kind in [ActivationKind::LeakyRelu(alpha), ActivationKind::Elu(alpha)] {
                assert_eq!(
                    kind.to_string().parse::<ActivationKind>(),
                    Ok(kind),
                    "{kind}"
                );
            }
        }
    }

    #[test]
    fn defaults_case_and_spaces() {
        assert_eq!(
            ActivationKind::from_name("leaky_relu", None),
            Ok(ActivationKind::LeakyRelu(0.01))
        );
        assert_eq!(
            ActivationKind::from_name(" ReLU ", None),
            Ok(ActivationKind::Relu)
        );
        assert_eq!(
            " Elu( 0.5 ) ".parse::<ActivationKind>(),
            Ok(ActivationKind::Elu(0.5))
        );
        assert_eq!(
            "softmax".parse::<ActivationKind>(),
            Ok(ActivationKind::Softmax)
        );
        assert_eq!(ActivationKind::Gelu.to_string(), "gelu");
        assert_eq!(ActivationKind::Elu(1.0).to_string(), "elu(1)");
        assert_eq!(ActivationKind::Tanh.alpha(), None);
        assert_eq!(
            ActivationKind::from(LeakyRelu::new(0.3)),
            ActivationKind::LeakyRelu(0.3)
        );
        assert_eq!(ActivationKind::from(Softplus), ActivationKind::Softplus);
    }

    #[test]
    fn bad_input_gives_typed_errors() {
        let e = ActivationKind::from_name("swish", None).unwrap_err();
        assert_eq!(
            e,
            ParseActivationError::UnknownName {
                name: "swish".into()
            }
        );
        assert!(
            e.to_string().contains("`swish`") && e.to_string().contains("leaky_relu, sigmoid"),
            "{e}"
        );

        let e = ActivationKind::from_name("relu", Some(0.1)).unwrap_err();
        assert_eq!(
            e,
            ParseActivationError::UnexpectedParameter {
                name: "relu",
                value: 0.1
            }
        );
        assert_eq!(
            e.to_string(),
            "activation `relu` takes no parameter, but 0.1 was given"
        );

        let e = ActivationKind::from_name("elu", Some(f64::INFINITY)).unwrap_err();
        assert_eq!(
            e,
            ParseActivationError::InvalidParameter {
                name: "elu",
                value: f64::INFINITY
            }
        );
        for alpha in [1e308, -1e308, 1.000001e6, -2e6, f64::MAX, f64::MIN] {
            for name in ["elu", "leaky_relu"] {
                assert!(
                    matches!(
                        ActivationKind::from_name(name, Some(alpha)),
                        Err(ParseActivationError::InvalidParameter { value, .. }) if value == alpha
                    ),
                    "{name}({alpha})"
                );
            }
        }
        for alpha in [1e6, -1e6, 0.0, -0.0, 5e-324] {
            assert_eq!(
                ActivationKind::from_name("elu", Some(alpha)),
                Ok(ActivationKind::Elu(alpha))
            );
        }
        assert!(matches!(
            "leaky_relu(NaN)".parse::<ActivationKind>(),
            Err(ParseActivationError::InvalidParameter {
                name: "leaky_relu",
                ..
            })
        ));

        for text in ["elu(0.5", "elu(abc)", "elu()", "elu(1)(2)"] {
            assert_eq!(
                text.parse::<ActivationKind>(),
                Err(ParseActivationError::Malformed { text: text.into() }),
                "{text}"
            );
        }
        assert!(matches!(
            "tanh(2)".parse::<ActivationKind>(),
            Err(ParseActivationError::UnexpectedParameter { name: "tanh", .. })
        ));
        assert!(matches!(
            "".parse::<ActivationKind>(),
            Err(ParseActivationError::UnknownName { .. })
        ));
    }
}
