//! What BatchNorm1d and BatchNorm2d share: the affine parameters `γ`, `β`,
//! the running statistics and the batch count, `eps` and `momentum`; their
//! checks, settings, file layout, visitors and configuration. The math that
//! differs (per feature over the batch, per channel over the batch and the
//! image) stays in each layer.

use crate::{Config, LayerError, TensorInfo};
use backprop_tensor::{DMatrix, Param, Scalar};

/// The parameters' names, as PyTorch's `BatchNorm1d`/`BatchNorm2d` (`γ`, `β`).
const PARAMS: [&str; 2] = ["weight", "bias"];
/// The buffers' names; the count is an `i64` in files.
const BUFFERS: [&str; 3] = ["running_mean", "running_var", "num_batches_tracked"];

/// The state of a batch normalisation of `features` features (or channels).
#[derive(Debug, Clone)]
pub(crate) struct NormState<T: Scalar> {
    pub(crate) gamma: Param<T>,
    pub(crate) beta: Param<T>,
    pub(crate) running_mean: DMatrix<T>,
    pub(crate) running_var: DMatrix<T>,
    pub(crate) num_batches_tracked: DMatrix<T>,
    pub(crate) eps: f64,
    pub(crate) momentum: f64,
}

impl<T: Scalar> NormState<T> {
    /// `γ = 1`, `β = 0`, running mean 0 and variance 1, count 0; the
    /// settings checked by [`check_in`].
    pub(crate) fn new(
        layer: &str,
        features: usize,
        eps: f64,
        momentum: f64,
    ) -> Result<Self, LayerError> {
        check_in::<T>(layer, features, eps, momentum)?;
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
        })
    }

    /// Number of features (channels).
    pub(crate) fn features(&self) -> usize {
        self.gamma.value.nrows()
    }

    pub(crate) fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        f(&self.gamma);
        f(&self.beta);
    }
    pub(crate) fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.gamma);
        f(&mut self.beta);
    }
    pub(crate) fn visit_buffers(&self, f: &mut dyn FnMut(&str, &DMatrix<T>)) {
        let [mean, var, count] = BUFFERS;
        f(mean, &self.running_mean);
        f(var, &self.running_var);
        f(count, &self.num_batches_tracked);
    }
    pub(crate) fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<T>)) {
        let [mean, var, count] = BUFFERS;
        f(mean, &mut self.running_mean);
        f(var, &mut self.running_var);
        f(count, &mut self.num_batches_tracked);
    }

    /// Every `running_var` non-negative: a variance is never negative, and
    /// `1/√(σ² + ε)` of a negative one is NaN or infinite. (`eps` is checked
    /// when the layer is built: positive, and positive in `T`, so a file's
    /// `1e-50` is refused in `f32`, where it is 0.)
    pub(crate) fn check_values(&self) -> Result<(), LayerError> {
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

    /// `{"features": f, "eps": …, "momentum": …}`.
    pub(crate) fn config(&self) -> Config {
        Config::new()
            .with("features", self.features())
            .with("eps", self.eps)
            .with("momentum", self.momentum)
    }
}

/// `features > 0`, `eps > 0` and positive in the element type `ty`
/// (`positive`, so that `1/√(σ²+ε)` stays finite), `momentum` in `[0, 1]`.
pub(crate) fn check(
    layer: &str,
    features: usize,
    eps: f64,
    momentum: f64,
    positive: bool,
    ty: &str,
) -> Result<(), LayerError> {
    let err = |message: String| LayerError::InvalidConfig {
        layer: layer.into(),
        message,
    };
    if features == 0 {
        return Err(LayerError::ZeroWidth {
            layer: layer.into(),
        });
    }
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(err(format!("eps must be positive, found {eps}")));
    }
    if !positive {
        return Err(err(format!(
            "eps = {eps:e} is 0 in {ty}; it must be positive in the model's element type"
        )));
    }
    if !(0.0..=1.0).contains(&momentum) {
        return Err(err(format!("momentum must be in [0, 1], found {momentum}")));
    }
    Ok(())
}

/// [`check`] with `eps` positive in `T`.
pub(crate) fn check_in<T: Scalar>(
    layer: &str,
    features: usize,
    eps: f64,
    momentum: f64,
) -> Result<(), LayerError> {
    check(
        layer,
        features,
        eps,
        momentum,
        T::of(eps) > T::zero(),
        T::NAME,
    )
}

/// A saved configuration's `(features, eps, momentum)`, no other key.
pub(crate) fn settings(layer: &str, config: &Config) -> Result<(usize, f64, f64), LayerError> {
    config.only(layer, &["features", "eps", "momentum"])?;
    Ok((
        config.usize(layer, "features")?,
        config.f64(layer, "eps")?,
        config.f64(layer, "momentum")?,
    ))
}

/// The tensors a file holds: `weight`, `bias`, `running_mean`,
/// `running_var` `[features]` and `num_batches_tracked` (`i64 []`).
pub(crate) fn plan_tensors(features: usize) -> Vec<TensorInfo> {
    let [mean, var, count] = BUFFERS;
    let mut tensors: Vec<TensorInfo> = PARAMS
        .iter()
        .chain([mean, var].iter())
        .map(|name| TensorInfo::vector(name, features))
        .collect();
    tensors.push(TensorInfo::count(count));
    tensors
}
