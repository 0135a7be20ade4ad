//! A trainable parameter (value and gradient) and the trait through which a
//! model hands its parameters to an optimizer.

use crate::Scalar;
use nalgebra::DMatrix;

/// A trainable tensor: its value, the gradient of the loss with respect to it
/// (same shape), and a name (`"0.weight"` in a `Sequential`, PyTorch-style).
///
/// ```
/// use backprop_tensor::{Param, DMatrix};
/// let mut p = Param::new("weight", DMatrix::<f32>::zeros(2, 3));
/// assert_eq!(p.grad.shape(), (2, 3));
/// p.grad.fill(1.0);
/// p.zero_grad();
/// assert_eq!(p.grad.sum(), 0.0);
/// ```
///
/// A gradient can also be *discarded* ([`discard_grad`](Param::discard_grad)):
/// instead of being set to zero, it is marked so that the next accumulation
/// overwrites it (PyTorch's `zero_grad(set_to_none=True)`), which saves a
/// pass over it. A layer whose backward takes its `β` from
/// [`accumulation_beta`](Param::accumulation_beta) does so in its
/// `Layer::zero_grads` (backprop-layers' dense layer, and a `Sequential`
/// of such layers).
#[derive(Debug, Clone, PartialEq)]
pub struct Param<T: Scalar> {
    name: String,
    /// The parameter's value.
    pub value: DMatrix<T>,
    /// The accumulated gradient ∂L/∂value; same shape as `value`. Stale
    /// while the gradient is [discarded](Param::is_grad_discarded).
    pub grad: DMatrix<T>,
    /// Whether `grad` is discarded: it stands for zero, and the next
    /// accumulation overwrites it.
    discarded: bool,
}

impl<T: Scalar> Param<T> {
    /// A parameter with a zero gradient.
    pub fn new(name: impl Into<String>, value: DMatrix<T>) -> Self {
        let grad = DMatrix::from_element(value.nrows(), value.ncols(), T::zero());
        Self {
            name: name.into(),
            value,
            grad,
            discarded: false,
        }
    }
    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Renames the parameter (a container prefixes its children's names).
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }
    /// Sets the gradient to zero.
    pub fn zero_grad(&mut self) {
        // A slice fill compiles to memset; nalgebra's generic fill does not.
        self.grad.as_mut_slice().fill(T::zero());
        self.discarded = false;
    }
    /// Discards the gradient: it stands for zero from now on, but its
    /// entries are not written; the next accumulation, whose `β` comes from
    /// [`accumulation_beta`](Param::accumulation_beta), overwrites them.
    /// Until then `grad` holds stale values: only a layer whose backward
    /// takes its `β` so may discard its gradients (and must
    /// [`settle_grad`](Param::settle_grad) before handing the parameter
    /// out mutably).
    ///
    /// ```
    /// use backprop_tensor::{Param, DMatrix};
    /// let mut p = Param::new("w", DMatrix::<f32>::zeros(2, 2));
    /// p.grad.fill(3.0);
    /// p.discard_grad();
    /// assert!(p.is_grad_discarded());
    /// assert_eq!(p.accumulation_beta(), 0.0); // the next write overwrites…
    /// assert_eq!(p.accumulation_beta(), 1.0); // …and later ones accumulate
    /// p.discard_grad();
    /// p.settle_grad(); // written as zeros after all
    /// assert_eq!((p.grad.sum(), p.is_grad_discarded()), (0.0, false));
    /// ```
    pub fn discard_grad(&mut self) {
        self.discarded = true;
    }
    /// Whether the gradient is [discarded](Param::discard_grad) (it stands
    /// for zero; `grad`'s entries are stale).
    pub fn is_grad_discarded(&self) -> bool {
        self.discarded
    }
    /// The `β` of the next accumulation `grad ← β·grad + …`: `0` if the
    /// gradient is discarded (and it is not any more: the caller overwrites
    /// every entry), `1` otherwise.
    pub fn accumulation_beta(&mut self) -> T {
        if std::mem::take(&mut self.discarded) {
            T::zero()
        } else {
            T::one()
        }
    }
    /// Writes a discarded gradient as zeros (a no-op otherwise), so that its
    /// entries can be read or added to.
    pub fn settle_grad(&mut self) {
        if self.discarded {
            self.zero_grad();
        }
    }
    /// Number of scalar entries.
    pub fn len(&self) -> usize {
        self.value.len()
    }
    /// Whether the parameter has no entries.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
}

/// Something that owns trainable parameters and can show them, in a fixed
/// order, to an optimizer, a gradient checker or a serialiser.
///
/// Only the two visitors are required; the rest have defaults.
///
/// ```
/// use backprop_tensor::{Param, Parameters, DMatrix};
/// let mut ps = vec![Param::new("a", DMatrix::<f64>::zeros(2, 2)), Param::new("b", DMatrix::zeros(3, 1))];
/// assert_eq!(ps.num_params(), 7);
/// ```
pub trait Parameters<T: Scalar> {
    /// Calls `f` on every parameter, in a fixed order.
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>));
    /// Calls `f` on every parameter mutably, in the same order.
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>));

    /// Sets every gradient to zero. An implementor may
    /// [discard](Param::discard_grad) a gradient instead where its backward
    /// overwrites it (a `Sequential`'s dense layers do): the next backward
    /// then writes it as if it had been zero, and until then its entries are
    /// stale when read through [`visit_params`](Self::visit_params)
    /// ([`Param::is_grad_discarded`] tells).
    fn zero_grad(&mut self) {
        self.visit_params_mut(&mut |p| p.zero_grad());
    }
    /// Total number of scalar parameters.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.len());
        n
    }
    /// Whether every gradient entry is finite (a vectorised pass; see
    /// [`first_non_finite_grad`](Self::first_non_finite_grad) for which one
    /// is not). A [discarded](Param::discard_grad) gradient is zero.
    fn grads_finite(&self) -> bool {
        let mut ok = true;
        self.visit_params(&mut |p| {
            ok &= p.is_grad_discarded() || crate::ops::all_finite(p.grad.as_slice())
        });
        ok
    }
    /// The name of the first parameter whose gradient holds a NaN or infinity.
    fn first_non_finite_grad(&self) -> Option<String> {
        let mut found = None;
        self.visit_params(&mut |p| {
            if found.is_none() && !p.is_grad_discarded() && p.grad.iter().any(|g| !g.is_finite()) {
                found = Some(p.name().to_string());
            }
        });
        found
    }
}

impl<T: Scalar> Parameters<T> for Param<T> {
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        f(self)
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(self)
    }
}

impl<T: Scalar> Parameters<T> for [Param<T>] {
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        self.iter().for_each(f)
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        self.iter_mut().for_each(f)
    }
}

impl<T: Scalar> Parameters<T> for Vec<Param<T>> {
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        self.as_slice().visit_params(f)
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        self.as_mut_slice().visit_params_mut(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_non_finite_gradient() {
        let mut ps = vec![
            Param::new("0.weight", DMatrix::<f32>::zeros(2, 2)),
            Param::new("0.bias", DMatrix::zeros(2, 1)),
        ];
        assert_eq!(ps.first_non_finite_grad(), None);
        ps[1].grad[(1, 0)] = f32::NAN;
        assert_eq!(ps.first_non_finite_grad().as_deref(), Some("0.bias"));
        ps.zero_grad();
        assert_eq!(ps.first_non_finite_grad(), None);
    }
}
