//! A user's own layer, written outside the library crates in one file, as
//! docs/guide.md shows: a learnable per-feature scale `y = s ⊙ x`.
//!
//! Forward: `Y[i, j] = s[i]·X[i, j]`. Backward: `ds[i] += Σⱼ dY[i, j]·X[i, j]`,
//! `dX[i, j] = s[i]·dY[i, j]`.

use backprop::prelude::*;
use backprop::tensor::ops;

/// `y = s ⊙ x`, one learnable `s` per feature, initialised to 1.
#[derive(Debug)]
pub struct Scale<T: Scalar> {
    scale: Param<T>,
}

impl<T: Scalar> Scale<T> {
    /// A scale of ones for `features` features.
    pub fn new(features: usize) -> Self {
        Self {
            scale: Param::new("scale", DMatrix::from_element(features, 1, T::one())),
        }
    }
    fn features(&self) -> usize {
        self.scale.value.nrows()
    }
}

impl<T: Scalar> Layer<T> for Scale<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        if input.nrows() != self.features() {
            return Err(LayerError::InputSize {
                layer: "scale".into(),
                expected: self.features(),
                found: input.nrows(),
            });
        }
        ops::resize(output, input.nrows(), input.ncols());
        for (j, col) in input.column_iter().enumerate() {
            for (i, &x) in col.iter().enumerate() {
                output[(i, j)] = self.scale.value[(i, 0)] * x;
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
        for (j, col) in grad_output.column_iter().enumerate() {
            for (i, &dy) in col.iter().enumerate() {
                self.scale.grad[(i, 0)] += dy * input[(i, j)];
            }
        }
        if let Some(dx) = grad_input {
            ops::resize(dx, input.nrows(), input.ncols());
            for (j, col) in grad_output.column_iter().enumerate() {
                for (i, &dy) in col.iter().enumerate() {
                    dx[(i, j)] = self.scale.value[(i, 0)] * dy;
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "scale"
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        if input.len() != self.features() {
            return Err(LayerError::InputSize {
                layer: "scale".into(),
                expected: self.features(),
                found: input.len(),
            });
        }
        Ok(input.clone())
    }
    fn config(&self) -> Option<Config> {
        Some(Config::new().with("features", self.features()))
    }
    fn visit_params(&self, f: &mut dyn FnMut(&Param<T>)) {
        f(&self.scale);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.scale);
    }
}

/// How a model file names, plans and rebuilds it.
impl<T: Scalar> LayerType for Scale<T> {
    const KIND: &'static str = "scale";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let features = config.usize("scale", "features")?;
        if input.len() != features {
            return Err(LayerError::InputSize {
                layer: "scale".into(),
                expected: features,
                found: input.len(),
            });
        }
        Ok(Plan {
            output: input.clone(),
            tensors: vec![TensorInfo::vector("scale", features)],
        })
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        Ok(Box::new(Scale::<S>::new(
            config.usize("scale", "features")?,
        )))
    }
}
