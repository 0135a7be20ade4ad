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

use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape, TensorInfo,
};
use backprop_tensor::{DMatrix, Param, Scalar, ops};

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
    gamma: Param<T>,
    beta: Param<T>,
    running_mean: DMatrix<T>,
    running_var: DMatrix<T>,
    num_batches_tracked: DMatrix<T>,
    eps: f64,
    momentum: f64,
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
        Self::check(features, eps, momentum)?;
        let col = |v: f64| DMatrix::from_element(features, 1, T::of(v));
        let [weight, bias] = PARAMS;
        Ok(Self {
            gamma: Param::new(weight, col(1.0)),
            beta: Param::new(bias, col(0.0)),
            running_mean: col(0.0),
            running_var: col(1.0),
            num_batches_tracked: DMatrix::from_element(1, 1, T::zero()),
            eps,
            momentum,
            x_hat: DMatrix::zeros(0, 0),
            inv_std: col(0.0),
            last_mode: Mode::Eval,
        })
    }

    /// `features > 0`, `eps > 0` (and positive in `T`, so that `1/√(σ²+ε)`
    /// stays finite), `momentum` in `[0, 1]`.
    fn check(features: usize, eps: f64, momentum: f64) -> Result<(), LayerError> {
        let layer = || "batch_norm1d".to_string();
        if features == 0 {
            return Err(LayerError::ZeroWidth { layer: layer() });
        }
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(LayerError::InvalidConfig {
                layer: layer(),
                message: format!("eps must be positive, found {eps}"),
            });
        }
        if T::of(eps) <= T::zero() {
            return Err(LayerError::InvalidConfig {
                layer: layer(),
                message: format!(
                    "eps = {eps:e} is 0 in {}; it must be positive in the model's element type",
                    T::NAME
                ),
            });
        }
        if !(0.0..=1.0).contains(&momentum) {
            return Err(LayerError::InvalidConfig {
                layer: layer(),
                message: format!("momentum must be in [0, 1], found {momentum}"),
            });
        }
        Ok(())
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.gamma.value.nrows()
    }
    /// The running mean (features×1).
    pub fn running_mean(&self) -> &DMatrix<T> {
        &self.running_mean
    }
    /// The running (unbiased) variance (features×1).
    pub fn running_var(&self) -> &DMatrix<T> {
        &self.running_var
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
        let eps = T::of(self.eps);
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
            let k = T::of(self.momentum);
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
                self.running_mean[i] = (T::one() - k) * self.running_mean[i] + k * mean;
                let unbiased = var * mf / T::of_usize(m - 1);
                self.running_var[i] = (T::one() - k) * self.running_var[i] + k * unbiased;
                let (g, b) = (self.gamma.value[i], self.beta.value[i]);
                for j in 0..m {
                    let xh = (input[(i, j)] - mean) * inv;
                    self.x_hat[(i, j)] = xh;
                    output[(i, j)] = g * xh + b;
                }
            }
            self.num_batches_tracked[0] += T::one();
        } else {
            for i in 0..f {
                let inv = T::one() / (self.running_var[i] + eps).sqrt();
                self.inv_std[i] = inv;
                let (mean, g, b) = (
                    self.running_mean[i],
                    self.gamma.value[i],
                    self.beta.value[i],
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
            self.gamma.grad[i] += sum_dy_xh;
            self.beta.grad[i] += sum_dy;
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let g_inv = self.gamma.value[i] * self.inv_std[i];
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
        f(&self.gamma);
        f(&self.beta);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.gamma);
        f(&mut self.beta);
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        let [mean, var, count] = BUFFERS;
        f(mean, &self.running_mean);
        f(var, &self.running_var);
        f(count, &self.num_batches_tracked);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        let [mean, var, count] = BUFFERS;
        f(mean, &mut self.running_mean);
        f(var, &mut self.running_var);
        f(count, &mut self.num_batches_tracked);
    }
    /// Every `running_var` non-negative: a variance is never negative, and
    /// `1/√(σ² + ε)` of a negative one is NaN or infinite. (`eps` is checked
    /// when the layer is built: positive, and positive in `T`, so a file's
    /// `1e-50` is refused in `f32`, where it is 0.)
    fn check_values(&self) -> Result<(), LayerError> {
        if let Some((i, v)) = self
            .running_var
            .iter()
            .enumerate()
            .find(|(_, v)| v.as_f64() < 0.0)
        {
            return Err(LayerError::InvalidConfig {
                layer: "running_var".into(),
                message: format!(
                    "holds {:?} at [{i}]; a variance is never negative",
                    v.as_f64()
                ),
            });
        }
        Ok(())
    }
    fn config(&self) -> Option<Config> {
        Some(
            Config::new()
                .with("features", self.features())
                .with("eps", self.eps)
                .with("momentum", self.momentum),
        )
    }
}

/// The parameters' names, as PyTorch's `BatchNorm1d` (`γ`, `β`).
const PARAMS: [&str; 2] = ["weight", "bias"];
/// The buffers' names; the count is an `i64` in files.
const BUFFERS: [&str; 3] = ["running_mean", "running_var", "num_batches_tracked"];

/// Saved as `{"features": f, "eps": 1e-5, "momentum": 0.1}`; owns `weight`,
/// `bias`, `running_mean`, `running_var` `[features]` and
/// `num_batches_tracked` (`i64 []`), PyTorch's names and layouts.
impl<T: Scalar> LayerType for BatchNorm1d<T> {
    const KIND: &'static str = "batch_norm1d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let (features, eps, momentum) = settings(config)?;
        Self::check(features, eps, momentum)?;
        let found = input.features("batch_norm1d")?;
        if found != features {
            return Err(LayerError::InputSize {
                layer: "batch_norm1d".into(),
                expected: features,
                found,
            });
        }
        let [mean, var, count] = BUFFERS;
        let mut tensors: Vec<TensorInfo> = PARAMS
            .iter()
            .chain([mean, var].iter())
            .map(|name| TensorInfo::vector(name, features))
            .collect();
        tensors.push(TensorInfo::count(count));
        Ok(Plan {
            output: input.clone(),
            tensors,
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        let (features, eps, momentum) = settings(config)?;
        Ok(Box::new(BatchNorm1d::<S>::with_config(
            features, eps, momentum,
        )?))
    }
}

fn settings(config: &Config) -> Result<(usize, f64, f64), LayerError> {
    const L: &str = "batch_norm1d";
    config.only(L, &["features", "eps", "momentum"])?;
    Ok((
        config.usize(L, "features")?,
        config.f64(L, "eps")?,
        config.f64(L, "momentum")?,
    ))
}
