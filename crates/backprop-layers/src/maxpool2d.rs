//! Max pooling over 2-d windows, per channel (PyTorch's `MaxPool2d`).
//!
//! Forward: `y[c, oy, ox] = max x[c, i, j]` over the window's rows `i` and
//! columns `j` (see pool.rs), padding counting as −∞, so a padded position
//! is never the maximum. The position of the maximum, `argmax[c, oy, ox]`,
//! is kept in a buffer owned by the layer and reused.
//!
//! Backward: `y` is a selection, so `∂y[c,oy,ox]/∂x[c,i,j]` is 1 at the
//! argmax and 0 elsewhere, and `dx[argmax] += dy` over every window: an
//! input that is the maximum of several overlapping windows collects all of
//! their gradients, and one that is no window's maximum gets 0.
//!
//! Ties, as PyTorch's CPU kernel: the window is scanned row by row, left to
//! right, and the maximum moves only to a strictly larger value, so **the
//! first maximum in scan order** gets the gradient. A NaN always takes the
//! maximum (`v > max || v is NaN`), so a window with a NaN gives NaN and its
//! last NaN gets the gradient; a window of −∞ routes to its first real
//! position. (Checked against torch 2.15: `tests::ties_route_to_the_first_maximum_like_pytorch`.)

use crate::pool::{self, Geometry};
use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, PoolWindow, Registry, Shape,
};
use backprop_tensor::{DMatrix, Scalar, ops};

const NAME: &str = "max_pool2d";

/// Max pooling of `[C, H, W]` samples over a [`PoolWindow`].
///
/// ```
/// use backprop_layers::{Layer, MaxPool2d, Mode, PoolWindow, Shape};
/// use backprop_tensor::DMatrix;
/// let mut pool = MaxPool2d::new([1, 2, 4], PoolWindow::new(2))?;
/// assert_eq!(Layer::<f32>::output_shape(&pool, &Shape::new([1, 2, 4]))?, Shape::new([1, 1, 2]));
/// // One sample: the rows [1 5 2 0] and [3 4 8 8].
/// let x = DMatrix::from_column_slice(8, 1, &[1.0_f32, 5.0, 2.0, 0.0, 3.0, 4.0, 8.0, 8.0]);
/// let mut y = DMatrix::zeros(0, 0);
/// pool.forward(&x, &mut y, Mode::Eval)?;
/// assert_eq!(y.as_slice(), &[5.0, 8.0]);
/// assert_eq!(pool.argmax(), &[1, 6]); // the first of the two 8s
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool2d {
    g: Geometry,
    /// For each output value of the last forward pass (column-major, like
    /// the output), the row of the input that was its maximum.
    argmax: Vec<usize>,
    /// The batch size of the last forward pass (0 before the first).
    batch: usize,
}

impl MaxPool2d {
    /// Max pooling of samples of shape `input` (`[C, H, W]`) over `window`;
    /// an error if the window does not fit (see [`PoolWindow`]).
    pub fn new(input: impl Into<Shape>, window: PoolWindow) -> Result<Self, LayerError> {
        Ok(Self {
            g: Geometry::new(NAME, &input.into(), window)?,
            argmax: Vec::new(),
            batch: 0,
        })
    }
    /// The window.
    pub fn window(&self) -> PoolWindow {
        self.g.window
    }
    /// Where each maximum of the last forward pass was: for output value `k`
    /// of sample `s` (entry `s·out + k`, `out` values per sample), its row
    /// in the input (`c·H·W + i·W + j`).
    pub fn argmax(&self) -> &[usize] {
        &self.argmax
    }
}

impl<T: Scalar> Layer<T> for MaxPool2d {
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
        self.argmax.resize(n_out * m, 0);
        self.batch = m;
        let (hw, w) = (g.h * g.w, g.w);
        let neg_inf = T::of(f64::NEG_INFINITY);
        let samples = input.as_slice().chunks_exact(n_in);
        let outs = output.as_mut_slice().chunks_exact_mut(n_out);
        for ((x, y), arg) in samples.zip(outs).zip(self.argmax.chunks_exact_mut(n_out)) {
            let mut k = 0;
            for c in 0..g.c {
                let base = c * hw;
                for oy in 0..g.oh {
                    let (r0, r1) = g.rows(oy);
                    for ox in 0..g.ow {
                        let (c0, c1) = g.cols(ox);
                        let mut best = neg_inf;
                        let mut at = base + r0 * w + c0;
                        for i in r0..r1 {
                            let row = base + i * w;
                            for (j, &v) in x[row + c0..row + c1].iter().enumerate() {
                                // PyTorch's test: a NaN always takes it.
                                if v > best || v.partial_cmp(&v).is_none() {
                                    best = v;
                                    at = row + c0 + j;
                                }
                            }
                        }
                        y[k] = best;
                        arg[k] = at;
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
        if self.batch != m || self.argmax.len() != n_out * m {
            return Err(LayerError::NoForward {
                layer: NAME.into(),
                expected: self.batch,
                found: m,
            });
        }
        ops::check_shape("max_pool2d backward", "dA", grad_output, (n_out, m))
            .map_err(LayerError::shape(NAME))?;
        ops::resize(dx, n_in, m);
        dx.fill(T::zero());
        let dys = grad_output.as_slice().chunks_exact(n_out);
        let dxs = dx.as_mut_slice().chunks_exact_mut(n_in);
        for ((dy, dx), arg) in dys.zip(dxs).zip(self.argmax.chunks_exact(n_out)) {
            for (&d, &at) in dy.iter().zip(arg) {
                dx[at] += d;
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
impl LayerType for MaxPool2d {
    const KIND: &'static str = "MaxPool2d";

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
        Ok(Box::new(MaxPool2d::new(input.clone(), window)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pool: &mut MaxPool2d, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let x = DMatrix::from_column_slice(x.len(), 1, x);
        let mut y = DMatrix::zeros(0, 0);
        pool.forward(&x, &mut y, Mode::Train).unwrap();
        let mut dx = DMatrix::zeros(0, 0);
        let dy = DMatrix::from_element(y.nrows(), 1, 1.0);
        pool.backward(&x, &y, &dy, Some(&mut dx)).unwrap();
        (y.as_slice().to_vec(), dx.as_slice().to_vec())
    }

    /// The values PyTorch 2.15 gives (`F.max_pool2d(..., return_indices=True)`
    /// and `.sum().backward()`), recorded in docs/math.md.
    #[test]
    fn ties_route_to_the_first_maximum_like_pytorch() {
        // 2×2 of ones: index 0 gets the gradient.
        let mut p = MaxPool2d::new([1, 2, 2], PoolWindow::new(2)).unwrap();
        assert_eq!(run(&mut p, &[1.0; 4]).1, [1.0, 0.0, 0.0, 0.0]);
        // 3×3 of threes, kernel 2, stride 1, padding 1: 16 windows; PyTorch's
        // indices [[0,0,1,2],[0,0,1,2],[3,3,4,5],[6,6,7,8]], gradient below.
        let w = PoolWindow::new(2).with_stride(1).with_padding(1);
        let mut p = MaxPool2d::new([1, 3, 3], w).unwrap();
        let (_, dx) = run(&mut p, &[3.0; 9]);
        assert_eq!(p.argmax(), [0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8]);
        assert_eq!(dx, [4.0, 2.0, 2.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0]);
        // NaN wins, and the last NaN is the argmax: [[1, NaN], [5, NaN]] → 3.
        let mut p = MaxPool2d::new([1, 2, 2], PoolWindow::new(2)).unwrap();
        let (y, _) = run(&mut p, &[1.0, f64::NAN, 5.0, f64::NAN]);
        assert!(y[0].is_nan());
        assert_eq!(p.argmax(), [3]);
        // All −∞: the first position.
        let (y, _) = run(&mut p, &[f64::NEG_INFINITY; 4]);
        assert_eq!((y[0], p.argmax()), (f64::NEG_INFINITY, &[0usize][..]));
    }

    #[test]
    fn backward_needs_a_matching_forward() {
        let mut p = MaxPool2d::new([1, 2, 2], PoolWindow::new(2)).unwrap();
        let x = DMatrix::<f32>::zeros(4, 3);
        let mut dx = DMatrix::zeros(0, 0);
        let dy = DMatrix::zeros(1, 3);
        let e = p.backward(&x, &dy, &dy, Some(&mut dx)).unwrap_err();
        assert!(
            e.to_string().contains("backward called before forward"),
            "{e}"
        );
        let e = p
            .forward(&DMatrix::<f32>::zeros(5, 3), &mut dx, Mode::Train)
            .unwrap_err();
        assert!(
            matches!(
                e,
                LayerError::InputSize {
                    expected: 4,
                    found: 5,
                    ..
                }
            ),
            "{e}"
        );
    }
}
