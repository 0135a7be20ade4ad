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
//!
//! Both passes work sample by sample, the samples cut between threads
//! (`threads::for_each_chunk_mut`): the same result on any number.

use crate::pool::{self, Geometry, MIN_CHUNK};
use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Pair, Plan, PoolWindow, Registry,
    Shape,
};
use backprop_tensor::{DMatrix, Scalar, ops, threads};

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
        let x = input.as_slice();
        let count = T::of(self.count);
        // Sample by sample, the samples cut between threads.
        threads::for_each_chunk_mut([output.as_mut_slice()], n_out, MIN_CHUNK, &|start, [y]| {
            let x = &x[start / n_out * n_in..];
            avg_samples(&g, x, y, count);
        });
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
        let dy = grad_output.as_slice();
        let count = T::of(self.count);
        threads::for_each_chunk_mut([dx.as_mut_slice()], n_in, MIN_CHUNK, &|start, [dx]| {
            let dy = &dy[start / n_in * n_out..];
            avg_samples_backward(&g, dy, dx, count);
        });
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

/// Average pooling of the samples `x` into `y`, sample by sample.
#[inline(always)]
fn avg_samples<T: Scalar>(g: &Geometry, x: &[T], y: &mut [T], count: T) {
    let (hw, planes) = (g.h * g.w, g.oh * g.ow);
    for (x, y) in x
        .chunks_exact(g.in_len())
        .zip(y.chunks_exact_mut(g.out_len()))
    {
        for (x, y) in x.chunks_exact(hw).zip(y.chunks_exact_mut(planes)) {
            avg_plane(g, x, y, count);
        }
    }
}

/// The backward pass of [`avg_samples`]: `dx` zeroed, then each window's
/// share added.
#[inline(always)]
fn avg_samples_backward<T: Scalar>(g: &Geometry, dy: &[T], dx: &mut [T], count: T) {
    dx.fill(T::zero());
    let (hw, planes) = (g.h * g.w, g.oh * g.ow);
    for (dy, dx) in dy
        .chunks_exact(g.out_len())
        .zip(dx.chunks_exact_mut(g.in_len()))
    {
        for (dy, dx) in dy.chunks_exact(planes).zip(dx.chunks_exact_mut(hw)) {
            avg_plane_backward(g, dy, dx, count);
        }
    }
}

/// Average pooling of one channel of one sample (`x`: its `h·w` map, `y`:
/// its `oh·ow` outputs). Every window sums its taps in scan order (rows top
/// to bottom, each left to right, from 0) and divides by `count`; a row of
/// 2×2 windows at stride 2 in a loop the compiler vectorises.
#[inline(always)]
fn avg_plane<T: Scalar>(g: &Geometry, x: &[T], y: &mut [T], count: T) {
    let (lo, hi) = g.interior_cols();
    for (oy, y) in y.chunks_exact_mut(g.ow).enumerate() {
        let rows = g.rows(oy);
        let fast = two_by_two(g, rows, lo).map(|first| {
            let n = 2 * (hi - lo);
            let (top, bottom) = (&x[first..first + n], &x[first + g.w..first + g.w + n]);
            let pairs = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (y, (t, b)) in y[lo..hi].iter_mut().zip(pairs) {
                *y = (t[0] + t[1] + b[0] + b[1]) / count;
            }
            lo..hi
        });
        for ox in (0..g.ow).filter(|ox| !fast.as_ref().is_some_and(|r| r.contains(ox))) {
            let (c0, c1) = g.cols(ox);
            let mut sum = T::zero();
            for i in rows.0..rows.1 {
                for &v in &x[i * g.w + c0..i * g.w + c1] {
                    sum += v;
                }
            }
            y[ox] = sum / count;
        }
    }
}

/// The backward pass of [`avg_plane`]: `dy[o] / count` added to every real
/// tap of window `o`.
#[inline(always)]
fn avg_plane_backward<T: Scalar>(g: &Geometry, dy: &[T], dx: &mut [T], count: T) {
    let (lo, hi) = g.interior_cols();
    for (oy, dy) in dy.chunks_exact(g.ow).enumerate() {
        let rows = g.rows(oy);
        let fast = two_by_two(g, rows, lo).map(|first| {
            let n = 2 * (hi - lo);
            let (top, bottom) = dx[first..first + g.w + n].split_at_mut(g.w);
            let pairs = top[..n].chunks_exact_mut(2).zip(bottom.chunks_exact_mut(2));
            for (&d, (t, b)) in dy[lo..hi].iter().zip(pairs) {
                let d = d / count;
                t[0] += d;
                t[1] += d;
                b[0] += d;
                b[1] += d;
            }
            lo..hi
        });
        for ox in (0..g.ow).filter(|ox| !fast.as_ref().is_some_and(|r| r.contains(ox))) {
            let (c0, c1) = g.cols(ox);
            let d = dy[ox] / count;
            for i in rows.0..rows.1 {
                for v in &mut dx[i * g.w + c0..i * g.w + c1] {
                    *v += d;
                }
            }
        }
    }
}

/// For a row of windows on input rows `rows` whose interior windows start
/// at window `lo`: the index of the first one's top-left tap, if they are
/// 2×2 at stride 2 with both rows real (the fast path).
#[inline(always)]
fn two_by_two(g: &Geometry, rows: (usize, usize), lo: usize) -> Option<usize> {
    let w = g.window;
    let square = (w.kernel, w.stride) == (Pair::square(2), Pair::square(2));
    (square && rows.1 - rows.0 == 2).then(|| rows.0 * g.w + 2 * lo - w.padding.w)
}

/// Saved as `{"kernel_size": [kh, kw], "stride": [sh, sw], "padding": [ph,
/// pw]}` (PyTorch's argument names); owns no tensor.
impl LayerType for AvgPool2d {
    const KIND: &'static str = "avg_pool2d";

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
