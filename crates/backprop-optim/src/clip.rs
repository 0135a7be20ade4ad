//! Gradient clipping: by global norm ([`clip_grad_norm`], like
//! `torch.nn.utils.clip_grad_norm_`) and by value ([`clip_grad_value`], like
//! `torch.nn.utils.clip_grad_value_`), plus the global norm alone
//! ([`grad_norm`]).

use crate::OptimError;
use backprop_tensor::{Param, Parameters, Scalar};

/// The L2 norm of all gradients taken together, `√(Σ g²)` over every entry
/// of every parameter (accumulated in `f64`).
///
/// ```
/// use backprop_optim::grad_norm;
/// use backprop_tensor::{DMatrix, Param};
/// let mut ps = vec![Param::new("a", DMatrix::<f32>::zeros(1, 1)), Param::new("b", DMatrix::zeros(1, 1))];
/// ps[0].grad.fill(3.0);
/// ps[1].grad.fill(4.0);
/// assert_eq!(grad_norm(&ps), 5.0);
/// ```
pub fn grad_norm<T: Scalar, P: Parameters<T> + ?Sized>(params: &P) -> T {
    T::of(sum_of_squares(params).sqrt())
}

fn sum_of_squares<T: Scalar, P: Parameters<T> + ?Sized>(params: &P) -> f64 {
    let mut total = 0.0_f64;
    params.visit_params(&mut |p: &Param<T>| {
        total += p
            .grad
            .as_slice()
            .iter()
            .map(|g| g.as_f64() * g.as_f64())
            .sum::<f64>();
    });
    total
}

/// Rescales all gradients together so that their global L2 norm is at most
/// `max_norm`, and returns the norm they had before, as
/// `torch.nn.utils.clip_grad_norm_` (with `norm_type=2`):
///
/// ```text
/// total = √(Σ g²)                       over every entry of every parameter
/// coef  = min(max_norm / (total + 1e-6), 1)
/// g ← coef·g                            for every gradient entry
/// ```
///
/// Gradients already within the bound are left unchanged. As in PyTorch a
/// non-finite gradient makes `total` non-finite and is not an error (check
/// [`Parameters::first_non_finite_grad`] or the returned norm to skip such a
/// step). `max_norm` must be non-negative and not NaN (`+∞` disables
/// clipping); otherwise an [`OptimError::InvalidHyperparameter`] is returned
/// and nothing changes.
///
/// ```
/// use backprop_optim::{clip_grad_norm, grad_norm};
/// use backprop_tensor::{DMatrix, Param};
/// let mut p = Param::new("w", DMatrix::<f64>::zeros(2, 1));
/// p.grad.copy_from_slice(&[3.0, 4.0]);
/// let before = clip_grad_norm(&mut p, 1.0)?;
/// assert_eq!(before, 5.0);
/// assert!((grad_norm(&p) - 1.0).abs() < 1e-6);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
pub fn clip_grad_norm<T: Scalar, P: Parameters<T> + ?Sized>(
    params: &mut P,
    max_norm: T,
) -> Result<T, OptimError> {
    let max_norm = max_norm.as_f64();
    if max_norm.is_nan() || max_norm < 0.0 {
        return Err(OptimError::InvalidHyperparameter {
            context: "clip_grad_norm",
            name: "max_norm",
            value: max_norm,
            reason: "must be non-negative",
        });
    }
    let total = sum_of_squares(&*params).sqrt();
    let coef = max_norm / (total + 1e-6);
    // A NaN coefficient (NaN norm) scales too, as PyTorch's clamp does.
    if coef < 1.0 || coef.is_nan() {
        let coef = T::of(coef);
        params.visit_params_mut(&mut |p: &mut Param<T>| {
            p.grad.as_mut_slice().iter_mut().for_each(|g| *g *= coef);
        });
    }
    Ok(T::of(total))
}

/// Clamps every gradient entry to `[−clip, clip]`, as
/// `torch.nn.utils.clip_grad_value_`. NaN entries stay NaN.
///
/// `clip` must be non-negative and not NaN (`+∞` disables clipping);
/// otherwise an [`OptimError::InvalidHyperparameter`] is returned and nothing
/// changes.
///
/// ```
/// use backprop_optim::clip_grad_value;
/// use backprop_tensor::{DMatrix, Param};
/// let mut p = Param::new("w", DMatrix::<f32>::zeros(3, 1));
/// p.grad.copy_from_slice(&[-2.0, 0.25, 7.0]);
/// clip_grad_value(&mut p, 0.5)?;
/// assert_eq!(p.grad.as_slice(), &[-0.5, 0.25, 0.5]);
/// # Ok::<(), backprop_optim::OptimError>(())
/// ```
pub fn clip_grad_value<T: Scalar, P: Parameters<T> + ?Sized>(
    params: &mut P,
    clip: T,
) -> Result<(), OptimError> {
    let c = clip.as_f64();
    if c.is_nan() || c < 0.0 {
        return Err(OptimError::InvalidHyperparameter {
            context: "clip_grad_value",
            name: "clip",
            value: c,
            reason: "must be non-negative",
        });
    }
    let low = -clip;
    params.visit_params_mut(&mut |p: &mut Param<T>| {
        for g in p.grad.as_mut_slice() {
            if *g > clip {
                *g = clip;
            } else if *g < low {
                *g = low;
            }
        }
    });
    Ok(())
}
