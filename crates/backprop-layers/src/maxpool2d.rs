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
//!
//! Forward finds the argmaxes, then gathers `y = x[argmax]`; each of the
//! two passes and the backward pass works sample by sample, the samples cut
//! between threads (`threads::for_each_chunk_mut`), so the result is the
//! same on any number of threads.

use crate::pool::{self, Geometry, MIN_CHUNK};
use crate::{
    BuildContext, Config, Layer, LayerError, LayerType, Mode, Pair, Plan, PoolWindow, Registry,
    Shape,
};
use backprop_tensor::{DMatrix, Scalar, ops, threads};

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
    argmax: Vec<u32>,
    /// The batch size of the last forward pass (0 before the first).
    batch: usize,
}

impl MaxPool2d {
    /// Max pooling of samples of shape `input` (`[C, H, W]`) over `window`;
    /// an error if the window does not fit (see [`PoolWindow`]).
    pub fn new(input: impl Into<Shape>, window: PoolWindow) -> Result<Self, LayerError> {
        Ok(Self {
            g: geometry(&input.into(), window)?,
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
    pub fn argmax(&self) -> &[u32] {
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
        let x = input.as_slice();
        // Where each maximum is, then the maxima: each a pass over whole
        // samples, cut between threads (the same result on any number).
        threads::for_each_chunk_mut([&mut self.argmax[..]], n_out, MIN_CHUNK, &|start, [arg]| {
            let x = &x[start / n_out * n_in..];
            argmax_samples(&g, x, arg);
        });
        let arg = &self.argmax;
        threads::for_each_chunk_mut([output.as_mut_slice()], n_out, MIN_CHUNK, &|start, [y]| {
            let x = &x[start / n_out * n_in..];
            let arg = &arg[start..start + y.len()];
            let samples = x.chunks_exact(n_in).zip(arg.chunks_exact(n_out));
            for ((x, arg), y) in samples.zip(y.chunks_exact_mut(n_out)) {
                for (y, &at) in y.iter_mut().zip(arg) {
                    *y = x[at as usize];
                }
            }
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
        let (dy, arg) = (grad_output.as_slice(), &self.argmax);
        threads::for_each_chunk_mut([dx.as_mut_slice()], n_in, MIN_CHUNK, &|start, [dx]| {
            dx.fill(T::zero());
            let first = start / n_in * n_out;
            let samples = dy[first..]
                .chunks_exact(n_out)
                .zip(arg[first..].chunks_exact(n_out));
            for ((dy, arg), dx) in samples.zip(dx.chunks_exact_mut(n_in)) {
                for (&d, &at) in dy.iter().zip(arg) {
                    dx[at as usize] += d;
                }
            }
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

/// The window on `input`, whose samples' rows must fit the argmax's `u32`.
fn geometry(input: &Shape, window: PoolWindow) -> Result<Geometry, LayerError> {
    let g = Geometry::new(NAME, input, window)?;
    if g.in_len() - 1 > u32::MAX as usize {
        return Err(LayerError::InvalidConfig {
            layer: NAME.into(),
            message: format!(
                "samples of {input} hold {} values; max pooling takes at most 2^32 per sample",
                g.in_len()
            ),
        });
    }
    Ok(g)
}

/// PyTorch's test: a larger value, or a NaN, takes the maximum.
#[inline(always)]
fn takes<T: Scalar>(v: T, best: T) -> bool {
    (v > best) | is_nan(v)
}

#[inline(always)]
fn is_nan<T: Scalar>(v: T) -> bool {
    #[allow(clippy::eq_op)] // v ≠ v: v is NaN
    let nan = v != v;
    nan
}

/// The argmaxes of the samples `x` (`n_in` values each) into `arg`
/// (`n_out` each).
#[inline(always)]
fn argmax_samples<T: Scalar>(g: &Geometry, x: &[T], arg: &mut [u32]) {
    let (hw, planes) = (g.h * g.w, g.oh * g.ow);
    for (x, arg) in x
        .chunks_exact(g.in_len())
        .zip(arg.chunks_exact_mut(g.out_len()))
    {
        let maps = x.chunks_exact(hw).zip(arg.chunks_exact_mut(planes));
        for (c, (x, arg)) in maps.enumerate() {
            // c·h·w < n_in ≤ 2³², checked when the layer was built.
            argmax_plane(g, x, (c * hw) as u32, arg);
        }
    }
}

/// The argmaxes of one channel of one sample: `x` is its `h·w` map, `arg`
/// its `oh·ow` outputs' argmaxes, `base` the row of `x[0]` in the sample
/// (the maxima are gathered from them afterwards). Every window is scanned in the same order, its rows top to
/// bottom, each left to right, from −∞. The windows wholly inside
/// (`interior_cols`) of a row of 2×2 windows at stride 2 go through a loop
/// the compiler vectorises; other interior windows have the kernel's width
/// known at compile time for the usual 2 and 3 (a window row is a
/// fixed-size slice); the edge windows are clipped one by one.
#[inline(always)]
fn argmax_plane<T: Scalar>(g: &Geometry, x: &[T], base: u32, arg: &mut [u32]) {
    let (ow, kw) = (g.ow, g.window.kernel.w);
    let (lo, hi) = g.interior_cols();
    for (oy, arg) in arg.chunks_exact_mut(ow).enumerate() {
        let rows = g.rows(oy);
        for ox in (0..lo).chain(hi..ow) {
            arg[ox] = window_max::<T, 0>(g, x, rows, g.cols(ox), base);
        }
        let arg = &mut arg[lo..hi];
        let w = g.window;
        if (w.kernel, w.stride) == (Pair::square(2), Pair::square(2)) && rows.1 - rows.0 == 2 {
            // LeNet's pool, and most others: vectorised.
            let first = rows.0 * g.w + 2 * lo - w.padding.w;
            let n = 2 * arg.len();
            let (top, bottom) = (&x[first..first + n], &x[first + g.w..first + g.w + n]);
            max_row_2x2(top, bottom, g.w as u32, base + first as u32, arg);
            continue;
        }
        match kw {
            2 => max_row::<T, 2>(g, x, rows, lo, base, arg),
            3 => max_row::<T, 3>(g, x, rows, lo, base, arg),
            _ => max_row::<T, 0>(g, x, rows, lo, base, arg),
        }
    }
}

/// The argmaxes of a row of 2×2 windows at stride 2, each wholly inside: window `k` is
/// `top[2k], top[2k+1], bottom[2k], bottom[2k+1]` (in scan order), at rows
/// `at + 2k` and `at + 2k + w` of the sample. Branch-free, so that the
/// compiler vectorises it across windows.
#[inline(always)]
fn max_row_2x2<T: Scalar>(top: &[T], bottom: &[T], w: u32, at: u32, arg: &mut [u32]) {
    let n = arg.len().min(top.len() / 2).min(bottom.len() / 2);
    let (top, bottom, arg) = (&top[..2 * n], &bottom[..2 * n], &mut arg[..n]);
    for k in 0..n {
        let (t0, t1, b0, b1) = (top[2 * k], top[2 * k + 1], bottom[2 * k], bottom[2 * k + 1]);
        // The scan, merged in pairs: "the last NaN, else the first maximum"
        // of the top row, of the bottom row, then of both. Only
        // comparisons and integer selects: a float select is a branch in
        // scalar code, mispredicted half the time on noisy data.
        let top_nan = is_nan(t0) | is_nan(t1);
        let bottom_nan = is_nan(b0) | is_nan(b1);
        let top_at = if takes(t1, t0) { 1 } else { 0 };
        let bottom_at = if takes(b1, b0) { w + 1 } else { w };
        // The bottom row takes over if its scan ends on a NaN, or if
        // neither does and its maximum is larger (NaN-free here, so
        // `max` is the scan's value).
        let bottom = bottom_nan | (!top_nan & (b0.max(b1) > t0.max(t1)));
        arg[k] = at + 2 * k as u32 + if bottom { bottom_at } else { top_at };
    }
}

/// The interior windows `lo..` of one row of windows.
#[inline(always)]
fn max_row<T: Scalar, const KW: usize>(
    g: &Geometry,
    x: &[T],
    rows: (usize, usize),
    lo: usize,
    base: u32,
    arg: &mut [u32],
) {
    let (kw, sw, pw) = (g.window.kernel.w, g.window.stride.w, g.window.padding.w);
    for (k, a) in arg.iter_mut().enumerate() {
        let c0 = (lo + k) * sw - pw;
        *a = window_max::<T, KW>(g, x, rows, (c0, c0 + kw), base);
    }
}

/// The row in the sample of the maximum of the window on `rows` × `cols`
/// (`KW`: the window's width if known at compile time, else 0).
#[inline(always)]
fn window_max<T: Scalar, const KW: usize>(
    g: &Geometry,
    x: &[T],
    (r0, r1): (usize, usize),
    (c0, c1): (usize, usize),
    base: u32,
) -> u32 {
    let width = if KW > 0 { KW } else { c1 - c0 };
    let (mut best, mut at) = (T::of(f64::NEG_INFINITY), r0 * g.w + c0);
    for i in r0..r1 {
        let row = i * g.w + c0;
        for (j, &v) in x[row..row + width].iter().enumerate() {
            // Selects, not a branch: which value wins is data, and a
            // mispredicted branch per tap costs more than the window.
            let t = takes(v, best);
            best = if t { v } else { best };
            at = if t { row + j } else { at };
        }
    }
    base + at as u32
}

/// Saved as `{"kernel_size": [kh, kw], "stride": [sh, sw], "padding": [ph,
/// pw]}` (PyTorch's argument names); owns no tensor.
impl LayerType for MaxPool2d {
    const KIND: &'static str = "max_pool2d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        let window = PoolWindow::from_config(NAME, config)?;
        Ok(Plan::stateless(geometry(input, window)?.output_shape()))
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
        assert_eq!((y[0], p.argmax()), (f64::NEG_INFINITY, &[0u32][..]));
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
