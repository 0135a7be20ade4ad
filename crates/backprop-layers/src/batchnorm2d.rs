//! Batch normalisation of each channel over the batch and the image
//! (PyTorch's `BatchNorm2d`).
//!
//! A batch of `m` samples of shape `[C, H, W]` holds, for channel `c`,
//! `n = m·H·W` values: rows `c·H·W .. (c+1)·H·W` of every column. Each
//! channel is normalised over those `n` values exactly as BatchNorm1d
//! normalises one feature over the batch (batchnorm.rs): `μ`, `σ²` (biased),
//! `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`, running statistics with
//! momentum `k` and the unbiased `σ²·n/(n−1)`; backward
//! `dγ = Σ dy·x̂`, `dβ = Σ dy`, `dx = γ/(n·√(σ²+ε)) · (n·dy − Σ dy − x̂·Σ dy·x̂)`,
//! every sum over the channel's `n` values. Evaluation uses the running
//! statistics, and `dx = dy·γ/√(r_σ² + ε)`.
//!
//! The statistics and the two backward sums are accumulated in `f64`
//! whatever `T` (a channel of a batch of 64 images of 28×28 is 50,176
//! values: an `f32` running sum would lose digits).

use crate::batchnorm::state::{self, NormState, plan_tensors, settings};
use crate::pool;
use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_tensor::{DMatrix, Param, Scalar, ops};

const NAME: &str = "batch_norm2d";

/// Batch normalisation of each channel over the batch and the image.
///
/// ```
/// use backprop_layers::{BatchNorm2d, Layer, Mode};
/// use backprop_tensor::DMatrix;
/// let mut bn = BatchNorm2d::<f64>::new(2)?;
/// // Two samples of shape [2, 1, 2]: channel 0 is rows 0..2, channel 1 rows 2..4.
/// let x = DMatrix::from_column_slice(4, 2, &[1.0, 2.0, 10.0, 20.0, 3.0, 4.0, 30.0, 40.0]);
/// let mut y = DMatrix::zeros(0, 0);
/// bn.forward(&x, &mut y, Mode::Train)?;
/// let channel0: f64 = [y[(0, 0)], y[(1, 0)], y[(0, 1)], y[(1, 1)]].iter().sum();
/// assert!(channel0.abs() < 1e-12); // zero mean per channel
/// assert!((bn.running_mean()[1] - 2.5).abs() < 1e-12); // 0.1 × 25
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm2d<T: Scalar> {
    s: NormState<T>,
    // Cache of the last forward pass.
    x_hat: DMatrix<T>,
    inv_std: Vec<f64>,
    last_mode: Mode,
}

impl<T: Scalar> BatchNorm2d<T> {
    /// `channels` channels, `eps = 1e-5`, `momentum = 0.1` (PyTorch's
    /// defaults), `γ = 1`, `β = 0`.
    pub fn new(channels: usize) -> Result<Self, LayerError> {
        Self::with_config(channels, 1e-5, 0.1)
    }

    /// With explicit `eps > 0` and `momentum` in `[0, 1]`.
    pub fn with_config(channels: usize, eps: f64, momentum: f64) -> Result<Self, LayerError> {
        Ok(Self {
            s: NormState::new(NAME, channels, eps, momentum)?,
            x_hat: DMatrix::zeros(0, 0),
            inv_std: vec![0.0; channels],
            last_mode: Mode::Eval,
        })
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.s.features()
    }
    /// The running mean (channels×1).
    pub fn running_mean(&self) -> &DMatrix<T> {
        &self.s.running_mean
    }
    /// The running (unbiased) variance (channels×1).
    pub fn running_var(&self) -> &DMatrix<T> {
        &self.s.running_var
    }
}

impl<T: Scalar> Layer<T> for BatchNorm2d<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError> {
        let s = pool::map_size(NAME, self.channels(), input.nrows())?;
        let (rows, m) = input.shape();
        let n = m * s;
        if mode == Mode::Train && n < 2 {
            return Err(LayerError::InvalidConfig {
                layer: NAME.into(),
                message: format!(
                    "training needs more than 1 value per channel (batch × height × width) to estimate a variance, found {n}"
                ),
            });
        }
        self.last_mode = mode;
        ops::resize(output, rows, m);
        ops::resize(&mut self.x_hat, rows, m);
        let x = input.as_slice();
        // The values of channel c: one run of s rows in each column.
        let runs = |c: usize| (0..m).map(move |j| j * rows + c * s..j * rows + (c + 1) * s);
        let k = self.s.momentum;
        for c in 0..self.channels() {
            let (mean, inv) = if mode == Mode::Train {
                let sum: f64 = runs(c).flat_map(|r| &x[r]).map(|v| v.as_f64()).sum();
                let mean = sum / n as f64;
                let sq: f64 = runs(c)
                    .flat_map(|r| &x[r])
                    .map(|v| (v.as_f64() - mean).powi(2))
                    .sum();
                let var = sq / n as f64;
                let unbiased = sq / (n - 1) as f64;
                let (rm, rv) = (
                    self.s.running_mean[c].as_f64(),
                    self.s.running_var[c].as_f64(),
                );
                self.s.running_mean[c] = T::of((1.0 - k) * rm + k * mean);
                self.s.running_var[c] = T::of((1.0 - k) * rv + k * unbiased);
                (mean, 1.0 / (var + self.s.eps).sqrt())
            } else {
                let var = self.s.running_var[c].as_f64();
                (
                    self.s.running_mean[c].as_f64(),
                    1.0 / (var + self.s.eps).sqrt(),
                )
            };
            self.inv_std[c] = inv;
            let (mean, inv) = (T::of(mean), T::of(inv));
            let (g, b) = (self.s.gamma.value[c], self.s.beta.value[c]);
            let (y, xh) = (output.as_mut_slice(), self.x_hat.as_mut_slice());
            for r in runs(c) {
                for ((y, xh), &v) in y[r.clone()].iter_mut().zip(&mut xh[r.clone()]).zip(&x[r]) {
                    *xh = (v - mean) * inv;
                    *y = g * *xh + b;
                }
            }
        }
        if mode == Mode::Train {
            self.s.num_batches_tracked[0] += T::one();
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
        let s = pool::map_size(NAME, self.channels(), input.nrows())?;
        let (rows, m) = input.shape();
        if self.x_hat.shape() != (rows, m) || grad_output.shape() != (rows, m) {
            return Err(LayerError::NoForward {
                layer: NAME.into(),
                expected: self.x_hat.ncols(),
                found: grad_output.ncols(),
            });
        }
        let mut dx = grad_input;
        if let Some(dx) = dx.as_deref_mut() {
            ops::resize(dx, rows, m);
        }
        let n = (m * s) as f64;
        let (dy, xh) = (grad_output.as_slice(), self.x_hat.as_slice());
        let runs = |c: usize| (0..m).map(move |j| j * rows + c * s..j * rows + (c + 1) * s);
        for c in 0..self.channels() {
            let (mut sum_dy, mut sum_dy_xh) = (0.0, 0.0);
            for r in runs(c) {
                for (&d, &h) in dy[r.clone()].iter().zip(&xh[r]) {
                    sum_dy += d.as_f64();
                    sum_dy_xh += d.as_f64() * h.as_f64();
                }
            }
            self.s.gamma.grad[c] += T::of(sum_dy_xh);
            self.s.beta.grad[c] += T::of(sum_dy);
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let dx = dx.as_mut_slice();
            let g_inv = self.s.gamma.value[c].as_f64() * self.inv_std[c];
            if self.last_mode == Mode::Train {
                let scale = T::of(g_inv / n);
                let (n, sum_dy, sum_dy_xh) = (T::of(n), T::of(sum_dy), T::of(sum_dy_xh));
                for r in runs(c) {
                    let zipped = dx[r.clone()].iter_mut().zip(&dy[r.clone()]).zip(&xh[r]);
                    for ((dx, &d), &h) in zipped {
                        *dx = scale * (n * d - sum_dy - h * sum_dy_xh);
                    }
                }
            } else {
                let g_inv = T::of(g_inv);
                for r in runs(c) {
                    for (dx, &d) in dx[r.clone()].iter_mut().zip(&dy[r]) {
                        *dx = g_inv * d;
                    }
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &str {
        NAME
    }
    fn kind(&self) -> &str {
        <Self as LayerType>::KIND
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        pool::channels(NAME, input, Some(self.channels()))?;
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
    /// Every `running_var` non-negative, as BatchNorm1d's.
    fn check_values(&self) -> Result<(), LayerError> {
        self.s.check_values()
    }
    fn config(&self) -> Option<Config> {
        Some(self.s.config())
    }
}

/// Saved as `{"features": C, "eps": 1e-5, "momentum": 0.1}`, BatchNorm1d's
/// keys; owns `weight`, `bias`, `running_mean`, `running_var` `[C]` and
/// `num_batches_tracked` (`i64 []`), PyTorch's names and layouts.
impl<T: Scalar> LayerType for BatchNorm2d<T> {
    const KIND: &'static str = "batch_norm2d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let (channels, eps, momentum) = settings(NAME, config)?;
        state::check(NAME, channels, eps, momentum, true, "f64")?;
        pool::channels(NAME, input, Some(channels))?;
        Ok(Plan {
            output: input.clone(),
            tensors: plan_tensors(channels),
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        let (channels, eps, momentum) = settings(NAME, config)?;
        Ok(Box::new(BatchNorm2d::<S>::with_config(
            channels, eps, momentum,
        )?))
    }
}
