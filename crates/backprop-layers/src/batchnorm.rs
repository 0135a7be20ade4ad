//! Batch normalisation over the batch, per feature (PyTorch's `BatchNorm1d`).
//!
//! Training, for each feature (row) over the `m` samples (columns):
//! `μ = (1/m)Σⱼ xⱼ`, `σ² = (1/m)Σⱼ (xⱼ − μ)²`, `x̂ = (x − μ)/√(σ² + ε)`,
//! `y = γ·x̂ + β`. Running statistics: `r_μ ← (1−k)·r_μ + k·μ` and
//! `r_σ² ← (1−k)·r_σ² + k·σ²·m/(m−1)` (unbiased, as PyTorch), `k` the momentum.
//!
//! Backward (training): `dγ = Σⱼ dy·x̂`, `dβ = Σⱼ dy`,
//! `dx = γ/(m·√(σ²+ε)) · (m·dy − Σⱼ dy − x̂·Σⱼ dy·x̂)`.
//!
//! Evaluation uses the running statistics: `y = γ·(x − r_μ)/√(r_σ² + ε) + β`,
//! so `dx = dy·γ/√(r_σ² + ε)`.

pub(crate) mod state;

use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_tensor::{DMatrix, Param, Scalar, ops};
use state::{NormState, plan_tensors, settings};

const NAME: &str = "batch_norm1d";

/// Batch normalisation of each feature over the batch.
///
/// ```
/// use backprop_layers::{BatchNorm1d, Layer, Mode};
/// use backprop_tensor::DMatrix;
/// let mut bn = BatchNorm1d::<f64>::new(1)?;
/// let x = DMatrix::from_row_slice(1, 4, &[1.0, 2.0, 3.0, 4.0]);
/// let mut y = DMatrix::zeros(0, 0);
/// bn.forward(&x, &mut y, Mode::Train)?;
/// assert!(y.sum().abs() < 1e-12); // zero mean per feature
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm1d<T: Scalar> {
    s: NormState<T>,
    // Cache of the last forward pass.
    x_hat: DMatrix<T>,
    inv_std: DMatrix<T>,
    last_mode: Mode,
}

impl<T: Scalar> BatchNorm1d<T> {
    /// `features` features, `eps = 1e-5`, `momentum = 0.1` (PyTorch's defaults),
    /// `γ = 1`, `β = 0`.
    pub fn new(features: usize) -> Result<Self, LayerError> {
        Self::with_config(features, 1e-5, 0.1)
    }

    /// With explicit `eps > 0` and `momentum` in `[0, 1]`.
    pub fn with_config(features: usize, eps: f64, momentum: f64) -> Result<Self, LayerError> {
        Ok(Self {
            s: NormState::new(NAME, features, eps, momentum)?,
            x_hat: DMatrix::zeros(0, 0),
            inv_std: DMatrix::from_element(features, 1, T::zero()),
            last_mode: Mode::Eval,
        })
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.s.features()
    }
    /// The running mean (features×1).
    pub fn running_mean(&self) -> &DMatrix<T> {
        &self.s.running_mean
    }
    /// The running (unbiased) variance (features×1).
    pub fn running_var(&self) -> &DMatrix<T> {
        &self.s.running_var
    }
    fn check_input(&self, input: &DMatrix<T>) -> Result<(), LayerError> {
        if input.nrows() != self.features() {
            return Err(LayerError::InputSize {
                layer: "batch_norm1d".into(),
                expected: self.features(),
                found: input.nrows(),
            });
        }
        Ok(())
    }
}

impl<T: Scalar> Layer<T> for BatchNorm1d<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        let (f, m) = input.shape();
        self.last_mode = mode;
        ops::resize(output, f, m);
        ops::resize(&mut self.x_hat, f, m);
        let eps = T::of(self.s.eps);
        if mode == Mode::Train {
            if m < 2 {
                return Err(LayerError::InvalidConfig {
                    layer: "batch_norm1d".into(),
                    message: format!(
                        "training needs more than 1 sample per batch to estimate a variance, found {m}"
                    ),
                });
            }
            let mf = T::of_usize(m);
            let k = T::of(self.s.momentum);
            for i in 0..f {
                let row = input.row(i);
                let mean = row.sum() / mf;
                let var = row
                    .iter()
                    .map(|&x| (x - mean) * (x - mean))
                    .fold(T::zero(), |a, b| a + b)
                    / mf;
                let inv = T::one() / (var + eps).sqrt();
                self.inv_std[i] = inv;
                self.s.running_mean[i] = (T::one() - k) * self.s.running_mean[i] + k * mean;
                let unbiased = var * mf / T::of_usize(m - 1);
                self.s.running_var[i] = (T::one() - k) * self.s.running_var[i] + k * unbiased;
                let (g, b) = (self.s.gamma.value[i], self.s.beta.value[i]);
                for j in 0..m {
                    let xh = (input[(i, j)] - mean) * inv;
                    self.x_hat[(i, j)] = xh;
                    output[(i, j)] = g * xh + b;
                }
            }
            self.s.num_batches_tracked[0] += T::one();
        } else {
            for i in 0..f {
                let inv = T::one() / (self.s.running_var[i] + eps).sqrt();
                self.inv_std[i] = inv;
                let (mean, g, b) = (
                    self.s.running_mean[i],
                    self.s.gamma.value[i],
                    self.s.beta.value[i],
                );
                for j in 0..m {
                    let xh = (input[(i, j)] - mean) * inv;
                    self.x_hat[(i, j)] = xh;
                    output[(i, j)] = g * xh + b;
                }
            }
        }
        Ok(())
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        self.check_input(input)?;
        let (f, m) = input.shape();
        if self.x_hat.shape() != (f, m) || grad_output.shape() != (f, m) {
            return Err(LayerError::NoForward {
                layer: "batch_norm1d".into(),
                expected: self.x_hat.ncols(),
                found: grad_output.ncols(),
            });
        }
        let mut dx = grad_input;
        if let Some(dx) = dx.as_deref_mut() {
            ops::resize(dx, f, m);
        }
        let mf = T::of_usize(m);
        for i in 0..f {
            let mut sum_dy = T::zero();
            let mut sum_dy_xh = T::zero();
            for j in 0..m {
                let dy = grad_output[(i, j)];
                sum_dy += dy;
                sum_dy_xh += dy * self.x_hat[(i, j)];
            }
            self.s.gamma.grad[i] += sum_dy_xh;
            self.s.beta.grad[i] += sum_dy;
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let g_inv = self.s.gamma.value[i] * self.inv_std[i];
            if self.last_mode == Mode::Train {
                let c = g_inv / mf;
                for j in 0..m {
                    let dy = grad_output[(i, j)];
                    dx[(i, j)] = c * (mf * dy - sum_dy - self.x_hat[(i, j)] * sum_dy_xh);
                }
            } else {
                for j in 0..m {
                    dx[(i, j)] = g_inv * grad_output[(i, j)];
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "batch_norm1d"
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        let found = input.features("batch_norm1d")?;
        if found != self.features() {
            return Err(LayerError::InputSize {
                layer: "batch_norm1d".into(),
                expected: self.features(),
                found,
            });
        }
        Ok(input.clone())
    }
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        self.s.visit_params(f);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        self.s.visit_params_mut(f);
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        self.s.visit_buffers(f);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        self.s.visit_buffers_mut(f);
    }
    /// Every `running_var` non-negative: a variance is never negative, and
    /// `1/√(σ² + ε)` of a negative one is NaN or infinite. (`eps` is checked
    /// when the layer is built: positive, and positive in `T`, so a file's
    /// `1e-50` is refused in `f32`, where it is 0.)
    fn check_values(&self) -> Result<(), LayerError> {
        self.s.check_values()
    }
    fn config(&self) -> Option<Config> {
        Some(self.s.config())
    }
}

/// Saved as `{"features": f, "eps": 1e-5, "momentum": 0.1}`; owns `weight`,
/// `bias`, `running_mean`, `running_var` `[features]` and
/// `num_batches_tracked` (`i64 []`), PyTorch's names and layouts.
impl<T: Scalar> LayerType for BatchNorm1d<T> {
    const KIND: &'static str = "batch_norm1d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let (features, eps, momentum) = settings(NAME, config)?;
        state::check_in::<T>(NAME, features, eps, momentum)?;
        let found = input.features("batch_norm1d")?;
        if found != features {
            return Err(LayerError::InputSize {
                layer: "batch_norm1d".into(),
                expected: features,
                found,
            });
        }
        Ok(Plan {
            output: input.clone(),
            tensors: plan_tensors(features),
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        let (features, eps, momentum) = settings(NAME, config)?;
        Ok(Box::new(BatchNorm1d::<S>::with_config(
            features, eps, momentum,
        )?))
    }
}
