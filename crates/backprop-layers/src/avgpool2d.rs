//! Average pooling over 2-d windows, per channel (PyTorch's `AvgPool2d`
//! with its defaults: `count_include_pad=True`, `ceil_mode=False`).
//!
//! Forward: `y[c, oy, ox] = (1/(kh·kw)) Σ x[c, i, j]` over the window's real
//! positions (see pool.rs): padding adds zeros but still counts in the
//! divisor, which is always `kh·kw`.
//!
//! Backward: `y` is linear in `x` with coefficient `1/(kh·kw)` on every
//! position of the window, so `dx[c, i, j] += dy[c, oy, ox] / (kh·kw)` for
//! every window that covers `(i, j)`.

use crate::pool::{self, Geometry};
use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, PoolWindow, Registry, Shape,
};
use backprop_tensor::{DMatrix, Scalar, ops};

const NAME: &str = "avg_pool2d";

/// Average pooling of `[C, H, W]` samples over a [`PoolWindow`].
///
/// ```
/// use backprop_layers::{AvgPool2d, Layer, Mode, PoolWindow};
/// use backprop_tensor::DMatrix;
/// let mut pool = AvgPool2d::new([1, 2, 4], PoolWindow::new(2))?;
/// // One sample: the rows [1 5 2 0] and [3 4 8 8].
/// let x = DMatrix::from_column_slice(8, 1, &[1.0_f32, 5.0, 2.0, 0.0, 3.0, 4.0, 8.0, 8.0]);
/// let mut y = DMatrix::zeros(0, 0);
/// pool.forward(&x, &mut y, Mode::Eval)?;
/// assert_eq!(y.as_slice(), &[13.0 / 4.0, 18.0 / 4.0]);
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AvgPool2d {
    g: Geometry,
    /// `kh·kw`, the divisor of every window.
    count: f64,
}

impl AvgPool2d {
    /// Average pooling of samples of shape `input` (`[C, H, W]`) over
    /// `window`; an error if the window does not fit (see [`PoolWindow`]).
    pub fn new(input: impl Into<Shape>, window: PoolWindow) -> Result<Self, LayerError> {
        let g = Geometry::new(NAME, &input.into(), window)?;
        let count = window.kernel.h as f64 * window.kernel.w as f64;
        Ok(Self { g, count })
    }
    /// The window.
    pub fn window(&self) -> PoolWindow {
        self.g.window
    }
}

impl<T: Scalar> Layer<T> for AvgPool2d {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        _mode: Mode,
    ) -> Result<(), LayerError> {
        let g = self.g;
        g.check_rows(NAME, input.nrows())?;
        let (n_in, n_out, m) = (g.in_len(), g.out_len(), input.ncols());
        ops::resize(output, n_out, m);
        let (hw, w) = (g.h * g.w, g.w);
        let count = T::of(self.count);
        let samples = input.as_slice().chunks_exact(n_in);
        for (x, y) in samples.zip(output.as_mut_slice().chunks_exact_mut(n_out)) {
            let mut k = 0;
            for c in 0..g.c {
                let base = c * hw;
                for oy in 0..g.oh {
                    let (r0, r1) = g.rows(oy);
                    for ox in 0..g.ow {
                        let (c0, c1) = g.cols(ox);
                        let mut sum = T::zero();
                        for i in r0..r1 {
                            let row = base + i * w;
                            for &v in &x[row + c0..row + c1] {
                                sum += v;
                            }
                        }
                        y[k] = sum / count;
                        k += 1;
                    }
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
        let Some(dx) = grad_input else { return Ok(()) };
        let g = self.g;
        g.check_rows(NAME, input.nrows())?;
        let (n_in, n_out, m) = (g.in_len(), g.out_len(), input.ncols());
        ops::check_shape("avg_pool2d backward", "dA", grad_output, (n_out, m))
            .map_err(LayerError::shape(NAME))?;
        ops::resize(dx, n_in, m);
        dx.fill(T::zero());
        let (hw, w) = (g.h * g.w, g.w);
        let count = T::of(self.count);
        let dys = grad_output.as_slice().chunks_exact(n_out);
        for (dy, dx) in dys.zip(dx.as_mut_slice().chunks_exact_mut(n_in)) {
            let mut k = 0;
            for c in 0..g.c {
                let base = c * hw;
                for oy in 0..g.oh {
                    let (r0, r1) = g.rows(oy);
                    for ox in 0..g.ow {
                        let (c0, c1) = g.cols(ox);
                        let d = dy[k] / count;
                        for i in r0..r1 {
                            let row = base + i * w;
                            for v in &mut dx[row + c0..row + c1] {
                                *v += d;
                            }
                        }
                        k += 1;
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
        pool::output_shape(NAME, &self.g, input)
    }
    fn config(&self) -> Option<Config> {
        Some(self.g.window.to_config())
    }
}

/// Saved as `{"kernel_size": [kh, kw], "stride": [sh, sw], "padding": [ph,
/// pw]}` (PyTorch's argument names); owns no tensor.
impl LayerType for AvgPool2d {
    const KIND: &'static str = "AvgPool2d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let window = PoolWindow::from_config(NAME, config)?;
        Ok(Plan::stateless(
            Geometry::new(NAME, input, window)?.output_shape(),
        ))
    }

    fn build<T: Scalar>(
        config: &Config,
        input: &Shape,
        _: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<T>>, LayerError> {
        let window = PoolWindow::from_config(NAME, config)?;
        Ok(Box::new(AvgPool2d::new(input.clone(), window)?))
    }
}
