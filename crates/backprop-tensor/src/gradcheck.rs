//! A finite-difference gradient checker, like `torch.autograd.gradcheck`.
//!
//! Central differences in `f64`: `∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`.
//! The error of one entry is `|a − n| / max(|a|, |n|, floor)`, relative for
//! every gradient entry larger than `floor` and absolute below it, so that
//! entries that are exactly zero (a dead ReLU, the bias of a layer followed by
//! batch normalisation) are not divided by zero.
//!
//! Why `floor = 1e-4`: in `f64` with `h = 1e-5`, the difference quotient of an
//! O(1) loss carries rounding noise of about `ε·|f|/h ≈ 1e-11`. A tolerance of
//! `1e-6` thus means an absolute error below `1e-10` for entries under `1e-4`
//! (`torch.autograd.gradcheck` allows `atol = 1e-5`) and a relative error
//! below `1e-6` for all others (it allows `rtol = 1e-3`).
//!
//! ```
//! use backprop_tensor::{gradcheck::{check_gradient, GradCheck}, DMatrix};
//! // f(x) = Σ x³, ∂f/∂x = 3x².
//! let x = DMatrix::from_row_slice(2, 2, &[0.5, -1.0, 2.0, 0.1]);
//! let analytic = x.map(|v: f64| 3.0 * v * v);
//! let report = check_gradient(&x, &analytic, |x| x.map(|v| v * v * v).sum(), GradCheck::default());
//! assert!(report.max_error < 1e-8, "{report:?}");
//! ```

use crate::{Param, Parameters};
use nalgebra::DMatrix;

/// Settings of the checker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheck {
    /// Finite-difference step `h` (default 1e-5, near ∛ε for `f64`).
    pub step: f64,
    /// Below this magnitude errors are measured absolutely (default 1e-4).
    pub floor: f64,
}

impl Default for GradCheck {
    fn default() -> Self {
        Self {
            step: 1e-5,
            floor: 1e-4,
        }
    }
}

/// The outcome of a check: the worst entry and how bad it was.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckReport {
    /// The largest error over all entries (see the module docs).
    pub max_error: f64,
    /// Index (column-major) of the worst entry.
    pub worst_index: usize,
    /// Analytic gradient at the worst entry.
    pub analytic: f64,
    /// Numeric gradient at the worst entry.
    pub numeric: f64,
    /// Number of entries checked.
    pub checked: usize,
}

impl GradCheckReport {
    fn new() -> Self {
        Self {
            max_error: 0.0,
            worst_index: 0,
            analytic: 0.0,
            numeric: 0.0,
            checked: 0,
        }
    }
    fn record(&mut self, index: usize, analytic: f64, numeric: f64, floor: f64) {
        let err = entry_error(analytic, numeric, floor);
        self.checked += 1;
        if err > self.max_error || err.is_nan() {
            self.max_error = if err.is_nan() { f64::INFINITY } else { err };
            self.worst_index = index;
            self.analytic = analytic;
            self.numeric = numeric;
        }
    }
    /// Merges another report (e.g. of another parameter) into this one.
    pub fn merge(&mut self, other: &GradCheckReport) {
        if other.max_error > self.max_error {
            *self = GradCheckReport {
                checked: self.checked + other.checked,
                ..other.clone()
            };
        } else {
            self.checked += other.checked;
        }
    }
    /// Whether the worst error is below `tolerance`.
    pub fn passes(&self, tolerance: f64) -> bool {
        self.max_error < tolerance
    }
}

/// `|a − n| / max(|a|, |n|, floor)`.
pub fn entry_error(analytic: f64, numeric: f64, floor: f64) -> f64 {
    (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(floor)
}

/// Checks `analytic` against central differences of the scalar function `f`
/// around `x`.
pub fn check_gradient(
    x: &DMatrix<f64>,
    analytic: &DMatrix<f64>,
    mut f: impl FnMut(&DMatrix<f64>) -> f64,
    cfg: GradCheck,
) -> GradCheckReport {
    let mut report = GradCheckReport::new();
    let mut probe = x.clone();
    for (i, &orig) in x.iter().enumerate() {
        set_at(&mut probe, i, orig + cfg.step);
        let up = f(&probe);
        set_at(&mut probe, i, orig - cfg.step);
        let down = f(&probe);
        set_at(&mut probe, i, orig);
        let numeric = (up - down) / (2.0 * cfg.step);
        let a = analytic.get(i).copied().unwrap_or(f64::NAN);
        report.record(i, a, numeric, cfg.floor);
    }
    report
}

/// Checks every parameter gradient of `model` against central differences of
/// `loss`.
///
/// The analytic gradients must already be in the parameters (run your forward
/// and backward pass first); `loss` must recompute the scalar loss from the
/// model's current parameter values without touching the gradients. Returns
/// one report per parameter, by name.
///
/// ```
/// use backprop_tensor::{gradcheck::{check_parameters, GradCheck}, Param, DMatrix};
/// // loss(w) = ½‖w‖², gradient w.
/// let mut ps = vec![Param::new("w", DMatrix::from_row_slice(1, 3, &[1.0, -2.0, 0.5]))];
/// ps[0].grad = ps[0].value.clone();
/// let reports = check_parameters(&mut ps, |ps| 0.5 * ps[0].value.norm_squared(), GradCheck::default());
/// assert!(reports.iter().all(|(_, r)| r.passes(1e-6)));
/// ```
pub fn check_parameters<M: Parameters<f64> + ?Sized>(
    model: &mut M,
    mut loss: impl FnMut(&mut M) -> f64,
    cfg: GradCheck,
) -> Vec<(String, GradCheckReport)> {
    let mut snapshot: Vec<(String, DMatrix<f64>)> = Vec::new();
    model.visit_params(&mut |p: &Param<f64>| snapshot.push((p.name().to_string(), p.grad.clone())));
    let mut reports = Vec::with_capacity(snapshot.len());
    for (index, (name, analytic)) in snapshot.into_iter().enumerate() {
        let mut report = GradCheckReport::new();
        for i in 0..analytic.len() {
            let mut orig = 0.0;
            set_entry(model, index, i, |v| {
                orig = *v;
                *v += cfg.step
            });
            let up = loss(model);
            set_entry(model, index, i, |v| *v = orig - cfg.step);
            let down = loss(model);
            set_entry(model, index, i, |v| *v = orig);
            let a = analytic.get(i).copied().unwrap_or(f64::NAN);
            report.record(i, a, (up - down) / (2.0 * cfg.step), cfg.floor);
        }
        reports.push((name, report));
    }
    reports
}

fn set_at(m: &mut DMatrix<f64>, i: usize, v: f64) {
    if let Some(p) = m.get_mut(i) {
        *p = v;
    }
}

fn set_entry<M: Parameters<f64> + ?Sized>(
    model: &mut M,
    param: usize,
    entry: usize,
    mut f: impl FnMut(&mut f64),
) {
    let mut k = 0;
    model.visit_params_mut(&mut |p| {
        if k == param
            && let Some(v) = p.value.get_mut(entry)
        {
            f(v);
        }
        k += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_a_wrong_gradient() {
        let x = DMatrix::from_row_slice(1, 3, &[0.3, -0.7, 1.1]);
        let wrong = x.map(|v: f64| 2.0 * v + 1e-3);
        let r = check_gradient(&x, &wrong, |x| x.norm_squared(), GradCheck::default());
        assert!(!r.passes(1e-6), "{r:?}");
        let right = x.map(|v: f64| 2.0 * v);
        let r = check_gradient(&x, &right, |x| x.norm_squared(), GradCheck::default());
        assert!(r.passes(1e-9), "{r:?}");
        assert_eq!(r.checked, 3);
    }

    #[test]
    fn nan_gradient_fails() {
        let x = DMatrix::from_row_slice(1, 1, &[1.0]);
        let r = check_gradient(
            &x,
            &DMatrix::from_element(1, 1, f64::NAN),
            |x| x[0],
            GradCheck::default(),
        );
        assert!(!r.passes(1e-6));
    }
}
