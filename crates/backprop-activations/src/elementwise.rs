//! [`Elementwise`]: the activations that map each entry on its own, applied
//! to slices and to a product's write-back.

use crate::{ActivationKind, Elu, Gelu, LeakyRelu, Relu, Sigmoid, Softplus, Tanh};
use backprop_tensor::Scalar;
use backprop_tensor::ops::EpilogueColumn;

/// An [`ActivationKind`] that maps each entry on its own (every kind but
/// [`Softmax`](ActivationKind::Softmax), which normalises whole columns),
/// from [`ActivationKind::elementwise`].
///
/// Its forms compute each entry with the formula of the kind's
/// [`forward`](crate::Activation::forward) (the same code), so they give the
/// same bits: in place on a slice, or in a product's epilogue
/// ([`forward_part`](Self::forward_part)), where a layer computes
/// `A = g(W·X + b)` while the product's output is still in cache.
///
/// ```
/// use backprop_activations::{Activation, ActivationKind};
/// use backprop_tensor::DMatrix;
/// let tanh = ActivationKind::Tanh.elementwise().unwrap();
/// assert!(ActivationKind::Softmax.elementwise().is_none());
/// let z = DMatrix::from_column_slice(3, 1, &[-1.0_f32, 0.25, 2.0]);
/// let mut a = DMatrix::zeros(0, 0);
/// ActivationKind::Tanh.forward(&z, &mut a);
/// let mut v = z.as_slice().to_vec();
/// tanh.forward_in_place(&mut v);
/// assert_eq!(v.as_slice(), a.as_slice());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elementwise(Map);

/// The element-wise kinds (the variants of [`ActivationKind`] but Softmax).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Map {
    Identity,
    Relu,
    LeakyRelu(f64),
    Sigmoid,
    Tanh,
    Elu(f64),
    Gelu,
    Softplus,
}

impl ActivationKind {
    /// This activation as an [`Elementwise`] one, or `None` for
    /// [`Softmax`](Self::Softmax) (each of its outputs depends on the whole
    /// column).
    pub fn elementwise(self) -> Option<Elementwise> {
        let map = match self {
            Self::Identity => Map::Identity,
            Self::Relu => Map::Relu,
            Self::LeakyRelu(alpha) => Map::LeakyRelu(alpha),
            Self::Sigmoid => Map::Sigmoid,
            Self::Tanh => Map::Tanh,
            Self::Elu(alpha) => Map::Elu(alpha),
            Self::Gelu => Map::Gelu,
            Self::Softplus => Map::Softplus,
            Self::Softmax => return None,
        };
        Some(Elementwise(map))
    }
}

/// Calls `$body` with `$g` bound to the kind's formula (`impl Fn(T) -> T`),
/// one monomorphised body per kind; `$identity` for the identity.
macro_rules! with_formula {
    ($map:expr, $g:ident => $body:expr, identity => $identity:expr) => {
        match $map {
            Map::Identity => $identity,
            Map::Relu => {
                let $g = Relu.g();
                $body
            }
            Map::LeakyRelu(alpha) => {
                let $g = LeakyRelu::new(alpha).g();
                $body
            }
            Map::Sigmoid => {
                let $g = Sigmoid.g();
                $body
            }
            Map::Tanh => {
                let $g = Tanh.g();
                $body
            }
            Map::Elu(alpha) => {
                let $g = Elu::new(alpha).g();
                $body
            }
            Map::Gelu => {
                let $g = Gelu.g();
                $body
            }
            Map::Softplus => {
                let $g = Softplus.g();
                $body
            }
        }
    };
}

impl Elementwise {
    /// The activation as an [`ActivationKind`].
    pub fn kind(self) -> ActivationKind {
        match self.0 {
            Map::Identity => ActivationKind::Identity,
            Map::Relu => ActivationKind::Relu,
            Map::LeakyRelu(alpha) => ActivationKind::LeakyRelu(alpha),
            Map::Sigmoid => ActivationKind::Sigmoid,
            Map::Tanh => ActivationKind::Tanh,
            Map::Elu(alpha) => ActivationKind::Elu(alpha),
            Map::Gelu => ActivationKind::Gelu,
            Map::Softplus => ActivationKind::Softplus,
        }
    }

    /// `x[i] = g(x[i])` for every entry.
    pub fn forward_in_place<T: Scalar>(self, x: &mut [T]) {
        with_formula!(self.0, g => {
            for v in x.iter_mut() {
                *v = g(*v);
            }
        }, identity => ())
    }

    /// In a product's epilogue ([`ops::product_then`](backprop_tensor::ops::product_then)):
    /// `A = g(Z)` into the second output when there is one (`Z` kept, as
    /// training needs it), else `Z = g(Z)` in place.
    #[inline]
    pub fn forward_part<T: Scalar>(self, part: &mut EpilogueColumn<'_, T>) {
        with_formula!(self.0, g => part.map(g), identity => {
            if let (z, Some(out)) = part.split() {
                out.copy_from_slice(z);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Activation, ActivationKind};
    use backprop_tensor::ops::{Op, product_then};
    use backprop_tensor::{DMatrix, Scalar};

    fn kinds() -> [ActivationKind; 9] {
        use ActivationKind::*;
        [
            Identity,
            Relu,
            LeakyRelu(0.2),
            Sigmoid,
            Tanh,
            Elu(0.7),
            Gelu,
            Softplus,
            Softmax,
        ]
    }

    fn bits<T: Scalar>(v: &[T]) -> Vec<u64> {
        v.iter().map(|x| x.as_f64().to_bits()).collect()
    }

    /// Every form gives the bits of `forward`, on values from every branch
    /// (both signs, zero, tails, NaN).
    fn same_bits_as_forward<T: Scalar>() {
        let values = [
            -1e3, -40.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.5, 30.0, 1e3,
        ];
        let z = DMatrix::from_iterator(4, 3, values.iter().map(|&v| T::of(v)));
        let eye = DMatrix::<T>::identity(4, 4);
        for kind in kinds() {
            let Some(e) = kind.elementwise() else {
                assert_eq!(kind, ActivationKind::Softmax);
                continue;
            };
            assert_eq!(e.kind(), kind);
            let mut want = DMatrix::zeros(0, 0);
            kind.forward(&z, &mut want);
            let mut v = z.as_slice().to_vec();
            e.forward_in_place(&mut v);
            assert_eq!(bits(&v), bits(want.as_slice()), "{kind} in place");
            let mut nan = vec![T::of(f64::NAN)];
            e.forward_in_place(&mut nan);
            let mut nan_want = DMatrix::zeros(0, 0);
            kind.forward(&DMatrix::from_element(1, 1, T::of(f64::NAN)), &mut nan_want);
            assert_eq!(
                nan[0].as_f64().is_nan(),
                nan_want[0].as_f64().is_nan(),
                "{kind} NaN"
            );
            // In the epilogue of I·Z (= Z exactly), both outputs and in place.
            let (mut zz, mut a) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
            product_then(&eye, Op::N, &z, Op::N, &mut zz, Some(&mut a), |mut p| {
                e.forward_part(&mut p)
            })
            .unwrap();
            assert_eq!(bits(zz.as_slice()), bits(z.as_slice()), "{kind}: Z kept");
            assert_eq!(bits(a.as_slice()), bits(want.as_slice()), "{kind}: A");
            product_then(&eye, Op::N, &z, Op::N, &mut zz, None, |mut p| {
                e.forward_part(&mut p)
            })
            .unwrap();
            assert_eq!(
                bits(zz.as_slice()),
                bits(want.as_slice()),
                "{kind}: in place"
            );
        }
    }

    #[test]
    fn f32_forms_give_the_bits_of_forward() {
        same_bits_as_forward::<f32>();
    }

    #[test]
    fn f64_forms_give_the_bits_of_forward() {
        same_bits_as_forward::<f64>();
    }
}
