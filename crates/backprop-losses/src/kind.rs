//! [`LossKind`]: every loss by name.

use crate::{
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Loss, LossError, Mse, SoftmaxCrossEntropy,
    Target,
};
use backprop_tensor::{DMatrix, Scalar};
use std::fmt;
use std::str::FromStr;

/// Names one of the losses of this crate, for model files and command lines,
/// and is itself a [`Loss`] (dispatching to the named one).
///
/// | variant | [`name`](LossKind::name) | also parsed from | input |
/// |---|---|---|---|
/// | `Mse` | `mse` | `mean_squared_error` | any |
/// | `BinaryCrossEntropy` | `binary_cross_entropy` | `bce` | probabilities |
/// | `BinaryCrossEntropyWithLogits` | `binary_cross_entropy_with_logits` | `bce_with_logits` | logits |
/// | `SoftmaxCrossEntropy` | `softmax_cross_entropy` | `cross_entropy` | logits |
///
/// Parsing ignores ASCII case and surrounding whitespace.
///
/// ```
/// use backprop_losses::{Loss, LossKind, Target};
/// use backprop_tensor::DMatrix;
/// let kind: LossKind = "cross_entropy".parse()?;
/// assert_eq!(kind, LossKind::SoftmaxCrossEntropy);
/// assert_eq!(kind.to_string(), "softmax_cross_entropy");
/// assert_eq!(LossKind::from_name(kind.name())?, kind);
/// let z = DMatrix::from_element(4, 1, 0.0_f32);
/// assert!((kind.loss(&z, Target::Classes(&[1]))? - 4.0_f32.ln()).abs() < 1e-6);
/// assert!(LossKind::from_name("hinge").unwrap_err().to_string().contains("unknown loss \"hinge\""));
/// # Ok::<(), backprop_losses::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LossKind {
    /// [`Mse`].
    Mse,
    /// [`BinaryCrossEntropy`].
    BinaryCrossEntropy,
    /// [`BinaryCrossEntropyWithLogits`].
    BinaryCrossEntropyWithLogits,
    /// [`SoftmaxCrossEntropy`].
    SoftmaxCrossEntropy,
}

impl LossKind {
    /// Every loss, in declaration order.
    pub const ALL: [LossKind; 4] = [
        LossKind::Mse,
        LossKind::BinaryCrossEntropy,
        LossKind::BinaryCrossEntropyWithLogits,
        LossKind::SoftmaxCrossEntropy,
    ];

    /// The canonical names, in the order of [`LossKind::ALL`].
    pub const NAMES: [&'static str; 4] = [
        "mse",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "softmax_cross_entropy",
    ];

    /// The canonical name (the same as [`Loss::name`]).
    pub const fn name(&self) -> &'static str {
        match self {
            LossKind::Mse => Self::NAMES[0],
            LossKind::BinaryCrossEntropy => Self::NAMES[1],
            LossKind::BinaryCrossEntropyWithLogits => Self::NAMES[2],
            LossKind::SoftmaxCrossEntropy => Self::NAMES[3],
        }
    }

    /// Parses a canonical name or an alias (see the table above), ignoring
    /// ASCII case and surrounding whitespace; any other name is a
    /// [`LossError::UnknownLoss`] listing the known ones.
    pub fn from_name(name: &str) -> Result<Self, LossError> {
        const ALIASES: [(&str, LossKind); 4] = [
            ("mean_squared_error", LossKind::Mse),
            ("bce", LossKind::BinaryCrossEntropy),
            ("bce_with_logits", LossKind::BinaryCrossEntropyWithLogits),
            ("cross_entropy", LossKind::SoftmaxCrossEntropy),
        ];
        let key = name.trim();
        Self::ALL
            .iter()
            .map(|&k| (k.name(), k))
            .chain(ALIASES)
            .find(|(n, _)| n.eq_ignore_ascii_case(key))
            .map(|(_, k)| k)
            .ok_or_else(|| LossError::UnknownLoss {
                name: name.to_string(),
            })
    }

    /// Whether the loss expects raw logits (the network's last layer has no
    /// sigmoid or softmax) rather than probabilities or values; the same as
    /// [`Loss::takes_logits`], usable in `const` context.
    ///
    /// ```
    /// use backprop_losses::LossKind;
    /// assert!(LossKind::SoftmaxCrossEntropy.takes_logits());
    /// assert!(!LossKind::BinaryCrossEntropy.takes_logits());
    /// ```
    pub const fn takes_logits(&self) -> bool {
        matches!(
            self,
            LossKind::BinaryCrossEntropyWithLogits | LossKind::SoftmaxCrossEntropy
        )
    }

    /// The named loss as a trait object.
    fn get<T: Scalar>(self) -> &'static dyn Loss<T> {
        match self {
            LossKind::Mse => &Mse,
            LossKind::BinaryCrossEntropy => &BinaryCrossEntropy,
            LossKind::BinaryCrossEntropyWithLogits => &BinaryCrossEntropyWithLogits,
            LossKind::SoftmaxCrossEntropy => &SoftmaxCrossEntropy,
        }
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LossKind {
    type Err = LossError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

impl<T: Scalar> Loss<T> for LossKind {
    fn name(&self) -> &'static str {
        LossKind::name(self)
    }

    fn takes_logits(&self) -> bool {
        LossKind::takes_logits(self)
    }

    fn loss(&self, prediction: &DMatrix<T>, target: Target<'_, T>) -> Result<T, LossError> {
        self.get().loss(prediction, target)
    }

    fn gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<(), LossError> {
        self.get().gradient(prediction, target, grad)
    }

    fn loss_and_gradient(
        &self,
        prediction: &DMatrix<T>,
        target: Target<'_, T>,
        grad: &mut DMatrix<T>,
    ) -> Result<T, LossError> {
        self.get().loss_and_gradient(prediction, target, grad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_structs() {
        for kind in LossKind::ALL {
            assert_eq!(LossKind::from_name(kind.name()), Ok(kind));
            assert_eq!(kind.name().parse::<LossKind>(), Ok(kind));
            assert_eq!(LossKind::from_name(&kind.name().to_uppercase()), Ok(kind));
            assert_eq!(Loss::<f32>::name(&kind), kind.name());
            assert_eq!(kind.get::<f64>().name(), kind.name());
        }
        assert_eq!(
            LossKind::from_name(" BCE "),
            Ok(LossKind::BinaryCrossEntropy)
        );
        assert_eq!(
            LossKind::from_name("bce_with_logits"),
            Ok(LossKind::BinaryCrossEntropyWithLogits)
        );
        assert_eq!(LossKind::from_name("mean_squared_error"), Ok(LossKind::Mse));
    }

    #[test]
    fn takes_logits_is_forwarded_by_the_kind_and_its_box() {
        for kind in LossKind::ALL {
            let expected = kind.get::<f64>().takes_logits();
            assert_eq!(kind.takes_logits(), expected, "{kind}");
            assert_eq!(Loss::<f32>::takes_logits(&kind), expected, "{kind}");
            let boxed: Box<dyn Loss<f64>> = Box::new(kind);
            assert_eq!(boxed.takes_logits(), expected, "{kind}");
        }
        let logits: Vec<_> = LossKind::ALL
            .into_iter()
            .filter(|k| k.takes_logits())
            .collect();
        assert_eq!(
            logits,
            [
                LossKind::BinaryCrossEntropyWithLogits,
                LossKind::SoftmaxCrossEntropy
            ]
        );
    }

    #[test]
    fn unknown_name_is_a_typed_error() {
        let e = LossKind::from_name("l1").unwrap_err();
        assert_eq!(e, LossError::UnknownLoss { name: "l1".into() });
        let msg = e.to_string();
        assert!(msg.contains("\"l1\""), "{msg}");
        for n in LossKind::NAMES {
            assert!(msg.contains(n), "{msg}");
        }
        assert!(LossKind::from_name("").is_err());
    }
}
